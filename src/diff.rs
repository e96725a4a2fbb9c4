//! What changed between two releases, per tag and per rule.
//!
//! Changes are computed on address sets, not on prefix strings: a /20 that
//! replaces sixteen /24s is a re-aggregation with no address change, not
//! churn. Added and removed space is reported as minimal prefixes with
//! address counts per family.

use crate::aggregate::AddressSet;
use crate::delta::Delta;
use crate::error::{Error, Result};
use crate::model::{ServiceTags, Tag};
use crate::policy::Policy;
use crate::select::{Selection, glob, select_older};
use crate::source::Provenance;
use ipnet::IpNet;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Which tags a diff compares.
#[derive(Clone, Debug)]
pub enum Scope {
    /// The tags the policy's rules select (in either release), and its rules.
    Policy(Box<Policy>),
    /// Tags matching these names or glob patterns.
    Tags(Vec<String>),
    /// Every tag of either release.
    All,
}

/// Address counts per family, each written in JSON as a decimal string:
/// IPv6 counts exceed what JSON numbers carry exactly, and both families
/// read the same way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// IPv4 addresses.
    #[serde(serialize_with = "decimal_string")]
    pub ipv4: u128,
    /// IPv6 addresses.
    #[serde(serialize_with = "decimal_string")]
    pub ipv6: u128,
}

fn decimal_string<S: serde::Serializer>(n: &u128, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&n.to_string())
}

impl Counts {
    fn of(set: &AddressSet) -> Counts {
        Counts {
            ipv4: set.v4.address_count(),
            ipv6: set.v6.address_count(),
        }
    }
}

/// A value before and after.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Pair<T> {
    /// In the old release.
    pub from: T,
    /// In the new release.
    pub to: T,
}

/// How one tag changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// In both releases with the same addresses and prefixes.
    Unchanged,
    /// Same addresses, different prefixes (split or merged).
    Reaggregated,
    /// Addresses added or removed.
    Changed,
    /// Only in the new release.
    Appeared,
    /// Only in the old release.
    Disappeared,
}

/// One tag's change.
#[derive(Clone, Debug, Serialize)]
pub struct TagChange {
    /// Tag name.
    pub name: String,
    /// What happened.
    pub status: Status,
    /// The tag's change number before and after (None where absent).
    pub change_number: Pair<Option<u64>>,
    /// Published prefix counts before and after.
    pub prefixes: Pair<usize>,
    /// Minimal prefixes of the space added.
    pub added: Vec<IpNet>,
    /// Minimal prefixes of the space removed.
    pub removed: Vec<IpNet>,
    /// Addresses added, per family.
    pub added_addresses: Counts,
    /// Addresses removed, per family.
    pub removed_addresses: Counts,
}

impl TagChange {
    /// True when addresses changed (or the tag came or went).
    pub fn is_change(&self) -> bool {
        matches!(
            self.status,
            Status::Changed | Status::Appeared | Status::Disappeared
        )
    }
}

/// One policy rule's change (the union of its tags).
#[derive(Clone, Debug, Serialize)]
pub struct RuleChange {
    /// Rule name.
    pub name: String,
    /// Tags the rule selects in the new release (or the old one, if gone).
    pub tags: Vec<String>,
    /// Minimal prefix counts before and after.
    pub prefixes: Pair<usize>,
    /// Minimal prefixes of the space added.
    pub added: Vec<IpNet>,
    /// Minimal prefixes of the space removed.
    pub removed: Vec<IpNet>,
    /// Addresses added, per family.
    pub added_addresses: Counts,
    /// Addresses removed, per family.
    pub removed_addresses: Counts,
    /// Addresses before, per family (to judge the share removed).
    pub before_addresses: Counts,
    /// Prefixes the release removed that a grace period keeps in the outputs
    /// for now (`tagwall run --grace`); absent when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<IpNet>,
}

/// The whole comparison.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    /// The old release.
    pub from: Provenance,
    /// The new release.
    pub to: Provenance,
    /// Every compared tag, by name.
    pub tags: Vec<TagChange>,
    /// Every policy rule (empty unless the scope is a policy).
    pub rules: Vec<RuleChange>,
    /// Totals.
    pub summary: Summary,
}

