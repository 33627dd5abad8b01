//! A TeX subset for the lecture's formulas, parsed into a tree ([`Node`]). Pure: no egui.
//!
//! Understood: letters (italic), digits and punctuation (upright), `^` and `_` (one of each per atom), `'`,
//! groups `{…}`, `\frac{a}{b}`, `\sqrt{x}`, `\left( … \right)` with `( ) [ ] | \| .`, accents `\bar \hat
//! \tilde`, `\mathbb{E}`, `\mathcal{L}`, `\mathrm{…}` / `\operatorname{…}` / `\text{…}`, Greek letters, big
//! operators (`\sum \prod \int`), function names (`\log \exp \det …`), relations and binary operators
//! (`\leq \sim \odot \mid \to \indep …`), spaces `\, \; \quad \!`. Unicode maths (θ, ≤, ∑) may be typed directly.

/// Why a formula cannot be typeset; `at` is the character position (from 1) in the formula's text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("formula, character {at}: {message}")]
pub struct MathError {
    pub at: usize,
    pub message: String,
}

/// At most this many characters in one formula (a lecture file controls it).
pub const MAX_CHARS: usize = 2_000;
/// At most this depth of nested groups, fractions and scripts.
pub const MAX_DEPTH: usize = 32;

/// How a piece of text is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Variables: italic.
    Italic,
    /// Digits, function names, operators, text.
    Upright,
}

/// What kind of atom a symbol is: decides the space around it (TeX's atom classes, simplified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Ordinary,
    /// `+ − ⊙ ×`: medium space on both sides (none when it starts a row: a sign).
    Binary,
    /// `= ≤ ∼ → |`: thick space on both sides.
    Relation,
    /// `,` `;`: thin space after.
    Punct,
    /// `log`, `exp`: thin space after, unless an opening bracket follows.
    Function,
    Open,
    Close,
}

/// A delimiter of `\left … \right`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delim {
    None,
    Paren(Side),
    Bracket(Side),
    Brace(Side),
    Bar,
    DoubleBar,
}

/// Which side of its contents a delimiter stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// An accent over an atom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accent {
    Bar,
    Hat,
    Tilde,
}

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Row(Vec<Node>),
    Symbol {
        text: String,
        face: Face,
        class: Class,
    },
    /// `\sum`, `\prod`: drawn larger, scripts as limits below and above.
    BigOp {
        symbol: char,
        limits: bool,
    },
    Frac {
        num: Box<Node>,
        den: Box<Node>,
    },
    Sqrt(Box<Node>),
    Scripts {
        base: Box<Node>,
        sub: Option<Box<Node>>,
        sup: Option<Box<Node>>,
    },
    Delimited {
        left: Delim,
        body: Box<Node>,
        right: Delim,
    },
    Accent {
        accent: Accent,
        body: Box<Node>,
    },
    /// Horizontal space in em (negative: a kern).
    Space(f32),
}

impl Node {
    fn symbol(text: impl Into<String>, face: Face, class: Class) -> Self {
        Self::Symbol { text: text.into(), face, class }
    }

    /// The formula as plain Unicode text (for screen readers and tests).
    pub fn plain(&self) -> String {
        match self {
            Self::Row(nodes) => nodes.iter().map(Self::plain).collect(),
            Self::Symbol { text, class, .. } => match class {
                Class::Relation | Class::Binary => format!(" {text} "),
                Class::Punct | Class::Function => format!("{text} "),
                _ => text.clone(),
            },
            Self::BigOp { symbol, .. } => symbol.to_string(),
            Self::Frac { num, den } => format!("({})/({})", num.plain(), den.plain()),
            Self::Sqrt(body) => format!("√({})", body.plain()),
            Self::Scripts { base, sub, sup } => {
                let script = |mark: &str, s: &Option<Box<Node>>| {
                    s.as_ref().map(|s| format!("{mark}{}", grouped(&s.plain()))).unwrap_or_default()
                };
                format!("{}{}{}", base.plain(), script("_", sub), script("^", sup))
            }
            Self::Delimited { left, body, right } => {
                format!("{}{}{}", delim_char(*left), body.plain(), delim_char(*right))
            }
            Self::Accent { accent, body } => {
                let mark = match accent {
                    Accent::Bar => '\u{304}',
                    Accent::Hat => '\u{302}',
                    Accent::Tilde => '\u{303}',
                };
                format!("{}{mark}", body.plain())
            }
            Self::Space(em) if *em > 0.0 => " ".into(),
            Self::Space(_) => String::new(),
        }
    }
}

