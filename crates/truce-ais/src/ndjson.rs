//! `truce decode ais`: an NMEA file in, one JSON object per message out, errors by line.
//!
//! Design: lines are read as bytes with a cap ([`crate::MAX_LINE`]), so a file without newlines or
//! with non-UTF-8 bytes costs bounded memory and gives a line error, never a panic. The JSON is written
//! by hand into one reused buffer: the field set is fixed and flat, and this keeps the command close
//! to the decoder's own speed. Absent values are left out rather than written as `null`.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use crate::decoder::{Decoder, SourceKey};
use crate::message::{Body, Dimensions, Hull, Message};
use crate::mid;
use crate::nmea::MAX_LINE;
use crate::{Config, Error};

/// What a run of [`decode_ndjson`] saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lines read, blank and comment lines included.
    pub lines: u64,
    /// Well-formed VDM/VDO sentences.
    pub sentences: u64,
    /// Messages decoded and written.
    pub messages: u64,
    /// Lines refused (each reported to the error writer).
    pub bad: u64,
    /// Messages of types this crate does not decode, by type.
    pub unsupported: BTreeMap<u8, u64>,
    /// Fragments of multi-sentence messages that never completed.
    pub fragments_dropped: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lines, {} sentences, {} messages decoded, {} bad lines",
            self.lines, self.sentences, self.messages, self.bad
        )?;
        let total: u64 = self.unsupported.values().sum();
        write!(f, ", {total} unsupported")?;
        if total > 0 {
            f.write_str(" (")?;
            for (i, (t, n)) in self.unsupported.iter().enumerate() {
                write!(f, "{}type {t}: {n}", if i > 0 { ", " } else { "" })?;
            }
            f.write_str(")")?;
        }
        write!(f, ", {} fragments dropped", self.fragments_dropped)
    }
}

/// Reads one line into `buf` keeping at most `cap` bytes; returns the line's full length (without
/// its `\n`), or `None` at the end of input.
fn read_line_capped<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<usize>> {
    buf.clear();
    let mut total = 0;
    let mut any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then_some(total));
        }
        any = true;
        let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        let room = cap.saturating_sub(buf.len());
        buf.extend_from_slice(&part[..part.len().min(room)]);
        total += part.len();
        let used = done.unwrap_or(chunk.len());
        r.consume(used);
        if done.is_some() {
            return Ok(Some(total));
        }
    }
}

/// Decodes an NMEA stream to NDJSON: one object per decoded message to `out`, one
/// `NAME:LINE: reason` per refused line to `errors`. Messages of other types are counted in the
/// summary, not written. Fragments still pending at the end of input are counted as dropped.
pub fn decode_ndjson<R: BufRead, W: Write, E: Write>(
    mut input: R,
    name: &str,
    out: &mut W,
    errors: &mut E,
) -> io::Result<Summary> {
    let mut dec = Decoder::new(Config::default());
    let mut summary = Summary::default();
    let mut line = Vec::with_capacity(MAX_LINE + 1);
    let mut json = Vec::with_capacity(1024);
    while let Some(len) = read_line_capped(&mut input, &mut line, MAX_LINE + 1)? {
        summary.lines += 1;
        let result = if len > MAX_LINE && crate::nmea::trim_end(&line).len() > MAX_LINE {
            Err(Error::TooLong { len, max: MAX_LINE })
        } else {
            dec.push_line(SourceKey(0), &line, None)
        };
        match result {
            Ok(Some(m)) if m.body == Body::Unsupported => {
                *summary.unsupported.entry(m.msg_type).or_insert(0) += 1;
            }
            Ok(Some(m)) => {
                summary.messages += 1;
                json.clear();
                write_json(&mut json, &m)?;
                out.write_all(&json)?;
            }
            Ok(None) => {}
            Err(e) => {
                summary.bad += 1;
                writeln!(errors, "{name}:{}: {e}", summary.lines)?;
            }
        }
    }
    dec.flush();
    summary.sentences = dec.sentences();
    summary.fragments_dropped = dec.fragments_dropped();
    out.flush()?;
    Ok(summary)
}

