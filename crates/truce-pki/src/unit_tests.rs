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

// Enrolment: a device's certificate signing request.

/// A device's key and request, as ATAK makes them: `cn` as the subject CN, with an OU and O of its
/// own choosing (which the server must ignore).
fn device_request(cn: Option<&str>, alg: &'static rcgen::SignatureAlgorithm) -> (rcgen::KeyPair, String) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "Device Org");
    params.distinguished_name.push(rcgen::DnType::OrganizationalUnitName, "truce-user:root");
    if let Some(cn) = cn {
        params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    }
    let pem = params.serialize_request(&key).unwrap().pem().unwrap();
    (key, pem)
}

/// The base64 body of a PEM block, without its armour lines, as ATAK posts it.
fn bare_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().join("\r\n")
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn csr_error(input: &[u8]) -> String {
    match parse_csr(input) {
        Err(e @ Error::Csr(_)) => e.to_string(),
        other => panic!("{:?}: expected a request error, got {other:?}", String::from_utf8_lossy(input)),
    }
}

/// The certificate as the TLS listener's verifier sees it (chain, validity, clientAuth).
fn verifies_as_client(store: &CertStore, cert_der: &[u8]) {
    let revocations = store.revocations().unwrap();
    let verifier = client_verifier(&store.ca_cert_der().unwrap(), revocations).unwrap();
    let now = rustls::pki_types::UnixTime::now();
    verifier.verify_client_cert(&rustls::pki_types::CertificateDer::from(cert_der.to_vec()), &[], now).unwrap();
}

#[test]
fn a_device_request_is_signed_for_the_user_and_its_callsign() {
    let (_dir, store) = store();
    let (key, csr) = device_request(Some("ALPHA-7"), &rcgen::PKCS_ECDSA_P256_SHA256);
    let enrolled = store.sign_csr(&csr, &EnrolOptions::new("alice")).unwrap();
    assert_eq!((enrolled.callsign.as_str(), enrolled.user.as_str()), ("ALPHA-7", "alice"));

    let cert = parse(&enrolled.cert_der);
    assert_eq!(
        cert.subject().to_string(),
        "O=truce, OU=truce-user:alice, CN=ALPHA-7",
        "the request's O and OU ignored"
    );
    assert_eq!(cert.public_key().raw, rcgen::PublicKeyData::subject_public_key_info(&key), "the device's own key");
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth);
    assert!(!cert.basic_constraints().unwrap().is_some_and(|b| b.value.ca));
    let days = (cert.validity().not_after.to_datetime() - cert.validity().not_before.to_datetime()).whole_days();
    assert_eq!(days, 730);
    assert_eq!(enrolled.ca_cert_der, store.ca_cert_der().unwrap());
    cert.verify_signature(Some(parse(&enrolled.ca_cert_der).public_key())).unwrap();
    assert_eq!(hex_of(&cert), enrolled.serial);
    assert!(enrolled.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"), "{}", enrolled.cert_pem);
    verifies_as_client(&store, &enrolled.cert_der);

    let id = identity(&enrolled.cert_der).unwrap();
    assert_eq!((id.callsign.as_str(), id.user.as_deref()), ("ALPHA-7", Some("alice")));
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].serial, enrolled.serial);
    assert_eq!(list[0].user.as_deref(), Some("alice"));
    assert_eq!(list[0].revoked_at, None);
    assert!(!store.dir().join("clients").exists(), "the device keeps its key; nothing is stored for it");

    // A second device of the same user enrols beside the first.
    let (_, csr) = device_request(Some("ALPHA-8"), &rcgen::PKCS_ECDSA_P256_SHA256);
    let second = store.sign_csr(&csr, &EnrolOptions { days: 30, ..EnrolOptions::new("alice") }).unwrap();
    assert_ne!(second.serial, enrolled.serial);
    assert_eq!(store.list().unwrap().len(), 2);
}

fn hex_of(cert: &X509Certificate<'_>) -> String {
    store::hex(cert.raw_serial())
}

