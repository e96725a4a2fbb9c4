//! Writing outputs: the whole output folder changes at once, or not at all.
//!
//! Files are written into a fresh folder beside the output folder (a build
//! streams each file there as it is rendered, see [`Staging`]), flushed to
//! disk, and then swapped in with one `renameat2(RENAME_EXCHANGE)` (a plain
//! rename when there is nothing to replace). A failure at any point leaves
//! the old folder exactly as it was. A non-empty folder without a tagwall
//! manifest is never replaced: `--out ~` must not wipe a home directory.

use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Rendered files, by path relative to the output folder (`<target>/<file>`).
pub type Files = BTreeMap<PathBuf, Vec<u8>>;

/// Writes a file's bytes.
pub type Fill<'a> = dyn FnMut(&mut dyn std::io::Write) -> Result<()> + 'a;

/// Where rendered files go: kept in memory ([`InMemory`]), or written to a
/// new output folder as they are rendered ([`crate::write::Staging`]), so
/// that an export of every tag never holds all its files at once.
pub trait Sink: Sync {
    /// Store the file at `path` (relative to the output folder), whose
    /// bytes `fill` writes. `Ok(false)`, and nothing stored, when `path` is
    /// taken.
    fn file(&self, path: &Path, fill: &mut Fill<'_>) -> Result<bool>;

    /// Store a file whose bytes are known; a path taken already is an error.
    fn bytes(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let stored = self.file(path, &mut |out| {
            out.write_all(bytes)
                .map_err(|e| Error::io("cannot write", path, e))
        })?;
        if stored {
            Ok(())
        } else {
            Err(Error::Output {
                path: path.to_path_buf(),
                message: "would be written twice".into(),
            })
        }
    }
}

/// Rendered files kept in memory.
#[derive(Default)]
pub struct InMemory(std::sync::Mutex<Files>);

impl InMemory {
    /// The files stored.
    pub fn into_files(self) -> Files {
        self.0.into_inner().expect("files")
    }
}

impl Sink for InMemory {
    fn file(&self, path: &Path, fill: &mut Fill<'_>) -> Result<bool> {
        // The long lists reach a template one item at a time, so the
        // context tells nothing of the file's size: the buffer grows.
        let mut text = Vec::new();
        fill(&mut text)?;
        text.shrink_to_fit();
        match self.0.lock().expect("files").entry(path.to_path_buf()) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(text);
                Ok(true)
            }
            std::collections::btree_map::Entry::Occupied(_) => Ok(false),
        }
    }
}

impl Sink for Staging {
    fn file(&self, path: &Path, fill: &mut Fill<'_>) -> Result<bool> {
        self.create(path, fill)
    }
}

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
    let staging = Staging::new(out)?;
    // Files are written, and hashed for the manifest, in parallel.
    files
        .par_iter()
        .try_for_each(|(rel, bytes)| staging.bytes(rel, bytes))?;
    staging.commit(manifest, keep_previous)
}

/// A new output folder being filled, beside the one it will replace.
///
/// Files go in as they are produced ([`Staging::create`] streams a file's
/// bytes to disk and hashes them on the way), from any thread. Nothing is
/// visible at `out` until [`Staging::commit`]; dropped without it, the
/// staging folder is removed, and so are the folders created to hold it.
pub struct Staging {
    out: PathBuf,
    parent: PathBuf,
    /// The first of the folders above `out` that did not exist, if any.
    created: Option<PathBuf>,
    dir: Option<tempfile::TempDir>,
    made: Mutex<BTreeSet<PathBuf>>,
    entries: Mutex<BTreeMap<String, FileEntry>>,
}

impl Staging {
    /// Start a new output for `out`, which must be a tagwall output folder,
    /// an empty one, or not exist yet.
    pub fn new(out: &Path) -> Result<Staging> {
        check_replaceable(out)?;
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let created = parent
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .last()
            .map(Path::to_path_buf);
        fs::create_dir_all(&parent).map_err(|e| Error::io("cannot create folder", &parent, e))?;
        let mut staging = Staging {
            out: out.to_path_buf(),
            parent,
            created,
            dir: None,
            made: Mutex::new(BTreeSet::new()),
            entries: Mutex::new(BTreeMap::new()),
        };
        let dir = tempfile::Builder::new()
            .prefix(".tagwall-staging-")
            .tempdir_in(&staging.parent)
            .map_err(|e| Error::io("cannot create a staging folder in", &staging.parent, e))?;
        staging.dir = Some(dir);
        Ok(staging)
    }

