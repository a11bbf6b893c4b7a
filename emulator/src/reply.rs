//! Answers in each API generation's own shape, and the faults that break them.

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

/// `Content-Type` of every JSON answer (DingTalk's spelling).
const JSON_TYPE: &str = "application/json;charset=utf-8";
/// `Content-Type` of gateway HTML pages.
const HTML_TYPE: &str = "text/html";

/// The request-id header.
pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-acs-request-id");
/// The trace-id header.
pub(crate) const X_TRACE_ID: HeaderName = HeaderName::from_static("x-acs-trace-id");

/// Code of the new API's throttling error.
pub(crate) const QPS_LIMIT_CODE: &str = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi";
/// Old API errcode for throttling.
pub(crate) const QPS_LIMIT_ERRCODE: i64 = 90018;

/// An answer before it is turned into HTTP.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) content_type: &'static str,
    pub(crate) body: Bytes,
}

impl Reply {
    /// A JSON answer.
    pub(crate) fn json(status: StatusCode, value: &Value) -> Reply {
        Reply { status, content_type: JSON_TYPE, body: Bytes::from(value.to_string()) }
    }

    /// A new-API error: HTTP status + `{"code","message","requestid"}`.
    pub(crate) fn new_error(status: StatusCode, code: &str, message: &str, rid: &str) -> Reply {
        Reply::json(status, &json!({"code": code, "message": message, "requestid": rid}))
    }

    /// The new API's "a parameter is missing" error, in the gateway's own words.
    pub(crate) fn missing(field: &str, rid: &str) -> Reply {
        Reply::new_error(
            StatusCode::BAD_REQUEST,
            &format!("Missing{field}"),
            &format!("{field} is mandatory for this action."),
            rid,
        )
    }

    /// The new API's "a parameter is wrong" error.
    pub(crate) fn invalid(message: &str, rid: &str) -> Reply {
        Reply::new_error(StatusCode::BAD_REQUEST, "invalidParameter", message, rid)
    }

    /// New-API forged, revoked or expired token.
    pub(crate) fn invalid_token(rid: &str) -> Reply {
        Reply::new_error(StatusCode::BAD_REQUEST, "InvalidAuthentication", "不合法的access_token", rid)
    }

    /// New-API missing permission, naming the scope.
    pub(crate) fn permission_denied(scope: &str, rid: &str) -> Reply {
        Reply::json(
            StatusCode::FORBIDDEN,
            &json!({
                "code": "Forbidden.AccessDenied.AccessTokenPermissionDenied",
                "message": "没有调用该接口的权限，接口权限申请参考：https://open.dingtalk.com/document/orgapp/add-api-permission",
                "requestid": rid,
                "accessdenieddetail": {"requiredScopes": [scope]},
            }),
        )
    }

    /// An old-API answer: HTTP 200 and `errcode`/`errmsg` (+ `request_id`).
    pub(crate) fn old(errcode: i64, errmsg: &str, rid: &str) -> Reply {
        Reply::json(StatusCode::OK, &json!({"errcode": errcode, "errmsg": errmsg, "request_id": rid}))
    }

    /// The throttling error in the endpoint's generation.
    pub(crate) fn throttled(old_api: bool, rid: &str) -> Reply {
        if old_api {
            Reply::old(QPS_LIMIT_ERRCODE, "当前应用调用该接口超过每秒调用频率限制", rid)
        } else {
            Reply::new_error(
                StatusCode::FORBIDDEN,
                QPS_LIMIT_CODE,
                "您的应用调用该接口超过每秒限流阈值，请稍后再试",
                rid,
            )
        }
    }

    /// The caller's IP is not on the app's allow-list, in the endpoint's generation.
    pub(crate) fn ip_not_allowed(old_api: bool, rid: &str) -> Reply {
        if old_api {
            Reply::old(60020, "访问ip不在白名单之中", rid)
        } else {
            Reply::new_error(
                StatusCode::FORBIDDEN,
                "Forbidden.AccessDenied.IpNotInWhiteList",
                "访问ip不在白名单之中，请参考FAQ：https://open.dingtalk.com/document/orgapp/faq",
                rid,
            )
        }
    }

