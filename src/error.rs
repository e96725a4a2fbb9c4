//! The library's one error type.
//!
//! Every message names what is wrong and where (file, tag, prefix, rule), so
//! an admin reading a cron mail can act on it without re-running anything.
//! [`Error::exit_code`] maps each error to the exit codes of the command-line
//! contract: 2 for bad input, usage, network and I/O, 3 for a guard-rail refusal.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Exit codes shared by every command.
pub mod exit {
    /// Success (for `diff`: no change).
    pub const SUCCESS: i32 = 0;
    /// `diff` found changes.
    pub const CHANGED: i32 = 1;
    /// Bad input, usage, network or I/O error.
    pub const ERROR: i32 = 2;
    /// Refused by a guard rail.
    pub const REFUSED: i32 = 3;
}

/// Result alias for the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in tagwall.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The Service Tags file is not valid JSON of the expected shape.
    #[error("{file}: {message}")]
    Json { file: String, message: String },

    /// The Service Tags file parsed but breaks a rule of the format.
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },

    /// A prefix in the file is not a canonical CIDR.
    #[error("{file}: tag {tag:?}: prefix {prefix:?}: {reason}")]
    BadPrefix {
        file: String,
        tag: String,
        prefix: String,
        reason: String,
    },

    /// A prefix in a plain CIDR list is not valid.
    #[error("{file}:{line}: {value:?}: {reason}")]
    BadListEntry {
        file: String,
        line: usize,
        value: String,
        reason: String,
    },

    /// The policy file is not valid.
    #[error("{file}: {message}")]
    Policy { file: String, message: String },

    /// A policy names a tag the file does not have.
    #[error(
        "{file}: rule {rule:?}: no tag matches {pattern:?}{suggestion}; a tag this cloud does not \
         publish can be left out with a warning: [options] allow_missing_tags = true"
    )]
    UnknownTag {
        file: String,
        rule: String,
        pattern: String,
        suggestion: String,
    },

    /// A selected tag carries reserved or overly broad address space.
    #[error(
        "{file}: tag {tag:?}: prefix {prefix} is {category} address space; \
         refused unless the policy allows it (options.allow_reserved = [\"{category}\"])"
    )]
    Reserved {
        file: String,
        tag: String,
        prefix: String,
        category: &'static str,
    },

    /// A rule would be rendered with no address at all.
    #[error("rule {rule:?}: its tags hold no {family} prefix; an empty set is never written{hint}")]
    EmptyRule {
        rule: String,
        family: String,
        hint: String,
    },

    /// A target cannot express the policy within its limits.
    #[error("target {target}: {message}")]
    Limit { target: String, message: String },

    /// A name cannot be mapped safely into a target's naming rules.
    #[error("target {target}: {message}")]
    Name { target: String, message: String },

    /// A template failed to compile or render.
    #[error("template {name}: {message}")]
    Template { name: String, message: String },

    /// A value tagwall made could not be serialised (a manifest, a report):
    /// a bug, not bad input.
    #[error("cannot serialise {what}: {message}")]
    Internal { what: String, message: String },

    /// An unknown target name was asked for.
    #[error("unknown target {name:?}; known targets: {known}")]
    UnknownTarget { name: String, known: String },

    /// The command line asked for something inconsistent.
    #[error("{0}")]
    Usage(String),

    /// A signal arrived; nothing was changed.
    #[error("interrupted by {0}; the output and state folders were left as they were")]
    Interrupted(&'static str),

    /// Guard rails refused a release; nothing was changed.
    #[error("refused, nothing was changed: {}", describe_refusals(refusals))]
    GuardRail {
        /// Every rail that refused.
        refusals: Vec<Refusal>,
    },

    /// The post-change command failed (the outputs were written).
    #[error("the on-change command {command:?} failed ({status}); the outputs were written")]
    Hook { command: String, status: String },

    /// The output folder is not one tagwall may replace.
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },

    /// A download failed: no connection, a timeout, an HTTP error status, a
    /// broken or oversized body. `url` is what was asked for.
    #[error("{url}: {message}")]
    Network { url: String, message: String },

    /// A guard rail refused a download or a release: a redirect or link to a
    /// host that is not allowed, a changeNumber that goes backwards, a kept
    /// release that would be overwritten.
    #[error("{what}: {message}")]
    Refused { what: String, message: String },

    /// Another process holds the state folder's lock (`path` is the lock
    /// file); `waited` is how long this one waited for it, if it did.
    #[error("{path}: {}", describe_lock(*waited))]
    Locked {
        path: PathBuf,
        waited: Option<Duration>,
    },

    /// The state folder cannot be used: its index is damaged, a release in
    /// it changed, or it holds none yet.
    #[error("{path}: {message}")]
    State { path: PathBuf, message: String },
}

impl Error {
    /// The process exit code this error maps to.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Reserved { .. }
            | Error::EmptyRule { .. }
            | Error::Limit { .. }
            | Error::Refused { .. }
            | Error::GuardRail { .. } => exit::REFUSED,
            _ => exit::ERROR,
        }
    }

    /// Wrap an I/O error with the action and the path it concerned.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

fn describe_lock(waited: Option<Duration>) -> String {
    match waited {
        None => "another tagwall process is using this state folder (the lock is held); \
                 try again when it has finished"
            .to_string(),
        Some(d) => format!(
            "another tagwall process is still using this state folder after {}s; \
             try again when it has finished",
            d.as_secs()
        ),
    }
}

/// A guard rail that `--force` may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rail {
    /// More than the allowed share of a rule's addresses would be removed.
    Removal,
    /// The release's changeNumber is lower than the current one's.
    Older,
    /// The release is older than the allowed age.
    Age,
}

impl Rail {
    /// Every rail, in the order they are checked.
    pub const ALL: [Rail; 3] = [Rail::Older, Rail::Age, Rail::Removal];

    /// The name used with `--force`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rail::Removal => "removal",
            Rail::Older => "older",
            Rail::Age => "age",
        }
    }

    /// Parse a `--force` name.
    pub fn parse(name: &str) -> Option<Rail> {
        Rail::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Rail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One guard-rail refusal: the payload of [`Error::GuardRail`], made by the
/// checks in `guard`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The rail that refused.
    pub rail: Rail,
    /// What is wrong, with the numbers.
    pub message: String,
}

fn describe_refusals(refusals: &[Refusal]) -> String {
    let list: Vec<String> = refusals
        .iter()
        .map(|r| format!("{} [--force {}]", r.message, r.rail))
        .collect();
    list.join("; ")
}
