//! The plan shared by the vendor firewall targets (PAN-OS, FortiOS, Cisco
//! ASA, Junos, RouterOS): the objects a device holds for a policy, and, with a
//! previous release, what to create, change and delete to get from the
//! previous plan to this one.
//!
//! The templates only render the plan; every decision is made here, from the
//! target's row: its naming rules, its `chunk_size` and its [`Limit`]s.
//!
//! - `addresses`: every prefix the policy uses (remote and local), once, for
//!   platforms that need an object per prefix. Templates name such an object
//!   from the prefix itself (`tagwall-{word}`, see the `lines` helper), so two
//!   rules share it and a delta deletes it only when no rule uses it any more.
//! - `groups`: per rule and family, the remote prefixes; split into numbered
//!   groups (`Rule-v4-1`, `Rule-v4-2`, ...) when the row has a `chunk_size`,
//!   with [`chunk::stable_chunks`] so that next release the same prefixes land
//!   in the same group as far as possible.
//! - `locals`: the local side of rules that name local prefixes.
//! - `services`: one per distinct protocol and port list.
//! - `policies`: one per rule and direction, in priority order, each with
//!   `entries`: one per remote group (a Junos policy, an ASA access-list
//!   entry, a RouterOS filter rule).
//!
//! Sizes are counted in address units: an IPv4 prefix is one unit, an IPv6
//! prefix [`V6_WEIGHT`] units (Junos counts IPv6 four times). A row with
//! [`POLICY_UNITS`] caps each entry's remote and local units together.

use super::chunk;
use super::helpers::safe_text;
use super::names::NameRules;
use super::{Job, Provenance, Target, generic_context, generic_head};
use crate::error::{Error, Result};
use crate::policy::{Action, Direction, Protocol, Rule};
use crate::select::Selection;
use ipnet::IpNet;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Limit: longest object name (also in the row's [`NameRules`]).
pub const NAME_LEN: &str = "object name length";
/// Limit: most members in one address group (the row's `chunk_size`).
pub const GROUP_MEMBERS: &str = "members per address group";
/// Limit: longest free-text comment or description.
pub const COMMENT_LEN: &str = "comment length";
/// Limit: most entries in one External Dynamic List.
pub const EDL_ENTRIES: &str = "EDL entries per list";
/// Limit: most address units (source and destination) in one policy.
pub const POLICY_UNITS: &str = "address units per policy";
/// Limit: how many units one IPv6 prefix counts for.
pub const V6_WEIGHT: &str = "IPv6 address weight";
/// Limit: longest firewall policy name (FortiOS).
pub const POLICY_NAME_LEN: &str = "policy name length";

/// First FortiOS policy id tagwall uses; ids are `FIRST_POLICY_ID` plus a
/// hash of the rule name and direction, below 4,000,000,000.
pub const FIRST_POLICY_ID: u64 = 1_000_000_000;
const POLICY_ID_SPAN: u64 = 3_000_000_000;

/// A limit of `target` by name, if the row has it.
pub fn limit(target: &Target, what: &str) -> Option<usize> {
    target
        .limits
        .iter()
        .find(|l| l.what == what)
        .map(|l| l.value)
}

/// IPv4 and IPv6 lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Families {
    /// IPv4 items.
    pub v4: Vec<String>,
    /// IPv6 items.
    pub v6: Vec<String>,
    /// Both together.
    pub count: usize,
}

impl Families {
    fn new(v4: Vec<String>, v6: Vec<String>) -> Families {
        let count = v4.len() + v6.len();
        Families { v4, v6, count }
    }
}

/// Remote prefixes of one rule and family, or one numbered part of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Object name.
    pub ident: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// True for IPv6.
    pub v6: bool,
    /// Number of the part, from 1.
    pub index: usize,
    /// Provenance: rule, tags with their change numbers, cloud and release.
    pub note: String,
    /// Number of prefixes.
    pub count: usize,
    /// The prefixes, in numeric order.
    pub prefixes: Vec<String>,
}

/// A port range of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortSpan {
    /// First port.
    pub start: u16,
    /// Last port.
    pub end: u16,
    /// True when `start == end`.
    pub single: bool,
}

/// A TCP or UDP service: a protocol and destination ports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Service {
    /// Object name.
    pub ident: String,
    /// `tcp` or `udp`.
    pub protocol: &'static str,
    /// Ports as written in the policy (`443`, `8000-8080`); `1-65535` for all.
    pub ports: Vec<String>,
    /// The same as ranges.
    pub ranges: Vec<PortSpan>,
}

/// The local prefixes of one family of a rule that names local prefixes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalSide {
    /// Object name.
    pub ident: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// True for IPv6.
    pub v6: bool,
    /// Provenance.
    pub note: String,
    /// The prefixes.
    pub prefixes: Vec<String>,
}

/// One remote group as matched by one policy, with what it needs of the
/// policy so that a template can write it alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Name where the platform names it (a Junos policy).
    pub ident: String,
    /// The policy's name.
    pub policy: String,
    /// The remote group.
    pub group: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// True for IPv6.
    pub v6: bool,
    /// True when the remote side is the source.
    pub inbound: bool,
    /// True for allow.
    pub permit: bool,
    /// `tcp`, `udp`, `icmp` or `any`.
    pub protocol: &'static str,
    /// Service name for TCP and UDP.
    pub service: Option<String>,
    /// The service's ports (empty without a service).
    pub ports: Vec<String>,
    /// The policy's description.
    pub note: String,
    /// Local interface, when the policy names one.
    pub interface: Option<String>,
    /// Local group of this family; none when the local side is any address.
    pub local_group: Option<String>,
    /// Local prefixes of this family (empty: any address).
    pub local: Vec<String>,
    /// Address units of the entry, remote and local.
    pub units: usize,
    /// Access-list elements the entry expands to (local x remote x ports).
    pub elements: usize,
    /// Line in its direction's access list (Cisco ASA).
    pub line: usize,
    /// Delta only: the first later entry of the same direction that exists
    /// already, to insert before (none: append).
    pub before_in_direction: Option<String>,
    /// Delta only: the same within the address family.
    pub before_in_family: Option<String>,
}

