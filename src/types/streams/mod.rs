//! Ids, entries, options and replies of the stream commands (`XADD`, `XREAD`, `XPENDING`, …);
//! the `XINFO` replies are in `info.rs`.
//!
//! Entries are typed by their whole field list: [`StreamEntry<F>`] has an [`id`](StreamEntry::id)
//! and `fields: F`, where `F` is any [`FromValue`] that reads a list of field/value pairs —
//! `Vec<(String, String)>` (the default: every field, in order, duplicates kept),
//! `HashMap<String, i64>`, `BTreeMap<String, Bytes>`, or a type of your own. So values come
//! typed as you want them, and a struct of yours can read an entry directly.

mod info;

pub use info::{
    StreamConsumerPendingEntry, StreamGroupPendingEntry, XInfoConsumer, XInfoGroup, XInfoStream,
    XInfoStreamConsumer, XInfoStreamFull, XInfoStreamGroup,
};

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use crate::args::{time, ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// A stream entry id: milliseconds and a sequence number, written `ms-seq` (`1700000000000-0`).
///
/// Ids order as the stream does. Replies carry ids as this type; arguments take it too (it is
/// a [`ToArg`]), beside the special strings the commands accept (`"*"`, `"$"`, `">"`, `"-"`,
/// `"+"`, `"(1-1"`, …).
///
/// ```
/// use coredis::types::StreamId;
/// let id: StreamId = "1700000000000-3".parse()?;
/// assert_eq!(id, StreamId::new(1_700_000_000_000, 3));
/// assert_eq!(id.to_string(), "1700000000000-3");
/// assert_eq!("5".parse::<StreamId>()?, StreamId::new(5, 0));
/// assert!(StreamId::new(1, 9) < StreamId::new(2, 0));
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub struct StreamId {
    /// The milliseconds part (by default, the Unix time the entry was added).
    pub ms: u64,
    /// The sequence number among entries of the same millisecond.
    pub seq: u64,
}

impl StreamId {
    /// `0-0`, below every entry.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest id there can be.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// The id `ms-seq`.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The smallest id after this one (`None` after [`StreamId::MAX`]): where to start the
    /// next page of an `XRANGE` walk.
    pub fn next(self) -> Option<StreamId> {
        match self.seq.checked_add(1) {
            Some(seq) => Some(StreamId { ms: self.ms, seq }),
            None => self.ms.checked_add(1).map(|ms| StreamId { ms, seq: 0 }),
        }
    }

    /// The milliseconds part as a time (what it is for ids the server generated).
    pub fn timestamp(self) -> SystemTime {
        time::from_unix_millis(self.ms)
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl FromStr for StreamId {
    type Err = Error;

    /// Parses `ms-seq`, or `ms` alone (sequence 0).
    fn from_str(s: &str) -> Result<StreamId> {
        let bad = || Error::type_mismatch("a stream id (ms-seq)", format!("{s:?}"));
        let (ms, seq) = match s.split_once('-') {
            Some((ms, seq)) => (ms, seq),
            None => (s, "0"),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(ms) || !digits(seq) {
            return Err(bad());
        }
        Ok(StreamId {
            ms: ms.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

impl ToArg for StreamId {
    fn write_arg(&self, out: &mut Vec<u8>) {
        self.to_string().write_arg(out)
    }
}

/// One id, or an array, slice or `Vec` of them (`XACK`, `XDEL`, `XCLAIM`).
impl ToArgs for StreamId {
    fn write_args(&self, out: &mut Vec<u8>) -> usize {
        self.write_arg(out);
        1
    }
}

impl ToArgs for [StreamId] {
    fn write_args(&self, out: &mut Vec<u8>) -> usize {
        for id in self {
            id.write_arg(out);
        }
        self.len()
    }
}

impl<const N: usize> ToArgs for [StreamId; N] {
    fn write_args(&self, out: &mut Vec<u8>) -> usize {
        self.as_slice().write_args(out)
    }
}

impl ToArgs for Vec<StreamId> {
    fn write_args(&self, out: &mut Vec<u8>) -> usize {
        self.as_slice().write_args(out)
    }
}

impl FromValue for StreamId {
    fn from_value(value: Value) -> Result<Self> {
        match value.as_bytes().map(std::str::from_utf8) {
            Some(Ok(s)) => s.parse(),
            _ => Err(Error::type_mismatch("a stream id", value.describe())),
        }
    }
}

/// A bound of an `XRANGE`/`XREVRANGE`/`XPENDING` range: `-`, `+`, an id, or an exclusive
/// `(id` (Redis 6.2+). Strings work too (`"-"`, `"(1-1"`); this is the typed spelling.
///
/// ```
/// use coredis::types::{StreamBound, StreamId};
/// let after = StreamBound::Excluded(StreamId::new(1, 1));
/// # let _ = after;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamBound {
    /// `-`: the smallest id.
    Min,
    /// `+`: the largest id.
    Max,
    /// `id`: this id, included.
    Included(StreamId),
    /// `(id`: this id, excluded (Redis 6.2+).
    Excluded(StreamId),
}

impl From<StreamId> for StreamBound {
    fn from(id: StreamId) -> StreamBound {
        StreamBound::Included(id)
    }
}

impl ToArg for StreamBound {
    fn write_arg(&self, out: &mut Vec<u8>) {
        match self {
            StreamBound::Min => "-".write_arg(out),
            StreamBound::Max => "+".write_arg(out),
            StreamBound::Included(id) => id.write_arg(out),
            StreamBound::Excluded(id) => format!("({id}").write_arg(out),
        }
    }
}

/// One stream entry: its id and its fields, read as `F`.
///
/// `F` is the type of the whole field list: any [`FromValue`] that reads a list of
/// field/value pairs. The default, `Vec<(String, String)>`, keeps every field in order;
/// `HashMap<String, i64>` or `BTreeMap<String, Bytes>` give typed values by name; a type of
/// your own with a `FromValue` impl reads an entry straight into your struct. Methods returning
/// entries are generic over `F` (`r.xrange::<HashMap<String, f64>>(…)`, or annotate the result).
///
/// ```no_run
/// # use coredis::prelude::*;
/// use coredis::types::StreamEntry;
/// use std::collections::HashMap;
/// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let raw: Vec<StreamEntry> = r.xrange("temps", "-", "+")?;
/// let typed: Vec<StreamEntry<HashMap<String, f64>>> = r.xrange("temps", "-", "+")?;
/// for e in typed {
///     println!("{}: {:?}", e.id, e.fields.get("celsius"));
/// }
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// An entry deleted while it was pending in a consumer group comes back from `XREADGROUP`
/// (reading history) with no fields: `F` is then read from an empty list. Entries that
/// older servers return as nil in `XCLAIM`/`XAUTOCLAIM` replies (deleted ones, Redis 6.2)
/// are left out of the list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamEntry<F = Vec<(String, String)>> {
    /// The entry's id.
    pub id: StreamId,
    /// The entry's fields and values.
    pub fields: F,
}

impl<F: FromValue> FromValue for StreamEntry<F> {
    fn from_value(value: Value) -> Result<Self> {
        let (id, fields) = <(StreamId, Value)>::from_value(value)?;
        let fields = match fields {
            Value::Nil => F::from_value(Value::Array(Vec::new()))?,
            v => F::from_value(v)?,
        };
        Ok(StreamEntry { id, fields })
    }

    /// A list of entries; nil elements (entries deleted meanwhile, as Redis 6.2 reports them)
    /// are left out, and a nil list is empty.
    fn from_aggregate(value: Value) -> Result<Vec<Self>> {
        let items = match value.strip_attributes() {
            Value::Nil => return Ok(Vec::new()),
            Value::Array(items) | Value::Set(items) => items,
            v => {
                return Err(Error::type_mismatch(
                    "a list of stream entries",
                    v.describe(),
                ))
            }
        };
        items
            .into_iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(StreamEntry::from_value)
            .collect()
    }
}

/// The entries `XREAD`/`XREADGROUP` returned for one stream. A reply is a list of these, in
/// the order the streams were given (RESP3's map and RESP2's array of pairs both become this
/// list; "nothing new" is an empty list).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamReadReply<F = Vec<(String, String)>> {
    /// The stream's key.
    pub key: String,
    /// Its entries.
    pub entries: Vec<StreamEntry<F>>,
}

impl<F: FromValue> FromValue for StreamReadReply<F> {
    fn from_value(value: Value) -> Result<Self> {
        let (key, entries) = <(String, Vec<StreamEntry<F>>)>::from_value(value)?;
        Ok(StreamReadReply { key, entries })
    }

    /// A whole reply: a RESP3 map, a RESP2 array of `[key, entries]`, or nil (nothing).
    fn from_aggregate(value: Value) -> Result<Vec<Self>> {
        match value.strip_attributes() {
            Value::Nil => Ok(Vec::new()),
            v => Ok(<Vec<(String, Vec<StreamEntry<F>>)>>::from_value(v)?
                .into_iter()
                .map(|(key, entries)| StreamReadReply { key, entries })
                .collect()),
        }
    }
}

/// The reply of `XAUTOCLAIM`: where to continue, the entries claimed, and the ids that were
/// pending but no longer exist (removed from the pending list; Redis 7.0+, empty before).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamAutoClaim<F = Vec<(String, String)>> {
    /// The start of the next call; `0-0` when the whole pending list was scanned.
    pub next: StreamId,
    /// The entries now owned by the consumer.
    pub entries: Vec<StreamEntry<F>>,
    /// Pending ids whose entries were deleted (Redis 7.0+).
    pub deleted: Vec<StreamId>,
}

impl<F: FromValue> FromValue for StreamAutoClaim<F> {
    fn from_value(value: Value) -> Result<Self> {
        let (next, entries, deleted) = autoclaim_parts(value)?;
        Ok(StreamAutoClaim {
            next,
            entries: Vec::from_value(entries)?,
            deleted,
        })
    }
}

/// The reply of `XAUTOCLAIM … JUSTID`: like [`StreamAutoClaim`], with ids instead of entries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamAutoClaimIds {
    /// The start of the next call; `0-0` when the whole pending list was scanned.
    pub next: StreamId,
    /// The ids now owned by the consumer.
    pub ids: Vec<StreamId>,
    /// Pending ids whose entries were deleted (Redis 7.0+).
    pub deleted: Vec<StreamId>,
}

impl FromValue for StreamAutoClaimIds {
    fn from_value(value: Value) -> Result<Self> {
        let (next, ids, deleted) = autoclaim_parts(value)?;
        let ids = match ids {
            Value::Array(items) => items
                .into_iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(StreamId::from_value)
                .collect::<Result<_>>()?,
            v => Vec::from_value(v)?,
        };
        Ok(StreamAutoClaimIds { next, ids, deleted })
    }
}

/// `[next, claimed, deleted?]`: Redis 6.2 sends two elements, 7.0+ three.
fn autoclaim_parts(value: Value) -> Result<(StreamId, Value, Vec<StreamId>)> {
    let items = match value.strip_attributes() {
        Value::Array(items) if (2..=3).contains(&items.len()) => items,
        v => return Err(Error::type_mismatch("an XAUTOCLAIM reply", v.describe())),
    };
    let mut it = items.into_iter();
    let next = StreamId::from_value(it.next().unwrap_or(Value::Nil))?;
    let claimed = it.next().unwrap_or(Value::Nil);
    let deleted = match it.next() {
        Some(v) => Vec::from_value(v)?,
        None => Vec::new(),
    };
    Ok((next, claimed, deleted))
}

/// The summary form of `XPENDING key group`: how many entries are pending, the smallest and
/// largest of their ids, and how many each consumer holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct StreamPendingSummary {
    /// How many entries are pending (delivered, not acknowledged).
    pub count: u64,
    /// The smallest pending id (`None` when nothing is pending).
    pub min_id: Option<StreamId>,
    /// The largest pending id (`None` when nothing is pending).
    pub max_id: Option<StreamId>,
    /// Each consumer with pending entries, and how many it holds.
    pub consumers: Vec<(String, u64)>,
}

impl FromValue for StreamPendingSummary {
    fn from_value(value: Value) -> Result<Self> {
        let (count, min_id, max_id, consumers) = <(
            u64,
            Option<StreamId>,
            Option<StreamId>,
            Option<Vec<(String, u64)>>,
        )>::from_value(value)?;
        Ok(StreamPendingSummary {
            count,
            min_id,
            max_id,
            consumers: consumers.unwrap_or_default(),
        })
    }
}

/// One entry of the extended form of `XPENDING`: a pending entry, its owner, how long since
/// it was last delivered, and how many times it was.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StreamPendingEntry {
    /// The entry's id.
    pub id: StreamId,
    /// The consumer it was delivered to.
    pub consumer: String,
    /// Time since it was last delivered.
    pub idle: Duration,
    /// How many times it was delivered.
    pub deliveries: u64,
}

impl FromValue for StreamPendingEntry {
    fn from_value(value: Value) -> Result<Self> {
        let (id, consumer, idle_ms, deliveries) =
            <(StreamId, String, u64, u64)>::from_value(value)?;
        Ok(StreamPendingEntry {
            id,
            consumer,
            idle: Duration::from_millis(idle_ms),
            deliveries,
        })
    }
}

/// How a trim compares the stream to its threshold: exactly (`=`) or roughly (`~`, which lets
/// the server trim whole nodes only: cheaper, and the only mode that takes a `LIMIT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamTrimMode {
    /// `=`: trim exactly to the threshold.
    Exact,
    /// `~`: trim roughly, never below the threshold.
    Approximate,
}

