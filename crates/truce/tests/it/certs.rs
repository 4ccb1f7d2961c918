//! `truce certs`: init -> issue -> package -> list with the real binary, and the refusals.

use std::os::unix::fs::PermissionsExt;

use truce_pki::package::read_entries;
use truce_pki::{CertStore, DEFAULT_P12_PASSWORD, identity, pkcs12};

use crate::util::truce;

fn dir_args(dir: &std::path::Path) -> Vec<String> {
    vec!["--dir".into(), dir.to_str().unwrap().into()]
}

fn run(args: &[&str], dir: &std::path::Path) -> crate::util::Run {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(dir_args(dir));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    truce(&refs, b"")
}

/// A data package written to a named pipe goes through it whole; the pipe stays a pipe.
#[test]
fn a_package_written_to_a_named_pipe_goes_through_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (certs, out) = (tmp.path().join("certs"), tmp.path().join("out"));
    std::fs::create_dir_all(&out).unwrap();
    let r = run(&["certs", "init", "--host", "192.0.2.10"], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (r, zip) = crate::util::through_a_pipe(&out, |fifo| {
        run(&["certs", "package", "--callsign", "BRAVO", "--out", fifo], &certs)
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    let entries = read_entries(&zip).unwrap();
    let keys = pkcs12::open(&entries["certs/BRAVO.p12"], DEFAULT_P12_PASSWORD).unwrap();
    assert_eq!(identity(&keys.chain[0]).unwrap().callsign, "BRAVO");
}

#[test]
fn init_issue_package_list() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    let r = run(&["certs", "init", "--host", "tak.example.org", "--host", "192.0.2.10"], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("ca.pem"), "{}", r.stdout);

    let r = run(&["certs", "issue", "--callsign", "ALPHA-1", "--days", "30"], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("issued ALPHA-1 serial "), "{}", r.stdout);
    assert!(certs.join("clients/ALPHA-1.pem").exists());
    let alpha = CertStore::new(&certs).client("ALPHA-1").unwrap().unwrap();
    assert_eq!(identity(&alpha.cert_der).unwrap().callsign, "ALPHA-1");

    // BRAVO has no certificate yet: package issues one.
    let out = tmp.path().join("bravo.zip");
    let r = run(
        &["certs", "package", "--callsign", "BRAVO", "--host", "192.0.2.10", "--out", out.to_str().unwrap()],
        &certs,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("issued BRAVO"), "{}", r.stdout);
    assert!(r.stderr.is_empty(), "no warning for a host the certificate names: {}", r.stderr);
    assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    let entries = read_entries(&std::fs::read(&out).unwrap()).unwrap();
    let manifest = String::from_utf8(entries["MANIFEST/manifest.xml"].clone()).unwrap();
    for name in entries.keys().filter(|n| !n.starts_with("MANIFEST/")) {
        assert!(manifest.contains(&format!("zipEntry=\"{name}\"")), "{name} missing from {manifest}");
    }
    let pref = String::from_utf8(entries["certs/truce.pref"].clone()).unwrap();
    assert!(pref.contains(">192.0.2.10:8089:ssl<"), "{pref}");
    let keys = pkcs12::open(&entries["certs/BRAVO.p12"], DEFAULT_P12_PASSWORD).unwrap();
    assert_eq!(identity(&keys.chain[0]).unwrap().callsign, "BRAVO");

    // ALPHA-1 exists: package reuses its certificate, and the default host is the certificate's first name.
    let out = tmp.path().join("alpha.zip");
    let r = run(&["certs", "package", "--callsign", "ALPHA-1", "--out", out.to_str().unwrap()], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("issued"), "{}", r.stdout);
    let entries = read_entries(&std::fs::read(&out).unwrap()).unwrap();
    let pref = String::from_utf8(entries["certs/truce.pref"].clone()).unwrap();
    assert!(pref.contains(">tak.example.org:8089:ssl<"), "{pref}");
    let keys = pkcs12::open(&entries["certs/ALPHA-1.p12"], DEFAULT_P12_PASSWORD).unwrap();
    assert_eq!(keys.chain[0], alpha.cert_der, "the stored certificate, not a new one");

    // A host the server certificate does not name: packaged, with a warning.
    let out = tmp.path().join("other.zip");
    let r = run(
        &["certs", "package", "--callsign", "ALPHA-1", "--host", "10.9.9.9", "--out", out.to_str().unwrap()],
        &certs,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("warning") && r.stderr.contains("10.9.9.9"), "{}", r.stderr);

    let r = run(&["certs", "list"], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[1].contains("ALPHA-1") && lines[2].contains("BRAVO"), "{}", r.stdout);
}

#[test]
fn init_twice_refuses_and_keeps_the_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    assert_eq!(run(&["certs", "init"], &certs).code, 0);
    let ca = std::fs::read(certs.join("ca.pem")).unwrap();
    let r = run(&["certs", "init"], &certs);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ca.pem") && r.stderr.contains("refusing to overwrite"), "{}", r.stderr);
    assert_eq!(std::fs::read(certs.join("ca.pem")).unwrap(), ca);
}

