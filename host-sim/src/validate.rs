//! Checking a step's params the way a designer's form would before it lets a flow run:
//! unknown names, required fields, and each field's JSON Schema fragment (`type`, `enum`,
//! `const`, `minItems`/`maxItems`, `items`, `minimum`/`maximum`, `minLength`/`maxLength`,
//! and `properties`/`required` of objects).
//!
//! Fields hidden by `visibleWhen` are not required (the form does not show them), and an
//! optional field that is `null` or blank counts as not filled in.

use rpa_plugin_abi::error::Localized;
use rpa_plugin_abi::{ActionSpec, ErrorPayload, FieldSpec};
use serde_json::{Map, Value};

use crate::codes;

/// Checks `params` (which must be a JSON object) against `spec`'s input fields.
///
/// The first problem found is returned as an [`codes::INVALID_INPUT`] error naming the
/// `field`, with an English message and hint and the Chinese under `zh-CN`. Unknown names
/// are reported first (with a "did you mean" hint), then the fields in form order.
pub fn validate_params(spec: &ActionSpec, params: &Value) -> Result<(), ErrorPayload> {
    let Value::Object(params) = params else {
        return Err(problem(
            None,
            format!("The params of {} must be a JSON object, got {}", spec.id, kind_en(params)),
            "Write the params as {\"field\": value, ...}.".to_string(),
            format!("{} 的参数必须是 JSON 对象，实际是{}", spec.id, kind_zh(params)),
            "参数的格式为 {\"字段\": 值, ...}。".to_string(),
        ));
    };
    for name in params.keys() {
        if spec.input(name).is_none() {
            return Err(unknown_param(spec, name));
        }
    }
    for field in spec.inputs.all() {
        let value = params.get(&field.name).filter(|v| !v.is_null());
        let blank = value.and_then(Value::as_str).is_some_and(|s| s.trim().is_empty());
        match value {
            Some(v) if !blank => check_field(field, v)?,
            _ if field.required && is_visible(field, params, spec) => return Err(required(field)),
            _ => {}
        }
    }
    Ok(())
}

/// Whether the form shows `field` given the other params (or their defaults).
fn is_visible(field: &FieldSpec, params: &Map<String, Value>, spec: &ActionSpec) -> bool {
    let Some(conditions) = &field.visible_when else { return true };
    conditions.iter().all(|(other, allowed)| {
        let current =
            params.get(other).filter(|v| !v.is_null()).or_else(|| spec.input(other).and_then(FieldSpec::default_value));
        current.is_some_and(|v| allowed.contains(v))
    })
}

fn check_field(field: &FieldSpec, value: &Value) -> Result<(), ErrorPayload> {
    let subject = Subject {
        en: format!("\"{}\" ({})", field.label.en, field.name),
        zh: format!("「{}」({})", field.label.zh_cn, field.name),
    };
    check(&field.schema, value, &subject, field)
        .map_err(|p| problem(Some(&field.name), p.en, p.en_hint, p.zh, p.zh_hint))
}

/// What a message is about: a field, or an item or property inside one.
struct Subject {
    en: String,
    zh: String,
}

impl Subject {
    fn item(&self, index: usize) -> Subject {
        Subject { en: format!("item {} of {}", index + 1, self.en), zh: format!("{}的第 {} 项", self.zh, index + 1) }
    }

    fn property(&self, name: &str) -> Subject {
        Subject { en: format!("property \"{name}\" of {}", self.en), zh: format!("{}的属性 \"{name}\"", self.zh) }
    }
}

/// One problem, in both languages.
struct Problem {
    en: String,
    en_hint: String,
    zh: String,
    zh_hint: String,
}

fn check(schema: &Value, value: &Value, subject: &Subject, field: &FieldSpec) -> Result<(), Problem> {
    check_type(schema, value, subject)?;
    check_choices(schema, value, subject, field)?;
    match value {
        Value::Array(items) => check_array(schema, items, subject, field),
        Value::String(s) => check_string(schema, s, subject),
        Value::Number(_) => check_number(schema, value, subject),
        Value::Object(map) => check_object(schema, map, subject, field),
        Value::Bool(_) | Value::Null => Ok(()),
    }
}

