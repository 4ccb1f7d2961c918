//! The command-line decoder: any of the four formats in, NDJSON out.
//!
//! Output is written by hand (numbers, booleans and strings whose characters are escaped as
//! needed) rather than through a `serde_json::Value`, so a message costs no allocation beyond
//! the reused line buffer. Fields a message does not carry are omitted. Errors go to their
//! own stream, one line each, prefixed with `NAME:LINE:` (text formats) or `NAME:byte OFFSET:`
//! (Beast). Text formats read one line at a time with a bound on its length, so a binary file
//! fed as text gives per-line errors ("not UTF-8 …", "line of N bytes …") and never a panic.

use std::fmt::{self, Write as _};
use std::io::{self, BufRead, BufReader, Read, Write};

use crate::aircraft_json::{self, AircraftRecord};
use crate::beast::{BeastFramer, BeastKind};
use crate::modes::{Config, Decoder, Error, Message, Time};
use crate::raw;
use crate::sbs::{self, SbsLine, SbsMessage};

/// Input format of [`decode_ndjson`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Beast binary (port 30005).
    Beast,
    /// SBS-1 BaseStation text (port 30003).
    Sbs,
    /// Raw AVR frames `*…;` / `@…;` (port 30002).
    Raw,
    /// readsb/dump1090 `aircraft.json` (one or more concatenated documents).
    AircraftJson,
}

impl Format {
    /// `beast`, `sbs`, `raw` or `aircraft-json`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Beast => "beast",
            Self::Sbs => "sbs",
            Self::Raw => "raw",
            Self::AircraftJson => "aircraft-json",
        }
    }
}

/// Counts of one [`decode_ndjson`] run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The format read.
    pub format: Format,
    /// Text lines read (text formats) or bytes read (Beast).
    pub lines: u64,
    /// Frames (Beast, raw) or records (SBS lines, aircraft objects) found.
    pub frames: u64,
    /// NDJSON objects written.
    pub messages: u64,
    /// Bad inputs (each also written to the error stream).
    pub bad: u64,
    /// Mode S frames that decoded but whose DF is not handled, per DF (index 24: DF24+).
    pub unsupported_df: [u64; 25],
    /// Mode A/C replies (not decoded: A and C cannot be told apart) and SBS non-`MSG` records.
    pub unsupported_other: u64,
    /// Frames failing the CRC (counted in `bad` too).
    pub crc_failures: u64,
    /// Address/Parity frames from addresses not seen in a DF11/17/18 (not bad).
    pub unknown_address: u64,
    /// Messages with a position.
    pub positions: u64,
    /// Beast bytes outside frames.
    pub skipped_bytes: u64,
}

impl Summary {
    fn new(format: Format) -> Self {
        Self {
            format,
            lines: 0,
            frames: 0,
            messages: 0,
            bad: 0,
            unsupported_df: [0; 25],
            unsupported_other: 0,
            crc_failures: 0,
            unknown_address: 0,
            positions: 0,
            skipped_bytes: 0,
        }
    }

    /// Total unsupported frames and records.
    #[must_use]
    pub fn unsupported(&self) -> u64 {
        self.unsupported_df.iter().sum::<u64>() + self.unsupported_other
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.format == Format::Beast { "bytes" } else { "lines" };
        let what = match self.format {
            Format::Beast | Format::Raw => "frames",
            Format::Sbs | Format::AircraftJson => "records",
        };
        write!(
            f,
            "{}: {} {unit}, {} {what}, {} messages, {} positions, {} bad ({} CRC), {} unsupported",
            self.format.as_str(),
            self.lines,
            self.frames,
            self.messages,
            self.positions,
            self.bad,
            self.crc_failures,
            self.unsupported()
        )?;
        let mut parts = Vec::new();
        for (df, &n) in self.unsupported_df.iter().enumerate() {
            if n > 0 {
                parts.push(format!("DF{df} {n}"));
            }
        }
        if self.unsupported_other > 0 {
            let name = if self.format == Format::Sbs { "non-MSG" } else { "Mode A/C" };
            parts.push(format!("{name} {}", self.unsupported_other));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(", "))?;
        }
        if self.unknown_address > 0 {
            write!(f, ", {} from unknown AP addresses", self.unknown_address)?;
        }
        if self.skipped_bytes > 0 {
            write!(f, ", {} bytes skipped", self.skipped_bytes)?;
        }
        Ok(())
    }
}

