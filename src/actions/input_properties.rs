//! Property tests of how every action reads what people type: user IDs in each form they
//! use, and whole numbers typed as numbers or text, agree with what README promises; and a
//! value reads the same whether a host's form normalized it first or not.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::{Params, connect, send};

/// User IDs as people type them: each a core ID with stray blanks around it.
#[derive(Debug, Clone)]
enum IdForm {
    List,
    ListInText,
    Commas,
    Lines,
}

fn typed_ids() -> impl Strategy<Value = (Vec<(String, String, String)>, IdForm)> {
    let core = prop_oneof![8 => "[a-z0-9]{0,3}", 1 => "[a-z]{64,66}"];
    let pad = "[ \t]{0,2}";
    let ids = prop::collection::vec((pad, core, pad), 0..25);
    let form = prop_oneof![Just(IdForm::List), Just(IdForm::ListInText), Just(IdForm::Commas), Just(IdForm::Lines)];
    (ids, form)
}

/// What the README promises: trimmed, duplicates dropped in order, at most 1,000, none
/// longer than 64 characters. Blank pieces of text (blank lines, `a,,b`) are skipped; a blank
/// item of a list is refused. None at all is an empty list (send then needs mobiles).
fn expected_ids(cores: &[String], form: &IdForm) -> Option<Vec<String>> {
    let text = matches!(form, IdForm::Lines | IdForm::Commas);
    let cores: Vec<&String> = cores.iter().filter(|c| !(text && c.is_empty())).collect();
    if cores.iter().any(|c| c.is_empty() || c.chars().count() > 64) {
        return None;
    }
    let mut unique: Vec<String> = Vec::new();
    for c in cores {
        if !unique.contains(c) {
            unique.push(c.clone());
        }
    }
    (unique.len() <= 1000).then_some(unique)
}

/// A value for a whole-number field, and the whole number it means, if it is one.
fn whole_number_input() -> impl Strategy<Value = (Value, Option<i64>)> {
    prop_oneof![
        (-20i64..1100).prop_map(|n| (json!(n), Some(n))),
        any::<i64>().prop_map(|n| (json!(n), Some(n))),
        (-20i64..1100, "[ ]{0,2}", "[ ]{0,2}").prop_map(|(n, a, b)| (json!(format!("{a}{n}{b}")), Some(n))),
        (-20i64..1100).prop_map(|n| (json!(n as f64), Some(n))),
        (1i64..300).prop_map(|n| (json!(n as f64 + 0.5), None)),
        Just((json!(1e300), None)),
        Just((json!(u64::MAX), None)),
        Just((json!(true), None)),
        Just((json!([30]), None)),
        "[a-z.]{1,5}".prop_map(|s| (json!(s), None)),
    ]
}

fn read_user_ids(value: Value) -> crate::Result<Vec<String>> {
    let spec = send::ACTION.spec();
    let text = json!({ send::USER_IDS: value }).to_string();
    let params = Params::parse(&text, &spec)?;
    send::form::USER_IDS.read(&params)
}

