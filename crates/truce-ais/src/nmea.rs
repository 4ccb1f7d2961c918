//! One line: an optional NMEA 4.10 tag block, then a `!ttVDM`/`!ttVDO` sentence.
//!
//! Design: a few linear passes over the bytes, no allocation: the sentence borrows its payload from the
//! line. The line is first checked to be printable ASCII (which also rejects non-UTF-8 input with a
//! precise column), then the checksums are XORs over byte slices (eight bytes at a time). The five
//! short leading fields are split from the front and the fill bits from the back, so the payload, the
//! longest field, is not scanned for commas.

use crate::bits::Text;
use crate::error::{ByteChar, Error};

/// Longest line accepted, tag block included. NMEA 0183 caps a sentence at 82 characters; real feeds
/// with tag blocks reach ~200; 512 leaves room for long tag blocks while bounding the work per line.
pub const MAX_LINE: usize = 512;

/// The `s:` source/station of a tag block, at most 32 bytes (longer values are refused).
pub type Station = Text<32>;

/// A point in time, in milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From whole seconds since the epoch.
    pub fn from_unix_seconds(s: i64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }

    /// From milliseconds since the epoch.
    pub fn from_unix_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the epoch.
    pub fn unix_millis(self) -> i64 {
        self.0
    }
}

/// RFC 3339 in UTC: `2017-08-18T18:05:17Z`, with milliseconds only when they are not zero.
impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.0.div_euclid(1000);
        let ms = self.0.rem_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", sod / 3600, sod / 60 % 60, sod % 60)?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The `g:` field of a tag block: sentence `number` of `total` in group `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Group {
    /// This sentence's number in the group, from 1.
    pub number: u8,
    /// Sentences in the group.
    pub total: u8,
    /// The group's identifier.
    pub id: u32,
}

/// The fields of an NMEA 4.10 tag block that AIS uses; others (`n:`, `t:`, `d:`, `q:`…) are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TagBlock {
    /// `c:` receive time (seconds since the epoch, or milliseconds when the value exceeds 10^11).
    pub time: Option<Timestamp>,
    /// `s:` the receiving station.
    pub station: Option<Station>,
    /// `g:` the sentence group.
    pub group: Option<Group>,
}

/// A parsed VDM/VDO sentence, borrowing its payload from the line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sentence<'a> {
    pub tag: TagBlock,
    pub own: bool,
    pub total: u8,
    pub number: u8,
    pub seq: Option<u8>,
    pub channel: u8,
    pub payload: &'a [u8],
    pub fill: u8,
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn xor(bytes: &[u8]) -> u8 {
    // Folding eight bytes at a time lets the compiler keep it in one register per lane.
    let mut chunks = bytes.chunks_exact(8);
    let mut acc = 0_u64;
    for c in &mut chunks {
        let mut w = [0_u8; 8];
        w.copy_from_slice(c);
        acc ^= u64::from_le_bytes(w);
    }
    let mut x = acc.to_le_bytes().iter().fold(0, |a, b| a ^ b);
    for b in chunks.remainder() {
        x ^= b;
    }
    x
}

/// Strips the line ending and trailing blanks.
pub(crate) fn trim_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\r' | b'\n' | b' ' | b'\t') {
        end -= 1;
    }
    &line[..end]
}

/// Parses one line (already trimmed, non-empty).
pub(crate) fn parse_line(line: &[u8]) -> Result<Sentence<'_>, Error> {
    if line.len() > MAX_LINE {
        return Err(Error::TooLong { len: line.len(), max: MAX_LINE });
    }
    // Eight bytes at a time, then the position only on failure.
    if !is_printable_ascii(line) {
        let i = line.iter().position(|&b| !(0x20..0x7F).contains(&b)).unwrap_or(0);
        return Err(Error::NotAscii { byte: ByteChar(line[i]), column: i + 1 });
    }
    let (tag, rest) = if line[0] == b'\\' {
        let body = &line[1..];
        let close = body.iter().position(|&b| b == b'\\').ok_or(Error::TagBlockUnterminated)?;
        let tag = parse_tag_block(&body[..close])?;
        let rest = &body[close + 1..];
        if rest.is_empty() {
            return Err(Error::TagBlockAlone);
        }
        (tag, rest)
    } else {
        (TagBlock::default(), line)
    };
    parse_sentence(rest, tag)
}