    /// Number of files written so far.
    pub fn files(&self) -> usize {
        self.entries.lock().expect("entries").len()
    }

    fn root(&self) -> &Path {
        self.dir
            .as_ref()
            .expect("a staging folder until committed")
            .path()
    }

    /// Create the file `rel` and let `fill` write its bytes, straight to
    /// disk. `Ok(false)`, and nothing written, when `rel` was already taken.
    pub fn create(&self, rel: &Path, fill: &mut Fill<'_>) -> Result<bool> {
        let path = self.root().join(rel);
        self.folder_for(rel)?;
        // Creating the file claims its path: no other thread can take it.
        let file = match File::create_new(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(Error::io("cannot create", &path, e)),
        };
        let mut writer = Hashing {
            inner: std::io::BufWriter::with_capacity(1 << 16, EarlyWriteback::new(file)),
            hash: Sha256::new(),
            bytes: 0,
        };
        fill(&mut writer)?;
        writer
            .inner
            .flush()
            .map_err(|e| Error::io("cannot write", &path, e))?;
        self.record(rel, hex::encode(writer.hash.finalize()), writer.bytes);
        Ok(true)
    }

    fn folder_for(&self, rel: &Path) -> Result<()> {
        let Some(folder) = rel.parent().filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(());
        };
        let mut made = self.made.lock().expect("folders");
        if !made.contains(folder) {
            let dir = self.root().join(folder);
            fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create folder", &dir, e))?;
            made.insert(folder.to_path_buf());
        }
        Ok(())
    }

    fn record(&self, rel: &Path, sha256: String, bytes: usize) {
        self.entries
            .lock()
            .expect("entries")
            .insert(manifest_key(rel), FileEntry { sha256, bytes });
    }

    /// Add the manifest (built from `manifest` and every file's digest),
    /// flush everything to disk and swap the new folder in for `out`; with
    /// `keep_previous` the replaced output is kept in [`previous_folder`].
    pub fn commit<M: Serialize>(mut self, manifest: &M, keep_previous: bool) -> Result<()> {
        let out = self.out.clone();
        let entries = std::mem::take(&mut *self.entries.lock().expect("entries"));
        let mut doc = serde_json::to_value(manifest).map_err(|e| Error::Output {
            path: out.clone(),
            message: format!("cannot build the manifest: {e}"),
        })?;
        doc["files"] = serde_json::to_value(&entries).unwrap_or_default();
        let mut text = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        text.push(b'\n');
        let manifest_path = self.root().join(MANIFEST);
        fs::write(&manifest_path, &text)
            .map_err(|e| Error::io("cannot write", &manifest_path, e))?;
        // One syncfs flushes every staged file and folder before the swap; an
        // fsync per file would cost seconds on an --all-tags build.
        let dir = File::open(self.root()).map_err(|e| Error::io("cannot open", self.root(), e))?;
        rustix::fs::syncfs(&dir).map_err(|e| Error::io("cannot flush", self.root(), e.into()))?;

        // The last moment to stop: after this the new output is in place.
        crate::interrupt::check()?;
        let staging = self.dir.take().expect("a staging folder until committed");
        if out.exists() {
            rustix::fs::renameat_with(
                rustix::fs::CWD,
                staging.path(),
                rustix::fs::CWD,
                &out,
                rustix::fs::RenameFlags::EXCHANGE,
            )
            .map_err(|e| Error::io("cannot swap in the new output folder", &out, e.into()))?;
            // `staging` now holds the previous output; dropping it removes it.
            if keep_previous {
                let kept = previous_folder(&out);
                if kept.exists() {
                    fs::remove_dir_all(&kept).map_err(|e| Error::io("cannot remove", &kept, e))?;
                }
                let old = staging.keep();
                fs::rename(&old, &kept)
                    .map_err(|e| Error::io("cannot keep the previous output as", &kept, e))?;
            }
        } else {
            let staged = staging.keep();
            fs::rename(&staged, &out).map_err(|e| {
                let _ = fs::remove_dir_all(&staged);
                Error::io("cannot move the new output folder to", &out, e)
            })?;
        }
        self.created = None;
        sync_dir(&self.parent)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Not committed: the staging folder goes, then the folders made for
        // it, as long as nothing else was put in them.
        drop(self.dir.take());
        if let Some(top) = self.created.take() {
            for folder in self.parent.ancestors() {
                if fs::remove_dir(folder).is_err() || folder == top {
                    break;
                }
            }
        }
    }
}

