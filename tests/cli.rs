//! The command line, driven through the real binary: success paths, each
//! error path with its exit code and message, and the output folder left
//! exactly as it was on failure.

mod common;

use common::{fails, fixture, ok, read_tree, run, text};
use serde_json::Value;
use std::fs;
use std::path::Path;

/// Write `file` with `from` replaced by `to` into `dir`, returning its path.
fn edited(dir: &Path, file: &str, from: &str, to: &str) -> String {
    let original = fs::read_to_string(fixture(file)).unwrap();
    assert!(original.contains(from), "{from} not in {file}");
    let path = dir.join(format!("edited-{file}"));
    fs::write(&path, original.replacen(from, to, 1)).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn build_with_no_arguments_uses_the_bundled_release_and_default_policy() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["build"]);
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("ServiceTags_Public_20250908.json (Public, changeNumber 370)"),
        "{stderr}"
    );
    let manifest: Value =
        serde_json::from_slice(&fs::read(dir.path().join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["tool"], "tagwall");
    assert_eq!(
        manifest["input"]["file"],
        "ServiceTags_Public_20250908.json"
    );
    assert_eq!(manifest["input"]["cloud"], "Public");
    assert_eq!(manifest["input"]["change_number"], 370);
    assert_eq!(manifest["policy"]["file"], "built-in");
    // Every file on disk is in the manifest with its digest, and nothing else is.
    let tree = read_tree(&dir.path().join("out"));
    let files = manifest["files"].as_object().unwrap();
    assert_eq!(files.len() + 1, tree.len());
    for (path, entry) in files {
        let bytes = &tree[path];
        assert_eq!(entry["bytes"], bytes.len());
        assert_eq!(
            entry["sha256"].as_str().unwrap(),
            tagwall::source::sha256_hex(bytes)
        );
    }
    // The per-rule lists hold what Microsoft publishes for the four tags.
    let count = |f: &str| {
        tree[&format!("plain/{f}")]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
    };
    assert_eq!(count("AllowAADOutboundAccess.ipv4.txt"), 200);
    assert_eq!(count("AllowAADOutboundAccess.ipv6.txt"), 16);
    assert_eq!(count("AllowAzOutboundAccess.ipv4.txt"), 210);
    assert_eq!(count("AllowAzOutboundAccess.ipv6.txt"), 159);
    assert_eq!(count("AllowAzureFrontDoorFirstPartyAccess.ipv4.txt"), 42);
    assert_eq!(count("AllowMCROutboundAccess.ipv6.txt"), 179);
}

