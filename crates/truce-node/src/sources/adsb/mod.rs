//! The ADS-B feed: aircraft from receivers and aggregators, decoded by `truce-adsb`, into reports
//! for the shared sea and air path ([`super::sea_air`]). Four inputs are read: the Beast binary
//! stream (readsb and dump1090 port 30005: every Mode S frame with its timestamp), SBS-1 BaseStation
//! text (port 30003: what the receiver already decoded), `aircraft.json` documents polled over HTTP or
//! from disk, and recorded files of raw frames, SBS text, Beast or one `aircraft.json`.
//!
//! Every input runs as its own task ([`super::input`]); one decoder task keeps, per input, its Beast
//! framer or its half line (thrown away when the input reconnects), and one Mode S decoder for all
//! (its CPR pairs and the Address/Parity rule are per aircraft, whichever receiver heard it). Mode S
//! says a little in each message (callsign, position, velocity, squawk, integrity): the task keeps
//! what was last heard of each aircraft and adds it to each position, which becomes the aircraft's
//! report. A polled `aircraft.json` repeats an aircraft's position until a new one is heard: only a
//! position newer than the last one taken is a report. A frame or line that does not decode is counted (`truce_feed_bad_lines_total{feed="adsb"}`)
//! and logged, the first five of each input then one in a thousand; frames of formats not decoded
//! and Address/Parity frames of aircraft not yet identified are normal on a live feed and only
//! counted (`truce_adsb_frames_skipped_total`).

pub mod config;

use std::collections::HashMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::mpsc;
use truce_adsb::{BeastFramer, BeastKind, Decoder, Message};
use truce_track::contact::{Contact, Kind};

pub use config::AdsbConfig;

use super::input::{self, Chunk, Input};
use super::sea_air::{SeaAir, Update};
use crate::NodeError;

/// Chunks buffered between the inputs and the decoder.
const CHANNEL: usize = 1024;
/// Aircraft whose last data is remembered; past this the memory starts again.
const MAX_KNOWN: usize = 100_000;
/// A partial text line longer than this is dropped.
const MAX_PARTIAL: usize = 4096;

/// What an input sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Beast binary.
    Beast,
    /// SBS-1 BaseStation text.
    Sbs,
    /// Raw frames, `*…;` or `@…;` per line.
    Raw,
    /// `aircraft.json` documents.
    AircraftJson,
}

impl Format {
    /// The format of a recorded file from its first bytes: `0x1a` Beast, `*` or `@` raw frames,
    /// `{` an `aircraft.json`, anything else SBS text.
    pub fn sniff(head: &[u8]) -> Self {
        match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(0x1a) => Format::Beast,
            Some(b'*' | b'@') => Format::Raw,
            Some(b'{') => Format::AircraftJson,
            _ => Format::Sbs,
        }
    }
}

