//! `tagwall run` end to end against a local HTTP server: first run, repeat
//! (304), a new release, guard-rail refusals, broken releases, dry runs,
//! runs killed part-way, two runs at once, the grace period and the hook.

mod common;
#[path = "common/http.rs"]
mod http;

use common::{fixture, read_tree};
use http::{Reply, Server, not_found};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PAGE: &str = "/details";

/// A mirror with a details page that links to the current release, served
/// under its own dated name, with an ETag and 304s.
struct Mirror {
    server: Server,
    current: Arc<Mutex<(String, Vec<u8>)>>,
    stall: Arc<Mutex<Duration>>,
}

impl Mirror {
    fn new(name: &str, body: Vec<u8>) -> Mirror {
        let current = Arc::new(Mutex::new((name.to_string(), body)));
        let stall = Arc::new(Mutex::new(Duration::ZERO));
        let (c, st) = (current.clone(), stall.clone());
        let server = Server::start(move |r, _| {
            let (name, body) = c.lock().unwrap().clone();
            if r.path() == PAGE {
                let page = format!("<html><a href=\"/download/{name}\">Download</a></html>");
                return Reply::Ok(page.into_bytes());
            }
            if r.path() != format!("/download/{name}").to_ascii_lowercase() {
                return not_found();
            }
            std::thread::sleep(*st.lock().unwrap());
            let etag = format!("\"{}\"", tagwall::source::sha256_hex(&body));
            if r.header("If-None-Match") == Some(etag.as_str()) {
                Reply::With(304, vec![("ETag", etag)], Vec::new())
            } else {
                Reply::With(200, vec![("ETag", etag)], body)
            }
        });
        Mirror {
            server,
            current,
            stall,
        }
    }

    fn serve(&self, name: &str, body: Vec<u8>) {
        *self.current.lock().unwrap() = (name.to_string(), body);
    }

    fn url(&self) -> String {
        self.server.url(PAGE)
    }
}

const N0804: &str = "ServiceTags_Public_20250804.json";
const N0811: &str = "ServiceTags_Public_20250811.json";
const N0818: &str = "ServiceTags_Public_20250818.json";
const N0825: &str = "ServiceTags_Public_20250825.json";

