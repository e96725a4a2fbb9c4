//! Prefix text <-> addresses, in one place: reading a prefix written
//! exactly canonically (the fast path every Service Tags prefix takes),
//! reading any CIDR prefix with a reason when it is not one, and writing
//! prefixes without the formatting machinery. Both directions are measured
//! (a release holds tens of thousands of prefixes) and property-tested
//! against the standard library.

use ipnet::IpNet;

/// Parse a prefix that must be written exactly canonically.
///
/// ```
/// use tagwall::prefix::parse_canonical;
/// assert!(parse_canonical("13.107.3.0/24").is_ok());
/// assert!(parse_canonical("13.107.3.1/24").unwrap_err().contains("host bits"));
/// assert!(parse_canonical("013.107.3.0/24").is_err());
/// assert!(parse_canonical("2620:1EC:4::/48").unwrap_err().contains("canonical"));
/// ```
pub fn parse_canonical(s: &str) -> Result<IpNet, String> {
    // Most prefixes are IPv4 written canonically: check those byte by byte.
    if let Some(net) = canonical_prefix(s.as_bytes()) {
        return Ok(net);
    }
    let net = parse_prefix(s)?;
    let canonical = net.to_string();
    if canonical != s {
        return Err(format!("is not written in canonical form ({canonical})"));
    }
    Ok(net)
}

/// Parse a CIDR prefix with no host bits set; the text need not be canonical
/// (`2001:DB8::/32` is accepted), but nothing is repaired.
pub fn parse_prefix(s: &str) -> Result<IpNet, String> {
    let Some((addr, len)) = s.split_once('/') else {
        return Err("not a CIDR prefix (no /length)".into());
    };
    let is_v6 = addr.contains(':');
    let max = if is_v6 { 128 } else { 32 };
    if len.is_empty()
        || !len.bytes().all(|b| b.is_ascii_digit())
        || (len.len() > 1 && len.starts_with('0'))
    {
        return Err(format!("prefix length {len:?} is not a number"));
    }
    match len.parse::<u32>() {
        Ok(n) if n <= max => {}
        _ => return Err(format!("prefix length /{len} is out of range (0-{max})")),
    }
    if !is_v6
        && addr
            .split('.')
            .any(|octet| octet.len() > 1 && octet.starts_with('0'))
    {
        return Err("has an octet with a leading zero (octal or decimal is ambiguous)".into());
    }
    let net: IpNet = s
        .parse()
        .map_err(|_| format!("not a valid IPv{} prefix", if is_v6 { 6 } else { 4 }))?;
    if net.trunc() != net {
        return Err(format!(
            "has host bits set (the network is {})",
            net.trunc()
        ));
    }
    Ok(net)
}

/// `a.b.c.d/n` written exactly canonically with no host bits; `None` for
/// anything else (the general parser then decides, and explains).
pub fn canonical_v4_prefix(s: &[u8]) -> Option<ipnet::Ipv4Net> {
    if !s.contains(&b'/') {
        return None;
    }
    let (start, end) = fast_v4(s)?;
    let len = (32
        - (end - start)
            .checked_add(1)
            .map_or(32, |n| n.trailing_zeros())) as u8;
    ipnet::Ipv4Net::new(std::net::Ipv4Addr::from(start), len).ok()
}

/// A prefix of either family written exactly canonically with no host bits;
/// `None` for anything else (the general parser then decides, and explains).
pub fn canonical_prefix(s: &[u8]) -> Option<ipnet::IpNet> {
    canonical_v4_prefix(s)
        .map(ipnet::IpNet::V4)
        .or_else(|| canonical_v6_prefix(s).map(ipnet::IpNet::V6))
}

/// An IPv6 `addr/n` written exactly canonically (RFC 5952, as
/// [`push_v6_prefix`] writes it) with no host bits; `None`
/// for anything else (the general parser then decides, and explains).
pub fn canonical_v6_prefix(s: &[u8]) -> Option<ipnet::Ipv6Net> {
    let slash = s.iter().position(|&b| b == b'/')?;
    let addr = &s[..slash];
    let len = prefix_len(&s[slash + 1..], 128)?;
    // Groups of hex digits are read here; anything else (an embedded IPv4
    // address) by the standard library.
    let addr = match v6_groups(addr) {
        Some(a) => a,
        None => u128::from(
            std::str::from_utf8(addr)
                .ok()?
                .parse::<std::net::Ipv6Addr>()
                .ok()?,
        ),
    };
    let net = ipnet::Ipv6Net::new(addr.into(), len).ok()?;
    if net.trunc() != net {
        return None;
    }
    // What was read is accepted only if it prints back as exactly the
    // same text: the canonical form is unique, so this also proves it was
    // read right.
    thread_local! {
        static CANONICAL: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    let same = CANONICAL.with_borrow_mut(|canonical| {
        canonical.clear();
        push_v6_prefix(canonical, addr, len);
        canonical.as_bytes() == s
    });
    same.then_some(net)
}

/// A prefix length in canonical decimal (no sign, no leading zero), at most
/// `max`.
fn prefix_len(s: &[u8], max: u8) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || (s.len() > 1 && s[0] == b'0') {
        return None;
    }
    let mut n: u32 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(b - b'0');
    }
    u8::try_from(n).ok().filter(|&n| n <= max)
}

