//! Who is calling: sessions, logins, and the one place a request becomes a viewer.
//!
//! [`require_session`] is a middleware over the whole router: every request except the public ones
//! ([`PUBLIC`]: the login, `/healthz`, the OpenAPI document and the static pages the login form lives
//! on) must carry a session token, as `Authorization: Bearer TOKEN` (API clients, machine feeds with
//! an API token) or the `__Host-truce` cookie the login sets. Browsers cannot set headers on a
//! WebSocket, so `/api/v1/stream` also takes the token as a subprotocol named `bearer.TOKEN` in
//! `Sec-WebSocket-Protocol` (the pages open `new WebSocket(url, ["truce", "bearer." + token])`; the
//! server answers with `truce`, never echoing the token): the pages keep their token per tab, in
//! `sessionStorage`, and do not rely on the cookie, which a browser shares between tabs (and keeps
//! only over HTTPS or on `localhost`, being `Secure`). A valid token becomes a [`Caller`] in
//! the request's extensions; handlers take it as an extractor and read the store only through
//! [`Caller::store`], the node's view for that viewer, so the access rule is applied by the store and
//! the bus, never by a handler. Writes ask [`Caller::require`] for their action (the permission table
//! of `truce_access::Role`); a refusal is a 403 naming the role.
//!
//! The login answers an unknown user, a wrong password and a disabled user with the same 401; after
//! repeated failures for a name or an address it answers 429 with `Retry-After`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_access::{Access, Action, Viewer};
use truce_auth::LoginError;
use truce_store::{Store, User};

use super::AppState;
use super::audit::Note;
use super::error::{ApiError, ErrorBody};

/// The session cookie (the `__Host-` prefix: Secure, no Domain, Path=/).
pub const COOKIE: &str = "__Host-truce";

/// Paths served without a session.
pub const PUBLIC: &[&str] = &["/api/v1/login", "/healthz", "/api/v1/openapi.json"];

/// Whether `path` is served without a session: [`PUBLIC`], and the pages and their packages (the
/// login form is on them; they hold no data).
pub fn is_public(path: &str) -> bool {
    PUBLIC.contains(&path) || !(path.starts_with("/api/") || path == "/metrics")
}

/// The user behind a request, as the access rule sees them.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub viewer: Viewer,
    /// The viewer compiled against the node's policy.
    pub access: Access,
}

impl Caller {
    pub(crate) fn of(state: &AppState, user: &User) -> Self {
        let viewer = user.viewer();
        let access = state.node.access(&viewer);
        Self { viewer, access }
    }

    /// The store as this caller may read it.
    pub fn store(&self, state: &AppState) -> Arc<dyn Store> {
        state.node.view(&self.access)
    }

    /// `Ok` when the caller's role allows `action`; otherwise a 403 naming the role.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.viewer.may(action) {
            return Ok(());
        }
        tracing::info!(user = %self.viewer.name, role = %self.viewer.role, %action, "denied");
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("the role {} may not {}", self.viewer.role, action.id().replace('_', " ")),
        )
        .field("role"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(unauthenticated)
    }
}

fn unauthenticated() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in first: POST /api/v1/login").field("session")
}

/// The subprotocol prefix that carries a token on a WebSocket (`bearer.TOKEN`).
pub const WS_BEARER: &str = "bearer.";

/// The token a request carries: the bearer token, else a `bearer.TOKEN` WebSocket subprotocol, else
/// the session cookie.
pub fn token(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(str::trim);
    }
    let protocol = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| p.trim().strip_prefix(WS_BEARER));
    if protocol.is_some() {
        return protocol;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// The middleware: a session for every non-public request (see the module documentation).
pub async fn require_session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if is_public(request.uri().path()) {
        return next.run(request).await;
    }
    let Some(token) = token(request.headers()).map(str::to_owned) else {
        return unauthenticated().into_response();
    };
    let sessions = state.sessions.clone();
    let user =
        super::blocking(move || sessions.authenticate(&token, OffsetDateTime::now_utc()).map_err(ApiError::internal))
            .await;
    match user {
        Ok(Some(user)) => {
            let caller = Caller::of(&state, &user);
            request.extensions_mut().insert(caller.clone());
            let mut response = next.run(request).await;
            // For the audit middleware outside this one: who asked.
            response.extensions_mut().insert(caller);
            response
        }
        Ok(None) => unauthenticated().into_response(),
        Err(e) => e.into_response(),
    }
}

