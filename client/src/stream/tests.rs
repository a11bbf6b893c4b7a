//! The listener against a fake Stream server written here: `connections/open` over plain
//! HTTP and a WebSocket endpoint on loopback, both driven by the test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::*;
use crate::secret::Secret;

/// What the test tells one WebSocket of the fake server.
enum Command {
    /// Send this text frame.
    Frame(String),
    /// Drop the socket without a close frame.
    Drop,
    /// Read nothing more (so pings go unanswered) and keep the socket open.
    Stall,
}

/// What the fake server saw and how it behaves.
#[derive(Default)]
struct Seen {
    /// Each connections/open request: its head (lower case) and its JSON body.
    opens: Vec<(String, Value)>,
    /// Every frame the client sent back, as JSON.
    acks: Vec<Value>,
    /// Each accepted WebSocket, in order: its command line and whether it has closed.
    sockets: Vec<(mpsc::UnboundedSender<Command>, Arc<Mutex<bool>>)>,
    /// The ticket in each WebSocket's URL.
    tickets: Vec<String>,
    /// Refuse every open as DingTalk refuses wrong credentials.
    refuse: bool,
    /// Hand out this endpoint instead of the real one.
    endpoint: Option<String>,
}

struct Fake {
    api_base: String,
    seen: Arc<Mutex<Seen>>,
}

impl Fake {
    async fn start() -> Fake {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let ws = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ws_url = format!("ws://{}/connect", ws.local_addr().unwrap());
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let api_base = format!("http://{}", http.local_addr().unwrap());
        let s = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = http.accept().await {
                let (head, body) = read_request(&mut socket).await;
                let (status, answer) = {
                    let mut seen = s.lock().unwrap();
                    seen.opens.push((head, serde_json::from_slice(&body).unwrap_or(Value::Null)));
                    if seen.refuse {
                        ("400 Bad Request", json!({"code": "invalidClientIdOrSecret", "message": "bad"}))
                    } else {
                        let endpoint = seen.endpoint.clone().unwrap_or_else(|| ws_url.clone());
                        ("200 OK", json!({"endpoint": endpoint, "ticket": format!("t+/{}", seen.opens.len())}))
                    }
                };
                let answer = answer.to_string();
                let text = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = socket.write_all(text.as_bytes()).await;
                let _ = socket.shutdown().await;
            }
        });
        let s = seen.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = ws.accept().await {
                let s = s.clone();
                tokio::spawn(serve_socket(socket, s));
            }
        });
        Fake { api_base, seen }
    }

    fn connection(&self) -> Arc<Connection> {
        Arc::new(Connection::new(&self.api_base, "app-key", Secret::new("app-secret-1"), 0).unwrap())
    }

    fn options(&self) -> CallOptions {
        CallOptions { api_base: self.api_base.clone(), timeout: Duration::from_secs(5), ..CallOptions::default() }
    }

    /// Waits until the `n`th WebSocket (from 1) is open.
    async fn sockets(&self, n: usize) {
        for _ in 0..500 {
            if self.seen.lock().unwrap().sockets.len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no WebSocket number {n}");
    }

    fn send(&self, socket: usize, command: Command) {
        let _ = self.seen.lock().unwrap().sockets[socket].0.send(command);
    }

    fn acks(&self) -> Vec<Value> {
        self.seen.lock().unwrap().acks.clone()
    }

    /// Waits until `n` acknowledgements came back.
    async fn wait_acks(&self, n: usize) -> Vec<Value> {
        for _ in 0..500 {
            let acks = self.acks();
            if acks.len() >= n {
                return acks;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("fewer than {n} acks: {:?}", self.acks());
    }
}

/// Reads one HTTP request: its head in lower case, and its body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> (String, Vec<u8>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return (String::new(), Vec::new());
        }
        request.extend_from_slice(&buf[..n]);
        let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
        let length: usize =
            head.lines().find_map(|l| l.strip_prefix("content-length:")?.trim().parse().ok()).unwrap_or(0);
        if request.len() >= end + 4 + length {
            return (head, request[end + 4..end + 4 + length].to_vec());
        }
    }
}

