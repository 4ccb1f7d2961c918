//! A deployment plan checked against the agreement, the theatre and the pledges.
//!
//! # Design
//!
//! [`Checker::new`] does the work that does not depend on the plan once: it indexes the theatre's
//! countries and seas, picks the agreement's force stand-off rules and no-fly and maritime zones, and
//! finds the host party. [`Checker::check`] then looks at each deployment on its own (stateless rules:
//! where it is) and at the plan as a whole (rules over time: a unit booked twice, a pledge exceeded at
//! some moment, a task left uncovered between rotations). Each rule has a stable code and a severity;
//! each finding names the unit, the rule, and the distance or quantity at fault, in a sentence a
//! planner can act on.
//!
//! Per deployment (`position` is the place's, the given one, or an area's vertex mean):
//!
//! | rule | severity | when |
//! |---|---|---|
//! | `standoff` | error | closer to the line than the force's minimum stand-off: the width of the agreement's `force_standoff` band (or inside a `force_standoff` polygon), or the plan's own `standoff_km` if larger. Distance along the ellipsoid from the line's index; for an area, its closest boundary point (sampled every 500 m) or 0 if the line runs inside it |
//! | `beyond_line` | error | on ground the other party holds: inside the host's borders but on the other party's side of the stand-off line (judged only where the nearest point of the line is not one of its ends, where "side" is a matter of extension), or inside both the host's and a forbidden country's polygon (Crimea in the shipped OSM data) |
//! | `forbidden_territory` | error | inside a forbidden country (e.g. RUS, BLR) and not inside the host |
//! | `caveat` | error | the location (inside Ukraine, neighbouring territory, at sea, in the air, outside the theatre) is not one its pledge allows; the pledge's latest words are quoted |
//! | `ship_on_land` / `ship_outside_sea` | error | a sea unit at a point on land, or neither at sea nor within the coast tolerance of it (a ship at a `port` place may be on the coast) |
//! | `in_maritime_exclusion` | warning | a ship inside an agreement `maritime_exclusion` zone |
//! | `area_no_fly` | error | an air patrol area reaching into a `no_fly` zone (band: closer than its width to its line; polygon: overlapping) |
//! | `area_outside_airspace` / `area_outside_sea` | error | an area's boundary leaving the allowed airspace (the host, the theatre's `airspace` countries and the sea, with the coast tolerance), or a sea patrol area leaving the sea |
//! | `pledge_status` | error / warning | its pledge is declined or withdrawn (error), undecided or conditional (warning, with the conditions) |
//! | `unpledged` | warning / error | no pledge of its nation in its domain (warning), or all of them declined or withdrawn (error) |
//! | `before_effective` | warning | inside Ukraine before the agreement enters into force |
//!
//! Over the plan: `double_booked` (a unit in two deployments at once), `over_pledge` (more of a
//! pledge's measure deployed at once than pledged: units count their `quantity`, or their strength when
//! the measure is `personnel`, else 1), `rotation_gap` (a task uncovered for longer than it tolerates)
//! and `tour_too_long` (warning).

use std::collections::HashMap;

use serde::Serialize;
use truce_core::ZoneKind;
use truce_engine::Agreement;
use truce_engine::agreement::{LineIdx, ZoneShape};
use truce_geo::{LonLat, Side};

use crate::geo::Geography;
use crate::model::{Coalition, Day, Deployment, Domain, Location, Lookup, PlaceKind, Plan, Pledge, Status, Unit};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The plan breaks a rule: `truce plan check` exits with 1.
    Error,
    /// Worth a planner's attention.
    Warning,
}

/// One problem with a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// The rule's stable code, e.g. `standoff`.
    pub rule: &'static str,
    /// The unit at fault.
    pub unit: String,
    /// Its nation.
    pub nation: String,
    /// The deployment (index in the plan), when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<usize>,
    /// Line of the deployment in the plan's file (0 when unknown).
    pub line: usize,
    /// Where (longitude, latitude), for the map.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<[f64; 2]>,
    /// What was measured: km for distances, the pledge's measure for quantities, days for gaps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<f64>,
    /// The limit it was held to, in the same unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<f64>,
    /// The pledge's words, for caveats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
    /// The finding in one sentence.
    pub message: String,
}

/// The result of checking a plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanCheck {
    /// The plan.
    pub plan: String,
    /// Its name.
    pub name: String,
    /// The file it was read from.
    pub file: String,
    /// Deployments checked.
    pub deployments: usize,
    /// Findings, by deployment then rule; plan-wide rules after.
    pub findings: Vec<Finding>,
    /// Errors among them.
    pub errors: usize,
    /// Warnings among them.
    pub warnings: usize,
    /// What could not be checked, and why.
    pub notes: Vec<String>,
    /// The stand-off rules applied, in words.
    pub standoff: Vec<String>,
}

/// One minimum distance from a line.
#[derive(Debug, Clone)]
struct Standoff {
    line: LineIdx,
    min_m: f64,
    /// Where the rule comes from, in words.
    source: String,
}

