//! One client connection: accept, TLS, the reader (decode, negotiate, rate-limit, route) and the
//! writer (drain the queue, coalesce, write with a deadline).

use std::io::IoSlice;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use truce_cot::frame::{self, FrameDecoder};
use truce_cot::xml::{XmlLimits, XmlStreamDecoder};
use truce_cot::{CotError, Event};

use crate::hub::{Client, CloseReason, Hub, Item, lock, xml_document};
use crate::{Party, Received, Transport};

fn tune(stream: &TcpStream) {
    let _ = stream.set_nodelay(true);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10))
        .with_retries(3);
    let _ = socket2::SockRef::from(stream).set_tcp_keepalive(&keepalive);
}

/// The next connection, tuned; a failed accept (out of file descriptors and the like) is logged and
/// retried after a pause rather than in a spin.
async fn accept(listener: &TcpListener, what: &str) -> (TcpStream, std::net::SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                tune(&stream);
                return (stream, peer);
            }
            Err(e) => {
                tracing::warn!("tak {what} accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Accepts plain TCP clients forever.
pub(crate) async fn accept_tcp(hub: Arc<Hub>, listener: TcpListener) {
    loop {
        let (stream, peer) = accept(&listener, "tcp").await;
        let hub = hub.clone();
        tokio::spawn(async move {
            let (r, w) = stream.into_split();
            let party = (hub.parties)(None);
            run(hub, r, w, format!("tcp:{peer}"), Transport::Tcp, None, party).await;
        });
    }
}

/// Accepts TLS clients forever; the verified certificate's callsign becomes the identity.
pub(crate) async fn accept_tls(hub: Arc<Hub>, listener: TcpListener, acceptor: tokio_rustls::TlsAcceptor) {
    loop {
        let (stream, peer) = accept(&listener, "tls").await;
        let hub = hub.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(hub.limits.handshake_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    hub.count(&hub.stats.tls_failed);
                    tracing::info!("tak tls {peer}: handshake failed: {e}");
                    return;
                }
                Err(_) => {
                    hub.count(&hub.stats.tls_failed);
                    tracing::info!("tak tls {peer}: handshake timed out");
                    return;
                }
            };
            let cert = tls.get_ref().1.peer_certificates().and_then(|c| c.first()).map(|c| c.to_vec());
            let (cert, party) = match cert.as_deref().map(truce_pki::identity) {
                Some(Ok(id)) => {
                    let party = (hub.parties)(Some(&id));
                    ((id.callsign, id.serial), party)
                }
                Some(Err(e)) => {
                    hub.count(&hub.stats.tls_failed);
                    tracing::info!("tak tls {peer}: unusable client certificate: {e}");
                    return;
                }
                None => {
                    hub.count(&hub.stats.tls_failed);
                    tracing::info!("tak tls {peer}: no client certificate");
                    return;
                }
            };
            let (r, w) = tokio::io::split(tls);
            run(hub, r, w, format!("tls:{peer}"), Transport::Tls, Some(cert), party).await;
        });
    }
}

