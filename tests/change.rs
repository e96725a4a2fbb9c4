//! A change is a change of addresses: a release that changes no address of
//! the policy leaves every config file byte-identical, for every target.
//! Real data: AzureGovernment 2025-08-11 and 2025-08-18 are two releases
//! whose only difference is the changeNumber; a Public release is also
//! re-aggregated (one prefix split into its two halves) with no address
//! changed.

mod common;

use common::{fixture, read_tree, release};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file of an output folder but the manifest, which names the release.
fn configs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut tree = read_tree(out);
    tree.remove("manifest.json").expect("a manifest");
    tree
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

/// `build` of every target with `args`; the targets that refuse the build
/// (exit 3, their platform's limits) are left out.
fn build_each(dir: &Path, name: &str, input: &Path, args: &[&str]) -> BTreeMap<String, Value> {
    let targets = tagwall::render::TARGETS.iter().map(|t| t.name);
    let mut built = BTreeMap::new();
    for target in targets {
        let out = dir.join(format!("{name}-{target}"));
        let o = common::run(
            dir,
            &[
                &["build", "-q", "--target", target, "--input"][..],
                &[input.to_str().unwrap(), "--out", out.to_str().unwrap()],
                args,
            ]
            .concat(),
        );
        match o.status.code() {
            Some(0) => {
                built.insert(target.to_string(), manifest(&out));
            }
            Some(3) => {}
            _ => panic!("{target}: {}", common::text(&o).1),
        }
    }
    built
}

#[test]
fn a_release_that_changes_no_address_rewrites_no_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = release("ServiceTags_AzureGovernment_20250811.json");
    let new = release("ServiceTags_AzureGovernment_20250818.json");
    let (a, b) = (
        build_each(d, "a", &old, &["--all-tags"]),
        build_each(d, "b", &new, &["--all-tags"]),
    );
    assert!(a.len() >= 10, "targets built: {:?}", a.keys());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for target in a.keys() {
        let (ta, tb) = (
            configs(&d.join(format!("a-{target}"))),
            configs(&d.join(format!("b-{target}"))),
        );
        assert!(!ta.is_empty());
        for (file, bytes) in &ta {
            assert!(
                tb.get(file) == Some(bytes),
                "{target}/{file} differs between two releases with the same addresses"
            );
        }
        assert_eq!(ta.len(), tb.len(), "{target}");
        // The manifest names each release.
        assert_eq!(a[target]["input"]["change_number"], 366);
        assert_eq!(b[target]["input"]["change_number"], 367);
        assert_eq!(
            b[target]["input"]["file"],
            "ServiceTags_AzureGovernment_20250818.json"
        );
    }
}

#[test]
fn a_release_that_only_reaggregates_rewrites_no_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let old = fixture("public_20250811.json");
    let new = d.join("ServiceTags_Public_20250818.json");
    std::fs::write(&new, common::reaggregated(367)).unwrap();
    let (a, b) = (build_each(d, "a", &old, &[]), build_each(d, "b", &new, &[]));
    assert_eq!(a.len(), tagwall::render::TARGETS.len(), "{:?}", a.keys());
    assert_eq!(
        b[&a.keys().next().unwrap().clone()]["input"]["change_number"],
        367
    );
    for target in a.keys() {
        assert_eq!(
            configs(&d.join(format!("a-{target}"))),
            configs(&d.join(format!("b-{target}"))),
            "{target}"
        );
    }
}
