//! The `kubernetes` target through the real binary: golden files, every
//! rule's ipBlocks read back out of the parsed YAML and compared with the
//! aggregated sets, splitting of the whole bundled release within the limit,
//! the rules a NetworkPolicy cannot express, hostile names, and the files
//! checked against the Kubernetes 1.30 API schema by `kubernetes-validate`.

mod common;

use common::{fails, fixture, ok, read_tree};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use tagwall::render::TARGETS;

/// The Kubernetes version the files are validated against.
const KUBERNETES_VERSION: &str = "1.30.0";

/// Rule name -> [IPv4, IPv6] prefixes.
type Want = BTreeMap<String, [BTreeSet<String>; 2]>;

/// `tagwall build --out DIR ARGS --target plain --target kubernetes`.
fn build(cwd: &Path, out: &str, args: &[&str]) -> PathBuf {
    let mut all = vec![
        "build",
        "--out",
        out,
        "--target",
        "plain",
        "--target",
        "kubernetes",
    ];
    all.extend(args);
    ok(cwd, &all);
    cwd.join(out)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn max_ip_blocks() -> usize {
    let t = TARGETS.iter().find(|t| t.name == "kubernetes").unwrap();
    t.profile.group_members.unwrap()
}

/// Every document of a multi-document YAML file, parsed by a YAML parser.
fn documents(path: &Path) -> Vec<Value> {
    let text = fs::read_to_string(path).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

fn is_dns_label(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (1..=63).contains(&s.len())
        && edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The CIDRs of a list of peers (`to` or `from`).
fn cidrs(peers: &Value) -> Vec<String> {
    peers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p.as_object().unwrap().len(), 1, "{p}");
            p["ipBlock"]["cidr"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Checks every object of `kubernetes/networkpolicies.yaml` below `out`
/// (shape, names, labels, size) and returns, per namespace, each rule's
/// (IPv4, IPv6) prefixes, read from the egress and ingress peers.
fn read_policies(out: &Path) -> BTreeMap<String, Want> {
    let docs = documents(&out.join("kubernetes/networkpolicies.yaml"));
    assert!(!docs.is_empty());
    let max = max_ip_blocks();
    let mut got: BTreeMap<String, Want> = BTreeMap::new();
    let mut names = BTreeSet::new();
    for o in &docs {
        assert_eq!(o["apiVersion"], "networking.k8s.io/v1");
        assert_eq!(o["kind"], "NetworkPolicy");
        let meta = &o["metadata"];
        let name = meta["name"].as_str().unwrap();
        let ns = meta["namespace"].as_str().unwrap();
        assert!(is_dns_label(name), "{name:?}");
        assert!(is_dns_label(ns), "{ns:?}");
        assert!(names.insert((ns, name)), "{ns}/{name} twice");
        assert_eq!(meta["labels"]["app.kubernetes.io/managed-by"], "tagwall");
        let label = meta["labels"]["tagwall/rule"].as_str().unwrap();
        assert!(is_dns_label(label) && name.starts_with(label), "{label}");
        let rule = meta["annotations"]["tagwall/rule"].as_str().unwrap();
        let spec = &o["spec"];
        let types: Vec<&str> = spec["policyTypes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        let egress = spec.get("egress").map(|e| cidrs(&e[0]["to"]));
        let ingress = spec.get("ingress").map(|i| cidrs(&i[0]["from"]));
        assert_eq!(types.contains(&"Egress"), egress.is_some(), "{name}");
        assert_eq!(types.contains(&"Ingress"), ingress.is_some(), "{name}");
        if let (Some(e), Some(i)) = (&egress, &ingress) {
            assert_eq!(e, i, "{name}: both directions allow the same prefixes");
        }
        let blocks = egress.iter().chain(&ingress).map(Vec::len).sum::<usize>();
        assert!(blocks > 0 && blocks <= max, "{name}: {blocks} ipBlocks");
        // What kubectl apply sends, and copies into its annotation.
        let bytes = serde_json::to_string(o).unwrap().len();
        assert!(bytes < 128 * 1024, "{name}: {bytes} bytes");
        let sets = got
            .entry(ns.to_string())
            .or_default()
            .entry(rule.to_string())
            .or_default();
        for cidr in egress.or(ingress).unwrap() {
            let fresh = sets[usize::from(cidr.contains(':'))].insert(cidr.clone());
            assert!(fresh, "{name}: {cidr} in two parts");
        }
    }
    got
}

/// Every namespace's rules allow exactly the aggregated prefixes.
fn check_coverage(out: &Path, namespaces: &[&str]) -> usize {
    let want = common::plain_sets(out);
    let got = read_policies(out);
    let want_ns: BTreeSet<&str> = namespaces.iter().copied().collect();
    assert_eq!(
        got.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        want_ns
    );
    for (ns, rules) in &got {
        assert_eq!(rules, &want, "namespace {ns}");
    }
    documents(&out.join("kubernetes/networkpolicies.yaml")).len()
}

fn policy(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("policy.toml");
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn golden_files_on_the_fixtures_and_no_delta_file() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let both = build(
        dir.path(),
        "both",
        &["--previous", s(&old), "--input", s(&new)],
    );
    common::assert_golden(&both.join("kubernetes"), "kubernetes");
    // kubectl apply converges on the file: the same files without a
    // previous release.
    let full = build(dir.path(), "full", &["--input", s(&new)]);
    assert_eq!(
        read_tree(&full.join("kubernetes")),
        read_tree(&both.join("kubernetes"))
    );
    let kustomization = fs::read_to_string(both.join("kubernetes/kustomization.yaml")).unwrap();
    let k: Value = serde_yaml_ng::from_str(&kustomization).unwrap();
    assert_eq!(k["kind"], "Kustomization");
    assert_eq!(k["resources"], json!(["networkpolicies.yaml"]));
}

#[test]
fn every_rule_allows_exactly_its_aggregated_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("public_20250811.json");
    let out = build(dir.path(), "default", &["--input", s(&f)]);
    assert_eq!(check_coverage(&out, &["azure-arc"]), 4);
    let out = build(dir.path(), "all", &["--input", s(&f), "--all-tags"]);
    check_coverage(&out, &["azure-arc"]);
}

/// Options, directions, protocols and port ranges.
const OPTIONS_POLICY: &str = r#"
[[rule]]
name = "Entra.ID"
description = "a \"quoted\" $(description) `x` with: a colon"
tags = ["AzureActiveDirectory"]
priority = 100
ports = [443, "8000-8080"]

[[rule]]
name = "ACR_udp"
tags = ["MicrosoftContainerRegistry*"]
protocol = "udp"
priority = 101

[[rule]]
name = "FrontDoor"
tags = ["AzureFrontDoor.FirstParty"]
direction = "both"
protocol = "any"
priority = 102

[[rule]]
name = "ARM-in"
tags = ["AzureResourceManager"]
direction = "inbound"
priority = 103
ports = [443]

[targets.kubernetes]
namespaces = ["azure-arc", "kube-system"]
pod_selector = { "app.kubernetes.io/name" = "arc-agent", tier = "yes" }
name_prefix = "tw-"
"#;

#[test]
fn options_directions_protocols_and_ports() {
    let dir = tempfile::tempdir().unwrap();
    let p = policy(dir.path(), OPTIONS_POLICY);
    let f = fixture("public_20250811.json");
    let out = build(dir.path(), "out", &["--input", s(&f), "--policy", s(&p)]);
    assert_eq!(check_coverage(&out, &["azure-arc", "kube-system"]), 8);
    let docs = documents(&out.join("kubernetes/networkpolicies.yaml"));
    let by_name: BTreeMap<&str, &Value> = docs
        .iter()
        .filter(|d| d["metadata"]["namespace"] == "kube-system")
        .map(|d| (d["metadata"]["name"].as_str().unwrap(), d))
        .collect();
    assert_eq!(
        by_name.keys().copied().collect::<Vec<_>>(),
        ["tw-acr-udp", "tw-arm-in", "tw-entra-id", "tw-frontdoor"]
    );
    for d in &docs {
        assert_eq!(
            d["spec"]["podSelector"],
            json!({"matchLabels": {"app.kubernetes.io/name": "arc-agent", "tier": "yes"}})
        );
    }
    let entra = by_name["tw-entra-id"];
    assert_eq!(
        entra["metadata"]["annotations"]["tagwall/description"],
        "a \"quoted\" $(description) `x` with: a colon"
    );
    assert_eq!(entra["spec"]["policyTypes"], json!(["Egress"]));
    assert_eq!(
        entra["spec"]["egress"][0]["ports"],
        json!([{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 8000, "endPort": 8080}])
    );
    let acr = by_name["tw-acr-udp"];
    assert_eq!(
        acr["spec"]["egress"][0]["ports"],
        json!([{"protocol": "UDP"}])
    );
    let fd = by_name["tw-frontdoor"];
    assert_eq!(fd["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert!(fd["spec"]["egress"][0].get("ports").is_none());
    assert!(fd["spec"]["ingress"][0].get("ports").is_none());
    let arm = by_name["tw-arm-in"];
    assert_eq!(arm["spec"]["policyTypes"], json!(["Ingress"]));
    assert_eq!(
        arm["spec"]["ingress"][0]["ports"],
        json!([{"protocol": "TCP", "port": 443}])
    );
    validate(&[&out.join("kubernetes/networkpolicies.yaml")]);
}

#[test]
fn rules_a_network_policy_cannot_express_are_refused_or_skipped_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let f = fixture("public_20250811.json");
    let base = "[[rule]]\nname = \"AAD\"\ntags = [\"AzureActiveDirectory\"]\npriority = 100\n\
                [[rule]]\nname = \"Odd\"\ntags = [\"AzureFrontDoor.FirstParty\"]\npriority = 101\n";
    for (extra, why) in [
        ("action = \"deny\"\n", "a NetworkPolicy only allows traffic"),
        ("protocol = \"icmp\"\n", "cannot match ICMP"),
        (
            "local = { prefixes = [\"10.0.0.0/8\"] }\n",
            "its local side has prefixes",
        ),
    ] {
        let p = policy(d, &format!("{base}{extra}"));
        let args = [
            "build",
            "--input",
            s(&f),
            "--policy",
            s(&p),
            "--target",
            "kubernetes",
        ];
        let err = fails(d, &args, 3, why);
        assert!(err.contains("rule \"Odd\""), "{err}");
        assert!(err.contains("skip_rules = [\"Odd\"]"), "{err}");
        // The same policy, with the rule left out by name.
        let p = policy(
            d,
            &format!("{base}{extra}[targets.kubernetes]\nskip_rules = [\"Odd\"]\n"),
        );
        let out = d.join("skipped");
        let _ = fs::remove_dir_all(&out);
        ok(
            d,
            &[
                "build",
                "--input",
                s(&f),
                "--policy",
                s(&p),
                "--target",
                "kubernetes",
                "--out",
                s(&out),
            ],
        );
        let text = fs::read_to_string(out.join("kubernetes/networkpolicies.yaml")).unwrap();
        assert!(text.contains("# Left out ([targets.kubernetes] skip_rules):\n#   Odd: "));
        assert!(text.contains(why), "{text}");
        let docs = documents(&out.join("kubernetes/networkpolicies.yaml"));
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0]["metadata"]["annotations"]["tagwall/rule"], "AAD");
    }
    let p = policy(
        d,
        &format!("{base}[targets.kubernetes]\nskip_rules = [\"AAD\", \"Odd\"]\n"),
    );
    fails(
        d,
        &[
            "build",
            "--input",
            s(&f),
            "--policy",
            s(&p),
            "--target",
            "kubernetes",
        ],
        3,
        "there is no NetworkPolicy to write",
    );
}

#[test]
fn a_release_that_changes_no_address_changes_no_file() {
    // The two real releases differ in their changeNumber only.
    let dir = tempfile::tempdir().unwrap();
    let a = common::release("ServiceTags_Public_20250811.json");
    let b = common::release("ServiceTags_Public_20250818.json");
    let out_a = build(dir.path(), "a", &["--input", s(&a)]);
    let out_b = build(dir.path(), "b", &["--input", s(&b)]);
    assert_eq!(
        read_tree(&out_a.join("kubernetes")),
        read_tree(&out_b.join("kubernetes"))
    );
}

#[test]
fn the_whole_bundled_release_splits_into_parts_within_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = build(dir.path(), "all", &["--all-tags"]);
    let objects = check_coverage(&out, &["azure-arc"]);
    let docs = documents(&out.join("kubernetes/networkpolicies.yaml"));
    let split: Vec<&Value> = docs
        .iter()
        .filter(|d| d["metadata"]["annotations"]["tagwall/part"] != "1 of 1")
        .collect();
    assert!(split.len() > 10, "{} split objects", split.len());
    // AzureCloud is split, each part named <name>-<n>.
    let cloud: Vec<&str> = split
        .iter()
        .filter(|d| d["metadata"]["annotations"]["tagwall/rule"] == "AzureCloud")
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert!(cloud.len() > 1, "{cloud:?}");
    for (i, name) in cloud.iter().enumerate() {
        assert_eq!(*name, format!("tagwall-azurecloud-{}", i + 1));
    }
    let bytes = fs::metadata(out.join("kubernetes/networkpolicies.yaml"))
        .unwrap()
        .len();
    let largest = docs
        .iter()
        .map(|d| serde_json::to_string(d).unwrap().len())
        .max()
        .unwrap();
    let line = format!(
        "kubernetes --all-tags: {objects} objects, {} split, {bytes} bytes of YAML, largest \
         object {largest} bytes of JSON\n",
        split.len()
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    // The split objects against the API schema (all of them would take a
    // minute).
    let parts = dir.path().join("split.yaml");
    let text: Vec<String> = split
        .iter()
        .map(|d| serde_yaml_ng::to_string(d).unwrap())
        .collect();
    fs::write(&parts, text.join("---\n")).unwrap();
    validate(&[&parts]);
}

/// Tag names that try to close a quote, start a YAML construct, run a
/// command or a template; a noncharacter; the model's longest name.
fn hostile_names() -> Vec<String> {
    let mut v: Vec<String> = [
        "a'b\"c;$(touch PWNED)",
        "`touch PWNED` && rm -rf / ; echo {{x}} }}",
        "{{tool.name}}: &anchor *alias !!python/object [x] {y: z} # c",
        "- yes\\nno | > %TAG ! ---",
        "SR1.Ünïcødé☃ '' \"\" ${IFS}",
        "Non\u{FFFF}character\u{1F600}",
        "...",
        "Trailing.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("{}$(touch PWNED)", "L".repeat(242)));
    v.push(format!("{}-other", "L".repeat(250)));
    v
}

fn release(path: &Path, tags: &[(String, Vec<String>)]) {
    let values: Vec<Value> = tags
        .iter()
        .map(|(name, prefixes)| {
            json!({"name": name, "id": name, "properties": {"changeNumber": 1, "region": "",
                "regionId": 0, "platform": "Azure", "systemService": "",
                "addressPrefixes": prefixes, "networkFeatures": ["NSG"]}})
        })
        .collect();
    let file = json!({"changeNumber": 1, "cloud": "Public", "values": values});
    fs::write(path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
}

#[test]
fn hostile_tag_names_give_valid_yaml_and_valid_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
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
    let input = d.join("hostile.json");
    release(&input, &tags);
    let out = build(d, "out", &["--all-tags", "--input", s(&input)]);
    check_coverage(&out, &["azure-arc"]);
    let yaml = out.join("kubernetes/networkpolicies.yaml");
    let text = fs::read_to_string(&yaml).unwrap();
    assert!(text.is_ascii(), "every character outside ASCII is escaped");
    assert!(!text.contains("Bracetagwall") && !text.contains("{{tool.name}}: tagwall"));
    let docs = documents(&yaml);
    // The annotations read back as the exact tag names.
    let rules: BTreeSet<&str> = docs
        .iter()
        .map(|d| {
            d["metadata"]["annotations"]["tagwall/rule"]
                .as_str()
                .unwrap()
        })
        .collect();
    let names: BTreeSet<&str> = tags.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(rules, names);
    for d in &docs {
        let name = d["metadata"]["name"].as_str().unwrap();
        assert!(name.len() <= 63 && name.starts_with("tagwall-"), "{name}");
    }
    validate(&[&yaml]);
}

#[test]
fn two_rules_that_map_to_one_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("clash.json");
    release(
        &input,
        &[
            ("Storage.EastUS".into(), vec!["20.1.0.0/24".into()]),
            ("storage-eastus".into(), vec!["20.2.0.0/24".into()]),
        ],
    );
    fails(
        d,
        &[
            "build",
            "--all-tags",
            "--input",
            s(&input),
            "--target",
            "kubernetes",
        ],
        2,
        "both map to the name \"tagwall-storage-eastus\"",
    );
}

#[test]
fn the_default_output_passes_the_kubernetes_api_schema() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("public_20250811.json");
    let out = build(dir.path(), "out", &["--input", s(&f)]);
    validate(&[&out.join("kubernetes/networkpolicies.yaml")]);
}

/// `kubernetes-validate --strict` against [`KUBERNETES_VERSION`], offline:
/// every object must pass the API's schema, unknown fields refused. Where
/// the tool is not installed (`.ci/run` installs it) the check is skipped,
/// visibly, and fails under CI.
fn validate(files: &[&Path]) {
    let found = std::process::Command::new("kubernetes-validate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        common::skip(
            "kubernetes-validate",
            "the kubernetes-validate command is not installed (pip install kubernetes-validate)",
        );
        return;
    }
    let out = std::process::Command::new("kubernetes-validate")
        .args(["--strict", "--quiet", "-k", KUBERNETES_VERSION])
        .args(files)
        .output()
        .unwrap();
    let (stdout, stderr) = common::text(&out);
    assert!(
        out.status.success() && !stdout.contains("ERROR") && !stdout.contains("WARN"),
        "kubernetes-validate {files:?}:\n{stdout}\n{stderr}"
    );
}
