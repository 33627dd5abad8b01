//! The `dsep` command's query language: one query per line, `a, b _||_ c | d, e` (X `_||_` Y, optionally `|` Z),
//! answered `true` (d-separated) or `false`.

use std::io::{BufRead, Read, Write};

use super::compact::Separator;
use super::dag::is_valid_name;
use super::text::LoadedGraph;

/// Longest accepted query line, in bytes.
pub const MAX_QUERY_LINE: usize = 4 << 20;

/// A query failed: what went wrong and on which (1-based) input line.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("query line {line}: {message}")]
    Bad { line: usize, message: String },
    #[error("reading queries: {0}")]
    Read(std::io::Error),
    #[error("writing answers: {0}")]
    Write(std::io::Error),
}

/// A parsed query with node ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub x: Vec<u32>,
    pub y: Vec<u32>,
    pub z: Vec<u32>,
}

fn names<'t>(part: &'t str, side: &str) -> Result<Vec<&'t str>, String> {
    let part = part.trim();
    if part.is_empty() {
        return Err(format!("{side} is empty"));
    }
    part.split(',')
        .map(|n| {
            let n = n.trim();
            if n.is_empty() {
                Err(format!("empty name in {side} (two commas in a row, or a trailing comma?)"))
            } else if !is_valid_name(n) {
                let shown: String = n.chars().take(40).collect();
                Err(format!(
                    "invalid name {shown:?} in {side}: use letters, digits and underscores, separated by commas"
                ))
            } else {
                Ok(n)
            }
        })
        .collect()
}

/// Parses one non-blank query line against `graph`.
///
/// # Errors
/// A message naming the problem: no `_||_`, an empty or invalid name list, an unknown node, or two of X, Y and Z
/// sharing a node (the three sets must be disjoint, as the editor keeps them).
pub fn parse_query(graph: &LoadedGraph<'_>, line: &str) -> Result<Query, String> {
    let Some(bars) = line.find("||") else {
        return Err("missing '_||_' (expected e.g. 'a, b _||_ c | d, e')".into());
    };
    let (left, right) = (&line[..bars], &line[bars + 2..]);
    let (Some(left), Some(right)) = (left.strip_suffix('_'), right.strip_prefix('_')) else {
        return Err("missing '_||_': write the separator with underscores on both sides, e.g. 'a _||_ b'".into());
    };
    let (right, given) = match right.split_once('|') {
        Some((y, z)) => (y, Some(z)),
        None => (right, None),
    };
    let lookup = |names: Vec<&str>| -> Result<Vec<u32>, String> {
        names.iter().map(|&n| graph.find(n).ok_or_else(|| format!("unknown node {n:?}"))).collect()
    };
    let x = lookup(names(left, "X (before '_||_')")?)?;
    let y = lookup(names(right, "Y (after '_||_')")?)?;
    let z = match given.map(str::trim) {
        Some(z) if !z.is_empty() => lookup(names(z, "Z (after '|')")?)?,
        _ => Vec::new(),
    };
    let in_y: std::collections::HashSet<u32> = y.iter().copied().collect();
    let name = |v: u32| graph.names()[v as usize].to_owned();
    if let Some(&both) = x.iter().find(|v| in_y.contains(v)) {
        return Err(format!("X and Y overlap: {:?} is on both sides of '_||_'", name(both)));
    }
    let in_z: std::collections::HashSet<u32> = z.iter().copied().collect();
    for (set, side) in [(&x, "X"), (&y, "Y")] {
        if let Some(&both) = set.iter().find(|v| in_z.contains(v)) {
            return Err(format!("{side} and Z overlap: {:?} is both asked about and given (after '|')", name(both)));
        }
    }
    Ok(Query { x, y, z })
}

