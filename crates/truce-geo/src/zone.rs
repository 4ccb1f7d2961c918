//! Which zones (polygons with holes, multipolygons) contain a point.
//!
//! # Semantics
//!
//! Edges are straight in longitude/latitude, as GeoJSON (RFC 7946) defines them. Zones are **closed**:
//! a point exactly on an edge, of an exterior ring or of a hole, is covered by the zone (PostGIS
//! `ST_Covers`, not `ST_Contains`). Inside/outside is the even-odd rule over all rings of the zone, which
//! for valid polygons and multipolygons is the usual containment. All orientation tests are exact
//! (Shewchuk's adaptive predicates), so the answer on an edge or a vertex does not depend on rounding.
//!
//! # Design
//!
//! A quadtree over the zones' extent. Each leaf lists the zones that touch it: a zone that covers the
//! whole leaf is recorded as such; a zone whose boundary crosses the leaf keeps the few edges that cross
//! it plus a reference point of known state. A query then counts, with exact predicates, the crossings
//! of the segment from the reference point to the query point with those few edges. When that segment
//! runs exactly through a vertex or along an edge the parity would be ambiguous, and the query falls back
//! to a full crossing-number test over the zone, which is also exact; this happens only for inputs built
//! to sit on the geometry. Zones that do not touch a leaf cost nothing there, so the work per point
//! depends on how many zones overlap that spot, not on how many there are.
//!
//! That walk is the exact path ([`ZoneIndex::covering`]). A [`crate::FenceTable`] answers most points
//! without it, from what [`ZoneIndex::cell_zones`] finds for each of its uniform cells: a cell that lies
//! within one leaf and that no edge of that leaf touches (tested on the cell grown by a hair) has the
//! same zones at every point, found once at its centre by the exact test, so a query copies that set
//! with no predicate at all. Cells that an edge touches, or that straddle leaves, go down the exact path.

use robust::{Coord, orient2d};

use crate::LonLat;
use crate::quadtree::{Cell, Grid, QuadTree, Refined};

/// A zone's geometry: one or more polygons, each an exterior ring followed by its holes.
/// Rings are closed (the last position repeats the first).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZonePolygon {
    /// Polygons, each a list of rings; the first ring is the exterior.
    pub polygons: Vec<Vec<Vec<LonLat>>>,
}

/// Why a zone could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneIndexError {
    /// A zone has no polygon.
    Empty {
        /// Index of the zone.
        zone: usize,
    },
    /// A ring has fewer than four positions or is not closed.
    BadRing {
        /// Index of the zone.
        zone: usize,
        /// Index of the polygon within the zone.
        polygon: usize,
        /// Index of the ring within the polygon.
        ring: usize,
    },
    /// A position is not a valid WGS84 longitude/latitude.
    InvalidPosition {
        /// Index of the zone.
        zone: usize,
    },
}

impl std::fmt::Display for ZoneIndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty { zone } => write!(f, "zone {zone} has no polygon"),
            Self::BadRing { zone, polygon, ring } => write!(
                f,
                "zone {zone}, polygon {polygon}, ring {ring}: a ring needs at least four positions and must end where it starts"
            ),
            Self::InvalidPosition { zone } => {
                write!(f, "zone {zone}: a position is not a WGS84 longitude/latitude")
            }
        }
    }
}

impl std::error::Error for ZoneIndexError {}

#[derive(Debug, Clone, Copy)]
struct Edge {
    a: Coord<f64>,
    b: Coord<f64>,
}

/// A zone's state in one leaf.
#[derive(Debug, Clone, Copy)]
struct Entry {
    zone: u32,
    /// Range into `edge_ids`; empty means the zone covers the whole leaf.
    edges: (u32, u32),
    reference: Coord<f64>,
    reference_inside: bool,
}

