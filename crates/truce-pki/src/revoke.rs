//! Revocation: the register of revoked certificates and a cheap, shared view of it for the TLS
//! listener.
//!
//! `revoked.tsv` holds one line per revoked certificate (serial, callsign, revoked-at in RFC 3339,
//! reason) under a header line, in revocation order. [`CertStore::revoke`] rewrites it whole (read,
//! append, [`write_atomic`]) under the registers' lock, so a reader sees either the old file or the new
//! one; a certificate already listed is not listed again.
//!
//! The TLS listener asks [`Revocations::is_revoked`] at every handshake. The answer comes from a set
//! kept in memory; at most every [`CHECK_INTERVAL`] the file is `stat`ed, and read again only when
//! its modification time, length or inode changed. So a `truce certs revoke` run beside a running
//! server takes effect within a second, and a handshake costs at most one `stat`. A file that cannot
//! be read or parsed leaves the previous set in place (and is retried at the next check): failing
//! open on a corrupt file would readmit every revoked device.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use time::OffsetDateTime;

use crate::store::rfc3339;
use crate::{CertStore, Error, IssuedRecord, write_atomic};

pub(crate) const REVOKED_FILE: &str = "revoked.tsv";
const REVOKED_HEADER: &str = "serial\tcallsign\trevoked_at\treason\n";

/// How often [`Revocations::is_revoked`] looks at the file at most.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// Which certificates to revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoke {
    /// The certificate with this serial number: hexadecimal in any case, leading zeros and `:`
    /// separators (as OpenSSL prints serials) tolerated.
    Serial(String),
    /// Every certificate issued for this callsign.
    Callsign(String),
    /// Every certificate bound to this truce user.
    User(String),
}

impl fmt::Display for Revoke {
    /// As the command line's flag: `--serial 4A0B...`, `--callsign "ALPHA-1"`, `--user "alice"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Revoke::Serial(s) => write!(f, "--serial {s}"),
            Revoke::Callsign(c) => write!(f, "--callsign {c:?}"),
            Revoke::User(u) => write!(f, "--user {u:?}"),
        }
    }
}

/// One line of `revoked.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RevokedRecord {
    pub(crate) serial: String,
    pub(crate) revoked_at: String,
}