/// One WebSocket of the fake server: records what comes, sends what the test says.
async fn serve_socket(socket: tokio::net::TcpStream, seen: Arc<Mutex<Seen>>) {
    let ticket = Arc::new(Mutex::new(String::new()));
    let t = ticket.clone();
    let callback = move |req: &tokio_tungstenite::tungstenite::handshake::server::Request, resp| {
        *t.lock().unwrap() = req.uri().query().unwrap_or_default().to_string();
        Ok(resp)
    };
    let config = WebSocketConfig::default().max_message_size(None).max_frame_size(None);
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async_with_config(socket, callback, Some(config)).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let closed = Arc::new(Mutex::new(false));
    {
        let mut seen = seen.lock().unwrap();
        seen.sockets.push((tx, closed.clone()));
        seen.tickets.push(ticket.lock().unwrap().clone());
    }
    loop {
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    seen.lock().unwrap().acks.push(serde_json::from_str(text.as_str()).unwrap_or(Value::Null));
                }
                Some(Ok(_)) => {}
                _ => break,
            },
            command = rx.recv() => match command {
                Some(Command::Frame(text)) => {
                    if ws.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Some(Command::Stall) => std::future::pending::<()>().await,
                Some(Command::Drop) | None => break,
            },
        }
    }
    *closed.lock().unwrap() = true;
}

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// A frame of DingTalk's.
fn frame(kind: &str, topic: &str, message_id: &str, data: Value) -> Command {
    let data = data.to_string();
    Command::Frame(
        json!({"specVersion": "1.0", "type": kind, "headers": {"topic": topic, "messageId": message_id,
            "contentType": "application/json"}, "data": data})
        .to_string(),
    )
}

/// A one-to-one text message from `user`.
fn said(message_id: &str, user: &str, text: &str) -> Command {
    frame(
        "CALLBACK",
        frame::BOT_TOPIC,
        message_id,
        json!({"conversationId": format!("cid-{user}"), "conversationType": "1", "senderStaffId": user,
            "senderNick": "Nick", "msgId": message_id, "createAt": 1_700_000_000_000_i64, "msgtype": "text",
            "text": {"content": text}}),
    )
}

fn settings() -> StreamSettings {
    StreamSettings {
        backoff: (Duration::from_millis(50), Duration::from_millis(200)),
        idle_close: None,
        ..StreamSettings::default()
    }
}

fn from(user: &str, timeout: Duration) -> Wait {
    Wait { filter: ReplyFilter::new(Chat::User(user.into())), timeout, lookback: Duration::ZERO }
}

/// Starts a wait in a task of its own.
fn spawn_wait(
    fake: &Fake,
    conn: &Arc<Connection>,
    call: &Call,
    wait: Wait,
) -> tokio::task::JoinHandle<Result<Option<Reply>>> {
    let (conn, call, options) = (conn.clone(), call.clone(), fake.options());
    tokio::spawn(async move { wait_for_reply(&conn, &call, &options, &settings(), wait).await })
}

