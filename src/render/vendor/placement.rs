//! Where created policies go in the device's ordered list: the `place` of
//! each [`Policy`] and [`Entry`](super::plan::Entry).
//!
//! tagwall's policies sit together, in the plan's order, at the bottom of
//! the list (where the devices add a new one), at the top (PAN-OS) or next
//! to the admin's `placement_rule`. A policy that exists already keeps its
//! place. A created one goes before the next of tagwall's that exists
//! already; failing that, with a `placement_rule`, just before that rule
//! (`before`), or just after the previous of tagwall's, or for the first the
//! rule (`after`) or the top (`top`); else it stays where the device adds
//! it. Created in the plan's order, each then lands in its place and the
//! order holds.
//!
//! A list is the device's: PAN-OS and FortiOS have one for all policies,
//! Junos one per zone pair (so one per direction) or one for all global
//! policies, RouterOS one filter table per address family.

use super::plan::{Delta, Place, Plan, Policy};
use std::collections::{HashMap, HashSet};

/// Where tagwall's policies go when none of theirs is next to them:
/// `placement` and `placement_rule` (as the target writes the rule's name).
#[derive(Clone, Copy, Debug)]
pub enum Anchor<'a> {
    /// `placement = "top"`.
    Top,
    /// `placement = "before"`: just before this rule.
    Before(&'a str),
    /// `placement = "after"`: just after this rule.
    After(&'a str),
}

/// How a device groups the policies or entries into ordered lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lists {
    /// One list per direction (Junos zone pairs).
    ByDirection,
    /// One list (Junos global policies).
    One,
    /// One list per address family (RouterOS `/ip` and `/ipv6` filters).
    ByFamily,
}

/// One policy or entry of a list.
struct Item<'a> {
    ident: &'a str,
    id: Option<u64>,
    created: bool,
}

/// Set `place` on the policies (one list) and entries (`lists`) of `plan`
/// (every one created by the full configuration) and on those `delta`
/// creates.
pub fn place(plan: &mut Plan, delta: Option<&mut Delta>, anchor: Option<Anchor>, lists: Lists) {
    if anchor.is_none() && delta.is_none() {
        // Every policy and entry is created and none has an anchor: each
        // stays where the device adds it, as the plan already says.
        return;
    }
    let policies = places_of_policies(&plan.policies, anchor, &|_| true);
    let entries = places_of_entries(&plan.policies, anchor, lists, &|_| true);
    if let Some(d) = delta {
        let created: HashSet<&str> = d.policies_added.iter().map(|p| p.ident.as_str()).collect();
        let added = places_of_policies(&plan.policies, anchor, &|i| created.contains(i));
        let created: HashSet<&str> = d.entries_added.iter().map(|e| e.ident.as_str()).collect();
        let added_entries =
            places_of_entries(&plan.policies, anchor, lists, &|i| created.contains(i));
        for p in &mut d.policies_added {
            p.place = added.get(p.ident.as_str()).cloned().flatten();
        }
        for e in &mut d.entries_added {
            e.place = added_entries.get(e.ident.as_str()).cloned().flatten();
        }
    }
    for p in &mut plan.policies {
        p.place = policies.get(p.ident.as_str()).cloned().flatten();
        for e in &mut p.entries {
            e.place = entries.get(e.ident.as_str()).cloned().flatten();
        }
    }
}

/// Places of policies (one list), by ident.
fn places_of_policies(
    policies: &[Policy],
    anchor: Option<Anchor>,
    created: &dyn Fn(&str) -> bool,
) -> HashMap<String, Option<Place>> {
    let items: Vec<Item> = policies
        .iter()
        .map(|p| Item {
            ident: &p.ident,
            id: Some(p.id),
            created: created(&p.ident),
        })
        .collect();
    by_ident(&items, anchor)
}

