//! The state folder: every release fetched, kept byte-for-byte under its
//! published name, an index of where and when each came from, and which one
//! is current.
//!
//! ```text
//! state/
//!   index.json                              what is kept, and which release is current
//!   releases/ServiceTags_Public_20250804.json
//!   releases/ServiceTags_Public_20250811.json
//!   .lock                                   held while a fetch runs
//! ```
//!
//! Rules the rest of tagwall relies on:
//! - a kept release is never overwritten or changed; a new one is written to a
//!   temporary file, flushed, and linked in under its name only if that name
//!   is free;
//! - `index.json` is replaced atomically (temporary file, flush, rename), and
//!   it alone says which release is current: a release file that the index
//!   does not name is never used;
//! - one writer at a time: [`State::lock`] holds an exclusive `flock` on
//!   `.lock` for as long as the [`State`] lives; readers ([`State::open`])
//!   need no lock because nothing they read is changed in place;
//! - anything refused or failed leaves the folder as it was (the lock file
//!   aside).

use crate::error::{Error, Result};
use crate::model::{Cloud, ServiceTags};
use crate::release::Succession;
use crate::source::{Loaded, sha256_hex};
use crate::write::{sync_dir, write_synced};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The index file at the top of a state folder.
pub const INDEX: &str = "index.json";
/// The folder of kept releases, inside a state folder.
pub const RELEASES: &str = "releases";
/// The lock file, inside a state folder.
pub const LOCK: &str = ".lock";
/// Version of the index format written by this build.
pub const FORMAT: u32 = 1;

/// One kept release, as the index records it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Release {
    /// File name under `releases/` (Microsoft's name, `ServiceTags_Public_20250811.json`).
    pub file: String,
    /// The file's `cloud` field.
    pub cloud: String,
    /// The file's top-level changeNumber.
    pub change_number: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// When it was fetched (RFC 3339, UTC).
    pub fetched_at: String,
    /// Where the bytes came from: the file URL, or a local path.
    pub source: String,
    /// The details page the file URL was found on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// The server's `ETag` for `source`, for the next conditional GET.
    #[serde(default)]
    pub etag: Option<String>,
    /// The server's `Last-Modified` for `source`, for the next conditional GET.
    #[serde(default)]
    pub last_modified: Option<String>,
}

/// Where a release came from, as told to [`State::admit`].
#[derive(Clone, Debug)]
pub struct Origin {
    /// The file URL, or a local path.
    pub source: String,
    /// The details page the URL was found on.
    pub page: Option<String>,
    /// The server's `ETag`.
    pub etag: Option<String>,
    /// The server's `Last-Modified`.
    pub last_modified: Option<String>,
    /// When the bytes were received.
    pub fetched_at: SystemTime,
}

/// What [`State::admit`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A new release was written and is now current.
    Added,
    /// The release was already kept (same name, same bytes) and is now
    /// current again; only the index changed.
    Reinstated,
    /// The release is the current one already: nothing was written.
    AlreadyCurrent,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Index {
    format: u32,
    /// The cloud every kept release is of; a state folder holds one cloud.
    cloud: Option<String>,
    /// File name of the current release.
    current: Option<String>,
    /// File name of the release that was current before it.
    previous: Option<String>,
    /// Every kept release, by changeNumber then name.
    releases: Vec<Release>,
}

/// An open state folder.
#[derive(Debug)]
pub struct State {
    dir: PathBuf,
    index: Index,
    /// The locked `.lock` file; `None` for a read-only view.
    lock: Option<File>,
}

impl State {
    /// Open a state folder to read it. A folder with no index yet is an
    /// empty state (no current release); a damaged index is an error.
    pub fn open(dir: &Path) -> Result<State> {
        Ok(State {
            dir: dir.to_path_buf(),
            index: read_index(dir)?,
            lock: None,
        })
    }

