//! A flat grid over longitude/latitude cells with one small integer per cell, found with two
//! multiplications and one array read, no tree walk.
//!
//! Cells are squares of 2^-level degrees laid from a whole-degree origin, so every grid cell is exactly
//! one cell of the quadtrees' level `level` (their top cells are whole degrees): what a quadtree knows
//! about the cell is found by descending to that level from its centre. The level is the finest that
//! keeps the grid within [`MAX_CELLS`] cells, never finer than [`MAX_LEVEL`]. Values are stored as
//! `u16` when they all fit (1 MiB at most), as `u32` otherwise.
//!
//! A point within a billionth of a cell of a cell's edge is not looked up: another computation of its
//! cell (the quadtree's, from another origin) could round it into the neighbour, and the caller's exact
//! path answers it instead.
//! The point's place within its cell also gives its sub-cell, for a caller that subdivides some cells
//! ([`CellTable::sub_cell`]), with the same margin at the sub-cells' edges.
//!
//! The grid also keeps the sine and cosine of every row's and column's centre, so that a point found in
//! a cell gets the sines and cosines of its latitude and longitude by the angle-sum formulas from an
//! angle of at most half a cell, whose sine and cosine are short polynomials ([`sin_cos_near`]):
//! no call to the trigonometric functions, which were a fifth of classifying a point.

use crate::ecef::{NearW, surface_point_near};
use crate::quadtree::Cell;
use crate::{LonLat, QueryPoint};

/// Most cells in one grid: 2^19.
pub(crate) const MAX_CELLS: usize = 1 << 19;

/// Finest level: cells of 1/256° (about 430 m of latitude).
pub(crate) const MAX_LEVEL: u32 = 8;

/// How close to a cell's edge (in cells) a point is left to the exact path.
const EDGE_GUARD: f64 = 1e-9;

/// Small integers, as `u16` when they all fit, else as `u32`: a grid's values, a table's sub-cells.
#[derive(Debug, Clone)]
pub(crate) enum Ids {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Ids {
    pub(crate) fn new(values: Vec<u32>) -> Self {
        if values.iter().all(|&v| v <= u32::from(u16::MAX)) {
            Self::Narrow(values.into_iter().map(|v| v as u16).collect())
        } else {
            Self::Wide(values)
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> u32 {
        match self {
            Self::Narrow(v) => u32::from(v[i]),
            Self::Wide(v) => v[i],
        }
    }

    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Self::Narrow(v) => Box::new(v.iter().map(|&x| u32::from(x))),
            Self::Wide(v) => Box::new(v.iter().copied()),
        }
    }

    pub(crate) fn bytes(&self) -> usize {
        match self {
            Self::Narrow(v) => v.len() * size_of::<u16>(),
            Self::Wide(v) => v.len() * size_of::<u32>(),
        }
    }
}

/// The grid. See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct CellTable {
    lon0: f64,
    lat0: f64,
    /// Cells per degree, 2^level.
    per_deg: f64,
    /// The quadtrees' level of the cells.
    level: u32,
    nx: usize,
    ny: usize,
    /// `nx` and `ny` as floating point, for the bounds test (a conversion from `usize` is several
    /// instructions on x86-64, and every point makes it).
    nx_f: f64,
    ny_f: f64,
    cells: Ids,
    /// Per row, its centre's latitude (degrees), sine and cosine.
    rows: Vec<Centre>,
    /// Per row, what a surface point of the row needs of its centre ([`surface_point_near`]).
    rows_w: Vec<NearW>,
    /// Per column, its centre's longitude (degrees), sine and cosine.
    cols: Vec<Centre>,
}

/// A row's or column's centre: the angle in degrees, its sine and cosine.
#[derive(Debug, Clone, Copy)]
struct Centre {
    deg: f64,
    sin: f64,
    cos: f64,
}

impl Centre {
    fn at(deg: f64) -> Self {
        let (sin, cos) = deg.to_radians().sin_cos();
        Self { deg, sin, cos }
    }
}

