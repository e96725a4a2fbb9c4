//! The limits of each target's platform, typed: one [`Profile`] per row of
//! [`super::TARGETS`], each number written once.
//!
//! Code reads the fields (`target.profile.policy_units`); `tagwall targets`
//! and the templates' `limits` map show them under the labels a row lists in
//! [`Profile::shown`], in that order (a label is what the platform's
//! documentation calls the limit, so it differs between rows).

use super::{
    Limit, aws_prefix_list, azure_firewall, calico, checkpoint, kube, linux, nsg, pfsense,
    windows_firewall,
};
use std::collections::BTreeMap;

/// The limits of one platform. `None` where the platform has no such limit
/// (or tagwall does not need it).
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Longest name of the objects the target writes (the row's
    /// [`super::NameRules`] may keep names shorter, to leave room for a suffix).
    pub name_len: usize,
    /// Most members in one address group: a target that splits longer
    /// lists into numbered groups reads it as its `chunk_size`.
    pub group_members: Option<usize>,
    /// Longest free-text comment or description.
    pub comment_len: Option<usize>,
    /// Longest firewall policy name, where it is shorter than other names
    /// (FortiOS).
    pub policy_name_len: Option<usize>,
    /// Most address units (source and destination) in one policy (Junos).
    pub policy_units: Option<usize>,
    /// How many address units one IPv6 prefix counts for; `None`: one, as an
    /// IPv4 prefix.
    pub v6_weight: Option<usize>,
    /// Most entries in one External Dynamic List (PAN-OS); a row with it gets
    /// an EDL per rule.
    pub edl_entries: Option<usize>,
    /// Most EDL IP entries on one firewall, all lists together.
    pub edl_entries_per_firewall: Option<usize>,
    /// Most EDLs with distinct sources on one firewall.
    pub edl_sources: Option<usize>,
    /// Most rules in one network security group (Azure NSG).
    pub rules: Option<usize>,
    /// Most prefixes on one side (source or destination) of all rules of a
    /// network security group, counted per side.
    pub prefixes_per_side: Option<usize>,
    /// Highest (last) rule priority.
    pub highest_priority: Option<usize>,
    /// Least `maxelem` tagwall gives an ipset set.
    pub set_min_elements: Option<usize>,
    /// Most ports in one multiport match.
    pub ports_per_match: Option<usize>,
    /// Table entries all aliases together may use (pfSense).
    pub table_entries: Option<usize>,
    /// Most IP Groups per firewall policy (Azure Firewall).
    pub groups_per_firewall: Option<usize>,
    /// Most resources in one ARM template.
    pub template_resources: Option<usize>,
    /// Most bytes in one ARM template.
    pub template_bytes: Option<usize>,
    /// Most entries added or removed in one API call (AWS).
    pub entries_per_call: Option<usize>,
    /// Most entries one list holds (AWS prefix list).
    pub entries_per_list: Option<usize>,
    /// Most lists per Region (AWS default quota).
    pub lists_per_region: Option<usize>,
    /// Most remote addresses in one firewall rule (Windows, mode
    /// `remote-address`).
    pub addresses_per_rule: Option<usize>,
    /// What `tagwall targets` and the templates' `limits` map show, in order.
    pub shown: &'static [Shown],
    /// For targets rendered from the vendor plan ([`super::vendor`]): what
    /// their templates read besides it.
    pub plan: Option<PlanReads>,
}

/// Which parts of a vendor target's context its templates read. Parts they
/// never read are left out: with `--all-tags` each would hold every prefix or
/// every group once more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanReads {
    /// The generic rule lists (`rules`, `removed_rules`); when false they are
    /// empty.
    pub rules: bool,
    /// The policies' `entries` (and the delta's); when false the keys are
    /// absent, not empty, so a template that reads them fails in strict mode
    /// instead of writing no policies.
    pub entries: bool,
}

