//! What the AIS and ADS-B feeds share once a message is decoded: each report of a vessel or an
//! aircraft ([`Update`]) becomes a CoT event that goes to the node's track consumer (history,
//! geofencing, the bus, the map) exactly as a TAK device's position does, and, at most once every
//! [`DEVICE_EVERY`] per craft, to the TAK devices: an AIS receiver in a busy strait reports a ship
//! every two to ten seconds and an ADS-B receiver an aircraft several times a second, more than a
//! phone on a tactical radio network should draw. The same pushes go to the devices of the other
//! nodes of a cluster ([`crate::Bus::relay`]), so every device sees a craft at the same rate.
//!
//! The same task runs the sea and air detectors (crate `truce-detect`: going dark, spoofing,
//! encounters, loitering, GNSS interference, emergency squawks) over every report, with the ports
//! they know and the agreement's maritime exclusion zones; time-driven detections (a vessel gone
//! dark) are checked each minute of feed time, so a recording replayed fast is judged by its own
//! clock; with several feeds, at the slowest clock of those that reported in the last five minutes. A
//! GNSS interference detection is also stored as a `gps_jamming` observation by the ADS-B sensor, the
//! evidence the early warning's GPS-jamming indicator counts. Each detection is published on the bus with the label of the feed that reported the
//! craft, like the tracks it rests on.
//!
//! For the API the task also keeps, in memory, the last [`KEPT_DETECTIONS`] detections and the GNSS
//! interference cells of the last [`INTERFERENCE_SPAN`], each with its label, in a [`SeaAirView`]
//! that answers only through an access rule (the seam where the rule is applied, as the store's
//! view is for stored records). Detections are not stored: a restart forgets them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use truce_tak::{Received, TakHandle};
use truce_track::contact::Contact;

use super::tracks::Tracks;
use crate::{Event, Node, TakRelay};

/// The shortest interval between two updates of one craft sent to the TAK devices.
pub const DEVICE_EVERY: Duration = Duration::from_secs(5);
/// Updates buffered between the feeds and the consumer.
const CHANNEL: usize = 16_384;
/// A feed that has not reported for this long no longer holds the detectors' clock back.
const FEED_SILENT: Duration = Duration::from_secs(300);
/// Crafts not pushed to devices for this long are forgotten by the rate limit.
const FORGET: Duration = Duration::from_secs(600);

/// Detections kept for `GET /api/v1/detections`.
pub const KEPT_DETECTIONS: usize = 1_000;
/// How far back the interference cells are kept (the newest window of each cell is shown).
pub const INTERFERENCE_SPAN: time::Duration = time::Duration::minutes(30);

/// The recent detections and interference cells, each with its label.
#[derive(Debug, Default)]
pub struct SeaAirView {
    inner: std::sync::Mutex<ViewInner>,
}

#[derive(Debug, Default)]
struct ViewInner {
    detections: std::collections::VecDeque<(truce_core::Label, Arc<truce_detect::Alert>)>,
    interference: Vec<(truce_core::Label, truce_detect::CellFigure)>,
}

impl SeaAirView {
    fn lock(&self) -> std::sync::MutexGuard<'_, ViewInner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The detections `access` may see, each with its label, newest first, at most `limit`.
    pub fn detections(
        &self,
        access: &truce_access::Access,
        limit: usize,
    ) -> Vec<(truce_core::Label, Arc<truce_detect::Alert>)> {
        let inner = self.lock();
        inner.detections.iter().rev().filter(|(label, a)| access.permits(label, a.time)).take(limit).cloned().collect()
    }

    /// The interference cells `access` may see, each with its label: the newest window of each cell
    /// within [`INTERFERENCE_SPAN`] of the feed's clock, with enough aircraft to be judged.
    pub fn interference(&self, access: &truce_access::Access) -> Vec<(truce_core::Label, truce_detect::CellFigure)> {
        let inner = self.lock();
        inner.interference.iter().filter(|(label, c)| access.permits(label, c.window_start)).cloned().collect()
    }

    fn add_detection(&self, label: truce_core::Label, a: Arc<truce_detect::Alert>) {
        let mut inner = self.lock();
        if inner.detections.len() == KEPT_DETECTIONS {
            inner.detections.pop_front();
        }
        inner.detections.push_back((label, a));
    }

    fn set_interference(&self, cells: Vec<(truce_core::Label, truce_detect::CellFigure)>) {
        self.lock().interference = cells;
    }
}