/// Places of entries, list by list, by ident.
fn places_of_entries(
    policies: &[Policy],
    anchor: Option<Anchor>,
    lists: Lists,
    created: &dyn Fn(&str) -> bool,
) -> HashMap<String, Option<Place>> {
    let mut out = HashMap::new();
    for lane in [false, true] {
        let items: Vec<Item> = policies
            .iter()
            .filter(|p| lists != Lists::ByDirection || p.inbound == lane)
            .flat_map(|p| &p.entries)
            .filter(|e| lists != Lists::ByFamily || e.v6 == lane)
            .map(|e| Item {
                ident: &e.ident,
                id: None,
                created: created(&e.ident),
            })
            .collect();
        out.extend(by_ident(&items, anchor));
        if lists == Lists::One {
            break;
        }
    }
    out
}

fn by_ident(items: &[Item], anchor: Option<Anchor>) -> HashMap<String, Option<Place>> {
    items
        .iter()
        .zip(places(items, anchor))
        .map(|(item, place)| (item.ident.to_string(), place))
        .collect()
}

/// The place of each item of one list, in order (none for one that exists
/// already or stays where the device adds it).
fn places(items: &[Item], anchor: Option<Anchor>) -> Vec<Option<Place>> {
    let next_to = |position: &'static str, item: &Item| Place {
        position,
        policy: item.ident.to_string(),
        id: item.id,
        ours: true,
    };
    let theirs = |position: &'static str, rule: &str| Place {
        position,
        policy: rule.to_string(),
        id: rule.parse().ok(),
        ours: false,
    };
    let mut out: Vec<Option<Place>> = vec![None; items.len()];
    // Walk backwards, remembering the next item that exists already.
    let mut next: Option<&Item> = None;
    for (i, item) in items.iter().enumerate().rev() {
        if item.created {
            out[i] = next.map(|n| next_to("before", n));
        } else {
            next = Some(item);
        }
    }
    let Some(anchor) = anchor else { return out };
    for (i, item) in items.iter().enumerate() {
        if !item.created || out[i].is_some() {
            continue;
        }
        out[i] = Some(match (anchor, i.checked_sub(1)) {
            (Anchor::Before(rule), _) => theirs("before", rule),
            (Anchor::After(_) | Anchor::Top, Some(previous)) => next_to("after", &items[previous]),
            (Anchor::After(rule), None) => theirs("after", rule),
            (Anchor::Top, None) => theirs("top", ""),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items<'a>(list: &[(&'a str, bool)]) -> Vec<Item<'a>> {
        list.iter()
            .map(|(ident, created)| Item {
                ident,
                id: None,
                created: *created,
            })
            .collect()
    }

    fn show(places: Vec<Option<Place>>) -> Vec<String> {
        places
            .into_iter()
            .map(|p| p.map_or("-".into(), |p| format!("{} {}", p.position, p.policy)))
            .collect()
    }

    #[test]
    fn a_full_configuration_goes_next_to_the_rule_in_order() {
        let all = items(&[("A", true), ("B", true), ("C", true)]);
        assert_eq!(show(places(&all, None)), ["-", "-", "-"]);
        let before = Anchor::Before("Q");
        assert_eq!(
            show(places(&all, Some(before))),
            ["before Q", "before Q", "before Q"]
        );
        let after = Anchor::After("Q");
        assert_eq!(
            show(places(&all, Some(after))),
            ["after Q", "after A", "after B"]
        );
    }

    #[test]
    fn a_delta_moves_created_ones_only() {
        // A and C exist; B, D and E are created.
        let some = items(&[
            ("B", true),
            ("A", false),
            ("D", true),
            ("C", false),
            ("E", true),
        ]);
        assert_eq!(
            show(places(&some, None)),
            ["before A", "-", "before C", "-", "-"]
        );
        let before = Anchor::Before("Q");
        assert_eq!(
            show(places(&some, Some(before))),
            ["before A", "-", "before C", "-", "before Q"]
        );
        let after = Anchor::After("Q");
        assert_eq!(
            show(places(&some, Some(after))),
            ["before A", "-", "before C", "-", "after C"]
        );
    }

    #[test]
    fn a_fortios_rule_is_an_id() {
        let one = [Item {
            ident: "A",
            id: Some(1_000_000_001),
            created: true,
        }];
        let anchor = Anchor::Before("7");
        let got = places(&one, Some(anchor));
        assert_eq!(got[0].as_ref().and_then(|p| p.id), Some(7));
    }
}
