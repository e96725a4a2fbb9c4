//! The modes that fit a ruleset the admin already has, in a real kernel:
//! nftables `sets` and `chain` in the admin's own table, iptables `sets`
//! matched by the admin's own rules. Each loads beside a host ruleset
//! that drops outgoing traffic by default, and shows that an allowed
//! packet passes, that loading twice works and that the delta applies.
//! nftables `table` with `unmatched = "continue"` is shown failing beside
//! the same host ruleset: an accept in tagwall's own table does not stop a
//! drop in another table, which is why the other modes exist.

use super::{
    Netns, assert_same_sets, build, connect, expected, ipset_sets, kernel_available, link,
    nft_sets, path,
};
use crate::common::fixture;
use std::path::{Path, PathBuf};

/// The packet policy (`tests/fixtures/linux_packet.toml`'s rule) with
/// these target settings.
fn policy(dir: &Path, settings: &str) -> PathBuf {
    let file = dir.join("policy.toml");
    std::fs::write(
        &file,
        format!(
            "{settings}\n\n[[rule]]\nname = \"AllowTest\"\ntags = [\"Test.Allowed\"]\n\
             protocol = \"tcp\"\nports = [443]\npriority = 100\n"
        ),
    )
    .unwrap();
    file
}

/// The target's files for the packet release (`old/`) and for a later one
/// in which Test.Allowed also holds 203.0.113.0/25, with its delta (`new/`).
fn builds(dir: &Path, target: &str, settings: &str) -> (PathBuf, PathBuf) {
    let policy = policy(dir, settings);
    let old = fixture("linux_packet.json");
    let text = std::fs::read_to_string(&old).unwrap();
    let grown = text
        .replacen("\"changeNumber\": 7", "\"changeNumber\": 8", 1)
        .replacen(
            "\"198.51.100.0/25\",",
            "\"198.51.100.0/25\",\n          \"203.0.113.0/25\",",
            1,
        );
    assert_ne!(text, grown);
    let new = dir.join("linux_packet_grown.json");
    std::fs::write(&new, grown).unwrap();
    let common = ["-t", target, "--policy", path(&policy)];
    let mut args = common.to_vec();
    args.extend(["--input", path(&old)]);
    let before = build(&dir.join("old"), &args).join(target);
    let mut args = common.to_vec();
    args.extend(["--input", path(&new), "--previous", path(&old)]);
    let after = build(&dir.join("new"), &args).join(target);
    (before, after)
}

/// Where each probe goes: allowed HTTPS, other ports, another tag's
/// addresses (203.0.113.1, allowed only from the later release on).
const CASES: [(&str, u16); 6] = [
    ("198.51.100.1", 443),
    ("198.51.100.1", 80),
    ("203.0.113.1", 443),
    ("2001:db8:1::1", 443),
    ("2001:db8:1::1", 80),
    ("2001:db8:2::1", 443),
];

/// What every probe met, all at once (a dropped one may wait for the timeout).
fn probe(fw: &Netns) -> Vec<&'static str> {
    std::thread::scope(|s| {
        let probes: Vec<_> = CASES
            .iter()
            .map(|(addr, port)| s.spawn(move || connect(fw, addr, *port)))
            .collect();
        probes.into_iter().map(|p| p.join().unwrap()).collect()
    })
}

const PASSED: &str = "passed";
const DROPPED: &str = "dropped";
/// The packet release: HTTPS to Test.Allowed only.
const RELEASE: [&str; 6] = [PASSED, DROPPED, DROPPED, PASSED, DROPPED, DROPPED];
/// The later release: 203.0.113.1 joins Test.Allowed.
const GROWN: [&str; 6] = [PASSED, DROPPED, PASSED, PASSED, DROPPED, DROPPED];

/// A host's own ruleset in `table inet filter`: outgoing traffic is
/// dropped by default; replies, loopback and IPv6 neighbour discovery pass.
/// `extra` goes at the end of the output chain.
fn host_ruleset(extra: &str) -> String {
    format!(
        "table inet filter {{\n\tchain output {{\n\
         \t\ttype filter hook output priority 0; policy drop;\n\
         \t\tct state established,related accept\n\
         \t\toif \"lo\" accept\n\
         \t\ticmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept\n\
         {extra}\t}}\n}}\n"
    )
}

