//! The words of every error: what went wrong and what to do about it, in English and
//! Chinese, for the plugin's own errors and for each way a call to DingTalk fails
//! ([`dingtalk_client::Error`], which holds only the facts).

use dingtalk_client::{Effect, Error as ClientError, Rejection, Upstream, WebhookRefusal};
use rpa_plugin_abi::{Text, text};

use super::cause::Cause;
use super::{Error, Explanation};

impl Error {
    /// The message and hint shown to the user, in both languages.
    pub(crate) fn words(&self) -> Explanation {
        match self {
            Error::UnknownAction(id) => Explanation {
                message: text!(en: format!("This plugin has no action `{id}`."), zh: format!("本插件没有动作 `{id}`。")),
                hint: text!(en: "Check the action id against the plugin's manifest.", zh: "请对照插件清单检查动作 ID。"),
            },
            Error::InvalidParams(why) => Explanation {
                message: text!(
                    en: format!("The action's parameters are not a JSON object ({why})."),
                    zh: "动作参数不是 JSON 对象（解析器的原始信息见错误的 technical 字段）。"
                ),
                hint: text!(en: "The designer must pass the form's values as one JSON object.", zh: "设计器应以一个 JSON 对象传入表单的值。"),
            },
            Error::InvalidInput { words, .. } => (**words).clone(),
            Error::RobotNotConnected { field } => Explanation {
                message: text!(en: format!("`{field}` is not a robot connected in this run."), zh: format!("「{}」不是本次运行中建立的连接。", super::label_of(field, false))),
                hint: text!(en: "Add \"Create DingTalk robot connection\" before this step and pass its output `robot` here.", zh: "请先使用“建立钉钉机器人连接”，并把它输出的 robot 对象传到这里。"),
            },
            Error::Cancelled { in_flight } => {
                let message = match in_flight {
                    Some(Effect::Message) => text!(
                        en: "The flow was stopped while a send was under way; that message may still arrive.",
                        zh: "流程在发送过程中被停止，正在发送的消息仍可能送达。"
                    ),
                    Some(Effect::Recall) => text!(
                        en: "The flow was stopped while a recall was under way; the messages may still be recalled.",
                        zh: "流程在撤回过程中被停止，消息仍可能被撤回。"
                    ),
                    None => {
                        text!(en: "The flow was stopped before anything more was sent.", zh: "流程已停止，未再发送任何内容。")
                    }
                };
                Explanation {
                    message,
                    hint: text!(en: "Run the flow again when you are ready.", zh: "需要时请重新运行流程。"),
                }
            }
            Error::PartiallySent { cause, sent, total, batch: (failed, batches) } => {
                let Explanation { message: why, hint } = cause.words();
                let done = failed.saturating_sub(1);
                Explanation {
                    message: text!(
                        en: format!(
                            "The message went out to {sent} of {total} receivers (batches 1 to {done} of {batches}); batch {failed} did not: {} Nothing already sent was sent again.",
                            why.en
                        ),
                        zh: format!(
                            "消息已发给 {total} 个接收人中的 {sent} 个（共 {batches} 批，第 1 至 {done} 批已发出）；第 {failed} 批未发出：{} 已发出的不会重复发送。",
                            why.zh_cn
                        )
                    ),
                    hint: text!(
                        en: format!(
                            "To finish, run the step again with only the user IDs in the error's details.unsentUserIds (and, after checking with them, details.unknownUserIds). {}",
                            hint.en
                        ),
                        zh: format!(
                            "如需补发，请只用错误详情 details.unsentUserIds 中的用户 ID 重新运行该步骤（details.unknownUserIds 中的用户请先确认是否已收到）。{}",
                            hint.zh_cn
                        )
                    ),
                }
            }
            Error::WebhookNotConnected { field } => Explanation {
                message: text!(en: format!("`{field}` is not a custom robot connected in this run."), zh: format!("「{}」不是本次运行中建立的自定义机器人连接。", super::label_of(field, true))),
                hint: text!(en: "Add \"Create custom robot connection\" before this step and pass its output `robot` here.", zh: "请先使用“建立自定义机器人连接”，并把它输出的 robot 对象传到这里。"),
            },
            Error::KeywordMissing { keywords, .. } => keyword_words(keywords, false),
            Error::ReplyTimeout { seconds } => Explanation {
                message: text!(en: format!("No reply came within {seconds} s."), zh: format!("{seconds} 秒内没有收到回复。")),
                hint: text!(
                    en: "Give the person more time (timeoutSeconds), or set onTimeout to output to carry on with replied=false (answered=false for an ask). Replies arrive only when the robot is in Stream mode (developer console > robot > message receiving mode > Stream).",
                    zh: "可调大 timeoutSeconds 多等一会儿，或把 onTimeout 设为 output，以 replied=false（提问为 answered=false）继续流程。只有机器人设为 Stream 模式（开发者后台 > 机器人配置 > 消息接收模式 > Stream 模式）时才能收到回复。"
                ),
            },
            Error::NoneDelivered { total } => Explanation {
                message: text!(
                    en: format!("The message reached none of its {total} receivers: DingTalk did not know them, or skipped them (flow control, filtering)."),
                    zh: format!("消息没有送达任何人：{total} 位接收人都是钉钉不认识的用户，或被钉钉跳过（限流、过滤）。")
                ),
                hint: text!(
                    en: "See invalidUserIds and flowControlledUserIds in the error's details: check the user IDs in the admin console, and send to flow-controlled users later. Turn failIfNoneDelivered off to carry on instead.",
                    zh: "请查看错误详情中的 invalidUserIds 和 flowControlledUserIds：在管理后台核对用户 ID，被限流的用户稍后再发。如希望流程继续，可关闭“无人送达时报错”。"
                ),
            },
            Error::Detailed { error, .. } => error.words(),
            Error::Internal(why) => Explanation {
                message: text!(
                    en: format!("Internal error in the DingTalk robot plugin: {why}"),
                    zh: "钉钉机器人插件内部错误（详情见错误的 technical 字段）。"
                ),
                hint: text!(en: "Please report this with the flow that caused it.", zh: "请将出错的流程一并反馈给插件开发者。"),
            },
            Error::Client(e) => client_words(e),
        }
    }
}