/// An IPv6 address of colon-separated groups of one to four hex digits, at
/// most one `::`; `None` for anything else.
fn v6_groups(s: &[u8]) -> Option<u128> {
    fn groups(part: &[u8], out: &mut [u16; 8], n: &mut usize) -> Option<()> {
        if part.is_empty() {
            return Some(());
        }
        for group in part.split(|&b| b == b':') {
            if group.is_empty() || group.len() > 4 || *n == 8 {
                return None;
            }
            let mut value: u16 = 0;
            for &b in group {
                value = (value << 4) | u16::from(char::from(b).to_digit(16)? as u8);
            }
            out[*n] = value;
            *n += 1;
        }
        Some(())
    }
    let gap = s.windows(2).position(|w| w == b"::");
    let (head, tail) = match gap {
        Some(i) => (&s[..i], &s[i + 2..]),
        None => (s, &s[..0]),
    };
    let (mut high, mut low) = ([0u16; 8], [0u16; 8]);
    let (mut h, mut t) = (0, 0);
    groups(head, &mut high, &mut h)?;
    groups(tail, &mut low, &mut t)?;
    let fits = match gap {
        Some(_) => h + t <= 7,
        None => h == 8,
    };
    if !fits {
        return None;
    }
    let mut all = high;
    all[8 - t..].copy_from_slice(&low[..t]);
    Some(all.iter().fold(0u128, |a, &g| (a << 16) | u128::from(g)))
}

/// `a.b.c.d` or `a.b.c.d/n` in canonical decimal with no host bits, as an
/// inclusive range; `None` for anything else (the slow path then decides).
pub(crate) fn fast_v4(s: &[u8]) -> Option<(u32, u32)> {
    let mut addr: u32 = 0;
    let mut i = 0;
    for octet in 0..4 {
        let start = i;
        let mut value: u32 = 0;
        while i < s.len() && s[i].is_ascii_digit() && i - start < 3 {
            value = value * 10 + u32::from(s[i] - b'0');
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || value > 255 || (digits > 1 && s[start] == b'0') {
            return None;
        }
        addr = (addr << 8) | value;
        if octet < 3 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    let len = match s.get(i) {
        None => 32,
        Some(b'/') => u32::from(prefix_len(&s[i + 1..], 32)?),
        Some(_) => return None,
    };
    let host = if len == 32 { 0 } else { u32::MAX >> len };
    if addr & host != 0 {
        return None;
    }
    Some((addr, addr | host))
}

/// Append `a.b.c.d/len` to `out`, without the formatting machinery.
///
/// ```
/// let mut s = String::new();
/// tagwall::prefix::push_v4_prefix(&mut s, 0x0a00_0100, 24);
/// assert_eq!(s, "10.0.1.0/24");
/// ```
pub fn push_v4_prefix(out: &mut String, addr: u32, len: u8) {
    push_v4(out, addr);
    out.push('/');
    push_decimal(out, u32::from(len));
}

/// Append the address `a.b.c.d`, as [`push_v4_prefix`] writes it.
pub fn push_v4(out: &mut String, addr: u32) {
    for (i, shift) in [24, 16, 8, 0].into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        push_decimal(out, (addr >> shift) & 0xff);
    }
}

/// Append a number below 1,000 in decimal.
pub fn push_decimal(out: &mut String, n: u32) {
    if n >= 100 {
        out.push(char::from(b'0' + (n / 100 % 10) as u8));
    }
    if n >= 10 {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// Append `addr/len` in the canonical form of RFC 5952, exactly as the
/// standard library prints an `Ipv6Addr` (lower-case hex without leading
/// zeros, the first longest run of two or more zero groups as `::`, and
/// IPv4-mapped addresses as `::ffff:a.b.c.d`), without its formatting
/// machinery.
///
/// ```
/// let mut s = String::new();
/// tagwall::prefix::push_v6_prefix(&mut s, 0x2603_1000_0000_0000_0000_0000_0000_0000, 25);
/// assert_eq!(s, "2603:1000::/25");
/// ```
pub fn push_v6_prefix(out: &mut String, addr: u128, len: u8) {
    push_v6(out, addr);
    out.push('/');
    push_decimal(out, u32::from(len));
}

/// Append an IPv6 address, as [`push_v6_prefix`] writes it.
pub fn push_v6(out: &mut String, addr: u128) {
    if addr >> 32 == 0xffff {
        out.push_str("::ffff:");
        push_v4(out, addr as u32);
        return;
    }
    let groups: [u16; 8] = std::array::from_fn(|i| (addr >> (112 - 16 * i)) as u16);
    // The first longest run of zero groups, if it is at least two long.
    let (mut best, mut best_len, mut run, mut run_len) = (0, 0, 0, 0);
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best, best_len) = (run, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    if best_len < 2 {
        push_groups(out, &groups);
    } else {
        push_groups(out, &groups[..best]);
        out.push_str("::");
        push_groups(out, &groups[best + best_len..]);
    }
}

/// Append IPv6 groups in lower-case hex without leading zeros, `:` between.
fn push_groups(out: &mut String, groups: &[u16]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, &g) in groups.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let digits = (16 - g.leading_zeros()).div_ceil(4).max(1);
        for k in (0..digits).rev() {
            out.push(char::from(HEX[usize::from((g >> (4 * k)) & 0xf)]));
        }
    }
}