fn load_file(ns: &Netns, dir: &Path, name: &str, text: &str) {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    ns.ok(&["nft", "-f", path(&file)]);
}

#[test]
fn nftables_sets_mode_is_matched_from_the_hosts_own_rules() {
    if !kernel_available("nftables_sets_mode_is_matched_from_the_hosts_own_rules") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = builds(
        dir.path(),
        "nftables",
        "[targets.nftables]\nmode = \"sets\"\ntable = \"filter\"",
    );
    let link = link();
    let fw = &link.fw;
    load_file(fw, dir.path(), "host.nft", &host_ruleset(""));
    assert!(probe(fw).iter().all(|p| *p == DROPPED), "the host drops");
    fw.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    // The admin's own rules name the sets.
    for rule in [
        "ip daddr @AllowTest_v4 tcp dport 443 accept",
        "ip6 daddr @AllowTest_v6 tcp dport 443 accept",
    ] {
        let mut args = vec!["nft", "add", "rule", "inet", "filter", "output"];
        args.extend(rule.split(' '));
        fw.ok(&args);
    }
    let chain = fw.ok(&["nft", "list", "chain", "inet", "filter", "output"]);
    assert_eq!(probe(fw), RELEASE);
    // Again, over sets that the admin's rules use: the same sets, the
    // admin's chain untouched.
    fw.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    fw.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    assert_eq!(
        fw.ok(&["nft", "list", "chain", "inet", "filter", "output"]),
        chain
    );
    let old_json = fixture("linux_packet.json");
    let want_old = expected(
        "nftables",
        Some(&old_json),
        Some(&dir.path().join("policy.toml")),
        false,
    );
    assert_eq!(nft_sets(fw, "filter"), want_old);
    assert_eq!(probe(fw), RELEASE);
    // The delta adds 203.0.113.0/25 to the set the admin's rule uses.
    fw.ok(&["nft", "-f", path(&new.join("tagwall.delta.nft"))]);
    assert_eq!(probe(fw), GROWN);
    // The full file of the later release lands on the same sets.
    let after_delta = nft_sets(fw, "filter");
    fw.ok(&["nft", "-f", path(&new.join("tagwall.nft"))]);
    assert_eq!(nft_sets(fw, "filter"), after_delta);
    assert_eq!(fw.ok(&["nft", "list", "tables"]), "table inet filter\n");
    // Back to the earlier release: the sets are emptied before they are
    // filled, so the address the later release added is gone.
    fw.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    assert_eq!(nft_sets(fw, "filter"), want_old);
    assert_eq!(probe(fw), RELEASE);
}

#[test]
fn nftables_chain_mode_is_jumped_to_from_the_hosts_base_chain() {
    if !kernel_available("nftables_chain_mode_is_jumped_to_from_the_hosts_base_chain") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = builds(
        dir.path(),
        "nftables",
        "[targets.nftables]\nmode = \"chain\"\ntable = \"filter\"",
    );
    let link = link();
    let fw = &link.fw;
    // The host's ruleset file as the header advises: `flush ruleset`, then
    // tagwall's file, then the host's rules with the jump.
    load_file(
        fw,
        dir.path(),
        "host.nft",
        &format!(
            "flush ruleset\ninclude \"{}\"\n{}",
            path(&old.join("tagwall.nft")),
            host_ruleset("\t\tjump tagwall_output\n")
        ),
    );
    assert_eq!(probe(fw), RELEASE);
    let chain = fw.ok(&["nft", "list", "chain", "inet", "filter", "output"]);
    // tagwall's file alone, twice, over the chain the host jumps to.
    fw.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    fw.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    assert_eq!(
        fw.ok(&["nft", "list", "chain", "inet", "filter", "output"]),
        chain
    );
    let ours = fw.ok(&["nft", "list", "chain", "inet", "filter", "tagwall_output"]);
    assert_eq!(ours.matches(" accept comment ").count(), 2, "{ours}");
    assert_eq!(probe(fw), RELEASE);
    fw.ok(&["nft", "-f", path(&new.join("tagwall.delta.nft"))]);
    assert_eq!(probe(fw), GROWN);
    let after_delta = nft_sets(fw, "filter");
    fw.ok(&["nft", "-f", path(&new.join("tagwall.nft"))]);
    assert_eq!(nft_sets(fw, "filter"), after_delta);
    assert_eq!(probe(fw), GROWN);
}

