//! Checking a step's params the way a designer's form does before it lets a flow run.
//!
//! Each field's value is first put in the shape its kind declares by
//! [`FieldSpec::normalize`] (the rule the plugin follows too), then checked against the
//! field's JSON Schema 2020-12 fragment by the `jsonschema` crate. This module decides only
//! what a form decides (unknown names, required fields, fields hidden by `visibleWhen`, blank
//! values) and turns the validator's findings into bilingual messages that name the field
//! and say what to do.
//!
//! Fields hidden by `visibleWhen` are not required (the form does not show them), and an
//! optional field that is `null` or blank counts as not filled in.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use rpa_plugin_abi::{ActionSpec, ErrorPayload, FieldSpec, Manifest, Text, text};
use serde_json::{Map, Value};

use crate::codes;
use crate::form::{MASK, type_words};

/// Joins alternatives (`a list or a string`).
const OR: Text = text!(en: " or ", zh: "或");
/// Joins the items of a list (`"text", "markdown"`).
const LIST: Text = text!(en: ", ", zh: "、");

/// The hint for an object that lacks a property: objects come whole from earlier steps.
const PASS_WHOLE_OBJECT: Text = text!(
    en: "Pass the whole object that the earlier step output, e.g. \"${variable}\".",
    zh: "请传入前面步骤输出的完整对象，例如 \"${变量}\"。",
);

/// How many compiled schemas are kept for reuse; beyond it, schemas are compiled per check.
const CACHED_SCHEMAS: usize = 1024;

/// Checks `params` (which must be a JSON object) against `spec`'s input fields and returns
/// them as the form holds them: each known field's value [normalized](FieldSpec::normalize).
///
/// The first problem found is returned as an [`codes::INVALID_INPUT`] error naming the
/// `field`, with a message and hint in English and Chinese. Unknown names are reported first
/// (with a "did you mean" hint), then the fields in form order.
pub fn validate_params(spec: &ActionSpec, params: Value) -> Result<Value, ErrorPayload> {
    validate_with(spec, params, None)
}

/// The compiled validators of one manifest's input fields, each compiled on first use and
/// kept as long as the manifest: a loaded plugin keeps one beside its manifest, so that a
/// flow run finds its fields' validators without a lookup (a form is checked on every run).
pub struct Validators {
    /// Per action of the manifest, in order: per input field, in form order.
    actions: Vec<Vec<OnceLock<Arc<Validator>>>>,
}

impl Validators {
    /// Empty slots for every input field of `manifest`.
    pub fn new(manifest: &Manifest) -> Self {
        let actions = manifest.actions.iter().map(|a| a.inputs.all().map(|_| OnceLock::new()).collect()).collect();
        Validators { actions }
    }

    /// The slots of `spec`, which must be one of `manifest`'s actions (the manifest these
    /// validators were made for); `None` for any other.
    fn of(&self, manifest: &Manifest, spec: &ActionSpec) -> Option<&[OnceLock<Arc<Validator>>]> {
        let index = manifest.actions.iter().position(|a| std::ptr::eq(a, spec))?;
        self.actions.get(index).map(Vec::as_slice)
    }
}

/// [`validate_params`] for one of a loaded plugin's own actions: its validators come from
/// `validators` (made for `manifest`, which holds `spec`).
pub(crate) fn validate_step(
    manifest: &Manifest,
    validators: Option<&Validators>,
    spec: &ActionSpec,
    params: Value,
) -> Result<Value, ErrorPayload> {
    validate_with(spec, params, validators.and_then(|v| v.of(manifest, spec)))
}

