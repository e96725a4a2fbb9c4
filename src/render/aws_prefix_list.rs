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
use super::{Job, Target, generic_context};
use crate::error::{Error, Result};
use serde_json::{Value, json};

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

/// The context for the `aws-prefix-list` templates: the generic one plus
/// `lists` and `calls` (one per JSON file), and with a previous release
/// `delta` and `delta_calls`.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let mut ctx = generic_context(job, target)?;
    let lists = numbered::objects(job.selection, target, &["ipv4", "ipv6"])?;
    check(target, &lists)?;
    let describe = Describe::new(job);
    let mut views = Vec::new();
    let mut calls = Vec::new();
    for list in &lists {
        let files = create_calls(list, &describe, "", &mut calls);
        views.push(list_view(list, &describe, files));
    }
    ctx["lists"] = Value::Array(views);
    ctx["calls"] = Value::Array(calls);
    if let Some(prev) = &job.previous {
        let old = numbered::objects(prev.selection, target, &["ipv4", "ipv6"])?;
        let plan = numbered::plan(&old, &lists);
        let mut calls = Vec::new();
        let created: Vec<Value> = plan
            .created
            .iter()
            .map(|list| {
                let files = create_calls(list, &describe, "delta/", &mut calls);
                list_view(list, &describe, files)
            })
            .collect();
        let changed: Vec<Value> = plan
            .changed
            .iter()
            .map(|c| {
                let files = modify_calls(&c.object, &c.added, &c.removed, &describe, &mut calls);
                let mut v = list_view(&c.object, &describe, files);
                v["added"] = json!(c.added);
                v["removed"] = json!(c.removed);
                v
            })
            .collect();
        ctx["delta"] = json!({
            "created": created,
            "changed": changed,
            "unchanged": plan.unchanged,
            "gone": plan.gone.iter().map(|g| json!({"name": g.name, "rule": g.rule, "count": g.prefixes.len()})).collect::<Vec<_>>(),
        });
        ctx["delta_calls"] = Value::Array(calls);
    } else {
        ctx["delta"] = Value::Null;
        ctx["delta_calls"] = json!([]);
    }
    Ok(ctx)
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

/// Descriptions and tags, from the rule and the release.
struct Describe {
    cloud: String,
    change_number: u64,
    file: String,
}

impl Describe {
    fn new(job: &Job<'_>) -> Describe {
        Describe {
            cloud: job.provenance.cloud.clone(),
            change_number: job.provenance.change_number,
            file: job.provenance.file.clone(),
        }
    }

    /// The description of every entry of `list`.
    fn entry(&self, list: &Object) -> String {
        let text = format!(
            "{}: {} ({} #{}, tagwall)",
            list.rule,
            list.tags.join(" "),
            self.cloud,
            self.change_number
        );
        safe_text(&text, MAX_DESCRIPTION)
    }

    fn tags(&self, list: &Object) -> Value {
        json!([
            {"Key": "generator", "Value": "tagwall"},
            {"Key": "tagwall-rule", "Value": tag_text(&list.rule)},
            {"Key": "tagwall-service-tags", "Value": tag_text(&list.tags.join(" "))},
            {"Key": "tagwall-source", "Value": tag_text(&self.file)},
            {"Key": "tagwall-change-number", "Value": self.change_number.to_string()},
        ])
    }
}

fn family_name(list: &Object) -> &'static str {
    if list.family == "ipv6" {
        "IPv6"
    } else {
        "IPv4"
    }
}

fn list_view(list: &Object, describe: &Describe, files: Vec<String>) -> Value {
    json!({
        "name": list.name,
        "rule": list.rule,
        "family": family_name(list),
        "count": list.prefixes.len(),
        "max_entries": max_entries(list.prefixes.len()),
        "description": describe.entry(list),
        "files": files,
    })
}

/// The calls that create `list`: the create call with the first entries, then
/// modify calls adding the rest. Returns the files' paths.
fn create_calls(
    list: &Object,
    describe: &Describe,
    under: &str,
    calls: &mut Vec<Value>,
) -> Vec<String> {
    let mut files = Vec::new();
    for (n, part) in list.prefixes.chunks(MAX_ENTRIES_PER_CALL).enumerate() {
        let file = format!(
            "{:02}-{}.json",
            n + 1,
            if n == 0 { "create" } else { "add" }
        );
        let path = format!("{under}lists/{}/{file}", list.name);
        calls.push(json!({
            "file": file,
            "create": n == 0,
            "name": list.name,
            "family": family_name(list),
            "max_entries": max_entries(list.prefixes.len()),
            "description": describe.entry(list),
            "tags": describe.tags(list),
            "add": part,
            "remove": [],
        }));
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
    calls: &mut Vec<Value>,
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
        calls.push(json!({
            "file": file,
            "create": false,
            "name": list.name,
            "family": family_name(list),
            "max_entries": max_entries(list.prefixes.len()),
            "description": describe.entry(list),
            "tags": describe.tags(list),
            "add": part(added, i),
            "remove": part(removed, i),
        }));
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
