//! The theatre's geography: which country's territory or which sea a position is in.
//!
//! # Design
//!
//! The theatre names a GeoJSON file of countries (a property holds the ISO alpha-3 code) and files of
//! seas; import reads their polygons once and stores them with the theatre, so a plan is checked on
//! exactly the geography that was imported. [`Geography`] puts every country and sea into one
//! [`ZoneIndex`] (closed polygons, exact predicates), so a position costs one quadtree lookup.
//!
//! The shipped land polygons are OpenStreetMap-derived and generalised to about 10 km; the sea is the
//! 10 m-resolution Black Sea. Along the coast a position can therefore fall in neither; it counts as
//! "on the coast" when land or sea lies within the theatre's `coast_tolerance_km` (probed at eight
//! bearings). Crimea lies in both the UKR and the RUS polygon of the shipped file: the rule is that a
//! position inside the host's polygon is inside Ukraine (its recognised borders), and a position that
//! is *also* inside a forbidden country's polygon is on ground held by that country (see
//! [`crate::plan`]).

use std::path::Path;

use truce_geo::{LonLat, ZoneIndex, ZonePolygon};

use crate::model::{Country, Sea, Theatre};

/// Polygons, each an exterior ring then holes.
pub type Polygons = Vec<Vec<Vec<[f64; 2]>>>;

/// One feature of a GeoJSON file: a property's value, its name and its polygons.
#[derive(Debug, Clone)]
pub(crate) struct AreaFeature {
    pub key: Option<String>,
    pub name: Option<String>,
    pub polygons: Polygons,
}

/// Reads every Polygon or MultiPolygon feature of a GeoJSON file (FeatureCollection, Feature or bare
/// geometry), with the value of `property`. Other geometry types are skipped.
///
/// # Errors
/// The file cannot be read, is not GeoJSON, has no polygon, or a ring is invalid; the message names the
/// feature and coordinate path.
pub(crate) fn read_areas(path: &Path, property: &str) -> Result<Vec<AreaFeature>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    let mut out = Vec::new();
    let features: Vec<(String, &serde_json::Value)> = match doc.get("type").and_then(|t| t.as_str()) {
        Some("FeatureCollection") => doc
            .get("features")
            .and_then(|f| f.as_array())
            .map(|a| a.iter().enumerate().map(|(i, f)| (format!("features[{i}]"), f)).collect())
            .unwrap_or_default(),
        Some("Feature") => vec![(String::new(), &doc)],
        Some(_) => {
            let polygons = polygons(&doc).map_err(|e| format!("{}: {e}", path.display()))?;
            if let Some(polygons) = polygons {
                out.push(AreaFeature { key: None, name: None, polygons });
            }
            Vec::new()
        }
        None => return Err(format!("{}: not GeoJSON (no \"type\")", path.display())),
    };
    for (at, f) in features {
        let Some(geometry) = f.get("geometry") else { continue };
        let props = f.get("properties");
        let text_prop = |k: &str| props.and_then(|p| p.get(k)).and_then(|v| v.as_str()).map(str::to_owned);
        match polygons(geometry) {
            Ok(Some(polygons)) => out.push(AreaFeature { key: text_prop(property), name: text_prop("name"), polygons }),
            Ok(None) => {}
            Err(e) => {
                let sep = if at.is_empty() { "" } else { "." };
                return Err(format!("{}: {at}{sep}geometry.{e}", path.display()));
            }
        }
    }
    if out.is_empty() {
        return Err(format!("{}: no Polygon or MultiPolygon feature", path.display()));
    }
    Ok(out)
}

