//! The user guide's generated sections (`docs/guide.en.md`, `docs/guide.zh-CN.md`): every
//! action with every field, from the manifest; every error code, from
//! [`crate::error::codes_doc`]; which action needs which permission ([`permissions`]); and
//! the steps of the prose that name a label or a limit, so that every label, limit, type and
//! default the guide states comes from the code and only the prose around them is written by
//! hand. A test rewrites them with `UPDATE_GUIDE=1` and otherwise fails when a guide differs
//! from what the code says, as for `plugin.json`.

mod permissions;

use std::fmt::Write as _;

use rpa_plugin_abi::{ActionSpec, FieldSpec, Manifest, Text, text};

use crate::actions::{connect, connect_webhook, send, send_webhook, template};
use crate::error::codes_doc::CODE_DOCS;

/// The two guides: (file under `docs/`, language).
const GUIDES: [(&str, &str); 2] = [("guide.en.md", "en"), ("guide.zh-CN.md", "zh-CN")];

/// When a field shows, in words.
fn shown(f: &FieldSpec, lang: &str) -> String {
    let Some(when) = &f.visible_when else { return String::new() };
    let conditions: Vec<String> = when
        .iter()
        .map(|(other, values)| {
            let values: Vec<String> = values.iter().map(|v| format!("`{}`", v.as_str().unwrap_or_default())).collect();
            text!(
                en: format!("only when `{other}` is {}", values.join(" or ")),
                zh: format!("仅当 `{other}` 为 {} 时显示", values.join(" 或 "))
            )
            .get(lang)
            .to_string()
        })
        .collect();
    conditions.join(if lang == "zh-CN" { "；" } else { "; " })
}

/// `text` with the limits it names as `{NAME}` filled in from the code's constants and the
/// manifest's defaults.
fn fill(text: &str) -> String {
    let m = crate::manifest();
    let qps = schema_number(spec(&m, connect::ID, connect::QPS_LIMIT), "default");
    text.replace("{MAX_RECIPIENTS}", &send::MAX_RECIPIENTS.to_string())
        .replace("{BATCH_SIZE}", &send::BATCH_SIZE.to_string())
        .replace("{QPS_DEFAULT}", &qps.to_string())
}

/// An action of the manifest.
fn action<'m>(m: &'m Manifest, id: &str) -> &'m ActionSpec {
    m.actions.iter().find(|a| a.id == id).unwrap_or_else(|| panic!("no action {id}"))
}

/// An input's label, quoted as each language quotes a label: 「用户ID」, "User IDs".
fn input(m: &Manifest, id: &str, field: &str, lang: &str) -> String {
    let a = action(m, id);
    let f = a.inputs.basic.iter().chain(&a.inputs.advanced).find(|f| f.name == field);
    quoted_label(&f.unwrap_or_else(|| panic!("{id} has no input {field}")).label, lang)
}

/// An output's label, quoted.
fn output(m: &Manifest, id: &str, name: &str, lang: &str) -> String {
    let f = action(m, id).outputs.iter().find(|f| f.name == name);
    quoted_label(&f.unwrap_or_else(|| panic!("{id} has no output {name}")).label, lang)
}

/// A label in the quotes of its language.
fn quoted_label(label: &Text, lang: &str) -> String {
    if lang == "zh-CN" { format!("「{}」", label.zh_cn) } else { format!("\"{}\"", label.en) }
}

/// An action's title, quoted as the prose quotes an action.
fn title_of(m: &Manifest, id: &str, lang: &str) -> String {
    let t = action(m, id).title.get(lang);
    if lang == "zh-CN" { format!("“{t}”") } else { format!("\"{t}\"") }
}

