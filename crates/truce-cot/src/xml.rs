//! CoT XML: one `<event>` document to an [`Event`] and back, and a splitter for TCP XML streams.
//!
//! Parsing is two steps. quick-xml reads the document into a small tree of nodes, each with its
//! byte span in the input, under limits checked before and during the read: the document size, the
//! nesting depth, UTF-8 only, no DTD (so no entity can be declared: only the five predefined
//! entities and character references are expanded), nothing but comments and whitespace around the
//! root. The tree is then turned into an [`Event`]: the event and point attributes strictly (an
//! unknown attribute or child there is an error, since it could not be passed on), the detail
//! leniently (an element that is not exactly one of the typed shapes is kept as the exact bytes of
//! its span). So an unknown element leaves exactly as it arrived.
//!
//! Serialising writes the typed elements in a fixed order, then the verbatim ones in their order;
//! attribute values escape `& < > " '` and the whitespace characters XML would otherwise normalise.
//!
//! [`XmlStreamDecoder`] splits a byte stream the way TAK servers do: an event ends right after the
//! token `</event>`. Bytes are buffered up to the size limit; past it the decoder reports one error,
//! drops what it holds and skips to the end of that event (the next `</event>`), keeping memory
//! bounded, then carries on with the next event. A malformed event is reported and skipped the
//! same way, since its end is known. The caller decides whether an error ends the connection.

use std::ops::Range;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::reader::Reader;

use crate::event::{
    Contact, CotError, Detail, Event, Group, Link, Marti, MartiDest, Point, PrecisionLocation, Remarks, Status, Takv,
    Track, format_time, is_xml_char, parse_time,
};

/// Limits applied to every XML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// The largest document accepted, in bytes (prolog and whitespace included).
    pub max_bytes: usize,
    /// The deepest nesting accepted; `<event>` is depth 1, `<detail>` 2, its children 3.
    pub max_depth: usize,
}

impl Default for XmlLimits {
    /// 64 KiB and 32 levels: an ATAK SA event is under 1 KiB, a long route a few KiB.
    fn default() -> Self {
        XmlLimits { max_bytes: 64 * 1024, max_depth: 32 }
    }
}

fn oversized(limit: usize) -> CotError {
    CotError::too_large("xml", format!("message longer than the limit of {limit} bytes"))
}

/// Parses one `<event>` document with the default [`XmlLimits`].
pub fn parse_event(input: &[u8]) -> Result<Event, CotError> {
    parse_event_with(input, &XmlLimits::default())
}

/// Parses one `<event>` document.
pub fn parse_event_with(input: &[u8], limits: &XmlLimits) -> Result<Event, CotError> {
    if input.len() > limits.max_bytes {
        return Err(oversized(limits.max_bytes));
    }
    let text = std::str::from_utf8(input)
        .map_err(|e| CotError::new("xml", format!("not UTF-8: invalid byte at offset {}", e.valid_up_to())))?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut parser = TreeParser::new(text, limits.max_depth);
    let root = parser.document()?;
    let event = build_event(text, &root)?;
    event.validate()?;
    Ok(event)
}

/// An element read from the input: its name, attributes (unescaped), children, text and span.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<Node>,
    pub(crate) text: String,
    /// Comments, processing instructions or CDATA inside: such an element is never typed.
    pub(crate) extra: bool,
    pub(crate) span: Range<usize>,
}

impl Node {
    fn has_text(&self) -> bool {
        !self.text.chars().all(|c| c.is_ascii_whitespace())
    }
}

pub(crate) struct TreeParser<'a> {
    reader: Reader<&'a [u8]>,
    max_depth: usize,
}

impl<'a> TreeParser<'a> {
    pub(crate) fn new(text: &'a str, max_depth: usize) -> Self {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.check_comments = true;
        TreeParser { reader, max_depth }
    }

    fn malformed(&self, e: impl std::fmt::Display) -> CotError {
        CotError::new("xml", format!("malformed at byte {}: {e}", self.reader.error_position()))
    }

    fn pos(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    fn next(&mut self) -> Result<XmlEvent<'a>, CotError> {
        match self.reader.read_event() {
            Ok(e) => Ok(e),
            Err(e) => Err(self.malformed(e)),
        }
    }

