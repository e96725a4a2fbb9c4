//! The command line: clap turns arguments into plain options, and each
//! command calls the library. Only this module knows clap; only this module
//! prints. Errors print as one message with their cause chain, and a closed
//! pipe (`tagwall show ... | head`) ends the program quietly.

use crate::aggregate::AddressSet;
use crate::error::{Error, Result, exit};
use crate::pipeline::{self, BuildOptions};
use crate::policy::{FamilyFilter, NsgMode, Policy, Rule};
use crate::render::TARGETS;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// Compile Azure Service Tags into firewall configuration.
#[derive(Parser, Debug)]
#[command(name = "tagwall", version, about, max_term_width = 100)]
struct Cli {
    /// Print errors only (no warnings or notes).
    #[arg(short, long, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the tags of a Service Tags file: region, IPv4 and IPv6 counts, changeNumber.
    Tags {
        /// Service Tags file (.json or .json.gz); default: the newest bundled release.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Only tags whose name contains PATTERN, or matches it as a glob (case-insensitive).
        pattern: Option<String>,
    },
    /// Print the aggregated prefixes of tags, one CIDR a line, IPv4 first.
    Show {
        /// Service Tags file (.json or .json.gz); default: the newest bundled release.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Only this address family.
        #[arg(long, value_enum)]
        family: Option<FamilyArg>,
        /// Tag names or glob patterns (`MicrosoftContainerRegistry.*`).
        #[arg(required = true, value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Aggregate a plain list of CIDR prefixes (one a line, `#` comments) into the minimal list.
    Aggregate {
        /// The list; standard input when absent.
        file: Option<PathBuf>,
    },
    /// Render firewall configuration for every target (or those named) into an output folder.
    Build(BuildArgs),
    /// List the targets with their files and limits.
    Targets,
    /// Write the default policy, with comments, as a file to start from.
    Init {
        /// Where to write it.
        #[arg(default_value = "tagwall.toml")]
        path: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args, Debug)]
struct BuildArgs {
    /// Service Tags file (.json or .json.gz); default: the newest bundled release.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Policy file (TOML); default: the built-in Arc Private Link policy.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Every tag of the file as its own rule (an export of the whole file).
    #[arg(long)]
    all_tags: bool,
    /// The previous release (.json or .json.gz): targets also write delta commands.
    #[arg(long, value_name = "FILE")]
    previous: Option<PathBuf>,
    /// Render only this target (repeatable); default: all. See `tagwall targets`.
    #[arg(long = "target", short = 't', value_name = "NAME")]
    targets: Vec<String>,
    /// Output folder; replaced as a whole.
    #[arg(long, default_value = "out", value_name = "DIR")]
    out: PathBuf,
    /// Folder of templates that replace the built-in ones (`azure-nsg/arm.json.hbs` ...).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Azure NSG: name the service tag, or write its prefixes (overrides the policy).
    #[arg(long, value_enum)]
    nsg_mode: Option<NsgModeArg>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FamilyArg {
    Ipv4,
    Ipv6,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum NsgModeArg {
    ServiceTag,
    Prefixes,
}

/// Run the command line and return the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::ERROR
            } else {
                exit::SUCCESS
            };
        }
    };
    let quiet = cli.quiet;
    match run(cli) {
        Ok(code) => code,
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            exit::SUCCESS
        }
        Err(e) => {
            report_error(&e, quiet);
            e.exit_code()
        }
    }
}

fn report_error(e: &Error, _quiet: bool) {
    let mut text = format!("tagwall: error: {e}");
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(&format!("\n  caused by: {c}"));
        cause = c.source();
    }
    eprintln!("{text}");
}

fn warn(quiet: bool, message: &str) {
    if !quiet {
        eprintln!("tagwall: warning: {message}");
    }
}

fn note(quiet: bool, message: &str) {
    if !quiet {
        eprintln!("tagwall: {message}");
    }
}

fn run(cli: Cli) -> Result<i32> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Tags { input, pattern } => tags(input.as_deref(), pattern.as_deref()),
        Command::Show {
            input,
            family,
            tags,
        } => show(input.as_deref(), family, tags, quiet),
        Command::Aggregate { file } => aggregate(file.as_deref()),
        Command::Build(args) => build(args, quiet),
        Command::Targets => targets(),
        Command::Init { path, force } => init(&path, force, quiet),
    }
}

/// Write to stdout; a closed pipe becomes a quiet exit, not an error.
fn stdout_write(text: &[u8]) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    out.write_all(text)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("cannot write to", "standard output", e))
}