/// The running feed: dropping it stops its tasks.
pub struct Adsb {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Adsb {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the inputs `config` names (none: `Ok(None)`) and the decoder.
///
/// # Errors
/// A recorded file cannot be read.
pub async fn start(config: &AdsbConfig, sea_air: &SeaAir) -> Result<Option<Adsb>, NodeError> {
    if !config.is_on() {
        return Ok(None);
    }
    let every = std::time::Duration::from_millis(config.poll_ms);
    let speed = (config.speed > 0.0).then_some(config.speed);
    let mut inputs: Vec<(Input, Format)> = Vec::new();
    inputs.extend(config.beast.iter().map(|a| (Input::Tcp(a.clone()), Format::Beast)));
    inputs.extend(config.sbs.iter().map(|a| (Input::Tcp(a.clone()), Format::Sbs)));
    for doc in &config.aircraft_json {
        let input = if doc.starts_with("http://") || doc.starts_with("https://") {
            Input::Http { url: doc.clone(), every }
        } else {
            Input::Poll { path: doc.into(), every }
        };
        inputs.push((input, Format::AircraftJson));
    }
    let mut documents = Vec::new();
    for path in &config.files {
        let mut head = [0u8; 64];
        let n = std::io::Read::read(
            &mut std::fs::File::open(path)
                .map_err(|e| NodeError::Invalid(format!("ADS-B file {}: {e}", path.display())))?,
            &mut head,
        )
        .map_err(|e| NodeError::Invalid(format!("ADS-B file {}: {e}", path.display())))?;
        match Format::sniff(&head[..n]) {
            // A document is read once, whole.
            Format::AircraftJson => documents.push(path.clone()),
            f => inputs.push((Input::File { path: path.clone(), speed }, f)),
        }
    }
    let formats: HashMap<Arc<str>, Format> = inputs
        .iter()
        .map(|(i, f)| (Arc::from(i.to_string()), *f))
        .chain(documents.iter().map(|p| (Arc::from(format!("file:{}", p.display())), Format::AircraftJson)))
        .collect();
    let (tx, rx) = mpsc::channel(CHANNEL);
    let mut tasks = Vec::new();
    for (i, _) in inputs {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let name = i.to_string();
            if let Err(e) = input::run("adsb", i, sbs_time, tx).await {
                tracing::error!("adsb {name}: {e}");
            }
        }));
    }
    for path in documents {
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let name: Arc<str> = format!("file:{}", path.display()).into();
            match tokio::fs::read(&path).await {
                Ok(bytes) if bytes.len() <= input::MAX_DOCUMENT_BYTES => {
                    let _ = tx
                        .send(Chunk { input: name, bytes, received_at: OffsetDateTime::now_utc(), reset: false })
                        .await;
                }
                Ok(bytes) => tracing::error!("adsb {name}: {} bytes is over the document limit", bytes.len()),
                Err(e) => tracing::error!("adsb {name}: {e}"),
            }
        }));
    }
    drop(tx);
    let decoder = Decoder::new(truce_adsb::Config {
        reference: config.reference.map(|[lat, lon]| (lat, lon)),
        ..truce_adsb::Config::default()
    });
    tasks.push(tokio::spawn(decode(rx, formats, decoder, sea_air.sender(), config.label())));
    Ok(Some(Adsb { tasks }))
}

