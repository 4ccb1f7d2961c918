//! The TLS listener's check of client certificates: rustls's WebPKI verifier rooted in truce's CA,
//! then the revocation register.
//!
//! The revocation check runs only after WebPKI has accepted the chain, validity and key usage, so
//! what it reads is a certificate the CA signed; it looks at the end-entity certificate's serial
//! number in [`Revocations`] (in memory, re-read when `revoked.tsv` changes) and refuses a revoked
//! one as rustls's `CertificateError::Revoked`, which the client sees as a `certificate_revoked`
//! alert. Everything else is the inner verifier's.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::store::hex;
use crate::{Error, Revocations};

/// A client certificate verifier for truce's TLS listener: certificates issued by the CA
/// `ca_cert_der` (DER) are required, and refused once revoked in `revocations`.
pub fn client_verifier(ca_cert_der: &[u8], revocations: Revocations) -> Result<Arc<dyn ClientCertVerifier>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca_cert_der.to_vec()))
        .map_err(|e| Error::Tls(format!("the CA certificate: {e}")))?;
    let inner = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| Error::Tls(format!("client verifier: {e}")))?;
    Ok(Arc::new(RevocationVerifier { inner, revocations }))
}

/// WebPKI, then the revocation register.
#[derive(Debug)]
struct RevocationVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    revocations: Revocations,
}

impl ClientCertVerifier for RevocationVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self.inner.verify_client_cert(end_entity, intermediates, now)?;
        let (_, cert) = X509Certificate::from_der(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if self.revocations.is_revoked(&hex(cert.raw_serial())) {
            return Err(rustls::Error::InvalidCertificate(CertificateError::Revoked));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }

    fn requires_raw_public_keys(&self) -> bool {
        self.inner.requires_raw_public_keys()
    }
}