#[tokio::test]
async fn opens_as_dingtalk_says_and_acks_every_frame_in_its_shape() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let call = Call::new();
    let waiting = spawn_wait(&fake, &conn, &call, from("u1", Duration::from_secs(20)));
    fake.sockets(1).await;
    {
        let seen = fake.seen.lock().unwrap();
        let (head, body) = &seen.opens[0];
        assert!(head.starts_with("post /v1.0/gateway/connections/open "), "{head}");
        assert!(head.contains("accept: application/json"), "{head}");
        assert_eq!(body["clientId"], "app-key");
        assert_eq!(body["clientSecret"], "app-secret-1");
        assert_eq!(
            body["subscriptions"],
            json!([{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"},
                   {"type": "CALLBACK", "topic": "/v1.0/card/instances/callback"}])
        );
        assert!(body["ua"].as_str().unwrap().starts_with("dingtalk-robot-rpa/"));
        assert_eq!(body["localIp"], "");
        assert_eq!(seen.tickets[0], "ticket=t%2B%2F1", "the ticket goes URL-encoded");
    }
    fake.send(0, frame("SYSTEM", "ping", "p1", json!({"opaque": "abc"})));
    fake.send(0, frame("EVENT", "chat_update", "e1", json!({})));
    fake.send(0, said("m1", "u1", "PO-4711"));
    let reply = waiting.await.unwrap().unwrap().unwrap();
    assert_eq!(
        (reply.text.as_str(), reply.sender_user_id.as_str(), reply.msg_type.as_str()),
        ("PO-4711", "u1", "text")
    );
    assert_eq!((reply.conversation_id.as_str(), reply.created_at_ms), ("cid-u1", 1_700_000_000_000));
    let acks = fake.wait_acks(3).await;
    let data = |i: usize| -> Value { serde_json::from_str(acks[i]["data"].as_str().unwrap()).unwrap() };
    for (i, id) in ["p1", "e1", "m1"].into_iter().enumerate() {
        assert_eq!(acks[i]["code"], 200);
        assert_eq!(acks[i]["headers"]["messageId"], id);
    }
    assert_eq!(data(0), json!({"opaque": "abc"}), "a ping's data comes back");
    assert_eq!(data(1), json!({"status": "SUCCESS"}));
    assert_eq!(data(2), json!({"response": "OK"}));
    let lines = call.take_lines();
    assert!(lines.iter().all(|(_, l)| !l.contains("app-secret-1") && !l.contains("t+/1") && !l.contains("t%2B")));
    assert_eq!(connections_opened(&conn), 1);
}

#[tokio::test]
async fn waiters_take_messages_in_turn_and_a_repeat_is_dropped() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let first = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20)));
    fake.sockets(1).await;
    // The second begins after the first.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20)));
    tokio::time::sleep(Duration::from_millis(50)).await;
    fake.send(0, said("m1", "u2", "not for them"));
    fake.send(0, said("m2", "u1", "one"));
    fake.send(0, said("m2", "u1", "one again"));
    fake.send(0, said("m3", "u1", "two"));
    assert_eq!(first.await.unwrap().unwrap().unwrap().text, "one");
    assert_eq!(second.await.unwrap().unwrap().unwrap().text, "two");
    fake.wait_acks(4).await;
    // The repeat was acknowledged but went to no one: a third waiter looking back finds only
    // the message for u2.
    let third = from("u1", Duration::from_millis(300));
    let got = wait_for_reply(
        &conn,
        &Call::new(),
        &fake.options(),
        &settings(),
        Wait { lookback: Duration::from_secs(60), ..third },
    )
    .await;
    assert!(matches!(got, Ok(None)), "{got:?}");
    let u2 = Wait { lookback: Duration::from_secs(60), ..from("u2", Duration::from_millis(300)) };
    let got = wait_for_reply(&conn, &Call::new(), &fake.options(), &settings(), u2).await.unwrap();
    assert_eq!(got.unwrap().text, "not for them");
    assert_eq!(connections_opened(&conn), 1, "one connection for every waiter");
}

#[tokio::test]
async fn a_dropped_socket_is_opened_again_and_the_wait_goes_on() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let long = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20)));
    let started = tokio::time::Instant::now();
    let short = spawn_wait(&fake, &conn, &Call::new(), from("u9", Duration::from_millis(1500)));
    fake.sockets(1).await;
    fake.send(0, Command::Drop);
    fake.sockets(2).await;
    fake.send(1, said("m1", "u1", "after the drop"));
    assert_eq!(long.await.unwrap().unwrap().unwrap().text, "after the drop");
    assert!(matches!(short.await.unwrap(), Ok(None)));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1500) && took < Duration::from_secs(10), "{took:?}");
    assert_eq!(fake.seen.lock().unwrap().opens.len(), 2, "a ticket per socket");
}