/// The generated date and time of an SBS line (fields 7 and 8), in seconds, for paced replay.
pub fn sbs_time(line: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(line).ok()?;
    let mut fields = text.split(',').skip(6);
    let (date, clock) = (fields.next()?, fields.next()?);
    let mut d = date.split('/').map(str::parse::<i32>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let date =
        time::Date::from_calendar_date(y, time::Month::try_from(u8::try_from(m).ok()?).ok()?, u8::try_from(day).ok()?)
            .ok()?;
    let mut c = clock.trim().split(':');
    let (h, min, s) = (c.next()?.parse::<f64>().ok()?, c.next()?.parse::<f64>().ok()?, c.next()?.parse::<f64>().ok()?);
    let midnight = date.midnight().assume_utc().unix_timestamp() as f64;
    Some(midnight + h * 3600.0 + min * 60.0 + s)
}

/// What was last heard of an aircraft, added to its positions.
#[derive(Debug, Clone, Default)]
struct Known {
    callsign: Option<String>,
    category: Option<String>,
    altitude_ft: Option<i32>,
    speed_kn: Option<f64>,
    track_deg: Option<f64>,
    squawk: Option<String>,
    nic: Option<u8>,
    nacp: Option<u8>,
}

impl Known {
    fn contact(&self, icao: u32, lat: f64, lon: f64, time: OffsetDateTime) -> Contact {
        Contact {
            id: icao,
            kind: Some(Kind::Aircraft),
            time: Some(time),
            lat,
            lon,
            altitude_ft: self.altitude_ft,
            speed_kn: self.speed_kn,
            course_deg: self.track_deg,
            name: self.callsign.clone(),
            category: self.category.clone(),
            country: truce_adsb::country(icao).map(|c| c.iso),
            squawk: self.squawk.clone(),
            nic: self.nic,
            nacp: self.nacp,
            ..Contact::default()
        }
    }

    fn mode_s(&mut self, m: &Message) {
        if let Some(c) = m.callsign {
            self.callsign = Some(c.as_str().trim().to_owned()).filter(|s| !s.is_empty());
        }
        if let Some(c) = m.category {
            self.category = Some(c.to_string());
        }
        self.altitude_ft = m.altitude.or(m.gnss_altitude).or(self.altitude_ft);
        self.speed_kn = m.groundspeed.or(self.speed_kn);
        self.track_deg = m.track.or(self.track_deg);
        if let Some(s) = m.squawk {
            self.squawk = Some(s.to_string());
        }
        self.nic = m.nic.or(self.nic);
        self.nacp = m.nacp.or(self.nacp);
    }
}

/// One input's state in the decoder task.
#[derive(Default)]
struct Stream {
    framer: BeastFramer,
    partial: Vec<u8>,
    bad: u64,
}

struct Task {
    decoder: Decoder,
    known: HashMap<u32, Known>,
    /// The time of each aircraft's last position from a document: a document polled every second
    /// repeats a position until the receiver hears a new one, and a repeat is not a new report.
    documented: HashMap<u32, OffsetDateTime>,
    out: Vec<Contact>,
}

impl Task {
    fn new(decoder: Decoder) -> Self {
        Task { decoder, known: HashMap::new(), documented: HashMap::new(), out: Vec::new() }
    }

    fn frame(&mut self, data: &[u8], now: f64, at: OffsetDateTime) -> Result<(), String> {
        match self.decoder.frame(data, now) {
            Ok(m) => {
                let k = self.known.entry(m.icao).or_default();
                k.mode_s(&m);
                if let Some(p) = m.position {
                    self.out.push(k.contact(m.icao, p.lat, p.lon, at));
                }
                Ok(())
            }
            Err(e) if e.is_bad() => Err(e.to_string()),
            Err(_) => {
                metrics::counter!("truce_adsb_frames_skipped_total").increment(1);
                Ok(())
            }
        }
    }

    fn line(&mut self, format: Format, line: &[u8], now: f64, at: OffsetDateTime) -> Result<(), String> {
        let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8 (byte {})", e.valid_up_to() + 1))?;
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        match format {
            Format::Raw => {
                let f = truce_adsb::raw::parse_line(text).map_err(|e| e.to_string())?;
                if f.data().len() == 2 {
                    return Ok(());
                }
                self.frame(f.data(), now, at)
            }
            Format::Sbs => match truce_adsb::sbs::parse_line(text).map_err(|e| e.to_string())? {
                truce_adsb::sbs::SbsLine::Msg(m) => {
                    let k = self.known.entry(m.icao).or_default();
                    if let Some(c) = m.callsign {
                        k.callsign = Some(c.as_str().trim().to_owned()).filter(|s| !s.is_empty());
                    }
                    k.altitude_ft = m.altitude.or(k.altitude_ft);
                    k.speed_kn = m.groundspeed.or(k.speed_kn);
                    k.track_deg = m.track.or(k.track_deg);
                    if let Some(s) = m.squawk {
                        k.squawk = Some(s.to_string());
                    }
                    if let (Some(lat), Some(lon)) = (m.lat, m.lon) {
                        self.out.push(k.contact(m.icao, lat, lon, at));
                    }
                    Ok(())
                }
                truce_adsb::sbs::SbsLine::Other(_) => Ok(()),
            },
            Format::Beast | Format::AircraftJson => Ok(()),
        }
    }

    fn document(&mut self, bytes: &[u8], at: OffsetDateTime) -> Result<usize, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 (byte {})", e.valid_up_to() + 1))?;
        let doc = truce_adsb::aircraft_json::parse_document(text).map_err(|e| e.to_string())?;
        let mut bad = 0;
        for record in doc.aircraft {
            let Ok(r) = record else {
                bad += 1;
                continue;
            };
            let (Some(lat), Some(lon)) = (r.lat, r.lon) else { continue };
            let k = Known {
                callsign: r.callsign.map(|c| c.as_str().trim().to_owned()).filter(|s| !s.is_empty()),
                category: r.category.map(|c| c.to_string()),
                altitude_ft: r.altitude.or(r.gnss_altitude),
                speed_kn: r.groundspeed,
                track_deg: r.track,
                squawk: r.squawk.map(|s| s.to_string()),
                nic: r.nic,
                nacp: r.nacp,
            };
            // The position is as old as `seen_pos` at the document's `now`.
            let time = match (doc.now, r.seen_pos) {
                (Some(now), Some(seen)) => {
                    OffsetDateTime::from_unix_timestamp_nanos(((now - seen) * 1e9) as i128).unwrap_or(at)
                }
                _ => at,
            };
            if self.documented.get(&r.icao).is_some_and(|last| *last >= time - time::Duration::milliseconds(50)) {
                continue;
            }
            self.documented.insert(r.icao, time);
            self.out.push(k.contact(r.icao, lat, lon, time));
        }
        Ok(bad)
    }
}

