//! New-API answers: success shapes and every error shape.

use serde_json::json;

use super::{KEY, SECRET, T, config, text_message};
use crate::PERM_ROBOT_SEND;

const SEND: &str = "/v1.0/robot/oToMessages/batchSend";
const TOKEN: &str = "/v1.0/oauth2/accessToken";

#[tokio::test]
async fn token_success_and_credential_errors() {
    let t = T::start(config());
    let ok = t.post(TOKEN, None, &json!({"appKey": KEY, "appSecret": SECRET})).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json["accessToken"].as_str().map(str::len), Some(32));
    assert_eq!(ok.json["expireIn"], 7200);
    assert!(!ok.header("x-acs-request-id").is_empty());
    assert!(!ok.header("x-acs-trace-id").is_empty());

    t.post(TOKEN, None, &json!({"appKey": KEY, "appSecret": "nope"}))
        .await
        .assert_new_error(400, "invalidClientIdOrSecret");
    t.post(TOKEN, None, &json!({"appKey": "other", "appSecret": SECRET}))
        .await
        .assert_new_error(400, "invalidClientIdOrSecret");
    t.post(TOKEN, None, &json!({"appKey": KEY})).await.assert_new_error(400, "MissingappSecret");
    // Only application/json bodies are read: a form body lacks every parameter.
    let form = t
        .http
        .post(t.url(TOKEN))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("appKey={KEY}&appSecret={SECRET}"))
        .send()
        .await
        .unwrap();
    super::Resp::read(form).await.assert_new_error(400, "MissingappKey");
    assert_eq!(t.emu.stats().token_requests, 5, "failed token requests count too");
    // The secret is never recorded.
    let recs = t.emu.requests();
    assert!(recs.iter().all(|r| !format!("{r:?}").contains(SECRET)));
    assert_eq!(recs[0].body.as_ref().unwrap()["appSecret"], "<redacted>");
}

#[tokio::test]
async fn batch_send_success_shape_and_delivery() {
    let t = T::start(config());
    let token = t.token().await;
    let r = t.send(&token, &["u1", "ghost", "u3", "u2", "u1", " u2"]).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["invalidStaffIdList"], json!(["ghost", " u2"]));
    assert_eq!(r.json["flowControlledStaffIdList"], json!(["u3"]));
    let key = r.json["processQueryKey"].as_str().unwrap().to_owned();
    let again = t.send(&token, &["u1"]).await;
    assert_ne!(again.json["processQueryKey"].as_str().unwrap(), key);

    let d = t.emu.delivered();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].process_query_key, key);
    assert_eq!(d[0].user_ids, vec!["u1", "u2"]);
    assert_eq!(d[0].msg_key, "sampleText");
    assert_eq!(d[0].msg_param, json!({"content": "你好"}));
    assert_eq!(d[0].robot_code, KEY);
    let s = t.emu.stats();
    assert_eq!((s.batch_send_requests, s.messages), (2, 3));
    let rec = &t.emu.requests()[1];
    assert_eq!(rec.path, SEND);
    assert_eq!(rec.status, 200);
    assert_eq!(rec.access_token.as_deref(), Some(token.as_str()));
    assert_eq!(rec.body.as_ref().unwrap()["msgKey"], "sampleText");
}

