//! `truce serve --config`, `truce config check`, and which of file, variable and flag wins.

use std::path::Path;

use crate::util::{Server, data, truce, truce_with};

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_config_with_three_mistakes_reports_three_lines_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "truce.toml",
        "[watch]\nevery_s = \"often\"\n\n[tak]\ntcpp = \"0.0.0.0:8087\"\nflush_ms = 5000\n",
    );
    for args in [vec!["config", "check", file.as_str()], vec!["serve", "--config", file.as_str()]] {
        let run = truce(&args, b"");
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
        assert_eq!(
            lines,
            [
                format!("error: {file}:2: watch.every_s: invalid type: string \"often\", expected u64"),
                format!(
                    "error: {file}:5: tak.tcpp: unknown field `tcpp`, expected one of `tcp`, `tls`, `udp`, `api`, `enrol`, `max_upload_mib`, `multicast`, `certs_dir`, `channels`, `queue`, `flush_ms`, `anonymous_nation`, `anonymous_clearance`"
                ),
                format!("error: {file}:6: tak.flush_ms: 5000 is not from 0 to 1,000"),
            ],
            "{args:?}"
        );
        assert!(run.stderr.contains("truce: error: 3 problems in the configuration"), "{}", run.stderr);
        assert!(run.stdout.is_empty(), "nothing starts: {}", run.stdout);
    }
}

#[test]
fn config_check_prints_the_effective_configuration_with_the_variables_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "truce.toml", "[tak]\nqueue = 64\nflush_ms = 5\n[store]\ndata_dir = \"d\"\n");
    let run = truce_with(&["config", "check", &file], &[("TRUCE_TAK_QUEUE", "16")], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let effective: toml::Table = run.stdout.parse().unwrap();
    assert_eq!(effective["tak"]["queue"].as_integer(), Some(16), "the variable wins over the file");
    assert_eq!(effective["tak"]["flush_ms"].as_integer(), Some(5), "the file wins over the default");
    assert_eq!(effective["watch"]["every_s"].as_integer(), Some(60), "defaults are filled in");
    let data_dir = dir.path().join("d");
    assert_eq!(effective["store"]["data_dir"].as_str(), data_dir.to_str(), "relative to the file's folder");
}

#[test]
fn serve_takes_its_settings_from_the_file_the_variables_and_the_flags_in_that_order() {
    let dir = tempfile::tempdir().unwrap();
    let samples = data("samples/observations.csv");
    let text = format!(
        "[store]\ndata_dir = \"data\"\nagreement = {:?}\n[http]\nlisten = \"127.0.0.1:0\"\n[tak]\ntcp = \"off\"\nudp = \"off\"\n[watch]\nevery_s = 5\n[files]\npaths = [{:?}]\n",
        crate::util::agreement().to_str().unwrap(),
        samples.to_str().unwrap(),
    );
    let file = write(dir.path(), "truce.toml", &text);
    crate::util::add_user(
        &dir.path().join("data"),
        "admin",
        "GBR",
        "admin",
        "COSMIC TOP SECRET",
        crate::util::ALL_CATEGORIES,
    );
    let s = Server::start_with(
        dir.path(),
        &["serve", "--config", &file, "--watch-every", "3600"],
        &[("TRUCE_TAK_TCP", "127.0.0.1:0")],
    );
    let token = s.login("admin", crate::util::PASSWORD);
    s.use_token(Some(&token));
    // The variable turned the file's `off` listener on.
    let tak = s.tak_addr("tcp");
    assert!(tak.starts_with("127.0.0.1:"), "{tak}");
    // [files] is loaded through the pipeline after the server listens.
    let expected = std::fs::read_to_string(&samples).unwrap().lines().count() as u64 - 1;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let (_, stats) = s.json("GET", "/api/v1/stats", b"");
        if stats["total"].as_u64() == Some(expected) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the files were not loaded: {stats}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(dir.path().join("data").join(truce_store::DATABASE_FILE).is_file(), "the data directory of the file");
}