/// Runs one session to its end.
async fn run<R, W>(
    hub: Arc<Hub>,
    reader: R,
    writer: W,
    peer: String,
    transport: Transport,
    cert: Option<(String, String)>,
    party: Party,
) where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let offer = frame::offer_event(&hub.server_uid, OffsetDateTime::now_utc(), &[1]);
    let Some(client) = hub.register(peer, transport, cert, party, Item::Raw(Arc::from(xml_document(&offer)))) else {
        tracing::warn!("tak: refusing a connection: {} clients connected", hub.limits.max_clients);
        return;
    };
    tracing::debug!("tak {}: connected", client.peer);
    let writer_task = tokio::spawn(write_loop(hub.clone(), client.clone(), writer));
    let mut session = Reader::new(hub.clone(), client.clone());
    session.read_loop(reader).await;
    client.close(CloseReason::Shutdown);
    let _ = writer_task.await;
    hub.unregister(&client);
    let s = &hub.stats;
    let reason = client.close_reason();
    match reason {
        Some(CloseReason::StalledQueue) => hub.count(&s.closed_stalled_queue),
        Some(CloseReason::WriteTimeout) => hub.count(&s.closed_write_timeout),
        Some(CloseReason::Idle) => hub.count(&s.closed_idle),
        Some(CloseReason::Errors) => hub.count(&s.closed_errors),
        Some(CloseReason::Flood) => hub.count(&s.closed_flood),
        Some(CloseReason::Replaced) => hub.count(&s.closed_replaced),
        Some(CloseReason::UserDisabled) => hub.count(&s.closed_user_disabled),
        Some(CloseReason::Revoked) => hub.count(&s.closed_revoked),
        Some(CloseReason::Shutdown) | None => {}
    }
    match reason {
        Some(r) if r != CloseReason::Shutdown => {
            tracing::warn!("tak {}: closed: {} ({} bad messages)", client.peer, r.as_str(), session.errors)
        }
        _ => tracing::debug!("tak {}: disconnected ({} bad messages)", client.peer, session.errors),
    }
}

/// Drains the client's queue into the socket until the session ends. What is queued goes out in
/// vectored writes of the shared encoded bytes themselves (no copy into a buffer first).
async fn write_loop<W: AsyncWrite + Unpin>(hub: Arc<Hub>, client: Arc<Client>, mut writer: W) {
    let mut tak1 = false;
    let mut items = std::collections::VecDeque::new();
    let mut last_write: Option<Instant> = None;
    // One subscription to the close flag for the whole session, not two per write.
    let closed = client.wait_closed();
    tokio::pin!(closed);
    loop {
        tokio::select! {
            _ = client.wake.notified() => {}
            _ = &mut closed => break,
        }
        if let Some(last) = last_write {
            let next = last + hub.limits.flush_interval;
            if next > Instant::now() {
                tokio::select! {
                    _ = tokio::time::sleep_until(next.into()) => {}
                    _ = &mut closed => break,
                }
            }
        }
        lock(&client.queue).drain_into(&mut items);
        let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(items.len());
        let mut pending = 0;
        let mut delivered = 0u64;
        let mut failed = false;
        for item in &items {
            let bytes = match item {
                Item::Raw(bytes) => Some(&bytes[..]),
                Item::SwitchToTak1 => {
                    tak1 = true;
                    None
                }
                Item::Event(out) if tak1 => {
                    let bytes = out.tak1();
                    if bytes.is_none() {
                        hub.count(&hub.stats.encode_failed);
                    }
                    bytes
                }
                Item::Event(out) => Some(out.xml()),
            };
            let Some(bytes) = bytes else { continue };
            if matches!(item, Item::Event(_)) {
                delivered += 1;
            }
            slices.push(IoSlice::new(bytes));
            pending += bytes.len();
            // A picture on join or a long backlog goes out in pieces of about this size.
            if pending >= WRITE_CHUNK {
                if !write(&hub, &client, &mut writer, &mut slices).await {
                    failed = true;
                    break;
                }
                slices.clear();
                pending = 0;
            }
        }
        if failed || (!slices.is_empty() && !write(&hub, &client, &mut writer, &mut slices).await) {
            break;
        }
        drop(slices);
        items.clear();
        hub.stats.deliveries.fetch_add(delivered, std::sync::atomic::Ordering::Relaxed);
        last_write = Some(Instant::now());
    }
    let _ = writer.shutdown().await;
    client.close(CloseReason::Shutdown);
}

/// Bytes gathered before a write is issued (a batch larger than this is written in pieces).
const WRITE_CHUNK: usize = 64 * 1024;

