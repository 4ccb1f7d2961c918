//! The PKCS#12 files a TAK device imports: a truststore (the CA) and a keystore (its key and chain).
//!
//! Written with `p12-keystore` (pure Rust). ATAK loads them through Android's (BouncyCastle's) PKCS#12
//! key store, and older ATAK and WinTAK releases do not read the PBES2/AES files OpenSSL 3 makes by
//! default: TAK Server's `makeCert.sh` therefore runs `openssl pkcs12 -legacy` (SHA-1 PBE and an
//! HMAC-SHA-1 MAC). We write the strongest of the legacy schemes, pbeWithSHAAnd3-KeyTripleDES-CBC for
//! both the certificates and the key, with an HMAC-SHA-1 MAC — what OpenSSL 1.1 wrote with
//! `-descert`, and what every TAK client reads — rather than `-legacy`'s 40-bit RC2 for certificates.
//! The certificate entries of the truststore carry Java's "trusted certificate" attribute, so Java
//! key stores (WinTAK's and TAK Server's tooling) treat the CA as a trust anchor.

use p12_keystore::{
    Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, Pkcs12ImportPolicy, PrivateKey,
    PrivateKeyChain,
};

use crate::Error;

/// PBE iterations, as OpenSSL's default (2048).
const ITERATIONS: u32 = 2048;

/// The alias of the CA in a truststore.
pub const CA_ALIAS: &str = "truce-ca";

fn write(store: &KeyStore, password: &str) -> Result<Vec<u8>, Error> {
    Ok(store
        .writer(password)
        .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
        .encryption_iterations(ITERATIONS)
        .mac_algorithm(MacAlgorithm::HmacSha1)
        .mac_iterations(ITERATIONS)
        .write()?)
}

/// A truststore holding the CA certificate (DER) as a trusted certificate.
pub fn truststore(ca_cert_der: &[u8], password: &str) -> Result<Vec<u8>, Error> {
    let mut store = KeyStore::new();
    store.add_entry(CA_ALIAS, KeyStoreEntry::Certificate(Certificate::from_der(ca_cert_der)?));
    write(&store, password)
}

/// A keystore holding the client's key (PKCS#8 DER) under `alias`, with its certificate and the CA.
pub fn keystore(
    alias: &str,
    cert_der: &[u8],
    key_der: &[u8],
    ca_cert_der: &[u8],
    password: &str,
) -> Result<Vec<u8>, Error> {
    let chain = [Certificate::from_der(cert_der)?, Certificate::from_der(ca_cert_der)?];
    // The local key id ties the key to its certificate; the certificate's SHA-1 is what OpenSSL uses.
    let key_id = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der).as_ref().to_vec();
    let entry = PrivateKeyChain::new(key_id, PrivateKey::from_der(key_der)?, chain);
    let mut store = KeyStore::new();
    store.add_entry(alias, KeyStoreEntry::PrivateKeyChain(entry));
    write(&store, password)
}

/// What a PKCS#12 file holds, read back with its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// The alias of the private key, if there is one.
    pub key_alias: Option<String>,
    /// The key's certificate chain (leaf first), DER.
    pub chain: Vec<Vec<u8>>,
    /// The trusted certificates (the truststore's), DER.
    pub trusted: Vec<Vec<u8>>,
}

/// Opens a PKCS#12 file with `password`; fails on a wrong password (the MAC does not verify).
pub fn open(p12: &[u8], password: &str) -> Result<Contents, Error> {
    let store = KeyStore::from_pkcs12(p12, password, Pkcs12ImportPolicy::Strict)?;
    let mut contents = Contents { key_alias: None, chain: Vec::new(), trusted: Vec::new() };
    for (alias, entry) in store.entries() {
        match entry {
            KeyStoreEntry::PrivateKeyChain(chain) => {
                contents.key_alias = Some(alias.clone());
                contents.chain = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
            }
            KeyStoreEntry::Certificate(cert) => contents.trusted.push(cert.as_der().to_vec()),
            KeyStoreEntry::Secret(_) => {}
        }
    }
    Ok(contents)
}
