//! The user guide's generated sections (`docs/guide.en.md`, `docs/guide.zh-CN.md`): every
//! action with every field, from the manifest, and every error code, from
//! [`crate::error::codes_doc`]. A test rewrites them with `UPDATE_GUIDE=1` and otherwise fails
//! when a guide differs from what the code says, as for `plugin.json`.

use std::fmt::Write as _;

use rpa_plugin_abi::{FieldSpec, Manifest, Text, text};

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
        let _ = writeln!(
            out,
            "{}\n\n| {} | {} | {} |\n|---|---|---|",
            h(text!(en: "Outputs", zh: "输出")),
            h(text!(en: "Output", zh: "输出项")),
            h(text!(en: "Name", zh: "参数名")),
            h(text!(en: "Help", zh: "说明"))
        );
        for f in &a.outputs {
            let _ = writeln!(out, "| {} | `{}` | {} |", cell(f.label.get(lang)), f.name, cell(f.help.get(lang)));
        }
        out.push('\n');
    }
    out
}

/// The error section: every code with its meaning, causes, fix and DingTalk's codes.
fn errors_section(lang: &str) -> String {
    let h = |words: Text| words.get(lang).to_string();
    let mut out = String::new();
    for d in &CODE_DOCS {
        let _ = writeln!(out, "#### `{}`\n\n{}\n", d.code, d.meaning.get(lang));
        let _ = writeln!(out, "- **{}**: {}", h(text!(en: "Usual causes", zh: "常见原因")), d.causes.get(lang));
        let _ = writeln!(out, "- **{}**: {}", h(text!(en: "What to do", zh: "处理方法")), d.fix.get(lang));
        if !d.dingtalk.is_empty() {
            let _ = writeln!(out, "- **{}**: {}", h(text!(en: "DingTalk's codes", zh: "对应的钉钉错误码")), d.dingtalk);
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
        }
    }
}
