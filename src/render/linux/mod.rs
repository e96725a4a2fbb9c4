//! The Linux targets: [`nftables`], and [`iptables`] with ipset.
//!
//! Both build their own context (they never read the generic rule lists)
//! from a plan in the kernel's terms, which this module holds:
//! one set per rule and family, and per netfilter hook (input, forward,
//! output) the ordered rule lines that match the sets. An outbound rule
//! matches the set against the destination, in the output hook (the host's
//! own traffic) and the forward hook (a gateway's); an inbound rule matches
//! the source, in the input and forward hooks. A rule with a local interface
//! names the interface the local side sits behind, so it only applies to
//! forwarded traffic. Rules keep the policy's order (by priority).
//!
//! Loads are atomic where the kernel allows it: an nftables file is one
//! transaction; an ipset set is refilled in a temporary set and swapped in.
//! A delta turns what the previous release loaded into this release:
//! element by element where the sets are the same ones, whole otherwise.
//!
//! What is shared lives here: the match plan (`plan`), the kernel set
//! names of both releases (`with_set_names`), the provenance comments and
//! the top of both contexts ([`crate::render::PlanHead`]). Each target's file holds its context
//! types, its limits and, in a `syntax` module of its own, the rule syntax
//! written in Rust rather than in a template.

pub mod iptables;
pub mod nftables;

use super::helpers::dq_char;
use super::{Job, Target};
use crate::delta::FamilyDelta;
use crate::error::{Error, Result};
use crate::policy::Direction;
use crate::select::SelectedRule;
use ipnet::IpNet;
use rayon::prelude::*;
use std::collections::BTreeSet;

/// A netfilter hook tagwall attaches chains to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hook {
    Input,
    Forward,
    Output,
}

impl Hook {
    const ALL: [Hook; 3] = [Hook::Input, Hook::Forward, Hook::Output];

    /// The hook's name in the kernel (and in nft).
    fn name(self) -> &'static str {
        match self {
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
        }
    }
}

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    const ALL: [Family; 2] = [Family::V4, Family::V6];

    /// The suffix of the family's set names.
    fn short(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }

    fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }

    /// The family's place in a `[v4, v6]` pair.
    fn slot(self) -> usize {
        match self {
            Family::V4 => 0,
            Family::V6 => 1,
        }
    }
}

/// One rule of the policy matched in one hook and family.
struct Match<'s, 'a> {
    /// The rule's position in the selection.
    index: usize,
    sel: &'s SelectedRule<'a>,
    family: Family,
    direction: Direction,
    hook: Hook,
    /// The rule's local prefixes of this family (empty: any address).
    local: Vec<String>,
}

impl Match<'_, '_> {
    fn outbound(&self) -> bool {
        self.direction == Direction::Outbound
    }
}