/// [`validate_params`], finding each field's validator in `slots` (one per input field, in
/// form order) when given, else in this thread's cache.
fn validate_with(
    spec: &ActionSpec,
    params: Value,
    slots: Option<&[OnceLock<Arc<Validator>>]>,
) -> Result<Value, ErrorPayload> {
    let Value::Object(given) = params else {
        let kind = rpa_plugin_abi::typed::kind_of(&params);
        return Err(invalid(
            None,
            text!(
                en: format!("The params of {} must be a JSON object, got {}", spec.id, kind.en),
                zh: format!("{} 的参数必须是 JSON 对象，实际是{}", spec.id, kind.zh_cn),
            ),
            text!(en: "Write the params as {\"field\": value, ...}.", zh: "参数的格式为 {\"字段\": 值, ...}。"),
        ));
    };
    if let Some(name) = given.keys().find(|name| spec.input(name).is_none()) {
        return Err(unknown_param(spec, name));
    }
    let mut params = given;
    for (name, value) in &mut params {
        if let Some(field) = spec.input(name) {
            *value = field.normalize(std::mem::take(value));
        }
    }
    for (index, field) in spec.inputs.all().enumerate() {
        match params.get(&field.name).filter(|v| FieldSpec::is_filled(v)) {
            Some(v) => check_field(field, v, slots.and_then(|s| s.get(index)))?,
            // Left out: its default applies (the plugin reads the same), if it has one.
            None if field.required && field.value_or_default(None).is_none() && is_visible(field, &params, spec) => {
                return Err(required(field));
            }
            None => {}
        }
    }
    for group in &spec.inputs.at_least_one_of {
        let fields: Vec<&FieldSpec> = group.iter().filter_map(|name| spec.input(name)).collect();
        let filled = |f: &&FieldSpec| {
            let empty = match params.get(&f.name) {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.trim().is_empty(),
                Some(Value::Array(items)) => items.is_empty(),
                Some(_) => false,
            };
            !empty && is_visible(f, &params, spec)
        };
        if !fields.is_empty() && !fields.iter().any(filled) {
            return Err(none_of(&fields));
        }
    }
    Ok(Value::Object(params))
}

/// Checks every field's schema in `manifest` (inputs and outputs) against the JSON Schema
/// 2020-12 meta-schema. The first invalid one is described as
/// `action <id>, field <name>: <why>`.
pub fn check_schemas(manifest: &Manifest) -> Result<(), String> {
    for action in &manifest.actions {
        for field in action.inputs.all().chain(&action.outputs) {
            if let Err(e) = jsonschema::draft202012::meta::validate(&field.schema) {
                return Err(format!(
                    "action {}, field {}: its schema is not valid JSON Schema 2020-12 ({e} at {})",
                    action.id,
                    field.name,
                    e.instance_path()
                ));
            }
        }
    }
    Ok(())
}

/// The candidate `name` was most likely meant to be: equal ignoring case, or else within two
/// edits of it (optimal string alignment distance, ignoring case) for names of at least four
/// characters.
pub(crate) fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = name.to_lowercase();
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(same) = candidates.iter().find(|c| c.to_lowercase() == wanted) {
        return Some(same);
    }
    if name.chars().count() < 4 {
        return None;
    }
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(&wanted, &c.to_lowercase()), c))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// Whether the form shows `field` given the other params (or their defaults); the studio's
/// form check follows the same rule.
pub(crate) fn is_visible(field: &FieldSpec, params: &Map<String, Value>, spec: &ActionSpec) -> bool {
    let Some(conditions) = &field.visible_when else { return true };
    conditions.iter().all(|(other, allowed)| {
        let current =
            params.get(other).filter(|v| !v.is_null()).or_else(|| spec.input(other).and_then(FieldSpec::default_value));
        current.is_some_and(|v| allowed.contains(v))
    })
}

/// The compiled validator of a schema, kept for reuse (flows run the same forms many times).
///
/// Keyed by where the schema lives (a loaded plugin's manifest stays put) and checked for
/// equality on every hit, so a schema at an address that was reused is compiled afresh. Each
/// thread keeps its own, so that threads running flows at once never wait for each other
/// here (a schema is compiled once per thread that uses it).
fn validator_for(schema: &Value) -> Result<Arc<Validator>, ValidationError<'static>> {
    thread_local! {
        static CACHE: RefCell<HashMap<usize, (Value, Arc<Validator>)>> = RefCell::new(HashMap::new());
    }
    let key = schema as *const Value as usize;
    let hit = CACHE.with_borrow(|cache| cache.get(&key).filter(|c| c.0 == *schema).map(|c| Arc::clone(&c.1)));
    if let Some(validator) = hit {
        return Ok(validator);
    }
    // Formats are annotations in 2020-12 unless a host opts in; this host does not, like
    // most designers: the plugin judges URLs and the like itself.
    let validator = Arc::new(jsonschema::draft202012::options().should_validate_formats(false).build(schema)?);
    CACHE.with_borrow_mut(|cache| {
        if cache.len() < CACHED_SCHEMAS || cache.contains_key(&key) {
            cache.insert(key, (schema.clone(), Arc::clone(&validator)));
        }
    });
    Ok(validator)
}