#[tokio::test]
async fn on_disconnect_the_new_socket_opens_before_the_old_one_goes() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let first = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20)));
    fake.sockets(1).await;
    fake.send(0, frame("SYSTEM", "disconnect", "d1", json!({"reason": "restart"})));
    fake.sockets(2).await;
    assert!(!*fake.seen.lock().unwrap().sockets[0].1.lock().unwrap(), "the old socket is still open");
    // The old socket is still read until DingTalk closes it; the new one takes the next.
    fake.send(0, said("m1", "u1", "late on the old one"));
    assert_eq!(first.await.unwrap().unwrap().unwrap().text, "late on the old one");
    let second = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20)));
    tokio::time::sleep(Duration::from_millis(50)).await;
    fake.send(1, said("m2", "u1", "on the new one"));
    assert_eq!(second.await.unwrap().unwrap().unwrap().text, "on the new one");
    fake.send(0, Command::Drop);
    assert_eq!(connections_opened(&conn), 2);
}

#[tokio::test]
async fn ws_on_another_host_is_refused_and_bad_credentials_are_an_auth_error() {
    let fake = Fake::start().await;
    fake.seen.lock().unwrap().endpoint = Some("ws://example.com:80/connect".into());
    let conn = fake.connection();
    let got = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20))).await.unwrap();
    assert!(
        matches!(&got, Err(Error::StreamEndpointRefused { endpoint }) if endpoint == "ws://example.com"),
        "{got:?}"
    );
    assert!(!format!("{got:?}").contains("t+"), "no ticket in the error");

    let fake = Fake::start().await;
    fake.seen.lock().unwrap().refuse = true;
    let conn = fake.connection();
    let got = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20))).await.unwrap();
    assert!(matches!(got, Err(Error::AuthFailed(_))), "{got:?}");
    assert!(!format!("{got:?}").contains("app-secret-1"));
    // The next wait tries again (the listener stopped), with credentials that now work.
    fake.seen.lock().unwrap().refuse = false;
    let next = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20)));
    fake.sockets(1).await;
    fake.send(0, said("m1", "u1", "ok"));
    assert_eq!(next.await.unwrap().unwrap().unwrap().text, "ok");
}

#[tokio::test]
async fn a_frame_that_is_not_json_or_too_large_does_not_stop_the_listener() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let first = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20)));
    fake.sockets(1).await;
    fake.send(0, Command::Frame("this is not JSON {".into()));
    fake.send(0, Command::Frame("null".into()));
    fake.send(0, said("m1", "u1", "still here"));
    assert_eq!(first.await.unwrap().unwrap().unwrap().text, "still here");
    let second = spawn_wait(&fake, &conn, &Call::new(), from("u1", Duration::from_secs(20)));
    // 10 MB, past the 1 MB limit: that socket is dropped, a new one opened.
    fake.send(0, Command::Frame("x".repeat(10 << 20)));
    fake.sockets(2).await;
    fake.send(1, said("m2", "u1", "after the big one"));
    assert_eq!(second.await.unwrap().unwrap().unwrap().text, "after the big one");
}

/// The issue asks for a Stop to end a wait within 100 ms; measured here on a loaded machine.
#[tokio::test]
async fn a_cancelled_wait_ends_within_100_ms() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let call = Call::new();
    let waiting = spawn_wait(&fake, &conn, &call, from("u1", Duration::from_secs(60)));
    fake.sockets(1).await;
    let cancelled_at = std::time::Instant::now();
    call.cancel();
    let got = waiting.await.unwrap();
    let took = cancelled_at.elapsed();
    assert!(matches!(got, Err(Error::Cancelled { in_flight: None })), "{got:?}");
    eprintln!("a cancelled wait ended {:.1} ms after the cancel", took.as_secs_f64() * 1000.0);
    assert!(took < Duration::from_millis(100), "{took:?}");
}

