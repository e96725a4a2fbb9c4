//! The nftables target: one interval set per rule and family, and the rule
//! lines that match them, in one of three modes (`[targets.nftables] mode`):
//!
//! - `table`: an `inet` table that tagwall owns and replaces whole, with three
//!   base chains (input, forward, output);
//! - `sets`: the sets only, refilled in the admin's existing table, for the
//!   admin's own rules to match;
//! - `chain`: the sets and three regular chains (one per hook, the same lines
//!   as the base chains of `table`) in the admin's table, for the admin's base
//!   chains to jump to.
//!
//! The admin's table is never deleted or flushed: only the sets and chains
//! tagwall names are emptied and refilled, in the file's one transaction.
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
use crate::policy::{NftMode, Unmatched};
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
    /// What the file holds, from the policy's `[targets.nftables] mode`:
    /// `table` (a table of tagwall's own), `sets` (the sets only, in the
    /// admin's table) or `chain` (the sets and regular chains, in the admin's
    /// table).
    pub mode: &'static str,
    /// The table's name (`table inet NAME`), from the policy's
    /// `[targets.nftables] table`: tagwall's own (`tagwall` by default) in
    /// mode `table`, the admin's existing table in the others.
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
    /// `# rule` comment lines with the set's provenance, then in mode
    /// `table` `set NAME { type ...; flags interval; comment "..."; elements
    /// = {...} }` indented for the inside of the table; in the other modes,
    /// at the top level, `add set` (creating it when missing), `flush set`
    /// and `add element` with its prefixes. One per rule and family with
    /// addresses, in the policy file's rule order, IPv4 before IPv6.
    pub sets: Lazy<SetDefinitions>,
    /// The chains, one per hook: input, forward, output. Base chains named
    /// after their hook in mode `table`; regular chains named
    /// `PREFIX_HOOK` (`tagwall_output`) in mode `chain`; none in mode `sets`.
    pub chains: Vec<NftChain>,
    /// Null without a previous release; else what changed since it.
    pub delta: Option<NftDelta>,
}

/// A chain of one hook's rule lines.
#[derive(Serialize)]
pub struct NftChain {
    /// The chain's name: its hook's in mode `table`; the policy's
    /// `[targets.nftables] chain`, `_` and the hook in mode `chain`.
    pub name: String,
    /// The netfilter hook: `input`, `forward` or `output`.
    pub hook: &'static str,
    /// Whole rule lines that accept what must pass before the rules when
    /// unmatched traffic is dropped (replies, loopback, IPv6 neighbour
    /// discovery); empty otherwise.
    pub exempt: Vec<&'static str>,
    /// Whole rule lines (match, verdict and a quoted provenance comment),
    /// in the policy's order by priority.
    pub rules: Vec<String>,
    /// The chain's last line: `drop` in mode `chain` when unmatched traffic
    /// is dropped (a regular chain has no policy); else null.
    pub last: Option<&'static str>,
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
    /// The names of the sets the previous release loaded that this one
    /// lacks (a rule gone, or a family emptied), in name order. Modes `sets`
    /// and `chain` empty them, as rules of the admin's may still use them.
    pub gone: Vec<String>,
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
    /// The admin's table the sets are refilled in (modes `sets` and
    /// `chain`); `None`: defined inside tagwall's own table.
    refill: Option<String>,
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
        let set = &self.sets[index];
        Ok(Value::String(match &self.refill {
            Some(table) => syntax::set_refill(set, table),
            None => syntax::set_definition(set),
        }))
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
    let hooks: &[Hook] = match options.mode {
        NftMode::Sets => &[],
        NftMode::Table | NftMode::Chain => &Hook::ALL,
    };
    let mut chains: Vec<NftChain> = hooks
        .iter()
        .map(|&hook| NftChain {
            name: match options.mode {
                NftMode::Chain => format!("{}_{}", options.chain(), hook.name()),
                _ => hook.name().to_string(),
            },
            hook: hook.name(),
            exempt: if drop {
                syntax::exempt(hook)
            } else {
                Vec::new()
            },
            rules: Vec::new(),
            last: (drop && options.mode == NftMode::Chain).then_some("drop"),
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
    // In mode `sets` there is no chain: the admin's own rules match the sets.
    let chained = !chains.is_empty();
    for (hook, line) in lines.into_iter().filter(|_| chained) {
        let chain = chains
            .iter_mut()
            .find(|c| c.hook == hook.name())
            .ok_or_else(|| limit(target, format!("no chain for hook {}", hook.name())))?;
        chain.rules.push(line);
    }
    let delta = job.previous.as_ref().map(|_| {
        // Elements are patched only when the sets are the same ones by
        // name; otherwise the table (or the sets and chains) is refilled whole.
        let gone = gone_sets(job, target, names);
        let patch = gone.is_empty()
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
        NftDelta {
            patch,
            sets,
            gone: gone.into_iter().collect(),
        }
    });
    let comment = clean(
        &format!("tagwall: {} cloud Service Tags", job.provenance.cloud),
        NFT_MAX_COMMENT,
    );
    Ok(NftablesContext {
        head: PlanHead::of(job),
        nft: Nft {
            mode: options.mode.as_str(),
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
                refill: (options.mode != NftMode::Table).then(|| options.table().to_string()),
            }),
            chains,
            delta,
        },
    })
}
