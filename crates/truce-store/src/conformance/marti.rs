//! TAK Server's files and missions: files stored once by hash and found by their metadata, missions
//! whose subscriptions, contents and change log stay consistent through every write, and reads that
//! answer only what the handle's viewer may see.

use time::OffsetDateTime;
use time::macros::datetime;
use truce_access::{Access, Policy, Role, Viewer};
use truce_core::{Label, Marking};

use crate::{
    ChangeKind, ContentRef, FilePut, FileQuery, FileRecord, MissionChange, MissionRecord, MissionRole, Store,
    StoreError, Subscription,
};

const T0: OffsetDateTime = datetime!(2026-11-20 08:00:00.125 UTC);

/// A hash made from `n` (64 lowercase hex digits, not the SHA-256 of anything: the store does not
/// read bodies).
pub fn hash(n: u64) -> String {
    format!("{n:064x}")
}

/// A public, unlabelled file with hash `n`, named `name`, submitted `minutes` after a fixed time.
pub fn file(n: u64, name: &str, minutes: i64) -> FileRecord {
    FileRecord {
        hash: hash(n),
        uid: format!("package-{n}"),
        name: name.into(),
        mime: "application/zip".into(),
        size: 1000 + n,
        keywords: vec!["missionpackage".into()],
        tool: "public".into(),
        creator_uid: Some("ANDROID-1".into()),
        submitter: "alice".into(),
        submitted: T0 + time::Duration::minutes(minutes),
        expiration: None,
        location: None,
        label: Label::default(),
    }
}

/// An unlabelled mission named `name`, created at a fixed time.
pub fn mission(name: &str) -> MissionRecord {
    MissionRecord {
        name: name.into(),
        guid: format!("guid-{name}"),
        description: "patrol".into(),
        chat_room: String::new(),
        tool: "public".into(),
        creator_uid: "ANDROID-1".into(),
        creator_user: "alice".into(),
        created: T0,
        default_role: MissionRole::Subscriber,
        invite_only: false,
        label: Label::default(),
    }
}

fn subscription(mission: &str, client_uid: &str, role: MissionRole) -> Subscription {
    Subscription { mission: mission.into(), client_uid: client_uid.into(), user: "alice".into(), role, created: T0 }
}

fn released_to(nations: &[&str]) -> Label {
    Label {
        marking: Marking::NatoUnclassified,
        releasable_to: nations.iter().map(|n| (*n).to_owned()).collect(),
        categories: Vec::new(),
    }
}

/// A French viewer cleared for everything, and the access it reads with.
fn french() -> Access {
    let viewer = Viewer {
        name: "fra".into(),
        nation: Some("FRA".into()),
        role: Role::Planner,
        clearance: Marking::CosmicTopSecret,
        categories: Default::default(),
    };
    Access::new(&Policy::shipped(), &viewer)
}

fn names(files: &[FileRecord]) -> Vec<&str> {
    files.iter().map(|f| f.name.as_str()).collect()
}

fn kinds(changes: &[MissionChange]) -> Vec<(ChangeKind, Option<ContentRef>)> {
    changes.iter().map(|c| (c.kind, c.content.clone())).collect()
}

fn uid(u: &str) -> ContentRef {
    ContentRef::Uid(u.into())
}

fn file_ref(n: u64) -> ContentRef {
    ContentRef::File(hash(n))
}

