//! The nftables and iptables targets, loaded into a real kernel.
//!
//! Every test makes network namespaces of its own (`ip netns add`), loads the
//! generated files there, reads the loaded sets back (`nft -j list`, `ipset
//! save`) and compares them with the aggregated sets tagwall computes, as
//! address intervals. The host's own firewall is never touched: every
//! command runs through `ip netns exec`, and each namespace is deleted when
//! its guard drops, also when a test fails.
//!
//! Without root, `ip netns`, or one of the tools, the tests say why on
//! standard error and pass as skipped; under CI (`CI` set, see
//! `common::skip`) they fail instead.

mod common;
/// The modes that fit the admin's own ruleset (`tests/linux_kernel/modes.rs`).
#[path = "linux_kernel/modes.rs"]
mod modes;

use common::{fixture, text};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use tagwall::aggregate::{AddressSet, IntervalSet};
use tagwall::pipeline::BuildOptions;
use tagwall::render::TARGETS;

// ------------------------------------------------------------ environment

/// Why the kernel tests cannot run here, or `None` when they can.
fn missing_capability() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let root = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        == Some("0");
    if !root {
        return Some("not running as root (effective uid is not 0)".into());
    }
    for (tool, arg) in [
        ("ip", "-V"),
        ("nft", "--version"),
        ("ipset", "--version"),
        ("iptables-restore", "--version"),
        ("ip6tables-restore", "--version"),
    ] {
        match Command::new(tool).arg(arg).output() {
            Ok(o) if o.status.success() => {}
            _ => {
                return Some(format!(
                    "`{tool}` is missing (apt-get install nftables iptables ipset iproute2)"
                ));
            }
        }
    }
    match Netns::try_new("probe") {
        Ok(_) => None,
        Err(e) => Some(format!("`ip netns add` does not work here: {e}")),
    }
}

