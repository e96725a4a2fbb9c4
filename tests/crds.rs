//! The Kubernetes network-policy targets (`calico`) through the real
//! binary: golden files; every object parsed as YAML and its spec validated
//! against the project's CRD schema (`tests/fixtures/crds/check.py`, with
//! PyYAML and jsonschema); every prefix read back out of the sets and
//! compared with the aggregated sets; the policy file unchanged by a release
//! that changes only addresses; hostile tag names; the whole bundled release.

mod common;

use common::{fails, fixture, ok, read_tree};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

type Families = [BTreeSet<String>; 2];

/// `tagwall build --out DIR ARGS --target plain --target TARGET`.
fn build(cwd: &Path, out: &str, args: &[&str], target: &str) -> PathBuf {
    let mut all = vec![
        "build", "--out", out, "--target", "plain", "--target", target,
    ];
    all.extend(args);
    ok(cwd, &all);
    cwd.join(out)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every object of the YAML files in `dir`, each checked against its CRD
/// schema by `check.py`; None (the test then returns) when Python, PyYAML
/// or jsonschema is missing here, which fails the test under CI.
fn objects(test: &str, dir: &Path) -> Option<Vec<Value>> {
    let files: Vec<PathBuf> = read_tree(dir)
        .into_keys()
        .filter(|f| f.ends_with(".yaml"))
        .map(|f| dir.join(f))
        .collect();
    assert!(!files.is_empty(), "no YAML in {}", dir.display());
    let script = common::root().join("tests/fixtures/crds/check.py");
    let out = match Command::new("python3").arg(&script).args(&files).output() {
        Ok(out) => out,
        Err(e) => {
            common::skip(test, &format!("python3 cannot run: {e}"));
            return None;
        }
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        common::skip(test, stderr.trim());
        return None;
    }
    assert!(out.status.success(), "check.py: {stderr}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not text: {v}"))
}

// ------------------------------------------------------------------ Calico

/// Checks the Calico objects of `out` against the aggregated sets, and
/// returns them: each rule's sets hold exactly its prefixes per family,
/// no set is over its limit, the sets and the policies are in their own
/// files, and every rule of every policy selects sets that exist.
fn check_calico(test: &str, out: &Path) -> Option<Vec<Value>> {
    let objects = objects(test, &out.join("calico"))?;
    let want = common::plain_sets(out);
    let mut got: BTreeMap<String, Families> = BTreeMap::new();
    let mut idents: BTreeMap<String, String> = BTreeMap::new();
    let sets = of_kind(&objects, "GlobalNetworkSet");
    for set in &sets {
        assert_eq!(set["file"], "networksets.yaml");
        let meta = &set["metadata"];
        let rule = text(&meta["annotations"]["tagwall.io/rule-name"]).to_string();
        let ident = text(&meta["labels"]["tagwall.io/rule"]).to_string();
        assert_eq!(meta["labels"]["app.kubernetes.io/managed-by"], "tagwall");
        let seen = idents.entry(ident.clone()).or_insert_with(|| rule.clone());
        assert_eq!(*seen, rule, "two rules share the label {ident}");
        let nets = set["spec"]["nets"].as_array().unwrap();
        assert!(!nets.is_empty() && nets.len() <= 5000, "{}", meta["name"]);
        let slot = usize::from(text(&meta["labels"]["tagwall.io/family"]) == "ipv6");
        let fams = got.entry(rule).or_default();
        for n in nets {
            let n = text(n);
            assert_eq!(n.contains(':'), slot == 1, "{n} in {}", meta["name"]);
            assert!(fams[slot].insert(n.to_string()), "{n} twice");
        }
    }
    let want: BTreeMap<String, Families> = want
        .into_iter()
        .filter(|(_, [v4, v6])| !(v4.is_empty() && v6.is_empty()))
        .collect();
    assert_eq!(got, want, "the sets differ from the aggregated prefixes");
    let labels: BTreeSet<String> = idents
        .keys()
        .map(|i| format!("tagwall.io/rule == '{i}'"))
        .collect();
    let policies: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] != "GlobalNetworkSet")
        .collect();
    assert!(!policies.is_empty());
    for p in policies {
        assert_eq!(p["file"], "policies.yaml");
        let mut selected = BTreeSet::new();
        for (dir, side) in [("egress", "destination"), ("ingress", "source")] {
            let rules = p["spec"][dir].as_array().cloned().unwrap_or_default();
            if rules.is_empty() {
                continue;
            }
            assert_eq!(rules.last().unwrap()["action"], "Pass", "{dir}");
            for r in &rules[..rules.len() - 1] {
                assert_eq!(r[side]["namespaceSelector"], "global()");
                let sel = text(&r[side]["selector"]).to_string();
                assert!(labels.contains(&sel), "{sel} selects no set");
                selected.insert(sel);
            }
        }
        assert_eq!(
            selected, labels,
            "every rule is in {}",
            p["metadata"]["name"]
        );
        assert!(p["bytes"].as_u64().unwrap() <= 1024 * 1024);
    }
    Some(objects)
}

