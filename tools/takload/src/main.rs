//! takload: a load generator and fan-out meter for TAK servers, the Rust counterpart of the shared
//! `cotbench.py`, cheap enough to drive a thousand clients from the same two cores as the server.
//!
//! # Method (cotbench's)
//!
//! N *senders* and one *listener* connect over TCP (rate-limited, `--connect-rate`); with
//! `--proto tak1` each waits for the server's `t-x-takp-v` offer, sends a `t-x-takp-q` request for
//! version 1 and waits for `t-x-takp-r`, then speaks `0xBF <varint> <TakMessage>` frames. Every
//! client announces itself with an SA event (contact, `__group`, takv, track, status), the way a TAK
//! client does; after `--warmup` the window opens and every sender sends a position at `--rate` Hz on
//! an absolute schedule (a random phase per sender, from `--seed`) for `--duration` seconds. Every
//! position carries `takload r=<run> c=<sender> seq=<n> ts=<unix µs>` in its remarks. After the
//! window, the clients keep reading for `--drain` seconds: what has not arrived by then is lost.
//!
//! Every client reads and counts: the listener receives every sender's events (its loss and
//! latency are the headline figures, as cotbench's), and each sender receives the other N−1's (full
//! fan-out: expected = sent × (N−1), counted per receipt with a bitmap per receiver, so duplicates
//! are not deliveries). Latency is receive time − the embedded send time, the receive time taken
//! once per read; it is kept for every receipt (listener and senders apart) in fixed histograms
//! (10 µs buckets to 100 ms, 1 ms beyond), so percentiles cover every event, not a sample.
//!
//! The server's CPU (cores, between the window's start and end) and memory (RSS and PSS, sampled
//! every `--sample-interval`) come from `/proc` for `--server-pid` and its descendants; the
//! generator's own CPU and the whole host's are measured over the same window, so what else ran is
//! visible (`other_busy_cores`). The JSON has cotbench's fields, plus the fan-out's own loss and
//! latency and the generator's threads (`listener_non_bench_events` is null: events are not decoded).
//!
//! # Why it is cheap
//!
//! Nothing received is decoded: one SIMD substring search (`memchr::memmem`) over the raw bytes
//! finds the marks in XML and in protobuf alike (remarks travel as XML text inside `xmlDetail`),
//! and a receipt costs a bitmap bit and a histogram increment. Clients are spread over `--threads`
//! shards (1 by default), each a single-threaded tokio runtime with no locks or atomics on the hot
//! path: the shards meet once, after connecting, to agree on the schedule, and merge their counts at
//! the end. Events are encoded with `truce-cot` (a thousand a second at 1 Hz).

mod client;
mod procfs;
mod scan;
mod stats;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, ValueEnum};
use serde_json::{Map, Value, json};

use crate::client::{Schedule, ShardResult, Shared};
use crate::stats::{Histogram, Receipts, round2};

/// The wire format the clients speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Proto {
    /// CoT XML documents back to back (TAK protocol "version 0").
    Xml,
    /// TAK protocol version 1 streaming, negotiated.
    #[value(alias = "proto")]
    Tak1,
}

