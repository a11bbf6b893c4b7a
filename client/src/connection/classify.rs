//! Reading DingTalk's answers: [`classify`] says whether an answer is a success, and if not,
//! how the call was refused ([`Refusal`]), with what DingTalk said.

use bytes::Bytes;
use reqwest::StatusCode;

use crate::api::Api;
use crate::error::{Rejection, Upstream};
use crate::redact;
use crate::wire::{NewApiError, OldApiResponse};

/// An HTTP answer, whatever its status.
pub(super) struct Answer {
    /// Its status.
    pub(super) status: StatusCode,
    /// Its whole body.
    pub(super) body: Bytes,
    /// DingTalk's request id, from the header.
    pub(super) request_id: Option<String>,
    /// The `Location` of a 3xx.
    pub(super) location: Option<String>,
}

/// How DingTalk (or whatever answered) refused a call.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The access token is invalid or expired: fetch a new one.
    TokenInvalid,
    /// The token endpoint refused the AppKey/AppSecret.
    Credentials,
    /// Too many calls: wait and try again.
    Throttled,
    /// The app lacks these permissions (scopes).
    PermissionDenied(Vec<String>),
    /// This machine's IP is not on the app's allow-list.
    IpNotAllowed,
    /// The robot code is unknown or the robot not enabled.
    RobotCode,
    /// About what an input names: the input (DingTalk's parameter) and why.
    Rejected(Rejection, &'static str),
    /// The server failed (5xx, or the old API's "system busy").
    Server,
    /// A 3xx: never followed; the origin it points to (scheme, host, port).
    Redirect(Option<String>),
    /// A 404 or a page that is not DingTalk's JSON: the base URL or a proxy is wrong.
    WrongEndpoint,
    /// Anything else DingTalk refused.
    Other,
}

/// Whether a token endpoint's error code says the AppKey or AppSecret is wrong.
fn is_credentials_code(code: &str) -> bool {
    let code = code.to_ascii_lowercase();
    ["clientidorsecret", "invalidclient", "appkey", "appsecret", "clientsecret"].iter().any(|c| code.contains(c))
}

/// A refusal about what an input names, from the codes of DingTalk's read-status, recall and
/// group-message pages, with the input at fault (DingTalk's parameter of that name).
/// The pages disagree on which code means "robot not in the group" (`invalidParameter.robotCode`,
/// `invalidParameter.robotCode.empty`, `invalidParameter.robotCode.notExsit`, each described as
/// "check that the robot is in the group"), so for the group APIs any `invalidParameter.robotCode`
/// code but `.auth` (AppKey and robot do not match) and `.coolApp` means that.
fn rejection(api: Api, status: StatusCode, code: &str, message: Option<&str>) -> Option<(Rejection, &'static str)> {
    if status != StatusCode::BAD_REQUEST {
        return None;
    }
    let key_field = match api {
        Api::ReadStatus => Some("processQueryKey"),
        Api::BatchRecall | Api::GroupRecall => Some("processQueryKeys"),
        _ => None,
    };
    if let Some(field) = key_field {
        if code == "invalid.processQueryKey" {
            return Some((Rejection::UnknownKey, field));
        }
        if code == "processQueryKey.expireTime" || code == "robot.processQueryKey.expired" {
            return Some((Rejection::KeyExpired, field));
        }
    }
    if matches!(api, Api::CardCreate | Api::CardUpdate) {
        let (code, message) = (code.to_ascii_lowercase(), message.unwrap_or_default());
        if code.contains("template") || message.contains("模板") || message.to_ascii_lowercase().contains("template")
        {
            return Some((Rejection::UnknownTemplate, "cardTemplateId"));
        }
    }
    if matches!(api, Api::GroupSend | Api::GroupRecall) {
        if matches!(code, "invalid.openConversationId" | "group.disbanded" | "conversation.org.notMatch") {
            return Some((Rejection::GroupNotFound, "openConversationId"));
        }
        let robot_code =
            code.starts_with("invalidParameter.robotCode") && !code.ends_with(".auth") && !code.ends_with(".coolApp");
        if robot_code || message.is_some_and(|m| m.contains("群内")) {
            return Some((Rejection::RobotNotInGroup, "openConversationId"));
        }
    }
    None
}

