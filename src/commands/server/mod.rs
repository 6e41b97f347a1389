//! Server commands (`@server`), one trait per sub-topic:
//!
//! - [`ServerCommands`] (here): the dataset and the process — `DBSIZE`, `FLUSHDB`, `FLUSHALL`,
//!   `SWAPDB`, `INFO`, `TIME`, `LOLWUT`, persistence (`SAVE`, `BGSAVE`, `BGREWRITEAOF`,
//!   `LASTSAVE`) and `SHUTDOWN`;
//! - [`ReplicationCommands`] (`replication.rs`): `ROLE`, `REPLICAOF`, `FAILOVER`;
//! - [`AclCommands`] (`acl.rs`): `ACL *`;
//! - [`ConfigCommands`] (`config.rs`): `CONFIG *`;
//! - [`IntrospectionCommands`] (`introspection.rs`): `COMMAND *`;
//! - [`DiagnosticCommands`] (`diagnostics.rs`): `LATENCY *`, `MEMORY *`, `SLOWLOG *` and
//!   Valkey's `COMMANDLOG *`;
//! - [`ModuleCommands`] (`modules.rs`): `MODULE *`.
//!
//! Not methods: `MONITOR` (it turns the connection into a stream), `SYNC`/`PSYNC`/`REPLCONF`
//! (the replication protocol), `DEBUG` (for server developers), `RESTORE-ASKING` (sent by
//! cluster nodes to each other), and every `… HELP` (text for humans). Run them through
//! [`crate::cmd()`] if you must, on a connection of your own where the shared one refuses
//! them.

mod acl;
mod config;
mod diagnostics;
mod introspection;
mod modules;
mod replication;

pub use acl::AclCommands;
pub use config::ConfigCommands;
pub use diagnostics::DiagnosticCommands;
pub use introspection::IntrospectionCommands;
pub use modules::ModuleCommands;
pub use replication::ReplicationCommands;

use std::time::SystemTime;

use super::Executor;
use crate::args::ToArgs;
use crate::cmd::Cmd;
use crate::types::{
    lastsave_reply, time_reply, BackgroundStatus, BgSaveOption, FlushMode, Info, ShutdownOptions,
};

/// Commands of the `server` group about the dataset and the server process.
pub trait ServerCommands: Executor {
    /// Starts rewriting the append-only file in the background (a compact rewrite of the
    /// dataset); when a save runs, the rewrite is scheduled for after it.
    ///
    /// Returns whether it [started](BackgroundStatus::Started) or was
    /// [scheduled](BackgroundStatus::Scheduled); an error when a rewrite already runs.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/bgrewriteaof>
    fn bgrewriteaof(&self) -> Self::Output<BackgroundStatus> {
        self.execute(Cmd::new("BGREWRITEAOF"))
    }

    /// Starts saving the dataset to the RDB file in a child process. Returns
    /// [`BackgroundStatus::Started`]; an error when a save or an AOF rewrite already runs
    /// (see [`ServerCommands::bgsave_with`] and [`BgSaveOption::Schedule`]).
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/bgsave>
    fn bgsave(&self) -> Self::Output<BackgroundStatus> {
        self.execute(Cmd::new("BGSAVE"))
    }

    /// `BGSAVE SCHEDULE` (Redis 3.2.2+): save once the running AOF rewrite ends
    /// ([`BackgroundStatus::Scheduled`]) instead of failing; `BGSAVE CANCEL` (Valkey 8.1+):
    /// stop the running save or drop the scheduled one ([`BackgroundStatus::Cancelled`]; an
    /// error when there is none).
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{BackgroundStatus, BgSaveOption};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// match r.bgsave_with(BgSaveOption::Schedule)? {
    ///     BackgroundStatus::Started => println!("saving now"),
    ///     BackgroundStatus::Scheduled => println!("saving after the AOF rewrite"),
    ///     other => println!("{other:?}"),
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/bgsave>
    fn bgsave_with(&self, option: BgSaveOption) -> Self::Output<BackgroundStatus> {
        self.execute(Cmd::new("BGSAVE").arg(option.token()))
    }

    /// The number of keys in the selected database.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/dbsize>
    fn dbsize(&self) -> Self::Output<i64> {
        self.execute(Cmd::new("DBSIZE").readonly())
    }

    /// Deletes every key of every database.
    ///
    /// Complexity: O(N), N the number of keys in all databases.
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/flushall>
    fn flushall(&self) -> Self::Output<()> {
        self.execute(Cmd::new("FLUSHALL"))
    }

    /// `FLUSHALL ASYNC|SYNC`: deletes every key of every database, freeing the memory in a
    /// background thread or before replying (`SYNC` needs Redis 6.2).
    ///
    /// Complexity: O(N), N the number of keys in all databases.
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/flushall>
    fn flushall_with(&self, mode: FlushMode) -> Self::Output<()> {
        self.execute(Cmd::new("FLUSHALL").arg(mode.token()))
    }

    /// Deletes every key of the selected database.
    ///
    /// Complexity: O(N), N the number of keys in the database.
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/flushdb>
    fn flushdb(&self) -> Self::Output<()> {
        self.execute(Cmd::new("FLUSHDB"))
    }

