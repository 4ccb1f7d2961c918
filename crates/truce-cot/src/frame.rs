//! TAK protocol framing: the streaming (TCP) and mesh (UDP) headers, and the XML negotiation that
//! switches a TCP connection from CoT XML to protobuf.
//!
//! Streaming: `0xBF <varint length> <TakMessage>`, one after another. [`FrameDecoder`] buffers bytes
//! and yields messages. A bad magic byte, an overlong varint or a length over the limit leave no way
//! to find the next frame: the decoder reports the error and stays failed (every later call returns
//! the same error), and the connection should be dropped. A frame whose payload is not a valid
//! `TakMessage` is reported and skipped, since its length is known, and decoding continues.
//!
//! Mesh: each UDP datagram holds one message, either `0xBF 0x01 0xBF <TakMessage>` (the version in
//! the middle is a varint; only 1 is defined) or plain CoT XML ([`decode_datagram`]).
//!
//! Negotiation (the TAK protocol's "Streaming Connection Protocol Negotiation", checked against
//! deptofdefense/AndroidTacticalAssaultKit-CIV `takproto/README.md` (42f0a46) and the same text as
//! snstac/takproto `src-protobuf/protocol.txt` (5acacdc)): the
//! server offers versions with a `t-x-takp-v` event holding
//! `<TakControl><TakProtocolSupport version="1"/></TakControl>`, the client asks for one with
//! `t-x-takp-q` and `<TakControl><TakRequest version="1"/></TakControl>`, the server answers with
//! `t-x-takp-r` and `<TakControl><TakResponse status="true"/></TakControl>`; all three share the
//! uid the server chose. After a `true` response both sides send only protobuf frames.

use time::{Duration, OffsetDateTime};

use crate::event::{CotError, Detail, Event, Point};
use crate::tak::{TakMessage, decode_message, encode_message};
use crate::xml::{XmlLimits, parse_event_with};

/// The TAK protocol magic byte.
pub const MAGIC: u8 = 0xBF;

/// The default largest payload accepted, in bytes.
pub const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// A varint holding a `u64` never needs more than this many bytes.
const MAX_VARINT_BYTES: usize = 10;

fn frame_error(reason: impl Into<String>) -> CotError {
    CotError::new("frame", reason)
}

/// Appends `v` as a protobuf varint.
pub fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7F) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint from the start of `bytes`: `Ok(None)` if more bytes are needed, else the value
/// and how many bytes it took.
fn read_varint(bytes: &[u8]) -> Result<Option<(u64, usize)>, CotError> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().enumerate() {
        if i >= MAX_VARINT_BYTES || (i == MAX_VARINT_BYTES - 1 && *b > 1) {
            return Err(frame_error("overlong varint length"));
        }
        value |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if bytes.len() >= MAX_VARINT_BYTES {
        return Err(frame_error("overlong varint length"));
    }
    Ok(None)
}

/// One stream frame: `0xBF <varint length> <payload>`.
pub fn encode_stream_frame(msg: &TakMessage) -> Vec<u8> {
    let payload = encode_message(msg);
    let mut out = Vec::with_capacity(payload.len() + 6);
    out.push(MAGIC);
    write_varint(&mut out, payload.len() as u64);
    out.extend_from_slice(&payload);
    out
}

/// Decodes TAK protocol stream frames from a byte stream.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    max_message: usize,
    failed: Option<CotError>,
}

impl FrameDecoder {
    /// A decoder rejecting payloads longer than `max_message` bytes.
    pub fn new(max_message: usize) -> Self {
        FrameDecoder { buf: Vec::new(), max_message, failed: None }
    }

    /// A decoder that starts with bytes already read (the rest of an XML stream after negotiation).
    pub fn with_initial(max_message: usize, bytes: Vec<u8>) -> Self {
        FrameDecoder { buf: bytes, max_message, failed: None }
    }

    /// Appends bytes read from the connection; a failed decoder ignores them.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Whether the stream can no longer be decoded (the connection should be dropped).
    pub fn is_failed(&self) -> bool {
        self.failed.is_some()
    }

