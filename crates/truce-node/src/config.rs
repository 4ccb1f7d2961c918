//! The configuration file of `truce serve` and `truce demo` (docs/config.md): one TOML file whose
//! sections are the node's (`[store]`, `[watch]`) and its feeds' (`[http]`, `[tak]`, `[ais]`,
//! `[adsb]`, `[files]`, `[demo]`), each section the serde struct that lives beside its feed's runtime.
//!
//! Loading parses the file into those structs and then checks what a type cannot say (that a file it
//! names exists). **Every** problem is reported at once as `FILE:LINE: key: reason`, unknown keys
//! included: the loader (`truce_formats::config`) records a problem for each entry that does not deserialize,
//! removes it and tries again, so one mistake never hides the next; values that are out of range are
//! refused while they are read, with their line. Relative paths in the file are relative to the
//! file's folder, so a configuration can be moved with the files it names.
//!
//! What the command line and the `TRUCE_*` variables give overrides the file (the binary applies
//! them); [`ConfigFile::to_toml`] prints the effective result (`truce config check`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use truce_formats::config::{Problem, key_line, line_of};

use crate::sources::adsb::AdsbConfig;
use crate::sources::ais::AisConfig;
use crate::sources::demo::DemoConfig;
use crate::sources::files::FilesConfig;
use crate::sources::http::HttpConfig;
use crate::sources::tak::TakConfig;
use crate::sources::{Listen, SourceConfig};

/// `[store]`: where the data is and which rules apply.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The data directory (made if missing).
    pub data_dir: PathBuf,
    /// The agreement file; by default the one the data directory was last used with, else the
    /// illustrative agreement shipped with truce.
    pub agreement: Option<PathBuf>,
    /// The early-warning and reporting sectors (default: the shipped sectors when they fit the
    /// agreement, else the agreement's first line cut every 50 km).
    pub sectors: Option<PathBuf>,
    /// The PostgreSQL/PostGIS database the records are kept in (`postgres://…`); by default the data
    /// directory's embedded store.
    pub url: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self { data_dir: PathBuf::from("./truce-data"), agreement: None, sectors: None, url: None }
    }
}

/// `[bus]`: the nodes this one forms a system with.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusConfig {
    /// The NATS servers of the JetStream cluster (`nats://host:port`); empty: this node alone.
    #[serde(deserialize_with = "nats_urls")]
    pub nats: Vec<String>,
    /// Replicas of the event stream and the lease bucket (1 to 5; at most the JetStream servers).
    #[serde(deserialize_with = "replicas")]
    pub replicas: usize,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self { nats: Vec::new(), replicas: 1 }
    }
}

/// Checks one NATS server URL (`--nats`, `bus.nats`): `nats://HOST:PORT` (or `tls://`).
pub fn check_nats_url(u: &str) -> Result<String, String> {
    let u = u.trim();
    let rest = u
        .strip_prefix("nats://")
        .or_else(|| u.strip_prefix("tls://"))
        .ok_or_else(|| format!("{u:?} is not a NATS server URL (nats://HOST:PORT)"))?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(format!("{u:?} names no server (nats://HOST:PORT)"));
    }
    Ok(u.to_owned())
}

/// Checks `--nats-replicas` and `bus.replicas`.
pub fn check_replicas(n: usize) -> Result<usize, String> {
    if (1..=5).contains(&n) { Ok(n) } else { Err(format!("{n} is not from 1 to 5")) }
}

fn nats_urls<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|u| check_nats_url(u))
        .collect::<Result<_, _>>()
        .map_err(serde::de::Error::custom)
}

fn replicas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    check_replicas(usize::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// `[watch]`: early warning.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchConfig {
    /// Seconds between two assessments of the picture (alerts are raised when a level changes; 1 to
    /// 86,400).
    #[serde(deserialize_with = "every_s")]
    pub every_s: u64,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self { every_s: 60 }
    }
}