/// Reads an answer: `None` when it is a success, else how it was refused and what it said.
pub(super) fn classify(api: Api, answer: &Answer) -> Option<(Refusal, Box<Upstream>)> {
    let Answer { status, body, request_id, location } = answer;
    let status = *status;
    let header_request_id = request_id.clone();
    if status.is_redirection() {
        // Only where it points (scheme, host, port): a path or query may hold anything.
        let to = location.as_deref().map(|l| match reqwest::Url::parse(l) {
            Ok(u) if u.has_host() => u.origin().ascii_serialization(),
            _ => redact::url(l),
        });
        let upstream =
            Upstream { http_status: Some(status.as_u16()), request_id: header_request_id, ..Upstream::default() };
        return Some((Refusal::Redirect(to), Box::new(upstream)));
    }
    if api.old_generation() && status.is_success() {
        let answer: OldApiResponse = serde_json::from_slice(body).ok()?;
        if answer.errcode == 0 {
            return None;
        }
        let upstream = Upstream {
            http_status: Some(status.as_u16()),
            code: Some(answer.errcode.to_string()),
            message: answer.errmsg.clone(),
            request_id: header_request_id,
        };
        let refusal = match answer.errcode {
            40001 | 40014 | 42001 => Refusal::TokenInvalid,
            90018 => Refusal::Throttled,
            60011 => Refusal::PermissionDenied(vec![api.scope().to_string()]),
            60020 => Refusal::IpNotAllowed,
            // "System busy": nothing was done.
            -1 => Refusal::Server,
            _ => Refusal::Other,
        };
        return Some((refusal, Box::new(upstream)));
    }
    if status.is_success() {
        return None;
    }
    let parsed: Option<NewApiError> = serde_json::from_slice(body).ok();
    let is_json = parsed.is_some();
    let err = parsed.unwrap_or_default();
    let code = err.code.clone().unwrap_or_default();
    // A page from a gateway or proxy: say which status, not the page.
    let message = err.message.clone().or_else(|| Some(status.canonical_reason().unwrap_or("error").to_string()));
    let upstream = Upstream {
        http_status: Some(status.as_u16()),
        code: err.code.clone(),
        message: message.clone(),
        request_id: err.requestid.clone().or(header_request_id),
    };
    let mentions_robot = code.to_ascii_lowercase().contains("robot")
        || message.as_deref().is_some_and(|m| m.to_ascii_lowercase().contains("robot") || m.contains("机器人"));
    let refusal = if code == "InvalidAuthentication" {
        Refusal::TokenInvalid
    } else if code.contains("QpsLimit") || code.contains("QpmLimit") {
        Refusal::Throttled
    } else if code.contains("PermissionDenied") {
        let scopes = err.accessdenieddetail.map(|d| d.required_scopes).unwrap_or_default();
        Refusal::PermissionDenied(if scopes.is_empty() { vec![api.scope().to_string()] } else { scopes })
    } else if code.contains("IpNotInWhiteList") {
        Refusal::IpNotAllowed
    } else if let Some((kind, field)) = rejection(api, status, &code, message.as_deref()) {
        Refusal::Rejected(kind, field)
    } else if status.is_server_error() {
        Refusal::Server
    } else if api.is_robot() && mentions_robot {
        Refusal::RobotCode
    } else if api.takes_credentials()
        && (is_credentials_code(&code) || (api == Api::StreamOpen && matches!(status.as_u16(), 401 | 403)))
    {
        Refusal::Credentials
    } else if status.is_client_error() && (!is_json || status == StatusCode::NOT_FOUND) {
        Refusal::WrongEndpoint
    } else {
        Refusal::Other
    };
    Some((refusal, Box::new(upstream)))
}

#[cfg(test)]
mod tests {
    use super::super::token::token_lifetime;
    use super::*;
    use crate::wire::{BatchSendResponse, TokenResponse};
    use tokio::time::Instant;

    fn answer(status: u16, body: &[u8], location: Option<&str>) -> Answer {
        Answer {
            status: StatusCode::from_u16(status).unwrap(),
            body: Bytes::copy_from_slice(body),
            request_id: None,
            location: location.map(str::to_string),
        }
    }

    fn refusal(api: Api, status: u16, body: &str) -> Option<Refusal> {
        classify(api, &answer(status, body.as_bytes(), None)).map(|r| r.0)
    }

