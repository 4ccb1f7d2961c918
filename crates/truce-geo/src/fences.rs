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
//!   (about 1.4 MB for the illustrative agreement) to stay mostly in the processor's cache;
//! - a cell whose record is costly (a walk, a zone edge, or lists of eight chords or more: a line of
//!   many short pieces, far enough away that many are nearly as near) is tried again as 4 × 4
//!   sub-cells of the quadtrees' level two below, each with its own record; the table keeps them when
//!   they save at least a quarter of the chords. A bit per cell says which cells are subdivided, and
//!   the count of bits set before it (kept per 64 cells) finds a cell's sub-cells; a cell's own record
//!   carries a flag when it is costly, so a point in a cheap cell does not read the bits at all.
//!   Cheap cells are left whole: most lists are two pieces, where two pieces are equally near, and
//!   subdividing them too made the table three times larger and the kernel slower.
//!
//! Cells straddling a boundary (a zone edge, a line of many short pieces, leaves that disagree) and
//! points outside the grid or within a billionth of a cell of a cell's edge fall back to the exact
//! paths, per line and for the zones separately; a point within a billionth of a cell of a sub-cell's
//! edge takes its whole cell's record, which holds for every point of the cell. Every answer is bit for
//! bit the exact path's: the property tests compare the two on random points, on cell and sub-cell
//! edges, line vertices and zone edges.
//!
//! # Memory
//!
//! The grid has at most 2^19 cells (1 MiB as `u16`, 2 MiB as `u32`); records take `4 × (lines + 1)`
//! bytes each, candidate lists at most nine `u32` each, or a leaf's whole list (up to 67 on a 20,000-vertex
//! zigzag); a subdivided cell 16 record numbers. Sub-cells' records are mostly distinct where a line
//! of many pieces is subdivided: 1.4 MB in all for the illustrative agreement, 3.7 MB with its line of
//! contact grown to 2,000 vertices, 10 MB at 20,000. [`FenceTable::stats`] reports the figures.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::line::Radii;
use crate::quadtree::Cell;
use crate::table::{CellTable, Found, Ids};
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

/// Flag of a record's zone entry: the record is costly (see [`SUB_MIN_COST`]), and a cell that holds
/// it may be subdivided. [`EXACT`] has it.
const COSTLY: u32 = 1 << 31;

/// Nodes at or above this are not tagged (the walk starts from the top).
pub(crate) const NODE_MAX: u32 = !NODE;

/// A subdivided cell has `2^SUB_LEVELS` sub-cells a side, of the quadtrees' level below its own by
/// this much.
const SUB_LEVELS: u32 = 2;

/// Sub-cells a side of a subdivided cell.
const SUB: usize = 1 << SUB_LEVELS;

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
    /// One bit per grid cell (row by row from the south-west), set where the cell is subdivided.
    sub_bits: Vec<u64>,
    /// Per word of `sub_bits`, the bits set in the words before it: a subdivided cell's number
    /// among them is its word's rank and the bits set before its own.
    sub_rank: Vec<u32>,
    /// The records of the subdivided cells' sub-cells, `SUB × SUB` a cell, in the order of
    /// [`CellTable::sub_cell`].
    sub_cells: Ids,
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
    /// Share of cells that are subdivided (whose points are answered from their sub-cells'
    /// records). The shares above count a sub-cell as its part of its cell.
    pub subdivided: f64,
    /// Bytes held (grid, records, lists, zone sets).
    pub bytes: usize,
}

/// The table's record for the cell holding one point.
#[derive(Debug, Clone, Copy)]
pub struct FenceCell<'a> {
    table: &'a FenceTable,
    record: &'a [u32],
    /// The quadtrees' level of the cell (a sub-cell's is deeper than the grid's).
    level: u32,
}

/// The builder's maps: keys are a few small integers, made by this code, so a fast multiplicative
/// hash serves (the standard one, resistant to chosen keys, was a sixth of building a table).
type Map<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// A multiplicative hash of 64-bit words (each word mixed in by a rotate, an exclusive or and a
/// multiplication by an odd constant).
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// How a table is made: records and lists kept once each, found again by their contents.
struct Builder<'a> {
    lines: &'a [&'a LineIndex],
    zones: &'a ZoneIndex,
    table: FenceTable,
    /// Records by contents and the quadtrees' level of their cells (a node's walk depends on it).
    records: Map<(Vec<u32>, u32), u32>,
    lists: Vec<Map<Vec<u32>, u32>>,
    sets: Map<Vec<u32>, u32>,
    radii: Radii,
    record: Vec<u32>,
    hints: Vec<u32>,
    zone_set: Vec<u32>,
}

