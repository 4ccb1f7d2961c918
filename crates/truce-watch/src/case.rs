//! Compliance cases: what the Special Commission does about incidents.
//!
//! A case is opened on one incident or a group of them and moves through three stages, as a
//! complaint did in the Joint Centre for Control and Coordination and the Minsk working groups:
//! **evidence** (collecting and checking what was seen), **attribution** (which party is responsible;
//! the move names the party), **remedy** (what is demanded of it; the move says what), then
//! **closed**. A case can be closed early from any stage (dismissed, with the reason). Notes can be
//! added at any stage. Every action records who did it, when, and what; nothing is ever rewritten, so
//! the history is the audit trail.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A case's stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Collecting and checking the evidence.
    Evidence,
    /// Establishing the responsible party.
    Attribution,
    /// Demanding and following up a remedy.
    Remedy,
    /// Finished (remedied or dismissed).
    Closed,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 4] = [Stage::Evidence, Stage::Attribution, Stage::Remedy, Stage::Closed];

    /// The stable identifier.
    pub const fn id(self) -> &'static str {
        match self {
            Stage::Evidence => "evidence",
            Stage::Attribution => "attribution",
            Stage::Remedy => "remedy",
            Stage::Closed => "closed",
        }
    }
}

impl std::str::FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|x| x.id() == s)
            .ok_or_else(|| format!("{s:?} is not a stage (evidence, attribution, remedy, closed)"))
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What a case is about and what has been decided (the stored body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseFacts {
    /// Incident ids.
    pub incidents: Vec<String>,
    /// The observations behind them.
    pub observations: Vec<String>,
    /// The party the violation is attributed to.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub party: Option<String>,
    /// The remedy demanded.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub remedy: Option<String>,
}

/// One thing done to a case (the stored action body, plus who and when).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    /// Order within the case, from 1.
    #[serde(default)]
    pub seq: i64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who.
    pub by: String,
    /// `open`, `move` or `note`.
    pub action: String,
    /// The stage after it.
    pub stage: Stage,
    /// Party named (attribution).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub party: Option<String>,
    /// What was said.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
}

/// A case with its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Identifier (`case-` and ten random hexadecimal digits).
    pub id: String,
    /// Title.
    pub title: String,
    /// When opened.
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    /// Current stage.
    pub stage: Stage,
    /// What it is about and what was decided.
    #[serde(flatten)]
    pub facts: CaseFacts,
    /// Every action, in order.
    pub actions: Vec<Action>,
}

/// A requested change of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The stage to move to; `None` adds a note only.
    pub to: Option<Stage>,
    /// Who.
    pub by: String,
    /// The responsible party (required to move to attribution).
    pub party: Option<String>,
    /// Note (required to move to remedy, where it is the remedy, and to close).
    pub note: Option<String>,
}

/// Applies a step to a case at `stage` with `facts`: the new stage, facts and action, or why not.
///
/// # Errors
/// A move that skips or reverses stages, leaves a closed case, or lacks what its stage needs.
pub fn apply(
    stage: Stage,
    facts: &CaseFacts,
    step: &Step,
    at: OffsetDateTime,
) -> Result<(Stage, CaseFacts, Action), String> {
    let by = step.by.trim();
    if by.is_empty() || by.len() > 200 {
        return Err("by: who acts must be named (1 to 200 characters)".into());
    }
    let note = step.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.len() > 10_000) {
        return Err("note: longer than 10,000 characters".into());
    }
    let mut facts = facts.clone();
    let (next, action) = match step.to {
        None => {
            if note.is_none() {
                return Err("note: a note action needs the note".into());
            }
            (stage, "note")
        }
        Some(to) => {
            if stage == Stage::Closed {
                return Err("to: the case is closed".into());
            }
            let allowed = to == Stage::Closed || to as u8 == stage as u8 + 1;
            if !allowed {
                return Err(format!("to: a case at {stage} moves to the next stage or is closed, not to {to}"));
            }
            match to {
                Stage::Attribution => {
                    let party = step.party.as_deref().map(str::trim).filter(|p| !p.is_empty());
                    let Some(party) = party else {
                        return Err("party: attribution names the responsible party".into());
                    };
                    facts.party = Some(party.to_owned());
                }
                Stage::Remedy => {
                    let Some(remedy) = note else {
                        return Err("note: the remedy demanded must be stated".into());
                    };
                    facts.remedy = Some(remedy.to_owned());
                }
                Stage::Closed if note.is_none() => return Err("note: closing a case needs the reason".into()),
                _ => {}
            }
            (to, "move")
        }
    };
    let action = Action {
        seq: 0,
        at,
        by: by.to_owned(),
        action: action.into(),
        stage: next,
        party: if next == Stage::Attribution && step.to.is_some() { facts.party.clone() } else { None },
        note: note.map(str::to_owned),
    };
    Ok((next, facts, action))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn step(to: Option<Stage>, party: Option<&str>, note: Option<&str>) -> Step {
        Step { to, by: "analyst".into(), party: party.map(Into::into), note: note.map(Into::into) }
    }

    #[test]
    fn a_case_goes_through_its_stages_in_order() {
        let at = datetime!(2026-11-22 09:00 UTC);
        let facts = CaseFacts { incidents: vec!["inc-1".into()], ..CaseFacts::default() };
        let (s, f, a) = apply(Stage::Evidence, &facts, &step(Some(Stage::Attribution), Some("rus"), None), at).unwrap();
        assert_eq!((s, f.party.as_deref(), a.action.as_str()), (Stage::Attribution, Some("rus"), "move"));
        let (s, f, _) = apply(s, &f, &step(Some(Stage::Remedy), None, Some("withdraw the MLRS to 70 km")), at).unwrap();
        assert_eq!((s, f.remedy.as_deref()), (Stage::Remedy, Some("withdraw the MLRS to 70 km")));
        let (s, _, a) = apply(s, &f, &step(Some(Stage::Closed), None, Some("verified withdrawn")), at).unwrap();
        assert_eq!((s, a.stage), (Stage::Closed, Stage::Closed));
        assert!(apply(s, &f, &step(Some(Stage::Remedy), None, Some("x")), at).unwrap_err().contains("closed"));
    }

    #[test]
    fn moves_that_skip_reverse_or_lack_what_they_need_are_refused() {
        let at = datetime!(2026-11-22 09:00 UTC);
        let f = CaseFacts::default();
        let err = |stage, s: Step| apply(stage, &f, &s, at).unwrap_err();
        assert!(err(Stage::Evidence, step(Some(Stage::Remedy), None, Some("x"))).starts_with("to:"));
        assert!(err(Stage::Remedy, step(Some(Stage::Attribution), Some("rus"), None)).starts_with("to:"));
        assert!(err(Stage::Evidence, step(Some(Stage::Attribution), None, None)).starts_with("party:"));
        assert!(err(Stage::Attribution, step(Some(Stage::Remedy), None, None)).starts_with("note:"));
        assert!(err(Stage::Evidence, step(Some(Stage::Closed), None, None)).starts_with("note:"));
        assert!(err(Stage::Evidence, step(None, None, None)).starts_with("note:"));
        assert!(err(Stage::Evidence, Step { by: " ".into(), ..step(None, None, Some("x")) }).starts_with("by:"));
        let (s, _, a) = apply(Stage::Evidence, &f, &step(None, None, Some("camera footage requested")), at).unwrap();
        assert_eq!((s, a.action.as_str()), (Stage::Evidence, "note"));
    }
}
