//! Missions (TAK Server's *Data Sync*): named sets of CoT uids and files that subscribed devices
//! receive and that change live.
//!
//! The store keeps the missions, their subscribers, contents and change log ([`truce_store::MartiStore`], read
//! through the caller's access rule). This service adds what is live: it keeps the TAK server's
//! routing table of subscribers in step with the store (so a CoT addressed to a mission reaches its
//! subscribers, `truce_tak::TakHandle::set_missions`), sends every recorded change to the mission's
//! subscribed devices as the CoT TAK Server sends (`t-x-m-c` for content, `t-x-m-n` created,
//! `t-x-m-d` deleted), each labelled like the change, so a device receives only the changes its user
//! may see, and adds the uid of every CoT a device addresses to a mission to that mission's contents.
//!
//! It lives on the node ([`crate::Node::missions`]) and reaches the TAK server once that is started
//! ([`Missions::attach`]); before, changes are recorded and not pushed to this node's devices.
//!
//! In a cluster the subscriptions are in the shared store but the devices are spread over the
//! nodes: the node where a change happens reads the subscribers once and hands the notification with
//! their uids to every node ([`crate::TakRelay::Notify`]); each node sends it to those of them
//! connected to it, so a device gets it once, from the node it is connected to. A subscription, an
//! unsubscription and a deletion are relayed the same way, so every node's routing table follows
//! the store and a CoT addressed to a mission reaches its subscribers wherever they are connected.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_cot::Event;
use truce_cot::event::{Detail, Point, UNKNOWN_ERROR};
use truce_cot::xml::escape_into;
use truce_store::{ChangeKind, ContentRef, FileRecord, MissionChange, Store, StoreError};
use truce_tak::{Received, TakHandle};

use crate::{Bus, TakRelay};

/// The live side of missions. See the module documentation.
pub struct Missions {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    tak: OnceLock<TakHandle>,
}

impl std::fmt::Debug for Missions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Missions").field("attached", &self.tak.get().is_some()).finish()
    }
}

impl Missions {
    /// The service over `store` (read as everything: the routing table and notifications are the
    /// node's; each notification carries its label and the TAK server filters by it), telling the
    /// other nodes through `bus`.
    pub fn new(store: Arc<dyn Store>, bus: Arc<dyn Bus>) -> Self {
        Self { store, bus, tak: OnceLock::new() }
    }