/// The `gps_jamming` observation a GNSS interference detection makes: at the cell's centre, at the
/// window's start, by the ADS-B sensor, probable, with the detection's sentence and the feed's label. It
/// is what the early warning's GPS-jamming indicator counts (docs/incidents.md), like a monitor's report
/// of jamming; its id (`gnss-<cell>-<window>`) makes a repeat of the same window a duplicate.
fn jamming_observation(a: &truce_detect::Alert, label: &truce_core::Label) -> Option<truce_core::Observation> {
    use truce_core::{Category, Confidence, LocationPrecision, Means, Observer, TimePrecision};
    if a.detector != truce_detect::Detector::GnssInterference {
        return None;
    }
    let Some(truce_detect::Area::Cell(c)) = a.area else { return None };
    // Windows are aligned on the epoch: the window is the one its evidence falls in.
    let window_s = a.figure("window_s").unwrap_or(300.0).max(1.0) as i64;
    let first = a.evidence.iter().map(|f| f.time).min().unwrap_or(a.time).unix_timestamp();
    let start = OffsetDateTime::from_unix_timestamp(first - first.rem_euclid(window_s)).unwrap_or(a.time);
    Some(truce_core::Observation {
        id: format!("gnss-{:.2}-{:.2}-{}", c.south, c.west, start.unix_timestamp()),
        time: start,
        time_end: Some(start + time::Duration::seconds(window_s)),
        time_precision: TimePrecision::Exact,
        lat: (c.south + c.north) / 2.0,
        lon: (c.west + c.east) / 2.0,
        location_precision: LocationPrecision::Estimated,
        place: None,
        observer: Observer {
            means: Means::Sensor,
            team: None,
            callsign: Some("adsb".into()),
            lat: None,
            lon: None,
            bearing_deg: None,
            range_m: None,
        },
        category: Category::GpsJamming,
        weapon_class: None,
        count: None,
        direction: None,
        party: None,
        confidence: Some(Confidence::Probable),
        reason: None,
        casualties: None,
        text: Some(a.summary.chars().take(2_000).collect()),
        source_ref: Some(format!("adsb: {} aircraft, {} degraded", fig(a, "aircraft"), fig(a, "degraded"))),
        marking: label.marking,
        releasable_to: label.releasable_to.clone(),
        categories: label.categories.clone(),
    })
}

fn fig(a: &truce_detect::Alert, name: &str) -> String {
    a.figure(name).map_or_else(|| "?".to_owned(), |v| format!("{v:.0}"))
}

/// The newest judged window of each cell over the `INTERFERENCE_SPAN` before `now`, the window still
/// open included (its figures so far), so the map shows interference as it builds up.
fn interference_cells(d: &truce_detect::Detectors, now: OffsetDateTime) -> Vec<truce_detect::CellFigure> {
    let window = time::Duration::seconds_f64(d.config().interference_window_s.max(1.0));
    let mut newest: HashMap<(i64, i64), truce_detect::CellFigure> = HashMap::new();
    let mut start = now - INTERFERENCE_SPAN;
    while start <= now {
        for c in d.interference(start) {
            if c.level == truce_detect::Level::TooFewAircraft {
                continue;
            }
            let key = ((c.bounds.west * 1e6).round() as i64, (c.bounds.south * 1e6).round() as i64);
            if newest.get(&key).is_none_or(|n| n.window_start < c.window_start) {
                newest.insert(key, c);
            }
        }
        start += window;
    }
    newest.into_values().collect()
}

/// One report of a vessel or an aircraft.
#[derive(Debug, Clone)]
pub struct Update {
    /// What is known of the craft now.
    pub contact: Contact,
    /// The feed: `ais` or `adsb`.
    pub feed: &'static str,
    /// The input it came from (`tcp:host:port`, `file:...`).
    pub input: Arc<str>,
    /// Its security label (the feed's).
    pub label: truce_core::Label,
    /// When it was read.
    pub received_at: OffsetDateTime,
}

/// The running consumer; dropping it stops it.
pub struct SeaAir {
    tx: mpsc::Sender<Update>,
    task: tokio::task::JoinHandle<()>,
}

impl SeaAir {
    /// Starts the consumer: tracks go to `tracks`, and to the devices of `tak` when there is one;
    /// detections, with `detect`'s thresholds, to the node's bus.
    ///
    /// # Errors
    /// The detectors' configuration is invalid.
    pub fn start(
        node: &Arc<Node>,
        tracks: &Tracks,
        tak: Option<TakHandle>,
        detect: truce_detect::Config,
    ) -> Result<Self, crate::NodeError> {
        let geography = truce_detect::Geography {
            ports: truce_detect::scenario::ports(),
            maritime_zones: maritime_zones(&node.agreement),
        };
        let detectors = truce_detect::Detectors::new(detect, geography)
            .map_err(|e| crate::NodeError::Invalid(format!("the sea and air detectors: {e}")))?;
        let (tx, rx) = mpsc::channel(CHANNEL);
        let task = tokio::spawn(run(rx, tracks.sender(), tak, detectors, node.clone()));
        Ok(Self { tx, task })
    }

