//! `truce users`: add -> list -> passwd -> token -> disable -> enable with the real binary, and every
//! bad input refused with exit code 2 and the argument named.

use std::path::Path;
use std::sync::Arc;

use truce_store::{SqliteStore, UserStore};

use crate::util::truce;

const PASSWORD: &[u8] = b"correct horse battery staple\n";

fn users(dir: &Path, args: &[&str], stdin: &[u8]) -> crate::util::Run {
    let mut all = vec!["users"];
    all.extend_from_slice(args);
    all.extend(["--data-dir", dir.to_str().unwrap()]);
    truce(&all, stdin)
}

fn add_alpha(dir: &Path) {
    let r = users(
        dir,
        &["add", "alpha", "--nation", "FRA", "--role", "analyst", "--clearance", "NATO SECRET", "--category", "HUMINT"],
        PASSWORD,
    );
    // Without --password-stdin clap refuses the call before reading anything.
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--password-stdin"), "{}", r.stderr);
    let r = users(
        dir,
        &[
            "add",
            "alpha",
            "--nation",
            "FRA",
            "--role",
            "analyst",
            "--clearance",
            "NATO SECRET",
            "--category",
            "HUMINT",
            "--password-stdin",
        ],
        PASSWORD,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim(), "added alpha (FRA, analyst, NATO SECRET)");
}

