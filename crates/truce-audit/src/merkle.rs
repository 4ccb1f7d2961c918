//! The Merkle tree of RFC 9162 §2.1 (the same as RFC 6962 §2.1), with SHA-256.
//!
//! A leaf's hash is `SHA-256(0x00 || data)`, an interior node's `SHA-256(0x01 || left || right)`, and the
//! tree hash of n > 1 leaves splits them at k, the largest power of two smaller than n: `MTH(D[n]) =
//! node(MTH(D[0:k]), MTH(D[k:n]))`. The empty tree's hash is `SHA-256("")`.
//!
//! [`Tree`] keeps every level of the tree: level 0 holds the leaf hashes, level h the hash of every
//! complete, aligned subtree of 2^h leaves. Appending a leaf adds one hash to level 0 and, while the new
//! node completes a pair, its parent: amortised one interior hash a leaf. The hashes at the right edge of
//! the levels whose bit is set in the size are the tree's compact range (its frontier), and any root,
//! of the whole tree or of an earlier size, folds those O(log n) hashes. Proofs need the hash of
//! subtrees `D[start:end]` whose start is a multiple of a power of two at least their size (that is how
//! the RFC's recursion splits), and such a subtree is one stored hash, or O(log n) of them folded.
//! Memory: 64 bytes a leaf (the leaf hashes plus the levels above, which add up to fewer than n).
//!
//! Proof verification ([`verify_inclusion`], [`verify_consistency`]) follows the RFC's algorithms
//! (§2.1.3.2 and §2.1.4.2) and needs nothing but the proof, the sizes and the roots.

use ring::digest::{Context, SHA256};

/// A SHA-256 hash: of a leaf, an interior node or a whole tree.
pub type Hash = [u8; 32];

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A tree size beyond the leaves there are, or an old size above the new one.
    #[error("tree size {size} is out of range (the tree has {available} leaves)")]
    SizeOutOfRange {
        /// The size asked for.
        size: u64,
        /// The largest size allowed.
        available: u64,
    },
    /// The proof has too few or too many hashes for the sizes.
    #[error("the proof has the wrong number of hashes")]
    WrongLength,
    /// The proof does not lead to the root (or roots) given.
    #[error("the proof does not lead to the expected root")]
    Mismatch,
}

/// `SHA-256(0x00 || data)`: the hash of a leaf whose data is `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    leaf_hash_parts(&[data])
}

/// The leaf hash of the concatenation of `parts`, without copying them together.
pub fn leaf_hash_parts(parts: &[&[u8]]) -> Hash {
    let mut c = Context::new(&SHA256);
    c.update(&[0x00]);
    for p in parts {
        c.update(p);
    }
    finish(c)
}

/// `SHA-256(0x01 || left || right)`: the hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut c = Context::new(&SHA256);
    c.update(&[0x01]);
    c.update(left);
    c.update(right);
    finish(c)
}

/// `SHA-256("")`: the hash of the empty tree.
pub fn empty_root() -> Hash {
    finish(Context::new(&SHA256))
}

