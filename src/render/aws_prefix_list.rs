//! AWS customer-managed prefix lists.
//!
//! A prefix list holds one address family and at most 1,000 entries, and one
//! API call adds or removes at most 100. So each rule and family becomes
//! numbered lists (`<rule>-v4-1` ...) of at most [`CHUNK`] prefixes, each
//! created by one `create-managed-prefix-list` call with its first 100 entries
//! and `modify-managed-prefix-list` calls for the rest; every call is one JSON
//! file for `--cli-input-json`. A list's `MaxEntries` is its size plus
//! headroom: a security group rule that references the list counts as
//! `MaxEntries` rules against the group's quota, so it is kept small.

use super::numbered::{self, Object};
use super::{Job, PolicyContext, Target, context_value};
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::Value;

/// Entries one create or modify call may add (and, apart, remove).
pub const MAX_ENTRIES_PER_CALL: usize = 100;
/// Entries one prefix list may hold (`MaxEntries` at most).
pub const MAX_ENTRIES_PER_LIST: usize = 1000;
/// Prefixes tagwall puts in one list, leaving room to grow up to the maximum.
pub const CHUNK: usize = 900;
/// Prefix lists per Region (the default quota).
pub const MAX_LISTS_PER_REGION: usize = 100;
/// Length of an entry description.
pub const MAX_DESCRIPTION: usize = 255;
/// Length of the prefix list names tagwall writes (AWS takes 255; the names
/// are also folder names, which most file systems cap at 255 bytes).
pub const MAX_NAME: usize = 120;
/// Length of a tag value.
pub const MAX_TAG_VALUE: usize = 256;

/// `MaxEntries` for a list of `count` entries: a tenth more, at least 10 more,
/// never over [`MAX_ENTRIES_PER_LIST`].
///
/// ```
/// use tagwall::render::aws_prefix_list::max_entries;
/// assert_eq!(max_entries(42), 52);
/// assert_eq!(max_entries(210), 231);
/// assert_eq!(max_entries(900), 990);
/// ```
pub fn max_entries(count: usize) -> usize {
    (count + (count.div_ceil(10)).max(10)).min(MAX_ENTRIES_PER_LIST)
}

/// The context of the `aws-prefix-list` templates. Each element of
/// `calls` and `delta_calls` is also the `item` of one JSON file.
#[derive(Debug, Serialize)]
pub struct AwsContext<'a> {
    /// `tool`, `source`, `previous`, `rules` and `removed_rules`, as every
    /// target has them.
    #[serde(flatten)]
    pub policy: PolicyContext<'a>,
    /// The prefix lists, in rule order, IPv4 before IPv6 within a rule.
    pub lists: Vec<PrefixList>,
    /// The calls that create every list, one JSON file each.
    pub calls: Vec<Call>,
    /// With a previous release, what the delta does to each list; null
    /// without one.
    pub delta: Option<numbered::Shown<PrefixList>>,
    /// The calls of the delta, one JSON file each (empty without a
    /// previous release).
    pub delta_calls: Vec<Call>,
}

/// One prefix list.
#[derive(Clone, Debug, Serialize)]
pub struct PrefixList {
    /// The list's name (`<rule>-v4-1`).
    pub name: String,
    /// The policy rule it belongs to.
    pub rule: String,
    /// `IPv4` or `IPv6` (the API's `AddressFamily`).
    pub family: &'static str,
    /// How many entries it holds.
    pub count: usize,
    /// Its `MaxEntries` (see [`max_entries`]).
    pub max_entries: usize,
    /// The description of every entry.
    pub description: String,
    /// The paths of its call files, in the order to run them.
    pub files: Vec<String>,
}

/// One `create-managed-prefix-list` or `modify-managed-prefix-list` call.
#[derive(Clone, Debug, Serialize)]
pub struct Call {
    /// The file's name within the list's folder (`01-create.json`).
    pub file: String,
    /// True for the create call, false for a modify call.
    pub create: bool,
    /// The list's name.
    pub name: String,
    /// `IPv4` or `IPv6`.
    pub family: &'static str,
    /// The list's `MaxEntries`.
    pub max_entries: usize,
    /// The description of every entry.
    pub description: String,
    /// The list's tags.
    pub tags: Vec<AwsTag>,
    /// Entries the call adds (at most [`MAX_ENTRIES_PER_CALL`]).
    pub add: Vec<String>,
    /// Entries the call removes (at most [`MAX_ENTRIES_PER_CALL`]).
    pub remove: Vec<String>,
}

