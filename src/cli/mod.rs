//! The command line: clap turns arguments into plain options, and each
//! command calls the library. Only this module knows clap ([`args`]); only
//! this module prints. Each command has its own file. Errors print as one
//! message with their cause chain, and a closed pipe
//! (`tagwall show ... | head`) ends the program quietly.

mod aggregate;
mod args;
mod build;
mod diff;
mod fetch;
mod init;
mod progress;
mod run;
mod show;
mod tags;
mod targets;
mod units;

use crate::error::{Error, Result, exit};
use args::{Cli, Command};
use clap::Parser;
use std::io::{self, BufWriter, Write};

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
    if let Err(e) = crate::interrupt::install() {
        report_error(&e);
        return e.exit_code();
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            exit::SUCCESS
        }
        Err(e) => {
            report_error(&e);
            e.exit_code()
        }
    }
}

/// Run one command; `Ok` holds its exit code.
fn dispatch(cli: Cli) -> Result<i32> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Tags(args) => tags::execute(args),
        Command::Show(args) => show::execute(args, quiet),
        Command::Aggregate(args) => aggregate::execute(args, quiet),
        Command::Build(args) => build::execute(args, quiet),
        Command::Fetch(args) => fetch::execute(args, quiet),
        Command::Run(args) => run::execute(*args, quiet),
        Command::Diff(args) => diff::execute(args),
        Command::Targets => targets::execute(),
        Command::Init(args) => init::execute(args, quiet),
    }
}

/// An error, with its cause chain, on stderr. Printed even with `--quiet`.
fn report_error(e: &Error) {
    let mut text = format!("tagwall: error: {e}");
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        text.push_str(&format!("\n  caused by: {c}"));
        cause = c.source();
    }
    eprintln!("{text}");
}

/// A warning on stderr, unless `--quiet`.
fn warn(quiet: bool, message: &str) {
    if !quiet {
        eprintln!("tagwall: warning: {message}");
    }
}

/// A note on stderr, unless `--quiet`.
fn note(quiet: bool, message: &str) {
    if !quiet {
        eprintln!("tagwall: {message}");
    }
}

/// Write to stdout; a closed pipe becomes a quiet exit, not an error.
fn stdout_write(text: &[u8]) -> Result<()> {
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    out.write_all(text)
        .and_then(|_| out.flush())
        .map_err(|e| Error::io("cannot write to", "standard output", e))
}
