//! The AIS feed: NMEA 0183 sentences from receivers and aggregators over TCP, from a UDP port, or
//! from recorded files, decoded by `truce-ais` (tag blocks, checksums, multi-sentence assembly per
//! input) into vessel reports for the shared sea and air path ([`super::sea_air`]).
//!
//! Every input runs as its own task ([`super::input`]); one decoder task takes their bytes, cuts
//! them into lines per input (a TCP read ends anywhere; what a dropped connection left half-written
//! is thrown away when its input reconnects) and decodes them. Static and voyage data (types 5, 19,
//! 24) arrive apart from positions, every six minutes: the task remembers the name, callsign and
//! type of each MMSI and adds them to each of its positions. Base stations and aids to navigation
//! are not vessels and do not become tracks. A line that does not decode is counted
//! (`truce_feed_bad_lines_total{feed="ais"}`) and logged, the first five of each input and then one
//! in a thousand, never a panic and never the end of the feed.

pub mod config;

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use truce_ais::message::Body;
use truce_ais::{Decoder, Message, SourceKey, Timestamp};
use truce_track::contact::{Contact, Kind};

pub use config::AisConfig;

use super::input::{self, Chunk, Input};
use super::sea_air::{SeaAir, Update};
use crate::NodeError;

/// Bytes buffered between the inputs and the decoder.
const CHANNEL: usize = 1024;
/// Vessels whose static data is remembered; past this the memory starts again.
const MAX_KNOWN: usize = 200_000;
/// A partial line longer than this is dropped (a sentence is at most `truce_ais::MAX_LINE`).
const MAX_PARTIAL: usize = 4 * truce_ais::MAX_LINE;

/// The running feed: dropping it stops its tasks.
pub struct Ais {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    udp: Option<std::net::SocketAddr>,
}

impl Ais {
    /// Where the UDP input is bound, if there is one.
    pub fn udp_addr(&self) -> Option<std::net::SocketAddr> {
        self.udp
    }
}

impl Drop for Ais {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the inputs `config` names (none: `Ok(None)`) and the decoder.
///
/// # Errors
/// The UDP port cannot be bound.
pub async fn start(config: &AisConfig, sea_air: &SeaAir) -> Result<Option<Ais>, NodeError> {
    if !config.is_on() {
        return Ok(None);
    }
    let (tx, rx) = mpsc::channel(CHANNEL);
    let mut tasks = Vec::new();
    let mut udp = None;
    if let Some(addr) = config.udp.addr() {
        let socket = tokio::net::UdpSocket::bind(addr)
            .await
            .map_err(|e| NodeError::Invalid(format!("AIS over UDP on {addr}: cannot bind: {e}")))?;
        udp = socket.local_addr().ok();
        let name: Arc<str> = format!("udp:{}", udp.unwrap_or(addr)).into();
        tasks.push(tokio::spawn(input::udp("ais", socket, name, tx.clone())));
    }
    let speed = (config.speed > 0.0).then_some(config.speed);
    let inputs = config
        .connect
        .iter()
        .map(|a| Input::Tcp(a.clone()))
        .chain(config.files.iter().map(|p| Input::File { path: p.clone(), speed }));
    for i in inputs {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let name = i.to_string();
            if let Err(e) = input::run("ais", i, tag_time, tx).await {
                tracing::error!("ais {name}: {e}");
            }
        }));
    }
    drop(tx);
    tasks.push(tokio::spawn(decode(rx, sea_air.sender(), config.label())));
    Ok(Some(Ais { tasks, udp }))
}

/// The `c:` time of a line's tag block, in seconds, for paced replay.
pub fn tag_time(line: &[u8]) -> Option<f64> {
    let rest = line.strip_prefix(b"\\")?;
    let end = rest.iter().position(|&b| b == b'*' || b == b'\\')?;
    rest[..end].split(|&b| b == b',').find_map(|field| {
        let v = std::str::from_utf8(field.strip_prefix(b"c:")?).ok()?.parse::<i64>().ok()?;
        // Milliseconds from receivers that write them (as the decoder reads them).
        Some(if v > 100_000_000_000 { v as f64 / 1000.0 } else { v as f64 })
    })
}

/// What is known of a vessel apart from its position.
#[derive(Debug, Clone, Default)]
struct Known {
    name: Option<String>,
    callsign: Option<String>,
    ship_type: Option<u8>,
}

/// One input's state in the decoder task.
struct Stream {
    key: SourceKey,
    partial: Vec<u8>,
    bad: u64,
}

