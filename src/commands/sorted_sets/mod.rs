//! Sorted-set commands (`@sortedset`) that answer at once, in three traits by sub-topic:
//!
//! - [`SortedSetCommands`] (this file): adding, scoring, counting, ranking, removing, popping
//!   and sampling members — ZADD, ZCARD, ZCOUNT, ZINCRBY, ZLEXCOUNT, ZMPOP, ZMSCORE, ZPOPMAX,
//!   ZPOPMIN, ZRANDMEMBER, ZRANK, ZREM, ZREMRANGEBYLEX, ZREMRANGEBYRANK, ZREMRANGEBYSCORE,
//!   ZREVRANK, ZSCORE;
//! - [`SortedSetRangeCommands`] (`range.rs`): reading ranges — ZRANGE (by rank, score or
//!   member, reversed, paged), ZRANGESTORE, ZRANGEBYLEX, ZRANGEBYSCORE, ZREVRANGE,
//!   ZREVRANGEBYLEX, ZREVRANGEBYSCORE;
//! - [`SortedSetCombineCommands`] (`combine.rs`): several sets at once — ZDIFF, ZDIFFSTORE,
//!   ZINTER, ZINTERCARD, ZINTERSTORE, ZUNION, ZUNIONSTORE.
//!
//! Scores are `f64` under RESP2 and RESP3 alike; `WITHSCORES` replies are
//! [`ScoredMember`]s. The blocking forms (BZPOPMIN, …) are not here.

mod combine;
mod range;

pub use combine::SortedSetCombineCommands;
pub use range::SortedSetRangeCommands;

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::{LexBound, RankWithScore, ScoreBound, ScoreEnd, ScoredMember, ZaddOptions};
use crate::value::Value;

