//! The Linux targets: nftables, and iptables with ipset.
//!
//! Both start from [`generic_head`] (they never read the generic rule lists)
//! and add a plan in the kernel's terms:
//! one set per rule and family, and per netfilter hook (input, forward,
//! output) the ordered rule lines that match the sets. An outbound rule
//! matches the set against the destination, in the output hook (the host's
//! own traffic) and the forward hook (a gateway's); an inbound rule matches
//! the source, in the input and forward hooks. A rule with a local interface
//! names the interface the local side sits behind, so it only applies to
//! forwarded traffic. Rules keep the policy's order (by priority).
//!
//! Loads are atomic where the kernel allows it: an nftables file is one
//! transaction; an ipset set is refilled in a temporary set and swapped in.
//! A delta turns what the previous release loaded into this release:
//! element by element where the sets are the same ones, whole otherwise.

use super::helpers::{Quote, dq_char};
use super::{Job, Target, generic_head, minus};
use crate::error::{Error, Result};
use crate::policy::{Action, Direction, Protocol, Unmatched};
use crate::prefix::{push_v4_prefix, push_v6_prefix};
use crate::select::SelectedRule;
use ipnet::IpNet;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Longest nftables comment (`NFTNL_UDATA_COMMENT_MAXLEN`).
pub const NFT_MAX_COMMENT: usize = 128;
/// Longest iptables comment (`XT_MAX_COMMENT_LEN` less its NUL).
pub const IPT_MAX_COMMENT: usize = 255;
/// Longest ipset name (`IPSET_MAXNAMELEN` less its NUL).
pub const IPSET_MAX_NAME: usize = 31;
/// Appended to a set's name for the temporary set that is filled and swapped in.
pub const IPSET_TMP_SUFFIX: &str = "-tmp";
/// Smallest `maxelem` written (the ipset default).
pub const IPSET_MIN_MAXELEM: usize = 65_536;
/// Smallest `hashsize` ipset accepts.
pub const IPSET_MIN_HASHSIZE: usize = 64;
/// Ports one `-m multiport` match holds (a range counts twice).
pub const MULTIPORT_MAX: usize = 15;

/// A netfilter hook tagwall attaches chains to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hook {
    Input,
    Forward,
    Output,
}

impl Hook {
    const ALL: [Hook; 3] = [Hook::Input, Hook::Forward, Hook::Output];

    fn name(self) -> &'static str {
        match self {
            Hook::Input => "input",
            Hook::Forward => "forward",
            Hook::Output => "output",
        }
    }

    fn builtin(self) -> &'static str {
        match self {
            Hook::Input => "INPUT",
            Hook::Forward => "FORWARD",
            Hook::Output => "OUTPUT",
        }
    }
}

/// An address family, as the Linux tools spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn short(self) -> &'static str {
        match self {
            Family::V4 => "v4",
            Family::V6 => "v6",
        }
    }
    fn of(net: &IpNet) -> Family {
        match net {
            IpNet::V4(_) => Family::V4,
            IpNet::V6(_) => Family::V6,
        }
    }
}

/// One rule of the policy matched in one hook and family.
struct Match<'s, 'a> {
    /// The rule's position in the selection.
    index: usize,
    sel: &'s SelectedRule<'a>,
    family: Family,
    direction: Direction,
    hook: Hook,
    /// The rule's local prefixes of this family (empty: any address).
    local: Vec<String>,
}

impl Match<'_, '_> {
    fn outbound(&self) -> bool {
        self.direction == Direction::Outbound
    }
}

