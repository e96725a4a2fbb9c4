//! `tagwall run`: the unattended job a cron entry, systemd timer or CI
//! pipeline runs. fetch -> validate -> guard rails -> diff -> render -> write
//! -> report, in that order, under the state folder's lock:
//!
//! - nothing changes until every check has passed: a refused or broken
//!   release leaves the outputs and the state folder as they were;
//! - the outputs change as a whole (with the manifest, the change report and
//!   each target's delta files), and the output they replace is kept beside
//!   them (`OUT.previous`);
//! - only then does the release become current in the state folder, so a run
//!   killed at any point is simply done again by the next one;
//! - with a grace period, addresses Microsoft removes stay in the outputs for
//!   that many days ("add early, remove late"): Microsoft does not reuse freed
//!   addresses at once, and a removal that turns out to be a mistake is undone
//!   before it cuts traffic.

mod config;

pub use config::{RunConfig, RunFlags};

use crate::aggregate::AddressSet;
use crate::delta::Delta;
use crate::error::{Error, Result};
use crate::fetch::{self, FetchOptions, Observer, Obtained};
use crate::guard::{self, Rail, Refusal};
use crate::model::ServiceTags;
use crate::pipeline::{self, DIFF_MARKDOWN, RenderInputs};
use crate::release::ReleaseName;
use crate::render::{Engine, find_targets};
use crate::select::Selection;
use crate::source::Loaded;
use crate::source::Provenance;
use crate::state::State;
use crate::write;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The record of what the last run wrote, kept in the state folder.
pub const RECORD: &str = "run.json";

/// Everything `tagwall run` needs, free of command-line concerns: the high
/// level configuration, which [`RunConfig::resolve`] makes from the flags and
/// the config file.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Where and how to fetch; `fetch.state` is the state folder.
    pub fetch: FetchOptions,
    /// Policy file; the built-in default when `None`.
    pub policy: Option<PathBuf>,
    /// Targets to render; all when empty.
    pub targets: Vec<String>,
    /// Output folder.
    pub out: PathBuf,
    /// Folder of templates that replace the built-in ones.
    pub templates: Option<PathBuf>,
    /// Report what would change, write nothing.
    pub dry_run: bool,
    /// Guard rails to override.
    pub force: BTreeSet<Rail>,
    /// Largest share (0.0-1.0) of a rule's addresses one release may remove.
    pub max_removal: f64,
    /// Refuse releases older than this many days (by the date in the file name).
    pub max_age_days: Option<u32>,
    /// Keep removed addresses in the outputs for this many days (0: remove at once).
    pub grace_days: u32,
    /// How long to wait for another run to release the state folder.
    pub lock_timeout: Duration,
    /// Today, in days since 1970-01-01 (UTC); passed in, never read inside.
    pub today: i64,
}

/// How the release was had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fetched {
    /// The server answered 304 Not Modified.
    NotModified,
    /// The same release as the current one.
    Same,
    /// A release that is not the current one.
    New,
}

/// What a run did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The release the outputs are built from.
    pub release: Provenance,
    /// The release the previous outputs were built from.
    pub previous: Option<Provenance>,
    /// How the release was had.
    pub fetched: Fetched,
    /// The outputs differ from those in place.
    pub changed: bool,
    /// The outputs were written (false in a dry run or without a change).
    pub written: bool,
    /// Guard rails that refused and were overridden with `--force`.
    pub forced: Vec<Refusal>,
    /// Prefixes kept in the outputs for the grace period.
    pub retained: usize,
    /// The change report in the output folder, when there is one.
    pub report: Option<PathBuf>,
    /// The same report as text, for the log.
    pub summary: Option<String>,
    /// Things the user should know.
    pub warnings: Vec<String>,
}

/// What the last run wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    /// The release file (in the state folder) the outputs were built from.
    release: String,
    /// Its SHA-256.
    release_sha256: String,
    /// What else shaped the outputs: tool version, policy, targets, templates.
    inputs: String,
    /// Per rule, the prefixes the outputs allow (grace included).
    applied: BTreeMap<String, Vec<IpNet>>,
    /// Per rule, prefixes kept for the grace period, with the day (since
    /// 1970-01-01) they left Microsoft's file.
    retained: BTreeMap<String, BTreeMap<IpNet, i64>>,
}

