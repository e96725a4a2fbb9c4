//! Where a Service Tags file comes from: a local `.json` / `.json.gz` file, or
//! the releases bundled into the binary (so the main job runs offline with no
//! arguments). The network lives in `fetch`, not here.

use crate::error::{Error, Result};
use crate::model::ServiceTags;
use flate2::read::GzDecoder;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// Where the rendered input came from (carried into comments and the manifest).
#[derive(Clone, Debug, Serialize)]
pub struct Provenance {
    /// File name as Microsoft published it (no directory).
    pub file: String,
    /// Cloud of the file.
    pub cloud: String,
    /// The file's top-level change number.
    pub change_number: u64,
    /// Hex SHA-256 of the file's JSON bytes.
    pub sha256: String,
}

/// Largest Service Tags file accepted, after decompression. Real files are
/// about 4 MB; the cap stops a gzip bomb or a runaway body from eating memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// A release bundled into the binary.
pub struct Bundled {
    /// Microsoft's file name.
    pub name: &'static str,
    /// The gzip-compressed bytes.
    gz: &'static [u8],
}

/// Releases bundled from `data/`, newest first.
pub const BUNDLED: &[Bundled] = &[
    Bundled {
        name: "ServiceTags_Public_20250908.json",
        gz: include_bytes!("../data/ServiceTags_Public_20250908.json.gz"),
    },
    Bundled {
        name: "ServiceTags_Public_20250901.json",
        gz: include_bytes!("../data/ServiceTags_Public_20250901.json.gz"),
    },
];

/// A file's bytes, with the name it is known by and its digest.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Name used in messages and the manifest (the path as given, or `bundled:NAME`).
    pub name: String,
    /// The JSON bytes (decompressed).
    pub bytes: Vec<u8>,
    /// The digest, computed once when first asked for.
    digest: std::sync::OnceLock<String>,
}

impl Loaded {
    /// Provenance of this release, once parsed as `file`.
    pub fn provenance(&self, file: &ServiceTags) -> Provenance {
        Provenance {
            file: self.published_name(),
            cloud: file.cloud.to_string(),
            change_number: file.change_number,
            sha256: self.sha256(),
        }
    }

    /// The file name the release was published under: no folder, no
    /// `bundled:`, no `.gz` (a gzip file holds the release under its
    /// published name).
    pub fn published_name(&self) -> String {
        let name = self.name.strip_prefix("bundled:").unwrap_or(&self.name);
        let name = name.strip_suffix(".gz").unwrap_or(name);
        Path::new(name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_string())
    }

    /// Bytes known by `name`.
    pub fn new(name: String, bytes: Vec<u8>) -> Loaded {
        Loaded {
            name,
            bytes,
            digest: std::sync::OnceLock::new(),
        }
    }

    /// Hex SHA-256 of the JSON bytes, as Microsoft published them.
    pub fn sha256(&self) -> String {
        self.digest.get_or_init(|| sha256_hex(&self.bytes)).clone()
    }

    /// Free the bytes once they are parsed (the model owns everything it
    /// needs); the digest is kept, computed first if it was not yet.
    pub fn release(&mut self) {
        self.sha256();
        self.bytes = Vec::new();
    }

    /// Parse and validate the bytes. The digest, which every output's
    /// provenance carries, is computed on another thread meanwhile.
    pub fn parse(&self) -> Result<ServiceTags> {
        let (parsed, _) = rayon::join(
            || ServiceTags::parse(&self.bytes, &self.name),
            || self.sha256(),
        );
        parsed
    }
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Read a bundled release (`0` is the newest).
pub fn bundled(index: usize) -> Result<Loaded> {
    let b = BUNDLED
        .get(index)
        .ok_or_else(|| Error::Usage(format!("there is no bundled release number {index}")))?;
    let name = format!("bundled:{}", b.name);
    let bytes = gunzip(b.gz, &name)?;
    Ok(Loaded::new(name, bytes))
}

/// Read a `.json` or `.json.gz` file (gzip is recognised by its magic bytes).
pub fn read_file(path: &Path) -> Result<Loaded> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
    // Room for the whole file at once (the cap hides the size from read_to_end).
    let size = file.metadata().map_or(0, |m| m.len().min(MAX_INPUT_BYTES));
    let mut raw = Vec::with_capacity(size as usize + 1);
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| Error::io("cannot read", path, e))?;
    if raw.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(&name));
    }
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        gunzip(&raw, &name)?
    } else {
        raw
    };
    Ok(Loaded::new(name, bytes))
}