/// §1.6's last step: where the user IDs go, and what becomes of unknown ones.
fn user_ids_section(m: &Manifest, lang: &str) -> String {
    let (ids, invalid) = (input(m, send::ID, send::USER_IDS, lang), output(m, send::ID, send::INVALID_USER_IDS, lang));
    let (max, batch, send) = (send::MAX_RECIPIENTS, send::BATCH_SIZE, title_of(m, send::ID, lang));
    text!(
        en: format!("3. Put the user IDs in {ids} of {send}: a list `[\"id1\",\"id2\"]`, or one per line, or separated by commas; at most {max} receivers a step, sent {batch} at a time.\n\nNote: a user ID is not the DingTalk ID (dingtalkId), nor the unionId; copy it without spaces. IDs DingTalk does not know come back in the output {invalid}.\n"),
        zh: format!("3. 把用户 ID 填到{send}的{ids}：可以写成列表 `[\"id1\",\"id2\"]`，也可以每行一个或用逗号分隔；每一步最多 {max} 个接收人，每 {batch} 人一批发送。\n\n注意：用户 ID 不是钉钉号（dingtalkId），也不是 unionId；复制时不要带空格。钉钉不认识的 ID 会出现在输出{invalid}中。\n")
    )
    .get(lang)
    .to_string()
}

/// §2's most common flow, step by step, in the forms' own words.
fn first_flow_section(m: &Manifest, lang: &str) -> String {
    let c = |f| input(m, connect::ID, f, lang);
    let s = |f| input(m, send::ID, f, lang);
    let o = |f| output(m, send::ID, f, lang);
    let (connect_title, send_title) = (title_of(m, connect::ID, lang), title_of(m, send::ID, lang));
    let robot_out = output(m, connect::ID, connect::ROBOT, lang);
    let (key, secret) = (c(connect::APP_KEY), c(connect::APP_SECRET));
    let (robot, ids, mobiles, template, content) =
        (s(send::ROBOT), s(send::USER_IDS), s(send::MOBILES), s(send::MSG_TYPE), s(send::CONTENT));
    let (invalid, throttled, unresolved) =
        (o(send::INVALID_USER_IDS), o(send::FLOW_CONTROLLED_USER_IDS), o(send::UNRESOLVED_MOBILES));
    text!(
        en: format!("1. Drag in {connect_title}, fill in {key} and {secret}, and name its output {robot_out} `bot`.\n2. Drag in {send_title}, set {robot} to `${{bot}}`, fill in {ids} (or {mobiles}), pick a {template} and write the {content}.\n3. Run. The outputs {invalid}, {throttled} and {unresolved} can be used by later steps.\n"),
        zh: format!("1. 拖入{connect_title}，填写{key}和{secret}，输出{robot_out}命名为 `bot`。\n2. 拖入{send_title}，{robot}选择 `${{bot}}`，填写{ids}（或{mobiles}），选择{template}，填写{content}。\n3. 运行。输出{invalid}、{throttled}和{unresolved}可以在后续步骤中使用。\n")
    )
    .get(lang)
    .to_string()
}

/// §3's limits of a message, from the code.
fn limits_section(m: &Manifest, lang: &str) -> String {
    let (hanzi, letters) = template::text_room();
    let (bytes, max, batch) = (send::MAX_MSG_PARAM_BYTES, send::MAX_RECIPIENTS, send::BATCH_SIZE);
    let content = input(m, send::ID, send::CONTENT, lang);
    text!(
        en: format!("- DingTalk takes at most {bytes} bytes of message once encoded. A text message's {content} holds at most {hanzi} Chinese characters (3 bytes each) or {letters} letters; Markdown, link and card messages hold a little less, as their title and other fields count too. A longer message is refused before anything is sent.\n- One send reaches at most {max} receivers (user IDs and mobile numbers together), {batch} at a time.\n"),
        zh: format!("- 钉钉每条消息编码后最多 {bytes} 字节。文本消息的{content}最多 {hanzi} 个汉字（每个汉字占 3 字节）或 {letters} 个字母；Markdown、链接和卡片消息的标题等内容也计入，能容纳的略少。超出时插件在发送前就会报错，不会发出任何内容。\n- 一次发送最多 {max} 个接收人（用户 ID 与手机号合计），每 {batch} 人一批。\n")
    )
    .get(lang)
    .to_string()
}

