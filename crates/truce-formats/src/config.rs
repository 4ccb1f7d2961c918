//! TOML configuration files: deserialization that reports every mistake of a file at once.
//!
//! Design: the text is parsed once into toml's spanned tree ([`DeTable`]). A syntax
//! error is a single problem and stops loading. Otherwise `T` is deserialized from a
//! copy of the tree with ordinary serde derives. Each error carries a byte span
//! (the key for an unknown field, the value for a wrong type or an unknown enum
//! variant, the `[header]` for a table that cannot be built). The deepest entry or
//! array element of the tree whose key or value span contains that span is recorded
//! as a problem (`FILE:LINE: key: reason`) and removed from the copy, and
//! deserialization is tried again, until it succeeds. Fields left out then take
//! their `#[serde(default)]`, so the value holds every key that was correct.
//! Key paths are computed on the untouched tree, so `sources[2]` keeps its index
//! in the file even after `sources[1]` was dropped.

use std::fmt;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeArray, DeTable, DeValue, Deserializer};

/// One problem: where, which key, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file name, as given to [`load`].
    pub file: String,
    /// The 1-based line where the problem is.
    pub line: usize,
    /// The dotted key path (`tak.tcp`, `sources[1].kind`); empty for the whole file.
    pub key: String,
    /// Why it is wrong, e.g. `invalid type: string "x", expected u64`.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
        } else {
            write!(f, "{}:{}: {}: {}", self.file, self.line, self.key, self.reason)
        }
    }
}

/// Most problems listed for one file: each costs a pass over the file, and past this many the file is
/// not a configuration with mistakes but something else.
pub const MAX_PROBLEMS: usize = 100;

/// Deserializes `T` from `text`, collecting every problem (at most [`MAX_PROBLEMS`]). Returns the value built from the entries
/// that deserialized (None only when the text is not TOML at all or the root could not be built)
/// and every problem, in the order of the file's lines.
///
/// Mark every field of `T` (and of its nested structs) `#[serde(default)]`: an entry that
/// is removed because it is wrong then falls back to its default. A required field whose
/// entry is removed produces a second problem (`missing field`) for the enclosing table.
pub fn load<T: DeserializeOwned>(text: &str, file: &str) -> (Option<T>, Vec<Problem>) {
    let problem = |at: usize, key: String, reason: &str| Problem {
        file: file.to_owned(),
        line: line_of(text, at),
        key,
        reason: reason.to_owned(),
    };
    let original = match DeTable::parse(text) {
        Ok(tree) => tree,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            return (None, vec![problem(at, String::new(), e.message())]);
        }
    };
    let mut work = original.clone();
    let mut found: Vec<Problem> = Vec::new();
    let value = loop {
        let err = match T::deserialize(Deserializer::from(work.clone())) {
            Ok(v) => break Some(v),
            Err(e) => e,
        };
        // The root table has an empty span (0..0): errors about it belong to no entry.
        let span = err.span().filter(|s| !s.is_empty());
        let located =
            span.as_ref().and_then(|s| Some((locate_table(original.get_ref(), s)?, locate_table(work.get_ref(), s)?)));
        match (span, located) {
            (Some(s), Some((shown, here))) if remove_table(work.get_mut(), &here) => {
                found.push(problem(s.start, render(&shown), err.message()));
                if found.len() == MAX_PROBLEMS {
                    let reason = format!("more problems follow; only the first {MAX_PROBLEMS} are listed");
                    found.push(problem(s.start, String::new(), &reason));
                    break None;
                }
            }
            _ => {
                let at = err.span().map_or(0, |s| s.start);
                found.push(problem(at, String::new(), err.message()));
                break None;
            }
        }
    };
    // Stable: problems on one line keep the order they were found in.
    found.sort_by_key(|p| p.line);
    (value, found)
}

/// The 1-based line of a byte offset in `text` (for callers that report problems on `Spanned` values
/// after loading, e.g. an address that does not parse).
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count()
}

/// The 1-based line where the key at `path` (table keys from the root) is written in `text`, if it
/// is; for problems found after loading (a file that does not exist, a conflict between keys).
pub fn key_line(text: &str, path: &[&str]) -> Option<usize> {
    let tree = DeTable::parse(text).ok()?;
    let mut table = tree.get_ref();
    for (i, key) in path.iter().enumerate() {
        let (k, v) = table.get_key_value(*key)?;
        if i + 1 == path.len() {
            return Some(line_of(text, k.span().start));
        }
        table = v.get_ref().as_table()?;
    }
    None
}

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && !outer.is_empty()
}

