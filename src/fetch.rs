//! Fetching the newest Service Tags release into a state folder. This is the
//! only module that touches the network.
//!
//! The steps, each of which can stop the fetch with the state folder left as
//! it was:
//!
//! 1. Find the file. By default this is Microsoft's download details page for
//!    the cloud; `--from URL` names a page or the file itself (a mirror, a
//!    pinned release), `--from FILE` a local file. A page is searched for the
//!    file's link with several strategies ([`find_link`]), because its layout
//!    has changed under scrapers before.
//! 2. Download it: HTTPS with verified certificates (plain http only to a
//!    loopback address, or with `allow_http`), redirects and links only to
//!    allowed hosts, connect and total timeouts, bounded retries with
//!    exponential backoff on timeouts, broken connections and 5xx, a cap on
//!    the decoded size, and a conditional GET with the ETag and Last-Modified
//!    of the current release when the URL is the same (a 304 means there is
//!    nothing new).
//! 3. Validate it: JSON, not an HTML page; every check of
//!    [`ServiceTags::parse`]; the cloud asked for.
//! 4. Keep it: [`State::admit`] refuses a changeNumber that goes backwards,
//!    writes the release under its published name and makes it current.

use crate::error::{Error, Result};
use crate::interrupt;
use crate::model::{Cloud, ServiceTags};
use crate::source;
use crate::state::{Admission, Origin, Release, State};
use regex::Regex;
use reqwest::Url;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime};

/// Hosts that links and redirects may lead to, besides the first URL's own.
pub const DEFAULT_ALLOWED_HOSTS: &[&str] = &["download.microsoft.com"];
/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 10;
/// Default cap on a body's size after decompression.
pub const DEFAULT_MAX_SIZE: u64 = source::MAX_INPUT_BYTES;
/// Longest wait between two attempts, however many retries.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
/// How often a download in progress, or a wait between attempts, looks for a signal.
const INTERRUPT_POLL: Duration = Duration::from_millis(100);
/// The User-Agent header sent.
pub const USER_AGENT: &str = concat!("tagwall/", env!("CARGO_PKG_VERSION"));

/// The id of Microsoft's download details page for a cloud.
pub fn details_page_id(cloud: Cloud) -> u32 {
    match cloud {
        Cloud::Public => 56519,
        Cloud::AzureGovernment => 57063,
        Cloud::China => 57062,
    }
}

/// Microsoft's download details page for a cloud.
///
/// ```
/// use tagwall::{fetch::details_page, model::Cloud};
/// assert_eq!(
///     details_page(Cloud::Public),
///     "https://www.microsoft.com/en-us/download/details.aspx?id=56519"
/// );
/// ```
pub fn details_page(cloud: Cloud) -> String {
    format!(
        "https://www.microsoft.com/en-us/download/details.aspx?id={}",
        details_page_id(cloud)
    )
}

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
        Plan::Download(t) => match t.fetch_release(before.as_ref(), observer)? {
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
                cloud_arg(file.cloud)
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

/// The `--cloud` value that names a cloud.
pub fn cloud_arg(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Public => "public",
        Cloud::AzureGovernment => "usgov",
        Cloud::China => "china",
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

static FILE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^servicetags_(public|azuregovernment|china)_(\d{8})\.json$")
        .expect("valid regex")
});

/// The cloud and date of a `ServiceTags_<Cloud>_<YYYYMMDD>.json` name, any case.
///
/// ```
/// use tagwall::{fetch::name_date, model::Cloud};
/// assert_eq!(name_date("servicetags_public_20251013.json"), Some((Cloud::Public, 20251013)));
/// assert_eq!(name_date("ServiceTags_Public.json"), None);
/// ```
pub fn name_date(file: &str) -> Option<(Cloud, u32)> {
    let c = FILE_NAME.captures(file)?;
    let cloud = Cloud::ALL
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(&c[1]))?;
    Some((cloud, c[2].parse().ok()?))
}

