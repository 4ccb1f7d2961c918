//! The Marti REST API of TAK Server, for the devices: certificate enrolment (port 8446), and on the
//! API port (8443) data packages and files, missions (Data Sync), the server's version and the
//! contacts list. docs/tak.md lists every endpoint with what is and is not supported.
//!
//! # Design
//!
//! Two HTTPS listeners served by the same accept loop as the web API (`super::tls::serve_router`):
//!
//! - **enrolment** ([`enrol`]): TLS with the server certificate only; the device proves who it is
//!   with HTTP basic authentication against truce's users (the same throttled, audited check as the
//!   web login) and gets its certificate signing request signed, bound to that user;
//! - **API**: TLS with a client certificate of truce's CA (revoked ones are refused in the
//!   handshake). [`identify`] turns the certificate into a [`Caller`] exactly as the web API does for
//!   a session: the user the certificate is bound to (its nation, role and clearance), or the anonymous
//!   viewer for a certificate without a user. Handlers read the store only through that caller's
//!   scoped view, so the access rule is the store's, never a handler's; writes need the role's
//!   `send_tak` permission (the same as sending CoT).
//!
//! File bodies go to a content-addressed folder beside the store (`truce_store::Blobs`, in
//! `DATA_DIR/files`): each upload streams into a temporary file while its SHA-256 is computed, is
//! checked against the size limit and the hash the client announced, made durable and renamed into
//! place; only then is its record written. An upload cut at any point leaves nothing.
//!
//! Every request passes through the same audit middleware as the web API: enrolments, refusals and
//! every write are in the audit log.

mod enrol;
mod files;
mod info;
mod missions;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use truce_access::{Action, Viewer};
use truce_store::{Blobs, Store};

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use super::tls::PeerCertificate;

/// What the Marti handlers share.
#[derive(Clone)]
pub struct MartiState {
    /// The web API's state: the node, sessions (passwords), audit log, TAK handle.
    pub app: AppState,
    /// The certificate authority (enrolment signs with it).
    pub certs: Arc<truce_pki::CertStore>,
    /// File bodies.
    pub blobs: Arc<Blobs>,
    /// The largest upload, bytes.
    pub max_upload: u64,
    /// The address devices use for this server (for the URLs the API hands out).
    pub host: Arc<str>,
    /// The revoked certificates: checked at every handshake and at every request (a connection kept
    /// alive across a revocation gets no further answer).
    pub revocations: truce_pki::Revocations,
}

/// The device behind an API request: its certificate's callsign and the caller it acts as.
#[derive(Debug, Clone)]
pub struct Device {
    /// The certificate's common name.
    pub callsign: String,
    /// The user or the anonymous viewer, as the access rule sees them.
    pub caller: Caller,
    /// The label of what this device writes (its user's default, as for the CoT it sends).
    pub label: truce_core::Label,
}

impl Device {
    /// The store as this device's user may read it.
    pub fn store(&self, state: &MartiState) -> Arc<dyn Store> {
        self.caller.store(&state.app)
    }

    /// The user's name (`anonymous` for a certificate without a user).
    pub fn user(&self) -> &str {
        &self.caller.viewer.name
    }

    /// Whether the user is an administrator.
    pub fn is_admin(&self) -> bool {
        self.caller.viewer.may(Action::ManageUsers)
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Device {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Device>().cloned().ok_or_else(no_certificate)
    }
}

fn no_certificate() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "a client certificate of this server's CA is required")
        .field("certificate")
}

/// The API listener's middleware: the client certificate becomes the [`Device`] and its [`Caller`]
/// (put back on the response for the audit middleware).
pub async fn identify(State(state): State<MartiState>, mut request: Request, next: Next) -> Response {
    let cert = request.extensions().get::<PeerCertificate>().and_then(|c| c.0.clone());
    let Some(cert) = cert else { return no_certificate().into_response() };
    let identity = match truce_pki::identity(&cert) {
        Ok(id) => id,
        Err(e) => {
            return ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", format!("the client certificate: {e}"))
                .field("certificate")
                .into_response();
        }
    };
    if state.revocations.is_revoked(&identity.serial) {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "the client certificate was revoked")
            .field("certificate")
            .into_response();
    }
    let app = state.app.clone();
    let user = identity.user.clone();
    let found = super::blocking(move || match user {
        Some(name) => app.node.store.user(&name).map_err(ApiError::internal).map(|u| u.filter(|u| !u.disabled)),
        None => Ok(None),
    })
    .await;
    let device = match found {
        Ok(Some(u)) => Device {
            callsign: identity.callsign.clone(),
            caller: Caller::of(&state.app, &u),
            // The user read above, not a second lookup: this runs on every request.
            label: state.app.node.device_label(&u),
        },
        Ok(None) if identity.user.is_some() => {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the user this certificate was issued for is disabled or gone",
            )
            .field("certificate")
            .into_response();
        }
        Ok(None) => {
            let viewer: Viewer = state.app.node.anonymous.clone();
            let access = state.app.node.access(&viewer);
            Device {
                callsign: identity.callsign.clone(),
                caller: Caller { viewer, access },
                label: state.app.node.anonymous_label(),
            }
        }
        Err(e) => return e.into_response(),
    };
    request.extensions_mut().insert(device.clone());
    request.extensions_mut().insert(device.caller.clone());
    let mut response = next.run(request).await;
    response.extensions_mut().insert(device.caller);
    response
}

