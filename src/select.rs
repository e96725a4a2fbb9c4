//! Selection: resolve each policy rule to the tags it names and the exact,
//! aggregated address set it allows.
//!
//! This is also where the address guard rails live: a selected tag holding
//! reserved or overly broad space is refused (unless the policy allows that
//! category), and a rule whose tags exist but hold no address is refused,
//! since an emptied allow set cuts production and an emptied deny set opens it.

use crate::aggregate::AddressSet;
use crate::error::{Error, Result};
use crate::model::{ServiceTags, Tag};
use crate::policy::{Direction, FamilyFilter, Policy, Reserved, Rule};
use ipnet::IpNet;
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};
use wildmatch::WildMatch;

/// A rule resolved against one Service Tags file.
#[derive(Clone, Debug)]
pub struct SelectedRule<'a> {
    /// The policy rule.
    pub rule: Rule,
    /// The tags it matched, in file order, each once.
    pub tags: Vec<&'a Tag>,
    /// The aggregated union of the tags' prefixes, filtered by family.
    pub set: AddressSet,
}

impl SelectedRule<'_> {
    /// Minimal IPv4 prefixes (empty when the rule is IPv6 only).
    pub fn v4(&self) -> Vec<ipnet::Ipv4Net> {
        self.set.v4_prefixes()
    }
    /// Minimal IPv6 prefixes (empty when the rule is IPv4 only).
    pub fn v6(&self) -> Vec<ipnet::Ipv6Net> {
        self.set.v6_prefixes()
    }
}

/// The whole policy resolved against one file.
#[derive(Clone, Debug)]
pub struct Selection<'a> {
    /// The file the rules were resolved against.
    pub file: &'a ServiceTags,
    /// The policy that was applied.
    pub policy: Policy,
    /// Resolved rules, in policy order.
    pub rules: Vec<SelectedRule<'a>>,
    /// Things the user should know (missing tags that the policy allows).
    pub warnings: Vec<String>,
}

/// How strictly a rule's address families are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Families {
    /// Every family the rule takes must hold an address: an empty half is
    /// the empty-set rail, as an empty rule is (what is written).
    Each,
    /// Only a rule with no address at all is refused (a release compared
    /// against, a lookup).
    Any,
}

/// Resolve every rule of `policy` against `file`, for writing: every family
/// a rule takes must hold an address ([`Families::Each`]). The selection
/// keeps the policy (with `--all-tags` it has a rule per tag: moved, not
/// copied).
pub fn select<'a>(
    file: &'a ServiceTags,
    policy: Policy,
    policy_name: &str,
) -> Result<Selection<'a>> {
    select_with(file, policy, policy_name, Families::Each)
}

/// [`select`], checking the families as `families` says.
pub fn select_with<'a>(
    file: &'a ServiceTags,
    policy: Policy,
    policy_name: &str,
    families: Families,
) -> Result<Selection<'a>> {
    let index: HashMap<&str, usize> = file
        .tags
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    let resolved: Vec<Result<RuleOutcome<'a>>> = policy
        .rules
        .par_iter()
        .map(|rule| select_rule(file, &index, &policy, policy_name, rule, families))
        .collect();
    let mut rules = Vec::with_capacity(resolved.len());
    let mut warnings = Vec::new();
    for r in resolved {
        let (rule, mut w) = r?;
        rules.extend(rule);
        warnings.append(&mut w);
    }
    // Every tag a rule would take was checked above: the unusable tags
    // left are ones no rule selects.
    for bad in &file.unusable {
        warnings.push(format!(
            "{}: no rule selects it, so it is left out",
            bad.error(&file.source)
        ));
    }
    if rules.is_empty() {
        return Err(Error::Policy {
            file: policy_name.to_string(),
            message: format!("no rule matches any tag of {}", file.source),
        });
    }
    Ok(Selection {
        file,
        policy,
        rules,
        warnings,
    })
}