#[test]
fn a_request_without_a_valid_callsign_is_named_after_the_user() {
    let (_dir, store) = store();
    for cn in [None, Some("a/b"), Some(" padded "), Some("")] {
        let (_, csr) = device_request(cn, &rcgen::PKCS_ECDSA_P256_SHA256);
        let enrolled = store.sign_csr(&csr, &EnrolOptions::new("pol.rep")).unwrap();
        assert_eq!(enrolled.callsign, "pol.rep", "{cn:?}");
        assert_eq!(parse(&enrolled.cert_der).subject().to_string(), "O=truce, OU=truce-user:pol.rep, CN=pol.rep");
    }
}

#[test]
fn bad_enrolment_options_are_refused() {
    let (_dir, store) = store();
    let (_, csr) = device_request(Some("ALPHA"), &rcgen::PKCS_ECDSA_P256_SHA256);
    for user in ["", "a\tb", "x/y"] {
        let err = store.sign_csr(&csr, &EnrolOptions::new(user)).unwrap_err();
        assert!(matches!(err, Error::BadOption(_)) && err.to_string().starts_with("user "), "{err}");
    }
    let err = store.sign_csr(&csr, &EnrolOptions { days: 0, ..EnrolOptions::new("alice") }).unwrap_err();
    assert!(err.to_string().contains("days"), "{err}");
    assert!(store.list().unwrap().is_empty());

    let dir = tempfile::tempdir().unwrap();
    let err = CertStore::new(dir.path()).sign_csr(&csr, &EnrolOptions::new("alice")).unwrap_err();
    assert!(matches!(err, Error::NoCa(_)), "{err}");
}

#[test]
fn the_bare_base64_body_is_accepted_with_white_space_anywhere() {
    let (_dir, store) = store();
    let (key, pem) = device_request(Some("BRAVO"), &rcgen::PKCS_ECDSA_P256_SHA256);
    let body = bare_body(&pem);
    assert!(!body.contains("-----") && body.contains("\r\n"), "{body}");
    let enrolled = store.sign_csr(&body, &EnrolOptions::new("bob")).unwrap();
    assert_eq!(parse(&enrolled.cert_der).public_key().raw, rcgen::PublicKeyData::subject_public_key_info(&key));

    let spaced: String = body.chars().flat_map(|c| [c, if c == 'A' { ' ' } else { '\n' }]).collect();
    assert_eq!(parse_csr(spaced.as_bytes()).unwrap().common_name.as_deref(), Some("BRAVO"));
    let unpadded = body.trim_end_matches(['=', '\r', '\n']);
    assert_eq!(parse_csr(unpadded.as_bytes()).unwrap().common_name.as_deref(), Some("BRAVO"));
    let legacy = pem.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");
    assert_eq!(parse_csr(legacy.as_bytes()).unwrap().common_name.as_deref(), Some("BRAVO"));
    let surrounded = format!("sent by ATAK\n{pem}\ntrailer");
    assert_eq!(parse_csr(surrounded.as_bytes()).unwrap().common_name.as_deref(), Some("BRAVO"));
}

#[test]
fn ec_p384_keys_are_accepted_and_other_algorithms_refused() {
    let (_dir, store) = store();
    let (key, csr) = device_request(Some("P384"), &rcgen::PKCS_ECDSA_P384_SHA384);
    assert_eq!(parse_csr(csr.as_bytes()).unwrap().key_algorithm, enrol::KeyAlgorithm::EcdsaP384);
    let enrolled = store.sign_csr(&csr, &EnrolOptions::new("alice")).unwrap();
    assert_eq!(parse(&enrolled.cert_der).public_key().raw, rcgen::PublicKeyData::subject_public_key_info(&key));
    verifies_as_client(&store, &enrolled.cert_der);

    let (_, csr) = device_request(Some("ED"), &rcgen::PKCS_ED25519);
    let err = csr_error(csr.as_bytes());
    assert!(err.contains("unsupported key algorithm 1.3.101.112"), "{err}");
    assert!(store.sign_csr(&csr, &EnrolOptions::new("alice")).is_err());
    assert_eq!(store.list().unwrap().len(), 1, "nothing recorded for a refused request");
}