/// A zone an air area must not reach into.
#[derive(Debug, Clone)]
enum NoFly {
    Band { zone: usize, line: LineIdx, width_m: f64 },
    Polygon { zone: usize, slot: usize, rings: Vec<Vec<LonLat>> },
}

/// What the checker precomputes from the agreement and the theatre.
#[derive(Debug)]
pub struct Checker<'a> {
    agreement: &'a Agreement,
    coalition: &'a Coalition,
    lookup: Lookup,
    geography: Option<Geography<'a>>,
    /// Agreement stand-off bands per line (strictest), and polygon stand-off zones.
    bands: Vec<Standoff>,
    standoff_polygons: Vec<usize>,
    no_fly: Vec<NoFly>,
    /// Polygon slots of maritime exclusion zones.
    maritime_exclusion: Vec<(usize, usize)>,
    /// The host's party in the agreement.
    host_party: Option<usize>,
    host: String,
}

/// Distance between samples of an area's boundary, metres.
const SAMPLE_M: f64 = 500.0;

impl<'a> Checker<'a> {
    /// Prepares checks against `agreement` with the coalition's theatre, pledges and units.
    ///
    /// # Errors
    /// The stored theatre's polygons cannot be indexed.
    pub fn new(agreement: &'a Agreement, coalition: &'a Coalition) -> Result<Self, String> {
        let geography = coalition.theatre.as_ref().map(Geography::new).transpose()?;
        let host = coalition.theatre.as_ref().map_or_else(|| "UKR".to_owned(), |t| t.host.clone());
        let host_party = agreement.parties.iter().position(|p| p.iso3.as_deref() == Some(host.as_str()));
        let mut bands: Vec<Standoff> = Vec::new();
        let mut standoff_polygons = Vec::new();
        let mut no_fly = Vec::new();
        let mut maritime_exclusion = Vec::new();
        for (zi, z) in agreement.zones.iter().enumerate() {
            match (z.kind, &z.shape) {
                (ZoneKind::ForceStandoff, &ZoneShape::Band { line, width_m, .. }) => {
                    let source = format!("agreement zone {}", z.id);
                    match bands.iter_mut().find(|b| b.line == line) {
                        Some(b) if b.min_m < width_m => *b = Standoff { line, min_m: width_m, source },
                        Some(_) => {}
                        None => bands.push(Standoff { line, min_m: width_m, source }),
                    }
                }
                (ZoneKind::ForceStandoff, ZoneShape::Polygons { slot, .. }) => standoff_polygons.push(*slot),
                (ZoneKind::NoFly, &ZoneShape::Band { line, width_m, .. }) => {
                    no_fly.push(NoFly::Band { zone: zi, line, width_m })
                }
                (ZoneKind::NoFly, ZoneShape::Polygons { polygons, slot }) => no_fly.push(NoFly::Polygon {
                    zone: zi,
                    slot: *slot,
                    rings: polygons.iter().flatten().cloned().collect(),
                }),
                (ZoneKind::MaritimeExclusion, ZoneShape::Polygons { slot, .. }) => maritime_exclusion.push((zi, *slot)),
                _ => {}
            }
        }
        Ok(Self {
            agreement,
            coalition,
            lookup: coalition.lookup(),
            geography,
            bands,
            standoff_polygons,
            no_fly,
            maritime_exclusion,
            host_party,
            host,
        })
    }

    /// The stand-off rules for `plan`: the agreement's bands, raised to the plan's own minimum on its
    /// line where that is larger.
    fn standoffs(&self, plan: &Plan, notes: &mut Vec<String>) -> Vec<Standoff> {
        let mut rules = self.bands.clone();
        if let Some(km) = plan.standoff_km {
            let line = match &plan.standoff_line {
                Some(id) => match self.agreement.lines.iter().position(|l| &l.id == id) {
                    Some(l) => Some(l),
                    None => {
                        notes.push(format!("the plan's standoff_line {id:?} is not a line of the agreement"));
                        None
                    }
                },
                None => rules.first().map(|r| r.line).or((!self.agreement.lines.is_empty()).then_some(0)),
            };
            if let Some(line) = line {
                let source = format!("plan {}", plan.id);
                let min_m = km * 1000.0;
                match rules.iter_mut().find(|r| r.line == line) {
                    Some(r) if r.min_m < min_m => *r = Standoff { line, min_m, source },
                    Some(_) => {}
                    None => rules.push(Standoff { line, min_m, source }),
                }
            }
        }
        rules
    }

    /// The line the front is judged on: the first stand-off line, else the agreement's first line.
    fn front_line(&self, rules: &[Standoff]) -> Option<LineIdx> {
        rules.first().map(|r| r.line).or((!self.agreement.lines.is_empty()).then_some(0))
    }