/// Reads queries from `input` until it ends and writes `true`/`false` lines to `out`; returns the number answered.
///
/// # Errors
/// The first bad line (with its number), an over-long or non-UTF-8 line, or an I/O error.
pub fn answer_queries(graph: &LoadedGraph<'_>, input: impl BufRead, out: impl Write) -> Result<usize, QueryError> {
    let mut input = input;
    let mut out = std::io::BufWriter::new(out);
    let mut separator = Separator::new(&graph.dag);
    let mut buf = Vec::new();
    let mut answered = 0;
    for line_no in 1.. {
        buf.clear();
        let read =
            (&mut input).take(MAX_QUERY_LINE as u64 + 1).read_until(b'\n', &mut buf).map_err(QueryError::Read)?;
        if read == 0 {
            break;
        }
        let bad = |message: String| QueryError::Bad { line: line_no, message };
        if buf.len() > MAX_QUERY_LINE {
            let _ = out.flush();
            return Err(bad(format!("line is longer than {} MiB", MAX_QUERY_LINE >> 20)));
        }
        let text = std::str::from_utf8(&buf).map_err(|e| {
            let _ = out.flush();
            bad(format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1))
        })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let query = parse_query(graph, text).map_err(|m| {
            let _ = out.flush();
            bad(m)
        })?;
        let separated = separator.d_separated(&graph.dag, &query.x, &query.y, &query.z);
        out.write_all(if separated { b"true\n" } else { b"false\n" }).map_err(QueryError::Write)?;
        answered += 1;
    }
    out.flush().map_err(QueryError::Write)?;
    Ok(answered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causal::text::parse_graph;

    fn run(graph: &str, queries: &str) -> Result<String, String> {
        let g = parse_graph(graph).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        answer_queries(&g, queries.as_bytes(), &mut out).map_err(|e| e.to_string())?;
        Ok(String::from_utf8(out).expect("ascii"))
    }

    #[test]
    fn answers_bishop_fig_8_22() {
        let g = "dag { a -> e <- f -> b  e -> c }";
        let q = "a _||_ b | c\n\na _||_ b | f\r\na,a _||_ b\n  a _||_ b|e,f  \na _||_ c | e\nf_||_c|e";
        assert_eq!(run(g, q).expect("valid"), "false\ntrue\ntrue\ntrue\ntrue\ntrue\n");
        assert_eq!(run(g, "a _||_ b |").expect("empty Z"), "true\n");
    }

    #[test]
    fn underscores_in_names_are_not_confused_with_the_separator() {
        let g = "dag { x_ -> m -> _y }";
        assert_eq!(run(g, "x__||__y\nx_ _||_ _y | m").expect("valid"), "false\ntrue\n");
    }

    #[test]
    fn bad_queries_name_the_problem_and_line() {
        let g = "dag { a -> b }";
        let e = |q: &str| run(g, q).expect_err("bad query");
        assert_eq!(e("a _||_ b\nq _||_ b"), "query line 2: unknown node \"q\"");
        assert!(e("a b").contains("line 1: missing '_||_'"));
        assert!(e("a || b").contains("missing '_||_'"));
        assert!(e("a _||_ a").contains("overlap"));
        // Z shares a node with X or with Y, in either order of the lists: refused like X with Y.
        for q in ["a _||_ b | a", "a _||_ b | b", "a _||_ b | b, a", "a, b _||_ b | a"] {
            assert!(e(q).contains("overlap"), "{q}: {}", e(q));
        }
        assert_eq!(e("a _||_ b | a"), "query line 1: X and Z overlap: \"a\" is both asked about and given (after '|')");
        assert!(e(" _||_ b").contains("X (before '_||_') is empty"));
        assert!(e("a _||_  | b").contains("Y (after '_||_') is empty"));
        assert!(e("a,,b _||_ b").contains("empty name"));
        assert!(e("a _||_ b | c d").contains("invalid name"));
        // Long sets stay fast (no quadratic overlap check).
        let many = |n: &str| vec![n; 300_000].join(",");
        let long = format!("{} _||_ {}", many("a"), many("b"));
        assert_eq!(run(g, &long).expect("valid"), "false\n");
        let huge = format!("a _||_ {}", "b,".repeat(MAX_QUERY_LINE));
        assert!(e(&huge).contains("longer than"));
        let g = parse_graph(g).expect("valid");
        let mut out = Vec::new();
        let err = answer_queries(&g, &b"a _||_ b\n\xff\n"[..], &mut out).expect_err("invalid UTF-8");
        assert!(err.to_string().contains("line 2: invalid UTF-8"), "{err}");
        assert_eq!(out, b"false\n");
    }
}
