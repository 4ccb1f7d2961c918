//! The HTTP feed: observations posted to `POST /api/v1/observations`, one JSON object or an array of
//! at most [`MAX_BATCH`], all or nothing.
//!
//! [`read_batch`] turns a request body into observations ready to store, through the node's
//! pipeline: it checks the encoding and the JSON, parses every observation with the API's rules
//! (`truce-formats`, unknown members refused), validates and classifies each, and reports **every**
//! field at fault (`[index].field` in an array) rather than the first. The HTTP server (in the binary)
//! maps the error onto the API's error shape. [`post`] is the whole of a batch POST, on the blocking
//! pool, the path a bulk load takes: the body is read, validated, classified and encoded on the
//! request's own blocking thread (concurrent requests on every core, the runtime's threads free), then
//! the store's one writer commits it durably before the answer.
//!
//! [`read_correction`] reads the body of `PUT /api/v1/observations/{id}`: the version the writer read,
//! a reason, and either the amended observation (parsed and validated exactly like a new one) or
//! `"withdraw": true`.

pub mod config;

use serde_json::Value;
use time::OffsetDateTime;
use truce_access::Access;
use truce_core::{Means, StoredObservation};
use truce_formats::observation::{FieldError, Options, from_json};

pub use config::HttpConfig;

use std::sync::Arc;

use truce_store::{InsertReport, StoreError};

use crate::Node;

/// Why a posted batch was not stored ([`post`]); nothing of it is then.
#[derive(Debug)]
pub enum PostError {
    /// The body was refused.
    Body(BodyError),
    /// The store refused the batch or failed.
    Store(StoreError),
}

/// `POST /api/v1/observations`: [`read_batch`] then [`Node::commit`], on the blocking pool, stamped
/// `received_at` and recorded as by `by`. Returns once the batch is durably stored.
///
/// # Errors
/// [`PostError::Body`] as [`read_batch`]; [`PostError::Store`] as [`Node::commit`], and when the
/// blocking task could not run.
pub async fn post<B: AsRef<[u8]> + Send + 'static>(
    node: &Arc<Node>,
    writer: Access,
    by: String,
    body: B,
    received_at: OffsetDateTime,
) -> Result<InsertReport, PostError> {
    let node = node.clone();
    tokio::task::spawn_blocking(move || {
        let batch = read_batch(&node, &writer, body.as_ref(), received_at).map_err(PostError::Body)?;
        node.commit(&by, batch).map_err(PostError::Store)
    })
    .await
    .map_err(|e| {
        PostError::Store(StoreError::Corrupt { id: String::new(), reason: format!("the store task failed: {e}") })
    })?
}

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

/// Longest reason for a correction, characters.
pub const MAX_REASON_CHARS: usize = 2_000;

/// A correction read from a request body ([`read_correction`]).
#[derive(Debug, Clone)]
pub struct CorrectionBody {
    /// The version the writer read and corrects.
    pub version: u32,
    /// Why.
    pub reason: String,
    /// The amended observation, ready to store; `None` withdraws it.
    pub amended: Option<StoredObservation>,
}

fn field_error(field: &str, code: &'static str, message: impl Into<String>) -> BodyError {
    BodyError::Invalid(vec![FieldError { field: field.to_owned(), code, message: message.into() }])
}

/// Reads a correction of observation `id`: `{"version": N, "reason": "...", "observation": {...}}`
/// amends it (the observation's `id`, when given, must be `id`), `{"version": N, "reason": "...",
/// "withdraw": true}` withdraws it.
///
/// # Errors
/// A [`BodyError`] naming the member at fault (`version`, `reason`, `observation.lat`, ...); nothing
/// is changed then.
pub fn read_correction(
    node: &Node,
    writer: &Access,
    id: &str,
    body: &[u8],
    received_at: OffsetDateTime,
) -> Result<CorrectionBody, BodyError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| BodyError::Malformed(format!("the body is not UTF-8 (byte {})", e.valid_up_to())))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| BodyError::Malformed(format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column())))?;
    let Value::Object(mut members) = value else {
        return Err(BodyError::WrongType {
            field: None,
            message: "expected an object: {\"version\": N, \"reason\": \"...\", \"observation\": {...}} or \"withdraw\": true".into(),
        });
    };
    if let Some(unknown) =
        members.keys().find(|k| !["version", "reason", "observation", "withdraw"].contains(&k.as_str()))
    {
        return Err(field_error(
            unknown,
            "unknown_field",
            "not a member of a correction (version, reason, observation, withdraw)",
        ));
    }
    let version = match members.get("version") {
        None => {
            return Err(field_error(
                "version",
                "missing_field",
                "the version you read is required (see the observation's `version`)",
            ));
        }
        Some(v) => v.as_u64().and_then(|n| u32::try_from(n).ok()).filter(|n| *n >= 1).ok_or_else(|| {
            field_error("version", "invalid_value", format!("{v} is not a version (a whole number from 1)"))
        })?,
    };
    let reason = match members.get("reason") {
        Some(Value::String(r)) if !r.trim().is_empty() => r.trim().to_owned(),
        Some(Value::String(_)) | None => {
            return Err(field_error("reason", "missing_field", "a correction needs a reason"));
        }
        Some(_) => return Err(field_error("reason", "invalid_type", "expected a string")),
    };
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(field_error("reason", "out_of_range", format!("longer than {MAX_REASON_CHARS} characters")));
    }
    let withdraw = match members.get("withdraw") {
        None | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(_) => return Err(field_error("withdraw", "invalid_type", "expected true")),
    };
    let amended = match (members.remove("observation"), withdraw) {
        (Some(_), true) => {
            return Err(field_error("withdraw", "invalid_value", "either amend (observation) or withdraw, not both"));
        }
        (None, true) => None,
        (None, false) => {
            return Err(field_error("observation", "missing_field", "the amended observation, or \"withdraw\": true"));
        }
        (Some(Value::Object(mut o)), false) => {
            match o.get("id") {
                None => {
                    o.insert("id".into(), Value::String(id.to_owned()));
                }
                Some(Value::String(given)) if given == id => {}
                Some(other) => {
                    return Err(field_error(
                        "observation.id",
                        "invalid_value",
                        format!("{other} is not {id:?}: an observation's id cannot be changed"),
                    ));
                }
            }
            let options = Options { reject_unknown: true, default_means: Means::Patrol };
            let observation = from_json(&o, options).map_err(|es| {
                BodyError::Invalid(
                    es.into_iter().map(|e| FieldError { field: format!("observation.{}", e.field), ..e }).collect(),
                )
            })?;
            match node.prepare(observation, received_at, writer) {
                Ok(s) => Some(s),
                Err(e) if e.forbidden => {
                    return Err(BodyError::Forbidden { field: format!("observation.{}", e.field), message: e.message });
                }
                Err(e) => return Err(field_error(&format!("observation.{}", e.field), "invalid_value", e.message)),
            }
        }
        (Some(_), false) => return Err(field_error("observation", "invalid_type", "expected an observation object")),
    };
    Ok(CorrectionBody { version, reason, amended })
}