/// Resolve `policy` against an older release, where a tag the policy names
/// may not have existed yet: that is not an error, the rule is simply left
/// out (its prefixes all count as added later).
pub fn select_older<'a>(
    file: &'a ServiceTags,
    mut policy: Policy,
    policy_name: &str,
) -> Result<Selection<'a>> {
    policy.options.allow_missing_tags = true;
    select_with(file, policy, policy_name, Families::Any)
}

/// A policy with one rule per tag of the file (the whole file as an export).
pub fn all_tags_policy(file: &ServiceTags, base: &Policy) -> Policy {
    let template = base.rules.first().cloned();
    let mut rules: Vec<Rule> = file
        .tags
        .iter()
        .enumerate()
        .map(|(i, tag)| {
            let mut rule = template
                .clone()
                .unwrap_or_else(|| Policy::builtin().rules[0].clone());
            rule.name = tag.name.clone();
            rule.description = None;
            rule.tags = vec![tag.name.clone()];
            rule.regions = Vec::new();
            rule.direction = Direction::Outbound;
            rule.priority = u16::try_from(100 + i).unwrap_or(u16::MAX);
            // A tag of one family is exported as such, not refused for the
            // other's emptiness.
            if rule.family == FamilyFilter::Both {
                let v4 = tag.prefixes.iter().any(|p| matches!(p, IpNet::V4(_)));
                let v6 = tag.prefixes.iter().any(|p| matches!(p, IpNet::V6(_)));
                rule.family = match (v4, v6) {
                    (true, false) => FamilyFilter::Ipv4,
                    (false, true) => FamilyFilter::Ipv6,
                    _ => FamilyFilter::Both,
                };
            }
            rule
        })
        .collect();
    // An export of every tag takes those with a malformed prefix too, and
    // is refused for them.
    if let (Some(first), Some(bad)) = (rules.first().cloned(), file.unusable.first()) {
        rules.push(Rule {
            name: bad.tag.clone(),
            tags: vec![bad.tag.clone()],
            ..first
        });
    }
    Policy {
        options: base.options.clone(),
        rules,
        targets: base.targets.clone(),
        run: base.run.clone(),
    }
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// A tag-name pattern matched as everywhere in tagwall: `*` and `?`
/// wildcards, letters in any case (`storage.west*` finds
/// `Storage.WestEurope`).
pub fn glob(pattern: &str) -> impl Fn(&str) -> bool + use<> {
    let glob = WildMatch::new(&pattern.to_ascii_lowercase());
    move |name: &str| glob.matches(&name.to_ascii_lowercase())
}

/// A resolved rule (`None` when the policy lets it be left out), with warnings.
type RuleOutcome<'a> = (Option<SelectedRule<'a>>, Vec<String>);

