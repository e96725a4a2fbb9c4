//! Numbered objects across two releases.
//!
//! A platform whose objects hold a bounded number of prefixes (Azure Firewall
//! IP Groups, AWS managed prefix lists) gets one object per rule, address
//! family and chunk ([`super::chunk`]), named `<rule>-v4-1`, `<rule>-v4-2` ...
//! With a previous release, [`plan`] says what a delta must do to each object:
//! create it, change it (element-wise), or leave it; and which objects of the
//! previous release are no longer produced. Objects are matched by name, the
//! same way the platform finds them.

use super::chunk::stable_chunks;
use super::names::Namer;
use super::{Target, family_lists};
use crate::error::Result;
use crate::select::Selection;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One object: a chunk of one rule's prefixes of one family.
#[derive(Clone, Debug, Serialize)]
pub struct Object {
    /// The object's name on the platform.
    pub name: String,
    /// The policy rule it belongs to.
    pub rule: String,
    /// The rule's description, or its tag names.
    pub description: String,
    /// The names of the rule's tags.
    pub tags: Vec<String>,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// Number of the chunk, from 1.
    pub index: usize,
    /// The prefixes, in numeric order.
    pub prefixes: Vec<String>,
}

/// Every object of `selection` for `target`, of the families named in
/// `families` (`ipv4`, `ipv6`), in rule order, IPv4 before IPv6.
///
/// Names come from the target's name rules, as `generic_context` names its
/// chunks: the rule name, the family's short name and the chunk number.
pub fn objects(
    selection: &Selection<'_>,
    target: &Target,
    families: &[&str],
) -> Result<Vec<Object>> {
    let mut namer = Namer::new(target.name, target.names);
    let mut out = Vec::new();
    for sel in &selection.rules {
        let tags: Vec<String> = sel.tags.iter().map(|t| t.name.clone()).collect();
        let description = sel
            .rule
            .description
            .clone()
            .unwrap_or_else(|| tags.join(", "));
        for (family, short, list) in family_lists(sel) {
            if list.is_empty() || !families.contains(&family) {
                continue;
            }
            let ranges = match target.chunk_size {
                Some(max) => stable_chunks(&list, max),
                None => std::iter::once(0..list.len()).collect(),
            };
            for (n, range) in ranges.into_iter().enumerate() {
                let index = n + 1;
                let suffix = format!("{short}{}{index}", target.names.sep);
                out.push(Object {
                    name: namer.name(&sel.rule.name, Some(&suffix))?,
                    rule: sel.rule.name.clone(),
                    description: description.clone(),
                    tags: tags.clone(),
                    family,
                    index,
                    prefixes: list[range].to_vec(),
                });
            }
        }
    }
    Ok(out)
}

/// An object of both releases whose prefixes differ.
#[derive(Clone, Debug, Serialize)]
pub struct Changed {
    /// The object as this release has it.
    pub object: Object,
    /// Prefixes to add to the object as the previous release had it.
    pub added: Vec<String>,
    /// Prefixes to remove from it.
    pub removed: Vec<String>,
}

/// What a delta does to the objects of the previous release.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    /// Objects that are new in this release.
    pub created: Vec<Object>,
    /// Objects of both releases whose prefixes differ.
    pub changed: Vec<Changed>,
    /// Names of objects of both releases with the same prefixes.
    pub unchanged: Vec<String>,
    /// Objects of the previous release this release no longer produces (as
    /// the previous release had them).
    pub gone: Vec<Object>,
}

/// Compare the objects of two releases by name.
pub fn plan(old: &[Object], new: &[Object]) -> Plan {
    let by_name: HashMap<&str, &Object> = old.iter().map(|o| (o.name.as_str(), o)).collect();
    let mut plan = Plan::default();
    for object in new {
        match by_name.get(object.name.as_str()) {
            None => plan.created.push(object.clone()),
            Some(before) if before.prefixes == object.prefixes => {
                plan.unchanged.push(object.name.clone());
            }
            Some(before) => plan.changed.push(Changed {
                object: object.clone(),
                added: minus(&object.prefixes, &before.prefixes),
                removed: minus(&before.prefixes, &object.prefixes),
            }),
        }
    }
    let names: HashSet<&str> = new.iter().map(|o| o.name.as_str()).collect();
    plan.gone = old
        .iter()
        .filter(|o| !names.contains(o.name.as_str()))
        .cloned()
        .collect();
    plan
}

/// Elements of `a` that are not in `b`, in the order of `a`.
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let set: HashSet<&String> = b.iter().collect();
    a.iter().filter(|x| !set.contains(x)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(name: &str, prefixes: &[&str]) -> Object {
        Object {
            name: name.to_string(),
            rule: "r".to_string(),
            description: String::new(),
            tags: Vec::new(),
            family: "ipv4",
            index: 1,
            prefixes: prefixes.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn plans_element_wise_by_name() {
        let old = [
            object("a", &["10.0.0.0/24", "10.0.1.0/24"]),
            object("b", &["10.1.0.0/24"]),
            object("gone", &["10.2.0.0/24"]),
        ];
        let new = [
            object("a", &["10.0.1.0/24", "10.0.2.0/24"]),
            object("b", &["10.1.0.0/24"]),
            object("new", &["10.3.0.0/24"]),
        ];
        let p = plan(&old, &new);
        assert_eq!(p.created.len(), 1);
        assert_eq!(p.created[0].name, "new");
        assert_eq!(p.unchanged, ["b"]);
        assert_eq!(p.changed.len(), 1);
        assert_eq!(p.changed[0].added, ["10.0.2.0/24"]);
        assert_eq!(p.changed[0].removed, ["10.0.0.0/24"]);
        assert_eq!(p.gone.len(), 1);
        assert_eq!(p.gone[0].name, "gone");
    }
}
