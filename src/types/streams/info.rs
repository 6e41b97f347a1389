//! The replies of `XINFO STREAM` (plain and `FULL`), `XINFO GROUPS` and `XINFO CONSUMERS`.
//!
//! They come as RESP3 maps or RESP2 flat arrays of names and values; both read the same.
//! Fields that only newer servers report are `Option`s: Redis 7.0 added `max-deleted-entry-id`,
//! `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag`; Redis 7.2 (and
//! Valkey) added `active-time` and `inactive`. Fields this crate does not know are ignored.

use crate::types::fields::Fields;
use std::time::{Duration, SystemTime};

use super::{StreamEntry, StreamId};
use crate::args::time;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::value::Value;

/// A Unix time in milliseconds; `-1` (never) is `None`.
fn unix_ms(ms: i64) -> Option<SystemTime> {
    u64::try_from(ms).ok().map(time::from_unix_millis)
}

/// A duration in milliseconds; `-1` (never) is `None`.
fn millis(ms: i64) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// The reply of `XINFO STREAM key`: the stream's size, ids and first and last entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct XInfoStream<F = Vec<(String, String)>> {
    /// How many entries the stream holds.
    pub length: u64,
    /// Keys in the stream's radix tree.
    pub radix_tree_keys: u64,
    /// Nodes in the stream's radix tree.
    pub radix_tree_nodes: u64,
    /// The id of the last entry added (even if deleted since).
    pub last_generated_id: StreamId,
    /// The largest id ever deleted (Redis 7.0+).
    pub max_deleted_entry_id: Option<StreamId>,
    /// How many entries were ever added (Redis 7.0+).
    pub entries_added: Option<u64>,
    /// The id of the first entry, as the server records it (Redis 7.0+).
    pub recorded_first_entry_id: Option<StreamId>,
    /// How many consumer groups the stream has.
    pub groups: u64,
    /// The first entry (`None` for an empty stream).
    pub first_entry: Option<StreamEntry<F>>,
    /// The last entry (`None` for an empty stream).
    pub last_entry: Option<StreamEntry<F>>,
}

impl<F: FromValue> FromValue for XInfoStream<F> {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "an XINFO STREAM reply")?;
        Ok(XInfoStream {
            length: f.req("length")?,
            radix_tree_keys: f.req("radix-tree-keys")?,
            radix_tree_nodes: f.req("radix-tree-nodes")?,
            last_generated_id: f.req("last-generated-id")?,
            max_deleted_entry_id: f.opt("max-deleted-entry-id")?,
            entries_added: f.opt("entries-added")?,
            recorded_first_entry_id: f.opt("recorded-first-entry-id")?,
            groups: f.req("groups")?,
            first_entry: f.opt("first-entry")?,
            last_entry: f.opt("last-entry")?,
        })
    }
}

/// The reply of `XINFO STREAM key FULL`: the stream's state with its entries, and every
/// group with its pending entries and consumers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct XInfoStreamFull<F = Vec<(String, String)>> {
    /// How many entries the stream holds.
    pub length: u64,
    /// Keys in the stream's radix tree.
    pub radix_tree_keys: u64,
    /// Nodes in the stream's radix tree.
    pub radix_tree_nodes: u64,
    /// The id of the last entry added (even if deleted since).
    pub last_generated_id: StreamId,
    /// The largest id ever deleted (Redis 7.0+).
    pub max_deleted_entry_id: Option<StreamId>,
    /// How many entries were ever added (Redis 7.0+).
    pub entries_added: Option<u64>,
    /// The id of the first entry, as the server records it (Redis 7.0+).
    pub recorded_first_entry_id: Option<StreamId>,
    /// The entries, oldest first (at most `COUNT`, 10 by default).
    pub entries: Vec<StreamEntry<F>>,
    /// The consumer groups.
    pub groups: Vec<XInfoStreamGroup>,
}

impl<F: FromValue> FromValue for XInfoStreamFull<F> {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "an XINFO STREAM FULL reply")?;
        Ok(XInfoStreamFull {
            length: f.req("length")?,
            radix_tree_keys: f.req("radix-tree-keys")?,
            radix_tree_nodes: f.req("radix-tree-nodes")?,
            last_generated_id: f.req("last-generated-id")?,
            max_deleted_entry_id: f.opt("max-deleted-entry-id")?,
            entries_added: f.opt("entries-added")?,
            recorded_first_entry_id: f.opt("recorded-first-entry-id")?,
            entries: f.req("entries")?,
            groups: f.req("groups")?,
        })
    }
}

