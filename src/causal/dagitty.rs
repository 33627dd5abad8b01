//! `DAGitty` text in and out, Graphviz DOT out.
//!
//! Accepted input: `dag { a -> b  b <- c  d [latent] }`. Statements are node
//! names optionally followed by `[attributes]` (ignored) and chained with `->`
//! or `<-`; `;` and newlines may separate them but are not required. Names may
//! be quoted (`"a"`) but must still match `[A-Za-z0-9_]+`. Repeated edges are
//! accepted once. Every error names a 1-based line and column.

use std::fmt::Write as _;

use super::dag::{CausalError, Dag, NodeId, is_valid_name};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Arrow,
    BackArrow,
    LBrace,
    RBrace,
    Semi,
    Attrs,
    Eof,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
    column: usize,
}

fn err(line: usize, column: usize, message: impl Into<String>) -> CausalError {
    CausalError::Parse { line, column, message: message.into() }
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    column: usize,
}

impl Lexer<'_> {
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn tokens(mut self) -> Result<Vec<Token>, CausalError> {
        let mut out = Vec::new();
        loop {
            while self.chars.peek().is_some_and(|c| c.is_whitespace()) {
                self.bump();
            }
            let (line, column) = (self.line, self.column);
            let Some(c) = self.bump() else {
                out.push(Token { tok: Tok::Eof, line, column });
                return Ok(out);
            };
            let tok = match c {
                '{' => Tok::LBrace,
                '}' => Tok::RBrace,
                ';' => Tok::Semi,
                '-' => match self.bump() {
                    Some('>') => Tok::Arrow,
                    Some('-') => {
                        return Err(err(line, column, "undirected edges (--) are not supported"));
                    }
                    _ => return Err(err(line, column, "expected '->'")),
                },
                '<' => match self.bump() {
                    Some('-') if self.chars.peek() == Some(&'>') => {
                        return Err(err(line, column, "bidirected edges (<->) are not supported"));
                    }
                    Some('-') => Tok::BackArrow,
                    _ => return Err(err(line, column, "expected '<-'")),
                },
                '[' => {
                    self.skip_attrs(line, column)?;
                    Tok::Attrs
                }
                '"' => Tok::Ident(self.quoted(line, column)?),
                c if c.is_ascii_alphanumeric() || c == '_' => {
                    let mut name = String::from(c);
                    while let Some(&c) = self.chars.peek() {
                        if !(c.is_ascii_alphanumeric() || c == '_') {
                            break;
                        }
                        name.push(c);
                        self.bump();
                    }
                    Tok::Ident(name)
                }
                c => return Err(err(line, column, format!("unexpected character {c:?}"))),
            };
            out.push(Token { tok, line, column });
        }
    }

    /// Skips to the `]` matching an already consumed `[`, honouring strings.
    fn skip_attrs(&mut self, line: usize, column: usize) -> Result<(), CausalError> {
        let mut in_string = false;
        while let Some(c) = self.bump() {
            match (in_string, c) {
                (true, '\\') => {
                    self.bump();
                }
                (_, '"') => in_string = !in_string,
                (false, ']') => return Ok(()),
                _ => {}
            }
        }
        Err(err(line, column, "attribute list '[' is never closed"))
    }

    /// Reads a quoted name after an already consumed `"`.
    fn quoted(&mut self, line: usize, column: usize) -> Result<String, CausalError> {
        let mut s = String::new();
        while let Some(c) = self.bump() {
            match c {
                '"' => return Ok(s),
                '\\' => {
                    if let Some(e) = self.bump() {
                        s.push(e);
                    }
                }
                c => s.push(c),
            }
        }
        Err(err(line, column, "quoted name is never closed"))
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    dag: Dag,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The lexer always ends with Eof and `pos` never passes it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) {
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
    }

    fn skip_attrs(&mut self) {
        while self.peek().tok == Tok::Attrs {
            self.advance();
        }
    }

    /// Consumes a node name (and its attributes), creating the node if new.
    fn node(&mut self, after: &str) -> Result<NodeId, CausalError> {
        let t = self.peek().clone();
        let Tok::Ident(name) = &t.tok else {
            return Err(err(t.line, t.column, format!("expected a node name {after}")));
        };
        if !is_valid_name(name) {
            return Err(err(
                t.line,
                t.column,
                format!("invalid node name {name:?}: use only letters, digits and underscores"),
            ));
        }
        let id = self.dag.ensure_node(name).map_err(|e| err(t.line, t.column, e.to_string()))?;
        self.advance();
        self.skip_attrs();
        Ok(id)
    }

    fn parse(mut self) -> Result<Dag, CausalError> {
        let t = self.peek().clone();
        match &t.tok {
            Tok::Ident(k) if k == "dag" => {
                self.advance();
                let t = self.peek().clone();
                if t.tok != Tok::LBrace {
                    return Err(err(t.line, t.column, "expected '{' after 'dag'"));
                }
                self.advance();
            }
            Tok::LBrace => self.advance(),
            _ => return Err(err(t.line, t.column, "expected 'dag {'")),
        }
        loop {
            let t = self.peek().clone();
            match t.tok {
                Tok::RBrace => {
                    self.advance();
                    break;
                }
                Tok::Semi => self.advance(),
                Tok::Eof => return Err(err(t.line, t.column, "missing closing '}'")),
                Tok::Ident(_) => self.statement()?,
                Tok::Arrow | Tok::BackArrow => {
                    return Err(err(t.line, t.column, "edge is missing its first node"));
                }
                Tok::Attrs => {
                    return Err(err(t.line, t.column, "attributes must follow a node name"));
                }
                Tok::LBrace => return Err(err(t.line, t.column, "unexpected '{'")),
            }
        }
        let t = self.peek();
        if t.tok != Tok::Eof {
            return Err(err(t.line, t.column, "unexpected text after the closing '}'"));
        }
        Ok(self.dag)
    }

    /// `name [attrs] (-> name [attrs] | <- name [attrs])*`
    fn statement(&mut self) -> Result<(), CausalError> {
        let mut prev = self.node("")?;
        loop {
            let arrow = self.peek().clone();
            let forward = match arrow.tok {
                Tok::Arrow => true,
                Tok::BackArrow => false,
                _ => return Ok(()),
            };
            self.advance();
            let next = self.node(if forward { "after '->'" } else { "after '<-'" })?;
            let (from, to) = if forward { (prev, next) } else { (next, prev) };
            if !self.dag.has_edge(from, to) {
                self.dag.add_edge(from, to).map_err(|e| err(arrow.line, arrow.column, e.to_string()))?;
            }
            prev = next;
        }
    }
}

