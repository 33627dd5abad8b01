//! d-separation: the `dsep` command end to end (answers, `DAGitty` and DOT input, every bad input) and the lesson tab.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `latent-lab dsep FILE` with `graph` in FILE and `queries` on stdin: (exit code, stdout, stderr).
fn dsep_bytes(graph: &[u8], queries: &[u8]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("graph.txt");
    std::fs::write(&path, graph).expect("write graph");
    let mut child = Command::new(env!("CARGO_BIN_EXE_latent-lab"))
        .arg("dsep")
        .arg(&path)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run latent-lab");
    let mut stdin = child.stdin.take().expect("stdin");
    let queries = queries.to_vec();
    // Write on a thread: the command may stop reading early (bad input) or answer while we write.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&queries);
    });
    let out = child.wait_with_output().expect("wait");
    let _ = writer.join();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn dsep(graph: &str, queries: &str) -> (i32, String, String) {
    dsep_bytes(graph.as_bytes(), queries.as_bytes())
}

/// Asserts a failure whose message contains every piece of `wanted`.
fn fails(graph: &[u8], queries: &[u8], wanted: &[&str]) {
    let (code, _, stderr) = dsep_bytes(graph, queries);
    assert_ne!(code, 0, "expected failure, stderr: {stderr}");
    for w in wanted {
        assert!(stderr.contains(w), "{w:?} not in {stderr:?}");
    }
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
}

const FIG_8_22: &str = "dag { a -> e  f -> e  f -> b  e -> c }";

#[test]
fn answers_queries_on_dagitty_and_dot() {
    let queries = "a _||_ b | c\na _||_ b | f\n\na _||_ b\na,f _||_ c\nc _||_ b|e,f\n";
    let want = "false\ntrue\ntrue\nfalse\ntrue\n";
    assert_eq!(dsep(FIG_8_22, queries), (0, want.into(), String::new()));
    let dot = "digraph G {\n  a -> e;\n  f -> e;\n  f -> b;\n  e -> c;\n}\n";
    assert_eq!(dsep(dot, queries).1, want);
    // Syntax variants from the issue: chains, mixed arrows, no spaces, CRLF, ;;, lone names, no final newline.
    let variants = ["dag{a->e<-f->b\ne->c}", "dag {\r\n a -> e <- f ;; f -> b\r\n e -> c ; lone\r\n}", FIG_8_22];
    for g in variants {
        assert_eq!(dsep(g, "a _||_ b | c\r\na _||_ b | f").1, "false\ntrue\n", "{g}");
    }
    assert_eq!(dsep("dag { x1 -> x2 -> x3 }", "x3 _||_ x1 | x2\nx3 _||_ x1").1, "true\nfalse\n");
    assert_eq!(dsep("dag { x -> m <- y  m -> d }", "x _||_ y\nx _||_ y | d").1, "true\nfalse\n");
    assert_eq!(dsep("dag { A a }", "A _||_ a").1, "true\n", "names are case-sensitive");
}

#[test]
fn agrees_with_the_core_on_random_graphs_in_both_syntaxes() {
    use latent_lab::causal::{NodeId, d_separated, parse_dagitty, to_dot};
    use std::fmt::Write as _;
    let mut state = 2024u64;
    let mut next = |n: usize| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    for graph in 0..12 {
        let n = 8 + next(30);
        let mut text = String::from("dag {\n");
        for i in 0..n {
            let _ = writeln!(text, " v{i}");
        }
        for _ in 0..2 * n {
            let a = next(n);
            let b = a + 1 + next(5);
            if b < n {
                let _ = writeln!(text, " v{a} -> v{b}");
            }
        }
        text.push('}');
        let dag = parse_dagitty(&text).expect("valid");
        let (mut queries, mut want) = (String::new(), String::new());
        for _ in 0..40 {
            let x = next(n);
            let y = (x + 1 + next(n - 1)) % n;
            let z: Vec<usize> = (0..next(4)).map(|_| next(n)).filter(|&v| v != x && v != y).collect();
            let names = |v: &[usize]| v.iter().map(|i| format!("v{i}")).collect::<Vec<_>>().join(", ");
            let _ = writeln!(queries, "v{x} _||_ v{y} | {}", names(&z));
            let id = |i: usize| dag.find(&format!("v{i}")).expect("node");
            let zs: Vec<NodeId> = z.iter().map(|&i| id(i)).collect();
            want.push_str(if d_separated(&dag, &[id(x)], &[id(y)], &zs) { "true\n" } else { "false\n" });
        }
        assert_eq!(dsep(&text, &queries), (0, want.clone(), String::new()), "graph {graph} (DAGitty)");
        assert_eq!(dsep(&to_dot(&dag), &queries).1, want, "graph {graph} (DOT)");
    }
}