/// An AWS tag, spelled as the API spells it.
#[derive(Clone, Debug, Serialize)]
pub struct AwsTag {
    /// Its name.
    #[serde(rename = "Key")]
    pub key: &'static str,
    /// Its value (see [`tag_text`]).
    #[serde(rename = "Value")]
    pub value: String,
}

/// The context for the `aws-prefix-list` templates.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let policy = PolicyContext::new(job, target)?;
    let objects = numbered::objects(job.selection, target, &["ipv4", "ipv6"])?;
    check(target, &objects)?;
    let describe = Describe::new(job);
    let mut lists = Vec::new();
    let mut calls = Vec::new();
    for list in &objects {
        let files = create_calls(list, &describe, "", &mut calls);
        lists.push(list_view(list, &describe, files));
    }
    let mut delta_calls = Vec::new();
    // The previous lists are built from the previous selection: lists are
    // matched by name, and a list is a chunk of the rule's prefixes as
    // that release cut them.
    let delta = match &job.previous {
        None => None,
        Some(prev) => {
            let old = numbered::objects(prev.selection, target, &["ipv4", "ipv6"])?;
            let plan = numbered::plan(&old, &objects);
            Some(plan.shown(|list, change| {
                let files = match change {
                    None => create_calls(list, &describe, "delta/", &mut delta_calls),
                    Some((added, removed)) => {
                        modify_calls(list, added, removed, &describe, &mut delta_calls)
                    }
                };
                list_view(list, &describe, files)
            }))
        }
    };
    context_value(
        target,
        &AwsContext {
            policy,
            lists,
            calls,
            delta,
            delta_calls,
        },
    )
}

fn check(target: &Target, lists: &[Object]) -> Result<()> {
    let limit = |message: String| Error::Limit {
        target: target.name.to_string(),
        message,
    };
    if lists.len() > MAX_LISTS_PER_REGION {
        return Err(limit(format!(
            "the policy needs {} prefix lists ({CHUNK} entries each at most); an AWS Region \
             holds {MAX_LISTS_PER_REGION} by default; select fewer tags",
            lists.len()
        )));
    }
    for list in lists {
        if list.name.to_ascii_lowercase().starts_with("com.amazonaws") {
            return Err(Error::Name {
                target: target.name.to_string(),
                message: format!(
                    "rule {:?} maps to the prefix list name {:?}; names starting with \
                     com.amazonaws are reserved by AWS; rename the rule",
                    list.rule, list.name
                ),
            });
        }
        if max_entries(list.prefixes.len()) < list.prefixes.len() {
            return Err(limit(format!(
                "prefix list {} needs {} entries; a list holds at most {MAX_ENTRIES_PER_LIST}",
                list.name,
                list.prefixes.len()
            )));
        }
    }
    Ok(())
}

/// Descriptions and tags, from the rule and the cloud. They name no
/// release: a release that changes no address changes no call.
struct Describe {
    cloud: String,
}

impl Describe {
    fn new(job: &Job<'_>) -> Describe {
        Describe {
            cloud: job.provenance.cloud.clone(),
        }
    }

    /// The description of every entry of `list`.
    fn entry(&self, list: &Object) -> String {
        let text = format!(
            "{}: {} ({}, tagwall)",
            list.rule,
            list.tags.join(" "),
            self.cloud,
        );
        safe_text(&text, MAX_DESCRIPTION)
    }

    fn tags(&self, list: &Object) -> Vec<AwsTag> {
        let tag = |key, value| AwsTag { key, value };
        vec![
            tag("generator", "tagwall".to_string()),
            tag("tagwall-rule", tag_text(&list.rule)),
            tag("tagwall-service-tags", tag_text(&list.tags.join(" "))),
            tag("tagwall-cloud", tag_text(&self.cloud)),
        ]
    }
}