/// A file's record round trips, is found by its hash in either case, and a second put of the same
/// hash changes nothing and answers the stored record; a hash that is not lowercase hex, or a
/// location that is not finite, is refused.
pub fn a_file_is_stored_once_by_its_hash(store: &dyn Store) {
    let mut first = file(1, "route.zip", 0);
    first.location = Some((48.5, 37.25));
    first.expiration = Some(1_800_000_000);
    first.creator_uid = None;
    assert_eq!(store.put_file(&first).expect("a put"), FilePut::Stored);
    assert_eq!(store.file(&first.hash).expect("a read").as_ref(), Some(&first));
    assert_eq!(store.file(&first.hash.to_ascii_uppercase()).expect("a read").as_ref(), Some(&first));
    let again = FileRecord { name: "other.zip".into(), submitted: T0 + time::Duration::hours(1), ..first.clone() };
    assert_eq!(store.put_file(&again).expect("a put"), FilePut::Existing(first.clone()));
    assert_eq!(store.file(&first.hash).expect("a read"), Some(first.clone()), "unchanged");
    assert_eq!(store.search_files(&FileQuery::default()).expect("a search").len(), 1);
    assert_eq!(store.file(&hash(2)).expect("a read"), None);
    assert_eq!(store.file("../x").expect("a read"), None);

    for bad in [hash(3).to_ascii_uppercase().replace('0', "A"), hash(3)[1..].to_owned(), format!("{}g", &hash(3)[1..])]
    {
        let err = store.put_file(&FileRecord { hash: bad.clone(), ..file(3, "x", 0) }).expect_err(&bad);
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
    }
    let mut nan = file(4, "nan.zip", 0);
    nan.location = Some((f64::NAN, 1.0));
    assert!(matches!(store.put_file(&nan), Err(StoreError::Invalid { .. })));
    assert_eq!(store.search_files(&FileQuery::default()).expect("a search").len(), 1, "nothing refused was kept");
}

/// Searches combine their filters, match a name as a case-insensitive substring in which `%`, `_`
/// and quotes are plain characters, answer the newest first (the later stored first within a
/// millisecond) and stop at the limit.
pub fn file_searches_filter_and_list_the_newest_first(store: &dyn Store) {
    let mut files = vec![
        file(1, "100% done.zip", 1),
        file(2, "100 done.zip", 2),
        file(3, "a_b.kml", 3),
        file(4, "aXb.kml", 4),
        file(5, "it's \"here\".txt", 5),
        file(6, "Über.png", 6),
        file(7, "same-minute.png", 6),
    ];
    files[2].tool = "private".into();
    files[3].keywords = vec!["overlay".into(), "route".into()];
    files[4].creator_uid = Some("WINTAK-9".into());
    files[5].uid = "shared-uid".into();
    files[6].uid = "shared-uid".into();
    for f in &files {
        assert_eq!(store.put_file(f).expect("a put"), FilePut::Stored);
    }
    let search = |q: FileQuery| store.search_files(&q).expect("a search");
    let by_name = |n: &str| search(FileQuery { name: Some(n.into()), ..Default::default() });
    assert_eq!(
        names(&search(FileQuery::default())),
        ["same-minute.png", "Über.png", "it's \"here\".txt", "aXb.kml", "a_b.kml", "100 done.zip", "100% done.zip"]
    );
    assert_eq!(names(&by_name("%")), ["100% done.zip"]);
    assert_eq!(names(&by_name("0% D")), ["100% done.zip"]);
    assert_eq!(names(&by_name("_")), ["a_b.kml"]);
    assert_eq!(names(&by_name("'")), ["it's \"here\".txt"]);
    assert_eq!(names(&by_name("\"HERE\"")), ["it's \"here\".txt"]);
    assert_eq!(names(&by_name("DONE")), ["100 done.zip", "100% done.zip"]);
    assert_eq!(names(&by_name("über")), ["Über.png"]);
    assert_eq!(names(&by_name("a%b")), Vec::<&str>::new());
    assert_eq!(names(&search(FileQuery { tool: Some("private".into()), ..Default::default() })), ["a_b.kml"]);
    assert_eq!(names(&search(FileQuery { keyword: Some("route".into()), ..Default::default() })), ["aXb.kml"]);
    assert!(search(FileQuery { keyword: Some("rout".into()), ..Default::default() }).is_empty(), "keywords are exact");
    assert_eq!(
        names(&search(FileQuery { creator_uid: Some("WINTAK-9".into()), ..Default::default() })),
        ["it's \"here\".txt"]
    );
    assert_eq!(
        names(&search(FileQuery { uid: Some("shared-uid".into()), ..Default::default() })),
        ["same-minute.png", "Über.png"]
    );
    assert_eq!(
        names(&search(FileQuery { name: Some(".kml".into()), limit: Some(1), ..Default::default() })),
        ["aXb.kml"]
    );
    assert_eq!(names(&search(FileQuery { limit: Some(2), ..Default::default() })), ["same-minute.png", "Über.png"]);
    assert!(search(FileQuery { limit: Some(0), ..Default::default() }).is_empty());
    assert!(
        search(FileQuery {
            tool: Some("public".into()),
            keyword: Some("overlay".into()),
            name: Some("zip".into()),
            ..Default::default()
        })
        .is_empty()
    );
}

