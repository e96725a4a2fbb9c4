//! `tagwall targets`: every target with its files and limits.

use super::stdout_write;
use crate::error::{Result, exit};
use crate::render::{Each, TARGETS};

/// Print the targets table.
pub fn execute() -> Result<i32> {
    let mut text = String::new();
    for t in TARGETS {
        text.push_str(&format!("{}\n  {}\n", t.name, t.summary));
        let files: Vec<String> = t
            .files
            .iter()
            .map(|f| match f.each {
                Each::OnceWhen(when) => format!("{} ({})", f.path, when.describe()),
                _ => f.path.to_string(),
            })
            .collect();
        text.push_str(&format!("  files: {}\n", files.join(", ")));
        text.push_str(&format!(
            "  names: at most {} characters\n",
            t.names.max_len
        ));
        for l in t.profile {
            text.push_str(&format!("  limit: {} {}\n", l.what, l.value));
        }
    }
    stdout_write(text.as_bytes())?;
    Ok(exit::SUCCESS)
}
