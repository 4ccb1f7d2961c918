//! Beast binary framing (dump1090/readsb port 30005, Mode-S Beast receivers).
//!
//! A frame is `0x1a`, a type byte (`'1'` Mode A/C, `'2'` Mode S short, `'3'` Mode S long), a
//! 6-byte big-endian 12 MHz MLAT timestamp, a signal byte, then 2, 7 or 14 data bytes; any `0x1a`
//! after the type byte is doubled. [`BeastFramer`] is a byte-at-a-time state machine that keeps
//! a partial frame across [`BeastFramer::push`] calls, so a TCP stream can be fed in whatever
//! chunks `read` returns. Bytes that are not part of a frame (a connection joined mid-frame,
//! line noise, an unknown type such as `'4'` status frames) are skipped up to the next `0x1a`
//! and reported once per run, with the stream offset, so the caller can count and locate them.
//! Nothing is allocated: a frame is a fixed 14-byte array.

use std::fmt;

/// The escape / frame-start byte.
pub const ESCAPE: u8 = 0x1a;

/// What a Beast frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeastKind {
    /// Type `'1'`: a 2-byte Mode A or Mode C reply (which of the two is not told).
    ModeAc,
    /// Type `'2'`: a 56-bit Mode S frame.
    ModeSShort,
    /// Type `'3'`: a 112-bit Mode S frame.
    ModeSLong,
}

impl BeastKind {
    /// The number of data bytes after the timestamp and the signal byte.
    #[must_use]
    pub const fn data_len(self) -> usize {
        match self {
            Self::ModeAc => 2,
            Self::ModeSShort => 7,
            Self::ModeSLong => 14,
        }
    }

    fn from_type(byte: u8) -> Option<Self> {
        match byte {
            b'1' => Some(Self::ModeAc),
            b'2' => Some(Self::ModeSShort),
            b'3' => Some(Self::ModeSLong),
            _ => None,
        }
    }
}

/// One unescaped Beast frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BeastFrame {
    /// Frame type.
    pub kind: BeastKind,
    /// 48-bit MLAT timestamp in 12 MHz ticks (0 when the source does not stamp frames).
    pub timestamp: u64,
    /// Signal level byte (0–255, amplitude; see [`BeastFrame::rssi`]).
    pub signal: u8,
    /// Stream offset of the frame's leading `0x1a`.
    pub offset: u64,
    data: [u8; 14],
}

impl BeastFrame {
    /// The frame's data bytes (2, 7 or 14 of them).
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data[..self.kind.data_len()]
    }

    /// Signal level in dBFS as dump1090 reports it: `10·log10((signal/255)²)`; −∞ for 0.
    #[must_use]
    pub fn rssi(&self) -> f64 {
        let amplitude = f64::from(self.signal) / 255.0;
        10.0 * (amplitude * amplitude).log10()
    }

    /// The timestamp in seconds (ticks / 12 MHz).
    #[must_use]
    pub fn seconds(&self) -> f64 {
        self.timestamp as f64 / 12e6
    }
}

/// Why some bytes of a Beast stream were not a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeastErrorKind {
    /// Bytes outside any frame (before a `0x1a`).
    Garbage {
        /// How many bytes were skipped.
        len: u64,
    },
    /// `0x1a` followed by a type byte that is not `'1'`, `'2'` or `'3'`; skipped to the next `0x1a`.
    UnknownType {
        /// The type byte.
        byte: u8,
        /// Bytes skipped, the `0x1a` and type byte included.
        len: u64,
    },
    /// A frame cut short by a lone `0x1a` (a new frame start) or by the end of the stream.
    Truncated {
        /// The frame type.
        kind: BeastKind,
        /// Bytes of the frame received after the type byte (unescaped).
        got: usize,
        /// Whether the end of the stream, rather than a new frame, cut it.
        at_end: bool,
    },
}

/// A stretch of a Beast stream that was not a frame, with its offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BeastError {
    /// Stream offset of the first byte concerned.
    pub offset: u64,
    /// What was wrong.
    pub kind: BeastErrorKind,
}

impl BeastError {
    /// Bytes of the stream this error accounts for as skipped (garbage or a cut frame).
    #[must_use]
    pub fn skipped(&self) -> u64 {
        match self.kind {
            BeastErrorKind::Garbage { len } | BeastErrorKind::UnknownType { len, .. } => len,
            // The 0x1a, the type byte and what came of the body (escapes not counted twice).
            BeastErrorKind::Truncated { got, .. } => 2 + got as u64,
        }
    }
}

