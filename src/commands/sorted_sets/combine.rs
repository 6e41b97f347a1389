//! Several sorted sets at once: ZDIFF, ZDIFFSTORE, ZINTER, ZINTERCARD, ZINTERSTORE, ZUNION,
//! ZUNIONSTORE. The key count these commands want before their keys is sent for you.

use super::super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::{ScoredMember, ZCombineOptions};

/// Commands of the `sorted-set` group that combine several sorted sets (a key that does not
/// exist counts as an empty set). See also [`super::SortedSetCommands`] and
/// [`super::SortedSetRangeCommands`].
pub trait SortedSetCombineCommands: Executor {
    /// The members of the first sorted set of `keys` that are in none of the others, lowest
    /// score first.
    ///
    /// Complexity: O(L + (N-K)log(N)) worst case, L the total number of members of all the
    /// sets, N the size of the first set and K the size of the result.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zdiff>
    fn zdiff<T: FromValue>(&self, keys: impl ToArgs) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("ZDIFF")
                .keys_counted(keys)
                .required("keys")
                .readonly(),
        )
    }

    /// [`SortedSetCombineCommands::zdiff`] with the members' scores (`WITHSCORES`; the
    /// scores of the first set).
    ///
    /// Complexity: O(L + (N-K)log(N)) worst case, L the total number of members of all the
    /// sets, N the size of the first set and K the size of the result.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zdiff>
    fn zdiff_withscores<T: FromValue>(
        &self,
        keys: impl ToArgs,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        self.execute(
            Cmd::new("ZDIFF")
                .keys_counted(keys)
                .required("keys")
                .arg("WITHSCORES")
                .readonly(),
        )
    }

    /// Stores the members of the first sorted set of `keys` that are in none of the others
    /// (with their scores) at `destination`, replacing it (an empty result deletes it).
    /// Returns the size of the result.
    ///
    /// Complexity: O(L + (N-K)log(N)) worst case, L the total number of members of all the
    /// sets, N the size of the first set and K the size of the result.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zdiffstore>
    fn zdiffstore(&self, destination: impl ToArg, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ZDIFFSTORE")
                .key(destination)
                .keys_counted(keys)
                .required("keys"),
        )
    }

    /// The members present in every sorted set of `keys`, lowest combined score first (the
    /// scores are summed).
    ///
    /// Complexity: O(N*K)+O(M*log(M)) worst case, N the size of the smallest set, K the
    /// number of sets and M the size of the result.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zinter>
    fn zinter<T: FromValue>(&self, keys: impl ToArgs) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("ZINTER")
                .keys_counted(keys)
                .required("keys")
                .readonly(),
        )
    }

    /// [`SortedSetCombineCommands::zinter`] with `WEIGHTS` and `AGGREGATE`.
    ///
    /// Complexity: O(N*K)+O(M*log(M)) worst case, N the size of the smallest set, K the
    /// number of sets and M the size of the result.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zinter>
    fn zinter_with<T: FromValue>(
        &self,
        keys: impl ToArgs,
        options: ZCombineOptions,
    ) -> Self::Output<Vec<T>> {
        let cmd = Cmd::new("ZINTER")
            .keys_counted(keys)
            .required("keys")
            .readonly();
        self.execute(options.apply(cmd))
    }

    /// [`SortedSetCombineCommands::zinter_with`] with the combined scores (`WITHSCORES`).
    ///
    /// Complexity: O(N*K)+O(M*log(M)) worst case, N the size of the smallest set, K the
    /// number of sets and M the size of the result.
    ///
    /// Since: Redis 6.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{Aggregate, ScoredMember, ZCombineOptions};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Players in both rounds, with their better score.
    /// let both: Vec<ScoredMember<String>> = r.zinter_withscores(
    ///     ["round:1", "round:2"],
    ///     ZCombineOptions::new().aggregate(Aggregate::Max),
    /// )?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zinter>
    fn zinter_withscores<T: FromValue>(
        &self,
        keys: impl ToArgs,
        options: ZCombineOptions,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        let cmd = Cmd::new("ZINTER")
            .keys_counted(keys)
            .required("keys")
            .readonly();
        self.execute(options.apply(cmd).arg("WITHSCORES"))
    }

    /// The number of members present in every sorted set of `keys`, without sending them.
    ///
    /// Complexity: O(N*K) worst case, N the size of the smallest set and K the number of sets.
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zintercard>
    fn zintercard(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ZINTERCARD")
                .keys_counted(keys)
                .required("keys")
                .readonly(),
        )
    }

    /// [`SortedSetCombineCommands::zintercard`] with `LIMIT`: stops counting at `limit` (0: no
    /// limit).
    ///
    /// Complexity: O(N*K) worst case, N the size of the smallest set and K the number of sets.
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zintercard>
    fn zintercard_with(&self, keys: impl ToArgs, limit: u64) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ZINTERCARD")
                .keys_counted(keys)
                .required("keys")
                .arg("LIMIT")
                .arg(limit)
                .readonly(),
        )
    }

    /// Stores the members present in every sorted set of `keys`, with their summed scores, at
    /// `destination`, replacing it (an empty result deletes it). Returns the size of the
    /// result.
    ///
    /// Complexity: O(N*K)+O(M*log(M)) worst case, N the size of the smallest set, K the
    /// number of sets and M the size of the result.
    ///
    /// Since: Redis 2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zinterstore>
    fn zinterstore(&self, destination: impl ToArg, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ZINTERSTORE")
                .key(destination)
                .keys_counted(keys)
                .required("keys"),
        )
    }

    /// [`SortedSetCombineCommands::zinterstore`] with `WEIGHTS` and `AGGREGATE`.
    ///
    /// Complexity: O(N*K)+O(M*log(M)) worst case, N the size of the smallest set, K the
    /// number of sets and M the size of the result.
    ///
    /// Since: Redis 2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zinterstore>
    fn zinterstore_with(
        &self,
        destination: impl ToArg,
        keys: impl ToArgs,
        options: ZCombineOptions,
    ) -> Self::Output<i64> {
        let cmd = Cmd::new("ZINTERSTORE")
            .key(destination)
            .keys_counted(keys)
            .required("keys");
        self.execute(options.apply(cmd))
    }

    /// The members of any of the sorted sets of `keys`, lowest combined score first (the
    /// scores of a member in several sets are summed).
    ///
    /// Complexity: O(N)+O(M*log(M)), N the total size of the sets and M the size of the
    /// result.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zunion>
    fn zunion<T: FromValue>(&self, keys: impl ToArgs) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("ZUNION")
                .keys_counted(keys)
                .required("keys")
                .readonly(),
        )
    }

    /// [`SortedSetCombineCommands::zunion`] with `WEIGHTS` and `AGGREGATE`.
    ///
    /// Complexity: O(N)+O(M*log(M)), N the total size of the sets and M the size of the
    /// result.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zunion>
    fn zunion_with<T: FromValue>(
        &self,
        keys: impl ToArgs,
        options: ZCombineOptions,
    ) -> Self::Output<Vec<T>> {
        let cmd = Cmd::new("ZUNION")
            .keys_counted(keys)
            .required("keys")
            .readonly();
        self.execute(options.apply(cmd))
    }

    /// [`SortedSetCombineCommands::zunion_with`] with the combined scores (`WITHSCORES`).
    ///
    /// Complexity: O(N)+O(M*log(M)), N the total size of the sets and M the size of the
    /// result.
    ///
    /// Since: Redis 6.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{ScoredMember, ZCombineOptions};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // This week counts double.
    /// let ranking: Vec<ScoredMember<String>> = r.zunion_withscores(
    ///     ["points:last-week", "points:this-week"],
    ///     ZCombineOptions::new().weights([1.0, 2.0]),
    /// )?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zunion>
    fn zunion_withscores<T: FromValue>(
        &self,
        keys: impl ToArgs,
        options: ZCombineOptions,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        let cmd = Cmd::new("ZUNION")
            .keys_counted(keys)
            .required("keys")
            .readonly();
        self.execute(options.apply(cmd).arg("WITHSCORES"))
    }

    /// Stores the members of any of the sorted sets of `keys`, with their summed scores, at
    /// `destination`, replacing it (an empty result deletes it). Returns the size of the
    /// result.
    ///
    /// Complexity: O(N)+O(M*log(M)), N the total size of the sets and M the size of the
    /// result.
    ///
    /// Since: Redis 2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zunionstore>
    fn zunionstore(&self, destination: impl ToArg, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ZUNIONSTORE")
                .key(destination)
                .keys_counted(keys)
                .required("keys"),
        )
    }

    /// [`SortedSetCombineCommands::zunionstore`] with `WEIGHTS` and `AGGREGATE`.
    ///
    /// Complexity: O(N)+O(M*log(M)), N the total size of the sets and M the size of the
    /// result.
    ///
    /// Since: Redis 2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zunionstore>
    fn zunionstore_with(
        &self,
        destination: impl ToArg,
        keys: impl ToArgs,
        options: ZCombineOptions,
    ) -> Self::Output<i64> {
        let cmd = Cmd::new("ZUNIONSTORE")
            .key(destination)
            .keys_counted(keys)
            .required("keys");
        self.execute(options.apply(cmd))
    }
}

impl<E: Executor + ?Sized> SortedSetCombineCommands for E {}
