//! Enrolment: a device's certificate signing request (PKCS#10) turned into a client certificate.
//!
//! ATAK, WinTAK and iTAK enrol with a user name and password by generating a key pair, sending a CSR
//! to TAK Server's Marti endpoint (`/Marti/api/tls/signClient/v2`) and receiving the certificate; the
//! private key never leaves the device. [`parse_csr`] reads such a request — PEM, or the bare base64
//! body ATAK sends, line breaks and spaces anywhere — and checks its self-signature, which proves the
//! sender holds the key (a request that was altered, or signed by another key, is refused).
//! [`CertStore::sign_csr`] then issues a certificate for the key alone: of the request's subject it
//! keeps only a common name that is a valid callsign, and everything else (O, OU, extensions) is the
//! server's decision. The subject's OU `truce-user:NAME` binds the certificate to the user that
//! authenticated, which is what decides what the device may see.

use rcgen::{
    CertificateParams, ExtendedKeyUsagePurpose, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384,
    PKCS_RSA_SHA256, PublicKeyData, SerialNumber, SignatureAlgorithm,
};
use time::OffsetDateTime;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::error::X509Error;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION};
use x509_parser::prelude::FromDer;

use crate::store::{check_days, dn, hex, rfc3339, validity};
use crate::{CertStore, Error, IssuedRecord, USER_OU_PREFIX, validate_callsign};

/// The largest request accepted, in bytes: a CSR for an RSA-4096 key in PEM is under 2 KiB.
pub const MAX_CSR_BYTES: usize = 64 * 1024;

/// The smallest RSA key accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// How [`CertStore::sign_csr`] makes the certificate.
#[derive(Debug, Clone)]
pub struct EnrolOptions {
    /// The truce user who authenticated: the certificate's OU `truce-user:USER`, and its CN when the
    /// request names no valid callsign.
    pub user: String,
    /// Validity in days (TAK Server's default is 730).
    pub days: u32,
}

impl EnrolOptions {
    /// Options for `user` with the default validity of 730 days.
    pub fn new(user: impl Into<String>) -> Self {
        Self { user: user.into(), days: 730 }
    }
}

/// A certificate issued for a device's request.
#[derive(Debug, Clone)]
pub struct Enrolled {
    /// The callsign: the subject CN.
    pub callsign: String,
    /// The truce user the certificate is bound to.
    pub user: String,
    /// The serial number, upper-case hex.
    pub serial: String,
    /// The end of validity.
    pub not_after: OffsetDateTime,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The CA certificate, DER: the rest of the chain the device needs.
    pub ca_cert_der: Vec<u8>,
}

/// The kind of key a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// RSA with a modulus of `bits` bits.
    Rsa {
        /// The modulus length.
        bits: usize,
    },
}

/// A certificate signing request whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCsr {
    /// The subject's first common name, if it has one that is a string.
    pub common_name: Option<String>,
    /// The kind of key.
    pub key_algorithm: KeyAlgorithm,
    /// The request, DER.
    pub der: Vec<u8>,
    /// The subjectPublicKey bits of the request's SubjectPublicKeyInfo.
    public_key: Vec<u8>,
}

impl PublicKeyData for ParsedCsr {
    fn der_bytes(&self) -> &[u8] {
        &self.public_key
    }

    /// The algorithm whose identifiers rcgen writes in the certificate's SubjectPublicKeyInfo: chosen
    /// by the key itself, never by the hash the device signed its request with.
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self.key_algorithm {
            KeyAlgorithm::EcdsaP256 => &PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::EcdsaP384 => &PKCS_ECDSA_P384_SHA384,
            KeyAlgorithm::Rsa { .. } => &PKCS_RSA_SHA256,
        }
    }
}

/// Reads a PKCS#10 certificate signing request and verifies its signature.
///
/// `text` is PEM (`-----BEGIN CERTIFICATE REQUEST-----`, or `NEW CERTIFICATE REQUEST`) or the bare
/// base64 body; white space anywhere in the base64 is skipped. Refused, each with its reason: more
/// than [`MAX_CSR_BYTES`] (before anything is parsed), empty input, bad base64, anything that is not
/// one DER-encoded request, a key other than EC P-256, EC P-384 or RSA of at least
/// [`MIN_RSA_BITS`] bits, and a signature that does not verify with the request's own key.
pub fn parse_csr(text: &[u8]) -> Result<ParsedCsr, Error> {
    let bad = |reason: String| Err(Error::Csr(reason));
    if text.len() > MAX_CSR_BYTES {
        return bad(format!("{} bytes is more than the {MAX_CSR_BYTES} allowed", text.len()));
    }
    let der = base64_decode(pem_body(text)?)?;
    let (rest, csr) = match X509CertificationRequest::from_der(&der) {
        Ok(parsed) => parsed,
        Err(e) => return bad(format!("not a PKCS#10 certificate request: {e}")),
    };
    if !rest.is_empty() {
        return bad(format!("not a PKCS#10 certificate request: {} bytes follow it", rest.len()));
    }
    let info = &csr.certification_request_info;
    let spki = &info.subject_pki;
    let key_algorithm = if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        match spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()) {
            Some(curve) if curve == OID_EC_P256 => KeyAlgorithm::EcdsaP256,
            Some(curve) if curve == OID_NIST_EC_P384 => KeyAlgorithm::EcdsaP384,
            Some(curve) => {
                return bad(format!("unsupported elliptic curve {curve} (P-256 and P-384 are accepted)"));
            }
            None => return bad("an elliptic curve key without a named curve".into()),
        }
    } else if spki.algorithm.algorithm == OID_PKCS1_RSAENCRYPTION {
        let bits = match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => modulus_bits(rsa.modulus),
            _ => return bad("the RSA public key does not parse".into()),
        };
        if bits < MIN_RSA_BITS {
            return bad(format!("an RSA key of {bits} bits; at least {MIN_RSA_BITS} are needed"));
        }
        KeyAlgorithm::Rsa { bits }
    } else {
        return bad(format!(
            "unsupported key algorithm {} (EC P-256, EC P-384 and RSA are accepted)",
            spki.algorithm.algorithm
        ));
    };
    match csr.verify_signature() {
        Ok(()) => {}
        Err(X509Error::SignatureUnsupportedAlgorithm) => {
            return bad(format!(
                "the request is signed with an unsupported algorithm {}",
                csr.signature_algorithm.algorithm
            ));
        }
        Err(_) => {
            return bad("the request's signature does not verify (it was altered, or not signed by its own key)".into());
        }
    }
    let common_name = info.subject.iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_owned);
    let public_key = spki.subject_public_key.data.to_vec();
    Ok(ParsedCsr { common_name, key_algorithm, der, public_key })
}

