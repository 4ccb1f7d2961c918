//! The JSON form of a stored observation, shared by the API, the WebSocket stream and the CLI: the
//! observation's fields, `received_at`, and its `classification`.

use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use truce_core::StoredObservation;

/// The observation as a JSON object.
pub fn observation(s: &StoredObservation) -> Value {
    let mut v = serde_json::to_value(&s.observation).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("received_at".into(), Value::String(s.received_at.format(&Rfc3339).unwrap_or_default()));
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