/// The polygons of a Polygon or MultiPolygon geometry; `None` for other types.
fn polygons(g: &serde_json::Value) -> Result<Option<Polygons>, String> {
    let coords = g.get("coordinates");
    let parse_polygon = |v: &serde_json::Value, at: &str| -> Result<Vec<Vec<[f64; 2]>>, String> {
        let rings = v.as_array().ok_or_else(|| format!("{at}: not an array of rings"))?;
        let mut out = Vec::new();
        for (r, ring) in rings.iter().enumerate() {
            let positions = ring.as_array().ok_or_else(|| format!("{at}[{r}]: not an array of positions"))?;
            let mut pts = Vec::with_capacity(positions.len());
            for (k, p) in positions.iter().enumerate() {
                let xy = p.as_array().filter(|a| a.len() >= 2);
                let (Some(x), Some(y)) = (xy.and_then(|a| a[0].as_f64()), xy.and_then(|a| a[1].as_f64())) else {
                    return Err(format!("{at}[{r}][{k}]: not a [lon, lat] position"));
                };
                if !LonLat::new(x, y).is_valid() {
                    return Err(format!("{at}[{r}][{k}]: [{x}, {y}] is not a valid longitude, latitude"));
                }
                pts.push([x, y]);
            }
            if pts.len() < 4 || pts.first() != pts.last() {
                return Err(format!("{at}[{r}]: a ring needs at least 4 positions and its last must repeat the first"));
            }
            out.push(pts);
        }
        Ok(out)
    };
    match g.get("type").and_then(|t| t.as_str()) {
        Some("Polygon") => {
            let c = coords.ok_or("coordinates: missing")?;
            Ok(Some(vec![parse_polygon(c, "coordinates")?]))
        }
        Some("MultiPolygon") => {
            let c = coords.and_then(|c| c.as_array()).ok_or("coordinates: not an array of polygons")?;
            let mut out = Vec::new();
            for (i, p) in c.iter().enumerate() {
                out.push(parse_polygon(p, &format!("coordinates[{i}]"))?);
            }
            Ok(Some(out))
        }
        _ => Ok(None),
    }
}

/// What lies at a position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ground {
    /// Indexes (into [`Theatre::countries`]) of the countries whose polygon covers it.
    pub countries: Vec<usize>,
    /// Whether a sea covers it.
    pub sea: bool,
}

/// The theatre's polygons indexed for lookups.
#[derive(Debug)]
pub struct Geography<'t> {
    /// The theatre.
    pub theatre: &'t Theatre,
    index: ZoneIndex,
    /// Slot of the first sea in the index (countries come first).
    first_sea: usize,
}

fn zone(polygons: &Polygons) -> ZonePolygon {
    ZonePolygon {
        polygons: polygons
            .iter()
            .map(|p| p.iter().map(|r| r.iter().map(|&[x, y]| LonLat::new(x, y)).collect()).collect())
            .collect(),
    }
}

impl<'t> Geography<'t> {
    /// Indexes a theatre's countries and seas.
    ///
    /// # Errors
    /// A polygon cannot be indexed (checked at import, so only a store changed by hand fails here).
    pub fn new(theatre: &'t Theatre) -> Result<Self, String> {
        let mut zones: Vec<ZonePolygon> = theatre.countries.iter().map(|c: &Country| zone(&c.polygons)).collect();
        let first_sea = zones.len();
        zones.extend(theatre.seas.iter().map(|s: &Sea| zone(&s.polygons)));
        let index = ZoneIndex::new(&zones).map_err(|e| format!("the theatre's geography: {e}"))?;
        Ok(Self { theatre, index, first_sea })
    }

    /// The countries and sea at `p`.
    pub fn ground(&self, p: LonLat, scratch: &mut Vec<u32>) -> Ground {
        scratch.clear();
        self.index.covering(p, scratch);
        let mut g = Ground::default();
        for &z in scratch.iter() {
            let z = z as usize;
            if z >= self.first_sea {
                g.sea = true;
            } else {
                g.countries.push(z);
            }
        }
        g
    }

    /// The alpha-3 code of country `i`.
    pub fn a3(&self, i: usize) -> &str {
        &self.theatre.countries[i].a3
    }

    /// True when `p` is within the coast tolerance of some land or sea polygon: probes eight points on
    /// a circle of that radius.
    pub fn near_coast(&self, p: LonLat, scratch: &mut Vec<u32>) -> bool {
        let r = self.theatre.coast_tolerance_km * 1000.0;
        (0..8).any(|k| {
            let q = truce_geo::geodesic::destination(p, f64::from(k) * 45.0, r);
            scratch.clear();
            self.index.covering(q, scratch);
            !scratch.is_empty()
        })
    }

    /// True when `p` is within the coast tolerance of a sea.
    pub fn near_sea(&self, p: LonLat, scratch: &mut Vec<u32>) -> bool {
        let r = self.theatre.coast_tolerance_km * 1000.0;
        (0..8).any(|k| {
            let q = truce_geo::geodesic::destination(p, f64::from(k) * 45.0, r);
            scratch.clear();
            self.index.covering(q, scratch);
            scratch.iter().any(|&z| z as usize >= self.first_sea)
        })
    }
}
