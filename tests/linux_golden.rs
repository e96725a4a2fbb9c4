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

/// A policy file in `dir`: `text` with each `(from, to)` replaced once.
fn policy(dir: &Path, name: &str, text: &str, edits: &[(&str, &str)]) -> String {
    let mut text = text.to_string();
    for (from, to) in edits {
        assert!(text.contains(from), "{from:?} in the policy");
        text = text.replacen(from, to, 1);
    }
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file.to_str().unwrap().to_string()
}

/// Modes `sets` (nftables and iptables) on the public release with its
/// delta: the sets in the admin's table `filter`, refilled without
/// touching the table; ipset sets with no rules files.
#[test]
fn sets_modes_on_the_public_release_with_its_delta() {
    let dir = tempfile::tempdir().unwrap();
    let sets = policy(
        dir.path(),
        "sets.toml",
        tagwall::policy::DEFAULT_POLICY_TOML,
        &[
            (
                "mode = \"table\"\ntable = \"tagwall\"",
                "mode = \"sets\"\ntable = \"filter\"",
            ),
            ("mode = \"chains\"", "mode = \"sets\""),
        ],
    );
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
            "--policy",
            &sets,
            "--input",
            new.to_str().unwrap(),
            "--previous",
            old.to_str().unwrap(),
        ],
    );
    assert_golden(&dir.path().join("out/nftables"), "nftables/public-sets");
    assert_golden(&dir.path().join("out/iptables"), "iptables/public-sets");
    let full = std::fs::read_to_string(dir.path().join("out/nftables/tagwall.nft")).unwrap();
    // Not one command (a line that is not a comment) deletes or flushes
    // the table, or names a chain.
    let commands: Vec<&str> = full.lines().filter(|l| !l.starts_with('#')).collect();
    assert!(
        commands
            .iter()
            .all(|l| !l.contains("delete") && !l.contains("table") || *l == "add table inet filter"),
        "{full}"
    );
    assert!(commands.iter().all(|l| !l.contains("chain")), "{full}");
    assert!(full.contains(
        "add set inet filter AllowAzOutboundAccess_v4 { type ipv4_addr; flags interval; comment "
    ));
    assert!(full.contains("flush set inet filter AllowAzOutboundAccess_v4\n"));
    let delta = std::fs::read_to_string(dir.path().join("out/nftables/tagwall.delta.nft")).unwrap();
    assert!(
        delta.contains("add element inet filter AllowAzOutboundAccess_v4 {\n\t51.11.64.0/24\n}")
    );
    let apply = std::fs::read_to_string(dir.path().join("out/iptables/apply.sh")).unwrap();
    assert!(!apply.contains("iptables-restore"), "{apply}");
    assert!(!dir.path().join("out/iptables/iptables.rules").exists());
    assert!(!dir.path().join("out/iptables/ip6tables.rules").exists());
}

/// Mode `chain` with every rule feature and dropped unmatched traffic: the
/// sets and three regular chains in the admin's table, each ending with
/// `drop`.
#[test]
fn chain_mode_with_every_rule_feature() {
    let dir = tempfile::tempdir().unwrap();
    let features = std::fs::read_to_string(fixture("linux_features.toml")).unwrap();
    let chain = policy(
        dir.path(),
        "chain.toml",
        &features,
        &[(
            "table = \"azure_gov\"\npriority = -10\n",
            "mode = \"chain\"\ntable = \"filter\"\nchain = \"azure\"\n",
        )],
    );
    build(
        dir.path(),
        &[
            "-t",
            "nftables",
            "--input",
            fixture("gov_20250818.json").to_str().unwrap(),
            "--policy",
            &chain,
        ],
    );
    assert_golden(&dir.path().join("out/nftables"), "nftables/gov-chain");
    let full = std::fs::read_to_string(dir.path().join("out/nftables/tagwall.nft")).unwrap();
    for hook in ["input", "forward", "output"] {
        assert!(full.contains(&format!(
            "add chain inet filter azure_{hook}\nflush chain inet filter azure_{hook}\n"
        )));
        assert!(full.contains(&format!(
            "nft add rule inet filter {hook} jump azure_{hook}"
        )));
    }
    assert_eq!(full.matches("\n\t\tdrop\n\t}").count(), 3, "{full}");
    assert!(!full.contains("hook input") && !full.contains("policy drop"));
}

/// Mode `chain` across releases whose rules differ in shape: the delta
/// refills every set and chain and empties the set that is gone.
#[test]
fn chain_mode_delta_when_a_set_goes() {
    let dir = tempfile::tempdir().unwrap();
    let chain = policy(
        dir.path(),
        "chain.toml",
        tagwall::policy::DEFAULT_POLICY_TOML,
        &[
            (
                "mode = \"table\"\ntable = \"tagwall\"",
                "mode = \"chain\"\ntable = \"filter\"",
            ),
            ("allow_missing_tags = false", "allow_missing_tags = true"),
            ("mode = \"chains\"", "mode = \"sets\""),
        ],
    );
    let full = std::fs::read_to_string(fixture("public_20250804.json")).unwrap();
    let lacking = dir.path().join("public_20250811-lacking.json");
    std::fs::write(
        &lacking,
        std::fs::read_to_string(fixture("public_20250811.json"))
            .unwrap()
            .replace("\"AzureFrontDoor.FirstParty\"", "\"Renamed.FirstParty\""),
    )
    .unwrap();
    let old = dir.path().join("public_20250804.json");
    std::fs::write(&old, full).unwrap();
    build(
        dir.path(),
        &[
            "-t",
            "nftables",
            "-t",
            "iptables",
            "--policy",
            &chain,
            "--input",
            lacking.to_str().unwrap(),
            "--previous",
            old.to_str().unwrap(),
        ],
    );
    let delta = std::fs::read_to_string(dir.path().join("out/nftables/tagwall.delta.nft")).unwrap();
    assert_golden(
        &dir.path().join("out/nftables"),
        "nftables/public-chain-shape",
    );
    assert!(delta.contains("flush set inet filter AllowAzureFrontDoorFirstPartyAccess_v4\n"));
    assert!(delta.contains("flush chain inet filter tagwall_output\n"));
    assert!(
        delta
            .lines()
            .all(|l| l.starts_with('#') || !l.contains("delete")),
        "{delta}"
    );
    // iptables mode sets: no rules to reload, the emptied sets are the admin's to destroy.
    let ipset =
        std::fs::read_to_string(dir.path().join("out/iptables/ipset.delta.restore")).unwrap();
    assert!(ipset.contains("# A set came or went."), "{ipset}");
    assert!(!ipset.contains("iptables-restore"), "{ipset}");
    assert!(
        ipset.contains("flush AllowAzureFront_25dded71_v4\n"),
        "{ipset}"
    );
    assert!(
        ipset.contains("once no rule of\n# yours uses it."),
        "{ipset}"
    );
}

/// `tagwall targets` says which files only some modes write.
#[test]
fn targets_name_the_files_of_some_modes_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["targets"]);
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(
            "files: ipset.restore, iptables.rules (mode chains), ip6tables.rules (mode chains), \
             apply.sh, ipset.delta.restore\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("(mode sets)") && stdout.contains("(mode chain)"));
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
