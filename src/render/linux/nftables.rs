//! The nftables target: one `inet` table that tagwall owns and replaces
//! whole, holding one interval set per rule and family and three base chains
//! (input, forward, output) whose rule lines match the sets.
//!
//! [`build`] makes the context the templates `templates/nftables/*.hbs` read,
//! as the typed [`NftablesContext`]. The set definitions and rule lines in it
//! are finished nftables text, written by its `syntax` module: the one
//! place where this target's rule syntax lives outside the templates.

use super::{
    Family, Hook, SetNames, clean, gone_sets, has, limit, plan, provenance_lines, rule_label,
    set_delta, with_set_names,
};
use crate::error::Result;
use crate::policy::Unmatched;
use crate::render::context::PrefixList;
use crate::render::items::{Lazy, Source};
use crate::render::{Job, PlanHead, Target, context_value};
use crate::select::SelectedRule;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

/// Where this target's rule syntax is written in Rust.
mod syntax;

/// Longest nftables comment (`NFTNL_UDATA_COMMENT_MAXLEN`).
pub const NFT_MAX_COMMENT: usize = 128;

/// What the `nftables` templates see.
#[derive(Serialize)]
pub struct NftablesContext<'a> {
    /// `tool`, `source` and `previous`, as every target's context has them.
    #[serde(flatten)]
    pub head: PlanHead<'a>,
    /// The table tagwall writes.
    pub nft: Nft<'a>,
}

/// The table: its settings, sets and chains, and the delta from the
/// previous release.
#[derive(Serialize)]
pub struct Nft<'a> {
    /// The table's name (`table inet NAME`), from the policy's
    /// `[targets.nftables] table` (`tagwall` by default).
    pub table: &'a str,
    /// The base chains' priority as nft spells it: `filter`, `filter + 10`,
    /// `filter - 10`.
    pub priority: String,
    /// The base chains' policy: `drop` when unmatched traffic is dropped,
    /// else `accept`.
    pub policy: &'static str,
    /// What happens to traffic no rule matches, as the policy says it:
    /// `continue` or `drop`.
    pub unmatched: &'static str,
    /// The table's comment (file, cloud and change number), cleaned for nft
    /// and at most 128 bytes, not quoted.
    pub comment: String,
    /// Every set's whole definition, finished nftables text: a blank line,
    /// `# rule` comment lines with the set's provenance, then
    /// `set NAME { type ...; flags interval; comment "..."; elements = {...} }`
    /// indented for the inside of the table. One per rule and family with
    /// addresses, in the policy file's rule order, IPv4 before IPv6.
    pub sets: Lazy<SetDefinitions>,
    /// The base chains, one per hook: input, forward, output.
    pub chains: Vec<NftChain>,
    /// Null without a previous release; else what changed since it.
    pub delta: Option<NftDelta>,
}

/// A base chain.
#[derive(Serialize)]
pub struct NftChain {
    /// The chain's name, the same as its hook's.
    pub name: &'static str,
    /// The netfilter hook: `input`, `forward` or `output`.
    pub hook: &'static str,
    /// Whole rule lines that accept what must pass before the rules when
    /// unmatched traffic is dropped (replies, loopback, IPv6 neighbour
    /// discovery); empty otherwise.
    pub exempt: Vec<&'static str>,
    /// Whole rule lines (match, verdict and a quoted provenance comment),
    /// in the policy's order by priority.
    pub rules: Vec<String>,
}

/// The delta from the previous release.
#[derive(Serialize)]
pub struct NftDelta {
    /// True when this release has exactly the sets the previous one loaded:
    /// the delta then adds and deletes elements. False when the rules
    /// changed shape too, and the delta file replaces the table whole.
    pub patch: bool,
    /// The sets whose elements changed, in the order of `nft.sets` (empty
    /// unless `patch`).
    pub sets: Vec<NftDeltaSet>,
}

/// One set's changed elements.
#[derive(Serialize)]
pub struct NftDeltaSet {
    /// The set's name.
    pub name: String,
    /// Prefixes to add to the set as the previous release loaded it.
    pub added: Vec<String>,
    /// Prefixes to delete from it.
    pub removed: Vec<String>,
}

/// The target row's context function: [`build`], as the render engine
/// takes it today.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    context_value(target, &build(job, target)?)
}

/// The context for the `nftables` templates.
pub fn build<'a>(job: &'a Job<'a>, target: &Target) -> Result<NftablesContext<'a>> {
    with_set_names(target, job, |names| build_with(job, target, names))?
}

