//! The settings of the `kubernetes` target, `[targets.kubernetes]`: the
//! namespaces the NetworkPolicies go into, the pods they select, the prefix
//! of their names, and the rules this target leaves out; and the checks
//! that name the key at fault.

use super::Policy;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest `name_prefix`: the rest of a 63-character object name is left
/// to the rule's name.
pub const MAX_K8S_NAME_PREFIX: usize = 30;

/// Longest DNS-1123 label (a namespace, a label value, the name part of a
/// label key).
const MAX_LABEL: usize = 63;

/// Longest DNS-1123 subdomain (the prefix part of a label key).
const MAX_SUBDOMAIN: usize = 253;

/// `[targets.kubernetes]`: where the NetworkPolicies go and which pods they
/// select. Every key left out writes what the defaults say.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesOptions {
    /// The namespaces: one NetworkPolicy per namespace and rule (default
    /// `["azure-arc"]`).
    #[serde(default = "KubernetesOptions::default_namespaces")]
    pub namespaces: Vec<String>,
    /// `matchLabels` of the pods the policies select (default: none, every
    /// pod of the namespace).
    #[serde(default)]
    pub pod_selector: BTreeMap<String, String>,
    /// Put before every object name (default `tagwall-`).
    #[serde(default = "KubernetesOptions::default_name_prefix")]
    pub name_prefix: String,
    /// Rules of the policy this target leaves out, by name: a rule that a
    /// NetworkPolicy cannot express (ICMP, deny, local prefixes) is refused
    /// unless it is named here.
    #[serde(default)]
    pub skip_rules: Vec<String>,
}

impl Default for KubernetesOptions {
    fn default() -> Self {
        KubernetesOptions {
            namespaces: KubernetesOptions::default_namespaces(),
            pod_selector: BTreeMap::new(),
            name_prefix: KubernetesOptions::default_name_prefix(),
            skip_rules: Vec::new(),
        }
    }
}

impl KubernetesOptions {
    fn default_namespaces() -> Vec<String> {
        vec![super::DEFAULT_NAMESPACE.to_string()]
    }

    fn default_name_prefix() -> String {
        "tagwall-".to_string()
    }

    /// Whether every key has its default (the policy then says nothing of
    /// this target when it is written out).
    pub fn is_default(&self) -> bool {
        *self == KubernetesOptions::default()
    }

    /// Whether `[targets.kubernetes] skip_rules` names the rule.
    pub fn skips(&self, rule: &str) -> bool {
        self.skip_rules.iter().any(|r| r == rule)
    }
}

