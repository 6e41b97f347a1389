//! Reply types, bounds, options and token groups of the sorted-set commands.
//!
//! Scores are `f64` everywhere: RESP3 servers send doubles, RESP2 servers text (`"1.5"`,
//! `"inf"`), and both read the same. `…WITHSCORES` replies become [`ScoredMember`]s whether the
//! server sent a flat array (`[m1, s1, m2, s2]`, RESP2) or pairs (`[[m1, s1], [m2, s2]]`,
//! RESP3 and `ZMPOP`).

use crate::args::ToArg;
use crate::cmd::Cmd;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::resp;
use crate::value::Value;

/// A member of a sorted set with its score: one element of a `WITHSCORES` reply (`ZRANGE`,
/// `ZPOPMIN`, `ZRANDMEMBER`, `ZUNION`, `ZMPOP`, `ZSCAN`, …).
///
/// As a [`FromValue`] it reads a `[member, score]` pair; `Vec<ScoredMember<T>>` reads the flat
/// RESP2 form and the RESP3 list of pairs alike.
///
/// ```
/// use coredis::types::ScoredMember;
/// let m = ScoredMember::new("alice", 12.5);
/// assert_eq!((m.member, m.score), ("alice", 12.5));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ScoredMember<T> {
    /// The member.
    pub member: T,
    /// Its score (`inf` and `-inf` included).
    pub score: f64,
}

impl<T> ScoredMember<T> {
    /// A member with its score.
    pub fn new(member: T, score: f64) -> ScoredMember<T> {
        ScoredMember { member, score }
    }

    /// The member and its score as a tuple.
    pub fn into_pair(self) -> (T, f64) {
        (self.member, self.score)
    }
}

impl<T> From<(T, f64)> for ScoredMember<T> {
    fn from((member, score): (T, f64)) -> ScoredMember<T> {
        ScoredMember { member, score }
    }
}

impl<T: FromValue> FromValue for ScoredMember<T> {
    fn from_value(value: Value) -> Result<Self> {
        <(T, f64)>::from_value(value).map(ScoredMember::from)
    }

    fn from_aggregate(value: Value) -> Result<Vec<Self>> {
        // The pair shapes `Vec<(K, V)>` accepts: a RESP2 flat array, a RESP3 array of pairs.
        Vec::<(T, f64)>::from_value(value).map(|v| v.into_iter().map(ScoredMember::from).collect())
    }
}

/// The rank of a member and its score (`ZRANK … WITHSCORE`, `ZREVRANK … WITHSCORE`).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RankWithScore {
    /// The 0-based rank.
    pub rank: i64,
    /// The member's score.
    pub score: f64,
}

impl FromValue for RankWithScore {
    fn from_value(value: Value) -> Result<Self> {
        <(i64, f64)>::from_value(value).map(|(rank, score)| RankWithScore { rank, score })
    }
}

/// One end of a score range (`ZCOUNT`, `ZRANGEBYSCORE`, `ZRANGE … BYSCORE`, …): a score
/// included or excluded, or no bound at all. A plain `f64` converts into an inclusive bound
/// (`f64::INFINITY` works too).
///
/// ```
/// use coredis::types::ScoreBound;
/// let above_one = (ScoreBound::Exclusive(1.0), ScoreBound::PosInf); // (1 +inf
/// let up_to_ten: ScoreBound = 10.0.into();                         // 10
/// # let _ = (above_one, up_to_ten);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ScoreBound {
    /// The score, included (`5`).
    Inclusive(f64),
    /// The score, excluded (`(5`).
    Exclusive(f64),
    /// No lower bound (`-inf`).
    NegInf,
    /// No upper bound (`+inf`).
    PosInf,
}

impl From<f64> for ScoreBound {
    fn from(score: f64) -> ScoreBound {
        ScoreBound::Inclusive(score)
    }
}

/// `inf`/`-inf` as the server spells them, other scores in Rust's shortest round-trip form.
fn score_text(score: f64) -> String {
    if score.is_infinite() {
        if score > 0.0 { "+inf" } else { "-inf" }.to_string()
    } else {
        score.to_string()
    }
}