fn check_type(schema: &Value, value: &Value, subject: &Subject) -> Result<(), Problem> {
    let allowed: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    if allowed.is_empty() || allowed.iter().any(|t| has_type(value, t)) {
        return Ok(());
    }
    let en_types = allowed.iter().map(|t| type_en(t)).collect::<Vec<_>>().join(" or ");
    let zh_types = allowed.iter().map(|t| type_zh(t)).collect::<Vec<_>>().join("或");
    let example = allowed.iter().map(|t| type_example(t)).collect::<Vec<_>>().join(" / ");
    Err(Problem {
        en: format!("{} must be {en_types}, got {}", subject.en, kind_en(value)),
        en_hint: format!("Enter a value such as {example}."),
        zh: format!("{}必须是{zh_types}，实际是{}", subject.zh, kind_zh(value)),
        zh_hint: format!("请填写形如 {example} 的值。"),
    })
}

fn check_choices(schema: &Value, value: &Value, subject: &Subject, field: &FieldSpec) -> Result<(), Problem> {
    if let Some(expected) = schema.get("const")
        && value != expected
    {
        return Err(Problem {
            en: format!("{} must be {expected}, got {}", subject.en, short(value)),
            en_hint: format!("Use the value {expected}."),
            zh: format!("{}必须是 {expected}，实际是 {}", subject.zh, short(value)),
            zh_hint: format!("请使用值 {expected}。"),
        });
    }
    let Some(Value::Array(options)) = schema.get("enum") else { return Ok(()) };
    if options.contains(value) {
        return Ok(());
    }
    // Labels from the field's choices when this is the field's own value.
    let label = |option: &Value, lang: &str| {
        field
            .choices
            .iter()
            .find(|c| &c.value == option)
            .map(|c| format!("{option} ({})", c.label.get(lang)))
            .unwrap_or_else(|| option.to_string())
    };
    let en_list = options.iter().map(|o| label(o, "en")).collect::<Vec<_>>().join(", ");
    let zh_list = options.iter().map(|o| label(o, "zh-CN")).collect::<Vec<_>>().join("、");
    let case_match = value
        .as_str()
        .and_then(|s| options.iter().filter_map(Value::as_str).find(|o| o.eq_ignore_ascii_case(s) && *o != s));
    let (en_hint, zh_hint) = match case_match {
        Some(o) => (
            format!("Did you mean \"{o}\"? Choices are case-sensitive."),
            format!("是否应为 \"{o}\"？可选值区分大小写。"),
        ),
        None => (format!("Choose one of: {en_list}."), format!("请从以下选项中选择：{zh_list}。")),
    };
    Err(Problem {
        en: format!("{} must be one of {en_list}; got {}", subject.en, short(value)),
        en_hint,
        zh: format!("{}必须是以下之一：{zh_list}；实际是 {}", subject.zh, short(value)),
        zh_hint,
    })
}

fn check_array(schema: &Value, items: &[Value], subject: &Subject, field: &FieldSpec) -> Result<(), Problem> {
    let n = items.len() as u64;
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
        && n < min
    {
        return Err(Problem {
            en: format!("{} has {n} item(s); at least {min} are needed", subject.en),
            en_hint: format!("Add at least {min} item(s), as a list such as [\"a\", \"b\"]."),
            zh: format!("{}有 {n} 项，至少需要 {min} 项", subject.zh),
            zh_hint: format!("请至少填写 {min} 项，列表形式如 [\"a\", \"b\"]。"),
        });
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64)
        && n > max
    {
        return Err(Problem {
            en: format!("{} has {n} items; at most {max} are allowed", subject.en),
            en_hint: format!("Remove {} item(s), or split them over several steps.", n - max),
            zh: format!("{}有 {n} 项，最多允许 {max} 项", subject.zh),
            zh_hint: format!("请删除 {} 项，或分成多个步骤。", n - max),
        });
    }
    if let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) {
        for (i, item) in items.iter().enumerate() {
            check(item_schema, item, &subject.item(i), field)?;
        }
    }
    Ok(())
}

