//! Shared test support: run the real binary, find fixtures and real releases,
//! compare golden trees, skip a test visibly.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// A real release, byte for byte as Microsoft published it, by its download
/// name (`ServiceTags_Public_20250811.json`). The repository keeps these
/// gzip-compressed in `tests/fixtures/` (see its README for where each comes
/// from), or in `data/` for the bundled ones; this decompresses one under the
/// target folder, keeping its name because the name carries the release date,
/// and returns that path.
pub fn release(name: &str) -> PathBuf {
    let gz = [root().join("tests/fixtures"), root().join("data")]
        .into_iter()
        .map(|dir| dir.join(format!("{name}.gz")))
        .find(|path| path.exists())
        .unwrap_or_else(|| panic!("{name}.gz is in neither tests/fixtures/ nor data/"));
    let json = tagwall::source::gunzip(&std::fs::read(&gz).expect("read fixture"), name)
        .expect("fixture decompresses");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("releases");
    let path = dir.join(name);
    if std::fs::read(&path).ok().as_deref() != Some(json.as_slice()) {
        // Tests run in parallel, in several processes: write a temporary
        // file and rename it, so no test reads a half-written release.
        std::fs::create_dir_all(&dir).expect("create release folder");
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).expect("temporary file");
        tmp.write_all(&json).expect("write release");
        tmp.persist(&path).expect("rename release");
    }
    path
}

/// Whether this run is CI's: `CI` is set and neither empty, `0` nor `false`.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false")))
}

/// Report that `test` cannot run here because of `reason`; the caller then
/// returns. Under CI (see [`in_ci`]) this fails the test instead, so a
/// machine that should run everything cannot pass by skipping. Elsewhere it
/// writes `SKIPPED <test>: <reason>` straight to the process's standard
/// error: libtest captures `print!` and `eprint!` of a passing test, but not
/// writes to the stream itself, so a person running `cargo test` sees it.
pub fn skip(test: &str, reason: &str) {
    assert!(!in_ci(), "{test} cannot run, and CI is set: {reason}");
    // One write of the whole line, so that parallel tests do not interleave.
    let line = format!("SKIPPED {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// The built `tagwall` binary, run in `cwd`.
pub fn tagwall_in(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tagwall"));
    cmd.current_dir(cwd);
    cmd
}

/// Run `tagwall ARGS` in `cwd`.
pub fn run(cwd: &Path, args: &[&str]) -> Output {
    tagwall_in(cwd).args(args).output().expect("run tagwall")
}

/// Standard output and error as text.
pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `bash -n` accepts the shell script at `path` (it parses, nothing runs).
pub fn assert_shell_syntax(path: &Path) {
    let check = Command::new("bash")
        .arg("-n")
        .arg(path)
        .output()
        .expect("run bash");
    assert!(
        check.status.success(),
        "bash -n {}: {}",
        path.display(),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Run `tagwall ARGS` in `cwd`; it must succeed. Returns standard output.
pub fn ok(cwd: &Path, args: &[&str]) -> String {
    let out = run(cwd, args);
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "tagwall {args:?} failed: {stderr}"
    );
    stdout
}

/// Run `tagwall ARGS` in `cwd`; it must exit with `code` and a message that
/// holds `message`, never a panic. Returns standard error.
pub fn fails(cwd: &Path, args: &[&str], code: i32, message: &str) -> String {
    let out = run(cwd, args);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(code), "tagwall {args:?}: {stderr}");
    assert!(
        stderr.contains(message),
        "tagwall {args:?}: wanted {message:?} in {stderr:?}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "{stderr}"
    );
    stderr
}

/// Every file below `dir`, by relative path.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Compare the files below `actual` with `tests/golden/<name>/`, byte for byte.
/// `UPDATE_GOLDEN=1 cargo test` rewrites the golden files instead; review the
/// change with `git diff` before committing it.
pub fn assert_golden(actual: &Path, name: &str) {
    let golden = root().join("tests/golden").join(name);
    let got = read_tree(actual);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let _ = std::fs::remove_dir_all(&golden);
        for (rel, bytes) in &got {
            let path = golden.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        return;
    }
    let want = read_tree(&golden);
    assert!(
        !want.is_empty(),
        "no golden files at {}; run with UPDATE_GOLDEN=1",
        golden.display()
    );
    let got_names: Vec<&String> = got.keys().collect();
    let want_names: Vec<&String> = want.keys().collect();
    assert_eq!(
        got_names,
        want_names,
        "files differ from {}",
        golden.display()
    );
    for (rel, bytes) in &want {
        if got[rel] != *bytes {
            panic!(
                "{rel} differs from {}:\n--- golden\n{}\n--- got\n{}",
                golden.join(rel).display(),
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&got[rel])
            );
        }
    }
}

/// Parse every CIDR-looking token of `text` (IPv4 `a.b.c.d/n`, IPv6 `x:y::/n`,
/// and IPv4 `a.b.c.d m.m.m.m` mask pairs are left to the caller).
pub fn cidrs_in(text: &str) -> Vec<ipnet::IpNet> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '/')))
        .filter(|t| t.contains('/'))
        .filter_map(|t| t.trim_matches(|c| c == '.' || c == ':').parse().ok())
        .collect()
}