/// The path of the deepest entry of `table` whose key or value span contains `span`.
fn locate_table(table: &DeTable<'_>, span: &Range<usize>) -> Option<Vec<Step>> {
    let mut best: Option<Vec<Step>> = None;
    for (k, v) in table.iter() {
        let inner = locate_value(v.get_ref(), span);
        let own = contains(&k.span(), span) || contains(&v.span(), span);
        let candidate = match inner {
            Some(mut path) => {
                path.insert(0, Step::Key(k.get_ref().to_string()));
                path
            }
            None if own => vec![Step::Key(k.get_ref().to_string())],
            None => continue,
        };
        if best.as_ref().is_none_or(|b| candidate.len() > b.len()) {
            best = Some(candidate);
        }
    }
    best
}

/// The path, below `value`, of the deepest entry or array element containing `span`.
fn locate_value(value: &DeValue<'_>, span: &Range<usize>) -> Option<Vec<Step>> {
    match value {
        DeValue::Table(t) => locate_table(t, span),
        DeValue::Array(a) => {
            let mut best: Option<Vec<Step>> = None;
            for (i, item) in a.iter().enumerate() {
                let candidate = match locate_value(item.get_ref(), span) {
                    Some(mut path) => {
                        path.insert(0, Step::Index(i));
                        path
                    }
                    None if contains(&item.span(), span) => vec![Step::Index(i)],
                    None => continue,
                };
                if best.as_ref().is_none_or(|b| candidate.len() > b.len()) {
                    best = Some(candidate);
                }
            }
            best
        }
        _ => None,
    }
}

/// Removes the entry at `path` from `table`; false when there is none.
fn remove_table(table: &mut DeTable<'_>, path: &[Step]) -> bool {
    match path {
        [Step::Key(k)] => table.remove(k.as_str()).is_some(),
        [Step::Key(k), rest @ ..] => table.get_mut(k.as_str()).is_some_and(|v| remove_value(v.get_mut(), rest)),
        _ => false,
    }
}

/// Removes the entry or element at `path` below `value`; false when there is none.
fn remove_value(value: &mut DeValue<'_>, path: &[Step]) -> bool {
    match (value, path) {
        (DeValue::Table(t), _) => remove_table(t, path),
        (DeValue::Array(a), [Step::Index(i)]) if *i < a.len() => {
            let old = std::mem::replace(a, DeArray::new());
            *a = old.into_iter().enumerate().filter(|(j, _)| j != i).map(|(_, item)| item).collect();
            true
        }
        (DeValue::Array(a), [Step::Index(i), rest @ ..]) => {
            a.get_mut(*i).is_some_and(|item| remove_value(item.get_mut(), rest))
        }
        _ => false,
    }
}

