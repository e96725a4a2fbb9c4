//! Windows Defender Firewall, as a PowerShell script for Windows servers
//! (Azure Arc-enabled or not).
//!
//! In mode `dynamic-keywords` (the default) each rule and address family
//! gets one dynamic keyword address holding its prefixes, and each rule,
//! direction and family one firewall rule that names the keyword. In mode
//! `remote-address` (Windows without dynamic keywords) the firewall rules hold
//! the prefixes themselves, at most [`MAX_REMOTE_ADDRESSES`] a rule, in
//! numbered parts. Every object has a stable GUID made from the group, the
//! rule's name and what the object is ([`guid`]), so the script can find what
//! it made before and update it in place; the script removes the rules of
//! its group (and the keywords that start with the group's name and `|`)
//! that the policy no longer has, and nothing else.

use super::{Job, PlanHead, Target, context_value};
use crate::error::{Error, Result};
use crate::policy::{Action, Direction, Protocol, WindowsMode};
use crate::select::{SelectedRule, Selection};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Most remote addresses tagwall puts in one firewall rule (mode
/// `remote-address`). Microsoft documents no limit; rules with more than
/// 1,000 remote addresses are reported to fail on some Windows versions, so
/// longer lists are split into several rules.
pub const MAX_REMOTE_ADDRESSES: usize = 1000;
/// Longest rule description tagwall writes (its choice: Windows documents
/// no limit).
pub const MAX_DESCRIPTION: usize = 1024;

/// The context of the `windows-firewall` templates.
#[derive(Debug, Serialize)]
pub struct WindowsFirewallContext<'a> {
    /// `tool`, `source`, `previous`; `rules` and `removed_rules` are empty.
    #[serde(flatten)]
    pub head: PlanHead<'a>,
    /// `dynamic-keywords` or `remote-address`.
    pub mode: &'static str,
    /// True in mode `dynamic-keywords`.
    pub dynamic: bool,
    /// The firewall rule group of every rule (`[targets.windows-firewall] group`).
    pub group: String,
    /// What every keyword of tagwall's starts with: the group and `|` (a
    /// group holds no `|`, so no other group's keywords start so).
    pub keyword_prefix: String,
    /// `-Profile` of every rule: `Domain`, `Private`, `Public` or `Any`.
    pub profile: &'static str,
    /// Most remote addresses in one rule (mode `remote-address`).
    pub addresses_per_rule: usize,
    /// The dynamic keyword addresses, in rule order, IPv4 first (empty in
    /// mode `remote-address`).
    pub keywords: Vec<Keyword>,
    /// The firewall rules, in rule order: per direction (outbound first),
    /// per family, per part.
    pub firewall_rules: Vec<FirewallRule>,
    /// The `name` of every firewall rule: the rules the full script keeps.
    pub rule_names: Vec<String>,
    /// The `id` of every keyword: the keywords the full script keeps.
    pub keyword_ids: Vec<String>,
    /// With a previous release, what the delta script does; null without one.
    pub windows_delta: Option<WindowsDelta>,
}

/// One dynamic keyword address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Keyword {
    /// Its GUID in braces, as the cmdlets want it.
    pub id: String,
    /// Its keyword: `<group>|<rule>|v4`.
    pub keyword: String,
    /// The policy rule.
    pub rule: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// How many prefixes.
    pub count: usize,
    /// The prefixes, in numeric order (`-Addresses` takes them comma-separated).
    pub addresses: Vec<String>,
}

/// One firewall rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FirewallRule {
    /// Its `-Name`: a GUID in braces.
    pub name: String,
    /// Its `-DisplayName`: `<group> <rule> v4 outbound` (and ` 2`, ` 3` ...
    /// for the parts after the first).
    pub display_name: String,
    /// Its `-Description`: the rule's description, or its tag names.
    pub description: String,
    /// The policy rule.
    pub rule: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// `Outbound` or `Inbound`.
    pub direction: &'static str,
    /// `Allow` or `Block`.
    pub action: &'static str,
    /// `TCP`, `UDP`, `ICMPv4`, `ICMPv6` or `Any`.
    pub protocol: &'static str,
    /// `-RemotePort`: the ports, or `Any`.
    pub remote_ports: Vec<String>,
    /// `-LocalAddress`: the rule's local prefixes, or `Any`.
    pub local_addresses: Vec<String>,
    /// The keyword it names (mode `dynamic-keywords`), or null.
    pub keyword_id: Option<String>,
    /// Its remote prefixes (mode `remote-address`; empty in the other).
    pub remote_addresses: Vec<String>,
    /// Part number within its rule, direction and family, from 1.
    pub part: usize,
    /// How many parts the family has.
    pub parts: usize,
    /// How many remote prefixes this rule matches (its keyword's, or its own).
    pub count: usize,
}

