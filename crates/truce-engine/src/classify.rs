//! Classification of one observation against an agreement.
//!
//! # Rules (documented for users in `docs/classification.md`)
//!
//! - **Lines.** For every reference line: the ellipsoidal distance and the party holding the ground on
//!   the observation's side (or "on the line", or undetermined beyond an end, per the line's policy).
//! - **Zones.** Every zone whose geometry covers the point (polygon edges count as inside; a band covers
//!   points within its width of its line, on the chosen side).
//! - **Time.** Before the agreement's `effective` date nothing is a violation. The phase in force at the
//!   observation's time (start inclusive, end exclusive) overrides withdrawal distances and switches
//!   zones on or off. An observation without a time is judged under the base rules.
//! - **Zone violations.** An observation in an active zone whose `violated_by` includes its category
//!   violates it (for weapon sightings, only classes listed in the zone's `weapon_classes` if given); the
//!   code follows the zone's kind.
//! - **Withdrawal.** A weapon sighting of a class is judged against each party's rule for that class:
//!   the weapon is that party's when the observation names it as owner, or, when it does not, when it
//!   stands on that party's side of the rule's line. Its signed distance is positive on the owner's own
//!   side and negative beyond the line; below the required distance it is
//!   `weapon_forward_of_withdrawal_line`. A required distance of 0 means no requirement in that phase.
//!   Behind the line, a class that must be stored, seen outside every storage site, is
//!   `weapon_outside_storage_site`.
//!
//! The classifier allocates nothing per observation once its output buffers have grown: the hot loop
//! reuses one [`Classification`].
//!
//! # Cost per observation
//!
//! The geometry comes from the agreement's [`truce_geo::FenceTable`], built with the agreement: one
//! small table read finds the record of the point's cell, which names for every line the one chord piece
//! to measure (or a short list) and the set of polygon zones covering the whole cell. The position is
//! converted to ECEF once ([`truce_geo::QueryPoint`], from the cell's sines and cosines: no
//! trigonometric call) and shared by every line; a line the cell answers as an earlier one (they share
//! those pieces) costs a copy. Cells that straddle a boundary take the indexes' exact paths, which give
//! the same answers. Band zones follow from the line results: only the bands are tested (a list made
//! when the agreement is loaded), merged in the agreement's order with the polygon zones the cell names.

use time::OffsetDateTime;
use truce_core::{Category, ViolationCode, ZoneKind};
use truce_geo::{LineDistance, LonLat, Side};

use crate::agreement::{Agreement, ClassIdx, LineIdx, PartyIdx, PhaseIdx, ZoneIdx, ZoneShape};

/// What the classifier needs to know about an observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// When it was observed; `None` judges it under the base rules.
    pub time: Option<OffsetDateTime>,
    /// Where.
    pub position: LonLat,
    /// What, if known.
    pub category: Option<Category>,
    /// Weapon class for weapon sightings.
    pub weapon_class: Option<ClassIdx>,
    /// How many (weapons, rounds ...).
    pub count: Option<u32>,
    /// The party the weapon or activity belongs to, when the observer could tell.
    pub party: Option<PartyIdx>,
}

impl Observation {
    /// An observation of nothing in particular at a position.
    pub fn at(position: LonLat) -> Self {
        Self { time: None, position, category: None, weapon_class: None, count: None, party: None }
    }
}

/// Which side of a line an observation is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideOf {
    /// The ground of this party.
    Party(PartyIdx),
    /// On the line itself (within 1 cm).
    On,
    /// Beyond an end of the line, with the "undetermined" policy.
    Undetermined,
}

/// Distance and side for one line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineResult {
    /// Ellipsoidal distance to the line, metres.
    pub distance_m: f64,
    /// Side.
    pub side: SideOf,
}

/// One violation with its evidence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Violation {
    /// What is violated.
    pub code: ViolationCode,
    /// The zone violated.
    pub zone: Option<ZoneIdx>,
    /// The line measured from.
    pub line: Option<LineIdx>,
    /// The weapon class.
    pub class: Option<ClassIdx>,
    /// The party bound by the rule.
    pub party: Option<PartyIdx>,
    /// The observed category.
    pub category: Option<Category>,
    /// The required distance, metres.
    pub required_m: Option<f64>,
    /// The actual distance, metres (negative: beyond the party's own line).
    pub actual_m: Option<f64>,
    /// The phase in force.
    pub phase: Option<PhaseIdx>,
    /// How many.
    pub count: Option<u32>,
}

