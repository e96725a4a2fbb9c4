//! The PAN-OS settings of `[targets.panos]`: the rules' logging, where the
//! rules go in the rulebase, and the virtual system or Panorama device group
//! everything goes into; and the checks that name the key at fault. Each
//! one unset writes what the target always wrote.

use super::VendorOptions;
use serde::{Deserialize, Serialize};

/// Which of a Panorama device group's rulebases the rules go into.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rulebase {
    /// `pre-rulebase`: evaluated before the firewall's own rules.
    #[default]
    Pre,
    /// `post-rulebase`: evaluated after them.
    Post,
}

impl Rulebase {
    /// `pre` or `post`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rulebase::Pre => "pre",
            Rulebase::Post => "post",
        }
    }
}

/// Longest name of a PAN-OS log forwarding profile or security rule.
pub const MAX_PANOS_NAME: usize = 63;

/// Longest name of a Panorama device group.
pub const MAX_DEVICE_GROUP: usize = 31;

/// Largest virtual system number (`vsys1` to `vsys255`).
const MAX_VSYS: u32 = 255;

/// A PAN-OS object name: a letter, digit or `_`, then letters, digits,
/// spaces, `_`, `.` and `-`, not ending in a space, at most `max` long.
fn panos_name_ok(name: &str, max: usize) -> bool {
    name.len() <= max
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.ends_with(' ')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | '-'))
}

/// `vsys` and a number from 1 to [`MAX_VSYS`], without leading zeros.
fn vsys_ok(name: &str) -> bool {
    name.strip_prefix("vsys").is_some_and(|n| {
        !n.starts_with('0')
            && n.chars().all(|c| c.is_ascii_digit())
            && n.parse::<u32>().is_ok_and(|n| (1..=MAX_VSYS).contains(&n))
    })
}

impl VendorOptions {
    /// Check the PAN-OS settings of target `name`: other targets refuse
    /// them, and each must make sense with the others.
    pub(super) fn check_panos(&self, name: &str) -> Result<(), String> {
        let given = [
            ("log_setting", self.log_setting.is_some()),
            ("log_start", self.log_start.is_some()),
            ("log_end", self.log_end.is_some()),
            ("placement", self.placement.is_some()),
            ("placement_rule", self.placement_rule.is_some()),
            ("vsys", self.vsys.is_some()),
            ("device_group", self.device_group.is_some()),
            ("rulebase", self.rulebase.is_some()),
        ];
        let fail = |key: &str, why: String| Err(format!("[targets.{name}] {key}: {why}"));
        if name != "panos" {
            // log_start, log_end, placement and placement_rule are shared:
            // the vendor checks say which targets take them.
            let own = [given[0], given[5], given[6], given[7]];
            return match own.iter().find(|(_, set)| *set) {
                Some((key, _)) => fail(key, "only panos takes it".into()),
                None => Ok(()),
            };
        }
        if self.objects_only {
            // These act on rules, and objects_only writes none.
            let rules = &given[..5];
            if let Some((key, _)) = rules.iter().find(|(_, set)| *set) {
                return fail(key, "objects_only writes no rule to apply it to".into());
            }
        }
        let name_rule = |max: usize| {
            format!(
                "a letter, digit or _, then up to {} letters, digits, spaces, _ . or -, \
                 not ending in a space",
                max - 1
            )
        };
        if let Some(profile) = &self.log_setting
            && !panos_name_ok(profile, MAX_PANOS_NAME)
        {
            return fail(
                "log_setting",
                format!("{profile:?} must be {}", name_rule(MAX_PANOS_NAME)),
            );
        }
        let placement = self.placement.unwrap_or_default();
        match (&self.placement_rule, placement.names_a_rule()) {
            (None, true) => {
                return fail(
                    "placement",
                    format!(
                        "\"{}\" needs placement_rule, the rule to place them {0}",
                        placement.as_str()
                    ),
                );
            }
            (Some(_), false) => {
                return fail(
                    "placement_rule",
                    format!(
                        "only placement = \"before\" or \"after\" names a rule (placement is \
                         \"{}\")",
                        placement.as_str()
                    ),
                );
            }
            (Some(rule), true) if !panos_name_ok(rule, MAX_PANOS_NAME) => {
                return fail(
                    "placement_rule",
                    format!("{rule:?} must be {}", name_rule(MAX_PANOS_NAME)),
                );
            }
            _ => {}
        }
        if let Some(vsys) = &self.vsys {
            if self.device_group.is_some() {
                return fail(
                    "vsys",
                    "give vsys (a firewall) or device_group (Panorama), not both".into(),
                );
            }
            if !vsys_ok(vsys) {
                return fail(
                    "vsys",
                    format!("{vsys:?} must be vsys and a number from 1 to {MAX_VSYS} (vsys2)"),
                );
            }
        }
        if let Some(group) = &self.device_group
            && !panos_name_ok(group, MAX_DEVICE_GROUP)
        {
            return fail(
                "device_group",
                format!("{group:?} must be {}", name_rule(MAX_DEVICE_GROUP)),
            );
        }
        if self.rulebase.is_some() && self.device_group.is_none() {
            return fail(
                "rulebase",
                "pre and post rulebases are Panorama's: give device_group too".into(),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_pan_os_rules() {
        assert!(panos_name_ok("Azure Logs", 63));
        assert!(panos_name_ok("_default", 63));
        assert!(panos_name_ok(&"a".repeat(63), 63));
        for bad in ["", " a", "a ", "a\"b", "a;b", "-a", &"a".repeat(64)] {
            assert!(!panos_name_ok(bad, 63), "{bad:?}");
        }
        assert!(panos_name_ok(&"d".repeat(31), MAX_DEVICE_GROUP));
        assert!(!panos_name_ok(&"d".repeat(32), MAX_DEVICE_GROUP));
        for good in ["vsys1", "vsys2", "vsys255"] {
            assert!(vsys_ok(good), "{good}");
        }
        for bad in [
            "vsys", "vsys0", "vsys02", "vsys256", "VSYS2", "vsys-2", "vsys2 ",
        ] {
            assert!(!vsys_ok(bad), "{bad}");
        }
    }
}
