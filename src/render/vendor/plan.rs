//! The plan's types: what a device holds for one policy on one release
//! ([`Plan`]), and what changes between two releases ([`Delta`]).
//!
//! They serialize as the templates see them: field names, nesting and which
//! keys exist are decided here (see [`Entries`] for the one key that a row may
//! leave out).

use serde::{Serialize, Serializer};
use std::ops::{Deref, DerefMut};

/// IPv4 and IPv6 lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Families {
    /// IPv4 items.
    pub v4: Vec<String>,
    /// IPv6 items.
    pub v6: Vec<String>,
    /// Both together.
    pub count: usize,
}

impl Families {
    pub(super) fn new(v4: Vec<String>, v6: Vec<String>) -> Families {
        let count = v4.len() + v6.len();
        Families { v4, v6, count }
    }
}

/// Remote prefixes of one rule and family, or one numbered part of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Object name.
    pub ident: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// True for IPv6.
    pub v6: bool,
    /// Number of the part, from 1.
    pub index: usize,
    /// Provenance: rule, tags with their change numbers, cloud and release.
    pub note: String,
    /// Number of prefixes.
    pub count: usize,
    /// The prefixes, in numeric order.
    pub prefixes: Vec<String>,
}

/// A port range of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortSpan {
    /// First port.
    pub start: u16,
    /// Last port.
    pub end: u16,
    /// True when `start == end`.
    pub single: bool,
}

/// A TCP or UDP service: a protocol and destination ports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Service {
    /// Object name.
    pub ident: String,
    /// `tcp` or `udp`.
    pub protocol: &'static str,
    /// Ports as written in the policy (`443`, `8000-8080`); `1-65535` for all.
    pub ports: Vec<String>,
    /// The same as ranges.
    pub ranges: Vec<PortSpan>,
}

/// The local prefixes of one family of a rule that names local prefixes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalSide {
    /// Object name.
    pub ident: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// True for IPv6.
    pub v6: bool,
    /// Provenance.
    pub note: String,
    /// The prefixes.
    pub prefixes: Vec<String>,
}

/// One remote group as matched by one policy, with what it needs of the
/// policy so that a template can write it alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Name where the platform names it (a Junos policy).
    pub ident: String,
    /// The policy's name.
    pub policy: String,
    /// The remote group.
    pub group: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// True for IPv6.
    pub v6: bool,
    /// True when the remote side is the source.
    pub inbound: bool,
    /// True for allow.
    pub permit: bool,
    /// `tcp`, `udp`, `icmp` or `any`.
    pub protocol: &'static str,
    /// Service name for TCP and UDP.
    pub service: Option<String>,
    /// The service's ports (empty without a service).
    pub ports: Vec<String>,
    /// The policy's description.
    pub note: String,
    /// Local interface, when the policy names one.
    pub interface: Option<String>,
    /// Local group of this family; none when the local side is any address.
    pub local_group: Option<String>,
    /// Local prefixes of this family (empty: any address).
    pub local: Vec<String>,
    /// Address units of the entry, remote and local.
    pub units: usize,
    /// Access-list elements the entry expands to (local x remote x ports).
    pub elements: usize,
    /// Line in its direction's access list (Cisco ASA).
    pub line: usize,
    /// Where to put the entry once created (Junos `insert`, RouterOS
    /// `place-before`), as its
    /// target's `placement` and the entries that exist already decide;
    /// none: where the device adds it.
    pub place: Option<Place>,
}

/// One rule in one direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Name.
    pub ident: String,
    /// A shorter name where the platform wants one (FortiOS `name`).
    pub name: String,
    /// Numeric id (FortiOS `policyid`), stable per rule name and direction.
    pub id: u64,
    /// `outbound` or `inbound`.
    pub direction: &'static str,
    /// True for inbound (remote side is the source).
    pub inbound: bool,
    /// `allow` or `deny`.
    pub action: &'static str,
    /// True for allow.
    pub permit: bool,
    /// `tcp`, `udp`, `icmp` or `any`.
    pub protocol: &'static str,
    /// Service name for TCP and UDP.
    pub service: Option<String>,
    /// The rule's description, with its name and direction.
    pub note: String,
    /// Local interface, when the policy names one.
    pub interface: Option<String>,
    /// True when the policy names local prefixes (else any address).
    pub local: bool,
    /// Local IPv4 prefixes (empty: any).
    pub local_v4: Vec<String>,
    /// Local IPv6 prefixes (empty: any).
    pub local_v6: Vec<String>,
    /// Remote IPv4 groups.
    pub v4: Vec<String>,
    /// Remote IPv6 groups.
    pub v6: Vec<String>,
    /// Remote groups of both families.
    pub remote: Vec<String>,
    /// Local prefixes of both families (empty: any).
    pub local_prefixes: Vec<String>,
    /// One per remote group (absent where the row's templates never read
    /// them).
    #[serde(skip_serializing_if = "Entries::is_omitted")]
    pub entries: Entries,
    /// Line of its remark in its direction's access list (Cisco ASA).
    pub line: usize,
    /// Where to move the policy once created (FortiOS and PAN-OS `move`), as its
    /// target's `placement` and the policies that exist already decide;
    /// none: where the device adds it.
    pub place: Option<Place>,
}