/// What a failed call to DingTalk means to the user, and what to do about it.
fn client_words(e: &ClientError) -> Explanation {
    match e {
        ClientError::AuthFailed(_) => Explanation {
            message: text!(en: "DingTalk refused the AppKey/AppSecret.", zh: "钉钉拒绝了 AppKey/AppSecret。"),
            hint: text!(en: "Copy the AppKey and AppSecret again from the DingTalk developer console (app > credentials); check for stray spaces.", zh: "请在钉钉开发者后台（应用 > 凭证与基础信息）重新复制 AppKey 和 AppSecret，注意不要带空格。"),
        },
        ClientError::PermissionDenied { scopes, .. } => {
            let scopes: Vec<&str> = if scopes.is_empty() {
                vec!["qyapi_robot_sendmsg"]
            } else {
                scopes.iter().map(String::as_str).collect()
            };
            let names = scopes.join(", ");
            let what: Vec<Text> = scopes.iter().map(|s| scope_words(s)).collect();
            let what_en: Vec<&str> = what.iter().map(|w| w.en.as_ref()).collect();
            let what_zh: Vec<&str> = what.iter().map(|w| w.zh_cn.as_ref()).collect();
            Explanation {
                message: text!(en: format!("The app lacks the permission {names}."), zh: format!("应用缺少权限 {names}。")),
                hint: text!(en: format!(
                    "In the developer console, grant {names} ({}), then publish the app again.", what_en.join("; ")
                ), zh: format!("请在开发者后台为应用开通权限 {names}（{}），然后重新发布应用。", what_zh.join("；"))),
            }
        }
        ClientError::IpNotAllowed(_) => Explanation {
            message: text!(en: "DingTalk refused the call: this machine's IP address is not on the app's allow-list.", zh: "钉钉拒绝了调用：本机 IP 不在应用的服务器出口 IP 白名单中。"),
            hint: text!(en: "Add this machine's public IP address to the app's allow-list in the developer console.", zh: "请在开发者后台把本机的公网出口 IP 加入应用的白名单。"),
        },
        ClientError::RobotCodeInvalid(_) => Explanation {
            message: text!(en: "DingTalk does not know this robot code, or the robot is not enabled.", zh: "钉钉找不到该机器人编码，或机器人未启用。"),
            hint: text!(en: "Check robotCode (it defaults to the AppKey) and that the app's robot is enabled and published.", zh: "请检查 robotCode（默认等于 AppKey），并确认应用已开启机器人能力且已发布。"),
        },
        ClientError::Throttled { retries, .. } => Explanation {
            message: match retries {
                0 => {
                    text!(en: "DingTalk throttled the app, and no time was left to wait and retry.", zh: "钉钉正在限流，且已没有时间等待重试。")
                }
                1 => text!(en: "DingTalk kept throttling the app after a retry.", zh: "重试 1 次后钉钉仍在限流。"),
                n => {
                    text!(en: format!("DingTalk kept throttling the app after {n} retries."), zh: format!("重试 {n} 次后钉钉仍在限流。"))
                }
            },
            hint: text!(en: "Too many calls per second for this app: lower qpsLimit on the connection or run fewer flows at once.", zh: "该应用每秒调用过多：请调低连接的 qpsLimit，或减少同时运行的流程。"),
        },
        ClientError::Network { url, via_proxy: None, reason } => Explanation {
            message: {
                let why = Cause::of(reason).words();
                text!(en: format!("Cannot reach {url}: {}. Nothing was sent.", why.en), zh: format!("无法连接 {url}：{}，未发送任何内容。", why.zh_cn))
            },
            hint: text!(en: "Check the network, the proxy, and the base URL on the connection's advanced tab.", zh: "请检查网络、代理，以及连接“高级”页中的接口地址。"),
        },
        ClientError::Network { url, via_proxy: Some(proxy), reason } => Explanation {
            message: {
                let why = Cause::of(reason).words();
                text!(en: format!("Cannot reach the proxy {proxy} (used for {url}): {}. Nothing was sent.", why.en), zh: format!("无法连接代理 {proxy}（访问 {url} 时使用）：{}，未发送任何内容。", why.zh_cn))
            },
            hint: text!(en: "Check that the proxy is running, or the proxy settings (https_proxy, http_proxy, no_proxy) of the machine that runs the flow.", zh: "请确认代理服务正在运行，或检查运行流程的电脑上的代理设置（https_proxy、http_proxy、no_proxy）。"),
        },
        ClientError::Timeout { url, seconds, nothing_sent: true } => Explanation {
            message: text!(en: format!("The call to {url} could not be made within {seconds} s. Nothing was sent."), zh: format!("{seconds} 秒内未能完成对 {url} 的调用，未发送任何内容。")),
            hint: text!(en: "Try again later, or raise timeoutSeconds on the connection.", zh: "请稍后重试，或调大连接的 timeoutSeconds。"),
        },
        ClientError::Timeout { url, seconds, nothing_sent: false } => Explanation {
            message: text!(en: format!("{url} did not answer within {seconds} s."), zh: format!("{url} 在 {seconds} 秒内没有响应。")),
            hint: text!(en: "Try again later, or raise timeoutSeconds on the connection.", zh: "请稍后重试，或调大连接的 timeoutSeconds。"),
        },
        ClientError::Redirected { url, to, .. } => {
            let to = match to.as_deref() {
                Some(to) => text!(en: format!(" to {to}"), zh: format!("（指向 {to}）")),
                None => text!(en: "", zh: ""),
            };
            Explanation {
                message: text!(en: format!(
                    "{url} answered with a redirect{}. Redirects are never followed, so nothing was sent there.", to.en
                ), zh: format!("{url} 返回了重定向{}。插件从不跟随重定向，未向该地址发送任何内容。", to.zh_cn)),
                hint: text!(en: "Check the base URLs on the connection's advanced tab (DingTalk's are https://api.dingtalk.com and https://oapi.dingtalk.com); a proxy or a login page of the network may be redirecting.", zh: "请检查连接“高级”页中的接口地址（钉钉为 https://api.dingtalk.com 和 https://oapi.dingtalk.com）；也可能是代理或网络登录页在重定向。"),
            }
        }
        ClientError::WrongEndpoint { url, via_proxy, upstream } => {
            let answered = match upstream.http_status {
                Some(status) => text!(en: format!(" (HTTP {status})"), zh: format!("（HTTP {status}）")),
                None => text!(en: "", zh: ""),
            };
            let hint = match via_proxy {
                Some(p) => text!(
                    en: format!("The proxy {p} answered instead of DingTalk: check that it lets requests to {url} through, and the base URL on the connection's advanced tab."),
                    zh: format!("是代理 {p} 而不是钉钉作出的响应：请确认代理允许访问 {url}，并检查连接“高级”页中的接口地址。")
                ),
                None => text!(
                    en: "Check the base URL on the connection's advanced tab: DingTalk's is https://api.dingtalk.com (and https://oapi.dingtalk.com for uploads), with no path. If the network uses a proxy, check it too.",
                    zh: "请检查连接“高级”页中的接口地址：钉钉为 https://api.dingtalk.com（上传文件为 https://oapi.dingtalk.com），不带路径；如网络使用代理，也请检查代理。"
                ),
            };
            Explanation {
                message: text!(en: format!("{url} does not answer as DingTalk's API does{}. Nothing was sent.", answered.en), zh: format!("{url} 的响应不是钉钉接口的响应{}，未发送任何内容。", answered.zh_cn)),
                hint,
            }
        }
        ClientError::BadResponse { url, reason, .. } => Explanation {
            message: {
                let why = Cause::of(reason).words();
                text!(en: format!("{url} answered with something unreadable: {}.", why.en), zh: format!("{url} 返回了无法解析的内容：{}。", why.zh_cn))
            },
            hint: text!(en: "DingTalk or a proxy in between is having trouble; try again later.", zh: "钉钉或中间代理出现异常，请稍后重试。"),
        },
        ClientError::SendOutcomeUnknown { effect: Effect::Recall, reason, .. } => Explanation {
            message: {
                let why = Cause::of(reason).words();
                text!(en: format!(
                    "The recall was handed to DingTalk but its answer was lost ({}): the messages may or may not have been recalled. It was not repeated.", why.en
                ), zh: format!("撤回请求已提交给钉钉，但未收到结果（{}）：消息可能已撤回，也可能没有。未重复提交。", why.zh_cn))
            },
            hint: text!(en: "Check with \"Query message read status\" (sendStatus RECALLED) before running the step again.", zh: "请先用“查询消息已读状态”确认（sendStatus 为 RECALLED 即已撤回），再决定是否重新运行该步骤。"),
        },
        ClientError::Rejected { kind, .. } => rejection_words(*kind),
        ClientError::SendOutcomeUnknown { effect: Effect::Message, reason, .. } => Explanation {
            message: {
                let why = Cause::of(reason).words();
                text!(en: format!(
                    "The message was handed to DingTalk but its answer was lost ({}): it may or may not have been delivered. It was not sent again, to avoid a duplicate.", why.en
                ), zh: format!("消息已提交给钉钉，但未收到结果（{}）：可能已送达，也可能没有。为避免重复，未再次发送。", why.zh_cn))
            },
            hint: text!(en: "Ask a recipient whether it arrived before running the step again.", zh: "请先向接收人确认是否收到，再决定是否重新运行该步骤。"),
        },
        ClientError::DingTalk(u) => {
            let m = u.message.clone().unwrap_or_default();
            let code = u.code.as_deref().map(|c| format!("（错误码 {c}）")).unwrap_or_default();
            let said = if m.is_empty() { String::new() } else { format!("：“{m}”") };
            Explanation {
                message: text!(en: format!("DingTalk refused the call: {m}"), zh: format!("钉钉拒绝了调用{code}{said}。")),
                hint: text!(en: "See DingTalk's code and request id under `upstream`; the DingTalk open platform docs explain each code.", zh: "请参考 upstream 中钉钉返回的错误码和请求 ID，查阅钉钉开放平台文档。"),
            }
        }
        ClientError::KeywordMissing { keywords, .. } => keyword_words(keywords, true),
        ClientError::WebhookBudget { per_minute, wait_seconds, timeout_seconds } => {
            let room = match wait_seconds {
                Some(w) => text!(en: format!("room frees only in {w} s"), zh: format!("{w} 秒后才有余量")),
                None => text!(en: "no room freed", zh: "一直没有余量"),
            };
            Explanation {
                message: text!(
                    en: format!("Sending now would pass the robot's {per_minute} {} a minute, and {}, past the {timeout_seconds} s timeout. Nothing was sent.", if *per_minute == 1 { "message" } else { "messages" }, room.en),
                    zh: format!("现在发送会超过该机器人每分钟 {per_minute} 条的限额，而{}，超过了 {timeout_seconds} 秒的超时。未发送任何内容。", room.zh_cn)
                ),
                hint: text!(
                    en: "DingTalk bans a custom robot for 10 minutes past 20 messages a minute, so the plugin waits instead of sending: raise timeoutSeconds to let it wait longer, or send fewer messages (several lines fit in one Markdown message). Other flows using the same webhook count too.",
                    zh: "自定义机器人每分钟超过 20 条会被钉钉限流 10 分钟，所以插件会等待而不是直接发送：可调大 timeoutSeconds 让它多等一会儿，或减少消息条数（多条内容可合并为一条 Markdown 消息）。使用同一 Webhook 的其他流程也计入限额。"
                ),
            }
        }
        ClientError::WebhookRefused { refusal, upstream } => webhook_words(refusal, upstream),
        ClientError::Cancelled { in_flight } => Error::Cancelled { in_flight: *in_flight }.words(),
        ClientError::StreamEndpointRefused { endpoint } => Explanation {
            message: text!(
                en: format!("The Stream endpoint handed out ({endpoint}) is not wss://, so the plugin did not connect to it."),
                zh: format!("返回的 Stream 接入地址（{endpoint}）不是 wss://，插件没有连接它。")
            ),
            hint: text!(
                en: "DingTalk's endpoints are always wss://; plain ws:// is taken only on this computer (an emulator). Check the base URL on the connection's advanced tab, and any proxy in between.",
                zh: "钉钉的接入地址都是 wss://，只有本机地址（如模拟器）才允许 ws://。请检查连接“高级”页中的接口地址以及中间的代理。"
            ),
        },
        ClientError::Internal(why) => Error::Internal(why.clone()).words(),
    }
}

