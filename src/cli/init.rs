//! `tagwall init`: the default policy, with its comments, as a file.

use super::args::InitArgs;
use super::note;
use crate::error::{Error, Result, exit};
use std::path::Path;

/// Write the default policy, atomically; an existing file only with `--force`.
pub fn execute(args: InitArgs, quiet: bool) -> Result<i32> {
    let path = args.path.as_path();
    if path.exists() && !args.force {
        return Err(Error::Usage(format!(
            "{} exists; pass --force to replace it",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("cannot write in", dir, e))?;
    crate::write::write_synced(tmp.path(), crate::policy::DEFAULT_POLICY_TOML.as_bytes())?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot write", path, e.error))?;
    note(
        quiet,
        &format!("wrote the default policy to {}", path.display()),
    );
    Ok(exit::SUCCESS)
}
