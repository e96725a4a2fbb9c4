//! What a download shows while it runs: a progress bar on a terminal, and
//! a warning for each retry.

use super::warn;
use crate::fetch::Observer;
use std::cell::RefCell;
use std::io::{self, IsTerminal};

/// A progress bar on a terminal, and retry warnings.
pub struct Progress {
    bar: RefCell<Option<indicatif::ProgressBar>>,
    draw: bool,
    quiet: bool,
}

impl Progress {
    /// A bar only when stderr is a terminal and not `--quiet`.
    pub fn new(quiet: bool) -> Progress {
        Progress {
            bar: RefCell::new(None),
            draw: !quiet && io::stderr().is_terminal(),
            quiet,
        }
    }
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
