//! A TAK-compatible Cursor on Target server: TCP (8087), TLS with client certificates (8089) and UDP
//! (6969), with the routing and state TAK clients expect.
//!
//! # Design
//!
//! Every connection is one *session* with two tasks: a reader that decodes what the client sends
//! (CoT XML, or TAK protocol v1 frames once negotiated) and a writer that drains the client's bounded
//! [`queue::Queue`]. Routing happens in the reader of the sender, right after decoding: it takes a
//! read lock on the client table, picks the recipients (everyone but the sender; only those named
//! by `marti/dest` for directed messages; only the same `__group` when channels are on) and appends
//! one shared `Outbound` to each recipient's queue under that queue's own short lock (whether a
//! client's access permits the event is asked once per distinct access, not once per client, and
//! a writer is woken only when its queue was empty). An event is encoded at most once per wire
//! format, lazily, by the first writer that needs it, and the bytes are shared by every recipient;
//! a writer takes everything queued and writes those shared bytes in one vectored write, at most
//! once per `flush_interval`, so 1,000 clients × 1,000 events/s become ~50,000 writes per second
//! rather than a million, with no copy in between.
//!
//! A slow or stalled client only fills its own queue; what is dropped when it is full is decided by
//! [`queue::Queue::push`] (older positions of the same uid first) and counted (see [`StatsSnapshot`]). A write
//! that does not finish within `write_timeout`, a connection silent for `idle_timeout` (TCP
//! keep-alive also probes half-open peers), too many bad messages, or a sustained flood closes the
//! session with a counted, logged reason. A client announcing a uid that another session already
//! holds replaces that session, so a device reconnecting in a storm never leaves sessions behind.
//!
//! The server keeps the *picture*: the latest non-stale event of every uid (chat and directed
//! messages excepted), sent to each client when it connects; a sweep removes stale entries every
//! second. Everything a client sends (except pings and protocol control) is handed, with who sent
//! it, to a channel the application consumes (`truce` stores it and derives tracks, observations
//! and geofence alerts, which it publishes back through [`TakHandle::publish`]). The handoff waits
//! when the consumer is behind, which slows that sender's reading rather than losing its events.
//!
//! Several servers can act as one (the nodes of a `truce` cluster): each tells the application of
//! every message it routes, with the label and team it routed it with ([`Config::routed`], called
//! right after the routing, before the handoff), and the application hands it to the others, which
//! route it as their own client's ([`TakHandle::relay`]: the same label check, addressing, teams and
//! picture) without telling their own hook, so nothing goes round in circles.

mod hub;
pub mod queue;
mod session;
mod udp;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use truce_cot::Event;

pub use hub::{LOG_EVERY, Rejection, StatsSnapshot};

/// Which listener a client came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// Plain TCP streaming.
    Tcp,
    /// TLS streaming with a client certificate.
    Tls,
    /// UDP datagrams.
    Udp,
}

impl Transport {
    /// `tcp`, `tls` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
            Transport::Udp => "udp",
        }
    }
}

/// Limits and timings; [`Limits::default`] holds the values `truce serve` uses.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest message accepted (XML document or protobuf payload), bytes.
    pub max_message: usize,
    /// Messages queued per client before the drop policy applies.
    pub queue_capacity: usize,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// A write that does not complete within this is a stalled client, which is closed.
    pub write_timeout: Duration,
    /// The TLS handshake must finish within this.
    pub handshake_timeout: Duration,
    /// Sustained events per second accepted from one connection.
    pub rate_per_second: f64,
    /// Events accepted in a burst above the sustained rate.
    pub burst: f64,
    /// Bad messages (malformed, oversized, invalid) tolerated on one connection before it is closed.
    pub max_errors: u32,
    /// Events dropped for flooding, in a row, before the connection is closed.
    pub max_flood_drops: u32,
    /// A writer writes at most once per this interval (it coalesces what arrives in between).
    pub flush_interval: Duration,
    /// Most connected clients; further connections are closed at once.
    pub max_clients: usize,
    /// Route only between clients of the same `__group` (clients with no group see and reach all).
    pub group_channels: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 64 * 1024,
            queue_capacity: 8192,
            idle_timeout: Duration::from_secs(300),
            write_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            rate_per_second: 200.0,
            burst: 400.0,
            max_errors: 16,
            max_flood_drops: 2000,
            flush_interval: Duration::from_millis(20),
            max_clients: 10_000,
            group_channels: true,
        }
    }
}

