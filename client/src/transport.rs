//! The HTTP side of a connection: clients that never follow a redirect and never send a
//! `Referer` (so a credential goes only to the host the user configured), connect timeouts that
//! fit inside each call's budget, the proxy the environment names, and the multipart body of
//! an upload written out by hand so that a file name cannot inject a header.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use reqwest::Url;

use crate::error::{Error, Result};
use crate::redact;

/// The longest wait for a TCP (and TLS, and proxy tunnel) connection.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one attempt may spend connecting, out of a call's `timeout`: half of it, at most
/// [`MAX_CONNECT_TIMEOUT`]. An attempt is only started with more than this left of the call's
/// budget, so the call's own deadline can never fire while a connection is still being made:
/// a timeout while connecting is always known to have sent nothing.
pub(crate) fn connect_timeout(call_timeout: Duration) -> Duration {
    (call_timeout / 2).min(MAX_CONNECT_TIMEOUT)
}

/// The HTTP clients of one app connection, one per connect timeout in use (robots of one app
/// almost always share one), all with the same rules and the same proxy.
///
/// A client's pooled connections are driven by the runtime they were made on, so a host
/// thread running a call on its own loop uses clients of its own, kept in
/// that thread; calls on the shared runtime share `shared`.
pub(crate) struct Transport {
    proxy: Option<Arc<ProxyRules>>,
    shared: Mutex<HashMap<Duration, reqwest::Client>>,
    /// Alive as long as this transport: a thread's clients of a dropped transport are
    /// dropped the next time that thread makes a client.
    alive: Arc<()>,
}

/// One client of one transport, kept by the thread whose loop drives its connections.
struct ThreadClient {
    owner: Weak<()>,
    connect_timeout: Duration,
    client: reqwest::Client,
}

thread_local! {
    static THREAD_CLIENTS: RefCell<Vec<ThreadClient>> = const { RefCell::new(Vec::new()) };
}

impl Transport {
    /// Reads the proxy settings from the environment; builds no client yet.
    pub(crate) fn new() -> Self {
        Transport { proxy: ProxyRules::from_env().map(Arc::new), shared: Mutex::default(), alive: Arc::new(()) }
    }

    /// The client whose connect timeout is `connect_timeout`, made on first use: this
    /// thread's own when the call runs on the thread's loop, else the shared one.
    pub(crate) fn client(&self, connect_timeout: Duration) -> Result<reqwest::Client> {
        if on_thread_loop() {
            return THREAD_CLIENTS.with(|cell| {
                let mut clients = cell.borrow_mut();
                let owner = Arc::downgrade(&self.alive);
                let mine = |c: &ThreadClient| c.connect_timeout == connect_timeout && c.owner.ptr_eq(&owner);
                if let Some(c) = clients.iter().find(|c| mine(c)) {
                    return Ok(c.client.clone());
                }
                clients.retain(|c| c.owner.strong_count() > 0);
                let client = self.build(connect_timeout)?;
                clients.push(ThreadClient { owner, connect_timeout, client: client.clone() });
                Ok(client)
            });
        }
        let mut clients = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = clients.get(&connect_timeout) {
            return Ok(c.clone());
        }
        let client = self.build(connect_timeout)?;
        clients.insert(connect_timeout, client.clone());
        Ok(client)
    }

    fn build(&self, connect_timeout: Duration) -> Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config()?)
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .connect_timeout(connect_timeout)
            .pool_idle_timeout(Duration::from_secs(50))
            .tcp_nodelay(true)
            .user_agent(concat!("dingtalk-robot-rpa/", env!("CARGO_PKG_VERSION")))
            .no_proxy();
        if let Some(rules) = &self.proxy {
            let rules = rules.clone();
            builder = builder.proxy(reqwest::Proxy::custom(move |url| rules.proxy_for(url).cloned()));
        }
        builder.build().map_err(|e| Error::Internal(format!("cannot build the HTTP client: {}", e.without_url())))
    }

    /// The proxy (shown without credentials) that requests to `url` go through, if any.
    pub(crate) fn proxy_shown_for(&self, url: &str) -> Option<String> {
        let rules = self.proxy.as_ref()?;
        let url = Url::parse(url).ok()?;
        rules.proxy_for(&url).map(|p| redact::url(p.as_str()))
    }
}

/// Whether the running task is on a single-threaded loop (a host thread's own, which the
/// caller drives with `block_on`) rather than on a shared multi-thread runtime: its HTTP
/// connections must then be that thread's, since only that thread ever drives them.
pub(crate) fn on_thread_loop() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
}

