//! Hostile input and faults: every bad file gets a clear error and a non-zero
//! exit code, nothing is written, nothing panics; hostile tag names never
//! reach a config unescaped; a signal never leaves a half-written output.

mod common;

use common::{fixture, read_tree, run, text};
use serde_json::{Value, json};
use std::fs;
use std::path::Path;

fn base() -> Value {
    serde_json::from_slice(&fs::read(fixture("public_20250811.json")).unwrap()).unwrap()
}

fn tag_index(doc: &Value, name: &str) -> usize {
    doc["values"]
        .as_array()
        .unwrap()
        .iter()
        .position(|t| t["name"] == name)
        .unwrap()
}

/// Replace the prefixes of `AzureActiveDirectory` (a default-policy tag).
fn with_prefix(prefix: &str) -> Vec<u8> {
    let mut doc = base();
    let i = tag_index(&doc, "AzureActiveDirectory");
    doc["values"][i]["properties"]["addressPrefixes"][0] = json!(prefix);
    serde_json::to_vec_pretty(&doc).unwrap()
}

fn edit(f: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut doc = base();
    f(&mut doc);
    serde_json::to_vec_pretty(&doc).unwrap()
}

/// The corpus: (case, file bytes, exit code, words the message must hold).
fn corpus() -> Vec<(&'static str, Vec<u8>, i32, Vec<&'static str>)> {
    let good = fs::read(fixture("public_20250811.json")).unwrap();
    let deep = format!(
        r#"{{"changeNumber": 1, "cloud": "Public", "values": {}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let mut huge = String::from(r#"{"changeNumber": 1, "cloud": "Public", "values": [{"name": ""#);
    huge.push_str(&"A".repeat(100 * 1024 * 1024));
    huge.push_str(
        r#"", "properties": {"changeNumber": 1, "addressPrefixes": ["13.107.3.0/24"]}}]}"#,
    );
    vec![
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            2,
            vec!["truncated JSON"],
        ),
        ("empty", Vec::new(), 2, vec!["empty"]),
        (
            "html page",
            b"<!DOCTYPE html><html><body>Service unavailable</body></html>".to_vec(),
            2,
            vec!["HTML"],
        ),
        (
            "top-level array",
            b"[{\"changeNumber\": 1}]".to_vec(),
            2,
            vec!["not a JSON object"],
        ),
        (
            "values missing",
            edit(|d| {
                d.as_object_mut().unwrap().remove("values");
            }),
            2,
            vec!["missing field `values`"],
        ),
        (
            "values empty",
            edit(|d| d["values"] = json!([])),
            2,
            vec!["\"values\" is empty"],
        ),
        (
            "changeNumber string",
            edit(|d| d["changeNumber"] = json!("366")),
            2,
            vec!["invalid type: string"],
        ),
        (
            "tag changeNumber string",
            edit(|d| {
                let i = tag_index(d, "AzureActiveDirectory");
                d["values"][i]["properties"]["changeNumber"] = json!("26");
            }),
            2,
            vec!["tag \"AzureActiveDirectory\"", "invalid type: string"],
        ),
        (
            "unknown cloud",
            edit(|d| d["cloud"] = json!("AzureGermany")),
            2,
            vec!["unknown cloud \"AzureGermany\""],
        ),
        (
            "duplicate tag",
            edit(|d| {
                let t = d["values"][0].clone();
                d["values"].as_array_mut().unwrap().push(t);
            }),
            2,
            vec!["appears more than once"],
        ),
        (
            "selected tag empty",
            edit(|d| {
                let i = tag_index(d, "AzureActiveDirectory");
                d["values"][i]["properties"]["addressPrefixes"] = json!([]);
            }),
            3,
            vec!["AllowAADOutboundAccess", "empty set is never written"],
        ),
        (
            "selected tag missing",
            edit(|d| {
                let i = tag_index(d, "MicrosoftContainerRegistry");
                d["values"].as_array_mut().unwrap().remove(i);
            }),
            2,
            vec!["no tag matches \"MicrosoftContainerRegistry\""],
        ),
        (
            "host bits",
            with_prefix("4.149.98.193/27"),
            2,
            vec!["\"4.149.98.193/27\"", "host bits"],
        ),
        (
            "/33",
            with_prefix("4.149.98.192/33"),
            2,
            vec!["out of range"],
        ),
        (
            "leading zeros",
            with_prefix("4.149.098.192/27"),
            2,
            vec!["leading zero"],
        ),
        (
            "garbage",
            with_prefix("not-a-prefix"),
            2,
            vec!["\"not-a-prefix\""],
        ),
        (
            "ipv6 not canonical",
            with_prefix("2603:1006:2000:0::/48"),
            2,
            vec!["canonical form (2603:1006:2000::/48)"],
        ),
        (
            "default route v4",
            with_prefix("0.0.0.0/0"),
            3,
            vec!["0.0.0.0/0", "default-route"],
        ),
        (
            "default route v6",
            with_prefix("::/0"),
            3,
            vec!["::/0", "default-route"],
        ),
        ("private", with_prefix("192.168.0.0/16"), 3, vec!["private"]),
        ("loopback", with_prefix("127.0.0.0/8"), 3, vec!["loopback"]),
        ("multicast", with_prefix("ff02::/16"), 3, vec!["multicast"]),
        (
            "ipv4-mapped",
            with_prefix("::ffff:13.107.0.0/112"),
            3,
            vec!["ipv4-mapped"],
        ),
        (
            "link-local",
            with_prefix("169.254.0.0/16"),
            3,
            vec!["link-local"],
        ),
        ("broad", with_prefix("4.0.0.0/6"), 3, vec!["broad"]),
        (
            "nested 100,000 deep",
            deep.into_bytes(),
            2,
            vec!["values[0]"],
        ),
        (
            "100 MB string",
            huge.into_bytes(),
            2,
            vec!["larger than 64 MiB"],
        ),
        (
            "control character in a name",
            edit(|d| d["values"][0]["name"] = json!("Evil\nTag")),
            2,
            vec!["U+000A"],
        ),
        (
            "direction mark in a name",
            edit(|d| d["values"][0]["name"] = json!("Evil\u{202e}Tag")),
            2,
            vec!["U+202E"],
        ),
        (
            "300-character name",
            edit(|d| d["values"][0]["name"] = json!("N".repeat(300))),
            2,
            vec!["longer than 256"],
        ),
    ]
}

