//! Sizes and durations as people write them, for messages. The command line
//! reads the same forms back (`--max-size 64M`, `--timeout 2m`), and the
//! messages are part of the contract, so the forms do not change.

use std::time::Duration;

/// `n` and a noun, the noun in the plural unless `n` is one: `1 file`,
/// `2 files` (`plural` for the few nouns that do not take an `s`).
///
/// ```
/// use tagwall::units::count;
/// assert_eq!(count(1, "file", "files"), "1 file");
/// assert_eq!(count(0, "prefix", "prefixes"), "0 prefixes");
/// ```
pub fn count(n: usize, one: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { plural })
}

/// A duration as people write it (`500ms`, `2s`, `1m30s`).
///
/// ```
/// use std::time::Duration;
/// use tagwall::units::human_duration;
/// assert_eq!(human_duration(Duration::from_millis(500)), "500ms");
/// assert_eq!(human_duration(Duration::from_secs(90)), "1m30s");
/// assert_eq!(human_duration(Duration::from_secs(120)), "2m");
/// ```
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 || !ms.is_multiple_of(1000) {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    match (s / 60, s % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m{s}s"),
    }
}

/// A size as people write it (`64 MiB`, `20 KiB`, `100 bytes`).
///
/// ```
/// use tagwall::units::human_size;
/// assert_eq!(human_size(64 << 20), "64 MiB");
/// assert_eq!(human_size(20 << 10), "20 KiB");
/// assert_eq!(human_size(1500), "1500 bytes");
/// ```
pub fn human_size(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}
