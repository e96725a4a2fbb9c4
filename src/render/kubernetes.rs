//! Kubernetes `networking.k8s.io/v1` NetworkPolicy objects.
//!
//! One object per namespace and rule (`[targets.kubernetes] namespaces`),
//! selecting the pods of `pod_selector`, allowing the rule's prefixes
//! (`ipBlock`s, IPv4 and IPv6) on its protocol and ports: `egress` for an
//! outbound rule, `ingress` for an inbound one, both for `both`. A rule with
//! more prefixes than [`MAX_IP_BLOCKS`] fit in one object is split into
//! numbered objects (`<name>-1`, `<name>-2` ...) with stable,
//! content-defined boundaries ([`super::chunk`]). NetworkPolicies add up
//! (traffic is allowed when any policy allows it), so the split objects
//! together allow exactly the rule's prefixes.
//!
//! A NetworkPolicy only allows: a deny rule, an ICMP rule (its ports match
//! TCP, UDP and SCTP) and a rule with local prefixes or an interface (its
//! local side is the selected pods) cannot be written, and are refused
//! unless `[targets.kubernetes] skip_rules` names them; the file lists the
//! rules left out.

use super::chunk::stable_chunks;
use super::names::{NameRules, Namer};
use super::{Job, PlanHead, Target, context_value};
use crate::error::{Error, Result};
use crate::policy::{Action, Direction, KubernetesOptions, Protocol, Rule};
use serde::Serialize;
use serde_json::Value;

/// Most `ipBlock` peers in one object, egress and ingress together (a rule
/// of both directions lists its prefixes twice, so it gets half as many
/// prefixes an object). tagwall's choice, well below what the API takes:
/// an ipBlock weighs at most about 70 bytes of JSON, so an object stays under
/// 80 KB; `kubectl apply` (client-side) copies the object into its
/// `last-applied-configuration` annotation, and all of an object's
/// annotations together hold at most 256 KiB; the API server takes requests
/// of up to 3 MiB and etcd objects of up to 1.5 MiB.
pub const MAX_IP_BLOCKS: usize = 1000;

/// Longest `tagwall/service-tags` annotation: a rule matching more tags
/// lists those that fit, then how many more (the manifest and the `plain`
/// target list them all).
pub const MAX_TAGS_ANNOTATION: usize = 2048;

/// The context of the `kubernetes` templates.
#[derive(Debug, Serialize)]
pub struct KubernetesContext<'a> {
    /// `tool`, `source`, `previous`; `rules` and `removed_rules` empty.
    #[serde(flatten)]
    pub head: PlanHead<'a>,
    /// The objects, namespace by namespace (in the order of
    /// `[targets.kubernetes] namespaces`), each in rule order.
    pub network_policies: Vec<NetworkPolicy>,
    /// `matchLabels` of every object's `podSelector`, by key; empty selects
    /// every pod of the namespace.
    pub pod_selector: Vec<Label>,
    /// The rules `[targets.kubernetes] skip_rules` leaves out.
    pub skipped: Vec<Skipped>,
}

/// One NetworkPolicy object.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkPolicy {
    /// Its name (`tagwall-<rule>`, `tagwall-<rule>-2` when split).
    pub name: String,
    /// Its namespace.
    pub namespace: String,
    /// The value of its `tagwall/rule` label: the name without the number
    /// of the part, the same on every part of a rule.
    pub rule_label: String,
    /// The policy rule's name (the `tagwall/rule` annotation).
    pub rule: String,
    /// The rule's description, or its tag names.
    pub description: String,
    /// The rule's tag names, joined with `, ` (at most
    /// [`MAX_TAGS_ANNOTATION`] characters).
    pub service_tags: String,
    /// Number of the part within its rule, from 1.
    pub index: usize,
    /// How many parts the rule has.
    pub parts: usize,
    /// `Ingress`, `Egress` or both, as `policyTypes` lists them.
    pub policy_types: Vec<&'static str>,
    /// Whether it has an `egress` rule (outbound and both).
    pub egress: bool,
    /// Whether it has an `ingress` rule (inbound and both).
    pub ingress: bool,
    /// The ports of the rule; empty for protocol `any` (every port of
    /// every protocol).
    pub ports: Vec<Port>,
    /// The prefixes, IPv4 then IPv6, each family in numeric order.
    pub ip_blocks: Vec<String>,
}

