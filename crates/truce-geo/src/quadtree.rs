//! A quadtree over longitude/latitude cells with a payload per leaf.
//!
//! The tree is built top-down by a caller-supplied `refine` step that, for one cell and the state
//! handed down from its parent, either stops (a leaf with a payload index) or asks for the four
//! children with a narrower state. The shape is stored flat: a grid of top-level cells and one vector
//! of nodes whose branches point at four consecutive children, so a lookup is a few array reads.

use crate::LonLat;

/// A closed longitude/latitude box, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cell {
    pub(crate) lon0: f64,
    pub(crate) lat0: f64,
    pub(crate) size: f64,
}

impl Cell {
    pub(crate) fn lon1(&self) -> f64 {
        self.lon0 + self.size
    }
    pub(crate) fn lat1(&self) -> f64 {
        self.lat0 + self.size
    }
    pub(crate) fn at(&self, fx: f64, fy: f64) -> LonLat {
        LonLat::new(self.lon0 + fx * self.size, self.lat0 + fy * self.size)
    }
    pub(crate) fn center(&self) -> LonLat {
        self.at(0.5, 0.5)
    }
    /// The `k`-th of the `2^levels × 2^levels` cells this one divides into, `levels` quadtree levels
    /// down, numbered row by row from the south-west (a child is `sub(q, 1)`).
    pub(crate) fn sub(&self, k: usize, levels: u32) -> Cell {
        let n = 1usize << levels;
        let size = self.size / n as f64;
        Cell { lon0: self.lon0 + (k % n) as f64 * size, lat0: self.lat0 + (k / n) as f64 * size, size }
    }

    fn child(&self, q: usize) -> Cell {
        let h = self.size * 0.5;
        Cell {
            lon0: self.lon0 + if q & 1 == 1 { h } else { 0.0 },
            lat0: self.lat0 + if q & 2 == 2 { h } else { 0.0 },
            size: h,
        }
    }
}

/// What `refine` decides for a cell.
pub(crate) enum Refined<S> {
    /// Stop here; the payload index is the caller's.
    Leaf(u32),
    /// Split into four children, each refined with this state.
    Split(S),
}

#[derive(Debug, Clone, Copy)]
enum Node {
    Branch(u32),
    Leaf(u32),
}

/// The top-level grid: `nx` × `ny` cells of `top_size` degrees from (`lon0`, `lat0`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    pub(crate) lon0: f64,
    pub(crate) lat0: f64,
    pub(crate) top_size: f64,
    pub(crate) nx: usize,
    pub(crate) ny: usize,
}

/// The built tree. Lookups outside the extent return `None`.
#[derive(Debug, Clone)]
pub(crate) struct QuadTree {
    lon0: f64,
    lat0: f64,
    top_size: f64,
    nx: usize,
    ny: usize,
    top: Vec<Node>,
    nodes: Vec<Node>,
    depth: u32,
}

impl QuadTree {
    /// Builds a tree covering the grid.
    /// `refine(cell, parent_state, depth)` is called for every cell; at `max_depth` it must return a leaf.
    pub(crate) fn build<S>(
        grid: Grid,
        root: &S,
        max_depth: u32,
        refine: &mut dyn FnMut(&Cell, &S, u32) -> Refined<S>,
    ) -> Self {
        let Grid { lon0, lat0, top_size, nx, ny } = grid;
        let mut tree =
            QuadTree { lon0, lat0, top_size, nx, ny, top: Vec::with_capacity(nx * ny), nodes: Vec::new(), depth: 0 };
        for iy in 0..ny {
            for ix in 0..nx {
                let cell =
                    Cell { lon0: lon0 + ix as f64 * top_size, lat0: lat0 + iy as f64 * top_size, size: top_size };
                let node = tree.build_cell(&cell, root, 0, max_depth, refine);
                tree.top.push(node);
            }
        }
        tree
    }

    fn build_cell<S>(
        &mut self,
        cell: &Cell,
        state: &S,
        depth: u32,
        max_depth: u32,
        refine: &mut dyn FnMut(&Cell, &S, u32) -> Refined<S>,
    ) -> Node {
        self.depth = self.depth.max(depth);
        match refine(cell, state, depth) {
            Refined::Leaf(p) => Node::Leaf(p),
            Refined::Split(child_state) => {
                debug_assert!(depth < max_depth, "refine must return a leaf at max depth");
                let first = self.nodes.len();
                self.nodes.extend([Node::Leaf(0); 4]);
                for q in 0..4 {
                    let n = self.build_cell(&cell.child(q), &child_state, depth + 1, max_depth, refine);
                    self.nodes[first + q] = n;
                }
                Node::Branch(first as u32)
            }
        }
    }

    /// The payload of the leaf containing `p`, or `None` outside the extent.
    #[inline]
    pub(crate) fn lookup(&self, p: LonLat) -> Option<u32> {
        let fx = (p.lon - self.lon0) / self.top_size;
        let fy = (p.lat - self.lat0) / self.top_size;
        if !(fx >= 0.0 && fy >= 0.0) {
            return None;
        }
        // Points on the far edge of the extent belong to the last cell.
        let ix = (fx as usize).min(self.nx - 1);
        let iy = (fy as usize).min(self.ny - 1);
        if fx > self.nx as f64 || fy > self.ny as f64 {
            return None;
        }
        let mut node = self.top[iy * self.nx + ix];
        let (mut x, mut y) = (fx - ix as f64, fy - iy as f64);
        loop {
            match node {
                Node::Leaf(p) => return Some(p),
                Node::Branch(first) => node = self.child(first, &mut x, &mut y),
            }
        }
    }

