//! Check Point management API (`mgmt_cli`): network and host objects, groups,
//! services and access rules.
//!
//! Every prefix becomes one object named after it (`tw_n_13.107.3.0_24`, a
//! host `tw_h_13.107.3.5` for a /32 or /128), shared by every group that holds
//! it; every rule becomes a group `tw_g_<rule>` and one access rule per
//! direction. Names keep to letters, digits, `_` and `.`: Check Point refuses
//! spaces and `+*(){}[]?!#<>=,:;'"/\@$%^|&~` and the backquote, reads `-` as a
//! word separator (`x-inbound` is refused), and refuses names starting with
//! `SR` and a number, so every tagwall name starts with `tw_`.
//!
//! With a previous release, the delta adds the objects no group held before,
//! changes group members element-wise (`members.add`, `members.remove`), and
//! deletes the objects no group holds any more, in that order.

use super::items::Items;
use super::{Job, PolicyContext, Target, context_value};
use crate::delta::{Delta, FamilyDelta};
use crate::error::{Error, Result};
use crate::policy::{Action, Direction, Protocol};
use crate::select::{SelectedRule, Selection};
use ipnet::IpNet;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Longest rule part of a tagwall name (`tw_g_` comes before it).
pub const MAX_NAME: usize = 59;
/// Longest comment written.
pub const MAX_COMMENT: usize = 255;

/// Characters tagwall allows in Check Point names: ASCII letters, digits, `_` and `.`.
pub fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.')
}

/// Prefixes by the kind of object that holds them, each list in numeric order.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Members {
    /// IPv4 networks (`add network ... subnet4 mask-length4`).
    pub net4: Vec<String>,
    /// IPv4 hosts (/32).
    pub host4: Vec<String>,
    /// IPv6 networks.
    pub net6: Vec<String>,
    /// IPv6 hosts (/128).
    pub host6: Vec<String>,
}

impl Members {
    fn of<'a>(prefixes: impl IntoIterator<Item = &'a IpNet>) -> Members {
        let set: BTreeSet<IpNet> = prefixes.into_iter().copied().collect();
        let mut m = Members::default();
        for p in set {
            let list = match p {
                IpNet::V4(n) if n.prefix_len() == 32 => &mut m.host4,
                IpNet::V4(_) => &mut m.net4,
                IpNet::V6(n) if n.prefix_len() == 128 => &mut m.host6,
                IpNet::V6(_) => &mut m.net6,
            };
            list.push(p.to_string());
        }
        m
    }

    /// The elements one side of a rule's delta holds: `pick` takes the added
    /// or the removed prefixes of a family (IPv4, IPv6), which are minimal
    /// prefixes written canonically, in numeric order; a host is the one
    /// whose length is the family's width (`/32`, `/128`).
    fn of_delta(families: &[FamilyDelta; 2], pick: fn(&FamilyDelta) -> &[String]) -> Members {
        let split = |list: &[String], host: &str| -> [Vec<String>; 2] {
            let (hosts, nets) = list.iter().cloned().partition(|p| p.ends_with(host));
            [nets, hosts]
        };
        let [net4, host4] = split(pick(&families[0]), "/32");
        let [net6, host6] = split(pick(&families[1]), "/128");
        Members {
            net4,
            host4,
            net6,
            host6,
        }
    }

    fn is_empty(&self) -> bool {
        self.net4.is_empty()
            && self.host4.is_empty()
            && self.net6.is_empty()
            && self.host6.is_empty()
    }
}

/// A TCP or UDP service object.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Service {
    /// `service-tcp` or `service-udp`.
    pub kind: &'static str,
    /// Its name (`tw_tcp_443`, `tw_udp_8000_8080`).
    pub name: String,
    /// A port or a range `8000-8080`.
    pub port: String,
}

