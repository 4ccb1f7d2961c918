//! Distance and side from a point to a reference line on the WGS84 ellipsoid.
//!
//! # Design
//!
//! The line's edges are geodesics. When the index is built each edge is cut into pieces of at most
//! [`LineOptions::max_segment_m`] along the exact geodesic (Karney's direct problem), and every piece is
//! kept as a 3-D chord in ECEF coordinates. A query converts the point to ECEF once, finds the closest
//! point on a few candidate chords, lifts that foot back onto the ellipsoid and converts the chord
//! length to a surface distance. With 3 km pieces the result stays within a few decimetres of the exact
//! geodesic distance near the line and within 0.05% far from it (the property tests check 0.1% / 1 m
//! against Karney over 1,000 km).
//!
//! The candidates come from a quadtree over longitude/latitude cells. For a cell with centre `c` and
//! radius `r` (a ball that contains the cell's surface patch), a piece `s` is dropped when some kept
//! piece `b` is provably at least as close for every point of the cell:
//!
//! - by the triangle inequality, `D_s - D_b >= D_s(c) - D_b(c) - 2r`;
//! - by smoothness away from the line: the gradient of a distance-to-convex-set is a unit vector whose
//!   derivative is bounded by `1/D`, so `D_s - D_b >= f(c) - r·|u_s(c) - u_b(c)| - r²/2·(1/D_s + 1/D_b)`
//!   with `f = D_s - D_b` and `u` the unit direction from the foot to `c`.
//!
//! Far from the line many pieces are almost equally distant, so a piece may also be dropped when it can
//! be better than `b` by no more than a tolerance (0.25 m or 0.04% of the distance). To keep those
//! tolerances from adding up level after level, a piece that served as `b` for such a drop is never
//! itself dropped by tolerance further down. Cells split until at most four candidates remain
//! ([`LineOptions::leaf_candidates`]) or the cell is 1/1024° wide, so the work per point does not
//! grow with the number of vertices.
//!
//! # Cell table
//!
//! The quadtree walk is the exact path ([`LineIndex::query_at`]). A [`crate::FenceTable`] shared by
//! several indexes answers most points without it, from what [`LineIndex::cell_hint`] finds for each
//! of its uniform cells (one quadtree cell of a fixed level):
//!
//! - the candidates of the quadtree leaves that meet the cell are pruned once more, with the same bounds
//!   as above but **no tolerance**: a piece is dropped only when another is provably nearer by more than
//!   twice the sagitta at every point of the cell, so it can never be the piece the walk picks;
//! - when one piece remains and every leaf lists it, the cell holds that piece: a query computes one
//!   chord foot;
//! - when several remain and the cell lies within one leaf, the cell holds them in the leaf's order (up
//!   to [`TABLE_LIST_MAX`]), so ties are broken as the walk breaks them; except when they are two
//!   neighbouring pieces of a part and the whole cell lies beyond their shared vertex on both (the
//!   wedge outside a bend, a third of the cells around the line of contact): there both feet are that
//!   vertex, exactly (a piece's end is stored as the next piece's start), so both pieces give the same
//!   distance and the same side, and the cell holds one of them;
//! - when more than [`TABLE_LIST_MAX`] remain in one leaf (cells on a dense line), the cell holds the
//!   leaf's own candidates: what the walk would measure, without the walk;
//! - otherwise (the cell straddles several leaves) the cell holds its own quadtree node, and the point
//!   goes down the exact path from there ([`LineIndex::query_below`]: the same steps as the walk from
//!   the top, without the first ones, whose nodes a rare walk finds out of the cache).
//!
//! The answer is therefore bit for bit the walk's answer (the property tests compare them); only the
//! work differs. A [`QueryPoint`] carries the point's ECEF coordinates and Gaussian sphere so that
//! several lines asked about one point share the trigonometry.
//!
//! # Side
//!
//! Left and right are relative to the direction in which the line is stored. At a foot inside a piece
//! the side is the sign against the plane of that piece's chord and the earth's centre; at a shared
//! vertex it is the sign against the sum of the two neighbouring planes' normals (the vertex
//! pseudo-normal, which is exact for points whose nearest feature is the vertex). Beyond the two ends of
//! a part the line is either extended along its end piece or the side is reported as undetermined
//! ([`SideBeyondEnds`]). A point within 1 cm of the line is [`Side::On`] it.

use crate::ecef::{chord_to_arc_m, surface_point};
use crate::fences::{EXACT, LIST, NODE, NODE_MAX, SAME};
use crate::geodesic::{azimuth_and_distance, destination};
use crate::quadtree::{Cell, Grid, QuadTree, Refined};
use crate::{Ecef, LonLat};

