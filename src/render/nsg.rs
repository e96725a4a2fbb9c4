//! Azure network security group rules from a policy.
//!
//! An NSG rule has one direction, one address family when it lists prefixes
//! (`ResourceCannotContainAddressPrefixesFromDifferentAddressFamilies`), and at
//! most one service tag. So one policy rule becomes one NSG rule per
//! direction and per service tag (native form) or per family (prefix form).
//! Pieces of a rule take consecutive priorities from the rule's own; a rule
//! that splits pushes the following rules up, keeping the policy's order.

use super::names::{NameRules, Namer, letter_or_underscore, word};
use super::{Job, PolicyContext, Target, context_value};
use crate::error::{Error, Result};
use crate::policy::{Action, Direction, FamilyFilter, NsgMode, Protocol};
use crate::select::SelectedRule;
use serde::Serialize;
use serde_json::Value;

/// Rules per NSG.
pub const MAX_RULES: usize = 1000;
/// Prefixes per NSG, source and destination counted apart.
pub const MAX_PREFIXES_PER_SIDE: usize = 4000;
/// Highest priority.
pub const MAX_PRIORITY: u16 = 4096;
/// Longest rule description.
pub const MAX_DESCRIPTION: usize = 140;

/// Names for Bicep symbols and Terraform resource labels.
const SYMBOL_RULES: NameRules = NameRules {
    max_len: 120,
    allowed: word,
    first: letter_or_underscore,
    lead: "_",
    replacement: '_',
    sep: "_",
};

/// The context of the `azure-nsg` templates.
#[derive(Debug, Serialize)]
pub struct NsgContext<'a> {
    /// `tool`, `source`, `previous`, `rules` and `removed_rules`, as every
    /// target has them.
    #[serde(flatten)]
    pub policy: PolicyContext<'a>,
    /// The NSG rules: outbound, then inbound, each in priority order.
    pub nsg_rules: Vec<NsgRule>,
}

/// One side of an NSG rule (ports, source or destination): a single value
/// (a service tag, `*`, a port) or a list; the other is null.
#[derive(Debug, Serialize)]
pub struct Side {
    /// The single value (`AzureCloud`, `VirtualNetwork`, `*`, `443`), or null.
    pub one: Option<String>,
    /// The list of prefixes or ports, or null.
    pub many: Option<Vec<String>>,
}

impl Side {
    fn one(s: &str) -> Side {
        Side {
            one: Some(s.to_string()),
            many: None,
        }
    }
    fn many(list: Vec<String>) -> Side {
        Side {
            one: None,
            many: Some(list),
        }
    }
    fn prefix_count(&self) -> usize {
        self.many.as_ref().map_or(0, Vec::len)
    }
}

/// One NSG security rule.
#[derive(Debug, Serialize)]
pub struct NsgRule {
    /// The rule's name in the NSG (the policy rule's, with `-Inbound` for
    /// the inbound half of a rule of both directions, and the service tag
    /// or family of a piece).
    pub name: String,
    /// The name as a Bicep symbol or Terraform label.
    pub symbol: String,
    /// Its priority (at most [`MAX_PRIORITY`]).
    pub priority: u16,
    /// `Outbound` or `Inbound`.
    pub direction: &'static str,
    /// `Allow` or `Deny`.
    pub access: &'static str,
    /// `Tcp`, `Udp`, `Icmp` or `*`.
    pub protocol: &'static str,
    /// Destination ports.
    pub ports: Side,
    /// The source: the remote side inbound, the local side outbound.
    pub source: Side,
    /// The destination: the local side inbound, the remote side outbound.
    pub destination: Side,
    /// The description (at most [`MAX_DESCRIPTION`] characters).
    pub description: String,
}

/// The remote side of one piece of a rule, before names and priorities.
struct Piece {
    suffix: Option<String>,
    remote: Side,
    what: String,
}

/// The context for the `azure-nsg` templates.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let policy = PolicyContext::new(job, target)?;
    let nsg_rules = plan(job, target)?;
    context_value(target, &NsgContext { policy, nsg_rules })
}

