//! `host-sim demo`: the whole product in one run, with no setup and no network.
//!
//! It starts the embedded [`dingtalk_emulator`] on 127.0.0.1 (an org with one flow-controlled
//! user and one user known by mobile number; the flow also names one unknown user), shows the
//! plugin's forms as a designer draws them, runs connect, then one message of every template
//! (text to three users, Markdown, a local file, a local image, a link, an action card, an
//! audio and a video, with media files it writes itself) and one text to a mobile number,
//! printing each step's inputs (secrets masked) and outputs, and ends with what the emulator
//! received. A second part runs the actions that follow a send: it sends a notice, has one
//! receiver read it in the emulator, queries the read status, recalls the notice, queries
//! again (RECALLED), posts to a group and looks user IDs up by mobile number. A third part
//! uses a group's custom robot: connect by its webhook URL and signing secret, and post a
//! Markdown message with @mentions to the group. A fourth part listens (Stream mode): it asks
//! staff02 for a PO number, waits for the answer the emulator gives as staff02 about a second
//! later, thanks them quoting it, and waits 2 s for someone who does not answer. A fifth part
//! asks: staff02 approves an order on an interactive card (同意 / 拒绝), which the emulator
//! clicks as staff02 about a second later; the flow confirms with the answer, then asks someone
//! silent with choice links for 2 s. It fails unless every step did what it should.
//!
//! Every line of the report, and the contents of the messages the flow sends, are in the
//! chosen language ([`Report`]). The demo is a list of parts ([`PARTS`]): each makes its steps
//! ([`Part`]) and runs them with its own checks; a new part is one more entry there, and
//! `host-sim demo --help` counts the steps from the same list ([`step_count`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig, GroupConfig, WebhookConfig};
use rpa_plugin_abi::{ErrorPayload, Text, codes, text};
use serde_json::{Map, Value, json};

use crate::flow::{Flow, FlowError, Step, run_flow_logging};
use crate::form::{mask_secrets, render_manifest};
use crate::host::{Host, LogLevel};
use crate::plugin::Plugin;

/// The demo org's app.
const APP_KEY: &str = "dingdemo7x1k2m3n";
/// Its secret, shown nowhere.
const APP_SECRET: &str = "demo-secret-kept-out-of-every-output";
/// The org's users; the last one receives too many robot messages and is flow-controlled.
const USERS: [&str; 4] = ["manager01", "staff02", "staff03", "busy04"];
/// A user ID that is not in the org (a typo, as users make).
const UNKNOWN_USER: &str = "manger01";
/// The mobile number of staff03 in the demo org.
const MOBILE: &str = "13800000003";
/// The demo org's group chat, with the app's robot in it.
const GROUP: &str = "cidDemoSalesTeam8Kx2==";
/// The interactive-card template of part five, as if made in the card platform.
const CARD_TEMPLATE: &str = "demo-approval-card.schema";
/// The demo group's custom robot: its webhook's access_token and signing secret, shown nowhere.
const WEBHOOK_TOKEN: &str = "demowebhooktoken9a8b7c6d5e4f3a2b1c0d";
const WEBHOOK_SECRET: &str = "SECdemo0signing0secret0kept0out0of0every0output";

/// The files the demo's steps send, written to a folder of their own and removed when dropped:
/// a document, and small but well-formed media (a 1x1 PNG, 1.5 s of AMR, a 3 s mp4 header).
struct DemoFiles {
    dir: PathBuf,
}

impl DemoFiles {
    const NAMES: [&'static str; 4] = ["季度报告 Q3.pdf", "chart.png", "voice-note.amr", "clip.mp4"];

    fn create() -> std::io::Result<DemoFiles> {
        let dir = std::env::temp_dir().join(format!("host-sim-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let files = DemoFiles { dir };
        let amr: Vec<u8> =
            b"#!AMR\n".iter().copied().chain((0..75).flat_map(|_| [0x3C].into_iter().chain([0; 31]))).collect();
        let contents: [Vec<u8>; 4] =
            [b"%PDF-1.4\n% host-sim demo report\n%%EOF\n".to_vec(), PNG.to_vec(), amr, mp4(1000, 3000)];
        for (name, bytes) in Self::NAMES.iter().zip(contents) {
            std::fs::write(files.dir.join(name), bytes)?;
        }
        Ok(files)
    }
}

/// The path of the demo's file `index` ([`DemoFiles::NAMES`]) in `dir`.
fn demo_file(dir: &Path, index: usize) -> String {
    dir.join(DemoFiles::NAMES[index]).to_string_lossy().into_owned()
}

impl Drop for DemoFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A 1x1 PNG.
const PNG: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// An mp4 whose movie header says `duration` units of `timescale` per second.
fn mp4(timescale: u32, duration: u32) -> Vec<u8> {
    let boxed = |kind: &[u8], body: &[u8]| -> Vec<u8> {
        let size = u32::try_from(body.len() + 8).unwrap_or(u32::MAX);
        size.to_be_bytes().iter().chain(kind).chain(body).copied().collect()
    };
    let mut mvhd = vec![0u8; 12];
    mvhd.extend_from_slice(&timescale.to_be_bytes());
    mvhd.extend_from_slice(&duration.to_be_bytes());
    mvhd.extend_from_slice(&[0, 1, 0, 0, 1, 0]);
    mvhd.extend_from_slice(&[0; 10]);
    for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend_from_slice(&m.to_be_bytes());
    }
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&2u32.to_be_bytes());
    let mut file = boxed(b"ftyp", b"isom\0\0\x02\0isommp41");
    file.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
    file.extend(boxed(b"mdat", &[0; 32]));
    file
}

/// The demo could not set itself up (step 0: not a step of the flow).
fn setup_error(what: Text, e: impl std::fmt::Display) -> FlowError {
    let error = ErrorPayload::bilingual(
        codes::INTERNAL,
        text!(en: format!("demo setup failed: {}: {e}", what.en), zh: format!("演示准备失败：{}：{e}", what.zh_cn)),
    );
    FlowError { step: 0, error }
}

/// A failure of the demo's own checks: a step or the emulator's record is not what it should
/// be (`step` 0: the part's final check).
fn check_failed(step: usize, what: Text) -> FlowError {
    let error = ErrorPayload::bilingual(
        codes::INTERNAL,
        text!(en: format!("the demo's check failed: {}", what.en), zh: format!("演示的核对未通过：{}", what.zh_cn)),
    );
    FlowError { step, error }
}

/// `want` in both languages: "expected {want}" / "应为 {want}".
fn expected_value(want: &Value) -> Text {
    text!(en: format!("expected {want}"), zh: format!("应为 {want}"))
}

/// A step of the flow as the demo builds it.
fn step(action: &str, params: Value, outputs: &[(&str, &str)]) -> Step {
    Step {
        action: action.to_string(),
        params: params.as_object().cloned().unwrap_or_default(),
        outputs: outputs.iter().map(|(o, v)| (o.to_string(), v.to_string())).collect(),
    }
}

/// One step of the demo: the title the report shows for it, and the step.
pub(crate) struct DemoStep {
    /// What the step does, in both languages.
    title: Text,
    /// The action and its form, as a designer fills it in.
    step: Step,
}

/// Where a run of the demo sends its steps and in which language it writes their messages:
/// each part makes its steps from it.
pub(crate) struct Setting<'a> {
    /// The emulator's base URL.
    url: String,
    /// The folder of the demo's files ([`DemoFiles`]).
    dir: PathBuf,
    /// The language of the report and of the messages' contents.
    lang: &'a str,
}

