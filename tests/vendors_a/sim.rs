//! Strict models of the five devices, driven by the files tagwall writes.
//!
//! Each `apply` reads a file line by line the way the device would and
//! panics on a statement it does not know, on a reference to an object that
//! does not exist, on deleting an object still in use and on adding what is
//! already there. So a file that applies cleanly holds only the statements
//! tagwall means to write, and `old full + delta == new full` can be checked
//! on the resulting states.

use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};

/// Attributes of a policy or entry: key -> values.
pub type Attrs = BTreeMap<String, BTreeSet<String>>;

/// What a device holds after applying files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Address objects: name -> prefix.
    pub addresses: BTreeMap<String, IpNet>,
    /// Groups: name -> members (object names, or prefixes where the
    /// platform writes them inline).
    pub groups: BTreeMap<String, BTreeSet<String>>,
    /// Services: name -> definition.
    pub services: BTreeMap<String, BTreeSet<String>>,
    /// Ordered policies per container (rulebase, zone pair, access list,
    /// chain): container -> [(name, attributes)].
    pub policies: BTreeMap<String, Vec<(String, Attrs)>>,
    /// Junos prefix lists: name -> prefixes.
    pub prefix_lists: BTreeMap<String, BTreeSet<IpNet>>,
    /// ASA access-group bindings: "in inside" -> access list.
    pub bindings: BTreeMap<String, String>,
    /// FortiOS: the VDOM whose objects this is (none: a device without
    /// VDOMs). Statements of another VDOM, or outside one, do not see them.
    pub vdom: Option<String>,
    /// PAN-OS log forwarding profiles the device holds (a test seeds them).
    pub profiles: BTreeSet<String>,
    /// PAN-OS: the objects and rules of each virtual system (`vsys vsys2`)
    /// and Panorama device group (`device-group DG`), apart from the
    /// firewall's own and from each other.
    pub scopes: BTreeMap<String, State>,
}

impl State {
    /// The prefixes of a group, members resolved through address objects.
    pub fn resolve(&self, group: &str) -> BTreeSet<IpNet> {
        self.groups[group]
            .iter()
            .map(|m| match self.addresses.get(m) {
                Some(p) => *p,
                None => m.parse().unwrap_or_else(|_| {
                    panic!("{group}: member {m} is neither an address object nor a prefix")
                }),
            })
            .collect()
    }

    /// Every name that some policy refers to.
    pub fn referenced(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for list in self.policies.values() {
            for (_, attrs) in list {
                for values in attrs.values() {
                    out.extend(values.iter().cloned());
                }
            }
        }
        out
    }

    fn policy_mut(&mut self, container: &str, name: &str) -> &mut Attrs {
        let list = self.policies.entry(container.to_string()).or_default();
        if let Some(i) = list.iter().position(|(n, _)| n == name) {
            return &mut list[i].1;
        }
        list.push((name.to_string(), Attrs::new()));
        &mut list.last_mut().unwrap().1
    }