    /// Open a state folder to change it, creating the folder if needed, and
    /// take its lock; fails at once if another process holds it. The lock is
    /// released when the [`State`] is dropped.
    pub fn lock(dir: &Path) -> Result<State> {
        fs::create_dir_all(dir).map_err(|e| Error::io("cannot create state folder", dir, e))?;
        let path = dir.join(LOCK);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("cannot open lock file", &path, e))?;
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                return Err(Error::Locked { path, waited: None });
            }
            Err(e) => return Err(Error::io("cannot lock", &path, e.into())),
        }
        Ok(State {
            dir: dir.to_path_buf(),
            index: read_index(dir)?,
            lock: Some(file),
        })
    }

    /// Like [`State::lock`], but waits up to `timeout` for another process
    /// to release the lock before giving up.
    pub fn lock_wait(dir: &Path, timeout: std::time::Duration) -> Result<State> {
        let start = std::time::Instant::now();
        loop {
            match State::lock(dir) {
                Err(Error::Locked { .. }) if start.elapsed() < timeout => {
                    crate::interrupt::check()?;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(Error::Locked { path, .. }) => {
                    return Err(Error::Locked {
                        path,
                        waited: Some(timeout),
                    });
                }
                other => return other,
            }
        }
    }

    /// Read a JSON record kept beside the index (`None` when there is none).
    pub fn record<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<Option<T>> {
        let path = self.dir.join(name);
        match fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("cannot read", &path, e)),
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| Error::State {
                    path,
                    message: format!("damaged record: {e}"),
                }),
        }
    }

    /// Replace a JSON record kept beside the index, atomically; needs the lock.
    pub fn write_record<T: Serialize>(&self, name: &str, value: &T) -> Result<()> {
        if self.lock.is_none() {
            return Err(Error::State {
                path: self.dir.clone(),
                message: "opened read-only; lock the state folder to change it".into(),
            });
        }
        write_json(&self.dir, name, value)
    }

    /// The state folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cloud the kept releases are of; `None` while nothing is kept.
    pub fn cloud(&self) -> Option<Cloud> {
        self.index.cloud.as_deref().and_then(Cloud::from_field)
    }

    /// Every kept release, by changeNumber then name.
    pub fn releases(&self) -> &[Release] {
        &self.index.releases
    }

    /// The current release: the newest good one, unless `--allow-older`
    /// made an older one current.
    pub fn current(&self) -> Option<&Release> {
        self.find(self.index.current.as_deref()?)
    }

    /// The release that was current before the current one: what deployed
    /// configuration was built from, so what delta files must start from.
    pub fn previous(&self) -> Option<&Release> {
        self.find(self.index.previous.as_deref()?)
    }

    /// A kept release by file name.
    pub fn find(&self, file: &str) -> Option<&Release> {
        self.index.releases.iter().find(|r| r.file == file)
    }

    /// Where a kept release's bytes are.
    pub fn path(&self, release: &Release) -> PathBuf {
        self.dir.join(RELEASES).join(&release.file)
    }

    /// Read a kept release, checking its bytes against the index.
    pub fn load(&self, release: &Release) -> Result<Loaded> {
        let path = self.path(release);
        let bytes = fs::read(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        let sha = sha256_hex(&bytes);
        if sha != release.sha256 {
            return Err(Error::State {
                path,
                message: format!(
                    "the file changed after it was fetched (sha256 {sha}, the index says {}); \
                     a kept release must not be edited",
                    release.sha256
                ),
            });
        }
        Ok(Loaded::new(path.display().to_string(), bytes))
    }

    /// Keep a validated release and make it current.
    ///
    /// `name` is the file name to keep it under, `bytes` exactly what was
    /// received and `file` those bytes parsed. Refused (exit 3): a
    /// changeNumber lower than the current release's, or equal to it with
    /// other bytes, unless `allow_older`; a name already kept with other
    /// bytes. On any error the folder is left as it was.
    pub fn admit(
        &mut self,
        name: &str,
        bytes: &[u8],
        file: &ServiceTags,
        origin: &Origin,
        allow_older: bool,
    ) -> Result<(Admission, Release)> {
        if self.lock.is_none() {
            return Err(Error::State {
                path: self.dir.clone(),
                message: "opened read-only; lock the state folder to change it".into(),
            });
        }
        check_file_name(name).map_err(|why| Error::State {
            path: self.dir.clone(),
            message: format!("cannot keep a release as {name:?}: {why}"),
        })?;
        if let Some(cloud) = self.cloud()
            && cloud != file.cloud
        {
            return Err(Error::Usage(format!(
                "{}: this state folder holds releases of the {cloud} cloud, not {}; \
                 use a separate --state folder for each cloud",
                self.dir.display(),
                file.cloud
            )));
        }
        let sha = sha256_hex(bytes);
        let refuse = |message: String| Error::Refused {
            what: origin.source.clone(),
            message,
        };
        if let Some(current) = self.current() {
            if current.sha256 == sha && self.path(current).is_file() {
                return Ok((Admission::AlreadyCurrent, current.clone()));
            }
            match Succession::of(current.change_number, file.change_number) {
                _ if allow_older => {}
                Succession::Older => {
                    return Err(refuse(format!(
                        "changeNumber {} is lower than that of the current release {} \
                         (changeNumber {}); an older release is refused (pass --allow-older \
                         to accept it)",
                        file.change_number, current.file, current.change_number
                    )));
                }
                // The same changeNumber with other bytes is no newer release:
                // refused like an older one.
                Succession::Same if current.sha256 != sha => {
                    return Err(refuse(format!(
                        "changeNumber {} is that of the current release {}, but the bytes \
                         differ (sha256 {sha}, kept {}); refused (pass --allow-older to accept \
                         it)",
                        file.change_number, current.file, current.sha256
                    )));
                }
                Succession::Same | Succession::Newer => {}
            }
        }

        let releases_dir = self.dir.join(RELEASES);
        let target = releases_dir.join(name);
        let (admission, release, written) = match self.find(name) {
            Some(kept) if kept.sha256 != sha => {
                return Err(refuse(format!(
                    "{} is already kept with other bytes (sha256 {}, new {sha}); a kept \
                     release is never overwritten",
                    target.display(),
                    kept.sha256
                )));
            }
            Some(kept) => {
                // Same bytes as a kept release; put its file back if it was deleted.
                let written = keep_bytes(&releases_dir, &target, bytes, &sha)?;
                (Admission::Reinstated, kept.clone(), written)
            }
            None => {
                let release = Release {
                    file: name.to_string(),
                    cloud: file.cloud.to_string(),
                    change_number: file.change_number,
                    sha256: sha.clone(),
                    bytes: bytes.len() as u64,
                    fetched_at: rfc3339(origin.fetched_at),
                    source: origin.source.clone(),
                    page: origin.page.clone(),
                    etag: origin.etag.clone(),
                    last_modified: origin.last_modified.clone(),
                };
                let written = keep_bytes(&releases_dir, &target, bytes, &sha)?;
                (Admission::Added, release, written)
            }
        };

        let mut index = self.index.clone();
        index.format = FORMAT;
        index.cloud = Some(file.cloud.to_string());
        if admission == Admission::Added {
            index.releases.push(release.clone());
            index
                .releases
                .sort_by(|a, b| (a.change_number, &a.file).cmp(&(b.change_number, &b.file)));
        }
        if index.current.as_deref() != Some(release.file.as_str()) {
            index.previous = index.current.take();
            index.current = Some(release.file.clone());
        }
        if let Err(e) = write_index(&self.dir, &index) {
            if written {
                // Never admitted: take it back so the folder is as it was.
                let _ = fs::remove_file(&target);
            }
            return Err(e);
        }
        self.index = index;
        Ok((admission, release))
    }
}