/// True when every byte is in 0x20..=0x7E. Word-at-a-time ("SWAR", Hacker's Delight / Anderson's bit
/// hacks `hasless` and `hasmore`): exact for the question "does any byte fall outside".
fn is_printable_ascii(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES * 0x80;
    let mut chunks = bytes.chunks_exact(8);
    let mut bad = 0_u64;
    for c in &mut chunks {
        let mut w = [0_u8; 8];
        w.copy_from_slice(c);
        let x = u64::from_le_bytes(w);
        // Any byte < 0x20, or any byte > 0x7E (which includes every byte with the high bit set).
        bad |= x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        // hasmore(x, 0x7E): adding 127 - 0x7E = 1 to each byte sets the high bit of any byte above 0x7E.
        bad |= (x.wrapping_add(ONES) | x) & HIGH;
    }
    bad == 0 && chunks.remainder().iter().all(|&b| (0x20..0x7F).contains(&b))
}

fn checksum_split(s: &[u8]) -> Option<(&[u8], &[u8])> {
    let star = s.iter().rposition(|&b| b == b'*')?;
    Some((&s[..star], &s[star + 1..]))
}

fn parse_hex2(d: &[u8]) -> Option<u8> {
    match d {
        [a, b] => Some(hex(*a)? << 4 | hex(*b)?),
        _ => None,
    }
}

fn parse_tag_block(tb: &[u8]) -> Result<TagBlock, Error> {
    let (body, sum) = checksum_split(tb).ok_or(Error::TagBlockNoChecksum)?;
    let found = parse_hex2(sum).ok_or(Error::TagBlockChecksumDigits)?;
    let computed = xor(body);
    if found != computed {
        return Err(Error::TagBlockChecksum { found, computed });
    }
    let mut tag = TagBlock::default();
    for field in body.split(|&b| b == b',') {
        let [key, b':', value @ ..] = field else {
            return Err(Error::TagBlockField {
                field: ByteChar(field.first().copied().unwrap_or(b',')),
                reason: "not of the form k:value",
            });
        };
        let bad = |reason| Error::TagBlockField { field: ByteChar(*key), reason };
        match key {
            b'c' => {
                let v = parse_u64(value).ok_or(bad("time is not a decimal number"))?;
                let v = i64::try_from(v).map_err(|_| bad("time is out of range"))?;
                // Seconds until the year 5138; a larger value can only be milliseconds.
                tag.time = Some(if v > 100_000_000_000 {
                    Timestamp::from_unix_millis(v)
                } else {
                    Timestamp::from_unix_seconds(v)
                });
            }
            b's' => {
                tag.station = Some(Station::from_ascii(value).ok_or(bad("station is longer than 32 bytes"))?);
            }
            b'g' => {
                let mut it = value.split(|&b| b == b'-');
                let (Some(n), Some(t), Some(id), None) = (it.next(), it.next(), it.next(), it.next()) else {
                    return Err(bad("group is not number-total-id"));
                };
                let number = parse_u64(n).and_then(|v| u8::try_from(v).ok());
                let total = parse_u64(t).and_then(|v| u8::try_from(v).ok());
                let id = parse_u64(id).and_then(|v| u32::try_from(v).ok());
                let (Some(number), Some(total), Some(id)) = (number, total, id) else {
                    return Err(bad("group is not number-total-id"));
                };
                if number == 0 || number > total {
                    return Err(bad("group sentence number is not within 1..total"));
                }
                tag.group = Some(Group { number, total, id });
            }
            _ => {}
        }
    }
    Ok(tag)
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v = 0_u64;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(b - b'0');
    }
    Some(v)
}

fn digit(field: &'static str, s: &[u8], lo: u8, hi: u8) -> Result<u8, Error> {
    match s {
        [d @ b'0'..=b'9'] if (lo..=hi).contains(&(d - b'0')) => Ok(d - b'0'),
        [_] => Err(Error::Field { field, reason: "digit out of range" }),
        [] => Err(Error::Field { field, reason: "empty" }),
        _ => Err(Error::Field { field, reason: "not a single digit" }),
    }
}

