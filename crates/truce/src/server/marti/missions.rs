//! Missions (TAK Server's Data Sync) over the Marti API: create, list, get, delete; subscribe and
//! unsubscribe a device; roles; add and remove CoT uids and files; the change log. Every change is
//! recorded by the store and pushed to the subscribed devices by the node's missions service
//! (`truce_node::sources::tak::missions`), each change labelled like what it concerns.
//!
//! Reads go through the caller's scoped store: a mission labelled above the caller, or not
//! releasable to its nation, answers 404 like a missing one, and a mission's contents and changes
//! list only the files the caller may see. Writes need the role's `send_tak` permission and, on a
//! mission, a mission role that may write: the caller's subscription's (its user's devices), the
//! owner's for the creator, else the mission's default role.

use std::collections::HashSet;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use truce_access::Action;
use truce_store::{
    ChangeKind, ContentRef, MissionChange, MissionContent, MissionRecord, MissionRole, Store, Subscription,
};

use super::{Device, LabelQuery, MartiState, check_name, envelope, json, label_param, store_error};
use crate::server::audit::Note;
use crate::server::blocking;
use crate::server::error::ApiError;

pub fn routes() -> Router<MartiState> {
    use axum::routing::{get, put};
    Router::new()
        .route("/Marti/api/missions", get(list))
        .route("/Marti/api/missions/guid/{guid}", get(get_by_guid))
        .route("/Marti/api/missions/{name}", get(get_one).put(create).post(create).delete(delete))
        .route("/Marti/api/missions/{name}/subscription", get(subscription).put(subscribe).delete(unsubscribe))
        .route("/Marti/api/missions/{name}/subscriptions", get(subscriptions))
        .route("/Marti/api/missions/{name}/subscriptions/roles", get(roles))
        .route("/Marti/api/missions/{name}/role", put(set_role))
        .route("/Marti/api/missions/{name}/contents", put(add_contents).delete(remove_content))
        .route("/Marti/api/missions/{name}/changes", get(changes))
        .route("/Marti/api/missions/{name}/cot", get(cot))
}

/// A time as TAK Server writes it.
pub(crate) fn text(t: OffsetDateTime) -> String {
    truce_node::sources::tak::missions::rfc3339(t)
}

/// Now, as TAK Server writes it.
pub(crate) fn now_text() -> String {
    text(OffsetDateTime::now_utc())
}

fn role_json(role: MissionRole) -> serde_json::Value {
    json!({"type": role.id(), "permissions": role.permissions()})
}

fn subscriber_json(s: &Subscription) -> serde_json::Value {
    json!({"clientUid": s.client_uid, "username": s.user, "createTime": text(s.created), "role": role_json(s.role)})
}

fn file_json(f: &truce_store::FileRecord) -> serde_json::Value {
    json!({
        "keywords": f.keywords, "mimeType": f.mime, "name": f.name, "hash": f.hash,
        "submissionTime": text(f.submitted), "submitter": f.submitter, "uid": f.uid,
        "creatorUid": f.creator_uid.clone().unwrap_or_default(), "size": f.size,
        "expiration": f.expiration.unwrap_or(-1),
    })
}

fn change_json(c: &MissionChange) -> serde_json::Value {
    let mut v = json!({
        "isFederatedChange": false, "type": c.kind.id(), "missionName": c.mission, "timestamp": text(c.at),
        "serverTime": text(c.at), "creatorUid": c.creator_uid,
    });
    match (&c.content, &c.file) {
        (Some(ContentRef::Uid(uid)), _) => v["contentUid"] = json!(uid),
        (_, Some(f)) => v["contentResource"] = file_json(f),
        _ => {}
    }
    v
}