/// What the user is told of DingTalk's refusal of what an input names.
pub(super) fn rejection_words(kind: Rejection) -> Explanation {
    match kind {
        Rejection::UnknownKey => UNKNOWN_KEY,
        Rejection::KeyExpired => KEY_EXPIRED,
        Rejection::RobotNotInGroup => ROBOT_NOT_IN_GROUP,
        Rejection::GroupNotFound => GROUP_NOT_FOUND,
        Rejection::UnknownTemplate => UNKNOWN_TEMPLATE,
    }
}

/// The words of [`Rejection::UnknownTemplate`]: DingTalk knows no such card template.
const UNKNOWN_TEMPLATE: Explanation = Explanation {
    message: text!(
        en: "DingTalk refused the card template in cardTemplateId: no template has this ID, or it is not this app's.",
        zh: "钉钉拒绝了 cardTemplateId 中的卡片模板：没有该 ID 的模板，或模板不属于该应用。"
    ),
    hint: text!(
        en: "Copy the template ID again from the card platform (卡片平台), check that the template is published and bound to this app, and that the app has the permission Card.Instance.Write.",
        zh: "请在卡片平台重新复制模板 ID，确认模板已发布并关联到该应用，且应用已开通权限 Card.Instance.Write（互动卡片实例写权限）。"
    ),
};

