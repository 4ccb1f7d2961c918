//! The command line never surprises (issue 13): a closed pipe ends a command quietly, read commands do
//! not make data directories, times print and parse one way, unknown filter values list the valid ones.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::util::{data, truce};

#[test]
fn a_reader_that_closes_the_pipe_early_ends_the_command_quietly() {
    // `truce demo --export - | head -1`: the export is far larger than a pipe's buffer, so the writes
    // after the reader has gone fail with a broken pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_truce"))
        .args(["demo", "--export", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.starts_with("{\"id\":"), "{first}");
    // The reader is dropped here, closing the pipe.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(stderr.is_empty(), "{stderr}");
}

/// The error line(s) of a run, for the one-clear-error checks.
fn errors(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains("error")).collect()
}

#[test]
fn a_read_command_on_a_missing_data_directory_is_an_error_and_makes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo");
    let m = missing.to_str().unwrap();
    for args in [
        &["observations", "--data-dir", m][..],
        &["report", "daily", "--date", "2026-12-01", "--data-dir", m],
        &["warn", "status", "--data-dir", m],
        &["incidents", "--data-dir", m],
        &["coalition", "summary", "--data-dir", m],
        &["plan", "check", "draft-2027", "--data-dir", m],
        &["regeneration", "status", "--data-dir", m],
        &["users", "list", "--data-dir", m],
    ] {
        let run = truce(args, b"");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            errors(&run.stderr),
            [format!(
                "truce: error: no truce data directory at {m} (it does not exist): `truce ingest`, `truce serve` or \
                 `truce demo --data-dir` make one, or pass --data-dir (or TRUCE_DATA_DIR) to name another"
            )],
            "{args:?}"
        );
        assert!(!missing.exists(), "{args:?} made {m}");
    }
}

#[test]
fn ingest_makes_a_missing_data_directory_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new");
    let sample = data("samples/observations.csv");
    let run = truce(&["ingest", sample.to_str().unwrap(), "--data-dir", new.to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("truce: made the data directory {}", new.display())), "{}", run.stderr);
    // Made once: the next ingest says nothing about it, and a read command now works.
    let run = truce(&["ingest", sample.to_str().unwrap(), "--data-dir", new.to_str().unwrap()], b"");
    assert!(!run.stderr.contains("made the data directory"), "{}", run.stderr);
    assert_eq!(truce(&["observations", "--data-dir", new.to_str().unwrap()], b"").code, 0);
}

#[test]
fn a_data_directory_that_is_a_file_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data");
    std::fs::write(&file, "not a directory").unwrap();
    let f = file.to_str().unwrap();
    let sample = data("samples/observations.csv");
    for args in [
        &["observations", "--data-dir", f][..],
        &["ingest", sample.to_str().unwrap(), "--data-dir", f],
        &["coalition", "import", sample.to_str().unwrap(), "--data-dir", f],
        &["users", "list", "--data-dir", f],
        &["demo", "--port", "0", "--data-dir", f],
    ] {
        let run = truce(args, b"");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            errors(&run.stderr),
            [format!(
                "truce: error: the data directory {f} is a file, not a directory: pass --data-dir (or \
                 TRUCE_DATA_DIR) with a directory"
            )],
            "{args:?}"
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a directory");
    }
}

#[test]
fn a_demo_whose_tak_port_is_taken_removes_the_data_directory_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().to_string();
    let new = dir.path().join("demo");
    let run = Command::new(env!("CARGO_BIN_EXE_truce"))
        .args(["demo", "--port", "0", "--days", "1", "--tak-tcp", &port, "--data-dir", new.to_str().unwrap()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("cannot listen on {port}")), "{stderr}");
    assert!(stderr.contains("removed the data directory"), "{stderr}");
    assert!(!new.exists(), "the half-made demo directory is left behind");
}

#[test]
fn a_demo_whose_web_port_is_taken_makes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let new = dir.path().join("demo");
    let run = truce(&["demo", "--port", &port, "--days", "1", "--data-dir", new.to_str().unwrap()], b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{}", run.stderr);
    assert!(!new.exists(), "the demo made its directory although it could not start");
}

