//! `tagwall run`: the unattended job. The flags become a plain
//! [`RunFlags`]; the run module merges them with the config file
//! ([`RunConfig::resolve`]); this file prints what the job did and runs the
//! on-change command.

use super::args::RunArgs;
use super::progress::Progress;
use super::{note, warn};
use crate::error::{Result, exit};
use crate::run::{self, Fetched, RunConfig, RunFlags};
use std::path::Path;

/// Resolve the configuration, run the job once, report, run the hook.
pub fn execute(args: RunArgs, quiet: bool) -> Result<i32> {
    let (verbose, detailed_exitcode) = (args.verbose, args.detailed_exitcode);
    let info = |message: &str| {
        if verbose && !quiet {
            eprintln!("tagwall: {message}");
        }
    };
    if args.config.is_none() && Path::new("tagwall.toml").is_file() {
        note(
            quiet,
            "using the built-in policy; pass --config tagwall.toml to use the file in this folder",
        );
    }
    let RunConfig {
        options: opts,
        on_change,
    } = RunConfig::resolve(flags(args), today())?;
    info(&format!(
        "state {}, output {}, cloud {}",
        opts.fetch.state.display(),
        opts.out.display(),
        opts.fetch.cloud
    ));
    // The report is printed, and the on-change command run, while the state
    // folder is still locked: a second run waits for the hook to end.
    let report = run::run_then(&opts, &Progress::new(quiet), |report| {
        for w in &report.warnings {
            warn(quiet, w);
        }
        for f in &report.forced {
            warn(
                quiet,
                &format!("guard rail {} overridden by --force: {}", f.rail, f.message),
            );
        }
        let r = &report.release;
        let release = format!("{} ({}, changeNumber {})", r.file, r.cloud, r.change_number);
        info(&match report.fetched {
            Fetched::NotModified => format!("not modified since the last fetch: {release}"),
            Fetched::Same => format!("the current release is unchanged: {release}"),
            Fetched::New => format!("new release: {release}"),
        });
        if report.retained > 0 {
            note(
                quiet,
                &format!(
                    "{} removed prefixes stay in the outputs for the grace period",
                    report.retained
                ),
            );
        }
        if let Some(summary) = &report.summary
            && (verbose || opts.dry_run)
            && !quiet
        {
            eprint!("{summary}");
        }
        let verb = match (opts.dry_run, report.changed) {
            (true, true) => "would change",
            (true, false) => "would leave unchanged",
            (false, true) => "changed",
            (false, false) => "left unchanged",
        };
        let out = &opts.out;
        if report.fetched == Fetched::New && !report.changed {
            note(
                quiet,
                &format!(
                    "no address of the policy changed: {verb} {} (its manifest names {release})",
                    out.display()
                ),
            );
        } else {
            note(quiet, &format!("{verb} {} for {release}", out.display()));
        }
        if report.written
            && let Some(command) = on_change
        {
            let path = report
                .report
                .clone()
                .unwrap_or_else(|| out.join(crate::write::MANIFEST));
            info(&format!(
                "running the on-change command with {}",
                path.display()
            ));
            run::run_hook(&command, &path, out)?;
        }
        Ok(())
    })?;
    Ok(match (detailed_exitcode, report.changed) {
        (true, true) => exit::CHANGED,
        _ => exit::SUCCESS,
    })
}

/// The flags as the user gave them, free of clap. `verbose` and
/// `--detailed-exitcode` only shape what this file prints, so they stay here.
fn flags(args: RunArgs) -> RunFlags {
    RunFlags {
        config: args.config,
        cloud: args.cloud,
        from: args.from,
        state: args.state,
        out: args.out,
        targets: args.targets,
        templates: args.templates,
        dry_run: args.dry_run,
        force: args.force,
        max_removal: args.max_removal,
        max_age: args.max_age,
        grace: args.grace,
        on_change: args.on_change,
        lock_timeout: args.lock_timeout,
        allow_hosts: args.allow_hosts,
        ca_certs: args.ca_certs,
        allow_http: args.allow_http,
        timeout: Some(args.timeout),
        retries: Some(args.retries),
    }
}

/// Today in days since 1970-01-01 (UTC): the one clock read of a run, made
/// here so that the library is handed the day.
fn today() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_secs() / 86_400) as i64)
        .unwrap_or(0)
}