/// Decompress gzip, refusing output over [`MAX_INPUT_BYTES`].
pub fn gunzip(gz: &[u8], name: &str) -> Result<Vec<u8>> {
    // gzip ends with the decompressed size (modulo 2^32): room for it at once.
    let size = gz.last_chunk::<4>().map_or(0, |n| {
        u64::from(u32::from_le_bytes(*n)).min(MAX_INPUT_BYTES)
    });
    let mut out = Vec::with_capacity(size as usize + 1);
    GzDecoder::new(gz)
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Json {
            file: name.to_string(),
            message: format!("broken gzip data: {e}"),
        })?;
    if out.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_large(name));
    }
    Ok(out)
}

fn too_large(name: &str) -> Error {
    Error::Json {
        file: name.to_string(),
        message: format!(
            "larger than {} MiB; real Service Tags files are about 4 MB",
            MAX_INPUT_BYTES / (1024 * 1024)
        ),
    }
}

/// Parse a plain list of prefixes: one a line, `#` starts a comment, blank
/// lines skipped. A bare address counts as a host prefix (`/32`, `/128`).
/// Host bits set or any other malformed entry is an error naming the line.
///
/// ```
/// let nets = tagwall::source::parse_prefix_list("10.0.0.0/24  # office\n\n2001:db8::1\n", "list").unwrap();
/// assert_eq!(nets.len(), 2);
/// assert_eq!(nets[1].to_string(), "2001:db8::1/128");
/// ```
pub fn parse_prefix_list(text: &str, name: &str) -> Result<Vec<ipnet::IpNet>> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        let parsed = if entry.contains('/') {
            crate::prefix::parse_prefix(entry)
        } else {
            entry
                .parse::<std::net::IpAddr>()
                .map(ipnet::IpNet::from)
                .map_err(|_| "not an IP address or CIDR prefix".to_string())
        };
        out.push(parsed.map_err(|reason| Error::BadListEntry {
            file: name.to_string(),
            line: index + 1,
            value: entry.to_string(),
            reason,
        })?);
    }
    Ok(out)
}

/// Parse a plain prefix list straight into an [`AddressSet`], with the same
/// rules and messages as [`parse_prefix_list`]. IPv4 lines take a byte-level
/// fast path; this is what `tagwall aggregate` runs on lists of millions.
pub fn parse_prefix_set(text: &str, name: &str) -> Result<crate::aggregate::AddressSet> {
    prefix_set(text, name, None)
}

/// An entry written with host bits set, read as its network by
/// [`parse_prefix_set_lenient`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Masked {
    /// Its line, from 1.
    pub line: usize,
    /// As written.
    pub written: String,
    /// As read.
    pub read: ipnet::IpNet,
}

/// [`parse_prefix_set`], except that a prefix with host bits set is read as
/// its network (`10.0.0.1/24` as `10.0.0.0/24`) instead of refused; the
/// entries so read are returned beside the set, for the caller to report.
pub fn parse_prefix_set_lenient(
    text: &str,
    name: &str,
) -> Result<(crate::aggregate::AddressSet, Vec<Masked>)> {
    let mut masked = Vec::new();
    let set = prefix_set(text, name, Some(&mut masked))?;
    Ok((set, masked))
}

