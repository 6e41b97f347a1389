//! String commands (`@string`): GET, SET, MGET, MSET, INCR, INCRBY, DECR, DECRBY.

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::SetOptions;
use crate::value::Value;

/// Commands of the `string` group.
pub trait StringCommands: Executor {
    /// The value of `key`; ask for an `Option<_>` when the key may be missing.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let v: Option<String> = r.get("greeting")?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/get>
    fn get<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("GET").key(key).readonly())
    }

    /// Sets `key` to `value`, replacing any value and clearing its time to live.
    ///
    /// # See also
    /// <https://redis.io/commands/set>
    fn set(&self, key: impl ToArg, value: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("SET").key(key).arg(value))
    }

    /// `SET` with options (expiry, `NX`/`XX`, `KEEPTTL`). Returns whether the value was set:
    /// `false` when an `NX`/`XX` condition was not met.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::SetOptions;
    /// use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let fresh = r.set_with("lock", "me", SetOptions::new().nx().px(Duration::from_secs(30)))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/set>
    fn set_with(
        &self,
        key: impl ToArg,
        value: impl ToArg,
        options: SetOptions,
    ) -> Self::Output<bool> {
        let cmd = Cmd::with_reply("SET", set_reply).key(key).arg(value);
        self.execute(options.apply(cmd, false))
    }

    /// `SET … GET`: sets `key` (with `options`) and returns the old value (nil when there was
    /// none). Requires Redis 6.2 (7.0 with `NX`).
    ///
    /// # See also
    /// <https://redis.io/commands/set>
    fn set_get<T: FromValue>(
        &self,
        key: impl ToArg,
        value: impl ToArg,
        options: SetOptions,
    ) -> Self::Output<T> {
        let cmd = Cmd::new("SET").key(key).arg(value);
        self.execute(options.apply(cmd, true))
    }

    /// The values of `keys`, in order; missing keys are nil, so ask for `Vec<Option<_>>`.
    ///
    /// # See also
    /// <https://redis.io/commands/mget>
    fn mget<T: FromValue>(&self, keys: impl ToArgs) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("MGET").keys(keys).required("keys").readonly())
    }

    /// Sets every key to its value, atomically.
    ///
    /// # See also
    /// <https://redis.io/commands/mset>
    fn mset<K: ToArg, V: ToArg>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self::Output<()> {
        self.execute(Cmd::new("MSET").key_values(pairs).required("pairs"))
    }

    /// Increments the integer at `key` by one; returns the new value.
    ///
    /// # See also
    /// <https://redis.io/commands/incr>
    fn incr(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("INCR").key(key))
    }

    /// Increments the integer at `key` by `increment`; returns the new value.
    ///
    /// # See also
    /// <https://redis.io/commands/incrby>
    fn incrby(&self, key: impl ToArg, increment: i64) -> Self::Output<i64> {
        self.execute(Cmd::new("INCRBY").key(key).arg(increment))
    }

    /// Decrements the integer at `key` by one; returns the new value.
    ///
    /// # See also
    /// <https://redis.io/commands/decr>
    fn decr(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("DECR").key(key))
    }

    /// Decrements the integer at `key` by `decrement`; returns the new value.
    ///
    /// # See also
    /// <https://redis.io/commands/decrby>
    fn decrby(&self, key: impl ToArg, decrement: i64) -> Self::Output<i64> {
        self.execute(Cmd::new("DECRBY").key(key).arg(decrement))
    }
}

impl<E: Executor + ?Sized> StringCommands for E {}

/// `SET` without `GET` replies `OK`, or nil when `NX`/`XX` prevented it.
fn set_reply(v: Value) -> Result<bool> {
    match v {
        Value::Nil => Ok(false),
        v => <()>::from_value(v).map(|_| true),
    }
}