fn mission_json(
    state: &MartiState,
    m: &MissionRecord,
    contents: &[MissionContent],
    changes: Option<&[MissionChange]>,
) -> serde_json::Value {
    let mut uids = Vec::new();
    let mut files = Vec::new();
    for c in contents {
        match (&c.content, &c.file) {
            (ContentRef::Uid(uid), _) => {
                uids.push(json!({"data": uid, "timestamp": text(c.added), "creatorUid": c.creator_uid}));
            }
            (ContentRef::File(_), Some(f)) => {
                files.push(json!({"timestamp": text(c.added), "creatorUid": c.creator_uid, "data": file_json(f)}));
            }
            (ContentRef::File(_), None) => {}
        }
    }
    let mut v = json!({
        "name": m.name, "description": m.description, "chatRoom": m.chat_room, "baseLayer": "", "bbox": "",
        "path": "", "classification": state.app.node.policy.banner(&m.label, m.created.date()),
        "tool": m.tool, "keywords": [], "creatorUid": m.creator_uid, "createTime": text(m.created),
        "externalData": [], "feeds": [], "mapLayers": [], "inviteOnly": m.invite_only, "expiration": -1,
        "guid": m.guid, "uids": uids, "contents": files, "passwordProtected": false,
        "defaultRole": role_json(m.default_role), "groups": ["__ANON__"],
    });
    if let Some(ch) = changes {
        v["missionChanges"] = json!(ch.iter().map(change_json).collect::<Vec<_>>());
    }
    v
}

fn not_found(name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no mission {name:?} that you may see")).field("name")
}

/// The mission `name` as the caller's store sees it.
async fn visible(store: &std::sync::Arc<dyn Store>, name: &str) -> Result<MissionRecord, ApiError> {
    let (s, n) = (store.clone(), name.to_owned());
    blocking(move || s.mission(&n).map_err(ApiError::internal)).await?.ok_or_else(|| not_found(name))
}

/// The caller's mission role: its user's subscription with the most rights, else owner for the
/// creator, else the mission's default role.
async fn role_of(
    store: &std::sync::Arc<dyn Store>,
    m: &MissionRecord,
    device: &Device,
) -> Result<MissionRole, ApiError> {
    if m.creator_user == device.user() && device.user() != "anonymous" {
        return Ok(MissionRole::Owner);
    }
    let (s, n) = (store.clone(), m.name.clone());
    let subs = blocking(move || s.subscriptions(&n).map_err(ApiError::internal)).await?;
    let rank = |r: MissionRole| match r {
        MissionRole::Owner => 2,
        MissionRole::Subscriber => 1,
        MissionRole::ReadOnly => 0,
    };
    Ok(subs
        .into_iter()
        .filter(|s| s.user == device.user())
        .map(|s| s.role)
        .max_by_key(|r| rank(*r))
        .unwrap_or(m.default_role))
}

fn not_subscribed(uid: &str, name: &str, field: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{uid:?} is not subscribed to {name:?}")).field(field)
}

fn forbidden(what: &str, role: MissionRole) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("your mission role {} may not {what}", role.id()))
        .field("role")
}

/// Sends recorded changes to their missions' subscribers (on the blocking pool; failures logged).
pub(crate) async fn notify_changes(state: &MartiState, changes: Vec<MissionChange>) {
    if changes.is_empty() {
        return;
    }
    let node = state.app.node.clone();
    let done = tokio::task::spawn_blocking(move || -> Result<usize, truce_store::StoreError> {
        let mut sent = 0;
        let mut names: Vec<&str> = changes.iter().map(|c| c.mission.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let Some(m) = node.store.mission(name)? else { continue };
            let of: Vec<MissionChange> = changes.iter().filter(|c| c.mission == name).cloned().collect();
            sent += node.missions.notify(&of, &m.tool, &m.guid)?;
        }
        Ok(sent)
    })
    .await;
    match done {
        Ok(Ok(n)) => tracing::debug!("mission changes queued for {n} device(s)"),
        Ok(Err(e)) => tracing::error!("mission changes: {e}"),
        Err(e) => tracing::error!("mission changes: {e}"),
    }
}

fn noted(mut r: Response, target: String, detail: String) -> Response {
    r.extensions_mut().insert(Note { target, detail, ..Note::default() });
    r
}