    /// `FLUSHDB ASYNC|SYNC`: deletes every key of the selected database, freeing the memory
    /// in a background thread or before replying (`SYNC` needs Redis 6.2).
    ///
    /// Complexity: O(N), N the number of keys in the database.
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/flushdb>
    fn flushdb_with(&self, mode: FlushMode) -> Self::Output<()> {
        self.execute(Cmd::new("FLUSHDB").arg(mode.token()))
    }

    /// The server's default `INFO` sections, parsed.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let info = r.info()?;
    /// println!("redis {}", info.get("redis_version").unwrap_or("?"));
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/info>
    fn info(&self) -> Self::Output<Info> {
        self.execute(Cmd::new("INFO"))
    }

    /// The named `INFO` sections (`"server"`, `"memory"`, `"all"`, `"everything"`, …),
    /// parsed. Several sections at once need Redis 7.0.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/info>
    fn info_sections(&self, sections: impl ToArgs) -> Self::Output<Info> {
        self.execute(Cmd::new("INFO").args(sections))
    }

    /// When the last successful save to disk (`SAVE`, `BGSAVE`, or at startup) happened.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lastsave>
    fn lastsave(&self) -> Self::Output<SystemTime> {
        self.execute(Cmd::with_reply("LASTSAVE", lastsave_reply))
    }

    /// Computer art and the server's version, as text.
    ///
    /// Complexity: not documented by the servers.
    /// Since: Redis 5.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lolwut>
    fn lolwut(&self) -> Self::Output<String> {
        self.execute(Cmd::new("LOLWUT").readonly())
    }

    /// `LOLWUT VERSION version`: the art of another version (5 and 6 draw something; others
    /// print the version alone).
    ///
    /// Complexity: not documented by the servers.
    /// Since: Redis 5.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lolwut>
    fn lolwut_with(&self, version: i64) -> Self::Output<String> {
        self.execute(Cmd::new("LOLWUT").arg("VERSION").arg(version).readonly())
    }

    /// Saves the dataset to the RDB file, blocking every client until done. Prefer
    /// [`ServerCommands::bgsave`] on a server in use.
    ///
    /// Complexity: O(N), N the number of keys in all databases.
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/save>
    fn save(&self) -> Self::Output<()> {
        self.execute(Cmd::new("SAVE"))
    }

    /// Stops the server: it saves the dataset when save points are configured, and exits.
    ///
    /// **On success there is no reply**: the server closes the connection, so the call
    /// returns an error for which [`Error::is_connection_error`](crate::Error::is_connection_error)
    /// is true ([`ErrorKind::Closed`](crate::ErrorKind::Closed) or
    /// [`ErrorKind::Io`](crate::ErrorKind::Io)). That error is the success signal; an error
    /// *reply* ([`ErrorKind::Server`](crate::ErrorKind::Server), e.g. `Errors trying to
    /// SHUTDOWN`) means the server stays up. Other commands in flight on the same client fail
    /// with the connection.
    ///
    /// Complexity: O(N) when saving, N the number of keys in all databases; O(1) otherwise.
    /// Since: Redis 1.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// match r.shutdown() {
    ///     Err(e) if e.is_connection_error() => println!("the server is stopping"),
    ///     Err(e) => println!("the server refused: {e}"),
    ///     Ok(()) => unreachable!("SHUTDOWN has no reply when it succeeds"),
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/shutdown>
    fn shutdown(&self) -> Self::Output<()> {
        self.execute(Cmd::new("SHUTDOWN"))
    }

    /// `SHUTDOWN` with options: `NOSAVE`/`SAVE`, and (Redis 7.0+) `NOW` (do not wait for
    /// replicas to catch up), `FORCE` (exit even if saving fails), or Valkey 9.0's `SAFE` and
    /// `FAILOVER`. Success is reported as for [`ServerCommands::shutdown`]: by the connection
    /// closing.
    ///
    /// Complexity: O(N) when saving, N the number of keys in all databases; O(1) otherwise.
    /// Since: Redis 1.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{ShutdownOptions, ShutdownSave};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let e = r.shutdown_with(ShutdownOptions::new().save(ShutdownSave::NoSave).now());
    /// assert!(e.is_err_and(|e| e.is_connection_error()));
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/shutdown>
    fn shutdown_with(&self, options: ShutdownOptions) -> Self::Output<()> {
        self.execute(options.apply(Cmd::new("SHUTDOWN")))
    }

    /// `SHUTDOWN ABORT`: cancels a shutdown that waits for lagging replicas (Redis 7.0+). An
    /// error when no shutdown is in progress.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/shutdown>
    fn shutdown_abort(&self) -> Self::Output<()> {
        self.execute(Cmd::new("SHUTDOWN").arg("ABORT"))
    }

    /// Swaps two databases: clients of one see the other's keys at once.
    ///
    /// Complexity: O(N), N the number of clients watching or blocking on keys of both
    /// databases.
    /// Since: Redis 4.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/swapdb>
    fn swapdb(&self, index1: i64, index2: i64) -> Self::Output<()> {
        self.execute(Cmd::new("SWAPDB").arg(index1).arg(index2))
    }

    /// The server's clock, to the microsecond.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/time>
    fn time(&self) -> Self::Output<SystemTime> {
        self.execute(Cmd::with_reply("TIME", time_reply))
    }
}

impl<E: Executor + ?Sized> ServerCommands for E {}
