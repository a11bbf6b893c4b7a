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
//! asks: it asks staff02 to approve an order on an interactive card (同意 / 拒绝), which the
//! emulator clicks as staff02 about a second later, confirms with the answer, and asks
//! someone silent with choice links for 2 s. It fails unless every step did what it should.
//!
//! The forms and parts four and five follow the chosen language; the rest of the report is
//! in English.

use std::io::Write;
use std::path::PathBuf;

use dingtalk_emulator::{AppConfig, Emulator, EmulatorConfig, GroupConfig, WebhookConfig};
use rpa_plugin_abi::{ErrorPayload, Text, codes, text};
use serde_json::{Map, Value, json};

use crate::flow::{Flow, FlowError, Step, run_flow};
use crate::form::{mask_secrets, render_manifest};
use crate::host::Host;
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

    fn path(&self, index: usize) -> String {
        self.dir.join(Self::NAMES[index]).to_string_lossy().into_owned()
    }
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

/// A failure of the demo's own checks: a step or the emulator's record is not what it should be.
fn check_failed(step: usize, what: String) -> FlowError {
    let error = ErrorPayload::bilingual(
        codes::INTERNAL,
        text!(en: format!("the demo's check failed: {what}"), zh: format!("演示的核对未通过：{what}")),
    );
    FlowError { step, error }
}

fn step(action: &str, params: Value, outputs: &[(&str, &str)]) -> Step {
    Step {
        action: action.to_string(),
        params: params.as_object().cloned().unwrap_or_default(),
        outputs: outputs.iter().map(|(o, v)| (o.to_string(), v.to_string())).collect(),
    }
}

/// The demo flow against an emulator at `url`.
fn demo_steps(url: &str, files: &DemoFiles) -> Vec<(&'static str, Step)> {
    let send = "dingtalk.robot.send_single_chat";
    let outs = [
        ("invalidUserIds", "invalidUserIds"),
        ("flowControlledUserIds", "flowControlledUserIds"),
        ("processQueryKey", "processQueryKey"),
        ("unresolvedMobiles", "unresolvedMobiles"),
    ];
    vec![
        (
            "Connect",
            step(
                "dingtalk.robot.connect",
                json!({ "appKey": APP_KEY, "appSecret": APP_SECRET, "apiBaseUrl": url, "oapiBaseUrl": url }),
                &[("robot", "robot")],
            ),
        ),
        (
            "Text to three users",
            step(
                send,
                json!({ "robot": "${robot}", "userIds": [USERS[0], UNKNOWN_USER, USERS[3]], "msgType": "text",
                        "content": "The daily sales report is ready. 今日销售日报已生成。" }),
                &outs,
            ),
        ),
        (
            "Markdown with a title",
            step(
                send,
                json!({ "robot": "${robot}", "userIds": "manager01, staff02", "msgType": "markdown",
                        "title": "Weekly summary",
                        "content": "## Weekly summary\n- Orders: **1,204** (+8%)\n- Refunds: 12\n\n> Generated by the RPA flow" }),
                &outs,
            ),
        ),
        (
            "Local file",
            step(
                send,
                json!({ "robot": "${robot}", "userIds": ["staff03"], "msgType": "file", "content": files.path(0) }),
                &outs,
            ),
        ),
        (
            "Local image",
            step(
                send,
                json!({ "robot": "${robot}", "userIds": ["staff02"], "msgType": "image", "content": files.path(1) }),
                &outs,
            ),
        ),
        (
            "Link with a picture",
            step(
                send,
                json!({ "robot": "${robot}", "userIds": ["staff02"], "msgType": "link", "title": "Q3 dashboard",
                        "content": "Sales are up 8% this quarter.", "linkUrl": "https://example.com/dashboard/q3",
                        "picUrl": "https://example.com/q3.png" }),
                &outs,
            ),
        ),
        (
            "Action card with two buttons",
            step(
                send,
                json!({ "robot": "${robot}", "userIds": ["manager01"], "msgType": "actionCard", "title": "Approve PO 4711?",
                        "content": "## Purchase order 4711\n- 12 laptops\n- ¥96,000",
                        "buttons": [{ "title": "Approve", "url": "https://example.com/po/4711/approve" },
                                    { "title": "Reject", "url": "https://example.com/po/4711/reject" }],
                        "buttonLayout": "horizontal" }),
                &outs,
            ),
        ),
        (
            "Audio (length read from the file)",
            step(
                send,
                json!({ "robot": "${robot}", "userIds": ["staff02"], "msgType": "audio", "content": files.path(2) }),
                &outs,
            ),
        ),
        (
            "Video with a cover",
            step(
                send,
                json!({ "robot": "${robot}", "userIds": ["staff02"], "msgType": "video", "content": files.path(3),
                        "coverImage": files.path(1) }),
                &outs,
            ),
        ),
        (
            "Text to mobile numbers",
            step(
                send,
                json!({ "robot": "${robot}", "mobiles": [MOBILE, "13900000000"], "msgType": "text",
                        "content": "Your badge is ready at the front desk." }),
                &outs,
            ),
        ),
    ]
}