    /// Checks every deployment of `plan` and the plan as a whole.
    pub fn check(&self, plan: &Plan) -> PlanCheck {
        let mut notes = Vec::new();
        if self.geography.is_none() {
            notes.push(
                "no theatre imported: territory, sea and airspace rules were not checked (import a [theatre])"
                    .to_owned(),
            );
        }
        if self.host_party.is_none() {
            notes.push(format!(
                "the agreement has no party with iso3 {:?}: which side of the line is the host's is unknown, beyond_line was not checked",
                self.host
            ));
        }
        let rules = self.standoffs(plan, &mut notes);
        let front = self.front_line(&rules);
        let mut out = Vec::new();
        let mut scratch = Vec::new();
        let mut ctx = Ctx { findings: &mut out, scratch: &mut scratch };
        for (i, d) in plan.deployments.iter().enumerate() {
            let Some(unit) = self.lookup.unit(self.coalition, &d.unit) else {
                ctx.findings.push(Finding {
                    severity: Severity::Error,
                    rule: "unknown_unit",
                    unit: d.unit.clone(),
                    nation: String::new(),
                    deployment: Some(i),
                    line: d.line,
                    position: Some(d.position),
                    measured: None,
                    limit: None,
                    quote: None,
                    message: format!("unit {} is not known to the coalition", d.unit),
                });
                continue;
            };
            self.deployment(i, d, unit, &rules, front, &mut ctx);
        }
        self.double_booked(plan, &mut out);
        self.over_pledge(plan, &mut out);
        self.rotations(plan, &mut out);
        let errors = out.iter().filter(|f| f.severity == Severity::Error).count();
        PlanCheck {
            plan: plan.id.clone(),
            name: plan.name.clone(),
            file: plan.file.clone(),
            deployments: plan.deployments.len(),
            warnings: out.len() - errors,
            errors,
            findings: out,
            notes,
            standoff: rules
                .iter()
                .map(|r| {
                    format!(
                        "{} km from {} ({})",
                        crate::model::number(r.min_m / 1000.0),
                        self.agreement.lines[r.line].id,
                        r.source
                    )
                })
                .collect(),
        }
    }

