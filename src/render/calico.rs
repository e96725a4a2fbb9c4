//! Calico (`projectcalico.org/v3`): a `GlobalNetworkSet` per rule, family
//! and chunk holding the rule's prefixes, and a policy that selects the sets
//! by label.
//!
//! The sets carry the labels `app.kubernetes.io/managed-by: tagwall` and
//! `tagwall.io/rule: <rule>`; the policy's rule for a tagwall rule matches
//! `tagwall.io/rule == '<rule>'` with `namespaceSelector: global()`, so it
//! reaches every set of the rule, however many there are. The policy
//! therefore names no address and no release: a release that changes only
//! addresses changes `networksets.yaml` alone, and `policies.yaml` stays
//! byte for byte what the admin applied once.
//!
//! Calico evaluates a policy's rules in order: tagwall's rules follow the
//! policy's priorities (lowest first), and each direction ends with `Pass`,
//! so traffic no rule matches goes on to the next tier (or, in the last
//! tier, to the namespace's profile) instead of being dropped at the end
//! of the tier, as tagwall's other targets leave unmatched traffic to the
//! admin's own rules.

use super::chunk::stable_chunks;
use super::context::FAMILIES;
use super::kube::{self, Idents, MANAGED_BY, NAME_PREFIX};
use super::{Job, PlanHead, Target, context_value};
use crate::error::{Error, Result};
use crate::policy::{Action, Direction, Protocol};
use serde::Serialize;
use serde_json::Value;

/// Most prefixes in one `GlobalNetworkSet` (tagwall's choice: Calico sets
/// no number; 5,000 keep a set near 250 kB, well below what one object may
/// weigh, [`kube::MAX_OBJECT_BYTES`]).
pub const MAX_NETS_PER_SET: usize = 5000;

/// The context of the `calico` templates.
#[derive(Debug, Serialize)]
pub struct CalicoContext<'a> {
    /// `tool`, `source`, `previous`, and empty `rules` and `removed_rules`.
    #[serde(flatten)]
    pub head: PlanHead<'a>,
    /// The network sets, in rule order, IPv4 before IPv6.
    pub sets: Vec<NetworkSet>,
    /// The policies: one `NetworkPolicy` per namespace, or one
    /// `GlobalNetworkPolicy`.
    pub policies: Vec<CalicoPolicy>,
    /// The value of every object's `app.kubernetes.io/managed-by` label.
    pub managed_by: &'static str,
    /// Most prefixes in one set ([`MAX_NETS_PER_SET`]).
    pub max_nets_per_set: usize,
}

/// One `GlobalNetworkSet`.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkSet {
    /// Its name (`tagwall-<rule>-v4-1`).
    pub name: String,
    /// The policy rule's name.
    pub rule: String,
    /// The rule's identifier: the value of its `tagwall.io/rule` label.
    pub ident: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// Number of the set within its rule and family, from 1.
    pub index: usize,
    /// The names of the rule's tags, joined with `, `.
    pub tags: String,
    /// How many prefixes it holds.
    pub count: usize,
    /// The prefixes, in numeric order.
    pub prefixes: Vec<String>,
}

/// One Calico policy object.
#[derive(Clone, Debug, Serialize)]
pub struct CalicoPolicy {
    /// `NetworkPolicy` or `GlobalNetworkPolicy`.
    pub kind: &'static str,
    /// Its name: `tagwall`, or `<tier>.tagwall` in a tier.
    pub name: String,
    /// The namespace of a `NetworkPolicy`; null for a global one.
    pub namespace: Option<String>,
    /// `[targets.calico] tier`, or null.
    pub tier: Option<String>,
    /// `[targets.calico] order` as written, or null.
    pub order: Option<String>,
    /// The selector of the workloads it applies to.
    pub selector: String,
    /// `Ingress` and `Egress`, those it has rules for.
    pub types: Vec<&'static str>,
    /// Rules for traffic from the workloads, ending with `Pass`.
    pub egress: Vec<CalicoRule>,
    /// Rules for traffic to the workloads, ending with `Pass`.
    pub ingress: Vec<CalicoRule>,
}

/// One rule of a Calico policy.
#[derive(Clone, Debug, Serialize)]
pub struct CalicoRule {
    /// `Allow`, `Deny` or `Pass`.
    pub action: &'static str,
    /// The policy rule's name; null for the closing `Pass`.
    pub rule: Option<String>,
    /// `TCP`, `UDP`, `ICMP` or `ICMPv6`; null for every protocol.
    pub protocol: Option<&'static str>,
    /// `4` or `6` for an ICMP rule, which is one family's; else null.
    pub ip_version: Option<u8>,
    /// The selector of the rule's sets (`tagwall.io/rule == '<rule>'`) as
    /// the source, for inbound traffic; else null.
    pub source_selector: Option<String>,
    /// Whether the rule matches on the destination (its sets, or ports).
    pub destination: bool,
    /// The selector of the rule's sets as the destination, for outbound
    /// traffic; else null.
    pub destination_selector: Option<String>,
    /// The destination ports as a YAML flow sequence (`[443,
    /// "8000:8080"]`); null for every port.
    pub ports: Option<String>,
}

