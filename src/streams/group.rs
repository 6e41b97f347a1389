//! The consumer-group reader: [`GroupConsumer`], its builder and [`GroupEntry`].
//!
//! Each step of the iteration does one of three reads, in this order: the consumer's own
//! pending entries (`XREADGROUP … 0`, page by page, when it starts and after a connection
//! error), entries of other consumers idle past the claim threshold (`XAUTOCLAIM`, when a
//! claim round is due), then new entries (`XREADGROUP BLOCK … >`).

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{check_settings, fields, is_deleted, is_lost, next_item, Link, StopHandle};
use super::{DEFAULT_BLOCK, DEFAULT_COUNT};
use crate::client::Redis;
use crate::commands::{BlockingStreamCommands, StreamGroupCommands};
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::{
    StreamAutoClaim, StreamEntry, StreamId, StreamReadReply, XGroupCreateOptions, XReadGroupOptions,
};
use crate::value::Value;

/// Settings of a [`GroupConsumer`], from [`GroupConsumer::builder`]; [`build`] starts it.
///
/// [`build`]: GroupConsumerBuilder::build
#[derive(Debug, Clone)]
#[must_use]
pub struct GroupConsumerBuilder {
    group: String,
    consumer: String,
    streams: Vec<String>,
    block: Duration,
    count: u64,
    claim_idle: Option<Duration>,
    claim_every: Option<Duration>,
    create: Option<String>,
    mkstream: bool,
    stop: Option<StopHandle>,
}

impl GroupConsumerBuilder {
    /// Adds a stream to read (several may be read at once; each is read in the same group).
    pub fn stream(mut self, key: impl Into<String>) -> GroupConsumerBuilder {
        self.streams.push(key.into());
        self
    }

    /// Adds several streams to read.
    pub fn streams<K: Into<String>>(
        mut self,
        keys: impl IntoIterator<Item = K>,
    ) -> GroupConsumerBuilder {
        self.streams.extend(keys.into_iter().map(Into::into));
        self
    }

    /// How long one read waits for new entries before the iterator checks its
    /// [`StopHandle`] (default [`super::DEFAULT_BLOCK`]; must be above zero). The client
    /// waits for the reply this long plus the response timeout.
    pub fn block(mut self, timeout: Duration) -> GroupConsumerBuilder {
        self.block = timeout;
        self
    }

    /// How many entries one read asks for, per stream (default [`super::DEFAULT_COUNT`]):
    /// entries read are pending for this consumer until acknowledged, so a large count holds
    /// more entries away from the other consumers.
    pub fn count(mut self, count: u64) -> GroupConsumerBuilder {
        self.count = count;
        self
    }

    /// Takes over entries pending in the group (for any consumer, this one included) that
    /// have been idle at least `idle`, with `XAUTOCLAIM` (Redis 6.2+) before reading new
    /// entries, every [`GroupConsumerBuilder::claim_every`]. Off by default. `idle` must
    /// exceed the longest time a handler takes, or entries being handled are handed out
    /// again.
    pub fn claim_idle(mut self, idle: Duration) -> GroupConsumerBuilder {
        self.claim_idle = Some(idle);
        self
    }

    /// How often a claim round runs when [`GroupConsumerBuilder::claim_idle`] is set
    /// (default: the idle threshold itself). A round pages through the whole pending list,
    /// one `XAUTOCLAIM` of at most `count` entries per stream and step.
    pub fn claim_every(mut self, interval: Duration) -> GroupConsumerBuilder {
        self.claim_every = Some(interval);
        self
    }

    /// Creates the group on every stream when [`build`](GroupConsumerBuilder::build) runs,
    /// delivering the entries after `start` (`"$"`: only entries added from now on; `"0"`:
    /// the whole stream), with `MKSTREAM` (an empty stream is created when missing; see
    /// [`GroupConsumerBuilder::mkstream`]). A group that exists already is kept as it is.
    pub fn create_group(mut self, start: impl Into<String>) -> GroupConsumerBuilder {
        self.create = Some(start.into());
        self
    }

