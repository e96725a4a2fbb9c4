//! Azure Firewall IP Groups (`Microsoft.Network/ipGroups`).
//!
//! An IP Group holds at most 5,000 prefixes, so a long list becomes numbered
//! groups (`<rule>-v4-1`, `<rule>-v4-2` ...) with stable, content-defined
//! boundaries. IP Groups take IPv4 addresses only (the documented formats are
//! IPv4; IPv6 on Azure Firewall is a preview for network rules), so IPv6
//! prefixes are left out and every output says so. A group is never emptied:
//! Azure Firewall skips a rule whose IP Group is empty, so a group that a
//! release no longer produces is reported for removal, never cleared.

use super::numbered::{self, Object};
use super::{Job, PolicyContext, Target, context_value};
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;

/// Prefixes per IP Group.
pub const MAX_PREFIXES_PER_GROUP: usize = 5000;
/// IP Groups one firewall (policy) can use.
pub const MAX_GROUPS_PER_FIREWALL: usize = 200;
/// Resources in one ARM template.
pub const MAX_TEMPLATE_RESOURCES: usize = 800;
/// Size of one ARM template, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 4 * 1024 * 1024;
/// Length of an IP Group name.
pub const MAX_NAME: usize = 80;
/// Length of an Azure tag value.
pub const MAX_TAG_VALUE: usize = 256;

/// The context of the `azure-firewall` templates.
#[derive(Debug, Serialize)]
pub struct AzureFirewallContext<'a> {
    /// `tool`, `source`, `previous`, `rules` and `removed_rules`, as every
    /// target has them.
    #[serde(flatten)]
    pub policy: PolicyContext<'a>,
    /// The IP Groups, in rule order (IPv4 only).
    pub ip_groups: Vec<IpGroup>,
    /// The rules whose IPv6 prefixes are left out.
    pub ipv6_left_out: Vec<LeftOut>,
    /// With a previous release, what the delta does to each group; null
    /// without one.
    pub ip_group_delta: Option<numbered::Shown<IpGroup>>,
}

/// One IP Group.
#[derive(Clone, Debug, Serialize)]
pub struct IpGroup {
    /// The group's name (`<rule>-v4-1`).
    pub name: String,
    /// The policy rule it belongs to.
    pub rule: String,
    /// The rule's description, or its tag names.
    pub description: String,
    /// Number of the group within its rule, from 1.
    pub index: usize,
    /// How many prefixes it holds.
    pub count: usize,
    /// The prefixes, in numeric order.
    pub prefixes: Vec<String>,
    /// The Azure tags of the resource: `generator`, `tagwall-rule`,
    /// `tagwall-service-tags`, `tagwall-source`, `tagwall-change-number`.
    pub tags: Vec<AzureTag>,
    /// The same tags as `key=value`, for `az --tags`.
    pub tag_args: Vec<String>,
    /// The group created before this one in the ARM template (Azure
    /// changes IP Groups one at a time), or null; always null in the delta.
    pub depends_on: Option<String>,
}

/// An Azure tag.
#[derive(Clone, Debug, Serialize)]
pub struct AzureTag {
    /// Its name.
    pub key: &'static str,
    /// Its value (see [`tag_value`]).
    pub value: String,
}

/// A rule whose IPv6 prefixes no IP Group holds.
#[derive(Clone, Debug, Serialize)]
pub struct LeftOut {
    /// The rule's name.
    pub rule: String,
    /// How many IPv6 prefixes it has.
    pub count: usize,
}

/// The context for the `azure-firewall` templates.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let limit = |message: String| Error::Limit {
        target: target.name.to_string(),
        message,
    };
    let policy = PolicyContext::new(job, target)?;
    let groups = numbered::objects(job.selection, target, &["ipv4"])?;
    if groups.len() > MAX_GROUPS_PER_FIREWALL {
        return Err(limit(format!(
            "the policy needs {} IP Groups ({MAX_PREFIXES_PER_GROUP} IPv4 prefixes each at most); \
             a firewall policy uses at most {MAX_GROUPS_PER_FIREWALL}; select fewer tags",
            groups.len()
        )));
    }
    // What the ARM template will weigh: each prefix on its own line, plus the
    // resource around each group.
    let bytes: usize = groups
        .iter()
        .map(|g| 1200 + g.prefixes.iter().map(|p| p.len() + 14).sum::<usize>())
        .sum();
    if bytes > MAX_TEMPLATE_BYTES {
        return Err(limit(format!(
            "the IP Groups make an ARM template of about {bytes} bytes; a template holds at \
             most {MAX_TEMPLATE_BYTES}; select fewer tags"
        )));
    }
    let view = |g: &Object, depends_on: Option<&str>| ip_group(job, g, depends_on);
    // The previous groups are built from the previous selection: groups
    // are matched by name, and a group is a chunk of the list as that
    // release cut it.
    let ip_group_delta = match &job.previous {
        None => None,
        Some(prev) => {
            let old = numbered::objects(prev.selection, target, &["ipv4"])?;
            let plan = numbered::plan(&old, &groups);
            Some(plan.shown(|g, _| view(g, None)))
        }
    };
    let ip_groups = groups
        .iter()
        .enumerate()
        .map(|(i, g)| view(g, i.checked_sub(1).map(|j| groups[j].name.as_str())))
        .collect();
    let ipv6_left_out = job
        .selection
        .rules
        .iter()
        .filter(|r| !r.set.v6.is_empty())
        .map(|r| LeftOut {
            rule: r.rule.name.clone(),
            count: r.set.v6.prefixes().len(),
        })
        .collect();
    context_value(
        target,
        &AzureFirewallContext {
            policy,
            ip_groups,
            ipv6_left_out,
            ip_group_delta,
        },
    )
}

/// The view of group `g`.
fn ip_group(job: &Job<'_>, g: &Object, depends_on: Option<&str>) -> IpGroup {
    let provenance = &job.provenance;
    let tags = vec![
        AzureTag {
            key: "generator",
            value: "tagwall".to_string(),
        },
        AzureTag {
            key: "tagwall-rule",
            value: tag_value(&g.rule),
        },
        AzureTag {
            key: "tagwall-service-tags",
            value: tag_value(&g.tags.join(" ")),
        },
        AzureTag {
            key: "tagwall-cloud",
            value: tag_value(&provenance.cloud),
        },
    ];
    IpGroup {
        name: g.name.clone(),
        rule: g.rule.clone(),
        description: g.description.clone(),
        index: g.index,
        count: g.prefixes.len(),
        prefixes: g.prefixes.clone(),
        tag_args: tags
            .iter()
            .map(|t| format!("{}={}", t.key, t.value))
            .collect(),
        tags,
        depends_on: depends_on.map(str::to_string),
    }
}

/// Text for an Azure tag value: letters, digits and `_ . , : = + @ -` (other
/// characters become `_`), at most [`MAX_TAG_VALUE`] characters.
///
/// ```
/// use tagwall::render::azure_firewall::tag_value;
/// assert_eq!(tag_value("AzureFrontDoor.FirstParty"), "AzureFrontDoor.FirstParty");
/// assert_eq!(tag_value("[x'];$(y)"), "_x_____y_");
/// ```
pub fn tag_value(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " _.,:=+@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(MAX_TAG_VALUE)
        .collect()
}
