//! [`Api`]: the DingTalk APIs this crate calls, with what each needs to know of itself: its
//! path, its permission, whether repeating it can do harm, and which generation it belongs to.

use crate::error::Effect;

/// The DingTalk APIs we call; each has its own rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `POST /v1.0/oauth2/accessToken`.
    Token,
    /// `POST /v1.0/robot/oToMessages/batchSend`.
    BatchSend,
    /// `POST /media/upload` (old generation).
    MediaUpload,
    /// `POST /topapi/v2/user/getbymobile` (old generation).
    GetByMobile,
    /// `GET /v1.0/robot/oToMessages/readStatus`.
    ReadStatus,
    /// `POST /v1.0/robot/otoMessages/batchRecall` (lower-case `oto`, as DingTalk spells it).
    BatchRecall,
    /// `POST /v1.0/robot/groupMessages/send`.
    GroupSend,
    /// `POST /v1.0/robot/groupMessages/recall`.
    GroupRecall,
    /// `POST /v1.0/gateway/connections/open`: a ticket for one Stream WebSocket (the AppKey
    /// and AppSecret in the body, no token).
    StreamOpen,
    /// `POST /v1.0/card/instances/createAndDeliver`: an interactive card, made and sent.
    CardCreate,
    /// `PUT /v1.0/card/instances`: an interactive card's data updated.
    CardUpdate,
    /// `POST <sessionWebhook>`: a reply into the conversation a received message came in
    /// (its own URL, valid about 90 minutes; no token).
    SessionReply,
}

impl Api {
    /// Every API, in the order of [`Api::index`].
    pub(crate) const ALL: [Api; 12] = [
        Api::Token,
        Api::BatchSend,
        Api::MediaUpload,
        Api::GetByMobile,
        Api::ReadStatus,
        Api::BatchRecall,
        Api::GroupSend,
        Api::GroupRecall,
        Api::StreamOpen,
        Api::CardCreate,
        Api::CardUpdate,
        Api::SessionReply,
    ];

    /// Its place in [`Api::ALL`] (and in per-API arrays).
    pub(crate) fn index(self) -> usize {
        match self {
            Api::Token => 0,
            Api::BatchSend => 1,
            Api::MediaUpload => 2,
            Api::GetByMobile => 3,
            Api::ReadStatus => 4,
            Api::BatchRecall => 5,
            Api::GroupSend => 6,
            Api::GroupRecall => 7,
            Api::StreamOpen => 8,
            Api::CardCreate => 9,
            Api::CardUpdate => 10,
            Api::SessionReply => 11,
        }
    }

    /// Its path, under its generation's base URL.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Api::Token => "/v1.0/oauth2/accessToken",
            Api::BatchSend => "/v1.0/robot/oToMessages/batchSend",
            Api::MediaUpload => "/media/upload",
            Api::GetByMobile => "/topapi/v2/user/getbymobile",
            Api::ReadStatus => "/v1.0/robot/oToMessages/readStatus",
            Api::BatchRecall => "/v1.0/robot/otoMessages/batchRecall",
            Api::GroupSend => "/v1.0/robot/groupMessages/send",
            Api::GroupRecall => "/v1.0/robot/groupMessages/recall",
            Api::StreamOpen => "/v1.0/gateway/connections/open",
            Api::CardCreate => "/v1.0/card/instances/createAndDeliver",
            Api::CardUpdate => "/v1.0/card/instances",
            Api::SessionReply => "sessionWebhook",
        }
    }

    /// The permission (scope) the call needs, for a refusal that does not name it.
    pub(crate) fn scope(self) -> &'static str {
        match self {
            Api::Token | Api::StreamOpen | Api::SessionReply => "",
            Api::CardCreate | Api::CardUpdate => "Card.Instance.Write",
            Api::BatchSend | Api::ReadStatus | Api::BatchRecall | Api::GroupSend | Api::GroupRecall => {
                "qyapi_robot_sendmsg"
            }
            Api::MediaUpload => "qyapi_base",
            Api::GetByMobile => "qyapi_get_member_by_mobile",
        }
    }

    /// Calls whose repetition cannot do harm (a token, a media id, a lookup, a read). A send
    /// is not one, and a recall is treated like a send: neither is repeated once it may have
    /// been processed.
    pub(crate) fn repeatable(self) -> bool {
        self.effect().is_none()
    }

    /// What a call that is never repeated does.
    pub(crate) fn effect(self) -> Option<Effect> {
        match self {
            Api::BatchSend | Api::GroupSend | Api::CardCreate | Api::SessionReply => Some(Effect::Message),
            Api::BatchRecall | Api::GroupRecall => Some(Effect::Recall),
            // Setting a card's data twice sets it once.
            Api::Token | Api::MediaUpload | Api::GetByMobile | Api::ReadStatus | Api::StreamOpen | Api::CardUpdate => {
                None
            }
        }
    }

    /// The robot-message APIs, whose refusals mentioning the robot are about the robot code.
    pub(crate) fn is_robot(self) -> bool {
        matches!(self, Api::BatchSend | Api::ReadStatus | Api::BatchRecall | Api::GroupSend | Api::GroupRecall)
    }

    /// Whether it goes without an access token: it takes the AppKey and AppSecret instead,
    /// or (a sessionWebhook) its URL is all it needs.
    pub(crate) fn takes_credentials(self) -> bool {
        matches!(self, Api::Token | Api::StreamOpen | Api::SessionReply)
    }

    /// Whether it is of the old generation (`oapi`: errcode in a 200 answer, token in the query).
    pub(crate) fn old_generation(self) -> bool {
        matches!(self, Api::MediaUpload | Api::GetByMobile | Api::SessionReply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_lookups_tokens_and_uploads_are_repeatable() {
        let repeatable: Vec<Api> = Api::ALL.into_iter().filter(|a| a.repeatable()).collect();
        assert_eq!(
            repeatable,
            [Api::Token, Api::MediaUpload, Api::GetByMobile, Api::ReadStatus, Api::StreamOpen, Api::CardUpdate]
        );
        assert_eq!(Api::BatchRecall.effect(), Some(Effect::Recall));
        assert_eq!(Api::GroupSend.effect(), Some(Effect::Message));
        for (i, api) in Api::ALL.into_iter().enumerate() {
            assert_eq!(api.index(), i);
        }
    }
}
