//! Guard rails: checks a scheduled run makes before a new release may change
//! any output. Each refusal names its rail, so `--force NAME` can override
//! exactly one of them, and the report says so.
//!
//! An empty rule and a target's limits are refused elsewhere (selection and
//! rendering) and cannot be forced: there is no safe output to force.

use crate::aggregate::AddrInt;
use crate::aggregate::IntervalSet;
use crate::release::{ReleaseName, Succession};
use crate::select::Selection;
use serde::Serialize;
use std::fmt;

/// A guard rail that `--force` may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rail {
    /// More than the allowed share of a rule's addresses would be removed.
    Removal,
    /// The release's changeNumber is lower than the current one's.
    Older,
    /// The release is older than the allowed age.
    Age,
}

impl Rail {
    /// Every rail, in the order they are checked.
    pub const ALL: [Rail; 3] = [Rail::Older, Rail::Age, Rail::Removal];

    /// The name used with `--force`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rail::Removal => "removal",
            Rail::Older => "older",
            Rail::Age => "age",
        }
    }

    /// Parse a `--force` name.
    pub fn parse(name: &str) -> Option<Rail> {
        Rail::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Rail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The rail that refused.
    pub rail: Rail,
    /// What is wrong, with the numbers.
    pub message: String,
}

/// Rules whose addresses would shrink by more than `max_share` (0.0 to 1.0)
/// of what they allowed before, per family.
pub fn removal(before: &Selection<'_>, after: &Selection<'_>, max_share: f64) -> Vec<Refusal> {
    let mut out = Vec::new();
    for old in &before.rules {
        let Some(new) = after.rules.iter().find(|r| r.rule.name == old.rule.name) else {
            continue;
        };
        let families: [(&str, f64, f64); 2] = [
            (
                "IPv4",
                share(&old.set.v4, &new.set.v4),
                old.set.v4.address_count() as f64,
            ),
            (
                "IPv6",
                share(&old.set.v6, &new.set.v6),
                old.set.v6.address_count() as f64,
            ),
        ];
        for (family, removed, total) in families {
            if total > 0.0 && removed > max_share {
                out.push(Refusal {
                    rail: Rail::Removal,
                    message: format!(
                        "rule {:?} would lose {:.1}% of its {family} addresses (more than {:.1}%)",
                        old.rule.name,
                        removed * 100.0,
                        max_share * 100.0
                    ),
                });
            }
        }
    }
    out
}

/// The share of `old`'s addresses that `new` no longer holds.
fn share<A: AddrInt>(old: &IntervalSet<A>, new: &IntervalSet<A>) -> f64 {
    let total = old.address_count();
    if total == 0 {
        return 0.0;
    }
    old.difference(new).address_count() as f64 / total as f64
}

/// A release whose changeNumber went backwards ([`Succession::Older`]).
/// An equal changeNumber passes here: a reissue with other bytes is refused
/// when the state folder admits it.
pub fn older(current: u64, candidate: u64) -> Option<Refusal> {
    (Succession::of(current, candidate) == Succession::Older).then(|| Refusal {
        rail: Rail::Older,
        message: format!(
            "the release's changeNumber {candidate} is lower than the current {current}"
        ),
    })
}

/// A release older than `max_days`, judged by the date in Microsoft's file
/// name (`ServiceTags_Public_20250908.json`); `today` is days since 1970-01-01.
pub fn age(release: &ReleaseName, today: i64, max_days: u32) -> Option<Refusal> {
    let days = today - release.day_number();
    (days > i64::from(max_days)).then(|| Refusal {
        rail: Rail::Age,
        message: format!("{release} is {days} days old (more than {max_days})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ServiceTags;
    use crate::policy::Policy;

    #[test]
    fn age_by_the_date_in_the_name() {
        let name = ReleaseName::parse("ServiceTags_Public_20250908.json").unwrap();
        let day = name.day_number();
        assert!(age(&name, day + 30, 30).is_none());
        let refusal = age(&name, day + 31, 30).unwrap();
        assert_eq!(refusal.rail, Rail::Age);
        assert_eq!(
            refusal.message,
            "ServiceTags_Public_20250908.json is 31 days old (more than 30)"
        );
    }

    #[test]
    fn change_numbers_may_not_go_back() {
        assert!(older(370, 370).is_none());
        assert!(older(370, 371).is_none());
        assert_eq!(older(370, 369).unwrap().rail, Rail::Older);
        assert_eq!(Rail::parse("removal"), Some(Rail::Removal));
        assert_eq!(Rail::parse("limits"), None);
    }

    #[test]
    fn removal_share_is_per_rule_and_family() {
        let doc = |prefixes: &str| {
            format!(
                r#"{{"changeNumber": 1, "cloud": "Public", "values": [{{"name": "T", "properties":
                {{"changeNumber": 1, "addressPrefixes": [{prefixes}]}}}}]}}"#
            )
        };
        let before = ServiceTags::parse(
            doc(r#""20.0.0.0/24", "20.0.1.0/24", "2603:1000::/48""#).as_bytes(),
            "a",
        )
        .unwrap();
        let half =
            ServiceTags::parse(doc(r#""20.0.0.0/24", "2603:1000::/48""#).as_bytes(), "b").unwrap();
        let same =
            ServiceTags::parse(doc(r#""20.0.0.0/23", "2603:1000::/48""#).as_bytes(), "c").unwrap();
        let policy = Policy::parse(
            "[[rule]]\nname = \"R\"\ntags = [\"T\"]\npriority = 100\n",
            "p",
        )
        .unwrap();
        let sel = |f| crate::select::select(f, policy.clone(), "p").unwrap();
        let refused = removal(&sel(&before), &sel(&half), 0.10);
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].message.contains("50.0% of its IPv4"),
            "{}",
            refused[0].message
        );
        assert!(removal(&sel(&before), &sel(&half), 0.50).is_empty());
        assert!(
            removal(&sel(&before), &sel(&same), 0.0).is_empty(),
            "re-aggregation removes nothing"
        );
    }
}