/// A login.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user name.
    user: String,
    /// The password.
    password: String,
}

/// Log in: a session token (also set as the `__Host-truce` cookie) and when it expires at the latest.
#[utoipa::path(post, path = "/api/v1/login", tag = "session", request_body = LoginRequest,
    responses(
        (status = 200, description = "`{\"token\", \"expires_at\", \"user\": {\"name\", \"nation\", \"role\", \"clearance\"}}`", body = Object),
        (status = 400, description = "Not a login object", body = ErrorBody),
        (status = 401, description = "Invalid user name or password (the same answer for both)", body = ErrorBody),
        (status = 429, description = "Too many failed logins for this name or address (see Retry-After)", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: LoginRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_login", format!("expected {{\"user\", \"password\"}}: {e}"))
            .field("body")
    })?;
    let sessions = state.sessions.clone();
    let name = req.user.clone();
    let outcome =
        super::blocking(move || Ok(sessions.login(&req.user, &req.password, peer.ip(), OffsetDateTime::now_utc())))
            .await?;
    match outcome {
        Ok(login) => {
            let expires = login.expires_at.format(&Rfc3339).unwrap_or_default();
            let max_age = (login.expires_at - OffsetDateTime::now_utc()).whole_seconds().max(0);
            let cookie =
                format!("{COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}", login.token);
            let u = &login.user;
            let body = json!({
                "token": login.token, "expires_at": expires,
                "user": {"name": u.name, "nation": u.nation, "role": u.role, "clearance": u.clearance, "categories": u.categories},
            });
            let mut response = Json(body).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, v);
            }
            response.extensions_mut().insert(Note {
                actor: Some(u.name.clone()),
                nation: Some(u.nation.clone()),
                ..Note::default()
            });
            Ok(response)
        }
        Err(LoginError::Invalid) => {
            let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "invalid_login", "invalid user name or password")
                .field("user")
                .into_response();
            r.extensions_mut().insert(Note { target: name, detail: "invalid".into(), ..Note::default() });
            Ok(r)
        }
        Err(LoginError::Throttled { retry_after }) => {
            let secs = retry_after.as_secs().max(1);
            let mut r = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                format!("too many failed logins; try again in {secs} s"),
            )
            .field("user")
            .into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            r.extensions_mut().insert(Note { target: name, detail: "throttled".into(), ..Note::default() });
            Ok(r)
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// Log out: the session ends at once and the cookie is cleared.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session",
    responses((status = 204, description = "Logged out"), (status = 401, description = "No session", body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, _caller: Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    let token = token(&headers).map(str::to_owned).ok_or_else(unauthenticated)?;
    let sessions = state.sessions.clone();
    super::blocking(move || sessions.logout(&token).map_err(ApiError::internal)).await?;
    let clear = format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// Who is logged in: name, nation, role, clearance, categories.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "The caller", body = Object), (status = 401, description = "No session", body = ErrorBody)))]
pub async fn me(caller: Caller) -> Json<serde_json::Value> {
    let v = &caller.viewer;
    Json(
        json!({"name": v.name, "nation": v.nation, "role": v.role, "clearance": v.clearance, "categories": v.categories}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn the_token_comes_from_the_header_else_the_subprotocol_else_the_cookie() {
        let cookie = (header::COOKIE, "a=b; __Host-truce=fromcookie");
        let protocol = (header::SEC_WEBSOCKET_PROTOCOL, "truce, bearer.fromprotocol");
        let bearer = (header::AUTHORIZATION, "Bearer fromheader");
        assert_eq!(token(&headers(std::slice::from_ref(&cookie))), Some("fromcookie"));
        assert_eq!(token(&headers(&[cookie.clone(), protocol.clone()])), Some("fromprotocol"));
        assert_eq!(token(&headers(&[cookie, protocol.clone(), bearer])), Some("fromheader"));
        assert_eq!(token(&headers(&[(header::SEC_WEBSOCKET_PROTOCOL, "truce")])), None);
    }
}