/// Where to listen.
#[derive(Clone, Default)]
pub struct Config {
    /// Plain TCP (TAK's default 8087).
    pub tcp: Option<SocketAddr>,
    /// TLS with client certificates (TAK's default 8089) and the rustls configuration, which must
    /// verify client certificates (see [`tls_config`]).
    pub tls: Option<(SocketAddr, Arc<rustls::ServerConfig>)>,
    /// UDP, unicast (TAK's default 6969).
    pub udp: Option<SocketAddr>,
    /// Also join this multicast group on the UDP socket (TAK's SA multicast is 239.2.3.1).
    pub multicast: Option<Ipv4Addr>,
    /// Limits and timings.
    pub limits: Limits,
    /// The uid this server uses for its own control events.
    pub server_uid: String,
    /// Who a client is, from its verified certificate (TLS) or nothing (TCP, UDP): what it may
    /// receive and the label of what it sends. `None`: every client receives everything and sends
    /// with the default label (a server without users).
    pub parties: Option<Parties>,
    /// Told of every message a client (or UDP) sent, as the server routed it here: the application
    /// hands it to the servers of the other nodes of its cluster, which route it with
    /// [`TakHandle::relay`]. `None`: nobody is told.
    pub routed: Option<RoutedHook>,
}

/// A message a client sent, as the server routed it (see [`Config::routed`]).
#[derive(Debug, Clone, Copy)]
pub struct Routed<'a> {
    /// The event.
    pub event: &'a Event,
    /// The event as the CoT XML document its XML clients received.
    pub xml: &'a [u8],
    /// The label it was routed with (its sender's party's).
    pub label: &'a truce_core::Label,
    /// The sender's `__group` it was routed with, when the server routes by team (see
    /// [`Limits::group_channels`]).
    pub group: Option<&'a str>,
}

/// Called with every message a client sent, right after it was routed (see [`Config::routed`]);
/// it must not block.
pub type RoutedHook = Arc<dyn Fn(Routed<'_>) + Send + Sync>;

/// What a client may receive (an access rule) and the label of what it sends.
#[derive(Debug, Clone)]
pub struct Party {
    /// What it may receive: an event reaches it only when this permits the event's label.
    pub access: truce_access::Access,
    /// The label of what it sends (its user's default).
    pub label: truce_core::Label,
    /// The user it acts for (`None`: anonymous): [`TakHandle::close_users`] ends its connections.
    pub user: Option<String>,
}

impl Party {
    /// Receives everything, sends with the default label.
    pub fn open() -> Self {
        Party { access: truce_access::Access::all(), label: truce_core::Label::default(), user: None }
    }
}

/// Decides a client's [`Party`] from its certificate's identity (`None` without one).
pub type Parties = Arc<dyn Fn(Option<&truce_pki::Identity>) -> Party + Send + Sync>;

/// Who sent an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The certificate's callsign (TLS), else the callsign of the client's own SA event, else the
    /// peer address.
    pub identity: String,
    /// The `__group` name of the client's own SA event, if any.
    pub group: Option<String>,
    /// `tcp:ADDR`, `tls:ADDR` or `udp:ADDR`.
    pub peer: String,
    /// The listener.
    pub transport: Transport,
    /// The label of what it sends (its party's).
    pub label: truce_core::Label,
    /// The truce user its certificate is bound to (its party's).
    pub user: Option<String>,
}