/// One access rule.
#[derive(Clone, Debug, Serialize)]
pub struct Access {
    /// Its name: the rule's ident, with `_in` for the inbound half of a
    /// rule of both directions.
    pub name: String,
    /// The source: a group name or `Any`.
    pub source: String,
    /// The destination: a group name or `Any`.
    pub destination: String,
    /// Service names (`tw_tcp_443`, `icmp-proto`, `Any`).
    pub services: Vec<String>,
    /// `Accept` or `Drop`.
    pub action: &'static str,
    /// The comment (see `comments` of [`CpRule`]).
    pub comments: String,
}

/// One policy rule as Check Point objects.
#[derive(Clone, Debug, Serialize)]
pub struct CpRule {
    /// The policy rule name.
    pub name: String,
    /// Group of the service's prefixes (`tw_g_<ident>`).
    pub group: String,
    /// Group of the local prefixes (`tw_l_<ident>`), when the rule names
    /// any; null otherwise.
    pub local_group: Option<String>,
    /// The remote prefixes, members of `group`.
    pub members: Members,
    /// The local prefixes, members of `local_group`.
    pub local: Members,
    /// `<rule>: <description> [<tags>] (<cloud>, tagwall)`,
    /// at most [`MAX_COMMENT`] characters.
    pub comments: String,
    /// One access rule per direction.
    pub access: Vec<Access>,
}

/// The whole policy as Check Point objects.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Every prefix any group holds, each once.
    pub objects: Members,
    /// The rules, in policy order.
    pub rules: Items<CpRule>,
    /// The service objects the rules use, sorted.
    pub services: Vec<Service>,
    /// Comment for the objects (`tagwall Public 370`).
    pub comment: String,
    /// The prefixes of `objects`, as numbers: what the delta compares.
    #[serde(skip)]
    all: BTreeSet<IpNet>,
}

/// The members a delta adds to and removes from one group.
#[derive(Clone, Debug, Serialize)]
pub struct MemberChange {
    /// The group's name.
    pub group: String,
    /// Members to add (`members.add`).
    pub add: Members,
    /// Members to remove (`members.remove`).
    pub remove: Members,
}

/// What the delta does, each list in the order it must be done.
#[derive(Clone, Debug, Serialize)]
pub struct CpDelta {
    /// Service objects no rule used before.
    pub services_add: Vec<Service>,
    /// Prefix objects no group held before.
    pub objects_add: Members,
    /// Groups of new rules.
    pub groups_create: Vec<String>,
    /// Member changes: every member of a new rule's groups, and what a
    /// kept rule's group gains and loses, element by element.
    pub members: Vec<MemberChange>,
    /// Access rules of new rules.
    pub access_add: Vec<Access>,
    /// Names of the access rules of rules gone since the previous release.
    pub access_delete: Vec<String>,
    /// Groups of rules gone since the previous release.
    pub groups_delete: Vec<String>,
    /// Prefix objects no group holds any more.
    pub objects_delete: Members,
}

/// The context of the `checkpoint` templates.
#[derive(Debug, Serialize)]
pub struct CheckpointContext<'a> {
    /// `tool`, `source`, `previous`, `rules` and `removed_rules`, as every
    /// target has them.
    #[serde(flatten)]
    pub policy: PolicyContext<'a>,
    /// `[targets.checkpoint] objects_only`: write the network, host and
    /// group objects only (no services, no access section, no access rules).
    pub objects_only: bool,
    /// The whole policy as Check Point objects.
    pub cp: Plan,
    /// With a previous release, what the delta does; null without one.
    pub cp_delta: Option<CpDelta>,
}