/// One nftables set: a rule's addresses of one family.
struct NftSet<'a> {
    name: String,
    /// The rule's position in the selection.
    index: usize,
    family: Family,
    sel: &'a SelectedRule<'a>,
}

/// The sets' definitions (`nft.sets`): a list of texts, each written as the
/// template reaches it (see [`Lazy`]).
///
/// With `--all-tags` they run to megabytes; written one at a time, straight
/// into the output, their text never exists whole.
pub struct SetDefinitions {
    sets: Vec<SetText>,
}

/// What one set's definition is written from.
struct SetText {
    name: String,
    family: Family,
    /// The rule's name, with its description, cleaned.
    label: String,
    /// The rule's tags, one line each.
    provenance: Vec<String>,
    /// The set's comment, quoted.
    comment: String,
    prefixes: PrefixList,
}

impl Source for SetDefinitions {
    fn len(&self) -> usize {
        self.sets.len()
    }

    fn value(&self, index: usize) -> serde_json::Result<Value> {
        Ok(Value::String(syntax::set_definition(&self.sets[index])))
    }
}

fn build_with<'a>(
    job: &'a Job<'a>,
    target: &Target,
    names: &SetNames,
) -> Result<NftablesContext<'a>> {
    let options = &job.selection.policy.targets.nftables;
    let mut sets = Vec::new();
    for (index, sel) in job.selection.rules.iter().enumerate() {
        for family in Family::ALL {
            if has(sel, family) {
                sets.push(NftSet {
                    name: names.current[index][family.slot()].clone(),
                    index,
                    family,
                    sel,
                });
            }
        }
    }
    let drop = options.unmatched == Unmatched::Drop;
    let mut chains: Vec<NftChain> = Hook::ALL
        .iter()
        .map(|&hook| NftChain {
            name: hook.name(),
            hook: hook.name(),
            exempt: if drop {
                syntax::exempt(hook)
            } else {
                Vec::new()
            },
            rules: Vec::new(),
        })
        .collect();
    // Each rule's provenance comment, quoted once for its sets and its lines.
    let comments: Vec<String> = job
        .selection
        .rules
        .par_iter()
        .map(|sel| syntax::comment(sel, job))
        .collect();
    let lines: Vec<(Hook, String)> = plan(&job.selection.rules)
        .par_iter()
        .map(|m| {
            let set = &names.current[m.index][m.family.slot()];
            (m.hook, syntax::rule_line(m, set, &comments[m.index]))
        })
        .collect();
    for (hook, line) in lines {
        let chain = chains
            .iter_mut()
            .find(|c| c.hook == hook.name())
            .ok_or_else(|| limit(target, format!("no chain for hook {}", hook.name())))?;
        chain.rules.push(line);
    }
    let delta = job.previous.as_ref().map(|_| {
        // Elements are patched only when the sets are the same ones by
        // name; otherwise the table is replaced whole.
        let patch = gone_sets(job, target, names).is_empty()
            && sets
                .iter()
                .all(|s| set_delta(job, s.index, s.family).is_some());
        let sets: Vec<NftDeltaSet> = if patch {
            sets.iter()
                .filter_map(|s| {
                    let change = set_delta(job, s.index, s.family)?;
                    Some(NftDeltaSet {
                        name: s.name.clone(),
                        added: change.added.clone(),
                        removed: change.removed.clone(),
                    })
                })
                .filter(|d| !d.added.is_empty() || !d.removed.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        NftDelta { patch, sets }
    });
    let comment = clean(
        &format!("tagwall: {} cloud Service Tags", job.provenance.cloud),
        NFT_MAX_COMMENT,
    );
    Ok(NftablesContext {
        head: PlanHead::of(job),
        nft: Nft {
            table: options.table(),
            priority: syntax::priority(options.priority),
            policy: if drop { "drop" } else { "accept" },
            unmatched: options.unmatched.as_str(),
            comment,
            sets: Lazy::new(SetDefinitions {
                sets: sets
                    .par_iter()
                    .map(|s| SetText {
                        name: s.name.clone(),
                        family: s.family,
                        label: rule_label(s.sel),
                        provenance: provenance_lines(s.sel),
                        comment: comments[s.index].clone(),
                        prefixes: PrefixList::of(&s.sel.set, s.family.slot()),
                    })
                    .collect(),
            }),
            chains,
            delta,
        },
    })
}
