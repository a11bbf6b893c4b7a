//! "Ask and wait for an answer" end to end: the plugin's entry point against the emulator. A
//! flow asks, the question goes out with its choices, a person answers in the emulator (by
//! saying a label, as a choice link makes their client do), and the step outputs the label.
//! Other text gets one reminder per 30 s; two asks to one person split the answers by their
//! choices; a Stop ends an ask; bad input sends nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use dingtalk_emulator::{DeliveredMessage, Emulator};
use dingtalk_robot::names::{ask as a, wait_for_reply as w};
use serde_json::{Value, json};
use support::*;

/// Whether the plugin speaks Chinese to a host that names no language (the system's).
fn in_chinese() -> bool {
    rpa_plugin_abi::lang::system() == "zh-CN"
}

fn leaked_host() -> &'static TestHost {
    Box::leak(Box::default())
}

/// Runs `params` through `action` on a thread of its own.
fn in_background(
    host: &'static TestHost,
    action: &'static str,
    params: Value,
) -> std::thread::JoinHandle<Result<Value, String>> {
    std::thread::spawn(move || invoke(host, action, &params).map_err(|e| format!("{} {}", e.code, e.message)))
}

/// Waits until `check` holds (20 s at most: the machine may be loaded).
fn until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The messages delivered to `user` with template `msg_key`.
fn delivered(emu: &Emulator, user: &str, msg_key: &str) -> Vec<DeliveredMessage> {
    emu.delivered().into_iter().filter(|m| m.msg_key == msg_key && m.user_ids.iter().any(|u| u == user)).collect()
}

/// The reminders that reached `user`'s chat: (through a sessionWebhook, by batchSend), each its text.
fn reminders_by_way(emu: &Emulator, user: &str) -> (Vec<String>, Vec<String>) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let by_session =
        emu.session_messages().iter().filter(|m| m.user_id == user).map(|m| text(&m.body["text"]["content"])).collect();
    let by_send = delivered(emu, user, "sampleText").iter().map(|m| text(&m.msg_param["content"])).collect();
    (by_session, by_send)
}

/// How many reminders reached `user`'s chat, either way.
fn reminders(emu: &Emulator, user: &str) -> usize {
    let (by_session, by_send) = reminders_by_way(emu, user);
    by_session.len() + by_send.len()
}

/// Starts an ask and returns once its question was delivered (so its Stream connection is open).
fn ask(
    emu: &Emulator,
    host: &'static TestHost,
    robot: &Value,
    user: &str,
    choices: Value,
    extra: Value,
) -> std::thread::JoinHandle<Result<Value, String>> {
    let asked_before = delivered(emu, user, "sampleMarkdown").len();
    let mut params = json!({ a::ROBOT: robot, a::USER_ID: user, a::QUESTION: "Approve order **PO-1024**?",
                             a::CHOICES: choices, a::TIMEOUT_SECONDS: 30 });
    params.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    let asking = in_background(host, a::ID, params);
    until("the question is delivered", || delivered(emu, user, "sampleMarkdown").len() > asked_before);
    asking
}

#[test]
fn a_choice_said_back_answers_with_the_label_as_written() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let asking = ask(&emu, host, &robot, "staff02", json!("同意, 拒绝"), json!({ a::TITLE: "订单审批" }));
    let question = delivered(&emu, "staff02", "sampleMarkdown").pop().unwrap();
    assert_eq!(question.msg_param["title"], "订单审批");
    let text = question.msg_param["text"].as_str().unwrap();
    assert!(text.starts_with("Approve order **PO-1024**?"), "{text}");
    assert!(text.contains("[同意](dtmd://dingtalkclient/sendMessage?content=%E5%90%8C%E6%84%8F)"), "{text}");
    assert!(text.contains("[拒绝](dtmd://dingtalkclient/sendMessage?content=%E6%8B%92%E7%BB%9D)"), "{text}");
    // Someone else's "同意" is not staff02's answer.
    emu.user_says("manager01", "同意").unwrap();
    emu.user_says("staff02", "\u{3000}同意 ").unwrap();
    let out = asking.join().unwrap().unwrap();
    assert_eq!((out[a::ANSWERED].clone(), out[a::ANSWER].clone()), (json!(true), json!("同意")), "{out}");
    assert_eq!(out[a::ANSWERED_BY], "staff02");
    assert_eq!(out[a::REPLY_TEXT], "");
    assert_eq!(out[a::PROCESS_QUERY_KEY], question.process_query_key.as_str());
    assert_eq!(out[a::OUT_TRACK_ID], "");
    assert!(out[a::ANSWERED_AT].as_str().is_some_and(|t| t.contains('T') && t.ends_with("+00:00")), "{out}");
    assert_eq!(reminders(&emu, "staff02"), 0, "a choice gets no reminder");
    assert_no_secrets(&emu, &[&out.to_string(), &host.text()]);
}