    #[test]
    fn classifies_dingtalk_answers() {
        assert!(refusal(Api::BatchSend, 200, "{}").is_none());
        assert!(matches!(
            refusal(Api::CardCreate, 400, r#"{"code":"param.cardTemplateId.invalid","message":"x"}"#),
            Some(Refusal::Rejected(Rejection::UnknownTemplate, "cardTemplateId"))
        ));
        assert!(matches!(
            refusal(Api::CardCreate, 403, r#"{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied"}"#),
            Some(Refusal::PermissionDenied(s)) if s == ["Card.Instance.Write"]
        ));
        assert!(matches!(
            refusal(Api::BatchSend, 400, r#"{"code":"InvalidAuthentication"}"#),
            Some(Refusal::TokenInvalid)
        ));
        assert!(matches!(
            refusal(Api::BatchSend, 403, r#"{"code":"Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"}"#),
            Some(Refusal::Throttled)
        ));
        assert!(matches!(
            refusal(
                Api::BatchSend,
                403,
                r#"{"code":"Forbidden.AccessDenied.AccessTokenPermissionDenied","accessdenieddetail":{"requiredScopes":["qyapi_robot_sendmsg"]}}"#
            ),
            Some(Refusal::PermissionDenied(s)) if s == ["qyapi_robot_sendmsg"]
        ));
        assert!(matches!(
            refusal(Api::Token, 403, r#"{"code":"Forbidden.AccessDenied.IpNotInWhiteList"}"#),
            Some(Refusal::IpNotAllowed)
        ));
        assert!(matches!(refusal(Api::BatchSend, 502, "<html>bad gateway</html>"), Some(Refusal::Server)));
        assert!(matches!(
            refusal(Api::BatchSend, 400, r#"{"code":"resource.not.found","message":"robot 不存在"}"#),
            Some(Refusal::RobotCode)
        ));
        assert!(matches!(refusal(Api::MediaUpload, 200, r#"{"errcode":90018}"#), Some(Refusal::Throttled)));
        assert!(matches!(refusal(Api::MediaUpload, 200, r#"{"errcode":42001}"#), Some(Refusal::TokenInvalid)));
        assert!(refusal(Api::MediaUpload, 200, r#"{"errcode":0,"media_id":"m"}"#).is_none());
        // getbymobile: errcode as a number or as text (a doc sample), its own permission.
        assert!(refusal(Api::GetByMobile, 200, r#"{"errcode":"0","result":{"userid":"u"}}"#).is_none());
        assert!(matches!(refusal(Api::GetByMobile, 200, r#"{"errcode":"90018"}"#), Some(Refusal::Throttled)));
        assert!(matches!(
            refusal(Api::GetByMobile, 200, r#"{"errcode":60011,"errmsg":"no"}"#),
            Some(Refusal::PermissionDenied(s)) if s == ["qyapi_get_member_by_mobile"]
        ));
        assert!(matches!(refusal(Api::GetByMobile, 200, r#"{"errcode":-1}"#), Some(Refusal::Server)));
        assert!(matches!(refusal(Api::GetByMobile, 200, r#"{"errcode":60121}"#), Some(Refusal::Other)));
    }

    fn rejected(api: Api, body: &str) -> Option<(Rejection, &'static str)> {
        match refusal(api, 400, body) {
            Some(Refusal::Rejected(kind, field)) => Some((kind, field)),
            _ => None,
        }
    }

    #[test]
    fn read_status_recall_and_group_refusals_name_their_input() {
        use Rejection::*;
        let key = r#"{"code":"invalid.processQueryKey","message":"无效的processQueryKey"}"#;
        assert_eq!(rejected(Api::ReadStatus, key), Some((UnknownKey, "processQueryKey")));
        assert_eq!(rejected(Api::BatchRecall, key), Some((UnknownKey, "processQueryKeys")));
        assert_eq!(rejected(Api::GroupRecall, key), Some((UnknownKey, "processQueryKeys")));
        assert_eq!(
            rejected(Api::ReadStatus, r#"{"code":"processQueryKey.expireTime"}"#),
            Some((KeyExpired, "processQueryKey"))
        );
        assert_eq!(
            rejected(Api::BatchRecall, r#"{"code":"robot.processQueryKey.expired"}"#),
            Some((KeyExpired, "processQueryKeys"))
        );
        for code in
            ["invalidParameter.robotCode", "invalidParameter.robotCode.empty", "invalidParameter.robotCode.notExsit"]
        {
            let body = format!(r#"{{"code":"{code}","message":"x"}}"#);
            assert_eq!(rejected(Api::GroupSend, &body), Some((RobotNotInGroup, "openConversationId")), "{code}");
            assert_eq!(rejected(Api::GroupRecall, &body), Some((RobotNotInGroup, "openConversationId")), "{code}");
        }
        assert_eq!(
            rejected(Api::GroupSend, r#"{"code":"whatever","message":"请检查机器人是否在群内"}"#),
            Some((RobotNotInGroup, "openConversationId"))
        );
        for code in ["invalid.openConversationId", "group.disbanded", "conversation.org.notMatch"] {
            let body = format!(r#"{{"code":"{code}","message":"x"}}"#);
            assert_eq!(rejected(Api::GroupSend, &body), Some((GroupNotFound, "openConversationId")), "{code}");
        }
        // The AppKey and the robot do not match: the robot code, not the group.
        assert!(matches!(
            refusal(
                Api::GroupSend,
                400,
                r#"{"code":"invalidParameter.robotCode.auth","message":"此应用appkey和机器人robotCode不匹配"}"#
            ),
            Some(Refusal::RobotCode)
        ));
        // Key codes mean nothing to a send, group codes nothing to a one-to-one call.
        assert_eq!(rejected(Api::BatchSend, key), None);
        assert_eq!(rejected(Api::BatchRecall, r#"{"code":"invalid.openConversationId"}"#), None);
        assert!(matches!(
            refusal(Api::ReadStatus, 400, r#"{"code":"invalidParameter.robotCode.invalid","message":"机器人不存在"}"#),
            Some(Refusal::RobotCode)
        ));
    }

    #[test]
    fn token_errors_blame_the_right_thing() {
        assert!(matches!(
            refusal(Api::Token, 400, r#"{"code":"invalidClientIdOrSecret"}"#),
            Some(Refusal::Credentials)
        ));
        assert!(matches!(
            refusal(Api::Token, 404, r#"{"code":"InvalidAction.NotFound","message":"Specified api is not found"}"#),
            Some(Refusal::WrongEndpoint)
        ));
        assert!(matches!(refusal(Api::Token, 404, "<html>Not Found</html>"), Some(Refusal::WrongEndpoint)));
        assert!(matches!(refusal(Api::Token, 403, "<html>blocked by proxy</html>"), Some(Refusal::WrongEndpoint)));
        assert!(matches!(refusal(Api::Token, 400, r#"{"code":"SomethingElse"}"#), Some(Refusal::Other)));
        assert!(matches!(refusal(Api::BatchSend, 400, r#"{"code":"invalidClientIdOrSecret"}"#), Some(Refusal::Other)));
    }

    #[test]
    fn a_redirect_is_a_refusal_naming_its_origin_only() {
        for status in [301, 302, 303, 307, 308] {
            for api in Api::ALL {
                let a = answer(status, b"", Some("http://user:pw@127.0.0.2:9/x?access_token=tok"));
                match classify(api, &a) {
                    Some((Refusal::Redirect(Some(to)), _)) => {
                        assert_eq!(to, "http://127.0.0.2:9");
                    }
                    other => panic!("{status} {api:?}: {other:?}"),
                }
            }
        }
    }

    proptest::proptest! {
        /// No answer, whatever its status and bytes, makes reading it panic.
        #[test]
        fn any_answer_is_read_without_panic(status in 100u16..=599, body in proptest::collection::vec(proptest::num::u8::ANY, 0..256), location in proptest::option::of(".{0,40}")) {
            for api in Api::ALL {
                let _ = classify(api, &answer(status, &body, location.as_deref()));
            }
            let _ = serde_json::from_slice::<TokenResponse>(&body).map(|t| token_lifetime(&t.expire_in));
            let _ = serde_json::from_slice::<BatchSendResponse>(&body);
            let _ = serde_json::from_slice::<OldApiResponse>(&body);
        }

        /// JSON-shaped answers (the likelier hostile ones) too, including huge and negative numbers.
        #[test]
        fn any_json_answer_is_read_without_panic(status in 200u16..=599, value in crate::any_json::any_json(ANSWER_WORDS)) {
            let body = value.to_string();
            for api in Api::ALL {
                let _ = classify(api, &answer(status, body.as_bytes(), None));
            }
            let _ = token_lifetime(&value);
            if let Ok(t) = serde_json::from_str::<TokenResponse>(&body) {
                let _ = Instant::now() + token_lifetime(&t.expire_in);
            }
        }
    }

    /// The keys and words of DingTalk's answers, for the arbitrary JSON.
    const ANSWER_WORDS: &[&str] = &["accessToken", "expireIn", "code", "errcode", "media_id"];
}