/// Whether the kernel tests can run; prints why not, and fails under CI.
fn kernel_available(test: &str) -> bool {
    let Some(why) = missing_capability() else {
        return true;
    };
    common::skip(
        test,
        &format!("{why}; run as root with iproute2, nftables, iptables and ipset"),
    );
    false
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A network namespace that is deleted when dropped.
struct Netns {
    name: String,
}

impl Netns {
    fn try_new(tag: &str) -> Result<Netns, String> {
        let name = format!(
            "tagwall-test-{}-{}-{tag}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Netns { name })
    }

    fn new(tag: &str) -> Netns {
        Netns::try_new(tag).expect("ip netns add")
    }

    /// Run a command inside the namespace.
    fn exec(&self, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .args(args)
            .output()
            .expect("ip netns exec")
    }

    /// Run a command inside the namespace; its standard output, or a panic with its errors.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.exec(args);
        let (stdout, stderr) = text(&out);
        assert!(
            out.status.success(),
            "{args:?} failed in {}: {stderr}{stdout}",
            self.name
        );
        stdout
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
    }
}

// ------------------------------------------------------------ building

/// `tagwall build` with these arguments, through the library: the same code
/// as the binary, without a process (the command line has its own tests).
fn build(out: &Path, args: &[&str]) -> PathBuf {
    let mut opts = BuildOptions {
        out: out.to_path_buf(),
        ..BuildOptions::default()
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || PathBuf::from(args.next().expect("a value"));
        match *arg {
            "-t" => opts.targets.push(value().to_string_lossy().into_owned()),
            "--input" => opts.input = Some(value()),
            "--previous" => opts.previous = Some(value()),
            "--policy" => opts.policy = Some(value()),
            "--all-tags" => opts.all_tags = true,
            other => panic!("build: unknown argument {other}"),
        }
    }
    if let Err(e) = tagwall::pipeline::build(&opts) {
        panic!("tagwall build {opts:?}: {e}");
    }
    out.to_path_buf()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ------------------------------------------------------------ expected sets

/// Set name -> addresses (one family per set).
type Sets = BTreeMap<String, AddressSet>;

/// The sets tagwall's own aggregation gives for `input` (the bundled release
/// when `None`), named as `target` names them.
fn expected(target: &str, input: Option<&Path>, policy: Option<&Path>, all_tags: bool) -> Sets {
    let target = TARGETS.iter().find(|t| t.name == target).unwrap();
    let loaded = tagwall::pipeline::load_input(input).unwrap();
    let file = loaded.parse().unwrap();
    let policy = tagwall::pipeline::load_policy(policy).unwrap();
    let selection = tagwall::pipeline::resolve(&file, &policy, all_tags, None).unwrap();
    let mut sets = Sets::new();
    for r in &selection.rules {
        if !r.set.v4.is_empty() {
            let name = target.names.map(&r.rule.name, Some("v4"));
            let set = AddressSet {
                v4: r.set.v4.clone(),
                v6: IntervalSet::new(),
            };
            assert!(sets.insert(name.clone(), set).is_none(), "{name} twice");
        }
        if !r.set.v6.is_empty() {
            let name = target.names.map(&r.rule.name, Some("v6"));
            let set = AddressSet {
                v4: IntervalSet::new(),
                v6: r.set.v6.clone(),
            };
            assert!(sets.insert(name.clone(), set).is_none(), "{name} twice");
        }
    }
    sets
}

/// Collects address intervals of both families.
#[derive(Default)]
struct Ranges {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u128)>,
}

impl Ranges {
    fn add(&mut self, first: IpAddr, last: IpAddr) {
        match (first, last) {
            (IpAddr::V4(a), IpAddr::V4(b)) => self.v4.push((a.into(), b.into())),
            (IpAddr::V6(a), IpAddr::V6(b)) => self.v6.push((a.into(), b.into())),
            _ => panic!("range {first} - {last} mixes families"),
        }
    }
    fn add_text(&mut self, text: &str) {
        if text.contains('/') {
            let net: ipnet::IpNet = text.parse().unwrap_or_else(|_| panic!("{text:?}"));
            self.add(net.network(), net.broadcast());
        } else {
            let addr: IpAddr = text.parse().unwrap_or_else(|_| panic!("{text:?}"));
            self.add(addr, addr);
        }
    }
    fn into_set(self) -> AddressSet {
        AddressSet {
            v4: IntervalSet::from_ranges(self.v4),
            v6: IntervalSet::from_ranges(self.v6),
        }
    }
}

/// Compare sets by name, reporting only the names that differ.
fn assert_same_sets(got: &Sets, want: &Sets, what: &str) {
    let names = |s: &Sets| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(got), names(want), "{what}: set names differ");
    let differ: Vec<&String> = want
        .iter()
        .filter(|(name, set)| got[*name] != **set)
        .map(|(name, _)| name)
        .collect();
    assert!(differ.is_empty(), "{what}: addresses differ in {differ:?}");
}

// ------------------------------------------------------------ reading back

/// The sets of an nftables table as loaded, read with `nft -j`.
fn nft_sets(ns: &Netns, table: &str) -> Sets {
    let json = ns.ok(&["nft", "-j", "list", "table", "inet", table]);
    let value: serde_json::Value = serde_json::from_str(&json).expect("nft -j output");
    let mut sets = Sets::new();
    for item in value["nftables"].as_array().expect("nftables array") {
        let Some(set) = item.get("set") else { continue };
        let mut ranges = Ranges::default();
        for elem in set["elem"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            nft_elem(elem, &mut ranges);
        }
        sets.insert(set["name"].as_str().unwrap().to_string(), ranges.into_set());
    }
    sets
}

