//! The bus: every [`Event`] a node produces is published here, and every output (the WebSocket
//! stream, the alerts pushed to TAK clients, the map) is fed only by a subscription to it.
//!
//! [`LocalBus`] is the in-process implementation: a broadcast channel whose buffer holds the last
//! 4,096 events. Publishing never waits; a subscriber that falls that far behind is told how many
//! events it missed and goes on ([`Delivery::Lagged`]). A bus that spans several nodes (NATS
//! JetStream) implements the same trait and hands its subscribers the same [`Subscription`].

use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::Event;

/// Events buffered per subscriber before the slowest one lags.
pub const CAPACITY: usize = 4_096;

/// Where events are published and subscribed to.
pub trait Bus: Send + Sync {
    /// Publishes an event to every current subscriber. Never blocks; no subscriber is not an error.
    fn publish(&self, event: Event);

    /// A new subscription: every event published from now on, in order.
    fn subscribe(&self) -> Subscription;

    /// Whether a published event would reach anyone now. Bulk loads ask it once per batch and skip
    /// building events nobody receives; a bus that carries events to other nodes always says yes.
    fn has_subscribers(&self) -> bool;
}

/// What a subscription delivers next.
#[derive(Debug)]
pub enum Delivery {
    /// The next event.
    Event(Arc<Event>),
    /// The subscriber fell behind: this many events were dropped for it.
    Lagged(u64),
    /// The bus is gone.
    Closed,
}

/// A subscriber's end of the bus.
#[derive(Debug)]
pub struct Subscription {
    rx: broadcast::Receiver<Arc<Event>>,
}

impl Subscription {
    /// Waits for the next delivery.
    pub async fn recv(&mut self) -> Delivery {
        match self.rx.recv().await {
            Ok(e) => Delivery::Event(e),
            Err(RecvError::Lagged(n)) => Delivery::Lagged(n),
            Err(RecvError::Closed) => Delivery::Closed,
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

impl Default for LocalBus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus for LocalBus {
    fn publish(&self, event: Event) {
        metrics::counter!("truce_bus_events_total", "type" => event.type_name()).increment(1);
        // No subscriber is not an error.
        let _ = self.tx.send(Arc::new(event));
    }

    fn subscribe(&self) -> Subscription {
        Subscription { rx: self.tx.subscribe() }
    }

    fn has_subscribers(&self) -> bool {
        self.tx.receiver_count() > 0
    }
}