#[tokio::test]
async fn batch_send_validation_errors() {
    let t = T::start(config());
    let token = t.token().await;
    let tok = Some(token.as_str());
    let with = |k: &str, v: serde_json::Value| {
        let mut m = text_message(&["u1"]);
        m[k] = v;
        m
    };
    let without = |k: &str| {
        let mut m = text_message(&["u1"]);
        m.as_object_mut().unwrap().remove(k);
        m
    };
    // Token problems come first.
    t.post(SEND, None, &text_message(&["u1"])).await.assert_new_error(400, "InvalidAuthentication");
    let forged = t.post(SEND, Some("0123456789abcdef0123456789abcdef"), &text_message(&["u1"])).await;
    forged.assert_new_error(400, "InvalidAuthentication");
    assert_eq!(forged.json["message"], "不合法的access_token");

    for f in ["robotCode", "userIds", "msgKey", "msgParam"] {
        t.post(SEND, tok, &without(f)).await.assert_new_error(400, &format!("Missing{f}"));
    }
    t.post(SEND, tok, &with("robotCode", json!("someone-else"))).await.assert_new_error(400, "resource.not.found");
    t.post(SEND, tok, &with("msgKey", json!("sampleNope")))
        .await
        .assert_new_error(400, "invalidParameter.msgKey.invalid");
    let many: Vec<String> = (0..21).map(|i| format!("u{i}")).collect();
    t.post(SEND, tok, &with("userIds", json!(many))).await.assert_new_error(400, "invalidParameter");
    t.post(SEND, tok, &with("userIds", json!([]))).await.assert_new_error(400, "invalidParameter");
    t.post(SEND, tok, &with("userIds", json!("u1"))).await.assert_new_error(400, "invalidParameter");
    // msgParam must be a JSON *string* holding the template's fields.
    t.post(SEND, tok, &with("msgParam", json!({"content": "x"}))).await.assert_new_error(400, "invalidParameter");
    t.post(SEND, tok, &with("msgParam", json!("content: x")))
        .await
        .assert_new_error(400, "invalidParameter.msgParam.invalid");
    t.post(SEND, tok, &with("msgParam", json!("{\"text\":\"x\"}")))
        .await
        .assert_new_error(400, "miss.param.contentOfText");
    let md = json!({"robotCode": KEY, "userIds": ["u1"], "msgKey": "sampleMarkdown",
        "msgParam": "{\"title\":\"t\"}"});
    t.post(SEND, tok, &md).await.assert_new_error(400, "miss.param.markdownTotext");
    // DingTalk's documented limit on msgParam: 15,000 bytes.
    let long = json!({"content": "字".repeat(5_000)}).to_string();
    assert!(long.len() > 15_000);
    t.post(SEND, tok, &with("msgParam", json!(long))).await.assert_new_error(400, "invalidParameter.msgParam.tooLong");
    // Not JSON at all.
    let raw = t
        .http
        .post(t.url(SEND))
        .header("content-type", "application/json")
        .header("x-acs-dingtalk-access-token", &token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    super::Resp::read(raw).await.assert_new_error(400, "invalidParameter");
    // 20 users is fine; nothing above was delivered.
    let twenty: Vec<String> = (0..20).map(|i| format!("u{i}")).collect();
    let ok = t.post(SEND, tok, &with("userIds", json!(twenty))).await;
    assert_eq!(ok.status, 200);
    assert_eq!(t.emu.delivered().len(), 1);
    assert_eq!(t.emu.stats().messages, 2);
}

/// Uploads a small file as `media_type` and returns its media id.
async fn upload(t: &T, token: &str, name: &str, media_type: &str) -> String {
    let part = reqwest::multipart::Part::bytes(b"bytes".to_vec()).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().text("type", media_type.to_owned()).part("media", part);
    let url = t.url(&format!("/media/upload?access_token={token}"));
    let r = super::Resp::read(t.http.post(url).multipart(form).send().await.unwrap()).await;
    r.json["media_id"].as_str().expect("media_id").to_owned()
}

#[tokio::test]
async fn every_template_is_accepted_with_its_fields_and_counted() {
    let t = T::start(config());
    let token = t.token().await;
    let file = upload(&t, &token, "a.pdf", "file").await;
    let voice = upload(&t, &token, "a.amr", "voice").await;
    let video = upload(&t, &token, "a.mp4", "video").await;
    let image = upload(&t, &token, "a.png", "image").await;
    let url = "https://example.com/a";
    let cases = [
        ("sampleText", json!({"content": "c"})),
        ("sampleMarkdown", json!({"title": "t", "text": "# x"})),
        ("sampleImageMsg", json!({"photoURL": "https://example.com/a.png"})),
        ("sampleImageMsg", json!({"photoURL": image})),
        ("sampleLink", json!({"text": "t", "title": "t", "picUrl": image, "messageUrl": url})),
        ("sampleActionCard", json!({"title": "t", "text": "x", "singleTitle": "Go", "singleURL": url})),
        (
            "sampleActionCard2",
            json!({"title": "t", "text": "x", "actionTitle1": "a", "actionURL1": url, "actionTitle2": "b", "actionURL2": url}),
        ),
        (
            "sampleActionCard6",
            json!({"title": "t", "text": "x", "buttonTitle1": "a", "buttonUrl1": url, "buttonTitle2": "b", "buttonUrl2": url}),
        ),
        ("sampleAudio", json!({"mediaId": voice, "duration": "3000"})),
        ("sampleFile", json!({"mediaId": file, "fileName": "a.pdf", "fileType": "pdf"})),
        ("sampleVideo", json!({"duration": "3", "videoMediaId": video, "videoType": "mp4", "picMediaId": image})),
    ];
    for (key, param) in &cases {
        let body = json!({"robotCode": KEY, "userIds": ["u1", "u2"], "msgKey": key,
            "msgParam": param.to_string()});
        let r = t.post(SEND, Some(&token), &body).await;
        assert_eq!(r.status, 200, "{key}: {r:?}");
    }
    let stats = t.emu.stats();
    assert_eq!(stats.messages, 2 * cases.len() as u64);
    assert_eq!(stats.messages_by_template["sampleImageMsg"], 4);
    assert_eq!(stats.messages_by_template["sampleVideo"], 2);
    assert_eq!(stats.messages_by_template.len(), cases.len() - 1);
    // A media id of the wrong type, or one never uploaded, is refused.
    for (key, param) in [
        ("sampleAudio", json!({"mediaId": file, "duration": "3000"})),
        ("sampleFile", json!({"mediaId": "@lAnever", "fileName": "a.pdf", "fileType": "pdf"})),
        ("sampleVideo", json!({"duration": "3", "videoMediaId": video, "videoType": "mp4", "picMediaId": video})),
    ] {
        let body = json!({"robotCode": KEY, "userIds": ["u1"], "msgKey": key, "msgParam": param.to_string()});
        t.post(SEND, Some(&token), &body).await.assert_new_error(400, "invalidParameter.param.invalid");
    }
    // A misspelt card field is refused as DingTalk does: the real name is missing.
    let body = json!({"robotCode": KEY, "userIds": ["u1"], "msgKey": "sampleActionCard6", "msgParam": json!(
        {"title": "t", "text": "x", "buttonTitle1": "a", "buttonURL1": url, "buttonTitle2": "b", "buttonUrl2": url}
    ).to_string()});
    let r = t.post(SEND, Some(&token), &body).await;
    r.assert_new_error(400, "miss.param.actionCardTobtnsToactionUrl");
    assert!(r.json["message"].as_str().unwrap().contains("buttonUrl1"), "{r:?}");
    assert_eq!(t.emu.stats().messages, stats.messages, "nothing refused was delivered");
}

#[tokio::test]
async fn permission_removed_gives_403_with_required_scope() {
    let t = T::start(config());
    let token = t.token().await;
    t.emu.set_permissions(KEY, vec![]);
    let r = t.send(&token, &["u1"]).await;
    r.assert_new_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(r.json["accessdenieddetail"]["requiredScopes"], json!([PERM_ROBOT_SEND]));
    assert!(t.emu.delivered().is_empty());
    t.emu.set_permissions(KEY, vec![PERM_ROBOT_SEND.to_owned()]);
    assert_eq!(t.send(&token, &["u1"]).await.status, 200);
}

#[tokio::test]
async fn read_status_and_recall() {
    let t = T::start(config());
    let token = t.token().await;
    let tok = Some(token.as_str());
    let key = t.send(&token, &["u1", "u2", "zz"]).await.json["processQueryKey"].as_str().unwrap().to_owned();
    let path = format!("/v1.0/robot/oToMessages/readStatus?robotCode={KEY}&processQueryKey={}", enc(&key));
    let r = t.get(&path, tok).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["sendStatus"], "SUCCESS");
    let list = r.json["messageReadInfoList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["userId"], "u1");
    assert_eq!(list[0]["readStatus"], "UNREAD");
    assert_eq!(list[0]["readTimestamp"], 0);
    assert!(t.emu.mark_read(&key, "u2"));
    assert!(!t.emu.mark_read(&key, "zz"));
    let r = t.get(&path, tok).await;
    assert_eq!(r.json["messageReadInfoList"][1]["readStatus"], "READ");
    assert!(r.json["messageReadInfoList"][1]["readTimestamp"].as_u64().unwrap() > 0);

    t.get(&format!("/v1.0/robot/oToMessages/readStatus?robotCode={KEY}&processQueryKey=nope"), tok)
        .await
        .assert_new_error(400, "invalid.processQueryKey");
    // The key unencoded: its `+` reads as a space, so no message has that key.
    t.get(&format!("/v1.0/robot/oToMessages/readStatus?robotCode={KEY}&processQueryKey={key}"), tok)
        .await
        .assert_new_error(400, "invalid.processQueryKey");
    t.get(&format!("/v1.0/robot/oToMessages/readStatus?robotCode={KEY}"), tok)
        .await
        .assert_new_error(400, "MissingprocessQueryKey");
    t.get(&path, Some("forged")).await.assert_new_error(400, "InvalidAuthentication");

    let recall = "/v1.0/robot/otoMessages/batchRecall";
    let r = t.post(recall, tok, &json!({"robotCode": KEY, "processQueryKeys": [key, "nope"]})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["successResult"], json!([key]));
    assert!(r.json["failedResult"]["nope"].is_string());
    assert!(t.emu.delivered()[0].recalled);
    assert_eq!(t.get(&path, tok).await.json["sendStatus"], "RECALLED");
    t.post(recall, tok, &json!({"robotCode": "bad", "processQueryKeys": [key]}))
        .await
        .assert_new_error(400, "resource.not.found");
    t.post(recall, tok, &json!({"robotCode": KEY})).await.assert_new_error(400, "MissingprocessQueryKeys");
    t.post(recall, tok, &json!({"robotCode": KEY, "processQueryKeys": []}))
        .await
        .assert_new_error(400, "invalidParameter.param.invalid");
    let many: Vec<String> = (0..=crate::MAX_RECALL_KEYS).map(|i| format!("k{i}")).collect();
    t.post(recall, tok, &json!({"robotCode": KEY, "processQueryKeys": many}))
        .await
        .assert_new_error(400, "invalidParameter.processQueryKeys.overMax");
    // The path is case-sensitive, like the platform's: `oto` for recall.
    t.post("/v1.0/robot/oToMessages/batchRecall", tok, &json!({}))
        .await
        .assert_new_error(404, "InvalidAction.NotFound");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_404() {
    let t = T::start(config());
    t.get("/v1.0/nothing", None).await.assert_new_error(404, "InvalidAction.NotFound");
    t.get(SEND, None).await.assert_new_error(404, "InvalidAction.NotFound");
    let recs = t.emu.requests();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[1].endpoint, None);
    assert_eq!(recs[1].status, 404);
}

#[tokio::test]
async fn head_on_a_get_endpoint_is_an_unknown_api() {
    // axum answers HEAD with a GET route; the platform does not, and neither does the layer.
    let t = T::start(config());
    let r = t.http.head(t.url("/gettoken?appkey=k&appsecret=s")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(!r.headers()["x-acs-request-id"].is_empty());
    let recs = t.emu.requests();
    assert_eq!((recs[0].endpoint, recs[0].status), (None, 404));
    assert_eq!(t.emu.stats().token_requests, 0);
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn the_24_hour_window_closes_read_status_and_recall() {
    let t = T::start(config());
    let token = t.token().await;
    let tok = Some(token.as_str());
    let key = t.send(&token, &["u1"]).await.json["processQueryKey"].as_str().unwrap().to_owned();
    let path = format!("/v1.0/robot/oToMessages/readStatus?robotCode={KEY}&processQueryKey={}", enc(&key));
    assert!(t.emu.backdate(&key, crate::MESSAGE_WINDOW - std::time::Duration::from_secs(60)));
    assert_eq!(t.get(&path, tok).await.status, 200, "23 h 59 min: still inside");
    assert!(t.emu.backdate(&key, std::time::Duration::from_secs(120)));
    t.get(&path, tok).await.assert_new_error(400, "processQueryKey.expireTime");
    let r =
        t.post("/v1.0/robot/otoMessages/batchRecall", tok, &json!({"robotCode": KEY, "processQueryKeys": [key]})).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["successResult"], json!([]));
    assert!(r.json["failedResult"][&key].as_str().unwrap().contains("过期"), "{r:?}");
    assert!(!t.emu.delivered()[0].recalled);
    assert!(!t.emu.backdate("nope", std::time::Duration::from_secs(1)));
}

#[tokio::test]
async fn the_sample_spelling_of_send_status_on_demand() {
    let t = T::start(crate::EmulatorConfig { send_status_as_sample: true, ..config() });
    let token = t.token().await;
    let key = t.send(&token, &["u1"]).await.json["processQueryKey"].as_str().unwrap().to_owned();
    let path = format!("/v1.0/robot/oToMessages/readStatus?robotCode={KEY}&processQueryKey={}", enc(&key));
    assert_eq!(t.get(&path, Some(&token)).await.json["sendStatus"], "SUCESS");
}

const GROUP_SEND: &str = "/v1.0/robot/groupMessages/send";
const GROUP_RECALL: &str = "/v1.0/robot/groupMessages/recall";
const GROUP: &str = "cidGroupWithRobot+x/y==";

fn with_groups() -> crate::EmulatorConfig {
    crate::EmulatorConfig {
        groups: vec![
            crate::GroupConfig::new(GROUP, [KEY]),
            crate::GroupConfig::new("cidWithoutRobot==", ["another-robot"]),
        ],
        ..config()
    }
}

fn group_text(conversation: &str) -> serde_json::Value {
    json!({ "msgParam": "{\"content\":\"周会改到三点\"}", "msgKey": "sampleText",
            "openConversationId": conversation, "robotCode": KEY })
}

#[tokio::test]
async fn group_send_and_recall() {
    let t = T::start(with_groups());
    let token = t.token().await;
    let tok = Some(token.as_str());
    let r = t.post(GROUP_SEND, tok, &group_text(GROUP)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json.as_object().unwrap().len(), 1, "{r:?}");
    let key = r.json["processQueryKey"].as_str().unwrap().to_owned();
    let d = &t.emu.delivered()[0];
    assert_eq!((d.open_conversation_id.as_deref(), d.msg_key.as_str()), (Some(GROUP), "sampleText"));
    assert!(d.user_ids.is_empty());
    assert_eq!(d.msg_param, json!({"content": "周会改到三点"}));
    assert_eq!((t.emu.stats().group_messages, t.emu.stats().messages), (1, 0));

    // A group message is not a one-to-one message: readStatus and batchRecall do not know it.
    let path = format!("/v1.0/robot/oToMessages/readStatus?robotCode={KEY}&processQueryKey={}", enc(&key));
    t.get(&path, tok).await.assert_new_error(400, "invalid.processQueryKey");
    let oto =
        t.post("/v1.0/robot/otoMessages/batchRecall", tok, &json!({"robotCode": KEY, "processQueryKeys": [key]})).await;
    assert!(oto.json["failedResult"][&key].is_string(), "{oto:?}");

    let body = json!({"openConversationId": GROUP, "robotCode": KEY, "processQueryKeys": [key, "nope"]});
    let r = t.post(GROUP_RECALL, tok, &body).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["successResult"], json!([key]));
    assert!(r.json["failedResult"]["nope"].is_string());
    assert!(t.emu.delivered()[0].recalled);
    // In another group the key is unknown.
    let other = json!({"openConversationId": "cidWithoutRobot==", "robotCode": KEY, "processQueryKeys": [key]});
    t.post(GROUP_RECALL, tok, &other).await.assert_new_error(400, "invalidParameter.robotCode");
}

#[tokio::test]
async fn group_send_refusals() {
    let t = T::start(with_groups());
    let token = t.token().await;
    let tok = Some(token.as_str());
    t.post(GROUP_SEND, tok, &group_text("cidWithoutRobot=="))
        .await
        .assert_new_error(400, "invalidParameter.robotCode.empty");
    t.post(GROUP_SEND, tok, &group_text("cidNoSuchGroup==")).await.assert_new_error(400, "invalid.openConversationId");
    let mut other_robot = group_text(GROUP);
    other_robot["robotCode"] = json!("dingother");
    t.post(GROUP_SEND, tok, &other_robot).await.assert_new_error(400, "invalidParameter.robotCode.auth");
    let mut no_group = group_text(GROUP);
    no_group.as_object_mut().unwrap().remove("openConversationId");
    t.post(GROUP_SEND, tok, &no_group).await.assert_new_error(400, "MissingopenConversationId");
    let mut long = group_text(GROUP);
    long["msgParam"] = json!(json!({"content": "长".repeat(5001)}).to_string());
    t.post(GROUP_SEND, tok, &long).await.assert_new_error(400, "invalidParameter.msgParam.tooLong");
    let mut card = group_text(GROUP);
    card["msgKey"] = json!("sampleActionCard");
    card["msgParam"] = json!(json!({"title": "t", "text": "x"}).to_string());
    t.post(GROUP_SEND, tok, &card).await.assert_new_error(400, "miss.param.actionCardTosingleTitle");
    let recall =
        |conversation: &str| json!({"openConversationId": conversation, "robotCode": KEY, "processQueryKeys": ["k"]});
    t.post(GROUP_RECALL, tok, &recall("cidNoSuchGroup==")).await.assert_new_error(400, "invalid.openConversationId");
    let many: Vec<String> = (0..=crate::MAX_RECALL_KEYS).map(|i| format!("k{i}")).collect();
    let body = json!({"openConversationId": GROUP, "robotCode": KEY, "processQueryKeys": many});
    t.post(GROUP_RECALL, tok, &body).await.assert_new_error(400, "invalidParameter.processQueryKeys.overMax");
    t.emu.set_permissions(KEY, vec![]);
    let r = t.post(GROUP_SEND, tok, &group_text(GROUP)).await;
    r.assert_new_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert_eq!(r.json["accessdenieddetail"]["requiredScopes"], json!([PERM_ROBOT_SEND]));
    t.post(GROUP_RECALL, tok, &recall(GROUP))
        .await
        .assert_new_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied");
    assert!(t.emu.delivered().is_empty(), "nothing refused was delivered");
}
