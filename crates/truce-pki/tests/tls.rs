//! A real TLS handshake with the generated certificates: a tokio-rustls server with truce's server
//! certificate that requires client certificates from truce's CA, and rustls clients presenting an
//! issued certificate, one from another CA, and none; and truce's own verifier refusing revoked
//! certificates, also those revoked while it runs.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::RootCertStore;
use rustls::crypto::ring::default_provider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use truce_pki::{CertStore, InitOptions, IssueOptions, Issued, Revoke, client_verifier, identity};

fn key(der: &[u8]) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec()))
}

fn roots(ca_der: &[u8]) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(ca_der.to_vec())).unwrap();
    Arc::new(roots)
}

/// Accepts one connection; returns the callsign of the verified client certificate, or the error.
async fn serve_once(store: &CertStore) -> (u16, tokio::task::JoinHandle<Result<String, String>>) {
    let trust = store.trust_material().unwrap();
    let provider = Arc::new(default_provider());
    let verifier =
        WebPkiClientVerifier::builder_with_provider(roots(&trust.ca_cert_der), provider.clone()).build().unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(trust.server_cert_der.clone())], key(&trust.server_key_der))
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
        let peer = tls.get_ref().1.peer_certificates().ok_or("no peer certificate")?[0].clone();
        let id = identity(&peer).map_err(|e| e.to_string())?;
        tls.write_all(b"ok").await.map_err(|e| e.to_string())?;
        tls.shutdown().await.map_err(|e| e.to_string())?;
        Ok(id.callsign)
    });
    (port, task)
}

/// Accepts connections until dropped, verifying clients with truce's [`client_verifier`]; each
/// handshake's outcome (the callsign, or the error) arrives on the channel.
async fn serve_with_revocations(
    store: &CertStore,
) -> (u16, tokio::sync::mpsc::UnboundedReceiver<Result<String, String>>, tokio::task::JoinHandle<()>) {
    let trust = store.trust_material().unwrap();
    let verifier = client_verifier(&trust.ca_cert_der, store.revocations().unwrap()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(trust.server_cert_der.clone())], key(&trust.server_key_der))
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let outcome = async {
                let mut tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
                let peer = tls.get_ref().1.peer_certificates().ok_or("no peer certificate")?[0].clone();
                let id = identity(&peer).map_err(|e| e.to_string())?;
                tls.write_all(b"ok").await.map_err(|e| e.to_string())?;
                tls.shutdown().await.map_err(|e| e.to_string())?;
                Ok(id.callsign)
            }
            .await;
            let _ = tx.send(outcome);
        }
    });
    (port, rx, task)
}

/// Connects as a device would, trusting truce's CA, presenting `client` if given; returns what it read.
async fn connect(store: &CertStore, port: u16, client: Option<&Issued>) -> Result<Vec<u8>, String> {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(&store.ca_cert_der().unwrap()));
    let config = match client {
        Some(c) => {
            builder.with_client_auth_cert(vec![CertificateDer::from(c.cert_der.clone())], key(&c.key_der)).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut tls = TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    // With TLS 1.3 a rejected client certificate shows up on the first read.
    tls.read_to_end(&mut got).await.map_err(|e| e.to_string())?;
    Ok(got)
}

fn init(dir: &std::path::Path) -> CertStore {
    let store = CertStore::new(dir);
    store.init(&InitOptions::default()).unwrap();
    store
}

#[tokio::test]
async fn a_client_certificate_from_the_ca_is_accepted_and_names_the_callsign() {
    let dir = tempfile::tempdir().unwrap();
    let store = init(dir.path());
    let alpha = store.issue("ALPHA-1", &IssueOptions::default()).unwrap();
    let (port, server) = serve_once(&store).await;
    let got = connect(&store, port, Some(&alpha)).await.unwrap();
    assert_eq!(got, b"ok");
    assert_eq!(server.await.unwrap().unwrap(), "ALPHA-1");
}

#[tokio::test]
async fn a_client_certificate_from_another_ca_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let store = init(&dir.path().join("ours"));
    let theirs = init(&dir.path().join("theirs"));
    let intruder = theirs.issue("ALPHA-1", &IssueOptions::default()).unwrap();
    let (port, server) = serve_once(&store).await;
    let client = connect(&store, port, Some(&intruder)).await;
    let server = server.await.unwrap();
    assert!(client.is_err(), "the client must not get data: {client:?}");
    let err = server.unwrap_err();
    assert!(err.contains("UnknownIssuer") || err.contains("unknown issuer"), "{err}");
}

#[tokio::test]
async fn a_client_without_a_certificate_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let store = init(dir.path());
    let (port, server) = serve_once(&store).await;
    let client = connect(&store, port, None).await;
    let server = server.await.unwrap();
    assert!(client.is_err(), "the client must not get data: {client:?}");
    let err = server.unwrap_err();
    assert!(err.contains("certificate"), "{err}");
}

#[tokio::test]
async fn a_revoked_client_certificate_is_refused_and_another_of_the_ca_still_connects() {
    let dir = tempfile::tempdir().unwrap();
    let store = init(dir.path());
    let alpha = store.issue("ALPHA-1", &IssueOptions::default()).unwrap();
    let bravo = store.issue("BRAVO-2", &IssueOptions::default()).unwrap();
    store.revoke(&Revoke::Callsign("ALPHA-1".into()), "lost", time::OffsetDateTime::now_utc()).unwrap();
    let (port, mut outcomes, server) = serve_with_revocations(&store).await;

    let client = connect(&store, port, Some(&alpha)).await;
    assert!(client.is_err(), "the client must not get data: {client:?}");
    let err = outcomes.recv().await.unwrap().unwrap_err();
    assert!(err.contains("Revoked") || err.contains("revoked"), "{err}");

    assert_eq!(connect(&store, port, Some(&bravo)).await.unwrap(), b"ok");
    assert_eq!(outcomes.recv().await.unwrap().unwrap(), "BRAVO-2");
    server.abort();
}

#[tokio::test]
async fn a_revocation_written_while_the_server_runs_is_refused_from_then_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = init(dir.path());
    let alpha = store.issue("ALPHA-1", &IssueOptions::default()).unwrap();
    let bravo = store.issue("BRAVO-2", &IssueOptions::default()).unwrap();
    let (port, mut outcomes, server) = serve_with_revocations(&store).await;
    assert_eq!(connect(&store, port, Some(&alpha)).await.unwrap(), b"ok");
    assert_eq!(outcomes.recv().await.unwrap().unwrap(), "ALPHA-1");

    // `truce certs revoke` in another process: another store value on the same directory.
    CertStore::new(dir.path())
        .revoke(&Revoke::Serial(alpha.serial.clone()), "", time::OffsetDateTime::now_utc())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let client = connect(&store, port, Some(&alpha)).await;
        match outcomes.recv().await.unwrap() {
            Ok(_) => {
                assert!(client.is_ok(), "{client:?}");
                assert!(Instant::now() < deadline, "still accepted 2 s after its revocation");
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(err) => {
                assert!(err.contains("Revoked") || err.contains("revoked"), "{err}");
                assert!(client.is_err(), "the client must not get data: {client:?}");
                break;
            }
        }
    }
    assert_eq!(connect(&store, port, Some(&bravo)).await.unwrap(), b"ok");
    assert_eq!(outcomes.recv().await.unwrap().unwrap(), "BRAVO-2");
    server.abort();
}