    /// Reads the prolog, the root `<event>` and the epilogue.
    fn document(&mut self) -> Result<Node, CotError> {
        let root = loop {
            let before = self.pos();
            match self.next()? {
                XmlEvent::Decl(decl) => {
                    if let Some(enc) = decl.encoding() {
                        let enc = enc.map_err(|e| self.malformed(e))?;
                        if !(enc.eq_ignore_ascii_case("utf-8") || enc.eq_ignore_ascii_case("us-ascii")) {
                            return Err(CotError::new(
                                "xml",
                                format!("declared encoding {enc:?}: only UTF-8 is accepted"),
                            ));
                        }
                    }
                }
                XmlEvent::Comment(_) | XmlEvent::PI(_) => {}
                XmlEvent::Text(t) if t.xml10_content().chars().all(|c| c.is_ascii_whitespace()) => {}
                XmlEvent::DocType(_) => return Err(CotError::new("xml", "a DTD (<!DOCTYPE>) is not accepted")),
                XmlEvent::Start(e) => break self.element(&e, false, 1, before)?,
                XmlEvent::Empty(e) => break self.element(&e, true, 1, before)?,
                XmlEvent::Eof => return Err(CotError::new("xml", "no <event> element")),
                _ => return Err(self.malformed("content before the root element")),
            }
        };
        if root.name != "event" {
            return Err(CotError::new("xml", format!("the root element is <{}>, expected <event>", root.name)));
        }
        loop {
            match self.next()? {
                XmlEvent::Eof => return Ok(root),
                XmlEvent::Comment(_) | XmlEvent::PI(_) => {}
                XmlEvent::Text(t) if t.xml10_content().chars().all(|c| c.is_ascii_whitespace()) => {}
                _ => return Err(self.malformed("content after </event>")),
            }
        }
    }

    /// Reads a sequence of sibling elements until the end of input (used for protobuf `xmlDetail`).
    pub(crate) fn fragment(&mut self, depth: usize) -> Result<Vec<Node>, CotError> {
        let mut nodes = Vec::new();
        loop {
            let before = self.pos();
            match self.next()? {
                XmlEvent::Eof => return Ok(nodes),
                XmlEvent::Comment(_) => {}
                XmlEvent::Text(t) if t.xml10_content().chars().all(|c| c.is_ascii_whitespace()) => {}
                XmlEvent::Start(e) => nodes.push(self.element(&e, false, depth, before)?),
                XmlEvent::Empty(e) => nodes.push(self.element(&e, true, depth, before)?),
                XmlEvent::DocType(_) => return Err(CotError::new("xml", "a DTD (<!DOCTYPE>) is not accepted")),
                _ => return Err(self.malformed("unexpected content in detail")),
            }
        }
    }

    fn element(&mut self, start: &BytesStart<'_>, empty: bool, depth: usize, begin: usize) -> Result<Node, CotError> {
        if depth > self.max_depth {
            return Err(CotError::new(
                "xml",
                format!("nested deeper than the limit of {} at byte {begin}", self.max_depth),
            ));
        }
        let name = start.name().as_ref().to_owned();
        let mut attrs = Vec::new();
        for attr in start.attributes() {
            let attr = attr.map_err(|e| self.malformed(e))?;
            let value = attr.normalized_value(XmlVersion::Implicit1_0).map_err(|e| self.malformed(e))?;
            if let Some(c) = value.chars().find(|c| !is_xml_char(*c)) {
                return Err(self.malformed(format!("character U+{:04X} is not allowed in XML", c as u32)));
            }
            attrs.push((attr.key.as_ref().to_owned(), value.into_owned()));
        }
        let mut node =
            Node { name, attrs, children: Vec::new(), text: String::new(), extra: false, span: begin..begin };
        if empty {
            node.span.end = self.pos();
            return Ok(node);
        }
        loop {
            let before = self.pos();
            match self.next()? {
                XmlEvent::Start(e) => node.children.push(self.element(&e, false, depth + 1, before)?),
                XmlEvent::Empty(e) => node.children.push(self.element(&e, true, depth + 1, before)?),
                XmlEvent::End(_) => {
                    node.span.end = self.pos();
                    return Ok(node);
                }
                XmlEvent::Text(t) => node.text.push_str(&t.xml10_content()),
                XmlEvent::CData(t) => {
                    node.extra = true;
                    node.text.push_str(&t.xml10_content());
                }
                XmlEvent::GeneralRef(r) => {
                    let c = if r.is_char_ref() { r.resolve_char_ref().map_err(|e| self.malformed(e))? } else { None };
                    match c {
                        Some(c) if is_xml_char(c) => node.text.push(c),
                        Some(c) => {
                            return Err(self.malformed(format!("character U+{:04X} is not allowed in XML", c as u32)));
                        }
                        None => {
                            let name = r.xml10_content();
                            match quick_xml::escape::resolve_predefined_entity(&name) {
                                Some(s) => node.text.push_str(s),
                                None => return Err(self.malformed(format!("undefined entity &{name};"))),
                            }
                        }
                    }
                }
                XmlEvent::Comment(_) | XmlEvent::PI(_) => node.extra = true,
                XmlEvent::Decl(_) => return Err(self.malformed("an XML declaration inside an element")),
                XmlEvent::DocType(_) => return Err(CotError::new("xml", "a DTD (<!DOCTYPE>) is not accepted")),
                XmlEvent::Eof => return Err(self.malformed(format!("truncated: <{}> is not closed", node.name))),
            }
        }
    }
}