fn grouped(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() == 1 { text.to_owned() } else { format!("{{{text}}}") }
}

/// The character a delimiter is written as (`None`: nothing).
pub fn delim_char(delim: Delim) -> &'static str {
    match delim {
        Delim::None => "",
        Delim::Paren(Side::Left) => "(",
        Delim::Paren(Side::Right) => ")",
        Delim::Bracket(Side::Left) => "[",
        Delim::Bracket(Side::Right) => "]",
        Delim::Brace(Side::Left) => "{",
        Delim::Brace(Side::Right) => "}",
        Delim::Bar => "|",
        Delim::DoubleBar => "‖",
    }
}

/// Parses one line of TeX maths.
pub fn parse(source: &str) -> Result<Node, MathError> {
    let count = source.chars().count();
    if count > MAX_CHARS {
        return Err(MathError { at: MAX_CHARS + 1, message: format!("longer than {MAX_CHARS} characters") });
    }
    let mut parser = Parser { chars: source.chars().collect(), at: 0, depth: 0 };
    let row = parser.row(Stop::End, 0)?;
    Ok(row)
}

/// Where a row ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    End,
    Brace,
    Right,
}

struct Parser {
    chars: Vec<char>,
    at: usize,
    depth: usize,
}

impl Parser {
    /// An error at character index `at` (counted from 0 here, from 1 in the message).
    fn error<T>(&self, at: usize, message: impl Into<String>) -> Result<T, MathError> {
        let at = at.min(self.chars.len());
        Err(MathError { at: at + 1, message: message.into() })
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.at += 1;
        }
    }

    fn enter(&mut self) -> Result<(), MathError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.error(self.at, format!("nested deeper than {MAX_DEPTH} levels"))
        } else {
            Ok(())
        }
    }

    /// Atoms with their scripts, up to `stop`; `opened` is where its `{` or `\\left` stands.
    fn row(&mut self, stop: Stop, opened: usize) -> Result<Node, MathError> {
        self.enter()?;
        let mut nodes = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek() {
                None if stop == Stop::End => break,
                None => {
                    let what =
                        if stop == Stop::Brace { "a '{' is never closed by '}'" } else { "\\left has no \\right" };
                    return self.error(opened, what);
                }
                Some('}') if stop == Stop::Brace => {
                    self.at += 1;
                    break;
                }
                Some('}') => return self.error(self.at, "'}' closes nothing"),
                Some('\\') if self.name_at(self.at + 1) == "right" => {
                    if stop == Stop::Right {
                        break;
                    }
                    return self.error(self.at, "\\right without \\left");
                }
                Some(_) => {
                    let atom = self.atom()?;
                    let atom = self.scripts(atom)?;
                    nodes.push(atom);
                }
            }
        }
        self.depth -= 1;
        Ok(if nodes.len() == 1 { nodes.remove(0) } else { Node::Row(nodes) })
    }

    /// The letters of a command name starting at `at` (empty when none start there).
    fn name_at(&self, at: usize) -> String {
        self.chars[at..].iter().take_while(|c| c.is_ascii_alphabetic()).collect()
    }

    /// `^` and `_` after an atom (and primes).
    fn scripts(&mut self, base: Node) -> Result<Node, MathError> {
        let (mut sub, mut sup) = (None, None);
        loop {
            self.skip_spaces();
            let start = self.at;
            match self.peek() {
                Some('^' | '_') => {
                    let is_sup = self.peek() == Some('^');
                    self.at += 1;
                    self.skip_spaces();
                    if self.peek().is_none_or(|c| matches!(c, '^' | '_' | '}')) {
                        return self.error(start, "'^' or '_' needs something after it");
                    }
                    let script = Box::new(self.atom()?);
                    let slot = if is_sup { &mut sup } else { &mut sub };
                    if slot.is_some() {
                        let which = if is_sup { "superscripts" } else { "subscripts" };
                        return self.error(start, format!("two {which} on one atom: group them with {{…}}"));
                    }
                    *slot = Some(script);
                }
                Some('\'') => {
                    self.at += 1;
                    if sup.is_some() {
                        return self.error(start, "a prime after a superscript: write ^{…′}");
                    }
                    sup = Some(Box::new(Node::symbol("′", Face::Upright, Class::Ordinary)));
                }
                _ => break,
            }
        }
        if sub.is_none() && sup.is_none() {
            return Ok(base);
        }
        Ok(Node::Scripts { base: Box::new(base), sub, sup })
    }

    /// One atom: a group, a command, or a character.
    fn atom(&mut self) -> Result<Node, MathError> {
        self.enter()?;
        let atom = self.atom_inside();
        self.depth -= 1;
        atom
    }

    fn atom_inside(&mut self) -> Result<Node, MathError> {
        self.skip_spaces();
        let start = self.at;
        let Some(c) = self.peek() else {
            return self.error(start.min(self.chars.len().saturating_sub(1)), "the formula ends too early");
        };
        self.at += 1;
        match c {
            '{' => self.row(Stop::Brace, start),
            '\\' => self.command(start),
            '}' => self.error(start, "'}' closes nothing"),
            '^' | '_' => self.error(start, format!("'{c}' needs something before it")),
            _ => Ok(char_atom(c)),
        }
    }

    /// The argument of a command: a braced group's raw text.
    fn raw_group(&mut self, command: &str) -> Result<String, MathError> {
        self.skip_spaces();
        if self.peek() != Some('{') {
            return self.error(self.at, format!("\\{command} needs {{…}} after it"));
        }
        let start = self.at;
        self.at += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return self.error(start, "a '{' is never closed by '}'"),
                Some('}') => {
                    self.at += 1;
                    return Ok(text);
                }
                Some(c) => {
                    text.push(c);
                    self.at += 1;
                }
            }
        }
    }

    fn command(&mut self, start: usize) -> Result<Node, MathError> {
        let name = self.name_at(self.at);
        if name.is_empty() {
            let Some(c) = self.peek() else { return self.error(start, "a lone '\\' at the end") };
            self.at += 1;
            return match c {
                ',' => Ok(Node::Space(3.0 / 18.0)),
                ':' | '>' => Ok(Node::Space(4.0 / 18.0)),
                ';' => Ok(Node::Space(5.0 / 18.0)),
                '!' => Ok(Node::Space(-3.0 / 18.0)),
                ' ' => Ok(Node::Space(0.3)),
                '|' => Ok(Node::symbol("‖", Face::Upright, Class::Ordinary)),
                '{' => Ok(Node::symbol("{", Face::Upright, Class::Open)),
                '}' => Ok(Node::symbol("}", Face::Upright, Class::Close)),
                '\\' => self.error(start, "line breaks '\\\\' are not supported: start a new line instead"),
                _ => self.error(start, format!("unknown command \\{c}")),
            };
        }
        self.at += name.chars().count();
        match name.as_str() {
            "frac" => {
                let num = Box::new(self.atom()?);
                let den = Box::new(self.atom()?);
                Ok(Node::Frac { num, den })
            }
            "sqrt" => Ok(Node::Sqrt(Box::new(self.atom()?))),
            "left" => {
                let left = self.delimiter(Side::Left)?;
                let body = Box::new(self.row(Stop::Right, start)?);
                self.at += 1 + "right".len();
                let right = self.delimiter(Side::Right)?;
                Ok(Node::Delimited { left, body, right })
            }
            "bar" | "overline" => self.accent(Accent::Bar),
            "hat" | "widehat" => self.accent(Accent::Hat),
            "tilde" | "widetilde" => self.accent(Accent::Tilde),
            "mathbb" => self.letters(&name, double_struck),
            "mathcal" => self.letters(&name, script),
            "mathrm" | "operatorname" => {
                let text = self.raw_group(&name)?;
                let class = if name == "operatorname" { Class::Function } else { Class::Ordinary };
                Ok(Node::symbol(text.trim(), Face::Upright, class))
            }
            "text" | "textrm" => Ok(Node::symbol(self.raw_group(&name)?, Face::Upright, Class::Ordinary)),
            "quad" => Ok(Node::Space(1.0)),
            "qquad" => Ok(Node::Space(2.0)),
            "sum" => Ok(Node::BigOp { symbol: '∑', limits: true }),
            "prod" => Ok(Node::BigOp { symbol: '∏', limits: true }),
            "int" => Ok(Node::BigOp { symbol: '∫', limits: false }),
            _ => match named_symbol(&name) {
                Some(node) => Ok(node),
                None => self.error(start, format!("unknown command \\{name}")),
            },
        }
    }

    fn accent(&mut self, accent: Accent) -> Result<Node, MathError> {
        Ok(Node::Accent { accent, body: Box::new(self.atom()?) })
    }

    /// `\mathbb{E}`: each letter mapped to its alphabet (upright when it has no such letter).
    fn letters(&mut self, command: &str, map: fn(char) -> Option<char>) -> Result<Node, MathError> {
        let text: String = self.raw_group(command)?.chars().map(|c| map(c).unwrap_or(c)).collect();
        Ok(Node::symbol(text, Face::Upright, Class::Ordinary))
    }

    fn delimiter(&mut self, side: Side) -> Result<Delim, MathError> {
        self.skip_spaces();
        let start = self.at;
        let Some(c) = self.peek() else { return self.error(start, "\\left or \\right needs a delimiter after it") };
        self.at += 1;
        let delim = match c {
            '.' => Delim::None,
            '(' | ')' => Delim::Paren(side),
            '[' | ']' => Delim::Bracket(side),
            '|' => Delim::Bar,
            '‖' => Delim::DoubleBar,
            '\\' => match self.peek() {
                Some('|') => {
                    self.at += 1;
                    Delim::DoubleBar
                }
                Some('{' | '}') => {
                    self.at += 1;
                    Delim::Brace(side)
                }
                _ => return self.error(start, "\\left and \\right take ( ) [ ] | \\| \\{ \\} or ."),
            },
            _ => return self.error(start, format!("'{c}' cannot follow \\left or \\right: use ( ) [ ] | \\| or .")),
        };
        Ok(delim)
    }
}