    /// Where a feed sends its updates.
    pub fn sender(&self) -> mpsc::Sender<Update> {
        self.tx.clone()
    }
}

impl Drop for SeaAir {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The agreement's maritime exclusion zones that are drawn as polygons.
fn maritime_zones(a: &truce_engine::Agreement) -> Vec<(String, truce_geo::ZonePolygon)> {
    a.zones
        .iter()
        .filter(|z| z.kind.id() == "maritime_exclusion")
        .filter_map(|z| match &z.shape {
            truce_engine::agreement::ZoneShape::Polygons { polygons, .. } => {
                Some((z.id.clone(), truce_geo::ZonePolygon { polygons: polygons.clone() }))
            }
            truce_engine::agreement::ZoneShape::Band { .. } => None,
        })
        .collect()
}

/// A detector's fix from a report.
fn fix(c: &Contact, received_at: OffsetDateTime) -> truce_detect::Fix {
    let kind = match c.kind {
        Some(truce_track::contact::Kind::Aircraft) => truce_detect::Kind::Aircraft,
        _ => truce_detect::Kind::Vessel,
    };
    let mut f = truce_detect::Fix::new(kind, c.id, c.time.unwrap_or(received_at), truce_geo::LonLat::new(c.lon, c.lat));
    f.speed_kn = c.speed_kn;
    f.course_deg = c.course_deg;
    f.altitude_ft = c.altitude_ft;
    f.nic = c.nic;
    f.nacp = c.nacp;
    // The four octal digits read as a decimal number (7700), as truce-detect keeps a squawk.
    f.squawk = c.squawk.as_deref().and_then(|s| s.parse().ok());
    f
}

async fn run(
    mut rx: mpsc::Receiver<Update>,
    tracks: mpsc::Sender<Received>,
    tak: Option<TakHandle>,
    mut detectors: truce_detect::Detectors,
    node: Arc<Node>,
) {
    let mut pushed: HashMap<(bool, u32), tokio::time::Instant> = HashMap::new();
    let mut last_prune = tokio::time::Instant::now();
    // The label each craft was last reported with, for the detections that name it.
    let mut labels: HashMap<(truce_detect::Kind, u32), truce_core::Label> = HashMap::new();
    // Each feed's clock (its latest report time) and when it last reported: the detectors are ticked
    // at the slowest clock of the feeds heard in the last FEED_SILENT, so an AIS recording catching up
    // is not judged at the time of a live ADS-B feed beside it, and a feed that stopped holds nothing up.
    let mut clocks: HashMap<&'static str, (OffsetDateTime, tokio::time::Instant)> = HashMap::new();
    let mut last_tick: Option<OffsetDateTime> = None;
    let mut last_view: Option<OffsetDateTime> = None;
    while let Some(u) = rx.recv().await {
        let f = fix(&u.contact, u.received_at);
        if labels.len() > 200_000 {
            labels.clear();
        }
        labels.insert(f.track(), u.label.clone());
        let mut alerts = detectors.push(&f);
        let wall = tokio::time::Instant::now();
        let clock = clocks.entry(u.feed).or_insert((f.time, wall));
        *clock = (clock.0.max(f.time), wall);
        let feed_clock =
            clocks.values().filter(|(_, at)| wall.duration_since(*at) < FEED_SILENT).map(|(t, _)| *t).min();
        if let Some(now) = feed_clock
            && last_tick.is_none_or(|t| now - t >= time::Duration::minutes(1))
        {
            alerts.extend(detectors.tick(now));
            last_tick = Some(now);
        }
        // The interference cells for the map, every 10 s of feed time (the open window included).
        if let Some(now) = feed_clock
            && last_view.is_none_or(|t| now - t >= time::Duration::seconds(10))
        {
            last_view = Some(now);
            let label = labels
                .iter()
                .find(|((k, _), _)| *k == truce_detect::Kind::Aircraft)
                .map_or_else(|| u.label.clone(), |(_, l)| l.clone());
            let cells = interference_cells(&detectors, now);
            node.sea_air.set_interference(cells.into_iter().map(|c| (label.clone(), c)).collect());
        }
        for a in alerts {
            let label = a.tracks.iter().find_map(|t| labels.get(t)).cloned().unwrap_or_else(|| u.label.clone());
            metrics::counter!("truce_detections_total", "detector" => a.detector.name()).increment(1);
            tracing::info!("detection: {}", a.summary);
            if let Some(o) = jamming_observation(&a, &label) {
                match node.prepare(o, OffsetDateTime::now_utc(), &truce_access::Access::all()) {
                    Ok(s) => {
                        if let Err(e) = node.commit_async("adsb", vec![s]).await {
                            tracing::error!("cannot store the GNSS interference seen from ADS-B: {e}");
                        }
                    }
                    Err(e) => tracing::error!("the GNSS interference seen from ADS-B was refused: {e}"),
                }
            }
            let a = Arc::new(a);
            node.sea_air.add_detection(label.clone(), a.clone());
            let sector = crate::wire::detection_place(&a).and_then(|p| node.sector_of(p.lat, p.lon));
            node.bus.publish(Event::detection(a, label).in_sector(sector));
        }
        let event = Arc::new(u.contact.to_event(u.received_at));
        let now = tokio::time::Instant::now();
        let key = (u.contact.kind == Some(truce_track::contact::Kind::Aircraft), u.contact.id);
        if pushed.get(&key).is_none_or(|t| now.duration_since(*t) >= DEVICE_EVERY) {
            pushed.insert(key, now);
            if let Some(tak) = &tak {
                tak.publish((*event).clone(), u.label.clone());
                metrics::counter!("truce_sea_air_device_updates_total", "feed" => u.feed).increment(1);
            }
            // The other nodes' devices get the craft as this node's do (no feed there: no team).
            if node.bus.relays() {
                let xml = truce_cot::xml::to_xml(&event);
                node.bus
                    .relay(Event::tak(TakRelay::routed(&event.type_, false, u.label.clone(), xml, None), event.time));
            }
        }
        if now.duration_since(last_prune) >= FORGET {
            pushed.retain(|_, t| now.duration_since(*t) < FORGET);
            last_prune = now;
        }
        let source = truce_tak::Source {
            identity: u.feed.to_owned(),
            group: None,
            peer: u.input.to_string(),
            // Not read by the track consumer (it is the TAK listener a device used).
            transport: truce_tak::Transport::Tcp,
            label: u.label,
            user: None,
        };
        if tracks.send(Received { event, source, received_at: u.received_at }).await.is_err() {
            return;
        }
        metrics::counter!("truce_sea_air_updates_total", "feed" => u.feed).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: u32, minute: i64) -> Arc<truce_detect::Alert> {
        let t = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000) + time::Duration::minutes(minute);
        let fix = truce_detect::Fix::new(truce_detect::Kind::Vessel, id, t, truce_geo::LonLat::new(30.0, 45.0));
        Arc::new(truce_detect::Alert {
            detector: truce_detect::Detector::SpoofJump,
            time: t,
            tracks: vec![(truce_detect::Kind::Vessel, id)],
            evidence: vec![fix],
            area: None,
            figures: Vec::new(),
            summary: format!("vessel {id}"),
        })
    }

