//! Alerts and compliance cases.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use truce_core::{ActionRow, AlertRow, CaseRow};

use crate::{CaseUpdateError, Store};

const T0: OffsetDateTime = datetime!(2026-11-22 01:00 UTC);

fn alert(scope: &str, level: &str, previous: &str, minute: i64) -> AlertRow {
    AlertRow {
        seq: 0,
        at: T0 + Duration::minutes(minute),
        scope: scope.into(),
        level: level.into(),
        previous: previous.into(),
        body: format!("{{\"level\":\"{level}\"}}"),
        label: truce_core::Label::default(),
        audience: "*".into(),
    }
}

fn case_row(title: &str, at: OffsetDateTime) -> CaseRow {
    CaseRow {
        id: String::new(),
        opened_at: at,
        title: title.into(),
        stage: "evidence".into(),
        body: "{}".into(),
        label: Default::default(),
    }
}

fn action(actor: &str, at: OffsetDateTime) -> ActionRow {
    ActionRow { seq: 0, at, actor: actor.into(), body: format!("{{\"by\":\"{actor}\"}}") }
}

/// Alerts get increasing sequence numbers; `since` and `after` select, `limit` cuts; the latest of
/// each scope is found.
pub fn alerts_keep_their_order_and_the_latest_of_each_scope(store: &dyn Store) {
    let first = store.record_alert(&alert("pokrovsk", "elevated", "normal", 0)).expect("an alert");
    let second = store.record_alert(&alert("line", "elevated", "normal", 0)).expect("an alert");
    let third = store.record_alert(&alert("pokrovsk", "high", "elevated", 60)).expect("an alert");
    assert!(first < second && second < third, "{first} {second} {third}");
    let all = store.alerts(None, None, 100).expect("alerts");
    assert_eq!(all.iter().map(|a| a.seq).collect::<Vec<_>>(), [first, second, third]);
    assert_eq!(all[2], AlertRow { seq: third, ..alert("pokrovsk", "high", "elevated", 60) }, "every field survives");
    assert_eq!(store.alerts(None, Some(second), 100).expect("alerts").len(), 1);
    assert_eq!(store.alerts(Some(T0 + Duration::minutes(30)), None, 100).expect("alerts").len(), 1);
    assert_eq!(store.alerts(None, None, 2).expect("alerts").len(), 2);
    let latest = store.latest_alerts().expect("the latest alerts");
    assert_eq!(
        latest.iter().map(|a| (a.scope.as_str(), a.level.as_str())).collect::<Vec<_>>(),
        [("line", "elevated"), ("pokrovsk", "high")]
    );
}

/// Each audience reads only the alerts assessed for it (and of those only what its label permits);
/// the store read as everything reads the alerts assessed from everything.
pub fn each_audience_reads_only_its_own_alerts(store: &dyn Store) {
    let policy = truce_access::Policy::shipped();
    let viewer = |nation: &str| truce_access::Viewer {
        name: nation.to_lowercase(),
        nation: Some(nation.into()),
        role: truce_access::Role::NationalRep,
        clearance: truce_core::Marking::NatoSecret,
        categories: Default::default(),
    };
    let (gbr, pol) =
        (truce_access::Access::new(&policy, &viewer("GBR")), truce_access::Access::new(&policy, &viewer("POL")));
    let nato = truce_core::Label {
        marking: truce_core::Marking::NatoRestricted,
        releasable_to: vec!["NATO".into()],
        categories: Vec::new(),
    };
    let ukr_only = truce_core::Label { releasable_to: vec!["UKR".into()], ..nato.clone() };
    let to = |a: &truce_access::Access, level: &str, label: &truce_core::Label| AlertRow {
        audience: a.audience().into(),
        label: label.clone(),
        ..alert("pokrovsk", level, "normal", 0)
    };
    store.record_alert(&to(&gbr, "elevated", &nato)).expect("an alert");
    store.record_alert(&to(&pol, "high", &nato)).expect("an alert");
    store.record_alert(&alert("pokrovsk", "critical", "normal", 1)).expect("an alert");
    store.record_alert(&to(&gbr, "high", &ukr_only)).expect("an alert");
    let levels = |s: &dyn Store| {
        let listed: Vec<String> = s.alerts(None, None, 100).expect("alerts").into_iter().map(|a| a.level).collect();
        let latest: Vec<String> = s.latest_alerts().expect("alerts").into_iter().map(|a| a.level).collect();
        (listed, latest)
    };
    let one = |l: &str| vec![l.to_owned()];
    assert_eq!(levels(&*store.scoped(gbr)), (one("elevated"), one("elevated")), "GBR's own, not UKR's label");
    assert_eq!(levels(&*store.scoped(pol)), (one("high"), one("high")), "POL's own");
    assert_eq!(levels(store), (one("critical"), one("critical")), "everything's");
}