fn plan(job: &Job<'_>, target: &Target) -> Result<Vec<NsgRule>> {
    let limit = |message: String| Error::Limit {
        target: target.name.to_string(),
        message,
    };
    let mode = job.selection.policy.options.nsg_mode;
    let mut names = Namer::new(target.name, target.names);
    let mut symbols = Namer::new(target.name, SYMBOL_RULES);
    let mut out = Vec::new();
    let mut overflow: Option<String> = None;
    for dir in [Direction::Outbound, Direction::Inbound] {
        let mut rules: Vec<&SelectedRule<'_>> = job
            .selection
            .rules
            .iter()
            .filter(|r| r.rule.direction.expand().contains(&dir))
            .collect();
        rules.sort_by_key(|r| r.rule.priority);
        let mut next_free: u32 = 0;
        for sel in rules {
            let rule = &sel.rule;
            let base = if rule.direction == Direction::Both && dir == Direction::Inbound {
                format!("{}-Inbound", rule.name)
            } else {
                rule.name.clone()
            };
            let pieces = pieces(sel, mode);
            for piece in pieces {
                let wanted = u32::from(rule.priority).max(next_free);
                next_free = wanted + 1;
                let priority = u16::try_from(wanted).unwrap_or(u16::MAX);
                if priority > MAX_PRIORITY {
                    overflow.get_or_insert_with(|| {
                        format!(
                            "rule {:?} needs priority {priority} for {}, above the NSG maximum of {MAX_PRIORITY}; \
                             leave more room between rule priorities",
                            rule.name, piece.what
                        )
                    });
                }
                let name = names.name(&base, piece.suffix.as_deref())?;
                let symbol = symbols.name(&name, None)?;
                let local = Side::one(&rule.local.tag);
                let (source, destination) = match dir {
                    Direction::Inbound => (piece.remote, local),
                    _ => (local, piece.remote),
                };
                let ports = match rule.ports.len() {
                    0 => Side::one("*"),
                    1 => Side::one(&rule.ports[0].to_string()),
                    _ => Side::many(rule.ports.iter().map(ToString::to_string).collect()),
                };
                out.push(NsgRule {
                    description: description(job, sel, &piece.what),
                    name,
                    symbol,
                    priority,
                    direction: match dir {
                        Direction::Inbound => "Inbound",
                        _ => "Outbound",
                    },
                    access: match rule.action {
                        Action::Allow => "Allow",
                        Action::Deny => "Deny",
                    },
                    protocol: match rule.protocol {
                        Protocol::Tcp => "Tcp",
                        Protocol::Udp => "Udp",
                        Protocol::Icmp => "Icmp",
                        Protocol::Any => "*",
                    },
                    ports,
                    source,
                    destination,
                });
            }
        }
    }
    if out.len() > MAX_RULES {
        return Err(limit(format!(
            "the policy needs {} NSG rules; an NSG holds at most {MAX_RULES}",
            out.len()
        )));
    }
    if let Some(message) = overflow {
        return Err(limit(message));
    }
    let sources: usize = out.iter().map(|r| r.source.prefix_count()).sum();
    let destinations: usize = out.iter().map(|r| r.destination.prefix_count()).sum();
    for (side, count) in [("source", sources), ("destination", destinations)] {
        if count > MAX_PREFIXES_PER_SIDE {
            return Err(limit(format!(
                "the policy needs {count} {side} prefixes; an NSG holds at most \
                 {MAX_PREFIXES_PER_SIDE} (use nsg_mode = \"service-tag\" or fewer tags)"
            )));
        }
    }
    Ok(out)
}

/// Split a rule's remote side into what one NSG rule can hold.
fn pieces(sel: &SelectedRule<'_>, mode: NsgMode) -> Vec<Piece> {
    // A native tag covers both families, so it only stands for a rule of both.
    let native_ok = mode == NsgMode::ServiceTag && sel.rule.family == FamilyFilter::Both;
    let (native, explicit): (Vec<&&crate::model::Tag>, Vec<_>) =
        sel.tags.iter().partition(|t| native_ok && t.supports_nsg());
    let mut out = Vec::new();
    let single = native.len() == 1 && explicit.is_empty();
    for tag in &native {
        out.push(Piece {
            suffix: (!single).then(|| tag.name.clone()),
            remote: Side::one(&tag.name),
            what: format!("service tag {}", tag.name),
        });
    }
    if !explicit.is_empty() {
        let set = if native.is_empty() {
            sel.set.clone()
        } else {
            // Only the tags that cannot be named natively.
            let family = sel.rule.family;
            crate::aggregate::AddressSet::from_prefixes(
                explicit
                    .iter()
                    .flat_map(|t| t.prefixes.iter())
                    .filter(|n| match n {
                        ipnet::IpNet::V4(_) => family.v4(),
                        ipnet::IpNet::V6(_) => family.v6(),
                    }),
            )
        };
        let v4: Vec<String> = set.v4_strings();
        let v6: Vec<String> = set.v6_strings();
        for (label, list) in [("IPv4", v4), ("IPv6", v6)] {
            if !list.is_empty() {
                out.push(Piece {
                    suffix: Some(label.to_string()),
                    what: format!("{} {label} prefixes", list.len()),
                    remote: Side::many(list),
                });
            }
        }
    }
    out
}

fn description(job: &Job<'_>, sel: &SelectedRule<'_>, what: &str) -> String {
    let p = &job.provenance;
    let head = sel.rule.description.clone().unwrap_or_else(|| {
        sel.tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let text = format!("{head}: {what} ({}, tagwall)", p.cloud);
    text.chars()
        .map(|c| {
            if crate::model::is_unsafe_char(c) {
                ' '
            } else {
                c
            }
        })
        .take(MAX_DESCRIPTION)
        .collect()
}
