//! The studio page's own words, in both languages. The page holds no text of its own: it
//! asks for these (`GET /api/studio`) and shows the plugin's words from its manifest.
//! `{n}`, `{name}` and the like are filled in by the page.

use rpa_plugin_abi::{Text, text};

/// One word of the page: the key the page asks for it by, and its text in both languages.
pub(crate) struct Word {
    /// What the page calls it (`word('run')`).
    pub(crate) key: &'static str,
    /// What it says.
    pub(crate) text: Text,
}

/// Every word of the page, by the key the page uses.
pub(crate) const WORDS: &[Word] = &[
    Word { key: "title", text: text!(en: "host-sim studio", zh: "host-sim 设计器") },
    Word { key: "palette", text: text!(en: "Actions", zh: "动作") },
    Word {
        key: "paletteHint",
        text: text!(en: "Drag an action onto the flow, or press Enter on it to add it at the end.", zh: "把动作拖到流程中，或在动作上按回车键添加到末尾。"),
    },
    Word { key: "canvas", text: text!(en: "Flow", zh: "流程") },
    Word { key: "canvasEmpty", text: text!(en: "Drop actions here.", zh: "把动作拖放到这里。") },
    Word {
        key: "canvasHint",
        text: text!(en: "Keys on a step: Enter opens its form, Alt+↑/Alt+↓ move it, Delete removes it.", zh: "步骤上的按键：回车打开表单，Alt+↑/Alt+↓ 移动，Delete 删除。"),
    },
    Word { key: "form", text: text!(en: "Step settings", zh: "步骤设置") },
    Word {
        key: "formEmpty", text: text!(en: "Select a step to fill in its form.", zh: "选择一个步骤以填写表单。")
    },
    Word { key: "step", text: text!(en: "Step {n}", zh: "步骤 {n}") },
    Word { key: "basic", text: text!(en: "Basic", zh: "常规") },
    Word { key: "advanced", text: text!(en: "Advanced", zh: "高级") },
    Word { key: "noFields", text: text!(en: "Nothing to fill in here.", zh: "此处无需填写。") },
    Word { key: "outputs", text: text!(en: "Outputs", zh: "输出") },
    Word {
        key: "outputsHint",
        text: text!(en: "Each output is kept in a variable that later steps can use as ${name}.", zh: "每个输出保存在一个变量中，后续步骤可用 ${name} 引用。"),
    },
    Word { key: "required", text: text!(en: "required", zh: "必填") },
    Word { key: "sayAs", text: text!(en: "Reply to the robot as a user", zh: "以用户身份回复机器人") },
    Word { key: "sayText", text: text!(en: "What the user writes", zh: "用户发送的内容") },
    Word { key: "saySend", text: text!(en: "Send", zh: "发送") },
    Word {
        key: "saySent",
        text: text!(en: "{user}'s message went to the robot.", zh: "已以 {user} 的身份发给机器人。"),
    },
    Word { key: "defaultIs", text: text!(en: "default: {value}", zh: "默认值：{value}") },
    Word { key: "jsonHint", text: text!(en: "JSON value.", zh: "JSON 值。") },
    Word {
        key: "secretHint",
        text: text!(en: "Secret: never shown again, and saved as ${env:NAME} unless you choose otherwise.", zh: "保密：不会再显示；保存时默认写成 ${env:NAME}。"),
    },
    Word {
        key: "useEnv", text: text!(en: "Read from the environment variable {name}", zh: "从环境变量 {name} 读取")
    },
    Word { key: "variable", text: text!(en: "Variable", zh: "变量") },
    Word { key: "insertVariable", text: text!(en: "Insert a variable…", zh: "插入变量…") },
    Word { key: "chooseVariable", text: text!(en: "Choose a variable…", zh: "选择变量…") },
    Word {
        key: "noVariable",
        text: text!(en: "No earlier step outputs a value of this type: add one above this step.", zh: "前面的步骤没有输出这种类型的值：请先在此步骤之前添加一个。"),
    },
    Word { key: "fromStep", text: text!(en: "from step {n}", zh: "来自步骤 {n}") },
    Word { key: "fromFlow", text: text!(en: "flow variable", zh: "流程变量") },
    Word { key: "moveUp", text: text!(en: "Move up", zh: "上移") },
    Word { key: "moveDown", text: text!(en: "Move down", zh: "下移") },
    Word { key: "remove", text: text!(en: "Remove", zh: "删除") },
    Word { key: "run", text: text!(en: "Run", zh: "运行") },
    Word { key: "stop", text: text!(en: "Stop", zh: "停止") },
    Word { key: "running", text: text!(en: "running…", zh: "运行中…") },
    Word { key: "notRun", text: text!(en: "not run", zh: "未运行") },
    Word { key: "statusOk", text: text!(en: "ok", zh: "成功") },
    Word { key: "statusError", text: text!(en: "error", zh: "失败") },
    Word { key: "save", text: text!(en: "Save", zh: "保存") },
    Word { key: "load", text: text!(en: "Load", zh: "打开") },
    Word { key: "example", text: text!(en: "Example", zh: "示例") },
    Word {
        key: "exampleLoaded",
        text: text!(en: "The example (the flow of host-sim demo) is loaded: type the AppSecret printed where the studio started into step 1, then Run.", zh: "已载入示例（host-sim demo 的流程）：请在步骤 1 中填入启动设计器时打印的 AppSecret，然后运行。"),
    },
    Word { key: "saveTitle", text: text!(en: "Save the flow", zh: "保存流程") },
    Word { key: "saveSecrets", text: text!(en: "Write secrets into the file", zh: "把密钥写入文件") },
    Word {
        key: "saveEnvNote",
        text: text!(en: "Secrets are written as environment variables: set {names} before running host-sim run.", zh: "密钥写成环境变量：运行 host-sim run 前请设置 {names}。"),
    },
    Word {
        key: "saveSecretsNote",
        text: text!(en: "The file will hold the secrets as typed: keep it private.", zh: "文件中将包含输入的密钥：请妥善保管。"),
    },
    Word {
        key: "saveRunHint",
        text: text!(en: "Run it with: host-sim run flow.json", zh: "运行方式：host-sim run flow.json"),
    },
    Word { key: "download", text: text!(en: "Download flow.json", zh: "下载 flow.json") },
    Word { key: "close", text: text!(en: "Close", zh: "关闭") },
    Word { key: "loaded", text: text!(en: "Loaded {name}: {n} step(s).", zh: "已打开 {name}：{n} 个步骤。") },
    Word { key: "loadFailed", text: text!(en: "Cannot load {name}: {why}", zh: "无法打开 {name}：{why}") },
    Word {
        key: "notAFlow",
        text: text!(en: "not a flow: expected {\"steps\": [{\"action\": …}]}", zh: "不是流程文件：应为 {\"steps\": [{\"action\": …}]}"),
    },
    Word { key: "added", text: text!(en: "Added step {n}: {title}.", zh: "已添加步骤 {n}：{title}。") },
    Word { key: "moved", text: text!(en: "Moved to step {n}.", zh: "已移到步骤 {n}。") },
    Word { key: "removed", text: text!(en: "Removed step {n}.", zh: "已删除步骤 {n}。") },
    Word {
        key: "checkFailed",
        text: text!(en: "Fix the marked fields first: nothing was run.", zh: "请先修正标出的字段：未运行任何步骤。"),
    },
    Word {
        key: "ranOk", text: text!(en: "The flow ran: every step is ok.", zh: "流程已运行：每个步骤都成功。")
    },
    Word {
        key: "ranError",
        text: text!(en: "Step {n} failed; later steps did not run.", zh: "步骤 {n} 失败；后续步骤未运行。"),
    },
    Word { key: "emptyFlow", text: text!(en: "Add a step first.", zh: "请先添加步骤。") },
    Word { key: "busy", text: text!(en: "A run is in progress.", zh: "正在运行。") },
    Word {
        key: "serverError",
        text: text!(en: "The studio server did not answer: {why}", zh: "设计器服务无响应：{why}"),
    },
    Word { key: "hint", text: text!(en: "Hint", zh: "提示") },
    Word { key: "upstream", text: text!(en: "The service said", zh: "服务方返回") },
    Word { key: "details", text: text!(en: "Details", zh: "详细信息") },
    Word {
        key: "emulator", text: text!(en: "What DingTalk (the emulator) received", zh: "钉钉（模拟器）收到的内容")
    },
    Word {
        key: "emulatorOff",
        text: text!(en: "No emulator: started with --no-emulator.", zh: "未启动模拟器（--no-emulator）。"),
    },
    Word {
        key: "emulatorAt",
        text: text!(en: "Emulator at {url}, AppKey {appKey} (the AppSecret is printed where the studio was started).", zh: "模拟器地址 {url}，AppKey {appKey}（AppSecret 打印在启动设计器的终端中）。"),
    },
    Word {
        key: "emulatorUsers",
        text: text!(en: "Users: {users}; flow-controlled: {limited}.", zh: "用户：{users}；被限流：{limited}。"),
    },
    Word { key: "noMessages", text: text!(en: "Nothing received yet.", zh: "尚未收到任何内容。") },
    Word { key: "template", text: text!(en: "Template", zh: "模板") },
    Word { key: "recipients", text: text!(en: "Recipients", zh: "接收人") },
    Word { key: "msgParam", text: text!(en: "msgParam", zh: "msgParam") },
    Word { key: "uploads", text: text!(en: "Uploaded files", zh: "已上传文件") },
    Word { key: "stats", text: text!(en: "Counters", zh: "计数") },
    Word { key: "statsNone", text: text!(en: "nothing counted yet", zh: "尚无计数") },
    Word { key: "byTemplate", text: text!(en: "by template", zh: "按模板") },
    Word { key: "log", text: text!(en: "Log of the last run", zh: "上次运行的日志") },
    Word { key: "logLine", text: text!(en: "{level}: {line}", zh: "{level}：{line}") },
    Word { key: "level.error", text: text!(en: "error", zh: "错误") },
    Word { key: "level.warn", text: text!(en: "warning", zh: "警告") },
    Word { key: "level.info", text: text!(en: "info", zh: "信息") },
    Word { key: "level.debug", text: text!(en: "debug", zh: "调试") },
    Word { key: "webhook", text: text!(en: "Custom robot (webhook)", zh: "自定义机器人（Webhook）") },
    Word {
        key: "webhookHelp",
        text: text!(en: "To try the two custom robot actions, copy these into \"Connect custom robot\"; what the group {group} receives is listed below.", zh: "要试用自定义机器人的两个动作，请把下面两项填入“建立自定义机器人连接”；群 {group} 收到的消息列在下方。"),
    },
    Word { key: "webhookUrl", text: text!(en: "Webhook URL", zh: "Webhook 地址") },
    Word { key: "webhookSecret", text: text!(en: "Signing secret", zh: "加签密钥") },
    Word { key: "groupReceived", text: text!(en: "What the group received", zh: "群收到的消息") },
    Word { key: "clickAs", text: text!(en: "Click a card choice as a user", zh: "以用户身份点击卡片选项") },
    Word {
        key: "clickCard",
        text: text!(en: "Card (its outTrackId; empty: the newest card)", zh: "卡片（outTrackId；留空则为最新的卡片）"),
    },
    Word {
        key: "clickHelp",
        text: text!(
            en: "To try an ask with an interactive card, give it the card template ID {template}; while it waits, click a choice here.",
            zh: "要试用互动卡片提问，请在提问步骤中填写卡片模板 ID {template}；步骤等待回答时，在这里点击选项。"
        ),
    },
    Word { key: "clickChoice", text: text!(en: "The choice", zh: "选项") },
    Word { key: "clickSend", text: text!(en: "Click", zh: "点击") },
    Word { key: "clicked", text: text!(en: "{user} clicked {choice}.", zh: "{user} 点击了 {choice}。") },
    Word {
        key: "flowJson",
        text: text!(en: "The flow, as host-sim run takes it", zh: "流程（host-sim run 可直接运行）"),
    },
    Word { key: "language", text: text!(en: "Language", zh: "语言") },
    // The emulator's counters (`stat.` and the counter's key), so that the page labels each.
    Word { key: "stat.tokenRequests", text: text!(en: "token requests", zh: "获取令牌") },
    Word { key: "stat.batchSendRequests", text: text!(en: "batch send requests", zh: "批量发送请求") },
    Word { key: "stat.messages", text: text!(en: "messages delivered", zh: "送达消息") },
    Word { key: "stat.messagesByTemplate", text: text!(en: "messages by template", zh: "各模板送达") },
    Word { key: "stat.groupMessages", text: text!(en: "group messages", zh: "群消息") },
    Word { key: "stat.uploads", text: text!(en: "files uploaded", zh: "上传文件") },
    Word { key: "stat.mobileLookups", text: text!(en: "mobile lookups", zh: "手机号查询") },
    Word { key: "stat.throttled", text: text!(en: "throttled requests", zh: "被限流的请求") },
    Word { key: "stat.robotSendRequests", text: text!(en: "custom robot requests", zh: "自定义机器人请求") },
    Word { key: "stat.webhookMessages", text: text!(en: "custom robot messages", zh: "自定义机器人消息") },
    Word { key: "stat.webhookBans", text: text!(en: "custom robot bans", zh: "自定义机器人被封禁") },
    Word { key: "stat.connections", text: text!(en: "connections", zh: "连接") },
    Word { key: "stat.idleClosed", text: text!(en: "idle connections closed", zh: "关闭的空闲连接") },
    Word { key: "stat.streamOpenRequests", text: text!(en: "Stream open requests", zh: "Stream 连接请求") },
    Word { key: "stat.streamConnections", text: text!(en: "Stream connections", zh: "Stream 连接") },
    Word { key: "stat.streamPushed", text: text!(en: "messages pushed over Stream", zh: "Stream 推送消息") },
    Word { key: "stat.streamAcks", text: text!(en: "Stream acks", zh: "Stream 确认") },
    Word { key: "stat.streamPingsAnswered", text: text!(en: "Stream pings answered", zh: "Stream 心跳应答") },
    Word {
        key: "stat.sessionWebhookRequests", text: text!(en: "replies in the chat requests", zh: "会话内回复请求")
    },
    Word { key: "stat.sessionWebhookMessages", text: text!(en: "replies in the chat", zh: "会话内回复消息") },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn word(key: &str) -> Option<&'static Text> {
        WORDS.iter().find(|w| w.key == key).map(|w| &w.text)
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
        for Word { key, text } in WORDS {
            assert!(keys.insert(*key), "{key} twice");
            assert!(!text.is_incomplete(), "{key}");
        }
    }
}
