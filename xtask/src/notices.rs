//! The third-party licence notice: every crate compiled into the plugin, from `cargo
//! metadata` (its licence expression and source), with the licence texts each crate ships
//! (from cargo's registry sources, where `cargo metadata` finds the crate's manifest).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::{Result, cargo, output};

/// The package whose dependencies the notice lists: the plugin.
pub const PLUGIN_PACKAGE: &str = "dingtalk-robot";

/// One crate compiled into the plugin.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Crate {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its SPDX licence expression (`license` in its Cargo.toml), or what `license_file` says.
    pub license: String,
    /// Where it comes from: its repository, else its source (`registry+…`).
    pub source: String,
    /// The licence texts it ships: (file name, text).
    pub texts: Vec<(String, String)>,
}

/// The crates compiled into the plugin for `triple` other than this workspace's own: the
/// normal (not dev-, not build-only) dependencies of [`PLUGIN_PACKAGE`], followed from
/// `cargo metadata --locked --filter-platform <triple>` of the workspace at `root`.
pub fn compiled_crates(root: &Path, triple: &str) -> Result<Vec<Crate>> {
    let text = output(
        cargo()
            .args(["metadata", "--format-version", "1", "--locked", "--filter-platform", triple, "--manifest-path"])
            .arg(root.join("Cargo.toml")),
    )?;
    let metadata: Value = serde_json::from_str(&text).map_err(|e| format!("cargo metadata is not JSON: {e}"))?;
    crates_of(&metadata)
}

/// [`compiled_crates`] from the metadata document.
fn crates_of(metadata: &Value) -> Result<Vec<Crate>> {
    let packages: BTreeMap<&str, &Value> =
        metadata["packages"].as_array().into_iter().flatten().filter_map(|p| Some((p["id"].as_str()?, p))).collect();
    let members: BTreeSet<&str> =
        metadata["workspace_members"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let plugin = members
        .iter()
        .find(|id| packages.get(**id).is_some_and(|p| p["name"] == PLUGIN_PACKAGE))
        .ok_or_else(|| format!("cargo metadata does not list the workspace member {PLUGIN_PACKAGE}"))?;

    let mut seen = BTreeSet::from([*plugin]);
    let mut todo = vec![*plugin];
    while let Some(id) = todo.pop() {
        let deps = nodes.get(id).and_then(|n| n["deps"].as_array()).into_iter().flatten();
        for dep in deps {
            let normal = dep["dep_kinds"].as_array().into_iter().flatten().any(|k| k["kind"].is_null());
            if let Some(pkg) = dep["pkg"].as_str().filter(|_| normal)
                && seen.insert(pkg)
            {
                todo.push(pkg);
            }
        }
    }
    let mut crates: Vec<Crate> = seen
        .into_iter()
        .filter(|id| !members.contains(id))
        .filter_map(|id| packages.get(id))
        .map(|p| describe(p))
        .collect();
    crates.sort();
    Ok(crates)
}

/// One package of the metadata as a [`Crate`], its licence texts read beside its manifest.
fn describe(package: &Value) -> Crate {
    let field = |name: &str| package[name].as_str().unwrap_or_default().to_owned();
    let dir = Path::new(package["manifest_path"].as_str().unwrap_or_default()).parent().map(Path::to_path_buf);
    let mut names = BTreeSet::new();
    if let Some(dir) = &dir {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if is_licence_file(&name) && entry.path().is_file() {
                    names.insert(name);
                }
            }
        }
        if let Some(file) = package["license_file"].as_str() {
            names.insert(file.to_owned());
        }
    }
    let texts = names
        .into_iter()
        .filter_map(|name| {
            let text = std::fs::read_to_string(dir.as_ref()?.join(&name)).ok()?;
            Some((name, text))
        })
        .collect();
    let license = match package["license"].as_str() {
        Some(expression) => expression.to_owned(),
        None => format!("see {}", field("license_file")),
    };
    let source = match package["repository"].as_str() {
        Some(repository) => repository.to_owned(),
        None => field("source"),
    };
    Crate { name: field("name"), version: field("version"), license, source, texts }
}

/// Whether a file at a crate's top is one of its licence texts (`LICENSE`, `LICENSE-MIT`,
/// `LICENCE.md`, `COPYING`, `NOTICE`, `UNLICENSE`…).
fn is_licence_file(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["LICENSE", "LICENCE", "COPYING", "NOTICE", "UNLICENSE"].iter().any(|stem| upper.starts_with(stem))
}

