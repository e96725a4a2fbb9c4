//! The build pipeline: source -> model -> select -> render -> write.
//!
//! Each stage lives in its own module; this one only strings them together
//! from a plain [`BuildOptions`], so the command line, the scheduled job and
//! the benchmarks all run the very same code.

use crate::delta::Delta;
use crate::diff::{self, Scope};
use crate::error::{Error, Result};
use crate::interrupt;
use crate::model::ServiceTags;
use crate::policy::{NsgMode, Policy};
use crate::render::report;
use crate::render::{Engine, Job, Previous, Target, find_targets};
use crate::select::{Selection, all_tags_policy, select, select_older};
use crate::source::Provenance;
use crate::source::{self, Loaded, sha256_hex};
use crate::state::State;
use crate::write;
use crate::write::{InMemory, Sink};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The change report written beside the configs when a previous release is given.
pub const DIFF_MARKDOWN: &str = "diff.md";
/// The same report as JSON.
pub const DIFF_JSON: &str = "diff.json";

/// Everything `tagwall build` needs, free of command-line concerns.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Service Tags file; the newest bundled release when `None` (and no `state`).
    pub input: Option<PathBuf>,
    /// State folder: use its current release as the input, and its previous
    /// release as `previous` unless that is given. Excludes `input`.
    pub state: Option<PathBuf>,
    /// Policy file; the built-in default when `None`.
    pub policy: Option<PathBuf>,
    /// The previous release, for delta files.
    pub previous: Option<PathBuf>,
    /// Every tag of the file as its own rule, instead of the policy's rules.
    pub all_tags: bool,
    /// Targets to render; all when empty.
    pub targets: Vec<String>,
    /// Output folder.
    pub out: PathBuf,
    /// Folder of templates that replace the built-in ones.
    pub templates: Option<PathBuf>,
    /// Override the policy's `nsg_mode`.
    pub nsg_mode: Option<NsgMode>,
}

/// What a build did.
#[derive(Clone, Debug)]
pub struct BuildReport {
    /// Where the outputs went.
    pub out: PathBuf,
    /// Provenance of the input.
    pub input: Provenance,
    /// File name of the previous release the deltas start from, if any.
    pub previous: Option<String>,
    /// Targets rendered.
    pub targets: Vec<&'static str>,
    /// Number of files written (without the manifest).
    pub files: usize,
    /// Number of rules rendered.
    pub rules: usize,
    /// Warnings to show the user.
    pub warnings: Vec<String>,
}

/// A loaded policy with its provenance.
#[derive(Clone, Debug)]
pub struct LoadedPolicy {
    /// The validated policy.
    pub policy: Policy,
    /// File name, or `built-in`.
    pub name: String,
    /// Hex SHA-256 of the policy text.
    pub sha256: String,
    /// The built-in policy: on a cloud other than Public, a tag that cloud
    /// does not publish is left out with a warning (Azure Front Door's
    /// first-party tag is Public's only).
    pub builtin: bool,
}

/// Read the input file, or the newest bundled release.
pub fn load_input(path: Option<&Path>) -> Result<Loaded> {
    match path {
        Some(p) => source::read_file(p),
        None => source::bundled(0),
    }
}

/// The state folder of a build (`--state`), opened: its index says which
/// releases it holds before any is read.
pub fn open_build_state(opts: &BuildOptions) -> Result<Option<State>> {
    let Some(dir) = &opts.state else {
        return Ok(None);
    };
    if opts.input.is_some() {
        return Err(Error::Usage(
            "give either --input or --state, not both".to_string(),
        ));
    }
    State::open(dir).map(Some)
}

/// Read the input and the previous release of a build: `input` (or the
/// newest bundled release) and `previous`, or the current and previous
/// releases of the state folder from [`open_build_state`] (an explicit
/// `previous` still wins).
pub fn load_build_inputs(
    opts: &BuildOptions,
    state: Option<&State>,
) -> Result<(Loaded, Option<Loaded>)> {
    let given_previous = opts
        .previous
        .as_deref()
        .map(source::read_file)
        .transpose()?;
    let Some(state) = state else {
        return Ok((load_input(opts.input.as_deref())?, given_previous));
    };
    let (loaded, previous) = load_releases(state)?;
    Ok((loaded, given_previous.or(previous)))
}