/// What the side of a point beyond either end of a line part is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SideBeyondEnds {
    /// The end piece is extended along its geodesic: beyond the ends, the side is the side of that
    /// extension.
    #[default]
    Extend,
    /// Beyond the ends the side is [`Side::Undetermined`].
    Undetermined,
}

/// Options for building a [`LineIndex`].
#[derive(Debug, Clone, Copy)]
pub struct LineOptions {
    /// Side policy beyond the ends of each part.
    pub beyond_ends: SideBeyondEnds,
    /// Longest chord piece, metres. Shorter pieces are more exact near the line and cost more memory.
    pub max_segment_m: f64,
    /// How far around the line the quadtree reaches, metres. Points beyond it are answered by a scan
    /// of every piece (exact, slow).
    pub margin_m: f64,
    /// A quadtree cell with at most this many candidate pieces is a leaf (4 by default, also the
    /// least taken). More builds a shallower tree sooner (a stretch of the line indexed in 40% of the
    /// time with 8) and makes a query measure more chords: worth it for an index that answers few
    /// queries.
    pub leaf_candidates: usize,
}

impl Default for LineOptions {
    fn default() -> Self {
        Self {
            beyond_ends: SideBeyondEnds::Extend,
            max_segment_m: 3_000.0,
            margin_m: 1_100_000.0,
            leaf_candidates: LEAF_CANDIDATES,
        }
    }
}

/// The side of a line a point is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Left of the line's stored direction.
    Left,
    /// Right of the line's stored direction.
    Right,
    /// On the line (within 1 cm).
    On,
    /// Beyond an end of the line, with [`SideBeyondEnds::Undetermined`].
    Undetermined,
}

/// The answer of [`LineIndex::query`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineDistance {
    /// Distance along the ellipsoid to the nearest point of the line, metres.
    pub distance_m: f64,
    /// Side of the line.
    pub side: Side,
}

/// A position prepared for line queries: its ECEF coordinates and the Gaussian sphere at its latitude,
/// computed once and shared by every line asked about it (the trigonometry is much of a query's cost).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryPoint {
    lonlat: LonLat,
    ecef: Ecef,
    /// The diameter of the sphere chords are turned into distances on, and its inverse.
    diameter_m: f64,
    inv_diameter: f64,
}

impl QueryPoint {
    /// Prepares `p` (WGS84 degrees).
    #[inline]
    pub fn new(p: LonLat) -> Self {
        Self::from_sin_cos(p, p.lat.to_radians().sin_cos(), p.lon.to_radians().sin_cos())
    }

    /// Prepares `p` from the sines and cosines of its latitude and longitude, computed elsewhere (a
    /// [`crate::FenceTable`] derives them from its cell's without calling the trigonometric functions).
    #[inline]
    pub(crate) fn from_sin_cos(p: LonLat, (slat, clat): (f64, f64), (slon, clon): (f64, f64)) -> Self {
        Self::from_surface(p, surface_point(slat, clat, slon, clon))
    }

    /// `p` with its surface point, its sphere's diameter and the diameter's inverse, as
    /// [`surface_point`] gives them.
    #[inline]
    pub(crate) fn from_surface(p: LonLat, (ecef, diameter_m, inv_diameter): (Ecef, f64, f64)) -> Self {
        Self { lonlat: p, ecef, diameter_m, inv_diameter }
    }

    /// The position.
    pub fn lonlat(&self) -> LonLat {
        self.lonlat
    }
}

/// Why a line could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineIndexError {
    /// The line has no part.
    Empty,
    /// A part has fewer than two distinct positions.
    TooFewPositions {
        /// Index of the part.
        part: usize,
    },
    /// A position is not a valid WGS84 longitude/latitude.
    InvalidPosition {
        /// Index of the part.
        part: usize,
        /// Index of the position in the part.
        index: usize,
    },
    /// An edge spans more than 180° of longitude (crossing the antimeridian is not supported).
    EdgeTooLong {
        /// Index of the part.
        part: usize,
        /// Index of the edge's first position.
        index: usize,
    },
}

impl std::fmt::Display for LineIndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => write!(f, "the line has no positions"),
            Self::TooFewPositions { part } => {
                write!(f, "part {part} has fewer than two distinct positions")
            }
            Self::InvalidPosition { part, index } => {
                write!(f, "part {part}, position {index}: not a WGS84 longitude/latitude (lon -180..180, lat -90..90)")
            }
            Self::EdgeTooLong { part, index } => {
                write!(f, "part {part}, edge from position {index}: spans more than 180° of longitude")
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    a: Ecef,
    ab: Ecef,
    /// The end, as the next piece of the part starts (`a + ab` may round differently): a point whose
    /// feet on two neighbouring pieces are both their shared vertex is exactly as far from both.
    b: Ecef,
    inv_len2: f64,
    /// Unit normal of the plane through the earth's centre, `a` and `b`; positive on the left.
    n: Ecef,
    /// First piece of a part (its start is an end of the line).
    first: bool,
    /// Last piece of a part.
    last: bool,
}

