//! The shape of the code, checked: the seams the running node depends on stay where they are.
//!
//! - the binary's modules import each other without a circle, and the HTTP server (`server/`) imports
//!   neither the command line (`cli.rs`, `args.rs`) nor a command (`cmd_*.rs`);
//! - the domain libraries that the store serves (`truce-watch`, `truce-track`) do not depend on it;
//! - nothing publishes on the stream but the bus: the only broadcast channel is `truce-node`'s bus.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, with its path.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

/// The top-level module a file of `crates/truce/src` belongs to (`server` for `server/api.rs`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_str().unwrap();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules a file names with `crate::`.
fn imports(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // truce_node::..., not crate::
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(stripped) = rest.strip_prefix('{') {
            // `use crate::{a, b::c}`
            let inner = &stripped[..stripped.find('}').unwrap_or(stripped.len())];
            out.extend(
                inner
                    .split(',')
                    .filter_map(|p| p.trim().split("::").next())
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned),
            );
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            out.insert(name);
        }
    }
    out
}

#[test]
fn the_binary_has_no_import_circle_and_the_server_imports_no_command() {
    let src = crates().join("truce/src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources(&src) {
        let from = module_of(&src, &path);
        let to = graph.entry(from.clone()).or_default();
        to.extend(imports(&text).into_iter().filter(|m| *m != from));
        if from == "server" {
            let bad: Vec<_> =
                imports(&text).into_iter().filter(|m| m.starts_with("cmd_") || m == "cli" || m == "args").collect();
            assert!(
                bad.is_empty(),
                "{} imports {bad:?}: the server must not depend on the command line",
                path.display()
            );
        }
    }
    assert!(graph.contains_key("server") && graph.contains_key("cli"), "{graph:?}");
    assert_eq!(find_circle(&graph), None, "{graph:?}");
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A circle of imports in `graph`, if there is one (depth-first search for a back edge).
fn find_circle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(m: &str, graph: &Graph, path: &mut Vec<String>, done: &mut BTreeSet<String>) -> Option<Vec<String>> {
        if done.contains(m) {
            return None;
        }
        if let Some(i) = path.iter().position(|p| p == m) {
            let mut circle = path[i..].to_vec();
            circle.push(m.to_owned());
            return Some(circle);
        }
        path.push(m.to_owned());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph.keys().find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn a_module_that_imports_in_a_circle_is_found() {
    // The check above on graphs with and without a circle: it must find one, or it checks nothing.
    let graph = |edges: &[(&str, &str)]| -> Graph {
        let mut g = Graph::new();
        for (a, b) in edges {
            g.entry((*a).to_owned()).or_default().insert((*b).to_owned());
        }
        g
    };
    let circle =
        find_circle(&graph(&[("main", "cli"), ("cli", "cmd_report"), ("cmd_report", "args"), ("cmd_report", "cli")]));
    assert_eq!(circle, Some(vec!["cli".to_owned(), "cmd_report".to_owned(), "cli".to_owned()]));
    assert_eq!(
        find_circle(&graph(&[("main", "cli"), ("cli", "args"), ("cmd_serve", "args"), ("main", "cmd_serve")])),
        None
    );
    assert_eq!(
        imports("use crate::{cli::X, args};\nlet a = crate::server::app();\nuse truce_node::x;"),
        BTreeSet::from(["args".to_owned(), "cli".to_owned(), "server".to_owned()])
    );
}

#[test]
fn the_watch_and_track_libraries_do_not_depend_on_the_store() {
    for krate in ["truce-watch", "truce-track"] {
        for (path, text) in sources(&crates().join(krate).join("src")) {
            assert!(!text.contains("truce_store"), "{} names truce_store", path.display());
        }
        let manifest = std::fs::read_to_string(crates().join(krate).join("Cargo.toml")).unwrap();
        let deps = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
        assert!(!deps.contains("truce-store"), "{krate} depends on truce-store");
    }
}

#[test]
fn only_the_bus_sends_on_the_stream() {
    let mut channels = Vec::new();
    for krate in ["truce", "truce-node"] {
        for (path, text) in sources(&crates().join(krate).join("src")) {
            if text.contains("broadcast::") {
                channels.push(path.strip_prefix(crates()).unwrap().display().to_string());
            }
        }
    }
    assert_eq!(channels, ["truce-node/src/bus.rs"], "a broadcast channel outside the bus");
    let stream = std::fs::read_to_string(crates().join("truce/src/server/stream.rs")).unwrap();
    assert!(stream.contains("bus.subscribe(caller.access)"), "the stream subscribes to the bus as its caller");
}