fn check_string(schema: &Value, s: &str, subject: &Subject) -> Result<(), Problem> {
    let n = s.chars().count() as u64;
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && n < min
    {
        return Err(Problem {
            en: format!("{} is too short: {n} character(s), at least {min}", subject.en),
            en_hint: format!("Enter at least {min} character(s)."),
            zh: format!("{}太短：{n} 个字符，至少 {min} 个", subject.zh),
            zh_hint: format!("请至少输入 {min} 个字符。"),
        });
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && n > max
    {
        return Err(Problem {
            en: format!("{} is too long: {n} characters, at most {max}", subject.en),
            en_hint: format!("Shorten it to {max} characters or fewer."),
            zh: format!("{}太长：{n} 个字符，最多 {max} 个", subject.zh),
            zh_hint: format!("请缩短到 {max} 个字符以内。"),
        });
    }
    Ok(())
}

fn check_number(schema: &Value, value: &Value, subject: &Subject) -> Result<(), Problem> {
    let Some(x) = value.as_f64() else { return Ok(()) };
    let bound = |key: &str| schema.get(key).and_then(Value::as_f64);
    let too_small = bound("minimum")
        .filter(|&m| x < m)
        .map(|m| (m, false))
        .or_else(|| bound("exclusiveMinimum").filter(|&m| x <= m).map(|m| (m, true)));
    if let Some((m, exclusive)) = too_small {
        let (en_op, zh_op) = if exclusive { ("greater than", "大于") } else { ("at least", "不小于") };
        return Err(Problem {
            en: format!("{} must be {en_op} {}, got {value}", subject.en, number(m)),
            en_hint: format!("Enter a number {en_op} {}.", number(m)),
            zh: format!("{}必须{zh_op} {}，实际是 {value}", subject.zh, number(m)),
            zh_hint: format!("请输入{zh_op} {} 的数。", number(m)),
        });
    }
    let too_big = bound("maximum")
        .filter(|&m| x > m)
        .map(|m| (m, false))
        .or_else(|| bound("exclusiveMaximum").filter(|&m| x >= m).map(|m| (m, true)));
    if let Some((m, exclusive)) = too_big {
        let (en_op, zh_op) = if exclusive { ("less than", "小于") } else { ("at most", "不大于") };
        return Err(Problem {
            en: format!("{} must be {en_op} {}, got {value}", subject.en, number(m)),
            en_hint: format!("Enter a number {en_op} {}.", number(m)),
            zh: format!("{}必须{zh_op} {}，实际是 {value}", subject.zh, number(m)),
            zh_hint: format!("请输入{zh_op} {} 的数。", number(m)),
        });
    }
    Ok(())
}

fn check_object(schema: &Value, map: &Map<String, Value>, subject: &Subject, field: &FieldSpec) -> Result<(), Problem> {
    if let Some(Value::Array(required)) = schema.get("required") {
        for name in required.iter().filter_map(Value::as_str) {
            if !map.contains_key(name) {
                return Err(Problem {
                    en: format!("{} lacks property \"{name}\"", subject.en),
                    en_hint: "Pass the whole object that the earlier step output, e.g. \"${variable}\".".to_string(),
                    zh: format!("{}缺少属性 \"{name}\"", subject.zh),
                    zh_hint: "请传入前面步骤输出的完整对象，例如 \"${变量}\"。".to_string(),
                });
            }
        }
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        for (name, property_schema) in properties {
            if let Some(v) = map.get(name) {
                check(property_schema, v, &subject.property(name), field)?;
            }
        }
    }
    Ok(())
}

fn required(field: &FieldSpec) -> ErrorPayload {
    problem(
        Some(&field.name),
        format!("\"{}\" ({}) is required", field.label.en, field.name),
        field.help.en.to_string(),
        format!("「{}」({}) 为必填项", field.label.zh_cn, field.name),
        field.help.zh_cn.to_string(),
    )
}

fn unknown_param(spec: &ActionSpec, name: &str) -> ErrorPayload {
    let names: Vec<&str> = spec.inputs.all().map(|f| f.name.as_str()).collect();
    let (en_hint, zh_hint) = match did_you_mean(name, names.iter().copied()) {
        Some(candidate) => (
            format!("Did you mean \"{candidate}\"? Parameter names are case-sensitive."),
            format!("是否应为 \"{candidate}\"？参数名区分大小写。"),
        ),
        None => (
            format!("{} accepts: {}.", spec.id, names.join(", ")),
            format!("{} 接受的参数：{}。", spec.id, names.join("、")),
        ),
    };
    problem(
        Some(name),
        format!("Unknown parameter \"{name}\" for {}", spec.id),
        en_hint,
        format!("{} 没有参数 \"{name}\"", spec.id),
        zh_hint,
    )
}

/// The candidate `name` was most likely meant to be: equal ignoring case, or else within two
/// edits of it (for names of at least four characters).
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str> + Clone) -> Option<&'a str> {
    if let Some(c) = candidates.clone().find(|c| c.to_lowercase() == name.to_lowercase()) {
        return Some(c);
    }
    if name.chars().count() < 4 {
        return None;
    }
    candidates
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb { previous } else { 1 + previous.min(current).min(row[j]) };
            previous = current;
        }
    }
    row[b.len()]
}

