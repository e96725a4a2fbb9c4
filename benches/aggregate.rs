//! Aggregation of a large synthetic list (300,000 IPv4 and 100,000 IPv6
//! prefixes with overlaps, nesting and adjacent siblings). Run with
//! `cargo bench --bench aggregate`.

#[path = "support/synth.rs"]
mod synth;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tagwall::aggregate::AddressSet;
use tagwall::source::{parse_prefix_list, parse_prefix_set};

fn benches(c: &mut Criterion) {
    let text = synth::generate(300_000, 100_000, 42);
    let nets = parse_prefix_list(&text, "synthetic").expect("synthetic list parses");
    c.bench_function("aggregate 300k IPv4 + 100k IPv6", |b| {
        b.iter(|| AddressSet::from_prefixes(black_box(&nets)).prefixes())
    });
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