#[test]
fn arm_template_holds_the_arc_private_link_rules() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        dir.path(),
        &["build", "--target", "azure-nsg", "--out", "nsg"],
    );
    let arm: Value = serde_json::from_slice(
        &fs::read(dir.path().join("nsg/azure-nsg/nsg-rules.arm.json")).unwrap(),
    )
    .unwrap();
    let rules: Vec<(String, u64, String, String, String)> = arm["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let p = &r["properties"];
            let name = r["name"].as_str().unwrap();
            let name = name
                .rsplit_once(", '")
                .unwrap()
                .1
                .trim_end_matches("')]")
                .to_string();
            let remote = if p["direction"] == "Outbound" {
                &p["destinationAddressPrefix"]
            } else {
                &p["sourceAddressPrefix"]
            };
            (
                name,
                p["priority"].as_u64().unwrap(),
                p["direction"].as_str().unwrap().into(),
                remote.as_str().unwrap().into(),
                p["destinationPortRange"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        (
            "AllowAADOutboundAccess",
            150,
            "Outbound",
            "AzureActiveDirectory",
        ),
        (
            "AllowAzOutboundAccess",
            151,
            "Outbound",
            "AzureResourceManager",
        ),
        (
            "AllowAzureFrontDoorFirstPartyAccess",
            152,
            "Outbound",
            "AzureFrontDoor.FirstParty",
        ),
        (
            "AllowMCROutboundAccess",
            153,
            "Outbound",
            "MicrosoftContainerRegistry",
        ),
        (
            "AllowAzureFrontDoorFirstPartyAccess-Inbound",
            152,
            "Inbound",
            "AzureFrontDoor.FirstParty",
        ),
    ];
    assert_eq!(rules.len(), want.len());
    for ((name, prio, dir, remote, port), w) in rules.iter().zip(want) {
        assert_eq!(
            (
                name.as_str(),
                *prio,
                dir.as_str(),
                remote.as_str(),
                port.as_str()
            ),
            (w.0, w.1, w.2, w.3, "443")
        );
    }
    for r in arm["resources"].as_array().unwrap() {
        let p = &r["properties"];
        assert_eq!(p["access"], "Allow");
        assert_eq!(p["protocol"], "Tcp");
        let local = if p["direction"] == "Outbound" {
            &p["sourceAddressPrefix"]
        } else {
            &p["destinationAddressPrefix"]
        };
        assert_eq!(local, "VirtualNetwork");
    }
}

#[test]
fn nsg_prefix_mode_lists_exactly_the_aggregated_prefixes() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("public_20250811.json");
    let input = input.to_str().unwrap();
    ok(
        dir.path(),
        &[
            "build",
            "--input",
            input,
            "--target",
            "azure-nsg",
            "--nsg-mode",
            "prefixes",
        ],
    );
    let arm: Value = serde_json::from_slice(
        &fs::read(dir.path().join("out/azure-nsg/nsg-rules.arm.json")).unwrap(),
    )
    .unwrap();
    let resources = arm["resources"].as_array().unwrap();
    // One rule per direction and family; priorities keep the policy order.
    let names: Vec<&str> = resources
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 10, "{names:?}");
    let mut last = 0;
    for r in resources
        .iter()
        .filter(|r| r["properties"]["direction"] == "Outbound")
    {
        let prio = r["properties"]["priority"].as_u64().unwrap();
        assert!(prio > last, "priorities must rise: {names:?}");
        last = prio;
        let list: Vec<&str> = r["properties"]["destinationAddressPrefixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let v6 = list[0].contains(':');
        assert!(
            list.iter().all(|p| p.contains(':') == v6),
            "one family per NSG rule"
        );
    }
    // The AzureResourceManager rules together hold exactly `tagwall show AzureResourceManager`.
    let shown = ok(
        dir.path(),
        &["show", "--input", input, "AzureResourceManager"],
    );
    let mut listed: Vec<String> = resources
        .iter()
        .filter(|r| {
            r["name"]
                .as_str()
                .unwrap()
                .contains("AllowAzOutboundAccess")
        })
        .flat_map(|r| {
            r["properties"]["destinationAddressPrefixes"]
                .as_array()
                .unwrap()
                .clone()
        })
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let shown: Vec<String> = shown.lines().map(str::to_string).collect();
    listed.sort();
    let mut sorted = shown.clone();
    sorted.sort();
    assert_eq!(listed, sorted);
    assert!(shown.iter().any(|p| p == "51.11.64.0/24"));
}

#[test]
fn golden_azure_nsg_and_plain() {
    for (mode, name) in [
        ("service-tag", "azure-nsg/service-tag"),
        ("prefixes", "azure-nsg/prefixes"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let input = fixture("public_20250811.json");
        ok(
            dir.path(),
            &[
                "build",
                "--input",
                input.to_str().unwrap(),
                "--target",
                "azure-nsg",
                "--nsg-mode",
                mode,
            ],
        );
        common::assert_golden(&dir.path().join("out/azure-nsg"), name);
    }
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("public_20250811.json");
    ok(
        dir.path(),
        &[
            "build",
            "--input",
            input.to_str().unwrap(),
            "--target",
            "plain",
        ],
    );
    common::assert_golden(&dir.path().join("out/plain"), "plain");
}

#[test]
fn same_input_gives_byte_identical_output() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["build", "--out", "a"]);
    ok(dir.path(), &["build", "--out", "b"]);
    assert_eq!(
        read_tree(&dir.path().join("a")),
        read_tree(&dir.path().join("b"))
    );
}

