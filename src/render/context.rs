//! The render contract: what a template sees.
//!
//! Every target's context starts with a [`Head`] (the tool, the release, the
//! previous release); most targets use the [`PolicyContext`] as it is, the
//! others add their own plan beside it. The types here are the whole
//! contract, field by field: a template of the user's sees exactly what they
//! serialise to, in strict mode. `docs/templates.md` describes them for
//! template authors.

use super::Job;
use super::Target;
use super::items::Items;
use super::names::Namer;
use crate::error::Result;
use crate::select::SelectedRule;
use crate::source::Provenance;
use serde::Serialize;

/// The program that rendered the file.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// Always `tagwall`.
    pub name: &'static str,
    /// The version of tagwall.
    pub version: &'static str,
}

impl Tool {
    /// This build of tagwall.
    pub const THIS: Tool = Tool {
        name: "tagwall",
        version: env!("CARGO_PKG_VERSION"),
    };
}

/// The top of every target's context.
#[derive(Clone, Debug, Serialize)]
pub struct Head<'a> {
    /// `{name, version}` of tagwall.
    pub tool: Tool,
    /// The release rendered: `{file, cloud, change_number, sha256}`.
    pub source: &'a Provenance,
    /// The previous release the delta files start from, or null.
    pub previous: Option<&'a Provenance>,
}

impl<'a> Head<'a> {
    /// The head of `job`.
    pub fn new(job: &'a Job<'_>) -> Head<'a> {
        Head {
            tool: Tool::THIS,
            source: &job.provenance,
            previous: job.previous.as_ref().map(|p| &p.provenance),
        }
    }
}

/// The top of the context of a target that renders its own plan instead of
/// the rules: the [`Head`], and the generic rule lists left empty.
#[derive(Clone, Debug, Serialize)]
pub struct PlanHead<'a> {
    /// `tool`, `source`, `previous`.
    #[serde(flatten)]
    pub head: Head<'a>,
    /// Always empty: such a target writes no per-rule file.
    pub rules: [(); 0],
    /// Always empty, as `rules`.
    pub removed_rules: [(); 0],
}

impl<'a> PlanHead<'a> {
    /// The plan head of `job`.
    pub fn of(job: &'a Job<'_>) -> PlanHead<'a> {
        PlanHead {
            head: Head::new(job),
            rules: [],
            removed_rules: [],
        }
    }
}

/// The context most targets render from: the policy's rules with their
/// address sets, and with a previous release what changed in them.
#[derive(Debug, Serialize)]
pub struct PolicyContext<'a> {
    /// `tool`, `source`, `previous`.
    #[serde(flatten)]
    pub head: Head<'a>,
    /// The rules, in policy order.
    pub rules: Items<RuleContext>,
    /// Rules of the previous release that are gone (empty without one).
    pub removed_rules: Vec<RemovedRule>,
}

/// One rule of the policy.
#[derive(Clone, Debug, Serialize)]
pub struct RuleContext {
    /// The rule's name in the policy.
    pub name: String,
    /// The name as the target allows it (its naming rules applied).
    pub ident: String,
    /// The rule's description, or its tag names joined with `, `.
    pub description: String,
    /// Priority from the policy.
    pub priority: u16,
    /// `allow` or `deny`.
    pub action: &'static str,
    /// `outbound`, `inbound` or `both`.
    pub direction: &'static str,
    /// The directions the rule covers (`both` is `outbound`, `inbound`).
    pub directions: Vec<&'static str>,
    /// `tcp`, `udp`, `icmp` or `any`.
    pub protocol: &'static str,
    /// Remote ports (`443`, `8000-8080`); empty for every port.
    pub ports: Vec<String>,
    /// The local side of the rule.
    pub local: LocalContext,
    /// The tags the rule matched, in file order.
    pub tags: Vec<TagContext>,
    /// The tag names joined with `, `.
    pub tag_names: String,
    /// The address families that hold prefixes, IPv4 first.
    pub families: Vec<FamilyContext>,
    /// With a previous release: each family that holds prefixes in either
    /// release, with what to add and remove; empty without one.
    pub delta_families: Vec<DeltaFamily>,
}