fn tags(input: Option<&Path>, pattern: Option<&str>) -> Result<i32> {
    let loaded = pipeline::load_input(input)?;
    let file = loaded.parse()?;
    let matcher = pattern.map(|p| {
        let lower = p.to_ascii_lowercase();
        move |name: &str| {
            let name = name.to_ascii_lowercase();
            if lower.contains(['*', '?']) {
                wildmatch::WildMatch::new(&lower).matches(&name)
            } else {
                name.contains(&lower)
            }
        }
    });
    let rows: Vec<_> = file
        .tags
        .iter()
        .filter(|t| matcher.as_ref().is_none_or(|m| m(&t.name)))
        .collect();
    let width = rows
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let rwidth = rows
        .iter()
        .map(|t| t.region.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut text = format!(
        "{:<width$}  {:<rwidth$}  {:>6}  {:>6}  {:>6}\n",
        "NAME", "REGION", "IPV4", "IPV6", "CHANGE"
    );
    for t in &rows {
        let (v4, v6) = t.family_counts();
        let name = crate::render::helpers::Quote::Comment.apply(&t.name);
        text.push_str(&format!(
            "{name:<width$}  {:<rwidth$}  {v4:>6}  {v6:>6}  {:>6}\n",
            t.region, t.change_number
        ));
    }
    stdout_write(text.as_bytes())?;
    Ok(if rows.is_empty() && pattern.is_some() {
        eprintln!("tagwall: no tag matches {:?}", pattern.unwrap_or_default());
        exit::ERROR
    } else {
        exit::SUCCESS
    })
}

fn show(
    input: Option<&Path>,
    family: Option<FamilyArg>,
    tags: Vec<String>,
    quiet: bool,
) -> Result<i32> {
    let loaded = pipeline::load_input(input)?;
    let file = loaded.parse()?;
    let mut rule: Rule = Policy::builtin().rules[0].clone();
    rule.name = "show".into();
    rule.description = None;
    rule.tags = tags;
    rule.family = match family {
        None => FamilyFilter::Both,
        Some(FamilyArg::Ipv4) => FamilyFilter::Ipv4,
        Some(FamilyArg::Ipv6) => FamilyFilter::Ipv6,
    };
    let policy = Policy {
        options: Default::default(),
        rules: vec![rule],
    };
    let selection = match crate::select::select(&file, &policy, "command line") {
        Ok(s) => s,
        Err(Error::EmptyRule { family, .. }) => {
            note(quiet, &format!("the tags hold no {family} prefix"));
            return Ok(exit::SUCCESS);
        }
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    for net in selection.rules[0].set.prefixes() {
        text.push_str(&net.to_string());
        text.push('\n');
    }
    stdout_write(text.as_bytes())?;
    Ok(exit::SUCCESS)
}

fn aggregate(file: Option<&Path>) -> Result<i32> {
    let (name, text) = match file {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).map_err(|e| Error::io("cannot read", p, e))?,
        ),
        None => {
            let mut s = String::new();
            io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::io("cannot read", "standard input", e))?;
            ("<stdin>".to_string(), s)
        }
    };
    let nets = crate::source::parse_prefix_list(&text, &name)?;
    let set = AddressSet::from_prefixes(&nets);
    let mut out = String::with_capacity(nets.len() * 16);
    use std::fmt::Write as _;
    for n in set.v4_prefixes() {
        let _ = writeln!(out, "{n}");
    }
    for n in set.v6_prefixes() {
        let _ = writeln!(out, "{n}");
    }
    stdout_write(out.as_bytes())?;
    Ok(exit::SUCCESS)
}

fn build(args: BuildArgs, quiet: bool) -> Result<i32> {
    if args.policy.is_none() && !args.all_tags && Path::new("tagwall.toml").is_file() {
        note(
            quiet,
            "using the built-in policy; pass --policy tagwall.toml to use the file in this folder",
        );
    }
    let opts = BuildOptions {
        input: args.input,
        policy: args.policy,
        previous: args.previous,
        all_tags: args.all_tags,
        targets: args.targets,
        out: args.out,
        templates: args.templates,
        nsg_mode: args.nsg_mode.map(|m| match m {
            NsgModeArg::ServiceTag => NsgMode::ServiceTag,
            NsgModeArg::Prefixes => NsgMode::Prefixes,
        }),
    };
    let report = pipeline::build(&opts)?;
    for w in &report.warnings {
        warn(quiet, w);
    }
    note(
        quiet,
        &format!(
            "wrote {} files for {} rules ({}) to {} from {} ({}, changeNumber {})",
            report.files,
            report.rules,
            report.targets.join(", "),
            report.out.display(),
            report.input.file,
            report.input.cloud,
            report.input.change_number
        ),
    );
    Ok(exit::SUCCESS)
}

fn targets() -> Result<i32> {
    let mut text = String::new();
    for t in TARGETS {
        text.push_str(&format!("{}\n  {}\n", t.name, t.summary));
        let files: Vec<&str> = t
            .files
            .iter()
            .filter(|f| f.each != crate::render::Each::Partial)
            .map(|f| f.path)
            .collect();
        text.push_str(&format!("  files: {}\n", files.join(", ")));
        text.push_str(&format!(
            "  names: at most {} characters\n",
            t.names.max_len
        ));
        for l in t.limits {
            text.push_str(&format!("  limit: {} {}\n", l.what, l.value));
        }
    }
    stdout_write(text.as_bytes())?;
    Ok(exit::SUCCESS)
}

fn init(path: &Path, force: bool, quiet: bool) -> Result<i32> {
    if path.exists() && !force {
        return Err(Error::Usage(format!(
            "{} exists; pass --force to replace it",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io("cannot write in", dir, e))?;
    crate::write::write_synced(tmp.path(), crate::policy::DEFAULT_POLICY_TOML.as_bytes())?;
    tmp.persist(path)
        .map_err(|e| Error::io("cannot write", path, e.error))?;
    note(
        quiet,
        &format!("wrote the default policy to {}", path.display()),
    );
    Ok(exit::SUCCESS)
}