impl ToArg for ScoreBound {
    fn write_arg(&self, out: &mut Vec<u8>) {
        let text = match self {
            ScoreBound::Inclusive(s) => score_text(*s),
            ScoreBound::Exclusive(s) => format!("({}", score_text(*s)),
            ScoreBound::NegInf => "-inf".to_string(),
            ScoreBound::PosInf => "+inf".to_string(),
        };
        resp::write_bulk(out, text.as_bytes());
    }
}

/// One end of a lexicographic range (`ZRANGEBYLEX`, `ZLEXCOUNT`, `ZRANGE … BYLEX`, …), for
/// sorted sets whose members all have the same score: a member included (`[a`) or excluded
/// (`(a`), or no bound (`-`, `+`). Members compare byte by byte.
///
/// ```
/// use coredis::types::LexBound;
/// // Every member starting with "app": [app (apq
/// let (min, max) = (LexBound::inclusive("app"), LexBound::exclusive("apq"));
/// # let _ = (min, max, LexBound::Min, LexBound::Max);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LexBound {
    /// The value, included (`[value`).
    Inclusive(Vec<u8>),
    /// The value, excluded (`(value`).
    Exclusive(Vec<u8>),
    /// Below every member (`-`).
    Min,
    /// Above every member (`+`).
    Max,
}

impl LexBound {
    /// `[value`: from or up to `value`, included.
    pub fn inclusive(value: impl AsRef<[u8]>) -> LexBound {
        LexBound::Inclusive(value.as_ref().to_vec())
    }

    /// `(value`: from or up to `value`, excluded.
    pub fn exclusive(value: impl AsRef<[u8]>) -> LexBound {
        LexBound::Exclusive(value.as_ref().to_vec())
    }
}

impl ToArg for LexBound {
    fn write_arg(&self, out: &mut Vec<u8>) {
        let prefixed = |prefix: u8, v: &[u8]| {
            let mut word = Vec::with_capacity(v.len() + 1);
            word.push(prefix);
            word.extend_from_slice(v);
            word
        };
        match self {
            LexBound::Inclusive(v) => resp::write_bulk(out, &prefixed(b'[', v)),
            LexBound::Exclusive(v) => resp::write_bulk(out, &prefixed(b'(', v)),
            LexBound::Min => resp::write_bulk(out, b"-"),
            LexBound::Max => resp::write_bulk(out, b"+"),
        }
    }
}

/// `LIMIT offset count` of a range by score or by member: skip `offset` matches, then return
/// at most `count` (a negative `count`: all the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RangeLimit {
    offset: i64,
    count: i64,
}

impl RangeLimit {
    /// Skip `offset` matches, then return at most `count` (negative: all the rest).
    pub fn new(offset: i64, count: i64) -> RangeLimit {
        RangeLimit { offset, count }
    }

    /// Appends `LIMIT offset count`.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.arg("LIMIT").arg(self.offset).arg(self.count)
    }
}

/// What `ZRANGE` / `ZRANGESTORE` select: a range of ranks, of scores or of members, in
/// ascending order or reversed (`REV`), optionally paged (`LIMIT`, for scores and members).
///
/// Score and member bounds are always given low end first; for a reversed range they are sent
/// in the high-first order the server expects.
///
/// ```
/// use coredis::types::{LexBound, ScoreBound, ZRange};
/// let top3 = ZRange::rank(0, 2).rev();
/// let page = ZRange::score(ScoreBound::Exclusive(10.0), ScoreBound::PosInf).limit(20, 10);
/// let names = ZRange::lex(LexBound::inclusive("a"), LexBound::exclusive("b"));
/// # let _ = (top3, page, names);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ZRange {
    by: ZRangeBy,
    rev: bool,
    limit: Option<RangeLimit>,
}

#[derive(Debug, Clone, PartialEq)]
enum ZRangeBy {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound, LexBound),
}