impl Setting<'_> {
    /// `words` in the demo's language, as a message's contents.
    fn say(&self, words: Text) -> String {
        words.get(self.lang).to_string()
    }
}

/// One part of the demo: its heading and its steps.
pub(crate) struct Part {
    /// What the part shows, in both languages (the report adds its number and step count).
    heading: Text,
    /// Its steps, in order.
    steps: Vec<DemoStep>,
}

/// A part of the demo: how it makes its steps, and how it runs them with its checks.
pub(crate) struct PartDef {
    /// Makes the part's steps for a run.
    pub(crate) steps: fn(&Setting<'_>) -> Part,
    /// Runs them (the steps of `steps`), checking what each step and the emulator did.
    pub(crate) run: fn(&mut Run<'_>, Part) -> Result<(), FlowError>,
}

/// The demo's parts, in the order they run.
pub(crate) const PARTS: &[PartDef] = &[
    PartDef { steps: every_template, run: run_every_template },
    PartDef { steps: after_the_send, run: run_after_the_send },
    PartDef { steps: custom_robot, run: run_custom_robot },
    PartDef { steps: listening, run: run_listening },
    PartDef { steps: asking, run: run_asking },
];

/// How many steps the demo runs in all, counted from [`PARTS`] (for `host-sim demo --help`).
pub(crate) fn step_count() -> usize {
    let setting = Setting { url: "http://127.0.0.1:1".into(), dir: PathBuf::new(), lang: "en" };
    PARTS.iter().map(|part| (part.steps)(&setting).steps.len()).sum()
}

/// The one-line help of `host-sim demo`, with the number of steps and parts of the demo.
pub(crate) fn about() -> String {
    format!(
        "Run the demo: the embedded DingTalk emulator, the forms, and a flow of {} steps in {} parts.",
        step_count(),
        PARTS.len()
    )
}

/// The demo's report: every line in the chosen language.
pub(crate) struct Report<'a> {
    out: &'a mut dyn Write,
    lang: &'a str,
}

impl Report<'_> {
    /// Writes `words` in the report's language as one line (or more, if it holds newlines).
    pub(crate) fn say(&mut self, words: Text) -> Result<(), FlowError> {
        self.line(words.get(self.lang))
    }

    /// Writes `text` as it is: data (JSON, the forms) that is already in the right language.
    pub(crate) fn line(&mut self, text: &str) -> Result<(), FlowError> {
        writeln!(self.out, "{text}")
            .map_err(|e| setup_error(text!(en: "cannot write the output", zh: "无法写出结果"), e))
    }
}

/// A run of the demo: the plugin, its host, the report, the emulator, the variables so far
/// and the number of the next step. Each part's `run` goes on from where the last stopped.
pub(crate) struct Run<'a> {
    plugin: &'a dyn Plugin,
    host: &'a dyn Host,
    /// Where the lines go, in the demo's language.
    pub(crate) report: Report<'a>,
    /// The embedded DingTalk: what it received, and the people who answer in it.
    pub(crate) emulator: &'a Emulator,
    /// The variables the steps so far output (`robot` from part one, among others).
    pub(crate) vars: Map<String, Value>,
    /// The number of the next step (1-based, across parts).
    pub(crate) next: usize,
    /// How many parts have started.
    parts: usize,
}