/// The context for the `checkpoint` templates.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let policy = PolicyContext::new(job, target)?;
    let comment = format!("tagwall {}", job.provenance.cloud);
    let now = {
        let idents = policy.rules.items();
        let rules = job.selection.rules.iter().zip(idents.iter());
        plan(rules.map(|(sel, r)| (sel, r.ident.as_str())), &comment, job)
    };
    let cp_delta = match (&job.previous, &job.delta) {
        (None, _) => None,
        (Some(prev), Some(changes)) => Some(delta(prev.selection, &policy, changes, &now, job)),
        (Some(_), None) => {
            return Err(Error::Internal {
                what: format!("the {} context", target.name),
                message: "a previous release without its delta".into(),
            });
        }
    };
    context_value(
        target,
        &CheckpointContext {
            policy,
            objects_only: job.selection.policy.targets.checkpoint.objects_only,
            cp: now,
            cp_delta,
        },
    )
}

/// The policy as Check Point objects: `rules` are the rules with their
/// idents, in policy order.
fn plan<'s, 'a: 's>(
    rules: impl Iterator<Item = (&'s SelectedRule<'a>, &'s str)>,
    comment: &str,
    job: &Job<'_>,
) -> Plan {
    let mut all: BTreeSet<IpNet> = BTreeSet::new();
    let mut services = BTreeSet::new();
    let rules: Vec<CpRule> = rules
        .map(|(sel, ident)| {
            all.extend(remote(sel));
            all.extend(sel.rule.local.prefixes.iter().copied());
            cp_rule(sel, ident, job, &mut services)
        })
        .collect();
    Plan {
        objects: Members::of(&all),
        rules: rules.into(),
        services: services.into_iter().collect(),
        comment: comment.to_string(),
        all,
    }
}

/// A rule's remote prefixes, IPv4 first.
fn remote(sel: &SelectedRule<'_>) -> Vec<IpNet> {
    sel.v4()
        .into_iter()
        .map(IpNet::V4)
        .chain(sel.v6().into_iter().map(IpNet::V6))
        .collect()
}

/// One rule as Check Point objects, adding the service objects it needs to
/// `services`.
fn cp_rule(
    sel: &SelectedRule<'_>,
    ident: &str,
    job: &Job<'_>,
    services: &mut BTreeSet<Service>,
) -> CpRule {
    let rule = &sel.rule;
    let group = format!("tw_g_{ident}");
    let local_group = (!rule.local.prefixes.is_empty()).then(|| format!("tw_l_{ident}"));
    let local_side = local_group.clone().unwrap_or_else(|| "Any".to_string());
    let rule_services = rule_services(rule.protocol, &rule.ports, services);
    let tags: Vec<&str> = sel.tags.iter().map(|t| t.name.as_str()).collect();
    let head = rule.description.clone().unwrap_or_else(|| tags.join(", "));
    let comments = clean(&format!(
        "{}: {head} [{}] ({}, tagwall)",
        rule.name,
        tags.join(", "),
        job.provenance.cloud,
    ));
    let access = rule
        .direction
        .expand()
        .iter()
        .map(|d| {
            let (source, destination, name) = match d {
                Direction::Inbound if rule.direction == Direction::Both => {
                    (group.clone(), local_side.clone(), format!("{ident}_in"))
                }
                Direction::Inbound => (group.clone(), local_side.clone(), ident.to_string()),
                _ => (local_side.clone(), group.clone(), ident.to_string()),
            };
            Access {
                name,
                source,
                destination,
                services: rule_services.clone(),
                action: match rule.action {
                    Action::Allow => "Accept",
                    Action::Deny => "Drop",
                },
                comments: comments.clone(),
            }
        })
        .collect();
    CpRule {
        name: rule.name.clone(),
        group,
        local_group,
        members: Members::of(&remote(sel)),
        local: Members::of(&rule.local.prefixes),
        comments,
        access,
    }
}

