//! HTTPS: the same application behind rustls.
//!
//! Each connection is accepted, its TLS handshake done (10 seconds at most), and served as the plain
//! server serves its connections (`conn.rs`: HTTP/1.1 with upgrades for the WebSocket stream, the
//! `http.idle_s` time limits, the peer's address in each request as axum's `ConnectInfo` so that
//! logins are throttled per address), with the certificate the client presented as
//! [`PeerCertificate`]. The certificate is the server certificate `truce certs init` made, or PEM
//! files given.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{AppState, app, drain_inbox};

/// A rustls configuration from the certificate directory of `truce certs init`.
///
/// # Errors
/// When there is no server certificate there, or it cannot be used.
pub fn from_cert_dir(dir: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let material = truce_pki::CertStore::new(dir).trust_material().with_context(|| {
        format!(
            "--tls: no server certificate in {} (run `truce certs init`, or give --tls-cert and --tls-key)",
            dir.display()
        )
    })?;
    // The chain: the server certificate, then the CA that signed it.
    let chain = vec![CertificateDer::from(material.server_cert_der), CertificateDer::from(material.ca_cert_der)];
    config(chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(material.server_key_der)))
}

/// A rustls configuration from PEM files.
///
/// # Errors
/// When a file cannot be read or holds no certificate or key.
pub fn from_pem(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| anyhow::anyhow!("--tls-cert {}: {e}", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!("--tls-cert {}: no certificate in the file", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow::anyhow!("--tls-key {}: {e}", key.display()))?;
    config(chain, key)
}

fn config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the HTTPS certificate or key")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves `state`'s application over HTTPS on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let drain = tokio::spawn(drain_inbox(state.clone()));
    let limits = state.limits;
    serve_router(listener, tls, app(state), limits, shutdown).await;
    drain.abort();
    Ok(())
}

/// The certificate the client presented in the TLS handshake (DER), verified by the configuration's
/// client verifier; `None` when the configuration asks for none.
#[derive(Debug, Clone)]
pub struct PeerCertificate(pub Option<Arc<[u8]>>);

/// Serves `app` over HTTPS on `listener` until `shutdown` completes, then lets the connections finish
/// the requests in hand and returns when every one has closed: the peer's address goes into each
/// request as `ConnectInfo`, and the certificate it presented as [`PeerCertificate`].
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: axum::Router,
    limits: super::conn::Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    super::conn::accept(listener, "HTTPS", shutdown, move |tcp, peer, stop| {
        let (acceptor, app) = (acceptor.clone(), app.clone());
        async move {
            let stream = match tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, "TLS handshake failed: {e}");
                    return;
                }
                Err(_) => return,
            };
            let cert: Option<Arc<[u8]>> =
                stream.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| Arc::from(c.as_ref()));
            let certificate = move |x: &mut axum::http::Extensions| {
                x.insert(PeerCertificate(cert.clone()));
            };
            super::conn::serve(stream, peer, app, limits, certificate, stop).await;
        }
    })
    .await;
}