/// A handle for a French viewer neither reads, finds, deletes, adds to a mission nor learns the
/// record of a file released only to Britain; it does all that with a file it may see.
pub fn a_scoped_handle_sees_only_the_files_it_may(store: &dyn Store) {
    let access = french();
    let hidden = FileRecord { label: released_to(&["GBR"]), ..file(1, "british.zip", 0) };
    let shown = FileRecord { label: released_to(&["FRA"]), ..file(2, "french.zip", 1) };
    assert!(!access.permits(&hidden.label, hidden.submitted) && access.permits(&shown.label, shown.submitted));
    for f in [&hidden, &shown] {
        store.put_file(f).expect("a put");
    }
    store.create_mission(&mission("m")).expect("a mission");
    let fra = store.scoped(access);
    assert_eq!(fra.file(&hidden.hash).expect("a read"), None);
    assert_eq!(fra.file(&shown.hash).expect("a read"), Some(shown.clone()));
    assert_eq!(names(&fra.search_files(&FileQuery::default()).expect("a search")), ["french.zip"]);
    assert_eq!(names(&store.search_files(&FileQuery::default()).expect("a search")), ["french.zip", "british.zip"]);
    let err = fra.put_file(&FileRecord { label: Label::default(), ..hidden.clone() }).expect_err("hidden");
    assert!(matches!(&err, StoreError::Exists(h) if *h == hidden.hash), "{err}");
    assert_eq!(fra.put_file(&shown).expect("a put"), FilePut::Existing(shown.clone()));
    assert!(fra.delete_file(&hidden.hash, "fra", T0).expect("a delete").is_none());
    assert!(store.file(&hidden.hash).expect("a read").is_some(), "still there");
    let err = fra.add_contents("m", &[file_ref(2), file_ref(1)], "ANDROID-2", T0).expect_err("hidden");
    assert!(matches!(&err, StoreError::NotFound(h) if *h == hidden.hash), "{err}");
    assert!(store.contents("m").expect("contents").is_empty(), "nothing added");
    assert_eq!(fra.add_contents("m", &[file_ref(2)], "ANDROID-2", T0).expect("added").len(), 1);
}

