//! The classification as one NDJSON line, written by hand for speed (this is on the batch hot path).
//!
//! ```text
//! {"id":"a1","lines":{"loc":{"distance_m":5321.4,"side":"ukr"}},"zones":["security_zone"],
//!  "violations":[{"code":"cfv_in_security_zone","zone":"security_zone","category":"explosion_impact"}]}
//! ```
//!
//! Distances are metres rounded to 0.1 m. `side` is the id of the party holding the ground on the
//! observation's side, or `null` on the line (within 1 cm) or beyond an end under the "undetermined"
//! policy. Violation members other than `code` appear only when they apply. The format is documented in
//! `docs/classification.md`.

use crate::agreement::Agreement;
use crate::classify::{Classification, SideOf};

/// Appends `s` as a JSON string literal.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends metres rounded to one decimal (`null` if not finite).
pub fn write_metres(out: &mut Vec<u8>, m: f64) {
    if !m.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    let tenths = (m * 10.0).round() as i64;
    if tenths < 0 {
        out.push(b'-');
    }
    let t = tenths.unsigned_abs();
    write_u64(out, t / 10);
    out.push(b'.');
    out.push(b'0' + (t % 10) as u8);
}

/// Appends the decimal digits of `n` (no allocation: this runs for every number written).
fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn key(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

impl Classification {
    /// Appends the NDJSON line (with its newline) for a record whose id is already JSON (`id_json`).
    pub fn write_ndjson(&self, agreement: &Agreement, id_json: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"id\":");
        out.extend_from_slice(id_json);
        out.extend_from_slice(b",\"lines\":{");
        for (i, (line, r)) in agreement.lines.iter().zip(&self.lines).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_string(out, &line.id);
            out.extend_from_slice(b":{\"distance_m\":");
            write_metres(out, r.distance_m);
            out.extend_from_slice(b",\"side\":");
            match r.side {
                SideOf::Party(p) => write_json_string(out, &agreement.parties[p].id),
                SideOf::On | SideOf::Undetermined => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"},\"zones\":[");
        for (i, &z) in self.zones.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_json_string(out, &agreement.zones[z].id);
        }
        out.extend_from_slice(b"],\"violations\":[");
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"code\":\"");
            out.extend_from_slice(v.code.code().as_bytes());
            out.push(b'"');
            if let Some(z) = v.zone {
                key(out, "zone");
                write_json_string(out, &agreement.zones[z].id);
            }
            if let Some(c) = v.class {
                key(out, "class");
                write_json_string(out, &agreement.classes[c].id);
            }
            if let Some(p) = v.party {
                key(out, "party");
                write_json_string(out, &agreement.parties[p].id);
            }
            if let Some(l) = v.line {
                key(out, "line");
                write_json_string(out, &agreement.lines[l].id);
            }
            if let Some(m) = v.required_m {
                key(out, "required_m");
                write_metres(out, m);
            }
            if let Some(m) = v.actual_m {
                key(out, "actual_m");
                write_metres(out, m);
            }
            if let Some(c) = v.category {
                key(out, "category");
                write_json_string(out, c.id());
            }
            if let Some(p) = v.phase {
                key(out, "phase");
                write_json_string(out, &agreement.phases[p].id);
            }
            if let Some(n) = v.count {
                key(out, "count");
                write_u64(out, u64::from(n));
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"]}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let mut out = Vec::new();
        write_json_string(&mut out, "a\"b\\c\nd\u{1}é");
        let back: String = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn metres_round_to_a_tenth() {
        for (m, s) in [
            (0.0, "0.0"),
            (1234.56, "1234.6"),
            (-25.04, "-25.0"),
            (-0.06, "-0.1"),
            (7.0, "7.0"),
            (f64::INFINITY, "null"),
        ] {
            let mut out = Vec::new();
            write_metres(&mut out, m);
            assert_eq!(String::from_utf8(out).unwrap(), s);
        }
    }
}