/// Load generator and fan-out meter for TAK servers (the method of cotbench.py, in Rust).
#[derive(Debug, Parser)]
#[command(version)]
pub struct Args {
    /// The server's host.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The server's plain TCP CoT port.
    #[arg(long, default_value_t = 8087)]
    pub port: u16,
    /// Sending clients.
    #[arg(long = "clients", short = 'n', default_value_t = 10)]
    pub clients: usize,
    /// Listen-only clients (listener 0 measures loss and latency).
    #[arg(long, default_value_t = 1)]
    pub listeners: usize,
    /// Events per second per sender.
    #[arg(long, default_value_t = 1.0)]
    pub rate: f64,
    /// Measurement window, s.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Seconds between the announcements and the window.
    #[arg(long, default_value_t = 5.0)]
    pub warmup: f64,
    /// Seconds to keep reading after the window.
    #[arg(long, default_value_t = 5.0)]
    pub drain: f64,
    /// New connections per second (over all threads).
    #[arg(long, default_value_t = 50.0)]
    pub connect_rate: f64,
    /// Seconds a connection may take.
    #[arg(long, default_value_t = 10.0)]
    pub connect_timeout: f64,
    /// Seconds to wait after the last connection before the announcements.
    #[arg(long, default_value_t = 0.0)]
    pub announce_delay: f64,
    /// `xml`, or `tak1` (alias `proto`): TAK protocol v1 after negotiation.
    #[arg(long, value_enum, default_value = "xml")]
    pub proto: Proto,
    /// Seconds to wait for each step of the negotiation.
    #[arg(long, default_value_t = 5.0)]
    pub negotiate_timeout: f64,
    /// The senders' CoT type.
    #[arg(long, default_value = "a-f-G-U-C")]
    pub cot_type: String,
    /// The clients' `__group`.
    #[arg(long, default_value = "Cyan")]
    pub group: String,
    /// Stale offset of the events, s.
    #[arg(long, default_value_t = 120)]
    pub stale: i64,
    /// A server process to sample (its descendants too); repeatable.
    #[arg(long)]
    pub server_pid: Vec<u32>,
    /// Seconds between memory samples of the server.
    #[arg(long, default_value_t = 1.0)]
    pub sample_interval: f64,
    /// A label for the JSON.
    #[arg(long, default_value = "")]
    pub label: String,
    /// The run's id (random by default): only marks of this run count.
    #[arg(long)]
    pub run_id: Option<String>,
    /// Seed of the senders' phases.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the result JSON here too.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
    /// Threads (shards of clients), each a single-threaded runtime.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.duration > 0.0 && args.duration <= 600.0, "--duration must be in (0, 600] s");
    anyhow::ensure!(args.rate > 0.0, "--rate must be positive");
    anyhow::ensure!(args.clients > 0 && args.threads > 0, "--clients and --threads must be at least 1");
    let run = args.run_id.clone().unwrap_or_else(|| {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
        format!("{:06}", (nanos ^ std::process::id().rotate_left(16)) % 1_000_000)
    });
    let threads = args.threads;
    let (schedule_tx, schedule_rx) = std::sync::mpsc::channel();
    let shared = Arc::new(Shared {
        args,
        run,
        barrier: tokio::sync::Barrier::new(threads),
        schedule: OnceLock::new(),
        schedule_tx: Mutex::new(Some(schedule_tx)),
    });
    let t0 = Instant::now();
    let mut handles = Vec::new();
    for shard in 0..threads {
        let shared = shared.clone();
        let handle = std::thread::Builder::new().name(format!("takload-{shard}")).spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let local = tokio::task::LocalSet::new();
            anyhow::Ok(local.block_on(&rt, client::run(shared, shard, threads)))
        })?;
        handles.push(handle);
    }
    let sampled = sample(&shared.args, &schedule_rx);
    let mut shards = Vec::new();
    for h in handles {
        shards.push(h.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??);
    }
    let result = report(&shared, t0, &shards, sampled.as_ref());
    let text = serde_json::to_string_pretty(&result)?;
    println!("{text}");
    if let Some(path) = &shared.args.json {
        std::fs::write(path, format!("{text}\n")).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// What the sampler saw over the window.
struct Sampled {
    schedule: Schedule,
    server: Option<(procfs::Snapshot, procfs::Snapshot, procfs::Snapshot)>,
    own_cpu: f64,
    host: (procfs::Host, procfs::Host),
}

/// Samples the server every `--sample-interval` until the end of the drain, marking the window's
/// start and end; the third snapshot holds the maxima of RSS, PSS and process count.
fn sample(args: &Args, schedule_rx: &std::sync::mpsc::Receiver<Schedule>) -> Option<Sampled> {
    let interval = Duration::from_secs_f64(args.sample_interval.max(0.05));
    let pids = &args.server_pid;
    let mut max: Option<procfs::Snapshot> = None;
    let mut keep_max = |s: &procfs::Snapshot| {
        let m = max.get_or_insert_with(|| s.clone());
        m.rss = m.rss.max(s.rss);
        m.pss = m.pss.max(s.pss);
        m.nproc = m.nproc.max(s.nproc);
    };
    let schedule = loop {
        if !pids.is_empty() {
            keep_max(&procfs::snapshot(pids));
        }
        match schedule_rx.recv_timeout(interval) {
            Ok(s) => break s,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return None,
        }
    };
    let sleep_until = |t: Instant| std::thread::sleep(t.saturating_duration_since(Instant::now()));
    sleep_until(schedule.w0);
    let (a, own0, host0) = (procfs::snapshot(pids), procfs::own_cpu_seconds(), procfs::host());
    let mut b = None;
    let (mut own1, mut host1) = (own0, host0);
    let mut t = schedule.w0;
    while t < schedule.end {
        t += interval;
        let at_w1 = b.is_none() && t >= schedule.w1;
        if at_w1 {
            t = schedule.w1;
        }
        sleep_until(t);
        let s = procfs::snapshot(pids);
        if !pids.is_empty() {
            keep_max(&s);
        }
        if at_w1 {
            (own1, host1) = (procfs::own_cpu_seconds(), procfs::host());
            b = Some(s);
        }
    }
    let window = schedule.w1.duration_since(schedule.w0).as_secs_f64();
    let server = match (pids.is_empty(), b, max) {
        (false, Some(b), Some(max)) => Some((a, b, max)),
        _ => None,
    };
    Some(Sampled { schedule, server, own_cpu: (own1 - own0) / window, host: (host0, host1) })
}

/// The result JSON, with cotbench's fields first.
fn report(shared: &Shared, t0: Instant, shards: &[ShardResult], sampled: Option<&Sampled>) -> Value {
    let args = &shared.args;
    let (mut listener, mut fanout) = (Receipts::default(), Receipts::default());
    let (mut lis_lat, mut fan_lat) = (Histogram::default(), Histogram::default());
    let sum = |f: fn(&ShardResult) -> u64| shards.iter().map(f).sum::<u64>();
    for s in shards {
        listener.add(&s.listener);
        fanout.add(&s.fanout);
        lis_lat.merge(&s.listener_latency);
        fan_lat.merge(&s.fanout_latency);
    }
    let sent = sum(|s| s.sent);
    let sent_bytes = sum(|s| s.sent_bytes);
    let w0 = sampled.map(|s| s.schedule.w0);
    let last = shards.iter().filter_map(|s| s.last_send).max();
    let window = match (w0, last, sampled) {
        (Some(w0), Some(last), Some(s)) => last.max(s.schedule.w1).duration_since(w0).as_secs_f64(),
        _ => 0.0,
    };
    let connected = shards.iter().filter_map(|s| s.connected).max();
    let per_s = |n: u64| if window > 0.0 { round2(n as f64 / window) } else { 0.0 };
    let pct = |n: u64, of: u64| (of > 0).then(|| (1000.0 * 100.0 * n as f64 / of as f64).round() / 1000.0);
    let expected = sent * (args.clients as u64).saturating_sub(1);
    let errors: Vec<&String> = shards.iter().flat_map(|s| &s.errors).take(20).collect();
    let mut r = Map::new();
    let mut put = |k: &str, v: Value| {
        r.insert(k.to_owned(), v);
    };
    put("generator", json!("takload"));
    put("target", json!(format!("{}:{}", args.host, args.port)));
    put("label", json!(args.label));
    put("run_id", json!(shared.run));
    put("proto_requested", json!(if args.proto == Proto::Tak1 { "tak1" } else { "xml" }));
    put("proto_negotiated_ok", json!(sum(|s| s.proto_ok)));
    put("proto_fallback_xml", json!(sum(|s| s.proto_fallback)));
    put("clients", json!(args.clients));
    put("listeners", json!(args.listeners));
    put("rate_per_client_hz", json!(args.rate));
    put("window_s", json!(round2(window)));
    put("connect_s", json!(connected.map(|c| round2(c.duration_since(t0).as_secs_f64()))));
    put("announce_delay_s", json!(args.announce_delay));
    put("connect_failures", json!(sum(|s| s.connect_failures)));
    put("disconnects", json!(sum(|s| s.disconnects)));
    put("senders_alive_at_end", json!(sum(|s| s.senders_alive)));
    put("listeners_alive_at_end", json!(sum(|s| s.listeners_alive)));
    put("offered_msgs", json!(sent));
    put("offered_rate", json!(per_s(sent)));
    put("offered_bytes_per_msg", json!(if sent > 0 { round2(sent_bytes as f64 / sent as f64) } else { 0.0 }));
    put("late_sends", json!(sum(|s| s.late_sends)));
    put("listener_unique", json!(listener.unique));
    put("listener_dups", json!(listener.dups));
    put("listener_rate", json!(per_s(listener.unique)));
    put("listener_loss_pct", json!(pct(sent.saturating_sub(listener.unique), sent)));
    put("listener_non_bench_events", Value::Null);
    put("latency_ms_p50", json!(lis_lat.percentile_ms(50.0)));
    put("latency_ms_p95", json!(lis_lat.percentile_ms(95.0)));
    put("latency_ms_p99", json!(lis_lat.percentile_ms(99.0)));
    put("latency_ms_max", json!(lis_lat.max_ms()));
    put("fanout_expected", json!(expected));
    put("fanout_received", json!(fanout.unique + fanout.dups));
    put("fanout_delivery_pct", json!(pct(fanout.unique + fanout.dups, expected).map(round2)));
    put("fanout_rate", json!(per_s(fanout.unique + fanout.dups)));
    put("self_echo_received", json!(fanout.echo));
    put("fanout_unique", json!(fanout.unique));
    put("fanout_dups", json!(fanout.dups));
    put("fanout_loss_pct", json!(pct(expected.saturating_sub(fanout.unique), expected)));
    put("fanout_latency_ms_p50", json!(fan_lat.percentile_ms(50.0)));
    put("fanout_latency_ms_p95", json!(fan_lat.percentile_ms(95.0)));
    put("fanout_latency_ms_p99", json!(fan_lat.percentile_ms(99.0)));
    put("fanout_latency_ms_max", json!(fan_lat.max_ms()));
    put("unknown_marks", json!(listener.unknown + fanout.unknown));
    put("harness_threads", json!(args.threads));
    put("harness_cpu_cores", json!(sampled.map(|s| round3(s.own_cpu))));
    put("errors", json!(errors));
    if let Some(s) = sampled {
        let host = procfs::host_busy_cores(&s.host.0, &s.host.1);
        put("host_ncpu", json!(s.host.1.ncpu));
        put("host_busy_cores", json!(round3(host)));
        put("host_loadavg1_end", json!(procfs::loadavg1()));
        if let Some((a, b, max)) = &s.server {
            let server = procfs::cores_between(a, b);
            let mib = |bytes: u64| (bytes as f64 / 1048576.0 * 10.0).round() / 10.0;
            put("server_cpu_cores", json!(round3(server)));
            put("server_rss_mb_max", json!(mib(max.rss)));
            put("server_pss_mb_max", json!(mib(max.pss)));
            put("server_rss_mb_before", json!(mib(a.rss)));
            put("server_nproc_max", json!(max.nproc));
            put("other_busy_cores", json!(round3(host - server - s.own_cpu)));
        }
    }
    Value::Object(r)
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}