impl Piece {
    /// Closest point of the chord to `p`, lifted to the surface; and where on the chord it fell.
    #[inline]
    fn foot(&self, p: Ecef) -> (Ecef, Foot) {
        let t = p.sub(self.a).dot(self.ab) * self.inv_len2;
        if t <= 0.0 {
            (self.a, Foot::Start)
        } else if t >= 1.0 {
            (self.b, Foot::End)
        } else {
            (self.a.add(self.ab.scale(t)).to_surface(), Foot::Inside)
        }
    }

    /// The chord's numbers bit for bit, and whether it ends a part: two pieces with the same key give
    /// the same foot, chord and normal for every point.
    fn key(&self) -> ([[u64; 3]; 4], u64, bool, bool) {
        ([self.a.bits(), self.ab.bits(), self.b.bits(), self.n.bits()], self.inv_len2.to_bits(), self.first, self.last)
    }

    /// Whether, for every point within `r` of `c`, the foot on this piece is surely its end
    /// (`t ≥ 1` by far more than rounding: a millionth of the piece).
    fn ends_before(&self, (c, r): (Ecef, f64)) -> bool {
        let len = self.ab.norm();
        c.sub(self.b).dot(self.ab) - r * len > 1e-6 * len * len
    }

    /// Whether, for every point within `r` of `c`, the foot on this piece is surely its start.
    fn starts_after(&self, (c, r): (Ecef, f64)) -> bool {
        let len = self.ab.norm();
        c.sub(self.a).dot(self.ab) + r * len < -1e-6 * len * len
    }

    /// 3-D distance from `p` to the chord itself (not lifted): the convex function the pruning
    /// bounds are about; and the vector from the chord's nearest point to `p`.
    fn chord_distance(&self, p: Ecef) -> (f64, Ecef) {
        let t = (p.sub(self.a).dot(self.ab) * self.inv_len2).clamp(0.0, 1.0);
        let v = p.sub(self.a.add(self.ab.scale(t)));
        (v.norm(), v)
    }
}

/// The chord distance and direction of a piece at a cell's centre (see [`Piece::chord_distance`]).
type AtCentre = (f64, Ecef);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Foot {
    Start,
    Inside,
    End,
}

/// A line's parts checked for indexing ([`LineIndex::of`]): every position a valid WGS84 position,
/// repeated positions dropped, at least two positions a part, no edge spanning more than 180° of
/// longitude.
#[derive(Debug, Clone, PartialEq)]
pub struct LineParts {
    parts: Vec<Vec<LonLat>>,
    /// Positions as given, repeats included.
    vertices: usize,
}

impl LineParts {
    /// Checks a line made of one or more parts.
    ///
    /// # Errors
    /// When the line has no part, a part has fewer than two distinct positions, a position is out of
    /// range, or an edge spans more than 180° of longitude.
    pub fn new(parts: &[Vec<LonLat>]) -> Result<Self, LineIndexError> {
        if parts.is_empty() {
            return Err(LineIndexError::Empty);
        }
        let mut checked = Vec::with_capacity(parts.len());
        let mut vertices = 0;
        for (pi, part) in parts.iter().enumerate() {
            let mut pts: Vec<LonLat> = Vec::with_capacity(part.len());
            for (i, p) in part.iter().enumerate() {
                if !p.is_valid() {
                    return Err(LineIndexError::InvalidPosition { part: pi, index: i });
                }
                if pts.last() != Some(p) {
                    pts.push(*p);
                }
            }
            if pts.len() < 2 {
                return Err(LineIndexError::TooFewPositions { part: pi });
            }
            if let Some(i) = pts.windows(2).position(|w| (w[1].lon - w[0].lon).abs() > 180.0) {
                return Err(LineIndexError::EdgeTooLong { part: pi, index: i });
            }
            vertices += part.len();
            checked.push(pts);
        }
        Ok(Self { parts: checked, vertices })
    }
}

/// A reference line indexed for distance and side queries. See the module documentation.
#[derive(Debug, Clone)]
pub struct LineIndex {
    pieces: Vec<Piece>,
    tree: QuadTree,
    /// Leaf payloads: ranges into `candidates`.
    leaves: Vec<(u32, u32)>,
    candidates: Vec<u32>,
    /// The box of the cut line, west, south, east, north.
    bbox: [f64; 4],
    /// The quadtree's extent, west, south, east, north.
    extent: [f64; 4],
    /// Sagitta of the longest piece: how far a lifted foot can be from its chord, metres.
    sagitta: f64,
    beyond_ends: SideBeyondEnds,
    vertices: usize,
}

