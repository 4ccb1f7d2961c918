//! The bus: every [`Event`] a node produces is published here, and every output (the WebSocket
//! stream, the alerts pushed to TAK clients, the map) is fed only by a subscription to it.
//!
//! [`LocalBus`] is the in-process implementation: a broadcast channel whose buffer holds the last
//! 16,384 events. Publishing never waits; a subscriber that falls that far behind is told how many
//! events it missed and goes on ([`Delivery::Lagged`]). The buffer is twice the most events one
//! batch of the track consumer publishes at once (`sources::tracks`): a batch is published in one
//! burst from a blocking thread, faster than any subscriber's task is scheduled, so a buffer smaller
//! than a batch made every subscriber lag whenever the consumer had a backlog (10,000 tracks
//! reporting every second on a busy machine), however fast it read. The bus that spans several nodes
//! (`crate::nats::NatsBus`, NATS JetStream) implements the same trait around a [`LocalBus`] and
//! hands its subscribers the same [`Subscription`], so the access rule is applied in one place for
//! every event, this node's or another's.

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use truce_access::Access;

use crate::Event;

/// Events buffered per subscriber before the slowest one lags.
pub const CAPACITY: usize = 16_384;

/// Where events are published and subscribed to.
pub trait Bus: Send + Sync {
    /// Publishes an event to every current subscriber. Never blocks; no subscriber is not an error.
    fn publish(&self, event: Event);

    /// Hands an event to the other nodes only (what this node has delivered already in its own way:
    /// a TAK message its TAK server routed, see [`crate::TakRelay`]). A bus of one node drops it.
    fn relay(&self, event: Event) {
        let _ = event;
    }

    /// Whether [`Bus::relay`] hands anything on (a bus joined to other nodes): callers skip building
    /// what a bus of one node would drop.
    fn relays(&self) -> bool {
        false
    }

    /// A new subscription for one viewer: every event published from now on that `access` permits
    /// (and, for an event derived per audience, that is for the viewer's audience), in order. The
    /// access rule is applied here, so no output can forget it.
    fn subscribe(&self, access: Access) -> Subscription;

    /// Whether a published event would reach anyone now. Bulk loads ask it once per batch and skip
    /// building events nobody receives; a bus that carries events to other nodes always says yes.
    fn has_subscribers(&self) -> bool;

    /// Whether this node leads `task` (a task that must run once in the whole system, such as the
    /// watch task that raises alerts). A single node leads everything; a node in a cluster leads a
    /// task while it holds the task's lease.
    fn leads(&self, task: &str) -> bool {
        let _ = task;
        true
    }
}

/// What a subscription delivers next.
#[derive(Debug)]
pub enum Delivery {
    /// The next event the viewer may see.
    Event(Seen),
    /// The subscriber fell behind: this many events were dropped for it.
    Lagged(u64),
    /// The bus is gone.
    Closed,
}

/// An event as one viewer may see it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The event.
    pub event: Arc<Event>,
    observer: bool,
}

impl Seen {
    /// The wire form for this viewer: without the observer's fields unless the viewer may see them.
    pub fn to_json(&self) -> Arc<str> {
        if self.observer { self.event.to_json() } else { self.event.to_json_without_observer() }
    }
}

/// A subscriber's end of the bus: one viewer's.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Event>>,
    access: Access,
    tak: bool,
}

impl Subscription {
    /// A subscription over a broadcast receiver (for buses built on one).
    pub fn new(rx: broadcast::Receiver<Arc<Event>>, access: Access) -> Self {
        Self { rx, access, tak: false }
    }

    /// The same subscription, also delivering what other nodes hand this node's TAK server
    /// ([`crate::EventKind::Tak`]), which no other subscription delivers: the TAK server's own.
    #[must_use]
    pub fn with_tak(mut self) -> Self {
        self.tak = true;
        self
    }

    /// Waits for the next delivery; events the viewer may not see are skipped.
    pub async fn recv(&mut self) -> Delivery {
        loop {
            match self.rx.recv().await {
                Ok(e)
                    if (self.tak || !matches!(e.kind, crate::EventKind::Tak(_)))
                        && self.access.permits(&e.label, e.at)
                        && e.audience.as_deref().is_none_or(|a| a == self.access.audience()) =>
                {
                    return Delivery::Event(Seen { event: e, observer: self.access.sees_observer() });
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => return Delivery::Lagged(n),
                Err(RecvError::Closed) => return Delivery::Closed,
            }
        }
    }
}

/// The in-process bus.
#[derive(Debug, Clone)]
pub struct LocalBus {
    tx: broadcast::Sender<Arc<Event>>,
}

impl LocalBus {
    /// A bus whose subscribers may fall [`CAPACITY`] events behind.
    pub fn new() -> Self {
        Self::with_capacity(CAPACITY)
    }

    /// A bus whose subscribers may fall `capacity` events behind.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity.max(1)).0 }
    }
}

impl LocalBus {
    /// Publishes an event already shared (one another node published, or one also sent elsewhere).
    pub fn publish_shared(&self, event: Arc<Event>) {
        metrics::counter!("truce_bus_events_total", "type" => event.type_name()).increment(1);
        // No subscriber is not an error.
        let _ = self.tx.send(event);
    }
}

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus for LocalBus {
    fn publish(&self, event: Event) {
        self.publish_shared(Arc::new(event));
    }

    fn subscribe(&self, access: Access) -> Subscription {
        Subscription::new(self.tx.subscribe(), access)
    }

    fn has_subscribers(&self) -> bool {
        self.tx.receiver_count() > 0
    }
}