impl ZRange {
    /// Members from rank `start` to rank `stop`, both included (0 is the lowest score, -1 the
    /// highest; with [`ZRange::rev`], 0 is the highest).
    pub fn rank(start: i64, stop: i64) -> ZRange {
        ZRange::by(ZRangeBy::Rank(start, stop))
    }

    /// Members whose score is between `min` and `max` (`BYSCORE`).
    pub fn score(min: impl Into<ScoreBound>, max: impl Into<ScoreBound>) -> ZRange {
        ZRange::by(ZRangeBy::Score(min.into(), max.into()))
    }

    /// Members between `min` and `max` in byte order (`BYLEX`; meant for sorted sets whose
    /// members all have the same score). A `WITHSCORES` query refuses it (server error).
    pub fn lex(min: LexBound, max: LexBound) -> ZRange {
        ZRange::by(ZRangeBy::Lex(min, max))
    }

    fn by(by: ZRangeBy) -> ZRange {
        ZRange {
            by,
            rev: false,
            limit: None,
        }
    }

    /// Highest scores (or last members) first (`REV`).
    #[must_use]
    pub fn rev(mut self) -> ZRange {
        self.rev = true;
        self
    }

    /// `LIMIT offset count`: skip `offset` matches, return at most `count` (negative: all the
    /// rest). Only for score and member ranges: the server refuses it on a rank range.
    #[must_use]
    pub fn limit(mut self, offset: i64, count: i64) -> ZRange {
        self.limit = Some(RangeLimit::new(offset, count));
        self
    }

    /// Appends `start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count]`.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = match self.by {
            ZRangeBy::Rank(start, stop) => cmd.arg(start).arg(stop),
            ZRangeBy::Score(min, max) if self.rev => cmd.arg(max).arg(min).arg("BYSCORE"),
            ZRangeBy::Score(min, max) => cmd.arg(min).arg(max).arg("BYSCORE"),
            ZRangeBy::Lex(min, max) if self.rev => cmd.arg(max).arg(min).arg("BYLEX"),
            ZRangeBy::Lex(min, max) => cmd.arg(min).arg(max).arg("BYLEX"),
        };
        let cmd = cmd.flag(self.rev, "REV");
        match self.limit {
            Some(limit) => limit.apply(cmd),
            None => cmd,
        }
    }
}

/// The condition of `ZADD` on existing members: only add new ones (`NX`) or only update
/// existing ones (`XX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZaddCondition {
    /// `NX`: only add new members; never update existing ones.
    Nx,
    /// `XX`: only update existing members; never add new ones.
    Xx,
}

/// The comparison of `ZADD` with the current score: update only to a greater (`GT`) or a
/// lesser (`LT`) score. New members are added either way (unless [`ZaddCondition::Xx`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ZaddComparison {
    /// `GT`: update only when the new score is greater.
    Gt,
    /// `LT`: update only when the new score is less.
    Lt,
}

/// The optional arguments of `ZADD`, built step by step. `NX` cannot be combined with `GT` or
/// `LT` (the server refuses it).
///
/// ```
/// use coredis::types::ZaddOptions;
/// // Keep the best score of each player, count changed members as well as new ones.
/// let o = ZaddOptions::new().gt().ch();
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ZaddOptions {
    condition: Option<ZaddCondition>,
    comparison: Option<ZaddComparison>,
    ch: bool,
}

impl ZaddOptions {
    /// No options: add new members, update existing ones.
    #[must_use]
    pub fn new() -> ZaddOptions {
        ZaddOptions::default()
    }

    /// `NX`: only add new members.
    #[must_use]
    pub fn nx(self) -> ZaddOptions {
        self.with_condition(ZaddCondition::Nx)
    }

    /// `XX`: only update existing members.
    #[must_use]
    pub fn xx(self) -> ZaddOptions {
        self.with_condition(ZaddCondition::Xx)
    }

    /// Sets the condition (replacing an earlier one).
    #[must_use]
    pub fn with_condition(mut self, condition: ZaddCondition) -> ZaddOptions {
        self.condition = Some(condition);
        self
    }