/// The local side of a rule.
#[derive(Clone, Debug, Serialize)]
pub struct LocalContext {
    /// The NSG service tag of the local side (`VirtualNetwork`).
    pub tag: String,
    /// Local prefixes; empty for any.
    pub prefixes: Vec<String>,
    /// The local interface, or null.
    pub interface: Option<String>,
}

/// A tag a rule matched.
#[derive(Clone, Debug, Serialize)]
pub struct TagContext {
    /// The tag's name.
    pub name: String,
    /// The tag's own changeNumber.
    pub change_number: u64,
    /// Its region as published (`""` for global tags).
    pub region: String,
}

/// One address family of a rule.
#[derive(Clone, Debug, Serialize)]
pub struct FamilyContext {
    /// `ipv4` or `ipv6`.
    pub name: &'static str,
    /// `v4` or `v6`.
    pub short: &'static str,
    /// The rule's name with the family's, as the target allows it.
    pub ident: String,
    /// How many prefixes.
    pub count: usize,
    /// The minimal prefixes, in numeric order.
    pub prefixes: PrefixList,
}

/// One address family of a rule across two releases.
#[derive(Clone, Debug, Serialize)]
pub struct DeltaFamily {
    /// The family in this release (no prefixes when it has none now).
    #[serde(flatten)]
    pub family: FamilyContext,
    /// Prefixes to add to the set the previous release loaded.
    pub added: Vec<String>,
    /// Prefixes to delete from it. Element-wise: after both, the set holds
    /// exactly this release's `prefixes`.
    pub removed: Vec<String>,
}

/// A rule of the previous release that this one no longer has.
#[derive(Clone, Debug, Serialize)]
pub struct RemovedRule {
    /// The rule's name in the previous policy.
    pub name: String,
    /// Its name as the target allows it.
    pub ident: String,
    /// Its families that held prefixes, with those prefixes.
    pub families: Vec<FamilyContext>,
}

/// The families in the order every target lists them.
pub const FAMILIES: [(&str, &str); 2] = [("ipv4", "v4"), ("ipv6", "v6")];

/// A family's minimal prefixes, kept as numbers and written as text only
/// when the context is serialised: with `--all-tags` the lists hold every
/// prefix of the release, and the text then exists once, in what the
/// templates read, instead of twice.
#[derive(Clone, Debug)]
pub enum PrefixList {
    /// IPv4 prefixes: address and length.
    V4(Vec<(u32, u8)>),
    /// IPv6 prefixes: address and length.
    V6(Vec<(u128, u8)>),
}

impl PrefixList {
    /// The prefixes of one family of `set` (`slot` 0: IPv4, 1: IPv6).
    pub fn of(set: &crate::aggregate::AddressSet, slot: usize) -> PrefixList {
        if slot == 0 {
            PrefixList::V4(set.v4.prefixes())
        } else {
            PrefixList::V6(set.v6.prefixes())
        }
    }

    /// How many prefixes.
    pub fn len(&self) -> usize {
        match self {
            PrefixList::V4(l) => l.len(),
            PrefixList::V6(l) => l.len(),
        }
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Serialize for PrefixList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len()))?;
        let mut text = String::with_capacity(43);
        match self {
            PrefixList::V4(list) => {
                for &(a, len) in list {
                    text.clear();
                    crate::prefix::push_v4_prefix(&mut text, a, len);
                    seq.serialize_element(text.as_str())?;
                }
            }
            PrefixList::V6(list) => {
                for &(a, len) in list {
                    text.clear();
                    crate::prefix::push_v6_prefix(&mut text, a, len);
                    seq.serialize_element(text.as_str())?;
                }
            }
        }
        seq.end()
    }
}