/// One rule in one direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Name.
    pub ident: String,
    /// A shorter name where the platform wants one (FortiOS `name`).
    pub name: String,
    /// Numeric id (FortiOS `policyid`), stable per rule name and direction.
    pub id: u64,
    /// `outbound` or `inbound`.
    pub direction: &'static str,
    /// True for inbound (remote side is the source).
    pub inbound: bool,
    /// `allow` or `deny`.
    pub action: &'static str,
    /// True for allow.
    pub permit: bool,
    /// `tcp`, `udp`, `icmp` or `any`.
    pub protocol: &'static str,
    /// Service name for TCP and UDP.
    pub service: Option<String>,
    /// The rule's description, with its name and direction.
    pub note: String,
    /// Local interface, when the policy names one.
    pub interface: Option<String>,
    /// True when the policy names local prefixes (else any address).
    pub local: bool,
    /// Local IPv4 prefixes (empty: any).
    pub local_v4: Vec<String>,
    /// Local IPv6 prefixes (empty: any).
    pub local_v6: Vec<String>,
    /// Remote IPv4 groups.
    pub v4: Vec<String>,
    /// Remote IPv6 groups.
    pub v6: Vec<String>,
    /// Remote groups of both families.
    pub remote: Vec<String>,
    /// Local prefixes of both families (empty: any).
    pub local_prefixes: Vec<String>,
    /// One per remote group.
    pub entries: Vec<Entry>,
    /// Line of its remark in its direction's access list (Cisco ASA).
    pub line: usize,
    /// Delta only: the first later policy that exists already (none: append).
    pub before: Option<String>,
    /// Delta only: its id.
    pub before_id: Option<u64>,
}

/// An External Dynamic List: one rule's prefixes as a text file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edl {
    /// The rule's name (the file is `edl/IDENT.txt`).
    pub ident: String,
    /// Entries in the file.
    pub entries: usize,
    /// Provenance.
    pub note: String,
}

/// Everything a device holds for one policy on one release.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    /// Every prefix used, remote and local, once.
    pub addresses: Families,
    /// Remote groups, in rule order.
    pub groups: Vec<Group>,
    /// Local sides.
    pub locals: Vec<LocalSide>,
    /// Services.
    pub services: Vec<Service>,
    /// Policies in priority order.
    pub policies: Vec<Policy>,
    /// External Dynamic Lists, when the row has [`EDL_ENTRIES`].
    pub edls: Vec<Edl>,
    /// Entries of all EDLs.
    pub edl_entries: usize,
    /// Number of policy entries.
    pub entries: usize,
    /// Access-list elements of all entries.
    pub elements: usize,
}

/// A group that exists in both releases with other members.
#[derive(Clone, Debug, Serialize)]
pub struct GroupChange {
    /// Object name.
    pub ident: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// True for IPv6.
    pub v6: bool,
    /// Provenance of the new release.
    pub note: String,
    /// Members now.
    pub count: usize,
    /// Prefixes to add.
    pub added: Vec<String>,
    /// Prefixes to remove.
    pub removed: Vec<String>,
    /// True when some are removed.
    pub shrinks: bool,
}

/// A policy that exists in both releases with other groups.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyChange {
    /// The policy now.
    pub policy: Policy,
    /// The policy before.
    pub old: Policy,
    /// IPv4 groups to reference.
    pub v4_added: Vec<String>,
    /// IPv4 groups to stop referencing.
    pub v4_removed: Vec<String>,
    /// IPv6 groups to reference.
    pub v6_added: Vec<String>,
    /// IPv6 groups to stop referencing.
    pub v6_removed: Vec<String>,
    /// Groups of both families to reference.
    pub remote_added: Vec<String>,
    /// Groups of both families to stop referencing.
    pub remote_removed: Vec<String>,
    /// The policy gains its first IPv4 group.
    pub v4_appears: bool,
    /// The policy loses its last IPv4 group.
    pub v4_disappears: bool,
    /// The policy gains its first IPv6 group.
    pub v6_appears: bool,
    /// The policy loses its last IPv6 group.
    pub v6_disappears: bool,
    /// Entries to create.
    pub entries_added: Vec<Entry>,
    /// Entries to delete.
    pub entries_removed: Vec<Entry>,
    /// True when the description changed.
    pub note_changed: bool,
    /// True when the policy gains groups or its description changes.
    pub grows: bool,
    /// True when the policy loses groups.
    pub shrinks: bool,
}

/// A line of a per-direction access list: a policy's remark or an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AclLine {
    /// True for the inbound list.
    pub inbound: bool,
    /// Line number in the list (from 1).
    pub line: usize,
    /// The remark, for a remark line.
    pub remark: Option<String>,
    /// The entry, for an entry line.
    pub entry: Option<Entry>,
}

/// What to do to a device holding the previous plan so that it holds this one.
///
/// Templates apply it in this order, so that nothing is deleted while in use
/// and no group is ever empty: create addresses, services, locals and groups;
/// add group members; create and change policies; remove group members;
/// delete policies, groups, locals, services and addresses.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Delta {
    /// True when anything changes.
    pub changed: bool,
    /// Address objects to create.
    pub addresses_added: Families,
    /// Address objects to delete (no group uses them any more).
    pub addresses_removed: Families,
    /// Services to create.
    pub services_added: Vec<Service>,
    /// Services to delete.
    pub services_removed: Vec<Service>,
    /// Local sides to create.
    pub locals_added: Vec<LocalSide>,
    /// Local sides to delete.
    pub locals_removed: Vec<LocalSide>,
    /// Groups to create, with all their members.
    pub groups_added: Vec<Group>,
    /// Groups to delete (as they were).
    pub groups_removed: Vec<Group>,
    /// Groups whose members change.
    pub groups_changed: Vec<GroupChange>,
    /// Policies to create.
    pub policies_added: Vec<Policy>,
    /// Policies to delete (as they were).
    pub policies_removed: Vec<Policy>,
    /// Policies that change.
    pub policies_changed: Vec<PolicyChange>,
    /// Entries to create, of added and changed policies, in their final order
    /// (insert each before its `before_in_*`, or append).
    pub entries_added: Vec<Entry>,
    /// Entries to delete, of removed and changed policies.
    pub entries_removed: Vec<Entry>,
    /// Access-list lines to delete (Cisco ASA).
    pub acl_removed: Vec<AclLine>,
    /// Access-list lines to insert, by increasing final line number.
    pub acl_added: Vec<AclLine>,
    /// Prefixes added to and removed from groups, for the summary.
    pub prefixes_added: usize,
    /// Prefixes removed from groups.
    pub prefixes_removed: usize,
}