fn problem(field: Option<&str>, en: String, en_hint: String, zh: String, zh_hint: String) -> ErrorPayload {
    let mut payload = ErrorPayload::new(codes::INVALID_INPUT, en);
    if let Some(field) = field {
        payload = payload.with_field(field);
    }
    if !en_hint.is_empty() {
        payload = payload.with_hint(en_hint);
    }
    payload.zh_cn = Some(Box::new(Localized { message: zh, hint: (!zh_hint.is_empty()).then_some(zh_hint) }));
    payload
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|x| x.fract() == 0.0),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        // A type this host does not know: let the plugin judge.
        _ => true,
    }
}

fn type_en(ty: &str) -> &str {
    match ty {
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "boolean" => "true or false",
        "array" => "a list",
        "object" => "an object",
        "null" => "null",
        other => other,
    }
}

fn type_zh(ty: &str) -> &str {
    match ty {
        "string" => "字符串",
        "integer" => "整数",
        "number" => "数字",
        "boolean" => "布尔值（true 或 false）",
        "array" => "列表",
        "object" => "对象",
        "null" => "null",
        other => other,
    }
}

fn type_example(ty: &str) -> &str {
    match ty {
        "string" => "\"text\"",
        "integer" => "3",
        "number" => "1.5",
        "boolean" => "true",
        "array" => "[\"a\", \"b\"]",
        "object" => "\"${variable}\"",
        _ => "null",
    }
}

fn kind_en(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn kind_zh(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "字符串",
        Value::Array(_) => "列表",
        Value::Object(_) => "对象",
    }
}

/// A value quoted in a message, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text }
}