#[test]
fn full_width_and_case_match_and_an_answer_right_after_the_question_is_not_missed() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    // The answer comes the moment the question is delivered, before the ask has looked at
    // anything the Stream connection received: it was listening before it asked.
    let asking = ask(&emu, host, &robot, "staff03", json!(["Approve", "Reject"]), json!({}));
    emu.user_says("staff03", "ＲＥＪＥＣＴ").unwrap();
    let out = asking.join().unwrap().unwrap();
    assert_eq!(out[a::ANSWER], "Reject", "{out}");
}

#[test]
fn other_text_gets_one_reminder_per_30_s_and_the_wait_goes_on() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let asking = ask(&emu, host, &robot, "staff02", json!(["同意", "拒绝"]), json!({}));
    emu.user_says("staff02", "稍等，我看一下").unwrap();
    until("a reminder", || reminders(&emu, "staff02") == 1);
    emu.user_says("staff02", "还在看").unwrap();
    emu.user_says("staff02", "马上").unwrap();
    // Both read and handed to the ask (acknowledged after that), and given time to remind.
    until("both acknowledged", || emu.stream_acks().len() >= emu.stream_pushed().len());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(reminders(&emu, "staff02"), 1, "at most one reminder every 30 s");
    emu.user_says("staff02", "拒绝").unwrap();
    let out = asking.join().unwrap().unwrap();
    assert_eq!(out[a::ANSWER], "拒绝", "{out}");
    assert_eq!(reminders(&emu, "staff02"), 1);
    // Through the sessionWebhook of the message it answers, in the host's language (this host
    // names none: the system's).
    let (by_session, _) = reminders_by_way(&emu, "staff02");
    let reminder = if in_chinese() {
        "请回复以下选项之一：同意 / 拒绝"
    } else {
        "Please reply with one of: 同意 / 拒绝"
    };
    assert_eq!(by_session, [reminder]);
}

#[test]
fn a_reminder_goes_by_batch_send_once_the_session_webhook_is_no_longer_valid() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    // A sessionWebhook about to expire is not used.
    emu.set_session_webhook_ttl(Duration::from_secs(2));
    let asking = ask(&emu, host, &robot, "staff02", json!(["同意", "拒绝"]), json!({}));
    emu.user_says("staff02", "什么订单？").unwrap();
    until("a reminder", || reminders(&emu, "staff02") == 1);
    assert_eq!(reminders_by_way(&emu, "staff02").1.len(), 1, "by batchSend");
    emu.user_says("staff02", "同意").unwrap();
    assert_eq!(asking.join().unwrap().unwrap()[a::ANSWER], "同意");
    // One DingTalk refuses (expired early) is sent by batchSend instead.
    emu.set_session_webhook_ttl(Duration::from_secs(3600));
    let asking = ask(&emu, host, &robot, "staff03", json!(["同意", "拒绝"]), json!({}));
    emu.user_says("staff03", "什么订单？").unwrap();
    emu.expire_session_webhooks();
    until("a reminder", || reminders(&emu, "staff03") == 1);
    assert_eq!(reminders_by_way(&emu, "staff03").1.len(), 1, "by batchSend after the refusal");
    emu.user_says("staff03", "拒绝").unwrap();
    assert_eq!(asking.join().unwrap().unwrap()[a::ANSWER], "拒绝");
}

#[test]
fn with_other_text_allowed_the_text_ends_the_wait_as_reply_text() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let asking = ask(&emu, host, &robot, "staff02", json!(["同意", "拒绝"]), json!({ a::ALLOW_OTHER_TEXT: true }));
    emu.user_says("staff02", "明天再说").unwrap();
    let out = asking.join().unwrap().unwrap();
    assert_eq!((out[a::ANSWERED].clone(), out[a::ANSWER].clone()), (json!(true), json!("")), "{out}");
    assert_eq!(out[a::REPLY_TEXT], "明天再说");
    assert_eq!(reminders(&emu, "staff02"), 0);
}

