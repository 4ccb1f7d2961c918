//! Sectors: the areas along the line that early warning counts in and the daily report breaks down by.
//!
//! A sector is either a **stretch** of one of the agreement's lines (from km A to km B measured along
//! the line from its first vertex) or a **polygon**. An observation belongs to the polygon sector that
//! contains it, else to the stretch nearest to it (exact ellipsoidal distance through a
//! [`LineIndex`] per stretch) when that is within `max_distance_km`, else to none. The file format
//! (TOML) is in `docs/incidents.md`; `every_km` cuts the whole line into equal stretches instead of
//! listing them.

use std::path::Path;

use serde::Deserialize;
use truce_engine::Agreement;
use truce_geo::geodesic::{azimuth_and_distance, destination, distance_m};
use truce_geo::{LineIndex, LineOptions, LineParts, LonLat, ZoneIndex, ZonePolygon};

/// A problem in a sectors file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {field}: {message}")]
pub struct SectorProblem {
    /// The file.
    pub file: String,
    /// The field (`sector[2].to_km`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in a sectors file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct SectorErrors(pub Vec<SectorProblem>);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    line: Option<String>,
    max_distance_km: Option<f64>,
    every_km: Option<f64>,
    #[serde(default)]
    sector: Vec<RawSector>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSector {
    id: String,
    name: Option<String>,
    from_km: Option<f64>,
    to_km: Option<f64>,
    polygon: Option<Vec<[f64; 2]>>,
}

/// One sector.
#[derive(Debug, Clone)]
pub struct Sector {
    /// Stable identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The stretch of line (km from, km to), or `None` for a polygon sector.
    pub stretch: Option<(f64, f64)>,
    /// The geometry: the stretch's vertices, or the polygon's ring.
    pub path: Vec<LonLat>,
    index: Option<LineIndex>,
    /// `[west, south, east, north]`: every position this sector may be given lies inside (see
    /// [`reach`]).
    reach: [f64; 4],
}

/// The sectors of a front.
#[derive(Debug, Clone)]
pub struct Sectors {
    /// In file order.
    pub sectors: Vec<Sector>,
    /// Observations farther than this from every stretch are in no sector, metres.
    pub max_distance_m: f64,
    polygons: Option<(ZoneIndex, Vec<usize>)>,
}

const DEFAULT_MAX_KM: f64 = 60.0;

impl Sectors {
    /// What assigning incidents to these sectors depends on, as text (every sector's id, name, stretch
    /// and geometry, and the distance limit): what a value derived with these sectors is kept under.
    pub fn basis(&self) -> String {
        let sectors: Vec<_> = self.sectors.iter().map(|s| (&s.id, &s.name, s.stretch, &s.path)).collect();
        format!("{:?}|{:?}", self.max_distance_m, sectors)
    }

    /// Loads a sectors file against an agreement (for its lines).
    ///
    /// # Errors
    /// Every problem, each with file, field and reason.
    pub fn load(path: &Path, agreement: &Agreement) -> Result<Self, SectorErrors> {
        let file = path.display().to_string();
        let problem = |field: &str, message: String| SectorProblem { file: file.clone(), field: field.into(), message };
        let text = std::fs::read_to_string(path).map_err(|e| SectorErrors(vec![problem("(file)", e.to_string())]))?;
        Self::from_toml(&text, &file, agreement)
    }

