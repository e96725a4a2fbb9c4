//! Change reports: a [`Diff`] as text for a terminal, markdown for a pull
//! request or ticket, JSON for automation, and one self-contained HTML page
//! for a change-review board (no remote scripts, styles or fonts; the chart is
//! inline SVG).

use super::helpers::{self, Quote};
use crate::diff::{Counts, Diff, Status, TagChange};
use crate::error::{Error, Result};
use handlebars::Handlebars;
use serde::Serialize;
use std::fmt::Write as _;

/// One release's prefix counts, for the chart.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryPoint {
    /// Label on the axis (file name or date).
    pub label: String,
    /// Prefix count per tag.
    pub counts: std::collections::BTreeMap<String, usize>,
}

/// At most this many tags get a row in summaries and a series in the chart
/// when the diff covers many tags; the rest are counted.
const MAX_LISTED: usize = 60;

/// The tags a summary lists: all of a small diff, the changed ones otherwise.
fn listed(diff: &Diff) -> Vec<&TagChange> {
    if diff.tags.len() <= 20 {
        return diff.tags.iter().collect();
    }
    diff.tags
        .iter()
        .filter(|t| t.status != Status::Unchanged)
        .take(MAX_LISTED)
        .collect()
}

/// A count of addresses, IPv6 in /64s once it is that large.
pub fn human(c: &Counts) -> String {
    let mut parts = Vec::new();
    if c.ipv4 > 0 {
        parts.push(format!("{} IPv4", group(c.ipv4)));
    }
    if c.ipv6 > 0 {
        if c.ipv6 >= 1 << 64 {
            parts.push(format!("{} IPv6 /64s", group(c.ipv6 >> 64)));
        } else {
            parts.push(format!("{} IPv6", group(c.ipv6)));
        }
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join(" + ")
    }
}

fn group(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn cn(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |n| n.to_string())
}

fn status_word(s: &Status) -> &'static str {
    match s {
        Status::Unchanged => "unchanged",
        Status::Reaggregated => "re-aggregated",
        Status::Changed => "changed",
        Status::Appeared => "appeared",
        Status::Disappeared => "disappeared",
    }
}

/// The diff as text for a terminal; `color` adds ANSI colours.
pub fn text(diff: &Diff, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let safe = |s: &str| Quote::Comment.apply(s);
    let mut out = String::new();
    let s = &diff.summary;
    let _ = writeln!(
        out,
        "{} {} ({}, changeNumber {}) -> {} ({}, changeNumber {})",
        paint("1", "tagwall diff:"),
        safe(&diff.from.file),
        diff.from.cloud,
        diff.from.change_number,
        safe(&diff.to.file),
        diff.to.cloud,
        diff.to.change_number
    );
    let _ = writeln!(
        out,
        "{} tags compared: {} changed, {} re-aggregated, {} appeared, {} disappeared, {} unchanged; prefixes: +{} -{}",
        s.compared,
        s.changed,
        s.reaggregated,
        s.appeared,
        s.disappeared,
        s.unchanged,
        s.added_prefixes,
        s.removed_prefixes
    );
    let rows = listed(diff);
    if !rows.is_empty() {
        let width = rows
            .iter()
            .map(|t| t.name.chars().count())
            .max()
            .unwrap_or(3)
            .max(3);
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "  {:<width$}  {:<13}  {:<12}  {:<12}  {:>6}  {:>6}",
            "TAG", "STATUS", "CHANGE#", "PREFIXES", "ADDED", "REMOVED"
        );
        for t in &rows {
            let _ = writeln!(
                out,
                "  {:<width$}  {:<13}  {:<12}  {:<12}  {:>6}  {:>6}",
                safe(&t.name),
                status_word(&t.status),
                format!("{} -> {}", cn(t.change_number.from), cn(t.change_number.to)),
                format!("{} -> {}", t.prefixes.from, t.prefixes.to),
                // A count of zero is not coloured: a red "-0" reads as a loss.
                match t.added.len() {
                    0 => "+0".to_string(),
                    n => paint("32", &format!("+{n}")),
                },
                match t.removed.len() {
                    0 => "-0".to_string(),
                    n => paint("31", &format!("-{n}")),
                },
            );
        }
        if rows.len() < diff.tags.len() - s.unchanged {
            let _ = writeln!(
                out,
                "  ... and {} more changed tags",
                diff.tags.len() - s.unchanged - rows.len()
            );
        }
    }
    for t in diff.tags.iter().filter(|t| t.is_change()) {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} ({}, changeNumber {} -> {}): +{} / -{} addresses",
            paint("1", &safe(&t.name)),
            status_word(&t.status),
            cn(t.change_number.from),
            cn(t.change_number.to),
            human(&t.added_addresses),
            human(&t.removed_addresses)
        );
        for p in &t.added {
            let _ = writeln!(out, "  {}", paint("32", &format!("+ {p}")));
        }
        for p in &t.removed {
            let _ = writeln!(out, "  {}", paint("31", &format!("- {p}")));
        }
    }
    if !diff.rules.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint("1", "Rules"));
        for r in &diff.rules {
            let _ = writeln!(
                out,
                "  {}: {} -> {} prefixes, +{} / -{} addresses",
                safe(&r.name),
                r.prefixes.from,
                r.prefixes.to,
                human(&r.added_addresses),
                human(&r.removed_addresses)
            );
        }
    }
    out
}