async fn list(State(state): State<MartiState>, device: Device) -> Result<Response, ApiError> {
    let store = device.store(&state);
    let found = blocking(move || {
        let missions = store.missions().map_err(ApiError::internal)?;
        missions
            .into_iter()
            .map(|m| store.contents(&m.name).map(|c| (m, c)).map_err(ApiError::internal))
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let data: Vec<serde_json::Value> = found.iter().map(|(m, c)| mission_json(&state, m, c, None)).collect();
    Ok(json(StatusCode::OK, &envelope("Mission", json!(data))))
}

#[derive(Debug, Deserialize)]
struct GetQuery {
    changes: Option<bool>,
}

async fn answer_mission(
    state: &MartiState,
    device: &Device,
    m: MissionRecord,
    with_changes: bool,
) -> Result<Response, ApiError> {
    let store = device.store(state);
    let name = m.name.clone();
    let (contents, changes) = blocking(move || {
        let c = store.contents(&name).map_err(ApiError::internal)?;
        let ch = if with_changes { Some(store.changes(&name, None).map_err(ApiError::internal)?) } else { None };
        Ok((c, ch))
    })
    .await?;
    let v = mission_json(state, &m, &contents, changes.as_deref());
    Ok(json(StatusCode::OK, &envelope("Mission", json!([v]))))
}

async fn get_one(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<GetQuery>,
) -> Result<Response, ApiError> {
    let m = visible(&device.store(&state), &name).await?;
    answer_mission(&state, &device, m, q.changes.unwrap_or(false)).await
}

async fn get_by_guid(
    State(state): State<MartiState>,
    device: Device,
    Path(guid): Path<String>,
    Query(q): Query<GetQuery>,
) -> Result<Response, ApiError> {
    let store = device.store(&state);
    let g = guid.clone();
    let m = blocking(move || store.mission_by_guid(&g).map_err(ApiError::internal)).await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no mission {guid:?} that you may see")).field("guid")
    })?;
    answer_mission(&state, &device, m, q.changes.unwrap_or(false)).await
}

#[derive(Debug, Deserialize)]
struct CreateQuery {
    #[serde(rename = "creatorUid")]
    creator_uid: Option<String>,
    description: Option<String>,
    #[serde(rename = "chatRoom")]
    chat_room: Option<String>,
    tool: Option<String>,
    #[serde(rename = "defaultRole")]
    default_role: Option<String>,
    #[serde(rename = "inviteOnly")]
    invite_only: Option<bool>,
}

/// Creates a mission labelled with the creator's default label; the creator's device is subscribed
/// as its owner.
async fn create(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<CreateQuery>,
    Query(wanted): Query<LabelQuery>,
) -> Result<Response, ApiError> {
    device.caller.require(Action::SendTak)?;
    check_name("name", &name)?;
    let creator_uid = q.creator_uid.unwrap_or_else(|| device.callsign.clone());
    check_name("creatorUid", &creator_uid)?;
    let default_role = match q.default_role.as_deref() {
        None => MissionRole::Subscriber,
        Some(r) => MissionRole::parse(r).ok_or_else(|| {
            ApiError::parameter(
                "defaultRole",
                format!("{r:?} is not MISSION_OWNER, MISSION_SUBSCRIBER or MISSION_READONLY_SUBSCRIBER"),
            )
        })?,
    };
    let description = q.description.unwrap_or_default();
    if description.len() > 4000 || description.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::parameter("description", "at most 4,000 bytes, no control characters but new lines"));
    }
    let label = label_param(&state, &device, &wanted)?;
    let tool = q.tool.unwrap_or_else(|| "public".to_owned());
    check_name("tool", &tool)?;
    let now = OffsetDateTime::now_utc();
    let m = MissionRecord {
        name: name.clone(),
        guid: truce_node::sources::tak::missions::uuid_v4(),
        description,
        chat_room: q.chat_room.unwrap_or_default(),
        tool,
        creator_uid: creator_uid.clone(),
        creator_user: device.user().to_owned(),
        created: now,
        default_role,
        invite_only: q.invite_only.unwrap_or(false),
        label,
    };
    let store = device.store(&state);
    let (record, sub) = (
        m.clone(),
        Subscription {
            mission: name.clone(),
            client_uid: creator_uid.clone(),
            user: device.user().to_owned(),
            role: MissionRole::Owner,
            created: now,
        },
    );
    blocking(move || {
        store.create_mission(&record).map_err(|e| store_error(e, "name"))?;
        store.subscribe(&sub).map_err(ApiError::internal)?;
        Ok(())
    })
    .await?;
    state.app.node.missions.subscribed(&name, &creator_uid, true, &m.label);
    let v = mission_json(&state, &m, &[], None);
    let r = json(StatusCode::CREATED, &envelope("Mission", json!([v])));
    Ok(noted(r, format!("mission {name}"), "created".into()))
}

