#![allow(clippy::unwrap_used)]
//! Alerts and cases in a real SQLite file, across a reopen.

use time::macros::datetime;
use truce_store::{ActionRow, AlertRow, CaseRow, CaseUpdateError, SqliteStore};

fn alert(scope: &str, level: &str, previous: &str, minute: i64) -> AlertRow {
    AlertRow {
        seq: 0,
        at: datetime!(2026-11-22 01:00 UTC) + time::Duration::minutes(minute),
        scope: scope.into(),
        level: level.into(),
        previous: previous.into(),
        body: format!("{{\"level\":\"{level}\"}}"),
    }
}

#[test]
fn alerts_keep_their_order_and_the_latest_per_scope_is_found() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        assert_eq!(store.record_alert(&alert("pokrovsk", "elevated", "normal", 0)).unwrap(), 1);
        store.record_alert(&alert("line", "elevated", "normal", 0)).unwrap();
        store.record_alert(&alert("pokrovsk", "high", "elevated", 60)).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let all = store.alerts(None, None, 100).unwrap();
    assert_eq!(all.iter().map(|a| a.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(all[2].at, datetime!(2026-11-22 02:00 UTC));
    assert_eq!(all[2].body, "{\"level\":\"high\"}");
    let after = store.alerts(None, Some(2), 100).unwrap();
    assert_eq!(after.len(), 1);
    let since = store.alerts(Some(datetime!(2026-11-22 01:30 UTC)), None, 100).unwrap();
    assert_eq!(since.len(), 1);
    let latest = store.latest_alerts().unwrap();
    assert_eq!(
        latest.iter().map(|a| (a.scope.as_str(), a.level.as_str())).collect::<Vec<_>>(),
        [("line", "elevated"), ("pokrovsk", "high")]
    );
}

#[test]
fn a_case_moves_only_from_the_stage_its_caller_saw() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let at = datetime!(2026-11-22 08:00 UTC);
    let case = CaseRow {
        id: String::new(),
        opened_at: at,
        title: "Shelling".into(),
        stage: "evidence".into(),
        body: "{}".into(),
    };
    let first = ActionRow { seq: 0, at, actor: "analyst.a".into(), body: "{\"action\":\"open\"}".into() };
    let id = store.open_case(&case, &first).unwrap();
    assert_eq!(id, "case-0001");
    let step = ActionRow { seq: 0, at: at + time::Duration::hours(2), actor: "analyst.b".into(), body: "{}".into() };
    assert_eq!(store.update_case(&id, "evidence", "attribution", "{\"party\":\"rus\"}", &step).unwrap(), 2);
    let stale = store.update_case(&id, "evidence", "attribution", "{}", &step);
    assert!(matches!(stale, Err(CaseUpdateError::Conflict { ref actual, .. }) if actual == "attribution"), "{stale:?}");
    assert!(matches!(
        store.update_case("case-9999", "evidence", "remedy", "{}", &step),
        Err(CaseUpdateError::NotFound(_))
    ));
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    let (case, actions) = store.case(&id).unwrap().unwrap();
    assert_eq!(case.stage, "attribution");
    assert_eq!(case.body, "{\"party\":\"rus\"}");
    assert_eq!(actions.iter().map(|a| a.actor.as_str()).collect::<Vec<_>>(), ["analyst.a", "analyst.b"]);
    assert_eq!(store.cases().unwrap().len(), 1);
    assert_eq!(store.open_case(&case, &first).unwrap(), "case-0002");
}
