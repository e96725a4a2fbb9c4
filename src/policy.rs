//! The policy: which tags each firewall rule allows, and how.
//!
//! A policy is a TOML file (`tagwall.toml`) of `[[rule]]` tables plus
//! `[options]`. The built-in default is Microsoft's Arc Private Link policy,
//! kept as one commented file that `tagwall init` writes out verbatim.
//! Unknown keys are errors: a typo must not silently widen or narrow a rule.

use crate::error::{Error, Result};
use crate::model::is_unsafe_char;
use crate::release::{CLOUDS, Cloud};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

/// The settings of the Linux targets (`[targets.nftables]`,
/// `[targets.iptables]`) and their checks.
mod linux;
pub use linux::{
    IptMode, IptablesOptions, MAX_IPT_CHAIN_PREFIX, MAX_NFT_CHAIN_PREFIX, MAX_NFT_TABLE, NftMode,
    NftablesOptions, Unmatched,
};

/// The settings of the vendor targets (`[targets.panos]`,
/// `[targets.fortios]`, `[targets.cisco-asa]`, `[targets.junos]`,
/// `[targets.mikrotik]`) and their checks.
mod vendor;
pub use vendor::{
    AsaUnmatched, BindDirection, Binding, LOG_TARGETS, Logtraffic, PLACEMENT_TARGETS, Placement,
    VendorOptions,
};
/// The settings of the `windows-firewall` target
/// (`[targets.windows-firewall]`) and their checks.
mod windows;
pub use windows::{MAX_WINDOWS_GROUP, WindowsFirewallOptions, WindowsMode, WindowsProfile};
/// The settings of the Kubernetes network-policy targets
/// (`[targets.calico]`) and their checks.
mod kube;
pub use kube::{CalicoOptions, DEFAULT_NAMESPACE};
/// The settings of the scheduled job (`[run]`).
mod run;
pub use run::RunSettings;

/// The settings of the `kubernetes` target (`[targets.kubernetes]`) and
/// their checks.
mod kubernetes;
pub use kubernetes::{KubernetesOptions, MAX_K8S_NAME_PREFIX, is_dns_label};

/// The PAN-OS settings of `[targets.panos]` (logging, placement, vsys,
/// Panorama device group) and their checks.
mod panos;
pub use panos::Rulebase;

/// The default policy, with its comments, as `tagwall init` writes it.
pub const DEFAULT_POLICY_TOML: &str = include_str!("default_policy.toml");

/// A whole policy.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Policy-wide options.
    #[serde(default)]
    pub options: Options,
    /// The rules, in order.
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
    /// Settings of individual targets (`[targets.nftables]` ...).
    #[serde(default)]
    pub targets: TargetOptions,
    /// Settings of the scheduled job (`[run]`); every one is also a flag.
    #[serde(default, skip_serializing_if = "RunSettings::is_empty")]
    pub run: RunSettings,
}

/// Settings of individual targets, one table each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetOptions {
    /// `[targets.nftables]`.
    #[serde(default)]
    pub nftables: NftablesOptions,
    /// `[targets.iptables]`.
    #[serde(default)]
    pub iptables: IptablesOptions,
    /// `[targets.panos]`.
    #[serde(default)]
    pub panos: VendorOptions,
    /// `[targets.fortios]`.
    #[serde(default)]
    pub fortios: VendorOptions,
    /// `[targets.cisco-asa]`.
    #[serde(default, rename = "cisco-asa")]
    pub cisco_asa: VendorOptions,
    /// `[targets.junos]`.
    #[serde(default)]
    pub junos: VendorOptions,
    /// `[targets.mikrotik]`.
    #[serde(default)]
    pub mikrotik: VendorOptions,
    /// `[targets.checkpoint]`.
    #[serde(default)]
    pub checkpoint: CheckpointOptions,
    /// `[targets.windows-firewall]`.
    #[serde(default, rename = "windows-firewall")]
    pub windows_firewall: WindowsFirewallOptions,
    /// `[targets.kubernetes]`.
    #[serde(default, skip_serializing_if = "KubernetesOptions::is_default")]
    pub kubernetes: KubernetesOptions,
    /// `[targets.calico]`.
    #[serde(default)]
    pub calico: CalicoOptions,
}

