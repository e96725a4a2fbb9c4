//! The target table: one row per output platform.
//!
//! Adding a target is adding a row here and its templates under `templates/`.

use super::names::{NameRules, alnum, letter_or_underscore, word_dash, word_dot_dash};
use super::vendor::{
    COMMENT_LEN, EDL_ENTRIES, GROUP_MEMBERS, NAME_LEN, POLICY_NAME_LEN, POLICY_UNITS, V6_WEIGHT,
};
use super::{Each, FileSpec, Job, Limit, generic_context, nsg, vendor};
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
    /// The platform's limits.
    pub limits: &'static [Limit],
    /// Most prefixes in one object: longer lists are split into numbered
    /// `chunks` (see [`super::chunk`]); `None` never splits.
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

/// A file written only with a previous release (delta commands).
#[allow(unused_macros)]
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

/// A piece of template text the target's files include with `{{> NAME}}`.
macro_rules! partial {
    ($name:literal) => {
        FileSpec {
            path: "",
            template: $name,
            source: template!($name),
            each: Each::Partial,
            delta: false,
        }
    };
}

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
            max_len: 100,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "_",
        },
        limits: &[],
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
            max_len: 80,
            allowed: word_dot_dash,
            first: letter_or_underscore,
            lead: "R",
            replacement: '_',
            sep: "-",
        },
        limits: &[
            Limit {
                what: "rules per NSG",
                value: nsg::MAX_RULES,
            },
            Limit {
                what: "source prefixes per NSG",
                value: nsg::MAX_PREFIXES_PER_SIDE,
            },
            Limit {
                what: "destination prefixes per NSG",
                value: nsg::MAX_PREFIXES_PER_SIDE,
            },
            Limit {
                what: "highest priority",
                value: nsg::MAX_PRIORITY as usize,
            },
            Limit {
                what: "rule name length",
                value: 80,
            },
        ],
        chunk_size: None,
        context: nsg::context,
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
            partial!("panos/group"),
            partial!("panos/policy"),
        ],
        // Letters, digits, `-` and `_` (PAN-OS also takes `.` and space in
        // some object types, not in all: keep to what all of them take).
        names: NameRules {
            max_len: 63,
            allowed: word_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        limits: &[
            Limit {
                what: NAME_LEN,
                value: 63,
            },
            Limit {
                what: GROUP_MEMBERS,
                value: 2500,
            },
            Limit {
                what: EDL_ENTRIES,
                value: 50_000,
            },
            Limit {
                what: "EDL IP entries per firewall (most models)",
                value: 50_000,
            },
            Limit {
                what: "EDL sources per firewall",
                value: 30,
            },
            Limit {
                what: COMMENT_LEN,
                value: 1023,
            },
        ],
        chunk_size: Some(2500),
        context: vendor::context,
    },
    Target {
        name: "fortios",
        summary: "FortiOS CLI: firewall address/addrgrp and address6/addrgrp6 (v4 and v6 apart), \
                  custom services and firewall policies",
        files: &[
            file!("fortios.conf", "fortios/config.conf", Once),
            delta_file!("fortios-delta.conf", "fortios/delta.conf", Once),
            partial!("fortios/group"),
            partial!("fortios/policy"),
        ],
        // FortiOS refuses `" ' < >` in names; keep to letters, digits, `. _ -`.
        names: NameRules {
            max_len: 79,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        limits: &[
            Limit {
                what: NAME_LEN,
                value: 79,
            },
            Limit {
                what: POLICY_NAME_LEN,
                value: 35,
            },
            Limit {
                what: GROUP_MEMBERS,
                value: 600,
            },
            Limit {
                what: COMMENT_LEN,
                value: 255,
            },
        ],
        chunk_size: Some(600),
        context: vendor::context,
    },
    Target {
        name: "cisco-asa",
        summary: "Cisco ASA: network object-groups (IPv4 in mask form), service object-groups \
                  and one access list per direction",
        files: &[
            file!("asa.cfg", "cisco-asa/config.cfg", Once),
            delta_file!("asa-delta.cfg", "cisco-asa/delta.cfg", Once),
            partial!("cisco-asa/group"),
            partial!("cisco-asa/ace"),
        ],
        names: NameRules {
            max_len: 64,
            allowed: word_dot_dash,
            first: letter_or_underscore,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        limits: &[
            Limit {
                what: NAME_LEN,
                value: 64,
            },
            // `remark` holds 100 characters, `description` 200.
            Limit {
                what: COMMENT_LEN,
                value: 100,
            },
        ],
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
            partial!("junos/set"),
            partial!("junos/policy"),
        ],
        names: NameRules {
            max_len: 63,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        limits: &[
            Limit {
                what: NAME_LEN,
                value: 63,
            },
            Limit {
                what: POLICY_UNITS,
                value: 1023,
            },
            Limit {
                what: V6_WEIGHT,
                value: 4,
            },
            Limit {
                what: COMMENT_LEN,
                value: 255,
            },
        ],
        // In address units: a policy's addresses, source and destination.
        chunk_size: Some(1023),
        context: vendor::context,
    },
    Target {
        name: "mikrotik",
        summary: "MikroTik RouterOS script: /ip and /ipv6 firewall address-list entries with \
                  comments, and filter rules",
        files: &[
            file!("mikrotik.rsc", "mikrotik/config.rsc", Once),
            delta_file!("mikrotik-delta.rsc", "mikrotik/delta.rsc", Once),
            partial!("mikrotik/filter"),
        ],
        names: NameRules {
            max_len: 63,
            allowed: word_dot_dash,
            first: alnum,
            lead: "T",
            replacement: '_',
            sep: "-",
        },
        limits: &[
            Limit {
                what: NAME_LEN,
                value: 63,
            },
            Limit {
                what: COMMENT_LEN,
                value: 255,
            },
        ],
        chunk_size: None,
        context: vendor::context,
    },
];