/// Sine and cosine of `deg` degrees, which lie within half a cell (at most a quarter of a degree) of
/// `c`: the angle-sum formulas with the sine and cosine of the small difference `d` from their Taylor
/// series to `d⁷` and `d⁶`, whose next terms are below 10⁻²⁶ for `|d| ≤ 0.0044` rad.
#[inline]
fn sin_cos_near(deg: f64, c: &Centre) -> (f64, f64) {
    const S3: f64 = 1.0 / 6.0;
    const S5: f64 = 1.0 / 20.0;
    const S7: f64 = 1.0 / 42.0;
    const C2: f64 = 0.5;
    const C4: f64 = 1.0 / 12.0;
    const C6: f64 = 1.0 / 30.0;
    let d = (deg - c.deg).to_radians();
    let d2 = d * d;
    let sd = d * (1.0 - d2 * S3 * (1.0 - d2 * S5 * (1.0 - d2 * S7)));
    let cd = 1.0 - d2 * C2 * (1.0 - d2 * C4 * (1.0 - d2 * C6));
    (c.sin * cd + c.cos * sd, c.cos * cd - c.sin * sd)
}

/// Where [`CellTable::find`] found a point: the cell's column and row, and the point's place in the
/// cell (fractions of its edge from its south-west corner).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    ix: usize,
    iy: usize,
    rx: f64,
    ry: f64,
}

impl CellTable {
    /// A grid over the whole-degree box of `deg_x` × `deg_y` degrees from (`lon0`, `lat0`), at the
    /// finest level that fits; `fill(cell, level)` gives each cell's value. `None` when not even
    /// half-degree cells fit (or the box is empty).
    pub(crate) fn build(
        lon0: f64,
        lat0: f64,
        deg_x: usize,
        deg_y: usize,
        mut fill: impl FnMut(&Cell, u32) -> u32,
    ) -> Option<Self> {
        if deg_x == 0 || deg_y == 0 {
            return None;
        }
        let level = (1..=MAX_LEVEL).rev().find(|&l| (deg_x << l).saturating_mul(deg_y << l) <= MAX_CELLS)?;
        let (nx, ny) = (deg_x << level, deg_y << level);
        let size = 1.0 / f64::from(1u32 << level);
        let mut values = Vec::with_capacity(nx * ny);
        for iy in 0..ny {
            for ix in 0..nx {
                let cell = Cell { lon0: lon0 + ix as f64 * size, lat0: lat0 + iy as f64 * size, size };
                values.push(fill(&cell, level));
            }
        }
        let cells = Ids::new(values);
        let rows: Vec<Centre> = (0..ny).map(|iy| Centre::at(lat0 + (iy as f64 + 0.5) * size)).collect();
        let rows_w = rows.iter().map(|r| NearW::at(r.sin)).collect();
        let cols = (0..nx).map(|ix| Centre::at(lon0 + (ix as f64 + 0.5) * size)).collect();
        let (nx_f, ny_f) = (nx as f64, ny as f64);
        Some(Self {
            lon0,
            lat0,
            per_deg: f64::from(1u32 << level),
            level,
            nx,
            ny,
            nx_f,
            ny_f,
            cells,
            rows,
            rows_w,
            cols,
        })
    }

