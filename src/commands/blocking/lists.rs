//! Blocking list commands: BLPOP, BRPOP, BLMOVE, BLMPOP, BRPOPLPUSH — the waiting forms of
//! LPOP, RPOP, LMOVE, LMPOP and RPOPLPUSH.

use std::time::Duration;

use super::timeout_secs;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::commands::BlockingExecutor;
use crate::from_value::FromValue;
use crate::types::ListEnd;

/// The blocking list commands. They run on a dedicated connection: other callers are not held
/// up while one waits. The blocking sorted-set and stream commands are
/// [`crate::commands::BlockingSortedSetCommands`] and
/// [`crate::commands::BlockingStreamCommands`].
pub trait BlockingCommands: BlockingExecutor {
    /// Pops the first element of the first non-empty list of `keys`, waiting up to `timeout`
    /// for one (`Duration::ZERO`: for ever). Returns `(key, element)`, or `None` when the
    /// timeout passed.
    ///
    /// Complexity: O(N), N the number of keys.
    ///
    /// Since: Redis 2.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let job: Option<(String, String)> = r.blpop(["jobs"], Duration::from_secs(5))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/blpop>
    fn blpop<K: FromValue, V: FromValue>(
        &self,
        keys: impl ToArgs,
        timeout: Duration,
    ) -> Self::Output<Option<(K, V)>> {
        self.execute(
            Cmd::new("BLPOP")
                .keys(keys)
                .required("keys")
                .arg(timeout_secs(timeout))
                .blocking_for(timeout),
        )
    }

    /// Like [`BlockingCommands::blpop`], from the tail of the lists.
    ///
    /// Complexity: O(N), N the number of keys.
    ///
    /// Since: Redis 2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/brpop>
    fn brpop<K: FromValue, V: FromValue>(
        &self,
        keys: impl ToArgs,
        timeout: Duration,
    ) -> Self::Output<Option<(K, V)>> {
        self.execute(
            Cmd::new("BRPOP")
                .keys(keys)
                .required("keys")
                .arg(timeout_secs(timeout))
                .blocking_for(timeout),
        )
    }

    /// Takes an element from one end of the list at `source` and pushes it onto one end of the
    /// list at `destination`, atomically, waiting up to `timeout` for `source` to have one
    /// (`Duration::ZERO`: for ever). Returns the element moved, or `None` when the timeout
    /// passed. The waiting form of [`crate::commands::ListCommands::lmove`].
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 6.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// use coredis::types::ListEnd;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // A reliable queue: the job stays in "processing" until it is done.
    /// let job: Option<String> = r.blmove(
    ///     "jobs",
    ///     "processing",
    ///     ListEnd::Right,
    ///     ListEnd::Left,
    ///     Duration::from_secs(5),
    /// )?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/blmove>
    fn blmove<T: FromValue>(
        &self,
        source: impl ToArg,
        destination: impl ToArg,
        from: ListEnd,
        to: ListEnd,
        timeout: Duration,
    ) -> Self::Output<Option<T>> {
        self.execute(
            Cmd::new("BLMOVE")
                .key(source)
                .key(destination)
                .arg(from.token())
                .arg(to.token())
                .arg(timeout_secs(timeout))
                .blocking_for(timeout),
        )
    }

    /// Pops one element from `end` of the first non-empty list among `keys`, waiting up to
    /// `timeout` for one (`Duration::ZERO`: for ever). Returns the name of that list and the
    /// element (in a `Vec` of one), or `None` when the timeout passed — the reply of
    /// [`crate::commands::ListCommands::lmpop`]. The key count the server wants is sent for
    /// you.
    ///
    /// Complexity: O(N+M), N the number of keys and M the number of elements popped.
    ///
    /// Since: Redis 7.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # use std::time::Duration;
    /// use coredis::types::ListEnd;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let popped: Option<(String, Vec<String>)> =
    ///     r.blmpop(["urgent", "normal"], ListEnd::Left, Duration::from_secs(5))?;
    /// if let Some((queue, items)) = popped {
    ///     println!("{queue}: {items:?}");
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/blmpop>
    fn blmpop<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        end: ListEnd,
        timeout: Duration,
    ) -> Self::Output<Option<(K, Vec<T>)>> {
        self.execute(
            Cmd::new("BLMPOP")
                .arg(timeout_secs(timeout))
                .keys_counted(keys)
                .required("keys")
                .arg(end.token())
                .blocking_for(timeout),
        )
    }

    /// [`BlockingCommands::blmpop`] with `COUNT`: pops up to `count` elements from the first
    /// non-empty list (fewer when it holds fewer).
    ///
    /// Complexity: O(N+M), N the number of keys and M the number of elements popped.
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/blmpop>
    fn blmpop_with<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        end: ListEnd,
        timeout: Duration,
        count: u64,
    ) -> Self::Output<Option<(K, Vec<T>)>> {
        self.execute(
            Cmd::new("BLMPOP")
                .arg(timeout_secs(timeout))
                .keys_counted(keys)
                .required("keys")
                .arg(end.token())
                .arg("COUNT")
                .arg(count)
                .blocking_for(timeout),
        )
    }

    /// Takes the last element of the list at `source` and pushes it onto the head of the list
    /// at `destination`, waiting up to `timeout` for one (`Duration::ZERO`: for ever). Returns
    /// the element, or `None` when the timeout passed. Deprecated by the server since Redis
    /// 6.2 in favour of [`BlockingCommands::blmove`] with `Right, Left`, which does the same.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 2.2.
    ///
    /// # See also
    /// <https://redis.io/commands/brpoplpush>
    fn brpoplpush<T: FromValue>(
        &self,
        source: impl ToArg,
        destination: impl ToArg,
        timeout: Duration,
    ) -> Self::Output<Option<T>> {
        self.execute(
            Cmd::new("BRPOPLPUSH")
                .key(source)
                .key(destination)
                .arg(timeout_secs(timeout))
                .blocking_for(timeout),
        )
    }
}

impl<E: BlockingExecutor + ?Sized> BlockingCommands for E {}