/// One element as nft writes it: an address, a prefix, a range (auto-merge),
/// or any of these wrapped with options.
fn nft_elem(elem: &serde_json::Value, ranges: &mut Ranges) {
    let addr = |v: &serde_json::Value| -> IpAddr { v.as_str().unwrap().parse().unwrap() };
    if let Some(s) = elem.as_str() {
        ranges.add_text(s);
    } else if let Some(p) = elem.get("prefix") {
        ranges.add_text(&format!("{}/{}", p["addr"].as_str().unwrap(), p["len"]));
    } else if let Some(r) = elem.get("range") {
        ranges.add(addr(&r[0]), addr(&r[1]));
    } else if let Some(inner) = elem.get("elem") {
        nft_elem(&inner["val"], ranges);
    } else {
        panic!("unexpected nft element {elem}");
    }
}

/// An ipset set as loaded: its family, maxelem and addresses.
struct Loaded {
    family: String,
    maxelem: usize,
    set: AddressSet,
}

/// Every ipset set as loaded, read with `ipset save`.
fn ipsets(ns: &Netns) -> BTreeMap<String, Loaded> {
    let mut out: BTreeMap<String, (String, usize, Ranges)> = BTreeMap::new();
    for line in ns.ok(&["ipset", "save"]).lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["create", name, "hash:net", rest @ ..] => {
                let option = |key: &str| {
                    rest.iter()
                        .position(|w| *w == key)
                        .map(|i| rest[i + 1].to_string())
                        .unwrap_or_else(|| panic!("no {key} in {line}"))
                };
                out.insert(
                    name.to_string(),
                    (
                        option("family"),
                        option("maxelem").parse().unwrap(),
                        Ranges::default(),
                    ),
                );
            }
            ["add", name, net] => out.get_mut(*name).unwrap().2.add_text(net),
            _ => panic!("unexpected ipset save line {line:?}"),
        }
    }
    out.into_iter()
        .map(|(name, (family, maxelem, ranges))| {
            let set = ranges.into_set();
            (
                name,
                Loaded {
                    family,
                    maxelem,
                    set,
                },
            )
        })
        .collect()
}

/// The addresses of every ipset set, checking that each has the family of
/// its addresses and room for them.
fn ipset_sets(ns: &Netns) -> Sets {
    ipsets(ns)
        .into_iter()
        .map(|(name, l)| {
            let count = l.set.v4.prefixes().len() + l.set.v6.prefixes().len();
            let family = if l.set.v6.is_empty() { "inet" } else { "inet6" };
            assert!(
                l.set.is_empty() || l.family == family,
                "{name}: family {} for {family} addresses",
                l.family
            );
            assert!(
                l.maxelem >= count,
                "{name}: maxelem {} < {count}",
                l.maxelem
            );
            assert!(name.len() <= 31, "{name}: longer than 31 characters");
            (name, l.set)
        })
        .collect()
}

/// Load the iptables target's sets and rules the way its files say.
fn load_iptables(ns: &Netns, dir: &Path) {
    ns.ok(&["ipset", "restore", "-f", path(&dir.join("ipset.restore"))]);
    ns.ok(&[
        "iptables-restore",
        "--noflush",
        path(&dir.join("iptables.rules")),
    ]);
    ns.ok(&[
        "ip6tables-restore",
        "--noflush",
        path(&dir.join("ip6tables.rules")),
    ]);
}

// ------------------------------------------------------------ tests