/// Every match of the policy, hook by hook, in the policy's order.
fn plan<'s, 'a>(rules: &'s [SelectedRule<'a>]) -> Vec<Match<'s, 'a>> {
    let mut ordered: Vec<(usize, &SelectedRule<'a>)> = rules.iter().enumerate().collect();
    ordered.sort_by_key(|(_, r)| r.rule.priority);
    let mut out = Vec::new();
    for hook in Hook::ALL {
        for &(index, sel) in &ordered {
            let rule = &sel.rule;
            for &direction in rule.direction.expand() {
                let applies = match (direction, hook) {
                    (_, Hook::Forward) => true,
                    (Direction::Outbound, Hook::Output) | (Direction::Inbound, Hook::Input) => {
                        rule.local.interface.is_none()
                    }
                    _ => false,
                };
                if !applies {
                    continue;
                }
                for family in [Family::V4, Family::V6] {
                    let has_set = match family {
                        Family::V4 => !sel.set.v4.is_empty(),
                        Family::V6 => !sel.set.v6.is_empty(),
                    };
                    let local: Vec<String> = rule
                        .local
                        .prefixes
                        .iter()
                        .filter(|p| Family::of(p) == family)
                        .map(ToString::to_string)
                        .collect();
                    // Local prefixes of the other family only: nothing local to match.
                    if !has_set || (local.is_empty() && !rule.local.prefixes.is_empty()) {
                        continue;
                    }
                    out.push(Match {
                        index,
                        sel,
                        family,
                        direction,
                        hook,
                        local,
                    });
                }
            }
        }
    }
    out
}

/// Text for a kernel comment: printable ASCII with no `"` or `\`, at most `max` bytes.
fn clean(text: &str, max: usize) -> String {
    text.chars().map(dq_char).take(max).collect()
}

/// A comment that says where a rule's addresses come from, within `max` bytes:
/// the rule, its tags with their change numbers, the cloud and the file's change number.
fn provenance(sel: &SelectedRule<'_>, job: &Job<'_>, max: usize) -> String {
    let head = format!("{}: ", sel.rule.name);
    let tail = format!(
        "; {} changeNumber {}",
        job.provenance.cloud, job.provenance.change_number
    );
    let tags: Vec<String> = sel
        .tags
        .iter()
        .map(|t| format!("{} ({})", t.name, t.change_number))
        .collect();
    let mut kept = tags.len();
    let text = loop {
        let mut text = head.clone() + &tags[..kept].join(", ");
        if kept < tags.len() {
            let sep = if kept > 0 { ", " } else { "" };
            text += &format!("{sep}+{} more", tags.len() - kept);
        }
        text += &tail;
        if text.len() <= max || kept == 0 {
            break text;
        }
        kept -= 1;
    };
    clean(&text, max)
}

/// The full provenance of a rule for `#` comment lines.
fn provenance_lines(sel: &SelectedRule<'_>) -> Vec<String> {
    sel.tags
        .iter()
        .map(|t| {
            let region = if t.region.is_empty() {
                "global".to_string()
            } else {
                format!("region {}", t.region)
            };
            format!("{} ({region}, changeNumber {})", t.name, t.change_number)
        })
        .collect()
}

/// The rule's name, with its description when the policy gives one.
fn rule_label(sel: &SelectedRule<'_>) -> String {
    let rule = &sel.rule;
    let text = match &rule.description {
        Some(d) => format!("{} ({d})", rule.name),
        None => rule.name.clone(),
    };
    clean(&text, 256)
}

/// Kernel set names by rule, in selection order: the IPv4 set's and the
/// IPv6 set's.
struct SetNames {
    /// This release's rules.
    current: Vec<[String; 2]>,
    /// The previous release's rules (none without a previous release).
    previous: Vec<[String; 2]>,
}

impl Family {
    /// The family's place in a `[v4, v6]` pair.
    fn slot(self) -> usize {
        match self {
            Family::V4 => 0,
            Family::V6 => 1,
        }
    }
}

/// Run `work` with the kernel set names of both releases' rules. Meanwhile
/// every name of this release and the previous one is claimed in order, and
/// two rules whose names map to one kernel name are refused (after `work`,
/// whose result is then dropped). The names are mapped in parallel.
fn with_set_names<T: Send>(
    target: &Target,
    job: &Job<'_>,
    work: impl FnOnce(&SetNames) -> T + Send,
) -> Result<T> {
    const SUFFIXES: [Option<Family>; 3] = [None, Some(Family::V4), Some(Family::V6)];
    let previous = job.previous.iter().flat_map(|p| p.selection.rules.iter());
    let rules: Vec<&str> = job
        .selection
        .rules
        .iter()
        .chain(previous)
        .map(|sel| sel.rule.name.as_str())
        .collect();
    let mapped: Vec<[String; 3]> = rules
        .par_iter()
        .map(|name| SUFFIXES.map(|f| target.names.map(name, f.map(Family::short))))
        .collect();
    let claim = || -> Result<()> {
        let mut namer = super::names::Namer::new(target.name, target.names);
        for (name, mapped) in rules.iter().zip(&mapped) {
            for (family, m) in SUFFIXES.into_iter().zip(mapped) {
                namer.claim(name, family.map(Family::short), m.clone())?;
            }
        }
        Ok(())
    };
    let sets = |mapped: &[[String; 3]]| -> Vec<[String; 2]> {
        mapped
            .iter()
            .map(|[_, v4, v6]| [v4.clone(), v6.clone()])
            .collect()
    };
    let (current, previous) = mapped.split_at(job.selection.rules.len());
    let names = SetNames {
        current: sets(current),
        previous: sets(previous),
    };
    let (claimed, done) = rayon::join(claim, || work(&names));
    claimed.map(|()| done)
}

fn has(sel: &SelectedRule<'_>, family: Family) -> bool {
    match family {
        Family::V4 => !sel.set.v4.is_empty(),
        Family::V6 => !sel.set.v6.is_empty(),
    }
}

fn prefixes(sel: &SelectedRule<'_>, family: Family) -> Vec<String> {
    match family {
        Family::V4 => sel.set.v4_strings(),
        Family::V6 => sel.set.v6_strings(),
    }
}

/// A set's prefixes per set name, for the previous release.
fn old_sets(job: &Job<'_>, names: &SetNames) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    if let Some(prev) = &job.previous {
        for (sel, pair) in prev.selection.rules.iter().zip(&names.previous) {
            for family in [Family::V4, Family::V6] {
                let list = prefixes(sel, family);
                if !list.is_empty() {
                    out.insert(pair[family.slot()].clone(), list);
                }
            }
        }
    }
    out
}

