//! `tagwall fetch`: bring the newest release into the state folder.

use super::args::FetchArgs;
use super::progress::Progress;
use super::{note, warn};
use crate::error::{Result, exit};
use crate::fetch::{self, FetchOptions, Outcome, Source};

/// Fetch, then say what became of the release.
pub fn execute(args: FetchArgs, quiet: bool) -> Result<i32> {
    let mut allow_hosts: Vec<String> = fetch::DEFAULT_ALLOWED_HOSTS
        .iter()
        .map(|h| h.to_string())
        .collect();
    allow_hosts.extend(args.allow_hosts);
    let opts = FetchOptions {
        cloud: args.cloud,
        from: args.from.as_deref().map(Source::parse),
        state: args.state,
        allow_older: args.allow_older,
        allow_hosts,
        allow_http: args.allow_http,
        ca_certs: args.ca_certs,
        connect_timeout: args.connect_timeout,
        timeout: args.timeout,
        retries: args.retries,
        retry_delay: args.retry_delay,
        max_size: args.max_size,
    };
    let report = fetch::fetch(&opts, &Progress::new(quiet))?;
    let r = &report.release;
    let what = format!("{} ({}, changeNumber {})", r.file, r.cloud, r.change_number);
    let message = match report.outcome {
        Outcome::Added => format!(
            "fetched {what} from {} into {}",
            report.source,
            report.path.display()
        ),
        Outcome::Reinstated => format!(
            "{what}, already kept at {}, is the current release again",
            report.path.display()
        ),
        Outcome::AlreadyCurrent => format!(
            "already current: {what}; {} has the same bytes",
            report.source
        ),
        Outcome::NotModified => format!(
            "already current: {what}; {} is not modified since it was fetched",
            report.source
        ),
    };
    note(quiet, &message);
    if let Some(old) = &report.replaced {
        if old.change_number > r.change_number {
            warn(
                quiet,
                &format!(
                    "{} has a lower changeNumber than {} (changeNumber {}), which it replaces \
                     as the current release because of --allow-older",
                    r.file, old.file, old.change_number
                ),
            );
        } else {
            note(
                quiet,
                &format!(
                    "it replaces {} (changeNumber {}) as the current release",
                    old.file, old.change_number
                ),
            );
        }
    }
    Ok(exit::SUCCESS)
}