/// Where a created policy or entry goes: just before or after another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Place {
    /// `before`, `after` or `top`.
    pub position: &'static str,
    /// The other: one of tagwall's (an entry's or policy's `ident`), or the
    /// target's `placement_rule`.
    pub policy: String,
    /// Its FortiOS policy id (tagwall's policy's `id`, or `placement_rule`
    /// read as a number); null for an entry or a name.
    pub id: Option<u64>,
    /// True when the other is one of tagwall's, false for the admin's
    /// `placement_rule` (empty for `top`).
    pub ours: bool,
}

/// An External Dynamic List: one rule's prefixes as a text file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edl {
    /// The rule's name (the file is `edl/IDENT.txt`).
    pub ident: String,
    /// Entries in the file.
    pub entries: usize,
    /// Provenance.
    pub note: String,
}

/// Everything a device holds for one policy on one release.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Plan {
    /// Every prefix used, remote and local, once.
    pub addresses: Families,
    /// Remote groups, in rule order.
    pub groups: Vec<Group>,
    /// Local sides.
    pub locals: Vec<LocalSide>,
    /// Services.
    pub services: Vec<Service>,
    /// Policies in priority order.
    pub policies: Vec<Policy>,
    /// External Dynamic Lists, when the row's profile has `edl_entries`.
    pub edls: Vec<Edl>,
    /// Entries of all EDLs.
    pub edl_entries: usize,
    /// Number of policy entries.
    pub entries: usize,
    /// Access-list elements of all entries.
    pub elements: usize,
}

/// A group that exists in both releases with other members.
#[derive(Clone, Debug, Serialize)]
pub struct GroupChange {
    /// Object name.
    pub ident: String,
    /// `ipv4` or `ipv6`.
    pub family: &'static str,
    /// True for IPv6.
    pub v6: bool,
    /// Provenance of the new release.
    pub note: String,
    /// Members now.
    pub count: usize,
    /// Prefixes to add.
    pub added: Vec<String>,
    /// Prefixes to remove.
    pub removed: Vec<String>,
    /// True when some are removed.
    pub shrinks: bool,
}

/// A policy that exists in both releases with other groups.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyChange {
    /// The policy now.
    pub policy: Policy,
    /// The policy before.
    pub old: Policy,
    /// IPv4 groups to reference.
    pub v4_added: Vec<String>,
    /// IPv4 groups to stop referencing.
    pub v4_removed: Vec<String>,
    /// IPv6 groups to reference.
    pub v6_added: Vec<String>,
    /// IPv6 groups to stop referencing.
    pub v6_removed: Vec<String>,
    /// Groups of both families to reference.
    pub remote_added: Vec<String>,
    /// Groups of both families to stop referencing.
    pub remote_removed: Vec<String>,
    /// The policy gains its first IPv4 group.
    pub v4_appears: bool,
    /// The policy loses its last IPv4 group.
    pub v4_disappears: bool,
    /// The policy gains its first IPv6 group.
    pub v6_appears: bool,
    /// The policy loses its last IPv6 group.
    pub v6_disappears: bool,
    /// Entries to create.
    pub entries_added: Vec<Entry>,
    /// Entries to delete.
    pub entries_removed: Vec<Entry>,
    /// True when the description changed.
    pub note_changed: bool,
    /// True when the policy gains groups or its description changes.
    pub grows: bool,
    /// True when the policy loses groups.
    pub shrinks: bool,
}

/// A line of a per-direction access list: a policy's remark or an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AclLine {
    /// True for the inbound list.
    pub inbound: bool,
    /// Line number in the list (from 1).
    pub line: usize,
    /// The remark, for a remark line.
    pub remark: Option<String>,
    /// The entry, for an entry line.
    pub entry: Option<Entry>,
}