/// A consumer group as `XINFO STREAM … FULL` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct XInfoStreamGroup {
    /// The group's name.
    pub name: String,
    /// The id of the last entry delivered to the group.
    pub last_delivered_id: StreamId,
    /// How many entries the group has read (Redis 7.0+; `None` when unknown).
    pub entries_read: Option<u64>,
    /// How many entries are left for the group to read (Redis 7.0+; `None` when unknown).
    pub lag: Option<u64>,
    /// How many entries are pending in the group.
    pub pel_count: u64,
    /// The pending entries (at most `COUNT`).
    pub pending: Vec<StreamGroupPendingEntry>,
    /// The group's consumers.
    pub consumers: Vec<XInfoStreamConsumer>,
}

impl FromValue for XInfoStreamGroup {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a group of XINFO STREAM FULL")?;
        Ok(XInfoStreamGroup {
            name: f.req("name")?,
            last_delivered_id: f.req("last-delivered-id")?,
            entries_read: f.opt("entries-read")?,
            lag: f.opt("lag")?,
            pel_count: f.req("pel-count")?,
            pending: f.req("pending")?,
            consumers: f.req("consumers")?,
        })
    }
}

/// A pending entry of a group in `XINFO STREAM … FULL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamGroupPendingEntry {
    /// The entry's id.
    pub id: StreamId,
    /// The consumer it was delivered to.
    pub consumer: String,
    /// When it was last delivered.
    pub delivered_at: SystemTime,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl FromValue for StreamGroupPendingEntry {
    fn from_value(value: Value) -> Result<Self> {
        let (id, consumer, at, deliveries) = <(StreamId, String, u64, u64)>::from_value(value)?;
        Ok(StreamGroupPendingEntry {
            id,
            consumer,
            delivered_at: time::from_unix_millis(at),
            deliveries,
        })
    }
}

/// A consumer as `XINFO STREAM … FULL` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct XInfoStreamConsumer {
    /// The consumer's name.
    pub name: String,
    /// When the consumer last tried to interact (read, claim; Redis 7.2 changed the meaning
    /// to attempts, successful or not).
    pub seen_time: SystemTime,
    /// When the consumer last interacted successfully (Redis 7.2+, Valkey; `None` when it
    /// never did, or the server does not say).
    pub active_time: Option<SystemTime>,
    /// How many entries are pending for the consumer.
    pub pel_count: u64,
    /// Its pending entries (at most `COUNT`).
    pub pending: Vec<StreamConsumerPendingEntry>,
}

impl FromValue for XInfoStreamConsumer {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a consumer of XINFO STREAM FULL")?;
        let seen: i64 = f.req("seen-time")?;
        Ok(XInfoStreamConsumer {
            name: f.req("name")?,
            seen_time: unix_ms(seen).unwrap_or(std::time::UNIX_EPOCH),
            active_time: f.opt::<i64>("active-time")?.and_then(unix_ms),
            pel_count: f.req("pel-count")?,
            pending: f.req("pending")?,
        })
    }
}

/// A pending entry of a consumer in `XINFO STREAM … FULL`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamConsumerPendingEntry {
    /// The entry's id.
    pub id: StreamId,
    /// When it was last delivered.
    pub delivered_at: SystemTime,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl FromValue for StreamConsumerPendingEntry {
    fn from_value(value: Value) -> Result<Self> {
        let (id, at, deliveries) = <(StreamId, u64, u64)>::from_value(value)?;
        Ok(StreamConsumerPendingEntry {
            id,
            delivered_at: time::from_unix_millis(at),
            deliveries,
        })
    }
}

/// One group of `XINFO GROUPS key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct XInfoGroup {
    /// The group's name.
    pub name: String,
    /// How many consumers it has.
    pub consumers: u64,
    /// How many entries are pending in it.
    pub pending: u64,
    /// The id of the last entry delivered to the group.
    pub last_delivered_id: StreamId,
    /// How many entries the group has read (Redis 7.0+; `None` when unknown).
    pub entries_read: Option<u64>,
    /// How many entries are left for the group to read (Redis 7.0+; `None` when unknown).
    pub lag: Option<u64>,
}

impl FromValue for XInfoGroup {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "an XINFO GROUPS entry")?;
        Ok(XInfoGroup {
            name: f.req("name")?,
            consumers: f.req("consumers")?,
            pending: f.req("pending")?,
            last_delivered_id: f.req("last-delivered-id")?,
            entries_read: f.opt("entries-read")?,
            lag: f.opt("lag")?,
        })
    }
}

/// One consumer of `XINFO CONSUMERS key group`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct XInfoConsumer {
    /// The consumer's name.
    pub name: String,
    /// How many entries are pending for it.
    pub pending: u64,
    /// Time since it last tried to interact (read, claim; successful or not since Redis 7.2).
    pub idle: Duration,
    /// Time since it last interacted successfully (Redis 7.2+, Valkey; `None` when it never
    /// did, or the server does not say).
    pub inactive: Option<Duration>,
}

