//! The template context of a vendor target, [`VendorContext`]: the generic
//! context (`tool`, `source`, `previous`, `rules`, `removed_rules`) and the
//! plan.
//!
//! What a row's templates read is stated in its profile
//! ([`PlanReads`]): a target whose templates never read the generic rule
//! lists gets them empty, and one that never reads the policies' entries gets
//! no `entries` keys at all (see [`Entries`](super::plan::Entries)).

use super::build::{plan, plan_lenient};
use super::delta::diff;
use super::names::FIRST_POLICY_ID;
use super::placement::{Anchor, Lists, place};
use super::plan::{Delta, Edl, Families, Group, LocalSide, Plan, Policy, Service};
use super::{internal, limit_error};
use crate::error::Result;
use crate::policy::{self, Rulebase, VendorOptions};
use crate::render::helpers::Quote;
use crate::render::items::Items;
use crate::render::profile::PlanReads;
use crate::render::{Job, PlanHead, PolicyContext, Target, context_value};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The context of a vendor target (every row whose profile has
/// [`plan`](crate::render::profile::Profile::plan)).
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let reads: PlanReads = target
        .profile
        .plan
        .ok_or_else(|| internal(target, "the target's profile does not describe a plan"))?;
    let base = if reads.rules {
        Base::Rules(PolicyContext::new(job, target)?)
    } else {
        Base::Head(PlanHead::of(job))
    };
    let objects_only = job
        .selection
        .policy
        .targets
        .vendor(target.name)
        .is_some_and(|v| v.objects_only);
    let mut plan = plan(job.selection, &job.provenance, target)?;
    if let Some(o) = job.selection.policy.targets.vendor(target.name)
        && let Some(rule) = &o.placement_rule
        && plan.policies.iter().any(|p| &p.ident == rule)
    {
        // The device would refuse `move R before R`, and placing the rules
        // around one of their own is no place at all.
        return Err(limit_error(
            target,
            format!(
                "placement_rule {rule:?} is one of the policy's own rules; name a rule of yours"
            ),
        ));
    }
    if objects_only {
        plan.keep_objects_only();
    }
    let mut delta = match &job.previous {
        Some(prev) => {
            let mut old = plan_lenient(prev.selection, &prev.provenance, target)?;
            if objects_only {
                old.keep_objects_only();
            }
            Some(diff(target, &old, &plan)?)
        }
        None => None,
    };
    let options = job.selection.policy.targets.vendor(target.name);
    let global = options.is_some_and(|o| o.global);
    // The admin's rule as the target writes it: PAN-OS quotes a name with a
    // space.
    let rule = options
        .and_then(|o| o.placement_rule.as_deref())
        .map(|r| match target.name {
            "panos" if r.contains(' ') => Quote::Panos.apply(r),
            _ => r.to_string(),
        });
    let anchor = match options.and_then(|o| o.placement) {
        Some(policy::Placement::Top) => Some(Anchor::Top),
        Some(policy::Placement::Before) => rule.as_deref().map(Anchor::Before),
        Some(policy::Placement::After) => rule.as_deref().map(Anchor::After),
        Some(policy::Placement::Bottom) | None => None,
    };
    let lists = match target.name {
        _ if global => Lists::One,
        "mikrotik" => Lists::ByFamily,
        _ => Lists::ByDirection,
    };
    place(&mut plan, delta.as_mut(), anchor, lists);
    if !reads.entries {
        plan.omit_entries();
        if let Some(d) = &mut delta {
            d.omit_entries();
        }
    }
    let zones = |given: Option<&Vec<String>>, default: &str| match given.map(Vec::as_slice) {
        None | Some([]) => default.to_string(),
        Some([one]) => one.clone(),
        Some(many) => format!("[ {} ]", many.join(" ")),
    };
    // FortiOS names, each quoted, separated by spaces (`"port1" "port2"`).
    let interfaces = |given: Option<&Vec<String>>| match given {
        Some(names) if !names.is_empty() => names
            .iter()
            .map(|n| crate::render::helpers::Quote::Fortios.apply(n))
            .collect::<Vec<_>>()
            .join(" "),
        _ => "\"any\"".to_string(),
    };
    let ctx = VendorContext {
        base,
        objects_only,
        zones: Zones {
            local: zones(options.and_then(|o| o.from_zones.as_ref()), "trust"),
            remote: zones(options.and_then(|o| o.to_zones.as_ref()), "untrust"),
        },
        interfaces: Interfaces {
            local: interfaces(options.and_then(|o| o.from_interfaces.as_ref())),
            remote: interfaces(options.and_then(|o| o.to_interfaces.as_ref())),
        },
        bindings: bindings(options),
        global: global.then(|| GlobalZones {
            local: options
                .and_then(|o| o.from_zones.clone())
                .unwrap_or_default(),
            remote: options.and_then(|o| o.to_zones.clone()).unwrap_or_default(),
        }),
        log_start: options.and_then(|o| o.log_start),
        log_end: options.and_then(|o| o.log_end),
        placement: anchor.map(|a| match a {
            Anchor::Top => Placement {
                position: "top",
                rule: String::new(),
            },
            Anchor::Before(rule) => Placement {
                position: "before",
                rule: rule.to_string(),
            },
            Anchor::After(rule) => Placement {
                position: "after",
                rule: rule.to_string(),
            },
        }),
        vdom: options.and_then(|o| o.vdom.clone()),
        logtraffic: options.and_then(|o| o.logtraffic).map(|l| l.as_str()),
        panos: Panos::of(options),
        limits: target.profile.by_label(),
        policy_id_base: FIRST_POLICY_ID,
        plan: PlanOut::from(plan),
        delta,
    };
    context_value(target, &ctx)
}