/// Checks `--watch-every` and `watch.every_s`.
pub fn check_every_s(n: u64) -> Result<u64, String> {
    if (1..=86_400).contains(&n) { Ok(n) } else { Err(format!("{n} is not from 1 to 86,400")) }
}

fn every_s<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    check_every_s(u64::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// The whole file; every section is optional and every key has a default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    /// `[store]`.
    pub store: StoreConfig,
    /// `[watch]`.
    pub watch: WatchConfig,
    /// `[bus]`.
    pub bus: BusConfig,
    /// `[http]`.
    pub http: HttpConfig,
    /// `[tak]`.
    pub tak: TakConfig,
    /// `[ais]`.
    pub ais: AisConfig,
    /// `[adsb]`.
    pub adsb: AdsbConfig,
    /// `[files]`.
    pub files: FilesConfig,
    /// `[demo]`.
    pub demo: DemoConfig,
    /// Which TAK listeners were given an address (in the file, or by a flag or variable).
    #[serde(skip)]
    pub tak_given: TakGiven,
}

/// Which TAK listeners were given an address: the others follow the HTTP listener's host
/// ([`ConfigFile::tak_on_http_host`]). Not part of the settings' value: two configurations with the
/// same settings are equal however they were written.
#[derive(Debug, Clone, Copy, Default)]
pub struct TakGiven {
    /// `tak.tcp` or `--tak-tcp`.
    pub tcp: bool,
    /// `tak.udp` or `--tak-udp`.
    pub udp: bool,
}

