//! The plan shared by the vendor firewall targets (PAN-OS, FortiOS, Cisco
//! ASA, Junos, RouterOS): the objects a device holds for a policy, and, with a
//! previous release, what to create, change and delete to get from the
//! previous plan to this one.
//!
//! The templates only render the plan; every decision is made here, from the
//! target's row: its naming rules, its `chunk_size` and its
//! [`Profile`](crate::render::profile::Profile).
//!
//! - `addresses`: every prefix the policy uses (remote and local), once, for
//!   platforms that need an object per prefix. Templates name such an object
//!   from the prefix itself (`tagwall-{word}`, see the `lines` helper), so two
//!   rules share it and a delta deletes it only when no rule uses it any more.
//! - `groups`: per rule and family, the remote prefixes; split into numbered
//!   groups (`Rule-v4-1`, `Rule-v4-2`, ...) when the row has a `chunk_size`,
//!   with [`chunk::stable_chunks`](crate::render::chunk::stable_chunks) so
//!   that next release the same prefixes land in the same group as far as
//!   possible.
//! - `locals`: the local side of rules that name local prefixes.
//! - `services`: one per distinct protocol and port list.
//! - `policies`: one per rule and direction, in priority order, each with
//!   `entries`: one per remote group (a Junos policy, an ASA access-list
//!   entry, a RouterOS filter rule).
//!
//! Sizes are counted in address units: an IPv4 prefix is one unit, an IPv6
//! prefix the profile's `v6_weight` units (Junos counts IPv6 four times). A
//! row with `policy_units` caps each entry's remote and local units together.
//!
//! The parts: [`plan`](mod@plan) (the types), [`build`](mod@build) (one
//! release's plan), [`delta`] (between two plans), [`names`] (names, comments
//! and policy ids), [`placement`] (where created policies go) and
//! [`context`](mod@context) (what the templates see).

pub mod build;
pub mod context;
pub mod delta;
pub mod names;
pub mod placement;
pub mod plan;

pub use build::plan;
pub use context::context;
pub use delta::diff;
pub use names::FIRST_POLICY_ID;
pub use plan::{
    AclLine, Delta, Edl, Entries, Entry, Families, Group, GroupChange, LocalSide, Place, Plan,
    Policy, PolicyChange, PortSpan, Service,
};

use crate::error::Error;
use crate::render::Target;

fn family_name(v6: bool) -> &'static str {
    if v6 { "ipv6" } else { "ipv4" }
}

/// An error of tagwall's own, not of the policy (a target's context that
/// cannot be built as its row says).
fn internal(target: &Target, e: impl std::fmt::Display) -> Error {
    Error::Internal {
        what: format!("the {} context", target.name),
        message: e.to_string(),
    }
}

/// The policy does not fit the target's limits.
fn limit_error(target: &Target, message: String) -> Error {
    Error::Limit {
        target: target.name.to_string(),
        message,
    }
}