impl fmt::Display for BeastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            BeastErrorKind::Garbage { len } => {
                write!(f, "{len} byte(s) outside any frame skipped (no 0x1a frame start)")
            }
            BeastErrorKind::UnknownType { byte, len } => write!(
                f,
                "unknown Beast frame type 0x{byte:02x} (expected '1', '2' or '3'); {len} byte(s) skipped to the next 0x1a"
            ),
            BeastErrorKind::Truncated { kind, got, at_end } => {
                let need = 7 + kind.data_len();
                let why = if at_end { "the end of the input" } else { "an undoubled 0x1a (a new frame start)" };
                write!(f, "Beast frame type '{}' cut short by {why} after {got} of {need} bytes", type_char(kind))
            }
        }
    }
}

impl std::error::Error for BeastError {}

fn type_char(kind: BeastKind) -> char {
    match kind {
        BeastKind::ModeAc => '1',
        BeastKind::ModeSShort => '2',
        BeastKind::ModeSLong => '3',
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Looking for a `0x1a`.
    Seek,
    /// After a `0x1a`, expecting the type byte.
    Type,
    /// Inside a frame's body.
    Body,
    /// Inside a body, after a `0x1a`: doubled means a data byte, anything else a new frame.
    Escape,
}

/// Incremental Beast framer: feed it bytes in any chunks, get frames and errors back.
#[derive(Clone, Debug)]
pub struct BeastFramer {
    state: State,
    kind: BeastKind,
    /// Unescaped body: 6 timestamp bytes, signal, up to 14 data bytes.
    body: [u8; 21],
    len: usize,
    /// Offset of the next byte to be pushed.
    offset: u64,
    /// Offset of the current frame's `0x1a`.
    start: u64,
    /// Current run of skipped bytes: offset of its first byte, its length, and the unknown
    /// type byte that began it, if one did.
    skip_start: u64,
    skip_len: u64,
    skip_type: Option<u8>,
}

impl Default for BeastFramer {
    fn default() -> Self {
        Self::new()
    }
}

impl BeastFramer {
    /// A framer at offset 0, outside any frame.
    #[must_use]
    pub fn new() -> Self {
        Self {
            state: State::Seek,
            kind: BeastKind::ModeSLong,
            body: [0; 21],
            len: 0,
            offset: 0,
            start: 0,
            skip_start: 0,
            skip_len: 0,
            skip_type: None,
        }
    }

    /// Total bytes pushed so far.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Frames `bytes`, calling `out` with every complete frame and every skipped stretch in
    /// stream order. A partial frame at the end is kept for the next call.
    pub fn push(&mut self, bytes: &[u8], mut out: impl FnMut(Result<BeastFrame, BeastError>)) {
        for &b in bytes {
            let pos = self.offset;
            self.offset += 1;
            match self.state {
                State::Seek => {
                    if b == ESCAPE {
                        self.flush_skip(&mut out);
                        self.start = pos;
                        self.state = State::Type;
                    } else {
                        self.skip(pos, 1);
                    }
                }
                State::Type => self.type_byte(b, pos),
                State::Body => {
                    if b == ESCAPE {
                        self.state = State::Escape;
                    } else {
                        self.body_byte(b, &mut out);
                    }
                }
                State::Escape => {
                    if b == ESCAPE {
                        self.state = State::Body;
                        self.body_byte(b, &mut out);
                    } else {
                        // The previous 0x1a was a frame start: the current frame is cut short.
                        out(Err(BeastError {
                            offset: self.start,
                            kind: BeastErrorKind::Truncated { kind: self.kind, got: self.len, at_end: false },
                        }));
                        self.start = pos - 1;
                        self.type_byte(b, pos);
                    }
                }
            }
        }
    }

    /// Ends the stream: reports a frame left incomplete and a trailing run of skipped bytes.
    pub fn finish(&mut self, mut out: impl FnMut(Result<BeastFrame, BeastError>)) {
        match self.state {
            State::Seek => {}
            State::Type => self.skip(self.start, 1),
            State::Body | State::Escape => out(Err(BeastError {
                offset: self.start,
                kind: BeastErrorKind::Truncated { kind: self.kind, got: self.len, at_end: true },
            })),
        }
        self.flush_skip(&mut out);
        self.state = State::Seek;
        self.len = 0;
    }

    fn type_byte(&mut self, b: u8, pos: u64) {
        match BeastKind::from_type(b) {
            Some(kind) => {
                self.kind = kind;
                self.len = 0;
                self.state = State::Body;
            }
            None => {
                // "1a 1a" outside a frame is an escaped data byte of a frame we did not see
                // begin; anything else is a type we do not know. Skip either to the next 0x1a.
                if b != ESCAPE && self.skip_len == 0 {
                    self.skip_type = Some(b);
                }
                self.skip(self.start, 1);
                self.skip(pos, 1);
                self.state = State::Seek;
            }
        }
    }

    fn body_byte(&mut self, b: u8, out: &mut impl FnMut(Result<BeastFrame, BeastError>)) {
        self.body[self.len] = b;
        self.len += 1;
        if self.len == 7 + self.kind.data_len() {
            let mut data = [0u8; 14];
            data[..self.kind.data_len()].copy_from_slice(&self.body[7..self.len]);
            let timestamp = self.body[..6].iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
            out(Ok(BeastFrame { kind: self.kind, timestamp, signal: self.body[6], offset: self.start, data }));
            self.state = State::Seek;
            self.len = 0;
        } else {
            self.state = State::Body;
        }
    }

    fn skip(&mut self, pos: u64, n: u64) {
        if self.skip_len == 0 {
            self.skip_start = pos;
        }
        self.skip_len += n;
    }

    fn flush_skip(&mut self, out: &mut impl FnMut(Result<BeastFrame, BeastError>)) {
        if self.skip_len > 0 {
            let kind = match self.skip_type.take() {
                Some(byte) => BeastErrorKind::UnknownType { byte, len: self.skip_len },
                None => BeastErrorKind::Garbage { len: self.skip_len },
            };
            out(Err(BeastError { offset: self.skip_start, kind }));
            self.skip_len = 0;
        }
    }
}

/// Encodes one frame in Beast format (for tests, benchmarks and replay tools).
pub fn encode(kind: BeastKind, timestamp: u64, signal: u8, data: &[u8], out: &mut Vec<u8>) {
    out.push(ESCAPE);
    out.push(type_char(kind) as u8);
    let ts = timestamp.to_be_bytes();
    for &b in ts[2..].iter().chain(std::iter::once(&signal)).chain(data) {
        out.push(b);
        if b == ESCAPE {
            out.push(ESCAPE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(chunks: &[&[u8]]) -> (Vec<BeastFrame>, Vec<BeastError>) {
        let mut framer = BeastFramer::new();
        let (mut frames, mut errors) = (Vec::new(), Vec::new());
        for c in chunks {
            framer.push(c, |r| match r {
                Ok(f) => frames.push(f),
                Err(e) => errors.push(e),
            });
        }
        framer.finish(|r| match r {
            Ok(f) => frames.push(f),
            Err(e) => errors.push(e),
        });
        (frames, errors)
    }

    #[test]
    fn escapes_round_trip_in_every_split() {
        let data = [0x8D, 0x1a, 0x40, 0xD6, 0x20, 0x2C, 0xC3, 0x71, 0xC3, 0x2C, 0xE0, 0x1a, 0x60, 0x98];
        let mut stream = Vec::new();
        encode(BeastKind::ModeSLong, 0x1a_0000_001a, 0x1a, &data, &mut stream);
        let second = stream.len() as u64;
        encode(BeastKind::ModeSShort, 5, 200, &data[..7], &mut stream);
        for cut in 0..stream.len() {
            let (frames, errors) = collect(&[&stream[..cut], &stream[cut..]]);
            assert!(errors.is_empty(), "cut {cut}: {errors:?}");
            assert_eq!(frames.len(), 2);
            assert_eq!(frames[0].data(), &data);
            assert_eq!(frames[0].timestamp, 0x1a_0000_001a);
            assert_eq!(frames[0].signal, 0x1a);
            assert_eq!(frames[1].data(), &data[..7]);
            assert_eq!(frames[1].offset, second);
        }
    }

    #[test]
    fn garbage_and_cut_frames_are_reported_and_skipped() {
        let mut stream = b"xyz".to_vec();
        encode(BeastKind::ModeSShort, 1, 2, &[1, 2, 3, 4, 5, 6, 7], &mut stream);
        stream.truncate(stream.len() - 3); // cut the frame short
        encode(BeastKind::ModeAc, 1, 2, &[0x12, 0x34], &mut stream);
        stream.extend_from_slice(&[ESCAPE, b'4', 9, 9]);
        encode(BeastKind::ModeAc, 1, 2, &[0x56, 0x78], &mut stream);
        let (frames, errors) = collect(&[&stream]);
        assert_eq!(frames.len(), 2);
        assert_eq!(errors[0], BeastError { offset: 0, kind: BeastErrorKind::Garbage { len: 3 } });
        assert!(matches!(errors[1].kind, BeastErrorKind::Truncated { got: 11, at_end: false, .. }));
        assert!(matches!(errors[2].kind, BeastErrorKind::UnknownType { byte: b'4', len: 4 }));
        assert_eq!(errors.len(), 3);
    }
}
