//! `tagwall fetch` against a small HTTP server on 127.0.0.1 run by each test:
//! every page layout, every failure, and the state folder unchanged after
//! each failure.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

#[path = "common/http.rs"]
mod http;
use http::{Reply, Server, not_found};

// ----------------------------------------------------------------- helpers

const OLD: &str = "public_20250804.json"; // changeNumber 365
const NEW: &str = "public_20250811.json"; // changeNumber 366
const GOV: &str = "gov_20250818.json"; // AzureGovernment, changeNumber 367
const NEW_PATH: &str =
    "/download/7/1/D/71D86715-5596-4529-9B13-DA13A5DE5B63/ServiceTags_Public_20250811.json";
const OLD_PATH: &str =
    "/download/7/1/D/71D86715-5596-4529-9B13-DA13A5DE5B63/ServiceTags_Public_20250804.json";
const PAGE: &str = "/en-us/download/details.aspx?id=56519";

fn bytes(fixture: &str) -> Vec<u8> {
    std::fs::read(common::fixture(fixture)).unwrap()
}

/// A server that answers `path` (in any case) with `body`, and 404 elsewhere.
fn serving(path: &'static str, body: Vec<u8>) -> Server {
    Server::start(move |r, _| {
        if r.path() == path.to_ascii_lowercase() {
            Reply::Ok(body.clone())
        } else {
            not_found()
        }
    })
}

/// A details page at [`PAGE`] and the two Public releases.
fn page_server(page: impl Fn(SocketAddr) -> String + Send + Sync + 'static) -> Server {
    let addr = Arc::new(Mutex::new(None::<SocketAddr>));
    let addr2 = addr.clone();
    let server = Server::start(move |r, _| {
        let a = addr2.lock().unwrap().expect("address set");
        match r.path().as_str() {
            p if p == PAGE.split('?').next().unwrap() => Reply::Ok(page(a).into_bytes()),
            p if p == NEW_PATH.to_ascii_lowercase() => Reply::Ok(bytes(NEW)),
            p if p == OLD_PATH.to_ascii_lowercase() => Reply::Ok(bytes(OLD)),
            _ => not_found(),
        }
    });
    *addr.lock().unwrap() = Some(server.addr);
    server
}

/// Run tagwall in `dir` with no proxy from the caller's environment.
fn tagwall(dir: &Path, args: &[&str]) -> (i32, String) {
    tagwall_env(dir, args, &[])
}

fn tagwall_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = command(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(args).output().expect("run tagwall");
    let (_, stderr) = common::text(&out);
    (out.status.code().unwrap_or(-1), stderr)
}

/// The tagwall command in `dir`, without the caller's proxy settings.
fn command(dir: &Path) -> std::process::Command {
    let mut cmd = common::tagwall_in(dir);
    for v in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        cmd.env_remove(v);
    }
    cmd
}

/// `tagwall fetch --from URL` with quick limits (unless `extra` sets them)
/// and the given extra flags.
fn fetch(dir: &Path, from: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["fetch", "--from", from];
    for (flag, value) in [
        ("--retries", "0"),
        ("--timeout", "5s"),
        ("--connect-timeout", "2s"),
    ] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(extra);
    tagwall(dir, &args)
}

/// Everything under the state folder but the lock file: names, bytes and
/// modification times, folders included.
fn snapshot(dir: &Path) -> BTreeMap<String, (Option<Vec<u8>>, SystemTime)> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, (Option<Vec<u8>>, SystemTime)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel == ".lock" {
                continue;
            }
            let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
            if path.is_dir() {
                out.insert(rel, (None, mtime));
                walk(base, &path, out);
            } else {
                out.insert(rel, (Some(std::fs::read(&path).unwrap()), mtime));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// A work folder whose `state/` already holds the 20250804 release.
fn seeded() -> tempfile::TempDir {
    seeded_with(OLD, "ServiceTags_Public_20250804.json")
}

fn seeded_with(fixture: &str, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, bytes(fixture)).unwrap();
    let (code, err) = tagwall(dir.path(), &["fetch", "--from", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    std::fs::remove_file(&file).unwrap();
    dir
}

fn index(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("state/index.json")).unwrap()).unwrap()
}

fn kept(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join("state/releases").join(name)).unwrap()
}