/// Read the current release of a state folder and, when there is one, the
/// release that was current before it; each is checked against its SHA-256
/// in the index.
pub fn load_state(dir: &Path) -> Result<(Loaded, Option<Loaded>)> {
    load_releases(&State::open(dir)?)
}

fn load_releases(state: &State) -> Result<(Loaded, Option<Loaded>)> {
    let current = state.current().ok_or_else(|| Error::State {
        path: state.dir().to_path_buf(),
        message: format!(
            "no release is kept here yet; run `tagwall fetch --state {}` first",
            state.dir().display()
        ),
    })?;
    let loaded = state.load(current)?;
    let previous = state.previous().map(|r| state.load(r)).transpose()?;
    Ok((loaded, previous))
}

/// Releases the change report's chart shows at most.
pub const HISTORY: usize = 12;

/// Prefix counts of `tags` in the last [`HISTORY`] releases kept in a state
/// folder, oldest first: the series of the HTML report's chart.
pub fn history(dir: &Path, tags: &[&str]) -> Result<Vec<crate::render::report::HistoryPoint>> {
    let state = crate::state::State::open(dir)?;
    let mut releases: Vec<_> = state.releases().to_vec();
    releases.sort_by_key(|r| r.change_number);
    let start = releases.len().saturating_sub(HISTORY);
    releases[start..]
        .iter()
        .map(|r| {
            let file = state.load(r)?.parse()?;
            let counts = file
                .tags
                .iter()
                .filter(|t| tags.contains(&t.name.as_str()))
                .map(|t| (t.name.clone(), t.prefixes.len()))
                .collect();
            Ok(crate::render::report::HistoryPoint {
                label: r.file.clone(),
                counts,
            })
        })
        .collect()
}

/// Read a policy file, or the built-in default.
pub fn load_policy(path: Option<&Path>) -> Result<LoadedPolicy> {
    match path {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| Error::io("cannot read policy", p, e))?;
            let name = p.display().to_string();
            Ok(LoadedPolicy {
                policy: Policy::parse(&text, &name)?,
                sha256: sha256_hex(text.as_bytes()),
                name,
                builtin: false,
            })
        }
        None => Ok(LoadedPolicy {
            policy: Policy::builtin(),
            name: "built-in".to_string(),
            sha256: sha256_hex(crate::policy::DEFAULT_POLICY_TOML.as_bytes()),
            builtin: true,
        }),
    }
}

/// Resolve the policy (or every tag) against a parsed file.
pub fn resolve<'a>(
    file: &'a ServiceTags,
    policy: &LoadedPolicy,
    all_tags: bool,
    nsg_mode: Option<NsgMode>,
) -> Result<Selection<'a>> {
    select(
        file,
        policy_for(file, policy, all_tags, nsg_mode),
        &policy.name,
    )
}

/// Resolve the same policy against the previous release. A tag that did not
/// exist then is not an error: its prefixes are all additions.
pub fn resolve_previous<'a>(
    old: &'a ServiceTags,
    policy: &LoadedPolicy,
    opts: &BuildOptions,
) -> Result<Selection<'a>> {
    select_older(
        old,
        policy_for(old, policy, opts.all_tags, opts.nsg_mode),
        &policy.name,
    )
}

/// The policy as run against `file`: every tag of the file with
/// `all_tags`, and the NSG mode the command line chose, if it chose one.
fn policy_for(
    file: &ServiceTags,
    policy: &LoadedPolicy,
    all_tags: bool,
    nsg_mode: Option<NsgMode>,
) -> Policy {
    let mut p = if all_tags {
        all_tags_policy(file, &policy.policy)
    } else {
        policy.policy.clone()
    };
    if let Some(mode) = nsg_mode {
        p.options.nsg_mode = mode;
    }
    if policy.builtin && file.cloud != crate::release::Cloud::Public {
        p.options.allow_missing_tags = true;
    }
    p
}

#[derive(Serialize)]
struct Manifest<'a> {
    tool: &'static str,
    version: &'static str,
    input: ManifestInput,
    policy: ManifestPolicy<'a>,
    all_tags: bool,
    previous: Option<ManifestPrevious<'a>>,
    targets: Vec<&'static str>,
}

#[derive(Serialize)]
struct ManifestPrevious<'a> {
    file: &'a str,
    cloud: &'a str,
    change_number: u64,
    sha256: &'a str,
}