#[test]
fn the_demo_takes_its_scenario_from_the_file_and_a_flag_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "demo.toml",
        "[demo]\nport = 0\ndays = 30\nseed = 4\nstart = 2026-11-01T00:00:00Z\ndata_dir = \"fresh\"\n[tak]\nudp = \"off\"\n",
    );
    let s = Server::start_with(dir.path(), &["demo", "--config", &file, "--days", "2"], &[]);
    let (_, stats) = s.json("GET", "/api/v1/stats", b"");
    let days: Vec<&String> = stats["by_day"].as_object().unwrap().keys().collect();
    assert_eq!(days.first().map(|d| d.as_str()), Some("2026-11-01"), "the file's start: {days:?}");
    assert!(
        days.contains(&&"2026-11-02".to_owned()) && !days.contains(&&"2026-11-05".to_owned()),
        "--days 2 over the file's 30: {days:?}"
    );
    assert!(dir.path().join("fresh").join(truce_store::DATABASE_FILE).is_file(), "the file's data directory");
}

#[test]
fn a_broken_config_file_is_named_with_the_reason_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("truncated.toml", b"[tak]\nqueue = ", "truncated.toml:2: "),
        ("latin1.toml", b"[store]\n# caf\xe9\n", "latin1.toml:2: not UTF-8 (byte 14 of the file)"),
        (
            "huge.toml",
            &[b'#'; 2 * 1024 * 1024],
            "huge.toml:1: 2097152 bytes; a configuration file is at most 1048576 bytes",
        ),
        (
            "types.toml",
            b"[demo]\ndays = 90\nspeed = -1\nstart = 17\n",
            "types.toml:2: demo.days: 90 is not from 1 to 60",
        ),
        ("listen.toml", b"[http]\nlisten = \"8080\"\n", "listen.toml:2: http.listen: \"8080\" is not HOST:PORT"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let run = truce(
            &["serve", "--config", path.to_str().unwrap(), "--data-dir", dir.path().join("d").to_str().unwrap()],
            b"",
        );
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        let first = run.stderr.lines().find(|l| l.starts_with("error: ")).unwrap_or_default();
        assert!(
            first.starts_with(&format!("error: {}", dir.path().join(expected).display())),
            "{name}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{name}: nothing starts");
    }
    assert!(!dir.path().join("d").exists(), "no data directory was made");
    // The wrong types of one section are all named, each with its line.
    let run = truce(&["config", "check", dir.path().join("types.toml").to_str().unwrap()], b"");
    assert_eq!(run.stderr.lines().filter(|l| l.starts_with("error: ")).count(), 3, "{}", run.stderr);
}

#[test]
fn tak_listeners_bind_the_http_listeners_host_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "truce.toml", "[http]\nlisten = \"127.0.0.1:8080\"\n");
    let run = truce(&["config", "check", &file], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let effective: toml::Table = run.stdout.parse().unwrap();
    assert_eq!(effective["tak"]["tcp"].as_str(), Some("127.0.0.1:8087"), "not 0.0.0.0 behind a loopback web server");
    assert_eq!(effective["tak"]["udp"].as_str(), Some("127.0.0.1:6969"));
    // Told otherwise, by a variable (or a flag, or the file): every interface.
    let run = truce_with(&["config", "check", &file], &[("TRUCE_TAK_TCP", "0.0.0.0:8087")], b"");
    let effective: toml::Table = run.stdout.parse().unwrap();
    assert_eq!(effective["tak"]["tcp"].as_str(), Some("0.0.0.0:8087"));
    assert_eq!(effective["tak"]["udp"].as_str(), Some("127.0.0.1:6969"));
}

#[test]
fn a_sea_or_air_feed_with_an_unknown_release_code_or_a_missing_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let nmea = write(dir.path(), "ais.nmea", "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\n");
    let config = write(dir.path(), "truce.toml", &format!("[ais]\nfiles = [{nmea:?}]\nreleasable_to = [\"XYZ\"]\n"));
    let data = dir.path().join("data");
    let args = ["serve", "--config", &config, "--data-dir", data.to_str().unwrap(), "--listen", "127.0.0.1:0"];
    let run = truce(&[&args[..], &["--tak-tcp", "off", "--tak-udp", "off"]].concat(), b"");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("[ais] releasable_to") && run.stderr.contains("\"XYZ\""), "{}", run.stderr);
    let config = write(dir.path(), "truce.toml", "[adsb]\nfiles = [\"recorded.beast\"]\npoll_ms = 5\n");
    let run = truce(&["config", "check", &config], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("truce.toml:2: adsb.files:") && run.stderr.contains("is not a file"), "{}", run.stderr);
    assert!(run.stderr.contains("truce.toml:3: adsb.poll_ms: 5 is not from 100 to 60,000"), "{}", run.stderr);
}
