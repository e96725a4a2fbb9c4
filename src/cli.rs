//! The command line: clap turns arguments into plain options, and each
//! command calls the library. Only this module knows clap; only this module
//! prints. Errors print as one message with their cause chain, and a closed
//! pipe (`tagwall show ... | head`) ends the program quietly.

use crate::error::{Error, Result, exit};
use crate::fetch::{self, FetchOptions, Observer, Outcome, Source};
use crate::pipeline::{self, BuildOptions};
use crate::policy::{FamilyFilter, NsgMode, Policy, Rule};
use crate::release::{CLOUDS, Cloud};
use crate::render::TARGETS;
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::cell::RefCell;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Download the newest Service Tags release into a state folder, safely.
    ///
    /// Exit codes: 0 fetched or already current, 2 error (network, bad content),
    /// 3 refused by a guard rail (an older changeNumber, a host that is not allowed).
    /// Any failure leaves the state folder as it was.
    Fetch(FetchArgs),
    /// The unattended job: fetch, check the guard rails, render and write, all or nothing.
    Run(Box<RunArgs>),
    /// Show what changed between two releases, per tag and per rule (exit 1 when addresses changed).
    Diff(DiffArgs),
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
    /// State folder (see `tagwall fetch`): build from its current release, with its previous
    /// release as --previous unless that is given.
    #[arg(long, value_name = "DIR", conflicts_with = "input")]
    state: Option<PathBuf>,
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

#[derive(Args, Debug)]
struct FetchArgs {
    /// The cloud whose release to fetch.
    #[arg(long, value_parser = cloud_arg(), default_value = "public")]
    cloud: Cloud,
    /// A details page or a file URL (a mirror, a pinned release), or a local .json / .json.gz
    /// file; default: Microsoft's download details page for the cloud.
    #[arg(long, value_name = "URL|FILE")]
    from: Option<String>,
    /// State folder: the kept releases, their index, the current release.
    #[arg(long, default_value = "state", value_name = "DIR")]
    state: PathBuf,
    /// Accept a release whose changeNumber is lower than the current release's (or equal,
    /// with other bytes), and make it current.
    #[arg(long)]
    allow_older: bool,
    /// Also allow links and redirects to HOST (repeatable). Always allowed: the first URL's own
    /// host (Microsoft's details page, or --from) and download.microsoft.com.
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,
    /// Allow plain http to hosts that are not loopback addresses (a mirror on a trusted
    /// network); certificates are what protect the file, so avoid this.
    #[arg(long)]
    allow_http: bool,
    /// Also trust the certificate authorities in this PEM file (repeatable): a mirror's or an
    /// inspecting proxy's own CA.
    #[arg(long = "ca-cert", value_name = "FILE")]
    ca_certs: Vec<PathBuf>,
    /// Limit on connecting to a server (TCP and TLS), e.g. 15s.
    #[arg(long, default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    connect_timeout: Duration,
    /// Limit on one whole request, body included, e.g. 2m.
    #[arg(long, default_value = "2m", value_parser = parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// Retries after a timeout, a broken connection or an HTTP 5xx (never after a 4xx).
    #[arg(long, default_value_t = 3, value_name = "N")]
    retries: u32,
    /// Wait before the first retry; doubled for each further one (at most 1m).
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DURATION")]
    retry_delay: Duration,
    /// Largest body accepted, after decompression (K, M, G are powers of 1024).
    #[arg(long, default_value = "64M", value_parser = parse_size, value_name = "SIZE")]
    max_size: u64,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Configuration: a tagwall.toml with the policy's [[rule]]s and a [run] table. Without it,
    /// the built-in policy and the defaults below.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The cloud whose release to fetch [default: public].
    #[arg(long, value_parser = cloud_arg())]
    cloud: Option<Cloud>,
    /// A details page or file URL (a mirror), or a local file [default: Microsoft's page].
    #[arg(long, value_name = "URL|FILE")]
    from: Option<String>,
    /// State folder [default: state].
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Output folder; the one it replaces is kept as DIR.previous [default: out].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Render only this target (repeatable) [default: all].
    #[arg(long = "target", short = 't', value_name = "NAME")]
    targets: Vec<String>,
    /// Folder of templates that replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Fetch and report what would change; write nothing (neither outputs nor state).
    #[arg(long)]
    dry_run: bool,
    /// Exit 0 when nothing changed, 1 when the outputs changed (or would, with --dry-run).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Override one guard rail (repeatable): removal, older or age. The report says so.
    #[arg(long = "force", value_name = "NAME")]
    force: Vec<String>,
    /// Refuse a release that removes more than this percentage of a rule's addresses
    /// [default: 10].
    #[arg(long, value_name = "PERCENT")]
    max_removal: Option<u32>,
    /// Refuse a release older than this many days (by the date in its file name).
    #[arg(long, value_name = "DAYS")]
    max_age: Option<u32>,
    /// Keep addresses Microsoft removes in the outputs this many days [default: 0].
    #[arg(long, value_name = "DAYS")]
    grace: Option<u32>,
    /// Command run (by sh) after the outputs changed; $1 and TAGWALL_REPORT hold the change
    /// report's path, TAGWALL_OUT the output folder.
    #[arg(long, value_name = "COMMAND")]
    on_change: Option<String>,
    /// Wait this long for another run to finish, e.g. 60s [default: 60s].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    lock_timeout: Option<Duration>,
    /// Also allow links and redirects to HOST (repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_hosts: Vec<String>,
    /// Also trust the certificate authorities in this PEM file (repeatable).
    #[arg(long = "ca-cert", value_name = "FILE")]
    ca_certs: Vec<PathBuf>,
    /// Allow plain http to hosts that are not loopback addresses.
    #[arg(long)]
    allow_http: bool,
    /// Limit on one whole request, body included, e.g. 2m.
    #[arg(long, default_value = "2m", value_parser = parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// Retries after a timeout, a broken connection or an HTTP 5xx.
    #[arg(long, default_value_t = 3, value_name = "N")]
    retries: u32,
    /// Say what each step does.
    #[arg(short, long)]
    verbose: bool,
}

