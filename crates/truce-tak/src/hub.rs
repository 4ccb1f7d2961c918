//! The shared state of the server: the client table, routing, the picture and the counters.
//!
//! See the crate documentation for the design. Locks are held only for short, non-blocking work:
//! the client table (a `RwLock`, read by every routing and written on connect/disconnect), each
//! client's queue and identity, and the picture. No lock is held across an `.await`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::sync::{Notify, mpsc, watch};
use truce_cot::{CotError, Event};

use crate::queue::{Droppable, Push, Queue};
use crate::{Limits, Parties, Party, Received, Routed, RoutedHook, Source, Transport};

/// Locks a mutex, taking the data even if another thread panicked holding it (every critical
/// section here leaves the data consistent).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// The server's counters (monotonic, except `clients`).
        #[derive(Debug, Default)]
        pub struct Stats {
            $($(#[$doc])* pub $name: AtomicU64,)*
        }

        /// The server's counters at one moment (monotonic, except `clients`).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
        pub struct StatsSnapshot {
            $($(#[$doc])* pub $name: u64,)*
        }

        impl Stats {
            fn snapshot(&self) -> StatsSnapshot {
                StatsSnapshot { $($name: self.$name.load(Ordering::Relaxed),)* }
            }
        }
    };
}

counters! {
    /// Clients connected now.
    clients,
    /// Connections accepted since start.
    connections,
    /// Connections refused because `max_clients` were connected.
    refused_full,
    /// TLS handshakes that failed (no certificate, wrong CA, timeout, not TLS).
    tls_failed,
    /// Events received and routed (pings and protocol control excluded).
    events_in,
    /// Events other servers' clients sent, routed here ([`crate::TakHandle::relay`]).
    relayed_in,
    /// Events written to clients.
    deliveries,
    /// Sessions that negotiated TAK protocol v1.
    negotiated_tak1,
    /// Messages rejected as malformed XML or invalid CoT.
    rejected_malformed,
    /// Messages rejected as larger than `max_message`.
    rejected_oversized,
    /// Frames rejected as invalid TAK protocol (bad magic, bad length, invalid protobuf).
    rejected_invalid_protobuf,
    /// Events dropped because their connection exceeded its rate.
    rejected_flood,
    /// Queued position updates dropped because a newer one of the same uid arrived at a full queue.
    dropped_same_uid,
    /// Queued position updates of another uid dropped at a full queue.
    dropped_other_position,
    /// New position updates dropped at a queue full of other messages.
    dropped_new,
    /// Sessions closed because their queue was full of messages that cannot be dropped.
    closed_stalled_queue,
    /// Sessions closed because a write did not complete in time.
    closed_write_timeout,
    /// Sessions closed after `idle_timeout` without a byte.
    closed_idle,
    /// Sessions closed for too many bad messages.
    closed_errors,
    /// Sessions closed for flooding.
    closed_flood,
    /// Sessions closed because another connection announced the same uid.
    closed_replaced,
    /// Sessions closed because the user their certificate was issued for was disabled.
    closed_user_disabled,
    /// Events addressed to a mission (`<marti><dest mission>`): they reach the mission's subscribed
    /// devices and those they also name by callsign or uid, never everyone.
    mission_events,
    /// Events addressed only to missions without a subscribed device (they reach only the devices
    /// they also name).
    undelivered_mission,
    /// Sessions closed because their certificate was revoked.
    closed_revoked,
    /// Picture entries removed because they became stale.
    expired,
    /// Events that could not be encoded as TAK protocol for a v1 client (skipped for it).
    encode_failed,
}

/// Why a session was closed by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseReason {
    StalledQueue,
    WriteTimeout,
    Idle,
    Errors,
    Flood,
    Replaced,
    Shutdown,
    UserDisabled,
    Revoked,
}

impl CloseReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CloseReason::StalledQueue => "its queue is full of messages that cannot be dropped",
            CloseReason::WriteTimeout => "a write did not complete in time",
            CloseReason::Idle => "idle",
            CloseReason::Errors => "too many bad messages",
            CloseReason::Flood => "flooding",
            CloseReason::Replaced => "another connection announced the same uid",
            CloseReason::Shutdown => "the server is shutting down",
            CloseReason::UserDisabled => "its user was disabled",
            CloseReason::Revoked => "its certificate was revoked",
        }
    }
}

