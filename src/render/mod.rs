//! Rendering: turn a [`Selection`] into the files of each target.
//!
//! Every target is one row of [`targets::TARGETS`]: its name, the files it
//! writes (each a handlebars template from `templates/`), its naming rules, its
//! limits, and the function that builds its template context (most targets
//! share [`generic_context`]). Templates carry the structure; helpers write the
//! long prefix lists in one call. Nothing here reads the clock or the disk
//! (except `--templates` overrides), so the same input renders byte-identically.

pub mod aws_prefix_list;
pub mod azure_firewall;
pub mod calico;
pub mod checkpoint;
pub mod chunk;
pub mod context;
pub mod helpers;
pub mod items;
pub mod kube;
pub mod kubernetes;
pub mod linux;
pub mod names;
pub mod nsg;
pub mod numbered;
pub mod pfsense;
pub mod profile;
pub mod report;
pub mod targets;
pub mod vendor;
pub mod windows_firewall;

use crate::error::{Error, Result};
use crate::select::Selection;
use crate::source::Provenance;
use crate::write::Sink;
pub use context::{Head, PlanHead, PolicyContext, family_lists};
use handlebars::Handlebars;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use names::NameRules;
pub use targets::{PARTIALS, TARGETS, Target};

/// What a rendered file is made of: one file, one per rule, or one per rule and family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Each {
    /// One file for the whole policy.
    Once,
    /// One file per rule (context gains `rule`).
    Rule,
    /// One file per rule and address family (context gains `rule` and `family`).
    RuleFamily,
    /// One file per element of the named list at the top of the target's
    /// context (one file per API call or per object). The context of such a
    /// file is `tool`, `source`, `previous` and the element as `item`, so the
    /// element carries everything its file needs.
    Item(&'static str),
    /// One file for the whole policy, written only when the target's
    /// context says so: a file of some modes only (see [`When`]).
    OnceWhen(When),
}

/// When a file of [`Each::OnceWhen`] is written: the text at a place in the
/// target's context equals a value (`/ipt/mode` is `chains`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct When {
    /// A JSON pointer into the target's context.
    pub pointer: &'static str,
    /// The text it must hold.
    pub equals: &'static str,
}

impl When {
    /// Whether `context` meets the condition.
    pub fn holds(&self, context: &Value) -> bool {
        context.pointer(self.pointer).and_then(Value::as_str) == Some(self.equals)
    }

    /// The condition as `tagwall targets` shows it: `mode chains`, from the
    /// pointer's last part.
    pub fn describe(&self) -> String {
        let key = self.pointer.rsplit('/').next().unwrap_or(self.pointer);
        format!("{key} {}", self.equals)
    }
}

/// One file a target writes.
#[derive(Clone, Copy, Debug)]
pub struct FileSpec {
    /// File name inside the target's folder, itself a template (`{{rule.ident}}.txt`).
    pub path: &'static str,
    /// Template name, also its path under `templates/` without `.hbs`.
    pub template: &'static str,
    /// The built-in template text.
    pub source: &'static str,
    /// How many files this spec yields.
    pub each: Each,
    /// Written only when a previous release is given (delta commands).
    pub delta: bool,
}

/// A limit of a target's platform, shown by `tagwall targets`.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Limit {
    /// What is limited.
    pub what: &'static str,
    /// The limit.
    pub value: usize,
}

/// Everything a renderer needs.
pub struct Job<'a> {
    /// The resolved policy.
    pub selection: &'a Selection<'a>,
    /// Provenance of the input.
    pub provenance: Provenance,
    /// The previous release, for delta files.
    pub previous: Option<Previous<'a>>,
    /// What changed since the previous release, per rule and family.
    pub delta: Option<&'a crate::delta::Delta>,
}

/// The previous release, resolved with the same policy.
pub struct Previous<'a> {
    /// The resolved policy on the previous release.
    pub selection: &'a Selection<'a>,
    /// Provenance of the previous release.
    pub provenance: Provenance,
}