/// The context of a vendor target: [`generic_context`] plus `plan`,
/// `limits` (the row's limits by name) and, with a previous release, `delta`.
/// For targets whose files also list each rule's prefixes and write a policy
/// per entry (Junos: prefix lists, a policy per address set).
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    with_plan(generic_context(job, target)?, job, target, Entries::Kept)
}

/// [`context`] with the policies' entries left out, for targets that write
/// one policy per rule and direction, naming its groups (PAN-OS, whose EDLs
/// come from the rule lists): with `--all-tags` the entries, one object per
/// group, are most of the plan.
pub fn context_without_entries(job: &Job<'_>, target: &Target) -> Result<Value> {
    with_plan(generic_context(job, target)?, job, target, Entries::Dropped)
}

/// [`context`] without the generic rule lists (`rules` and `removed_rules`
/// are empty), for targets whose files render the plan alone: with
/// `--all-tags` the lists would hold every prefix once more.
pub fn plan_context(job: &Job<'_>, target: &Target) -> Result<Value> {
    with_plan(generic_head(job), job, target, Entries::Kept)
}

/// [`plan_context`] with the policies' entries left out (FortiOS).
pub fn plan_context_without_entries(job: &Job<'_>, target: &Target) -> Result<Value> {
    with_plan(generic_head(job), job, target, Entries::Dropped)
}

/// Whether a target's templates read the policies' entries. They are
/// always computed (the limits are checked on them, and deltas ordered).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entries {
    Kept,
    Dropped,
}

fn with_plan(mut ctx: Value, job: &Job<'_>, target: &Target, entries: Entries) -> Result<Value> {
    ctx["limits"] = target
        .limits
        .iter()
        .map(|l| (l.what.to_string(), Value::from(l.value)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    ctx["policy_id_base"] = FIRST_POLICY_ID.into();
    let mut plan = plan(job.selection, &job.provenance, target)?;
    let mut delta = match &job.previous {
        Some(prev) => {
            let old = plan_lenient(prev.selection, &prev.provenance, target)?;
            Some(diff(target, &old, &plan)?)
        }
        None => None,
    };
    if entries == Entries::Dropped {
        drop_entries(&mut plan.policies);
        if let Some(d) = &mut delta {
            drop_entries(&mut d.policies_added);
            drop_entries(&mut d.policies_removed);
            for change in &mut d.policies_changed {
                change.policy.entries = Vec::new();
                change.old.entries = Vec::new();
            }
            d.entries_added = Vec::new();
            d.entries_removed = Vec::new();
        }
    }
    ctx["plan"] = plan_value(plan).map_err(|e| internal(target, e))?;
    ctx["delta"] = serde_json::to_value(&delta).map_err(|e| internal(target, e))?;
    if entries == Entries::Dropped {
        // Not there at all, rather than empty: a template of the user's that
        // reads them fails in strict mode instead of writing no policies.
        unkey(ctx["plan"].get_mut("policies"), "entries");
        if let Some(d) = ctx["delta"].as_object_mut() {
            d.remove("entries_added");
            d.remove("entries_removed");
            unkey(d.get_mut("policies_added"), "entries");
            unkey(d.get_mut("policies_removed"), "entries");
            let changes = d.get_mut("policies_changed").and_then(Value::as_array_mut);
            for change in changes.into_iter().flatten() {
                for side in ["policy", "old"] {
                    if let Some(p) = change.get_mut(side).and_then(Value::as_object_mut) {
                        p.remove("entries");
                    }
                }
            }
        }
    }
    Ok(ctx)
}

/// Remove `key` from each object of the JSON array `list`.
fn unkey(list: Option<&mut Value>, key: &str) {
    for item in list.and_then(Value::as_array_mut).into_iter().flatten() {
        if let Some(m) = item.as_object_mut() {
            m.remove(key);
        }
    }
}

fn drop_entries(policies: &mut [Policy]) {
    for p in policies {
        p.entries = Vec::new();
    }
}

/// The plan as JSON, taken apart as it is converted: each element is freed
/// once converted, so its memory serves the next one, and the address lists
/// move in whole (with `--all-tags`, the plan and a full copy of it would
/// otherwise be resident together).
fn plan_value(plan: Plan) -> serde_json::Result<Value> {
    fn each<T: Serialize>(items: Vec<T>) -> serde_json::Result<Value> {
        items
            .into_iter()
            .map(|item| serde_json::to_value(&item))
            .collect::<serde_json::Result<Vec<_>>>()
            .map(Value::Array)
    }
    let Plan {
        addresses: Families { v4, v6, count },
        groups,
        locals,
        services,
        policies,
        edls,
        edl_entries,
        entries,
        elements,
    } = plan;
    let mut value = serde_json::json!({
        "addresses": {"count": count},
        "edl_entries": edl_entries,
        "entries": entries,
        "elements": elements,
    });
    value["addresses"]["v4"] = v4.into();
    value["addresses"]["v6"] = v6.into();
    value["groups"] = each(groups)?;
    value["locals"] = each(locals)?;
    value["services"] = each(services)?;
    value["policies"] = each(policies)?;
    value["edls"] = each(edls)?;
    Ok(value)
}

fn internal(target: &Target, e: impl std::fmt::Display) -> Error {
    Error::Template {
        name: target.name.to_string(),
        message: e.to_string(),
    }
}

fn limit_error(target: &Target, message: String) -> Error {
    Error::Limit {
        target: target.name.to_string(),
        message,
    }
}

/// The plan of the previous release. Its limits were the previous build's
/// business: only this release's plan must fit.
fn plan_lenient(sel: &Selection<'_>, prov: &Provenance, target: &Target) -> Result<Plan> {
    build(sel, prov, target, false)
}

/// The plan of `sel` on `target`, within the target's limits.
pub fn plan(sel: &Selection<'_>, prov: &Provenance, target: &Target) -> Result<Plan> {
    build(sel, prov, target, true)
}

/// Names of one plan: mapped through the row's rules, and refused when two
/// different things map to one name.
struct Names {
    target: &'static str,
    rules: NameRules,
    policy_rules: Option<NameRules>,
    seen: HashMap<(bool, String), String>,
}

impl Names {
    fn new(target: &Target) -> Names {
        Names {
            target: target.name,
            rules: target.names,
            policy_rules: limit(target, POLICY_NAME_LEN).map(|max_len| NameRules {
                max_len,
                ..target.names
            }),
            seen: HashMap::new(),
        }
    }

    /// The object name of `name` with `suffix`.
    fn object(&mut self, name: &str, suffix: Option<&str>) -> Result<String> {
        let mapped = self.rules.map(name, suffix);
        self.claim(false, mapped, name, suffix)
    }

    /// The short policy name, where the row has one (else the object name).
    fn policy(&mut self, name: &str, suffix: Option<&str>) -> Result<String> {
        match self.policy_rules {
            Some(rules) => {
                let mapped = rules.map(name, suffix);
                self.claim(true, mapped, name, suffix)
            }
            None => self.object(name, suffix),
        }
    }

    fn claim(
        &mut self,
        space: bool,
        mapped: String,
        name: &str,
        suffix: Option<&str>,
    ) -> Result<String> {
        let key = format!("{name:?} {suffix:?}");
        match self.seen.get(&(space, mapped.clone())) {
            Some(prev) if *prev != key => Err(Error::Name {
                target: self.target.to_string(),
                message: format!(
                    "{prev} and {key} both map to the name {mapped:?}; rename one rule"
                ),
            }),
            _ => {
                self.seen.insert((space, mapped.clone()), key);
                Ok(mapped)
            }
        }
    }
}

/// Shortened free text for a comment: [`safe_text`], at most `max` characters.
fn note(text: &str, max: usize) -> String {
    let s = safe_text(text);
    if s.chars().count() <= max {
        return s;
    }
    let mut cut: String = s.chars().take(max.saturating_sub(3)).collect();
    cut.push_str("...");
    cut
}

fn protocol_str(p: Protocol) -> &'static str {
    p.as_str()
}

fn family_name(v6: bool) -> &'static str {
    if v6 { "ipv6" } else { "ipv4" }
}