/// The values of `--cloud`, with their help, from the clouds' table.
fn cloud_arg() -> impl TypedValueParser<Value = Cloud> {
    PossibleValuesParser::new(
        CLOUDS
            .iter()
            .map(|f| PossibleValue::new(f.arg).help(f.description)),
    )
    .try_map(|name| Cloud::from_arg(&name).ok_or("not a cloud"))
}

/// Parse a duration: a number with `ms`, `s`, `m` or `h` (seconds when bare).
fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration such as 500ms, 15s or 2m"))?;
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("{text:?}: unknown unit; use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(value * scale).map_err(|e| format!("{text:?}: {e}"))
}

/// Parse a size in bytes: a number with `K`, `M` or `G` (powers of 1024; `KB`,
/// `KiB` and lower case are the same).
fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size such as 64M or 500K"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("{text:?}: unknown unit; use K, M or G")),
    };
    value
        .checked_mul(1 << shift)
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} is not a usable size"))
}

#[derive(Args, Debug)]
struct DiffArgs {
    /// The old release (.json or .json.gz).
    #[arg(required_unless_present = "state")]
    old: Option<PathBuf>,
    /// The new release (.json or .json.gz).
    #[arg(required_unless_present = "state")]
    new: Option<PathBuf>,
    /// State folder (see `tagwall fetch`): compare its previous release with its current one,
    /// instead of OLD and NEW.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["old", "new"])]
    state: Option<PathBuf>,
    /// Compare the tags and rules of this policy (default: the built-in policy).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tags", "all"])]
    policy: Option<PathBuf>,
    /// Compare these tags (names or glob patterns; repeatable) instead of a policy's.
    #[arg(long = "tag", value_name = "TAG", conflicts_with = "all")]
    tags: Vec<String>,
    /// Compare every tag of both releases.
    #[arg(long)]
    all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,
    /// Colour in text output.
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Text,
    Markdown,
    Json,
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
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
    if let Err(e) = crate::interrupt::install() {
        report_error(&e, quiet);
        return e.exit_code();
    }
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
        Command::Fetch(args) => fetch_release(args, quiet),
        Command::Run(args) => run_job(*args, quiet),
        Command::Diff(args) => diff(args),
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
        targets: Default::default(),
        run: Default::default(),
    };
    let selection = match crate::select::select(&file, policy, "command line") {
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
    let set = crate::source::parse_prefix_set(&text, &name)?;
    let mut out = String::with_capacity(set.v4.ranges().len() * 18);
    for (addr, len) in set.v4.prefixes() {
        crate::aggregate::push_v4_prefix(&mut out, addr, len);
        out.push('\n');
    }
    for (addr, len) in set.v6.prefixes() {
        crate::aggregate::push_v6_prefix(&mut out, addr, len);
        out.push('\n');
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
        state: args.state,
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
    let deltas = report
        .previous
        .as_ref()
        .map(|p| format!("; deltas against {p}"))
        .unwrap_or_default();
    note(
        quiet,
        &format!(
            "wrote {} files for {} rules ({}) to {} from {} ({}, changeNumber {}){deltas}",
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

fn fetch_release(args: FetchArgs, quiet: bool) -> Result<i32> {
    let mut allow_hosts: Vec<String> = fetch::DEFAULT_ALLOWED_HOSTS
        .iter()
        .map(|h| h.to_string())
        .collect();
    allow_hosts.extend(args.allow_hosts);
    let opts = FetchOptions {
        cloud: args.cloud,
        from: args.from.as_deref().map(Source::parse),
        state: args.state,
        allow_older: args.allow_older,
        allow_hosts,
        allow_http: args.allow_http,
        ca_certs: args.ca_certs,
        connect_timeout: args.connect_timeout,
        timeout: args.timeout,
        retries: args.retries,
        retry_delay: args.retry_delay,
        max_size: args.max_size,
    };
    let progress = Progress {
        bar: RefCell::new(None),
        draw: !quiet && io::stderr().is_terminal(),
        quiet,
    };
    let report = fetch::fetch(&opts, &progress)?;
    let r = &report.release;
    let what = format!("{} ({}, changeNumber {})", r.file, r.cloud, r.change_number);
    let message = match report.outcome {
        Outcome::Added => format!(
            "fetched {what} from {} into {}",
            report.source,
            report.path.display()
        ),
        Outcome::Reinstated => format!(
            "{what}, already kept at {}, is the current release again",
            report.path.display()
        ),
        Outcome::AlreadyCurrent => format!(
            "already current: {what}; {} has the same bytes",
            report.source
        ),
        Outcome::NotModified => format!(
            "already current: {what}; {} is not modified since it was fetched",
            report.source
        ),
    };
    note(quiet, &message);
    if let Some(old) = &report.replaced {
        if old.change_number > r.change_number {
            warn(
                quiet,
                &format!(
                    "{} has a lower changeNumber than {} (changeNumber {}), which it replaces \
                     as the current release because of --allow-older",
                    r.file, old.file, old.change_number
                ),
            );
        } else {
            note(
                quiet,
                &format!(
                    "it replaces {} (changeNumber {}) as the current release",
                    old.file, old.change_number
                ),
            );
        }
    }
    Ok(exit::SUCCESS)
}

fn run_job(args: RunArgs, quiet: bool) -> Result<i32> {
    use crate::guard::Rail;
    use crate::run::{self, Fetched, RunOptions};
    let info = |message: &str| {
        if args.verbose && !quiet {
            eprintln!("tagwall: {message}");
        }
    };
    let config = match &args.config {
        Some(path) => Some(pipeline::load_policy(Some(path))?),
        None => {
            if Path::new("tagwall.toml").is_file() {
                note(
                    quiet,
                    "using the built-in policy; pass --config tagwall.toml to use the file in this folder",
                );
            }
            None
        }
    };
    let settings = config
        .as_ref()
        .map(|c| c.policy.run.clone())
        .unwrap_or_default();
    // `[run] cloud` was checked against the same names when the policy was read.
    let cloud = args
        .cloud
        .or_else(|| settings.cloud.as_deref().and_then(Cloud::from_arg))
        .unwrap_or(Cloud::Public);
    let mut force = std::collections::BTreeSet::new();
    for name in &args.force {
        let rail = Rail::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Rail::ALL.iter().map(|r| r.as_str()).collect();
            Error::Usage(format!(
                "--force {name}: no such guard rail (known: {})",
                known.join(", ")
            ))
        })?;
        force.insert(rail);
    }
    let mut allow_hosts: Vec<String> = fetch::DEFAULT_ALLOWED_HOSTS
        .iter()
        .map(|h| h.to_string())
        .collect();
    allow_hosts.extend(settings.allow_hosts.clone().unwrap_or_default());
    allow_hosts.extend(args.allow_hosts);
    let state = args
        .state
        .or(settings.state)
        .unwrap_or_else(|| PathBuf::from("state"));
    let out = args
        .out
        .or(settings.out)
        .unwrap_or_else(|| PathBuf::from("out"));
    let targets = if args.targets.is_empty() {
        settings.targets.unwrap_or_default()
    } else {
        args.targets
    };
    let max_removal = args
        .max_removal
        .or(settings.max_removal_percent)
        .unwrap_or(10);
    if max_removal > 100 {
        return Err(Error::Usage(format!(
            "--max-removal {max_removal}: a percentage from 0 to 100"
        )));
    }
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_secs() / 86_400) as i64)
        .unwrap_or(0);
    let opts = RunOptions {
        fetch: FetchOptions {
            cloud,
            from: args.from.or(settings.from).as_deref().map(Source::parse),
            state,
            allow_older: false,
            allow_hosts,
            allow_http: args.allow_http,
            ca_certs: args.ca_certs,
            timeout: args.timeout,
            retries: args.retries,
            ..FetchOptions::default()
        },
        policy: args.config.clone(),
        targets,
        out: out.clone(),
        templates: args.templates,
        dry_run: args.dry_run,
        force,
        max_removal: f64::from(max_removal) / 100.0,
        max_age_days: args.max_age.or(settings.max_age_days),
        grace_days: args.grace.or(settings.grace_days).unwrap_or(0),
        lock_timeout: args
            .lock_timeout
            .or(settings.lock_timeout_seconds.map(Duration::from_secs))
            .unwrap_or(Duration::from_secs(60)),
        today,
    };
    info(&format!(
        "state {}, output {}, cloud {}",
        opts.fetch.state.display(),
        opts.out.display(),
        opts.fetch.cloud
    ));
    let progress = Progress {
        bar: RefCell::new(None),
        draw: !quiet && io::stderr().is_terminal(),
        quiet,
    };
    let report = run::run(&opts, &progress)?;
    for w in &report.warnings {
        warn(quiet, w);
    }
    for f in &report.forced {
        warn(
            quiet,
            &format!("guard rail {} overridden by --force: {}", f.rail, f.message),
        );
    }
    let r = &report.release;
    let release = format!("{} ({}, changeNumber {})", r.file, r.cloud, r.change_number);
    info(&match report.fetched {
        Fetched::NotModified => format!("not modified since the last fetch: {release}"),
        Fetched::Same => format!("the current release is unchanged: {release}"),
        Fetched::New => format!("new release: {release}"),
    });
    if report.retained > 0 {
        note(
            quiet,
            &format!(
                "{} removed prefixes stay in the outputs for the grace period",
                report.retained
            ),
        );
    }
    if let Some(summary) = &report.summary
        && (args.verbose || args.dry_run)
        && !quiet
    {
        eprint!("{summary}");
    }
    let verb = match (args.dry_run, report.changed) {
        (true, true) => "would change",
        (true, false) => "would leave unchanged",
        (false, true) => "changed",
        (false, false) => "left unchanged",
    };
    note(quiet, &format!("{verb} {} for {release}", out.display()));
    if report.written
        && let Some(command) = args.on_change.or(settings.on_change)
    {
        let path = report
            .report
            .clone()
            .unwrap_or_else(|| out.join(crate::write::MANIFEST));
        info(&format!(
            "running the on-change command with {}",
            path.display()
        ));
        run::run_hook(&command, &path, &out)?;
    }
    Ok(match (args.detailed_exitcode, report.changed) {
        (true, true) => exit::CHANGED,
        _ => exit::SUCCESS,
    })
}