#[test]
fn add_list_passwd_token_disable_enable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    add_alpha(&dir);
    let r = users(
        &dir,
        &["add", "bravo", "--nation", "EST", "--role", "monitor", "--password-stdin"],
        b"another long passphrase\r\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);

    // The table, by name, default clearance for bravo.
    let r = users(&dir, &["list"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0].starts_with("name "), "{}", r.stdout);
    assert!(
        lines[1].starts_with("alpha ") && lines[1].contains("NATO SECRET") && lines[1].contains("HUMINT"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("bravo ") && lines[2].contains("NATO UNCLASSIFIED") && lines[2].contains("enabled"),
        "{}",
        lines[2]
    );
    assert!(!r.stdout.contains("$argon2"), "no password hash in the listing");

    // NDJSON.
    let r = users(&dir, &["list", "--json"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: Vec<serde_json::Value> = r.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "alpha");
    assert_eq!(rows[0]["role"], "analyst");
    assert_eq!(rows[0]["clearance"], "NATO SECRET");
    assert_eq!(rows[0]["categories"], serde_json::json!(["HUMINT"]));
    assert_eq!(rows[0]["disabled"], false);
    assert!(rows[0].get("password").is_none());

    // The stored hash is Argon2id and verifies the password given (the line ending is not part of it).
    let store = SqliteStore::open(&dir).unwrap();
    let (_, phc) = store.credentials("alpha").unwrap().unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    assert!(truce_auth::password::verify("correct horse battery staple", &phc));
    let (_, phc) = store.credentials("bravo").unwrap().unwrap();
    assert!(truce_auth::password::verify("another long passphrase", &phc), "CRLF stripped");

    // A new password replaces the old.
    let r = users(&dir, &["passwd", "alpha", "--password-stdin"], b"a brand new passphrase\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_, phc) = store.credentials("alpha").unwrap().unwrap();
    assert!(truce_auth::password::verify("a brand new passphrase", &phc));
    assert!(!truce_auth::password::verify("correct horse battery staple", &phc));

    // An API token: printed alone on stdout, authenticates alpha, stored only as its hash.
    let r = users(&dir, &["token", "alpha", "--days", "30"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token = r.stdout.trim().to_owned();
    assert_eq!(r.stdout, format!("{token}\n"));
    assert!(token.starts_with("truce_") && token.len() == 49, "{token}");
    assert!(r.stderr.contains("valid until"), "{}", r.stderr);
    let rows = store.sessions_of("alpha").unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].token_hash, truce_auth::token::hash_token(&token));
    let days = (rows[0].expires.unwrap() - rows[0].created).whole_days();
    assert_eq!(days, 30);
    let store: Arc<dyn UserStore> = Arc::new(store);
    let sessions = truce_auth::Sessions::new(store.clone(), truce_auth::Settings::default());
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(sessions.authenticate(&token, now).unwrap().map(|u| u.name), Some("alpha".to_owned()));

    // Disabling ends the token at once.
    let r = users(&dir, &["disable", "alpha"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("1 session(s) and API token(s) ended"), "{}", r.stdout);
    assert!(sessions.authenticate(&token, now).unwrap().is_none());
    let r = users(&dir, &["list"], b"");
    assert!(r.stdout.lines().nth(1).unwrap().contains("disabled"), "{}", r.stdout);
    // No token for a disabled user.
    let r = users(&dir, &["token", "alpha"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("alpha") && r.stderr.contains("disabled"), "{}", r.stderr);

    // Enabling again does not bring the token back.
    let r = users(&dir, &["enable", "alpha"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!store.user("alpha").unwrap().unwrap().disabled);
    assert!(sessions.authenticate(&token, now).unwrap().is_none());
}

#[test]
fn bad_arguments_are_refused_with_exit_code_2_naming_the_argument() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let add = |args: &[&str], stdin: &[u8]| {
        let mut all = vec!["add"];
        all.extend_from_slice(args);
        all.push("--password-stdin");
        users(&dir, &all, stdin)
    };
    for (args, named) in [
        (&["alpha", "--nation", "FRA", "--role", "general"][..], "--role"),
        (&["alpha", "--nation", "fra", "--role", "analyst"][..], "--nation"),
        (&["alpha", "--nation", "FR", "--role", "analyst"][..], "--nation"),
        (&["alpha", "--nation", "FRA1", "--role", "analyst"][..], "--nation"),
        (&["alpha", "--nation", "FRA", "--role", "analyst", "--clearance", "SECRET"][..], "--clearance"),
        (&["alpha", "--nation", "FRA", "--role", "analyst", "--category", "a b"][..], "--category"),
        (&["Alpha", "--nation", "FRA", "--role", "analyst"][..], "<NAME>"),
    ] {
        let r = add(args, PASSWORD);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(named), "{args:?} should name {named}: {}", r.stderr);
    }
    assert!(!dir.exists(), "nothing was created for a refused argument");

    let ok = ["alpha", "--nation", "FRA", "--role", "analyst"];
    for (stdin, reason) in [
        (&b"short\n"[..], "at least 12 characters"),
        (&b""[..], "standard input is empty"),
        (&b"tab\tseparated password\n"[..], "control characters"),
    ] {
        let r = add(&ok, stdin);
        assert_eq!(r.code, 2, "{stdin:?}: {}", r.stderr);
        assert!(r.stderr.contains("--password-stdin") && r.stderr.contains(reason), "{stdin:?}: {}", r.stderr);
    }
    let long = vec![b'x'; 2000];
    let r = add(&ok, &long);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("at most 1024 bytes"), "{}", r.stderr);

    // The password is never echoed back, even when refused.
    let r = add(&ok, b"sh0rt-secret\x07\n");
    assert_eq!(r.code, 2);
    assert!(!r.stderr.contains("sh0rt-secret") && !r.stdout.contains("sh0rt-secret"), "{}", r.stderr);

    // A duplicate.
    assert_eq!(add(&ok, PASSWORD).code, 0);
    let r = add(&["alpha", "--nation", "GBR", "--role", "admin"], PASSWORD);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("\"alpha\" exists already"), "{}", r.stderr);

    // Unknown users.
    for args in
        [&["disable", "ghost"][..], &["enable", "ghost"], &["token", "ghost"], &["passwd", "ghost", "--password-stdin"]]
    {
        let r = users(&dir, args, PASSWORD);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("no user \"ghost\""), "{args:?}: {}", r.stderr);
    }
    // A short new password for a known user.
    let r = users(&dir, &["passwd", "alpha", "--password-stdin"], b"short\n");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("at least 12 characters"), "{}", r.stderr);
    // A token's validity out of range.
    let r = users(&dir, &["token", "alpha", "--days", "0"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--days"), "{}", r.stderr);
}

#[test]
fn commands_other_than_add_need_an_existing_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("none");
    let r = users(&dir, &["list"], b"");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--data-dir") && r.stderr.contains("no truce data directory"), "{}", r.stderr);
    assert!(!dir.exists());
}
