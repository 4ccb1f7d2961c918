//! Unit tests: the certificates as X.509 sees them, the store's files, PKCS#12 round trips (also
//! through OpenSSL when it is installed) and the data package's contents.

use std::os::unix::fs::PermissionsExt;

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::package::{self, PackageOptions};
use crate::*;

fn store() -> (tempfile::TempDir, CertStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path().join("certs"));
    store.init(&InitOptions::default()).unwrap();
    (dir, store)
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    X509Certificate::from_der(der).unwrap().1
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn ca_and_server_certificates() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path().join("certs"));
    let opts = InitOptions { hosts: vec!["tak.example.org".into(), "10.1.2.3".into()], ..InitOptions::default() };
    store.init(&opts).unwrap();
    let trust = store.trust_material().unwrap();

    let ca = parse(&trust.ca_cert_der);
    assert!(ca.basic_constraints().unwrap().unwrap().value.ca);
    assert!(ca.key_usage().unwrap().unwrap().value.key_cert_sign());
    assert!(ca.subject().to_string().starts_with("O=truce, CN=truce CA "), "{}", ca.subject());
    assert_eq!(ca.subject(), ca.issuer());
    let ca_days = (ca.validity().not_after.to_datetime() - ca.validity().not_before.to_datetime()).whole_days();
    assert_eq!(ca_days, 3650, "an hour of back-dating rounds down to whole days");

    let server = parse(&trust.server_cert_der);
    assert_eq!(server.issuer(), ca.subject());
    assert_eq!(server.subject().iter_common_name().next().unwrap().as_str().unwrap(), "tak.example.org");
    let eku = server.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.server_auth && !eku.client_auth);
    let sans = &server.subject_alternative_name().unwrap().unwrap().value.general_names;
    assert!(sans.contains(&GeneralName::DNSName("tak.example.org")), "{sans:?}");
    assert!(sans.contains(&GeneralName::IPAddress(&[10, 1, 2, 3])), "{sans:?}");
    assert_eq!(store.server_names().unwrap(), ["tak.example.org", "10.1.2.3"]);
    assert!(!server.basic_constraints().unwrap().is_some_and(|b| b.value.ca));
    server.verify_signature(Some(ca.public_key())).unwrap();

    assert_eq!(mode(&store.dir().join("ca.key")), 0o600);
    assert_eq!(mode(&store.server_key_path()), 0o600);
    assert_eq!(mode(store.dir()), 0o700);
    let leftovers: Vec<_> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn default_server_names_are_loopback_and_localhost() {
    let (_dir, store) = store();
    let der = store.trust_material().unwrap().server_cert_der;
    let server = parse(&der);
    let sans = &server.subject_alternative_name().unwrap().unwrap().value.general_names;
    assert!(sans.contains(&GeneralName::IPAddress(&[127, 0, 0, 1])));
    assert!(sans.contains(&GeneralName::DNSName("localhost")));
}

#[test]
fn init_refuses_to_overwrite_a_ca_and_force_moves_old_clients_aside() {
    let (_dir, store) = store();
    let before = std::fs::read(store.ca_cert_path()).unwrap();
    store.issue("ALPHA", &IssueOptions::default()).unwrap();
    let err = store.init(&InitOptions::default()).unwrap_err();
    assert!(matches!(err, Error::CaExists(_)), "{err}");
    assert!(err.to_string().contains("ca.pem"), "{err}");
    assert_eq!(std::fs::read(store.ca_cert_path()).unwrap(), before, "the CA is untouched");

    store.init(&InitOptions { force: true, ..InitOptions::default() }).unwrap();
    assert_ne!(std::fs::read(store.ca_cert_path()).unwrap(), before);
    assert!(store.client("ALPHA").unwrap().is_none(), "the old CA's client is moved aside");
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn bad_init_options_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path().join("certs"));
    for hosts in [vec![], vec!["bad host".to_owned()], vec!["-x.org".to_owned()]] {
        let err = store.init(&InitOptions { hosts, ..InitOptions::default() }).unwrap_err();
        assert!(err.to_string().contains("--host"), "{err}");
    }
    assert!(!store.dir().exists());
}

