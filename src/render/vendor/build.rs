//! Building the plan of one release, rule by rule: its local side, its
//! remote groups split to fit, its External Dynamic List, its service and
//! its policies with their entries; then the policies in priority order, with
//! distinct ids and access-list lines.

use super::names::{Names, hashed_policy_id, note, resolve_policy_ids};
use super::plan::{Edl, Entry, Families, Group, LocalSide, Plan, Policy, PortSpan, Service};
use super::{family_name, internal, limit_error};
use crate::error::Result;
use crate::policy::{Action, Direction, Rule};
use crate::render::{Target, chunk};
use crate::select::{SelectedRule, Selection};
use crate::source::Provenance;
use ipnet::IpNet;
use std::collections::BTreeSet;

/// The plan of the previous release. Its limits were the previous build's
/// business: only this release's plan must fit.
pub(super) fn plan_lenient(
    sel: &Selection<'_>,
    prov: &Provenance,
    target: &Target,
) -> Result<Plan> {
    build(sel, prov, target, false)
}

/// The plan of `sel` on `target`, within the target's limits.
pub fn plan(sel: &Selection<'_>, prov: &Provenance, target: &Target) -> Result<Plan> {
    build(sel, prov, target, true)
}

fn build(sel: &Selection<'_>, prov: &Provenance, target: &Target, strict: bool) -> Result<Plan> {
    let mut builder = Builder::new(target, prov, strict)?;
    for (rule_index, sr) in sel.rules.iter().enumerate() {
        builder.rule(rule_index, sr)?;
    }
    Ok(builder.finish())
}

/// What the row's profile says about sizes.
struct Sizes {
    chunk_units: Option<usize>,
    policy_units: Option<usize>,
    v6_weight: usize,
    comment: usize,
}

impl Sizes {
    fn of(target: &Target) -> Result<Sizes> {
        let limits = &target.profile;
        Ok(Sizes {
            chunk_units: target.chunk_size,
            policy_units: limits.policy_units,
            v6_weight: limits.v6_weight.unwrap_or(1).max(1),
            comment: limits
                .comment_len
                .ok_or_else(|| internal(target, "the target's profile has no comment length"))?,
        })
    }

    fn weight(&self, v6: bool) -> usize {
        if v6 { self.v6_weight } else { 1 }
    }
}

/// A rule's local side, as its groups, policies and entries use it.
struct Local {
    v4: Vec<String>,
    v6: Vec<String>,
    /// The rule names no local prefix: any address.
    any: bool,
    /// The local sides' object names, per family.
    idents: [Option<String>; 2],
}

impl Local {
    fn family(&self, v6: bool) -> &Vec<String> {
        if v6 { &self.v6 } else { &self.v4 }
    }
}

/// A rule's remote prefixes in groups, each with its name suffix, and how
/// many prefixes the rule has in all (its EDL's entries).
struct Remote {
    groups: Vec<(String, Group)>,
    prefixes: usize,
}

/// A plan being built.
struct Builder<'a> {
    target: &'a Target,
    prov: &'a Provenance,
    /// Whether this release's limits apply (not for the previous release).
    strict: bool,
    sizes: Sizes,
    names: Names,
    plan: Plan,
    /// Every prefix used, remote and local.
    addresses: BTreeSet<IpNet>,
    services: Vec<Service>,
    /// Policies with their sort key: priority, rule, direction.
    policies: Vec<(u16, usize, usize, Policy)>,
}