#[test]
fn nftables_full_and_delta_loads_hold_the_aggregated_sets() {
    if !kernel_available("nftables_full_and_delta_loads_hold_the_aggregated_sets") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old_json, new_json) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let old = build(
        &dir.path().join("old"),
        &["-t", "nftables", "--input", path(&old_json)],
    )
    .join("nftables");
    let new = build(
        &dir.path().join("new"),
        &[
            "-t",
            "nftables",
            "--input",
            path(&new_json),
            "--previous",
            path(&old_json),
        ],
    )
    .join("nftables");
    let want_old = expected("nftables", Some(&old_json), None, false);
    let want_new = expected("nftables", Some(&new_json), None, false);
    assert_ne!(want_old, want_new, "the fixtures differ");

    let ns = Netns::new("nft");
    ns.ok(&["nft", "-f", path(&old.join("tagwall.nft"))]);
    assert_same_sets(&nft_sets(&ns, "tagwall"), &want_old, "old release");
    ns.ok(&["nft", "-f", path(&new.join("tagwall.delta.nft"))]);
    let after_delta = nft_sets(&ns, "tagwall");
    assert_same_sets(&after_delta, &want_new, "old release + delta");

    // A fresh load of the new release holds the same, and so does loading
    // the full file again over a table that exists.
    let fresh = Netns::new("nft-fresh");
    fresh.ok(&["nft", "-f", path(&new.join("tagwall.nft"))]);
    assert_eq!(nft_sets(&fresh, "tagwall"), after_delta);
    ns.ok(&["nft", "-f", path(&new.join("tagwall.nft"))]);
    assert_same_sets(&nft_sets(&ns, "tagwall"), &want_new, "full reload");
    // Chains hooked at input, forward and output, one rule line per
    // (direction, family) of each rule in the hooks it applies to.
    let listing = ns.ok(&["nft", "list", "table", "inet", "tagwall"]);
    for hook in ["input", "forward", "output"] {
        assert!(listing.contains(&format!(
            "type filter hook {hook} priority filter; policy accept;"
        )));
    }
    assert_eq!(
        listing.matches(" accept comment ").count(),
        2 + 10 + 8,
        "{listing}"
    );

    // A delta whose deletions do not match what is loaded fails whole and
    // changes nothing (its additions included).
    let tmp = dir.path().join("bad-delta.nft");
    std::fs::write(
        &tmp,
        "delete element inet tagwall AllowAzOutboundAccess_v4 { 192.0.2.0/24 }\n\
         add element inet tagwall AllowAzOutboundAccess_v4 { 198.51.100.0/24 }\n",
    )
    .unwrap();
    assert!(!ns.exec(&["nft", "-f", path(&tmp)]).status.success());
    assert_same_sets(
        &nft_sets(&ns, "tagwall"),
        &want_new,
        "after a refused delta",
    );
}

#[test]
fn iptables_full_and_delta_loads_hold_the_aggregated_sets() {
    if !kernel_available("iptables_full_and_delta_loads_hold_the_aggregated_sets") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old_json, new_json) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let old = build(
        &dir.path().join("old"),
        &["-t", "iptables", "--input", path(&old_json)],
    )
    .join("iptables");
    let new = build(
        &dir.path().join("new"),
        &[
            "-t",
            "iptables",
            "--input",
            path(&new_json),
            "--previous",
            path(&old_json),
        ],
    )
    .join("iptables");
    let want_old = expected("iptables", Some(&old_json), None, false);
    let want_new = expected("iptables", Some(&new_json), None, false);

    let ns = Netns::new("ipt");
    // The admin's own rules must survive every load.
    ns.ok(&[
        "iptables", "-A", "OUTPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT",
    ]);
    ns.ok(&[
        "ip6tables",
        "-A",
        "INPUT",
        "-p",
        "tcp",
        "--dport",
        "22",
        "-j",
        "ACCEPT",
    ]);
    load_iptables(&ns, &old);
    assert_same_sets(&ipset_sets(&ns), &want_old, "old release");
    ns.ok(&[
        "ipset",
        "restore",
        "-f",
        path(&new.join("ipset.delta.restore")),
    ]);
    let after_delta = ipset_sets(&ns);
    assert_same_sets(&after_delta, &want_new, "old release + delta");

    let fresh = Netns::new("ipt-fresh");
    load_iptables(&fresh, &new);
    assert_eq!(ipset_sets(&fresh), after_delta);

    // apply.sh, twice: the full files again over loaded ones, and each jump once.
    ns.ok(&["sh", path(&new.join("apply.sh"))]);
    ns.ok(&["sh", path(&new.join("apply.sh"))]);
    assert_same_sets(&ipset_sets(&ns), &want_new, "apply.sh");
    let v4 = ns.ok(&["iptables", "-S"]);
    let v6 = ns.ok(&["ip6tables", "-S"]);
    for rules in [&v4, &v6] {
        for hook in ["INPUT", "FORWARD", "OUTPUT"] {
            let jump = format!("-A {hook} -j TAGWALL-{hook}\n");
            assert_eq!(rules.matches(&jump).count(), 1, "{jump} in {rules}");
        }
    }
    assert!(
        v4.contains("-A OUTPUT -p tcp -m tcp --dport 22 -j ACCEPT"),
        "{v4}"
    );
    assert!(
        v6.contains("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT"),
        "{v6}"
    );
    assert_eq!(v4.matches("-m set --match-set").count(), 1 + 5 + 4, "{v4}");
    assert_eq!(v6.matches("-m set --match-set").count(), 1 + 5 + 4, "{v6}");
    // No temporary set is left behind.
    assert!(!ns.ok(&["ipset", "list", "-n"]).contains("-tmp"));
}