struct Obj<'a> {
    w: &'a mut Vec<u8>,
    first: bool,
}

impl Obj<'_> {
    fn key(&mut self, k: &str) -> io::Result<()> {
        if !self.first {
            self.w.push(b',');
        }
        self.first = false;
        write!(self.w, "\"{k}\":")
    }
    fn num<T: std::fmt::Display>(&mut self, k: &str, v: T) -> io::Result<()> {
        self.key(k)?;
        write!(self.w, "{v}")
    }
    fn opt<T: std::fmt::Display>(&mut self, k: &str, v: Option<T>) -> io::Result<()> {
        match v {
            Some(v) => self.num(k, v),
            None => Ok(()),
        }
    }
    fn nonzero<T: std::fmt::Display + PartialEq + Default>(&mut self, k: &str, v: T) -> io::Result<()> {
        if v == T::default() { Ok(()) } else { self.num(k, v) }
    }
    fn time(&mut self, k: &str, v: Option<crate::Timestamp>) -> io::Result<()> {
        match v {
            Some(t) => {
                self.key(k)?;
                write!(self.w, "\"{t}\"")
            }
            None => Ok(()),
        }
    }
    fn bool(&mut self, k: &str, v: bool) -> io::Result<()> {
        self.num(k, v)
    }
    fn str(&mut self, k: &str, v: &str) -> io::Result<()> {
        if v.is_empty() {
            return Ok(());
        }
        self.key(k)?;
        self.w.push(b'"');
        for c in v.bytes() {
            match c {
                b'"' => self.w.extend_from_slice(b"\\\""),
                b'\\' => self.w.extend_from_slice(b"\\\\"),
                c if c < 0x20 => write!(self.w, "\\u{c:04x}")?,
                c => self.w.push(c),
            }
        }
        self.w.push(b'"');
        Ok(())
    }
    fn dims(&mut self, d: &Dimensions) -> io::Result<()> {
        self.nonzero("to_bow", d.to_bow)?;
        self.nonzero("to_stern", d.to_stern)?;
        self.nonzero("to_port", d.to_port)?;
        self.nonzero("to_starboard", d.to_starboard)
    }
}

