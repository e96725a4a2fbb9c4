//! The iptables and ipset syntax tagwall writes in Rust rather than in a
//! template: the match arguments of the rule lines (with `--all-tags`
//! 11,322 of them, and one policy rule can need several: one per local
//! prefix and per multiport group), the exempt matches, and the names of
//! chains, tools, verdicts and set families. The files' structure, the
//! `-A`, `-j` and `-m comment` around each line and the ipset commands are
//! the templates'.

use super::MULTIPORT_MAX;
use crate::policy::{Action, Protocol, Rule};
use crate::render::linux::{Family, Hook, Match};

/// The built-in chain of a hook.
pub(super) fn builtin(hook: Hook) -> &'static str {
    match hook {
        Hook::Input => "INPUT",
        Hook::Forward => "FORWARD",
        Hook::Output => "OUTPUT",
    }
}

/// tagwall's chain for a hook: the policy's prefix, a dash, the built-in chain.
pub(super) fn chain(prefix: &str, hook: Hook) -> String {
    format!("{prefix}-{}", builtin(hook))
}

/// The tool that loads a family's rules.
pub(super) fn tool(family: Family) -> &'static str {
    match family {
        Family::V4 => "iptables",
        Family::V6 => "ip6tables",
    }
}

/// An ipset set's family.
pub(super) fn set_family(family: Family) -> &'static str {
    match family {
        Family::V4 => "inet",
        Family::V6 => "inet6",
    }
}

pub(super) fn verdict(action: Action) -> &'static str {
    match action {
        Action::Allow => "ACCEPT",
        Action::Deny => "DROP",
    }
}

/// The matches accepted ahead of the rules when unmatched traffic is
/// dropped: replies, loopback and (IPv6, not when forwarding) neighbour
/// discovery.
pub(super) fn exempt(hook: Hook, family: Family) -> Vec<String> {
    let mut exempt = vec!["-m conntrack --ctstate ESTABLISHED,RELATED".to_string()];
    match hook {
        Hook::Input => exempt.push("-i lo".into()),
        Hook::Output => exempt.push("-o lo".into()),
        Hook::Forward => {}
    }
    if family == Family::V6 && hook != Hook::Forward {
        for t in [
            "neighbour-solicitation",
            "neighbour-advertisement",
            "router-solicitation",
            "router-advertisement",
        ] {
            exempt.push(format!("-p ipv6-icmp --icmpv6-type {t}"));
        }
    }
    exempt
}

/// Port matches for one iptables line each: `-m multiport` takes at most 15
/// ports, a range counting twice.
pub(super) fn ports(rule: &Rule) -> Vec<String> {
    let proto = rule.protocol.as_str();
    if rule.ports.is_empty() {
        return vec![format!("-p {proto}")];
    }
    if let [one] = rule.ports.as_slice() {
        let port = if one.start == one.end {
            one.start.to_string()
        } else {
            format!("{}:{}", one.start, one.end)
        };
        return vec![format!("-p {proto} --dport {port}")];
    }
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    let mut used = 0;
    for p in &rule.ports {
        let (text, cost) = if p.start == p.end {
            (p.start.to_string(), 1)
        } else {
            (format!("{}:{}", p.start, p.end), 2)
        };
        if used + cost > MULTIPORT_MAX {
            groups.push(Vec::new());
            used = 0;
        }
        used += cost;
        if let Some(g) = groups.last_mut() {
            g.push(text);
        }
    }
    groups
        .into_iter()
        .map(|g| format!("-p {proto} -m multiport --dports {}", g.join(",")))
        .collect()
}

/// The argument lines (without `-A CHAIN`, comment and verdict) of one match.
pub(super) fn rule_args(m: &Match<'_, '_>, set: &str) -> Vec<String> {
    let rule = &m.sel.rule;
    let mut head = String::new();
    if m.hook == Hook::Forward
        && let Some(interface) = &rule.local.interface
    {
        head += if m.outbound() { "-i " } else { "-o " };
        head += interface;
        head += " ";
    }
    let locals: Vec<String> = if m.local.is_empty() {
        vec![String::new()]
    } else {
        let flag = if m.outbound() { "-s" } else { "-d" };
        m.local.iter().map(|p| format!("{flag} {p} ")).collect()
    };
    let protos: Vec<String> = match (rule.protocol, m.family) {
        (Protocol::Tcp | Protocol::Udp, _) => ports(rule),
        (Protocol::Icmp, Family::V4) => vec!["-p icmp".into()],
        (Protocol::Icmp, Family::V6) => vec!["-p ipv6-icmp".into()],
        (Protocol::Any, _) => vec![String::new()],
    };
    let side = if m.outbound() { "dst" } else { "src" };
    let mut out = Vec::new();
    for local in &locals {
        for proto in &protos {
            let proto = if proto.is_empty() {
                String::new()
            } else {
                format!("{proto} ")
            };
            out.push(format!(
                "{head}{local}{proto}-m set --match-set {set} {side}"
            ));
        }
    }
    out
}
