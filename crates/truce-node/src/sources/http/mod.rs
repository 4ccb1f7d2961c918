//! The HTTP feed: observations posted to `POST /api/v1/observations`, one JSON object or an array of
//! at most [`MAX_BATCH`], all or nothing.
//!
//! [`read_batch`] turns a request body into observations ready to store, through the node's
//! pipeline: it checks the encoding and the JSON, parses every observation with the API's rules
//! (`truce-formats`, unknown members refused), validates and classifies each, and reports **every**
//! field at fault (`[index].field` in an array) rather than the first. The HTTP server (in the binary)
//! maps the error onto the API's error shape and commits the batch with
//! [`Node::commit_async`](crate::Node::commit_async).

pub mod config;

use serde_json::Value;
use time::OffsetDateTime;
use truce_access::Access;
use truce_core::{Means, StoredObservation};
use truce_formats::observation::{FieldError, Options, from_json};

pub use config::HttpConfig;

use crate::Node;

/// Largest request body, bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// Most observations in one request.
pub const MAX_BATCH: usize = 10_000;

/// Why a body was refused; nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not UTF-8, or not JSON (with where).
    #[error("{0}")]
    Malformed(String),
    /// JSON, but not an observation object or an array of them (`field` names the element at fault).
    #[error("{message}")]
    WrongType {
        /// The element at fault (`[3]`), if one.
        field: Option<String>,
        /// Why.
        message: String,
    },
    /// More observations than [`MAX_BATCH`].
    #[error("{0} observations; at most {MAX_BATCH} per request")]
    TooMany(usize),
    /// An empty array.
    #[error("the array is empty")]
    Empty,
    /// Observations that do not pass: every field at fault.
    #[error("{} problem{} found; nothing was stored", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<FieldError>),
    /// A label the writer may not give (above its clearance, or a category it does not hold).
    #[error("{field}: {message}; nothing was stored")]
    Forbidden {
        /// The field (`[3].marking`).
        field: String,
        /// Why.
        message: String,
    },
}

/// Reads a request body into stored-form observations (validated and classified), or the reason it
/// is refused. `received_at` stamps them all.
///
/// # Errors
/// See [`BodyError`].
pub fn read_batch(
    node: &Node,
    writer: &Access,
    body: &[u8],
    received_at: OffsetDateTime,
) -> Result<Vec<StoredObservation>, BodyError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| BodyError::Malformed(format!("the body is not UTF-8 (byte {})", e.valid_up_to())))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| BodyError::Malformed(format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column())))?;
    let (items, single) = match value {
        Value::Object(o) => (vec![o], true),
        Value::Array(a) => {
            if a.len() > MAX_BATCH {
                return Err(BodyError::TooMany(a.len()));
            }
            if a.is_empty() {
                return Err(BodyError::Empty);
            }
            let mut objects = Vec::with_capacity(a.len());
            for (i, v) in a.into_iter().enumerate() {
                match v {
                    Value::Object(o) => objects.push(o),
                    _ => {
                        return Err(BodyError::WrongType {
                            field: Some(format!("[{i}]")),
                            message: "every element must be an observation object".into(),
                        });
                    }
                }
            }
            (objects, false)
        }
        _ => {
            return Err(BodyError::WrongType {
                field: None,
                message: "expected an observation object or an array of them".into(),
            });
        }
    };
    metrics::counter!("truce_observations_received_total").increment(items.len() as u64);
    let options = Options { reject_unknown: true, default_means: Means::Patrol };
    let mut errors: Vec<FieldError> = Vec::new();
    let mut batch = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let prefix = |f: &str| if single { f.to_owned() } else { format!("[{i}].{f}") };
        match from_json(item, options) {
            Ok(observation) => match node.prepare(observation, received_at, writer) {
                Ok(s) => batch.push(s),
                Err(e) if e.forbidden => {
                    return Err(BodyError::Forbidden { field: prefix(e.field), message: e.message });
                }
                Err(e) => errors.push(FieldError { field: prefix(e.field), code: "invalid_value", message: e.message }),
            },
            Err(es) => errors.extend(es.into_iter().map(|e| FieldError { field: prefix(&e.field), ..e })),
        }
    }
    if !errors.is_empty() {
        metrics::counter!("truce_observations_rejected_total").increment(items.len() as u64);
        return Err(BodyError::Invalid(errors));
    }
    Ok(batch)
}
