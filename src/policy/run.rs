//! `[run]`: the settings of the scheduled job, each also a flag of
//! `tagwall run` (a flag given on the command line wins).

use serde::{Deserialize, Serialize};

/// `[run]`: settings of `tagwall run`. A flag given on the command line wins.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// `public`, `usgov` or `china`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// A details page or file URL (a mirror), or a local file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// State folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<std::path::PathBuf>,
    /// Output folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<std::path::PathBuf>,
    /// Targets to render (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    /// Largest share of a rule's addresses one release may remove, in percent (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_removal_percent: Option<u32>,
    /// Refuse releases older than this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
    /// Keep removed addresses this many days before removing them (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
    /// Command run after a change, given the change report's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_change: Option<String>,
    /// Seconds to wait for another run to finish (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_timeout_seconds: Option<u64>,
    /// Hosts besides download.microsoft.com that links and redirects may lead to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_hosts: Option<Vec<String>>,
    /// A folder of templates that replace the built-in ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<std::path::PathBuf>,
    /// PEM files of extra certificate authorities to trust.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_certs: Option<Vec<std::path::PathBuf>>,
    /// Plain http to hosts that are not loopback addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_http: Option<bool>,
    /// Seconds one whole request may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Retries after a failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
}

impl RunSettings {
    /// True when no setting is given.
    pub(super) fn is_empty(&self) -> bool {
        *self == RunSettings::default()
    }
}
