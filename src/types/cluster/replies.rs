//! The other replies of the cluster commands: `CLUSTER BUMPEPOCH`, `SLOT-STATS`,
//! `GETSLOTMIGRATIONS`, and `CLUSTERSCAN` pages.

use std::time::SystemTime;

use super::SlotRange;
use crate::args::time;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::types::fields::{elements, Fields};
use crate::value::Value;

/// The reply of `CLUSTER BUMPEPOCH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BumpEpoch {
    /// `BUMPED epoch`: the node took a new configuration epoch.
    Bumped(u64),
    /// `STILL epoch`: the node's epoch was already the highest; unchanged.
    Still(u64),
}

impl BumpEpoch {
    /// The node's configuration epoch after the call.
    pub fn epoch(self) -> u64 {
        match self {
            BumpEpoch::Bumped(e) | BumpEpoch::Still(e) => e,
        }
    }
}

impl FromValue for BumpEpoch {
    fn from_value(value: Value) -> Result<Self> {
        let text = String::from_value(value)?;
        let parsed = text.split_once(' ').and_then(|(word, n)| {
            let n = n.trim().parse().ok()?;
            match word {
                "BUMPED" => Some(BumpEpoch::Bumped(n)),
                "STILL" => Some(BumpEpoch::Still(n)),
                _ => None,
            }
        });
        parsed.ok_or_else(|| Error::type_mismatch("BUMPED <epoch> or STILL <epoch>", text))
    }
}

/// The statistics of one slot in `CLUSTER SLOT-STATS` (Valkey 8.0+). The metrics other than
/// the key count are there only when `cluster-slot-stats-enabled` is on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SlotStats {
    /// The slot.
    pub slot: u16,
    /// `key-count`: the keys in the slot.
    pub key_count: u64,
    /// `cpu-usec`: CPU time spent on the slot, in microseconds.
    pub cpu_usec: Option<u64>,
    /// `network-bytes-in`: bytes received for the slot.
    pub network_bytes_in: Option<u64>,
    /// `network-bytes-out`: bytes sent for the slot.
    pub network_bytes_out: Option<u64>,
}

impl FromValue for SlotStats {
    fn from_value(value: Value) -> Result<Self> {
        let what = "a CLUSTER SLOT-STATS entry";
        let mut items = elements(value, what)?.into_iter();
        let (Some(slot), Some(stats), None) = (items.next(), items.next(), items.next()) else {
            return Err(Error::type_mismatch(what, "another number of elements"));
        };
        let mut f = Fields::read(stats, what)?;
        Ok(SlotStats {
            slot: u16::from_value(slot)?,
            key_count: f.req("key-count")?,
            cpu_usec: f.opt("cpu-usec")?,
            network_bytes_in: f.opt("network-bytes-in")?,
            network_bytes_out: f.opt("network-bytes-out")?,
        })
    }
}

/// Whether a [`SlotMigration`] brings slots in or sends them out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotMigrationOperation {
    /// `IMPORT`: slots come to this node.
    Import,
    /// `EXPORT`: slots leave this node.
    Export,
    /// An operation this crate does not name, as the server spells it.
    Other(String),
}

/// One slot migration job of `CLUSTER GETSLOTMIGRATIONS` (Valkey 9.0+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SlotMigration {
    /// The job's name.
    pub name: String,
    /// Import or export.
    pub operation: SlotMigrationOperation,
    /// The slots moved.
    pub slot_ranges: Vec<SlotRange>,
    /// The id of the node the slots go to.
    pub target_node: String,
    /// The id of the node the slots come from.
    pub source_node: String,
    /// When the job was created.
    pub create_time: SystemTime,
    /// When the job last changed state.
    pub last_update_time: SystemTime,
    /// When the peer last acknowledged.
    pub last_ack_time: SystemTime,
    /// The job's state (`success`, `failed`, `cancelled`, …, as sent).
    pub state: String,
    /// Why it failed, or empty.
    pub message: String,
    /// Copy-on-write memory of the snapshot, in bytes.
    pub cow_size: u64,
    /// Replication bytes still to send.
    pub remaining_repl_size: u64,
}

impl FromValue for SlotMigration {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a CLUSTER GETSLOTMIGRATIONS entry")?;
        let operation: String = f.req("operation")?;
        let ranges: String = f.req("slot_ranges")?;
        let secs = |f: &mut Fields, name: &str| -> Result<SystemTime> {
            Ok(time::from_unix_secs(f.req(name)?))
        };
        Ok(SlotMigration {
            name: f.req("name")?,
            operation: match operation.as_str() {
                "IMPORT" => SlotMigrationOperation::Import,
                "EXPORT" => SlotMigrationOperation::Export,
                _ => SlotMigrationOperation::Other(operation),
            },
            slot_ranges: ranges
                .split_whitespace()
                .map(|r| {
                    SlotRange::parse(r)
                        .ok_or_else(|| Error::type_mismatch("slot ranges", format!("{ranges:?}")))
                })
                .collect::<Result<_>>()?,
            target_node: f.req("target_node")?,
            source_node: f.req("source_node")?,
            create_time: secs(&mut f, "create_time")?,
            last_update_time: secs(&mut f, "last_update_time")?,
            last_ack_time: secs(&mut f, "last_ack_time")?,
            state: f.req("state")?,
            message: f.opt("message")?.unwrap_or_default(),
            cow_size: f.opt("cow_size")?.unwrap_or(0),
            remaining_repl_size: f.opt("remaining_repl_size")?.unwrap_or(0),
        })
    }
}

/// One page of a `CLUSTERSCAN` walk (Valkey 9.1+): the cursor to continue from and the keys.
///
/// The cursor is text (`fingerprint-{hashtag}-localcursor`): the walk starts at `"0"` and ends
/// when the server returns `"0"` again ([`ClusterScanPage::is_last`]). The node serving the
/// cursor's `{hashtag}` continues the walk: another node answers `MOVED`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterScanPage<T> {
    /// Where the next call continues; `"0"` when the walk is complete.
    pub cursor: String,
    /// The keys of this page.
    pub keys: Vec<T>,
}

impl<T> ClusterScanPage<T> {
    /// True when this is the last page (the cursor is back to `"0"`).
    pub fn is_last(&self) -> bool {
        self.cursor == "0"
    }
}

impl<T: FromValue> FromValue for ClusterScanPage<T> {
    fn from_value(value: Value) -> Result<Self> {
        let what = "a cursor and a list of keys";
        let mut items = elements(value, what)?.into_iter();
        match (items.next(), items.next(), items.next()) {
            (Some(cursor), Some(keys), None) => Ok(ClusterScanPage {
                cursor: String::from_value(cursor)?,
                keys: Vec::<T>::from_value(keys)?,
            }),
            _ => Err(Error::type_mismatch(what, "another number of elements")),
        }
    }
}