#[test]
fn bad_callsigns_exit_2_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    assert_eq!(run(&["certs", "init"], &certs).code, 0);
    let long = "X".repeat(65);
    for bad in ["", "a/b", "..\\x", &long] {
        for cmd in ["issue", "package"] {
            let r = run(&["certs", cmd, "--callsign", bad], &certs);
            assert_eq!(r.code, 2, "{cmd} {bad:?}: {}", r.stderr);
            assert!(r.stderr.contains("--callsign"), "{cmd} {bad:?}: {}", r.stderr);
        }
    }
    assert!(!certs.join("clients").exists(), "nothing issued");
    assert!(!certs.join("issued.tsv").exists());
}

#[test]
fn issue_without_init_names_the_ca_file() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(&["certs", "issue", "--callsign", "ALPHA"], tmp.path());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ca.pem") && r.stderr.contains("truce certs init"), "{}", r.stderr);
}

#[test]
fn package_to_a_directory_fails_without_leaving_files() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    assert_eq!(run(&["certs", "init"], &certs).code, 0);
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let r = run(&["certs", "package", "--callsign", "ALPHA", "--out", out.to_str().unwrap()], &certs);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--out") && r.stderr.contains("is a directory"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 2, "only certs/ and out/");
}

#[test]
fn a_certificate_for_a_user_names_the_user_and_needs_one_that_exists() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert_eq!(truce(&["certs", "init", "--data-dir", d], b"").code, 0);
    let issue = ["certs", "issue", "--data-dir", d, "--callsign", "POL-1", "--user", "pol.rep"];
    let r = truce(&issue, b"");
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("--user \"pol.rep\""), "{}", r.stderr);
    crate::util::add_user(dir.path(), "pol.rep", "POL", "national_rep", "NATO RESTRICTED", &[]);
    let r = truce(&issue, b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let issued = CertStore::new(dir.path().join("certs")).client("POL-1").unwrap().unwrap();
    let id = identity(&issued.cert_der).unwrap();
    assert_eq!((id.callsign.as_str(), id.user.as_deref()), ("POL-1", Some("pol.rep")));

    // The register knows the user: list shows it, and revoking the user finds the certificate.
    let r = truce(&["certs", "list", "--data-dir", d], b"");
    assert!(r.stdout.lines().nth(1).unwrap().contains(" pol.rep "), "{}", r.stdout);
    let r = truce(&["certs", "revoke", "--data-dir", d, "--user", "pol.rep"], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, format!("revoked {} POL-1\n", issued.serial));
}

#[test]
fn revoke_by_serial_and_callsign_then_list_marks_them() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    assert_eq!(run(&["certs", "init"], &certs).code, 0);
    for callsign in ["ALPHA", "BRAVO", "CHARLIE"] {
        assert_eq!(run(&["certs", "issue", "--callsign", callsign], &certs).code, 0);
    }
    let store = CertStore::new(&certs);
    let alpha = store.client("ALPHA").unwrap().unwrap();

    let r = run(&["certs", "revoke", "--serial", &alpha.serial.to_lowercase(), "--reason", "device lost"], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, format!("revoked {} ALPHA\n", alpha.serial));
    let r = run(&["certs", "revoke", "--serial", &alpha.serial], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("nothing to revoke"), "{}", r.stdout);
    let r = run(&["certs", "revoke", "--callsign", "BRAVO"], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("revoked ") && r.stdout.trim_end().ends_with(" BRAVO"), "{}", r.stdout);

    let register = std::fs::read_to_string(certs.join("revoked.tsv")).unwrap();
    assert_eq!(register.lines().count(), 3, "{register}");
    assert!(register.lines().nth(1).unwrap().ends_with("\tdevice lost"), "{register}");
    assert!(register.lines().nth(2).unwrap().ends_with("\tunspecified"), "{register}");

    let r = run(&["certs", "list"], &certs);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    assert!(lines[0].contains("user") && lines[0].ends_with("revoked"), "{}", r.stdout);
    assert!(lines[1].contains("ALPHA") && lines[1].contains("REVOKED 20"), "{}", r.stdout);
    assert!(lines[2].contains("BRAVO") && lines[2].contains("REVOKED"), "{}", r.stdout);
    assert!(lines[3].contains("CHARLIE") && !lines[3].contains("REVOKED"), "{}", r.stdout);
}

#[test]
fn revoke_refuses_what_was_never_issued_and_needs_one_selector() {
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    assert_eq!(run(&["certs", "init"], &certs).code, 0);
    assert_eq!(run(&["certs", "issue", "--callsign", "ALPHA"], &certs).code, 0);
    for (args, want) in [
        (&["--callsign", "GHOST"][..], "--callsign \"GHOST\": no certificate issued by this CA matches"),
        (&["--user", "nobody"][..], "--user \"nobody\": no certificate issued by this CA matches"),
        (&["--serial", "4A4A"][..], "--serial 4A4A: no certificate issued by this CA matches"),
        (&["--serial", "zz"][..], "--serial \"zz\": not a hexadecimal serial number"),
        (&[][..], "--serial"),
        (&["--callsign", "ALPHA", "--user", "x"][..], "cannot be used with"),
    ] {
        let mut all = vec!["certs", "revoke"];
        all.extend_from_slice(args);
        let r = run(&all, &certs);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{args:?}: {}", r.stderr);
    }
    assert!(!certs.join("revoked.tsv").exists(), "nothing revoked");
}