/// Deletes a mission: its owner or an administrator. Its subscribers are told.
async fn delete(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    device.caller.require(Action::SendTak)?;
    let store = device.store(&state);
    let m = visible(&store, &name).await?;
    let role = role_of(&store, &m, &device).await?;
    if role != MissionRole::Owner && !device.is_admin() {
        return Err(forbidden("delete the mission", role));
    }
    let (s, n, by) = (store.clone(), name.clone(), device.callsign.clone());
    let (uids, change) = blocking(move || {
        let uids: HashSet<String> =
            s.subscriptions(&n).map_err(ApiError::internal)?.into_iter().map(|s| s.client_uid).collect();
        let change = s.delete_mission(&n, &by, OffsetDateTime::now_utc()).map_err(ApiError::internal)?;
        Ok((uids, change))
    })
    .await?;
    if let Some(c) = change {
        state.app.node.missions.deleted(&c, &m.tool, &m.guid, &uids);
    }
    let v = mission_json(&state, &m, &[], None);
    let r = json(StatusCode::OK, &envelope("Mission", json!([v])));
    Ok(noted(r, format!("mission {name}"), "deleted".into()))
}

#[derive(Debug, Deserialize)]
struct UidQuery {
    uid: Option<String>,
}

fn uid_param(uid: Option<String>) -> Result<String, ApiError> {
    let uid = uid.ok_or_else(|| ApiError::parameter("uid", "the device's uid is required"))?;
    check_name("uid", &uid)?;
    Ok(uid)
}

/// Subscribes a device (its uid) to a mission with the mission's default role (owner for the
/// creator); it receives the mission's CoT and changes from then on.
async fn subscribe(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<UidQuery>,
) -> Result<Response, ApiError> {
    let uid = uid_param(q.uid)?;
    let store = device.store(&state);
    let m = visible(&store, &name).await?;
    let creator = m.creator_user == device.user() && device.user() != "anonymous";
    if m.invite_only && !creator && !device.is_admin() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("mission {name:?} is by invitation only"),
        )
        .field("name"));
    }
    let sub = Subscription {
        mission: name.clone(),
        client_uid: uid.clone(),
        user: device.user().to_owned(),
        role: if creator { MissionRole::Owner } else { m.default_role },
        created: OffsetDateTime::now_utc(),
    };
    let s = store.clone();
    let stored = blocking(move || s.subscribe(&sub).map_err(|e| store_error(e, "name"))).await?;
    state.app.node.missions.subscribed(&name, &uid, true, &m.label);
    let r =
        json(StatusCode::CREATED, &envelope("com.bbn.marti.sync.model.MissionSubscription", subscriber_json(&stored)));
    Ok(noted(r, format!("mission {name}"), format!("subscribed {uid}")))
}

async fn unsubscribe(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<UidQuery>,
) -> Result<Response, ApiError> {
    let uid = uid_param(q.uid)?;
    let store = device.store(&state);
    let m = visible(&store, &name).await?;
    let (s, n, u) = (store.clone(), name.clone(), uid.clone());
    let removed = blocking(move || s.unsubscribe(&n, &u).map_err(ApiError::internal)).await?;
    if !removed {
        return Err(not_subscribed(&uid, &name, "uid"));
    }
    state.app.node.missions.subscribed(&name, &uid, false, &m.label);
    let r = json(StatusCode::OK, &json!({}));
    Ok(noted(r, format!("mission {name}"), format!("unsubscribed {uid}")))
}

