//! The iptables target: one ipset `hash:net` set per rule and family,
//! refilled in a temporary set and swapped in, and iptables/ip6tables rules
//! that match the sets, in chains of tagwall's own (one per built-in chain,
//! jumped to from its top). In mode `sets` (`[targets.iptables] mode`) the
//! sets only, for the admin's own rules to match: no rules file is written.
//!
//! [`build`] makes the context the templates `templates/iptables/*.hbs`
//! read, as the typed [`IptablesContext`]. The argument lines of the rules
//! and the exempt lines in it are finished iptables text, written by its
//! `syntax` module: the one place where this target's rule syntax lives
//! outside the templates.

use super::{
    Family, Hook, SetNames, gone_sets, limit, plan, prefixes, provenance, provenance_lines,
    rule_label, set_delta, with_set_names,
};
use crate::error::Result;
use crate::policy::{IptMode, Unmatched};
use crate::render::items::Items;
use crate::render::{Job, PlanHead, Target, context_value};
use crate::select::SelectedRule;
use serde::Serialize;
use serde_json::Value;

/// Where this target's rule syntax is written in Rust.
mod syntax;

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
/// Largest initial `hashsize` written (the kernel grows it as needed).
pub const IPSET_MAX_HASHSIZE: usize = 65_536;
/// Ports one `-m multiport` match holds (a range counts twice).
pub const MULTIPORT_MAX: usize = 15;

/// What the `iptables` templates see.
#[derive(Serialize)]
pub struct IptablesContext<'a> {
    /// `tool`, `source` and `previous`, as every target's context has them.
    #[serde(flatten)]
    pub head: PlanHead<'a>,
    /// The sets and rules tagwall writes.
    pub ipt: Ipt<'a>,
}

/// The ipset sets, the iptables and ip6tables rules, and the delta from the
/// previous release.
#[derive(Serialize)]
pub struct Ipt<'a> {
    /// What the files hold, from the policy's `[targets.iptables] mode`:
    /// `chains` (the sets and the rules) or `sets` (the sets only; the rules
    /// files are not written, and `v4`, `v6` and `hooks` are empty).
    pub mode: &'static str,
    /// The chains' prefix, from the policy's `[targets.iptables] chain`
    /// (`TAGWALL` by default, giving `TAGWALL-INPUT` and so on).
    pub chain: &'a str,
    /// Appended to a set's name for the temporary set that is filled and
    /// swapped in: `-tmp`.
    pub tmp_suffix: &'static str,
    /// What happens to traffic no rule matches, as the policy says it:
    /// `continue` or `drop`.
    pub unmatched: &'static str,
    /// One set per rule and family with addresses, in the policy file's
    /// rule order, IPv4 before IPv6.
    pub sets: Items<IpSet>,
    /// The IPv4 rules (`iptables`).
    pub v4: IptFamily,
    /// The IPv6 rules (`ip6tables`).
    pub v6: IptFamily,
    /// The jumps from the built-in chains into tagwall's: for `iptables`,
    /// then `ip6tables`, INPUT, FORWARD and OUTPUT.
    pub hooks: Vec<IptHook>,
    /// Null without a previous release; else what changed since it.
    pub delta: Option<IptDelta>,
}

/// One family's rules: the file `iptables.rules` or `ip6tables.rules`.
#[derive(Serialize)]
pub struct IptFamily {
    /// tagwall's chains, one per built-in chain: INPUT, FORWARD, OUTPUT.
    pub chains: Vec<IptChain>,
    /// The tool: `iptables` or `ip6tables`.
    pub tool: &'static str,
    /// The file the rules are written to: `iptables.rules` or `ip6tables.rules`.
    pub file: &'static str,
}

/// One of tagwall's chains.
#[derive(Serialize)]
pub struct IptChain {
    /// The chain's name: the prefix, a dash and the built-in chain (`TAGWALL-INPUT`).
    pub name: String,
    /// The built-in chain that jumps to it: `INPUT`, `FORWARD` or `OUTPUT`.
    pub builtin: &'static str,
    /// Matches (without `-A CHAIN` and `-j ACCEPT`) of what must pass
    /// before the rules when unmatched traffic is dropped (replies,
    /// loopback, IPv6 neighbour discovery); empty otherwise.
    pub exempt: Vec<String>,
    /// The rule lines, in the policy's order by priority.
    pub rules: Vec<IptRule>,
    /// `DROP` when unmatched traffic is dropped (the chain's last rule),
    /// else null.
    pub last: Option<&'static str>,
}

