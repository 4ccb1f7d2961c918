//! truce-watch over a store: incidents recomputed from the stored observations, early-warning
//! assessments and the alerts they raise, and compliance cases. Shared by the command line and the
//! server; [`task`] is the running node's watch, which assesses the picture every minute and publishes
//! the alerts it raises.
//!
//! Incidents are not stored: they are a deterministic function of the observations, recomputed for the
//! period asked (with a margin so that none is cut in half), so a late report joins its incident
//! without any migration. An incident's id is `inc-` plus its earliest observation's id, which lets
//! one be found again from that observation alone. Alerts (level changes) and cases are stored.

pub mod task;

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};
use truce_access::{Access, Joins, Policy};
use truce_core::{ActionRow, AlertRow, CaseRow, Label, StoredObservation};
use truce_engine::Agreement;
use truce_store::{CaseUpdateError, Query, Store};
use truce_watch::case::{Action, Case, CaseFacts, Stage, Step};
use truce_watch::warning::DaySummary;
use truce_watch::{Assessment, Incident, Level, Rule, Sectors, Watch};

/// How far back an assessment reads: the longest baseline (28 days), yesterday, today and the
/// surge rule's five weeks.
pub const LOOKBACK_DAYS: i64 = 36;

/// Every stored observation with a time in `[since, until)`, oldest first.
pub fn load(
    store: &dyn Store,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<StoredObservation>, truce_store::StoreError> {
    let mut out = Vec::new();
    let mut q = Query { since: Some(since), until: Some(until), limit: truce_store::MAX_PAGE, ..Query::default() };
    loop {
        let page = store.query(&q)?;
        out.extend(page.items);
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// The picture at `at` as `store` knows it, for a process that keeps nothing between calls (the
/// command line): the days before yesterday from the day summaries kept in the store
/// ([`crate::kept::Kept::summaries`]: made and kept there on the first call, read back on the next
/// while their days are unchanged), and yesterday's and today's incidents from the observations
/// dated before `at` (with the two-hour margin before yesterday). The picture a whole reading of the
/// look-back gives.
///
/// # Errors
/// When the store fails.
pub fn assess_store(
    store: &dyn Store,
    agreement: &Agreement,
    policy: &Policy,
    sectors: &Sectors,
    at: OffsetDateTime,
) -> Result<Assessment, truce_store::StoreError> {
    let mut watch = Watch::new(agreement, sectors, truce_watch::Config::default());
    let kept = crate::kept::Kept::default();
    let audience = store.access().audience();
    let since = at - Duration::days(LOOKBACK_DAYS);
    let yesterday = truce_store::memo::day_start(truce_store::memo::day_of(at) - 1);
    let (older, _) = kept.summaries(store, policy, sectors, &watch, audience, since, yesterday)?;
    let observations = load(store, yesterday - Duration::hours(2), at)?;
    let recent = incidents_of(&observations, policy, sectors, yesterday, at);
    let start = kept.history_start(store, audience)?.unwrap_or(at);
    let summaries: Vec<&DaySummary> = older.iter().map(|d| &d.summary).collect();
    let basis = crate::kept::summary_basis(policy, sectors, &watch);
    crate::kept::with_kept_boundaries(store, &mut watch, &basis, truce_store::memo::day_of(at), |watch| {
        watch.assess_days(&summaries, recent.iter(), Some(since), start, at)
    })
}

/// The picture at `at` as `store` (a view under the access of `audience`) knows it, from what the node
/// keeps of its days ([`crate::kept::Kept::summaries`] before yesterday, [`crate::kept::Kept::incidents`]
/// since: only days whose observations changed are read and correlated again), with the label of what
/// it read (the join of the look-back's days' observations; the default label when there were none).
/// What the server's watch task and `/api/v1/warning` assess; the command line keeps nothing between
/// runs but the store's day summaries ([`assess_store`]).
///
/// # Errors
/// When the store fails.
pub fn assess_kept(
    kept: &crate::kept::Kept,
    watch: &mut Watch,
    store: &dyn Store,
    policy: &Policy,
    sectors: &Sectors,
    audience: &str,
    at: OffsetDateTime,
) -> Result<(Assessment, Label), truce_store::StoreError> {
    let since = at - Duration::days(LOOKBACK_DAYS);
    let yesterday = truce_store::memo::day_start(truce_store::memo::day_of(at) - 1);
    let (older, older_label) = kept.summaries(store, policy, sectors, watch, audience, since, yesterday)?;
    let (days, label) = kept.incidents(store, policy, sectors, audience, yesterday, at)?;
    let start = kept.history_start(store, audience)?.unwrap_or(at);
    let summaries: Vec<&DaySummary> = older.iter().map(|d| &d.summary).collect();
    let recent = days.iter().flat_map(|d| d.incidents.iter().map(|i| &**i));
    let basis = crate::kept::summary_basis(policy, sectors, watch);
    let picture = crate::kept::with_kept_boundaries(store, watch, &basis, truce_store::memo::day_of(at), |watch| {
        watch.assess_days(&summaries, recent, Some(since), start, at)
    })?;
    Ok((picture, policy.rejoin([older_label.as_ref(), label.as_ref()]).unwrap_or_default()))
}

/// Incidents whose first report lies in `[since, until)`, each labelled with the join of its
/// observations' labels under `policy`. Reads a correlation window beyond both ends so that an
/// incident straddling them is whole.
pub fn incidents(
    store: &dyn Store,
    policy: &Policy,
    sectors: &Sectors,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<Incident>, truce_store::StoreError> {
    let margin = Duration::hours(2);
    let observations = load(store, since - margin, until + margin)?;
    Ok(incidents_of(&observations, policy, sectors, since, until))
}

/// [`incidents`] from observations already read (those of `[since, until)` and two hours either side).
pub fn incidents_of(
    observations: &[StoredObservation],
    policy: &Policy,
    sectors: &Sectors,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Vec<Incident> {
    let mut all = truce_watch::incidents_in_sectors(observations, sectors, &Rule::default());
    all.retain(|i| i.time >= since && i.time < until);
    let by_id: HashMap<&str, &StoredObservation> =
        observations.iter().map(|s| (s.observation.id.as_str(), s)).collect();
    let mut shared = None;
    // Most incidents are labelled alike: each distinct set of labels is joined once.
    let mut joins = Joins::new(policy);
    for i in &mut all {
        let parts = i.observations.iter().filter_map(|id| by_id.get(id.as_str()).map(|s| &s.observation));
        if let Some(label) = joins.of(parts) {
            i.marking = label.marking;
            if !i.releasable_to.iter().eq(label.releasable_to.iter()) {
                i.releasable_to = truce_watch::incident::share(label.releasable_to.iter(), &mut shared);
            }
            i.categories.clone_from(&label.categories);
        }
    }
    all
}

/// The incident `inc-<observation id>`, recomputed from the store around its first observation.
pub fn find_incident(
    store: &dyn Store,
    policy: &Policy,
    sectors: &Sectors,
    id: &str,
) -> Result<Option<Incident>, truce_store::StoreError> {
    let Some(first) = id.strip_prefix("inc-") else { return Ok(None) };
    let Some(seed) = store.get(first)? else { return Ok(None) };
    let t = seed.observation.time;
    let around = incidents(store, policy, sectors, t - Duration::hours(1), t + Duration::hours(1))?;
    Ok(around.into_iter().find(|i| i.id == id))
}

/// Why a case could not be opened or changed.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The request is wrong (names the field).
    #[error("{0}")]
    Invalid(String),
    /// No such case.
    #[error("no case {0}")]
    NotFound(String),
    /// Someone else moved the case first.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] truce_store::StoreError),
}

/// What a new case is opened with.
#[derive(Debug, Clone, Copy)]
pub struct Opening<'a> {
    /// Its title (1 to 300 characters).
    pub title: &'a str,
    /// The incidents it is about (`inc-…`, 1 to 500).
    pub incidents: &'a [String],
    /// Who opens it.
    pub by: &'a str,
    /// A first note.
    pub note: Option<&'a str>,
}

/// The aggregate label of observations (see `Policy::join`): what anything derived from them carries.
/// `None` for no observations.
pub fn label_of<'a>(policy: &Policy, observations: impl IntoIterator<Item = &'a StoredObservation>) -> Option<Label> {
    policy.join_observations(observations.into_iter().map(|s| &s.observation))
}

/// Opens a case on incidents (all must exist, as `store` reads them) and returns it with its label:
/// the aggregate of the incidents' observations.
pub fn open_case(
    store: &dyn Store,
    policy: &Policy,
    sectors: &Sectors,
    opening: &Opening<'_>,
    at: OffsetDateTime,
) -> Result<(Case, Label), CaseError> {
    let Opening { title, incidents: incident_ids, by, note } = *opening;
    let title = title.trim();
    if title.is_empty() || title.len() > 300 {
        return Err(CaseError::Invalid("title: 1 to 300 characters".into()));
    }
    if incident_ids.is_empty() || incident_ids.len() > 500 {
        return Err(CaseError::Invalid("incidents: 1 to 500 incident ids".into()));
    }
    let mut facts = CaseFacts::default();
    let mut evidence = Vec::new();
    for id in incident_ids {
        let Some(incident) = find_incident(store, policy, sectors, id)? else {
            return Err(CaseError::Invalid(format!("incidents: no incident {id:?}")));
        };
        if !facts.incidents.contains(&incident.id) {
            facts.incidents.push(incident.id.clone());
            for o in &incident.observations {
                evidence.extend(store.get(o)?);
            }
            facts.observations.extend(incident.observations);
        }
    }
    let label = label_of(policy, &evidence).unwrap_or_default();
    let step = Step { to: None, by: by.to_owned(), party: None, note: Some(note.unwrap_or("opened").to_owned()) };
    let (stage, facts, mut action) =
        truce_watch::case::apply(Stage::Evidence, &facts, &step, at).map_err(CaseError::Invalid)?;
    action.action = "open".into();
    let row = CaseRow {
        id: String::new(),
        opened_at: at,
        title: title.to_owned(),
        stage: stage.id().to_owned(),
        body: serde_json::to_string(&facts).map_err(|e| CaseError::Invalid(e.to_string()))?,
        label,
    };
    let first = ActionRow { seq: 1, at, actor: action.by.clone(), body: action_body(&action)? };
    let id = store.open_case(&row, &first)?;
    let opened = case(store, &id)?.ok_or(CaseError::NotFound(id))?;
    Ok((opened, row.label))
}

fn action_body(action: &Action) -> Result<String, CaseError> {
    serde_json::to_string(action).map_err(|e| CaseError::Invalid(e.to_string()))
}

/// Applies a step to a case. With `expected`, refuses if the case is no longer at that stage.
pub fn step_case(
    store: &dyn Store,
    id: &str,
    step: &Step,
    expected: Option<Stage>,
    at: OffsetDateTime,
) -> Result<(Case, Label), CaseError> {
    let (row, _) = store.case(id)?.ok_or_else(|| CaseError::NotFound(id.to_owned()))?;
    let label = row.label.clone();
    let current = case(store, id)?.ok_or_else(|| CaseError::NotFound(id.to_owned()))?;
    if let Some(e) = expected
        && e != current.stage
    {
        return Err(CaseError::Conflict(format!("case {id} is at stage {}, not {e}", current.stage)));
    }
    let (stage, facts, action) =
        truce_watch::case::apply(current.stage, &current.facts, step, at).map_err(CaseError::Invalid)?;
    let body = serde_json::to_string(&facts).map_err(|e| CaseError::Invalid(e.to_string()))?;
    let row = ActionRow { seq: 0, at, actor: action.by.clone(), body: action_body(&action)? };
    store.update_case(id, current.stage.id(), stage.id(), &body, &row).map_err(|e| match e {
        CaseUpdateError::NotFound(id) => CaseError::NotFound(id),
        CaseUpdateError::Conflict { .. } => CaseError::Conflict(e.to_string()),
        CaseUpdateError::Store(s) => CaseError::Store(s),
    })?;
    let after = case(store, id)?.ok_or_else(|| CaseError::NotFound(id.to_owned()))?;
    Ok((after, label))
}

/// A case with its history.
pub fn case(store: &dyn Store, id: &str) -> Result<Option<Case>, truce_store::StoreError> {
    let Some((row, actions)) = store.case(id)? else { return Ok(None) };
    Ok(Some(decode_case(row, actions)?))
}

/// Every case (without parsing errors hidden: a corrupt row is an error).
pub fn cases(store: &dyn Store) -> Result<Vec<Case>, truce_store::StoreError> {
    store.cases()?.into_iter().map(|row| decode_case(row, Vec::new())).collect()
}

fn decode_case(row: CaseRow, actions: Vec<ActionRow>) -> Result<Case, truce_store::StoreError> {
    let corrupt = |reason: String| truce_store::StoreError::Corrupt { id: row.id.clone(), reason };
    let stage: Stage = row.stage.parse().map_err(corrupt)?;
    let facts: CaseFacts = serde_json::from_str(&row.body).map_err(|e| corrupt(e.to_string()))?;
    let actions = actions
        .into_iter()
        .map(|a| {
            let mut action: Action = serde_json::from_str(&a.body).map_err(|e| corrupt(e.to_string()))?;
            action.seq = a.seq;
            Ok(action)
        })
        .collect::<Result<_, truce_store::StoreError>>()?;
    Ok(Case { id: row.id.clone(), title: row.title, opened_at: row.opened_at, stage, facts, actions })
}

/// An alert as served: a change of level of a sector or the line, with the reasons.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Alert {
    /// Sequence number.
    pub seq: i64,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Sector id, or `line`.
    pub scope: String,
    /// Sector name, or "Whole line".
    pub name: String,
    /// New level.
    pub level: Level,
    /// Level before.
    pub previous: Level,
    /// Why (empty when the level fell back to normal).
    pub reasons: Vec<truce_watch::Reason>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct AlertBody {
    name: String,
    reasons: serde_json::Value,
}

/// Stores an alert for `audience` (whose view `picture` was assessed from) for every scope whose
/// level differs from `levels` (the audience's last known ones), updates `levels`, and returns the
/// alerts stored.
pub fn record_changes(
    store: &dyn Store,
    picture: &Assessment,
    label: &Label,
    audience: &str,
    levels: &mut HashMap<String, Level>,
) -> Result<Vec<Alert>, truce_store::StoreError> {
    let mut scopes: Vec<(String, String, Level, &Vec<truce_watch::Reason>)> =
        vec![("line".into(), "Whole line".into(), picture.level, &picture.reasons)];
    scopes.extend(picture.sectors.iter().map(|s| (s.sector.clone(), s.name.clone(), s.level, &s.reasons)));
    let mut out = Vec::new();
    for (scope, name, level, reasons) in scopes {
        let previous = levels.get(&scope).copied().unwrap_or(Level::Normal);
        if previous == level {
            continue;
        }
        let reasons = if scope == "line" {
            picture.sectors.iter().flat_map(|s| s.reasons.iter()).chain(reasons.iter()).cloned().collect()
        } else {
            reasons.clone()
        };
        let body = AlertBody { name: name.clone(), reasons: serde_json::to_value(&reasons).unwrap_or_default() };
        let row = AlertRow {
            seq: 0,
            at: picture.at,
            scope: scope.clone(),
            level: level.id().to_owned(),
            previous: previous.id().to_owned(),
            body: serde_json::to_string(&body).unwrap_or_default(),
            label: label.clone(),
            audience: audience.to_owned(),
        };
        let seq = store.record_alert(&row)?;
        levels.insert(scope.clone(), level);
        out.push(Alert { seq, at: picture.at, scope, name, level, previous, reasons });
    }
    Ok(out)
}

/// The last known level of every scope, from the stored alerts of the store's reader's audience.
pub fn stored_levels(store: &dyn Store) -> Result<HashMap<String, Level>, truce_store::StoreError> {
    Ok(store.latest_alerts()?.into_iter().filter_map(|a| Some((a.scope, a.level.parse().ok()?))).collect())
}

/// The reader's stored alerts as served (oldest first): those of its audience.
pub fn alerts(
    store: &dyn Store,
    since: Option<OffsetDateTime>,
    after: Option<i64>,
    limit: usize,
) -> Result<Vec<Alert>, truce_store::StoreError> {
    store.alerts(since, after, limit)?.iter().map(decode_alert).collect()
}

fn decode_alert(row: &AlertRow) -> Result<Alert, truce_store::StoreError> {
    let corrupt = |reason: String| truce_store::StoreError::Corrupt { id: format!("alert {}", row.seq), reason };
    let body: AlertBody = serde_json::from_str(&row.body).map_err(|e| corrupt(e.to_string()))?;
    Ok(Alert {
        seq: row.seq,
        at: row.at,
        scope: row.scope.clone(),
        name: body.name,
        level: row.level.parse().map_err(corrupt)?,
        previous: row.previous.parse().map_err(corrupt)?,
        reasons: serde_json::from_value(body.reasons).map_err(|e| corrupt(e.to_string()))?,
    })
}

/// Alerts as the API lists them: each alert's fields with its latest acknowledgement (`"ack"`:
/// `{"by", "at", "note"}`, or null) and how many it has had (`"acks"`), read through the same store
/// handle as the alerts.
///
/// # Errors
/// When the database fails.
pub fn listed(store: &dyn Store, alerts: &[Alert]) -> Result<Vec<serde_json::Value>, truce_store::StoreError> {
    let seqs: Vec<i64> = alerts.iter().map(|a| a.seq).collect();
    let acks = store.alert_acks(&seqs)?;
    alerts
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).map_err(|e| truce_store::StoreError::Corrupt {
                id: format!("alert {}", a.seq),
                reason: e.to_string(),
            })?;
            let ack = acks.get(&a.seq);
            v["ack"] = ack.map_or(serde_json::Value::Null, |k| crate::wire::alert_ack(&k.latest));
            v["acks"] = serde_json::json!(ack.map_or(0, |k| k.count));
            Ok(v)
        })
        .collect()
}

