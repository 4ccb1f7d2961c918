//! Certificate enrolment as ATAK, iTAK and WinTAK do it against TAK Server (port 8446): the device
//! asks what its certificate request's subject should hold (`GET /Marti/api/tls/config`), makes a key
//! pair, and posts the request with the user's name and password in HTTP basic authentication
//! (`POST /Marti/api/tls/signClient/v2`); it gets back its certificate and the CA's, in JSON or XML
//! as its `Accept` header asks. The password is checked like a web login (the same throttle, the
//! same 401 for an unknown user, a wrong password or a disabled user; every attempt audited), and
//! the certificate is bound to that user (`truce_pki::CertStore::sign_csr`).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use time::OffsetDateTime;
use truce_auth::LoginError;

use super::MartiState;
use crate::server::audit::Note;
use crate::server::error::ApiError;

/// The largest certificate request accepted (a PEM request is under 2 KiB).
pub const MAX_CSR: usize = 64 * 1024;

pub fn routes() -> Router<MartiState> {
    Router::new()
        .route("/Marti/api/tls/config", axum::routing::get(config))
        .route("/Marti/api/tls/signClient/v2", axum::routing::post(sign))
        .route("/Marti/api/tls/profile/enrollment", axum::routing::get(profile))
}

/// What the request's subject should hold: TAK Server's `certificateConfig` (the organisation and
/// unit; truce sets the subject itself, so these are a courtesy to the client).
async fn config() -> Response {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
        <ns2:certificateConfig xmlns=\"http://bbn.com/marti/xml/config\" xmlns:ns2=\"com.bbn.marti.config\">\
        <nameEntries><nameEntry name=\"O\" value=\"truce\"/><nameEntry name=\"OU\" value=\"truce\"/></nameEntries>\
        </ns2:certificateConfig>";
    ([(header::CONTENT_TYPE, "application/xml")], xml).into_response()
}

/// No enrolment profile (a data package TAK Server can hand devices after enrolment): 204.
async fn profile() -> StatusCode {
    StatusCode::NO_CONTENT
}

#[derive(Debug, Deserialize)]
struct SignQuery {
    #[serde(rename = "clientUid")]
    client_uid: Option<String>,
}

/// The user name and password of an `Authorization: Basic` header.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn challenge(mut e: Response) -> Response {
    e.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"truce\""));
    e
}

async fn sign(
    State(state): State<MartiState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<SignQuery>,
    headers: HeaderMap,
    body: String,
) -> Result<Response, ApiError> {
    let Some((user, password)) = basic(&headers) else {
        return Ok(challenge(
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "enrolment needs the user name and password (HTTP basic authentication)",
            )
            .field("authorization")
            .into_response(),
        ));
    };
    let sessions = state.app.sessions.clone();
    let name = user.clone();
    let outcome = crate::server::blocking(move || {
        let login = sessions.login(&name, &password, peer.ip(), OffsetDateTime::now_utc());
        if let Ok(l) = &login {
            // Only the password was wanted: the session ends at once.
            sessions.logout(&l.token).map_err(ApiError::internal)?;
        }
        Ok(login)
    })
    .await?;
    let login = match outcome {
        Ok(login) => login,
        Err(LoginError::Invalid) => {
            let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "invalid_login", "invalid user name or password")
                .field("authorization")
                .into_response();
            r.extensions_mut().insert(Note { target: user, detail: "enrolment refused".into(), ..Note::default() });
            return Ok(challenge(r));
        }
        Err(LoginError::Throttled { retry_after }) => {
            let secs = retry_after.as_secs().max(1);
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                format!("too many failed attempts; try again in {secs} s"),
            )
            .field("authorization")
            .into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            r.extensions_mut().insert(Note { target: user, detail: "enrolment throttled".into(), ..Note::default() });
            return Ok(r);
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    let certs = state.certs.clone();
    let u = login.user.clone();
    let signed = crate::server::blocking(move || {
        let opts = truce_pki::EnrolOptions::new(u.name.clone());
        Ok(certs.sign_csr(&body, &opts))
    })
    .await?;
    let enrolled = match signed {
        Ok(e) => e,
        Err(e) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_csr", e.to_string()).field("body"));
        }
    };
    let b64 = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
    let wants_json =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    let mut response = if wants_json {
        super::json(
            StatusCode::OK,
            &serde_json::json!({"signedCert": b64(&enrolled.cert_der), "ca0": b64(&enrolled.ca_cert_der)}),
        )
    } else {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><enrollment><signedCert>{}</signedCert><ca>{}</ca></enrollment>",
            b64(&enrolled.cert_der),
            b64(&enrolled.ca_cert_der)
        );
        ([(header::CONTENT_TYPE, "application/xml")], xml).into_response()
    };
    response.extensions_mut().insert(Note {
        actor: Some(login.user.name.clone()),
        nation: Some(login.user.nation.clone()),
        target: format!("certificate {} for {}", enrolled.serial, enrolled.callsign),
        detail: format!("enrolled device {}", q.client_uid.unwrap_or_default()),
    });
    tracing::info!(user = %login.user.name, serial = %enrolled.serial, "enrolled a device");
    Ok(response)
}
