//! `tagwall run`'s configuration: what the user said on the command line,
//! merged with the config file's `[run]` table and the defaults into the
//! validated [`RunOptions`] the job runs with.
//!
//! Two steps, as in ripgrep's low and high arguments: the command line fills
//! a [`RunFlags`] (plain values, nothing resolved), and [`RunConfig::resolve`]
//! reads the config file and applies the precedence flag > `[run]` > default,
//! field by field. Only this step knows the defaults of the `[run]` keys.

use super::RunOptions;
use crate::error::{Error, Result};
use crate::fetch::{FetchOptions, Source};
use crate::guard::Rail;
use crate::pipeline;
use crate::policy::RunSettings;
use crate::release::Cloud;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// State folder when neither `--state` nor `[run] state` names one.
const DEFAULT_STATE: &str = "state";
/// Output folder when neither `--out` nor `[run] out` names one.
const DEFAULT_OUT: &str = "out";
/// Largest share of a rule's addresses one release may remove, in percent,
/// when neither `--max-removal` nor `[run] max_removal_percent` says.
const DEFAULT_MAX_REMOVAL_PERCENT: u32 = 10;
/// How long to wait for another run's lock, when neither `--lock-timeout`
/// nor `[run] lock_timeout_seconds` says.
const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// What the user asked of `tagwall run`, as given: `None` (or empty) where a
/// flag was not given. Nothing is defaulted, merged or checked yet.
#[derive(Clone, Debug, Default)]
pub struct RunFlags {
    /// `--config`: a policy file whose `[run]` table supplies what no flag says;
    /// also the policy the job renders (the built-in one when `None`).
    pub config: Option<PathBuf>,
    /// `--cloud`: the cloud whose release to fetch.
    pub cloud: Option<Cloud>,
    /// `--from`: a details page or file URL, or a local file.
    pub from: Option<String>,
    /// `--state`: the state folder.
    pub state: Option<PathBuf>,
    /// `--out`: the output folder.
    pub out: Option<PathBuf>,
    /// `--target`: targets to render; empty when not given.
    pub targets: Vec<String>,
    /// `--templates`: a folder of templates that replace the built-in ones.
    pub templates: Option<PathBuf>,
    /// `--dry-run`: report what would change, write nothing.
    pub dry_run: bool,
    /// `--force`: guard rails to override, by name as typed (checked here).
    pub force: Vec<String>,
    /// `--max-removal`: largest share of a rule's addresses one release may
    /// remove, in percent (checked here: at most 100).
    pub max_removal: Option<u32>,
    /// `--max-age`: refuse releases older than this many days.
    pub max_age: Option<u32>,
    /// `--grace`: keep removed addresses in the outputs this many days.
    pub grace: Option<u32>,
    /// `--on-change`: command run after the outputs changed.
    pub on_change: Option<String>,
    /// `--lock-timeout`: how long to wait for another run to finish.
    pub lock_timeout: Option<Duration>,
    /// `--allow-host`: hosts that links and redirects may also lead to; added
    /// to those of `[run] allow_hosts`, not replacing them.
    pub allow_hosts: Vec<String>,
    /// `--ca-cert`: PEM files of extra certificate authorities to trust.
    pub ca_certs: Vec<PathBuf>,
    /// `--allow-http`: plain http to hosts that are not loopback addresses.
    pub allow_http: bool,
    /// `--timeout`: limit on one whole request; the fetch default when `None`.
    pub timeout: Option<Duration>,
    /// `--retries`: retries after a failed attempt; the fetch default when `None`.
    pub retries: Option<u32>,
}

/// The resolved configuration of one run: the job's options and what the
/// caller does after it.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// What [`super::run`] runs with.
    pub options: RunOptions,
    /// Command to run (with [`super::run_hook`]) after a run that wrote new
    /// outputs: `--on-change`, else `[run] on_change`.
    pub on_change: Option<String>,
}

