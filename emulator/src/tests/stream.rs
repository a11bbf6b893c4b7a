//! Stream mode over the wire: connections/open, tickets, frames, acks, pings, disconnect,
//! drop, and delivery to one connection among several.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{self, Message};

use super::{KEY, SECRET, T, config};
use crate::{EmulatorConfig, EmulatorError, GroupConfig};

pub(super) const OPEN: &str = "/v1.0/gateway/connections/open";
const BOT_TOPIC: &str = "/v1.0/im/bot/messages/get";
/// Long enough never to be reached on a loaded machine: only a hang hits it.
pub(super) const PATIENCE: Duration = Duration::from_secs(20);

pub(super) type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(super) fn open_body(secret: &str) -> Value {
    json!({
        "clientId": KEY,
        "clientSecret": secret,
        "subscriptions": [{"type": "CALLBACK", "topic": BOT_TOPIC}, {"type": "EVENT", "topic": "*"}],
        "ua": "dingtalk-robot-test/1.0",
        "localIp": "",
    })
}

/// `(endpoint, ticket)` from a successful connections/open.
async fn open(t: &T) -> (String, String) {
    let r = t.post(OPEN, None, &open_body(SECRET)).await;
    assert_eq!(r.status, 200, "{r:?}");
    (r.json["endpoint"].as_str().unwrap().to_owned(), r.json["ticket"].as_str().unwrap().to_owned())
}

/// Connects with this ticket: the socket, or the HTTP status of the refusal.
pub(super) async fn connect_with(endpoint: &str, ticket: &str) -> Result<Ws, u16> {
    let url = format!("{endpoint}?ticket={ticket}");
    match tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(url)).await.expect("no hang") {
        Ok((ws, _)) => Ok(ws),
        Err(tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("unexpected: {e}"),
    }
}

/// A fresh connection of the app.
async fn connect(t: &T) -> Ws {
    let (endpoint, ticket) = open(t).await;
    connect_with(&endpoint, &ticket).await.expect("connected")
}

