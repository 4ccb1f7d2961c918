//! CRC-24 of Mode S (generator polynomial 0xFFF409, ICAO Annex 10 Vol. IV 3.1.2.3.3).
//!
//! Table-driven, one lookup per byte: the table is built at compile time by a `const fn`, so
//! there is no lazy initialisation on the hot path. [`residual`] returns the CRC of the whole
//! frame with its parity field XOR-ed in: zero for a correct DF17/18, the interrogator code for
//! DF11, and the ICAO address for the Address/Parity formats (DF0/4/5/16/20/21).

/// The Mode S generator polynomial without its x^24 term.
const POLY: u32 = 0xFF_F409;

/// CRC of every byte value, shifted into the top of a 24-bit register.
static TABLE: [u32; 256] = build_table();

const fn build_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 16;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x80_0000 != 0 { (crc << 1) ^ POLY } else { crc << 1 };
            bit += 1;
        }
        table[i] = crc & 0xFF_FFFF;
        i += 1;
    }
    table
}

/// CRC-24 of `data` (no parity appended).
#[must_use]
pub fn crc24(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in data {
        crc = ((crc << 8) ^ TABLE[(((crc >> 16) as u8) ^ byte) as usize]) & 0xFF_FFFF;
    }
    crc
}

/// CRC of a whole frame XOR its last three bytes (the parity field); 0 when a DF17 is intact.
/// A frame shorter than 4 bytes has no parity field: its residual is its CRC.
#[must_use]
pub fn residual(frame: &[u8]) -> u32 {
    if frame.len() < 4 {
        return crc24(frame);
    }
    let (body, parity) = frame.split_at(frame.len() - 3);
    let parity = (u32::from(parity[0]) << 16) | (u32::from(parity[1]) << 8) | u32::from(parity[2]);
    crc24(body) ^ parity
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-by-bit reference implementation, to check the table.
    fn slow(data: &[u8]) -> u32 {
        let mut crc = 0u32;
        for &b in data {
            crc ^= u32::from(b) << 16;
            for _ in 0..8 {
                crc = if crc & 0x80_0000 != 0 { (crc << 1) ^ POLY } else { crc << 1 };
            }
        }
        crc & 0xFF_FFFF
    }

    #[test]
    fn table_matches_bitwise() {
        let data: Vec<u8> = (0..=255u8).collect();
        assert_eq!(crc24(&data), slow(&data));
    }

    #[test]
    fn known_df17_has_zero_residual() {
        let f = [0x8D, 0x48, 0x40, 0xD6, 0x20, 0x2C, 0xC3, 0x71, 0xC3, 0x2C, 0xE0, 0x57, 0x60, 0x98];
        assert_eq!(residual(&f), 0);
    }
}
