//! Property tests for the address-set algebra.
//!
//! Prefixes are drawn inside a small universe (a /22 of IPv4 and a /118 of
//! IPv6, 1,024 addresses each) so that every result can be checked address by
//! address against a plain bitmap, and so that overlaps, nesting and adjacent
//! siblings are common. ipnet's own `aggregate` serves as an independent oracle
//! for minimality, and the `iprange` crate's prefix trie as a second one, for
//! aggregation and for union, difference and intersection; because it needs
//! no bitmap, it also checks prefixes drawn from the whole address space.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use iprange::IpRange;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};
use tagwall::aggregate::{AddressSet, IntervalSet, aggregate};

const V4_BASE: u32 = 0x0a00_0000; // 10.0.0.0/22
const V6_BASE: u128 = 0x2001_0db8 << 96; // 2001:db8::/118
const SPAN_BITS: u8 = 10;

fn v4_prefix() -> impl Strategy<Value = IpNet> {
    (0u32..1024, 22u8..=32).prop_map(|(off, len)| {
        let net = Ipv4Net::new(Ipv4Addr::from(V4_BASE + off), len)
            .unwrap()
            .trunc();
        IpNet::V4(net)
    })
}

fn v6_prefix() -> impl Strategy<Value = IpNet> {
    (0u128..1024, 118u8..=128).prop_map(|(off, len)| {
        let net = Ipv6Net::new(Ipv6Addr::from(V6_BASE + off), len)
            .unwrap()
            .trunc();
        IpNet::V6(net)
    })
}

fn prefixes() -> impl Strategy<Value = Vec<IpNet>> {
    prop::collection::vec(prop_oneof![3 => v4_prefix(), 1 => v6_prefix()], 0..60)
}

/// Prefixes from the whole address space of each family (any length, so
/// `/0`, the top and bottom addresses and large nested blocks come up),
/// mixed with the small universe's, where overlaps are common.
fn wide_prefixes() -> impl Strategy<Value = Vec<IpNet>> {
    let v4 = (any::<u32>(), 0u8..=32)
        .prop_map(|(a, len)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), len).unwrap().trunc()));
    let v6 = (any::<u128>(), 0u8..=128)
        .prop_map(|(a, len)| IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), len).unwrap().trunc()));
    prop::collection::vec(
        prop_oneof![2 => v4, 1 => v6, 3 => v4_prefix(), 1 => v6_prefix()],
        0..40,
    )
}

/// The `iprange` crate's sets of `nets`, one trie per family, simplified.
fn iprange_sets(nets: &[IpNet]) -> (IpRange<Ipv4Net>, IpRange<Ipv6Net>) {
    let (mut v4, mut v6) = (IpRange::new(), IpRange::new());
    for net in nets {
        match net {
            IpNet::V4(n) => {
                v4.add(*n);
            }
            IpNet::V6(n) => {
                v6.add(*n);
            }
        }
    }
    v4.simplify();
    v6.simplify();
    (v4, v6)
}

/// The prefixes of iprange's sets, IPv4 first, each family in address order
/// (the trie lists them breadth first). A simplified trie holds the one
/// minimal prefix cover of its addresses, so any correct aggregation must
/// list exactly these.
fn iprange_prefixes((v4, v6): &(IpRange<Ipv4Net>, IpRange<Ipv6Net>)) -> Vec<IpNet> {
    let mut v4: Vec<Ipv4Net> = v4.iter().collect();
    let mut v6: Vec<Ipv6Net> = v6.iter().collect();
    v4.sort_unstable();
    v6.sort_unstable();
    v4.into_iter()
        .map(IpNet::V4)
        .chain(v6.into_iter().map(IpNet::V6))
        .collect()
}

/// Simplify the result of one of iprange's set operations, per family.
fn simplified(
    mut v4: IpRange<Ipv4Net>,
    mut v6: IpRange<Ipv6Net>,
) -> (IpRange<Ipv4Net>, IpRange<Ipv6Net>) {
    v4.simplify();
    v6.simplify();
    (v4, v6)
}

/// The oracle itself tells a minimal list from one that is not: two
/// sibling halves come out as their supernet, nested and duplicate
/// prefixes as the outer one, and both families stay apart.
#[test]
fn iprange_oracle_lists_the_minimal_cover() {
    let nets: Vec<IpNet> = [
        "10.0.0.128/25",
        "10.0.0.0/25",
        "10.0.0.7/32",
        "10.0.2.0/24",
        "10.0.2.0/24",
        "2001:db8::/33",
        "2001:db8:8000::/33",
        "0.0.0.0/32",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let listed: Vec<String> = iprange_prefixes(&iprange_sets(&nets))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        listed,
        ["0.0.0.0/32", "10.0.0.0/24", "10.0.2.0/24", "2001:db8::/32"]
    );
    assert_eq!(aggregate(&nets), iprange_prefixes(&iprange_sets(&nets)));
}