#[test]
fn bad_graphs_fail_naming_problem_and_line() {
    let q = b"a _||_ b\n";
    fails(b"dag {\n a -> b\n b -> c\n c -> a\n}", q, &["line 4", "cycle", "a → b → c → a"]);
    fails(b"dag {\n a -> b\n b -> b\n}", q, &["line 3", "self-loop"]);
    fails(b"dag {\n a -> b\n", q, &["line 3", "missing '}'"]);
    fails(b"dag { a -> b } }", q, &["line 1", "unbalanced"]);
    fails(b"dag {\n a -> b\xff\n}", q, &["line 2", "invalid UTF-8"]);
    fails(b"", q, &["line 1", "empty"]);
    fails(b"  \n", q, &["empty"]);
    fails(b"dag { a $ b }", q, &["line 1", "column 9", "'$'"]);
    fails(b"graph { a -- b }", q, &["undirected"]);
}

#[test]
fn bad_queries_fail_naming_problem_and_line() {
    let g = FIG_8_22.as_bytes();
    fails(g, b"a _||_ b\nq _||_ b\n", &["query line 2", "unknown node \"q\""]);
    fails(g, b"a _||_ b | zz\n", &["query line 1", "unknown node \"zz\""]);
    fails(g, b"\n\na b\n", &["query line 3", "missing '_||_'"]);
    fails(g, b"a, b _||_ b\n", &["query line 1", "overlap", "\"b\""]);
    fails(g, b" _||_ b\n", &["query line 1", "X", "empty"]);
    fails(g, b"a _||_ | c\n", &["query line 1", "Y", "empty"]);
    fails(g, b"a _||_ b\n\xfe\n", &["query line 2", "invalid UTF-8"]);
    let mut huge = b"a _||_ ".to_vec();
    huge.resize(64 << 20, b'b');
    fails(g, &huge, &["query line 1", "longer than"]);
}

