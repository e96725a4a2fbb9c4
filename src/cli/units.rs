//! Durations and sizes as a user types them (`--timeout 2m`, `--max-size 64M`).
//!
//! Hand-written on purpose: the crates that parse these accept spellings
//! tagwall has always refused, or read them differently. `humantime` takes
//! `3d`, `1h30m` and `2weeks` and refuses a bare `15`; `bytesize` and
//! `parse-size` read `64M` as 64,000,000 bytes by default and take `1T` and
//! `1.5M`. The table-driven tests below pin what is accepted and refused.

use std::time::Duration;

/// Parse a duration: a number with `ms`, `s`, `m` (or `min`) or `h`; seconds when bare.
/// Fractions (`1.5s`) are fine; one unit only (no `1h30m`), no days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 500ms, 15s or 2m"))?;
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("{text:?}: unknown unit; use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(value * scale).map_err(|e| format!("{text:?}: {e}"))
}

/// Parse a size in bytes: a whole number with `K`, `M` or `G` (powers of 1024;
/// `KB`, `KiB` and lower case are the same); bytes when bare or with `B`. Zero
/// is refused: no body fits in it.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 64M or 500K"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("{text:?}: unknown unit; use K, M or G")),
    };
    value
        .checked_mul(1 << shift)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accepted() {
        let ms = Duration::from_millis;
        for (text, want) in [
            ("500ms", ms(500)),
            ("10ms", ms(10)),
            ("15", ms(15_000)),
            ("15s", ms(15_000)),
            ("1.5s", ms(1_500)),
            (".5s", ms(500)),
            ("15 s", ms(15_000)),
            (" 60s ", ms(60_000)),
            ("2m", ms(120_000)),
            ("2min", ms(120_000)),
            ("1h", ms(3_600_000)),
            ("0s", ms(0)),
        ] {
            assert_eq!(parse_duration(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn durations_refused() {
        for (text, message) in [
            (
                "soon",
                "\"soon\" is not a duration such as 500ms, 15s or 2m",
            ),
            ("", "\"\" is not a duration such as 500ms, 15s or 2m"),
            ("-1s", "\"-1s\" is not a duration such as 500ms, 15s or 2m"),
            (
                "1.5.5s",
                "\"1.5.5s\" is not a duration such as 500ms, 15s or 2m",
            ),
            ("3d", "\"3d\": unknown unit; use ms, s, m or h"),
            ("1h30m", "\"1h30m\": unknown unit; use ms, s, m or h"),
            ("1h 30m", "\"1h 30m\": unknown unit; use ms, s, m or h"),
            ("2weeks", "\"2weeks\": unknown unit; use ms, s, m or h"),
            ("15S", "\"15S\": unknown unit; use ms, s, m or h"),
            ("1e3s", "\"1e3s\": unknown unit; use ms, s, m or h"),
            ("100us", "\"100us\": unknown unit; use ms, s, m or h"),
        ] {
            assert_eq!(parse_duration(text), Err(message.to_string()), "{text:?}");
        }
        let long = "99999999999999999999999h";
        assert!(parse_duration(long).is_err(), "too long for a Duration");
    }

    #[test]
    fn sizes_accepted() {
        for (text, want) in [
            ("100", 100),
            ("100b", 100),
            ("100B", 100),
            ("500K", 500 << 10),
            ("20kib", 20 << 10),
            ("20KiB", 20 << 10),
            ("20kb", 20 << 10),
            ("64M", 64 << 20),
            ("64m", 64 << 20),
            ("64 M", 64 << 20),
            ("64MB", 64 << 20),
            ("64Mb", 64 << 20),
            ("1G", 1 << 30),
        ] {
            assert_eq!(parse_size(text), Ok(want), "{text:?}");
        }
    }

    #[test]
    fn sizes_refused() {
        for (text, message) in [
            ("0", "\"0\" is not a usable size"),
            ("0M", "\"0M\" is not a usable size"),
            ("99999999999G", "\"99999999999G\" is not a usable size"),
            ("M", "\"M\" is not a size such as 64M or 500K"),
            ("-1", "\"-1\" is not a size such as 64M or 500K"),
            ("1T", "\"1T\": unknown unit; use K, M or G"),
            ("1.5M", "\"1.5M\": unknown unit; use K, M or G"),
        ] {
            assert_eq!(parse_size(text), Err(message.to_string()), "{text:?}");
        }
    }
}