    /// The payloads of the leaves that meet the level-`level` cell whose centre is `center` (a cell of
    /// 2^-level top cells, aligned on them): the one leaf holding it when the tree stops at or above
    /// that level, every leaf below it otherwise. Nothing outside the extent.
    /// The leaf holding `p`, found from the branch whose children start at `first`, the node of depth
    /// `level` on `p`'s way down (as [`QuadTree::branch_at`] gave it): the leaf [`QuadTree::lookup`]
    /// finds, without the first `level` steps. The position within the node is computed as `lookup`
    /// computes it after those steps, exactly (doubling and dropping the integer part lose nothing),
    /// so the way down from there is the same.
    #[inline]
    pub(crate) fn lookup_below(&self, first: u32, p: LonLat, level: u32) -> u32 {
        let fx = (p.lon - self.lon0) / self.top_size;
        let fy = (p.lat - self.lat0) / self.top_size;
        // The integer parts by truncation (the values are positive): `floor` is a library call on
        // x86-64's baseline.
        let scale = f64::from(1u32 << level);
        let (sx, sy) = ((fx - (fx as i64) as f64) * scale, (fy - (fy as i64) as f64) * scale);
        let (mut x, mut y) = (sx - (sx as i64) as f64, sy - (sy as i64) as f64);
        let mut node = self.child(first, &mut x, &mut y);
        loop {
            match node {
                Node::Leaf(p) => return p,
                Node::Branch(first) => node = self.child(first, &mut x, &mut y),
            }
        }
    }

    /// The node of depth `level` holding `center` when it is a branch: where its children start.
    pub(crate) fn branch_at(&self, center: LonLat, level: u32) -> Option<u32> {
        match self.descend(center, level)? {
            (Node::Branch(first), depth) if depth == level => Some(first),
            _ => None,
        }
    }

    pub(crate) fn leaves_in(&self, center: LonLat, level: u32, out: &mut Vec<u32>) {
        if let Some((node, _)) = self.descend(center, level) {
            self.collect(node, out);
        }
    }

    /// The node holding `center` at depth `level`, or the leaf above it, with its depth; `None`
    /// outside the tree.
    fn descend(&self, center: LonLat, level: u32) -> Option<(Node, u32)> {
        let fx = (center.lon - self.lon0) / self.top_size;
        let fy = (center.lat - self.lat0) / self.top_size;
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64) {
            return None;
        }
        let (ix, iy) = (fx as usize, fy as usize);
        let mut node = self.top[iy * self.nx + ix];
        let (mut x, mut y) = (fx - ix as f64, fy - iy as f64);
        for depth in 0..level {
            let Node::Branch(first) = node else { return Some((node, depth)) };
            node = self.child(first, &mut x, &mut y);
        }
        Some((node, level))
    }

    /// The child of the branch whose children start at `first` that holds the point at `(x, y)` in the
    /// branch's own unit square; `(x, y)` becomes the point's place in the child's.
    #[inline]
    fn child(&self, first: u32, x: &mut f64, y: &mut f64) -> Node {
        *x *= 2.0;
        *y *= 2.0;
        let qx = usize::from(*x >= 1.0);
        let qy = usize::from(*y >= 1.0);
        *x -= qx as f64;
        *y -= qy as f64;
        self.nodes[first as usize + qy * 2 + qx]
    }

    fn collect(&self, node: Node, out: &mut Vec<u32>) {
        match node {
            Node::Leaf(p) => out.push(p),
            Node::Branch(first) => {
                for q in 0..4 {
                    self.collect(self.nodes[first as usize + q], out);
                }
            }
        }
    }

    /// Number of nodes (branches and leaves) below the top grid, and the deepest level reached.
    pub(crate) fn stats(&self) -> (usize, u32) {
        (self.nodes.len() + self.top.len(), self.depth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_the_leaf_that_was_built_for_the_point() {
        // Split every cell down to depth 3, payload = encoded cell origin.
        let mut leaves: Vec<Cell> = Vec::new();
        let tree = QuadTree::build(
            Grid { lon0: 10.0, lat0: 20.0, top_size: 1.0, nx: 3, ny: 2 },
            &(),
            3,
            &mut |cell, _, depth| {
                if depth == 3 {
                    leaves.push(*cell);
                    Refined::Leaf((leaves.len() - 1) as u32)
                } else {
                    Refined::Split(())
                }
            },
        );
        for (lon, lat) in [(10.0, 20.0), (12.99, 21.99), (11.3, 20.7), (13.0, 22.0)] {
            let p = LonLat::new(lon, lat);
            let c = leaves[tree.lookup(p).expect("inside") as usize];
            assert!(lon >= c.lon0 && lon <= c.lon1() && lat >= c.lat0 && lat <= c.lat1(), "{p:?} {c:?}");
        }
        assert_eq!(tree.lookup(LonLat::new(9.99, 20.5)), None);
        assert_eq!(tree.lookup(LonLat::new(11.0, 22.01)), None);
        assert_eq!(tree.lookup(LonLat::new(f64::NAN, 21.0)), None);

        // Level 2 stops above the leaves (depth 3): the quarter-degree cell holds four of them.
        let mut found = Vec::new();
        tree.leaves_in(LonLat::new(11.375, 20.625), 2, &mut found);
        assert_eq!(found.len(), 4);
        for &leaf in &found {
            let c = leaves[leaf as usize];
            assert!(c.lon0 >= 11.25 && c.lon1() <= 11.5 && c.lat0 >= 20.5 && c.lat1() <= 20.75, "{c:?}");
        }
        found.clear();
        tree.leaves_in(LonLat::new(11.3, 20.7), 5, &mut found);
        assert_eq!(found, vec![tree.lookup(LonLat::new(11.3, 20.7)).expect("inside")]);
    }
}