/// A field of [`Profile`] that can be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// [`Profile::name_len`].
    NameLen,
    /// [`Profile::group_members`].
    GroupMembers,
    /// [`Profile::comment_len`].
    CommentLen,
    /// [`Profile::policy_name_len`].
    PolicyNameLen,
    /// [`Profile::policy_units`].
    PolicyUnits,
    /// [`Profile::v6_weight`].
    V6Weight,
    /// [`Profile::edl_entries`].
    EdlEntries,
    /// [`Profile::edl_entries_per_firewall`].
    EdlEntriesPerFirewall,
    /// [`Profile::edl_sources`].
    EdlSources,
    /// [`Profile::rules`].
    Rules,
    /// [`Profile::prefixes_per_side`].
    PrefixesPerSide,
    /// [`Profile::highest_priority`].
    HighestPriority,
    /// [`Profile::set_min_elements`].
    SetMinElements,
    /// [`Profile::ports_per_match`].
    PortsPerMatch,
    /// [`Profile::table_entries`].
    TableEntries,
    /// [`Profile::groups_per_firewall`].
    GroupsPerFirewall,
    /// [`Profile::template_resources`].
    TemplateResources,
    /// [`Profile::template_bytes`].
    TemplateBytes,
    /// [`Profile::entries_per_call`].
    EntriesPerCall,
    /// [`Profile::entries_per_list`].
    EntriesPerList,
    /// [`Profile::lists_per_region`].
    ListsPerRegion,
    /// [`Profile::addresses_per_rule`].
    AddressesPerRule,
}

/// A field shown under a label.
#[derive(Clone, Copy, Debug)]
pub struct Shown {
    /// The field.
    pub field: Field,
    /// Its label in `tagwall targets` and the templates' `limits` map.
    pub label: &'static str,
}

const fn show(field: Field, label: &'static str) -> Shown {
    Shown { field, label }
}

/// The labels the vendor targets share; their templates look some of them up
/// (`lookup limits "EDL entries per list"`), so they must not change.
const OBJECT_NAME: Shown = show(Field::NameLen, "object name length");
const GROUP_MEMBERS: Shown = show(Field::GroupMembers, "members per address group");
const COMMENT: Shown = show(Field::CommentLen, "comment length");
const POLICY_NAME: Shown = show(Field::PolicyNameLen, "policy name length");
const POLICY_UNITS: Shown = show(Field::PolicyUnits, "address units per policy");
const V6_WEIGHT: Shown = show(Field::V6Weight, "IPv6 address weight");
const EDL_ENTRIES: Shown = show(Field::EdlEntries, "EDL entries per list");

impl Profile {
    /// A profile with a name length and no other limit, to complete with
    /// struct update syntax.
    pub const fn new(name_len: usize) -> Profile {
        Profile {
            name_len,
            group_members: None,
            comment_len: None,
            policy_name_len: None,
            policy_units: None,
            v6_weight: None,
            edl_entries: None,
            edl_entries_per_firewall: None,
            edl_sources: None,
            rules: None,
            prefixes_per_side: None,
            highest_priority: None,
            set_min_elements: None,
            ports_per_match: None,
            table_entries: None,
            groups_per_firewall: None,
            template_resources: None,
            template_bytes: None,
            entries_per_call: None,
            entries_per_list: None,
            lists_per_region: None,
            addresses_per_rule: None,
            shown: &[],
            plan: None,
        }
    }