/// Every match of the policy, hook by hook, in the policy's order.
fn plan<'s, 'a>(rules: &'s [SelectedRule<'a>]) -> Vec<Match<'s, 'a>> {
    let mut ordered: Vec<(usize, &SelectedRule<'a>)> = rules.iter().enumerate().collect();
    ordered.sort_by_key(|(_, r)| r.rule.priority);
    let mut out = Vec::new();
    for hook in Hook::ALL {
        for &(index, sel) in &ordered {
            let rule = &sel.rule;
            for &direction in rule.direction.expand() {
                let applies = match (direction, hook) {
                    (_, Hook::Forward) => true,
                    (Direction::Outbound, Hook::Output) | (Direction::Inbound, Hook::Input) => {
                        rule.local.interface.is_none()
                    }
                    _ => false,
                };
                if !applies {
                    continue;
                }
                for family in Family::ALL {
                    let local: Vec<String> = rule
                        .local
                        .prefixes
                        .iter()
                        .filter(|p| Family::of(p) == family)
                        .map(ToString::to_string)
                        .collect();
                    // Local prefixes of the other family only: nothing local to match.
                    if !has(sel, family) || (local.is_empty() && !rule.local.prefixes.is_empty()) {
                        continue;
                    }
                    out.push(Match {
                        index,
                        sel,
                        family,
                        direction,
                        hook,
                        local,
                    });
                }
            }
        }
    }
    out
}

/// Text for a kernel comment: printable ASCII with no `"` or `\`, at most `max` bytes.
fn clean(text: &str, max: usize) -> String {
    text.chars().map(dq_char).take(max).collect()
}

/// A comment that says where a rule's addresses come from, within `max`
/// bytes: the rule, its tags and the cloud (no release: it changes when the
/// addresses do, not every week).
fn provenance(sel: &SelectedRule<'_>, job: &Job<'_>, max: usize) -> String {
    let head = format!("{}: ", sel.rule.name);
    let tail = format!("; {}", job.provenance.cloud);
    let tags: Vec<&str> = sel.tags.iter().map(|t| t.name.as_str()).collect();
    let mut kept = tags.len();
    let text = loop {
        let mut text = head.clone() + &tags[..kept].join(", ");
        if kept < tags.len() {
            let sep = if kept > 0 { ", " } else { "" };
            text += &format!("{sep}+{} more", tags.len() - kept);
        }
        text += &tail;
        if text.len() <= max || kept == 0 {
            break text;
        }
        kept -= 1;
    };
    clean(&text, max)
}

/// The full provenance of a rule for `#` comment lines.
fn provenance_lines(sel: &SelectedRule<'_>) -> Vec<String> {
    sel.tags
        .iter()
        .map(|t| {
            if t.region.is_empty() {
                format!("{} (global)", t.name)
            } else {
                format!("{} (region {})", t.name, t.region)
            }
        })
        .collect()
}

/// The rule's name, with its description when the policy gives one.
fn rule_label(sel: &SelectedRule<'_>) -> String {
    let rule = &sel.rule;
    let text = match &rule.description {
        Some(d) => format!("{} ({d})", rule.name),
        None => rule.name.clone(),
    };
    clean(&text, 256)
}

/// Kernel set names by rule, in selection order: the IPv4 set's and the
/// IPv6 set's.
struct SetNames {
    /// This release's rules.
    current: Vec<[String; 2]>,
}

/// Run `work` with the kernel set names of both releases' rules. Meanwhile
/// every name of this release and the previous one is claimed in order, and
/// two rules whose names map to one kernel name are refused (after `work`,
/// whose result is then dropped). The names are mapped in parallel.
fn with_set_names<T: Send>(
    target: &Target,
    job: &Job<'_>,
    work: impl FnOnce(&SetNames) -> T + Send,
) -> Result<T> {
    const SUFFIXES: [Option<Family>; 3] = [None, Some(Family::V4), Some(Family::V6)];
    let previous = job.previous.iter().flat_map(|p| p.selection.rules.iter());
    let rules: Vec<&str> = job
        .selection
        .rules
        .iter()
        .chain(previous)
        .map(|sel| sel.rule.name.as_str())
        .collect();
    let mapped: Vec<[String; 3]> = rules
        .par_iter()
        .map(|name| SUFFIXES.map(|f| target.names.map(name, f.map(Family::short))))
        .collect();
    let claim = || -> Result<()> {
        let mut namer = super::names::Namer::new(target.name, target.names);
        for (name, mapped) in rules.iter().zip(&mapped) {
            for (family, m) in SUFFIXES.into_iter().zip(mapped) {
                namer.claim(name, family.map(Family::short), m.clone())?;
            }
        }
        Ok(())
    };
    let sets = |mapped: &[[String; 3]]| -> Vec<[String; 2]> {
        mapped
            .iter()
            .map(|[_, v4, v6]| [v4.clone(), v6.clone()])
            .collect()
    };
    let names = SetNames {
        current: sets(&mapped[..job.selection.rules.len()]),
    };
    let (claimed, done) = rayon::join(claim, || work(&names));
    claimed.map(|()| done)
}

/// Whether the rule has addresses of the family.
fn has(sel: &SelectedRule<'_>, family: Family) -> bool {
    match family {
        Family::V4 => !sel.set.v4.is_empty(),
        Family::V6 => !sel.set.v6.is_empty(),
    }
}

/// The rule's minimal prefixes of the family, as text.
fn prefixes(sel: &SelectedRule<'_>, family: Family) -> Vec<String> {
    match family {
        Family::V4 => sel.set.v4_strings(),
        Family::V6 => sel.set.v6_strings(),
    }
}

/// The change of the set of `family` of the rule at `index` of the
/// selection, from the one delta: `None` when the previous release had no
/// such set (no previous release, a new rule, or a family that held no
/// prefix). A set's name is its rule's name and family, so the set of the
/// same name is the one that changes.
fn set_delta<'d>(job: &'d Job<'_>, index: usize, family: Family) -> Option<&'d FamilyDelta> {
    let rule = job.delta.as_ref()?.rules.get(index)?;
    let change = &rule.families[family.slot()];
    (rule.existed && !change.was_empty()).then_some(change)
}

/// The names of the sets the previous release loaded that this one no
/// longer has (a rule gone, or a family emptied), in name order.
fn gone_sets(job: &Job<'_>, target: &Target, names: &SetNames) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some(delta) = &job.delta else {
        return out;
    };
    for (rule, pair) in delta.rules.iter().zip(&names.current) {
        for family in Family::ALL {
            let change = &rule.families[family.slot()];
            if rule.existed && !change.was_empty() && change.prefixes_after == 0 {
                out.insert(pair[family.slot()].clone());
            }
        }
    }
    for gone in &delta.removed_rules {
        for (family, empty) in [
            (Family::V4, gone.before.v4.is_empty()),
            (Family::V6, gone.before.v6.is_empty()),
        ] {
            if !empty {
                out.insert(target.names.map(&gone.name, Some(family.short())));
            }
        }
    }
    out
}

/// A platform limit the policy runs into.
fn limit(target: &Target, message: String) -> Error {
    Error::Limit {
        target: target.name.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_clean_and_short() {
        assert_eq!(clean("a\"b\\c\u{e9}\n", 100), "a'b/c??");
        assert_eq!(
            clean(&"x".repeat(300), nftables::NFT_MAX_COMMENT).len(),
            128
        );
    }
}