/// The words of [`Rejection::UnknownKey`]: no message has that processQueryKey.
const UNKNOWN_KEY: Explanation = Explanation {
    message: text!(
        en: "DingTalk knows no message by this processQueryKey.",
        zh: "钉钉找不到该 processQueryKey 对应的消息。"
    ),
    hint: text!(
        en: "Pass the processQueryKey output by a send of this same robot, unchanged (a key of another app or robot is not known). Read status covers one-to-one messages only; to recall a group message, give its openConversationId on the advanced tab.",
        zh: "请原样传入同一机器人发送消息时输出的 processQueryKey（其他应用或机器人的 key 无法识别）。已读状态只支持单聊消息；撤回群消息时请在“高级”页填写 openConversationId。"
    ),
};

/// The words of [`Rejection::KeyExpired`]: the message was sent more than 24 hours ago.
const KEY_EXPIRED: Explanation = Explanation {
    message: text!(
        en: "The message was sent more than 24 hours ago: DingTalk answers its read status and recalls it within 24 hours of the send only.",
        zh: "该消息发送已超过 24 小时：钉钉只在发送后 24 小时内提供已读状态查询和撤回。"
    ),
    hint: text!(
        en: "Query or recall within 24 hours of the send; after that it cannot be done through DingTalk's API.",
        zh: "请在发送后 24 小时内查询或撤回；超过后无法再通过钉钉接口操作。"
    ),
};

