//! Where a sensor feed's bytes come from: a TCP server truce connects to (AIS-catcher, rtl-ais, an
//! aggregator, readsb's Beast and SBS ports), a UDP port, a recorded file, or a document fetched over
//! HTTP or read from disk again and again (readsb's `aircraft.json`).
//!
//! Each input runs as its own task and sends [`Chunk`]s to its feed's consumer over a bounded channel,
//! so a slow consumer slows a TCP peer or a file down (nothing is dropped) while a UDP port, which
//! cannot be slowed, counts what it had to drop. A TCP input reconnects after every error or end of
//! stream, waiting 1 s, then twice as long each time up to 60 s, and from 1 s again after a
//! connection that lasted a minute: a receiver that restarts is back within seconds, one that is
//! down is not hammered. Each new connection is announced with [`Chunk::reset`], so the consumer
//! drops the half-line or half-frame the old one left.
//!
//! A recorded file is replayed line by line either as fast as the consumer takes it or, with a
//! speed, at its recorded pace: the feed gives a function that reads a line's time (the AIS tag
//! block's `c:`, the SBS message's date and time), and each line waits until its time, divided by the
//! speed, has passed since the first.
//!
//! The counters are `truce_feed_connects_total`, `truce_feed_disconnects_total`,
//! `truce_feed_bytes_total` and `truce_feed_dropped_total`, each with `feed` and `input` labels.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Longest wait between two connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// First wait after a failed or ended connection.
pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// A connection that lasted this long resets the wait to [`MIN_BACKOFF`].
const STEADY: Duration = Duration::from_secs(60);
/// Largest document fetched by an HTTP poll (readsb's `aircraft.json` with 2,000 aircraft is ~1 MB).
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;
/// Largest UDP datagram read.
const MAX_DATAGRAM: usize = 65_536;

/// One input of a feed.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Connect to this TCP server (`host:port`) and read what it sends.
    Tcp(String),
    /// Receive datagrams on this address.
    Udp(SocketAddr),
    /// Read a recorded file, line by line.
    File {
        /// The file.
        path: PathBuf,
        /// `None`: as fast as the feed takes it; `Some(x)`: at x times the recorded pace.
        speed: Option<f64>,
    },
    /// Fetch a document over HTTP (`http://host:port/path`) every `every`.
    Http {
        /// The URL (plain HTTP).
        url: String,
        /// The poll interval.
        every: Duration,
    },
    /// Read a document from a file every `every` (readsb writes `aircraft.json` to a run directory).
    Poll {
        /// The file.
        path: PathBuf,
        /// The poll interval.
        every: Duration,
    },
}

impl std::fmt::Display for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Tcp(a) => write!(f, "tcp:{a}"),
            Input::Udp(a) => write!(f, "udp:{a}"),
            Input::File { path, .. } => write!(f, "file:{}", path.display()),
            Input::Http { url, .. } => f.write_str(url),
            Input::Poll { path, .. } => write!(f, "poll:{}", path.display()),
        }
    }
}

/// Bytes from one input.
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Which input (its [`Input`] display form).
    pub input: Arc<str>,
    /// The bytes: part of a stream (TCP), a datagram, a line of a file (with its newline), or a
    /// whole document (HTTP, poll).
    pub bytes: Vec<u8>,
    /// When they were read.
    pub received_at: OffsetDateTime,
    /// A new connection begins with this chunk (drop what the previous one left unfinished).
    pub reset: bool,
}

/// Reads a line's recorded time, in seconds, for paced replay.
pub type TimeOf = fn(&[u8]) -> Option<f64>;