    /// Whether [`GroupConsumerBuilder::create_group`] creates missing streams (`MKSTREAM`,
    /// the default) or fails on them.
    pub fn mkstream(mut self, yes: bool) -> GroupConsumerBuilder {
        self.mkstream = yes;
        self
    }

    /// Uses `stop` (possibly shared with other readers) instead of a handle of its own.
    pub fn stop_handle(mut self, stop: &StopHandle) -> GroupConsumerBuilder {
        self.stop = Some(stop.clone());
        self
    }

    /// Checks the settings, creates the group if asked, opens the consumer's dedicated
    /// connection and returns the consumer; nothing is read yet. `F` is the type entries'
    /// fields convert to (see [`crate::types::StreamEntry`]).
    ///
    /// # Errors
    /// [`crate::ErrorKind::Usage`] for no stream, a stream given twice, an empty group or
    /// consumer name, a zero block timeout or count; the server's error when the group
    /// cannot be created (other than `BUSYGROUP`: it exists); the errors of
    /// [`Redis::dedicated`].
    pub fn build<F: FromValue>(self, redis: &Redis) -> Result<GroupConsumer<F>> {
        const WHAT: &str = "group consumer";
        check_settings(
            WHAT,
            self.streams.iter().map(String::as_str),
            self.block,
            self.count,
        )?;
        if self.group.is_empty() || self.consumer.is_empty() {
            return Err(super::usage(WHAT, "the group and consumer need names"));
        }
        if let Some(start) = &self.create {
            for key in &self.streams {
                create_group(redis, key, &self.group, start, self.mkstream)?;
            }
        }
        let mut link = Link::new(redis);
        link.run(|_| Ok(()))?;
        let claim = self
            .claim_idle
            .map(|idle| (idle, self.claim_every.unwrap_or(idle)));
        let streams = self
            .streams
            .into_iter()
            .map(|key| Cursor {
                key,
                pending: Some(StreamId::MIN),
                claim: StreamId::MIN,
            })
            .collect();
        Ok(GroupConsumer {
            state: State {
                link,
                who: Arc::new(Who {
                    redis: redis.clone(),
                    group: self.group,
                    consumer: self.consumer,
                }),
                streams,
                block: self.block,
                count: self.count,
                claim,
                next_claim: Instant::now(),
                claiming: false,
            },
            buffer: VecDeque::new(),
            stop: self.stop.unwrap_or_default(),
            backoff: super::Backoff::default(),
        })
    }
}

/// `XGROUP CREATE key group start [MKSTREAM]`, an existing group (`BUSYGROUP`) being success.
fn create_group(redis: &Redis, key: &str, group: &str, start: &str, mkstream: bool) -> Result<()> {
    let options = if mkstream {
        XGroupCreateOptions::new().mkstream()
    } else {
        XGroupCreateOptions::new()
    };
    match redis.xgroup_create_with(key, group, start, options) {
        Err(e) if e.code() != Some("BUSYGROUP") => {
            Err(e.context(format_args!("creating group `{group}` on stream `{key}`")))
        }
        _ => Ok(()),
    }
}

/// How an entry came to this consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// Never delivered to the group before (`XREADGROUP … >`).
    New,
    /// Already pending for this consumer when it started (or reconnected): delivered before
    /// and not acknowledged.
    Pending,
    /// Taken over with `XAUTOCLAIM` after being idle past the claim threshold.
    Claimed,
}

/// The group and consumer an entry belongs to, and the client that acknowledges it.
struct Who {
    redis: Redis,
    group: String,
    consumer: String,
}