impl<'a> Builder<'a> {
    fn new(target: &'a Target, prov: &'a Provenance, strict: bool) -> Result<Builder<'a>> {
        Ok(Builder {
            target,
            prov,
            strict,
            sizes: Sizes::of(target)?,
            names: Names::new(target),
            plan: Plan::default(),
            addresses: BTreeSet::new(),
            services: Vec::new(),
            policies: Vec::new(),
        })
    }

    /// Add one rule. Names are claimed in a fixed order (local sides,
    /// groups, EDL, service, policies and entries), so that of two things
    /// that map to one name the same one is refused every time.
    fn rule(&mut self, rule_index: usize, sr: &SelectedRule<'_>) -> Result<()> {
        let rule = &sr.rule;
        let tags = sr
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let local = self.local_side(rule)?;
        let remote = self.remote_groups(sr, &local, &tags)?;
        if let Some(max) = self.target.profile.edl_entries {
            self.edl(rule, remote.prefixes, max, &tags)?;
        }
        let service = service_of(rule, &mut self.names)?;
        if let Some(s) = &service
            && !self.services.iter().any(|x| x.ident == s.ident)
        {
            self.services.push(s.clone());
        }
        self.rule_policies(rule_index, rule, &local, &remote.groups, service.as_ref())?;
        self.plan
            .groups
            .extend(remote.groups.into_iter().map(|(_, g)| g));
        Ok(())
    }

    /// The rule's local prefixes, and a local side per family that has any.
    fn local_side(&mut self, rule: &Rule) -> Result<Local> {
        let strings = |v6: bool| -> Vec<String> {
            rule.local
                .prefixes
                .iter()
                .filter(|p| matches!(p, IpNet::V6(_)) == v6)
                .map(ToString::to_string)
                .collect()
        };
        let mut local = Local {
            v4: strings(false),
            v6: strings(true),
            any: rule.local.prefixes.is_empty(),
            idents: [None, None],
        };
        self.addresses.extend(rule.local.prefixes.iter().copied());
        let sep = self.target.names.sep;
        for v6 in [false, true] {
            let list = local.family(v6);
            if list.is_empty() {
                continue;
            }
            let suffix = format!("local{sep}{}", if v6 { "v6" } else { "v4" });
            let ident = self.names.object(&rule.name, Some(&suffix))?;
            self.plan.locals.push(LocalSide {
                ident: ident.clone(),
                family: family_name(v6),
                v6,
                note: note(
                    &format!("{} local side {}", rule.name, family_name(v6)),
                    self.sizes.comment,
                ),
                prefixes: list.clone(),
            });
            local.idents[usize::from(v6)] = Some(ident);
        }
        Ok(local)
    }

    /// The rule's remote prefixes per family, in groups that fit a group and
    /// (with the local side) a policy.
    fn remote_groups(
        &mut self,
        sr: &SelectedRule<'_>,
        local: &Local,
        tags: &str,
    ) -> Result<Remote> {
        let rule = &sr.rule;
        let families: [(bool, Vec<String>); 2] =
            [(false, sr.set.v4_strings()), (true, sr.set.v6_strings())];
        let prefixes = families[0].1.len() + families[1].1.len();
        if !local.any
            && families
                .iter()
                .all(|(v6, list)| list.is_empty() || local.family(*v6).is_empty())
        {
            return Err(limit_error(
                self.target,
                format!(
                    "rule {:?}: its tags hold no prefix of the address family of its local \
                     prefixes; the rule would match nothing",
                    rule.name
                ),
            ));
        }
        let mut groups = Vec::new();
        for (v6, list) in families {
            // A rule whose local side has no address of this family cannot
            // carry traffic of it.
            if list.is_empty() || (!local.any && local.family(v6).is_empty()) {
                continue;
            }
            self.addresses
                .extend(list.iter().filter_map(|p| p.parse::<IpNet>().ok()));
            self.family_groups(rule, v6, list, local.family(v6).len(), tags, &mut groups)?;
        }
        Ok(Remote { groups, prefixes })
    }

    /// The groups of one family: one, or numbered parts when the row caps
    /// a group's units (its `chunk_size`, or what a policy leaves beside the
    /// local prefixes).
    fn family_groups(
        &mut self,
        rule: &Rule,
        v6: bool,
        list: Vec<String>,
        local_len: usize,
        tags: &str,
        groups: &mut Vec<(String, Group)>,
    ) -> Result<()> {
        let sep = self.target.names.sep;
        let short = if v6 { "v6" } else { "v4" };
        let weight = self.sizes.weight(v6);
        let local_units = local_len * weight;
        let mut cap = self.sizes.chunk_units;
        if let Some(pu) = self.sizes.policy_units {
            if local_units >= pu {
                return Err(limit_error(
                    self.target,
                    format!(
                        "rule {:?}: its {local_len} local prefixes use {local_units} of the \
                         {pu} address units a policy holds; no remote prefix fits",
                        rule.name,
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
                        self.target,
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
                "{} {}: {tags} - {}",
                rule.name,
                family_name(v6),
                self.prov.cloud,
            ),
            self.sizes.comment,
        );
        for (n, range) in ranges.into_iter().enumerate() {
            let index = n + 1;
            let suffix = match cap {
                Some(_) => format!("{short}{sep}{index}"),
                None => short.to_string(),
            };
            let ident = self.names.object(&rule.name, Some(&suffix))?;
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
        Ok(())
    }

    /// The rule's External Dynamic List, of at most `max` entries.
    fn edl(&mut self, rule: &Rule, entries: usize, max: usize, tags: &str) -> Result<()> {
        if self.strict && entries > max {
            return Err(limit_error(
                self.target,
                format!(
                    "rule {:?}: {entries} prefixes, more than the {max} entries an \
                     External Dynamic List holds (the firewall would skip the rest); \
                     split the rule",
                    rule.name
                ),
            ));
        }
        self.plan.edls.push(Edl {
            ident: self.names.object(&rule.name, None)?,
            entries,
            note: note(
                &format!("{}: {tags} - {}", rule.name, self.prov.cloud),
                self.sizes.comment,
            ),
        });
        self.plan.edl_entries += entries;
        Ok(())
    }

    /// A policy per direction of the rule, each with an entry per group.
    fn rule_policies(
        &mut self,
        rule_index: usize,
        rule: &Rule,
        local: &Local,
        groups: &[(String, Group)],
        service: Option<&Service>,
    ) -> Result<()> {
        let sep = self.target.names.sep;
        for (dir_index, dir) in rule.direction.expand().iter().enumerate() {
            let inbound = *dir == Direction::Inbound;
            let base: Option<&str> = (rule.direction == Direction::Both && inbound).then_some("in");
            let ident = self.names.object(&rule.name, base)?;
            let name = self.names.policy(&rule.name, base)?;
            let description = rule
                .description
                .clone()
                .unwrap_or_else(|| rule.tags.join(", "));
            let policy_note = note(
                &format!("{} {}: {description}", rule.name, dir.as_str()),
                self.sizes.comment,
            );
            let mut entries = Vec::with_capacity(groups.len());
            for (suffix, g) in groups {
                let entry_suffix = match base {
                    Some(b) => format!("{b}{sep}{suffix}"),
                    None => suffix.clone(),
                };
                let local_list = local.family(g.v6);
                let weight = self.sizes.weight(g.v6);
                let ports = service.map_or(1, |s| s.ranges.len());
                entries.push(Entry {
                    ident: self.names.object(&rule.name, Some(&entry_suffix))?,
                    policy: ident.clone(),
                    group: g.ident.clone(),
                    family: g.family,
                    v6: g.v6,
                    inbound,
                    permit: rule.action == Action::Allow,
                    protocol: rule.protocol.as_str(),
                    service: service.map(|s| s.ident.clone()),
                    ports: service.map_or_else(Vec::new, |s| s.ports.clone()),
                    note: policy_note.clone(),
                    interface: rule.local.interface.clone(),
                    local_group: local.idents[usize::from(g.v6)].clone(),
                    local: local_list.clone(),
                    units: (g.count + local_list.len()) * weight,
                    elements: g.count * local_list.len().max(1) * ports,
                    line: 0,
                    place: None,
                });
            }
            let idents = |v6: Option<bool>| -> Vec<String> {
                groups
                    .iter()
                    .filter(|(_, g)| v6.is_none_or(|v6| g.v6 == v6))
                    .map(|(_, g)| g.ident.clone())
                    .collect()
            };
            let policy = Policy {
                ident,
                name,
                id: hashed_policy_id(&rule.name, dir.as_str()),
                direction: dir.as_str(),
                inbound,
                action: rule.action.as_str(),
                permit: rule.action == Action::Allow,
                protocol: rule.protocol.as_str(),
                service: service.map(|s| s.ident.clone()),
                note: policy_note,
                interface: rule.local.interface.clone(),
                local: !local.any,
                local_v4: local.v4.clone(),
                local_v6: local.v6.clone(),
                v4: idents(Some(false)),
                v6: idents(Some(true)),
                remote: idents(None),
                local_prefixes: local.v4.iter().chain(&local.v6).cloned().collect(),
                entries: entries.into(),
                line: 0,
                place: None,
            };
            self.policies
                .push((rule.priority, rule_index, dir_index, policy));
        }
        Ok(())
    }

    /// The plan: policies in priority order with distinct ids and numbered
    /// lines, the totals, and every address once.
    fn finish(self) -> Plan {
        let Builder {
            mut plan,
            mut policies,
            services,
            addresses,
            ..
        } = self;
        policies.sort_by_key(|(priority, rule, dir, _)| (*priority, *rule, *dir));
        plan.policies = policies.into_iter().map(|(_, _, _, p)| p).collect();
        resolve_policy_ids(&mut plan.policies);
        number_lines(&mut plan.policies);
        plan.entries = plan.policies.iter().map(|p| p.entries.len()).sum();
        plan.elements = plan
            .policies
            .iter()
            .flat_map(|p| p.entries.iter())
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
        plan
    }
}

/// The service of a TCP or UDP rule; `None` for ICMP and any protocol.
fn service_of(rule: &Rule, names: &mut Names) -> Result<Option<Service>> {
    if !rule.protocol.has_ports() {
        return Ok(None);
    }
    let protocol = rule.protocol.as_str();
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