/// The API port's routes (client certificates).
pub fn api(state: MartiState) -> Router {
    Router::new()
        .merge(info::routes())
        .merge(files::routes())
        .merge(missions::routes())
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(state.clone(), identify))
        .layer(axum::middleware::from_fn_with_state(state.app.clone(), super::audit::record))
        .with_state(state)
}

/// The enrolment port's routes (basic authentication).
pub fn enrolment(state: MartiState) -> Router {
    enrol::routes()
        .layer(axum::extract::DefaultBodyLimit::max(enrol::MAX_CSR))
        .layer(axum::middleware::from_fn_with_state(state.app.clone(), super::audit::record))
        .with_state(state)
}

/// A JSON answer with exactly `application/json` as its type (TAK clients compare it as a string).
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    let mut r = (status, value.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// TAK Server's envelope of API answers: `{"version": "3", "type": T, "data": D, "nodeId": ..}`.
pub(crate) fn envelope(type_: &str, data: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"version": "3", "type": type_, "data": data, "nodeId": node_id()})
}

/// This server's node id in TAK answers.
pub(crate) fn node_id() -> &'static str {
    "truce"
}

/// A store failure that is the caller's fault (`Invalid`, `NotFound`, `Exists`) as a 4xx, else 503.
pub(crate) fn store_error(e: truce_store::StoreError, field: &str) -> ApiError {
    use truce_store::StoreError;
    match e {
        StoreError::NotFound(what) => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no {what:?} that you may see")).field(field)
        }
        StoreError::Exists(what) => {
            ApiError::new(StatusCode::CONFLICT, "conflict", format!("{what:?} already exists")).field(field)
        }
        StoreError::Invalid { id, reason } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("{id}: {reason}")).field(field)
        }
        other => ApiError::internal(other),
    }
}

/// Checks a name a device gives (a file name, a mission name): 1 to 255 bytes, no control characters,
/// no path separators, not `.` or `..`, no surrounding spaces.
pub(crate) fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    let bad = |why: &str| Err(ApiError::parameter(field, format!("{name:?}: {why}")));
    if name.is_empty() || name.len() > 255 {
        return bad("must be 1 to 255 bytes");
    }
    if name.chars().any(char::is_control) {
        return bad("must not hold control characters");
    }
    if name.contains('/') || name.contains('\\') {
        return bad("must not hold a path separator (/ or \\)");
    }
    if name == "." || name == ".." {
        return bad("is not a name");
    }
    if name.trim() != name {
        return bad("must not begin or end with spaces");
    }
    Ok(())
}