/// What a trim keeps: the newest `n` entries (`MAXLEN n`) or the entries from an id on
/// (`MINID id`, Redis 6.2+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamTrimStrategy {
    /// `MAXLEN n`: keep at most `n` entries.
    MaxLen(u64),
    /// `MINID id`: drop the entries below `id` (Redis 6.2+).
    MinId(StreamId),
}

/// A trim of `XTRIM`, or of `XADD` (which trims after adding): the strategy, the mode and a
/// `LIMIT` on how many entries one call may evict (Redis 6.2+, with `~` only).
///
/// ```
/// use coredis::types::{StreamId, StreamTrim};
/// let keep_1000 = StreamTrim::maxlen(1000).approximate().limit(100);
/// let drop_old = StreamTrim::minid(StreamId::new(1_700_000_000_000, 0)).exact();
/// # let _ = (keep_1000, drop_old);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamTrim {
    strategy: StreamTrimStrategy,
    mode: Option<StreamTrimMode>,
    limit: Option<u64>,
}

impl StreamTrim {
    /// Keep at most `n` entries (`MAXLEN n`), exactly unless [`StreamTrim::approximate`].
    #[must_use]
    pub fn maxlen(n: u64) -> StreamTrim {
        StreamTrim::new(StreamTrimStrategy::MaxLen(n))
    }

