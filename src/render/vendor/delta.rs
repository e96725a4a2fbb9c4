//! The delta between two plans of one target: what to create, change and
//! delete on a device holding the previous release's plan so that it holds
//! this release's (see [`Delta`] for the order templates apply it in).

use super::limit_error;
use super::plan::{
    AclLine, Delta, Entry, Families, Group, GroupChange, LocalSide, Plan, Policy, PolicyChange,
};
use crate::error::Result;
use crate::render::Target;
use std::collections::{HashMap, HashSet};

/// What changes from `old` to `new`.
pub fn diff(target: &Target, old: &Plan, new: &Plan) -> Result<Delta> {
    let mut d = Delta {
        addresses_added: Families::new(
            minus(&new.addresses.v4, &old.addresses.v4),
            minus(&new.addresses.v6, &old.addresses.v6),
        ),
        addresses_removed: Families::new(
            minus(&old.addresses.v4, &new.addresses.v4),
            minus(&old.addresses.v6, &new.addresses.v6),
        ),
        ..Delta::default()
    };
    services(&mut d, old, new);
    locals(&mut d, old, new);
    groups(&mut d, old, new);
    policies(&mut d, target, old, new)?;
    entries(&mut d, old, new);
    acl(&mut d, old, new);
    d.changed = d.addresses_added.count > 0
        || d.addresses_removed.count > 0
        || !d.services_added.is_empty()
        || !d.services_removed.is_empty()
        || !d.locals_added.is_empty()
        || !d.locals_removed.is_empty()
        || !d.groups_added.is_empty()
        || !d.groups_removed.is_empty()
        || !d.groups_changed.is_empty()
        || !d.policies_added.is_empty()
        || !d.policies_removed.is_empty()
        || !d.policies_changed.is_empty();
    Ok(d)
}

/// Services to create and delete.
fn services(d: &mut Delta, old: &Plan, new: &Plan) {
    let old_services: HashSet<&str> = old.services.iter().map(|s| s.ident.as_str()).collect();
    let new_services: HashSet<&str> = new.services.iter().map(|s| s.ident.as_str()).collect();
    d.services_added = new
        .services
        .iter()
        .filter(|s| !old_services.contains(s.ident.as_str()))
        .cloned()
        .collect();
    d.services_removed = old
        .services
        .iter()
        .filter(|s| !new_services.contains(s.ident.as_str()))
        .cloned()
        .collect();
}

/// Local sides to create and delete (a changed one is deleted and created).
fn locals(d: &mut Delta, old: &Plan, new: &Plan) {
    let old_locals: HashMap<&str, &LocalSide> =
        old.locals.iter().map(|l| (l.ident.as_str(), l)).collect();
    let new_locals: HashMap<&str, &LocalSide> =
        new.locals.iter().map(|l| (l.ident.as_str(), l)).collect();
    for l in &new.locals {
        match old_locals.get(l.ident.as_str()) {
            Some(o) if *o == l => {}
            _ => d.locals_added.push(l.clone()),
        }
    }
    for l in &old.locals {
        match new_locals.get(l.ident.as_str()) {
            Some(n) if *n == l => {}
            _ => d.locals_removed.push(l.clone()),
        }
    }
}

/// Groups to create, delete and change, and the prefixes they gain and lose.
fn groups(d: &mut Delta, old: &Plan, new: &Plan) {
    let old_groups: HashMap<&str, &Group> =
        old.groups.iter().map(|g| (g.ident.as_str(), g)).collect();
    let new_groups: HashSet<&str> = new.groups.iter().map(|g| g.ident.as_str()).collect();
    for g in &new.groups {
        match old_groups.get(g.ident.as_str()) {
            None => {
                d.prefixes_added += g.count;
                d.groups_added.push(g.clone());
            }
            Some(o) => {
                let added = minus(&g.prefixes, &o.prefixes);
                let removed = minus(&o.prefixes, &g.prefixes);
                if !added.is_empty() || !removed.is_empty() {
                    d.prefixes_added += added.len();
                    d.prefixes_removed += removed.len();
                    d.groups_changed.push(GroupChange {
                        ident: g.ident.clone(),
                        family: g.family,
                        v6: g.v6,
                        note: g.note.clone(),
                        count: g.count,
                        shrinks: !removed.is_empty(),
                        added,
                        removed,
                    });
                }
            }
        }
    }
    for g in &old.groups {
        if !new_groups.contains(g.ident.as_str()) {
            d.prefixes_removed += g.count;
            d.groups_removed.push(g.clone());
        }
    }
}