fn build_event(text: &str, root: &Node) -> Result<Event, CotError> {
    let mut version = None;
    let mut uid = None;
    let mut type_ = None;
    let mut how = None;
    let mut times = [None, None, None];
    let (mut access, mut qos, mut opex) = (None, None, None);
    for (key, value) in &root.attrs {
        let v = Some(value.clone());
        match key.as_str() {
            "version" => version = v,
            "uid" => uid = v,
            "type" => type_ = v,
            "how" => how = v,
            "time" => times[0] = Some(parse_time("event@time", value)?),
            "start" => times[1] = Some(parse_time("event@start", value)?),
            "stale" => times[2] = Some(parse_time("event@stale", value)?),
            // Kept as sent, empty too (`access=""` from ATAK).
            "access" => access = v,
            "qos" => qos = v,
            "opex" => opex = v,
            other => return Err(CotError::new(format!("event@{other}"), "unknown attribute")),
        }
    }
    let missing = |name: &str| CotError::new(format!("event@{name}"), "missing");
    if root.has_text() {
        return Err(CotError::new("event", "unexpected text"));
    }
    let mut point = None;
    let mut detail = None;
    for child in &root.children {
        match child.name.as_str() {
            "point" if point.is_none() => point = Some(build_point(child)?),
            "detail" if detail.is_none() => detail = Some(build_detail(text, &child.children, child.has_text())?),
            "point" | "detail" => return Err(CotError::new(format!("event/{}", child.name), "appears twice")),
            other => return Err(CotError::new(format!("event/{other}"), "unknown element (only point and detail)")),
        }
    }
    let [time, start, stale] = times;
    Ok(Event {
        version: version.ok_or_else(|| missing("version"))?,
        uid: uid.ok_or_else(|| missing("uid"))?,
        type_: type_.ok_or_else(|| missing("type"))?,
        how: how.unwrap_or_default(),
        time: time.ok_or_else(|| missing("time"))?,
        start: start.ok_or_else(|| missing("start"))?,
        stale: stale.ok_or_else(|| missing("stale"))?,
        access,
        qos,
        opex,
        point: point.ok_or_else(|| CotError::new("event/point", "missing"))?,
        detail: detail.unwrap_or_default(),
    })
}

fn build_point(node: &Node) -> Result<Point, CotError> {
    if !node.children.is_empty() || node.has_text() {
        return Err(CotError::new("point", "must be empty"));
    }
    let mut values = [None; 5];
    const NAMES: [&str; 5] = ["lat", "lon", "hae", "ce", "le"];
    for (key, value) in &node.attrs {
        let Some(i) = NAMES.iter().position(|n| n == key) else {
            return Err(CotError::new(format!("point@{key}"), "unknown attribute"));
        };
        let v: f64 = value
            .trim()
            .parse()
            .map_err(|_| CotError::new(format!("point@{key}"), format!("{value:?} is not a number")))?;
        values[i] = Some(if i >= 2 { crate::event::or_unknown(v) } else { v });
    }
    let get = |i: usize| values[i].ok_or_else(|| CotError::new(format!("point@{}", NAMES[i]), "missing"));
    Ok(Point { lat: get(0)?, lon: get(1)?, hae: get(2)?, ce: get(3)?, le: get(4)? })
}

/// Builds a [`Detail`] from the children of `<detail>`; `text` is the input their spans index.
pub(crate) fn build_detail(text: &str, children: &[Node], has_text: bool) -> Result<Detail, CotError> {
    if has_text {
        return Err(CotError::new("detail", "unexpected text"));
    }
    let mut d = Detail::default();
    for child in children {
        if !take_typed(&mut d, child) {
            d.unknown.push(text[child.span.clone()].to_owned());
        }
    }
    Ok(d)
}

/// The attributes of `node` in the order of `names`, if it has no others, no children and no text.
fn plain<const N: usize>(node: &Node, names: [&str; N], text_ok: bool) -> Option<[Option<String>; N]> {
    if node.extra || !node.children.is_empty() || (!text_ok && node.has_text()) {
        return None;
    }
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    for (key, value) in &node.attrs {
        let i = names.iter().position(|n| n == key)?;
        out[i] = Some(value.clone());
    }
    Some(out)
}