impl RunConfig {
    /// Merge the flags with the `[run]` table of `flags.config` (when given)
    /// and the defaults: a flag wins over the table, the table over the
    /// default. `today` is the day the run's age and grace checks count from
    /// (days since 1970-01-01, UTC).
    ///
    /// Errors: the config file cannot be read or is not a valid policy; an
    /// unknown `--force` name; a removal percentage above 100.
    pub fn resolve(flags: RunFlags, today: i64) -> Result<RunConfig> {
        let settings: RunSettings = match &flags.config {
            Some(path) => pipeline::load_policy(Some(path))?.policy.run,
            None => RunSettings::default(),
        };
        // The policy's validation has already refused other names.
        // `[run] cloud` was checked against the same names when the policy was read.
        let cloud = flags.cloud.unwrap_or(match settings.cloud.as_deref() {
            Some(name) => Cloud::from_arg(name).unwrap_or(Cloud::Public),
            None => Cloud::Public,
        });
        let force = force_rails(&flags.force)?;
        let max_removal = flags
            .max_removal
            .or(settings.max_removal_percent)
            .unwrap_or(DEFAULT_MAX_REMOVAL_PERCENT);
        if max_removal > 100 {
            return Err(Error::Usage(format!(
                "--max-removal {max_removal}: a percentage from 0 to 100"
            )));
        }
        let defaults = FetchOptions::default();
        let mut allow_hosts = defaults.allow_hosts.clone();
        allow_hosts.extend(settings.allow_hosts.unwrap_or_default());
        allow_hosts.extend(flags.allow_hosts);
        let fetch = FetchOptions {
            cloud,
            from: flags.from.or(settings.from).as_deref().map(Source::parse),
            state: flags
                .state
                .or(settings.state)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE)),
            // An older release is let through by `--force older`, after the
            // guard rail has said so; the fetch itself never accepts one.
            allow_older: false,
            allow_hosts,
            allow_http: flags.allow_http || settings.allow_http.unwrap_or(false),
            // Authorities add up, as hosts do: the file's and the flags'.
            ca_certs: settings
                .ca_certs
                .unwrap_or_default()
                .into_iter()
                .chain(flags.ca_certs)
                .collect(),
            timeout: flags
                .timeout
                .or(settings.timeout_seconds.map(Duration::from_secs))
                .unwrap_or(defaults.timeout),
            retries: flags
                .retries
                .or(settings.retries)
                .unwrap_or(defaults.retries),
            ..defaults
        };
        let targets = if flags.targets.is_empty() {
            settings.targets.unwrap_or_default()
        } else {
            flags.targets
        };
        let options = RunOptions {
            fetch,
            policy: flags.config,
            targets,
            out: flags
                .out
                .or(settings.out)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_OUT)),
            templates: flags.templates.or(settings.templates),
            dry_run: flags.dry_run,
            force,
            max_removal: f64::from(max_removal) / 100.0,
            max_age_days: flags.max_age.or(settings.max_age_days),
            grace_days: flags.grace.or(settings.grace_days).unwrap_or(0),
            lock_timeout: flags
                .lock_timeout
                .or(settings.lock_timeout_seconds.map(Duration::from_secs))
                .unwrap_or(DEFAULT_LOCK_TIMEOUT),
            today,
        };
        Ok(RunConfig {
            options,
            on_change: flags.on_change.or(settings.on_change),
        })
    }
}

