//! Finding this run's marks in the bytes a client receives, without decoding a single event.
//!
//! Every benchmark event carries `takload r=<run> c=<sender> seq=<n> ts=<unix µs>` in its
//! `<remarks>`; TAK protocol v1 keeps remarks as XML text inside the protobuf's `xmlDetail`, so the
//! mark appears verbatim in both wire formats and one substring search (SIMD, `memchr::memmem`)
//! over the raw stream finds them all, whatever the framing.

use memchr::memmem::Finder;

/// One mark, as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The index of the sending client.
    pub sender: u32,
    /// Its sequence number (the first event of the window is 1).
    pub seq: u32,
    /// When it was sent, µs since the Unix epoch.
    pub ts_us: u64,
}

/// The text of a mark, as a sender writes it into `<remarks>`.
pub fn mark_text(run: &str, sender: usize, seq: u32, ts_us: u64) -> String {
    format!("{} seq={seq} ts={ts_us}", prefix(run, sender))
}

fn prefix(run: &str, sender: usize) -> String {
    format!("takload r={run} c={sender}")
}

/// Finds the marks of one run.
pub struct Scanner {
    finder: Finder<'static>,
    prefix_len: usize,
}

/// Why a mark could not be read.
enum Fail {
    /// The buffer ends inside it: read more.
    Incomplete,
    /// Not a mark after all.
    Bad,
}

impl Scanner {
    /// A scanner for the marks of run `run`.
    pub fn new(run: &str) -> Self {
        let pattern = format!("takload r={run} c=");
        Scanner { prefix_len: pattern.len(), finder: Finder::new(pattern.as_bytes()).into_owned() }
    }

    /// Calls `found` for every complete mark in `buf` and returns how many leading bytes of `buf` are
    /// done with; the rest (a mark cut by the end of the read, or what could be the start of one)
    /// must be kept and scanned again with the bytes that follow.
    pub fn scan(&self, buf: &[u8], mut found: impl FnMut(Mark)) -> usize {
        let mut pos = 0;
        while let Some(i) = self.finder.find(&buf[pos..]) {
            let start = pos + i;
            let body = start + self.prefix_len;
            match parse(&buf[body..]) {
                Ok((mark, used)) => {
                    found(mark);
                    pos = body + used;
                }
                Err(Fail::Incomplete) => return start,
                Err(Fail::Bad) => pos = body,
            }
        }
        buf.len().saturating_sub(self.prefix_len - 1).max(pos)
    }
}

/// Reads `<sender> seq=<seq> ts=<ts>` followed by anything but a digit.
fn parse(b: &[u8]) -> Result<(Mark, usize), Fail> {
    let mut i = 0;
    let sender = number(b, &mut i)?;
    literal(b, &mut i, b" seq=")?;
    let seq = number(b, &mut i)?;
    literal(b, &mut i, b" ts=")?;
    let ts_us = number(b, &mut i)?;
    let sender = u32::try_from(sender).map_err(|_| Fail::Bad)?;
    let seq = u32::try_from(seq).map_err(|_| Fail::Bad)?;
    Ok((Mark { sender, seq, ts_us }, i))
}

fn literal(b: &[u8], i: &mut usize, lit: &[u8]) -> Result<(), Fail> {
    let rest = &b[*i..];
    let n = rest.len().min(lit.len());
    if rest[..n] != lit[..n] {
        return Err(Fail::Bad);
    }
    if n < lit.len() {
        return Err(Fail::Incomplete);
    }
    *i += lit.len();
    Ok(())
}

/// Decimal digits; the buffer must hold the byte after them (else there may be more digits).
fn number(b: &[u8], i: &mut usize) -> Result<u64, Fail> {
    let start = *i;
    let mut v: u64 = 0;
    while let Some(&d) = b.get(*i) {
        if !d.is_ascii_digit() {
            break;
        }
        v = v.checked_mul(10).and_then(|v| v.checked_add(u64::from(d - b'0'))).ok_or(Fail::Bad)?;
        *i += 1;
    }
    if *i == b.len() {
        return Err(Fail::Incomplete);
    }
    if *i == start {
        return Err(Fail::Bad);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(scanner: &Scanner, buf: &[u8]) -> (Vec<Mark>, usize) {
        let mut out = Vec::new();
        let done = scanner.scan(buf, |m| out.push(m));
        (out, done)
    }

    #[test]
    fn finds_every_mark_and_keeps_a_cut_one() {
        let s = Scanner::new("42");
        let a = format!("<remarks>{}</remarks>", mark_text("42", 3, 7, 1_700_000_000_123_456));
        let b = format!("<remarks>{}</remarks>", mark_text("42", 11, 1, 5));
        let other = format!("<remarks>{}</remarks>", mark_text("43", 1, 1, 5));
        let stream = format!("{a}{other}{b}");
        let (marks, done) = all(&s, stream.as_bytes());
        assert_eq!(
            marks,
            [Mark { sender: 3, seq: 7, ts_us: 1_700_000_000_123_456 }, Mark { sender: 11, seq: 1, ts_us: 5 }]
        );
        assert!(done >= stream.len() - "takload r=42 c=".len());
        // Cut anywhere inside the second mark: it is found once the rest arrives, never twice.
        for cut in a.len() + other.len()..stream.len() {
            let (first, done) = all(&s, &stream.as_bytes()[..cut]);
            let mut rest = stream.as_bytes()[done..cut].to_vec();
            rest.extend_from_slice(&stream.as_bytes()[cut..]);
            let (second, _) = all(&s, &rest);
            let mut got = first;
            got.extend(second);
            assert_eq!(got, marks, "cut at {cut}");
        }
    }

    #[test]
    fn a_broken_mark_is_skipped() {
        let s = Scanner::new("1");
        let stream = b"takload r=1 c=x seq=1 ts=2< takload r=1 c=2 seq=3 ts=4<";
        let (marks, _) = all(&s, stream);
        assert_eq!(marks, [Mark { sender: 2, seq: 3, ts_us: 4 }]);
    }
}