    /// Drop the entries below `id` (`MINID id`, Redis 6.2+).
    #[must_use]
    pub fn minid(id: StreamId) -> StreamTrim {
        StreamTrim::new(StreamTrimStrategy::MinId(id))
    }

    /// A trim by `strategy`, with no mode token (the server trims exactly) and no limit.
    #[must_use]
    pub fn new(strategy: StreamTrimStrategy) -> StreamTrim {
        StreamTrim {
            strategy,
            mode: None,
            limit: None,
        }
    }

    /// Trim exactly (`=`).
    #[must_use]
    pub fn exact(self) -> StreamTrim {
        self.mode(StreamTrimMode::Exact)
    }

    /// Trim roughly (`~`).
    #[must_use]
    pub fn approximate(self) -> StreamTrim {
        self.mode(StreamTrimMode::Approximate)
    }

    /// Sets the mode (replacing an earlier one).
    #[must_use]
    pub fn mode(mut self, mode: StreamTrimMode) -> StreamTrim {
        self.mode = Some(mode);
        self
    }

    /// Evict at most `count` entries in this call (`LIMIT count`, Redis 6.2+; 0 means no
    /// limit). The server takes `LIMIT` with `~` only: set [`StreamTrim::approximate`].
    #[must_use]
    pub fn limit(mut self, count: u64) -> StreamTrim {
        self.limit = Some(count);
        self
    }