/// A zone's state while the tree is built.
#[derive(Debug, Clone)]
struct Building {
    zone: u32,
    edges: Vec<u32>,
    /// A point of the cell not on any edge's supporting line, with its state; `None` at the root.
    reference: Option<(Coord<f64>, bool)>,
}

/// An index answering which of a set of zones cover a point. See the module documentation.
#[derive(Debug, Clone)]
pub struct ZoneIndex {
    edges: Vec<Edge>,
    /// Per zone, its range in `edges`.
    zone_edges: Vec<(u32, u32)>,
    tree: Option<QuadTree>,
    leaves: Vec<(u32, u32)>,
    entries: Vec<Entry>,
    edge_ids: Vec<u32>,
    /// The quadtree's extent, west, south, east, north.
    extent: [f64; 4],
}

const TOP_CELL_DEG: f64 = 1.0;
const MAX_DEPTH: u32 = 10;
const LEAF_EDGES: usize = 8;

impl ZoneIndex {
    /// Indexes zones; the ids returned by [`ZoneIndex::covering`] are indexes into `zones`.
    ///
    /// # Errors
    /// When a zone is empty, a ring is not closed or too short, or a position is out of range.
    pub fn new(zones: &[ZonePolygon]) -> Result<Self, ZoneIndexError> {
        let mut edges = Vec::new();
        let mut zone_edges = Vec::with_capacity(zones.len());
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for (zi, zone) in zones.iter().enumerate() {
            if zone.polygons.is_empty() {
                return Err(ZoneIndexError::Empty { zone: zi });
            }
            let start = edges.len() as u32;
            for (pi, polygon) in zone.polygons.iter().enumerate() {
                if polygon.is_empty() {
                    return Err(ZoneIndexError::Empty { zone: zi });
                }
                for (ri, ring) in polygon.iter().enumerate() {
                    if ring.len() < 4 || ring.first() != ring.last() {
                        return Err(ZoneIndexError::BadRing { zone: zi, polygon: pi, ring: ri });
                    }
                    if !ring.iter().all(LonLat::is_valid) {
                        return Err(ZoneIndexError::InvalidPosition { zone: zi });
                    }
                    for w in ring.windows(2) {
                        if w[0] == w[1] {
                            continue;
                        }
                        edges.push(Edge {
                            a: Coord { x: w[0].lon, y: w[0].lat },
                            b: Coord { x: w[1].lon, y: w[1].lat },
                        });
                        x0 = x0.min(w[0].lon);
                        x1 = x1.max(w[0].lon);
                        y0 = y0.min(w[0].lat);
                        y1 = y1.max(w[0].lat);
                    }
                }
            }
            zone_edges.push((start, edges.len() as u32));
        }
        let mut index = ZoneIndex {
            edges,
            zone_edges,
            tree: None,
            leaves: Vec::new(),
            entries: Vec::new(),
            edge_ids: Vec::new(),
            extent: [0.0; 4],
        };
        if zones.is_empty() {
            return Ok(index);
        }
        let lon0 = x0.floor();
        let lat0 = y0.floor();
        let nx = ((x1 - lon0) / TOP_CELL_DEG).floor() as usize + 1;
        let ny = ((y1 - lat0) / TOP_CELL_DEG).floor() as usize + 1;
        let root: Vec<Building> = index
            .zone_edges
            .iter()
            .enumerate()
            .map(|(z, &(s, e))| Building { zone: z as u32, edges: (s..e).collect(), reference: None })
            .collect();
        let mut leaves = Vec::new();
        let mut entries = Vec::new();
        let mut edge_ids = Vec::new();
        let tree = QuadTree::build(
            Grid { lon0, lat0, top_size: TOP_CELL_DEG, nx, ny },
            &root,
            MAX_DEPTH,
            &mut |cell, parent, depth| {
                let here = index.refine(cell, parent);
                let boundary_edges: usize = here.iter().map(|b| b.edges.len()).sum();
                if boundary_edges <= LEAF_EDGES || depth == MAX_DEPTH {
                    let start = entries.len() as u32;
                    for b in &here {
                        let e0 = edge_ids.len() as u32;
                        edge_ids.extend_from_slice(&b.edges);
                        let (reference, reference_inside) = b.reference.unwrap_or((Coord { x: 0.0, y: 0.0 }, true));
                        entries.push(Entry {
                            zone: b.zone,
                            edges: (e0, b.edges.len() as u32),
                            reference,
                            reference_inside,
                        });
                    }
                    leaves.push((start, here.len() as u32));
                    Refined::Leaf((leaves.len() - 1) as u32)
                } else {
                    Refined::Split(here)
                }
            },
        );
        index.leaves = leaves;
        index.entries = entries;
        index.edge_ids = edge_ids;
        index.tree = Some(tree);
        index.extent = [lon0, lat0, lon0 + nx as f64, lat0 + ny as f64];
        Ok(index)
    }