/// The FortiOS policy id of a rule and direction before collisions are resolved.
fn hashed_policy_id(rule: &str, direction: &str) -> u64 {
    let d = Sha256::digest(format!("{rule}\u{0}{direction}").as_bytes());
    let n = u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
    FIRST_POLICY_ID + n % POLICY_ID_SPAN
}

/// What the row says about sizes.
struct Sizes {
    chunk_units: Option<usize>,
    policy_units: Option<usize>,
    v6_weight: usize,
    comment: usize,
}

impl Sizes {
    fn of(target: &Target) -> Sizes {
        Sizes {
            chunk_units: target.chunk_size,
            policy_units: limit(target, POLICY_UNITS),
            v6_weight: limit(target, V6_WEIGHT).unwrap_or(1).max(1),
            comment: limit(target, COMMENT_LEN).unwrap_or(255),
        }
    }

    fn weight(&self, v6: bool) -> usize {
        if v6 { self.v6_weight } else { 1 }
    }
}

fn build(sel: &Selection<'_>, prov: &Provenance, target: &Target, strict: bool) -> Result<Plan> {
    let sizes = Sizes::of(target);
    let sep = target.names.sep;
    let mut names = Names::new(target);
    let mut plan = Plan::default();
    let mut addresses: BTreeSet<IpNet> = BTreeSet::new();
    let mut services: Vec<Service> = Vec::new();
    let mut policies: Vec<(u16, usize, usize, Policy)> = Vec::new();
    for (rule_index, sr) in sel.rules.iter().enumerate() {
        let rule = &sr.rule;
        let tags = sr
            .tags
            .iter()
            .map(|t| format!("{} (changeNumber {})", t.name, t.change_number))
            .collect::<Vec<_>>()
            .join(", ");
        let local_v4: Vec<String> = rule
            .local
            .prefixes
            .iter()
            .filter(|p| matches!(p, IpNet::V4(_)))
            .map(ToString::to_string)
            .collect();
        let local_v6: Vec<String> = rule
            .local
            .prefixes
            .iter()
            .filter(|p| matches!(p, IpNet::V6(_)))
            .map(ToString::to_string)
            .collect();
        let local_any = rule.local.prefixes.is_empty();
        addresses.extend(rule.local.prefixes.iter().copied());
        let mut local_idents: [Option<String>; 2] = [None, None];
        for (v6, list) in [(false, &local_v4), (true, &local_v6)] {
            if list.is_empty() {
                continue;
            }
            let suffix = format!("local{sep}{}", if v6 { "v6" } else { "v4" });
            let ident = names.object(&rule.name, Some(&suffix))?;
            plan.locals.push(LocalSide {
                ident: ident.clone(),
                family: family_name(v6),
                v6,
                note: note(
                    &format!("{} local side {}", rule.name, family_name(v6)),
                    sizes.comment,
                ),
                prefixes: list.clone(),
            });
            local_idents[usize::from(v6)] = Some(ident);
        }

        // Remote groups, per family, in parts that fit.
        let mut groups: Vec<(String, Group)> = Vec::new();
        let families: [(bool, Vec<String>); 2] =
            [(false, sr.set.v4_strings()), (true, sr.set.v6_strings())];
        let edl_entries = families[0].1.len() + families[1].1.len();
        if !local_any
            && families.iter().all(|(v6, list)| {
                list.is_empty() || (if *v6 { &local_v6 } else { &local_v4 }).is_empty()
            })
        {
            return Err(limit_error(
                target,
                format!(
                    "rule {:?}: its tags hold no prefix of the address family of its local \
                     prefixes; the rule would match nothing",
                    rule.name
                ),
            ));
        }
        for (v6, list) in families {
            let local = if v6 { &local_v6 } else { &local_v4 };
            // A rule whose local side has no address of this family cannot
            // carry traffic of it.
            if list.is_empty() || (!local_any && local.is_empty()) {
                continue;
            }
            addresses.extend(list.iter().filter_map(|p| p.parse::<IpNet>().ok()));
            let short = if v6 { "v6" } else { "v4" };
            let weight = sizes.weight(v6);
            let local_units = local.len() * weight;
            let mut cap = sizes.chunk_units;
            if let Some(pu) = sizes.policy_units {
                if local_units >= pu {
                    return Err(limit_error(
                        target,
                        format!(
                            "rule {:?}: its {} local prefixes use {local_units} of the \
                             {pu} address units a policy holds; no remote prefix fits",
                            rule.name,
                            local.len()
                        ),
                    ));
                }
                cap = Some(cap.map_or(pu - local_units, |c| c.min(pu - local_units)));
            }
            let ranges = match cap {
                Some(units) => {
                    let max = units / weight;
                    if max == 0 {
                        return Err(limit_error(
                            target,
                            format!(
                                "rule {:?}: one {} prefix counts {weight} units, more than \
                                 the {units} left in a group",
                                rule.name,
                                family_name(v6)
                            ),
                        ));
                    }
                    chunk::stable_chunks(&list, max)
                }
                None => std::iter::once(0..list.len()).collect(),
            };
            let group_note = note(
                &format!(
                    "{} {}: {tags} - {} changeNumber {}",
                    rule.name,
                    family_name(v6),
                    prov.cloud,
                    prov.change_number
                ),
                sizes.comment,
            );
            for (n, range) in ranges.into_iter().enumerate() {
                let index = n + 1;
                let suffix = match cap {
                    Some(_) => format!("{short}{sep}{index}"),
                    None => short.to_string(),
                };
                let ident = names.object(&rule.name, Some(&suffix))?;
                let prefixes = list[range].to_vec();
                groups.push((
                    suffix,
                    Group {
                        ident,
                        family: family_name(v6),
                        v6,
                        index,
                        note: group_note.clone(),
                        count: prefixes.len(),
                        prefixes,
                    },
                ));
            }
        }

        if let Some(max) = limit(target, EDL_ENTRIES) {
            let entries = edl_entries;
            if strict && entries > max {
                return Err(limit_error(
                    target,
                    format!(
                        "rule {:?}: {entries} prefixes, more than the {max} entries an \
                         External Dynamic List holds (the firewall would skip the rest); \
                         split the rule",
                        rule.name
                    ),
                ));
            }
            plan.edls.push(Edl {
                ident: names.object(&rule.name, None)?,
                entries,
                note: note(
                    &format!("{}: {tags} - {}", rule.name, prov.cloud),
                    sizes.comment,
                ),
            });
            plan.edl_entries += entries;
        }

        let service = service_of(rule, &mut names)?;
        if let Some(s) = &service
            && !services.iter().any(|x| x.ident == s.ident)
        {
            services.push(s.clone());
        }

        for (dir_index, dir) in rule.direction.expand().iter().enumerate() {
            let inbound = *dir == Direction::Inbound;
            let base: Option<&str> = (rule.direction == Direction::Both && inbound).then_some("in");
            let ident = names.object(&rule.name, base)?;
            let name = names.policy(&rule.name, base)?;
            let description = rule
                .description
                .clone()
                .unwrap_or_else(|| rule.tags.join(", "));
            let policy_note = note(
                &format!("{} {}: {description}", rule.name, dir.as_str()),
                sizes.comment,
            );
            let mut entries = Vec::with_capacity(groups.len());
            for (suffix, g) in &groups {
                let entry_suffix = match base {
                    Some(b) => format!("{b}{sep}{suffix}"),
                    None => suffix.clone(),
                };
                let local = if g.v6 { &local_v6 } else { &local_v4 };
                let weight = sizes.weight(g.v6);
                let ports = service.as_ref().map_or(1, |s| s.ranges.len());
                entries.push(Entry {
                    ident: names.object(&rule.name, Some(&entry_suffix))?,
                    policy: ident.clone(),
                    group: g.ident.clone(),
                    family: g.family,
                    v6: g.v6,
                    inbound,
                    permit: rule.action == Action::Allow,
                    protocol: protocol_str(rule.protocol),
                    service: service.as_ref().map(|s| s.ident.clone()),
                    ports: service.as_ref().map_or_else(Vec::new, |s| s.ports.clone()),
                    note: policy_note.clone(),
                    interface: rule.local.interface.clone(),
                    local_group: local_idents[usize::from(g.v6)].clone(),
                    local: local.clone(),
                    units: (g.count + local.len()) * weight,
                    elements: g.count * local.len().max(1) * ports,
                    line: 0,
                    before_in_direction: None,
                    before_in_family: None,
                });
            }
            let remote: Vec<String> = groups.iter().map(|(_, g)| g.ident.clone()).collect();
            let policy = Policy {
                ident,
                name,
                id: hashed_policy_id(&rule.name, dir.as_str()),
                direction: dir.as_str(),
                inbound,
                action: rule.action.as_str(),
                permit: rule.action == Action::Allow,
                protocol: protocol_str(rule.protocol),
                service: service.as_ref().map(|s| s.ident.clone()),
                note: policy_note,
                interface: rule.local.interface.clone(),
                local: !local_any,
                local_v4: local_v4.clone(),
                local_v6: local_v6.clone(),
                v4: groups
                    .iter()
                    .filter(|(_, g)| !g.v6)
                    .map(|(_, g)| g.ident.clone())
                    .collect(),
                v6: groups
                    .iter()
                    .filter(|(_, g)| g.v6)
                    .map(|(_, g)| g.ident.clone())
                    .collect(),
                remote,
                local_prefixes: local_v4.iter().chain(&local_v6).cloned().collect(),
                entries,
                line: 0,
                before: None,
                before_id: None,
            };
            policies.push((rule.priority, rule_index, dir_index, policy));
        }
        plan.groups.extend(groups.into_iter().map(|(_, g)| g));
    }
    policies.sort_by_key(|(priority, rule, dir, _)| (*priority, *rule, *dir));
    plan.policies = policies.into_iter().map(|(_, _, _, p)| p).collect();
    resolve_policy_ids(&mut plan.policies);
    number_lines(&mut plan.policies);
    plan.entries = plan.policies.iter().map(|p| p.entries.len()).sum();
    plan.elements = plan
        .policies
        .iter()
        .flat_map(|p| &p.entries)
        .map(|e| e.elements)
        .sum();
    plan.services = services;
    let (v4, v6): (Vec<IpNet>, Vec<IpNet>) = addresses
        .into_iter()
        .partition(|n| matches!(n, IpNet::V4(_)));
    plan.addresses = Families::new(
        v4.iter().map(ToString::to_string).collect(),
        v6.iter().map(ToString::to_string).collect(),
    );
    Ok(plan)
}