/// An entry delivered to a [`GroupConsumer`]: pending for it in the group until acknowledged
/// ([`GroupEntry::ack`], [`GroupConsumer::ack`]). `Send`: it may be handled (and
/// acknowledged) on another thread.
#[non_exhaustive]
pub struct GroupEntry<F = Vec<(String, String)>> {
    /// The stream's key.
    pub key: String,
    /// The entry's id.
    pub id: StreamId,
    /// The entry's fields and values.
    pub fields: F,
    /// How the entry came to this consumer (a redelivery is `Pending` or `Claimed`).
    pub delivery: Delivery,
    who: Arc<Who>,
}

impl<F> GroupEntry<F> {
    /// Acknowledges the entry (`XACK`, on the client's shared connection): it is no longer
    /// pending. Returns whether it was pending (`false`: acknowledged before, or claimed by
    /// another consumer and acknowledged there).
    ///
    /// # Errors
    /// Those of [`StreamGroupCommands::xack`]; the entry then stays pending.
    pub fn ack(&self) -> Result<bool> {
        let who = &self.who;
        let acked = who
            .redis
            .xack(self.key.as_str(), who.group.as_str(), self.id)
            .map_err(|e| e.context(format_args!("acknowledging {} of `{}`", self.id, self.key)))?;
        Ok(acked > 0)
    }

    /// The consumer group's name.
    pub fn group(&self) -> &str {
        &self.who.group
    }

    /// The consumer's name.
    pub fn consumer(&self) -> &str {
        &self.who.consumer
    }
}

impl<F: fmt::Debug> fmt::Debug for GroupEntry<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupEntry")
            .field("key", &self.key)
            .field("id", &self.id)
            .field("fields", &self.fields)
            .field("delivery", &self.delivery)
            .field("group", &self.who.group)
            .field("consumer", &self.who.consumer)
            .finish()
    }
}

/// A consumer of a consumer group on one or more streams: a blocking iterator of
/// [`GroupEntry`]s, on a dedicated connection of its own. Built by
/// [`GroupConsumer::builder`].
///
/// Entries come first from the consumer's own pending list (entries delivered to this
/// consumer name before, and not acknowledged: a restarted consumer finishes its work), then,
/// when a claim threshold is set, from entries of other consumers idle that long, then new
/// ones. Each is acknowledged only when the caller says so: [`GroupEntry::ack`],
/// [`GroupConsumer::ack`], or a handler of [`GroupConsumer::run`] returning `Ok`.
///
/// The iterator waits for entries one block timeout at a time and checks its
/// [`StopHandle`] between waits; it ends (`None`) only when stopped. Errors (connection,
/// server, an entry whose fields do not convert to `F`) are `Err` items, after which the
/// iteration can go on: after a connection error the consumer reconnects and reads its
/// pending list again, so an entry whose delivery reply was lost is not lost. A `for` loop
/// with `?` stops at the first error instead. The iterator does not pause after an error.
///
/// ```no_run
/// use coredis::streams::GroupConsumer;
/// use std::collections::HashMap;
/// use std::time::Duration;
///
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let consumer: GroupConsumer<HashMap<String, String>> =
///     GroupConsumer::builder("billing", "worker-7")
///         .streams(["orders", "refunds"])
///         .create_group("$")
///         .block(Duration::from_millis(500))
///         .count(10)
///         .build(&r)?;
/// for entry in consumer {
///     let entry = entry?;
///     println!("{} {}: {:?}", entry.key, entry.id, entry.fields.get("amount"));
///     entry.ack()?;
/// }
/// # Ok::<(), coredis::Error>(())
/// ```
pub struct GroupConsumer<F = Vec<(String, String)>> {
    state: State,
    buffer: VecDeque<Result<GroupEntry<F>>>,
    stop: StopHandle,
    backoff: super::Backoff,
}

/// Where the consumer is in each stream.
struct Cursor {
    key: String,
    /// The id after which the consumer's own pending entries are read next; `None` when
    /// they have all been read.
    pending: Option<StreamId>,
    /// Where the claim round continues (`0-0`: at the start).
    claim: StreamId,
}

