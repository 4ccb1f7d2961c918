//! The bus of several nodes: NATS JetStream.
//!
//! Nodes that share one store and one JetStream cluster form one system. [`NatsBus`] is a
//! [`LocalBus`] (this node's viewers get its own events at once, as on a single node, also while
//! NATS is unreachable) joined to the cluster in both directions:
//!
//! - **Out.** Every event published here, and every event relayed ([`Bus::relay`]: for the other
//!   nodes only, such as a TAK device's message this node's TAK server has routed), is queued (at
//!   most [`QUEUE`] events; beyond that the cluster misses them and `truce_nats_dropped_total`
//!   counts them) for a task that publishes it
//!   to JetStream as [`crate::envelope`] encodes it: its subject by type and sector, its label in a
//!   header, a content-derived `Nats-Msg-Id`. The task pipelines up to [`WINDOW`] messages and waits
//!   (at most [`ACK_WAIT`] for the whole window) for each one's acknowledgement (the stream stored it
//!   on a majority of its replicas); a message that is not acknowledged (a server died, the cluster
//!   is electing a leader) is sent again with the same id until it is, so JetStream's duplicate
//!   window makes the retry a no-op if the first one was stored after all.
//! - **In.** A pull consumer of its own on the stream, from the next new message (made before the
//!   node serves anyone, so a viewer who connects gets what other nodes publish from then on), with explicit
//!   acknowledgement: each message is decoded, skipped if this node published it, skipped if its id
//!   was among the last [`SEEN`] delivered (a redelivery after a lost acknowledgement), and otherwise
//!   handed to the local bus, where each viewer's subscription filters it with its label, as it does
//!   this node's own events; then it is acknowledged. When the consumer fails (the server it lives on
//!   died: [`HEARTBEAT`]s missed), a new one starts after the last stream sequence delivered, so
//!   nothing in between is missed; making it is asked for again every [`CONSUMER_WAIT`] until the
//!   cluster answers (it does not while it elects a new leader of the stream).
//! - **Live.** A TAK position relayed for the other nodes' devices ([`crate::TakRelay::Position`])
//!   is not stored in the stream but published as a plain NATS message on `truce.live.tak._`, which
//!   every node subscribes to: at most once, in order, and on whatever server is up, so positions go
//!   on crossing while the stream elects a leader (seconds when its leader dies). A position lost with
//!   a dying server is superseded by the next one; everything else a device sends (chat, directed
//!   messages, tasks, markers) goes on the stream and is never lost.
//! - **Leases.** [`Bus::leads`] answers from a JetStream key-value lease (`truce_leases`, one key per
//!   task): the node holding the key renews it every [`LEASE`]/3; a key not renewed for [`LEASE`]
//!   expires and another node creates it. So the watch task, which raises alerts, runs on one node at
//!   a time and another takes over within about [`LEASE`] when that node dies.
//!
//! The stream (`TRUCE_EVENTS`, subjects `truce.ev.>`, file storage, the replicas asked for, the last
//! hour kept, a two-minute duplicate window) and the lease bucket are created by the first node and
//! joined by the others.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer, kv, stream};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use truce_access::Access;

use crate::bus::{Bus, LocalBus, Subscription};
use crate::{Event, NodeError, envelope};

/// Events waiting to be published to the cluster before new ones are dropped.
pub const QUEUE: usize = 65_536;

/// Messages published before waiting for their acknowledgements.
pub const WINDOW: usize = 256;

/// Message ids remembered to recognise a redelivery.
pub const SEEN: usize = 65_536;

/// How long the publisher waits for the acknowledgements of a window of messages before it sends
/// those not acknowledged again (with their ids: JetStream stores a message once however often it
/// is sent within its duplicate window).
pub const ACK_WAIT: Duration = Duration::from_secs(1);

/// The longest pause before sending again what was not acknowledged (the pause doubles from 50 ms
/// while the cluster does not acknowledge): short, since a live device's next position is due within
/// a second, and long enough not to spin while a majority of the servers is down.
pub const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// How long making a consumer may take before it is asked for again: while the servers elect a new
/// leader of the stream (its leader died) the request goes unanswered, and the client's own timeout
/// (10 s) would hold up every other node's events that long after the election.
pub const CONSUMER_WAIT: Duration = Duration::from_secs(2);

/// The consumer's idle heartbeat: two missed (the server holding it died) and a new one is made.
pub const HEARTBEAT: Duration = Duration::from_millis(500);

/// How long a lease lasts without being renewed.
pub const LEASE: Duration = Duration::from_secs(6);

/// The stream every event goes on.
pub const STREAM: &str = "TRUCE_EVENTS";

/// The key-value bucket of the leases.
pub const LEASES: &str = "truce_leases";

/// The task leases this bus keeps (see [`Bus::leads`]).
pub const TASKS: &[&str] = &["watch"];

