//! The leak harness's part for the Marti API, the devices' REST side (client certificates on the API
//! port, basic authentication on the enrolment port).
//!
//! Every viewer of the harness gets a certificate bound to its user. The admin uploads files and
//! creates missions with the harness's random labels (each name a canary), puts files of mixed labels
//! into missions and subscribes a device to each. Then every route is called with every viewer's
//! certificate: lists must hold exactly the visible files and missions (and a visible mission exactly
//! its visible files), a hidden file or mission must answer exactly like a missing one, writes on
//! hidden things must be refused without a word about them, and no hidden canary may appear in any
//! byte. Without a certificate the API port does not even finish the handshake.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use time::OffsetDateTime;

use super::{Checks, MARKINGS, Oracle, Record, Rng, Viewer, coalition_record};
use crate::util::{Server, truce};

/// The uid of the harness's labelled AIS vessel (its feed is NATO SECRET REL GBR, SWE).
const VESSEL: &str = "ais-273999001";

/// Files and missions the admin stores.
const FILES: usize = 24;
const MISSIONS: usize = 12;

/// A device's certificate and key (PEM files `truce certs issue` wrote).
pub struct Cert {
    pem: PathBuf,
    key: PathBuf,
}

/// The uploaders: one user per nation, who may give any classification and category; each record is
/// stored by an uploader who may see it (a device may not label a record out of its own reach).
pub const UPLOADERS: &[&str] =
    &["GBR", "FRA", "POL", "FIN", "SWE", "UKR", "USA", "DEU", "JPN", "AUS", "ITA", "TUR", "IRL"];

/// Adds the uploaders (`up-GBR`, ...) to the data directory.
pub fn uploaders(dir: &Path) -> Vec<String> {
    UPLOADERS
        .iter()
        .map(|n| {
            let name = format!("up-{}", n.to_ascii_lowercase());
            crate::util::add_user(dir, &name, n, "admin", "COSMIC TOP SECRET", super::CATEGORIES);
            name
        })
        .collect()
}

/// Makes the CA and a certificate bound to each user (before the server starts).
pub fn certificates(dir: &Path, users: &[&str]) -> (PathBuf, Vec<Cert>) {
    let d = dir.to_str().unwrap();
    let run = truce(&["certs", "init", "--data-dir", d], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let certs = users
        .iter()
        .map(|u| {
            let callsign = format!("LEAK-{u}");
            let run = truce(&["certs", "issue", "--data-dir", d, "--callsign", &callsign, "--user", u], b"");
            assert_eq!(run.code, 0, "{}", run.stderr);
            let clients = dir.join("certs/clients");
            Cert { pem: clients.join(format!("{callsign}.pem")), key: clients.join(format!("{callsign}.key")) }
        })
        .collect();
    (dir.join("certs/ca.pem"), certs)
}

/// The arguments that put the Marti listeners on free loopback ports.
pub const SERVE_ARGS: &[&str] = &[
    "--tak-tcp",
    "127.0.0.1:0",
    "--tak-udp",
    "off",
    "--tak-tls",
    "127.0.0.1:0",
    "--tak-api",
    "127.0.0.1:0",
    "--tak-enrol",
    "127.0.0.1:0",
];

/// One HTTPS request (HTTP/1.1, `Connection: close`) with a client certificate, or without one.
fn https(
    addr: &str,
    ca: &Path,
    cert: Option<&Cert>,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(u16, String), String> {
    https_typed(addr, ca, cert, method, path, "application/json", body)
}

/// [`https`] with the body's content type.
fn https_typed(
    addr: &str,
    ca: &Path,
    cert: Option<&Cert>,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> Result<(u16, String), String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::io::{Read, Write};
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_file(ca).unwrap()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match cert {
        Some(c) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(&c.pem).unwrap()],
                PrivateKeyDer::from_pem_file(&c.key).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).map_err(|e| e.to_string())?;
    let tcp = std::net::TcpStream::connect(addr).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).map_err(|e| e.to_string())?;
    tls.write_all(body).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    match tls.read_to_end(&mut out) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !out.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).ok_or_else(|| format!("not HTTP: {text}"))?;
    let body = text.split_once("\r\n\r\n").map_or(String::new(), |(_, b)| b.to_owned());
    Ok((status, body))
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The harness's files and missions on a running server.
pub struct Leak {
    api: String,
    enrol: String,
    ca: PathBuf,
    /// (record, its hash).
    files: Vec<(Record, String)>,
    /// (record, its guid, the indices of its files).
    missions: Vec<(Record, String, Vec<usize>)>,
}

