//! The vendor firewall targets panos, fortios, cisco-asa, junos and mikrotik,
//! through the real binary: golden files; every prefix of the output equals
//! the expected aggregated set; a delta applied to the previous release's
//! configuration gives exactly this release's; hostile tag names stay inside
//! quotes and name rules; limits refuse what a device would truncate.
//!
//! Files are checked by applying them to strict models of the devices
//! (`vendors_a/sim.rs`), which refuse any statement they do not know.

mod common;
#[path = "vendors_a/sim.rs"]
mod sim;

use common::{assert_golden, cidrs_in, fails, fixture, read_tree, run, text};
use ipnet::IpNet;
use sim::State;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use tagwall::render::{TARGETS, Target};

const VENDORS: [&str; 5] = ["panos", "fortios", "cisco-asa", "junos", "mikrotik"];

/// A policy that takes every branch of the templates: both directions,
/// local prefixes of both families and of one, an interface, port lists and
/// ranges, UDP, ICMP, any protocol, deny, a glob, and a rule name with a dot.
const RICH_POLICY: &str = r#"
[options]
allow_missing_tags = true

[[rule]]
name = "Web"
description = "Front Door and ARM, both ways"
tags = ["AzureFrontDoor.FirstParty", "AzureResourceManager"]
direction = "both"
ports = [443, "8000-8080"]
priority = 100
local = { prefixes = ["192.0.2.0/24", "2001:db8::/48"], interface = "port2" }

[[rule]]
name = "Dns"
tags = ["AzureActiveDirectory"]
protocol = "udp"
ports = [53]
family = "ipv4"
priority = 101

[[rule]]
name = "Ping"
tags = ["ApplicationInsightsAvailability"]
family = "ipv4"
protocol = "icmp"
direction = "inbound"
priority = 102

[[rule]]
name = "BlockGermany"
tags = ["AzureCloud.germanywc"]
protocol = "any"
action = "deny"
priority = 103

[[rule]]
name = "Mcr.Regions"
tags = ["MicrosoftContainerRegistry.*"]
priority = 104
local = { prefixes = ["198.51.100.0/24"] }

[[rule]]
name = "AllTcp"
tags = ["AzureDevOps.WestEurope"]
family = "ipv4"
protocol = "tcp"
priority = 105
"#;

fn row(target: &str) -> &'static Target {
    TARGETS.iter().find(|t| t.name == target).unwrap()
}

/// Run `tagwall ARGS`, which must succeed, and return the output folder.
fn build(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let mut all: Vec<&str> = vec!["build", "--quiet", "--out"];
    let out_s = out.to_string_lossy().into_owned();
    all.push(&out_s);
    all.extend_from_slice(args);
    let o = run(dir, &all);
    let (_, stderr) = text(&o);
    assert!(o.status.success(), "tagwall {all:?}: {stderr}");
    out
}

fn target_args(targets: &[&str]) -> Vec<String> {
    targets
        .iter()
        .flat_map(|t| ["--target".to_string(), t.to_string()])
        .collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The files of one target, by relative path.
fn files(out: &Path, target: &str) -> BTreeMap<String, String> {
    read_tree(&out.join(target))
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v).expect("UTF-8 output")))
        .collect()
}

/// The full configuration files of a target, in the order they are applied.
fn full_files(target: &str) -> &'static [&'static str] {
    match target {
        "panos" => &["panos.set"],
        "fortios" => &["fortios.conf"],
        "cisco-asa" => &["asa.cfg"],
        "junos" => &["junos-security.set", "junos-prefix-lists.set"],
        "mikrotik" => &["mikrotik.rsc"],
        _ => unreachable!(),
    }
}

fn delta_files(target: &str) -> &'static [&'static str] {
    match target {
        "panos" => &["panos-delta.set"],
        "fortios" => &["fortios-delta.conf"],
        "cisco-asa" => &["asa-delta.cfg"],
        "junos" => &["junos-security-delta.set", "junos-prefix-lists-delta.set"],
        "mikrotik" => &["mikrotik-delta.rsc"],
        _ => unreachable!(),
    }
}

fn apply_all(target: &str, state: &mut State, files: &BTreeMap<String, String>, which: &[&str]) {
    for f in which {
        let text = files.get(*f).unwrap_or_else(|| panic!("{target}: no {f}"));
        sim::apply(target, state, text);
    }
}

fn state_of(target: &str, files: &BTreeMap<String, String>) -> State {
    state_from(&State::default(), target, files)
}

/// The full files applied to a device that holds `seed` already.
fn state_from(seed: &State, target: &str, files: &BTreeMap<String, String>) -> State {
    let mut s = seed.clone();
    apply_all(target, &mut s, files, full_files(target));
    s
}

/// What one rule must hold, from the library (the `tagwall show` set).
struct Expect {
    name: String,
    v4: BTreeSet<IpNet>,
    v6: BTreeSet<IpNet>,
    local: Vec<IpNet>,
}

fn expected(input: &Path, policy: Option<&Path>, all_tags: bool) -> Vec<Expect> {
    let loaded = tagwall::pipeline::load_input(Some(input)).unwrap();
    let file = loaded.parse().unwrap();
    let policy = tagwall::pipeline::load_policy(policy).unwrap();
    let sel = tagwall::pipeline::resolve(&file, &policy, all_tags, None).unwrap();
    sel.rules
        .iter()
        .map(|r| {
            let local = r.rule.local.prefixes.clone();
            let has = |v6: bool| {
                local.is_empty() || local.iter().any(|p| matches!(p, IpNet::V6(_)) == v6)
            };
            Expect {
                name: r.rule.name.clone(),
                // A rule whose local side has no address of a family renders
                // no group of it (documented).
                v4: if has(false) {
                    r.v4().into_iter().map(IpNet::V4).collect()
                } else {
                    BTreeSet::new()
                },
                v6: if has(true) {
                    r.v6().into_iter().map(IpNet::V6).collect()
                } else {
                    BTreeSet::new()
                },
                local,
            }
        })
        .collect()
}

/// The name a group has in a model's state.
fn group_key(target: &str, name: &str, v6: bool) -> String {
    match (target, v6) {
        ("fortios", false) => format!("addrgrp:{name}"),
        ("fortios", true) => format!("addrgrp6:{name}"),
        ("mikrotik", false) => format!("ip:{name}"),
        ("mikrotik", true) => format!("ipv6:{name}"),
        _ => name.to_string(),
    }
}

/// Every rule's groups hold exactly its prefixes, split within the limits,
/// and there is no other group.
fn check_groups(target: &str, state: &State, expect: &[Expect]) {
    let t = row(target);
    let limit = |what: &str| t.profile.iter().find(|l| l.what == what).map(|l| l.value);
    let sep = t.names.sep;
    let mut claimed = BTreeSet::new();
    for e in expect {
        for (v6, want) in [(false, &e.v4), (true, &e.v6)] {
            let short = if v6 { "v6" } else { "v4" };
            let keys: Vec<String> = match t.chunk_size {
                Some(_) => (1..)
                    .map(|i| {
                        group_key(
                            target,
                            &t.names.map(&e.name, Some(&format!("{short}{sep}{i}"))),
                            v6,
                        )
                    })
                    .take_while(|k| state.groups.contains_key(k))
                    .collect(),
                None => Some(group_key(target, &t.names.map(&e.name, Some(short)), v6))
                    .filter(|k| state.groups.contains_key(k))
                    .into_iter()
                    .collect(),
            };
            let mut got = BTreeSet::new();
            for k in &keys {
                let members = state.resolve(k);
                if let Some(max) = limit("members per address group") {
                    assert!(
                        members.len() <= max,
                        "{target} {k}: {} members",
                        members.len()
                    );
                }
                if let Some(units) = limit("address units per policy") {
                    let weight = if v6 {
                        limit("IPv6 address weight").unwrap()
                    } else {
                        1
                    };
                    let local = e
                        .local
                        .iter()
                        .filter(|p| matches!(p, IpNet::V6(_)) == v6)
                        .count();
                    assert!(
                        (members.len() + local) * weight <= units,
                        "{target} {k}: over {units} units"
                    );
                }
                for m in members {
                    assert!(got.insert(m), "{target} {k}: {m} is in two groups");
                }
                claimed.insert(k.clone());
            }
            assert_eq!(&got, want, "{target}: rule {} {short}", e.name);
        }
        if matches!(target, "cisco-asa" | "mikrotik") {
            for v6 in [false, true] {
                let want: BTreeSet<IpNet> = e
                    .local
                    .iter()
                    .filter(|p| matches!(p, IpNet::V6(_)) == v6)
                    .copied()
                    .collect();
                let suffix = format!("local{sep}{}", if v6 { "v6" } else { "v4" });
                let key = group_key(target, &t.names.map(&e.name, Some(&suffix)), v6);
                if want.is_empty() {
                    assert!(
                        !state.groups.contains_key(&key),
                        "{target}: empty local group {key}"
                    );
                } else {
                    assert_eq!(state.resolve(&key), want, "{target}: {key}");
                    claimed.insert(key);
                }
            }
        }
    }
    let stray: Vec<&String> = state
        .groups
        .keys()
        .filter(|k| !claimed.contains(*k))
        .collect();
    assert!(stray.is_empty(), "{target}: groups of no rule: {stray:?}");
    // Every group is used by a policy (directly, or, for RouterOS, by list name).
    let used = state.referenced();
    for k in state.groups.keys() {
        assert!(used.contains(k), "{target}: group {k} is used by no policy");
    }
}

