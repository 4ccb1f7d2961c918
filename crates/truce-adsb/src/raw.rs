//! Raw (AVR) frames, one per line: `*8D4840D6202CC371C32CE0576098;` as dump1090 writes on port
//! 30002, or `@` followed by a 12-hex-digit 12 MHz MLAT timestamp and the frame
//! (`@0000A1B2C3D48D4840D6202CC371C32CE0576098;`). Four hex digits are a Mode A/C reply.
//! The parser works on a `&str` line and checks every character, so each kind of malformed
//! line gets its own message (wrong start, odd or wrong digit count, non-hex digit with its
//! column, missing `;`). Nothing is allocated.

use std::fmt;

/// One parsed raw line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawFrame {
    /// MLAT timestamp of an `@` line, 12 MHz ticks.
    pub timestamp: Option<u64>,
    data: [u8; 14],
    len: u8,
}

impl RawFrame {
    /// The frame bytes: 2 (Mode A/C), 7 or 14.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }
}

/// What is wrong with a raw line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawError {
    /// The line does not begin with `*` or `@`.
    Start(char),
    /// No `;` at the end.
    NoEnd,
    /// A character that is not a hex digit, with its 1-based column.
    NotHex {
        /// 1-based column (in characters).
        column: usize,
        /// The character.
        ch: char,
    },
    /// A digit count that is no Mode S (or Mode A/C) frame.
    Digits {
        /// `*` or `@`.
        prefix: char,
        /// Number of hex digits between the prefix and `;`.
        digits: usize,
    },
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start(c) => write!(f, "a raw frame begins with '*' or '@', not {c:?}"),
            Self::NoEnd => f.write_str("missing ';' at the end of the frame"),
            Self::NotHex { column, ch } => write!(f, "{ch:?} at column {column} is not a hex digit"),
            Self::Digits { prefix: '@', digits } => {
                write!(f, "'@' frame of {digits} hex digits: 12 timestamp digits then a Mode S frame of 14 or 28")
            }
            Self::Digits { prefix, digits } => {
                write!(f, "'{prefix}' frame of {digits} hex digits: a Mode S frame has 14 or 28")
            }
        }
    }
}

impl std::error::Error for RawError {}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses one line (surrounding whitespace ignored).
///
/// # Errors
/// [`RawError`] describing the first problem found.
pub fn parse_line(line: &str) -> Result<RawFrame, RawError> {
    let line = line.trim();
    let mut chars = line.chars();
    let prefix = chars.next().unwrap_or(' ');
    if prefix != '*' && prefix != '@' {
        return Err(RawError::Start(prefix));
    }
    let body = &line[1..];
    let Some(body) = body.strip_suffix(';') else {
        // Report a bad character before a missing ';' only if the line is otherwise hex.
        return Err(match first_non_hex(body) {
            Some(e) => e,
            None => RawError::NoEnd,
        });
    };
    if let Some(e) = first_non_hex(body) {
        return Err(e);
    }
    let digits = body.len();
    let (ts_digits, frame_digits) = if prefix == '@' { (12, digits.wrapping_sub(12)) } else { (0, digits) };
    if digits < ts_digits || !matches!(frame_digits, 4 | 14 | 28) {
        return Err(RawError::Digits { prefix, digits });
    }
    let bytes = body.as_bytes();
    let timestamp = (prefix == '@')
        .then(|| bytes[..12].iter().fold(0u64, |acc, &b| (acc << 4) | u64::from(hex_value(b).unwrap_or(0))));
    let mut data = [0u8; 14];
    for (i, pair) in bytes[ts_digits..].chunks_exact(2).enumerate() {
        data[i] = (hex_value(pair[0]).unwrap_or(0) << 4) | hex_value(pair[1]).unwrap_or(0);
    }
    Ok(RawFrame { timestamp, data, len: (frame_digits / 2) as u8 })
}

fn first_non_hex(body: &str) -> Option<RawError> {
    body.chars().enumerate().find(|(_, c)| !c.is_ascii_hexdigit()).map(|(i, ch)| RawError::NotHex { column: i + 2, ch })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad() {
        let f = parse_line("*8D4840D6202CC371C32CE0576098;").expect("parses");
        assert_eq!(f.data().len(), 14);
        assert_eq!(f.timestamp, None);
        let f = parse_line("@0000000001FF5DAD57202809F9;").expect("parses");
        assert_eq!(f.timestamp, Some(0x1FF));
        assert_eq!(f.data(), &[0x5D, 0xAD, 0x57, 0x20, 0x28, 0x09, 0xF9]);
        assert_eq!(
            parse_line("*02C60B9ED4497;").map_err(|e| e.to_string()),
            Err("'*' frame of 13 hex digits: a Mode S frame has 14 or 28".to_string())
        );
        assert_eq!(parse_line("*8D48G0;"), Err(RawError::NotHex { column: 6, ch: 'G' }));
        assert_eq!(parse_line("*8D48"), Err(RawError::NoEnd));
        assert_eq!(parse_line("8D48;"), Err(RawError::Start('8')));
        assert_eq!(parse_line(""), Err(RawError::Start(' ')));
    }
}