#[test]
fn every_bad_file_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "build",
            "--input",
            fixture("public_20250811.json").to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let before = read_tree(&dir.path().join("out"));
    for (case, bytes, code, words) in corpus() {
        let path = dir.path().join("bad.json");
        fs::write(&path, &bytes).unwrap();
        let out = run(dir.path(), &["build", "--input", "bad.json"]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(code), "{case}: {stderr}");
        assert!(stderr.starts_with("tagwall: error: "), "{case}: {stderr}");
        assert!(
            stderr.contains("bad.json") || code == 3,
            "{case}: the message names the file: {stderr}"
        );
        for w in words {
            assert!(stderr.contains(w), "{case}: wanted {w:?} in {stderr}");
        }
        assert!(!stderr.contains("panicked") && stdout.is_empty(), "{case}");
        assert!(
            stderr.len() < 2_000,
            "{case}: the message should be one clear line, not {} bytes",
            stderr.len()
        );
        assert!(
            read_tree(&dir.path().join("out")) == before,
            "{case}: the output folder changed"
        );
    }
}

/// A Service Tags file whose tag names try to break out of every syntax.
fn hostile_file(dir: &Path) -> std::path::PathBuf {
    let names = [
        "Quote'Single",
        "Quote\"Double",
        "Semi;rm -rf /",
        "Dollar$(reboot)",
        "Back`id`tick",
        "Brace{{tool.name}}",
        "Hcl${var.x}%{if}",
        "Pipe|Amp&Lt<Gt>",
        "Slash/..\\..",
        "Comma,=SUM(A1)",
        &"Long".repeat(62),
    ];
    let values: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({"name": n, "id": n, "properties": {"changeNumber": 1, "region": "", "regionId": 0, "platform": "Azure",
                "systemService": "", "addressPrefixes": [format!("13.107.{i}.0/24"), format!("2603:1000:{:x}::/48", i + 1)], "networkFeatures": ["NSG"]}})
        })
        .collect();
    let path = dir.join("hostile.json");
    fs::write(
        &path,
        serde_json::to_vec_pretty(&json!({"changeNumber": 1, "cloud": "Public", "values": values}))
            .unwrap(),
    )
    .unwrap();
    path
}