/// What each send step must output for the demo to pass: (invalid IDs, flow-controlled IDs,
/// unresolved mobiles).
fn expected(index: usize) -> Option<(Value, Value, Value)> {
    match index {
        0 => None,
        1 => Some((json!([UNKNOWN_USER]), json!([USERS[3]]), json!([]))),
        9 => Some((json!([]), json!([]), json!(["13900000000"]))),
        _ => Some((json!([]), json!([]), json!([]))),
    }
}

/// The templates the emulator must have received, in order.
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

fn line(out: &mut dyn Write, text: &str) -> Result<(), FlowError> {
    writeln!(out, "{text}").map_err(|e| setup_error(text!(en: "cannot write the output", zh: "无法写出结果"), e))
}

fn pretty(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Runs the demo against `plugin`, writing a readable report to `out`.
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

    line(out, "=== host-sim demo: a DingTalk robot flow, run the way an RPA designer runs it")?;
    line(out, &format!("DingTalk emulator listening on {url} (no internet needed)"))?;
    line(
        out,
        &format!(
            "org users: {}  (flow-controlled: {}; {} has mobile {MOBILE})\n",
            USERS.join(", "),
            USERS[3],
            USERS[2]
        ),
    )?;
    line(out, "=== The forms a designer draws from the plugin's manifest\n")?;
    line(out, &render_manifest(plugin.manifest(), lang))?;

    let mut vars = Map::new();
    let steps = demo_steps(&url, &files);
    let part_one = steps.len();
    line(out, &format!("=== Running the flow: {} steps", steps.len()))?;
    for (index, (title, step)) in steps.into_iter().enumerate() {
        let number = index + 1;
        vars = run_step(plugin, host, out, number, title, &step, vars)?;
        if let Some((invalid, limited, unresolved)) = expected(index) {
            let key_ok = vars.get("processQueryKey").and_then(Value::as_str).is_some_and(|k| !k.is_empty());
            if vars.get("invalidUserIds") != Some(&invalid)
                || vars.get("flowControlledUserIds") != Some(&limited)
                || vars.get("unresolvedMobiles") != Some(&unresolved)
                || !key_ok
            {
                let got = json!({ "invalidUserIds": vars.get("invalidUserIds"),
                                  "flowControlledUserIds": vars.get("flowControlledUserIds"),
                                  "unresolvedMobiles": vars.get("unresolvedMobiles"),
                                  "processQueryKey": vars.get("processQueryKey") });
                let want = json!({ "invalidUserIds": invalid, "flowControlledUserIds": limited,
                                   "unresolvedMobiles": unresolved });
                return Err(check_failed(number, format!("expected {want} and a processQueryKey, got {got}")));
            }
            if !invalid.as_array().is_none_or(Vec::is_empty) {
                line(out, "  note DingTalk did not recognise some user IDs: check them and remove stray spaces")?;
            }
        }
    }

    line(out, "\n=== What DingTalk (the emulator) received")?;
    for (i, message) in emulator.delivered().iter().enumerate() {
        line(out, &format!("  {}. {:<17} to {}", i + 1, message.msg_key, message.user_ids.join(", ")))?;
        line(out, &format!("     msgParam {}", pretty(&message.msg_param)))?;
    }
    for media in emulator.uploaded() {
        line(
            out,
            &format!(
                "  uploaded {} ({} bytes) as {} media {}",
                media.filename, media.size, media.media_type, media.media_id
            ),
        )?;
    }
    let stats = emulator.stats();
    line(out, &format!("  stats {}", serde_json::to_string(&stats).unwrap_or_default()))?;
    let keys: Vec<String> = emulator.delivered().into_iter().map(|m| m.msg_key).collect();
    if keys != EXPECTED_KEYS
        || stats.messages != 10
        || stats.token_requests != 1
        || stats.uploads != 5
        || stats.mobile_lookups != 2
    {
        return Err(check_failed(
            0,
            format!(
                "expected one message of every template and one by mobile ({EXPECTED_KEYS:?}) to 10 recipients, with one token, 5 uploads and 2 mobile lookups; got {keys:?} and {stats:?}"
            ),
        ));
    }
    line(out, "\nDemo finished: every message was delivered once; the AppSecret and access token were never shown.")?;
    let (part_three, vars) = run_part_two(plugin, host, out, &emulator, vars, part_one + 1)?;
    let part_four = run_webhook_part(plugin, host, out, &emulator, part_three)?;
    let (part_five, vars) = run_listening_part(plugin, host, out, &emulator, lang, vars, part_four)?;
    run_asking_part(plugin, host, out, &emulator, lang, vars, part_five)
}