#[test]
fn patterns_are_size_limited_and_filters_match_as_said() {
    assert!(Pattern::new("(").is_err());
    assert!(Pattern::new(r"\w{1000}{1000}").is_err(), "too large a pattern is refused");
    let reply = Reply { text: "PO 12345 ok".into(), sender_user_id: "u1".into(), ..Reply::default() };
    let filter = |keywords: &[&str], pattern: Option<&str>| ReplyFilter {
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        pattern: pattern.map(|p| Pattern::new(p).unwrap()),
        ..ReplyFilter::new(Chat::User("u1".into()))
    };
    assert!(filter(&[], None).matches(&reply));
    assert!(filter(&["no", "ok"], Some(r"PO \d{5}")).matches(&reply));
    assert!(!filter(&["nope"], None).matches(&reply));
    assert!(!filter(&[], Some(r"^\d+$")).matches(&reply));
    let in_group = Reply { group: true, conversation_id: "cid".into(), ..reply.clone() };
    assert!(!filter(&[], None).matches(&in_group));
    let group = ReplyFilter::new(Chat::Group("cid".into()));
    assert!(group.matches(&in_group) && !group.matches(&reply));
}

#[tokio::test]
async fn a_missed_pong_opens_a_new_socket() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let quick = StreamSettings { ping_interval: Duration::from_millis(200), ..settings() };
    let (c, options) = (conn.clone(), fake.options());
    let waiting = tokio::spawn(async move {
        wait_for_reply(&c, &Call::new(), &options, &quick, from("u1", Duration::from_secs(20))).await
    });
    fake.sockets(1).await;
    fake.send(0, Command::Stall);
    fake.sockets(2).await;
    fake.send(1, said("m1", "u1", "on the new socket"));
    assert_eq!(waiting.await.unwrap().unwrap().unwrap().text, "on the new socket");
}

#[tokio::test]
async fn the_socket_closes_once_no_one_has_waited_for_the_idle_time() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let idle = StreamSettings { idle_close: Some(Duration::from_millis(300)), ..settings() };
    let got = wait_for_reply(&conn, &Call::new(), &fake.options(), &idle, from("u1", Duration::from_millis(200))).await;
    assert!(matches!(got, Ok(None)), "{got:?}");
    fake.sockets(1).await;
    let closed = fake.seen.lock().unwrap().sockets[0].1.clone();
    for _ in 0..500 {
        if *closed.lock().unwrap() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(*closed.lock().unwrap(), "the idle socket was closed");
    // The next wait opens a new one.
    let (c, options) = (conn.clone(), fake.options());
    let next = tokio::spawn(async move {
        wait_for_reply(&c, &Call::new(), &options, &idle, from("u1", Duration::from_secs(20))).await
    });
    fake.sockets(2).await;
    fake.send(1, said("m1", "u1", "again"));
    assert_eq!(next.await.unwrap().unwrap().unwrap().text, "again");
}

#[tokio::test]
async fn a_wait_that_never_had_a_connection_says_why_at_its_timeout() {
    // A port nothing listens on any more: every open is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let api_base = format!("http://127.0.0.1:{port}");
    let conn = Arc::new(Connection::new(&api_base, "app-key", Secret::new("app-secret-1"), 0).unwrap());
    let options = CallOptions { api_base, timeout: Duration::from_secs(2), ..CallOptions::default() };
    let got = wait_for_reply(&conn, &Call::new(), &options, &settings(), from("u1", Duration::from_millis(1500))).await;
    assert!(matches!(got, Err(Error::Network { .. })), "{got:?}");
}