#[test]
fn two_asks_to_one_person_each_take_their_own_choices_the_oldest_first() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let older = ask(&emu, host, &robot, "staff02", json!(["yes", "no"]), json!({}));
    let newer = ask(&emu, host, &robot, "staff02", json!(["no", "later"]), json!({}));
    // Only the newer ask has "later"; both have "no", which goes to the older.
    emu.user_says("staff02", "later").unwrap();
    let out = newer.join().unwrap().unwrap();
    assert_eq!(out[a::ANSWER], "later", "{out}");
    emu.user_says("staff02", "No").unwrap();
    let out = older.join().unwrap().unwrap();
    assert_eq!(out[a::ANSWER], "no", "{out}");
}

#[test]
fn text_no_ask_takes_is_left_to_another_wait_of_the_flow() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let asking = ask(&emu, host, &robot, "staff02", json!(["同意", "拒绝"]), json!({}));
    let waiting = in_background(host, w::ID, json!({ w::ROBOT: robot, w::USER_ID: "staff02", w::TIMEOUT_SECONDS: 30 }));
    // The wait began after the ask; give it time to queue.
    std::thread::sleep(Duration::from_millis(300));
    emu.user_says("staff02", "PO-1024 的附件在哪？").unwrap();
    let out = waiting.join().unwrap().unwrap();
    assert_eq!(out[w::REPLY_TEXT], "PO-1024 的附件在哪？", "{out}");
    emu.user_says("staff02", "同意").unwrap();
    assert_eq!(asking.join().unwrap().unwrap()[a::ANSWER], "同意");
    assert_eq!(reminders(&emu, "staff02"), 0, "text another wait took gets no reminder");
}

#[test]
fn an_ask_ends_at_its_timeout_as_an_output_or_as_reply_timeout() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let params =
        json!({ a::ROBOT: robot, a::USER_ID: "staff03", a::QUESTION: "Q", a::CHOICES: "a, b", a::TIMEOUT_SECONDS: 1 });
    let out = invoke(host, a::ID, &params).unwrap();
    assert_eq!((out[a::ANSWERED].clone(), out[a::ANSWER].clone()), (json!(false), json!("")), "{out}");
    assert!(out[a::PROCESS_QUERY_KEY].as_str().is_some_and(|k| !k.is_empty()), "the question went out: {out}");
    let mut params = params;
    params[a::ON_TIMEOUT] = json!("error");
    let err = invoke(host, a::ID, &params).unwrap_err();
    assert_eq!(err.code, "REPLY_TIMEOUT", "{err:?}");
}

#[test]
fn a_stop_ends_an_ask_promptly() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let asking = ask(&emu, host, &robot, "staff02", json!(["同意", "拒绝"]), json!({ a::TIMEOUT_SECONDS: 600 }));
    let stopped = Instant::now();
    host.cancelled.store(true, Ordering::Release);
    let err = asking.join().unwrap().unwrap_err();
    let took = stopped.elapsed();
    assert!(err.starts_with("CANCELLED"), "{err}");
    eprintln!("an ask ended {:.1} ms after the Stop", took.as_secs_f64() * 1000.0);
    // The bound is 100 ms; a loaded 2-core machine gets room.
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn bad_input_is_refused_on_its_field_and_sends_nothing() {
    let emu = org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let eleven: Vec<String> = (1..=11).map(|i| format!("choice {i}")).collect();
    for (choices, field, question) in [
        (json!(["only"]), a::CHOICES, "Q"),
        (json!(eleven), a::CHOICES, "Q"),
        (json!(["Yes", "ｙｅｓ"]), a::CHOICES, "Q"),
        (json!(["ok", "x".repeat(21)]), a::CHOICES, "Q"),
        (json!(["ok", "no"]), a::QUESTION, "  "),
    ] {
        let params = json!({ a::ROBOT: robot, a::USER_ID: "staff02", a::QUESTION: question, a::CHOICES: choices });
        let err = invoke(host, a::ID, &params).unwrap_err();
        assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some(field)), "{params}: {err:?}");
        assert!(err.zh_cn.is_some() && err.hint.is_some(), "{err:?}");
    }
    let group = json!({ a::ROBOT: robot, a::OPEN_CONVERSATION_ID: "cidGroup1", a::QUESTION: "Q", a::CHOICES: "a, b" });
    let err = invoke(host, a::ID, &group).unwrap_err();
    assert_eq!(err.field.as_deref(), Some(a::OPEN_CONVERSATION_ID), "{err:?}");
    // A mobile number no employee has: refused on mobile, before any card is made.
    let nobody = json!({ a::ROBOT: robot, a::MOBILE: "13900000000", a::QUESTION: "Q", a::CHOICES: "a, b",
                         a::CARD_TEMPLATE_ID: "tpl-approve" });
    let err = invoke(host, a::ID, &nobody).unwrap_err();
    assert_eq!((err.code.as_str(), err.field.as_deref()), ("INVALID_INPUT", Some(a::MOBILE)), "{err:?}");
    assert!(emu.delivered().is_empty(), "nothing was sent");
    assert!(!emu.requests().iter().any(|r| r.path.contains("/card/")), "no card was made");
    assert_eq!(emu.stream_connection_count(APP_KEY), 0, "bad input opens no connection");
}