    fn remove_policy(&mut self, container: &str, name: &str) {
        let list = self
            .policies
            .get_mut(container)
            .unwrap_or_else(|| panic!("no container {container}"));
        let i = list
            .iter()
            .position(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no policy {name} in {container}"));
        list.remove(i);
        if list.is_empty() {
            self.policies.remove(container);
        }
    }

    /// Move policy `name` to the `top` or `bottom` of its container, or
    /// `before` or `after` policy `other`; either missing is an error, as on
    /// a device.
    fn move_to(&mut self, container: &str, name: &str, to: &str, other: Option<&str>) {
        let list = self
            .policies
            .get_mut(container)
            .unwrap_or_else(|| panic!("move: no container {container}"));
        let i = list
            .iter()
            .position(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("move: no {name}"));
        let item = list.remove(i);
        let at = |list: &Vec<(String, Attrs)>, other: Option<&str>| {
            let other = other.unwrap_or_else(|| panic!("move {name} {to}: which rule?"));
            assert_ne!(other, name, "move {name} relative to itself");
            list.iter()
                .position(|(n, _)| n == other)
                .unwrap_or_else(|| panic!("move: no {other}"))
        };
        let j = match to {
            "top" => 0,
            "bottom" => list.len(),
            "before" => at(list, other),
            "after" => at(list, other) + 1,
            _ => panic!("move {name}: unknown position {to}"),
        };
        list.insert(j, item);
    }

    /// Move `name` before or after `other` (`position`).
    fn place(&mut self, container: &str, name: &str, position: &str, other: &str) {
        assert!(
            matches!(position, "before" | "after"),
            "unknown position {position}"
        );
        self.move_to(container, name, position, Some(other));
    }

    fn group_users(&self, name: &str) -> bool {
        self.groups.values().any(|m| m.contains(name)) || self.referenced().contains(name)
    }

    fn delete_address(&mut self, name: &str) {
        assert!(
            !self.group_users(name),
            "address {name} deleted while in use"
        );
        assert!(
            self.addresses.remove(name).is_some(),
            "delete of missing address {name}"
        );
    }

    fn delete_group(&mut self, name: &str) {
        assert!(!self.group_users(name), "group {name} deleted while in use");
        assert!(
            self.groups.remove(name).is_some(),
            "delete of missing group {name}"
        );
    }

    fn add_member(&mut self, group: &str, member: &str) {
        assert!(
            self.groups
                .entry(group.to_string())
                .or_default()
                .insert(member.to_string()),
            "{member} already in {group}"
        );
    }

    fn remove_member(&mut self, group: &str, member: &str) {
        let g = self
            .groups
            .get_mut(group)
            .unwrap_or_else(|| panic!("no group {group}"));
        assert!(g.remove(member), "{member} not in {group}");
    }

    /// Checks every device makes at commit time: no empty group, every
    /// referenced object exists.
    fn check(&self, known: &[&str]) {
        for (g, members) in &self.groups {
            assert!(!members.is_empty(), "group {g} is empty");
            for m in members {
                assert!(
                    self.addresses.contains_key(m)
                        || self.groups.contains_key(m)
                        || m.parse::<IpNet>().is_ok(),
                    "group {g}: unknown member {m}"
                );
            }
        }
        for r in self.referenced() {
            assert!(
                self.addresses.contains_key(&r)
                    || self.groups.contains_key(&r)
                    || self.services.contains_key(&r)
                    || self.profiles.contains(&r)
                    || known.contains(&r.as_str())
                    || r.starts_with("@"),
                "a policy refers to unknown {r}"
            );
        }
    }
}

/// Split a line into words; a double-quoted word keeps its spaces and loses
/// its quotes. Quotes must balance and hold no backslash or `$`.
pub fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut had_quote = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                had_quote = true;
            }
            ' ' if !quoted => {
                if !cur.is_empty() || had_quote {
                    out.push(std::mem::take(&mut cur));
                }
                had_quote = false;
            }
            '\\' | '$' if quoted => panic!("{c} inside quotes: {line}"),
            c => cur.push(c),
        }
    }
    assert!(!quoted, "unbalanced quotes: {line}");
    if !cur.is_empty() || had_quote {
        out.push(cur);
    }
    out
}

fn prefix(s: &str) -> IpNet {
    let p: IpNet = s.parse().unwrap_or_else(|_| panic!("not a prefix: {s}"));
    assert_eq!(p, p.trunc(), "host bits set: {s}");
    assert_eq!(p.to_string(), s, "not canonical: {s}");
    p
}

/// `A.B.C.D M.M.M.M` as a prefix.
fn mask_pair(addr: &str, mask: &str) -> IpNet {
    let m: std::net::Ipv4Addr = mask
        .parse()
        .unwrap_or_else(|_| panic!("not a mask: {mask}"));
    let len = u32::from(m).leading_ones() as u8;
    assert_eq!(
        u32::from(m).count_ones() as u8,
        len,
        "not a contiguous mask: {mask}"
    );
    prefix(&format!("{addr}/{len}"))
}