/// The name a release is kept under: Microsoft's `ServiceTags_<Cloud>_<date>.json`
/// (in Microsoft's spelling, whatever the case of the URL), or, for a file
/// whose name has no date, `ServiceTags_<Cloud>_change<N>.json`.
fn release_name(names: &[String], file: &ServiceTags, source: &str) -> Result<String> {
    for name in names {
        let name = name.strip_suffix(".gz").unwrap_or(name);
        if let Some((cloud, date)) = name_date(name) {
            if cloud != file.cloud {
                return Err(Error::Invalid {
                    file: source.to_string(),
                    message: format!(
                        "the file name {name} says {cloud}, but the file is of the {} cloud",
                        file.cloud
                    ),
                });
            }
            return Ok(format!("ServiceTags_{}_{date:08}.json", file.cloud));
        }
    }
    Ok(format!(
        "ServiceTags_{}_change{}.json",
        file.cloud, file.change_number
    ))
}

/// A link to a release found on a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The absolute URL.
    pub url: Url,
    /// The date in its file name, when it has one.
    pub date: Option<u32>,
    /// The strategy that found it.
    pub how: &'static str,
    rank: u8,
}

/// Every link to a release of `cloud` on a page, by strategy:
/// 1. a JavaScript variable or JSON key ending in `DownloadUrl` whose value is
///    a `.json` URL (`AcOEt_DownloadUrl = "..."`, `"downloadUrl":"..."`);
/// 2. an `href` to a `ServiceTags_<Cloud>_<YYYYMMDD>.json` file, or to any
///    `.json` under a `/download/` path;
/// 3. a URL to a `ServiceTags_<Cloud>_<YYYYMMDD>.json` file anywhere in the
///    text (embedded JSON, scripts);
/// 4. only when none of these found a dated file, and only on a
///    `microsoft.com` page: the bare file name anywhere in the text, in the
///    cloud's long-standing download folder ([`download_folder`]).
///
/// File names and paths match in any case (the page has shown the path in
/// lower case), JSON-escaped slashes (`\/`, `\u002F`) are read as slashes, and
/// relative links are resolved against `base`. Files of another cloud are
/// left out.
pub fn find_links(page: &str, base: &Url, cloud: Cloud) -> Vec<Link> {
    static JS_VAR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)[a-z0-9_$]*downloadurl["']?\s*[:=]\s*["']([^"']+)["']"#)
            .expect("valid regex")
    });
    static HREF: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#).expect("valid regex")
    });
    static IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)servicetags_(?:public|azuregovernment|china)_\d{8}\.json")
            .expect("valid regex")
    });
    let text = page
        .replace("\\/", "/")
        .replace("\\u002F", "/")
        .replace("\\u002f", "/")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&");
    let mut links = Vec::new();
    let link = |raw: &str, how: &'static str, rank: u8, undated_ok: &dyn Fn(&Url) -> bool| {
        let url = base.join(raw.trim()).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let file = url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or("")
            .to_string();
        let date = match name_date(&file) {
            Some((c, _)) if c != cloud => return None,
            Some((_, d)) => Some(d),
            None if undated_ok(&url) => None,
            None => return None,
        };
        Some(Link {
            url,
            date,
            how,
            rank,
        })
    };
    let json_file = |u: &Url| u.path().to_ascii_lowercase().ends_with(".json");
    for c in JS_VAR.captures_iter(&text) {
        links.extend(link(&c[1], "JavaScript download URL", 0, &json_file));
    }
    for c in HREF.captures_iter(&text) {
        let raw = c
            .get(1)
            .or(c.get(2))
            .or(c.get(3))
            .map_or("", |m| m.as_str());
        links.extend(link(raw, "link", 1, &|u: &Url| {
            json_file(u) && u.path().to_ascii_lowercase().starts_with("/download/")
        }));
    }
    for m in IN_TEXT.find_iter(&text) {
        let head = &text[..m.start()];
        let start = head
            .char_indices()
            .rev()
            .find(|&(_, ch)| !is_url_char(ch))
            .map_or(0, |(i, ch)| i + ch.len_utf8());
        let raw = &text[start..m.end()];
        if raw.contains('/') {
            links.extend(link(raw, "URL in the page text", 2, &|_: &Url| false));
        }
    }
    let on_microsoft = base.host_str().is_some_and(|h| {
        let h = h.to_ascii_lowercase();
        h == "microsoft.com" || h.ends_with(".microsoft.com")
    });
    if on_microsoft && !links.iter().any(|l| l.date.is_some()) {
        for m in IN_TEXT.find_iter(&text) {
            if let Some((c, date)) = name_date(m.as_str())
                && c == cloud
            {
                let url = format!(
                    "{}ServiceTags_{}_{date:08}.json",
                    download_folder(cloud),
                    cloud
                );
                links.extend(link(
                    &url,
                    "file name on Microsoft's page",
                    3,
                    &|_: &Url| false,
                ));
            }
        }
    }
    links
}

