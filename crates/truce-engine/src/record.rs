//! From the stored observation model to the classifier and back: ids resolved against the agreement.

use truce_core::{ClassificationRecord, LineRecord, ViolationRecord};
use truce_geo::LonLat;

use crate::agreement::{Agreement, ClassIdx, PartyIdx};
use crate::classify::{Classification, Observation, SideOf};

/// Rounds metres to 0.1 m, as everywhere in truce's output.
fn tenth(m: f64) -> f64 {
    (m * 10.0).round() / 10.0
}

/// A reference in an observation that the agreement does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownReference {
    /// The field (`weapon_class` or `party`).
    pub field: &'static str,
    /// Why.
    pub message: String,
}

impl Agreement {
    /// A weapon class id as the agreement's index; `None` stays `None`.
    ///
    /// # Errors
    /// When the agreement has no such class (the message lists the ones it has).
    pub fn weapon_class_ref(&self, id: Option<&str>) -> Result<Option<ClassIdx>, UnknownReference> {
        id.map(|id| {
            self.class(id).ok_or_else(|| {
                let known: Vec<&str> = self.classes.iter().map(|c| c.id.as_str()).collect();
                UnknownReference {
                    field: "weapon_class",
                    message: format!("unknown class {id:?} (the agreement's weapon classes: {})", known.join(", ")),
                }
            })
        })
        .transpose()
    }

    /// A party id as the agreement's index; `None` stays `None`.
    ///
    /// # Errors
    /// When the agreement has no such party (the message lists the ones it has).
    pub fn party_ref(&self, id: Option<&str>) -> Result<Option<PartyIdx>, UnknownReference> {
        id.map(|id| {
            self.party(id).ok_or_else(|| {
                let known: Vec<&str> = self.parties.iter().map(|p| p.id.as_str()).collect();
                UnknownReference {
                    field: "party",
                    message: format!("unknown party {id:?} (the agreement's parties: {})", known.join(", ")),
                }
            })
        })
        .transpose()
    }

    /// The classifier's view of a stored observation.
    ///
    /// # Errors
    /// When its weapon class or party is not in the agreement.
    pub fn observation(&self, o: &truce_core::Observation) -> Result<Observation, UnknownReference> {
        let weapon_class = self.weapon_class_ref(o.weapon_class.as_deref())?;
        let party = self.party_ref(o.party.as_deref())?;
        Ok(Observation {
            time: Some(o.time),
            position: LonLat::new(o.lon, o.lat),
            category: Some(o.category),
            weapon_class,
            count: o.count,
            party,
        })
    }

    /// Classifies a stored observation. References the agreement does not know (possible after the
    /// agreement changed) are left out of the judgement rather than failing it.
    pub fn classify_record(&self, o: &truce_core::Observation) -> ClassificationRecord {
        let obs = Observation {
            time: Some(o.time),
            position: LonLat::new(o.lon, o.lat),
            category: Some(o.category),
            weapon_class: o.weapon_class.as_deref().and_then(|id| self.class(id)),
            count: o.count,
            party: o.party.as_deref().and_then(|id| self.party(id)),
        };
        self.record(&self.classify(&obs))
    }

    /// The classification with ids resolved, as stored and served.
    pub fn record(&self, c: &Classification) -> ClassificationRecord {
        let lines = self
            .lines
            .iter()
            .zip(&c.lines)
            .map(|(line, r)| {
                let side = match r.side {
                    SideOf::Party(p) => Some(self.parties[p].id.clone()),
                    SideOf::On | SideOf::Undetermined => None,
                };
                (line.id.clone(), LineRecord { distance_m: tenth(r.distance_m), side })
            })
            .collect();
        let zones = c.zones.iter().map(|&z| self.zones[z].id.clone()).collect();
        let violations = c
            .violations
            .iter()
            .map(|v| ViolationRecord {
                code: v.code.code().to_owned(),
                zone: v.zone.map(|z| self.zones[z].id.clone()),
                class: v.class.map(|k| self.classes[k].id.clone()),
                party: v.party.map(|p| self.parties[p].id.clone()),
                line: v.line.map(|l| self.lines[l].id.clone()),
                required_m: v.required_m.map(tenth),
                actual_m: v.actual_m.map(tenth),
                category: v.category.map(|c| c.id().to_owned()),
                phase: v.phase.map(|p| self.phases[p].id.clone()),
                count: v.count,
            })
            .collect();
        ClassificationRecord { lines, zones, violations }
    }
}
