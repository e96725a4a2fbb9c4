//! The shape of the house, checked: the modules of `src/` refer to each other
//! without a cycle, no source file outgrows one job, and the template
//! context reference (`docs/templates.md`) is generated from the context
//! types themselves, so it cannot drift from what templates see.
//!
//! `UPDATE_GOLDEN=1 cargo test --test architecture` rewrites the reference.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest source file allowed.
const MAX_LINES: usize = 900;

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Text without `//` comments (doc comments included), so that a path named
/// in prose is not taken for a dependency.
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level modules each module refers to through `crate::`.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = top.trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = code(&std::fs::read_to_string(&file).unwrap());
        let deps = graph.entry(top.clone()).or_default();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let names: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                // `crate::{a, b::c, d::{e, f}}`: the first segment of each
                // top-level item of the group.
                let mut depth = 0;
                let mut items = vec![String::new()];
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => items.push(String::new()),
                        _ if depth == 0 => items.last_mut().unwrap().push(c),
                        _ => {}
                    }
                }
                items
            } else {
                vec![rest.to_string()]
            };
            for name in names {
                let first: String = name
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // Modules are lower case; `crate::Error` is the crate root's
                // re-export of `error`.
                let module = match first.as_str() {
                    "Error" | "Result" => "error".to_string(),
                    m => m.to_string(),
                };
                if !module.is_empty() && module != top {
                    deps.insert(module);
                }
            }
        }
    }
    graph
}

/// A cycle in `graph`, if it has one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            let mut cycle = path[i..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn modules_refer_to_each_other_without_a_cycle() {
    let graph = module_graph(&common::root().join("src"));
    assert!(graph.len() > 10, "the graph was read: {graph:?}");
    assert!(
        graph["cli"].contains("pipeline"),
        "dependencies are found: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn only_the_command_line_knows_clap() {
    let src = common::root().join("src");
    let users: Vec<String> = rust_files(&src)
        .into_iter()
        .filter(|f| !f.starts_with(src.join("cli")))
        .filter(|f| code(&std::fs::read_to_string(f).unwrap()).contains("clap::"))
        .map(|f| f.display().to_string())
        .collect();
    assert!(users.is_empty(), "clap outside src/cli: {users:?}");
    let cli = code(&std::fs::read_to_string(src.join("cli/args.rs")).unwrap());
    assert!(cli.contains("clap::"), "the check reads what it should");
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "d")] {
        graph.entry(a.into()).or_default().insert(b.into());
    }
    assert_eq!(find_cycle(&graph), None);
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