    /// A JSON 500 from the platform.
    pub(crate) fn server_error(rid: &str) -> Reply {
        Reply::new_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
            rid,
        )
    }

    /// A 502 HTML page from the gateway in front of the platform.
    pub(crate) fn bad_gateway_html() -> Reply {
        Reply {
            status: StatusCode::BAD_GATEWAY,
            content_type: HTML_TYPE,
            body: Bytes::from_static(
                b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n",
            ),
        }
    }

    /// An unknown path or method.
    pub(crate) fn not_found(rid: &str) -> Reply {
        Reply::new_error(
            StatusCode::NOT_FOUND,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
            rid,
        )
    }
}

impl IntoResponse for Reply {
    /// The status, `Content-Type` and body; the server's layer adds the id headers
    /// ([`add_ids`]) once the answer is known.
    fn into_response(self) -> Response {
        let mut resp = Response::new(Body::from(self.body));
        *resp.status_mut() = self.status;
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        resp
    }
}

/// Adds the id headers every DingTalk answer carries.
pub(crate) fn add_ids(resp: &mut Response, rid: &str) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(rid) {
        h.insert(X_REQUEST_ID, v);
    }
    if let Ok(v) = HeaderValue::from_str(&crate::ids::trace_id()) {
        h.insert(X_TRACE_ID, v);
    }
}

/// An answer's body, whole (every answer's body is one piece of bytes in memory).
async fn body_bytes(body: Body) -> Bytes {
    axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default()
}

/// The same answer with its JSON body cut in half (still HTTP-complete).
pub(crate) async fn malformed(resp: Response) -> Response {
    let (parts, body) = resp.into_parts();
    let body = body_bytes(body).await;
    let cut = (body.len() / 2).max(1).min(body.len());
    Response::from_parts(parts, Body::from(body.slice(..cut)))
}

/// The same answer announcing its full body but sending only part of it, then failing, so
/// the server cuts the connection.
pub(crate) async fn cut_mid_answer(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let body = body_bytes(body).await;
    let full = body.len();
    let part = body.slice(..full / 2);
    use futures_util::StreamExt;
    // The pause lets the server flush the headers and the first part before the cut.
    let cut = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Err::<Bytes, _>(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "emulated connection cut"))
    });
    let chunks = futures_util::stream::iter([Ok(part)]).chain(cut);
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(full));
    Response::from_parts(parts, Body::from_stream(chunks))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer as the layer sends it, and its whole body.
    fn answer() -> (Response, Bytes) {
        let reply = Reply::new_error(StatusCode::BAD_REQUEST, "invalidParameter", "参数错误", "rid-1");
        let body = reply.body.clone();
        let mut resp = reply.into_response();
        add_ids(&mut resp, "rid-1");
        (resp, body)
    }

    #[tokio::test]
    async fn an_answer_carries_its_type_and_ids() {
        let (resp, full) = answer();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let names: Vec<&str> = resp.headers().keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["content-type", "x-acs-request-id", "x-acs-trace-id"]);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], JSON_TYPE);
        assert_eq!(resp.headers()[X_REQUEST_ID], "rid-1");
        assert_eq!(body_bytes(resp.into_body()).await, full);
    }

    #[tokio::test]
    async fn malformed_keeps_the_head_and_half_the_body() {
        let (resp, full) = answer();
        let resp = malformed(resp).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(resp.headers()[X_REQUEST_ID], "rid-1");
        let body = body_bytes(resp.into_body()).await;
        assert_eq!(body, full.slice(..full.len() / 2));
        assert!(serde_json::from_slice::<Value>(&body).is_err());
    }

    #[tokio::test]
    async fn a_cut_answer_announces_the_whole_body_and_fails_after_half() {
        let (resp, full) = answer();
        let resp = cut_mid_answer(resp).await;
        assert_eq!(resp.headers()[header::CONTENT_LENGTH], full.len().to_string().as_str());
        assert_eq!(resp.headers()[X_REQUEST_ID], "rid-1");
        let mut chunks = resp.into_body().into_data_stream();
        use futures_util::StreamExt;
        assert_eq!(chunks.next().await.unwrap().unwrap(), full.slice(..full.len() / 2));
        assert!(chunks.next().await.unwrap().is_err());
    }
}