/// Run the job once.
pub fn run(opts: &RunOptions, observer: &dyn Observer) -> Result<RunReport> {
    run_then(opts, observer, |_| Ok(()))
}

/// Run the job once, then `after` with its report while the state folder is
/// still locked: the on-change command runs there, so that no other run
/// starts before it has ended. An error of `after` is the run's, though
/// what the run wrote stays written.
pub fn run_then(
    opts: &RunOptions,
    observer: &dyn Observer,
    after: impl FnOnce(&RunReport) -> Result<()>,
) -> Result<RunReport> {
    let (report, _lock) = run_locked(opts, observer)?;
    after(&report)?;
    Ok(report)
}

/// The job, returning the state folder it holds locked with its report.
fn run_locked(opts: &RunOptions, observer: &dyn Observer) -> Result<(RunReport, State)> {
    // A dry run creates nothing: with no state folder yet, it reads an empty one.
    let mut state = if opts.dry_run && !opts.fetch.state.exists() {
        State::open(&opts.fetch.state)?
    } else {
        State::lock_wait(&opts.fetch.state, opts.lock_timeout)?
    };
    let obtained = fetch::obtain(&opts.fetch, &state, observer)?;
    let current = state.current().cloned();
    let (loaded, candidate, fetched) = match obtained {
        Obtained::NotModified(release) => (state.load(&release)?, None, Fetched::NotModified),
        Obtained::Candidate(c) => {
            let same = current
                .as_ref()
                .is_some_and(|r| r.sha256 == crate::source::sha256_hex(&c.bytes));
            let loaded = Loaded::new(c.name.clone(), c.bytes.clone());
            (
                loaded,
                Some(c),
                if same { Fetched::Same } else { Fetched::New },
            )
        }
    };
    let file = match &candidate {
        Some(c) => c.file.clone(),
        None => loaded.parse()?,
    };

    // Guard rails on the release itself.
    let mut refusals: Vec<Refusal> = Vec::new();
    if fetched == Fetched::New
        && let Some(cur) = &current
    {
        // A new release has other bytes than the current one.
        refusals.extend(guard::older(cur.change_number, file.change_number, false));
    }
    if let Some(max) = opts.max_age_days
        && let Some(name) = ReleaseName::parse(&loaded.published_name())
    {
        refusals.extend(guard::age(&name, opts.today, max));
    }

    let policy = pipeline::load_policy(opts.policy.as_deref())?;
    let selection = pipeline::resolve(&file, &policy, false, None)?;

    // What the outputs in place allow: the last run's record, else the current release.
    let record: Option<Record> = state.record(RECORD)?;
    let applied_release = record
        .as_ref()
        .and_then(|r| state.find(&r.release).cloned())
        .or_else(|| current.clone());
    let previous_loaded = applied_release
        .as_ref()
        .map(|r| state.load(r))
        .transpose()?;
    let previous_file = previous_loaded.as_ref().map(Loaded::parse).transpose()?;
    let previous_selection = previous_file
        .as_ref()
        .map(|f| applied_selection(f, &policy, record.as_ref()))
        .transpose()?;

    // The change the release makes; the removal rail judges it, and without
    // a withheld removal it is also what the outputs apply.
    let release_delta = previous_selection
        .as_ref()
        .map(|prev| Delta::new(prev, &selection));
    if let Some(delta) = &release_delta {
        refusals.extend(guard::removal(delta, opts.max_removal));
    }
    let (forced, refused): (Vec<Refusal>, Vec<Refusal>) = refusals
        .into_iter()
        .partition(|r| opts.force.contains(&r.rail));
    if !refused.is_empty() {
        return Err(Error::GuardRail { refusals: refused });
    }

    // Add early, remove late.
    let mut effective = selection.clone();
    let mut retained_record = BTreeMap::new();
    let mut retained = 0;
    if opts.grace_days > 0
        && let Some(prev) = &previous_selection
    {
        for rule in &mut effective.rules {
            let Some(old) = prev.rules.iter().find(|r| r.rule.name == rule.rule.name) else {
                continue;
            };
            let before = record
                .as_ref()
                .and_then(|r| r.retained.get(&rule.rule.name))
                .cloned()
                .unwrap_or_default();
            let gone = old.set.difference(&rule.set);
            let mut kept = BTreeMap::new();
            for net in gone.prefixes() {
                let since = before
                    .iter()
                    .filter(|(p, _)| p.contains(&net))
                    .map(|(_, d)| *d)
                    .min()
                    .unwrap_or(opts.today);
                if opts.today - since < i64::from(opts.grace_days) {
                    kept.insert(net, since);
                }
            }
            if !kept.is_empty() {
                retained += kept.len();
                rule.set = rule.set.union(&AddressSet::from_prefixes(kept.keys()));
                retained_record.insert(rule.rule.name.clone(), kept);
            }
        }
    }

    let targets = find_targets(&opts.targets)?;
    let engine = Engine::new(
        opts.templates.as_deref(),
        &targets,
        previous_loaded.is_some(),
    )?;
    let release_sha256 = loaded.sha256();
    let inputs = fingerprint(&policy, &targets, &engine);
    let applied: BTreeMap<String, Vec<IpNet>> = effective
        .rules
        .iter()
        .map(|r| (r.rule.name.clone(), r.set.prefixes()))
        .collect();
    // A change is a change of addresses: with the same sets from the same
    // inputs as the outputs in place, nothing is rendered again. The config
    // files, their deltas and the change report stay as they are (they still
    // describe the last change of addresses, and the devices hold exactly
    // these sets); a new release becomes current and the manifest names it.
    // (A removal withheld by the grace period is a change still under way:
    // the report says so, so it is rendered.)
    let addresses_unchanged = record.as_ref().is_some_and(|r| {
        r.inputs == inputs && r.applied == applied && r.retained == retained_record
    }) && opts.out.join(write::MANIFEST).is_file();
    if addresses_unchanged {
        let report = RunReport {
            release: loaded.provenance(&file),
            previous: None,
            fetched,
            changed: false,
            written: false,
            forced,
            retained,
            report: None,
            summary: None,
            warnings: selection.warnings.clone(),
        };
        let same_release = record
            .as_ref()
            .is_some_and(|r| r.release_sha256 == release_sha256);
        if same_release || opts.dry_run {
            return Ok((report, state));
        }
        crate::interrupt::check()?;
        write::update_manifest_input(&opts.out, &pipeline::manifest_input(&loaded, &file))?;
        if let Some(c) = &candidate {
            fetch::admit(&mut state, c, opts.force.contains(&Rail::Older))?;
        }
        let new_record = Record {
            release: state
                .current()
                .map(|r| r.file.clone())
                .unwrap_or_else(|| loaded.published_name()),
            release_sha256,
            inputs,
            applied,
            retained: retained_record,
        };
        state.write_record(RECORD, &new_record)?;
        return Ok((report, state));
    }
    // A grace period that kept removed addresses changes what is applied.
    let applied_delta = match (&previous_selection, retained) {
        (Some(prev), 1..) => Some(Delta::new(prev, &effective)),
        _ => release_delta,
    };
    let previous = match (
        &previous_loaded,
        &previous_file,
        &previous_selection,
        &applied_delta,
    ) {
        (Some(l), Some(f), Some(s), Some(d)) => Some((l, f, s, d)),
        _ => None,
    };
    let withheld: BTreeMap<String, Vec<IpNet>> = retained_record
        .iter()
        .map(|(rule, kept)| (rule.clone(), kept.keys().copied().collect()))
        .collect();
    let outputs = pipeline::render_outputs(&RenderInputs {
        loaded: &loaded,
        file: &file,
        selection: &effective,
        previous,
        policy: &policy,
        all_tags: false,
        targets: &targets,
        engine: &engine,
        withheld: Some(&withheld),
    })?;
    let changed = differs(&opts.out, &outputs.files)?;
    let summary = outputs
        .rendered
        .diff
        .as_ref()
        .map(|d| crate::render::report::text(d, false));
    let mut report = RunReport {
        release: loaded.provenance(&file),
        previous: previous_loaded
            .as_ref()
            .zip(previous_file.as_ref())
            .map(|(l, f)| l.provenance(f)),
        fetched,
        changed,
        written: false,
        forced,
        retained,
        report: None,
        summary,
        warnings: selection.warnings.clone(),
    };
    if opts.dry_run {
        return Ok((report, state));
    }

    crate::interrupt::check()?;
    if changed {
        write::commit_keeping(&opts.out, &outputs.files, &outputs.rendered.manifest, true)?;
        report.written = true;
    }
    if outputs.files.contains_key(Path::new(DIFF_MARKDOWN)) {
        report.report = Some(opts.out.join(DIFF_MARKDOWN));
    }
    // Only now may the release become current.
    if let Some(c) = &candidate {
        let allow_older = opts.force.contains(&Rail::Older);
        fetch::admit(&mut state, c, allow_older)?;
    }
    let new_record = Record {
        release: state
            .current()
            .map(|r| r.file.clone())
            .unwrap_or_else(|| loaded.published_name()),
        release_sha256,
        inputs,
        applied,
        retained: retained_record,
    };
    if record.as_ref() != Some(&new_record) {
        state.write_record(RECORD, &new_record)?;
    }
    Ok((report, state))
}