/// Policies to create, delete and change (where the created ones go is
/// [`placement`](super::placement)'s).
fn policies(d: &mut Delta, target: &Target, old: &Plan, new: &Plan) -> Result<()> {
    let old_policies: HashMap<&str, &Policy> =
        old.policies.iter().map(|p| (p.ident.as_str(), p)).collect();
    let mut kept: HashSet<&str> = HashSet::new();
    for p in &new.policies {
        // Both releases are resolved with one policy, so a rule keeps its
        // protocol, ports, action and local side. Were it to change, the
        // delta would have to delete and re-create it under the same name
        // before anything else: refuse rather than write that wrongly.
        if let Some(o) = old_policies.get(p.ident.as_str())
            && !same_shape(o, p)
        {
            return Err(limit_error(
                target,
                format!(
                    "policy {:?} changes its protocol, ports, action or local side between \
                     the releases; apply the full configuration instead of the delta",
                    p.ident
                ),
            ));
        }
        match old_policies.get(p.ident.as_str()) {
            Some(o) if same_shape(o, p) => {
                kept.insert(o.ident.as_str());
                if o.id != p.id {
                    return Err(limit_error(
                        target,
                        format!(
                            "policy {:?} moves from id {} to {} (a hash collision with a new \
                             rule); apply the full configuration instead of the delta",
                            p.ident, o.id, p.id
                        ),
                    ));
                }
                let new_idents: HashSet<&str> =
                    p.entries.iter().map(|e| e.ident.as_str()).collect();
                let was: HashSet<&str> = o.entries.iter().map(|e| e.ident.as_str()).collect();
                let change = PolicyChange {
                    policy: p.clone(),
                    old: (*o).clone(),
                    v4_added: minus(&p.v4, &o.v4),
                    v4_removed: minus(&o.v4, &p.v4),
                    v6_added: minus(&p.v6, &o.v6),
                    v6_removed: minus(&o.v6, &p.v6),
                    remote_added: minus(&p.remote, &o.remote),
                    remote_removed: minus(&o.remote, &p.remote),
                    v4_appears: o.v4.is_empty() && !p.v4.is_empty(),
                    v4_disappears: !o.v4.is_empty() && p.v4.is_empty(),
                    v6_appears: o.v6.is_empty() && !p.v6.is_empty(),
                    v6_disappears: !o.v6.is_empty() && p.v6.is_empty(),
                    entries_added: p
                        .entries
                        .iter()
                        .filter(|e| !was.contains(e.ident.as_str()))
                        .cloned()
                        .collect(),
                    entries_removed: o
                        .entries
                        .iter()
                        .filter(|e| !new_idents.contains(e.ident.as_str()))
                        .cloned()
                        .collect(),
                    note_changed: o.note != p.note,
                    grows: false,
                    shrinks: false,
                };
                let mut change = change;
                change.grows = change.note_changed
                    || !change.v4_added.is_empty()
                    || !change.v6_added.is_empty();
                change.shrinks = !change.v4_removed.is_empty() || !change.v6_removed.is_empty();
                let changed = change.note_changed
                    || !change.entries_added.is_empty()
                    || !change.entries_removed.is_empty()
                    || !change.v4_added.is_empty()
                    || !change.v4_removed.is_empty()
                    || !change.v6_added.is_empty()
                    || !change.v6_removed.is_empty();
                if changed {
                    d.policies_changed.push(change);
                }
            }
            _ => {
                d.policies_added.push(p.clone());
            }
        }
    }
    d.policies_removed = old
        .policies
        .iter()
        .filter(|p| !kept.contains(p.ident.as_str()))
        .cloned()
        .collect();
    Ok(())
}

/// Entries to create and delete, of all policies, in their final order.
fn entries(d: &mut Delta, old: &Plan, new: &Plan) {
    // Entries in their final order, from added and changed policies alike.
    let placed: HashMap<&str, &Entry> = d
        .policies_added
        .iter()
        .flat_map(|p| &p.entries)
        .chain(d.policies_changed.iter().flat_map(|c| &c.entries_added))
        .map(|e| (e.ident.as_str(), e))
        .collect();
    d.entries_added = new
        .policies
        .iter()
        .flat_map(|p| &p.entries)
        .filter_map(|e| placed.get(e.ident.as_str()).map(|e| (*e).clone()))
        .collect::<Vec<_>>()
        .into();
    let gone: HashSet<&str> = d
        .policies_removed
        .iter()
        .flat_map(|p| &p.entries)
        .chain(d.policies_changed.iter().flat_map(|c| &c.entries_removed))
        .map(|e| e.ident.as_str())
        .collect();
    d.entries_removed = old
        .policies
        .iter()
        .flat_map(|p| &p.entries)
        .filter(|e| gone.contains(e.ident.as_str()))
        .cloned()
        .collect::<Vec<_>>()
        .into();
}