/// Write `bytes` as `target` unless it exists. Returns whether it wrote.
/// An existing file with the same bytes is used as it is (a file left by a
/// crash between writing it and the index, or a kept release); one with
/// other bytes is never overwritten.
fn keep_bytes(dir: &Path, target: &Path, bytes: &[u8], sha: &str) -> Result<bool> {
    if target.exists() {
        let old = fs::read(target).map_err(|e| Error::io("cannot read", target, e))?;
        let found = sha256_hex(&old);
        if found == sha {
            return Ok(false);
        }
        return Err(Error::Refused {
            what: target.display().to_string(),
            message: format!(
                "exists with other bytes (sha256 {found}, expected {sha}); refusing to \
                 overwrite it (move it away if it is not needed)"
            ),
        });
    }
    let created = !dir.exists();
    fs::create_dir_all(dir).map_err(|e| Error::io("cannot create folder", dir, e))?;
    let result = (|| {
        let tmp = tempfile::Builder::new()
            .prefix(".incoming-")
            .permissions(readable())
            .tempfile_in(dir)
            .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
        write_synced(tmp.path(), bytes)?;
        tmp.persist_noclobber(target)
            .map_err(|e| Error::io("cannot keep the release as", target, e.error))?;
        sync_dir(dir)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(target);
        if created {
            let _ = fs::remove_dir(dir);
        }
        return Err(e);
    }
    Ok(true)
}

fn read_index(dir: &Path) -> Result<Index> {
    let path = dir.join(INDEX);
    let text = match fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Index::default()),
        Err(e) => return Err(Error::io("cannot read", &path, e)),
    };
    let damaged = |message: String| Error::State {
        path: path.clone(),
        message,
    };
    let index: Index = serde_json::from_slice(&text)
        .map_err(|e| damaged(format!("not a tagwall state index: {e}")))?;
    if index.format != FORMAT {
        return Err(damaged(format!(
            "index format {} is not the one this tagwall reads ({FORMAT})",
            index.format
        )));
    }
    for r in &index.releases {
        check_file_name(&r.file).map_err(|why| damaged(format!("release {:?} {why}", r.file)))?;
    }
    for (what, name) in [("current", &index.current), ("previous", &index.previous)] {
        if let Some(name) = name
            && !index.releases.iter().any(|r| &r.file == name)
        {
            return Err(damaged(format!(
                "the {what} release {name:?} is not among the kept releases"
            )));
        }
    }
    Ok(index)
}

