//! Mapping rule and tag names into each platform's name rules.
//!
//! A name is kept as it is where the platform allows it. Otherwise each
//! disallowed character becomes the replacement character, and a name that is
//! too long keeps its head and gains a short hash of the whole original, so
//! the mapping is deterministic and two long names that share a head stay
//! apart. [`Namer`] also refuses two different names that map to one.

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// A platform's rules for object names.
#[derive(Clone, Copy, Debug)]
pub struct NameRules {
    /// Longest name, in characters.
    pub max_len: usize,
    /// Characters allowed anywhere in a name.
    pub allowed: fn(char) -> bool,
    /// Characters allowed first (a name starting otherwise gains `lead`).
    pub first: fn(char) -> bool,
    /// Written before a name whose first character is not allowed first.
    pub lead: &'static str,
    /// Written in place of each disallowed character.
    pub replacement: char,
    /// Joins a name and a suffix such as `v4`.
    pub sep: &'static str,
}

/// Letters, digits, `_`, `.` and `-` (file names, NSG names).
pub fn word_dot_dash(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Letters, digits and `_` (identifiers in Bicep, Terraform, pfSense).
pub fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Letters, digits, `_` and `-`.
pub fn word_dash(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
}

/// ASCII letters and digits.
pub fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// ASCII letters.
pub fn letter(c: char) -> bool {
    c.is_ascii_alphabetic()
}

/// ASCII letters and `_`.
pub fn letter_or_underscore(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// Length of the hash appended to shortened names.
const HASH_LEN: usize = 8;

impl NameRules {
    /// Map `name` (with an optional suffix such as `v4`) into these rules.
    ///
    /// ```
    /// use tagwall::render::names::{NameRules, word, alnum};
    /// let rules = NameRules { max_len: 31, allowed: word, first: alnum, lead: "T", replacement: '_', sep: "_" };
    /// assert_eq!(rules.map("AzureFrontDoor.FirstParty", Some("v4")), "AzureFrontDoor_FirstParty_v4");
    /// let long = rules.map("AzureLoadTestingInstanceManagement", Some("v6"));
    /// assert_eq!(long.len(), 31);
    /// assert!(long.starts_with("AzureLoadTesting") && long.ends_with("_v6"));
    /// ```
    pub fn map(&self, name: &str, suffix: Option<&str>) -> String {
        let mut base: String = name
            .chars()
            .map(|c| {
                if (self.allowed)(c) {
                    c
                } else {
                    self.replacement
                }
            })
            .collect();
        if !base.chars().next().is_some_and(self.first) {
            base.insert_str(0, self.lead);
        }
        let tail = suffix
            .map(|s| format!("{}{s}", self.sep))
            .unwrap_or_default();
        let budget = self.max_len.saturating_sub(tail.chars().count());
        if base.chars().count() > budget {
            let digest = hex::encode(Sha256::digest(name.as_bytes()));
            let hash = &digest[..HASH_LEN];
            let keep = budget.saturating_sub(HASH_LEN + 1);
            let head: String = base.chars().take(keep).collect();
            let joiner = if (self.allowed)('_') {
                '_'
            } else {
                self.replacement
            };
            base = format!("{head}{joiner}{hash}");
            if base.chars().count() > budget {
                base = base.chars().skip(base.chars().count() - budget).collect();
            }
        }
        base.push_str(&tail);
        base
    }
}

/// Maps names for one target and refuses collisions.
pub struct Namer {
    target: &'static str,
    rules: NameRules,
    seen: HashMap<String, String>,
}

impl Namer {
    /// A namer for `target` under `rules`.
    pub fn new(target: &'static str, rules: NameRules) -> Self {
        Namer {
            target,
            rules,
            seen: HashMap::with_capacity(64),
        }
    }

    /// Map `name` + `suffix`; an error if another name already mapped the same.
    pub fn name(&mut self, name: &str, suffix: Option<&str>) -> Result<String> {
        let mapped = self.rules.map(name, suffix);
        self.claim(name, suffix, mapped)
    }

    /// Like [`Namer::name`], for a name already mapped by [`NameRules::map`]
    /// (which can run in parallel; the claims are then made in order).
    pub fn claim(&mut self, name: &str, suffix: Option<&str>, mapped: String) -> Result<String> {
        let full = match suffix {
            Some(s) => format!("{name}{}{s}", self.rules.sep),
            None => name.to_string(),
        };
        match self.seen.entry(mapped) {
            Entry::Occupied(e) if *e.get() != full => Err(Error::Name {
                target: self.target.to_string(),
                message: format!(
                    "{:?} and {full:?} both map to the name {:?}; rename one rule",
                    e.get(),
                    e.key()
                ),
            }),
            Entry::Occupied(e) => Ok(e.key().clone()),
            Entry::Vacant(e) => {
                let mapped = e.key().clone();
                e.insert(full);
                Ok(mapped)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: NameRules = NameRules {
        max_len: 20,
        allowed: word,
        first: letter_or_underscore,
        lead: "_",
        replacement: '_',
        sep: "_",
    };

    #[test]
    fn maps_and_shortens_deterministically() {
        assert_eq!(RULES.map("Storage.EastUS", None), "Storage_EastUS");
        assert_eq!(RULES.map("1Tag", None), "_1Tag");
        assert_eq!(RULES.map("a'b;$(c)\n", None), "a_b___c__");
        let a = RULES.map("VeryLongServiceNameNumberOne", Some("v4"));
        let b = RULES.map("VeryLongServiceNameNumberTwo", Some("v4"));
        assert_ne!(a, b);
        assert_eq!(a.chars().count(), 20);
        assert_eq!(a, RULES.map("VeryLongServiceNameNumberOne", Some("v4")));
        let unicode = RULES.map(&"é".repeat(300), None);
        assert!(unicode.chars().count() <= 20 && unicode.chars().all(word));
    }

    #[test]
    fn collisions_are_refused() {
        let mut namer = Namer::new("test", RULES);
        assert_eq!(namer.name("A.B", None).unwrap(), "A_B");
        assert_eq!(namer.name("A.B", None).unwrap(), "A_B");
        let err = namer.name("A-B", None).unwrap_err().to_string();
        assert!(
            err.contains("\"A.B\" and \"A-B\" both map to the name \"A_B\""),
            "{err}"
        );
    }
}
