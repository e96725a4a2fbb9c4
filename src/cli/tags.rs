//! `tagwall tags`: the tags of a release, one a line, with their counts.

use super::args::TagsArgs;
use super::stdout_write;
use crate::error::{Result, exit};
use crate::pipeline;
use crate::render::helpers::Quote;

/// List the tags (those matching the pattern, when one is given); exit 2
/// when a pattern matches none.
pub fn execute(args: TagsArgs) -> Result<i32> {
    let pattern = args.pattern.as_deref();
    let loaded = pipeline::load_input(args.input.as_deref())?;
    let file = loaded.parse()?;
    // A glob as everywhere; a plain pattern is a substring, in any case.
    let matcher = pattern.map(|p| {
        let lower = p.to_ascii_lowercase();
        let glob = crate::select::glob(p);
        move |name: &str| {
            if lower.contains(['*', '?']) {
                glob(name)
            } else {
                name.to_ascii_lowercase().contains(&lower)
            }
        }
    });
    let rows: Vec<_> = file
        .tags
        .iter()
        .filter(|t| matcher.as_ref().is_none_or(|m| m(&t.name)))
        .collect();
    let width = rows
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let rwidth = rows
        .iter()
        .map(|t| t.region.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut text = format!(
        "{:<width$}  {:<rwidth$}  {:>6}  {:>6}  {:>6}\n",
        "NAME", "REGION", "IPV4", "IPV6", "CHANGE"
    );
    for t in &rows {
        let (v4, v6) = t.family_counts();
        let name = Quote::Comment.apply(&t.name);
        text.push_str(&format!(
            "{name:<width$}  {:<rwidth$}  {v4:>6}  {v6:>6}  {:>6}\n",
            t.region, t.change_number
        ));
    }
    stdout_write(text.as_bytes())?;
    Ok(if rows.is_empty() && pattern.is_some() {
        eprintln!("tagwall: no tag matches {:?}", pattern.unwrap_or_default());
        exit::ERROR
    } else {
        exit::SUCCESS
    })
}