/// The manifest's `input`: the release the outputs were built from, where
/// it was read, and its digest.
#[derive(Serialize)]
pub struct ManifestInput {
    file: String,
    path: String,
    cloud: String,
    change_number: u64,
    sha256: String,
}

/// The manifest's `input` for `loaded`, parsed as `file`.
pub fn manifest_input(loaded: &Loaded, file: &ServiceTags) -> ManifestInput {
    let p = loaded.provenance(file);
    ManifestInput {
        file: p.file,
        path: loaded.name.clone(),
        cloud: p.cloud,
        change_number: p.change_number,
        sha256: p.sha256,
    }
}

#[derive(Serialize)]
struct ManifestPolicy<'a> {
    file: &'a str,
    sha256: &'a str,
}

/// Everything one render needs, already loaded and resolved.
pub struct RenderInputs<'a> {
    /// The input release.
    pub loaded: &'a Loaded,
    /// It, parsed.
    pub file: &'a ServiceTags,
    /// The policy resolved against it (the sets to write).
    pub selection: &'a Selection<'a>,
    /// The previous release, parsed and resolved (the sets loaded before),
    /// with the change from its selection to `selection`.
    pub previous: Option<(&'a Loaded, &'a ServiceTags, &'a Selection<'a>, &'a Delta)>,
    /// The policy and its provenance.
    pub policy: &'a LoadedPolicy,
    /// Every tag as a rule (the diff report then covers every tag).
    pub all_tags: bool,
    /// Targets to render.
    pub targets: &'a [&'static Target],
    /// Compiled templates.
    pub engine: &'a Engine,
    /// Per rule, the prefixes a grace period keeps although the release
    /// removed them (`tagwall run`); the change report lists them.
    pub withheld: Option<&'a std::collections::BTreeMap<String, Vec<ipnet::IpNet>>>,
}

/// Rendered files (paths relative to the output folder), with the rest of
/// what was rendered.
pub struct Outputs {
    /// Every file, by relative path.
    pub files: crate::write::Files,
    /// The manifest and the comparison.
    pub rendered: Rendered,
}

/// What a render produced besides its files.
pub struct Rendered {
    /// The manifest, without its `files` digests (the write stage adds them).
    pub manifest: serde_json::Value,
    /// The comparison with the previous release, when there is one.
    pub diff: Option<diff::Diff>,
}

/// Render every target, and with a previous release the change report, in memory.
pub fn render_outputs(inputs: &RenderInputs<'_>) -> Result<Outputs> {
    let sink = InMemory::default();
    let rendered = render_into(inputs, &sink)?;
    Ok(Outputs {
        files: sink.into_files(),
        rendered,
    })
}

/// Render every target, and with a previous release the change report,
/// into `sink`.
pub fn render_into(inputs: &RenderInputs<'_>, sink: &dyn Sink) -> Result<Rendered> {
    let input = inputs.loaded.provenance(inputs.file);
    let previous = inputs
        .previous
        .map(|(l, f, s, d)| (l.provenance(f), f, s, d));
    let job = Job {
        selection: inputs.selection,
        provenance: input.clone(),
        previous: previous.as_ref().map(|(p, _, s, _)| Previous {
            selection: s,
            provenance: p.clone(),
        }),
        delta: previous.as_ref().map(|(_, _, _, d)| *d),
    };
    inputs.engine.render(&job, inputs.targets, sink)?;
    interrupt::check()?;
    let mut change = None;
    if let Some((prev, old, before, delta)) = &previous {
        // The report reads the same selections and delta the renderers did.
        let (scope, resolved) = if inputs.all_tags {
            (Scope::All, None)
        } else {
            let resolved = diff::Resolved {
                before,
                after: inputs.selection,
                delta,
                withheld: inputs.withheld,
            };
            (
                Scope::Policy(Box::new(inputs.policy.policy.clone())),
                Some(resolved),
            )
        };
        let d = diff::diff_resolved(
            old,
            prev.clone(),
            inputs.file,
            input.clone(),
            &scope,
            resolved.as_ref(),
        )?;
        sink.bytes(Path::new(DIFF_MARKDOWN), report::markdown(&d)?.as_bytes())?;
        sink.bytes(Path::new(DIFF_JSON), report::json(&d)?.as_bytes())?;
        change = Some(d);
    }
    let names: Vec<&'static str> = inputs.targets.iter().map(|t| t.name).collect();
    let manifest = Manifest {
        tool: "tagwall",
        version: env!("CARGO_PKG_VERSION"),
        input: manifest_input(inputs.loaded, inputs.file),
        policy: ManifestPolicy {
            file: &inputs.policy.name,
            sha256: &inputs.policy.sha256,
        },
        all_tags: inputs.all_tags,
        previous: previous.as_ref().map(|(p, _, _, _)| ManifestPrevious {
            file: &p.file,
            cloud: &p.cloud,
            change_number: p.change_number,
            sha256: &p.sha256,
        }),
        targets: names,
    };
    let manifest = serde_json::to_value(&manifest).map_err(|e| Error::Internal {
        what: "manifest.json".into(),
        message: e.to_string(),
    })?;
    Ok(Rendered {
        manifest,
        diff: change,
    })
}