/// Every prefix written in the files: CIDR tokens, `A.B.C.D M.M.M.M` mask
/// pairs (ASA, FortiOS) and RouterOS's bare IPv4 /32 addresses.
fn prefix_tokens(text: &str) -> BTreeSet<IpNet> {
    let mut out: BTreeSet<IpNet> = cidrs_in(text).into_iter().collect();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            if let (Ok(a), Ok(m)) = (
                pair[0].parse::<std::net::Ipv4Addr>(),
                pair[1].parse::<std::net::Ipv4Addr>(),
            ) {
                let bits = u32::from(m);
                if bits.leading_ones() == bits.count_ones() && bits != 0 {
                    out.insert(IpNet::V4(
                        ipnet::Ipv4Net::new(a, bits.count_ones() as u8).unwrap(),
                    ));
                }
            }
        }
        for w in &words {
            if let Some(a) = w
                .strip_prefix("address=")
                .and_then(|a| a.parse::<std::net::Ipv4Addr>().ok())
            {
                out.insert(IpNet::V4(ipnet::Ipv4Net::new(a, 32).unwrap()));
            }
        }
    }
    out
}

/// The prefixes in every full file of the target equal the expected set.
fn check_prefixes(target: &str, files: &BTreeMap<String, String>, expect: &[Expect]) {
    let mut want: BTreeSet<IpNet> = BTreeSet::new();
    for e in expect {
        want.extend(e.v4.iter().chain(&e.v6).chain(&e.local));
    }
    let mut got = BTreeSet::new();
    for (name, body) in files {
        if !name.contains("delta") {
            got.extend(prefix_tokens(body));
        }
    }
    // Prefix lists (junos) and EDLs (panos) list a rule's prefixes of both
    // families even where a local side of one family leaves the other out.
    let extra: BTreeSet<IpNet> = got.difference(&want).copied().collect();
    if !extra.is_empty() {
        assert!(
            matches!(target, "junos" | "panos"),
            "{target}: unexpected prefixes {extra:?}"
        );
    }
    let missing: Vec<&IpNet> = want.difference(&got).collect();
    assert!(missing.is_empty(), "{target}: missing prefixes {missing:?}");
}

/// Full check of one build of one target.
fn check_build(target: &str, out: &Path, expect: &[Expect]) -> State {
    let f = files(out, target);
    let state = state_of(target, &f);
    check_groups(target, &state, expect);
    check_prefixes(target, &f, expect);
    state
}

/// `build --policy` with `body` is refused with exit 2 and a message that
/// holds `want`.
fn refused(dir: &Path, body: &str, want: &str) {
    let bad = policy_file(dir, body);
    let o = run(
        dir,
        &["build", "--policy", bad.to_str().unwrap(), "--out", "bad"],
    );
    assert_eq!(o.status.code(), Some(2), "{body}: {}", text(&o).1);
    assert!(text(&o).1.contains(want), "{want}: {}", text(&o).1);
}

fn policy_file(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("policy.toml");
    fs::write(&p, body).unwrap();
    p
}

// ------------------------------------------------------------------ golden

fn golden(policy: Option<&str>, name: &str) {
    golden_of(policy, name, &VENDORS);
}

/// [`golden`] for some of the targets.
fn golden_of(policy: Option<&str>, name: &str, targets: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let mut base: Vec<String> = vec![
        "--input".into(),
        fixture("public_20250811.json")
            .to_string_lossy()
            .into_owned(),
    ];
    if let Some(body) = policy {
        base.push("--policy".into());
        base.push(policy_file(dir.path(), body).to_string_lossy().into_owned());
    }
    base.extend(target_args(targets));
    let full = build(dir.path(), "full", &strs(&base));
    let mut with_prev = base.clone();
    with_prev.push("--previous".into());
    with_prev.push(
        fixture("public_20250804.json")
            .to_string_lossy()
            .into_owned(),
    );
    let delta = build(dir.path(), "delta", &strs(&with_prev));
    for &t in targets {
        assert_golden(&delta.join(t), &format!("{t}/{name}"));
        // Without a previous release: the same files, minus the delta ones.
        let a = read_tree(&full.join(t));
        let mut b = read_tree(&delta.join(t));
        let deltas: Vec<String> = b.keys().filter(|k| k.contains("delta")).cloned().collect();
        assert!(!deltas.is_empty(), "{t}: no delta file");
        for k in deltas {
            b.remove(&k);
        }
        assert_eq!(a, b, "{t}: full files differ with --previous");
    }
}

#[test]
fn golden_default_policy() {
    golden(None, "default");
}

#[test]
fn golden_rich_policy() {
    golden(Some(RICH_POLICY), "policy");
}

/// The rich policy with `objects_only` for every vendor target.
fn objects_only_policy() -> String {
    let mut body = RICH_POLICY.to_string();
    for t in VENDORS {
        body.push_str(&format!("\n[targets.{t}]\nobjects_only = true\n"));
    }
    body
}

#[test]
fn golden_objects_only() {
    golden(Some(&objects_only_policy()), "objects-only");
}

#[test]
fn objects_only_writes_the_groups_and_no_rule() {
    let dir = tempfile::tempdir().unwrap();
    let p = policy_file(dir.path(), &objects_only_policy());
    let p = p.to_string_lossy().into_owned();
    let input = fixture("public_20250811.json")
        .to_string_lossy()
        .into_owned();
    let mut args: Vec<String> = ["--input", &input, "--policy", &p]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(target_args(&VENDORS));
    let out = build(dir.path(), "out", &strs(&args));
    // Each vendor's rule syntax: none of it is written; the groups are.
    let rules = [
        ("panos", "rulebase security", "address-group"),
        (
            "fortios",
            "config firewall policy",
            "config firewall addrgrp",
        ),
        ("cisco-asa", "access-list", "object-group network"),
        ("junos", "security policies", "address-set"),
        ("mikrotik", "firewall filter", "address-list"),
    ];
    for (t, rule, group) in rules {
        let files = read_tree(&out.join(t));
        let all: String = files
            .values()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect();
        assert!(!all.contains(rule), "{t}: {rule:?} written");
        assert!(all.contains(group), "{t}: no {group:?}");
    }
    // A misspelt key is an error, not ignored.
    refused(
        dir.path(),
        &format!("{RICH_POLICY}\n[targets.panos]\nobject_only = true\n"),
        "object_only",
    );
}

// ---------------------------------------------------------------- prefixes

#[test]
fn every_prefix_is_the_expected_set_default_and_rich_policy() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("public_20250811.json");
    let policy = policy_file(dir.path(), RICH_POLICY);
    for (name, pol) in [("default", None), ("rich", Some(policy.as_path()))] {
        let mut args: Vec<String> = vec!["--input".into(), input.to_string_lossy().into_owned()];
        if let Some(p) = pol {
            args.push("--policy".into());
            args.push(p.to_string_lossy().into_owned());
        }
        args.extend(target_args(&VENDORS));
        let out = build(dir.path(), name, &strs(&args));
        let expect = expected(&input, pol, false);
        for t in VENDORS {
            check_build(t, &out, &expect);
        }
    }
}

/// A bundled release, every tag its own rule (3,000 rules, about 80,000
/// prefixes): every target renders it within its limits.
#[test]
fn all_tags_of_a_bundled_release_render_within_limits() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::root().join("data/ServiceTags_Public_20250908.json.gz");
    let mut args = vec![
        "--all-tags".to_string(),
        "--input".into(),
        input.to_string_lossy().into_owned(),
    ];
    args.extend(target_args(&VENDORS));
    let out = build(dir.path(), "all", &strs(&args));
    let expect = expected(&input, None, true);
    assert!(expect.len() > 3000);
    for t in VENDORS {
        check_build(t, &out, &expect);
    }
    let capacity = fs::read_to_string(out.join("panos/edl-capacity.txt")).unwrap();
    assert!(
        capacity.contains("WARNING: there are more lists than a firewall can use at once"),
        "{capacity}"
    );
}

// ------------------------------------------------------------------- delta

/// A Service Tags file from (name, changeNumber, prefixes).
fn tags_json(change: u64, tags: &[(&str, u64, Vec<String>)]) -> String {
    let values: Vec<serde_json::Value> = tags
        .iter()
        .map(|(name, cn, prefixes)| {
            serde_json::json!({
                "name": name, "id": name,
                "properties": {"changeNumber": cn, "region": "", "regionId": 0, "platform": "Azure",
                               "systemService": "", "addressPrefixes": prefixes, "networkFeatures": null}
            })
        })
        .collect();
    serde_json::to_string_pretty(
        &serde_json::json!({"changeNumber": change, "cloud": "Public", "values": values}),
    )
    .unwrap()
}

