//! Guard rails: checks a scheduled run makes before a new release may change
//! any output. Each refusal names its rail, so `--force NAME` can override
//! exactly one of them, and the report says so.
//!
//! An empty rule and a target's limits are refused elsewhere (selection and
//! rendering) and cannot be forced: there is no safe output to force.

use crate::delta::Delta;
pub use crate::error::{Rail, Refusal};
use crate::release::{ReleaseName, Succession};

/// Rules whose addresses would shrink by more than `max_share` (0.0 to 1.0)
/// of what they allowed before, per family. Rules that are new or gone are
/// not judged here (a gone rule is the policy's doing, not the release's).
pub fn removal(delta: &Delta, max_share: f64) -> Vec<Refusal> {
    let mut out = Vec::new();
    for rule in delta.rules.iter().filter(|r| r.existed) {
        let removed = [
            rule.removed.v4.address_count(),
            rule.removed.v6.address_count(),
        ];
        for ((family, change), gone) in ["IPv4", "IPv6"]
            .into_iter()
            .zip(&rule.families)
            .zip(removed)
        {
            let total = change.addresses_before;
            if total == 0 {
                continue;
            }
            let removed = gone as f64 / total as f64;
            if removed > max_share {
                out.push(Refusal {
                    rail: Rail::Removal,
                    message: format!(
                        "rule {:?} would lose {:.1}% of its {family} addresses (more than {:.1}%)",
                        rule.name,
                        removed * 100.0,
                        max_share * 100.0
                    ),
                });
            }
        }
    }
    out
}

/// A release that is not newer than the current one: its changeNumber
/// went backwards, or it is the current changeNumber with other bytes
/// (`same_bytes` false), which the state folder would refuse to keep after
/// the outputs were written.
pub fn older(current: u64, candidate: u64, same_bytes: bool) -> Option<Refusal> {
    let message = match Succession::of(current, candidate) {
        Succession::Older => {
            format!("the release's changeNumber {candidate} is lower than the current {current}")
        }
        Succession::Same if !same_bytes => format!(
            "the release has the current changeNumber {current} but other bytes; \
             a republished release is not a newer one"
        ),
        Succession::Same | Succession::Newer => return None,
    };
    Some(Refusal {
        rail: Rail::Older,
        message,
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
        assert!(older(370, 370, true).is_none());
        assert!(older(370, 371, false).is_none());
        assert_eq!(older(370, 369, false).unwrap().rail, Rail::Older);
        let republished = older(370, 370, false).unwrap();
        assert_eq!(republished.rail, Rail::Older);
        assert!(
            republished.message.contains("other bytes"),
            "{republished:?}"
        );
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
        let refused = removal(&Delta::new(&sel(&before), &sel(&half)), 0.10);
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].message.contains("50.0% of its IPv4"),
            "{}",
            refused[0].message
        );
        assert!(removal(&Delta::new(&sel(&before), &sel(&half)), 0.50).is_empty());
        assert!(
            removal(&Delta::new(&sel(&before), &sel(&same)), 0.0).is_empty(),
            "re-aggregation removes nothing"
        );
    }
}