/// The service of a TCP or UDP rule; `None` for ICMP and any protocol.
fn service_of(rule: &Rule, names: &mut Names) -> Result<Option<Service>> {
    if !rule.protocol.has_ports() {
        return Ok(None);
    }
    let protocol = protocol_str(rule.protocol);
    let (ports, ranges): (Vec<String>, Vec<PortSpan>) = if rule.ports.is_empty() {
        (
            vec!["1-65535".to_string()],
            vec![PortSpan {
                start: 1,
                end: 65535,
                single: false,
            }],
        )
    } else {
        let mut sorted = rule.ports.clone();
        sorted.sort();
        sorted.dedup();
        (
            sorted.iter().map(ToString::to_string).collect(),
            sorted
                .iter()
                .map(|p| PortSpan {
                    start: p.start,
                    end: p.end,
                    single: p.start == p.end,
                })
                .collect(),
        )
    };
    let label = if rule.ports.is_empty() {
        "all".to_string()
    } else {
        ports.join("_")
    };
    let ident = names.object(&format!("tagwall-{protocol}"), Some(&label))?;
    Ok(Some(Service {
        ident,
        protocol,
        ports,
        ranges,
    }))
}

/// Give every policy a distinct id: its hash, or the next free one after it
/// when another policy (earlier by rule name) holds it.
fn resolve_policy_ids(policies: &mut [Policy]) {
    let mut order: Vec<usize> = (0..policies.len()).collect();
    order.sort_by(|&a, &b| {
        (policies[a].id, &policies[a].ident).cmp(&(policies[b].id, &policies[b].ident))
    });
    let mut taken = HashSet::new();
    for i in order {
        let mut id = policies[i].id;
        while !taken.insert(id) {
            id = FIRST_POLICY_ID + (id - FIRST_POLICY_ID + 1) % POLICY_ID_SPAN;
        }
        policies[i].id = id;
    }
}

