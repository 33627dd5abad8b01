//! Fast reader for large graph files: `DAGitty` (`dag { a -> b <- c }`) and Graphviz DOT (`digraph { a -> b; }`),
//! told apart by the leading keyword, into a [`CompactDag`] with a name index.
//!
//! One pass over the bytes, no token vector, names borrowed from the input. Positions are byte offsets; lines and
//! columns are computed only when an error is reported.

use std::borrow::Cow;
use std::hash::BuildHasherDefault;

use super::compact::{CompactDag, FxHashMap};
use super::dag::{CausalError, Dag};

/// Which syntax a graph file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphSyntax {
    Dagitty,
    Dot,
}

/// A parsed graph: the DAG over dense ids and the names, borrowed from the text where possible.
#[derive(Debug, Clone)]
pub struct LoadedGraph<'a> {
    pub syntax: GraphSyntax,
    pub dag: CompactDag,
    pub index: FxHashMap<Cow<'a, str>, u32>,
    /// Node positions given as `pos="x,y"` attributes (`DAGitty` and DOT both use this form).
    pub positions: Vec<(u32, [f32; 2])>,
}

impl LoadedGraph<'_> {
    /// Id of the node called `name`.
    pub fn find(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// Names by id.
    pub fn names(&self) -> Vec<&str> {
        let mut names = vec![""; self.index.len()];
        for (name, &id) in &self.index {
            names[id as usize] = name;
        }
        names
    }

    /// The same graph as an editable [`Dag`], in time linear in its size (the parse already checked it acyclic).
    ///
    /// # Errors
    /// A name that the editor does not accept (DOT allows any quoted string).
    pub fn to_dag(&self) -> Result<Dag, CausalError> {
        let mut dag = Dag::new();
        let names = self.names();
        let ids = names.iter().map(|n| dag.add_node(n)).collect::<Result<Vec<_>, _>>()?;
        // The compact graph is acyclic (checked when parsed): only repeated edges need removing, per node.
        let mut children = Vec::new();
        for (u, &from) in ids.iter().enumerate() {
            children.clear();
            children.extend_from_slice(self.dag.children(u as u32));
            children.sort_unstable();
            children.dedup();
            for &v in &children {
                dag.push_checked_edge(from, ids[v as usize]);
            }
        }
        Ok(dag)
    }
}

/// The `x,y` of a `pos="x,y"` (or `pos="x,y!"`) attribute in an attribute list's text.
fn position(attrs: &str) -> Option<[f32; 2]> {
    attrs.match_indices("pos").find_map(|(at, _)| {
        // A whole key: not the end of a longer word such as `exposure`.
        if attrs[..at].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let rest = attrs[at + 3..].trim_start().strip_prefix('=')?.trim_start().strip_prefix('"')?;
        let value = &rest[..rest.find('"')?];
        let (x, y) = value.trim_end_matches('!').split_once(',')?;
        let (x, y) = (x.trim().parse::<f32>().ok()?, y.trim().parse::<f32>().ok()?);
        (x.is_finite() && y.is_finite()).then_some([x, y])
    })
}

/// 1-based line and column (in characters) of byte `offset`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    (line, column)
}

