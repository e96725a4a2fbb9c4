//! tagwall compiles Azure Service Tags into firewall configuration.
//!
//! Data flows one way, one module per stage:
//!
//! ```text
//! source (file | bundled | state) -> model (parsed, validated) -> select (policy -> rules)
//!   -> aggregate (address sets) -> render (targets) -> write (atomic, with a manifest)
//! ```
//!
//! [`fetch`] (the only module that touches the network) brings new releases
//! into a [`state`] folder; [`release`] names releases (cloud, date) and
//! orders them. [`pipeline`] strings the stages together; [`cli`] is the
//! command line.

pub mod aggregate;
pub mod cli;
pub mod delta;
pub mod diff;
pub mod error;
pub mod fetch;
pub mod guard;
pub mod interrupt;
pub mod model;
pub mod pipeline;
pub mod policy;
pub mod prefix;
pub mod release;
pub mod render;
pub mod run;
pub mod select;
pub mod source;
pub mod state;
pub mod units;
pub mod write;

pub use error::{Error, Result};