    /// How many bytes are buffered.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next message, an error, or `None` when more bytes are needed.
    pub fn next_message(&mut self) -> Option<Result<TakMessage, CotError>> {
        if let Some(e) = &self.failed {
            return Some(Err(e.clone()));
        }
        let first = *self.buf.first()?;
        if first != MAGIC {
            return Some(Err(self.fail(frame_error(format!("bad magic byte 0x{first:02X}, expected 0xBF")))));
        }
        let (len, n) = match read_varint(&self.buf[1..]) {
            Ok(Some(v)) => v,
            Ok(None) => return None,
            Err(e) => return Some(Err(self.fail(e))),
        };
        if len > self.max_message as u64 {
            let e = CotError::too_large(
                "frame",
                format!("message of {len} bytes, more than the limit of {}", self.max_message),
            );
            return Some(Err(self.fail(e)));
        }
        let end = 1 + n + len as usize;
        if self.buf.len() < end {
            return None;
        }
        let result = decode_message(&self.buf[1 + n..end]);
        self.buf.drain(..end);
        Some(result)
    }

    fn fail(&mut self, e: CotError) -> CotError {
        self.buf = Vec::new();
        self.failed = Some(e.clone());
        e
    }
}

/// What a mesh (UDP) datagram carried.
#[derive(Debug, Clone, PartialEq)]
pub enum Datagram {
    /// CoT XML (TAK protocol version 0).
    Xml(Event),
    /// A TAK protocol version 1 message.
    Tak(TakMessage),
}

/// The mesh form of a message: `0xBF 0x01 0xBF <TakMessage>`.
pub fn encode_mesh(msg: &TakMessage) -> Vec<u8> {
    let mut out = vec![MAGIC, 0x01, MAGIC];
    out.extend_from_slice(&encode_message(msg));
    out
}

/// Decodes one UDP datagram: the mesh TAK protocol header, or else CoT XML.
pub fn decode_datagram(bytes: &[u8], max_message: usize) -> Result<Datagram, CotError> {
    if bytes.len() > max_message + 3 {
        return Err(CotError::too_large(
            "frame",
            format!("datagram of {} bytes, more than the limit of {max_message}", bytes.len()),
        ));
    }
    if bytes.first() != Some(&MAGIC) {
        let limits = XmlLimits { max_bytes: max_message, ..XmlLimits::default() };
        return parse_event_with(bytes, &limits).map(Datagram::Xml);
    }
    let (version, n) = read_varint(&bytes[1..])?.ok_or_else(|| frame_error("truncated mesh header"))?;
    if version != 1 {
        return Err(frame_error(format!("unsupported TAK protocol version {version}")));
    }
    match bytes.get(1 + n) {
        Some(&MAGIC) => decode_message(&bytes[2 + n..]).map(Datagram::Tak),
        Some(b) => Err(frame_error(format!("bad magic byte 0x{b:02X} after the version, expected 0xBF"))),
        None => Err(frame_error("truncated mesh header")),
    }
}

/// The negotiation event types.
pub const OFFER_TYPE: &str = "t-x-takp-v";
/// The client's request type.
pub const REQUEST_TYPE: &str = "t-x-takp-q";
/// The server's response type.
pub const RESPONSE_TYPE: &str = "t-x-takp-r";

fn control_event(type_: &str, uid: &str, now: OffsetDateTime, control: String) -> Event {
    Event {
        version: "2.0".to_owned(),
        uid: uid.to_owned(),
        type_: type_.to_owned(),
        how: "m-g".to_owned(),
        time: now,
        start: now,
        stale: now.checked_add(Duration::minutes(1)).unwrap_or(now),
        access: None,
        qos: None,
        opex: None,
        point: Point { lat: 0.0, lon: 0.0, hae: 0.0, ce: 999_999.0, le: 999_999.0 },
        detail: Detail { unknown: vec![control], ..Detail::default() },
    }
}

/// The server's offer (`t-x-takp-v`) of the protocol `versions` it supports, under the negotiation
/// `uid` it chose.
pub fn offer_event(uid: &str, now: OffsetDateTime, versions: &[u32]) -> Event {
    let support: String = versions.iter().map(|v| format!("<TakProtocolSupport version=\"{v}\"/>")).collect();
    control_event(OFFER_TYPE, uid, now, format!("<TakControl>{support}</TakControl>"))
}