proptest! {
    /// User IDs in every form people type them agree with the README's promise.
    #[test]
    fn user_ids_agree_with_the_promise((ids, form) in typed_ids()) {
        let cores: Vec<String> = ids.iter().map(|(_, c, _)| c.clone()).collect();
        let typed: Vec<String> = ids.iter().map(|(a, c, b)| format!("{a}{c}{b}")).collect();
        let value = match &form {
            IdForm::List => json!(typed),
            IdForm::ListInText => json!(json!(typed).to_string()),
            IdForm::Commas => json!(typed.join(",")),
            IdForm::Lines => json!(typed.join("\r\n")),
        };
        match (read_user_ids(value.clone()), expected_ids(&cores, &form)) {
            (Ok(got), Some(want)) => prop_assert_eq!(got, want),
            (Err(e), None) => prop_assert_eq!(e.field(), Some(send::USER_IDS)),
            (got, want) => prop_assert!(false, "{value}: got {got:?}, expected {want:?}"),
        }
    }

    /// Whatever is typed as user IDs, the result is at most 1,000 clean, distinct IDs (none
    /// when none are given: send then needs mobiles), or an error naming the field. (Values of any JSON type go through the whole plugin in
    /// `tests/fuzzing.rs`.)
    #[test]
    fn user_ids_are_up_to_a_thousand_clean_ids_or_refused_by_name(ids in prop_oneof![
        prop::collection::vec("[ \ta-z0-9,]{0,12}", 0..26).prop_map(Value::from),
        "[ \n,a-z0-9\\[\\]\"]{0,80}".prop_map(Value::from),
    ]) {
        match read_user_ids(ids) {
            Ok(list) => {
                prop_assert!(list.len() <= 1000);
                for id in &list {
                    prop_assert!(!id.is_empty() && id.trim() == id);
                }
                let mut unique = list.clone();
                unique.sort();
                unique.dedup();
                prop_assert_eq!(unique.len(), list.len());
            }
            Err(e) => prop_assert_eq!(e.field(), Some(send::USER_IDS)),
        }
    }

    /// `timeoutSeconds` and `qpsLimit` take whole numbers in range, typed as numbers or text.
    #[test]
    fn whole_number_fields_agree_with_their_ranges(
        (timeout, timeout_n) in whole_number_input(),
        (qps, qps_n) in whole_number_input(),
    ) {
        let spec = connect::ACTION.spec();
        let text = json!({ connect::APP_KEY: "k", connect::APP_SECRET: "s", connect::TIMEOUT_SECONDS: timeout, connect::QPS_LIMIT: qps }).to_string();
        let params = Params::parse(&text, &spec).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let timeout_ok = timeout_n.filter(|n| (1..=300).contains(n));
        let qps_ok = qps_n.filter(|n| (0..=1000).contains(n));
        match (connect::read(&params).map(|i| i.settings), timeout_ok, qps_ok) {
            (Ok(s), Some(t), Some(q)) => {
                prop_assert_eq!(s.options.timeout.as_secs() as i64, t);
                prop_assert_eq!(i64::from(s.qps_limit), q);
            }
            (Err(e), None, _) => prop_assert_eq!(e.field(), Some(connect::TIMEOUT_SECONDS)),
            (Err(e), Some(_), None) => prop_assert_eq!(e.field(), Some(connect::QPS_LIMIT)),
            (got, t, q) => {
                let got = got.map(|s| (s.options.timeout, s.qps_limit));
                prop_assert!(false, "{timeout} {qps}: got {got:?}, expected {t:?} {q:?}");
            }
        }
    }

    /// One rule per value: text typed into a list or number field reads the same through a
    /// host (its form's [`FieldSpec::normalize`](rpa_plugin_abi::FieldSpec::normalize), then
    /// the plugin) as given straight to the plugin (a C host, a script): the same list or
    /// number, or an error on the same field.
    #[test]
    fn a_value_reads_the_same_with_or_without_the_hosts_normalize(
        typed in prop_oneof![
            "[ \t\n,，;、a-z0-9\"“”'\u{200B}\u{FEFF}+-]{0,40}".prop_map(Value::from),
            prop::collection::vec("[ a-z0-9\"“”\u{200B}]{0,6}", 0..6).prop_map(|v| Value::from(json!(v).to_string())),
            prop::collection::vec("[ a-z0-9\"“”\u{200B}]{0,6}", 0..6).prop_map(|v| json!(v)),
            whole_number_input().prop_map(|(v, _)| v),
        ],
        field in prop::sample::select(vec![
            (send::ID, send::USER_IDS), (send::ID, send::MOBILES), (super::recall::ID, super::recall::PROCESS_QUERY_KEYS),
            (super::connect_webhook::ID, super::connect_webhook::KEYWORDS), (connect::ID, connect::TIMEOUT_SECONDS),
        ]),
    ) {
        let (action, name) = field;
        let manifest = super::manifest();
        let spec = manifest.action(action).unwrap();
        let normalized = spec.input(name).unwrap().normalize(typed.clone());
        let read = |value: &Value| -> Result<String, Option<String>> {
            let text = json!({ name: value }).to_string();
            let params = Params::parse(&text, spec).map_err(|e| e.field().map(str::to_string))?;
            let shown = match name {
                send::USER_IDS => send::form::USER_IDS.read(&params).map(|v| format!("{v:?}")),
                send::MOBILES => send::form::MOBILES.read(&params).map(|v| format!("{v:?}")),
                super::recall::PROCESS_QUERY_KEYS => super::recall::form::PROCESS_QUERY_KEYS.read(&params).map(|v| format!("{v:?}")),
                super::connect_webhook::KEYWORDS => super::connect_webhook::form::KEYWORDS.read(&params).map(|v| format!("{v:?}")),
                _ => connect::form::TIMEOUT_SECONDS.read(&params).map(|v| format!("{v:?}")),
            };
            shown.map_err(|e| e.field().map(str::to_string))
        };
        prop_assert_eq!(read(&normalized), read(&typed), "{} typed as {} (normalized: {})", name, typed, normalized);
    }
}
