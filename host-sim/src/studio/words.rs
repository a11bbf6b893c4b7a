//! The studio page's own words, in both languages. The page holds no text of its own: it
//! asks for these (`GET /api/studio`) and shows the plugin's words from its manifest.
//! `{n}`, `{name}` and the like are filled in by the page.

use rpa_plugin_abi::{Text, text};

/// Every word of the page, by the key the page uses.
pub(crate) const WORDS: &[(&str, Text)] = &[
    ("title", text!(en: "host-sim studio", zh: "host-sim 设计器")),
    ("palette", text!(en: "Actions", zh: "动作")),
    (
        "paletteHint",
        text!(en: "Drag an action onto the flow, or press Enter on it to add it at the end.", zh: "把动作拖到流程中，或在动作上按回车键添加到末尾。"),
    ),
    ("canvas", text!(en: "Flow", zh: "流程")),
    ("canvasEmpty", text!(en: "Drop actions here.", zh: "把动作拖放到这里。")),
    (
        "canvasHint",
        text!(en: "Keys on a step: Enter opens its form, Alt+↑/Alt+↓ move it, Delete removes it.", zh: "步骤上的按键：回车打开表单，Alt+↑/Alt+↓ 移动，Delete 删除。"),
    ),
    ("form", text!(en: "Step settings", zh: "步骤设置")),
    ("formEmpty", text!(en: "Select a step to fill in its form.", zh: "选择一个步骤以填写表单。")),
    ("step", text!(en: "Step {n}", zh: "步骤 {n}")),
    ("basic", text!(en: "Basic", zh: "常规")),
    ("advanced", text!(en: "Advanced", zh: "高级")),
    ("noFields", text!(en: "Nothing to fill in here.", zh: "此处无需填写。")),
    ("outputs", text!(en: "Outputs", zh: "输出")),
    (
        "outputsHint",
        text!(en: "Each output is kept in a variable that later steps can use as ${name}.", zh: "每个输出保存在一个变量中，后续步骤可用 ${name} 引用。"),
    ),
    ("required", text!(en: "required", zh: "必填")),
    ("sayAs", text!(en: "Reply to the robot as a user", zh: "以用户身份回复机器人")),
    ("sayText", text!(en: "What the user writes", zh: "用户发送的内容")),
    ("saySend", text!(en: "Send", zh: "发送")),
    ("saySent", text!(en: "{user}'s message went to the robot.", zh: "已以 {user} 的身份发给机器人。")),
    ("defaultIs", text!(en: "default: {value}", zh: "默认值：{value}")),
    ("jsonHint", text!(en: "JSON value.", zh: "JSON 值。")),
    (
        "secretHint",
        text!(en: "Secret: never shown again, and saved as ${env:NAME} unless you choose otherwise.", zh: "保密：不会再显示；保存时默认写成 ${env:NAME}。"),
    ),
    ("useEnv", text!(en: "Read from the environment variable {name}", zh: "从环境变量 {name} 读取")),
    ("variable", text!(en: "Variable", zh: "变量")),
    ("insertVariable", text!(en: "Insert a variable…", zh: "插入变量…")),
    ("chooseVariable", text!(en: "Choose a variable…", zh: "选择变量…")),
    (
        "noVariable",
        text!(en: "No earlier step outputs a value of this type: add one above this step.", zh: "前面的步骤没有输出这种类型的值：请先在此步骤之前添加一个。"),
    ),
    ("fromStep", text!(en: "from step {n}", zh: "来自步骤 {n}")),
    ("fromFlow", text!(en: "flow variable", zh: "流程变量")),
    ("moveUp", text!(en: "Move up", zh: "上移")),
    ("moveDown", text!(en: "Move down", zh: "下移")),
    ("remove", text!(en: "Remove", zh: "删除")),
    ("run", text!(en: "Run", zh: "运行")),
    ("stop", text!(en: "Stop", zh: "停止")),
    ("running", text!(en: "running…", zh: "运行中…")),
    ("notRun", text!(en: "not run", zh: "未运行")),
    ("statusOk", text!(en: "ok", zh: "成功")),
    ("statusError", text!(en: "error", zh: "失败")),
    ("save", text!(en: "Save", zh: "保存")),
    ("load", text!(en: "Load", zh: "打开")),
    ("example", text!(en: "Example", zh: "示例")),
    (
        "exampleLoaded",
        text!(en: "The example (the flow of host-sim demo) is loaded: type the AppSecret printed where the studio started into step 1, then Run.", zh: "已载入示例（host-sim demo 的流程）：请在步骤 1 中填入启动设计器时打印的 AppSecret，然后运行。"),
    ),
    ("saveTitle", text!(en: "Save the flow", zh: "保存流程")),
    ("saveSecrets", text!(en: "Write secrets into the file", zh: "把密钥写入文件")),
    (
        "saveEnvNote",
        text!(en: "Secrets are written as environment variables: set {names} before running host-sim run.", zh: "密钥写成环境变量：运行 host-sim run 前请设置 {names}。"),
    ),
    (
        "saveSecretsNote",
        text!(en: "The file will hold the secrets as typed: keep it private.", zh: "文件中将包含输入的密钥：请妥善保管。"),
    ),
    ("saveRunHint", text!(en: "Run it with: host-sim run flow.json", zh: "运行方式：host-sim run flow.json")),
    ("download", text!(en: "Download flow.json", zh: "下载 flow.json")),
    ("close", text!(en: "Close", zh: "关闭")),
    ("loaded", text!(en: "Loaded {name}: {n} step(s).", zh: "已打开 {name}：{n} 个步骤。")),
    ("loadFailed", text!(en: "Cannot load {name}: {why}", zh: "无法打开 {name}：{why}")),
    (
        "notAFlow",
        text!(en: "not a flow: expected {\"steps\": [{\"action\": …}]}", zh: "不是流程文件：应为 {\"steps\": [{\"action\": …}]}"),
    ),
    ("added", text!(en: "Added step {n}: {title}.", zh: "已添加步骤 {n}：{title}。")),
    ("moved", text!(en: "Moved to step {n}.", zh: "已移到步骤 {n}。")),
    ("removed", text!(en: "Removed step {n}.", zh: "已删除步骤 {n}。")),
    (
        "checkFailed",
        text!(en: "Fix the marked fields first: nothing was run.", zh: "请先修正标出的字段：未运行任何步骤。"),
    ),
    ("ranOk", text!(en: "The flow ran: every step is ok.", zh: "流程已运行：每个步骤都成功。")),
    ("ranError", text!(en: "Step {n} failed; later steps did not run.", zh: "步骤 {n} 失败；后续步骤未运行。")),
    ("emptyFlow", text!(en: "Add a step first.", zh: "请先添加步骤。")),
    ("busy", text!(en: "A run is in progress.", zh: "正在运行。")),
    ("serverError", text!(en: "The studio server did not answer: {why}", zh: "设计器服务无响应：{why}")),
    ("hint", text!(en: "Hint", zh: "提示")),
    ("upstream", text!(en: "The service said", zh: "服务方返回")),
    ("details", text!(en: "Details", zh: "详细信息")),
    ("emulator", text!(en: "What DingTalk (the emulator) received", zh: "钉钉（模拟器）收到的内容")),
    ("emulatorOff", text!(en: "No emulator: started with --no-emulator.", zh: "未启动模拟器（--no-emulator）。")),
    (
        "emulatorAt",
        text!(en: "Emulator at {url}, AppKey {appKey} (the AppSecret is printed where the studio was started).", zh: "模拟器地址 {url}，AppKey {appKey}（AppSecret 打印在启动设计器的终端中）。"),
    ),
    (
        "emulatorUsers",
        text!(en: "Users: {users}; flow-controlled: {limited}.", zh: "用户：{users}；被限流：{limited}。"),
    ),
    ("noMessages", text!(en: "Nothing received yet.", zh: "尚未收到任何内容。")),
    ("template", text!(en: "Template", zh: "模板")),
    ("recipients", text!(en: "Recipients", zh: "接收人")),
    ("msgParam", text!(en: "msgParam", zh: "msgParam")),
    ("uploads", text!(en: "Uploaded files", zh: "已上传文件")),
    ("stats", text!(en: "Counters", zh: "计数")),
    ("statsNone", text!(en: "nothing counted yet", zh: "尚无计数")),
    ("byTemplate", text!(en: "by template", zh: "按模板")),
    ("log", text!(en: "Log of the last run", zh: "上次运行的日志")),
    ("logLine", text!(en: "{level}: {line}", zh: "{level}：{line}")),
    ("level.error", text!(en: "error", zh: "错误")),
    ("level.warn", text!(en: "warning", zh: "警告")),
    ("level.info", text!(en: "info", zh: "信息")),
    ("level.debug", text!(en: "debug", zh: "调试")),
    ("webhook", text!(en: "Custom robot (webhook)", zh: "自定义机器人（Webhook）")),
    (
        "webhookHelp",
        text!(en: "To try the two custom robot actions, copy these into \"Connect custom robot\"; what the group {group} receives is listed below.", zh: "要试用自定义机器人的两个动作，请把下面两项填入“建立自定义机器人连接”；群 {group} 收到的消息列在下方。"),
    ),
    ("webhookUrl", text!(en: "Webhook URL", zh: "Webhook 地址")),
    ("webhookSecret", text!(en: "Signing secret", zh: "加签密钥")),
    ("groupReceived", text!(en: "What the group received", zh: "群收到的消息")),
    ("clickAs", text!(en: "Click a card choice as a user", zh: "以用户身份点击卡片选项")),
    ("clickCard", text!(en: "Card (its outTrackId)", zh: "卡片（outTrackId）")),
    ("clickChoice", text!(en: "The choice", zh: "选项")),
    ("clickSend", text!(en: "Click", zh: "点击")),
    ("clicked", text!(en: "{user} clicked {choice}.", zh: "{user} 点击了 {choice}。")),
    ("flowJson", text!(en: "The flow, as host-sim run takes it", zh: "流程（host-sim run 可直接运行）")),
    ("language", text!(en: "Language", zh: "语言")),
    // The emulator's counters (`stat.` and the counter's key), so that the page labels each.
    ("stat.tokenRequests", text!(en: "token requests", zh: "获取令牌")),
    ("stat.batchSendRequests", text!(en: "batch send requests", zh: "批量发送请求")),
    ("stat.messages", text!(en: "messages delivered", zh: "送达消息")),
    ("stat.messagesByTemplate", text!(en: "messages by template", zh: "各模板送达")),
    ("stat.groupMessages", text!(en: "group messages", zh: "群消息")),
    ("stat.uploads", text!(en: "files uploaded", zh: "上传文件")),
    ("stat.mobileLookups", text!(en: "mobile lookups", zh: "手机号查询")),
    ("stat.throttled", text!(en: "throttled requests", zh: "被限流的请求")),
    ("stat.robotSendRequests", text!(en: "custom robot requests", zh: "自定义机器人请求")),
    ("stat.webhookMessages", text!(en: "custom robot messages", zh: "自定义机器人消息")),
    ("stat.webhookBans", text!(en: "custom robot bans", zh: "自定义机器人被封禁")),
    ("stat.connections", text!(en: "connections", zh: "连接")),
    ("stat.idleClosed", text!(en: "idle connections closed", zh: "关闭的空闲连接")),
    ("stat.streamOpenRequests", text!(en: "Stream open requests", zh: "Stream 连接请求")),
    ("stat.streamConnections", text!(en: "Stream connections", zh: "Stream 连接")),
    ("stat.streamPushed", text!(en: "messages pushed over Stream", zh: "Stream 推送消息")),
    ("stat.streamAcks", text!(en: "Stream acks", zh: "Stream 确认")),
    ("stat.streamPingsAnswered", text!(en: "Stream pings answered", zh: "Stream 心跳应答")),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn word(key: &str) -> Option<&'static Text> {
        WORDS.iter().find(|(k, _)| *k == key).map(|(_, text)| text)
    }

    #[test]
    fn every_counter_of_the_emulator_has_a_label() {
        let stats = serde_json::to_value(dingtalk_emulator::Stats::default()).unwrap();
        let keys: Vec<&String> = stats.as_object().unwrap().keys().collect();
        assert!(keys.len() > 10, "{keys:?}");
        for key in keys {
            let text = word(&format!("stat.{key}")).unwrap_or_else(|| panic!("no label for the counter {key}"));
            assert!(!text.is_incomplete(), "{key}");
        }
    }

    #[test]
    fn every_word_is_in_both_languages_once() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, text) in WORDS {
            assert!(keys.insert(*key), "{key} twice");
            assert!(!text.is_incomplete(), "{key}");
        }
    }
}
