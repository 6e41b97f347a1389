//! Hash commands (`@hash`): fields and values of a hash (`HSET`, `HGET`, `HGETALL`, …),
//! counters in fields (`HINCRBY*`), random fields (`HRANDFIELD`), and Valkey's per-field
//! expiration (`HEXPIRE` and friends, `HTTL` and friends, `HPERSIST`, `HGETEX`, `HSETEX`,
//! `HGETDEL`). `HSCAN` is with the cursor commands.

use super::Executor;
use std::time::{Duration, SystemTime};

use crate::args::{time, ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::{
    field_expire_times_millis, field_expire_times_secs, field_ttls_millis, field_ttls_secs,
    per_field, ExpireCondition, FieldExpireTime, FieldExpiry, FieldPersist, FieldTtl, GetExExpiry,
    HSetExOptions,
};

/// Commands of the `hash` group.
pub trait HashCommands: Executor {
    /// Removes `fields` (one or many) from the hash at `key`; returns how many existed.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hdel>
    fn hdel(&self, key: impl ToArg, fields: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("HDEL").key(key).args(fields).required("fields"))
    }

    /// Whether the hash at `key` has `field`.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hexists>
    fn hexists(&self, key: impl ToArg, field: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("HEXISTS").key(key).arg(field).readonly())
    }

    /// Gives `fields` of the hash at `key` a time to live of `ttl`, in whole seconds (a
    /// remainder rounds up; zero deletes them). Returns what happened to each field, in order.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::FieldExpiry;
    /// use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let done = r.hexpire("h", Duration::from_secs(60), ["a", "missing"])?;
    /// assert_eq!(done, [FieldExpiry::Set, FieldExpiry::NoField]);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// A missing hash gives [`FieldExpiry::NoField`] for every field on Valkey (an empty list
    /// on Redis, which replies nil).
    ///
    /// # See also
    /// <https://valkey.io/commands/hexpire/>
    fn hexpire(
        &self,
        key: impl ToArg,
        ttl: Duration,
        fields: impl ToArgs,
    ) -> Self::Output<Vec<FieldExpiry>> {
        let cmd = Cmd::with_reply("HEXPIRE", per_field)
            .key(key)
            .arg(time::secs(ttl));
        self.execute(with_fields(cmd, fields))
    }

    /// [`HashCommands::hexpire`] only for the fields meeting `condition` (`NX`: no time to
    /// live yet, `XX`: one already, `GT`/`LT`: the new one is later/earlier; no time to live
    /// counts as infinite). Fields that do not meet it are [`FieldExpiry::ConditionNotMet`].
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hexpire/>
    fn hexpire_with(
        &self,
        key: impl ToArg,
        ttl: Duration,
        fields: impl ToArgs,
        condition: ExpireCondition,
    ) -> Self::Output<Vec<FieldExpiry>> {
        let cmd = Cmd::with_reply("HEXPIRE", per_field)
            .key(key)
            .arg(time::secs(ttl))
            .arg(condition.token());
        self.execute(with_fields(cmd, fields))
    }

    /// Makes `fields` of the hash at `key` expire at `at`, to the second (a time in the past
    /// deletes them). Returns what happened to each field, in order.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hexpireat/>
    fn hexpireat(
        &self,
        key: impl ToArg,
        at: SystemTime,
        fields: impl ToArgs,
    ) -> Self::Output<Vec<FieldExpiry>> {
        let cmd = Cmd::with_reply("HEXPIREAT", per_field)
            .key(key)
            .arg(time::unix_secs(at));
        self.execute(with_fields(cmd, fields))
    }

    /// [`HashCommands::hexpireat`] only for the fields meeting `condition` (see
    /// [`HashCommands::hexpire_with`]).
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hexpireat/>
    fn hexpireat_with(
        &self,
        key: impl ToArg,
        at: SystemTime,
        fields: impl ToArgs,
        condition: ExpireCondition,
    ) -> Self::Output<Vec<FieldExpiry>> {
        let cmd = Cmd::with_reply("HEXPIREAT", per_field)
            .key(key)
            .arg(time::unix_secs(at))
            .arg(condition.token());
        self.execute(with_fields(cmd, fields))
    }

    /// When each of `fields` of the hash at `key` expires, to the second.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::FieldExpireTime;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// for t in r.hexpiretime("h", ["a", "b"])? {
    ///     match t {
    ///         FieldExpireTime::ExpiresAt(when) => { /* a SystemTime */ }
    ///         FieldExpireTime::NoExpiry => { /* the field stays */ }
    ///         FieldExpireTime::NoField | _ => { /* no such field */ }
    ///     }
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://valkey.io/commands/hexpiretime/>
    fn hexpiretime(
        &self,
        key: impl ToArg,
        fields: impl ToArgs,
    ) -> Self::Output<Vec<FieldExpireTime>> {
        let cmd = Cmd::with_reply("HEXPIRETIME", field_expire_times_secs)
            .key(key)
            .readonly();
        self.execute(with_fields(cmd, fields))
    }

    /// The value of `field` in the hash at `key`; nil when either is missing (ask for an
    /// `Option<_>`).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hget>
    fn hget<T: FromValue>(&self, key: impl ToArg, field: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("HGET").key(key).arg(field).readonly())
    }

    /// Every field and value of the hash at `key` (empty when missing), as a map-like `T`:
    /// `HashMap<K, V>`, `BTreeMap<K, V>` or `Vec<(K, V)>`. RESP3 sends a map and RESP2 a flat
    /// array; both convert alike.
    ///
    /// Complexity: O(N), N the size of the hash.
    /// Since: Redis 2.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use std::collections::HashMap;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let user: HashMap<String, String> = r.hgetall("user:1")?;
    /// let pairs: Vec<(String, i64)> = r.hgetall("counters")?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/hgetall>
    fn hgetall<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("HGETALL").key(key).readonly())
    }

    /// Returns the values of `fields` of the hash at `key` and deletes those fields (the hash
    /// too once empty); missing fields are nil, so ask for `Vec<Option<_>>`.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.1.0 (Redis 8.0).
    ///
    /// # See also
    /// <https://valkey.io/commands/hgetdel/>
    fn hgetdel<T: FromValue>(&self, key: impl ToArg, fields: impl ToArgs) -> Self::Output<Vec<T>> {
        self.execute(with_fields(Cmd::new("HGETDEL").key(key), fields))
    }

    /// The values of `fields` of the hash at `key`, like `HMGET` (without options `HGETEX`
    /// changes nothing); missing fields are nil, so ask for `Vec<Option<_>>`.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 8.0).
    ///
    /// # See also
    /// <https://valkey.io/commands/hgetex/>
    fn hgetex<T: FromValue>(&self, key: impl ToArg, fields: impl ToArgs) -> Self::Output<Vec<T>> {
        self.execute(with_fields(Cmd::new("HGETEX").key(key), fields))
    }

    /// The values of `fields` of the hash at `key` (nil for missing ones), setting or
    /// removing the fields' time to live on the way.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 8.0).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::GetExExpiry;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let vs: Vec<Option<String>> = r.hgetex_with("h", ["a", "b"], GetExExpiry::Persist)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://valkey.io/commands/hgetex/>
    fn hgetex_with<T: FromValue>(
        &self,
        key: impl ToArg,
        fields: impl ToArgs,
        expiry: GetExExpiry,
    ) -> Self::Output<Vec<T>> {
        let cmd = expiry.apply(Cmd::new("HGETEX").key(key));
        self.execute(with_fields(cmd, fields))
    }

    /// Adds `increment` to the integer in `field` of the hash at `key` (a missing field counts
    /// as 0); returns the new value.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hincrby>
    fn hincrby(&self, key: impl ToArg, field: impl ToArg, increment: i64) -> Self::Output<i64> {
        self.execute(Cmd::new("HINCRBY").key(key).arg(field).arg(increment))
    }

    /// Adds `increment` to the number in `field` of the hash at `key` (a missing field counts
    /// as 0); returns the new value, as an `f64` under both protocols.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hincrbyfloat>
    fn hincrbyfloat(
        &self,
        key: impl ToArg,
        field: impl ToArg,
        increment: f64,
    ) -> Self::Output<f64> {
        self.execute(Cmd::new("HINCRBYFLOAT").key(key).arg(field).arg(increment))
    }

    /// The field names of the hash at `key` (empty when missing).
    ///
    /// Complexity: O(N), N the size of the hash.
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hkeys>
    fn hkeys<T: FromValue>(&self, key: impl ToArg) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("HKEYS").key(key).readonly())
    }

    /// How many fields the hash at `key` has (0 when missing).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hlen>
    fn hlen(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("HLEN").key(key).readonly())
    }

    /// The values of `fields` of the hash at `key`, in order; missing fields are nil, so ask
    /// for `Vec<Option<_>>`.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hmget>
    fn hmget<T: FromValue>(&self, key: impl ToArg, fields: impl ToArgs) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("HMGET")
                .key(key)
                .args(fields)
                .required("fields")
                .readonly(),
        )
    }

    /// Sets every field of `pairs` in the hash at `key`. Deprecated by the server in favour
    /// of [`HashCommands::hset`], which also says how many fields were new.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Redis 2.0.0 (deprecated since 4.0.0).
    ///
    /// # See also
    /// <https://redis.io/commands/hmset>
    fn hmset<F: ToArg, V: ToArg>(
        &self,
        key: impl ToArg,
        pairs: impl IntoIterator<Item = (F, V)>,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("HMSET")
                .key(key)
                .arg_pairs(pairs)
                .required("pairs"),
        )
    }

    /// Removes the time to live of `fields` of the hash at `key`; returns what happened to
    /// each field, in order.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hpersist/>
    fn hpersist(&self, key: impl ToArg, fields: impl ToArgs) -> Self::Output<Vec<FieldPersist>> {
        self.execute(with_fields(
            Cmd::with_reply("HPERSIST", per_field).key(key),
            fields,
        ))
    }

    /// Gives `fields` of the hash at `key` a time to live of `ttl`, in milliseconds (zero
    /// deletes them). Returns what happened to each field, in order.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hpexpire/>
    fn hpexpire(
        &self,
        key: impl ToArg,
        ttl: Duration,
        fields: impl ToArgs,
    ) -> Self::Output<Vec<FieldExpiry>> {
        let cmd = Cmd::with_reply("HPEXPIRE", per_field)
            .key(key)
            .arg(time::millis(ttl));
        self.execute(with_fields(cmd, fields))
    }

    /// [`HashCommands::hpexpire`] only for the fields meeting `condition` (see
    /// [`HashCommands::hexpire_with`]).
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hpexpire/>
    fn hpexpire_with(
        &self,
        key: impl ToArg,
        ttl: Duration,
        fields: impl ToArgs,
        condition: ExpireCondition,
    ) -> Self::Output<Vec<FieldExpiry>> {
        let cmd = Cmd::with_reply("HPEXPIRE", per_field)
            .key(key)
            .arg(time::millis(ttl))
            .arg(condition.token());
        self.execute(with_fields(cmd, fields))
    }

    /// Makes `fields` of the hash at `key` expire at `at`, to the millisecond (a time in the
    /// past deletes them). Returns what happened to each field, in order.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hpexpireat/>
    fn hpexpireat(
        &self,
        key: impl ToArg,
        at: SystemTime,
        fields: impl ToArgs,
    ) -> Self::Output<Vec<FieldExpiry>> {
        let cmd = Cmd::with_reply("HPEXPIREAT", per_field)
            .key(key)
            .arg(time::unix_millis(at));
        self.execute(with_fields(cmd, fields))
    }

    /// [`HashCommands::hpexpireat`] only for the fields meeting `condition` (see
    /// [`HashCommands::hexpire_with`]).
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hpexpireat/>
    fn hpexpireat_with(
        &self,
        key: impl ToArg,
        at: SystemTime,
        fields: impl ToArgs,
        condition: ExpireCondition,
    ) -> Self::Output<Vec<FieldExpiry>> {
        let cmd = Cmd::with_reply("HPEXPIREAT", per_field)
            .key(key)
            .arg(time::unix_millis(at))
            .arg(condition.token());
        self.execute(with_fields(cmd, fields))
    }

    /// When each of `fields` of the hash at `key` expires, to the millisecond.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hpexpiretime/>
    fn hpexpiretime(
        &self,
        key: impl ToArg,
        fields: impl ToArgs,
    ) -> Self::Output<Vec<FieldExpireTime>> {
        let cmd = Cmd::with_reply("HPEXPIRETIME", field_expire_times_millis)
            .key(key)
            .readonly();
        self.execute(with_fields(cmd, fields))
    }

    /// The remaining time to live of each of `fields` of the hash at `key`, in milliseconds.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// # See also
    /// <https://valkey.io/commands/hpttl/>
    fn hpttl(&self, key: impl ToArg, fields: impl ToArgs) -> Self::Output<Vec<FieldTtl>> {
        let cmd = Cmd::with_reply("HPTTL", field_ttls_millis)
            .key(key)
            .readonly();
        self.execute(with_fields(cmd, fields))
    }

    /// One random field name of the hash at `key`; nil when the hash is missing (ask for an
    /// `Option<_>`).
    ///
    /// Complexity: O(1).
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hrandfield>
    fn hrandfield<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("HRANDFIELD").key(key).readonly())
    }

    /// Random field names of the hash at `key`: up to `count` distinct ones when `count` is
    /// positive, exactly `-count` possibly repeated ones when it is negative (empty when the
    /// hash is missing).
    ///
    /// Complexity: O(N), N the number of fields returned.
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hrandfield>
    fn hrandfield_count<T: FromValue>(&self, key: impl ToArg, count: i64) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("HRANDFIELD").key(key).arg(count).readonly())
    }

    /// Random fields of the hash at `key` with their values (`WITHVALUES`), chosen as
    /// [`HashCommands::hrandfield_count`] chooses them. A list, not a map: a negative `count`
    /// may repeat fields. RESP3 sends pairs and RESP2 a flat array; both convert alike.
    ///
    /// Complexity: O(N), N the number of fields returned.
    /// Since: Redis 6.2.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let picks: Vec<(String, i64)> = r.hrandfield_withvalues("scores", 3)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/hrandfield>
    fn hrandfield_withvalues<F: FromValue, V: FromValue>(
        &self,
        key: impl ToArg,
        count: i64,
    ) -> Self::Output<Vec<(F, V)>> {
        self.execute(
            Cmd::new("HRANDFIELD")
                .key(key)
                .arg(count)
                .arg("WITHVALUES")
                .readonly(),
        )
    }

    /// Sets every field of `pairs` in the hash at `key` (creating it when missing); returns
    /// how many fields were new.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Redis 2.0.0 (several pairs since 4.0.0).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let added = r.hset("user:1", [("name", "Ada"), ("lang", "en")])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/hset>
    fn hset<F: ToArg, V: ToArg>(
        &self,
        key: impl ToArg,
        pairs: impl IntoIterator<Item = (F, V)>,
    ) -> Self::Output<i64> {
        self.execute(Cmd::new("HSET").key(key).arg_pairs(pairs).required("pairs"))
    }

    /// Sets every field of `pairs` in the hash at `key`, like `HSET` (without options `HSETEX`
    /// sets no time to live, and clears the one the fields had); returns true.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 8.0).
    ///
    /// # See also
    /// <https://valkey.io/commands/hsetex/>
    fn hsetex<F: ToArg, V: ToArg>(
        &self,
        key: impl ToArg,
        pairs: impl IntoIterator<Item = (F, V)>,
    ) -> Self::Output<bool> {
        self.hsetex_with(key, pairs, HSetExOptions::new())
    }

    /// Sets every field of `pairs` in the hash at `key` with a time to live, optionally only
    /// when the hash is absent/present (`NX`/`XX`) or the fields are (`FNX`/`FXX`); returns
    /// whether the fields were set (all or none).
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 8.0 without `NX`/`XX`).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::HSetExOptions;
    /// use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let set = r.hsetex_with(
    ///     "sessions",
    ///     [("s1", "alice")],
    ///     HSetExOptions::new().fnx().ex(Duration::from_secs(1800)),
    /// )?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://valkey.io/commands/hsetex/>
    fn hsetex_with<F: ToArg, V: ToArg>(
        &self,
        key: impl ToArg,
        pairs: impl IntoIterator<Item = (F, V)>,
        options: HSetExOptions,
    ) -> Self::Output<bool> {
        let pairs: Vec<(F, V)> = pairs.into_iter().collect();
        let cmd = options
            .apply(Cmd::new("HSETEX").key(key))
            .arg("FIELDS")
            .arg(pairs.len())
            .arg_pairs(pairs)
            .required("pairs");
        self.execute(cmd)
    }

    /// Sets `field` of the hash at `key` only if the field does not exist; returns whether it
    /// was set.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hsetnx>
    fn hsetnx(&self, key: impl ToArg, field: impl ToArg, value: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("HSETNX").key(key).arg(field).arg(value))
    }

    /// The length in bytes of the value of `field` in the hash at `key` (0 when missing).
    ///
    /// Complexity: O(1).
    /// Since: Redis 3.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hstrlen>
    fn hstrlen(&self, key: impl ToArg, field: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("HSTRLEN").key(key).arg(field).readonly())
    }

    /// The remaining time to live of each of `fields` of the hash at `key`, in whole seconds.
    ///
    /// Complexity: O(N), N the number of fields.
    /// Since: Valkey 9.0.0 (Redis 7.4).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::FieldTtl;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let ttls = r.httl("h", ["a", "b", "missing"])?;
    /// let left = ttls[0].duration(); // Some(..) when "a" expires
    /// assert_eq!(ttls[2], FieldTtl::NoField);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://valkey.io/commands/httl/>
    fn httl(&self, key: impl ToArg, fields: impl ToArgs) -> Self::Output<Vec<FieldTtl>> {
        let cmd = Cmd::with_reply("HTTL", field_ttls_secs).key(key).readonly();
        self.execute(with_fields(cmd, fields))
    }

    /// The values of the hash at `key` (empty when missing).
    ///
    /// Complexity: O(N), N the size of the hash.
    /// Since: Redis 2.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/hvals>
    fn hvals<T: FromValue>(&self, key: impl ToArg) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("HVALS").key(key).readonly())
    }
}

impl<E: Executor + ?Sized> HashCommands for E {}

/// Appends `FIELDS numfields field …`; an empty list is refused before sending.
fn with_fields<T>(cmd: Cmd<T>, fields: impl ToArgs) -> Cmd<T> {
    let n = fields.write_args(&mut Vec::new());
    cmd.arg("FIELDS").arg(n).args(fields).required("fields")
}