    /// Connects the service to the running TAK server: loads every subscription into its routing
    /// table.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn attach(&self, tak: TakHandle) -> Result<(), StoreError> {
        let all = self.store.all_subscriptions()?;
        tak.set_missions(all.into_iter().map(|s| (s.mission, s.client_uid)));
        let _ = self.tak.set(tak);
        Ok(())
    }

    /// Records in the routing table of every node that device `uid` is (`true`) or is no longer
    /// subscribed to `mission`, whose label is `label`.
    pub fn subscribed(&self, mission: &str, uid: &str, subscribed: bool, label: &truce_core::Label) {
        if let Some(t) = self.tak.get() {
            t.set_subscribed(mission, uid, subscribed);
        }
        let r =
            TakRelay::Subscribed { label: label.clone(), mission: mission.to_owned(), uid: uid.to_owned(), subscribed };
        self.bus.relay(crate::Event::tak(r, OffsetDateTime::now_utc()));
    }

    /// Sends each change to the devices subscribed to its mission, on every node; returns how many
    /// of this node's devices it was queued for in all.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn notify(&self, changes: &[MissionChange], tool: &str, guid: &str) -> Result<usize, StoreError> {
        let mut sent = 0;
        for change in changes {
            let uids: HashSet<String> =
                self.store.subscriptions(&change.mission)?.into_iter().map(|s| s.client_uid).collect();
            sent += self.send(change_event(change, tool, guid), &change.label, uids);
        }
        Ok(sent)
    }

    /// Sends a deletion to the devices that were subscribed (`uids`, read before the deletion), on
    /// every node, and forgets the mission's routing on every node; returns how many of this node's
    /// devices it was queued for.
    pub fn deleted(&self, change: &MissionChange, tool: &str, guid: &str, uids: &HashSet<String>) -> usize {
        if let Some(t) = self.tak.get() {
            t.remove_mission(&change.mission);
        }
        let r = TakRelay::MissionDeleted { label: change.label.clone(), mission: change.mission.clone() };
        self.bus.relay(crate::Event::tak(r, change.at));
        self.send(change_event(change, tool, guid), &change.label, uids.clone())
    }

    /// Sends a notification to the devices of `uids` connected here, and relays it for those
    /// connected to the other nodes.
    fn send(&self, event: Event, label: &truce_core::Label, uids: HashSet<String>) -> usize {
        if uids.is_empty() {
            return 0;
        }
        let sent = self.tak.get().map_or(0, |t| t.send_to_uids(event.clone(), label.clone(), &uids));
        let at = event.time;
        let mut uids: Vec<String> = uids.into_iter().collect();
        uids.sort_unstable();
        let r = TakRelay::Notify { label: label.clone(), cot: truce_cot::xml::to_xml(&event), uids };
        self.bus.relay(crate::Event::tak(r, at));
        sent
    }

    /// A device sent an event addressed to missions: its uid joins each such mission's contents
    /// (a mission the sender's user may not see is left alone), and the change goes to the
    /// subscribers.
    pub fn on_device_event(&self, received: &Received, scoped: &Arc<dyn Store>) {
        let Some(marti) = received.event.detail.marti.as_ref() else { return };
        for name in marti.dests.iter().filter_map(|d| d.mission.as_deref()) {
            let mission = match scoped.mission(name) {
                Ok(Some(m)) => m,
                Ok(None) => continue,
                Err(e) => {
                    tracing::error!("mission {name:?}: {e}");
                    continue;
                }
            };
            let item = ContentRef::Uid(received.event.uid.clone());
            let creator = received.source.identity.clone();
            match scoped.add_contents(name, &[item], &creator, received.received_at) {
                Ok(changes) => {
                    if let Err(e) = self.notify(&changes, &mission.tool, &mission.guid) {
                        tracing::error!("mission {name:?}: notifying its subscribers: {e}");
                    }
                }
                Err(e) => tracing::error!("mission {name:?}: adding {}: {e}", received.event.uid),
            }
        }
    }
}

/// The CoT TAK Server sends a mission's subscribers for a change: `t-x-m-c` (`CHANGE`) for content,
/// `t-x-m-n` (`CREATE`) and `t-x-m-d` (`DELETE`), with a `<mission>` detail naming the mission and,
/// for content, one `<MissionChange>`.
pub fn change_event(change: &MissionChange, tool: &str, guid: &str) -> Event {
    let (type_, what) = match change.kind {
        ChangeKind::CreateMission => ("t-x-m-n", "CREATE"),
        ChangeKind::DeleteMission => ("t-x-m-d", "DELETE"),
        ChangeKind::AddContent | ChangeKind::RemoveContent => ("t-x-m-c", "CHANGE"),
    };
    let mut x = String::with_capacity(600);
    x.push_str("<mission type=\"");
    x.push_str(what);
    x.push_str("\" tool=\"");
    escape_into(&mut x, tool);
    x.push_str("\" name=\"");
    escape_into(&mut x, &change.mission);
    x.push_str("\" guid=\"");
    escape_into(&mut x, guid);
    x.push_str("\" authorUid=\"");
    escape_into(&mut x, &change.creator_uid);
    x.push('"');
    if matches!(change.kind, ChangeKind::AddContent | ChangeKind::RemoveContent) {
        x.push_str("><MissionChanges><MissionChange>");
        // TAK Server names the content by uid in every change (a file by its uid) and describes a file.
        match (&change.content, &change.file) {
            (Some(ContentRef::Uid(uid)), _) => element(&mut x, "contentUid", uid),
            (_, Some(f)) => {
                element(&mut x, "contentUid", &f.uid);
                content_resource(&mut x, f);
            }
            _ => {}
        }
        element(&mut x, "creatorUid", &change.creator_uid);
        element(&mut x, "isFederatedChange", "false");
        element(&mut x, "missionName", &change.mission);
        element(&mut x, "timestamp", &rfc3339(change.at));
        element(&mut x, "type", change.kind.id());
        // TAK Server describes a uid's track here (type, callsign, location); the change carries the
        // mission's label, not the track's, so truce leaves the description empty rather than let a
        // track's details reach a subscriber who may see the mission but not the track. Clients that
        // validate the element (node-cot) require it with a `type`.
        x.push_str("<details type=\"\"/>");
        x.push_str("</MissionChange></MissionChanges></mission>");
    } else {
        x.push_str("/>");
    }
    let now = OffsetDateTime::now_utc();
    Event {
        version: "2.0".to_owned(),
        uid: uuid_v4(),
        type_: type_.to_owned(),
        how: "h-g-i-g-o".to_owned(),
        time: now,
        start: now,
        stale: now + time::Duration::seconds(20),
        access: None,
        qos: None,
        opex: None,
        point: Point { lat: 0.0, lon: 0.0, hae: 0.0, ce: UNKNOWN_ERROR, le: UNKNOWN_ERROR },
        detail: Detail { unknown: vec![x], ..Detail::default() },
    }
}