/// IPv6 addresses whose groups are often zero (runs of every length and
/// place, ties between runs) and sometimes IPv4-mapped.
fn ipv6_with_zero_runs() -> impl Strategy<Value = u128> {
    let group = prop_oneof![3 => Just(0u16), 1 => Just(1u16), 2 => any::<u16>()];
    let groups = prop::array::uniform8(group)
        .prop_map(|g| g.iter().fold(0u128, |acc, &x| (acc << 16) | u128::from(x)));
    prop_oneof![
        8 => groups,
        1 => any::<u32>().prop_map(|v4| (0xffff_u128 << 32) | u128::from(v4)),
        1 => any::<u128>(),
    ]
}

/// Which of the universe's addresses a list covers: (IPv4 bitmap, IPv6 bitmap).
fn bitmap(nets: &[IpNet]) -> (Vec<bool>, Vec<bool>) {
    let mut v4 = vec![false; 1 << SPAN_BITS];
    let mut v6 = vec![false; 1 << SPAN_BITS];
    for n in nets {
        match n {
            IpNet::V4(n) => {
                let (s, e) = (
                    u32::from(n.network()) - V4_BASE,
                    u32::from(n.broadcast()) - V4_BASE,
                );
                (s..=e).for_each(|i| v4[i as usize] = true);
            }
            IpNet::V6(n) => {
                let (s, e) = (
                    u128::from(n.network()) - V6_BASE,
                    u128::from(n.broadcast()) - V6_BASE,
                );
                (s..=e).for_each(|i| v6[i as usize] = true);
            }
        }
    }
    (v4, v6)
}