/// Figures about a built index, for benchmarks and the README.
#[derive(Debug, Clone, Copy)]
pub struct LineIndexStats {
    /// Vertices of the line as given.
    pub vertices: usize,
    /// Chord pieces after cutting the geodesic edges.
    pub pieces: usize,
    /// Quadtree nodes.
    pub nodes: usize,
    /// Deepest quadtree level.
    pub depth: u32,
    /// Largest number of candidates in a leaf.
    pub max_candidates: usize,
    /// Mean number of candidates per leaf.
    pub mean_candidates: f64,
}

const TOP_CELL_DEG: f64 = 1.0;
const MAX_DEPTH: u32 = 10;
/// The default and least [`LineOptions::leaf_candidates`].
const LEAF_CANDIDATES: usize = 4;
const ABS_TOLERANCE_M: f64 = 0.25;
const REL_TOLERANCE: f64 = 0.0004;
const ON_LINE_M: f64 = 0.01;
/// How far beyond the line's box a cell table reaches, degrees (about 220 km of latitude).
const TABLE_MARGIN_DEG: f64 = 2.0;
/// Longest candidate list a table cell keeps; more sends the cell down the exact path.
const TABLE_LIST_MAX: usize = 8;

impl LineIndex {
    /// Indexes a line made of one or more parts (a LineString is one part, a MultiLineString several).
    ///
    /// # Errors
    /// When a part has fewer than two distinct positions, a position is out of range, or an edge spans
    /// more than 180° of longitude.
    pub fn new(parts: &[Vec<LonLat>], options: LineOptions) -> Result<Self, LineIndexError> {
        Ok(Self::of(&LineParts::new(parts)?, options))
    }

    /// Indexes a line whose parts were checked ([`LineParts::new`]): this cannot fail, so a caller may
    /// check a line when it is loaded and build its index later, when it is first asked.
    pub fn of(line: &LineParts, options: LineOptions) -> Self {
        let mut pieces = Vec::new();
        let (mut min_lon, mut min_lat, mut max_lon, mut max_lat) = (180.0f64, 90.0f64, -180.0f64, -90.0f64);
        let mut max_piece_m: f64 = 0.0;
        for pts in &line.parts {
            let mut dense: Vec<LonLat> = vec![pts[0]];
            for w in pts.windows(2) {
                let (azi, len) = azimuth_and_distance(w[0], w[1]);
                let n = (len / options.max_segment_m).ceil().max(1.0) as usize;
                for k in 1..n {
                    dense.push(destination(w[0], azi, len * k as f64 / n as f64));
                }
                dense.push(w[1]);
                max_piece_m = max_piece_m.max(len / n as f64);
            }
            let first_piece = pieces.len();
            for w in dense.windows(2) {
                let (a, b) = (Ecef::from_lonlat(w[0]), Ecef::from_lonlat(w[1]));
                let ab = b.sub(a);
                let n = a.cross(b);
                pieces.push(Piece {
                    a,
                    ab,
                    b,
                    inv_len2: 1.0 / ab.dot(ab),
                    n: n.scale(1.0 / n.norm()),
                    first: false,
                    last: false,
                });
            }
            pieces[first_piece].first = true;
            if let Some(last) = pieces.last_mut() {
                last.last = true;
            }
            for p in &dense {
                min_lon = min_lon.min(p.lon);
                max_lon = max_lon.max(p.lon);
                min_lat = min_lat.min(p.lat);
                max_lat = max_lat.max(p.lat);
            }
        }

        // The extent: the line's box grown by the margin, in whole top-level cells.
        let dlat = options.margin_m / 110_574.0;
        let lat0 = (min_lat - dlat).max(-90.0).floor();
        let lat1 = (max_lat + dlat).min(90.0).ceil();
        let widest = lat0.abs().max(lat1.abs()).min(89.0).to_radians().cos();
        let dlon = (options.margin_m / (111_320.0 * widest)).min(360.0);
        let lon0 = (min_lon - dlon).max(-180.0).floor();
        let lon1 = (max_lon + dlon).min(180.0).ceil();
        let nx = ((lon1 - lon0) / TOP_CELL_DEG).ceil().max(1.0) as usize;
        let ny = ((lat1 - lat0) / TOP_CELL_DEG).ceil().max(1.0) as usize;

        // Sagitta of the longest piece: how far a lifted foot can be from the chord.
        let sagitta = max_piece_m * max_piece_m / (8.0 * 6_356_000.0);
        let root: Vec<(u32, bool)> = (0..pieces.len() as u32).map(|i| (i, false)).collect();
        let mut leaves = Vec::new();
        let mut candidates = Vec::new();
        let mut radii = Radii::default();
        let tree = QuadTree::build(
            Grid { lon0, lat0, top_size: TOP_CELL_DEG, nx, ny },
            &root,
            MAX_DEPTH,
            &mut |cell, parent, depth| {
                let kept = prune(&pieces, radii.ball(cell), parent, sagitta);
                if kept.len() <= options.leaf_candidates.max(LEAF_CANDIDATES) || depth == MAX_DEPTH {
                    let start = candidates.len() as u32;
                    candidates.extend(kept.iter().map(|&(i, _)| i));
                    leaves.push((start, kept.len() as u32));
                    Refined::Leaf((leaves.len() - 1) as u32)
                } else {
                    Refined::Split(kept)
                }
            },
        );
        Self {
            pieces,
            tree,
            leaves,
            candidates,
            bbox: [min_lon, min_lat, max_lon, max_lat],
            extent: [lon0, lat0, lon0 + nx as f64, lat0 + ny as f64],
            sagitta,
            beyond_ends: options.beyond_ends,
            vertices: line.vertices,
        }
    }

