//! What may be fetched: the hosts links and redirects may lead to, https
//! (plain http only to a loopback address, or when allowed), and how many
//! redirects are followed. Every URL the fetch touches passes [`check_url`]:
//! the first, each redirect, and a link found on a page.

use super::{FetchOptions, shown};
use crate::error::{Error, Result};
use reqwest::Url;
use std::fmt;
use std::sync::Arc;

/// Hosts that links and redirects may lead to, besides the first URL's own.
pub const DEFAULT_ALLOWED_HOSTS: &[&str] = &["download.microsoft.com"];
/// Most redirects followed for one request.
pub const MAX_REDIRECTS: usize = 10;

/// The hosts a fetch from `start` may reach: its own and `--allow-host`'s.
/// Refuses a malformed host, and a start URL that may not be fetched.
pub(super) fn allowed_hosts(start: &Url, opts: &FetchOptions) -> Result<Vec<String>> {
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
    check_url(start, &allowed, opts.allow_http)
        .map_err(|why| Error::Usage(format!("{}: {why}", shown(start))))?;
    Ok(allowed)
}

/// Follow a redirect only to a URL that [`check_url`] accepts, and at most
/// [`MAX_REDIRECTS`] of them; a refusal is a [`RedirectRefused`] error.
pub(super) fn redirect_policy(allowed: &[String], allow_http: bool) -> reqwest::redirect::Policy {
    let allowed = Arc::new(allowed.to_vec());
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            let why = format!("more than {MAX_REDIRECTS} redirects");
            return attempt.error(RedirectRefused(why));
        }
        match check_url(attempt.url(), &allowed, allow_http) {
            Ok(()) => attempt.follow(),
            Err(why) => {
                let why = format!("redirected to {}, but {why}", shown(attempt.url()));
                attempt.error(RedirectRefused(why))
            }
        }
    })
}

pub(super) fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a URL may not be fetched, if it may not: its scheme (https; http only
/// to loopback or with `allow_http`) and its host (one of `allowed`).
pub(super) fn check_url(url: &Url, allowed: &[String], allow_http: bool) -> Result<(), String> {
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
pub(super) struct RedirectRefused(String);

impl fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedirectRefused {}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "https://download.microsoft.com/download/7/1/D/71D86715-5596-4529-9B13-DA13A5DE5B63/ServiceTags_Public_20250811.json";

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
}