#[test]
fn an_altered_request_is_refused_as_its_signature_no_longer_verifies() {
    let (_dir, store) = store();
    let (_, pem) = device_request(Some("ALPHA-7"), &rcgen::PKCS_ECDSA_P256_SHA256);
    let mut der = parse_csr(pem.as_bytes()).unwrap().der;
    let at = der.windows(7).position(|w| w == b"ALPHA-7").unwrap();
    der[at + 6] = b'9';
    let err = csr_error(base64(&der).as_bytes());
    assert!(err.contains("the request's signature does not verify"), "{err}");
    assert!(store.sign_csr(&base64(&der), &EnrolOptions::new("alice")).is_err());

    // The same bytes, unaltered, pass: the base64 helper is not what failed.
    der[at + 6] = b'7';
    assert_eq!(parse_csr(base64(&der).as_bytes()).unwrap().common_name.as_deref(), Some("ALPHA-7"));
    assert!(store.list().unwrap().is_empty());
}

#[test]
fn garbage_truncated_and_empty_requests_are_refused_with_the_reason() {
    let (_, pem) = device_request(Some("ALPHA"), &rcgen::PKCS_ECDSA_P256_SHA256);
    let body = bare_body(&pem).replace("\r\n", "");
    let der = parse_csr(pem.as_bytes()).unwrap().der;
    let cert_pem = {
        let (_dir, store) = store();
        std::fs::read_to_string(store.ca_cert_path()).unwrap()
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "the request is empty"),
        (b" \r\n\t ".to_vec(), "the request is empty"),
        (b"-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n".to_vec(), "empty"),
        (b"hello, world".to_vec(), "neither PEM nor base64 (byte 0x2C at offset 5)"),
        (vec![0x30, 0x82, 0x01, 0x00, 0xff], "neither PEM nor base64"),
        (b"AAAA".to_vec(), "not a PKCS#10 certificate request"),
        (body.as_bytes()[..body.len() / 2].to_vec(), "not a PKCS#10 certificate request"),
        (body.as_bytes()[..body.len() - 5].to_vec(), "not a PKCS#10 certificate request"),
        (base64(&[&der[..], &[0, 0, 0]].concat()).into_bytes(), "not a PKCS#10 certificate request: 3 bytes follow it"),
        (b"QQ==QQ==".to_vec(), "base64 continues after its padding"),
        (b"QUJD\nQ".to_vec(), "the base64 is truncated"),
        (pem.as_bytes()[..pem.len() - 40].to_vec(), "has no END line"),
        (cert_pem.into_bytes(), "a PEM \"CERTIFICATE\" block"),
        (b"-----BEGIN CERTIFICATE REQUEST".to_vec(), "without its closing dashes"),
    ];
    for (input, want) in cases {
        let err = csr_error(&input);
        assert!(err.starts_with("certificate request: "), "{err}");
        assert!(err.contains(want), "{:?}: {err} (wanted {want:?})", String::from_utf8_lossy(&input));
    }
}

#[test]
fn an_oversized_request_is_refused_before_parsing() {
    let mut huge = bare_body(&device_request(Some("ALPHA"), &rcgen::PKCS_ECDSA_P256_SHA256).1).into_bytes();
    huge.resize(enrol::MAX_CSR_BYTES + 1, b'\n');
    let err = csr_error(&huge);
    assert!(err.contains("65537 bytes is more than the 65536 allowed"), "{err}");
    huge.truncate(enrol::MAX_CSR_BYTES);
    assert!(parse_csr(&huge).is_ok(), "exactly the limit is accepted");
}