    /// The box a cell table should cover for this line (west, south, east, north): the line's box grown
    /// by about 220 km, in whole degrees, within the quadtree's extent.
    pub(crate) fn table_box(&self) -> [f64; 4] {
        let [w, s, e, n] = self.bbox;
        let [x0, y0, x1, y1] = self.extent;
        [
            (w - TABLE_MARGIN_DEG).floor().max(x0),
            (s - TABLE_MARGIN_DEG).floor().max(y0),
            (e + TABLE_MARGIN_DEG).ceil().min(x1),
            (n + TABLE_MARGIN_DEG).ceil().min(y1),
        ]
    }

    /// The pieces a leaf lists, in its order.
    fn leaf(&self, leaf: u32) -> &[u32] {
        let (start, len) = self.leaves[leaf as usize];
        &self.candidates[start as usize..(start + len) as usize]
    }

    /// What a cell table holds for `cell` of quadtree level `level` (see the module documentation): a
    /// piece; [`LIST`]` | list(pieces)` for several, `list` storing them and returning where; or
    /// [`EXACT`].
    /// `ball` is [`cell_ball`]'s for the cell.
    pub(crate) fn cell_hint(
        &self,
        cell: &Cell,
        level: u32,
        (c, r): (Ecef, f64),
        list: &mut dyn FnMut(&[u32]) -> u32,
    ) -> u32 {
        let mut found = Vec::new();
        self.tree.leaves_in(cell.center(), level, &mut found);
        let mut union: Vec<u32> = found.iter().flat_map(|&leaf| self.leaf(leaf).iter().copied()).collect();
        union.sort_unstable();
        union.dedup();
        let dist: Vec<AtCentre> = union.iter().map(|&i| self.pieces[i as usize].chord_distance(c)).collect();
        let Some(b) = (0..union.len()).min_by(|&x, &y| dist[x].0.total_cmp(&dist[y].0)) else {
            return EXACT;
        };
        let (db, ub) = direction(dist[b]);
        let sagitta = self.sagitta;
        // A lifted foot is within a sagitta of its chord (1% for the ellipsoid's tighter curvature, and
        // a millimetre for rounding): a piece this much farther is never the nearest.
        let margin = 2.02 * sagitta + 0.001;
        let kept: Vec<u32> = (0..union.len())
            .filter(|&k| k == b || lower_bound(dist[k], (db, ub), r) < margin)
            .map(|k| union[k])
            .collect();
        if let [only] = kept[..]
            && only < SAME
            && found.iter().all(|&leaf| self.leaf(leaf).contains(&only))
        {
            return only;
        }
        let [leaf] = found[..] else {
            // Across several leaves: the walk, from the cell's own node down.
            return match self.tree.branch_at(cell.center(), level) {
                Some(first) if first < NODE_MAX => NODE | first,
                _ => EXACT,
            };
        };
        if kept.len() > TABLE_LIST_MAX {
            // The leaf's own candidates: what the walk measures, without the walk.
            return LIST | list(self.leaf(leaf));
        }
        let pieces: Vec<u32> = self.leaf(leaf).iter().copied().filter(|i| kept.contains(i)).collect();
        // Two neighbours of one part whose feet are, everywhere in the cell, their shared vertex
        // (beyond the vertex on the convex side of a bend): both are exactly as far, both give the
        // same side (the sum of their normals), so whichever the walk picks, one of them answers.
        if let [x, y] = pieces[..] {
            let (i, j) = (x.min(y), x.max(y));
            let (p, q) = (&self.pieces[i as usize], &self.pieces[j as usize]);
            if j == i + 1 && !p.last && p.ends_before((c, r)) && q.starts_after((c, r)) {
                return i;
            }
        }
        LIST | list(&pieces)
    }

