//! Hostile servers for the network tests: a bare HTTP/1.1 listener that answers whatever a
//! test tells it to (redirects, wrong pages, arbitrary bytes) and records every request it
//! got, and a port whose SYNs are dropped. Not the emulator: these are not DingTalk.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// One request as it arrived.
#[derive(Debug, Clone, Default)]
pub(crate) struct Received {
    /// `GET`, `POST`, ...
    pub(crate) method: String,
    /// The path with its query.
    pub(crate) target: String,
    /// Header names in lower case, with their values.
    pub(crate) headers: Vec<(String, String)>,
    /// The body (read by `Content-Length`).
    pub(crate) body: Vec<u8>,
}

impl Received {
    /// The value of header `name` (lower case), if sent.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What the server answers.
pub(crate) struct Reply {
    /// The status code.
    pub(crate) status: u16,
    /// Extra headers.
    pub(crate) headers: Vec<(String, String)>,
    /// The body.
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// `status` with a JSON body.
    pub(crate) fn json(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// `status` with an HTML page.
    pub(crate) fn html(status: u16, body: &str) -> Reply {
        Reply { status, headers: vec![("Content-Type".into(), "text/html".into())], body: body.as_bytes().to_vec() }
    }

    /// A redirect to `location`.
    pub(crate) fn redirect(status: u16, location: &str) -> Reply {
        Reply { status, headers: vec![("Location".into(), location.into())], body: Vec::new() }
    }

    /// A good token answer.
    pub(crate) fn token(token: &str) -> Reply {
        Reply::json(200, &format!(r#"{{"accessToken":"{token}","expireIn":7200}}"#))
    }
}

type Responder = dyn Fn(&Received) -> Reply + Send + Sync;

/// A listener on 127.0.0.1 that answers each request with what `respond` says, one request
/// per connection, and records them all. [`Hostile::drop_new_connections`] turns it into a
/// port whose SYNs are dropped.
pub(crate) struct Hostile {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Switch,
    fillers: Mutex<Vec<TcpStream>>,
}

impl Hostile {
    /// Starts it; it runs until the test process ends.
    pub(crate) fn start(respond: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = listener(8);
        let addr = listener.local_addr().ok().and_then(|a| a.as_socket()).expect("a bound address");
        let listener: TcpListener = listener.into();
        let received = Arc::new(Mutex::new(Vec::new()));
        let respond: Arc<Responder> = Arc::new(respond);
        let (log, stop) = (received.clone(), Switch::default());
        let stopped = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if stopped.is_on() {
                    // Keep the listener (and this connection) open, and accept no more.
                    let _held = (listener, stream);
                    loop {
                        std::thread::park();
                    }
                }
                let (log, respond) = (log.clone(), respond.clone());
                std::thread::spawn(move || serve(stream, &log, respond.as_ref()));
            }
        });
        Hostile { addr, received, stop, fillers: Mutex::default() }
    }

    /// From now on, new connections neither succeed nor are refused: the server stops
    /// accepting and its queue is filled, so their SYNs are dropped.
    pub(crate) fn drop_new_connections(&self) {
        self.stop.on();
        let mut fillers = self.fillers.lock().unwrap_or_else(|p| p.into_inner());
        for _ in 0..32 {
            match TcpStream::connect_timeout(&self.addr, std::time::Duration::from_secs(1)) {
                Ok(s) => fillers.push(s),
                Err(_) => return,
            }
        }
        panic!("the listen queue of {} did not fill", self.addr);
    }

    /// A server that records what reaches it and answers 200 `{}`: the "other host".
    pub(crate) fn witness() -> Hostile {
        Hostile::start(|_| Reply::json(200, r#"{"processQueryKey":"x","accessToken":"stolen","expireIn":7200}"#))
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Received>>, respond: &Responder) {
    let Ok(write_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let mut req = Received {
        method: parts.next().unwrap_or_default().to_string(),
        target: parts.next().unwrap_or_default().to_string(),
        ..Received::default()
    };
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            req.headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = req.header("content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    req.body = body;
    let reply = respond(&req);
    log.lock().unwrap_or_else(|p| p.into_inner()).push(req);
    let mut out =
        format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n", reply.status, reply.body.len());
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut w = write_half;
    let _ = w.write_all(out.as_bytes());
    let _ = w.write_all(&reply.body);
    let _ = w.flush();
}

/// A bound, listening socket on 127.0.0.1 with this backlog.
fn listener(backlog: i32) -> socket2::Socket {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    let addr: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    socket.bind(&addr.into()).expect("bind");
    socket.listen(backlog).expect("listen");
    socket
}

/// A loopback port whose SYNs are dropped: a listener with a backlog of 0 that never accepts,
/// its one queue place taken. A connection to it neither succeeds nor is refused; it waits.
/// (Linux drops SYNs to a full accept queue.)
pub(crate) struct DroppedSyn {
    _listener: socket2::Socket,
    _filler: Option<TcpStream>,
    port: u16,
}

impl DroppedSyn {
    /// Binds it and fills its queue.
    pub(crate) fn start() -> DroppedSyn {
        let socket = listener(0);
        let addr = socket.local_addr().ok().and_then(|a| a.as_socket()).expect("a bound address");
        let filler = TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(500)).ok();
        DroppedSyn { _listener: socket, _filler: filler, port: addr.port() }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// A switch a responder can read: lets a test change what a running server answers.
#[derive(Default, Clone)]
pub(crate) struct Switch(Arc<AtomicBool>);

impl Switch {
    /// Turns it on.
    pub(crate) fn on(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether it is on.
    pub(crate) fn is_on(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
