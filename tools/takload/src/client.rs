//! The clients of one shard: connect, negotiate TAK protocol v1, announce, send on schedule, read
//! and count.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use memchr::memmem;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use truce_cot::event::{Contact, Group, Remarks, Status, Takv, Track};
use truce_cot::{Detail, Event, Point};

use crate::scan::{Scanner, mark_text};
use crate::stats::{Histogram, Receipt, Receipts, Seen};
use crate::{Args, Proto};

/// Bytes read at a time per connection (the server writes at most 64 KiB at once).
const READ_BUF: usize = 32 * 1024;
/// The XML declaration TAK clients put before every event.
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>";
/// Error messages kept for the JSON.
const MAX_ERRORS: usize = 20;

/// When things happen, the same for every shard (set once every shard has connected).
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Every client sends its announcement.
    pub announce: Instant,
    /// The window opens: senders start their positions.
    pub w0: Instant,
    /// No position is scheduled from here on.
    pub w1: Instant,
    /// The drain ends: clients stop reading and close.
    pub end: Instant,
}

/// What the shards share: the arguments, the run and the meeting point after connecting.
pub struct Shared {
    /// The command line.
    pub args: Args,
    /// The run's id, in every uid and mark.
    pub run: String,
    /// Every shard waits here once connected; the leader sets the schedule.
    pub barrier: tokio::sync::Barrier,
    /// Set by the barrier's leader.
    pub schedule: OnceLock<Schedule>,
    /// Told the schedule, for the sampler.
    pub schedule_tx: Mutex<Option<std::sync::mpsc::Sender<Schedule>>>,
}

impl Shared {
    /// Sequence numbers a sender can use, plus one (they start at 1).
    fn seqs(&self) -> usize {
        (self.args.rate * self.args.duration).ceil() as usize + 2
    }
}

/// What one shard counted.
#[derive(Debug, Default)]
pub struct ShardResult {
    /// Window events sent, per sender of this shard.
    pub sent: u64,
    /// Their bytes.
    pub sent_bytes: u64,
    /// Positions sent more than a second after their time.
    pub late_sends: u64,
    /// When the last window event was sent.
    pub last_send: Option<Instant>,
    /// What listener 0 received.
    pub listener: Receipts,
    /// Listener 0's latencies.
    pub listener_latency: Histogram,
    /// What the senders received from each other.
    pub fanout: Receipts,
    /// The senders' latencies.
    pub fanout_latency: Histogram,
    /// Connections that could not be made.
    pub connect_failures: u64,
    /// Connections lost before the end.
    pub disconnects: u64,
    /// Sessions that negotiated TAK protocol v1.
    pub proto_ok: u64,
    /// Sessions that asked for it and stayed on XML.
    pub proto_fallback: u64,
    /// Senders still connected at the end.
    pub senders_alive: u64,
    /// Listeners still connected at the end.
    pub listeners_alive: u64,
    /// The first errors.
    pub errors: Vec<String>,
    /// When this shard had connected everyone.
    pub connected: Option<Instant>,
}

impl ShardResult {
    fn error(&mut self, e: String) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Sender,
    Listener,
}

/// One connected client before it starts.
struct Conn {
    role: Role,
    idx: usize,
    reader: OwnedReadHalf,
    writer: OwnedWriteHalf,
    /// Bytes read while negotiating, after the server's response.
    leftover: Vec<u8>,
    tak1: bool,
}

/// Who a client is.
struct Identity {
    role: Role,
    idx: usize,
    uid: String,
    callsign: String,
}

impl Identity {
    fn new(role: Role, idx: usize, run: &str) -> Self {
        let (r, upper) = if role == Role::Sender { ('s', 'S') } else { ('l', 'L') };
        let short = &run[run.len().saturating_sub(4)..];
        Identity { role, idx, uid: format!("takload-{run}-{r}{idx}"), callsign: format!("TL{short}-{upper}{idx}") }
    }
}

