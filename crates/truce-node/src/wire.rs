//! The one JSON form of what a node serves, used by the API, the WebSocket stream and the command
//! line (and, across nodes, the bus): observations (with `received_at` and their `classification`),
//! GeoJSON features of them, tracks, geofence events, and the vocabulary the web page reads instead of
//! re-typing it.

use serde::Serialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_core::{Category, GeofenceKind, GeofenceRow, Marking, StoredObservation, TrackRow, ViolationCode, ZoneKind};

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The observation as a JSON object.
pub fn observation(s: &StoredObservation) -> Value {
    let mut v = serde_json::to_value(&s.observation).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("received_at".into(), Value::String(rfc3339(s.received_at)));
        m.insert("classification".into(), serde_json::to_value(&s.classification).unwrap_or(Value::Null));
    }
    v
}

/// The observation as a GeoJSON Point feature.
pub fn feature(s: &StoredObservation) -> Value {
    json!({
        "type": "Feature",
        "id": s.observation.id,
        "geometry": {"type": "Point", "coordinates": [s.observation.lon, s.observation.lat]},
        "properties": observation(s),
    })
}

/// A FeatureCollection of observations, with the cursor of the next page.
pub fn feature_collection(items: &[StoredObservation], next: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), "FeatureCollection".into());
    m.insert("features".into(), Value::Array(items.iter().map(feature).collect()));
    m.insert("next".into(), next.map_or(Value::Null, |n| Value::String(n.to_owned())));
    Value::Object(m)
}

/// An observation as the map draws and counts it (`GET /api/v1/observations?format=brief`): its id,
/// time, position, category, place, label (marking and releasability) and the codes of its violations,
/// about a fifth of the whole record's bytes. The rest is one `GET /api/v1/observations/{id}` away.
#[derive(Serialize)]
pub struct Brief<'a> {
    id: &'a str,
    time: String,
    lat: f64,
    lon: f64,
    category: &'a Category,
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<&'a str>,
    marking: &'a Marking,
    releasable_to: &'a [String],
    violations: Vec<&'a str>,
}

/// The brief form of an observation.
pub fn brief(s: &StoredObservation) -> Brief<'_> {
    let o = &s.observation;
    Brief {
        id: &o.id,
        time: rfc3339(o.time),
        lat: o.lat,
        lon: o.lon,
        category: &o.category,
        place: o.place.as_deref(),
        marking: &o.marking,
        releasable_to: &o.releasable_to,
        violations: s.classification.violations.iter().map(|v| v.code.as_str()).collect(),
    }
}

/// A page of brief observations: `{"observations": [...], "next": cursor|null}`.
#[derive(Serialize)]
pub struct BriefPage<'a> {
    /// The observations of the page.
    pub observations: Vec<Brief<'a>>,
    /// The cursor of the next page.
    pub next: Option<&'a str>,
}

/// An incident as the map draws it (`GET /api/v1/incidents?format=brief`): where and how well it is
/// located, what and when, its sector, its observations' ids, its violation codes and its label; not
/// the observers, zones, casualties or each violation's evidence (`GET /api/v1/incidents/{id}` has them).
#[derive(Serialize)]
pub struct IncidentBrief<'a> {
    id: &'a str,
    time: String,
    category: &'a Category,
    count: u32,
    lat: f64,
    lon: f64,
    uncertainty_m: f64,
    located_by: truce_watch::Located,
    #[serde(skip_serializing_if = "Option::is_none")]
    sector: Option<&'a str>,
    observations: &'a [String],
    violations: Vec<&'a str>,
    marking: &'a Marking,
    releasable_to: &'a [String],
}

/// The brief form of an incident.
pub fn incident_brief(i: &truce_watch::Incident) -> IncidentBrief<'_> {
    IncidentBrief {
        id: &i.id,
        time: rfc3339(i.time),
        category: &i.category,
        count: i.count,
        lat: i.lat,
        lon: i.lon,
        uncertainty_m: i.uncertainty_m,
        located_by: i.located_by,
        sector: i.sector.as_deref(),
        observations: &i.observations,
        violations: i.violations.iter().map(|v| v.code.as_str()).collect(),
        marking: &i.marking,
        releasable_to: &i.releasable_to,
    }
}

