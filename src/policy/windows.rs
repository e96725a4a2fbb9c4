//! The settings of the `windows-firewall` target, `[targets.windows-firewall]`:
//! how the script names the remote addresses (the mode), the firewall rule
//! group that marks tagwall's rules, and the profiles the rules apply to; and
//! the checks that name the key at fault.

use super::Policy;
use crate::model::is_unsafe_char;
use serde::{Deserialize, Serialize};

/// Longest `group` tagwall accepts (it starts every keyword and display name).
pub const MAX_WINDOWS_GROUP: usize = 64;

/// `[targets.windows-firewall]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsFirewallOptions {
    /// How a firewall rule names its remote addresses.
    #[serde(default)]
    pub mode: WindowsMode,
    /// The firewall rule group (`-Group`) of every rule the script makes, and
    /// the first word of every dynamic keyword and display name: what the
    /// script removes when the policy no longer has it is found by it.
    #[serde(default = "WindowsFirewallOptions::default_group")]
    pub group: String,
    /// The firewall profiles the rules apply to.
    #[serde(default)]
    pub profile: WindowsProfile,
}

impl WindowsFirewallOptions {
    fn default_group() -> String {
        "tagwall".to_string()
    }
}

impl Default for WindowsFirewallOptions {
    fn default() -> Self {
        WindowsFirewallOptions {
            mode: WindowsMode::default(),
            group: WindowsFirewallOptions::default_group(),
            profile: WindowsProfile::default(),
        }
    }
}

/// `[targets.windows-firewall] mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WindowsMode {
    /// A dynamic keyword address per rule and family, which the firewall
    /// rules name (Windows Server 2022, Windows 10 build 20348 and later).
    #[default]
    DynamicKeywords,
    /// The addresses in the rules' `-RemoteAddress`, split over several
    /// rules, for Windows without dynamic keywords.
    RemoteAddress,
}

impl WindowsMode {
    /// `dynamic-keywords` or `remote-address`.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowsMode::DynamicKeywords => "dynamic-keywords",
            WindowsMode::RemoteAddress => "remote-address",
        }
    }
}

/// `[targets.windows-firewall] profile`: `-Profile` of every rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum WindowsProfile {
    /// Domain networks.
    Domain,
    /// Private networks.
    Private,
    /// Public networks.
    Public,
    /// Every profile.
    #[default]
    Any,
}

impl WindowsProfile {
    /// The value of `-Profile`: `Domain`, `Private`, `Public` or `Any`.
    pub fn as_str(self) -> &'static str {
        match self {
            WindowsProfile::Domain => "Domain",
            WindowsProfile::Private => "Private",
            WindowsProfile::Public => "Public",
            WindowsProfile::Any => "Any",
        }
    }
}

impl Policy {
    /// The `[targets.windows-firewall]` settings: what is wrong with them,
    /// naming the key, or `None`.
    pub(super) fn validate_windows(&self) -> Option<String> {
        let g = &self.targets.windows_firewall.group;
        if g.is_empty() || g.chars().count() > MAX_WINDOWS_GROUP {
            return Some(format!(
                "[targets.windows-firewall] group {g:?} must have 1 to {MAX_WINDOWS_GROUP} characters"
            ));
        }
        if g.trim() != g || g.chars().any(|c| is_unsafe_char(c) || c == '|') {
            return Some(format!(
                "[targets.windows-firewall] group {g:?} must be printable text without `|` and \
                 without spaces around it"
            ));
        }
        None
    }
}
