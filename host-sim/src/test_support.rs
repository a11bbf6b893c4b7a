//! The demo action the unit tests of the form ([`crate::form`]) and of its check
//! ([`crate::validate`]) share: every kind of field a form draws and checks.

use rpa_plugin_abi::{ActionSpec, Manifest};
use serde_json::json;

/// `demo.send`: a robot object, a user-ID list of 1 to 3 (as a list or text), a choice with
/// labels, a short text, a title shown only for Markdown, a bounded integer with a default,
/// a number, a boolean and an optional secret.
pub(crate) fn action() -> ActionSpec {
    serde_json::from_value(json!({
        "id": "demo.send",
        "title": {"zh-CN": "发送消息", "en": "Send message"},
        "description": {"zh-CN": "发送一条消息。", "en": "Sends one message."},
        "inputs": {
            "basic": [
                {"name": "robot", "label": {"zh-CN": "机器人", "en": "Robot"}, "help": {"zh-CN": "机器人对象", "en": "The robot object"},
                 "required": true, "schema": {"type": "object", "required": ["type", "id"],
                    "properties": {"type": {"const": "dingtalk.robot"}, "id": {"type": "string"}}}},
                {"name": "userIds", "label": {"zh-CN": "用户ID列表", "en": "User IDs"}, "help": {"zh-CN": "列表", "en": "A list"},
                 "required": true, "schema": {"type": ["array", "string"], "items": {"type": "string", "minLength": 1}, "minItems": 1, "maxItems": 3}},
                {"name": "msgType", "label": {"zh-CN": "消息模板", "en": "Template"}, "help": {"zh-CN": "模板", "en": "Template"},
                 "required": true, "schema": {"type": "string", "enum": ["text", "markdown"], "default": "text"},
                 "choices": [{"value": "text", "label": {"zh-CN": "文本", "en": "Text"}}, {"value": "markdown", "label": {"zh-CN": "Markdown", "en": "Markdown"}}]},
                {"name": "content", "label": {"zh-CN": "消息内容", "en": "Content"}, "help": {"zh-CN": "要发送的内容", "en": "What to send"},
                 "required": true, "schema": {"type": "string", "maxLength": 10}}
            ],
            "advanced": [
                {"name": "title", "label": {"zh-CN": "标题", "en": "Title"}, "help": {"zh-CN": "仅 Markdown。", "en": "Markdown only."},
                 "required": true, "schema": {"type": "string"}, "visibleWhen": {"msgType": ["markdown"]}},
                {"name": "timeoutSeconds", "label": {"zh-CN": "超时", "en": "Timeout"}, "help": {"zh-CN": "秒", "en": "Seconds"},
                 "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 300, "default": 30}},
                {"name": "ratio", "label": {"zh-CN": "比例", "en": "Ratio"}, "help": {"zh-CN": "比例", "en": "Ratio"},
                 "required": false, "schema": {"type": "number", "exclusiveMinimum": 0}},
                {"name": "verbose", "label": {"zh-CN": "详细", "en": "Verbose"}, "help": {"zh-CN": "详细", "en": "Verbose"},
                 "required": false, "schema": {"type": "boolean"}},
                {"name": "secret", "label": {"zh-CN": "密钥", "en": "Secret"}, "help": {"zh-CN": "不会显示。", "en": "Never shown."},
                 "required": false, "schema": {"type": "string", "format": "password", "writeOnly": true, "minLength": 1, "maxLength": 64}}
            ]
        },
        "outputs": [
            {"name": "invalidUserIds", "label": {"zh-CN": "无效用户ID", "en": "Invalid user IDs"}, "help": {"zh-CN": "请检查。", "en": "Check them."},
             "required": true, "schema": {"type": "array", "items": {"type": "string"}}}
        ]
    }))
    .unwrap_or_else(|e| panic!("the demo action parses: {e}"))
}

/// A manifest of [`action`] alone.
pub(crate) fn manifest() -> Manifest {
    Manifest {
        id: "demo".into(),
        version: "1.2.3".into(),
        abi_version: rpa_plugin_abi::ABI_VERSION,
        name: rpa_plugin_abi::text!(en: "Demo", zh: "演示"),
        actions: vec![action()],
    }
}