/// The previous release resolved with the policy, its sets replaced by what
/// the last run actually wrote (grace included).
fn applied_selection<'a>(
    file: &'a ServiceTags,
    policy: &pipeline::LoadedPolicy,
    record: Option<&Record>,
) -> Result<Selection<'a>> {
    let mut sel = crate::select::select_older(file, policy.policy.clone(), &policy.name)?;
    if let Some(record) = record {
        for rule in &mut sel.rules {
            if let Some(applied) = record.applied.get(&rule.rule.name) {
                rule.set = AddressSet::from_prefixes(applied);
            }
        }
    }
    Ok(sel)
}

/// A digest of everything besides the release that shapes the outputs:
/// the tool, the policy, the targets, and the text of every template the
/// engine compiled (partials and the user's own templates included).
fn fingerprint(
    policy: &pipeline::LoadedPolicy,
    targets: &[&'static crate::render::Target],
    engine: &Engine,
) -> String {
    let mut text = format!(
        "tagwall {}\npolicy {}\ntemplates {}\n",
        env!("CARGO_PKG_VERSION"),
        policy.sha256,
        engine.digest()
    );
    for t in targets {
        text.push_str(&format!("target {}\n", t.name));
    }
    crate::source::sha256_hex(text.as_bytes())
}

/// True when `files` differ from the output folder's (the manifest aside).
fn differs(out: &Path, files: &BTreeMap<PathBuf, Vec<u8>>) -> Result<bool> {
    if !out.join(write::MANIFEST).is_file() {
        return Ok(true);
    }
    let mut on_disk = 0;
    for entry in walk(out)? {
        let rel = entry
            .strip_prefix(out)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| entry.clone());
        if rel == Path::new(write::MANIFEST) {
            continue;
        }
        on_disk += 1;
        match files.get(&rel) {
            None => return Ok(true),
            Some(bytes) => {
                let current =
                    std::fs::read(&entry).map_err(|e| Error::io("cannot read", &entry, e))?;
                if current != *bytes {
                    return Ok(true);
                }
            }
        }
    }
    Ok(on_disk != files.len())
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io("cannot read folder", dir, e))? {
        let path = entry
            .map_err(|e| Error::io("cannot read folder", dir, e))?
            .path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// Run the post-change command with the report's path as `$1` and in
/// `TAGWALL_REPORT`, and the output folder in `TAGWALL_OUT`.
pub fn run_hook(command: &str, report: &Path, out: &Path) -> Result<()> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .arg("tagwall-on-change")
        .arg(report)
        .env("TAGWALL_REPORT", report)
        .env("TAGWALL_OUT", out)
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|e| Error::io("cannot run the on-change command", "sh", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::Hook {
            command: command.to_string(),
            status: status.to_string(),
        })
    }
}