async fn subscription(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<UidQuery>,
) -> Result<Response, ApiError> {
    let uid = uid_param(q.uid)?;
    let store = device.store(&state);
    visible(&store, &name).await?;
    let (s, n, u) = (store.clone(), name.clone(), uid.clone());
    let found = blocking(move || s.subscription(&n, &u).map_err(ApiError::internal)).await?;
    let sub = found.ok_or_else(|| not_subscribed(&uid, &name, "uid"))?;
    Ok(json(StatusCode::OK, &envelope("com.bbn.marti.sync.model.MissionSubscription", subscriber_json(&sub))))
}

async fn subscribers(state: &MartiState, device: &Device, name: &str) -> Result<Vec<Subscription>, ApiError> {
    let store = device.store(state);
    visible(&store, name).await?;
    let n = name.to_owned();
    blocking(move || store.subscriptions(&n).map_err(ApiError::internal)).await
}

async fn subscriptions(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let subs = subscribers(&state, &device, &name).await?;
    let uids: Vec<&str> = subs.iter().map(|s| s.client_uid.as_str()).collect();
    Ok(json(StatusCode::OK, &envelope("MissionSubscription", json!(uids))))
}

async fn roles(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let subs = subscribers(&state, &device, &name).await?;
    let data: Vec<serde_json::Value> = subs.iter().map(subscriber_json).collect();
    Ok(json(StatusCode::OK, &envelope("MissionSubscription", json!(data))))
}

#[derive(Debug, Deserialize)]
struct RoleQuery {
    #[serde(rename = "clientUid")]
    client_uid: Option<String>,
    role: Option<String>,
}

/// Sets a subscriber's role: the mission's owner or an administrator.
async fn set_role(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<RoleQuery>,
) -> Result<Response, ApiError> {
    let uid = uid_param(q.client_uid)?;
    let wanted = q.role.ok_or_else(|| ApiError::parameter("role", "the role is required"))?;
    let role = MissionRole::parse(&wanted)
        .ok_or_else(|| ApiError::parameter("role", format!("{wanted:?} is not a mission role")))?;
    let store = device.store(&state);
    let m = visible(&store, &name).await?;
    let mine = role_of(&store, &m, &device).await?;
    if mine != MissionRole::Owner && !device.is_admin() {
        return Err(forbidden("set roles", mine));
    }
    let (s, n, u) = (store.clone(), name.clone(), uid.clone());
    if !blocking(move || s.set_role(&n, &u, role).map_err(ApiError::internal)).await? {
        return Err(not_subscribed(&uid, &name, "clientUid"));
    }
    let r = json(StatusCode::OK, &envelope("MissionRole", role_json(role)));
    Ok(noted(r, format!("mission {name}"), format!("{uid} is {}", role.id())))
}

#[derive(Debug, Deserialize)]
struct ContentsBody {
    #[serde(default)]
    hashes: Vec<String>,
    #[serde(default)]
    uids: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CreatorQuery {
    #[serde(rename = "creatorUid")]
    creator_uid: Option<String>,
    hash: Option<String>,
    uid: Option<String>,
}

/// The mission `name` if the caller may write to it.
async fn writable(state: &MartiState, device: &Device, name: &str) -> Result<MissionRecord, ApiError> {
    device.caller.require(Action::SendTak)?;
    let store = device.store(state);
    let m = visible(&store, name).await?;
    let role = role_of(&store, &m, device).await?;
    if !role.may_write() && !device.is_admin() {
        return Err(forbidden("change the mission's contents", role));
    }
    Ok(m)
}

/// Adds files (by hash) and CoT uids; each new item is one change, sent to the subscribers.
async fn add_contents(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<CreatorQuery>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let req: ContentsBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("expected {{\"hashes\": [..], \"uids\": [..]}}: {e}"),
        )
        .field("body")
    })?;
    if req.hashes.len() + req.uids.len() > 1000 {
        return Err(ApiError::parameter("body", "at most 1,000 items at once"));
    }
    let mut items = Vec::with_capacity(req.hashes.len() + req.uids.len());
    for h in req.hashes {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::parameter("hashes", format!("{h:?} is not a SHA-256")));
        }
        items.push(ContentRef::File(h.to_ascii_lowercase()));
    }
    for u in req.uids {
        check_name("uids", &u)?;
        items.push(ContentRef::Uid(u));
    }
    let m = writable(&state, &device, &name).await?;
    let creator = q.creator_uid.unwrap_or_else(|| device.callsign.clone());
    let store = device.store(&state);
    let n = name.clone();
    let changes = blocking(move || {
        store.add_contents(&n, &items, &creator, OffsetDateTime::now_utc()).map_err(|e| store_error(e, "hashes"))
    })
    .await?;
    let added = changes.len();
    notify_changes(&state, changes).await;
    let r = answer_mission(&state, &device, m, false).await?;
    Ok(noted(r, format!("mission {name}"), format!("{added} item(s) added")))
}