impl Run<'_> {
    /// Writes the heading of `part`: its number, what it shows, and its number of steps.
    pub(crate) fn start(&mut self, part: &Part) -> Result<(), FlowError> {
        self.parts += 1;
        let (k, n, heading) = (self.parts, part.steps.len(), &part.heading);
        self.report.say(text!(
            en: format!("\n=== Part {k}: {} ({n} steps)", heading.en),
            zh: format!("\n=== 第 {k} 部分：{}（共 {n} 步）", heading.zh_cn),
        ))
    }

    /// Runs `step` on its own, as a designer runs one, and shows it: its number, title and
    /// action, its inputs (secrets masked) and its outputs, which join the variables.
    /// Returns its number.
    pub(crate) fn step(&mut self, step: &DemoStep) -> Result<usize, FlowError> {
        let number = self.next;
        self.next += 1;
        let (title, action) = (&step.title, &step.step.action);
        self.report.say(text!(
            en: format!("\n--- Step {number}: {}  [{action}]", title.en),
            zh: format!("\n--- 步骤 {number}：{}  [{action}]", title.zh_cn),
        ))?;
        let (input, output) = (text!(en: "in  ", zh: "输入"), text!(en: "out ", zh: "输出"));
        if let Some(spec) = self.plugin.manifest().action(action) {
            let masked = mask_secrets(spec, &Value::Object(step.step.params.clone()));
            for (name, value) in masked.as_object().into_iter().flatten() {
                self.report.line(&format!("  {} {name:<22} {}", input.get(self.report.lang), pretty(value)))?;
            }
        }
        let flow = Flow { name: None, variables: Map::new(), steps: vec![step.step.clone()] };
        let vars = std::mem::take(&mut self.vars);
        self.vars = run_flow_logging(self.plugin, &flow, self.host, vars, self.report.lang, Some(LogLevel::Debug))
            .map_err(|e| FlowError { step: number, error: e.error })?;
        let missing = text!(en: "(missing)", zh: "（缺失）");
        for variable in step.step.outputs.values() {
            let shown = self.vars.get(variable).map_or_else(|| missing.get(self.report.lang).to_string(), pretty);
            self.report.line(&format!("  {} {variable:<22} {shown}", output.get(self.report.lang)))?;
        }
        Ok(number)
    }

    /// The variable `name`, or null.
    pub(crate) fn got(&self, name: &str) -> Value {
        self.vars.get(name).cloned().unwrap_or(Value::Null)
    }

    /// `words` in the report's language, for a text the demo's emulator sends as a person.
    pub(crate) fn report_words(&self, words: Text) -> String {
        words.get(self.report.lang).to_string()
    }
}