/// Deleting a file removes it from every mission in the same transaction, with one
/// `REMOVE_CONTENT` change per mission that keeps the file's record; a second delete finds nothing.
pub fn deleting_a_file_removes_it_from_every_mission(store: &dyn Store) {
    let f = FileRecord { label: released_to(&["FRA", "GBR"]), ..file(1, "route.zip", 0) };
    store.put_file(&f).expect("a put");
    store.put_file(&file(2, "other.zip", 0)).expect("a put");
    for name in ["bravo", "alpha", "charlie"] {
        store.create_mission(&mission(name)).expect("a mission");
    }
    store.add_contents("bravo", &[file_ref(1), uid("T1")], "ANDROID-1", T0).expect("added");
    store.add_contents("alpha", &[file_ref(2), file_ref(1)], "ANDROID-1", T0).expect("added");
    let at = T0 + time::Duration::hours(1);
    let (deleted, changes) =
        store.delete_file(&f.hash.to_ascii_uppercase(), "admin", at).expect("a delete").expect("found");
    assert_eq!(deleted, f);
    assert_eq!(changes.iter().map(|c| c.mission.as_str()).collect::<Vec<_>>(), ["alpha", "bravo"]);
    for c in &changes {
        assert_eq!(
            (c.kind, c.content.clone(), c.file.as_ref()),
            (ChangeKind::RemoveContent, Some(file_ref(1)), Some(&f))
        );
        assert_eq!((c.creator_uid.as_str(), c.at, &c.label), ("admin", at, &f.label));
        let log = store.changes(&c.mission, None).expect("changes");
        assert_eq!(log.last(), Some(c), "the log holds the change as it was answered");
    }
    assert_eq!(
        store.contents("bravo").expect("contents").iter().map(|c| c.content.clone()).collect::<Vec<_>>(),
        [uid("T1")]
    );
    assert_eq!(
        store.contents("alpha").expect("contents").iter().map(|c| c.content.clone()).collect::<Vec<_>>(),
        [file_ref(2)]
    );
    assert!(store.changes("charlie", None).expect("changes").iter().all(|c| c.kind == ChangeKind::CreateMission));
    assert_eq!(store.file(&f.hash).expect("a read"), None);
    assert!(store.delete_file(&f.hash, "admin", at).expect("a delete").is_none());
    // The content can be stored again and added again.
    assert_eq!(store.put_file(&f).expect("a put"), FilePut::Stored);
    assert_eq!(store.add_contents("alpha", &[file_ref(1)], "ANDROID-1", at).expect("added").len(), 1);
}

/// A mission is created once: it round trips by name and by guid, its creation is the first entry
/// of its log, and another mission with its name or its guid is refused.
pub fn a_mission_is_created_once(store: &dyn Store) {
    let m = MissionRecord {
        description: "the northern sector".into(),
        chat_room: "north".into(),
        default_role: MissionRole::ReadOnly,
        invite_only: true,
        label: released_to(&["NATO"]),
        ..mission("north")
    };
    let change = store.create_mission(&m).expect("a mission");
    assert_eq!((change.kind, change.content.as_ref(), change.file.as_ref()), (ChangeKind::CreateMission, None, None));
    assert_eq!((change.mission.as_str(), change.creator_uid.as_str(), change.at), ("north", "ANDROID-1", T0));
    assert_eq!(change.label, m.label);
    assert_eq!(store.changes("north", None).expect("changes"), std::slice::from_ref(&change));
    assert_eq!(store.mission("north").expect("a read"), Some(m.clone()));
    assert_eq!(store.mission_by_guid("guid-north").expect("a read"), Some(m.clone()));
    assert_eq!(store.mission("North").expect("a read"), None, "names are exact");
    let err = store.create_mission(&MissionRecord { guid: "other".into(), ..mission("north") }).expect_err("taken");
    assert!(matches!(&err, StoreError::Exists(n) if n == "north"), "{err}");
    assert_eq!(err.to_string(), "\"north\" already exists");
    let err =
        store.create_mission(&MissionRecord { guid: "guid-north".into(), ..mission("south") }).expect_err("taken");
    assert!(matches!(&err, StoreError::Exists(g) if g == "guid-north"), "{err}");
    assert_eq!(store.mission("south").expect("a read"), None, "nothing stored");
    let second = store.create_mission(&mission("east")).expect("a mission");
    assert!(second.seq > change.seq);
    let listed: Vec<String> = store.missions().expect("missions").into_iter().map(|m| m.name).collect();
    assert_eq!(listed, ["east", "north"]);
}