fn w(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

// ---------------------------------------------------------------- PAN-OS

/// Apply PAN-OS set commands. A statement goes to the firewall's own
/// configuration, or after `vsys NAME` to that virtual system and after
/// `device-group NAME` to that Panorama device group (its `pre-rulebase` and
/// `post-rulebase`; a firewall has one `rulebase`), each holding its own
/// objects and rules.
pub fn panos(state: &mut State, text: &str) {
    for line in text.lines() {
        let v = words(line);
        let t = w(&v);
        let (verb, rest) = t
            .split_first()
            .unwrap_or_else(|| panic!("PAN-OS: empty line"));
        let (scope, rest, rulebases): (_, _, &[&str]) = match rest {
            ["vsys", name, rest @ ..] => {
                let n = name.strip_prefix("vsys").unwrap_or("");
                assert!(
                    !n.is_empty() && !n.starts_with('0') && n.chars().all(|c| c.is_ascii_digit()),
                    "PAN-OS: no virtual system {name}: {line:?}"
                );
                (Some(format!("vsys {name}")), rest, &["rulebase"])
            }
            ["device-group", name, rest @ ..] => (
                Some(format!("device-group {name}")),
                rest,
                &["pre-rulebase", "post-rulebase"],
            ),
            rest => (None, rest, &["rulebase"]),
        };
        let st = match scope {
            Some(scope) => state.scopes.entry(scope).or_default(),
            None => &mut *state,
        };
        panos_statement(st, verb, rest, rulebases, line);
    }
    panos_check(state);
    for scope in state.scopes.values() {
        panos_check(scope);
    }
}

/// One statement, `verb` and the words after the scope.
fn panos_statement(state: &mut State, verb: &str, rest: &[&str], rulebases: &[&str], line: &str) {
    let rb = |name: &str| -> String {
        assert!(
            rulebases.contains(&name),
            "PAN-OS: no {name} here (only {rulebases:?}): {line:?}"
        );
        name.to_string()
    };
    match (verb, rest) {
        ("set", ["address", name, "ip-netmask", p]) => {
            let p = prefix(p);
            if let Some(old) = state.addresses.insert(name.to_string(), p) {
                assert_eq!(old, p, "{name} redefined");
            }
        }
        ("set", ["service", name, "protocol", proto, "port", ports]) => {
            state
                .services
                .insert(name.to_string(), [format!("{proto} {ports}")].into());
        }
        ("set", ["address-group", _, "description", _]) => {}
        ("set", ["address-group", g, "static", m]) => {
            assert!(state.addresses.contains_key(*m), "{g}: unknown member {m}");
            state
                .groups
                .entry(g.to_string())
                .or_default()
                .insert(m.to_string());
        }
        ("set", [base, "security", "rules", r, key, value]) => {
            let attrs = state.policy_mut(&rb(base), r);
            match *key {
                "description" => {}
                "source" | "destination" | "application" => {
                    attrs
                        .entry(key.to_string())
                        .or_default()
                        .insert(value.to_string());
                }
                "log-start" | "log-end" if !matches!(*value, "yes" | "no") => {
                    panic!("{key} takes yes or no: {line:?}")
                }
                "from" | "to" | "service" | "action" | "log-setting" | "log-start" | "log-end" => {
                    attrs.insert(key.to_string(), [value.to_string()].into());
                }
                _ => panic!("unknown rule attribute: {line:?}"),
            }
        }
        ("move", [base, "security", "rules", r, to @ ("top" | "bottom")]) => {
            state.move_to(&rb(base), r, to, None)
        }
        ("move", [base, "security", "rules", r, to @ ("before" | "after"), s]) => {
            state.move_to(&rb(base), r, to, Some(s))
        }
        ("delete", ["address", name]) => state.delete_address(name),
        ("delete", ["address-group", g]) => state.delete_group(g),
        ("delete", ["address-group", g, "static", m]) => state.remove_member(g, m),
        ("delete", [base, "security", "rules", r]) => state.remove_policy(&rb(base), r),
        (
            "delete",
            [
                base,
                "security",
                "rules",
                r,
                key @ ("source" | "destination"),
                value,
            ],
        ) => {
            let attrs = state.policy_mut(&rb(base), r);
            assert!(
                attrs.get_mut(*key).unwrap().remove(*value),
                "{r} has no {key} {value}"
            );
        }
        ("delete", ["service", s]) => {
            assert!(
                !state.referenced().contains(*s),
                "service {s} deleted in use"
            );
            state.services.remove(*s).unwrap();
        }
        _ => panic!("PAN-OS: unknown statement: {line:?}"),
    }
}

/// What a commit checks: every reference resolves (a log forwarding profile
/// too), and every rule has what a security rule needs.
fn panos_check(state: &State) {
    state.check(&[
        "any",
        "trust",
        "untrust",
        "allow",
        "deny",
        "icmp",
        "ipv6-icmp",
        "application-default",
        "yes",
        "no",
    ]);
    for (r, attrs) in state.policies.values().flatten() {
        for key in [
            "from",
            "to",
            "source",
            "destination",
            "application",
            "service",
            "action",
        ] {
            assert!(
                attrs.get(key).is_some_and(|v| !v.is_empty()),
                "rule {r} has no {key}"
            );
        }
    }
}

// --------------------------------------------------------------- FortiOS

pub fn fortios(state: &mut State, text: &str) {
    let mut table: Option<String> = None;
    let mut entry: Option<String> = None;
    // `config vdom` seen, then the VDOM entered with `edit NAME`.
    let mut vdoms = false;
    let mut vdom: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let v = words(line.trim_start());
        let t = w(&v);
        if table.is_none() && entry.is_none() {
            match (t.as_slice(), vdoms, &vdom) {
                (["config", "vdom"], false, None) => {
                    vdoms = true;
                    continue;
                }
                (["edit", name], true, None) => {
                    assert!(
                        !name.is_empty()
                            && name.len() <= 11
                            && name
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)),
                        "FortiOS: bad VDOM name {name:?}"
                    );
                    vdom = Some(name.to_string());
                    continue;
                }
                (["end"], true, _) => {
                    (vdoms, vdom) = (false, None);
                    continue;
                }
                (_, true, None) => panic!("FortiOS: expected edit VDOM: {line:?}"),
                (["config", ..], _, _) => {
                    // Objects live in their VDOM: another one, or none,
                    // does not see them.
                    let seen = state.policies.len()
                        + state.addresses.len()
                        + state.groups.len()
                        + state.services.len();
                    if seen == 0 {
                        state.vdom = vdom.clone();
                    }
                    assert_eq!(
                        state.vdom, vdom,
                        "FortiOS: the objects are in VDOM {:?}, this statement in {vdom:?}",
                        state.vdom
                    );
                }
                _ => {}
            }
        }
        match (t.as_slice(), &table, &entry) {
            (["config", "firewall", kind @ ..], None, None) => {
                let kind = kind.join(" ");
                assert!(
                    [
                        "address",
                        "address6",
                        "addrgrp",
                        "addrgrp6",
                        "service custom",
                        "policy"
                    ]
                    .contains(&kind.as_str()),
                    "unknown table: {line}"
                );
                table = Some(kind);
            }
            (["end"], Some(_), None) => table = None,
            (["edit", name], Some(tb), None) => {
                if tb == "policy" {
                    let id: u64 = name.parse().expect("policy id");
                    assert!(
                        (1_000_000_000..4_000_000_000).contains(&id),
                        "policy id {id} outside tagwall's range"
                    );
                }
                entry = Some(name.to_string());
            }
            (["next"], Some(tb), Some(name)) => {
                fortios_check_entry(state, tb, name);
                entry = None;
            }
            (
                [
                    verb @ ("set" | "append" | "unselect" | "unset"),
                    key,
                    values @ ..,
                ],
                Some(tb),
                Some(name),
            ) => {
                fortios_set(state, tb, name, verb, key, values, line);
            }
            (["delete", name], Some(tb), None) => fortios_delete(state, tb, name),
            (["move", a, position @ ("before" | "after"), b], Some(tb), None) if tb == "policy" => {
                state.place("policy", a, position, b)
            }
            _ => panic!("FortiOS: unexpected line: {line:?}"),
        }
    }
    assert!(
        table.is_none() && entry.is_none() && !vdoms,
        "unterminated config block"
    );
    state.check(&["all", "ALL", "ALL_ICMP", "ALL_ICMP6"]);
}