fn write_index(dir: &Path, index: &Index) -> Result<()> {
    write_json(dir, INDEX, index)
}

/// Replace `dir/name` with `value` as JSON, atomically and durably.
fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<()> {
    let path = dir.join(name);
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| Error::State {
        path: path.clone(),
        message: format!("cannot serialise {name}: {e}"),
    })?;
    text.push(b'\n');
    let tmp = tempfile::Builder::new()
        .prefix(".index-")
        .permissions(readable())
        .tempfile_in(dir)
        .map_err(|e| Error::io("cannot create a temporary file in", dir, e))?;
    write_synced(tmp.path(), &text)?;
    tmp.persist(&path)
        .map_err(|e| Error::io("cannot replace", &path, e.error))?;
    sync_dir(dir)
}

/// Kept files are data anyone may read, as a plain file would be: 0644
/// before the umask, where a temporary file would be 0600.
fn readable() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o644)
}

/// A release name must be a plain `.json` file name: no path, nothing hidden.
fn check_file_name(name: &str) -> Result<(), &'static str> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if name.is_empty() || name.len() > 128 || !ok_chars {
        return Err("is not a plain file name (letters, digits, `_`, `-`, `.`)");
    }
    if name.starts_with('.') || !name.to_ascii_lowercase().ends_with(".json") {
        return Err("must not start with `.` and must end with `.json`");
    }
    Ok(())
}