/// An atom typed as one character.
fn char_atom(c: char) -> Node {
    let (face, class) = match c {
        '-' => return Node::symbol("−", Face::Upright, Class::Binary),
        '+' | '−' | '±' | '×' | '·' | '⊙' | '∘' | '*' => (Face::Upright, Class::Binary),
        '=' | '<' | '>' | '≤' | '≥' | '≠' | '≈' | '∼' | '→' | '←' | '∈' | '∝' | '≡' | '⇒' | '⇔' | ':' => {
            (Face::Upright, Class::Relation)
        }
        ',' | ';' => (Face::Upright, Class::Punct),
        '(' | '[' => (Face::Upright, Class::Open),
        ')' | ']' => (Face::Upright, Class::Close),
        c if c.is_alphabetic() && is_italic_letter(c) => (Face::Italic, Class::Ordinary),
        _ => (Face::Upright, Class::Ordinary),
    };
    Node::symbol(c, face, class)
}

/// Latin letters and lowercase Greek are italic in maths; capital Greek is upright (TeX's convention).
fn is_italic_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || ('α'..='ω').contains(&c) || matches!(c, 'ϵ' | 'ϑ' | 'ϕ')
}

/// Greek letters, symbols, relations, binary operators and function names.
fn named_symbol(name: &str) -> Option<Node> {
    const GREEK: [(&str, char); 30] = [
        ("alpha", 'α'),
        ("beta", 'β'),
        ("gamma", 'γ'),
        ("delta", 'δ'),
        ("epsilon", 'ϵ'),
        ("varepsilon", 'ε'),
        ("zeta", 'ζ'),
        ("eta", 'η'),
        ("theta", 'θ'),
        ("kappa", 'κ'),
        ("lambda", 'λ'),
        ("mu", 'μ'),
        ("nu", 'ν'),
        ("xi", 'ξ'),
        ("pi", 'π'),
        ("rho", 'ρ'),
        ("sigma", 'σ'),
        ("tau", 'τ'),
        ("phi", 'ϕ'),
        ("varphi", 'φ'),
        ("chi", 'χ'),
        ("psi", 'ψ'),
        ("omega", 'ω'),
        ("Gamma", 'Γ'),
        ("Delta", 'Δ'),
        ("Theta", 'Θ'),
        ("Lambda", 'Λ'),
        ("Sigma", 'Σ'),
        ("Phi", 'Φ'),
        ("Omega", 'Ω'),
    ];
    const RELATIONS: [(&str, &str); 21] = [
        ("leq", "≤"),
        ("le", "≤"),
        ("geq", "≥"),
        ("ge", "≥"),
        ("neq", "≠"),
        ("approx", "≈"),
        ("sim", "∼"),
        ("propto", "∝"),
        ("in", "∈"),
        ("to", "→"),
        ("rightarrow", "→"),
        ("leftarrow", "←"),
        ("gets", "←"),
        ("Rightarrow", "⇒"),
        ("Leftrightarrow", "⇔"),
        ("iff", "⇔"),
        ("equiv", "≡"),
        ("mid", "|"),
        ("perp", "⊥"),
        ("indep", "⊥⊥"),
        ("coloneqq", "≔"),
    ];
    const BINARY: [(&str, &str); 5] = [("cdot", "·"), ("times", "×"), ("odot", "⊙"), ("pm", "±"), ("circ", "∘")];
    const ORDINARY: [(&str, &str); 11] = [
        ("nabla", "∇"),
        ("partial", "∂"),
        ("infty", "∞"),
        ("ldots", "…"),
        ("dots", "…"),
        ("cdots", "⋯"),
        ("ell", "ℓ"),
        ("emptyset", "∅"),
        ("langle", "⟨"),
        ("rangle", "⟩"),
        ("top", "⊤"),
    ];
    const FUNCTIONS: [&str; 12] = ["log", "exp", "det", "max", "min", "sin", "cos", "tanh", "arg", "sup", "inf", "lim"];
    if let Some(&(_, c)) = GREEK.iter().find(|(n, _)| *n == name) {
        let face = if is_italic_letter(c) { Face::Italic } else { Face::Upright };
        return Some(Node::symbol(c, face, Class::Ordinary));
    }
    if let Some(s) = lookup(&RELATIONS, name) {
        return Some(Node::symbol(s, Face::Upright, Class::Relation));
    }
    if let Some(s) = lookup(&BINARY, name) {
        return Some(Node::symbol(s, Face::Upright, Class::Binary));
    }
    if let Some(s) = lookup(&ORDINARY, name) {
        return Some(Node::symbol(s, Face::Upright, Class::Ordinary));
    }
    FUNCTIONS.contains(&name).then(|| Node::symbol(name, Face::Upright, Class::Function))
}

