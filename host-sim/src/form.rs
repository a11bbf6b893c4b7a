//! Drawing a manifest as a designer draws its forms, as text for `host-sim inspect`: per
//! action its title and description, a "Basic" and an "Advanced" tab of fields, and its
//! outputs; per field its label, `*` when required, name, type and bounds, default, choices
//! with their labels, when it is shown, and its help. Also [`mask_secrets`], for showing a
//! filled-in form without its secrets.
//!
//! `lang` is `"zh-CN"` or anything else for English, as in [`rpa_plugin_abi::Text::get`].

use std::fmt::Write;

use rpa_plugin_abi::{ActionSpec, FieldSpec, Manifest};
use serde_json::Value;

/// What a form shows instead of a secret's value.
pub const MASK: &str = "******";

/// The whole manifest: the plugin's name, then each action's form.
pub fn render_manifest(manifest: &Manifest, lang: &str) -> String {
    let zh = is_zh(lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  ({} {}, ABI {})",
        manifest.name.get(lang),
        manifest.id,
        manifest.version,
        manifest.abi_version
    );
    let _ = writeln!(
        out,
        "{}",
        if zh {
            format!("{} 个动作；* 表示必填。", manifest.actions.len())
        } else {
            format!("{} action(s); * marks a required field.", manifest.actions.len())
        }
    );
    for action in &manifest.actions {
        out.push('\n');
        out.push_str(&render_action(action, lang));
    }
    out
}

/// One action's form.
pub fn render_action(action: &ActionSpec, lang: &str) -> String {
    let zh = is_zh(lang);
    let mut out = String::new();
    let _ = writeln!(out, "=== {}  [{}]", action.title.get(lang), action.id);
    let _ = writeln!(out, "{}", action.description.get(lang));
    let tabs = [
        (if zh { "基本" } else { "Basic" }, &action.inputs.basic, true),
        (if zh { "高级" } else { "Advanced" }, &action.inputs.advanced, true),
        (if zh { "输出" } else { "Outputs" }, &action.outputs, false),
    ];
    for (title, fields, is_input) in tabs {
        let _ = writeln!(out, "\n  --- {title} ---");
        if fields.is_empty() {
            let _ = writeln!(out, "    {}", if zh { "（无）" } else { "(none)" });
        }
        for field in fields {
            render_field(&mut out, field, is_input, lang);
        }
    }
    out
}