/// The compiled templates of every target.
pub struct Engine {
    hb: Handlebars<'static>,
    /// Whether the delta templates were compiled.
    deltas: bool,
    /// The templates of the user's (`--templates`), by name, with their files.
    custom: HashMap<String, PathBuf>,
    /// Hex SHA-256 over the name and text of every template compiled.
    digest: String,
}

/// A template registry set up the way every tagwall template expects.
fn registry() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.set_prevent_indent(true);
    hb.register_escape_fn(handlebars::no_escape);
    helpers::register(&mut hb);
    hb
}

impl Engine {
    /// Compile the templates of `targets` (and their shared parts), each
    /// replaced by `DIR/<template>.hbs` when `overrides` names a folder that
    /// holds one. Delta templates are compiled only when `deltas` is set (a
    /// previous release will be rendered against). Templates compile in
    /// parallel, each in a registry of its own, and are then gathered into one.
    pub fn new(
        overrides: Option<&Path>,
        targets: &[&'static Target],
        deltas: bool,
    ) -> Result<Engine> {
        if let Some(dir) = overrides
            && !dir.is_dir()
        {
            return Err(Error::Usage(format!(
                "--templates {}: not a folder",
                dir.display()
            )));
        }
        if let Some(dir) = overrides {
            check_overrides(dir)?;
        }
        // A template's text, and the file it came from when it is the user's.
        let load = |name: &str, source: &str| -> Result<(String, Option<PathBuf>)> {
            let custom = overrides.map(|d| d.join(format!("{name}.hbs")));
            match custom.filter(|p| p.is_file()) {
                Some(path) => std::fs::read_to_string(&path)
                    .map(|text| (text, Some(path.clone())))
                    .map_err(|e| Error::io("cannot read template", path, e)),
                None => Ok((source.to_string(), None)),
            }
        };
        let wanted = |name: &str| {
            targets
                .iter()
                .any(|t| name.split('/').next() == Some(t.name))
        };
        let mut sources: Vec<(String, (String, Option<PathBuf>))> = Vec::new();
        for (name, source) in PARTIALS.iter().filter(|(name, _)| wanted(name)) {
            sources.push((name.to_string(), load(name, source)?));
        }
        // Every template these targets can render with goes into the
        // digest, deltas included whether or not they are compiled now: a
        // run with a previous release and one without agree on it.
        let mut delta_sources = Vec::new();
        for spec in targets.iter().flat_map(|t| t.files.iter()) {
            let list = if spec.delta && !deltas {
                &mut delta_sources
            } else {
                &mut sources
            };
            list.push((spec.template.to_string(), load(spec.template, spec.source)?));
            list.push((path_template_name(spec), (spec.path.to_string(), None)));
        }
        let digest = digest(sources.iter().chain(&delta_sources));
        let custom: HashMap<String, PathBuf> = sources
            .iter()
            .filter_map(|(name, (_, file))| Some((name.clone(), file.clone()?)))
            .collect();
        let mut engine = Engine {
            hb: registry(),
            deltas,
            custom,
            digest,
        };
        let compiled: Vec<(String, handlebars::Template)> = sources
            .into_par_iter()
            .map(|(name, (text, _))| {
                let mut one = registry();
                one.register_template_string(&name, text)
                    .map_err(|e| engine.template_error(&name, e))?;
                let template = one.get_template(&name).cloned();
                Ok(template.map(|t| (name, t)))
            })
            .filter_map(Result::transpose)
            .collect::<Result<_>>()?;
        for (name, template) in compiled {
            engine.hb.register_template(&name, template);
        }
        Ok(engine)
    }

    /// A digest of every template this engine renders with (each name and
    /// text, partials included): two engines with the same digest write the
    /// same bytes from the same context.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// A template's error, naming the file when the template is the user's.
    fn template_error(&self, name: &str, e: impl std::fmt::Display) -> Error {
        Error::Template {
            name: match self.custom.get(name) {
                Some(file) => format!("{name} ({})", file.display()),
                None => name.to_string(),
            },
            message: e.to_string(),
        }
    }

    /// Render the named targets (in parallel) into `sink`, each into its
    /// own folder (`<target>/<file>`).
    pub fn render(
        &self,
        job: &Job<'_>,
        targets: &[&'static Target],
        sink: &dyn Sink,
    ) -> Result<()> {
        if job.previous.is_some() && !self.deltas {
            return Err(Error::Usage(
                "a previous release was given to an engine built without delta templates".into(),
            ));
        }
        targets
            .par_iter()
            .try_for_each(|t| self.render_target(job, t, sink))
    }

    fn render_target(&self, job: &Job<'_>, target: &'static Target, sink: &dyn Sink) -> Result<()> {
        // The context's item lists are walked one item at a time while its
        // files render, and released after.
        items::scope(|| self.render_context(job, target, sink))
    }

    fn render_context(
        &self,
        job: &Job<'_>,
        target: &'static Target,
        sink: &dyn Sink,
    ) -> Result<()> {
        let root = (target.context)(job, target)?;
        let specs: Vec<&FileSpec> = target
            .files
            .iter()
            .filter(|s| !s.delta || job.previous.is_some())
            .collect();
        // Per-rule files first, each from a small context of its own; a
        // per-family context carries the rule without its prefix lists.
        let rules = items::List::of(&root["rules"]);
        for spec in specs
            .iter()
            .filter(|s| matches!(s.each, Each::Rule | Each::RuleFamily))
        {
            for rule in rules.iter().flat_map(items::List::iter) {
                let rule = rule.map_err(|e| self.template_error(spec.template, e))?;
                if spec.each == Each::Rule {
                    let ctx = with(&root, [("rule", rule.into_owned())]);
                    self.emit(target, spec, &ctx.into(), sink)?;
                    continue;
                }
                let head = without(&rule, &["families", "delta_families"]);
                for family in rule["families"].as_array().into_iter().flatten() {
                    let ctx = with(&root, [("rule", head.clone()), ("family", family.clone())]);
                    self.emit(target, spec, &ctx.into(), sink)?;
                }
            }
        }
        // Per-item files carry only the item and the provenance, so a list of
        // thousands of items is not copied once per file.
        for spec in &specs {
            let Each::Item(key) = spec.each else { continue };
            let base = only(&root, &["tool", "source", "previous"]);
            for item in items::List::of(&root[key])
                .iter()
                .flat_map(items::List::iter)
            {
                let item = item.map_err(|e| self.template_error(spec.template, e))?;
                let ctx = with(&base, [("item", item.into_owned())]);
                self.emit(target, spec, &ctx.into(), sink)?;
            }
        }
        // Whole-policy files share the root context, moved, not copied.
        let once: Vec<&&FileSpec> = specs
            .iter()
            .filter(|s| match s.each {
                Each::Once => true,
                Each::OnceWhen(when) => when.holds(&root),
                _ => false,
            })
            .collect();
        let ctx = handlebars::Context::from(root);
        for spec in once {
            self.emit(target, spec, &ctx, sink)?;
        }
        Ok(())
    }

    fn emit(
        &self,
        target: &Target,
        spec: &FileSpec,
        ctx: &handlebars::Context,
        sink: &dyn Sink,
    ) -> Result<()> {
        let path = self.run(&path_template_name(spec), ctx)?;
        let path = safe_relative(target, &path)?;
        let full = Path::new(target.name).join(&path);
        let stored = sink.file(&full, &mut |out| {
            self.hb
                .render_with_context_to_write(spec.template, ctx, out)
                .map_err(|e| match e.reason() {
                    // The disk, not the template (a file streamed to disk).
                    handlebars::RenderErrorReason::IOError(io) => Error::io(
                        "cannot write",
                        &full,
                        std::io::Error::new(io.kind(), io.to_string()),
                    ),
                    _ => self.template_error(spec.template, e),
                })
        })?;
        if !stored {
            return Err(Error::Name {
                target: target.name.to_string(),
                message: format!("two outputs would both be written to {}", path.display()),
            });
        }
        Ok(())
    }

    fn run(&self, name: &str, ctx: &handlebars::Context) -> Result<String> {
        self.hb
            .render_with_context(name, ctx)
            .map_err(|e| self.template_error(name, e))
    }
}

/// Every template a user's folder can replace, by name (`panos/group`).
fn template_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = PARTIALS.iter().map(|(name, _)| *name).collect();
    names.extend(
        TARGETS
            .iter()
            .flat_map(|t| t.files.iter().map(|spec| spec.template)),
    );
    names.sort_unstable();
    names.dedup();
    names
}

/// Refuse a `.hbs` file in the user's template folder that replaces no
/// built-in template (a misspelt name would otherwise be ignored, and the
/// built-in template used without a word).
fn check_overrides(dir: &Path) -> Result<()> {
    let known = template_names();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries =
            std::fs::read_dir(&folder).map_err(|e| Error::io("cannot read folder", &folder, e))?;
        for entry in entries {
            let path = entry
                .map_err(|e| Error::io("cannot read folder", &folder, e))?
                .path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "hbs") {
                continue;
            }
            let name = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            if known.contains(&name.as_str()) {
                continue;
            }
            let closest = known
                .iter()
                .map(|k| (strsim::jaro_winkler(&name, k), *k))
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .filter(|(score, _)| *score >= 0.8)
                .map(|(_, k)| format!("; did you mean {k}.hbs?"))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "--templates {}: {name}.hbs replaces no built-in template{closest} \
                 (`tagwall targets` lists each target's templates)",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Hex SHA-256 over each template's name and text, in name order.
fn digest<'a>(sources: impl Iterator<Item = &'a (String, (String, Option<PathBuf>))>) -> String {
    use sha2::{Digest, Sha256};
    let mut sorted: Vec<_> = sources.map(|(n, (t, _))| (n, t)).collect();
    sorted.sort();
    let mut hash = Sha256::new();
    for (name, text) in sorted {
        for part in [name.as_bytes(), text.as_bytes()] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part);
        }
    }
    hex::encode(hash.finalize())
}

