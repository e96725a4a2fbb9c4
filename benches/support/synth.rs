//! A deterministic synthetic prefix list for aggregation benchmarks: random
//! prefixes plus nested ones, adjacent siblings and duplicates, so that
//! aggregation has real work to do. The same seed always gives the same list.

use std::fmt::Write as _;

/// xorshift64*: small, fast, and stable across platforms and versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn mask32(len: u32) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - len) }
}

fn mask128(len: u32) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    }
}

/// `v4` IPv4 and `v6` IPv6 prefixes, one CIDR a line.
pub fn generate(v4: usize, v6: usize, seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut out = String::with_capacity((v4 + v6) * 24);
    let mut made4: Vec<(u32, u32)> = Vec::with_capacity(v4);
    for _ in 0..v4 {
        let (addr, len) = match (made4.len(), rng.below(10)) {
            // Nested inside an earlier prefix.
            (n, 0..=1) if n > 0 => {
                let (a, l) = made4[rng.below(n as u64) as usize];
                let len = (l + 1 + rng.below(4) as u32).min(32);
                let addr = a | (rng.next() as u32 & !mask32(l));
                (addr & mask32(len), len)
            }
            // The adjacent sibling of an earlier prefix.
            (n, 2..=3) if n > 0 => {
                let (a, l) = made4[rng.below(n as u64) as usize];
                if l == 0 {
                    (a, l)
                } else {
                    (a ^ (1 << (32 - l)), l)
                }
            }
            // A duplicate.
            (n, 4) if n > 0 => made4[rng.below(n as u64) as usize],
            // Fresh, in unicast space from 1.0.0.0 to 223.255.255.255.
            _ => {
                let len = 16 + rng.below(17) as u32;
                let addr = (0x0100_0000 + rng.below(0xDF00_0000) as u32) & mask32(len);
                (addr, len)
            }
        };
        made4.push((addr, len));
        let _ = writeln!(out, "{}/{len}", std::net::Ipv4Addr::from(addr));
    }
    let mut made6: Vec<(u128, u32)> = Vec::with_capacity(v6);
    for _ in 0..v6 {
        let (addr, len) = match (made6.len(), rng.below(10)) {
            (n, 0..=1) if n > 0 => {
                let (a, l) = made6[rng.below(n as u64) as usize];
                let len = (l + 1 + rng.below(8) as u32).min(128);
                let noise = (u128::from(rng.next()) << 64) | u128::from(rng.next());
                ((a | (noise & !mask128(l))) & mask128(len), len)
            }
            (n, 2..=3) if n > 0 => {
                let (a, l) = made6[rng.below(n as u64) as usize];
                if l == 0 {
                    (a, l)
                } else {
                    (a ^ (1 << (128 - l)), l)
                }
            }
            (n, 4) if n > 0 => made6[rng.below(n as u64) as usize],
            _ => {
                // Inside 2000::/3, lengths /32 to /64.
                let len = 32 + rng.below(33) as u32;
                let noise = (u128::from(rng.next()) << 64) | u128::from(rng.next());
                let addr = ((0x2u128 << 124) | (noise >> 3)) & mask128(len);
                (addr, len)
            }
        };
        made6.push((addr, len));
        let _ = writeln!(out, "{}/{len}", std::net::Ipv6Addr::from(addr));
    }
    out
}