    /// The quadtree's extent (west, south, east, north): no zone covers a point outside it. `None`
    /// without zones.
    pub(crate) fn extent(&self) -> Option<[f64; 4]> {
        self.tree.as_ref().map(|_| self.extent)
    }

    /// The zones covering every point of `cell` of quadtree level `level`, in increasing order, into
    /// `out`; false when the cell straddles leaves or an edge touches it (the zones may then differ from
    /// point to point). Outside the extent, none.
    pub(crate) fn cell_zones(&self, cell: &Cell, level: u32, out: &mut Vec<u32>) -> bool {
        let Some(tree) = &self.tree else { return true };
        let mut found = Vec::new();
        tree.leaves_in(cell.center(), level, &mut found);
        let leaf = match found[..] {
            [] => return true,
            [leaf] => leaf,
            _ => return false,
        };
        let (start, len) = self.leaves[leaf as usize];
        let c = cell.center();
        let c = Coord { x: c.lon, y: c.lat };
        for entry in &self.entries[start as usize..(start + len) as usize] {
            let (e0, n) = entry.edges;
            let ids = &self.edge_ids[e0 as usize..(e0 + n) as usize];
            if ids.iter().any(|&e| edge_touches_cell(&self.edges[e as usize], cell)) {
                return false;
            }
            if n == 0
                || local_inside(
                    ids.iter().map(|&e| &self.edges[e as usize]),
                    entry.reference,
                    entry.reference_inside,
                    c,
                )
                .unwrap_or_else(|| self.covers_full(entry.zone as usize, c))
            {
                out.push(entry.zone);
            }
        }
        true
    }

    /// The states of the parent's zones in `cell`; zones that do not touch it are left out.
    fn refine(&self, cell: &Cell, parent: &[Building]) -> Vec<Building> {
        let mut out = Vec::with_capacity(parent.len());
        for b in parent {
            if b.edges.is_empty() {
                out.push(b.clone());
                continue;
            }
            let edges: Vec<u32> =
                b.edges.iter().copied().filter(|&e| edge_touches_cell(&self.edges[e as usize], cell)).collect();
            let state_of = |p: Coord<f64>| self.inside_from(b, p);
            if edges.is_empty() {
                let c = cell.center();
                if state_of(Coord { x: c.lon, y: c.lat }) {
                    out.push(Building { zone: b.zone, edges, reference: None });
                }
                continue;
            }
            let reference = (0..64)
                .map(|k| {
                    let k = f64::from(k);
                    let p = cell
                        .at((0.5 + 0.0137 * k + 0.00731 * k * k).fract(), (0.5 + 0.0291 * k + 0.00317 * k * k).fract());
                    Coord { x: p.lon, y: p.lat }
                })
                .find(|p| {
                    edges.iter().all(|&e| {
                        let e = &self.edges[e as usize];
                        orient2d(e.a, e.b, *p) != 0.0
                    })
                });
            // When every probe lies on an edge's line there is no reference: queries use the full test.
            let reference = reference.map(|p| (p, state_of(p)));
            out.push(Building { zone: b.zone, edges, reference });
        }
        out
    }