fn number(v: Option<String>) -> Result<Option<f64>, ()> {
    match v {
        None => Ok(None),
        Some(s) => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Some(f)),
            _ => Err(()),
        },
    }
}

/// Stores `node` in its typed field if it is exactly a typed shape and the field is free.
fn take_typed(d: &mut Detail, node: &Node) -> bool {
    match node.name.as_str() {
        "contact" if d.contact.is_none() => {
            plain(node, ["callsign", "endpoint", "phone"], false).is_some_and(|[callsign, endpoint, phone]| {
                d.contact = Some(Contact { callsign, endpoint, phone });
                true
            })
        }
        "__group" if d.group.is_none() => plain(node, ["name", "role"], false).is_some_and(|[name, role]| {
            d.group = Some(Group { name, role });
            true
        }),
        "takv" if d.takv.is_none() => plain(node, ["device", "platform", "os", "version"], false).is_some_and(
            |[device, platform, os, version]| {
                d.takv = Some(Takv { device, platform, os, version });
                true
            },
        ),
        "precisionlocation" if d.precision_location.is_none() => plain(node, ["geopointsrc", "altsrc"], false)
            .is_some_and(|[geopointsrc, altsrc]| {
                d.precision_location = Some(PrecisionLocation { geopointsrc, altsrc });
                true
            }),
        "status" if d.status.is_none() => match plain(node, ["battery"], false) {
            Some([None]) => {
                d.status = Some(Status { battery: None });
                true
            }
            Some([Some(b)]) => match b.parse::<u32>() {
                Ok(battery) if b.bytes().all(|c| c.is_ascii_digit()) && battery.to_string() == b => {
                    d.status = Some(Status { battery: Some(battery) });
                    true
                }
                _ => false,
            },
            None => false,
        },
        "track" if d.track.is_none() => match plain(node, ["course", "speed"], false) {
            Some([course, speed]) => match (number(course), number(speed)) {
                (Ok(course), Ok(speed)) => {
                    d.track = Some(Track { course, speed });
                    true
                }
                _ => false,
            },
            None => false,
        },
        "remarks" if d.remarks.is_none() => {
            plain(node, ["source", "to", "time"], true).is_some_and(|[source, to, time]| {
                d.remarks = Some(Remarks { text: node.text.clone(), source, to, time });
                true
            })
        }
        "link" => plain(
            node,
            ["uid", "type", "relation", "callsign", "point", "remarks", "production_time", "parent_callsign"],
            false,
        )
        .is_some_and(|[uid, type_, relation, callsign, point, remarks, production_time, parent_callsign]| {
            d.links.push(Link { uid, type_, relation, callsign, point, remarks, production_time, parent_callsign });
            true
        }),
        "marti" if d.marti.is_none() => {
            if node.extra || node.has_text() || !node.attrs.is_empty() {
                return false;
            }
            let mut dests = Vec::new();
            for child in &node.children {
                if child.name != "dest" {
                    return false;
                }
                match plain(child, ["callsign", "uid", "mission"], false) {
                    Some([callsign, uid, mission]) => dests.push(MartiDest { callsign, uid, mission }),
                    None => return false,
                }
            }
            d.marti = Some(Marti { dests });
            true
        }
        "archive" if !d.archive => {
            if plain(node, [], false).is_some() {
                d.archive = true;
            }
            d.archive
        }
        _ => false,
    }
}

/// Escapes an attribute value or text so that a parser reads back exactly `s`.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

fn attr(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        out.push(' ');
        out.push_str(name);
        out.push_str("=\"");
        escape_into(out, v);
        out.push('"');
    }
}

fn num(v: f64) -> String {
    format!("{v}")
}

/// Serialises an event as one XML document (no XML declaration, no trailing newline).
pub fn to_xml(ev: &Event) -> String {
    let mut out = String::with_capacity(512);
    out.push_str("<event");
    attr(&mut out, "version", Some(&ev.version));
    attr(&mut out, "uid", Some(&ev.uid));
    attr(&mut out, "type", Some(&ev.type_));
    attr(&mut out, "how", Some(ev.how.as_str()).filter(|h| !h.is_empty()));
    attr(&mut out, "time", Some(&format_time(ev.time)));
    attr(&mut out, "start", Some(&format_time(ev.start)));
    attr(&mut out, "stale", Some(&format_time(ev.stale)));
    attr(&mut out, "access", ev.access.as_deref());
    attr(&mut out, "qos", ev.qos.as_deref());
    attr(&mut out, "opex", ev.opex.as_deref());
    out.push_str("><point");
    let p = &ev.point;
    for (name, v) in [("lat", p.lat), ("lon", p.lon), ("hae", p.hae), ("ce", p.ce), ("le", p.le)] {
        attr(&mut out, name, Some(&num(v)));
    }
    out.push_str("/>");
    if !ev.detail.is_empty() {
        out.push_str("<detail>");
        write_detail(&mut out, &ev.detail, DetailParts::ALL);
        out.push_str("</detail>");
    }
    out.push_str("</event>");
    out
}