impl FromValue for XInfoConsumer {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "an XINFO CONSUMERS entry")?;
        let idle: i64 = f.req("idle")?;
        Ok(XInfoConsumer {
            name: f.req("name")?,
            pending: f.req("pending")?,
            idle: millis(idle).unwrap_or_default(),
            inactive: f.opt::<i64>("inactive")?.and_then(millis),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn flat(kv: Vec<(&str, Value)>) -> Value {
        Value::Array(kv.into_iter().flat_map(|(k, v)| [bulk(k), v]).collect())
    }

    fn map(kv: Vec<(&str, Value)>) -> Value {
        Value::Map(kv.into_iter().map(|(k, v)| (bulk(k), v)).collect())
    }

    #[test]
    fn consumers_and_groups_from_both_shapes() {
        let fields = || {
            vec![
                ("name", bulk("c1")),
                ("pending", Value::Int(2)),
                ("idle", Value::Int(5)),
                ("inactive", Value::Int(-1)),
                ("future-field", Value::Int(9)),
            ]
        };
        let a = XInfoConsumer::from_value(flat(fields())).unwrap();
        let b = XInfoConsumer::from_value(map(fields())).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.idle, Duration::from_millis(5));
        assert_eq!(a.inactive, None);
        let old = XInfoConsumer::from_value(flat(vec![
            ("name", bulk("c1")),
            ("pending", Value::Int(0)),
            ("idle", Value::Int(1)),
        ]))
        .unwrap();
        assert_eq!(old.inactive, None);
        let e = XInfoConsumer::from_value(flat(vec![("name", bulk("c1"))])).unwrap_err();
        assert!(e.to_string().contains("field `idle`"), "{e}");

        let g = XInfoGroup::from_value(map(vec![
            ("name", bulk("g")),
            ("consumers", Value::Int(1)),
            ("pending", Value::Int(0)),
            ("last-delivered-id", bulk("2-1")),
            ("entries-read", Value::Nil),
            ("lag", Value::Int(3)),
        ]))
        .unwrap();
        assert_eq!(g.last_delivered_id, StreamId::new(2, 1));
        assert_eq!((g.entries_read, g.lag), (None, Some(3)));
    }

    #[test]
    fn stream_info_old_and_new() {
        let entry = Value::Array(vec![bulk("1-1"), Value::Array(vec![bulk("a"), bulk("1")])]);
        let v62 = flat(vec![
            ("length", Value::Int(1)),
            ("radix-tree-keys", Value::Int(1)),
            ("radix-tree-nodes", Value::Int(2)),
            ("last-generated-id", bulk("1-1")),
            ("groups", Value::Int(0)),
            ("first-entry", entry.clone()),
            ("last-entry", Value::Nil),
        ]);
        let s: XInfoStream = XInfoStream::from_value(v62).unwrap();
        assert_eq!(s.length, 1);
        assert_eq!(s.entries_added, None);
        assert_eq!(s.first_entry.unwrap().id, StreamId::new(1, 1));
        assert_eq!(s.last_entry, None);

        let consumer = map(vec![
            ("name", bulk("c")),
            ("seen-time", Value::Int(1_000)),
            ("active-time", Value::Int(2_000)),
            ("pel-count", Value::Int(1)),
            (
                "pending",
                Value::Array(vec![Value::Array(vec![
                    bulk("1-1"),
                    Value::Int(1_000),
                    Value::Int(1),
                ])]),
            ),
        ]);
        let group = map(vec![
            ("name", bulk("g")),
            ("last-delivered-id", bulk("1-1")),
            ("entries-read", Value::Int(1)),
            ("lag", Value::Int(0)),
            ("pel-count", Value::Int(1)),
            (
                "pending",
                Value::Array(vec![Value::Array(vec![
                    bulk("1-1"),
                    bulk("c"),
                    Value::Int(1_000),
                    Value::Int(1),
                ])]),
            ),
            ("consumers", Value::Array(vec![consumer])),
        ]);
        let full = map(vec![
            ("length", Value::Int(1)),
            ("radix-tree-keys", Value::Int(1)),
            ("radix-tree-nodes", Value::Int(2)),
            ("last-generated-id", bulk("1-1")),
            ("max-deleted-entry-id", bulk("0-0")),
            ("entries-added", Value::Int(1)),
            ("recorded-first-entry-id", bulk("1-1")),
            ("entries", Value::Array(vec![entry])),
            ("groups", Value::Array(vec![group])),
        ]);
        let f: XInfoStreamFull = XInfoStreamFull::from_value(full).unwrap();
        assert_eq!(f.entries_added, Some(1));
        let g = &f.groups[0];
        assert_eq!(g.pending[0].consumer, "c");
        assert_eq!(
            g.consumers[0].active_time,
            Some(time::from_unix_millis(2_000))
        );
        assert_eq!(g.consumers[0].pending[0].deliveries, 1);
    }
}
