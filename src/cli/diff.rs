//! `tagwall diff`: what changed between two releases, in one of four formats.

use super::args::{ColorArg, DiffArgs, FormatArg};
use super::stdout_write;
use crate::diff::Scope;
use crate::error::{Error, Result, exit};
use crate::pipeline;
use crate::render::report;
use std::io::{self, IsTerminal};

/// Compare, print the report; exit 1 when addresses changed.
pub fn execute(args: DiffArgs) -> Result<i32> {
    let (old_loaded, new_loaded) = match (&args.state, &args.old, &args.new) {
        (Some(dir), None, None) => {
            let (current, previous) = pipeline::load_state(dir)?;
            let previous = previous.ok_or_else(|| Error::State {
                path: dir.clone(),
                message: "only one release is kept here, so there is nothing to compare it with"
                    .into(),
            })?;
            (previous, current)
        }
        (None, Some(old), Some(new)) => (
            crate::source::read_file(old)?,
            crate::source::read_file(new)?,
        ),
        _ => {
            return Err(Error::Usage("give OLD and NEW, or --state DIR".to_string()));
        }
    };
    let (old, new) = (old_loaded.parse()?, new_loaded.parse()?);
    if old.cloud != new.cloud {
        return Err(Error::Usage(format!(
            "{} is of the {} cloud and {} of the {} cloud; compare releases of one cloud",
            old.source, old.cloud, new.source, new.cloud
        )));
    }
    let scope = if args.all {
        Scope::All
    } else if !args.tags.is_empty() {
        Scope::Tags(args.tags)
    } else {
        Scope::Policy(Box::new(
            pipeline::load_policy(args.policy.as_deref())?.policy,
        ))
    };
    let d = crate::diff::diff(
        &old,
        old_loaded.provenance(&old),
        &new,
        new_loaded.provenance(&new),
        &scope,
    )?;
    let text = match args.format {
        FormatArg::Text => {
            let color = match args.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => {
                    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            report::text(&d, color)
        }
        FormatArg::Markdown => report::markdown(&d)?,
        FormatArg::Json => report::json(&d)?,
        FormatArg::Html => {
            // With a state folder, the chart follows the kept releases.
            let history = match &args.state {
                Some(dir) => {
                    let names: Vec<&str> = d.tags.iter().map(|t| t.name.as_str()).collect();
                    pipeline::history(dir, &names)?
                }
                None => Vec::new(),
            };
            report::html(&d, &history)?
        }
    };
    stdout_write(text.as_bytes())?;
    Ok(if d.has_changes() {
        exit::CHANGED
    } else {
        exit::SUCCESS
    })
}