/// Which typed elements [`write_detail`] writes (the protobuf mapping carries some in typed fields).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DetailParts {
    pub(crate) contact: bool,
    pub(crate) group: bool,
    pub(crate) takv: bool,
    pub(crate) precision_location: bool,
    pub(crate) status: bool,
    pub(crate) track: bool,
}

impl DetailParts {
    pub(crate) const ALL: DetailParts =
        DetailParts { contact: true, group: true, takv: true, precision_location: true, status: true, track: true };
}

/// Writes the children of `<detail>`: the typed elements selected, then the verbatim ones.
pub(crate) fn write_detail(out: &mut String, d: &Detail, parts: DetailParts) {
    if let Some(c) = d.contact.as_ref().filter(|_| parts.contact) {
        out.push_str("<contact");
        attr(out, "callsign", c.callsign.as_deref());
        attr(out, "endpoint", c.endpoint.as_deref());
        attr(out, "phone", c.phone.as_deref());
        out.push_str("/>");
    }
    if let Some(g) = d.group.as_ref().filter(|_| parts.group) {
        out.push_str("<__group");
        attr(out, "name", g.name.as_deref());
        attr(out, "role", g.role.as_deref());
        out.push_str("/>");
    }
    if let Some(t) = d.takv.as_ref().filter(|_| parts.takv) {
        out.push_str("<takv");
        attr(out, "device", t.device.as_deref());
        attr(out, "platform", t.platform.as_deref());
        attr(out, "os", t.os.as_deref());
        attr(out, "version", t.version.as_deref());
        out.push_str("/>");
    }
    if let Some(p) = d.precision_location.as_ref().filter(|_| parts.precision_location) {
        out.push_str("<precisionlocation");
        attr(out, "geopointsrc", p.geopointsrc.as_deref());
        attr(out, "altsrc", p.altsrc.as_deref());
        out.push_str("/>");
    }
    if let Some(s) = d.status.as_ref().filter(|_| parts.status) {
        out.push_str("<status");
        attr(out, "battery", s.battery.map(|b| b.to_string()).as_deref());
        out.push_str("/>");
    }
    if let Some(t) = d.track.as_ref().filter(|_| parts.track) {
        out.push_str("<track");
        attr(out, "course", t.course.map(num).as_deref());
        attr(out, "speed", t.speed.map(num).as_deref());
        out.push_str("/>");
    }
    if let Some(r) = &d.remarks {
        out.push_str("<remarks");
        attr(out, "source", r.source.as_deref());
        attr(out, "to", r.to.as_deref());
        attr(out, "time", r.time.as_deref());
        if r.text.is_empty() {
            out.push_str("/>");
        } else {
            out.push('>');
            escape_into(out, &r.text);
            out.push_str("</remarks>");
        }
    }
    for l in &d.links {
        out.push_str("<link");
        attr(out, "uid", l.uid.as_deref());
        attr(out, "type", l.type_.as_deref());
        attr(out, "relation", l.relation.as_deref());
        attr(out, "callsign", l.callsign.as_deref());
        attr(out, "point", l.point.as_deref());
        attr(out, "remarks", l.remarks.as_deref());
        attr(out, "production_time", l.production_time.as_deref());
        attr(out, "parent_callsign", l.parent_callsign.as_deref());
        out.push_str("/>");
    }
    if let Some(m) = &d.marti {
        if m.dests.is_empty() {
            out.push_str("<marti/>");
        } else {
            out.push_str("<marti>");
            for dest in &m.dests {
                out.push_str("<dest");
                attr(out, "callsign", dest.callsign.as_deref());
                attr(out, "uid", dest.uid.as_deref());
                attr(out, "mission", dest.mission.as_deref());
                out.push_str("/>");
            }
            out.push_str("</marti>");
        }
    }
    if d.archive {
        out.push_str("<archive/>");
    }
    for raw in &d.unknown {
        out.push_str(raw);
    }
}