/// 1-based line and column of the first invalid byte of `bytes`, for an "invalid UTF-8" message.
pub fn utf8_error_position(bytes: &[u8], error: &std::str::Utf8Error) -> (usize, usize) {
    let good = &bytes[..error.valid_up_to()];
    let text = std::str::from_utf8(good).unwrap_or_default();
    line_column(text, text.len())
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Name(Cow<'a, str>),
    Arrow,
    BackArrow,
    LBrace,
    RBrace,
    Semi,
    Comma,
    Equals,
    /// An attribute list; the text between the brackets.
    Attrs(&'a str),
    Eof,
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    syntax: GraphSyntax,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    fn error(&self, offset: usize, message: impl Into<String>) -> CausalError {
        let (line, column) = line_column(self.text, offset);
        CausalError::Parse { line, column, message: message.into() }
    }

    /// Skips whitespace and comments (`// …`, `/* … */`, and `#` lines).
    fn skip_space(&mut self) -> Result<(), CausalError> {
        loop {
            match self.bytes.get(self.pos) {
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'\x0c') => self.pos += 1,
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'/') => self.skip_line(),
                Some(b'#') => self.skip_line(),
                Some(b'/') if self.bytes.get(self.pos + 1) == Some(&b'*') => {
                    let start = self.pos;
                    match self.text[self.pos + 2..].find("*/") {
                        Some(end) => self.pos += end + 4,
                        None => return Err(self.error(start, "comment '/*' is never closed")),
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_line(&mut self) {
        self.pos = self.bytes[self.pos..].iter().position(|&b| b == b'\n').map_or(self.bytes.len(), |p| self.pos + p);
    }

    /// The next token and its byte offset.
    fn next(&mut self) -> Result<(Tok<'a>, usize), CausalError> {
        self.skip_space()?;
        let start = self.pos;
        let Some(&b) = self.bytes.get(start) else {
            return Ok((Tok::Eof, start));
        };
        let next = self.bytes.get(start + 1).copied();
        self.pos += 1;
        let tok = match b {
            b'{' => Tok::LBrace,
            b'}' => Tok::RBrace,
            b';' => Tok::Semi,
            b',' => Tok::Comma,
            b'=' => Tok::Equals,
            b'-' if next == Some(b'>') => {
                self.pos += 1;
                Tok::Arrow
            }
            b'-' if next == Some(b'-') => return Err(self.error(start, "undirected edges (--) are not supported")),
            b'<' if next == Some(b'-') && self.bytes.get(start + 2) == Some(&b'>') => {
                return Err(self.error(start, "bidirected edges (<->) are not supported"));
            }
            b'<' if next == Some(b'-') && self.syntax == GraphSyntax::Dagitty => {
                self.pos += 1;
                Tok::BackArrow
            }
            b'-' => return Err(self.error(start, "expected '->'")),
            b'[' => {
                self.skip_attrs(start)?;
                Tok::Attrs(&self.text[start + 1..self.pos - 1])
            }
            b'"' => Tok::Name(self.quoted(start)?),
            b if is_name_byte(b) => {
                let len =
                    self.bytes[start..].iter().position(|&b| !is_name_byte(b)).unwrap_or(self.bytes.len() - start);
                self.pos = start + len;
                Tok::Name(Cow::Borrowed(&self.text[start..start + len]))
            }
            _ => {
                let c = self.text[start..].chars().next().unwrap_or('?');
                return Err(self.error(start, format!("unexpected character {c:?}")));
            }
        };
        Ok((tok, start))
    }

    /// Skips to the `]` matching an already consumed `[`, honouring strings.
    fn skip_attrs(&mut self, start: usize) -> Result<(), CausalError> {
        let mut in_string = false;
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            match (in_string, b) {
                (true, b'\\') => self.pos += 1,
                (_, b'"') => in_string = !in_string,
                (false, b']') => return Ok(()),
                _ => {}
            }
        }
        Err(self.error(start, "attribute list '[' is never closed"))
    }

    /// A quoted name after an already consumed `"`.
    fn quoted(&mut self, start: usize) -> Result<Cow<'a, str>, CausalError> {
        let body = start + 1;
        let mut escaped = false;
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += 1;
            match b {
                b'\\' => {
                    escaped = true;
                    self.pos += 1;
                }
                b'"' => {
                    let raw = &self.text[body..self.pos - 1];
                    if !escaped {
                        return Ok(Cow::Borrowed(raw));
                    }
                    let mut s = String::with_capacity(raw.len());
                    let mut chars = raw.chars();
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            s.extend(chars.next());
                        } else {
                            s.push(c);
                        }
                    }
                    return Ok(Cow::Owned(s));
                }
                _ => {}
            }
        }
        Err(self.error(start, "quoted name is never closed"))
    }
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<(Tok<'a>, usize)>,
    index: FxHashMap<Cow<'a, str>, u32>,
    edges: Vec<(u32, u32)>,
    /// Byte offset of each edge's arrow.
    edge_at: Vec<usize>,
    positions: Vec<(u32, [f32; 2])>,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Result<(Tok<'a>, usize), CausalError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next(),
        }
    }

    fn peek(&mut self) -> Result<&Tok<'a>, CausalError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next()?);
        }
        Ok(self.peeked.as_ref().map_or(&Tok::Eof, |(t, _)| t))
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> CausalError {
        self.lexer.error(offset, message)
    }

    fn intern(&mut self, name: Cow<'a, str>) -> u32 {
        if let Some(&id) = self.index.get(name.as_ref()) {
            return id;
        }
        let id = self.index.len() as u32;
        self.index.insert(name, id);
        id
    }

    fn skip_attrs(&mut self) -> Result<(), CausalError> {
        self.node_attrs(None)
    }

    /// Consumes attribute lists; a `pos="x,y"` in them is recorded for `node`.
    fn node_attrs(&mut self, node: Option<u32>) -> Result<(), CausalError> {
        while let Tok::Attrs(_) = self.peek()? {
            if let (Tok::Attrs(attrs), _) = self.next()?
                && let Some(node) = node
                && let Some(p) = position(attrs)
            {
                self.positions.push((node, p));
            }
        }
        Ok(())
    }

    fn header(&mut self) -> Result<usize, CausalError> {
        let (tok, at) = self.next()?;
        let keyword = match &tok {
            Tok::Eof => return Err(self.error(at, "the graph file is empty")),
            Tok::LBrace => return Ok(at),
            Tok::Name(k) => k.to_ascii_lowercase(),
            _ => return Err(self.error(at, "expected 'dag {' or 'digraph {'")),
        };
        match keyword.as_str() {
            "dag" if tok == Tok::Name(Cow::Borrowed("dag")) => {}
            "strict" | "digraph" => {
                self.lexer.syntax = GraphSyntax::Dot;
                if keyword == "strict" {
                    let (tok, at) = self.next()?;
                    if !matches!(&tok, Tok::Name(k) if k.eq_ignore_ascii_case("digraph")) {
                        return Err(self.error(at, "expected 'digraph' after 'strict'"));
                    }
                }
                if matches!(self.peek()?, Tok::Name(_)) {
                    self.next()?; // the graph's name
                }
            }
            "graph" => return Err(self.error(at, "undirected graphs ('graph {') are not supported; use 'digraph {'")),
            "pdag" | "mag" | "pag" => {
                return Err(self.error(at, format!("{keyword} graphs are not supported; use 'dag {{'")));
            }
            _ => return Err(self.error(at, "expected 'dag {' or 'digraph {'")),
        }
        let (tok, at) = self.next()?;
        if tok != Tok::LBrace {
            return Err(self.error(at, "expected '{'"));
        }
        Ok(at)
    }

    fn parse(mut self) -> Result<LoadedGraph<'a>, CausalError> {
        let open = self.header()?;
        loop {
            let (tok, at) = self.next()?;
            match tok {
                Tok::RBrace => break,
                Tok::Semi | Tok::Comma => {}
                Tok::Eof => {
                    let (line, _) = line_column(self.lexer.text, open);
                    return Err(self.error(at, format!("missing '}}' to close the '{{' on line {line}")));
                }
                Tok::LBrace => return Err(self.error(at, "unexpected '{' (subgraphs are not supported)")),
                Tok::Attrs(_) => return Err(self.error(at, "attributes must follow a node name")),
                Tok::Arrow | Tok::BackArrow => return Err(self.error(at, "edge is missing its first node")),
                Tok::Equals => return Err(self.error(at, "unexpected '='")),
                Tok::Name(name) => self.statement(name, at)?,
            }
        }
        let (tok, at) = self.next()?;
        if tok != Tok::Eof {
            return Err(self.error(at, "unexpected text after the closing '}' (unbalanced braces?)"));
        }
        let dag = CompactDag::new(self.index.len(), &self.edges).map_err(|cycle| {
            let mut names = vec![""; self.index.len()];
            for (name, &id) in &self.index {
                names[id as usize] = name;
            }
            let path: Vec<&str> = cycle.nodes.iter().map(|&v| names[v as usize]).collect();
            let at = self.edge_at.get(cycle.last_edge).copied().unwrap_or(0);
            self.error(at, format!("this edge closes the cycle {}", path.join(" → ")))
        })?;
        Ok(LoadedGraph { syntax: self.lexer.syntax, dag, index: self.index, positions: self.positions })
    }

    /// `name [attrs] ((-> | <-) name [attrs])*`, or `name = value`, or DOT's `node|edge|graph [attrs]`.
    fn statement(&mut self, first: Cow<'a, str>, at: usize) -> Result<(), CausalError> {
        if *self.peek()? == Tok::Equals {
            self.next()?;
            return match self.next()? {
                (Tok::Name(_), _) => Ok(()),
                (_, at) => Err(self.error(at, "expected a value after '='")),
            };
        }
        if self.lexer.syntax == GraphSyntax::Dot && self.lexer.bytes.get(at).is_none_or(|&b| b != b'"') {
            let keyword = first.to_ascii_lowercase();
            if matches!(keyword.as_str(), "node" | "edge" | "graph") {
                if !matches!(self.peek()?, Tok::Attrs(_)) {
                    let (_, at) = self.next()?;
                    return Err(self.error(at, format!("expected '[' after '{first}'")));
                }
                return self.skip_attrs();
            }
            if keyword == "subgraph" {
                return Err(self.error(at, "subgraphs are not supported"));
            }
        }
        let mut prev = self.intern(first);
        self.node_attrs(Some(prev))?;
        loop {
            let forward = match self.peek()? {
                Tok::Arrow => true,
                Tok::BackArrow => false,
                _ => return Ok(()),
            };
            let (_, arrow_at) = self.next()?;
            let (tok, name_at) = self.next()?;
            let Tok::Name(name) = tok else {
                let arrow = if forward { "->" } else { "<-" };
                return Err(self.error(name_at, format!("expected a node name after '{arrow}'")));
            };
            let next = self.intern(name);
            // In DOT, attributes after an edge belong to the edge.
            let owner = (self.lexer.syntax == GraphSyntax::Dagitty).then_some(next);
            self.node_attrs(owner)?;
            if next == prev {
                let n = self.lexer.text.get(name_at..).unwrap_or_default();
                let shown: String = n.chars().take_while(|&c| c != ' ' && c != '\n' && c != '\r').take(40).collect();
                return Err(self.error(arrow_at, format!("self-loop: an edge from {shown} to itself")));
            }
            self.edges.push(if forward { (prev, next) } else { (next, prev) });
            self.edge_at.push(arrow_at);
            prev = next;
        }
    }
}

