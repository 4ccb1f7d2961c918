//! One error shape for the whole API, with stable codes, used also for rejected JSON and oversized
//! bodies: `{"error": {"code": "...", "message": "...", "field": "...", "fields": [...]}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use truce_formats::observation::FieldError;

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub fields: Vec<FieldError>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The error object.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable code: malformed_json, invalid_type, invalid_observation, body_too_large, batch_too_large,
    /// invalid_parameter, not_found, store_unavailable.
    pub code: &'static str,
    /// Human explanation.
    pub message: String,
    /// The field or parameter at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault (invalid observations).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, fields: Vec::new() }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn parameter(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_parameter", message).field(field)
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("store failure: {e}");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            // A connection that broke while its commit was under way may have committed: the request
            // is then applied whole, never in part.
            format!(
                "the store failed: {e}; nothing was applied, unless the database went away while \
                 committing, in which case all of it was (sending it again is safe for observations)"
            ),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        metrics::counter!("truce_http_errors_total", "code" => self.code).increment(1);
        let body = ErrorBody {
            error: ErrorDetail { code: self.code, message: self.message, field: self.field, fields: self.fields },
        };
        (self.status, Json(body)).into_response()
    }
}