    /// `GT`: only update to a greater score (Redis 6.2+).
    #[must_use]
    pub fn gt(self) -> ZaddOptions {
        self.with_comparison(ZaddComparison::Gt)
    }

    /// `LT`: only update to a lesser score (Redis 6.2+).
    #[must_use]
    pub fn lt(self) -> ZaddOptions {
        self.with_comparison(ZaddComparison::Lt)
    }

    /// Sets the comparison (replacing an earlier one).
    #[must_use]
    pub fn with_comparison(mut self, comparison: ZaddComparison) -> ZaddOptions {
        self.comparison = Some(comparison);
        self
    }

    /// `CH`: the reply counts the members whose score changed as well as the new ones.
    #[must_use]
    pub fn ch(mut self) -> ZaddOptions {
        self.ch = true;
        self
    }

    /// Appends the options, in the order of the spec.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = match self.condition {
            Some(ZaddCondition::Nx) => cmd.arg("NX"),
            Some(ZaddCondition::Xx) => cmd.arg("XX"),
            None => cmd,
        };
        let cmd = match self.comparison {
            Some(ZaddComparison::Gt) => cmd.arg("GT"),
            Some(ZaddComparison::Lt) => cmd.arg("LT"),
            None => cmd,
        };
        cmd.flag(self.ch, "CH")
    }
}

/// How `ZUNION`/`ZINTER` (and their `…STORE` forms) combine the scores of a member found in
/// several sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Aggregate {
    /// `SUM`: add them up (the default).
    Sum,
    /// `MIN`: keep the lowest.
    Min,
    /// `MAX`: keep the highest.
    Max,
}

impl Aggregate {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            Aggregate::Sum => "SUM",
            Aggregate::Min => "MIN",
            Aggregate::Max => "MAX",
        }
    }
}

/// The optional arguments of `ZUNION`, `ZINTER`, `ZUNIONSTORE` and `ZINTERSTORE`: a weight
/// per input set (each score is multiplied by its set's weight) and how scores combine.
///
/// ```
/// use coredis::types::{Aggregate, ZCombineOptions};
/// let o = ZCombineOptions::new().weights([1.0, 0.5]).aggregate(Aggregate::Max);
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZCombineOptions {
    weights: Vec<f64>,
    aggregate: Option<Aggregate>,
}

impl ZCombineOptions {
    /// No options: weights of 1, scores summed.
    #[must_use]
    pub fn new() -> ZCombineOptions {
        ZCombineOptions::default()
    }

    /// `WEIGHTS`: one weight per input key, in order (the server refuses a different count).
    #[must_use]
    pub fn weights(mut self, weights: impl IntoIterator<Item = f64>) -> ZCombineOptions {
        self.weights = weights.into_iter().collect();
        self
    }

    /// `AGGREGATE`: how the scores of a member found in several sets combine.
    #[must_use]
    pub fn aggregate(mut self, aggregate: Aggregate) -> ZCombineOptions {
        self.aggregate = Some(aggregate);
        self
    }

    /// Appends `[WEIGHTS w …] [AGGREGATE …]`.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = if self.weights.is_empty() {
            cmd
        } else {
            cmd.arg("WEIGHTS").args(self.weights)
        };
        cmd.opt("AGGREGATE", self.aggregate.map(Aggregate::token))
    }
}

/// Which end of a sorted set `ZMPOP` pops from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScoreEnd {
    /// `MIN`: the lowest scores.
    Min,
    /// `MAX`: the highest scores.
    Max,
}

