//! Option structs, token enums and typed replies of commands.
//!
//! Owns: the values commands take besides keys and data (options, "one of" token groups) and
//! the structs structured replies convert into. Each type converts the same from RESP2 and RESP3.
//!
//! Must not: do I/O.

mod info;
mod options;

pub use info::{Info, KeyspaceStats, ServerInfo};
pub use options::{ExpireCondition, Expiry, FlushMode, SetCondition, SetOptions};