/// The words of [`Rejection::RobotNotInGroup`]: the robot is not in the group.
const ROBOT_NOT_IN_GROUP: Explanation = Explanation {
    message: text!(
        en: "The robot is not in this group, so it cannot post or recall there.",
        zh: "机器人不在该群中，无法在群内发送或撤回消息。"
    ),
    hint: text!(
        en: "Add the robot to the group (in the group: settings > Robots > Add robot, pick the app's robot), and check that the connection's robotCode is that robot's (it defaults to the AppKey).",
        zh: "请先把机器人加入该群（群设置 > 机器人 > 添加机器人，选择该应用的机器人），并确认连接的 robotCode 是该机器人的编码（默认等于 AppKey）。"
    ),
};

/// The words of [`Rejection::GroupNotFound`]: no group has that openConversationId.
const GROUP_NOT_FOUND: Explanation = Explanation {
    message: text!(
        en: "DingTalk knows no group by this openConversationId (or the group was disbanded, or belongs to another org).",
        zh: "钉钉找不到该 openConversationId 对应的群（或该群已解散、属于其他组织）。"
    ),
    hint: text!(
        en: "Use the group's openConversationId (it starts with \"cid\"): a page in DingTalk gets it with the chooseChat JSAPI, a robot sees it as conversationId when @-mentioned in the group, and the create-group APIs return it.",
        zh: "请使用该群的 openConversationId（以 “cid” 开头）：可在钉钉内的页面通过 chooseChat JSAPI 获取、机器人在群内被 @ 时收到的 conversationId，或创建群接口的返回值。"
    ),
};

