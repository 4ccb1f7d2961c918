//! Geometry from GeoJSON files: the lines and polygons an agreement references.
//!
//! A reference names a file and, optionally, a feature (matched against the feature's `id` or its
//! `properties.id`). Without a feature name, every feature of the wanted geometry type in the file is
//! taken together (a FeatureCollection of LineStrings makes one multi-part line), and features of other
//! types (e.g. the vertex points that document a line's sources) are ignored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use truce_geo::LonLat;

/// Parsed GeoJSON files, read once however many references point at them, and a running hash of
/// everything read (the agreement's fingerprint).
pub(super) struct GeoFiles {
    files: HashMap<PathBuf, Result<Value, String>>,
    hash: u64,
}

/// FNV-1a, 64 bits: stable across builds and platforms, unlike `std`'s hasher.
fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// What a reference is expected to hold.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    Line,
    Area,
}

/// A line's parts, or an area's polygons (each a list of rings).
pub(super) enum Geometry {
    Line(Vec<Vec<LonLat>>),
    Area(Vec<Vec<Vec<LonLat>>>),
}

impl GeoFiles {
    /// Starts with the agreement file's own text.
    pub(super) fn new(agreement_text: &[u8]) -> Self {
        Self { files: HashMap::new(), hash: fnv1a(0xcbf2_9ce4_8422_2325, agreement_text) }
    }

    /// The hash of the agreement text and every file read so far.
    pub(super) fn fingerprint(&self) -> u64 {
        self.hash
    }

    /// Loads the geometry `path` (with `feature`) refers to. Errors are one sentence naming the file.
    pub(super) fn load(&mut self, path: &Path, feature: Option<&str>, want: Want) -> Result<Geometry, String> {
        if !self.files.contains_key(path) {
            let read = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()));
            if let Ok(bytes) = &read {
                self.hash = fnv1a(self.hash, bytes);
            }
            let parsed = read.and_then(|bytes| {
                serde_json::from_slice(&bytes)
                    .map_err(|e| format!("{}:{}:{}: invalid JSON: {e}", path.display(), e.line(), e.column()))
            });
            self.files.insert(path.to_path_buf(), parsed);
        }
        let doc = self.files.get(path).map_or_else(|| Err(String::new()), |r| r.as_ref().map_err(Clone::clone))?;
        let shown = path.display();
        let mut found = Vec::new();
        match doc.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => {
                let features = doc
                    .get("features")
                    .and_then(Value::as_array)
                    .ok_or_else(|| format!("{shown}: a FeatureCollection needs a \"features\" array"))?;
                for (i, f) in features.iter().enumerate() {
                    if feature.is_some_and(|want_id| !feature_has_id(f, want_id)) {
                        continue;
                    }
                    if let Some(g) = f.get("geometry").filter(|g| !g.is_null()) {
                        found.push((format!("features[{i}].geometry"), g));
                    }
                }
            }
            Some("Feature") => {
                if feature.is_some_and(|want_id| !feature_has_id(doc, want_id)) {
                    return Err(format!("{shown}: the feature's id is not {:?}", feature.unwrap_or_default()));
                }
                if let Some(g) = doc.get("geometry").filter(|g| !g.is_null()) {
                    found.push(("geometry".to_owned(), g));
                }
            }
            Some(_) => found.push((String::new(), doc)),
            None => return Err(format!("{shown}: not a GeoJSON object (no \"type\")")),
        }
        if found.is_empty() {
            return Err(match feature {
                Some(id) => format!("{shown}: no feature with id {id:?}"),
                None => format!("{shown}: no geometry"),
            });
        }
        let mut line = Vec::new();
        let mut area = Vec::new();
        let mut other = None;
        for (at, g) in found {
            let ty = g.get("type").and_then(Value::as_str).unwrap_or("");
            let coords = g.get("coordinates");
            let here = |sub: &str| format!("{shown}: {at}{}{sub}", if at.is_empty() { "" } else { "." });
            match (want, ty) {
                (Want::Line, "LineString") => line.push(positions(coords, &here("coordinates"))?),
                (Want::Line, "MultiLineString") => {
                    for (i, part) in array(coords, &here("coordinates"))?.iter().enumerate() {
                        line.push(positions(Some(part), &here(&format!("coordinates[{i}]")))?);
                    }
                }
                (Want::Area, "Polygon") => area.push(rings(coords, &here("coordinates"))?),
                (Want::Area, "MultiPolygon") => {
                    for (i, poly) in array(coords, &here("coordinates"))?.iter().enumerate() {
                        area.push(rings(Some(poly), &here(&format!("coordinates[{i}]")))?);
                    }
                }
                _ => other = Some((at, ty.to_owned())),
            }
        }
        match want {
            Want::Line if !line.is_empty() => Ok(Geometry::Line(line)),
            Want::Area if !area.is_empty() => Ok(Geometry::Area(area)),
            _ => {
                let expected =
                    if want == Want::Line { "LineString or MultiLineString" } else { "Polygon or MultiPolygon" };
                let (at, ty) = other.unwrap_or_default();
                let at = if at.is_empty() { String::new() } else { format!("{at}: ") };
                Err(format!("{shown}: {at}expected a {expected}, found {ty:?}"))
            }
        }
    }
}

fn feature_has_id(f: &Value, id: &str) -> bool {
    let matches = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s == id,
        Some(Value::Number(n)) => n.to_string() == id,
        _ => false,
    };
    matches(f.get("id")) || matches(f.get("properties").and_then(|p| p.get("id")))
}

fn array<'a>(v: Option<&'a Value>, at: &str) -> Result<&'a Vec<Value>, String> {
    v.and_then(Value::as_array).ok_or_else(|| format!("{at}: expected an array"))
}

fn positions(v: Option<&Value>, at: &str) -> Result<Vec<LonLat>, String> {
    array(v, at)?
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let c = p.as_array().filter(|c| c.len() >= 2);
            let (lon, lat) = match c.map(|c| (c[0].as_f64(), c[1].as_f64())) {
                Some((Some(lon), Some(lat))) => (lon, lat),
                _ => return Err(format!("{at}[{i}]: a position is an array of two numbers [lon, lat]")),
            };
            let p = LonLat::new(lon, lat);
            if p.is_valid() {
                Ok(p)
            } else {
                Err(format!("{at}[{i}]: [{lon}, {lat}] is out of range (lon -180..180, lat -90..90)"))
            }
        })
        .collect()
}

fn rings(v: Option<&Value>, at: &str) -> Result<Vec<Vec<LonLat>>, String> {
    let rings: Vec<Vec<LonLat>> = array(v, at)?
        .iter()
        .enumerate()
        .map(|(i, r)| positions(Some(r), &format!("{at}[{i}]")))
        .collect::<Result<_, _>>()?;
    if rings.is_empty() {
        return Err(format!("{at}: a polygon needs an exterior ring"));
    }
    for (i, r) in rings.iter().enumerate() {
        if r.len() < 4 {
            return Err(format!("{at}[{i}]: a ring needs at least 4 positions, found {}", r.len()));
        }
        if r.first() != r.last() {
            return Err(format!("{at}[{i}]: the ring is not closed (its last position must repeat the first)"));
        }
    }
    Ok(rings)
}
