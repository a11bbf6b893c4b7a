//! Old-API answers: HTTP 200 with `errcode`/`errmsg`.

use reqwest::multipart::{Form, Part};

use super::{KEY, Resp, SECRET, T, config};
use crate::{Endpoint, Fault, FaultRule};

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