/// Splits a TCP stream of CoT XML events (see the module documentation for the resync rule).
#[derive(Debug)]
pub struct XmlStreamDecoder {
    buf: Vec<u8>,
    scanned: usize,
    skipping: bool,
    limits: XmlLimits,
}

const END_TAG: &[u8] = b"</event>";

impl XmlStreamDecoder {
    /// A decoder applying `limits` to each event.
    pub fn new(limits: XmlLimits) -> Self {
        XmlStreamDecoder { buf: Vec::new(), scanned: 0, skipping: false, limits }
    }

    /// Appends bytes read from the connection. Call [`Self::next_event`] until it returns `None`
    /// after each push, so that the buffer never holds more than the limit plus one read.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete event, or an error for one bad or oversized message; `None` when more
    /// bytes are needed.
    pub fn next_event(&mut self) -> Option<Result<Event, CotError>> {
        loop {
            let from = self.scanned.saturating_sub(END_TAG.len() - 1);
            let found = self.buf[from..].windows(END_TAG.len()).position(|w| w == END_TAG);
            match found {
                Some(i) => {
                    let end = from + i + END_TAG.len();
                    let chunk: Vec<u8> = self.buf.drain(..end).collect();
                    self.scanned = 0;
                    if std::mem::take(&mut self.skipping) {
                        continue;
                    }
                    return Some(parse_event_with(&chunk, &self.limits));
                }
                None => {
                    let keep = END_TAG.len() - 1;
                    if self.skipping {
                        let cut = self.buf.len().saturating_sub(keep);
                        self.buf.drain(..cut);
                        self.scanned = self.buf.len();
                        return None;
                    }
                    self.scanned = self.buf.len();
                    if self.buf.len() > self.limits.max_bytes {
                        let cut = self.buf.len().saturating_sub(keep);
                        self.buf.drain(..cut);
                        self.scanned = self.buf.len();
                        self.skipping = true;
                        return Some(Err(oversized(self.limits.max_bytes)));
                    }
                    return None;
                }
            }
        }
    }

