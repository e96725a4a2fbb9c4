//! `tagwall build`: render the targets into an output folder.

use super::args::{BuildArgs, NsgModeArg};
use super::{note, warn};
use crate::error::{Result, exit};
use crate::pipeline::{self, BuildOptions};
use crate::policy::NsgMode;
use std::path::Path;

/// Build, then say what was written.
pub fn execute(args: BuildArgs, quiet: bool) -> Result<i32> {
    if args.policy.is_none() && !args.all_tags && Path::new("tagwall.toml").is_file() {
        note(
            quiet,
            "using the built-in policy; pass --policy tagwall.toml to use the file in this folder",
        );
    }
    let opts = BuildOptions {
        input: args.input,
        state: args.state,
        policy: args.policy,
        previous: args.previous,
        all_tags: args.all_tags,
        targets: args.targets,
        out: args.out,
        templates: args.templates,
        nsg_mode: args.nsg_mode.map(|m| match m {
            NsgModeArg::ServiceTag => NsgMode::ServiceTag,
            NsgModeArg::Prefixes => NsgMode::Prefixes,
        }),
    };
    let report = pipeline::build(&opts)?;
    for w in &report.warnings {
        warn(quiet, w);
    }
    let deltas = report
        .previous
        .as_ref()
        .map(|p| format!("; deltas against {p}"))
        .unwrap_or_default();
    note(
        quiet,
        &format!(
            "wrote {} for {} ({}) to {} from {} ({}, changeNumber {}){deltas}",
            crate::units::count(report.files, "file", "files"),
            crate::units::count(report.rules, "rule", "rules"),
            report.targets.join(", "),
            report.out.display(),
            report.input.file,
            report.input.cloud,
            report.input.change_number
        ),
    );
    Ok(exit::SUCCESS)
}