impl PartialEq for TakGiven {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Largest configuration file read, bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Every problem of a configuration file (at least one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} problem{} in the configuration", .0.len(), if .0.len() == 1 { "" } else { "s" })]
pub struct ConfigErrors(pub Vec<Problem>);

impl ConfigFile {
    /// Reads and checks a configuration file.
    ///
    /// # Errors
    /// Every problem of the file, each with its line and key.
    pub fn load(path: &Path) -> Result<Self, ConfigErrors> {
        let name = path.display().to_string();
        let refuse = |line: usize, reason: String| {
            ConfigErrors(vec![Problem { file: name.clone(), line, key: String::new(), reason }])
        };
        let bytes = std::fs::read(path).map_err(|e| refuse(1, format!("cannot read: {e}")))?;
        if bytes.len() > MAX_FILE_BYTES {
            return Err(refuse(
                1,
                format!("{} bytes; a configuration file is at most {MAX_FILE_BYTES} bytes", bytes.len()),
            ));
        }
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            let at = e.valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            refuse(line, format!("not UTF-8 (byte {} of the file)", at + 1))
        })?;
        Self::from_toml(text, &name, path.parent().unwrap_or(Path::new("")))
    }

    /// Reads and checks configuration text; `file` names it in problems and relative paths are
    /// resolved against `base`.
    ///
    /// # Errors
    /// Every problem, each with its line and key.
    pub fn from_toml(text: &str, file: &str, base: &Path) -> Result<Self, ConfigErrors> {
        let (value, mut problems) = truce_formats::config::load::<ConfigFile>(text, file);
        let Some(mut config) = value else { return Err(ConfigErrors(problems)) };
        config.resolve(base, text);
        config.tak_given =
            TakGiven { tcp: key_line(text, &["tak", "tcp"]).is_some(), udp: key_line(text, &["tak", "udp"]).is_some() };
        let mut problem = |path: &[&str], reason: String| {
            problems.push(Problem {
                file: file.to_owned(),
                line: key_line(text, path).unwrap_or(1),
                key: path.join("."),
                reason,
            });
        };
        for (path, file) in
            [(&["store", "agreement"][..], &config.store.agreement), (&["store", "sectors"][..], &config.store.sectors)]
        {
            if let Some(f) = file
                && !f.is_file()
            {
                problem(path, format!("{} is not a file", f.display()));
            }
        }
        if let Some(d) = &config.http.web_dir
            && !d.is_dir()
        {
            problem(&["http", "web_dir"], format!("{} is not a folder", d.display()));
        }
        for f in &config.files.paths {
            if !f.is_file() {
                problem(&["files", "paths"], format!("{} is not a file", f.display()));
            }
        }
        for (path, files) in [(&["ais", "files"][..], &config.ais.files), (&["adsb", "files"][..], &config.adsb.files)]
        {
            for f in files {
                if !f.is_file() {
                    problem(path, format!("{} is not a file", f.display()));
                }
            }
        }
        for doc in &config.adsb.aircraft_json {
            if doc.starts_with("https://") {
                problem(&["adsb", "aircraft_json"], format!("{doc}: only http:// URLs (or files) can be polled"));
            }
        }
        if let (Some(tcp), Ok(http)) = (config.tak.tcp.addr(), config.http.listen.parse::<std::net::SocketAddr>())
            && tcp.port() != 0
            && tcp.port() == http.port()
            && (tcp.ip() == http.ip() || tcp.ip().is_unspecified() || http.ip().is_unspecified())
        {
            // Named at whichever of the two keys the file wrote.
            let path: &[&str] =
                if key_line(text, &["tak", "tcp"]).is_some() { &["tak", "tcp"] } else { &["http", "listen"] };
            problem(path, format!("TAK's TCP listener {tcp} and the HTTP listener {http} take the same port"));
        }
        problems.sort_by_key(|p| p.line);
        if problems.is_empty() { Ok(config) } else { Err(ConfigErrors(problems)) }
    }

    /// Makes the relative paths written in the file relative to `base` (the file's folder); defaults
    /// stay relative to the working directory, as without a file.
    fn resolve(&mut self, base: &Path, text: &str) {
        let at = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if key_line(text, &["store", "data_dir"]).is_some() {
            at(&mut self.store.data_dir);
        }
        for p in [
            &mut self.store.agreement,
            &mut self.store.sectors,
            &mut self.http.web_dir,
            &mut self.tak.certs_dir,
            &mut self.demo.data_dir,
        ]
        .into_iter()
        .flatten()
        {
            at(p);
        }
        self.files.paths.iter_mut().for_each(at);
        self.ais.files.iter_mut().for_each(at);
        self.adsb.files.iter_mut().for_each(at);
        for doc in &mut self.adsb.aircraft_json {
            if !doc.starts_with("http://") && !doc.starts_with("https://") && Path::new(doc.as_str()).is_relative() {
                *doc = base.join(doc.as_str()).display().to_string();
            }
        }
    }

    /// Binds the TAK listeners whose address was not given, and that would listen on every interface,
    /// to the HTTP listener's host instead: a server whose web side is on loopback does not open TAK
    /// to the network unless told to. The TLS listener follows the TCP one's host.
    pub fn tak_on_http_host(&mut self) {
        use std::net::ToSocketAddrs;
        let Some(host) = self.http.listen.to_socket_addrs().ok().and_then(|mut a| a.next()).map(|a| a.ip()) else {
            return;
        };
        let follow = |l: &mut Listen| {
            if let Listen::At(a) = l
                && a.ip().is_unspecified()
            {
                a.set_ip(host);
            }
        };
        if !self.tak_given.tcp {
            follow(&mut self.tak.tcp);
        }
        if !self.tak_given.udp {
            follow(&mut self.tak.udp);
        }
    }

    /// The feeds `truce serve` runs with this configuration: the HTTP API always, TAK unless every
    /// listener is off, AIS and ADS-B when they have an input, files when some are named.
    pub fn serve_sources(&self) -> Vec<SourceConfig> {
        let mut out = vec![SourceConfig::Http(self.http.clone())];
        let tak_on = self.tak.tcp.addr().is_some()
            || self.tak.udp.addr().is_some()
            || self.tak.tls.is_none_or(|l| l.addr().is_some());
        if tak_on {
            out.push(SourceConfig::Tak(self.tak.clone()));
        }
        if self.ais.is_on() {
            out.push(SourceConfig::Ais(self.ais.clone()));
        }
        if self.adsb.is_on() {
            out.push(SourceConfig::Adsb(self.adsb.clone()));
        }
        if !self.files.paths.is_empty() {
            out.push(SourceConfig::Files(self.files.clone()));
        }
        out
    }

    /// The effective configuration as TOML, every key with its value (absent optional keys are
    /// left out).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot print the configuration: {e}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match ConfigFile::from_toml(text, "truce.toml", Path::new("/nonexistent-base")) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn tak_listeners_not_given_bind_the_http_host() {
        let mut c = ConfigFile::from_toml("[http]\nlisten = \"127.0.0.1:8080\"\n", "t", Path::new("/")).expect("valid");
        c.tak_on_http_host();
        assert_eq!((c.tak.tcp.to_string(), c.tak.udp.to_string()), ("127.0.0.1:8087".into(), "127.0.0.1:6969".into()));
        let text = "[http]\nlisten = \"127.0.0.1:8080\"\n[tak]\ntcp = \"0.0.0.0:8087\"\n";
        let mut c = ConfigFile::from_toml(text, "t", Path::new("/")).expect("valid");
        c.tak_on_http_host();
        assert_eq!(c.tak.tcp.to_string(), "0.0.0.0:8087", "an address written is kept");
        assert_eq!(c.tak.udp.to_string(), "127.0.0.1:6969");
    }

    #[test]
    fn three_mistakes_give_three_lines_in_file_order() {
        let text = "[watch]\nevery_s = \"often\"\n\n[tak]\ntcpp = \"0.0.0.0:8087\"\nflush_ms = 5000\n";
        assert_eq!(
            problems(text),
            [
                "truce.toml:2: watch.every_s: invalid type: string \"often\", expected u64",
                "truce.toml:5: tak.tcpp: unknown field `tcpp`, expected one of `tcp`, `tls`, `udp`, `api`, `enrol`, `max_upload_mib`, `multicast`, `certs_dir`, `channels`, `queue`, `flush_ms`, `anonymous_nation`, `anonymous_clearance`",
                "truce.toml:6: tak.flush_ms: 5000 is not from 0 to 1,000",
            ]
        );
    }

    #[test]
    fn a_stall_of_no_time_or_over_an_hour_is_named() {
        assert_eq!(problems("[http]\nstall_s = 0\n"), ["truce.toml:2: http.stall_s: 0 is not from 1 to 3,600"]);
        assert_eq!(problems("[http]\nstall_s = 3601\n"), ["truce.toml:2: http.stall_s: 3601 is not from 1 to 3,600"]);
        let c = ConfigFile::from_toml("[http]\nstall_s = 5\n", "t", Path::new("/")).expect("valid");
        assert_eq!((c.http.stall_s, ConfigFile::default().http.stall_s), (5, 60));
    }

    #[test]
    fn an_idle_time_of_nothing_or_over_an_hour_is_named() {
        assert_eq!(problems("[http]\nidle_s = 0\n"), ["truce.toml:2: http.idle_s: 0 is not from 1 to 3,600"]);
        assert_eq!(problems("[http]\nidle_s = 3601\n"), ["truce.toml:2: http.idle_s: 3601 is not from 1 to 3,600"]);
        assert_eq!(problems("[http]\nidle_s = \"ten\"\n").len(), 1, "not a number");
        let c = ConfigFile::from_toml("[http]\nidle_s = 5\n", "t", Path::new("/")).expect("valid");
        assert_eq!((c.http.idle_s, ConfigFile::default().http.idle_s), (5, 30));
    }

    #[test]
    fn a_bus_that_is_not_nats_or_has_too_many_replicas_is_named() {
        let text = "[bus]\nnats = [\"nats://127.0.0.1:4222\", \"http://127.0.0.1:4222\"]\nreplicas = 9\n";
        assert_eq!(
            problems(text),
            [
                "truce.toml:2: bus.nats: \"http://127.0.0.1:4222\" is not a NATS server URL (nats://HOST:PORT)",
                "truce.toml:3: bus.replicas: 9 is not from 1 to 5",
            ]
        );
        assert_eq!(
            problems("[bus]\nnats = [\"nats://\"]\n"),
            ["truce.toml:2: bus.nats: \"nats://\" names no server (nats://HOST:PORT)"]
        );
    }

    #[test]
    fn a_missing_file_and_an_unknown_section_are_named_with_their_lines() {
        let text = "[store]\nagreement = \"nope.toml\"\n\n[nats]\nurl = \"x\"\n";
        let got = problems(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].starts_with("truce.toml:2: store.agreement: /nonexistent-base/nope.toml is not a file"),
            "{got:?}"
        );
        assert!(got[1].starts_with("truce.toml:4: nats: unknown field `nats`"), "{got:?}");
    }

    #[test]
    fn the_tak_port_may_not_be_the_http_port() {
        let got = problems("[http]\nlisten = \"127.0.0.1:8087\"\n");
        assert_eq!(
            got,
            [
                "truce.toml:2: http.listen: TAK's TCP listener 0.0.0.0:8087 and the HTTP listener 127.0.0.1:8087 take the same port"
            ]
        );
    }

    #[test]
    fn an_empty_file_is_the_defaults_and_relative_paths_follow_the_file() {
        let c = ConfigFile::from_toml("", "t", Path::new("/etc/truce")).expect("valid");
        assert_eq!(c.store.data_dir, Path::new("./truce-data"), "a default stays where it was");
        let c = ConfigFile::from_toml("[store]\ndata_dir = \"data\"\n", "t", Path::new("/etc/truce")).expect("valid");
        assert_eq!(c.store.data_dir, Path::new("/etc/truce/data"), "a path written in the file follows it");
        assert_eq!((c.watch.every_s, c.tak.tcp), (60, Listen::At(([0, 0, 0, 0], 8087).into())));
        let kinds: Vec<&str> = c.serve_sources().iter().map(SourceConfig::name).collect();
        assert_eq!(kinds, ["http", "tak"]);
        let back = ConfigFile::from_toml(&c.to_toml(), "t", Path::new("/")).expect("the printed form loads");
        assert_eq!(back, c);
    }

    #[test]
    fn the_example_of_docs_config_md_loads_and_names_every_key() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs");
        let text = std::fs::read_to_string(docs.join("config.md")).expect("docs/config.md");
        let after = text.split("## A complete example").nth(1).expect("the example's section");
        let example = after.split("```toml\n").nth(1).and_then(|s| s.split("```").next()).expect("a toml block");
        let c = ConfigFile::from_toml(example, "docs/config.md", &docs)
            .unwrap_or_else(|e| panic!("{}", e.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")));
        assert_eq!(c.demo.speed, 60.0);
        assert_eq!(c.tak.udp, Listen::Off);
        assert_eq!(
            c.files.read_options(),
            truce_formats::ingest::ReadOptions {
                date_order: Some(truce_formats::ingest::DateOrder::Dmy),
                encoding: Some(truce_formats::ingest::Encoding::Utf8)
            }
        );
        // Every key the configuration has is in the example: what it prints back has the same keys.
        let keys = |t: &toml::Table| -> Vec<String> {
            t.iter()
                .flat_map(|(section, v)| {
                    v.as_table().into_iter().flat_map(move |inner| inner.keys().map(move |k| format!("{section}.{k}")))
                })
                .collect()
        };
        let written: toml::Table = example.parse().expect("TOML");
        let printed: toml::Table = c.to_toml().parse().expect("TOML");
        assert_eq!(keys(&written), keys(&printed));
        // And every key is documented in a table row of its own.
        for key in keys(&printed) {
            let name = key.rsplit('.').next().unwrap_or_default();
            assert!(text.contains(&format!("| `{name}` |")), "{key} has no row in docs/config.md");
        }
    }
}