/// Checks one filled-in field against its schema, with the validator kept in `slot` when
/// given (compiled into it on first use), else with [`validator_for`].
fn check_field(field: &FieldSpec, value: &Value, slot: Option<&OnceLock<Arc<Validator>>>) -> Result<(), ErrorPayload> {
    // Borrowed, not cloned: threads checking the same field at once would otherwise all
    // write to the one reference count.
    let compiled;
    let validator: &Validator = match slot.and_then(OnceLock::get) {
        Some(validator) => validator,
        None => {
            compiled = validator_for(&field.schema).map_err(|e| broken_schema(field, &e))?;
            if let Some(slot) = slot {
                let _ = slot.set(compiled.clone());
            }
            &compiled
        }
    };
    if validator.is_valid(value) {
        return Ok(());
    }
    let mut errors: Vec<ValidationError<'_>> = validator.iter_errors(value).collect();
    // The outermost problem first, and of those the most basic (the type before the bounds).
    errors.sort_by_key(|e| (e.instance_path().iter().count(), priority(e.kind())));
    match errors.first() {
        None => Ok(()),
        Some(error) => {
            let (message, hint) = describe(field, error);
            Err(invalid(Some(&field.name), message, hint))
        }
    }
}

/// The order in which problems at the same place are reported.
fn priority(kind: &ValidationErrorKind) -> u8 {
    match kind {
        ValidationErrorKind::Type { .. } => 0,
        ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. } => 1,
        ValidationErrorKind::Required { .. } => 2,
        ValidationErrorKind::MinItems { .. }
        | ValidationErrorKind::MaxItems { .. }
        | ValidationErrorKind::MinLength { .. }
        | ValidationErrorKind::MaxLength { .. } => 3,
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. } => 4,
        _ => 5,
    }
}