/// An event a client sent, for the application.
#[derive(Debug, Clone)]
pub struct Received {
    /// The decoded, validated event.
    pub event: Arc<Event>,
    /// Who sent it.
    pub source: Source,
    /// When it was decoded.
    pub received_at: OffsetDateTime,
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A listener could not bind.
    #[error("cannot listen on {addr} ({what})")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Which listener.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The TLS material is unusable.
    #[error("TLS: {0}")]
    Tls(String),
}

/// A running server; dropping it stops the listeners (sessions end when their clients go).
pub struct TakServer {
    handle: TakHandle,
    /// The bound TCP address.
    pub tcp_addr: Option<SocketAddr>,
    /// The bound TLS address.
    pub tls_addr: Option<SocketAddr>,
    /// The bound UDP address.
    pub udp_addr: Option<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
}

/// A cloneable handle to publish server events and read the counters.
#[derive(Clone)]
pub struct TakHandle {
    hub: Arc<hub::Hub>,
}

impl TakHandle {
    /// Sends a server-originated event (an alert) to every client that may see `label`, and keeps it
    /// in the picture until it is stale.
    pub fn publish(&self, event: Event, label: truce_core::Label) {
        self.hub.publish(event, label);
    }

    /// Routes a message a client of another server sent (see [`Config::routed`]) as if that client
    /// were connected here with the party label `label` and the team `group`: to everyone that may
    /// see `label`, only to the devices it names when it is directed (`<marti><dest>`: callsign, uid,
    /// mission), only to the same team when channels are on; kept in the picture as a client's
    /// would be. It is not handed to [`Config::routed`] again.
    pub fn relay(&self, event: Event, label: truce_core::Label, group: Option<String>) {
        self.hub.relay(event, label, group);
    }

    /// Keeps in the picture a device gets when it connects an event a client with the party label
    /// `label` and the team `group` sent earlier, without sending it to anyone now: how a starting
    /// node takes in the live picture its store holds (until the event is stale; a newer event of the
    /// same uid replaces it).
    pub fn recall(&self, event: Event, label: truce_core::Label, group: Option<String>) {
        self.hub.recall(event, label, group);
    }

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.hub.snapshot()
    }

    /// Every rejected message so far by reason and field (`rejected{reason,field}`), most frequent
    /// first.
    pub fn rejections(&self) -> Vec<Rejection> {
        self.hub.rejections()
    }

    /// The users the connected clients act for, each once.
    pub fn users(&self) -> std::collections::BTreeSet<String> {
        self.hub.users()
    }

    /// Ends at once every connection acting for one of `users` (disabled or removed: its device must
    /// connect again and is then anonymous); returns how many were closed.
    pub fn close_users(&self, users: &std::collections::BTreeSet<String>) -> usize {
        self.hub.close_users(users)
    }

    /// The serial numbers (upper-case hex) of the certificates the connected TLS clients presented.
    pub fn serials(&self) -> std::collections::BTreeSet<String> {
        self.hub.serials()
    }

    /// Ends at once every connection whose certificate serial is one of `serials` (revoked); returns
    /// how many were closed.
    pub fn close_serials(&self, serials: &std::collections::BTreeSet<String>) -> usize {
        self.hub.close_serials(serials)
    }

    /// Replaces the mission routing table with every (mission name, subscribed device uid): an event
    /// addressed to a mission (`<marti><dest mission=".."/>`) reaches the devices subscribed to it.
    pub fn set_missions(&self, subscriptions: impl IntoIterator<Item = (String, String)>) {
        self.hub.set_missions(subscriptions);
    }

    /// Subscribes (`true`) or unsubscribes the device `uid` to `mission` in the routing table.
    pub fn set_subscribed(&self, mission: &str, uid: &str, subscribed: bool) {
        self.hub.set_subscribed(mission, uid, subscribed);
    }

    /// Forgets a deleted mission's subscribers.
    pub fn remove_mission(&self, mission: &str) {
        self.hub.remove_mission(mission);
    }

    /// Sends a server event to the connected devices whose uid is in `uids` and that may see `label`
    /// (a mission change notification to the mission's subscribers); it is not kept in the picture.
    /// Returns how many devices it was queued for.
    pub fn send_to_uids(
        &self,
        event: Event,
        label: truce_core::Label,
        uids: &std::collections::HashSet<String>,
    ) -> usize {
        self.hub.send_to_uids(event, label, uids)
    }

    /// The connected devices that announced themselves (an SA with a contact endpoint), those whose
    /// own label `access` permits, by callsign.
    pub fn contacts(&self, access: &truce_access::Access) -> Vec<Contact> {
        self.hub.contacts(access)
    }
}