fn path_template_name(spec: &FileSpec) -> String {
    format!("{}#path", spec.template)
}

/// Top-level context keys that describe the whole policy at once. Per-rule and
/// per-family files do not see them: copying them into thousands of per-rule
/// contexts (`--all-tags`) would cost more than the rendering.
pub const WHOLE_POLICY_KEYS: &[&str] = &["rules", "removed_rules", "plan", "delta"];

/// The top level of `root` without its whole-policy keys, plus `extra` keys.
fn with<const N: usize>(root: &Value, extra: [(&str, Value); N]) -> Value {
    let mut obj = match without(root, WHOLE_POLICY_KEYS) {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    for (k, v) in extra {
        obj.insert(k.to_string(), v);
    }
    Value::Object(obj)
}

/// A copy of an object with only some of its keys.
fn only(value: &Value, keep: &[&str]) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A copy of an object without some of its keys (which are not copied).
fn without(value: &Value, skip: &[&str]) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !skip.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A rendered file name must stay inside the target's folder.
fn safe_relative(target: &Target, path: &str) -> Result<PathBuf> {
    let p = Path::new(path);
    let ok = !path.is_empty()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !ok {
        return Err(Error::Name {
            target: target.name.to_string(),
            message: format!("refusing to write outside the target folder: {path:?}"),
        });
    }
    Ok(p.to_path_buf())
}

/// Look targets up by name (all of them when `names` is empty), in table order.
pub fn find_targets(names: &[String]) -> Result<Vec<&'static Target>> {
    if names.is_empty() {
        return Ok(TARGETS.iter().collect());
    }
    for n in names {
        if !TARGETS.iter().any(|t| t.name == n) {
            return Err(Error::UnknownTarget {
                name: n.clone(),
                known: TARGETS
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(TARGETS
        .iter()
        .filter(|t| names.iter().any(|n| n == t.name))
        .collect())
}

/// The context most targets render from, as the engine takes it: see
/// [`PolicyContext`] for its fields.
pub fn generic_context(job: &Job<'_>, target: &Target) -> Result<Value> {
    context_value(target, &PolicyContext::new(job, target)?)
}

/// A target's typed context as the engine takes it.
pub fn context_value(target: &Target, ctx: &impl Serialize) -> Result<Value> {
    serde_json::to_value(ctx).map_err(|e| Error::Internal {
        what: format!("the {} context", target.name),
        message: e.to_string(),
    })
}
