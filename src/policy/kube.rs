//! The settings of the Kubernetes network-policy targets
//! (`[targets.calico]`): where the policies go (the namespaces, or
//! cluster-wide), which workloads they select, and the checks that name the
//! key at fault.

use super::is_dns_label;
use serde::{Deserialize, Serialize};

/// The namespace the policies go into when none is given: the Arc
/// agents' own.
pub const DEFAULT_NAMESPACE: &str = "azure-arc";

/// Longest Calico selector expression tagwall takes.
pub const MAX_SELECTOR: usize = 1024;

/// `[targets.calico]`: where the Calico policy goes and which workloads it
/// selects.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CalicoOptions {
    /// The namespaces that get a `NetworkPolicy` (default `["azure-arc"]`);
    /// not with `global`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
    /// One `GlobalNetworkPolicy` for every namespace instead.
    #[serde(default)]
    pub global: bool,
    /// The Calico selector expression of the workloads the policy applies
    /// to (default `all()`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// The policy's `order` (none: Calico applies it after every ordered
    /// policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<u32>,
    /// The tier the policy belongs to (none: Calico's `default` tier). The
    /// policy's name then starts with `<tier>.`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
}

impl CalicoOptions {
    /// The namespaces of the `NetworkPolicy` objects (empty with `global`).
    pub fn namespaces(&self) -> Vec<String> {
        match (&self.namespaces, self.global) {
            (_, true) => Vec::new(),
            (Some(list), false) => list.clone(),
            (None, false) => vec![DEFAULT_NAMESPACE.to_string()],
        }
    }

    /// The selector of the workloads: as given, else `all()`.
    pub fn selector(&self) -> &str {
        self.selector.as_deref().unwrap_or("all()")
    }

    /// The check of `[targets.calico]`, naming the key at fault.
    pub fn check(&self) -> Result<(), String> {
        let key = "[targets.calico]";
        if self.global && self.namespaces.is_some() {
            return Err(format!(
                "{key} namespaces is for NetworkPolicy objects; global = true writes one \
                 GlobalNetworkPolicy for every namespace: remove one of the two"
            ));
        }
        if let Some(list) = &self.namespaces {
            check_namespaces(key, list)?;
        }
        if let Some(s) = &self.selector {
            let ok = !s.trim().is_empty()
                && s.len() <= MAX_SELECTOR
                && s.chars().all(|c| c == ' ' || c.is_ascii_graphic());
            if !ok {
                return Err(format!(
                    "{key} selector {s:?} must be a Calico selector expression of 1 to \
                     {MAX_SELECTOR} printable ASCII characters"
                ));
            }
        }
        if let Some(t) = &self.tier
            && !is_dns_label(t)
        {
            return Err(format!(
                "{key} tier {t:?} must be a Calico tier name: 1 to 63 lowercase letters, \
                 digits and -, starting and ending with a letter or digit"
            ));
        }
        Ok(())
    }
}

/// The namespaces of a Kubernetes target's table `key`: at least one, each
/// a DNS-1123 label, none twice.
pub(super) fn check_namespaces(key: &str, list: &[String]) -> Result<(), String> {
    if list.is_empty() {
        return Err(format!("{key} namespaces is empty: name at least one"));
    }
    for (i, ns) in list.iter().enumerate() {
        if !is_dns_label(ns) {
            return Err(format!(
                "{key} namespace {ns:?} is not a DNS-1123 label (1 to 63 of a-z 0-9 -, \
                 starting and ending with a letter or digit)"
            ));
        }
        if list[..i].contains(ns) {
            return Err(format!("{key} namespace {ns:?} is named twice"));
        }
    }
    Ok(())
}
