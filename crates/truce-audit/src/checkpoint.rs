//! Signed checkpoints of the tree head, and the log's signing key.
//!
//! A checkpoint is a small text file in the style of a C2SP signed note (`tlog-checkpoint`): a body of
//! lines, a blank line, a signature line.
//!
//! ```text
//! truce audit log                                   origin
//! 1234                                              tree size, decimal
//! 3tDpukN+GxC7…=                                    root, base64 (standard, padded) of 32 bytes
//! time 2026-05-01T09:12:03Z                         when it was signed, RFC 3339
//! key cYmF+fVveuW8…=                                the Ed25519 public key, base64 of 32 bytes
//!                                                   (blank)
//! — truce audit log BVwh+H99…                       em dash, key name, base64(key id || signature)
//! ```
//!
//! The signature is Ed25519 over the body's bytes (the five lines, each with its `\n`). The key id is the
//! first 4 bytes of `SHA-256("truce audit log" || "\n" || 0x01 || public key)`, as signed notes compute
//! it for Ed25519. The public key in the body makes a checkpoint checkable alone; `verify` additionally
//! requires it to be the log's own key, so a rewritten log signed with a new key does not pass against a
//! checkpoint saved before.
//!
//! The key is `audit.key` in the data directory: a PKCS#8 Ed25519 key made on first use, written to a
//! temporary file of mode 0600 then renamed, never replaced once there.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::digest::{SHA256, digest};
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::merkle::Hash;

/// The origin line of every checkpoint, and the key's name in the signature line.
pub const ORIGIN: &str = "truce audit log";
const DASH: &str = "\u{2014} ";

/// A signed statement that the log had `size` entries with root `root` at `time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The tree size.
    pub size: u64,
    /// The root of the tree of that size.
    pub root: Hash,
    /// When it was signed, RFC 3339.
    pub time: String,
    /// The Ed25519 public key that signed it.
    pub public_key: [u8; 32],
    /// The Ed25519 signature of [`Checkpoint::body`].
    pub signature: [u8; 64],
}

/// Why a checkpoint text is refused: the line (from 1) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct CheckpointError {
    /// The line at fault, from 1.
    pub line: usize,
    /// Why.
    pub reason: String,
}

fn err(line: usize, reason: impl Into<String>) -> CheckpointError {
    CheckpointError { line, reason: reason.into() }
}

/// The signed-note key id of an Ed25519 public key named [`ORIGIN`].
pub fn key_id(public_key: &[u8; 32]) -> [u8; 4] {
    let mut data = Vec::with_capacity(ORIGIN.len() + 34);
    data.extend_from_slice(ORIGIN.as_bytes());
    data.extend_from_slice(b"\n\x01");
    data.extend_from_slice(public_key);
    let d = digest(&SHA256, &data);
    let mut id = [0u8; 4];
    id.copy_from_slice(&d.as_ref()[..4]);
    id
}

impl Checkpoint {
    /// The signed text: origin, size, root, time and key lines, each ending in `\n`.
    pub fn body(&self) -> String {
        format!(
            "{ORIGIN}\n{}\n{}\ntime {}\nkey {}\n",
            self.size,
            STANDARD.encode(self.root),
            self.time,
            STANDARD.encode(self.public_key)
        )
    }

    /// The whole checkpoint file: body, blank line, signature line.
    pub fn to_text(&self) -> String {
        let mut sig = Vec::with_capacity(68);
        sig.extend_from_slice(&key_id(&self.public_key));
        sig.extend_from_slice(&self.signature);
        format!("{}\n{DASH}{ORIGIN} {}\n", self.body(), STANDARD.encode(sig))
    }