/// A keyword refusal, before sending (`by_dingtalk` false) or by DingTalk.
fn keyword_words(keywords: &[String], by_dingtalk: bool) -> Explanation {
    let Text { en: list_en, zh_cn: list_zh } = text!(en: keywords.join(", "), zh: keywords.join("、"));
    match (by_dingtalk, keywords.is_empty()) {
        (false, _) => Explanation {
            message: text!(
                en: format!("The message contains none of the robot's keywords ({list_en}), so DingTalk would refuse it (errcode 310000). Nothing was sent."),
                zh: format!("消息中不含该机器人的任何关键词（{list_zh}），钉钉会拒收（错误码 310000）。未发送任何内容。")
            ),
            hint: text!(
                en: "Put one of the keywords in the message (its content or title), or correct the keywords on \"Create custom robot connection\" to match the robot's security settings.",
                zh: "请在消息（内容或标题）中加入其中一个关键词，或按机器人的安全设置修正“建立自定义机器人连接”中的关键词。"
            ),
        },
        (true, true) => Explanation {
            message: text!(
                en: "DingTalk refused the message: it contains none of the robot's security keywords (errcode 310000 keywords not in content).",
                zh: "钉钉拒收了消息：消息中不含机器人的任何安全关键词（错误码 310000）。"
            ),
            hint: text!(
                en: "The robot uses keywords (自定义关键词, in the group's robot settings): put one in the message, and list them under keywords on \"Create custom robot connection\" so that every message is checked before it is sent.",
                zh: "该机器人设置了自定义关键词（见群设置中的机器人安全设置）：请在消息中加入其中一个，并把它们填入“建立自定义机器人连接”的关键词，以便每条消息发送前都先检查。"
            ),
        },
        (true, false) => Explanation {
            message: text!(
                en: format!("DingTalk refused the message: it contains none of the robot's security keywords (errcode 310000), though it contains one of the keywords on the connection ({list_en})."),
                zh: format!("钉钉拒收了消息：消息中不含机器人的安全关键词（错误码 310000），尽管它含有连接中填写的关键词（{list_zh}）。")
            ),
            hint: text!(
                en: "The keywords on \"Create custom robot connection\" differ from the robot's in the group's robot settings (自定义关键词): make them the same.",
                zh: "“建立自定义机器人连接”中的关键词与群机器人安全设置中的自定义关键词不一致，请改为一致。"
            ),
        },
    }
}

/// "2 h 5 min ahead of" / "40 s behind" DingTalk's clock, in both languages.
fn skew_words(skew_seconds: i64) -> Text {
    let s = skew_seconds.unsigned_abs();
    let Text { en, zh_cn: zh } = if s >= 3600 {
        text!(en: format!("{} h {} min", s / 3600, s % 3600 / 60), zh: format!("{} 小时 {} 分钟", s / 3600, s % 3600 / 60))
    } else if s >= 60 {
        text!(en: format!("{} min {} s", s / 60, s % 60), zh: format!("{} 分 {} 秒", s / 60, s % 60))
    } else {
        text!(en: format!("{s} s"), zh: format!("{s} 秒"))
    };
    if skew_seconds >= 0 {
        text!(en: format!("{en} ahead of"), zh: format!("比钉钉快 {zh}"))
    } else {
        text!(en: format!("{en} behind"), zh: format!("比钉钉慢 {zh}"))
    }
}

/// The skew past which a clock is worth blaming: DingTalk takes an hour either way, and a
/// `Date` header tells whole seconds.
const SKEW_WORTH_NAMING_SECONDS: u64 = 60;