/// A device's RSA-2048 request, as ATAK makes them, from OpenSSL (skipped without `openssl`).
#[test]
fn an_rsa_request_made_by_openssl_is_signed() {
    if std::process::Command::new("openssl").arg("version").output().is_err() {
        eprintln!("openssl is not installed: skipped");
        return;
    }
    let (dir, store) = store();
    let (key, csr) = (dir.path().join("device.key"), dir.path().join("device.csr"));
    let out = std::process::Command::new("openssl")
        .args(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/O=Device/OU=admins/CN=RSA-1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&csr)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let pem = std::fs::read_to_string(&csr).unwrap();
    let parsed = parse_csr(pem.as_bytes()).unwrap();
    assert_eq!(parsed.key_algorithm, enrol::KeyAlgorithm::Rsa { bits: 2048 });
    let enrolled = store.sign_csr(&bare_body(&pem), &EnrolOptions::new("alice")).unwrap();
    let cert = parse(&enrolled.cert_der);
    assert_eq!(cert.subject().to_string(), "O=truce, OU=truce-user:alice, CN=RSA-1");
    let (_, request) = x509_parser::certification_request::X509CertificationRequest::from_der(&parsed.der).unwrap();
    assert_eq!(cert.public_key().raw, request.certification_request_info.subject_pki.raw, "the same RSA key");
    verifies_as_client(&store, &enrolled.cert_der);

    // OpenSSL agrees that the certificate holds the key it made.
    let cert_path = dir.path().join("device.pem");
    std::fs::write(&cert_path, &enrolled.cert_pem).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-checkend", "0", "-in"])
        .arg(&cert_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let modulus = |args: &[&str], path: &std::path::Path| {
        let out = std::process::Command::new("openssl").args(args).arg(path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        modulus(&["x509", "-noout", "-modulus", "-in"], &cert_path),
        modulus(&["rsa", "-noout", "-modulus", "-in"], &key)
    );
}

// Revocation.

#[test]
fn old_three_column_registers_still_read_and_gain_the_user_column() {
    let (_dir, store) = store();
    let path = store.dir().join("issued.tsv");
    std::fs::write(&path, "serial\tcallsign\tnot_after\n4A01\tOLD-1\t2030-01-01T00:00:00Z\n").unwrap();
    let list = store.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].callsign.as_str(), list[0].user.as_deref()), ("OLD-1", None));

    let unit = Some(format!("{USER_OU_PREFIX}carol"));
    store.issue("NEW-1", &IssueOptions { unit, ..IssueOptions::default() }).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("serial\tcallsign\tnot_after\tuser\n4A01\tOLD-1\t"), "{text}");
    assert!(text.lines().nth(2).unwrap().ends_with("\tcarol"), "{text}");
    let list = store.list().unwrap();
    assert_eq!(list[1].user.as_deref(), Some("carol"), "issue --user records the user");
    assert_eq!(store.revoke(&Revoke::User("carol".into()), "lost", time::OffsetDateTime::now_utc()).unwrap().len(), 1);

    std::fs::write(&path, "serial\tcallsign\tnot_after\tuser\nA\tB\n").unwrap();
    let err = store.list().unwrap_err();
    assert!(err.to_string().contains("line 2: expected 3 or 4 tab-separated fields, found 2"), "{err}");
}