    /// The value of `field`, if the platform has that limit.
    pub fn get(&self, field: Field) -> Option<usize> {
        match field {
            Field::NameLen => Some(self.name_len),
            Field::GroupMembers => self.group_members,
            Field::CommentLen => self.comment_len,
            Field::PolicyNameLen => self.policy_name_len,
            Field::PolicyUnits => self.policy_units,
            Field::V6Weight => self.v6_weight,
            Field::EdlEntries => self.edl_entries,
            Field::EdlEntriesPerFirewall => self.edl_entries_per_firewall,
            Field::EdlSources => self.edl_sources,
            Field::Rules => self.rules,
            Field::PrefixesPerSide => self.prefixes_per_side,
            Field::HighestPriority => self.highest_priority,
            Field::SetMinElements => self.set_min_elements,
            Field::PortsPerMatch => self.ports_per_match,
            Field::TableEntries => self.table_entries,
            Field::GroupsPerFirewall => self.groups_per_firewall,
            Field::TemplateResources => self.template_resources,
            Field::TemplateBytes => self.template_bytes,
            Field::EntriesPerCall => self.entries_per_call,
            Field::EntriesPerList => self.entries_per_list,
            Field::ListsPerRegion => self.lists_per_region,
            Field::AddressesPerRule => self.addresses_per_rule,
        }
    }

    /// The shown limits with their labels, in the row's order (a shown
    /// field without a value is skipped; a test keeps there being none).
    pub fn iter(&self) -> Limits {
        Limits {
            profile: *self,
            next: 0,
        }
    }

    /// The shown limits by label, as the templates look them up.
    pub fn by_label(&self) -> BTreeMap<&'static str, usize> {
        self.iter().map(|l| (l.what, l.value)).collect()
    }
}

impl IntoIterator for Profile {
    type Item = Limit;
    type IntoIter = Limits;

    fn into_iter(self) -> Limits {
        self.iter()
    }
}

/// The shown limits of a profile, in order (see [`Profile::iter`]).
pub struct Limits {
    profile: Profile,
    next: usize,
}

impl Iterator for Limits {
    type Item = Limit;

    fn next(&mut self) -> Option<Limit> {
        while let Some(shown) = self.profile.shown.get(self.next) {
            self.next += 1;
            if let Some(value) = self.profile.get(shown.field) {
                return Some(Limit {
                    what: shown.label,
                    value,
                });
            }
        }
        None
    }
}

/// Plain lists: no platform, names kept readable.
pub const PLAIN: Profile = Profile::new(100);

/// Azure network security groups.
pub const AZURE_NSG: Profile = Profile {
    rules: Some(nsg::MAX_RULES),
    prefixes_per_side: Some(nsg::MAX_PREFIXES_PER_SIDE),
    highest_priority: Some(nsg::MAX_PRIORITY as usize),
    shown: &[
        show(Field::Rules, "rules per NSG"),
        show(Field::PrefixesPerSide, "source prefixes per NSG"),
        show(Field::PrefixesPerSide, "destination prefixes per NSG"),
        show(Field::HighestPriority, "highest priority"),
        show(Field::NameLen, "rule name length"),
    ],
    ..Profile::new(80)
};

/// Longest nftables set name tagwall writes (long names keep a hash).
pub const NFT_MAX_NAME: usize = 64;

/// nftables.
pub const NFTABLES: Profile = Profile {
    comment_len: Some(linux::nftables::NFT_MAX_COMMENT),
    shown: &[
        show(
            Field::NameLen,
            "set name length (tagwall's choice; the kernel allows 255)",
        ),
        COMMENT,
    ],
    ..Profile::new(NFT_MAX_NAME)
};

/// ipset and iptables.
pub const IPTABLES: Profile = Profile {
    set_min_elements: Some(linux::iptables::IPSET_MIN_MAXELEM),
    comment_len: Some(linux::iptables::IPT_MAX_COMMENT),
    ports_per_match: Some(linux::iptables::MULTIPORT_MAX),
    shown: &[
        show(Field::NameLen, "ipset name length"),
        show(Field::SetMinElements, "least maxelem per set"),
        COMMENT,
        show(Field::PortsPerMatch, "ports per multiport match"),
    ],
    ..Profile::new(linux::iptables::IPSET_MAX_NAME)
};