/// The card template the card tests' org knows.
const TEMPLATE: &str = "tpl-approve.schema";
/// A group with the robot in it.
const GROUP: &str = "cidApprovers01==";

/// The standard org, which also knows [`TEMPLATE`] and has [`GROUP`].
fn card_org() -> Emulator {
    Emulator::start(dingtalk_emulator::EmulatorConfig {
        card_templates: vec![TEMPLATE.to_string()],
        groups: vec![dingtalk_emulator::GroupConfig::new(GROUP, [APP_KEY])],
        ..org_config()
    })
    .expect("emulator starts")
}

/// Starts an ask with a card and returns once the card was delivered, with its outTrackId.
fn ask_with_card(
    emu: &Emulator,
    host: &'static TestHost,
    robot: &Value,
    whom: Value,
    extra: Value,
) -> (std::thread::JoinHandle<Result<Value, String>>, String) {
    let before = emu.cards().len();
    let mut params = json!({ a::ROBOT: robot, a::QUESTION: "Approve order **PO-1024**?", a::CHOICES: ["同意", "拒绝"],
                             a::TIMEOUT_SECONDS: 30, a::CARD_TEMPLATE_ID: TEMPLATE });
    let object = params.as_object_mut().unwrap();
    object.extend(whom.as_object().cloned().unwrap_or_default());
    object.extend(extra.as_object().cloned().unwrap_or_default());
    let asking = in_background(host, a::ID, params);
    until("the card is delivered", || emu.cards().len() > before);
    let track = emu.cards().last().unwrap().out_track_id.clone();
    (asking, track)
}

#[test]
fn a_card_click_answers_and_its_ack_closes_the_buttons() {
    let emu = card_org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let (asking, track) =
        ask_with_card(&emu, host, &robot, json!({ a::USER_ID: "staff02" }), json!({ a::TITLE: "订单审批" }));
    // The emulator accepted createAndDeliver as sent (it checks every field), and recorded it.
    let create = emu.requests().into_iter().find(|r| r.path == "/v1.0/card/instances/createAndDeliver").unwrap();
    assert_eq!(create.status, 200);
    assert_eq!(
        create.body.unwrap(),
        json!({"cardTemplateId": TEMPLATE, "outTrackId": track, "callbackType": "STREAM",
               "cardData": {"cardParamMap": {"title": "订单审批", "question": "Approve order **PO-1024**?",
                            "choices": "[\"同意\",\"拒绝\"]", "status": "", "closed": "false", "answeredBy": ""}},
               "openSpaceId": "dtv1.card//IM_ROBOT.staff02",
               "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": APP_KEY}, "userIdType": 1})
    );
    // A click that sends no label is acknowledged and changes nothing.
    emu.user_clicks("staff02", &track, "maybe").unwrap();
    emu.user_clicks("staff02", &track, "拒绝").unwrap();
    let out = asking.join().unwrap().unwrap();
    assert_eq!((out[a::ANSWER].clone(), out[a::ANSWERED_BY].clone()), (json!("拒绝"), json!("staff02")), "{out}");
    assert_eq!((out[a::OUT_TRACK_ID].as_str(), out[a::PROCESS_QUERY_KEY].as_str()), (Some(track.as_str()), Some("")));
    // The flow goes on as the click is handed over; its acknowledgement follows at once.
    until("the click's acknowledgement updates the card", || !emu.card(&track).unwrap().updates.is_empty());
    let card = emu.card(&track).unwrap();
    assert_eq!(card.updates.len(), 1, "only the answering click updated the card: {:?}", card.updates);
    assert!(
        matches!(&card.updates[0].source, dingtalk_emulator::CardUpdateSource::ClickAck { user_id, .. } if user_id == "staff02")
    );
    assert_eq!(card.card_param_map["status"], "拒绝");
    assert_eq!(card.card_param_map["closed"], "true");
    assert_eq!(card.card_param_map["answeredBy"], "staff02");
    assert!(emu.delivered().is_empty(), "no Markdown question with a card");
    assert_no_secrets(&emu, &[&out.to_string(), &host.text()]);
}