fn fortios_group_key(tb: &str, name: &str) -> String {
    format!("{tb}:{name}")
}

fn fortios_set(
    state: &mut State,
    tb: &str,
    name: &str,
    verb: &str,
    key: &str,
    values: &[&str],
    line: &str,
) {
    match (tb, key) {
        ("address", "subnet") => {
            assert_eq!(verb, "set");
            state
                .addresses
                .insert(name.to_string(), mask_pair(values[0], values[1]));
        }
        ("address6", "ip6") => {
            assert_eq!(verb, "set");
            state.addresses.insert(name.to_string(), prefix(values[0]));
        }
        ("addrgrp" | "addrgrp6", "member") => {
            let g = fortios_group_key(tb, name);
            for m in values {
                let family_ok = if tb == "addrgrp" {
                    state
                        .addresses
                        .get(*m)
                        .is_some_and(|p| matches!(p, IpNet::V4(_)))
                } else {
                    state
                        .addresses
                        .get(*m)
                        .is_some_and(|p| matches!(p, IpNet::V6(_)))
                };
                assert!(
                    family_ok,
                    "{tb} {name}: member {m} is not an address of the group's family"
                );
            }
            match verb {
                "set" => {
                    state
                        .groups
                        .insert(g, values.iter().map(|s| s.to_string()).collect());
                }
                "append" => values.iter().for_each(|m| state.add_member(&g, m)),
                "unselect" => values.iter().for_each(|m| state.remove_member(&g, m)),
                _ => panic!("{line}"),
            }
        }
        ("addrgrp" | "addrgrp6", "comment") => {}
        ("service custom", "tcp-portrange" | "udp-portrange") => {
            state.services.insert(
                name.to_string(),
                [format!("{key} {}", values.join(" "))].into(),
            );
        }
        ("policy", "comments") => {}
        ("policy", "logtraffic") => {
            assert!(
                verb == "set" && matches!(values, ["all" | "utm" | "disable"]),
                "FortiOS: bad logtraffic: {line}"
            );
            let attrs = state.policy_mut("policy", name);
            attrs.insert(key.to_string(), [format!("@{}", values[0])].into());
        }
        ("policy", "name") => {
            let n = values[0];
            assert!(
                n.len() <= 35
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)),
                "policy name {n:?} breaks FortiOS's name rules"
            );
        }
        ("policy", _) => {
            let addr = matches!(key, "srcaddr" | "dstaddr" | "srcaddr6" | "dstaddr6");
            let set: BTreeSet<String> = values
                .iter()
                .map(|v| {
                    // Group names are per table: resolve them.
                    let table = if key.ends_with('6') {
                        "addrgrp6"
                    } else {
                        "addrgrp"
                    };
                    let group = fortios_group_key(table, v);
                    if addr && state.groups.contains_key(&group) {
                        group
                    } else if addr || key == "service" {
                        v.to_string()
                    } else {
                        format!("@{v}")
                    }
                })
                .collect();
            let attrs = state.policy_mut("policy", name);
            match verb {
                "set" => {
                    attrs.insert(key.to_string(), set);
                }
                "append" => {
                    let cur = attrs
                        .get_mut(key)
                        .unwrap_or_else(|| panic!("append to unset {key}: {line}"));
                    for s in set {
                        assert!(cur.insert(s), "append of a present value: {line}");
                    }
                }
                "unselect" => {
                    let cur = attrs.get_mut(key).unwrap();
                    for s in set {
                        assert!(cur.remove(&s), "unselect of an absent value: {line}");
                    }
                    assert!(!cur.is_empty(), "unselect empties {key}: {line}");
                }
                "unset" => {
                    assert!(
                        attrs.remove(key).is_some(),
                        "unset of an unset {key}: {line}"
                    );
                }
                _ => panic!("{line}"),
            }
        }
        _ => panic!("FortiOS: unknown attribute: {line:?}"),
    }
}