impl FirewallRule {
    /// The rule without what only its comment shows (how many prefixes its
    /// keyword holds, how many parts its family has): what the firewall
    /// holds of it.
    fn settings(&self) -> FirewallRule {
        FirewallRule {
            count: 0,
            parts: 0,
            ..self.clone()
        }
    }
}

/// What the delta script does, from the previous release's objects to this
/// one's.
#[derive(Debug, Serialize)]
pub struct WindowsDelta {
    /// Keywords created or whose addresses changed.
    pub keywords: Vec<KeywordChange>,
    /// Firewall rules created or changed.
    pub firewall_rules: Vec<FirewallRule>,
    /// Firewall rules the previous release had and this one has not.
    pub removed_rules: Vec<Gone>,
    /// Keywords the previous release had and this one has not.
    pub removed_keywords: Vec<Gone>,
    /// Keywords and rules that are the same in both.
    pub unchanged: usize,
}

/// A keyword to create or update.
#[derive(Debug, Serialize)]
pub struct KeywordChange {
    /// The keyword as this release has it.
    #[serde(flatten)]
    pub keyword: Keyword,
    /// True when the previous release had no such keyword.
    pub new: bool,
    /// How many prefixes it gains.
    pub added: usize,
    /// How many prefixes it loses.
    pub removed: usize,
}

/// A keyword or rule to remove.
#[derive(Debug, Serialize)]
pub struct Gone {
    /// Its GUID in braces.
    pub id: String,
    /// Its keyword, or its display name.
    pub name: String,
}

/// The context for the `windows-firewall` templates.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let opts = &job.selection.policy.targets.windows_firewall;
    let dynamic = opts.mode == WindowsMode::DynamicKeywords;
    let limit = target
        .profile
        .addresses_per_rule
        .unwrap_or(MAX_REMOTE_ADDRESSES);
    let (keywords, firewall_rules) = objects(job.selection, &opts.group, dynamic, limit)?;
    let windows_delta = match &job.previous {
        None => None,
        Some(prev) => {
            let (old_keywords, old_rules) = objects(prev.selection, &opts.group, dynamic, limit)?;
            Some(delta(&old_keywords, &old_rules, &keywords, &firewall_rules))
        }
    };
    context_value(
        target,
        &WindowsFirewallContext {
            head: PlanHead::of(job),
            mode: opts.mode.as_str(),
            dynamic,
            group: opts.group.clone(),
            keyword_prefix: format!("{}|", opts.group),
            profile: opts.profile.as_str(),
            addresses_per_rule: limit,
            rule_names: firewall_rules.iter().map(|r| r.name.clone()).collect(),
            keyword_ids: keywords.iter().map(|k| k.id.clone()).collect(),
            keywords,
            firewall_rules,
            windows_delta,
        },
    )
}