/// Totals over the compared tags.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Tags compared.
    pub compared: usize,
    /// Tags whose addresses changed.
    pub changed: usize,
    /// Tags re-aggregated only.
    pub reaggregated: usize,
    /// Tags that appeared.
    pub appeared: usize,
    /// Tags that disappeared.
    pub disappeared: usize,
    /// Tags unchanged.
    pub unchanged: usize,
    /// Minimal prefixes added over all tags.
    pub added_prefixes: usize,
    /// Minimal prefixes removed over all tags.
    pub removed_prefixes: usize,
}

impl Diff {
    /// True when any address changed or any tag came or went.
    pub fn has_changes(&self) -> bool {
        self.tags.iter().any(TagChange::is_change)
            || self
                .rules
                .iter()
                .any(|r| !r.added.is_empty() || !r.removed.is_empty())
    }
}

/// The policy resolved against both releases, and the change between them,
/// when the caller has them already (a build, a run).
pub struct Resolved<'s, 'a> {
    /// The policy on the old release.
    pub before: &'s Selection<'a>,
    /// The policy on the new release (in a run: the sets applied).
    pub after: &'s Selection<'a>,
    /// The change from `before` to `after`.
    pub delta: &'s Delta,
    /// Per rule, the prefixes a grace period withholds from removal (kept
    /// in `after`, gone from the release).
    pub withheld: Option<&'s BTreeMap<String, Vec<IpNet>>>,
}

/// Compare two releases within `scope`, resolving the policy against both
/// when the scope is a policy.
pub fn diff(
    old: &ServiceTags,
    old_p: Provenance,
    new: &ServiceTags,
    new_p: Provenance,
    scope: &Scope,
) -> Result<Diff> {
    let Scope::Policy(policy) = scope else {
        return diff_resolved(old, old_p, new, new_p, scope, None);
    };
    let before = select_older(old, (**policy).clone(), "policy")?;
    let after = select_older(new, (**policy).clone(), "policy")?;
    let delta = Delta::new(&before, &after);
    let resolved = Resolved {
        before: &before,
        after: &after,
        delta: &delta,
        withheld: None,
    };
    diff_resolved(old, old_p, new, new_p, scope, Some(&resolved))
}

/// Compare two releases within `scope`; a policy's rules are read from
/// `resolved` (required when the scope is a policy).
pub fn diff_resolved(
    old: &ServiceTags,
    old_p: Provenance,
    new: &ServiceTags,
    new_p: Provenance,
    scope: &Scope,
    resolved: Option<&Resolved<'_, '_>>,
) -> Result<Diff> {
    // A tag left out for a malformed prefix cannot be compared: asked for,
    // it is the error (the policy's selection refuses it the same way).
    let asked = |name: &str| match scope {
        Scope::All => true,
        Scope::Tags(patterns) => patterns.iter().any(|p| glob(p)(name)),
        Scope::Policy(_) => false,
    };
    for file in [old, new] {
        if let Some(bad) = file.unusable.iter().find(|u| asked(&u.tag)) {
            return Err(bad.error(&file.source));
        }
    }
    let old_tags: BTreeMap<&str, &Tag> = old.tags.iter().map(|t| (t.name.as_str(), t)).collect();
    let new_tags: BTreeMap<&str, &Tag> = new.tags.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut rules = Vec::new();
    let names: BTreeSet<&str> = match scope {
        Scope::All => old_tags.keys().chain(new_tags.keys()).copied().collect(),
        Scope::Tags(patterns) => {
            let globs: Vec<_> = patterns.iter().map(|p| glob(p)).collect();
            old_tags
                .keys()
                .chain(new_tags.keys())
                .copied()
                .filter(|n| globs.iter().any(|g| g(n)))
                .collect()
        }
        Scope::Policy(policy) => {
            let Some(r) = resolved else {
                return Err(Error::Usage(
                    "a policy diff needs the policy resolved against both releases".into(),
                ));
            };
            let mut names = BTreeSet::new();
            for rule in r.before.rules.iter().chain(&r.after.rules) {
                names.extend(rule.tags.iter().map(|t| t.name.as_str()));
            }
            rules = policy
                .rules
                .iter()
                .map(|rule| {
                    let mut change = rule_change(&rule.name, r.delta);
                    if let Some(kept) = r.withheld.and_then(|w| w.get(&rule.name)) {
                        change.withheld = kept.clone();
                    }
                    change
                })
                .collect();
            // Names are resolved against the files; keep only those present somewhere.
            names
                .into_iter()
                .filter(|n| old_tags.contains_key(n) || new_tags.contains_key(n))
                .collect()
        }
    };
    let tags: Vec<TagChange> = names
        .into_iter()
        .map(|name| {
            tag_change(
                name,
                old_tags.get(name).copied(),
                new_tags.get(name).copied(),
            )
        })
        .collect();
    let mut summary = Summary {
        compared: tags.len(),
        ..Summary::default()
    };
    for t in &tags {
        match t.status {
            Status::Unchanged => summary.unchanged += 1,
            Status::Reaggregated => summary.reaggregated += 1,
            Status::Changed => summary.changed += 1,
            Status::Appeared => summary.appeared += 1,
            Status::Disappeared => summary.disappeared += 1,
        }
        summary.added_prefixes += t.added.len();
        summary.removed_prefixes += t.removed.len();
    }
    Ok(Diff {
        from: old_p,
        to: new_p,
        tags,
        rules,
        summary,
    })
}