/// A client's request (`t-x-takp-q`) for `version`.
pub fn request_event(uid: &str, now: OffsetDateTime, version: u32) -> Event {
    control_event(REQUEST_TYPE, uid, now, format!("<TakControl><TakRequest version=\"{version}\"/></TakControl>"))
}

/// The server's response (`t-x-takp-r`) accepting or refusing a request.
pub fn response_event(uid: &str, now: OffsetDateTime, accepted: bool) -> Event {
    control_event(RESPONSE_TYPE, uid, now, format!("<TakControl><TakResponse status=\"{accepted}\"/></TakControl>"))
}

/// The values of attribute `attr` on every `<TakControl>/<child>` in the event's detail.
fn control_values(ev: &Event, child: &str, attr: &str) -> Result<Vec<String>, CotError> {
    let mut values = Vec::new();
    for raw in &ev.detail.unknown {
        let mut parser = crate::xml::TreeParser::new(raw, 8);
        for node in parser.fragment(3)? {
            if node.name != "TakControl" {
                continue;
            }
            for c in node.children.iter().filter(|c| c.name == child) {
                match c.attrs.iter().find(|(k, _)| k == attr) {
                    Some((_, v)) => values.push(v.clone()),
                    None => return Err(CotError::new(format!("detail/TakControl/{child}@{attr}"), "missing")),
                }
            }
        }
    }
    Ok(values)
}

fn version_of(field: &str, v: &str) -> Result<u32, CotError> {
    v.trim().parse().map_err(|_| CotError::new(field, format!("{v:?} is not a version number")))
}

/// The versions a server offers, if `ev` is an offer.
pub fn parse_offer(ev: &Event) -> Option<Result<Vec<u32>, CotError>> {
    (ev.type_ == OFFER_TYPE).then(|| {
        let field = "detail/TakControl/TakProtocolSupport@version";
        let versions: Vec<u32> = control_values(ev, "TakProtocolSupport", "version")?
            .iter()
            .map(|v| version_of(field, v))
            .collect::<Result<_, _>>()?;
        if versions.is_empty() {
            return Err(CotError::new("detail/TakControl/TakProtocolSupport", "missing"));
        }
        Ok(versions)
    })
}

/// The version a client requests, if `ev` is a request.
pub fn parse_request(ev: &Event) -> Option<Result<u32, CotError>> {
    (ev.type_ == REQUEST_TYPE).then(|| {
        let values = control_values(ev, "TakRequest", "version")?;
        match values.as_slice() {
            [v] => version_of("detail/TakControl/TakRequest@version", v),
            [] => Err(CotError::new("detail/TakControl/TakRequest", "missing")),
            _ => Err(CotError::new("detail/TakControl/TakRequest", "more than one (only one is allowed)")),
        }
    })
}