/// A delta across releases whose rules differ in shape (a tag missing from
/// one of them): sets come and go, and the result still equals a fresh load.
#[test]
fn deltas_that_add_and_remove_sets_land_on_the_new_release() {
    if !kernel_available("deltas_that_add_and_remove_sets_land_on_the_new_release") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("lenient.toml");
    let text = tagwall::policy::DEFAULT_POLICY_TOML
        .replace("allow_missing_tags = false", "allow_missing_tags = true");
    std::fs::write(&policy, text).unwrap();
    // The 0804 release without AzureFrontDoor.FirstParty.
    let full = std::fs::read_to_string(fixture("public_20250804.json")).unwrap();
    let without = full.replace("\"AzureFrontDoor.FirstParty\"", "\"Renamed.FirstParty\"");
    assert_ne!(full, without);
    let lacking = dir.path().join("public_20250804-lacking.json");
    std::fs::write(&lacking, without).unwrap();
    let with = fixture("public_20250811.json");

    for (step, from, to) in [("grow", &lacking, &with), ("shrink", &with, &lacking)] {
        let base = dir.path().join(step);
        std::fs::create_dir_all(&base).unwrap();
        let args = |input: &Path| {
            vec![
                "-t".to_string(),
                "nftables".into(),
                "-t".into(),
                "iptables".into(),
                "--policy".into(),
                path(&policy).into(),
                "--input".into(),
                path(input).into(),
            ]
        };
        let old_args = args(from);
        let old = build(
            &base.join("old"),
            &old_args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let mut new_args = args(to);
        new_args.extend(["--previous".into(), path(from).into()]);
        let new = build(
            &base.join("new"),
            &new_args.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        for target in ["nftables", "iptables"] {
            let want = expected(target, Some(to), Some(&policy), false);
            let ns = Netns::new(step);
            let fresh = Netns::new(step);
            if target == "nftables" {
                let delta =
                    std::fs::read_to_string(new.join("nftables/tagwall.delta.nft")).unwrap();
                assert!(delta.contains("replaces the table whole"), "{step}");
                ns.ok(&["nft", "-f", path(&old.join("nftables/tagwall.nft"))]);
                ns.ok(&["nft", "-f", path(&new.join("nftables/tagwall.delta.nft"))]);
                fresh.ok(&["nft", "-f", path(&new.join("nftables/tagwall.nft"))]);
                let got = nft_sets(&ns, "tagwall");
                assert_same_sets(&got, &want, &format!("{step}: nft delta"));
                assert_eq!(got, nft_sets(&fresh, "tagwall"));
                assert_eq!(
                    ns.ok(&["nft", "list", "table", "inet", "tagwall"]),
                    fresh.ok(&["nft", "list", "table", "inet", "tagwall"])
                );
            } else {
                let ipt = new.join("iptables");
                let delta = std::fs::read_to_string(ipt.join("ipset.delta.restore")).unwrap();
                assert!(delta.contains("The rules changed shape"), "{step}");
                load_iptables(&ns, &old.join("iptables"));
                ns.ok(&[
                    "ipset",
                    "restore",
                    "-f",
                    path(&ipt.join("ipset.delta.restore")),
                ]);
                // As the delta says: reload the rules, then destroy emptied sets.
                ns.ok(&["sh", path(&ipt.join("apply.sh"))]);
                let mut got = ipset_sets(&ns);
                let emptied: Vec<String> = got
                    .iter()
                    .filter(|(name, set)| set.is_empty() && !want.contains_key(*name))
                    .map(|(name, _)| name.clone())
                    .collect();
                assert_eq!(emptied.is_empty(), step == "grow", "{emptied:?}");
                for name in &emptied {
                    ns.ok(&["ipset", "destroy", name]);
                    got.remove(name);
                }
                assert_same_sets(&got, &want, &format!("{step}: ipset delta"));
                load_iptables(&fresh, &ipt);
                assert_eq!(got, ipset_sets(&fresh));
                assert_eq!(
                    ns.ok(&["iptables-save", "-t", "filter"])
                        .lines()
                        .filter(|l| l.starts_with("-A TAGWALL"))
                        .collect::<Vec<_>>(),
                    fresh
                        .ok(&["iptables-save", "-t", "filter"])
                        .lines()
                        .filter(|l| l.starts_with("-A TAGWALL"))
                        .collect::<Vec<_>>()
                );
            }
        }
    }
}

/// Every rule feature on the Government fixture: ports, ranges, more ports
/// than one multiport match, local prefixes and interfaces, both directions,
/// UDP, ICMP, any protocol, deny, another table and chain name, drop.
#[test]
fn every_rule_feature_loads() {
    if !kernel_available("every_rule_feature_loads") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("gov_20250818.json");
    let policy = fixture("linux_features.toml");
    let out = build(
        &dir.path().join("out"),
        &[
            "-t",
            "nftables",
            "-t",
            "iptables",
            "--input",
            path(&input),
            "--policy",
            path(&policy),
        ],
    );
    let ns = Netns::new("features");
    ns.ok(&["nft", "-f", path(&out.join("nftables/tagwall.nft"))]);
    assert_same_sets(
        &nft_sets(&ns, "azure_gov"),
        &expected("nftables", Some(&input), Some(&policy), false),
        "nftables",
    );
    ns.ok(&["sh", path(&out.join("iptables/apply.sh"))]);
    assert_same_sets(
        &ipset_sets(&ns),
        &expected("iptables", Some(&input), Some(&policy), false),
        "ipset",
    );
    let v4 = ns.ok(&["iptables", "-S", "AZGOV-FORWARD"]);
    assert!(v4.contains("--dports 100:200"), "{v4}");
    assert!(v4.ends_with("-A AZGOV-FORWARD -j DROP\n"), "{v4}");
}

/// Names and comments from hostile tag names stay inside their quotes.
#[test]
fn hostile_tag_names_cannot_break_out() {
    if !kernel_available("hostile_tag_names_cannot_break_out") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "Evil\"; flush ruleset; add table ip x { }",
        "Evil} chain input { type filter hook input priority 0; policy drop; }",
        "-j DROP -m comment --comment x",
        "Über.Ünicode \\ back\\slash 'quote' $(id)",
        &"VeryLong".repeat(30),
    ];
    let values: Vec<serde_json::Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            serde_json::json!({"name": name, "id": name, "properties": {
                "changeNumber": 1, "region": "", "regionId": 0, "platform": "Azure",
                "systemService": "", "networkFeatures": null,
                "addressPrefixes": [format!("198.51.100.{}/32", i), format!("2001:db8:{}::/48", i + 1)]}})
        })
        .collect();
    let file = dir.path().join("hostile.json");
    std::fs::write(
        &file,
        serde_json::to_vec(
            &serde_json::json!({"changeNumber": 1, "cloud": "Public", "values": values}),
        )
        .unwrap(),
    )
    .unwrap();
    let out = build(
        &dir.path().join("out"),
        &[
            "--all-tags",
            "-t",
            "nftables",
            "-t",
            "iptables",
            "--input",
            path(&file),
        ],
    );
    let ns = Netns::new("hostile");
    ns.ok(&["nft", "-f", path(&out.join("nftables/tagwall.nft"))]);
    assert_eq!(ns.ok(&["nft", "list", "tables"]), "table inet tagwall\n");
    let listing = ns.ok(&["nft", "list", "table", "inet", "tagwall"]);
    let hooks: Vec<&str> = listing
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("type filter hook"))
        .collect();
    assert_eq!(hooks.len(), 3, "{listing}");
    assert!(
        hooks.iter().all(|l| l.ends_with("policy accept;")),
        "{listing}"
    );
    assert_eq!(listing.matches("\n\tchain ").count(), 3, "{listing}");
    assert_same_sets(
        &nft_sets(&ns, "tagwall"),
        &expected("nftables", Some(&file), None, true),
        "nftables",
    );
    ns.ok(&["sh", path(&out.join("iptables/apply.sh"))]);
    assert_same_sets(
        &ipset_sets(&ns),
        &expected("iptables", Some(&file), None, true),
        "ipset",
    );
    let rules = ns.ok(&["iptables", "-S", "TAGWALL-OUTPUT"]);
    let appended: Vec<&str> = rules.lines().filter(|l| l.starts_with("-A ")).collect();
    assert_eq!(appended.len(), names.len(), "{rules}");
    assert!(
        appended.iter().all(|l| l.ends_with("\" -j ACCEPT")),
        "{rules}"
    );
}