/// The generic part of a vendor context: the rules, or only the head for a
/// target whose templates never read them.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Base<'a> {
    /// The generic context, rules and all.
    Rules(PolicyContext<'a>),
    /// The head, with the rule lists left empty.
    Head(PlanHead<'a>),
}

/// The context of a vendor target: the generic part and the plan.
#[derive(Serialize)]
pub struct VendorContext<'a> {
    /// `tool`, `source`, `previous`, `rules`, `removed_rules` (the rule
    /// lists empty when the row's templates do not read them).
    #[serde(flatten)]
    pub base: Base<'a>,
    /// `[targets.<vendor>] objects_only`: the plan holds address objects and
    /// groups only (no services, no policies).
    pub objects_only: bool,
    /// PAN-OS and Junos: the zones rules go from and to.
    pub zones: Zones,
    /// FortiOS: the interfaces rules go from and to.
    pub interfaces: Interfaces,
    /// Cisco ASA: the lists `access-group` binds (`[targets.cisco-asa]
    /// bind_outbound`, `bind_inbound`), each ending in its `unmatched`
    /// entry; empty when none is bound.
    pub bindings: Vec<AsaBinding>,
    /// Junos `global = true`: the zones global policies match; null for
    /// policies of a zone pair (`zones`).
    pub global: Option<GlobalZones>,
    /// `log_start` (Junos `then log session-init`); null when unset.
    pub log_start: Option<bool>,
    /// `log_end` (Junos `then log session-close`); null when unset.
    pub log_end: Option<bool>,
    /// `placement = "top"`, `"before"` or `"after"` with its
    /// `placement_rule`; null for the bottom of the list. Where each created
    /// policy or entry goes is its `place`.
    pub placement: Option<Placement>,
    /// FortiOS `vdom`: the VDOM the files go into; null when unset.
    pub vdom: Option<String>,
    /// FortiOS `logtraffic` (`all`, `utm` or `disable`); null when unset.
    pub logtraffic: Option<&'static str>,
    /// PAN-OS: where the statements go, the rules' logging and placement.
    pub panos: Panos,
    /// The row's limits by their `tagwall targets` label, as templates look
    /// them up (`lookup limits "EDL entries per list"`).
    pub limits: BTreeMap<&'static str, usize>,
    /// The first FortiOS policy id tagwall uses.
    pub policy_id_base: u64,
    /// This release's plan.
    pub plan: PlanOut,
    /// With a previous release, what changes from its plan to this one;
    /// else null.
    pub delta: Option<Delta>,
}