fn select_rule<'a>(
    file: &'a ServiceTags,
    index: &HashMap<&str, usize>,
    policy: &Policy,
    policy_name: &str,
    rule: &Rule,
    families: Families,
) -> Result<RuleOutcome<'a>> {
    let mut warnings = Vec::new();
    let mut chosen: BTreeSet<usize> = BTreeSet::new();
    for pattern in &rule.tags {
        // A tag the rule would take that holds a malformed prefix refuses
        // the rule, naming the prefix.
        let matches = glob(pattern);
        if let Some(bad) = file.unusable.iter().find(|u| match is_glob(pattern) {
            true => matches(&u.tag),
            false => u.tag == *pattern,
        }) {
            return Err(bad.error(&file.source));
        }
        let before = chosen.len();
        let mut matched_any = false;
        if is_glob(pattern) {
            for (i, tag) in file.tags.iter().enumerate() {
                if matches(&tag.name) {
                    matched_any = true;
                    if region_ok(rule, tag) {
                        chosen.insert(i);
                    }
                }
            }
        } else if let Some(&i) = index.get(pattern.as_str()) {
            matched_any = true;
            if region_ok(rule, &file.tags[i]) {
                chosen.insert(i);
            }
        }
        if !matched_any {
            let err = Error::UnknownTag {
                file: file.source.clone(),
                rule: rule.name.clone(),
                pattern: pattern.clone(),
                suggestion: suggest(file, pattern),
            };
            if policy.options.allow_missing_tags {
                warnings.push(format!(
                    "{}: no tag {pattern:?} (rule {:?}); left out",
                    file.source, rule.name
                ));
            } else {
                return Err(err);
            }
        } else if chosen.len() == before && !rule.regions.is_empty() {
            warnings.push(format!(
                "rule {:?}: {pattern:?} matches no tag in regions {:?}",
                rule.name, rule.regions
            ));
        }
    }
    if chosen.is_empty() {
        if policy.options.allow_missing_tags && rule.regions.is_empty() {
            warnings.push(format!(
                "rule {:?} is left out: none of its tags is in {}",
                rule.name, file.source
            ));
            return Ok((None, warnings));
        }
        return Err(Error::Policy {
            file: policy_name.to_string(),
            message: format!(
                "rule {:?}: no tag of {} matches its tags {:?} and regions {:?}",
                rule.name, file.source, rule.tags, rule.regions
            ),
        });
    }
    let tags: Vec<&Tag> = chosen.into_iter().map(|i| &file.tags[i]).collect();
    let family = rule.family;
    let wanted = |n: &&IpNet| match n {
        IpNet::V4(_) => family.v4(),
        IpNet::V6(_) => family.v6(),
    };
    for tag in &tags {
        for net in tag.prefixes.iter().filter(wanted) {
            if let Some(category) = reserved_category(net)
                && !policy.options.allow_reserved.contains(&category)
            {
                return Err(Error::Reserved {
                    file: file.source.clone(),
                    tag: tag.name.clone(),
                    prefix: net.to_string(),
                    category: category.as_str(),
                });
            }
        }
    }
    let set = AddressSet::from_prefixes(tags.iter().flat_map(|t| t.prefixes.iter()).filter(wanted));
    let each = families == Families::Each;
    let (empty_family, hint) = match family {
        FamilyFilter::Ipv4 if set.v4.is_empty() => (Some("IPv4"), ""),
        FamilyFilter::Ipv6 if set.v6.is_empty() => (Some("IPv6"), ""),
        FamilyFilter::Both if set.is_empty() => (Some("IPv4 or IPv6"), ""),
        FamilyFilter::Both if each && set.v6.is_empty() => (
            Some("IPv6"),
            "; the rule takes both families: for IPv4 only, say family = \"ipv4\"",
        ),
        FamilyFilter::Both if each && set.v4.is_empty() => (
            Some("IPv4"),
            "; the rule takes both families: for IPv6 only, say family = \"ipv6\"",
        ),
        _ => (None, ""),
    };
    if let Some(family) = empty_family {
        return Err(Error::EmptyRule {
            rule: rule.name.clone(),
            family: family.to_string(),
            hint: hint.to_string(),
        });
    }
    Ok((
        Some(SelectedRule {
            rule: rule.clone(),
            tags,
            set,
        }),
        warnings,
    ))
}

fn region_ok(rule: &Rule, tag: &Tag) -> bool {
    rule.regions.is_empty()
        || rule
            .regions
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&tag.region))
}

/// A "did you mean" hint for a pattern that matched nothing ("" when none fits).
pub fn suggest(file: &ServiceTags, pattern: &str) -> String {
    let lower = pattern.to_ascii_lowercase();
    if is_glob(pattern) {
        // Globs ignore case already: nothing near enough to suggest.
        return String::new();
    }
    let best = file
        .tags
        .iter()
        .map(|t| {
            (
                strsim::jaro_winkler(&lower, &t.name.to_ascii_lowercase()),
                t,
            )
        })
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.name.cmp(&a.1.name)));
    match best {
        Some((score, tag)) if score >= 0.85 => format!("; did you mean {:?}?", tag.name),
        _ => String::new(),
    }
}

