//! Stream commands (`@stream`), in two traits: [`StreamCommands`] here (adding, reading,
//! trimming and inspecting a stream) and [`StreamGroupCommands`] in `groups.rs` (consumer
//! groups: `XGROUP *`, `XREADGROUP`, `XACK`, `XCLAIM`, `XAUTOCLAIM`, `XPENDING`,
//! `XINFO GROUPS|CONSUMERS`). The prelude brings both.
//!
//! Entries are [`StreamEntry<F>`]s whose fields read as any `F: FromValue` taking a list of
//! field/value pairs (see [`crate::types`]' stream types). Ids are [`StreamId`]s in replies;
//! arguments take a `StreamId`, a [`crate::types::StreamBound`] or the server's own spellings
//! (`"*"`, `"$"`, `">"`, `"-"`, `"+"`, `"(1-1"`). The blocking forms (`XREAD BLOCK`,
//! `XREADGROUP BLOCK`) are not here: they run on dedicated connections.

mod groups;

pub use groups::StreamGroupCommands;

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::{
    StreamEntry, StreamId, StreamReadReply, StreamTrim, XAddOptions, XInfoStream, XInfoStreamFull,
    XReadOptions, XSetIdOptions,
};

/// Commands of the `stream` group that need no consumer group: adding, reading, trimming and
/// inspecting a stream. The consumer-group commands are [`StreamGroupCommands`].
///
/// Entries are [`StreamEntry<F>`]s whose fields read as any `F: FromValue` that takes a list
/// of field/value pairs (`Vec<(String, String)>` by default, a `HashMap` with typed values, or
/// a type of your own). Ids are [`StreamId`]s in replies; arguments take a `StreamId`, a
/// [`crate::types::StreamBound`] or the server's own spellings (`"*"`, `"$"`, `"-"`, `"+"`,
/// `"(1-1"`). The blocking form `XREAD BLOCK` is not here: it needs a dedicated connection.
pub trait StreamCommands: Executor {
    /// Appends an entry with `fields` (field/value pairs) to the stream at `key`, creating
    /// it if needed. `id` is `"*"` for a server-generated id, an explicit [`StreamId`] (or
    /// `"ms-seq"`), or `"ms-*"` for a generated sequence (Redis 7.0+). Returns the entry's id.
    ///
    /// Complexity: O(1) when adding a new entry.
    ///
    /// Since: Redis 5.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let id = r.xadd("events", "*", [("kind", "login"), ("user", "ada")])?;
    /// println!("added {id}");
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xadd>
    fn xadd<K: ToArg, V: ToArg>(
        &self,
        key: impl ToArg,
        id: impl ToArg,
        fields: impl IntoIterator<Item = (K, V)>,
    ) -> Self::Output<StreamId> {
        self.execute(
            Cmd::new("XADD")
                .key(key)
                .arg(id)
                .arg_pairs(fields)
                .required("fields"),
        )
    }

    /// `XADD` with options: `NOMKSTREAM` (Redis 6.2+) and trimming (`MAXLEN`/`MINID`, `=`/`~`,
    /// `LIMIT`). Returns the entry's id, or `None` when `NOMKSTREAM` found no stream.
    ///
    /// Complexity: O(1) when adding a new entry, O(N) when trimming, N being the number of
    /// entries evicted.
    ///
    /// Since: Redis 5.0 (`NOMKSTREAM`, `MINID`, `LIMIT`: 6.2).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{StreamTrim, XAddOptions};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let capped = XAddOptions::new().trim(StreamTrim::maxlen(1000).approximate());
    /// let id = r.xadd_with("events", "*", [("kind", "logout")], capped)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xadd>
    fn xadd_with<K: ToArg, V: ToArg>(
        &self,
        key: impl ToArg,
        id: impl ToArg,
        fields: impl IntoIterator<Item = (K, V)>,
        options: XAddOptions,
    ) -> Self::Output<Option<StreamId>> {
        let cmd = options.apply(Cmd::new("XADD").key(key));
        self.execute(cmd.arg(id).arg_pairs(fields).required("fields"))
    }