/// Writes all of `slices` within the write timeout; false ends the session (closed, or stalled).
async fn write<W: AsyncWrite + Unpin>(hub: &Hub, client: &Client, writer: &mut W, slices: &mut [IoSlice<'_>]) -> bool {
    let write = async {
        let mut rest = slices;
        while !rest.is_empty() {
            let n = writer.write_vectored(rest).await?;
            if n == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::WriteZero));
            }
            IoSlice::advance_slices(&mut rest, n);
        }
        writer.flush().await
    };
    match tokio::time::timeout(hub.limits.write_timeout, write).await {
        Ok(Ok(())) => true,
        Ok(Err(_)) => false,
        Err(_) => {
            client.close(CloseReason::WriteTimeout);
            false
        }
    }
}

enum Decoder {
    Xml(XmlStreamDecoder),
    Tak(FrameDecoder),
}

/// The reading half of a session.
struct Reader {
    hub: Arc<Hub>,
    client: Arc<Client>,
    decoder: Option<Decoder>,
    errors: u32,
    flood_drops: u32,
    tokens: f64,
    refilled: Instant,
}

/// What handling one event asks of the reader.
enum Next {
    Continue,
    SwitchToTak1,
    Close,
}

impl Reader {
    fn new(hub: Arc<Hub>, client: Arc<Client>) -> Self {
        let limits = XmlLimits { max_bytes: hub.limits.max_message, ..XmlLimits::default() };
        let burst = hub.limits.burst;
        Reader {
            hub,
            client,
            decoder: Some(Decoder::Xml(XmlStreamDecoder::new(limits))),
            errors: 0,
            flood_drops: 0,
            tokens: burst,
            refilled: Instant::now(),
        }
    }

    async fn read_loop<R: AsyncRead + Unpin>(&mut self, mut reader: R) {
        let mut buf = vec![0u8; 16 * 1024];
        let idle = self.hub.limits.idle_timeout;
        loop {
            let n = tokio::select! {
                r = tokio::time::timeout(idle, reader.read(&mut buf)) => match r {
                    Ok(Ok(0)) | Ok(Err(_)) => return,
                    Ok(Ok(n)) => n,
                    Err(_) => {
                        self.client.close(CloseReason::Idle);
                        return;
                    }
                },
                _ = self.client.wait_closed() => return,
            };
            if !self.consume(&buf[..n]).await {
                return;
            }
        }
    }

