//! One precomputed table that answers, for most points, every line and zone of a set of fences at once.
//!
//! # Design
//!
//! The fences change rarely and the points are many. [`LineIndex`] and [`ZoneIndex`] answer any point
//! with a quadtree walk (up to ten levels, then a few chords or edge predicates); that is the exact path.
//! A [`FenceTable`] is built once over the same fences and answers most points without it:
//!
//! - a flat grid of square cells (2^-k degrees, aligned on the quadtrees' cells, see `table.rs`) covers
//!   the lines' boxes grown by about 220 km and the zones' extent; the cell holding a point is two
//!   multiplications away, no tree walk;
//! - for every cell and every line the table holds the single chord piece that is provably the one the
//!   walk would pick anywhere in the cell, or the short list it would choose from, or "exact"
//!   ([`LineIndex`]'s module documentation says when);
//! - where a line's piece (or list) is, bit for bit, one an earlier line holds in the same cell, with
//!   the same neighbours and policy at the ends, the cell says "as line `j`": lines that share
//!   stretches (a party's withdrawal line drawn from the line of contact, as in the illustrative
//!   agreement) are measured once there, and the second answer is a copy of the first;
//! - for the zones it holds the set of zones covering the whole cell when no zone edge touches the cell,
//!   or "exact";
//! - cells have few distinct combinations of these (a few thousand for the illustrative agreement), so
//!   each combination is stored once as a record and a cell holds only the record's number, in 16 bits
//!   when they fit. A point costs one small read, then one chord per line; the table is small enough
//!   (about 1 MiB for the illustrative agreement) to stay in the processor's cache.
//!
//! Cells straddling a boundary (a zone edge, a line of many short pieces, leaves that disagree) and
//! points outside the grid or within a billionth of a cell of a cell's edge fall back to the exact
//! paths, per line and for the zones separately. Every answer is bit for bit the exact path's: the
//! property tests compare the two on random points, on cell edges, line vertices and zone edges.
//!
//! # Memory
//!
//! The grid has at most 2^19 cells (1 MiB as `u16`, 2 MiB as `u32`); records take `4 × (lines + 1)`
//! bytes each, candidate lists at most nine `u32` each, or a leaf's whole list (up to 67 on a 20,000-vertex
//! zigzag). [`FenceTable::stats`] reports the figures.

use std::collections::HashMap;

use crate::line::Radii;
use crate::table::CellTable;
use crate::{LineDistance, LineIndex, LonLat, QueryPoint, ZoneIndex};

/// Value of a record's entry the table does not answer: the caller takes the exact path.
pub(crate) const EXACT: u32 = u32::MAX;

/// Tag of a line entry that is an offset into the candidate lists (pieces are below it).
pub(crate) const LIST: u32 = 1 << 31;

/// Tag of a line entry that is an earlier line's number: this line's answer is that line's, bit for
/// bit (pieces are below it).
pub(crate) const SAME: u32 = 1 << 30;

/// Tag of a line entry that is the cell's own quadtree node (where its children start): the walk goes
/// down from there. Entries are, in order: pieces, `SAME | line`, `LIST | offset`, `NODE | node` and
/// [`EXACT`].
pub(crate) const NODE: u32 = LIST | SAME;

/// Nodes at or above this are not tagged (the walk starts from the top).
pub(crate) const NODE_MAX: u32 = !NODE;

/// A table answering most points for a set of line indexes and a zone index at once. See the module
/// documentation.
///
/// A table belongs to the indexes it was built from: [`FenceCell::line`] and [`FenceCell::zones`] must
/// be given those same indexes, the lines in the same order.
#[derive(Debug, Clone)]
pub struct FenceTable {
    grid: Option<CellTable>,
    /// The quadtrees' level of the grid's cells (0 without a grid).
    level: u32,
    /// Entries per record: one per line, then the zones.
    width: usize,
    records: Vec<u32>,
    /// Candidate lists, each its length followed by its pieces.
    lists: Vec<u32>,
    /// Zone sets: set `k` is `set_zones[sets[k]..sets[k + 1]]`.
    sets: Vec<u32>,
    set_zones: Vec<u32>,
}

/// Figures about a built [`FenceTable`], for benchmarks and the README.
#[derive(Debug, Clone, PartialEq)]
pub struct FenceTableStats {
    /// Cell edge, degrees (0 without a grid).
    pub cell_deg: f64,
    /// Cells in the grid.
    pub cells: usize,
    /// Distinct records.
    pub records: usize,
    /// Per line, the share of cells whose answer is one piece of its own.
    pub single_piece: Vec<f64>,
    /// Per line, the share of cells whose answer is an earlier line's (the same pieces).
    pub shared: Vec<f64>,
    /// Per line, the share of cells that take the exact path (from the top or from the cell's node).
    pub line_exact: Vec<f64>,
    /// Share of cells whose zones are answered from the table.
    pub zones_answered: f64,
    /// Bytes held (grid, records, lists, zone sets).
    pub bytes: usize,
}