/// A field of an action.
fn spec<'m>(m: &'m Manifest, id: &str, name: &str) -> &'m FieldSpec {
    let a = action(m, id);
    a.inputs.basic.iter().chain(&a.inputs.advanced).find(|f| f.name == name).unwrap_or_else(|| panic!("{id}: {name}"))
}

/// A number of a field's schema (`default`, `maximum`...).
fn schema_number(f: &FieldSpec, key: &str) -> i64 {
    f.schema.get(key).and_then(serde_json::Value::as_i64).unwrap_or_else(|| panic!("{}: no {key}", f.name))
}

/// §5's troubleshooting paragraphs that name labels, defaults and limits.
fn faq_section(m: &Manifest, lang: &str) -> String {
    let qps = spec(m, connect::ID, connect::QPS_LIMIT);
    let (qps_label, qps_default) = (quoted_label(&qps.label, lang), schema_number(qps, "default"));
    let timeout = input(m, connect::ID, connect::TIMEOUT_SECONDS, lang);
    let title = spec(m, send::ID, send::TITLE);
    let title_label = quoted_label(&title.label, lang);
    let shown_for: Vec<String> = title
        .visible_when
        .iter()
        .flatten()
        .flat_map(|(field, values)| {
            let f = spec(m, send::ID, field);
            values
                .iter()
                .filter_map(move |v| f.choices.iter().find(|c| c.value == *v))
                .map(|c| c.label.get(lang).to_string())
        })
        .collect();
    let types = send::FILE_TYPES.join(if lang == "zh-CN" { "、" } else { ", " });
    let mb = send::MAX_FILE_BYTES / (1024 * 1024);
    let per_minute = schema_number(spec(m, connect_webhook::ID, connect_webhook::MESSAGES_PER_MINUTE), "maximum");
    let w = |f| input(m, connect_webhook::ID, f, lang);
    let (url, secret, keywords) =
        (w(connect_webhook::WEBHOOK_URL), w(connect_webhook::SECRET), w(connect_webhook::KEYWORDS));
    let (connect_hook, send_hook) = (title_of(m, connect_webhook::ID, lang), title_of(m, send_webhook::ID, lang));
    text!(
        en: format!(
            "**Throttling (`THROTTLED`).** DingTalk allows an app {qps_default} calls a second per API by default, which is the default of {qps_label} (qpsLimit) on the connection. The plugin waits about a second and retries, within {timeout}. If it still fails, lower {qps_label} or run fewer flows at once.\n\n\
            **Markdown line breaks.** In DingTalk's Markdown a single newline does not break the line: end the line with two spaces, or leave a blank line. {title_label} is used by the templates {} and shows in the chat list; left empty, the content's first line is used.\n\n\
            **Files.** The file template takes {types}, from 1 byte to {mb} MB. Zip other files first; an absolute path is safest.\n\n\
            **Custom (webhook) robots of a group.** In the group's settings add a \"Custom\" robot, choose \"Sign\" (加签) as its security setting and copy the secret that starts with `SEC`, then copy the webhook URL. A custom robot sends at most {per_minute} messages a minute; past that DingTalk blocks it for 10 minutes. Then use {connect_hook} ({url}, {secret}, and {keywords} if the robot has any) and {send_hook}. Signature errors (`SIGNATURE_MISMATCH`) usually mean a secret copied incompletely or a machine clock that is wrong (the message names the skew the plugin sees); `KEYWORD_MISSING` means the message holds none of the robot's security keywords. The plugin keeps within the {per_minute} a minute by itself.\n",
            shown_for.join(", ")
        ),
        zh: format!(
            "**提示限流（`THROTTLED`）。** 钉钉默认每个应用每个接口每秒最多 {qps_default} 次调用，这也是连接的{qps_label}（qpsLimit）的默认值。插件会自动等待约 1 秒后重试（在{timeout}之内）。若仍然失败，请调低{qps_label}，或减少同时运行的流程。\n\n\
            **Markdown 换行不生效。** 钉钉的 Markdown 中，单个换行不会另起一行：在行尾加两个空格再换行，或者空一行。{title_label}用于这些模板：{}；它显示在会话列表中，留空时取内容的第一行。\n\n\
            **文件发送失败。** 文件模板只支持 {types}，大小 1 字节到 {mb} MB。其他类型请先压缩成 zip。路径建议使用绝对路径。\n\n\
            **自定义机器人（群 Webhook）。** 在群设置中添加“自定义”机器人，安全设置选择“加签”并复制以 SEC 开头的密钥，复制 Webhook 地址。自定义机器人每分钟最多 {per_minute} 条消息，超过会被限流 10 分钟；然后使用{connect_hook}（填写{url}、{secret}，机器人设置了关键词时再填写{keywords}）和{send_hook}。加签失败（`SIGNATURE_MISMATCH`）多为密钥复制不全或电脑时间不准（错误信息会给出插件看到的时间差）；`KEYWORD_MISSING` 表示消息中没有机器人的任何安全关键词。插件会自动控制在每分钟 {per_minute} 条以内。\n",
            shown_for.join("、")
        )
    )
    .get(lang)
    .to_string()
}