impl ScoreEnd {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            ScoreEnd::Min => "MIN",
            ScoreEnd::Max => "MAX",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn words<T>(c: &Cmd<T>) -> Vec<String> {
        c.request()
            .args()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect()
    }

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn bounds_are_written_as_the_server_reads_them() {
        let c: Cmd<Value> = Cmd::new("ZCOUNT")
            .key("z")
            .arg(ScoreBound::Exclusive(1.5))
            .arg(ScoreBound::Inclusive(2.0))
            .arg(ScoreBound::NegInf)
            .arg(ScoreBound::PosInf)
            .arg(ScoreBound::from(f64::NEG_INFINITY))
            .arg(ScoreBound::Exclusive(f64::INFINITY))
            .arg(LexBound::inclusive("a b"))
            .arg(LexBound::exclusive(b"\x00"))
            .arg(LexBound::Min)
            .arg(LexBound::Max);
        assert_eq!(
            words(&c),
            [
                "ZCOUNT", "z", "(1.5", "2", "-inf", "+inf", "-inf", "(+inf", "[a b", "(\0", "-",
                "+"
            ]
        );
    }

    #[test]
    fn zrange_orders_bounds_for_rev() {
        let c = ZRange::score(1.0, ScoreBound::PosInf)
            .rev()
            .limit(0, 5)
            .apply(Cmd::<Value>::new("ZRANGE").key("z"));
        assert_eq!(
            words(&c),
            ["ZRANGE", "z", "+inf", "1", "BYSCORE", "REV", "LIMIT", "0", "5"]
        );
        let c = ZRange::lex(LexBound::Min, LexBound::inclusive("c"))
            .apply(Cmd::<Value>::new("ZRANGE").key("z"));
        assert_eq!(words(&c), ["ZRANGE", "z", "-", "[c", "BYLEX"]);
        let c = ZRange::rank(0, -1)
            .rev()
            .apply(Cmd::<Value>::new("ZRANGE").key("z"));
        assert_eq!(words(&c), ["ZRANGE", "z", "0", "-1", "REV"]);
    }

    #[test]
    fn options_in_spec_order() {
        let c = ZaddOptions::new()
            .ch()
            .lt()
            .xx()
            .apply(Cmd::<Value>::new("ZADD").key("z"));
        assert_eq!(words(&c), ["ZADD", "z", "XX", "LT", "CH"]);
        let c = ZCombineOptions::new()
            .aggregate(Aggregate::Min)
            .weights([2.0, 0.5])
            .apply(Cmd::<Value>::new("ZUNION"));
        assert_eq!(
            words(&c),
            ["ZUNION", "WEIGHTS", "2", "0.5", "AGGREGATE", "MIN"]
        );
    }

    #[test]
    fn scored_members_from_every_shape() {
        let expected = vec![
            ScoredMember::new("a".to_string(), 1.5),
            ScoredMember::new("b".to_string(), f64::INFINITY),
        ];
        let shapes = [
            Value::Array(vec![bulk("a"), bulk("1.5"), bulk("b"), bulk("inf")]),
            Value::Array(vec![
                Value::Array(vec![bulk("a"), Value::Double(1.5)]),
                Value::Array(vec![bulk("b"), Value::Double(f64::INFINITY)]),
            ]),
            Value::Array(vec![
                Value::Array(vec![bulk("a"), bulk("1.5")]),
                Value::Array(vec![bulk("b"), bulk("inf")]),
            ]),
        ];
        for v in shapes {
            let got: Vec<ScoredMember<String>> = FromValue::from_value(v.clone()).unwrap();
            assert_eq!(got, expected, "{v:?}");
        }
        let empty: Vec<ScoredMember<String>> = FromValue::from_value(Value::Array(vec![])).unwrap();
        assert!(empty.is_empty());
        let one: ScoredMember<String> =
            FromValue::from_value(Value::Array(vec![bulk("m"), Value::Double(-2.0)])).unwrap();
        assert_eq!(one.into_pair(), ("m".to_string(), -2.0));
        for bad in [
            Value::Array(vec![bulk("a")]),
            Value::Array(vec![bulk("a"), bulk("not a number")]),
            Value::Nil,
        ] {
            assert!(Vec::<ScoredMember<String>>::from_value(bad.clone()).is_err());
            assert!(ScoredMember::<String>::from_value(bad).is_err());
        }
        let r: RankWithScore =
            FromValue::from_value(Value::Array(vec![Value::Int(3), bulk("-inf")])).unwrap();
        assert_eq!((r.rank, r.score), (3, f64::NEG_INFINITY));
    }
}