fn render_field(out: &mut String, field: &FieldSpec, is_input: bool, lang: &str) {
    let zh = is_zh(lang);
    let mark = if is_input && field.required { '*' } else { ' ' };
    let _ = writeln!(out, "  {mark} {}  ({})", field.label.get(lang), field.name);
    let _ = writeln!(out, "      {}{}", if zh { "类型：" } else { "type: " }, describe_schema(&field.schema, lang));
    if field.is_secret() {
        let _ = writeln!(
            out,
            "      {}",
            if zh {
                format!("保密：显示为 {MASK}，不会被记录")
            } else {
                format!("secret: shown as {MASK}, never logged")
            }
        );
    }
    if let Some(default) = field.default_value() {
        let _ = writeln!(out, "      {}{}", if zh { "默认值：" } else { "default: " }, default);
    }
    if !field.choices.is_empty() {
        let choices: Vec<String> =
            field.choices.iter().map(|c| format!("{} = {}", plain(&c.value), c.label.get(lang))).collect();
        let _ = writeln!(out, "      {}{}", if zh { "可选值：" } else { "choices: " }, choices.join(" | "));
    } else if let Some(Value::Array(options)) = field.schema.get("enum") {
        let options: Vec<String> = options.iter().map(plain).collect();
        let _ = writeln!(out, "      {}{}", if zh { "可选值：" } else { "choices: " }, options.join(" | "));
    }
    if let Some(conditions) = &field.visible_when {
        let parts: Vec<String> = conditions
            .iter()
            .map(|(other, values)| {
                let values: Vec<String> = values.iter().map(plain).collect();
                if zh {
                    format!("{other} 为 {}", values.join(" 或 "))
                } else {
                    format!("{other} is {}", values.join(" or "))
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "      {}",
            if zh {
                format!("仅当 {} 时显示", parts.join(" 且 "))
            } else {
                format!("shown when {}", parts.join(" and "))
            }
        );
    }
    let help = field.help.get(lang);
    if !help.is_empty() {
        let _ = writeln!(out, "      {help}");
    }
}

/// A schema in a few words: its type(s), format, item type and bounds.
pub fn describe_schema(schema: &Value, lang: &str) -> String {
    let zh = is_zh(lang);
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut text = if types.is_empty() {
        if zh { "任意".to_string() } else { "any".to_string() }
    } else {
        let names: Vec<String> = types.iter().map(|t| type_name(t, schema, zh)).collect();
        names.join(if zh { "或" } else { " or " })
    };
    if let Some(format) = schema.get("format").and_then(Value::as_str) {
        let _ = write!(text, " ({format})");
    }
    if let Some(kind) = schema.get("x-rpa-type").and_then(Value::as_str) {
        let _ = write!(text, " ({kind})");
    }
    let bound = |key: &str| schema.get(key).filter(|v| v.is_number()).map(Value::to_string);
    let unit_items = if zh { " 项" } else { " items" };
    let unit_chars = if zh { " 个字符" } else { " characters" };
    for (min, max, unit) in
        [("minItems", "maxItems", unit_items), ("minLength", "maxLength", unit_chars), ("minimum", "maximum", "")]
    {
        let range = match (bound(min), bound(max)) {
            (Some(lo), Some(hi)) => format!("{lo}–{hi}{unit}"),
            (Some(lo), None) if zh => format!("至少 {lo}{unit}"),
            (Some(lo), None) => format!("at least {lo}{unit}"),
            (None, Some(hi)) if zh => format!("最多 {hi}{unit}"),
            (None, Some(hi)) => format!("at most {hi}{unit}"),
            (None, None) => continue,
        };
        let _ = write!(text, "{}{range}", if zh { "，" } else { ", " });
    }
    text
}

fn type_name(ty: &str, schema: &Value, zh: bool) -> String {
    let base = |t: &str| -> String {
        match (t, zh) {
            ("string", false) => "string".into(),
            ("string", true) => "字符串".into(),
            ("integer", false) => "integer".into(),
            ("integer", true) => "整数".into(),
            ("number", false) => "number".into(),
            ("number", true) => "数字".into(),
            ("boolean", false) => "true/false".into(),
            ("boolean", true) => "布尔值".into(),
            ("object", false) => "object".into(),
            ("object", true) => "对象".into(),
            ("array", false) => "list".into(),
            ("array", true) => "列表".into(),
            (other, _) => other.into(),
        }
    };
    let item = schema.get("items").and_then(|i| i.get("type")).and_then(Value::as_str);
    match (ty, item) {
        ("array", Some(item)) if zh => format!("{}列表", base(item)),
        ("array", Some(item)) => format!("list of {}", base(item)),
        _ => base(ty),
    }
}

/// A copy of `params` with the value of every secret (write-only) field of `spec` replaced
/// by [`MASK`], for logs and screens. Null and empty values stay as they are, so that one can
/// still see whether a secret was given.
pub fn mask_secrets(spec: &ActionSpec, params: &Value) -> Value {
    let Value::Object(map) = params else { return params.clone() };
    let masked = map
        .iter()
        .map(|(name, value)| {
            let secret = spec.input(name).is_some_and(FieldSpec::is_secret);
            let empty = value.is_null() || value.as_str().is_some_and(str::is_empty);
            let shown = if secret && !empty { Value::String(MASK.to_string()) } else { value.clone() };
            (name.clone(), shown)
        })
        .collect();
    Value::Object(masked)
}

fn is_zh(lang: &str) -> bool {
    lang == "zh-CN"
}

/// A value as a form shows it: strings without quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest() -> Manifest {
        serde_json::from_value(json!({
            "id": "demo", "version": "1.2.3", "abiVersion": 1, "name": {"zh-CN": "演示", "en": "Demo"},
            "actions": [{
                "id": "demo.send",
                "title": {"zh-CN": "发送消息", "en": "Send message"},
                "description": {"zh-CN": "发送一条消息。", "en": "Sends one message."},
                "inputs": {
                    "basic": [
                        {"name": "secret", "label": {"zh-CN": "密钥", "en": "Secret"}, "help": {"zh-CN": "不会显示。", "en": "Never shown."},
                         "required": true, "schema": {"type": "string", "format": "password", "writeOnly": true, "minLength": 1, "maxLength": 64}},
                        {"name": "userIds", "label": {"zh-CN": "用户ID列表", "en": "User IDs"}, "help": {"zh-CN": "列表形式。", "en": "As a list."},
                         "required": true, "schema": {"type": ["array", "string"], "items": {"type": "string"}, "minItems": 1, "maxItems": 20}},
                        {"name": "msgType", "label": {"zh-CN": "消息模板", "en": "Template"}, "help": {"zh-CN": "", "en": ""},
                         "required": true, "schema": {"type": "string", "enum": ["text", "markdown"], "default": "text"},
                         "choices": [{"value": "text", "label": {"zh-CN": "文本", "en": "Text"}},
                                     {"value": "markdown", "label": {"zh-CN": "Markdown", "en": "Markdown"}}]}
                    ],
                    "advanced": [
                        {"name": "title", "label": {"zh-CN": "消息标题", "en": "Title"}, "help": {"zh-CN": "仅 Markdown。", "en": "Markdown only."},
                         "required": false, "schema": {"type": "string"}, "visibleWhen": {"msgType": ["markdown"]}},
                        {"name": "timeoutSeconds", "label": {"zh-CN": "超时", "en": "Timeout"}, "help": {"zh-CN": "秒。", "en": "Seconds."},
                         "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 300, "default": 30}}
                    ]
                },
                "outputs": [
                    {"name": "invalidUserIds", "label": {"zh-CN": "无效用户ID", "en": "Invalid user IDs"}, "help": {"zh-CN": "请检查。", "en": "Check them."},
                     "required": true, "schema": {"type": "array", "items": {"type": "string"}}}
                ]
            }]
        }))
        .unwrap()
    }

    #[test]
    fn english_form() {
        let text = render_manifest(&manifest(), "en");
        for expected in [
            "Demo  (demo 1.2.3, ABI 1)",
            "=== Send message  [demo.send]",
            "Sends one message.",
            "--- Basic ---",
            "  * Secret  (secret)",
            "type: string (password), 1–64 characters",
            "secret: shown as ******",
            "  * User IDs  (userIds)",
            "type: list of string or string, 1–20 items",
            "default: \"text\"",
            "choices: text = Text | markdown = Markdown",
            "--- Advanced ---",
            "    Title  (title)",
            "shown when msgType is markdown",
            "type: integer, 1–300",
            "default: 30",
            "--- Outputs ---",
            "    Invalid user IDs  (invalidUserIds)",
            "Check them.",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn chinese_form() {
        let text = render_manifest(&manifest(), "zh-CN");
        for expected in [
            "演示  (demo 1.2.3, ABI 1)",
            "=== 发送消息  [demo.send]",
            "--- 基本 ---",
            "--- 高级 ---",
            "--- 输出 ---",
            "  * 用户ID列表  (userIds)",
            "类型：字符串列表或字符串，1–20 项",
            "可选值：text = 文本 | markdown = Markdown",
            "仅当 msgType 为 markdown 时显示",
            "默认值：30",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn secrets_are_masked() {
        let spec = &manifest().actions[0];
        let masked = mask_secrets(spec, &json!({"secret": "s3cr3t", "userIds": ["u1"], "extra": 1}));
        assert_eq!(masked, json!({"secret": MASK, "userIds": ["u1"], "extra": 1}));
        assert_eq!(mask_secrets(spec, &json!({"secret": ""})), json!({"secret": ""}));
        assert_eq!(mask_secrets(spec, &json!([1])), json!([1]));
    }
}
