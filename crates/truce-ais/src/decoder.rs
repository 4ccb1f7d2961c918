//! The streaming decoder: lines in, messages out, with multi-sentence assembly.
//!
//! Design: a single-sentence message never touches the assembler: its payload is validated and packed
//! straight from the line. A fragment of a longer message is copied (still armoured, already checked)
//! into one of a fixed number of reusable slots (allocated once, at construction), keyed by (source,
//! sequential message id, channel, tag-block group id) so that one decoder can serve several feeds and
//! interleaved messages. A slot is
//! dropped, its fragments counted in [`Decoder::fragments_dropped`], when fragment 1 of the same key
//! starts over, when a fragment is missing, when it is older than [`Config::timeout_ms`] of feed time
//! (tag block `c:` or the caller's clock) or [`Config::window`] sentences, or when the slots are all
//! in use and a new message needs one (the oldest goes).

use crate::bits::{Bits, MAX_PAYLOAD_CHARS, SIXBIT};
use crate::error::{ByteChar, Error};
use crate::message::{Message, decode};
use crate::nmea::{Sentence, Station, Timestamp, parse_line, trim_end};

/// Identifies the feed a line came from (a connection, a file), chosen by the caller: fragments are
/// only joined with fragments of the same source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SourceKey(pub u64);

/// Assembly limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// A pending multi-sentence message is dropped when the feed time (tag block `c:`, else the `now`
    /// given to [`Decoder::push_line`]) is this many milliseconds past its first fragment.
    pub timeout_ms: i64,
    /// …or when this many sentences have been pushed since its first fragment.
    pub window: u64,
    /// Messages being assembled at once; when all are in use the oldest is dropped.
    pub max_pending: usize,
}

impl Default for Config {
    /// 10 s, 100 sentences, 64 pending messages: fragments of one message are sent back to back, so
    /// these are generous even for an aggregated feed, while bounding memory and work.
    fn default() -> Self {
        Config { timeout_ms: 10_000, window: 100, max_pending: 64 }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    source: SourceKey,
    seq: Option<u8>,
    channel: u8,
    group: Option<u32>,
}

struct Slot {
    key: Key,
    total: u8,
    last: u8,
    started_seq: u64,
    started_at: Option<Timestamp>,
    time: Option<Timestamp>,
    station: Option<Station>,
    own: bool,
    len: usize,
    payload: [u8; MAX_PAYLOAD_CHARS],
}

/// Decodes a stream of NMEA lines into AIS messages.
pub struct Decoder {
    config: Config,
    slots: Vec<Slot>,
    sentences: u64,
    fragments_dropped: u64,
}

impl Decoder {
    /// A decoder with these limits.
    pub fn new(config: Config) -> Self {
        let config = Config { max_pending: config.max_pending.max(1), ..config };
        Decoder { config, slots: Vec::with_capacity(config.max_pending), sentences: 0, fragments_dropped: 0 }
    }

    /// Sentences parsed so far (lines that were a well-formed VDM/VDO sentence).
    pub fn sentences(&self) -> u64 {
        self.sentences
    }

    /// Fragments discarded so far: incomplete messages that timed out, were restarted, lost a
    /// fragment or were pushed out by newer ones.
    pub fn fragments_dropped(&self) -> u64 {
        self.fragments_dropped
    }

    /// Messages currently waiting for more fragments.
    pub fn pending(&self) -> usize {
        self.slots.len()
    }

    /// Decodes one line (with or without its line ending). Returns `Ok(None)` for a blank line, a
    /// `#` comment, or a fragment that does not complete a message yet. `now` is the caller's clock
    /// for the assembly timeout when the line has no tag block time.
    pub fn push_line(
        &mut self,
        source: SourceKey,
        line: &[u8],
        now: Option<Timestamp>,
    ) -> Result<Option<Message>, Error> {
        let line = trim_end(line);
        match line.first() {
            None | Some(b'#') => return Ok(None),
            _ => {}
        }
        let s = parse_line(line)?;
        self.sentences += 1;
        let now = s.tag.time.or(now);
        if !self.slots.is_empty() {
            self.expire(now);
        }
        if s.total == 1 {
            return single(&s);
        }
        self.fragment(source, &s, now)
    }

    /// Drops every pending message (end of a file, or a feed reconnecting), counting its fragments.
    pub fn flush(&mut self) {
        for slot in self.slots.drain(..) {
            self.fragments_dropped += u64::from(slot.last);
        }
    }