impl Builder<'_> {
    /// The record of `cell`, of the quadtrees' level `level`, and its [`cost`].
    fn record(&mut self, cell: &Cell, level: u32) -> (u32, u32) {
        // The cells' balls: the radius is the same along a row of cells, only the centre moves.
        let ball = self.radii.ball(cell);
        let (lines, table) = (self.lines, &mut self.table);
        self.record.clear();
        self.hints.clear();
        for (k, line) in lines.iter().enumerate() {
            let (known, store) = (&mut self.lists[k], &mut table.lists);
            let hint = line.cell_hint(cell, level, ball, &mut |pieces| {
                *known.entry(pieces.to_vec()).or_insert_with(|| {
                    let at = store.len() as u32;
                    store.push(pieces.len() as u32);
                    store.extend_from_slice(pieces);
                    at
                })
            });
            self.hints.push(hint);
            // The first earlier line with the same answer (one that is itself "as line i" has the
            // same answer as line i, found first).
            let same = (0..k).find(|&j| same_hint(&table.lists, (lines[j], self.hints[j]), (line, hint)));
            self.record.push(same.map_or(hint, |j| SAME | j as u32));
        }
        self.zone_set.clear();
        self.record.push(if !self.zones.cell_zones(cell, level, &mut self.zone_set) {
            EXACT
        } else if let Some(&set) = self.sets.get(&self.zone_set) {
            set
        } else {
            table.set_zones.extend_from_slice(&self.zone_set);
            table.sets.push(table.set_zones.len() as u32);
            let set = (table.sets.len() - 2) as u32;
            self.sets.insert(self.zone_set.clone(), set);
            set
        });
        let cost = cost(&table.lists, &self.record);
        if cost >= SUB_MIN_COST {
            *self.record.last_mut().expect("a zone entry") |= COSTLY;
        }
        let key = (std::mem::take(&mut self.record), level);
        if let Some(&id) = self.records.get(&key) {
            self.record = key.0;
            return (id, cost);
        }
        table.records.extend_from_slice(&key.0);
        let id = (table.records.len() / table.width - 1) as u32;
        self.record = key.0.clone();
        self.records.insert(key, id);
        (id, cost)
    }
}

/// What answering a point from `record` costs, roughly, in chords measured: what a cell's sub-cells
/// must save for the table to keep them.
fn cost(lists: &[u32], record: &[u32]) -> u32 {
    let (lines, zone) = record.split_at(record.len() - 1);
    let lines: u32 = lines
        .iter()
        .map(|&e| match e {
            e if e < SAME => 1,
            e if e < LIST => 0,
            e if e < NODE => lists[(e & !LIST) as usize],
            _ => WALK_COST,
        })
        .sum();
    lines + if zone[0] == EXACT { WALK_COST } else { 0 }
}

/// The cost [`cost`] gives a walk.
const WALK_COST: u32 = 16;

/// The least cost of a cell that the table tries to subdivide: a walk, or lists of eight chords.
/// Cheaper cells (most are a list of two pieces, on the line where two pieces are equally near) are
/// left whole: subdividing them made the table several times larger and the kernel slower.
const SUB_MIN_COST: u32 = 8;

impl FenceTable {
    /// Builds the table for `lines` and `zones` (which may be empty).
    pub fn new(lines: &[&LineIndex], zones: &ZoneIndex) -> Self {
        let width = lines.len() + 1;
        let table = Self {
            grid: None,
            level: 0,
            width,
            records: Vec::new(),
            lists: Vec::new(),
            sets: vec![0],
            set_zones: Vec::new(),
            sub_bits: Vec::new(),
            sub_rank: Vec::new(),
            sub_cells: Ids::new(Vec::new()),
        };
        let boxes = lines.iter().map(|l| l.table_box()).chain(zones.extent());
        let [w, s, e, n] = boxes.fold([180.0f64, 90.0f64, -180.0f64, -90.0f64], |[w, s, e, n], b| {
            [w.min(b[0]), s.min(b[1]), e.max(b[2]), n.max(b[3])]
        });
        if w >= e || s >= n {
            return table;
        }
        let mut b = Builder {
            lines,
            zones,
            table,
            records: Map::default(),
            lists: vec![Map::default(); lines.len()],
            sets: Map::default(),
            radii: Radii::default(),
            record: Vec::with_capacity(width),
            hints: Vec::with_capacity(lines.len()),
            zone_set: Vec::new(),
        };
        // The cells to try subdividing, with their numbers: their sub-cells' records come after every
        // cell's, so that a grid whose cells have few records stays narrow.
        let mut costly = Vec::new();
        let mut cells = 0usize;
        let grid = CellTable::build(w, s, (e - w) as usize, (n - s) as usize, |cell, level| {
            let (id, cost) = b.record(cell, level);
            if cost >= SUB_MIN_COST {
                costly.push((cells, *cell, level, cost));
            }
            cells += 1;
            id
        });
        let (mut bits, mut sub_cells, mut subs) = (vec![0u64; cells.div_ceil(64)], Vec::new(), Vec::new());
        for (i, cell, level, cost) in costly {
            subs.clear();
            let mut saved = 0u32;
            for k in 0..SUB * SUB {
                let (s, sub_cost) = b.record(&cell.sub(k, SUB_LEVELS), level + SUB_LEVELS);
                saved += cost.saturating_sub(sub_cost);
                subs.push(s);
            }
            // Kept when they save a quarter of the chords or more.
            if 4 * saved >= cost * (SUB * SUB) as u32 {
                bits[i / 64] |= 1 << (i % 64);
                sub_cells.extend_from_slice(&subs);
            }
        }
        let mut table = b.table;
        table.sub_rank = bits
            .iter()
            .scan(0u32, |n, w| {
                let before = *n;
                *n += w.count_ones();
                Some(before)
            })
            .collect();
        table.sub_bits = bits;
        table.sub_cells = Ids::new(sub_cells);
        table.level = grid.as_ref().map_or(0, CellTable::level);
        table.grid = grid;
        table
    }

