//! The settings of the vendor targets, `[targets.<vendor>]` for PAN-OS,
//! FortiOS, Cisco ASA, Junos and RouterOS: keys every vendor takes, keys
//! several take (zones, logging, placement), keys of one; and the checks
//! that refuse a key on a target that does not take it, naming the key.

use super::panos::Rulebase;
use serde::{Deserialize, Serialize};

/// `[targets.<vendor>]` for PAN-OS, FortiOS, Cisco ASA, Junos and RouterOS.
/// A key a target does not take is refused, naming the key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VendorOptions {
    // ------------------------------------------------------- every vendor
    /// Address objects and groups only: no services and no rules, for an
    /// admin who references the groups from rules of their own.
    #[serde(default)]
    pub objects_only: bool,

    // ------------------------------------------ keys several targets take
    /// PAN-OS and Junos: the zones of the local side (default `trust`);
    /// outbound rules go from them, inbound rules to them. Junos takes one,
    /// or several (or none, for any zone) with `global`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_zones: Option<Vec<String>>,
    /// PAN-OS and Junos: the zones Azure is reached through (default
    /// `untrust`); outbound rules go to them, inbound rules from them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_zones: Option<Vec<String>>,
    /// Junos and PAN-OS (targets in [`LOG_TARGETS`]): log each session's
    /// start (`then log session-init`, `log-start yes|no`). Written only
    /// when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_start: Option<bool>,
    /// Junos and PAN-OS (targets in [`LOG_TARGETS`]): log each session's
    /// end (`then log session-close`, `log-end yes|no`). Written only when
    /// set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_end: Option<bool>,
    /// FortiOS, Junos, RouterOS and PAN-OS (targets in
    /// [`PLACEMENT_TARGETS`]): where
    /// tagwall's policies go in the device's list (default `bottom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// With `placement = "before"` or `"after"`: the admin's policy that
    /// tagwall's go before or after (a Junos or PAN-OS rule name, a FortiOS
    /// policy id, a RouterOS rule's comment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement_rule: Option<String>,

    // ------------------------------------------------------------ FortiOS
    /// FortiOS: the interfaces (or zones) of the local side when a rule
    /// names none in `local.interface` (default `any`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_interfaces: Option<Vec<String>>,
    /// FortiOS: the interfaces (or zones) Azure is reached through
    /// (default `any`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_interfaces: Option<Vec<String>>,
    /// FortiOS: the VDOM the configuration goes into (`config vdom`, `edit
    /// NAME`); unset, no VDOM is entered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vdom: Option<String>,
    /// FortiOS: `set logtraffic` of every policy; unset, nothing is written
    /// (FortiOS's default applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logtraffic: Option<Logtraffic>,

    // -------------------------------------------------------------- Junos
    /// Junos: global policies (`security policies global`), matching the
    /// zones with `match from-zone` and `match to-zone`, instead of
    /// policies of one zone pair.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub global: bool,

    // ------------------------------------------------------------- PAN-OS
    // (see `policy/panos.rs`; every one unset writes what it always did)
    /// PAN-OS: the log forwarding profile of the rules (`log-setting`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_setting: Option<String>,
    /// PAN-OS: the virtual system everything goes into (`vsys2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsys: Option<String>,
    /// PAN-OS: the Panorama device group everything goes into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_group: Option<String>,
    /// PAN-OS: Panorama's `pre` (default) or `post` rulebase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rulebase: Option<Rulebase>,

    // ---------------------------------------------------------- Cisco ASA
    /// Cisco ASA: bind `tagwall-outbound` with `access-group` (usually
    /// `in` on the interface local traffic enters by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_outbound: Option<Binding>,
    /// Cisco ASA: bind `tagwall-inbound` (usually `in` on the interface
    /// Azure's traffic enters by).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind_inbound: Option<Binding>,
    /// Cisco ASA, with a binding: what a bound list does with the traffic no
    /// entry matches. Required with a binding, never assumed: a bound list
    /// is the interface's whole policy in its direction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmatched: Option<AsaUnmatched>,
}

/// `[targets.cisco-asa] bind_outbound|bind_inbound = { interface = "inside",
/// direction = "in" }`: where `access-group` binds a list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    /// The interface's `nameif`.
    pub interface: String,
    /// Traffic entering the interface (`in`, the default) or leaving it.
    #[serde(default)]
    pub direction: BindDirection,
}