/// JSON on one line.
fn pretty(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Runs the demo against `plugin`, writing a readable report in `lang` to `out`.
pub(crate) fn run_demo(plugin: &dyn Plugin, lang: &str, host: &dyn Host, out: &mut dyn Write) -> Result<(), FlowError> {
    let config = EmulatorConfig {
        apps: vec![AppConfig::new(APP_KEY, APP_SECRET)],
        users: USERS.iter().map(|u| u.to_string()).collect(),
        flow_controlled: vec![USERS[3].to_string()],
        mobiles: vec![(MOBILE.to_string(), USERS[2].to_string())],
        groups: vec![GroupConfig::new(GROUP, [APP_KEY])],
        card_templates: vec![CARD_TEMPLATE.to_string()],
        webhooks: vec![
            WebhookConfig::new(WEBHOOK_TOKEN, "ops-alerts")
                .with_secret(WEBHOOK_SECRET)
                .with_keywords(["告警", "alert"]),
        ],
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config)
        .map_err(|e| setup_error(text!(en: "cannot start the emulator", zh: "无法启动模拟器"), e))?;
    let files = DemoFiles::create()
        .map_err(|e| setup_error(text!(en: "cannot write the demo files", zh: "无法写入演示文件"), e))?;
    let url = emulator.url();

    let mut report = Report { out, lang };
    report.say(text!(
        en: "=== host-sim demo: a DingTalk robot flow, run the way an RPA designer runs it",
        zh: "=== host-sim 演示：像 RPA 设计器一样运行一个钉钉机器人流程",
    ))?;
    report.say(text!(
        en: format!("DingTalk emulator listening on {url} (no internet needed)"),
        zh: format!("钉钉模拟器已在 {url} 上监听（无需联网）"),
    ))?;
    let (users, limited, known) = (USERS.join(", "), USERS[3], USERS[2]);
    report.say(text!(
        en: format!("org users: {users}  (flow-controlled: {limited}; {known} has mobile {MOBILE})\n"),
        zh: format!("组织成员：{users}（被限流：{limited}；{known} 的手机号为 {MOBILE}）\n"),
    ))?;
    report.say(text!(en: "=== The forms a designer draws from the plugin's manifest\n", zh: "=== 设计器根据插件清单绘制的表单\n"))?;
    report.line(&render_manifest(plugin.manifest(), lang))?;

    let setting = Setting { url, dir: files.dir.clone(), lang };
    let mut run = Run { plugin, host, report, emulator: &emulator, vars: Map::new(), next: 1, parts: 0 };
    for part in PARTS {
        (part.run)(&mut run, (part.steps)(&setting))?;
    }
    Ok(())
}

/// The outputs of a send that the first part checks.
const SEND_OUTPUTS: [(&str, &str); 4] = [
    ("invalidUserIds", "invalidUserIds"),
    ("flowControlledUserIds", "flowControlledUserIds"),
    ("processQueryKey", "processQueryKey"),
    ("unresolvedMobiles", "unresolvedMobiles"),
];

/// Part one: connect, then one message of every template and one text to mobile numbers.
fn every_template(s: &Setting<'_>) -> Part {
    let send = "dingtalk.robot.send_single_chat";
    let url = &s.url;
    let sends = |title: Text, params: Value| DemoStep { title, step: step(send, params, &SEND_OUTPUTS) };
    Part {
        heading: text!(en: "one message of every template", zh: "每种消息模板各发一条"),
        steps: vec![
            DemoStep {
                title: text!(en: "Connect", zh: "连接钉钉"),
                step: step(
                    "dingtalk.robot.connect",
                    json!({ "appKey": APP_KEY, "appSecret": APP_SECRET, "apiBaseUrl": url, "oapiBaseUrl": url }),
                    &[("robot", "robot")],
                ),
            },
            sends(
                text!(en: "Text to three users", zh: "给三位用户发文本"),
                json!({ "robot": "${robot}", "userIds": [USERS[0], UNKNOWN_USER, USERS[3]], "msgType": "text",
                        "content": s.say(text!(en: "The daily sales report is ready.", zh: "今日销售日报已生成。")) }),
            ),
            sends(
                text!(en: "Markdown with a title", zh: "带标题的 Markdown"),
                json!({ "robot": "${robot}", "userIds": "manager01, staff02", "msgType": "markdown",
                        "title": s.say(text!(en: "Weekly summary", zh: "每周汇总")),
                        "content": s.say(text!(
                            en: "## Weekly summary\n- Orders: **1,204** (+8%)\n- Refunds: 12\n\n> Generated by the RPA flow",
                            zh: "## 每周汇总\n- 订单：**1,204**（+8%）\n- 退款：12\n\n> 由 RPA 流程生成",
                        )) }),
            ),
            sends(
                text!(en: "Local file", zh: "本地文件"),
                json!({ "robot": "${robot}", "userIds": ["staff03"], "msgType": "file", "content": demo_file(&s.dir, 0) }),
            ),
            sends(
                text!(en: "Local image", zh: "本地图片"),
                json!({ "robot": "${robot}", "userIds": ["staff02"], "msgType": "image", "content": demo_file(&s.dir, 1) }),
            ),
            sends(
                text!(en: "Link with a picture", zh: "带图片的链接"),
                json!({ "robot": "${robot}", "userIds": ["staff02"], "msgType": "link",
                        "title": s.say(text!(en: "Q3 dashboard", zh: "第三季度看板")),
                        "content": s.say(text!(en: "Sales are up 8% this quarter.", zh: "本季度销售额增长 8%。")),
                        "linkUrl": "https://example.com/dashboard/q3", "picUrl": "https://example.com/q3.png" }),
            ),
            sends(
                text!(en: "Action card with two buttons", zh: "带两个按钮的卡片"),
                json!({ "robot": "${robot}", "userIds": ["manager01"], "msgType": "actionCard",
                        "title": s.say(text!(en: "Approve PO 4711?", zh: "批准采购单 4711？")),
                        "content": s.say(text!(
                            en: "## Purchase order 4711\n- 12 laptops\n- ¥96,000",
                            zh: "## 采购单 4711\n- 笔记本电脑 12 台\n- ¥96,000",
                        )),
                        "buttons": [{ "title": s.say(text!(en: "Approve", zh: "批准")), "url": "https://example.com/po/4711/approve" },
                                    { "title": s.say(text!(en: "Reject", zh: "驳回")), "url": "https://example.com/po/4711/reject" }],
                        "buttonLayout": "horizontal" }),
            ),
            sends(
                text!(en: "Audio (length read from the file)", zh: "语音（时长从文件中读取）"),
                json!({ "robot": "${robot}", "userIds": ["staff02"], "msgType": "audio", "content": demo_file(&s.dir, 2) }),
            ),
            sends(
                text!(en: "Video with a cover", zh: "带封面的视频"),
                json!({ "robot": "${robot}", "userIds": ["staff02"], "msgType": "video", "content": demo_file(&s.dir, 3),
                        "coverImage": demo_file(&s.dir, 1) }),
            ),
            sends(
                text!(en: "Text to mobile numbers", zh: "按手机号发文本"),
                json!({ "robot": "${robot}", "mobiles": [MOBILE, "13900000000"], "msgType": "text",
                        "content": s.say(text!(en: "Your badge is ready at the front desk.", zh: "您的工牌已制好，请到前台领取。")) }),
            ),
        ],
    }
}

/// What each step of part one must output for the demo to pass: (invalid IDs,
/// flow-controlled IDs, unresolved mobiles); `None` for the connect step.
fn expected(index: usize) -> Option<(Value, Value, Value)> {
    match index {
        0 => None,
        1 => Some((json!([UNKNOWN_USER]), json!([USERS[3]]), json!([]))),
        9 => Some((json!([]), json!([]), json!(["13900000000"]))),
        _ => Some((json!([]), json!([]), json!([]))),
    }
}

/// The templates the emulator must have received in part one, in order.
const EXPECTED_KEYS: [&str; 9] = [
    "sampleText",
    "sampleMarkdown",
    "sampleFile",
    "sampleImageMsg",
    "sampleLink",
    "sampleActionCard6",
    "sampleAudio",
    "sampleVideo",
    "sampleText",
];

/// Runs part one and checks each send's outputs, then what the emulator received.
fn run_every_template(run: &mut Run<'_>, part: Part) -> Result<(), FlowError> {
    run.start(&part)?;
    for (index, step) in part.steps.iter().enumerate() {
        let number = run.step(step)?;
        let Some((invalid, limited, unresolved)) = expected(index) else { continue };
        let key_ok = run.got("processQueryKey").as_str().is_some_and(|k| !k.is_empty());
        if run.got("invalidUserIds") != invalid
            || run.got("flowControlledUserIds") != limited
            || run.got("unresolvedMobiles") != unresolved
            || !key_ok
        {
            let got = json!({ "invalidUserIds": run.got("invalidUserIds"),
                              "flowControlledUserIds": run.got("flowControlledUserIds"),
                              "unresolvedMobiles": run.got("unresolvedMobiles"),
                              "processQueryKey": run.got("processQueryKey") });
            let want = json!({ "invalidUserIds": invalid, "flowControlledUserIds": limited,
                               "unresolvedMobiles": unresolved });
            return Err(check_failed(
                number,
                text!(
                    en: format!("expected {want} and a processQueryKey, got {got}"),
                    zh: format!("应为 {want} 且有 processQueryKey，实际为 {got}"),
                ),
            ));
        }
        if !invalid.as_array().is_none_or(Vec::is_empty) {
            run.report.say(text!(
                en: "  note DingTalk did not recognise some user IDs: check them for typos",
                zh: "  注意：钉钉不认识其中部分用户 ID，请检查是否写错",
            ))?;
        }
    }

    run.report.say(text!(en: "\n=== What DingTalk (the emulator) received", zh: "\n=== 钉钉（模拟器）收到的内容"))?;
    for (i, message) in run.emulator.delivered().iter().enumerate() {
        let (n, key, to) = (i + 1, &message.msg_key, message.user_ids.join(", "));
        run.report.say(text!(en: format!("  {n}. {key:<17} to {to}"), zh: format!("  {n}. {key:<17} 发给 {to}")))?;
        run.report.line(&format!("     msgParam {}", pretty(&message.msg_param)))?;
    }
    for media in run.emulator.uploaded() {
        let (name, size, kind, id) = (&media.filename, media.size, &media.media_type, &media.media_id);
        run.report.say(text!(
            en: format!("  uploaded {name} ({size} bytes) as {kind} media {id}"),
            zh: format!("  已上传 {name}（{size} 字节），媒体类型 {kind}，媒体 ID {id}"),
        ))?;
    }
    let stats = run.emulator.stats();
    let counters = serde_json::to_string(&stats).unwrap_or_default();
    run.report.say(text!(en: format!("  stats {counters}"), zh: format!("  计数 {counters}")))?;
    let keys: Vec<String> = run.emulator.delivered().into_iter().map(|m| m.msg_key).collect();
    if keys != EXPECTED_KEYS
        || stats.messages != 10
        || stats.token_requests != 1
        || stats.uploads != 5
        || stats.mobile_lookups != 2
    {
        return Err(check_failed(
            0,
            text!(
                en: format!(
                    "expected one message of every template and one by mobile ({EXPECTED_KEYS:?}) to 10 recipients, with one token, 5 uploads and 2 mobile lookups; got {keys:?} and {stats:?}"
                ),
                zh: format!(
                    "应为每种模板各一条、按手机号一条（{EXPECTED_KEYS:?}），共 10 位接收人，取令牌 1 次、上传 5 次、查手机号 2 次；实际为 {keys:?} 和 {stats:?}"
                ),
            ),
        ));
    }
    run.report.say(text!(
        en: "\nPart 1 finished: every message was delivered once; the AppSecret and access token were never shown.",
        zh: "\n第 1 部分完成：每条消息都只送达一次；AppSecret 和访问令牌始终没有显示。",
    ))
}

/// Part two: the actions that follow a send, on the same emulator and connection (the
/// variable `robot` of part one).
fn after_the_send(s: &Setting<'_>) -> Part {
    let read_status = |outputs: &[(&str, &str)]| {
        step(
            "dingtalk.robot.query_read_status",
            json!({ "robot": "${robot}", "processQueryKey": "${noticeKey}" }),
            outputs,
        )
    };
    Part {
        heading: text!(en: "after the send", zh: "发送之后"),
        steps: vec![
            DemoStep {
                title: text!(en: "Send a notice to read and recall", zh: "发送一条通知（随后查询已读并撤回）"),
                step: step(
                    "dingtalk.robot.send_single_chat",
                    json!({ "robot": "${robot}", "userIds": [USERS[0], USERS[1]], "msgType": "text",
                            "content": s.say(text!(
                                en: "Reminder: the quarterly review is at 15:00 in room 4.",
                                zh: "提醒：季度评审会 15:00 在 4 号会议室召开。",
                            )) }),
                    &[("processQueryKey", "noticeKey")],
                ),
            },
            DemoStep {
                title: text!(en: "Query the read status", zh: "查询已读状态"),
                step: read_status(&[("sendStatus", "status"), ("readUserIds", "read"), ("unreadUserIds", "unread")]),
            },
            DemoStep {
                title: text!(en: "Recall the notice", zh: "撤回通知"),
                step: step(
                    "dingtalk.robot.recall",
                    json!({ "robot": "${robot}", "processQueryKeys": "${noticeKey}" }),
                    &[("recalledKeys", "recalled"), ("failedKeys", "notRecalled")],
                ),
            },
            DemoStep {
                title: text!(en: "Query the read status again", zh: "再次查询已读状态"),
                step: read_status(&[("sendStatus", "statusAfter")]),
            },
            DemoStep {
                title: text!(en: "Send to a group", zh: "发送群消息"),
                step: step(
                    "dingtalk.robot.send_group_message",
                    json!({ "robot": "${robot}", "openConversationId": GROUP, "msgType": "markdown",
                            "title": s.say(text!(en: "Sales today", zh: "今日销售")),
                            "content": s.say(text!(
                                en: "## Sales today\n- Orders: **212**\n- Top region: East",
                                zh: "## 今日销售\n- 订单：**212**\n- 领先区域：华东",
                            )) }),
                    &[("processQueryKey", "groupKey")],
                ),
            },
            DemoStep {
                title: text!(en: "Look up user IDs by mobile number", zh: "按手机号查询用户 ID"),
                step: step(
                    "dingtalk.robot.get_user_ids_by_mobile",
                    json!({ "robot": "${robot}", "mobiles": [MOBILE, "13900000000"] }),
                    &[("userIds", "foundUserIds"), ("unresolvedMobiles", "notFound")],
                ),
            },
        ],
    }
}

/// Runs part two: one receiver reads the notice in the emulator, and each step's outputs
/// are checked; then the group's message and the counters.
fn run_after_the_send(run: &mut Run<'_>, part: Part) -> Result<(), FlowError> {
    run.start(&part)?;
    for (index, step) in part.steps.iter().enumerate() {
        let number = run.step(step)?;
        let key = run.got("noticeKey").as_str().unwrap_or_default().to_string();
        let check = |ok: bool, want: Value| if ok { Ok(()) } else { Err(check_failed(number, expected_value(&want))) };
        match index {
            0 => {
                check(!key.is_empty(), json!({ "noticeKey": "processQueryKey" }))?;
                run.emulator.mark_read(&key, USERS[1]);
                let (reader, other) = (USERS[1], USERS[0]);
                run.report.say(text!(
                    en: format!("  (emulator) {reader} opens the message; {other} does not"),
                    zh: format!("  （模拟器）{reader} 打开了这条消息，{other} 没有打开"),
                ))?;
            }
            1 => {
                let want = json!({ "status": "SUCCESS", "read": [USERS[1]], "unread": [USERS[0]] });
                let got = json!({ "status": run.got("status"), "read": run.got("read"), "unread": run.got("unread") });
                check(got == want, want)?;
            }
            2 => check(run.got("recalled") == json!([key]), json!({ "recalled": [key] }))?,
            3 => check(run.got("statusAfter") == "RECALLED", json!({ "statusAfter": "RECALLED" }))?,
            4 => check(
                run.got("groupKey").as_str().is_some_and(|k| !k.is_empty()),
                json!({ "groupKey": "processQueryKey" }),
            )?,
            _ => {
                let want = json!({ "foundUserIds": [USERS[2]], "notFound": ["13900000000"] });
                check(
                    json!({ "foundUserIds": run.got("foundUserIds"), "notFound": run.got("notFound") }) == want,
                    want,
                )?;
            }
        }
    }
    let group = run.emulator.delivered().into_iter().filter(|m| m.open_conversation_id.is_some()).collect::<Vec<_>>();
    for message in &group {
        let (key, param) = (&message.msg_key, pretty(&message.msg_param));
        run.report.say(text!(
            en: format!("\n  group {GROUP} received {key}: {param}"),
            zh: format!("\n  群 {GROUP} 收到 {key}：{param}"),
        ))?;
    }
    let stats = run.emulator.stats();
    let counters = serde_json::to_string(&stats).unwrap_or_default();
    run.report.say(text!(en: format!("  stats {counters}"), zh: format!("  计数 {counters}")))?;
    if group.len() != 1 || stats.token_requests != 1 || stats.mobile_lookups != 2 {
        return Err(check_failed(
            0,
            text!(
                en: format!(
                    "expected one group message, one token and still 2 mobile lookups (both numbers remembered from part 1: 13800000003 for the connection's life, the unknown 13900000000 for 10 minutes); got {stats:?}"
                ),
                zh: format!(
                    "应为一条群消息、取令牌 1 次、查手机号仍为 2 次（两个号码都记自第 1 部分：13800000003 在连接期间一直记住，未知的 13900000000 记住 10 分钟）；实际为 {stats:?}"
                ),
            ),
        ));
    }
    run.report.say(text!(
        en: "\nPart 2 finished: read, recalled (sendStatus RECALLED), posted to the group, and looked up by mobile (a known number from memory).",
        zh: "\n第 2 部分完成：已查到已读情况，已撤回（sendStatus 为 RECALLED），已发到群里，并按手机号查到了用户（已知号码直接取自缓存）。",
    ))
}

/// Part three, the custom robot: connect by webhook URL and secret, and post one Markdown
/// message with mentions.
fn custom_robot(s: &Setting<'_>) -> Part {
    let webhook = format!("{}/robot/send?access_token={WEBHOOK_TOKEN}", s.url);
    Part {
        heading: text!(
            en: "a group's custom robot, webhook URL + signing secret, no app needed",
            zh: "群自定义机器人：Webhook 地址加签名密钥，无需应用",
        ),
        steps: vec![
            DemoStep {
                title: text!(en: "Connect the group's custom robot", zh: "连接群自定义机器人"),
                step: step(
                    "dingtalk.robot.connect_webhook",
                    json!({ "webhookUrl": webhook, "secret": WEBHOOK_SECRET, "keywords": "告警, alert" }),
                    &[("robot", "webhookRobot")],
                ),
            },
            DemoStep {
                title: text!(en: "Markdown to the group with @mentions", zh: "向群发送带 @ 提醒的 Markdown"),
                step: step(
                    "dingtalk.robot.send_webhook_message",
                    json!({ "robot": "${webhookRobot}", "msgType": "markdown",
                            "title": s.say(text!(en: "告警: disk", zh: "告警：磁盘")),
                            "content": s.say(text!(en: "### 告警\nDisk 91% full on db-01", zh: "### 告警\ndb-01 磁盘已用 91%")),
                            "atUserIds": [USERS[0]], "atMobiles": [MOBILE] }),
                    &[],
                ),
            },
        ],
    }
}

/// Runs part three and checks what the group received.
fn run_custom_robot(run: &mut Run<'_>, part: Part) -> Result<(), FlowError> {
    run.start(&part)?;
    let mut last = 0;
    for step in &part.steps {
        last = run.step(step)?;
    }
    run.report.say(text!(en: "\n=== What the group received", zh: "\n=== 群收到的内容"))?;
    let received = run.emulator.group_messages();
    for message in &received {
        run.report.line(&format!("  {} <- {} {}", message.group, message.msgtype, pretty(&message.body)))?;
    }
    let text = received.first().and_then(|m| m.body["markdown"]["text"].as_str()).unwrap_or_default();
    if received.len() != 1
        || !text.ends_with(&format!("@{MOBILE} @{}", USERS[0]))
        || run.emulator.stats().webhook_bans != 0
    {
        return Err(check_failed(
            last,
            text!(
                en: format!("expected one Markdown message ending in its two mentions, got {received:?}"),
                zh: format!("应为一条以两个 @ 提醒结尾的 Markdown 消息，实际为 {received:?}"),
            ),
        ));
    }
    run.report.say(text!(
        en: "\nPart 3 finished: one signed message reached the group with its mentions; the webhook's token and secret were never shown.",
        zh: "\n第 3 部分完成：一条签名消息带着 @ 提醒送达群里；Webhook 的令牌和密钥始终没有显示。",
    ))
}

/// The person part four asks, and what they answer.
const ASKED: &str = USERS[1];
/// The PO number in the answer.
const ANSWER: &str = "PO 4711";
/// The person part four waits for in vain.
const SILENT: &str = USERS[0];

/// Part four, a flow that listens: ask a person for a PO number, wait for the answer, thank
/// them quoting it, then wait 2 s for someone who does not answer.
fn listening(s: &Setting<'_>) -> Part {
    Part {
        heading: text!(en: "a flow that listens (Stream mode)", zh: "会“听”的流程，使用 Stream 模式"),
        steps: vec![
            DemoStep {
                title: text!(en: "Ask staff02 for the PO number", zh: "请 staff02 回复采购单号"),
                step: step(
                    "dingtalk.robot.send_single_chat",
                    json!({ "robot": "${robot}", "userIds": [ASKED], "msgType": "text",
                            "content": s.say(text!(en: "Please reply with the PO number for the new laptops.", zh: "请回复新笔记本电脑的采购单号（PO）。")) }),
                    &[],
                ),
            },
            DemoStep {
                title: text!(en: "Wait for staff02's reply (a PO number)", zh: "等待 staff02 回复（含采购单号）"),
                step: step(
                    "dingtalk.robot.wait_for_reply",
                    json!({ "robot": "${robot}", "userId": ASKED, "timeoutSeconds": 30, "pattern": r"PO\s*\d+" }),
                    &[("replied", "replied"), ("replyText", "replyText"), ("senderUserId", "repliedBy")],
                ),
            },
            DemoStep {
                title: text!(en: "Thank staff02, quoting the reply", zh: "引用回复内容向 staff02 致谢"),
                step: step(
                    "dingtalk.robot.send_single_chat",
                    json!({ "robot": "${robot}", "userIds": [ASKED], "msgType": "text",
                            "content": s.say(text!(en: "Thanks! Noted: ${replyText}", zh: "谢谢！已记录：${replyText}")) }),
                    &[],
                ),
            },
            DemoStep {
                title: text!(en: "Wait 2 s for manager01, who does not answer", zh: "等待 manager01 回复 2 秒（对方不回复）"),
                step: step(
                    "dingtalk.robot.wait_for_reply",
                    json!({ "robot": "${robot}", "userId": SILENT, "timeoutSeconds": 2 }),
                    &[("replied", "managerReplied")],
                ),
            },
        ],
    }
}

/// Runs part four: the emulator answers as staff02 about a second after the first wait opened
/// its connection; the reply must be quoted in the thanks and the second wait must time out.
fn run_listening(run: &mut Run<'_>, part: Part) -> Result<(), FlowError> {
    run.start(&part)?;
    let said = run.report_words(text!(en: format!("It is {ANSWER}, thanks"), zh: format!("是 {ANSWER}，谢谢")));
    let emulator = run.emulator;
    let mut numbers = Vec::new();
    std::thread::scope(|scope| -> Result<(), FlowError> {
        for (index, step) in part.steps.iter().enumerate() {
            if index == 1 {
                let said = said.clone();
                // The person answers about a second after the wait opened its connection.
                scope.spawn(move || {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    while emulator.stream_connection_count(APP_KEY) == 0 && std::time::Instant::now() < deadline {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    let _ = emulator.user_says(ASKED, &said);
                });
            }
            numbers.push(run.step(step)?);
            if index == 1 {
                run.report.say(text!(
                    en: format!("  (emulator) {ASKED} answered: \"{said}\""),
                    zh: format!("  （模拟器）{ASKED} 回复：“{said}”"),
                ))?;
            }
        }
        Ok(())
    })?;
    let thanked = emulator
        .delivered()
        .last()
        .and_then(|m| m.msg_param["content"].as_str().map(str::to_string))
        .unwrap_or_default();
    let number = |i: usize| numbers.get(i).copied().unwrap_or(0);
    if run.got("replied") != true
        || !run.got("replyText").as_str().is_some_and(|t| t.contains(ANSWER))
        || !thanked.contains(ANSWER)
    {
        let vars = pretty(&Value::Object(run.vars.clone()));
        return Err(check_failed(
            number(2),
            text!(
                en: format!("expected {ASKED}'s reply with {ANSWER}, quoted in the thanks; got {vars}"),
                zh: format!("应收到 {ASKED} 含 {ANSWER} 的回复，并在致谢中引用；实际为 {vars}"),
            ),
        ));
    }
    if run.got("managerReplied") != false {
        let vars = pretty(&Value::Object(run.vars.clone()));
        return Err(check_failed(
            number(3),
            text!(en: format!("expected no reply from {SILENT}; got {vars}"), zh: format!("{SILENT} 应未回复；实际为 {vars}")),
        ));
    }
    run.report.say(text!(
        en: "\nPart 4 finished: the flow waited for staff02's answer, used it in the next step, and a wait for someone silent ended at its timeout with replied=false.",
        zh: "\n第 4 部分完成：流程等到了 staff02 的回复并在下一步使用；等待不回复的人在超时后以 replied=false 结束。",
    ))
}

/// The order part five asks to approve.
const ORDER: &str = "PO 4711";
/// The choice the emulator clicks as [`ASKED`] in part five.
const APPROVE: &str = "同意";

/// Part five, a flow that asks: staff02 approves an order on an interactive card (the
/// emulator clicks 同意 as staff02 about a second after the card arrives), the flow confirms
/// quoting `${answer}`, then asks manager01, who does not answer, with choice links for 2 s.
fn asking(s: &Setting<'_>) -> Part {
    Part {
        heading: text!(en: "a flow that asks and waits for the answer", zh: "提问并等待回答的流程"),
        steps: vec![
            DemoStep {
                title: text!(en: "Ask staff02 to approve order PO 4711 (card)", zh: "请 staff02 审批订单 PO 4711（互动卡片）"),
                step: step(
                    "dingtalk.robot.ask",
                    json!({ "robot": "${robot}", "userId": ASKED, "choices": [APPROVE, "拒绝"], "timeoutSeconds": 30,
                            "question": s.say(text!(en: "Approve order **PO 4711** (3 laptops, ¥21,000)?", zh: "是否同意订单 **PO 4711**（3 台笔记本电脑，¥21,000）？")),
                            "title": s.say(text!(en: "Order approval", zh: "订单审批")), "cardTemplateId": CARD_TEMPLATE }),
                    &[
                        ("answered", "approved"),
                        ("answer", "answer"),
                        ("answeredBy", "answeredBy"),
                        ("outTrackId", "card"),
                    ],
                ),
            },
            DemoStep {
                title: text!(en: "Confirm to staff02 with the answer", zh: "把审批结果告知 staff02"),
                step: step(
                    "dingtalk.robot.send_single_chat",
                    json!({ "robot": "${robot}", "userIds": [ASKED], "msgType": "text",
                            "content": s.say(text!(en: "Order PO 4711: ${answer}. Thank you!", zh: "订单 PO 4711：${answer}。谢谢！")) }),
                    &[],
                ),
            },
            DemoStep {
                title: text!(en: "Ask manager01 for 2 s (choice links; no answer)", zh: "向 manager01 提问 2 秒（选项链接，对方不回答）"),
                step: step(
                    "dingtalk.robot.ask",
                    json!({ "robot": "${robot}", "userId": SILENT, "choices": "同意, 拒绝", "timeoutSeconds": 2,
                            "question": s.say(text!(en: "Approve the travel budget?", zh: "是否同意差旅预算？")) }),
                    &[("answered", "managerAnswered")],
                ),
            },
        ],
    }
}

/// Runs part five: staff02 clicks 同意 about a second after the card arrived; the answer must
/// be quoted in the confirmation, the card closed by the click's acknowledgement, and the
/// second ask must end at its timeout.
fn run_asking(run: &mut Run<'_>, part: Part) -> Result<(), FlowError> {
    run.start(&part)?;
    let emulator = run.emulator;
    let mut numbers = Vec::new();
    std::thread::scope(|scope| -> Result<(), FlowError> {
        for (index, step) in part.steps.iter().enumerate() {
            if index == 0 {
                // staff02 clicks about a second after the card arrived.
                scope.spawn(move || {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    while emulator.cards().is_empty() && std::time::Instant::now() < deadline {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    let _ = emulator.user_clicks_latest(ASKED, CARD_TEMPLATE, APPROVE);
                });
            }
            numbers.push(run.step(step)?);
            if index == 0 {
                run.report.say(text!(
                    en: format!("  (emulator) {ASKED} clicked {APPROVE} on the card"),
                    zh: format!("  （模拟器）{ASKED} 在卡片上点击了“{APPROVE}”"),
                ))?;
            }
        }
        Ok(())
    })?;
    let number = |i: usize| numbers.get(i).copied().unwrap_or(0);
    // The click's acknowledgement (which closes the card) follows the answer at once.
    let card_now = || run.got("card").as_str().and_then(|track| emulator.card(track));
    let is_closed = |c: &dingtalk_emulator::Card| {
        c.card_param_map.get("status").map(String::as_str) == Some(APPROVE)
            && c.card_param_map.get("closed").map(String::as_str) == Some("true")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !card_now().is_some_and(|c| is_closed(&c)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let card = card_now();
    let closed = card.as_ref().is_some_and(is_closed);
    let confirmed = emulator.delivered().iter().any(|m| {
        m.user_ids.iter().any(|u| u == ASKED)
            && m.msg_param["content"].as_str().is_some_and(|c| c.contains(ORDER) && c.contains(APPROVE))
    });
    if run.got("approved") != true
        || run.got("answer") != APPROVE
        || run.got("answeredBy") != ASKED
        || !closed
        || !confirmed
    {
        let vars = pretty(&Value::Object(run.vars.clone()));
        return Err(check_failed(
            number(1),
            text!(
                en: format!("expected {ASKED}'s {APPROVE} on a card closed by the click, quoted in the confirmation; got {vars} and card {card:?}"),
                zh: format!("应收到 {ASKED} 在卡片上点击的“{APPROVE}”（点击后卡片关闭），并在确认消息中引用；实际为 {vars}，卡片 {card:?}"),
            ),
        ));
    }
    if run.got("managerAnswered") != false {
        let vars = pretty(&Value::Object(run.vars.clone()));
        return Err(check_failed(
            number(2),
            text!(en: format!("expected no answer from {SILENT}; got {vars}"), zh: format!("{SILENT} 应未回答；实际为 {vars}")),
        ));
    }
    run.report.say(text!(
        en: "\nPart 5 finished: staff02 approved on the card (its buttons closed by the click), the confirmation quoted the answer, and an ask nobody answered ended at its timeout with answered=false.",
        zh: "\n第 5 部分完成：staff02 在卡片上点击同意（点击后按钮即关闭），确认消息引用了该回答；无人回答的提问在超时后以 answered=false 结束。",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_count_is_that_of_the_parts() {
        let setting = Setting { url: "http://127.0.0.1:1".into(), dir: PathBuf::new(), lang: "zh-CN" };
        let counts: Vec<usize> = PARTS.iter().map(|p| (p.steps)(&setting).steps.len()).collect();
        assert_eq!(counts, [10, 6, 2, 4, 3]);
        assert_eq!(step_count(), 25);
        assert!(about().contains("25 steps in 5 parts"), "{}", about());
    }

    #[test]
    fn every_title_and_heading_is_in_both_languages() {
        let setting = Setting { url: "http://127.0.0.1:1".into(), dir: PathBuf::new(), lang: "zh-CN" };
        for part in PARTS {
            let part = (part.steps)(&setting);
            assert!(!part.heading.is_incomplete());
            for step in &part.steps {
                assert!(!step.title.is_incomplete() && step.title.en != step.title.zh_cn, "{:?}", step.title);
            }
        }
    }
}