#[test]
fn no_source_file_outgrows_its_job() {
    let root = common::root();
    let long: Vec<String> = rust_files(&root.join("src"))
        .into_iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(&f).unwrap().lines().count();
            (n > MAX_LINES)
                .then(|| format!("{} ({n} lines)", f.strip_prefix(&root).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines: {long:?}");
}

/// The files whose `Serialize` types are what templates see, with the
/// targets that read them.
const CONTEXT_FILES: &[(&str, &str)] = &[
    (
        "src/render/context.rs",
        "every target (the generic context and its parts)",
    ),
    ("src/source.rs", "a release's provenance"),
    (
        "src/render/vendor/context.rs",
        "panos, fortios, cisco-asa, junos, mikrotik",
    ),
    ("src/render/vendor/plan.rs", "the vendor plan and its delta"),
    ("src/render/linux/nftables.rs", "nftables"),
    ("src/render/linux/iptables.rs", "iptables"),
    ("src/render/nsg.rs", "azure-nsg"),
    (
        "src/render/numbered.rs",
        "azure-firewall and aws-prefix-list deltas",
    ),
    ("src/render/azure_firewall.rs", "azure-firewall"),
    ("src/render/aws_prefix_list.rs", "aws-prefix-list"),
    ("src/render/checkpoint.rs", "checkpoint"),
    ("src/render/windows_firewall.rs", "windows-firewall"),
    ("src/render/kubernetes.rs", "kubernetes"),
    ("src/render/calico.rs", "calico"),
    (
        "src/render/report.rs",
        "the change report (diff.md, diff.html)",
    ),
];

/// A markdown reference of every `#[derive(Serialize)]` struct in `text`:
/// its doc comment, then each field with its type and doc comment.
fn reference_of(text: &str) -> String {
    let mut out = String::new();
    let mut doc: Vec<String> = Vec::new();
    let mut serialize = false;
    let mut flatten = false;
    let mut skip = false;
    let mut in_struct = false;
    for line in text.lines() {
        let t = line.trim();
        if let Some(d) = t.strip_prefix("///") {
            doc.push(d.trim().to_string());
            continue;
        }
        if t.starts_with("#[derive(") {
            serialize = t.contains("Serialize");
            continue;
        }
        if t.starts_with("#[serde(") {
            flatten |= t.contains("flatten");
            skip |= t.contains("(skip)") || t.contains("(skip,");
            continue;
        }
        if !in_struct {
            if serialize && t.starts_with("pub struct ") && t.ends_with('{') {
                let name = t["pub struct ".len()..].trim_end_matches('{').trim();
                let name = name.split('<').next().unwrap();
                out.push_str(&format!("\n### `{name}`\n\n{}\n\n", doc.join(" ")));
                in_struct = true;
            }
            if !t.starts_with("#[") {
                doc.clear();
                flatten = false;
                if !t.is_empty() {
                    serialize = false;
                }
            }
            continue;
        }
        if t == "}" {
            in_struct = false;
            serialize = false;
            doc.clear();
            continue;
        }
        if let Some(field) = t.strip_prefix("pub ") {
            let (name, ty) = field.split_once(':').unwrap();
            let ty = json_type(ty.trim().trim_end_matches(','));
            if skip {
                // Not serialised: templates never see it.
            } else if flatten {
                out.push_str(&format!(
                    "- the fields of {ty}, at this level: {}\n",
                    doc.join(" ")
                ));
            } else {
                out.push_str(&format!("- `{name}` ({ty}): {}\n", doc.join(" ")));
            }
            doc.clear();
            flatten = false;
            skip = false;
        }
    }
    out
}

/// What a Rust field type looks like to a template.
fn json_type(ty: &str) -> String {
    let ty = ty
        .replace("&'a ", "")
        .replace("&'static ", "")
        .replace("<'a>", "");
    let ty = ty.trim_start_matches('&');
    if ty == "Lazy<SetDefinitions>" {
        return "list of text, walked one at a time".into();
    }
    if let Some(inner) = ty.strip_prefix("Items<").and_then(|t| t.strip_suffix('>')) {
        return format!("list of {}, walked one at a time", json_type(inner));
    }
    let list = ty.strip_prefix("Vec<").and_then(|t| t.strip_suffix('>'));
    if let Some(inner) = list {
        return format!("list of {}", json_type(inner));
    }
    if let Some(inner) = ty.strip_prefix("Option<").and_then(|t| t.strip_suffix('>')) {
        return format!("{} or null", json_type(inner));
    }
    match ty {
        "str" | "String" => "text".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" => "number".into(),
        "bool" => "true or false".into(),
        "[(); 0]" => "always an empty list".into(),
        "Entries" => "list of `Entry`".into(),
        "PrefixList" => "list of text (CIDR prefixes)".into(),
        "BTreeMap<str, usize>" => "map of text to number".into(),
        other => format!("`{other}`"),
    }
}

#[test]
fn the_template_reference_is_generated_from_the_context_types() {
    let root = common::root();
    let mut text = String::from(
        "# Template contexts\n\n\
         What a template sees, generated from the types that tagwall serialises\n\
         for it (`UPDATE_GOLDEN=1 cargo test --test architecture` regenerates this\n\
         page). Templates run in strict mode: a field not listed here is an error\n\
         naming the template. A file rendered once per rule sees the top-level\n\
         fields without `rules`, `removed_rules`, `plan` and `delta`, plus `rule`;\n\
         once per rule and family, also `family`; once per item of a list, `tool`,\n\
         `source`, `previous` and `item`.\n\n\
         A list marked \"walked one at a time\" keeps its items typed and\n\
         turns each into JSON only as a template reaches it: with `--all-tags`\n\
         the JSON of the whole list would take tens of megabytes. Templates use\n\
         it as any list with `each` (`@index`, `@first`, `@last`, block params,\n\
         `else`), `if`, `unless`, `len`, `some` and `lines`; indexing it\n\
         (`list.[0]`, `lookup list 0`) is an error.\n",
    );
    for (file, used_by) in CONTEXT_FILES {
        let source = std::fs::read_to_string(root.join(file)).unwrap();
        text.push_str(&format!("\n## `{file}`: {used_by}\n"));
        text.push_str(&reference_of(&source));
    }
    let page = root.join("docs/templates.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&page, &text).unwrap();
    }
    let written = std::fs::read_to_string(&page).unwrap_or_default();
    assert!(
        written == text,
        "docs/templates.md is not what the context types say; regenerate it with \
         UPDATE_GOLDEN=1 cargo test --test architecture"
    );
    assert!(
        text.contains("- `rules` (list of `RuleContext`, walked one at a time)"),
        "{text}"
    );
}