#[test]
fn a_card_not_answered_in_time_is_updated_to_say_it_expired() {
    let emu = card_org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let (asking, track) =
        ask_with_card(&emu, host, &robot, json!({ a::USER_ID: "staff03" }), json!({ a::TIMEOUT_SECONDS: 1 }));
    let out = asking.join().unwrap().unwrap();
    assert_eq!(out[a::ANSWERED], false, "{out}");
    let update = emu.requests().into_iter().find(|r| r.method == "PUT" && r.path == "/v1.0/card/instances").unwrap();
    assert_eq!(update.status, 200);
    let expired = if in_chinese() { "已过期：未在规定时间内回答" } else { "Expired: no answer in time" };
    assert_eq!(
        update.body.unwrap(),
        json!({"outTrackId": track, "cardData": {"cardParamMap": {"status": expired, "closed": "true"}},
               "cardUpdateOptions": {"updateCardDataByKey": true}})
    );
    let card = emu.card(&track).unwrap();
    assert_eq!(
        (card.card_param_map["closed"].as_str(), card.card_param_map["question"].as_str()),
        ("true", "Approve order **PO-1024**?")
    );
}

#[test]
fn two_cards_to_one_person_are_answered_by_their_own_clicks() {
    let emu = card_org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let (first, first_track) = ask_with_card(&emu, host, &robot, json!({ a::USER_ID: "staff02" }), json!({}));
    let (second, second_track) = ask_with_card(&emu, host, &robot, json!({ a::USER_ID: "staff02" }), json!({}));
    assert_ne!(first_track, second_track);
    emu.user_clicks("staff02", &second_track, "拒绝").unwrap();
    assert_eq!(second.join().unwrap().unwrap()[a::ANSWER], "拒绝");
    emu.user_clicks("staff02", &first_track, "同意").unwrap();
    let out = first.join().unwrap().unwrap();
    assert_eq!((out[a::ANSWER].as_str(), out[a::OUT_TRACK_ID].as_str()), (Some("同意"), Some(first_track.as_str())));
}

#[test]
fn in_a_group_the_first_click_by_anyone_answers() {
    let emu = card_org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let (asking, track) = ask_with_card(&emu, host, &robot, json!({ a::OPEN_CONVERSATION_ID: GROUP }), json!({}));
    let create = emu.requests().into_iter().find(|r| r.path == "/v1.0/card/instances/createAndDeliver").unwrap();
    let body = create.body.unwrap();
    assert_eq!((create.status, body["openSpaceId"].as_str()), (200, Some("dtv1.card//IM_GROUP.cidApprovers01==")));
    assert_eq!(body["imGroupOpenDeliverModel"], json!({"robotCode": APP_KEY}));
    emu.user_clicks("manager01", &track, "同意").unwrap();
    let out = asking.join().unwrap().unwrap();
    assert_eq!((out[a::ANSWER].as_str(), out[a::ANSWERED_BY].as_str()), (Some("同意"), Some("manager01")), "{out}");
}

#[test]
fn card_errors_name_the_template_or_the_permission() {
    let emu = card_org();
    let host = leaked_host();
    let robot = connect(host, &emu);
    let params = |template: &str| {
        json!({ a::ROBOT: robot, a::USER_ID: "staff02", a::QUESTION: "Q", a::CHOICES: "a, b",
                                          a::CARD_TEMPLATE_ID: template, a::TIMEOUT_SECONDS: 5 })
    };
    let err = invoke(host, a::ID, &params("tpl-unknown.schema")).unwrap_err();
    assert_eq!(
        (err.code.as_str(), err.field.as_deref()),
        ("CARD_TEMPLATE_NOT_FOUND", Some(a::CARD_TEMPLATE_ID)),
        "{err:?}"
    );
    assert!(err.message.contains("cardTemplateId") && err.zh_cn.is_some(), "{err:?}");
    emu.set_permissions(APP_KEY, vec![dingtalk_emulator::PERM_BASE.into(), dingtalk_emulator::PERM_ROBOT_SEND.into()]);
    let err = invoke(host, a::ID, &params(TEMPLATE)).unwrap_err();
    assert_eq!(err.code, "PERMISSION_DENIED", "{err:?}");
    assert!(err.message.contains("Card.Instance.Write"), "{err:?}");
}
