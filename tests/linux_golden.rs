//! Golden files of the nftables and iptables targets, rendered by the real
//! binary from the fixtures (`UPDATE_GOLDEN=1` rewrites them), and the names
//! they refuse. Loading them into a kernel is `tests/linux_kernel.rs`.

mod common;

use common::{assert_golden, fixture, run, text};
use std::path::Path;

fn build(cwd: &Path, args: &[&str]) {
    let mut all = vec!["build", "-q", "--out", "out"];
    all.extend_from_slice(args);
    let out = run(cwd, &all);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "tagwall {all:?}: {stderr}");
}

#[test]
fn public_release_with_its_delta() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    build(
        dir.path(),
        &[
            "-t",
            "nftables",
            "-t",
            "iptables",
            "--input",
            new.to_str().unwrap(),
            "--previous",
            old.to_str().unwrap(),
        ],
    );
    assert_golden(&dir.path().join("out/nftables"), "nftables/public");
    assert_golden(&dir.path().join("out/iptables"), "iptables/public");
    let delta = std::fs::read_to_string(dir.path().join("out/nftables/tagwall.delta.nft")).unwrap();
    // AzureResourceManager gains 51.11.64.0/24 in 0811, and nothing else changes.
    assert!(
        delta.contains("add element inet tagwall AllowAzOutboundAccess_v4 {\n\t51.11.64.0/24\n}")
    );
    assert!(!delta.contains("delete element"));
}

#[test]
fn every_rule_feature_on_the_government_release() {
    let dir = tempfile::tempdir().unwrap();
    build(
        dir.path(),
        &[
            "-t",
            "nftables",
            "-t",
            "iptables",
            "--input",
            fixture("gov_20250818.json").to_str().unwrap(),
            "--policy",
            fixture("linux_features.toml").to_str().unwrap(),
        ],
    );
    assert_golden(&dir.path().join("out/nftables"), "nftables/gov-features");
    assert_golden(&dir.path().join("out/iptables"), "iptables/gov-features");
}

#[test]
fn names_that_would_collide_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text_of = |name: &str, prefix: &str| {
        format!(
            r#"{{"name": "{name}", "id": "{name}", "properties": {{"changeNumber": 1, "region": "",
            "regionId": 0, "platform": "Azure", "systemService": "", "networkFeatures": null,
            "addressPrefixes": ["{prefix}"]}}}}"#
        )
    };
    let file = dir.path().join("collide.json");
    std::fs::write(
        &file,
        format!(
            r#"{{"changeNumber": 1, "cloud": "Public", "values": [{}, {}]}}"#,
            text_of("Storage.EastUS", "198.51.100.0/24"),
            text_of("Storage_EastUS", "203.0.113.0/24")
        ),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "build",
            "--all-tags",
            "-t",
            "nftables",
            "--input",
            file.to_str().unwrap(),
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "target nftables: \"Storage.EastUS\" and \"Storage_EastUS\" both map to the name \"Storage_EastUS\""
        ),
        "{stderr}"
    );
    assert!(!dir.path().join("out").exists());
    // ipset names keep the dot, so the same file renders there.
    let out = run(
        dir.path(),
        &[
            "build",
            "--all-tags",
            "-t",
            "iptables",
            "--input",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out).1);
}

#[test]
fn linux_settings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.toml");
    std::fs::write(
        &policy,
        "[targets.nftables]\ntable = \"x; flush ruleset\"\n\n[[rule]]\nname = \"A\"\ntags = [\"AzureCloud\"]\npriority = 100\n",
    )
    .unwrap();
    let out = run(dir.path(), &["build", "--policy", policy.to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("[targets.nftables] table \"x; flush ruleset\""),
        "{stderr}"
    );
}