    /// Whether `piece` of this line answers every point exactly as `theirs` of `other` does (see
    /// [`LineIndex::answer`]): the same chord bit for bit, the same neighbouring normals wherever the
    /// side takes them (at a vertex inside a part), the same policy beyond an end of a part. Lines
    /// that share stretches, such as a party's line drawn from the line of contact, share those
    /// pieces' answers, and a [`crate::FenceTable`] computes them once.
    pub(crate) fn same_piece(&self, piece: u32, other: &LineIndex, theirs: u32) -> bool {
        let (i, j) = (piece as usize, theirs as usize);
        let (mine, its) = (&self.pieces[i], &other.pieces[j]);
        mine.key() == its.key()
            && (mine.first || self.pieces[i - 1].n.bits() == other.pieces[j - 1].n.bits())
            && (mine.last || self.pieces[i + 1].n.bits() == other.pieces[j + 1].n.bits())
            && (!(mine.first || mine.last) || self.beyond_ends == other.beyond_ends)
    }

    /// Distance from `p` to the line and the side it is on.
    ///
    /// # Units
    /// `p` in WGS84 degrees; the distance in metres along the ellipsoid.
    ///
    /// # Examples
    /// ```
    /// use truce_geo::{LineIndex, LineOptions, LonLat, Side};
    /// // A meridian walked northwards: east of it is the right-hand side.
    /// let line = LineIndex::new(&[vec![LonLat::new(36.0, 47.0), LonLat::new(36.0, 49.0)]], LineOptions::default()).unwrap();
    /// let d = line.query(LonLat::new(36.1, 48.0));
    /// assert!((d.distance_m - 7_460.0).abs() < 10.0);
    /// assert_eq!(d.side, Side::Right);
    /// ```
    #[inline]
    pub fn query(&self, p: LonLat) -> LineDistance {
        self.query_at(&QueryPoint::new(p))
    }

    /// [`LineIndex::query`] for a prepared point. This is the exact path: the quadtree walk and its
    /// leaf's candidates (every piece beyond the tree's extent). A [`crate::FenceTable`] gives the same
    /// answers with less work.
    #[inline]
    pub fn query_at(&self, p: &QueryPoint) -> LineDistance {
        let best = match self.tree.lookup(p.lonlat) {
            Some(leaf) => self.nearest(p.ecef, self.leaf(leaf).iter().map(|&i| i as usize)),
            None => self.nearest(p.ecef, 0..self.pieces.len()),
        };
        self.answer(p, best)
    }

    /// The answer when `piece` is the nearest.
    #[inline]
    pub(crate) fn query_piece(&self, p: &QueryPoint, piece: u32) -> LineDistance {
        let (q, foot) = self.pieces[piece as usize].foot(p.ecef);
        let v = p.ecef.sub(q);
        self.answer(p, Some((piece as usize, foot, v.dot(v))))
    }

    /// The walk's answer for a point of the table cell whose quadtree node at depth `level` is the
    /// branch whose children start at `first`: [`LineIndex::query_at`] without the first `level` steps.
    #[inline]
    pub(crate) fn query_below(&self, p: &QueryPoint, first: u32, level: u32) -> LineDistance {
        let leaf = self.tree.lookup_below(first, p.lonlat, level);
        self.answer(p, self.nearest(p.ecef, self.leaf(leaf).iter().map(|&i| i as usize)))
    }

    /// The answer when the nearest is among `pieces` (ties to the first).
    #[inline]
    pub(crate) fn query_pieces(&self, p: &QueryPoint, pieces: &[u32]) -> LineDistance {
        self.answer(p, self.nearest(p.ecef, pieces.iter().map(|&i| i as usize)))
    }

    /// Distance and side from the nearest piece, its foot and the squared chord to it.
    // Always inlined: left to itself the compiler calls it, passing the candidate through memory, at
    // every point of every line (3% of the classifier's time, measured).
    #[inline(always)]
    fn answer(&self, p: &QueryPoint, best: Option<(usize, Foot, f64)>) -> LineDistance {
        let Some((i, foot, chord2)) = best else {
            return LineDistance { distance_m: f64::INFINITY, side: Side::Undetermined };
        };
        let pe = p.ecef;
        let distance_m = chord_to_arc_m(chord2.sqrt(), p.diameter_m, p.inv_diameter);
        if distance_m < ON_LINE_M {
            return LineDistance { distance_m, side: Side::On };
        }
        let piece = &self.pieces[i];
        let normal = match foot {
            Foot::Inside => Some(piece.n),
            Foot::Start if !piece.first => Some(piece.n.add(self.pieces[i - 1].n)),
            Foot::End if !piece.last => Some(piece.n.add(self.pieces[i + 1].n)),
            _ => match self.beyond_ends {
                SideBeyondEnds::Extend => Some(piece.n),
                SideBeyondEnds::Undetermined => None,
            },
        };
        // Picked by index rather than by branches: for points scattered around the line the sign is a
        // coin toss, and a mispredicted branch costs more than the rest of the side.
        const BY_SIGN: [Side; 3] = [Side::On, Side::Left, Side::Right];
        let side = match normal.map(|n| pe.dot(n)) {
            None => Side::Undetermined,
            Some(s) => BY_SIGN[usize::from(s > 0.0) | usize::from(s < 0.0) << 1],
        };
        LineDistance { distance_m, side }
    }

