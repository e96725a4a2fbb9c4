//! Exact address-set algebra: aggregation, union, difference, intersection.
//!
//! A set of addresses of one family is kept as sorted, disjoint, non-adjacent
//! inclusive integer intervals (sort and sweep, as `ipnet` and firehol's
//! `iprange` do). Turning a set back into prefixes yields the unique minimal
//! CIDR cover: no two output prefixes overlap or could merge into one.
//! IPv4 and IPv6 never mix: [`AddressSet`] holds one [`IntervalSet`] per family.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::fmt::Debug;
use std::net::{Ipv4Addr, Ipv6Addr};

/// An unsigned integer that holds one address of a family.
pub trait AddrInt: Copy + Ord + Debug + Send + Sync + 'static {
    /// Width of the address in bits.
    const BITS: u32;
    /// The highest address.
    const MAX: Self;
    /// The lowest address.
    const ZERO: Self;
    /// `self + 1`, or `None` at the top of the space.
    fn succ(self) -> Option<Self>;
    /// `self - 1`, or `None` at the bottom of the space.
    fn pred(self) -> Option<Self>;
    /// Number of trailing zero bits (`BITS` for zero).
    fn trailing_zeros(self) -> u32;
    /// Number of leading zero bits (`BITS` for zero).
    fn leading_zeros(self) -> u32;
    /// `self - other` (callers guarantee `self >= other`).
    fn minus(self, other: Self) -> Self;
    /// `self | ((1 << bits) - 1)`: the last address of an aligned block.
    fn fill_low(self, bits: u32) -> Self;
    /// Widen to u128 (for counting).
    fn to_u128(self) -> u128;
}

macro_rules! addr_int {
    ($t:ty) => {
        impl AddrInt for $t {
            const BITS: u32 = <$t>::BITS;
            const MAX: Self = <$t>::MAX;
            const ZERO: Self = 0;
            fn succ(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn pred(self) -> Option<Self> {
                self.checked_sub(1)
            }
            fn trailing_zeros(self) -> u32 {
                <$t>::trailing_zeros(self)
            }
            fn leading_zeros(self) -> u32 {
                <$t>::leading_zeros(self)
            }
            fn minus(self, other: Self) -> Self {
                self - other
            }
            fn fill_low(self, bits: u32) -> Self {
                if bits >= Self::BITS {
                    Self::MAX
                } else {
                    self | ((1 << bits) - 1)
                }
            }
            fn to_u128(self) -> u128 {
                self as u128
            }
        }
    };
}
addr_int!(u32);
addr_int!(u128);

/// A set of addresses of one family as normalised inclusive intervals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IntervalSet<A: AddrInt> {
    ranges: Vec<(A, A)>,
}

impl<A: AddrInt> IntervalSet<A> {
    /// The empty set.
    pub fn new() -> Self {
        Self { ranges: Vec::new() }
    }

    /// Build a set from any inclusive intervals (overlapping, unsorted, adjacent).
    pub fn from_ranges(mut ranges: Vec<(A, A)>) -> Self {
        ranges.sort_unstable();
        Self::from_sorted(ranges)
    }

    /// Merge intervals already sorted by start; overlapping and adjacent ones fuse.
    fn from_sorted(ranges: Vec<(A, A)>) -> Self {
        let mut out: Vec<(A, A)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            debug_assert!(start <= end);
            if let Some(last) = out.last_mut() {
                // Fuse when the new interval starts at or before last.end + 1.
                let touches = match last.1.succ() {
                    Some(next) => start <= next,
                    None => true,
                };
                if touches {
                    if end > last.1 {
                        last.1 = end;
                    }
                    continue;
                }
            }
            out.push((start, end));
        }
        Self { ranges: out }
    }

    /// The normalised intervals, sorted, disjoint and non-adjacent.
    pub fn ranges(&self) -> &[(A, A)] {
        &self.ranges
    }

    /// True when the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Number of addresses, saturating at `u128::MAX` (only `::/0` saturates).
    pub fn address_count(&self) -> u128 {
        self.ranges.iter().fold(0u128, |acc, &(s, e)| {
            acc.saturating_add(e.minus(s).to_u128().saturating_add(1))
        })
    }

    /// The addresses in `self` or `other`.
    pub fn union(&self, other: &Self) -> Self {
        let mut all = Vec::with_capacity(self.ranges.len() + other.ranges.len());
        // Merge two sorted lists, then sweep.
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() || j < other.ranges.len() {
            let take_self = match (self.ranges.get(i), other.ranges.get(j)) {
                (Some(a), Some(b)) => a <= b,
                (Some(_), None) => true,
                _ => false,
            };
            if take_self {
                all.push(self.ranges[i]);
                i += 1;
            } else {
                all.push(other.ranges[j]);
                j += 1;
            }
        }
        Self::from_sorted(all)
    }

    /// The addresses in `self` but not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let mut j = 0;
        for &(start, end) in &self.ranges {
            let mut cur = start;
            let mut alive = true;
            // Skip subtrahend intervals entirely below this one.
            while j < other.ranges.len() && other.ranges[j].1 < cur {
                j += 1;
            }
            let mut k = j;
            while alive && k < other.ranges.len() && other.ranges[k].0 <= end {
                let (os, oe) = other.ranges[k];
                if os > cur {
                    // os > cur >= 0, so pred exists.
                    if let Some(p) = os.pred() {
                        out.push((cur, p));
                    }
                }
                match oe.succ() {
                    Some(n) if oe < end => cur = n,
                    _ => alive = false,
                }
                k += 1;
            }
            if alive {
                out.push((cur, end));
            }
        }
        Self { ranges: out }
    }

    /// The addresses in both `self` and `other`.
    pub fn intersection(&self, other: &Self) -> Self {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a0, a1) = self.ranges[i];
            let (b0, b1) = other.ranges[j];
            let lo = a0.max(b0);
            let hi = a1.min(b1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self { ranges: out }
    }

    /// True when every address of `other` is in `self`.
    pub fn contains_set(&self, other: &Self) -> bool {
        other.difference(self).is_empty()
    }

    /// The minimal CIDR cover, as `(first address, prefix length)` pairs in order.
    pub fn prefixes(&self) -> Vec<(A, u8)> {
        let mut out = Vec::with_capacity(self.ranges.len());
        for &(start, end) in &self.ranges {
            range_to_prefixes(start, end, &mut out);
        }
        out
    }
}