#[test]
fn the_demos_tak_ports_can_be_set_and_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let tcp = format!("127.0.0.1:{port}");
    let data_dir = dir.path().join("demo");
    let server = crate::util::Server::start_in(
        dir.path(),
        &[
            "demo",
            "--port",
            "0",
            "--days",
            "1",
            "--tak-tcp",
            &tcp,
            "--tak-udp",
            "off",
            "--data-dir",
            data_dir.to_str().unwrap(),
        ],
    );
    assert_eq!(server.tak_addr("tcp"), tcp, "the port given");
    assert!(server.tak_addr("tls").starts_with("127.0.0.1:"), "a free port on loopback, shown");
}

#[test]
fn an_unknown_zone_violation_or_category_is_an_error_listing_the_valid_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    let d = d.to_str().unwrap();
    let sample = data("samples/observations.csv");
    assert_eq!(truce(&["ingest", sample.to_str().unwrap(), "--data-dir", d], b"").code, 0);
    for (flag, listed) in
        [("--zone", "(zones: "), ("--violation", "(codes: "), ("--category", "(expected one of: explosion_impact")]
    {
        let run = truce(&["observations", "--data-dir", d, flag, "bogus"], b"");
        assert_eq!(run.code, 2, "{flag}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{flag}: {}", run.stdout);
        assert!(run.stderr.contains(&format!("{flag}: unknown")) && run.stderr.contains(listed), "{}", run.stderr);
    }
    let run = truce(&["observations", "--data-dir", d, "--zone", "bogus"], b"");
    assert!(run.stderr.contains("force_standoff"), "the agreement's zones are listed: {}", run.stderr);
    for (flag, value, says) in [
        ("--means", "drone", "drone"),
        ("--party", "RUS", "(one of: ukr, rus, none)"),
        ("--marking", "5", "5"),
        ("--polygon", "37,48;38,48", "at least 3"),
    ] {
        let run = truce(&["observations", "--data-dir", d, flag, value], b"");
        assert_eq!(run.code, 2, "{flag}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{flag}: {}", run.stdout);
        assert!(run.stderr.contains(&format!("{flag}: ")) && run.stderr.contains(says), "{flag}: {}", run.stderr);
    }
}

#[test]
fn the_map_s_filters_work_on_the_command_line_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = scenario(dir.path(), "2");
    let lines = |extra: &[&str]| -> Vec<serde_json::Value> {
        let run = truce(&[&["observations", "--data-dir", d.as_str()][..], extra].concat(), b"");
        assert_eq!(run.code, 0, "{extra:?}: {}", run.stderr);
        run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    };
    let all = lines(&[]);
    let square = [(36.9, 47.9), (37.6, 47.9), (37.6, 48.6), (36.9, 48.6)];
    let inside = |o: &serde_json::Value| {
        let (lon, lat) = (o["lon"].as_f64().unwrap(), o["lat"].as_f64().unwrap());
        (36.9..=37.6).contains(&lon) && (47.9..=48.6).contains(&lat)
    };
    let polygon: Vec<String> = square.iter().map(|(lon, lat)| format!("{lon},{lat}")).collect();
    let polygon = polygon.join(";");
    type Selects<'a> = Box<dyn Fn(&serde_json::Value) -> bool + 'a>;
    let cases: [(Vec<&str>, Selects<'_>); 3] = [
        (
            vec!["--means", "uav,fixed_camera"],
            Box::new(|o| ["uav", "fixed_camera"].contains(&o["observer"]["means"].as_str().unwrap())),
        ),
        (vec!["--party", "none"], Box::new(|o| o.get("party").is_none_or(serde_json::Value::is_null))),
        (
            vec!["--polygon", &polygon, "--marking", "0"],
            Box::new(|o| inside(o) && o.get("marking").is_none_or(|m| m == "NATO UNCLASSIFIED")),
        ),
    ];
    for (flags, selects) in &cases {
        let id = |o: &serde_json::Value| o["id"].as_str().unwrap().to_owned();
        let got: Vec<String> = lines(flags).iter().map(id).collect();
        let want: Vec<String> = all.iter().filter(|o| selects(o)).map(id).collect();
        assert!(
            !want.is_empty() && want.len() < all.len(),
            "{flags:?}: selects part of {} ({})",
            all.len(),
            want.len()
        );
        assert_eq!(got, want, "{flags:?}");
    }
}

/// A data directory holding `days` of the demo scenario from 2026-11-17T00:00:00Z.
fn scenario(dir: &std::path::Path, days: &str) -> String {
    let file = dir.join("obs.ndjson");
    let d = dir.join("d");
    let export =
        truce(&["demo", "--export", file.to_str().unwrap(), "--start", "2026-11-17T00:00:00Z", "--days", days], b"");
    assert_eq!(export.code, 0, "{}", export.stderr);
    let ingest = truce(&["ingest", file.to_str().unwrap(), "--data-dir", d.to_str().unwrap()], b"");
    assert_eq!(ingest.code, 0, "{}", ingest.stderr);
    d.to_str().unwrap().to_owned()
}

