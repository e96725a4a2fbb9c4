//! The retrying HTTP transport: one client bound to a fetch's rules
//! (timeouts, certificates, redirects through `url_policy`), a GET with
//! bounded retries and exponential backoff on what is worth retrying, a
//! conditional GET with the kept release's validators, a cap on the body
//! after decompression, and an interrupt that stops a stalled download.

use super::url_policy::{RedirectRefused, allowed_hosts, is_loopback, redirect_policy};
use super::{FetchOptions, Observer, shown};
use crate::error::{Error, Result};
use crate::interrupt;
use crate::state::Release;
use crate::units::{human_duration, human_size};
use reqwest::Url;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use std::io::Read;
use std::time::Duration;

/// Longest wait between two attempts, however many retries.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
/// How often a download in progress, or a wait between attempts, looks for a signal.
const INTERRUPT_POLL: Duration = Duration::from_millis(100);
/// The User-Agent header sent.
pub const USER_AGENT: &str = concat!("tagwall/", env!("CARGO_PKG_VERSION"));

/// Why an attempt failed.
enum Failure {
    /// Worth another attempt: a timeout, a broken connection, a 5xx.
    Transient(String),
    /// Final.
    Fatal(Error),
}

/// What a GET brought.
pub(super) enum Got {
    /// 304 to a conditional GET.
    NotModified,
    /// A body, read whole.
    Body {
        bytes: Vec<u8>,
        final_url: Url,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// An HTTP client bound to one fetch's rules.
pub(super) struct Transport<'a> {
    /// The fetch's options.
    pub(super) opts: &'a FetchOptions,
    /// The first URL: a details page or the file.
    pub(super) start: Url,
    /// Hosts that links and redirects may lead to.
    pub(super) allowed: Vec<String>,
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl<'a> Transport<'a> {
    /// A client for a fetch starting at `url`; refuses what `url_policy` refuses.
    pub(super) fn new(opts: &'a FetchOptions, url: &str) -> Result<Self> {
        let start = Url::parse(url).map_err(|e| Error::Usage(format!("{url}: not a URL: {e}")))?;
        let allowed = allowed_hosts(&start, opts)?;
        let policy = redirect_policy(&allowed, opts.allow_http);
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

    /// GET a URL with retries. `validators`: the kept release whose ETag and
    /// Last-Modified make the request conditional.
    pub(super) fn get(
        &self,
        url: &Url,
        validators: Option<&Release>,
        observer: &dyn Observer,
    ) -> Result<Got> {
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
