//! Drawing a manifest as a designer draws its forms, as text for `host-sim inspect`: per
//! action its title and description, a "Basic" and an "Advanced" tab of fields, and its
//! outputs; per field its label, `*` when required, name, type and bounds, default, choices
//! with their labels, when it is shown, and its help. Also [`mask_secrets`], for showing a
//! filled-in form without its secrets.
//!
//! `lang` is `"zh-CN"` or anything else for English, as in [`rpa_plugin_abi::Text::get`].

use std::fmt::Write;

use rpa_plugin_abi::{ActionSpec, FieldSpec, Manifest, Text, text};
use serde_json::Value;

/// What a form shows instead of a secret's value.
pub const MASK: &str = "******";

/// The headings of an action's form: its two tabs and its outputs.
const TABS: [Text; 3] =
    [text!(en: "Basic", zh: "基本"), text!(en: "Advanced", zh: "高级"), text!(en: "Outputs", zh: "输出")];
/// What an empty tab shows.
const NONE: Text = text!(en: "(none)", zh: "（无）");
/// The captions of a field's lines.
const TAKES: Text = text!(en: "takes: ", zh: "取值：");
/// Joins alternatives (`string or list`), conditions (`a and b`) and bounds.
const VALUES_OR: Text = text!(en: " or ", zh: " 或 ");
const AND: Text = text!(en: " and ", zh: " 且 ");
/// Between the items of a list in a sentence.
const LIST: Text = text!(en: ", ", zh: "、");

/// The whole manifest: the plugin's name, then each action's form.
pub fn render_manifest(manifest: &Manifest, lang: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  ({} {}, ABI {})",
        manifest.name.get(lang),
        manifest.id,
        manifest.version,
        manifest.abi_version
    );
    let n = manifest.actions.len();
    let summary =
        text!(en: format!("{n} action(s); * marks a required field."), zh: format!("{n} 个动作；* 表示必填。"));
    let _ = writeln!(out, "{}", summary.get(lang));
    for action in &manifest.actions {
        out.push('\n');
        out.push_str(&render_action(action, lang));
    }
    out
}

/// One action's form.
pub(crate) fn render_action(action: &ActionSpec, lang: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "=== {}  [{}]", action.title.get(lang), action.id);
    let _ = writeln!(out, "{}", action.description.get(lang));
    let [basic, advanced, outputs] = &TABS;
    let tabs = [
        (basic, &action.inputs.basic, true),
        (advanced, &action.inputs.advanced, true),
        (outputs, &action.outputs, false),
    ];
    for (title, fields, is_input) in tabs {
        let _ = writeln!(out, "\n  --- {} ---", title.get(lang));
        if fields.is_empty() {
            let _ = writeln!(out, "    {}", NONE.get(lang));
        }
        for field in fields {
            render_field(&mut out, field, is_input, lang);
            if is_input {
                render_shown_per_choice(&mut out, action, field, lang);
            }
        }
    }
    for group in &action.inputs.at_least_one_of {
        let names = group.join(", ");
        let line =
            text!(en: format!("At least one of {names} must be filled in."), zh: format!("{names} 至少填写一项。"));
        let _ = writeln!(out, "\n  {}", line.get(lang));
    }
    out
}

/// Under a field that others' `visibleWhen` depends on (a template choice), which fields each
/// of its choices shows: a form for one choice holds the always-shown fields and these.
fn render_shown_per_choice(out: &mut String, action: &ActionSpec, field: &FieldSpec, lang: &str) {
    let dependent: Vec<&FieldSpec> =
        action.inputs.all().filter(|f| f.visible_when.as_ref().is_some_and(|w| w.contains_key(&field.name))).collect();
    if dependent.is_empty() {
        return;
    }
    let values: Vec<Value> = if field.choices.is_empty() {
        field.schema.get("enum").and_then(Value::as_array).cloned().unwrap_or_default()
    } else {
        field.choices.iter().map(|c| c.value.clone()).collect()
    };
    let caption = text!(en: "fields shown per choice:", zh: "各选项显示的字段：");
    let _ = writeln!(out, "      {}", caption.get(lang));
    for value in values {
        // Each field by its label, as the form shows it: 「标题」 in Chinese.
        let shown: Vec<String> = dependent
            .iter()
            .filter(|f| f.visible_when.as_ref().and_then(|w| w.get(&field.name)).is_some_and(|v| v.contains(&value)))
            .map(|f| text!(en: f.label.en.to_string(), zh: format!("「{}」", f.label.zh_cn)).get(lang).to_string())
            .collect();
        let shown = if shown.is_empty() { NONE.get(lang).to_string() } else { shown.join(LIST.get(lang)) };
        let _ = writeln!(out, "        {:<12} {shown}", plain(&value));
    }
}