impl CertStore {
    /// Revokes the certificates `which` names, recording `reason` and `at` in `revoked.tsv`.
    ///
    /// Returns the certificates this call revoked, with `revoked_at` set; those revoked before are
    /// left as they are and not returned (revoking twice changes nothing). Fails when no issued
    /// certificate matches `which`, naming it, and when `reason` holds a tab, a line break or another
    /// control character.
    pub fn revoke(&self, which: &Revoke, reason: &str, at: OffsetDateTime) -> Result<Vec<IssuedRecord>, Error> {
        if reason.chars().any(char::is_control) {
            return Err(Error::BadOption(format!(
                "--reason {reason:?}: contains a tab, a line break or another control character"
            )));
        }
        let wanted = match which {
            Revoke::Serial(s) => Some(
                canonical_serial(s)
                    .ok_or_else(|| Error::BadOption(format!("--serial {s:?}: not a hexadecimal serial number")))?,
            ),
            _ => None,
        };
        let _lock = self.lock_registers()?;
        let matching: Vec<IssuedRecord> = self
            .read_issued()?
            .into_iter()
            .filter(|r| match which {
                Revoke::Serial(_) => canonical_serial(&r.serial) == wanted,
                Revoke::Callsign(c) => &r.callsign == c,
                Revoke::User(u) => r.user.as_ref() == Some(u),
            })
            .collect();
        if matching.is_empty() {
            return Err(Error::NotIssued(which.to_string()));
        }
        let path = self.revoked_path();
        let (mut text, already) = match fs::read_to_string(&path) {
            Ok(text) => {
                let already = parse_revoked(&text, &path)?;
                (text, already)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (REVOKED_HEADER.to_owned(), Vec::new()),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let at = rfc3339(at.replace_nanosecond(0).unwrap_or(at))?;
        let mut revoked = Vec::new();
        for mut record in matching {
            if already.iter().any(|r| r.serial == record.serial)
                || revoked.iter().any(|r: &IssuedRecord| r.serial == record.serial)
            {
                continue;
            }
            text.push_str(&format!("{}\t{}\t{at}\t{reason}\n", record.serial, record.callsign));
            record.revoked_at = Some(at.clone());
            revoked.push(record);
        }
        if !revoked.is_empty() {
            write_atomic(&path, text.as_bytes(), 0o644)?;
        }
        Ok(revoked)
    }

    /// The serial numbers (upper-case hex) of the revoked certificates; fails on a line of
    /// `revoked.tsv` that does not parse.
    pub fn revoked(&self) -> Result<BTreeSet<String>, Error> {
        Ok(read_revoked(&self.revoked_path())?.into_iter().map(|r| r.serial).collect())
    }

    /// A live view of this store's revocations, for the TLS listener (see [`Revocations`]).
    pub fn revocations(&self) -> Result<Revocations, Error> {
        Revocations::watch(self.dir())
    }
}

/// `revoked.tsv`'s records; none when the file does not exist.
pub(crate) fn read_revoked(path: &Path) -> Result<Vec<RevokedRecord>, Error> {
    match fs::read_to_string(path) {
        Ok(text) => parse_revoked(&text, path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(Error::Io { path: path.to_owned(), source }),
    }
}

fn parse_revoked(text: &str, path: &Path) -> Result<Vec<RevokedRecord>, Error> {
    let corrupt = |reason: String| Error::Corrupt { path: path.to_owned(), reason };
    let mut records = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [serial, _callsign, revoked_at, _reason] = fields[..] else {
            return Err(corrupt(format!("line {}: expected 4 tab-separated fields, found {}", i + 1, fields.len())));
        };
        if canonical_serial(serial).is_none() {
            return Err(corrupt(format!("line {}: {serial:?} is not a hexadecimal serial number", i + 1)));
        }
        records.push(RevokedRecord { serial: serial.to_owned(), revoked_at: revoked_at.to_owned() });
    }
    Ok(records)
}

/// The serial numbers a `revoked.tsv` text revokes, as compared (upper-case hex without `:` or leading
/// zeros); the first line is the header. An error names the line at fault.
///
/// # Errors
/// A line without four tab-separated fields, or whose serial is not hexadecimal.
pub fn parse_register(text: &str) -> Result<BTreeSet<String>, Error> {
    parse_revoked(text, Path::new(REVOKED_FILE))?
        .into_iter()
        .map(|r| {
            canonical_serial(&r.serial).ok_or_else(|| Error::Corrupt { path: REVOKED_FILE.into(), reason: r.serial })
        })
        .collect()
}

/// A serial number as compared: upper-case hex without `:` and leading zeros (`None`: not hex).
fn canonical_serial(serial: &str) -> Option<String> {
    let digits: String = serial.trim().chars().filter(|&c| c != ':').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    Some(if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_ascii_uppercase() })
}

/// The revoked serial numbers of a certificate directory, as a running server sees them: cheap to
/// clone (the clones share one set), and following `revoked.tsv` as other processes rewrite it.
#[derive(Debug, Clone)]
pub struct Revocations {
    inner: Arc<Watch>,
}

#[derive(Debug)]
struct Watch {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// When the file was last looked at.
    checked: Instant,
    /// What the file looked like when `serials` was read from it (`None`: it did not exist).
    stamp: Option<Stamp>,
    /// Canonical serials (see [`canonical_serial`]).
    serials: BTreeSet<String>,
}

/// What tells one version of the file from the next without reading it: an atomic rewrite changes
/// the inode, an append the length, and either the modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Revocations {
    /// Watches `revoked.tsv` in the certificate directory `dir`. A missing file means nothing is
    /// revoked (it is picked up when it appears); a file that exists but does not parse is an error
    /// here, so that a server never starts believing nothing is revoked.
    pub fn watch(dir: &Path) -> Result<Self, Error> {
        let path = dir.join(REVOKED_FILE);
        let (stamp, serials) = load(&path)?;
        let state = State { checked: Instant::now(), stamp, serials };
        Ok(Revocations { inner: Arc::new(Watch { path, state: Mutex::new(state) }) })
    }

    /// Whether the certificate with this serial number (hex, as [`crate::Identity::serial`]) is
    /// revoked. Looks at the file when [`CHECK_INTERVAL`] has passed since the last look, reading it
    /// only when it changed.
    pub fn is_revoked(&self, serial: &str) -> bool {
        let Some(serial) = canonical_serial(serial) else {
            return false;
        };
        // A poisoned lock only means another handshake panicked mid-check; the set is still whole.
        let mut state = self.inner.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.checked.elapsed() >= CHECK_INTERVAL {
            state.checked = Instant::now();
            let now = stamp(&self.inner.path);
            if now.as_ref().ok() != Some(&state.stamp) {
                // Unreadable or corrupt: keep the last good set, and try again at the next check.
                if let Ok((stamp, serials)) = load(&self.inner.path) {
                    state.stamp = stamp;
                    state.serials = serials;
                }
            }
        }
        state.serials.contains(&serial)
    }
}

/// The file's stamp, `None` when it does not exist.
fn stamp(path: &Path) -> std::io::Result<Option<Stamp>> {
    match fs::metadata(path) {
        Ok(m) => {
            #[cfg(unix)]
            let inode = std::os::unix::fs::MetadataExt::ino(&m);
            #[cfg(not(unix))]
            let inode = 0;
            Ok(Some(Stamp { modified: m.modified().ok(), len: m.len(), inode }))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The file's stamp and canonical serials; the stamp is taken before reading, so a rewrite during
/// the read is seen at the next check.
fn load(path: &Path) -> Result<(Option<Stamp>, BTreeSet<String>), Error> {
    let before = stamp(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    let serials = read_revoked(path)?.iter().filter_map(|r| canonical_serial(&r.serial)).collect();
    Ok((before, serials))
}
