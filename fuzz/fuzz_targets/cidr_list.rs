//! The two prefix-list parsers (the general one and the fast path behind
//! `tagwall aggregate`) agree on every input: same set, or both refuse. And
//! the canonical-form check of a Service Tags prefix (byte-level fast paths)
//! accepts exactly what parses and prints back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwall::aggregate::AddressSet;
use tagwall::model::{parse_canonical, parse_prefix};
use tagwall::source::{parse_prefix_list, parse_prefix_set};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for line in text.lines() {
        let reference = parse_prefix(line)
            .ok()
            .filter(|net| net.to_string() == line);
        assert_eq!(parse_canonical(line).ok(), reference, "{line:?}");
    }
    let slow = parse_prefix_list(text, "fuzz");
    let fast = parse_prefix_set(text, "fuzz");
    match (slow, fast) {
        (Ok(nets), Ok(set)) => {
            let expected = AddressSet::from_prefixes(&nets);
            assert_eq!(expected, set);
            // Aggregation is idempotent.
            let again = AddressSet::from_prefixes(&set.prefixes());
            assert_eq!(again, set);
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("parsers disagree: {:?} vs {:?}", a.map(|n| n.len()), b.map(|s| s.prefixes().len())),
    }
});