/// How a node joins the cluster.
#[derive(Debug, Clone)]
pub struct NatsConfig {
    /// The servers (`nats://host:port`); the client connects to one and fails over to the others.
    pub urls: Vec<String>,
    /// This node's name, unique in the cluster (the origin of its events and the holder of its
    /// leases).
    pub node: String,
    /// Replicas of the stream and the lease bucket (at most the number of JetStream servers).
    pub replicas: usize,
}

/// The bus of a node in a cluster (see the module documentation).
pub struct NatsBus {
    local: LocalBus,
    out: mpsc::Sender<Arc<Event>>,
    live: mpsc::Sender<Arc<Event>>,
    leads: Arc<AtomicBool>,
    node: Arc<str>,
}

impl std::fmt::Debug for NatsBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsBus").field("node", &self.node).finish_non_exhaustive()
    }
}

fn nats_error(what: &str, e: impl std::fmt::Display) -> NodeError {
    NodeError::Invalid(format!("NATS: {what}: {e}"))
}

impl NatsBus {
    /// Connects to the cluster, creates or joins the stream and the lease bucket, and starts the
    /// tasks that carry events both ways and keep the leases (on the current tokio runtime).
    ///
    /// # Errors
    /// When no server answers, or the stream or bucket cannot be created or joined (for example more
    /// replicas than JetStream servers); the message names the URLs and the reason.
    pub async fn connect(config: NatsConfig) -> Result<Self, NodeError> {
        let urls = config.urls.join(",");
        let client = async_nats::ConnectOptions::new()
            .name(format!("truce {}", config.node))
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(5))
            .connect(config.urls.as_slice())
            .await
            .map_err(|e| nats_error(&format!("connecting to {urls}"), e))?;
        // `retry_on_initial_connect` returns at once: wait for the first server to answer.
        tokio::time::timeout(Duration::from_secs(10), client.flush())
            .await
            .map_err(|_| nats_error(&format!("connecting to {urls}"), "no server answered within 10 s"))?
            .map_err(|e| nats_error(&format!("connecting to {urls}"), e))?;
        let js = jetstream::new(client.clone());
        let stream = js
            .get_or_create_stream(stream::Config {
                name: STREAM.into(),
                subjects: vec![format!("{}.>", envelope::SUBJECT_PREFIX)],
                storage: stream::StorageType::File,
                num_replicas: config.replicas,
                max_age: Duration::from_secs(3600),
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .map_err(|e| nats_error(&format!("the stream {STREAM} on {urls}"), e))?;
        // The bucket's stream is made here, in the layout of a key-value bucket, because the
        // client's `create_key_value` first reads account details nats-server 2.9 does not send.
        js.get_or_create_stream(stream::Config {
            name: format!("KV_{LEASES}"),
            subjects: vec![format!("$KV.{LEASES}.>")],
            max_messages_per_subject: 1,
            max_age: LEASE,
            duplicate_window: LEASE,
            storage: stream::StorageType::File,
            num_replicas: config.replicas,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            ..Default::default()
        })
        .await
        .map_err(|e| nats_error(&format!("the lease bucket {LEASES} on {urls}"), e))?;
        let leases = js
            .get_key_value(LEASES)
            .await
            .map_err(|e| nats_error(&format!("the lease bucket {LEASES} on {urls}"), e))?;
        let local = LocalBus::new();
        let node: Arc<str> = Arc::from(config.node.as_str());
        let (out, rx) = mpsc::channel(QUEUE);
        tokio::spawn(publish(js.clone(), rx, node.clone()));
        let (live, live_rx) = mpsc::channel(QUEUE);
        let heard = client
            .subscribe(format!("{}.>", envelope::LIVE_PREFIX))
            .await
            .map_err(|e| nats_error(&format!("subscribing on {urls}"), e))?;
        tokio::spawn(receive_live(heard, local.clone(), node.clone()));
        tokio::spawn(publish_live(client, live_rx, node.clone()));
        // The first consumer exists before the node serves anyone: what another node publishes once
        // this one is up reaches its viewers.
        let start = stream.get_info().await.map_err(|e| nats_error(&format!("the stream {STREAM} on {urls}"), e))?;
        let start = start.state.last_sequence + 1;
        let first =
            consume(&stream, start).await.map_err(|e| nats_error(&format!("consuming {STREAM} on {urls}"), e))?;
        tokio::spawn(receive(stream, first, start, local.clone(), node.clone()));
        let leads = Arc::new(AtomicBool::new(false));
        tokio::spawn(lease(leases, TASKS[0], node.clone(), leads.clone()));
        Ok(Self { local, out, live, leads, node })
    }

    /// This node's name in the cluster.
    pub fn node(&self) -> &str {
        &self.node
    }
}

impl Bus for NatsBus {
    fn publish(&self, event: Event) {
        let event = Arc::new(event);
        self.local.publish_shared(event.clone());
        if self.out.try_send(event).is_err() {
            metrics::counter!("truce_nats_dropped_total").increment(1);
        }
    }