    fn deployment(
        &self,
        i: usize,
        d: &Deployment,
        unit: &Unit,
        rules: &[Standoff],
        front: Option<LineIdx>,
        ctx: &mut Ctx<'_>,
    ) {
        let p = LonLat::new(d.position[0], d.position[1]);
        let mk = |severity: Severity,
                  rule: &'static str,
                  measured: Option<f64>,
                  limit: Option<f64>,
                  quote: Option<String>,
                  message: String|
         -> Finding {
            Finding {
                severity,
                rule,
                unit: unit.id.clone(),
                nation: unit.nation.clone(),
                deployment: Some(i),
                line: d.line,
                position: Some(d.position),
                measured,
                limit,
                quote,
                message,
            }
        };
        let who = format!("unit {} ({})", unit.id, unit.nation);
        let area: Option<Vec<LonLat>> =
            d.area.as_ref().map(|a| a.iter().map(|&[x, y]| LonLat::new(x, y)).collect::<Vec<_>>());
        let samples: Option<Vec<LonLat>> = area.as_ref().map(|a| sample_ring(a, SAMPLE_M));

        // Stand-off: the strictest rule per line.
        for r in rules {
            let line = &self.agreement.lines[r.line];
            let (dist_m, what) = match (&area, &samples) {
                (Some(a), Some(s)) => {
                    let inside = line.parts.iter().flatten().any(|&v| ring_contains(a, v));
                    let m = if inside {
                        0.0
                    } else {
                        s.iter().map(|&q| line.index().query(q).distance_m).fold(f64::INFINITY, f64::min)
                    };
                    let what = if m == 0.0 {
                        format!("{who}'s patrol area crosses {}", line.id)
                    } else {
                        format!("{who}'s patrol area comes {:.1} km from {}", m / 1000.0, line.id)
                    };
                    (m, what)
                }
                _ => {
                    let m = line.index().query(p).distance_m;
                    (m, format!("{who} is {:.1} km from {}", m / 1000.0, line.id))
                }
            };
            if dist_m < r.min_m {
                let min_km = r.min_m / 1000.0;
                ctx.findings.push(mk(
                    Severity::Error,
                    "standoff",
                    Some(round1(dist_m / 1000.0)),
                    Some(min_km),
                    None,
                    format!(
                        "{what}; the force's minimum stand-off is {} km ({})",
                        crate::model::number(min_km),
                        r.source
                    ),
                ));
            }
        }
        for &slot in &self.standoff_polygons {
            if self.agreement.polygon_index.covers(slot, p) {
                let z = &self.agreement.zones[self.agreement.polygon_zones[slot]];
                ctx.findings.push(mk(
                    Severity::Error,
                    "standoff",
                    None,
                    None,
                    None,
                    format!("{who} is inside the force stand-off zone {}", z.id),
                ));
            }
        }

        // Where it is.
        let place_kind = d.place.as_ref().and_then(|id| self.lookup.place(self.coalition, id)).map(|pl| pl.kind);
        let location = match (&self.geography, d.area.is_some()) {
            (_, true) if unit.domain == Domain::Air => Some(Location::InAir),
            (_, true) => Some(Location::AtSea),
            (None, false) => None,
            (Some(g), false) => Some(self.locate(g, p, unit, place_kind, &who, &mk, front, ctx)),
        };

        // Areas: no-fly zones, airspace, sea.
        if let (Some(a), Some(s)) = (&area, &samples) {
            self.area_checks(unit, a, s, &who, &mk, ctx);
        }

        // Pledge: status, caveats.
        let pledges: Vec<&Pledge> = match &unit.pledge {
            Some(pid) => self.lookup.pledge(self.coalition, pid).into_iter().collect(),
            None => self
                .lookup
                .pledges_of(self.coalition, &unit.nation)
                .into_iter()
                .filter(|pl| pl.domain == unit.domain)
                .collect(),
        };
        if unit.pledge.is_none() {
            let live: Vec<&&Pledge> = pledges
                .iter()
                .filter(|pl| {
                    !matches!(self.lookup.status(self.coalition, &pl.id), Some(Status::Declined | Status::Withdrawn))
                })
                .collect();
            if pledges.is_empty() {
                ctx.findings.push(mk(
                    Severity::Warning,
                    "unpledged",
                    None,
                    None,
                    None,
                    format!("{who} has no pledge behind it: {} has pledged nothing in {}", unit.nation, unit.domain),
                ));
            } else if live.is_empty() {
                let q = self.words(pledges[0]);
                ctx.findings.push(mk(
                    Severity::Error,
                    "unpledged",
                    None,
                    None,
                    q.clone(),
                    format!(
                        "{who}: {} has declined or withdrawn every {} pledge ({}){}",
                        unit.nation,
                        unit.domain,
                        pledges.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", "),
                        q.map(|q| format!(": {q}")).unwrap_or_default()
                    ),
                ));
            }
        } else if let Some(pl) = pledges.first() {
            match self.lookup.status(self.coalition, &pl.id) {
                Some(s @ (Status::Declined | Status::Withdrawn)) => {
                    let q = self.words(pl);
                    ctx.findings.push(mk(
                        Severity::Error,
                        "pledge_status",
                        None,
                        None,
                        q.clone(),
                        format!(
                            "{who} fills pledge {}, which is {s}{}",
                            pl.id,
                            q.map(|q| format!(": {q}")).unwrap_or_default()
                        ),
                    ));
                }
                Some(s @ (Status::Undecided | Status::Conditional)) => {
                    let conditions = if pl.conditions.is_empty() {
                        String::new()
                    } else {
                        format!(" on {}", pl.conditions.iter().map(|c| c.id()).collect::<Vec<_>>().join(", "))
                    };
                    ctx.findings.push(mk(
                        Severity::Warning,
                        "pledge_status",
                        None,
                        None,
                        self.words(pl),
                        format!("{who} fills pledge {}, which is only {s}{conditions}", pl.id),
                    ));
                }
                _ => {}
            }
        }
        if let Some(loc) = location {
            let stated: Vec<&&Pledge> = pledges.iter().filter(|pl| !pl.locations.is_empty()).collect();
            if !stated.is_empty() && !stated.iter().any(|pl| pl.locations.contains(&loc)) {
                let pl = stated[0];
                let allowed: Vec<&str> = pl.locations.iter().map(|l| l.words()).collect();
                let q = self.words(pl);
                let nation = self.lookup.nation(self.coalition, &unit.nation).map_or(unit.nation.as_str(), |n| &n.name);
                ctx.findings.push(mk(
                    Severity::Error,
                    "caveat",
                    None,
                    None,
                    q.clone(),
                    format!(
                        "{who} is {}; {nation}'s pledge {} allows only {}{}",
                        loc.words(),
                        pl.id,
                        allowed.join(", "),
                        q.map(|q| format!(" — {q}")).unwrap_or_default()
                    ),
                ));
            }
            if loc == Location::InsideUkraine
                && let Some(eff) = self.agreement.effective
                && d.from.0 < eff.date()
            {
                ctx.findings.push(mk(
                    Severity::Warning,
                    "before_effective",
                    None,
                    None,
                    None,
                    format!(
                        "{who} deploys inside Ukraine on {}, before the agreement {} enters into force on {}",
                        d.from,
                        self.agreement.id,
                        eff.date()
                    ),
                ));
            }
        }
    }

    /// Where a point deployment is, with the territorial and ship rules.
    #[allow(clippy::too_many_arguments)]
    fn locate(
        &self,
        g: &Geography<'_>,
        p: LonLat,
        unit: &Unit,
        place_kind: Option<PlaceKind>,
        who: &str,
        mk: MakeFinding<'_>,
        front: Option<LineIdx>,
        ctx: &mut Ctx<'_>,
    ) -> Location {
        let t = g.theatre;
        let ground = g.ground(p, ctx.scratch);
        let codes: Vec<&str> = ground.countries.iter().map(|&c| g.a3(c)).collect();
        let in_host = codes.contains(&t.host.as_str());
        let forbidden: Vec<&str> = codes.iter().copied().filter(|c| t.forbidden.iter().any(|f| f == c)).collect();
        let is_ship = unit.domain == Domain::Sea;

        if let Some(&f) = forbidden.first() {
            if in_host {
                ctx.findings.push(mk(
                    Severity::Error,
                    "beyond_line",
                    None,
                    None,
                    None,
                    format!(
                        "{who} is on ground held by {f}: inside both {} and {f} in the theatre's geography (Crimea)",
                        t.host
                    ),
                ));
            } else if !(is_ship && ground.sea) {
                ctx.findings.push(mk(
                    Severity::Error,
                    "forbidden_territory",
                    None,
                    None,
                    None,
                    format!("{who} is inside {f}, where no unit of the force may be"),
                ));
            }
        } else if in_host
            && !(is_ship && ground.sea)
            && let (Some(front), Some(host)) = (front, self.host_party)
        {
            let line = &self.agreement.lines[front];
            let q = line.index().query(p);
            let other_side = match q.side {
                Side::Left => line.left != host,
                Side::Right => line.right != host,
                Side::On | Side::Undetermined => false,
            };
            // Beyond an end of the line the side is an extrapolation: judge only where the nearest point
            // of the line is not an end vertex.
            let at_end = line.parts.iter().flat_map(|part| [part.first(), part.last()]).flatten().any(|&v| {
                (truce_geo::geodesic::distance_m(p, v) - q.distance_m).abs() <= (1.0f64).max(q.distance_m * 1e-6)
            });
            if other_side && !at_end {
                let holder = if line.left == host { line.right } else { line.left };
                ctx.findings.push(mk(
                    Severity::Error,
                    "beyond_line",
                    Some(round1(q.distance_m / 1000.0)),
                    None,
                    None,
                    format!(
                        "{who} is on ground held by {}: {:.1} km beyond {} on its side",
                        self.agreement.parties[holder].id,
                        q.distance_m / 1000.0,
                        line.id
                    ),
                ));
            }
        }

        if is_ship {
            let at_coast = place_kind == Some(PlaceKind::Port) && g.near_sea(p, ctx.scratch);
            if ground.sea || at_coast {
                for &(zi, slot) in &self.maritime_exclusion {
                    if self.agreement.polygon_index.covers(slot, p) {
                        ctx.findings.push(mk(
                            Severity::Warning,
                            "in_maritime_exclusion",
                            None,
                            None,
                            None,
                            format!(
                                "{who} (a ship) is inside the maritime exclusion zone {} of the agreement",
                                self.agreement.zones[zi].id
                            ),
                        ));
                    }
                }
            } else if let Some(&c) = codes.first() {
                ctx.findings.push(mk(
                    Severity::Error,
                    "ship_on_land",
                    None,
                    None,
                    None,
                    format!(
                        "{who} is a ship placed on land (inside {c}){}",
                        if place_kind == Some(PlaceKind::Port) {
                            format!(", more than {} km from the sea", crate::model::number(t.coast_tolerance_km))
                        } else {
                            String::new()
                        }
                    ),
                ));
            } else if !g.near_sea(p, ctx.scratch) {
                let seas: Vec<&str> = t.seas.iter().map(|s| s.name.as_str()).collect();
                ctx.findings.push(mk(
                    Severity::Error,
                    "ship_outside_sea",
                    None,
                    None,
                    None,
                    format!("{who} is a ship outside the maritime area ({})", seas.join(", ")),
                ));
            }
        }

        // A ship in the sea polygon is at sea even where the generalised land polygons reach over the
        // water; anything else on land is in that country.
        if is_ship && ground.sea {
            Location::AtSea
        } else if in_host {
            Location::InsideUkraine
        } else if codes.iter().any(|c| t.neighbours.iter().any(|n| n == c)) {
            Location::Neighbouring
        } else if ground.sea {
            Location::AtSea
        } else if codes.is_empty() && g.near_coast(p, ctx.scratch) {
            // On the coast, between the generalised land and the sea: the nearest ground decides.
            let mut best = Location::AtSea;
            for k in 0..8 {
                let q = truce_geo::geodesic::destination(p, f64::from(k) * 45.0, t.coast_tolerance_km * 1000.0);
                let gq = g.ground(q, ctx.scratch);
                let cs: Vec<&str> = gq.countries.iter().map(|&c| g.a3(c)).collect();
                if cs.contains(&t.host.as_str()) {
                    best = Location::InsideUkraine;
                    break;
                }
                if cs.iter().any(|c| t.neighbours.iter().any(|n| n == c)) {
                    best = Location::Neighbouring;
                }
            }
            best
        } else {
            Location::OutsideTheatre
        }
    }

    fn area_checks(
        &self,
        unit: &Unit,
        area: &[LonLat],
        samples: &[LonLat],
        who: &str,
        mk: MakeFinding<'_>,
        ctx: &mut Ctx<'_>,
    ) {
        if unit.domain == Domain::Air {
            for nf in &self.no_fly {
                match nf {
                    NoFly::Band { zone, line, width_m } => {
                        let l = &self.agreement.lines[*line];
                        let inside = l.parts.iter().flatten().any(|&v| ring_contains(area, v));
                        let m = if inside {
                            0.0
                        } else {
                            samples.iter().map(|&q| l.index().query(q).distance_m).fold(f64::INFINITY, f64::min)
                        };
                        if m < *width_m {
                            ctx.findings.push(mk(
                                Severity::Error,
                                "area_no_fly",
                                Some(round1(m / 1000.0)),
                                Some(width_m / 1000.0),
                                None,
                                format!(
                                    "{who}'s air patrol area crosses the no-fly zone {}: it {}, the zone reaches {} km from it",
                                    self.agreement.zones[*zone].id,
                                    if m == 0.0 {
                                        format!("crosses {}", l.id)
                                    } else {
                                        format!("comes {:.1} km from {}", m / 1000.0, l.id)
                                    },
                                    crate::model::number(width_m / 1000.0)
                                ),
                            ));
                        }
                    }
                    NoFly::Polygon { zone, slot, rings } => {
                        let overlaps = samples.iter().any(|&q| self.agreement.polygon_index.covers(*slot, q))
                            || rings.iter().flatten().any(|&v| ring_contains(area, v));
                        if overlaps {
                            ctx.findings.push(mk(
                                Severity::Error,
                                "area_no_fly",
                                None,
                                None,
                                None,
                                format!(
                                    "{who}'s air patrol area crosses the no-fly zone {}",
                                    self.agreement.zones[*zone].id
                                ),
                            ));
                        }
                    }
                }
            }
        }
        let Some(g) = &self.geography else { return };
        let t = g.theatre;
        for &q in samples {
            let ground = g.ground(q, ctx.scratch);
            let codes: Vec<&str> = ground.countries.iter().map(|&c| g.a3(c)).collect();
            let bad = if unit.domain == Domain::Air {
                let in_host = codes.contains(&t.host.as_str());
                let allowed = |c: &&str| *c == t.host || t.airspace.iter().any(|a| a == c) || ground.sea;
                if !in_host && codes.iter().any(|c| t.forbidden.iter().any(|f| f == c)) {
                    Some(format!(
                        "over {}",
                        codes.iter().find(|c| t.forbidden.iter().any(|f| f == *c)).copied().unwrap_or("?")
                    ))
                } else if !codes.is_empty() && !codes.iter().any(allowed) {
                    Some(format!("over {}", codes[0]))
                } else if codes.is_empty() && !ground.sea && !g.near_coast(q, ctx.scratch) {
                    Some("outside the theatre's land and sea".to_owned())
                } else {
                    None
                }
            } else if !ground.sea && !g.near_sea(q, ctx.scratch) {
                Some(match codes.first() {
                    Some(c) => format!("over land in {c}"),
                    None => "outside the maritime area".to_owned(),
                })
            } else {
                None
            };
            if let Some(why) = bad {
                let (rule, what) = if unit.domain == Domain::Air {
                    ("area_outside_airspace", "air patrol area leaves the allowed airspace")
                } else {
                    ("area_outside_sea", "sea patrol area leaves the maritime area")
                };
                let mut f = mk(
                    Severity::Error,
                    rule,
                    None,
                    None,
                    None,
                    format!("{who}'s {what} at [{:.3}, {:.3}] ({why})", q.lon, q.lat),
                );
                f.position = Some([q.lon, q.lat]);
                ctx.findings.push(f);
                break;
            }
        }
    }

    /// The pledge's latest words with their source and date, for quoting.
    fn words(&self, pl: &Pledge) -> Option<String> {
        self.lookup.current(self.coalition, &pl.id).map(|h| {
            let dated = match h.dated {
                crate::model::Dated::On => h.date.human(),
                crate::model::Dated::By => format!("by {}", h.date.human()),
            };
            format!("\"{}\" ({}, {dated})", h.quote, h.source)
        })
    }

    fn double_booked(&self, plan: &Plan, out: &mut Vec<Finding>) {
        let mut by_unit: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, d) in plan.deployments.iter().enumerate() {
            by_unit.entry(d.unit.as_str()).or_default().push(i);
        }
        let mut units: Vec<_> = by_unit.into_iter().collect();
        units.sort();
        for (unit, mut ix) in units {
            ix.sort_by_key(|&i| plan.deployments[i].from);
            for w in ix.windows(2) {
                let (a, b) = (&plan.deployments[w[0]], &plan.deployments[w[1]]);
                if a.until.is_none_or(|u| b.from <= u) {
                    let nation = self.lookup.unit(self.coalition, unit).map(|u| u.nation.clone()).unwrap_or_default();
                    out.push(Finding {
                        severity: Severity::Error,
                        rule: "double_booked",
                        unit: unit.to_owned(),
                        nation,
                        deployment: Some(w[1]),
                        line: b.line,
                        position: Some(b.position),
                        measured: None,
                        limit: None,
                        quote: None,
                        message: format!(
                            "unit {unit} is deployed twice at once: from {} (line {}) and from {} (line {}), overlapping from {}",
                            a.from, a.line, b.from, b.line, b.from
                        ),
                    });
                }
            }
        }
    }

    /// How much of its pledge's measure a unit is.
    fn unit_quantity(&self, unit: &Unit, pledge: &Pledge) -> f64 {
        unit.quantity.unwrap_or(if pledge.measure.as_deref() == Some("personnel") {
            f64::from(unit.strength)
        } else {
            1.0
        })
    }

    fn over_pledge(&self, plan: &Plan, out: &mut Vec<Finding>) {
        // Per pledge: +q at the first day, -q the day after the last.
        let mut events: HashMap<&str, Vec<(i64, f64, usize)>> = HashMap::new();
        for (i, d) in plan.deployments.iter().enumerate() {
            let Some(unit) = self.lookup.unit(self.coalition, &d.unit) else { continue };
            let Some(pid) = &unit.pledge else { continue };
            let Some(pl) = self.lookup.pledge(self.coalition, pid) else { continue };
            let q = self.unit_quantity(unit, pl);
            let e = events.entry(pid.as_str()).or_default();
            e.push((d.from.ordinal(), q, i));
            e.push((d.until.map_or(i64::MAX, |u| u.ordinal() + 1), -q, i));
        }
        let mut pledges: Vec<_> = events.into_iter().collect();
        pledges.sort_by(|a, b| a.0.cmp(b.0));
        for (pid, mut ev) in pledges {
            let Some(pl) = self.lookup.pledge(self.coalition, pid) else { continue };
            let Some(pledged) = self.lookup.quantity(self.coalition, pl) else { continue };
            // Ends before starts on the same day: a unit leaving hands over to one arriving.
            ev.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            let mut level = 0.0;
            let mut active: Vec<usize> = Vec::new();
            let mut worst: Option<(f64, i64, Vec<usize>)> = None;
            for (k, &(day, q, i)) in ev.iter().enumerate() {
                level += q;
                if q > 0.0 {
                    active.push(i);
                } else {
                    active.retain(|&a| a != i);
                }
                let last_of_day = ev.get(k + 1).is_none_or(|n| n.0 != day);
                if last_of_day && level > pledged + 1e-9 && worst.as_ref().is_none_or(|w| level > w.0) {
                    worst = Some((level, day, active.clone()));
                }
            }
            if let Some((level, day, ix)) = worst {
                let measure = pl.measure.clone().unwrap_or_default();
                let units: Vec<&str> = ix.iter().map(|&i| plan.deployments[i].unit.as_str()).collect();
                let first = ix.iter().copied().max().unwrap_or(0);
                let d = &plan.deployments[first];
                out.push(Finding {
                    severity: Severity::Error,
                    rule: "over_pledge",
                    unit: d.unit.clone(),
                    nation: pl.nation.clone(),
                    deployment: Some(first),
                    line: d.line,
                    position: Some(d.position),
                    measured: Some(level),
                    limit: Some(pledged),
                    quote: self.words(pl),
                    message: format!(
                        "{} pledged {} ({measure}) under {}; the plan deploys {} at once from {} ({})",
                        pl.nation,
                        crate::model::number(pledged),
                        pl.id,
                        crate::model::number(level),
                        Day::from_ordinal(day).map(|d| d.to_string()).unwrap_or_default(),
                        units.join(", ")
                    ),
                });
            }
        }
    }

    fn rotations(&self, plan: &Plan, out: &mut Vec<Finding>) {
        for task in &plan.tasks {
            let mut ix: Vec<usize> = (0..plan.deployments.len())
                .filter(|&i| plan.deployments[i].task.as_deref() == Some(&task.id))
                .collect();
            ix.sort_by_key(|&i| plan.deployments[i].from);
            let start = task.from.ordinal();
            let end = task.until.ordinal();
            // Walk the covered stretch; every uncovered run is a gap.
            let mut covered_to = start - 1; // last covered day
            let mut before: Option<usize> = None;
            let mut gaps: Vec<(i64, i64, Option<usize>, Option<usize>)> = Vec::new();
            for &i in &ix {
                let d = &plan.deployments[i];
                let (f, u) = (d.from.ordinal(), d.until.map_or(i64::MAX, |u| u.ordinal()));
                if u < start || f > end {
                    continue;
                }
                if f > covered_to + 1 {
                    gaps.push((covered_to + 1, f - 1, before, Some(i)));
                }
                if u > covered_to {
                    covered_to = u;
                    before = Some(i);
                }
                if let Some(max) = task.max_tour_days {
                    let days = d.until.map_or(i64::MAX, |u| u.ordinal() - d.from.ordinal() + 1);
                    if days > i64::from(max) {
                        let nation = self.nation_of(&d.unit);
                        out.push(Finding {
                            severity: Severity::Warning,
                            rule: "tour_too_long",
                            unit: d.unit.clone(),
                            nation,
                            deployment: Some(i),
                            line: d.line,
                            position: Some(d.position),
                            measured: (days != i64::MAX).then_some(days as f64),
                            limit: Some(f64::from(max)),
                            quote: None,
                            message: format!(
                                "unit {}'s tour on task {} lasts {}; the task allows at most {max} days",
                                d.unit,
                                task.id,
                                if days == i64::MAX { "without end".to_owned() } else { format!("{days} days") }
                            ),
                        });
                    }
                }
            }
            if covered_to < end {
                gaps.push((covered_to + 1, end, before, None));
            }
            for (from, until, before, after) in gaps {
                let days = until - from + 1;
                if days <= i64::from(task.max_gap_days) {
                    continue;
                }
                let named = after.or(before);
                let (unit, line, position) = named.map_or((String::new(), 0, None), |i| {
                    let d = &plan.deployments[i];
                    (d.unit.clone(), d.line, Some(d.position))
                });
                let day = |n: i64| Day::from_ordinal(n).map(|d| d.to_string()).unwrap_or_default();
                let around = match (before, after) {
                    (Some(b), Some(a)) => {
                        format!(" between {} and {}", plan.deployments[b].unit, plan.deployments[a].unit)
                    }
                    (Some(b), None) => format!(" after {}", plan.deployments[b].unit),
                    (None, Some(a)) => format!(" before {}", plan.deployments[a].unit),
                    (None, None) => " (no unit assigned)".to_owned(),
                };
                out.push(Finding {
                    severity: Severity::Error,
                    rule: "rotation_gap",
                    nation: self.nation_of(&unit),
                    unit,
                    deployment: named,
                    line,
                    position,
                    measured: Some(days as f64),
                    limit: Some(f64::from(task.max_gap_days)),
                    quote: None,
                    message: format!(
                        "task {} is uncovered for {days} day{} from {} to {}{around}; it tolerates {} day{}",
                        task.id,
                        if days == 1 { "" } else { "s" },
                        day(from),
                        day(until),
                        task.max_gap_days,
                        if task.max_gap_days == 1 { "" } else { "s" },
                    ),
                });
            }
        }
    }

    fn nation_of(&self, unit: &str) -> String {
        self.lookup.unit(self.coalition, unit).map(|u| u.nation.clone()).unwrap_or_default()
    }
}

