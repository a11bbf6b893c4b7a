//! [`Listener`]: one app's Stream connection, run on a runtime of its own (one thread) so
//! that it keeps reading whichever host thread waits: it opens a ticket, connects the
//! WebSocket on the transport's rustls setup, acknowledges every frame, pings, opens a new
//! socket before letting go of one DingTalk says it will close, opens again after a dropped
//! socket with capped, jittered backoff, and closes when no one has waited for a while.

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::StreamSettings;
use super::frame::{self, Incoming};
use super::hub::{Delivered, Hub};
use crate::call::Call;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::options::CallOptions;
use crate::transport;

/// One WebSocket to DingTalk.
type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a socket DingTalk said it will close is still read (it closes it after about 10 s).
const DRAIN_FOR: Duration = Duration::from_secs(15);
/// How often a socket looks whether the listener has been idle long enough to close.
const IDLE_CHECK: Duration = Duration::from_millis(500);

/// One app's Stream connection and its waiters.
pub(crate) struct Listener {
    /// The connection of the last wait that started the listener (its credentials open it).
    connection: Mutex<Arc<Connection>>,
    options: CallOptions,
    settings: StreamSettings,
    hub: Hub,
    /// Whether the listener's task runs.
    running: Mutex<bool>,
    /// WebSockets opened so far.
    opened: AtomicU64,
    /// Why the last socket dropped, for the waits' logs (never with a ticket).
    last_drop: Mutex<Option<String>>,
    /// Why the last attempt to open failed, cleared when one succeeds.
    last_open_error: Mutex<Option<Error>>,
    /// Whether a socket is open now.
    connected: AtomicBool,
}

/// How one socket's session ended.
enum Ended {
    /// DingTalk said it will close it: still readable for a while.
    Disconnect(Box<Socket>),
    /// It broke, closed, or missed a pong.
    Dropped(String),
    /// No one has waited for [`StreamSettings::idle_close`].
    Idle,
}

/// The runtime every listener runs on: one thread of its own, so a socket is read whether or
/// not any host thread is inside the plugin.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    crate::background::runtime(&RUNTIME, "dingtalk-stream", "Stream")
}

impl Listener {
    /// A listener for `connection`'s app; nothing opened yet.
    pub(crate) fn new(connection: Arc<Connection>, options: CallOptions, settings: StreamSettings) -> Self {
        Listener {
            connection: Mutex::new(connection),
            options,
            settings,
            hub: Hub::default(),
            running: Mutex::new(false),
            opened: AtomicU64::new(0),
            last_drop: Mutex::new(None),
            last_open_error: Mutex::new(None),
            connected: AtomicBool::new(false),
        }
    }

    /// Its waiters and recent messages.
    pub(crate) fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The API base it opens on, for errors.
    pub(crate) fn api_base(&self) -> String {
        self.connection.lock().unwrap_or_else(|p| p.into_inner()).api_base().to_string()
    }

    /// WebSockets opened so far.
    pub(crate) fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    /// Why the last socket dropped, if one did.
    pub(crate) fn last_drop(&self) -> Option<String> {
        self.last_drop.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether a socket is open now.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Why the last attempt to open failed, unless one succeeded since.
    pub(crate) fn last_open_error(&self) -> Option<Error> {
        self.last_open_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Starts the listener's task unless it runs; it opens with `connection`'s credentials.
    pub(crate) fn ensure_running(self: &Arc<Self>, connection: &Arc<Connection>) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if *running {
            return;
        }
        *self.connection.lock().unwrap_or_else(|p| p.into_inner()) = connection.clone();
        // What kept the last task from opening is no longer news to this one.
        let mut last_error = self.last_open_error.lock().unwrap_or_else(|p| p.into_inner());
        *last_error = None;
        match runtime() {
            Ok(rt) => {
                *running = true;
                rt.spawn(self.clone().run());
            }
            Err(e) => {
                self.hub.fail_all(&e);
                *last_error = Some(e);
            }
        }
    }

    /// Opens, serves and opens again until the listener is idle or cannot open at all.
    async fn run(self: Arc<Self>) {
        let (first, cap) = self.settings.backoff;
        let mut backoff = first;
        let mut attempt: u64 = 0;
        loop {
            if self.stop_if_idle() {
                return;
            }
            match self.open().await {
                Ok(socket) => {
                    backoff = first;
                    *self.last_open_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    self.connected.store(true, Ordering::Release);
                    let ended = self.serve(socket, false).await;
                    self.connected.store(false, Ordering::Release);
                    match ended {
                        Ended::Disconnect(old) => {
                            // Make before break: the old socket is still read while the new
                            // one opens, until DingTalk closes it.
                            let me = self.clone();
                            tokio::spawn(async move {
                                let _ = tokio::time::timeout(DRAIN_FOR, me.serve(*old, true)).await;
                            });
                            continue;
                        }
                        Ended::Idle => {}
                        Ended::Dropped(reason) => {
                            *self.last_drop.lock().unwrap_or_else(|p| p.into_inner()) = Some(reason);
                        }
                    }
                }
                Err(e) if fatal(&e) => {
                    let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
                    self.hub.fail_all(&e);
                    // For a wait that looks whether the connection opened (an ask, before it asks).
                    *self.last_open_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    *running = false;
                    return;
                }
                Err(e) => {
                    *self.last_drop.lock().unwrap_or_else(|p| p.into_inner()) = Some(format!("cannot open: {e}"));
                    *self.last_open_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                }
            }
            if self.stop_if_idle() {
                return;
            }
            attempt += 1;
            tokio::time::sleep(jittered(backoff, attempt)).await;
            backoff = (backoff * 2).min(cap);
        }
    }

    /// Marks the task stopped when no one waits and no one has for the idle time; the check
    /// and the mark under the `running` lock, so a wait that begins meanwhile starts a new task.
    fn stop_if_idle(&self) -> bool {
        let idle = self.settings.idle_close;
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let stop = idle.is_some() && self.hub.active() == 0 && self.hub.idle_for(idle);
        if stop {
            *running = false;
        }
        stop
    }

    /// Asks for a ticket and connects the WebSocket.
    async fn open(&self) -> Result<Socket> {
        let connection = self.connection.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let call = Call::new();
        let url = connection.open_stream(&call, &self.options).await?;
        let mut tls = transport::tls_config()?;
        // A WebSocket handshake is HTTP/1.1.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.settings.max_message))
            .max_frame_size(Some(self.settings.max_message));
        let timeout = transport::connect_timeout(self.options.timeout);
        let base = connection.api_base().to_string();
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            url.expose(),
            Some(config),
            true,
            Some(Connector::Rustls(Arc::new(tls))),
        );
        match tokio::time::timeout(timeout, connect).await {
            Ok(Ok((socket, _))) => {
                self.opened.fetch_add(1, Ordering::Relaxed);
                Ok(socket)
            }
            // tungstenite's errors never hold the URL (whose query holds the ticket).
            Ok(Err(e)) => Err(Error::Network { url: base, via_proxy: None, reason: format!("Stream WebSocket: {e}") }),
            Err(_) => Err(Error::Timeout { url: base, seconds: timeout.as_secs(), nothing_sent: true }),
        }
    }

