//! `tagwall diff` on real releases (compressed in `tests/fixtures/`, read
//! through `common::release`) and on the small fixtures, in every format.

mod common;

use common::{fixture, read_tree, release, run, text};
use serde_json::Value;
use std::fs;
use std::path::Path;
use tagwall::aggregate::AddressSet;
use tagwall::diff::{Scope, Status, diff};
use tagwall::model::ServiceTags;
use tagwall::source::Provenance;

fn load(path: &Path) -> (ServiceTags, Provenance) {
    let loaded = tagwall::source::read_file(path).unwrap();
    let file = loaded.parse().unwrap();
    let p = loaded.provenance(&file);
    (file, p)
}

fn compare(old: &str, new: &str, scope: &Scope) -> tagwall::diff::Diff {
    let (o, op) = load(&release(old));
    let (n, np) = load(&release(new));
    diff(&o, op, &n, np, scope).unwrap()
}

fn default_scope() -> Scope {
    Scope::Policy(Box::new(tagwall::policy::Policy::builtin()))
}

fn tag<'a>(d: &'a tagwall::diff::Diff, name: &str) -> &'a tagwall::diff::TagChange {
    d.tags.iter().find(|t| t.name == name).unwrap()
}

fn strings(nets: &[ipnet::IpNet]) -> Vec<String> {
    nets.iter().map(ToString::to_string).collect()
}

#[test]
fn the_arm_prefix_that_leaves_for_a_week_and_comes_back() {
    let gone = compare(
        "ServiceTags_Public_20250728.json",
        "ServiceTags_Public_20250804.json",
        &default_scope(),
    );
    let arm = tag(&gone, "AzureResourceManager");
    assert_eq!(arm.status, Status::Changed);
    assert_eq!(strings(&arm.removed), ["51.11.64.0/24"]);
    assert!(arm.added.is_empty());
    assert_eq!(arm.removed_addresses.ipv4, 256);
    assert_eq!(
        strings(&tag(&gone, "AzureActiveDirectory").removed),
        ["13.87.32.28/32"]
    );
    let back = compare(
        "ServiceTags_Public_20250804.json",
        "ServiceTags_Public_20250811.json",
        &default_scope(),
    );
    let arm = tag(&back, "AzureResourceManager");
    assert_eq!(strings(&arm.added), ["51.11.64.0/24"]);
    assert!(arm.removed.is_empty());
    assert_eq!(
        (arm.change_number.from, arm.change_number.to),
        (Some(57), Some(58))
    );
    let rule = back
        .rules
        .iter()
        .find(|r| r.name == "AllowAzOutboundAccess")
        .unwrap();
    assert_eq!(strings(&rule.added), ["51.11.64.0/24"]);
    assert!(back.has_changes());
}