/// Longest text line accepted (a raw frame is 42 characters, an SBS line ~150).
const MAX_LINE: usize = 4096;
/// Largest `aircraft.json` input accepted.
const MAX_DOCUMENT: u64 = 256 << 20;

/// Decodes `input` in `format` to NDJSON on `out`, with errors on `errors` prefixed by
/// `name`, using the default [`Config`] (no receiver position).
///
/// # Errors
/// Only I/O errors of the streams; bad input is reported on `errors` and counted.
pub fn decode_ndjson<R: Read, W: Write, E: Write>(
    input: R,
    format: Format,
    name: &str,
    out: &mut W,
    errors: &mut E,
) -> io::Result<Summary> {
    decode_ndjson_with(input, format, name, &Config::default(), out, errors)
}

/// [`decode_ndjson`] with decoder settings (e.g. a receiver position for local CPR decoding).
///
/// Times for CPR pairing and state expiry: the Beast MLAT timestamp (12 MHz) or the `@`
/// timestamp of a raw line; for `*` lines, which carry none, every frame is taken at time 0,
/// so even/odd pairs are matched whatever their age (the latitude-zone check still applies).
///
/// # Errors
/// Only I/O errors of the streams.
pub fn decode_ndjson_with<R: Read, W: Write, E: Write>(
    input: R,
    format: Format,
    name: &str,
    config: &Config,
    out: &mut W,
    errors: &mut E,
) -> io::Result<Summary> {
    let mut run = Run { summary: Summary::new(format), decoder: Decoder::new(*config), line: String::new() };
    match format {
        Format::Beast => run.beast(input, name, out, errors)?,
        Format::AircraftJson => run.aircraft_json(input, name, out, errors)?,
        Format::Raw | Format::Sbs => run.text(input, format, name, out, errors)?,
    }
    out.flush()?;
    errors.flush()?;
    Ok(run.summary)
}

struct Run {
    summary: Summary,
    decoder: Decoder,
    /// Reused output line.
    line: String,
}