/// Mode `chain` with `unmatched = "drop"`, jumped to from a host chain
/// that accepts by default: the chain's closing `drop` decides.
#[test]
fn nftables_chain_mode_drops_what_it_does_not_accept() {
    if !kernel_available("nftables_chain_mode_drops_what_it_does_not_accept") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old, _) = builds(
        dir.path(),
        "nftables",
        "[targets.nftables]\nmode = \"chain\"\ntable = \"filter\"\nunmatched = \"drop\"",
    );
    let link = link();
    let fw = &link.fw;
    load_file(
        fw,
        dir.path(),
        "host.nft",
        "table inet filter {\n\tchain output {\n\t\ttype filter hook output priority 0; policy accept;\n\t}\n}\n",
    );
    assert!(probe(fw).iter().all(|p| *p == PASSED));
    fw.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    fw.ok(&[
        "nft",
        "add",
        "rule",
        "inet",
        "filter",
        "output",
        "jump",
        "tagwall_output",
    ]);
    assert_eq!(probe(fw), RELEASE);
}

/// Why the modes exist: tagwall's own table accepts, the host's table
/// drops, and the packet is dropped.
#[test]
fn nftables_table_mode_does_not_pass_a_host_drop() {
    if !kernel_available("nftables_table_mode_does_not_pass_a_host_drop") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old, _) = builds(
        dir.path(),
        "nftables",
        "[targets.nftables]\nmode = \"table\"",
    );
    let link = link();
    let fw = &link.fw;
    load_file(fw, dir.path(), "host.nft", &host_ruleset(""));
    fw.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    let listing = fw.ok(&["nft", "list", "table", "inet", "tagwall"]);
    assert!(
        listing.contains("ip daddr @AllowTest_v4 tcp dport 443 accept"),
        "{listing}"
    );
    assert!(probe(fw).iter().all(|p| *p == DROPPED));
}

#[test]
fn iptables_sets_mode_is_matched_from_the_hosts_own_rules() {
    if !kernel_available("iptables_sets_mode_is_matched_from_the_hosts_own_rules") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = builds(
        dir.path(),
        "iptables",
        "[targets.iptables]\nmode = \"sets\"",
    );
    assert!(!old.join("iptables.rules").exists());
    let link = link();
    let fw = &link.fw;
    // A host that drops outgoing traffic by default.
    for tool in ["iptables", "ip6tables"] {
        fw.ok(&[tool, "-P", "OUTPUT", "DROP"]);
        fw.ok(&[
            tool,
            "-A",
            "OUTPUT",
            "-m",
            "conntrack",
            "--ctstate",
            "ESTABLISHED,RELATED",
            "-j",
            "ACCEPT",
        ]);
        fw.ok(&[tool, "-A", "OUTPUT", "-o", "lo", "-j", "ACCEPT"]);
    }
    for kind in ["neighbour-solicitation", "neighbour-advertisement"] {
        fw.ok(&[
            "ip6tables",
            "-A",
            "OUTPUT",
            "-p",
            "ipv6-icmp",
            "--icmpv6-type",
            kind,
            "-j",
            "ACCEPT",
        ]);
    }
    assert!(probe(fw).iter().all(|p| *p == DROPPED), "the host drops");
    fw.ok(&["sh", path(&old.join("apply.sh"))]);
    // The admin's own rules, as the header shows them.
    for (tool, set) in [("iptables", "AllowTest_v4"), ("ip6tables", "AllowTest_v6")] {
        fw.ok(&[
            tool,
            "-A",
            "OUTPUT",
            "-p",
            "tcp",
            "--dport",
            "443",
            "-m",
            "set",
            "--match-set",
            set,
            "dst",
            "-j",
            "ACCEPT",
        ]);
    }
    assert_eq!(probe(fw), RELEASE);
    // Again, over sets the rules use; no chain of tagwall's appears.
    fw.ok(&["sh", path(&old.join("apply.sh"))]);
    assert!(!fw.ok(&["iptables", "-S"]).contains("TAGWALL"));
    assert!(!fw.ok(&["ip6tables", "-S"]).contains("TAGWALL"));
    assert_eq!(probe(fw), RELEASE);
    fw.ok(&[
        "ipset",
        "restore",
        "-f",
        path(&new.join("ipset.delta.restore")),
    ]);
    assert_eq!(probe(fw), GROWN);
    let after_delta = ipset_sets(fw);
    fw.ok(&["sh", path(&new.join("apply.sh"))]);
    assert_eq!(ipset_sets(fw), after_delta);
    assert!(!fw.ok(&["ipset", "list", "-n"]).contains("-tmp"));
}

