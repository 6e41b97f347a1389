//! Blocking sorted-set commands: BZPOPMIN, BZPOPMAX, BZMPOP — the waiting forms of ZPOPMIN,
//! ZPOPMAX and ZMPOP.

use std::time::Duration;

use super::timeout_secs;
use crate::args::ToArgs;
use crate::cmd::Cmd;
use crate::commands::BlockingExecutor;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::{ScoreEnd, ScoredMember};
use crate::value::Value;

/// The blocking sorted-set commands. They run on a dedicated connection: other callers are
/// not held up while one waits. Scores are `f64` under RESP2 and RESP3 alike.
pub trait BlockingSortedSetCommands: BlockingExecutor {
    /// Pops the member with the lowest score from the first non-empty sorted set of `keys`,
    /// waiting up to `timeout` for one (`Duration::ZERO`: for ever). Returns the set's name and
    /// the member with its score, or `None` when the timeout passed.
    ///
    /// Complexity: O(log(N)), N the number of members in the sorted set.
    ///
    /// Since: Redis 5.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// use coredis::types::ScoredMember;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let next: Option<(String, ScoredMember<String>)> =
    ///     r.bzpopmin(["tasks"], Duration::from_secs(5))?;
    /// if let Some((set, task)) = next {
    ///     println!("{set}: {} due at {}", task.member, task.score);
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/bzpopmin>
    fn bzpopmin<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        timeout: Duration,
    ) -> Self::Output<Option<(K, ScoredMember<T>)>> {
        self.execute(
            Cmd::with_reply("BZPOPMIN", key_and_scored::<K, T>)
                .keys(keys)
                .required("keys")
                .arg(timeout_secs(timeout))
                .blocking_for(timeout),
        )
    }

    /// Like [`BlockingSortedSetCommands::bzpopmin`], popping the member with the highest score.
    ///
    /// Complexity: O(log(N)), N the number of members in the sorted set.
    ///
    /// Since: Redis 5.0.
    ///
    /// # See also
    /// <https://redis.io/commands/bzpopmax>
    fn bzpopmax<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        timeout: Duration,
    ) -> Self::Output<Option<(K, ScoredMember<T>)>> {
        self.execute(
            Cmd::with_reply("BZPOPMAX", key_and_scored::<K, T>)
                .keys(keys)
                .required("keys")
                .arg(timeout_secs(timeout))
                .blocking_for(timeout),
        )
    }

    /// Pops the member with the lowest or highest score (`end`) from the first non-empty
    /// sorted set among `keys`, waiting up to `timeout` for one (`Duration::ZERO`: for ever).
    /// Returns that set's name and the member with its score (in a `Vec` of one), or `None`
    /// when the timeout passed — the reply of
    /// [`crate::commands::SortedSetCommands::zmpop`]. The key count the server wants is sent
    /// for you.
    ///
    /// Complexity: O(K) + O(M*log(N)), K the number of keys, N the size of the sorted set and
    /// M the number of members popped.
    ///
    /// Since: Redis 7.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// use coredis::types::{ScoreEnd, ScoredMember};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let next: Option<(String, Vec<ScoredMember<String>>)> =
    ///     r.bzmpop(["urgent", "later"], ScoreEnd::Min, Duration::from_secs(5))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/bzmpop>
    // The same shape as `BLMPOP`'s `(key, elements)`, with scores.
    #[allow(clippy::type_complexity)]
    fn bzmpop<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        end: ScoreEnd,
        timeout: Duration,
    ) -> Self::Output<Option<(K, Vec<ScoredMember<T>>)>> {
        self.execute(
            Cmd::new("BZMPOP")
                .arg(timeout_secs(timeout))
                .keys_counted(keys)
                .required("keys")
                .arg(end.token())
                .blocking_for(timeout),
        )
    }

    /// [`BlockingSortedSetCommands::bzmpop`] with `COUNT`: pops up to `count` members from
    /// the first non-empty sorted set (fewer when it holds fewer).
    ///
    /// Complexity: O(K) + O(M*log(N)), K the number of keys, N the size of the sorted set and
    /// M the number of members popped.
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/bzmpop>
    // The same shape as `BLMPOP`'s `(key, elements)`, with scores.
    #[allow(clippy::type_complexity)]
    fn bzmpop_with<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        end: ScoreEnd,
        timeout: Duration,
        count: u64,
    ) -> Self::Output<Option<(K, Vec<ScoredMember<T>>)>> {
        self.execute(
            Cmd::new("BZMPOP")
                .arg(timeout_secs(timeout))
                .keys_counted(keys)
                .required("keys")
                .arg(end.token())
                .arg("COUNT")
                .arg(count)
                .blocking_for(timeout),
        )
    }
}

impl<E: BlockingExecutor + ?Sized> BlockingSortedSetCommands for E {}

/// `BZPOPMIN`/`BZPOPMAX`: a flat `[key, member, score]` (the score a bulk string under RESP2,
/// a double under RESP3), or nil when the timeout passed.
fn key_and_scored<K: FromValue, T: FromValue>(v: Value) -> Result<Option<(K, ScoredMember<T>)>> {
    Ok(Option::<(K, T, f64)>::from_value(v)?
        .map(|(key, member, score)| (key, ScoredMember::new(member, score))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn bzpop_replies_read_alike_under_both_protocols() {
        let resp2 = Value::Array(vec![bulk("z"), bulk("m"), bulk("1.5")]);
        let resp3 = Value::Array(vec![bulk("z"), bulk("m"), Value::Double(1.5)]);
        let a: Option<(String, ScoredMember<String>)> = key_and_scored(resp2).unwrap();
        let b: Option<(String, ScoredMember<String>)> = key_and_scored(resp3).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a,
            Some(("z".to_string(), ScoredMember::new("m".to_string(), 1.5)))
        );
        let none: Option<(String, ScoredMember<String>)> = key_and_scored(Value::Nil).unwrap();
        assert_eq!(none, None);
        let short = key_and_scored::<String, String>(Value::Array(vec![bulk("z")]));
        assert!(short.is_err());
    }
}