/// The zones of the two sides of a rule, as the device writes a member list
/// (`trust`, or `[ inside dmz ]` for several): `[targets.panos|junos]
/// from_zones` and `to_zones`.
#[derive(Serialize)]
pub struct Zones {
    /// The local side's zones (`from_zones`, default `trust`).
    pub local: String,
    /// The zones Azure is reached through (`to_zones`, default `untrust`).
    pub remote: String,
}

/// The interfaces of the two sides of a FortiOS policy, quoted as the CLI
/// takes them (`"any"`, or `"port1" "port2"`): `[targets.fortios]
/// from_interfaces` and `to_interfaces`.
#[derive(Serialize)]
pub struct Interfaces {
    /// The local side's, when a rule names none (default `"any"`).
    pub local: String,
    /// Those Azure is reached through (default `"any"`).
    pub remote: String,
}

/// An ASA access list bound to an interface.
#[derive(Serialize)]
pub struct AsaBinding {
    /// The list: `tagwall-outbound` or `tagwall-inbound`.
    pub acl: &'static str,
    /// The interface's nameif.
    pub interface: String,
    /// `in` or `out`.
    pub direction: &'static str,
    /// The action of the list's last entry, `deny ip any any` or `permit ip
    /// any any`: `deny` or `permit`.
    pub unmatched: &'static str,
}

/// The bound ASA lists, outbound first.
fn bindings(options: Option<&VendorOptions>) -> Vec<AsaBinding> {
    let Some(o) = options else { return Vec::new() };
    let Some(unmatched) = o.unmatched else {
        return Vec::new();
    };
    [
        ("tagwall-outbound", &o.bind_outbound),
        ("tagwall-inbound", &o.bind_inbound),
    ]
    .into_iter()
    .filter_map(|(acl, b)| {
        b.as_ref().map(|b| AsaBinding {
            acl,
            interface: b.interface.clone(),
            direction: b.direction.as_str(),
            unmatched: unmatched.as_str(),
        })
    })
    .collect()
}

/// The zones a Junos global policy matches (`match from-zone`, `match
/// to-zone`): `[targets.junos] from_zones` and `to_zones` with `global =
/// true`. An empty list (the key unset) matches any zone and writes no match.
#[derive(Serialize)]
pub struct GlobalZones {
    /// The local side's zones (`from_zones`).
    pub local: Vec<String>,
    /// The zones Azure is reached through (`to_zones`).
    pub remote: Vec<String>,
}

/// `placement` other than `bottom`, and `placement_rule`.
#[derive(Serialize)]
pub struct Placement {
    /// `top`, `before` or `after`.
    pub position: &'static str,
    /// `placement_rule` as the target writes it (a Junos or PAN-OS name, a
    /// FortiOS id, a RouterOS comment); empty for `top`.
    pub rule: String,
}

/// Where PAN-OS statements go and what the rules carry besides what they
/// match: `[targets.panos]` vsys, device_group and rulebase, log_setting,
/// log_start and log_end (where the rules go is each policy's `place`). Names with a space
/// are quoted as the `panos` helper quotes.
#[derive(Serialize)]
pub struct Panos {
    /// What follows `set`, `move` and `delete` before the kind of object:
    /// empty on a firewall, `vsys vsys2 ` in a virtual system, `device-group
    /// DG ` on Panorama.
    pub path: String,
    /// `rulebase`, or on Panorama `pre-rulebase` or `post-rulebase`.
    pub rulebase: &'static str,
    /// The log forwarding profile (`log-setting`); null: not written.
    pub log_setting: Option<String>,
    /// `yes` or `no` (`log-start`); null: not written.
    pub log_start: Option<&'static str>,
    /// `yes` or `no` (`log-end`); null: not written.
    pub log_end: Option<&'static str>,
}