/// pfSense and OPNsense aliases.
pub const PFSENSE: Profile = Profile {
    table_entries: Some(pfsense::TABLE_ENTRIES_BUDGET),
    shown: &[
        show(Field::NameLen, "alias name length"),
        show(
            Field::TableEntries,
            "table entries of all aliases (half the default Firewall Maximum Table Entries)",
        ),
    ],
    ..Profile::new(pfsense::MAX_NAME)
};

/// Check Point management objects.
pub const CHECKPOINT: Profile = Profile {
    comment_len: Some(checkpoint::MAX_COMMENT),
    shown: &[
        show(Field::NameLen, "rule part of object names (after tw_g_)"),
        COMMENT,
    ],
    ..Profile::new(checkpoint::MAX_NAME)
};

/// Azure Firewall IP Groups.
pub const AZURE_FIREWALL: Profile = Profile {
    group_members: Some(azure_firewall::MAX_PREFIXES_PER_GROUP),
    groups_per_firewall: Some(azure_firewall::MAX_GROUPS_PER_FIREWALL),
    template_resources: Some(azure_firewall::MAX_TEMPLATE_RESOURCES),
    template_bytes: Some(azure_firewall::MAX_TEMPLATE_BYTES),
    shown: &[
        show(Field::GroupMembers, "prefixes per IP Group"),
        show(Field::GroupsPerFirewall, "IP Groups per firewall policy"),
        show(Field::TemplateResources, "resources per ARM template"),
        show(Field::TemplateBytes, "ARM template bytes"),
        show(Field::NameLen, "IP Group name length"),
    ],
    ..Profile::new(azure_firewall::MAX_NAME)
};

/// AWS managed prefix lists. The group size is tagwall's choice below the
/// list's capacity, leaving room for a list to grow between releases.
pub const AWS_PREFIX_LIST: Profile = Profile {
    entries_per_call: Some(aws_prefix_list::MAX_ENTRIES_PER_CALL),
    entries_per_list: Some(aws_prefix_list::MAX_ENTRIES_PER_LIST),
    group_members: Some(aws_prefix_list::CHUNK),
    lists_per_region: Some(aws_prefix_list::MAX_LISTS_PER_REGION),
    comment_len: Some(aws_prefix_list::MAX_DESCRIPTION),
    shown: &[
        show(Field::EntriesPerCall, "entries added or removed per call"),
        show(Field::EntriesPerList, "entries per prefix list"),
        show(
            Field::GroupMembers,
            "prefixes tagwall puts in one list (room to grow)",
        ),
        show(
            Field::ListsPerRegion,
            "prefix lists per Region (default quota)",
        ),
        show(Field::CommentLen, "entry description length"),
        show(Field::NameLen, "prefix list name length (AWS takes 255)"),
    ],
    ..Profile::new(aws_prefix_list::MAX_NAME)
};

/// PAN-OS. Its policies name their groups, and its EDLs come from the rule
/// lists: the templates read the rules, not the entries.
pub const PANOS: Profile = Profile {
    group_members: Some(2500),
    edl_entries: Some(50_000),
    edl_entries_per_firewall: Some(50_000),
    edl_sources: Some(30),
    comment_len: Some(1023),
    shown: &[
        OBJECT_NAME,
        GROUP_MEMBERS,
        EDL_ENTRIES,
        show(
            Field::EdlEntriesPerFirewall,
            "EDL IP entries per firewall (most models)",
        ),
        show(Field::EdlSources, "EDL sources per firewall"),
        COMMENT,
    ],
    plan: Some(PlanReads {
        rules: true,
        entries: false,
    }),
    ..Profile::new(63)
};

/// FortiOS. One policy per rule and direction, naming its groups; the files
/// render the plan alone.
pub const FORTIOS: Profile = Profile {
    policy_name_len: Some(35),
    group_members: Some(600),
    comment_len: Some(255),
    shown: &[OBJECT_NAME, POLICY_NAME, GROUP_MEMBERS, COMMENT],
    plan: Some(PlanReads {
        rules: false,
        entries: false,
    }),
    ..Profile::new(79)
};