    #[inline]
    fn nearest(&self, pe: Ecef, ids: impl Iterator<Item = usize>) -> Option<(usize, Foot, f64)> {
        let mut best: Option<(usize, Foot, f64)> = None;
        for i in ids {
            let (q, foot) = self.pieces[i].foot(pe);
            let v = pe.sub(q);
            let d2 = v.dot(v);
            if best.is_none_or(|(_, _, b)| d2 < b) {
                best = Some((i, foot, d2));
            }
        }
        best
    }

    /// Figures about the index.
    pub fn stats(&self) -> LineIndexStats {
        let (nodes, depth) = self.tree.stats();
        let max_candidates = self.leaves.iter().map(|l| l.1 as usize).max().unwrap_or(0);
        let mean_candidates = self.candidates.len() as f64 / self.leaves.len().max(1) as f64;
        LineIndexStats {
            vertices: self.vertices,
            pieces: self.pieces.len(),
            nodes,
            depth,
            max_candidates,
            mean_candidates,
        }
    }
}

/// The pieces of `parent` that can still matter somewhere in the cell of ball (`c`, `r`) (see the module
/// documentation).
fn prune(pieces: &[Piece], (c, r): (Ecef, f64), parent: &[(u32, bool)], sagitta: f64) -> Vec<(u32, bool)> {
    let dist: Vec<AtCentre> = parent.iter().map(|&(i, _)| pieces[i as usize].chord_distance(c)).collect();
    let Some(b) = (0..parent.len()).min_by(|&x, &y| dist[x].0.total_cmp(&dist[y].0)) else {
        return Vec::new();
    };
    let (db, ub) = direction(dist[b]);
    let tolerance = ABS_TOLERANCE_M.max(REL_TOLERANCE * (db - r).max(0.0));
    let exact_margin = 2.0 * sagitta;
    let mut b_protected = parent[b].1;
    let mut kept: Vec<(u32, bool)> = Vec::with_capacity(parent.len());
    for (k, &(i, protected)) in parent.iter().enumerate() {
        if k == b {
            continue;
        }
        let lower = lower_bound(dist[k], (db, ub), r);
        if lower >= exact_margin {
            continue;
        }
        if !protected && lower >= exact_margin - tolerance {
            b_protected = true;
            continue;
        }
        kept.push((i, protected));
    }
    kept.push((parent[b].0, b_protected));
    kept
}

/// A ball holding the cell's surface patch: its centre in ECEF and its radius, metres. The radius
/// depends on the cell's latitudes and size only (the ellipsoid is symmetric about its axis).
pub(crate) fn cell_ball(cell: &Cell) -> (Ecef, f64) {
    let c = Ecef::from_lonlat(cell.center());
    let mut r: f64 = 0.0;
    for (fx, fy) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.5, 0.0), (0.5, 1.0), (0.0, 0.5), (1.0, 0.5)] {
        r = r.max(Ecef::from_lonlat(cell.at(fx, fy)).sub(c).norm());
    }
    // The patch bulges a little beyond its corners and edge midpoints; points may also fall a rounding
    // error outside the cell.
    (c, r * 1.01 + 1.0)
}

/// The balls of cells ([`cell_ball`]), each radius computed once per latitude and size: it depends on
/// nothing else, so a quadtree's build converts only each cell's centre (nine conversions to ECEF per
/// cell were most of building an index).
#[derive(Default)]
pub(crate) struct Radii(std::collections::HashMap<(u64, u64), f64>);

impl Radii {
    /// The ball of `cell`: its centre and the radius of the cells of its latitude and size.
    pub(crate) fn ball(&mut self, cell: &Cell) -> (Ecef, f64) {
        let key = (cell.lat0.to_bits(), cell.size.to_bits());
        match self.0.get(&key) {
            Some(&r) => (Ecef::from_lonlat(cell.center()), r),
            None => {
                let ball = cell_ball(cell);
                self.0.insert(key, ball.1);
                ball
            }
        }
    }
}

/// A chord distance at a cell's centre and the unit vector along it (zero on the chord).
fn direction((d, v): AtCentre) -> (f64, Ecef) {
    (d, if d > 0.0 { v.scale(1.0 / d) } else { Ecef::default() })
}

