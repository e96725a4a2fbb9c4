//! What the plan's objects are called: names through the row's rules, each
//! claimed once; comments cut to the row's length; FortiOS policy ids.

use super::plan::Policy;
use crate::error::{Error, Result};
use crate::render::Target;
use crate::render::helpers::safe_text;
use crate::render::names::NameRules;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// First FortiOS policy id tagwall uses; ids are `FIRST_POLICY_ID` plus a
/// hash of the rule name and direction, below 4,000,000,000.
pub const FIRST_POLICY_ID: u64 = 1_000_000_000;
const POLICY_ID_SPAN: u64 = 3_000_000_000;

/// Names of one plan: mapped through the row's rules, and refused when two
/// different things map to one name.
pub(super) struct Names {
    target: &'static str,
    rules: NameRules,
    policy_rules: Option<NameRules>,
    seen: HashMap<(bool, String), String>,
}

impl Names {
    pub(super) fn new(target: &Target) -> Names {
        Names {
            target: target.name,
            rules: target.names,
            policy_rules: target.profile.policy_name_len.map(|max_len| NameRules {
                max_len,
                ..target.names
            }),
            seen: HashMap::new(),
        }
    }

    /// The object name of `name` with `suffix`.
    pub(super) fn object(&mut self, name: &str, suffix: Option<&str>) -> Result<String> {
        let mapped = self.rules.map(name, suffix);
        self.claim(false, mapped, name, suffix)
    }

    /// The short policy name, where the row has one (else the object name).
    pub(super) fn policy(&mut self, name: &str, suffix: Option<&str>) -> Result<String> {
        match self.policy_rules {
            Some(rules) => {
                let mapped = rules.map(name, suffix);
                self.claim(true, mapped, name, suffix)
            }
            None => self.object(name, suffix),
        }
    }

    fn claim(
        &mut self,
        space: bool,
        mapped: String,
        name: &str,
        suffix: Option<&str>,
    ) -> Result<String> {
        let key = format!("{name:?} {suffix:?}");
        match self.seen.get(&(space, mapped.clone())) {
            Some(prev) if *prev != key => Err(Error::Name {
                target: self.target.to_string(),
                message: format!(
                    "{prev} and {key} both map to the name {mapped:?}; rename one rule"
                ),
            }),
            _ => {
                self.seen.insert((space, mapped.clone()), key);
                Ok(mapped)
            }
        }
    }
}

/// Shortened free text for a comment: [`safe_text`], at most `max` characters.
pub(super) fn note(text: &str, max: usize) -> String {
    let s = safe_text(text);
    if s.chars().count() <= max {
        return s;
    }
    let mut cut: String = s.chars().take(max.saturating_sub(3)).collect();
    cut.push_str("...");
    cut
}

/// The FortiOS policy id of a rule and direction before collisions are resolved.
pub(super) fn hashed_policy_id(rule: &str, direction: &str) -> u64 {
    let d = Sha256::digest(format!("{rule}\u{0}{direction}").as_bytes());
    let n = u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    FIRST_POLICY_ID + n % POLICY_ID_SPAN
}

/// Give every policy a distinct id: its hash, or the next free one after it
/// when another policy (earlier by rule name) holds it.
pub(super) fn resolve_policy_ids(policies: &mut [Policy]) {
    let mut order: Vec<usize> = (0..policies.len()).collect();
    order.sort_by(|&a, &b| {
        (policies[a].id, &policies[a].ident).cmp(&(policies[b].id, &policies[b].ident))
    });
    let mut taken = HashSet::new();
    for i in order {
        let mut id = policies[i].id;
        while !taken.insert(id) {
            id = FIRST_POLICY_ID + (id - FIRST_POLICY_ID + 1) % POLICY_ID_SPAN;
        }
        policies[i].id = id;
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::Entries;
    use super::*;

    #[test]
    fn notes_are_safe_and_short() {
        assert_eq!(note("a\"b; $(c)", 100), "a_b_ _(c)");
        let long = note(&"x".repeat(300), 20);
        assert_eq!(long.chars().count(), 20);
        assert!(long.ends_with("..."));
    }

    #[test]
    fn policy_ids_are_stable_and_distinct() {
        let a = hashed_policy_id("AllowAADOutboundAccess", "outbound");
        assert_eq!(a, hashed_policy_id("AllowAADOutboundAccess", "outbound"));
        assert_ne!(a, hashed_policy_id("AllowAADOutboundAccess", "inbound"));
        assert!((FIRST_POLICY_ID..FIRST_POLICY_ID + POLICY_ID_SPAN).contains(&a));
        let p = |ident: &str, id: u64| Policy {
            ident: ident.into(),
            name: ident.into(),
            id,
            direction: "outbound",
            inbound: false,
            action: "allow",
            permit: true,
            protocol: "tcp",
            service: None,
            note: String::new(),
            interface: None,
            local: false,
            local_v4: vec![],
            local_v6: vec![],
            v4: vec![],
            v6: vec![],
            remote: vec![],
            local_prefixes: vec![],
            entries: Entries::default(),
            line: 0,
            place: None,
        };
        let top = FIRST_POLICY_ID + POLICY_ID_SPAN - 1;
        let mut ps = vec![p("b", top), p("a", top), p("c", 5 + FIRST_POLICY_ID)];
        resolve_policy_ids(&mut ps);
        assert_eq!(ps[1].id, top);
        assert_eq!(ps[0].id, FIRST_POLICY_ID);
        assert_eq!(ps[2].id, 5 + FIRST_POLICY_ID);
    }
}
