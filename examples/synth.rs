//! Print the synthetic benchmark list: `cargo run --release --example synth [V4 V6 SEED]`.
//! The default is the benchmark's own: 300,000 IPv4 and 100,000 IPv6 prefixes, seed 42.

#[path = "../benches/support/synth.rs"]
mod synth;

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let v4 = args.first().copied().unwrap_or(300_000) as usize;
    let v6 = args.get(1).copied().unwrap_or(100_000) as usize;
    let seed = args.get(2).copied().unwrap_or(42);
    print!("{}", synth::generate(v4, v6, seed));
}