    /// Reads one socket: acknowledges every frame, hands robot messages to the hub, pings.
    /// A `draining` socket (DingTalk said it will close it) is read until it closes.
    async fn serve(&self, mut socket: Socket, draining: bool) -> Ended {
        let mut ping = tokio::time::interval(self.settings.ping_interval);
        ping.tick().await;
        let mut idle = tokio::time::interval(IDLE_CHECK);
        let mut awaiting_pong = false;
        loop {
            tokio::select! {
                message = socket.next() => {
                    let text = match message {
                        None => return Ended::Dropped("closed".into()),
                        Some(Err(e)) => return Ended::Dropped(e.to_string()),
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(_))) => return Ended::Dropped("closed by DingTalk".into()),
                        Some(Ok(_)) => {
                            // A pong (or any frame) shows the socket is alive.
                            awaiting_pong = false;
                            continue;
                        }
                    };
                    awaiting_pong = false;
                    let Incoming::Frame { mut ack, message_id, reply, disconnect } = frame::read(text.as_str()) else {
                        continue;
                    };
                    // Handed over before the acknowledgement, which may carry the card's new data.
                    // A wait of this process takes it first (a card click must be answered on this
                    // socket); else, with a fleet, it goes to the app's Redis Stream for whichever
                    // process waits for it.
                    if let Some(reply) = reply {
                        let connection = self.connection.lock().unwrap_or_else(|p| p.into_inner()).clone();
                        let fleet = if self.hub.wants(&reply) { None } else { connection.fleet() };
                        let published = match fleet {
                            Some(f) => f.publish(connection.fleet_stream(), &message_id, &reply).await,
                            None => false,
                        };
                        if !published && let Delivered::Taken(Some(response)) = self.hub.deliver(&message_id, *reply) {
                            ack = frame::callback_ack(&message_id, &response);
                        }
                    }
                    if socket.send(Message::text(ack)).await.is_err() {
                        return Ended::Dropped("the acknowledgement could not be sent".into());
                    }
                    if disconnect && !draining {
                        return Ended::Disconnect(Box::new(socket));
                    }
                }
                _ = ping.tick(), if !draining => {
                    if awaiting_pong {
                        return Ended::Dropped("no pong".into());
                    }
                    if socket.send(Message::Ping(Default::default())).await.is_err() {
                        return Ended::Dropped("the ping could not be sent".into());
                    }
                    awaiting_pong = true;
                }
                _ = idle.tick(), if !draining => {
                    if self.hub.active() == 0 && self.hub.idle_for(self.settings.idle_close) {
                        let _ = socket.close(None).await;
                        return Ended::Idle;
                    }
                }
            }
        }
    }
}

/// The fleet's reader hands claimed messages to this process's waits.
impl crate::fleet::listen::Waiters for Listener {
    fn wants(&self, reply: &super::Reply) -> bool {
        self.hub.wants(reply)
    }

    fn deliver(&self, message_id: &str, reply: super::Reply) {
        self.hub.deliver(message_id, reply);
    }

    fn active(&self) -> usize {
        self.hub.active()
    }
}

/// Errors that opening again will not cure: the waiters are told at once.
pub(crate) fn fatal(e: &Error) -> bool {
    !matches!(e, Error::Network { .. } | Error::Timeout { .. } | Error::Throttled { .. } | Error::BadResponse { .. })
}

/// `wait` with up to a quarter taken off or added at random, so that many processes that
/// lost DingTalk at once do not come back at once.
fn jittered(wait: Duration, attempt: u64) -> Duration {
    let random = RandomState::new().hash_one(attempt) % 1000;
    let factor = 0.75 + (random as f64) / 2000.0;
    wait.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_quarter() {
        for attempt in 0..200 {
            let d = jittered(Duration::from_secs(4), attempt);
            assert!(d >= Duration::from_secs(3) && d <= Duration::from_secs(5), "{d:?}");
        }
    }
}