/// Subscribing again keeps the first subscription (its role and time); roles change by
/// `set_role`; unsubscribing says whether there was a subscription; a mission that does not exist
/// is `NotFound` for every call that acts on it, and `None` for a lookup.
pub fn subscriptions_are_kept_until_ended(store: &dyn Store) {
    store.create_mission(&mission("m")).expect("a mission");
    store.create_mission(&mission("a")).expect("a mission");
    let first = subscription("m", "ANDROID-2", MissionRole::ReadOnly);
    assert_eq!(store.subscribe(&first).expect("subscribed"), first);
    let again = Subscription {
        role: MissionRole::Owner,
        user: "bob".into(),
        created: T0 + time::Duration::hours(1),
        ..first.clone()
    };
    assert_eq!(store.subscribe(&again).expect("subscribed"), first, "the first subscription is kept");
    store.subscribe(&subscription("m", "ANDROID-1", MissionRole::Owner)).expect("subscribed");
    store.subscribe(&subscription("a", "ANDROID-3", MissionRole::Subscriber)).expect("subscribed");
    assert!(store.set_role("m", "ANDROID-2", MissionRole::Subscriber).expect("a role"));
    assert!(!store.set_role("m", "ANDROID-9", MissionRole::Owner).expect("a role"));
    let listed = store.subscriptions("m").expect("subscriptions");
    assert_eq!(
        listed.iter().map(|s| (s.client_uid.as_str(), s.role)).collect::<Vec<_>>(),
        [("ANDROID-1", MissionRole::Owner), ("ANDROID-2", MissionRole::Subscriber)]
    );
    assert_eq!(store.subscription("m", "ANDROID-2").expect("a read").map(|s| s.role), Some(MissionRole::Subscriber));
    assert_eq!(store.subscription("m", "ANDROID-3").expect("a read"), None);
    let all: Vec<(String, String)> =
        store.all_subscriptions().expect("all").into_iter().map(|s| (s.mission, s.client_uid)).collect();
    assert_eq!(
        all,
        [("a".into(), "ANDROID-3".into()), ("m".into(), "ANDROID-1".into()), ("m".into(), "ANDROID-2".into())]
    );
    assert!(store.unsubscribe("m", "ANDROID-2").expect("unsubscribed"));
    assert!(!store.unsubscribe("m", "ANDROID-2").expect("unsubscribed"));
    assert_eq!(store.subscriptions("m").expect("subscriptions").len(), 1);

    let not_found = |r: Result<(), StoreError>| matches!(r, Err(StoreError::NotFound(n)) if n == "nowhere");
    assert!(not_found(store.subscribe(&subscription("nowhere", "ANDROID-1", MissionRole::Owner)).map(drop)));
    assert!(not_found(store.unsubscribe("nowhere", "ANDROID-1").map(drop)));
    assert!(not_found(store.set_role("nowhere", "ANDROID-1", MissionRole::Owner).map(drop)));
    assert!(not_found(store.subscriptions("nowhere").map(drop)));
    assert_eq!(store.subscription("nowhere", "ANDROID-1").expect("a read"), None);
    assert!(store.all_subscriptions().expect("all").iter().all(|s| s.mission != "nowhere"));
}