/// The running Marti listeners: dropping this stops them.
pub struct Marti {
    /// Where the API listener is bound.
    pub api: Option<std::net::SocketAddr>,
    /// Where the enrolment listener is bound.
    pub enrol: Option<std::net::SocketAddr>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Marti {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Where a Marti listener goes: as configured; else, when the TAK TLS listener is on (it is by default
/// with a server certificate), `port` on its host.
fn listen_addr(
    given: Option<truce_node::sources::Listen>,
    tak: &TakConfig,
    port: u16,
    have_cert: bool,
) -> Option<std::net::SocketAddr> {
    if let Some(l) = given {
        return l.addr();
    }
    let host = match tak.tls {
        Some(l) => l.addr()?.ip(),
        None if have_cert => tak.tcp.addr().map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |a| a.ip()),
        None => return None,
    };
    Some(std::net::SocketAddr::new(host, port))
}

use truce_node::sources::tak::TakConfig;

/// Starts the API (8443) and enrolment (8446) listeners `config` asks for, if there is a server
/// certificate (`truce certs init`); both are bound when this returns.
///
/// # Errors
/// A listener cannot bind; a listener was asked for without a server certificate; the certificates or
/// the file folder cannot be used.
pub async fn start(state: &AppState, config: &TakConfig, data_dir: &std::path::Path) -> anyhow::Result<Option<Marti>> {
    use anyhow::Context as _;
    let dir = config.certs_dir.clone().unwrap_or_else(|| data_dir.join("certs"));
    let certs = truce_pki::CertStore::new(dir.clone());
    let have_cert = certs.server_cert_path().is_file();
    let api_addr = listen_addr(config.api, config, 8443, have_cert);
    let enrol_addr = listen_addr(config.enrol, config, 8446, have_cert);
    if api_addr.is_none() && enrol_addr.is_none() {
        return Ok(None);
    }
    anyhow::ensure!(
        have_cert,
        "the TAK API and enrolment listeners need a server certificate in {}; run `truce certs init` first",
        dir.display()
    );
    let blobs = Blobs::open(&data_dir.join("files")).map_err(|e| anyhow::anyhow!("the file folder: {e}"))?;
    let host = certs.server_names().ok().and_then(|n| n.into_iter().next()).unwrap_or_else(|| "127.0.0.1".to_owned());
    let mut marti = Marti { api: None, enrol: None, tasks: Vec::new() };
    let limits = state.limits;
    let revocations = certs.revocations()?;
    let mut shared = MartiState {
        revocations: revocations.clone(),
        app: state.clone(),
        certs: Arc::new(certs.clone()),
        blobs: Arc::new(blobs),
        max_upload: config.max_upload_mib << 20,
        host: Arc::from(host.as_str()),
    };
    if let Some(addr) = api_addr {
        let l =
            tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} (TAK API)"))?;
        let bound = l.local_addr()?;
        shared.host = Arc::from(format!("{host}:{}", bound.port()).as_str());
        let trust = certs.trust_material()?;
        let verifier = truce_pki::client_verifier(&trust.ca_cert_der, revocations)?;
        let tls = api_tls(verifier, trust)?;
        marti.api = Some(bound);
        marti.tasks.push(tokio::spawn(super::tls::serve_router(
            l,
            tls,
            api(shared.clone()),
            limits,
            std::future::pending(),
        )));
    }
    if let Some(addr) = enrol_addr {
        let l = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (TAK enrolment)"))?;
        marti.enrol = Some(l.local_addr()?);
        let tls = super::tls::from_cert_dir(&dir)?;
        marti.tasks.push(tokio::spawn(super::tls::serve_router(
            l,
            tls,
            enrolment(shared),
            limits,
            std::future::pending(),
        )));
    }
    Ok(Some(marti))
}

/// The API listener's TLS: the server certificate, and client certificates of truce's CA required
/// and checked against the revocation list at every handshake.
fn api_tls(
    verifier: Arc<dyn rustls::server::danger::ClientCertVerifier>,
    trust: truce_pki::TrustMaterial,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = vec![CertificateDer::from(trust.server_cert_der), CertificateDer::from(trust.ca_cert_der)];
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(trust.server_key_der)))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// truce's label parameters beside TAK Server's on a write: `classification` (a marking, `NATO `
/// optional), `releasableTo` and `categories` (codes, comma-separated).
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct LabelQuery {
    classification: Option<String>,
    #[serde(rename = "releasableTo")]
    releasable_to: Option<String>,
    categories: Option<String>,
}

/// The label a write asks for ([`LabelQuery`]); what is not given is the device's default label's.
/// Checked against the policy (codes it knows, 400) and the caller (no label above its clearance,
/// outside its categories or out of its own sight, 403).
pub(crate) fn label_param(state: &MartiState, device: &Device, q: &LabelQuery) -> Result<truce_core::Label, ApiError> {
    let (classification, releasable_to, categories) =
        (q.classification.as_deref(), q.releasable_to.as_deref(), q.categories.as_deref());
    let mut label = device.label.clone();
    if classification.is_none() && releasable_to.is_none() && categories.is_none() {
        return Ok(label);
    }
    let list =
        |s: &str| -> Vec<String> { s.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned).collect() };
    if let Some(c) = classification {
        let wanted = c.trim().to_ascii_uppercase();
        label.marking = wanted
            .parse()
            .or_else(|_| format!("NATO {wanted}").parse())
            .map_err(|_| ApiError::parameter("classification", format!("{c:?} is not a NATO classification")))?;
    }
    if let Some(r) = releasable_to {
        label.releasable_to = list(r);
    }
    if let Some(c) = categories {
        label.categories = list(c);
    }
    let label = state.app.node.policy.check(&label).map_err(|e| {
        let field = if e.field == "categories" { "categories" } else { "releasableTo" };
        ApiError::parameter(field, e.reason)
    })?;
    if let Some((field, message)) = device.caller.access.may_label(&label) {
        let field = if field == "marking" { "classification" } else { field };
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).field(field));
    }
    // A device shares what its user sees: a label that would hide the file or mission from its own
    // writer (released only to others) is refused rather than stored out of the writer's reach.
    if !device.caller.access.permits(&label, time::OffsetDateTime::now_utc()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("releasable to {} only: you would not see it yourself", label.releasable_to.join(", ")),
        )
        .field("releasableTo"));
    }
    Ok(label)
}