/// The folder on download.microsoft.com where a cloud's releases have been
/// published for years (REFERENCE §2); only the file name changes.
pub fn download_folder(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Public => {
            "https://download.microsoft.com/download/7/1/D/71D86715-5596-4529-9B13-DA13A5DE5B63/"
        }
        Cloud::AzureGovernment => {
            "https://download.microsoft.com/download/6/4/D/64DB03BF-895B-4173-A8B1-BA4AD5D4DF22/"
        }
        Cloud::China => {
            "https://download.microsoft.com/download/9/D/0/9D03B7E2-4B80-4BF3-9B91-DA8C7D3EE9F9/"
        }
    }
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#@!$&+,;=%".contains(c)
}

/// The link to fetch from a page: the newest dated file among [`find_links`]
/// (ties go to the earlier strategy), else the first undated one.
///
/// ```
/// use tagwall::{fetch::find_link, model::Cloud};
/// let base = reqwest::Url::parse("https://www.microsoft.com/en-us/download/details.aspx?id=56519").unwrap();
/// let page = r#"<a href="https://download.microsoft.com/download/7/1/D/X/ServiceTags_Public_20250804.json">old</a>
///               <a href="https://download.microsoft.com/download/7/1/d/x/servicetags_public_20250811.json">new</a>"#;
/// let link = find_link(page, &base, Cloud::Public).unwrap();
/// assert!(link.url.as_str().ends_with("servicetags_public_20250811.json"));
/// ```
pub fn find_link(page: &str, base: &Url, cloud: Cloud) -> Option<Link> {
    let links = find_links(page, base, cloud);
    let mut best: Option<&Link> = None;
    for l in links.iter().filter(|l| l.date.is_some()) {
        if best.is_none_or(|b| {
            (l.date, std::cmp::Reverse(l.rank)) > (b.date, std::cmp::Reverse(b.rank))
        }) {
            best = Some(l);
        }
    }
    best.or_else(|| links.iter().min_by_key(|l| l.rank))
        .cloned()
}

/// Whether bytes start like a JSON object (after a BOM and white space).
fn looks_like_json(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a URL may not be fetched, if it may not: its scheme (https; http only
/// to loopback or with `allow_http`) and its host (one of `allowed`).
fn check_url(url: &Url, allowed: &[String], allow_http: bool) -> Result<(), String> {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&host) => {}
        "http" => {
            return Err(format!(
                "plain http to {host} is not allowed (use https, or pass --allow-http)"
            ));
        }
        other => return Err(format!("the {other}: scheme is not allowed (use https)")),
    }
    if !allowed.contains(&host) {
        return Err(format!(
            "the host {host} is not allowed (allowed: {}); pass --allow-host {host} if you \
             trust it",
            allowed.join(", ")
        ));
    }
    Ok(())
}

/// A redirect refused by the redirect policy.
#[derive(Debug)]
struct RedirectRefused(String);

impl fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedirectRefused {}

/// Why an attempt failed.
enum Failure {
    /// Worth another attempt: a timeout, a broken connection, a 5xx.
    Transient(String),
    /// Final.
    Fatal(Error),
}

