//! The `pfsense`, `checkpoint`, `azure-firewall` and `aws-prefix-list`
//! targets through the real binary: golden files, every prefix read back out
//! of each output and compared with the aggregated sets, deltas applied to the
//! previous output, limits, and hostile tag names (the scripts are run with
//! stand-in `mgmt_cli`, `az` and `aws` commands that only record their
//! arguments).

mod common;

use common::{fails, fixture, ok, read_tree};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use tagwall::render::{NameRules, TARGETS};

const MY_TARGETS: [&str; 4] = ["pfsense", "checkpoint", "azure-firewall", "aws-prefix-list"];

type Sets = BTreeMap<String, BTreeSet<String>>;

/// `tagwall build --out DIR ARGS --target plain` plus the given targets.
fn build(cwd: &Path, out: &str, args: &[&str], targets: &[&str]) -> PathBuf {
    let mut all = vec!["build", "--out", out, "--target", "plain"];
    for t in targets {
        all.extend(["--target", t]);
    }
    all.extend(args);
    ok(cwd, &all);
    cwd.join(out)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn names(target: &str) -> NameRules {
    TARGETS.iter().find(|t| t.name == target).unwrap().names
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn set(items: impl IntoIterator<Item = impl Into<String>>) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

// ---------------------------------------------------------------- pfSense

/// Alias -> prefixes, read from the URL-table files, checked against the
/// import files and aliases.xml.
fn pfsense_aliases(dir: &Path) -> Sets {
    let mut urltable = Sets::new();
    let mut import = Sets::new();
    for (rel, bytes) in read_tree(dir) {
        let text = String::from_utf8(bytes).unwrap();
        if let Some(name) = rel.strip_prefix("urltable/") {
            urltable.insert(
                name.trim_end_matches(".txt").into(),
                set(text.lines().map(str::to_string)),
            );
        } else if let Some(name) = rel.strip_prefix("import/") {
            import.insert(
                name.trim_end_matches(".txt").into(),
                set(text
                    .lines()
                    .map(|l| l.split(' ').next().unwrap().to_string())),
            );
        }
    }
    let xml = read(&dir.join("aliases.xml"));
    let mut from_xml = Sets::new();
    let mut name = String::new();
    for line in xml.lines().map(str::trim) {
        if let Some(n) = line.strip_prefix("<name>") {
            name = n.trim_end_matches("</name>").to_string();
        } else if let Some(a) = line.strip_prefix("<address>") {
            let a = a.trim_end_matches("</address>");
            from_xml.insert(name.clone(), set(a.split(' ').map(str::to_string)));
        }
    }
    assert_eq!(urltable, import, "import lists differ from URL tables");
    assert_eq!(urltable, from_xml, "aliases.xml differs from URL tables");
    for alias in urltable.keys() {
        assert!(
            alias.len() <= 31 && alias.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "bad alias name {alias:?}"
        );
    }
    urltable
}

fn pfsense_expected(want: &BTreeMap<String, [BTreeSet<String>; 2]>) -> Sets {
    let rules = names("pfsense");
    let mut out = Sets::new();
    for (rule, fams) in want {
        for (short, prefixes) in ["v4", "v6"].iter().zip(fams) {
            if !prefixes.is_empty() {
                out.insert(rules.map(rule, Some(short)), prefixes.clone());
            }
        }
    }
    out
}

// ------------------------------------------------------------- Check Point

/// Object name -> prefix, from the network and host CSV batches `networks`
/// and `hosts`; and group -> prefixes from groups.csv and members.csv when
/// `groups_too`.
fn checkpoint_parse(
    dir: &Path,
    networks: &str,
    hosts: &str,
    groups_too: bool,
) -> (BTreeMap<String, String>, Sets) {
    let rows = |file: &str, header: &str| -> Vec<Vec<String>> {
        let text = read(&dir.join(file));
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(header), "{file}");
        let cols = header.split(',').count();
        lines
            .map(|l| {
                let f: Vec<String> = l.split(',').map(str::to_string).collect();
                assert_eq!(f.len(), cols, "{file}: {l:?}");
                f
            })
            .collect()
    };
    let mut objects = BTreeMap::new();
    for f in rows(networks, "name,subnet,mask-length,comments,ignore-warnings") {
        let p = format!("{}/{}", f[1], f[2]);
        assert_eq!(f[0], format!("tw_n_{}", p.replace([':', '/'], "_")));
        objects.insert(f[0].clone(), p);
    }
    for f in rows(hosts, "name,ip-address,comments,ignore-warnings") {
        let len = if f[1].contains(':') { 128 } else { 32 };
        assert_eq!(f[0], format!("tw_h_{}", f[1].replace(':', "_")));
        objects.insert(f[0].clone(), format!("{}/{len}", f[1]));
    }
    let mut groups = Sets::new();
    if groups_too {
        for f in rows("groups.csv", "name,comments") {
            groups.insert(f[0].clone(), BTreeSet::new());
        }
        for f in rows("members.csv", "name,members.add") {
            let p = objects
                .get(&f[1])
                .unwrap_or_else(|| panic!("no object {}", f[1]));
            groups.get_mut(&f[0]).unwrap().insert(p.clone());
        }
    }
    for name in objects.keys() {
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.'),
            "{name}"
        );
    }
    (objects, groups)
}