/// Work is spread over threads (per target, rule and family, and the input's
/// tags): the bytes written must not depend on how many threads there are or
/// which finishes first. A real release with its predecessor, so that deltas
/// and the change report are written too.
#[test]
fn output_does_not_depend_on_the_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = common::root().join("data");
    let new = data.join("ServiceTags_Public_20250908.json.gz");
    let old = data.join("ServiceTags_Public_20250901.json.gz");
    let (new, old) = (new.to_str().unwrap(), old.to_str().unwrap());
    let all_tags = ["--all-tags", "-t", "nftables", "-t", "junos", "-t", "panos"];
    for threads in ["1", "7"] {
        for (name, extra) in [("default", &[][..]), ("all", &all_tags[..])] {
            let out = format!("{name}-{threads}");
            let mut args = vec!["build", "-q", "--input", new, "--previous", old];
            args.extend(["--out", &out]);
            args.extend(extra);
            let run = common::tagwall_in(dir.path())
                .env("RAYON_NUM_THREADS", threads)
                .args(&args)
                .output()
                .unwrap();
            assert!(run.status.success(), "{args:?}: {}", text(&run).1);
        }
    }
    for name in ["default", "all"] {
        let one = read_tree(&dir.path().join(format!("{name}-1")));
        assert!(one.contains_key("diff.json") && one.len() > 10, "{name}");
        assert!(
            one == read_tree(&dir.path().join(format!("{name}-7"))),
            "{name}: one thread and seven wrote different bytes"
        );
    }
}

#[test]
fn lf_crlf_and_gzip_inputs_render_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let lf = fs::read(fixture("public_20250811.json")).unwrap();
    let crlf = String::from_utf8(lf.clone()).unwrap().replace('\n', "\r\n");
    for sub in ["lf", "crlf", "gz"] {
        fs::create_dir(dir.path().join(sub)).unwrap();
    }
    fs::write(dir.path().join("lf/public_20250811.json"), &lf).unwrap();
    fs::write(dir.path().join("crlf/public_20250811.json"), crlf).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &lf).unwrap();
    fs::write(
        dir.path().join("gz/public_20250811.json.gz"),
        gz.finish().unwrap(),
    )
    .unwrap();
    ok(
        dir.path(),
        &[
            "build",
            "--input",
            "lf/public_20250811.json",
            "--out",
            "out-lf",
        ],
    );
    ok(
        dir.path(),
        &[
            "build",
            "--input",
            "crlf/public_20250811.json",
            "--out",
            "out-crlf",
        ],
    );
    ok(
        dir.path(),
        &[
            "build",
            "--input",
            "gz/public_20250811.json.gz",
            "--out",
            "out-gz",
        ],
    );
    let strip = |name: &str| {
        let mut t = read_tree(&dir.path().join(name));
        t.remove("manifest.json");
        t
    };
    let (lf, crlf, gz) = (strip("out-lf"), strip("out-crlf"), strip("out-gz"));
    assert!(
        lf == gz,
        "a gzip input must render exactly like the JSON it holds"
    );
    // CRLF changes only the input digest carried in provenance.
    assert_eq!(
        lf.keys().collect::<Vec<_>>(),
        crlf.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &lf {
        if path.ends_with(".txt") || path.ends_with(".csv") || path.contains("azure-nsg") {
            assert!(
                crlf[path] == *bytes,
                "{path} differs between LF and CRLF input"
            );
        }
    }
}

#[test]
fn show_prints_the_union_ipv4_first_in_numeric_order() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("public_20250811.json");
    let input = input.to_str().unwrap();
    let out = ok(
        dir.path(),
        &["show", "--input", input, "MicrosoftContainerRegistry.*"],
    );
    let nets: Vec<ipnet::IpNet> = out.lines().map(|l| l.parse().unwrap()).collect();
    let first_v6 = nets
        .iter()
        .position(|n| matches!(n, ipnet::IpNet::V6(_)))
        .unwrap();
    assert!(
        nets[..first_v6]
            .iter()
            .all(|n| matches!(n, ipnet::IpNet::V4(_)))
    );
    assert!(
        nets[first_v6..]
            .iter()
            .all(|n| matches!(n, ipnet::IpNet::V6(_)))
    );
    assert!(nets[..first_v6].windows(2).all(|w| w[0] < w[1]));
    assert!(nets[first_v6..].windows(2).all(|w| w[0] < w[1]));
    // The glob matched both regional tags (and not the global one): same as naming them.
    let named = ok(
        dir.path(),
        &[
            "show",
            "--input",
            input,
            "MicrosoftContainerRegistry.WestEurope",
            "MicrosoftContainerRegistry.NorthEurope",
        ],
    );
    assert_eq!(out, named);
    let global = ok(
        dir.path(),
        &["show", "--input", input, "MicrosoftContainerRegistry"],
    );
    assert_ne!(out, global);
    let v6 = ok(
        dir.path(),
        &[
            "show",
            "--input",
            input,
            "--family",
            "ipv6",
            "MicrosoftContainerRegistry.*",
        ],
    );
    assert_eq!(v6.lines().count(), nets.len() - first_v6);
}