/// One rule line.
#[derive(Serialize)]
pub struct IptRule {
    /// The match, finished iptables text, without `-A CHAIN`, comment and
    /// verdict (`-p tcp --dport 443 -m set --match-set NAME dst`).
    pub args: String,
    /// The target: `ACCEPT` or `DROP`.
    pub verdict: &'static str,
    /// The rule's provenance, cleaned for iptables and at most 255 bytes,
    /// not quoted.
    pub comment: String,
}

/// One ipset set.
#[derive(Serialize, Clone)]
pub struct IpSet {
    /// The set's name.
    pub name: String,
    /// The temporary set's name: `name` and `-tmp`.
    pub tmp: String,
    /// The set's family: `inet` or `inet6`.
    pub family: &'static str,
    /// Initial hash size: the count rounded up to a power of two, between
    /// 64 and 65536.
    pub hashsize: usize,
    /// Most elements the set holds: twice the count rounded up to a power of
    /// two, at least 65536.
    pub maxelem: usize,
    /// The maxelem of the set as it is loaded now (for `create -exist`):
    /// `maxelem`, or in a delta the previous release's when the set outgrew it.
    pub loaded_maxelem: usize,
    /// How many prefixes the set holds.
    pub count: usize,
    /// The rule's name, with its description when the policy gives one.
    pub rule: String,
    /// Where the addresses come from, one line per tag:
    /// `NAME (region R)` or `NAME (global)`.
    pub tags: Vec<String>,
    /// The set's prefixes.
    pub prefixes: Vec<String>,
    /// The position of its rule in the selection.
    #[serde(skip)]
    index: usize,
    /// Its family.
    #[serde(skip)]
    of: Family,
}

/// A jump from a built-in chain into tagwall's.
#[derive(Serialize)]
pub struct IptHook {
    /// `iptables` or `ip6tables`.
    pub tool: &'static str,
    /// The built-in chain: `INPUT`, `FORWARD` or `OUTPUT`.
    pub builtin: &'static str,
    /// tagwall's chain it jumps to.
    pub chain: String,
}

/// The delta from the previous release. A set that existed before and whose
/// new size fits its maxelem is patched element by element; a new or
/// outgrown set is filled and swapped in whole; a set whose rule is gone is
/// flushed.
#[derive(Serialize)]
pub struct IptDelta {
    /// The sets patched element by element (only those that changed).
    pub patch: Vec<IpSetPatch>,
    /// The sets filled and swapped in whole (new, or outgrown).
    pub replace: Vec<IpSet>,
    /// The names of the previous release's sets that are gone.
    pub gone: Vec<String>,
    /// True when the iptables rules must be reloaded from this release
    /// (a set came or went).
    pub reload_rules: bool,
}

/// One set's changed elements.
#[derive(Serialize)]
pub struct IpSetPatch {
    /// The set's name.
    pub name: String,
    /// Prefixes to add to the set as the previous release loaded it.
    pub added: Vec<String>,
    /// Prefixes to delete from it.
    pub removed: Vec<String>,
}

/// The target row's context function: [`build`], as the render engine
/// takes it today.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    context_value(target, &build(job, target)?)
}

/// The context for the `iptables` templates.
pub fn build<'a>(job: &'a Job<'_>, target: &Target) -> Result<IptablesContext<'a>> {
    with_set_names(target, job, |names| build_with(job, target, names))?
}

/// `maxelem` for a set of `count` prefixes: twice the count, rounded up to a
/// power of two, and at least the ipset default. The rounding keeps it the
/// same from release to release (`create -exist` fails on a set of another
/// maxelem) while leaving room to grow by deltas.
///
/// ```
/// use tagwall::render::linux::iptables::ipset_maxelem;
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
    count
        .next_power_of_two()
        .clamp(IPSET_MIN_HASHSIZE, IPSET_MAX_HASHSIZE)
}