/// A progress bar on a terminal, and retry warnings.
struct Progress {
    bar: RefCell<Option<indicatif::ProgressBar>>,
    draw: bool,
    quiet: bool,
}

impl Observer for Progress {
    fn retrying(&self, message: &str) {
        self.finished();
        warn(self.quiet, message);
    }

    fn started(&self, url: &str, total: Option<u64>) {
        if !self.draw {
            return;
        }
        let name = url.rsplit('/').next().unwrap_or(url).to_string();
        let (bar, template) = match total {
            Some(n) => (
                indicatif::ProgressBar::new(n),
                "[{bar:25}] {bytes:>10}/{total_bytes:<10} {wide_msg}",
            ),
            None => (
                indicatif::ProgressBar::new_spinner(),
                "{spinner} {bytes:>10} {wide_msg}",
            ),
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(name);
        *self.bar.borrow_mut() = Some(bar);
    }

    fn received(&self, bytes: u64) {
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.inc(bytes);
        }
    }

    fn finished(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

fn diff(args: DiffArgs) -> Result<i32> {
    use crate::diff::Scope;
    use crate::render::report;
    use std::io::IsTerminal;
    let (old_loaded, new_loaded) = match (&args.state, &args.old, &args.new) {
        (Some(dir), None, None) => {
            let (current, previous) = pipeline::load_state(dir)?;
            let previous = previous.ok_or_else(|| Error::State {
                path: dir.clone(),
                message: "only one release is kept here, so there is nothing to compare it with"
                    .into(),
            })?;
            (previous, current)
        }
        (None, Some(old), Some(new)) => (
            crate::source::read_file(old)?,
            crate::source::read_file(new)?,
        ),
        _ => {
            return Err(Error::Usage("give OLD and NEW, or --state DIR".to_string()));
        }
    };
    let (old, new) = (old_loaded.parse()?, new_loaded.parse()?);
    if old.cloud != new.cloud {
        return Err(Error::Usage(format!(
            "{} is of the {} cloud and {} of the {} cloud; compare releases of one cloud",
            old.source, old.cloud, new.source, new.cloud
        )));
    }
    let scope = if args.all {
        Scope::All
    } else if !args.tags.is_empty() {
        Scope::Tags(args.tags)
    } else {
        Scope::Policy(Box::new(
            pipeline::load_policy(args.policy.as_deref())?.policy,
        ))
    };
    let d = crate::diff::diff(
        &old,
        pipeline::provenance(&old_loaded, &old),
        &new,
        pipeline::provenance(&new_loaded, &new),
        &scope,
    )?;
    let text = match args.format {
        FormatArg::Text => {
            let color = match args.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => {
                    io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
                }
            };
            report::text(&d, color)
        }
        FormatArg::Markdown => report::markdown(&d)?,
        FormatArg::Json => report::json(&d)?,
        FormatArg::Html => {
            // With a state folder, the chart follows the kept releases.
            let history = match &args.state {
                Some(dir) => {
                    let names: Vec<&str> = d.tags.iter().map(|t| t.name.as_str()).collect();
                    pipeline::history(dir, &names)?
                }
                None => Vec::new(),
            };
            report::html(&d, &history)?
        }
    };
    stdout_write(text.as_bytes())?;
    Ok(if d.has_changes() {
        exit::CHANGED
    } else {
        exit::SUCCESS
    })
}

fn targets() -> Result<i32> {
    let mut text = String::new();
    for t in TARGETS {
        text.push_str(&format!("{}\n  {}\n", t.name, t.summary));
        let files: Vec<&str> = t.files.iter().map(|f| f.path).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("15").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").is_err());
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("20kib").unwrap(), 20 << 10);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("0").is_err());
        assert!(parse_size("1T").is_err());
    }
}