/// The diff as JSON for automation.
pub fn json(diff: &Diff) -> Result<String> {
    let mut s = serde_json::to_string_pretty(diff).map_err(|e| Error::Internal {
        what: "diff.json".into(),
        message: e.to_string(),
    })?;
    s.push('\n');
    Ok(s)
}

fn engine() -> Result<Handlebars<'static>> {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.set_prevent_indent(true);
    hb.register_escape_fn(handlebars::no_escape);
    helpers::register(&mut hb);
    for (name, text) in [
        (
            "diff.md",
            include_str!("../../templates/report/diff.md.hbs"),
        ),
        (
            "diff.html",
            include_str!("../../templates/report/diff.html.hbs"),
        ),
    ] {
        hb.register_template_string(name, text)
            .map_err(|e| Error::Template {
                name: name.into(),
                message: e.to_string(),
            })?;
    }
    Ok(hb)
}

/// The context of the markdown and HTML change reports: the [`Diff`] as its
/// JSON has it, plus rows made for reading.
#[derive(Debug, Serialize)]
pub struct ReportContext<'a> {
    /// `from`, `to`, `tags`, `rules` and `summary`, as `diff.json` has them.
    #[serde(flatten)]
    pub diff: &'a Diff,
    /// The tags a summary lists: all of a small diff, at most 60 changed
    /// ones otherwise.
    pub rows: Vec<TagRow>,
    /// Every tag whose addresses changed, or that came or went.
    pub details: Vec<TagDetail>,
    /// Every policy rule (empty unless the diff is of a policy).
    pub rule_rows: Vec<RuleRow>,
    /// Rules whose removals a grace period withholds (`tagwall run
    /// --grace`), each with the prefixes kept for now.
    pub withheld: Vec<WithheldRow>,
    /// How many changed tags `rows` leaves out.
    pub more: usize,
    /// True when any address changed or any tag came or went.
    pub changed: bool,
    /// An inline SVG bar chart of prefix counts per listed tag and release.
    pub chart: String,
}

/// A rule's removals that a grace period withholds.
#[derive(Clone, Debug, Serialize)]
pub struct WithheldRow {
    /// The rule's name.
    pub name: String,
    /// The prefixes kept for now, in numeric order.
    pub prefixes: Vec<String>,
}

/// A tag's row in the summary table.
#[derive(Clone, Debug, Serialize)]
pub struct TagRow {
    /// The tag's name.
    pub name: String,
    /// `unchanged`, `re-aggregated`, `changed`, `appeared` or `disappeared`.
    pub status: &'static str,
    /// `<before> → <after>` (`-` where absent).
    pub change_number: String,
    /// Published prefix counts, `<before> → <after>`.
    pub prefixes: String,
    /// How many minimal prefixes of space were added.
    pub added: usize,
    /// How many were removed.
    pub removed: usize,
    /// Addresses added, for reading (see [`human`]).
    pub added_addresses: String,
    /// Addresses removed, for reading.
    pub removed_addresses: String,
}

/// A changed tag's detail section.
#[derive(Clone, Debug, Serialize)]
pub struct TagDetail {
    /// The tag's name.
    pub name: String,
    /// `changed`, `appeared` or `disappeared`.
    pub status: &'static str,
    /// `<before> → <after>` (`-` where absent).
    pub change_number: String,
    /// Minimal prefixes of the space added.
    pub added: Vec<String>,
    /// Minimal prefixes of the space removed.
    pub removed: Vec<String>,
    /// Addresses added, for reading (see [`human`]).
    pub added_addresses: String,
    /// Addresses removed, for reading.
    pub removed_addresses: String,
}

/// A policy rule's row.
#[derive(Clone, Debug, Serialize)]
pub struct RuleRow {
    /// The rule's name.
    pub name: String,
    /// Its tags, joined with `, `.
    pub tags: String,
    /// Minimal prefix counts, `<before> → <after>`.
    pub prefixes: String,
    /// Addresses added, for reading (see [`human`]).
    pub added_addresses: String,
    /// Addresses removed, for reading.
    pub removed_addresses: String,
}

fn change_numbers(t: &TagChange) -> String {
    format!("{} → {}", cn(t.change_number.from), cn(t.change_number.to))
}