/// The cut Public release `tests/fixtures/public_20250811.json` under
/// `change_number`, with the properties of its AzureActiveDirectory tag
/// changed by `edit`.
pub fn edited_aad(change_number: u64, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let bytes = std::fs::read(fixture("public_20250811.json")).expect("read fixture");
    let mut doc: serde_json::Value = serde_json::from_slice(&bytes).expect("fixture parses");
    doc["changeNumber"] = change_number.into();
    let aad = doc["values"]
        .as_array_mut()
        .and_then(|tags| {
            tags.iter_mut()
                .find(|t| t["name"] == "AzureActiveDirectory")
        })
        .expect("the fixture holds AzureActiveDirectory");
    edit(&mut aad["properties"]);
    serde_json::to_vec_pretty(&doc).expect("serialise")
}

/// AzureActiveDirectory's prefix list in `properties` (see [`edited_aad`]).
pub fn prefixes(properties: &mut serde_json::Value) -> &mut Vec<serde_json::Value> {
    properties["addressPrefixes"]
        .as_array_mut()
        .expect("a prefix list")
}

/// The same addresses listed otherwise: [`edited_aad`] with the tag's first
/// prefix that can be split replaced by its two halves, and the tag's own
/// changeNumber raised, as Microsoft does when it re-aggregates.
pub fn reaggregated(change_number: u64) -> Vec<u8> {
    edited_aad(change_number, |properties| {
        let tag_change = properties["changeNumber"].as_u64().expect("a changeNumber");
        properties["changeNumber"] = (tag_change + 1).into();
        let list = prefixes(properties);
        let (at, net) = list
            .iter()
            .enumerate()
            .find_map(|(i, p)| {
                let net: ipnet::IpNet = p.as_str()?.parse().ok()?;
                (net.prefix_len() < net.max_prefix_len()).then_some((i, net))
            })
            .expect("a prefix with room to split");
        let halves: Vec<serde_json::Value> = net
            .subnets(net.prefix_len() + 1)
            .expect("halves")
            .map(|h| h.to_string().into())
            .collect();
        list.splice(at..=at, halves);
    })
}

/// Rule name -> (IPv4, IPv6) prefixes, from the `plain` target's
/// `rules.json` under `out` (the library's aggregated sets, which every
/// target's coverage check compares with).
pub fn plain_sets(out: &Path) -> BTreeMap<String, [BTreeSet<String>; 2]> {
    let text = std::fs::read_to_string(out.join("plain/rules.json")).unwrap();
    let rules: serde_json::Value = serde_json::from_str(&text).unwrap();
    rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let fam = |f: &str| -> BTreeSet<String> {
                r["prefixes"][f]
                    .as_array()
                    .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default()
            };
            (
                r["name"].as_str().unwrap().to_string(),
                [fam("ipv4"), fam("ipv6")],
            )
        })
        .collect()
}
