//! Splitting a prefix list that is over a platform's limit into numbered
//! objects that stay stable from release to release.
//!
//! Cutting every `max` items would shift every later object when one prefix is
//! added near the start. Instead a chunk ends after an item whose hash hits a
//! boundary pattern (content-defined chunking, as rsync and backup tools do),
//! or when the chunk is full. A new or removed prefix then changes only the
//! object it falls in, and boundaries elsewhere stay where they were.

use sha2::{Digest, Sha256};
use std::ops::Range;

/// Split `items` into ranges of at most `max` items with content-defined
/// boundaries. A list that fits is one range.
///
/// ```
/// let items: Vec<String> = (0..1000).map(|i| format!("10.{}.{}.0/24", i / 256, i % 256)).collect();
/// let chunks = tagwall::render::chunk::stable_chunks(&items, 100);
/// assert!(chunks.iter().all(|c| c.len() <= 100 && !c.is_empty()));
/// assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 1000);
/// ```
pub fn stable_chunks<T: AsRef<str>>(items: &[T], max: usize) -> Vec<Range<usize>> {
    let max = max.max(1);
    if items.len() <= max {
        return std::iter::once(0..items.len()).collect();
    }
    let min = (max / 4).max(1);
    // One item in `period` is a boundary: chunks average about min + period.
    let period = (max / 2).max(1) as u64;
    let mut out = Vec::new();
    let mut start = 0;
    for (i, item) in items.iter().enumerate() {
        let size = i + 1 - start;
        let natural = size >= min && hash(item.as_ref()).is_multiple_of(period);
        if natural || size == max {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < items.len() {
        out.push(start..items.len());
    }
    out
}

fn hash(s: &str) -> u64 {
    let d = Sha256::digest(s.as_bytes());
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize, skip: Option<usize>) -> Vec<String> {
        (0..n)
            .filter(|i| Some(*i) != skip)
            .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
            .collect()
    }

    fn groups(items: &[String], max: usize) -> Vec<Vec<String>> {
        stable_chunks(items, max)
            .into_iter()
            .map(|r| items[r].to_vec())
            .collect()
    }

    #[test]
    fn a_removed_prefix_disturbs_only_its_own_chunk() {
        let before = groups(&list(5000, None), 500);
        let after = groups(&list(5000, Some(2500)), 500);
        let unchanged = before.iter().filter(|c| after.contains(c)).count();
        assert!(
            unchanged + 2 >= before.len(),
            "{unchanged} of {} chunks kept",
            before.len()
        );
        assert!(before.iter().all(|c| c.len() <= 500));
    }

    #[test]
    fn fits_in_one() {
        assert_eq!(stable_chunks(&list(10, None), 10), vec![0..10]);
        assert_eq!(stable_chunks::<String>(&[], 10), vec![0..0]);
    }
}