fn limit(target: &Target, message: String) -> Error {
    Error::Limit {
        target: target.name.to_string(),
        message,
    }
}

// ---------------------------------------------------------------- nftables

/// One nftables set: a rule's addresses of one family.
struct NftSet<'s, 'a> {
    name: String,
    /// The rule's position in the selection.
    index: usize,
    family: Family,
    sel: &'s SelectedRule<'a>,
}

impl NftSet<'_, '_> {
    /// The set's definition inside the table, with its provenance in
    /// comments, written straight from the address set (no list of strings).
    /// `comment` is the set's comment, quoted.
    fn write(&self, comment: &str, out: &mut String) {
        let (kind, v4, v6) = match self.family {
            Family::V4 => ("ipv4_addr", self.sel.set.v4.prefixes(), Vec::new()),
            Family::V6 => ("ipv6_addr", Vec::new(), self.sel.set.v6.prefixes()),
        };
        let count = v4.len() + v6.len();
        out.push_str("\n\t# rule ");
        Quote::Comment.write(&rule_label(self.sel), out);
        out.push_str(&format!(": {count} prefixes, from\n"));
        for line in provenance_lines(self.sel) {
            out.push_str("\t#   ");
            Quote::Comment.write(&line, out);
            out.push('\n');
        }
        out.push_str(&format!(
            "\tset {} {{\n\t\ttype {kind}\n\t\tflags interval\n\t\tcomment ",
            self.name
        ));
        out.push_str(comment);
        out.push_str("\n\t\telements = {\n");
        let mut first = true;
        let mut element = |out: &mut String| {
            out.push_str(if first { "\t\t\t" } else { ",\n\t\t\t" });
            first = false;
        };
        for (addr, len) in v4 {
            element(out);
            push_v4_prefix(out, addr, len);
        }
        for (addr, len) in v6 {
            element(out);
            push_v6_prefix(out, addr, len);
        }
        out.push_str("\n\t\t}\n\t}\n");
    }
}

