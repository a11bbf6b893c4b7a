//! The studio's HTTP server: hyper's HTTP/1 connections, bounded in time and in number by
//! hyper's and tower-http's own settings ([`ConnectionLimits`]), so that a client that opens
//! connections and sends half a request, or nothing, cannot hold the process's memory and
//! file descriptors. The page needs a handful of connections; it never waits on these limits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::serve::Listener;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tower_http::timeout::RequestBodyTimeout;

/// How long the studio's connections may wait on their client, and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How long a client has to send a request's whole header, counted from when its
    /// connection opens or from the previous answer: also how long an idle kept-alive
    /// connection stays open (hyper's `header_read_timeout`).
    pub header_timeout: Duration,
    /// How long a request's body may go without a new piece arriving (tower-http's
    /// `RequestBodyTimeout`); the request then fails and its connection closes.
    pub idle_timeout: Duration,
    /// The most connections open at once: the next one waits to be accepted until one
    /// closes.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    /// 10 s for a header or a pause in a body (a page on loopback sends either in
    /// milliseconds), and 64 connections (a browser opens six per server).
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            max_connections: 64,
        }
    }
}

/// How long a stop waits for the requests in progress to be answered before the runtime
/// drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Serves `app` on `listener` within `limits` until `stop` completes, then lets the
/// requests in progress finish (for at most [`SHUTDOWN_GRACE`]).
pub(crate) async fn serve(
    mut listener: tokio::net::TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stop: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    tokio::pin!(stop);
    loop {
        // A slot first: past the cap, connections wait in the system's queue, unaccepted.
        let slot = tokio::select! {
            () = &mut stop => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut stop => break,
            // axum's accept retries the errors a listener may hit (out of descriptors, a
            // connection reset before it was accepted), pausing after those that last.
            (stream, _) = Listener::accept(&mut listener) => stream,
        };
        let service = TowerToHyperService::new(RequestBodyTimeout::new(app.clone(), limits.idle_timeout));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A connection's errors (a timeout, a client gone) end that connection only.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}
