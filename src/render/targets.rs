//! The target table: one row per output platform.
//!
//! Adding a target is adding a row here, its [`Profile`] in
//! [`super::profile`] and its templates under `templates/`.

use super::names::{
    NameRules, alnum, letter, letter_or_underscore, word, word_dash, word_dot_dash,
};
use super::profile::{self, NFT_MAX_NAME, Profile};
use super::{
    Each, FileSpec, Job, aws_prefix_list, azure_firewall, calico, checkpoint, generic_context,
    kube, linux, nsg, pfsense, vendor, windows_firewall,
};
use crate::error::Result;
use serde_json::Value;

/// One output platform.
pub struct Target {
    /// Name used on the command line and as the output folder.
    pub name: &'static str,
    /// One line for `tagwall targets`.
    pub summary: &'static str,
    /// The files it writes.
    pub files: &'static [FileSpec],
    /// How rule names become object names.
    pub names: NameRules,
    /// The platform's limits, typed; `tagwall targets` shows them (see
    /// [`Profile::iter`]). Names and `chunk_size` read them.
    pub profile: Profile,
    /// Most prefixes in one object: a target that splits longer lists into
    /// numbered objects reads it (see [`super::chunk`] and `numbered`); `None`
    /// never splits.
    pub chunk_size: Option<usize>,
    /// Builds the template context.
    pub context: fn(&Job<'_>, &Target) -> Result<Value>,
}

macro_rules! template {
    ($name:literal) => {
        include_str!(concat!("../../templates/", $name, ".hbs"))
    };
}

macro_rules! file {
    ($path:literal, $name:literal, $each:ident) => {
        FileSpec {
            path: $path,
            template: $name,
            source: template!($name),
            each: Each::$each,
            delta: false,
        }
    };
}

/// A whole-policy file written only when the context's text at `pointer`
/// is `equals` (a file of some modes only).
macro_rules! file_when {
    ($path:literal, $name:literal, $pointer:literal == $equals:literal) => {
        FileSpec {
            path: $path,
            template: $name,
            source: template!($name),
            each: Each::OnceWhen(super::When {
                pointer: $pointer,
                equals: $equals,
            }),
            delta: false,
        }
    };
}

/// A file written only with a previous release (delta commands).
macro_rules! delta_file {
    ($path:literal, $name:literal, $each:ident) => {
        FileSpec {
            path: $path,
            template: $name,
            source: template!($name),
            each: Each::$each,
            delta: true,
        }
    };
}

/// One file per element of a list in the target's context (see [`Each::Item`]);
/// `delta` makes it a file written only with a previous release.
macro_rules! item_file {
    ($path:literal, $name:literal, $key:literal) => {
        FileSpec {
            path: $path,
            template: $name,
            source: template!($name),
            each: Each::Item($key),
            delta: false,
        }
    };
    ($path:literal, $name:literal, $key:literal, delta) => {
        FileSpec {
            path: $path,
            template: $name,
            source: template!($name),
            each: Each::Item($key),
            delta: true,
        }
    };
}

/// Templates that other templates include (`{{> name}}`) and no file is
/// rendered from directly, by name (also their path under `templates/`).
pub static PARTIALS: &[(&str, &str)] = &[
    ("nftables/table.nft", template!("nftables/table.nft")),
    ("nftables/refill.nft", template!("nftables/refill.nft")),
    ("iptables/filter.rules", template!("iptables/filter.rules")),
    ("panos/group", template!("panos/group")),
    ("panos/policy", template!("panos/policy")),
    ("panos/move", template!("panos/move")),
    ("fortios/group", template!("fortios/group")),
    ("fortios/policy", template!("fortios/policy")),
    ("cisco-asa/group", template!("cisco-asa/group")),
    ("cisco-asa/ace", template!("cisco-asa/ace")),
    ("junos/set", template!("junos/set")),
    ("junos/policy", template!("junos/policy")),
    ("junos/insert", template!("junos/insert")),
    ("mikrotik/filter", template!("mikrotik/filter")),
    ("windows-firewall/lib", template!("windows-firewall/lib")),
    ("windows-firewall/rule", template!("windows-firewall/rule")),
    ("calico/rule", template!("calico/rule")),
];

/// Every target, in the order `tagwall targets` lists them.
pub static TARGETS: &[Target] = &[
    Target {
        name: "plain",
        summary: "CIDR lists per rule and family (.txt), and all rules as JSON and CSV",
        files: &[
            file!(
                "{{rule.ident}}.{{family.name}}.txt",
                "plain/list.txt",
                RuleFamily
            ),
            file!("rules.json", "plain/rules.json", Once),
            file!("rules.csv", "plain/rules.csv", Once),
        ],
        names: NameRules {
            max_len: profile::PLAIN.name_len,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "_",
        },
        profile: profile::PLAIN,
        chunk_size: None,
        context: generic_context,
    },
    Target {
        name: "azure-nsg",
        summary: "Azure NSG security rules as an ARM template, Bicep, an az CLI script and Terraform",
        files: &[
            file!("nsg-rules.arm.json", "azure-nsg/arm.json", Once),
            file!("nsg-rules.bicep", "azure-nsg/rules.bicep", Once),
            file!("nsg-rules.azcli.sh", "azure-nsg/azcli.sh", Once),
            file!("nsg-rules.tf", "azure-nsg/rules.tf", Once),
        ],
        names: NameRules {
            max_len: profile::AZURE_NSG.name_len,
            allowed: word_dot_dash,
            first: letter_or_underscore,
            lead: "R",
            replacement: '_',
            sep: "-",
        },
        profile: profile::AZURE_NSG,
        chunk_size: None,
        context: nsg::context,
    },
    Target {
        name: "nftables",
        summary: "An nftables ruleset for `nft -f`: a set per rule and family, in a table of its own \
                  with base chains (mode table), or in your table as sets only (mode sets) or with \
                  chains to jump to (mode chain); atomic reloads and element deltas",
        files: &[
            file!("tagwall.nft", "nftables/ruleset.nft", Once),
            delta_file!("tagwall.delta.nft", "nftables/delta.nft", Once),
        ],
        names: NameRules {
            max_len: NFT_MAX_NAME,
            allowed: word,
            first: letter,
            lead: "S",
            replacement: '_',
            sep: "_",
        },
        profile: profile::NFTABLES,
        chunk_size: None,
        context: linux::nftables::context,
    },
    Target {
        name: "iptables",
        summary: "ipset sets (hash:net, swapped in atomically) and iptables/ip6tables rules in \
                  chains of their own (mode chains), or the sets only (mode sets), with ipset deltas",
        files: &[
            file!("ipset.restore", "iptables/ipset.restore", Once),
            file_when!(
                "iptables.rules",
                "iptables/iptables.rules",
                "/ipt/mode" == "chains"
            ),
            file_when!(
                "ip6tables.rules",
                "iptables/ip6tables.rules",
                "/ipt/mode" == "chains"
            ),
            file!("apply.sh", "iptables/apply.sh", Once),
            delta_file!("ipset.delta.restore", "iptables/ipset.delta.restore", Once),
        ],
        names: NameRules {
            // Room for the temporary set's suffix within ipset's 31 characters.
            max_len: linux::iptables::IPSET_MAX_NAME - linux::iptables::IPSET_TMP_SUFFIX.len(),
            allowed: word_dot_dash,
            first: alnum,
            lead: "S",
            replacement: '_',
            sep: "_",
        },
        profile: profile::IPTABLES,
        chunk_size: None,
        context: linux::iptables::context,
    },
    Target {
        name: "pfsense",
        summary: "pfSense/OPNsense network aliases: an import list and a URL-table file per rule and family, and a config.xml <aliases> fragment",
        files: &[
            file!(
                "import/{{family.ident}}.txt",
                "pfsense/import.txt",
                RuleFamily
            ),
            file!(
                "urltable/{{family.ident}}.txt",
                "pfsense/urltable.txt",
                RuleFamily
            ),
            file!("aliases.xml", "pfsense/aliases.xml", Once),
            delta_file!("aliases.delta.txt", "pfsense/delta.txt", Once),
        ],
        names: NameRules {
            max_len: profile::PFSENSE.name_len,
            allowed: word,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "_",
        },
        profile: profile::PFSENSE,
        chunk_size: None,
        context: pfsense::context,
    },
    Target {
        name: "checkpoint",
        summary: "Check Point mgmt_cli: network and host objects, groups and access rules (CSV batches and a script)",
        files: &[
            file!("networks.csv", "checkpoint/networks.csv", Once),
            file!("hosts.csv", "checkpoint/hosts.csv", Once),
            file!("groups.csv", "checkpoint/groups.csv", Once),
            file!("members.csv", "checkpoint/members.csv", Once),
            file!("apply.sh", "checkpoint/apply.sh", Once),
            delta_file!(
                "delta-networks-add.csv",
                "checkpoint/delta-networks-add.csv",
                Once
            ),
            delta_file!(
                "delta-hosts-add.csv",
                "checkpoint/delta-hosts-add.csv",
                Once
            ),
            delta_file!(
                "delta-members-add.csv",
                "checkpoint/delta-members-add.csv",
                Once
            ),
            delta_file!(
                "delta-members-remove.csv",
                "checkpoint/delta-members-remove.csv",
                Once
            ),
            delta_file!(
                "delta-networks-delete.csv",
                "checkpoint/delta-networks-delete.csv",
                Once
            ),
            delta_file!(
                "delta-hosts-delete.csv",
                "checkpoint/delta-hosts-delete.csv",
                Once
            ),
            delta_file!("delta.sh", "checkpoint/delta.sh", Once),
        ],
        names: NameRules {
            max_len: profile::CHECKPOINT.name_len,
            allowed: checkpoint::name_char,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "_",
        },
        profile: profile::CHECKPOINT,
        chunk_size: None,
        context: checkpoint::context,
    },
    Target {
        name: "azure-firewall",
        summary: "Azure Firewall IP Groups (IPv4) as an ARM template and an az CLI script, split at 5,000 prefixes per group",
        files: &[
            file!("ipgroups.arm.json", "azure-firewall/arm.json", Once),
            file!("ipgroups.azcli.sh", "azure-firewall/azcli.sh", Once),
            delta_file!(
                "ipgroups.delta.azcli.sh",
                "azure-firewall/delta.azcli.sh",
                Once
            ),
        ],
        names: NameRules {
            max_len: profile::AZURE_FIREWALL.name_len,
            allowed: word_dot_dash,
            first: alnum,
            lead: "G",
            replacement: '_',
            sep: "-",
        },
        profile: profile::AZURE_FIREWALL,
        chunk_size: profile::AZURE_FIREWALL.group_members,
        context: azure_firewall::context,
    },
    Target {
        name: "aws-prefix-list",
        summary: "AWS managed prefix lists per family: create and modify calls as JSON for the AWS CLI, 100 entries a call, and scripts",
        files: &[
            item_file!(
                "lists/{{item.name}}/{{item.file}}",
                "aws-prefix-list/call.json",
                "calls"
            ),
            file!("prefix-lists.lib.sh", "aws-prefix-list/lib.sh", Once),
            file!("apply.sh", "aws-prefix-list/apply.sh", Once),
            item_file!(
                "delta/lists/{{item.name}}/{{item.file}}",
                "aws-prefix-list/delta-call.json",
                "delta_calls",
                delta
            ),
            delta_file!("delta.sh", "aws-prefix-list/delta.sh", Once),
        ],
        names: NameRules {
            max_len: profile::AWS_PREFIX_LIST.name_len,
            allowed: word_dot_dash,
            first: alnum,
            lead: "P",
            replacement: '_',
            sep: "-",
        },
        profile: profile::AWS_PREFIX_LIST,
        chunk_size: profile::AWS_PREFIX_LIST.group_members,
        context: aws_prefix_list::context,
    },
    Target {
        name: "panos",
        summary: "PAN-OS set commands: address objects, static address groups, services and \
                  security rules; an External Dynamic List per rule",
        files: &[
            file!("panos.set", "panos/config.set", Once),
            file!("edl/{{rule.ident}}.txt", "panos/edl.txt", Rule),
            file!("edl-capacity.txt", "panos/edl-capacity.txt", Once),
            delta_file!("panos-delta.set", "panos/delta.set", Once),
        ],
        // Letters, digits, `-` and `_` (PAN-OS also takes `.` and space in
        // some object types, not in all: keep to what all of them take).
        names: NameRules {
            max_len: profile::PANOS.name_len,
            allowed: word_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        profile: profile::PANOS,
        chunk_size: profile::PANOS.group_members,
        context: vendor::context,
    },
    Target {
        name: "fortios",
        summary: "FortiOS CLI: firewall address/addrgrp and address6/addrgrp6 (v4 and v6 apart), \
                  custom services and firewall policies",
        files: &[
            file!("fortios.conf", "fortios/config.conf", Once),
            delta_file!("fortios-delta.conf", "fortios/delta.conf", Once),
        ],
        // FortiOS refuses `" ' < >` in names; keep to letters, digits, `. _ -`.
        names: NameRules {
            max_len: profile::FORTIOS.name_len,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        profile: profile::FORTIOS,
        chunk_size: profile::FORTIOS.group_members,
        context: vendor::context,
    },
    Target {
        name: "cisco-asa",
        summary: "Cisco ASA: network object-groups (IPv4 in mask form), service object-groups \
                  and one access list per direction",
        files: &[
            file!("asa.cfg", "cisco-asa/config.cfg", Once),
            delta_file!("asa-delta.cfg", "cisco-asa/delta.cfg", Once),
        ],
        names: NameRules {
            max_len: profile::CISCO_ASA.name_len,
            allowed: word_dot_dash,
            first: letter_or_underscore,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        profile: profile::CISCO_ASA,
        chunk_size: None,
        context: vendor::context,
    },
    Target {
        name: "junos",
        summary: "Junos SRX set commands: global address book, address sets, applications and \
                  security policies; and policy-options prefix-lists",
        files: &[
            file!("junos-security.set", "junos/security.set", Once),
            file!("junos-prefix-lists.set", "junos/prefix-lists.set", Once),
            delta_file!("junos-security-delta.set", "junos/security-delta.set", Once),
            delta_file!(
                "junos-prefix-lists-delta.set",
                "junos/prefix-lists-delta.set",
                Once
            ),
        ],
        names: NameRules {
            max_len: profile::JUNOS.name_len,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        profile: profile::JUNOS,
        // In address units: a policy's addresses, source and destination.
        chunk_size: profile::JUNOS.policy_units,
        context: vendor::context,
    },
    Target {
        name: "mikrotik",
        summary: "MikroTik RouterOS script: /ip and /ipv6 firewall address-list entries with \
                  comments, and filter rules",
        files: &[
            file!("mikrotik.rsc", "mikrotik/config.rsc", Once),
            delta_file!("mikrotik-delta.rsc", "mikrotik/delta.rsc", Once),
        ],
        names: NameRules {
            max_len: profile::MIKROTIK.name_len,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        profile: profile::MIKROTIK,
        chunk_size: None,
        context: vendor::context,
    },
    Target {
        name: "windows-firewall",
        summary: "Windows Defender Firewall as a PowerShell script: a dynamic keyword address per \
                  rule and family named by the firewall rules (or the addresses in the rules, \
                  split at 1,000 a rule), updated in place, with a delta script",
        files: &[
            file!("tagwall.ps1", "windows-firewall/tagwall.ps1", Once),
            delta_file!("tagwall.delta.ps1", "windows-firewall/delta.ps1", Once),
        ],
        names: NameRules {
            max_len: profile::WINDOWS_FIREWALL.name_len,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        profile: profile::WINDOWS_FIREWALL,
        chunk_size: profile::WINDOWS_FIREWALL.addresses_per_rule,
        context: windows_firewall::context,
    },
    Target {
        name: "kubernetes",
        summary: "Kubernetes NetworkPolicies (networking.k8s.io/v1) per namespace and rule, \
                  allowing the rule's prefixes as ipBlocks, split at 1,000 a policy; a \
                  kustomization",
        files: &[
            file!(
                "networkpolicies.yaml",
                "kubernetes/networkpolicies.yaml",
                Once
            ),
            file!("kustomization.yaml", "kubernetes/kustomization.yaml", Once),
        ],
        // A DNS-1123 label (rule names are lower-cased first; see
        // `kubernetes::object_name`).
        names: kube::IDENT_RULES,
        profile: profile::KUBERNETES,
        chunk_size: profile::KUBERNETES.group_members,
        context: super::kubernetes::context,
    },
    Target {
        name: "calico",
        summary: "Calico (projectcalico.org/v3): a GlobalNetworkSet per rule and family, split at \
                  5,000 prefixes, selected by label from one NetworkPolicy per namespace or a \
                  GlobalNetworkPolicy; the policy file is applied once, the sets weekly",
        files: &[
            file!("networksets.yaml", "calico/networksets.yaml", Once),
            file!("policies.yaml", "calico/policies.yaml", Once),
        ],
        names: kube::IDENT_RULES,
        profile: profile::CALICO,
        chunk_size: profile::CALICO.group_members,
        context: calico::context,
    },
];
