//! The files feed: through the pipeline, every bad record named, every new observation published.

use truce_node::sources::files::{self, Progress};
use truce_node::{Delivery, EventKind};

use crate::node;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_loaded_through_the_pipeline_and_its_bad_records_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("store"));
    let csv = dir.path().join("obs.csv");
    std::fs::write(
        &csv,
        "id,time,lat,lon,category,weapon_class,count\n\
         a,2026-11-25T01:00:00Z,48.73,37.55,explosion_impact,,1\n\
         b,2026-11-25T01:05:00Z,91,37.55,explosion_impact,,1\n\
         c,2026-11-25T01:10:00Z,48.01,37.80,weapon_sighting,trebuchet,2\n\
         d,2026-11-25T01:15:00Z,48.01,37.80,weapon_sighting,tanks,2\n",
    )
    .unwrap();
    let mut sub = n.bus.subscribe(truce_access::Access::all());
    let node = n.clone();
    let path = csv.clone();
    let (summary, problems) = tokio::task::spawn_blocking(move || {
        let mut problems = Vec::new();
        let s = files::ingest(&node, &[path], &mut |p| {
            if let Progress::Problem(line) = p {
                problems.push(line);
            }
        })
        .unwrap();
        (s, problems)
    })
    .await
    .unwrap();
    assert_eq!((summary.read, summary.inserted, summary.bad, summary.unreadable), (4, 2, 2, 0));
    let name = csv.display().to_string();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with(&format!("{name}:3: ")) && problems[0].contains("lat"), "{problems:?}");
    assert!(problems[1].starts_with(&format!("{name}:4: field `weapon_class`")), "{problems:?}");
    let mut published = Vec::new();
    for _ in 0..2 {
        match sub.recv().await {
            Delivery::Event(e) => match &e.event.kind {
                EventKind::Observation(o) => published.push(o.observation.id.clone()),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(published, ["a", "d"]);
    // Loading the same file again stores and publishes nothing new.
    let node = n.clone();
    let again = tokio::task::spawn_blocking(move || files::ingest(&node, &[csv], &mut |_| {}).unwrap()).await.unwrap();
    assert_eq!((again.inserted, again.duplicates), (0, 2));
}