#[test]
fn hostile_tag_names_never_reach_plain_or_nsg_output_unescaped() {
    let dir = tempfile::tempdir().unwrap();
    let input = hostile_file(dir.path());
    for mode in ["service-tag", "prefixes"] {
        let out = run(
            dir.path(),
            &[
                "build",
                "--all-tags",
                "--input",
                input.to_str().unwrap(),
                "--target",
                "plain",
                "--target",
                "azure-nsg",
                "--nsg-mode",
                mode,
                "--out",
                mode,
            ],
        );
        assert!(out.status.success(), "{}", text(&out).1);
        let tree = read_tree(&dir.path().join(mode));
        for (path, bytes) in &tree {
            let parts: Vec<&str> = path.split('/').collect();
            assert!(
                parts
                    .iter()
                    .all(|p| !p.is_empty() && *p != "." && *p != ".."),
                "{path}"
            );
            assert!(
                parts.len() == 1
                    || (parts.len() == 2 && ["plain", "azure-nsg"].contains(&parts[0])),
                "{path}"
            );
            let content = String::from_utf8(bytes.clone()).unwrap();
            assert!(
                !content.contains("Bracetagwall"),
                "{path}: a name was rendered as a template"
            );
            if path.ends_with(".json") {
                serde_json::from_str::<Value>(&content).unwrap_or_else(|e| panic!("{path}: {e}"));
            }
            if path.ends_with(".azcli.sh") {
                // Every line is a comment, a known statement, or a continuation
                // of one; no injected command can start a line.
                for line in content.lines() {
                    let t = line.trim_start();
                    let ok = t.is_empty()
                        || t.starts_with('#')
                        || t.starts_with("set -euo")
                        || t.starts_with(": \"${")
                        || t.starts_with("az network nsg rule create")
                        || t.starts_with("--")
                        || t.starts_with('\'');
                    assert!(ok, "{path}: unexpected line {line:?}");
                }
                // bash itself agrees that the script only runs az with arguments.
                common::assert_shell_syntax(&dir.path().join(mode).join(path));
            }
            if path.ends_with(".tf") {
                assert!(
                    !content.contains("${var.x}") || content.contains("$${var.x}"),
                    "{path}: HCL interpolation leaked"
                );
            }
            if path.ends_with(".bicep") {
                assert!(
                    !content.contains("Quote'Single"),
                    "{path}: a quote leaked into Bicep"
                );
            }
        }
        // NSG rule names stay within Azure's charset and length.
        let arm: Value = serde_json::from_slice(&tree["azure-nsg/nsg-rules.arm.json"]).unwrap();
        for r in arm["resources"].as_array().unwrap() {
            let expr = r["name"].as_str().unwrap();
            let name = expr.rsplit_once(", '").unwrap().1.trim_end_matches("')]");
            assert!(
                name.len() <= 80
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
                "{name}"
            );
        }
    }
}

/// After a signal at any moment, the output folder is the old build or a
/// whole new one: every file the manifest lists, with its digest, and no other.
#[test]
fn a_signal_never_leaves_a_half_written_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["build", "--target", "plain"]);
    assert!(out.status.success());
    let mut interrupted = 0;
    for (round, delay_ms) in [5u64, 20, 50, 100, 200, 400, 800].into_iter().enumerate() {
        let signal = if round % 2 == 0 { "-TERM" } else { "-INT" };
        let child = common::tagwall_in(dir.path())
            .args(["build", "--all-tags", "--target", "plain"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = std::process::Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status();
        let result = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&result.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        if result.status.code() == Some(2) {
            assert!(stderr.contains("interrupted by SIG"), "{stderr}");
            interrupted += 1;
        }
        let tree = read_tree(&dir.path().join("out"));
        let manifest: Value = serde_json::from_slice(&tree["manifest.json"]).unwrap();
        let listed = manifest["files"].as_object().unwrap();
        assert_eq!(
            listed.len() + 1,
            tree.len(),
            "round {round}: files beside the manifest's"
        );
        for (path, entry) in listed {
            assert_eq!(
                entry["sha256"].as_str().unwrap(),
                tagwall::source::sha256_hex(&tree[path]),
                "round {round}: {path}"
            );
        }
    }
    assert!(interrupted > 0, "no round was interrupted mid-build");
    // And the next build succeeds.
    let out = run(dir.path(), &["build", "--all-tags", "--target", "plain"]);
    assert!(out.status.success(), "{}", text(&out).1);
}