/// The guard rails `--force` names, each checked against the known ones.
fn force_rails(names: &[String]) -> Result<BTreeSet<Rail>> {
    names
        .iter()
        .map(|name| {
            Rail::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Rail::ALL.iter().map(|r| r.as_str()).collect();
                Error::Usage(format!(
                    "--force {name}: no such guard rail (known: {})",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config_file(dir: &Path, run_table: &str) -> PathBuf {
        let path = dir.join("tagwall.toml");
        let text = crate::policy::DEFAULT_POLICY_TOML.replace("# [run]\n", run_table);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn defaults_without_flags_or_config() {
        let c = RunConfig::resolve(RunFlags::default(), 7).unwrap();
        let o = &c.options;
        let f = FetchOptions::default();
        assert_eq!(o.fetch.cloud, Cloud::Public);
        assert!(o.fetch.from.is_none());
        assert_eq!(o.fetch.state, Path::new("state"));
        assert_eq!(o.fetch.allow_hosts, f.allow_hosts);
        assert_eq!((o.fetch.timeout, o.fetch.retries), (f.timeout, f.retries));
        assert_eq!(o.out, Path::new("out"));
        assert!(o.targets.is_empty() && o.policy.is_none() && o.force.is_empty());
        assert_eq!(o.max_removal, 0.10);
        assert_eq!((o.max_age_days, o.grace_days), (None, 0));
        assert_eq!(o.lock_timeout, Duration::from_secs(60));
        assert_eq!(o.today, 7);
        assert!(c.on_change.is_none());
    }

    #[test]
    fn config_fills_what_flags_leave_out_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = config_file(
            dir.path(),
            "[run]\ncloud = \"china\"\nstate = \"st\"\nout = \"o\"\ntargets = [\"plain\"]\n\
             max_removal_percent = 20\nmax_age_days = 9\ngrace_days = 3\non_change = \"true\"\n\
             lock_timeout_seconds = 5\nallow_hosts = [\"mirror.example\"]\n\
             templates = \"tpl\"\nca_certs = [\"ca.pem\"]\nallow_http = true\n\
             timeout_seconds = 7\nretries = 1\n",
        );
        let from_config = RunFlags {
            config: Some(path.clone()),
            ..RunFlags::default()
        };
        let c = RunConfig::resolve(from_config, 0).unwrap();
        let o = &c.options;
        assert_eq!(o.fetch.cloud, Cloud::China);
        assert_eq!(o.fetch.state, Path::new("st"));
        assert_eq!(o.out, Path::new("o"));
        assert_eq!(o.targets, ["plain"]);
        assert_eq!(o.max_removal, 0.20);
        assert_eq!((o.max_age_days, o.grace_days), (Some(9), 3));
        assert_eq!(o.lock_timeout, Duration::from_secs(5));
        assert_eq!(o.fetch.allow_hosts.last().unwrap(), "mirror.example");
        assert_eq!(c.on_change.as_deref(), Some("true"));
        assert_eq!(o.policy.as_deref(), Some(path.as_path()));
        assert_eq!(o.templates.as_deref(), Some(Path::new("tpl")));
        assert_eq!(o.fetch.ca_certs, [PathBuf::from("ca.pem")]);
        assert!(o.fetch.allow_http);
        assert_eq!(o.fetch.timeout, Duration::from_secs(7));
        assert_eq!(o.fetch.retries, 1);

        let flags = RunFlags {
            config: Some(path),
            cloud: Some(Cloud::AzureGovernment),
            state: Some("flag-st".into()),
            out: Some("flag-o".into()),
            targets: vec!["junos".into()],
            max_removal: Some(30),
            max_age: Some(1),
            grace: Some(2),
            on_change: Some("false".into()),
            lock_timeout: Some(Duration::from_millis(200)),
            allow_hosts: vec!["flag.example".into()],
            templates: Some("flag-tpl".into()),
            ca_certs: vec!["flag-ca.pem".into()],
            timeout: Some(Duration::from_secs(9)),
            retries: Some(4),
            ..RunFlags::default()
        };
        let c = RunConfig::resolve(flags, 0).unwrap();
        let o = &c.options;
        assert_eq!(o.fetch.cloud, Cloud::AzureGovernment);
        assert_eq!(o.fetch.state, Path::new("flag-st"));
        assert_eq!(o.out, Path::new("flag-o"));
        assert_eq!(o.targets, ["junos"]);
        assert_eq!(o.max_removal, 0.30);
        assert_eq!((o.max_age_days, o.grace_days), (Some(1), 2));
        assert_eq!(o.lock_timeout, Duration::from_millis(200));
        // Hosts add up: the default, the config's, the flag's.
        let hosts = &o.fetch.allow_hosts;
        assert_eq!(hosts[hosts.len() - 2..], ["mirror.example", "flag.example"]);
        assert_eq!(c.on_change.as_deref(), Some("false"));
        assert_eq!(o.templates.as_deref(), Some(Path::new("flag-tpl")));
        // Authorities add up too.
        assert_eq!(
            o.fetch.ca_certs,
            [PathBuf::from("ca.pem"), PathBuf::from("flag-ca.pem")]
        );
        assert_eq!(
            (o.fetch.timeout, o.fetch.retries),
            (Duration::from_secs(9), 4)
        );
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        let unknown = RunFlags {
            force: vec!["older".into(), "everything".into()],
            ..RunFlags::default()
        };
        match RunConfig::resolve(unknown, 0) {
            Err(Error::Usage(m)) => assert_eq!(
                m,
                "--force everything: no such guard rail (known: older, age, removal)"
            ),
            other => panic!("{other:?}"),
        }
        let too_much = RunFlags {
            max_removal: Some(101),
            ..RunFlags::default()
        };
        match RunConfig::resolve(too_much, 0) {
            Err(Error::Usage(m)) => assert_eq!(m, "--max-removal 101: a percentage from 0 to 100"),
            other => panic!("{other:?}"),
        }
        let forced = RunFlags {
            force: vec!["age".into(), "removal".into()],
            max_removal: Some(100),
            ..RunFlags::default()
        };
        let o = RunConfig::resolve(forced, 0).unwrap().options;
        assert_eq!(o.force, [Rail::Age, Rail::Removal].into_iter().collect());
        assert_eq!(o.max_removal, 1.0);
    }
}