/// Adding contents is all or nothing: a hash that is not stored (or a mission that does not exist)
/// adds nothing and logs nothing. An item already there, or twice in one call, is added once, and
/// contents are listed in the order added.
pub fn adding_contents_is_all_or_nothing_and_once(store: &dyn Store) {
    store.create_mission(&mission("m")).expect("a mission");
    let f = file(1, "route.zip", 0);
    store.put_file(&f).expect("a put");
    let err = store.add_contents("m", &[uid("T1"), file_ref(1), file_ref(9)], "ANDROID-2", T0).expect_err("unknown");
    assert!(matches!(&err, StoreError::NotFound(h) if *h == hash(9)), "{err}");
    let err = store.add_contents("nowhere", &[uid("T1")], "ANDROID-2", T0).expect_err("unknown");
    assert!(matches!(&err, StoreError::NotFound(n) if n == "nowhere"), "{err}");
    assert!(store.contents("m").expect("contents").is_empty());
    assert_eq!(store.changes("m", None).expect("changes").len(), 1, "only the creation");

    let at = T0 + time::Duration::minutes(5);
    let items = [uid("T2"), ContentRef::File(hash(1).to_ascii_uppercase()), uid("T1"), uid("T2")];
    let changes = store.add_contents("m", &items, "ANDROID-2", at).expect("added");
    assert_eq!(
        kinds(&changes),
        [
            (ChangeKind::AddContent, Some(uid("T2"))),
            (ChangeKind::AddContent, Some(file_ref(1))),
            (ChangeKind::AddContent, Some(uid("T1")))
        ]
    );
    assert_eq!(changes[1].file.as_ref(), Some(&f));
    assert!(changes.iter().all(|c| c.creator_uid == "ANDROID-2" && c.at == at));
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(store.add_contents("m", &[file_ref(1), uid("T1")], "ANDROID-3", at).expect("added").is_empty());
    let contents = store.contents("m").expect("contents");
    assert_eq!(contents.iter().map(|c| c.content.clone()).collect::<Vec<_>>(), [uid("T2"), file_ref(1), uid("T1")]);
    assert_eq!(contents[1].file.as_ref(), Some(&f));
    assert_eq!(contents[0].file, None);
    assert_eq!((contents[0].creator_uid.as_str(), contents[0].added), ("ANDROID-2", at));
    assert_eq!(store.changes("m", None).expect("changes")[1..], changes[..]);
}

/// Removing an item logs one `REMOVE_CONTENT` change; removing what is not there changes nothing;
/// the file itself stays.
pub fn removing_content_logs_it_once(store: &dyn Store) {
    store.create_mission(&mission("m")).expect("a mission");
    let f = file(1, "route.zip", 0);
    store.put_file(&f).expect("a put");
    store.add_contents("m", &[uid("T1"), file_ref(1)], "ANDROID-1", T0).expect("added");
    let at = T0 + time::Duration::minutes(1);
    let removed = store.remove_content("m", &uid("T1"), "ANDROID-2", at).expect("removed").expect("there");
    assert_eq!(
        (removed.kind, removed.content.as_ref(), removed.file.as_ref()),
        (ChangeKind::RemoveContent, Some(&uid("T1")), None)
    );
    assert_eq!((removed.creator_uid.as_str(), removed.at, &removed.label), ("ANDROID-2", at, &mission("m").label));
    assert_eq!(store.remove_content("m", &uid("T1"), "ANDROID-2", at).expect("removed"), None);
    let removed = store.remove_content("m", &file_ref(1), "ANDROID-2", at).expect("removed").expect("there");
    assert_eq!(removed.file.as_ref(), Some(&f));
    assert_eq!(store.remove_content("m", &file_ref(1), "ANDROID-2", at).expect("removed"), None);
    assert_eq!(store.remove_content("m", &ContentRef::File("../x".into()), "ANDROID-2", at).expect("removed"), None);
    assert!(store.contents("m").expect("contents").is_empty());
    assert_eq!(store.file(&f.hash).expect("a read"), Some(f));
    let err = store.remove_content("nowhere", &uid("T1"), "ANDROID-2", at).expect_err("unknown");
    assert!(matches!(&err, StoreError::NotFound(n) if n == "nowhere"), "{err}");
    assert_eq!(store.changes("m", None).expect("changes").len(), 5, "created, two added, two removed");
}