fn context<'a>(diff: &'a Diff, history: &[HistoryPoint]) -> ReportContext<'a> {
    let listed = listed(diff);
    let rows = listed
        .iter()
        .map(|t| TagRow {
            name: t.name.clone(),
            status: status_word(&t.status),
            change_number: change_numbers(t),
            prefixes: format!("{} → {}", t.prefixes.from, t.prefixes.to),
            added: t.added.len(),
            removed: t.removed.len(),
            added_addresses: human(&t.added_addresses),
            removed_addresses: human(&t.removed_addresses),
        })
        .collect();
    let details = diff
        .tags
        .iter()
        .filter(|t| t.is_change())
        .map(|t| TagDetail {
            name: t.name.clone(),
            status: status_word(&t.status),
            change_number: change_numbers(t),
            added: t.added.iter().map(ToString::to_string).collect(),
            removed: t.removed.iter().map(ToString::to_string).collect(),
            added_addresses: human(&t.added_addresses),
            removed_addresses: human(&t.removed_addresses),
        })
        .collect();
    let rule_rows = diff
        .rules
        .iter()
        .map(|r| RuleRow {
            name: r.name.clone(),
            tags: r.tags.join(", "),
            prefixes: format!("{} → {}", r.prefixes.from, r.prefixes.to),
            added_addresses: human(&r.added_addresses),
            removed_addresses: human(&r.removed_addresses),
        })
        .collect();
    let shown = listed
        .iter()
        .filter(|t| t.status != Status::Unchanged)
        .count();
    ReportContext {
        diff,
        rows,
        details,
        rule_rows,
        withheld: diff
            .rules
            .iter()
            .filter(|r| !r.withheld.is_empty())
            .map(|r| WithheldRow {
                name: r.name.clone(),
                prefixes: r.withheld.iter().map(ToString::to_string).collect(),
            })
            .collect(),
        more: diff.tags.len() - diff.summary.unchanged - shown,
        changed: diff.has_changes(),
        chart: chart(diff, history),
    }
}

fn run(name: &str, diff: &Diff, history: &[HistoryPoint]) -> Result<String> {
    let hb = engine()?;
    let ctx = serde_json::to_value(context(diff, history)).map_err(|e| Error::Internal {
        what: "the diff".into(),
        message: e.to_string(),
    })?;
    hb.render(name, &ctx).map_err(|e| Error::Template {
        name: name.into(),
        message: e.to_string(),
    })
}

/// The diff as markdown for a pull request or ticket.
pub fn markdown(diff: &Diff) -> Result<String> {
    run("diff.md", diff, &[])
}

/// The diff as one self-contained HTML page, with a chart of prefix counts
/// per tag over `history` (the two compared releases when empty).
pub fn html(diff: &Diff, history: &[HistoryPoint]) -> Result<String> {
    run("diff.html", diff, history)
}

/// An inline SVG bar chart: prefix counts per listed tag, one bar per release.
fn chart(diff: &Diff, history: &[HistoryPoint]) -> String {
    let tags: Vec<&str> = listed(diff)
        .iter()
        .map(|t| t.name.as_str())
        .take(12)
        .collect();
    let fallback;
    let history = if history.is_empty() {
        let point = |label: &str, to: bool| HistoryPoint {
            label: label.to_string(),
            counts: diff
                .tags
                .iter()
                .map(|t| {
                    (
                        t.name.clone(),
                        if to { t.prefixes.to } else { t.prefixes.from },
                    )
                })
                .collect(),
        };
        fallback = [point(&diff.from.file, false), point(&diff.to.file, true)];
        &fallback[..]
    } else {
        history
    };
    let max = history
        .iter()
        .flat_map(|h| tags.iter().filter_map(|t| h.counts.get(*t)))
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let palette = [
        "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
    ];
    let (bar, label_w, row_h) = (14usize, 260usize, history.len() * 14 + 10);
    let width = label_w + 480;
    let height = tags.len() * row_h + 40 + history.len() * 18;
    let esc = |s: &str| Quote::Html.apply(s);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Prefix counts per tag and release" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    for (ti, tag) in tags.iter().enumerate() {
        let y0 = ti * row_h + 10;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            label_w - 8,
            y0 + row_h / 2,
            esc(tag)
        );
        for (hi, h) in history.iter().enumerate() {
            let n = h.counts.get(*tag).copied().unwrap_or(0);
            let w = n * 400 / max;
            let y = y0 + hi * bar;
            let _ = write!(
                svg,
                r#"<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{}" fill="{}"><title>{}: {n}</title></rect><text x="{}" y="{}">{n}</text>"#,
                bar - 2,
                palette[hi % palette.len()],
                esc(&h.label),
                label_w + w + 4,
                y + bar - 4
            );
        }
    }
    let ly = tags.len() * row_h + 24;
    for (hi, h) in history.iter().enumerate() {
        let y = ly + hi * 18;
        let _ = write!(
            svg,
            r#"<rect x="{label_w}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            y,
            palette[hi % palette.len()],
            label_w + 18,
            y + 10,
            esc(&h.label)
        );
    }
    svg.push_str("</svg>");
    svg
}
