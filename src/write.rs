//! Writing outputs: the whole output folder changes at once, or not at all.
//!
//! Files are written into a fresh folder beside the output folder, flushed to
//! disk, and then swapped in with one `renameat2(RENAME_EXCHANGE)` (a plain
//! rename when there is nothing to replace). A failure at any point leaves
//! the old folder exactly as it was. A non-empty folder without a tagwall
//! manifest is never replaced: `--out ~` must not wipe a home directory.

use crate::error::{Error, Result};
use crate::source::sha256_hex;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Name of the manifest at the top of an output folder.
pub const MANIFEST: &str = "manifest.json";

/// One written file, as the manifest records it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FileEntry {
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: usize,
}

/// Write `files` (paths relative to `out`) plus a manifest built from
/// `manifest` and the files' digests, replacing `out` as a whole.
pub fn commit<M: Serialize>(
    out: &Path,
    files: &BTreeMap<PathBuf, Vec<u8>>,
    manifest: &M,
) -> Result<()> {
    commit_keeping(out, files, manifest, false)
}

/// The folder where [`commit_keeping`] keeps the output it replaced.
pub fn previous_folder(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "out".into());
    name.push(".previous");
    out.with_file_name(name)
}

/// [`commit`], and with `keep_previous` the replaced output is kept whole in
/// [`previous_folder`] (replacing the one kept before) instead of deleted.
pub fn commit_keeping<M: Serialize>(
    out: &Path,
    files: &BTreeMap<PathBuf, Vec<u8>>,
    manifest: &M,
    keep_previous: bool,
) -> Result<()> {
    check_replaceable(out)?;
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| Error::io("cannot create folder", &parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".tagwall-staging-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io("cannot create a staging folder in", &parent, e))?;
    let dirs: std::collections::BTreeSet<&Path> = files.keys().filter_map(|r| r.parent()).collect();
    for dir in dirs {
        let dir = staging.path().join(dir);
        fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create folder", &dir, e))?;
    }
    // Files are written, and hashed for the manifest, in parallel.
    let entries = files
        .par_iter()
        .map(|(rel, bytes)| {
            let path = staging.path().join(rel);
            let (sha256, written) = rayon::join(|| sha256_hex(bytes), || fs::write(&path, bytes));
            written.map_err(|e| Error::io("cannot write", &path, e))?;
            let entry = FileEntry {
                sha256,
                bytes: bytes.len(),
            };
            Ok((rel.to_string_lossy().replace('\\', "/"), entry))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;
    let mut doc = serde_json::to_value(manifest).map_err(|e| Error::Output {
        path: out.to_path_buf(),
        message: format!("cannot build the manifest: {e}"),
    })?;
    doc["files"] = serde_json::to_value(&entries).unwrap_or_default();
    let mut text = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    text.push(b'\n');
    let manifest_path = staging.path().join(MANIFEST);
    fs::write(&manifest_path, &text).map_err(|e| Error::io("cannot write", &manifest_path, e))?;
    // One syncfs flushes every staged file and folder before the swap; an
    // fsync per file would cost seconds on an --all-tags build.
    let dir =
        File::open(staging.path()).map_err(|e| Error::io("cannot open", staging.path(), e))?;
    rustix::fs::syncfs(&dir).map_err(|e| Error::io("cannot flush", staging.path(), e.into()))?;

    // The last moment to stop: after this the new output is in place.
    crate::interrupt::check()?;
    if out.exists() {
        rustix::fs::renameat_with(
            rustix::fs::CWD,
            staging.path(),
            rustix::fs::CWD,
            out,
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .map_err(|e| Error::io("cannot swap in the new output folder", out, e.into()))?;
        // `staging` now holds the previous output; dropping it removes it.
        if keep_previous {
            let kept = previous_folder(out);
            if kept.exists() {
                fs::remove_dir_all(&kept).map_err(|e| Error::io("cannot remove", &kept, e))?;
            }
            let old = staging.keep();
            fs::rename(&old, &kept)
                .map_err(|e| Error::io("cannot keep the previous output as", &kept, e))?;
        }
    } else {
        let staged = staging.keep();
        fs::rename(&staged, out).map_err(|e| {
            let _ = fs::remove_dir_all(&staged);
            Error::io("cannot move the new output folder to", out, e)
        })?;
    }
    sync_dir(&parent)
}

/// Refuse to replace anything that is not a tagwall output folder.
fn check_replaceable(out: &Path) -> Result<()> {
    let refuse = |message: &str| Error::Output {
        path: out.to_path_buf(),
        message: message.to_string(),
    };
    match fs::symlink_metadata(out) {
        Err(_) => Ok(()),
        Ok(m) if m.file_type().is_symlink() => {
            Err(refuse("is a symbolic link; give the real output folder"))
        }
        Ok(m) if !m.is_dir() => Err(refuse("exists and is not a folder")),
        Ok(_) => {
            let mut entries =
                fs::read_dir(out).map_err(|e| Error::io("cannot read folder", out, e))?;
            if entries.next().is_none() {
                return Ok(());
            }
            let manifest = out.join(MANIFEST);
            let ours = fs::read(&manifest)
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|v| v["tool"] == "tagwall");
            if ours {
                Ok(())
            } else {
                Err(refuse(
                    "is not empty and holds no tagwall manifest.json; refusing to replace it \
                     (give an empty or new folder)",
                ))
            }
        }
    }
}

/// Write a file and flush it to disk.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).map_err(|e| Error::io("cannot create", path, e))?;
    f.write_all(bytes)
        .map_err(|e| Error::io("cannot write", path, e))?;
    f.sync_all().map_err(|e| Error::io("cannot flush", path, e))
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("cannot flush folder", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<PathBuf, Vec<u8>> {
        pairs
            .iter()
            .map(|(p, c)| (PathBuf::from(p), c.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn replaces_the_folder_as_a_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let m = json!({"tool": "tagwall"});
        commit(&out, &files(&[("a/x.txt", "1"), ("b.txt", "2")]), &m).unwrap();
        assert_eq!(fs::read_to_string(out.join("a/x.txt")).unwrap(), "1");
        commit(&out, &files(&[("c.txt", "3")]), &m).unwrap();
        assert!(!out.join("a").exists() && !out.join("b.txt").exists());
        assert_eq!(fs::read_to_string(out.join("c.txt")).unwrap(), "3");
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(manifest["files"]["c.txt"]["bytes"], 1);
        assert_eq!(manifest["files"]["c.txt"]["sha256"], sha256_hex(b"3"));
        // No staging folder is left behind.
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn keeps_the_replaced_output_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let m = json!({"tool": "tagwall"});
        commit_keeping(&out, &files(&[("a.txt", "1")]), &m, true).unwrap();
        assert!(!previous_folder(&out).exists());
        commit_keeping(&out, &files(&[("a.txt", "2")]), &m, true).unwrap();
        commit_keeping(&out, &files(&[("a.txt", "3")]), &m, true).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "3");
        assert_eq!(
            fs::read_to_string(previous_folder(&out).join("a.txt")).unwrap(),
            "2"
        );
        assert_eq!(previous_folder(&out), dir.path().join("out.previous"));
    }

    #[test]
    fn never_replaces_a_foreign_folder() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("precious.txt"), "keep").unwrap();
        let err = commit(
            dir.path(),
            &files(&[("x", "1")]),
            &json!({"tool": "tagwall"}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("no tagwall manifest.json"),
            "{err}"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("precious.txt")).unwrap(),
            "keep"
        );
    }
}