/// Renders a path as written in TOML: `a.b`, `sources[1].kind`, `"a.b".c`.
fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let bare = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if bare {
                    out.push_str(k);
                } else {
                    out.push('"');
                    out.push_str(&k.replace('\\', "\\\\").replace('"', "\\\""));
                    out.push('"');
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_file_of_nothing_but_mistakes_stops_after_the_first_hundred() {
        let text: String =
            std::iter::once("[tak]\n".to_owned()).chain((0..5000).map(|i| format!("k{i} = 1\n"))).collect();
        let (value, problems) = load::<Config>(&text, "big.toml");
        assert!(value.is_none());
        assert_eq!(problems.len(), MAX_PROBLEMS + 1);
        assert_eq!(problems[0].key, "tak.k0");
        assert!(problems[MAX_PROBLEMS].reason.starts_with("more problems follow"), "{:?}", problems.last());
    }

    use super::*;
    use serde::Deserialize;
    use toml::Spanned;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Tak {
        tcp: String,
        port: Option<Spanned<u64>>,
        tls: bool,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Source {
        kind: String,
        rate: f64,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        #[default]
        Slow,
        Normal,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Config {
        name: String,
        count: u64,
        label: Option<String>,
        mode: Mode,
        tak: Tak,
        sources: Vec<Source>,
    }

    /// Asserts one problem: file "c.toml", line, key, and a substring of the reason.
    fn check(p: &Problem, line: usize, key: &str, reason: &str) {
        assert_eq!((p.file.as_str(), p.line, p.key.as_str()), ("c.toml", line, key), "{p}");
        assert!(p.reason.contains(reason), "{p}");
    }

    #[test]
    fn three_mistakes_reported_at_once() {
        let text = "name = \"gw\"\nbogus = 1\ncount = \"x\"\n\n[tak]\ntcp = \"h:1\"\ntcpp = 2\ntls = true\n";
        let (cfg, problems) = load::<Config>(text, "c.toml");
        assert_eq!(problems.len(), 3, "{problems:?}");
        check(&problems[0], 2, "bogus", "unknown field `bogus`");
        check(&problems[1], 3, "count", "invalid type: string \"x\", expected u64");
        check(&problems[2], 7, "tak.tcpp", "unknown field `tcpp`, expected one of");
        assert_eq!(problems[2].to_string().lines().count(), 1);
        let cfg = cfg.expect("value");
        assert_eq!(cfg.name, "gw");
        assert_eq!(cfg.count, 0);
        assert_eq!(cfg.tak.tcp, "h:1");
        assert!(cfg.tak.tls);
    }

    #[test]
    fn unknown_key_in_array_of_tables() {
        let text =
            "[[sources]]\nkind = \"a\"\n\n[[sources]]\nkind = \"b\"\nextra = 2\n\n[[sources]]\nrate = \"fast\"\n";
        let (cfg, problems) = load::<Config>(text, "c.toml");
        assert_eq!(problems.len(), 2, "{problems:?}");
        check(&problems[0], 6, "sources[1].extra", "unknown field `extra`");
        check(&problems[1], 9, "sources[2].rate", "expected f64");
        let cfg = cfg.expect("value");
        let kinds: Vec<&str> = cfg.sources.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["a", "b", ""]);
    }

    #[test]
    fn wrong_type_in_spanned_leaf() {
        let text = "[tak]\ntcp = \"h\"\nport = \"8087\"\n";
        let (cfg, problems) = load::<Config>(text, "c.toml");
        assert_eq!(problems.len(), 1, "{problems:?}");
        check(&problems[0], 3, "tak.port", "invalid type: string \"8087\", expected u64");
        let cfg = cfg.expect("value");
        assert_eq!((cfg.tak.tcp.as_str(), cfg.tak.port), ("h", None));
    }

    #[test]
    fn syntax_error_stops() {
        let text = "name = \"a\"\ncount = \nbogus = 1\n";
        let (cfg, problems) = load::<Config>(text, "c.toml");
        assert!(cfg.is_none());
        assert_eq!(problems.len(), 1, "{problems:?}");
        check(&problems[0], 2, "", "string values must be quoted");
        assert!(problems[0].to_string().starts_with("c.toml:2: "));
    }

    #[test]
    fn clean_file() {
        let text = "name = \"gw\"\ncount = 3\nlabel = \"x\"\nmode = \"normal\"\n[tak]\ntcp = \"h:1\"\nport = 8087\n[[sources]]\nkind = \"a\"\nrate = 1.5\n";
        let (cfg, problems) = load::<Config>(text, "c.toml");
        assert!(problems.is_empty(), "{problems:?}");
        let cfg = cfg.expect("value");
        let port = cfg.tak.port.as_ref().expect("port");
        assert_eq!((*port.get_ref(), line_of(text, port.span().start)), (8087, 7));
        let want = Config {
            name: "gw".into(),
            count: 3,
            label: Some("x".into()),
            mode: Mode::Normal,
            tak: Tak { tcp: "h:1".into(), port: cfg.tak.port.clone(), tls: false },
            sources: vec![Source { kind: "a".into(), rate: 1.5 }],
        };
        assert_eq!(cfg, want);
    }

    #[test]
    fn unknown_enum_variant() {
        let text = "name = \"n\"\nmode = \"fast\"\n";
        let (cfg, problems) = load::<Config>(text, "c.toml");
        assert_eq!(problems.len(), 1, "{problems:?}");
        check(&problems[0], 2, "mode", "unknown variant `fast`, expected `slow` or `normal`");
        assert_eq!(cfg.expect("value").name, "n");
    }

    #[test]
    fn quoted_and_dotted_keys() {
        let text = "tak.tcp = \"h\"\ntak.\"a.b\" = 1\n\"x y\" = 2\n";
        let (cfg, problems) = load::<Config>(text, "c.toml");
        assert_eq!(problems.len(), 2, "{problems:?}");
        check(&problems[0], 2, "tak.\"a.b\"", "unknown field `a.b`");
        check(&problems[1], 3, "\"x y\"", "unknown field `x y`");
        assert_eq!(problems[1].to_string(), format!("c.toml:3: \"x y\": {}", problems[1].reason));
        assert_eq!(cfg.expect("value").tak.tcp, "h");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Strict {
        #[allow(dead_code)]
        need: u64,
    }

    #[test]
    fn missing_required_root_field() {
        let (cfg, problems) = load::<Strict>("need = \"x\"\n", "c.toml");
        assert!(cfg.is_none());
        assert_eq!(problems.len(), 2, "{problems:?}");
        check(&problems[0], 1, "need", "expected u64");
        check(&problems[1], 1, "", "missing field `need`");
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    struct Nested {
        ports: Vec<u64>,
        strict: Option<Strict>,
        more: Vec<u64>,
    }

    #[test]
    fn array_elements_and_required_nested_fields() {
        let text = "ports = [1, \"x\", 3]\n[strict]\nnedd = 1\n";
        let (cfg, problems) = load::<Nested>(text, "c.toml");
        assert_eq!(problems.len(), 3, "{problems:?}");
        check(&problems[0], 1, "ports[1]", "expected u64");
        check(&problems[1], 2, "strict", "missing field `need`");
        check(&problems[2], 3, "strict.nedd", "unknown field `nedd`");
        let cfg = cfg.expect("value");
        assert_eq!((cfg.ports, cfg.strict.is_none(), cfg.more), (vec![1, 3], true, vec![]));
    }

    #[test]
    fn line_of_offsets() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