/// A scoped reader lists the uids of a mission it may see and only the files it may see, reads only
/// the log entries it may see (`since` included), and knows nothing of a mission it may not see,
/// whose subscribers are still in the routing table.
pub fn a_scoped_reader_sees_only_the_contents_and_changes_it_may(store: &dyn Store) {
    let access = french();
    let open = MissionRecord { label: released_to(&["FRA", "GBR"]), ..mission("open") };
    let closed = MissionRecord { label: released_to(&["GBR"]), ..mission("closed") };
    let hidden = FileRecord { label: released_to(&["GBR"]), ..file(1, "british.zip", 0) };
    let shown = FileRecord { label: released_to(&["FRA"]), ..file(2, "french.zip", 0) };
    assert!(access.permits(&open.label, T0) && !access.permits(&closed.label, T0));
    for m in [&open, &closed] {
        store.create_mission(m).expect("a mission");
    }
    for f in [&hidden, &shown] {
        store.put_file(f).expect("a put");
    }
    let t = |m: i64| T0 + time::Duration::minutes(m);
    store.add_contents("open", &[uid("T1"), file_ref(1)], "ANDROID-1", t(1)).expect("added");
    store.add_contents("open", &[file_ref(2)], "ANDROID-1", t(2)).expect("added");
    store.add_contents("closed", &[uid("T2"), file_ref(2)], "ANDROID-1", t(3)).expect("added");
    store.remove_content("open", &file_ref(1), "ANDROID-1", t(4)).expect("removed");
    store.subscribe(&subscription("closed", "ANDROID-1", MissionRole::Owner)).expect("subscribed");

    let fra = store.scoped(access);
    let contents: Vec<ContentRef> = fra.contents("open").expect("contents").into_iter().map(|c| c.content).collect();
    assert_eq!(contents, [uid("T1"), file_ref(2)]);
    assert_eq!(store.contents("open").expect("contents").len(), 2, "the file removed is gone for everyone");
    assert_eq!(
        kinds(&fra.changes("open", None).expect("changes")),
        [
            (ChangeKind::CreateMission, None),
            (ChangeKind::AddContent, Some(uid("T1"))),
            (ChangeKind::AddContent, Some(file_ref(2)))
        ]
    );
    assert_eq!(store.changes("open", None).expect("changes").len(), 5);
    assert_eq!(
        kinds(&fra.changes("open", Some(t(2))).expect("changes")),
        [(ChangeKind::AddContent, Some(file_ref(2)))]
    );
    assert!(fra.changes("open", Some(t(5))).expect("changes").is_empty());

    assert_eq!(fra.mission("closed").expect("a read"), None);
    assert_eq!(fra.mission_by_guid(&closed.guid).expect("a read"), None);
    assert_eq!(fra.mission_by_guid(&open.guid).expect("a read"), Some(open.clone()));
    assert_eq!(fra.missions().expect("missions"), [open]);
    assert!(fra.changes("closed", None).expect("changes").is_empty(), "not even the French file's entry");
    assert!(matches!(fra.contents("closed"), Err(StoreError::NotFound(_))));
    assert!(matches!(fra.subscriptions("closed"), Err(StoreError::NotFound(_))));
    assert_eq!(fra.subscription("closed", "ANDROID-1").expect("a read"), None);
    assert!(matches!(
        fra.subscribe(&subscription("closed", "ANDROID-2", MissionRole::ReadOnly)),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(fra.add_contents("closed", &[uid("T3")], "ANDROID-2", T0), Err(StoreError::NotFound(_))));
    assert!(matches!(fra.remove_content("closed", &uid("T2"), "ANDROID-2", T0), Err(StoreError::NotFound(_))));
    assert_eq!(fra.delete_mission("closed", "fra", T0).expect("a delete"), None);
    assert_eq!(fra.all_subscriptions().expect("all").len(), 1, "the routing table is the server's");
    assert!(store.mission("closed").expect("a read").is_some(), "still there");
}

/// Deleting a mission removes it, its subscriptions and its contents but not its files, and appends
/// `DELETE_MISSION` to the log, which keeps its earlier entries; the name can then be used again.
pub fn a_deleted_mission_keeps_its_log(store: &dyn Store) {
    store.create_mission(&mission("m")).expect("a mission");
    let f = file(1, "route.zip", 0);
    store.put_file(&f).expect("a put");
    store.add_contents("m", &[file_ref(1), uid("T1")], "ANDROID-1", T0).expect("added");
    store.subscribe(&subscription("m", "ANDROID-1", MissionRole::Owner)).expect("subscribed");
    let at = T0 + time::Duration::hours(2);
    let deleted = store.delete_mission("m", "ANDROID-1", at).expect("a delete").expect("there");
    assert_eq!(
        (deleted.kind, deleted.content, deleted.at, &deleted.label),
        (ChangeKind::DeleteMission, None, at, &mission("m").label)
    );
    assert_eq!(store.mission("m").expect("a read"), None);
    assert_eq!(store.mission_by_guid("guid-m").expect("a read"), None);
    assert!(store.missions().expect("missions").is_empty());
    assert!(store.all_subscriptions().expect("all").is_empty());
    assert!(matches!(store.contents("m"), Err(StoreError::NotFound(_))));
    assert_eq!(store.file(&f.hash).expect("a read"), Some(f), "files stay");
    let log = store.changes("m", None).expect("changes");
    assert_eq!(
        kinds(&log),
        [
            (ChangeKind::CreateMission, None),
            (ChangeKind::AddContent, Some(file_ref(1))),
            (ChangeKind::AddContent, Some(uid("T1"))),
            (ChangeKind::DeleteMission, None)
        ]
    );
    assert_eq!(store.delete_mission("m", "ANDROID-1", at).expect("a delete"), None);
    store.create_mission(&mission("m")).expect("the name is free again");
    assert!(store.contents("m").expect("contents").is_empty());
    assert!(store.subscriptions("m").expect("subscriptions").is_empty());
    assert_eq!(store.changes("m", Some(at)).expect("changes").len(), 1, "the deletion, at `since`");
}

/// Names, uids, keywords and guids with slashes, quotes, `%`, `_` and non-ASCII letters are stored
/// and found exactly as given.
pub fn odd_names_round_trip(store: &dyn Store) {
    let odd = "a/b ü 'x' %_";
    let m = MissionRecord { guid: format!("{odd}\"guid\""), description: odd.into(), ..mission(odd) };
    store.create_mission(&m).expect("a mission");
    store.create_mission(&mission("a/b ü 'x' %")).expect("a mission whose name is a prefix");
    assert_eq!(store.mission(odd).expect("a read"), Some(m.clone()));
    assert_eq!(store.mission_by_guid(&m.guid).expect("a read"), Some(m.clone()));
    let f = FileRecord {
        uid: odd.into(),
        name: odd.into(),
        keywords: vec![odd.into(), "%".into()],
        tool: odd.into(),
        creator_uid: Some(odd.into()),
        submitter: odd.into(),
        ..file(1, "x", 0)
    };
    store.put_file(&f).expect("a put");
    store.put_file(&file(2, "a/b ü 'x' %", 0)).expect("a put");
    let q = FileQuery {
        tool: Some(odd.into()),
        keyword: Some(odd.into()),
        name: Some("Ü 'X' %_".into()),
        creator_uid: Some(odd.into()),
        uid: Some(odd.into()),
        limit: Some(10),
    };
    assert_eq!(store.search_files(&q).expect("a search"), std::slice::from_ref(&f));
    assert_eq!(
        store.search_files(&FileQuery { keyword: Some("%".into()), ..Default::default() }).expect("a search"),
        [f]
    );
    let s = Subscription { user: odd.into(), ..subscription(odd, odd, MissionRole::Owner) };
    assert_eq!(store.subscribe(&s).expect("subscribed"), s);
    assert_eq!(store.subscription(odd, odd).expect("a read"), Some(s));
    let changes = store.add_contents(odd, &[uid(odd), file_ref(1)], odd, T0).expect("added");
    assert_eq!(changes.len(), 2);
    assert_eq!(store.contents(odd).expect("contents").len(), 2);
    assert!(store.contents("a/b ü 'x' %").expect("contents").is_empty());
    assert_eq!(store.changes(odd, None).expect("changes").len(), 3);
    assert!(store.remove_content(odd, &uid(odd), odd, T0).expect("removed").is_some());
    assert!(store.delete_mission(odd, odd, T0).expect("a delete").is_some());
    assert!(store.mission("a/b ü 'x' %").expect("a read").is_some(), "the other mission is untouched");
}
