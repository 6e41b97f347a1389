//! Consumer-group commands of the `stream` group: XGROUP *, XREADGROUP (without BLOCK), XACK,
//! XCLAIM, XAUTOCLAIM, XPENDING, XINFO GROUPS and XINFO CONSUMERS.

use std::time::Duration;

use super::with_streams;
use crate::args::{time, ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::commands::Executor;
use crate::from_value::FromValue;
use crate::types::{
    StreamAutoClaim, StreamAutoClaimIds, StreamEntry, StreamId, StreamPendingEntry,
    StreamPendingSummary, StreamReadReply, XClaimOptions, XGroupCreateOptions, XInfoConsumer,
    XInfoGroup, XPendingOptions, XReadGroupOptions,
};

/// Commands of the `stream` group about consumer groups: `XGROUP *`, `XREADGROUP`, `XACK`,
/// `XCLAIM`, `XAUTOCLAIM`, `XPENDING`, `XINFO GROUPS` and `XINFO CONSUMERS`. Entries and ids
/// are typed as in [`crate::commands::StreamCommands`]. The blocking form `XREADGROUP BLOCK`
/// is not here: it needs a dedicated connection.
pub trait StreamGroupCommands: Executor {
    /// Creates the consumer group `group` on the stream at `key`, delivering entries after
    /// `id` (`"$"`: only new ones; `"0"`: the whole stream). The stream must exist (see
    /// [`StreamGroupCommands::xgroup_create_with`] and `MKSTREAM`); an existing group is a
    /// `BUSYGROUP` server error.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xgroup-create>
    fn xgroup_create(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        id: impl ToArg,
    ) -> Self::Output<()> {
        self.execute(Cmd::new("XGROUP CREATE").key(key).arg(group).arg(id))
    }

    /// `XGROUP CREATE` with `MKSTREAM` (create an empty stream when missing) and
    /// `ENTRIESREAD` (Redis 7.0+).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0 (`ENTRIESREAD`: 7.0).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::XGroupCreateOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.xgroup_create_with("events", "mailer", "$", XGroupCreateOptions::new().mkstream())?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xgroup-create>
    fn xgroup_create_with(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        id: impl ToArg,
        options: XGroupCreateOptions,
    ) -> Self::Output<()> {
        let cmd = Cmd::new("XGROUP CREATE").key(key).arg(group).arg(id);
        self.execute(options.apply(cmd))
    }

    /// Creates the consumer `consumer` in `group`; returns whether it was created (`false`:
    /// it existed).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/xgroup-createconsumer>
    fn xgroup_createconsumer(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
    ) -> Self::Output<bool> {
        self.execute(
            Cmd::new("XGROUP CREATECONSUMER")
                .key(key)
                .arg(group)
                .arg(consumer),
        )
    }

    /// Deletes the consumer `consumer` from `group`; returns how many entries it had pending
    /// (they are no longer pending for anyone).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xgroup-delconsumer>
    fn xgroup_delconsumer(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
    ) -> Self::Output<i64> {
        self.execute(
            Cmd::new("XGROUP DELCONSUMER")
                .key(key)
                .arg(group)
                .arg(consumer),
        )
    }

    /// Destroys the consumer group `group`, with its consumers and pending entries; returns
    /// whether it existed.
    ///
    /// Complexity: O(N), N being the number of entries pending in the group.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xgroup-destroy>
    fn xgroup_destroy(&self, key: impl ToArg, group: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("XGROUP DESTROY").key(key).arg(group))
    }

    /// Sets the last id delivered to `group` (`"$"`: the stream's last entry).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xgroup-setid>
    fn xgroup_setid(&self, key: impl ToArg, group: impl ToArg, id: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("XGROUP SETID").key(key).arg(group).arg(id))
    }

    /// `XGROUP SETID … ENTRIESREAD entries_read` (Redis 7.0+): also sets how many entries the
    /// group has read, for its lag.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xgroup-setid>
    fn xgroup_setid_with(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        id: impl ToArg,
        entries_read: u64,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("XGROUP SETID")
                .key(key)
                .arg(group)
                .arg(id)
                .arg("ENTRIESREAD")
                .arg(entries_read),
        )
    }

    /// Reads as `consumer` of `group`, without blocking: `streams` pairs each key with `">"`
    /// (entries never delivered to the group; they become pending for this consumer) or an
    /// id (this consumer's pending entries after it: its history). Returns one
    /// [`StreamReadReply`] per stream in the reply: for `">"`, the streams that had new entries
    /// (an empty list when none had); for history, every stream, possibly with no entries. A
    /// history entry deleted since has no fields (see [`StreamEntry`]).
    ///
    /// Complexity: O(M) for each stream, M being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::StreamReadReply;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let new: Vec<StreamReadReply> = r.xreadgroup("mailer", "worker-1", [("events", ">")])?;
    /// for entry in new.iter().flat_map(|s| &s.entries) {
    ///     // ... handle it, then:
    ///     r.xack("events", "mailer", entry.id)?;
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xreadgroup>
    fn xreadgroup<F: FromValue>(
        &self,
        group: impl ToArg,
        consumer: impl ToArg,
        streams: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
    ) -> Self::Output<Vec<StreamReadReply<F>>> {
        let cmd = Cmd::new("XREADGROUP").arg("GROUP").arg(group).arg(consumer);
        self.execute(with_streams(cmd, streams))
    }

    /// `XREADGROUP` with `COUNT` and `NOACK`, without blocking.
    ///
    /// Complexity: O(M) for each stream, M being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xreadgroup>
    fn xreadgroup_with<F: FromValue>(
        &self,
        group: impl ToArg,
        consumer: impl ToArg,
        streams: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
        options: XReadGroupOptions,
    ) -> Self::Output<Vec<StreamReadReply<F>>> {
        let cmd = Cmd::new("XREADGROUP").arg("GROUP").arg(group).arg(consumer);
        self.execute(with_streams(options.apply(cmd), streams))
    }

    /// Acknowledges the entries `ids` in `group` (removes them from its pending list);
    /// returns how many were pending.
    ///
    /// Complexity: O(1) for each id.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xack>
    fn xack(&self, key: impl ToArg, group: impl ToArg, ids: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("XACK")
                .key(key)
                .arg(group)
                .args(ids)
                .required("ids"),
        )
    }

    /// Gives the pending entries `ids` idle for at least `min_idle` to `consumer`; returns the
    /// entries claimed (ids not pending, or whose entries were deleted, are left out).
    ///
    /// Complexity: O(log N), N being the number of entries pending in the group.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xclaim>
    fn xclaim<F: FromValue>(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle: Duration,
        ids: impl ToArgs,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        self.execute(xclaim_cmd(key, group, consumer, min_idle, ids))
    }

    /// `XCLAIM` with `IDLE`, `TIME`, `RETRYCOUNT`, `FORCE` and `LASTID`.
    ///
    /// Complexity: O(log N), N being the number of entries pending in the group.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xclaim>
    fn xclaim_with<F: FromValue>(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle: Duration,
        ids: impl ToArgs,
        options: XClaimOptions,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        let cmd = xclaim_cmd(key, group, consumer, min_idle, ids);
        self.execute(options.apply(cmd))
    }

    /// `XCLAIM … JUSTID`: claims like [`StreamGroupCommands::xclaim`] without incrementing the
    /// delivery counts, and returns the ids claimed only.
    ///
    /// Complexity: O(log N), N being the number of entries pending in the group.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xclaim>
    fn xclaim_justid(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle: Duration,
        ids: impl ToArgs,
    ) -> Self::Output<Vec<StreamId>> {
        let cmd = xclaim_cmd(key, group, consumer, min_idle, ids);
        self.execute(cmd.arg("JUSTID"))
    }

    /// `XCLAIM … JUSTID` with `IDLE`, `TIME`, `RETRYCOUNT`, `FORCE` and `LASTID`.
    ///
    /// Complexity: O(log N), N being the number of entries pending in the group.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xclaim>
    fn xclaim_justid_with(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle: Duration,
        ids: impl ToArgs,
        options: XClaimOptions,
    ) -> Self::Output<Vec<StreamId>> {
        let cmd = xclaim_cmd(key, group, consumer, min_idle, ids);
        self.execute(options.apply(cmd).arg("JUSTID"))
    }

    /// Gives `consumer` the entries of `group` idle for at least `min_idle`, scanning the
    /// pending list from `start` (`"0-0"` for the beginning; 100 entries a call). Returns the
    /// entries claimed, where to continue, and (Redis 7.0+) the pending ids whose entries
    /// were deleted.
    ///
    /// Complexity: O(1) if the count is small.
    ///
    /// Since: Redis 6.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let mut start = coredis::types::StreamId::MIN;
    /// loop {
    ///     let page: coredis::types::StreamAutoClaim =
    ///         r.xautoclaim("events", "mailer", "rescuer", Duration::from_secs(60), start)?;
    ///     // ... handle page.entries ...
    ///     if page.next == coredis::types::StreamId::MIN {
    ///         break;
    ///     }
    ///     start = page.next;
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xautoclaim>
    fn xautoclaim<F: FromValue>(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle: Duration,
        start: impl ToArg,
    ) -> Self::Output<StreamAutoClaim<F>> {
        self.execute(xautoclaim_cmd(key, group, consumer, min_idle, start))
    }

    /// `XAUTOCLAIM … COUNT count`: scans at most `count` pending entries (default 100).
    ///
    /// Complexity: O(1) if the count is small.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/xautoclaim>
    fn xautoclaim_with<F: FromValue>(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle: Duration,
        start: impl ToArg,
        count: u64,
    ) -> Self::Output<StreamAutoClaim<F>> {
        let cmd = xautoclaim_cmd(key, group, consumer, min_idle, start);
        self.execute(cmd.arg("COUNT").arg(count))
    }

    /// `XAUTOCLAIM … JUSTID`: claims like [`StreamGroupCommands::xautoclaim`] without
    /// incrementing the delivery counts, and returns ids instead of entries.
    ///
    /// Complexity: O(1) if the count is small.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/xautoclaim>
    fn xautoclaim_justid(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle: Duration,
        start: impl ToArg,
    ) -> Self::Output<StreamAutoClaimIds> {
        let cmd = xautoclaim_cmd(key, group, consumer, min_idle, start);
        self.execute(cmd.arg("JUSTID"))
    }

    /// `XAUTOCLAIM … COUNT count JUSTID`.
    ///
    /// Complexity: O(1) if the count is small.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/xautoclaim>
    fn xautoclaim_justid_with(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        consumer: impl ToArg,
        min_idle: Duration,
        start: impl ToArg,
        count: u64,
    ) -> Self::Output<StreamAutoClaimIds> {
        let cmd = xautoclaim_cmd(key, group, consumer, min_idle, start);
        self.execute(cmd.arg("COUNT").arg(count).arg("JUSTID"))
    }

    /// The summary of `group`'s pending entries: how many, the smallest and largest ids, and
    /// how many each consumer holds.
    ///
    /// Complexity: O(N) for the consumers, N being their number (O(1) with few consumers).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xpending>
    fn xpending(&self, key: impl ToArg, group: impl ToArg) -> Self::Output<StreamPendingSummary> {
        self.execute(Cmd::new("XPENDING").key(key).arg(group).readonly())
    }

    /// The extended form of `XPENDING`: at most `count` pending entries of `group` with ids
    /// from `start` to `end` (`"-"`, `"+"`, ids, or an exclusive `"(id"`), each with its
    /// consumer, idle time and delivery count.
    ///
    /// Complexity: O(N), N being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xpending>
    fn xpending_range(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        start: impl ToArg,
        end: impl ToArg,
        count: u64,
    ) -> Self::Output<Vec<StreamPendingEntry>> {
        self.execute(
            Cmd::new("XPENDING")
                .key(key)
                .arg(group)
                .arg(start)
                .arg(end)
                .arg(count)
                .readonly(),
        )
    }

    /// The extended form of `XPENDING` with filters: a minimum idle time (`IDLE`, Redis 6.2+)
    /// and one consumer.
    ///
    /// Complexity: O(N), N being the number of entries returned; O(M) with `IDLE`, M being
    /// the number of entries scanned.
    ///
    /// Since: Redis 5.0 (`IDLE`: 6.2).
    ///
    /// # See also
    /// <https://redis.io/commands/xpending>
    fn xpending_range_with(
        &self,
        key: impl ToArg,
        group: impl ToArg,
        start: impl ToArg,
        end: impl ToArg,
        count: u64,
        options: XPendingOptions,
    ) -> Self::Output<Vec<StreamPendingEntry>> {
        let cmd = options.apply_idle(Cmd::new("XPENDING").key(key).arg(group));
        let cmd = cmd.arg(start).arg(end).arg(count);
        self.execute(options.apply_consumer(cmd).readonly())
    }

    /// The consumer groups of the stream at `key`.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xinfo-groups>
    fn xinfo_groups(&self, key: impl ToArg) -> Self::Output<Vec<XInfoGroup>> {
        self.execute(Cmd::new("XINFO GROUPS").key(key).readonly())
    }

    /// The consumers of `group`, with their pending counts and idle times.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xinfo-consumers>
    fn xinfo_consumers(
        &self,
        key: impl ToArg,
        group: impl ToArg,
    ) -> Self::Output<Vec<XInfoConsumer>> {
        self.execute(Cmd::new("XINFO CONSUMERS").key(key).arg(group).readonly())
    }
}

impl<E: Executor + ?Sized> StreamGroupCommands for E {}

fn xclaim_cmd<T: FromValue>(
    key: impl ToArg,
    group: impl ToArg,
    consumer: impl ToArg,
    min_idle: Duration,
    ids: impl ToArgs,
) -> Cmd<T> {
    Cmd::new("XCLAIM")
        .key(key)
        .arg(group)
        .arg(consumer)
        .arg(time::millis(min_idle))
        .args(ids)
        .required("ids")
}

fn xautoclaim_cmd<T: FromValue>(
    key: impl ToArg,
    group: impl ToArg,
    consumer: impl ToArg,
    min_idle: Duration,
    start: impl ToArg,
) -> Cmd<T> {
    Cmd::new("XAUTOCLAIM")
        .key(key)
        .arg(group)
        .arg(consumer)
        .arg(time::millis(min_idle))
        .arg(start)
}