    /// How many bytes are buffered (an incomplete event, or whitespace).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The bytes not yet consumed: after a TAK protocol negotiation the rest of the stream is
    /// protobuf frames, which start here.
    pub fn into_remaining(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SA: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<event version="2.0" uid="ANDROID-1" type="a-f-G-U-C" how="m-g" time="2024-05-01T12:00:00.000Z" start="2024-05-01T12:00:00.000Z" stale="2024-05-01T12:06:15.000Z"><point lat="48.5" lon="37.9" hae="25.0" ce="9.9" le="9999999.0"/><detail><contact callsign="ALPHA" endpoint="*:-1:stcp"/><uid Droid="ALPHA"/><__group name="Cyan" role="Team Member"/><status battery="77"/><track course="90.5" speed="1.25"/><vendor:x xmlns:vendor="urn:x" k="a&amp;b"><inner/></vendor:x></detail></event>"#;

    fn err(input: &str) -> CotError {
        parse_event(input.as_bytes()).unwrap_err()
    }

    fn sa_with(from: &str, to: &str) -> String {
        assert!(SA.contains(from), "{from}");
        SA.replacen(from, to, 1)
    }

    #[test]
    fn parses_an_sa_event() {
        let ev = parse_event(SA.as_bytes()).unwrap();
        assert_eq!(ev.uid, "ANDROID-1");
        assert_eq!(ev.point.lat, 48.5);
        assert_eq!(ev.detail.contact.as_ref().unwrap().callsign.as_deref(), Some("ALPHA"));
        assert_eq!(ev.detail.status.as_ref().unwrap().battery, Some(77));
        assert_eq!(
            ev.detail.unknown,
            vec![
                r#"<uid Droid="ALPHA"/>"#.to_owned(),
                r#"<vendor:x xmlns:vendor="urn:x" k="a&amp;b"><inner/></vendor:x>"#.to_owned()
            ]
        );
        let again = parse_event(to_xml(&ev).as_bytes()).unwrap();
        assert_eq!(again, ev);
    }

    #[test]
    fn rejects_malformed_xml_with_a_position() {
        let e = err(&sa_with("</detail>", "</detial>"));
        assert_eq!(e.field, "xml");
        assert!(e.reason.contains("malformed at byte"), "{e}");
        assert!(err("<event").reason.contains("malformed"));
        assert!(err(&sa_with("k=\"a&amp;b\"", "k=a")).reason.contains("malformed"));
    }

    #[test]
    fn rejects_truncated_documents() {
        for cut in [10, 100, SA.len() / 2, SA.len() - 1] {
            let e = parse_event(&SA.as_bytes()[..cut]).unwrap_err();
            assert_eq!(e.field, "xml", "cut at {cut}: {e}");
        }
        assert!(
            err(&SA[..SA.len() - 1]).reason.contains("not closed")
                || err(&SA[..SA.len() - 1]).reason.contains("malformed")
        );
    }

    #[test]
    fn rejects_oversized_and_too_deep_documents() {
        let limits = XmlLimits { max_bytes: 100, max_depth: 32 };
        assert!(parse_event_with(SA.as_bytes(), &limits).unwrap_err().reason.contains("longer than the limit of 100"));
        let deep = sa_with("<inner/>", &format!("{}{}", "<a>".repeat(40), "</a>".repeat(40)));
        assert!(err(&deep).reason.contains("nested deeper"), "{}", err(&deep));
    }

    #[test]
    fn rejects_non_utf8_and_other_encodings() {
        let mut bytes = SA.as_bytes().to_vec();
        let at = SA.find("ALPHA").unwrap();
        bytes[at] = 0xFF;
        let e = parse_event(&bytes).unwrap_err();
        assert_eq!(e.reason, format!("not UTF-8: invalid byte at offset {at}"));
        let e = err(&SA.replace("UTF-8", "ISO-8859-1"));
        assert!(e.reason.contains("only UTF-8"), "{e}");
    }

    #[test]
    fn rejects_dtds_and_unknown_entities() {
        let dtd = format!("<!DOCTYPE event [<!ENTITY x \"boom\">]>{}", &SA[SA.find("<event").unwrap()..]);
        assert!(err(&dtd).reason.contains("DTD"));
        let e = err(&sa_with("<inner/>", "<inner>&x;</inner>"));
        assert!(e.reason.contains("undefined entity &x;"), "{e}");
        let ev = parse_event(sa_with("<inner/>", "<inner>&lt;&#x41;&#66;</inner>").as_bytes()).unwrap();
        assert!(ev.detail.unknown[1].contains("&lt;&#x41;&#66;"));
    }

    /// What real clients send and TAK Server routes: `how` left out (iTAK's UAS telemetry), `NaN` for
    /// an unknown height or error (ATAK's file-transfer acknowledgements), an empty `access`, and a
    /// message addressed to a mission.
    #[test]
    fn accepts_what_real_clients_send_and_writes_it_back_as_sent() {
        let text = sa_with(" how=\"m-g\"", "")
            .replace("hae=\"25.0\" ce=\"9.9\" le=\"9999999.0\"", "hae=\"NaN\" ce=\"NaN\" le=\"nan\"")
            .replace("<event ", "<event access=\"\" ")
            .replace("<detail>", "<detail><marti><dest mission=\"ceasefire-ops\"/></marti>");
        let ev = parse_event(text.as_bytes()).unwrap();
        assert_eq!(ev.how, "");
        let unknown = crate::event::UNKNOWN_ERROR;
        assert_eq!((ev.point.hae, ev.point.ce, ev.point.le), (unknown, unknown, unknown));
        assert_eq!(ev.access.as_deref(), Some(""));
        let dests = &ev.detail.marti.as_ref().unwrap().dests;
        assert_eq!(dests[0].mission.as_deref(), Some("ceasefire-ops"));
        let again = to_xml(&ev);
        assert!(!again.contains(" how=") && again.contains(" access=\"\""), "{again}");
        assert!(again.contains(r#"<marti><dest mission="ceasefire-ops"/></marti>"#), "{again}");
        assert_eq!(parse_event(again.as_bytes()).unwrap(), ev);
    }

    #[test]
    fn rejects_out_of_range_and_missing_values() {
        assert_eq!(err(&sa_with("lat=\"48.5\"", "lat=\"91\"")).field, "point@lat");
        assert_eq!(err(&sa_with("lon=\"37.9\"", "lon=\"-180.5\"")).field, "point@lon");
        assert_eq!(err(&sa_with("ce=\"9.9\"", "ce=\"-1\"")).field, "point@ce");
        assert_eq!(err(&sa_with("lat=\"48.5\"", "lat=\"NaN\"")).field, "point@lat");
        assert_eq!(err(&sa_with("lat=\"48.5\"", "lat=\"north\"")).field, "point@lat");
        assert_eq!(err(&sa_with(" lat=\"48.5\"", "")).to_string(), "point@lat: missing");
        assert_eq!(err(&sa_with("uid=\"ANDROID-1\"", "uid=\"\"")).to_string(), "event@uid: is empty");
        assert_eq!(err(&sa_with("type=\"a-f-G-U-C\"", "type=\"a--f\"")).field, "event@type");
        assert_eq!(err(&sa_with("time=\"2024-05-01T12:00:00.000Z\"", "time=\"now\"")).field, "event@time");
        assert_eq!(
            err(&sa_with("stale=\"2024-05-01T12:06:15.000Z\"", "stale=\"2024-04-01T12:06:15.000Z\"")).field,
            "event@stale"
        );
        assert_eq!(err(&sa_with("<point", "<point x=\"1\"")).field, "point@x");
        assert_eq!(err(&sa_with("<detail>", "<extra/><detail>")).field, "event/extra");
        assert_eq!(err(&sa_with("version=\"2.0\"", "version=\"2.0\" colour=\"red\"")).field, "event@colour");
        assert!(err("<?xml version=\"1.0\"?><other/>").reason.contains("expected <event>"));
        assert!(err("").reason.contains("no <event>"));
        assert!(err(&format!("{SA}<event/>")).reason.contains("after </event>"));
    }

    #[test]
    fn elements_that_are_not_exactly_typed_stay_verbatim() {
        let ev = parse_event(
            sa_with(
                "<status battery=\"77\"/>",
                "<status battery=\"77\" readiness=\"true\"/><track course=\"fast\"/><contact callsign=\"B\"/><archive>yes</archive><remarks>a <!-- c --> b</remarks>",
            )
            .as_bytes(),
        )
        .unwrap();
        assert!(ev.detail.status.is_none());
        assert!(ev.detail.track.is_some(), "the first track is typed");
        assert!(!ev.detail.archive);
        assert!(ev.detail.remarks.is_none());
        assert_eq!(ev.detail.unknown[1], "<status battery=\"77\" readiness=\"true\"/>");
        assert_eq!(ev.detail.unknown[2], "<track course=\"fast\"/>");
        assert_eq!(ev.detail.unknown[3], "<contact callsign=\"B\"/>");
        assert_eq!(parse_event(to_xml(&ev).as_bytes()).unwrap(), ev);
    }

    #[test]
    fn escapes_attributes_and_text() {
        let mut ev = parse_event(SA.as_bytes()).unwrap();
        ev.detail.contact.as_mut().unwrap().callsign = Some("A&B <\"x'>\t\n\r".into());
        ev.detail.remarks = Some(Remarks { text: " 1 < 2 &\r\n ".into(), ..Remarks::default() });
        let xml = to_xml(&ev);
        assert!(xml.contains("callsign=\"A&amp;B &lt;&quot;x&apos;&gt;&#9;&#10;&#13;\""), "{xml}");
        assert_eq!(parse_event(xml.as_bytes()).unwrap(), ev);
    }

    #[test]
    fn stream_decoder_splits_back_to_back_events() {
        let stream = format!("{SA}\n{SA}  {}", &SA[..200]);
        let mut dec = XmlStreamDecoder::new(XmlLimits::default());
        dec.push(stream.as_bytes());
        assert!(dec.next_event().unwrap().is_ok());
        assert!(dec.next_event().unwrap().is_ok());
        assert!(dec.next_event().is_none());
        assert_eq!(dec.buffered(), 202);
        dec.push(&SA.as_bytes()[200..]);
        assert_eq!(dec.next_event().unwrap().unwrap().uid, "ANDROID-1");
        assert!(dec.next_event().is_none());
    }

    #[test]
    fn stream_decoder_skips_an_oversized_event_and_resumes() {
        let limits = XmlLimits { max_bytes: SA.len() + 10, max_depth: 32 };
        let big = sa_with("<inner/>", &format!("<inner>{}</inner>", "x".repeat(5000)));
        let mut dec = XmlStreamDecoder::new(limits);
        let mut results = Vec::new();
        for chunk in format!("{big}{SA}{big}").as_bytes().chunks(100) {
            dec.push(chunk);
            while let Some(r) = dec.next_event() {
                results.push(r.map(|e| e.uid));
            }
            assert!(dec.buffered() <= limits.max_bytes + 100);
        }
        assert_eq!(
            results,
            vec![Err(oversized(limits.max_bytes)), Ok("ANDROID-1".into()), Err(oversized(limits.max_bytes))]
        );
    }

    #[test]
    fn stream_decoder_reports_a_malformed_event_and_continues() {
        let mut dec = XmlStreamDecoder::new(XmlLimits::default());
        dec.push(format!("<event><bad></event>{SA}").as_bytes());
        assert!(dec.next_event().unwrap().is_err());
        assert!(dec.next_event().unwrap().is_ok());
        assert!(dec.next_event().is_none());
        assert!(dec.into_remaining().is_empty());
    }
}
