//! Old-API answers: HTTP 200 with `errcode`/`errmsg`.

use reqwest::multipart::{Form, Part};

use serde_json::json;

use super::{KEY, Resp, SECRET, T, config};
use crate::{EmulatorConfig, Endpoint, Fault, FaultRule, PERM_MEMBER_BY_MOBILE};

async fn upload(t: &T, query: &str, form: Form) -> Resp {
    let r = t.http.post(t.url(&format!("/media/upload?{query}"))).multipart(form).send().await.unwrap();
    Resp::read(r).await
}

fn file_form(name: &str, size: usize, media_type: Option<&str>) -> Form {
    let part = Part::bytes(vec![b'x'; size]).file_name(name.to_owned()).mime_str("application/octet-stream").unwrap();
    let form = Form::new().part("media", part);
    match media_type {
        Some(t) => form.text("type", t.to_owned()),
        None => form,
    }
}

#[tokio::test]
async fn gettoken_shape_and_errors() {
    let t = T::start(config());
    let r = t.get(&format!("/gettoken?appkey={KEY}&appsecret={SECRET}"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["errcode"], 0);
    assert_eq!(r.json["errmsg"], "ok");
    assert_eq!(r.json["expires_in"], 7200);
    // The same token serves both generations.
    assert_eq!(r.json["access_token"].as_str().unwrap(), t.token().await);
    t.get(&format!("/gettoken?appkey={KEY}&appsecret=bad"), None).await.assert_old_error(40089);
    t.get("/gettoken", None).await.assert_old_error(40089);
    assert_eq!(t.emu.stats().token_requests, 4);
    assert!(t.emu.requests()[0].query.contains("appsecret=%3Credacted%3E"));
}

#[tokio::test]
async fn upload_success_and_record() {
    let t = T::start(config());
    let token = t.token().await;
    let r = upload(&t, &format!("access_token={token}"), file_form("Report.PDF", 1000, Some("file"))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["errcode"], 0, "{r:?}");
    assert_eq!(r.json["type"], "file");
    let id = r.json["media_id"].as_str().unwrap();
    assert!(id.starts_with('@'));
    assert!(r.json["created_at"].as_u64().unwrap() > 1_600_000_000_000);
    // `type` only in the query works too.
    let r = upload(&t, &format!("access_token={token}&type=image"), file_form("a.png", 10, None)).await;
    assert_eq!(r.json["errcode"], 0, "{r:?}");
    assert_eq!(r.json["type"], "image");

    let up = t.emu.uploaded();
    assert_eq!(up.len(), 2);
    assert_eq!((up[0].filename.as_str(), up[0].size), ("Report.PDF", 1000));
    assert_eq!(up[0].media_id, id);
    assert_eq!(up[0].media_type, "file");
    assert_eq!(t.emu.stats().uploads, 2);
    let rec = t.emu.requests().into_iter().find(|r| r.endpoint == Some(Endpoint::MediaUpload)).unwrap();
    assert!(rec.content_type.unwrap().starts_with("multipart/form-data"));
    let media = rec.parts.iter().find(|p| p.name == "media").unwrap();
    assert_eq!(media.filename.as_deref(), Some("Report.PDF"));
    assert_eq!(media.size, 1000);
    let ty = rec.parts.iter().find(|p| p.name == "type").unwrap();
    assert_eq!(ty.value.as_deref(), Some("file"));
}

#[tokio::test]
async fn upload_errors() {
    let t = T::start(config());
    let token = t.token().await;
    let q = format!("access_token={token}");
    upload(&t, "", file_form("a.pdf", 10, Some("file"))).await.assert_old_error(41001);
    upload(&t, "access_token=forged", file_form("a.pdf", 10, Some("file"))).await.assert_old_error(40014);
    upload(&t, &q, file_form("a.exe", 10, Some("file"))).await.assert_old_error(40005);
    upload(&t, &q, file_form("a.png", 10, Some("file"))).await.assert_old_error(40005);
    upload(&t, &q, file_form("a.pdf", 10, Some("thumb"))).await.assert_old_error(40004);
    upload(&t, &q, file_form("a.pdf", 10, None)).await.assert_old_error(40004);
    upload(&t, &q, file_form("a.pdf", 0, Some("file"))).await.assert_old_error(40006);
    upload(&t, &q, file_form("a.pdf", 20 * 1024 * 1024 + 1, Some("file"))).await.assert_old_error(40006);
    upload(&t, &q, Form::new().text("type", "file")).await.assert_old_error(41005);
    // Exactly 20 MB is allowed.
    let ok = upload(&t, &q, file_form("big.zip", 20 * 1024 * 1024, Some("file"))).await;
    assert_eq!(ok.json["errcode"], 0);
    // Missing permission: old-API shape.
    t.emu.set_permissions(KEY, vec![]);
    upload(&t, &q, file_form("a.pdf", 10, Some("file"))).await.assert_old_error(60011);
    // Throttling: old-API errcode 90018, HTTP 200.
    t.emu.set_permissions(KEY, vec![crate::PERM_BASE.to_owned()]);
    t.emu.inject(FaultRule::next(Endpoint::MediaUpload, Fault::Throttle, 1));
    upload(&t, &q, file_form("a.pdf", 10, Some("file"))).await.assert_old_error(90018);
    let s = t.emu.stats();
    assert_eq!((s.uploads, s.throttled), (1, 1));
}

const BY_MOBILE: &str = "/topapi/v2/user/getbymobile";

fn org_with_mobiles(errcode_as_text: bool) -> EmulatorConfig {
    EmulatorConfig {
        mobiles: vec![("13800000001".into(), "u1".into()), ("+852-61234567".into(), "u2".into())],
        errcode_as_text,
        ..config()
    }
}

async fn by_mobile_json(t: &T, token: &str, mobile: &str) -> Resp {
    let url = t.url(&format!("{BY_MOBILE}?access_token={token}"));
    Resp::read(t.http.post(url).json(&json!({ "mobile": mobile })).send().await.unwrap()).await
}

#[tokio::test]
async fn getbymobile_answers_the_user_id_from_a_json_or_form_body() {
    let t = T::start(org_with_mobiles(false));
    let token = t.token().await;
    let r = by_mobile_json(&t, &token, "13800000001").await;
    assert_eq!((r.status, &r.json["errcode"], &r.json["errmsg"]), (200, &json!(0), &json!("ok")), "{r:?}");
    assert_eq!(r.json["result"]["userid"], "u1");
    // The curl sample's form body works too.
    let url = t.url(&format!("{BY_MOBILE}?access_token={token}"));
    let form =
        t.http.post(url).header("content-type", "application/x-www-form-urlencoded").body("mobile=%2B852-61234567");
    let r = Resp::read(form.send().await.unwrap()).await;
    assert_eq!(r.json["result"]["userid"], "u2", "{r:?}");
    assert_eq!(t.emu.stats().mobile_lookups, 2);
}

#[tokio::test]
async fn getbymobile_errors() {
    let t = T::start(org_with_mobiles(false));
    let token = t.token().await;
    by_mobile_json(&t, &token, "13900000000").await.assert_old_error(60121);
    by_mobile_json(&t, &token, "not-a-phone").await.assert_old_error(40104);
    by_mobile_json(&t, &token, "123").await.assert_old_error(40104);
    by_mobile_json(&t, &token, "").await.assert_old_error(400002);
    by_mobile_json(&t, "forged", "13800000001").await.assert_old_error(40014);
    t.emu.set_permissions(KEY, vec![]);
    let r = by_mobile_json(&t, &token, "13800000001").await;
    r.assert_old_error(60011);
    assert!(r.json["errmsg"].as_str().unwrap().contains(PERM_MEMBER_BY_MOBILE), "{r:?}");
    t.emu.inject(FaultRule::next(Endpoint::GetByMobile, Fault::Throttle, 1));
    by_mobile_json(&t, &token, "13800000001").await.assert_old_error(90018);
    assert_eq!(t.emu.stats().mobile_lookups, 7, "failed lookups count too");
}

#[tokio::test]
async fn getbymobile_can_answer_errcode_as_text_like_a_doc_sample() {
    let t = T::start(org_with_mobiles(true));
    let token = t.token().await;
    let r = by_mobile_json(&t, &token, "13800000001").await;
    assert_eq!(r.json["errcode"], "0", "{r:?}");
    assert_eq!(r.json["result"]["userid"], "u1");
}