/// Decompose `[start, end]` into the fewest aligned blocks.
fn range_to_prefixes<A: AddrInt>(start: A, end: A, out: &mut Vec<(A, u8)>) {
    let mut cur = start;
    loop {
        // Largest block allowed by alignment of `cur` ...
        let align = cur.trailing_zeros();
        // ... and by the room left up to `end` (span + 1 addresses).
        let span = end.minus(cur);
        let room = match span.succ() {
            Some(count) => A::BITS - 1 - count.leading_zeros(),
            None => A::BITS,
        };
        let bits = align.min(room);
        out.push((cur, (A::BITS - bits) as u8));
        let last = cur.fill_low(bits);
        match last.succ() {
            Some(next) if last < end => cur = next,
            _ => break,
        }
    }
}

/// A set of IPv4 and IPv6 addresses, kept apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AddressSet {
    /// IPv4 addresses.
    pub v4: IntervalSet<u32>,
    /// IPv6 addresses.
    pub v6: IntervalSet<u128>,
}

impl AddressSet {
    /// Build a set from prefixes of either family.
    pub fn from_prefixes<'a>(nets: impl IntoIterator<Item = &'a IpNet>) -> Self {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in nets {
            match net {
                IpNet::V4(n) => v4.push(v4_range(n)),
                IpNet::V6(n) => v6.push(v6_range(n)),
            }
        }
        Self {
            v4: IntervalSet::from_ranges(v4),
            v6: IntervalSet::from_ranges(v6),
        }
    }

    /// True when neither family holds an address.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Union, per family.
    pub fn union(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.union(&other.v4),
            v6: self.v6.union(&other.v6),
        }
    }

    /// Difference, per family.
    pub fn difference(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.difference(&other.v4),
            v6: self.v6.difference(&other.v6),
        }
    }

    /// Intersection, per family.
    pub fn intersection(&self, other: &Self) -> Self {
        Self {
            v4: self.v4.intersection(&other.v4),
            v6: self.v6.intersection(&other.v6),
        }
    }

    /// The minimal IPv4 prefixes, in numeric order.
    pub fn v4_prefixes(&self) -> Vec<Ipv4Net> {
        self.v4
            .prefixes()
            .into_iter()
            .map(|(a, len)| net4(a, len))
            .collect()
    }

    /// The minimal IPv6 prefixes, in numeric order.
    pub fn v6_prefixes(&self) -> Vec<Ipv6Net> {
        self.v6
            .prefixes()
            .into_iter()
            .map(|(a, len)| net6(a, len))
            .collect()
    }

    /// The minimal IPv4 prefixes as CIDR strings, in numeric order (written
    /// directly: a large policy formats tens of thousands of them).
    pub fn v4_strings(&self) -> Vec<String> {
        cidr_strings(self.v4.prefixes(), crate::prefix::push_v4_prefix)
    }

    /// The minimal IPv6 prefixes as CIDR strings, in numeric order.
    pub fn v6_strings(&self) -> Vec<String> {
        cidr_strings(self.v6.prefixes(), crate::prefix::push_v6_prefix)
    }

    /// All minimal prefixes: IPv4 first, each family in numeric order.
    pub fn prefixes(&self) -> Vec<IpNet> {
        let mut out: Vec<IpNet> = self.v4_prefixes().into_iter().map(IpNet::V4).collect();
        out.extend(self.v6_prefixes().into_iter().map(IpNet::V6));
        out
    }
}