/// A time as RFC 3339 UTC, to the second (`2025-08-11T06:00:00Z`).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_secs(1_754_892_000);
/// assert_eq!(tagwall::state::rfc3339(t), "2025-08-11T06:00:00Z");
/// ```
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days to civil date (Howard Hinnant's algorithm), for dates after 1970.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn fixture(name: &str) -> Vec<u8> {
        fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures")
                .join(name),
        )
        .unwrap()
    }

    fn origin(source: &str) -> Origin {
        Origin {
            source: source.into(),
            page: None,
            etag: Some("\"e1\"".into()),
            last_modified: None,
            fetched_at: UNIX_EPOCH + Duration::from_secs(1_754_892_000),
        }
    }

    fn admit(state: &mut State, name: &str, fixture_name: &str, older: bool) -> Result<Admission> {
        let bytes = fixture(fixture_name);
        let file = ServiceTags::parse(&bytes, name).unwrap();
        state
            .admit(name, &bytes, &file, &origin(name), older)
            .map(|(a, _)| a)
    }

    #[test]
    fn admits_newer_keeps_older_and_tracks_previous() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::lock(dir.path()).unwrap();
        assert!(state.current().is_none());
        let a = "ServiceTags_Public_20250804.json";
        let b = "ServiceTags_Public_20250811.json";
        assert_eq!(
            admit(&mut state, a, "public_20250804.json", false).unwrap(),
            Admission::Added
        );
        assert_eq!(
            admit(&mut state, b, "public_20250811.json", false).unwrap(),
            Admission::Added
        );
        assert_eq!(state.current().unwrap().file, b);
        assert_eq!(state.previous().unwrap().file, a);
        assert_eq!(
            admit(&mut state, b, "public_20250811.json", false).unwrap(),
            Admission::AlreadyCurrent
        );
        drop(state);

        let state = State::open(dir.path()).unwrap();
        let current = state.current().unwrap();
        assert_eq!(current.change_number, 366);
        assert_eq!(current.fetched_at, "2025-08-11T06:00:00Z");
        assert_eq!(current.etag.as_deref(), Some("\"e1\""));
        assert_eq!(
            state.load(current).unwrap().bytes,
            fixture("public_20250811.json")
        );
        assert_eq!(state.cloud(), Some(Cloud::Public));
    }

    #[test]
    fn older_is_refused_unless_allowed_then_reinstated() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::lock(dir.path()).unwrap();
        let a = "ServiceTags_Public_20250804.json";
        let b = "ServiceTags_Public_20250811.json";
        admit(&mut state, b, "public_20250811.json", false).unwrap();
        let before = fs::read(dir.path().join(INDEX)).unwrap();
        let err = admit(&mut state, a, "public_20250804.json", false).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::REFUSED);
        assert!(
            err.to_string().contains("changeNumber 365 is lower"),
            "{err}"
        );
        assert_eq!(fs::read(dir.path().join(INDEX)).unwrap(), before);
        assert!(!dir.path().join(RELEASES).join(a).exists());

        assert_eq!(
            admit(&mut state, a, "public_20250804.json", true).unwrap(),
            Admission::Added
        );
        assert_eq!(state.current().unwrap().file, a);
        // The newer one, already kept, becomes current again without a write.
        assert_eq!(
            admit(&mut state, b, "public_20250811.json", false).unwrap(),
            Admission::Reinstated
        );
        assert_eq!(state.current().unwrap().file, b);
        assert_eq!(state.previous().unwrap().file, a);
    }

    #[test]
    fn a_deleted_release_file_is_put_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::lock(dir.path()).unwrap();
        let a = "ServiceTags_Public_20250804.json";
        let b = "ServiceTags_Public_20250811.json";
        admit(&mut state, a, "public_20250804.json", false).unwrap();
        admit(&mut state, b, "public_20250811.json", false).unwrap();
        fs::remove_file(dir.path().join(RELEASES).join(b)).unwrap();
        assert_eq!(
            admit(&mut state, b, "public_20250811.json", false).unwrap(),
            Admission::Reinstated
        );
        assert_eq!(
            fs::read(dir.path().join(RELEASES).join(b)).unwrap(),
            fixture("public_20250811.json")
        );
        assert_eq!(state.current().unwrap().file, b);
        assert_eq!(state.previous().unwrap().file, a);
    }

    #[test]
    fn a_kept_name_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::lock(dir.path()).unwrap();
        let name = "ServiceTags_Public_20250811.json";
        admit(&mut state, name, "public_20250804.json", false).unwrap();
        let err = admit(&mut state, name, "public_20250811.json", false).unwrap_err();
        assert!(err.to_string().contains("never overwritten"), "{err}");
        assert_eq!(
            fs::read(dir.path().join(RELEASES).join(name)).unwrap(),
            fixture("public_20250804.json")
        );
    }

    #[test]
    fn one_cloud_per_folder_and_safe_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::lock(dir.path()).unwrap();
        admit(
            &mut state,
            "ServiceTags_Public_20250811.json",
            "public_20250811.json",
            false,
        )
        .unwrap();
        let err = admit(
            &mut state,
            "ServiceTags_AzureGovernment_20250818.json",
            "gov_20250818.json",
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("separate --state"), "{err}");
        let err = admit(&mut state, "../evil.json", "public_20250811.json", true).unwrap_err();
        assert!(err.to_string().contains("plain file name"), "{err}");
    }

    #[test]
    fn the_lock_is_exclusive_and_readers_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let held = State::lock(dir.path()).unwrap();
        let err = State::lock(dir.path()).unwrap_err();
        assert!(err.to_string().contains("lock is held"), "{err}");
        drop(held);
        State::lock(dir.path()).unwrap();
        let mut reader = State::open(dir.path()).unwrap();
        let bytes = fixture("public_20250811.json");
        let file = ServiceTags::parse(&bytes, "x").unwrap();
        let err = reader
            .admit("x.json", &bytes, &file, &origin("x"), false)
            .unwrap_err();
        assert!(err.to_string().contains("read-only"), "{err}");
    }

    #[test]
    fn a_damaged_index_or_edited_release_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::lock(dir.path()).unwrap();
        let name = "ServiceTags_Public_20250811.json";
        admit(&mut state, name, "public_20250811.json", false).unwrap();
        let path = state.path(state.current().unwrap());
        fs::write(&path, b"{}").unwrap();
        let err = state.load(state.current().unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("changed after it was fetched"),
            "{err}"
        );
        fs::write(dir.path().join(INDEX), b"<html>").unwrap();
        let err = State::open(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("not a tagwall state index"),
            "{err}"
        );
    }
}