/// Sends `request` and waits for its answer's head.
///
/// On a host thread's own loop, the loop first takes one turn (a yield) before the request
/// goes out: the loop does not run while the thread is away from the plugin, so a pooled
/// connection that the server closed in the meantime is only known to be closed once the loop
/// has looked at it. After that turn, the connection picked from the pool is either open or
/// seen as closed when the request is about to be written on it, in which case the request is
/// sent on a new connection instead, untouched (hyper hands an unwritten request back). Without
/// it, the request would be written on the dead connection, and a send would end as an
/// unknown outcome though the server never saw it.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    if on_thread_loop() {
        tokio::task::yield_now().await;
    }
    request.send().await
}

/// The proxy settings of the environment, as curl and most tools read them: `https_proxy`,
/// `http_proxy` (lower case only, as curl does, since CGI servers set `HTTP_PROXY` from a
/// request header), `all_proxy`, and `no_proxy` (host names, `.domain` suffixes, IPs, `*`).
/// Loopback addresses never go through a proxy.
#[derive(Debug, Default)]
struct ProxyRules {
    http: Option<Url>,
    https: Option<Url>,
    no_proxy: Vec<String>,
}

impl ProxyRules {
    fn from_env() -> Option<Self> {
        let var = |names: &[&str]| {
            names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty())).and_then(|v| {
                let v = v.trim();
                // "host:port" means an HTTP proxy.
                let full = if v.contains("://") { v.to_string() } else { format!("http://{v}") };
                Url::parse(&full).ok()
            })
        };
        let all = var(&["all_proxy", "ALL_PROXY"]);
        let rules = ProxyRules {
            http: var(&["http_proxy"]).or_else(|| all.clone()),
            https: var(&["https_proxy", "HTTPS_PROXY"]).or(all),
            no_proxy: ["no_proxy", "NO_PROXY"]
                .iter()
                .find_map(|n| std::env::var(n).ok())
                .map(|v| v.split(',').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
        };
        (rules.http.is_some() || rules.https.is_some()).then_some(rules)
    }

    fn proxy_for(&self, url: &Url) -> Option<&Url> {
        let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        let loopback = is_loopback(url);
        let bypassed = self.no_proxy.iter().any(|rule| {
            let rule = rule.trim_start_matches("*.").trim_start_matches('.');
            rule == "*" || host == rule || host.ends_with(&format!(".{rule}"))
        });
        if loopback || bypassed {
            return None;
        }
        match url.scheme() {
            "https" => self.https.as_ref(),
            _ => self.http.as_ref(),
        }
    }
}

/// A `multipart/form-data` body: its content type (with the boundary) and its bytes.
pub(crate) struct Multipart {
    /// The `Content-Type` header value.
    pub(crate) content_type: String,
    /// The whole body.
    pub(crate) body: Bytes,
}

/// The media upload form: a text part `type` (`file`, `image`, `voice` or `video`) and the
/// file in part `media`.
///
/// The file name is written as RFC 7578 section 4.2 and the HTML standard do: UTF-8 as is
/// (Chinese names arrive intact), a backslash as one backslash, and `"`, CR and LF
/// percent-encoded, so no name can end the header line. (Names with control characters are
/// refused before this, with a clear message; this is the second line of defence.)
pub(crate) fn media_form(file_name: &str, bytes: &[u8], media_type: &str) -> Multipart {
    let boundary = boundary_not_in(bytes);
    let mut name = String::with_capacity(file_name.len());
    for c in file_name.chars() {
        match c {
            '"' => name.push_str("%22"),
            '\r' => name.push_str("%0D"),
            '\n' => name.push_str("%0A"),
            c => name.push(c),
        }
    }
    let mut body = BytesMut::with_capacity(bytes.len() + 512);
    body.put_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\n{media_type}\r\n").as_bytes(),
    );
    body.put_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.put_slice(bytes);
    body.put_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Multipart { content_type: format!("multipart/form-data; boundary={boundary}"), body: body.freeze() }
}

/// A random boundary that does not occur in `bytes`.
fn boundary_not_in(bytes: &[u8]) -> String {
    let state = RandomState::new();
    let mut n: u64 = 0;
    loop {
        let boundary = format!("dingtalk-robot-{:016x}{:016x}", state.hash_one(n), state.hash_one(n + 1));
        if !bytes.windows(boundary.len()).any(|w| w == boundary.as_bytes()) {
            return boundary;
        }
        n += 2;
    }
}

/// Describes a transport error without its URL (whose query may hold a token).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    if text.is_empty() { "transport error".to_string() } else { text }
}

/// The TLS setup of every client, made once per process: what reqwest would make for each
/// client (the platform's certificate verifier, TLS 1.2 and 1.3, ALPN h2 then http/1.1), made
/// once because loading the system's roots is most of what making a client costs and each host
/// thread makes its own clients; and one TLS session cache, so that a thread's new connection
/// can resume a session another thread began.
pub(crate) fn tls_config() -> Result<rustls::ClientConfig> {
    static TLS: OnceLock<std::result::Result<rustls::ClientConfig, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        install_crypto_provider();
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(|e| e.to_string())?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    })
    .clone()
    .map_err(|e| Error::Internal(format!("cannot set up TLS: {e}")))
}