/// `[targets.checkpoint]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointOptions {
    /// Network, host and group objects only: no services, no access
    /// section and no access rules, for rules of the admin's own.
    #[serde(default)]
    pub objects_only: bool,
}

impl TargetOptions {
    /// The settings of the vendor target `name` (the targets that render a
    /// vendor plan), if it is one.
    pub fn vendor(&self, name: &str) -> Option<&VendorOptions> {
        match name {
            "panos" => Some(&self.panos),
            "fortios" => Some(&self.fortios),
            "cisco-asa" => Some(&self.cisco_asa),
            "junos" => Some(&self.junos),
            "mikrotik" => Some(&self.mikrotik),
            _ => None,
        }
    }
}

/// Policy-wide options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// A tag the file lacks is a warning instead of an error.
    #[serde(default)]
    pub allow_missing_tags: bool,
    /// Reserved address categories a selected tag may hold.
    #[serde(default)]
    pub allow_reserved: BTreeSet<Reserved>,
    /// How Azure NSG rules name their remote side.
    #[serde(default)]
    pub nsg_mode: NsgMode,
}

/// How an NSG rule names the service side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NsgMode {
    /// The service tag itself, where the tag supports NSG.
    #[default]
    ServiceTag,
    /// The aggregated prefixes.
    Prefixes,
}

/// Categories of address space refused unless the policy allows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reserved {
    /// `0.0.0.0/0` or `::/0`.
    DefaultRoute,
    /// Shorter than /8 (IPv4) or /12 (IPv6).
    Broad,
    /// RFC 1918, shared address space (RFC 6598), unique local IPv6.
    Private,
    /// 127.0.0.0/8, ::1.
    Loopback,
    /// 169.254.0.0/16, fe80::/10.
    LinkLocal,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// ::ffff:0:0/96.
    Ipv4Mapped,
    /// 0.0.0.0/8, ::/128.
    Unspecified,
    /// 240.0.0.0/4 (including broadcast).
    Reserved,
}

impl Reserved {
    /// The name used in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Reserved::DefaultRoute => "default-route",
            Reserved::Broad => "broad",
            Reserved::Private => "private",
            Reserved::Loopback => "loopback",
            Reserved::LinkLocal => "link-local",
            Reserved::Multicast => "multicast",
            Reserved::Ipv4Mapped => "ipv4-mapped",
            Reserved::Unspecified => "unspecified",
            Reserved::Reserved => "reserved",
        }
    }
}

/// One rule of the policy.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Rule name.
    pub name: String,
    /// Free text for comments and descriptions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Exact tag names or glob patterns.
    pub tags: Vec<String>,
    /// Keep only tags of these regions (case-insensitive); empty keeps all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    /// Address families to render.
    #[serde(default)]
    pub family: FamilyFilter,
    /// Traffic direction, seen from the local side.
    #[serde(default)]
    pub direction: Direction,
    /// Transport protocol.
    #[serde(default)]
    pub protocol: Protocol,
    /// Remote ports; empty means every port.
    #[serde(default)]
    pub ports: Vec<PortRange>,
    /// Priority: NSG priority, and the order of rules elsewhere.
    pub priority: u16,
    /// Allow or deny.
    #[serde(default)]
    pub action: Action,
    /// The local side of the rule.
    #[serde(default)]
    pub local: Local,
}

/// Which address families a rule renders.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FamilyFilter {
    /// IPv4 only.
    Ipv4,
    /// IPv6 only.
    Ipv6,
    /// Both families.
    #[default]
    Both,
}

impl FamilyFilter {
    /// True when IPv4 is rendered.
    pub fn v4(self) -> bool {
        self != FamilyFilter::Ipv6
    }
    /// True when IPv6 is rendered.
    pub fn v6(self) -> bool {
        self != FamilyFilter::Ipv4
    }
}