enum Got {
    NotModified,
    Body {
        bytes: Vec<u8>,
        final_url: Url,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// An HTTP client bound to one fetch's rules.
struct Transport<'a> {
    opts: &'a FetchOptions,
    start: Url,
    allowed: Vec<String>,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl<'a> Transport<'a> {
    fn new(opts: &'a FetchOptions, url: &str) -> Result<Self> {
        let start = Url::parse(url).map_err(|e| Error::Usage(format!("{url}: not a URL: {e}")))?;
        let mut allowed: Vec<String> = vec![start.host_str().unwrap_or("").to_ascii_lowercase()];
        for h in &opts.allow_hosts {
            let h = h.trim().to_ascii_lowercase();
            if h.is_empty() || h.contains(['/', ' ']) {
                return Err(Error::Usage(format!(
                    "--allow-host {h:?}: give a host name, such as download.microsoft.com"
                )));
            }
            if !allowed.contains(&h) {
                allowed.push(h);
            }
        }
        check_url(&start, &allowed, opts.allow_http)
            .map_err(|why| Error::Usage(format!("{}: {why}", shown(&start))))?;

        let policy_allowed = Arc::new(allowed.clone());
        let allow_http = opts.allow_http;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                let why = format!("more than {MAX_REDIRECTS} redirects");
                return attempt.error(RedirectRefused(why));
            }
            match check_url(attempt.url(), &policy_allowed, allow_http) {
                Ok(()) => attempt.follow(),
                Err(why) => {
                    let why = format!("redirected to {}, but {why}", shown(attempt.url()));
                    attempt.error(RedirectRefused(why))
                }
            }
        });
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.timeout)
            .redirect(policy)
            .https_only(!opts.allow_http && !is_loopback(start.host_str().unwrap_or("")));
        for path in &opts.ca_certs {
            let pem = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::Usage(format!("{}: not a PEM certificate: {e}", path.display()))
            })?;
            if certs.is_empty() {
                return Err(Error::Usage(format!(
                    "{}: holds no PEM certificate",
                    path.display()
                )));
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let client = builder.build().map_err(|e| Error::Network {
            url: shown(&start),
            message: format!("cannot set up the HTTP client: {}", causes(&e)),
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start", "the network runtime", e))?;
        Ok(Transport {
            opts,
            start,
            allowed,
            client,
            runtime,
        })
    }

    /// Download the release from the start URL, through its details page
    /// when it is one. `None`: the server says the current release is still
    /// the newest (304).
    fn fetch_release(
        &self,
        current: Option<&Release>,
        observer: &dyn Observer,
    ) -> Result<Option<Download>> {
        let validators = |u: &Url| current.filter(|r| r.source == shown(u));
        let (bytes, final_url, etag, last_modified) =
            match self.get(&self.start, validators(&self.start), observer)? {
                Got::NotModified => return Ok(None),
                Got::Body {
                    bytes,
                    final_url,
                    etag,
                    last_modified,
                } => (bytes, final_url, etag, last_modified),
            };
        let expect_json = [&self.start, &final_url].iter().any(|u| {
            let path = u.path().to_ascii_lowercase();
            path.ends_with(".json") || path.ends_with(".json.gz")
        });
        if expect_json || looks_like_json(&bytes) {
            return Ok(Some(Download {
                bytes,
                source: shown(&self.start),
                page: None,
                etag,
                last_modified,
                names: names_of(&[&final_url, &self.start]),
            }));
        }

        // A page: find the file's link on it.
        let page = shown(&self.start);
        let text = String::from_utf8_lossy(&bytes);
        let Some(link) = find_link(&text, &final_url, self.opts.cloud) else {
            return Err(Error::Invalid {
                file: page,
                message: format!(
                    "no link to a ServiceTags_{}_YYYYMMDD.json file found on this page \
                     (looked for a JavaScript download URL, links, and file URLs in the text); \
                     the page layout may have changed: pass the file's URL with --from",
                    self.opts.cloud
                ),
            });
        };
        check_url(&link.url, &self.allowed, self.opts.allow_http).map_err(|why| {
            Error::Refused {
                what: page.clone(),
                message: format!(
                    "the page links to {} ({}), but {why}",
                    shown(&link.url),
                    link.how
                ),
            }
        })?;
        match self.get(&link.url, validators(&link.url), observer)? {
            Got::NotModified => Ok(None),
            Got::Body {
                bytes,
                final_url,
                etag,
                last_modified,
            } => Ok(Some(Download {
                bytes,
                source: shown(&link.url),
                page: Some(page),
                etag,
                last_modified,
                names: names_of(&[&final_url, &link.url]),
            })),
        }
    }

    /// GET a URL with retries. `validators`: the kept release whose ETag and
    /// Last-Modified make the request conditional.
    fn get(&self, url: &Url, validators: Option<&Release>, observer: &dyn Observer) -> Result<Got> {
        let attempts = self.opts.retries.saturating_add(1);
        let mut delay = self.opts.retry_delay;
        for attempt in 1..=attempts {
            let result = self.runtime.block_on(async {
                // A signal stops a download at once, even one that is stalled.
                let work = self.attempt(url, validators, observer);
                tokio::pin!(work);
                loop {
                    match tokio::time::timeout(INTERRUPT_POLL, &mut work).await {
                        Ok(result) => break result,
                        Err(_) => interrupt::check().map_err(Failure::Fatal)?,
                    }
                }
            });
            observer.finished();
            match result {
                Ok(got) => return Ok(got),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Transient(message)) if attempt == attempts => {
                    let message = if attempts > 1 {
                        format!("{message} (gave up after {attempts} attempts)")
                    } else {
                        message
                    };
                    return Err(Error::Network {
                        url: shown(url),
                        message,
                    });
                }
                Err(Failure::Transient(message)) => {
                    observer.retrying(&format!(
                        "{}: {message}; retrying in {} (attempt {} of {attempts})",
                        shown(url),
                        human_duration(delay),
                        attempt + 1
                    ));
                    let until = std::time::Instant::now() + delay;
                    while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
                        interrupt::check()?;
                        std::thread::sleep(left.min(INTERRUPT_POLL));
                    }
                    interrupt::check()?;
                    delay = delay.saturating_mul(2).min(MAX_RETRY_DELAY);
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    async fn attempt(
        &self,
        url: &Url,
        validators: Option<&Release>,
        observer: &dyn Observer,
    ) -> Result<Got, Failure> {
        let mut request = self.client.get(url.clone());
        let conditional = validators.is_some_and(|r| r.etag.is_some() || r.last_modified.is_some());
        if let Some(r) = validators {
            if let Some(etag) = &r.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(date) = &r.last_modified {
                request = request.header(IF_MODIFIED_SINCE, date);
            }
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| self.classify(url, &e, None))?;
        let status = response.status();
        let fatal = |message: String| {
            Failure::Fatal(Error::Network {
                url: shown(url),
                message,
            })
        };
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return if conditional {
                Ok(Got::NotModified)
            } else {
                Err(fatal(
                    "answered 304 Not Modified to a request that was not conditional".into(),
                ))
            };
        }
        if status.is_server_error() {
            return Err(Failure::Transient(format!("HTTP {status}")));
        }
        if status.is_redirection() {
            return Err(fatal(format!(
                "HTTP {status}: a redirect without a usable Location"
            )));
        }
        if !status.is_success() {
            return Err(fatal(format!("HTTP {status}")));
        }
        let max = self.opts.max_size;
        let too_large = || {
            fatal(format!(
                "the body is larger than the size limit of {} (after decompression; \
                 real Service Tags files are about 4 MB; see --max-size)",
                human_size(max)
            ))
        };
        let announced = response.content_length();
        if announced.is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header(ETAG);
        let last_modified = header(LAST_MODIFIED);
        let final_url = response.url().clone();
        observer.started(&shown(url), announced);
        let mut bytes = Vec::with_capacity(announced.unwrap_or(0).min(max) as usize);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (bytes.len() + chunk.len()) as u64 > max {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(&chunk);
                    observer.received(chunk.len() as u64);
                }
                Ok(None) => break,
                Err(e) => return Err(self.classify(url, &e, Some((bytes.len(), announced)))),
            }
        }
        // A mirror may keep the file gzipped (`.json.gz`, no Content-Encoding).
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut plain = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .take(max + 1)
                .read_to_end(&mut plain)
                .map_err(|e| fatal(format!("broken gzip data: {e}")))?;
            if plain.len() as u64 > max {
                return Err(too_large());
            }
            plain
        } else {
            bytes
        };
        Ok(Got::Body {
            bytes,
            final_url,
            etag,
            last_modified,
        })
    }

    /// Sort a transport error into final or worth a retry, with a message.
    fn classify(
        &self,
        url: &Url,
        e: &reqwest::Error,
        body: Option<(usize, Option<u64>)>,
    ) -> Failure {
        let cause = causes(e);
        if e.is_redirect() {
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                if let Some(r) = s.downcast_ref::<RedirectRefused>() {
                    return Failure::Fatal(Error::Refused {
                        what: shown(url),
                        message: r.to_string(),
                    });
                }
                source = s.source();
            }
            return Failure::Fatal(Error::Network {
                url: shown(url),
                message: format!("redirect failed: {cause}"),
            });
        }
        if e.is_timeout() {
            return Failure::Transient(if e.is_connect() {
                format!(
                    "could not connect within {} (--connect-timeout)",
                    human_duration(self.opts.connect_timeout)
                )
            } else {
                format!(
                    "no complete answer within {} (--timeout)",
                    human_duration(self.opts.timeout)
                )
            });
        }
        if e.is_connect() {
            if cause.to_ascii_lowercase().contains("certificate") {
                return Failure::Fatal(Error::Network {
                    url: shown(url),
                    message: format!("TLS certificate not accepted: {cause}"),
                });
            }
            return Failure::Transient(format!("cannot connect: {cause}"));
        }
        match body {
            Some((got, Some(total))) => Failure::Transient(format!(
                "the body broke off after {got} of {total} bytes: {cause}"
            )),
            Some((got, None)) => {
                Failure::Transient(format!("the body broke off after {got} bytes: {cause}"))
            }
            None => Failure::Transient(cause),
        }
    }
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