fn checkpoint_expected(want: &BTreeMap<String, [BTreeSet<String>; 2]>) -> Sets {
    let rules = names("checkpoint");
    want.iter()
        .map(|(rule, [v4, v6])| {
            (
                format!("tw_g_{}", rules.map(rule, None)),
                v4.union(v6).cloned().collect(),
            )
        })
        .collect()
}

// ---------------------------------------------------------- Azure Firewall

/// IP Group -> prefixes from the ARM template, checked against the az CLI script.
fn azfw_groups(dir: &Path) -> Sets {
    let arm = json_file(&dir.join("ipgroups.arm.json"));
    let mut groups = Sets::new();
    for r in arm["resources"].as_array().unwrap() {
        assert_eq!(r["type"], "Microsoft.Network/ipGroups");
        let name = r["name"].as_str().unwrap().to_string();
        let list: Vec<&str> = r["properties"]["ipAddresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(!list.is_empty() && list.len() <= 5000, "{name}");
        assert!(list.iter().all(|p| !p.contains(':')), "IPv6 in {name}");
        assert!(name.len() <= 80, "{name}");
        for v in r["tags"].as_object().unwrap().values() {
            let v = v.as_str().unwrap();
            assert!(v.len() <= 256 && !v.starts_with('['), "{v}");
        }
        groups.insert(name, set(list));
    }
    assert_eq!(
        azcli_groups(&read(&dir.join("ipgroups.azcli.sh")), "create"),
        groups
    );
    groups
}

/// Group -> addresses of every `az network ip-group VERB` in a script.
fn azcli_groups(script: &str, verb: &str) -> Sets {
    let mut out = Sets::new();
    let mut current: Option<(String, BTreeSet<String>)> = None;
    let mut in_list = false;
    for line in script.lines() {
        let t = line.trim();
        if t == format!("az network ip-group {verb} \\") {
            current = Some((String::new(), BTreeSet::new()));
        } else if let Some((name, list)) = current.as_mut() {
            if let Some(n) = t.strip_prefix("--name '") {
                *name = n.trim_end_matches(" \\").trim_end_matches('\'').to_string();
            } else if t == "--ip-addresses \\" {
                in_list = true;
            } else if t == "--output none" {
                in_list = false;
                let (n, l) = current.take().unwrap();
                out.insert(n, l);
            } else if in_list {
                list.insert(t.trim_end_matches(" \\").trim_matches('\'').to_string());
            }
        }
    }
    out
}

fn numbered_expected(
    target: &str,
    want: &BTreeMap<String, [BTreeSet<String>; 2]>,
    got: &Sets,
    families: &[usize],
) -> Sets {
    // Every object of a rule and family is named <rule>-v4-<n>; their union is
    // the family's set, and no object is left over.
    let rules = names(target);
    let mut union = Sets::new();
    let mut seen = BTreeSet::new();
    for (rule, fams) in want {
        for &i in families {
            let short = ["v4", "v6"][i];
            let mut all = BTreeSet::new();
            for n in 1.. {
                let name = rules.map(rule, Some(&format!("{short}-{n}")));
                match got.get(&name) {
                    Some(list) => {
                        all.extend(list.iter().cloned());
                        seen.insert(name);
                    }
                    None => break,
                }
            }
            if !fams[i].is_empty() || !all.is_empty() {
                union.insert(format!("{rule} {short}"), all);
            }
        }
    }
    let left: Vec<&String> = got.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(left.is_empty(), "objects of no rule: {left:?}");
    union
}

fn family_expected(want: &BTreeMap<String, [BTreeSet<String>; 2]>, families: &[usize]) -> Sets {
    let mut out = Sets::new();
    for (rule, fams) in want {
        for &i in families {
            if !fams[i].is_empty() {
                out.insert(format!("{rule} {}", ["v4", "v6"][i]), fams[i].clone());
            }
        }
    }
    out
}

// ----------------------------------------------------------------- AWS

/// Prefix list -> entries, from the create and add calls under `lists/`.
fn aws_lists(dir: &Path) -> Sets {
    let mut lists = Sets::new();
    let root = dir.join("lists");
    if !root.exists() {
        return lists;
    }
    for entry in fs::read_dir(&root).unwrap() {
        let list_dir = entry.unwrap().path();
        let name = list_dir.file_name().unwrap().to_str().unwrap().to_string();
        let (entries, max) = aws_replay(&list_dir, &name, &mut BTreeSet::new());
        assert!(
            entries.len() <= max && max <= 1000,
            "{name}: {} > {max}",
            entries.len()
        );
        lists.insert(name, entries);
    }
    lists
}

/// Apply the calls in `dir` (sorted by file name) to `entries`; returns the
/// entries and the list's MaxEntries (from the create call, when there is one).
fn aws_replay(dir: &Path, name: &str, entries: &mut BTreeSet<String>) -> (BTreeSet<String>, usize) {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut max = usize::MAX;
    for (i, f) in files.iter().enumerate() {
        let call = json_file(f);
        let cidrs = |key: &str| -> Vec<String> {
            call[key]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|e| e["Cidr"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        if call.get("PrefixListName").is_some() {
            assert_eq!(i, 0, "{}: create must come first", f.display());
            assert_eq!(call["PrefixListName"], name);
            let v6 = call["AddressFamily"] == "IPv6";
            let e = cidrs("Entries");
            assert!(!e.is_empty() && e.len() <= 100, "{}", f.display());
            assert!(e.iter().all(|c| c.contains(':') == v6));
            for d in call["Entries"].as_array().unwrap() {
                assert!(d["Description"].as_str().unwrap().len() <= 255);
            }
            max = call["MaxEntries"].as_u64().unwrap() as usize;
            entries.extend(e);
        } else {
            let (add, remove) = (cidrs("AddEntries"), cidrs("RemoveEntries"));
            assert!(add.len() <= 100 && remove.len() <= 100, "{}", f.display());
            assert!(!add.is_empty() || !remove.is_empty(), "{}", f.display());
            for r in remove {
                assert!(
                    entries.remove(&r),
                    "{}: removes {r}, not in the list",
                    f.display()
                );
            }
            for a in add {
                assert!(entries.insert(a.clone()), "{}: adds {a} twice", f.display());
            }
        }
    }
    (entries.clone(), max)
}

// ------------------------------------------------------------ all together

/// Check every target's output in `out` against the plain target's sets.
fn check_all(out: &Path, targets: &[&str]) {
    let want = common::plain_sets(out);
    for t in targets {
        let dir = out.join(t);
        match *t {
            "pfsense" => assert_eq!(pfsense_aliases(&dir), pfsense_expected(&want)),
            "checkpoint" => {
                let (objects, groups) = checkpoint_parse(&dir, "networks.csv", "hosts.csv", true);
                assert_eq!(groups, checkpoint_expected(&want));
                let used: BTreeSet<&String> = groups.values().flatten().collect();
                let all: BTreeSet<&String> = objects.values().collect();
                assert_eq!(used, all, "objects no group holds");
            }
            "azure-firewall" => {
                let got = azfw_groups(&dir);
                assert_eq!(
                    numbered_expected(t, &want, &got, &[0]),
                    family_expected(&want, &[0])
                );
            }
            "aws-prefix-list" => {
                let got = aws_lists(&dir);
                assert_eq!(
                    numbered_expected(t, &want, &got, &[0, 1]),
                    family_expected(&want, &[0, 1])
                );
            }
            other => panic!("{other}"),
        }
    }
}

#[test]
fn golden_full_and_delta_on_the_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let both = build(
        dir.path(),
        "both",
        &["--previous", s(&old), "--input", s(&new)],
        &MY_TARGETS,
    );
    let full = build(dir.path(), "full", &["--input", s(&new)], &MY_TARGETS);
    for t in MY_TARGETS {
        common::assert_golden(&both.join(t), t);
        // Without a previous release: the same files, less the delta ones.
        let with: BTreeMap<String, Vec<u8>> = read_tree(&both.join(t))
            .into_iter()
            .filter(|(k, _)| !k.contains("delta"))
            .collect();
        assert_eq!(read_tree(&full.join(t)), with, "{t}");
    }
}

#[test]
fn every_prefix_comes_back_out_default_policy_and_all_tags() {
    let dir = tempfile::tempdir().unwrap();
    for (i, input) in ["public_20250811.json", "gov_20250818.json"]
        .iter()
        .enumerate()
    {
        let f = fixture(input);
        let out = build(
            dir.path(),
            &format!("default{i}"),
            &["--input", s(&f), "--all-tags"],
            &MY_TARGETS,
        );
        check_all(&out, &MY_TARGETS);
    }
    let f = fixture("public_20250811.json");
    let out = build(dir.path(), "policy", &["--input", s(&f)], &MY_TARGETS);
    check_all(&out, &MY_TARGETS);
    // JSON and shell outputs parse.
    for t in MY_TARGETS {
        for (rel, bytes) in read_tree(&out.join(t)) {
            if rel.ends_with(".json") {
                serde_json::from_slice::<Value>(&bytes)
                    .unwrap_or_else(|e| panic!("{t}/{rel}: {e}"));
            }
            if rel.ends_with(".sh") {
                common::assert_shell_syntax(&out.join(t).join(&rel));
            }
        }
    }
}

#[test]
fn whole_bundled_release_fits_pfsense_and_checkpoint_and_is_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = build(
        dir.path(),
        "all",
        &["--all-tags"],
        &["pfsense", "checkpoint"],
    );
    check_all(&out, &["pfsense", "checkpoint"]);
    fails(
        dir.path(),
        &["build", "--all-tags", "--target", "azure-firewall"],
        3,
        "a firewall policy uses at most 200",
    );
    fails(
        dir.path(),
        &["build", "--all-tags", "--target", "aws-prefix-list"],
        3,
        "an AWS Region holds 100 by default",
    );
}

// ------------------------------------------------------- synthetic releases

/// A Service Tags file holding `tags` (name, prefixes) in a Public release.
fn release(path: &Path, change_number: u64, tags: &[(&str, Vec<String>)]) {
    let values: Vec<Value> = tags
        .iter()
        .map(|(name, prefixes)| {
            json!({
                "name": name, "id": name,
                "properties": {
                    "changeNumber": change_number, "region": "", "regionId": 0,
                    "platform": "Azure", "systemService": "", "addressPrefixes": prefixes,
                    "networkFeatures": ["API", "NSG", "UDR", "FW"]
                }
            })
        })
        .collect();
    let file = json!({"changeNumber": change_number, "cloud": "Public", "values": values});
    fs::write(path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
}

/// Non-adjacent /24s (even third octets never merge) and /48s, numeric order.
fn big(range: std::ops::Range<u32>, skip: std::ops::Range<u32>, extra: &[&str]) -> Vec<String> {
    let mut v4: Vec<ipnet::Ipv4Net> = range
        .clone()
        .filter(|i| !skip.contains(i))
        .map(|i| {
            format!("20.{}.{}.0/24", i / 128, (i % 128) * 2)
                .parse()
                .unwrap()
        })
        .collect();
    let mut v6: Vec<ipnet::Ipv6Net> = (0..1800u32)
        .filter(|i| !skip.contains(i))
        .map(|i| format!("2a01:111:{:x}::/48", i * 2).parse().unwrap())
        .collect();
    v6.push("2a01:111:ffff::1/128".parse().unwrap());
    for e in extra {
        match e.parse::<ipnet::IpNet>().unwrap() {
            ipnet::IpNet::V4(n) => v4.push(n),
            ipnet::IpNet::V6(n) => v6.push(n),
        }
    }
    v4.sort();
    v6.sort();
    v4.iter()
        .map(ToString::to_string)
        .chain(v6.iter().map(ToString::to_string))
        .collect()
}

/// Apply each target's delta to the output of the old release and compare
/// with the output of the new one.
fn check_deltas(old_out: &Path, new_out: &Path, delta_out: &Path) {
    // pfSense: "+ p" / "- p" per alias.
    let mut aliases = pfsense_aliases(&old_out.join("pfsense"));
    let text = read(&delta_out.join("pfsense/aliases.delta.txt"));
    let mut current = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("## alias ") {
            current = rest.split(' ').next().unwrap().to_string();
        } else if let Some(p) = line.strip_prefix("+ ") {
            assert!(aliases.entry(current.clone()).or_default().insert(p.into()));
        } else if let Some(p) = line.strip_prefix("- ") {
            assert!(
                aliases.get_mut(&current).unwrap().remove(p),
                "{current} {p}"
            );
        }
    }
    aliases.retain(|_, v| !v.is_empty());
    assert_eq!(
        aliases,
        pfsense_aliases(&new_out.join("pfsense")),
        "pfsense"
    );

    // Check Point: objects added and deleted, members added and removed.
    let cp = |d: &Path| checkpoint_parse(&d.join("checkpoint"), "networks.csv", "hosts.csv", true);
    let (mut objects, mut groups) = cp(old_out);
    let (new_objects, new_groups) = cp(new_out);
    let dd = delta_out.join("checkpoint");
    let (added, _) = checkpoint_parse(&dd, "delta-networks-add.csv", "delta-hosts-add.csv", false);
    for (k, v) in added {
        assert!(objects.insert(k, v).is_none());
    }
    let script = read(&dd.join("delta.sh"));
    for line in script.lines() {
        if let Some(g) = line.strip_prefix("api add group name '") {
            groups.insert(g.split('\'').next().unwrap().into(), BTreeSet::new());
        }
    }
    for (file, add) in [
        ("delta-members-add.csv", true),
        ("delta-members-remove.csv", false),
    ] {
        for row in read(&dd.join(file)).lines().skip(1) {
            let (g, m) = row.split_once(',').unwrap();
            let p = objects[m].clone();
            let members = groups.get_mut(g).unwrap();
            assert!(
                if add {
                    members.insert(p)
                } else {
                    members.remove(&p)
                },
                "{row}"
            );
        }
    }
    for line in script.lines() {
        if let Some(g) = line.strip_prefix("api delete group name '") {
            assert!(groups.remove(g.split('\'').next().unwrap()).is_some());
        }
    }
    for file in ["delta-networks-delete.csv", "delta-hosts-delete.csv"] {
        for name in read(&dd.join(file)).lines().skip(1) {
            assert!(objects.remove(name).is_some(), "{name}");
        }
    }
    assert_eq!(objects, new_objects, "checkpoint objects");
    assert_eq!(groups, new_groups, "checkpoint groups");

    // Azure Firewall: updates carry the whole new list and +/- comments.
    let mut ipgroups = azfw_groups(&old_out.join("azure-firewall"));
    let new_groups = azfw_groups(&new_out.join("azure-firewall"));
    let script = read(&delta_out.join("azure-firewall/ipgroups.delta.azcli.sh"));
    let updates = azcli_groups(&script, "update");
    let mut pending = (BTreeSet::new(), BTreeSet::new());
    for line in script.lines() {
        if let Some(p) = line.strip_prefix("#   + ") {
            pending.0.insert(p.to_string());
        } else if let Some(p) = line.strip_prefix("#   - ") {
            pending.1.insert(p.to_string());
        } else if let Some(n) = line.trim().strip_prefix("--name '") {
            let n = n.trim_end_matches(" \\").trim_end_matches('\'');
            if let Some(g) = ipgroups.get(n)
                && updates.contains_key(n)
            {
                let mut g = g.clone();
                g.extend(pending.0.iter().cloned());
                g.retain(|p| !pending.1.contains(p));
                assert_eq!(&g, &updates[n], "{n}: +/- comments");
            }
            pending = (BTreeSet::new(), BTreeSet::new());
        }
    }
    ipgroups.extend(updates);
    ipgroups.extend(azcli_groups(&script, "create"));
    for line in script.lines() {
        if let Some(n) = line.strip_prefix("echo \"tagwall: IP Group \"'") {
            let n = n.split('\'').next().unwrap();
            assert!(ipgroups.remove(n).is_some(), "{n}");
        }
    }
    assert_eq!(ipgroups, new_groups, "azure-firewall");

    // AWS: modify calls replayed on the old lists, new lists created.
    let mut lists = aws_lists(&old_out.join("aws-prefix-list"));
    let ad = delta_out.join("aws-prefix-list");
    let script = read(&ad.join("delta.sh"));
    if ad.join("delta/lists").exists() {
        for entry in fs::read_dir(ad.join("delta/lists")).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let mut entries = lists.get(&name).cloned().unwrap_or_default();
            aws_replay(&path, &name, &mut entries);
            lists.insert(name, entries);
        }
    }
    for line in script.lines() {
        if let Some(n) = line.strip_prefix("gone_list '") {
            assert!(lists.remove(n.trim_end_matches('\'')).is_some(), "{n}");
        }
    }
    assert_eq!(lists, aws_lists(&new_out.join("aws-prefix-list")), "aws");
}