    /// Parses a sectors file's text; `file` names it in errors.
    ///
    /// # Errors
    /// Every problem, each with file, field and reason.
    pub fn from_toml(text: &str, file: &str, agreement: &Agreement) -> Result<Self, SectorErrors> {
        let problem = |field: &str, message: String| SectorProblem { file: file.into(), field: field.into(), message };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| {
                let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                format!("line {line}")
            });
            SectorErrors(vec![problem(&at.unwrap_or_else(|| "(file)".into()), e.message().to_owned())])
        })?;
        let mut problems = Vec::new();
        let max_km = raw.max_distance_km.unwrap_or(DEFAULT_MAX_KM);
        if !(max_km.is_finite() && max_km > 0.0 && max_km <= 1_000.0) {
            problems.push(problem("max_distance_km", format!("{max_km} is not within (0, 1000]")));
        }
        let line = match &raw.line {
            Some(id) => match agreement.lines.iter().find(|l| &l.id == id) {
                Some(l) => Some(l),
                None => {
                    let ids: Vec<&str> = agreement.lines.iter().map(|l| l.id.as_str()).collect();
                    problems
                        .push(problem("line", format!("{id:?} is not a line of the agreement ({})", ids.join(", "))));
                    None
                }
            },
            None => None,
        };
        let vertices: Vec<LonLat> = line.map(|l| l.parts.concat()).unwrap_or_default();
        let length_km = line.map_or(0.0, |l| l.length_m / 1_000.0);
        let mut raws = raw.sector;
        if let Some(every) = raw.every_km {
            if !(every.is_finite() && every >= 1.0) {
                problems.push(problem("every_km", format!("{every} is not a number of km ≥ 1")));
            } else if line.is_none() {
                problems.push(problem("every_km", "needs `line`".into()));
            } else {
                let n = (length_km / every).ceil().max(1.0) as usize;
                for k in 0..n {
                    let (a, b) = (k as f64 * every, ((k + 1) as f64 * every).min(length_km));
                    raws.push(RawSector {
                        id: format!("km{:.0}-{:.0}", a, b),
                        name: Some(format!("km {a:.0}–{b:.0}")),
                        from_km: Some(a),
                        to_km: Some(b),
                        polygon: None,
                    });
                }
            }
        }
        if raws.is_empty() {
            problems.push(problem("sector", "no sectors: list [[sector]] tables or set every_km".into()));
        }
        let mut sectors = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut rings = Vec::new();
        let mut stretches = Vec::new();
        for (i, s) in raws.into_iter().enumerate() {
            let field = |f: &str| format!("sector[{i}].{f}");
            if s.id.trim().is_empty() {
                problems.push(problem(&field("id"), "empty".into()));
            }
            if ids.contains(&s.id) {
                problems.push(problem(&field("id"), format!("{:?} is used twice", s.id)));
            }
            ids.push(s.id.clone());
            let name = s.name.clone().unwrap_or_else(|| s.id.clone());
            if names.contains(&name) {
                problems.push(problem(&field("name"), format!("{name:?} is used twice (incidents name their sector)")));
            }
            names.push(name.clone());
            match (s.from_km, s.to_km, s.polygon) {
                (Some(a), Some(b), None) => {
                    if line.is_none() {
                        problems.push(problem(&field("from_km"), "a stretch needs `line`".into()));
                        continue;
                    }
                    if !(a.is_finite() && b.is_finite() && 0.0 <= a && a < b && b <= length_km + 0.5) {
                        problems.push(problem(
                            &field("to_km"),
                            format!("{a}–{b} km is not a stretch of the line (0–{length_km:.1} km, from < to)"),
                        ));
                        continue;
                    }
                    let path = cut(&vertices, a * 1_000.0, b * 1_000.0);
                    match LineParts::new(std::slice::from_ref(&path)) {
                        Ok(parts) => {
                            stretches.push((sectors.len(), parts));
                            sectors.push(Sector {
                                id: s.id,
                                name,
                                stretch: Some((a, b)),
                                path,
                                index: None,
                                reach: WORLD,
                            });
                        }
                        Err(e) => problems.push(problem(&field("to_km"), e.to_string())),
                    }
                }
                (None, None, Some(ring)) => {
                    let ring: Vec<LonLat> = ring.iter().map(|p| LonLat::new(p[0], p[1])).collect();
                    if ring.len() < 4 || ring.first() != ring.last() {
                        problems
                            .push(problem(&field("polygon"), "a closed ring of at least 4 positions is needed".into()));
                        continue;
                    }
                    if let Some(k) = ring.iter().position(|p| !p.is_valid()) {
                        problems
                            .push(problem(&field(&format!("polygon[{k}]")), "not a valid longitude, latitude".into()));
                        continue;
                    }
                    rings.push((sectors.len(), ring.clone()));
                    sectors.push(Sector { id: s.id, name, stretch: None, path: ring, index: None, reach: WORLD });
                }
                _ => problems.push(problem(&field("from_km"), "give either from_km and to_km, or polygon".into())),
            }
        }
        let polygons = if rings.is_empty() {
            None
        } else {
            let zones: Vec<ZonePolygon> =
                rings.iter().map(|(_, r)| ZonePolygon { polygons: vec![vec![r.clone()]] }).collect();
            match ZoneIndex::new(&zones) {
                Ok(ix) => Some((ix, rings.iter().map(|(i, _)| *i).collect())),
                Err(e) => {
                    problems.push(problem("sector", e.to_string()));
                    None
                }
            }
        };
        if !problems.is_empty() {
            return Err(SectorErrors(problems));
        }
        // Indexing the stretches is most of loading the sectors, and they are independent: half of them
        // are indexed on a second thread.
        // A sector's stretch is asked once per observation, to compare distances: eight candidates a
        // leaf instead of four build its tree in 40% of the time (what a command's start waits for).
        let options =
            LineOptions { margin_m: max_km * 1_000.0 + 10_000.0, leaf_candidates: 8, ..LineOptions::default() };
        let index = |part: &[(usize, LineParts)]| -> Vec<(usize, LineIndex)> {
            part.iter().map(|(k, parts)| (*k, LineIndex::of(parts, options))).collect()
        };
        for (k, ix) in truce_core::halves::map(&stretches, 2, index).into_iter().flatten() {
            sectors[k].index = Some(ix);
        }
        for s in &mut sectors {
            s.reach = reach(s, max_km * 1_000.0);
        }
        Ok(Self { sectors, max_distance_m: max_km * 1_000.0, polygons })
    }

    /// The sector of a position, if any.
    pub fn assign(&self, p: LonLat) -> Option<usize> {
        if let Some((ix, slots)) = &self.polygons {
            let mut hits = Vec::new();
            ix.covering(p, &mut hits);
            if let Some(&h) = hits.iter().min() {
                return Some(slots[h as usize]);
            }
        }
        let mut best: Option<(usize, f64)> = None;
        for (i, s) in self.sectors.iter().enumerate() {
            let [west, south, east, north] = s.reach;
            // Outside the box nothing is within the distance: no need to measure (most stretches).
            if !(p.lon >= west && p.lon <= east && p.lat >= south && p.lat <= north) {
                continue;
            }
            if let Some(ix) = &s.index {
                let d = ix.query(p).distance_m;
                if d <= self.max_distance_m && best.is_none_or(|(_, b)| d < b) {
                    best = Some((i, d));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The sector's name for a position, if any.
    pub fn name_of(&self, p: LonLat) -> Option<&str> {
        self.assign(p).map(|i| self.sectors[i].name.as_str())
    }
}

/// The whole world as a box.
const WORLD: [f64; 4] = [-180.0, -90.0, 180.0, 90.0];

/// Longest piece of a stretch's geodesic between two points its box is taken over, metres: between
/// them a geodesic strays from the straight line in degrees by less than the box's slack of 0.001°
/// below 89° of latitude.
const BOX_STEP_M: f64 = 10_000.0;

/// The box `[west, south, east, north]` that holds every position [`Sectors::assign`] can give to
/// `sector`: a polygon's own box; for a stretch, the box of its geodesic pieces (each taken every
/// [`BOX_STEP_M`], so a long piece's bulge is inside) grown by `max_distance_m`. A degree of latitude
/// is at least 110.5 km and one of longitude at least 111.3 km × cos φ at the box's farthest latitude,
/// so the margin surely holds the distance. The whole world when the box would cross the antimeridian
/// or reach a pole.
fn reach(sector: &Sector, max_distance_m: f64) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut add = |p: LonLat| b = [b[0].min(p.lon), b[1].min(p.lat), b[2].max(p.lon), b[3].max(p.lat)];
    if sector.stretch.is_none() {
        sector.path.iter().copied().for_each(add);
        return b;
    }
    for pair in sector.path.windows(2) {
        add(pair[0]);
        let (azimuth, length) = azimuth_and_distance(pair[0], pair[1]);
        let steps = (length / BOX_STEP_M).ceil();
        for k in 1..steps as usize {
            add(destination(pair[0], azimuth, length * k as f64 / steps));
        }
    }
    if let Some(&last) = sector.path.last() {
        add(last);
    }
    let dlat = max_distance_m / 110_500.0 + 0.001;
    let far = (b[1] - dlat).abs().max((b[3] + dlat).abs());
    if far >= 89.0 || b[2] - b[0] > 180.0 {
        return WORLD;
    }
    let dlon = max_distance_m / (111_300.0 * far.to_radians().cos()) + 0.001;
    let grown = [b[0] - dlon, b[1] - dlat, b[2] + dlon, b[3] + dlat];
    if grown[0] < -180.0 || grown[2] > 180.0 { WORLD } else { grown }
}

/// One sector as an area a query can be narrowed to ([`truce_geo::Area`]): exactly the positions
/// [`Sectors::assign`] gives to it. Its box holds the polygon, or the stretch widened by the
/// largest distance that counts for it.
#[derive(Debug, Clone)]
pub struct SectorArea {
    sectors: std::sync::Arc<Sectors>,
    index: usize,
    bbox: [f64; 4],
}

impl SectorArea {
    /// The sector `id` of `sectors`, if there is one.
    pub fn new(sectors: &std::sync::Arc<Sectors>, id: &str) -> Option<Self> {
        let index = sectors.sectors.iter().position(|s| s.id == id)?;
        Some(Self { sectors: sectors.clone(), index, bbox: sectors.sectors[index].reach })
    }
}

impl truce_geo::Area for SectorArea {
    fn bbox(&self) -> [f64; 4] {
        self.bbox
    }

    fn covers(&self, p: LonLat) -> bool {
        self.sectors.assign(p) == Some(self.index)
    }
}

/// The part of a polyline between two distances along it, metres.
fn cut(vertices: &[LonLat], from: f64, to: f64) -> Vec<LonLat> {
    let mut out = Vec::new();
    let mut walked = 0.0;
    for w in vertices.windows(2) {
        let (azi, len) = azimuth_and_distance(w[0], w[1]);
        let (a, b) = (walked, walked + len);
        if b >= from && a <= to {
            if out.is_empty() {
                out.push(if from > a { destination(w[0], azi, from - a) } else { w[0] });
            }
            out.push(if to < b { destination(w[0], azi, to - a) } else { w[1] });
        }
        walked = b;
    }
    out.dedup_by(|a, b| distance_m(*a, *b) < 0.01);
    if out.len() == 1 {
        out.push(out[0]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agreement() -> Agreement {
        Agreement::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/agreements/illustrative.toml")))
            .unwrap()
    }

    #[test]
    fn the_shipped_sectors_match_the_demo_cuts_and_assign_by_nearest_stretch() {
        let a = agreement();
        let s = Sectors::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/warning/sectors.toml")), &a)
            .unwrap();
        assert_eq!(s.sectors.len(), 6);
        // The stretches meet the line's vertices where the demo cuts its sectors (within 100 m).
        let loc = &a.lines.iter().find(|l| l.id == "loc").unwrap().parts[0];
        for (sector, vertex) in s.sectors.iter().zip([0usize, 3, 6, 7, 9, 12]) {
            assert!(distance_m(sector.path[0], loc[vertex]) < 100.0, "{} starts off vertex {vertex}", sector.name);
        }
        assert_eq!(
            s.name_of(LonLat::new(37.18, 48.28)),
            Some("Pokrovsk"),
            "on the cut: the first sector that reaches it"
        );
        assert_eq!(s.name_of(LonLat::new(37.05, 48.05)), Some("Pokrovsk"));
        assert_eq!(s.name_of(LonLat::new(32.6, 46.63)), Some("Kherson"));
        assert_eq!(s.name_of(LonLat::new(30.5, 50.45)), None, "Kyiv is in no sector");
    }

    #[test]
    fn every_problem_in_a_sectors_file_is_reported_at_once() {
        let text = r#"
line = "nope"
max_distance_km = -3
every_km = 0.5

[[sector]]
id = "a"
from_km = 0
to_km = 10

[[sector]]
id = "a"
polygon = [[30.0, 45.0], [31.0, 45.0], [31.0, 46.0]]

[[sector]]
id = "b"
from_km = 10
"#;
        let errors = Sectors::from_toml(text, "bad.toml", &agreement()).unwrap_err().0;
        let fields: Vec<&str> = errors.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "max_distance_km",
                "line",
                "every_km",
                "sector[0].from_km",
                "sector[1].id",
                "sector[1].name",
                "sector[1].polygon",
                "sector[2].from_km"
            ],
            "{errors:#?}"
        );
        assert!(errors.iter().all(|p| p.file == "bad.toml"));
        assert!(errors[1].message.contains("\"nope\" is not a line of the agreement (loc, loc_rus)"), "{}", errors[1]);
        let stretch = Sectors::from_toml(
            "line = \"loc\"\n[[sector]]\nid = \"x\"\nfrom_km = 700\nto_km = 900\n",
            "f",
            &agreement(),
        )
        .unwrap_err();
        assert!(
            stretch.to_string().contains("f: sector[0].to_km: 700–900 km is not a stretch of the line (0–811.2 km"),
            "{stretch}"
        );
        let syntax = Sectors::from_toml("line = \n", "g.toml", &agreement()).unwrap_err();
        assert!(syntax.to_string().starts_with("g.toml: line 1:"), "{syntax}");
        let unknown =
            Sectors::from_toml("line = \"loc\"\nevery_km = 100\ncolour = 1\n", "h", &agreement()).unwrap_err();
        assert!(unknown.to_string().contains("colour"), "{unknown}");
    }

    #[test]
    fn a_sector_area_covers_what_assign_gives_it_and_its_box_holds_all_of_it() {
        use truce_geo::Area;
        let a = agreement();
        let s = std::sync::Arc::new(
            Sectors::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/warning/sectors.toml")), &a)
                .unwrap(),
        );
        let areas: Vec<SectorArea> = s.sectors.iter().map(|x| SectorArea::new(&s, &x.id).unwrap()).collect();
        assert!(SectorArea::new(&s, "atlantis").is_none());
        // The nearest stretch within the distance, measuring every stretch (no box passed over).
        let nearest = |p: LonLat| {
            let d = |i: usize| s.sectors[i].index.as_ref().map_or(f64::INFINITY, |ix| ix.query(p).distance_m);
            (0..s.sectors.len()).filter(|&i| d(i) <= s.max_distance_m).min_by(|&i, &j| d(i).total_cmp(&d(j)))
        };
        // Every 0.1° over the front and well beyond it, and every 0.01° over a band across the front
        // (the 60 km limit of each stretch and the cuts between them).
        let (mut covered, mut none) = (0, 0);
        let fine =
            (0..=400).flat_map(|i| (0..=60).map(move |j| (36.0 + f64::from(i) * 0.01, 47.0 + f64::from(j) * 0.05)));
        let coarse =
            (0..=120).flat_map(|i| (0..=80).map(move |j| (29.0 + f64::from(i) * 0.1, 44.0 + f64::from(j) * 0.1)));
        for (lon, lat) in coarse.chain(fine) {
            let p = LonLat::new(lon, lat);
            let owner = s.assign(p);
            assert_eq!(owner, nearest(p), "{p:?}");
            for (k, area) in areas.iter().enumerate() {
                let b = area.bbox();
                assert_eq!(area.covers(p), owner == Some(k), "{p:?} and sector {k}");
                if owner == Some(k) {
                    covered += 1;
                    assert!(p.lon >= b[0] && p.lat >= b[1] && p.lon <= b[2] && p.lat <= b[3], "{p:?} outside {b:?}");
                }
            }
            none += usize::from(owner.is_none());
        }
        assert!(covered > 300 && none > 300, "{covered} covered, {none} in no sector");
    }

    #[test]
    fn every_km_cuts_the_whole_line() {
        let s = Sectors::from_toml("line = \"loc\"\nevery_km = 100\n", "f", &agreement()).unwrap();
        assert_eq!(s.sectors.len(), 9);
        assert_eq!(s.sectors[0].name, "km 0–100");
        assert_eq!(s.sectors[8].stretch, Some((800.0, s.sectors[8].stretch.unwrap().1)));
    }
}