/// A bound printed without a needless `.0`.
fn number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { x.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> ActionSpec {
        serde_json::from_value(json!({
            "id": "demo.send",
            "title": {"zh-CN": "发送", "en": "Send"},
            "description": {"zh-CN": "发送", "en": "Send"},
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
                    {"name": "title", "label": {"zh-CN": "标题", "en": "Title"}, "help": {"zh-CN": "标题", "en": "Title"},
                     "required": true, "schema": {"type": "string"}, "visibleWhen": {"msgType": ["markdown"]}},
                    {"name": "timeoutSeconds", "label": {"zh-CN": "超时", "en": "Timeout"}, "help": {"zh-CN": "秒", "en": "Seconds"},
                     "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 300}},
                    {"name": "ratio", "label": {"zh-CN": "比例", "en": "Ratio"}, "help": {"zh-CN": "比例", "en": "Ratio"},
                     "required": false, "schema": {"type": "number", "exclusiveMinimum": 0}},
                    {"name": "verbose", "label": {"zh-CN": "详细", "en": "Verbose"}, "help": {"zh-CN": "详细", "en": "Verbose"},
                     "required": false, "schema": {"type": "boolean"}}
                ]
            },
            "outputs": []
        }))
        .unwrap()
    }

    fn good() -> Value {
        json!({"robot": {"type": "dingtalk.robot", "id": "r1"}, "userIds": ["u1", "u2"], "msgType": "text", "content": "hi"})
    }

    fn with(key: &str, value: Value) -> Value {
        let mut params = good();
        params[key] = value;
        params
    }

    fn without(key: &str) -> Value {
        let mut params = good();
        params.as_object_mut().unwrap().remove(key);
        params
    }

    fn err(params: Value) -> ErrorPayload {
        validate_params(&spec(), &params).expect_err("should be invalid")
    }

    #[test]
    fn accepts_a_good_form() {
        validate_params(&spec(), &good()).unwrap();
        validate_params(&spec(), &with("userIds", json!("u1,u2"))).unwrap();
        validate_params(&spec(), &with("timeoutSeconds", json!(30.0))).unwrap();
        validate_params(&spec(), &with("timeoutSeconds", Value::Null)).unwrap();
        validate_params(&spec(), &with("verbose", json!(true))).unwrap();
    }

    #[test]
    fn missing_null_and_blank_required_fields() {
        for params in [without("content"), with("content", Value::Null), with("content", json!("  "))] {
            let e = err(params);
            assert_eq!(e.code, codes::INVALID_INPUT);
            assert_eq!(e.field.as_deref(), Some("content"));
            assert!(e.message.contains("required"), "{}", e.message);
            assert_eq!(e.hint.as_deref(), Some("What to send"));
            assert!(e.message_in("zh-CN").contains("必填"), "{}", e.message_in("zh-CN"));
            assert_eq!(e.hint_in("zh-CN"), Some("要发送的内容"));
        }
    }

    #[test]
    fn hidden_fields_are_not_required() {
        // `title` shows only for markdown.
        validate_params(&spec(), &good()).unwrap();
        let e = err(with("msgType", json!("markdown")));
        assert_eq!(e.field.as_deref(), Some("title"));
        let mut params = with("msgType", json!("markdown"));
        params["title"] = json!("T");
        validate_params(&spec(), &params).unwrap();
    }

    #[test]
    fn visibility_follows_the_default_of_the_controlling_field() {
        // msgType's default is "text", so with msgType absent the title is hidden, but
        // msgType itself is required.
        let e = err(without("msgType"));
        assert_eq!(e.field.as_deref(), Some("msgType"));
    }

    #[test]
    fn wrong_types() {
        let e = err(with("content", json!(5)));
        assert_eq!(e.field.as_deref(), Some("content"));
        assert!(e.message.contains("must be a string, got a number"), "{}", e.message);
        let e = err(with("userIds", json!(5)));
        assert!(e.message.contains("a list or a string"), "{}", e.message);
        let e = err(with("timeoutSeconds", json!(1.5)));
        assert!(e.message.contains("whole number"), "{}", e.message);
        let e = err(with("verbose", json!("yes")));
        assert_eq!(e.field.as_deref(), Some("verbose"));
        let e = err(with("robot", json!("r1")));
        assert!(e.message.contains("must be an object"), "{}", e.message);
    }

    #[test]
    fn choices_with_labels_and_case_hint() {
        let e = err(with("msgType", json!("html")));
        assert_eq!(e.field.as_deref(), Some("msgType"));
        assert!(e.message.contains(r#""text" (Text), "markdown" (Markdown)"#), "{}", e.message);
        assert!(e.message_in("zh-CN").contains(r#""text" (文本)"#), "{}", e.message_in("zh-CN"));
        let e = err(with("msgType", json!("Markdown")));
        assert!(e.hint.as_deref().unwrap_or_default().contains("Did you mean \"markdown\""), "{:?}", e.hint);
    }

    #[test]
    fn list_bounds_and_items() {
        let e = err(with("userIds", json!([])));
        assert!(e.message.contains("at least 1"), "{}", e.message);
        let e = err(with("userIds", json!(["a", "b", "c", "d"])));
        assert!(e.message.contains("at most 3"), "{}", e.message);
        assert_eq!(e.field.as_deref(), Some("userIds"));
        let e = err(with("userIds", json!(["a", 7])));
        assert!(e.message.contains("item 2 of"), "{}", e.message);
        let e = err(with("userIds", json!(["a", ""])));
        assert!(e.message.contains("too short"), "{}", e.message);
    }

    #[test]
    fn number_and_length_bounds() {
        let e = err(with("timeoutSeconds", json!(0)));
        assert!(e.message.contains("at least 1, got 0"), "{}", e.message);
        let e = err(with("timeoutSeconds", json!(301)));
        assert!(e.message.contains("at most 300"), "{}", e.message);
        let e = err(with("ratio", json!(0)));
        assert!(e.message.contains("greater than 0"), "{}", e.message);
        let e = err(with("content", json!("01234567890")));
        assert!(e.message.contains("too long: 11 characters, at most 10"), "{}", e.message);
        // Characters, not bytes.
        validate_params(&spec(), &with("content", json!("你好你好你好你好你好"))).unwrap();
    }

    #[test]
    fn object_shape() {
        let e = err(with("robot", json!({"type": "dingtalk.robot"})));
        assert!(e.message.contains("lacks property \"id\""), "{}", e.message);
        let e = err(with("robot", json!({"type": "other", "id": "x"})));
        assert!(e.message.contains("property \"type\" of"), "{}", e.message);
    }

    #[test]
    fn unknown_params_are_named_with_a_suggestion() {
        let e = err(with("UserIDs", json!(["a"])));
        assert_eq!(e.field.as_deref(), Some("UserIDs"));
        assert!(e.hint.as_deref().unwrap_or_default().contains("Did you mean \"userIds\""), "{:?}", e.hint);
        let e = err(with("contnet", json!("x")));
        assert!(e.hint.as_deref().unwrap_or_default().contains("\"content\""), "{:?}", e.hint);
        let e = err(with("zzz", json!("x")));
        assert!(e.hint.as_deref().unwrap_or_default().contains("accepts: robot, userIds"), "{:?}", e.hint);
    }

    #[test]
    fn params_must_be_an_object() {
        let e = err(json!([1]));
        assert_eq!(e.code, codes::INVALID_INPUT);
        assert_eq!(e.field, None);
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(did_you_mean("appkey", ["appKey", "appSecret"].into_iter()), Some("appKey"));
        assert_eq!(did_you_mean("xyz", ["appKey"].into_iter()), None);
    }
}