#[test]
fn deltas_applied_to_the_previous_output_give_the_new_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // The real weekly change (one prefix added), and a made-up one with
    // removals in both families.
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let edited = p.join("edited_20250804.json");
    let text = read(&old)
        .replacen(
            "\"4.149.98.192/27\",",
            "\"4.149.98.192/27\", \"5.5.5.0/24\",",
            1,
        )
        .replacen("\"2603:1006:2000::/48\",", "", 1);
    assert_ne!(text, read(&old));
    fs::write(&edited, text).unwrap();
    for (i, prev) in [old, edited].iter().enumerate() {
        let o = build(p, &format!("o{i}"), &["--input", s(prev)], &MY_TARGETS);
        let n = build(p, &format!("n{i}"), &["--input", s(&new)], &MY_TARGETS);
        let d = build(
            p,
            &format!("d{i}"),
            &["--input", s(&new), "--previous", s(prev)],
            &MY_TARGETS,
        );
        check_deltas(&o, &n, &d);
    }
}

#[test]
fn long_lists_split_into_stable_numbered_objects() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let policy = p.join("big.toml");
    fs::write(
        &policy,
        "[[rule]]\nname = \"BigRule\"\ntags = [\"Big\"]\npriority = 100\n",
    )
    .unwrap();
    // The old release holds 3,000 more prefixes at the end; the new one drops
    // ten in the middle and gains two.
    let old = p.join("old.json");
    let new = p.join("new.json");
    release(&old, 1, &[("Big", big(0..15000, 0..0, &[]))]);
    release(
        &new,
        2,
        &[(
            "Big",
            big(0..12000, 5000..5010, &["20.250.0.0/24", "2a01:112::/48"]),
        )],
    );
    let o = build(
        p,
        "o",
        &["--policy", s(&policy), "--input", s(&old)],
        &MY_TARGETS,
    );
    let n = build(
        p,
        "n",
        &["--policy", s(&policy), "--input", s(&new)],
        &MY_TARGETS,
    );
    let d = build(
        p,
        "d",
        &[
            "--policy",
            s(&policy),
            "--input",
            s(&new),
            "--previous",
            s(&old),
        ],
        &MY_TARGETS,
    );
    check_all(&o, &MY_TARGETS);
    check_all(&n, &MY_TARGETS);
    check_deltas(&o, &n, &d);

    // Several IP Groups and prefix lists, most of them untouched by the change.
    let groups = azfw_groups(&n.join("azure-firewall"));
    assert!(groups.len() >= 3, "{:?}", groups.keys());
    let old_groups = azfw_groups(&o.join("azure-firewall"));
    let same = groups
        .iter()
        .filter(|(k, v)| old_groups.get(*k) == Some(*v))
        .count();
    assert!(same >= 1, "no IP Group kept its prefixes");
    let lists = aws_lists(&n.join("aws-prefix-list"));
    let old_lists = aws_lists(&o.join("aws-prefix-list"));
    let same = lists
        .iter()
        .filter(|(k, v)| old_lists.get(*k) == Some(*v))
        .count();
    assert!(
        lists.len() >= 10 && same * 2 >= lists.len(),
        "{same} of {} lists kept",
        lists.len()
    );
    let script = read(&d.join("aws-prefix-list/delta.sh"));
    assert!(script.contains("gone_list 'BigRule-v4-"), "{script}");
    // A host object for the /128.
    assert!(
        read(&n.join("checkpoint/hosts.csv")).contains("tw_h_2a01_111_ffff__1,2a01:111:ffff::1,")
    );
}

