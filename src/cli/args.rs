//! The command line's arguments, as clap derives them. The only file that
//! defines clap types; each command's file turns its arguments into the
//! library's plain options.

use super::units::{parse_duration, parse_size};
use crate::release::{CLOUDS, Cloud};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Compile Azure Service Tags into firewall configuration.
#[derive(Parser, Debug)]
#[command(name = "tagwall", version, about, max_term_width = 100)]
pub struct Cli {
    /// Print errors only (no warnings or notes).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The commands, one file each beside this one.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the tags of a Service Tags file: region, IPv4 and IPv6 counts, changeNumber.
    Tags(TagsArgs),
    /// Print the aggregated prefixes of tags, one CIDR a line, IPv4 first.
    Show(ShowArgs),
    /// Aggregate a plain list of CIDR prefixes (one a line, `#` comments) into the minimal list.
    Aggregate(AggregateArgs),
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
    Init(InitArgs),
}

/// `tagwall tags`.
#[derive(Args, Debug)]
pub struct TagsArgs {
    /// Service Tags file (.json or .json.gz); default: the newest bundled release.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Only tags whose name contains PATTERN, or matches it as a glob (case-insensitive).
    pub pattern: Option<String>,
}

/// `tagwall show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// Service Tags file (.json or .json.gz); default: the newest bundled release.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Only this address family.
    #[arg(long, value_enum)]
    pub family: Option<FamilyArg>,
    /// Tag names or glob patterns (`MicrosoftContainerRegistry.*`).
    #[arg(required = true, value_name = "TAG")]
    pub tags: Vec<String>,
}

/// `tagwall aggregate`.
#[derive(Args, Debug)]
pub struct AggregateArgs {
    /// The list; standard input when absent.
    pub file: Option<PathBuf>,
    /// Read a prefix with host bits set as its network (10.0.0.1/24 as 10.0.0.0/24), and say
    /// so on standard error, instead of refusing the list.
    #[arg(long)]
    pub lenient: bool,
}

/// `tagwall build`.
#[derive(Args, Debug)]
pub struct BuildArgs {
    /// Service Tags file (.json or .json.gz); default: the newest bundled release.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// State folder (see `tagwall fetch`): build from its current release, with its previous
    /// release as --previous unless that is given.
    #[arg(long, value_name = "DIR", conflicts_with = "input")]
    pub state: Option<PathBuf>,
    /// Policy file (TOML); default: the built-in Arc Private Link policy.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Every tag of the file as its own rule (an export of the whole file).
    #[arg(long)]
    pub all_tags: bool,
    /// The previous release (.json or .json.gz): targets also write delta commands.
    #[arg(long, value_name = "FILE")]
    pub previous: Option<PathBuf>,
    /// Render only this target (repeatable); default: all. See `tagwall targets`.
    #[arg(long = "target", short = 't', value_name = "NAME")]
    pub targets: Vec<String>,
    /// Output folder; replaced as a whole.
    #[arg(long, default_value = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Folder of templates that replace the built-in ones (`azure-nsg/arm.json.hbs` ...).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Azure NSG: name the service tag, or write its prefixes (overrides the policy).
    #[arg(long, value_enum)]
    pub nsg_mode: Option<NsgModeArg>,
}

/// `tagwall fetch`.
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// The cloud whose release to fetch.
    #[arg(long, value_parser = cloud_arg(), default_value = "public")]
    pub cloud: Cloud,
    /// A details page or a file URL (a mirror, a pinned release), or a local .json / .json.gz
    /// file; default: Microsoft's download details page for the cloud.
    #[arg(long, value_name = "URL|FILE")]
    pub from: Option<String>,
    /// State folder: the kept releases, their index, the current release.
    #[arg(long, default_value = "state", value_name = "DIR")]
    pub state: PathBuf,
    /// Accept a release whose changeNumber is lower than the current release's (or equal,
    /// with other bytes), and make it current.
    #[arg(long)]
    pub allow_older: bool,
    /// Also allow links and redirects to HOST (repeatable). Always allowed: the first URL's own
    /// host (Microsoft's details page, or --from) and download.microsoft.com.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Allow plain http to hosts that are not loopback addresses (a mirror on a trusted
    /// network); certificates are what protect the file, so avoid this.
    #[arg(long)]
    pub allow_http: bool,
    /// Also trust the certificate authorities in this PEM file (repeatable): a mirror's or an
    /// inspecting proxy's own CA.
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,
    /// Limit on connecting to a server (TCP and TLS), e.g. 15s.
    #[arg(long, default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// Limit on one whole request, body included, e.g. 2m.
    #[arg(long, default_value = "2m", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Retries after a timeout, a broken connection or an HTTP 5xx (never after a 4xx).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one (at most 1m).
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DURATION")]
    pub retry_delay: Duration,
    /// Largest body accepted, after decompression (K, M, G are powers of 1024).
    #[arg(long, default_value = "64M", value_parser = parse_size, value_name = "SIZE")]
    pub max_size: u64,
}

