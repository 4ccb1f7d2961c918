//! Text encodings of CSV files. A spreadsheet's "CSV" is often Windows-1252 (what Excel on Windows calls
//! ANSI, and what most "Latin-1" files really are); everything else we read is UTF-8. Decoding is per
//! cell: every byte that CSV gives meaning to is ASCII, which both encodings share, so the file can be
//! split into cells before it is decoded.
//!
//! Windows-1252 is written out here (32 code points differ from Latin-1) rather than pulling in a
//! general encoding library for one table.

/// How a CSV file's bytes are text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
    /// Windows-1252. `latin1` and `iso-8859-1` mean this too, as in the WHATWG Encoding Standard that
    /// browsers follow: files labelled Latin-1 are in practice Windows-1252.
    #[serde(rename = "windows-1252", alias = "latin1", alias = "cp1252", alias = "iso-8859-1")]
    Windows1252,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "windows-1252" | "cp1252" | "latin1" | "latin-1" | "iso-8859-1" => Ok(Self::Windows1252),
            _ => Err(format!("{s:?} is not a supported encoding: expected utf-8, windows-1252 or latin1")),
        }
    }
}

/// Bytes 0x80..=0x9F in Windows-1252; the five it leaves undefined map to the C1 controls, as WHATWG does.
const HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’',
    '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// Decodes Windows-1252 (every byte is a character: this cannot fail).
pub fn windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreadsheet_bytes() {
        assert_eq!(windows_1252(b"Donets\x92k \x96 caf\xe9 \x80 5"), "Donets’k – café € 5");
        assert_eq!("Latin1".parse::<Encoding>(), Ok(Encoding::Windows1252));
        assert!("utf-16".parse::<Encoding>().is_err());
    }
}
