//! truce-pki: the certificates that let TAK devices (ATAK, WinTAK, iTAK) join truce's TAK server.
//!
//! A small certificate authority kept in one directory: [`CertStore::init`] makes the CA and the
//! server certificate, [`CertStore::issue`] a client certificate whose subject CN is the device's
//! callsign, [`pkcs12`] wraps them in the password-protected truststore and keystore that ATAK's
//! Android key stores read, and [`package`] builds the ATAK data package that enrols a device in one
//! import. [`CertStore::sign_csr`] issues a certificate for the key of a device that enrols with a
//! user name and password (TAK Server's Marti enrolment), bound to that user. [`CertStore::revoke`]
//! revokes certificates, and [`client_verifier`] is the TLS listener's check of client certificates:
//! issued by the CA and not revoked, as [`Revocations`] sees `revoked.tsv` (re-read when it changes).
//! [`identity::identity`] turns the certificate a client presented (and rustls verified) back into the
//! identity truce uses.
//!
//! Design: every key is ECDSA P-256 signed with SHA-256 (see `docs/tak.md` for why not RSA); files are
//! PEM, private keys mode 0600; every file is written to a temporary file in the same directory and
//! renamed, so a failure never leaves half a certificate behind. The CA is never overwritten unless
//! asked to, and each CA has a name of its own (`truce CA <random>`); issued certificates are recorded
//! in `issued.tsv` (serial, callsign, not-after, user) and revoked ones in `revoked.tsv`.

pub mod enrol;
pub mod identity;
pub mod package;
pub mod pkcs12;
pub mod revoke;
mod store;
mod verifier;

pub use enrol::{EnrolOptions, Enrolled, ParsedCsr, parse_csr};
pub use identity::{Identity, USER_OU_PREFIX, identity};
pub use revoke::{Revocations, Revoke};
pub use store::{CertStore, InitOptions, IssueOptions, Issued, IssuedRecord, TrustMaterial, write_atomic};
pub use verifier::client_verifier;

use std::path::PathBuf;

/// The password TAK servers use by default for their PKCS#12 files (TAK Server's `cert-metadata.sh`).
pub const DEFAULT_P12_PASSWORD: &str = "atakatak";

/// The TAK streaming port for TLS.
pub const DEFAULT_TLS_PORT: u16 = 8089;

/// The longest callsign: the upper bound of an X.520 common name.
pub const MAX_CALLSIGN_CHARS: usize = 64;

/// What went wrong, with the file at fault where there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The CA already exists and overwriting it was not asked for.
    #[error("{0}: a CA already exists here; refusing to overwrite it (certificates it issued would stop working)")]
    CaExists(PathBuf),
    /// There is no CA yet.
    #[error("{0}: no CA here; run `truce certs init` first")]
    NoCa(PathBuf),
    /// A client certificate for the callsign exists and replacing it was not asked for.
    #[error("{0}: a certificate for this callsign already exists")]
    ClientExists(PathBuf),
    /// A callsign that cannot be a certificate subject and a file name.
    #[error("callsign {callsign:?}: {reason}")]
    BadCallsign {
        /// The callsign given.
        callsign: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A bad option (host name, validity).
    #[error("{0}")]
    BadOption(String),
    /// A stored file that does not parse.
    #[error("{path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Certificate generation failed.
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// A certificate that does not parse as X.509.
    #[error("certificate: {0}")]
    X509(String),
    /// Writing or reading a PKCS#12 file failed.
    #[error("PKCS#12: {0}")]
    Pkcs12(#[from] p12_keystore::error::Error),
    /// Writing or reading the data package failed.
    #[error("data package: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,
    /// A certificate signing request that is refused, and why.
    #[error("certificate request: {0}")]
    Csr(String),
    /// No issued certificate matches what was asked to be revoked (named as the command line's flag).
    #[error("{0}: no certificate issued by this CA matches")]
    NotIssued(String),
    /// The TLS verifier could not be built.
    #[error("TLS: {0}")]
    Tls(String),
}

/// Checks that `callsign` can be a certificate subject CN and a file name on every TAK platform.
///
/// Refused: empty, longer than [`MAX_CALLSIGN_CHARS`], leading or trailing spaces, a leading dot,
/// control characters and the characters that are path separators or reserved on Windows
/// (`/ \ : * ? " < > |`).
pub fn validate_callsign(callsign: &str) -> Result<(), Error> {
    let bad = |reason| Err(Error::BadCallsign { callsign: callsign.to_owned(), reason });
    if callsign.is_empty() {
        return bad("is empty");
    }
    if callsign.chars().count() > MAX_CALLSIGN_CHARS {
        return bad("is longer than 64 characters");
    }
    if callsign.trim() != callsign {
        return bad("starts or ends with white space");
    }
    if callsign.starts_with('.') {
        return bad("starts with a dot");
    }
    if callsign.contains(['/', '\\']) {
        return bad("contains a path separator (/ or \\)");
    }
    if callsign.chars().any(|c| c.is_control() || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|')) {
        return bad("contains a control character or one of : * ? \" < > |");
    }
    Ok(())
}

#[cfg(test)]
mod callsign_tests {
    use super::*;

    #[test]
    fn callsigns() {
        for good in ["ALPHA-1", "Bravo 2", "Тризуб", "a", &"x".repeat(64)] {
            assert!(validate_callsign(good).is_ok(), "{good}");
        }
        for bad in ["", " A", "A ", "../x", "a/b", "a\\b", ".hidden", "a:b", "a\nb", &"x".repeat(65)] {
            assert!(validate_callsign(bad).is_err(), "{bad:?}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod unit_tests;
