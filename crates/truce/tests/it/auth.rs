//! Who may do what over HTTP: logins, sessions, roles, labels above clearance, unknown codes, and the
//! audit log of all of it (a real server, real users made with `truce users add`).

use serde_json::{Value, json};

use crate::util::{ALL_CATEGORIES, PASSWORD, add_user, serve_plain, truce};

fn obs(id: &str, marking: &str, rel: &[&str]) -> Value {
    json!({"id": id, "time": "2026-11-25T10:00:00Z", "category": "explosion_impact", "lat": 47.6, "lon": 36.0,
        "marking": marking, "releasable_to": rel})
}

#[test]
fn logins_sessions_roles_and_labels_are_enforced_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "admin", "GBR", "admin", "COSMIC TOP SECRET", ALL_CATEGORIES);
    add_user(dir.path(), "ukr.monitor", "UKR", "monitor", "NATO RESTRICTED", &[]);
    add_user(dir.path(), "pol.rep", "POL", "national_rep", "NATO SECRET", &[]);
    add_user(dir.path(), "fra.auditor", "FRA", "auditor", "NATO UNCLASSIFIED", &[]);
    let s = serve_plain(dir.path(), &[]);
    let login = |user: &str, password: &str| {
        let body = json!({"user": user, "password": password}).to_string();
        let r = s.request_as(None, "POST", "/api/v1/login", body.as_bytes());
        (r.status, String::from_utf8_lossy(&r.body).into_owned(), r.headers)
    };

    // An unknown user and a wrong password get the same answer; a good one a token and the cookie.
    let (a, unknown, _) = login("nobody", PASSWORD);
    let (b, wrong, _) = login("pol.rep", "not-the-password");
    assert_eq!((a, b), (401, 401));
    assert_eq!(unknown, wrong, "the same body for an unknown user and a wrong password");
    let (status, body, headers) = login("ukr.monitor", PASSWORD);
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let monitor = v["token"].as_str().unwrap().to_owned();
    assert!(monitor.len() >= 22, "at least 128 random bits");
    assert_eq!(v["user"]["nation"], "UKR");
    let cookie = headers.iter().find(|(k, _)| k == "set-cookie").map(|(_, v)| v.clone()).unwrap();
    assert!(cookie.starts_with("__Host-truce=") && cookie.contains("Secure") && cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let rep = s.login("pol.rep", PASSWORD);
    let admin = s.login("admin", PASSWORD);
    let auditor = s.login("fra.auditor", PASSWORD);

    // No session, a forged token: 401 naming the session.
    for token in [None, Some("truce_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] {
        let r = s.request_as(token, "GET", "/api/v1/observations", b"");
        assert_eq!(r.status, 401);
        let e: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
            (Some("unauthenticated"), Some("session"))
        );
    }

    // A national representative may not submit; a monitor may not label above its clearance, nor use
    // a code the policy does not know; nothing of a refused request is stored.
    let post = |token: &str, body: Value| {
        let r = s.request_as(Some(token), "POST", "/api/v1/observations", body.to_string().as_bytes());
        (r.status, serde_json::from_slice::<Value>(&r.body).unwrap_or(Value::Null))
    };
    let (status, e) = post(&rep, obs("r1", "NATO UNCLASSIFIED", &[]));
    assert_eq!((status, e["error"]["field"].as_str()), (403, Some("role")), "{e}");
    let (status, e) = post(&monitor, obs("m1", "NATO SECRET", &[]));
    assert_eq!(
        (status, e["error"]["code"].as_str(), e["error"]["field"].as_str()),
        (403, Some("label_above_clearance"), Some("marking")),
        "{e}"
    );
    let (status, e) = post(&monitor, obs("m2", "NATO UNCLASSIFIED", &["XYZ"]));
    assert_eq!((status, e["error"]["field"].as_str()), (422, Some("releasable_to")), "{e}");
    let (status, e) = post(&monitor, obs("m3", "NATO RESTRICTED", &["GBR", "FRA"]));
    assert_eq!(status, 201, "{e}");
    let (status, _) = post(&admin, obs("a1", "NATO SECRET", &["POL"]));
    assert_eq!(status, 201);

    // Each sees what is released to it: the monitor wrote m3 for GBR and FRA, so it does not see it.
    let ids = |token: &str| {
        let r = s.request_as(Some(token), "GET", "/api/v1/observations", b"");
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        v["observations"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    // The admin is British: a1 is NATO SECRET released to Poland only, so not even the admin sees it.
    assert_eq!(ids(&admin), ["m3"]);
    assert_eq!(ids(&rep), ["a1"]);
    assert!(ids(&monitor).is_empty());

    // The audit log: auditors only, with proofs; it holds the logins, the failures, the refusals and
    // the writes, and `truce audit verify` finds it intact.
    assert_eq!(s.request_as(Some(&admin), "GET", "/api/v1/audit", b"").status, 200);
    assert_eq!(s.request_as(Some(&rep), "GET", "/api/v1/audit", b"").status, 403);
    let r = s.request_as(Some(&auditor), "GET", "/api/v1/audit?limit=1000", b"");
    assert_eq!(r.status, 200);
    let log: Value = serde_json::from_slice(&r.body).unwrap();
    let kinds: Vec<&str> = log["entries"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in ["login", "login_failed", "denied", "write"] {
        assert!(kinds.contains(&k), "no {k} entry in {kinds:?}");
    }
    assert!(log["checkpoint"].as_str().unwrap().contains("truce audit log"), "{}", log["checkpoint"]);
    assert!(log["entries"][0]["proof"]["path"].is_array());
    let writes = log["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "write").count();
    assert_eq!(writes, 2, "two acknowledged writes, two entries");
    let run = truce(&["audit", "verify", "--data-dir", dir.path().to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // Logout ends the session at once; disabling a user ends its other sessions.
    assert_eq!(s.request_as(Some(&monitor), "POST", "/api/v1/logout", b"").status, 204);
    assert_eq!(s.request_as(Some(&monitor), "GET", "/api/v1/me", b"").status, 401);
    let run = truce(&["users", "disable", "pol.rep", "--data-dir", dir.path().to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.request_as(Some(&rep), "GET", "/api/v1/me", b"").status, 401);
    // The change was made while the server holds the audit log: it reaches the log through the inbox.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = s.request_as(Some(&auditor), "GET", "/api/v1/audit?limit=1000", b"");
        let log: Value = serde_json::from_slice(&r.body).unwrap();
        let changes: Vec<&Value> =
            log["entries"].as_array().unwrap().iter().filter(|e| e["kind"] == "user_change").collect();
        if changes.iter().any(|e| e["action"] == "users disable" && e["target"] == "pol.rep") {
            assert!(changes.iter().any(|e| e["action"] == "users add" && e["target"] == "fra.auditor"), "{changes:?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the disable never reached the audit log: {changes:?}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    // Repeated failures are throttled with Retry-After.
    let mut last = 0;
    for _ in 0..7 {
        last = login("admin", "wrong-password-1").0;
    }
    assert_eq!(last, 429);
}

#[test]
fn plain_http_off_loopback_needs_to_be_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let agreement = crate::util::agreement();
    let (d, a) = (dir.path().to_str().unwrap(), agreement.to_str().unwrap());
    let args =
        ["serve", "--data-dir", d, "--agreement", a, "--listen", "0.0.0.0:0", "--tak-tcp", "off", "--tak-udp", "off"];
    let run = truce(&args, b"");
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("refusing to serve plain HTTP") && run.stderr.contains("--insecure-http"),
        "{}",
        run.stderr
    );
    let mut asked = args.to_vec();
    asked.push("--insecure-http");
    let s = crate::util::Server::start(&asked);
    assert_eq!(s.request_as(None, "GET", "/healthz", b"").status, 200);
}

/// One HTTPS request with rustls, trusting only the CA `truce certs init` made.
/// A TLS connection to `127.0.0.1:port` trusting the CA in `ca_pem`, with a 60 s read bound (a server
/// that never answers fails the tests rather than hanging them).
fn tls_connect(
    port: u16,
    ca_pem: &std::path::Path,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>, rustls::Error> {
    use rustls::pki_types::pem::PemObject;
    let ca = rustls::pki_types::CertificateDer::from_pem_file(ca_pem).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name)?;
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    Ok(rustls::StreamOwned::new(conn, tcp))
}

fn https(port: u16, ca_pem: &std::path::Path, request: &str) -> Result<String, rustls::Error> {
    use std::io::{Read, Write};
    let mut tls = tls_connect(port, ca_pem)?;
    tls.write_all(request.as_bytes()).map_err(|e| rustls::Error::General(e.to_string()))?;
    let mut out = Vec::new();
    match tls.read_to_end(&mut out) {
        Ok(_) => {}
        // A server that closes without close_notify after a complete answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => return Err(rustls::Error::General(e.to_string())),
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[test]
fn https_serves_the_api_with_the_certificate_truce_certs_made() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let run = truce(&["certs", "init", "--data-dir", d], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    add_user(dir.path(), "admin", "GBR", "admin", "COSMIC TOP SECRET", ALL_CATEGORIES);
    let agreement = crate::util::agreement();
    // HTTPS may listen beyond loopback without --insecure-http.
    let s = crate::util::Server::start(&[
        "serve",
        "--data-dir",
        d,
        "--agreement",
        agreement.to_str().unwrap(),
        "--listen",
        "0.0.0.0:0",
        "--tls",
        "--tak-tcp",
        "off",
        "--tak-udp",
        "off",
        "--tak-api",
        "off",
        "--tak-enrol",
        "off",
        "--http-idle",
        "1",
    ]);
    let port: u16 = s.addr.rsplit(':').next().unwrap().parse().unwrap();
    let ca = dir.path().join("certs/ca.pem");
    // Half a request's head is not held for ever (`--http-idle`): the connection is closed unanswered
    // once the limit has passed.
    let started = std::time::Instant::now();
    let half = https(port, &ca, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_millis(900), "closed after {took:?}, before the limit");
    assert!(took < std::time::Duration::from_secs(30), "not closed after {took:?}: {half:?}");
    assert!(half.as_ref().is_err() || half.as_ref().is_ok_and(|h| !h.starts_with("HTTP/1.1 2")), "{half:?}");
    let health = https(port, &ca, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let body = json!({"user": "admin", "password": PASSWORD}).to_string();
    let login = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = https(port, &ca, &login).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("set-cookie: __Host-truce="), "{answer}");
    // Plain HTTP to the HTTPS port gets no HTTP answer.
    use std::io::{Read, Write};
    let mut plain = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    plain.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    assert!(!got.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&got));

    // On SIGTERM the HTTPS server finishes the request in hand: a login whose body comes after the
    // signal is answered, then the process ends.
    let mut in_hand = tls_connect(port, &ca).unwrap();
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    );
    in_hand.write_all(head.as_bytes()).unwrap();
    in_hand.flush().unwrap();
    // Once a later connection is answered, the server holds this one (accepted in order).
    let health = https(port, &ca, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let mut s = s;
    let started = std::time::Instant::now();
    s.terminate();
    // The listener closes once the server has begun to stop.
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "still accepting 30 s after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    in_hand.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = Vec::new();
    match in_hand.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !answer.is_empty() => {}
        Err(e) => panic!("the request in hand was cut: {e}"),
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let status = s.wait_exit(started, std::time::Duration::from_secs(30));
    assert!(status.success(), "{status}");
}

#[test]
fn every_write_route_asks_the_permission_table_role_by_role() {
    use truce_access::{Action, Role};
    let dir = tempfile::tempdir().unwrap();
    for role in Role::ALL {
        add_user(
            dir.path(),
            &format!("u.{}", role.id().replace('_', "-")),
            "GBR",
            role.id(),
            "COSMIC TOP SECRET",
            ALL_CATEGORIES,
        );
    }
    let s = serve_plain(dir.path(), &[]);
    let admin = s.login("u.admin", PASSWORD);
    // An incident and a case to act on.
    let r = s.request_as(
        Some(&admin),
        "POST",
        "/api/v1/observations",
        obs("seed", "NATO UNCLASSIFIED", &[]).to_string().as_bytes(),
    );
    assert_eq!(r.status, 201);
    let body = json!({"title": "seed", "incidents": ["inc-seed"]}).to_string();
    let r = s.request_as(Some(&admin), "POST", "/api/v1/cases", body.as_bytes());
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let case: Value = serde_json::from_slice(&r.body).unwrap();
    let case = case["id"].as_str().unwrap().to_owned();
    for role in Role::ALL {
        let token = s.login(&format!("u.{}", role.id().replace('_', "-")), PASSWORD);
        let n = role.id();
        let act = format!("/api/v1/cases/{case}/actions");
        let calls: [(Action, &str, &str, String); 6] = [
            (
                Action::SubmitObservation,
                "POST",
                "/api/v1/observations",
                obs(&format!("o-{n}"), "NATO UNCLASSIFIED", &[]).to_string(),
            ),
            (Action::OpenCase, "POST", "/api/v1/cases", json!({"title": n, "incidents": ["inc-seed"]}).to_string()),
            (Action::ReviewCase, "POST", &act, json!({"note": n}).to_string()),
            (Action::DecideCase, "POST", &act, json!({"to": "closed", "note": "not a breach"}).to_string()),
            (Action::ReadAudit, "GET", "/api/v1/audit", String::new()),
            (Action::ReadMetrics, "GET", "/metrics", String::new()),
        ];
        for (action, method, path, body) in calls {
            let r = s.request_as(Some(&token), method, path, body.as_bytes());
            let text = String::from_utf8_lossy(&r.body).into_owned();
            if role.may(action) {
                assert_ne!(r.status, 403, "{n} may {action}: {method} {path} → {text}");
            } else {
                assert_eq!(r.status, 403, "{n} may not {action}: {method} {path} → {text}");
                assert!(text.contains("\"field\":\"role\""), "{text}");
            }
        }
    }
}