    /// Feeds bytes to the decoder and handles every complete message; false ends the session.
    async fn consume(&mut self, bytes: &[u8]) -> bool {
        // A client that starts a message with the TAK protocol magic byte instead of `<` speaks
        // version 1 without negotiating (pytak with TAK_PROTO=1 does): both directions switch.
        if let Some(Decoder::Xml(d)) = &self.decoder
            && d.buffered() == 0
            && bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&frame::MAGIC)
        {
            self.decoder = Some(Decoder::Tak(FrameDecoder::new(self.hub.limits.max_message)));
            self.hub.enqueue(&self.client, Item::SwitchToTak1);
            self.hub.count(&self.hub.stats.negotiated_tak1);
        }
        match &mut self.decoder {
            Some(Decoder::Xml(d)) => d.push(bytes),
            Some(Decoder::Tak(d)) => d.push(bytes),
            None => return false,
        }
        loop {
            let next = match &mut self.decoder {
                Some(Decoder::Xml(d)) => d.next_event().map(|r| r.map(Some)),
                Some(Decoder::Tak(d)) => d.next_message().map(|r| {
                    r.and_then(|m| {
                        let limits = XmlLimits { max_bytes: self.hub.limits.max_message, ..XmlLimits::default() };
                        truce_cot::tak::event_from_message(&m, &limits)
                    })
                }),
                None => return false,
            };
            let Some(result) = next else { return true };
            let action = match result {
                Ok(Some(ev)) => self.event(ev).await,
                Ok(None) => Next::Continue, // a TAK message with no event (control only)
                Err(e) => self.bad(&e),
            };
            match action {
                Next::Continue => {}
                Next::Close => return false,
                Next::SwitchToTak1 => {
                    if let Some(Decoder::Xml(d)) = self.decoder.take() {
                        self.decoder = Some(Decoder::Tak(FrameDecoder::with_initial(
                            self.hub.limits.max_message,
                            d.into_remaining(),
                        )));
                    }
                }
            }
            if let Some(Decoder::Tak(d)) = &self.decoder
                && d.is_failed()
            {
                // A broken frame stream cannot be resynchronised.
                self.client.close(CloseReason::Errors);
                return false;
            }
        }
    }

    /// Counts and logs one bad message; closes the session after too many.
    fn bad(&mut self, e: &CotError) -> Next {
        self.hub.reject(e, &self.client.peer);
        self.errors += 1;
        if self.errors > self.hub.limits.max_errors {
            self.client.close(CloseReason::Errors);
            return Next::Close;
        }
        Next::Continue
    }

    /// Whether the connection's token bucket allows one more event.
    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let limits = &self.hub.limits;
        let refill = now.duration_since(self.refilled).as_secs_f64() * limits.rate_per_second;
        self.tokens = (self.tokens + refill).min(limits.burst);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return true;
        }
        false
    }

    async fn event(&mut self, ev: Event) -> Next {
        if !self.allow() {
            self.hub.count(&self.hub.stats.rejected_flood);
            metrics::counter!("truce_tak_rejected_total", "reason" => "flood").increment(1);
            self.flood_drops += 1;
            if self.flood_drops == 1 {
                tracing::warn!("tak {}: over {} events/s, dropping", self.client.peer, self.hub.limits.rate_per_second);
            }
            if self.flood_drops > self.hub.limits.max_flood_drops {
                self.client.close(CloseReason::Flood);
                return Next::Close;
            }
            return Next::Continue;
        }
        self.flood_drops = 0;
        let now = OffsetDateTime::now_utc();
        if ev.type_ == frame::REQUEST_TYPE {
            return self.negotiate(&ev, now);
        }
        if ev.type_ == "t-x-c-t" {
            // Ping: answer the client, nothing else.
            let pong = ping_reply(&ev, now);
            self.hub.enqueue(&self.client, Item::Raw(Arc::from(xml_or_frame(&pong, self.is_tak1()))));
            return Next::Continue;
        }
        if ev.type_.starts_with("t-x-takp") {
            return Next::Continue;
        }
        self.hub.learn(&self.client, &ev);
        let ev = Arc::new(ev);
        self.hub.route(ev.clone(), Some(&self.client));
        let received = Received { event: ev, source: self.client.source(), received_at: now };
        if self.hub.received.send(received).await.is_err() {
            tracing::warn!("tak: nobody consumes received events any more");
        }
        Next::Continue
    }

    fn is_tak1(&self) -> bool {
        matches!(self.decoder, Some(Decoder::Tak(_)))
    }

    fn negotiate(&mut self, ev: &Event, now: OffsetDateTime) -> Next {
        let accepted = matches!(frame::parse_request(ev), Some(Ok(1))) && !self.is_tak1();
        let reply = frame::response_event(&self.hub.server_uid, now, accepted);
        self.hub.enqueue(&self.client, Item::Raw(Arc::from(xml_document(&reply))));
        if !accepted {
            return Next::Continue;
        }
        self.hub.enqueue(&self.client, Item::SwitchToTak1);
        self.hub.count(&self.hub.stats.negotiated_tak1);
        Next::SwitchToTak1
    }
}

fn xml_or_frame(ev: &Event, tak1: bool) -> Vec<u8> {
    if tak1 && let Ok(m) = truce_cot::tak::event_to_message(ev) {
        return frame::encode_stream_frame(&m);
    }
    xml_document(ev)
}

/// The reply TAK servers give a client's ping (`t-x-c-t`): `t-x-c-t-r` under the ping's uid.
fn ping_reply(ping: &Event, now: OffsetDateTime) -> Event {
    Event {
        type_: "t-x-c-t-r".to_owned(),
        time: now,
        start: now,
        stale: now + time::Duration::seconds(20),
        detail: truce_cot::Detail::default(),
        ..ping.clone()
    }
}