fn ipset_of(
    name: String,
    (index, sel): (usize, &SelectedRule<'_>),
    family: Family,
    list: Vec<String>,
) -> IpSet {
    IpSet {
        index,
        of: family,
        tmp: format!("{name}{IPSET_TMP_SUFFIX}"),
        name,
        family: syntax::set_family(family),
        hashsize: ipset_hashsize(list.len()),
        maxelem: ipset_maxelem(list.len()),
        loaded_maxelem: ipset_maxelem(list.len()),
        count: list.len(),
        rule: rule_label(sel),
        tags: provenance_lines(sel),
        prefixes: list,
    }
}

fn build_with<'a>(
    job: &'a Job<'_>,
    target: &Target,
    names: &SetNames,
) -> Result<IptablesContext<'a>> {
    let options = &job.selection.policy.targets.iptables;
    let mut sets = Vec::new();
    for (index, sel) in job.selection.rules.iter().enumerate() {
        for family in Family::ALL {
            let list = prefixes(sel, family);
            if !list.is_empty() {
                let name = names.current[index][family.slot()].clone();
                sets.push(ipset_of(name, (index, sel), family, list));
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
    // Mode `sets` writes no rule: the admin's own rules match the sets.
    let hooks: &[Hook] = match options.mode {
        IptMode::Chains => &Hook::ALL,
        IptMode::Sets => &[],
    };
    let chains_for = |family: Family| -> Vec<IptChain> {
        hooks
            .iter()
            .map(|&hook| IptChain {
                name: syntax::chain(&options.chain, hook),
                builtin: syntax::builtin(hook),
                exempt: if drop {
                    syntax::exempt(hook, family)
                } else {
                    Vec::new()
                },
                rules: Vec::new(),
                last: drop.then_some("DROP"),
            })
            .collect()
    };
    let mut v4 = chains_for(Family::V4);
    let mut v6 = chains_for(Family::V6);
    let matches = if hooks.is_empty() {
        Vec::new()
    } else {
        plan(&job.selection.rules)
    };
    for m in matches {
        let set = &names.current[m.index][m.family.slot()];
        let chains = match m.family {
            Family::V4 => &mut v4,
            Family::V6 => &mut v6,
        };
        let name = syntax::chain(&options.chain, m.hook);
        let comment = provenance(m.sel, job, IPT_MAX_COMMENT);
        if let Some(chain) = chains.iter_mut().find(|c| c.name == name) {
            for args in syntax::rule_args(&m, set) {
                chain.rules.push(IptRule {
                    args,
                    verdict: syntax::verdict(m.sel.rule.action),
                    comment: comment.clone(),
                });
            }
        }
    }
    let hooks: Vec<IptHook> = [Family::V4, Family::V6]
        .iter()
        .flat_map(|&family| {
            hooks.iter().map(move |&hook| IptHook {
                tool: syntax::tool(family),
                builtin: syntax::builtin(hook),
                chain: syntax::chain(&options.chain, hook),
            })
        })
        .collect();
    let delta = job
        .previous
        .as_ref()
        .map(|_| delta(job, target, names, &sets));
    Ok(IptablesContext {
        head: PlanHead::of(job),
        ipt: Ipt {
            mode: options.mode.as_str(),
            chain: &options.chain,
            tmp_suffix: IPSET_TMP_SUFFIX,
            unmatched: options.unmatched.as_str(),
            sets: sets.into(),
            v4: IptFamily {
                chains: v4,
                tool: syntax::tool(Family::V4),
                file: "iptables.rules",
            },
            v6: IptFamily {
                chains: v6,
                tool: syntax::tool(Family::V6),
                file: "ip6tables.rules",
            },
            hooks,
            delta,
        },
    })
}

/// How the sets the previous release loaded become this release's, from
/// the one delta.
fn delta(job: &Job<'_>, target: &Target, names: &SetNames, sets: &[IpSet]) -> IptDelta {
    let mut patch = Vec::new();
    let mut replace = Vec::new();
    let mut new_sets = false;
    for s in sets {
        match set_delta(job, s.index, s.of) {
            Some(change) if ipset_maxelem(change.prefixes_before) >= s.count => {
                if !change.added.is_empty() || !change.removed.is_empty() {
                    patch.push(IpSetPatch {
                        name: s.name.clone(),
                        added: change.added.clone(),
                        removed: change.removed.clone(),
                    });
                }
            }
            Some(change) => {
                // Outgrown: the kernel cannot raise maxelem in place.
                let mut grown = s.clone();
                grown.loaded_maxelem = ipset_maxelem(change.prefixes_before);
                replace.push(grown);
            }
            None => {
                new_sets = true;
                replace.push(s.clone());
            }
        }
    }
    let gone: Vec<String> = gone_sets(job, target, names).into_iter().collect();
    let reload_rules = !gone.is_empty() || new_sets;
    IptDelta {
        patch,
        replace,
        gone,
        reload_rules,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PortRange, Protocol, Rule};

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
        assert_eq!(syntax::ports(&rule(Protocol::Udp, &[])), ["-p udp"]);
        assert_eq!(
            syntax::ports(&rule(Protocol::Tcp, &[(8000, 8080)])),
            ["-p tcp --dport 8000:8080"]
        );
        let mut ports: Vec<(u16, u16)> = (1..=13).map(|p| (p, p)).collect();
        ports.push((100, 200));
        assert_eq!(
            syntax::ports(&rule(Protocol::Tcp, &ports)),
            ["-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,100:200"]
        );
        ports.insert(0, (20, 20));
        assert_eq!(
            syntax::ports(&rule(Protocol::Tcp, &ports)),
            [
                "-p tcp -m multiport --dports 20,1,2,3,4,5,6,7,8,9,10,11,12,13",
                "-p tcp -m multiport --dports 100:200"
            ]
        );
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