/// The table's record for the cell holding one point.
#[derive(Debug, Clone, Copy)]
pub struct FenceCell<'a> {
    table: &'a FenceTable,
    record: &'a [u32],
}

impl FenceTable {
    /// Builds the table for `lines` and `zones` (which may be empty).
    pub fn new(lines: &[&LineIndex], zones: &ZoneIndex) -> Self {
        let width = lines.len() + 1;
        let mut table = Self {
            grid: None,
            level: 0,
            width,
            records: Vec::new(),
            lists: Vec::new(),
            sets: vec![0],
            set_zones: Vec::new(),
        };
        let boxes = lines.iter().map(|l| l.table_box()).chain(zones.extent());
        let [w, s, e, n] = boxes.fold([180.0f64, 90.0f64, -180.0f64, -90.0f64], |[w, s, e, n], b| {
            [w.min(b[0]), s.min(b[1]), e.max(b[2]), n.max(b[3])]
        });
        if w >= e || s >= n {
            return table;
        }
        let mut records: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut lists: Vec<HashMap<Vec<u32>, u32>> = vec![HashMap::new(); lines.len()];
        let mut sets: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut record = Vec::with_capacity(width);
        let mut hints = Vec::with_capacity(lines.len());
        let mut zone_set = Vec::new();
        // The cells' balls: the radius is the same along a row of cells, only the centre moves.
        let mut radii = Radii::default();
        let grid = CellTable::build(w, s, (e - w) as usize, (n - s) as usize, |cell, level| {
            let ball = radii.ball(cell);
            record.clear();
            hints.clear();
            for (k, line) in lines.iter().enumerate() {
                let (known, store) = (&mut lists[k], &mut table.lists);
                let hint = line.cell_hint(cell, level, ball, &mut |pieces| {
                    *known.entry(pieces.to_vec()).or_insert_with(|| {
                        let at = store.len() as u32;
                        store.push(pieces.len() as u32);
                        store.extend_from_slice(pieces);
                        at
                    })
                });
                hints.push(hint);
                // The first earlier line with the same answer (one that is itself "as line i" has the
                // same answer as line i, found first).
                let same = (0..k).find(|&j| same_hint(&table.lists, (lines[j], hints[j]), (line, hint)));
                record.push(same.map_or(hint, |j| SAME | j as u32));
            }
            zone_set.clear();
            record.push(if !zones.cell_zones(cell, level, &mut zone_set) {
                EXACT
            } else if let Some(&set) = sets.get(&zone_set) {
                set
            } else {
                table.set_zones.extend_from_slice(&zone_set);
                table.sets.push(table.set_zones.len() as u32);
                let set = (table.sets.len() - 2) as u32;
                sets.insert(zone_set.clone(), set);
                set
            });
            if let Some(&id) = records.get(&record) {
                return id;
            }
            table.records.extend_from_slice(&record);
            let id = (table.records.len() / width - 1) as u32;
            records.insert(record.clone(), id);
            id
        });
        table.level = grid.as_ref().map_or(0, CellTable::level);
        table.grid = grid;
        table
    }

