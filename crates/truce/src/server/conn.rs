//! One HTTP/1.1 connection of truce's web servers (the API over HTTP or HTTPS, the TAK API and
//! enrolment), and the plain HTTP server's accept loop.
//!
//! # Time limits (`http.idle_s`, docs/security.md)
//!
//! A connection costs the server a task, a socket and buffers for as long as it is open, so a client
//! may not hold one without using it. Within `idle` (30 seconds by default) a client must send a
//! request's whole head, a kept-alive connection must bring its next request's first bytes, and a
//! request's body must bring its next piece; otherwise the connection is closed (hyper's head timer,
//! which runs from the moment the server waits for a request's head; tower-http's body timer, reset
//! at every piece). A client that opens many connections and trickles bytes into them ("slowloris")
//! is therefore shed after `idle`, as nginx's `client_header_timeout`, `keepalive_timeout` and
//! `client_body_timeout` shed it.
//!
//! What `idle` does not cut: a response being sent (see below), the WebSocket stream once upgraded
//! (it is no longer HTTP), and a request whose handler is still working.
//!
//! # Clients that stop reading (`http.stall_s`)
//!
//! A client can also hold a connection by asking for a large answer and not reading it: the server's
//! socket buffer fills and the connection (with the answer's buffers, and a streamed report's thread
//! and model behind it) waits on it. Every connection's writes therefore go through [`Stalling`]: when
//! one has waited `stall` (60 seconds by default) for the client to take bytes, it fails, hyper drops
//! the connection and what was behind it, and `truce_http_responses_cut_total{reason="stalled"}`
//! counts it, as nginx's `send_timeout` does. A client that reads slowly but keeps reading is not cut:
//! the time runs between two writes, not over the whole answer. The same holds for the WebSocket
//! stream (its writes go through the same socket): a client that reads nothing of it while it has
//! something to say is cut; a quiet stream has nothing to write and is not.
//!
//! # Shutdown
//!
//! When a server's `shutdown` completes (the plain and the HTTPS API; the TAK API and enrolment run
//! until the process ends) it stops accepting, asks every connection to finish
//! the request it is serving and close, and returns when all have closed, as axum's `serve` did
//! before these limits needed a connection builder of our own. A connection that has sent part of a
//! head has a request in hand for hyper, so it holds the stop until the head timer closes it: at most
//! `idle` (with axum's `serve` and no timer, for ever).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};

/// The time limits of a web connection (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a connection may wait for a request's head or the next piece of its body
    /// (`http.idle_s`).
    pub idle: Duration,
    /// How long a write may wait for the client to take bytes (`http.stall_s`).
    pub stall: Duration,
}

/// Serves one connection `io` from `peer` with `app` until it closes, with the time limits of the
/// module documentation; `extensions` adds what the handlers learn of the connection to every
/// request (the peer's address is always added, as axum's `ConnectInfo`). When `stop`'s sender is
/// dropped, the connection finishes the request in hand and closes.
pub(crate) async fn serve<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    Limits { idle, stall }: Limits,
    extensions: impl Fn(&mut axum::http::Extensions) + Clone + Send + Sync + 'static,
    mut stop: tokio::sync::watch::Receiver<()>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let app = tower::ServiceBuilder::new().layer(tower_http::timeout::RequestBodyTimeoutLayer::new(idle)).service(app);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        extensions(request.extensions_mut());
        tower::ServiceExt::oneshot(app.clone(), request)
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .serve_connection(TokioIo::new(Stalling::new(io, stall)), service)
        .with_upgrades();
    tokio::pin!(connection);
    let done = tokio::select! {
        done = connection.as_mut() => done,
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(e) = done {
        tracing::debug!(%peer, "HTTP connection: {e}");
    }
}

/// A connection's socket whose writes fail with `TimedOut` once one has waited `stall` for the
/// client to take bytes (the module documentation, "Clients that stop reading"). Reads pass through.
struct Stalling<I> {
    io: I,
    stall: Duration,
    /// Runs from the first write that had to wait; reset by the next write that does not.
    timer: Pin<Box<tokio::time::Sleep>>,
    waiting: bool,
}

impl<I> Stalling<I> {
    fn new(io: I, stall: Duration) -> Self {
        Self { io, stall, timer: Box::pin(tokio::time::sleep(stall)), waiting: false }
    }

    /// What a write `polled` from the socket becomes: done, still waiting, or failed when it has
    /// waited `stall` (the timer wakes the connection then, so it is polled again and fails).
    fn limit<T>(&mut self, cx: &mut Context<'_>, polled: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
        if polled.is_ready() {
            self.waiting = false;
            return polled;
        }
        if !self.waiting {
            self.waiting = true;
            self.timer.as_mut().reset(tokio::time::Instant::now() + self.stall);
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                metrics::counter!("truce_http_responses_cut_total", "reason" => "stalled").increment(1);
                Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("the client read nothing for {} s", self.stall.as_secs()),
                )))
            }
        }
    }
}

impl<I: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Stalling<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<I: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Stalling<I> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.limit(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.limit(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_flush(cx);
        this.limit(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_shutdown(cx);
        this.limit(cx, polled)
    }
}

/// Waits after a failed `accept`: at once for a connection that failed on its own, a second when the
/// process is out of descriptors or memory (trying again at once would only spin).
pub(crate) async fn after_accept_error(e: &std::io::Error, what: &str) {
    use std::io::ErrorKind;
    if matches!(e.kind(), ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused) {
        tracing::debug!("{what} accept: {e}");
        return;
    }
    tracing::warn!("{what} accept: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Serves `app` over plain HTTP on `listener` until `shutdown` completes, then lets the connections
/// finish the requests in hand and returns when every one has closed.
pub(crate) async fn serve_plain(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    accept(listener, "HTTP", shutdown, move |tcp, peer, stop| serve(tcp, peer, app.clone(), limits, |_| {}, stop))
        .await;
}

/// Accepts connections on `listener` and runs `connection(tcp, peer, stop)` for each on its own task
/// until `shutdown` completes; then drops `stop`'s sender (each connection finishes the request in
/// hand and closes) and returns when every task has ended.
pub(crate) async fn accept<F>(
    listener: tokio::net::TcpListener,
    what: &'static str,
    shutdown: impl Future<Output = ()> + Send + 'static,
    mut connection: impl FnMut(tokio::net::TcpStream, SocketAddr, tokio::sync::watch::Receiver<()>) -> F,
) where
    F: Future<Output = ()> + Send + 'static,
{
    // Each task holds a clone of `open` until it has ended.
    let (stop, stopped) = tokio::sync::watch::channel(());
    let (open, all_closed) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    after_accept_error(&e, what).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (task, open) = (connection(tcp, peer, stopped.clone()), open.clone());
        tokio::spawn(async move {
            task.await;
            drop(open);
        });
    }
    drop(listener);
    drop(stop);
    drop(open);
    let mut all_closed = all_closed;
    // `recv` ends when the last task has dropped its sender.
    let _ = all_closed.recv().await;
}