#[test]
fn pfsense_refuses_more_table_entries_than_half_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let input = p.join("big.json");
    release(&input, 1, &[("Big", big(0..12000, 0..0, &[]))]);
    let mut policy = String::new();
    for i in 0..17 {
        policy.push_str(&format!(
            "[[rule]]\nname = \"R{i}\"\ntags = [\"Big\"]\npriority = {}\n",
            100 + i
        ));
    }
    fs::write(p.join("p.toml"), policy).unwrap();
    fails(
        p,
        &[
            "build",
            "--input",
            s(&input),
            "--policy",
            "p.toml",
            "--target",
            "pfsense",
        ],
        3,
        "must fit in 200000",
    );
}

// ---------------------------------------------------------- hostile names

/// Tag names that try to run a command, close a quote, add a line or a
/// template expression; the last is at the model's 256-character limit.
fn hostile_names() -> Vec<String> {
    let mut v: Vec<String> = [
        "a'b\"c;$(touch PWNED)",
        "`touch PWNED` && rm -rf / ; echo {{x}} }}",
        "{{#each rules}}}}<script>&amp;</alias>--",
        "-x --yes \\ back\\nslash | tee PWNED",
        "SR1.Ünïcødé☃ '' \"\" ${IFS}",
        "[concat('x')] [resourceGroup()] ${HOME} %{y}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("{}$(touch PWNED)", "L".repeat(242)));
    v
}

/// Stand-in commands that record their arguments, NUL-separated, one call a line.
fn fakes(bin: &Path) {
    fs::create_dir_all(bin).unwrap();
    let common = "printf '%s\\0' \"$@\" >> \"$FAKE_LOG\"; printf '\\n' >> \"$FAKE_LOG\"\n";
    let scripts = [
        (
            "mgmt_cli",
            format!("#!/bin/sh\n{common}case \"$1 $2\" in 'show access-section') exit 1;; esac\n"),
        ),
        (
            "az",
            format!("#!/bin/sh\n{common}case \"$2\" in show) echo westeurope;; esac\n"),
        ),
        (
            "aws",
            format!(
                "#!/bin/sh\n{common}case \"$2\" in\n  create-managed-prefix-list) echo pl-1;;\n  describe-managed-prefix-lists)\n    case \"$*\" in\n      *--filters*)\n        for a in \"$@\"; do case \"$a\" in Name=prefix-list-name,Values=*) n=${{a#Name=prefix-list-name,Values=}};; esac; done\n        if [ -n \"$FAKE_EXISTING\" ] && grep -qxF -- \"$n\" \"$FAKE_EXISTING\"; then echo pl-1; fi;;\n      *) echo 'modify-complete 3 1000';;\n    esac;;\nesac\n"
            ),
        ),
    ];
    for (name, body) in scripts {
        let path = bin.join(name);
        fs::write(&path, body).unwrap();
        let mut perm = fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        fs::set_permissions(&path, perm).unwrap();
    }
}

/// Run `script` in its folder with the stand-ins first on PATH; the calls made.
fn run_script(script: &Path, bin: &Path, env: &[(&str, &str)]) -> Vec<Vec<String>> {
    let log = script.parent().unwrap().join("calls.log");
    let _ = fs::remove_file(&log);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(script)
        .current_dir(script.parent().unwrap())
        .env("PATH", path)
        .env("FAKE_LOG", &log)
        .env("HOME", script.parent().unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = fs::read_to_string(&log).unwrap_or_default();
    text.lines()
        .map(|l| {
            l.split('\0')
                .filter(|a| !a.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn hostile_tag_names_cannot_inject_break_quotes_or_add_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let hostile = hostile_names();
    let tags: Vec<(&str, Vec<String>)> = hostile
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                n.as_str(),
                vec![
                    format!("20.{i}.0.0/24"),
                    format!("20.{i}.9.7/32"),
                    format!("2a01:{:x}::/48", i + 1),
                ],
            )
        })
        .collect();
    let (old, new) = (p.join("old.json"), p.join("new.json"));
    release(&old, 1, &tags[1..]);
    let mut changed = tags.clone();
    changed[1].1.push("20.99.0.0/24".into());
    changed[1].1.sort();
    release(&new, 2, &changed[..tags.len() - 1]);
    let out = build(
        p,
        "out",
        &["--all-tags", "--input", s(&new), "--previous", s(&old)],
        &MY_TARGETS,
    );
    check_all(&out, &MY_TARGETS);
    // One tag is new, one is gone, one changed: the deltas still replay.
    let o = build(p, "o", &["--all-tags", "--input", s(&old)], &MY_TARGETS);
    let n = build(p, "n", &["--all-tags", "--input", s(&new)], &MY_TARGETS);
    check_deltas(&o, &n, &out);
    for t in MY_TARGETS {
        for (rel, bytes) in read_tree(&out.join(t)) {
            let text = String::from_utf8(bytes).unwrap();
            // File names are mapped names, never the tag names.
            assert!(
                rel.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c)),
                "{t}/{rel}"
            );
            if rel.ends_with(".json") {
                serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{t}/{rel}: {e}"));
            }
            if rel.ends_with(".csv") {
                for line in text.lines() {
                    assert!(
                        line.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_.,:- ".contains(c)),
                        "{t}/{rel}: {line:?}"
                    );
                }
            }
            if rel.contains("urltable/") || rel.contains("import/") {
                for line in text.lines() {
                    assert!(
                        line.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "_.:/ ".contains(c)),
                        "{t}/{rel}: {line:?}"
                    );
                }
            }
            // No line ends a quote early: every line outside comments has its
            // single quotes paired, or the whole file is JSON/XML.
            if rel.ends_with(".sh") {
                common::assert_shell_syntax(&out.join(t).join(&rel));
            }
        }
    }
    // aliases.xml: the hostile text only ever appears escaped.
    let xml = read(&out.join("pfsense/aliases.xml"));
    assert!(!xml.contains("<script>") && !xml.contains("</alias>--"));
    assert!(xml.contains("&lt;script&gt;&amp;amp;&lt;/alias&gt;--"));
    assert_eq!(
        xml.matches("<alias>").count(),
        xml.matches("</alias>").count()
    );
    for line in xml.lines().filter(|l| l.contains("<descr>")) {
        let inner = line
            .trim()
            .strip_prefix("<descr>")
            .unwrap()
            .strip_suffix("</descr>")
            .unwrap();
        assert!(!inner.contains(['<', '>', '"']), "{line}");
    }

    // Run every script with stand-in commands: nothing is created, and each
    // hostile name reaches the platform as one argument, byte for byte.
    let bin = p.join("bin");
    fakes(&bin);
    let cp = out.join("checkpoint");
    let mut calls = run_script(&cp.join("apply.sh"), &bin, &[("LAYER", "Network")]);
    calls.extend(run_script(
        &cp.join("delta.sh"),
        &bin,
        &[("LAYER", "Network")],
    ));
    let comments: Vec<&String> = calls
        .iter()
        .filter(|c| c.len() > 2 && c[0] == "add" && c[1] == "access-rule")
        .map(|c| &c[c.iter().position(|a| a == "comments").unwrap() + 1])
        .collect();
    for name in &hostile[..6] {
        assert!(
            comments.iter().any(|c| c.starts_with(&format!("{name}: "))),
            "{name}"
        );
    }
    for c in calls
        .iter()
        .filter(|c| c.len() > 3 && c[1] == "access-rule")
    {
        let name = &c[c.iter().position(|a| a == "name").unwrap() + 1];
        assert!(
            name.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.'),
            "{name}"
        );
    }
    for c in calls
        .iter()
        .filter(|c| c.len() > 3 && c[0] == "add" && c[1] == "group" && c[2] == "name")
    {
        assert!(c[3].starts_with("tw_g_") && c[3].len() <= 64, "{c:?}");
    }
    for row in read(&cp.join("groups.csv")).lines().skip(1) {
        let name = row.split(',').next().unwrap();
        assert!(name.starts_with("tw_g_") && name.len() <= 64, "{name}");
    }

    let az = out.join("azure-firewall");
    let mut calls = run_script(
        &az.join("ipgroups.azcli.sh"),
        &bin,
        &[("RESOURCE_GROUP", "rg")],
    );
    calls.extend(run_script(
        &az.join("ipgroups.delta.azcli.sh"),
        &bin,
        &[("RESOURCE_GROUP", "rg")],
    ));
    let creates: Vec<&Vec<String>> = calls
        .iter()
        .filter(|c| c.get(2).is_some_and(|v| v == "create" || v == "update"))
        .collect();
    assert!(creates.len() >= 7, "{calls:?}");
    for c in creates {
        let name = &c[c.iter().position(|a| a == "--name").unwrap() + 1];
        assert!(
            name.len() <= 80
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch)),
            "{name}"
        );
    }

    let aws = out.join("aws-prefix-list");
    let calls = run_script(&aws.join("apply.sh"), &bin, &[]);
    let created = calls
        .iter()
        .filter(|c| c.get(1).is_some_and(|v| v == "create-managed-prefix-list"))
        .count();
    assert_eq!(created, aws_lists(&aws).len());
    // The lists of the previous release exist: those the delta changes or reports gone.
    let script = read(&aws.join("delta.sh"));
    let existing: Vec<&str> = script
        .lines()
        .filter_map(|l| {
            l.strip_prefix("change_list '")
                .or(l.strip_prefix("gone_list '"))
        })
        .map(|l| l.split('\'').next().unwrap())
        .collect();
    assert!(existing.len() >= 2, "{script}");
    let file = p.join("existing.txt");
    fs::write(&file, existing.join("\n") + "\n").unwrap();
    let calls = run_script(&aws.join("delta.sh"), &bin, &[("FAKE_EXISTING", s(&file))]);
    assert!(
        calls
            .iter()
            .any(|c| c.get(1).is_some_and(|v| v == "create-managed-prefix-list"))
    );
    for c in calls
        .iter()
        .filter(|c| c.get(1).is_some_and(|v| v == "modify-managed-prefix-list"))
    {
        // The version comes from describe-managed-prefix-lists.
        assert_eq!(
            c[c.iter().position(|a| a == "--current-version").unwrap() + 1],
            "3"
        );
    }
    assert!(!p.join("PWNED").exists());
    for t in MY_TARGETS {
        assert!(!out.join(t).join("PWNED").exists(), "{t}");
    }
}

