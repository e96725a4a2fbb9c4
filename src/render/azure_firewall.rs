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
use super::{Job, Target, generic_context};
use crate::error::{Error, Result};
use serde_json::{Value, json};

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

/// The context for the `azure-firewall` templates: the generic one plus
/// `ip_groups`, `ipv6_left_out` and, with a previous release, `ip_group_delta`.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let limit = |message: String| Error::Limit {
        target: target.name.to_string(),
        message,
    };
    let mut ctx = generic_context(job, target)?;
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
    let provenance = &job.provenance;
    let tags = |g: &Object| {
        json!([
            {"key": "generator", "value": "tagwall"},
            {"key": "tagwall-rule", "value": tag_value(&g.rule)},
            {"key": "tagwall-service-tags", "value": tag_value(&g.tags.join(" "))},
            {"key": "tagwall-source", "value": tag_value(&provenance.file)},
            {"key": "tagwall-change-number", "value": provenance.change_number.to_string()},
        ])
    };
    let view = |g: &Object, depends_on: Option<&str>| {
        let tags = tags(g);
        let tag_args: Vec<String> = tags
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                format!(
                    "{}={}",
                    t["key"].as_str().unwrap_or(""),
                    t["value"].as_str().unwrap_or("")
                )
            })
            .collect();
        json!({
            "name": g.name,
            "rule": g.rule,
            "description": g.description,
            "index": g.index,
            "count": g.prefixes.len(),
            "prefixes": g.prefixes,
            "tags": tags,
            "tag_args": tag_args,
            "depends_on": depends_on,
        })
    };
    let mut views = Vec::with_capacity(groups.len());
    for (i, g) in groups.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| groups[j].name.as_str());
        views.push(view(g, before));
    }
    ctx["ip_groups"] = Value::Array(views);
    ctx["ipv6_left_out"] = json!(
        job.selection
            .rules
            .iter()
            .filter(|r| !r.set.v6_prefixes().is_empty())
            .map(|r| json!({"rule": r.rule.name, "count": r.set.v6_prefixes().len()}))
            .collect::<Vec<_>>()
    );
    ctx["ip_group_delta"] = match &job.previous {
        None => Value::Null,
        Some(prev) => {
            let old = numbered::objects(prev.selection, target, &["ipv4"])?;
            let plan = numbered::plan(&old, &groups);
            json!({
                "created": plan.created.iter().map(|g| view(g, None)).collect::<Vec<_>>(),
                "changed": plan.changed.iter().map(|c| {
                    let mut v = view(&c.object, None);
                    v["added"] = json!(c.added);
                    v["removed"] = json!(c.removed);
                    v
                }).collect::<Vec<_>>(),
                "unchanged": plan.unchanged,
                "gone": plan.gone.iter().map(|g| json!({"name": g.name, "rule": g.rule, "count": g.prefixes.len()})).collect::<Vec<_>>(),
            })
        }
    };
    Ok(ctx)
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
