//! `tagwall show`: the aggregated union of some tags, one CIDR a line.

use super::args::{FamilyArg, ShowArgs};
use super::{note, stdout_write};
use crate::error::{Error, Result, exit};
use crate::pipeline;
use crate::policy::{FamilyFilter, Policy, Rule};

/// Print the union of the tags as a one-rule policy would select it.
pub fn execute(args: ShowArgs, quiet: bool) -> Result<i32> {
    let loaded = pipeline::load_input(args.input.as_deref())?;
    let file = loaded.parse()?;
    let mut rule: Rule = Policy::builtin().rules[0].clone();
    rule.name = "show".into();
    rule.description = None;
    rule.tags = args.tags;
    rule.family = match args.family {
        None => FamilyFilter::Both,
        Some(FamilyArg::Ipv4) => FamilyFilter::Ipv4,
        Some(FamilyArg::Ipv6) => FamilyFilter::Ipv6,
    };
    let policy = Policy {
        options: Default::default(),
        rules: vec![rule],
        targets: Default::default(),
        run: Default::default(),
    };
    // A lookup shows what there is: a tag of one family is no error.
    let selection = match crate::select::select_with(
        &file,
        policy,
        "command line",
        crate::select::Families::Any,
    ) {
        Ok(s) => s,
        Err(Error::EmptyRule { family, .. }) => {
            note(quiet, &format!("the tags hold no {family} prefix"));
            return Ok(exit::SUCCESS);
        }
        // There is no rule here, only the tags asked for.
        Err(Error::UnknownTag {
            file,
            pattern,
            suggestion,
            ..
        }) => {
            return Err(Error::Usage(format!(
                "{file}: no tag matches {pattern:?}{suggestion}"
            )));
        }
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    for net in selection.rules[0].set.prefixes() {
        text.push_str(&net.to_string());
        text.push('\n');
    }
    stdout_write(text.as_bytes())?;
    Ok(exit::SUCCESS)
}