/// What the form says about one of the validator's findings: the message and the hint.
fn describe(field: &FieldSpec, error: &ValidationError<'_>) -> (Text, Text) {
    let subject = subject_at(field, error);
    let value = error.instance().as_ref();
    let shown = || if field.is_secret() { MASK.to_string() } else { short(value) };
    match error.kind() {
        ValidationErrorKind::Type { .. } => {
            // The keyword's own operand: a type name or a list of them.
            let allowed: Vec<&str> = match field.schema.pointer(error.schema_path().as_str()) {
                Some(Value::String(ty)) => vec![ty.as_str()],
                Some(Value::Array(types)) => types.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let wanted = join(allowed.iter().map(|ty| type_words(ty).wanted), &OR);
            let got = rpa_plugin_abi::typed::kind_of(value);
            let example = allowed.iter().map(|ty| type_words(ty).example).collect::<Vec<_>>().join(" / ");
            (
                text!(
                    en: format!("{} must be {}, got {}", subject.en, wanted.en, got.en),
                    zh: format!("{}必须是{}，实际是{}", subject.zh_cn, wanted.zh_cn, got.zh_cn),
                ),
                text!(en: format!("Enter a value such as {example}."), zh: format!("请填写形如 {example} 的值。")),
            )
        }
        ValidationErrorKind::Constant { expected_value } => (
            text!(
                en: format!("{} must be {expected_value}, got {}", subject.en, shown()),
                zh: format!("{}必须是 {expected_value}，实际是 {}", subject.zh_cn, shown()),
            ),
            text!(en: format!("Use the value {expected_value}."), zh: format!("请使用值 {expected_value}。")),
        ),
        ValidationErrorKind::Enum { options } => {
            let options = options.as_array().map(Vec::as_slice).unwrap_or_default();
            // Labels from the field's choices when this is the field's own value.
            let own = error.instance_path().as_str().is_empty();
            let choices = join(options.iter().map(|option| choice_words(field, option, own)), &LIST);
            let names = options.iter().filter_map(Value::as_str);
            let hint = match value.as_str().and_then(|typed| did_you_mean(typed, names)) {
                Some(meant) => text!(
                    en: format!("Did you mean \"{meant}\"? Choices are case-sensitive."),
                    zh: format!("是否应为 \"{meant}\"？可选值区分大小写。"),
                ),
                None => text!(
                    en: format!("Choose one of: {}.", choices.en),
                    zh: format!("请从以下选项中选择：{}。", choices.zh_cn),
                ),
            };
            (
                text!(
                    en: format!("{} must be one of {}; got {}", subject.en, choices.en, shown()),
                    zh: format!("{}必须是以下之一：{}；实际是 {}", subject.zh_cn, choices.zh_cn, shown()),
                ),
                hint,
            )
        }
        ValidationErrorKind::MinItems { limit } => {
            let n = value.as_array().map_or(0, Vec::len);
            (
                text!(
                    en: format!("{} has {n} item(s); at least {limit} are needed", subject.en),
                    zh: format!("{}有 {n} 项，至少需要 {limit} 项", subject.zh_cn),
                ),
                text!(
                    en: format!("Add at least {limit} item(s), as a list such as [\"a\", \"b\"]."),
                    zh: format!("请至少填写 {limit} 项，列表形式如 [\"a\", \"b\"]。"),
                ),
            )
        }
        ValidationErrorKind::MaxItems { limit } => {
            let n = value.as_array().map_or(0, Vec::len);
            let extra = (n as u64).saturating_sub(*limit);
            (
                text!(
                    en: format!("{} has {n} items; at most {limit} are allowed", subject.en),
                    zh: format!("{}有 {n} 项，最多允许 {limit} 项", subject.zh_cn),
                ),
                text!(
                    en: format!("Remove {extra} item(s), or split them over several steps."),
                    zh: format!("请删除 {extra} 项，或分成多个步骤。"),
                ),
            )
        }
        ValidationErrorKind::MinLength { limit } => {
            let n = value.as_str().map_or(0, |s| s.chars().count());
            (
                text!(
                    en: format!("{} is too short: {n} character(s), at least {limit}", subject.en),
                    zh: format!("{}太短：{n} 个字符，至少 {limit} 个", subject.zh_cn),
                ),
                text!(
                    en: format!("Enter at least {limit} character(s)."),
                    zh: format!("请至少输入 {limit} 个字符。"),
                ),
            )
        }
        ValidationErrorKind::MaxLength { limit } => {
            let n = value.as_str().map_or(0, |s| s.chars().count());
            (
                text!(
                    en: format!("{} is too long: {n} characters, at most {limit}", subject.en),
                    zh: format!("{}太长：{n} 个字符，最多 {limit} 个", subject.zh_cn),
                ),
                text!(
                    en: format!("Shorten it to {limit} characters or fewer."),
                    zh: format!("请缩短到 {limit} 个字符以内。"),
                ),
            )
        }
        ValidationErrorKind::Minimum { limit } => bound(&subject, value, limit, text!(en: "at least", zh: "不小于")),
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            bound(&subject, value, limit, text!(en: "greater than", zh: "大于"))
        }
        ValidationErrorKind::Maximum { limit } => bound(&subject, value, limit, text!(en: "at most", zh: "不大于")),
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            bound(&subject, value, limit, text!(en: "less than", zh: "小于"))
        }
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().map_or_else(|| property.to_string(), str::to_string);
            (
                text!(
                    en: format!("{} lacks property \"{property}\"", subject.en),
                    zh: format!("{}缺少属性 \"{property}\"", subject.zh_cn),
                ),
                PASS_WHOLE_OBJECT,
            )
        }
        ValidationErrorKind::Pattern { pattern } if pattern == rpa_plugin_abi::manifest::NO_SPACES => (
            text!(
                en: format!("{} must hold no spaces, got {}", subject.en, shown()),
                zh: format!("{}不能含空格，实际是 {}", subject.zh_cn, shown()),
            ),
            text!(
                en: "Remove the spaces, or split the value into separate items.",
                zh: "请去掉空格；如果是多个值，请分成多项填写。"
            ),
        ),
        _ => {
            // Any other keyword, in the validator's words (the value itself masked).
            let why = error.masked().to_string();
            (
                text!(
                    en: format!("{} is not valid: {why}", subject.en),
                    zh: format!("{}无效：{why}", subject.zh_cn),
                ),
                field.help.clone(),
            )
        }
    }
}

/// A number out of its bounds: `<subject> must be <op> <limit>, got <value>`.
fn bound(subject: &Text, value: &Value, limit: &Value, op: Text) -> (Text, Text) {
    (
        text!(
            en: format!("{} must be {} {limit}, got {value}", subject.en, op.en),
            zh: format!("{}必须{} {limit}，实际是 {value}", subject.zh_cn, op.zh_cn),
        ),
        text!(en: format!("Enter a number {} {limit}.", op.en), zh: format!("请输入{} {limit} 的数。", op.zh_cn)),
    )
}

