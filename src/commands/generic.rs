//! Generic key commands (`@keyspace`): the commands that work on keys of any type — existence,
//! deletion, renaming, copying, expiry, serialization (`DUMP`/`RESTORE`/`MIGRATE`), `SORT`,
//! introspection (`TYPE`, `OBJECT …`) and replication acknowledgements (`WAIT`, `WAITAOF`).
//! The cursor commands (`SCAN` and friends) are in [`super::ScanCommands`].

use std::time::{Duration, SystemTime};

use super::{ExclusiveExecutor, Executor};
use crate::args::{time, ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::{
    CopyOptions, ExpireCondition, ExpireTime, KeyType, MigrateOptions, MigrateStatus,
    ObjectEncoding, RestoreOptions, RestoreTtl, SortOptions, WaitAof,
};
use crate::value::Value;

/// Commands of the `generic` group.
pub trait GenericCommands: Executor {
    /// Copies the value of `source` to `destination` (with its time to live); returns false
    /// when `source` does not exist or `destination` already does.
    ///
    /// Complexity: O(N) for collections, N being the number of nested items; O(1) for strings.
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/copy>
    fn copy(&self, source: impl ToArg, destination: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("COPY").key(source).key(destination))
    }

    /// `COPY` with options: into another database (`DB`), over an existing destination
    /// (`REPLACE`). Returns whether the value was copied.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::CopyOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let copied = r.copy_with("config", "config:backup", CopyOptions::new().db(1).replace())?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N) for collections, N being the number of nested items; O(1) for strings.
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/copy>
    fn copy_with(
        &self,
        source: impl ToArg,
        destination: impl ToArg,
        options: CopyOptions,
    ) -> Self::Output<bool> {
        self.execute(options.apply(Cmd::new("COPY").key(source).key(destination)))
    }

    /// Deletes `keys` (one key, or an array, slice or `Vec` of them); returns how many
    /// existed. The memory is freed before the reply: see [`GenericCommands::unlink`] for
    /// large values.
    ///
    /// Complexity: O(N) in the number of keys, plus O(M) in the elements of each collection.
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/del>
    fn del(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("DEL").keys(keys).required("keys"))
    }

    /// The value of `key` in the server's serialization format (for
    /// [`GenericCommands::restore`]), or `None` when the key does not exist. The format is
    /// specific to the server's version: restore it on the same or a later version.
    ///
    /// Complexity: O(1) to find the key, plus O(N*M) to serialize N items of average size M.
    /// Since: Redis 2.6.
    ///
    /// # See also
    /// <https://redis.io/commands/dump>
    fn dump(&self, key: impl ToArg) -> Self::Output<Option<Vec<u8>>> {
        self.execute(Cmd::new("DUMP").key(key).readonly())
    }

    /// How many of `keys` exist (a key named twice counts twice).
    ///
    /// Complexity: O(N) in the number of keys.
    /// Since: Redis 1.0 (several keys: 3.0.3).
    ///
    /// # See also
    /// <https://redis.io/commands/exists>
    fn exists(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("EXISTS").keys(keys).required("keys").readonly())
    }

    /// Sets a time to live of `ttl` on `key`, in whole seconds (a remainder rounds up; zero
    /// deletes the key); returns false when the key does not exist.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.expire("session", Duration::from_secs(30 * 60))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/expire>
    fn expire(&self, key: impl ToArg, ttl: Duration) -> Self::Output<bool> {
        self.execute(Cmd::new("EXPIRE").key(key).arg(time::secs(ttl)))
    }

    /// `EXPIRE` with a condition (`NX`, `XX`, `GT`, `LT`); returns false when the key does not
    /// exist or the condition was not met.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.
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

    /// Sets a time to live of `ttl` on `key`, in milliseconds (a remainder rounds up); returns
    /// false when the key does not exist.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.
    ///
    /// # See also
    /// <https://redis.io/commands/pexpire>
    fn pexpire(&self, key: impl ToArg, ttl: Duration) -> Self::Output<bool> {
        self.execute(Cmd::new("PEXPIRE").key(key).arg(time::millis(ttl)))
    }

    /// `PEXPIRE` with a condition (`NX`, `XX`, `GT`, `LT`); returns false when the key does
    /// not exist or the condition was not met.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pexpire>
    fn pexpire_with(
        &self,
        key: impl ToArg,
        ttl: Duration,
        condition: ExpireCondition,
    ) -> Self::Output<bool> {
        self.execute(
            Cmd::new("PEXPIRE")
                .key(key)
                .arg(time::millis(ttl))
                .arg(condition.token()),
        )
    }

    /// Makes `key` expire at `at`, in whole seconds (rounded up; a time in the past deletes
    /// the key); returns false when the key does not exist.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.2.
    ///
    /// # See also
    /// <https://redis.io/commands/expireat>
    fn expireat(&self, key: impl ToArg, at: SystemTime) -> Self::Output<bool> {
        self.execute(Cmd::new("EXPIREAT").key(key).arg(time::unix_secs(at)))
    }

    /// `EXPIREAT` with a condition (`NX`, `XX`, `GT`, `LT`); returns false when the key does
    /// not exist or the condition was not met.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/expireat>
    fn expireat_with(
        &self,
        key: impl ToArg,
        at: SystemTime,
        condition: ExpireCondition,
    ) -> Self::Output<bool> {
        self.execute(
            Cmd::new("EXPIREAT")
                .key(key)
                .arg(time::unix_secs(at))
                .arg(condition.token()),
        )
    }

    /// Makes `key` expire at `at`, in milliseconds; returns false when the key does not exist.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.
    ///
    /// # See also
    /// <https://redis.io/commands/pexpireat>
    fn pexpireat(&self, key: impl ToArg, at: SystemTime) -> Self::Output<bool> {
        self.execute(Cmd::new("PEXPIREAT").key(key).arg(time::unix_millis(at)))
    }

    /// `PEXPIREAT` with a condition (`NX`, `XX`, `GT`, `LT`); returns false when the key does
    /// not exist or the condition was not met.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pexpireat>
    fn pexpireat_with(
        &self,
        key: impl ToArg,
        at: SystemTime,
        condition: ExpireCondition,
    ) -> Self::Output<bool> {
        self.execute(
            Cmd::new("PEXPIREAT")
                .key(key)
                .arg(time::unix_millis(at))
                .arg(condition.token()),
        )
    }

    /// When `key` expires, to the nearest second: [`ExpireTime::At`], or [`ExpireTime::Persistent`]
    /// when it has no expiry, or [`ExpireTime::NoKey`] when it does not exist.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ExpireTime;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// match r.expiretime("session")? {
    ///     ExpireTime::At(when) => println!("expires at {when:?}"),
    ///     ExpireTime::Persistent => println!("never expires"),
    ///     _ => println!("no such key"),
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/expiretime>
    fn expiretime(&self, key: impl ToArg) -> Self::Output<ExpireTime> {
        self.execute(
            Cmd::with_reply("EXPIRETIME", ExpireTime::from_secs_reply)
                .key(key)
                .readonly(),
        )
    }

    /// Like [`GenericCommands::expiretime`], to the millisecond.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/pexpiretime>
    fn pexpiretime(&self, key: impl ToArg) -> Self::Output<ExpireTime> {
        self.execute(
            Cmd::with_reply("PEXPIRETIME", ExpireTime::from_millis_reply)
                .key(key)
                .readonly(),
        )
    }

    /// Removes the time to live of `key`; returns false when the key does not exist or has
    /// none.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.2.
    ///
    /// # See also
    /// <https://redis.io/commands/persist>
    fn persist(&self, key: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("PERSIST").key(key))
    }

    /// Every key matching the glob-style `pattern` (`*`, `?`, `[abc]`). It reads the whole
    /// database in one go, blocking the server meanwhile: prefer
    /// [`ScanCommands::scan_iter`](super::ScanCommands::scan_iter) outside of tests and tools.
    ///
    /// Complexity: O(N), N being the number of keys in the database.
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/keys>
    fn keys<T: FromValue>(&self, pattern: impl ToArg) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("KEYS").arg(pattern).readonly())
    }

    /// Moves `key` to database `destination_db` of the server at `host:port` (a `DUMP` here,
    /// a `RESTORE` there, then a `DEL` here), waiting at most `timeout` (milliseconds) for
    /// any step of the transfer. Returns [`MigrateStatus::NoKey`] when `key` does not exist.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::MigrateStatus;
    /// use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let status = r.migrate("10.0.0.2", 6379, "user:1", 0, Duration::from_secs(5))?;
    /// assert_eq!(status, MigrateStatus::Ok);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: that of `DUMP` and `DEL` here and `RESTORE` there, plus an O(N) transfer.
    /// Since: Redis 2.6.
    ///
    /// # See also
    /// <https://redis.io/commands/migrate>
    fn migrate(
        &self,
        host: impl ToArg,
        port: u16,
        key: impl ToArg,
        destination_db: i64,
        timeout: Duration,
    ) -> Self::Output<MigrateStatus> {
        self.migrate_with(
            host,
            port,
            key,
            destination_db,
            timeout,
            MigrateOptions::new(),
        )
    }

    /// `MIGRATE` of one key with options: keep the source (`COPY`), overwrite the target
    /// (`REPLACE`), credentials for the target (`AUTH`, `AUTH2`).
    ///
    /// Complexity: that of `DUMP` and `DEL` here and `RESTORE` there, plus an O(N) transfer.
    /// Since: Redis 2.6 (`COPY`, `REPLACE`: 3.0; `AUTH`: 4.0.7; `AUTH2`: 6.0).
    ///
    /// # See also
    /// <https://redis.io/commands/migrate>
    fn migrate_with(
        &self,
        host: impl ToArg,
        port: u16,
        key: impl ToArg,
        destination_db: i64,
        timeout: Duration,
        options: MigrateOptions,
    ) -> Self::Output<MigrateStatus> {
        let cmd = Cmd::new("MIGRATE")
            .arg(host)
            .arg(port)
            .key(key)
            .arg(destination_db)
            .arg(time::millis(timeout));
        self.execute(options.apply(cmd))
    }

    /// `MIGRATE … KEYS`: moves several keys at once (at least one), with options. Returns
    /// [`MigrateStatus::NoKey`] when none of them exists; the others are transferred.
    ///
    /// Complexity: that of `DUMP` and `DEL` here and `RESTORE` there, plus an O(N) transfer.
    /// Since: Redis 3.0.6.
    ///
    /// # See also
    /// <https://redis.io/commands/migrate>
    fn migrate_keys(
        &self,
        host: impl ToArg,
        port: u16,
        keys: impl ToArgs,
        destination_db: i64,
        timeout: Duration,
        options: MigrateOptions,
    ) -> Self::Output<MigrateStatus> {
        let cmd = Cmd::new("MIGRATE")
            .arg(host)
            .arg(port)
            .arg("")
            .arg(destination_db)
            .arg(time::millis(timeout));
        self.execute(options.apply(cmd).arg("KEYS").keys(keys).required("keys"))
    }

    /// Moves `key` to database `db` of the same server; returns false when the key does not
    /// exist here or already exists there.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/move>
    fn move_(&self, key: impl ToArg, db: i64) -> Self::Output<bool> {
        self.execute(Cmd::new("MOVE").key(key).arg(db))
    }

    /// How the value of `key` is stored internally (`listpack`, `hashtable`, `int`, …), or
    /// `None` when the key does not exist.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.2.3.
    ///
    /// # See also
    /// <https://redis.io/commands/object-encoding>
    fn object_encoding(&self, key: impl ToArg) -> Self::Output<Option<ObjectEncoding>> {
        self.execute(Cmd::new("OBJECT ENCODING").key(key).readonly())
    }

    /// The logarithmic access frequency counter of `key`, or `None` when the key does not
    /// exist. Only under an LFU `maxmemory-policy`; an error otherwise.
    ///
    /// Complexity: O(1).
    /// Since: Redis 4.0.
    ///
    /// # See also
    /// <https://redis.io/commands/object-freq>
    fn object_freq(&self, key: impl ToArg) -> Self::Output<Option<i64>> {
        self.execute(Cmd::new("OBJECT FREQ").key(key).readonly())
    }

    /// How long `key` has not been read or written (to the second), or `None` when the key
    /// does not exist. Only when the `maxmemory-policy` is not LFU; an error otherwise.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.2.3.
    ///
    /// # See also
    /// <https://redis.io/commands/object-idletime>
    fn object_idletime(&self, key: impl ToArg) -> Self::Output<Option<Duration>> {
        self.execute(
            Cmd::with_reply("OBJECT IDLETIME", idle_reply)
                .key(key)
                .readonly(),
        )
    }

    /// How many references the server holds to the value of `key` (shared integers have
    /// many), or `None` when the key does not exist.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.2.3.
    ///
    /// # See also
    /// <https://redis.io/commands/object-refcount>
    fn object_refcount(&self, key: impl ToArg) -> Self::Output<Option<i64>> {
        self.execute(Cmd::new("OBJECT REFCOUNT").key(key).readonly())
    }

    /// A key picked at random, or `None` when the database is empty.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/randomkey>
    fn randomkey<T: FromValue>(&self) -> Self::Output<Option<T>> {
        self.execute(Cmd::new("RANDOMKEY").readonly())
    }

    /// Renames `key` to `newkey`, replacing any value `newkey` had. An error when `key` does
    /// not exist.
    ///
    /// Complexity: O(1) (plus the deletion of the replaced value).
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/rename>
    fn rename(&self, key: impl ToArg, newkey: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("RENAME").key(key).key(newkey))
    }

    /// Renames `key` to `newkey` unless `newkey` exists; returns whether it did. An error
    /// when `key` does not exist.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/renamenx>
    fn renamenx(&self, key: impl ToArg, newkey: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("RENAMENX").key(key).key(newkey))
    }

    /// Creates `key` from `serialized`, a value produced by [`GenericCommands::dump`], with a
    /// time to live: a [`Duration`], a [`SystemTime`] (`ABSTTL`) or [`RestoreTtl::Persistent`].
    /// An error (`BUSYKEY`) when the key exists.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::RestoreTtl;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// if let Some(value) = r.dump("original")? {
    ///     r.restore("clone", RestoreTtl::Persistent, &value)?;
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1) to create the key, plus O(N*M) to rebuild N items of average size M
    /// (O(N*M*log(N)) for sorted sets).
    /// Since: Redis 2.6 (`ABSTTL`: 5.0).
    ///
    /// # See also
    /// <https://redis.io/commands/restore>
    fn restore(
        &self,
        key: impl ToArg,
        ttl: impl Into<RestoreTtl>,
        serialized: impl ToArg,
    ) -> Self::Output<()> {
        self.restore_with(key, ttl, serialized, RestoreOptions::new())
    }

    /// `RESTORE` with options: over an existing key (`REPLACE`), with an idle time
    /// (`IDLETIME`) or access frequency (`FREQ`) for eviction.
    ///
    /// Complexity: O(1) to create the key, plus O(N*M) to rebuild N items of average size M
    /// (O(N*M*log(N)) for sorted sets).
    /// Since: Redis 2.6 (`REPLACE`: 3.0; `ABSTTL`, `IDLETIME`, `FREQ`: 5.0).
    ///
    /// # See also
    /// <https://redis.io/commands/restore>
    fn restore_with(
        &self,
        key: impl ToArg,
        ttl: impl Into<RestoreTtl>,
        serialized: impl ToArg,
        options: RestoreOptions,
    ) -> Self::Output<()> {
        let (ttl, absolute) = ttl.into().arg();
        let cmd = Cmd::new("RESTORE").key(key).arg(ttl).arg(serialized);
        self.execute(options.apply(cmd, absolute))
    }

    /// The elements of the list, set or sorted set at `key`, sorted as numbers, ascending.
    ///
    /// Complexity: O(N+M*log(M)), N elements to sort and M returned.
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sort>
    fn sort<T: FromValue>(&self, key: impl ToArg) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("SORT").key(key))
    }

    /// `SORT` with options: by external keys (`BY`), a window (`LIMIT`), values of external
    /// keys instead of the elements (`GET`), descending, as strings (`ALPHA`). With `GET`
    /// patterns each element gives one value per pattern, in a flat list, and a missing key
    /// gives nil: ask for `Vec<Option<_>>`.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::SortOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // user ids in a list; names in user:<id>:name
    /// let names: Vec<Option<String>> =
    ///     r.sort_with("users", SortOptions::new().get("user:*:name").alpha())?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N+M*log(M)), N elements to sort and M returned.
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sort>
    fn sort_with<T: FromValue>(
        &self,
        key: impl ToArg,
        options: SortOptions,
    ) -> Self::Output<Vec<T>> {
        self.execute(options.apply(Cmd::new("SORT").key(key)))
    }

    /// `SORT … STORE destination`: stores the sorted elements as a list at `destination`
    /// (replacing it) instead of returning them; returns the list's length.
    ///
    /// Complexity: O(N+M*log(M)), N elements to sort and M stored.
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sort>
    fn sort_store(&self, key: impl ToArg, destination: impl ToArg) -> Self::Output<i64> {
        self.sort_store_with(key, destination, SortOptions::new())
    }

    /// `SORT … STORE destination` with options (see [`GenericCommands::sort_with`]); returns
    /// the length of the stored list.
    ///
    /// Complexity: O(N+M*log(M)), N elements to sort and M stored.
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sort>
    fn sort_store_with(
        &self,
        key: impl ToArg,
        destination: impl ToArg,
        options: SortOptions,
    ) -> Self::Output<i64> {
        let cmd = options.apply(Cmd::new("SORT").key(key));
        self.execute(cmd.arg("STORE").key(destination))
    }

    /// Like [`GenericCommands::sort`], as a read-only command (so it may run on a replica).
    ///
    /// Complexity: O(N+M*log(M)), N elements to sort and M returned.
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sort_ro>
    fn sort_ro<T: FromValue>(&self, key: impl ToArg) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("SORT_RO").key(key).readonly())
    }

    /// Like [`GenericCommands::sort_with`], as a read-only command.
    ///
    /// Complexity: O(N+M*log(M)), N elements to sort and M returned.
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sort_ro>
    fn sort_ro_with<T: FromValue>(
        &self,
        key: impl ToArg,
        options: SortOptions,
    ) -> Self::Output<Vec<T>> {
        self.execute(options.apply(Cmd::new("SORT_RO").key(key)).readonly())
    }

    /// Marks `keys` as just accessed (resetting their idle time); returns how many exist.
    ///
    /// Complexity: O(N) in the number of keys.
    /// Since: Redis 3.2.1.
    ///
    /// # See also
    /// <https://redis.io/commands/touch>
    fn touch(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("TOUCH").keys(keys).required("keys").readonly())
    }

    /// The remaining time to live of `key` in seconds: `-1` when it has none, `-2` when the key
    /// does not exist.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0 (`-2`: 2.8).
    ///
    /// # See also
    /// <https://redis.io/commands/ttl>
    fn ttl(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("TTL").key(key).readonly())
    }

    /// The remaining time to live of `key` in milliseconds: `-1` when it has none, `-2` when the
    /// key does not exist.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6 (`-2`: 2.8).
    ///
    /// # See also
    /// <https://redis.io/commands/pttl>
    fn pttl(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("PTTL").key(key).readonly())
    }

    /// The type of the value at `key`: [`KeyType::Missing`] when it does not exist,
    /// [`KeyType::Other`] for a module's type.
    ///
    /// Complexity: O(1).
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/type>
    fn type_(&self, key: impl ToArg) -> Self::Output<KeyType> {
        self.execute(Cmd::new("TYPE").key(key).readonly())
    }

    /// Deletes `keys` like [`GenericCommands::del`], freeing their memory in the background;
    /// returns how many existed.
    ///
    /// Complexity: O(1) per key; the memory is then freed in O(N) by another thread.
    /// Since: Redis 4.0.
    ///
    /// # See also
    /// <https://redis.io/commands/unlink>
    fn unlink(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("UNLINK").keys(keys).required("keys"))
    }

    /// Waits until `numreplicas` replicas have acknowledged the writes made earlier **on this
    /// connection**, or `timeout` has passed (`Duration::ZERO`: for ever); returns how many
    /// replicas acknowledged them.
    ///
    /// The server counts the writes of the connection `WAIT` runs on, so it exists only on a
    /// connection of your own ([`crate::Dedicated`]): make the writes there, then wait. (On
    /// the shared connection it would hold up every other caller; on a pooled one it would
    /// wait for somebody else's writes.) Marked blocking: no client-side deadline shorter than
    /// `timeout` applies.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let c = r.dedicated()?;
    /// c.set("balance", 100)?;
    /// let acked = c.wait(1, Duration::from_secs(2))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// ```compile_fail
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.wait(1, Duration::from_secs(2))?; // error: WAIT needs a connection of your own
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.0.
    ///
    /// # See also
    /// <https://redis.io/commands/wait>
    fn wait(&self, numreplicas: i64, timeout: Duration) -> Self::Output<i64>
    where
        Self: ExclusiveExecutor,
    {
        self.execute(
            Cmd::new("WAIT")
                .arg(numreplicas)
                .arg(time::millis(timeout))
                .blocking_for(timeout),
        )
    }

    /// Waits until the writes made earlier on this connection are in the append-only file of
    /// this server (when `numlocal` is 1) and of `numreplicas` replicas, or `timeout` has
    /// passed (`Duration::ZERO`: for ever). Returns how many did, as [`WaitAof`]. An error
    /// when `numlocal` is 1 and the server has no append-only file.
    ///
    /// Like [`GenericCommands::wait`], only on a connection of your own ([`crate::Dedicated`]).
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.2.
    ///
    /// # See also
    /// <https://redis.io/commands/waitaof>
    fn waitaof(&self, numlocal: i64, numreplicas: i64, timeout: Duration) -> Self::Output<WaitAof>
    where
        Self: ExclusiveExecutor,
    {
        self.execute(
            Cmd::new("WAITAOF")
                .arg(numlocal)
                .arg(numreplicas)
                .arg(time::millis(timeout))
                .blocking_for(timeout),
        )
    }
}

impl<E: Executor + ?Sized> GenericCommands for E {}

/// `OBJECT IDLETIME` replies seconds, or nil for a missing key.
fn idle_reply(v: Value) -> Result<Option<Duration>> {
    Option::<u64>::from_value(v).map(|s| s.map(Duration::from_secs))
}
