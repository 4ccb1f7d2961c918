//! The pages and their npm packages come from the binary, wherever it runs; `--web-dir` serves them
//! from a folder instead.

use std::path::Path;

use crate::util::{Reply, Server};

/// `truce serve` in the working directory `cwd`, with absolute data and agreement paths, plus `extra`.
fn serve_in(cwd: &Path, data: &Path, extra: &[&str]) -> Server {
    let agreement = crate::util::agreement();
    let mut args = vec!["serve", "--data-dir", data.to_str().unwrap(), "--agreement", agreement.to_str().unwrap()];
    args.extend(["--listen", "127.0.0.1:0"]);
    args.extend(extra);
    Server::start_in(cwd, &args)
}

fn get(s: &Server, path: &str) -> Reply {
    s.request("GET", path, b"")
}

fn assert_js(r: &Reply, path: &str) {
    assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("text/javascript; charset=utf-8"), "{path}");
    assert!(!r.body.is_empty(), "{path}");
}

#[test]
fn the_binary_serves_the_pages_and_their_packages_from_any_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let s = serve_in(cwd.path(), data.path(), &[]);

    let page = get(&s, "/");
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert_eq!(page.body, include_bytes!("../../../../web/index.html"));

    let leaflet = get(&s, "/vendor/leaflet/dist/leaflet.js");
    assert_js(&leaflet, "leaflet.js");
    assert!(leaflet.body.starts_with(b"/* @preserve\n * Leaflet 1.9.4"), "the leaflet banner");
    assert_eq!(leaflet.header("cache-control"), Some("public, max-age=3600"));
    let icon = get(&s, "/vendor/leaflet/dist/images/marker-icon.png");
    assert_eq!((icon.status, icon.header("content-type")), (200, Some("image/png")));
    assert!(icon.body.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert_js(&get(&s, "/vendor/milsymbol/dist/milsymbol.js"), "milsymbol.js");
    assert_js(&get(&s, "/vendor/mgrs/dist/mgrs.esm.js"), "mgrs.esm.js");
    let css = get(&s, "/vendor/leaflet/dist/leaflet.css");
    assert_eq!((css.status, css.header("content-type")), (200, Some("text/css; charset=utf-8")));

    // Every vendor file the pages name is there.
    for page in ["/", "/coalition.html", "/reports.html", "/app.js", "/coalition.js", "/session.js"] {
        let (status, text) = s.http("GET", page, b"");
        assert_eq!(status, 200, "{page}");
        for (at, _) in text.match_indices("\"vendor/").chain(text.match_indices("'vendor/")) {
            let name = &text[at + 1..];
            let name = &name[..name.find(['"', '\'']).unwrap()];
            assert_eq!(get(&s, &format!("/{name}")).status, 200, "{page} loads {name}");
        }
    }

    for path in [
        "/vendor/leaflet/../../Cargo.toml",
        "/vendor/leaflet/nonexistent.js",
        "/vendor/leaflet/src/Leaflet.js",
        "/vendor/playwright-core/package.json",
        "/vendor/leaflet",
    ] {
        assert_eq!(get(&s, path).status, 404, "{path}");
    }
}

#[test]
fn the_basemap_layers_are_served_from_the_binary_and_an_unknown_layer_is_a_404_naming_the_known_ones() {
    // The demo (it logs in as its admin: the API needs a session), from an empty directory and with
    // --web-dir: that changes where the pages come from, not the geography, which stays embedded.
    let cwd = tempfile::tempdir().unwrap();
    let web = tempfile::tempdir().unwrap();
    let web_dir = web.path().to_str().unwrap();
    let s =
        Server::start_in(cwd.path(), &["demo", "--port", "0", "--days", "1", "--tak-udp", "off", "--web-dir", web_dir]);

    let mut named = std::collections::BTreeMap::new();
    for layer in ["coastline", "rivers", "lakes", "places"] {
        let r = get(&s, &format!("/api/v1/basemap/{layer}"));
        assert_eq!((r.status, r.header("content-type")), (200, Some("application/geo+json")), "{layer}");
        assert_eq!(r.header("cache-control"), Some("private, max-age=3600"), "{layer}");
        let fc: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let names: Vec<String> = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["properties"]["name"].as_str().map(str::to_owned))
            .collect();
        named.insert(layer, names);
    }
    // What a watch officer orients by: the Dnipro and its reservoirs, the towns along the line of contact.
    assert!(named["rivers"].iter().any(|n| n == "Dnipro"), "the Dnipro");
    for lake in ["Kremenchuk Reservoir", "Kakhovka Reservoir", "Kyiv Reservoir"] {
        assert!(named["lakes"].iter().any(|n| n == lake), "{lake}");
    }
    for place in
        ["Kyiv", "Kramatorsk", "Sloviansk", "Pokrovsk", "Zaporizhzhia", "Kherson", "Melitopol", "Mariupol", "Enerhodar"]
    {
        assert!(named["places"].iter().any(|n| n == place), "{place}");
    }

    let (status, body) = s.json("GET", "/api/v1/basemap/roads", b"");
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert_eq!(
        body["error"]["message"], "no basemap layer \"roads\": the layers are coastline, rivers, lakes, places",
        "{body}"
    );
    assert_eq!(get(&s, "/api/v1/basemap/..%2F..%2FCargo.toml").status, 404);
}