/// A track row, with its label (`marking`, `releasable_to`, and `categories` when it has any).
pub fn track(p: &TrackRow) -> Value {
    let classification: Value =
        p.classification.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or(Value::Null);
    let mut v = json!({
        "uid": p.uid,
        "type": p.type_,
        "how": p.how,
        "callsign": p.callsign,
        "group": p.group,
        "source": p.source,
        "time": rfc3339(p.time),
        "stale": rfc3339(p.stale),
        "received_at": rfc3339(p.received_at),
        "lat": p.lat,
        "lon": p.lon,
        "hae": p.hae,
        "ce": p.ce,
        "course": p.course,
        "speed": p.speed,
        "classification": classification,
        "marking": p.label.marking.id(),
        "releasable_to": p.label.releasable_to,
    });
    with_categories(&mut v, &p.label.categories);
    v
}

/// A sea or air detection (`truce_detect::Alert::to_json`) with its label and its place, `lat` and
/// `lon`: the point of its area, the centre of its cell, or else its last fix (none without any).
pub fn detection(label: &truce_core::Label, a: &truce_detect::Alert) -> Value {
    let mut v = a.to_json();
    if let Some(p) = detection_place(a) {
        v["lat"] = json!(p.lat);
        v["lon"] = json!(p.lon);
    }
    v["marking"] = json!(label.marking.id());
    v["releasable_to"] = json!(label.releasable_to);
    with_categories(&mut v, &label.categories);
    v
}

/// Where a detection is: see [`detection`].
pub fn detection_place(a: &truce_detect::Alert) -> Option<truce_geo::LonLat> {
    match a.area {
        Some(truce_detect::Area::Point(p)) => Some(p),
        Some(truce_detect::Area::Cell(c)) => {
            Some(truce_geo::LonLat::new((c.west + c.east) / 2.0, (c.south + c.north) / 2.0))
        }
        None => a.evidence.last().map(|f| f.position),
    }
}

/// Adds a label's restrictive categories to a track's or geofence event's form, when there are any.
fn with_categories(v: &mut Value, categories: &[String]) {
    if let (false, Value::Object(m)) = (categories.is_empty(), v) {
        m.insert("categories".into(), json!(categories));
    }
}

/// An acknowledgement of an alert: `{"by", "at", "note"}`.
pub fn alert_ack(a: &truce_store::AlertAck) -> Value {
    json!({"by": a.by, "at": rfc3339(a.at), "note": a.note})
}

/// A geofence event, with its label (its track's).
pub fn geofence(g: &GeofenceRow) -> Value {
    let mut v = json!({
        "id": g.id,
        "uid": g.uid,
        "callsign": g.callsign,
        "track_type": g.track_type,
        "kind": g.kind.id(),
        "fence_id": g.fence_id,
        "fence_name": g.fence_name,
        "fence_kind": g.fence_kind,
        "from_side": g.from_side,
        "to_side": g.to_side,
        "time": rfc3339(g.time),
        "lat": g.lat,
        "lon": g.lon,
        "prev_lat": g.prev_lat,
        "prev_lon": g.prev_lon,
        "marking": g.label.marking.id(),
        "releasable_to": g.label.releasable_to,
    });
    with_categories(&mut v, &g.label.categories);
    v
}

/// The words of a violation code, for people.
pub fn violation_label(code: ViolationCode) -> &'static str {
    match code {
        ViolationCode::WeaponForwardOfWithdrawalLine => "Weapon forward of withdrawal line",
        ViolationCode::InDisengagementArea => "In disengagement area",
        ViolationCode::ForceInsideStandoff => "Reassurance force inside stand-off",
        ViolationCode::CfvInSecurityZone => "Ceasefire violation in security zone",
        ViolationCode::WeaponOutsideStorageSite => "Weapon outside storage site",
        ViolationCode::InNoFlyZone => "In no-fly zone",
        ViolationCode::InMaritimeExclusionZone => "In maritime exclusion zone",
        ViolationCode::InNoMineZone => "In no-mine zone",
        _ => "Violation",
    }
}

/// The words of a zone kind, for people.
pub fn zone_kind_label(kind: ZoneKind) -> &'static str {
    match kind {
        ZoneKind::ForceStandoff => "Force stand-off",
        ZoneKind::Territory => "Territory",
        ZoneKind::SecurityZone => "Security zone",
        ZoneKind::NoFly => "No-fly zone",
        ZoneKind::NoMine => "No-mine zone",
        ZoneKind::MaritimeExclusion => "Maritime exclusion zone",
        ZoneKind::DisengagementArea => "Disengagement area",
        ZoneKind::StorageSite => "Storage site",
    }
}

/// Violation codes, most severe first: the order the map ranks and colours them in.
const SEVERITY: [ViolationCode; 8] = [
    ViolationCode::WeaponForwardOfWithdrawalLine,
    ViolationCode::InDisengagementArea,
    ViolationCode::ForceInsideStandoff,
    ViolationCode::CfvInSecurityZone,
    ViolationCode::WeaponOutsideStorageSite,
    ViolationCode::InNoFlyZone,
    ViolationCode::InMaritimeExclusionZone,
    ViolationCode::InNoMineZone,
];