/// reqwest is built without a default TLS crypto provider (to avoid aws-lc's C build);
/// install ring's once. Another provider already installed is fine too.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Whether `url` points at this computer: `localhost` (a trailing dot allowed), 127.0.0.0/8
/// or `[::1]`. Such a host is never proxied, and is the only one a custom robot's webhook may
/// reach over plain `http://` (the emulator, a test server): everywhere else the token would
/// travel in clear text.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.trim_end_matches('.').eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_own_clients_and_drops_those_of_dropped_transports() {
        let thread_clients = || THREAD_CLIENTS.with_borrow(Vec::len);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            assert!(on_thread_loop());
            let first = Transport::new();
            first.client(Duration::from_secs(1)).unwrap();
            first.client(Duration::from_secs(1)).unwrap();
            first.client(Duration::from_secs(2)).unwrap();
            assert_eq!(thread_clients(), 2, "one per connect timeout");
            drop(first);
            let second = Transport::new();
            second.client(Duration::from_secs(1)).unwrap();
            assert_eq!(thread_clients(), 1, "the dropped transport's clients went with it");
            assert!(second.shared.lock().unwrap().is_empty(), "nothing shared on a thread's loop");
        });
        // On the shared (multi-thread) runtime, the clients are shared.
        let shared = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let transport = std::sync::Arc::new(Transport::new());
        let t = transport.clone();
        shared.block_on(async move {
            assert!(!on_thread_loop());
            t.client(Duration::from_secs(1)).unwrap();
        });
        assert_eq!(transport.shared.lock().unwrap().len(), 1);
    }

    #[test]
    fn connect_timeout_leaves_room_in_the_call() {
        assert_eq!(connect_timeout(Duration::from_secs(1)), Duration::from_millis(500));
        assert_eq!(connect_timeout(Duration::from_secs(15)), Duration::from_millis(7500));
        assert_eq!(connect_timeout(Duration::from_secs(300)), MAX_CONNECT_TIMEOUT);
    }

    #[test]
    fn file_names_cannot_break_the_part_header() {
        let form = media_form("x\r\nContent-Type: evil\r\nY: z\".pdf", b"data", "file");
        let text = String::from_utf8_lossy(&form.body);
        let header = text.lines().find(|l| l.contains("name=\"media\"")).unwrap();
        assert!(header.ends_with("filename=\"x%0D%0AContent-Type: evil%0D%0AY: z%22.pdf\""), "{header}");
        assert!(!text.contains("\r\nContent-Type: evil"));
        let form = media_form("back\\slash 报告.pdf", b"data", "file");
        assert!(String::from_utf8_lossy(&form.body).contains("filename=\"back\\slash 报告.pdf\""));
    }

    #[test]
    fn the_boundary_is_not_in_the_file() {
        let form = media_form("a.pdf", b"--dingtalk-robot-", "voice");
        assert!(String::from_utf8_lossy(&form.body).contains("name=\"type\"\r\n\r\nvoice\r\n"));
        let boundary = form.content_type.split("boundary=").nth(1).unwrap();
        assert_eq!(String::from_utf8_lossy(&form.body).matches(boundary).count(), 3);
    }

    #[test]
    fn proxy_rules_skip_loopback_and_no_proxy_hosts() {
        let proxy = Url::parse("http://proxy.corp:3128").unwrap();
        let rules = ProxyRules {
            http: Some(proxy.clone()),
            https: Some(proxy.clone()),
            no_proxy: vec!["internal.corp".into(), ".example.org".into()],
        };
        let via = |u: &str| rules.proxy_for(&Url::parse(u).unwrap()).cloned();
        assert_eq!(via("https://api.dingtalk.com/v1.0"), Some(proxy.clone()));
        assert_eq!(via("http://127.0.0.1:8080"), None);
        assert_eq!(via("http://[::1]:8080"), None);
        assert_eq!(via("http://localhost:8080"), None);
        assert_eq!(via("https://a.internal.corp"), None);
        assert_eq!(via("https://www.example.org"), None);
        assert_eq!(via("https://notinternal.corp"), Some(proxy));
    }

    #[test]
    fn loopback_is_localhost_127_and_ipv6_one_only() {
        let at = |u: &str| is_loopback(&Url::parse(u).unwrap());
        for yes in [
            "http://127.0.0.1:9/",
            "http://127.9.8.7/",
            "http://[::1]:80/",
            "http://LOCALHOST:1/",
            "http://localhost./",
        ] {
            assert!(at(yes), "{yes}");
        }
        for no in [
            "http://128.0.0.1/",
            "http://localhost.evil.com/",
            "http://evil-localhost/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://0.0.0.0/",
            "https://oapi.dingtalk.com/",
        ] {
            assert!(!at(no), "{no}");
        }
    }
}