/// Assesses every hour from `start` + 1 h to `end` over `observations` (sorted by time) with what
/// had been reported by then, as the watch task would have; calls `each` with the hour's number and
/// the picture. The demo's replay and the backtest share it.
pub fn hourly<E>(
    agreement: &Agreement,
    sectors: &Sectors,
    observations: &[StoredObservation],
    start: OffsetDateTime,
    end: OffsetDateTime,
    mut each: impl FnMut(i64, Assessment) -> Result<(), E>,
) -> Result<(), E> {
    let mut watch = Watch::new(agreement, sectors, truce_watch::Config::default());
    // One correlation pass over the whole period, fed hour by hour (see `truce_watch::Correlator`).
    let order = truce_watch::incident::in_order(observations);
    let mut correlator = truce_watch::Correlator::new(Rule::default(), Some(sectors));
    let (mut hour, mut known) = (1, 0);
    while start + Duration::hours(hour) <= end {
        let at = start + Duration::hours(hour);
        while known < order.len() && order[known].observation.time < at {
            correlator.push(order[known]);
            known += 1;
        }
        each(hour, watch.assess(&correlator.incidents(), start, at))?;
        hour += 1;
    }
    Ok(())
}

/// [`hourly`] for each audience over what it may see (`observations` sorted by time), storing the
/// alerts each audience's hourly pictures raise, as the watch task would have; returns each
/// audience's last picture. Audiences that see exactly the same observations share one assessment.
/// The demo fills its history with it.
#[allow(clippy::too_many_arguments)]
pub fn replay(
    store: &dyn Store,
    policy: &Policy,
    audiences: &[Access],
    agreement: &Agreement,
    sectors: &Sectors,
    observations: &[StoredObservation],
    start: OffsetDateTime,
    end: OffsetDateTime,
) -> Result<HashMap<String, Assessment>, truce_store::StoreError> {
    // Audiences grouped by what they see: the observations and whether with their observers.
    let mut groups: Vec<(Vec<bool>, bool, Vec<&Access>)> = Vec::new();
    for a in audiences {
        let seen: Vec<bool> =
            observations.iter().map(|o| a.permits(&Label::of(&o.observation), o.observation.time)).collect();
        let observer = a.sees_observer();
        match groups.iter_mut().find(|g| g.0 == seen && g.1 == observer) {
            Some(g) => g.2.push(a),
            None => groups.push((seen, observer, vec![a])),
        }
    }
    let mut out = HashMap::new();
    for (seen, observer, members) in groups {
        let view: Vec<StoredObservation> = observations
            .iter()
            .zip(&seen)
            .filter(|(_, s)| **s)
            .map(|(o, _)| {
                let mut o = o.clone();
                if !observer {
                    truce_access::redact_observer(&mut o.observation);
                }
                o
            })
            .collect();
        let mut levels: Vec<HashMap<String, Level>> = vec![HashMap::new(); members.len()];
        let mut last = None;
        // The label of the look-back `[from, to)`, extended hour by hour while its start stays.
        let mut read: (usize, usize, Option<Label>) = (0, 0, None);
        hourly(agreement, sectors, &view, start, end, |hour, picture| {
            let at = start + Duration::hours(hour);
            let from = view.partition_point(|o| o.observation.time < at - Duration::days(LOOKBACK_DAYS));
            let to = view.partition_point(|o| o.observation.time < at);
            read = if from == read.0 {
                let added = label_of(policy, &view[read.1..to]);
                (from, to, policy.rejoin([read.2.as_ref(), added.as_ref()]))
            } else {
                (from, to, label_of(policy, &view[from..to]))
            };
            let label = read.2.clone().unwrap_or_default();
            for (a, known) in members.iter().zip(&mut levels) {
                record_changes(store, &picture, &label, a.audience(), known)?;
            }
            last = Some(picture);
            Ok::<(), truce_store::StoreError>(())
        })?;
        if let Some(p) = last {
            out.extend(members.iter().map(|a| (a.audience().to_owned(), p.clone())));
        }
    }
    Ok(out)
}