/// The direction of an ASA `access-group`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BindDirection {
    /// Traffic entering the interface.
    #[default]
    In,
    /// Traffic leaving the interface.
    Out,
}

impl BindDirection {
    /// The word `access-group` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            BindDirection::In => "in",
            BindDirection::Out => "out",
        }
    }
}

/// What a bound ASA list does with traffic none of its entries match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AsaUnmatched {
    /// A last `deny ip any any`: the list is the interface's whole policy.
    Deny,
    /// A last `permit ip any any`: other traffic passes as before.
    Permit,
}

impl AsaUnmatched {
    /// The action of the list's last entry.
    pub fn as_str(self) -> &'static str {
        match self {
            AsaUnmatched::Deny => "deny",
            AsaUnmatched::Permit => "permit",
        }
    }
}

/// Longest RouterOS comment tagwall looks a rule up by.
const MAX_ROUTEROS_COMMENT: usize = 255;

/// Longest ASA interface name (`nameif`).
const MAX_NAMEIF: usize = 48;

/// Where a target puts its policies in the device's ordered list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// After every policy there is (where the device adds a new one).
    #[default]
    Bottom,
    /// Before every policy there is (refused by FortiOS and Junos, which
    /// place a policy relative to another).
    Top,
    /// Just before `placement_rule`.
    Before,
    /// Just after `placement_rule`.
    After,
}

impl Placement {
    /// True for `before` and `after`, which name a rule.
    pub fn names_a_rule(self) -> bool {
        matches!(self, Placement::Before | Placement::After)
    }

    /// `bottom`, `top`, `before` or `after`.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Bottom => "bottom",
            Placement::Top => "top",
            Placement::Before => "before",
            Placement::After => "after",
        }
    }
}

/// FortiOS `logtraffic`: which sessions a policy logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Logtraffic {
    /// Every session.
    All,
    /// Sessions with a security event.
    Utm,
    /// None.
    Disable,
}

impl Logtraffic {
    /// `all`, `utm` or `disable`, as FortiOS writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Logtraffic::All => "all",
            Logtraffic::Utm => "utm",
            Logtraffic::Disable => "disable",
        }
    }
}

/// The targets that take `log_start` and `log_end`.
pub const LOG_TARGETS: &[&str] = &["junos", "panos"];
/// The targets that take `placement` and `placement_rule`.
pub const PLACEMENT_TARGETS: &[&str] = &["fortios", "junos", "mikrotik", "panos"];

/// Longest zone name (PAN-OS allows 31 characters, Junos 63).
const MAX_ZONE: usize = 31;
/// Longest Junos policy name.
const MAX_JUNOS_POLICY: usize = 63;
/// Longest FortiOS VDOM name.
const MAX_VDOM: usize = 11;
/// Highest FortiOS policy id.
const MAX_FORTIOS_POLICY_ID: u64 = 4_294_967_294;

/// "a, b and c" (or "a and b", or "a").
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