    #[test]
    fn the_view_answers_each_viewer_only_what_its_label_permits_newest_first() {
        let policy = truce_access::Policy::shipped();
        let view = SeaAirView::default();
        let public = truce_core::Label::unclassified();
        let secret_swe = truce_core::Label {
            marking: truce_core::Marking::NatoSecret,
            releasable_to: vec!["SWE".into()],
            categories: Vec::new(),
        };
        view.add_detection(public.clone(), alert(1, 0));
        view.add_detection(secret_swe, alert(2, 1));
        view.add_detection(public, alert(3, 2));
        let viewer = |nation: &str, clearance| truce_access::Viewer {
            name: "v".into(),
            nation: Some(nation.into()),
            role: truce_access::Role::Analyst,
            clearance,
            categories: Default::default(),
        };
        let ids = |v: &truce_access::Viewer, limit| -> Vec<u32> {
            view.detections(&truce_access::Access::new(&policy, v), limit).iter().map(|(_, a)| a.tracks[0].1).collect()
        };
        assert_eq!(ids(&viewer("SWE", truce_core::Marking::NatoSecret), 10), [3, 2, 1]);
        assert_eq!(ids(&viewer("SWE", truce_core::Marking::NatoRestricted), 10), [3, 1], "below the marking");
        assert_eq!(ids(&viewer("FRA", truce_core::Marking::CosmicTopSecret), 10), [3, 1], "not released to FRA");
        assert_eq!(ids(&viewer("SWE", truce_core::Marking::NatoSecret), 1), [3]);
        for i in 0..KEPT_DETECTIONS as u32 {
            view.add_detection(truce_core::Label::unclassified(), alert(100 + i, 10));
        }
        assert_eq!(view.lock().detections.len(), KEPT_DETECTIONS, "bounded");
    }
}