impl crate::Node {
    /// Acknowledges one of the alerts `access` may see (its audience's, within its label), durably,
    /// and publishes the acknowledgement on the bus to the alert's own readers (its label and
    /// audience). Returns the alert as listed ([`listed`]), or `None` when `access` may not see it or
    /// there is no such alert: nothing is stored or published then.
    ///
    /// # Errors
    /// When the database fails.
    pub fn ack_alert(
        &self,
        access: &Access,
        ack: &truce_store::AlertAck,
    ) -> Result<Option<serde_json::Value>, truce_store::StoreError> {
        let store = self.view(access);
        let Some(row) = store.ack_alert(ack)? else { return Ok(None) };
        self.bus.publish(crate::Event::alert_ack(
            std::sync::Arc::new(ack.clone()),
            row.label.clone(),
            row.at,
            &row.audience,
        ));
        let alert = decode_alert(&row)?;
        Ok(listed(&*store, std::slice::from_ref(&alert))?.pop())
    }

    /// Opens a case as `access` sees the incidents (see [`open_case`]) and publishes it on the bus.
    ///
    /// # Errors
    /// As [`open_case`].
    pub fn open_case(
        &self,
        access: &Access,
        title: &str,
        incident_ids: &[String],
        by: &str,
        note: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<Case, CaseError> {
        let store = self.view(access);
        let opening = Opening { title, incidents: incident_ids, by, note };
        let (case, label) = open_case(&*store, &self.policy, &self.sectors, &opening, at)?;
        self.bus.publish(crate::Event::case(std::sync::Arc::new(case.clone()), label));
        Ok(case)
    }

    /// Applies a step to a case `access` may see (see [`step_case`]) and publishes the case after it on
    /// the bus.
    ///
    /// # Errors
    /// As [`step_case`].
    pub fn step_case(
        &self,
        access: &Access,
        id: &str,
        step: &Step,
        expected: Option<Stage>,
        at: OffsetDateTime,
    ) -> Result<Case, CaseError> {
        let (case, label) = step_case(&*self.view(access), id, step, expected, at)?;
        self.bus.publish(crate::Event::case(std::sync::Arc::new(case.clone()), label));
        Ok(case)
    }
}
