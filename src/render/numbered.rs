//! Numbered objects across two releases.
//!
//! A platform whose objects hold a bounded number of prefixes (Azure Firewall
//! IP Groups, AWS managed prefix lists) gets one object per rule, address
//! family and chunk ([`super::chunk`]), named `<rule>-v4-1`, `<rule>-v4-2` ...
//! With a previous release, [`plan`] says what a delta must do to each object:
//! create it, change it (element-wise), or leave it; and which objects of the
//! previous release are no longer produced. Objects are matched by name, the
//! same way the platform finds them, and compared element by element on
//! their prefixes as numbers.
//!
//! The previous objects are built from the previous selection: an object's
//! prefixes are a chunk of its rule's list, and where the previous release
//! cut that list ([`stable_chunks`] of the previous list) is not in the
//! delta.

use super::chunk::stable_chunks;
use super::names::Namer;
use super::{Target, family_lists};
use crate::delta::element_diff;
use crate::error::Result;
use crate::select::Selection;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One object: a chunk of one rule's prefixes of one family.
#[derive(Clone, Debug)]
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
    /// The same prefixes as numbers (address, length), IPv4 addresses
    /// widened: what two objects are compared on.
    elements: Vec<(u128, u8)>,
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
        let numbers: [Vec<(u128, u8)>; 2] =
            [widen(sel.set.v4.prefixes()), widen(sel.set.v6.prefixes())];
        for ((family, short, list), numbers) in family_lists(sel).into_iter().zip(numbers) {
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
                    prefixes: list[range.clone()].to_vec(),
                    elements: numbers[range].to_vec(),
                });
            }
        }
    }
    Ok(out)
}

/// Prefixes as (address, length), the address widened to 128 bits.
fn widen<A: Into<u128>>(prefixes: Vec<(A, u8)>) -> Vec<(u128, u8)> {
    prefixes
        .into_iter()
        .map(|(a, len)| (a.into(), len))
        .collect()
}

impl Object {
    /// Prefixes of this object that `other` does not hold, and of `other`
    /// that this one does not, as text in numeric order.
    fn diff(&self, other: &Object) -> [Vec<String>; 2] {
        if self.family != other.family {
            return [self.prefixes.clone(), other.prefixes.clone()];
        }
        let [added, removed] = element_diff(&other.elements, &self.elements);
        [self.texts(&added), other.texts(&removed)]
    }

    /// The text of some of this object's elements.
    fn texts(&self, elements: &[(u128, u8)]) -> Vec<String> {
        // Both lists are in numeric order: one pass finds every element.
        let mut at = 0;
        let mut out = Vec::with_capacity(elements.len());
        for e in elements {
            while at < self.elements.len() && self.elements[at] != *e {
                at += 1;
            }
            if let Some(text) = self.prefixes.get(at) {
                out.push(text.clone());
            }
        }
        out
    }

    /// The object as a delta that removes it reports it.
    pub fn gone(&self) -> Gone {
        Gone {
            name: self.name.clone(),
            rule: self.rule.clone(),
            count: self.prefixes.len(),
        }
    }
}

/// An object of the previous release that this one no longer produces, as
/// the templates see it.
#[derive(Clone, Debug, Serialize)]
pub struct Gone {
    /// Its name on the platform.
    pub name: String,
    /// The policy rule it belonged to.
    pub rule: String,
    /// How many prefixes it held.
    pub count: usize,
}

/// An object of both releases whose prefixes differ: `T` is the object as
/// a target shows it (its fields are at this level), [`Object`] in a
/// [`Plan`].
#[derive(Clone, Debug, Serialize)]
pub struct Changed<T = Object> {
    /// The object as this release has it.
    #[serde(flatten)]
    pub object: T,
    /// Prefixes to add to the object as the previous release had it.
    pub added: Vec<String>,
    /// Prefixes to remove from it.
    pub removed: Vec<String>,
}

/// What a delta does to the objects of the previous release.
#[derive(Clone, Debug, Default)]
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

/// What a delta does to the objects of the previous release, each shown as
/// the target shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Shown<T> {
    /// Objects that are new in this release.
    pub created: Vec<T>,
    /// Objects of both releases whose prefixes differ.
    pub changed: Vec<Changed<T>>,
    /// Names of the objects of both releases with the same prefixes.
    pub unchanged: Vec<String>,
    /// Objects of the previous release no longer produced: reported for
    /// removal, never emptied.
    pub gone: Vec<Gone>,
}

impl Plan {
    /// The plan as a target shows it: `show` gets each created object, then
    /// each changed one with its `(added, removed)` prefixes, in that order.
    pub fn shown<T>(
        self,
        mut show: impl FnMut(&Object, Option<(&[String], &[String])>) -> T,
    ) -> Shown<T> {
        let created = self.created.iter().map(|o| show(o, None)).collect();
        let changed = self
            .changed
            .into_iter()
            .map(|c| Changed {
                object: show(&c.object, Some((&c.added, &c.removed))),
                added: c.added,
                removed: c.removed,
            })
            .collect();
        Shown {
            created,
            changed,
            unchanged: self.unchanged,
            gone: self.gone.iter().map(Object::gone).collect(),
        }
    }
}

/// Compare the objects of two releases by name.
pub fn plan(old: &[Object], new: &[Object]) -> Plan {
    let by_name: HashMap<&str, &Object> = old.iter().map(|o| (o.name.as_str(), o)).collect();
    let mut plan = Plan::default();
    for object in new {
        match by_name.get(object.name.as_str()) {
            None => plan.created.push(object.clone()),
            Some(before)
                if before.family == object.family && before.elements == object.elements =>
            {
                plan.unchanged.push(object.name.clone());
            }
            Some(before) => {
                let [added, removed] = object.diff(before);
                plan.changed.push(Changed {
                    object: object.clone(),
                    added,
                    removed,
                });
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn object(name: &str, prefixes: &[&str]) -> Object {
        let elements = prefixes
            .iter()
            .map(|p| match crate::prefix::parse_canonical(p) {
                Ok(ipnet::IpNet::V4(n)) => (u128::from(u32::from(n.network())), n.prefix_len()),
                other => panic!("{p}: {other:?}"),
            })
            .collect();
        Object {
            name: name.to_string(),
            rule: "r".to_string(),
            description: String::new(),
            tags: Vec::new(),
            family: "ipv4",
            index: 1,
            prefixes: prefixes.iter().map(ToString::to_string).collect(),
            elements,
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

    #[test]
    fn a_prefix_that_moves_to_the_next_chunk_leaves_one_and_joins_the_other() {
        // The rule's prefixes are the same in both releases; only where the
        // list is cut moved, which no rule delta shows.
        let old = [
            object("a-1", &["10.0.0.0/24", "10.0.1.0/24"]),
            object("a-2", &["10.0.2.0/24"]),
        ];
        let new = [
            object("a-1", &["10.0.0.0/24"]),
            object("a-2", &["10.0.1.0/24", "10.0.2.0/24"]),
        ];
        let p = plan(&old, &new);
        assert!(p.created.is_empty() && p.gone.is_empty() && p.unchanged.is_empty());
        let moves: Vec<_> = p
            .changed
            .iter()
            .map(|c| (c.object.name.as_str(), c.added.clone(), c.removed.clone()))
            .collect();
        assert_eq!(
            moves,
            [
                ("a-1", vec![], vec!["10.0.1.0/24".to_string()]),
                ("a-2", vec!["10.0.1.0/24".to_string()], vec![]),
            ]
        );
    }
}