/// One entry of a NetworkPolicy rule's `ports`.
#[derive(Clone, Debug, Serialize)]
pub struct Port {
    /// `TCP` or `UDP`.
    pub protocol: &'static str,
    /// The port, or the first of a range; null for every port of the
    /// protocol.
    pub port: Option<u16>,
    /// The last port of a range, or null.
    pub end_port: Option<u16>,
}

/// A label of the pod selector.
#[derive(Clone, Debug, Serialize)]
pub struct Label {
    /// The label key.
    pub key: String,
    /// Its value.
    pub value: String,
}

/// A rule left out by `[targets.kubernetes] skip_rules`.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The rule's name.
    pub rule: String,
    /// Why a NetworkPolicy cannot express it, or that it was only named.
    pub reason: String,
}

/// Why a NetworkPolicy cannot express `rule`, if it cannot.
pub fn inexpressible(rule: &Rule) -> Option<&'static str> {
    if rule.action == Action::Deny {
        return Some(
            "a NetworkPolicy only allows traffic, it cannot deny (a pod that any NetworkPolicy \
             selects already loses the traffic that no policy allows)",
        );
    }
    if rule.protocol == Protocol::Icmp {
        return Some("a NetworkPolicy cannot match ICMP (its ports are TCP, UDP or SCTP)");
    }
    if !rule.local.prefixes.is_empty() || rule.local.interface.is_some() {
        return Some(
            "its local side has prefixes or an interface, and a NetworkPolicy's local side is \
             the pods that [targets.kubernetes] pod_selector selects",
        );
    }
    None
}

/// The context for the `kubernetes` templates.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let options = &job.selection.policy.targets.kubernetes;
    let limit = |message: String| Error::Limit {
        target: target.name.to_string(),
        message,
    };
    let rules = NameRules {
        max_len: super::kube::MAX_IDENT.saturating_sub(options.name_prefix.len()),
        ..target.names
    };
    let mut namer = Namer::new(target.name, rules);
    let mut objects = Vec::new();
    let mut skipped = Vec::new();
    for sel in &job.selection.rules {
        let rule = &sel.rule;
        let why = inexpressible(rule);
        if options.skips(&rule.name) {
            skipped.push(Skipped {
                rule: rule.name.clone(),
                reason: why.unwrap_or("named in skip_rules").to_string(),
            });
            continue;
        }
        if let Some(why) = why {
            return Err(limit(format!(
                "rule {:?}: {why}; leave the rule out of this target with \
                 [targets.kubernetes] skip_rules = [{:?}]",
                rule.name, rule.name
            )));
        }
        let mut prefixes = sel.set.v4_strings();
        prefixes.extend(sel.set.v6_strings());
        let per_object = match rule.direction {
            Direction::Both => MAX_IP_BLOCKS / 2,
            _ => MAX_IP_BLOCKS,
        };
        let ranges = stable_chunks(&prefixes, per_object);
        let parts = ranges.len();
        let rule_label = claim(&mut namer, rules, options, &rule.name, None)?;
        let tags: Vec<&str> = sel.tags.iter().map(|t| t.name.as_str()).collect();
        let description = rule.description.clone().unwrap_or_else(|| tags.join(", "));
        let service_tags = tag_list(&tags);
        let ports = ports(rule);
        let (egress, ingress) = match rule.direction {
            Direction::Outbound => (true, false),
            Direction::Inbound => (false, true),
            Direction::Both => (true, true),
        };
        let policy_types = [(ingress, "Ingress"), (egress, "Egress")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect::<Vec<_>>();
        for (n, range) in ranges.into_iter().enumerate() {
            let index = n + 1;
            let name = if parts == 1 {
                rule_label.clone()
            } else {
                claim(
                    &mut namer,
                    rules,
                    options,
                    &rule.name,
                    Some(&index.to_string()),
                )?
            };
            objects.push(NetworkPolicy {
                name,
                namespace: String::new(),
                rule_label: rule_label.clone(),
                rule: rule.name.clone(),
                description: description.clone(),
                service_tags: service_tags.clone(),
                index,
                parts,
                policy_types: policy_types.clone(),
                egress,
                ingress,
                ports: ports.clone(),
                ip_blocks: prefixes[range].to_vec(),
            });
        }
    }
    if objects.is_empty() {
        return Err(limit(
            "every rule is in [targets.kubernetes] skip_rules: there is no NetworkPolicy to write"
                .into(),
        ));
    }
    let network_policies = options
        .namespaces
        .iter()
        .flat_map(|ns| {
            objects.iter().map(move |o| NetworkPolicy {
                namespace: ns.clone(),
                ..o.clone()
            })
        })
        .collect();
    let pod_selector = options
        .pod_selector
        .iter()
        .map(|(key, value)| Label {
            key: key.clone(),
            value: value.clone(),
        })
        .collect();
    context_value(
        target,
        &KubernetesContext {
            head: PlanHead::of(job),
            network_policies,
            pod_selector,
            skipped,
        },
    )
}