/// Modes `sets` and `chain` across releases whose rules differ in shape (a
/// tag missing from one): the delta refills the sets and chains, empties a
/// set that is gone even while a rule of the host's names it, and lands on
/// what a fresh load of the new release holds.
#[test]
fn nftables_modes_take_deltas_that_add_and_remove_sets() {
    if !kernel_available("nftables_modes_take_deltas_that_add_and_remove_sets") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read_to_string(fixture("public_20250804.json")).unwrap();
    let lacking = dir.path().join("public_20250804-lacking.json");
    std::fs::write(
        &lacking,
        full.replace("\"AzureFrontDoor.FirstParty\"", "\"Renamed.FirstParty\""),
    )
    .unwrap();
    let with = fixture("public_20250811.json");
    let afd = "AllowAzureFrontDoorFirstPartyAccess_v4";
    for mode in ["sets", "chain"] {
        let base = dir.path().join(mode);
        std::fs::create_dir_all(&base).unwrap();
        let policy = base.join("policy.toml");
        let text = tagwall::policy::DEFAULT_POLICY_TOML
            .replace("allow_missing_tags = false", "allow_missing_tags = true")
            .replace(
                "mode = \"table\"\ntable = \"tagwall\"",
                &format!("mode = \"{mode}\"\ntable = \"filter\""),
            );
        std::fs::write(&policy, text).unwrap();
        for (step, from, to) in [("shrink", &with, &lacking), ("grow", &lacking, &with)] {
            let args = |input: &Path| {
                vec![
                    "-t".to_string(),
                    "nftables".into(),
                    "--policy".into(),
                    path(&policy).into(),
                    "--input".into(),
                    path(input).into(),
                ]
            };
            let old_args = args(from);
            let old = build(
                &base.join(step).join("old"),
                &old_args.iter().map(String::as_str).collect::<Vec<_>>(),
            )
            .join("nftables");
            let mut new_args = args(to);
            new_args.extend(["--previous".into(), path(from).into()]);
            let new = build(
                &base.join(step).join("new"),
                &new_args.iter().map(String::as_str).collect::<Vec<_>>(),
            )
            .join("nftables");
            let ns = Netns::new(step);
            load_file(&ns, &base, "host.nft", &host_ruleset(""));
            ns.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
            if step == "shrink" {
                // A rule of the host's names the set the delta takes away.
                ns.ok(&[
                    "nft",
                    "add",
                    "rule",
                    "inet",
                    "filter",
                    "output",
                    "ip",
                    "daddr",
                    &format!("@{afd}"),
                    "accept",
                ]);
            }
            ns.ok(&["nft", "-f", path(&new.join("tagwall.delta.nft"))]);
            let mut got = nft_sets(&ns, "filter");
            if step == "shrink" {
                for family in ["v4", "v6"] {
                    let name = afd.replace("v4", family);
                    let gone = got.remove(&name).expect("the gone set stays, emptied");
                    assert!(gone.is_empty(), "{mode}: {name} emptied");
                }
            }
            let want = expected("nftables", Some(to), Some(&policy), false);
            assert_same_sets(&got, &want, &format!("{mode} {step}: delta"));
            let fresh = Netns::new(step);
            load_file(&fresh, &base, "host.nft", &host_ruleset(""));
            fresh.ok(&["nft", "-f", path(&new.join("tagwall.nft"))]);
            assert_eq!(got, nft_sets(&fresh, "filter"), "{mode} {step}");
            if mode == "chain" {
                let chain = |ns: &Netns| {
                    ns.ok(&["nft", "list", "chain", "inet", "filter", "tagwall_output"])
                };
                assert_eq!(chain(&ns), chain(&fresh), "{mode} {step}");
            }
        }
    }
}