impl CertStore {
    /// Issues a client certificate for the key of a device's certificate signing request (see
    /// [`parse_csr`] for what is accepted), bound to the user who authenticated.
    ///
    /// The subject is CN = the request's common name if it is a valid callsign
    /// ([`validate_callsign`]), else the user name; O = the CA's organisation; OU =
    /// `truce-user:USER` (whatever else the request asked for is ignored). The certificate is for
    /// client authentication only, valid for `opts.days` days from an hour ago, has a fresh random
    /// serial, and is recorded in `issued.tsv` with the user. It is not written to `clients/`: the
    /// key stays on the device, and one user may enrol several devices.
    pub fn sign_csr(&self, csr: &str, opts: &EnrolOptions) -> Result<Enrolled, Error> {
        validate_callsign(&opts.user).map_err(|e| match e {
            Error::BadCallsign { reason, .. } => Error::BadOption(format!("user {:?}: {reason}", opts.user)),
            other => other,
        })?;
        check_days("days", opts.days)?;
        let request = parse_csr(csr.as_bytes())?;
        let callsign = match &request.common_name {
            Some(cn) if validate_callsign(cn).is_ok() => cn.clone(),
            _ => opts.user.clone(),
        };
        let (issuer, organization) = self.issuer()?;
        let ca_cert_der = self.ca_cert_der()?;
        let _lock = self.lock_registers()?;
        let serial = self.fresh_serial()?;
        let mut params = CertificateParams::default();
        let unit = format!("{USER_OU_PREFIX}{}", opts.user);
        params.distinguished_name = dn(&callsign, organization.as_deref(), Some(&unit));
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let not_after = validity(&mut params, OffsetDateTime::now_utc(), opts.days);
        let cert = params.signed_by(&request, &issuer)?;
        let record = IssuedRecord {
            serial: hex(&serial),
            callsign: callsign.clone(),
            not_after: rfc3339(not_after)?,
            user: Some(opts.user.clone()),
            revoked_at: None,
        };
        self.append_record(&record)?;
        Ok(Enrolled {
            callsign,
            user: opts.user.clone(),
            serial: record.serial,
            not_after,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            ca_cert_der,
        })
    }
}

/// The base64 between the armour lines of a PEM request, or all of `text` when it has none.
fn pem_body(text: &[u8]) -> Result<&[u8], Error> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let Some(start) = find(text, BEGIN) else {
        return Ok(text);
    };
    let after = &text[start + BEGIN.len()..];
    let label_end = find(after, b"-----").ok_or_else(|| {
        Error::Csr("not a PKCS#10 certificate request: a PEM header without its closing dashes".into())
    })?;
    let label = &after[..label_end];
    if label != b"CERTIFICATE REQUEST" && label != b"NEW CERTIFICATE REQUEST" {
        return Err(Error::Csr(format!(
            "not a PKCS#10 certificate request: a PEM {:?} block",
            String::from_utf8_lossy(label)
        )));
    }
    let body = &after[label_end + 5..];
    let end = find(body, b"-----END ")
        .ok_or_else(|| Error::Csr("not a PKCS#10 certificate request: the PEM block has no END line".into()))?;
    Ok(&body[..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Standard base64 (RFC 4648 §4), white space skipped, padding optional.
fn base64_decode(text: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    let mut padding = 0;
    let mut digits = 0usize;
    for (offset, &c) in text.iter().enumerate() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                continue;
            }
            c if c.is_ascii_whitespace() => continue,
            c => {
                return Err(Error::Csr(format!(
                    "not a PKCS#10 certificate request: neither PEM nor base64 (byte 0x{c:02X} at offset {offset})"
                )));
            }
        };
        if padding > 0 {
            return Err(Error::Csr("not a PKCS#10 certificate request: base64 continues after its padding".into()));
        }
        digits += 1;
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if digits == 0 {
        return Err(Error::Csr("the request is empty".into()));
    }
    if digits % 4 == 1 || padding > 2 {
        return Err(Error::Csr("not a PKCS#10 certificate request: the base64 is truncated".into()));
    }
    Ok(out)
}

/// The length in bits of a big-endian unsigned integer (DER INTEGER content, leading zeros allowed).
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant: &[u8] = match modulus.iter().position(|&b| b != 0) {
        Some(i) => &modulus[i..],
        None => &[],
    };
    match significant.first() {
        Some(first) => significant.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}
