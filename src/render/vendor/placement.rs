//! Where created policies go in the device's ordered list: the `place` of
//! each [`Policy`] and [`Entry`](super::plan::Entry).
//!
//! tagwall's policies sit together, in the plan's order, at the bottom of
//! the list (where FortiOS and Junos add a new one) or next to the admin's
//! `placement_rule`. A policy that exists already keeps its place. A created
//! one goes before the next of tagwall's that exists already; failing that,
//! with a `placement_rule`, just before that rule (`before`) or just after
//! the previous of tagwall's, or the rule for the first (`after`); else it
//! stays where the device adds it. Created in the plan's order, each then
//! lands in its place and the order holds.
//!
//! A list is the device's: FortiOS has one for all policies, Junos one per
//! zone pair (so one per direction), or one for all global policies.

use super::plan::{Delta, Place, Plan, Policy};
use std::collections::{HashMap, HashSet};

/// The admin's policy that tagwall's go before or after: `placement` and
/// `placement_rule`.
#[derive(Clone, Copy, Debug)]
pub struct Anchor<'a> {
    /// True for `after`.
    pub after: bool,
    /// `placement_rule`.
    pub rule: &'a str,
}

/// One policy or entry of a list.
struct Item<'a> {
    ident: &'a str,
    id: Option<u64>,
    created: bool,
}

/// Set `place` on the policies and entries of `plan` (every one created
/// by the full configuration) and on those `delta` creates. `one_list`:
/// entries of both directions share one list (Junos global policies).
pub fn place(plan: &mut Plan, delta: Option<&mut Delta>, anchor: Option<Anchor>, one_list: bool) {
    let policies = places_of_policies(&plan.policies, anchor, &|_| true);
    let entries = places_of_entries(&plan.policies, anchor, one_list, &|_| true);
    if let Some(d) = delta {
        let created: HashSet<&str> = d.policies_added.iter().map(|p| p.ident.as_str()).collect();
        let added = places_of_policies(&plan.policies, anchor, &|i| created.contains(i));
        let created: HashSet<&str> = d.entries_added.iter().map(|e| e.ident.as_str()).collect();
        let added_entries =
            places_of_entries(&plan.policies, anchor, one_list, &|i| created.contains(i));
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

/// Places of entries (one list per direction, or one), by ident.
fn places_of_entries(
    policies: &[Policy],
    anchor: Option<Anchor>,
    one_list: bool,
    created: &dyn Fn(&str) -> bool,
) -> HashMap<String, Option<Place>> {
    let mut out = HashMap::new();
    for inbound in [false, true] {
        let items: Vec<Item> = policies
            .iter()
            .filter(|p| one_list || p.inbound == inbound)
            .flat_map(|p| &p.entries)
            .map(|e| Item {
                ident: &e.ident,
                id: None,
                created: created(&e.ident),
            })
            .collect();
        out.extend(by_ident(&items, anchor));
        if one_list {
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
        out[i] = Some(match (anchor.after, i.checked_sub(1)) {
            (true, Some(previous)) => next_to("after", &items[previous]),
            (after, _) => Place {
                position: if after { "after" } else { "before" },
                policy: anchor.rule.to_string(),
                id: anchor.rule.parse().ok(),
            },
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
        let before = Anchor {
            after: false,
            rule: "Q",
        };
        assert_eq!(
            show(places(&all, Some(before))),
            ["before Q", "before Q", "before Q"]
        );
        let after = Anchor {
            after: true,
            rule: "Q",
        };
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
        let before = Anchor {
            after: false,
            rule: "Q",
        };
        assert_eq!(
            show(places(&some, Some(before))),
            ["before A", "-", "before C", "-", "before Q"]
        );
        let after = Anchor {
            after: true,
            rule: "Q",
        };
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
        let anchor = Anchor {
            after: false,
            rule: "7",
        };
        let got = places(&one, Some(anchor));
        assert_eq!(got[0].as_ref().and_then(|p| p.id), Some(7));
    }
}