fn fortios_delete(state: &mut State, tb: &str, name: &str) {
    match tb {
        "address" | "address6" => state.delete_address(name),
        "addrgrp" | "addrgrp6" => state.delete_group(&fortios_group_key(tb, name)),
        "service custom" => {
            assert!(!state.referenced().contains(name));
            state.services.remove(name).unwrap();
        }
        "policy" => state.remove_policy("policy", name),
        _ => panic!("delete in {tb}"),
    }
}

fn fortios_check_entry(state: &State, tb: &str, name: &str) {
    if tb == "policy" {
        let p = &state.policies["policy"]
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1;
        let v4 = p.contains_key("srcaddr") || p.contains_key("dstaddr");
        let v6 = p.contains_key("srcaddr6") || p.contains_key("dstaddr6");
        assert!(v4 || v6, "policy {name} has no address");
        if v4 {
            assert!(
                p.contains_key("srcaddr") && p.contains_key("dstaddr"),
                "policy {name}: half an IPv4 side"
            );
        }
        if v6 {
            assert!(
                p.contains_key("srcaddr6") && p.contains_key("dstaddr6"),
                "policy {name}: half an IPv6 side"
            );
        }
    }
}

// ------------------------------------------------------------ Cisco ASA

pub fn asa(state: &mut State, text: &str) {
    let mut group: Option<(String, bool)> = None;
    for line in text.lines() {
        if line.starts_with('!') {
            continue;
        }
        if let Some(rest) = line.strip_prefix(' ') {
            let (g, network) = group
                .clone()
                .unwrap_or_else(|| panic!("member line outside a group: {line}"));
            let t: Vec<&str> = rest.split(' ').collect();
            match (network, t.as_slice()) {
                (_, ["description", ..]) => {}
                (true, ["network-object", a, m]) => {
                    state.add_member(&g, &mask_pair(a, m).to_string())
                }
                (true, ["network-object", p]) => state.add_member(&g, &prefix(p).to_string()),
                (true, ["no", "network-object", a, m]) => {
                    state.remove_member(&g, &mask_pair(a, m).to_string())
                }
                (true, ["no", "network-object", p]) => {
                    state.remove_member(&g, &prefix(p).to_string())
                }
                (false, ["port-object", "eq", p]) => {
                    state
                        .services
                        .get_mut(&g)
                        .unwrap()
                        .insert(format!("eq {p}"));
                }
                (false, ["port-object", "range", a, b]) => {
                    state
                        .services
                        .get_mut(&g)
                        .unwrap()
                        .insert(format!("range {a} {b}"));
                }
                _ => panic!("ASA: unknown group line: {line:?}"),
            }
            continue;
        }
        group = None;
        let t: Vec<&str> = line.split(' ').collect();
        match t.as_slice() {
            ["object-group", "network", g] => {
                state.groups.entry(g.to_string()).or_default();
                group = Some((g.to_string(), true));
            }
            ["object-group", "service", s, "tcp" | "udp"] => {
                state.services.entry(s.to_string()).or_default();
                group = Some((s.to_string(), false));
            }
            ["no", "object-group", "network", g] => state.delete_group(g),
            ["no", "object-group", "service", s] => {
                assert!(!state.referenced().contains(*s));
                state.services.remove(*s).unwrap();
            }
            ["access-group", acl, dir @ ("in" | "out"), "interface", name] => {
                assert!(
                    state.policies.contains_key(*acl),
                    "access-group of a list that does not exist: {line}"
                );
                state
                    .bindings
                    .insert(format!("{dir} {name}"), acl.to_string());
            }
            ["access-list", acl, "line", n, rest @ ..] => {
                asa_acl(state, acl, Some(n.parse().unwrap()), rest, line)
            }
            ["access-list", acl, rest @ ..] => asa_acl(state, acl, None, rest, line),
            ["no", "access-list", acl, rest @ ..] => {
                let text = rest.join(" ");
                let list = state.policies.get_mut(*acl).unwrap();
                let i = list
                    .iter()
                    .position(|(n, _)| *n == text)
                    .unwrap_or_else(|| panic!("no such access-list line: {line}"));
                list.remove(i);
            }
            _ => panic!("ASA: unknown statement: {line:?}"),
        }
    }
    state.check(&[]);
}