/// A table cell: no line breaks or pipes.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The actions section: each action, its inputs (basic, then advanced) and its outputs.
fn actions_section(m: &Manifest, lang: &str) -> String {
    let h = |words: Text| words.get(lang).to_string();
    let mut out = String::new();
    for a in &m.actions {
        let _ = writeln!(out, "### {} (`{}`)\n\n{}\n", a.title.get(lang), a.id, a.description.get(lang));
        for (tab, fields) in [
            (h(text!(en: "Basic", zh: "常规")), &a.inputs.basic),
            (h(text!(en: "Advanced", zh: "高级")), &a.inputs.advanced),
        ] {
            if fields.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "{} — {}\n\n| {} | {} | {} | {} | {} |\n|---|---|---|---|---|",
                h(text!(en: "Inputs", zh: "输入")),
                tab,
                h(text!(en: "Field", zh: "字段")),
                h(text!(en: "Name", zh: "参数名")),
                h(text!(en: "Required", zh: "必填")),
                h(text!(en: "Takes", zh: "取值")),
                h(text!(en: "Help", zh: "说明")),
            );
            for f in fields.iter() {
                let required = if f.required { h(text!(en: "yes", zh: "是")) } else { h(text!(en: "no", zh: "否")) };
                let mut help = f.help.get(lang).to_string();
                let when = shown(f, lang);
                if !when.is_empty() {
                    help = format!("{help} ({when})");
                }
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} | {} |",
                    cell(f.label.get(lang)),
                    f.name,
                    required,
                    cell(f.takes().get(lang)),
                    cell(&help)
                );
            }
            out.push('\n');
        }
        out.push_str(&outputs_of(a, lang));
    }
    out
}

/// The outputs of an action: a table, or a sentence when it has none (a table with only a
/// header says nothing).
fn outputs_of(a: &ActionSpec, lang: &str) -> String {
    let h = |words: Text| words.get(lang).to_string();
    let mut out = format!("{}\n\n", h(text!(en: "Outputs", zh: "输出")));
    if a.outputs.is_empty() {
        let _ = writeln!(
            out,
            "{}\n",
            h(text!(
                en: "None: the step succeeds when the message was sent, and fails with an error otherwise.",
                zh: "无：消息发出即成功，否则以错误结束。"
            ))
        );
        return out;
    }
    let _ = writeln!(
        out,
        "| {} | {} | {} |\n|---|---|---|",
        h(text!(en: "Output", zh: "输出项")),
        h(text!(en: "Name", zh: "参数名")),
        h(text!(en: "Help", zh: "说明"))
    );
    for f in &a.outputs {
        let _ = writeln!(out, "| {} | `{}` | {} |", cell(f.label.get(lang)), f.name, cell(f.help.get(lang)));
    }
    out.push('\n');
    out
}