/// IPv4 /24s that never merge: FIRST.x.(2y).0/24.
fn v4s(first: u8, range: std::ops::Range<u32>) -> Vec<String> {
    range
        .map(|i| format!("{first}.{}.{}.0/24", i / 128, (i % 128) * 2))
        .collect()
}

/// IPv6 /48s that never merge.
fn v6s(word: u16, range: std::ops::Range<u32>) -> Vec<String> {
    range
        .map(|i| {
            let a = std::net::Ipv6Addr::new(0x2603, word, (i * 2) as u16, 0, 0, 0, 0, 0);
            ipnet::Ipv6Net::new(a, 48).unwrap().to_string()
        })
        .collect()
}

fn synthetic(dir: &Path) -> (PathBuf, PathBuf) {
    let mut big_old = v4s(20, 0..6000);
    big_old.extend(v6s(0x1000, 0..1200));
    // Next release: 40 prefixes gone from everywhere, 60 new ones, some of
    // them sorting between the old ones.
    let mut big_new: Vec<String> = v4s(20, 0..6000)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 150 != 7)
        .map(|(_, p)| p)
        .collect();
    big_new.extend(v4s(20, 6000..6030));
    big_new.extend(v4s(21, 0..30));
    big_new.extend(v6s(0x1000, 0..1190));
    big_new.sort_by_key(|p| p.parse::<IpNet>().unwrap());
    let old = tags_json(
        1,
        &[
            ("Big", 1, big_old),
            ("Gone", 1, v4s(30, 0..5)),
            ("Grow6", 1, v4s(31, 0..3)),
            ("Lose6", 1, [v4s(32, 0..3), v6s(0x2000, 0..2)].concat()),
            ("Same", 1, [v4s(33, 0..4), v6s(0x3000, 0..4)].concat()),
        ],
    );
    let new = tags_json(
        2,
        &[
            ("New", 1, [v4s(34, 0..2), v6s(0x4000, 0..2)].concat()),
            ("Big", 2, big_new),
            ("Grow6", 2, [v4s(31, 0..3), v6s(0x5000, 0..1)].concat()),
            ("Lose6", 2, v4s(32, 0..3)),
            ("Same", 1, [v4s(33, 0..4), v6s(0x3000, 0..4)].concat()),
        ],
    );
    let (a, b) = (dir.join("old.json"), dir.join("new.json"));
    fs::write(&a, old).unwrap();
    fs::write(&b, new).unwrap();
    (a, b)
}

const SYNTHETIC_POLICY: &str = r#"
[options]
allow_missing_tags = true

[[rule]]
name = "Fresh"
tags = ["New"]
priority = 100
local = { prefixes = ["198.51.100.0/24"] }

[[rule]]
name = "Web"
tags = ["Big"]
direction = "both"
ports = [443, "8000-8080"]
priority = 101
local = { prefixes = ["192.0.2.0/24", "2001:db8::/48"], interface = "port2" }

[[rule]]
name = "Dns"
tags = ["Grow6", "Lose6"]
protocol = "udp"
ports = [53]
priority = 102

[[rule]]
name = "Ping"
tags = ["Same"]
protocol = "icmp"
direction = "inbound"
priority = 103

[[rule]]
name = "Block"
tags = ["Gone"]
family = "ipv4"
protocol = "any"
action = "deny"
priority = 104
"#;

/// Apply the previous release's full files, then the delta: the device
/// holds exactly what the new full files give, and group memberships move
/// little beyond the prefixes that changed.
fn check_delta(dir: &Path, old: &Path, new: &Path, extra: &[String], targets: &[&str]) {
    check_delta_on(dir, old, new, extra, targets, &|_| State::default());
}

/// [`check_delta`] on a device that holds `seed` before the first file (rules
/// and objects of the admin's own).
fn check_delta_from(
    seed: &State,
    dir: &Path,
    old: &Path,
    new: &Path,
    extra: &[String],
    targets: &[&str],
) {
    check_delta_on(dir, old, new, extra, targets, &|_| seed.clone());
}

/// [`check_delta`] on devices that hold `seed(target)` before tagwall's
/// files (the admin's own policies).
fn check_delta_on(
    dir: &Path,
    old: &Path,
    new: &Path,
    extra: &[String],
    targets: &[&str],
    seed: &dyn Fn(&str) -> State,
) {
    let mut base: Vec<String> = extra.to_vec();
    base.extend(target_args(targets));
    let mut a = base.clone();
    a.extend(["--input".into(), old.to_string_lossy().into_owned()]);
    let old_out = build(dir, "old", &strs(&a));
    let mut b = base.clone();
    b.extend([
        "--input".into(),
        new.to_string_lossy().into_owned(),
        "--previous".into(),
        old.to_string_lossy().into_owned(),
    ]);
    let new_out = build(dir, "new", &strs(&b));
    for t in targets {
        let old_files = files(&old_out, t);
        let new_files = files(&new_out, t);
        let mut applied = seed(t);
        apply_all(t, &mut applied, &old_files, full_files(t));
        let before = applied.clone();
        apply_all(t, &mut applied, &new_files, delta_files(t));
        let mut want = seed(t);
        apply_all(t, &mut want, &new_files, full_files(t));
        assert_eq!(applied.addresses, want.addresses, "{t}: address objects");
        assert_eq!(applied.groups, want.groups, "{t}: groups");
        assert_eq!(applied.services, want.services, "{t}: services");
        assert_eq!(
            applied.policies, want.policies,
            "{t}: policies and their order"
        );
        assert_eq!(applied.prefix_lists, want.prefix_lists, "{t}: prefix lists");
        assert_eq!(
            applied.scopes, want.scopes,
            "{t}: virtual systems and device groups"
        );
        assert_eq!(
            applied.bindings, want.bindings,
            "{t}: access-group bindings"
        );
        // Content-defined splitting: group members move little beyond the
        // prefixes that really changed (fixed-size cuts would shift them all).
        let members = |s: &State| -> BTreeSet<(String, IpNet)> {
            s.groups
                .keys()
                .flat_map(|g| s.resolve(g).into_iter().map(move |p| (g.clone(), p)))
                .collect()
        };
        let moved = members(&before)
            .symmetric_difference(&members(&want))
            .count();
        // Per rule family (a group name without its part number).
        let family = |g: &str| -> String {
            match g.rsplit_once('-') {
                Some((head, n)) if row(t).chunk_size.is_some() && n.parse::<u32>().is_ok() => {
                    head.to_string()
                }
                _ => g.to_string(),
            }
        };
        let by_family = |s: &State| -> BTreeSet<(String, IpNet)> {
            s.groups
                .keys()
                .flat_map(|g| s.resolve(g).into_iter().map(move |p| (family(g), p)))
                .collect()
        };
        let real = by_family(&before)
            .symmetric_difference(&by_family(&want))
            .count();
        eprintln!("{t}: {moved} memberships changed for {real} changed prefixes");
        assert!(
            moved <= 2 * real,
            "{t}: {moved} memberships changed for {real} changed prefixes"
        );
    }
}

#[test]
fn delta_turns_the_previous_configuration_into_this_one_synthetic_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = synthetic(dir.path());
    let policy = policy_file(dir.path(), SYNTHETIC_POLICY);
    check_delta(
        dir.path(),
        &old,
        &new,
        &["--policy".into(), policy.to_string_lossy().into_owned()],
        &VENDORS,
    );
}

#[test]
fn delta_turns_the_previous_configuration_into_this_one_all_tags() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = synthetic(dir.path());
    check_delta(dir.path(), &old, &new, &["--all-tags".into()], &VENDORS);
}

#[test]
fn delta_on_the_fixtures_adds_exactly_the_new_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    check_delta(dir.path(), &old, &new, &[], &VENDORS);
    let out = dir.path().join("new");
    for t in VENDORS {
        let f = files(&out, t);
        let delta: String = delta_files(t).iter().map(|n| f[*n].as_str()).collect();
        let got: BTreeSet<IpNet> = prefix_tokens(&delta);
        assert_eq!(got, ["51.11.64.0/24".parse().unwrap()].into(), "{t}");
    }
}

/// A real week of the Public cloud with every tag: 35 tags appear.
#[test]
fn delta_of_a_real_week_with_every_tag() {
    let data = common::root().join("data");
    let (old, new) = (
        data.join("ServiceTags_Public_20250901.json.gz"),
        data.join("ServiceTags_Public_20250908.json.gz"),
    );
    let dir = tempfile::tempdir().unwrap();
    check_delta(dir.path(), &old, &new, &["--all-tags".into()], &VENDORS);
}

// ----------------------------------------------------------------- hostile

const HOSTILE: [&str; 12] = [
    "Evil\"Quote",
    "Semi;colon rm -rf /",
    "Dollar$(reboot)",
    "Back`id`tick",
    "Brace{{root}}",
    "Single'q",
    "<script>alert(1)</script>",
    "Pipe|show run",
    "Question?help",
    "Back\\slash",
    "1Digit first",
    "%percent",
];