    /// The strategy.
    pub fn strategy(self) -> StreamTrimStrategy {
        self.strategy
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = match self.strategy {
            StreamTrimStrategy::MaxLen(_) => cmd.arg("MAXLEN"),
            StreamTrimStrategy::MinId(_) => cmd.arg("MINID"),
        };
        let cmd = match self.mode {
            Some(StreamTrimMode::Exact) => cmd.arg("="),
            Some(StreamTrimMode::Approximate) => cmd.arg("~"),
            None => cmd,
        };
        let cmd = match self.strategy {
            StreamTrimStrategy::MaxLen(n) => cmd.arg(n),
            StreamTrimStrategy::MinId(id) => cmd.arg(id),
        };
        cmd.opt("LIMIT", self.limit)
    }
}

/// The optional arguments of `XADD`: `NOMKSTREAM` (Redis 6.2+) and a trim.
///
/// ```
/// use coredis::types::{StreamTrim, XAddOptions};
/// let o = XAddOptions::new().nomkstream().trim(StreamTrim::maxlen(10_000).approximate());
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XAddOptions {
    nomkstream: bool,
    trim: Option<StreamTrim>,
}

impl XAddOptions {
    /// No options: a plain `XADD`.
    #[must_use]
    pub fn new() -> XAddOptions {
        XAddOptions::default()
    }