    fn relays(&self) -> bool {
        true
    }

    fn relay(&self, event: Event) {
        let queue = if matches!(&event.kind, crate::EventKind::Tak(r) if r.is_live()) { &self.live } else { &self.out };
        if queue.try_send(Arc::new(event)).is_err() {
            metrics::counter!("truce_nats_dropped_total").increment(1);
        }
    }

    fn subscribe(&self, access: Access) -> Subscription {
        self.local.subscribe(access)
    }

    fn has_subscribers(&self) -> bool {
        true
    }

    fn leads(&self, task: &str) -> bool {
        TASKS.contains(&task) && self.leads.load(Ordering::Relaxed)
    }
}

/// The message of one event, ready to send again.
struct Outgoing {
    envelope: envelope::Envelope,
    headers: HeaderMap,
}

impl Outgoing {
    fn new(e: &Event, node: &str) -> Self {
        let envelope = envelope::encode(e);
        let mut headers = HeaderMap::new();
        headers.insert(envelope::LABEL_HEADER, envelope.label.as_str());
        headers.insert(envelope::ORIGIN_HEADER, node);
        Self { envelope, headers }
    }

    fn message(&self) -> jetstream::message::PublishMessage {
        jetstream::message::PublishMessage::build()
            .payload(self.envelope.body.clone().into())
            .headers(self.headers.clone())
            .message_id(&self.envelope.id)
    }
}

/// Publishes what the node queues, [`WINDOW`] messages at a time, until each one is acknowledged.
async fn publish(js: jetstream::Context, mut rx: mpsc::Receiver<Arc<Event>>, node: Arc<str>) {
    let mut batch = Vec::with_capacity(WINDOW);
    let mut pending: Vec<Outgoing> = Vec::with_capacity(WINDOW);
    let mut backoff = Duration::from_millis(50);
    loop {
        if pending.is_empty() {
            if rx.recv_many(&mut batch, WINDOW).await == 0 {
                return;
            }
            pending.extend(batch.drain(..).map(|e| Outgoing::new(&e, &node)));
        }
        let mut acks = Vec::with_capacity(pending.len());
        for (i, m) in pending.iter().enumerate() {
            match js.send_publish(m.envelope.subject.clone(), m.message()).await {
                Ok(ack) => acks.push((i, ack)),
                Err(e) => tracing::debug!("NATS: publishing {} failed, will retry: {e}", m.envelope.subject),
            }
        }
        let mut stored = vec![false; pending.len()];
        // One deadline for the window: an acknowledgement lost with a server that died holds up
        // what follows for at most ACK_WAIT, not the client's own timeout once per message.
        let deadline = tokio::time::Instant::now() + ACK_WAIT;
        for (i, ack) in acks {
            match tokio::time::timeout_at(deadline, ack).await {
                Ok(Ok(_)) => stored[i] = true,
                Ok(Err(e)) => tracing::debug!("NATS: no acknowledgement, will retry: {e}"),
                Err(_) => tracing::debug!("NATS: no acknowledgement within {ACK_WAIT:?}, will retry"),
            }
        }
        metrics::counter!("truce_nats_published_total").increment(stored.iter().filter(|s| **s).count() as u64);
        let mut stored = stored.into_iter();
        pending.retain(|_| !stored.next().unwrap_or(false));
        if pending.is_empty() {
            backoff = Duration::from_millis(50);
        } else {
            metrics::counter!("truce_nats_retries_total").increment(pending.len() as u64);
            tracing::warn!("NATS: {} event(s) not acknowledged, sending them again in {backoff:?}", pending.len());
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Publishes what is carried live (TAK positions) as plain NATS messages: no stream, no
/// acknowledgement, no retry. A message the server this node is connected to had not passed on when
/// it died is lost; the device's next position follows within a second.
async fn publish_live(client: async_nats::Client, mut rx: mpsc::Receiver<Arc<Event>>, node: Arc<str>) {
    while let Some(e) = rx.recv().await {
        let m = Outgoing::new(&e, &node);
        let mut headers = m.headers;
        headers.insert(async_nats::header::NATS_MESSAGE_ID, m.envelope.id.as_str());
        match client.publish_with_headers(m.envelope.subject, headers, m.envelope.body.into()).await {
            Ok(()) => metrics::counter!("truce_nats_live_published_total").increment(1),
            Err(err) => {
                metrics::counter!("truce_nats_dropped_total").increment(1);
                tracing::debug!("NATS: a live message was not sent: {err}");
            }
        }
    }
}

/// Delivers every other node's live messages to this node's TAK server, for as long as the process
/// runs (the client subscribes again after a reconnection).
async fn receive_live(mut heard: async_nats::Subscriber, local: LocalBus, node: Arc<str>) {
    let mut seen = Seen { order: VecDeque::with_capacity(SEEN), set: HashSet::with_capacity(SEEN) };
    while let Some(m) = heard.next().await {
        deliver(&m, &local, &node, &mut seen);
    }
}

/// Ids of recently delivered messages.
struct Seen {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl Seen {
    /// Whether `id` is new (and remembers it).
    fn first(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.order.len() == SEEN
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.order.push_back(id.to_owned());
        self.set.insert(id.to_owned());
        true
    }
}

/// A new consumer of the stream for this node from the message `start_sequence` on, and its
/// messages.
async fn consume(stream: &stream::Stream, start_sequence: u64) -> Result<consumer::pull::Stream, String> {
    let c = stream
        .create_consumer(consumer::pull::Config {
            deliver_policy: consumer::DeliverPolicy::ByStartSequence { start_sequence },
            ack_policy: consumer::AckPolicy::Explicit,
            ack_wait: Duration::from_secs(10),
            max_ack_pending: 20_000,
            inactive_threshold: Duration::from_secs(60),
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    c.stream()
        .max_messages_per_batch(1000)
        .heartbeat(HEARTBEAT)
        .expires(Duration::from_secs(5))
        .messages()
        .await
        .map_err(|e| e.to_string())
}

/// Delivers every other node's events to this node's viewers, for as long as the process runs.
async fn receive(
    stream: stream::Stream,
    first: consumer::pull::Stream,
    mut next: u64,
    local: LocalBus,
    node: Arc<str>,
) {
    let mut seen = Seen { order: VecDeque::with_capacity(SEEN), set: HashSet::with_capacity(SEEN) };
    let mut backoff = Duration::from_millis(100);
    let mut current = Some(first);
    loop {
        let mut messages = match current.take() {
            Some(m) => m,
            None => {
                let made = tokio::time::timeout(CONSUMER_WAIT, consume(&stream, next))
                    .await
                    .unwrap_or_else(|_| Err(format!("no answer within {CONSUMER_WAIT:?}")));
                match made {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!("NATS: cannot consume {STREAM}, trying again in {backoff:?}: {e}");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                }
            }
        };
        backoff = Duration::from_millis(100);
        while let Some(m) = messages.next().await {
            let m = match m {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!("NATS: the consumer of {STREAM} failed, starting another: {e}");
                    break;
                }
            };
            if let Ok(info) = m.info() {
                next = info.stream_sequence + 1;
            }
            deliver(&m, &local, &node, &mut seen);
            if let Err(e) = m.ack().await {
                tracing::debug!("NATS: acknowledging failed (the message may come again, and be skipped): {e}");
            }
        }
    }
}

/// Hands one message to the local bus, unless it is this node's own, a repeat, or not an event.
fn deliver(m: &async_nats::Message, local: &LocalBus, node: &str, seen: &mut Seen) {
    let headers = m.headers.as_ref();
    let header = |name: &str| headers.and_then(|h| h.get(name)).map(|v| v.as_str());
    let origin = header(envelope::ORIGIN_HEADER).unwrap_or("");
    if origin == node {
        return;
    }
    let id = header(async_nats::header::NATS_MESSAGE_ID.as_ref()).unwrap_or("");
    if !id.is_empty() && !seen.first(id) {
        metrics::counter!("truce_nats_repeats_total").increment(1);
        return;
    }
    match envelope::decode(m.subject.as_str(), header(envelope::LABEL_HEADER).map(str::as_bytes), &m.payload, origin) {
        Ok(e) => {
            metrics::counter!("truce_nats_received_total", "type" => e.type_name()).increment(1);
            local.publish_shared(Arc::new(e));
        }
        Err(e) => {
            metrics::counter!("truce_nats_refused_total").increment(1);
            tracing::error!("NATS: not delivered: {e}");
        }
    }
}

/// Holds the lease of `task` whenever it can, and says in `leads` whether it does.
async fn lease(kv: kv::Store, task: &'static str, node: Arc<str>, leads: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(LEASE / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut revision: Option<u64> = None;
    loop {
        tick.tick().await;
        revision = match revision {
            Some(r) => kv.update(task, node.as_bytes().to_vec().into(), r).await.ok(),
            None => kv.create(task, node.as_bytes().to_vec().into()).await.ok(),
        };
        let now = revision.is_some();
        metrics::gauge!("truce_leads", "task" => task).set(if now { 1.0 } else { 0.0 });
        if leads.swap(now, Ordering::Relaxed) != now {
            tracing::info!("NATS: this node {} the {task} task", if now { "now leads" } else { "no longer leads" });
        }
    }
}