/// The whole bundled release, every tag its own rule: thousands of sets
/// and about 91,000 prefixes load within the kernel's limits.
#[test]
fn all_tags_of_the_bundled_release_load_into_nftables() {
    if !kernel_available("all_tags_of_the_bundled_release_load_into_nftables") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = build(&dir.path().join("out"), &["--all-tags", "-t", "nftables"]);
    let want = expected("nftables", None, None, true);
    assert!(want.len() > 3000, "{} sets", want.len());
    let ns = Netns::new("all-nft");
    ns.ok(&["nft", "-f", path(&out.join("nftables/tagwall.nft"))]);
    assert_same_sets(&nft_sets(&ns, "tagwall"), &want, "all tags");
}

#[test]
fn all_tags_of_the_bundled_release_load_into_ipset_and_iptables() {
    if !kernel_available("all_tags_of_the_bundled_release_load_into_ipset_and_iptables") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = build(&dir.path().join("out"), &["--all-tags", "-t", "iptables"]);
    let want = expected("iptables", None, None, true);
    let ns = Netns::new("all-ipt");
    load_iptables(&ns, &out.join("iptables"));
    let got = ipset_sets(&ns);
    assert_same_sets(&got, &want, "all tags");
    let prefixes: usize = got
        .values()
        .map(|s| s.v4.prefixes().len() + s.v6.prefixes().len())
        .sum();
    assert!(prefixes > 80_000, "{prefixes} prefixes");
}

