//! The walk-through of docs/adding-a-target.md, done: a throwaway target
//! (a row, a profile, two templates) rendered by the real engine from a real
//! release, with no change anywhere else.

mod common;

use tagwall::render::names::{NameRules, letter, word};
use tagwall::render::profile::Profile;
use tagwall::render::{Each, Engine, FileSpec, Job, Target, generic_context};
use tagwall::write::InMemory;

/// The profile: names of at most 24 characters, nothing else limited.
const PROFILE: Profile = Profile::new(24);

/// The row.
static THROWAWAY: Target = Target {
    name: "throwaway",
    summary: "a list per rule and family, and an index",
    files: &[
        FileSpec {
            path: "{{rule.ident}}.{{family.short}}.lst",
            template: "throwaway/list",
            source: "# {{rule.name}} {{family.name}} from {{source.file}}\n{{lines family.prefixes}}\n",
            each: Each::RuleFamily,
            delta: false,
        },
        FileSpec {
            path: "index.txt",
            template: "throwaway/index",
            source: "{{#each rules}}{{ident}}{{#each families}} {{short}}:{{count}}{{/each}}\n{{/each}}",
            each: Each::Once,
            delta: false,
        },
    ],
    names: NameRules {
        max_len: PROFILE.name_len,
        allowed: word,
        first: letter,
        lead: "R",
        replacement: '_',
        sep: "_",
    },
    profile: PROFILE,
    chunk_size: None,
    context: generic_context,
};

#[test]
fn a_target_is_a_row_a_profile_and_its_templates() {
    let mut loaded = tagwall::source::bundled(0).unwrap();
    let file = loaded.parse().unwrap();
    loaded.release();
    let policy = tagwall::pipeline::load_policy(None).unwrap();
    let selection = tagwall::pipeline::resolve(&file, &policy, false, None).unwrap();
    let job = Job {
        selection: &selection,
        provenance: loaded.provenance(&file),
        previous: None,
        delta: None,
    };
    let targets = [&THROWAWAY];
    let engine = Engine::new(None, &targets, false).unwrap();
    let sink = InMemory::default();
    engine.render(&job, &targets, &sink).unwrap();
    let files = sink.into_files();

    // One list per rule and family that holds prefixes, and the index.
    let lists: usize = selection
        .rules
        .iter()
        .map(|r| usize::from(!r.set.v4.is_empty()) + usize::from(!r.set.v6.is_empty()))
        .sum();
    assert_eq!(files.len(), lists + 1, "{:?}", files.keys());
    let index =
        String::from_utf8(files[std::path::Path::new("throwaway/index.txt")].clone()).unwrap();
    assert_eq!(index.lines().count(), selection.rules.len(), "{index}");

    // Each list holds exactly the rule's aggregated prefixes, under the
    // rule's name as the row's naming rules make it (shortened to fit the
    // profile where it must be).
    let mut shortened = 0;
    for (rule, line) in selection.rules.iter().zip(index.lines()) {
        let ident = THROWAWAY.names.map(&rule.rule.name, None);
        assert!(ident.len() <= PROFILE.name_len, "{ident}");
        shortened += usize::from(ident != rule.rule.name);
        assert!(line.starts_with(&format!("{ident} v4:")), "{line}");
        let path = format!("throwaway/{ident}.v4.lst");
        let text = String::from_utf8(files[std::path::Path::new(&path)].clone()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "# {} ipv4 from ServiceTags_Public_20250908.json",
                rule.rule.name
            )
        );
        let listed: Vec<&str> = lines.collect();
        assert_eq!(listed, rule.set.v4_strings(), "{path}");
    }
    assert!(
        shortened > 0,
        "the default policy has names over 24 characters"
    );
}
