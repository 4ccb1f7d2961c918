//! From byte offsets and field paths to line numbers, so every problem names its line.

use std::ops::Range;

use toml::Spanned;
use toml::de::DeValue;

/// Where each line of a text starts.
#[derive(Debug, Clone)]
pub(super) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(super) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// The 1-based line holding byte `offset`.
    pub(super) fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// One step of a field path: a key or an index.
enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

/// Splits `history[0].status` into `history`, `0`, `status`.
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            out.push(Step::Key(name));
        }
        for ix in rest.split('[') {
            if let Ok(i) = ix.trim_end_matches(']').parse::<usize>() {
                out.push(Step::Index(i));
            }
        }
    }
    out
}

/// The span of the value at `path` below `root`, or of the deepest part of the path that exists.
pub(super) fn span_at(root: &Spanned<DeValue<'_>>, path: &str) -> Range<usize> {
    let mut here = root;
    for step in steps(path) {
        let next = match step {
            Step::Key(k) => here.get_ref().get(k),
            Step::Index(i) => here.get_ref().get(i),
        };
        match next {
            Some(v) => here = v,
            None => break,
        }
    }
    here.span()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let l = Lines::new("a\nbb\n\nc");
        assert_eq!(l.line(0), 1);
        assert_eq!(l.line(2), 2);
        assert_eq!(l.line(5), 3);
        assert_eq!(l.line(6), 4);
    }

    #[test]
    fn a_path_finds_its_line() {
        let text = "[[p]]\nid = \"a\"\nh = [\n  { s = 1 },\n  { s = 2 },\n]\n";
        let doc = toml::de::DeTable::parse(text).unwrap();
        let p = doc.get_ref().get("p").unwrap();
        let entry = p.get_ref().get(0).unwrap();
        let lines = Lines::new(text);
        assert_eq!(lines.line(span_at(entry, "h[1].s").start), 5);
        assert_eq!(lines.line(span_at(entry, "id").start), 2);
        // A missing field: the deepest part that exists.
        assert_eq!(lines.line(span_at(entry, "h[0].nope").start), 4);
    }
}