#[test]
fn calico_golden_on_the_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let both = build(
        dir.path(),
        "both",
        &["--previous", s(&old), "--input", s(&new)],
        "calico",
    );
    common::assert_golden(&both.join("calico"), "calico");
    // A previous release changes nothing: the target writes no delta file.
    let full = build(dir.path(), "full", &["--input", s(&new)], "calico");
    assert_eq!(
        read_tree(&full.join("calico")),
        read_tree(&both.join("calico"))
    );
    check_calico("calico_golden_on_the_fixtures", &full);
}

#[test]
fn calico_sets_hold_every_prefix_default_policy_and_all_tags() {
    let dir = tempfile::tempdir().unwrap();
    for (i, input) in ["public_20250811.json", "gov_20250818.json"]
        .iter()
        .enumerate()
    {
        let f = fixture(input);
        for (j, args) in [vec!["--input", s(&f)], vec!["--input", s(&f), "--all-tags"]]
            .iter()
            .enumerate()
        {
            let out = build(dir.path(), &format!("o{i}{j}"), args, "calico");
            let test = "calico_sets_hold_every_prefix_default_policy_and_all_tags";
            if check_calico(test, &out).is_none() {
                return;
            }
        }
    }
}

#[test]
fn calico_policy_file_is_the_same_when_only_addresses_change() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let a = build(d, "a", &["--input", s(&old)], "calico");
    let b = build(d, "b", &["--input", s(&new)], "calico");
    let (pa, pb) = (
        fs::read(a.join("calico/policies.yaml")).unwrap(),
        fs::read(b.join("calico/policies.yaml")).unwrap(),
    );
    assert_ne!(
        fs::read(a.join("calico/networksets.yaml")).unwrap(),
        fs::read(b.join("calico/networksets.yaml")).unwrap(),
        "the fixtures differ in addresses"
    );
    assert_eq!(pa, pb, "policies.yaml changed with the addresses");
    // Neither file names the release.
    for f in ["policies.yaml", "networksets.yaml"] {
        let t = fs::read_to_string(b.join("calico").join(f)).unwrap();
        assert!(!t.contains("366") && !t.contains("public_20250811"), "{f}");
    }
}

/// A policy of every kind of rule: outbound and inbound, UDP with a port
/// range, ICMP, any protocol, a deny; and every `[targets.calico]` key.
const ALL_KINDS: &str = r#"
[[rule]]
name = "Tcp.Out"
tags = ["AzureActiveDirectory"]
priority = 300
ports = [443, "8000-8080"]

[[rule]]
name = "udp-in"
tags = ["AzureFrontDoor.FirstParty"]
priority = 200
direction = "inbound"
protocol = "udp"
ports = [53]

[[rule]]
name = "ping"
tags = ["MicrosoftContainerRegistry"]
priority = 250
direction = "both"
protocol = "icmp"
family = "ipv6"