/// Cisco ASA. `remark` holds 100 characters, `description` 200.
pub const CISCO_ASA: Profile = Profile {
    comment_len: Some(100),
    shown: &[OBJECT_NAME, COMMENT],
    plan: Some(PlanReads {
        rules: false,
        entries: true,
    }),
    ..Profile::new(64)
};

/// Junos SRX. A policy holds 1,023 address units, an IPv6 prefix counting
/// four; the prefix lists come from the rule lists.
pub const JUNOS: Profile = Profile {
    policy_units: Some(1023),
    v6_weight: Some(4),
    comment_len: Some(255),
    shown: &[OBJECT_NAME, POLICY_UNITS, V6_WEIGHT, COMMENT],
    plan: Some(PlanReads {
        rules: true,
        entries: true,
    }),
    ..Profile::new(63)
};

/// MikroTik RouterOS.
pub const MIKROTIK: Profile = Profile {
    comment_len: Some(255),
    shown: &[OBJECT_NAME, COMMENT],
    plan: Some(PlanReads {
        rules: false,
        entries: true,
    }),
    ..Profile::new(63)
};

/// Windows Defender Firewall. A rule's remote addresses are split at the
/// limit the field reports (see [`windows_firewall::MAX_REMOTE_ADDRESSES`]).
pub const WINDOWS_FIREWALL: Profile = Profile {
    addresses_per_rule: Some(windows_firewall::MAX_REMOTE_ADDRESSES),
    comment_len: Some(windows_firewall::MAX_DESCRIPTION),
    shown: &[
        show(
            Field::AddressesPerRule,
            "remote addresses per firewall rule (mode remote-address)",
        ),
        show(
            Field::CommentLen,
            "rule description length (tagwall's choice)",
        ),
        show(Field::NameLen, "rule part of display names and keywords"),
    ],
    ..Profile::new(crate::policy::MAX_RULE_NAME)
};

/// Kubernetes NetworkPolicies. The ipBlocks an object holds are tagwall's
/// choice, well below what the API server and etcd take (see
/// [`super::kubernetes::MAX_IP_BLOCKS`]).
pub const KUBERNETES: Profile = Profile {
    group_members: Some(super::kubernetes::MAX_IP_BLOCKS),
    shown: &[
        show(
            Field::NameLen,
            "object name length (a DNS-1123 label, also the rule label's value)",
        ),
        show(
            Field::GroupMembers,
            "ipBlocks per NetworkPolicy (tagwall's choice; a rule of both directions counts twice)",
        ),
    ],
    ..Profile::new(kube::MAX_IDENT)
};

/// Calico network sets and policies.
pub const CALICO: Profile = Profile {
    group_members: Some(calico::MAX_NETS_PER_SET),
    template_bytes: Some(kube::MAX_OBJECT_BYTES),
    shown: &[
        show(
            Field::GroupMembers,
            "prefixes per GlobalNetworkSet (tagwall's choice)",
        ),
        show(
            Field::TemplateBytes,
            "bytes per object (below etcd's 1.5 MiB request limit)",
        ),
        show(Field::NameLen, "rule label value length"),
    ],
    ..Profile::new(kube::MAX_IDENT)
};

#[cfg(test)]
mod tests {
    use super::super::TARGETS;

    #[test]
    fn every_shown_limit_has_a_value() {
        for t in TARGETS {
            for s in t.profile.shown {
                assert!(t.profile.get(s.field).is_some(), "{}: {}", t.name, s.label);
            }
        }
    }

    #[test]
    fn vendor_rows_state_a_comment_length() {
        for t in TARGETS.iter().filter(|t| t.profile.plan.is_some()) {
            assert!(t.profile.comment_len.is_some(), "{}", t.name);
        }
    }
}