impl Run {
    fn beast<R: Read, W: Write, E: Write>(
        &mut self,
        mut input: R,
        name: &str,
        out: &mut W,
        errors: &mut E,
    ) -> io::Result<()> {
        let mut framer = BeastFramer::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut result = Ok(());
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.summary.lines += n as u64;
            framer.push(&buf[..n], |r| {
                if result.is_ok() {
                    result = self.beast_item(r, name, out, errors);
                }
            });
            std::mem::replace(&mut result, Ok(()))?;
        }
        framer.finish(|r| {
            if result.is_ok() {
                result = self.beast_item(r, name, out, errors);
            }
        });
        result
    }

    fn beast_item<W: Write, E: Write>(
        &mut self,
        item: Result<crate::BeastFrame, crate::BeastError>,
        name: &str,
        out: &mut W,
        errors: &mut E,
    ) -> io::Result<()> {
        match item {
            Err(e) => {
                self.summary.skipped_bytes += e.skipped();
                self.summary.bad += 1;
                writeln!(errors, "{name}:byte {}: {e}", e.offset)
            }
            Ok(frame) => {
                self.summary.frames += 1;
                if frame.kind == BeastKind::ModeAc {
                    self.summary.unsupported_other += 1;
                    return Ok(());
                }
                let now = frame.seconds();
                let extra =
                    Extra { timestamp: Some(frame.timestamp), signal: Some(frame.signal), rssi: Some(frame.rssi()) };
                match self.decoder.frame(frame.data(), now) {
                    Ok(msg) => self.emit(&msg, &extra, out),
                    Err(e) => self.frame_error(e, || format!("{name}:byte {}", frame.offset), errors),
                }
            }
        }
    }

    fn frame_error<E: Write>(&mut self, e: Error, at: impl FnOnce() -> String, errors: &mut E) -> io::Result<()> {
        match e {
            Error::UnknownAddress { .. } => self.summary.unknown_address += 1,
            Error::Unsupported { df } => self.summary.unsupported_df[usize::from(df.min(24))] += 1,
            Error::Crc { .. } | Error::Length { .. } | Error::DfLength { .. } => {
                if matches!(e, Error::Crc { .. }) {
                    self.summary.crc_failures += 1;
                }
                self.summary.bad += 1;
                writeln!(errors, "{}: {e}", at())?;
            }
        }
        Ok(())
    }

    fn text<R: Read, W: Write, E: Write>(
        &mut self,
        input: R,
        format: Format,
        name: &str,
        out: &mut W,
        errors: &mut E,
    ) -> io::Result<()> {
        let mut reader = BufReader::with_capacity(64 * 1024, input);
        let mut bytes = Vec::with_capacity(256);
        loop {
            bytes.clear();
            // Read at most MAX_LINE + 1 bytes of the line, then drain the rest of an overlong one.
            let n = (&mut reader).take(MAX_LINE as u64 + 1).read_until(b'\n', &mut bytes)?;
            if n == 0 {
                break;
            }
            self.summary.lines += 1;
            let lineno = self.summary.lines;
            if bytes.len() > MAX_LINE && bytes.last() != Some(&b'\n') {
                let mut total = bytes.len();
                loop {
                    let buf = reader.fill_buf()?;
                    if buf.is_empty() {
                        break;
                    }
                    let (used, done) = match buf.iter().position(|&b| b == b'\n') {
                        Some(i) => (i + 1, true),
                        None => (buf.len(), false),
                    };
                    reader.consume(used);
                    total += used;
                    if done {
                        break;
                    }
                }
                self.summary.bad += 1;
                writeln!(errors, "{name}:{lineno}: line of {total} bytes: longer than {MAX_LINE}")?;
                continue;
            }
            let text = match std::str::from_utf8(&bytes) {
                Ok(t) => t,
                Err(e) => {
                    self.summary.bad += 1;
                    let at = e.valid_up_to();
                    writeln!(errors, "{name}:{lineno}: not UTF-8 (byte 0x{:02x} at column {})", bytes[at], at + 1)?;
                    continue;
                }
            };
            let text = text.trim_end_matches(['\n', '\r']);
            if text.trim().is_empty() {
                continue;
            }
            match format {
                Format::Raw => self.raw_line(text, name, lineno, out, errors)?,
                _ => self.sbs_line(text, name, lineno, out, errors)?,
            }
        }
        Ok(())
    }

    fn raw_line<W: Write, E: Write>(
        &mut self,
        text: &str,
        name: &str,
        lineno: u64,
        out: &mut W,
        errors: &mut E,
    ) -> io::Result<()> {
        match raw::parse_line(text) {
            Err(e) => {
                self.summary.bad += 1;
                writeln!(errors, "{name}:{lineno}: {e}")
            }
            Ok(frame) => {
                self.summary.frames += 1;
                if frame.data().len() == 2 {
                    self.summary.unsupported_other += 1;
                    return Ok(());
                }
                let now: Time = frame.timestamp.map_or(0.0, |t| t as f64 / 12e6);
                let extra = Extra { timestamp: frame.timestamp, signal: None, rssi: None };
                match self.decoder.frame(frame.data(), now) {
                    Ok(msg) => self.emit(&msg, &extra, out),
                    Err(e) => self.frame_error(e, || format!("{name}:{lineno}"), errors),
                }
            }
        }
    }

    fn sbs_line<W: Write, E: Write>(
        &mut self,
        text: &str,
        name: &str,
        lineno: u64,
        out: &mut W,
        errors: &mut E,
    ) -> io::Result<()> {
        match sbs::parse_line(text) {
            Err(e) => {
                self.summary.bad += 1;
                writeln!(errors, "{name}:{lineno}: {e}")
            }
            Ok(SbsLine::Other(_)) => {
                self.summary.frames += 1;
                self.summary.unsupported_other += 1;
                Ok(())
            }
            Ok(SbsLine::Msg(m)) => {
                self.summary.frames += 1;
                self.emit_sbs(&m, out)
            }
        }
    }

    fn aircraft_json<R: Read, W: Write, E: Write>(
        &mut self,
        input: R,
        name: &str,
        out: &mut W,
        errors: &mut E,
    ) -> io::Result<()> {
        let mut bytes = Vec::new();
        input.take(MAX_DOCUMENT + 1).read_to_end(&mut bytes)?;
        self.summary.lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        if bytes.len() as u64 > MAX_DOCUMENT {
            self.summary.bad += 1;
            return writeln!(errors, "{name}:1: input larger than {MAX_DOCUMENT} bytes");
        }
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                self.summary.bad += 1;
                let at = e.valid_up_to();
                let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
                let col = at - bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
                return writeln!(errors, "{name}:{line}: not UTF-8 (byte 0x{:02x} at column {col})", bytes[at]);
            }
        };
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
        loop {
            let start = stream.byte_offset();
            let line_of = |offset: usize| text[..offset].bytes().filter(|&b| b == b'\n').count() + 1;
            match stream.next() {
                None => break,
                Some(Err(e)) => {
                    self.summary.bad += 1;
                    writeln!(errors, "{name}:{}: not JSON: {e}", e.line())?;
                    break;
                }
                Some(Ok(value)) => {
                    // The document's own first line (skipping the whitespace before it).
                    let skipped = text[start..].len() - text[start..].trim_start().len();
                    let line = line_of(start + skipped);
                    match aircraft_json::from_value(&value) {
                        Err(e) => {
                            self.summary.bad += 1;
                            writeln!(errors, "{name}:{line}: {e}")?;
                        }
                        Ok(doc) => {
                            for item in &doc.aircraft {
                                self.summary.frames += 1;
                                match item {
                                    Ok(r) => self.emit_aircraft(r, doc.now, out)?,
                                    Err(e) => {
                                        self.summary.bad += 1;
                                        writeln!(errors, "{name}:{line}: {e}")?;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn emit<W: Write>(&mut self, m: &Message, extra: &Extra, out: &mut W) -> io::Result<()> {
        self.summary.messages += 1;
        if m.position.is_some() {
            self.summary.positions += 1;
        }
        let mut j = Json::new(&mut self.line);
        message_json(&mut j, m, extra);
        j.finish();
        out.write_all(self.line.as_bytes())
    }

    fn emit_sbs<W: Write>(&mut self, m: &SbsMessage, out: &mut W) -> io::Result<()> {
        self.summary.messages += 1;
        if m.lat.is_some() {
            self.summary.positions += 1;
        }
        let mut j = Json::new(&mut self.line);
        j.hex("icao", m.icao);
        j.int("msg", i64::from(m.transmission));
        if let Some(t) = m.generated {
            j.display("time", &t);
        }
        if let Some(c) = m.callsign {
            j.str("callsign", c.as_str());
        }
        j.opt_int("altitude", m.altitude);
        j.opt_f("lat", m.lat, 6);
        j.opt_f("lon", m.lon, 6);
        j.opt_f("groundspeed", m.groundspeed, 2);
        j.opt_f("track", m.track, 2);
        j.opt_int("vertical_rate", m.vertical_rate);
        if let Some(s) = m.squawk {
            j.display("squawk", &s);
        }
        j.opt_bool("alert", m.alert);
        j.opt_bool("emergency", m.emergency);
        j.opt_bool("spi", m.spi);
        j.opt_bool("on_ground", m.on_ground);
        country_fields(&mut j, m.icao, false);
        j.finish();
        out.write_all(self.line.as_bytes())
    }

    fn emit_aircraft<W: Write>(&mut self, r: &AircraftRecord, now: Option<f64>, out: &mut W) -> io::Result<()> {
        self.summary.messages += 1;
        if r.lat.is_some() {
            self.summary.positions += 1;
        }
        let mut j = Json::new(&mut self.line);
        j.hex("icao", r.icao);
        if r.non_icao {
            j.bool("non_icao", true);
        }
        j.opt_f("now", now, 1);
        if let Some(c) = r.callsign {
            j.str("callsign", c.as_str());
        }
        if let Some(c) = r.category {
            j.display("category", &c);
        }
        j.opt_int("altitude", r.altitude);
        j.opt_int("gnss_altitude", r.gnss_altitude);
        j.opt_bool("on_ground", r.on_ground);
        j.opt_f("lat", r.lat, 6);
        j.opt_f("lon", r.lon, 6);
        j.opt_f("groundspeed", r.groundspeed, 2);
        j.opt_f("track", r.track, 2);
        j.opt_f("ias", r.ias, 1);
        j.opt_f("tas", r.tas, 1);
        j.opt_f("heading", r.heading, 2);
        j.opt_int("vertical_rate", r.vertical_rate);
        if let Some(s) = r.squawk {
            j.display("squawk", &s);
        }
        if let Some(e) = r.emergency {
            j.str("emergency", e.as_str());
        }
        j.opt_int("selected_altitude", r.selected_altitude);
        j.opt_f("baro_setting", r.baro_setting, 1);
        j.opt_f("selected_heading", r.selected_heading, 2);
        j.opt_u8("nic", r.nic);
        j.opt_u8("nacp", r.nacp);
        j.opt_u8("sil", r.sil);
        j.opt_u8("version", r.version);
        j.opt_u8("nucp", r.nucp);
        j.opt_f("seen", r.seen, 1);
        j.opt_f("seen_pos", r.seen_pos, 1);
        j.opt_f("rssi", r.rssi, 1);
        if let Some(n) = r.messages {
            j.int("messages", n as i64);
        }
        country_fields(&mut j, r.icao, r.non_icao);
        j.finish();
        out.write_all(self.line.as_bytes())
    }
}

/// What the transport adds to a message.
struct Extra {
    timestamp: Option<u64>,
    signal: Option<u8>,
    rssi: Option<f64>,
}

fn country_fields(j: &mut Json<'_>, icao: u32, non_icao: bool) {
    if non_icao {
        return;
    }
    if let Some(c) = crate::country::country(icao) {
        j.str("country", c.iso);
    }
}

fn message_json(j: &mut Json<'_>, m: &Message, extra: &Extra) {
    j.hex("icao", m.icao);
    j.int("df", i64::from(m.df));
    j.opt_u8("tc", m.tc);
    j.opt_u8("subtype", m.subtype);
    if m.non_icao {
        j.bool("non_icao", true);
    }
    if let Some(t) = extra.timestamp {
        j.int("mlat_ticks", t as i64);
    }
    if let Some(s) = extra.signal {
        j.int("signal", i64::from(s));
    }
    if let Some(r) = extra.rssi.filter(|r| r.is_finite()) {
        j.f("rssi", r, 1);
    }
    if let Some(c) = m.callsign {
        j.str("callsign", c.as_str());
    }
    if let Some(c) = m.category {
        j.display("category", &c);
    }
    j.opt_int("altitude", m.altitude);
    j.opt_int("gnss_altitude", m.gnss_altitude);
    j.opt_bool("on_ground", m.on_ground);
    if let Some(p) = m.position {
        j.f("lat", p.lat, 6);
        j.f("lon", p.lon, 6);
        j.str("position", p.method.as_str());
    }
    if let Some(c) = m.cpr {
        j.bool("cpr_odd", c.odd);
    }
    j.opt_f("groundspeed", m.groundspeed, 2);
    j.opt_f("track", m.track, 2);
    j.opt_f("airspeed", m.airspeed, 0);
    if let Some(k) = m.airspeed_kind {
        j.str("airspeed_type", k.as_str());
    }
    j.opt_f("heading", m.heading, 2);
    j.opt_int("vertical_rate", m.vertical_rate);
    if let Some(s) = m.vertical_rate_source {
        j.str("vertical_rate_source", s.as_str());
    }
    j.opt_int("gnss_baro_diff", m.gnss_baro_diff);
    if let Some(s) = m.squawk {
        j.display("squawk", &s);
    }
    if let Some(e) = m.emergency {
        j.str("emergency", e.as_str());
    }
    j.opt_bool("alert", m.alert);
    j.opt_bool("spi", m.spi);
    j.opt_int("selected_altitude", m.selected_altitude);
    if let Some(s) = m.selected_altitude_source {
        j.str("selected_altitude_source", s.as_str());
    }
    j.opt_f("baro_setting", m.baro_setting, 1);
    j.opt_f("selected_heading", m.selected_heading, 2);
    j.opt_bool("autopilot", m.autopilot);
    j.opt_bool("vnav", m.vnav);
    j.opt_bool("altitude_hold", m.altitude_hold);
    j.opt_bool("approach", m.approach);
    j.opt_bool("lnav", m.lnav);
    j.opt_bool("tcas", m.tcas);
    j.opt_u8("nic", m.nic);
    j.opt_u8("nacp", m.nacp);
    j.opt_u8("nacv", m.nacv);
    j.opt_u8("sil", m.sil);
    j.opt_bool("nic_baro", m.nic_baro);
    j.opt_u8("version", m.version);
    j.opt_bool("nic_a", m.nic_a);
    j.opt_bool("nic_b", m.nic_b);
    j.opt_bool("nic_c", m.nic_c);
    j.opt_u8("capability", m.capability);
    country_fields(j, m.icao, m.non_icao);
}

/// A JSON object written into a reused `String`, ending with a newline.
struct Json<'a> {
    s: &'a mut String,
    first: bool,
}

impl<'a> Json<'a> {
    fn new(s: &'a mut String) -> Self {
        s.clear();
        s.push('{');
        Self { s, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.s.push(',');
        }
        self.first = false;
        self.s.push('"');
        self.s.push_str(k);
        self.s.push_str("\":");
    }

    fn finish(self) {
        self.s.push_str("}\n");
    }

    fn hex(&mut self, k: &str, v: u32) {
        self.key(k);
        let _ = write!(self.s, "\"{v:06x}\"");
    }

    fn int(&mut self, k: &str, v: i64) {
        self.key(k);
        let _ = write!(self.s, "{v}");
    }

    fn opt_int(&mut self, k: &str, v: Option<i32>) {
        if let Some(v) = v {
            self.int(k, i64::from(v));
        }
    }

    fn opt_u8(&mut self, k: &str, v: Option<u8>) {
        if let Some(v) = v {
            self.int(k, i64::from(v));
        }
    }

    fn f(&mut self, k: &str, v: f64, decimals: usize) {
        self.key(k);
        if v.is_finite() {
            // Rounded text, then trailing zeros dropped: 159.25, 182.88, 38000.
            let start = self.s.len();
            let _ = write!(self.s, "{v:.decimals$}");
            if decimals > 0 {
                while self.s.ends_with('0') {
                    self.s.pop();
                }
                if self.s.ends_with('.') {
                    self.s.pop();
                }
            }
            if &self.s[start..] == "-0" {
                self.s.truncate(start);
                self.s.push('0');
            }
        } else {
            self.s.push_str("null");
        }
    }

    fn opt_f(&mut self, k: &str, v: Option<f64>, decimals: usize) {
        if let Some(v) = v {
            self.f(k, v, decimals);
        }
    }

    fn bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.s.push_str(if v { "true" } else { "false" });
    }

    fn opt_bool(&mut self, k: &str, v: Option<bool>) {
        if let Some(v) = v {
            self.bool(k, v);
        }
    }

    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.s.push('"');
        for c in v.chars() {
            match c {
                '"' => self.s.push_str("\\\""),
                '\\' => self.s.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.s, "\\u{:04x}", c as u32);
                }
                c => self.s.push(c),
            }
        }
        self.s.push('"');
    }

    fn display(&mut self, k: &str, v: &dyn fmt::Display) {
        let text = v.to_string();
        self.str(k, &text);
    }
}