    /// State of `p` (inside the cell `b` was built for) using `b`'s reference, or the full test.
    fn inside_from(&self, b: &Building, p: Coord<f64>) -> bool {
        if let Some((r, r_inside)) = b.reference {
            let ids = b.edges.iter().map(|&e| &self.edges[e as usize]);
            if let Some(inside) = local_inside(ids, r, r_inside, p) {
                return inside;
            }
        }
        self.covers_full(b.zone as usize, p)
    }

    /// Exact crossing-number test over all of a zone's edges; points on an edge are covered.
    fn covers_full(&self, zone: usize, p: Coord<f64>) -> bool {
        let (s, e) = self.zone_edges[zone];
        let mut inside = false;
        for edge in &self.edges[s as usize..e as usize] {
            let (a, b) = (edge.a, edge.b);
            if (a.y > p.y) != (b.y > p.y) {
                let o = orient2d(a, b, p);
                if o == 0.0 {
                    return true;
                }
                // Upward edge: the crossing is right of p when p is left of the edge.
                if (o > 0.0) == (b.y > a.y) {
                    inside = !inside;
                }
            } else if on_segment(a, b, p) {
                return true;
            }
        }
        inside
    }

    /// Appends to `out` the indexes of the zones covering `p`, in increasing order. This is the exact
    /// path: the quadtree walk and the exact predicates on the leaf's edges. A [`crate::FenceTable`]
    /// gives the same answers with less work.
    #[inline]
    pub fn covering(&self, p: LonLat, out: &mut Vec<u32>) {
        let Some(tree) = &self.tree else { return };
        let Some(leaf) = tree.lookup(p) else { return };
        let (start, len) = self.leaves[leaf as usize];
        let q = Coord { x: p.lon, y: p.lat };
        for entry in &self.entries[start as usize..(start + len) as usize] {
            let (e0, n) = entry.edges;
            let covered = if n == 0 {
                true
            } else {
                let ids = &self.edge_ids[e0 as usize..(e0 + n) as usize];
                local_inside(ids.iter().map(|&e| &self.edges[e as usize]), entry.reference, entry.reference_inside, q)
                    .unwrap_or_else(|| self.covers_full(entry.zone as usize, q))
            };
            if covered {
                out.push(entry.zone);
            }
        }
    }

    /// True when zone `zone` covers `p`, by the full exact test (for tests and rare callers).
    pub fn covers(&self, zone: usize, p: LonLat) -> bool {
        self.covers_full(zone, Coord { x: p.lon, y: p.lat })
    }

    /// Number of zones indexed.
    pub fn len(&self) -> usize {
        self.zone_edges.len()
    }

    /// True when no zone is indexed.
    pub fn is_empty(&self) -> bool {
        self.zone_edges.is_empty()
    }
}

/// State of `p` from a reference point `r` of known state, counting proper crossings of `r`→`p` with
/// `edges` (all the edges of the cell holding both). `None` when the answer would hinge on a degenerate
/// contact (the segment through a vertex or along an edge). A point on an edge is covered.
#[inline]
fn local_inside<'a>(
    edges: impl Iterator<Item = &'a Edge>,
    r: Coord<f64>,
    r_inside: bool,
    p: Coord<f64>,
) -> Option<bool> {
    let mut inside = r_inside;
    for e in edges {
        let o2 = orient2d(e.a, e.b, p);
        if o2 == 0.0 && within_box(e.a, e.b, p) {
            return Some(true);
        }
        let o1 = orient2d(e.a, e.b, r);
        if (o1 > 0.0) == (o2 > 0.0) || o2 == 0.0 {
            // r and p on the same side of the edge's line (or p on the line beyond the edge).
            continue;
        }
        let o3 = orient2d(r, p, e.a);
        let o4 = orient2d(r, p, e.b);
        if o3 == 0.0 || o4 == 0.0 {
            return None;
        }
        if (o3 > 0.0) != (o4 > 0.0) {
            inside = !inside;
        }
    }
    Some(inside)
}