fn label_query(r: &Record) -> String {
    let mut q = format!("classification={}", enc(MARKINGS[r.marking]));
    if !r.releasable_to.is_empty() {
        q.push_str(&format!("&releasableTo={}", r.releasable_to.join(",")));
    }
    if !r.categories.is_empty() {
        q.push_str(&format!("&categories={}", r.categories.join(",")));
    }
    q
}

impl Leak {
    /// Stores the labelled files and missions, each by an uploader who may see it (`by(nation)` is the
    /// certificate of that nation's uploader).
    pub fn populate<'a>(
        s: &Server,
        ca: PathBuf,
        oracle: &Oracle,
        by: impl Fn(&str) -> &'a Cert,
        rng: &mut Rng,
    ) -> Leak {
        let api = s.printed("TAK API (Marti) over HTTPS on ");
        let enrol = s.printed("TAK certificate enrolment over HTTPS on ");
        let now = OffsetDateTime::now_utc();
        // A record with an explicit release list, and the uploader who may see it.
        let labelled = |rng: &mut Rng, id: String| loop {
            let r = coalition_record(rng, id.clone(), now);
            if r.releasable_to.is_empty() {
                continue;
            }
            let seer = UPLOADERS.iter().find(|n| {
                let up = Viewer {
                    name: format!("up-{}", n.to_ascii_lowercase()),
                    nation: n,
                    role: "admin",
                    clearance: 4,
                    categories: super::CATEGORIES.iter().copied().collect(),
                    token: String::new(),
                };
                oracle.visible(&up, &r)
            });
            if let Some(n) = seer {
                return (r, *n);
            }
        };
        let mut files = Vec::new();
        for i in 0..FILES {
            let (r, nation) = labelled(rng, format!("mfile{i:03}"));
            let body = format!("{} body {i}", r.canary());
            let path = format!("/Marti/sync/upload?name={}.txt&{}", r.canary(), label_query(&r));
            let (status, answer) = https(&api, &ca, Some(by(nation)), "POST", &path, body.as_bytes()).unwrap();
            assert_eq!(status, 200, "{answer}");
            let v: Value = serde_json::from_str(&answer).unwrap();
            files.push((r, v["Hash"].as_str().unwrap().to_owned()));
        }
        let mut missions = Vec::new();
        for m in 0..MISSIONS {
            let (r, nation) = labelled(rng, format!("mission{m:03}"));
            let admin = by(nation);
            let path = format!("/Marti/api/missions/{}?creatorUid=LEAK-ADMIN&{}", r.canary(), label_query(&r));
            let (status, answer) = https(&api, &ca, Some(admin), "PUT", &path, b"").unwrap();
            assert_eq!(status, 201, "{answer}");
            let v: Value = serde_json::from_str(&answer).unwrap();
            let guid = v["data"][0]["guid"].as_str().unwrap().to_owned();
            // Files of mixed labels, among those the mission's creator may see (it adds them).
            let creator = Viewer {
                name: format!("up-{}", nation.to_ascii_lowercase()),
                nation,
                role: "admin",
                clearance: 4,
                categories: super::CATEGORIES.iter().copied().collect(),
                token: String::new(),
            };
            let seen: Vec<usize> = (0..FILES).filter(|&i| oracle.visible(&creator, &files[i].0)).collect();
            let held: Vec<usize> = if seen.is_empty() {
                Vec::new()
            } else {
                (0..3).map(|_| seen[rng.below(seen.len())]).collect::<BTreeSet<_>>().into_iter().collect()
            };
            let hashes: Vec<&str> = held.iter().map(|&i| files[i].1.as_str()).collect();
            // The first mission also holds the labelled AIS vessel's track (its CoT only for those who
            // may see the feed's label).
            let mut uids = vec![format!("LEAKDEV-{m}")];
            if m == 0 {
                uids.push(VESSEL.to_owned());
            }
            let body = serde_json::json!({"hashes": hashes, "uids": uids}).to_string();
            let path = format!("/Marti/api/missions/{}/contents", r.canary());
            let (status, answer) = https(&api, &ca, Some(admin), "PUT", &path, body.as_bytes()).unwrap();
            assert_eq!(status, 200, "{answer}");
            let path = format!("/Marti/api/missions/{}/subscription?uid=LEAKDEV-{m}", r.canary());
            assert_eq!(https(&api, &ca, Some(admin), "PUT", &path, b"").unwrap().0, 201);
            missions.push((r, guid, held));
        }
        Leak { api, enrol, ca, files, missions }
    }

    fn records(&self) -> Vec<Record> {
        self.files.iter().map(|f| f.0.clone()).chain(self.missions.iter().map(|m| m.0.clone())).collect()
    }

    /// Every Marti route as viewer `v` (certificate `cert`); returns the routes exercised.
    #[allow(clippy::too_many_lines)]
    pub fn check(
        &self,
        oracle: &Oracle,
        v: &Viewer,
        cert: &Cert,
        feed: &Record,
        checks: &mut Checks,
    ) -> BTreeSet<&'static str> {
        let mut exercised = BTreeSet::new();
        let all = self.records();
        let call =
            |method: &str, path: &str, body: &[u8]| https(&self.api, &self.ca, Some(cert), method, path, body).unwrap();
        let missing = "0".repeat(64);
        let files: Vec<Record> = self.files.iter().map(|f| f.0.clone()).collect();
        let missions: Vec<Record> = self.missions.iter().map(|m| m.0.clone()).collect();
        let name_of = |text: &str| -> Option<String> {
            let i = text.find("CANARY")?;
            let rest = &text[i + 6..];
            Some(rest[..rest.find("TEXT")?].to_owned())
        };

        // The file lists: exactly the visible files.
        let (status, body) = call("GET", "/Marti/sync/search", b"");
        checks.check(status == 200, || format!("marti search: {} → {status}", v.name));
        checks.no_leak(oracle, v, &all, "marti search", &body);
        let listed: BTreeSet<String> = serde_json::from_str::<Value>(&body).unwrap()["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| name_of(r["Name"].as_str().unwrap_or("")))
            .collect();
        checks.exactly(oracle, v, &files, "marti search", &listed);
        exercised.insert("/Marti/sync/search");

        // Each file: a hidden one answers exactly like a missing one.
        for (r, hash) in &self.files {
            for (route, path) in [
                ("/Marti/sync/{hash}/metadata", format!("/Marti/sync/{hash}/metadata")),
                ("/Marti/sync/content", format!("/Marti/sync/content?hash={hash}")),
                ("/Marti/sync/missionquery", format!("/Marti/sync/missionquery?hash={hash}")),
            ] {
                let (status, body) = call("GET", &path, b"");
                let ok = if oracle.visible(v, r) {
                    status == 200
                } else {
                    let (s2, b2) = call("GET", &path.replace(hash.as_str(), &missing), b"");
                    status == 404 && s2 == 404 && body == b2.replace(&missing, hash)
                };
                checks.check(ok, || format!("{route}: {} {} → {status} {body}", v.name, r.id));
                checks.no_leak(oracle, v, std::slice::from_ref(r), route, &body);
                exercised.insert(route);
            }
            if !oracle.visible(v, r) {
                for (route, method, path) in [
                    ("/Marti/api/files/{hash}", "DELETE", format!("/Marti/api/files/{hash}")),
                    ("/Marti/sync/delete", "DELETE", format!("/Marti/sync/delete?hash={hash}")),
                ] {
                    let (status, body) = call(method, &path, b"");
                    checks.check(status == 404, || format!("{route}: {} deletes hidden {} → {status}", v.name, r.id));
                    checks.no_leak(oracle, v, &all, route, &body);
                    exercised.insert(route);
                }
            }
        }

        // Missions: exactly the visible ones, each with exactly its visible files.
        let (status, body) = call("GET", "/Marti/api/missions", b"");
        checks.check(status == 200, || format!("missions: {} → {status}", v.name));
        checks.no_leak(oracle, v, &all, "missions", &body);
        let data = serde_json::from_str::<Value>(&body).unwrap();
        let listed: BTreeSet<String> =
            data["data"].as_array().unwrap().iter().filter_map(|m| name_of(m["name"].as_str().unwrap_or(""))).collect();
        checks.exactly(oracle, v, &missions, "missions", &listed);
        exercised.insert("/Marti/api/missions");
        for (r, guid, held) in &self.missions {
            let name = r.canary();
            let visible = oracle.visible(v, r);
            // Everything but the mission asked for, whose name a refusal repeats (the equality with a
            // missing name's answer is the check for it).
            let others: Vec<Record> = all.iter().filter(|o| o.id != r.id).cloned().collect();
            let absent = format!("{name}-absent");
            for (route, path, absent_path) in [
                (
                    "/Marti/api/missions/{name}",
                    format!("/Marti/api/missions/{name}?changes=true"),
                    format!("/Marti/api/missions/{absent}?changes=true"),
                ),
                (
                    "/Marti/api/missions/guid/{guid}",
                    format!("/Marti/api/missions/guid/{guid}"),
                    format!("/Marti/api/missions/guid/{absent}"),
                ),
                (
                    "/Marti/api/missions/{name}/cot",
                    format!("/Marti/api/missions/{name}/cot"),
                    format!("/Marti/api/missions/{absent}/cot"),
                ),
                (
                    "/Marti/api/missions/{name}/changes",
                    format!("/Marti/api/missions/{name}/changes"),
                    format!("/Marti/api/missions/{absent}/changes"),
                ),
                (
                    "/Marti/api/missions/{name}/subscriptions",
                    format!("/Marti/api/missions/{name}/subscriptions"),
                    format!("/Marti/api/missions/{absent}/subscriptions"),
                ),
                (
                    "/Marti/api/missions/{name}/subscriptions/roles",
                    format!("/Marti/api/missions/{name}/subscriptions/roles"),
                    format!("/Marti/api/missions/{absent}/subscriptions/roles"),
                ),
                (
                    "/Marti/api/missions/{name}/subscription",
                    format!("/Marti/api/missions/{name}/subscription?uid=LEAKDEV-0"),
                    format!("/Marti/api/missions/{absent}/subscription?uid=LEAKDEV-0"),
                ),
            ] {
                let (status, body) = call("GET", &path, b"");
                let ok = if visible {
                    status == 200 || (status == 404 && route.ends_with("/subscription"))
                } else {
                    let (s2, b2) = call("GET", &absent_path, b"");
                    let key = if route.contains("guid") { guid.as_str() } else { name.as_str() };
                    status == 404 && s2 == 404 && body == b2.replace(&absent, key)
                };
                checks.check(ok, || format!("{route}: {} {} → {status} {body}", v.name, r.id));
                // A visible mission shows its visible files only (and their changes).
                let shown: Vec<Record> = held.iter().map(|&i| files[i].clone()).collect();
                checks.no_leak(oracle, v, &others, route, &body);
                exercised.insert(route);
                if visible && route == "/Marti/api/missions/{name}/cot" {
                    let expect = r.id == "mission000" && oracle.visible(v, feed);
                    checks.check(body.contains("273999001") == expect, || {
                        format!("{route}: {} {} shows the vessel: {}", v.name, r.id, !expect)
                    });
                }
                if visible && route == "/Marti/api/missions/{name}" {
                    let m: Value = serde_json::from_str(&body).unwrap();
                    let got: BTreeSet<String> = m["data"][0]["contents"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter_map(|c| name_of(c["data"]["name"].as_str().unwrap_or("")))
                        .collect();
                    checks.exactly(oracle, v, &shown, "mission contents", &got);
                }
            }
            // Writes: refused, and nothing about a hidden mission in the refusal.
            for (route, method, path, body) in [
                (
                    "/Marti/api/missions/{name}/contents",
                    "PUT",
                    format!("/Marti/api/missions/{name}/contents"),
                    r#"{"uids":["PROBE"]}"#,
                ),
                (
                    "/Marti/api/missions/{name}/contents",
                    "DELETE",
                    format!("/Marti/api/missions/{name}/contents?uid=LEAKDEV-0"),
                    "",
                ),
                (
                    "/Marti/api/missions/{name}/role",
                    "PUT",
                    format!("/Marti/api/missions/{name}/role?clientUid=LEAKDEV-0&role=MISSION_OWNER"),
                    "",
                ),
                (
                    "/Marti/api/missions/{name}/subscription",
                    "DELETE",
                    format!("/Marti/api/missions/{name}/subscription?uid=LEAKDEV-0"),
                    "",
                ),
                ("/Marti/api/missions/{name}", "DELETE", format!("/Marti/api/missions/{name}"), ""),
            ] {
                if visible {
                    continue;
                }
                let (status, answer) = call(method, &path, body.as_bytes());
                checks.check(status == 404 || status == 403, || {
                    format!("{method} {route}: {} {} → {status}", v.name, r.id)
                });
                checks.no_leak(oracle, v, &others, route, &answer);
                exercised.insert(route);
            }
            if !visible {
                let (status, answer) = call("PUT", &format!("/Marti/api/missions/{name}/subscription?uid=PROBE"), b"");
                checks.check(status == 404, || format!("subscribe: {} hidden {} → {status}", v.name, r.id));
                checks.no_leak(oracle, v, &others, "subscribe", &answer);
            }
        }

        // Uploads and creation: a label above the viewer's clearance is refused, as is a viewer whose role
        // may not send (an upload of the same bytes someone else stored under a label this viewer may not
        // see answers 409: see docs/security.md).
        let top = "classification=COSMIC%20TOP%20SECRET";
        let multipart =
            "--B\r\nContent-Disposition: form-data; name=\"assetfile\"; filename=\"p.zip\"\r\n\r\nprobe\r\n--B--\r\n";
        let sends = ["admin", "monitor", "watch_officer"].contains(&v.role);
        for (route, method, path, content_type, body) in [
            ("/Marti/sync/upload", "POST", format!("/Marti/sync/upload?name=probe.txt&{top}"), "text/plain", "probe"),
            (
                "/Marti/sync/missionupload",
                "POST",
                format!("/Marti/sync/missionupload?filename=probe.zip&{top}"),
                "multipart/form-data; boundary=B",
                multipart,
            ),
            (
                "/Marti/api/missions/{name}",
                "PUT",
                format!("/Marti/api/missions/probe-{}?{top}", v.name),
                "text/plain",
                "",
            ),
        ] {
            let (status, answer) =
                https_typed(&self.api, &self.ca, Some(cert), method, &path, content_type, body.as_bytes()).unwrap();
            let expect = if sends && v.clearance == 4 { [200, 201, 409].contains(&status) } else { status == 403 };
            checks.check(expect, || format!("{method} {route} above clearance: {} → {status} {answer}", v.name));
            checks.no_leak(oracle, v, &all, route, &answer);
            exercised.insert(route);
        }

        // The rest: no canary anywhere.
        for (route, path) in [
            ("/Marti/api/version", "/Marti/api/version"),
            ("/Marti/api/version/config", "/Marti/api/version/config"),
            ("/Marti/api/clientEndPoints", "/Marti/api/clientEndPoints"),
            ("/Marti/api/contacts/all", "/Marti/api/contacts/all"),
            ("/files/api/config", "/files/api/config"),
            ("/Marti/api/groups/all", "/Marti/api/groups/all?useCache=true"),
            ("/Marti/api/missions/all/invitations", "/Marti/api/missions/all/invitations?clientUid=X"),
        ] {
            let (status, body) = call("GET", path, b"");
            checks.check(status == 200, || format!("{route}: {} → {status}", v.name));
            checks.no_leak(oracle, v, &all, route, &body);
            exercised.insert(route);
        }
        exercised
    }

    /// The enrolment port (no certificate; basic authentication) and the API port without a
    /// certificate: nothing but refusals.
    pub fn unauthenticated(&self, checks: &mut Checks) -> BTreeSet<&'static str> {
        let (status, body) = https(&self.enrol, &self.ca, None, "GET", "/Marti/api/tls/config", b"").unwrap();
        checks.check(status == 200 && !body.contains("CANARY"), || format!("tls/config → {status} {body}"));
        let (status, body) = https(&self.enrol, &self.ca, None, "POST", "/Marti/api/tls/signClient/v2", b"x").unwrap();
        checks.check(status == 401 && !body.contains("CANARY"), || format!("signClient without a password → {status}"));
        let (status, _) = https(&self.enrol, &self.ca, None, "GET", "/Marti/api/tls/profile/enrollment", b"").unwrap();
        checks.check(status == 204, || format!("profile/enrollment → {status}"));
        // The enrolment port serves nothing of the API.
        let (status, body) = https(&self.enrol, &self.ca, None, "GET", "/Marti/sync/search", b"").unwrap();
        checks.check(status == 404 && !body.contains("CANARY"), || format!("search on the enrolment port → {status}"));
        for path in ["/Marti/sync/search", "/Marti/api/missions"] {
            let refused = https(&self.api, &self.ca, None, "GET", path, b"");
            checks.check(
                refused.is_err() || refused.as_ref().is_ok_and(|r| r.0 == 401 && !r.1.contains("CANARY")),
                || format!("{path} without a certificate → {refused:?}"),
            );
        }
        ["/Marti/api/tls/config", "/Marti/api/tls/signClient/v2", "/Marti/api/tls/profile/enrollment"]
            .into_iter()
            .collect()
    }
}

/// The viewer's certificate among those [`certificates`] made for `users`.
pub fn cert_of<'a>(users: &[&str], certs: &'a [Cert], name: &str) -> &'a Cert {
    &certs[users.iter().position(|u| *u == name).unwrap()]
}
