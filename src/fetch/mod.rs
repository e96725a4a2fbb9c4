//! Fetching the newest Service Tags release into a state folder. This is the
//! only module that touches the network.
//!
//! The steps, each of which can stop the fetch with the state folder left as
//! it was:
//!
//! 1. Find the file (`discovery`). By default this is Microsoft's download
//!    details page for the cloud; `--from URL` names a page or the file
//!    itself (a mirror, a pinned release), `--from FILE` a local file. A page
//!    is searched for the file's link with several strategies
//!    ([`find_link`]), because its layout has changed under scrapers before.
//! 2. Download it (`transport`, under the rules of `url_policy`): HTTPS with
//!    verified certificates (plain http only to a loopback address, or with
//!    `allow_http`), redirects and links only to allowed hosts, connect and
//!    total timeouts, bounded retries with exponential backoff on timeouts,
//!    broken connections and 5xx, a cap on the decoded size, and a
//!    conditional GET with the ETag and Last-Modified of the current release
//!    when the URL is the same (a 304 means there is nothing new).
//! 3. Validate it: JSON, not an HTML page; every check of
//!    [`ServiceTags::parse`]; the cloud asked for.
//! 4. Keep it: [`State::admit`] refuses a changeNumber that goes backwards,
//!    writes the release under its published name and makes it current.
//!
//! This file is the command: its options, the plan, and [`obtain`],
//! [`admit`] and [`fetch`].

mod discovery;
mod transport;
mod url_policy;

pub use discovery::{Link, details_page, find_link, find_links};
pub use transport::{MAX_RETRY_DELAY, USER_AGENT};
pub use url_policy::{DEFAULT_ALLOWED_HOSTS, MAX_REDIRECTS};

use crate::error::{Error, Result};
use crate::interrupt;
use crate::model::{Cloud, ServiceTags};
use crate::release::ReleaseName;
use crate::source;
use crate::state::{Admission, Origin, Release, State};
use crate::units::human_size;
use regex::Regex;
use reqwest::Url;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};
use transport::Transport;

/// Default cap on a body's size after decompression.
pub const DEFAULT_MAX_SIZE: u64 = source::MAX_INPUT_BYTES;

/// Where to fetch from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A details page, or the file itself.
    Url(String),
    /// A local `.json` or `.json.gz` file.
    File(PathBuf),
}

impl Source {
    /// A `scheme://` argument is a URL, anything else a path.
    ///
    /// ```
    /// use tagwall::fetch::Source;
    /// assert!(matches!(Source::parse("https://mirror/x.json"), Source::Url(_)));
    /// assert!(matches!(Source::parse("./x.json"), Source::File(_)));
    /// ```
    pub fn parse(arg: &str) -> Source {
        static SCHEME: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*://").expect("valid regex"));
        if SCHEME.is_match(arg) {
            Source::Url(arg.to_string())
        } else {
            Source::File(PathBuf::from(arg))
        }
    }
}

/// Everything `tagwall fetch` needs, free of command-line concerns.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The cloud asked for; the file's `cloud` must match.
    pub cloud: Cloud,
    /// Where to fetch from; Microsoft's details page for `cloud` when `None`.
    pub from: Option<Source>,
    /// The state folder.
    pub state: PathBuf,
    /// Accept a changeNumber lower than (or equal to, with other bytes) the
    /// current release's.
    pub allow_older: bool,
    /// Hosts that links and redirects may lead to, besides the first URL's.
    pub allow_hosts: Vec<String>,
    /// Allow plain http to hosts that are not loopback addresses.
    pub allow_http: bool,
    /// PEM files of extra certificate authorities to trust.
    pub ca_certs: Vec<PathBuf>,
    /// Limit on connecting (TCP and TLS).
    pub connect_timeout: Duration,
    /// Limit on one whole request, body included.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub retry_delay: Duration,
    /// Cap on a body's size after decompression.
    pub max_size: u64,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            cloud: Cloud::Public,
            from: None,
            state: PathBuf::from("state"),
            allow_older: false,
            allow_hosts: DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|h| h.to_string())
                .collect(),
            allow_http: false,
            ca_certs: Vec::new(),
            connect_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(120),
            retries: 3,
            retry_delay: Duration::from_secs(2),
            max_size: DEFAULT_MAX_SIZE,
        }
    }
}

/// Told what a fetch is doing, for a progress bar and warnings. Every method
/// does nothing by default.
pub trait Observer {
    /// An attempt failed in a way worth retrying; the fetch waits, then retries.
    fn retrying(&self, _message: &str) {}
    /// A body starts arriving; `total` is its size when the server said it.
    fn started(&self, _url: &str, _total: Option<u64>) {}
    /// More of the body arrived.
    fn received(&self, _bytes: u64) {}
    /// The attempt ended, well or not.
    fn finished(&self) {}
}