fn within_box(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
}

fn on_segment(a: Coord<f64>, b: Coord<f64>, p: Coord<f64>) -> bool {
    within_box(a, b, p) && orient2d(a, b, p) == 0.0
}

/// Conservative test that an edge meets a closed cell (grown by a hair so rounding never loses one).
fn edge_touches_cell(e: &Edge, cell: &Cell) -> bool {
    let eps = 1e-9 * (1.0 + cell.size);
    let (cx0, cy0, cx1, cy1) = (cell.lon0 - eps, cell.lat0 - eps, cell.lon1() + eps, cell.lat1() + eps);
    if e.a.x.max(e.b.x) < cx0 || e.a.x.min(e.b.x) > cx1 || e.a.y.max(e.b.y) < cy0 || e.a.y.min(e.b.y) > cy1 {
        return false;
    }
    // Liang–Barsky clip of the edge against the box.
    let (dx, dy) = (e.b.x - e.a.x, e.b.y - e.a.y);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [(-dx, e.a.x - cx0), (dx, cx1 - e.a.x), (-dy, e.a.y - cy0), (dy, cy1 - e.a.y)] {
        if p == 0.0 {
            if q < 0.0 {
                return false;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    t0 <= t1 + 1e-12
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(c: &[(f64, f64)]) -> Vec<LonLat> {
        c.iter().map(|&(x, y)| LonLat::new(x, y)).collect()
    }

    fn square_with_hole() -> ZonePolygon {
        ZonePolygon {
            polygons: vec![vec![
                ring(&[(35.0, 48.0), (36.0, 48.0), (36.0, 49.0), (35.0, 49.0), (35.0, 48.0)]),
                ring(&[(35.4, 48.4), (35.4, 48.6), (35.6, 48.6), (35.6, 48.4), (35.4, 48.4)]),
            ]],
        }
    }

    fn covering(index: &ZoneIndex, lon: f64, lat: f64) -> Vec<u32> {
        let mut out = Vec::new();
        index.covering(LonLat::new(lon, lat), &mut out);
        out
    }

    #[test]
    fn holes_edges_and_vertices() {
        let index = ZoneIndex::new(&[square_with_hole()]).unwrap();
        assert_eq!(covering(&index, 35.2, 48.2), vec![0]);
        assert_eq!(covering(&index, 35.5, 48.5), Vec::<u32>::new(), "inside the hole");
        assert_eq!(covering(&index, 35.5, 48.0), vec![0], "on the exterior edge");
        assert_eq!(covering(&index, 36.0, 49.0), vec![0], "on an exterior vertex");
        assert_eq!(covering(&index, 35.4, 48.5), vec![0], "on the hole's edge");
        assert_eq!(covering(&index, 35.6, 48.6), vec![0], "on the hole's vertex");
        assert_eq!(covering(&index, 36.0000001, 48.5), Vec::<u32>::new());
        assert_eq!(covering(&index, 34.0, 48.5), Vec::<u32>::new(), "outside the extent");
    }

    #[test]
    fn multipolygon_and_overlapping_zones() {
        let two = ZonePolygon {
            polygons: vec![
                vec![ring(&[(30.0, 45.0), (30.5, 45.0), (30.5, 45.5), (30.0, 45.0)])],
                vec![ring(&[(31.0, 45.0), (31.5, 45.0), (31.5, 45.5), (31.0, 45.5), (31.0, 45.0)])],
            ],
        };
        let big = ZonePolygon {
            polygons: vec![vec![ring(&[(29.0, 44.0), (32.0, 44.0), (32.0, 46.0), (29.0, 46.0), (29.0, 44.0)])]],
        };
        let index = ZoneIndex::new(&[two, big]).unwrap();
        assert_eq!(covering(&index, 30.4, 45.1), vec![0, 1]);
        assert_eq!(covering(&index, 30.1, 45.4), vec![1], "outside the triangle");
        assert_eq!(covering(&index, 31.2, 45.2), vec![0, 1]);
        assert_eq!(covering(&index, 30.25, 45.25), vec![0, 1], "on the triangle's hypotenuse");
    }

    #[test]
    fn bad_rings_are_rejected() {
        let open = ZonePolygon { polygons: vec![vec![ring(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)])]] };
        assert_eq!(ZoneIndex::new(&[open]).unwrap_err(), ZoneIndexError::BadRing { zone: 0, polygon: 0, ring: 0 });
        assert_eq!(ZoneIndex::new(&[ZonePolygon::default()]).unwrap_err(), ZoneIndexError::Empty { zone: 0 });
    }

    #[test]
    fn index_agrees_with_the_full_test_everywhere() {
        // A star-shaped zone with a hole, probed on a grid that hits vertices and edges exactly.
        let mut outer = Vec::new();
        for k in 0..24 {
            let a = f64::from(k) * std::f64::consts::TAU / 24.0;
            let r = if k % 2 == 0 { 1.0 } else { 0.45 };
            outer.push(LonLat::new(33.0 + r * a.cos(), 47.0 + r * a.sin()));
        }
        outer.push(outer[0]);
        let hole = ring(&[(32.9, 46.9), (32.9, 47.1), (33.1, 47.1), (33.1, 46.9), (32.9, 46.9)]);
        let index = ZoneIndex::new(&[ZonePolygon { polygons: vec![vec![outer, hole]] }]).unwrap();
        for i in 0..=200 {
            for j in 0..=200 {
                let p = LonLat::new(32.0 + f64::from(i) * 0.01, 46.0 + f64::from(j) * 0.01);
                assert_eq!(covering(&index, p.lon, p.lat) == vec![0], index.covers(0, p), "{p:?}");
            }
        }
    }
}

/// A simple area drawn by a user (a query's `polygon`): its vertices in order, the ring closed
/// implicitly, edges straight in longitude/latitude like a zone's. Closed like a zone: a point on an
/// edge or a vertex is covered. One polygon is tested once per candidate point, so it is a plain exact
/// crossing-number test over its edges (no index): 1,000 vertices cost about a microsecond per point.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    vertices: Vec<LonLat>,
    bbox: [f64; 4],
}

