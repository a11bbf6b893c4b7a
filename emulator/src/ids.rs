//! Random-looking opaque identifiers.

use rand::Rng;
use rand::distr::Alphanumeric;

/// An access token: 32 lowercase hex characters.
pub(crate) fn access_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// A request id shaped like DingTalk's (an upper-case UUID).
pub(crate) fn request_id() -> String {
    let v = rand::random::<u128>();
    let h = format!("{v:032X}");
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// A trace id: 30 lowercase hex characters.
pub(crate) fn trace_id() -> String {
    let v = rand::random::<u128>();
    let s = format!("{v:032x}");
    s[..30].to_owned()
}

fn alnum(n: usize) -> String {
    rand::rng().sample_iter(Alphanumeric).take(n).map(char::from).collect()
}

/// A `processQueryKey` shaped like DingTalk's: 44 characters of standard base64 (a 32-byte
/// id). It always holds `+`, `/` and `=`, so a client that puts it into a URL without
/// encoding it (a `+` reads as a space) finds no message.
pub(crate) fn process_query_key() -> String {
    const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    let mut key: Vec<u8> = (0..43).map(|_| BASE64[rng.random_range(0..64)]).collect();
    key[7] = b'+';
    key[19] = b'/';
    key.push(b'=');
    String::from_utf8(key).unwrap_or_default()
}

/// A Stream ticket: 32 lowercase hex characters, random (one connection, within its lifetime).
pub(crate) fn stream_ticket() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// A Stream connection's `connectionId`.
pub(crate) fn stream_connection_id() -> String {
    format!("{:016x}-{}", rand::random::<u64>(), alnum(8))
}

/// A Stream frame's `messageId`.
pub(crate) fn stream_message_id() -> String {
    format!("{:08x}_{}", rand::random::<u32>(), alnum(12))
}

/// The `opaque` of a Stream `ping`.
pub(crate) fn stream_opaque() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The `session` of a robot message's `sessionWebhook`: 32 lowercase hex characters.
pub(crate) fn session() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The `carrierId` of a delivered card (the message that carries it).
pub(crate) fn card_carrier_id() -> String {
    format!("{}", rand::random::<u64>() >> 1)
}

/// A card button's action id, as the card platform names its nodes (`button_node_...`).
pub(crate) fn card_action_id() -> String {
    format!("button_node_{}", alnum(11).to_ascii_lowercase())
}

/// A media id like the ones `media/upload` returns (`@lA...`).
pub(crate) fn media_id() -> String {
    format!("@lA{}", alnum(29))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        let t = super::access_token();
        assert_eq!(t.len(), 32);
        assert_ne!(t, super::access_token());
        assert_eq!(super::request_id().len(), 36);
        assert_eq!(super::trace_id().len(), 30);
        assert!(super::media_id().starts_with("@lA"));
        let key = super::process_query_key();
        assert_eq!(key.len(), 44);
        assert!(key.ends_with('=') && key.contains('+') && key.contains('/'), "{key}");
    }
}