/// Whether the server accepted, if `ev` is a response.
pub fn parse_response(ev: &Event) -> Option<Result<bool, CotError>> {
    (ev.type_ == RESPONSE_TYPE).then(|| {
        let values = control_values(ev, "TakResponse", "status")?;
        match values.as_slice() {
            [v] if v == "true" => Ok(true),
            [v] if v == "false" => Ok(false),
            [v] => Err(CotError::new("detail/TakControl/TakResponse@status", format!("{v:?} is not true or false"))),
            [] => Err(CotError::new("detail/TakControl/TakResponse", "missing")),
            _ => Err(CotError::new("detail/TakControl/TakResponse", "more than one (only one is allowed)")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tak::proto::{CotEvent, TakControl};
    use crate::xml::{XmlStreamDecoder, parse_event, to_xml};

    fn msg(uid: &str) -> TakMessage {
        TakMessage {
            tak_control: None,
            cot_event: Some(CotEvent { uid: uid.into(), r#type: "a-f-G".into(), ..CotEvent::default() }),
        }
    }

    #[test]
    fn varints_round_trip_and_overlong_ones_are_rejected() {
        for v in [0, 1, 127, 128, 300, 16_384, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            write_varint(&mut out, v);
            assert_eq!(read_varint(&out).unwrap(), Some((v, out.len())));
            assert_eq!(read_varint(&out[..out.len() - 1]).unwrap(), None);
        }
        assert!(read_varint(&[0xFF; 11]).is_err());
        assert!(read_varint(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02]).is_err());
    }

    #[test]
    fn frames_decode_back_to_back_and_split() {
        let mut bytes = encode_stream_frame(&msg("a"));
        bytes.extend(encode_stream_frame(&msg("b")));
        let mut dec = FrameDecoder::new(DEFAULT_MAX_MESSAGE);
        let mut uids = Vec::new();
        for b in &bytes {
            dec.push(&[*b]);
            while let Some(m) = dec.next_message() {
                uids.push(m.unwrap().cot_event.unwrap().uid);
            }
        }
        assert_eq!(uids, ["a", "b"]);
        assert_eq!(dec.buffered(), 0);
    }

    #[test]
    fn bad_magic_fails_the_stream() {
        let mut dec = FrameDecoder::new(DEFAULT_MAX_MESSAGE);
        dec.push(b"<event");
        let e = dec.next_message().unwrap().unwrap_err();
        assert_eq!(e.to_string(), "frame: bad magic byte 0x3C, expected 0xBF");
        dec.push(&encode_stream_frame(&msg("a")));
        assert_eq!(dec.next_message().unwrap().unwrap_err(), e);
        assert!(dec.is_failed());
    }

    #[test]
    fn oversized_and_overlong_lengths_fail_the_stream() {
        let mut dec = FrameDecoder::new(100);
        dec.push(&[MAGIC, 0xC8, 0x01]);
        assert!(dec.next_message().unwrap().unwrap_err().reason.contains("200 bytes, more than the limit of 100"));
        let mut dec = FrameDecoder::new(100);
        dec.push(&[MAGIC, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80]);
        assert_eq!(dec.next_message().unwrap().unwrap_err().reason, "overlong varint length");
    }

    #[test]
    fn invalid_protobuf_is_skipped() {
        let mut dec = FrameDecoder::new(DEFAULT_MAX_MESSAGE);
        dec.push(&[MAGIC, 3, 0x12, 0x05, 0x01]);
        dec.push(&encode_stream_frame(&msg("ok")));
        assert_eq!(dec.next_message().unwrap().unwrap_err().field, "protobuf");
        assert_eq!(dec.next_message().unwrap().unwrap().cot_event.unwrap().uid, "ok");
        assert!(dec.next_message().is_none());
    }

    #[test]
    fn datagrams_are_mesh_protobuf_or_xml() {
        let m = TakMessage {
            tak_control: Some(TakControl { min_proto_version: 1, max_proto_version: 1, ..Default::default() }),
            ..msg("a")
        };
        let bytes = encode_mesh(&m);
        assert_eq!(&bytes[..3], &[0xBF, 0x01, 0xBF]);
        assert_eq!(decode_datagram(&bytes, DEFAULT_MAX_MESSAGE).unwrap(), Datagram::Tak(m));
        assert_eq!(decode_datagram(&[0xBF, 0x02, 0xBF], 100).unwrap_err().reason, "unsupported TAK protocol version 2");
        assert!(decode_datagram(&[0xBF, 0x01, 0x00], 100).unwrap_err().reason.contains("bad magic"));
        assert_eq!(decode_datagram(&[0xBF, 0x01], 100).unwrap_err().reason, "truncated mesh header");
        assert_eq!(decode_datagram(&[0xBF], 100).unwrap_err().reason, "truncated mesh header");
        assert_eq!(decode_datagram(&[0xBF, 0x01, 0xBF, 0x12, 0x09], 100).unwrap_err().field, "protobuf");
        assert!(decode_datagram(&[0u8; 200], 100).unwrap_err().reason.contains("more than the limit"));
        let xml = to_xml(&offer_event("n", OffsetDateTime::UNIX_EPOCH, &[1]));
        assert!(matches!(decode_datagram(xml.as_bytes(), 1000).unwrap(), Datagram::Xml(_)));
        assert_eq!(decode_datagram(b"<event/>", 1000).unwrap_err().field, "event@version");
    }

    #[test]
    fn negotiation_events_match_the_published_xml() {
        let now = time::macros::datetime!(2026-11-25 03:00 UTC);
        let offer = offer_event("protouid", now, &[1]);
        let xml = to_xml(&offer);
        assert_eq!(
            xml,
            "<event version=\"2.0\" uid=\"protouid\" type=\"t-x-takp-v\" how=\"m-g\" time=\"2026-11-25T03:00:00.000Z\" \
             start=\"2026-11-25T03:00:00.000Z\" stale=\"2026-11-25T03:01:00.000Z\"><point lat=\"0\" lon=\"0\" hae=\"0\" \
             ce=\"999999\" le=\"999999\"/><detail><TakControl><TakProtocolSupport version=\"1\"/></TakControl></detail></event>"
        );
        let offer = parse_event(xml.as_bytes()).unwrap();
        assert_eq!(parse_offer(&offer).unwrap().unwrap(), vec![1]);
        assert!(parse_request(&offer).is_none());

        // The client's request as the protocol text writes it (single quotes, whitespace).
        let request = "<event version='2.0' uid='protouid' type='t-x-takp-q' time='2026-11-25T03:00:01Z' start='2026-11-25T03:00:01Z' stale='2026-11-25T03:01:01Z' how='m-g'>\n  <point lat='0.0' lon='0.0' hae='0.0' ce='999999' le='999999'/>\n  <detail>\n    <TakControl>\n      <TakRequest version=\"1\"/>\n    </TakControl>\n  </detail>\n</event>";
        let request = parse_event(request.as_bytes()).unwrap();
        assert_eq!(parse_request(&request).unwrap().unwrap(), 1);
        assert_eq!(parse_request(&request_event("u", now, 1)).unwrap().unwrap(), 1);

        let response = response_event(&request.uid, now, true);
        assert!(to_xml(&response).contains("<detail><TakControl><TakResponse status=\"true\"/></TakControl></detail>"));
        assert!(parse_response(&response).unwrap().unwrap());
        assert!(!parse_response(&response_event("u", now, false)).unwrap().unwrap());
    }

    #[test]
    fn malformed_negotiation_events_are_errors() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut ev = request_event("u", now, 1);
        ev.detail.unknown = vec!["<TakControl><TakRequest/></TakControl>".into()];
        assert_eq!(parse_request(&ev).unwrap().unwrap_err().field, "detail/TakControl/TakRequest@version");
        ev.detail.unknown = vec!["<TakControl><TakRequest version=\"one\"/></TakControl>".into()];
        assert!(parse_request(&ev).unwrap().unwrap_err().reason.contains("not a version"));
        ev.detail.unknown =
            vec!["<TakControl><TakRequest version=\"1\"/><TakRequest version=\"2\"/></TakControl>".into()];
        assert!(parse_request(&ev).unwrap().unwrap_err().reason.contains("only one"));
        ev.detail.unknown.clear();
        assert_eq!(parse_request(&ev).unwrap().unwrap_err().field, "detail/TakControl/TakRequest");
        let mut ev = response_event("u", now, true);
        ev.detail.unknown = vec!["<TakControl><TakResponse status=\"yes\"/></TakControl>".into()];
        assert!(parse_response(&ev).unwrap().is_err());
        let mut ev = offer_event("u", now, &[]);
        assert!(parse_offer(&ev).unwrap().is_err());
        ev.type_ = "a-f-G".into();
        assert!(parse_offer(&ev).is_none());
    }

    #[test]
    fn a_negotiated_stream_switches_from_xml_to_frames() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let mut stream = to_xml(&request_event("n", now, 1)).into_bytes();
        stream.extend(encode_stream_frame(&msg("after")));
        let mut xml = XmlStreamDecoder::new(XmlLimits::default());
        xml.push(&stream);
        let request = xml.next_event().unwrap().unwrap();
        assert_eq!(parse_request(&request).unwrap().unwrap(), 1);
        let mut frames = FrameDecoder::with_initial(DEFAULT_MAX_MESSAGE, xml.into_remaining());
        assert_eq!(frames.next_message().unwrap().unwrap().cot_event.unwrap().uid, "after");
    }
}
