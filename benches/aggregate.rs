//! Aggregation of a large synthetic list (300,000 IPv4 and 100,000 IPv6
//! prefixes with overlaps, nesting and adjacent siblings), beside the
//! `iprange` crate's trie on the same prefixes. Run with
//! `cargo bench --bench aggregate`.

#[path = "support/synth.rs"]
mod synth;

use criterion::{Criterion, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use iprange::IpRange;
use std::hint::black_box;
use tagwall::aggregate::AddressSet;
use tagwall::source::{parse_prefix_list, parse_prefix_set};

/// The `iprange` crate's aggregation of `nets`: one trie per family,
/// simplified, its prefixes listed (in the trie's own order; tagwall's come
/// sorted, which the trie's breadth-first walk does not give for free).
fn iprange_aggregate(nets: &[IpNet]) -> Vec<IpNet> {
    let mut v4: IpRange<Ipv4Net> = IpRange::new();
    let mut v6: IpRange<Ipv6Net> = IpRange::new();
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
    v4.iter()
        .map(IpNet::V4)
        .chain(v6.iter().map(IpNet::V6))
        .collect()
}

fn benches(c: &mut Criterion) {
    let text = synth::generate(300_000, 100_000, 42);
    let nets = parse_prefix_list(&text, "synthetic").expect("synthetic list parses");
    // Both sides must agree before their times mean anything.
    let mut theirs = iprange_aggregate(&nets);
    theirs.sort_unstable();
    assert_eq!(AddressSet::from_prefixes(&nets).prefixes(), theirs);

    let mut group = c.benchmark_group("aggregate 300k IPv4 + 100k IPv6");
    group.bench_function("tagwall", |b| {
        b.iter(|| AddressSet::from_prefixes(black_box(&nets)).prefixes())
    });
    group.bench_function("iprange crate", |b| {
        b.iter(|| iprange_aggregate(black_box(&nets)))
    });
    group.finish();
    // What `tagwall aggregate` runs: the list parsed straight into intervals.
    c.bench_function("parse + aggregate 400k-line list", |b| {
        b.iter(|| {
            parse_prefix_set(black_box(&text), "synthetic")
                .expect("parse")
                .prefixes()
        })
    });
}

criterion_group! {
    name = aggregate;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(aggregate);
