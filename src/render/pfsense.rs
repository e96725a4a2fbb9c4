//! pfSense and OPNsense: network aliases and URL-table files.
//!
//! pf keeps every alias as a table; all tables together must fit in the
//! "Firewall Maximum Table Entries" setting, and a filter reload briefly holds
//! the old and the new tables at once. So the whole output must fit in half of
//! the default (400,000), or the reload fails and the firewall keeps its old
//! rules. That is checked here, before anything is written.

use super::{Job, Target, generic_context};
use crate::error::{Error, Result};
use serde_json::Value;

/// Longest alias name (pfSense: fewer than 32 characters).
pub const MAX_NAME: usize = 31;
/// Table entries the output may use: half the default "Firewall Maximum Table Entries".
pub const TABLE_ENTRIES_BUDGET: usize = 200_000;

/// The context for the `pfsense` templates: the generic one, once the table
/// entries of every alias fit in the budget.
pub fn context(job: &Job<'_>, target: &Target) -> Result<Value> {
    let ctx = generic_context(job, target)?;
    // An alias per rule and family, one table entry per minimal prefix.
    let entries: usize = job
        .selection
        .rules
        .iter()
        .map(|r| r.set.prefixes().len())
        .sum();
    if entries > TABLE_ENTRIES_BUDGET {
        return Err(Error::Limit {
            target: target.name.to_string(),
            message: format!(
                "the aliases hold {entries} table entries; pf must hold them twice during a \
                 reload, so they must fit in {TABLE_ENTRIES_BUDGET} (half the default Firewall \
                 Maximum Table Entries of 400,000); select fewer tags"
            ),
        });
    }
    Ok(ctx)
}
