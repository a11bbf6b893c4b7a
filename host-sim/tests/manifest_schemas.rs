//! Every field's schema in the manifest the plugin ships (`plugin.json` at the repository
//! root) is valid JSON Schema 2020-12, as the manifest promises: checked against the 2020-12
//! meta-schema, field by field, without building the plugin.

// A test's failures are panics: unwrap, expect and panic are how it reports them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rpa_plugin_abi::Manifest;
use serde_json::json;

#[test]
fn every_field_schema_of_plugin_json_is_valid_json_schema_2020_12() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugin.json");
    let text = std::fs::read_to_string(path).expect("plugin.json at the repository root");
    let manifest: Manifest = serde_json::from_str(&text).expect("plugin.json is a manifest");
    let mut checked = 0;
    let mut invalid = Vec::new();
    for action in &manifest.actions {
        for field in action.inputs.all().chain(&action.outputs) {
            checked += 1;
            if let Err(e) = jsonschema::draft202012::meta::validate(&field.schema) {
                invalid.push(format!("{}.{}: {e} at {}", action.id, field.name, e.instance_path()));
            }
        }
    }
    assert!(invalid.is_empty(), "schemas that are not JSON Schema 2020-12:\n{}", invalid.join("\n"));
    assert!(checked >= 10, "only {checked} fields in plugin.json");
    // host-sim's loader makes the same check.
    host_sim::validate::check_schemas(&manifest).expect("the loader's check agrees");
}

#[test]
fn the_meta_schema_check_refuses_what_is_not_a_schema() {
    // What the check above would catch, so that it cannot pass for want of checking.
    for broken in [json!({"type": "text"}), json!({"maxLength": -1}), json!({"required": "id"}), json!(3)] {
        assert!(jsonschema::draft202012::meta::validate(&broken).is_err(), "{broken}");
    }
}
