//! What changed between two resolutions of one policy, per rule and address
//! family: computed once, from the two selections, and read by every
//! renderer's delta files, by the guard rails and by the reports.
//!
//! A family's change is given two ways, because two questions are asked of
//! it. Element-wise (`added`, `removed`: prefixes as text): what to add to and
//! delete from a set that holds the previous release's minimal prefixes so
//! that it holds this release's, which is what a device's delta commands do.
//! By address (the rule's `added` and `removed` address sets, and each
//! family's `addresses_before`): how much the rule really opens or closes, which is what the guard rails and a reviewer ask; a
//! /23 that replaces two /24s is two removed elements, one added, and no
//! address at all.

use crate::aggregate::{AddrInt, AddressSet, IntervalSet};
use crate::select::{SelectedRule, Selection};

/// The change of every rule between a previous selection and this one.
#[derive(Clone, Debug, Default)]
pub struct Delta {
    /// The rules of this selection, in its order (the `i`th is the change
    /// of the selection's `i`th rule).
    pub rules: Vec<RuleDelta>,
    /// Rules of the previous selection that this one no longer has, in the
    /// previous order.
    pub removed_rules: Vec<GoneRule>,
}

/// The change of one rule, IPv4 then IPv6.
#[derive(Clone, Debug)]
pub struct RuleDelta {
    /// The rule's name.
    pub name: String,
    /// Whether the previous selection had a rule of this name.
    pub existed: bool,
    /// The names of the tags the rule matches now.
    pub tags: Vec<String>,
    /// The addresses it holds now and did not before, both families.
    pub added: AddressSet,
    /// The addresses it held before and does not now, both families.
    pub removed: AddressSet,
    /// IPv4, then IPv6.
    pub families: [FamilyDelta; 2],
}

/// The change of one family of one rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FamilyDelta {
    /// Minimal prefixes before.
    pub prefixes_before: usize,
    /// Minimal prefixes now.
    pub prefixes_after: usize,
    /// Prefixes (text, numeric order) to add to the previous set.
    pub added: Vec<String>,
    /// Prefixes (text, numeric order) to delete from it.
    pub removed: Vec<String>,
    /// Addresses held before (what is added and removed is in the rule's
    /// address sets).
    pub addresses_before: u128,
}

/// A rule the previous selection had and this one has not.
#[derive(Clone, Debug)]
pub struct GoneRule {
    /// Its name.
    pub name: String,
    /// The names of the tags it matched.
    pub tags: Vec<String>,
    /// The addresses it held.
    pub before: AddressSet,
}

impl Delta {
    /// The change from `before` to `after`; rules are matched by name.
    pub fn new(before: &Selection<'_>, after: &Selection<'_>) -> Delta {
        use std::collections::HashMap;
        let old: HashMap<&str, &SelectedRule<'_>> = before
            .rules
            .iter()
            .map(|r| (r.rule.name.as_str(), r))
            .collect();
        let rules = after
            .rules
            .iter()
            .map(|new| RuleDelta::new(old.get(new.rule.name.as_str()).copied(), new))
            .collect();
        let kept: std::collections::HashSet<&str> =
            after.rules.iter().map(|r| r.rule.name.as_str()).collect();
        let removed_rules = before
            .rules
            .iter()
            .filter(|r| !kept.contains(r.rule.name.as_str()))
            .map(|r| GoneRule {
                name: r.rule.name.clone(),
                tags: tag_names(r),
                before: r.set.clone(),
            })
            .collect();
        Delta {
            rules,
            removed_rules,
        }
    }
}

impl RuleDelta {
    fn new(old: Option<&SelectedRule<'_>>, new: &SelectedRule<'_>) -> RuleDelta {
        let empty = AddressSet::default();
        let before = old.map_or(&empty, |o| &o.set);
        let added = new.set.difference(before);
        let removed = before.difference(&new.set);
        let families = [
            FamilyDelta::new(&before.v4, &new.set.v4, crate::prefix::push_v4_prefix),
            FamilyDelta::new(&before.v6, &new.set.v6, crate::prefix::push_v6_prefix),
        ];
        RuleDelta {
            name: new.rule.name.clone(),
            existed: old.is_some(),
            tags: tag_names(new),
            added,
            removed,
            families,
        }
    }
}

impl FamilyDelta {
    fn new<A: AddrInt>(
        before: &IntervalSet<A>,
        after: &IntervalSet<A>,
        write: fn(&mut String, A, u8),
    ) -> FamilyDelta {
        let old = before.prefixes();
        let new = after.prefixes();
        let text = |list: Vec<(A, u8)>| -> Vec<String> {
            list.into_iter()
                .map(|(a, len)| {
                    let mut s = String::new();
                    write(&mut s, a, len);
                    s
                })
                .collect()
        };
        let [added, removed] = element_diff(&old, &new);
        FamilyDelta {
            prefixes_before: old.len(),
            prefixes_after: new.len(),
            added: text(added),
            removed: text(removed),
            addresses_before: before.address_count(),
        }
    }

    /// True when the family held no prefix before.
    pub fn was_empty(&self) -> bool {
        self.prefixes_before == 0
    }
}

fn tag_names(rule: &SelectedRule<'_>) -> Vec<String> {
    rule.tags.iter().map(|t| t.name.clone()).collect()
}

/// Elements of `new` not in `old`, and of `old` not in `new`, each in its
/// list's order. Both lists are minimal prefix lists in numeric order, so no
/// two elements of one list start at the same address and one merge finds
/// both. Numbered objects compare their chunks of such lists with it too.
pub fn element_diff<A: Ord + Copy>(old: &[(A, u8)], new: &[(A, u8)]) -> [Vec<(A, u8)>; 2] {
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        match old[i].cmp(&new[j]) {
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => {
                removed.push(old[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                added.push(new[j]);
                j += 1;
            }
        }
    }
    removed.extend_from_slice(&old[i..]);
    added.extend_from_slice(&new[j..]);
    [added, removed]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_diff_is_the_set_difference_both_ways() {
        let old = [(1u32, 24), (10, 24), (20, 23), (40, 24)];
        let new = [(1u32, 24), (10, 23), (30, 24), (40, 24), (50, 24)];
        let [added, removed] = element_diff(&old, &new);
        assert_eq!(added, vec![(10, 23), (30, 24), (50, 24)]);
        assert_eq!(removed, vec![(10, 24), (20, 23)]);
        assert_eq!(element_diff::<u32>(&[], &[]), [vec![], vec![]]);
        assert_eq!(element_diff(&old, &[]), [vec![], old.to_vec()]);
    }
}