[[rule]]
name = "deny-any"
tags = ["AzureResourceManager"]
priority = 100
protocol = "any"
action = "deny"
"#;

#[test]
fn calico_every_rule_kind_and_option_validates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = fixture("public_20250811.json");
    let cases = [
        (
            "ns",
            "[targets.calico]\nnamespaces = [\"azure-arc\", \"kube-system\"]\norder = 0\n",
        ),
        (
            "global",
            "[targets.calico]\nglobal = true\nselector = \"app == 'x' && !has(y)\"\ntier = \"security\"\norder = 100\n",
        ),
    ];
    for (name, options) in cases {
        let policy = d.join(format!("{name}.toml"));
        fs::write(&policy, format!("{ALL_KINDS}\n{options}")).unwrap();
        let out = build(
            d,
            name,
            &["--input", s(&input), "--policy", s(&policy)],
            "calico",
        );
        let Some(objects) = check_calico("calico_every_rule_kind_and_option_validates", &out)
        else {
            return;
        };
        let policies: Vec<&Value> = objects
            .iter()
            .filter(|o| o["kind"] != "GlobalNetworkSet")
            .collect();
        let spec = &policies[0]["spec"];
        let egress: Vec<(String, Value, Value)> = spec["egress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    text(&r["action"]).to_string(),
                    r["protocol"].clone(),
                    r["destination"]["ports"].clone(),
                )
            })
            .collect();
        // Priority order; ICMP for IPv6 as ICMPv6; the port range as Calico
        // writes one.
        assert_eq!(
            egress,
            [
                ("Deny".into(), Value::Null, Value::Null),
                ("Allow".into(), json!("ICMPv6"), Value::Null),
                ("Allow".into(), json!("TCP"), json!([443, "8000:8080"])),
                ("Pass".into(), Value::Null, Value::Null),
            ]
        );
        assert_eq!(spec["egress"][1]["ipVersion"], 6);
        let ingress = spec["ingress"].as_array().unwrap();
        assert_eq!(ingress[0]["protocol"], "UDP");
        assert_eq!(ingress[0]["destination"]["ports"], json!([53]));
        assert_eq!(
            ingress[0]["source"]["selector"],
            "tagwall.io/rule == 'udp-in'"
        );
        assert_eq!(spec["types"], json!(["Ingress", "Egress"]));
        if name == "global" {
            assert_eq!(policies.len(), 1);
            assert_eq!(policies[0]["kind"], "GlobalNetworkPolicy");
            assert_eq!(policies[0]["metadata"]["name"], "security.tagwall");
            assert_eq!(spec["tier"], "security");
            assert_eq!(spec["order"], 100);
            assert_eq!(spec["selector"], "app == 'x' && !has(y)");
        } else {
            let ns: Vec<&Value> = policies
                .iter()
                .map(|p| &p["metadata"]["namespace"])
                .collect();
            assert_eq!(ns, [&json!("azure-arc"), &json!("kube-system")]);
            assert_eq!(spec["order"], 0);
            assert_eq!(spec["selector"], "all()");
        }
    }
}

#[test]
fn calico_options_are_checked_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = fixture("public_20250811.json");
    let cases = [
        (
            "global = true\nnamespaces = [\"a\"]",
            "[targets.calico] namespaces is for NetworkPolicy",
        ),
        (
            "namespaces = [\"Azure_Arc\"]",
            "[targets.calico] namespace \"Azure_Arc\"",
        ),
        ("namespaces = []", "[targets.calico] namespaces is empty"),
        ("tier = \"a.b\"", "[targets.calico] tier \"a.b\""),
        ("selector = \"a\\nb\"", "[targets.calico] selector"),
        ("order = -1", "order"),
        ("colour = 1", "unknown field `colour`"),
    ];
    let rule = "[[rule]]\nname = \"A\"\ntags = [\"AzureActiveDirectory\"]\npriority = 100\n";
    for (i, (options, message)) in cases.iter().enumerate() {
        let p = d.join(format!("p{i}.toml"));
        fs::write(&p, format!("{rule}[targets.calico]\n{options}\n")).unwrap();
        fails(
            d,
            &[
                "build",
                "--input",
                s(&input),
                "--policy",
                s(&p),
                "--target",
                "calico",
            ],
            2,
            message,
        );
    }
}