/// An [`Observer`] that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// How a fetch ended well.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A new release was kept and is now current.
    Added,
    /// A release already kept became current again.
    Reinstated,
    /// The file's bytes are those of the current release.
    AlreadyCurrent,
    /// The server answered 304 Not Modified to the conditional GET.
    NotModified,
}

/// What a fetch did.
#[derive(Clone, Debug)]
pub struct FetchReport {
    /// How it ended.
    pub outcome: Outcome,
    /// The current release now.
    pub release: Release,
    /// Where its bytes are.
    pub path: PathBuf,
    /// The release that was current before, when it changed.
    pub replaced: Option<Release>,
    /// What was read: the file URL, or the local path.
    pub source: String,
}

/// A release downloaded (or read) and validated, held in memory; nothing
/// about it is kept until [`admit`] says so.
#[derive(Debug)]
pub struct Candidate {
    /// The file's bytes, exactly as published.
    pub bytes: Vec<u8>,
    /// The bytes, parsed and validated.
    pub file: ServiceTags,
    /// The name it will be kept under (Microsoft's file name).
    pub name: String,
    /// Where it came from, for the index.
    pub origin: Origin,
}

/// What [`obtain`] found.
#[derive(Debug)]
pub enum Obtained {
    /// The server answered 304 Not Modified: the current release stands.
    NotModified(Release),
    /// A release to consider (it may be the current one again).
    Candidate(Box<Candidate>),
}

/// Download (or read) a release and validate it, without keeping anything:
/// the caller decides, after its own checks, whether to [`admit`] it.
/// `state` must be the locked state folder (its current release drives the
/// conditional GET).
pub fn obtain(opts: &FetchOptions, state: &State, observer: &dyn Observer) -> Result<Obtained> {
    let from = source(opts);
    obtain_with(&plan(opts, &from)?, opts, state, observer)
}

/// Where to fetch from: `--from`, or Microsoft's details page for the cloud.
fn source(opts: &FetchOptions) -> Source {
    opts.from
        .clone()
        .unwrap_or_else(|| Source::Url(details_page(opts.cloud)))
}

/// How the bytes will be had; checks the URL and transport settings.
fn plan<'a>(opts: &'a FetchOptions, from: &'a Source) -> Result<Plan<'a>> {
    Ok(match from {
        Source::Url(url) => Plan::Download(Transport::new(opts, url)?),
        Source::File(path) => Plan::Read(path),
    })
}

fn obtain_with(
    plan: &Plan<'_>,
    opts: &FetchOptions,
    state: &State,
    observer: &dyn Observer,
) -> Result<Obtained> {
    if let Some(kept) = state.cloud()
        && kept != opts.cloud
    {
        return Err(Error::Usage(format!(
            "{}: this state folder holds releases of the {kept} cloud, but the {} cloud was \
             asked for; use a separate --state folder for each cloud",
            opts.state.display(),
            opts.cloud
        )));
    }
    let before = state.current().cloned();
    let download = match plan {
        Plan::Read(path) => read_local(path, opts.max_size)?,
        Plan::Download(t) => match discovery::download(t, before.as_ref(), observer)? {
            Some(d) => d,
            None => {
                let release = before.ok_or_else(|| Error::Network {
                    url: shown(&t.start),
                    message: "answered 304 Not Modified, but nothing is kept".into(),
                })?;
                return Ok(Obtained::NotModified(release));
            }
        },
    };
    let file = ServiceTags::parse(&download.bytes, &download.source)?;
    if file.cloud != opts.cloud {
        return Err(Error::Invalid {
            file: download.source.clone(),
            message: format!(
                "this is a release of the {} cloud, but the {} cloud was asked for \
                 (pass --cloud {} to fetch that cloud, into its own --state folder)",
                file.cloud,
                opts.cloud,
                file.cloud.arg()
            ),
        });
    }
    let name = release_name(&download.names, &file, &download.source)?;
    let origin = Origin {
        source: download.source.clone(),
        page: download.page.clone(),
        etag: download.etag.clone(),
        last_modified: download.last_modified.clone(),
        fetched_at: SystemTime::now(),
    };
    Ok(Obtained::Candidate(Box::new(Candidate {
        bytes: download.bytes,
        file,
        name,
        origin,
    })))
}