fn asa_acl(state: &mut State, acl: &str, at: Option<usize>, rest: &[&str], line: &str) {
    assert!(
        acl == "tagwall-outbound" || acl == "tagwall-inbound",
        "{line}"
    );
    let text = rest.join(" ");
    let mut attrs = Attrs::new();
    match rest {
        ["remark", ..] => {}
        ["extended", "permit" | "deny", proto, tail @ ..] => {
            assert!(
                ["tcp", "udp", "icmp", "icmp6", "ip"].contains(proto),
                "{line}"
            );
            // Every "object-group X" is a reference.
            let mut refs = BTreeSet::new();
            let mut i = 0;
            let mut sides = 0;
            while i < tail.len() {
                match tail[i] {
                    "object-group" => {
                        refs.insert(tail[i + 1].to_string());
                        i += 2;
                    }
                    "any4" | "any6" | "any" => i += 1,
                    other => panic!("ASA: unexpected {other} in {line}"),
                }
                sides += 1;
            }
            assert!(sides == 2 || sides == 3, "{line}");
            attrs.insert("refs".into(), refs);
        }
        _ => panic!("ASA: unknown access-list line: {line:?}"),
    }
    let list = state.policies.entry(acl.to_string()).or_default();
    assert!(
        list.iter().all(|(n, _)| *n != text),
        "duplicate access-list line: {line}"
    );
    match at {
        Some(n) => {
            assert!(
                n >= 1 && n <= list.len() + 1,
                "line {n} beyond the end: {line}"
            );
            list.insert(n - 1, (text, attrs));
        }
        None => list.push((text, attrs)),
    }
}

// ---------------------------------------------------------------- Junos

pub fn junos(state: &mut State, text: &str) {
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let v = words(line);
        let t = w(&v);
        match t.as_slice() {
            [
                "set",
                "security",
                "address-book",
                "global",
                "address",
                name,
                p,
            ] => {
                state.addresses.insert(name.to_string(), prefix(p));
            }
            [
                "set",
                "security",
                "address-book",
                "global",
                "address-set",
                _,
                "description",
                _,
            ] => {}
            [
                "set",
                "security",
                "address-book",
                "global",
                "address-set",
                g,
                "address",
                m,
            ] => {
                assert!(state.addresses.contains_key(*m), "{g}: unknown address {m}");
                state.add_member(g, m);
            }
            [
                "delete",
                "security",
                "address-book",
                "global",
                "address-set",
                g,
                "address",
                m,
            ] => state.remove_member(g, m),
            [
                "delete",
                "security",
                "address-book",
                "global",
                "address-set",
                g,
            ] => state.delete_group(g),
            [
                "delete",
                "security",
                "address-book",
                "global",
                "address",
                name,
            ] => state.delete_address(name),
            [
                "set",
                "applications",
                "application",
                a,
                "term",
                term,
                "protocol",
                p,
                "destination-port",
                ports,
            ] => {
                state
                    .services
                    .entry(a.to_string())
                    .or_default()
                    .insert(format!("{term} {p} {ports}"));
            }
            ["delete", "applications", "application", a] => {
                assert!(!state.referenced().contains(*a));
                state.services.remove(*a).unwrap();
            }
            ["set", "security", "policies", scope @ ..] => {
                let (container, p, rest) = junos_policy(scope, line);
                let global = container == "global";
                let attrs = state.policy_mut(&container, p);
                match rest {
                    ["description", _] => {}
                    [
                        "match",
                        key @ ("source-address" | "destination-address" | "application"),
                        value,
                    ] => {
                        attrs
                            .entry(key.to_string())
                            .or_default()
                            .insert(value.to_string());
                    }
                    ["match", key @ ("from-zone" | "to-zone"), zone] if global => {
                        assert!(
                            attrs
                                .entry(key.to_string())
                                .or_default()
                                .insert(format!("@{zone}")),
                            "{line}"
                        );
                    }
                    ["then", action @ ("permit" | "deny")] => {
                        attrs.insert("then".into(), [format!("@{action}")].into());
                    }
                    ["then", "log", when @ ("session-init" | "session-close")] => {
                        attrs
                            .entry("log".into())
                            .or_default()
                            .insert(format!("@{when}"));
                    }
                    _ => panic!("Junos: unknown policy line: {line:?}"),
                }
            }
            ["insert", "security", "policies", scope @ ..] => {
                let (container, p, rest) = junos_policy(scope, line);
                match rest {
                    [position @ ("before" | "after"), "policy", q] => {
                        state.place(&container, p, position, q)
                    }
                    _ => panic!("Junos: unknown insert: {line:?}"),
                }
            }
            ["delete", "security", "policies", scope @ ..] => {
                let (container, p, rest) = junos_policy(scope, line);
                assert!(rest.is_empty(), "Junos: unknown delete: {line:?}");
                state.remove_policy(&container, p);
            }
            ["set", "policy-options", "prefix-list", l, p] => {
                assert!(
                    state
                        .prefix_lists
                        .entry(l.to_string())
                        .or_default()
                        .insert(prefix(p)),
                    "{line}"
                );
            }
            ["delete", "policy-options", "prefix-list", l, p] => {
                assert!(
                    state.prefix_lists.get_mut(*l).unwrap().remove(&prefix(p)),
                    "{line}"
                );
            }
            ["delete", "policy-options", "prefix-list", l] => {
                state.prefix_lists.remove(*l).unwrap();
            }
            _ => panic!("Junos: unknown statement: {line:?}"),
        }
    }
    state.check(&["any", "junos-icmp-all", "junos-icmp6-all"]);
    for (zones, list) in &state.policies {
        for (p, attrs) in list {
            for key in [
                "source-address",
                "destination-address",
                "application",
                "then",
            ] {
                assert!(attrs.contains_key(key), "{zones} policy {p} has no {key}");
            }
        }
    }
}