/// Traffic direction, seen from the local side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Local side to the service.
    #[default]
    Outbound,
    /// Service to the local side.
    Inbound,
    /// Both (rendered as two rules where a platform needs one per direction).
    Both,
}

impl Direction {
    /// The concrete directions this stands for, outbound first.
    pub fn expand(self) -> &'static [Direction] {
        match self {
            Direction::Outbound => &[Direction::Outbound],
            Direction::Inbound => &[Direction::Inbound],
            Direction::Both => &[Direction::Outbound, Direction::Inbound],
        }
    }
    /// `outbound`, `inbound` or `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
            Direction::Both => "both",
        }
    }
}

/// Transport protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP.
    #[default]
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (ICMPv6 for IPv6).
    Icmp,
    /// Any protocol.
    Any,
}

impl Protocol {
    /// `tcp`, `udp`, `icmp` or `any`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Any => "any",
        }
    }
    /// True for protocols with ports.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }
}

/// Allow or deny.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Let the traffic through.
    #[default]
    Allow,
    /// Drop the traffic.
    Deny,
}

impl Action {
    /// `allow` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        }
    }
}

/// The local side of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Local {
    /// NSG service tag for the local side.
    #[serde(default = "Local::default_tag")]
    pub tag: String,
    /// On-premises: local prefixes (empty: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<IpNet>,
    /// On-premises: local interface.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
}

impl Local {
    fn default_tag() -> String {
        "VirtualNetwork".to_string()
    }
}

impl Default for Local {
    fn default() -> Self {
        Local {
            tag: Local::default_tag(),
            prefixes: Vec::new(),
            interface: None,
        }
    }
}

/// An inclusive port range (a single port has `start == end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PortRange {
    /// First port.
    pub start: u16,
    /// Last port.
    pub end: u16,
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

impl std::str::FromStr for PortRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let port = |p: &str| -> Result<u16, String> {
            match p.trim().parse::<u16>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(format!("port {p:?} is not a number from 1 to 65535")),
            }
        };
        let (start, end) = match s.split_once('-') {
            Some((a, b)) => (port(a)?, port(b)?),
            None => (port(s)?, port(s)?),
        };
        if start > end {
            return Err(format!("port range {s:?} runs backwards"));
        }
        Ok(PortRange { start, end })
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(i64),
            Text(String),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Num(n) => n.to_string(),
            Raw::Text(s) => s,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for PortRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.start == self.end {
            s.serialize_u16(self.start)
        } else {
            s.serialize_str(&self.to_string())
        }
    }
}

/// Longest rule name (the Azure NSG limit).
pub const MAX_RULE_NAME: usize = 80;

impl Policy {
    /// The built-in default policy.
    pub fn builtin() -> Policy {
        // The default is a compile-time constant covered by tests.
        Policy::parse(DEFAULT_POLICY_TOML, "built-in policy")
            .unwrap_or_else(|e| unreachable!("the built-in policy is invalid: {e}"))
    }