fn hostile_file(dir: &Path, change: u64, extra: usize) -> PathBuf {
    let long = format!("Long{}", "x".repeat(252));
    let mut names: Vec<String> = HOSTILE.iter().map(|s| s.to_string()).collect();
    names.push(long);
    let tags: Vec<(&str, u64, Vec<String>)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let i = i as u32;
            (
                n.as_str(),
                change,
                [
                    v4s(40, i * 4..i * 4 + 2 + extra as u32),
                    v6s(0x6000, i * 4..i * 4 + 2),
                ]
                .concat(),
            )
        })
        .collect();
    let path = dir.join(format!("hostile-{change}.json"));
    fs::write(&path, tags_json(change, &tags)).unwrap();
    path
}

fn name_ok(t: &Target, name: &str) -> bool {
    name.chars().count() <= t.names.max_len
        && name.chars().all(t.names.allowed)
        && name.chars().next().is_some_and(t.names.first)
}

#[test]
fn hostile_tag_names_cannot_inject_or_break_names() {
    let dir = tempfile::tempdir().unwrap();
    let old = hostile_file(dir.path(), 1, 0);
    let new = hostile_file(dir.path(), 2, 1);
    let mut args = vec![
        "--all-tags".to_string(),
        "--input".into(),
        new.to_string_lossy().into_owned(),
    ];
    args.extend(["--previous".into(), old.to_string_lossy().into_owned()]);
    args.extend(target_args(&VENDORS));
    let out = build(dir.path(), "out", &strs(&args));
    let expect = expected(&new, None, true);
    for t in VENDORS {
        let row = row(t);
        let f = files(&out, t);
        for (file, body) in &f {
            for line in body.lines() {
                let dangerous = HOSTILE.iter().filter(|h| {
                    h.contains(['"', '\'', ';', '$', '`', '\\', '{', '|', '?', '<', '%'])
                });
                for raw in dangerous.chain(&["$(reboot", "`id`", "{{root"]) {
                    assert!(!line.contains(raw), "{t} {file}: {raw:?} in {line:?}");
                }
                let statement = !line.starts_with(['#', '!']);
                // RouterOS: the loop variable of the template's own
                // replace-in-place (`place-before=$i`, `remove $i`).
                let own = line
                    .replace(" place-before=$i", "")
                    .replace("remove $i", "");
                for bad in ["$", "`", "{{", "}}", "\\", "'", "<", "|", "?", ";", "%"] {
                    assert!(
                        !(statement && own.contains(bad)),
                        "{t} {file}: {bad:?} in {line:?}"
                    );
                }
            }
            assert!(
                !file.contains(['"', ';', '$', '`', '\\', ' ']),
                "{t}: file name {file:?}"
            );
        }
        // Every file is made only of statements the device model knows.
        let state = check_build(t, &out, &expect);
        let mut applied = state_of(
            t,
            &files(
                &build(
                    dir.path(),
                    &format!("old-{t}"),
                    &strs(&[
                        "--all-tags".to_string(),
                        "--input".into(),
                        old.to_string_lossy().into_owned(),
                        "--target".into(),
                        t.to_string(),
                    ]),
                ),
                t,
            ),
        );
        apply_all(t, &mut applied, &f, delta_files(t));
        assert_eq!(
            applied.groups, state.groups,
            "{t}: delta with hostile names"
        );
        // Names keep to the platform's characters and length.
        let mut names: Vec<String> = state.addresses.keys().cloned().collect();
        names.extend(
            state
                .groups
                .keys()
                .map(|k| k.rsplit(':').next().unwrap().to_string()),
        );
        names.extend(state.services.keys().cloned());
        if matches!(t, "panos" | "junos") {
            for list in state.policies.values() {
                names.extend(list.iter().map(|(n, _)| n.clone()));
            }
        }
        if t == "mikrotik" {
            for list in state.policies.values() {
                names.extend(
                    list.iter()
                        .map(|(n, _)| n.trim_start_matches("tagwall:").to_string()),
                );
            }
        }
        for n in &names {
            assert!(name_ok(row, n), "{t}: name {n:?} breaks the name rules");
        }
        assert!(names.len() > HOSTILE.len(), "{t}: too few names checked");
    }
}

/// `build --all-tags --input PATH --target TARGET --out o`.
fn all_tags_into_o<'a>(path: &'a std::path::Path, target: &'a str) -> [&'a str; 8] {
    let input = path.to_str().unwrap();
    [
        "build",
        "--all-tags",
        "--input",
        input,
        "--target",
        target,
        "--out",
        "o",
    ]
}

#[test]
fn names_that_map_to_one_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clash.json");
    fs::write(
        &path,
        tags_json(1, &[("A\"b", 1, v4s(40, 0..1)), ("A'b", 1, v4s(41, 0..1))]),
    )
    .unwrap();
    for t in VENDORS {
        fails(
            dir.path(),
            &all_tags_into_o(&path, t),
            2,
            "both map to the name",
        );
        assert!(!dir.path().join("o").exists(), "{t}: wrote output");
    }
}

// ------------------------------------------------------------------ limits

#[test]
fn a_list_the_firewall_would_truncate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // 50,001 /32s that cannot merge: more than one PAN-OS EDL takes.
    let prefixes: Vec<String> = (0..50_001u32)
        .map(|i| format!("{}/32", std::net::Ipv4Addr::from(0x1400_0000 + 2 * i)))
        .collect();
    let path = dir.path().join("huge.json");
    fs::write(&path, tags_json(1, &[("Huge", 1, prefixes)])).unwrap();
    fails(
        dir.path(),
        &all_tags_into_o(&path, "panos"),
        3,
        "target panos: rule \"Huge\": 50001 prefixes, more than the 50000 entries",
    );
    assert!(!dir.path().join("o").exists());
    // The other targets split the same list into groups.
    let out = build(
        dir.path(),
        "split",
        &[
            "--all-tags",
            "--input",
            path.to_str().unwrap(),
            "--target",
            "fortios",
        ],
    );
    let state = state_of("fortios", &files(&out, "fortios"));
    assert!(state.groups.len() >= 50_001 / 600, "{}", state.groups.len());
}

#[test]
fn junos_refuses_local_prefixes_that_fill_a_policy() {
    let dir = tempfile::tempdir().unwrap();
    let local: Vec<String> = (0..256u32)
        .map(|i| format!("\"2001:db8:{:x}::/48\"", i * 2))
        .collect();
    let policy = policy_file(
        dir.path(),
        &format!(
            "[[rule]]\nname = \"Wide\"\ntags = [\"AzureActiveDirectory\"]\npriority = 100\nlocal = {{ prefixes = [{}] }}\n",
            local.join(", ")
        ),
    );
    let input = fixture("public_20250811.json");
    let args = [
        "build",
        "--input",
        input.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
        "--target",
        "junos",
        "--out",
        "o",
    ];
    fails(
        dir.path(),
        &args,
        3,
        "use 1024 of the 1023 address units a policy holds",
    );
}

#[test]
fn targets_lists_the_limits_as_data() {
    let o = run(Path::new("."), &["targets"]);
    let (stdout, _) = text(&o);
    for want in [
        "panos\n",
        "limit: members per address group 2500",
        "limit: EDL entries per list 50000",
        "fortios\n",
        "limit: policy name length 35",
        "cisco-asa\n",
        "junos\n",
        "limit: address units per policy 1023",
        "limit: IPv6 address weight 4",
        "mikrotik\n",
    ] {
        assert!(stdout.contains(want), "{want:?} not in {stdout}");
    }
    assert!(
        !stdout.contains("files: ,") && !stdout.contains(", ,"),
        "partials listed as files: {stdout}"
    );
}

#[test]
fn zones_come_from_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{RICH_POLICY}\n[targets.panos]\nfrom_zones = [\"inside\", \"dmz\"]\nto_zones = [\"outside\"]\n\
         \n[targets.junos]\nfrom_zones = [\"lan\"]\nto_zones = [\"wan\"]\n"
    );
    let p = policy_file(dir.path(), &body)
        .to_string_lossy()
        .into_owned();
    let input = fixture("public_20250811.json")
        .to_string_lossy()
        .into_owned();
    let old = fixture("public_20250804.json")
        .to_string_lossy()
        .into_owned();
    let args = [
        "--input",
        &input,
        "--previous",
        &old,
        "--policy",
        &p,
        "--target",
        "panos",
        "--target",
        "junos",
    ];
    let out = build(dir.path(), "out", &args);
    let panos = fs::read_to_string(out.join("panos/panos.set")).unwrap();
    // Web goes both ways: outbound from the local zones, inbound to them.
    assert!(
        panos.contains("set rulebase security rules Web from [ inside dmz ]\n"),
        "{panos}"
    );
    assert!(
        panos.contains("set rulebase security rules Web to outside\n"),
        "{panos}"
    );
    assert!(
        panos.contains("set rulebase security rules Web-in from outside\n"),
        "{panos}"
    );
    assert!(
        panos.contains("set rulebase security rules Web-in to [ inside dmz ]\n"),
        "{panos}"
    );
    assert!(!panos.contains("trust"), "{panos}");
    let junos = fs::read_to_string(out.join("junos/junos-security.set")).unwrap();
    assert!(
        junos.contains("from-zone lan to-zone wan policy"),
        "{junos}"
    );
    assert!(
        junos.contains("from-zone wan to-zone lan policy"),
        "{junos}"
    );
    assert!(!junos.contains("trust"), "{junos}");
    let delta = fs::read_to_string(out.join("junos/junos-security-delta.set")).unwrap();
    assert!(!delta.contains("trust"), "{delta}");
    // Zones where a target has none, two for Junos, or a name a device
    // cannot take: refused, naming the key.
    for (table, want) in [
        (
            "[targets.fortios]\nfrom_zones = [\"lan\"]",
            "only panos and junos have zones",
        ),
        (
            "[targets.junos]\nto_zones = [\"a\", \"b\"]",
            "give one zone",
        ),
        (
            "[targets.panos]\nto_zones = [\"bad zone\"]",
            "zone \"bad zone\" must be",
        ),
    ] {
        refused(dir.path(), &format!("{RICH_POLICY}\n{table}\n"), want);
    }
}