async fn decode(mut rx: mpsc::Receiver<Chunk>, out: mpsc::Sender<Update>, label: truce_core::Label) {
    let mut decoder = Decoder::new(truce_ais::Config::default());
    let mut streams: HashMap<Arc<str>, Stream> = HashMap::new();
    let mut known: HashMap<u32, Known> = HashMap::new();
    while let Some(chunk) = rx.recv().await {
        let next = streams.len() as u64;
        let stream = streams.entry(chunk.input.clone()).or_insert_with(|| Stream {
            key: SourceKey(next),
            partial: Vec::new(),
            bad: 0,
        });
        if chunk.reset {
            stream.partial.clear();
        }
        let now = Timestamp::from_unix_millis((chunk.received_at.unix_timestamp_nanos() / 1_000_000) as i64);
        let mut updates = Vec::new();
        let mut bytes = chunk.bytes.as_slice();
        while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
            let line: &[u8] = if stream.partial.is_empty() {
                &bytes[..i]
            } else {
                stream.partial.extend_from_slice(&bytes[..i]);
                &stream.partial
            };
            match decoder.push_line(stream.key, line, Some(now)) {
                Ok(Some(m)) => updates.extend(vessel(&m, &mut known, chunk.received_at)),
                Ok(None) => {}
                Err(e) => {
                    stream.bad += 1;
                    metrics::counter!("truce_feed_bad_lines_total", "feed" => "ais").increment(1);
                    if stream.bad <= 5 || stream.bad.is_multiple_of(1000) {
                        tracing::warn!("ais {}: line refused ({} so far): {e}", chunk.input, stream.bad);
                    }
                }
            }
            stream.partial.clear();
            bytes = &bytes[i + 1..];
        }
        // A datagram or a file line may end without its newline: a UDP datagram is whole.
        if chunk.input.starts_with("udp:") && !bytes.is_empty() {
            if let Ok(Some(m)) = decoder.push_line(stream.key, bytes, Some(now)) {
                updates.extend(vessel(&m, &mut known, chunk.received_at));
            }
        } else if stream.partial.len() + bytes.len() <= MAX_PARTIAL {
            stream.partial.extend_from_slice(bytes);
        } else {
            stream.partial.clear();
        }
        if known.len() > MAX_KNOWN {
            known.clear();
        }
        for contact in updates {
            let u = Update {
                contact,
                feed: "ais",
                input: chunk.input.clone(),
                label: label.clone(),
                received_at: chunk.received_at,
            };
            if out.send(u).await.is_err() {
                return;
            }
        }
    }
}

/// Updates what is known of the sender and returns its report when the message places a vessel.
fn vessel(m: &Message, known: &mut HashMap<u32, Known>, received_at: OffsetDateTime) -> Option<Contact> {
    let text = |t: &str| Some(t.trim().to_owned()).filter(|s| !s.is_empty());
    let k = known.entry(m.mmsi).or_default();
    let (speed, course) = match &m.body {
        Body::Position(p) => (p.speed, p.course),
        Body::ClassB(p) => (p.speed, p.course),
        Body::ClassBExtended(p) => {
            k.name = text(p.shipname.as_str()).or(k.name.take());
            k.ship_type = p.ship_type.or(k.ship_type);
            (p.speed, p.course)
        }
        Body::LongRange(p) => (p.speed.map(f64::from), p.course.map(f64::from)),
        Body::StaticVoyage(s) => {
            k.name = text(s.shipname.as_str()).or(k.name.take());
            k.callsign = text(s.callsign.as_str()).or(k.callsign.take());
            k.ship_type = s.ship_type.or(k.ship_type);
            return None;
        }
        Body::StaticPartA(a) => {
            k.name = text(a.shipname.as_str()).or(k.name.take());
            return None;
        }
        Body::StaticPartB(b) => {
            k.callsign = text(b.callsign.as_str()).or(k.callsign.take());
            k.ship_type = b.ship_type.or(k.ship_type);
            return None;
        }
        _ => return None,
    };
    let (lat, lon) = m.position()?;
    let time =
        m.time.and_then(|t| OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.unix_millis()) * 1_000_000).ok());
    Some(Contact {
        id: m.mmsi,
        kind: Some(Kind::Vessel),
        time: Some(time.unwrap_or(received_at)),
        lat,
        lon,
        speed_kn: speed,
        course_deg: course,
        name: k.name.clone(),
        callsign: k.callsign.clone(),
        ship_type: k.ship_type,
        country: truce_ais::mid::flag(m.mmsi).map(|f| f.code),
        ..Contact::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_block_time_is_read_in_seconds() {
        assert_eq!(tag_time(b"\\s:2573135,c:1671620143*0B\\!AIVDM,1,1,,A,x,0*00\n"), Some(1_671_620_143.0));
        assert_eq!(tag_time(b"\\c:1671620143000*0B\\!AIVDM"), Some(1_671_620_143.0));
        assert_eq!(tag_time(b"!AIVDM,1,1,,A,x,0*00"), None);
        assert_eq!(tag_time(b"\\s:x*00\\!AIVDM"), None);
    }

    #[test]
    fn static_data_is_added_to_the_positions_that_follow() {
        let mut d = Decoder::new(truce_ais::Config::default());
        let mut known = HashMap::new();
        let at = OffsetDateTime::UNIX_EPOCH;
        let mut push = |line: &[u8], known: &mut HashMap<u32, Known>| {
            d.push_line(SourceKey(0), line, None).expect("decodes").and_then(|m| vessel(&m, known, at))
        };
        // A type 5 in two fragments (pyais's example), then a position of the same MMSI made up.
        assert!(
            push(b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C", &mut known)
                .is_none()
        );
        assert!(push(b"!AIVDM,2,2,1,A,88888888880,2*25", &mut known).is_none());
        let k = known.values().next().expect("remembered");
        assert_eq!(k.name.as_deref(), Some("EVER DIADEM"));
    }
}