    /// Do not create the stream when it does not exist (`NOMKSTREAM`, Redis 6.2+): the
    /// reply is then `None`.
    #[must_use]
    pub fn nomkstream(mut self) -> XAddOptions {
        self.nomkstream = true;
        self
    }

    /// Trim the stream after adding (`MAXLEN`/`MINID …`).
    #[must_use]
    pub fn trim(mut self, trim: StreamTrim) -> XAddOptions {
        self.trim = Some(trim);
        self
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = cmd.flag(self.nomkstream, "NOMKSTREAM");
        match self.trim {
            Some(t) => t.apply(cmd),
            None => cmd,
        }
    }
}

/// The optional arguments of `XREAD` besides `BLOCK` (the blocking form runs on a dedicated
/// connection and is not part of this group): `COUNT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XReadOptions {
    count: Option<u64>,
}

impl XReadOptions {
    /// No options.
    #[must_use]
    pub fn new() -> XReadOptions {
        XReadOptions::default()
    }

    /// At most `count` entries per stream (`COUNT`).
    #[must_use]
    pub fn count(mut self, count: u64) -> XReadOptions {
        self.count = Some(count);
        self
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("COUNT", self.count)
    }
}

/// The optional arguments of `XREADGROUP` besides `BLOCK`: `COUNT` and `NOACK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XReadGroupOptions {
    count: Option<u64>,
    noack: bool,
}

impl XReadGroupOptions {
    /// No options.
    #[must_use]
    pub fn new() -> XReadGroupOptions {
        XReadGroupOptions::default()
    }

    /// At most `count` entries per stream (`COUNT`).
    #[must_use]
    pub fn count(mut self, count: u64) -> XReadGroupOptions {
        self.count = Some(count);
        self
    }

    /// Acknowledge on delivery: the entries do not join the pending list (`NOACK`).
    #[must_use]
    pub fn noack(mut self) -> XReadGroupOptions {
        self.noack = true;
        self
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("COUNT", self.count).flag(self.noack, "NOACK")
    }
}

/// The optional arguments of `XCLAIM`: `IDLE`, `TIME`, `RETRYCOUNT`, `FORCE`, `LASTID`
/// (`JUSTID` is a method of its own, since it changes the reply).
///
/// ```
/// use coredis::types::XClaimOptions;
/// use std::time::Duration;
/// let o = XClaimOptions::new().idle(Duration::ZERO).retrycount(3).force();
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XClaimOptions {
    idle: Option<Duration>,
    time: Option<SystemTime>,
    retrycount: Option<u64>,
    force: bool,
    lastid: Option<StreamId>,
}

impl XClaimOptions {
    /// No options.
    #[must_use]
    pub fn new() -> XClaimOptions {
        XClaimOptions::default()
    }

    /// Set the claimed entries' idle time to `idle` (`IDLE`, in milliseconds; default 0).
    #[must_use]
    pub fn idle(mut self, idle: Duration) -> XClaimOptions {
        self.idle = Some(idle);
        self
    }

    /// Set the claimed entries' last delivery time to `at` (`TIME`, Unix milliseconds).
    #[must_use]
    pub fn time(mut self, at: SystemTime) -> XClaimOptions {
        self.time = Some(at);
        self
    }

    /// Set the claimed entries' delivery count (`RETRYCOUNT`; by default it grows by one).
    #[must_use]
    pub fn retrycount(mut self, count: u64) -> XClaimOptions {
        self.retrycount = Some(count);
        self
    }

    /// Claim ids that are not pending in the group too, if their entries exist (`FORCE`).
    #[must_use]
    pub fn force(mut self) -> XClaimOptions {
        self.force = true;
        self
    }