/// A connected device, as the contacts list (`Marti/api/clientEndPoints`) shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Contact {
    /// The uid of its own SA.
    pub uid: String,
    /// Its callsign (its SA's, else its certificate's).
    pub callsign: String,
    /// Its team (`__group`).
    pub group: Option<String>,
    /// The truce user its certificate is bound to.
    pub user: Option<String>,
    /// The listener it came through.
    pub transport: Transport,
}

impl TakServer {
    /// Binds every configured listener and starts serving; received events go to `received`.
    pub async fn start(config: Config, received: mpsc::Sender<Received>) -> Result<TakServer, Error> {
        let parties = config.parties.clone().unwrap_or_else(|| Arc::new(|_| Party::open()));
        let hub = Arc::new(hub::Hub::new(
            config.limits.clone(),
            config.server_uid.clone(),
            received,
            parties,
            config.routed.clone(),
        ));
        let mut tasks = Vec::new();
        let mut server = TakServer {
            handle: TakHandle { hub: hub.clone() },
            tcp_addr: None,
            tls_addr: None,
            udp_addr: None,
            tasks: Vec::new(),
        };
        if let Some(addr) = config.tcp {
            let l = tokio::net::TcpListener::bind(addr).await.map_err(|source| Error::Bind {
                addr,
                what: "tcp",
                source,
            })?;
            server.tcp_addr = l.local_addr().ok();
            tasks.push(tokio::spawn(session::accept_tcp(hub.clone(), l)));
        }
        if let Some((addr, tls)) = config.tls {
            let l = tokio::net::TcpListener::bind(addr).await.map_err(|source| Error::Bind {
                addr,
                what: "tls",
                source,
            })?;
            server.tls_addr = l.local_addr().ok();
            tasks.push(tokio::spawn(session::accept_tls(hub.clone(), l, tokio_rustls::TlsAcceptor::from(tls))));
        }
        if let Some(addr) = config.udp {
            let socket =
                udp::bind(addr, config.multicast).map_err(|source| Error::Bind { addr, what: "udp", source })?;
            server.udp_addr = socket.local_addr().ok();
            tasks.push(tokio::spawn(udp::serve(hub.clone(), socket)));
        }
        tasks.push(tokio::spawn(hub::sweep(hub)));
        server.tasks = tasks;
        Ok(server)
    }

    /// A handle for publishing and counters.
    pub fn handle(&self) -> TakHandle {
        self.handle.clone()
    }
}

impl Drop for TakServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.handle.hub.close_all();
    }
}

/// A rustls server configuration for TAK clients: `server_cert`/`server_key` (DER, PKCS#8) and
/// client certificates required, verified against `ca_cert` (all DER) and refused once revoked in
/// `revocations` (see [`truce_pki::client_verifier`]).
pub fn tls_config(
    ca_cert: &[u8],
    server_cert: &[u8],
    server_key: &[u8],
    revocations: truce_pki::Revocations,
) -> Result<Arc<rustls::ServerConfig>, Error> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = truce_pki::client_verifier(ca_cert, revocations).map_err(|e| match e {
        truce_pki::Error::Tls(reason) => Error::Tls(reason),
        other => Error::Tls(other.to_string()),
    })?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(server_cert.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.to_vec())),
        )
        .map_err(|e| Error::Tls(format!("the server certificate or key: {e}")))?;
    Ok(Arc::new(config))
}