/// A case changes stage only from the stage its caller saw; its actions are numbered from 1 in order.
pub fn a_case_moves_only_from_the_stage_its_caller_saw(store: &dyn Store) {
    let at = datetime!(2026-11-22 08:00 UTC);
    let id = store.open_case(&case_row("Shelling", at), &action("analyst.a", at)).expect("a case");
    let later = at + Duration::hours(2);
    assert_eq!(
        store
            .update_case(&id, "evidence", "attribution", "{\"party\":\"rus\"}", &action("analyst.b", later))
            .expect("a move"),
        2
    );
    let stale = store.update_case(&id, "evidence", "attribution", "{}", &action("analyst.c", later));
    assert!(matches!(stale, Err(CaseUpdateError::Conflict { ref actual, .. }) if actual == "attribution"), "{stale:?}");
    assert!(matches!(
        store.update_case("case-9999", "evidence", "remedy", "{}", &action("analyst.c", later)),
        Err(CaseUpdateError::NotFound(_))
    ));
    let (case, actions) = store.case(&id).expect("a case").expect("the case exists");
    assert_eq!((case.stage.as_str(), case.body.as_str(), case.opened_at), ("attribution", "{\"party\":\"rus\"}", at));
    assert_eq!(
        actions.iter().map(|a| (a.seq, a.actor.as_str(), a.at)).collect::<Vec<_>>(),
        [(1, "analyst.a", at), (2, "analyst.b", later)]
    );
    assert!(store.case("case-9999").expect("a case").is_none());
}

/// Cases have distinct ids and are listed oldest first.
pub fn cases_are_listed_oldest_first(store: &dyn Store) {
    let at = datetime!(2026-11-22 08:00 UTC);
    let b = store.open_case(&case_row("Second", at + Duration::hours(1)), &action("a", at)).expect("a case");
    let a = store.open_case(&case_row("First", at), &action("a", at)).expect("a case");
    assert_ne!(a, b);
    let list = store.cases().expect("cases");
    assert_eq!(list.iter().map(|c| c.title.as_str()).collect::<Vec<_>>(), ["First", "Second"]);
}

/// Every acknowledgement is kept and the latest is listed with the count; an alert the reader may not
/// see (another audience's, or above its label) can neither be acknowledged nor show its
/// acknowledgements, and acknowledging it stores nothing.
pub fn acknowledgements_are_kept_with_their_alert_and_only_for_its_readers(store: &dyn Store) {
    let policy = truce_access::Policy::shipped();
    let viewer = |nation: &str| truce_access::Viewer {
        name: nation.to_lowercase(),
        nation: Some(nation.into()),
        role: truce_access::Role::WatchOfficer,
        clearance: truce_core::Marking::NatoSecret,
        categories: Default::default(),
    };
    let gbr = truce_access::Access::new(&policy, &viewer("GBR"));
    let pol = truce_access::Access::new(&policy, &viewer("POL"));
    let label = truce_core::Label { releasable_to: vec!["GBR".into()], ..Default::default() };
    let mine =
        AlertRow { audience: gbr.audience().into(), label: label.clone(), ..alert("pokrovsk", "high", "normal", 0) };
    let seq = store.record_alert(&mine).expect("an alert");
    let everything = store.record_alert(&alert("line", "elevated", "normal", 1)).expect("an alert");
    let (as_gbr, as_pol) = (store.scoped(gbr), store.scoped(pol));
    let ack = |seq: i64, by: &str, minute: i64, note: &str| crate::AlertAck {
        seq,
        by: by.into(),
        at: T0 + Duration::minutes(minute),
        note: note.into(),
    };
    assert!(as_gbr.alert_acks(&[seq]).expect("acks").is_empty(), "none yet");
    let acked = as_gbr.ack_alert(&ack(seq, "gbr.watch", 5, "known")).expect("an ack");
    assert_eq!(acked, Some(AlertRow { seq, ..mine.clone() }), "the alert, as listed");
    as_gbr.ack_alert(&ack(seq, "gbr.other", 7, "under investigation, \"quoted\"")).expect("an ack");
    let acks = as_gbr.alert_acks(&[seq, everything, 9_999]).expect("acks");
    assert_eq!(acks.len(), 1, "only the reader's alerts, and only acknowledged ones: {acks:?}");
    assert_eq!(acks[&seq].count, 2);
    assert_eq!(acks[&seq].latest, ack(seq, "gbr.other", 7, "under investigation, \"quoted\""), "the latest wins");
    assert_eq!(as_gbr.alert(seq).expect("an alert"), Some(AlertRow { seq, ..mine }));
    // Another audience's alert, or one that does not exist: nothing stored, nothing shown.
    assert_eq!(as_pol.ack_alert(&ack(seq, "pol.watch", 8, "probe")).expect("an answer"), None);
    assert_eq!(as_gbr.ack_alert(&ack(everything, "gbr.watch", 8, "probe")).expect("an answer"), None);
    assert_eq!(as_gbr.ack_alert(&ack(9_999, "gbr.watch", 8, "probe")).expect("an answer"), None);
    assert!(as_pol.alert_acks(&[seq]).expect("acks").is_empty());
    assert_eq!(as_pol.alert(seq).expect("an answer"), None);
    assert_eq!(store.alert_acks(&[seq]).expect("acks").len(), 0, "the operator's audience is not GBR's");
    assert_eq!(as_gbr.alert_acks(&[seq]).expect("acks")[&seq].count, 2, "the refused probes stored nothing");
    // A label the reader no longer clears hides the acknowledgements with the alert.
    let low = truce_access::Viewer { clearance: truce_core::Marking::NatoUnclassified, ..viewer("GBR") };
    let hidden = AlertRow {
        audience: truce_access::Access::new(&policy, &low).audience().into(),
        label: truce_core::Label { marking: truce_core::Marking::NatoSecret, ..label },
        ..alert("pokrovsk", "high", "normal", 2)
    };
    let hidden_seq = store.record_alert(&hidden).expect("an alert");
    let as_low = store.scoped(truce_access::Access::new(&policy, &low));
    assert_eq!(as_low.ack_alert(&ack(hidden_seq, "gbr.low", 9, "probe")).expect("an answer"), None);
}