#[test]
fn unknown_tags_are_errors_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    fails(
        dir.path(),
        &["show", "AzureFrontdoor.FirstParty"],
        2,
        "did you mean \"AzureFrontDoor.FirstParty\"",
    );
    let gov = fixture("gov_20250818.json");
    let before = {
        ok(dir.path(), &["build", "--target", "plain"]);
        read_tree(&dir.path().join("out"))
    };
    // The default policy as a file of the user's is strict (the built-in
    // one leaves the tag out: see the_built_in_policy_works_on_every_cloud).
    fs::write(
        dir.path().join("strict.toml"),
        tagwall::policy::DEFAULT_POLICY_TOML,
    )
    .unwrap();
    let stderr = fails(
        dir.path(),
        &[
            "build",
            "--input",
            gov.to_str().unwrap(),
            "--policy",
            "strict.toml",
        ],
        2,
        "no tag matches \"AzureFrontDoor.FirstParty\"",
    );
    assert!(
        stderr.contains("AllowAzureFrontDoorFirstPartyAccess"),
        "{stderr}"
    );
    assert_eq!(
        read_tree(&dir.path().join("out")),
        before,
        "a failed build must leave the output as it was"
    );
    // A policy may allow the missing tag: the rule is left out, with a warning.
    let policy = tagwall::policy::DEFAULT_POLICY_TOML
        .replace("allow_missing_tags = false", "allow_missing_tags = true");
    fs::write(dir.path().join("gov.toml"), policy).unwrap();
    let out = run(
        dir.path(),
        &[
            "build",
            "--input",
            gov.to_str().unwrap(),
            "--policy",
            "gov.toml",
            "--target",
            "plain",
        ],
    );
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains("AllowAzureFrontDoorFirstPartyAccess"),
        "{stderr}"
    );
    let tree = read_tree(&dir.path().join("out"));
    assert!(tree.contains_key("plain/AllowAADOutboundAccess.ipv4.txt"));
    assert!(!tree.keys().any(|k| k.contains("FrontDoor")));
}

#[test]
fn bad_input_names_file_tag_and_prefix_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["build"]);
    let before = read_tree(&dir.path().join("out"));
    let cases = [
        (
            "4.150.253.96/28",
            "4.150.253.97/28",
            2,
            "tag \"AzureActiveDirectory\": prefix \"4.150.253.97/28\": has host bits set",
        ),
        ("4.150.253.96/28", "4.150.253.96/33", 2, "out of range"),
        ("4.150.253.96/28", "04.150.253.96/28", 2, "leading zero"),
        (
            "\"cloud\": \"Public\"",
            "\"cloud\": \"Mars\"",
            2,
            "unknown cloud \"Mars\"",
        ),
        (
            "4.150.253.96/28",
            "10.0.0.0/8",
            3,
            "prefix 10.0.0.0/8 is private address space",
        ),
        ("4.150.253.96/28", "0.0.0.0/0", 3, "default-route"),
    ];
    for (from, to, code, message) in cases {
        let path = edited(dir.path(), "public_20250811.json", from, to);
        let stderr = fails(dir.path(), &["build", "--input", &path], code, message);
        assert!(stderr.contains(&path), "message names the file: {stderr}");
        assert_eq!(
            read_tree(&dir.path().join("out")),
            before,
            "output changed after {to}"
        );
    }
    fs::write(dir.path().join("empty.json"), "").unwrap();
    fails(
        dir.path(),
        &["build", "--input", "empty.json"],
        2,
        "empty.json: the file is empty",
    );
    fs::write(dir.path().join("page.json"), "<!DOCTYPE html><html></html>").unwrap();
    fails(dir.path(), &["build", "--input", "page.json"], 2, "HTML");
    fails(
        dir.path(),
        &["build", "--input", "missing.json"],
        2,
        "cannot open missing.json",
    );
    assert_eq!(read_tree(&dir.path().join("out")), before);
}

