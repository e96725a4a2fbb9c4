//! Benchmarks on the bundled real release: parse; select + aggregate for the
//! default policy and for every tag; `build --all-tags` in memory (resolve,
//! compile the templates, render) for plain, nftables and PAN-OS; and the diff
//! of two consecutive releases. Writing to disk is left to `benches/peers.sh`,
//! which times whole processes. Run with `cargo bench --bench pipeline`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tagwall::model::ServiceTags;
use tagwall::policy::Policy;
use tagwall::select::{all_tags_policy, select};

fn benches(c: &mut Criterion) {
    let loaded = tagwall::source::bundled(0).expect("bundled release");
    let file = loaded.parse().expect("bundled release parses");
    let policy = Policy::builtin();

    c.bench_function("parse Public release (4 MB)", |b| {
        b.iter(|| ServiceTags::parse(black_box(&loaded.bytes), "bench").expect("parse"))
    });
    c.bench_function("select+aggregate default policy", |b| {
        b.iter(|| select(black_box(&file), policy.clone(), "bench").expect("select"))
    });
    let all = all_tags_policy(&file, &policy);
    c.bench_function("select+aggregate all tags", |b| {
        b.iter(|| select(black_box(&file), all.clone(), "bench").expect("select"))
    });

    let loaded_policy = tagwall::pipeline::load_policy(None).expect("built-in policy");
    for name in ["plain", "nftables", "panos"] {
        let targets = tagwall::render::find_targets(&[name.to_string()]).expect("target");
        c.bench_function(
            &format!("build --all-tags --target {name} (in memory)"),
            |b| {
                b.iter(|| {
                    let selection =
                        tagwall::pipeline::resolve(black_box(&file), &loaded_policy, true, None)
                            .expect("resolve");
                    let engine =
                        tagwall::render::Engine::new(None, &targets, false).expect("templates");
                    tagwall::pipeline::render_outputs(&tagwall::pipeline::RenderInputs {
                        loaded: &loaded,
                        file: &file,
                        selection: &selection,
                        previous: None,
                        policy: &loaded_policy,
                        all_tags: true,
                        targets: &targets,
                        engine: &engine,
                        withheld: None,
                    })
                    .expect("render")
                    .files
                    .len()
                })
            },
        );
    }

    let old_loaded = tagwall::source::bundled(1).expect("bundled previous release");
    let old = old_loaded.parse().expect("previous release parses");
    let (p_old, p_new) = (old_loaded.provenance(&old), loaded.provenance(&file));
    c.bench_function("diff two consecutive releases, all tags", |b| {
        b.iter(|| {
            tagwall::diff::diff(
                black_box(&old),
                p_old.clone(),
                &file,
                p_new.clone(),
                &tagwall::diff::Scope::All,
            )
            .expect("diff")
        })
    });
}

criterion_group! {
    name = pipeline;
    config = Criterion::default().sample_size(30);
    targets = benches
}
criterion_main!(pipeline);