#[test]
fn a_missing_graph_file_is_reported() {
    let out = Command::new(env!("CARGO_BIN_EXE_latent-lab"))
        .args(["dsep", "/nonexistent/graph.dag"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the graph file /nonexistent/graph.dag"));
}

mod lesson {
    use eframe::egui::{Event, Key, Modifiers, PointerButton};
    use egui_kittest::kittest::Queryable;

    use crate::app_harness::{AppHarness, app as harness};

    fn click(h: &mut AppHarness, label: &str) {
        h.get_by_label(label).click();
        h.run_steps(3);
    }

    fn answer_shows(h: &AppHarness, text: &str) -> bool {
        h.query_by_label_contains(text).is_some()
    }

    #[test]
    fn presets_and_clicks_drive_the_live_answer() {
        let mut h = harness();
        h.run_steps(2);
        click(&mut h, "d-separation");
        // The chain x1 → x2 → x3 with x2 given.
        click(&mut h, "Chain");
        assert!(answer_shows(&h, "{x1} ⊥⊥ {x3} | {x2}: yes, d-separated"));
        assert!(answer_shows(&h, "x1 → x2 → x3: blocked at x2 (chain through x2, which is given)"));
        // The default tool marks C: clicking x2 takes it out of C, and the chain opens.
        click(&mut h, "node x2, in C (given)");
        assert!(answer_shows(&h, "{x1} ⊥⊥ {x3}: no, not d-separated"));
        assert!(answer_shows(&h, "x1 → x2 → x3: open"));
        click(&mut h, "Undo");
        assert!(answer_shows(&h, "{x1} ⊥⊥ {x3} | {x2}: yes"));
        click(&mut h, "Redo");
        assert!(answer_shows(&h, "{x1} ⊥⊥ {x3}: no"));

        // Bishop Fig. 8.22: dependent given c, independent given f.
        click(&mut h, "Bishop Fig. 8.22");
        assert!(answer_shows(&h, "{a} ⊥⊥ {b} | {c}: no, not d-separated"));
        click(&mut h, "node c, in C (given)");
        click(&mut h, "node f");
        assert!(answer_shows(&h, "{a} ⊥⊥ {b} | {f}: yes, d-separated"));
        assert!(answer_shows(&h, "blocked at e (collider e, and neither e nor its descendants {c} are given)"));

        // Marking with another set: make c the B side instead.
        click(&mut h, "Marks it in B");
        click(&mut h, "node b, in B");
        click(&mut h, "node c");
        assert!(answer_shows(&h, "{a} ⊥⊥ {c} | {f}: no"));
    }

    /// do(A) answers in the graph with the arrows into A cut, and unticking it answers the observed graph again.
    #[test]
    fn do_a_cuts_the_arrows_into_a_and_answers_again() {
        let mut h = harness();
        h.run_steps(2);
        click(&mut h, "d-separation");
        click(&mut h, "Fork");
        click(&mut h, "node m, in C (given)");
        assert!(answer_shows(&h, "{x} ⊥⊥ {y}: no, not d-separated"));
        click(&mut h, "do(A): cut the arrows into A");
        assert!(answer_shows(&h, "After do({x}) (1 arrow cut): {x} ⊥⊥ {y}: yes, d-separated"));
        assert!(answer_shows(&h, "No chain joins A and B"));
        click(&mut h, "do(A): cut the arrows into A");
        assert!(answer_shows(&h, "{x} ⊥⊥ {y}: no, not d-separated"));
        assert!(!answer_shows(&h, "After do("));
    }

    #[test]
    fn selecting_deleting_and_renaming_a_node() {
        let mut h = harness();
        h.run_steps(2);
        click(&mut h, "d-separation");
        click(&mut h, "Collider with descendant");
        assert!(answer_shows(&h, "{x} ⊥⊥ {y} | {d}: no"));
        click(&mut h, "Selects it (drag moves it)");
        click(&mut h, "node d, in C (given)");
        click(&mut h, "Delete selected");
        assert!(h.query_by_label_contains("node d").is_none());
        assert!(answer_shows(&h, "{x} ⊥⊥ {y}: yes, d-separated"));
        click(&mut h, "node m");
        let name = h.get_by_label("Name:");
        name.focus();
        name.type_text("2");
        h.run_steps(2);
        click(&mut h, "Rename");
        assert!(h.query_by_label_contains("node m2").is_some(), "renamed");
    }

    #[test]
    fn quiz_hides_the_answer_until_the_student_answers() {
        let mut h = harness();
        h.run_steps(2);
        click(&mut h, "d-separation");
        click(&mut h, "New quiz question");
        assert!(answer_shows(&h, "Quiz: is {"));
        assert!(!answer_shows(&h, "d-separated (every chain"));
        assert!(!answer_shows(&h, "not d-separated (an open chain"));
        click(&mut h, "Yes, d-separated");
        assert!(answer_shows(&h, "Correct!") || answer_shows(&h, "Not quite."));
        assert!(answer_shows(&h, "Score: 1 of 1.") || answer_shows(&h, "Score: 0 of 1."));
        assert!(answer_shows(&h, "d-separated (every chain") || answer_shows(&h, "not d-separated (an open chain"));
        click(&mut h, "Next question");
        assert!(answer_shows(&h, "Quiz: is {"));
        assert!(answer_shows(&h, "Score: 1 of 1") || answer_shows(&h, "Score: 0 of 1"), "the score carries over");
        // Loading a preset ends the quiz and shows the answer again.
        click(&mut h, "Fork");
        assert!(!answer_shows(&h, "Quiz: is {"));
        assert!(answer_shows(&h, "{x} ⊥⊥ {y} | {m}: yes"));
    }

    #[test]
    fn graph_text_loads_and_a_cycle_is_refused_with_its_name() {
        let mut h = harness();
        h.run_steps(2);
        click(&mut h, "d-separation");
        click(&mut h, "DAGitty / DOT text and files");
        let text = h.get_by_label("Graph text (DAGitty, e.g. dag { a -> b }, or DOT):");
        text.focus();
        text.type_text("dag { p -> q <- r }");
        h.run_steps(2);
        click(&mut h, "Load text");
        assert!(h.query_by_label("node q").is_some(), "loaded");
        assert!(answer_shows(&h, "Loaded 3 nodes from the text box."));
        let text = h.get_by_label("Graph text (DAGitty, e.g. dag { a -> b }, or DOT):");
        text.set_text_value_accesskit("dag { p -> q -> r -> p }");
        h.run_steps(2);
        click(&mut h, "Load text");
        assert!(answer_shows(&h, "Could not load the text box: line 1"), "refused");
        assert!(answer_shows(&h, "closes the cycle p → q → r → p"));
        assert!(h.query_by_label("node r").is_some(), "the graph stays");
    }

    /// Presses on `from`, moves in steps, releases on `to`, with `modifiers` held throughout.
    fn drag(h: &mut AppHarness, from: &str, to: &str, modifiers: Modifiers) {
        let (a, b) = (h.get_by_label(from).rect().center(), h.get_by_label(to).rect().center());
        h.event(Event::ModifiersChanged(modifiers));
        h.event(Event::PointerMoved(a));
        h.run_steps(1);
        h.event(Event::PointerButton { pos: a, button: PointerButton::Primary, pressed: true, modifiers });
        h.run_steps(1);
        for t in [0.1, 0.3, 0.6, 0.9, 1.0] {
            h.event(Event::PointerMoved(a + (b - a) * t));
            h.run_steps(1);
        }
        h.event(Event::PointerButton { pos: b, button: PointerButton::Primary, pressed: false, modifiers });
        h.run_steps(1);
        h.event(Event::ModifiersChanged(Modifiers::default()));
        h.run_steps(2);
    }

    #[test]
    fn dragging_between_nodes_adds_edges_and_refuses_cycles() {
        let mut h = harness();
        h.run_steps(2);
        click(&mut h, "d-separation");
        click(&mut h, "Chain");
        // Shift+drag draws an edge whatever the click tool; this one would close a cycle.
        drag(&mut h, "node x3, in B", "node x1, in A", Modifiers::SHIFT);
        assert!(answer_shows(&h, "Edge refused: edge x3 → x1 would close the cycle x1 → x2 → x3 → x1"));
        assert!(answer_shows(&h, "{x1} ⊥⊥ {x3} | {x2}: yes"));
        // With the edge tool a plain drag adds x1 → x3: a direct edge is never blocked.
        click(&mut h, "Starts an edge (drag to the head node)");
        drag(&mut h, "node x1, in A", "node x3, in B", Modifiers::default());
        assert!(answer_shows(&h, "{x1} ⊥⊥ {x3} | {x2}: no"));
        assert!(answer_shows(&h, "x1 → x3: open (a direct edge is never blocked)"));
        // A plain drag with the select tool moves a node instead.
        click(&mut h, "Selects it (drag moves it)");
        let before = h.get_by_label("node x2, in C (given)").rect().center();
        drag(&mut h, "node x2, in C (given)", "node x3, in B", Modifiers::default());
        let after = h.get_by_label("node x2, in C (given)").rect().center();
        assert!(after.x > before.x + 50.0, "moved from {before:?} to {after:?}");
        // Keyboard: Ctrl+Z undoes the move, Ctrl+Y redoes it, Delete removes the selected node.
        h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        h.run_steps(2);
        assert_eq!(h.get_by_label("node x2, in C (given)").rect().center(), before);
        h.key_press_modifiers(Modifiers::COMMAND, Key::Y);
        h.run_steps(2);
        assert_eq!(h.get_by_label("node x2, in C (given)").rect().center(), after);
        // (x2 now lies on top of x3, so delete x1.)
        click(&mut h, "node x1, in A");
        h.key_press(Key::Delete);
        h.run_steps(2);
        assert!(h.query_by_label_contains("node x1").is_none());
        assert!(answer_shows(&h, "Mark at least one node in A and one in B"));
    }

    #[test]
    fn every_control_has_an_accessible_name() {
        let mut h = harness();
        h.run_steps(2);
        click(&mut h, "d-separation");
        click(&mut h, "Implied independencies");
        click(&mut h, "DAGitty / DOT text and files");
        click(&mut h, "Selects it (drag moves it)");
        click(&mut h, "node e");
        assert!(h.query_by_label("Name:").is_some());
        assert!(h.query_by_label("Graph canvas: double-click empty space to add a node").is_some());
        h.check_accessibility();
        // An implied independence is a link that asks it.
        click(&mut h, "a ⊥⊥ b | {f}");
        assert!(answer_shows(&h, "{a} ⊥⊥ {b} | {f}: yes"));
        click(&mut h, "New quiz question");
        h.check_accessibility();
    }
}