/// Every set's definition, in order, written in parallel: with `--all-tags`
/// a table holds thousands of sets, too many to walk in a template.
fn nft_set_definitions(sets: &[NftSet<'_, '_>], comments: &[String]) -> Vec<String> {
    sets.par_iter()
        .map(|set| {
            let mut out = String::new();
            set.write(&comments[set.index], &mut out);
            out
        })
        .collect()
}

struct NftChain {
    name: &'static str,
    hook: &'static str,
    /// Accepts that come before the rules when unmatched traffic is dropped.
    exempt: Vec<&'static str>,
    /// Whole rule lines: match, verdict and comment (with `--all-tags`
    /// thousands, so they are written here and joined by the template).
    /// JSON strings already, so that the context takes them without a copy.
    rules: Vec<Value>,
}

impl NftChain {
    fn into_value(self) -> Value {
        let mut chain = json!({"name": self.name, "hook": self.hook, "exempt": self.exempt});
        chain["rules"] = Value::Array(self.rules);
        chain
    }
}

#[derive(Serialize)]
struct NftDeltaSet {
    name: String,
    added: Vec<String>,
    removed: Vec<String>,
}

/// The match expression of one rule line, without its verdict.
fn nft_match(m: &Match<'_, '_>, set: &str) -> String {
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

fn verdict(action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Allow => ("accept", "ACCEPT"),
        Action::Deny => ("drop", "DROP"),
    }
}

/// The context for the `nftables` templates: the generic one plus `nft`.
///
/// ```text
/// nft  {table, priority ("filter", "filter + 10"), policy (accept|drop), unmatched,
///       comment, sets[] (each set's whole definition, see NftSet::write),
///       chains[]{name, hook, exempt[], rules[] (whole rule lines)},
///       delta: null, or {patch, sets[]{name, added[], removed[]}}}
/// ```
///
/// `delta.patch` is true when this release has exactly the sets the previous
/// one loaded: the delta then adds and deletes elements. Otherwise the rules
/// changed shape too, and the delta file replaces the table whole.
pub fn nftables_context(job: &Job<'_>, target: &Target) -> Result<Value> {
    with_set_names(target, job, |names| nft_context(job, target, names))?
}

