//! `truce demo`: the server on 127.0.0.1 with a fresh data directory, the illustrative agreement, a
//! deterministic simulated week of observations, and a live feed that goes on at a realistic rate
//! (`--speed` multiplies it). See [`scenario`] for the story.

pub mod scenario;
pub mod tak_units;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use time::{Duration, OffsetDateTime};
use truce_core::StoredObservation;

use crate::cli::DemoArgs;
use crate::server::{self, AppState};
use crate::setup;

pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    if let Some(out) = &args.export {
        return export(args, out);
    }
    crate::cmd_serve::init_logging();
    let data_dir = match &args.data_dir {
        Some(d) => {
            if d.join(truce_store::DATABASE_FILE).exists() {
                anyhow::bail!(
                    "{} already holds a store; the demo needs a fresh directory (or none: it makes one)",
                    d.display()
                );
            }
            d.clone()
        }
        None => std::env::temp_dir().join(format!(
            "truce-demo-{}-{}",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp()
        )),
    };
    let agreement_path = args.agreement.clone().unwrap_or_else(|| PathBuf::from(setup::DEFAULT_AGREEMENT));
    let (store, agreement) = setup::open(&data_dir, Some(&agreement_path))?;
    crate::cmd_coalition::import_shipped(&store).context("cannot import the shipped coalition (data/coalition)")?;
    // A CA and server certificate of its own, so TAK clients can join over TLS too
    // (`truce certs issue --data-dir DIR --callsign NAME` then makes a client's).
    if args.tak.certs_dir.is_none() {
        truce_pki::CertStore::new(data_dir.join("certs"))
            .init(&truce_pki::InitOptions::default())
            .context("cannot make the demo's certificates")?;
    }
    let line = demo_line(&agreement)?;

    let now = OffsetDateTime::now_utc();
    let start = start_of(args, now);
    let end = start + Duration::days(args.days);
    let mut scenario = scenario::Scenario::new(&line, args.seed, start);
    let week = scenario.hours(24 * args.days);
    let received_at = now;
    let batch: Vec<StoredObservation> = week
        .into_iter()
        .map(|observation| {
            let classification = agreement.classify_record(&observation);
            StoredObservation { observation, classification, received_at }
        })
        .collect();
    let stored = batch.len();
    {
        use truce_store::ObservationStore;
        store.insert(&batch).context("cannot store the simulated week")?;
    }
    let sectors = setup::load_sectors(None, &agreement)?;
    // The alerts the watch would have raised over the simulated days, hour by hour.
    let picture = crate::watch::replay(&store, &agreement, &sectors, &batch, start, end.min(now))
        .context("cannot assess the simulated days")?;
    let web = crate::cmd_serve::web_dir(args.web_dir.as_deref())?;
    let state = AppState::new(store, agreement, sectors, web);
    if let Ok(mut w) = state.warning.write() {
        *w = picture;
    }

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        let tak = server::tak::start(&state, &server::tak::demo_args(&args.tak, args.port == 0), &data_dir).await?;
        let addr = listener.local_addr()?;
        let fmt = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        println!(
            "truce demo: {stored} simulated observations from {} to {} in {}",
            fmt(start),
            fmt(end),
            data_dir.display()
        );
        println!("truce demo: open http://{addr}/");
        std::io::stdout().flush()?;
        let feed = tokio::spawn(feed(state.clone(), scenario, args.speed, args.days));
        // Simulated units join as TAK clients over TCP (none when that listener is off).
        let units = tak
            .as_ref()
            .and_then(server::tak::Tak::tcp_addr)
            .map(|addr| tak_units::spawn(addr, tak_units::units(&line, args.seed)));
        let watch = tokio::spawn(server::watch::watch_task(state.clone(), std::time::Duration::from_secs(60)));
        let served = server::serve(listener, state, server::shutdown_signal()).await;
        feed.abort();
        watch.abort();
        drop(units);
        drop(tak);
        served.context("the server failed")
    })?;
    Ok(ExitCode::SUCCESS)
}

/// When the simulated days start: `--start`, else `--days` before the current hour.
fn start_of(args: &DemoArgs, now: OffsetDateTime) -> OffsetDateTime {
    args.start.unwrap_or_else(|| {
        let hour = now
            .replace_minute(0)
            .and_then(|t| t.replace_second(0))
            .and_then(|t| t.replace_nanosecond(0))
            .unwrap_or(now);
        hour - Duration::days(args.days)
    })
}

/// `truce demo --export FILE`: the simulated days as NDJSON observations, one per line, in the API's
/// form (so `truce ingest` loads them).
fn export(args: &DemoArgs, out: &std::path::Path) -> anyhow::Result<ExitCode> {
    let agreement_path = args.agreement.clone().unwrap_or_else(|| PathBuf::from(setup::DEFAULT_AGREEMENT));
    let agreement = setup::load_agreement(&agreement_path)?;
    let line = demo_line(&agreement)?;
    let start = start_of(args, OffsetDateTime::now_utc());
    let days = scenario::Scenario::new(&line, args.seed, start).hours(24 * args.days);
    let mut w: Box<dyn Write> = if out.as_os_str() == "-" {
        Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
    } else {
        Box::new(std::io::BufWriter::new(
            std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
        ))
    };
    for o in &days {
        serde_json::to_writer(&mut w, o)?;
        w.write_all(b"\n")?;
    }
    w.flush().with_context(|| format!("cannot write {}", out.display()))?;
    if out.as_os_str() != "-" {
        eprintln!("truce demo: {} simulated observations written to {}", days.len(), out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The line the demo's sectors are cut from: the agreement's `loc`, else its first line.
pub fn demo_line(agreement: &truce_engine::Agreement) -> anyhow::Result<Vec<truce_geo::LonLat>> {
    agreement
        .lines
        .iter()
        .find(|l| l.id == "loc")
        .or_else(|| agreement.lines.first())
        .map(|l| l.parts[0].clone())
        .context("the agreement has no line")
}

/// Plays the scenario on from where the simulated week ended: each observation is released when its
/// time comes (scaled by `speed`), stamped with the time it is released, stored and streamed.
async fn feed(state: AppState, mut scenario: scenario::Scenario, speed: f64, days: i64) {
    let began = tokio::time::Instant::now();
    let epoch = OffsetDateTime::now_utc();
    let mut hour_index = 24 * days;
    loop {
        let hour_start = scenario_hour_start(&scenario, hour_index);
        for mut observation in scenario.hour(hour_start) {
            let offset = (observation.time - scenario_hour_start(&scenario, 24 * days)).as_seconds_f64().max(0.0);
            let due = began + std::time::Duration::from_secs_f64(offset / speed.max(0.001));
            tokio::time::sleep_until(due).await;
            let released = epoch + (tokio::time::Instant::now() - began);
            observation.time = released.replace_nanosecond(0).unwrap_or(released);
            let classification = state.agreement.classify_record(&observation);
            let stored = StoredObservation { observation, classification, received_at: released };
            if let Err(e) = server::store_and_publish(&state, vec![stored]).await {
                tracing::error!("demo feed: cannot store an observation: {e}");
            }
        }
        hour_index += 1;
    }
}

fn scenario_hour_start(s: &scenario::Scenario, hour_index: i64) -> OffsetDateTime {
    s.start() + Duration::hours(hour_index)
}