/// What to do to a device holding the previous plan so that it holds this one.
///
/// Templates apply it in this order, so that nothing is deleted while in use
/// and no group is ever empty: create addresses, services, locals and groups;
/// add group members; create and change policies; remove group members;
/// delete policies, groups, locals, services and addresses.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Delta {
    /// True when anything changes.
    pub changed: bool,
    /// Address objects to create.
    pub addresses_added: Families,
    /// Address objects to delete (no group uses them any more).
    pub addresses_removed: Families,
    /// Services to create.
    pub services_added: Vec<Service>,
    /// Services to delete.
    pub services_removed: Vec<Service>,
    /// Local sides to create.
    pub locals_added: Vec<LocalSide>,
    /// Local sides to delete.
    pub locals_removed: Vec<LocalSide>,
    /// Groups to create, with all their members.
    pub groups_added: Vec<Group>,
    /// Groups to delete (as they were).
    pub groups_removed: Vec<Group>,
    /// Groups whose members change.
    pub groups_changed: Vec<GroupChange>,
    /// Policies to create.
    pub policies_added: Vec<Policy>,
    /// Policies to delete (as they were).
    pub policies_removed: Vec<Policy>,
    /// Policies that change.
    pub policies_changed: Vec<PolicyChange>,
    /// Entries to create, of added and changed policies, in their final order
    /// (insert each before its `before_in_*`, or append).
    #[serde(skip_serializing_if = "Entries::is_omitted")]
    pub entries_added: Entries,
    /// Entries to delete, of removed and changed policies.
    #[serde(skip_serializing_if = "Entries::is_omitted")]
    pub entries_removed: Entries,
    /// Access-list lines to delete (Cisco ASA).
    pub acl_removed: Vec<AclLine>,
    /// Access-list lines to insert, by increasing final line number.
    pub acl_added: Vec<AclLine>,
    /// Prefixes added to and removed from groups, for the summary.
    pub prefixes_added: usize,
    /// Prefixes removed from groups.
    pub prefixes_removed: usize,
}

/// Entries of a policy (or of a delta): listed, or omitted for a row whose
/// templates never read them. They are always computed (the limits are
/// checked on them, and deltas ordered); omitted ones serialize as no key at
/// all, not an empty list, so that a template of the user's that reads them
/// fails in strict mode instead of writing no policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entries {
    /// The entries, in order.
    Listed(Vec<Entry>),
    /// Left out of the context.
    Omitted,
}

impl Entries {
    /// True when left out (serde's `skip_serializing_if`).
    pub fn is_omitted(&self) -> bool {
        matches!(self, Entries::Omitted)
    }
}

impl Default for Entries {
    fn default() -> Entries {
        Entries::Listed(Vec::new())
    }
}

impl From<Vec<Entry>> for Entries {
    fn from(entries: Vec<Entry>) -> Entries {
        Entries::Listed(entries)
    }
}

/// Omitted entries read as none.
impl Deref for Entries {
    type Target = [Entry];

    fn deref(&self) -> &[Entry] {
        match self {
            Entries::Listed(entries) => entries,
            Entries::Omitted => &[],
        }
    }
}

impl DerefMut for Entries {
    fn deref_mut(&mut self) -> &mut [Entry] {
        match self {
            Entries::Listed(entries) => entries,
            Entries::Omitted => &mut [],
        }
    }
}

impl<'a> IntoIterator for &'a Entries {
    type Item = &'a Entry;
    type IntoIter = std::slice::Iter<'a, Entry>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut Entries {
    type Item = &'a mut Entry;
    type IntoIter = std::slice::IterMut<'a, Entry>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl Serialize for Entries {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // An omitted list is skipped by its field; should one be written
        // anyway, it is none.
        self.deref().serialize(s)
    }
}

impl Plan {
    /// Keep the address objects and groups only (`objects_only`): no
    /// services, no policies, so neither the configuration nor a delta
    /// writes a rule.
    pub fn keep_objects_only(&mut self) {
        self.services.clear();
        self.policies.clear();
        self.entries = 0;
        self.elements = 0;
    }

    /// Leave the policies' entries out of the context.
    pub fn omit_entries(&mut self) {
        for p in &mut self.policies {
            p.entries = Entries::Omitted;
        }
    }
}

impl Delta {
    /// Leave the entries out of the context: the delta's own lists and the
    /// entries of the policies it adds, removes and changes (each change
    /// keeps its `entries_added` and `entries_removed`).
    pub fn omit_entries(&mut self) {
        self.entries_added = Entries::Omitted;
        self.entries_removed = Entries::Omitted;
        let changed = self
            .policies_changed
            .iter_mut()
            .flat_map(|c| [&mut c.policy, &mut c.old]);
        for p in self
            .policies_added
            .iter_mut()
            .chain(&mut self.policies_removed)
            .chain(changed)
        {
            p.entries = Entries::Omitted;
        }
    }
}