/// Everything but the buffer, so that the iterator can fill the buffer from it.
struct State {
    link: Link,
    who: Arc<Who>,
    streams: Vec<Cursor>,
    block: Duration,
    count: u64,
    /// The claim threshold and interval.
    claim: Option<(Duration, Duration)>,
    next_claim: Instant,
    /// A claim round is under way (some stream's cursor is not back at `0-0`).
    claiming: bool,
}

impl GroupConsumer {
    /// A builder for a consumer named `consumer` of the group `group`; add streams with
    /// [`GroupConsumerBuilder::stream`].
    pub fn builder(group: impl Into<String>, consumer: impl Into<String>) -> GroupConsumerBuilder {
        GroupConsumerBuilder {
            group: group.into(),
            consumer: consumer.into(),
            streams: Vec::new(),
            block: DEFAULT_BLOCK,
            count: DEFAULT_COUNT,
            claim_idle: None,
            claim_every: None,
            create: None,
            mkstream: true,
            stop: None,
        }
    }
}

impl<F: FromValue> GroupConsumer<F> {
    /// A handle that ends the iteration from any thread (at the latest one block timeout
    /// later).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// The consumer group's name.
    pub fn group(&self) -> &str {
        &self.state.who.group
    }

    /// The consumer's name.
    pub fn consumer(&self) -> &str {
        &self.state.who.consumer
    }

    /// The next entry, like [`Iterator::next`], but returning `None` after one read that
    /// found nothing (one block timeout) instead of waiting on: for a loop that does other
    /// work between reads. `None` also when stopped.
    pub fn poll(&mut self) -> Option<Result<GroupEntry<F>>> {
        let state = &mut self.state;
        next_item(
            &self.stop,
            &mut self.backoff,
            &mut self.buffer,
            true,
            |out| state.fill(out),
        )
    }

    /// Acknowledges `entries` (one `XACK` per stream); returns how many were pending.
    ///
    /// # Errors
    /// Those of [`StreamGroupCommands::xack`]; entries of the streams not acknowledged yet
    /// stay pending.
    pub fn ack<'a>(&self, entries: impl IntoIterator<Item = &'a GroupEntry<F>>) -> Result<u64>
    where
        F: 'a,
    {
        let mut by_stream: Vec<(&str, Vec<StreamId>)> = Vec::new();
        for entry in entries {
            match by_stream.iter_mut().find(|(key, _)| *key == entry.key) {
                Some((_, ids)) => ids.push(entry.id),
                None => by_stream.push((&entry.key, vec![entry.id])),
            }
        }
        let mut acked = 0;
        for (key, ids) in by_stream {
            acked += self.ack_ids(key, &ids)?;
        }
        Ok(acked)
    }

    /// Acknowledges the entries `ids` of the stream `key`; returns how many were pending.
    ///
    /// # Errors
    /// Those of [`StreamGroupCommands::xack`].
    pub fn ack_ids(&self, key: &str, ids: &[StreamId]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let who = &self.state.who;
        let acked = who
            .redis
            .xack(key, who.group.as_str(), ids)
            .map_err(|e| e.context(format_args!("acknowledging entries of `{key}`")))?;
        Ok(u64::try_from(acked).unwrap_or(0))
    }

    /// Hands every entry to `handler` until stopped ([`GroupConsumer::stop_handle`]):
    /// an entry is acknowledged when the handler returns `Ok`, and left pending when it
    /// returns `Err` (logged at `warn`; the entry comes back to this consumer when it
    /// restarts, or to any consumer claiming it after the idle threshold).
    ///
    /// ```no_run
    /// use coredis::streams::{GroupConsumer, GroupEntry};
    ///
    /// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let mut consumer: GroupConsumer =
    ///     GroupConsumer::builder("mailer", "worker-1").stream("emails").build(&r)?;
    /// consumer.run(|entry: &GroupEntry| {
    ///     if entry.fields.is_empty() {
    ///         return Err("an email without fields"); // stays pending
    ///     }
    ///     Ok(())                                      // acknowledged
    /// })?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # Errors
    /// The first error of the consumer itself (reading, converting an entry's fields,
    /// acknowledging); the consumer can be run again after it, nothing being lost.
    pub fn run<E: fmt::Display>(
        &mut self,
        mut handler: impl FnMut(&GroupEntry<F>) -> std::result::Result<(), E>,
    ) -> Result<()> {
        for item in self.by_ref() {
            let entry = item?;
            match handler(&entry) {
                Ok(()) => {
                    entry.ack()?;
                }
                Err(e) => log::warn!(
                    "stream consumer {}/{}: entry {} of `{}` left pending: {e}",
                    entry.who.group,
                    entry.who.consumer,
                    entry.id,
                    entry.key,
                ),
            }
        }
        Ok(())
    }
}

