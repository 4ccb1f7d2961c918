//! Reports as indented JSON, written as they are serialised, a busy day's two long lists at once.
//!
//! # Design
//!
//! `--format json` is the model as `serde_json`'s indented JSON and a newline, written into the
//! caller's writer as it is serialised (made into one string first, the copies as the string doubled
//! and the fresh pages the kernel zeroed for each were a fifth of the command). A day of the year-long
//! benchmark's largest store holds 27,000 incidents and as many annex rows, 24 MB of JSON, and writing
//! it was the longest step of the daily report after reading the day. The two lists do not depend on
//! each other, so [`daily`] serialises the annex on a second thread into a buffer while this thread
//! writes the rest of the report, the incidents among it, straight into the writer, then appends the
//! buffer. The bytes are exactly those of one `serde_json::to_writer_pretty`:
//!
//! - the report is serialised first with both lists empty (a copy without them, so the model itself
//!   is not changed); the two empty lists are found in that text by their keys, at the first level of
//!   indentation, after a line break (a JSON string never holds a raw line break, so nothing else can
//!   match; they are looked for from the end, where they are); the text is written up to them, each list in their place, then the rest;
//! - each list is serialised with [`Indented`], `serde_json`'s indented layout begun one level deep,
//!   where the list sits in the report.
//!
//! The second thread is `truce_core::halves::join`'s (on one processor the two parts run one after
//! the other, and a panic there is passed on). Below [`PARALLEL_ROWS`] rows a report is serialised in
//! one go: a thread would cost more than it saves. The second thread's buffer holds the annex's text whole (about 10 MB for that day), sized up
//! front from its first rows.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::model::DailyReport;

/// Incidents and annex rows from which the daily report's lists are serialised on two threads.
pub(crate) const PARALLEL_ROWS: usize = 2_000;

/// The model as indented JSON and a newline, serialised straight into `w`.
pub(crate) fn json<T: Serialize>(v: &T, w: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, v)?;
    w.write_all(b"\n")
}

/// The daily report as [`json`] writes it, the incidents and the annex serialised at once on two
/// threads when the day has [`PARALLEL_ROWS`] of them or more.
pub(crate) fn daily(r: &DailyReport, w: &mut impl Write) -> io::Result<()> {
    if r.incidents.len() + r.annex.len() < PARALLEL_ROWS {
        return json(r, w);
    }
    two_lists(&r.without_lists(), ("incidents", &r.incidents), ("annex", &r.annex), w)
}

/// Writes `head` as [`json`] does, its two lists `a` and `b` (empty in `head`, one right after the
/// other at its first level) replaced by the slices given: `b` is serialised on a second thread while
/// this one writes the rest.
fn two_lists<H: Serialize, A: Serialize + Sync, B: Serialize + Sync>(
    head: &H,
    a: (&str, &[A]),
    b: (&str, &[B]),
    w: &mut impl Write,
) -> io::Result<()> {
    let text = serde_json::to_vec_pretty(head)?;
    let empty = format!("\n  \"{}\": [],\n  \"{}\": []", a.0, b.0);
    let at = text
        .windows(empty.len())
        .rposition(|s| s == empty.as_bytes())
        .ok_or_else(|| io::Error::other(format!("the report has no empty {:?} and {:?} lists", a.0, b.0)))?;
    let (written, second) = truce_core::halves::join(
        true,
        || -> io::Result<()> {
            w.write_all(&text[..at])?;
            write!(w, "\n  \"{}\": ", a.0)?;
            list(a.1, &mut *w)?;
            write!(w, ",\n  \"{}\": ", b.0)
        },
        || -> io::Result<Vec<u8>> {
            let mut buf = Vec::with_capacity(size_hint(b.1)?);
            list(b.1, &mut buf)?;
            Ok(buf)
        },
    );
    written?;
    w.write_all(&second?)?;
    w.write_all(&text[at + empty.len()..])?;
    w.write_all(b"\n")
}

/// One of the report's lists, indented as at the report's first level.
fn list<T: Serialize>(items: &[T], w: impl Write) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(w, Indented::at(1));
    items.serialize(&mut ser)?;
    Ok(())
}