/// The list a Junos policy statement is about (`global`, or `Z1>Z2` for
/// a zone pair), the policy and the rest of the statement.
fn junos_policy<'a>(scope: &'a [&'a str], line: &str) -> (String, &'a str, &'a [&'a str]) {
    match scope {
        ["global", "policy", p, rest @ ..] => ("global".into(), p, rest),
        ["from-zone", z1, "to-zone", z2, "policy", p, rest @ ..] => (format!("{z1}>{z2}"), p, rest),
        _ => panic!("Junos: unknown policy statement: {line:?}"),
    }
}

// ------------------------------------------------------------- RouterOS

pub fn routeros(state: &mut State, text: &str) {
    let mut menu = "";
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with('/') {
            menu = match line {
                "/ip firewall address-list" => "ip list",
                "/ipv6 firewall address-list" => "ipv6 list",
                "/ip firewall filter" => "ip filter",
                "/ipv6 firewall filter" => "ipv6 filter",
                _ => panic!("RouterOS: unknown menu {line}"),
            };
            continue;
        }
        let (family, what) = menu
            .split_once(' ')
            .unwrap_or_else(|| panic!("statement outside a menu: {line}"));
        if let Some(inner) = line
            .strip_prefix("remove [find where ")
            .and_then(|s| s.strip_suffix(']'))
        {
            let conditions: Vec<&str> = inner.split(" && ").collect();
            match (what, conditions.as_slice()) {
                ("list", [list, "comment~\"^tagwall\""]) => {
                    let list = unquote(list.strip_prefix("list=").unwrap());
                    let key = format!("{family}:{list}");
                    // Removing entries no one has is legal (the first import).
                    if let Some(g) = state.groups.get_mut(&key) {
                        g.clear();
                    }
                    state.groups.remove(&key);
                }
                ("list", [list, address]) => {
                    let list = unquote(list.strip_prefix("list=").unwrap());
                    let address =
                        routeros_address(address.strip_prefix("address=").unwrap(), family);
                    state.remove_member(&format!("{family}:{list}"), &address);
                    if state.groups[&format!("{family}:{list}")].is_empty() {
                        state.groups.remove(&format!("{family}:{list}"));
                    }
                }
                ("filter", [comment]) => {
                    let c = unquote(comment.strip_prefix("comment=").unwrap());
                    let container = format!("{family} forward");
                    if state
                        .policies
                        .get(&container)
                        .is_some_and(|l| l.iter().any(|(n, _)| *n == c))
                    {
                        state.remove_policy(&container, &c);
                    }
                }
                _ => panic!("RouterOS: unknown remove: {line:?}"),
            }
            continue;
        }
        // A filter rule replaced where it stands, or added when missing:
        // :if ([:len [find where comment="C"]] = 0) do={
        // add ... comment="C"
        // } else={
        // :foreach i in=[find where comment="C"] do={
        // add ... comment="C" place-before=$i
        // remove $i
        // }
        // }
        if let Some(c) = line
            .strip_prefix(":if ([:len [find where comment=")
            .and_then(|s| s.strip_suffix("]] = 0) do={"))
        {
            assert_eq!(what, "filter", "{line}");
            let mut next = || {
                lines
                    .next()
                    .unwrap_or_else(|| panic!("unclosed :if: {line}"))
            };
            let (add, else_, each, replace, remove, end1, end2) =
                (next(), next(), next(), next(), next(), next(), next());
            assert_eq!(else_, "} else={", "{line}");
            assert_eq!(
                each,
                format!(":foreach i in=[find where comment={c}] do={{")
            );
            let bare = add.split(" place-before=").next().unwrap();
            assert_eq!(replace, format!("{bare} place-before=$i"), "{line}");
            assert_eq!((remove, end1, end2), ("remove $i", "}", "}"), "{line}");
            let c = unquote(c);
            let container = format!("{family} forward");
            let list = state.policies.entry(container.clone()).or_default();
            match list.iter().position(|(n, _)| *n == c) {
                None => routeros_add(state, family, what, add),
                Some(i) => {
                    let removed = list.remove(i);
                    routeros_add(state, family, what, add);
                    let list = state.policies.get_mut(&container).unwrap();
                    let (new, _) = list
                        .iter()
                        .enumerate()
                        .find(|(_, (n, _))| *n == removed.0)
                        .unwrap();
                    let moved = list.remove(new);
                    list.insert(i, moved);
                }
            }
            continue;
        }
        routeros_add(state, family, what, line);
    }
    state.check(&[]);
}

