//! The AIS payload armouring and a bit reader over it.
//!
//! Design: a payload character maps to its 6-bit value through one 256-entry lookup table (0xFF marks
//! a character outside the armouring, so validation and conversion are one load). The values are then
//! packed big-endian into a fixed array of `u64` words, once per message, so that every field is read
//! with two word loads and a shift instead of a loop over characters. Nothing is allocated: the
//! packed message lives on the stack (1020 bits, more than the 1008 of the longest AIS message).

/// Payload characters: `0`–`W` are 0–39 and `` ` ``–`w` are 40–63; everything else is invalid (0xFF).
pub(crate) const SIXBIT: [u8; 256] = {
    let mut t = [0xFF_u8; 256];
    let mut c = 48;
    while c < 88 {
        t[c] = (c - 48) as u8;
        c += 1;
    }
    let mut c = 96;
    while c < 120 {
        t[c] = (c - 56) as u8;
        c += 1;
    }
    t
};

/// The text alphabet of AIS string fields (ITU-R M.1371 table 47): value 0 is `@`, 32 is space.
pub(crate) const TEXT: &[u8; 64] = b"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?";

/// Most payload characters one message may have once its fragments are joined: 1020 bits.
pub const MAX_PAYLOAD_CHARS: usize = 170;

// 170 characters are 1020 bits: 16 words, the last partly used.
const WORDS: usize = (MAX_PAYLOAD_CHARS * 6).div_ceil(64);

/// A message's bits, packed big-endian; reads past the end give zeros (callers check the length first).
pub(crate) struct Bits {
    words: [u64; WORDS],
    len: usize,
}

impl Bits {
    /// Packs armoured payload characters, dropping `fill` bits from the end; the first character
    /// outside the armouring is the error. One pass: lookup, validity and packing together.
    pub(crate) fn from_armoured(payload: &[u8], fill: u8) -> Result<Self, u8> {
        let payload = &payload[..payload.len().min(MAX_PAYLOAD_CHARS)];
        let mut words = [0_u64; WORDS];
        let mut bad = 0_u8;
        let mut pos = 0; // bits written
        // Ten characters (60 bits) are gathered in a u64, then placed with at most two word writes.
        for chunk in payload.chunks(10) {
            let mut v = 0_u64;
            for &c in chunk {
                let x = SIXBIT[usize::from(c)];
                bad |= x;
                v = (v << 6) | u64::from(x & 0x3F);
            }
            let nbits = chunk.len() * 6;
            let aligned = v << (64 - nbits); // most significant bit first
            let (w, off) = (pos / 64, pos % 64);
            words[w] |= aligned >> off;
            if off + nbits > 64 {
                words[w + 1] |= aligned << (64 - off);
            }
            pos += nbits;
        }
        // Only the invalid marker 0xFF has bit 6 set, so one test covers the whole payload.
        if bad & 0x40 != 0 {
            return Err(payload.iter().copied().find(|&c| SIXBIT[usize::from(c)] == 0xFF).unwrap_or(0));
        }
        let len = pos.saturating_sub(usize::from(fill));
        // Fill bits are zero by the standard but not always on the air: clear them so they never leak.
        let mut b = Bits { words, len };
        b.clear_from(len);
        Ok(b)
    }

    fn clear_from(&mut self, bit: usize) {
        let w = bit / 64;
        if w >= WORDS {
            return;
        }
        let keep = bit % 64;
        self.words[w] &= if keep == 0 { 0 } else { !0_u64 << (64 - keep) };
        for x in &mut self.words[w + 1..] {
            *x = 0;
        }
    }

    /// Number of bits in the message.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// An unsigned field of `width` ≤ 32 bits at `start`.
    #[inline]
    pub(crate) fn u(&self, start: usize, width: u32) -> u32 {
        let w = start / 64;
        if w >= WORDS {
            return 0;
        }
        let hi = u128::from(self.words[w]) << 64;
        let lo = self.words.get(w + 1).copied().map_or(0, u128::from);
        let v = (hi | lo) << (start % 64);
        (v >> (128 - width)) as u32
    }