fn prefix_set(
    text: &str,
    name: &str,
    mut masked: Option<&mut Vec<Masked>>,
) -> Result<crate::aggregate::AddressSet> {
    let mut v4 = Vec::with_capacity(text.len() / 16);
    let mut v6 = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let entry = match line.find('#') {
            Some(i) => &line[..i],
            None => line,
        }
        .trim();
        if entry.is_empty() {
            continue;
        }
        if let Some(range) = crate::prefix::fast_v4(entry.as_bytes()) {
            v4.push(range);
            continue;
        }
        match parse_prefix_list(entry, name) {
            Ok(nets) => {
                for net in nets {
                    match net {
                        ipnet::IpNet::V4(n) => v4.push(crate::aggregate::v4_range(&n)),
                        ipnet::IpNet::V6(n) => v6.push(crate::aggregate::v6_range(&n)),
                    }
                }
            }
            Err(Error::BadListEntry { value, reason, .. }) => {
                if let Some(masked) = masked.as_deref_mut()
                    && let Ok(net) = entry.parse::<ipnet::IpNet>()
                    && net.trunc() != net
                {
                    let read = net.trunc();
                    match read {
                        ipnet::IpNet::V4(n) => v4.push(crate::aggregate::v4_range(&n)),
                        ipnet::IpNet::V6(n) => v6.push(crate::aggregate::v6_range(&n)),
                    }
                    masked.push(Masked {
                        line: index + 1,
                        written: entry.to_string(),
                        read,
                    });
                    continue;
                }
                return Err(Error::BadListEntry {
                    file: name.to_string(),
                    line: index + 1,
                    value,
                    reason,
                });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(crate::aggregate::AddressSet {
        v4: crate::aggregate::IntervalSet::from_ranges(v4),
        v6: crate::aggregate::IntervalSet::from_ranges(v6),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_releases_parse_and_are_ordered() {
        let new = bundled(0).unwrap().parse().unwrap();
        let old = bundled(1).unwrap().parse().unwrap();
        assert!(new.change_number > old.change_number);
        assert_eq!(new.change_number, 370);
        assert!(bundled(2).is_err());
    }

    #[test]
    fn fast_path_agrees_with_the_full_parser() {
        for line in [
            "10.0.0.0/24",
            "0.0.0.0/0",
            "255.255.255.255",
            "255.255.255.254/31",
            "1.2.3.4/32",
            "10.0.0.1/24",
            "010.0.0.0/8",
            "10.0.0.0/033",
            "10.0.0.0/",
            "1.2.3",
            "1.2.3.4.5",
            "256.0.0.0/8",
            "1.2.3.4/8x",
            "1.2.3.4 ",
            "::/0",
        ] {
            let slow = parse_prefix_list(line, "t").ok().map(|n| match n[0] {
                ipnet::IpNet::V4(n) => Some(crate::aggregate::v4_range(&n)),
                ipnet::IpNet::V6(_) => None,
            });
            let fast = crate::prefix::fast_v4(line.trim().as_bytes());
            if let Some(f) = fast {
                assert_eq!(slow, Some(Some(f)), "{line}");
            } else {
                assert!(
                    matches!(slow, None | Some(None)),
                    "{line}: the fast path refused a valid IPv4 line"
                );
            }
        }
        let set = parse_prefix_set("10.0.1.0/24\n10.0.0.0/24 # x\n2001:db8::/32\n", "t").unwrap();
        assert_eq!(set.prefixes().len(), 2);
        let err = parse_prefix_set("10.0.0.0/24\n\n10.0.0.1/24\n", "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t:3: \"10.0.0.1/24\": has host bits set"),
            "{err}"
        );
    }

    #[test]
    fn gzip_bomb_is_refused() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..(MAX_INPUT_BYTES >> 20) + 1 {
            enc.write_all(&zeros).unwrap();
        }
        let gz = enc.finish().unwrap();
        let err = gunzip(&gz, "bomb.json.gz").unwrap_err().to_string();
        assert!(
            err.contains("bomb.json.gz") && err.contains("larger than"),
            "{err}"
        );
    }
}