/// Access-list lines per direction: a remark per policy, then its entries.
fn number_lines(policies: &mut [Policy]) {
    for inbound in [false, true] {
        let mut line = 0;
        for p in policies.iter_mut().filter(|p| p.inbound == inbound) {
            line += 1;
            p.line = line;
            for e in &mut p.entries {
                line += 1;
                e.line = line;
            }
        }
    }
}

fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let set: HashSet<&String> = b.iter().collect();
    a.iter().filter(|x| !set.contains(x)).cloned().collect()
}

/// True when two versions of a policy differ only in their groups.
fn same_shape(a: &Policy, b: &Policy) -> bool {
    a.direction == b.direction
        && a.action == b.action
        && a.protocol == b.protocol
        && a.service == b.service
        && a.interface == b.interface
        && a.local == b.local
        && a.local_v4 == b.local_v4
        && a.local_v6 == b.local_v6
}

/// What changes from `old` to `new`.
pub fn diff(target: &Target, old: &Plan, new: &Plan) -> Result<Delta> {
    let mut d = Delta {
        addresses_added: Families::new(
            minus(&new.addresses.v4, &old.addresses.v4),
            minus(&new.addresses.v6, &old.addresses.v6),
        ),
        addresses_removed: Families::new(
            minus(&old.addresses.v4, &new.addresses.v4),
            minus(&old.addresses.v6, &new.addresses.v6),
        ),
        ..Delta::default()
    };

    let old_services: HashSet<&str> = old.services.iter().map(|s| s.ident.as_str()).collect();
    let new_services: HashSet<&str> = new.services.iter().map(|s| s.ident.as_str()).collect();
    d.services_added = new
        .services
        .iter()
        .filter(|s| !old_services.contains(s.ident.as_str()))
        .cloned()
        .collect();
    d.services_removed = old
        .services
        .iter()
        .filter(|s| !new_services.contains(s.ident.as_str()))
        .cloned()
        .collect();

    let old_locals: HashMap<&str, &LocalSide> =
        old.locals.iter().map(|l| (l.ident.as_str(), l)).collect();
    let new_locals: HashMap<&str, &LocalSide> =
        new.locals.iter().map(|l| (l.ident.as_str(), l)).collect();
    for l in &new.locals {
        match old_locals.get(l.ident.as_str()) {
            Some(o) if *o == l => {}
            _ => d.locals_added.push(l.clone()),
        }
    }
    for l in &old.locals {
        match new_locals.get(l.ident.as_str()) {
            Some(n) if *n == l => {}
            _ => d.locals_removed.push(l.clone()),
        }
    }

    let old_groups: HashMap<&str, &Group> =
        old.groups.iter().map(|g| (g.ident.as_str(), g)).collect();
    let new_groups: HashSet<&str> = new.groups.iter().map(|g| g.ident.as_str()).collect();
    for g in &new.groups {
        match old_groups.get(g.ident.as_str()) {
            None => {
                d.prefixes_added += g.count;
                d.groups_added.push(g.clone());
            }
            Some(o) => {
                let added = minus(&g.prefixes, &o.prefixes);
                let removed = minus(&o.prefixes, &g.prefixes);
                if !added.is_empty() || !removed.is_empty() {
                    d.prefixes_added += added.len();
                    d.prefixes_removed += removed.len();
                    d.groups_changed.push(GroupChange {
                        ident: g.ident.clone(),
                        family: g.family,
                        v6: g.v6,
                        note: g.note.clone(),
                        count: g.count,
                        shrinks: !removed.is_empty(),
                        added,
                        removed,
                    });
                }
            }
        }
    }
    for g in &old.groups {
        if !new_groups.contains(g.ident.as_str()) {
            d.prefixes_removed += g.count;
            d.groups_removed.push(g.clone());
        }
    }

    let old_policies: HashMap<&str, &Policy> =
        old.policies.iter().map(|p| (p.ident.as_str(), p)).collect();
    let mut kept: HashSet<&str> = HashSet::new();
    let old_entries: HashSet<&str> = old
        .policies
        .iter()
        .flat_map(|p| &p.entries)
        .map(|e| e.ident.as_str())
        .collect();
    let positions = Positions::new(new, &old_policies, &old_entries);
    for (i, p) in new.policies.iter().enumerate() {
        // Both releases are resolved with one policy, so a rule keeps its
        // protocol, ports, action and local side. Were it to change, the
        // delta would have to delete and re-create it under the same name
        // before anything else: refuse rather than write that wrongly.
        if let Some(o) = old_policies.get(p.ident.as_str())
            && !same_shape(o, p)
        {
            return Err(limit_error(
                target,
                format!(
                    "policy {:?} changes its protocol, ports, action or local side between \
                     the releases; apply the full configuration instead of the delta",
                    p.ident
                ),
            ));
        }
        match old_policies.get(p.ident.as_str()) {
            Some(o) if same_shape(o, p) => {
                kept.insert(o.ident.as_str());
                if o.id != p.id {
                    return Err(limit_error(
                        target,
                        format!(
                            "policy {:?} moves from id {} to {} (a hash collision with a new \
                             rule); apply the full configuration instead of the delta",
                            p.ident, o.id, p.id
                        ),
                    ));
                }
                let new_idents: HashSet<&str> =
                    p.entries.iter().map(|e| e.ident.as_str()).collect();
                let was: HashSet<&str> = o.entries.iter().map(|e| e.ident.as_str()).collect();
                let change = PolicyChange {
                    policy: p.clone(),
                    old: (*o).clone(),
                    v4_added: minus(&p.v4, &o.v4),
                    v4_removed: minus(&o.v4, &p.v4),
                    v6_added: minus(&p.v6, &o.v6),
                    v6_removed: minus(&o.v6, &p.v6),
                    remote_added: minus(&p.remote, &o.remote),
                    remote_removed: minus(&o.remote, &p.remote),
                    v4_appears: o.v4.is_empty() && !p.v4.is_empty(),
                    v4_disappears: !o.v4.is_empty() && p.v4.is_empty(),
                    v6_appears: o.v6.is_empty() && !p.v6.is_empty(),
                    v6_disappears: !o.v6.is_empty() && p.v6.is_empty(),
                    entries_added: p
                        .entries
                        .iter()
                        .filter(|e| !was.contains(e.ident.as_str()))
                        .map(|e| positions.place(e))
                        .collect(),
                    entries_removed: o
                        .entries
                        .iter()
                        .filter(|e| !new_idents.contains(e.ident.as_str()))
                        .cloned()
                        .collect(),
                    note_changed: o.note != p.note,
                    grows: false,
                    shrinks: false,
                };
                let mut change = change;
                change.grows = change.note_changed
                    || !change.v4_added.is_empty()
                    || !change.v6_added.is_empty();
                change.shrinks = !change.v4_removed.is_empty() || !change.v6_removed.is_empty();
                let changed = change.note_changed
                    || !change.entries_added.is_empty()
                    || !change.entries_removed.is_empty()
                    || !change.v4_added.is_empty()
                    || !change.v4_removed.is_empty()
                    || !change.v6_added.is_empty()
                    || !change.v6_removed.is_empty();
                if changed {
                    d.policies_changed.push(change);
                }
            }
            _ => {
                let mut added = p.clone();
                let next = new.policies[i + 1..].iter().find(|q| {
                    old_policies
                        .get(q.ident.as_str())
                        .is_some_and(|o| same_shape(o, q))
                });
                added.before = next.map(|q| q.ident.clone());
                added.before_id = next.map(|q| q.id);
                added.entries = p.entries.iter().map(|e| positions.place(e)).collect();
                d.policies_added.push(added);
            }
        }
    }
    d.policies_removed = old
        .policies
        .iter()
        .filter(|p| !kept.contains(p.ident.as_str()))
        .cloned()
        .collect();
    // Entries in their final order, from added and changed policies alike.
    let placed: HashMap<&str, &Entry> = d
        .policies_added
        .iter()
        .flat_map(|p| &p.entries)
        .chain(d.policies_changed.iter().flat_map(|c| &c.entries_added))
        .map(|e| (e.ident.as_str(), e))
        .collect();
    d.entries_added = new
        .policies
        .iter()
        .flat_map(|p| &p.entries)
        .filter_map(|e| placed.get(e.ident.as_str()).map(|e| (*e).clone()))
        .collect();
    let gone: HashSet<&str> = d
        .policies_removed
        .iter()
        .flat_map(|p| &p.entries)
        .chain(d.policies_changed.iter().flat_map(|c| &c.entries_removed))
        .map(|e| e.ident.as_str())
        .collect();
    d.entries_removed = old
        .policies
        .iter()
        .flat_map(|p| &p.entries)
        .filter(|e| gone.contains(e.ident.as_str()))
        .cloned()
        .collect();
    let (old_lines, new_lines) = (acl_lines(old), acl_lines(new));
    let old_keys: HashSet<&String> = old_lines.iter().map(|(k, _)| k).collect();
    let new_keys: HashSet<&String> = new_lines.iter().map(|(k, _)| k).collect();
    d.acl_removed = old_lines
        .iter()
        .filter(|(k, _)| !new_keys.contains(k))
        .map(|(_, l)| l.clone())
        .collect();
    d.acl_added = new_lines
        .iter()
        .filter(|(k, _)| !old_keys.contains(k))
        .map(|(_, l)| l.clone())
        .collect();
    d.changed = d.addresses_added.count > 0
        || d.addresses_removed.count > 0
        || !d.services_added.is_empty()
        || !d.services_removed.is_empty()
        || !d.locals_added.is_empty()
        || !d.locals_removed.is_empty()
        || !d.groups_added.is_empty()
        || !d.groups_removed.is_empty()
        || !d.groups_changed.is_empty()
        || !d.policies_added.is_empty()
        || !d.policies_removed.is_empty()
        || !d.policies_changed.is_empty();
    Ok(d)
}

