//! Generic key commands (`@keyspace`): DEL, EXISTS, EXPIRE, TTL, PTTL.

use super::Executor;
use crate::args::ToArg;
use crate::cmd::Cmd;
use crate::types::ExpireCondition;

/// Commands of the `generic` group.
pub trait GenericCommands: Executor {
    /// Deletes `keys`; returns how many existed.
    ///
    /// # See also
    /// <https://redis.io/commands/del>
    fn del<K: ToArg>(&self, keys: impl IntoIterator<Item = K>) -> Self::Output<i64> {
        self.execute(Cmd::new("DEL").keys(keys))
    }

    /// How many of `keys` exist (a key named twice counts twice).
    ///
    /// # See also
    /// <https://redis.io/commands/exists>
    fn exists<K: ToArg>(&self, keys: impl IntoIterator<Item = K>) -> Self::Output<i64> {
        self.execute(Cmd::new("EXISTS").keys(keys).readonly())
    }

    /// Sets a time to live of `seconds` on `key`; returns false when the key does not exist.
    ///
    /// # See also
    /// <https://redis.io/commands/expire>
    fn expire(&self, key: impl ToArg, seconds: i64) -> Self::Output<bool> {
        self.execute(Cmd::new("EXPIRE").key(key).arg(seconds))
    }

    /// `EXPIRE` with a condition (`NX`, `XX`, `GT`, `LT`; Redis 7.0+); returns false when the key
    /// does not exist or the condition was not met.
    ///
    /// # See also
    /// <https://redis.io/commands/expire>
    fn expire_with(
        &self,
        key: impl ToArg,
        seconds: i64,
        condition: ExpireCondition,
    ) -> Self::Output<bool> {
        self.execute(
            Cmd::new("EXPIRE")
                .key(key)
                .arg(seconds)
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
