//! The nftables syntax tagwall writes in Rust rather than in a template:
//! the set definitions and rule lines (with `--all-tags` 5,661 sets and
//! 11,322 rule lines, written here in parallel, far faster than a template
//! walks them), the sets' refills in the admin's table (modes `sets` and
//! `chain`), the exempt lines and the priority. The table, the chains
//! around the lines and the delta's element lists are the templates'.

use super::{NFT_MAX_COMMENT, SetText};
use crate::policy::{Action, Protocol};
use crate::prefix::{push_v4_prefix, push_v6_prefix};
use crate::render::Job;
use crate::render::context::PrefixList;
use crate::render::helpers::Quote;
use crate::render::linux::{Family, Hook, Match, provenance};
use crate::select::SelectedRule;

/// A rule's provenance comment, quoted for nft.
pub(super) fn comment(sel: &SelectedRule<'_>, job: &Job<'_>) -> String {
    Quote::Dq.apply(&provenance(sel, job, NFT_MAX_COMMENT))
}

/// The set's definition inside the table, with its provenance in
/// comments, written straight from the prefixes' numbers.
pub(super) fn set_definition(set: &SetText) -> String {
    let mut text = with_room(set, "\t\t\t");
    let out = &mut text;
    push_provenance(out, set, "\t");
    out.push_str(&format!(
        "\tset {} {{\n\t\ttype {}\n\t\tflags interval\n\t\tcomment ",
        set.name,
        set_type(set.family)
    ));
    out.push_str(&set.comment);
    out.push_str("\n\t\telements = {\n");
    push_elements(out, &set.prefixes, "\t\t\t");
    out.push_str("\n\t\t}\n\t}\n");
    text
}

/// The set refilled in the admin's `table` (modes `sets` and `chain`), with
/// its provenance in comments: `add set` creates it when missing and is a
/// no-op when a set of that name, type and flags exists (the rules that use
/// it stay); `flush set` and `add element` then refill it in the file's
/// transaction. A set cannot be deleted while a rule uses it, so it is never
/// deleted and recreated.
pub(super) fn set_refill(set: &SetText, table: &str) -> String {
    let mut text = with_room(set, "\t");
    let out = &mut text;
    push_provenance(out, set, "");
    let name = &set.name;
    out.push_str(&format!(
        "add set inet {table} {name} {{ type {}; flags interval; comment ",
        set_type(set.family)
    ));
    out.push_str(&set.comment);
    out.push_str(&format!(
        "; }}\nflush set inet {table} {name}\nadd element inet {table} {name} {{\n"
    ));
    push_elements(out, &set.prefixes, "\t");
    out.push_str("\n}\n");
    text
}

/// The set's nft type.
fn set_type(family: Family) -> &'static str {
    match family {
        Family::V4 => "ipv4_addr",
        Family::V6 => "ipv6_addr",
    }
}

/// An empty text with room for the whole of `set`'s text at once (with
/// every tag the sets run to megabytes, and growing them step by step cost
/// more than writing them): the longest element, its separator and
/// `indent`, per prefix.
fn with_room(set: &SetText, indent: &str) -> String {
    let element = match set.family {
        Family::V4 => "255.255.255.255/32".len(),
        Family::V6 => "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128".len(),
    } + 2
        + indent.len();
    String::with_capacity(640 + set.comment.len() + element * set.prefixes.len())
}

/// `# rule NAME: N prefixes, from` and a `#` line per tag, after `indent`.
fn push_provenance(out: &mut String, set: &SetText, indent: &str) {
    out.push('\n');
    out.push_str(indent);
    out.push_str("# rule ");
    Quote::Comment.write(&set.label, out);
    out.push_str(&format!(": {} prefixes, from\n", set.prefixes.len()));
    for line in &set.provenance {
        out.push_str(indent);
        out.push_str("#   ");
        Quote::Comment.write(line, out);
        out.push('\n');
    }
}

