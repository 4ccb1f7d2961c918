//! The bounded outgoing queue of one client, and what it drops when full.
//!
//! Every client has one [`Queue`] of at most `capacity` items, filled by whoever routes an event to
//! it and emptied by the client's writer task. A slow or stalled client therefore never delays the
//! others: routing only ever appends under a short lock. When the queue is full the policy is, in
//! order:
//!
//! 1. drop the oldest queued *position update* (an `a-*` event) of the **same uid** as the new item:
//!    the newer position supersedes it, so nothing the user needs is lost;
//! 2. otherwise drop the oldest queued position update of any uid;
//! 3. otherwise, if the new item is itself a position update, drop it;
//! 4. otherwise (the queue holds only chat, alerts and other non-position messages and the new item
//!    is one too) the client is hopeless: the push reports [`Push::Stalled`] and the session closes
//!    it rather than lose a message silently.
//!
//! Each outcome is counted by the caller. The scans in 1 and 2 run only when the queue is full.

use std::collections::VecDeque;
use std::sync::Arc;

/// What [`Queue::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// Appended; there was room.
    Queued,
    /// Appended after dropping an older position of the same uid.
    ReplacedSameUid,
    /// Appended after dropping the oldest position of another uid.
    DroppedOtherPosition,
    /// The new position update itself was dropped.
    DroppedNew,
    /// Nothing could be dropped: the client cannot keep up and must be disconnected.
    Stalled,
}

/// A bounded FIFO of items for one client.
#[derive(Debug)]
pub struct Queue<T> {
    items: VecDeque<T>,
    capacity: usize,
}

/// What the queue needs to know about an item to apply its drop policy.
pub trait Droppable {
    /// The uid of the position update this item carries, if it is one.
    fn position_uid(&self) -> Option<&str>;
}

impl<T: Droppable> Queue<T> {
    /// An empty queue holding at most `capacity` items (at least one).
    pub fn new(capacity: usize) -> Self {
        Queue { items: VecDeque::new(), capacity: capacity.max(1) }
    }

    /// Appends `item`, applying the drop policy of the module documentation when full.
    pub fn push(&mut self, item: T) -> Push {
        if self.items.len() < self.capacity {
            self.items.push_back(item);
            return Push::Queued;
        }
        if let Some(uid) = item.position_uid()
            && let Some(i) = self.items.iter().position(|q| q.position_uid() == Some(uid))
        {
            self.items.remove(i);
            self.items.push_back(item);
            return Push::ReplacedSameUid;
        }
        if let Some(i) = self.items.iter().position(|q| q.position_uid().is_some()) {
            self.items.remove(i);
            self.items.push_back(item);
            return Push::DroppedOtherPosition;
        }
        if item.position_uid().is_some() {
            return Push::DroppedNew;
        }
        Push::Stalled
    }

    /// Takes everything queued, oldest first, into `out` (which is cleared first). The two buffers
    /// are swapped, not copied: a writer that passes the same `out` every time keeps both allocations.
    pub fn drain_into(&mut self, out: &mut VecDeque<T>) {
        out.clear();
        std::mem::swap(&mut self.items, out);
    }

    /// How many items are queued.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<T: Droppable + ?Sized> Droppable for Arc<T> {
    fn position_uid(&self) -> Option<&str> {
        (**self).position_uid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct It(&'static str, Option<&'static str>);

    impl Droppable for It {
        fn position_uid(&self) -> Option<&str> {
            self.1
        }
    }

    fn pos(tag: &'static str, uid: &'static str) -> It {
        It(tag, Some(uid))
    }

    fn chat(tag: &'static str) -> It {
        It(tag, None)
    }

    fn contents(q: &mut Queue<It>) -> Vec<&'static str> {
        let mut out = VecDeque::new();
        q.drain_into(&mut out);
        out.iter().map(|i| i.0).collect()
    }

    #[test]
    fn a_full_queue_drops_the_older_position_of_the_same_uid_first() {
        let mut q = Queue::new(3);
        assert_eq!(q.push(pos("a1", "A")), Push::Queued);
        assert_eq!(q.push(pos("b1", "B")), Push::Queued);
        assert_eq!(q.push(pos("a2", "A")), Push::Queued);
        assert_eq!(q.push(pos("b2", "B")), Push::ReplacedSameUid);
        assert_eq!(contents(&mut q), ["a1", "a2", "b2"]);
    }

    #[test]
    fn then_the_oldest_position_of_any_uid_and_never_a_chat_message() {
        let mut q = Queue::new(3);
        q.push(chat("c1"));
        q.push(pos("a1", "A"));
        q.push(chat("c2"));
        assert_eq!(q.push(chat("c3")), Push::DroppedOtherPosition);
        assert_eq!(contents(&mut q), ["c1", "c2", "c3"]);
    }

    #[test]
    fn a_queue_of_chat_drops_a_new_position_and_reports_a_stall_for_new_chat() {
        let mut q = Queue::new(2);
        q.push(chat("c1"));
        q.push(chat("c2"));
        assert_eq!(q.push(pos("a1", "A")), Push::DroppedNew);
        assert_eq!(q.push(chat("c3")), Push::Stalled);
        assert_eq!(contents(&mut q), ["c1", "c2"]);
    }

    proptest::proptest! {
        /// Whatever arrives, the queue never exceeds its capacity, never drops a non-position item
        /// unless it reports a stall, and keeps the newest position of every uid it dropped one for.
        #[test]
        fn bounded_and_chat_is_never_lost(ops in proptest::collection::vec((0u8..4, proptest::bool::ANY), 0..200)) {
            let uids = ["A", "B", "C", "D"];
            let mut q: Queue<(usize, Option<&str>)> = Queue::new(8);
            let mut chats_in = 0usize;
            let mut stalled = 0usize;
            for (n, (u, is_pos)) in ops.iter().enumerate() {
                let item = (n, is_pos.then_some(uids[*u as usize]));
                if !is_pos {
                    chats_in += 1;
                }
                if q.push(item) == Push::Stalled {
                    stalled += 1;
                }
                proptest::prop_assert!(q.len() <= 8);
            }
            let mut out = VecDeque::new();
            q.drain_into(&mut out);
            let out = Vec::from(out);
            let chats_out = out.iter().filter(|i| i.1.is_none()).count();
            proptest::prop_assert_eq!(chats_out + stalled, chats_in);
            proptest::prop_assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "order kept");
        }
    }

    impl Droppable for (usize, Option<&str>) {
        fn position_uid(&self) -> Option<&str> {
            self.1
        }
    }
}