/// Service names for a rule, adding the service objects it needs to `all`.
fn rule_services(
    protocol: Protocol,
    ports: &[crate::policy::PortRange],
    all: &mut BTreeSet<Service>,
) -> Vec<String> {
    let (kind, short) = match protocol {
        Protocol::Tcp => ("service-tcp", "tcp"),
        Protocol::Udp => ("service-udp", "udp"),
        // Predefined objects: ICMP as an IP protocol, and everything.
        Protocol::Icmp => return vec!["icmp-proto".to_string()],
        Protocol::Any => return vec!["Any".to_string()],
    };
    let ports: Vec<String> = if ports.is_empty() {
        vec!["1-65535".to_string()]
    } else {
        ports.iter().map(ToString::to_string).collect()
    };
    ports
        .into_iter()
        .map(|port| {
            let name = format!("tw_{short}_{}", port.replace('-', "_"));
            all.insert(Service {
                kind,
                name: name.clone(),
                port,
            });
            name
        })
        .collect()
}

/// What the delta does, from the previous selection `before` to the plan
/// `new` of this one. What a kept rule's group gains and loses comes from
/// `changes`; the previous selection gives what is shared across rules
/// (the prefix and service objects every old group used) and the access
/// rules and groups of the rules that are gone.
fn delta(
    before: &Selection<'_>,
    policy: &PolicyContext<'_>,
    changes: &Delta,
    new: &Plan,
    job: &Job<'_>,
) -> CpDelta {
    let mut groups_create = Vec::new();
    let mut members = Vec::new();
    let mut access_add = Vec::new();
    for (r, change) in new.rules.items().iter().zip(&changes.rules) {
        if !change.existed {
            groups_create.push(r.group.clone());
            members.push(MemberChange {
                group: r.group.clone(),
                add: r.members.clone(),
                remove: Members::default(),
            });
            if let Some(g) = &r.local_group {
                groups_create.push(g.clone());
                members.push(MemberChange {
                    group: g.clone(),
                    add: r.local.clone(),
                    remove: Members::default(),
                });
            }
            access_add.extend(r.access.iter().cloned());
            continue;
        }
        let add = Members::of_delta(&change.families, |f| &f.added);
        let remove = Members::of_delta(&change.families, |f| &f.removed);
        if !add.is_empty() || !remove.is_empty() {
            members.push(MemberChange {
                group: r.group.clone(),
                add,
                remove,
            });
        }
    }
    // Every prefix and service object the previous release used.
    let mut old_all: BTreeSet<IpNet> = BTreeSet::new();
    let mut old_services = BTreeSet::new();
    for sel in &before.rules {
        old_all.extend(remote(sel));
        old_all.extend(sel.rule.local.prefixes.iter().copied());
        rule_services(sel.rule.protocol, &sel.rule.ports, &mut old_services);
    }
    // Rules gone since then keep the names they had, which the generic
    // context gives in the order of the delta's removed rules.
    let gone_names: BTreeMap<&str, &str> = changes
        .removed_rules
        .iter()
        .zip(&policy.removed_rules)
        .map(|(g, r)| (g.name.as_str(), r.ident.as_str()))
        .collect();
    let gone: Vec<CpRule> = before
        .rules
        .iter()
        .filter_map(|sel| {
            let ident = gone_names.get(sel.rule.name.as_str())?;
            Some(cp_rule(sel, ident, job, &mut BTreeSet::new()))
        })
        .collect();
    CpDelta {
        services_add: new
            .services
            .iter()
            .filter(|s| !old_services.contains(*s))
            .cloned()
            .collect(),
        objects_add: Members::of(new.all.difference(&old_all)),
        groups_create,
        members,
        access_add,
        access_delete: gone
            .iter()
            .flat_map(|r| r.access.iter().map(|a| a.name.clone()))
            .collect(),
        groups_delete: gone
            .iter()
            .flat_map(|r| std::iter::once(r.group.clone()).chain(r.local_group.clone()))
            .collect(),
        objects_delete: Members::of(old_all.difference(&new.all)),
    }
}

/// Free text for a comment: control and formatting characters become spaces,
/// at most [`MAX_COMMENT`] characters. (Templates still quote it.)
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            if crate::model::is_unsafe_char(c) {
                ' '
            } else {
                c
            }
        })
        .take(MAX_COMMENT)
        .collect()
}