    /// A two's complement field of `width` ≤ 32 bits.
    #[inline]
    pub(crate) fn i(&self, start: usize, width: u32) -> i32 {
        let raw = self.u(start, width);
        let shift = 32 - width;
        ((raw << shift) as i32) >> shift
    }

    /// A boolean bit.
    #[inline]
    pub(crate) fn b(&self, start: usize) -> bool {
        self.u(start, 1) == 1
    }

    /// A text field of `chars` 6-bit characters, trailing `@` and spaces trimmed. Stops at the
    /// message's end (shortened type 21 and 24 messages end inside their name fields).
    pub(crate) fn text<const N: usize>(&self, start: usize, chars: usize) -> Text<N> {
        let mut t = Text { bytes: [0; N], len: 0 };
        let avail = self.len.saturating_sub(start) / 6;
        let chars = chars.min(avail).min(N);
        for i in 0..chars {
            t.bytes[i] = TEXT[self.u(start + 6 * i, 6) as usize];
        }
        // Standard says `@` ends the text; trailing spaces are padding as well.
        let mut len = chars;
        while len > 0 && matches!(t.bytes[len - 1], b'@' | b' ') {
            len -= 1;
        }
        // An `@` in the middle also ends the text (ITU-R M.1371: "@" = no more characters).
        if let Some(at) = t.bytes[..len].iter().position(|&c| c == b'@') {
            len = at;
            while len > 0 && t.bytes[len - 1] == b' ' {
                len -= 1;
            }
        }
        t.len = len as u8;
        t
    }
}

/// A short text field held inline (no heap): at most `N` ASCII bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> Text<N> {
    /// The empty text.
    pub const EMPTY: Self = Text { bytes: [0; N], len: 0 };

    /// The text; always ASCII.
    pub fn as_str(&self) -> &str {
        // Only bytes of the TEXT alphabet (ASCII) are ever stored.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// Stores `bytes` (at most `N`, ASCII: callers check).
    pub(crate) fn set(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(N);
        self.bytes[..n].copy_from_slice(&bytes[..n]);
        self.len = n as u8;
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when the field was empty or all padding.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> std::fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> std::fmt::Display for Text<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> PartialEq<str> for Text<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for Text<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(payload: &str, fill: u8) -> Bits {
        Bits::from_armoured(payload.as_bytes(), fill).expect("valid payload")
    }

    #[test]
    fn table_covers_exactly_the_armouring() {
        let valid: Vec<u8> = (0..=255_u8).filter(|&c| SIXBIT[usize::from(c)] != 0xFF).collect();
        assert_eq!(valid.len(), 64);
        assert_eq!(SIXBIT[usize::from(b'0')], 0);
        assert_eq!(SIXBIT[usize::from(b'W')], 39);
        assert_eq!(SIXBIT[usize::from(b'`')], 40);
        assert_eq!(SIXBIT[usize::from(b'w')], 63);
        assert_eq!(SIXBIT[usize::from(b'X')], 0xFF);
        assert_eq!(SIXBIT[usize::from(b'x')], 0xFF);
    }

    #[test]
    fn fields_across_word_boundaries() {
        // "w" is 63 = 111111: 30 characters give 180 one bits.
        let b = bits(&"w".repeat(30), 0);
        assert_eq!(b.len(), 180);
        assert_eq!(b.u(60, 8), 0xFF);
        assert_eq!(b.u(62, 30), (1 << 30) - 1);
        assert_eq!(b.i(120, 8), -1);
        assert_eq!(b.u(178, 6), 0b110000, "bits past the end read as zero");
        let b = bits(&"w".repeat(30), 4);
        assert_eq!(b.len(), 176);
        assert_eq!(b.u(170, 10), 0b1111110000, "fill bits are cleared");
    }

    #[test]
    fn text_trims_padding() {
        // 'A' is 1 = "1" in armouring; '@' is 0 = "0"; space is 32 = "P".
        let b = bits("1P10PP00", 0);
        let t: Text<8> = b.text(0, 8);
        assert_eq!(t, "A A");
        let t: Text<8> = b.text(0, 1);
        assert_eq!(t, "A");
    }
}