fn combine(
    a: &(Vec<bool>, Vec<bool>),
    b: &(Vec<bool>, Vec<bool>),
    f: fn(bool, bool) -> bool,
) -> (Vec<bool>, Vec<bool>) {
    let zip = |x: &[bool], y: &[bool]| x.iter().zip(y).map(|(p, q)| f(*p, *q)).collect();
    (zip(&a.0, &b.0), zip(&a.1, &b.1))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn covers_exactly_the_input_addresses(input in prefixes()) {
        let out = aggregate(&input);
        prop_assert_eq!(bitmap(&out), bitmap(&input));
    }

    #[test]
    fn no_overlap_no_mergeable_neighbours_and_sorted(input in prefixes()) {
        let out = aggregate(&input);
        for w in out.windows(2) {
            let (a, b) = (w[0], w[1]);
            if std::mem::discriminant(&a) != std::mem::discriminant(&b) {
                prop_assert!(matches!(a, IpNet::V4(_)) && matches!(b, IpNet::V6(_)), "IPv4 first");
                continue;
            }
            prop_assert!(a.broadcast() < b.network(), "{} and {} overlap or are out of order", a, b);
            // Two siblings of one supernet would merge.
            if a.prefix_len() == b.prefix_len() && a.prefix_len() > 0 {
                prop_assert_ne!(a.supernet(), b.supernet(), "{} and {} should merge", a, b);
            }
        }
    }

    #[test]
    fn direct_formatting_matches_display(addrs in prop::collection::vec((any::<u32>(), 0u8..=32), 0..40)) {
        let nets: Vec<IpNet> = addrs
            .iter()
            .map(|&(a, len)| IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), len).unwrap().trunc()))
            .collect();
        let set = AddressSet::from_prefixes(&nets);
        let shown: Vec<String> = set.v4_prefixes().iter().map(ToString::to_string).collect();
        prop_assert_eq!(set.v4_strings(), shown);
    }

    #[test]
    fn direct_ipv6_formatting_matches_display(addr in ipv6_with_zero_runs(), len in 0u8..=128) {
        let mut ours = String::new();
        tagwall::prefix::push_v6_prefix(&mut ours, addr, len);
        prop_assert_eq!(&ours, &format!("{}/{len}", Ipv6Addr::from(addr)));
        // The fast canonical check accepts exactly what it writes, host bits aside.
        let net = Ipv6Net::new(Ipv6Addr::from(addr), len).unwrap();
        let parsed = tagwall::prefix::canonical_v6_prefix(ours.as_bytes());
        prop_assert_eq!(parsed, (net.trunc() == net).then_some(net));
        prop_assert_eq!(tagwall::prefix::canonical_v6_prefix(ours.to_uppercase().as_bytes()).is_some(),
            parsed.is_some() && ours == ours.to_uppercase());
    }

    #[test]
    fn canonical_ipv6_check_agrees_with_the_standard_library(
        addr in ipv6_with_zero_runs(),
        len in 0u8..=130,
        truncate in prop::bool::weighted(0.8),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(b":.0123456789abcdefABCDEF/".to_vec())), 0..3),
    ) {
        // A canonical prefix (mostly without host bits), then up to two
        // characters inserted, deleted or replaced: text that is almost, or
        // exactly, canonical.
        let addr = match len {
            0 if truncate => 0,
            1..=127 if truncate => addr & (u128::MAX << (128 - len)),
            _ => addr,
        };
        let mut text = format!("{}/{len}", Ipv6Addr::from(addr)).into_bytes();
        for (at, op, c) in edits {
            let i = at.index(text.len() + 1);
            match op {
                0 => text.insert(i, c),
                1 if i < text.len() => { text.remove(i); }
                _ if i < text.len() => text[i] = c,
                _ => {}
            }
        }
        let text = String::from_utf8(text).unwrap();
        let oracle = text.split_once('/').and_then(|(a, l)| {
            let net = Ipv6Net::new(a.parse().ok()?, l.parse().ok()?).ok()?;
            (net.trunc() == net && net.to_string() == text).then_some(net)
        });
        prop_assert_eq!(tagwall::prefix::canonical_v6_prefix(text.as_bytes()), oracle, "{}", text);
    }

    #[test]
    fn minimal_as_ipnet_finds_it(input in prefixes()) {
        let ours = aggregate(&input);
        prop_assert_eq!(ours, IpNet::aggregate(&input));
    }

    #[test]
    fn aggregation_matches_iprange(input in prefixes(), wide in wide_prefixes()) {
        for nets in [&input, &wide] {
            let theirs = iprange_prefixes(&iprange_sets(nets));
            prop_assert_eq!(aggregate(nets), theirs.clone());
            // The text tagwall writes, family by family.
            let set = AddressSet::from_prefixes(nets);
            let text = |family: fn(&IpNet) -> bool| -> Vec<String> {
                theirs.iter().filter(|n| family(n)).map(ToString::to_string).collect()
            };
            prop_assert_eq!(set.v4_strings(), text(|n| matches!(n, IpNet::V4(_))));
            prop_assert_eq!(set.v6_strings(), text(|n| matches!(n, IpNet::V6(_))));
        }
    }

    #[test]
    fn set_operations_match_iprange(a in wide_prefixes(), b in wide_prefixes()) {
        let (sa, sb) = (AddressSet::from_prefixes(&a), AddressSet::from_prefixes(&b));
        let ((a4, a6), (b4, b6)) = (iprange_sets(&a), iprange_sets(&b));
        prop_assert_eq!(
            sa.union(&sb).prefixes(),
            iprange_prefixes(&simplified(a4.merge(&b4), a6.merge(&b6)))
        );
        prop_assert_eq!(
            sa.difference(&sb).prefixes(),
            iprange_prefixes(&simplified(a4.exclude(&b4), a6.exclude(&b6)))
        );
        prop_assert_eq!(
            sa.intersection(&sb).prefixes(),
            iprange_prefixes(&simplified(a4.intersect(&b4), a6.intersect(&b6)))
        );
    }

    #[test]
    fn idempotent_and_order_independent(input in prefixes(), seed in any::<u64>()) {
        let once = aggregate(&input);
        prop_assert_eq!(aggregate(&once), once.clone());
        let mut shuffled = input.clone();
        // A deterministic shuffle driven by the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(aggregate(&shuffled), once);
    }

    #[test]
    fn set_operations_match_the_bitmap(a in prefixes(), b in prefixes()) {
        let (sa, sb) = (AddressSet::from_prefixes(&a), AddressSet::from_prefixes(&b));
        let (ba, bb) = (bitmap(&a), bitmap(&b));
        prop_assert_eq!(bitmap(&sa.union(&sb).prefixes()), combine(&ba, &bb, |x, y| x || y));
        prop_assert_eq!(bitmap(&sa.difference(&sb).prefixes()), combine(&ba, &bb, |x, y| x && !y));
        prop_assert_eq!(bitmap(&sa.intersection(&sb).prefixes()), combine(&ba, &bb, |x, y| x && y));
        let count = |m: &(Vec<bool>, Vec<bool>)| m.0.iter().filter(|x| **x).count() as u128;
        prop_assert_eq!(sa.v4.address_count(), count(&ba));
    }

    #[test]
    fn any_ranges_decompose_into_the_same_addresses(ranges in prop::collection::vec((any::<u32>(), any::<u32>()), 0..20)) {
        let ranges: Vec<(u32, u32)> = ranges.into_iter().map(|(a, b)| (a.min(b), a.max(b))).collect();
        let set = IntervalSet::from_ranges(ranges);
        // Rebuilding from the prefixes gives back the same normalised intervals.
        let back: Vec<(u32, u32)> = set
            .prefixes()
            .iter()
            .map(|&(addr, len)| {
                let size_minus_one = if len == 0 { u32::MAX } else { (1u32 << (32 - len)).wrapping_sub(1) };
                (addr, addr + size_minus_one)
            })
            .collect();
        prop_assert_eq!(IntervalSet::from_ranges(back), set);
    }
}