/// The same instant, 2026-11-18T14:00:00Z, in every form a time flag takes; and midnight of that day.
const AFTERNOON: [&str; 5] = [
    "2026-11-18T14:00:00Z",
    "2026-11-18T16:00:00+02:00",
    "2026-11-18T11:00:00-03:00",
    "181400ZNOV26",
    "181400Z nov 26",
];
const MIDNIGHT: [&str; 3] = ["2026-11-18", "2026-11-18T00:00:00Z", "180000ZNOV26"];

#[test]
fn every_time_flag_takes_the_same_forms_and_each_form_means_the_same_instant() {
    let dir = tempfile::tempdir().unwrap();
    let d = scenario(dir.path(), "2");
    // Each command with the time in each form: accepted, and the same output as the first form.
    // Each command with the time (T) in each form: accepted, and the same output as with the first form.
    let commands: [&[&str]; 6] = [
        &["observations", "--data-dir", &d, "--until", "T", "--format", "csv"],
        &["observations", "--data-dir", &d, "--since", "T", "--format", "csv"],
        &["observations", "--data-dir", &d, "--received-since", "T"],
        &["incidents", "--data-dir", &d, "--since", "2026-11-17", "--until", "T"],
        &["warn", "status", "--data-dir", &d, "--at", "T"],
        &["demo", "--export", "-", "--days", "1", "--start", "T"],
    ];
    for (k, command) in commands.iter().enumerate() {
        for forms in [&AFTERNOON[..], &MIDNIGHT[..]] {
            let mut first: Option<String> = None;
            for t in forms {
                let args: Vec<&str> = command.iter().map(|&a| if a == "T" { *t } else { a }).collect();
                let run = truce(&args, b"");
                assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
                // --received-since: everything was received when the test ran, so all or nothing is listed.
                assert!(k == 2 || run.stdout.lines().count() > 1, "{args:?} printed nothing to compare");
                match &first {
                    None => first = Some(run.stdout),
                    Some(f) => assert!(*f == run.stdout, "{args:?} differs from the form {}", forms[0]),
                }
            }
        }
    }
    let status = truce(&["warn", "status", "--data-dir", &d, "--at", "181400ZNOV26"], b"");
    assert!(status.stdout.starts_with("Warning level at 2026-11-18T14:00:00Z: "), "{}", status.stdout);
    // The environment variable goes through the same parser as the flag.
    let env = crate::util::truce_with(
        &["demo", "--export", "-", "--days", "1"],
        &[("TRUCE_DEMO_START", "181400ZNOV26")],
        b"",
    );
    let flag = truce(&["demo", "--export", "-", "--days", "1", "--start", "2026-11-18T14:00:00Z"], b"");
    assert!(env.code == 0 && env.stdout == flag.stdout, "{}", env.stderr);
    // The date flags take a day, YYYY-MM-DD.
    let day = truce(&["report", "daily", "--date", "2026-11-18", "--format", "json", "--data-dir", &d], b"");
    assert_eq!(day.code, 0, "{}", day.stderr);
    let days = truce(
        &["report", "status", "--from", "2026-11-17", "--to", "2026-11-18", "--format", "md", "--data-dir", &d],
        b"",
    );
    assert_eq!(days.code, 0, "{}", days.stderr);
    let at = truce(&["regeneration", "status", "--at", "2026-11-18", "--data-dir", &d], b"");
    assert_eq!(at.code, 0, "{}", at.stderr);
}