// ------------------------------------------------------------ packets

/// Two namespaces joined by a veth pair: `fw` holds the rules, `peer`
/// answers for documentation addresses (RFC 5737, RFC 3849) only.
struct Link {
    fw: Netns,
    _peer: Netns,
}

fn link() -> Link {
    let fw = Netns::new("fw");
    let peer = Netns::new("peer");
    fw.ok(&[
        "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", &peer.name,
    ]);
    for (ns, dev, addrs) in [
        (&fw, "veth0", &["192.0.2.1/24", "2001:db8:ff::1/64"][..]),
        (
            &peer,
            "veth1",
            &[
                "192.0.2.2/24",
                "2001:db8:ff::2/64",
                "198.51.100.1/32",
                "203.0.113.1/32",
                "2001:db8:1::1/128",
                "2001:db8:2::1/128",
            ][..],
        ),
    ] {
        for a in addrs {
            ns.ok(&["ip", "addr", "add", a, "dev", dev, "nodad"]);
        }
        ns.ok(&["ip", "link", "set", dev, "up"]);
        ns.ok(&["ip", "link", "set", "lo", "up"]);
    }
    for route in ["198.51.100.0/24", "203.0.113.0/24"] {
        fw.ok(&["ip", "route", "add", route, "via", "192.0.2.2"]);
    }
    for route in ["2001:db8:1::/48", "2001:db8:2::/48"] {
        fw.ok(&["ip", "-6", "route", "add", route, "via", "2001:db8:ff::2"]);
    }
    Link { fw, _peer: peer }
}