/// Every access-list line of a plan with a key that is equal exactly when the
/// written line is: by direction, then line number.
fn acl_lines(plan: &Plan) -> Vec<(String, AclLine)> {
    let mut out = Vec::new();
    for inbound in [false, true] {
        for p in plan.policies.iter().filter(|p| p.inbound == inbound) {
            out.push((
                format!("{inbound} remark {}", p.note),
                AclLine {
                    inbound,
                    line: p.line,
                    remark: Some(p.note.clone()),
                    entry: None,
                },
            ));
            for e in &p.entries {
                let mut bare = e.clone();
                bare.line = 0;
                bare.units = 0;
                bare.elements = 0;
                bare.note = String::new();
                let key = format!(
                    "{inbound} entry {}",
                    serde_json::to_string(&bare).unwrap_or_default()
                );
                out.push((
                    key,
                    AclLine {
                        inbound,
                        line: e.line,
                        remark: None,
                        entry: Some(e.clone()),
                    },
                ));
            }
        }
    }
    out
}

/// Where new entries go: before the first later entry that exists already.
struct Positions {
    /// For each entry ident of the new plan: the next existing entry in the
    /// same direction, and in the same family.
    before: HashMap<String, (Option<String>, Option<String>)>,
}

impl Positions {
    fn new(
        new: &Plan,
        old_policies: &HashMap<&str, &Policy>,
        old_entries: &HashSet<&str>,
    ) -> Positions {
        // An entry "exists" when its policy is kept as it was and it was there.
        let exists = |p: &Policy, e: &Entry| {
            old_entries.contains(e.ident.as_str())
                && old_policies
                    .get(p.ident.as_str())
                    .is_some_and(|o| same_shape(o, p))
        };
        let mut before: HashMap<String, (Option<String>, Option<String>)> = HashMap::new();
        for (key, by_direction) in [(0usize, true), (1usize, false)] {
            for lane in [false, true] {
                // Walk the lane backwards, remembering the last existing entry.
                let mut next: Option<String> = None;
                for p in new.policies.iter().rev() {
                    if by_direction && p.inbound != lane {
                        continue;
                    }
                    for e in p.entries.iter().rev() {
                        if !by_direction && e.v6 != lane {
                            continue;
                        }
                        let slot = before.entry(e.ident.clone()).or_default();
                        if key == 0 {
                            slot.0 = next.clone();
                        } else {
                            slot.1 = next.clone();
                        }
                        if exists(p, e) {
                            next = Some(e.ident.clone());
                        }
                    }
                }
            }
        }
        Positions { before }
    }

