//! What each error code means, its usual causes and the fix, in the user's words: the source
//! of the user guide's error section (`docs/guide.*.md`, generated and checked by a test), so
//! that no explanation is written twice.

use rpa_plugin_abi::{Text, text};

use super::code;

/// One error code, explained for the people who meet it.
pub(crate) struct CodeDoc {
    /// The stable code.
    pub(crate) code: &'static str,
    /// What it means.
    pub(crate) meaning: Text,
    /// What usually causes it.
    pub(crate) causes: Text,
    /// What to do.
    pub(crate) fix: Text,
    /// DingTalk's own codes (or HTTP statuses) that become this code, with what they mean
    /// (empty when no answer of DingTalk's does).
    pub(crate) dingtalk: Text,
}

/// No DingTalk code becomes this one.
const NONE: Text = text!(en: "", zh: "");

/// Every code the plugin returns, in the order a user is likely to meet them.
pub(crate) const CODE_DOCS: [CodeDoc; 29] = [
    CodeDoc {
        code: code::INVALID_INPUT,
        meaning: text!(en: "An input of the step is missing, of the wrong type, too long, out of range, or names a file that cannot be sent.", zh: "步骤的某个输入缺失、类型不对、过长、超出范围，或指向无法发送的文件。"),
        causes: text!(en: "An empty required field; text where a number belongs; more than {MAX_RECIPIENTS} receivers; a user ID with a space inside; a file of a type or size DingTalk does not take.", zh: "必填项为空；应填数字处填了文字；接收人超过 {MAX_RECIPIENTS} 个；用户 ID 中间有空格；文件类型或大小不被钉钉接受。"),
        fix: text!(en: "Read the message and the field it names (`field`); its hint says what the field takes. Nothing was sent.", zh: "查看错误信息及其指出的字段（field），提示中写明了该字段的要求。未发送任何内容。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::INVALID_PARAMS,
        meaning: text!(en: "The designer passed the step's values in a form the plugin cannot read (not a JSON object).", zh: "设计器传给插件的参数不是 JSON 对象，插件无法读取。"),
        causes: text!(en: "A designer or script that builds the params by hand.", zh: "设计器或脚本手工拼接参数时出错。"),
        fix: text!(en: "Pass the form's values as one JSON object keyed by field name.", zh: "以字段名为键，把表单的值作为一个 JSON 对象传入。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::UNKNOWN_ACTION,
        meaning: text!(en: "The designer asked for an action this plugin does not have.", zh: "设计器调用了本插件没有的动作。"),
        causes: text!(en: "A flow made with a newer plugin, or a misspelt action id.", zh: "流程是用更新版本的插件制作的，或动作 ID 拼写错误。"),
        fix: text!(en: "Update the plugin, or pick the action again from the palette.", zh: "升级插件，或从动作面板中重新拖入该动作。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::ROBOT_NOT_CONNECTED,
        meaning: text!(en: "The robot object given to the step was not made by \"Create DingTalk robot connection\" in this run.", zh: "传入的机器人对象不是本次运行中“建立钉钉机器人连接”输出的。"),
        causes: text!(en: "The connect step is missing or comes later; a robot object typed by hand or saved from an earlier run.", zh: "缺少连接步骤或其顺序在后；机器人对象是手工填写或从上次运行保存下来的。"),
        fix: text!(en: "Put \"Create DingTalk robot connection\" before this step and pass its output `robot` here.", zh: "在本步骤之前加入“建立钉钉机器人连接”，并把它输出的 robot 传到这里。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::AUTH_FAILED,
        meaning: text!(en: "DingTalk refused the AppKey/AppSecret.", zh: "钉钉拒绝了 AppKey/AppSecret。"),
        causes: text!(en: "A wrong or reset AppSecret; AppKey and AppSecret of different apps; a space copied with them.", zh: "AppSecret 错误或已重置；AppKey 与 AppSecret 不属于同一应用；复制时带了空格。"),
        fix: text!(en: "Copy both again from the developer console (app > credentials and basic info).", zh: "在开发者后台（应用 > 凭证与基础信息）重新复制两者。"),
        dingtalk: text!(en: "invalidClientIdOrSecret (HTTP 400); custom robot: errcode 300001, 300005, 400101 (the webhook's access_token is unknown or the robot was removed)", zh: "invalidClientIdOrSecret（HTTP 400）；自定义机器人：错误码 300001、300005、400101（Webhook 的 access_token 无效，或机器人已被移除）"),
    },
    CodeDoc {
        code: code::PERMISSION_DENIED,
        meaning: text!(en: "The app lacks a permission the call needs.", zh: "应用缺少本次调用所需的权限。"),
        causes: text!(en: "The permission was never granted, or granted without publishing the app again.", zh: "从未开通该权限，或开通后没有重新发布应用。"),
        fix: text!(en: "Grant the permission the message names (for sending: 企业内机器人发送消息权限, qyapi_robot_sendmsg), then publish the app again.", zh: "开通错误信息中指出的权限（发送消息需要“企业内机器人发送消息权限”qyapi_robot_sendmsg），然后重新发布应用。"),
        dingtalk: text!(en: "Forbidden.AccessDenied.AccessTokenPermissionDenied (HTTP 403); errcode 60011", zh: "Forbidden.AccessDenied.AccessTokenPermissionDenied（HTTP 403）；错误码 60011"),
    },
    CodeDoc {
        code: code::IP_NOT_ALLOWED,
        meaning: text!(en: "This machine's public IP address is not on the app's allow-list.", zh: "本机的公网出口 IP 不在应用的白名单中。"),
        causes: text!(en: "The app has a server IP allow-list and the flow runs on another machine or network.", zh: "应用设置了服务器出口 IP 白名单，而流程运行在其他电脑或网络上。"),
        fix: text!(en: "Add this machine's public IP to the app's allow-list in the developer console.", zh: "在开发者后台把本机的公网出口 IP 加入白名单。"),
        dingtalk: text!(en: "Forbidden.AccessDenied.IpNotInWhiteList (HTTP 403); errcode 60020; custom robot: errcode 310000 (ip X not in whitelist)", zh: "Forbidden.AccessDenied.IpNotInWhiteList（HTTP 403）；错误码 60020；自定义机器人：错误码 310000（钉钉原文为“ip X not in whitelist”）"),
    },
    CodeDoc {
        code: code::ROBOT_CODE_INVALID,
        meaning: text!(en: "DingTalk does not know the robot code, or the robot is not enabled.", zh: "钉钉找不到该机器人编码，或机器人未启用。"),
        causes: text!(en: "The app's robot capability is off or the app is not published; a robot code from another app.", zh: "应用未开启机器人能力或未发布；填写了其他应用的机器人编码。"),
        fix: text!(en: "Enable the robot for the app, publish it, and leave robotCode empty (it defaults to the AppKey).", zh: "为应用开启机器人能力并发布，robotCode 留空（默认等于 AppKey）。"),
        dingtalk: text!(en: "chatbotId.notAllow.sendOTO and robot codes DingTalk does not know (HTTP 400)", zh: "chatbotId.notAllow.sendOTO，以及钉钉不认识机器人编码时的其他错误码（HTTP 400）"),
    },
    CodeDoc {
        code: code::THROTTLED,
        meaning: text!(en: "DingTalk kept throttling the app after the plugin waited and retried.", zh: "插件等待并重试后，钉钉仍在限流。"),
        causes: text!(en: "More than {QPS_DEFAULT} calls a second for the app (DingTalk's standard limit, and the connection's default qpsLimit), from this flow and others using the same app.", zh: "该应用每秒调用超过 {QPS_DEFAULT} 次（钉钉的标准限额，也是连接的 qpsLimit 默认值），包括使用同一应用的其他流程。"),
        fix: text!(en: "Lower qpsLimit on the connection, run fewer flows at once, or raise timeoutSeconds so that the waits fit.", zh: "调低连接的 qpsLimit、减少同时运行的流程，或调大 timeoutSeconds 以便等待。"),
        dingtalk: text!(en: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi (HTTP 403); errcode 90018; custom robot: errcode 410100 (more than 20 messages a minute, banned for 10 minutes)", zh: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi（HTTP 403）；错误码 90018；自定义机器人：错误码 410100（每分钟超过 20 条，被限流 10 分钟）"),
    },
    CodeDoc {
        code: code::NETWORK,
        meaning: text!(en: "DingTalk (or the proxy in between) could not be reached. Nothing was sent.", zh: "无法连接钉钉（或中间的代理），未发送任何内容。"),
        causes: text!(en: "No network; a firewall; a proxy that is down; a wrong base URL.", zh: "没有网络；防火墙拦截；代理未运行；接口地址错误。"),
        fix: text!(en: "Check the network and the proxy settings; the step can be run again safely.", zh: "检查网络和代理设置；可以放心地重新运行该步骤。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::TIMEOUT,
        meaning: text!(en: "A call that is safe to repeat (token, upload) got no answer within timeoutSeconds.", zh: "可安全重复的调用（获取令牌、上传）在 timeoutSeconds 内没有响应。"),
        causes: text!(en: "A slow network or a slow DingTalk; a large file on a slow link.", zh: "网络或钉钉响应慢；在慢速网络上传大文件。"),
        fix: text!(en: "Run the step again, or raise timeoutSeconds on the connection.", zh: "重新运行该步骤，或调大连接的 timeoutSeconds。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::BAD_RESPONSE,
        meaning: text!(en: "The answer could not be read (a server error, an HTML page, broken JSON).", zh: "无法解析响应（服务器错误、HTML 页面或损坏的 JSON）。"),
        causes: text!(en: "A DingTalk outage, or a proxy or gateway in between that answers instead. Only calls that are safe to repeat (a token, an upload, a query) end here; a send or a recall that gets a server error is SEND_OUTCOME_UNKNOWN or RECALL_OUTCOME_UNKNOWN instead, because the error does not say whether it took effect.", zh: "钉钉故障，或中间的代理、网关代为作答。只有可安全重复的调用（获取令牌、上传、查询）会得到此错误；发送或撤回遇到服务器错误时返回 SEND_OUTCOME_UNKNOWN 或 RECALL_OUTCOME_UNKNOWN，因为服务器错误不能说明请求是否已经生效。"),
        fix: text!(en: "Try again later; if it persists, check the proxy.", zh: "稍后重试；若持续出现，请检查代理。"),
        dingtalk: text!(en: "HTTP 5xx on a call that is safe to repeat (after one more try)", zh: "可安全重复的调用（获取令牌、上传、查询）返回 HTTP 5xx，且再试一次仍然如此"),
    },
    CodeDoc {
        code: code::REDIRECTED,
        meaning: text!(en: "The server answered with a redirect. Redirects are never followed, so no secret goes to another host; nothing was sent there.", zh: "服务器返回了重定向。插件从不跟随重定向，因此密钥不会发往其他主机，也未向其发送任何内容。"),
        causes: text!(en: "A base URL that is not DingTalk's; a login page of the network (hotel, office Wi-Fi) or a proxy.", zh: "接口地址不是钉钉的；网络的登录页（酒店、办公 Wi-Fi）或代理。"),
        fix: text!(en: "Leave the base URLs at their defaults, and log in to the network first.", zh: "接口地址保持默认值，并先完成网络登录。"),
        dingtalk: text!(en: "HTTP 301, 302, 303, 307, 308", zh: "HTTP 301、302、303、307、308"),
    },
    CodeDoc {
        code: code::WRONG_ENDPOINT,
        meaning: text!(en: "Something answers at the base URL, but not as DingTalk's API does. Nothing was sent.", zh: "接口地址有响应，但不是钉钉接口的响应，未发送任何内容。"),
        causes: text!(en: "A base URL with a path or a typo; a proxy that blocks DingTalk and answers with its own page.", zh: "接口地址带了路径或拼写错误；代理拦截了钉钉并返回自己的页面。"),
        fix: text!(en: "Use https://api.dingtalk.com and https://oapi.dingtalk.com (no path), and check the proxy.", zh: "使用 https://api.dingtalk.com 和 https://oapi.dingtalk.com（不带路径），并检查代理。"),
        dingtalk: text!(en: "HTTP 404; an HTML page instead of JSON", zh: "HTTP 404；返回 HTML 页面而不是 JSON"),
    },
    CodeDoc {
        code: code::SEND_OUTCOME_UNKNOWN,
        meaning: text!(en: "The message reached DingTalk but its answer was lost: it may or may not have been delivered. It was not sent again, to avoid a duplicate.", zh: "消息已提交给钉钉，但未收到结果：可能已送达，也可能没有。为避免重复，未再次发送。"),
        causes: text!(en: "The connection broke or timed out after the request left, or DingTalk answered the send with a server error (HTTP 5xx), which does not say whether the message went out (a call that is safe to repeat gets BAD_RESPONSE for the same answer).", zh: "请求发出后连接中断或超时，或钉钉对发送请求返回了服务器错误（HTTP 5xx）：服务器错误不能说明消息是否已发出（同样的响应，可安全重复的调用返回的是 BAD_RESPONSE）。"),
        fix: text!(en: "Ask a recipient (or query the read status) before running the step again. The error's `technical` field keeps what the connection reported, for support.", zh: "先向接收人确认（或查询已读状态），再决定是否重新运行。错误的 technical 字段保留了连接层的原始信息，供技术支持排查。"),
        dingtalk: text!(en: "HTTP 5xx in answer to a send", zh: "发送请求得到 HTTP 5xx"),
    },
    CodeDoc {
        code: code::PARTIALLY_SENT,
        meaning: text!(en: "A send to more than {BATCH_SIZE} receivers went out in batches of {BATCH_SIZE}, and a later batch failed: some receivers got the message, others did not. `details` lists them (sentUserIds, unsentUserIds, and unknownUserIds for a batch whose outcome is unknown).", zh: "超过 {BATCH_SIZE} 个接收人的发送分批进行（每批 {BATCH_SIZE} 个），后面的某一批失败：部分接收人已收到，其余未收到。details 中列出了名单（sentUserIds、unsentUserIds，以及结果未知的 unknownUserIds）。"),
        causes: text!(en: "Throttling, a lost connection or a DingTalk refusal in the middle of a long list.", zh: "发送长名单的过程中遇到限流、连接中断或钉钉拒绝。"),
        fix: text!(en: "Run the step again with only `unsentUserIds` as receivers; check the `unknownUserIds` first. Nothing already sent is sent again.", zh: "仅用 unsentUserIds 作为接收人重新运行该步骤；对 unknownUserIds 请先确认。已发送的不会重复发送。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::RECALL_OUTCOME_UNKNOWN,
        meaning: text!(en: "The recall reached DingTalk but its answer was lost: the messages may or may not have been recalled. It was not sent again.", zh: "撤回请求已提交给钉钉，但未收到结果：消息可能已撤回，也可能没有。为避免重复，未再次发送。"),
        causes: text!(en: "The connection broke or timed out after the request left, or DingTalk answered the recall with a server error (HTTP 5xx).", zh: "请求发出后连接中断或超时，或钉钉对撤回请求返回了服务器错误（HTTP 5xx）。"),
        fix: text!(en: "Query the read status of each key: a recalled message shows as RECALLED.", zh: "查询各 processQueryKey 的已读状态：已撤回的消息显示为 RECALLED。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::UNKNOWN_PROCESS_QUERY_KEY,
        meaning: text!(en: "DingTalk knows no message with this processQueryKey.", zh: "钉钉找不到该 processQueryKey 对应的消息。"),
        causes: text!(en: "A key typed by hand, cut short, or from another app or robot.", zh: "手工填写、复制不完整，或来自其他应用或机器人的 processQueryKey。"),
        fix: text!(en: "Pass the processQueryKey output of the send step itself.", zh: "直接传入发送步骤输出的 processQueryKey。"),
        dingtalk: text!(en: "invalid.processQueryKey", zh: "invalid.processQueryKey"),
    },
    CodeDoc {
        code: code::PROCESS_QUERY_KEY_EXPIRED,
        meaning: text!(en: "The message was sent more than 24 hours ago: DingTalk no longer answers for it.", zh: "消息发送已超过 24 小时，钉钉不再提供该消息的查询或撤回。"),
        causes: text!(en: "A read-status query or a recall a day or more after the send.", zh: "在发送一天或更久之后才查询已读状态或撤回。"),
        fix: text!(en: "Query or recall within 24 hours of the send.", zh: "请在发送后 24 小时内查询或撤回。"),
        dingtalk: text!(en: "processQueryKey.expireTime, robot.processQueryKey.expired", zh: "processQueryKey.expireTime、robot.processQueryKey.expired"),
    },
    CodeDoc {
        code: code::ROBOT_NOT_IN_GROUP,
        meaning: text!(en: "The robot is not a member of the group.", zh: "机器人不在该群中。"),
        causes: text!(en: "The robot was never added to the group, or was removed.", zh: "机器人从未被添加到该群，或已被移出。"),
        fix: text!(en: "In the group's settings, add the app's robot to the group, then run the step again.", zh: "在群设置中把应用的机器人添加到群里，然后重新运行该步骤。"),
        dingtalk: text!(en: "invalidParameter.robotCode (group APIs)", zh: "invalidParameter.robotCode（群消息接口）"),
    },
    CodeDoc {
        code: code::GROUP_NOT_FOUND,
        meaning: text!(en: "No group has this openConversationId, or the group was disbanded.", zh: "找不到该 openConversationId 对应的群，或群已解散。"),
        causes: text!(en: "A conversation id from another organisation or app, or typed incompletely.", zh: "会话 ID 来自其他企业或应用，或复制不完整。"),
        fix: text!(en: "Copy the group's openConversationId again (for example from the event the robot received in the group).", zh: "重新获取群的 openConversationId（例如从机器人在群内收到的事件中获取）。"),
        dingtalk: text!(en: "invalid.openConversationId, group.disbanded", zh: "invalid.openConversationId、group.disbanded"),
    },
    CodeDoc {
        code: code::CARD_TEMPLATE_NOT_FOUND,
        meaning: text!(en: "DingTalk knows no interactive card template by the cardTemplateId given.", zh: "钉钉找不到 cardTemplateId 对应的互动卡片模板。"),
        causes: text!(en: "A template ID typed incompletely, a template not yet published, or one made for another app.", zh: "模板 ID 复制不完整、模板尚未发布，或模板属于其他应用。"),
        fix: text!(en: "Copy the ID again from the card platform (卡片平台) and publish the template for this app.", zh: "请在卡片平台重新复制模板 ID，并为该应用发布模板。"),
        dingtalk: text!(en: "card APIs: a code or message naming the template", zh: "卡片接口：错误码或错误信息中指明模板的答复"),
    },
    CodeDoc {
        code: code::SIGNATURE_MISMATCH,
        meaning: text!(en: "A group's custom robot refused the message's signature (加签): nothing was posted.", zh: "群自定义机器人拒绝了消息的签名（加签），消息未发出。"),
        causes: text!(en: "A wrong or reset signing secret (SEC...); the robot signs but no secret was given on the connection; this machine's clock is more than an hour off DingTalk's (the message gives the skew).", zh: "加签密钥（SEC...）错误或已重置；机器人开启了加签但连接未填写密钥；本机时钟与钉钉相差超过一小时（错误信息给出了偏差）。"),
        fix: text!(en: "Copy the secret again from the robot's security settings in the group (group settings > Robots > the robot > Security settings > Sign), or set this machine's clock right (turn on automatic time).", zh: "在群设置 > 机器人 > 该机器人 > 安全设置 > 加签中重新复制密钥；或校准本机时钟（开启自动设置时间）。"),
        dingtalk: text!(en: "errcode 310000 (sign not match, invalid timestamp)", zh: "错误码 310000（钉钉原文为“sign not match”或“invalid timestamp”）"),
    },
    CodeDoc {
        code: code::KEYWORD_MISSING,
        meaning: text!(en: "The message contains none of the custom robot's security keywords (自定义关键词), so it was not posted.", zh: "消息中不含群自定义机器人的任何安全关键词（自定义关键词），因此未发出。"),
        causes: text!(en: "The robot's security settings require keywords and the text, title or links hold none of them; the keywords on the connection differ from the robot's.", zh: "机器人的安全设置要求关键词，而消息的正文、标题或链接中都没有；连接中填写的关键词与机器人设置的不一致。"),
        fix: text!(en: "Put one of the robot's keywords in the message (the field the error names), and list the same keywords on the connection so that the plugin checks before sending.", zh: "在错误指出的字段中加入机器人的某个关键词，并在连接中填写相同的关键词，以便插件在发送前检查。"),
        dingtalk: text!(en: "errcode 310000 (keywords not in content)", zh: "错误码 310000（钉钉原文为“keywords not in content”）"),
    },
    CodeDoc {
        code: code::DINGTALK_ERROR,
        meaning: text!(en: "DingTalk refused the call for another reason; its own code and message are kept under `upstream`.", zh: "钉钉因其他原因拒绝了调用，其错误码和信息保存在 upstream 中。"),
        causes: text!(en: "See DingTalk's code in `upstream` and the open platform's error code pages.", zh: "参见 upstream 中钉钉的错误码及开放平台的错误码说明。"),
        fix: text!(en: "Look up the code; send the request id to DingTalk support if needed.", zh: "查询该错误码；如需要，把请求 ID 提供给钉钉技术支持。"),
        dingtalk: text!(en: "any other code", zh: "其他所有错误码"),
    },
    CodeDoc {
        code: code::NONE_DELIVERED,
        meaning: text!(en: "A single-chat send with failIfNoneDelivered on went out, but DingTalk delivered it to none of its receivers.", zh: "开启了“无人送达时报错”的单聊发送已发出，但钉钉没有把消息送达任何一位接收人。"),
        causes: text!(en: "Every user ID was unknown to DingTalk (a typo, a user who left, an ID of another org), or every receiver was flow-controlled or filtered.", zh: "所有用户 ID 钉钉都不认识（写错、已离职、其他组织的 ID），或所有接收人都被限流或过滤。"),
        fix: text!(en: "Check the IDs in details.invalidUserIds in the admin console; send to details.flowControlledUserIds later. With failIfNoneDelivered off the step succeeds and outputs the same lists.", zh: "在管理后台核对 details.invalidUserIds 中的 ID；details.flowControlledUserIds 中的用户稍后再发。关闭“无人送达时报错”时该步骤照常成功，并输出同样的列表。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::REPLY_TIMEOUT,
        meaning: text!(en: "\"Wait for a reply\" got no matching reply (or \"Ask and wait for an answer\" no answer) within its timeout, and its onTimeout is error.", zh: "“等待用户回复”在超时时间内没有收到符合条件的回复（或“发送选择并等待回答”没有收到回答），且 onTimeout 设为 error。"),
        causes: text!(en: "The person did not answer in time; the reply did not match keywords or pattern; the robot is in HTTP mode, not Stream mode, so no reply reaches the plugin; another process with the same AppKey received it.", zh: "对方没有及时回复；回复不符合关键词或正则；机器人的消息接收模式是 HTTP 而不是 Stream，回复到不了插件；同一 AppKey 的另一个进程收到了这条消息。"),
        fix: text!(en: "Raise timeoutSeconds, loosen the filter, set the robot to Stream mode (developer console > robot > message receiving mode > Stream), and run one waiting process per AppKey; or set onTimeout to output and branch on replied (answered for an ask).", zh: "调大 timeoutSeconds、放宽筛选条件，把机器人设为 Stream 模式（开发者后台 > 机器人配置 > 消息接收模式 > Stream 模式），同一 AppKey 只让一个进程等待回复；或把 onTimeout 设为 output，按 replied（提问为 answered）分支处理。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::CANCELLED,
        meaning: text!(en: "The flow was stopped by the user or the designer.", zh: "流程被用户或设计器停止。"),
        causes: text!(en: "Stop pressed, or a designer's step timeout.", zh: "按下了停止，或设计器的步骤超时。"),
        fix: text!(en: "Run the flow again; if a send was under way, that message may still arrive (the message says so).", zh: "重新运行流程；若停止时正在发送，该消息仍可能送达（错误信息会说明）。"),
        dingtalk: NONE,
    },
    CodeDoc {
        code: code::INTERNAL,
        meaning: text!(en: "A bug in the plugin; it was caught and did not crash the designer.", zh: "插件内部错误，已被捕获，不会导致设计器崩溃。"),
        causes: text!(en: "A case the plugin does not handle.", zh: "插件未处理的情况。"),
        fix: text!(en: "Report it with the flow (without secrets) and the message.", zh: "请把流程（去掉密钥）和错误信息反馈给插件开发者。"),
        dingtalk: NONE,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Effect, Error, Rejection, WebhookRefusal};
    use dingtalk_client::Error as ClientError;

    /// One error of every variant, the client's included; the matches below stop compiling
    /// when a variant is added, so a new variant cannot go without its documentation.
    fn one_of_each() -> Vec<Error> {
        let upstream = Box::default;
        let client = vec![
            ClientError::AuthFailed(upstream()),
            ClientError::PermissionDenied { scopes: vec![], upstream: upstream() },
            ClientError::IpNotAllowed(upstream()),
            ClientError::RobotCodeInvalid(upstream()),
            ClientError::Throttled { retries: 3, upstream: upstream() },
            ClientError::Network { url: "u".into(), via_proxy: None, reason: "r".into() },
            ClientError::Timeout { url: "u".into(), seconds: 1, nothing_sent: false },
            ClientError::BadResponse { url: "u".into(), reason: "r".into(), upstream: upstream() },
            ClientError::Redirected { url: "u".into(), to: None, upstream: upstream() },
            ClientError::WrongEndpoint { url: "u".into(), via_proxy: None, upstream: upstream() },
            ClientError::SendOutcomeUnknown { effect: Effect::Message, reason: "r".into(), upstream: upstream() },
            ClientError::SendOutcomeUnknown { effect: Effect::Recall, reason: "r".into(), upstream: upstream() },
            ClientError::Rejected { kind: Rejection::UnknownKey, field: "k", upstream: upstream() },
            ClientError::Rejected { kind: Rejection::KeyExpired, field: "k", upstream: upstream() },
            ClientError::Rejected { kind: Rejection::RobotNotInGroup, field: "k", upstream: upstream() },
            ClientError::Rejected { kind: Rejection::GroupNotFound, field: "k", upstream: upstream() },
            ClientError::Rejected { kind: Rejection::UnknownTemplate, field: "k", upstream: upstream() },
            ClientError::DingTalk(upstream()),
            ClientError::KeywordMissing { keywords: vec![], upstream: upstream() },
            ClientError::WebhookBudget { per_minute: 20, wait_seconds: Some(3), timeout_seconds: 1 },
            ClientError::WebhookRefused {
                refusal: WebhookRefusal::Signature { timestamp: false, signed: true, skew_seconds: None },
                upstream: upstream(),
            },
            ClientError::WebhookRefused { refusal: WebhookRefusal::IpNotAllowed { ip: None }, upstream: upstream() },
            ClientError::WebhookRefused { refusal: WebhookRefusal::TooFast, upstream: upstream() },
            ClientError::WebhookRefused { refusal: WebhookRefusal::TokenUnknown, upstream: upstream() },
            ClientError::WebhookRefused { refusal: WebhookRefusal::RobotUnusable, upstream: upstream() },
            ClientError::WebhookRefused { refusal: WebhookRefusal::Content, upstream: upstream() },
            ClientError::Cancelled { in_flight: None },
            ClientError::StreamEndpointRefused { endpoint: "ws://example.com".into() },
            ClientError::Internal("x".into()),
        ];
        for e in &client {
            match e {
                ClientError::AuthFailed(_)
                | ClientError::PermissionDenied { .. }
                | ClientError::IpNotAllowed(_)
                | ClientError::RobotCodeInvalid(_)
                | ClientError::Throttled { .. }
                | ClientError::Network { .. }
                | ClientError::Timeout { .. }
                | ClientError::BadResponse { .. }
                | ClientError::Redirected { .. }
                | ClientError::WrongEndpoint { .. }
                | ClientError::SendOutcomeUnknown { .. }
                | ClientError::Rejected { .. }
                | ClientError::DingTalk(_)
                | ClientError::KeywordMissing { .. }
                | ClientError::WebhookBudget { .. }
                | ClientError::WebhookRefused { .. }
                | ClientError::Cancelled { .. }
                | ClientError::StreamEndpointRefused { .. }
                | ClientError::Internal(_) => {}
            }
        }
        let mut all = vec![
            Error::UnknownAction("x".into()),
            Error::InvalidParams("x".into()),
            Error::input("f", crate::error::Explanation { message: Text::default(), hint: Text::default() }),
            Error::RobotNotConnected { field: "robot".into() },
            Error::WebhookNotConnected { field: "robot".into() },
            Error::KeywordMissing { field: "content".into(), keywords: vec!["k".into()] },
            Error::Cancelled { in_flight: None },
            Error::ReplyTimeout { seconds: 2 },
            Error::NoneDelivered { total: 3 },
            Error::Internal("x".into()),
            Error::PartiallySent {
                cause: Box::new(Error::Client(ClientError::Throttled { retries: 3, upstream: upstream() })),
                sent: 20,
                total: 45,
                batch: (2, 3),
            },
            Error::Internal("wrapped".into()).with_details(serde_json::json!({})),
        ];
        all.extend(client.into_iter().map(Error::Client));
        for e in &all {
            match e {
                Error::UnknownAction(_)
                | Error::InvalidParams(_)
                | Error::InvalidInput { .. }
                | Error::RobotNotConnected { .. }
                | Error::Client(_)
                | Error::WebhookNotConnected { .. }
                | Error::KeywordMissing { .. }
                | Error::Cancelled { .. }
                | Error::ReplyTimeout { .. }
                | Error::NoneDelivered { .. }
                | Error::Internal(_)
                | Error::PartiallySent { .. }
                | Error::Detailed { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_code_the_plugin_returns_is_documented_once_in_both_languages() {
        for e in one_of_each() {
            let docs: Vec<&CodeDoc> = CODE_DOCS.iter().filter(|d| d.code == e.code()).collect();
            assert_eq!(docs.len(), 1, "{} is documented {} times", e.code(), docs.len());
        }
        for d in &CODE_DOCS {
            for t in [&d.meaning, &d.causes, &d.fix] {
                assert!(!t.is_incomplete(), "{}: a text is missing a language", d.code);
            }
        }
        // Detailed wraps another error and has its code.
        let mut codes: Vec<&str> = one_of_each().iter().map(Error::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(CODE_DOCS.len(), codes.len(), "a documented code no error returns");
    }
}