fn parse_sentence(s: &[u8], tag: TagBlock) -> Result<Sentence<'_>, Error> {
    if !matches!(s[0], b'!' | b'$') {
        return Err(Error::NotASentence(ByteChar(s[0])));
    }
    let (body, sum) = checksum_split(&s[1..]).ok_or(Error::NoChecksum)?;
    let found = parse_hex2(sum).ok_or(Error::ChecksumDigits)?;
    let computed = xor(body);
    if found != computed {
        return Err(Error::Checksum { found, computed });
    }
    // Seven fields: address, total, number, sequence id, channel, payload, fill bits. The first five
    // are short and split from the front; the fill bits are the field after the last comma. So the
    // long payload is never scanned for commas here (a comma in it is counted only on the error path).
    let mut f: [&[u8]; 7] = [&[]; 7];
    let mut rest = body;
    for slot in f.iter_mut().take(5) {
        match rest.iter().position(|&b| b == b',') {
            Some(i) => {
                *slot = &rest[..i];
                rest = &rest[i + 1..];
            }
            None => {
                *slot = rest;
                rest = &[];
                break;
            }
        }
    }
    let last = rest.iter().rposition(|&b| b == b',');
    let n = match last {
        Some(i) => {
            f[5] = &rest[..i];
            f[6] = &rest[i + 1..];
            7 + f[5].iter().filter(|&&b| b == b',').count()
        }
        None => body.iter().filter(|&&b| b == b',').count() + 1,
    };
    if n != 7 {
        // The address is checked first so that another sentence type says so rather than "7 fields".
        if !is_ais_address(f[0]) {
            return Err(Error::NotAis);
        }
        return Err(Error::FieldCount(n));
    }
    let [address, total, number, seq, channel, payload, fill] = f;
    if !is_ais_address(address) {
        return Err(Error::NotAis);
    }
    let own = address[4] == b'O';
    let total = digit("fragment count", total, 1, 9)?;
    let number = digit("fragment number", number, 1, 9)?;
    if number > total {
        return Err(Error::Field { field: "fragment number", reason: "greater than the fragment count" });
    }
    let seq = if seq.is_empty() { None } else { Some(digit("sequential message id", seq, 0, 9)?) };
    let channel = match channel {
        [] => 0,
        [c @ (b'A' | b'B' | b'1' | b'2' | b'C' | b'D')] => *c,
        // Some receivers write "AB" for a message heard on both channels.
        [c @ (b'A' | b'B'), _] => *c,
        _ => return Err(Error::Field { field: "channel", reason: "not A, B, 1 or 2" }),
    };
    let fill = digit("fill bits", fill, 0, 5)?;
    Ok(Sentence { tag, own, total, number, seq, channel, payload, fill })
}

fn is_ais_address(a: &[u8]) -> bool {
    matches!(a, [t1, t2, b'V', b'D', b'M' | b'O'] if t1.is_ascii_uppercase() && t2.is_ascii_uppercase())
}

impl<const N: usize> Text<N> {
    /// A text from ASCII bytes; `None` when longer than `N` or not ASCII.
    pub fn from_ascii(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > N || !bytes.is_ascii() {
            return None;
        }
        let mut t = Self::EMPTY;
        t.set(bytes);
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_rfc3339() {
        assert_eq!(Timestamp::from_unix_seconds(1_503_079_517).to_string(), "2017-08-18T18:05:17Z");
        assert_eq!(Timestamp::from_unix_millis(1_503_079_517_250).to_string(), "2017-08-18T18:05:17.250Z");
        assert_eq!(Timestamp::from_unix_seconds(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp::from_unix_seconds(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Timestamp::from_unix_seconds(-1).to_string(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn printable_ascii_word_check_matches_the_byte_check() {
        for b in 0..=255_u8 {
            for at in 0..17 {
                let mut line = vec![b'A'; 17];
                line[at] = b;
                assert_eq!(is_printable_ascii(&line), (0x20..0x7F).contains(&b), "byte {b:#x} at {at}");
            }
        }
        assert!(is_printable_ascii(b""));
    }

    #[test]
    fn xor_matches_the_plain_fold() {
        let s = b"AIVDM,1,1,,A,15M:@d001H@Hb4,0";
        for end in 0..s.len() {
            assert_eq!(xor(&s[..end]), s[..end].iter().fold(0, |a, b| a ^ b));
        }
    }

    #[test]
    fn tag_block_fields() {
        let s = parse_line(br"\c:1503079517,s:station1,g:1-2-1234*0B\!AIVDM,2,1,1,A,1,0*25");
        let tag = match s {
            Ok(s) => s.tag,
            Err(Error::Checksum { computed, .. }) => {
                panic!("sentence checksum is {computed:02X}")
            }
            Err(e) => panic!("{e}"),
        };
        assert_eq!(tag.time, Some(Timestamp::from_unix_seconds(1_503_079_517)));
        assert_eq!(tag.station.map(|s| s.to_string()), Some("station1".to_string()));
        assert_eq!(tag.group, Some(Group { number: 1, total: 2, id: 1234 }));
    }
}