/// Runs `input` until the channel closes (or, for a file, until its end), sending what it reads.
/// `feed` names the feed in counters and logs.
///
/// # Errors
/// A UDP port cannot be bound, or a file cannot be opened.
pub async fn run(feed: &'static str, input: Input, time_of: TimeOf, tx: mpsc::Sender<Chunk>) -> std::io::Result<()> {
    let name: Arc<str> = input.to_string().into();
    match input {
        Input::Tcp(addr) => {
            tcp(feed, &addr, name, tx).await;
            Ok(())
        }
        Input::Udp(addr) => {
            let socket = tokio::net::UdpSocket::bind(addr).await?;
            udp(feed, socket, name, tx).await;
            Ok(())
        }
        Input::File { path, speed } => {
            let file = tokio::fs::File::open(&path).await?;
            file_lines(feed, file, speed, time_of, name, tx).await
        }
        Input::Http { url, every } => {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                match http_get(&url).await {
                    Ok(body) => {
                        if !send(feed, &name, &tx, body, false).await {
                            return Ok(());
                        }
                    }
                    Err(e) => {
                        metrics::counter!("truce_feed_disconnects_total", "feed" => feed, "input" => name.to_string())
                            .increment(1);
                        tracing::warn!("{feed} {name}: {e}");
                    }
                }
            }
        }
        Input::Poll { path, every } => {
            let mut ticker = tokio::time::interval(every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                match tokio::fs::read(&path).await {
                    Ok(body) if body.len() <= MAX_DOCUMENT_BYTES => {
                        if !send(feed, &name, &tx, body, false).await {
                            return Ok(());
                        }
                    }
                    Ok(body) => tracing::warn!(
                        "{feed} {name}: {} bytes; a document is read up to {MAX_DOCUMENT_BYTES} bytes",
                        body.len()
                    ),
                    Err(e) => tracing::warn!("{feed} {name}: {e}"),
                }
            }
        }
    }
}

/// Sends one chunk; false when the feed has stopped.
async fn send(feed: &'static str, name: &Arc<str>, tx: &mpsc::Sender<Chunk>, bytes: Vec<u8>, reset: bool) -> bool {
    metrics::counter!("truce_feed_bytes_total", "feed" => feed, "input" => name.to_string())
        .increment(bytes.len() as u64);
    tx.send(Chunk { input: name.clone(), bytes, received_at: OffsetDateTime::now_utc(), reset }).await.is_ok()
}

/// The wait before the next attempt after one that waited `previous`.
pub fn next_backoff(previous: Duration) -> Duration {
    (previous * 2).clamp(MIN_BACKOFF, MAX_BACKOFF)
}

async fn tcp(feed: &'static str, addr: &str, name: Arc<str>, tx: mpsc::Sender<Chunk>) {
    let mut wait = MIN_BACKOFF;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(mut stream) => {
                metrics::counter!("truce_feed_connects_total", "feed" => feed, "input" => name.to_string())
                    .increment(1);
                tracing::info!("{feed}: connected to {addr}");
                let since = tokio::time::Instant::now();
                let mut first = true;
                let why = loop {
                    match stream.read(&mut buf).await {
                        Ok(0) => break "the server closed the connection".to_owned(),
                        Ok(n) => {
                            if !send(feed, &name, &tx, buf[..n].to_vec(), first).await {
                                return;
                            }
                            first = false;
                        }
                        Err(e) => break e.to_string(),
                    }
                };
                metrics::counter!("truce_feed_disconnects_total", "feed" => feed, "input" => name.to_string())
                    .increment(1);
                if since.elapsed() >= STEADY {
                    wait = MIN_BACKOFF;
                }
                tracing::warn!("{feed}: {addr}: {why}; connecting again in {} s", wait.as_secs());
            }
            Err(e) => tracing::warn!("{feed}: cannot connect to {addr}: {e}; trying again in {} s", wait.as_secs()),
        }
        if tx.is_closed() {
            return;
        }
        tokio::time::sleep(wait).await;
        wait = next_backoff(wait);
    }
}