#[test]
fn client_certificates() {
    let (_dir, store) = store();
    let opts = IssueOptions { days: 30, unit: Some("Monitors".into()), ..IssueOptions::default() };
    let issued = store.issue("ALPHA-1", &opts).unwrap();
    let cert = parse(&issued.cert_der);
    assert_eq!(cert.subject().to_string(), "O=truce, OU=Monitors, CN=ALPHA-1");
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth);
    let days = (cert.validity().not_after.to_datetime() - cert.validity().not_before.to_datetime()).whole_days();
    assert_eq!(days, 30);
    let ca_der = store.ca_cert_der().unwrap();
    cert.verify_signature(Some(parse(&ca_der).public_key())).unwrap();
    assert_eq!(mode(&store.client_cert_path("ALPHA-1").with_extension("key")), 0o600);

    let again = store.client("ALPHA-1").unwrap().unwrap();
    assert_eq!(again.cert_der, issued.cert_der);
    assert_eq!(again.key_der, issued.key_der);
    assert_eq!(again.serial, issued.serial);

    let other = IssueOptions { organization: Some("Coalition".into()), ..IssueOptions::default() };
    let bravo = store.issue("BRAVO", &other).unwrap();
    assert_eq!(parse(&bravo.cert_der).subject().to_string(), "O=Coalition, CN=BRAVO");
}

#[test]
fn serials_are_unique_positive_and_listed() {
    let (_dir, store) = store();
    let mut serials = std::collections::HashSet::new();
    for i in 0..20 {
        let issued = store.issue(&format!("UNIT-{i}"), &IssueOptions::default()).unwrap();
        let cert = parse(&issued.cert_der);
        assert_eq!(issued.serial, store::hex(cert.raw_serial()));
        assert!(cert.raw_serial()[0] < 0x80, "positive");
        assert!(serials.insert(issued.serial));
    }
    let list = store.list().unwrap();
    assert_eq!(list.len(), 20);
    assert_eq!(list[3].callsign, "UNIT-3");
    assert!(serials.contains(&list[3].serial));
    assert!(list[3].not_after.ends_with('Z'), "{}", list[3].not_after);
}

#[test]
fn issue_refuses_a_second_certificate_unless_replacing() {
    let (_dir, store) = store();
    let first = store.issue("ALPHA", &IssueOptions::default()).unwrap();
    let err = store.issue("ALPHA", &IssueOptions::default()).unwrap_err();
    assert!(matches!(err, Error::ClientExists(_)), "{err}");
    let second = store.issue("ALPHA", &IssueOptions { replace: true, ..IssueOptions::default() }).unwrap();
    assert_ne!(first.serial, second.serial);
    assert_eq!(store.list().unwrap().len(), 2, "both serials stay listed");
}

#[test]
fn issue_without_a_ca_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = CertStore::new(dir.path());
    let err = store.issue("ALPHA", &IssueOptions::default()).unwrap_err();
    assert!(matches!(err, Error::NoCa(_)));
    assert!(err.to_string().contains("ca.pem") && err.to_string().contains("truce certs init"), "{err}");
    let err = store.issue("../evil", &IssueOptions::default()).unwrap_err();
    assert!(matches!(err, Error::BadCallsign { .. }), "{err}");
}

#[test]
fn identity_of_an_issued_certificate() {
    let (_dir, store) = store();
    let opts = IssueOptions { unit: Some("Sector North".into()), ..IssueOptions::default() };
    let issued = store.issue("Тризуб 7", &opts).unwrap();
    let id = identity(&issued.cert_der).unwrap();
    assert_eq!(id.callsign, "Тризуб 7");
    assert_eq!(id.subject, "O=truce, OU=Sector North, CN=Тризуб 7");
    assert_eq!(id.serial, issued.serial);
    assert!(identity(b"not a certificate").is_err());
}

#[test]
fn pkcs12_files_open_with_their_password_only() {
    let (_dir, store) = store();
    let issued = store.issue("ALPHA", &IssueOptions::default()).unwrap();
    let ca = store.ca_cert_der().unwrap();

    let trust = pkcs12::truststore(&ca, DEFAULT_P12_PASSWORD).unwrap();
    let opened = pkcs12::open(&trust, DEFAULT_P12_PASSWORD).unwrap();
    assert_eq!(opened.trusted, vec![ca.clone()]);
    assert_eq!(opened.key_alias, None);

    let keys = pkcs12::keystore("ALPHA", &issued.cert_der, &issued.key_der, &ca, "s3cret").unwrap();
    let opened = pkcs12::open(&keys, "s3cret").unwrap();
    assert_eq!(opened.key_alias.as_deref(), Some("ALPHA"));
    assert_eq!(opened.chain, vec![issued.cert_der.clone(), ca.clone()]);
    assert!(pkcs12::open(&keys, DEFAULT_P12_PASSWORD).is_err(), "a wrong password must fail");
}