/// A RouterOS `add`.
fn routeros_add(state: &mut State, family: &str, what: &str, line: &str) {
    let Some(args) = line.strip_prefix("add ") else {
        panic!("RouterOS: unknown statement: {line:?}")
    };
    let (args, before) = match args.split_once(" place-before=[find where comment=") {
        Some((a, b)) => (a, Some(unquote(b.strip_suffix(']').unwrap()))),
        None => (args, None),
    };
    let mut kv: BTreeMap<String, String> = BTreeMap::new();
    for word in words(args) {
        let (k, v) = word
            .split_once('=')
            .unwrap_or_else(|| panic!("not key=value: {word} in {line}"));
        assert!(
            kv.insert(k.to_string(), v.to_string()).is_none(),
            "{k} twice in {line}"
        );
    }
    match what {
        "list" => {
            let list = kv.remove("list").unwrap();
            let address = routeros_address(&kv.remove("address").unwrap(), family);
            let comment = kv.remove("comment").unwrap();
            assert!(comment.starts_with("tagwall"), "{line}");
            assert!(kv.is_empty(), "{line}");
            state.add_member(&format!("{family}:{list}"), &address);
        }
        "filter" => {
            let comment = kv.remove("comment").unwrap();
            assert!(comment.starts_with("tagwall:"), "{line}");
            assert_eq!(kv.remove("chain").as_deref(), Some("forward"));
            let container = format!("{family} forward");
            let mut attrs = Attrs::new();
            for (k, v) in kv {
                let v = if k.ends_with("address-list") {
                    format!("{family}:{v}")
                } else {
                    format!("@{v}")
                };
                attrs.insert(k, [v].into());
            }
            let list = state.policies.entry(container.clone()).or_default();
            assert!(
                list.iter().all(|(n, _)| *n != comment),
                "duplicate filter rule {comment}"
            );
            match before {
                Some(b) => {
                    let i = list
                        .iter()
                        .position(|(n, _)| *n == b)
                        .unwrap_or_else(|| panic!("place-before finds nothing: {line}"));
                    list.insert(i, (comment, attrs));
                }
                None => list.push((comment, attrs)),
            }
        }
        _ => unreachable!(),
    }
}

fn unquote(s: &str) -> String {
    let v = words(s);
    assert_eq!(v.len(), 1, "one word expected: {s}");
    v[0].clone()
}

/// RouterOS stores an IPv4 /32 as the bare address.
fn routeros_address(s: &str, family: &str) -> String {
    if family == "ip" && !s.contains('/') {
        let a: std::net::Ipv4Addr = s.parse().unwrap();
        return format!("{a}/32");
    }
    let p = prefix(s);
    assert!(
        !(family == "ip" && p.prefix_len() == 32),
        "RouterOS would not find {s}: write it bare"
    );
    assert_eq!(
        matches!(p, IpNet::V6(_)),
        family == "ipv6",
        "{s} in the {family} menu"
    );
    p.to_string()
}

/// Apply `text` for `target`.
pub fn apply(target: &str, state: &mut State, text: &str) {
    match target {
        "panos" => panos(state, text),
        "fortios" => fortios(state, text),
        "cisco-asa" => asa(state, text),
        "junos" => junos(state, text),
        "mikrotik" => routeros(state, text),
        _ => panic!("no model of {target}"),
    }
}