/// The notice, in Markdown: a table of the crates, then each distinct licence text once with
/// the crates that ship it, then the crates that ship none (their licence is named in the table).
pub fn third_party_notice(crates: &[Crate], version: &str, triple: &str) -> String {
    let mut out = format!(
        "# Third-party licences\n\n\
         dingtalk-robot {version} for {triple} (licensed MIT OR Apache-2.0, see LICENSE-MIT and \
         LICENSE-APACHE) is built with the {} crates below. This notice is generated by \
         `cargo xtask dist` from `cargo metadata`; the texts are the licence files each crate \
         ships.\n\n| crate | version | licence | source |\n|---|---|---|---|\n",
        crates.len()
    );
    for c in crates {
        out.push_str(&format!("| {} | {} | {} | {} |\n", c.name, c.version, c.license, c.source));
    }
    let mut by_text: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in crates {
        for (file, text) in &c.texts {
            by_text.entry(text.as_str()).or_default().push(format!("{} {} ({file})", c.name, c.version));
        }
    }
    out.push_str("\n## Licence texts\n");
    for (text, users) in &by_text {
        out.push_str(&format!("\n### Used by {}\n\n````text\n{}\n````\n", users.join(", "), text.trim_end()));
    }
    let bare: Vec<String> = crates
        .iter()
        .filter(|c| c.texts.is_empty())
        .map(|c| format!("{} {} ({})", c.name, c.version, c.license))
        .collect();
    if !bare.is_empty() {
        out.push_str(&format!(
            "\n## Crates that ship no licence file\n\nTheir licence is the one their manifest names: {}.\n",
            bare.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The plugin depends on `a` (normal, through a workspace member), `b` only as a
    /// dev-dependency and `c` only as a build dependency; `a` depends on `d`.
    fn metadata() -> Value {
        let package = |id: &str, name: &str, license: Value| {
            json!({"id": id, "name": name, "version": "1.0.0", "license": license, "license_file": null,
                   "repository": format!("https://example.org/{name}"), "manifest_path": "/nonexistent/Cargo.toml"})
        };
        let dep = |pkg: &str, kind: Value| json!({"pkg": pkg, "dep_kinds": [{"kind": kind, "target": null}]});
        json!({
            "packages": [package("plugin", "dingtalk-robot", json!("MIT OR Apache-2.0")),
                         package("abi", "rpa-plugin-abi", json!("MIT OR Apache-2.0")),
                         package("a", "a", json!("MIT")), package("b", "b", json!("MIT")),
                         package("c", "c", json!("MIT")), package("d", "d", Value::Null)],
            "workspace_members": ["plugin", "abi"],
            "resolve": {"nodes": [
                {"id": "plugin", "deps": [dep("abi", Value::Null), dep("b", json!("dev")), dep("c", json!("build"))]},
                {"id": "abi", "deps": [dep("a", Value::Null)]},
                {"id": "a", "deps": [dep("d", Value::Null)]},
                {"id": "b", "deps": []}, {"id": "c", "deps": []}, {"id": "d", "deps": []}]}
        })
    }

    #[test]
    fn only_the_crates_compiled_in_are_listed_and_not_our_own() {
        let crates = crates_of(&metadata()).unwrap();
        let names: Vec<&str> = crates.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["a", "d"]);
        assert_eq!(crates[1].license, "see ", "a crate without an expression points to its file");
    }

    #[test]
    fn each_text_is_written_once_with_the_crates_that_ship_it() {
        let mit = |name: &str| Crate {
            name: name.into(),
            version: "1.0.0".into(),
            license: "MIT".into(),
            source: "src".into(),
            texts: vec![("LICENSE".into(), "MIT text\n".into())],
        };
        let bare = Crate { texts: vec![], ..mit("c") };
        let notice = third_party_notice(&[mit("a"), mit("b"), bare], "0.2.0", "x86_64-unknown-linux-gnu");
        assert_eq!(notice.matches("MIT text").count(), 1, "{notice}");
        assert!(notice.contains("### Used by a 1.0.0 (LICENSE), b 1.0.0 (LICENSE)"), "{notice}");
        assert!(notice.contains("| c | 1.0.0 | MIT | src |"), "{notice}");
        assert!(
            notice.contains("ship no licence file\n\nTheir licence is the one their manifest names: c 1.0.0 (MIT).")
        );
    }

    #[test]
    fn licence_files_are_known_by_their_names() {
        for name in ["LICENSE", "LICENSE-MIT", "license-apache.txt", "LICENCE.md", "COPYING", "NOTICE", "UNLICENSE"] {
            assert!(is_licence_file(name), "{name}");
        }
        assert!(!is_licence_file("README.md"));
    }
}