    /// Parses a checkpoint file and checks its signature against the key it names.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let Some(text) = text.strip_suffix('\n') else {
            return Err(err(text.split('\n').count(), "the file does not end with a newline"));
        };
        let lines: Vec<&str> = text.split('\n').collect();
        let line = |i: usize| lines.get(i).copied().ok_or_else(|| err(i + 1, "missing: a checkpoint has 7 lines"));
        if line(0)? != ORIGIN {
            return Err(err(1, format!("origin: expected `{ORIGIN}`, found `{}`", short(line(0)?))));
        }
        let size_text = line(1)?;
        let size = if size_text.bytes().all(|b| b.is_ascii_digit())
            && !size_text.is_empty()
            && (size_text == "0" || !size_text.starts_with('0'))
        {
            size_text.parse::<u64>().map_err(|_| err(2, "size: too large for 64 bits"))?
        } else {
            return Err(err(2, format!("size: `{}` is not a decimal number", short(size_text))));
        };
        let root: Hash = decode_fixed(line(2)?).map_err(|r| err(3, format!("root: {r}")))?;
        let time = line(3)?.strip_prefix("time ").ok_or_else(|| err(4, "time: expected `time <RFC 3339 time>`"))?;
        OffsetDateTime::parse(time, &Rfc3339)
            .map_err(|_| err(4, format!("time: `{}` is not an RFC 3339 time", short(time))))?;
        let key_text =
            line(4)?.strip_prefix("key ").ok_or_else(|| err(5, "key: expected `key <base64 public key>`"))?;
        let public_key: [u8; 32] = decode_fixed(key_text).map_err(|r| err(5, format!("key: {r}")))?;
        if !line(5)?.is_empty() {
            return Err(err(6, "expected the blank line that ends the body"));
        }
        let sig_text = line(6)?
            .strip_prefix(DASH)
            .and_then(|s| s.strip_prefix(ORIGIN))
            .and_then(|s| s.strip_prefix(' '))
            .ok_or_else(|| err(7, format!("signature: expected `{DASH}{ORIGIN} <base64>`")))?;
        let sig: [u8; 68] = decode_fixed(sig_text).map_err(|r| err(7, format!("signature: {r}")))?;
        if lines.len() > 7 {
            return Err(err(8, "unexpected text after the signature line"));
        }
        if sig[..4] != key_id(&public_key) {
            return Err(err(7, "signature: its key id is not that of the key on line 5"));
        }
        let mut signature = [0u8; 64];
        signature.copy_from_slice(&sig[4..]);
        let cp = Checkpoint { size, root, time: time.to_owned(), public_key, signature };
        cp.check_signature().map_err(|()| err(7, "signature: does not verify with the key on line 5"))?;
        Ok(cp)
    }

    /// Checks the signature against the checkpoint's own key.
    fn check_signature(&self) -> Result<(), ()> {
        UnparsedPublicKey::new(&ED25519, &self.public_key)
            .verify(self.body().as_bytes(), &self.signature)
            .map_err(|_| ())
    }

    /// True when the signature verifies with the checkpoint's own key (it always does for a checkpoint
    /// from [`Checkpoint::parse`] or [`SigningKey::sign`]).
    pub fn signature_valid(&self) -> bool {
        self.check_signature().is_ok()
    }
}

/// The first 60 characters of `s`, for error messages.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn decode_fixed<const N: usize>(s: &str) -> Result<[u8; N], String> {
    let bytes = STANDARD.decode(s).map_err(|e| format!("not base64 ({e})"))?;
    bytes.try_into().map_err(|b: Vec<u8>| format!("{} bytes, expected {N}", b.len()))
}

/// The log's Ed25519 signing key.
#[derive(Debug)]
pub struct SigningKey {
    pair: Ed25519KeyPair,
}

/// Why the key could not be read or made.
#[derive(Debug, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct KeyError {
    /// The key file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