fn finish(c: Context) -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(c.finish().as_ref());
    out
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The Merkle tree hash of `leaves` (leaf hashes), by the RFC's recursive definition. Quadratic-free but
/// recursive: the reference the incremental [`Tree`] is tested against.
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// Every level of a Merkle tree, grown one leaf at a time (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// `levels[h][j]`: the hash of leaves `j·2^h .. (j+1)·2^h`, for every such complete subtree.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// The empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// True when the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf by its hash ([`leaf_hash`] of its data).
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
        let mut h = 0;
        loop {
            if self.levels.len() == h {
                self.levels.push(Vec::new());
            }
            let level = &mut self.levels[h];
            level.push(node);
            let n = level.len();
            if n % 2 == 1 {
                return;
            }
            node = node_hash(&level[n - 2], &level[n - 1]);
            h += 1;
        }
    }

    /// Drops every leaf from `len` on, leaving the tree it had when it had `len` leaves (nothing when it
    /// has fewer).
    pub fn truncate(&mut self, len: u64) {
        let mut n = usize::try_from(len).unwrap_or(usize::MAX);
        for level in &mut self.levels {
            level.truncate(n);
            n /= 2;
        }
        while self.levels.last().is_some_and(Vec::is_empty) {
            self.levels.pop();
        }
    }

    /// The hash of leaf `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first().and_then(|l| l.get(usize::try_from(index).ok()?)).copied()
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        self.subtree(0, self.len())
    }

    /// The root the tree had when it had `size` leaves, or `None` when `size` is beyond its length.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        (size <= self.len()).then(|| self.subtree(0, size))
    }

    /// The compact range of the tree of `size` leaves: the roots of its perfect subtrees, largest first
    /// (one for each bit set in `size`).
    pub fn frontier(&self, size: u64) -> Option<Vec<Hash>> {
        if size > self.len() {
            return None;
        }
        let mut out = Vec::new();
        let mut start = 0u64;
        for h in (0..64).rev() {
            if size & (1 << h) != 0 {
                out.push(self.levels[h][(start >> h) as usize]);
                start += 1 << h;
            }
        }
        Some(out)
    }

    /// The hash of leaves `start..end`, where `start` is a multiple of a power of two at least `end -
    /// start` (every subtree the RFC's recursion visits is such) and `end ≤ len`.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n == 0 {
            return empty_root();
        }
        // Fold the perfect subtrees of the range, one for each bit set in its length, from the smallest
        // (rightmost) up: no allocation, at most one hash a level.
        let mut acc: Option<Hash> = None;
        for h in 0..64 {
            if n >> h == 0 {
                break;
            }
            if n & (1 << h) != 0 {
                let node = self.levels[h][((start >> h) + (n >> h) - 1) as usize];
                acc = Some(match acc {
                    None => node,
                    Some(right) => node_hash(&node, &right),
                });
            }
        }
        acc.unwrap_or_else(empty_root)
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves: RFC 9162 §2.1.3.1, `PATH(m,
    /// D[n])`, the sibling hashes from the leaf up.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.len() {
            return Err(ProofError::SizeOutOfRange { size, available: self.len() });
        }
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let mut path = Vec::new();
        self.path(index, 0, size, &mut path);
        Ok(path)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m - start < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// The consistency proof between the trees of `old_size` and `new_size` leaves: RFC 9162 §2.1.4.1,
    /// `PROOF(m, D[n])`. Empty when `old_size` is 0 or equals `new_size`.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        if new_size > self.len() {
            return Err(ProofError::SizeOutOfRange { size: new_size, available: self.len() });
        }
        if old_size > new_size {
            return Err(ProofError::SizeOutOfRange { size: old_size, available: new_size });
        }
        let mut proof = Vec::new();
        if old_size > 0 && old_size < new_size {
            self.subproof(old_size, 0, new_size, true, &mut proof);
        }
        Ok(proof)
    }

    /// `SUBPROOF(m, D[start:end], b)`, with `m` counted from `start`.
    fn subproof(&self, m: u64, start: u64, end: u64, complete: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !complete {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, start + k, complete, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// Longest proof accepted: a tree of 2^64 leaves has proofs of at most 64 (inclusion) or 128
/// (consistency, with the old root prepended) hashes.
const MAX_PROOF: usize = 130;

/// Verifies that the leaf whose hash is `leaf` is at `index` in the tree of `size` leaves whose root is
/// `root`, by `proof`: RFC 9162 §2.1.3.2.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    if proof.len() > MAX_PROOF {
        return Err(ProofError::WrongLength);
    }
    let mut fnode = index;
    let mut snode = size - 1;
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`, by `proof`: RFC 9162 §2.1.4.2. The empty tree is a prefix of
/// every tree (with an empty proof); equal sizes need equal roots and an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizeOutOfRange { size: old_size, available: new_size });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::Mismatch);
        }
        return Ok(());
    }
    if proof.is_empty() || proof.len() > MAX_PROOF {
        return Err(ProofError::WrongLength);
    }
    // Step 1: when the old tree is a complete subtree its root is the proof's implicit first hash.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let mut fnode = old_size - 1;
    let mut snode = new_size - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    for c in &path[1..] {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// Lower-case hexadecimal of a hash.
pub fn to_hex(hash: &Hash) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for b in hash {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// A hash from exactly 64 lower-case hexadecimal digits (the form [`to_hex`] writes; upper case is
/// refused so that one hash has one spelling).
pub fn from_hex(s: &[u8]) -> Option<Hash> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        out[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    // The standard test data of RFC 6962/9162 Merkle trees, from transparency-dev/merkle (Apache-2.0):
    // leaves, node and root hashes from `testonly/constants.go`; inclusion and consistency proofs from
    // `proof/verify_test.go` (where inclusion leaves are numbered from 1; here from 0).
    fn h(s: &str) -> Hash {
        from_hex(s.as_bytes()).unwrap()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    const LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    const LEVEL0: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ];
    const LEVEL1: [&str; 4] = [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ];
    const LEVEL2: [&str; 2] = [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ];

    /// Roots by tree size 0..=8.
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// (leaf index from 0, tree size, proof).
    const INCLUSION: [(u64, u64, &[&str]); 5] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (0, 1, &[]),
    ];

    /// (old size, new size, proof).
    const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    fn vector_tree() -> (Vec<Hash>, Tree) {
        let leaves: Vec<Hash> = LEAVES.iter().map(|d| leaf_hash(&unhex(d))).collect();
        let mut tree = Tree::new();
        for l in &leaves {
            tree.push(*l);
        }
        (leaves, tree)
    }

    #[test]
    fn leaf_and_node_hashes_match_the_published_vectors() {
        let (leaves, tree) = vector_tree();
        for (i, want) in LEVEL0.iter().enumerate() {
            assert_eq!(leaves[i], h(want), "leaf {i}");
        }
        for (j, want) in LEVEL1.iter().enumerate() {
            assert_eq!(node_hash(&leaves[2 * j], &leaves[2 * j + 1]), h(want), "level 1 node {j}");
            assert_eq!(tree.levels[1][j], h(want));
        }
        for (j, want) in LEVEL2.iter().enumerate() {
            assert_eq!(tree.levels[2][j], h(want), "level 2 node {j}");
        }
    }

    #[test]
    fn roots_of_every_size_match_the_published_vectors() {
        let (leaves, tree) = vector_tree();
        assert_eq!(empty_root(), h(ROOTS[0]));
        for (size, want) in ROOTS.iter().enumerate() {
            assert_eq!(root_of(&leaves[..size]), h(want), "MTH of {size} leaves");
            assert_eq!(tree.root_at(size as u64).unwrap(), h(want), "incremental root of {size} leaves");
        }
        assert_eq!(tree.root(), h(ROOTS[8]));
        assert_eq!(tree.root_at(9), None);
    }

    #[test]
    fn frontier_matches_the_published_compact_ranges() {
        // testonly/constants.go CompactTrees: the compact range of each size, largest subtree first.
        let (_, tree) = vector_tree();
        let want: [&[&str]; 9] = [
            &[],
            &[LEVEL0[0]],
            &[LEVEL1[0]],
            &[LEVEL1[0], LEVEL0[2]],
            &[LEVEL2[0]],
            &[LEVEL2[0], LEVEL0[4]],
            &[LEVEL2[0], LEVEL1[2]],
            &[LEVEL2[0], LEVEL1[2], LEVEL0[6]],
            &[ROOTS[8]],
        ];
        for (size, w) in want.iter().enumerate() {
            let w: Vec<Hash> = w.iter().map(|s| h(s)).collect();
            assert_eq!(tree.frontier(size as u64).unwrap(), w, "size {size}");
        }
    }

    #[test]
    fn inclusion_proofs_match_the_published_vectors() {
        let (leaves, tree) = vector_tree();
        for (index, size, proof) in INCLUSION {
            let want: Vec<Hash> = proof.iter().map(|s| h(s)).collect();
            assert_eq!(tree.inclusion_proof(index, size).unwrap(), want, "leaf {index} of {size}");
            let root = h(ROOTS[size as usize]);
            verify_inclusion(index, size, &leaves[index as usize], &want, &root).unwrap();
            // The same proof for a neighbour, another size or a wrong root fails.
            assert!(verify_inclusion(index ^ 1, size, &leaves[index as usize], &want, &root).is_err());
            assert!(verify_inclusion(index, size * 2, &leaves[index as usize], &want, &root).is_err());
            assert!(verify_inclusion(index, size, &leaves[index as usize], &want, &empty_root()).is_err());
        }
        assert!(tree.inclusion_proof(8, 8).is_err());
        assert!(tree.inclusion_proof(0, 9).is_err());
    }

    #[test]
    fn consistency_proofs_match_the_published_vectors() {
        let (_, tree) = vector_tree();
        for (old, new, proof) in CONSISTENCY {
            let want: Vec<Hash> = proof.iter().map(|s| h(s)).collect();
            assert_eq!(tree.consistency_proof(old, new).unwrap(), want, "{old} -> {new}");
            let (r1, r2) = (h(ROOTS[old as usize]), h(ROOTS[new as usize]));
            verify_consistency(old, new, &r1, &r2, &want).unwrap();
            if !want.is_empty() {
                assert!(verify_consistency(old, new, &r2, &r1, &want).is_err(), "swapped roots");
                assert!(verify_consistency(old, new, &r1, &r2, &want[1..]).is_err(), "a hash short");
                assert!(verify_consistency(old, new, &r1, &r2, &[]).is_err(), "empty proof");
            }
        }
    }

    #[test]
    fn trivial_consistency_cases() {
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        verify_consistency(0, 0, &a, &a, &[]).unwrap();
        assert!(verify_consistency(0, 0, &a, &b, &[]).is_err());
        verify_consistency(0, 5, &a, &b, &[]).unwrap();
        verify_consistency(3, 3, &a, &a, &[]).unwrap();
        assert!(verify_consistency(3, 3, &a, &b, &[]).is_err());
        assert!(verify_consistency(3, 3, &a, &a, &[a]).is_err());
        assert!(verify_consistency(4, 3, &a, &b, &[]).is_err());
        assert!(verify_consistency(0, 1, &a, &b, &[a]).is_err());
    }

    #[test]
    fn hex_round_trips_and_refuses_other_spellings() {
        let x = leaf_hash(b"x");
        assert_eq!(from_hex(to_hex(&x).as_bytes()), Some(x));
        assert_eq!(from_hex(to_hex(&x).to_uppercase().as_bytes()), None);
        assert_eq!(from_hex(&to_hex(&x).as_bytes()[1..]), None);
        assert_eq!(from_hex(b"zz"), None);
    }

    fn tree_of(n: u64) -> (Vec<Hash>, Tree) {
        let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = Tree::new();
        for l in &leaves {
            tree.push(*l);
        }
        (leaves, tree)
    }

    #[test]
    fn every_incremental_root_is_the_recursive_tree_hash() {
        let (leaves, tree) = tree_of(130);
        for size in 0..=130 {
            assert_eq!(tree.root_at(size).unwrap(), root_of(&leaves[..size as usize]), "size {size}");
        }
    }

    #[test]
    fn every_inclusion_proof_up_to_64_leaves_verifies() {
        let (leaves, tree) = tree_of(64);
        for size in 1..=64u64 {
            let root = tree.root_at(size).unwrap();
            for index in 0..size {
                let proof = tree.inclusion_proof(index, size).unwrap();
                verify_inclusion(index, size, &leaves[index as usize], &proof, &root).unwrap();
            }
        }
    }

    #[test]
    fn every_consistency_proof_up_to_64_leaves_verifies() {
        let (_, tree) = tree_of(64);
        for new in 0..=64u64 {
            let r2 = tree.root_at(new).unwrap();
            for old in 0..=new {
                let r1 = tree.root_at(old).unwrap();
                let proof = tree.consistency_proof(old, new).unwrap();
                verify_consistency(old, new, &r1, &r2, &proof).unwrap();
            }
        }
    }

    proptest! {
        #[test]
        fn a_flipped_byte_breaks_an_inclusion_proof(size in 1u64..=64, index_seed: u64, which: usize, byte: usize, bit in 0u8..8) {
            let (leaves, tree) = tree_of(size);
            let index = index_seed % size;
            let root = tree.root_at(size).unwrap();
            let mut proof = tree.inclusion_proof(index, size).unwrap();
            let mut leaf = leaves[index as usize];
            let mut root2 = root;
            // Flip one bit of the proof, the leaf or the root.
            let slot = which % (proof.len() + 2);
            let target = if slot < proof.len() { &mut proof[slot] } else if slot == proof.len() { &mut leaf } else { &mut root2 };
            target[byte % 32] ^= 1 << bit;
            prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root2).is_err());
        }

        #[test]
        fn a_flipped_byte_breaks_a_consistency_proof(new in 2u64..=64, old_seed: u64, which: usize, byte: usize, bit in 0u8..8) {
            let (_, tree) = tree_of(new);
            let old = 1 + old_seed % (new - 1);
            let mut proof = tree.consistency_proof(old, new).unwrap();
            let mut r1 = tree.root_at(old).unwrap();
            let mut r2 = tree.root_at(new).unwrap();
            let slot = which % (proof.len() + 2);
            let target = if slot < proof.len() { &mut proof[slot] } else if slot == proof.len() { &mut r1 } else { &mut r2 };
            target[byte % 32] ^= 1 << bit;
            prop_assert!(verify_consistency(old, new, &r1, &r2, &proof).is_err());
        }

        #[test]
        fn a_truncated_tree_is_the_tree_it_was_and_grows_again_alike(size in 0u64..=64, cut_seed: u64) {
            let (leaves, full) = tree_of(size);
            let cut = cut_seed % (size + 1);
            let mut tree = full.clone();
            tree.truncate(cut);
            prop_assert_eq!(tree.len(), cut);
            prop_assert_eq!(tree.root(), full.root_at(cut).unwrap());
            for leaf in &leaves[cut as usize..] {
                tree.push(*leaf);
            }
            prop_assert_eq!(tree.root(), full.root());
            prop_assert_eq!(tree.frontier(size), full.frontier(size));
        }

        #[test]
        fn a_proof_for_other_sizes_fails(size in 2u64..=64, index_seed: u64, other in 1u64..=64) {
            let (leaves, tree) = tree_of(64);
            let index = index_seed % size;
            prop_assume!(other != size && index < other);
            let proof = tree.inclusion_proof(index, size).unwrap();
            let root = tree.root_at(other).unwrap();
            prop_assert!(verify_inclusion(index, other, &leaves[index as usize], &proof, &root).is_err());
        }
    }
}