/// The next text frame, parsed.
pub(super) async fn next_frame(ws: &mut Ws) -> Value {
    loop {
        match tokio::time::timeout(PATIENCE, ws.next()).await.expect("a frame in time") {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).expect("JSON frame"),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// `data` of a frame, parsed from its string.
pub(super) fn data(frame: &Value) -> Value {
    serde_json::from_str(frame["data"].as_str().expect("data is a string")).expect("data holds JSON")
}

/// Sends DingTalk's ack of `frame` with this data.
pub(super) async fn ack(ws: &mut Ws, frame: &Value, data: &Value) {
    let ack = json!({
        "code": 200,
        "headers": {"messageId": frame["headers"]["messageId"], "contentType": "application/json"},
        "message": "OK",
        "data": data.to_string(),
    });
    ws.send(Message::text(ack.to_string())).await.expect("ack sent");
}

/// Waits until `cond` holds (polling); fails after [`PATIENCE`].
pub(super) async fn until(what: &str, cond: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < PATIENCE, "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn open_answers_an_endpoint_and_a_ticket_and_checks_credentials() {
    let t = T::start(config());
    let (endpoint, ticket) = open(&t).await;
    assert_eq!(endpoint, format!("ws://127.0.0.1:{}/stream/connect", t.emu.port()));
    assert_eq!(ticket.len(), 32);
    assert_ne!(open(&t).await.1, ticket, "a new ticket each time");

    t.post(OPEN, None, &open_body("wrong")).await.assert_new_error(400, "invalidClientIdOrSecret");
    let mut other = open_body(SECRET);
    other["clientId"] = json!("nobody");
    t.post(OPEN, None, &other).await.assert_new_error(400, "invalidClientIdOrSecret");
    let mut no_subs = open_body(SECRET);
    no_subs.as_object_mut().unwrap().remove("subscriptions");
    t.post(OPEN, None, &no_subs).await.assert_new_error(400, "Missingsubscriptions");
    no_subs["subscriptions"] = json!([{"type": "PUSH", "topic": BOT_TOPIC}]);
    t.post(OPEN, None, &no_subs).await.assert_new_error(400, "invalidParameter");
    t.post(OPEN, None, &json!({"clientId": KEY})).await.assert_new_error(400, "MissingclientSecret");
    assert_eq!(t.emu.stats().stream_open_requests, 7);
    let recs = t.emu.requests();
    assert!(recs.iter().all(|r| !format!("{r:?}").contains(SECRET)), "the secret is never recorded");
    assert_eq!(recs[0].body.as_ref().unwrap()["clientSecret"], "<redacted>");
}

#[tokio::test]
async fn a_ticket_opens_one_connection_and_bad_ones_none() {
    let t = T::start(config());
    let (endpoint, ticket) = open(&t).await;
    // A plain GET is no upgrade, and leaves the ticket unused.
    let plain = t.http.get(format!("{}/stream/connect?ticket={ticket}", t.emu.url())).send().await.unwrap();
    assert_eq!(plain.status().as_u16(), 400);
    let _ws = connect_with(&endpoint, &ticket).await.expect("first use");
    assert_eq!(t.emu.stream_connection_count(KEY), 1, "counted before the client sees the upgrade");
    assert_eq!(connect_with(&endpoint, &ticket).await.err(), Some(403), "used");
    assert_eq!(connect_with(&endpoint, "0123456789abcdef0123456789abcdef").await.err(), Some(401), "unknown");
    assert_eq!(connect_with(&endpoint, "").await.err(), Some(401), "missing");
    assert_eq!(t.emu.stream_connection_count(KEY), 1);
    assert_eq!(t.emu.stats().stream_connections, 1);
}

#[tokio::test]
async fn a_ticket_expires() {
    let t = T::start(EmulatorConfig { stream_ticket_ttl: Duration::from_millis(200), ..config() });
    let (endpoint, ticket) = open(&t).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(connect_with(&endpoint, &ticket).await.err(), Some(403));
    let (endpoint, fresh) = open(&t).await;
    assert!(connect_with(&endpoint, &fresh).await.is_ok(), "a fresh one still works");
}

#[tokio::test]
async fn a_user_message_is_pushed_with_every_field_and_its_ack_recorded() {
    let t = T::start(config());
    let mut ws = connect(&t).await;
    let message_id = t.emu.user_says("u1", "PO-4711 please").unwrap();
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame["specVersion"], "1.0");
    assert_eq!(frame["type"], "CALLBACK");
    let h = &frame["headers"];
    assert_eq!(h["topic"], BOT_TOPIC);
    assert_eq!(h["messageId"], message_id.as_str());
    assert_eq!(h["contentType"], "application/json");
    assert_eq!(h["appId"], KEY);
    assert_eq!(h["connectionId"], t.emu.stream_connections()[0].connection_id.as_str());
    assert!(h["time"].as_str().unwrap().parse::<u64>().is_ok());
    let d = data(&frame);
    assert_eq!((d["msgtype"].as_str(), d["text"]["content"].as_str()), (Some("text"), Some("PO-4711 please")));
    assert_eq!((d["conversationType"].as_str(), d["senderStaffId"].as_str()), (Some("1"), Some("u1")));
    assert_eq!(d["robotCode"], KEY);
    let webhook = d["sessionWebhook"].as_str().unwrap();
    assert!(webhook.starts_with(&format!("{}/robot/sendBySession?session=", t.emu.url())), "{webhook}");
    assert!(d["sessionWebhookExpiredTime"].as_u64().unwrap() > d["createAt"].as_u64().unwrap());

    ack(&mut ws, &frame, &json!({"response": "OK"})).await;
    until("the ack is recorded", || !t.emu.stream_acks().is_empty()).await;
    let acks = t.emu.stream_acks();
    assert_eq!((acks[0].message_id.as_str(), acks[0].code), (message_id.as_str(), 200));
    assert_eq!(acks[0].data, r#"{"response":"OK"}"#);
    assert_eq!(acks[0].app_key, KEY);
    assert_eq!(t.emu.stream_pushed()[0].message_id, message_id);
    assert_eq!(t.emu.stats().stream_pushed, 1);

    // The same user's next message is in the same conversation.
    t.emu.user_says("u1", "again").unwrap();
    assert_eq!(data(&next_frame(&mut ws).await)["conversationId"], d["conversationId"]);
}

#[tokio::test]
async fn a_group_message_ats_the_robot() {
    let t = T::start(EmulatorConfig { groups: vec![GroupConfig::new("cidGroup1==", [KEY])], ..config() });
    let mut ws = connect(&t).await;
    t.emu.user_says_in_group("cidGroup1==", "u2", "@robot PO-1").unwrap();
    let d = data(&next_frame(&mut ws).await);
    assert_eq!((d["conversationType"].as_str(), d["conversationId"].as_str()), (Some("2"), Some("cidGroup1==")));
    assert_eq!(d["isInAtList"], true);
    assert!(matches!(t.emu.user_says_in_group("cidNone==", "u2", "x"), Err(EmulatorError::NoRobotInGroup(_))));
}

#[tokio::test]
async fn without_a_connection_a_message_is_lost_and_recorded() {
    let t = T::start(config());
    let err = t.emu.user_says("u1", "hello?").unwrap_err();
    let EmulatorError::NoStreamConnection { app_key, message_id } = err else { panic!("{err:?}") };
    assert_eq!(app_key, KEY);
    let lost = t.emu.stream_undelivered();
    assert_eq!(lost.len(), 1);
    assert_eq!(
        (lost[0].message_id.as_str(), lost[0].data["text"]["content"].as_str()),
        (message_id.as_str(), Some("hello?"))
    );
    assert!(matches!(t.emu.user_says("ghost", "x"), Err(EmulatorError::UnknownUser(_))));
    assert_eq!(t.emu.stream_undelivered().len(), 1, "a refused call loses nothing");
}

#[tokio::test]
async fn a_ping_is_answered_by_echoing_its_data() {
    let t = T::start(config());
    let mut ws = connect(&t).await;
    assert_eq!(t.emu.stream_ping(), 1);
    let ping = next_frame(&mut ws).await;
    assert_eq!((ping["type"].as_str(), ping["headers"]["topic"].as_str()), (Some("SYSTEM"), Some("ping")));
    let opaque = data(&ping);
    assert!(opaque["opaque"].as_str().is_some_and(|o| !o.is_empty()));
    // A wrong echo is recorded as an ack but answers nothing.
    ack(&mut ws, &ping, &json!({"opaque": "not it"})).await;
    until("the wrong echo is recorded", || t.emu.stream_acks().len() == 1).await;
    assert_eq!(t.emu.stats().stream_pings_answered, 0);
    ack(&mut ws, &ping, &opaque).await;
    until("the echo is counted", || t.emu.stats().stream_pings_answered == 1).await;
}

#[tokio::test]
async fn disconnect_is_said_then_the_socket_closes_after_the_grace() {
    let t = T::start(EmulatorConfig { stream_disconnect_grace: Duration::from_millis(500), ..config() });
    let mut ws = connect(&t).await;
    assert_eq!(t.emu.stream_disconnect(), 1);
    let frame = next_frame(&mut ws).await;
    assert_eq!((frame["type"].as_str(), frame["headers"]["topic"].as_str()), (Some("SYSTEM"), Some("disconnect")));
    assert!(data(&frame)["reason"].is_string());
    assert!(t.emu.stream_connections()[0].draining);
    // Still open during the grace: a message still arrives (no other connection is open).
    t.emu.user_says("u1", "still there").unwrap();
    assert_eq!(data(&next_frame(&mut ws).await)["text"]["content"], "still there");
    match tokio::time::timeout(PATIENCE, ws.next()).await.expect("closed in time") {
        Some(Ok(Message::Close(Some(close)))) => assert_eq!(u16::from(close.code), 1000),
        other => panic!("expected a close frame, got {other:?}"),
    }
    until("the connection is gone", || t.emu.stream_connection_count(KEY) == 0).await;
}

#[tokio::test]
async fn drop_closes_every_socket_without_a_frame() {
    let t = T::start(config());
    let (mut a, mut b) = (connect(&t).await, connect(&t).await);
    assert_eq!(t.emu.stream_connection_count(KEY), 2);
    assert_eq!(t.emu.drop_stream_connections(), 2);
    assert_eq!(t.emu.stream_connection_count(KEY), 0, "gone at once");
    for ws in [&mut a, &mut b] {
        match tokio::time::timeout(PATIENCE, ws.next()).await.expect("ended in time") {
            None | Some(Err(_)) => {}
            other => panic!("expected the socket to end without a frame, got {other:?}"),
        }
    }
    assert!(t.emu.user_says("u1", "x").is_err(), "nothing left to deliver to");
}

#[tokio::test]
async fn each_message_reaches_exactly_one_of_two_connections_at_random() {
    let t = T::start(config());
    let (mut a, mut b) = (connect(&t).await, connect(&t).await);
    let ids: Vec<String> = (0..40).map(|i| t.emu.user_says("u1", &format!("m{i}")).unwrap()).collect();
    let (id_a, id_b) = {
        let c = t.emu.stream_connections();
        (c[0].connection_id.clone(), c[1].connection_id.clone())
    };
    let pushed = t.emu.stream_pushed();
    let to_a = pushed.iter().filter(|p| p.connection_id == id_a).count();
    let to_b = pushed.iter().filter(|p| p.connection_id == id_b).count();
    assert_eq!(to_a + to_b, 40);
    // Each side gets 0 only once in 2^39 runs.
    assert!(to_a > 0 && to_b > 0, "random among both: {to_a} and {to_b}");
    let mut got = Vec::new();
    for (ws, n) in [(&mut a, to_a), (&mut b, to_b)] {
        for _ in 0..n {
            got.push(next_frame(ws).await["headers"]["messageId"].as_str().unwrap().to_owned());
        }
    }
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want, "every message exactly once");
    // And nothing more on either.
    t.emu.stream_ping();
    for ws in [&mut a, &mut b] {
        assert_eq!(next_frame(ws).await["headers"]["topic"], "ping");
    }
}

#[tokio::test]
async fn the_admin_routes_steer_the_stream() {
    let t = T::start(config());
    let lost = t.post("/_emulator/stream/user-says", None, &json!({"userId": "u1", "text": "hi"})).await;
    assert_eq!(lost.status, 409, "{lost:?}");
    assert_eq!(
        t.post("/_emulator/stream/user-says", None, &json!({"userId": "ghost", "text": "hi"})).await.status,
        400
    );
    let mut ws = connect(&t).await;
    let said = t.post("/_emulator/stream/user-says", None, &json!({"userId": "u1", "text": "hi", "appKey": KEY})).await;
    assert_eq!(said.status, 200, "{said:?}");
    assert_eq!(next_frame(&mut ws).await["headers"]["messageId"], said.json["messageId"]);
    let conns = t.get("/_emulator/stream/connections", None).await;
    assert_eq!(conns.json[0]["appKey"], KEY);
    assert_eq!(conns.json[0]["subscriptions"][0]["topic"], BOT_TOPIC);
    assert_eq!(t.get("/_emulator/stream/pushed", None).await.json.as_array().map(Vec::len), Some(1));
    assert_eq!(t.get("/_emulator/stream/undelivered", None).await.json.as_array().map(Vec::len), Some(1));
    assert_eq!(t.post("/_emulator/stream/ping", None, &json!({})).await.json["connections"], 1);
    let ping = next_frame(&mut ws).await;
    ack(&mut ws, &ping, &data(&ping)).await;
    until("the ack is listed", || t.emu.stream_acks().len() == 1).await;
    assert_eq!(t.get("/_emulator/stream/acks", None).await.json[0]["messageId"], ping["headers"]["messageId"]);
    let told = t.post("/_emulator/stream/disconnect", None, &json!({"closeAfterMs": 100})).await;
    assert_eq!(told.json["connections"], 1);
    assert_eq!(next_frame(&mut ws).await["headers"]["topic"], "disconnect");
    until("closed after 100 ms", || t.emu.stream_connection_count(KEY) == 0).await;
    let _again = connect(&t).await;
    assert_eq!(t.post("/_emulator/stream/drop", None, &json!({})).await.json["connections"], 1);
}

#[tokio::test]
async fn websocket_pings_are_ponged_and_frames_that_are_no_ack_ignored() {
    let t = T::start(config());
    let mut ws = connect(&t).await;
    ws.send(Message::Ping(b"alive?".to_vec().into())).await.unwrap();
    match tokio::time::timeout(PATIENCE, ws.next()).await.expect("a pong in time") {
        Some(Ok(Message::Pong(p))) => assert_eq!(&p[..], b"alive?"),
        other => panic!("expected a pong, got {other:?}"),
    }
    ws.send(Message::text("not JSON")).await.unwrap();
    ws.send(Message::text(r#"{"code":200}"#)).await.unwrap();
    // Still open and served: a ping goes out and its answer is the first ack recorded.
    t.emu.stream_ping();
    let ping = next_frame(&mut ws).await;
    ack(&mut ws, &ping, &data(&ping)).await;
    until("the echo is counted", || t.emu.stats().stream_pings_answered == 1).await;
    assert_eq!(t.emu.stream_acks().len(), 1, "only the ack is recorded");
}

#[tokio::test]
async fn a_client_frame_over_a_megabyte_ends_the_connection() {
    let t = T::start(config());
    let mut ws = connect(&t).await;
    let _ = ws.send(Message::text("x".repeat(2 * 1024 * 1024))).await;
    until("the connection is gone", || t.emu.stream_connection_count(KEY) == 0).await;
}

#[tokio::test]
async fn open_can_be_faulted_and_throttled_like_any_endpoint() {
    use crate::{Endpoint, Fault, FaultRule};
    let t = T::start(config());
    t.emu.inject(FaultRule::next(Endpoint::StreamOpen, Fault::Http500, 1));
    t.emu.inject(FaultRule::next(Endpoint::Token, Fault::Throttle, 1));
    t.emu.inject_after(1, FaultRule::next(Endpoint::StreamOpen, Fault::Throttle, 1));
    t.post(OPEN, None, &open_body(SECRET)).await.assert_new_error(500, "ServiceUnavailable");
    let r = t.post(OPEN, None, &open_body(SECRET)).await;
    assert_eq!(r.status, 200, "other endpoints' faults leave it alone: {r:?}");
    t.post(OPEN, None, &open_body(SECRET)).await.assert_new_error(403, crate::reply::QPS_LIMIT_CODE);
    assert_eq!(t.emu.stats().throttled, 1);
}