/// Run the whole build: every stage, then one atomic write.
pub fn build(opts: &BuildOptions) -> Result<BuildReport> {
    // The templates do not depend on the input: they compile while it is
    // read and checked. Errors are still reported in the order of the
    // stages (input, policy, selection, then targets and templates). The
    // deltas are compiled when there is a previous release to render
    // against: given, or in the state folder's index.
    let state = open_build_state(opts);
    let deltas = opts.previous.is_some()
        || state
            .as_ref()
            .is_ok_and(|s| s.as_ref().is_some_and(|s| s.previous().is_some()));
    let (read, compiled) = rayon::join(
        || -> Result<_> {
            let state = state?;
            let (mut loaded, previous_loaded) = load_build_inputs(opts, state.as_ref())?;
            let file = loaded.parse()?;
            // Rendering never reads the JSON again: its 4 MB are not kept.
            loaded.release();
            Ok((loaded, previous_loaded, file))
        },
        || -> Result<_> {
            let targets = find_targets(&opts.targets)?;
            let engine = Engine::new(opts.templates.as_deref(), &targets, deltas)?;
            Ok((targets, engine))
        },
    );
    let (loaded, mut previous_loaded, file) = read?;
    let policy = load_policy(opts.policy.as_deref())?;
    let selection = resolve(&file, &policy, opts.all_tags, opts.nsg_mode)?;
    interrupt::check()?;
    let (targets, engine) = compiled?;
    let previous_file = previous_loaded.as_ref().map(Loaded::parse).transpose()?;
    previous_loaded.iter_mut().for_each(Loaded::release);
    if let Some(old) = &previous_file
        && old.cloud != file.cloud
    {
        return Err(Error::Usage(format!(
            "the previous release {} is of the {} cloud, the input {} of the {} cloud",
            old.source, old.cloud, file.source, file.cloud
        )));
    }
    let previous_selection = match &previous_file {
        Some(old) => Some(resolve_previous(old, &policy, opts)?),
        None => None,
    };
    let delta = previous_selection
        .as_ref()
        .map(|before| Delta::new(before, &selection));
    let previous = match (
        &previous_loaded,
        &previous_file,
        &previous_selection,
        &delta,
    ) {
        (Some(l), Some(f), Some(s), Some(d)) => Some((l, f, s, d)),
        _ => None,
    };
    // Files go to disk as they are rendered: an export of every tag never
    // holds all of its files in memory at once.
    let staging = write::Staging::new(&opts.out)?;
    let rendered = render_into(
        &RenderInputs {
            loaded: &loaded,
            file: &file,
            selection: &selection,
            previous,
            policy: &policy,
            all_tags: opts.all_tags,
            targets: &targets,
            engine: &engine,
            withheld: None,
        },
        &staging,
    )?;
    let report = BuildReport {
        out: opts.out.clone(),
        input: loaded.provenance(&file),
        previous: previous_loaded
            .as_ref()
            .zip(previous_file.as_ref())
            .map(|(l, f)| l.provenance(f).file),
        targets: targets.iter().map(|t| t.name).collect(),
        files: staging.files(),
        rules: selection.rules.len(),
        warnings: selection.warnings.clone(),
    };
    // What was resolved and compiled is freed on another thread while the
    // output is flushed and swapped in (with `--all-tags`, tens of thousands
    // of allocations).
    let (_, written) = rayon::join(
        move || drop((selection, previous_selection, engine)),
        || staging.commit(&rendered.manifest, false),
    );
    written?;
    Ok(report)
}