fn at(text: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

#[test]
fn revocation_by_serial_callsign_and_user_is_recorded_once() {
    let (_dir, store) = store();
    let alpha = store.issue("ALPHA", &IssueOptions::default()).unwrap();
    let bravo = store.issue("BRAVO", &IssueOptions::default()).unwrap();
    let (_, csr) = device_request(Some("BRAVO"), &rcgen::PKCS_ECDSA_P256_SHA256);
    let bravo_phone = store.sign_csr(&csr, &EnrolOptions::new("bob")).unwrap();
    let (_, csr) = device_request(Some("BOB-TAB"), &rcgen::PKCS_ECDSA_P256_SHA256);
    let bob_tablet = store.sign_csr(&csr, &EnrolOptions::new("bob")).unwrap();
    let (_, csr) = device_request(Some("CHARLIE"), &rcgen::PKCS_ECDSA_P256_SHA256);
    let charlie = store.sign_csr(&csr, &EnrolOptions::new("charlie")).unwrap();
    assert!(store.revoked().unwrap().is_empty(), "no file yet: nothing revoked");

    // By serial: lower case, a leading zero and OpenSSL's colons are the same serial.
    let spelled = format!("00{}", alpha.serial.to_lowercase());
    let spelled: Vec<String> = spelled.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let done = store.revoke(&Revoke::Serial(spelled.join(":")), "lost", at("2026-05-01T10:00:00.5+02:00")).unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].serial.as_str(), done[0].callsign.as_str()), (alpha.serial.as_str(), "ALPHA"));
    assert_eq!(done[0].revoked_at.as_deref(), Some("2026-05-01T08:00:00Z"));
    let again = store.revoke(&Revoke::Serial(alpha.serial.clone()), "again", at("2026-05-02T00:00:00Z")).unwrap();
    assert!(again.is_empty(), "revoking twice changes nothing");

    // By callsign: every certificate issued for it, whoever holds it.
    let done = store.revoke(&Revoke::Callsign("BRAVO".into()), "", at("2026-05-03T00:00:00Z")).unwrap();
    let serials: Vec<&str> = done.iter().map(|r| r.serial.as_str()).collect();
    assert_eq!(serials, [bravo.serial.as_str(), bravo_phone.serial.as_str()]);

    // By user: what is left of bob's.
    let done = store.revoke(&Revoke::User("bob".into()), "left the mission", at("2026-05-04T00:00:00Z")).unwrap();
    let serials: Vec<&str> = done.iter().map(|r| r.serial.as_str()).collect();
    assert_eq!(serials, [bob_tablet.serial.as_str()], "the phone was revoked already");
    assert!(store.revoke(&Revoke::User("bob".into()), "", at("2026-05-05T00:00:00Z")).unwrap().is_empty());

    let text = std::fs::read_to_string(store.revoked_path()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "a header and one line per certificate: {text}");
    assert_eq!(lines[0], "serial\tcallsign\trevoked_at\treason");
    assert_eq!(lines[1], format!("{}\tALPHA\t2026-05-01T08:00:00Z\tlost", alpha.serial));
    assert_eq!(lines[4], format!("{}\tBOB-TAB\t2026-05-04T00:00:00Z\tleft the mission", bob_tablet.serial));

    let revoked = store.revoked().unwrap();
    let want: std::collections::BTreeSet<String> =
        [&alpha.serial, &bravo.serial, &bravo_phone.serial, &bob_tablet.serial].into_iter().cloned().collect();
    assert_eq!(revoked, want);
    let list = store.list().unwrap();
    let charlie_record = list.iter().find(|r| r.serial == charlie.serial).unwrap();
    assert_eq!(charlie_record.revoked_at, None);
    assert_eq!(list.iter().filter(|r| r.revoked_at.is_some()).count(), 4);
    assert_eq!(list[0].revoked_at.as_deref(), Some("2026-05-01T08:00:00Z"));
}

