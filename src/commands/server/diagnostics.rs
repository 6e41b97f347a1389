//! Diagnostics: latency monitoring (`LATENCY *`), memory (`MEMORY *`), the slow log
//! (`SLOWLOG *`) and Valkey's command logs (`COMMANDLOG *`).

use super::super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::{Cmd, ReplyFn};
use crate::types::{
    CommandLogEntry, CommandLogType, LatencyHistogram, LatencyLatest, LatencySample, MemoryStats,
    SlowLogEntry,
};

/// The diagnostic commands: where time and memory go.
pub trait DiagnosticCommands: Executor {
    /// The server's commands log (Valkey 8.1+): at most `count` entries (`-1`: all) of the
    /// log of slow commands, of large requests or of large replies, newest first. Entries of
    /// the `slow` log carry a [duration](crate::types::CommandLogCost::Duration), the others
    /// a [size](crate::types::CommandLogCost::Bytes).
    ///
    /// Complexity: O(N), N the number of entries returned.
    /// Since: Valkey 8.1.0 (not in Redis).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{CommandLogCost, CommandLogType};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// for e in r.commandlog_get(10, CommandLogType::LargeReply)? {
    ///     if let CommandLogCost::Bytes(n) = e.cost {
    ///         println!("{:?} replied {n} bytes", e.args);
    ///     }
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://valkey.io/commands/commandlog-get/>
    fn commandlog_get(
        &self,
        count: i64,
        log: CommandLogType,
    ) -> Self::Output<Vec<CommandLogEntry>> {
        let reply: ReplyFn<Vec<CommandLogEntry>> = match log {
            CommandLogType::Slow => CommandLogEntry::read_slow,
            _ => CommandLogEntry::read_sized,
        };
        self.execute(
            Cmd::with_reply("COMMANDLOG GET", reply)
                .arg(count)
                .arg(log.token()),
        )
    }

    /// How many entries one of the command logs holds (Valkey 8.1+).
    ///
    /// Complexity: O(1).
    /// Since: Valkey 8.1.0 (not in Redis).
    ///
    /// # See also
    /// <https://valkey.io/commands/commandlog-len/>
    fn commandlog_len(&self, log: CommandLogType) -> Self::Output<u64> {
        self.execute(Cmd::new("COMMANDLOG LEN").arg(log.token()))
    }

    /// Empties one of the command logs (Valkey 8.1+).
    ///
    /// Complexity: O(N), N the number of entries in the log.
    /// Since: Valkey 8.1.0 (not in Redis).
    ///
    /// # See also
    /// <https://valkey.io/commands/commandlog-reset/>
    fn commandlog_reset(&self, log: CommandLogType) -> Self::Output<()> {
        self.execute(Cmd::new("COMMANDLOG RESET").arg(log.token()))
    }

    /// The latency monitor's analysis of the recorded spikes, with advice, as text for
    /// humans.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/latency-doctor>
    fn latency_doctor(&self) -> Self::Output<String> {
        self.execute(Cmd::new("LATENCY DOCTOR"))
    }

    /// An ASCII-art graph of an event's latency spikes (`"command"`, `"fork"`, …). An error
    /// when the event has no samples.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/latency-graph>
    fn latency_graph(&self, event: impl ToArg) -> Self::Output<String> {
        self.execute(Cmd::new("LATENCY GRAPH").arg(event))
    }

    /// The latency distribution of every command called since the start (or `CONFIG
    /// RESETSTAT`), typed.
    ///
    /// Complexity: O(N), N the number of commands with latency information being retrieved.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/latency-histogram>
    fn latency_histogram(&self) -> Self::Output<Vec<LatencyHistogram>> {
        self.execute(Cmd::with_reply(
            "LATENCY HISTOGRAM",
            LatencyHistogram::read_all,
        ))
    }

    /// The latency distribution of the named commands (`"set"`, `"config|get"`); commands
    /// not called yet are left out.
    ///
    /// Complexity: O(N), N the number of commands with latency information being retrieved.
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// for h in r.latency_histogram_with(["get", "set"])? {
    ///     let slowest = h.buckets.last().map(|b| b.upper_bound);
    ///     println!("{}: {} calls, all under {slowest:?}", h.command, h.calls);
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/latency-histogram>
    fn latency_histogram_with(&self, commands: impl ToArgs) -> Self::Output<Vec<LatencyHistogram>> {
        self.execute(
            Cmd::with_reply("LATENCY HISTOGRAM", LatencyHistogram::read_all).args(commands),
        )
    }

    /// The recorded spikes of an event (at most 160), oldest first.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/latency-history>
    fn latency_history(&self, event: impl ToArg) -> Self::Output<Vec<LatencySample>> {
        self.execute(Cmd::new("LATENCY HISTORY").arg(event))
    }