    /// The record of the cell holding `p`; `None` when the table has none for it (outside the grid, on
    /// a cell's edge): the caller takes the exact paths.
    #[inline]
    pub fn cell(&self, p: LonLat) -> Option<FenceCell<'_>> {
        let grid = self.grid.as_ref()?;
        Some(self.record(grid.value(grid.find(p)?)))
    }

    /// [`FenceTable::cell`] and `p` prepared for line queries: from the cell's own sines and cosines
    /// when the table has the cell (see `table.rs`), else as [`QueryPoint::new`] prepares it. The two
    /// differ by a few units in the last place; whichever paths answer, give them this point.
    #[inline]
    pub fn locate(&self, p: LonLat) -> (Option<FenceCell<'_>>, QueryPoint) {
        let Some((grid, at)) = self.grid.as_ref().and_then(|g| Some((g, g.find(p)?))) else {
            return (None, QueryPoint::new(p));
        };
        (Some(self.record(grid.value(at))), grid.query_point(p, at))
    }

    #[inline]
    fn record(&self, id: u32) -> FenceCell<'_> {
        let r = id as usize * self.width;
        FenceCell { table: self, record: &self.records[r..r + self.width] }
    }

    /// Figures about the table.
    pub fn stats(&self) -> FenceTableStats {
        let Some(grid) = &self.grid else {
            return FenceTableStats {
                cell_deg: 0.0,
                cells: 0,
                records: 0,
                single_piece: Vec::new(),
                shared: Vec::new(),
                line_exact: Vec::new(),
                zones_answered: 0.0,
                bytes: 0,
            };
        };
        let cells = grid.len();
        let mut single = vec![0usize; self.width - 1];
        let mut shared = vec![0usize; self.width - 1];
        let mut exact = vec![0usize; self.width - 1];
        let mut zones = 0;
        for v in grid.values() {
            let record = &self.records[v as usize * self.width..(v as usize + 1) * self.width];
            let (lines, zone) = record.split_at(self.width - 1);
            for (k, &e) in lines.iter().enumerate() {
                single[k] += usize::from(e < SAME);
                shared[k] += usize::from((SAME..LIST).contains(&e));
                exact[k] += usize::from(e >= NODE);
            }
            zones += usize::from(zone[0] != EXACT);
        }
        FenceTableStats {
            cell_deg: grid.cell_deg(),
            cells,
            records: self.records.len() / self.width,
            single_piece: single.iter().map(|&n| n as f64 / cells as f64).collect(),
            shared: shared.iter().map(|&n| n as f64 / cells as f64).collect(),
            line_exact: exact.iter().map(|&n| n as f64 / cells as f64).collect(),
            zones_answered: zones as f64 / cells as f64,
            bytes: grid.bytes() + (self.records.len() + self.lists.len() + self.sets.len() + self.set_zones.len()) * 4,
        }
    }
}

/// The pieces of the list entry `e` ([`LIST`]` | offset`).
#[inline]
fn list(lists: &[u32], e: u32) -> &[u32] {
    let at = (e & !LIST) as usize;
    &lists[at + 1..at + 1 + lists[at] as usize]
}

/// Whether two lines' entries for one cell (pieces or lists, as [`LineIndex::cell_hint`] gives them)
/// answer every point of it alike: the same pieces in the same order (ties go to the first in both).
fn same_hint(lists: &[u32], (a, x): (&LineIndex, u32), (b, y): (&LineIndex, u32)) -> bool {
    match (x, y) {
        _ if x < SAME && y < SAME => b.same_piece(y, a, x),
        _ if (LIST..NODE).contains(&x) && (LIST..NODE).contains(&y) => {
            let (xs, ys) = (list(lists, x), list(lists, y));
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(&i, &j)| b.same_piece(j, a, i))
        }
        _ => false,
    }
}

impl FenceCell<'_> {
    /// Distance and side for the `k`-th line the table was built with, whose index is `index`, given
    /// `earlier`, this point's answers for the lines before it (in order): the same answer as
    /// [`LineIndex::query_at`].
    ///
    /// # Panics
    /// When `earlier` holds fewer than `k` answers and the cell answers this line as an earlier one.
    #[inline]
    pub fn line(&self, k: usize, index: &LineIndex, p: &QueryPoint, earlier: &[LineDistance]) -> LineDistance {
        match self.record[k] {
            e if e < SAME => index.query_piece(p, e),
            e if e < LIST => earlier[(e & !SAME) as usize],
            e if e < NODE => index.query_pieces(p, list(&self.table.lists, e)),
            EXACT => index.query_at(p),
            e => index.query_below(p, e & !NODE, self.table.level),
        }
    }

    /// Appends the zones covering `p` (in this cell), in increasing order, for the zone index `index`
    /// the table was built with: the same answer as [`ZoneIndex::covering`].
    #[inline]
    pub fn zones(&self, index: &ZoneIndex, p: LonLat, out: &mut Vec<u32>) {
        match self.zone_set() {
            Some(set) => out.extend_from_slice(set),
            None => index.covering(p, out),
        }
    }
}

impl<'a> FenceCell<'a> {
    /// The zones covering every point of this cell, in increasing order, when the table knows them
    /// (no zone edge touches the cell); `None` when the caller must ask the zone index
    /// ([`FenceCell::zones`] does). Read in place: nothing is copied.
    #[inline]
    pub fn zone_set(&self) -> Option<&'a [u32]> {
        match self.record[self.table.width - 1] {
            EXACT => None,
            set => {
                let (s, e) = (self.table.sets[set as usize], self.table.sets[set as usize + 1]);
                Some(&self.table.set_zones[s as usize..e as usize])
            }
        }
    }
}