#[test]
fn web_dir_serves_the_pages_and_packages_from_a_folder_at_each_request() {
    let cwd = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>edited</title>").unwrap();
    let dist = web.path().join("node_modules/leaflet/dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("leaflet.js"), "/* an edited leaflet */").unwrap();
    let s = serve_in(cwd.path(), data.path(), &["--web-dir", web.path().to_str().unwrap()]);

    let page = get(&s, "/");
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert_eq!(page.body, b"<!doctype html><title>edited</title>");
    let leaflet = get(&s, "/vendor/leaflet/dist/leaflet.js");
    assert_js(&leaflet, "leaflet.js");
    assert_eq!(leaflet.body, b"/* an edited leaflet */");

    // Read at each request: an edit shows without a restart.
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>edited again</title>").unwrap();
    assert_eq!(get(&s, "/").body, b"<!doctype html><title>edited again</title>");

    // Nothing falls back to the embedded copies, and the path checks hold.
    for path in [
        "/app.js",
        "/vendor/milsymbol/dist/milsymbol.js",
        "/vendor/leaflet/../../Cargo.toml",
        "/vendor/leaflet/nonexistent.js",
    ] {
        assert_eq!(get(&s, path).status, 404, "{path}");
    }
}

#[test]
fn an_installed_demo_run_from_an_empty_directory_serves_the_map_the_reports_and_the_coalition() {
    // No data/, no web/ anywhere near: everything the demo shows comes from the binary.
    let cwd = tempfile::tempdir().unwrap();
    let s = Server::start_in(cwd.path(), &["demo", "--port", "0", "--days", "2", "--tak-udp", "off"]);
    for page in [
        "/",
        "/app.js",
        "/basemap.js",
        "/track-worker.js",
        "/reports.html",
        "/coalition.html",
        "/coalition.js",
        "/session.js",
    ] {
        let r = get(&s, page);
        assert_eq!(r.status, 200, "{page}");
        assert!(!r.body.is_empty(), "{page}");
    }
    assert_js(&get(&s, "/vendor/leaflet/dist/leaflet.js"), "/vendor/leaflet/dist/leaflet.js");
    // A worker script is refused under any other type.
    assert_js(&get(&s, "/track-worker.js"), "/track-worker.js");
    let (status, agreement) = s.json("GET", "/api/v1/agreement", b"");
    assert_eq!((status, agreement["id"].as_str()), (200, Some("illustrative-2026")), "{agreement}");
    let (_, geometry) = s.json("GET", "/api/v1/agreement/geometry", b"");
    assert!(geometry["features"].as_array().is_some_and(|f| f.len() > 10), "the zones read from the shipped geometry");
    let (_, basemap) = s.json("GET", "/api/v1/basemap", b"");
    assert_eq!(basemap["features"].as_array().map(Vec::len), Some(8));
    let (_, stats) = s.json("GET", "/api/v1/stats", b"");
    assert!(stats["total"].as_u64().is_some_and(|n| n > 100), "the simulated days: {stats}");
    let (status, summary) = s.json("GET", "/api/v1/coalition/summary", b"");
    assert_eq!(status, 200, "{summary}");
    let nations: Vec<&str> =
        summary["nations"].as_array().into_iter().flatten().filter_map(|n| n["nation"].as_str()).collect();
    assert!(
        nations.len() >= 15 && nations.contains(&"GBR") && nations.contains(&"FRA"),
        "the shipped coalition: {nations:?}"
    );
    let (status, plans) = s.json("GET", "/api/v1/plans", b"");
    assert_eq!(status, 200, "{plans}");
    assert!(plans["plans"].as_array().is_some_and(|p| !p.is_empty()), "the shipped plan: {plans}");
    let (_, warning) = s.json("GET", "/api/v1/warning", b"");
    assert!(warning["sectors"].as_array().is_some_and(|x| x.len() == 6), "the shipped sectors: {warning}");
    let yesterday = (time::OffsetDateTime::now_utc() - time::Duration::days(1)).date();
    let r = get(&s, &format!("/api/v1/reports/daily?date={yesterday}"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("<html"), "an HTML report");
}