    fn expire(&mut self, now: Option<Timestamp>) {
        let (seq, cfg) = (self.sentences, self.config);
        let mut dropped = 0;
        self.slots.retain(|slot| {
            let too_old = match (now, slot.started_at) {
                (Some(n), Some(s)) => n.0.saturating_sub(s.0) > cfg.timeout_ms,
                _ => false,
            };
            let keep = !too_old && seq - slot.started_seq <= cfg.window;
            if !keep {
                dropped += u64::from(slot.last);
            }
            keep
        });
        self.fragments_dropped += dropped;
    }

    fn fragment(
        &mut self,
        source: SourceKey,
        s: &Sentence<'_>,
        now: Option<Timestamp>,
    ) -> Result<Option<Message>, Error> {
        let key = Key { source, seq: s.seq, channel: s.channel, group: s.tag.group.map(|g| g.id) };
        let found = self.slots.iter().position(|slot| slot.key == key);
        if s.number == 1 {
            if let Some(i) = found {
                // A new message with the same key: the old one will never complete.
                self.fragments_dropped += u64::from(self.slots[i].last);
                self.slots.swap_remove(i);
            }
            if self.slots.len() >= self.config.max_pending {
                let oldest = (0..self.slots.len()).min_by_key(|&i| self.slots[i].started_seq).unwrap_or(0);
                self.fragments_dropped += u64::from(self.slots[oldest].last);
                self.slots.swap_remove(oldest);
            }
            let mut slot = Slot {
                key,
                total: s.total,
                last: 1,
                started_seq: self.sentences,
                started_at: now,
                time: s.tag.time,
                station: s.tag.station,
                own: s.own,
                len: 0,
                payload: [0; MAX_PAYLOAD_CHARS],
            };
            let appended = append(&mut slot, s);
            if let Err(e) = appended {
                self.fragments_dropped += 1;
                return Err(e);
            }
            self.slots.push(slot);
            return Ok(None);
        }
        let Some(i) = found else {
            self.fragments_dropped += 1;
            return Err(Error::MissingFirst { number: s.number, total: s.total });
        };
        let slot = &mut self.slots[i];
        let err = if slot.total != s.total {
            Some(Error::TotalMismatch { number: s.number, total: s.total, first_total: slot.total })
        } else if s.number != slot.last + 1 {
            Some(Error::OutOfOrder { number: s.number, total: s.total, previous: slot.last })
        } else {
            append(slot, s).err()
        };
        if let Some(e) = err {
            self.fragments_dropped += u64::from(slot.last) + 1;
            self.slots.swap_remove(i);
            return Err(e);
        }
        slot.last = s.number;
        slot.time = slot.time.or(s.tag.time);
        slot.station = slot.station.or(s.tag.station);
        if slot.last < slot.total {
            return Ok(None);
        }
        let slot = self.slots.swap_remove(i);
        // The last fragment's fill bits apply to the joined payload.
        let bits =
            Bits::from_armoured(&slot.payload[..slot.len], s.fill).map_err(|c| Error::PayloadChar(ByteChar(c)))?;
        let mut m = decode(&bits)?;
        m.own = slot.own;
        m.channel = s.channel;
        m.time = slot.time;
        m.station = slot.station;
        Ok(Some(m))
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(Config::default())
    }
}

/// Copies a fragment's payload (checked, still armoured) to the end of the slot.
fn append(slot: &mut Slot, s: &Sentence<'_>) -> Result<(), Error> {
    if s.payload.is_empty() {
        return Err(Error::EmptyPayload);
    }
    let end = slot.len + s.payload.len();
    if end > MAX_PAYLOAD_CHARS {
        return Err(Error::PayloadTooLong { max: MAX_PAYLOAD_CHARS });
    }
    // Checked now so that the error names this fragment's line, not the last one's.
    if let Some(&c) = s.payload.iter().find(|&&c| SIXBIT[usize::from(c)] == 0xFF) {
        return Err(Error::PayloadChar(ByteChar(c)));
    }
    slot.payload[slot.len..end].copy_from_slice(s.payload);
    slot.len = end;
    Ok(())
}

fn single(s: &Sentence<'_>) -> Result<Option<Message>, Error> {
    if s.payload.is_empty() {
        return Err(Error::EmptyPayload);
    }
    if s.payload.len() > MAX_PAYLOAD_CHARS {
        return Err(Error::PayloadTooLong { max: MAX_PAYLOAD_CHARS });
    }
    let bits = Bits::from_armoured(s.payload, s.fill).map_err(|c| Error::PayloadChar(ByteChar(c)))?;
    let mut m = decode(&bits)?;
    m.own = s.own;
    m.channel = s.channel;
    m.time = s.tag.time;
    m.station = s.tag.station;
    Ok(Some(m))
}
