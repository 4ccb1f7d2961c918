//! Why a line was refused.
//!
//! Design: one `Copy` enum, no strings: a bad line in a fast feed must cost no allocation either, and
//! the `Display` text (what `truce decode ais` prints after `NAME:LINE:`) is produced only when asked.
//! Every variant names what was wrong and, where it helps, what was expected.

use thiserror::Error;

/// Displays a byte as a quoted character when printable, as hex otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteChar(pub u8);

impl std::fmt::Display for ByteChar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_ascii_graphic() || self.0 == b' ' {
            write!(f, "'{}'", char::from(self.0))
        } else {
            write!(f, "byte 0x{:02X}", self.0)
        }
    }
}

/// A line, sentence or message that could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The line is over the size cap.
    #[error("line of {len} bytes is longer than the {max}-byte cap on a sentence")]
    TooLong {
        /// Bytes in the line.
        len: usize,
        /// The cap ([`crate::MAX_LINE`]).
        max: usize,
    },
    /// A byte that is not printable ASCII (NMEA 0183 is ASCII; this also catches non-UTF-8 input).
    #[error("{byte} at column {column} is not printable ASCII (NMEA 0183 sentences are ASCII)")]
    NotAscii {
        /// The byte.
        byte: ByteChar,
        /// 1-based column.
        column: usize,
    },
    /// The line starts with something other than `!`, `$` or a `\` tag block.
    #[error("line starts with {0}, not '!' or '$' (or a '\\' tag block)")]
    NotASentence(ByteChar),
    /// A `\` tag block without its closing `\`.
    #[error("tag block has no closing '\\'")]
    TagBlockUnterminated,
    /// A tag block without `*hh`.
    #[error("tag block has no *hh checksum")]
    TagBlockNoChecksum,
    /// `*` in the tag block followed by something other than two hex digits.
    #[error("tag block checksum is not two hex digits after '*'")]
    TagBlockChecksumDigits,
    /// The tag block checksum is not the XOR of its characters.
    #[error("tag block checksum *{found:02X} does not match the tag block (computed *{computed:02X})")]
    TagBlockChecksum {
        /// The checksum written in the line.
        found: u8,
        /// The checksum of the characters.
        computed: u8,
    },
    /// A tag block field that could not be read.
    #[error("tag block field {field}: {reason}")]
    TagBlockField {
        /// The field letter (`c`, `s`, `g`…).
        field: ByteChar,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A tag block followed by nothing.
    #[error("tag block is not followed by a sentence")]
    TagBlockAlone,
    /// No `*hh` at the end of the sentence.
    #[error("sentence has no *hh checksum at its end")]
    NoChecksum,
    /// `*` followed by something other than two hex digits.
    #[error("sentence checksum is not two hex digits after '*'")]
    ChecksumDigits,
    /// The sentence checksum does not match.
    #[error("checksum *{found:02X} does not match the sentence (computed *{computed:02X})")]
    Checksum {
        /// The checksum written in the line.
        found: u8,
        /// The XOR of the characters between `!` and `*`.
        computed: u8,
    },
    /// Not a VDM/VDO sentence.
    #[error("sentence type is not VDM or VDO (AIS); address field is not of the form ttVDM")]
    NotAis,
    /// Wrong number of comma-separated fields.
    #[error("AIS sentence needs 7 comma-separated fields, got {0}")]
    FieldCount(usize),
    /// A field of the sentence is malformed.
    #[error("sentence field {field}: {reason}")]
    Field {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A payload character outside the 6-bit armouring.
    #[error("payload character {0} is not 6-bit ASCII")]
    PayloadChar(ByteChar),
    /// An empty payload.
    #[error("payload is empty")]
    EmptyPayload,
    /// The joined fragments are too long.
    #[error("assembled payload is longer than {max} characters")]
    PayloadTooLong {
        /// The cap ([`crate::MAX_PAYLOAD_CHARS`]).
        max: usize,
    },
    /// A later fragment arrived while nothing was pending for its message.
    #[error("fragment {number} of {total} without fragment 1")]
    MissingFirst {
        /// This fragment's number.
        number: u8,
        /// Fragments in the message.
        total: u8,
    },
    /// A fragment arrived out of order (one is missing).
    #[error("fragment {number} of {total} after fragment {previous} (fragment {} missing)", previous + 1)]
    OutOfOrder {
        /// This fragment's number.
        number: u8,
        /// Fragments in the message.
        total: u8,
        /// The last fragment received.
        previous: u8,
    },
    /// Fragments of one message disagree on the count.
    #[error("fragment {number} says {total} fragments, fragment 1 said {first_total}")]
    TotalMismatch {
        /// This fragment's number.
        number: u8,
        /// Its fragment count.
        total: u8,
        /// The first fragment's count.
        first_total: u8,
    },
    /// The message is shorter than its type requires.
    #[error("message type {msg_type} needs {need} bits, got {got}")]
    TooShort {
        /// The message type.
        msg_type: u8,
        /// Bits required.
        need: usize,
        /// Bits present.
        got: usize,
    },
    /// A type 24 message with a part number other than 0 (A) or 1 (B).
    #[error("message type 24 part number {0} is not A (0) or B (1)")]
    PartNumber(u8),
}