#[test]
fn fortios_interfaces_come_from_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{RICH_POLICY}\n[targets.fortios]\nfrom_interfaces = [\"internal\"]\nto_interfaces = [\"wan1\", \"wan2\"]\n"
    );
    let p = policy_file(dir.path(), &body)
        .to_string_lossy()
        .into_owned();
    let input = fixture("public_20250811.json")
        .to_string_lossy()
        .into_owned();
    let out = build(
        dir.path(),
        "out",
        &["--input", &input, "--policy", &p, "--target", "fortios"],
    );
    let conf = fs::read_to_string(out.join("fortios/fortios.conf")).unwrap();
    // Outbound: from the local side to Azure; a rule's own interface wins.
    assert!(
        conf.contains("set srcintf \"internal\"\n        set dstintf \"wan1\" \"wan2\"\n"),
        "{conf}"
    );
    assert!(conf.contains("set srcintf \"port2\""), "{conf}");
    // Inbound: from Azure.
    assert!(conf.contains("set srcintf \"wan1\" \"wan2\"\n"), "{conf}");
    assert!(!conf.contains("\"any\"\n        set dstintf"), "{conf}");
    refused(
        dir.path(),
        &format!("{RICH_POLICY}\n[targets.panos]\nto_interfaces = [\"wan1\"]\n"),
        "only fortios has interfaces",
    );
}

#[test]
fn golden_asa_bound() {
    golden_of(
        Some(&format!(
            "{RICH_POLICY}\n[targets.cisco-asa]\nbind_outbound = {{ interface = \"inside\" }}\n\
             bind_inbound = {{ interface = \"outside\" }}\nunmatched = \"deny\"\n"
        )),
        "bound",
        &["cisco-asa"],
    );
}

/// ASA lists bound as the policy says, each ending in the entry its
/// `unmatched` names, which the delta keeps last; no binding without
/// `unmatched`, and none where a target has no access lists.
#[test]
fn asa_binds_the_lists_the_policy_names_and_their_last_entry_stays_last() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = synthetic(dir.path());
    let body = format!(
        "{SYNTHETIC_POLICY}\n[[rule]]\nname = \"Late\"\ntags = [\"New\"]\npriority = 105\n\n\
         [targets.cisco-asa]\nbind_outbound = {{ interface = \"inside\" }}\n\
         bind_inbound = {{ interface = \"outside\", direction = \"in\" }}\nunmatched = \"deny\"\n"
    );
    let policy = policy_file(dir.path(), &body);
    let p = policy.to_string_lossy().into_owned();
    let extra = ["--policy".to_string(), p.clone()];
    check_delta(dir.path(), &old, &new, &extra, &["cisco-asa"]);
    let old_out = build(
        dir.path(),
        "o",
        &[
            "--policy",
            &p,
            "--target",
            "cisco-asa",
            "--input",
            old.to_str().unwrap(),
        ],
    );
    let new_out = build(
        dir.path(),
        "n",
        &[
            "--policy",
            &p,
            "--target",
            "cisco-asa",
            "--input",
            new.to_str().unwrap(),
            "--previous",
            old.to_str().unwrap(),
        ],
    );
    let mut applied = state_of("cisco-asa", &files(&old_out, "cisco-asa"));
    let new_files = files(&new_out, "cisco-asa");
    apply_all(
        "cisco-asa",
        &mut applied,
        &new_files,
        delta_files("cisco-asa"),
    );
    let bindings: Vec<(&str, &str)> = applied
        .bindings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        bindings,
        [
            ("in inside", "tagwall-outbound"),
            ("in outside", "tagwall-inbound")
        ]
    );
    for acl in ["tagwall-outbound", "tagwall-inbound"] {
        let list = &applied.policies[acl];
        assert_eq!(list.last().unwrap().0, "extended deny ip any any", "{acl}");
        assert_eq!(
            list.iter()
                .filter(|(l, _)| l.ends_with("ip any any"))
                .count(),
            1,
            "{acl}"
        );
    }
    // The new rule's entries went in at the end of tagwall's, before the
    // last entry.
    let out = &applied.policies["tagwall-outbound"];
    let late = out
        .iter()
        .position(|(l, _)| l.contains("Late"))
        .expect("Late's remark");
    assert!(late > 0 && late < out.len() - 1);
    let config = &new_files["asa.cfg"];
    assert!(
        config.contains("inside that no entry above it permits."),
        "{config}"
    );
    assert!(!config.contains("that no interface uses yet"), "{config}");

    // unmatched = "permit" writes a last permit.
    let permit = policy_file(
        dir.path(),
        &body.replace("unmatched = \"deny\"", "unmatched = \"permit\""),
    );
    let out = build(
        dir.path(),
        "permit",
        &[
            "--policy",
            permit.to_str().unwrap(),
            "--target",
            "cisco-asa",
            "--input",
            new.to_str().unwrap(),
        ],
    );
    let config = fs::read_to_string(out.join("cisco-asa/asa.cfg")).unwrap();
    assert!(
        config.contains("access-list tagwall-outbound extended permit ip any any\naccess-group tagwall-outbound in interface inside\n"),
        "{config}"
    );

    // Refused: no unmatched, unmatched alone, one interface direction twice,
    // another target, objects_only, a name the device cannot take.
    for (table, want) in [
        (
            "[targets.cisco-asa]\nbind_outbound = { interface = \"inside\" }",
            "say what the bound list does",
        ),
        (
            "[targets.cisco-asa]\nunmatched = \"deny\"",
            "only a bound list has one",
        ),
        (
            "[targets.cisco-asa]\nbind_outbound = { interface = \"inside\" }\nbind_inbound = { interface = \"inside\" }\nunmatched = \"permit\"",
            "inside in is bound already",
        ),
        (
            "[targets.junos]\nbind_outbound = { interface = \"inside\" }",
            "only cisco-asa binds",
        ),
        (
            "[targets.cisco-asa]\nobjects_only = true\nbind_outbound = { interface = \"inside\" }\nunmatched = \"deny\"",
            "objects_only writes no access list",
        ),
        (
            "[targets.cisco-asa]\nbind_outbound = { interface = \"in side\" }\nunmatched = \"deny\"",
            "interface \"in side\" must be",
        ),
        (
            "[targets.cisco-asa]\nbind_outbound = { interface = \"inside\", direction = \"up\" }\nunmatched = \"deny\"",
            "direction",
        ),
    ] {
        refused(dir.path(), &format!("{RICH_POLICY}\n{table}\n"), want);
    }
    // A list no rule fills cannot be bound.
    let outbound_only = policy_file(
        dir.path(),
        &format!(
            "{}\n[targets.cisco-asa]\nbind_inbound = {{ interface = \"outside\" }}\nunmatched = \"deny\"\n",
            include_str!("../src/default_policy.toml")
                .replace("direction = \"both\"", "direction = \"outbound\"")
        ),
    );
    let o = run(
        dir.path(),
        &[
            "build",
            "--policy",
            outbound_only.to_str().unwrap(),
            "--out",
            "bad",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o).1);
    assert!(text(&o).1.contains("no rule is inbound"), "{}", text(&o).1);
}

/// A full RouterOS import replaces each filter rule where it stands: rules
/// the admin moved above their own drop rule stay there, in order, and a
/// second import of the same file changes nothing.
#[test]
fn mikrotik_full_import_keeps_the_rules_where_they_were_moved() {
    let dir = tempfile::tempdir().unwrap();
    let p = policy_file(dir.path(), RICH_POLICY);
    let p = p.to_str().unwrap();
    let old_in = fixture("public_20250804.json");
    let new_in = fixture("public_20250811.json");
    let old = build(
        dir.path(),
        "old",
        &[
            "--policy",
            p,
            "--target",
            "mikrotik",
            "--input",
            old_in.to_str().unwrap(),
        ],
    );
    let new = build(
        dir.path(),
        "new",
        &[
            "--policy",
            p,
            "--target",
            "mikrotik",
            "--input",
            new_in.to_str().unwrap(),
        ],
    );
    let drop = ("drop-all".to_string(), sim::Attrs::new());
    let mut state = State::default();
    state
        .policies
        .insert("ip forward".into(), vec![drop.clone()]);
    apply_all(
        "mikrotik",
        &mut state,
        &files(&old, "mikrotik"),
        full_files("mikrotik"),
    );
    // The first import adds at the end; the admin moves the drop last.
    let chain = state.policies.get_mut("ip forward").unwrap();
    assert_eq!(chain[0].0, "drop-all");
    chain.rotate_left(1);
    let moved: Vec<String> = chain.iter().map(|(n, _)| n.clone()).collect();
    let new_files = files(&new, "mikrotik");
    apply_all("mikrotik", &mut state, &new_files, full_files("mikrotik"));
    let order: Vec<String> = state.policies["ip forward"]
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    assert_eq!(order, moved, "the rules stay above the drop rule, in order");
    // The rules are those of the new release, as a fresh import gives them.
    let fresh = state_of("mikrotik", &new_files);
    let mut ours = state.clone();
    ours.policies
        .get_mut("ip forward")
        .unwrap()
        .retain(|(n, _)| n != "drop-all");
    assert_eq!(ours.policies, fresh.policies);
    assert_eq!(ours.groups, fresh.groups);
    let again = {
        let mut s = state.clone();
        apply_all("mikrotik", &mut s, &new_files, full_files("mikrotik"));
        s
    };
    assert_eq!(again, state, "a second import changes nothing");
}