    fn place(&self, e: &Entry) -> Entry {
        let mut e = e.clone();
        if let Some((dir, fam)) = self.before.get(&e.ident) {
            e.before_in_direction = dir.clone();
            e.before_in_family = fam.clone();
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_safe_and_short() {
        assert_eq!(note("a\"b; $(c)", 100), "a_b_ _(c)");
        let long = note(&"x".repeat(300), 20);
        assert_eq!(long.chars().count(), 20);
        assert!(long.ends_with("..."));
    }

    fn policy(ident: &str, groups: &[&str]) -> Policy {
        Policy {
            ident: ident.into(),
            name: ident.into(),
            id: hashed_policy_id(ident, "outbound"),
            direction: "outbound",
            inbound: false,
            action: "allow",
            permit: true,
            protocol: "tcp",
            service: Some("tagwall-tcp-443".into()),
            note: format!("{ident} outbound"),
            interface: None,
            local: false,
            local_v4: vec![],
            local_v6: vec![],
            v4: groups.iter().map(|g| g.to_string()).collect(),
            v6: vec![],
            remote: groups.iter().map(|g| g.to_string()).collect(),
            local_prefixes: vec![],
            entries: vec![],
            line: 0,
            before: None,
            before_id: None,
        }
    }

    fn junos() -> &'static Target {
        crate::render::TARGETS
            .iter()
            .find(|t| t.name == "junos")
            .unwrap()
    }

    #[test]
    fn a_new_policy_goes_before_the_next_existing_one() {
        let old = Plan {
            policies: vec![policy("A", &["A-v4-1"]), policy("C", &["C-v4-1"])],
            ..Plan::default()
        };
        let new = Plan {
            policies: vec![
                policy("A", &["A-v4-1", "A-v4-2"]),
                policy("B", &["B-v4-1"]),
                policy("C", &["C-v4-1"]),
            ],
            ..Plan::default()
        };
        let d = diff(junos(), &old, &new).unwrap();
        assert_eq!(d.policies_added.len(), 1);
        assert_eq!(d.policies_added[0].before.as_deref(), Some("C"));
        assert_eq!(d.policies_changed.len(), 1);
        assert_eq!(d.policies_changed[0].remote_added, ["A-v4-2"]);
        assert!(d.policies_removed.is_empty());
        assert!(d.changed);
        let same = diff(junos(), &new, &new).unwrap();
        assert!(!same.changed);
    }

    #[test]
    fn a_policy_that_changes_shape_is_refused() {
        let old = Plan {
            policies: vec![policy("A", &["A-v4-1"])],
            ..Plan::default()
        };
        let mut p = policy("A", &["A-v4-1"]);
        p.action = "deny";
        p.permit = false;
        let new = Plan {
            policies: vec![p],
            ..Plan::default()
        };
        let err = diff(junos(), &old, &new).unwrap_err().to_string();
        assert!(err.contains("apply the full configuration"), "{err}");
    }

    #[test]
    fn policy_ids_are_stable_and_distinct() {
        let a = hashed_policy_id("AllowAADOutboundAccess", "outbound");
        assert_eq!(a, hashed_policy_id("AllowAADOutboundAccess", "outbound"));
        assert_ne!(a, hashed_policy_id("AllowAADOutboundAccess", "inbound"));
        assert!((FIRST_POLICY_ID..FIRST_POLICY_ID + POLICY_ID_SPAN).contains(&a));
        let p = |ident: &str, id: u64| Policy {
            ident: ident.into(),
            name: ident.into(),
            id,
            direction: "outbound",
            inbound: false,
            action: "allow",
            permit: true,
            protocol: "tcp",
            service: None,
            note: String::new(),
            interface: None,
            local: false,
            local_v4: vec![],
            local_v6: vec![],
            v4: vec![],
            v6: vec![],
            remote: vec![],
            local_prefixes: vec![],
            entries: vec![],
            line: 0,
            before: None,
            before_id: None,
        };
        let top = FIRST_POLICY_ID + POLICY_ID_SPAN - 1;
        let mut ps = vec![p("b", top), p("a", top), p("c", 5 + FIRST_POLICY_ID)];
        resolve_policy_ids(&mut ps);
        assert_eq!(ps[1].id, top);
        assert_eq!(ps[0].id, FIRST_POLICY_ID);
        assert_eq!(ps[2].id, 5 + FIRST_POLICY_ID);
    }
}