/// The last path segments of URLs, as file names.
fn names_of(urls: &[&Url]) -> Vec<String> {
    urls.iter()
        .filter_map(|u| u.path_segments().and_then(|mut s| s.next_back()))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The causes of an error, without the headings of the HTTP stack's layers
/// ("error sending request for url (...)", "client error (Connect)"), which
/// repeat the URL or say nothing an admin can act on.
fn causes(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        let heading =
            text.starts_with("client error (") || text == "request or response body error";
        if !heading && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// A duration as people write it (`500ms`, `2s`, `1m30s`).
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 || !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// A size as people write it (`64 MiB`, `20 KiB`, `100 bytes`).
pub fn human_size(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://www.microsoft.com/en-us/download/details.aspx?id=56519").unwrap()
    }

    fn pick(page: &str) -> Option<String> {
        find_link(page, &base(), Cloud::Public).map(|l| l.url.to_string())
    }

    const FILE: &str = "https://download.microsoft.com/download/7/1/D/71D86715-5596-4529-9B13-DA13A5DE5B63/ServiceTags_Public_20250811.json";

    #[test]
    fn javascript_variable() {
        let page = format!(r#"<script>var AcOEt_DownloadUrl = "{FILE}";</script>"#);
        let link = find_link(&page, &base(), Cloud::Public).unwrap();
        assert_eq!(link.url.as_str(), FILE);
        assert_eq!(link.how, "JavaScript download URL");
        assert_eq!(link.date, Some(20250811));
    }

    #[test]
    fn json_escaped_download_url() {
        let escaped = FILE.replace('/', "\\/");
        let page =
            format!(r#"window.__DLCDetails__={{"downloadFile":[{{"downloadUrl":"{escaped}"}}]}}"#);
        assert_eq!(pick(&page).as_deref(), Some(FILE));
        let page = format!(r#"{{"url":"{}"}}"#, FILE.replace('/', "\\u002F"));
        assert_eq!(pick(&page).as_deref(), Some(FILE));
    }

    #[test]
    fn plain_link_relative_and_lower_case() {
        let page = r#"<a class="btn" href='/download/7/1/d/71d86715/servicetags_public_20250811.json'>Download</a>"#;
        assert_eq!(
            pick(page).as_deref(),
            Some(
                "https://www.microsoft.com/download/7/1/d/71d86715/servicetags_public_20250811.json"
            )
        );
        let page = r#"<a href=https://download.microsoft.com/download/x/ServiceTags_Public_20250811.json>x</a>"#;
        assert!(
            pick(page)
                .unwrap()
                .ends_with("ServiceTags_Public_20250811.json")
        );
    }

    #[test]
    fn newest_date_wins_and_other_clouds_are_ignored() {
        let page = r#"
            <a href="https://download.microsoft.com/download/a/ServiceTags_Public_20250804.json">old</a>
            <a href="https://download.microsoft.com/download/b/ServiceTags_AzureGovernment_20250901.json">gov</a>
            <script>var AcOEt_DownloadUrl = "https://download.microsoft.com/download/c/ServiceTags_Public_20250728.json";</script>
            <p>also at https://download.microsoft.com/download/d/ServiceTags_Public_20250818.json</p>
            <a href="https://download.microsoft.com/download/e/ServiceTags_Public_20250811.json">mid</a>"#;
        let link = find_link(page, &base(), Cloud::Public).unwrap();
        assert!(
            link.url
                .as_str()
                .ends_with("/d/ServiceTags_Public_20250818.json")
        );
        assert_eq!(link.how, "URL in the page text");
        let gov = find_link(page, &base(), Cloud::AzureGovernment).unwrap();
        assert!(
            gov.url
                .as_str()
                .ends_with("ServiceTags_AzureGovernment_20250901.json")
        );
        assert!(find_link(page, &base(), Cloud::China).is_none());
    }

    #[test]
    fn undated_links_only_when_nothing_dated() {
        let page = r#"<script>var AcOEt_DownloadUrl = "https://mirror.example/latest.json";</script>
                      <a href="/download/x/servicetags.json">y</a>"#;
        assert_eq!(
            pick(page).as_deref(),
            Some("https://mirror.example/latest.json")
        );
        // A bare file name in text is not a link, except on Microsoft's own
        // page, where it names a file in the cloud's download folder.
        let mirror = Url::parse("https://mirror.example/tags/").unwrap();
        let bare =
            "<td>ServiceTags_Public_20250811.json</td><td>ServiceTags_Public_20250804.json</td>";
        assert!(find_link(bare, &mirror, Cloud::Public).is_none());
        assert_eq!(pick(bare).as_deref(), Some(FILE));
        let both = format!("{bare}<a href=\"{}\">x</a>", FILE.replace("0811", "0804"));
        assert!(
            pick(&both).unwrap().ends_with("_20250804.json"),
            "a real link wins"
        );
        assert_eq!(pick("<a href=\"/en-us/download/other.aspx\">no</a>"), None);
    }

    #[test]
    fn urls_are_checked_for_scheme_and_host() {
        let allowed = vec![
            "www.microsoft.com".to_string(),
            "download.microsoft.com".to_string(),
        ];
        let ok = Url::parse(FILE).unwrap();
        assert!(check_url(&ok, &allowed, false).is_ok());
        let other = Url::parse("https://evil.example/ServiceTags_Public_20250811.json").unwrap();
        assert!(
            check_url(&other, &allowed, false)
                .unwrap_err()
                .contains("--allow-host evil.example")
        );
        let http = Url::parse(&FILE.replace("https", "http")).unwrap();
        assert!(
            check_url(&http, &allowed, false)
                .unwrap_err()
                .contains("--allow-http")
        );
        assert!(check_url(&http, &allowed, true).is_ok());
        let local = vec![
            "127.0.0.1".to_string(),
            "[::1]".to_string(),
            "localhost".to_string(),
        ];
        for u in [
            "http://127.0.0.1:8080/x.json",
            "http://[::1]/x.json",
            "http://localhost/x",
        ] {
            assert!(
                check_url(&Url::parse(u).unwrap(), &local, false).is_ok(),
                "{u}"
            );
        }
        let ftp = Url::parse("ftp://download.microsoft.com/x.json").unwrap();
        assert!(check_url(&ftp, &allowed, true).unwrap_err().contains("ftp"));
    }

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

    #[test]
    fn json_sniffing_and_formatting() {
        assert!(looks_like_json(b"\xEF\xBB\xBF\r\n  {\"a\":1}"));
        assert!(!looks_like_json(b"<!DOCTYPE html>"));
        assert!(!looks_like_json(b""));
        assert_eq!(human_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(human_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(human_size(64 << 20), "64 MiB");
        assert_eq!(details_page_id(Cloud::AzureGovernment), 57063);
        assert_eq!(details_page_id(Cloud::China), 57062);
    }
}