#[test]
fn a_bad_time_names_the_flag_and_lists_the_forms_it_takes() {
    // Refused while parsing the command line: no data directory is needed to say so.
    let instants: [&[&str]; 8] = [
        &["observations", "--since"],
        &["observations", "--until"],
        &["observations", "--received-since"],
        &["incidents", "--since"],
        &["incidents", "--until"],
        &["warn", "status", "--at"],
        &["warn", "backtest", "--start"],
        &["demo", "--export", "-", "--start"],
    ];
    for bad in ["yesterday", "2026-11-18 14:00", "181400ANOV26", "18.11.2026"] {
        for args in instants {
            let flag = args[args.len() - 1];
            let run = truce(&[args, &[bad]].concat(), b"");
            assert_eq!(run.code, 2, "{args:?} {bad}: {}", run.stderr);
            for needle in [&format!("for '{flag} <"), bad, "RFC 3339", "YYYY-MM-DD", "DDHHMMZMONYY (251400ZNOV26)"] {
                assert!(run.stderr.contains(needle), "{args:?} {bad}: no {needle:?} in {}", run.stderr);
            }
        }
    }
    let days: [&[&str]; 4] = [
        &["report", "daily", "--date"],
        &["report", "status", "--to", "2026-11-18", "--from"],
        &["report", "status", "--from", "2026-11-17", "--to"],
        &["regeneration", "status", "--at"],
    ];
    for (bad, says) in [("181400ZNOV26", "is a time, but this takes a day"), ("18.11.2026", "is not a date")] {
        for args in days {
            let flag = args[args.len() - 1];
            let run = truce(&[args, &[bad]].concat(), b"");
            assert_eq!(run.code, 2, "{args:?} {bad}: {}", run.stderr);
            for needle in [&format!("for '{flag} <"), bad, says, "give a date YYYY-MM-DD"] {
                assert!(run.stderr.contains(needle), "{args:?} {bad}: no {needle:?} in {}", run.stderr);
            }
        }
    }
}

/// Every time in `text` (a date followed by a clock time) that is not RFC 3339 UTC with whole seconds.
fn odd_times(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.end <= b.len() && b[r].iter().all(u8::is_ascii_digit);
    let mut odd = Vec::new();
    for i in 0..b.len() {
        let date =
            digits(i..i + 4) && b.get(i + 4) == Some(&b'-') && digits(i + 5..i + 7) && b.get(i + 7) == Some(&b'-');
        let clock =
            date && digits(i + 8..i + 10) && matches!(b.get(i + 10), Some(b'T' | b' ')) && digits(i + 11..i + 12);
        if !clock || (i > 0 && b[i - 1].is_ascii_digit()) {
            continue;
        }
        let end = text[i..].find(|c: char| c.is_whitespace() || ",;\")]".contains(c)).map_or(text.len(), |n| i + n);
        // A space-separated clock time (`2026-11-18 1:00:00.0 +00:00:00`) runs on to its offset.
        let end = if b[i + 10] == b' ' { text[i..].find('\n').map_or(text.len(), |n| i + n).min(i + 40) } else { end };
        // A sentence may go on after the time: `at 2026-11-18T14:00:00Z: HIGH`.
        let t = text[i..end].trim_end_matches([':', '.']);
        let b = t.as_bytes();
        let ok = t.len() == 20
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z'
            && [11, 12, 14, 15, 17, 18].iter().all(|&k| b[k].is_ascii_digit());
        if !ok {
            odd.push(t.to_owned());
        }
    }
    odd
}

#[test]
fn every_time_a_command_prints_is_rfc_3339_utc_with_whole_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let d = scenario(dir.path(), "1");
    crate::util::add_user(std::path::Path::new(&d), "ana", "FRA", "analyst", "NATO UNCLASSIFIED", &[]);
    let json = truce(
        &["incidents", "--data-dir", &d, "--since", "2026-11-17", "--until", "2026-11-18", "--format", "json"],
        b"",
    );
    let first: serde_json::Value = serde_json::from_str(json.stdout.lines().next().expect("an incident")).unwrap();
    let incident = first["id"].as_str().unwrap();
    let opened = truce(&["case", "open", "--data-dir", &d, "--incident", incident, "--title", "t", "--by", "ana"], b"");
    assert_eq!(opened.code, 0, "{}", opened.stderr);
    let case = opened.stdout.split_whitespace().next().unwrap().to_owned();
    let certs = dir.path().join("certs");
    let c = certs.to_str().unwrap();
    let agreement = crate::util::agreement();
    let runs: Vec<Vec<&str>> = vec![
        vec!["incidents", "--data-dir", &d, "--since", "2026-11-17T12:00:00+02:00", "--until", "2026-11-18"],
        vec!["warn", "status", "--data-dir", &d, "--at", "2026-11-17T20:30:00.5+02:00"],
        vec!["warn", "backtest", "--days", "2", "--start", "2026-11-17T01:30:00+01:00"],
        vec!["case", "show", &case, "--data-dir", &d],
        vec!["case", "list", "--data-dir", &d],
        vec!["users", "list", "--data-dir", &d],
        vec!["users", "token", "ana", "--data-dir", &d],
        vec!["certs", "init", "--dir", c],
        vec!["certs", "issue", "--dir", c, "--callsign", "ALPHA"],
        vec!["certs", "list", "--dir", c],
        vec!["agreement", "check", agreement.to_str().unwrap()],
    ];
    let mut seen = 0;
    for args in &runs {
        let run = truce(args, b"");
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let printed = format!("{}\n{}", run.stdout, run.stderr);
        assert_eq!(odd_times(&printed), Vec::<String>::new(), "{args:?} printed:\n{printed}");
        seen += printed.matches("Z").count().min(1);
    }
    assert!(seen >= 8, "the commands printed too few times to check");
    // The check itself: `time`'s Display (what `{}` of a time printed before), fractions and offsets.
    let odd = odd_times("at 2026-11-18 14:00:00.0 +00:00:00 and 2026-11-18T14:00:00.123Z, 2026-11-18T16:00:00+02:00");
    assert_eq!(odd.len(), 3, "{odd:?}");
    assert!(odd[0].starts_with("2026-11-18 14:00:00.0 +00:00:00"), "{odd:?}");
}