/// Aggregate a list of prefixes into the minimal cover, IPv4 first.
///
/// ```
/// use ipnet::IpNet;
/// let input: Vec<IpNet> = ["10.0.1.0/24", "10.0.0.0/24", "2001:db8::/33", "2001:db8:8000::/33"]
///     .iter().map(|s| s.parse().unwrap()).collect();
/// let out: Vec<String> = tagwall::aggregate::aggregate(&input).iter().map(|n| n.to_string()).collect();
/// assert_eq!(out, ["10.0.0.0/23", "2001:db8::/32"]);
/// ```
pub fn aggregate(nets: &[IpNet]) -> Vec<IpNet> {
    AddressSet::from_prefixes(nets).prefixes()
}

/// Prefixes as CIDR strings, each written by `push`, each allocated at its
/// own length (an export of every tag holds a few hundred thousand).
fn cidr_strings<A>(prefixes: Vec<(A, u8)>, push: fn(&mut String, A, u8)) -> Vec<String> {
    let mut scratch = String::with_capacity(43);
    prefixes
        .into_iter()
        .map(|(addr, len)| {
            scratch.clear();
            push(&mut scratch, addr, len);
            scratch.as_str().to_owned()
        })
        .collect()
}

/// The inclusive address range of an IPv4 prefix.
pub fn v4_range(n: &Ipv4Net) -> (u32, u32) {
    (u32::from(n.network()), u32::from(n.broadcast()))
}

/// The inclusive address range of an IPv6 prefix.
pub fn v6_range(n: &Ipv6Net) -> (u128, u128) {
    (u128::from(n.network()), u128::from(n.broadcast()))
}

fn net4(addr: u32, len: u8) -> Ipv4Net {
    // `len` comes from range_to_prefixes and is always <= 32.
    Ipv4Net::new_assert(Ipv4Addr::from(addr), len)
}

fn net6(addr: u128, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::from(addr), len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn agg(list: &[&str]) -> Vec<String> {
        aggregate(&nets(list))
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    #[test]
    fn edges_of_the_address_spaces() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["255.255.255.254/31"], &["255.255.255.254/31"]),
            (
                &["255.255.255.254/32", "255.255.255.255/32"],
                &["255.255.255.254/31"],
            ),
            (&["128.0.0.0/1"], &["128.0.0.0/1"]),
            (&["0.0.0.0/1", "128.0.0.0/1"], &["0.0.0.0/0"]),
            (&["0.0.0.0/32", "0.0.0.1/32"], &["0.0.0.0/31"]),
            (&["0.0.0.0/0", "10.0.0.0/8"], &["0.0.0.0/0"]),
            (&["::/0"], &["::/0"]),
            (&["::/1", "8000::/1"], &["::/0"]),
            (
                &["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"],
                &["ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"],
            ),
            (&["::/128", "::1/128"], &["::/127"]),
            (&["::1/128", "::2/128"], &["::1/128", "::2/128"]),
            (
                &["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
                &["10.0.0.0/23", "10.0.2.0/24"],
            ),
            (&["10.0.1.0/24", "10.0.0.0/16"], &["10.0.0.0/16"]),
        ];
        for (input, want) in cases {
            assert_eq!(agg(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn range_decomposition_is_minimal() {
        // 10.0.0.1 - 10.0.0.6 needs /32 /31 /31 /32.
        let set = IntervalSet::<u32>::from_ranges(vec![(0x0a00_0001, 0x0a00_0006)]);
        let got: Vec<u8> = set.prefixes().iter().map(|p| p.1).collect();
        assert_eq!(got, [32, 31, 31, 32]);
        let all = IntervalSet::<u32>::from_ranges(vec![(0, u32::MAX)]);
        assert_eq!(all.prefixes(), [(0, 0)]);
        let top = IntervalSet::<u128>::from_ranges(vec![(1, u128::MAX)]);
        assert_eq!(top.prefixes().len(), 128);
    }

    #[test]
    fn difference_at_the_top_and_bottom() {
        let all = IntervalSet::<u32>::from_ranges(vec![(0, u32::MAX)]);
        let hole = IntervalSet::from_ranges(vec![(0, 0), (u32::MAX, u32::MAX)]);
        assert_eq!(all.difference(&hole).ranges(), [(1, u32::MAX - 1)]);
        assert!(all.difference(&all).is_empty());
        assert_eq!(hole.difference(&all).ranges(), []);
        let mid = IntervalSet::<u32>::from_ranges(vec![(10, 20), (30, 40)]);
        let cut = IntervalSet::<u32>::from_ranges(vec![(5, 12), (15, 15), (18, 32), (40, 50)]);
        assert_eq!(
            mid.difference(&cut).ranges(),
            [(13, 14), (16, 17), (33, 39)]
        );
        assert_eq!(
            mid.intersection(&cut).ranges(),
            [(10, 12), (15, 15), (18, 20), (30, 32), (40, 40)]
        );
    }

    #[test]
    fn address_counts() {
        let s = AddressSet::from_prefixes(&nets(&["10.0.0.0/24", "10.0.0.0/25", "::/0"]));
        assert_eq!(s.v4.address_count(), 256);
        assert_eq!(s.v6.address_count(), u128::MAX);
    }
}
