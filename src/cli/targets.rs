//! `tagwall targets`: every target with its files, templates and limits.

use super::stdout_write;
use crate::error::{Result, exit};
use crate::render::{Each, FileSpec, PARTIALS, TARGETS};

/// Print the targets table.
pub fn execute() -> Result<i32> {
    let mut text = String::new();
    for t in TARGETS {
        text.push_str(&format!("{}\n  {}\n", t.name, t.summary));
        let files: Vec<String> = t
            .files
            .iter()
            .map(|f| match f.each {
                Each::OnceWhen(when) => format!("{} ({})", readable_path(f), when.describe()),
                _ => readable_path(f),
            })
            .collect();
        text.push_str(&format!("  files: {}\n", files.join(", ")));
        let mut templates: Vec<&str> = t.files.iter().map(|f| f.template).collect();
        templates.extend(
            PARTIALS
                .iter()
                .map(|(name, _)| *name)
                .filter(|name| name.split('/').next() == Some(t.name)),
        );
        text.push_str(&format!(
            "  templates (--templates DIR replaces DIR/NAME.hbs): {}\n",
            templates.join(", ")
        ));
        text.push_str(&format!(
            "  names: at most {} characters\n",
            t.names.max_len
        ));
        for l in t.profile {
            text.push_str(&format!("  limit: {} {}\n", l.what, l.value));
        }
    }
    stdout_write(text.as_bytes())?;
    Ok(exit::SUCCESS)
}

/// A file's path as a person reads it: each `{{...}}` placeholder becomes
/// what it stands for in angle brackets (`edl/<rule>.txt`).
fn readable_path(spec: &FileSpec) -> String {
    let mut out = String::new();
    let mut rest = spec.path;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let field = rest[start + 2..start + len].trim();
        out.push_str(match field {
            "rule.ident" => "<rule>",
            "family.name" => "<ipv4|ipv6>",
            "family.ident" => "<rule>_<v4|v6>",
            "item.name" => "<list>",
            "item.file" => "<call>.json",
            other => other,
        });
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_path_reads_without_template_syntax() {
        for t in TARGETS {
            for spec in t.files {
                let path = readable_path(spec);
                assert!(!path.contains('{') && !path.contains('}'), "{path}");
            }
        }
    }
}
