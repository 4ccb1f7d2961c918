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
//! What is not cut: a response being sent (a streamed report has its own limit, `http.stall_s`), the
//! WebSocket stream once upgraded (it is no longer HTTP), and a request whose handler is still
//! working.
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
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};

/// Serves one connection `io` from `peer` with `app` until it closes, with the time limits of the
/// module documentation; `extensions` adds what the handlers learn of the connection to every
/// request (the peer's address is always added, as axum's `ConnectInfo`). When `stop`'s sender is
/// dropped, the connection finishes the request in hand and closes.
pub(crate) async fn serve<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    idle: Duration,
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
        .serve_connection(TokioIo::new(io), service)
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
    idle: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    accept(listener, "HTTP", shutdown, move |tcp, peer, stop| serve(tcp, peer, app.clone(), idle, |_| {}, stop)).await;
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
