//! `GET /api/v1/audit`: the audit log for auditors, each entry with its inclusion proof in the tree
//! whose signed checkpoint comes with the page, so a client can check every entry it is shown against
//! a tree head it saved (see `docs/audit.md`).

// utoipa's expansion of `Query<...>` parameters names axum's path in full.
#![allow(unused_qualifications)]

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};
use truce_access::Action;
use utoipa::IntoParams;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::{AppState, blocking};

/// Which entries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries with an index at or after this (default 0).
    after: Option<String>,
    /// At most this many (1 to 1,000; default 100).
    limit: Option<String>,
}

/// Audit entries with inclusion proofs and the signed checkpoint they are proved against (auditors
/// and admins only).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses(
        (status = 200, description = "`{\"checkpoint\": text, \"tree_size\", \"root\", \"entries\": [{...entry, \"proof\": {\"index\", \"tree_size\", \"leaf_hash\", \"root\", \"path\"}}]}`", body = Object),
        (status = 403, description = "The role may not read the audit log", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(p): Query<AuditParams>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Action::ReadAudit)?;
    let after = super::after_param(p.after.as_deref())?.unwrap_or(0) as u64;
    let limit = super::limit_param(p.limit.as_deref(), 100, 1_000)?;
    let log = state.audit.clone();
    blocking(move || {
        let checkpoint = log.checkpoint().map_err(ApiError::internal)?;
        let size = checkpoint.size;
        let entries = log.entries(after, limit).map_err(ApiError::internal)?;
        let mut out = Vec::with_capacity(entries.len());
        for r in entries.into_iter().filter(|r| r.index < size) {
            let proof = log.inclusion(r.index, size).map_err(ApiError::internal)?;
            let mut v = serde_json::to_value(&r).map_err(ApiError::internal)?;
            v["proof"] = serde_json::to_value(proof).map_err(ApiError::internal)?;
            out.push(v);
        }
        Ok(Json(json!({
            "checkpoint": checkpoint.to_text(),
            "tree_size": size,
            "entries": out,
        })))
    })
    .await
}