/// Makes a finding about one deployment: severity, rule, measured, limit, quote, message.
type MakeFinding<'m> = &'m dyn Fn(Severity, &'static str, Option<f64>, Option<f64>, Option<String>, String) -> Finding;

struct Ctx<'x> {
    findings: &'x mut Vec<Finding>,
    scratch: &'x mut Vec<u32>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Points along a closed ring (straight edges in longitude/latitude, as GeoJSON), at most `step_m`
/// apart, vertices included.
pub fn sample_ring(ring: &[LonLat], step_m: f64) -> Vec<LonLat> {
    let mut out = Vec::new();
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        let at = |t: f64| LonLat::new(a.lon + (b.lon - a.lon) * t, a.lat + (b.lat - a.lat) * t);
        let len = truce_geo::geodesic::distance_m(a, b);
        let mut n = (len / step_m).ceil().max(1.0);
        // Equal steps in longitude/latitude are not equal on the ground: the longest is at one end of
        // the edge (the metres per degree change monotonically along it); make that one fit.
        let piece = |n: f64, k: f64| truce_geo::geodesic::distance_m(at(k / n), at((k + 1.0) / n));
        let worst = piece(n, 0.0).max(piece(n, n - 1.0));
        if worst > step_m {
            n = (n * worst / step_m * 1.001).ceil();
        }
        let n = n as usize;
        for k in 0..n {
            out.push(at(k as f64 / n as f64));
        }
    }
    if let Some(&last) = ring.last() {
        out.push(last);
    }
    out
}