impl Polygon {
    /// A polygon through `vertices` (the last joins the first; a repeated first vertex at the end is
    /// accepted and dropped).
    ///
    /// # Errors
    /// A vertex that is not a valid WGS84 longitude/latitude (its index), or fewer than three distinct
    /// vertices.
    pub fn new(mut vertices: Vec<LonLat>) -> Result<Self, String> {
        if let Some(i) = vertices.iter().position(|v| !v.is_valid()) {
            return Err(format!(
                "vertex {} ({}, {}) is not a longitude in -180..180 and a latitude in -90..90",
                i + 1,
                vertices[i].lon,
                vertices[i].lat
            ));
        }
        if vertices.len() > 1 && vertices.first() == vertices.last() {
            vertices.pop();
        }
        let mut distinct: Vec<(u64, u64)> = vertices.iter().map(|v| (v.lon.to_bits(), v.lat.to_bits())).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 3 {
            return Err(format!("{} distinct vertices; a polygon needs at least 3", distinct.len()));
        }
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for v in &vertices {
            bbox = [bbox[0].min(v.lon), bbox[1].min(v.lat), bbox[2].max(v.lon), bbox[3].max(v.lat)];
        }
        Ok(Self { vertices, bbox })
    }

    /// The vertices, without the closing repeat.
    pub fn vertices(&self) -> &[LonLat] {
        &self.vertices
    }