/// Runs `step` on its own, as a designer runs one, and shows it: its number, title and action,
/// its inputs (secrets masked) and its outputs. Returns `vars` with its outputs added.
fn run_step(
    plugin: &dyn Plugin,
    host: &dyn Host,
    out: &mut dyn Write,
    number: usize,
    title: &str,
    step: &Step,
    vars: Map<String, Value>,
) -> Result<Map<String, Value>, FlowError> {
    line(out, &format!("\n--- Step {number}: {title}  [{}]", step.action))?;
    if let Some(spec) = plugin.manifest().action(&step.action) {
        let masked = mask_secrets(spec, &Value::Object(step.params.clone()));
        for (name, value) in masked.as_object().into_iter().flatten() {
            line(out, &format!("  in   {name:<22} {}", pretty(value)))?;
        }
    }
    let flow = Flow { name: None, variables: Map::new(), steps: vec![step.clone()] };
    let vars = run_flow(plugin, &flow, host, vars).map_err(|e| FlowError { step: number, error: e.error })?;
    for variable in step.outputs.values() {
        let shown = vars.get(variable).map_or_else(|| "(missing)".into(), pretty);
        line(out, &format!("  out  {variable:<22} {shown}"))?;
    }
    Ok(vars)
}

/// Part two: the actions that follow a send, against the same emulator and connection (the
/// variables of part one, `robot` among them); its steps are numbered from `first`. Returns the
/// number of the next step.
fn run_part_two(
    plugin: &dyn Plugin,
    host: &dyn Host,
    out: &mut dyn Write,
    emulator: &Emulator,
    mut vars: Map<String, Value>,
    first: usize,
) -> Result<(usize, Map<String, Value>), FlowError> {
    let read_status = |outputs: &[(&str, &str)]| {
        step(
            "dingtalk.robot.query_read_status",
            json!({ "robot": "${robot}", "processQueryKey": "${noticeKey}" }),
            outputs,
        )
    };
    let steps = [
        (
            "Send a notice to read and recall",
            step(
                "dingtalk.robot.send_single_chat",
                json!({ "robot": "${robot}", "userIds": [USERS[0], USERS[1]], "msgType": "text",
                        "content": "Reminder: the quarterly review is at 15:00 in room 4." }),
                &[("processQueryKey", "noticeKey")],
            ),
        ),
        (
            "Query the read status",
            read_status(&[("sendStatus", "status"), ("readUserIds", "read"), ("unreadUserIds", "unread")]),
        ),
        (
            "Recall the notice",
            step(
                "dingtalk.robot.recall",
                json!({ "robot": "${robot}", "processQueryKeys": "${noticeKey}" }),
                &[("recalledKeys", "recalled"), ("failedKeys", "notRecalled")],
            ),
        ),
        ("Query the read status again", read_status(&[("sendStatus", "statusAfter")])),
        (
            "Send to a group",
            step(
                "dingtalk.robot.send_group_message",
                json!({ "robot": "${robot}", "openConversationId": GROUP, "msgType": "markdown", "title": "Sales today",
                        "content": "## Sales today\n- Orders: **212**\n- Top region: East" }),
                &[("processQueryKey", "groupKey")],
            ),
        ),
        (
            "Look up user IDs by mobile number",
            step(
                "dingtalk.robot.get_user_ids_by_mobile",
                json!({ "robot": "${robot}", "mobiles": [MOBILE, "13900000000"] }),
                &[("userIds", "foundUserIds"), ("unresolvedMobiles", "notFound")],
            ),
        ),
    ];
    let next = first + steps.len();
    line(out, &format!("\n=== Part 2: after the send ({} steps)", steps.len()))?;
    for (index, (title, step)) in steps.into_iter().enumerate() {
        let number = first + index;
        vars = run_step(plugin, host, out, number, title, &step, vars)?;
        let key = vars.get("noticeKey").and_then(Value::as_str).unwrap_or_default().to_string();
        let got = |name: &str| vars.get(name).cloned().unwrap_or(Value::Null);
        let check =
            |ok: bool, want: Value| if ok { Ok(()) } else { Err(check_failed(number, format!("expected {want}"))) };
        match index {
            0 => {
                check(!key.is_empty(), json!({ "noticeKey": "a processQueryKey" }))?;
                emulator.mark_read(&key, USERS[1]);
                line(out, &format!("  (emulator) {} opens the message; {} does not", USERS[1], USERS[0]))?;
            }
            1 => {
                let want = json!({ "status": "SUCCESS", "read": [USERS[1]], "unread": [USERS[0]] });
                check(json!({ "status": got("status"), "read": got("read"), "unread": got("unread") }) == want, want)?;
            }
            2 => check(got("recalled") == json!([key]), json!({ "recalled": [key] }))?,
            3 => check(got("statusAfter") == "RECALLED", json!({ "statusAfter": "RECALLED" }))?,
            4 => check(
                got("groupKey").as_str().is_some_and(|k| !k.is_empty()),
                json!({ "groupKey": "a processQueryKey" }),
            )?,
            _ => {
                let want = json!({ "foundUserIds": [USERS[2]], "notFound": ["13900000000"] });
                check(json!({ "foundUserIds": got("foundUserIds"), "notFound": got("notFound") }) == want, want)?;
            }
        }
    }
    let group = emulator.delivered().into_iter().filter(|m| m.open_conversation_id.is_some()).collect::<Vec<_>>();
    for message in &group {
        line(out, &format!("\n  group {GROUP} received {}: {}", message.msg_key, pretty(&message.msg_param)))?;
    }
    let stats = emulator.stats();
    line(out, &format!("  stats {}", serde_json::to_string(&stats).unwrap_or_default()))?;
    if group.len() != 1 || stats.token_requests != 1 || stats.mobile_lookups != 2 {
        return Err(check_failed(
            0,
            format!(
                "expected one group message, one token and still 2 mobile lookups (both numbers remembered from part 1: 13800000003 for the connection's life, the unknown 13900000000 for 10 minutes); got {stats:?}"
            ),
        ));
    }
    line(
        out,
        "\nPart 2 finished: read, recalled (sendStatus RECALLED), posted to the group, and looked up by mobile (a known number from memory).",
    )?;
    Ok((next, vars))
}