fn content_resource(x: &mut String, f: &FileRecord) {
    x.push_str("<contentResource>");
    element(x, "creatorUid", f.creator_uid.as_deref().unwrap_or(""));
    element(x, "expiration", &f.expiration.unwrap_or(-1).to_string());
    element(x, "filename", &f.name);
    element(x, "hash", &f.hash);
    for k in &f.keywords {
        element(x, "keywords", k);
    }
    element(x, "mimeType", &f.mime);
    element(x, "name", &f.name);
    element(x, "size", &f.size.to_string());
    element(x, "submissionTime", &rfc3339(f.submitted));
    element(x, "submitter", &f.submitter);
    element(x, "uid", &f.uid);
    x.push_str("</contentResource>");
}

fn element(x: &mut String, name: &str, text: &str) {
    x.push('<');
    x.push_str(name);
    x.push('>');
    escape_into(x, text);
    x.push_str("</");
    x.push_str(name);
    x.push('>');
}

/// A time as TAK Server writes it (RFC 3339, UTC).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A random (version 4) UUID, lower-case: mission guids and notification uids.
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    // The system's random source does not fail on the platforms truce runs on; if it did, the
    // zeroed bytes still make a syntactically valid uid.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_content_change_reads_back_as_tak_servers_notification() {
        let change = MissionChange {
            seq: 1,
            mission: "ops <north>".to_owned(),
            kind: ChangeKind::AddContent,
            content: Some(ContentRef::Uid("ANDROID-1".to_owned())),
            file: None,
            creator_uid: "ANDROID-2".to_owned(),
            at: time::macros::datetime!(2026-12-03 08:00 UTC),
            label: truce_core::Label::unclassified(),
        };
        let ev = change_event(&change, "public", "g-1");
        let xml = truce_cot::xml::to_xml(&ev);
        let back = truce_cot::xml::parse_event(xml.as_bytes()).expect("valid CoT");
        assert_eq!(back.type_, "t-x-m-c");
        let detail = &back.detail.unknown[0];
        assert!(detail.starts_with("<mission type=\"CHANGE\" tool=\"public\" name=\"ops &lt;north&gt;\""), "{detail}");
        assert!(detail.contains("<contentUid>ANDROID-1</contentUid>"), "{detail}");
        assert!(detail.contains("<type>ADD_CONTENT</type>"), "{detail}");
        assert!(detail.contains("<timestamp>2026-12-03T08:00:00Z</timestamp>"), "{detail}");
    }

    #[test]
    fn uuids_are_version_4_and_distinct() {
        let (a, b) = (uuid_v4(), uuid_v4());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
    }
}
