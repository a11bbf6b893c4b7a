//! Custom (webhook) robots end to end, through the plugin's entry point against the emulator:
//! each template's exact wire format and its signature (checked here by an independent HMAC
//! computation), mentions written into the body, 45 messages in a row delivered over more
//! than two (shortened) minutes without a ban, and one budget per robot however its URL is
//! spelled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use dingtalk_emulator::{EmulatorConfig, Endpoint, RecordedRequest, WebhookConfig};
use dingtalk_robot::names::{connect_webhook, send_webhook as wh};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::{
    TestHost, WEBHOOK_GROUP, WEBHOOK_SECRET, WEBHOOK_TOKEN, connect_webhook, invoke, org_config, webhook_org,
};

/// The minute of the budget in this file's tests (the emulator's window matches it), so
/// that minutes of sending take seconds. Every test sets the same value before connecting.
const MINUTE: Duration = Duration::from_millis(1500);

fn short_minute() {
    connect_webhook::set_minute_for_tests(MINUTE);
}

/// `sign` as DingTalk's Python sample makes it: Base64 of HmacSHA256, then `quote_plus`.
fn expected_sign(timestamp: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{timestamp}\n{WEBHOOK_SECRET}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    b64.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

fn robot_sends(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests.iter().filter(|r| r.endpoint == Some(Endpoint::RobotSend)).collect()
}

/// The raw value of `key` in a query string (not decoded).
fn raw_param<'a>(query: &'a str, key: &str) -> &'a str {
    query.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}="))).unwrap_or_default()
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