    /// The entries with ids from `start` to `end`, oldest first. Bounds: `"-"` and `"+"` for
    /// the ends, an id (or `"ms"` alone), or an exclusive `"(id"` / [`crate::types::StreamBound`]
    /// (Redis 6.2+).
    ///
    /// Complexity: O(N), N being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::StreamEntry;
    /// use std::collections::HashMap;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Fields as pairs, in order (the default) ...
    /// let all: Vec<StreamEntry> = r.xrange("events", "-", "+")?;
    /// // ... or as a map with typed values.
    /// let typed: Vec<StreamEntry<HashMap<String, i64>>> = r.xrange("counters", "-", "+")?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xrange>
    fn xrange<F: FromValue>(
        &self,
        key: impl ToArg,
        start: impl ToArg,
        end: impl ToArg,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        self.execute(Cmd::new("XRANGE").key(key).arg(start).arg(end).readonly())
    }

    /// `XRANGE … COUNT count`: at most `count` entries from `start` on. To page, start the
    /// next call after the last id returned ([`StreamId::next`], or `"(id"`).
    ///
    /// Complexity: O(N), N being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xrange>
    fn xrange_with<F: FromValue>(
        &self,
        key: impl ToArg,
        start: impl ToArg,
        end: impl ToArg,
        count: u64,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        self.execute(
            Cmd::new("XRANGE")
                .key(key)
                .arg(start)
                .arg(end)
                .arg("COUNT")
                .arg(count)
                .readonly(),
        )
    }

    /// The entries with ids from `end` down to `start`, newest first (note the order of the
    /// bounds: the higher one first, as the server takes them).
    ///
    /// Complexity: O(N), N being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xrevrange>
    fn xrevrange<F: FromValue>(
        &self,
        key: impl ToArg,
        end: impl ToArg,
        start: impl ToArg,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        self.execute(
            Cmd::new("XREVRANGE")
                .key(key)
                .arg(end)
                .arg(start)
                .readonly(),
        )
    }

    /// `XREVRANGE … COUNT count`: at most `count` entries, newest first.
    ///
    /// Complexity: O(N), N being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xrevrange>
    fn xrevrange_with<F: FromValue>(
        &self,
        key: impl ToArg,
        end: impl ToArg,
        start: impl ToArg,
        count: u64,
    ) -> Self::Output<Vec<StreamEntry<F>>> {
        self.execute(
            Cmd::new("XREVRANGE")
                .key(key)
                .arg(end)
                .arg(start)
                .arg("COUNT")
                .arg(count)
                .readonly(),
        )
    }

    /// The entries after the given id of each stream (`STREAMS key… id…`), without blocking:
    /// `streams` pairs each key with the id to read after (`"0"` for everything, `"$"` for
    /// nothing yet, `"+"` for the last entry on Valkey and Redis 7.4+). Returns one
    /// [`StreamReadReply`] per stream that had entries, in order; an empty list when none had.
    ///
    /// Complexity: O(N) for each stream, N being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::StreamReadReply;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let read: Vec<StreamReadReply> = r.xread([("events", "0"), ("audit", "0")])?;
    /// for stream in read {
    ///     for entry in stream.entries {
    ///         println!("{} {} {:?}", stream.key, entry.id, entry.fields);
    ///     }
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xread>
    fn xread<F: FromValue>(
        &self,
        streams: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
    ) -> Self::Output<Vec<StreamReadReply<F>>> {
        self.execute(with_streams(Cmd::new("XREAD"), streams).readonly())
    }

