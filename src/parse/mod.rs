//! Pure parsers: every function here takes `&str` or `&[u8]` and never touches the OS.
//!
//! **Architecture Invariant:** nothing in `parse/` reads a file, an environment variable or a clock.
//! The host layer (`src/host/`) hands over bytes; checks interpret what comes back.

use serde::Serialize;

/// A problem in one line of an input, 1-based, as users see it in an editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

pub mod apparmor;
pub mod docker_config;
pub mod http;
pub mod id_map;
pub mod kernel;
pub mod mountinfo;
pub mod os_release;
pub mod passwd;
pub mod pkgdb;
pub mod proc;
pub mod resolv;
pub mod subid;
pub mod sysctl;
pub mod vfs_cap;