/// A policy rule's change, as the delta has it: a rule of the new
/// selection, one only the old selection had, or (resolved in neither) none.
fn rule_change(name: &str, delta: &Delta) -> RuleChange {
    let empty = AddressSet::default();
    let change =
        |tags: &[String], prefixes: Pair<usize>, added: &AddressSet, removed: &AddressSet| {
            RuleChange {
                name: name.to_string(),
                tags: tags.to_vec(),
                prefixes,
                added: added.prefixes(),
                removed: removed.prefixes(),
                added_addresses: Counts::of(added),
                removed_addresses: Counts::of(removed),
                before_addresses: Counts::default(),
                withheld: Vec::new(),
            }
        };
    if let Some(now) = delta.rules.iter().find(|r| r.name == name) {
        let [v4, v6] = &now.families;
        let prefixes = Pair {
            from: v4.prefixes_before + v6.prefixes_before,
            to: v4.prefixes_after + v6.prefixes_after,
        };
        return RuleChange {
            before_addresses: Counts {
                ipv4: v4.addresses_before,
                ipv6: v6.addresses_before,
            },
            ..change(&now.tags, prefixes, &now.added, &now.removed)
        };
    }
    match delta.removed_rules.iter().find(|r| r.name == name) {
        Some(gone) => {
            let prefixes = Pair {
                from: gone.before.v4.prefixes().len() + gone.before.v6.prefixes().len(),
                to: 0,
            };
            RuleChange {
                before_addresses: Counts::of(&gone.before),
                ..change(&gone.tags, prefixes, &empty, &gone.before)
            }
        }
        None => change(&[], Pair { from: 0, to: 0 }, &empty, &empty),
    }
}

fn tag_change(name: &str, old: Option<&Tag>, new: Option<&Tag>) -> TagChange {
    let set = |t: Option<&Tag>| {
        t.map(|t| AddressSet::from_prefixes(&t.prefixes))
            .unwrap_or_default()
    };
    let (before, after) = (set(old), set(new));
    let added = after.difference(&before);
    let removed = before.difference(&after);
    let status = match (old, new) {
        (None, _) => Status::Appeared,
        (_, None) => Status::Disappeared,
        (Some(o), Some(n)) => {
            if !added.is_empty() || !removed.is_empty() {
                Status::Changed
            } else {
                let sorted = |t: &Tag| {
                    let mut p = t.prefixes.clone();
                    p.sort();
                    p
                };
                if sorted(o) == sorted(n) {
                    Status::Unchanged
                } else {
                    Status::Reaggregated
                }
            }
        }
    };
    TagChange {
        name: name.to_string(),
        status,
        change_number: Pair {
            from: old.map(|t| t.change_number),
            to: new.map(|t| t.change_number),
        },
        prefixes: Pair {
            from: old.map_or(0, |t| t.prefixes.len()),
            to: new.map_or(0, |t| t.prefixes.len()),
        },
        added: added.prefixes(),
        removed: removed.prefixes(),
        added_addresses: Counts::of(&added),
        removed_addresses: Counts::of(&removed),
    }
}