/// A lower bound, over the ball of radius `r`, of `D_s - D_b`: how much farther piece `s` is than
/// piece `b` (see the module documentation); `s` as its chord distance and vector at the centre, `b`
/// as its distance and unit direction.
fn lower_bound((ds, vs): AtCentre, (db, ub): (f64, Ecef), r: f64) -> f64 {
    let f = ds - db;
    let mut lower = f - 2.0 * r;
    if ds - r > 0.0 && db - r > 0.0 {
        let us = vs.scale(1.0 / ds);
        let smooth = f - r * us.sub(ub).norm() - 0.5 * r * r * (1.0 / (ds - r) + 1.0 / (db - r));
        lower = lower.max(smooth);
    }
    lower
}
impl std::error::Error for LineIndexError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geodesic::reference_distance_to_line_m;

    fn check(index: &LineIndex, parts: &[Vec<LonLat>], p: LonLat) {
        let got = index.query(p).distance_m;
        let want = reference_distance_to_line_m(p, parts);
        let allowed = (want * 0.001).max(1.0);
        assert!((got - want).abs() <= allowed, "{p:?}: got {got} m, Karney {want} m");
    }

    #[test]
    fn matches_karney_near_and_far() {
        let parts = vec![crate::fixtures::line_of_contact_2025()];
        let index = LineIndex::new(&parts, LineOptions::default()).unwrap();
        for p in [
            LonLat::new(37.5557, 48.7305), // Kramatorsk
            LonLat::new(37.8028, 48.0159), // Donetsk
            LonLat::new(35.1396, 47.8388), // Zaporizhzhia
            LonLat::new(32.6169, 46.6354), // Kherson
            LonLat::new(34.1024, 44.9521), // Simferopol, Crimea
            LonLat::new(30.5234, 50.4501), // Kyiv
            LonLat::new(24.0316, 49.8397), // Lviv: ~900 km
            LonLat::new(37.6173, 55.7558), // Moscow: ~600 km, beyond the northern end
        ] {
            check(&index, &parts, p);
        }
    }

    #[test]
    fn vertex_is_on_the_line_and_sides_follow_direction() {
        let index = LineIndex::new(&[crate::fixtures::line_of_contact_2025()], LineOptions::default()).unwrap();
        let v = index.query(LonLat::new(37.83588, 48.58844));
        assert!(v.distance_m < 0.01, "{v:?}");
        assert_eq!(v.side, Side::On);
        // Russian-held ground is on the left walking north-east to south-west.
        assert_eq!(index.query(LonLat::new(37.8028, 48.0159)).side, Side::Left); // Donetsk
        assert_eq!(index.query(LonLat::new(37.5557, 48.7305)).side, Side::Right); // Kramatorsk
        assert_eq!(index.query(LonLat::new(34.1024, 44.9521)).side, Side::Left); // Crimea
        assert_eq!(index.query(LonLat::new(32.6169, 46.6354)).side, Side::Right); // Kherson
    }

    #[test]
    fn beyond_the_ends_policy() {
        let line = vec![vec![LonLat::new(36.0, 47.0), LonLat::new(36.0, 48.0)]];
        let p = LonLat::new(36.05, 48.5); // north of the end, slightly east
        let ext = LineIndex::new(&line, LineOptions::default()).unwrap();
        assert_eq!(ext.query(p).side, Side::Right);
        let und =
            LineIndex::new(&line, LineOptions { beyond_ends: SideBeyondEnds::Undetermined, ..LineOptions::default() })
                .unwrap();
        assert_eq!(und.query(p).side, Side::Undetermined);
        // Within the span the policy changes nothing.
        assert_eq!(und.query(LonLat::new(36.05, 47.5)).side, Side::Right);
    }

    #[test]
    fn degenerate_lines_are_rejected() {
        assert_eq!(LineIndex::new(&[], LineOptions::default()).unwrap_err(), LineIndexError::Empty);
        let one = vec![vec![LonLat::new(30.0, 45.0), LonLat::new(30.0, 45.0)]];
        assert_eq!(
            LineIndex::new(&one, LineOptions::default()).unwrap_err(),
            LineIndexError::TooFewPositions { part: 0 }
        );
        let bad = vec![vec![LonLat::new(30.0, 45.0), LonLat::new(30.0, 95.0)]];
        assert_eq!(
            LineIndex::new(&bad, LineOptions::default()).unwrap_err(),
            LineIndexError::InvalidPosition { part: 0, index: 1 }
        );
    }

    #[test]
    fn index_is_compact() {
        let s = LineIndex::new(&[crate::fixtures::line_of_contact_2025()], LineOptions::default()).unwrap().stats();
        assert!(s.max_candidates <= 64, "{s:?}");
        assert!(s.nodes < 2_000_000, "{s:?}");
    }
}