/// A file's path as the manifest names it.
fn manifest_key(rel: &Path) -> String {
    rel.to_string_lossy().replace('\\', "/")
}

/// Writes through to a file, hashing and counting the bytes.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: usize,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A staged file that asks the kernel to start writing each megabyte to
/// disk as soon as it is written, so that the flush before the swap waits
/// for little: an all-tags nftables ruleset is 5 MB, and flushing it whole
/// at the end took a tenth of the build.
struct EarlyWriteback {
    file: File,
    written: u64,
    started: u64,
}

impl EarlyWriteback {
    const STEP: u64 = 1 << 20;

    fn new(file: File) -> EarlyWriteback {
        EarlyWriteback {
            file,
            written: 0,
            started: 0,
        }
    }
}

impl Write for EarlyWriteback {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= Self::STEP {
            use std::os::fd::AsRawFd;
            // SAFETY: the descriptor is this open file's; the call only
            // starts writeback of a range of it and touches no memory.
            // Failing to start it early is harmless: the flush before the
            // swap writes everything anyway.
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    self.started as libc::off64_t,
                    (self.written - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Put `input` in the manifest of the output folder `out`, in place of the
/// release it names, and nothing else: for a release that changed no
/// address, whose outputs are those in place. The manifest is replaced
/// whole (written beside it, flushed, renamed over it).
pub fn update_manifest_input<I: Serialize>(out: &Path, input: &I) -> Result<()> {
    let path = out.join(MANIFEST);
    let bytes = fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
    let bad = |message: String| Error::Output {
        path: path.clone(),
        message,
    };
    let mut doc: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("is not a tagwall manifest: {e}")))?;
    if doc["tool"] != "tagwall" {
        return Err(bad("is not a tagwall manifest".into()));
    }
    doc["input"] =
        serde_json::to_value(input).map_err(|e| bad(format!("cannot build the manifest: {e}")))?;
    let mut text = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    text.push(b'\n');
    let mut staged = tempfile::NamedTempFile::new_in(out)
        .map_err(|e| Error::io("cannot create a file in", out, e))?;
    staged
        .write_all(&text)
        .and_then(|()| staged.as_file().sync_all())
        .map_err(|e| Error::io("cannot write", staged.path(), e))?;
    staged
        .persist(&path)
        .map_err(|e| Error::io("cannot replace", &path, e.error))?;
    sync_dir(out)
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

/// Flush a folder's entries to disk, so that a file created or renamed in
/// it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("cannot flush folder", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::sha256_hex;
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
    fn streams_files_and_refuses_a_path_taken_twice() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let staging = Staging::new(&out).unwrap();
        let mut fill =
            |w: &mut dyn Write| w.write_all(b"hello").map_err(|e| Error::io("w", "x", e));
        assert!(staging.create(Path::new("t/a.txt"), &mut fill).unwrap());
        assert!(!staging.create(Path::new("t/a.txt"), &mut fill).unwrap());
        staging.bytes(Path::new("b.txt"), b"2").unwrap();
        assert_eq!(staging.files(), 2);
        assert!(!out.exists(), "nothing is visible before the commit");
        staging.commit(&json!({"tool": "tagwall"}), false).unwrap();
        assert_eq!(fs::read_to_string(out.join("t/a.txt")).unwrap(), "hello");
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(MANIFEST)).unwrap()).unwrap();
        assert_eq!(manifest["files"]["t/a.txt"]["sha256"], sha256_hex(b"hello"));
        assert_eq!(manifest["files"]["t/a.txt"]["bytes"], 5);
    }

    #[test]
    fn an_uncommitted_staging_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let staging = Staging::new(&dir.path().join("a/b/out")).unwrap();
        staging.bytes(Path::new("x/y.txt"), b"1").unwrap();
        drop(staging);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        // A folder that existed before stays, and so does what another
        // process put in a folder made for the staging.
        let staging = Staging::new(&dir.path().join("a/b/out")).unwrap();
        fs::write(dir.path().join("a/other.txt"), "theirs").unwrap();
        drop(staging);
        assert!(dir.path().join("a/other.txt").exists());
        assert!(!dir.path().join("a/b").exists());
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