/// `tagwall run`. Where a flag is also a key of the config file's `[run]`
/// table, it is an `Option` here and the default is applied by
/// `crate::run::RunConfig::resolve` (flag > config > default); the help text
/// states those defaults by hand.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Configuration: a tagwall.toml with the policy's [[rule]]s and a [run] table. Without it,
    /// the built-in policy and the defaults below.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The cloud whose release to fetch [default: public].
    #[arg(long, value_parser = cloud_arg())]
    pub cloud: Option<Cloud>,
    /// A details page or file URL (a mirror), or a local file [default: Microsoft's page].
    #[arg(long, value_name = "URL|FILE")]
    pub from: Option<String>,
    /// State folder [default: state].
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Output folder; the one it replaces is kept as DIR.previous [default: out].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Render only this target (repeatable) [default: all].
    #[arg(long = "target", short = 't', value_name = "NAME")]
    pub targets: Vec<String>,
    /// Folder of templates that replace the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Fetch and report what would change; write nothing (neither outputs nor state).
    #[arg(long)]
    pub dry_run: bool,
    /// Exit 0 when nothing changed, 1 when the outputs changed (or would, with --dry-run).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Override one guard rail (repeatable): removal, older or age. The report says so.
    #[arg(long = "force", value_name = "NAME")]
    pub force: Vec<String>,
    /// Refuse a release that removes more than this percentage of a rule's addresses
    /// [default: 10].
    #[arg(long, value_name = "PERCENT")]
    pub max_removal: Option<u32>,
    /// Refuse a release older than this many days (by the date in its file name).
    #[arg(long, value_name = "DAYS")]
    pub max_age: Option<u32>,
    /// Keep addresses Microsoft removes in the outputs this many days [default: 0].
    #[arg(long, value_name = "DAYS")]
    pub grace: Option<u32>,
    /// Command run (by sh) after the outputs changed; $1 and TAGWALL_REPORT hold the change
    /// report's path, TAGWALL_OUT the output folder.
    #[arg(long, value_name = "COMMAND")]
    pub on_change: Option<String>,
    /// Wait this long for another run to finish, e.g. 60s [default: 60s].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Option<Duration>,
    /// Also allow links and redirects to HOST (repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Also trust the certificate authorities in this PEM file (repeatable).
    #[arg(long = "ca-cert", value_name = "FILE")]
    pub ca_certs: Vec<PathBuf>,
    /// Allow plain http to hosts that are not loopback addresses.
    #[arg(long)]
    pub allow_http: bool,
    /// Limit on one whole request, body included, e.g. 2m.
    #[arg(long, default_value = "2m", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Retries after a timeout, a broken connection or an HTTP 5xx.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retries: u32,
    /// Say what each step does.
    #[arg(short, long)]
    pub verbose: bool,
}

/// `tagwall diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The old release (.json or .json.gz).
    #[arg(required_unless_present = "state")]
    pub old: Option<PathBuf>,
    /// The new release (.json or .json.gz).
    #[arg(required_unless_present = "state")]
    pub new: Option<PathBuf>,
    /// State folder (see `tagwall fetch`): compare its previous release with its current one,
    /// instead of OLD and NEW.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["old", "new"])]
    pub state: Option<PathBuf>,
    /// Compare the tags and rules of this policy (default: the built-in policy).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["tags", "all"])]
    pub policy: Option<PathBuf>,
    /// Compare these tags (names or glob patterns; repeatable) instead of a policy's.
    #[arg(long = "tag", value_name = "TAG", conflicts_with = "all")]
    pub tags: Vec<String>,
    /// Compare every tag of both releases.
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: FormatArg,
    /// Colour in text output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
}

/// `tagwall init`.
#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where to write it.
    #[arg(default_value = "tagwall.toml")]
    pub path: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `--cloud`: the names a user types (not the file's cloud names), with
/// their help, from the clouds' table.
fn cloud_arg() -> impl TypedValueParser<Value = Cloud> {
    PossibleValuesParser::new(
        CLOUDS
            .iter()
            .map(|f| PossibleValue::new(f.arg).help(f.description)),
    )
    .try_map(|name| Cloud::from_arg(&name).ok_or("not a cloud"))
}

/// `diff --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Markdown,
    Json,
    Html,
}

/// `diff --color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// `show --family`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum FamilyArg {
    Ipv4,
    Ipv6,
}

/// `build --nsg-mode`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum NsgModeArg {
    ServiceTag,
    Prefixes,
}