fn render_field(out: &mut String, field: &FieldSpec, is_input: bool, lang: &str) {
    let mark = if is_input && field.required { '*' } else { ' ' };
    let _ = writeln!(out, "  {mark} {}  ({})", field.label.get(lang), field.name);
    let _ = writeln!(out, "      {}{}", TAKES.get(lang), field.takes().get(lang));
    if let Some(conditions) = &field.visible_when {
        let parts: Vec<String> = conditions
            .iter()
            .map(|(other, values)| {
                let values: Vec<String> = values.iter().map(plain).collect();
                let values = values.join(VALUES_OR.get(lang));
                text!(en: format!("{other} is {values}"), zh: format!("{other} 为 {values}")).get(lang).to_string()
            })
            .collect();
        let parts = parts.join(AND.get(lang));
        let shown = text!(en: format!("shown when {parts}"), zh: format!("仅当 {parts} 时显示"));
        let _ = writeln!(out, "      {}", shown.get(lang));
    }
    let help = field.help.get(lang);
    if !help.is_empty() {
        let _ = writeln!(out, "      {help}");
    }
}

/// How forms and their messages speak of a JSON Schema type.
pub(crate) struct TypeWords {
    /// What a message asks for (`a list`).
    pub(crate) wanted: Text,
    /// A value of the type, for hints (`["a", "b"]`).
    pub(crate) example: &'static str,
}

/// The words for the JSON Schema type `ty`; a type this host does not know is named as is.
pub(crate) fn type_words(ty: &str) -> TypeWords {
    let (wanted, example) = match ty {
        "string" => (text!(en: "text", zh: "文本"), "\"text\""),
        "integer" => (text!(en: "a whole number", zh: "整数"), "3"),
        "number" => (text!(en: "a number", zh: "数字"), "1.5"),
        "boolean" => (text!(en: "true or false", zh: "布尔值（true 或 false）"), "true"),
        "array" => (text!(en: "a list", zh: "列表"), "[\"a\", \"b\"]"),
        "object" => (text!(en: "an object", zh: "对象"), "\"${variable}\""),
        other => (text!(en: other.to_string(), zh: other.to_string()), "null"),
    };
    TypeWords { wanted, example }
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
    use crate::test_support::manifest;
    use serde_json::json;

    #[test]
    fn english_form() {
        let text = render_manifest(&manifest(), "en");
        for expected in [
            "Demo  (demo 1.2.3, ABI 1)",
            "=== Send message  [demo.send]",
            "Sends one message.",
            "--- Basic ---",
            "    Secret  (secret)",
            "takes: secret text (masked, never logged); at most 64 characters",
            "  * User IDs  (userIds)",
            "takes: a list, or text with one item per line or comma; at most 3 items",
            "takes: one of the choices; `text` (Text), `markdown` (Markdown); default `text`",
            "--- Advanced ---",
            "  * Title  (title)",
            "shown when msgType is markdown",
            "takes: a whole number; 1 to 300; default `30`",
            "--- Outputs ---",
            "    Invalid user IDs  (invalidUserIds)",
            "Check them.",
            "fields shown per choice:\n        text         (none)\n        markdown     Title\n",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("At least one of"), "no group, no line");
        let mut grouped = manifest();
        grouped.actions[0].inputs.at_least_one_of = vec![vec!["userIds".into(), "secret".into()]];
        assert!(render_manifest(&grouped, "en").contains("At least one of userIds, secret must be filled in."));
        assert!(render_manifest(&grouped, "zh-CN").contains("userIds, secret 至少填写一项。"));
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
            "取值：列表，或每行/每个逗号分隔一项的文本；最多 3 项",
            "取值：从选项中选择；`text`（文本）、`markdown`（Markdown）；默认 `text`",
            "仅当 msgType 为 markdown 时显示",
            "取值：整数；1 到 300；默认 `30`",
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