    /// The cell holding `p`; `None` outside the grid, near a cell's edge and for NaN.
    #[inline]
    pub(crate) fn find(&self, p: LonLat) -> Option<Found> {
        let fx = (p.lon - self.lon0) * self.per_deg;
        let fy = (p.lat - self.lat0) * self.per_deg;
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.nx_f && fy < self.ny_f) {
            return None;
        }
        // Within the grid, so below 2^19: through `i64`, one instruction each way on x86-64 (through
        // `usize` the conversions take a dozen).
        let (jx, jy) = (fx as i64, fy as i64);
        let (rx, ry) = (fx - jx as f64, fy - jy as f64);
        let (ix, iy) = (jx as usize, jy as usize);
        if rx.min(ry) < EDGE_GUARD || rx.max(ry) > 1.0 - EDGE_GUARD {
            return None;
        }
        Some(Found { ix, iy, rx, ry })
    }

    /// The number of a cell found by [`CellTable::find`] (row by row from the south-west).
    #[inline]
    pub(crate) fn index(&self, at: Found) -> usize {
        at.iy * self.nx + at.ix
    }

    /// The value of the cell numbered `i`.
    #[inline]
    pub(crate) fn value(&self, i: usize) -> u32 {
        self.cells.get(i)
    }

    /// Which of the `2^levels × 2^levels` sub-cells of its cell holds a point found at `at`, numbered
    /// row by row from the south-west; `None` within a billionth of a cell of a sub-cell's edge (the
    /// same margin, in degrees, as [`CellTable::find`]'s).
    #[inline]
    pub(crate) fn sub_cell(at: Found, levels: u32) -> Option<usize> {
        let n = f64::from(1u32 << levels);
        // Exact: multiplying by a power of two.
        let (sx, sy) = (at.rx * n, at.ry * n);
        let (jx, jy) = (sx as i64, sy as i64);
        let (fx, fy) = (sx - jx as f64, sy - jy as f64);
        let guard = EDGE_GUARD * n;
        if fx.min(fy) < guard || fx.max(fy) > 1.0 - guard {
            return None;
        }
        Some((jy as usize) << levels | jx as usize)
    }

    /// The value of the cell holding `p`; `None` outside the grid, near a cell's edge and for NaN.
    #[cfg(test)]
    pub(crate) fn get(&self, p: LonLat) -> Option<u32> {
        self.find(p).map(|at| self.value(self.index(at)))
    }

    /// The sines and cosines of the latitude and of the longitude of `p`, found in the cell `at`:
    /// within a few units in the last place of `sin_cos`, without calling it.
    #[inline]
    pub(crate) fn sin_cos(&self, p: LonLat, at: Found) -> ((f64, f64), (f64, f64)) {
        (sin_cos_near(p.lat, &self.rows[at.iy]), sin_cos_near(p.lon, &self.cols[at.ix]))
    }

    /// `p` found in the cell `at`, prepared for line queries: [`QueryPoint::new`] within a few units in
    /// the last place, without a trigonometric call, a division or a square root.
    #[inline]
    pub(crate) fn query_point(&self, p: LonLat, at: Found) -> QueryPoint {
        let ((slat, clat), (slon, clon)) = self.sin_cos(p, at);
        QueryPoint::from_surface(p, surface_point_near(slat, clat, slon, clon, &self.rows_w[at.iy]))
    }

    /// The value of every cell.
    pub(crate) fn values(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        self.cells.iter()
    }

    /// Number of cells.
    pub(crate) fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// The quadtrees' level of the cells.
    pub(crate) fn level(&self) -> u32 {
        self.level
    }

    /// Cell edge, degrees.
    pub(crate) fn cell_deg(&self) -> f64 {
        1.0 / self.per_deg
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.cells.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_found_where_they_were_built() {
        let mut built = Vec::new();
        let table = CellTable::build(10.0, 20.0, 3, 2, |cell, _| {
            built.push(*cell);
            (built.len() - 1) as u32
        })
        .expect("fits");
        assert_eq!(table.cell_deg(), 1.0 / f64::from(1u32 << MAX_LEVEL));
        assert!(matches!(table.cells, Ids::Wide(_)), "more than 65,536 values");
        assert_eq!(table.bytes(), table.len() * 4);
        for (lon, lat) in [(10.001, 20.001), (12.999, 21.999), (11.3, 20.7), (10.5001, 21.2501)] {
            let c = built[table.get(LonLat::new(lon, lat)).expect("inside") as usize];
            assert!(lon >= c.lon0 && lon < c.lon1() && lat >= c.lat0 && lat < c.lat1(), "({lon}, {lat}) {c:?}");
        }
        for (lon, lat) in [(9.99, 20.5), (13.0, 21.0), (11.0, 22.0), (f64::NAN, 21.0), (10.5, 20.3), (11.3, 21.0)] {
            assert_eq!(table.get(LonLat::new(lon, lat)), None, "({lon}, {lat}): outside or on an edge");
        }
        assert_eq!(table.values().count(), table.len());
    }

    #[test]
    fn sub_cells_are_numbered_row_by_row_and_their_edges_left_out() {
        let table = CellTable::build(10.0, 20.0, 2, 2, |_, _| 0).expect("fits");
        let d = table.cell_deg();
        let at =
            |fx: f64, fy: f64| table.find(LonLat::new(10.0 + (3.0 + fx) * d, 20.0 + (5.0 + fy) * d)).expect("inside");
        assert_eq!(CellTable::sub_cell(at(0.1, 0.1), 2), Some(0));
        assert_eq!(CellTable::sub_cell(at(0.3, 0.1), 2), Some(1));
        assert_eq!(CellTable::sub_cell(at(0.1, 0.3), 2), Some(4));
        assert_eq!(CellTable::sub_cell(at(0.9, 0.9), 2), Some(15));
        assert_eq!(CellTable::sub_cell(at(0.9, 0.6), 1), Some(3));
        // On a sub-cell's edge, and within the cell's margin of it: the whole cell answers.
        assert_eq!(CellTable::sub_cell(at(0.25, 0.6), 2), None);
        assert_eq!(CellTable::sub_cell(at(0.6, 0.5 + 5e-10), 2), None);
        assert_eq!(CellTable::sub_cell(at(0.6, 0.5 + 2e-9), 2), Some(10));
    }

    #[test]
    fn large_boxes_get_coarser_cells_and_small_values_narrow_storage() {
        let table = CellTable::build(0.0, 0.0, 40, 30, |_, level| level).expect("fits");
        assert_eq!(table.cell_deg(), 1.0 / 16.0);
        assert_eq!(table.get(LonLat::new(1.01, 1.01)), Some(4), "fill is told the level");
        assert_eq!(table.bytes(), table.len() * 2);
        assert!(table.len() <= MAX_CELLS);
        assert!(CellTable::build(-180.0, -90.0, 360, 180, |_, _| 0).is_some_and(|t| t.cell_deg() == 0.5));
        assert!(CellTable::build(0.0, 0.0, 0, 3, |_, _| 0).is_none());
    }

    /// The sines and cosines from a cell's centre are those of `sin_cos` to within 6 × 10⁻¹⁶, at the
    /// finest and the coarsest level, over the whole globe and at cells' edges.
    #[test]
    fn sines_and_cosines_from_the_cell_are_those_of_the_library() {
        let fine = CellTable::build(20.0, 40.0, 30, 16, |_, _| 0).expect("fits");
        let coarse = CellTable::build(-180.0, -90.0, 360, 180, |_, _| 0).expect("fits");
        assert_eq!(coarse.cell_deg(), 0.5);
        let mut rng = crate::fixtures::Rng::new(11);
        let mut worst = 0.0f64;
        for (table, b) in [(&fine, (20.0, 40.0, 50.0, 56.0)), (&coarse, (-180.0, -90.0, 180.0, 90.0))] {
            let step = table.cell_deg();
            let edges = (0..2_000).map(|k| {
                let (x, y) = (b.0 + step * f64::from(k % 97), b.1 + step * f64::from(k % 89));
                LonLat::new(x + 2e-9 * step, y + step * (1.0 - 2e-9))
            });
            for p in rng.points(20_000, b).into_iter().chain(edges) {
                let Some(at) = table.find(p) else { continue };
                let ((slat, clat), (slon, clon)) = table.sin_cos(p, at);
                let (elat, elon) = (p.lat.to_radians().sin_cos(), p.lon.to_radians().sin_cos());
                for (got, want) in [(slat, elat.0), (clat, elat.1), (slon, elon.0), (clon, elon.1)] {
                    worst = worst.max((got - want).abs());
                }
            }
        }
        assert!(worst <= 6e-16, "largest difference {worst:e}");
    }
}