#[test]
fn an_identical_release_is_an_empty_diff() {
    for (old, new) in [
        (
            "ServiceTags_Public_20250811.json",
            "ServiceTags_Public_20250818.json",
        ),
        (
            "ServiceTags_AzureGovernment_20250811.json",
            "ServiceTags_AzureGovernment_20250818.json",
        ),
    ] {
        let d = compare(old, new, &Scope::All);
        assert!(!d.has_changes(), "{old} -> {new}");
        assert!(d.tags.iter().all(|t| t.status == Status::Unchanged));
        assert!(d.to.change_number > d.from.change_number);
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            dir.path(),
            &[
                "diff",
                "--all",
                release(old).to_str().unwrap(),
                release(new).to_str().unwrap(),
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    }
}

/// old + added - removed must be new, for every tag, on real data.
fn check_reconstruction(old: &str, new: &str) {
    let (o, op) = load(&release(old));
    let (n, np) = load(&release(new));
    let d = diff(&o, op, &n, np, &Scope::All).unwrap();
    let set = |f: &ServiceTags, name: &str| {
        f.tags
            .iter()
            .find(|t| t.name == name)
            .map(|t| AddressSet::from_prefixes(&t.prefixes))
            .unwrap_or_default()
    };
    let mut changed = 0;
    for t in &d.tags {
        let (before, after) = (set(&o, &t.name), set(&n, &t.name));
        let rebuilt = before
            .union(&AddressSet::from_prefixes(&t.added))
            .difference(&AddressSet::from_prefixes(&t.removed));
        assert_eq!(
            rebuilt, after,
            "{}: {old} + added - removed != {new}",
            t.name
        );
        assert!(
            AddressSet::from_prefixes(&t.added)
                .intersection(&before)
                .is_empty(),
            "{}: added space was already there",
            t.name
        );
        assert!(
            AddressSet::from_prefixes(&t.removed)
                .intersection(&after)
                .is_empty(),
            "{}: removed space is still there",
            t.name
        );
        changed += usize::from(t.is_change());
    }
    assert!(changed > 0, "{old} -> {new} should change some tags");
}

#[test]
fn week_month_and_year_diffs_reconstruct_the_new_release() {
    check_reconstruction(
        "ServiceTags_Public_20250901.json",
        "ServiceTags_Public_20250908.json",
    );
    check_reconstruction(
        "ServiceTags_Public_20250804.json",
        "ServiceTags_Public_20250901.json",
    );
    check_reconstruction(
        "ServiceTags_Public_20240805.json",
        "ServiceTags_Public_20250804.json",
    );
    check_reconstruction(
        "ServiceTags_China_20250728.json",
        "ServiceTags_China_20250811.json",
    );
}

#[test]
fn tags_that_appear_are_reported() {
    let d = compare(
        "ServiceTags_Public_20250901.json",
        "ServiceTags_Public_20250908.json",
        &Scope::All,
    );
    assert_eq!(d.summary.appeared, 35);
    assert_eq!(d.summary.disappeared, 0);
    let year = compare(
        "ServiceTags_Public_20220808.json",
        "ServiceTags_Public_20230807.json",
        &Scope::All,
    );
    assert_eq!((year.summary.appeared, year.summary.disappeared), (60, 182));
    let gone = year
        .tags
        .iter()
        .find(|t| t.status == Status::Disappeared)
        .unwrap();
    assert!(gone.added.is_empty() && !gone.removed.is_empty());
}

#[test]
fn a_reaggregation_is_not_churn() {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read_to_string(fixture("public_20250811.json")).unwrap();
    // Split one /24 of AzureResourceManager into its two /25 halves.
    let split = original.replacen(
        "\"51.11.64.0/24\"",
        "\"51.11.64.0/25\",\n          \"51.11.64.128/25\"",
        1,
    );
    assert_ne!(split, original);
    fs::write(dir.path().join("split.json"), split).unwrap();
    let out = run(
        dir.path(),
        &[
            "diff",
            fixture("public_20250811.json").to_str().unwrap(),
            "split.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let arm = report["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "AzureResourceManager")
        .unwrap();
    assert_eq!(arm["status"], "reaggregated");
    assert_eq!(arm["added"], serde_json::json!([]));
    // Address counts read alike in both families: decimal strings.
    assert_eq!(
        arm["added_addresses"],
        serde_json::json!({"ipv4": "0", "ipv6": "0"})
    );
    assert_eq!(
        arm["prefixes"]["to"],
        arm["prefixes"]["from"].as_u64().unwrap() + 1
    );
}

#[test]
fn golden_reports_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let out_dir = dir.path().join("reports");
    fs::create_dir(&out_dir).unwrap();
    for (format, file) in [
        ("text", "diff.txt"),
        ("markdown", "diff.md"),
        ("json", "diff.json"),
        ("html", "diff.html"),
    ] {
        let out = run(
            dir.path(),
            &[
                "diff",
                old.to_str().unwrap(),
                new.to_str().unwrap(),
                "--format",
                format,
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{format}: {}", text(&out).1);
        fs::write(out_dir.join(file), &out.stdout).unwrap();
    }
    let json: Value =
        serde_json::from_slice(&fs::read(out_dir.join("diff.json")).unwrap()).unwrap();
    assert_eq!(json["from"]["change_number"], 365);
    assert_eq!(json["to"]["change_number"], 366);
    let arm = json["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "AzureResourceManager")
        .unwrap();
    assert_eq!(arm["added"], serde_json::json!(["51.11.64.0/24"]));
    assert!(
        !String::from_utf8(fs::read(out_dir.join("diff.txt")).unwrap())
            .unwrap()
            .contains('\x1b')
    );
    common::assert_golden(&out_dir, "diff");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let out = run(
        dir.path(),
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--color",
            "always",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b[32m+ 51.11.64.0/24"));
}

#[test]
fn diff_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[
            "diff",
            fixture("gov_20250818.json").to_str().unwrap(),
            fixture("public_20250811.json").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("compare releases of one cloud"));
    let out = run(
        dir.path(),
        &[
            "diff",
            "nope.json",
            fixture("public_20250811.json").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn build_with_a_previous_release_writes_the_report_beside_the_configs() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        fixture("public_20250804.json"),
        fixture("public_20250811.json"),
    );
    let out = run(
        dir.path(),
        &[
            "build",
            "--input",
            new.to_str().unwrap(),
            "--previous",
            old.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out).1);
    let tree = read_tree(&dir.path().join("out"));
    let report: Value = serde_json::from_slice(&tree["diff.json"]).unwrap();
    assert_eq!(report["summary"]["changed"], 1);
    assert!(String::from_utf8_lossy(&tree["diff.md"]).contains("51.11.64.0/24"));
    let manifest: Value = serde_json::from_slice(&tree["manifest.json"]).unwrap();
    assert_eq!(manifest["previous"]["change_number"], 365);
    assert!(manifest["files"]["diff.json"]["sha256"].is_string());
}

/// The HTML page in a real browser: the summary table and the chart render,
/// and the console stays clean. The screenshot is kept under target/.
#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        std::process::Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        common::skip(
            "html_report_renders_in_headless_chromium",
            "chromium is not installed (.ci/run installs it)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (
        release("ServiceTags_Public_20250728.json"),
        release("ServiceTags_Public_20250811.json"),
    );
    let out = run(
        dir.path(),
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "html",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let page = dir.path().join("report.html");
    fs::write(&page, &out.stdout).unwrap();
    let artifacts = common::root().join("target/test-artifacts");
    fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("diff-report.png");
    let _ = fs::remove_file(&shot);
    let profile = tempfile::tempdir().unwrap();
    let browser = |extra: &[&str]| {
        let mut cmd = std::process::Command::new(chromium);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()));
        cmd.output().unwrap()
    };
    let dom = browser(&["--dump-dom"]);
    let html = String::from_utf8_lossy(&dom.stdout);
    let console: Vec<&str> = std::str::from_utf8(&dom.stderr)
        .unwrap_or("")
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Refused to") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    assert!(
        html.contains("<table id=\"summary\">"),
        "no summary table in the rendered DOM"
    );
    // 0728 -> 0811: the ARM prefix left and came back; Entra ID lost one.
    assert!(
        html.contains("<td>AzureResourceManager</td><td>unchanged</td>"),
        "the summary row of AzureResourceManager"
    );
    assert!(
        html.contains("<td>AzureActiveDirectory</td><td>changed</td>"),
        "the summary row of AzureActiveDirectory"
    );
    assert!(
        html.matches("class=\"bar\"").count() >= 8,
        "the chart has no bars"
    );
    let shot_run = browser(&[
        "--window-size=1200,1600",
        &format!("--screenshot={}", shot.display()),
    ]);
    assert!(
        shot_run.status.success(),
        "{}",
        String::from_utf8_lossy(&shot_run.stderr)
    );
    let png = fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "screenshot is missing or blank"
    );
}

/// With a state folder, the HTML chart follows every kept release.
#[test]
fn html_chart_follows_the_releases_in_the_state_folder() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "ServiceTags_Public_20250728.json",
        "ServiceTags_Public_20250804.json",
        "ServiceTags_Public_20250811.json",
    ];
    for name in names {
        let out = run(
            dir.path(),
            &[
                "fetch",
                "-q",
                "--from",
                release(name).to_str().unwrap(),
                "--state",
                "st",
            ],
        );
        assert!(out.status.success(), "{}", text(&out).1);
    }
    let out = run(dir.path(), &["diff", "--state", "st", "--format", "html"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out).1);
    let html = String::from_utf8(out.stdout).unwrap();
    for name in names {
        assert!(
            html.contains(&format!("{name}</text>")),
            "{name} is not in the chart's legend"
        );
    }
    // Four policy tags, one bar per release each.
    assert_eq!(html.matches("class=\"bar\"").count(), 4 * names.len());
}