/// Every command path (`["report", "daily"]`) with the long flags its `--help` lists.
fn commands_and_flags(path: &mut Vec<String>, found: &mut Vec<(String, Vec<String>)>) {
    let args: Vec<&str> = path.iter().map(String::as_str).chain(["--help"]).collect();
    let help = truce(&args, b"");
    assert_eq!(help.code, 0, "{args:?}: {}", help.stderr);
    let mut flags = Vec::new();
    let mut subcommands = Vec::new();
    let mut in_commands = false;
    for line in help.stdout.lines() {
        if line == "Commands:" {
            in_commands = true;
            continue;
        }
        if in_commands && !line.starts_with("  ") {
            in_commands = false;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if in_commands && line.starts_with("  ") && !line.starts_with("   ") && words[0] != "help" {
            subcommands.push(words[0].to_owned());
        }
        let flag = words.iter().find(|w| w.starts_with("--")).filter(|_| words[0].starts_with('-'));
        if let Some(flag) = flag {
            let flag = flag.trim_end_matches(',');
            if !["--help", "--version"].contains(&flag) {
                flags.push(flag.to_owned());
            }
        }
    }
    found.push((path.join(" "), flags));
    for s in subcommands {
        path.push(s);
        commands_and_flags(path, found);
        path.pop();
    }
}

#[test]
fn the_readme_lists_every_command_and_every_flag() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let start = readme.find("## The command line").expect("a command line section");
    let end = readme[start + 3..].find("\n## ").map_or(readme.len(), |n| start + 3 + n);
    let section = &readme[start..end];
    // A flag is listed when it appears whole: `--tak` inside `--tak-tcp` does not count.
    let has = |text: &str, word: &str| {
        text.match_indices(word).any(|(i, _)| {
            !text[i + word.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
    };
    // A command's entry runs from its usage (`truce report daily`) to the next usage; a command named in
    // prose is quoted (`truce certs init`), so it does not end an entry.
    let entry = |command: &str| -> Option<&str> {
        let usage = format!("truce {command}");
        let at = section.match_indices(&usage).map(|(i, _)| i).find(|&i| {
            !section[..i].ends_with('`') && has(&section[i..], &usage) && {
                let rest = &section[i + usage.len()..];
                !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }
        })?;
        let from = at + usage.len();
        let next =
            section[from..].match_indices("truce ").map(|(i, _)| from + i).find(|&i| !section[..i].ends_with('`'));
        Some(&section[at..next.unwrap_or(section.len())])
    };
    let mut found = Vec::new();
    commands_and_flags(&mut Vec::new(), &mut found);
    assert!(found.len() > 40, "only {} commands found: {found:?}", found.len());
    let mut missing = Vec::new();
    for (command, flags) in found.iter().filter(|(c, _)| !c.is_empty()) {
        let Some(entry) = entry(command) else {
            missing.push(format!("the command `truce {command}`"));
            continue;
        };
        for flag in flags {
            // Where the store is: one rule for every command, stated once above the entries.
            let shared =
                ["--data-dir", "--agreement", "--sectors", "--store"].contains(&flag.as_str()) && has(section, flag);
            if !shared && !has(entry, flag) {
                missing.push(format!("{flag} of `truce {command}`"));
            }
        }
    }
    assert!(missing.is_empty(), "README.md's \"The command line\" does not list:\n{}", missing.join("\n"));
}
