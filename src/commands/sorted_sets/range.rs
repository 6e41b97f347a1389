//! Reading ranges of a sorted set: ZRANGE (unified form), ZRANGESTORE, ZRANGEBYLEX,
//! ZRANGEBYSCORE, ZREVRANGE, ZREVRANGEBYLEX, ZREVRANGEBYSCORE.

use super::super::Executor;
use crate::args::ToArg;
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::{LexBound, RangeLimit, ScoreBound, ScoredMember, ZRange};

/// Commands of the `sorted-set` group that read ranges of members. See also
/// [`super::SortedSetCommands`] and [`super::SortedSetCombineCommands`].
pub trait SortedSetRangeCommands: Executor {
    /// The members of the sorted set at `key` from rank `start` to rank `stop`, both included,
    /// lowest score first (0 is the first, -1 the last: `0, -1` is the whole set).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 1.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrange>
    fn zrange<T: FromValue>(&self, key: impl ToArg, start: i64, stop: i64) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("ZRANGE").key(key).arg(start).arg(stop).readonly())
    }

    /// The members of the sorted set at `key` in `range`: by rank, score ([`ZRange::score`],
    /// `BYSCORE`) or member ([`ZRange::lex`], `BYLEX`), reversed ([`ZRange::rev`]), paged
    /// ([`ZRange::limit`]).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 1.2 (`BYSCORE`, `BYLEX`, `REV`, `LIMIT`: 6.2).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{ScoreBound, ZRange};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // The 10 best scores above 100, best first.
    /// let best: Vec<String> = r.zrange_with(
    ///     "scores",
    ///     ZRange::score(ScoreBound::Exclusive(100.0), ScoreBound::PosInf).rev().limit(0, 10),
    /// )?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zrange>
    fn zrange_with<T: FromValue>(&self, key: impl ToArg, range: ZRange) -> Self::Output<Vec<T>> {
        self.execute(range.apply(Cmd::new("ZRANGE").key(key).readonly()))
    }

    /// [`SortedSetRangeCommands::zrange_with`] with the members' scores (`WITHSCORES`). A
    /// [`ZRange::lex`] range is refused by the server here.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 1.2 (`BYSCORE`, `REV`, `LIMIT`: 6.2).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{ScoredMember, ZRange};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let podium: Vec<ScoredMember<String>> =
    ///     r.zrange_withscores("scores", ZRange::rank(0, 2).rev())?;
    /// for (place, entry) in podium.iter().enumerate() {
    ///     println!("{}. {} ({})", place + 1, entry.member, entry.score);
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zrange>
    fn zrange_withscores<T: FromValue>(
        &self,
        key: impl ToArg,
        range: ZRange,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        let cmd = range.apply(Cmd::new("ZRANGE").key(key).readonly());
        self.execute(cmd.arg("WITHSCORES"))
    }

    /// Stores the members of the sorted set at `source` in `range` (with their scores) at
    /// `destination`, replacing it (an empty result deletes it). Returns how many were stored.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// stored.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrangestore>
    fn zrangestore(
        &self,
        destination: impl ToArg,
        source: impl ToArg,
        range: ZRange,
    ) -> Self::Output<i64> {
        self.execute(range.apply(Cmd::new("ZRANGESTORE").key(destination).key(source)))
    }

    /// The members of the sorted set at `key` between `min` and `max` in byte order (for
    /// sorted sets whose members all have the same score).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 2.8.9.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::LexBound;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Autocomplete: every name starting with "jo".
    /// let names: Vec<String> =
    ///     r.zrangebylex("names", LexBound::inclusive("jo"), LexBound::exclusive("jp"))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zrangebylex>
    fn zrangebylex<T: FromValue>(
        &self,
        key: impl ToArg,
        min: LexBound,
        max: LexBound,
    ) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("ZRANGEBYLEX")
                .key(key)
                .arg(min)
                .arg(max)
                .readonly(),
        )
    }

    /// [`SortedSetRangeCommands::zrangebylex`], paged (`LIMIT`).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 2.8.9.
    ///
    /// # See also
    /// <https://redis.io/commands/zrangebylex>
    fn zrangebylex_with<T: FromValue>(
        &self,
        key: impl ToArg,
        min: LexBound,
        max: LexBound,
        limit: RangeLimit,
    ) -> Self::Output<Vec<T>> {
        let cmd = Cmd::new("ZRANGEBYLEX")
            .key(key)
            .arg(min)
            .arg(max)
            .readonly();
        self.execute(limit.apply(cmd))
    }

    /// The members of the sorted set at `key` whose score is between `min` and `max`, lowest
    /// first.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 1.0.5.
    ///
    /// # See also
    /// <https://redis.io/commands/zrangebyscore>
    fn zrangebyscore<T: FromValue>(
        &self,
        key: impl ToArg,
        min: impl Into<ScoreBound>,
        max: impl Into<ScoreBound>,
    ) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("ZRANGEBYSCORE")
                .key(key)
                .arg(min.into())
                .arg(max.into())
                .readonly(),
        )
    }

    /// [`SortedSetRangeCommands::zrangebyscore`], paged (`LIMIT`).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 1.0.5.
    ///
    /// # See also
    /// <https://redis.io/commands/zrangebyscore>
    fn zrangebyscore_with<T: FromValue>(
        &self,
        key: impl ToArg,
        min: impl Into<ScoreBound>,
        max: impl Into<ScoreBound>,
        limit: RangeLimit,
    ) -> Self::Output<Vec<T>> {
        let cmd = Cmd::new("ZRANGEBYSCORE")
            .key(key)
            .arg(min.into())
            .arg(max.into())
            .readonly();
        self.execute(limit.apply(cmd))
    }

    /// [`SortedSetRangeCommands::zrangebyscore`] with the members' scores (`WITHSCORES`),
    /// paged when `limit` is given.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 2.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{RangeLimit, ScoreBound, ScoredMember};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let first_100 = Some(RangeLimit::new(0, 100));
    /// let due: Vec<ScoredMember<String>> =
    ///     r.zrangebyscore_withscores("tasks", ScoreBound::NegInf, 1.7e9, first_100)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/zrangebyscore>
    fn zrangebyscore_withscores<T: FromValue>(
        &self,
        key: impl ToArg,
        min: impl Into<ScoreBound>,
        max: impl Into<ScoreBound>,
        limit: Option<RangeLimit>,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        let cmd = Cmd::new("ZRANGEBYSCORE")
            .key(key)
            .arg(min.into())
            .arg(max.into())
            .arg("WITHSCORES")
            .readonly();
        self.execute(match limit {
            Some(limit) => limit.apply(cmd),
            None => cmd,
        })
    }

    /// The members of the sorted set at `key` from rank `start` to rank `stop`, both included,
    /// counting from the highest score (0 is the highest).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 1.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrange>
    fn zrevrange<T: FromValue>(
        &self,
        key: impl ToArg,
        start: i64,
        stop: i64,
    ) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("ZREVRANGE")
                .key(key)
                .arg(start)
                .arg(stop)
                .readonly(),
        )
    }

    /// [`SortedSetRangeCommands::zrevrange`] with the members' scores (`WITHSCORES`).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 1.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrange>
    fn zrevrange_withscores<T: FromValue>(
        &self,
        key: impl ToArg,
        start: i64,
        stop: i64,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        self.execute(
            Cmd::new("ZREVRANGE")
                .key(key)
                .arg(start)
                .arg(stop)
                .arg("WITHSCORES")
                .readonly(),
        )
    }

    /// The members of the sorted set at `key` between `max` and `min` in reverse byte order.
    /// Note the order of the bounds: the high one first, as the server takes them.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 2.8.9.
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrangebylex>
    fn zrevrangebylex<T: FromValue>(
        &self,
        key: impl ToArg,
        max: LexBound,
        min: LexBound,
    ) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("ZREVRANGEBYLEX")
                .key(key)
                .arg(max)
                .arg(min)
                .readonly(),
        )
    }

    /// [`SortedSetRangeCommands::zrevrangebylex`], paged (`LIMIT`).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 2.8.9.
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrangebylex>
    fn zrevrangebylex_with<T: FromValue>(
        &self,
        key: impl ToArg,
        max: LexBound,
        min: LexBound,
        limit: RangeLimit,
    ) -> Self::Output<Vec<T>> {
        let cmd = Cmd::new("ZREVRANGEBYLEX")
            .key(key)
            .arg(max)
            .arg(min)
            .readonly();
        self.execute(limit.apply(cmd))
    }

    /// The members of the sorted set at `key` whose score is between `max` and `min`, highest
    /// first. Note the order of the bounds: the high one first, as the server takes them.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 2.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrangebyscore>
    fn zrevrangebyscore<T: FromValue>(
        &self,
        key: impl ToArg,
        max: impl Into<ScoreBound>,
        min: impl Into<ScoreBound>,
    ) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::new("ZREVRANGEBYSCORE")
                .key(key)
                .arg(max.into())
                .arg(min.into())
                .readonly(),
        )
    }

    /// [`SortedSetRangeCommands::zrevrangebyscore`], paged (`LIMIT`).
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 2.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrangebyscore>
    fn zrevrangebyscore_with<T: FromValue>(
        &self,
        key: impl ToArg,
        max: impl Into<ScoreBound>,
        min: impl Into<ScoreBound>,
        limit: RangeLimit,
    ) -> Self::Output<Vec<T>> {
        let cmd = Cmd::new("ZREVRANGEBYSCORE")
            .key(key)
            .arg(max.into())
            .arg(min.into())
            .readonly();
        self.execute(limit.apply(cmd))
    }

    /// [`SortedSetRangeCommands::zrevrangebyscore`] with the members' scores (`WITHSCORES`),
    /// paged when `limit` is given.
    ///
    /// Complexity: O(log(N)+M), N the size of the sorted set and M the number of members
    /// returned.
    ///
    /// Since: Redis 2.2.
    ///
    /// # See also
    /// <https://redis.io/commands/zrevrangebyscore>
    fn zrevrangebyscore_withscores<T: FromValue>(
        &self,
        key: impl ToArg,
        max: impl Into<ScoreBound>,
        min: impl Into<ScoreBound>,
        limit: Option<RangeLimit>,
    ) -> Self::Output<Vec<ScoredMember<T>>> {
        let cmd = Cmd::new("ZREVRANGEBYSCORE")
            .key(key)
            .arg(max.into())
            .arg(min.into())
            .arg("WITHSCORES")
            .readonly();
        self.execute(match limit {
            Some(limit) => limit.apply(cmd),
            None => cmd,
        })
    }
}

impl<E: Executor + ?Sized> SortedSetRangeCommands for E {}