impl SigningKey {
    /// Reads `dir/audit.key`.
    pub fn load(dir: &Path) -> Result<SigningKey, KeyError> {
        let path = dir.join(crate::KEY_FILE);
        let der = fs::read(&path).map_err(|e| KeyError { path: path.clone(), reason: e.to_string() })?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| KeyError { path, reason: format!("not a PKCS#8 Ed25519 key ({e})") })?;
        Ok(SigningKey { pair })
    }

    /// Reads `dir/audit.key`, or makes it when there is none (mode 0600, written whole then renamed).
    pub fn load_or_create(dir: &Path) -> Result<SigningKey, KeyError> {
        let path = dir.join(crate::KEY_FILE);
        if path.exists() {
            return SigningKey::load(dir);
        }
        let io = |e: std::io::Error| KeyError { path: path.clone(), reason: e.to_string() };
        let rng = SystemRandom::new();
        let der = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| KeyError { path: path.clone(), reason: "the system random generator failed".into() })?;
        let tmp = dir.join(format!("{}.tmp", crate::KEY_FILE));
        let mut f =
            fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(io)?;
        f.write_all(der.as_ref()).and_then(|()| f.sync_all()).map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)?;
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        SigningKey::load(dir)
    }

    /// The public key.
    pub fn public_key(&self) -> [u8; 32] {
        let mut k = [0u8; 32];
        k.copy_from_slice(self.pair.public_key().as_ref());
        k
    }

    /// Signs a checkpoint of the tree of `size` entries with root `root`, stamped now.
    pub fn sign(&self, size: u64, root: Hash) -> Checkpoint {
        let time = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| OffsetDateTime::now_utc());
        let time = time.format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned());
        let mut cp = Checkpoint { size, root, time, public_key: self.public_key(), signature: [0; 64] };
        let sig = self.pair.sign(cp.body().as_bytes());
        cp.signature.copy_from_slice(sig.as_ref());
        cp
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn key() -> (tempfile::TempDir, SigningKey) {
        let dir = tempfile::tempdir().unwrap();
        let k = SigningKey::load_or_create(dir.path()).unwrap();
        (dir, k)
    }

    #[test]
    fn a_checkpoint_round_trips_through_its_text() {
        let (_dir, k) = key();
        let cp = k.sign(42, [7; 32]);
        let text = cp.to_text();
        assert!(text.starts_with("truce audit log\n42\n"), "{text}");
        assert!(text.contains("\n\n\u{2014} truce audit log "), "{text}");
        assert_eq!(Checkpoint::parse(&text).unwrap(), cp);
        assert!(cp.signature_valid());
    }

    #[test]
    fn the_key_is_private_and_kept() {
        let (dir, k) = key();
        let mode = fs::metadata(dir.path().join(crate::KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(SigningKey::load_or_create(dir.path()).unwrap().public_key(), k.public_key());
        fs::write(dir.path().join(crate::KEY_FILE), b"junk").unwrap();
        assert!(SigningKey::load(dir.path()).unwrap_err().to_string().contains("PKCS#8"));
    }

    #[test]
    fn bad_checkpoints_name_the_line() {
        let (_dir, k) = key();
        let good = k.sign(5, [1; 32]).to_text();
        let other = {
            let (_d, k2) = key();
            k2.sign(5, [1; 32]).to_text()
        };
        let lines: Vec<&str> = good.lines().collect();
        let with = |i: usize, s: &str| {
            let mut l = lines.clone();
            l[i] = s;
            l.join("\n") + "\n"
        };
        let other_sig = other.lines().nth(6).unwrap().to_owned();
        let cases = [
            (with(0, "other log"), "line 1: origin"),
            (with(1, "05"), "line 2: size"),
            (with(1, "99999999999999999999999"), "line 2: size: too large"),
            (with(1, "6"), "line 7: signature: does not verify"),
            (with(2, "AAAA"), "line 3: root: 3 bytes"),
            (with(2, "!!"), "line 3: root: not base64"),
            (with(3, "time yesterday"), "line 4: time"),
            (with(4, "kee x"), "line 5: key"),
            (with(5, "x"), "line 6"),
            (with(6, "- truce audit log AAAA"), "line 7: signature: expected"),
            (with(6, &other_sig), "line 7: signature: its key id"),
            (good.trim_end().to_owned(), "newline"),
            (lines[..4].join("\n") + "\n", "line 5: missing"),
            (good.clone() + "more\n", "line 8"),
        ];
        for (text, want) in cases {
            let e = Checkpoint::parse(&text).unwrap_err().to_string();
            assert!(e.contains(want), "{text}\n  gave {e}, wanted {want}");
        }
    }
}