#[test]
fn revoking_what_was_never_issued_names_it() {
    let (_dir, store) = store();
    store.issue("ALPHA", &IssueOptions::default()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    for (which, want) in [
        (Revoke::Serial("4AB".into()), "--serial 4AB: no certificate issued by this CA matches"),
        (Revoke::Callsign("GHOST".into()), "--callsign \"GHOST\": no certificate issued by this CA matches"),
        (Revoke::User("nobody".into()), "--user \"nobody\": no certificate issued by this CA matches"),
    ] {
        let err = store.revoke(&which, "", now).unwrap_err();
        assert!(matches!(err, Error::NotIssued(_)), "{err}");
        assert_eq!(err.to_string(), want);
    }
    let err = store.revoke(&Revoke::Serial("xyz".into()), "", now).unwrap_err();
    assert!(err.to_string().contains("--serial \"xyz\": not a hexadecimal serial number"), "{err}");
    let err = store.revoke(&Revoke::Callsign("ALPHA".into()), "a\tb", now).unwrap_err();
    assert!(err.to_string().starts_with("--reason"), "{err}");
    assert!(!store.revoked_path().exists(), "nothing written");
}

/// Waits up to two seconds for `condition`, polling.
fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while !condition() {
        assert!(std::time::Instant::now() < deadline, "not within 2 s: {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_watcher_sees_revocations_written_later_and_keeps_its_set_over_a_corrupt_file() {
    let (_dir, store) = store();
    let alpha = store.issue("ALPHA", &IssueOptions::default()).unwrap();
    let bravo = store.issue("BRAVO", &IssueOptions::default()).unwrap();
    let revocations = store.revocations().unwrap();
    let clone = revocations.clone();
    assert!(!revocations.is_revoked(&alpha.serial));

    // Another process's `truce certs revoke`: another store value on the same directory.
    let other = CertStore::new(store.dir());
    let started = std::time::Instant::now();
    other.revoke(&Revoke::Callsign("ALPHA".into()), "", time::OffsetDateTime::now_utc()).unwrap();
    eventually("ALPHA revoked", || revocations.is_revoked(&alpha.serial));
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(clone.is_revoked(&alpha.serial.to_lowercase()), "clones share the set");
    assert!(!revocations.is_revoked(&bravo.serial));
    assert!(!revocations.is_revoked("not hex"));

    // A corrupt file: the CLI's read fails, the watcher keeps the last good set.
    let path = store.revoked_path();
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{good}{}\tBRAVO\n", bravo.serial)).unwrap();
    let err = store.revoked().unwrap_err();
    assert!(err.to_string().contains("revoked.tsv: line 3: expected 4 tab-separated fields"), "{err}");
    assert!(Revocations::watch(store.dir()).is_err(), "a server does not start on a corrupt register");
    std::thread::sleep(revoke::CHECK_INTERVAL);
    assert!(revocations.is_revoked(&alpha.serial));
    assert!(!revocations.is_revoked(&bravo.serial));

    // Repaired: picked up at the next check.
    std::fs::write(&path, format!("{good}{}\tBRAVO\t2026-01-01T00:00:00Z\t\n", bravo.serial)).unwrap();
    eventually("BRAVO revoked", || revocations.is_revoked(&bravo.serial));
    assert!(revocations.is_revoked(&alpha.serial));
}

#[test]
fn a_store_without_a_register_revokes_nothing_until_one_appears() {
    let dir = tempfile::tempdir().unwrap();
    let revocations = Revocations::watch(&dir.path().join("missing")).unwrap();
    assert!(!revocations.is_revoked("4A"));
    let store = CertStore::new(dir.path().join("missing"));
    store.init(&InitOptions::default()).unwrap();
    let alpha = store.issue("ALPHA", &IssueOptions::default()).unwrap();
    store.revoke(&Revoke::Serial(alpha.serial.clone()), "", time::OffsetDateTime::now_utc()).unwrap();
    eventually("ALPHA revoked", || revocations.is_revoked(&alpha.serial));
}

#[test]
fn the_revocation_register_parses_to_canonical_serials_and_names_a_bad_line() {
    let text = "serial\tcallsign\trevoked_at\treason\n00:0a:Bc\tALPHA-1\t2026-12-03T08:00:00Z\tlost\n";
    let serials = revoke::parse_register(text).expect("a valid register");
    assert_eq!(serials.into_iter().collect::<Vec<_>>(), ["ABC"]);
    let err = revoke::parse_register("serial\tcallsign\trevoked_at\treason\nxyz\tA\tT\tR\n").unwrap_err();
    assert!(err.to_string().contains("line 2") && err.to_string().contains("xyz"), "{err}");
    let err = revoke::parse_register("header\nonly-one-field\n").unwrap_err();
    assert!(err.to_string().contains("expected 4 tab-separated fields"), "{err}");
}