/// Writes one message as a JSON object and a newline. Field names follow pyais where it has one.
pub fn write_json(w: &mut Vec<u8>, m: &Message) -> io::Result<()> {
    w.push(b'{');
    let mut o = Obj { w, first: true };
    o.num("msg_type", m.msg_type)?;
    o.num("repeat", m.repeat)?;
    o.num("mmsi", m.mmsi)?;
    if let Some(f) = mid::flag(m.mmsi) {
        o.str("flag", f.code)?;
    }
    if m.own {
        o.bool("own", true)?;
    }
    if m.channel != 0 {
        o.str("channel", std::str::from_utf8(&[m.channel]).unwrap_or(""))?;
    }
    o.time("time", m.time)?;
    if let Some(s) = &m.station {
        o.str("station", s.as_str())?;
    }
    match &m.body {
        Body::Position(p) => {
            o.num("status", p.status)?;
            o.opt("turn", p.turn)?;
            o.opt("speed", p.speed)?;
            o.bool("accuracy", p.accuracy)?;
            o.opt("lon", p.lon)?;
            o.opt("lat", p.lat)?;
            o.opt("course", p.course)?;
            o.opt("heading", p.heading)?;
            o.opt("second", p.second)?;
            o.num("maneuver", p.maneuver)?;
            o.bool("raim", p.raim)?;
        }
        Body::BaseStation(b) => {
            o.opt("year", b.year)?;
            o.opt("month", b.month)?;
            o.opt("day", b.day)?;
            o.opt("hour", b.hour)?;
            o.opt("minute", b.minute)?;
            o.opt("second", b.second)?;
            o.time("utc", b.utc())?;
            o.bool("accuracy", b.accuracy)?;
            o.opt("lon", b.lon)?;
            o.opt("lat", b.lat)?;
            o.num("epfd", b.epfd)?;
            o.bool("raim", b.raim)?;
        }
        Body::StaticVoyage(s) => {
            o.num("ais_version", s.ais_version)?;
            o.opt("imo", s.imo)?;
            o.str("callsign", s.callsign.as_str())?;
            o.str("shipname", s.shipname.as_str())?;
            o.opt("ship_type", s.ship_type)?;
            o.dims(&s.dimensions)?;
            o.num("epfd", s.epfd)?;
            o.opt("eta_month", s.eta.month)?;
            o.opt("eta_day", s.eta.day)?;
            o.opt("eta_hour", s.eta.hour)?;
            o.opt("eta_minute", s.eta.minute)?;
            o.opt("draught", s.draught)?;
            o.str("destination", s.destination.as_str())?;
            o.bool("dte", s.dte)?;
        }
        Body::ClassB(p) => {
            o.opt("speed", p.speed)?;
            o.bool("accuracy", p.accuracy)?;
            o.opt("lon", p.lon)?;
            o.opt("lat", p.lat)?;
            o.opt("course", p.course)?;
            o.opt("heading", p.heading)?;
            o.opt("second", p.second)?;
            o.bool("cs", p.cs)?;
            o.bool("display", p.display)?;
            o.bool("dsc", p.dsc)?;
            o.bool("band", p.band)?;
            o.bool("msg22", p.msg22)?;
            o.bool("assigned", p.assigned)?;
            o.bool("raim", p.raim)?;
        }
        Body::ClassBExtended(p) => {
            o.opt("speed", p.speed)?;
            o.bool("accuracy", p.accuracy)?;
            o.opt("lon", p.lon)?;
            o.opt("lat", p.lat)?;
            o.opt("course", p.course)?;
            o.opt("heading", p.heading)?;
            o.opt("second", p.second)?;
            o.str("shipname", p.shipname.as_str())?;
            o.opt("ship_type", p.ship_type)?;
            o.dims(&p.dimensions)?;
            o.num("epfd", p.epfd)?;
            o.bool("raim", p.raim)?;
            o.bool("dte", p.dte)?;
            o.bool("assigned", p.assigned)?;
        }
        Body::AidToNavigation(a) => {
            o.num("aid_type", a.aid_type)?;
            o.str("name", a.name.as_str())?;
            o.bool("accuracy", a.accuracy)?;
            o.opt("lon", a.lon)?;
            o.opt("lat", a.lat)?;
            o.dims(&a.dimensions)?;
            o.num("epfd", a.epfd)?;
            o.opt("second", a.second)?;
            o.bool("off_position", a.off_position)?;
            o.bool("raim", a.raim)?;
            o.bool("virtual_aid", a.virtual_aid)?;
            o.bool("assigned", a.assigned)?;
        }
        Body::StaticPartA(a) => {
            o.num("partno", 0)?;
            o.str("shipname", a.shipname.as_str())?;
        }
        Body::StaticPartB(b) => {
            o.num("partno", 1)?;
            o.opt("ship_type", b.ship_type)?;
            o.str("vendorid", b.vendor_id.as_str())?;
            o.num("model", b.model)?;
            o.num("serial", b.serial)?;
            o.str("callsign", b.callsign.as_str())?;
            match &b.hull {
                Hull::Dimensions(d) => o.dims(d)?,
                Hull::Mothership(m) => o.num("mothership_mmsi", m)?,
            }
        }
        Body::LongRange(l) => {
            o.bool("accuracy", l.accuracy)?;
            o.bool("raim", l.raim)?;
            o.num("status", l.status)?;
            o.opt("lon", l.lon)?;
            o.opt("lat", l.lat)?;
            o.opt("speed", l.speed)?;
            o.opt("course", l.course)?;
            o.bool("gnss", l.gnss)?;
        }
        Body::Unsupported => {}
    }
    w.extend_from_slice(b"}\n");
    Ok(())
}