/// Access-list lines to delete and insert (Cisco ASA).
fn acl(d: &mut Delta, old: &Plan, new: &Plan) {
    let (old_lines, new_lines) = (acl_lines(old), acl_lines(new));
    let old_keys: HashSet<&String> = old_lines.iter().map(|(k, _)| k).collect();
    let new_keys: HashSet<&String> = new_lines.iter().map(|(k, _)| k).collect();
    d.acl_removed = old_lines
        .iter()
        .filter(|(k, _)| !new_keys.contains(k))
        .map(|(_, l)| l.clone())
        .collect();
    d.acl_added = new_lines
        .iter()
        .filter(|(k, _)| !old_keys.contains(k))
        .map(|(_, l)| l.clone())
        .collect();
}

fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let set: HashSet<&String> = b.iter().collect();
    a.iter().filter(|x| !set.contains(x)).cloned().collect()
}

/// True when two versions of a policy differ only in their groups.
fn same_shape(a: &Policy, b: &Policy) -> bool {
    a.direction == b.direction
        && a.action == b.action
        && a.protocol == b.protocol
        && a.service == b.service
        && a.interface == b.interface
        && a.local == b.local
        && a.local_v4 == b.local_v4
        && a.local_v6 == b.local_v6
}

/// Every access-list line of a plan with a key that is equal exactly when the
/// written line is: by direction, then line number.
fn acl_lines(plan: &Plan) -> Vec<(String, AclLine)> {
    let mut out = Vec::new();
    for inbound in [false, true] {
        for p in plan.policies.iter().filter(|p| p.inbound == inbound) {
            out.push((
                format!("{inbound} remark {}", p.note),
                AclLine {
                    inbound,
                    line: p.line,
                    remark: Some(p.note.clone()),
                    entry: None,
                },
            ));
            for e in &p.entries {
                let mut bare = e.clone();
                bare.line = 0;
                bare.units = 0;
                bare.elements = 0;
                bare.note = String::new();
                let key = format!(
                    "{inbound} entry {}",
                    serde_json::to_string(&bare).unwrap_or_default()
                );
                out.push((
                    key,
                    AclLine {
                        inbound,
                        line: e.line,
                        remark: None,
                        entry: Some(e.clone()),
                    },
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::names::hashed_policy_id;
    use super::super::plan::Entries;
    use super::*;

    fn policy(ident: &str, groups: &[&str]) -> Policy {
        Policy {
            ident: ident.into(),
            name: ident.into(),
            id: hashed_policy_id(ident, "outbound"),
            direction: "outbound",
            inbound: false,
            action: "allow",
            permit: true,
            protocol: "tcp",
            service: Some("tagwall-tcp-443".into()),
            note: format!("{ident} outbound"),
            interface: None,
            local: false,
            local_v4: vec![],
            local_v6: vec![],
            v4: groups.iter().map(|g| g.to_string()).collect(),
            v6: vec![],
            remote: groups.iter().map(|g| g.to_string()).collect(),
            local_prefixes: vec![],
            entries: Entries::default(),
            line: 0,
            place: None,
        }
    }

    fn junos() -> &'static Target {
        crate::render::TARGETS
            .iter()
            .find(|t| t.name == "junos")
            .unwrap()
    }

    #[test]
    fn a_new_policy_is_added_and_a_changed_one_changed() {
        let old = Plan {
            policies: vec![policy("A", &["A-v4-1"]), policy("C", &["C-v4-1"])],
            ..Plan::default()
        };
        let new = Plan {
            policies: vec![
                policy("A", &["A-v4-1", "A-v4-2"]),
                policy("B", &["B-v4-1"]),
                policy("C", &["C-v4-1"]),
            ],
            ..Plan::default()
        };
        let d = diff(junos(), &old, &new).unwrap();
        assert_eq!(d.policies_added.len(), 1);
        assert_eq!(d.policies_added[0].ident, "B");
        assert_eq!(d.policies_changed.len(), 1);
        assert_eq!(d.policies_changed[0].remote_added, ["A-v4-2"]);
        assert!(d.policies_removed.is_empty());
        assert!(d.changed);
        let same = diff(junos(), &new, &new).unwrap();
        assert!(!same.changed);
    }

    #[test]
    fn a_policy_that_changes_shape_is_refused() {
        let old = Plan {
            policies: vec![policy("A", &["A-v4-1"])],
            ..Plan::default()
        };
        let mut p = policy("A", &["A-v4-1"]);
        p.action = "deny";
        p.permit = false;
        let new = Plan {
            policies: vec![p],
            ..Plan::default()
        };
        let err = diff(junos(), &old, &new).unwrap_err().to_string();
        assert!(err.contains("apply the full configuration"), "{err}");
    }
}