/// The object name of rule `name` (with the part number `suffix`), claimed
/// so that two rules cannot share one.
fn claim(
    namer: &mut Namer,
    rules: NameRules,
    options: &KubernetesOptions,
    name: &str,
    suffix: Option<&str>,
) -> Result<String> {
    let mapped = format!(
        "{}{}",
        options.name_prefix,
        object_name(rules, name, suffix)
    );
    namer.claim(name, suffix, mapped)
}

/// `name` as the part of an object name after the prefix: lower-cased,
/// every character but `a-z`, `0-9` and `-` written as `-`, shortened with
/// a hash when it does not fit (see [`NameRules::map`]); it ends with a
/// letter or digit, as a DNS-1123 label must.
///
/// ```
/// use tagwall::render::kubernetes::object_name;
/// use tagwall::render::TARGETS;
/// let rules = TARGETS.iter().find(|t| t.name == "kubernetes").unwrap().names;
/// assert_eq!(object_name(rules, "AllowAADOutboundAccess", None), "allowaadoutboundaccess");
/// assert_eq!(object_name(rules, "AzureCloud.eastus", Some("2")), "azurecloud-eastus-2");
/// assert_eq!(object_name(rules, "a'b;$(c)..", None), "a-b---c");
/// ```
pub fn object_name(rules: NameRules, name: &str, suffix: Option<&str>) -> String {
    let lower = name.to_ascii_lowercase();
    let base = lower.trim_end_matches(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()));
    rules.map(base, suffix)
}

/// The ports of `rule` as a NetworkPolicy rule lists them.
fn ports(rule: &Rule) -> Vec<Port> {
    let protocol = match rule.protocol {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Icmp | Protocol::Any => return Vec::new(),
    };
    if rule.ports.is_empty() {
        return vec![Port {
            protocol,
            port: None,
            end_port: None,
        }];
    }
    rule.ports
        .iter()
        .map(|p| Port {
            protocol,
            port: Some(p.start),
            end_port: (p.end > p.start).then_some(p.end),
        })
        .collect()
}

/// The tag names joined with `, `, at most [`MAX_TAGS_ANNOTATION`]
/// characters: those that fit, then how many more.
fn tag_list(tags: &[&str]) -> String {
    let all = tags.join(", ");
    if all.chars().count() <= MAX_TAGS_ANNOTATION {
        return all;
    }
    let mut out = String::new();
    for (i, tag) in tags.iter().enumerate() {
        let more = format!(" and {} more", tags.len() - i);
        let sep = if i == 0 { "" } else { ", " };
        let len = out.chars().count() + sep.len() + tag.chars().count();
        if len + more.len() + 16 > MAX_TAGS_ANNOTATION {
            out.push_str(&more);
            return out;
        }
        out.push_str(sep);
        out.push_str(tag);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tag_lists_end_with_a_count() {
        let names: Vec<String> = (0..500).map(|i| format!("AzureCloud.region{i}")).collect();
        let tags: Vec<&str> = names.iter().map(String::as_str).collect();
        let text = tag_list(&tags);
        assert!(
            text.chars().count() <= MAX_TAGS_ANNOTATION,
            "{}",
            text.len()
        );
        assert!(text.starts_with("AzureCloud.region0, AzureCloud.region1, "));
        let shown = text.matches(", ").count() + 1;
        assert!(
            text.ends_with(&format!(" and {} more", 500 - shown)),
            "{text}"
        );
        assert_eq!(tag_list(&["A", "B"]), "A, B");
    }
}