/// A DNS-1123 label: 1 to 63 of `a-z`, `0-9` and `-`, starting and ending
/// with a letter or digit.
///
/// ```
/// use tagwall::policy::is_dns_label;
/// assert!(is_dns_label("azure-arc"));
/// assert!(!is_dns_label("Azure-Arc") && !is_dns_label("-x") && !is_dns_label(""));
/// ```
pub fn is_dns_label(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    s.len() <= MAX_LABEL
        && edge(s.chars().next())
        && edge(s.chars().last())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A label value: at most 63 of letters, digits, `-`, `_` and `.`,
/// starting and ending with a letter or digit; or empty.
fn is_label_value(s: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    s.is_empty()
        || (s.len() <= MAX_LABEL
            && edge(s.chars().next())
            && edge(s.chars().last())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
}

/// A label key: a name as a non-empty label value, with an optional
/// `prefix/` that is a DNS-1123 subdomain.
fn is_label_key(s: &str) -> bool {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let subdomain = |p: &str| p.len() <= MAX_SUBDOMAIN && p.split('.').all(is_dns_label);
    !name.is_empty() && is_label_value(name) && prefix.is_none_or(subdomain)
}

impl Policy {
    /// The checks of `[targets.kubernetes]`: a message naming the key at
    /// fault, or `None`.
    pub(super) fn validate_kubernetes(&self) -> Option<String> {
        let k = &self.targets.kubernetes;
        let key = "[targets.kubernetes]";
        if let Err(message) = super::kube::check_namespaces(key, &k.namespaces) {
            return Some(message);
        }
        for (label, value) in &k.pod_selector {
            if !is_label_key(label) {
                return Some(format!(
                    "{key} pod_selector: {label:?} is not a label key ([prefix/]name: a name of \
                     1 to 63 of A-Z a-z 0-9 - _ . starting and ending with a letter or digit)"
                ));
            }
            if !is_label_value(value) {
                return Some(format!(
                    "{key} pod_selector: {label} = {value:?} is not a label value (at most 63 \
                     of A-Z a-z 0-9 - _ . starting and ending with a letter or digit)"
                ));
            }
        }
        let p = &k.name_prefix;
        let ok = p.is_empty()
            || (p.len() <= MAX_K8S_NAME_PREFIX
                && p.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        if !ok {
            return Some(format!(
                "{key} name_prefix {p:?} must be at most {MAX_K8S_NAME_PREFIX} of a-z 0-9 -, \
                 starting with a letter or digit"
            ));
        }
        if let Some(r) = k
            .skip_rules
            .iter()
            .find(|r| !self.rules.iter().any(|rule| rule.name == **r))
        {
            return Some(format!("{key} skip_rules: the policy has no rule {r:?}"));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "[[rule]]\nname = \"A\"\ntags = [\"X\"]\npriority = 100\n";

    fn err(options: &str) -> String {
        Policy::parse(&format!("{RULE}[targets.kubernetes]\n{options}"), "p.toml")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_and_options() {
        let p = Policy::parse(RULE, "p.toml").unwrap();
        let k = &p.targets.kubernetes;
        assert_eq!(k.namespaces, ["azure-arc"]);
        assert!(k.pod_selector.is_empty() && k.skip_rules.is_empty());
        assert_eq!(k.name_prefix, "tagwall-");
        let text = format!(
            "{RULE}[targets.kubernetes]\nnamespaces = [\"a\", \"b-2\"]\nname_prefix = \"\"\n\
             skip_rules = [\"A\"]\npod_selector = {{ \"app.kubernetes.io/name\" = \"arc\", tier = \"\" }}\n"
        );
        let p = Policy::parse(&text, "p.toml").unwrap();
        let k = &p.targets.kubernetes;
        assert_eq!(k.namespaces, ["a", "b-2"]);
        assert_eq!(k.pod_selector.len(), 2);
        assert!(k.skips("A") && !k.skips("a"));
    }

    #[test]
    fn mistakes_are_refused_naming_the_key() {
        let cases = [
            ("namespace = [\"a\"]", "unknown field `namespace`"),
            ("namespaces = []", "namespaces is empty"),
            (
                "namespaces = [\"Azure\"]",
                "\"Azure\" is not a DNS-1123 label",
            ),
            ("namespaces = [\"a-\"]", "\"a-\" is not a DNS-1123 label"),
            ("namespaces = [\"a\", \"a\"]", "\"a\" is named twice"),
            (
                "pod_selector = { \"a b\" = \"x\" }",
                "\"a b\" is not a label key",
            ),
            (
                "pod_selector = { \"A_/b\" = \"x\" }",
                "\"A_/b\" is not a label key",
            ),
            (
                "pod_selector = { app = \"-x\" }",
                "app = \"-x\" is not a label value",
            ),
            ("name_prefix = \"Tw-\"", "name_prefix \"Tw-\" must be"),
            ("name_prefix = \"-tw\"", "name_prefix \"-tw\" must be"),
            (
                "skip_rules = [\"B\"]",
                "skip_rules: the policy has no rule \"B\"",
            ),
        ];
        for (options, want) in cases {
            let got = err(options);
            assert!(got.contains(want), "wanted {want:?} in {got:?}");
            assert!(got.contains("[targets.kubernetes]") || got.contains("unknown field"));
        }
    }
}