/// The error section: every code with its meaning, causes, fix and DingTalk's codes.
fn errors_section(lang: &str) -> String {
    let h = |words: Text| words.get(lang).to_string();
    let mut out = String::new();
    for d in &CODE_DOCS {
        let colon = if lang == "zh-CN" { "：" } else { ": " };
        let _ = writeln!(out, "#### `{}`\n\n{}\n", d.code, fill(d.meaning.get(lang)));
        let _ =
            writeln!(out, "- **{}**{colon}{}", h(text!(en: "Usual causes", zh: "常见原因")), fill(d.causes.get(lang)));
        let _ = writeln!(out, "- **{}**{colon}{}", h(text!(en: "What to do", zh: "处理方法")), fill(d.fix.get(lang)));
        if !d.dingtalk.en.is_empty() {
            let _ = writeln!(
                out,
                "- **{}**{colon}{}",
                h(text!(en: "DingTalk's codes", zh: "对应的钉钉错误码")),
                d.dingtalk.get(lang)
            );
        }
        out.push('\n');
    }
    out
}

/// `doc` with the text between `<!-- BEGIN GENERATED: name -->` and
/// `<!-- END GENERATED: name -->` replaced by `body`.
fn splice(doc: &str, name: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- BEGIN GENERATED: {name} -->\n");
    let end = format!("<!-- END GENERATED: {name} -->");
    let start = doc.find(&begin)? + begin.len();
    let stop = doc[start..].find(&end)? + start;
    Some(format!("{}{}{}", &doc[..start], body, &doc[stop..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every label the Chinese guide quotes as a label (「…」) is one a form shows.
    #[test]
    fn the_chinese_guide_quotes_only_labels_that_exist() {
        let m = crate::manifest();
        let labels: Vec<&str> = m
            .actions
            .iter()
            .flat_map(|a| {
                a.inputs
                    .basic
                    .iter()
                    .chain(&a.inputs.advanced)
                    .map(|f| &f.label)
                    .chain(a.outputs.iter().map(|o| &o.label))
            })
            .map(|l| l.zh_cn.as_ref())
            .collect();
        let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/guide.zh-CN.md")).unwrap();
        let quoted: Vec<&str> =
            guide.split('「').skip(1).filter_map(|rest| rest.split_once('」').map(|(label, _)| label)).collect();
        assert!(quoted.len() > 10, "{quoted:?}");
        for label in quoted {
            assert!(labels.contains(&label), "the guide quotes 「{label}」, which no form shows");
        }
    }

    /// The guides' generated sections are what the manifest and the error definitions say.
    /// Regenerate with `UPDATE_GUIDE=1 cargo test -p dingtalk-robot guide`.
    #[test]
    fn the_guides_are_generated_from_the_manifest_and_the_errors() {
        let manifest = crate::manifest();
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        for (file, lang) in GUIDES {
            let path = docs.join(file);
            let doc = std::fs::read_to_string(&path).unwrap_or_default();
            let generated = splice(&doc, "actions", &actions_section(&manifest, lang))
                .and_then(|d| splice(&d, "errors", &errors_section(lang)))
                .and_then(|d| splice(&d, "permissions", &permissions::section(&manifest, lang)))
                .and_then(|d| splice(&d, "user-ids", &user_ids_section(&manifest, lang)))
                .and_then(|d| splice(&d, "first-flow", &first_flow_section(&manifest, lang)))
                .and_then(|d| splice(&d, "limits", &limits_section(&manifest, lang)))
                .and_then(|d| splice(&d, "faq", &faq_section(&manifest, lang)))
                .unwrap_or_else(|| panic!("{file} lacks the GENERATED markers"));
            if std::env::var_os("UPDATE_GUIDE").is_some() {
                std::fs::write(&path, &generated).unwrap();
                continue;
            }
            assert!(
                doc == generated,
                "docs/{file} differs from the manifest or the error definitions; run: UPDATE_GUIDE=1 cargo test -p dingtalk-robot guide"
            );
            for d in &CODE_DOCS {
                assert!(doc.contains(&format!("`{}`", d.code)), "{file} lacks {}", d.code);
            }
            for hole in ["{MAX_RECIPIENTS}", "{BATCH_SIZE}", "{QPS_DEFAULT}"] {
                assert!(!doc.contains(hole), "{file}: {hole} was not filled in");
            }
        }
    }
}