#[test]
fn reserved_space_is_allowed_only_when_the_policy_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = edited(
        dir.path(),
        "public_20250811.json",
        "4.150.253.96/28",
        "10.0.0.0/8",
    );
    let policy = tagwall::policy::DEFAULT_POLICY_TOML
        .replace("allow_reserved = []", "allow_reserved = [\"private\"]");
    fs::write(dir.path().join("p.toml"), policy).unwrap();
    ok(
        dir.path(),
        &[
            "build", "--input", &path, "--policy", "p.toml", "--target", "plain",
        ],
    );
    let list =
        fs::read_to_string(dir.path().join("out/plain/AllowAADOutboundAccess.ipv4.txt")).unwrap();
    assert!(list.lines().any(|l| l == "10.0.0.0/8"));
}

#[test]
fn policy_errors_name_the_file_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.toml"),
        "[[rule]]\nname = \"X\"\ntags = [\"AzureCloud\"]\npriority = 100\nports = [\"443-80\"]\n",
    )
    .unwrap();
    fails(dir.path(), &["build", "--policy", "p.toml"], 2, "p.toml");
    fs::write(
        dir.path().join("q.toml"),
        "[[rule]]\nname = \"X\"\ntags = [\"AzureCloud\"]\npriority = 100\nportz = [443]\n",
    )
    .unwrap();
    fails(
        dir.path(),
        &["build", "--policy", "q.toml"],
        2,
        "unknown field `portz`",
    );
    fails(
        dir.path(),
        &["build", "--target", "nope"],
        2,
        "unknown target \"nope\"",
    );
    fails(dir.path(), &["build", "--bogus"], 2, "--bogus");
}

