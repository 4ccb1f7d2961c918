//! From the certificate a client presented to the identity truce uses.
//!
//! The TLS layer (rustls with a `WebPkiClientVerifier` rooted in truce's CA) has already verified the
//! chain, validity and the clientAuth key usage; this module only reads the subject. The identity is
//! the subject's common name — the callsign the certificate was issued for, as TAK Server and
//! OpenTAKServer also take it — with the full subject DN and the serial kept for logs and audit.

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::Error;
use crate::store::hex;

/// Who a verified client certificate says the client is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The subject CN: the callsign the certificate was issued for.
    pub callsign: String,
    /// The full subject distinguished name, RFC 4514 style (e.g. `O=truce, CN=ALPHA-1`).
    pub subject: String,
    /// The certificate's serial number, upper-case hex.
    pub serial: String,
    /// The truce user the certificate was issued for (`truce certs issue --user`): the subject's
    /// organisational unit `truce-user:NAME`, signed with the rest by the CA.
    pub user: Option<String>,
}

/// The prefix of the organisational unit that binds a certificate to a truce user.
pub const USER_OU_PREFIX: &str = "truce-user:";

/// The identity of a client from its (already verified) certificate in DER.
///
/// Fails when the DER is not a certificate, or its subject has no UTF-8 common name.
pub fn identity(cert_der: &[u8]) -> Result<Identity, Error> {
    let (_, cert) = X509Certificate::from_der(cert_der).map_err(|e| Error::X509(e.to_string()))?;
    let subject = cert.subject();
    let callsign = subject
        .iter_common_name()
        .next()
        .ok_or_else(|| Error::X509(format!("subject {subject} has no common name")))?
        .as_str()
        .map_err(|e| Error::X509(format!("subject {subject}: the common name is not a string: {e}")))?
        .to_owned();
    let user = subject
        .iter_organizational_unit()
        .filter_map(|ou| ou.as_str().ok())
        .find_map(|ou| ou.strip_prefix(USER_OU_PREFIX))
        .map(str::to_owned);
    Ok(Identity { callsign, subject: subject.to_string(), serial: hex(cert.raw_serial()), user })
}