/// OpenSSL reads what we write, with the legacy algorithms we chose (skipped without `openssl`).
#[test]
fn pkcs12_files_are_read_by_openssl_with_legacy_algorithms() {
    let Ok(version) = std::process::Command::new("openssl").arg("version").output() else {
        eprintln!("openssl is not installed: skipped");
        return;
    };
    let legacy = String::from_utf8_lossy(&version.stdout).starts_with("OpenSSL 3");
    let (dir, store) = store();
    let issued = store.issue("ALPHA", &IssueOptions::default()).unwrap();
    let ca = store.ca_cert_der().unwrap();
    let keys = pkcs12::keystore("ALPHA", &issued.cert_der, &issued.key_der, &ca, DEFAULT_P12_PASSWORD).unwrap();
    let trust = pkcs12::truststore(&ca, DEFAULT_P12_PASSWORD).unwrap();
    for (name, bytes, want_key) in [("keys.p12", keys, true), ("trust.p12", trust, false)] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut cmd = std::process::Command::new("openssl");
        cmd.arg("pkcs12");
        if legacy {
            // OpenSSL 3 needs its legacy provider for 3DES key derivation in PKCS#12.
            cmd.arg("-legacy");
        }
        let out = cmd
            .args(["-info", "-nodes", "-passin", &format!("pass:{DEFAULT_P12_PASSWORD}"), "-in"])
            .arg(&path)
            .output()
            .unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{name}: {text}");
        assert!(text.contains("MAC: sha1"), "{name}: {text}");
        assert!(text.contains("pbeWithSHA1And3-KeyTripleDES-CBC"), "{name}: {text}");
        assert!(text.contains("BEGIN CERTIFICATE"), "{name}: {text}");
        assert_eq!(text.contains("BEGIN PRIVATE KEY"), want_key, "{name}: {text}");
        if want_key {
            assert!(text.contains("CN=ALPHA") || text.contains("CN = ALPHA"), "{name}: {text}");
        }
    }
}

#[test]
fn data_package_enrols_the_callsign() {
    let (_dir, store) = store();
    let issued = store.issue("ALPHA 1", &IssueOptions::default()).unwrap();
    let ca = store.ca_cert_der().unwrap();
    let opts = PackageOptions {
        host: "tak.example.org".into(),
        port: 8089,
        password: DEFAULT_P12_PASSWORD.into(),
        description: "truce & co".into(),
    };
    let zip = package::build(&issued, &ca, &opts).unwrap();
    let entries = package::read_entries(&zip).unwrap();
    let names: Vec<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(names, ["MANIFEST/manifest.xml", "certs/ALPHA 1.p12", "certs/truce.pref", "certs/truststore-truce.p12"]);

    let manifest = std::str::from_utf8(&entries["MANIFEST/manifest.xml"]).unwrap();
    assert!(manifest.contains("<MissionPackageManifest version=\"2\">"), "{manifest}");
    assert!(manifest.contains("<Parameter name=\"onReceiveDelete\" value=\"true\"/>"), "{manifest}");
    assert!(manifest.contains("<Parameter name=\"name\" value=\"truce-ALPHA 1\"/>"), "{manifest}");
    for name in names.iter().filter(|n| !n.starts_with("MANIFEST/")) {
        assert!(manifest.contains(&format!("zipEntry=\"{name}\"")), "{name} not in {manifest}");
    }
    let uid = manifest.split("name=\"uid\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(uid.len(), 36, "{uid}");

    let pref = std::str::from_utf8(&entries["certs/truce.pref"]).unwrap();
    let string =
        |key: &str, value: &str| format!("<entry key=\"{key}\" class=\"class java.lang.String\">{value}</entry>");
    for needle in [
        "<preference version=\"1\" name=\"cot_streams\">",
        "<entry key=\"count\" class=\"class java.lang.Integer\">1</entry>",
        "<entry key=\"connectString0\" class=\"class java.lang.String\">tak.example.org:8089:ssl</entry>",
        "<entry key=\"description0\" class=\"class java.lang.String\">truce &amp; co</entry>",
        "<entry key=\"enabled0\" class=\"class java.lang.Boolean\">true</entry>",
        "<preference version=\"1\" name=\"com.atakmap.app_preferences\">",
        &string("caLocation", "/storage/emulated/0/atak/cert/truststore-truce.p12"),
        &string("certificateLocation", "/storage/emulated/0/atak/cert/ALPHA 1.p12"),
        "<entry key=\"caPassword\" class=\"class java.lang.String\">atakatak</entry>",
        "<entry key=\"clientPassword\" class=\"class java.lang.String\">atakatak</entry>",
        "<entry key=\"displayServerConnectionWidget\" class=\"class java.lang.Boolean\">true</entry>",
    ] {
        assert!(pref.contains(needle as &str), "{needle} not in {pref}");
    }

    let keys = pkcs12::open(&entries["certs/ALPHA 1.p12"], DEFAULT_P12_PASSWORD).unwrap();
    assert_eq!(identity(&keys.chain[0]).unwrap().callsign, "ALPHA 1");
    assert_eq!(keys.chain[1], ca);
    let trust = pkcs12::open(&entries["certs/truststore-truce.p12"], DEFAULT_P12_PASSWORD).unwrap();
    assert_eq!(trust.trusted, vec![ca]);
}