#[test]
fn nsg_limits_are_refused_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    // Every tag as a rule needs far more than 1,000 NSG rules.
    let stderr = fails(
        dir.path(),
        &["build", "--all-tags", "--target", "azure-nsg"],
        3,
        "an NSG holds at most 1000",
    );
    assert!(stderr.contains("target azure-nsg"), "{stderr}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_build_that_fails_midway_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // Plain files stream to disk while Azure NSG refuses the same policy:
    // neither the output, nor its staging folder, nor the folders made to
    // hold them may remain.
    fails(
        dir.path(),
        &[
            "build",
            "--all-tags",
            "--target",
            "plain",
            "--target",
            "azure-nsg",
            "--out",
            "new/deeper/out",
        ],
        3,
        "an NSG holds at most 1000",
    );
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    // Into a folder that exists, the same: it is left as it was.
    fs::create_dir(dir.path().join("keep")).unwrap();
    fails(
        dir.path(),
        &[
            "build",
            "--all-tags",
            "-t",
            "plain",
            "-t",
            "azure-nsg",
            "--out",
            "keep/out",
        ],
        3,
        "an NSG holds at most 1000",
    );
    let left: Vec<_> = fs::read_dir(dir.path().join("keep")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `--templates DIR` replaces any built-in template with `DIR/<target>/<file>.hbs`;
/// the others stay. A template that does not compile, or reads what its
/// target's context does not hold, is an error naming it and its file, and
/// nothing is written.
#[test]
fn templates_of_ones_own_replace_the_built_in_ones() {
    let dir = tempfile::tempdir().unwrap();
    // `DIR/<template>.hbs` holding `text`.
    let template = |folder: &str, name: &str, text: &str| {
        let path = dir.path().join(folder).join(format!("{name}.hbs"));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    fn build<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["build", "-q"];
        args.extend(extra);
        args
    }
    ok(dir.path(), &build(&["-t", "plain", "--out", "built-in"]));
    template(
        "own",
        "plain/list.txt",
        "# {{rule.name}} {{family.name}}\n{{lines family.prefixes}}\n",
    );
    ok(dir.path(), &build(&["-t", "plain", "--templates", "own"]));
    let ours = read_tree(&dir.path().join("out/plain"));
    let theirs = read_tree(&dir.path().join("built-in/plain"));
    let list = "AllowMCROutboundAccess.ipv4.txt";
    let mut want = b"# AllowMCROutboundAccess ipv4\n".to_vec();
    want.extend(&theirs[list]);
    assert_eq!(
        String::from_utf8_lossy(&ours[list]),
        String::from_utf8_lossy(&want)
    );
    // The files it does not replace are the built-in ones, byte for byte.
    for file in ["rules.csv", "rules.json"] {
        assert!(ours[file] == theirs[file], "{file}");
    }

    template("broken", "plain/list.txt", "{{#each family.prefixes}}\n");
    let refused = build(&["-t", "plain", "--templates", "broken", "--out", "b"]);
    let message = "template plain/list.txt (broken/plain/list.txt.hbs)";
    fails(dir.path(), &refused, 2, message);
    assert!(!dir.path().join("b").exists());
    let nowhere = build(&["--templates", "nowhere", "--out", "b"]);
    fails(dir.path(), &nowhere, 2, "--templates nowhere: not a folder");

    // PAN-OS and FortiOS write one policy per rule and direction: their
    // context leaves out the per-group entries, so a template that reads
    // them fails rather than writing no policies.
    let reads_entries = "{{#each plan.policies}}{{#each entries}}{{group}}\n{{/each}}{{/each}}";
    for (target, file) in [("panos", "config.set"), ("fortios", "config.conf")] {
        template("entries", &format!("{target}/{file}"), reads_entries);
        let args = build(&["-t", target, "--templates", "entries", "--out", "e"]);
        let err = fails(dir.path(), &args, 2, "strict mode Some(\"entries\")");
        assert!(
            err.contains(&format!("(entries/{target}/{file}.hbs)")),
            "{err}"
        );
        assert!(!dir.path().join("e").exists());
    }
}

#[test]
fn a_foreign_output_folder_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("mine")).unwrap();
    fs::write(dir.path().join("mine/notes.txt"), "keep me").unwrap();
    fails(
        dir.path(),
        &["build", "--out", "mine"],
        2,
        "holds no tagwall manifest.json",
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("mine/notes.txt")).unwrap(),
        "keep me"
    );
}

#[test]
fn tags_lists_counts_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let input = fixture("public_20250811.json");
    let out = ok(
        dir.path(),
        &[
            "tags",
            "--input",
            input.to_str().unwrap(),
            "containerregistry",
        ],
    );
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows[0], ["NAME", "REGION", "IPV4", "IPV6", "CHANGE"]);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1][0], "MicrosoftContainerRegistry");
    assert_eq!(&rows[1][1..3], ["173", "179"]);
    let west = rows
        .iter()
        .find(|r| r[0] == "MicrosoftContainerRegistry.WestEurope")
        .unwrap();
    assert_eq!(west[1], "westeurope");
    fails(
        dir.path(),
        &[
            "tags",
            "--input",
            input.to_str().unwrap(),
            "nothing-like-this",
        ],
        2,
        "no tag matches",
    );
}

#[test]
fn aggregate_reads_a_list_or_stdin() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("l.txt"), "# office\n10.0.1.0/24\n10.0.0.0/24 # lab\n\n2001:db8::/33\n2001:db8:8000::/33\n192.0.2.7\n").unwrap();
    assert_eq!(
        ok(dir.path(), &["aggregate", "l.txt"]),
        "10.0.0.0/23\n192.0.2.7/32\n2001:db8::/32\n"
    );
    let mut child = common::tagwall_in(dir.path())
        .arg("aggregate")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        b"255.255.255.254/32\n255.255.255.255/32\n",
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "255.255.255.254/31\n"
    );
    fs::write(dir.path().join("bad.txt"), "10.0.0.0/24\n10.0.0.1/24\n").unwrap();
    fails(
        dir.path(),
        &["aggregate", "bad.txt"],
        2,
        "bad.txt:2: \"10.0.0.1/24\": has host bits set",
    );
}

