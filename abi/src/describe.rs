//! A field's schema in a person's words: what [`FieldSpec::takes`] says. The one place that
//! turns a schema into words, for every page that shows a form: the guides, `host-sim
//! inspect` and the studio (which gets them from its API).

use serde_json::Value;

use crate::{FieldSpec, Text, text};

impl FieldSpec {
    /// What the field takes, in words: its kind, bounds, choices and default, in both
    /// languages (e.g. "a whole number; 1 to 300; default `30`").
    ///
    /// ```
    /// use rpa_plugin_abi::FieldSpec;
    /// use serde_json::json;
    ///
    /// let field: FieldSpec = serde_json::from_value(json!({
    ///     "name": "timeoutSeconds", "label": {"en": "Timeout", "zh-CN": "超时"},
    ///     "help": {"en": "", "zh-CN": ""}, "required": false,
    ///     "schema": {"type": "integer", "minimum": 1, "maximum": 300, "default": 30}
    /// })).unwrap();
    /// assert_eq!(field.takes().en, "a whole number; 1 to 300; default `30`");
    /// assert_eq!(field.takes().zh_cn, "整数；1 到 300；默认 `30`");
    /// ```
    pub fn takes(&self) -> Text {
        let s = &self.schema;
        let num = |key: &str| s.get(key).and_then(Value::as_i64);
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let choices: Vec<(String, Text)> = if self.choices.is_empty() {
            let values = s.get("enum").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            values.iter().map(|v| (plain(v), Text::default())).collect()
        } else {
            self.choices.iter().map(|c| (plain(&c.value), c.label.clone())).collect()
        };
        let mut parts: Vec<Text> = Vec::new();
        parts.push(if self.is_secret() {
            text!(en: "secret text (masked, never logged)", zh: "密文（隐藏显示，不记录日志）")
        } else if !choices.is_empty() {
            text!(en: "one of the choices", zh: "从选项中选择")
        } else if types.contains(&"object") && s.get("x-rpa-type").is_some() {
            text!(en: "a robot object from a connect step", zh: "连接步骤输出的机器人对象")
        } else if types.contains(&"object") {
            text!(en: "an object", zh: "对象")
        } else if types.contains(&"array") {
            text!(en: "a list, or text with one item per line or comma", zh: "列表，或每行/每个逗号分隔一项的文本")
        } else if types.contains(&"integer") {
            text!(en: "a whole number", zh: "整数")
        } else if types.contains(&"number") {
            text!(en: "a number", zh: "数字")
        } else if types.contains(&"boolean") {
            text!(en: "yes or no (true/false)", zh: "是/否（true/false）")
        } else if s.get("format").and_then(Value::as_str) == Some("uri") {
            text!(en: "a URL", zh: "网址")
        } else {
            text!(en: "text", zh: "文本")
        });
        if let (Some(min), Some(max)) = (num("minimum"), num("maximum")) {
            parts.push(text!(en: format!("{min} to {max}"), zh: format!("{min} 到 {max}")));
        }
        if let Some(n) = num("maxItems") {
            parts.push(text!(en: format!("at most {n} items"), zh: format!("最多 {n} 项")));
        }
        if choices.is_empty()
            && let Some(n) = num("maxLength")
        {
            parts.push(text!(en: format!("at most {n} characters"), zh: format!("最多 {n} 个字符")));
        }
        if !choices.is_empty() {
            // Chinese text brackets a label with full-width parentheses.
            let shown = |value: &str, label: &str, (open, close): (&str, &str)| {
                if label.is_empty() { format!("`{value}`") } else { format!("`{value}`{open}{label}{close}") }
            };
            let en: Vec<String> = choices.iter().map(|(v, l)| shown(v, &l.en, (" (", ")"))).collect();
            let zh: Vec<String> = choices.iter().map(|(v, l)| shown(v, &l.zh_cn, ("（", "）"))).collect();
            parts.push(text!(en: en.join(", "), zh: zh.join("、")));
        }
        if let Some(d) = self.default_value() {
            let d = plain(d);
            parts.push(text!(en: format!("default `{d}`"), zh: format!("默认 `{d}`")));
        }
        text!(
            en: parts.iter().map(|p| p.en.as_ref()).collect::<Vec<_>>().join("; "),
            zh: parts.iter().map(|p| p.zh_cn.as_ref()).collect::<Vec<_>>().join("；")
        )
    }
}

/// A value as a page shows it: text without quotes.
fn plain(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_string)
}