fn family_name(list: &Object) -> &'static str {
    if list.family == "ipv6" {
        "IPv6"
    } else {
        "IPv4"
    }
}

fn list_view(list: &Object, describe: &Describe, files: Vec<String>) -> PrefixList {
    PrefixList {
        name: list.name.clone(),
        rule: list.rule.clone(),
        family: family_name(list),
        count: list.prefixes.len(),
        max_entries: max_entries(list.prefixes.len()),
        description: describe.entry(list),
        files,
    }
}

/// The calls that create `list`: the create call with the first entries, then
/// modify calls adding the rest. Returns the files' paths.
fn create_calls(
    list: &Object,
    describe: &Describe,
    under: &str,
    calls: &mut Vec<Call>,
) -> Vec<String> {
    let mut files = Vec::new();
    for (n, part) in list.prefixes.chunks(MAX_ENTRIES_PER_CALL).enumerate() {
        let file = format!(
            "{:02}-{}.json",
            n + 1,
            if n == 0 { "create" } else { "add" }
        );
        let path = format!("{under}lists/{}/{file}", list.name);
        calls.push(Call {
            file,
            create: n == 0,
            name: list.name.clone(),
            family: family_name(list),
            max_entries: max_entries(list.prefixes.len()),
            description: describe.entry(list),
            tags: describe.tags(list),
            add: part.to_vec(),
            remove: Vec::new(),
        });
        files.push(path);
    }
    files
}

/// The modify calls that take `list` from the previous release to this one:
/// removals and additions paired 100 and 100, so the list never holds more
/// than the larger of its old and new sizes.
fn modify_calls(
    list: &Object,
    added: &[String],
    removed: &[String],
    describe: &Describe,
    calls: &mut Vec<Call>,
) -> Vec<String> {
    let n = added
        .len()
        .div_ceil(MAX_ENTRIES_PER_CALL)
        .max(removed.len().div_ceil(MAX_ENTRIES_PER_CALL));
    let part = |v: &[String], i: usize| -> Vec<String> {
        v.iter()
            .skip(i * MAX_ENTRIES_PER_CALL)
            .take(MAX_ENTRIES_PER_CALL)
            .cloned()
            .collect()
    };
    let mut files = Vec::new();
    for i in 0..n {
        let file = format!("{:02}-modify.json", i + 1);
        let path = format!("delta/lists/{}/{file}", list.name);
        calls.push(Call {
            file,
            create: false,
            name: list.name.clone(),
            family: family_name(list),
            max_entries: max_entries(list.prefixes.len()),
            description: describe.entry(list),
            tags: describe.tags(list),
            add: part(added, i),
            remove: part(removed, i),
        });
        files.push(path);
    }
    files
}

/// Text for an entry description: letters, digits, spaces and
/// `_ . : / = + - @ # , ( )` (others become `_`), cut to `max` characters.
///
/// ```
/// use tagwall::render::aws_prefix_list::safe_text;
/// assert_eq!(safe_text("AzureCloud.eastus (Public #370)", 255), "AzureCloud.eastus (Public #370)");
/// assert_eq!(safe_text("a'b\"c;$(d)`e`", 255), "a_b_c__(d)_e_");
/// assert_eq!(safe_text(&"x".repeat(300), 255).len(), 255);
/// ```
pub fn safe_text(s: &str, max: usize) -> String {
    only(s, " _.:/=+-@#,()", max)
}

/// Text for a tag value: letters, digits, spaces and `_ . : / = + - @`
/// (others become `_`), at most [`MAX_TAG_VALUE`] characters.
///
/// ```
/// use tagwall::render::aws_prefix_list::tag_text;
/// assert_eq!(tag_text("AzureFrontDoor.FirstParty, x (y)"), "AzureFrontDoor.FirstParty_ x _y_");
/// ```
pub fn tag_text(s: &str) -> String {
    only(s, " _.:/=+-@", MAX_TAG_VALUE)
}

fn only(s: &str, extra: &str, max: usize) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || extra.contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(max)
        .collect()
}