/// What a custom robot's refusal means to the user.
fn webhook_words(refusal: &WebhookRefusal, upstream: &Upstream) -> Explanation {
    let said = upstream.message.as_deref().unwrap_or_default();
    match refusal {
        WebhookRefusal::Signature { signed: false, .. } => NO_SECRET.saying(said),
        WebhookRefusal::Signature { timestamp, skew_seconds, .. } => {
            let clock_off = skew_seconds.is_some_and(|s| s.unsigned_abs() >= SKEW_WORTH_NAMING_SECONDS);
            let clock = match skew_seconds {
                Some(s) if clock_off => {
                    let skew = skew_words(*s);
                    text!(
                        en: format!(" This machine's clock is {} DingTalk's (by the Date of its answer).", skew.en),
                        zh: format!("本机时钟{}（据钉钉响应的 Date）。", skew.zh_cn)
                    )
                }
                Some(s) => text!(
                    en: format!(
                        " This machine's clock agrees with DingTalk's (within {} s), so the secret is the likely cause.",
                        s.unsigned_abs().max(1)
                    ),
                    zh: format!("本机时钟与钉钉一致（相差不超过 {} 秒），原因应是密钥不对。", s.unsigned_abs().max(1))
                ),
                None => text!(en: "", zh: ""),
            };
            let what = if *timestamp {
                text!(en: "its timestamp is more than an hour off DingTalk's clock", zh: "签名时间戳与钉钉时间相差超过 1 小时")
            } else {
                text!(en: "the signature does not match the robot's secret", zh: "签名与机器人的密钥不匹配")
            };
            let hint = if clock_off || *timestamp {
                text!(
                    en: "Set this machine's clock right (turn on automatic time synchronization), then run the step again; if it is right, copy the secret again.",
                    zh: "请校准本机时间（开启自动同步时间）后重新运行该步骤；若时间无误，请重新复制密钥。"
                )
            } else {
                text!(
                    en: "Copy the secret again from the group's robot settings (安全设置 > 加签): the whole SEC... text, without spaces, of this very robot.",
                    zh: "请从群机器人的安全设置（加签）中重新复制密钥：以 SEC 开头的完整文本，不带空格，且属于这个机器人。"
                )
            };
            Explanation {
                message: text!(
                    en: format!("DingTalk refused the signature: {} (errcode 310000 {said}).{}", what.en, clock.en),
                    zh: format!("钉钉拒绝了签名：{}（错误码 310000）。{}", what.zh_cn, clock.zh_cn)
                ),
                hint,
            }
        }
        WebhookRefusal::IpNotAllowed { ip } => {
            let ip = ip.as_deref().unwrap_or("?");
            Explanation {
                message: text!(
                    en: format!("DingTalk refused the message: this machine's address ({ip}) is not on the robot's IP allow-list (errcode 310000)."),
                    zh: format!("钉钉拒收了消息：本机地址（{ip}）不在机器人的 IP 白名单中（错误码 310000）。")
                ),
                hint: text!(
                    en: "Add the address to the robot's security settings (IP 地址（段）) in the group's robot settings, or run the flow from an allowed network.",
                    zh: "请在群机器人的安全设置中把该地址加入“IP 地址（段）”，或在允许的网络中运行流程。"
                ),
            }
        }
        WebhookRefusal::TooFast => TOO_FAST.saying(said),
        WebhookRefusal::TokenUnknown => TOKEN_UNKNOWN.saying(said),
        WebhookRefusal::RobotUnusable => ROBOT_UNUSABLE.saying(said),
        WebhookRefusal::Content => UNSAFE_CONTENT.saying(said),
    }
}

/// The words of a custom robot's refusal that are the same every time but for what DingTalk
/// said: the English message holds `{said}` where DingTalk's own words go, the Chinese one
/// only where they say more than the message (quoted, as DingTalk's words); the hint is fixed.
struct RefusalWords {
    message: Text,
    hint: Text,
}

impl RefusalWords {
    /// The explanation, with what DingTalk said in its place in the message.
    fn saying(self, said: &str) -> Explanation {
        let fill = |message: &str| message.replacen("{said}", said, 1);
        Explanation { message: text!(en: fill(&self.message.en), zh: fill(&self.message.zh_cn)), hint: self.hint }
    }
}

/// The robot signs its messages (加签) and the connection has no secret.
const NO_SECRET: RefusalWords = RefusalWords {
    message: text!(
        en: "DingTalk refused the message: the robot signs its messages (加签) and no secret was given ({said}).",
        zh: "钉钉拒收了消息：该机器人启用了加签，但没有填写密钥。"
    ),
    hint: text!(
        en: "Fill in the robot's secret (it starts with SEC; group settings > robots > the custom robot > security settings > 加签) on \"Create custom robot connection\".",
        zh: "请在“建立自定义机器人连接”中填写机器人的加签密钥（以 SEC 开头，见群设置 > 机器人 > 该自定义机器人 > 安全设置 > 加签）。"
    ),
};

/// 410100: more than 20 messages in a minute.
const TOO_FAST: RefusalWords = RefusalWords {
    message: text!(
        en: "DingTalk refused the message: the robot sent more than 20 messages in a minute and is banned for 10 minutes (errcode 410100 {said}).",
        zh: "钉钉拒收了消息：该机器人一分钟内发送超过 20 条，被限流 10 分钟（错误码 410100）。"
    ),
    hint: text!(
        en: "Wait 10 minutes before sending again. The plugin keeps each connection under messagesPerMinute, so another flow or program using the same webhook probably sent too: give them one connection, or lower messagesPerMinute.",
        zh: "请等待 10 分钟后再发送。插件会让每个连接保持在 messagesPerMinute 以内，因此可能是使用同一 Webhook 的其他流程或程序也在发送：请让它们共用一个连接，或调低 messagesPerMinute。"
    ),
};