    /// The record of the cell holding `p`; `None` when the table has none for it (outside the grid, on
    /// a cell's edge): the caller takes the exact paths.
    #[inline]
    pub fn cell(&self, p: LonLat) -> Option<FenceCell<'_>> {
        let grid = self.grid.as_ref()?;
        Some(self.found(grid, grid.find(p)?))
    }

    /// [`FenceTable::cell`] and `p` prepared for line queries: from the cell's own sines and cosines
    /// when the table has the cell (see `table.rs`), else as [`QueryPoint::new`] prepares it. The two
    /// differ by a few units in the last place; whichever paths answer, give them this point.
    #[inline]
    pub fn locate(&self, p: LonLat) -> (Option<FenceCell<'_>>, QueryPoint) {
        let Some((grid, at)) = self.grid.as_ref().and_then(|g| Some((g, g.find(p)?))) else {
            return (None, QueryPoint::new(p));
        };
        (Some(self.found(grid, at)), grid.query_point(p, at))
    }

    /// The record for a point found at `at`: its sub-cell's when its cell is subdivided (and the point
    /// is not on a sub-cell's edge), else its cell's, which answers every point of the cell.
    #[inline]
    fn found(&self, grid: &CellTable, at: Found) -> FenceCell<'_> {
        let i = grid.index(at);
        let cell = self.record(grid.value(i), self.level);
        if cell.record[self.width - 1] & COSTLY == 0 {
            return cell;
        }
        let word = self.sub_bits[i / 64];
        let bit = 1u64 << (i % 64);
        if word & bit != 0
            && let Some(k) = CellTable::sub_cell(at, SUB_LEVELS)
        {
            let n = self.sub_rank[i / 64] as usize + (word & (bit - 1)).count_ones() as usize;
            return self.record(self.sub_cells.get(n * SUB * SUB + k), self.level + SUB_LEVELS);
        }
        cell
    }

    #[inline]
    fn record(&self, id: u32, level: u32) -> FenceCell<'_> {
        let r = id as usize * self.width;
        FenceCell { table: self, record: &self.records[r..r + self.width], level }
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
                subdivided: 0.0,
                bytes: 0,
            };
        };
        let cells = grid.len();
        let lines = self.width - 1;
        let (mut single, mut shared, mut exact) = (vec![0.0; lines], vec![0.0; lines], vec![0.0; lines]);
        let (mut zones, mut subdivided) = (0.0, 0usize);
        let mut count = |id: u32, weight: f64| {
            let record = &self.records[id as usize * self.width..(id as usize + 1) * self.width];
            for (k, &e) in record[..lines].iter().enumerate() {
                single[k] += weight * f64::from(u8::from(e < SAME));
                shared[k] += weight * f64::from(u8::from((SAME..LIST).contains(&e)));
                exact[k] += weight * f64::from(u8::from(e >= NODE));
            }
            zones += weight * f64::from(u8::from(record[lines] != EXACT));
        };
        for (i, v) in grid.values().enumerate() {
            if self.sub_bits[i / 64] >> (i % 64) & 1 == 0 {
                count(v, 1.0);
                continue;
            }
            let n = subdivided * SUB * SUB;
            subdivided += 1;
            for k in 0..SUB * SUB {
                count(self.sub_cells.get(n + k), 1.0 / (SUB * SUB) as f64);
            }
        }
        let share = |v: Vec<f64>| v.into_iter().map(|n| n / cells as f64).collect();
        FenceTableStats {
            cell_deg: grid.cell_deg(),
            cells,
            records: self.records.len() / self.width,
            single_piece: share(single),
            shared: share(shared),
            line_exact: share(exact),
            zones_answered: zones / cells as f64,
            subdivided: subdivided as f64 / cells as f64,
            bytes: grid.bytes()
                + self.sub_cells.bytes()
                + (self.sub_bits.len() * 2 + self.sub_rank.len()) * 4
                + (self.records.len() + self.lists.len() + self.sets.len() + self.set_zones.len()) * 4,
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
            e => index.query_below(p, e & !NODE, self.level),
        }
    }

    /// The quadtrees' level of the cell this record answers for: the grid's, or deeper for a sub-cell
    /// of a subdivided cell.
    pub fn level(&self) -> u32 {
        self.level
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
                let set = set & !COSTLY;
                let (s, e) = (self.table.sets[set as usize], self.table.sets[set as usize + 1]);
                Some(&self.table.set_zones[s as usize..e as usize])
            }
        }
    }
}