impl<F: FromValue> Iterator for GroupConsumer<F> {
    type Item = Result<GroupEntry<F>>;

    /// The next entry, waiting for one (a block timeout at a time) until stopped.
    fn next(&mut self) -> Option<Result<GroupEntry<F>>> {
        let state = &mut self.state;
        next_item(
            &self.stop,
            &mut self.backoff,
            &mut self.buffer,
            false,
            |out| state.fill(out),
        )
    }
}

impl<F> fmt::Debug for GroupConsumer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let streams: Vec<&str> = self.state.streams.iter().map(|s| s.key.as_str()).collect();
        f.debug_struct("GroupConsumer")
            .field("group", &self.state.who.group)
            .field("consumer", &self.state.who.consumer)
            .field("streams", &streams)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

type Out<F> = VecDeque<Result<GroupEntry<F>>>;

impl State {
    /// One read into `out`: pending entries, claimed ones, or new ones (waiting one block
    /// timeout at most), stopping at the first that yields anything.
    fn fill<F: FromValue>(&mut self, out: &mut Out<F>) -> Result<()> {
        let result = self.fill_from_server(out);
        if let Err(e) = &result {
            if is_lost(e) {
                // A reply lost with the connection may have delivered entries: they are
                // pending for this consumer now, read them again (and with them those read
                // before the error in this step, rather than hand those out twice).
                out.clear();
                for s in &mut self.streams {
                    s.pending = Some(StreamId::MIN);
                }
            }
        }
        result.map_err(|e| {
            e.context(format_args!(
                "stream consumer {}/{}",
                self.who.group, self.who.consumer
            ))
        })
    }

    fn fill_from_server<F: FromValue>(&mut self, out: &mut Out<F>) -> Result<()> {
        if self.streams.iter().any(|s| s.pending.is_some()) {
            self.read_pending(out)?;
            if !out.is_empty() {
                return Ok(());
            }
        }
        if let Some((idle, every)) = self.claim {
            if self.claiming || Instant::now() >= self.next_claim {
                self.claim(out, idle, every)?;
                if !out.is_empty() {
                    return Ok(());
                }
            }
        }
        self.read_new(out)
    }

    /// One page of the consumer's own pending entries, for each stream not done yet.
    fn read_pending<F: FromValue>(&mut self, out: &mut Out<F>) -> Result<()> {
        let after: Vec<(String, StreamId)> = self
            .streams
            .iter()
            .filter_map(|s| Some((s.key.clone(), s.pending?)))
            .collect();
        let (who, count) = (&self.who, self.count);
        let reply: Vec<StreamReadReply<Value>> = self.link.run(|c| {
            c.xreadgroup_with(
                who.group.as_str(),
                who.consumer.as_str(),
                after.iter().map(|(k, id)| (k.as_str(), *id)),
                XReadGroupOptions::new().count(count),
            )
        })?;
        for cursor in &mut self.streams {
            if cursor.pending.is_none() {
                continue;
            }
            let entries = reply
                .iter()
                .find(|r| r.key == cursor.key)
                .map(|r| r.entries.as_slice())
                .unwrap_or_default();
            cursor.pending = entries.last().map(|e| e.id);
            for entry in entries.iter().filter(|e| !is_deleted(&e.fields)) {
                out.push_back(
                    self.who
                        .entry(&cursor.key, entry.clone(), Delivery::Pending),
                );
            }
        }
        Ok(())
    }