/// Address space a Service Tags file should never carry, by category.
const RESERVED: &[(Reserved, &str)] = &[
    (Reserved::Unspecified, "0.0.0.0/8"),
    (Reserved::Private, "10.0.0.0/8"),
    (Reserved::Private, "100.64.0.0/10"),
    (Reserved::Loopback, "127.0.0.0/8"),
    (Reserved::LinkLocal, "169.254.0.0/16"),
    (Reserved::Private, "172.16.0.0/12"),
    (Reserved::Private, "192.168.0.0/16"),
    (Reserved::Multicast, "224.0.0.0/4"),
    (Reserved::Reserved, "240.0.0.0/4"),
    (Reserved::Unspecified, "::/128"),
    (Reserved::Loopback, "::1/128"),
    (Reserved::Ipv4Mapped, "::ffff:0:0/96"),
    (Reserved::Private, "fc00::/7"),
    (Reserved::LinkLocal, "fe80::/10"),
    (Reserved::Multicast, "ff00::/8"),
];

/// [`RESERVED`], parsed once.
static RESERVED_NETS: std::sync::LazyLock<Vec<(Reserved, bool, u128, u128)>> =
    std::sync::LazyLock::new(|| {
        RESERVED
            .iter()
            .filter_map(|(c, text)| match text.parse::<IpNet>().ok()? {
                IpNet::V4(n) => {
                    let (s, e) = crate::aggregate::v4_range(&n);
                    Some((*c, true, u128::from(s), u128::from(e)))
                }
                IpNet::V6(n) => {
                    let (s, e) = crate::aggregate::v6_range(&n);
                    Some((*c, false, s, e))
                }
            })
            .collect()
    });

/// The category of reserved or overly broad space `net` touches, if any.
///
/// ```
/// use tagwall::select::reserved_category;
/// use tagwall::policy::Reserved;
/// assert_eq!(reserved_category(&"0.0.0.0/0".parse().unwrap()), Some(Reserved::DefaultRoute));
/// assert_eq!(reserved_category(&"10.1.0.0/16".parse().unwrap()), Some(Reserved::Private));
/// assert_eq!(reserved_category(&"8.0.0.0/7".parse().unwrap()), Some(Reserved::Broad));
/// assert_eq!(reserved_category(&"13.107.3.0/24".parse().unwrap()), None);
/// ```
pub fn reserved_category(net: &IpNet) -> Option<Reserved> {
    if net.prefix_len() == 0 {
        return Some(Reserved::DefaultRoute);
    }
    // Two CIDR blocks meet only if one holds the other: compare as integer ranges.
    let (start, end) = match net {
        IpNet::V4(n) => {
            let (s, e) = crate::aggregate::v4_range(n);
            (u128::from(s), u128::from(e))
        }
        IpNet::V6(n) => crate::aggregate::v6_range(n),
    };
    let v4 = matches!(net, IpNet::V4(_));
    for (category, is_v4, r_start, r_end) in RESERVED_NETS.iter() {
        if *is_v4 == v4 && start <= *r_end && *r_start <= end {
            return Some(*category);
        }
    }
    let broad = match net {
        IpNet::V4(n) => n.prefix_len() < 8,
        IpNet::V6(n) => n.prefix_len() < 12,
    };
    broad.then_some(Reserved::Broad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reserved_range_parses() {
        assert_eq!(RESERVED_NETS.len(), RESERVED.len());
        for (category, text) in [
            (Reserved::Ipv4Mapped, "::ffff:10.0.0.0/104"),
            (Reserved::Multicast, "239.1.0.0/16"),
            (Reserved::Loopback, "::1/128"),
            (Reserved::LinkLocal, "fe80::/64"),
            (Reserved::Broad, "2000::/3"),
            (Reserved::DefaultRoute, "::/0"),
        ] {
            assert_eq!(
                reserved_category(&text.parse().unwrap()),
                Some(category),
                "{text}"
            );
        }
        assert_eq!(reserved_category(&"2603:1000::/25".parse().unwrap()), None);
    }
}