/// Run a fetch that must fail with `code` and a message holding every one
/// of `needles`, and leave the state folder exactly as it was.
fn fails_unchanged(dir: &Path, from: &str, extra: &[&str], code: i32, needles: &[&str]) -> String {
    let before = snapshot(&dir.join("state"));
    let (got, err) = fetch(dir, from, extra);
    assert_eq!(got, code, "exit code; stderr:\n{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        snapshot(&dir.join("state")),
        before,
        "the state folder changed"
    );
    err
}

// ----------------------------------------------------------- page layouts

#[test]
fn page_with_a_javascript_variable() {
    let server = page_server(|a| {
        format!(
            "<html><script>var AcOEt_DownloadUrl = \"http://{a}{NEW_PATH}\";</script>\
             <a href=\"/en-us/download/confirmation.aspx\">Download</a></html>"
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(dir.path(), &server.url(PAGE), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("fetched ServiceTags_Public_20250811.json (Public, changeNumber 366)"),
        "{err}"
    );
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250811.json"),
        bytes(NEW)
    );
    let index = index(dir.path());
    assert_eq!(index["current"], "ServiceTags_Public_20250811.json");
    assert_eq!(index["cloud"], "Public");
    let r = &index["releases"][0];
    assert_eq!(r["change_number"], 366);
    assert_eq!(r["source"], server.url(NEW_PATH));
    assert_eq!(r["page"], server.url(PAGE));
    assert_eq!(r["bytes"], bytes(NEW).len());
    assert!(r["fetched_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn page_with_a_plain_relative_link() {
    let server = page_server(|_| {
        format!(
            "<html><body><a class=\"mscom-link\" href=\"{NEW_PATH}\">click here to download manually</a></body></html>"
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(dir.path(), &server.url(PAGE), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250811.json"),
        bytes(NEW)
    );
}

#[test]
fn page_with_a_lower_case_path_keeps_microsofts_name() {
    let server = page_server(|a| {
        format!(
            "<script>window.__DLCDetails__={{\"dlcDetailsView\":{{\"downloadFile\":[{{\"name\":\"x\",\
             \"url\":\"http:\\/\\/{a}{}\"}}]}}}}</script>",
            NEW_PATH.to_ascii_lowercase().replace('/', "\\/")
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(dir.path(), &server.url(PAGE), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250811.json"),
        bytes(NEW)
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.target.contains("servicetags_public_20250811.json"))
    );
}

#[test]
fn page_with_several_dates_takes_the_newest() {
    let server = page_server(|a| {
        format!(
            "<a href=\"http://{a}{OLD_PATH}\">last week</a>\
             <a href=\"http://{a}/download/6/4/D/X/ServiceTags_AzureGovernment_20250901.json\">gov</a>\
             <a href=\"http://{a}{NEW_PATH}\">this week</a>"
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(dir.path(), &server.url(PAGE), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("changeNumber 366"), "{err}");
    assert_eq!(server.count(OLD_PATH), 0);
    assert_eq!(server.count(NEW_PATH), 1);
}

#[test]
fn page_without_a_link_says_so() {
    let server = page_server(|_| "<html><body>We are updating this page.</body></html>".into());
    let dir = seeded();
    fails_unchanged(
        dir.path(),
        &server.url(PAGE),
        &[],
        2,
        &[
            "no link to a ServiceTags_Public_YYYYMMDD.json file found",
            "--from",
            &server.url(PAGE),
        ],
    );
}

#[test]
fn government_cloud_from_its_page() {
    let server = Server::start(|r, _| match r.path().as_str() {
        "/gov" => Reply::Ok(
            b"<a href='/download/6/4/D/64DB03BF/ServiceTags_AzureGovernment_20250818.json'>x</a>"
                .to_vec(),
        ),
        "/download/6/4/d/64db03bf/servicetags_azuregovernment_20250818.json" => {
            Reply::Ok(bytes(GOV))
        }
        _ => not_found(),
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(dir.path(), &server.url("/gov"), &["--cloud", "usgov"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        kept(dir.path(), "ServiceTags_AzureGovernment_20250818.json"),
        bytes(GOV)
    );
    assert_eq!(index(dir.path())["cloud"], "AzureGovernment");
}

// ------------------------------------------------------ direct JSON, 304

#[test]
fn direct_json_then_304_rewrites_nothing() {
    let server = Server::start(|r, _| {
        if r.path() != NEW_PATH.to_ascii_lowercase() {
            return not_found();
        }
        if r.header("if-none-match") == Some("\"v366\"") {
            return Reply::With(304, vec![("ETag", "\"v366\"".into())], vec![]);
        }
        Reply::With(
            200,
            vec![
                ("ETag", "\"v366\"".into()),
                ("Last-Modified", "Mon, 11 Aug 2025 06:00:00 GMT".into()),
            ],
            bytes(NEW),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let url = server.url(NEW_PATH);
    let (code, err) = fetch(dir.path(), &url, &[]);
    assert_eq!(code, 0, "{err}");
    let r = &index(dir.path())["releases"][0];
    assert_eq!(r["etag"], "\"v366\"");
    assert_eq!(r["last_modified"], "Mon, 11 Aug 2025 06:00:00 GMT");

    let before = snapshot(&dir.path().join("state"));
    let (code, err) = fetch(dir.path(), &url, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("already current") && err.contains("not modified"),
        "{err}"
    );
    assert_eq!(snapshot(&dir.path().join("state")), before);
    let second = &server.requests()[1];
    assert_eq!(second.header("if-none-match"), Some("\"v366\""));
    assert_eq!(
        second.header("if-modified-since"),
        Some("Mon, 11 Aug 2025 06:00:00 GMT")
    );
}

#[test]
fn same_bytes_again_is_already_current() {
    let server = serving(NEW_PATH, bytes(NEW));
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(fetch(dir.path(), &server.url(NEW_PATH), &[]).0, 0);
    let before = snapshot(&dir.path().join("state"));
    let (code, err) = fetch(dir.path(), &server.url(NEW_PATH), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("already current: ServiceTags_Public_20250811.json"),
        "{err}"
    );
    assert_eq!(snapshot(&dir.path().join("state")), before);
}

#[test]
fn a_newer_release_replaces_the_current_one_and_feeds_build() {
    let dir = seeded();
    let server = serving(NEW_PATH, bytes(NEW));
    let (code, err) = fetch(dir.path(), &server.url(NEW_PATH), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("replaces ServiceTags_Public_20250804.json (changeNumber 365)"),
        "{err}"
    );
    let index = index(dir.path());
    assert_eq!(index["current"], "ServiceTags_Public_20250811.json");
    assert_eq!(index["previous"], "ServiceTags_Public_20250804.json");
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250804.json"),
        bytes(OLD)
    );

    let (code, err) = tagwall(
        dir.path(),
        &[
            "build", "--state", "state", "--out", "out", "--target", "plain",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("from ServiceTags_Public_20250811.json (Public, changeNumber 366)"),
        "{err}"
    );
    assert!(
        err.contains("deltas against ServiceTags_Public_20250804.json"),
        "{err}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["input"]["file"],
        "ServiceTags_Public_20250811.json"
    );

    let (code, err) = tagwall(
        dir.path(),
        &["build", "--state", "state", "--input", "x.json"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");
    // diff --state compares the previous release with the current one.
    let out = command(dir.path())
        .args(["diff", "--state", "state", "--all", "--format", "json"])
        .output()
        .unwrap();
    let (stdout, err) = common::text(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let text = report.to_string();
    assert!(
        text.contains("ServiceTags_Public_20250804.json")
            && text.contains("ServiceTags_Public_20250811.json"),
        "{text}"
    );
    let first = seeded();
    let (code, err) = tagwall(first.path(), &["diff", "--state", "state"]);
    assert_eq!(code, 2);
    assert!(err.contains("only one release is kept here"), "{err}");
    // The first release alone builds, with no deltas; so does one with a
    // previous release given beside the state folder.
    let (code, err) = tagwall(first.path(), &["build", "--state", "state", "-t", "junos"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !first
            .path()
            .join("out/junos/junos-security-delta.set")
            .exists()
    );
    let old = common::fixture("public_20250804.json");
    let (code, err) = tagwall(
        first.path(),
        &[
            "build",
            "--state",
            "state",
            "-t",
            "junos",
            "--previous",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        first
            .path()
            .join("out/junos/junos-security-delta.set")
            .exists()
    );
    let (code, err) = tagwall(
        dir.path(),
        &["diff", "--state", "state", "a.json", "b.json"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");

    let (code, err) = tagwall(dir.path(), &["build", "--state", "empty"]);
    assert_eq!(code, 2);
    assert!(err.contains("no release is kept here yet"), "{err}");
}

// ----------------------------------------------------------- transport

#[test]
fn a_500_is_retried_a_404_is_not() {
    let server = Server::start(|r, seen| match r.path().as_str() {
        p if p == NEW_PATH.to_ascii_lowercase() && seen == 0 => {
            Reply::With(500, vec![], b"<html>busy</html>".to_vec())
        }
        p if p == NEW_PATH.to_ascii_lowercase() => Reply::Ok(bytes(NEW)),
        _ => not_found(),
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(
        dir.path(),
        &server.url(NEW_PATH),
        &["--retries", "2", "--retry-delay", "50ms"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("HTTP 500 Internal Server Error; retrying in 50ms (attempt 2 of 3)"),
        "{err}"
    );
    assert_eq!(server.count(NEW_PATH), 2);

    let missing = server.url("/download/x/ServiceTags_Public_20250818.json");
    fails_unchanged(
        dir.path(),
        &missing,
        &["--retries", "2", "--retry-delay", "50ms"],
        2,
        &["HTTP 404 Not Found", &missing],
    );
    assert_eq!(
        server.count("/download/x/ServiceTags_Public_20250818.json"),
        1
    );
}

#[test]
fn a_stalled_server_times_out_and_is_retried() {
    let server = Server::start(|_, _| Reply::Stall);
    let dir = seeded();
    let started = Instant::now();
    let url = server.url(NEW_PATH);
    fails_unchanged(
        dir.path(),
        &url,
        &[
            "--timeout",
            "400ms",
            "--retries",
            "1",
            "--retry-delay",
            "10ms",
        ],
        2,
        &[
            "no complete answer within 400ms (--timeout)",
            "gave up after 2 attempts",
            &url,
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.count(NEW_PATH), 2);
}

#[test]
fn a_body_that_breaks_off() {
    let body = bytes(NEW);
    let cut = body[..1000].to_vec();
    let server = Server::start(move |r, _| {
        let mut raw = b"HTTP/1.1 200 OK\r\nConnection: close\r\n".to_vec();
        if r.path().ends_with("length.json") {
            raw.extend(format!("Content-Length: {}\r\n", body.len()).bytes());
        }
        raw.extend(b"\r\n");
        raw.extend(&cut);
        Reply::Raw(raw)
    });
    let dir = seeded();
    // The server announced a length and sent less.
    fails_unchanged(
        dir.path(),
        &server.url("/length.json"),
        &[],
        2,
        &["the body broke off after 1000 of 42826 bytes"],
    );
    // No length: the close looks like the end, and the JSON is cut short.
    fails_unchanged(
        dir.path(),
        &server.url("/close.json"),
        &[],
        2,
        &["truncated JSON", "/close.json"],
    );
}

#[test]
fn an_html_page_where_json_was_expected() {
    let server = serving(
        NEW_PATH,
        b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head></html>".to_vec(),
    );
    let dir = seeded();
    fails_unchanged(
        dir.path(),
        &server.url(NEW_PATH),
        &[],
        2,
        &[
            "this is an HTML or XML page, not a Service Tags JSON file",
            &server.url(NEW_PATH),
        ],
    );
}

#[test]
fn an_oversized_body_is_cut_off() {
    let body = bytes(NEW);
    let server = Server::start(move |r, _| {
        if r.path().ends_with("length.json") {
            Reply::Ok(body.clone())
        } else {
            let mut raw = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
            raw.extend(&body);
            Reply::Raw(raw)
        }
    });
    let dir = seeded();
    for path in ["/length.json", "/close.json"] {
        fails_unchanged(
            dir.path(),
            &server.url(path),
            &["--max-size", "20K"],
            2,
            &["larger than the size limit of 20 KiB", path],
        );
    }
}

#[test]
fn gzip_is_decoded_and_a_gzip_bomb_is_cut_off() {
    use flate2::{Compression, write::GzEncoder};
    let gzip = |data: &[u8]| {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    };
    let good = gzip(&bytes(NEW));
    let bomb = gzip(&vec![b' '; 16 << 20]);
    assert!(
        bomb.len() < 100 << 10,
        "the bomb is small on the wire: {}",
        bomb.len()
    );
    let server = Server::start(move |r, _| {
        let body = if r.path().contains("bomb") {
            bomb.clone()
        } else {
            good.clone()
        };
        if r.path().ends_with(".gz") {
            // A gzipped file on a mirror, served as it is.
            Reply::Ok(body)
        } else {
            Reply::With(200, vec![("Content-Encoding", "gzip".into())], body)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(
        dir.path(),
        &server.url("/ok/ServiceTags_Public_20250811.json"),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250811.json"),
        bytes(NEW)
    );
    assert!(
        server.requests()[0]
            .header("accept-encoding")
            .is_some_and(|v| v.contains("gzip"))
    );

    fails_unchanged(
        dir.path(),
        &server.url("/bomb/ServiceTags_Public_20250818.json"),
        &["--max-size", "1M"],
        2,
        &["larger than the size limit of 1 MiB (after decompression"],
    );
    fails_unchanged(
        dir.path(),
        &server.url("/bomb/ServiceTags_Public_20250818.json.gz"),
        &["--max-size", "1M"],
        2,
        &["larger than the size limit of 1 MiB (after decompression"],
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(
        dir.path(),
        &server.url("/ok/ServiceTags_Public_20250811.json.gz"),
        &[],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250811.json"),
        bytes(NEW)
    );
}

// ------------------------------------------------------------ host rules

#[test]
fn a_redirect_to_another_host_is_refused() {
    let other = Server::start_on("127.0.0.2", None, |_, _| Reply::Ok(bytes(NEW)));
    let elsewhere = format!("http://{}{NEW_PATH}", other.addr);
    let server = Server::start(move |r, _| match r.path().as_str() {
        "/away.json" => Reply::With(302, vec![("Location", elsewhere.clone())], vec![]),
        "/here.json" => Reply::With(301, vec![("Location", NEW_PATH.into())], vec![]),
        p if p == NEW_PATH.to_ascii_lowercase() => Reply::Ok(bytes(NEW)),
        _ => not_found(),
    });
    let dir = seeded();
    fails_unchanged(
        dir.path(),
        &server.url("/away.json"),
        &[],
        3,
        &[
            &format!("redirected to http://{}", other.addr),
            "the host 127.0.0.2 is not allowed",
            "--allow-host 127.0.0.2",
        ],
    );
    assert!(other.requests().is_empty());

    // Allowed by name, the same redirect is followed.
    let (code, err) = fetch(
        dir.path(),
        &server.url("/away.json"),
        &["--allow-host", "127.0.0.2"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(other.requests().len(), 1);
    // The file's name comes from where the redirect led.
    assert_eq!(
        index(dir.path())["current"],
        "ServiceTags_Public_20250811.json"
    );

    // A redirect on the same host is fine.
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = fetch(dir.path(), &server.url("/here.json"), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        index(dir.path())["current"],
        "ServiceTags_Public_20250811.json"
    );
}

#[test]
fn a_page_linking_to_another_host_is_refused() {
    let server = page_server(|_| format!("<a href=\"http://127.0.0.2:9{NEW_PATH}\">x</a>"));
    let dir = seeded();
    fails_unchanged(
        dir.path(),
        &server.url(PAGE),
        &[],
        3,
        &[
            "the page links to http://127.0.0.2:9/download/",
            "the host 127.0.0.2 is not allowed",
        ],
    );
}

#[test]
fn plain_http_needs_loopback_or_allow_http() {
    let dir = seeded();
    fails_unchanged(
        dir.path(),
        "http://mirror.invalid/ServiceTags_Public_20250811.json",
        &[],
        2,
        &[
            "plain http to mirror.invalid is not allowed",
            "--allow-http",
        ],
    );
    fails_unchanged(
        dir.path(),
        "ftp://mirror.invalid/x.json",
        &[],
        2,
        &["ftp: scheme is not allowed"],
    );
}

#[test]
fn proxies_come_from_the_environment() {
    let proxy = Server::start(|_, _| Reply::Ok(bytes(NEW)));
    let dir = tempfile::tempdir().unwrap();
    let url = "http://mirror.invalid/tags/ServiceTags_Public_20250811.json";
    let mut cmd_args = vec!["fetch", "--from", url, "--allow-http", "--retries", "0"];
    cmd_args.extend(["--timeout", "5s"]);
    let (code, err) = tagwall_env(dir.path(), &cmd_args, &[("HTTP_PROXY", &proxy.url(""))]);
    assert_eq!(code, 0, "{err}");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, url, "the proxy gets the absolute URL");
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250811.json"),
        bytes(NEW)
    );
}

// -------------------------------------------------------------- guard rails

#[test]
fn a_lower_change_number_is_refused_unless_allowed() {
    let dir = seeded_with(NEW, "ServiceTags_Public_20250811.json");
    let server = serving(OLD_PATH, bytes(OLD));
    fails_unchanged(
        dir.path(),
        &server.url(OLD_PATH),
        &[],
        3,
        &[
            "changeNumber 365 is lower than that of the current release ServiceTags_Public_20250811.json (changeNumber 366)",
            "--allow-older",
            &server.url(OLD_PATH),
        ],
    );
    let (code, err) = fetch(dir.path(), &server.url(OLD_PATH), &["--allow-older"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("lower changeNumber") && err.contains("--allow-older"),
        "{err}"
    );
    assert_eq!(
        index(dir.path())["current"],
        "ServiceTags_Public_20250804.json"
    );
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250811.json"),
        bytes(NEW)
    );
}

#[test]
fn a_release_of_the_wrong_cloud_is_refused() {
    let server = serving("/x/ServiceTags_Public_20250818.json", bytes(GOV));
    let dir = seeded();
    fails_unchanged(
        dir.path(),
        &server.url("/x/ServiceTags_Public_20250818.json"),
        &[],
        2,
        &[
            "this is a release of the AzureGovernment cloud, but the Public cloud was asked for",
            "--cloud usgov",
        ],
    );
    // Nor may a state folder mix clouds.
    let file = common::fixture(GOV);
    fails_unchanged(
        dir.path(),
        file.to_str().unwrap(),
        &["--cloud", "usgov"],
        2,
        &[
            "holds releases of the Public cloud",
            "separate --state folder",
        ],
    );
}

#[test]
fn an_unreachable_port() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/ServiceTags_Public_20250811.json");
    let dir = seeded();
    fails_unchanged(dir.path(), &url, &[], 2, &["cannot connect", &url]);
}

#[test]
fn a_busy_state_folder() {
    let dir = seeded();
    let held = tagwall::state::State::lock(&dir.path().join("state")).unwrap();
    let server = serving(NEW_PATH, bytes(NEW));
    fails_unchanged(dir.path(), &server.url(NEW_PATH), &[], 2, &["lock is held"]);
    assert!(
        server.requests().is_empty(),
        "nothing is downloaded while another fetch runs"
    );
    drop(held);
    assert_eq!(fetch(dir.path(), &server.url(NEW_PATH), &[]).0, 0);
}

// ------------------------------------------------------------------- HTTPS

#[test]
fn https_with_a_test_authority() {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "tagwall test authority");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
        )
        .unwrap();
    let server = Server::start_on("127.0.0.1", Some(Arc::new(config)), |r, _| {
        if r.path() == NEW_PATH.to_ascii_lowercase() {
            Reply::Ok(bytes(NEW))
        } else {
            not_found()
        }
    });
    let url = format!("https://127.0.0.1:{}{NEW_PATH}", server.addr.port());
    let dir = seeded();
    // Not trusted: refused by certificate verification, nothing kept.
    fails_unchanged(dir.path(), &url, &[], 2, &["certificate", &url]);

    let ca_file: PathBuf = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let (code, err) = fetch(dir.path(), &url, &["--ca-cert", ca_file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        kept(dir.path(), "ServiceTags_Public_20250811.json"),
        bytes(NEW)
    );
}

#[test]
fn a_password_in_the_url_is_used_but_never_shown_or_kept() {
    let server = Server::start(|r, _| match r.header("authorization") {
        // "me:secret"
        Some("Basic bWU6c2VjcmV0") => Reply::Ok(bytes(NEW)),
        _ => Reply::With(401, vec![], b"<html>who are you?</html>".to_vec()),
    });
    let dir = tempfile::tempdir().unwrap();
    let url = server.url(NEW_PATH).replace("http://", "http://me:secret@");
    let (code, err) = fetch(dir.path(), &url, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("http://me:***@127.0.0.1"), "{err}");
    let index = std::fs::read_to_string(dir.path().join("state/index.json")).unwrap();
    assert!(
        index.contains("me:***@") && !index.contains("secret"),
        "{index}"
    );

    let wrong = url.replace("secret", "guess");
    let (code, err) = fetch(dir.path(), &wrong, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("HTTP 401") && !err.contains("guess"), "{err}");
}

#[test]
fn a_signal_stops_a_stalled_download_and_keeps_nothing() {
    let server = Server::start(|_, _| Reply::Stall);
    let dir = seeded();
    let before = snapshot(&dir.path().join("state"));
    let url = server.url(NEW_PATH);
    let child = command(dir.path())
        .args([
            "fetch",
            "--from",
            &url,
            "--timeout",
            "30s",
            "--retries",
            "0",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = Instant::now();
    while server.requests().is_empty() {
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "no request came"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let signalled = Instant::now();
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        signalled.elapsed() < Duration::from_secs(2),
        "{:?}",
        signalled.elapsed()
    );
    let (_, err) = common::text(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("interrupted by SIGINT"), "{err}");
    assert_eq!(snapshot(&dir.path().join("state")), before);
}