/// What a TCP connection attempt from `ns` met: the peer's reset (it got
/// through: nothing listens there, and the reset comes back within
/// milliseconds), or the local firewall's drop (no answer within the timeout).
fn connect(ns: &Netns, addr: &str, port: u16) -> &'static str {
    let script = format!("exec 3<>/dev/tcp/{addr}/{port}");
    let out = ns.exec(&["timeout", "2", "bash", "-c", &script]);
    let (_, stderr) = text(&out);
    if stderr.contains("Connection refused") {
        "passed"
    } else if stderr.contains("Operation not permitted") || out.status.code() == Some(124) {
        "dropped"
    } else {
        panic!(
            "connect {addr} {port}: unexpected {:?} {stderr}",
            out.status
        )
    }
}

fn packets(target: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = build(
        &dir.path().join("out"),
        &[
            "-t",
            target,
            "--input",
            path(&fixture("linux_packet.json")),
            "--policy",
            path(&fixture("linux_packet.toml")),
        ],
    );
    let link = link();
    let cases = [
        ("198.51.100.1", 443, "passed"),
        ("198.51.100.1", 80, "dropped"),
        ("203.0.113.1", 443, "dropped"),
        ("2001:db8:1::1", 443, "passed"),
        ("2001:db8:1::1", 80, "dropped"),
        ("2001:db8:2::1", 443, "dropped"),
    ];
    // Every probe at once: a dropped one waits for the timeout.
    let probe = |when: &str| -> Vec<&'static str> {
        std::thread::scope(|s| {
            let probes: Vec<_> = cases
                .iter()
                .map(|(addr, port, _)| s.spawn(|| connect(&link.fw, addr, *port)))
                .collect();
            probes
                .into_iter()
                .map(|p| p.join().unwrap_or_else(|_| panic!("probe {when}")))
                .collect()
        })
    };
    assert_eq!(probe("before"), ["passed"; 6], "before loading");
    match target {
        "nftables" => {
            link.fw
                .ok(&["nft", "-f", path(&out.join("nftables/tagwall.nft"))]);
        }
        _ => {
            link.fw.ok(&["sh", path(&out.join("iptables/apply.sh"))]);
        }
    }
    let want: Vec<&str> = cases.iter().map(|c| c.2).collect();
    assert_eq!(probe("after"), want, "{target}: {cases:?}");
}

#[test]
fn nftables_passes_allowed_packets_and_drops_others() {
    if kernel_available("nftables_passes_allowed_packets_and_drops_others") {
        packets("nftables");
    }
}

#[test]
fn iptables_passes_allowed_packets_and_drops_others() {
    if kernel_available("iptables_passes_allowed_packets_and_drops_others") {
        packets("iptables");
    }
}