/// Bytes that `items` will take, from the first rows' (a tenth more, so the buffer is not regrown).
fn size_hint<T: Serialize>(items: &[T]) -> io::Result<usize> {
    let first = &items[..items.len().min(64)];
    let mut probe = Vec::new();
    list(first, &mut probe)?;
    Ok((probe.len() / first.len().max(1)).saturating_mul(items.len()) / 10 * 11)
}

/// `serde_json`'s indented layout (two spaces a level, `": "` after a key), begun `depth` levels deep.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Indented {
    depth: usize,
    has_value: bool,
}

impl Indented {
    /// The layout of a value that sits `depth` levels deep in an indented document.
    pub(crate) fn at(depth: usize) -> Self {
        Self { depth, has_value: false }
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(w, false)?;
        }
        w.write_all(bracket)
    }

    /// A line break (after a comma unless `first`) and the current level's indentation.
    fn line<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        const SPACES: &[u8; 64] = &[b' '; 64];
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut left = 2 * self.depth;
        while left > 0 {
            let n = left.min(SPACES.len());
            w.write_all(&SPACES[..n])?;
            left -= n;
        }
        Ok(())
    }
}

impl Formatter for Indented {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn pretty(v: &impl Serialize) -> Vec<u8> {
        let mut out = Vec::new();
        json(v, &mut out).unwrap();
        out
    }

    fn nested() -> Value {
        json!({
            "a": [], "b": {}, "c": [[], {}, [1, [2, {"d": [3.5, "e\n\"f\u{1F600}"]}]]],
            "g": {"h": {"i": {"j": [null, true, -1, 1e300, 18446744073709551615u64]}}},
        })
    }

    #[test]
    fn the_layout_is_serde_jsons_indented_one_at_any_depth() {
        let v = nested();
        let mut ours = Vec::new();
        v.serialize(&mut serde_json::Serializer::with_formatter(&mut ours, Indented::at(0))).unwrap();
        ours.push(b'\n');
        assert_eq!(String::from_utf8(ours).unwrap(), String::from_utf8(pretty(&v)).unwrap());

        // One level deep: the value as it appears inside an indented object.
        let mut inner = Vec::new();
        v.serialize(&mut serde_json::Serializer::with_formatter(&mut inner, Indented::at(1))).unwrap();
        let outer = String::from_utf8(pretty(&json!({"k": v}))).unwrap();
        assert_eq!(outer, format!("{{\n  \"k\": {}\n}}\n", String::from_utf8(inner).unwrap()));
    }

    #[derive(Serialize)]
    struct Report {
        title: &'static str,
        /// Looks like the lists' keys, but inside a string.
        note: String,
        first: Vec<Value>,
        second: Vec<Value>,
        last: Value,
    }

    fn report(first: Vec<Value>, second: Vec<Value>) -> Report {
        Report { title: "daily", note: "\n  \"first\": [],\n  \"second\": []".into(), first, second, last: nested() }
    }

    #[test]
    fn two_lists_write_the_same_bytes_as_one_serialisation() {
        let rows = |n: usize, tag: &str| (0..n).map(|k| json!({"id": format!("{tag}-{k}"), "v": [k, {}]})).collect();
        for (a, b) in [(0, 0), (1, 0), (0, 1), (3, 5), (2_500, 1_700)] {
            let (first, second): (Vec<Value>, Vec<Value>) = (rows(a, "a"), rows(b, "b"));
            let whole = pretty(&report(first.clone(), second.clone()));
            let mut spliced = Vec::new();
            two_lists(&report(Vec::new(), Vec::new()), ("first", &first), ("second", &second), &mut spliced).unwrap();
            assert!(spliced == whole, "{a} and {b} rows: the spliced text differs");
        }
    }

    #[test]
    fn a_head_without_the_empty_lists_is_an_error_not_a_wrong_report() {
        let head = json!({"first": [], "other": [], "second": []});
        let err = two_lists(&head, ("first", &[1]), ("second", &[2]), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("no empty \"first\" and \"second\" lists"), "{err}");
    }
}
