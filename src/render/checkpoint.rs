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

use super::{Job, Target, generic_context};
use crate::error::Result;
use crate::policy::{Action, Direction, Protocol};
use crate::select::Selection;
use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Value, json};
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

    fn minus(&self, other: &Members) -> Members {
        let f = |a: &[String], b: &[String]| -> Vec<String> {
            let b: BTreeSet<&String> = b.iter().collect();
            a.iter().filter(|x| !b.contains(x)).cloned().collect()
        };
        Members {
            net4: f(&self.net4, &other.net4),
            host4: f(&self.host4, &other.host4),
            net6: f(&self.net6, &other.net6),
            host6: f(&self.host6, &other.host6),
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
struct Service {
    /// `service-tcp` or `service-udp`.
    kind: &'static str,
    name: String,
    /// A port or a range `8000-8080`.
    port: String,
}

/// One access rule.
#[derive(Clone, Debug, Serialize)]
struct Access {
    name: String,
    source: String,
    destination: String,
    services: Vec<String>,
    action: &'static str,
    comments: String,
}

/// One policy rule as Check Point objects.
#[derive(Clone, Debug, Serialize)]
struct CpRule {
    /// The policy rule name.
    name: String,
    /// Group of the service's prefixes.
    group: String,
    /// Group of the local prefixes, when the rule names any.
    local_group: Option<String>,
    members: Members,
    local: Members,
    comments: String,
    access: Vec<Access>,
}

/// The whole policy as Check Point objects.
#[derive(Clone, Debug, Serialize)]
struct Plan {
    /// Every prefix any group holds.
    objects: Members,
    rules: Vec<CpRule>,
    services: Vec<Service>,
    /// Comment for the objects (`tagwall Public 370`).
    comment: String,
}

/// The context for the `checkpoint` templates: the generic one plus `cp`,
/// and `cp_delta` with a previous release.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let mut ctx = generic_context(job, target)?;
    let idents = idents(&ctx);
    let comment = format!(
        "tagwall {} {}",
        job.provenance.cloud, job.provenance.change_number
    );
    let now = plan(job.selection, &idents, &comment, job)?;
    ctx["cp_delta"] = match &job.previous {
        None => Value::Null,
        Some(prev) => {
            // Rules gone since the previous release keep the names they had.
            let mut old_idents = idents.clone();
            for r in ctx["removed_rules"].as_array().into_iter().flatten() {
                if let (Some(n), Some(i)) = (r["name"].as_str(), r["ident"].as_str()) {
                    old_idents.insert(n.to_string(), i.to_string());
                }
            }
            let old = plan(prev.selection, &old_idents, &comment, job)?;
            delta(&old, &now)
        }
    };
    ctx["cp"] = json!(now);
    Ok(ctx)
}

/// Rule name -> ident, as the generic context mapped them.
fn idents(ctx: &Value) -> BTreeMap<String, String> {
    ctx["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some((
                r["name"].as_str()?.to_string(),
                r["ident"].as_str()?.to_string(),
            ))
        })
        .collect()
}

fn plan(
    selection: &Selection<'_>,
    idents: &BTreeMap<String, String>,
    comment: &str,
    job: &Job<'_>,
) -> Result<Plan> {
    let mut all: BTreeSet<IpNet> = BTreeSet::new();
    let mut rules = Vec::new();
    let mut services = BTreeSet::new();
    for sel in &selection.rules {
        let rule = &sel.rule;
        let ident = idents
            .get(&rule.name)
            .cloned()
            .unwrap_or_else(|| rule.name.clone());
        let remote: Vec<IpNet> = sel
            .v4()
            .into_iter()
            .map(IpNet::V4)
            .chain(sel.v6().into_iter().map(IpNet::V6))
            .collect();
        all.extend(remote.iter().copied());
        all.extend(rule.local.prefixes.iter().copied());
        let group = format!("tw_g_{ident}");
        let local_group = (!rule.local.prefixes.is_empty()).then(|| format!("tw_l_{ident}"));
        let local_side = local_group.clone().unwrap_or_else(|| "Any".to_string());
        let rule_services = rule_services(rule.protocol, &rule.ports, &mut services);
        let tags: Vec<&str> = sel.tags.iter().map(|t| t.name.as_str()).collect();
        let head = rule.description.clone().unwrap_or_else(|| tags.join(", "));
        let comments = clean(&format!(
            "{}: {head} [{}] ({} #{}, tagwall)",
            rule.name,
            tags.join(", "),
            job.provenance.cloud,
            job.provenance.change_number
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
                    Direction::Inbound => (group.clone(), local_side.clone(), ident.clone()),
                    _ => (local_side.clone(), group.clone(), ident.clone()),
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
        rules.push(CpRule {
            name: rule.name.clone(),
            group,
            local_group,
            members: Members::of(&remote),
            local: Members::of(&rule.local.prefixes),
            comments,
            access,
        });
    }
    Ok(Plan {
        objects: Members::of(&all),
        rules,
        services: services.into_iter().collect(),
        comment: comment.to_string(),
    })
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

/// What the delta does, in the order it must be done.
fn delta(old: &Plan, new: &Plan) -> Value {
    let old_rules: BTreeMap<&str, &CpRule> =
        old.rules.iter().map(|r| (r.name.as_str(), r)).collect();
    let new_names: BTreeSet<&str> = new.rules.iter().map(|r| r.name.as_str()).collect();
    let mut groups_create = Vec::new();
    let mut members = Vec::new();
    let mut access_add = Vec::new();
    for r in &new.rules {
        match old_rules.get(r.name.as_str()) {
            None => {
                groups_create.push(r.group.clone());
                members.push(
                    json!({"group": r.group, "add": r.members, "remove": Members::default()}),
                );
                if let Some(g) = &r.local_group {
                    groups_create.push(g.clone());
                    members.push(json!({"group": g, "add": r.local, "remove": Members::default()}));
                }
                access_add.extend(r.access.iter().cloned());
            }
            Some(before) => {
                let add = r.members.minus(&before.members);
                let remove = before.members.minus(&r.members);
                if !add.is_empty() || !remove.is_empty() {
                    members.push(json!({"group": r.group, "add": add, "remove": remove}));
                }
            }
        }
    }
    let gone: Vec<&CpRule> = old
        .rules
        .iter()
        .filter(|r| !new_names.contains(r.name.as_str()))
        .collect();
    let access_delete: Vec<&str> = gone
        .iter()
        .flat_map(|r| r.access.iter().map(|a| a.name.as_str()))
        .collect();
    let groups_delete: Vec<&str> = gone
        .iter()
        .flat_map(|r| std::iter::once(r.group.as_str()).chain(r.local_group.as_deref()))
        .collect();
    let services_add: Vec<&Service> = new
        .services
        .iter()
        .filter(|s| !old.services.contains(s))
        .collect();
    json!({
        "services_add": services_add,
        "objects_add": new.objects.minus(&old.objects),
        "groups_create": groups_create,
        "members": members,
        "access_add": access_add,
        "access_delete": access_delete,
        "groups_delete": groups_delete,
        "objects_delete": old.objects.minus(&new.objects),
    })
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