fn nft_context(job: &Job<'_>, target: &Target, names: &SetNames) -> Result<Value> {
    let mut ctx = generic_head(job);
    let options = &job.selection.policy.targets.nftables;
    let mut sets = Vec::new();
    for (index, sel) in job.selection.rules.iter().enumerate() {
        for family in [Family::V4, Family::V6] {
            if has(sel, family) {
                sets.push(NftSet {
                    name: names.current[index][family.slot()].clone(),
                    index,
                    family,
                    sel,
                });
            }
        }
    }
    let drop = options.unmatched == Unmatched::Drop;
    let mut chains: Vec<NftChain> = Hook::ALL
        .iter()
        .map(|&hook| NftChain {
            name: hook.name(),
            hook: hook.name(),
            exempt: if drop {
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
            } else {
                Vec::new()
            },
            rules: Vec::new(),
        })
        .collect();
    // Each rule's provenance comment, quoted once for its sets and its lines.
    let comments: Vec<String> = job
        .selection
        .rules
        .par_iter()
        .map(|sel| Quote::Dq.apply(&provenance(sel, job, NFT_MAX_COMMENT)))
        .collect();
    let lines: Vec<(Hook, String)> = plan(&job.selection.rules)
        .par_iter()
        .map(|m| {
            let set = &names.current[m.index][m.family.slot()];
            let mut line = nft_match(m, set);
            line.push(' ');
            line.push_str(verdict(m.sel.rule.action).0);
            line.push_str(" comment ");
            line.push_str(&comments[m.index]);
            (m.hook, line)
        })
        .collect();
    for (hook, line) in lines {
        let chain = chains
            .iter_mut()
            .find(|c| c.hook == hook.name())
            .ok_or_else(|| limit(target, format!("no chain for hook {}", hook.name())))?;
        chain.rules.push(Value::String(line));
    }
    let delta = job.previous.as_ref().map(|_| {
        let old = old_sets(job, names);
        let new: BTreeSet<&String> = sets.iter().map(|s| &s.name).collect();
        let patch = old.keys().collect::<BTreeSet<_>>() == new;
        let sets: Vec<NftDeltaSet> = if patch {
            sets.iter()
                .map(|s| {
                    let before = old.get(&s.name).map(Vec::as_slice).unwrap_or_default();
                    let now = prefixes(s.sel, s.family);
                    NftDeltaSet {
                        name: s.name.clone(),
                        added: minus(&now, before),
                        removed: minus(before, &now),
                    }
                })
                .filter(|d| !d.added.is_empty() || !d.removed.is_empty())
                .collect()
        } else {
            Vec::new()
        };
        json!({"patch": patch, "sets": sets})
    });
    let p = options.priority;
    let priority = match p {
        0 => "filter".to_string(),
        p if p > 0 => format!("filter + {p}"),
        p => format!("filter - {}", p.unsigned_abs()),
    };
    let comment = clean(
        &format!(
            "tagwall: {} ({} changeNumber {})",
            job.provenance.file, job.provenance.cloud, job.provenance.change_number
        ),
        NFT_MAX_COMMENT,
    );
    let defs = nft_set_definitions(&sets, &comments);
    let mut nft = json!({
        "table": options.table,
        "priority": priority,
        "policy": if drop { "drop" } else { "accept" },
        "unmatched": options.unmatched.as_str(),
        "comment": comment,
        "delta": delta,
    });
    // The long lists move into the context (`json!` would copy them).
    nft["sets"] = Value::Array(defs.into_iter().map(Value::String).collect());
    nft["chains"] = Value::Array(chains.into_iter().map(NftChain::into_value).collect());
    ctx["nft"] = nft;
    Ok(ctx)
}

// ---------------------------------------------------------------- iptables

#[derive(Serialize)]
struct IptRule {
    args: String,
    verdict: &'static str,
    comment: String,
}

#[derive(Serialize)]
struct IptChain {
    name: String,
    builtin: &'static str,
    exempt: Vec<String>,
    rules: Vec<IptRule>,
    /// `DROP` when unmatched traffic is dropped, else nothing.
    last: Option<&'static str>,
}

#[derive(Serialize, Clone)]
struct IpSet {
    name: String,
    tmp: String,
    family: &'static str,
    hashsize: usize,
    maxelem: usize,
    /// The maxelem of the set as it is loaded now (for `create -exist`).
    loaded_maxelem: usize,
    count: usize,
    rule: String,
    tags: Vec<String>,
    prefixes: Vec<String>,
}

#[derive(Serialize)]
struct IpSetPatch {
    name: String,
    added: Vec<String>,
    removed: Vec<String>,
}

/// `maxelem` for a set of `count` prefixes: twice the count, rounded up to a
/// power of two, and at least the ipset default. The rounding keeps it the
/// same from release to release (`create -exist` fails on a set of another
/// maxelem) while leaving room to grow by deltas.
///
/// ```
/// use tagwall::render::linux::ipset_maxelem;
/// assert_eq!(ipset_maxelem(10), 65_536);
/// assert_eq!(ipset_maxelem(40_000), 131_072);
/// ```
pub fn ipset_maxelem(count: usize) -> usize {
    count
        .saturating_mul(2)
        .next_power_of_two()
        .max(IPSET_MIN_MAXELEM)
}

/// Initial `hashsize` for `count` prefixes (the kernel grows it as needed).
fn ipset_hashsize(count: usize) -> usize {
    count.next_power_of_two().clamp(IPSET_MIN_HASHSIZE, 65_536)
}