#[tokio::test]
async fn a_thousand_waits_share_one_socket_and_each_gets_its_own_reply_once() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let waits: Vec<_> = (0..1000)
        .map(|i| spawn_wait(&fake, &conn, &Call::new(), from(&format!("u{i}"), Duration::from_secs(60))))
        .collect();
    fake.sockets(1).await;
    // Every wait is queued before the replies come (a reply before its wait is not looked back for).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = std::time::Instant::now();
    for i in (0..1000).rev() {
        fake.send(0, said(&format!("m{i}"), &format!("u{i}"), &format!("reply {i}")));
    }
    for (i, wait) in waits.into_iter().enumerate() {
        let reply = wait.await.unwrap().unwrap().unwrap();
        assert_eq!((reply.sender_user_id, reply.text), (format!("u{i}"), format!("reply {i}")));
    }
    eprintln!(
        "1,000 replies reached their waits {:.1} ms after the first was sent",
        sent.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(connections_opened(&conn), 1);
    assert_eq!(fake.seen.lock().unwrap().opens.len(), 1);
}

/// A click on the card `out_track_id` sending `choice`, as DingTalk pushes it.
fn clicked(message_id: &str, user: &str, out_track_id: &str, choice: &str) -> Command {
    let content = json!({"cardPrivateData": {"actionIds": ["answer"], "params": {"choice": choice}}}).to_string();
    frame(
        "CALLBACK",
        frame::CARD_TOPIC,
        message_id,
        json!({"outTrackId": out_track_id, "userId": user, "corpId": "corp", "type": "actionCallback", "content": content}),
    )
}

#[tokio::test]
async fn a_card_click_reaches_its_card_and_its_ack_carries_the_waiters_response() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let call = Call::new();
    let ack = CardAck(Arc::new(|r: &Reply| json!({"cardData": {"cardParamMap": {"status": r.text}}})));
    let accept = Accept(Arc::new(|r: &Reply| r.text == "yes" || r.text == "no"));
    let filter =
        ReplyFilter { accept: Some(accept), card_ack: Some(ack), ..ReplyFilter::new(Chat::Card("t-2".into())) };
    let mut waiting = begin(
        &conn,
        &call,
        &fake.options(),
        &settings(),
        Wait { filter, timeout: Duration::from_secs(20), lookback: Duration::ZERO },
    );
    waiting.connected(&call, Duration::from_secs(10)).await.unwrap();
    fake.send(0, clicked("c1", "u1", "t-1", "yes"));
    fake.send(0, clicked("c2", "u1", "t-2", "maybe"));
    fake.send(0, clicked("c3", "u9", "t-2", "no"));
    let reply = waiting.until(&call).await.unwrap().unwrap();
    assert_eq!((reply.text.as_str(), reply.sender_user_id.as_str(), reply.out_track_id.as_str()), ("no", "u9", "t-2"));
    let acks = fake.wait_acks(3).await;
    let data = |i: usize| serde_json::from_str::<Value>(acks[i]["data"].as_str().unwrap()).unwrap();
    // Another card's click and a click with no choice get the plain acknowledgement.
    assert_eq!(data(0), json!({"response": "OK"}));
    assert_eq!(data(1), json!({"response": "OK"}));
    assert_eq!(acks[2]["headers"]["messageId"], "c3");
    assert_eq!(data(2), json!({"response": {"cardData": {"cardParamMap": {"status": "no"}}}}));
}

#[tokio::test]
async fn connected_returns_once_the_socket_is_open_or_says_why_it_cannot_open() {
    let fake = Fake::start().await;
    let conn = fake.connection();
    let call = Call::new();
    let waiting = begin(&conn, &call, &fake.options(), &settings(), from("u1", Duration::from_secs(20)));
    waiting.connected(&call, Duration::from_secs(10)).await.unwrap();
    assert_eq!(fake.seen.lock().unwrap().sockets.len(), 1, "open before connected() returned");
    drop(waiting);

    let fake = Fake::start().await;
    fake.seen.lock().unwrap().refuse = true;
    let conn = fake.connection();
    let waiting = begin(&conn, &call, &fake.options(), &settings(), from("u1", Duration::from_secs(20)));
    let got = waiting.connected(&call, Duration::from_secs(10)).await;
    assert!(matches!(got, Err(Error::AuthFailed(_))), "{got:?}");
}