/// Parses `DAGitty` text such as `dag { a -> b  b -> c  d }`.
///
/// # Errors
/// [`CausalError::Parse`] with the line and column of the offending token,
/// including edges that would form a cycle or a self-loop.
pub fn parse_dagitty(text: &str) -> Result<Dag, CausalError> {
    let tokens = Lexer { chars: text.chars().peekable(), line: 1, column: 1 }.tokens()?;
    Parser { tokens, pos: 0, dag: Dag::new() }.parse()
}

/// `DAGitty` text: every node on its own line (in id order), then every edge.
#[must_use]
pub fn to_dagitty(dag: &Dag) -> String {
    let mut s = String::from("dag {\n");
    for v in dag.nodes() {
        let _ = writeln!(s, "  {}", dag.label(v));
    }
    for (u, v) in dag.edges() {
        let _ = writeln!(s, "  {} -> {}", dag.label(u), dag.label(v));
    }
    s.push_str("}\n");
    s
}

/// Graphviz DOT, e.g. `digraph {\n  "a";\n  "a" -> "b";\n}\n`.
#[must_use]
pub fn to_dot(dag: &Dag) -> String {
    let q = |v: NodeId| {
        let name = dag.label(v).replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{name}\"")
    };
    let mut s = String::from("digraph {\n");
    for v in dag.nodes() {
        let _ = writeln!(s, "  {};", q(v));
    }
    for (u, v) in dag.edges() {
        let _ = writeln!(s, "  {} -> {};", q(u), q(v));
    }
    s.push_str("}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge_names(d: &Dag) -> Vec<(String, String)> {
        let mut e: Vec<(String, String)> = d.edges().map(|(u, v)| (d.label(u), d.label(v))).collect();
        e.sort();
        e
    }

    fn node_names(d: &Dag) -> Vec<String> {
        d.nodes().map(|v| d.label(v)).collect()
    }

    fn parse_err(text: &str) -> (usize, usize, String) {
        match parse_dagitty(text) {
            Err(CausalError::Parse { line, column, message }) => (line, column, message),
            other => panic!("expected a parse error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_basic_example() {
        let d = parse_dagitty("dag { a -> b  b -> c  d }").expect("valid");
        assert_eq!(node_names(&d), ["a", "b", "c", "d"]);
        assert_eq!(edge_names(&d), [("a".into(), "b".into()), ("b".into(), "c".into())]);
    }

    #[test]
    fn parses_back_arrows_chains_attributes_and_separators() {
        let text = "dag {\n  x [exposure, pos=\"0.1,-2\"]\n  y [outcome]; z [latent]\n  x -> m -> y <- z\r\n  w <- z; x -> m\n}\n";
        let d = parse_dagitty(text).expect("valid");
        assert_eq!(node_names(&d), ["x", "y", "z", "m", "w"]);
        assert_eq!(
            edge_names(&d),
            [("m".into(), "y".into()), ("x".into(), "m".into()), ("z".into(), "w".into()), ("z".into(), "y".into()),]
        );
        let bare = parse_dagitty("{ \"a\" -> b }").expect("braces and quotes");
        assert_eq!(edge_names(&bare), [("a".into(), "b".into())]);
        assert!(parse_dagitty("dag {}").expect("empty").is_empty());
    }

    #[test]
    fn round_trip() {
        let d = Dag::from_edges(&[("a", "e"), ("f", "e"), ("f", "b"), ("e", "c")]).expect("valid");
        let mut d = d;
        d.add_node("lonely").expect("name");
        let text = to_dagitty(&d);
        assert_eq!(text, "dag {\n  a\n  e\n  f\n  b\n  c\n  lonely\n  a -> e\n  e -> c\n  f -> e\n  f -> b\n}\n");
        let back = parse_dagitty(&text).expect("own output parses");
        assert_eq!(node_names(&back), node_names(&d));
        assert_eq!(edge_names(&back), edge_names(&d));
        assert_eq!(to_dagitty(&back), text);
    }

    #[test]
    fn dot_export() {
        let d = Dag::from_edges(&[("a", "b")]).expect("valid");
        assert_eq!(to_dot(&d), "digraph {\n  \"a\";\n  \"b\";\n  \"a\" -> \"b\";\n}\n");
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        assert_eq!(parse_err("dag {\n  a -> \n}").0, 3);
        assert_eq!(parse_err("dag {\n  a -> \n}").1, 1);
        assert!(parse_err("dag {\n  a -> \n}").2.contains("node name"));

        let (line, column, msg) = parse_err("dag {\n  a $ b\n}");
        assert_eq!((line, column), (2, 5));
        assert!(msg.contains("'$'"), "{msg}");

        let (line, column, msg) = parse_err("dag {\n a -> b\n b -> a\n}");
        assert_eq!((line, column), (3, 4));
        assert_eq!(msg, "edge b → a would close the cycle a → b → a");

        let (line, column, msg) = parse_err("dag {\n  a -> a }");
        assert_eq!((line, column), (2, 5));
        assert!(msg.contains("self-loop"), "{msg}");

        assert_eq!(parse_err("dag { a -> b"), (1, 13, "missing closing '}'".into()));
        assert_eq!(parse_err("digraph { }").0, 1);
        assert_eq!(parse_err("dag { a } b"), (1, 11, "unexpected text after the closing '}'".into()));
        assert_eq!(parse_err("dag { a [pos=\"]\" }").1, 9);
        assert_eq!(parse_err("dag { a <-> b }").1, 9);
        assert_eq!(parse_err("dag { a -- b }").1, 9);
        assert_eq!(parse_err("dag { -> b }").1, 7);
        assert_eq!(parse_err("dag { \"a b\" }").1, 7);
        assert_eq!(parse_err("dag { a -> { b c } }").1, 12);
        assert_eq!(parse_err("").0, 1);
    }

    #[test]
    fn malformed_text_never_panics() {
        let good = "dag {\n x [pos=\"1,2\"] -> y <- \"z\"; w\n}";
        for (i, _) in good.char_indices() {
            let _ = parse_dagitty(&good[..i]);
            let _ = parse_dagitty(&good[i..]);
        }
        let alphabet: Vec<char> = "dag{}[]\"\\;-<> \n\tab_é→⫫".chars().collect();
        let mut state = 12_345u64;
        for _ in 0..3000 {
            let mut s = String::new();
            for _ in 0..(state % 24) {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let k = usize::try_from(state >> 33).expect("fits") % alphabet.len();
                s.push(alphabet[k]);
            }
            if let Ok(d) = parse_dagitty(&s) {
                assert_eq!(d.topological_order().len(), d.len());
            }
        }
    }
}