/// DingTalk does not know the webhook's `access_token`.
const TOKEN_UNKNOWN: RefusalWords = RefusalWords {
    message: text!(
        en: "DingTalk does not know this webhook's access_token ({said}): the robot was removed from the group, or the URL is incomplete.",
        zh: "钉钉不认识该 Webhook 的 access_token：机器人可能已从群中移除，或地址不完整。"
    ),
    hint: text!(
        en: "Copy the webhook URL again from the group's settings > robots > the custom robot, whole.",
        zh: "请从群设置 > 机器人 > 该自定义机器人中重新完整复制 Webhook 地址。"
    ),
};

/// The robot is disabled or gone, or the group is dissolved.
const ROBOT_UNUSABLE: RefusalWords = RefusalWords {
    message: text!(
        en: "DingTalk refused the message: {said} (the robot is disabled or no longer in the group, or the group was dissolved).",
        zh: "钉钉拒收了消息：机器人已停用或不在群中，或群已解散（钉钉的说明：“{said}”）。"
    ),
    hint: text!(
        en: "Check the robot in the group's settings > robots: enable it, or add a custom robot again and use its new webhook URL.",
        zh: "请在群设置 > 机器人中检查该机器人：启用它，或重新添加自定义机器人并使用新的 Webhook 地址。"
    ),
};

/// DingTalk found the content unsafe.
const UNSAFE_CONTENT: RefusalWords = RefusalWords {
    message: text!(
        en: "DingTalk refused the content as unsafe: {said}.",
        zh: "钉钉认为消息内容不安全而拒收（钉钉的说明：“{said}”）。"
    ),
    hint: text!(
        en: "Remove or change the link, text or picture DingTalk flags, then send again.",
        zh: "请删除或修改被钉钉判定的链接、文字或图片后再发送。"
    ),
};

/// The permissions (scopes) the plugin's calls need, each with its name in the developer
/// console (Chinese) and what it lets the app do (English): the one place these names are
/// written, for the permission hint and the guide's permission table.
pub(crate) const SCOPES: [(&str, Text); 4] = [
    ("qyapi_robot_sendmsg", text!(en: "enterprise robot: send messages", zh: "企业内机器人发送消息权限")),
    ("qyapi_base", text!(en: "basic access to the enterprise API", zh: "调用企业API基础权限")),
    (
        "qyapi_get_member_by_mobile",
        text!(en: "get a member's basic info by mobile number", zh: "根据手机号获取成员基本信息权限"),
    ),
    ("Card.Instance.Write", text!(en: "write interactive card instances", zh: "互动卡片实例写权限")),
];

/// What a permission (scope) is called in the developer console, in English and Chinese.
pub(crate) fn scope_words(scope: &str) -> Text {
    SCOPES
        .iter()
        .find(|(name, _)| *name == scope)
        .map_or_else(|| text!(en: scope.to_string(), zh: scope.to_string()), |(_, words)| words.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_refusal_puts_what_dingtalk_said_in_its_place() {
        for words in [NO_SECRET, TOO_FAST, TOKEN_UNKNOWN, ROBOT_UNUSABLE, UNSAFE_CONTENT] {
            let Explanation { message, .. } = words.saying("said {said}");
            assert_eq!(message.en.matches("said {said}").count(), 1, "{}", message.en);
            assert_eq!(message.en.matches("{said}").count(), 1, "{}", message.en);
            assert!(message.zh_cn.matches("{said}").count() <= 1, "{}", message.zh_cn);
        }
        for words in [ROBOT_UNUSABLE, UNSAFE_CONTENT] {
            let zh = words.saying("said").message.zh_cn;
            assert!(zh.contains("“said”"), "{zh}");
        }
    }

    #[test]
    fn a_custom_robots_refusals_name_the_address_and_the_clock() {
        let told =
            |refusal| Error::Client(ClientError::WebhookRefused { refusal, upstream: Box::default() }).to_payload();
        let ip = told(WebhookRefusal::IpNotAllowed { ip: Some("1.2.3.4".into()) });
        assert!(ip.message.contains("(1.2.3.4)"), "{}", ip.message);
        let late = told(WebhookRefusal::Signature { timestamp: true, signed: true, skew_seconds: Some(-7260) });
        assert!(late.message.contains("2 h 1 min behind DingTalk's"), "{}", late.message);
        let wrong = told(WebhookRefusal::Signature { timestamp: false, signed: true, skew_seconds: Some(1) });
        assert!(wrong.message.contains("agrees with DingTalk's"), "{}", wrong.message);
    }
}
