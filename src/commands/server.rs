//! Server commands (`@server`): FLUSHDB, FLUSHALL, DBSIZE, INFO.

use super::Executor;
use crate::args::ToArgs;
use crate::cmd::Cmd;
use crate::types::{FlushMode, Info};

/// Commands of the `server` group.
pub trait ServerCommands: Executor {
    /// Deletes every key of the selected database.
    ///
    /// # See also
    /// <https://redis.io/commands/flushdb>
    fn flushdb(&self) -> Self::Output<()> {
        self.execute(Cmd::new("FLUSHDB"))
    }

    /// `FLUSHDB ASYNC|SYNC`.
    ///
    /// # See also
    /// <https://redis.io/commands/flushdb>
    fn flushdb_with(&self, mode: FlushMode) -> Self::Output<()> {
        self.execute(Cmd::new("FLUSHDB").arg(mode.token()))
    }

    /// Deletes every key of every database.
    ///
    /// # See also
    /// <https://redis.io/commands/flushall>
    fn flushall(&self) -> Self::Output<()> {
        self.execute(Cmd::new("FLUSHALL"))
    }

    /// `FLUSHALL ASYNC|SYNC`.
    ///
    /// # See also
    /// <https://redis.io/commands/flushall>
    fn flushall_with(&self, mode: FlushMode) -> Self::Output<()> {
        self.execute(Cmd::new("FLUSHALL").arg(mode.token()))
    }

    /// The number of keys in the selected database.
    ///
    /// # See also
    /// <https://redis.io/commands/dbsize>
    fn dbsize(&self) -> Self::Output<i64> {
        self.execute(Cmd::new("DBSIZE").readonly())
    }

    /// The server's default `INFO` sections, parsed.
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

    /// The named `INFO` sections (`"server"`, `"memory"`, `"all"`, …), parsed. Several
    /// sections at once need Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/info>
    fn info_sections(&self, sections: impl ToArgs) -> Self::Output<Info> {
        self.execute(Cmd::new("INFO").args(sections))
    }
}

impl<E: Executor + ?Sized> ServerCommands for E {}