/// Keep a candidate in the state folder and make it current (atomic).
pub fn admit(state: &mut State, candidate: &Candidate, allow_older: bool) -> Result<FetchReport> {
    let before = state.current().cloned();
    // The last moment a signal can stop the fetch; admitting is atomic.
    interrupt::check()?;
    let (admission, release) = state.admit(
        &candidate.name,
        &candidate.bytes,
        &candidate.file,
        &candidate.origin,
        allow_older,
    )?;
    let outcome = match admission {
        Admission::Added => Outcome::Added,
        Admission::Reinstated => Outcome::Reinstated,
        Admission::AlreadyCurrent => Outcome::AlreadyCurrent,
    };
    Ok(FetchReport {
        outcome,
        path: state.path(&release),
        replaced: before.filter(|b| outcome != Outcome::AlreadyCurrent && b.file != release.file),
        release,
        source: candidate.origin.source.clone(),
    })
}

/// Fetch the newest release into the state folder: [`obtain`] it, then [`admit`] it.
pub fn fetch(opts: &FetchOptions, observer: &dyn Observer) -> Result<FetchReport> {
    let from = source(opts);
    // Everything that needs no network is checked before the lock and the network.
    let plan = plan(opts, &from)?;
    let mut state = State::lock(&opts.state)?;
    match obtain_with(&plan, opts, &state, observer)? {
        Obtained::NotModified(release) => Ok(FetchReport {
            outcome: Outcome::NotModified,
            path: state.path(&release),
            source: release.source.clone(),
            release,
            replaced: None,
        }),
        Obtained::Candidate(candidate) => admit(&mut state, &candidate, opts.allow_older),
    }
}

/// How the bytes will be had.
enum Plan<'a> {
    Read(&'a Path),
    Download(Transport<'a>),
}

/// Bytes received, with where they came from.
#[derive(Debug)]
struct Download {
    bytes: Vec<u8>,
    /// The file URL asked for (what the next conditional GET asks again), or the path.
    source: String,
    page: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    /// File names the release may be known by, best first.
    names: Vec<String>,
}

fn read_local(path: &Path, max_size: u64) -> Result<Download> {
    let loaded = source::read_file(path)?;
    if loaded.bytes.len() as u64 > max_size {
        return Err(Error::Json {
            file: loaded.name,
            message: format!("larger than the size limit of {}", human_size(max_size)),
        });
    }
    let source = std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    let names = path
        .file_name()
        .map(|n| vec![n.to_string_lossy().into_owned()])
        .unwrap_or_default();
    Ok(Download {
        bytes: loaded.bytes,
        source,
        page: None,
        etag: None,
        last_modified: None,
        names,
    })
}

/// The name a release is kept under: Microsoft's `ServiceTags_<Cloud>_<date>.json`
/// (in Microsoft's spelling, whatever the case of the URL), or, for a file
/// whose name has no date, `ServiceTags_<Cloud>_change<N>.json`.
fn release_name(names: &[String], file: &ServiceTags, source: &str) -> Result<String> {
    for name in names {
        let name = name.strip_suffix(".gz").unwrap_or(name);
        if let Some(named) = ReleaseName::parse(name) {
            if named.cloud != file.cloud {
                return Err(Error::Invalid {
                    file: source.to_string(),
                    message: format!(
                        "the file name {name} says {}, but the file is of the {} cloud",
                        named.cloud, file.cloud
                    ),
                });
            }
            return Ok(named.to_string());
        }
    }
    Ok(format!(
        "ServiceTags_{}_change{}.json",
        file.cloud, file.change_number
    ))
}

/// A URL as shown in messages and kept in the index: a password in it is
/// masked, so it ends up in neither cron mail nor `index.json`.
///
/// ```
/// let url = reqwest::Url::parse("https://me:secret@mirror.example/x.json").unwrap();
/// assert_eq!(tagwall::fetch::shown(&url), "https://me:***@mirror.example/x.json");
/// ```
pub fn shown(url: &Url) -> String {
    if url.password().is_some() {
        let mut masked = url.clone();
        if masked.set_password(Some("***")).is_ok() {
            return masked.to_string();
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_names() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/public_20250811.json"
        ))
        .unwrap();
        let file = ServiceTags::parse(&bytes, "x").unwrap();
        let name = |names: &[&str]| {
            let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            release_name(&names, &file, "x")
        };
        assert_eq!(
            name(&["servicetags_public_20250811.json"]).unwrap(),
            "ServiceTags_Public_20250811.json"
        );
        assert_eq!(
            name(&["latest.json", "ServiceTags_Public_20250811.json.gz"]).unwrap(),
            "ServiceTags_Public_20250811.json"
        );
        assert_eq!(
            name(&["ServiceTags_Public.json"]).unwrap(),
            "ServiceTags_Public_change366.json"
        );
        assert!(
            name(&["ServiceTags_China_20250811.json"])
                .unwrap_err()
                .to_string()
                .contains("says China")
        );
    }
}
