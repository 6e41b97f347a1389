//! Option structs, token enums and typed replies of commands, one file per command group
//! (mirroring [`crate::commands`]).
//!
//! Owns: the values commands take besides keys and data (options, "one of" token groups) and
//! the structs structured replies convert into. Each reply type converts to the same value
//! from RESP2 and RESP3 (maps or flat arrays, sets or arrays, doubles or bulk strings, booleans
//! or integers). The types of the first commands are also re-exported at the crate root.
//!
//! Must not: do I/O.

mod bitmap;
mod generic;
mod info;
mod options;
mod scan;

pub use bitmap::{
    BitEncoding, BitFieldGet, BitFieldOp, BitFieldOverflow, BitOffset, BitOp, BitRange, BitUnit,
};
pub use generic::{
    CopyOptions, ExpireTime, KeyType, MigrateAuth, MigrateOptions, MigrateStatus, ObjectEncoding,
    RestoreOptions, RestoreTtl, SortOptions, SortOrder, WaitAof,
};
pub use info::{Info, KeyspaceStats, ServerInfo};
pub use options::{ExpireCondition, Expiry, FlushMode, SetCondition, SetOptions};
pub use scan::{CollectionScanOptions, ScanOptions, ScanPage};