/// Runs shard `shard` of `shards` to the end of the drain (inside a `LocalSet`).
pub async fn run(shared: Arc<Shared>, shard: usize, shards: usize) -> ShardResult {
    let args = &shared.args;
    let result = Rc::new(RefCell::new(ShardResult::default()));
    let mut members: Vec<(Role, usize)> = (0..args.listeners).map(|i| (Role::Listener, i)).collect();
    members.extend((0..args.clients).map(|i| (Role::Sender, i)));
    let mut position = 0usize;
    let gap = if args.connect_rate > 0.0 {
        Duration::from_secs_f64(shards as f64 / args.connect_rate)
    } else {
        Duration::ZERO
    };
    let mut pending = tokio::task::JoinSet::new();
    for (role, idx) in members {
        position += 1;
        if (position - 1) % shards != shard {
            continue;
        }
        let connect = tokio::time::timeout(
            Duration::from_secs_f64(args.connect_timeout),
            TcpStream::connect((args.host.as_str(), args.port)),
        );
        match connect.await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                let (reader, writer) = stream.into_split();
                let conn = Conn { role, idx, reader, writer, leftover: Vec::new(), tak1: false };
                let shared = shared.clone();
                pending.spawn_local(async move { negotiate(&shared, conn).await });
            }
            Ok(Err(e)) => {
                let mut r = result.borrow_mut();
                r.connect_failures += 1;
                r.error(format!("{role:?}{idx} connect: {e}"));
            }
            Err(_) => {
                let mut r = result.borrow_mut();
                r.connect_failures += 1;
                r.error(format!("{role:?}{idx} connect: timed out"));
            }
        }
        if !gap.is_zero() {
            tokio::time::sleep(gap).await;
        }
    }
    let mut conns = Vec::new();
    while let Some(done) = pending.join_next().await {
        match done {
            Ok(Ok(conn)) => {
                let mut r = result.borrow_mut();
                if args.proto == Proto::Tak1 {
                    if conn.tak1 { r.proto_ok += 1 } else { r.proto_fallback += 1 }
                }
                conns.push(conn);
            }
            Ok(Err(e)) => {
                let mut r = result.borrow_mut();
                r.disconnects += 1;
                r.error(e);
            }
            Err(e) => result.borrow_mut().error(format!("negotiation task: {e}")),
        }
    }
    result.borrow_mut().connected = Some(Instant::now());

    if shared.barrier.wait().await.is_leader() {
        let announce = Instant::now() + Duration::from_secs_f64(args.announce_delay);
        let w0 = announce + Duration::from_secs_f64(args.warmup);
        let w1 = w0 + Duration::from_secs_f64(args.duration);
        let schedule = Schedule { announce, w0, w1, end: w1 + Duration::from_secs_f64(args.drain) };
        let _ = shared.schedule.set(schedule);
        if let Some(tx) = shared.schedule_tx.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            let _ = tx.send(schedule);
        }
    }
    shared.barrier.wait().await;
    let Some(&schedule) = shared.schedule.get() else { return ShardResult::default() };

    let scanner = Rc::new(Scanner::new(&shared.run));
    let mut tasks = tokio::task::JoinSet::new();
    let mut rng = SplitMix(args.seed ^ (shard as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for conn in conns {
        let phase = rng.unit();
        let Conn { role, idx, reader, writer, leftover, tak1 } = conn;
        let identity = Rc::new(Identity::new(role, idx, &shared.run));
        tasks.spawn_local(read_loop(
            shared.clone(),
            result.clone(),
            scanner.clone(),
            identity.clone(),
            reader,
            leftover,
            schedule,
        ));
        tasks.spawn_local(send_loop(shared.clone(), result.clone(), identity, writer, tak1, phase, schedule));
    }
    while tasks.join_next().await.is_some() {}
    Rc::try_unwrap(result).map(RefCell::into_inner).unwrap_or_default()
}

/// For TAK protocol v1: waits for the server's offer, requests version 1 and waits for the answer
/// (a refusal or silence leaves the client on XML, counted as a fallback). Bytes that follow the
/// answer are kept for the reader.
async fn negotiate(shared: &Shared, mut conn: Conn) -> Result<Conn, String> {
    if shared.args.proto != Proto::Tak1 {
        return Ok(conn);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(shared.args.negotiate_timeout);
    let mut buf = Vec::new();
    let name = format!("{:?}{}", conn.role, conn.idx);
    let Some(offer_end) = read_until_event(&mut conn.reader, &mut buf, b"t-x-takp-v", 0, deadline)
        .await
        .map_err(|e| format!("{name} negotiate: {e}"))?
    else {
        return Ok(conn);
    };
    let request = truce_cot::frame::request_event("takload", OffsetDateTime::now_utc(), 1);
    let request = format!("{XML_DECL}{}", truce_cot::xml::to_xml(&request));
    conn.writer.write_all(request.as_bytes()).await.map_err(|e| format!("{name} negotiate: {e}"))?;
    let Some(end) = read_until_event(&mut conn.reader, &mut buf, b"t-x-takp-r", offer_end, deadline)
        .await
        .map_err(|e| format!("{name} negotiate: {e}"))?
    else {
        return Ok(conn);
    };
    let response = &buf[offer_end..end];
    conn.tak1 =
        memmem::find(response, b"status=\"true\"").is_some() || memmem::find(response, b"status='true'").is_some();
    conn.leftover = buf[end..].to_vec();
    Ok(conn)
}

/// Reads until `buf[from..]` holds an event containing `needle` and its `</event>`; the offset just
/// after that, or `None` at the deadline.
async fn read_until_event(
    reader: &mut OwnedReadHalf,
    buf: &mut Vec<u8>,
    needle: &[u8],
    from: usize,
    deadline: tokio::time::Instant,
) -> std::io::Result<Option<usize>> {
    let mut chunk = vec![0u8; 4096];
    loop {
        if let Some(at) = memmem::find(&buf[from..], needle)
            && let Some(close) = memmem::find(&buf[from + at..], b"</event>")
        {
            return Ok(Some(from + at + close + b"</event>".len()));
        }
        let n = match tokio::time::timeout_at(deadline, reader.read(&mut chunk)).await {
            Err(_) => return Ok(None),
            Ok(r) => r?,
        };
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed by the server"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads until the end of the drain, counting every mark of the run.
async fn read_loop(
    shared: Arc<Shared>,
    result: Rc<RefCell<ShardResult>>,
    scanner: Rc<Scanner>,
    who: Rc<Identity>,
    mut reader: OwnedReadHalf,
    leftover: Vec<u8>,
    schedule: Schedule,
) {
    let mut seen = Seen::new(shared.args.clients, shared.seqs());
    let mut receipts = Receipts::default();
    let mut buf = vec![0u8; READ_BUF.max(leftover.len() + 4096)];
    let mut filled = leftover.len();
    buf[..filled].copy_from_slice(&leftover);
    let end = tokio::time::sleep_until(schedule.end.into());
    tokio::pin!(end);
    let counts_latency = who.role == Role::Sender || who.idx == 0;
    let mut lost = None;
    loop {
        let now_us = unix_us();
        {
            let mut r = result.borrow_mut();
            let r = &mut *r;
            let latency = if who.role == Role::Listener { &mut r.listener_latency } else { &mut r.fanout_latency };
            let done = scanner.scan(&buf[..filled], |m| {
                if who.role == Role::Sender && m.sender as usize == who.idx {
                    receipts.echo += 1;
                    return;
                }
                match seen.receive(m.sender, m.seq) {
                    Receipt::New => {
                        receipts.unique += 1;
                        if counts_latency {
                            latency.record(now_us.saturating_sub(m.ts_us));
                        }
                    }
                    Receipt::Duplicate => receipts.dups += 1,
                    Receipt::Unknown => receipts.unknown += 1,
                }
            });
            buf.copy_within(done..filled, 0);
            filled -= done;
            if filled == buf.len() {
                // Nothing but an endless would-be mark: drop it rather than stall.
                filled = 0;
            }
        }
        if lost.is_some() {
            break;
        }
        tokio::select! {
            read = reader.read(&mut buf[filled..]) => match read {
                Ok(0) => lost = Some("closed by the server".to_owned()),
                Ok(n) => filled += n,
                Err(e) => lost = Some(e.to_string()),
            },
            () = &mut end => break,
        }
    }
    let mut r = result.borrow_mut();
    match who.role {
        Role::Listener if who.idx == 0 => r.listener.add(&receipts),
        Role::Listener => {}
        Role::Sender => r.fanout.add(&receipts),
    }
    match lost {
        Some(why) => {
            r.disconnects += 1;
            r.error(format!("{:?}{} read: {why}", who.role, who.idx));
        }
        None if who.role == Role::Listener => r.listeners_alive += 1,
        None => r.senders_alive += 1,
    }
}

/// Announces the client, then (a sender) sends a position at every tick of the window, and keeps
/// the connection open until the end of the drain.
async fn send_loop(
    shared: Arc<Shared>,
    result: Rc<RefCell<ShardResult>>,
    who: Rc<Identity>,
    mut writer: OwnedWriteHalf,
    tak1: bool,
    phase: f64,
    schedule: Schedule,
) {
    let args = &shared.args;
    let (lat0, lon0) = (50.45 + (who.idx % 100) as f64 * 0.001, 30.52 + (who.idx / 100) as f64 * 0.001);
    tokio::time::sleep_until(schedule.announce.into()).await;
    let role = if who.role == Role::Sender { "sender" } else { "listener" };
    let announce = encode(&event(args, &who, lat0, lon0, unix_us(), format!("takload-init {role} {}", who.idx)), tak1);
    if let Err(e) = writer.write_all(&announce).await {
        result.borrow_mut().error(format!("{:?}{} announce: {e}", who.role, who.idx));
        return;
    }
    if who.role == Role::Sender {
        let period = Duration::from_secs_f64(1.0 / args.rate);
        let mut next = schedule.w0 + period.mul_f64(phase);
        let mut seq = 0u32;
        while next < schedule.w1 {
            let now = Instant::now();
            if next > now {
                tokio::time::sleep_until(next.into()).await;
            } else if now - next > Duration::from_secs(1) {
                result.borrow_mut().late_sends += 1;
            }
            seq += 1;
            let ts = unix_us();
            let lat = lat0 + f64::from(seq) * 1e-6;
            let bytes = encode(&event(args, &who, lat, lon0, ts, mark_text(&shared.run, who.idx, seq, ts)), tak1);
            if let Err(e) = writer.write_all(&bytes).await {
                result.borrow_mut().error(format!("{:?}{} write: {e}", who.role, who.idx));
                return;
            }
            let mut r = result.borrow_mut();
            r.sent += 1;
            r.sent_bytes += bytes.len() as u64;
            r.last_send = Some(Instant::now());
            next += period;
        }
    }
    // Closing the writing half now would end the session before the drain.
    tokio::time::sleep_until(schedule.end.into()).await;
}

/// Now, µs since the Unix epoch.
fn unix_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
}

/// A position event with what a TAK client puts in its SA: contact, group, takv, track, status.
fn event(args: &Args, who: &Identity, lat: f64, lon: f64, ts_us: u64, remarks: String) -> Event {
    let now = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts_us) * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let text = |s: &str| Some(s.to_owned());
    Event {
        version: "2.0".to_owned(),
        uid: who.uid.clone(),
        type_: args.cot_type.clone(),
        how: "m-g".to_owned(),
        time: now,
        start: now,
        stale: now + time::Duration::seconds(args.stale),
        access: None,
        qos: None,
        opex: None,
        point: Point { lat, lon, hae: 150.0, ce: 10.0, le: 10.0 },
        detail: Detail {
            contact: Some(Contact { callsign: Some(who.callsign.clone()), endpoint: text("*:-1:stcp"), phone: None }),
            group: Some(Group { name: Some(args.group.clone()), role: text("Team Member") }),
            takv: Some(Takv {
                device: text("takload"),
                platform: text("takload"),
                os: text("linux"),
                version: text("1.0"),
            }),
            status: Some(Status { battery: Some(90) }),
            track: Some(Track { course: Some(90.0), speed: Some(1.5) }),
            remarks: Some(Remarks { text: remarks, ..Remarks::default() }),
            ..Detail::default()
        },
    }
}

/// An event as an XML document, or as a TAK protocol v1 stream frame.
fn encode(ev: &Event, tak1: bool) -> Vec<u8> {
    if tak1 && let Ok(m) = truce_cot::tak::event_to_message(ev) {
        return truce_cot::frame::encode_stream_frame(&m);
    }
    format!("{XML_DECL}{}", truce_cot::xml::to_xml(ev)).into_bytes()
}

/// SplitMix64: the senders' phases, reproducible from `--seed`.
struct SplitMix(u64);

impl SplitMix {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}