/// Even-odd point in a closed ring (lon/lat plane).
pub fn ring_contains(ring: &[LonLat], p: LonLat) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.lat > p.lat) != (b.lat > p.lat) {
            let x = a.lon + (p.lat - a.lat) / (b.lat - a.lat) * (b.lon - a.lon);
            if p.lon < x {
                inside = !inside;
            }
        }
    }
    inside
}

/// Checks a plan; see the module documentation for the rules.
///
/// # Errors
/// The stored theatre cannot be indexed.
pub fn check(agreement: &Agreement, coalition: &Coalition, plan: &Plan) -> Result<PlanCheck, String> {
    Ok(Checker::new(agreement, coalition)?.check(plan))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_contains_its_inside_only() {
        let ring: Vec<LonLat> = [[30.0, 50.0], [31.0, 50.0], [31.0, 51.0], [30.0, 51.0], [30.0, 50.0]]
            .iter()
            .map(|&[x, y]| LonLat::new(x, y))
            .collect();
        assert!(ring_contains(&ring, LonLat::new(30.5, 50.5)));
        assert!(!ring_contains(&ring, LonLat::new(31.5, 50.5)));
    }

    #[test]
    fn samples_are_at_most_a_step_apart() {
        let ring: Vec<LonLat> =
            [[30.0, 50.0], [31.0, 50.0], [31.0, 51.0], [30.0, 50.0]].iter().map(|&[x, y]| LonLat::new(x, y)).collect();
        let s = sample_ring(&ring, 500.0);
        for w in s.windows(2) {
            assert!(truce_geo::geodesic::distance_m(w[0], w[1]) <= 501.0);
        }
        assert_eq!(s.first(), s.last());
    }
}