// ------------------------------------ Junos and FortiOS: options, placement

/// Junos global policies with logging, placed before the admin's policy.
const JUNOS_GLOBAL: &str = "\n[targets.junos]\nglobal = true\nfrom_zones = [\"lan\", \"dmz\"]\n\
                            log_start = true\nlog_end = true\nplacement = \"before\"\n\
                            placement_rule = \"admin-last\"\n";

/// FortiOS in a VDOM, logging all traffic, placed after the admin's policy.
const FORTIOS_VDOM: &str = "\n[targets.fortios]\nvdom = \"tenant1\"\nlogtraffic = \"all\"\n\
                            placement = \"after\"\nplacement_rule = \"5\"\n";

#[test]
fn golden_junos_global() {
    golden_of(
        Some(&format!("{RICH_POLICY}{JUNOS_GLOBAL}")),
        "global",
        &["junos"],
    );
}

#[test]
fn golden_fortios_vdom() {
    golden_of(
        Some(&format!("{RICH_POLICY}{FORTIOS_VDOM}")),
        "vdom",
        &["fortios"],
    );
}

/// The lists tagwall's policies go into on `target` with `options`.
fn lists_of(target: &str, options: &str) -> Vec<String> {
    match target {
        "fortios" => vec!["policy".into()],
        "mikrotik" => vec!["ip forward".into(), "ipv6 forward".into()],
        _ if options.contains("global = true") => vec!["global".into()],
        _ => vec!["trust>untrust".into(), "untrust>trust".into()],
    }
}

/// A device holding the admin's own two policies in every list tagwall
/// uses: `first` and `last` (FortiOS ids 5 and 7), in that order.
fn seeded(target: &str, options: &str) -> State {
    let mut s = State::default();
    let (names, attrs): ([&str; 2], Vec<(&str, &str)>) = match target {
        "fortios" => (
            ["5", "7"],
            vec![("srcaddr", "all"), ("dstaddr", "all"), ("action", "@deny")],
        ),
        "mikrotik" => (["admin-first", "admin-last"], vec![("action", "@drop")]),
        _ => (
            ["admin-first", "admin-last"],
            vec![
                ("source-address", "any"),
                ("destination-address", "any"),
                ("application", "any"),
                ("then", "@deny"),
            ],
        ),
    };
    for list in lists_of(target, options) {
        let policies = names
            .iter()
            .map(|n| {
                let a: sim::Attrs = attrs
                    .iter()
                    .map(|(k, v)| (k.to_string(), [v.to_string()].into()))
                    .collect();
                (n.to_string(), a)
            })
            .collect();
        s.policies.insert(list, policies);
    }
    if options.contains("vdom = ") {
        s.vdom = Some("tenant1".into());
    }
    s
}

/// The synthetic policy with a last rule that the new release creates, so
/// that a delta places a created policy with none of tagwall's after it.
fn synthetic_with_a_late_rule(options: &str) -> String {
    format!(
        "{SYNTHETIC_POLICY}\n[[rule]]\nname = \"Late\"\ntags = [\"New\"]\nfamily = \"ipv4\"\n\
         priority = 105\n{options}"
    )
}

/// The admin's policies keep their place and tagwall's sit between them, in
/// their own order, after the previous release's full configuration and the
/// delta as after the new full configuration; the delta moves only created
/// policies.
fn placement_holds(target: &str, options: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = synthetic(dir.path());
    let with = policy_file(dir.path(), &synthetic_with_a_late_rule(options));
    let extra = ["--policy".to_string(), with.to_string_lossy().into_owned()];
    check_delta_on(dir.path(), &old, &new, &extra, &[target], &|t| {
        seeded(t, options)
    });
    let new_files = files(&dir.path().join("new"), target);
    let mut applied = seeded(target, options);
    apply_all(
        target,
        &mut applied,
        &files(&dir.path().join("old"), target),
        full_files(target),
    );
    apply_all(target, &mut applied, &new_files, delta_files(target));
    // tagwall's own order: the same policy at the bottom of an empty device.
    let bottom: String = options
        .lines()
        .filter(|l| !l.starts_with("placement"))
        .map(|l| format!("{l}\n"))
        .collect();
    let plain = policy_file(dir.path(), &synthetic_with_a_late_rule(&bottom));
    let p = plain.to_string_lossy().into_owned();
    let n = new.to_string_lossy().into_owned();
    let mut args = vec!["--input", &n, "--policy", &p];
    args.extend(["--target", target]);
    let own = state_of(target, &files(&build(dir.path(), "plain", &args), target));
    let (first, last) = if target == "fortios" {
        ("5", "7")
    } else {
        ("admin-first", "admin-last")
    };
    for list in lists_of(target, options) {
        let got: Vec<&str> = applied.policies[&list]
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        let mut want = vec![first];
        want.extend(own.policies[&list].iter().map(|(n, _)| n.as_str()));
        want.push(last);
        assert_eq!(got, want, "{target} {list}: {options}");
        assert!(got.len() > 4, "{target} {list}: too few policies to tell");
    }
    // The delta creates policies, and moves no policy that exists already.
    let delta: String = delta_files(target)
        .iter()
        .map(|f| new_files[*f].as_str())
        .collect();
    let old_state = {
        let mut s = seeded(target, options);
        apply_all(
            target,
            &mut s,
            &files(&dir.path().join("old"), target),
            full_files(target),
        );
        s
    };
    let existed: BTreeSet<&str> = old_state
        .policies
        .values()
        .flatten()
        .map(|(n, _)| n.as_str())
        .collect();
    let moved: Vec<&str> = delta
        .lines()
        .filter_map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            match t.as_slice() {
                ["move", p, ..] => Some(*p),
                ["insert", .., "policy", p, "before" | "after", "policy", _] => Some(*p),
                ["add", ..] if l.contains(" place-before=") => l
                    .split_once("comment=\"")
                    .and_then(|(_, c)| c.split_once('"'))
                    .map(|(c, _)| c),
                _ => None,
            }
        })
        .collect();
    assert!(!moved.is_empty(), "{target}: the delta moves nothing");
    for p in moved {
        assert!(
            !existed.contains(p),
            "{target}: the delta moves {p}, which existed"
        );
    }
}

#[test]
fn junos_placement_keeps_the_admins_policies_in_place() {
    for options in [
        JUNOS_GLOBAL.to_string(),
        JUNOS_GLOBAL.replace(
            "placement = \"before\"\nplacement_rule = \"admin-last\"",
            "placement = \"after\"\nplacement_rule = \"admin-first\"",
        ),
        "\n[targets.junos]\nplacement = \"after\"\nplacement_rule = \"admin-first\"\n".into(),
        "\n[targets.junos]\nplacement = \"before\"\nplacement_rule = \"admin-last\"\n".into(),
    ] {
        placement_holds("junos", &options);
    }
}

#[test]
fn mikrotik_placement_keeps_the_admins_rules_in_place() {
    placement_holds(
        "mikrotik",
        "\n[targets.mikrotik]\nplacement = \"before\"\nplacement_rule = \"admin-last\"\n",
    );
}

#[test]
fn fortios_placement_keeps_the_admins_policies_in_place() {
    for options in [
        FORTIOS_VDOM.to_string(),
        FORTIOS_VDOM.replace(
            "placement = \"after\"\nplacement_rule = \"5\"",
            "placement = \"before\"\nplacement_rule = \"7\"",
        ),
    ] {
        placement_holds("fortios", &options);
    }
}