/// A name of letters, digits, `.`, `_` and `-` that starts with a letter
/// or digit, at most `max` characters.
fn plain_name(name: &str, max: usize) -> bool {
    name.len() <= max
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl VendorOptions {
    /// Check the settings of target `name`.
    pub(super) fn check(&self, name: &str) -> std::result::Result<(), String> {
        self.check_zones(name)?;
        self.check_logging(name)?;
        self.check_placement(name)?;
        self.check_panos(name)?;
        self.check_junos(name)?;
        self.check_fortios(name)?;
        self.check_bindings(name)
    }

    /// Cisco ASA bindings: only there, with `unmatched` said, on distinct
    /// interface directions, with names a device takes.
    fn check_bindings(&self, name: &str) -> std::result::Result<(), String> {
        let bindings = [
            ("bind_outbound", &self.bind_outbound),
            ("bind_inbound", &self.bind_inbound),
        ];
        if name != "cisco-asa" {
            let key = bindings
                .iter()
                .find(|(_, b)| b.is_some())
                .map(|(k, _)| *k)
                .or(self.unmatched.map(|_| "unmatched"));
            return match key {
                Some(key) => Err(format!(
                    "[targets.{name}] {key}: only cisco-asa binds access lists"
                )),
                None => Ok(()),
            };
        }
        let bound: Vec<(&str, &Binding)> = bindings
            .iter()
            .filter_map(|(k, b)| b.as_ref().map(|b| (*k, b)))
            .collect();
        let Some((first, _)) = bound.first() else {
            return match self.unmatched {
                Some(_) => Err(format!(
                    "[targets.{name}] unmatched: only a bound list has one; set bind_outbound \
                     or bind_inbound, or leave unmatched out"
                )),
                None => Ok(()),
            };
        };
        if self.objects_only {
            return Err(format!(
                "[targets.{name}] {first}: objects_only writes no access list to bind"
            ));
        }
        if self.unmatched.is_none() {
            return Err(format!(
                "[targets.{name}] {first}: say what the bound list does with traffic no entry \
                 matches: unmatched = \"deny\" (the list becomes the interface's whole policy \
                 in that direction; everything else through it is dropped) or unmatched = \
                 \"permit\" (a last entry lets everything else through)"
            ));
        }
        for (key, b) in &bound {
            let i = &b.interface;
            let ok = plain_name(i, MAX_NAMEIF)
                && i.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
            if !ok {
                return Err(format!(
                    "[targets.{name}] {key}: interface {i:?} must be a letter, then up to {} \
                     letters, digits, . _ or - (the interface's nameif)",
                    MAX_NAMEIF - 1
                ));
            }
        }
        if let [(_, a), (key, b)] = bound.as_slice()
            && a == b
        {
            return Err(format!(
                "[targets.{name}] {key}: {} {} is bound already; an interface takes one access \
                 list per direction",
                b.interface,
                b.direction.as_str()
            ));
        }
        Ok(())
    }

    /// The zones and interfaces.
    fn check_zones(&self, name: &str) -> std::result::Result<(), String> {
        for (key, zones) in [
            ("from_zones", &self.from_zones),
            ("to_zones", &self.to_zones),
            ("from_interfaces", &self.from_interfaces),
            ("to_interfaces", &self.to_interfaces),
        ] {
            let Some(zones) = zones else { continue };
            let interfaces = key.ends_with("interfaces");
            if interfaces && name != "fortios" {
                return Err(format!(
                    "[targets.{name}] {key}: only fortios has interfaces"
                ));
            }
            if !interfaces && !matches!(name, "panos" | "junos") {
                return Err(format!(
                    "[targets.{name}] {key}: only panos and junos have zones"
                ));
            }
            // A Junos policy of a zone pair sits in one pair; a global one
            // matches any number of zones.
            let one = name == "junos" && !self.global;
            if zones.is_empty() || (one && zones.len() > 1) {
                return Err(format!(
                    "[targets.{name}] {key}: give {} zone{}",
                    if one { "one" } else { "at least one" },
                    if one {
                        " (a Junos policy sits in one zone pair; global = true matches several)"
                    } else {
                        ""
                    }
                ));
            }
            for zone in zones {
                if !plain_name(zone, MAX_ZONE) {
                    return Err(format!(
                        "[targets.{name}] {key}: zone {zone:?} must be a letter or digit, then up to \
                         {} letters, digits, . _ or -",
                        MAX_ZONE - 1
                    ));
                }
            }
        }
        Ok(())
    }

    /// `log_start` and `log_end`.
    fn check_logging(&self, name: &str) -> std::result::Result<(), String> {
        for (key, set) in [("log_start", self.log_start), ("log_end", self.log_end)] {
            if set.is_some() && !LOG_TARGETS.contains(&name) {
                let hint = if name == "fortios" {
                    " (fortios: logtraffic)"
                } else {
                    ""
                };
                return Err(format!(
                    "[targets.{name}] {key}: only {} take{} log_start and log_end{hint}",
                    and_list(LOG_TARGETS),
                    if LOG_TARGETS.len() == 1 { "s" } else { "" },
                ));
            }
        }
        Ok(())
    }

    /// `placement` and `placement_rule`.
    fn check_placement(&self, name: &str) -> std::result::Result<(), String> {
        for (key, set) in [
            ("placement", self.placement.is_some()),
            ("placement_rule", self.placement_rule.is_some()),
        ] {
            if set && !PLACEMENT_TARGETS.contains(&name) {
                return Err(format!(
                    "[targets.{name}] {key}: only {} take placement and placement_rule",
                    and_list(PLACEMENT_TARGETS)
                ));
            }
        }
        if name == "panos" {
            // PAN-OS moves to the top too, and its rule names take spaces:
            // checked with its other keys.
            return Ok(());
        }
        if name == "mikrotik" {
            return self.check_routeros_placement();
        }
        let placement = self.placement.unwrap_or_default();
        let what = if name == "fortios" {
            "policy id"
        } else {
            "policy name"
        };
        match (placement, &self.placement_rule) {
            (Placement::Top, _) => Err(format!(
                "[targets.{name}] placement = \"top\": {} places a policy before or after \
                 another one; use placement = \"before\" with placement_rule = the {what} of \
                 your first policy",
                if name == "fortios" {
                    "FortiOS"
                } else {
                    "Junos"
                }
            )),
            (Placement::Before | Placement::After, None) => Err(format!(
                "[targets.{name}] placement = \"{}\" needs placement_rule: the {what} of \
                 your policy to place tagwall's {} it",
                placement.as_str(),
                placement.as_str()
            )),
            (Placement::Bottom, Some(_)) => Err(format!(
                "[targets.{name}] placement_rule is for placement = \"before\" or \"after\""
            )),
            (_, Some(rule)) if name == "fortios" => match rule.parse::<u64>() {
                Ok(id) if (1..=MAX_FORTIOS_POLICY_ID).contains(&id) && id.to_string() == *rule => {
                    Ok(())
                }
                _ => Err(format!(
                    "[targets.{name}] placement_rule {rule:?} is not a FortiOS policy id (a \
                     whole number from 1 to {MAX_FORTIOS_POLICY_ID})"
                )),
            },
            (_, Some(rule)) if !plain_name(rule, MAX_JUNOS_POLICY) => Err(format!(
                "[targets.{name}] placement_rule {rule:?} must be a letter or digit, then up to \
                 {} letters, digits, . _ or -",
                MAX_JUNOS_POLICY - 1
            )),
            _ => Ok(()),
        }
    }

    /// RouterOS places a rule before another (`place-before`), found by
    /// its comment, which the check keeps to characters the script writes
    /// as they are.
    fn check_routeros_placement(&self) -> std::result::Result<(), String> {
        let placement = self.placement.unwrap_or_default();
        match (placement, &self.placement_rule) {
            (Placement::Bottom, None) => Ok(()),
            (Placement::Bottom, Some(_)) => {
                Err("[targets.mikrotik] placement_rule is for placement = \"before\"".into())
            }
            (Placement::Top | Placement::After, _) => Err(format!(
                "[targets.mikrotik] placement = \"{}\": RouterOS places a rule before another \
                 (place-before); use placement = \"before\" with placement_rule = the comment \
                 of the rule tagwall's go above, such as your drop rule",
                placement.as_str()
            )),
            (Placement::Before, None) => Err(
                "[targets.mikrotik] placement = \"before\" needs placement_rule: the comment of \
                 the rule tagwall's go above"
                    .into(),
            ),
            (Placement::Before, Some(rule)) => {
                let ok = !rule.is_empty()
                    && rule.len() <= MAX_ROUTEROS_COMMENT
                    && !rule.starts_with("tagwall")
                    && rule
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || " .,:_-()/+=".contains(c));
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "[targets.mikrotik] placement_rule {rule:?} must be the comment of a rule \
                         of yours: 1 to {MAX_ROUTEROS_COMMENT} letters, digits, spaces or \
                         . , : _ - ( ) / + =, not starting with \"tagwall\""
                    ))
                }
            }
        }
    }

    /// The keys only Junos takes.
    fn check_junos(&self, name: &str) -> std::result::Result<(), String> {
        if self.global && name != "junos" {
            return Err(format!(
                "[targets.{name}] global: only junos has global policies"
            ));
        }
        Ok(())
    }

    /// The keys only FortiOS takes.
    fn check_fortios(&self, name: &str) -> std::result::Result<(), String> {
        for (key, set) in [
            ("vdom", self.vdom.is_some()),
            ("logtraffic", self.logtraffic.is_some()),
        ] {
            if set && name != "fortios" {
                return Err(format!("[targets.{name}] {key}: only fortios takes {key}"));
            }
        }
        if let Some(vdom) = &self.vdom {
            let ok = !vdom.is_empty()
                && vdom.len() <= MAX_VDOM
                && vdom
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'));
            if !ok {
                return Err(format!(
                    "[targets.{name}] vdom {vdom:?} must be 1 to {MAX_VDOM} letters, digits, _ or -"
                ));
            }
        }
        Ok(())
    }
}
