//! SIGINT and SIGTERM: finish nothing halfway.
//!
//! The command line installs the handlers once. A first signal only raises a
//! flag; the long stages poll it with [`check`] and stop with
//! [`Error::Interrupted`] before anything replaces the previous output or
//! state. A second signal ends the process at once (the staged folder is then
//! left behind, but the output folder is still whole).

use crate::error::{Error, Result};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static FLAG: std::sync::LazyLock<Arc<AtomicBool>> =
    std::sync::LazyLock::new(|| Arc::new(AtomicBool::new(false)));
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// Install the handlers (idempotent enough: call once from `main`).
pub fn install() -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        let io = |e: std::io::Error| Error::io("cannot install a handler for", "signals", e);
        // A second signal, once the flag is up, exits at once with 128 + n.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&FLAG))
            .map_err(io)?;
        signal_hook::flag::register(sig, Arc::clone(&FLAG)).map_err(io)?;
        // Remember which signal came (the last one wins; good enough for the message).
        // SAFETY: the action only stores into an atomic, which is async-signal-safe.
        unsafe {
            signal_hook::low_level::register(sig, move || SIGNAL.store(sig, Ordering::SeqCst))
        }
        .map_err(io)?;
    }
    Ok(())
}

/// An error when a signal has arrived, so the caller stops before committing.
pub fn check() -> Result<()> {
    if FLAG.load(Ordering::SeqCst) {
        let name = match SIGNAL.load(Ordering::SeqCst) {
            signal_hook::consts::SIGINT => "SIGINT",
            signal_hook::consts::SIGTERM => "SIGTERM",
            _ => "a signal",
        };
        return Err(Error::Interrupted(name));
    }
    Ok(())
}