async fn decode(
    mut rx: mpsc::Receiver<Chunk>,
    formats: HashMap<Arc<str>, Format>,
    decoder: Decoder,
    out: mpsc::Sender<Update>,
    label: truce_core::Label,
) {
    let mut task = Task::new(decoder);
    let mut streams: HashMap<Arc<str>, Stream> = HashMap::new();
    let mut last_prune = 0.0;
    while let Some(chunk) = rx.recv().await {
        let format = formats.get(&chunk.input).copied().unwrap_or(Format::Sbs);
        let stream = streams.entry(chunk.input.clone()).or_default();
        if chunk.reset {
            stream.partial.clear();
            stream.framer = BeastFramer::new();
        }
        let at = chunk.received_at;
        let now = at.unix_timestamp_nanos() as f64 / 1e9;
        let mut problems: Vec<String> = Vec::new();
        match format {
            Format::Beast => {
                let mut frames = Vec::new();
                stream.framer.push(&chunk.bytes, |f| frames.push(f));
                for f in frames {
                    match f {
                        Ok(f) if f.kind == BeastKind::ModeAc => {}
                        Ok(f) => {
                            if let Err(e) = task.frame(f.data(), now, at) {
                                problems.push(format!("byte {}: {e}", f.offset));
                            }
                        }
                        Err(e) => problems.push(e.to_string()),
                    }
                }
            }
            Format::AircraftJson => match task.document(&chunk.bytes, at) {
                Ok(0) => {}
                Ok(n) => problems.push(format!("{n} aircraft records refused")),
                Err(e) => problems.push(e),
            },
            Format::Sbs | Format::Raw => {
                let mut bytes = chunk.bytes.as_slice();
                while let Some(i) = bytes.iter().position(|&b| b == b'\n') {
                    let result = if stream.partial.is_empty() {
                        task.line(format, &bytes[..i], now, at)
                    } else {
                        stream.partial.extend_from_slice(&bytes[..i]);
                        let line = std::mem::take(&mut stream.partial);
                        task.line(format, &line, now, at)
                    };
                    if let Err(e) = result {
                        problems.push(e);
                    }
                    bytes = &bytes[i + 1..];
                }
                if stream.partial.len() + bytes.len() <= MAX_PARTIAL {
                    stream.partial.extend_from_slice(bytes);
                } else {
                    stream.partial.clear();
                }
            }
        }
        for p in problems {
            stream.bad += 1;
            metrics::counter!("truce_feed_bad_lines_total", "feed" => "adsb").increment(1);
            if stream.bad <= 5 || stream.bad.is_multiple_of(1000) {
                tracing::warn!("adsb {}: refused ({} so far): {p}", chunk.input, stream.bad);
            }
        }
        if now - last_prune > 60.0 {
            task.decoder.prune(now);
            last_prune = now;
        }
        if task.known.len() > MAX_KNOWN {
            task.known.clear();
        }
        if task.documented.len() > MAX_KNOWN {
            task.documented.clear();
        }
        for contact in task.out.drain(..) {
            let u = Update { contact, feed: "adsb", input: chunk.input.clone(), label: label.clone(), received_at: at };
            if out.send(u).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_told_by_its_first_byte() {
        assert_eq!(Format::sniff(b"\x1a2\x00"), Format::Beast);
        assert_eq!(Format::sniff(b"*8D4840D6202CC371C32CE0576098;\n"), Format::Raw);
        assert_eq!(Format::sniff(b"  {\"now\": 1}"), Format::AircraftJson);
        assert_eq!(Format::sniff(b"MSG,3,1,1,4CA2D6,1,2024/01/02,10:00:00.000"), Format::Sbs);
    }

    #[test]
    fn an_sbs_line_has_its_generated_time() {
        let t = sbs_time(
            b"MSG,3,1,1,4CA2D6,1,2024/01/02,10:00:01.500,2024/01/02,10:00:01.500,,35000,,,52.1,4.5,,,0,0,0,0\n",
        );
        assert_eq!(t, Some(1_704_189_601.5));
        assert_eq!(sbs_time(b"*8D4840D6202CC371C32CE0576098;"), None);
    }

    #[test]
    fn a_callsign_heard_before_is_added_to_the_position_that_follows() {
        let mut task = Task::new(Decoder::new(truce_adsb::Config::default()));
        let at = OffsetDateTime::UNIX_EPOCH;
        // "The 1090 MHz Riddle": KLM1023's identification, then a CPR pair of another aircraft.
        for line in
            ["*8D4840D6202CC371C32CE0576098;", "*8D40621D58C382D690C8AC2863A7;", "*8D40621D58C386435CC412692AD6;"]
        {
            task.line(Format::Raw, line.as_bytes(), 1.0, at).unwrap();
        }
        assert_eq!(task.known[&0x4840d6].callsign.as_deref(), Some("KLM1023"));
        let c = task.out.pop().expect("a position from the pair");
        assert_eq!((c.id, c.kind, c.country), (0x40621d, Some(Kind::Aircraft), Some("GB")));
        // The odd message is the newer: the position is the odd one's (52.2658, 3.9389 in the book).
        assert!((c.lat - 52.2658).abs() < 1e-3 && (c.lon - 3.9389).abs() < 1e-3, "{c:?}");
        assert_eq!(c.altitude_ft, Some(38_000));
        assert!(task.line(Format::Raw, b"*8D4840D6202CC371C32CE0576099;", 1.0, at).unwrap_err().contains("CRC"));
    }

    #[test]
    fn a_position_repeated_by_the_next_document_is_not_a_new_report() {
        let mut task = Task::new(Decoder::new(truce_adsb::Config::default()));
        let at = OffsetDateTime::UNIX_EPOCH;
        let doc = |now: f64, seen: f64| {
            format!(
                r#"{{"now":{now},"aircraft":[{{"hex":"48ae21","lat":52.1,"lon":21.0,"seen_pos":{seen},"nic":8,"nac_p":9}}]}}"#
            )
        };
        assert_eq!(task.document(doc(100.0, 0.5).as_bytes(), at), Ok(0));
        assert_eq!(task.document(doc(101.0, 1.5).as_bytes(), at), Ok(0), "the same position a second later");
        assert_eq!(task.document(doc(102.0, 0.2).as_bytes(), at), Ok(0));
        let times: Vec<f64> =
            task.out.iter().map(|c| c.time.expect("dated").unix_timestamp_nanos() as f64 / 1e9).collect();
        assert_eq!(times, [99.5, 101.8]);
        assert_eq!((task.out[0].nic, task.out[0].nacp, task.out[0].country), (Some(8), Some(9), Some("PL")));
        assert!(task.document(b"{\"aircraft\": 5}", at).is_err());
    }
}