#[test]
fn a_name_aws_reserves_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let input = p.join("t.json");
    release(
        &input,
        1,
        &[("com.amazonaws.evil", vec!["20.1.0.0/24".into()])],
    );
    fails(
        p,
        &[
            "build",
            "--all-tags",
            "--input",
            s(&input),
            "--target",
            "aws-prefix-list",
        ],
        2,
        "reserved by AWS",
    );
}

#[test]
fn checkpoint_objects_only_writes_objects_and_no_rule() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let policy = p.join("policy.toml");
    let default = include_str!("../src/default_policy.toml");
    fs::write(
        &policy,
        format!("{default}\n[targets.checkpoint]\nobjects_only = true\n"),
    )
    .unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let out = build(
        p,
        "out",
        &[
            "--policy",
            s(&policy),
            "--previous",
            s(&old),
            "--input",
            s(&new),
        ],
        &["checkpoint"],
    );
    let cp = out.join("checkpoint");
    common::assert_golden(&cp, "checkpoint-objects-only");
    // The objects are those of the full output, to the byte.
    let full = build(
        p,
        "full",
        &["--previous", s(&old), "--input", s(&new)],
        &["checkpoint"],
    );
    for f in ["networks.csv", "hosts.csv", "groups.csv", "members.csv"] {
        assert_eq!(
            read(&cp.join(f)),
            read(&full.join("checkpoint").join(f)),
            "{f}"
        );
    }
    // Run without LAYER: no service, section or access rule is touched.
    let bin = p.join("bin");
    fakes(&bin);
    let mut calls = run_script(&cp.join("apply.sh"), &bin, &[]);
    calls.extend(run_script(&cp.join("delta.sh"), &bin, &[]));
    assert!(
        calls.iter().any(|c| c[..2] == ["add", "group"]),
        "{calls:?}"
    );
    assert!(calls.iter().any(|c| c[0] == "publish"), "{calls:?}");
    for c in &calls {
        assert!(
            !c.iter()
                .any(|a| a.contains("access") || a.contains("service")),
            "{c:?}"
        );
    }
    // Other targets' keys are refused.
    fs::write(
        &policy,
        format!("{default}\n[targets.checkpoint]\nfrom_zones = [\"a\"]\n"),
    )
    .unwrap();
    fails(p, &["build", "--policy", s(&policy)], 2, "from_zones");
}