    /// West, south, east, north: the smallest box holding the polygon, degrees.
    pub fn bbox(&self) -> [f64; 4] {
        self.bbox
    }

    /// Whether `p` is inside or on the boundary (exact predicates, even-odd rule).
    pub fn covers(&self, p: LonLat) -> bool {
        let q = Coord { x: p.lon, y: p.lat };
        if q.x < self.bbox[0] || q.y < self.bbox[1] || q.x > self.bbox[2] || q.y > self.bbox[3] {
            return false;
        }
        let mut inside = false;
        let n = self.vertices.len();
        for i in 0..n {
            let (a, b) = (self.vertices[i], self.vertices[(i + 1) % n]);
            let (a, b) = (Coord { x: a.lon, y: a.lat }, Coord { x: b.lon, y: b.lat });
            if (a.y > q.y) != (b.y > q.y) {
                let o = orient2d(a, b, q);
                if o == 0.0 {
                    return true;
                }
                if (o > 0.0) == (b.y > a.y) {
                    inside = !inside;
                }
            } else if on_segment(a, b, q) {
                return true;
            }
        }
        inside
    }
}

impl crate::Area for Polygon {
    fn bbox(&self) -> [f64; 4] {
        self.bbox
    }

    fn covers(&self, p: LonLat) -> bool {
        Polygon::covers(self, p)
    }
}

#[cfg(test)]
mod polygon_tests {
    use super::*;

    fn square() -> Polygon {
        Polygon::new(vec![LonLat::new(0.0, 0.0), LonLat::new(2.0, 0.0), LonLat::new(2.0, 2.0), LonLat::new(0.0, 2.0)])
            .unwrap()
    }

    #[test]
    fn edges_and_vertices_are_covered() {
        let s = square();
        for (lon, lat) in [(1.0, 1.0), (0.0, 0.0), (2.0, 1.0), (1.0, 2.0), (0.0, 1.3), (2.0, 2.0)] {
            assert!(s.covers(LonLat::new(lon, lat)), "({lon}, {lat})");
        }
        for (lon, lat) in [(-0.000_001, 1.0), (2.000_001, 1.0), (1.0, 2.000_001), (3.0, 3.0)] {
            assert!(!s.covers(LonLat::new(lon, lat)), "({lon}, {lat})");
        }
    }

    #[test]
    fn a_concave_polygon_excludes_its_notch() {
        // A U shape: the notch between the arms is outside.
        let u = Polygon::new(
            [(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (2.0, 3.0), (2.0, 1.0), (1.0, 1.0), (1.0, 3.0), (0.0, 3.0)]
                .iter()
                .map(|&(x, y)| LonLat::new(x, y))
                .collect(),
        )
        .unwrap();
        assert!(!u.covers(LonLat::new(1.5, 2.0)));
        assert!(u.covers(LonLat::new(0.5, 2.0)) && u.covers(LonLat::new(2.5, 2.0)) && u.covers(LonLat::new(1.5, 0.5)));
        assert!(u.covers(LonLat::new(1.5, 1.0)), "the notch's floor is an edge");
    }

    #[test]
    fn too_few_distinct_or_invalid_vertices_are_refused() {
        let p = |v: &[(f64, f64)]| Polygon::new(v.iter().map(|&(x, y)| LonLat::new(x, y)).collect());
        assert!(p(&[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0)]).unwrap_err().contains("2 distinct"));
        assert!(p(&[(0.0, 0.0), (1.0, 0.0), (1.0, 0.0), (0.0, 0.0)]).is_err());
        assert!(p(&[(0.0, 0.0), (181.0, 0.0), (0.0, 1.0)]).unwrap_err().contains("vertex 2"));
        assert!(p(&[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]).is_ok(), "a closing repeat is accepted");
        assert_eq!(square().bbox(), [0.0, 0.0, 2.0, 2.0]);
    }
}