/// What a finding is about: the field, or an item or property inside it.
fn subject_at(field: &FieldSpec, error: &ValidationError<'_>) -> Text {
    let whole = text!(
        en: format!("\"{}\" ({})", field.label.en, field.name),
        zh: format!("「{}」({})", field.label.zh_cn, field.name),
    );
    error.instance_path().iter().fold(whole, |subject, segment| match segment {
        LocationSegment::Index(index) => text!(
            en: format!("item {} of {}", index + 1, subject.en),
            zh: format!("{}的第 {} 项", subject.zh_cn, index + 1),
        ),
        LocationSegment::Property(name) => text!(
            en: format!("property \"{name}\" of {}", subject.en),
            zh: format!("{}的属性 \"{name}\"", subject.zh_cn),
        ),
    })
}

/// A choice as a message lists it: `"markdown" (Markdown)` with its label when the field
/// labels it and `labelled`, else the bare JSON value.
fn choice_words(field: &FieldSpec, option: &Value, labelled: bool) -> Text {
    match field.choices.iter().find(|c| labelled && &c.value == option) {
        Some(choice) => text!(
            en: format!("{option} ({})", choice.label.en),
            zh: format!("{option} ({})", choice.label.zh_cn),
        ),
        None => text!(en: option.to_string(), zh: option.to_string()),
    }
}

/// Texts joined in each language with that language's separator.
fn join(texts: impl Iterator<Item = Text>, separator: &Text) -> Text {
    let texts: Vec<Text> = texts.collect();
    text!(
        en: texts.iter().map(|t| t.en.as_ref()).collect::<Vec<_>>().join(&separator.en),
        zh: texts.iter().map(|t| t.zh_cn.as_ref()).collect::<Vec<_>>().join(&separator.zh_cn),
    )
}

/// A value quoted in a message, cut short.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text }
}

fn required(field: &FieldSpec) -> ErrorPayload {
    invalid(
        Some(&field.name),
        text!(
            en: format!("\"{}\" ({}) is required", field.label.en, field.name),
            zh: format!("「{}」({}) 为必填项", field.label.zh_cn, field.name),
        ),
        field.help.clone(),
    )
}

/// Every field of an "at least one of" group is empty: named by the first.
fn none_of(fields: &[&FieldSpec]) -> ErrorPayload {
    let en: Vec<String> = fields.iter().map(|f| format!("\"{}\" ({})", f.label.en, f.name)).collect();
    let zh: Vec<String> = fields.iter().map(|f| format!("「{}」({})", f.label.zh_cn, f.name)).collect();
    invalid(
        fields.first().map(|f| f.name.as_str()),
        text!(
            en: format!("Fill in at least one of {}", en.join(", ")),
            zh: format!("{} 至少填写一项", zh.join("、")),
        ),
        fields.first().map(|f| f.help.clone()).unwrap_or_default(),
    )
}

fn unknown_param(spec: &ActionSpec, name: &str) -> ErrorPayload {
    let names: Vec<&str> = spec.inputs.all().map(|f| f.name.as_str()).collect();
    let hint = match did_you_mean(name, names.iter().copied()) {
        Some(candidate) => text!(
            en: format!("Did you mean \"{candidate}\"? Parameter names are case-sensitive."),
            zh: format!("是否应为 \"{candidate}\"？参数名区分大小写。"),
        ),
        None => text!(
            en: format!("{} accepts: {}.", spec.id, names.join(", ")),
            zh: format!("{} 接受的参数：{}。", spec.id, names.join("、")),
        ),
    };
    invalid(
        Some(name),
        text!(
            en: format!("Unknown parameter \"{name}\" for {}", spec.id),
            zh: format!("{} 没有参数 \"{name}\"", spec.id),
        ),
        hint,
    )
}