/// One event on its way to clients, encoded at most once per wire format.
#[derive(Debug)]
pub struct Outbound {
    /// The event.
    pub event: Arc<Event>,
    /// The session that sent it (it is not sent back there); `None` for the server's own events and
    /// UDP.
    pub sender: Option<u64>,
    /// The sender's `__group` at the time it was routed.
    group: Option<String>,
    /// Its label: the sender's party's, or the server's for its own events.
    label: truce_core::Label,
    /// Whether it is a position update (`a-*`), which the queue may supersede.
    position: bool,
    xml: OnceLock<Arc<[u8]>>,
    tak1: OnceLock<Option<Arc<[u8]>>>,
}

impl Outbound {
    fn new(event: Arc<Event>, sender: Option<u64>, group: Option<String>, label: truce_core::Label) -> Self {
        let position = event.type_.starts_with("a-");
        Outbound { event, sender, group, label, position, xml: OnceLock::new(), tak1: OnceLock::new() }
    }

    /// The event as CoT XML with the declaration TAK clients send.
    pub fn xml(&self) -> &[u8] {
        self.xml.get_or_init(|| Arc::from(xml_document(&self.event)))
    }

    /// The event as a TAK protocol v1 stream frame; `None` if it cannot be (times before 1970).
    pub fn tak1(&self) -> Option<&[u8]> {
        self.tak1
            .get_or_init(|| {
                truce_cot::tak::event_to_message(&self.event)
                    .ok()
                    .map(|m| Arc::from(truce_cot::frame::encode_stream_frame(&m)))
            })
            .as_deref()
    }
}

/// An event as one CoT XML document, with the declaration TAK clients send.
pub(crate) fn xml_document(ev: &Event) -> Vec<u8> {
    let mut s = String::with_capacity(800);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>");
    s.push_str(&truce_cot::xml::to_xml(ev));
    s.into_bytes()
}

/// One item of a client's queue.
#[derive(Debug)]
pub(crate) enum Item {
    /// An event, encoded in whatever the client speaks when it is written.
    Event(Arc<Outbound>),
    /// Bytes to write as they are (protocol control replies).
    Raw(Arc<[u8]>),
    /// From here on the client speaks TAK protocol v1.
    SwitchToTak1,
}

impl Droppable for Item {
    fn position_uid(&self) -> Option<&str> {
        match self {
            Item::Event(o) if o.position => Some(&o.event.uid),
            _ => None,
        }
    }
}

/// What a client said about itself in its own SA event.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ident {
    pub uid: Option<String>,
    pub callsign: Option<String>,
    pub group: Option<String>,
}

/// One connected client.
#[derive(Debug)]
pub(crate) struct Client {
    pub id: u64,
    pub peer: String,
    pub transport: Transport,
    /// The callsign of its verified certificate (TLS).
    pub cert_callsign: Option<String>,
    /// The serial of its verified certificate (TLS), upper-case hex.
    pub cert_serial: Option<String>,
    /// What it may receive and the label of what it sends.
    pub party: Party,
    /// The index of its party's access among the distinct ones connected ([`Hub::audiences`]):
    /// clients with the same index are permitted the same events.
    audience: usize,
    pub ident: Mutex<Ident>,
    pub queue: Mutex<Queue<Item>>,
    /// Woken when something is queued.
    pub wake: Notify,
    closing: AtomicBool,
    close_reason: Mutex<Option<CloseReason>>,
    /// Becomes true when the session must end.
    closed: watch::Sender<bool>,
}

impl Client {
    fn group(&self) -> Option<String> {
        lock(&self.ident).group.clone()
    }

    /// Whether an event from a sender of team `group` may reach this client: yes when this client has
    /// not announced a team, or announced the same one.
    fn hears(&self, group: &str) -> bool {
        lock(&self.ident).group.as_deref().is_none_or(|g| g == group)
    }