    /// Move the group's last delivered id up to `id` if it is below (`LASTID`; meant for
    /// replication).
    #[must_use]
    pub fn lastid(mut self, id: StreamId) -> XClaimOptions {
        self.lastid = Some(id);
        self
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("IDLE", self.idle.map(time::millis))
            .opt("TIME", self.time.map(time::unix_millis))
            .opt("RETRYCOUNT", self.retrycount)
            .flag(self.force, "FORCE")
            .opt("LASTID", self.lastid)
    }
}

/// The optional filters of the extended `XPENDING`: a minimum idle time (`IDLE`, Redis
/// 6.2+) and one consumer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct XPendingOptions {
    idle: Option<Duration>,
    consumer: Option<String>,
}

impl XPendingOptions {
    /// No filter.
    #[must_use]
    pub fn new() -> XPendingOptions {
        XPendingOptions::default()
    }

    /// Only entries idle for at least `idle` (`IDLE`, in milliseconds; Redis 6.2+).
    #[must_use]
    pub fn idle(mut self, idle: Duration) -> XPendingOptions {
        self.idle = Some(idle);
        self
    }

    /// Only entries delivered to `consumer`.
    #[must_use]
    pub fn consumer(mut self, consumer: impl Into<String>) -> XPendingOptions {
        self.consumer = Some(consumer.into());
        self
    }

    /// The `IDLE` filter, which goes before the range.
    pub(crate) fn apply_idle<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("IDLE", self.idle.map(time::millis))
    }

    /// The consumer, which goes after the count.
    pub(crate) fn apply_consumer<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        match &self.consumer {
            Some(c) => cmd.arg(c.as_str()),
            None => cmd,
        }
    }
}

/// The optional arguments of `XGROUP CREATE`: `MKSTREAM` and `ENTRIESREAD` (Redis 7.0+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XGroupCreateOptions {
    mkstream: bool,
    entries_read: Option<u64>,
}

impl XGroupCreateOptions {
    /// No options.
    #[must_use]
    pub fn new() -> XGroupCreateOptions {
        XGroupCreateOptions::default()
    }

    /// Create an empty stream when the key does not exist (`MKSTREAM`).
    #[must_use]
    pub fn mkstream(mut self) -> XGroupCreateOptions {
        self.mkstream = true;
        self
    }

    /// How many entries the group has read already, for its lag (`ENTRIESREAD`, Redis 7.0+).
    #[must_use]
    pub fn entries_read(mut self, n: u64) -> XGroupCreateOptions {
        self.entries_read = Some(n);
        self
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.flag(self.mkstream, "MKSTREAM")
            .opt("ENTRIESREAD", self.entries_read)
    }
}

/// The optional arguments of `XSETID` (Redis 7.0+): `ENTRIESADDED` and `MAXDELETEDID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XSetIdOptions {
    entries_added: Option<u64>,
    max_deleted_id: Option<StreamId>,
}

impl XSetIdOptions {
    /// No options.
    #[must_use]
    pub fn new() -> XSetIdOptions {
        XSetIdOptions::default()
    }

    /// How many entries were ever added to the stream (`ENTRIESADDED`).
    #[must_use]
    pub fn entries_added(mut self, n: u64) -> XSetIdOptions {
        self.entries_added = Some(n);
        self
    }