fn release(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// public_20250811 with every other IPv4 prefix of AzureActiveDirectory gone.
fn halved() -> Vec<u8> {
    aad_edit(367, |list| {
        let mut i = 0;
        list.retain(|p| {
            i += 1;
            p.as_str().unwrap().contains(':') || i % 2 == 0
        });
    })
}

/// public_20250811 with AzureActiveDirectory's IPv6 prefixes gone.
fn no_ipv6() -> Vec<u8> {
    aad_edit(367, |list| {
        list.retain(|p| !p.as_str().unwrap().contains(':'))
    })
}

/// public_20250811 under `change_number`, AzureActiveDirectory's prefixes
/// changed by `edit`.
fn aad_edit(change_number: u64, edit: impl FnOnce(&mut Vec<Value>)) -> Vec<u8> {
    common::edited_aad(change_number, |properties| {
        edit(common::prefixes(properties))
    })
}

/// public_20250811 under `change_number`, with the first `keep(n)` of
/// AzureActiveDirectory's `n` prefixes left.
fn aad_cut(change_number: u64, keep: impl Fn(usize) -> usize) -> Vec<u8> {
    aad_edit(change_number, |list| list.truncate(keep(list.len())))
}

/// `tagwall run` in `dir` from the mirror at `url`, into `dir/state` and
/// `dir/out`, with no proxy between it and the loopback mirror.
fn run_command(dir: &Path, url: &str) -> std::process::Command {
    let mut cmd = common::tagwall_in(dir);
    cmd.args(["run", "--from", url, "--state", "state", "--out", "out"])
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY");
    cmd
}

fn run_in(dir: &Path, url: &str, extra: &[&str]) -> (i32, String) {
    let out = run_command(dir, url)
        .args(["--detailed-exitcode", "--max-age", "100000"])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file below `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    for (rel, bytes) in read_tree(dir) {
        if rel.ends_with(".lock") {
            continue;
        }
        let modified = std::fs::metadata(dir.join(&rel))
            .unwrap()
            .modified()
            .unwrap();
        out.push((PathBuf::from(rel), bytes, modified));
    }
    out
}

fn whole(out: &Path) {
    let tree = read_tree(out);
    let manifest: Value = serde_json::from_slice(&tree["manifest.json"]).unwrap();
    let files = manifest["files"].as_object().unwrap();
    assert_eq!(files.len() + 1, tree.len(), "files beside the manifest's");
    for (path, entry) in files {
        assert_eq!(
            entry["sha256"].as_str().unwrap(),
            tagwall::source::sha256_hex(&tree[path]),
            "{path}"
        );
    }
}

#[test]
fn the_weekly_job_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = Mirror::new(N0804, release("public_20250804.json"));

    // First run: everything is new.
    let (code, err) = run_in(d, &mirror.url(), &[]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("changed out"), "{err}");
    whole(&d.join("out"));
    let index: Value =
        serde_json::from_slice(&std::fs::read(d.join("state/index.json")).unwrap()).unwrap();
    assert_eq!(index["current"], N0804);

    // Same release again: 304, no change, nothing rewritten.
    let (before_out, before_state) = (snapshot(&d.join("out")), snapshot(&d.join("state")));
    let (code, err) = run_in(d, &mirror.url(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        mirror
            .server
            .requests()
            .last()
            .unwrap()
            .header("If-None-Match")
            .map(|_| ()),
        Some(())
    );
    assert!(
        snapshot(&d.join("out")) == before_out,
        "outputs were rewritten"
    );
    assert!(
        snapshot(&d.join("state")) == before_state,
        "state was rewritten"
    );

    // A new release: changed, with the change report and delta files; the old output kept.
    mirror.serve(N0811, release("public_20250811.json"));
    let (code, err) = run_in(d, &mirror.url(), &[]);
    assert_eq!(code, 1, "{err}");
    let tree = read_tree(&d.join("out"));
    for f in [
        "diff.md",
        "diff.json",
        "nftables/tagwall.delta.nft",
        "iptables/ipset.delta.restore",
    ] {
        assert!(
            tree.contains_key(f),
            "{f} missing: {:?}",
            tree.keys().collect::<Vec<_>>()
        );
    }
    assert!(String::from_utf8_lossy(&tree["diff.md"]).contains("51.11.64.0/24"));
    assert!(String::from_utf8_lossy(&tree["nftables/tagwall.delta.nft"]).contains("51.11.64.0/24"));
    assert!(
        d.join("out.previous/manifest.json").is_file(),
        "the replaced output is kept"
    );
    whole(&d.join("out"));

    // Half of a rule's addresses gone: refused, nothing changes.
    let (before_out, before_state) = (snapshot(&d.join("out")), snapshot(&d.join("state")));
    mirror.serve(N0818, halved());
    let (code, err) = run_in(d, &mirror.url(), &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("AllowAADOutboundAccess") && err.contains("--force removal"),
        "{err}"
    );
    assert!(
        snapshot(&d.join("out")) == before_out,
        "outputs changed after a refusal"
    );
    assert!(
        snapshot(&d.join("state")) == before_state,
        "the refused release became current"
    );

    // A release that empties a rule's IPv6 half: the empty-set rail, which
    // no --force overrides.
    mirror.serve(N0818, no_ipv6());
    let (code, err) = run_in(d, &mirror.url(), &["--force", "removal"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("AllowAADOutboundAccess") && err.contains("no IPv6 prefix"),
        "{err}"
    );
    assert!(snapshot(&d.join("out")) == before_out && snapshot(&d.join("state")) == before_state);

    // A dry run of the halved release reports, and writes nothing.
    mirror.serve(N0818, halved());
    let (code, err) = run_in(d, &mirror.url(), &["--dry-run", "--force", "removal"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("would change"), "{err}");
    assert!(snapshot(&d.join("out")) == before_out && snapshot(&d.join("state")) == before_state);

    // A truncated release: an error, nothing changes.
    let mut truncated = release("public_20250811.json");
    truncated.truncate(truncated.len() / 2);
    mirror.serve(N0825, truncated);
    let (code, err) = run_in(d, &mirror.url(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("truncated JSON"), "{err}");
    assert!(snapshot(&d.join("out")) == before_out && snapshot(&d.join("state")) == before_state);

    // Forcing the removal rail lets the release through, and says so.
    mirror.serve(N0818, halved());
    let (code, err) = run_in(d, &mirror.url(), &["--force", "removal"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("overridden by --force"), "{err}");
    whole(&d.join("out"));
}

#[test]
fn a_run_stopped_part_way_by_any_signal_leaves_whole_outputs_and_the_next_run_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = Mirror::new(N0804, release("public_20250804.json"));
    assert_eq!(run_in(d, &mirror.url(), &[]).0, 1);
    mirror.serve(N0811, release("public_20250811.json"));
    let signals = ["-TERM", "-INT", "-KILL"];
    for (round, delay_ms) in [1u64, 10, 30, 60, 120, 250, 5, 40, 90]
        .into_iter()
        .enumerate()
    {
        let signal = signals[round % signals.len()];
        let child = run_command(d, &mirror.url())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = std::process::Command::new("kill")
            .arg(signal)
            .arg(child.id().to_string())
            .status();
        let done = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        if signal != "-KILL" && done.status.code() == Some(2) {
            assert!(stderr.contains("interrupted by SIG"), "{stderr}");
        }
        whole(&d.join("out"));
        let index: Value =
            serde_json::from_slice(&std::fs::read(d.join("state/index.json")).unwrap()).unwrap();
        assert!(index["current"].is_string());
    }
    let (code, err) = run_in(d, &mirror.url(), &[]);
    assert!(code == 0 || code == 1, "{err}");
    whole(&d.join("out"));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(d.join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["input"]["change_number"], 366);
}

#[test]
fn two_runs_at_once_never_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = Mirror::new(N0804, release("public_20250804.json"));
    *mirror.stall.lock().unwrap() = Duration::from_millis(1500);
    let first = run_command(d, &mirror.url())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    // A second run that will not wait long enough gives up with a clear message.
    let (code, err) = run_in(d, &mirror.url(), &["--lock-timeout", "200ms"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another tagwall process"), "{err}");
    // One that waits gets its turn after the first.
    let (code, err) = run_in(d, &mirror.url(), &["--lock-timeout", "30s"]);
    assert!(code == 0 || code == 1, "{err}");
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    whole(&d.join("out"));
}

#[test]
fn age_rail_and_the_on_change_hook() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = Mirror::new(N0804, release("public_20250804.json"));
    // The file is named for 2025-08-04; a 30-day limit refuses it now.
    let out = run_command(d, &mirror.url())
        .args(["--max-age", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("days old (more than 30) [--force age]"));
    assert!(!d.join("out").exists());
    let hook = format!(
        "echo \"$1 $TAGWALL_OUT\" > {}",
        d.join("hook.txt").display()
    );
    // The refused run left no lock: this one takes it without waiting.
    let (code, err) = run_in(
        d,
        &mirror.url(),
        &["--on-change", &hook, "--lock-timeout", "0s"],
    );
    assert_eq!(code, 1, "{err}");
    let said = std::fs::read_to_string(d.join("hook.txt")).unwrap();
    assert_eq!(said.trim(), "out/manifest.json out");
    // A failing hook is an error, but the outputs stay written.
    mirror.serve(N0811, release("public_20250811.json"));
    let (code, err) = run_in(d, &mirror.url(), &["--on-change", "exit 7"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the outputs were written"), "{err}");
    assert!(d.join("out/diff.md").is_file());
}

#[test]
fn config_file_settings_apply_and_flags_win() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = Mirror::new(N0804, release("public_20250804.json"));
    let config = tagwall::policy::DEFAULT_POLICY_TOML.replace(
        "# [run]\n",
        &format!(
            "[run]\nfrom = \"{}\"\nstate = \"st\"\nout = \"cfg-out\"\ntargets = [\"plain\"]\n\
             templates = \"tpl\"\ntimeout_seconds = 30\nretries = 1\nallow_http = false\n\
             ca_certs = []\n",
            mirror.url()
        ),
    );
    std::fs::write(d.join("tagwall.toml"), config).unwrap();
    // A template of the user's, named in [run], reaches the output.
    std::fs::create_dir_all(d.join("tpl/plain")).unwrap();
    std::fs::write(d.join("tpl/plain/list.txt.hbs"), "mine {{family.name}}\n").unwrap();
    let out = common::tagwall_in(d)
        .args(["run", "--config", "tagwall.toml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = read_tree(&d.join("cfg-out"));
    assert!(
        tree.keys()
            .all(|k| k == "manifest.json" || k.starts_with("plain/")),
        "{:?}",
        tree.keys()
    );
    assert!(d.join("st/index.json").is_file());
    assert_eq!(
        tree["plain/AllowAADOutboundAccess.ipv4.txt"],
        b"mine ipv4\n".to_vec()
    );
    let out = common::tagwall_in(d)
        .args([
            "run",
            "--config",
            "tagwall.toml",
            "--out",
            "flag-out",
            "--target",
            "nftables",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.join("flag-out/nftables/tagwall.nft").is_file());
}

/// Add early, remove late: a removed prefix stays for the grace period.
#[test]
fn removals_wait_out_the_grace_period() {
    use tagwall::run::{RunOptions, run};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = d.join("releases");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(
        files.join("ServiceTags_Public_20250811.json"),
        release("public_20250811.json"),
    )
    .unwrap();
    std::fs::write(
        files.join("ServiceTags_Public_20250804.json"),
        release("public_20250804.json"),
    )
    .unwrap();
    // 0804 lacks 51.11.64.0/24 of AzureResourceManager, so going from 0811
    // to 0804 (forced: its changeNumber is lower) removes it.
    let day = tagwall::release::ReleaseName::parse("ServiceTags_Public_20250812.json")
        .unwrap()
        .day_number();
    let opts = |from: &str, today: i64| RunOptions {
        fetch: tagwall::fetch::FetchOptions {
            from: Some(tagwall::fetch::Source::File(files.join(from))),
            state: d.join("state"),
            ..Default::default()
        },
        policy: None,
        targets: vec!["plain".into()],
        out: d.join("out"),
        templates: None,
        dry_run: false,
        force: [tagwall::guard::Rail::Older].into_iter().collect(),
        max_removal: 0.10,
        max_age_days: None,
        grace_days: 7,
        lock_timeout: Duration::from_secs(5),
        today,
    };
    let list =
        || std::fs::read_to_string(d.join("out/plain/AllowAzOutboundAccess.ipv4.txt")).unwrap();
    run(
        &opts("ServiceTags_Public_20250811.json", day),
        &tagwall::fetch::Silent,
    )
    .unwrap();
    assert!(list().lines().any(|l| l == "51.11.64.0/24"));
    let report = run(
        &opts("ServiceTags_Public_20250804.json", day + 1),
        &tagwall::fetch::Silent,
    )
    .unwrap();
    assert_eq!(report.retained, 1);
    assert!(
        list().lines().any(|l| l == "51.11.64.0/24"),
        "removed too early"
    );
    // The report answers from the sets applied: the withheld removal is
    // listed as withheld, not as removed.
    let md = std::fs::read_to_string(d.join("out/diff.md")).unwrap();
    assert!(
        md.contains("### Removals withheld by the grace period")
            && md.contains("- AllowAzOutboundAccess: `51.11.64.0/24`"),
        "{md}"
    );
    let json: Value =
        serde_json::from_slice(&std::fs::read(d.join("out/diff.json")).unwrap()).unwrap();
    let arm = json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "AllowAzOutboundAccess")
        .unwrap();
    assert_eq!(arm["withheld"], json!(["51.11.64.0/24"]));
    assert!(
        !arm["removed"]
            .as_array()
            .unwrap()
            .contains(&json!("51.11.64.0/24")),
        "{arm}"
    );
    let report = run(
        &opts("ServiceTags_Public_20250804.json", day + 7),
        &tagwall::fetch::Silent,
    )
    .unwrap();
    assert_eq!(report.retained, 1, "day 6 of 7");
    let report = run(
        &opts("ServiceTags_Public_20250804.json", day + 8),
        &tagwall::fetch::Silent,
    )
    .unwrap();
    assert_eq!(report.retained, 0);
    assert!(report.written);
    assert!(
        !list().lines().any(|l| l == "51.11.64.0/24"),
        "kept past the grace period"
    );
}

#[test]
fn a_partial_of_the_users_reaches_the_output_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = Mirror::new(N0804, release("public_20250804.json"));
    let panos = ["--target", "panos"];
    let (code, err) = run_in(d, &mirror.url(), &panos);
    assert_eq!(code, 1, "{err}");
    let (code, err) = run_in(d, &mirror.url(), &panos);
    assert_eq!(code, 0, "the same release twice changes nothing: {err}");
    // Override a partial (no file is rendered from it directly, a group is).
    let group = include_str!("../templates/panos/group.hbs");
    std::fs::create_dir_all(d.join("tpl/panos")).unwrap();
    std::fs::write(
        d.join("tpl/panos/group.hbs"),
        format!("# group {{{{ident}}}} (site template)\n{group}"),
    )
    .unwrap();
    let with_tpl = ["--target", "panos", "--templates", "tpl"];
    let (code, err) = run_in(d, &mirror.url(), &with_tpl);
    assert_eq!(code, 1, "a new partial is a change: {err}");
    let set = std::fs::read_to_string(d.join("out/panos/panos.set")).unwrap();
    assert!(set.contains("(site template)"), "the override is written");
    let (code, err) = run_in(d, &mirror.url(), &with_tpl);
    assert_eq!(code, 0, "and then it is the same again: {err}");
}

#[test]
fn a_republished_release_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = Mirror::new(N0811, release("public_20250811.json"));
    let (code, err) = run_in(d, &mirror.url(), &[]);
    assert_eq!(code, 1, "{err}");
    let before = snapshot(d);
    // The same changeNumber (366) with other bytes, under the next day's name.
    mirror.serve("ServiceTags_Public_20250812.json", aad_cut(366, |n| n - 1));
    let (code, err) = run_in(d, &mirror.url(), &[]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("other bytes") && err.contains("[--force older]"),
        "{err}"
    );
    assert_eq!(snapshot(d), before, "outputs and state as they were");
    // Forced, it goes through: outputs and state agree.
    let (code, err) = run_in(d, &mirror.url(), &["--force", "older"]);
    assert_eq!(code, 1, "{err}");
    whole(&d.join("out"));
}

/// The config files of an output folder, with their modification times: all
/// but the manifest, which names the release.
fn configs(out: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut files = snapshot(out);
    files.retain(|(rel, _, _)| rel != Path::new("manifest.json"));
    files
}

fn manifest_input(out: &Path) -> Value {
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    m["input"].clone()
}

#[test]
fn a_release_that_changes_no_address_is_no_change() {
    for (first, second, policy) in [
        // Real: two Government releases that differ in their changeNumber only.
        (
            (
                "ServiceTags_AzureGovernment_20250811.json",
                std::fs::read(common::release("ServiceTags_AzureGovernment_20250811.json"))
                    .unwrap(),
            ),
            (
                "ServiceTags_AzureGovernment_20250818.json",
                std::fs::read(common::release("ServiceTags_AzureGovernment_20250818.json"))
                    .unwrap(),
            ),
            "[[rule]]\nname = \"AllowAAD\"\npriority = 150\ntags = [\"AzureActiveDirectory\"]\nports = [443]\n\n\
             [[rule]]\nname = \"AllowMCR\"\npriority = 151\ntags = [\"MicrosoftContainerRegistry\"]\nports = [443]\n",
        ),
        // A release that only re-aggregates a tag of the default policy.
        (
            (N0811, release("public_20250811.json")),
            (N0818, common::reaggregated(367)),
            "",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let mut args = vec![];
        if !policy.is_empty() {
            std::fs::write(d.join("policy.toml"), policy).unwrap();
            args.extend(["--config", "policy.toml", "--cloud", "usgov"]);
        }
        let hook = format!("echo fired >> {}", d.join("hook.txt").display());
        args.extend(["--on-change", &hook]);
        let mirror = Mirror::new(first.0, first.1);
        let (code, err) = run_in(d, &mirror.url(), &args);
        assert_eq!(code, 1, "{err}");
        assert!(d.join("hook.txt").is_file());
        std::fs::remove_file(d.join("hook.txt")).unwrap();
        let before = configs(&d.join("out"));

        mirror.serve(second.0, second.1);
        let (code, err) = run_in(d, &mirror.url(), &args);
        assert_eq!(code, 0, "{}: {err}", second.0);
        assert!(err.contains("no address of the policy changed"), "{err}");
        assert!(!d.join("hook.txt").exists(), "on_change fired");
        assert!(
            configs(&d.join("out")) == before,
            "{}: a config file was rewritten",
            second.0
        );
        // The release is current, and the manifest names it.
        let index: Value =
            serde_json::from_slice(&std::fs::read(d.join("state/index.json")).unwrap()).unwrap();
        assert_eq!(index["current"], second.0);
        assert_eq!(manifest_input(&d.join("out"))["file"], second.0);
        whole(&d.join("out"));

        // Run again: the same release, nothing to do.
        let (code, err) = run_in(d, &mirror.url(), &args);
        assert_eq!(code, 0, "{err}");
        assert!(configs(&d.join("out")) == before);
    }
}

#[test]
fn the_on_change_command_runs_under_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mirror = Mirror::new(N0804, release("public_20250804.json"));
    let started = d.join("hook-started");
    let hook = format!("touch {}; sleep 2", started.display());
    let first = run_command(d, &mirror.url())
        .args(["--on-change", &hook])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !started.exists() {
        assert!(std::time::Instant::now() < deadline, "the hook never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The first run is in its hook: the state folder is still its own.
    let (code, err) = run_in(d, &mirror.url(), &["--lock-timeout", "300ms"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("another tagwall process"), "{err}");
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    // After it, no lock is left behind: the next run takes it at once.
    let (code, err) = run_in(d, &mirror.url(), &["--lock-timeout", "0s"]);
    assert_eq!(code, 0, "{err}");
}