/// A plugin whose schema the validator cannot compile: the plugin's fault, not the user's.
fn broken_schema(field: &FieldSpec, error: &ValidationError<'_>) -> ErrorPayload {
    ErrorPayload::bilingual(
        codes::INTERNAL,
        text!(
            en: format!("The plugin's schema for \"{}\" cannot be used: {error}", field.name),
            zh: format!("插件为「{}」声明的校验规则无法使用：{error}", field.name),
        ),
    )
    .with_field(&field.name)
    .with_bilingual_hint(text!(
        en: "This is a bug in the plugin; report it to its author with this message.",
        zh: "这是插件的缺陷，请把这条消息报告给插件作者。",
    ))
}

/// An [`codes::INVALID_INPUT`] error; a blank hint is left out.
fn invalid(field: Option<&str>, message: Text, hint: Text) -> ErrorPayload {
    let mut payload = ErrorPayload::bilingual(codes::INVALID_INPUT, message);
    if let Some(field) = field {
        payload = payload.with_field(field);
    }
    if !hint.is_incomplete() {
        payload = payload.with_bilingual_hint(hint);
    }
    payload
}
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> ActionSpec {
        crate::test_support::action()
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
        validate_params(&spec(), params).expect_err("should be invalid")
    }

    #[test]
    fn at_least_one_of_a_group_must_be_filled() {
        let mut spec = spec();
        spec.inputs.basic[1].required = false;
        spec.inputs.basic[1].schema.as_object_mut().unwrap().remove("minItems");
        let mut mobiles = spec.inputs.basic[1].clone();
        mobiles.name = "mobiles".into();
        mobiles.label = text!(en: "Mobiles", zh: "手机号");
        spec.inputs.basic.insert(2, mobiles);
        spec.inputs.at_least_one_of = vec![vec!["userIds".into(), "mobiles".into()]];
        for params in
            [without("userIds"), with("userIds", json!([])), with("userIds", json!(" ")), with("userIds", Value::Null)]
        {
            let e = validate_params(&spec, params.clone()).expect_err("neither is filled");
            assert_eq!(e.field.as_deref(), Some("userIds"), "{params}");
            assert!(e.message.contains("at least one of") && e.message.contains("(mobiles)"), "{}", e.message);
            assert!(e.message_in("zh-CN").contains("至少填写一项"), "{}", e.message_in("zh-CN"));
        }
        let mut only_mobiles = without("userIds");
        only_mobiles["mobiles"] = json!("13800000001");
        validate_params(&spec, only_mobiles).unwrap();
        validate_params(&spec, good()).unwrap();
    }

    #[test]
    fn an_item_with_a_space_is_refused_in_the_users_words() {
        let mut spec = spec();
        spec.inputs.basic[1].schema["items"]["pattern"] = json!(rpa_plugin_abi::manifest::NO_SPACES);
        let e = validate_params(&spec, with("userIds", json!(["u1", "u 2"]))).expect_err("a space inside an item");
        assert_eq!(e.field.as_deref(), Some("userIds"));
        assert!(e.message.contains("must hold no spaces") && !e.message.contains("^\\S+$"), "{}", e.message);
        assert!(e.message_in("zh-CN").contains("不能含空格"), "{}", e.message_in("zh-CN"));
    }

    #[test]
    fn accepts_a_good_form() {
        validate_params(&spec(), good()).unwrap();
        validate_params(&spec(), with("userIds", json!("u1,u2"))).unwrap();
        validate_params(&spec(), with("timeoutSeconds", json!(30.0))).unwrap();
        validate_params(&spec(), with("timeoutSeconds", Value::Null)).unwrap();
        validate_params(&spec(), with("verbose", json!(true))).unwrap();
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
        validate_params(&spec(), good()).unwrap();
        let e = err(with("msgType", json!("markdown")));
        assert_eq!(e.field.as_deref(), Some("title"));
        let mut params = with("msgType", json!("markdown"));
        params["title"] = json!("T");
        validate_params(&spec(), params).unwrap();
    }

    #[test]
    fn visibility_follows_the_default_of_the_controlling_field() {
        // msgType's default is "text", so with msgType absent the title is hidden; msgType
        // itself is satisfied by its default, even in this older manifest that marks it
        // required (and blank counts as absent).
        assert!(spec().input("msgType").is_some_and(|f| f.required && f.default_value().is_some()));
        validate_params(&spec(), without("msgType")).unwrap();
        validate_params(&spec(), with("msgType", json!(" "))).unwrap();
    }

    #[test]
    fn wrong_types() {
        let e = err(with("content", json!(5)));
        assert_eq!(e.field.as_deref(), Some("content"));
        assert!(e.message.contains("must be text, got a number"), "{}", e.message);
        let e = err(with("userIds", json!(5)));
        assert!(e.message.contains("a list or text"), "{}", e.message);
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
        validate_params(&spec(), with("content", json!("你好你好你好你好你好"))).unwrap();
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
    fn suggestions() {
        assert_eq!(did_you_mean("appkey", ["appKey", "appSecret"]), Some("appKey"));
        assert_eq!(did_you_mean("apSecert", ["appKey", "appSecret"]), Some("appSecret"));
        assert_eq!(did_you_mean("xyz", ["appKey"]), None);
        assert_eq!(did_you_mean("abc", ["abd"]), None, "names under four characters need the same letters");
        assert_eq!(did_you_mean("contentt", ["content", "contents"]), Some("content"));
    }

    #[test]
    fn values_are_checked_and_returned_as_the_field_kind_reads_them() {
        // The plugin accepts a whole number typed as text; so does the form.
        let params = validate_params(&spec(), with("timeoutSeconds", json!(" 20 "))).unwrap();
        assert_eq!(params["timeoutSeconds"], json!(20));
        let e = err(with("timeoutSeconds", json!("400")));
        assert!(e.message.contains("at most 300, got 400"), "{}", e.message);
        let e = err(with("timeoutSeconds", json!("soon")));
        assert!(e.message.contains("must be a whole number, got text"), "{}", e.message);
        // A list typed as text is a list, with each item checked.
        let params = validate_params(&spec(), with("userIds", json!("u1, u2"))).unwrap();
        assert_eq!(params["userIds"], json!(["u1", "u2"]));
        let e = err(with("userIds", json!("a,b,c,d")));
        assert!(e.message.contains("at most 3"), "{}", e.message);
        // Blank pieces of pasted text are skipped; a blank item of a real list is refused.
        let params = validate_params(&spec(), with("userIds", json!("a, ,b\n\n"))).unwrap();
        assert_eq!(params["userIds"], json!(["a", "b"]));
        let e = err(with("userIds", json!(["a", " ", "b"])));
        assert!(e.message.contains("item 2 of") && e.message.contains("too short"), "{}", e.message);
        // A choice must be typed exactly.
        let e = err(with("msgType", json!(" text ")));
        assert_eq!(e.field.as_deref(), Some("msgType"));
    }

    #[test]
    fn messages_in_chinese_name_the_field_by_its_label() {
        let e = err(with("userIds", json!(["a", "b", "c", "d"])));
        assert!(
            e.message_in("zh-CN").contains("「用户ID列表」(userIds)有 4 项，最多允许 3 项"),
            "{}",
            e.message_in("zh-CN")
        );
        assert_eq!(e.hint_in("zh-CN"), Some("请删除 1 项，或分成多个步骤。"));
        let e = err(with("userIds", json!(["a", 7])));
        assert!(e.message_in("zh-CN").contains("的第 2 项必须是文本"), "{}", e.message_in("zh-CN"));
    }

    #[test]
    fn a_schema_the_validator_cannot_use_is_the_plugins_fault() {
        let mut spec = spec();
        spec.inputs.basic[3].schema = json!({"type": "string", "pattern": "("});
        let e = validate_params(&spec, good()).expect_err("a broken schema");
        assert_eq!((e.code.as_str(), e.field.as_deref()), (codes::INTERNAL, Some("content")));
    }

    #[test]
    fn invalid_schemas_are_found_by_the_meta_schema() {
        let manifest = |schema: Value| -> Manifest {
            let mut action = spec();
            action.inputs.advanced[1].schema = schema;
            serde_json::from_value(json!({"id": "p", "version": "1.0.0", "abiVersion": 1,
                "name": {"zh-CN": "插件", "en": "Plugin"}, "actions": [action]}))
            .unwrap()
        };
        check_schemas(&manifest(json!({"type": "integer", "minimum": 1}))).unwrap();
        let e = check_schemas(&manifest(json!({"type": "whole number"}))).unwrap_err();
        assert!(e.contains("action demo.send, field timeoutSeconds"), "{e}");
        assert!(check_schemas(&manifest(json!({"type": "integer", "minimum": "1"}))).is_err());
        assert!(check_schemas(&manifest(json!({"maxItems": -1}))).is_err());
    }
}
