//! `tagwall aggregate`: a plain CIDR list in, the minimal list out.

use super::args::AggregateArgs;
use super::{stdout_write, warn};
use crate::error::{Error, Result, exit};
use crate::prefix::{push_v4_prefix, push_v6_prefix};
use std::io::{self, Read};

/// Masked prefixes named one by one at most; the rest are counted.
const SHOWN: usize = 10;

/// Aggregate the file (standard input when none), IPv4 first.
pub fn execute(args: AggregateArgs, quiet: bool) -> Result<i32> {
    let (name, text) = match &args.file {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| Error::io("cannot read", p, e))?,
        ),
        None => {
            let mut s = String::new();
            io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::io("cannot read", "standard input", e))?;
            ("<stdin>".to_string(), s)
        }
    };
    let set = if args.lenient {
        let (set, masked) = crate::source::parse_prefix_set_lenient(&text, &name)?;
        for m in masked.iter().take(SHOWN) {
            warn(
                quiet,
                &format!(
                    "{name}:{}: {:?} has host bits set: read as {}",
                    m.line, m.written, m.read
                ),
            );
        }
        if masked.len() > SHOWN {
            warn(
                quiet,
                &format!(
                    "{name}: {} more prefixes with host bits set, read as their networks",
                    masked.len() - SHOWN
                ),
            );
        }
        set
    } else {
        crate::source::parse_prefix_set(&text, &name).map_err(|e| match e {
            Error::BadListEntry {
                file,
                line,
                value,
                reason,
            } if reason.contains("host bits") => Error::BadListEntry {
                file,
                line,
                value,
                reason: format!("{reason}; --lenient reads such a prefix as its network"),
            },
            other => other,
        })?
    };
    let mut out = String::with_capacity(set.v4.ranges().len() * 18);
    for (addr, len) in set.v4.prefixes() {
        push_v4_prefix(&mut out, addr, len);
        out.push('\n');
    }
    for (addr, len) in set.v6.prefixes() {
        push_v6_prefix(&mut out, addr, len);
        out.push('\n');
    }
    stdout_write(out.as_bytes())?;
    Ok(exit::SUCCESS)
}