impl Violation {
    fn new(code: ViolationCode, obs: &Observation, phase: Option<PhaseIdx>) -> Self {
        Self {
            code,
            zone: None,
            line: None,
            class: None,
            party: None,
            category: obs.category,
            required_m: None,
            actual_m: None,
            phase,
            count: obs.count,
        }
    }
}

/// The result of classifying one observation; reuse one value across calls. Two are equal when their
/// answers are (their working buffers aside).
#[derive(Debug, Clone, Default)]
pub struct Classification {
    /// One entry per line of the agreement, in its order.
    pub lines: Vec<LineResult>,
    /// Zones covering the point, in the agreement's order.
    pub zones: Vec<ZoneIdx>,
    /// Violations, in a stable order: zones first (agreement order), then withdrawal rules.
    pub violations: Vec<Violation>,
    /// Phase in force at the observation's time.
    pub phase: Option<PhaseIdx>,
    /// False when the observation predates the agreement.
    pub in_force: bool,
    scratch: Vec<u32>,
    /// The lines' answers as the geometry gives them (before sides become parties): a cell may answer
    /// a line as an earlier one.
    distances: Vec<LineDistance>,
}

impl PartialEq for Classification {
    fn eq(&self, other: &Self) -> bool {
        (self.lines == other.lines)
            && (self.zones == other.zones)
            && (self.violations == other.violations)
            && (self.phase == other.phase)
            && (self.in_force == other.in_force)
    }
}

impl Agreement {
    /// Classifies one observation. See the module documentation for the rules.
    pub fn classify(&self, obs: &Observation) -> Classification {
        let mut out = Classification::default();
        self.classify_into(obs, &mut out);
        out
    }

    /// Classifies one observation into `out`, reusing its buffers.
    pub fn classify_into(&self, obs: &Observation, out: &mut Classification) {
        self.classify_with::<false>(obs, out);
    }

    /// [`Agreement::classify_into`] on the indexes' exact paths only (no cell tables): the reference
    /// the fast path is tested against.
    #[cfg(test)]
    fn classify_exact_into(&self, obs: &Observation, out: &mut Classification) {
        self.classify_with::<true>(obs, out);
    }