/// Part three, the custom robot: connect by webhook URL and secret, post one Markdown message
/// with mentions, and check what the group received; its steps are numbered from `first`.
/// Returns the number of the next step.
fn run_webhook_part(
    plugin: &dyn Plugin,
    host: &dyn Host,
    out: &mut dyn Write,
    emulator: &Emulator,
    first: usize,
) -> Result<usize, FlowError> {
    let webhook = format!("{}/robot/send?access_token={WEBHOOK_TOKEN}", emulator.url());
    let steps = [
        (
            "Connect the group's custom robot",
            step(
                "dingtalk.robot.connect_webhook",
                json!({ "webhookUrl": webhook, "secret": WEBHOOK_SECRET, "keywords": "告警, alert" }),
                &[("robot", "webhookRobot")],
            ),
        ),
        (
            "Markdown to the group with @mentions",
            step(
                "dingtalk.robot.send_webhook_message",
                json!({ "robot": "${webhookRobot}", "msgType": "markdown", "title": "告警: disk",
                        "content": "### 告警\nDisk 91% full on db-01", "atUserIds": [USERS[0]], "atMobiles": [MOBILE] }),
                &[],
            ),
        ),
    ];
    line(
        out,
        &format!(
            "\n=== Part 3: a group's custom robot, webhook URL + signing secret, no app needed ({} steps)",
            steps.len()
        ),
    )?;
    let mut vars = Map::new();
    for (index, (title, step)) in steps.into_iter().enumerate() {
        vars = run_step(plugin, host, out, first + index, title, &step, vars)?;
    }
    line(out, "\n=== What the group received")?;
    let received = emulator.group_messages();
    for message in &received {
        line(out, &format!("  {} <- {} {}", message.group, message.msgtype, pretty(&message.body)))?;
    }
    let text = received.first().and_then(|m| m.body["markdown"]["text"].as_str()).unwrap_or_default();
    if received.len() != 1 || !text.ends_with(&format!("@{MOBILE} @{}", USERS[0])) || emulator.stats().webhook_bans != 0
    {
        return Err(check_failed(
            first + 1,
            format!("expected one Markdown message ending in its two mentions, got {received:?}"),
        ));
    }
    line(
        out,
        "\nPart 3 finished: one signed message reached the group with its mentions; the webhook's token and secret were never shown.",
    )?;
    Ok(first + 2)
}
/// Part four, a flow that listens: ask a person for a PO number, wait for the answer (the
/// emulator answers as that person about a second later), thank them quoting it, then wait
/// 2 s for someone who does not answer. Its steps are numbered from `first`. Returns the
/// number of the next step and the variables.
fn run_listening_part(
    plugin: &dyn Plugin,
    host: &dyn Host,
    out: &mut dyn Write,
    emulator: &Emulator,
    lang: &str,
    vars: Map<String, Value>,
    first: usize,
) -> Result<(usize, Map<String, Value>), FlowError> {
    let words = |t: Text| t.get(lang).to_string();
    let asked = USERS[1];
    let silent = USERS[0];
    let steps = [
        (
            words(text!(en: "Ask staff02 for the PO number", zh: "请 staff02 回复采购单号")),
            step(
                "dingtalk.robot.send_single_chat",
                json!({ "robot": "${robot}", "userIds": [asked], "msgType": "text",
                        "content": words(text!(en: "Please reply with the PO number for the new laptops.", zh: "请回复新笔记本电脑的采购单号（PO）。")) }),
                &[],
            ),
        ),
        (
            words(text!(en: "Wait for staff02's reply (a PO number)", zh: "等待 staff02 回复（含采购单号）")),
            step(
                "dingtalk.robot.wait_for_reply",
                json!({ "robot": "${robot}", "userId": asked, "timeoutSeconds": 30, "pattern": r"PO\s*\d+" }),
                &[("replied", "replied"), ("replyText", "replyText"), ("senderUserId", "repliedBy")],
            ),
        ),
        (
            words(text!(en: "Thank staff02, quoting the reply", zh: "引用回复内容向 staff02 致谢")),
            step(
                "dingtalk.robot.send_single_chat",
                json!({ "robot": "${robot}", "userIds": [asked], "msgType": "text",
                        "content": words(text!(en: "Thanks! Noted: ${replyText}", zh: "谢谢！已记录：${replyText}")) }),
                &[],
            ),
        ),
        (
            words(
                text!(en: "Wait 2 s for manager01, who does not answer", zh: "等待 manager01 回复 2 秒（对方不回复）"),
            ),
            step(
                "dingtalk.robot.wait_for_reply",
                json!({ "robot": "${robot}", "userId": silent, "timeoutSeconds": 2 }),
                &[("replied", "managerReplied")],
            ),
        ),
    ];
    line(
        out,
        &words(text!(
            en: format!("\n=== Part 4: a flow that listens (Stream mode; {} steps)", steps.len()),
            zh: format!("\n=== 第 4 部分：会“听”的流程（Stream 模式，共 {} 步）", steps.len())
        )),
    )?;
    let answer = "PO 4711";
    let mut vars = vars;
    std::thread::scope(|scope| -> Result<(), FlowError> {
        for (index, (title, step)) in steps.into_iter().enumerate() {
            let number = first + index;
            if index == 1 {
                // The person answers about a second after the wait opened its connection.
                scope.spawn(move || {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    while emulator.stream_connection_count(APP_KEY) == 0 && std::time::Instant::now() < deadline {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    let _ = emulator.user_says(asked, &format!("It is {answer}, thanks"));
                });
            }
            vars = run_step(plugin, host, out, number, &title, &step, std::mem::take(&mut vars))?;
            if index == 1 {
                line(
                    out,
                    &words(
                        text!(en: format!("  (emulator) {asked} answered: \"It is {answer}, thanks\""), zh: format!("  （模拟器）{asked} 回复：“It is {answer}, thanks”")),
                    ),
                )?;
            }
        }
        Ok(())
    })?;
    let got = |name: &str| vars.get(name).cloned().unwrap_or(Value::Null);
    let thanked = emulator
        .delivered()
        .last()
        .and_then(|m| m.msg_param["content"].as_str().map(str::to_string))
        .unwrap_or_default();
    if got("replied") != true
        || !got("replyText").as_str().is_some_and(|t| t.contains(answer))
        || !thanked.contains(answer)
    {
        return Err(check_failed(
            first + 2,
            format!("expected {asked}'s reply with {answer}, quoted in the thanks; got {vars:?}"),
        ));
    }
    if got("managerReplied") != false {
        return Err(check_failed(first + 3, format!("expected no reply from {silent}; got {vars:?}")));
    }
    line(
        out,
        &words(text!(
            en: "\nPart 4 finished: the flow waited for staff02's answer, used it in the next step, and a wait for someone silent ended at its timeout with replied=false.",
            zh: "\n第 4 部分完成：流程等到了 staff02 的回复并在下一步使用；等待不回复的人在超时后以 replied=false 结束。"
        )),
    )?;
    Ok((first + 4, vars))
}

/// Part five, a flow that asks: staff02 approves an order on an interactive card (the
/// emulator clicks 同意 as staff02 about a second after the card arrives), the flow confirms
/// quoting `${answer}`, then asks manager01, who does not answer, with choice links for 2 s.
/// Its steps are numbered from `first`.
fn run_asking_part(
    plugin: &dyn Plugin,
    host: &dyn Host,
    out: &mut dyn Write,
    emulator: &Emulator,
    lang: &str,
    vars: Map<String, Value>,
    first: usize,
) -> Result<(), FlowError> {
    let words = |t: Text| t.get(lang).to_string();
    let (asked, silent, approve) = (USERS[1], USERS[0], "同意");
    let steps = [
        (
            words(
                text!(en: "Ask staff02 to approve order PO 4711 (card)", zh: "请 staff02 审批订单 PO 4711（互动卡片）"),
            ),
            step(
                "dingtalk.robot.ask",
                json!({ "robot": "${robot}", "userId": asked, "choices": ["同意", "拒绝"], "timeoutSeconds": 30,
                        "question": words(text!(en: "Approve order **PO 4711** (3 laptops, ¥21,000)?", zh: "是否同意订单 **PO 4711**（3 台笔记本电脑，¥21,000）？")),
                        "title": words(text!(en: "Order approval", zh: "订单审批")), "cardTemplateId": CARD_TEMPLATE }),
                &[("answered", "approved"), ("answer", "answer"), ("answeredBy", "answeredBy"), ("outTrackId", "card")],
            ),
        ),
        (
            words(text!(en: "Confirm to staff02 with the answer", zh: "把审批结果告知 staff02")),
            step(
                "dingtalk.robot.send_single_chat",
                json!({ "robot": "${robot}", "userIds": [asked], "msgType": "text",
                        "content": words(text!(en: "Order PO 4711: ${answer}. Thank you!", zh: "订单 PO 4711：${answer}。谢谢！")) }),
                &[],
            ),
        ),
        (
            words(
                text!(en: "Ask manager01 for 2 s (choice links; no answer)", zh: "向 manager01 提问 2 秒（选项链接，对方不回答）"),
            ),
            step(
                "dingtalk.robot.ask",
                json!({ "robot": "${robot}", "userId": silent, "choices": "同意, 拒绝", "timeoutSeconds": 2,
                        "question": words(text!(en: "Approve the travel budget?", zh: "是否同意差旅预算？")) }),
                &[("answered", "managerAnswered")],
            ),
        ),
    ];
    line(
        out,
        &words(text!(
            en: format!("\n=== Part 5: a flow that asks and waits for the answer ({} steps)", steps.len()),
            zh: format!("\n=== 第 5 部分：提问并等待回答的流程（共 {} 步）", steps.len())
        )),
    )?;
    let mut vars = vars;
    std::thread::scope(|scope| -> Result<(), FlowError> {
        for (index, (title, step)) in steps.into_iter().enumerate() {
            if index == 0 {
                // staff02 clicks about a second after the card arrived.
                scope.spawn(move || {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    while emulator.cards().is_empty() && std::time::Instant::now() < deadline {
                        std::thread::sleep(std::time::Duration::from_millis(50));
                    }
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    let _ = emulator.user_clicks_latest(asked, CARD_TEMPLATE, approve);
                });
            }
            vars = run_step(plugin, host, out, first + index, &title, &step, std::mem::take(&mut vars))?;
            if index == 0 {
                line(
                    out,
                    &words(
                        text!(en: format!("  (emulator) {asked} clicked {approve} on the card"), zh: format!("  （模拟器）{asked} 在卡片上点击了“{approve}”")),
                    ),
                )?;
            }
        }
        Ok(())
    })?;
    let got = |name: &str| vars.get(name).cloned().unwrap_or(Value::Null);
    // The click's acknowledgement (which closes the card) follows the answer at once.
    let card_now = || got("card").as_str().and_then(|track| emulator.card(track));
    let is_closed = |c: &dingtalk_emulator::Card| {
        c.card_param_map.get("status").map(String::as_str) == Some(approve)
            && c.card_param_map.get("closed").map(String::as_str) == Some("true")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !card_now().is_some_and(|c| is_closed(&c)) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let card = card_now();
    let closed = card.as_ref().is_some_and(is_closed);
    let confirmed = emulator.delivered().iter().any(|m| {
        m.user_ids.iter().any(|u| u == asked)
            && m.msg_param["content"].as_str().is_some_and(|c| c.contains("PO 4711") && c.contains(approve))
    });
    if got("approved") != true || got("answer") != approve || got("answeredBy") != asked || !closed || !confirmed {
        return Err(check_failed(
            first + 1,
            format!(
                "expected {asked}'s {approve} on a card closed by the click, quoted in the confirmation; got {vars:?} and card {card:?}"
            ),
        ));
    }
    if got("managerAnswered") != false {
        return Err(check_failed(first + 2, format!("expected no answer from {silent}; got {vars:?}")));
    }
    line(
        out,
        &words(text!(
            en: "\nPart 5 finished: staff02 approved on the card (its buttons closed by the click), the confirmation quoted the answer, and an ask nobody answered ended at its timeout with answered=false.",
            zh: "\n第 5 部分完成：staff02 在卡片上点击同意（点击后按钮即关闭），确认消息引用了该回答；无人回答的提问在超时后以 answered=false 结束。"
        )),
    )?;
    Ok(())
}