#[test]
fn the_schema_check_refuses_what_the_api_server_would() {
    // The validator is live: an unknown field, a wrong type and a bad name
    // are each refused.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("calico");
    fs::create_dir_all(&d).unwrap();
    let bad = [
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: a\nspec:\n  nets: [\"1.2.3.0/24\"]\n  net: []\n",
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: a\nspec:\n  nets: \"1.2.3.0/24\"\n",
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: A_b\nspec:\n  nets: []\n",
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: a\nspec:\n  egress:\n    - action: Allow\n      destination:\n        selektor: x\n",
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: a\n  namespace: n\nspec:\n  egress:\n    - action: Allowed\n",
    ];
    let script = common::root().join("tests/fixtures/crds/check.py");
    for (i, text) in bad.iter().enumerate() {
        let f = d.join(format!("bad{i}.yaml"));
        fs::write(&f, text).unwrap();
        let Ok(out) = Command::new("python3").arg(&script).arg(&f).output() else {
            common::skip(
                "the_schema_check_refuses_what_the_api_server_would",
                "no python3",
            );
            return;
        };
        if out.status.code() == Some(3) {
            common::skip(
                "the_schema_check_refuses_what_the_api_server_would",
                String::from_utf8_lossy(&out.stderr).trim(),
            );
            return;
        }
        assert_eq!(out.status.code(), Some(1), "case {i} passed: {text}");
    }
}

// ---------------------------------------------------------- hostile names

/// A Service Tags file holding `tags` (name, prefixes) in a Public release.
fn release(path: &Path, tags: &[(String, Vec<String>)]) {
    let values: Vec<Value> = tags
        .iter()
        .map(|(name, prefixes)| {
            json!({
                "name": name, "id": name,
                "properties": {
                    "changeNumber": 1, "region": "", "regionId": 0,
                    "platform": "Azure", "systemService": "", "addressPrefixes": prefixes,
                    "networkFeatures": ["API", "NSG", "UDR", "FW"]
                }
            })
        })
        .collect();
    let file = json!({"changeNumber": 1, "cloud": "Public", "values": values});
    fs::write(path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
}

/// Tag names that close a quote, run a command, start a YAML comment,
/// anchor, alias, tag or mapping, or are as long as the model takes.
fn hostile_names() -> Vec<String> {
    let mut v: Vec<String> = [
        "a'b\"c;$(touch PWNED)",
        "`touch PWNED` && rm -rf / ; echo {{x}} }}",
        "- item: value # comment",
        "&anchor *alias !!python/object:os.system %YAML 1.2 @x",
        "\\\" \\n \\u0000 \\x00 back\\slash",
        "SR1.Ünïcødé☃ '' \"\" ${IFS}",
        "---",
        " leading and trailing ",
        "null",
        "true",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("{}$(touch PWNED)", "L".repeat(242)));
    v.push("é".repeat(256));
    v
}

#[test]
fn calico_hostile_tag_names_give_valid_yaml_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let tags: Vec<(String, Vec<String>)> = hostile_names()
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            (
                n,
                vec![format!("20.{i}.0.0/24"), format!("2a01:{:x}::/48", i + 1)],
            )
        })
        .collect();
    let input = p.join("hostile.json");
    release(&input, &tags);
    let out = build(p, "out", &["--all-tags", "--input", s(&input)], "calico");
    let Some(objects) = check_calico("calico_hostile_tag_names_give_valid_yaml_and_names", &out)
    else {
        return;
    };
    // Every name reaches the annotations as it is.
    let names: BTreeSet<&str> = of_kind(&objects, "GlobalNetworkSet")
        .iter()
        .map(|o| text(&o["metadata"]["annotations"]["tagwall.io/rule-name"]))
        .collect();
    for (n, _) in &tags {
        assert!(names.contains(n.as_str()), "{n:?} lost");
    }
    for f in ["networksets.yaml", "policies.yaml"] {
        let t = fs::read_to_string(out.join("calico").join(f)).unwrap();
        assert!(
            !t.contains('\u{202e}'),
            "{f}: an override character as it is"
        );
    }
    // Names the model refuses never reach a file: a NUL, a line break, a
    // right-to-left override, 300 characters.
    for (i, bad) in ["a\u{0}b", "a\nb", "a\u{202e}b", &"x".repeat(300)]
        .iter()
        .enumerate()
    {
        let f = p.join(format!("bad{i}.json"));
        release(&f, &[(bad.to_string(), vec!["20.0.0.0/24".into()])]);
        let o = format!("bad{i}");
        fails(
            p,
            &[
                "build",
                "--all-tags",
                "--input",
                s(&f),
                "--out",
                &o,
                "--target",
                "calico",
            ],
            2,
            "tag",
        );
        assert!(!p.join(&o).join("calico").exists());
    }
}