/// The context for the `calico` templates.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let options = &job.selection.policy.targets.calico;
    let mut ids = Idents::new(target);
    let mut sets = Vec::new();
    let mut rules = Vec::new();
    for sel in &job.selection.rules {
        let ident = ids.ident(&sel.rule.name)?;
        let tags = sel
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let lists = [sel.set.v4_strings(), sel.set.v6_strings()];
        for ((family, short), list) in FAMILIES.into_iter().zip(lists) {
            if list.is_empty() {
                continue;
            }
            for (n, range) in stable_chunks(&list, MAX_NETS_PER_SET)
                .into_iter()
                .enumerate()
            {
                let prefixes = list[range].to_vec();
                sets.push(NetworkSet {
                    name: format!("{NAME_PREFIX}{ident}-{short}-{}", n + 1),
                    rule: sel.rule.name.clone(),
                    ident: ident.clone(),
                    family,
                    index: n + 1,
                    tags: tags.clone(),
                    count: prefixes.len(),
                    prefixes,
                });
            }
        }
        rules.push((&sel.rule, ident));
    }
    // The policy's rules in priority order (the sort is stable: rules of
    // one priority, in and out, keep the policy's order).
    rules.sort_by_key(|(rule, _)| rule.priority);
    let mut egress = Vec::new();
    let mut ingress = Vec::new();
    for (rule, ident) in &rules {
        for dir in rule.direction.expand() {
            let list = match dir {
                Direction::Inbound => &mut ingress,
                _ => &mut egress,
            };
            list.extend(calico_rules(rule, ident, *dir));
        }
    }
    let mut types = Vec::new();
    for (name, list) in [("Ingress", &mut ingress), ("Egress", &mut egress)] {
        if !list.is_empty() {
            types.push(name);
            list.push(CalicoRule {
                action: "Pass",
                rule: None,
                protocol: None,
                ip_version: None,
                source_selector: None,
                destination: false,
                destination_selector: None,
                ports: None,
            });
        }
    }
    let name = match &options.tier {
        Some(tier) => format!("{tier}.tagwall"),
        None => "tagwall".to_string(),
    };
    let policy = |kind: &'static str, namespace: Option<String>| CalicoPolicy {
        kind,
        name: name.clone(),
        namespace,
        tier: options.tier.clone(),
        order: options.order.map(|o| o.to_string()),
        selector: options.selector().to_string(),
        types: types.clone(),
        egress: egress.clone(),
        ingress: ingress.clone(),
    };
    let policies: Vec<CalicoPolicy> = if options.global {
        vec![policy("GlobalNetworkPolicy", None)]
    } else {
        options
            .namespaces()
            .into_iter()
            .map(|ns| policy("NetworkPolicy", Some(ns)))
            .collect()
    };
    check_weight(target, &policies, &sets)?;
    context_value(
        target,
        &CalicoContext {
            head: PlanHead::of(job),
            sets,
            policies,
            managed_by: MANAGED_BY,
            max_nets_per_set: MAX_NETS_PER_SET,
        },
    )
}

/// The Calico rules of one direction of a policy rule: one, or one per
/// family for ICMP (Calico names ICMP and ICMPv6 apart).
fn calico_rules(rule: &crate::policy::Rule, ident: &str, dir: Direction) -> Vec<CalicoRule> {
    let action = match rule.action {
        Action::Allow => "Allow",
        Action::Deny => "Deny",
    };
    let ports = (!rule.ports.is_empty()).then(|| {
        let items: Vec<String> = rule
            .ports
            .iter()
            .map(|p| {
                if p.start == p.end {
                    p.start.to_string()
                } else {
                    format!("\"{}:{}\"", p.start, p.end)
                }
            })
            .collect();
        format!("[{}]", items.join(", "))
    });
    let sets = Some(format!("tagwall.io/rule == '{ident}'"));
    // The remote side is the destination of outbound traffic and the
    // source of inbound traffic; the ports are the destination's.
    let (source_selector, destination_selector) = match dir {
        Direction::Inbound => (sets, None),
        _ => (None, sets),
    };
    let one = |protocol: Option<&'static str>, ip_version: Option<u8>| CalicoRule {
        action,
        rule: Some(rule.name.clone()),
        protocol,
        ip_version,
        source_selector: source_selector.clone(),
        destination: destination_selector.is_some() || ports.is_some(),
        destination_selector: destination_selector.clone(),
        ports: ports.clone(),
    };
    match rule.protocol {
        Protocol::Tcp => vec![one(Some("TCP"), None)],
        Protocol::Udp => vec![one(Some("UDP"), None)],
        Protocol::Any => vec![one(None, None)],
        Protocol::Icmp => {
            let mut out = Vec::new();
            if rule.family.v4() {
                out.push(one(Some("ICMP"), Some(4)));
            }
            if rule.family.v6() {
                out.push(one(Some("ICMPv6"), Some(6)));
            }
            out
        }
    }
}

/// Refuse a policy or a set the API server would not store.
fn check_weight(target: &Target, policies: &[CalicoPolicy], sets: &[NetworkSet]) -> Result<()> {
    // What the API server stores is JSON; `kubectl apply` (client-side)
    // stores a second copy in the last-applied-configuration annotation.
    fn weigh<T: Serialize>(v: &T) -> usize {
        2 * serde_json::to_vec(v).map_or(0, |v| v.len())
    }
    if let Some(p) = policies.first() {
        let bytes = weigh(p);
        if kube::too_heavy(bytes) {
            return Err(Error::Limit {
                target: target.name.to_string(),
                message: format!(
                    "the Calico policy would weigh about {bytes} bytes with its {} rules, as \
                     kubectl apply stores it (the object and its last-applied copy); one \
                     object holds at most {} (below etcd's 1.5 MiB request limit); select \
                     fewer tags",
                    p.egress.len() + p.ingress.len(),
                    kube::MAX_OBJECT_BYTES
                ),
            });
        }
    }
    if let Some(s) = sets.iter().find(|s| kube::too_heavy(weigh(*s))) {
        return Err(Error::Limit {
            target: target.name.to_string(),
            message: format!(
                "the network set {} would weigh more than {} bytes",
                s.name,
                kube::MAX_OBJECT_BYTES
            ),
        });
    }
    Ok(())
}