#[test]
fn init_writes_the_default_policy_once() {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init"]);
    let written = fs::read_to_string(dir.path().join("tagwall.toml")).unwrap();
    assert_eq!(written, tagwall::policy::DEFAULT_POLICY_TOML);
    fails(dir.path(), &["init"], 2, "exists; pass --force");
    ok(dir.path(), &["init", "--force"]);
    // The written file is the policy the built-in default is.
    ok(
        dir.path(),
        &["build", "--policy", "tagwall.toml", "--out", "a"],
    );
    ok(dir.path(), &["build", "--out", "b"]);
    let strip = |n: &str| {
        let mut t = read_tree(&dir.path().join(n));
        t.remove("manifest.json");
        t
    };
    assert_eq!(strip("a"), strip("b"));
}

#[test]
fn targets_lists_every_target_with_limits() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dir.path(), &["targets"]);
    for t in tagwall::render::TARGETS {
        assert!(out.lines().any(|l| l == t.name), "{} missing", t.name);
    }
    assert!(out.contains("limit: rules per NSG 1000"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = common::tagwall_in(dir.path())
        .args(["show", "AzureCloud"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn an_empty_half_of_a_rule_is_refused_unless_the_rule_is_single_family() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The cut Public release with Microsoft Entra ID's IPv6 prefixes gone.
    let v4only = common::edited_aad(366, |properties| {
        common::prefixes(properties).retain(|p| !p.as_str().unwrap().contains(':'))
    });
    fs::write(d.join("v4only.json"), v4only).unwrap();
    let err = fails(
        d,
        &["build", "--input", "v4only.json", "--out", "out"],
        3,
        "rule \"AllowAADOutboundAccess\": its tags hold no IPv6 prefix",
    );
    assert!(err.contains("family = \"ipv4\""), "{err}");
    assert!(!d.join("out").exists());
    // Said to be IPv4 only, the rule builds.
    let policy = tagwall::policy::DEFAULT_POLICY_TOML.replace(
        "tags = [\"AzureActiveDirectory\"]\n",
        "tags = [\"AzureActiveDirectory\"]\nfamily = \"ipv4\"\n",
    );
    fs::write(d.join("p.toml"), policy).unwrap();
    ok(
        d,
        &[
            "build",
            "--input",
            "v4only.json",
            "--policy",
            "p.toml",
            "--out",
            "out",
        ],
    );
    assert!(
        d.join("out/plain/AllowAADOutboundAccess.ipv4.txt")
            .is_file()
    );
    assert!(!d.join("out/plain/AllowAADOutboundAccess.ipv6.txt").exists());
    // A lookup shows what there is.
    let shown = ok(
        d,
        &["show", "--input", "v4only.json", "AzureActiveDirectory"],
    );
    assert!(!shown.is_empty() && !shown.contains(':'), "{shown}");
}

#[test]
fn the_built_in_policy_works_on_every_cloud() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in [
        "ServiceTags_AzureGovernment_20250818.json",
        "ServiceTags_China_20250811.json",
    ] {
        let input = common::release(name);
        let out = run(
            d,
            &["build", "--input", input.to_str().unwrap(), "--out", "out"],
        );
        let (_, err) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        // The tag the cloud does not publish is named, and its rule left out.
        assert!(
            err.contains("no tag \"AzureFrontDoor.FirstParty\"")
                && err.contains("\"AllowAzureFrontDoorFirstPartyAccess\" is left out"),
            "{err}"
        );
        assert!(
            d.join("out/plain/AllowAADOutboundAccess.ipv4.txt")
                .is_file()
        );
        // The same policy as a file is the user's: a missing tag is an error
        // that says how to leave it out.
        fs::write(d.join("p.toml"), tagwall::policy::DEFAULT_POLICY_TOML).unwrap();
        fails(
            d,
            &[
                "build",
                "--input",
                input.to_str().unwrap(),
                "--policy",
                "p.toml",
                "--out",
                "out2",
            ],
            2,
            "allow_missing_tags = true",
        );
    }
}

#[test]
fn smaller_frictions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A template file that replaces nothing is an error, with the name it
    // was probably meant to be.
    fs::create_dir_all(d.join("tpl/panos")).unwrap();
    fs::write(d.join("tpl/panos/polcy.hbs"), "x").unwrap();
    fails(
        d,
        &["build", "--templates", "tpl", "--out", "out"],
        2,
        "panos/polcy.hbs replaces no built-in template; did you mean panos/policy.hbs?",
    );
    assert!(!d.join("out").exists());
    // `tagwall targets` reads without template syntax, and names the templates.
    let targets = ok(d, &["targets"]);
    assert!(!targets.contains("{{"), "{targets}");
    assert!(
        targets.contains("files: <rule>.<ipv4|ipv6>.txt"),
        "{targets}"
    );
    assert!(targets.contains("panos/policy"), "{targets}");
    // One file is one file.
    let out = run(d, &["build", "--target", "nftables", "--out", "one"]);
    let (_, err) = text(&out);
    assert!(err.contains("wrote 1 file for 4 rules"), "{err}");
    // `show` ignores case in globs, as `tags` does, and names no rule.
    let lower = ok(d, &["show", "azurefrontdoor.first*"]);
    assert_eq!(lower, ok(d, &["show", "AzureFrontDoor.FirstParty"]));
    let err = fails(d, &["show", "AzureActiveDirectry"], 2, "no tag matches");
    assert!(!err.contains("rule"), "{err}");
    assert!(
        err.contains("did you mean \"AzureActiveDirectory\""),
        "{err}"
    );
    // So does a policy's glob.
    let policy = tagwall::policy::DEFAULT_POLICY_TOML.replace(
        "tags = [\"MicrosoftContainerRegistry\"]",
        "tags = [\"MicrosoftContainerRegistry\", \"MICROSOFTCONTAINERREGISTRY.west*\"]",
    );
    fs::write(d.join("p.toml"), policy).unwrap();
    ok(
        d,
        &[
            "build", "--policy", "p.toml", "--target", "plain", "--out", "g",
        ],
    );
    // `aggregate --lenient` masks host bits, and says so; without it the
    // error says the choice exists.
    fs::write(d.join("list.txt"), "10.0.0.1/24\n10.0.1.0/24\n").unwrap();
    fails(
        d,
        &["aggregate", "list.txt"],
        2,
        "--lenient reads such a prefix",
    );
    let out = run(d, &["aggregate", "--lenient", "list.txt"]);
    let (stdout, err) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(stdout, "10.0.0.0/23\n");
    assert!(
        err.contains("list.txt:1: \"10.0.0.1/24\" has host bits set: read as 10.0.0.0/24"),
        "{err}"
    );
}

#[test]
fn a_malformed_prefix_refuses_only_what_selects_its_tag() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let original = fs::read_to_string(fixture("public_20250811.json")).unwrap();
    let doc: Value = serde_json::from_str(&original).unwrap();
    let first = doc["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "AzureCloud.germanywc")
        .unwrap()["properties"]["addressPrefixes"][0]
        .as_str()
        .unwrap()
        .to_string();
    let broken = original.replacen(&format!("\"{first}\""), "\"20.52.0.1/16\"", 1);
    assert_ne!(broken, original);
    fs::write(d.join("broken.json"), broken).unwrap();
    // The built-in policy does not use the tag: built, with a warning naming it.
    let out = run(d, &["build", "--input", "broken.json", "--out", "out"]);
    let (_, err) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("tag \"AzureCloud.germanywc\": prefix \"20.52.0.1/16\": has host bits")
            && err.contains("no rule selects it"),
        "{err}"
    );
    // A rule that takes it, an export of every tag, a diff of it: refused.
    for args in [
        &["show", "--input", "broken.json", "azurecloud.germany*"][..],
        &[
            "build",
            "--input",
            "broken.json",
            "--all-tags",
            "--out",
            "all",
        ],
        &["diff", "--all", "broken.json", "broken.json"],
    ] {
        fails(d, args, 2, "prefix \"20.52.0.1/16\": has host bits");
    }
    assert!(!d.join("all").exists());
}