impl Panos {
    /// The PAN-OS part of the context from `[targets.panos]` (none: the
    /// defaults, a firewall's rulebase as it always was).
    fn of(options: Option<&VendorOptions>) -> Panos {
        let name = |n: &String| {
            if n.contains(' ') {
                Quote::Panos.apply(n)
            } else {
                n.clone()
            }
        };
        let yes_no = |b: Option<bool>| b.map(|b| if b { "yes" } else { "no" });
        let o = options.cloned().unwrap_or_default();
        let (path, rulebase) = match (&o.device_group, &o.vsys) {
            (Some(group), _) => (
                format!("device-group {} ", name(group)),
                match o.rulebase.unwrap_or_default() {
                    Rulebase::Pre => "pre-rulebase",
                    Rulebase::Post => "post-rulebase",
                },
            ),
            (None, Some(vsys)) => (format!("vsys {vsys} "), "rulebase"),
            (None, None) => (String::new(), "rulebase"),
        };
        Panos {
            path,
            rulebase,
            log_setting: o.log_setting.as_ref().map(name),
            log_start: yes_no(o.log_start),
            log_end: yes_no(o.log_end),
        }
    }
}

/// A [`Plan`] as the context holds it, field for field; templates walk its
/// lists one item at a time (see [`Items`]).
#[derive(Serialize)]
pub struct PlanOut {
    /// [`Plan::addresses`].
    pub addresses: FamiliesOut,
    /// [`Plan::groups`].
    pub groups: Items<Group>,
    /// [`Plan::locals`].
    pub locals: Items<LocalSide>,
    /// [`Plan::services`].
    pub services: Items<Service>,
    /// [`Plan::policies`].
    pub policies: Items<Policy>,
    /// [`Plan::edls`].
    pub edls: Items<Edl>,
    /// [`Plan::edl_entries`].
    pub edl_entries: usize,
    /// [`Plan::entries`].
    pub entries: usize,
    /// [`Plan::elements`].
    pub elements: usize,
}

/// [`Families`] as the context holds it.
#[derive(Serialize)]
pub struct FamiliesOut {
    /// [`Families::v4`].
    pub v4: Items<String>,
    /// [`Families::v6`].
    pub v6: Items<String>,
    /// [`Families::count`].
    pub count: usize,
}

impl From<Plan> for PlanOut {
    fn from(plan: Plan) -> PlanOut {
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
        PlanOut {
            addresses: FamiliesOut {
                v4: Items::new(v4),
                v6: Items::new(v6),
                count,
            },
            groups: Items::new(groups),
            locals: Items::new(locals),
            services: Items::new(services),
            policies: Items::new(policies),
            edls: Items::new(edls),
            edl_entries,
            entries,
            elements,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::vendor::{Entries, Entry};

    fn entry() -> Entry {
        Entry {
            ident: "A-v4".into(),
            policy: "A".into(),
            group: "A-v4".into(),
            family: "ipv4",
            v6: false,
            inbound: false,
            permit: true,
            protocol: "any",
            service: None,
            ports: vec![],
            note: String::new(),
            interface: None,
            local_group: None,
            local: vec![],
            units: 1,
            elements: 1,
            line: 2,
            place: None,
        }
    }

    #[test]
    fn omitted_entries_are_no_key_at_all() {
        let mut delta = Delta {
            entries_added: vec![entry()].into(),
            ..Delta::default()
        };
        let listed = serde_json::to_value(&delta).unwrap();
        assert_eq!(listed["entries_added"][0]["ident"], "A-v4");
        delta.omit_entries();
        let omitted = serde_json::to_value(&delta).unwrap();
        assert!(omitted.get("entries_added").is_none());
        assert!(omitted.get("entries_removed").is_none());
        assert!(omitted.get("policies_added").is_some());
        assert!(Entries::Omitted.is_empty());
    }

    #[test]
    fn a_drained_plan_serializes_as_the_plan() {
        let plan = Plan {
            addresses: Families {
                v4: vec!["192.0.2.0/24".into()],
                v6: vec![],
                count: 1,
            },
            edl_entries: 3,
            ..Plan::default()
        };
        let want = serde_json::to_value(&plan).unwrap();
        let got = serde_json::to_value(PlanOut::from(plan)).unwrap();
        assert_eq!(got, want);
    }
}