/// Port matches for one iptables line each: `-m multiport` takes at most 15
/// ports, a range counting twice.
fn ipt_ports(rule: &crate::policy::Rule) -> Vec<String> {
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
fn ipt_lines(m: &Match<'_, '_>, set: &str) -> Vec<String> {
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
        (Protocol::Tcp | Protocol::Udp, _) => ipt_ports(rule),
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

fn ipset_of(name: String, sel: &SelectedRule<'_>, family: Family, list: Vec<String>) -> IpSet {
    IpSet {
        tmp: format!("{name}{IPSET_TMP_SUFFIX}"),
        name,
        family: match family {
            Family::V4 => "inet",
            Family::V6 => "inet6",
        },
        hashsize: ipset_hashsize(list.len()),
        maxelem: ipset_maxelem(list.len()),
        loaded_maxelem: ipset_maxelem(list.len()),
        count: list.len(),
        rule: rule_label(sel),
        tags: provenance_lines(sel),
        prefixes: list,
    }
}

/// The context for the `iptables` templates: the generic one plus `ipt`.
///
/// ```text
/// ipt  {chain, unmatched, sets[]{name, tmp, family, hashsize, maxelem,
///       loaded_maxelem, count, rule, tags[], prefixes[]},
///       v4, v6: {chains[]{name, builtin, exempt[], rules[]{args, verdict, comment}, last}},
///       hooks[]{tool, builtin, chain},
///       delta: null, or {patch[]{name, added[], removed[]}, replace[] (sets, as above),
///                        gone[] (names), reload_rules}}
/// ```
///
/// A delta patches a set element by element when it existed before and its
/// new size fits its maxelem; a new or outgrown set is filled and swapped in
/// whole; a set whose rule is gone is flushed, and `reload_rules` says the
/// iptables rules must be reloaded from this release.
pub fn iptables_context(job: &Job<'_>, target: &Target) -> Result<Value> {
    with_set_names(target, job, |names| ipt_context(job, target, names))?
}

fn ipt_context(job: &Job<'_>, target: &Target, names: &SetNames) -> Result<Value> {
    let mut ctx = generic_head(job);
    let options = &job.selection.policy.targets.iptables;
    let mut sets = Vec::new();
    for (index, sel) in job.selection.rules.iter().enumerate() {
        for family in [Family::V4, Family::V6] {
            let list = prefixes(sel, family);
            if !list.is_empty() {
                let name = names.current[index][family.slot()].clone();
                sets.push(ipset_of(name, sel, family, list));
            }
        }
    }
    if let Some(long) = sets.iter().find(|s| s.tmp.len() > IPSET_MAX_NAME) {
        return Err(limit(
            target,
            format!(
                "ipset name {:?} is longer than {IPSET_MAX_NAME} characters",
                long.tmp
            ),
        ));
    }
    let drop = options.unmatched == Unmatched::Drop;
    let chains_for = |family: Family| -> Vec<IptChain> {
        Hook::ALL
            .iter()
            .map(|&hook| {
                let mut exempt = Vec::new();
                if drop {
                    exempt.push("-m conntrack --ctstate ESTABLISHED,RELATED".to_string());
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
                }
                IptChain {
                    name: format!("{}-{}", options.chain, hook.builtin()),
                    builtin: hook.builtin(),
                    exempt,
                    rules: Vec::new(),
                    last: drop.then_some("DROP"),
                }
            })
            .collect()
    };
    let mut v4 = chains_for(Family::V4);
    let mut v6 = chains_for(Family::V6);
    for m in plan(&job.selection.rules) {
        let set = &names.current[m.index][m.family.slot()];
        let chains = match m.family {
            Family::V4 => &mut v4,
            Family::V6 => &mut v6,
        };
        let name = format!("{}-{}", options.chain, m.hook.builtin());
        let comment = provenance(m.sel, job, IPT_MAX_COMMENT);
        if let Some(chain) = chains.iter_mut().find(|c| c.name == name) {
            for args in ipt_lines(&m, set) {
                chain.rules.push(IptRule {
                    args,
                    verdict: verdict(m.sel.rule.action).1,
                    comment: comment.clone(),
                });
            }
        }
    }
    let hooks: Vec<Value> = ["iptables", "ip6tables"]
        .iter()
        .flat_map(|tool| {
            Hook::ALL.iter().map(move |h| {
                json!({"tool": tool, "builtin": h.builtin(),
                       "chain": format!("{}-{}", options.chain, h.builtin())})
            })
        })
        .collect();
    let delta = job.previous.as_ref().map(|_| {
        let old = old_sets(job, names);
        let mut patch = Vec::new();
        let mut replace = Vec::new();
        for s in &sets {
            match old.get(&s.name) {
                Some(before) if ipset_maxelem(before.len()) >= s.count => {
                    let p = IpSetPatch {
                        name: s.name.clone(),
                        added: minus(&s.prefixes, before),
                        removed: minus(before, &s.prefixes),
                    };
                    if !p.added.is_empty() || !p.removed.is_empty() {
                        patch.push(p);
                    }
                }
                Some(before) => {
                    // Outgrown: the kernel cannot raise maxelem in place.
                    let mut grown = s.clone();
                    grown.loaded_maxelem = ipset_maxelem(before.len());
                    replace.push(grown);
                }
                None => replace.push(s.clone()),
            }
        }
        let current: BTreeSet<&String> = sets.iter().map(|s| &s.name).collect();
        let gone: Vec<&String> = old.keys().filter(|n| !current.contains(n)).collect();
        let reload_rules = !gone.is_empty() || sets.iter().any(|s| !old.contains_key(&s.name));
        json!({"patch": patch, "replace": replace, "gone": gone, "reload_rules": reload_rules})
    });
    ctx["ipt"] = json!({
        "chain": options.chain,
        "tmp_suffix": IPSET_TMP_SUFFIX,
        "unmatched": options.unmatched.as_str(),
        "sets": sets,
        "v4": {"chains": v4, "tool": "iptables", "file": "iptables.rules"},
        "v6": {"chains": v6, "tool": "ip6tables", "file": "ip6tables.rules"},
        "hooks": hooks,
        "delta": delta,
    });
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PortRange, Rule};

    fn rule(protocol: Protocol, ports: &[(u16, u16)]) -> Rule {
        let mut r = crate::policy::Policy::builtin().rules[0].clone();
        r.protocol = protocol;
        r.ports = ports
            .iter()
            .map(|&(start, end)| PortRange { start, end })
            .collect();
        r
    }

    #[test]
    fn multiport_holds_fifteen_ports_a_range_counting_twice() {
        assert_eq!(ipt_ports(&rule(Protocol::Udp, &[])), ["-p udp"]);
        assert_eq!(
            ipt_ports(&rule(Protocol::Tcp, &[(8000, 8080)])),
            ["-p tcp --dport 8000:8080"]
        );
        let mut ports: Vec<(u16, u16)> = (1..=13).map(|p| (p, p)).collect();
        ports.push((100, 200));
        assert_eq!(
            ipt_ports(&rule(Protocol::Tcp, &ports)),
            ["-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,100:200"]
        );
        ports.insert(0, (20, 20));
        assert_eq!(
            ipt_ports(&rule(Protocol::Tcp, &ports)),
            [
                "-p tcp -m multiport --dports 20,1,2,3,4,5,6,7,8,9,10,11,12,13",
                "-p tcp -m multiport --dports 100:200"
            ]
        );
    }

    #[test]
    fn comments_are_clean_and_short() {
        assert_eq!(clean("a\"b\\c\u{e9}\n", 100), "a'b/c??");
        assert_eq!(clean(&"x".repeat(300), NFT_MAX_COMMENT).len(), 128);
    }

    #[test]
    fn maxelem_only_moves_past_powers_of_two() {
        assert_eq!(ipset_maxelem(0), IPSET_MIN_MAXELEM);
        assert_eq!(ipset_maxelem(32_768), 65_536);
        assert_eq!(ipset_maxelem(32_769), 131_072);
        assert_eq!(ipset_hashsize(3), 64);
        assert_eq!(ipset_hashsize(1000), 1024);
    }
}
