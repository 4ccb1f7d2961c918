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

use crate::LonLat;
use crate::quadtree::Cell;

/// Most cells in one grid: 2^19.
pub(crate) const MAX_CELLS: usize = 1 << 19;

/// Finest level: cells of 1/256° (about 430 m of latitude).
pub(crate) const MAX_LEVEL: u32 = 8;

/// How close to a cell's edge (in cells) a point is left to the exact path.
const EDGE_GUARD: f64 = 1e-9;

#[derive(Debug, Clone)]
enum Cells {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

/// The grid. See the module documentation.
#[derive(Debug, Clone)]
pub(crate) struct CellTable {
    lon0: f64,
    lat0: f64,
    /// Cells per degree, 2^level.
    per_deg: f64,
    nx: usize,
    ny: usize,
    cells: Cells,
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
        let cells = if values.iter().all(|&v| v <= u32::from(u16::MAX)) {
            Cells::Narrow(values.into_iter().map(|v| v as u16).collect())
        } else {
            Cells::Wide(values)
        };
        Some(Self { lon0, lat0, per_deg: f64::from(1u32 << level), nx, ny, cells })
    }

    /// The value of the cell holding `p`; `None` outside the grid, near a cell's edge and for NaN.
    #[inline]
    pub(crate) fn get(&self, p: LonLat) -> Option<u32> {
        let fx = (p.lon - self.lon0) * self.per_deg;
        let fy = (p.lat - self.lat0) * self.per_deg;
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64) {
            return None;
        }
        let (ix, iy) = (fx as usize, fy as usize);
        let (rx, ry) = (fx - ix as f64, fy - iy as f64);
        if rx.min(ry) < EDGE_GUARD || rx.max(ry) > 1.0 - EDGE_GUARD {
            return None;
        }
        let at = iy * self.nx + ix;
        Some(match &self.cells {
            Cells::Narrow(v) => u32::from(v[at]),
            Cells::Wide(v) => v[at],
        })
    }

    /// The value of every cell.
    pub(crate) fn values(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match &self.cells {
            Cells::Narrow(v) => Box::new(v.iter().map(|&x| u32::from(x))),
            Cells::Wide(v) => Box::new(v.iter().copied()),
        }
    }

    /// Number of cells.
    pub(crate) fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// Cell edge, degrees.
    pub(crate) fn cell_deg(&self) -> f64 {
        1.0 / self.per_deg
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        match &self.cells {
            Cells::Narrow(v) => v.len() * size_of::<u16>(),
            Cells::Wide(v) => v.len() * size_of::<u32>(),
        }
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
        assert!(matches!(table.cells, Cells::Wide(_)), "more than 65,536 values");
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
    fn large_boxes_get_coarser_cells_and_small_values_narrow_storage() {
        let table = CellTable::build(0.0, 0.0, 40, 30, |_, level| level).expect("fits");
        assert_eq!(table.cell_deg(), 1.0 / 16.0);
        assert_eq!(table.get(LonLat::new(1.01, 1.01)), Some(4), "fill is told the level");
        assert_eq!(table.bytes(), table.len() * 2);
        assert!(table.len() <= MAX_CELLS);
        assert!(CellTable::build(-180.0, -90.0, 360, 180, |_, _| 0).is_some_and(|t| t.cell_deg() == 0.5));
        assert!(CellTable::build(0.0, 0.0, 0, 3, |_, _| 0).is_none());
    }
}