    #[inline]
    fn classify_with<const EXACT: bool>(&self, obs: &Observation, out: &mut Classification) {
        out.lines.clear();
        out.distances.clear();
        out.zones.clear();
        out.violations.clear();
        // The reference path is given the same prepared point: it checks the table's choice of pieces
        // and zones, not the trigonometry.
        let (cell, at) = self.fences().locate(obs.position);
        let cell = if EXACT { None } else { cell };
        for (k, line) in self.lines.iter().enumerate() {
            let d = match cell {
                Some(cell) => cell.line(k, line.index(), &at, &out.distances),
                None => line.index().query_at(&at),
            };
            out.distances.push(d);
            // Picked by index: matched, it was a jump through a table, mispredicted at half the points.
            let side = line.sides[match d.side {
                Side::Left => 0,
                Side::Right => 1,
                Side::On => 2,
                Side::Undetermined => 3,
            }];
            out.lines.push(LineResult { distance_m: d.distance_m, side });
        }

        // The polygon zones covering the point, as the cell's set (read in place) or from the index,
        // by slot (slots are numbered in the agreement's order), merged with the bands that cover it.
        out.scratch.clear();
        let slots: &[u32] = match cell.and_then(|cell| cell.zone_set()) {
            Some(set) => set,
            None => {
                self.polygon_index.covering(obs.position, &mut out.scratch);
                &out.scratch
            }
        };
        let mut next = 0;
        for band in &self.bands {
            let r = out.lines[band.line];
            let inside = r.distance_m <= band.width_m
                && match (band.side, r.side) {
                    (None, _) | (_, SideOf::On) => true,
                    (Some(p), SideOf::Party(q)) => p == q,
                    (Some(_), SideOf::Undetermined) => false,
                };
            if inside {
                while let Some(&slot) = slots.get(next)
                    && self.polygon_zones[slot as usize] < band.zone
                {
                    out.zones.push(self.polygon_zones[slot as usize]);
                    next += 1;
                }
                out.zones.push(band.zone);
            }
        }
        out.zones.extend(slots[next..].iter().map(|&slot| self.polygon_zones[slot as usize]));

        let t = obs.time.map(crate::agreement::instant_key);
        out.in_force = match (self.effective_key, t) {
            (Some(effective), Some(t)) => t >= effective,
            _ => true,
        };
        out.phase = t.and_then(|t| self.phase_at_key(t));
        if !out.in_force {
            return;
        }
        let phase = out.phase;
        let active =
            |zi: ZoneIdx| self.zones[zi].phases.as_ref().is_none_or(|ps| phase.is_some_and(|p| ps.contains(&p)));

        // Zone violations.
        if let Some(category) = obs.category {
            for &zi in &out.zones {
                let zone = &self.zones[zi];
                let Some(code) = zone.kind.violation() else { continue };
                if !zone.violated_by.contains(category) || !active(zi) {
                    continue;
                }
                if category == Category::WeaponSighting
                    && let (Some(classes), Some(c)) = (&zone.weapon_classes, obs.weapon_class)
                    && !classes.contains(&c)
                {
                    continue;
                }
                let mut v = Violation::new(code, obs, phase);
                v.zone = Some(zi);
                v.class = obs.weapon_class;
                if let ZoneShape::Band { line, width_m, .. } = zone.shape {
                    v.line = Some(line);
                    v.required_m = Some(width_m);
                    v.actual_m = Some(out.lines[line].distance_m);
                }
                out.violations.push(v);
            }
        }

        // Withdrawal rules.
        let (Some(Category::WeaponSighting), Some(class)) = (obs.category, obs.weapon_class) else { return };
        let wc = &self.classes[class];
        let in_storage = out.zones.iter().any(|&zi| self.zones[zi].kind == ZoneKind::StorageSite && active(zi));
        for rule in &wc.withdrawal {
            let required_m = self.withdrawal_distance_m(class, rule, phase);
            let r = out.lines[rule.line];
            let line = &self.lines[rule.line];
            let owner = match (obs.party, r.side) {
                (Some(p), _) => p,
                (None, SideOf::Party(p)) => p,
                (None, SideOf::On | SideOf::Undetermined) => continue,
            };
            if owner != rule.party {
                continue;
            }
            let signed_m = match r.side {
                SideOf::Party(p) if p == owner => r.distance_m,
                SideOf::Party(_) => -r.distance_m,
                SideOf::On => 0.0,
                // The owner was named but the side is unknown: nothing can be measured.
                SideOf::Undetermined => continue,
            };
            debug_assert!(line.left == owner || line.right == owner);
            if required_m > 0.0 && signed_m < required_m {
                let mut v = Violation::new(ViolationCode::WeaponForwardOfWithdrawalLine, obs, phase);
                v.line = Some(rule.line);
                v.class = Some(class);
                v.party = Some(owner);
                v.required_m = Some(required_m);
                v.actual_m = Some(signed_m);
                out.violations.push(v);
            } else {
                if wc.storage_required && !in_storage {
                    let mut v = Violation::new(ViolationCode::WeaponOutsideStorageSite, obs, phase);
                    v.class = Some(class);
                    v.party = Some(owner);
                    v.line = Some(rule.line);
                    v.actual_m = Some(signed_m);
                    out.violations.push(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::OnceLock;

    use proptest::prelude::*;

    use super::*;
    use crate::agreement::instant_key;

    fn agreement() -> &'static Agreement {
        static A: OnceLock<Agreement> = OnceLock::new();
        A.get_or_init(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/agreements/illustrative.toml");
            Agreement::load(&path).expect("illustrative agreement")
        })
    }

    fn observation(position: LonLat, category: usize, class: usize, day: i64, party: usize) -> Observation {
        let a = agreement();
        let categories = [
            None,
            Some(Category::ExplosionImpact),
            Some(Category::BurstsAndShots),
            Some(Category::WeaponSighting),
            Some(Category::Aircraft),
            Some(Category::ForcePosition),
            Some(Category::MineLaying),
            Some(Category::Vessel),
        ];
        let category = categories[category % categories.len()];
        Observation {
            time: (day >= 0).then(|| time::macros::datetime!(2026-11-05 00:00 UTC) + time::Duration::hours(day)),
            position,
            category,
            weapon_class: (category == Some(Category::WeaponSighting)).then_some(class % a.classes.len()),
            count: Some(1),
            party: (party < a.parties.len()).then_some(party),
        }
    }

    /// The table's classification is the exact paths' classification, field for field.
    fn same(obs: &Observation) -> Result<(), TestCaseError> {
        let a = agreement();
        let (mut fast, mut exact) = (Classification::default(), Classification::default());
        a.classify_into(obs, &mut fast);
        a.classify_exact_into(obs, &mut exact);
        prop_assert_eq!(fast, exact, "{:?}", obs);
        Ok(())
    }

    /// Every vertex of every line and zone of the agreement.
    fn vertices() -> Vec<LonLat> {
        let a = agreement();
        let lines = a.lines.iter().flat_map(|l| l.parts.iter().flatten());
        let zones = a.zones.iter().flat_map(|z| match &z.shape {
            ZoneShape::Polygons { polygons, .. } => polygons.iter().flatten().flatten().copied().collect(),
            ZoneShape::Band { .. } => Vec::new(),
        });
        lines.copied().chain(zones).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3_000, .. ProptestConfig::default() })]

        #[test]
        fn fast_path_equals_exact_path_around_the_agreement(
            lon in 27.0f64..43.0, lat in 42.0f64..55.0, category in 0usize..8, class in 0usize..8,
            day in -100i64..800, party in 0usize..4,
        ) {
            same(&observation(LonLat::new(lon, lat), category, class, day, party))?;
        }

        #[test]
        fn fast_path_equals_exact_path_at_and_near_vertices(
            pick in 0.0f64..1.0, dx in -0.05f64..0.05, dy in -0.05f64..0.05, scale in 0u32..4,
            category in 0usize..8, class in 0usize..8, day in -100i64..800, party in 0usize..4,
        ) {
            let v = vertices();
            let v = v[((v.len() - 1) as f64 * pick) as usize];
            // Exactly on the vertex, then 5 km, 50 m and 50 cm away.
            let k = [0.0, 1.0, 1e-2, 1e-4][scale as usize];
            same(&observation(LonLat::new(v.lon + dx * k, v.lat + dy * k), category, class, day, party))?;
        }

        /// The classifier's integer for an instant orders as time does, whatever the offset it is
        /// written with: an observation is before the agreement, or in a phase, however its time is
        /// written, down to the nanosecond.
        #[test]
        fn instant_keys_order_as_time_does(
            s in -5_000_000_000i64..10_000_000_000, nanos in 0u32..1_000_000_000, later in prop_oneof![
                -2_000_000_000i64..2_000_000_000, -1_000_000_000_000_000_000i64..1_000_000_000_000_000_000],
            offset in -86_399i32..86_400, other in -86_399i32..86_400,
        ) {
            let x = OffsetDateTime::from_unix_timestamp(s).unwrap().replace_nanosecond(nanos).unwrap();
            let y = x + time::Duration::nanoseconds(later);
            let write = |t: OffsetDateTime, o| t.to_offset(time::UtcOffset::from_whole_seconds(o).unwrap());
            let (x, y) = (write(x, offset), write(y, other));
            prop_assert_eq!(instant_key(x).cmp(&instant_key(y)), x.cmp(&y), "{} {}", x, y);
            prop_assert_eq!(instant_key(x), instant_key(write(x, 0)));
        }

        #[test]
        fn fast_path_equals_exact_path_far_away(lon in -180.0f64..=180.0, lat in -90.0f64..=90.0, category in 0usize..8) {
            same(&observation(LonLat::new(lon, lat), category, 0, 200, 9))?;
        }
    }
}