/// Receives datagrams on a bound socket until the channel closes (bind first, so that a port that
/// cannot be had is an error at start); `name` names the input.
pub async fn udp(feed: &'static str, socket: tokio::net::UdpSocket, name: Arc<str>, tx: mpsc::Sender<Chunk>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let n = match socket.recv(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!("{feed} {name}: {e}");
                continue;
            }
        };
        metrics::counter!("truce_feed_bytes_total", "feed" => feed, "input" => name.to_string()).increment(n as u64);
        let chunk = Chunk {
            input: name.clone(),
            bytes: buf[..n].to_vec(),
            received_at: OffsetDateTime::now_utc(),
            reset: false,
        };
        match tx.try_send(chunk) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("truce_feed_dropped_total", "feed" => feed, "input" => name.to_string()).increment(1);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

async fn file_lines(
    feed: &'static str,
    file: tokio::fs::File,
    speed: Option<f64>,
    time_of: TimeOf,
    name: Arc<str>,
    tx: mpsc::Sender<Chunk>,
) -> std::io::Result<()> {
    let mut reader = tokio::io::BufReader::new(file);
    let mut first: Option<(f64, tokio::time::Instant)> = None;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            tracing::info!("{feed} {name}: replayed to its end");
            return Ok(());
        }
        if let Some(speed) = speed
            && let Some(t) = time_of(&line)
        {
            match first {
                None => first = Some((t, tokio::time::Instant::now())),
                Some((t0, wall0)) => {
                    let ahead = (t - t0) / speed;
                    if ahead.is_finite() && ahead > 0.0 {
                        tokio::time::sleep_until(wall0 + Duration::from_secs_f64(ahead.min(86_400.0))).await;
                    }
                }
            }
        }
        if !send(feed, &name, &tx, line, false).await {
            return Ok(());
        }
    }
}

/// Fetches a document with a plain HTTP/1.1 GET (`Connection: close`; a `Content-Length` or chunked
/// body, or one read to the end), at most [`MAX_DOCUMENT_BYTES`], within 10 s.
///
/// # Errors
/// The URL is not `http://host[:port]/path`, the server cannot be reached, answers something else
/// than 200, or sends too much.
pub async fn http_get(url: &str) -> Result<Vec<u8>, String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| format!("{url}: only http:// URLs can be polled"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if host.is_empty() {
        return Err(format!("{url}: no host"));
    }
    let addr = if host.contains(':') { host.to_owned() } else { format!("{host}:80") };
    let fetch = async {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.map_err(|e| format!("{url}: {e}"))?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: truce\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.map_err(|e| format!("{url}: {e}"))?;
        let mut raw = Vec::new();
        stream
            .take(MAX_DOCUMENT_BYTES as u64 + 64 * 1024)
            .read_to_end(&mut raw)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        truce_formats::http_response::body(&raw, MAX_DOCUMENT_BYTES).map_err(|e| format!("{url}: {e}"))
    };
    tokio::time::timeout(Duration::from_secs(10), fetch).await.map_err(|_| format!("{url}: no answer within 10 s"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_one_second_up_to_a_minute() {
        let mut w = MIN_BACKOFF;
        let mut seen = vec![w.as_secs()];
        for _ in 0..8 {
            w = next_backoff(w);
            seen.push(w.as_secs());
        }
        assert_eq!(seen, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[tokio::test]
    async fn a_tcp_input_reconnects_after_the_server_closes_and_marks_the_new_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(run("test", Input::Tcp(addr.to_string()), |_| None, tx));
        for round in 0..2u8 {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(&[b'a' + round]).await.unwrap();
            drop(s);
            let c = rx.recv().await.expect("a chunk");
            assert_eq!((c.bytes, c.reset), (vec![b'a' + round], true));
        }
        task.abort();
    }

    #[tokio::test]
    async fn a_polled_http_document_arrives_whole() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = vec![0u8; 1024];
            let n = s.read(&mut req).await.unwrap();
            assert!(req[..n].starts_with(b"GET /data/aircraft.json HTTP/1.1\r\n"));
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{\"now\":1.5 }").await.unwrap();
        });
        let body = http_get(&format!("http://{addr}/data/aircraft.json")).await.unwrap();
        assert_eq!(body, b"{\"now\":1.5 }");
        assert_eq!(http_get("https://x/").await.unwrap_err(), "https://x/: only http:// URLs can be polled");
    }
}