#[test]
fn calico_two_tags_that_would_share_a_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let input = p.join("twins.json");
    release(
        &input,
        &[
            ("Storage.EastUS".into(), vec!["20.0.0.0/24".into()]),
            ("storage.eastus".into(), vec!["20.1.0.0/24".into()]),
        ],
    );
    fails(
        p,
        &[
            "build",
            "--all-tags",
            "--input",
            s(&input),
            "--out",
            "o",
            "--target",
            "calico",
        ],
        2,
        "both map to the name \"storage-eastus\"",
    );
}

#[test]
fn calico_whole_bundled_release_is_refused_for_the_policy_weight() {
    // 2,967 tags make a policy of about 3,000 rules: stored with the copy
    // `kubectl apply` keeps, it would pass the object limit. Refused before
    // anything is written, never truncated.
    let dir = tempfile::tempdir().unwrap();
    fails(
        dir.path(),
        &["build", "--all-tags", "--out", "all", "--target", "calico"],
        3,
        "the Calico policy would weigh about",
    );
    assert!(!dir.path().join("all").exists());
}

#[test]
fn calico_a_long_list_is_split_within_the_set_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // 12,000 /24s that never merge (even third octets), and 6,000 /48s.
    let mut prefixes: Vec<String> = (0..12_000u32)
        .map(|i| {
            format!(
                "{}.{}.{}.0/24",
                20 + i / 32768,
                (i / 128) % 256,
                (i % 128) * 2
            )
        })
        .collect();
    prefixes.extend(
        (0..6000u32).map(|i| format!("2a01:{:x}:{:x}::/48", 1 + i / 4096, (i % 4096) * 2 + 2)),
    );
    let input = p.join("big.json");
    release(&input, &[("BigTag".into(), prefixes)]);
    let out = build(p, "out", &["--all-tags", "--input", s(&input)], "calico");
    let Some(objects) = check_calico("calico_a_long_list_is_split_within_the_set_limit", &out)
    else {
        return;
    };
    let sizes: Vec<(String, usize)> = of_kind(&objects, "GlobalNetworkSet")
        .iter()
        .map(|o| {
            let n = text(&o["metadata"]["name"]).to_string();
            (n, o["spec"]["nets"].as_array().unwrap().len())
        })
        .collect();
    let v4 = sizes.iter().filter(|(n, _)| n.contains("-v4-")).count();
    let v6 = sizes.iter().filter(|(n, _)| n.contains("-v6-")).count();
    assert!(v4 >= 3 && v6 >= 2, "{sizes:?}");
    assert_eq!(sizes.iter().map(|(_, c)| c).sum::<usize>(), 18_000);
}