/// Removes one file (`hash`) or CoT uid (`uid`).
async fn remove_content(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<CreatorQuery>,
) -> Result<Response, ApiError> {
    let item = match (q.hash, q.uid) {
        (Some(h), None) => ContentRef::File(h.to_ascii_lowercase()),
        (None, Some(u)) => ContentRef::Uid(u),
        _ => return Err(ApiError::parameter("hash", "give exactly one of hash and uid")),
    };
    let m = writable(&state, &device, &name).await?;
    let creator = q.creator_uid.unwrap_or_else(|| device.callsign.clone());
    let store = device.store(&state);
    let n = name.clone();
    let change = blocking(move || {
        store.remove_content(&n, &item, &creator, OffsetDateTime::now_utc()).map_err(ApiError::internal)
    })
    .await?;
    let Some(change) = change else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("mission {name:?} does not hold that"))
            .field("hash"));
    };
    notify_changes(&state, vec![change]).await;
    let r = answer_mission(&state, &device, m, false).await?;
    Ok(noted(r, format!("mission {name}"), "item removed".into()))
}

#[derive(Debug, Deserialize)]
struct ChangesQuery {
    secago: Option<i64>,
}

/// The mission's change log (what the caller may see), oldest first; `secago` limits it to the last
/// so many seconds.
async fn changes(
    State(state): State<MartiState>,
    device: Device,
    Path(name): Path<String>,
    Query(q): Query<ChangesQuery>,
) -> Result<Response, ApiError> {
    let since = match q.secago {
        Some(s) if s >= 0 => Some(OffsetDateTime::now_utc() - time::Duration::seconds(s)),
        Some(s) => return Err(ApiError::parameter("secago", format!("{s} is negative"))),
        None => None,
    };
    let store = device.store(&state);
    visible(&store, &name).await?;
    let n = name.clone();
    let found = blocking(move || store.changes(&n, since).map_err(ApiError::internal)).await?;
    let data: Vec<serde_json::Value> =
        found.iter().filter(|c| c.kind != ChangeKind::DeleteMission).map(change_json).collect();
    Ok(json(StatusCode::OK, &envelope("MissionChange", json!(data))))
}

/// The latest CoT of each uid the mission holds, as `<events>`: what a device that subscribes fetches
/// to draw the mission. Each event comes from the track history read through the caller's scoped
/// store, so a track the caller may not see is left out (the mission lists its uid, nothing more).
async fn cot(State(state): State<MartiState>, device: Device, Path(name): Path<String>) -> Result<Response, ApiError> {
    let store = device.store(&state);
    visible(&store, &name).await?;
    let n = name.clone();
    let events = blocking(move || {
        let contents = store.contents(&n).map_err(ApiError::internal)?;
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><events>");
        for c in contents {
            if let ContentRef::Uid(uid) = &c.content
                && let Some(latest) = store.track_history(uid, 1).map_err(ApiError::internal)?.into_iter().next()
            {
                out.push_str(&latest.xml);
            }
        }
        out.push_str("</events>");
        Ok(out)
    })
    .await?;
    let mut r = events.into_response();
    r.headers_mut().insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/xml"));
    Ok(r)
}