#[test]
fn junos_and_fortios_options_reach_every_policy() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!("{RICH_POLICY}{JUNOS_GLOBAL}{FORTIOS_VDOM}");
    let p = policy_file(dir.path(), &body)
        .to_string_lossy()
        .into_owned();
    let extra = ["--policy".to_string(), p];
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    check_delta_on(
        dir.path(),
        &old,
        &new,
        &extra,
        &["junos", "fortios"],
        &|t| seeded(t, &body),
    );
    let out = dir.path().join("new");
    let mut junos = seeded("junos", &body);
    apply_all(
        "junos",
        &mut junos,
        &files(&out, "junos"),
        full_files("junos"),
    );
    let global = &junos.policies["global"];
    assert!(global.len() > 4, "{global:?}");
    for (name, attrs) in global {
        if name.starts_with("admin-") {
            continue;
        }
        let log: BTreeSet<String> = ["@session-init", "@session-close"].map(String::from).into();
        assert_eq!(attrs.get("log"), Some(&log), "{name}");
        let zones: BTreeSet<String> = ["@lan", "@dmz"].map(String::from).into();
        // Inbound, the remote group is the source and the local zones the
        // destination.
        let inbound = attrs["source-address"]
            .iter()
            .any(|a| junos.groups.contains_key(a));
        let local = if inbound { "to-zone" } else { "from-zone" };
        assert_eq!(attrs.get(local), Some(&zones), "{name}");
        let remote = if local == "to-zone" {
            "from-zone"
        } else {
            "to-zone"
        };
        assert!(attrs.get(remote).is_none(), "{name}: any zone has no match");
    }
    assert_eq!(junos.policies.len(), 1, "zone-pair policies written");
    let mut fortios = seeded("fortios", &body);
    apply_all(
        "fortios",
        &mut fortios,
        &files(&out, "fortios"),
        full_files("fortios"),
    );
    assert_eq!(fortios.vdom.as_deref(), Some("tenant1"));
    for (id, attrs) in &fortios.policies["policy"] {
        if id.len() > 1 {
            let all: BTreeSet<String> = ["@all".to_string()].into();
            assert_eq!(attrs.get("logtraffic"), Some(&all), "{id}");
        }
    }
    // The objects live in the VDOM: outside it, the device has none.
    let outside = std::panic::catch_unwind(|| {
        let mut s = seeded("fortios", &body);
        sim::apply(
            "fortios",
            &mut s,
            "config firewall policy\n    move 5 after 7\nend\n",
        );
    });
    assert!(
        outside.is_err(),
        "a statement outside the VDOM saw its objects"
    );
    // Placing next to a policy the device does not have fails, as on the
    // device.
    let missing = std::panic::catch_unwind(|| {
        let mut s = State::default();
        apply_all("junos", &mut s, &files(&out, "junos"), full_files("junos"));
    });
    assert!(missing.is_err(), "insert before a missing policy applied");
}

#[test]
fn junos_and_fortios_options_are_refused_where_they_do_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    for (table, want) in [
        (
            "[targets.junos]\nplacement = \"top\"",
            "[targets.junos] placement = \"top\": Junos places a policy before or after",
        ),
        (
            "[targets.fortios]\nplacement = \"top\"",
            "[targets.fortios] placement = \"top\": FortiOS places a policy before or after",
        ),
        (
            "[targets.fortios]\nplacement = \"before\"",
            "[targets.fortios] placement = \"before\" needs placement_rule",
        ),
        (
            "[targets.junos]\nplacement = \"after\"",
            "[targets.junos] placement = \"after\" needs placement_rule",
        ),
        (
            "[targets.fortios]\nplacement = \"before\"\nplacement_rule = \"deny-all\"",
            "[targets.fortios] placement_rule \"deny-all\" is not a FortiOS policy id",
        ),
        (
            "[targets.fortios]\nplacement = \"before\"\nplacement_rule = \"0\"",
            "placement_rule \"0\" is not a FortiOS policy id",
        ),
        (
            "[targets.junos]\nplacement_rule = \"x\"",
            "[targets.junos] placement_rule is for placement = \"before\" or \"after\"",
        ),
        (
            "[targets.junos]\nplacement = \"before\"\nplacement_rule = \"a b\"",
            "[targets.junos] placement_rule \"a b\" must be",
        ),
        (
            "[targets.cisco-asa]\nplacement = \"bottom\"",
            "[targets.cisco-asa] placement: only fortios, junos",
        ),
        (
            "[targets.panos]\nglobal = true",
            "[targets.panos] global: only junos has global policies",
        ),
        (
            "[targets.junos]\nvdom = \"root\"",
            "[targets.junos] vdom: only fortios takes vdom",
        ),
        (
            "[targets.mikrotik]\nlogtraffic = \"all\"",
            "[targets.mikrotik] logtraffic: only fortios takes logtraffic",
        ),
        (
            "[targets.fortios]\nlog_start = true",
            "[targets.fortios] log_start: only junos and panos take log_start and log_end",
        ),
        (
            "[targets.fortios]\nvdom = \"much-too-long\"",
            "[targets.fortios] vdom \"much-too-long\" must be 1 to 11",
        ),
        (
            "[targets.fortios]\nvdom = \"a b\"",
            "[targets.fortios] vdom \"a b\" must be",
        ),
        ("[targets.fortios]\nlogtraffic = \"some\"", "logtraffic"),
        (
            "[targets.fortios]\nlogtraffic = \"some\"",
            "unknown variant `some`",
        ),
        (
            "[targets.junos]\nfrom_zones = [\"a\", \"b\"]",
            "global = true matches several",
        ),
        (
            "[targets.junos]\nglobal = true\nfrom_zones = []",
            "[targets.junos] from_zones: give at least one zone",
        ),
    ] {
        refused(dir.path(), &format!("{RICH_POLICY}\n{table}\n"), want);
    }
}

// ------------------------------------------------------- PAN-OS placement

/// The rich policy's PAN-OS rules, in its order.
const RICH_PANOS_RULES: [&str; 7] = [
    "Web",
    "Web-in",
    "Dns",
    "Ping",
    "BlockGermany",
    "Mcr_Regions",
    "AllTcp",
];

/// The rich policy with `[targets.panos]` set to `table`.
fn panos_policy(table: &str) -> String {
    format!("{RICH_POLICY}\n[targets.panos]\n{table}\n")
}

#[test]
fn golden_panos_placed() {
    let body = panos_policy(
        "log_setting = \"Azure Logs\"\nlog_end = true\nplacement = \"before\"\n\
         placement_rule = \"Deny All\"",
    );
    golden_of(Some(&body), "placed", &["panos"]);
}

#[test]
fn golden_panos_panorama() {
    let body = panos_policy(
        "device_group = \"Azure-Hub\"\nrulebase = \"post\"\nplacement = \"top\"\nlog_start = false",
    );
    golden_of(Some(&body), "panorama", &["panos"]);
}

/// An admin's own rule, as a device holds it.
fn admin_rule(name: &str) -> (String, sim::Attrs) {
    let attrs = [
        ("from", "any"),
        ("to", "any"),
        ("source", "any"),
        ("destination", "any"),
        ("application", "any"),
        ("service", "any"),
        ("action", "deny"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), [v.to_string()].into()))
    .collect();
    (name.to_string(), attrs)
}

/// A device whose `scope` (empty: the firewall itself) holds the admin's
/// rules `rules` in `rulebase`, and the log forwarding profile `Azure Logs`.
fn panos_seeded(scope: &str, rulebase: &str, rules: &[&str]) -> State {
    let mut inner = State::default();
    inner.profiles.insert("Azure Logs".into());
    inner.policies.insert(
        rulebase.into(),
        rules.iter().map(|r| admin_rule(r)).collect(),
    );
    if scope.is_empty() {
        return inner;
    }
    let mut state = State::default();
    state.scopes.insert(scope.into(), inner);
    state
}

/// The names of the rules in `rulebase` of `scope`, in order.
fn rule_order(state: &State, scope: &str, rulebase: &str) -> Vec<String> {
    let inner = if scope.is_empty() {
        state
    } else {
        &state.scopes[scope]
    };
    inner.policies[rulebase]
        .iter()
        .map(|(n, _)| n.clone())
        .collect()
}

/// Build the rich policy with `table` for releases 20250804 and 20250811
/// (with `--previous`), apply the first full file and the delta to `seed`,
/// and return the device and the new files; old full + delta must equal new
/// full on the same device.
fn panos_week(dir: &Path, table: &str, seed: &State) -> (State, BTreeMap<String, String>) {
    let p = policy_file(dir, &panos_policy(table));
    let extra = ["--policy".to_string(), p.to_string_lossy().into_owned()];
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    check_delta_from(seed, dir, &old, &new, &extra, &["panos"]);
    let (old_files, new_files) = (
        files(&dir.join("old"), "panos"),
        files(&dir.join("new"), "panos"),
    );
    let mut device = state_from(seed, "panos", &old_files);
    apply_all("panos", &mut device, &new_files, delta_files("panos"));
    (device, new_files)
}