    /// Whether any of `dests` names this client by callsign or uid, or its uid is one of `subscribed`
    /// (the devices subscribed to a mission the event is addressed to).
    fn is_named(&self, dests: &[truce_cot::event::MartiDest], subscribed: &HashSet<String>) -> bool {
        let ident = lock(&self.ident);
        if ident.uid.as_ref().is_some_and(|u| subscribed.contains(u)) {
            return true;
        }
        dests.iter().any(|d| {
            let by_callsign = d
                .callsign
                .as_deref()
                .is_some_and(|c| ident.callsign.as_deref() == Some(c) || self.cert_callsign.as_deref() == Some(c));
            let by_uid = d.uid.is_some() && d.uid == ident.uid;
            by_callsign || by_uid
        })
    }

    /// Who this client is, for the application.
    pub fn source(&self) -> Source {
        let ident = lock(&self.ident);
        let identity =
            self.cert_callsign.clone().or_else(|| ident.callsign.clone()).unwrap_or_else(|| self.peer.clone());
        Source {
            identity,
            group: ident.group.clone(),
            peer: self.peer.clone(),
            transport: self.transport,
            label: self.party.label.clone(),
            user: self.party.user.clone(),
        }
    }

    /// Asks the session to end (the first reason wins).
    pub fn close(&self, reason: CloseReason) {
        if !self.closing.swap(true, Ordering::AcqRel) {
            *lock(&self.close_reason) = Some(reason);
        }
        self.closed.send_replace(true);
    }

    /// Completes once the session must end.
    pub async fn wait_closed(&self) {
        let mut rx = self.closed.subscribe();
        // The sender lives as long as `self`, so this only returns once the flag is set.
        let _ = rx.wait_for(|&closed| closed).await;
    }

    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    pub fn close_reason(&self) -> Option<CloseReason> {
        *lock(&self.close_reason)
    }
}

/// The shared state.
pub struct Hub {
    pub(crate) limits: Limits,
    pub(crate) server_uid: String,
    clients: RwLock<HashMap<u64, Arc<Client>>>,
    /// The distinct accesses of the connected clients, with how many clients hold each (a slot
    /// whose count is 0 is free): routing asks each access once per event, not each client.
    audiences: Mutex<Vec<(truce_access::Access, usize)>>,
    by_uid: Mutex<HashMap<String, u64>>,
    /// Mission name → the uids of the devices subscribed to it (TAK Server's Data Sync), as the
    /// application keeps them in its store.
    missions: RwLock<HashMap<String, HashSet<String>>>,
    picture: Mutex<HashMap<String, Arc<Outbound>>>,
    pub(crate) stats: Stats,
    pub(crate) received: mpsc::Sender<Received>,
    next_id: AtomicU64,
    pub(crate) parties: Parties,
    routed: Option<RoutedHook>,
    rejections: Mutex<std::collections::BTreeMap<(&'static str, String), u64>>,
    logged: Mutex<HashMap<&'static str, (Instant, u64)>>,
}

/// At most one log line per rejection reason this often.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// Distinct (reason, field) pairs counted apart; further fields count as `other`.
const MAX_REJECTION_KEYS: usize = 64;

/// How many messages were rejected for one reason on one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// `malformed`, `oversized` or `invalid_protobuf`.
    pub reason: &'static str,
    /// The attribute, element or layer at fault (`event@how`, `point@lat`, `xml`, `frame`).
    pub field: String,
    /// How many.
    pub count: u64,
}