/// The prefixes, one a line after `indent`, separated by commas.
fn push_elements(out: &mut String, prefixes: &PrefixList, indent: &str) {
    let mut first = true;
    let mut element = |out: &mut String| {
        if !first {
            out.push_str(",\n");
        }
        out.push_str(indent);
        first = false;
    };
    match prefixes {
        PrefixList::V4(list) => {
            for &(addr, len) in list {
                element(out);
                push_v4_prefix(out, addr, len);
            }
        }
        PrefixList::V6(list) => {
            for &(addr, len) in list {
                element(out);
                push_v6_prefix(out, addr, len);
            }
        }
    }
}

/// One whole rule line: the match, the verdict and `comment` (quoted).
/// Sized exactly: the context holds thousands of lines.
pub(super) fn rule_line(m: &Match<'_, '_>, set: &str, comment: &str) -> String {
    const COMMENT: &str = " comment ";
    let verdict = verdict(m.sel.rule.action);
    let mut line = rule_match(m, set);
    line.reserve_exact(1 + verdict.len() + COMMENT.len() + comment.len());
    line.push(' ');
    line.push_str(verdict);
    line.push_str(COMMENT);
    line.push_str(comment);
    line
}

/// The match expression of one rule line, without its verdict.
fn rule_match(m: &Match<'_, '_>, set: &str) -> String {
    let rule = &m.sel.rule;
    let ip = match m.family {
        Family::V4 => "ip",
        Family::V6 => "ip6",
    };
    let (remote, local) = if m.outbound() {
        ("daddr", "saddr")
    } else {
        ("saddr", "daddr")
    };
    let mut parts = Vec::new();
    if m.hook == Hook::Forward
        && let Some(interface) = &rule.local.interface
    {
        let side = if m.outbound() { "iifname" } else { "oifname" };
        parts.push(format!("{side} \"{interface}\""));
    }
    if !m.local.is_empty() {
        parts.push(format!("{ip} {local} {{ {} }}", m.local.join(", ")));
    }
    parts.push(format!("{ip} {remote} @{set}"));
    match (rule.protocol, m.family) {
        (Protocol::Tcp | Protocol::Udp, _) if !rule.ports.is_empty() => {
            let ports: Vec<String> = rule.ports.iter().map(ToString::to_string).collect();
            let ports = match ports.as_slice() {
                [one] => one.clone(),
                _ => format!("{{ {} }}", ports.join(", ")),
            };
            parts.push(format!("{} dport {ports}", rule.protocol.as_str()));
        }
        (Protocol::Tcp | Protocol::Udp, _) => {
            parts.push(format!("meta l4proto {}", rule.protocol.as_str()))
        }
        (Protocol::Icmp, Family::V4) => parts.push("meta l4proto icmp".into()),
        (Protocol::Icmp, Family::V6) => parts.push("meta l4proto ipv6-icmp".into()),
        (Protocol::Any, _) => {}
    }
    parts.join(" ")
}

fn verdict(action: Action) -> &'static str {
    match action {
        Action::Allow => "accept",
        Action::Deny => "drop",
    }
}

/// The lines that accept, ahead of the rules, what must pass when
/// unmatched traffic is dropped: replies, loopback and (not when
/// forwarding) IPv6 neighbour discovery.
pub(super) fn exempt(hook: Hook) -> Vec<&'static str> {
    let mut e = vec!["ct state established,related accept"];
    match hook {
        Hook::Input => e.push("iif \"lo\" accept"),
        Hook::Output => e.push("oif \"lo\" accept"),
        Hook::Forward => {}
    }
    if hook != Hook::Forward {
        e.push(
            "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, \
             nd-router-solicit, nd-router-advert } accept",
        );
    }
    e
}

/// A base chain's priority relative to `filter`.
pub(super) fn priority(p: i16) -> String {
    match p {
        0 => "filter".to_string(),
        p if p > 0 => format!("filter + {p}"),
        p => format!("filter - {}", p.unsigned_abs()),
    }
}
