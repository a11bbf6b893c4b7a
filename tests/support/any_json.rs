//! The one arbitrary-JSON generator, for the end-to-end fuzzers (`tests/fuzzing.rs`) and the
//! DingTalk client's unit properties (`client/src/lib.rs` includes this file under `cfg(test)`).

use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, a few levels deep: `null`, booleans, integers and finite numbers at their
/// extremes, text of any characters or of the ones lists and URLs are made of, and `words`
/// (the choices a form offers, the keys of a server's answer: whatever the code under test
/// looks for) as text and as object keys. `words` must not be empty.
pub(crate) fn any_json(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let word = prop::sample::select(words);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        "[ ,;\n\t\\[\\]\"a-z0-9${}:/.]{0,30}".prop_map(Value::from),
        word.clone().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        let key = prop_oneof![1 => ".{0,8}", 1 => "[a-zA-Z]{0,8}", 2 => word.clone().prop_map(String::from)];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..25).prop_map(Value::from),
            prop::collection::btree_map(key, inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