    /// `XREAD` with `COUNT` (at most that many entries per stream), without blocking.
    ///
    /// Complexity: O(N) for each stream, N being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xread>
    fn xread_with<F: FromValue>(
        &self,
        streams: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
        options: XReadOptions,
    ) -> Self::Output<Vec<StreamReadReply<F>>> {
        let cmd = options.apply(Cmd::new("XREAD"));
        self.execute(with_streams(cmd, streams).readonly())
    }

    /// The number of entries in the stream (0 when the key does not exist).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xlen>
    fn xlen(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("XLEN").key(key).readonly())
    }

    /// Deletes the entries with `ids`; returns how many existed.
    ///
    /// Complexity: O(1) for each entry deleted.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xdel>
    fn xdel(&self, key: impl ToArg, ids: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("XDEL").key(key).args(ids).required("ids"))
    }

    /// Trims the stream (`MAXLEN`/`MINID`, exact or approximate, with a `LIMIT`); returns how
    /// many entries were evicted.
    ///
    /// Complexity: O(N), N being the number of entries evicted.
    ///
    /// Since: Redis 5.0 (`MINID`, `LIMIT`: 6.2).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::StreamTrim;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let evicted = r.xtrim("events", StreamTrim::maxlen(1000).exact())?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xtrim>
    fn xtrim(&self, key: impl ToArg, trim: StreamTrim) -> Self::Output<i64> {
        self.execute(trim.apply(Cmd::new("XTRIM").key(key)))
    }

    /// Sets the stream's last generated id to `last_id` (no smaller than its last entry's).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xsetid>
    fn xsetid(&self, key: impl ToArg, last_id: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("XSETID").key(key).arg(last_id))
    }

    /// `XSETID` with `ENTRIESADDED` and `MAXDELETEDID` (Redis 7.0+).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0 (options: 7.0).
    ///
    /// # See also
    /// <https://redis.io/commands/xsetid>
    fn xsetid_with(
        &self,
        key: impl ToArg,
        last_id: impl ToArg,
        options: XSetIdOptions,
    ) -> Self::Output<()> {
        self.execute(options.apply(Cmd::new("XSETID").key(key).arg(last_id)))
    }

    /// The stream's size, ids, group count and first and last entries. A missing key is a
    /// server error (`ERR no such key`).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xinfo-stream>
    fn xinfo_stream<F: FromValue>(&self, key: impl ToArg) -> Self::Output<XInfoStream<F>> {
        self.execute(Cmd::new("XINFO STREAM").key(key).readonly())
    }

    /// `XINFO STREAM … FULL`: the stream with its entries and every group's pending entries
    /// and consumers (at most 10 of each).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xinfo-stream>
    fn xinfo_stream_full<F: FromValue>(&self, key: impl ToArg) -> Self::Output<XInfoStreamFull<F>> {
        self.execute(Cmd::new("XINFO STREAM").key(key).arg("FULL").readonly())
    }

    /// `XINFO STREAM … FULL COUNT count`: at most `count` entries and pending entries of each
    /// kind (0: all of them).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xinfo-stream>
    fn xinfo_stream_full_with<F: FromValue>(
        &self,
        key: impl ToArg,
        count: u64,
    ) -> Self::Output<XInfoStreamFull<F>> {
        self.execute(
            Cmd::new("XINFO STREAM")
                .key(key)
                .arg("FULL")
                .arg("COUNT")
                .arg(count)
                .readonly(),
        )
    }
}

impl<E: Executor + ?Sized> StreamCommands for E {}

/// Appends `STREAMS key… id…` from `(key, id)` pairs, refusing an empty list.
pub(crate) fn with_streams<T, K: ToArg, I: ToArg>(
    cmd: Cmd<T>,
    streams: impl IntoIterator<Item = (K, I)>,
) -> Cmd<T> {
    let (keys, ids): (Vec<K>, Vec<I>) = streams.into_iter().unzip();
    cmd.arg("STREAMS")
        .keys_from(keys)
        .required("streams")
        .args_from(ids)
}