    /// Read and validate a policy file.
    pub fn load(path: &Path) -> Result<Policy> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io("cannot read policy", path, e))?;
        Policy::parse(&text, &path.display().to_string())
    }

    /// Parse and validate policy text; `file` names it in messages.
    pub fn parse(text: &str, file: &str) -> Result<Policy> {
        let policy: Policy = toml::from_str(text).map_err(|e| Error::Policy {
            file: file.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        policy.validate(file)?;
        Ok(policy)
    }

    /// Check what TOML types alone cannot.
    pub fn validate(&self, file: &str) -> Result<()> {
        let fail = |message: String| {
            Err(Error::Policy {
                file: file.to_string(),
                message,
            })
        };
        if self.rules.is_empty() {
            return fail("the policy has no [[rule]]".into());
        }
        if let Some(c) = &self.run.cloud
            && Cloud::from_arg(c).is_none()
        {
            // "public, usgov or china"
            let mut names: Vec<&str> = CLOUDS.iter().map(|f| f.arg).collect();
            let last = names.pop().unwrap_or_default();
            return fail(format!(
                "[run] cloud {c:?} is not {} or {last}",
                names.join(", ")
            ));
        }
        if let Some(p) = self.run.max_removal_percent
            && p > 100
        {
            return fail(format!("[run] max_removal_percent {p} is above 100"));
        }
        for name in ["panos", "fortios", "cisco-asa", "junos", "mikrotik"] {
            if let Some(v) = self.targets.vendor(name)
                && let Err(message) = v.check(name)
            {
                return fail(message);
            }
        }
        if let Err(message) = self.targets.calico.check() {
            return fail(message);
        }
        let asa = &self.targets.cisco_asa;
        for (key, bound, dir) in [
            ("bind_outbound", &asa.bind_outbound, Direction::Outbound),
            ("bind_inbound", &asa.bind_inbound, Direction::Inbound),
        ] {
            if bound.is_some()
                && !self
                    .rules
                    .iter()
                    .any(|r| r.direction.expand().contains(&dir))
            {
                return fail(format!(
                    "[targets.cisco-asa] {key}: no rule is {}, so there is no list to bind",
                    dir.as_str()
                ));
            }
        }
        let mut names = BTreeSet::new();
        for rule in &self.rules {
            let r = &rule.name;
            if r.is_empty() || r.chars().count() > MAX_RULE_NAME {
                return fail(format!(
                    "rule name {r:?} must have 1 to {MAX_RULE_NAME} characters"
                ));
            }
            if let Some(c) = r
                .chars()
                .find(|&c| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
            {
                return fail(format!(
                    "rule {r:?}: character {c:?} is not allowed in a rule name (letters, digits, . - _)"
                ));
            }
            if !names.insert(r.to_ascii_lowercase()) {
                return fail(format!(
                    "rule {r:?} is defined twice (names are case-insensitive)"
                ));
            }
            if rule.tags.is_empty() {
                return fail(format!("rule {r:?} names no tag"));
            }
            if let Some(t) = rule
                .tags
                .iter()
                .find(|t| t.is_empty() || t.chars().any(is_unsafe_char))
            {
                return fail(format!(
                    "rule {r:?}: tag pattern {t:?} is empty or holds control characters"
                ));
            }
            if !(100..=4096).contains(&rule.priority) {
                return fail(format!(
                    "rule {r:?}: priority {} is outside 100-4096",
                    rule.priority
                ));
            }
            if !rule.ports.is_empty() && !rule.protocol.has_ports() {
                return fail(format!(
                    "rule {r:?}: protocol {} has no ports; remove `ports`",
                    rule.protocol.as_str()
                ));
            }
            if let Some(p) = rule.local.prefixes.iter().find(|p| p.trunc() != **p) {
                return fail(format!("rule {r:?}: local prefix {p} has host bits set"));
            }
            if let Some(i) = &rule.local.interface {
                let ok = !i.is_empty()
                    && i.len() <= 15
                    && i.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !ok {
                    return fail(format!(
                        "rule {r:?}: interface {i:?} is not a valid interface name (1-15 of A-Z a-z 0-9 _ . -)"
                    ));
                }
            }
            let t = &rule.local.tag;
            if t.is_empty()
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return fail(format!(
                    "rule {r:?}: local tag {t:?} is not a valid tag name"
                ));
            }
            if let Some(d) = &rule.description
                && (d.chars().any(is_unsafe_char) || d.chars().count() > 140)
            {
                return fail(format!(
                    "rule {r:?}: description must be printable text of at most 140 characters"
                ));
            }
        }
        if let Some(message) = self.validate_linux() {
            return fail(message);
        }
        if let Some(message) = self.validate_windows() {
            return fail(message);
        }
        if let Some(message) = self.validate_kubernetes() {
            return fail(message);
        }
        // NSG priorities are unique per direction.
        for dir in [Direction::Outbound, Direction::Inbound] {
            let mut seen: std::collections::BTreeMap<u16, &str> = Default::default();
            for rule in self
                .rules
                .iter()
                .filter(|r| r.direction.expand().contains(&dir))
            {
                if let Some(other) = seen.insert(rule.priority, &rule.name) {
                    return fail(format!(
                        "rules {other:?} and {:?} share priority {} for {} traffic",
                        rule.name,
                        rule.priority,
                        dir.as_str()
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_the_arc_private_link_policy() {
        let p = Policy::builtin();
        let rows: Vec<(&str, u16, Direction)> = p
            .rules
            .iter()
            .map(|r| (r.name.as_str(), r.priority, r.direction))
            .collect();
        assert_eq!(
            rows,
            [
                ("AllowAADOutboundAccess", 150, Direction::Outbound),
                ("AllowAzOutboundAccess", 151, Direction::Outbound),
                ("AllowAzureFrontDoorFirstPartyAccess", 152, Direction::Both),
                ("AllowMCROutboundAccess", 153, Direction::Outbound),
            ]
        );
        for r in &p.rules {
            assert_eq!(r.protocol, Protocol::Tcp);
            assert_eq!(
                r.ports,
                [PortRange {
                    start: 443,
                    end: 443
                }]
            );
            assert_eq!(r.local.tag, "VirtualNetwork");
            assert_eq!(r.action, Action::Allow);
        }
        assert!(!p.options.allow_missing_tags);
        assert!(p.options.allow_reserved.is_empty());
        // The file names tagwall's table as the default does.
        let mut defaults = TargetOptions::default();
        defaults.nftables.table = Some("tagwall".into());
        assert_eq!(p.targets, defaults);
    }

    fn err(text: &str) -> String {
        Policy::parse(text, "p.toml").unwrap_err().to_string()
    }

    #[test]
    fn rejects_mistakes_with_a_clear_message() {
        let rule = "[[rule]]\nname = \"A\"\ntags = [\"X\"]\npriority = 100\n";
        assert!(Policy::parse(rule, "p.toml").is_ok());
        let cases = [
            (format!("{rule}prot = \"tcp\""), "unknown field `prot`"),
            (format!("{rule}ports = [0]"), "port \"0\""),
            (format!("{rule}ports = [\"90-80\"]"), "runs backwards"),
            (
                format!("{rule}protocol = \"icmp\"\nports = [1]"),
                "has no ports",
            ),
            (format!("{rule}family = \"ipv5\""), "unknown variant `ipv5`"),
            (rule.replace("100", "99"), "outside 100-4096"),
            (rule.replace("\"A\"", "\"A;B\""), "character ';'"),
            (
                format!("{rule}{}", rule.replace("\"A\"", "\"a\"")),
                "defined twice",
            ),
            (
                format!("{rule}{}", rule.replace("\"A\"", "\"B\"")),
                "share priority 100",
            ),
            (
                format!("{rule}local = {{ prefixes = [\"10.0.0.1/8\"] }}"),
                "host bits",
            ),
            (
                format!("{rule}local = {{ interface = \"eth0; rm\" }}"),
                "not a valid interface",
            ),
            (
                "[options]\nallow_reserved = [\"everything\"]".into(),
                "unknown variant `everything`",
            ),
            ("".into(), "no [[rule]]"),
            (
                format!("{rule}[targets.nftables]\ntable = \"a b\""),
                "table \"a b\" must be a letter",
            ),
            (
                format!("{rule}[targets.nftables]\npriority = 1000"),
                "outside -400..400",
            ),
            (
                format!("{rule}[targets.iptables]\nchain = \"-j\""),
                "chain \"-j\" must be a letter",
            ),
            (
                format!("{rule}[targets.iptables]\nunmatched = \"reject\""),
                "unknown variant `reject`",
            ),
            (
                format!("{rule}[targets.nftables]\nmode = \"set\""),
                "mode = \"set\"",
            ),
            (
                format!("{rule}[targets.nftables]\nmode = \"sets\""),
                "mode = \"sets\" adds to an inet table of yours: name it with `table`",
            ),
            (
                format!(
                    "{rule}[targets.nftables]\nmode = \"chain\"\ntable = \"filter\"\nchain = \"x-y\""
                ),
                "[targets.nftables] chain \"x-y\" must be a letter",
            ),
            (
                format!("{rule}[targets.nftables]\nchain = \"tw\""),
                "chain names tagwall's chains in mode = \"chain\" only",
            ),
            (
                format!(
                    "{rule}[targets.nftables]\nmode = \"sets\"\ntable = \"filter\"\nchain = \"tw\""
                ),
                "mode = \"sets\" writes no chain",
            ),
            (
                format!(
                    "{rule}[targets.nftables]\nmode = \"chain\"\ntable = \"filter\"\npriority = 5"
                ),
                "priority is for the base chains",
            ),
            (
                format!(
                    "{rule}[targets.nftables]\nmode = \"sets\"\ntable = \"filter\"\nunmatched = \"drop\""
                ),
                "[targets.nftables] unmatched = \"drop\" needs chains",
            ),
            (
                format!("{rule}[targets.iptables]\nmode = \"set\""),
                "mode = \"set\"",
            ),
            (
                format!("{rule}[targets.iptables]\nmode = \"sets\"\nunmatched = \"drop\""),
                "[targets.iptables] unmatched = \"drop\" needs chains",
            ),
            (
                format!("{rule}[targets.windows-firewall]\nmode = \"keywords\""),
                "unknown variant `keywords`",
            ),
            (
                format!("{rule}[targets.windows-firewall]\nprofil = \"Any\""),
                "unknown field `profil`",
            ),
            (
                format!("{rule}[targets.windows-firewall]\nprofile = \"any\""),
                "unknown variant `any`",
            ),
            (
                format!("{rule}[targets.windows-firewall]\ngroup = \"\""),
                "[targets.windows-firewall] group \"\" must have 1 to 64",
            ),
            (
                format!("{rule}[targets.windows-firewall]\ngroup = \"a\\nb\""),
                "[targets.windows-firewall] group \"a\\nb\" must be printable",
            ),
        ];
        for (text, want) in cases {
            let got = err(&text);
            assert!(got.contains(want), "wanted {want:?} in {got:?}");
            assert!(got.starts_with("p.toml"), "{got}");
        }
    }

    #[test]
    fn linux_modes_parse() {
        let rule = "[[rule]]\nname = \"A\"\ntags = [\"X\"]\npriority = 100\n";
        let p = Policy::parse(
            &format!(
                "{rule}[targets.nftables]\nmode = \"chain\"\ntable = \"filter\"\nchain = \"tw\"\n\
                 unmatched = \"drop\"\n[targets.iptables]\nmode = \"sets\""
            ),
            "p.toml",
        )
        .unwrap();
        let nft = &p.targets.nftables;
        assert_eq!(
            (nft.mode, nft.table(), nft.chain()),
            (NftMode::Chain, "filter", "tw")
        );
        assert_eq!(p.targets.iptables.mode, IptMode::Sets);
        let default = Policy::parse(rule, "p.toml").unwrap();
        let nft = &default.targets.nftables;
        assert_eq!(
            (nft.mode, nft.table(), nft.chain()),
            (NftMode::Table, "tagwall", "tagwall")
        );
        assert_eq!(default.targets.iptables.mode, IptMode::Chains);
    }

    #[test]
    fn both_directions_may_share_a_priority_across_directions() {
        let text = "[[rule]]\nname = \"A\"\ntags = [\"X\"]\npriority = 100\ndirection = \"outbound\"\n\
                    [[rule]]\nname = \"B\"\ntags = [\"X\"]\npriority = 100\ndirection = \"inbound\"\n";
        assert!(Policy::parse(text, "p.toml").is_ok());
    }
}