    /// One step of the claim round: one `XAUTOCLAIM` page for each stream.
    fn claim<F: FromValue>(
        &mut self,
        out: &mut Out<F>,
        idle: Duration,
        every: Duration,
    ) -> Result<()> {
        let (who, count) = (&self.who, self.count);
        for cursor in &mut self.streams {
            if self.claiming && cursor.claim == StreamId::MIN {
                continue; // this stream's round is over, others' goes on
            }
            let page: StreamAutoClaim<Value> = self.link.run(|c| {
                c.xautoclaim_with(
                    cursor.key.as_str(),
                    who.group.as_str(),
                    who.consumer.as_str(),
                    idle,
                    cursor.claim,
                    count,
                )
            })?;
            cursor.claim = page.next;
            for entry in page.entries {
                out.push_back(who.entry(&cursor.key, entry, Delivery::Claimed));
            }
        }
        self.claiming = self.streams.iter().any(|s| s.claim != StreamId::MIN);
        if !self.claiming {
            self.next_claim = Instant::now() + every;
        }
        Ok(())
    }

    /// New entries of every stream, waiting one block timeout at most.
    fn read_new<F: FromValue>(&mut self, out: &mut Out<F>) -> Result<()> {
        let (who, streams) = (&self.who, &self.streams);
        let options = XReadGroupOptions::new().count(self.count);
        let reply: Vec<StreamReadReply<Value>> = self.link.run(|c| {
            c.xreadgroup_block_with(
                who.group.as_str(),
                who.consumer.as_str(),
                streams.iter().map(|s| (s.key.as_str(), ">")),
                self.block,
                options,
            )
        })?;
        for stream in reply {
            for entry in stream.entries {
                out.push_back(who.entry(&stream.key, entry, Delivery::New));
            }
        }
        Ok(())
    }
}

impl Who {
    /// The entry read from `key`, its fields converted to `F`.
    fn entry<F: FromValue>(
        self: &Arc<Who>,
        key: &str,
        entry: StreamEntry<Value>,
        delivery: Delivery,
    ) -> Result<GroupEntry<F>> {
        Ok(GroupEntry {
            fields: fields(key, entry.id, entry.fields)?,
            key: key.to_string(),
            id: entry.id,
            delivery,
            who: self.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_defaults() {
        let b = GroupConsumer::builder("g", "c");
        assert_eq!(b.block, DEFAULT_BLOCK);
        assert_eq!(b.count, DEFAULT_COUNT);
        assert!(b.mkstream);
        assert!(b.claim_idle.is_none() && b.create.is_none());
    }

    #[test]
    fn deleted_entries_have_no_fields() {
        assert!(is_deleted(&Value::Array(Vec::new())));
        assert!(is_deleted(&Value::Nil));
        assert!(!is_deleted(&Value::Array(vec![Value::Int(1)])));
    }

    #[test]
    fn bad_settings_are_usage_errors() {
        let err = |r: Result<()>| r.err().map(|e| e.kind());
        let usage = Some(crate::ErrorKind::Usage);
        assert_eq!(err(check_settings("t", [], DEFAULT_BLOCK, 1)), usage);
        assert_eq!(
            err(check_settings("t", ["a", "a"], DEFAULT_BLOCK, 1)),
            usage
        );
        assert_eq!(err(check_settings("t", ["a"], Duration::ZERO, 1)), usage);
        assert_eq!(err(check_settings("t", ["a"], DEFAULT_BLOCK, 0)), usage);
        assert_eq!(err(check_settings("t", ["a", "b"], DEFAULT_BLOCK, 1)), None);
    }
}
