//! `truce demo`: the server on 127.0.0.1 with a fresh data directory, the illustrative agreement, a
//! deterministic simulated week of observations, a live feed and simulated TAK units (the simulator
//! is `truce_node::sources::demo`).

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use truce_node::sources::demo::{self, Demo, DemoConfig};

use truce_access::Role;
use truce_core::Marking;

use crate::args::DemoArgs;
use crate::cmd_serve::{init_logging, start_marti, start_tak, web_dir};
use crate::server::{self, AppState};

pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let settings = crate::config::demo(args)?;
    let mut config = settings.demo.clone();
    if let Some(out) = &args.export {
        return export(&config, settings.store.agreement.as_deref(), out);
    }
    init_logging();
    let tak_config = settings.tak.for_demo(config.port == 0);
    let seed = config.seed;
    // The web port first: when it is taken the demo stops before making anything.
    let http = std::net::TcpListener::bind(("127.0.0.1", config.port))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .with_context(|| format!("cannot listen on 127.0.0.1:{}", config.port))?;
    let dir = config.data_dir.clone().unwrap_or_else(demo::default_data_dir);
    let mut undo = Undo::new(&dir)?;
    config.data_dir = Some(dir);
    let mut demo = Demo::prepare(
        &config,
        settings.store.agreement.as_deref(),
        settings.store.sectors.as_deref(),
        tak_config.certs_dir.as_deref(),
    )?;
    let state = AppState::new(
        demo.node.clone(),
        &demo.data_dir,
        web_dir(settings.http.web_dir.as_deref())?,
        (std::time::Duration::from_secs(settings.http.stall_s), std::time::Duration::from_secs(settings.http.idle_s)),
    )?;
    demo_users(&*demo.node.store, &state.audit)?;
    demo.replay_alerts()?;
    let every = std::time::Duration::from_secs(settings.watch.every_s);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (listener, tracks, tak, marti) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::from_std(http)?;
        let tracks = truce_node::sources::tracks::Tracks::start(&demo.node);
        let tak = start_tak(&state, &tak_config, &demo.data_dir, &tracks).await?;
        let marti = start_marti(&state, &tak_config, &demo.data_dir).await?;
        anyhow::Ok((listener, tracks, tak, marti))
    })?;
    // Everything is bound: the data directory is the demo's from now on.
    undo.keep();
    runtime.block_on(async move {
        let addr = listener.local_addr()?;
        let fmt = truce_formats::when::show;
        outln!(
            "truce demo: {} simulated observations from {} to {} in {}",
            demo.stored,
            fmt(demo.start),
            fmt(demo.end),
            demo.data_dir.display()
        );
        outln!("truce demo: open http://{addr}/");
        let names: Vec<String> =
            DEMO_USERS.iter().map(|u| format!("{} ({} {})", u.0, u.1, u.2.id().replace('_', " "))).collect();
        outln!("truce demo: log in as {} with the password {DEMO_PASSWORD}", names.join(", "));
        std::io::stdout().flush()?;
        let feed = demo.spawn_feed();
        // Ships over AIS and aircraft over ADS-B, into the node's own feeds.
        let ships_and_aircraft = demo::sea_air::start(seed, &demo.data_dir).await?;
        let sea_air = truce_node::sources::sea_air::SeaAir::start(
            &demo.node,
            &tracks,
            tak.as_ref().map(truce_node::sources::tak::Tak::handle),
            truce_detect::Config::demo(),
        )?;
        let ais_config = truce_node::sources::ais::AisConfig {
            connect: vec![ships_and_aircraft.ais.to_string()],
            ..Default::default()
        };
        let ais = truce_node::sources::ais::start(&ais_config, &sea_air).await?;
        // The demo's aircraft come from "the mission's own receiver", labelled NATO RESTRICTED released
        // to NATO, so that the map's classification and nation filters have tracks of two labels: the
        // ships are public AIS, the units anonymous TAK devices (public).
        let adsb_config = truce_node::sources::adsb::AdsbConfig {
            aircraft_json: vec![ships_and_aircraft.aircraft_json.display().to_string()],
            marking: Marking::NatoRestricted,
            releasable_to: vec!["NATO".into()],
            ..Default::default()
        };
        let adsb = truce_node::sources::adsb::start(&adsb_config, &sea_air).await?;
        outln!(
            "truce demo: ships over AIS from {}, aircraft from {}",
            ships_and_aircraft.ais,
            ships_and_aircraft.aircraft_json.display()
        );
        // Simulated units join as TAK clients over TCP (none when that listener is off).
        let units = tak.as_ref().and_then(truce_node::sources::tak::Tak::tcp_addr).map(|a| demo.spawn_units(a));
        let watch = tokio::spawn(truce_node::watch::task::run(demo.node.clone(), every));
        let served = server::serve(listener, state, server::shutdown_signal()).await;
        if let Some(f) = feed {
            f.abort();
        }
        watch.abort();
        drop(units);
        drop((ais, adsb, sea_air, ships_and_aircraft));
        drop(marti);
        drop(tak);
        drop(tracks);
        served.context("the server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// What the demo made in its data directory, removed when it fails to start: the directory when the
/// demo made it, else what it wrote into the empty directory it was given.
struct Undo {
    dir: std::path::PathBuf,
    made: bool,
    armed: bool,
}

impl Undo {
    /// Makes `dir` when it does not exist (saying so); refuses a file, or a directory that is not
    /// empty and not a demo's.
    fn new(dir: &std::path::Path) -> anyhow::Result<Self> {
        let made = truce_node::data_dir::create(dir)?;
        if made {
            crate::args::said_made(dir);
        }
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read the data directory {}", dir.display()))?
            .next()
            .is_none();
        Ok(Self { dir: dir.to_path_buf(), made, armed: made || empty })
    }

    /// The demo started: keep everything.
    fn keep(&mut self) {
        self.armed = false;
    }
}

impl Drop for Undo {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let removed = if self.made {
            std::fs::remove_dir_all(&self.dir)
        } else {
            std::fs::read_dir(&self.dir).and_then(|entries| {
                entries.map_while(Result::ok).try_for_each(|e| {
                    let p = e.path();
                    if p.is_dir() { std::fs::remove_dir_all(p) } else { std::fs::remove_file(p) }
                })
            })
        };
        match removed {
            Ok(()) if self.made => eprintln!("truce demo: removed the data directory {} it made", self.dir.display()),
            Ok(()) => eprintln!("truce demo: emptied the data directory {} again", self.dir.display()),
            Err(e) => eprintln!("truce demo: could not remove what it made in {}: {e}", self.dir.display()),
        }
    }
}

/// The demo's password for every demo user (the demo listens on 127.0.0.1 only).
pub const DEMO_PASSWORD: &str = "ceasefire-demo";

/// The demo's users: name, nation, role, clearance, categories.
const DEMO_USERS: &[(&str, &str, Role, Marking, &[&str])] = &[
    ("admin", "GBR", Role::Admin, Marking::CosmicTopSecret, &["MONITOR-LOCATIONS", "SOURCES", "SIGINT", "COMMISSION"]),
    ("gbr.watch", "GBR", Role::WatchOfficer, Marking::NatoSecret, &["SOURCES"]),
    ("pol.rep", "POL", Role::NationalRep, Marking::NatoRestricted, &[]),
    ("ukr.monitor", "UKR", Role::Monitor, Marking::NatoRestricted, &[]),
    ("ita.analyst", "ITA", Role::Analyst, Marking::NatoConfidential, &["SOURCES"]),
    ("usa.commission", "USA", Role::Commission, Marking::NatoSecret, &["COMMISSION"]),
    ("fra.auditor", "FRA", Role::Auditor, Marking::NatoUnclassified, &[]),
];

/// Adds the demo's users to the store unless they are there (a reused data directory).
fn demo_users(store: &dyn truce_store::UserStore, audit: &truce_audit::AuditLog) -> anyhow::Result<()> {
    let now = time::OffsetDateTime::now_utc();
    for (name, nation, role, clearance, categories) in DEMO_USERS {
        if store.user(name)?.is_some() {
            continue;
        }
        let user = truce_store::User {
            name: (*name).to_owned(),
            nation: (*nation).to_owned(),
            role: *role,
            clearance: *clearance,
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            disabled: false,
            created: now,
            updated: now,
        };
        truce_auth::accounts::add_user(store, &user, DEMO_PASSWORD).with_context(|| format!("demo user {name}"))?;
        let detail = format!("nation {nation}, role {role}, clearance {clearance}, the demo's password");
        let entry = truce_audit::Entry::new(truce_audit::Kind::UserChange, "truce demo", "users add")
            .target(*name)
            .detail(detail);
        audit.append(&entry).with_context(|| format!("audit of demo user {name}"))?;
    }
    Ok(())
}

/// `truce demo --export FILE`: the simulated days as NDJSON observations, one per line, in the API's
/// form (so `truce ingest` loads them).
fn export(config: &DemoConfig, agreement: Option<&std::path::Path>, out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let mut w: Box<dyn Write> = if out.as_os_str() == "-" {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        Box::new(std::io::BufWriter::new(
            std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
        ))
    };
    let n = demo::export(config, agreement, &mut w).with_context(|| format!("cannot write {}", out.display()))?;
    if out.as_os_str() != "-" {
        eprintln!("truce demo: {n} simulated observations written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}