    /// The largest id ever deleted from the stream (`MAXDELETEDID`).
    #[must_use]
    pub fn max_deleted_id(mut self, id: StreamId) -> XSetIdOptions {
        self.max_deleted_id = Some(id);
        self
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("ENTRIESADDED", self.entries_added)
            .opt("MAXDELETEDID", self.max_deleted_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::collections::HashMap;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn entry(id: &str, fields: &[&str]) -> Value {
        Value::Array(vec![
            bulk(id),
            Value::Array(fields.iter().map(|f| bulk(f)).collect()),
        ])
    }

    #[test]
    fn ids_parse_print_and_order() {
        assert_eq!("1-2".parse::<StreamId>().unwrap(), StreamId::new(1, 2));
        assert_eq!("7".parse::<StreamId>().unwrap(), StreamId::new(7, 0));
        for bad in [
            "",
            "-",
            "1-",
            "-1",
            "a-1",
            "1-2-3",
            "*",
            "1-*",
            "99999999999999999999-0",
        ] {
            assert!(bad.parse::<StreamId>().is_err(), "{bad:?}");
        }
        assert_eq!(StreamId::new(3, u64::MAX).next(), Some(StreamId::new(4, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(
            StreamId::MAX.to_string(),
            format!("{}-{}", u64::MAX, u64::MAX)
        );
        assert!(StreamId::from_value(Value::Int(1)).is_err());
        let mut out = Vec::new();
        StreamBound::Excluded(StreamId::new(1, 1)).write_arg(&mut out);
        assert_eq!(out, b"$4\r\n(1-1\r\n");
    }

    #[test]
    fn entries_typed_as_asked() {
        let e: StreamEntry = StreamEntry::from_value(entry("1-1", &["a", "1", "b", "2"])).unwrap();
        assert_eq!(e.id, StreamId::new(1, 1));
        assert_eq!(
            e.fields,
            [("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        let e: StreamEntry<HashMap<String, i64>> =
            StreamEntry::from_value(entry("1-1", &["a", "1", "b", "2"])).unwrap();
        assert_eq!(e.fields["b"], 2);
        // Deleted while pending: nil fields read as an empty list.
        let e: StreamEntry<HashMap<String, i64>> =
            StreamEntry::from_value(Value::Array(vec![bulk("1-1"), Value::Nil])).unwrap();
        assert!(e.fields.is_empty());
        // Nil entries in a list (XCLAIM on Redis 6.2) are left out.
        let list = Value::Array(vec![Value::Nil, entry("2-1", &["a", "3"])]);
        let v: Vec<StreamEntry> = Vec::from_value(list).unwrap();
        assert_eq!(v.len(), 1);
        assert!(Vec::<StreamEntry>::from_value(bulk("x")).is_err());
        assert!(StreamEntry::<Vec<(String, String)>>::from_value(entry("1-1", &["odd"])).is_err());
    }

    #[test]
    fn reads_from_both_protocols() {
        let entries = || Value::Array(vec![entry("1-1", &["a", "1"])]);
        let resp3 = Value::Map(vec![(bulk("s"), entries()), (bulk("t"), entries())]);
        let resp2 = Value::Array(vec![
            Value::Array(vec![bulk("s"), entries()]),
            Value::Array(vec![bulk("t"), entries()]),
        ]);
        let a: Vec<StreamReadReply> = Vec::from_value(resp3).unwrap();
        let b: Vec<StreamReadReply> = Vec::from_value(resp2).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[1].key, "t");
        assert_eq!(a[0].entries[0].id, StreamId::new(1, 1));
        let none: Vec<StreamReadReply> = Vec::from_value(Value::Nil).unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn pending_and_autoclaim() {
        let s = StreamPendingSummary::from_value(Value::Array(vec![
            Value::Int(2),
            bulk("1-1"),
            bulk("2-1"),
            Value::Array(vec![Value::Array(vec![bulk("c1"), bulk("2")])]),
        ]))
        .unwrap();
        assert_eq!(s.count, 2);
        assert_eq!(s.max_id, Some(StreamId::new(2, 1)));
        assert_eq!(s.consumers, [("c1".to_string(), 2)]);
        let empty = StreamPendingSummary::from_value(Value::Array(vec![
            Value::Int(0),
            Value::Nil,
            Value::Nil,
            Value::Nil,
        ]))
        .unwrap();
        assert_eq!(empty, StreamPendingSummary::default());

        let v7 = Value::Array(vec![
            bulk("0-0"),
            Value::Array(vec![entry("2-1", &["a", "3"])]),
            Value::Array(vec![bulk("1-1")]),
        ]);
        let c: StreamAutoClaim = StreamAutoClaim::from_value(v7).unwrap();
        assert_eq!(c.entries.len(), 1);
        assert_eq!(c.deleted, [StreamId::new(1, 1)]);
        let v62 = Value::Array(vec![
            bulk("0-0"),
            Value::Array(vec![Value::Nil, entry("2-1", &["a", "3"])]),
        ]);
        let c: StreamAutoClaim = StreamAutoClaim::from_value(v62).unwrap();
        assert_eq!((c.entries.len(), c.deleted.len()), (1, 0));
        let ids = StreamAutoClaimIds::from_value(Value::Array(vec![
            bulk("3-0"),
            Value::Array(vec![bulk("2-1")]),
            Value::Array(vec![]),
        ]))
        .unwrap();
        assert_eq!(ids.next, StreamId::new(3, 0));
        assert_eq!(ids.ids, [StreamId::new(2, 1)]);
        assert!(StreamAutoClaimIds::from_value(Value::Array(vec![bulk("0-0")])).is_err());
    }
}