#[test]
fn panos_rules_land_in_place_in_a_vsys_and_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let scope = "vsys vsys2";
    let seed = panos_seeded(scope, "rulebase", &["Admin Allow", "Deny All"]);
    let table = "vsys = \"vsys2\"\nlog_setting = \"Azure Logs\"\nlog_start = false\nlog_end = true\n\
                 placement = \"before\"\nplacement_rule = \"Deny All\"";
    let (device, files) = panos_week(dir.path(), table, &seed);
    let mut want = vec!["Admin Allow".to_string()];
    want.extend(RICH_PANOS_RULES.map(String::from));
    want.push("Deny All".into());
    assert_eq!(rule_order(&device, scope, "rulebase"), want);
    // Everything went into the virtual system, nothing to the firewall's own.
    assert!(device.addresses.is_empty() && device.policies.is_empty());
    let inner = &device.scopes[scope];
    assert!(!inner.groups.is_empty() && !inner.services.is_empty());
    for (name, attrs) in &inner.policies["rulebase"] {
        let get = |k: &str| attrs.get(k).map(|v| v.iter().cloned().collect::<Vec<_>>());
        if name.starts_with("Admin") || name == "Deny All" {
            assert_eq!(get("log-setting"), None, "{name}");
            continue;
        }
        assert_eq!(
            get("log-setting"),
            Some(vec!["Azure Logs".into()]),
            "{name}"
        );
        assert_eq!(get("log-start"), Some(vec!["no".into()]), "{name}");
        assert_eq!(get("log-end"), Some(vec!["yes".into()]), "{name}");
    }
    let full = &files["panos.set"];
    assert!(
        full.contains("set vsys vsys2 rulebase security rules Web log-setting \"Azure Logs\"\n"),
        "{full}"
    );
    assert!(
        full.contains("move vsys vsys2 rulebase security rules AllTcp before \"Deny All\"\n"),
        "{full}"
    );
    assert!(full.lines().all(|l| l.starts_with("set vsys vsys2 ")
        || l.starts_with("move vsys vsys2 rulebase ")));
}

#[test]
fn panos_rules_go_to_the_top_of_a_device_group() {
    let dir = tempfile::tempdir().unwrap();
    let scope = "device-group Azure-Hub";
    let seed = panos_seeded(scope, "pre-rulebase", &["Deny All"]);
    let table = "device_group = \"Azure-Hub\"\nplacement = \"top\"";
    let (device, files) = panos_week(dir.path(), table, &seed);
    let mut want: Vec<String> = RICH_PANOS_RULES.map(String::from).into();
    want.push("Deny All".into());
    assert_eq!(rule_order(&device, scope, "pre-rulebase"), want);
    let full = &files["panos.set"];
    assert!(
        full.contains("move device-group Azure-Hub pre-rulebase security rules Web top\n"),
        "{full}"
    );
    assert!(
        full.contains("move device-group Azure-Hub pre-rulebase security rules Web-in after Web\n"),
        "{full}"
    );
    assert!(!full.contains("log-"), "{full}");
}

/// Rules that a delta creates are placed as the full file places them: a
/// new first rule before the next existing one, a new last rule after the
/// one before it, and a new rule with no other left where `placement` says.
#[test]
fn panos_delta_places_new_rules_like_the_full_file() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = synthetic(dir.path());
    let late = "\n[[rule]]\nname = \"Late\"\ntags = [\"New\"]\nprotocol = \"udp\"\nports = [123]\n\
                priority = 105\n";
    let cases = [
        // Fresh is new and first, Late new and last; Block goes.
        (
            format!("{SYNTHETIC_POLICY}{late}"),
            "placement = \"top\"",
            vec!["Admin A"],
            vec!["Fresh", "Web", "Web-in", "Dns", "Ping", "Late", "Admin A"],
        ),
        (
            format!("{SYNTHETIC_POLICY}{late}"),
            "placement = \"before\"\nplacement_rule = \"Admin B\"",
            vec!["Admin A", "Admin B"],
            vec![
                "Admin A", "Fresh", "Web", "Web-in", "Dns", "Ping", "Late", "Admin B",
            ],
        ),
        // Block is all the old release has, Fresh all the new one has.
        (
            SYNTHETIC_POLICY
                .split("[[rule]]")
                .enumerate()
                .filter(|(i, _)| [0, 1, 5].contains(i))
                .map(|(_, r)| r)
                .collect::<Vec<_>>()
                .join("[[rule]]"),
            "placement = \"after\"\nplacement_rule = \"Admin A\"",
            vec!["Admin A", "Admin B"],
            vec!["Admin A", "Fresh", "Admin B"],
        ),
    ];
    for (i, (body, table, admin, want)) in cases.into_iter().enumerate() {
        let sub = dir.path().join(format!("case{i}"));
        fs::create_dir_all(&sub).unwrap();
        let p = policy_file(&sub, &format!("{body}\n[targets.panos]\n{table}\n"));
        let extra = ["--policy".to_string(), p.to_string_lossy().into_owned()];
        let seed = panos_seeded("", "rulebase", &admin);
        check_delta_from(&seed, &sub, &old, &new, &extra, &["panos"]);
        let mut device = state_from(&seed, "panos", &files(&sub.join("old"), "panos"));
        let new_files = files(&sub.join("new"), "panos");
        apply_all("panos", &mut device, &new_files, delta_files("panos"));
        assert_eq!(rule_order(&device, "", "rulebase"), want, "{table}");
        assert!(new_files["panos-delta.set"].contains("move rulebase security rules Fresh "));
    }
}

#[test]
fn the_simulated_firewall_refuses_a_move_relative_to_a_missing_rule() {
    let mut state = panos_seeded("", "rulebase", &["Admin A"]);
    let moved = std::panic::catch_unwind(move || {
        sim::panos(
            &mut state,
            "move rulebase security rules Admin A before Nowhere\n",
        )
    });
    assert!(moved.is_err());
}

#[test]
fn panos_settings_are_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (table, want) in [
        (
            "[targets.panos]\nplacement_rule = \"Deny All\"",
            "placement_rule: only placement = \"before\" or \"after\"",
        ),
        (
            "[targets.panos]\nplacement = \"top\"\nplacement_rule = \"Deny All\"",
            "placement_rule: only placement",
        ),
        (
            "[targets.panos]\nplacement = \"before\"",
            "placement: \"before\" needs placement_rule",
        ),
        (
            "[targets.panos]\nplacement = \"middle\"",
            "unknown variant `middle`",
        ),
        (
            "[targets.panos]\nrulebase = \"post\"",
            "rulebase: pre and post rulebases are Panorama's",
        ),
        (
            "[targets.panos]\nvsys = \"vsys2\"\ndevice_group = \"DG\"",
            "vsys: give vsys (a firewall) or device_group (Panorama), not both",
        ),
        (
            "[targets.panos]\nvsys = \"vsys0\"",
            "vsys: \"vsys0\" must be",
        ),
        (
            "[targets.panos]\nvsys = \"shared\"",
            "vsys: \"shared\" must be",
        ),
        (
            "[targets.panos]\ndevice_group = \"a-device-group-of-32-characters!\"",
            "device_group: \"a-device-group-of-32-characters!\" must be",
        ),
        (
            "[targets.panos]\ndevice_group = \"thirty-two-characters-long-group\"",
            "up to 30 letters",
        ),
        (
            "[targets.panos]\nlog_setting = \"Logs\\\"; delete\"",
            "log_setting: \"Logs\\\"; delete\" must be",
        ),
        (
            "[targets.panos]\nplacement = \"after\"\nplacement_rule = \"a;b\"",
            "placement_rule: \"a;b\" must be",
        ),
        (
            "[targets.panos]\nobjects_only = true\nlog_end = true",
            "log_end: objects_only writes no rule",
        ),
        (
            "[targets.junos]\nlog_setting = \"Logs\"",
            "[targets.junos] log_setting: only panos takes it",
        ),
        (
            "[targets.fortios]\nvsys = \"vsys2\"",
            "[targets.fortios] vsys: only panos takes it",
        ),
    ] {
        refused(dir.path(), &format!("{RICH_POLICY}\n{table}\n"), want);
    }
    // Placed around one of its own rules: the policy cannot say where.
    let own = policy_file(
        dir.path(),
        &panos_policy("placement = \"after\"\nplacement_rule = \"Web-in\""),
    );
    let o = run(
        dir.path(),
        &["build", "--policy", own.to_str().unwrap(), "--out", "own"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o).1);
    assert!(
        text(&o)
            .1
            .contains("placement_rule \"Web-in\" is one of the policy's own rules"),
        "{}",
        text(&o).1
    );
}

#[test]
fn golden_mikrotik_placed() {
    golden_of(
        Some(&format!(
            "{RICH_POLICY}\n[targets.mikrotik]\nplacement = \"before\"\nplacement_rule = \"drop all (lan)\"\n"
        )),
        "placed",
        &["mikrotik"],
    );
}

#[test]
fn mikrotik_placement_is_refused_where_routeros_cannot_place() {
    let dir = tempfile::tempdir().unwrap();
    for (table, want) in [
        (
            "placement = \"top\"",
            "RouterOS places a rule before another",
        ),
        (
            "placement = \"after\"\nplacement_rule = \"x\"",
            "RouterOS places a rule before another",
        ),
        ("placement = \"before\"", "needs placement_rule"),
        (
            "placement_rule = \"x\"",
            "placement_rule is for placement = \"before\"",
        ),
        (
            "placement = \"before\"\nplacement_rule = \"say \\\"hi\\\"\"",
            "must be the comment",
        ),
        (
            "placement = \"before\"\nplacement_rule = \"$x\"",
            "must be the comment",
        ),
        (
            "placement = \"before\"\nplacement_rule = \"tagwall:Web-v4\"",
            "not starting with",
        ),
    ] {
        refused(
            dir.path(),
            &format!("{RICH_POLICY}\n[targets.mikrotik]\n{table}\n"),
            want,
        );
    }
}
