//! Generic key commands (`@keyspace`): DEL, EXISTS, EXPIRE, TTL, PTTL.

use super::Executor;
use std::time::Duration;

use crate::args::{time, ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::types::ExpireCondition;

/// Commands of the `generic` group.
pub trait GenericCommands: Executor {
    /// Deletes `keys`; returns how many existed.
    ///
    /// # See also
    /// <https://redis.io/commands/del>
    fn del(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("DEL").keys(keys).required("keys"))
    }

    /// How many of `keys` exist (a key named twice counts twice).
    ///
    /// # See also
    /// <https://redis.io/commands/exists>
    fn exists(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("EXISTS").keys(keys).required("keys").readonly())
    }

    /// Sets a time to live of `ttl` on `key`, in whole seconds (a remainder rounds up); returns
    /// false when the key does not exist.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.expire("session", Duration::from_secs(30 * 60))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/expire>
    fn expire(&self, key: impl ToArg, ttl: Duration) -> Self::Output<bool> {
        self.execute(Cmd::new("EXPIRE").key(key).arg(time::secs(ttl)))
    }

    /// `EXPIRE` with a condition (`NX`, `XX`, `GT`, `LT`; Redis 7.0+); returns false when the key
    /// does not exist or the condition was not met.
    ///
    /// # See also
    /// <https://redis.io/commands/expire>
    fn expire_with(
        &self,
        key: impl ToArg,
        ttl: Duration,
        condition: ExpireCondition,
    ) -> Self::Output<bool> {
        self.execute(
            Cmd::new("EXPIRE")
                .key(key)
                .arg(time::secs(ttl))
                .arg(condition.token()),
        )
    }

    /// The remaining time to live of `key` in seconds: `-1` when it has none, `-2` when the key
    /// does not exist.
    ///
    /// # See also
    /// <https://redis.io/commands/ttl>
    fn ttl(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("TTL").key(key).readonly())
    }

    /// The remaining time to live of `key` in milliseconds: `-1` when it has none, `-2` when the
    /// key does not exist.
    ///
    /// # See also
    /// <https://redis.io/commands/pttl>
    fn pttl(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("PTTL").key(key).readonly())
    }
}

impl<E: Executor + ?Sized> GenericCommands for E {}