#[test]
fn each_template_goes_out_as_dingtalk_spells_it_signed_per_call() {
    short_minute();
    let emu = webhook_org(|r| r);
    let host = TestHost::default();
    let robot = connect_webhook(&host, &emu, json!({}));
    let buttons2 = json!([{"title": "Approve", "url": "https://example.com/ok"}, {"title": "Reject", "url": "https://example.com/no"}]);
    let cases: Vec<(Value, Value)> = vec![
        (
            json!({ wh::MSG_TYPE: "text", wh::CONTENT: "Disk 91% full" }),
            json!({"msgtype": "text", "text": {"content": "Disk 91% full"},
                   "at": {"atMobiles": [], "atUserIds": [], "isAtAll": false}}),
        ),
        (
            json!({ wh::MSG_TYPE: "markdown", wh::CONTENT: "## Nightly build\n- 412 tests passed", wh::TITLE: "Build" }),
            json!({"msgtype": "markdown", "markdown": {"title": "Build", "text": "## Nightly build\n- 412 tests passed"},
                   "at": {"atMobiles": [], "atUserIds": [], "isAtAll": false}}),
        ),
        (
            json!({ wh::MSG_TYPE: "link", wh::CONTENT: "Revenue up 12%", wh::TITLE: "Q3",
                    wh::LINK_URL: "https://example.com/q3", wh::PIC_URL: "https://example.com/q3.png" }),
            json!({"msgtype": "link", "link": {"title": "Q3", "text": "Revenue up 12%",
                   "messageUrl": "https://example.com/q3", "picUrl": "https://example.com/q3.png"}}),
        ),
        (
            json!({ wh::MSG_TYPE: "actionCard", wh::CONTENT: "# PO 4711\nApprove?", wh::BUTTONS: [{"title": "Open", "url": "https://example.com/po"}] }),
            json!({"msgtype": "actionCard", "actionCard": {"title": "PO 4711", "text": "# PO 4711\nApprove?", "btnOrientation": "0",
                   "singleTitle": "Open", "singleURL": "https://example.com/po"},
                   "at": {"atMobiles": [], "atUserIds": [], "isAtAll": false}}),
        ),
        (
            json!({ wh::MSG_TYPE: "actionCard", wh::CONTENT: "Approve?", wh::TITLE: "PO", wh::BUTTONS: buttons2, wh::BUTTON_LAYOUT: "horizontal" }),
            json!({"msgtype": "actionCard", "actionCard": {"title": "PO", "text": "Approve?", "btnOrientation": "1",
                   "btns": [{"title": "Approve", "actionURL": "https://example.com/ok"}, {"title": "Reject", "actionURL": "https://example.com/no"}]},
                   "at": {"atMobiles": [], "atUserIds": [], "isAtAll": false}}),
        ),
        (
            json!({ wh::MSG_TYPE: "feedCard", wh::FEED_LINKS: r#"[{"title": "Q3", "url": "https://example.com/q3", "picUrl": "https://example.com/q3.png"},
                                                                  {"title": "Q4", "url": "dingtalk://dingtalkclient/page/link?url=x", "picUrl": "https://example.com/q4.png"}]"# }),
            json!({"msgtype": "feedCard", "feedCard": {"links": [
                {"title": "Q3", "messageURL": "https://example.com/q3", "picURL": "https://example.com/q3.png"},
                {"title": "Q4", "messageURL": "dingtalk://dingtalkclient/page/link?url=x", "picURL": "https://example.com/q4.png"}]}}),
        ),
    ];
    let started = now_ms();
    for (params, _) in &cases {
        let mut params = params.clone();
        params[wh::ROBOT] = robot.clone();
        let out = invoke(&host, wh::ID, &params).unwrap_or_else(|e| panic!("{params}: {e:?}"));
        assert_eq!(out, json!({}));
    }
    let got = emu.group_messages();
    assert_eq!(got.len(), cases.len());
    for ((_, want), got) in cases.iter().zip(&got) {
        assert_eq!(&got.body, want);
        assert_eq!(got.group, WEBHOOK_GROUP);
    }
    // Each request: the token, then a timestamp of this machine's clock at send time and its
    // own signature, URL-encoded once, in the query; JSON in the body.
    let requests = emu.requests();
    let sends = robot_sends(&requests);
    assert_eq!(sends.len(), cases.len());
    let mut signs = Vec::new();
    for r in &sends {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/robot/send");
        assert!(
            r.query.starts_with(&format!("access_token={}&timestamp=", support::webhook_token(&emu))),
            "{}",
            r.query
        );
        assert!(r.content_type.as_deref().unwrap_or_default().starts_with("application/json"));
        let ts = raw_param(&r.query, "timestamp");
        let ts_ms: i64 = ts.parse().unwrap();
        assert!(ts_ms >= started - 5 && ts_ms <= now_ms() + 5, "{ts_ms} not at send time");
        assert_eq!(raw_param(&r.query, "sign"), expected_sign(ts), "{}", r.query);
        signs.push(raw_param(&r.query, "sign").to_string());
    }
    signs.dedup();
    assert!(signs.len() > 1, "each call is signed anew");
    assert!(!host.text().contains(WEBHOOK_TOKEN) && !host.text().contains(WEBHOOK_SECRET));
}

#[test]
fn a_robot_without_a_secret_sends_unsigned_and_a_bare_token_reaches_dingtalks_host() {
    short_minute();
    let emu = dingtalk_emulator::Emulator::start(EmulatorConfig {
        webhooks: vec![WebhookConfig::new("plaintoken01", "sales").with_keywords(["日报"])],
        ..org_config()
    })
    .unwrap();
    let host = TestHost::default();
    let url = format!("{}/robot/send?access_token=plaintoken01&source=rpa", emu.url());
    let out = invoke(
        &host,
        connect_webhook::ID,
        &json!({ connect_webhook::WEBHOOK_URL: url, connect_webhook::KEYWORDS: "日报" }),
    );
    let robot = out.unwrap()[connect_webhook::ROBOT].clone();
    assert_eq!(robot["type"], "dingtalk.webhook_robot");
    let params = json!({ wh::ROBOT: robot, wh::MSG_TYPE: "text", wh::CONTENT: "销售日报：12 单" });
    invoke(&host, wh::ID, &params).unwrap();
    let requests = emu.requests();
    assert_eq!(robot_sends(&requests)[0].query, "access_token=plaintoken01&source=rpa");
    assert_eq!(emu.group_messages()[0].group, "sales");
    // Just the token: DingTalk's own webhook, nothing sent at connect.
    let out = invoke(&host, connect_webhook::ID, &json!({ connect_webhook::WEBHOOK_URL: "  plaintoken01 " })).unwrap();
    assert!(out[connect_webhook::ROBOT]["id"].as_str().unwrap().starts_with("webhook-"));
    assert!(host.text().contains("spaces around it"), "{}", host.text());
    assert!(host.text().contains("https://oapi.dingtalk.com/robot/send"), "{}", host.text());
}

#[test]
fn mentions_are_written_into_the_body_and_the_at_object() {
    short_minute();
    let emu = webhook_org(|r| r);
    let host = TestHost::default();
    let robot = connect_webhook(&host, &emu, json!({}));
    let send = |params: Value| {
        let mut params = params;
        params[wh::ROBOT] = robot.clone();
        invoke(&host, wh::ID, &params).unwrap_or_else(|e| panic!("{e:?}"));
    };
    send(json!({ wh::MSG_TYPE: "text", wh::CONTENT: "Server down", wh::AT_MOBILES: "+86 138-0013-8000",
                 wh::AT_USER_IDS: ["manager01", "staff02"], wh::IS_AT_ALL: true }));
    send(
        json!({ wh::MSG_TYPE: "markdown", wh::CONTENT: "### Incident\n@manager01 please look", wh::AT_USER_IDS: "manager01, staff03" }),
    );
    send(json!({ wh::MSG_TYPE: "actionCard", wh::CONTENT: "Sign off", wh::AT_USER_IDS: ["manager01"],
                 wh::BUTTONS: [{"title": "Open", "url": "https://example.com"}] }));
    let got = emu.group_messages();
    assert_eq!(got[0].body["text"]["content"], "Server down @13800138000 @manager01 @staff02 @所有人");
    assert_eq!(
        got[0].body["at"],
        json!({"atMobiles": ["13800138000"], "atUserIds": ["manager01", "staff02"], "isAtAll": true})
    );
    assert_eq!(got[1].body["markdown"]["text"], "### Incident\n@manager01 please look\n\n@staff03");
    assert_eq!(got[1].body["at"]["atUserIds"], json!(["manager01", "staff03"]));
    assert_eq!(got[2].body["actionCard"]["text"], "Sign off\n\n@manager01");
}

#[test]
fn forty_five_messages_in_a_row_arrive_over_two_minutes_without_a_ban() {
    short_minute();
    let emu = budget_org("budgettoken45");
    let host = TestHost::default();
    let robot = connect_url(&host, &format!("{}/robot/send?access_token=budgettoken45", emu.url()));
    let started = Instant::now();
    for i in 1..=45 {
        let params = json!({ wh::ROBOT: robot, wh::MSG_TYPE: "text", wh::CONTENT: format!("message {i}") });
        invoke(&host, wh::ID, &params).unwrap_or_else(|e| panic!("message {i}: {e:?}"));
    }
    let elapsed = started.elapsed();
    let stats = emu.stats();
    assert_eq!((stats.webhook_messages, stats.webhook_bans, stats.throttled), (45, 0, 0), "{stats:?}");
    let got = emu.group_messages();
    let order: Vec<String> = got.iter().map(|m| m.body["text"]["content"].as_str().unwrap().to_string()).collect();
    assert_eq!(order, (1..=45).map(|i| format!("message {i}")).collect::<Vec<_>>());
    // 20, 20 and 5: the third batch waited for the second minute to pass.
    assert!(elapsed >= MINUTE * 2, "{elapsed:?}");
    assert!(elapsed < MINUTE * 5, "{elapsed:?}");
    assert!(host.text().contains("waiting"), "the wait is logged");
}

/// An org whose group has a robot with its own `token` (so that no other test of this file
/// shares its budget), a minute of [`MINUTE`] and DingTalk's 10-minute ban: a ban would end
/// the test.
fn budget_org(token: &str) -> dingtalk_emulator::Emulator {
    let hook = WebhookConfig::new(token, WEBHOOK_GROUP).with_secret(WEBHOOK_SECRET);
    dingtalk_emulator::Emulator::start(EmulatorConfig {
        webhooks: vec![hook],
        webhook_window: MINUTE,
        webhook_ban: Duration::from_secs(600),
        ..org_config()
    })
    .unwrap()
}

/// Connects the custom robot at `url` with the signing secret; returns its handle.
fn connect_url(host: &TestHost, url: &str) -> Value {
    let params = json!({ connect_webhook::WEBHOOK_URL: url, connect_webhook::SECRET: WEBHOOK_SECRET });
    invoke(host, connect_webhook::ID, &params).unwrap()[connect_webhook::ROBOT].clone()
}

#[test]
fn one_robot_has_one_budget_however_its_url_is_spelled() {
    short_minute();
    let emu = budget_org("budgettokenspelled");
    let host = TestHost::default();
    let spellings = [
        format!("http://127.0.0.1:{}/robot/send?access_token=budgettokenspelled", emu.port()),
        format!("http://localhost:{}/robot/send?access_token=budgettokenspelled", emu.port()),
    ];
    let robots: Vec<Value> = spellings.iter().map(|url| connect_url(&host, url)).collect();
    assert_ne!(robots[0], robots[1], "two connections, two robot objects");
    let started = Instant::now();
    for i in 1..=25 {
        let robot = &robots[i % robots.len()];
        let params = json!({ wh::ROBOT: robot, wh::MSG_TYPE: "text", wh::CONTENT: format!("message {i}") });
        invoke(&host, wh::ID, &params).unwrap_or_else(|e| panic!("message {i}: {e:?}"));
    }
    let stats = emu.stats();
    // Split budgets would let all 25 through at once and draw the ban at the 21st.
    assert_eq!((stats.webhook_messages, stats.webhook_bans, stats.throttled), (25, 0, 0), "{stats:?}");
    assert!(started.elapsed() >= MINUTE, "the 21st waited for the minute: {:?}", started.elapsed());
}