/// Parses a `DAGitty` or DOT graph.
///
/// # Errors
/// [`CausalError::Parse`] with the line and column of the problem: syntax, unbalanced braces, a self-loop, or an
/// edge that closes a cycle (the cycle is named).
pub fn parse_graph(text: &str) -> Result<LoadedGraph<'_>, CausalError> {
    // A UTF-8 byte-order mark (as some editors on Windows write) is skipped.
    let start = if text.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let lexer = Lexer { text, bytes: text.as_bytes(), pos: start, syntax: GraphSyntax::Dagitty };
    let capacity = text.len() / 64;
    Parser {
        lexer,
        peeked: None,
        index: FxHashMap::with_capacity_and_hasher(capacity / 2, BuildHasherDefault::default()),
        edges: Vec::with_capacity(capacity),
        edge_at: Vec::with_capacity(capacity),
        positions: Vec::new(),
    }
    .parse()
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn an_editable_copy_of_a_long_chain_is_built_in_linear_time_without_repeated_edges() {
        // 100,000 nodes: checking each edge for a cycle (the editor's add_edge) would take ~5·10⁹ steps.
        let n = 100_000;
        let mut text = String::from("dag {\n");
        for i in 0..n - 1 {
            let _ = writeln!(text, "  v{i} -> v{}", i + 1);
        }
        text.push_str("  v0 -> v1\n}\n");
        let dag = parse_graph(&text).unwrap().to_dag().unwrap();
        assert_eq!((dag.len(), dag.edges().count()), (n, n - 1));
        let first = dag.find("v0").unwrap();
        assert_eq!(dag.children(first).len(), 1, "the repeated edge v0 -> v1 is kept once");
    }
    use crate::causal::compact::Separator;
    use crate::causal::{parse_dagitty, to_dagitty, to_dot};

    fn err(text: &str) -> (usize, usize, String) {
        match parse_graph(text) {
            Err(CausalError::Parse { line, column, message }) => (line, column, message),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("expected an error for {text:?}"),
        }
    }

    fn edges(text: &str) -> Vec<(String, String)> {
        let g = parse_graph(text).expect("valid");
        let names = g.names();
        let mut out: Vec<(String, String)> = (0..g.dag.len() as u32)
            .flat_map(|u| g.dag.children(u).iter().map(move |&v| (u, v)))
            .map(|(u, v)| (names[u as usize].to_owned(), names[v as usize].to_owned()))
            .collect();
        out.sort();
        out
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|&(a, b)| (a.to_owned(), b.to_owned())).collect()
    }

    #[test]
    fn dagitty_forms() {
        let want = pairs(&[("a", "b"), ("b", "c"), ("d", "c")]);
        assert_eq!(edges("dag { a -> b  b -> c ; c <- d }"), want);
        assert_eq!(edges("dag{a->b->c<-d}"), want);
        assert_eq!(edges("dag {\r\n a -> b;;\r\n b -> c\r\n d -> c }"), want);
        assert_eq!(edges("dag {\n a [exposure,pos=\"1,2\"]\n a -> b -> c <- d\n}\n"), want);
        let g = parse_graph("dag { lone a -> b }").expect("valid");
        assert_eq!(g.dag.len(), 3);
        assert_eq!(g.syntax, GraphSyntax::Dagitty);
        assert!(parse_graph("dag { bb=\"0,0,1,1\" A }").is_ok());
        assert!(parse_graph("dag { A a }").expect("case-sensitive").dag.len() == 2);
        assert_eq!(edges("\u{feff}dag { a -> b -> c <- d }"), want, "byte-order mark");
    }

    #[test]
    fn dot_forms() {
        let want = pairs(&[("a", "b"), ("b", "c")]);
        assert_eq!(edges("digraph { a -> b; b -> c; }"), want);
        assert_eq!(
            edges("strict digraph G {\n rankdir=LR\n node [shape=circle]\n \"a\" -> b -> c [color=red] // x\n}"),
            want
        );
        assert_eq!(edges("DiGraph{a->b\n/* c */ b->c}"), want);
        assert_eq!(parse_graph("digraph { a }").expect("valid").syntax, GraphSyntax::Dot);
    }

    #[test]
    fn round_trips_through_the_editor_formats() {
        let d = parse_dagitty("dag { a -> e  f -> e  f -> b  e -> c  lonely }").expect("valid");
        for text in [to_dagitty(&d), to_dot(&d)] {
            let back = parse_graph(&text).expect("own output").to_dag().expect("valid names");
            assert_eq!(to_dagitty(&back), to_dagitty(&d));
        }
    }

    #[test]
    fn bad_input_names_line_and_problem() {
        assert_eq!(err(""), (1, 1, "the graph file is empty".into()));
        assert_eq!(err("  \n \n").0, 3);
        let (line, _, msg) = err("dag {\n a -> b\n b -> c\n c -> a\n}");
        assert_eq!(line, 4);
        assert!(msg.contains("cycle") && msg.contains("a → b → c → a"), "{msg}");
        let (line, _, msg) = err("dag {\n a -> b\n b -> b\n}");
        assert_eq!(line, 3);
        assert!(msg.contains("self-loop"), "{msg}");
        let (line, _, msg) = err("dag {\n a -> b\n");
        assert_eq!(line, 3);
        assert!(msg.contains("missing '}'") && msg.contains("line 1"), "{msg}");
        assert!(err("dag { a } }").2.contains("unbalanced"));
        assert!(err("dag { a -> { b } }").2.contains("expected a node name after '->'"));
        assert!(err("digraph { { b } }").2.contains("subgraph"));
        assert!(err("graph { a -- b }").2.contains("undirected"));
        assert!(err("dag { a -- b }").2.contains("undirected"));
        assert!(err("dag { a <-> b }").2.contains("bidirected"));
        assert!(err("digraph { a <- b }").2.contains("unexpected character '<'"));
        assert_eq!(err("dag {\n a -> \n}").0, 3);
        assert!(err("hello { }").2.contains("expected 'dag {'"));
        assert_eq!(err("dag { a $ b }").1, 9);
        assert!(err("dag { a [x=1 }").2.contains("never closed"));
        assert!(err("dag { \"a }").2.contains("never closed"));
        assert!(err("digraph { /* }").2.contains("never closed"));
    }

    #[test]
    fn positions_are_read_from_node_attributes() {
        let g = parse_graph("dag { a [pos=\"1.5,-2\"] -> b [exposure, pos = \"3,4\"] c [pos=\"x\"] }").expect("valid");
        let mut p: Vec<(&str, [f32; 2])> = g.positions.iter().map(|&(id, p)| (g.names()[id as usize], p)).collect();
        p.sort_by(|a, b| a.0.cmp(b.0));
        assert_eq!(p, [("a", [1.5, -2.0]), ("b", [3.0, 4.0])]);
        let dot = parse_graph("digraph { a [pos=\"1,2!\"]; a -> b [pos=\"e,1,1\"] }").expect("valid");
        assert_eq!(dot.positions, [(0, [1.0, 2.0])]);
    }

    #[test]
    fn utf8_position() {
        let bytes = [b"dag {\n ab".as_slice(), &[0xff], b" }"].concat();
        let e = std::str::from_utf8(&bytes).expect_err("invalid");
        assert_eq!(utf8_error_position(&bytes, &e), (2, 4));
    }

    #[test]
    fn garbage_never_panics() {
        let alphabet: Vec<char> = "dag digraph{}[]\"\\;-<>/*#= \n\tab_é".chars().collect();
        let mut state = 99u64;
        for _ in 0..5000 {
            let mut s = String::new();
            for _ in 0..(state % 30) {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                s.push(alphabet[(state >> 33) as usize % alphabet.len()]);
            }
            if let Ok(g) = parse_graph(&s) {
                let mut sep = Separator::new(&g.dag);
                if g.dag.len() >= 2 {
                    let _ = sep.d_separated(&g.dag, &[0], &[1], &[]);
                }
            }
        }
    }
}