impl Hub {
    pub(crate) fn new(
        limits: Limits,
        server_uid: String,
        received: mpsc::Sender<Received>,
        parties: Parties,
        routed: Option<RoutedHook>,
    ) -> Self {
        Hub {
            limits,
            server_uid,
            clients: RwLock::new(HashMap::new()),
            audiences: Mutex::new(Vec::new()),
            by_uid: Mutex::new(HashMap::new()),
            missions: RwLock::new(HashMap::new()),
            picture: Mutex::new(HashMap::new()),
            stats: Stats::default(),
            received,
            next_id: AtomicU64::new(1),
            parties,
            routed,
            rejections: Mutex::new(std::collections::BTreeMap::new()),
            logged: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn snapshot(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    pub(crate) fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one rejected message from `peer` under its reason and field, logs it (at most one line
    /// per reason every [`LOG_EVERY`], saying how many went unlogged), and returns the reason's name.
    pub(crate) fn reject(&self, e: &CotError, peer: &str) -> &'static str {
        let s = &self.stats;
        let (counter, reason) = if e.too_large {
            (&s.rejected_oversized, "oversized")
        } else if e.is_binary() {
            (&s.rejected_invalid_protobuf, "invalid_protobuf")
        } else {
            (&s.rejected_malformed, "malformed")
        };
        self.count(counter);
        let field = {
            let mut by = lock(&self.rejections);
            // An unknown attribute's or element's name is the sender's choice, so it is not shown
            // (`event@*`); the distinct keys are bounded all the same, and a long field is cut.
            let mut field: String = if e.reason.starts_with("unknown attribute") {
                e.field.split_once('@').map_or_else(|| "*".to_owned(), |(element, _)| format!("{element}@*"))
            } else if e.reason.starts_with("unknown element") {
                e.field.split_once('/').map_or_else(|| "*".to_owned(), |(parent, _)| format!("{parent}/*"))
            } else {
                e.field.chars().take(64).collect()
            };
            if !by.contains_key(&(reason, field.clone())) && by.len() >= MAX_REJECTION_KEYS {
                field = "other".to_owned();
            }
            *by.entry((reason, field.clone())).or_default() += 1;
            field
        };
        metrics::counter!("truce_tak_rejected_total", "reason" => reason, "field" => field).increment(1);
        let unlogged = {
            let mut logged = lock(&self.logged);
            let now = Instant::now();
            let entry = logged.entry(reason).or_insert((now - LOG_EVERY, 0));
            if now.duration_since(entry.0) >= LOG_EVERY {
                let unlogged = entry.1;
                *entry = (now, 0);
                Some(unlogged)
            } else {
                entry.1 += 1;
                None
            }
        };
        if let Some(n) = unlogged {
            tracing::warn!(
                "tak {peer}: rejected a message ({reason}): {e} ({n} more {reason} before this one unlogged)"
            );
        }
        reason
    }

    /// Every rejection so far by reason and field, most frequent first.
    pub(crate) fn rejections(&self) -> Vec<Rejection> {
        let mut out: Vec<Rejection> = lock(&self.rejections)
            .iter()
            .map(|((reason, field), count)| Rejection { reason, field: field.clone(), count: *count })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| (a.reason, &a.field).cmp(&(b.reason, &b.field))));
        out
    }

    /// Registers a new client with `greeting` first in its queue, then the picture; or `None` when
    /// `max_clients` are connected. Routing holds the client table for reading from remembering an
    /// event to fanning it out, and this holds it for writing, so every event reaches the new client
    /// once: in the picture, or live, never both.
    pub(crate) fn register(
        &self,
        peer: String,
        transport: Transport,
        cert: Option<(String, String)>,
        party: Party,
        greeting: Item,
    ) -> Option<Arc<Client>> {
        let mut clients = write(&self.clients);
        if clients.len() >= self.limits.max_clients {
            self.count(&self.stats.refused_full);
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let audience = self.join_audience(&party.access);
        let client = Arc::new(Client {
            id,
            peer,
            transport,
            cert_callsign: cert.as_ref().map(|c| c.0.clone()),
            cert_serial: cert.map(|c| c.1),
            party,
            audience,
            ident: Mutex::new(Ident::default()),
            queue: Mutex::new(Queue::new(self.limits.queue_capacity)),
            wake: Notify::new(),
            closing: AtomicBool::new(false),
            close_reason: Mutex::new(None),
            closed: watch::Sender::new(false),
        });
        clients.insert(id, client.clone());
        self.stats.clients.store(clients.len() as u64, Ordering::Relaxed);
        self.count(&self.stats.connections);
        self.enqueue(&client, greeting);
        self.send_picture(&client);
        Some(client)
    }

    /// The audience index of `access`: an equal access's, or a new (or freed) slot. Called with the
    /// client table held for writing, so routing never sees a client whose index it has not counted.
    fn join_audience(&self, access: &truce_access::Access) -> usize {
        let mut audiences = lock(&self.audiences);
        if let Some(i) = audiences.iter().position(|(a, n)| *n > 0 && a == access) {
            audiences[i].1 += 1;
            return i;
        }
        if let Some(i) = audiences.iter().position(|(_, n)| *n == 0) {
            audiences[i] = (access.clone(), 1);
            return i;
        }
        audiences.push((access.clone(), 1));
        audiences.len() - 1
    }

    /// Removes a client whose session ended.
    pub(crate) fn unregister(&self, client: &Client) {
        {
            let mut clients = write(&self.clients);
            if clients.remove(&client.id).is_some()
                && let Some(slot) = lock(&self.audiences).get_mut(client.audience)
            {
                slot.1 = slot.1.saturating_sub(1);
            }
            self.stats.clients.store(clients.len() as u64, Ordering::Relaxed);
        }
        if let Some(uid) = lock(&client.ident).uid.clone() {
            let mut by_uid = lock(&self.by_uid);
            if by_uid.get(&uid) == Some(&client.id) {
                by_uid.remove(&uid);
            }
        }
    }

    /// The users the connected clients act for.
    pub(crate) fn users(&self) -> BTreeSet<String> {
        read(&self.clients).values().filter_map(|c| c.party.user.clone()).collect()
    }

    /// Closes the sessions acting for one of `users`; how many.
    pub(crate) fn close_users(&self, users: &BTreeSet<String>) -> usize {
        let mut n = 0;
        for c in read(&self.clients).values() {
            if c.party.user.as_ref().is_some_and(|u| users.contains(u)) && !c.is_closing() {
                c.close(CloseReason::UserDisabled);
                n += 1;
            }
        }
        n
    }

    /// The serials of the certificates of the connected TLS clients.
    pub(crate) fn serials(&self) -> BTreeSet<String> {
        read(&self.clients).values().filter_map(|c| c.cert_serial.clone()).collect()
    }

    /// Closes the sessions whose certificate serial is one of `serials` (revoked); how many.
    pub(crate) fn close_serials(&self, serials: &BTreeSet<String>) -> usize {
        let mut n = 0;
        for c in read(&self.clients).values() {
            if c.cert_serial.as_ref().is_some_and(|s| serials.contains(s)) && !c.is_closing() {
                c.close(CloseReason::Revoked);
                n += 1;
            }
        }
        n
    }

    /// Replaces the mission routing table: every (mission, subscribed device uid).
    pub(crate) fn set_missions(&self, subscriptions: impl IntoIterator<Item = (String, String)>) {
        let mut table: HashMap<String, HashSet<String>> = HashMap::new();
        for (mission, uid) in subscriptions {
            table.entry(mission).or_default().insert(uid);
        }
        *write(&self.missions) = table;
    }

    /// Adds (`true`) or removes one device's subscription to a mission.
    pub(crate) fn set_subscribed(&self, mission: &str, uid: &str, subscribed: bool) {
        let mut table = write(&self.missions);
        if subscribed {
            table.entry(mission.to_owned()).or_default().insert(uid.to_owned());
        } else if let Some(uids) = table.get_mut(mission) {
            uids.remove(uid);
            if uids.is_empty() {
                table.remove(mission);
            }
        }
    }

    /// Forgets a mission (deleted).
    pub(crate) fn remove_mission(&self, mission: &str) {
        write(&self.missions).remove(mission);
    }

    /// The uids subscribed to any of the missions `dests` address.
    fn mission_subscribers(&self, dests: &[truce_cot::event::MartiDest]) -> HashSet<String> {
        let table = read(&self.missions);
        dests
            .iter()
            .filter_map(|d| d.mission.as_deref())
            .filter_map(|m| table.get(m))
            .flat_map(|uids| uids.iter().cloned())
            .collect()
    }

    /// Sends a server event to the connected devices whose uid is in `uids` and whose party may see
    /// `label` (a mission change to its subscribers); it is not kept in the picture. How many got it.
    pub(crate) fn send_to_uids(&self, event: Event, label: truce_core::Label, uids: &HashSet<String>) -> usize {
        let out = Arc::new(Outbound::new(Arc::new(event), None, None, label));
        let mut n = 0;
        for c in read(&self.clients).values() {
            let named = lock(&c.ident).uid.as_ref().is_some_and(|u| uids.contains(u));
            if named && !c.is_closing() && c.party.access.permits(&out.label, out.event.time) {
                self.enqueue(c, Item::Event(out.clone()));
                n += 1;
            }
        }
        n
    }

    /// The connected devices that announced themselves, as `access` may see them: a device is listed
    /// when `access` permits the label of what it sends (its SA).
    pub(crate) fn contacts(&self, access: &truce_access::Access) -> Vec<crate::Contact> {
        let now = OffsetDateTime::now_utc();
        let mut out: Vec<crate::Contact> = read(&self.clients)
            .values()
            .filter(|c| !c.is_closing() && access.permits(&c.party.label, now))
            .filter_map(|c| {
                let ident = lock(&c.ident);
                Some(crate::Contact {
                    uid: ident.uid.clone()?,
                    callsign: ident.callsign.clone().or_else(|| c.cert_callsign.clone()).unwrap_or_default(),
                    group: ident.group.clone(),
                    user: c.party.user.clone(),
                    transport: c.transport,
                })
            })
            .collect();
        out.sort_by(|a, b| a.callsign.cmp(&b.callsign).then_with(|| a.uid.cmp(&b.uid)));
        out
    }

    /// Closes every session (shutdown).
    pub(crate) fn close_all(&self) {
        for c in read(&self.clients).values() {
            c.close(CloseReason::Shutdown);
        }
    }

    /// Learns who a client is from its own SA event: an atom (`a-*`) with a contact endpoint. A uid
    /// another session holds closes that session.
    pub(crate) fn learn(&self, client: &Client, ev: &Event) {
        let Some(contact) = ev.detail.contact.as_ref() else { return };
        if !ev.type_.starts_with("a-") || contact.endpoint.is_none() {
            return;
        }
        let previous_uid = {
            let mut ident = lock(&client.ident);
            ident.callsign = contact.callsign.clone().or(ident.callsign.take());
            if let Some(g) = ev.detail.group.as_ref().and_then(|g| g.name.clone()) {
                ident.group = Some(g);
            }
            if ident.uid.as_deref() == Some(ev.uid.as_str()) {
                return;
            }
            ident.uid.replace(ev.uid.clone())
        };
        let replaced = {
            let mut by_uid = lock(&self.by_uid);
            if let Some(old) = previous_uid
                && by_uid.get(&old) == Some(&client.id)
            {
                by_uid.remove(&old);
            }
            by_uid.insert(ev.uid.clone(), client.id).filter(|&other| other != client.id)
        };
        if let Some(other) = replaced
            && let Some(old) = read(&self.clients).get(&other)
        {
            old.close(CloseReason::Replaced);
        }
    }

    /// Routes an event a client (or UDP, `sender` None) sent, and keeps it in the picture.
    pub(crate) fn route(&self, event: Arc<Event>, sender: Option<&Client>) {
        self.count(&self.stats.events_in);
        let group = if self.limits.group_channels { sender.and_then(Client::group) } else { None };
        let label = match sender {
            Some(c) => c.party.label.clone(),
            None => (self.parties)(None).label,
        };
        let out = Arc::new(Outbound::new(event, sender.map(|c| c.id), group, label));
        self.remember_and_fan_out(&out);
        if let Some(hook) = &self.routed {
            hook(Routed { event: &out.event, xml: out.xml(), label: &out.label, group: out.group.as_deref() });
        }
    }

    /// Routes a message another server's client sent, as [`Hub::route`] routes a client's (without
    /// telling [`Hub::routed`]).
    pub(crate) fn relay(&self, event: Event, label: truce_core::Label, group: Option<String>) {
        self.count(&self.stats.relayed_in);
        let group = if self.limits.group_channels { group } else { None };
        let out = Arc::new(Outbound::new(Arc::new(event), None, group, label));
        self.remember_and_fan_out(&out);
    }

    /// Keeps a client's event in the picture, as [`Hub::relay`] would, without sending it to anyone.
    pub(crate) fn recall(&self, event: Event, label: truce_core::Label, group: Option<String>) {
        let group = if self.limits.group_channels { group } else { None };
        self.remember(&Arc::new(Outbound::new(Arc::new(event), None, group, label)));
    }

    /// Sends a server event to everyone.
    pub(crate) fn publish(&self, event: Event, label: truce_core::Label) {
        let out = Arc::new(Outbound::new(Arc::new(event), None, None, label));
        self.remember_and_fan_out(&out);
    }

    /// Keeps an event in the picture and sends it to the connected clients, with the client table
    /// held throughout (see [`Hub::register`]).
    fn remember_and_fan_out(&self, out: &Arc<Outbound>) {
        let clients = read(&self.clients);
        self.remember(out);
        self.fan_out(&clients, out);
    }

    fn remember(&self, out: &Arc<Outbound>) {
        let ev = &out.event;
        let directed = ev.detail.marti.as_ref().is_some_and(|m| !m.dests.is_empty());
        if directed || ev.type_.starts_with("b-t-f") || ev.type_.starts_with("t-") {
            return;
        }
        if ev.stale > OffsetDateTime::now_utc() {
            lock(&self.picture).insert(ev.uid.clone(), out.clone());
        }
    }

    fn fan_out(&self, clients: &HashMap<u64, Arc<Client>>, out: &Arc<Outbound>) {
        let dests = out.event.detail.marti.as_ref().map(|m| m.dests.as_slice()).unwrap_or_default();
        let subscribed = if dests.iter().any(|d| d.mission.is_some()) {
            self.count(&self.stats.mission_events);
            let uids = self.mission_subscribers(dests);
            if uids.is_empty() {
                self.count(&self.stats.undelivered_mission);
            }
            uids
        } else {
            HashSet::new()
        };
        // Whether each audience may see the event, asked once per audience (most clients share one).
        let mut permitted: Vec<Option<bool>> = vec![None; lock(&self.audiences).len()];
        for c in clients.values() {
            if Some(c.id) == out.sender || c.is_closing() {
                continue;
            }
            let permits = || c.party.access.permits(&out.label, out.event.time);
            let allowed = match permitted.get_mut(c.audience) {
                Some(known) => *known.get_or_insert_with(permits),
                None => permits(),
            };
            if !allowed {
                continue;
            }
            if !dests.is_empty() {
                if !c.is_named(dests, &subscribed) {
                    continue;
                }
            } else if let Some(g) = &out.group
                && !c.hears(g)
            {
                continue;
            }
            self.enqueue(c, Item::Event(out.clone()));
        }
    }

    /// Appends to one client's queue, counting what the drop policy did. The writer is woken only
    /// when the queue was empty: otherwise a wake-up is already pending, or the writer is between it
    /// and draining, and drains everything queued (a million deliveries a second would otherwise be a
    /// million wake-ups).
    pub(crate) fn enqueue(&self, c: &Client, item: Item) {
        let (was_empty, pushed) = {
            let mut queue = lock(&c.queue);
            (queue.is_empty(), queue.push(item))
        };
        let s = &self.stats;
        match pushed {
            Push::Queued => {}
            Push::ReplacedSameUid => self.count(&s.dropped_same_uid),
            Push::DroppedOtherPosition => self.count(&s.dropped_other_position),
            Push::DroppedNew => {
                self.count(&s.dropped_new);
                return;
            }
            Push::Stalled => {
                c.close(CloseReason::StalledQueue);
                return;
            }
        }
        if was_empty {
            c.wake.notify_one();
        }
    }

    /// Queues the current picture for a client that just connected.
    fn send_picture(&self, c: &Client) {
        let now = OffsetDateTime::now_utc();
        let mut items: Vec<Arc<Outbound>> = lock(&self.picture)
            .values()
            .filter(|o| o.event.stale > now && c.party.access.permits(&o.label, o.event.time))
            .cloned()
            .collect();
        items.sort_by_key(|o| o.event.time);
        for o in items {
            self.enqueue(c, Item::Event(o));
        }
    }

    /// Removes stale picture entries; returns how many.
    fn expire(&self, now: OffsetDateTime) -> usize {
        let mut picture = lock(&self.picture);
        let before = picture.len();
        picture.retain(|_, o| o.event.stale > now);
        let gone = before - picture.len();
        self.stats.expired.fetch_add(gone as u64, Ordering::Relaxed);
        gone
    }
}

/// Expires stale picture entries every second.
pub(crate) async fn sweep(hub: Arc<Hub>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        hub.expire(OffsetDateTime::now_utc());
    }
}