    /// The latest and worst spike of every event with samples.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/latency-latest>
    fn latency_latest(&self) -> Self::Output<Vec<LatencyLatest>> {
        self.execute(Cmd::new("LATENCY LATEST"))
    }

    /// Forgets the samples of every event; returns how many events had some.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/latency-reset>
    fn latency_reset(&self) -> Self::Output<i64> {
        self.execute(Cmd::new("LATENCY RESET"))
    }

    /// Forgets the samples of the named events; returns how many had some.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.8.13.
    ///
    /// # See also
    /// <https://redis.io/commands/latency-reset>
    fn latency_reset_with(&self, events: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("LATENCY RESET").args(events))
    }

    /// The memory doctor's analysis of memory problems, with advice, as text for humans.
    ///
    /// Complexity: O(1).
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/memory-doctor>
    fn memory_doctor(&self) -> Self::Output<String> {
        self.execute(Cmd::new("MEMORY DOCTOR"))
    }

    /// The memory allocator's own statistics, as text (jemalloc's report; a short note with
    /// other allocators).
    ///
    /// Complexity: depends on how much memory is allocated, could be slow.
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/memory-malloc-stats>
    fn memory_malloc_stats(&self) -> Self::Output<String> {
        self.execute(Cmd::new("MEMORY MALLOC-STATS"))
    }

    /// Asks the allocator to return unused memory to the operating system (jemalloc only;
    /// a no-op otherwise).
    ///
    /// Complexity: depends on how much memory is allocated, could be slow.
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/memory-purge>
    fn memory_purge(&self) -> Self::Output<()> {
        self.execute(Cmd::new("MEMORY PURGE"))
    }

    /// Where the server's memory goes, typed: allocations, overheads, the dataset, per
    /// database, fragmentation.
    ///
    /// Complexity: O(1).
    /// Since: Redis 4.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let m = r.memory_stats()?;
    /// println!("{} keys, {} bytes of data, fragmentation {:.2}", m.keys_count, m.dataset_bytes, m.fragmentation);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/memory-stats>
    fn memory_stats(&self) -> Self::Output<MemoryStats> {
        self.execute(Cmd::new("MEMORY STATS"))
    }

    /// How many bytes `key` and its value take, overheads included (nested values
    /// estimated from 5 samples); `None` when the key does not exist.
    ///
    /// Complexity: O(N), N the number of samples.
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/memory-usage>
    fn memory_usage(&self, key: impl ToArg) -> Self::Output<Option<u64>> {
        self.execute(Cmd::new("MEMORY USAGE").key(key).readonly())
    }

    /// `MEMORY USAGE key SAMPLES count`: the estimate from `count` sampled nested values
    /// (0: all of them, exact but slow on big values).
    ///
    /// Complexity: O(N), N the number of samples.
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/memory-usage>
    fn memory_usage_with(&self, key: impl ToArg, samples: u64) -> Self::Output<Option<u64>> {
        self.execute(
            Cmd::new("MEMORY USAGE")
                .key(key)
                .arg("SAMPLES")
                .arg(samples)
                .readonly(),
        )
    }

    /// The slow log's 10 newest entries, newest first, typed.
    ///
    /// Complexity: O(N), N the number of entries returned.
    /// Since: Redis 2.2.12.
    ///
    /// # See also
    /// <https://redis.io/commands/slowlog-get>
    fn slowlog_get(&self) -> Self::Output<Vec<SlowLogEntry>> {
        self.execute(Cmd::new("SLOWLOG GET"))
    }

    /// `SLOWLOG GET count`: the slow log's `count` newest entries (`-1`: all), newest first.
    ///
    /// Complexity: O(N), N the number of entries returned.
    /// Since: Redis 2.2.12.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// for e in r.slowlog_get_with(-1)? {
    ///     println!("{:?} took {:?}: {}", e.time, e.duration, e.args.join(" "));
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/slowlog-get>
    fn slowlog_get_with(&self, count: i64) -> Self::Output<Vec<SlowLogEntry>> {
        self.execute(Cmd::new("SLOWLOG GET").arg(count))
    }

    /// How many entries the slow log holds.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.2.12.
    ///
    /// # See also
    /// <https://redis.io/commands/slowlog-len>
    fn slowlog_len(&self) -> Self::Output<u64> {
        self.execute(Cmd::new("SLOWLOG LEN"))
    }

    /// Empties the slow log.
    ///
    /// Complexity: O(N), N the number of entries in the slow log.
    /// Since: Redis 2.2.12.
    ///
    /// # See also
    /// <https://redis.io/commands/slowlog-reset>
    fn slowlog_reset(&self) -> Self::Output<()> {
        self.execute(Cmd::new("SLOWLOG RESET"))
    }
}

impl<E: Executor + ?Sized> DiagnosticCommands for E {}