/// Zone kinds in drawing order: wide bands below, small areas on top.
const DRAWING_ORDER: [ZoneKind; 8] = [
    ZoneKind::ForceStandoff,
    ZoneKind::Territory,
    ZoneKind::SecurityZone,
    ZoneKind::NoFly,
    ZoneKind::NoMine,
    ZoneKind::MaritimeExclusion,
    ZoneKind::DisengagementArea,
    ZoneKind::StorageSite,
];

/// The vocabulary clients key on (`GET /api/v1/vocabulary`): observation categories, violation codes
/// most severe first, zone kinds in drawing order, markings from the lowest, the early-warning levels,
/// the geofence event kinds, each with its stable id and its words, and the label policy's release
/// codes (see [`release`]).
pub fn vocabulary(policy: &truce_access::Policy) -> Value {
    let categories: Vec<Value> = Category::ALL
        .iter()
        .map(|c| json!({"id": c.id(), "description": c.description(), "ceasefire_violation": c.is_ceasefire_violation()}))
        .collect();
    let violations: Vec<Value> =
        SEVERITY.iter().map(|c| json!({"code": c.code(), "label": violation_label(*c)})).collect();
    let zone_kinds: Vec<Value> = DRAWING_ORDER
        .iter()
        .map(|k| json!({"id": k.id(), "label": zone_kind_label(*k), "violation": k.violation().map(ViolationCode::code)}))
        .collect();
    let markings: Vec<&str> = Marking::ALL.iter().map(|m| m.id()).collect();
    let levels: Vec<&str> = truce_watch::Level::ALL.iter().map(|l| l.id()).collect();
    let geofence: Vec<&str> = GeofenceKind::ALL.iter().map(|k| k.id()).collect();
    json!({
        "categories": categories,
        "violations": violations,
        "zone_kinds": zone_kinds,
        "markings": markings,
        "levels": levels,
        "geofence_kinds": geofence,
        "release": release(policy),
    })
}

/// The label policy's release codes, for a client that narrows what it holds to what is releasable to
/// one nation as the access rule reads it (`truce_access::Policy::expand`): `{"policy", "public",
/// "nobody", "default": [codes], "groups": {CODE: {"name", "members": {NATION: [{"from", "until"}]}}}}`,
/// days as `YYYY-MM-DD` (`from` inclusive, `until` exclusive, `null` open). A record naming no code
/// has the `default` release; a code that is neither the public one, a group nor `nobody` is a nation.
pub fn release(policy: &truce_access::Policy) -> Value {
    let day = |d: Option<time::Date>| d.map(|d| d.to_string());
    let groups: Map<String, Value> = policy
        .groups
        .iter()
        .map(|(code, g)| {
            let members: Map<String, Value> = g
                .members
                .iter()
                .map(|(nation, spans)| {
                    let spans: Vec<Value> =
                        spans.iter().map(|s| json!({"from": day(s.from), "until": day(s.until)})).collect();
                    (nation.clone(), json!(spans))
                })
                .collect();
            (code.clone(), json!({"name": g.name, "members": members}))
        })
        .collect();
    json!({
        "policy": policy.id,
        "public": policy.public,
        "nobody": truce_access::NOBODY,
        "default": policy.default_release,
        "groups": groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_names_every_code_once() {
        let v = vocabulary(&truce_access::Policy::shipped());
        let codes: Vec<&str> =
            v["violations"].as_array().into_iter().flatten().filter_map(|c| c["code"].as_str()).collect();
        let mut all: Vec<&str> = ViolationCode::ALL.iter().map(|c| c.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        all.sort_unstable();
        assert_eq!(sorted, all, "every violation code, once");
        assert!(v["violations"].as_array().into_iter().flatten().all(|c| c["label"] != "Violation"));
        let kinds: Vec<&str> =
            v["zone_kinds"].as_array().into_iter().flatten().filter_map(|k| k["id"].as_str()).collect();
        assert_eq!(kinds.len(), ZoneKind::ALL.len());
        assert_eq!(v["categories"].as_array().map(Vec::len), Some(Category::ALL.len()));
        assert_eq!(v["markings"][0], "NATO UNCLASSIFIED");
        // Finland joined NATO on 2023-04-04: its span in the release codes says so.
        assert_eq!(v["release"]["groups"]["NATO"]["members"]["FIN"][0]["from"], "2023-04-04");
        assert_eq!(v["release"]["public"], "PUBLIC");
    }
}
