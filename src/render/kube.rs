//! What the Kubernetes network-policy targets (`calico`, `cilium`) share:
//! object names and label values made from rule names, and the limits of
//! one Kubernetes object.
//!
//! A rule's identifier is its name in lower case with every character but
//! `a-z 0-9 -` written as `-`, at most 63 characters (a label value and a
//! DNS-1123 label), shortened with a hash of the whole name when longer.
//! Two rules that would get one identifier are refused, never merged.

use super::Target;
use super::names::{NameRules, Namer};
use crate::error::Result;

/// The `app.kubernetes.io/managed-by` label of every object tagwall writes:
/// the weekly update prunes by it.
pub const MANAGED_BY: &str = "tagwall";

/// Longest rule identifier and object name: a label value, and a DNS-1123
/// label (an object name may be a 253-character subdomain, but tagwall
/// keeps to a label so that the name is also a valid label value).
pub const MAX_IDENT: usize = 63;

/// Most bytes tagwall lets one object weigh, as YAML: etcd refuses a
/// request over 1.5 MiB by default (`--max-request-bytes`), and
/// kube-apiserver stores each object in one request; the rest is headroom.
pub const MAX_OBJECT_BYTES: usize = 1024 * 1024;

/// The prefix of every object name tagwall writes, so that its objects
/// stand apart from the admin's.
pub const NAME_PREFIX: &str = "tagwall-";

/// Characters of a rule identifier: `a-z 0-9 -`.
pub fn ident_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

/// Characters an identifier starts with: `a-z 0-9`.
pub fn ident_first(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// The name rules of a Kubernetes target's row (its identifiers).
pub const IDENT_RULES: NameRules = NameRules {
    max_len: MAX_IDENT,
    allowed: ident_char,
    first: ident_first,
    lead: "r",
    replacement: '-',
    sep: "-",
};

/// Gives each rule its identifier and refuses two rules that get one.
pub struct Idents {
    namer: Namer,
    rules: NameRules,
}

impl Idents {
    /// Identifiers under `target`'s name rules.
    pub fn new(target: &Target) -> Idents {
        Idents {
            namer: Namer::new(target.name, target.names),
            rules: target.names,
        }
    }

    /// The identifier of rule `name`: lower case, mapped, ending with a
    /// letter or digit.
    ///
    /// ```
    /// use tagwall::render::{TARGETS, kube::Idents};
    /// let calico = TARGETS.iter().find(|t| t.name == "calico").unwrap();
    /// let mut ids = Idents::new(calico);
    /// assert_eq!(ids.ident("AzureFrontDoor.FirstParty").unwrap(), "azurefrontdoor-firstparty");
    /// assert_eq!(ids.ident("a$(x)").unwrap(), "a--x-0");
    /// assert!(ids.ident("A$(X)").is_err());
    /// ```
    pub fn ident(&mut self, name: &str) -> Result<String> {
        let mut mapped = self.rules.map(&name.to_lowercase(), None);
        if mapped.ends_with('-') {
            // A label value ends with a letter or digit.
            if mapped.chars().count() >= self.rules.max_len {
                mapped.pop();
            }
            mapped.push('0');
        }
        self.namer.claim(name, None, mapped)
    }
}

/// A Kubernetes object tagwall is about to write, too heavy for the API
/// server to store when it is over [`MAX_OBJECT_BYTES`].
pub fn too_heavy(bytes: usize) -> bool {
    bytes > MAX_OBJECT_BYTES
}
