//! String commands (`@string`): reading and writing whole values (`GET`, `SET` and its
//! variants, `GETEX`, `GETDEL`, `MGET`, `MSET*`), parts of them (`GETRANGE`, `SETRANGE`,
//! `APPEND`, `STRLEN`, `LCS`), counters (`INCR*`, `DECR*`) and Valkey's `DELIFEQ`.

use super::Executor;
use std::time::Duration;

use crate::args::{time, ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::{GetExExpiry, LcsMatches, LcsOptions, MSetExOptions, SetOptions};
use crate::value::Value;

/// Commands of the `string` group.
pub trait StringCommands: Executor {
    /// Appends `value` to the string at `key` (creating it when missing); returns the new
    /// length in bytes.
    ///
    /// Complexity: O(1) amortized.
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/append>
    fn append(&self, key: impl ToArg, value: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("APPEND").key(key).arg(value))
    }

    /// Decrements the integer at `key` by one (a missing key counts as 0); returns the new
    /// value.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/decr>
    fn decr(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("DECR").key(key))
    }

    /// Decrements the integer at `key` by `decrement` (a missing key counts as 0); returns the
    /// new value.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/decrby>
    fn decrby(&self, key: impl ToArg, decrement: i64) -> Self::Output<i64> {
        self.execute(Cmd::new("DECRBY").key(key).arg(decrement))
    }

    /// Deletes `key` only if it holds exactly `value`: a safe lock release. Returns whether
    /// the key was deleted.
    ///
    /// Complexity: O(1).
    /// Since: Valkey 9.0.0 (not in Redis).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let released: bool = r.delifeq("lock", "my-token")?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://valkey.io/commands/delifeq/>
    fn delifeq(&self, key: impl ToArg, value: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("DELIFEQ").key(key).arg(value))
    }

    /// The value of `key`; ask for an `Option<_>` when the key may be missing.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
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

    /// Returns the value of `key` and deletes the key; nil when it was missing (ask for an
    /// `Option<_>`).
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/getdel>
    fn getdel<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("GETDEL").key(key))
    }

    /// The value of `key`, like `GET` (without options `GETEX` changes nothing); nil when
    /// missing.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/getex>
    fn getex<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("GETEX").key(key))
    }

    /// The value of `key` (nil when missing), setting or removing its time to live on the way.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::GetExExpiry;
    /// use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Read a session and extend it by 30 minutes.
    /// let s: Option<String> = r.getex_with("session", GetExExpiry::Ex(Duration::from_secs(1800)))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/getex>
    fn getex_with<T: FromValue>(&self, key: impl ToArg, expiry: GetExExpiry) -> Self::Output<T> {
        self.execute(expiry.apply(Cmd::new("GETEX").key(key)))
    }

    /// The bytes of the string at `key` from `start` to `end`, both included; negative offsets
    /// count from the end (`-1` is the last byte). A missing key gives an empty string.
    ///
    /// Complexity: O(N), N the length of the returned string.
    /// Since: Redis 2.4.0.
    ///
    /// # See also
    /// <https://redis.io/commands/getrange>
    fn getrange<T: FromValue>(&self, key: impl ToArg, start: i64, end: i64) -> Self::Output<T> {
        self.execute(Cmd::new("GETRANGE").key(key).arg(start).arg(end).readonly())
    }

    /// Sets `key` to `value` and returns the old value (nil when there was none). Deprecated
    /// by the server in favour of [`StringCommands::set_get`].
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0 (deprecated since 6.2.0).
    ///
    /// # See also
    /// <https://redis.io/commands/getset>
    fn getset<T: FromValue>(&self, key: impl ToArg, value: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("GETSET").key(key).arg(value))
    }

    /// Increments the integer at `key` by one (a missing key counts as 0); returns the new
    /// value.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/incr>
    fn incr(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("INCR").key(key))
    }

    /// Increments the integer at `key` by `increment` (a missing key counts as 0); returns the
    /// new value.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/incrby>
    fn incrby(&self, key: impl ToArg, increment: i64) -> Self::Output<i64> {
        self.execute(Cmd::new("INCRBY").key(key).arg(increment))
    }

    /// Adds `increment` (which may be negative) to the number at `key` (a missing key counts
    /// as 0); returns the new value, as an `f64` under both protocols.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/incrbyfloat>
    fn incrbyfloat(&self, key: impl ToArg, increment: f64) -> Self::Output<f64> {
        self.execute(Cmd::new("INCRBYFLOAT").key(key).arg(increment))
    }

    /// The longest common subsequence of the strings at `key1` and `key2` (missing keys are
    /// empty strings).
    ///
    /// Complexity: O(N*M), N and M the lengths of the two strings.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lcs>
    fn lcs<T: FromValue>(&self, key1: impl ToArg, key2: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("LCS").key(key1).key(key2).readonly())
    }

    /// The length of the longest common subsequence of the strings at `key1` and `key2`
    /// (`LCS … LEN`).
    ///
    /// Complexity: O(N*M), N and M the lengths of the two strings.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lcs>
    fn lcs_len(&self, key1: impl ToArg, key2: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("LCS").key(key1).key(key2).arg("LEN").readonly())
    }

    /// Where the longest common subsequence of the strings at `key1` and `key2` lies in each
    /// of them (`LCS … IDX`): its matching ranges and its length.
    ///
    /// Complexity: O(N*M), N and M the lengths of the two strings.
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.mset([("a", "ohmytext"), ("b", "mynewtext")])?;
    /// let m = r.lcs_idx("a", "b")?;
    /// assert_eq!(m.len, 6); // "mytext"
    /// // "text" is at bytes 4..=7 of a and 5..=8 of b.
    /// assert_eq!((m.matches[0].a, m.matches[0].b), ((4, 7), (5, 8)));
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/lcs>
    fn lcs_idx(&self, key1: impl ToArg, key2: impl ToArg) -> Self::Output<LcsMatches> {
        self.lcs_idx_with(key1, key2, LcsOptions::new())
    }

    /// `LCS … IDX` with options: only matches of a minimum length (`MINMATCHLEN`), each with
    /// its length (`WITHMATCHLEN`).
    ///
    /// Complexity: O(N*M), N and M the lengths of the two strings.
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::LcsOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let m = r.lcs_idx_with("a", "b", LcsOptions::new().min_match_len(4).with_match_len())?;
    /// let longest: Option<u64> = m.matches.iter().filter_map(|found| found.len).max();
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/lcs>
    fn lcs_idx_with(
        &self,
        key1: impl ToArg,
        key2: impl ToArg,
        options: LcsOptions,
    ) -> Self::Output<LcsMatches> {
        let cmd = Cmd::new("LCS").key(key1).key(key2).arg("IDX").readonly();
        self.execute(options.apply(cmd))
    }

    /// The values of `keys`, in order; missing keys are nil, so ask for `Vec<Option<_>>`.
    ///
    /// Complexity: O(N), N the number of keys.
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/mget>
    fn mget<T: FromValue>(&self, keys: impl ToArgs) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("MGET").keys(keys).required("keys").readonly())
    }

    /// Sets every key to its value, atomically.
    ///
    /// Complexity: O(N), N the number of keys.
    /// Since: Redis 1.0.1.
    ///
    /// # See also
    /// <https://redis.io/commands/mset>
    fn mset<K: ToArg, V: ToArg>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self::Output<()> {
        self.execute(Cmd::new("MSET").key_values(pairs).required("pairs"))
    }

    /// Sets every key to its value, atomically, like `MSET` (`MSETEX` without options);
    /// returns true. See [`StringCommands::msetex_with`] for the condition and expiry.
    ///
    /// Complexity: O(N), N the number of keys.
    /// Since: Valkey 9.1.0 (not in Redis 7.0).
    ///
    /// # See also
    /// <https://valkey.io/commands/msetex/>
    fn msetex<K: ToArg, V: ToArg>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self::Output<bool> {
        self.msetex_with(pairs, MSetExOptions::new())
    }

    /// Sets every key to its value with an expiry, atomically, and optionally only when none
    /// (`NX`) or all (`XX`) of the keys exist; returns whether the keys were set.
    ///
    /// Complexity: O(N), N the number of keys.
    /// Since: Valkey 9.1.0 (not in Redis 7.0).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::MSetExOptions;
    /// use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let set = r.msetex_with(
    ///     [("a", "1"), ("b", "2")],
    ///     MSetExOptions::new().nx().ex(Duration::from_secs(60)),
    /// )?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://valkey.io/commands/msetex/>
    fn msetex_with<K: ToArg, V: ToArg>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
        options: MSetExOptions,
    ) -> Self::Output<bool> {
        let pairs: Vec<(K, V)> = pairs.into_iter().collect();
        let cmd = Cmd::new("MSETEX")
            .arg(pairs.len())
            .key_values(pairs)
            .required("pairs");
        self.execute(options.apply(cmd))
    }

    /// Sets every key to its value, atomically, only if none of the keys exists; returns
    /// whether they were set.
    ///
    /// Complexity: O(N), N the number of keys.
    /// Since: Redis 1.0.1.
    ///
    /// # See also
    /// <https://redis.io/commands/msetnx>
    fn msetnx<K: ToArg, V: ToArg>(
        &self,
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self::Output<bool> {
        self.execute(Cmd::new("MSETNX").key_values(pairs).required("pairs"))
    }

    /// Sets `key` to `value` with a time to live of `ttl`, in milliseconds (a sub-millisecond
    /// remainder rounds up).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/psetex>
    fn psetex(&self, key: impl ToArg, ttl: Duration, value: impl ToArg) -> Self::Output<()> {
        self.execute(
            Cmd::new("PSETEX")
                .key(key)
                .arg(time::millis(ttl))
                .arg(value),
        )
    }

    /// Sets `key` to `value`, replacing any value and clearing its time to live.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/set>
    fn set(&self, key: impl ToArg, value: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("SET").key(key).arg(value))
    }

    /// `SET` with options (expiry, `NX`/`XX`/`IFEQ`, `KEEPTTL`). Returns whether the value was
    /// set: `false` when the condition was not met.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0 (`EX`/`PX`/`NX`/`XX` 2.6.12, `KEEPTTL` 6.0, `EXAT`/`PXAT` 6.2,
    /// `IFEQ` Valkey 8.1).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::SetOptions;
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
    /// none). With a condition, the old value comes back whether or not the key was set.
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0 (7.0 with `NX`).
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

    /// Sets `key` to `value` with a time to live of `ttl`, in whole seconds (a remainder
    /// rounds up).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/setex>
    fn setex(&self, key: impl ToArg, ttl: Duration, value: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("SETEX").key(key).arg(time::secs(ttl)).arg(value))
    }

    /// Sets `key` to `value` only if the key does not exist; returns whether it was set.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/setnx>
    fn setnx(&self, key: impl ToArg, value: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("SETNX").key(key).arg(value))
    }

    /// Overwrites the string at `key` from byte `offset` on with `value` (padding with zero
    /// bytes past the end, creating the key when missing); returns the new length.
    ///
    /// Complexity: O(1) not counting the copy, O(M) with M the length of `value`.
    /// Since: Redis 2.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/setrange>
    fn setrange(&self, key: impl ToArg, offset: u64, value: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("SETRANGE").key(key).arg(offset).arg(value))
    }

    /// The length in bytes of the string at `key` (0 when missing).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/strlen>
    fn strlen(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("STRLEN").key(key).readonly())
    }

    /// The old name of [`StringCommands::getrange`]: the bytes from `start` to `end`, both
    /// included, negative offsets counting from the end.
    ///
    /// Complexity: O(N), N the length of the returned string.
    /// Since: Redis 1.0.0 (deprecated since 2.0.0).
    ///
    /// # See also
    /// <https://redis.io/commands/substr>
    fn substr<T: FromValue>(&self, key: impl ToArg, start: i64, end: i64) -> Self::Output<T> {
        self.execute(Cmd::new("SUBSTR").key(key).arg(start).arg(end).readonly())
    }
}

impl<E: Executor + ?Sized> StringCommands for E {}

/// `SET` without `GET` replies `OK`, or nil when its condition prevented it.
fn set_reply(v: Value) -> Result<bool> {
    match v {
        Value::Nil => Ok(false),
        v => <()>::from_value(v).map(|_| true),
    }
}