fn lookup(table: &[(&'static str, &'static str)], name: &str) -> Option<&'static str> {
    table.iter().find(|(n, _)| *n == name).map(|&(_, s)| s)
}

/// 𝔸 … 𝕫 (Unicode's double-struck letters; ℂ ℍ ℕ ℙ ℚ ℝ ℤ sit in the letterlike block).
fn double_struck(c: char) -> Option<char> {
    let hole = match c {
        'C' => Some('ℂ'),
        'H' => Some('ℍ'),
        'N' => Some('ℕ'),
        'P' => Some('ℙ'),
        'Q' => Some('ℚ'),
        'R' => Some('ℝ'),
        'Z' => Some('ℤ'),
        _ => None,
    };
    hole.or_else(|| offset_letter(c, 0x1D538, 0x1D552))
}

/// Script capitals the shipped fonts have (ℒ ℋ ℛ ℬ ℰ ℱ ℳ ℐ); others stay upright.
fn script(c: char) -> Option<char> {
    match c {
        'B' => Some('ℬ'),
        'E' => Some('ℰ'),
        'F' => Some('ℱ'),
        'H' => Some('ℋ'),
        'I' => Some('ℐ'),
        'L' => Some('ℒ'),
        'M' => Some('ℳ'),
        'R' => Some('ℛ'),
        _ => None,
    }
}

