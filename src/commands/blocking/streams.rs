//! Blocking stream commands: XREAD and XREADGROUP with `BLOCK` — the waiting forms of
//! [`crate::commands::StreamCommands::xread`] and
//! [`crate::commands::StreamGroupCommands::xreadgroup`].

use std::time::Duration;

use crate::args::{time, ToArg};
use crate::cmd::Cmd;
use crate::commands::streams::with_streams;
use crate::commands::BlockingExecutor;
use crate::from_value::FromValue;
use crate::types::{StreamReadReply, XReadGroupOptions, XReadOptions};

/// The blocking stream commands. They run on a dedicated connection: other callers are not
/// held up while one waits. Entries and ids are typed as in
/// [`crate::commands::StreamCommands`].
pub trait BlockingStreamCommands: BlockingExecutor {
    /// The entries after the given id of each stream, waiting up to `timeout` for one when
    /// there are none yet (`Duration::ZERO`: for ever): `streams` pairs each key with the id to
    /// read after (`"$"`: only entries added from now on; `"0"`: everything, which does not
    /// wait when the stream has entries). Returns one [`StreamReadReply`] per stream that had
    /// entries, in order; an empty list when the timeout passed.
    ///
    /// Complexity: O(N) for each stream, N being the number of entries returned (and, while
    /// it waits, O(M) for the XADD that serves the M clients waiting).
    ///
    /// Since: Redis 5.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// use coredis::types::StreamReadReply;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let mut last = "$".to_string();
    /// loop {
    ///     let read: Vec<StreamReadReply> =
    ///         r.xread_block([("events", last.as_str())], Duration::from_secs(5))?;
    ///     for entry in read.iter().flat_map(|s| &s.entries) {
    ///         println!("{} {:?}", entry.id, entry.fields);
    ///         last = entry.id.to_string();
    ///     }
    /// #   break;
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xread>
    fn xread_block<F: FromValue>(
        &self,
        streams: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
        timeout: Duration,
    ) -> Self::Output<Vec<StreamReadReply<F>>> {
        let cmd = Cmd::new("XREAD").arg("BLOCK").arg(time::millis(timeout));
        self.execute(with_streams(cmd, streams).readonly().blocking_for(timeout))
    }

    /// [`BlockingStreamCommands::xread_block`] with the options of
    /// [`crate::commands::StreamCommands::xread_with`] (`COUNT`: at most that many entries per
    /// stream).
    ///
    /// Complexity: O(N) for each stream, N being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xread>
    fn xread_block_with<F: FromValue>(
        &self,
        streams: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
        timeout: Duration,
        options: XReadOptions,
    ) -> Self::Output<Vec<StreamReadReply<F>>> {
        let cmd = options
            .apply(Cmd::new("XREAD"))
            .arg("BLOCK")
            .arg(time::millis(timeout));
        self.execute(with_streams(cmd, streams).readonly().blocking_for(timeout))
    }

    /// Reads as `consumer` of `group`, waiting up to `timeout` for new entries when there are
    /// none yet (`Duration::ZERO`: for ever). `streams` pairs each key with `">"` (entries
    /// never delivered to the group: the only form that waits; they become pending for this
    /// consumer) or an id (this consumer's pending entries after it, returned at once). Returns
    /// one [`StreamReadReply`] per stream in the reply, as
    /// [`crate::commands::StreamGroupCommands::xreadgroup`] does; an empty list when the
    /// timeout passed.
    ///
    /// Complexity: O(M) for each stream, M being the number of entries returned (and, while
    /// it waits, O(N) for the XADD that serves the N clients waiting).
    ///
    /// Since: Redis 5.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// use coredis::types::StreamReadReply;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let new: Vec<StreamReadReply> =
    ///     r.xreadgroup_block("mailer", "worker-1", [("events", ">")], Duration::from_secs(5))?;
    /// for entry in new.iter().flat_map(|s| &s.entries) {
    ///     // ... handle it, then:
    ///     r.xack("events", "mailer", entry.id)?;
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/xreadgroup>
    fn xreadgroup_block<F: FromValue>(
        &self,
        group: impl ToArg,
        consumer: impl ToArg,
        streams: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
        timeout: Duration,
    ) -> Self::Output<Vec<StreamReadReply<F>>> {
        let cmd = Cmd::new("XREADGROUP")
            .arg("GROUP")
            .arg(group)
            .arg(consumer)
            .arg("BLOCK")
            .arg(time::millis(timeout));
        self.execute(with_streams(cmd, streams).blocking_for(timeout))
    }

    /// [`BlockingStreamCommands::xreadgroup_block`] with the options of
    /// [`crate::commands::StreamGroupCommands::xreadgroup_with`] (`COUNT`, `NOACK`).
    ///
    /// Complexity: O(M) for each stream, M being the number of entries returned.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/xreadgroup>
    fn xreadgroup_block_with<F: FromValue>(
        &self,
        group: impl ToArg,
        consumer: impl ToArg,
        streams: impl IntoIterator<Item = (impl ToArg, impl ToArg)>,
        timeout: Duration,
        options: XReadGroupOptions,
    ) -> Self::Output<Vec<StreamReadReply<F>>> {
        let cmd = Cmd::new("XREADGROUP").arg("GROUP").arg(group).arg(consumer);
        let cmd = options.apply(cmd).arg("BLOCK").arg(time::millis(timeout));
        self.execute(with_streams(cmd, streams).blocking_for(timeout))
    }
}

impl<E: BlockingExecutor + ?Sized> BlockingStreamCommands for E {}