/// A GUID in braces, the same for the same `parts` on every run: the first
/// 128 bits of SHA-256 over them, marked as an RFC 9562 version 8 (custom)
/// UUID.
///
/// ```
/// use tagwall::render::windows_firewall::guid;
/// let id = guid(&["tagwall", "AllowAADOutboundAccess", "ipv4"]);
/// assert_eq!(id, guid(&["tagwall", "AllowAADOutboundAccess", "ipv4"]));
/// assert_ne!(id, guid(&["tagwall", "AllowAADOutboundAccess", "ipv6"]));
/// assert_eq!((id.len(), &id[15..16], &id[0..1]), (38, "8", "{"));
/// ```
pub fn guid(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    hash.update(b"tagwall windows-firewall");
    for p in parts {
        // A NUL cannot be in any part: the parts cannot run together.
        hash.update([0u8]);
        hash.update(p.as_bytes());
    }
    let digest = hash.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The keywords and firewall rules of `selection`.
fn objects(
    selection: &Selection<'_>,
    group: &str,
    dynamic: bool,
    limit: usize,
) -> Result<(Vec<Keyword>, Vec<FirewallRule>)> {
    let mut keywords = Vec::new();
    let mut rules = Vec::new();
    for sel in &selection.rules {
        let lists = [
            ("ipv4", "v4", sel.set.v4_strings()),
            ("ipv6", "v6", sel.set.v6_strings()),
        ];
        for (family, short, prefixes) in lists {
            if prefixes.is_empty() {
                continue;
            }
            let name = &sel.rule.name;
            let keyword = dynamic.then(|| Keyword {
                id: guid(&[group, name, family]),
                keyword: format!("{group}|{name}|{short}"),
                rule: name.clone(),
                family,
                count: prefixes.len(),
                addresses: prefixes.clone(),
            });
            for &direction in sel.rule.direction.expand() {
                let parts: Vec<Vec<String>> = match &keyword {
                    Some(_) => vec![Vec::new()],
                    None => prefixes
                        .chunks(limit.max(1))
                        .map(<[String]>::to_vec)
                        .collect(),
                };
                let count = parts.len();
                for (i, remote) in parts.into_iter().enumerate() {
                    rules.push(firewall_rule(
                        sel,
                        group,
                        (family, short),
                        direction,
                        keyword.as_ref().map(|k| (k.id.clone(), k.count)),
                        remote,
                        (i + 1, count),
                    )?);
                }
            }
            keywords.extend(keyword);
        }
    }
    Ok((keywords, rules))
}

fn firewall_rule(
    sel: &SelectedRule<'_>,
    group: &str,
    (family, short): (&'static str, &'static str),
    direction: Direction,
    keyword: Option<(String, usize)>,
    remote_addresses: Vec<String>,
    (part, parts): (usize, usize),
) -> Result<FirewallRule> {
    let rule = &sel.rule;
    let (dir_word, dir) = match direction {
        Direction::Outbound => ("outbound", "Outbound"),
        Direction::Inbound => ("inbound", "Inbound"),
        Direction::Both => {
            return Err(Error::Internal {
                what: "windows-firewall".into(),
                message: "a direction was not expanded".into(),
            });
        }
    };
    let part_text = part.to_string();
    let mut id_parts = vec![group, rule.name.as_str(), family, dir_word];
    let mut display_name = format!("{group} {} {short} {dir_word}", rule.name);
    if part > 1 {
        id_parts.push(&part_text);
        display_name.push_str(&format!(" {part}"));
    }
    let description = rule.description.clone().unwrap_or_else(|| {
        let names: Vec<&str> = sel.tags.iter().map(|t| t.name.as_str()).collect();
        names.join(", ")
    });
    let v6 = family == "ipv6";
    let local: Vec<String> = rule
        .local
        .prefixes
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(FirewallRule {
        name: guid(&id_parts),
        display_name,
        description: description.chars().take(MAX_DESCRIPTION).collect(),
        rule: rule.name.clone(),
        family,
        direction: dir,
        action: match rule.action {
            Action::Allow => "Allow",
            Action::Deny => "Block",
        },
        protocol: match (rule.protocol, v6) {
            (Protocol::Tcp, _) => "TCP",
            (Protocol::Udp, _) => "UDP",
            (Protocol::Icmp, false) => "ICMPv4",
            (Protocol::Icmp, true) => "ICMPv6",
            (Protocol::Any, _) => "Any",
        },
        remote_ports: if rule.ports.is_empty() {
            vec!["Any".to_string()]
        } else {
            rule.ports.iter().map(ToString::to_string).collect()
        },
        local_addresses: if local.is_empty() {
            vec!["Any".to_string()]
        } else {
            local
        },
        count: keyword.as_ref().map_or(remote_addresses.len(), |k| k.1),
        keyword_id: keyword.map(|k| k.0),
        remote_addresses,
        part,
        parts,
    })
}

/// From the previous objects to these: what to create or change, and what
/// to remove.
fn delta(
    old_keywords: &[Keyword],
    old_rules: &[FirewallRule],
    keywords: &[Keyword],
    rules: &[FirewallRule],
) -> WindowsDelta {
    let before: BTreeMap<&str, &Keyword> =
        old_keywords.iter().map(|k| (k.id.as_str(), k)).collect();
    let now: BTreeSet<&str> = keywords.iter().map(|k| k.id.as_str()).collect();
    let mut unchanged = 0;
    let mut changed_keywords = Vec::new();
    for k in keywords {
        match before.get(k.id.as_str()) {
            Some(old) if old.addresses == k.addresses => unchanged += 1,
            old => {
                let old_set: BTreeSet<&String> =
                    old.iter().flat_map(|o| o.addresses.iter()).collect();
                let new_set: BTreeSet<&String> = k.addresses.iter().collect();
                changed_keywords.push(KeywordChange {
                    keyword: k.clone(),
                    new: old.is_none(),
                    added: new_set.difference(&old_set).count(),
                    removed: old_set.difference(&new_set).count(),
                });
            }
        }
    }
    let old_by_name: BTreeMap<&str, &FirewallRule> =
        old_rules.iter().map(|r| (r.name.as_str(), r)).collect();
    let names: BTreeSet<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    let mut changed_rules = Vec::new();
    for r in rules {
        if old_by_name
            .get(r.name.as_str())
            .is_some_and(|old| old.settings() == r.settings())
        {
            unchanged += 1;
        } else {
            changed_rules.push(r.clone());
        }
    }
    WindowsDelta {
        keywords: changed_keywords,
        firewall_rules: changed_rules,
        removed_rules: old_rules
            .iter()
            .filter(|r| !names.contains(r.name.as_str()))
            .map(|r| Gone {
                id: r.name.clone(),
                name: r.display_name.clone(),
            })
            .collect(),
        removed_keywords: old_keywords
            .iter()
            .filter(|k| !now.contains(k.id.as_str()))
            .map(|k| Gone {
                id: k.id.clone(),
                name: k.keyword.clone(),
            })
            .collect(),
        unchanged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword(id: &str, addresses: &[&str]) -> Keyword {
        Keyword {
            id: id.into(),
            keyword: format!("tagwall R {id}"),
            rule: "R".into(),
            family: "ipv4",
            count: addresses.len(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn guids_are_stable_distinct_and_well_formed() {
        let a = guid(&["tagwall", "R", "ipv4"]);
        assert_eq!(a, guid(&["tagwall", "R", "ipv4"]));
        // The parts cannot run together.
        assert_ne!(
            guid(&["tagwall", "Rip", "v4"]),
            guid(&["tagwall", "R", "ipv4"])
        );
        assert_ne!(a, guid(&["other", "R", "ipv4"]));
        let inner = &a[1..37];
        assert!(a.starts_with('{') && a.ends_with('}'), "{a}");
        let groups: Vec<usize> = inner.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert!(inner.chars().all(|c| c == '-' || c.is_ascii_hexdigit()));
        assert_eq!(&inner[14..15], "8");
        assert!("89ab".contains(&inner[19..20]));
    }

    #[test]
    fn the_delta_names_only_what_changed() {
        let old = [
            keyword("a", &["1.0.0.0/24"]),
            keyword("b", &["2.0.0.0/24"]),
            keyword("c", &["3.0.0.0/24"]),
        ];
        let new = [
            keyword("a", &["1.0.0.0/24"]),
            keyword("b", &["2.0.0.0/23", "9.0.0.0/24"]),
            keyword("d", &["4.0.0.0/24"]),
        ];
        let d = delta(&old, &[], &new, &[]);
        let changed: Vec<(&str, bool, usize, usize)> = d
            .keywords
            .iter()
            .map(|k| (k.keyword.id.as_str(), k.new, k.added, k.removed))
            .collect();
        assert_eq!(changed, [("b", false, 2, 1), ("d", true, 1, 0)]);
        let gone: Vec<&str> = d.removed_keywords.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(gone, ["c"]);
        assert_eq!(d.unchanged, 1);
    }
}