/// Commands of the `sorted-set` group that add, score, count, rank, remove, pop and sample
/// members. See also [`SortedSetRangeCommands`] and [`SortedSetCombineCommands`].
pub trait SortedSetCommands: Executor {
    /// Adds members with their scores to the sorted set at `key` (creating it), or updates the
    /// score of members already there. Each item is `(score, member)`, the order the server
    /// takes them in. Returns how many members were new.
    ///
    /// Complexity: O(log(N)) per member, N the size of the sorted set.
    ///
    /// Since: Redis 1.2 (several members: 2.4).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let added = r.zadd("scores", [(12.0, "alice"), (7.5, "bob")])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zadd>
    fn zadd<M: ToArg>(
        &self,
        key: impl ToArg,
        members: impl IntoIterator<Item = (f64, M)>,
    ) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ZADD")
                .key(key)
                .arg_pairs(members)
                .required("members"),
        )
    }

    /// [`SortedSetCommands::zadd`] with options: add only (`NX`) or update only (`XX`), update
    /// only to a greater (`GT`) or lesser (`LT`) score, count changed members too (`CH`).
    /// Returns how many members were added (with `CH`: added or changed).
    ///
    /// Complexity: O(log(N)) per member, N the size of the sorted set.
    ///
    /// Since: Redis 3.0.2 (`GT`, `LT`: 6.2).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ZaddOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Keep each player's best score; count who improved.
    /// let improved = r.zadd_with("best", [(31.0, "alice")], ZaddOptions::new().gt().ch())?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zadd>
    fn zadd_with<M: ToArg>(
        &self,
        key: impl ToArg,
        members: impl IntoIterator<Item = (f64, M)>,
        options: ZaddOptions,
    ) -> Self::Output<i64> {
        let cmd = options.apply(Cmd::new("ZADD").key(key));
        self.execute(cmd.arg_pairs(members).required("members"))
    }

    /// `ZADD … INCR`: adds `increment` to the score of `member` (a new member starts at 0),
    /// under the conditions of `options`. Returns the new score, or `None` when a condition
    /// (`NX`, `XX`, `GT`, `LT`) prevented the update.
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 3.0.2 (`GT`, `LT`: 6.2).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ZaddOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Only for members already there.
    /// let score: Option<f64> = r.zadd_incr("scores", 2.5, "alice", ZaddOptions::new().xx())?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zadd>
    fn zadd_incr(
        &self,
        key: impl ToArg,
        increment: f64,
        member: impl ToArg,
        options: ZaddOptions,
    ) -> Self::Output<Option<f64>> {
        let cmd = options.apply(Cmd::new("ZADD").key(key));
        self.execute(cmd.arg("INCR").arg(increment).arg(member))
    }

    /// The number of members of the sorted set at `key` (0 when the key does not exist).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zcard>
    fn zcard(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("ZCARD").key(key).readonly())
    }

    /// The number of members of the sorted set at `key` whose score is between `min` and
    /// `max` (plain `f64`s are inclusive bounds; see [`ScoreBound`] for the others).
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 2.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ScoreBound;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let passed = r.zcount("grades", 10.0, ScoreBound::PosInf)?;
    /// let strictly_between =
    ///     r.zcount("grades", ScoreBound::Exclusive(5.0), ScoreBound::Exclusive(10.0))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zcount>
    fn zcount(
        &self,
        key: impl ToArg,
        min: impl Into<ScoreBound>,
        max: impl Into<ScoreBound>,
    ) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ZCOUNT")
                .key(key)
                .arg(min.into())
                .arg(max.into())
                .readonly(),
        )
    }

    /// Adds `increment` to the score of `member` in the sorted set at `key` (a new member
    /// starts at 0; a negative increment decreases). Returns the new score.
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 1.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zincrby>
    fn zincrby(&self, key: impl ToArg, increment: f64, member: impl ToArg) -> Self::Output<f64> {
        self.execute(Cmd::new("ZINCRBY").key(key).arg(increment).arg(member))
    }

    /// The number of members of the sorted set at `key` between `min` and `max` in byte order
    /// (for sorted sets whose members all have the same score).
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 2.8.9.
    ///
    /// # See also
    /// <https://redis.io/commands/zlexcount>
    fn zlexcount(&self, key: impl ToArg, min: LexBound, max: LexBound) -> Self::Output<i64> {
        self.execute(Cmd::new("ZLEXCOUNT").key(key).arg(min).arg(max).readonly())
    }

    /// Pops the member with the lowest or highest score from the first non-empty sorted set
    /// among `keys`. Returns that set's name and the member with its score (in a `Vec` of
    /// one), or `None` when every set is empty. The key count the server wants is sent for
    /// you.
    ///
    /// Complexity: O(K) + O(M*log(N)), K the number of keys, N the size of the sorted set and
    /// M the number of members popped.
    ///
    /// Since: Redis 7.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{ScoreEnd, ScoredMember};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let next: Option<(String, Vec<ScoredMember<String>>)> =
    ///     r.zmpop(["urgent", "later"], ScoreEnd::Min)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zmpop>
    // The same shape as `LMPOP`'s `(key, elements)`, with scores.
    #[allow(clippy::type_complexity)]
    fn zmpop<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        end: ScoreEnd,
    ) -> Self::Output<Option<(K, Vec<ScoredMember<T>>)>> {
        self.execute(
            Cmd::new("ZMPOP")
                .keys_counted(keys)
                .required("keys")
                .arg(end.token()),
        )
    }

    /// [`SortedSetCommands::zmpop`] with `COUNT`: pops up to `count` members from the first
    /// non-empty sorted set (fewer when it holds fewer).
    ///
    /// Complexity: O(K) + O(M*log(N)), K the number of keys, N the size of the sorted set and
    /// M the number of members popped.
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zmpop>
    // The same shape as `LMPOP`'s `(key, elements)`, with scores.
    #[allow(clippy::type_complexity)]
    fn zmpop_with<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        end: ScoreEnd,
        count: u64,
    ) -> Self::Output<Option<(K, Vec<ScoredMember<T>>)>> {
        self.execute(
            Cmd::new("ZMPOP")
                .keys_counted(keys)
                .required("keys")
                .arg(end.token())
                .arg("COUNT")
                .arg(count),
        )
    }

    /// The scores of `members` in the sorted set at `key`, in order; `None` for a member that
    /// is not there (or when the key does not exist).
    ///
    /// Complexity: O(N), N the number of members asked about.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zmscore>
    fn zmscore(&self, key: impl ToArg, members: impl ToArgs) -> Self::Output<Vec<Option<f64>>> {
        self.execute(
            Cmd::new("ZMSCORE")
                .key(key)
                .args(members)
                .required("members")
                .readonly(),
        )
    }

    /// Removes and returns the member with the highest score of the sorted set at `key`, or
    /// `None` when it is empty.
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zpopmax>
    fn zpopmax<T: FromValue>(&self, key: impl ToArg) -> Self::Output<Option<ScoredMember<T>>> {
        self.execute(Cmd::with_reply("ZPOPMAX", one_scored::<T>).key(key))
    }

    /// Removes and returns up to `count` members with the highest scores of the sorted set at
    /// `key`, highest first (empty when the key does not exist).
    ///
    /// Complexity: O(log(N)*M), N the size of the sorted set and M the number of members
    /// popped.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zpopmax>
    fn zpopmax_count<T: FromValue>(
        &self,
        key: impl ToArg,
        count: u64,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        self.execute(Cmd::new("ZPOPMAX").key(key).arg(count))
    }

    /// Removes and returns the member with the lowest score of the sorted set at `key`, or
    /// `None` when it is empty.
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 5.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ScoredMember;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// if let Some(ScoredMember { member, score, .. }) = r.zpopmin::<String>("tasks")? {
    ///     println!("{member} was due at {score}");
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zpopmin>
    fn zpopmin<T: FromValue>(&self, key: impl ToArg) -> Self::Output<Option<ScoredMember<T>>> {
        self.execute(Cmd::with_reply("ZPOPMIN", one_scored::<T>).key(key))
    }

    /// Removes and returns up to `count` members with the lowest scores of the sorted set at
    /// `key`, lowest first (empty when the key does not exist).
    ///
    /// Complexity: O(log(N)*M), N the size of the sorted set and M the number of members
    /// popped.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zpopmin>
    fn zpopmin_count<T: FromValue>(
        &self,
        key: impl ToArg,
        count: u64,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        self.execute(Cmd::new("ZPOPMIN").key(key).arg(count))
    }

    /// A random member of the sorted set at `key`, left in place. Ask for an `Option<_>`: nil
    /// when the key does not exist.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrandmember>
    fn zrandmember<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("ZRANDMEMBER").key(key).readonly())
    }

    /// Random members of the sorted set at `key`, left in place: with `count > 0`, up to
    /// `count` distinct members; with `count < 0`, exactly `-count` members, which may repeat.
    /// Empty when the key does not exist.
    ///
    /// Complexity: O(N), N the number of members returned.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrandmember>
    fn zrandmember_count<T: FromValue>(&self, key: impl ToArg, count: i64) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("ZRANDMEMBER").key(key).arg(count).readonly())
    }

    /// [`SortedSetCommands::zrandmember_count`] with the members' scores (`WITHSCORES`).
    ///
    /// Complexity: O(N), N the number of members returned.
    ///
    /// Since: Redis 6.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ScoredMember;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let sample: Vec<ScoredMember<String>> = r.zrandmember_withscores("scores", 3)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zrandmember>
    fn zrandmember_withscores<T: FromValue>(
        &self,
        key: impl ToArg,
        count: i64,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        self.execute(
            Cmd::new("ZRANDMEMBER")
                .key(key)
                .arg(count)
                .arg("WITHSCORES")
                .readonly(),
        )
    }

    /// The rank of `member` in the sorted set at `key`, counting from 0 at the lowest score;
    /// `None` when it is not a member (or the key does not exist).
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zrank>
    fn zrank(&self, key: impl ToArg, member: impl ToArg) -> Self::Output<Option<i64>> {
        self.execute(Cmd::new("ZRANK").key(key).arg(member).readonly())
    }

    /// [`SortedSetCommands::zrank`] with the member's score (`WITHSCORE`).
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 7.2 (all Valkey versions).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// if let Some(found) = r.zrank_withscore("scores", "alice")? {
    ///     println!("rank {} with {}", found.rank, found.score);
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zrank>
    fn zrank_withscore(
        &self,
        key: impl ToArg,
        member: impl ToArg,
    ) -> Self::Output<Option<RankWithScore>> {
        self.execute(
            Cmd::new("ZRANK")
                .key(key)
                .arg(member)
                .arg("WITHSCORE")
                .readonly(),
        )
    }

    /// Removes `members` from the sorted set at `key`; returns how many were members.
    ///
    /// Complexity: O(M*log(N)), N the size of the sorted set and M the number of members
    /// removed.
    ///
    /// Since: Redis 1.2 (several members: 2.4).
    ///
    /// # See also
    /// <https://redis.io/commands/zrem>
    fn zrem(&self, key: impl ToArg, members: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("ZREM").key(key).args(members).required("members"))
    }

    /// Removes the members of the sorted set at `key` between `min` and `max` in byte order
    /// (for sorted sets whose members all have the same score); returns how many.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// removed.
    ///
    /// Since: Redis 2.8.9.
    ///
    /// # See also
    /// <https://redis.io/commands/zremrangebylex>
    fn zremrangebylex(&self, key: impl ToArg, min: LexBound, max: LexBound) -> Self::Output<i64> {
        self.execute(Cmd::new("ZREMRANGEBYLEX").key(key).arg(min).arg(max))
    }

    /// Removes the members of the sorted set at `key` from rank `start` to rank `stop`, both
    /// included (0 is the lowest score, -1 the highest); returns how many.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// removed.
    ///
    /// Since: Redis 2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zremrangebyrank>
    fn zremrangebyrank(&self, key: impl ToArg, start: i64, stop: i64) -> Self::Output<i64> {
        self.execute(Cmd::new("ZREMRANGEBYRANK").key(key).arg(start).arg(stop))
    }

    /// Removes the members of the sorted set at `key` whose score is between `min` and `max`;
    /// returns how many.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// removed.
    ///
    /// Since: Redis 1.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ScoreBound;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Forget everything older than a cut-off timestamp.
    /// let cutoff = ScoreBound::Exclusive(1.7e9);
    /// let dropped = r.zremrangebyscore("events", ScoreBound::NegInf, cutoff)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zremrangebyscore>
    fn zremrangebyscore(
        &self,
        key: impl ToArg,
        min: impl Into<ScoreBound>,
        max: impl Into<ScoreBound>,
    ) -> Self::Output<i64> {
        self.execute(
            Cmd::new("ZREMRANGEBYSCORE")
                .key(key)
                .arg(min.into())
                .arg(max.into()),
        )
    }

    /// The rank of `member` in the sorted set at `key`, counting from 0 at the highest score;
    /// `None` when it is not a member (or the key does not exist).
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrank>
    fn zrevrank(&self, key: impl ToArg, member: impl ToArg) -> Self::Output<Option<i64>> {
        self.execute(Cmd::new("ZREVRANK").key(key).arg(member).readonly())
    }

    /// [`SortedSetCommands::zrevrank`] with the member's score (`WITHSCORE`).
    ///
    /// Complexity: O(log(N)), N the size of the sorted set.
    ///
    /// Since: Redis 7.2 (all Valkey versions).
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrank>
    fn zrevrank_withscore(
        &self,
        key: impl ToArg,
        member: impl ToArg,
    ) -> Self::Output<Option<RankWithScore>> {
        self.execute(
            Cmd::new("ZREVRANK")
                .key(key)
                .arg(member)
                .arg("WITHSCORE")
                .readonly(),
        )
    }

    /// The score of `member` in the sorted set at `key`, or `None` when it is not a member (or
    /// the key does not exist).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zscore>
    fn zscore(&self, key: impl ToArg, member: impl ToArg) -> Self::Output<Option<f64>> {
        self.execute(Cmd::new("ZSCORE").key(key).arg(member).readonly())
    }
}

impl<E: Executor + ?Sized> SortedSetCommands for E {}

/// `ZPOPMIN`/`ZPOPMAX` without a count: `[member, score]` (flat under both protocols), or an
/// empty array when the set is empty.
fn one_scored<T: FromValue>(v: Value) -> Result<Option<ScoredMember<T>>> {
    match v {
        Value::Nil => Ok(None),
        Value::Array(items) if items.is_empty() => Ok(None),
        v => ScoredMember::from_value(v).map(Some),
    }
}
