//! The Service Tags parser never panics, and what it accepts is canonical.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tagwall::model::ServiceTags;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = ServiceTags::parse(data, "fuzz") {
        assert!(!file.tags.is_empty());
        let mut names = std::collections::HashSet::new();
        for tag in &file.tags {
            assert!(names.insert(tag.name.as_str()), "duplicate tag accepted");
            for net in &tag.prefixes {
                assert_eq!(net.trunc(), *net, "host bits accepted");
                assert!(tagwall::prefix::parse_canonical(&net.to_string()).is_ok());
            }
        }
    }
});
