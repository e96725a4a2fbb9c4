//! The policy parser never panics, and what it accepts passes validation again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwall::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(policy) = Policy::parse(text, "fuzz") {
        assert!(!policy.rules.is_empty());
        policy.validate("fuzz").expect("an accepted policy validates");
        // Writing it out and reading it back gives the same policy.
        let written = toml::to_string(&policy).expect("serialise");
        let back = Policy::parse(&written, "fuzz").expect("re-parse");
        assert_eq!(back, policy);
    }
});
