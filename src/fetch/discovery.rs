//! Finding the release file: Microsoft's details page for a cloud, the links
//! on a page ([`find_links`], [`find_link`]), and the way from the start URL
//! to the file's bytes (`download`): a file URL is the file, a page is
//! searched for the file's link, which is checked and then downloaded.

use super::transport::{Got, Transport};
use super::url_policy::check_url;
use super::{Download, Observer, shown};
use crate::error::{Error, Result};
use crate::model::Cloud;
use crate::release::ReleaseName;
use crate::state::Release;
use regex::Regex;
use reqwest::Url;
use std::sync::LazyLock;
use time::Date;

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
        cloud.facts().details_page_id
    )
}

/// A link to a release found on a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The absolute URL.
    pub url: Url,
    /// The date in its file name, when it has one.
    pub date: Option<Date>,
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
///    cloud's long-standing download folder
///    ([`CloudFacts::download_folder`](crate::release::CloudFacts::download_folder)).
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
        let date = match ReleaseName::parse(&file) {
            Some(n) if n.cloud != cloud => return None,
            Some(n) => Some(n.date),
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
    for (at, _) in ReleaseName::find_all(&text) {
        let head = &text[..at.start];
        let start = head
            .char_indices()
            .rev()
            .find(|&(_, ch)| !is_url_char(ch))
            .map_or(0, |(i, ch)| i + ch.len_utf8());
        let raw = &text[start..at.end];
        if raw.contains('/') {
            links.extend(link(raw, "URL in the page text", 2, &|_: &Url| false));
        }
    }
    let on_microsoft = base.host_str().is_some_and(|h| {
        let h = h.to_ascii_lowercase();
        h == "microsoft.com" || h.ends_with(".microsoft.com")
    });
    if on_microsoft && !links.iter().any(|l| l.date.is_some()) {
        for (_, name) in ReleaseName::find_all(&text) {
            if name.cloud == cloud {
                let url = format!("{}{name}", cloud.facts().download_folder);
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

/// Download the release from the transport's start URL, through its details
/// page when it is one. `None`: the server says the current release is still
/// the newest (304).
pub(super) fn download(
    t: &Transport<'_>,
    current: Option<&Release>,
    observer: &dyn Observer,
) -> Result<Option<Download>> {
    let validators = |u: &Url| current.filter(|r| r.source == shown(u));
    let (bytes, final_url, etag, last_modified) =
        match t.get(&t.start, validators(&t.start), observer)? {
            Got::NotModified => return Ok(None),
            Got::Body {
                bytes,
                final_url,
                etag,
                last_modified,
            } => (bytes, final_url, etag, last_modified),
        };
    let expect_json = [&t.start, &final_url].iter().any(|u| {
        let path = u.path().to_ascii_lowercase();
        path.ends_with(".json") || path.ends_with(".json.gz")
    });
    if expect_json || looks_like_json(&bytes) {
        return Ok(Some(Download {
            bytes,
            source: shown(&t.start),
            page: None,
            etag,
            last_modified,
            names: names_of(&[&final_url, &t.start]),
        }));
    }

    // A page: find the file's link on it.
    let page = shown(&t.start);
    let text = String::from_utf8_lossy(&bytes);
    let Some(link) = find_link(&text, &final_url, t.opts.cloud) else {
        return Err(Error::Invalid {
            file: page,
            message: format!(
                "no link to a ServiceTags_{}_YYYYMMDD.json file found on this page \
                 (looked for a JavaScript download URL, links, and file URLs in the text); \
                 the page layout may have changed: pass the file's URL with --from",
                t.opts.cloud
            ),
        });
    };
    check_url(&link.url, &t.allowed, t.opts.allow_http).map_err(|why| Error::Refused {
        what: page.clone(),
        message: format!(
            "the page links to {} ({}), but {why}",
            shown(&link.url),
            link.how
        ),
    })?;
    match t.get(&link.url, validators(&link.url), observer)? {
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

/// The last path segments of URLs, as file names.
fn names_of(urls: &[&Url]) -> Vec<String> {
    urls.iter()
        .filter_map(|u| u.path_segments().and_then(|mut s| s.next_back()))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
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
        assert_eq!(link.date, date("ServiceTags_Public_20250811.json"));
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

    fn date(s: &str) -> Option<Date> {
        ReleaseName::parse(s).map(|n| n.date)
    }

    #[test]
    fn json_sniffing_and_details_pages() {
        assert!(looks_like_json(b"\xEF\xBB\xBF\r\n  {\"a\":1}"));
        assert!(!looks_like_json(b"<!DOCTYPE html>"));
        assert!(!looks_like_json(b""));
        assert!(details_page(Cloud::AzureGovernment).ends_with("?id=57063"));
        assert!(details_page(Cloud::China).ends_with("?id=57062"));
    }
}