fn offset_letter(c: char, upper: u32, lower: u32) -> Option<char> {
    let code = match c {
        'A'..='Z' => upper + (c as u32 - 'A' as u32),
        'a'..='z' => lower + (c as u32 - 'a' as u32),
        _ => return None,
    };
    char::from_u32(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(text: &str) -> String {
        text.to_owned()
    }

    #[test]
    fn letters_are_italic_digits_and_functions_upright() {
        let Node::Row(nodes) = parse("x2 \\log").unwrap() else { panic!("a row") };
        assert_eq!(nodes[0], Node::Symbol { text: sym("x"), face: Face::Italic, class: Class::Ordinary });
        assert_eq!(nodes[1], Node::Symbol { text: sym("2"), face: Face::Upright, class: Class::Ordinary });
        assert_eq!(nodes[2], Node::Symbol { text: sym("log"), face: Face::Upright, class: Class::Function });
    }

    #[test]
    fn scripts_attach_to_the_atom_before() {
        let node = parse("x_{t-1}^2").unwrap();
        let Node::Scripts { base, sub, sup } = node else { panic!("scripts") };
        assert_eq!(base.plain(), "x");
        assert_eq!(sub.unwrap().plain(), "t − 1");
        assert_eq!(sup.unwrap().plain(), "2");
    }

    #[test]
    fn plain_text_reads_like_the_unicode_formula() {
        let node = parse(r"\mathbb{E}_q\left[\log p(x \mid z)\right] - \frac{1}{K}\sum_k \theta").unwrap();
        assert_eq!(node.plain(), "𝔼_q[log p(x | z)] − (1)/(K)∑_kθ");
        assert_eq!(parse(r"x \indep y \mid m").unwrap().plain(), "x ⊥⊥ y | m");
    }

    #[test]
    fn malformed_formulas_name_the_place() {
        let cases = [
            ("x^", 2, "needs something after"),
            ("{x", 1, "never closed"),
            (r"\sqrt", 5, "ends too early"),
            ("x}", 2, "closes nothing"),
            (r"\foo x", 1, "unknown command \\foo"),
            ("x^1^2", 4, "two superscripts"),
            (r"\left( x", 1, "\\left has no \\right"),
            (r"x \right)", 3, "\\right without \\left"),
            (r"\frac{1}", 8, "ends too early"),
            (r"\left< x \right>", 6, "cannot follow"),
            ("_x", 1, "needs something before"),
        ];
        for (source, at, message) in cases {
            let error = parse(source).unwrap_err();
            assert_eq!(error.at, at, "{source}: {error}");
            assert!(error.message.contains(message), "{source}: {error}");
        }
    }

    #[test]
    fn sizes_a_file_controls_are_bounded() {
        assert!(parse(&"x".repeat(MAX_CHARS + 1)).unwrap_err().message.contains("longer"));
        let deep = format!("{}x{}", "{".repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
        let roots = r"\sqrt".repeat(MAX_DEPTH + 1) + "x";
        assert!(parse(&roots).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn blackboard_and_script_letters_map_to_unicode() {
        assert_eq!(parse(r"\mathbb{E}").unwrap().plain(), "𝔼");
        assert_eq!(parse(r"\mathbb{R}").unwrap().plain(), "ℝ");
        assert_eq!(parse(r"\mathcal{L}").unwrap().plain(), "ℒ");
        assert_eq!(parse(r"\mathcal{N}").unwrap().plain(), "N");
    }

    #[test]
    fn left_right_delimiters() {
        let Node::Delimited { left, right, .. } = parse(r"\left\| x \right.").unwrap() else { panic!("delimited") };
        assert_eq!((left, right), (Delim::DoubleBar, Delim::None));
    }
}