/// A rule's minimal prefixes per family, as text.
pub fn family_lists(sel: &SelectedRule<'_>) -> [(&'static str, &'static str, Vec<String>); 2] {
    [
        ("ipv4", "v4", sel.set.v4_strings()),
        ("ipv6", "v6", sel.set.v6_strings()),
    ]
}

impl<'a> PolicyContext<'a> {
    /// The policy of `job` as `target` names it.
    pub fn new(job: &'a Job<'a>, target: &Target) -> Result<PolicyContext<'a>> {
        let mut namer = Namer::new(target.name, target.names);
        let delta = job.delta.as_ref();
        let mut rules = Vec::with_capacity(job.selection.rules.len());
        for (i, sel) in job.selection.rules.iter().enumerate() {
            // A rule the previous release did not have has no delta
            // families: all of its families are new.
            let changes = delta
                .and_then(|d| d.rules.get(i))
                .filter(|c| c.existed && c.name == sel.rule.name);
            rules.push(rule_context(sel, changes, &mut namer)?);
        }
        let mut removed_rules = Vec::new();
        for gone in delta.into_iter().flat_map(|d| &d.removed_rules) {
            let mut families = Vec::new();
            for (slot, (name, short)) in FAMILIES.into_iter().enumerate() {
                let before = PrefixList::of(&gone.before, slot);
                if before.is_empty() {
                    continue;
                }
                let ident = namer.name(&gone.name, Some(short))?;
                families.push(family(name, short, ident, before));
            }
            removed_rules.push(RemovedRule {
                ident: namer.name(&gone.name, None)?,
                name: gone.name.clone(),
                families,
            });
        }
        Ok(PolicyContext {
            head: Head::new(job),
            rules: Items::new(rules),
            removed_rules,
        })
    }
}

fn family(
    name: &'static str,
    short: &'static str,
    ident: String,
    prefixes: PrefixList,
) -> FamilyContext {
    FamilyContext {
        name,
        short,
        ident,
        count: prefixes.len(),
        prefixes,
    }
}

fn rule_context(
    sel: &SelectedRule<'_>,
    changes: Option<&crate::delta::RuleDelta>,
    namer: &mut Namer,
) -> Result<RuleContext> {
    let rule = &sel.rule;
    let mut families = Vec::new();
    let mut delta_families = Vec::new();
    for (i, (name, short)) in FAMILIES.into_iter().enumerate() {
        let list = PrefixList::of(&sel.set, i);
        let change = changes.map(|c| &c.families[i]);
        let before_empty = change.is_none_or(|c| c.was_empty());
        if list.is_empty() && before_empty {
            continue;
        }
        let ident = namer.name(&rule.name, Some(short))?;
        if let Some(change) = change {
            delta_families.push(DeltaFamily {
                family: family(name, short, ident.clone(), list.clone()),
                added: change.added.clone(),
                removed: change.removed.clone(),
            });
        }
        if list.is_empty() {
            continue;
        }
        families.push(family(name, short, ident, list));
    }
    let tag_names: Vec<&str> = sel.tags.iter().map(|t| t.name.as_str()).collect();
    Ok(RuleContext {
        name: rule.name.clone(),
        ident: namer.name(&rule.name, None)?,
        description: rule
            .description
            .clone()
            .unwrap_or_else(|| tag_names.join(", ")),
        priority: rule.priority,
        action: rule.action.as_str(),
        direction: rule.direction.as_str(),
        directions: rule.direction.expand().iter().map(|d| d.as_str()).collect(),
        protocol: rule.protocol.as_str(),
        ports: rule.ports.iter().map(ToString::to_string).collect(),
        local: LocalContext {
            tag: rule.local.tag.clone(),
            prefixes: rule
                .local
                .prefixes
                .iter()
                .map(ToString::to_string)
                .collect(),
            interface: rule.local.interface.clone(),
        },
        tags: sel
            .tags
            .iter()
            .map(|t| TagContext {
                name: t.name.clone(),
                change_number: t.change_number,
                region: t.region.clone(),
            })
            .collect(),
        tag_names: tag_names.join(", "),
        families,
        delta_families,
    })
}
