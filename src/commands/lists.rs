//! List commands (`@list`) that answer at once: LINDEX, LINSERT, LLEN, LMOVE, LMPOP, LPOP,
//! LPOS, LPUSH, LPUSHX, LRANGE, LREM, LSET, LTRIM, RPOP, RPOPLPUSH, RPUSH, RPUSHX. The blocking
//! ones (BLPOP, …) are in [`super::BlockingCommands`].

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::{InsertPosition, ListEnd, LposOptions};
use crate::value::Value;

/// Commands of the `list` group.
pub trait ListCommands: Executor {
    /// The element at `index` of the list at `key` (0 is the head, -1 the tail). Ask for an
    /// `Option<_>`: nil when the index is out of range or the key does not exist.
    ///
    /// Complexity: O(N), N the number of elements walked to reach `index` (O(1) for the
    /// first and the last).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lindex>
    fn lindex<T: FromValue>(&self, key: impl ToArg, index: i64) -> Self::Output<T> {
        self.execute(Cmd::new("LINDEX").key(key).arg(index).readonly())
    }

    /// Inserts `element` before or after the first occurrence of `pivot` in the list at `key`.
    /// Returns the new length, `-1` when `pivot` is not in the list, `0` when the key does not
    /// exist (nothing is inserted in either case).
    ///
    /// Complexity: O(N), N the number of elements walked before finding `pivot`.
    ///
    /// Since: Redis 2.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::InsertPosition;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.rpush("letters", ["a", "c"])?;
    /// assert_eq!(r.linsert("letters", InsertPosition::Before, "c", "b")?, 3);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/linsert>
    fn linsert(
        &self,
        key: impl ToArg,
        position: InsertPosition,
        pivot: impl ToArg,
        element: impl ToArg,
    ) -> Self::Output<i64> {
        self.execute(
            Cmd::new("LINSERT")
                .key(key)
                .arg(position.token())
                .arg(pivot)
                .arg(element),
        )
    }

    /// The length of the list at `key` (0 when the key does not exist).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/llen>
    fn llen(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("LLEN").key(key).readonly())
    }

    /// Atomically takes the first or last element of the list at `source` and pushes it onto
    /// one end of the list at `destination` (which may be the same list: a rotation). Returns
    /// the element moved; ask for an `Option<_>`, nil when `source` is empty.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 6.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ListEnd;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Take the oldest job and keep it in a processing list until it is done.
    /// let job: Option<String> = r.lmove("jobs", "processing", ListEnd::Right, ListEnd::Left)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/lmove>
    fn lmove<T: FromValue>(
        &self,
        source: impl ToArg,
        destination: impl ToArg,
        from: ListEnd,
        to: ListEnd,
    ) -> Self::Output<T> {
        self.execute(
            Cmd::new("LMOVE")
                .key(source)
                .key(destination)
                .arg(from.token())
                .arg(to.token()),
        )
    }

    /// Pops one element from `end` of the first non-empty list among `keys`. Returns the
    /// name of that list and the element (in a `Vec` of one), or `None` when every list is
    /// empty. The key count the server wants is sent for you.
    ///
    /// Complexity: O(N+M), N the number of keys and M the number of elements popped.
    ///
    /// Since: Redis 7.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::ListEnd;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let popped: Option<(String, Vec<String>)> = r.lmpop(["urgent", "normal"], ListEnd::Left)?;
    /// if let Some((queue, items)) = popped {
    ///     println!("{queue}: {items:?}");
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/lmpop>
    fn lmpop<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        end: ListEnd,
    ) -> Self::Output<Option<(K, Vec<T>)>> {
        self.execute(
            Cmd::new("LMPOP")
                .keys_counted(keys)
                .required("keys")
                .arg(end.token()),
        )
    }

    /// [`ListCommands::lmpop`] with `COUNT`: pops up to `count` elements from the first
    /// non-empty list (fewer when it holds fewer).
    ///
    /// Complexity: O(N+M), N the number of keys and M the number of elements popped.
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lmpop>
    fn lmpop_with<K: FromValue, T: FromValue>(
        &self,
        keys: impl ToArgs,
        end: ListEnd,
        count: u64,
    ) -> Self::Output<Option<(K, Vec<T>)>> {
        self.execute(
            Cmd::new("LMPOP")
                .keys_counted(keys)
                .required("keys")
                .arg(end.token())
                .arg("COUNT")
                .arg(count),
        )
    }

    /// Removes and returns the first element of the list at `key`. Ask for an `Option<_>`:
    /// nil when the list is empty.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lpop>
    fn lpop<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("LPOP").key(key))
    }

    /// Removes and returns up to `count` elements from the head of the list at `key`, in
    /// order; empty when the key does not exist (the server's nil is read as empty).
    ///
    /// Complexity: O(N), N the number of elements returned.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/lpop>
    fn lpop_count<T: FromValue>(&self, key: impl ToArg, count: u64) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::with_reply("LPOP", nil_as_empty::<T>)
                .key(key)
                .arg(count),
        )
    }

    /// The index of the first occurrence of `element` in the list at `key`, or `None`.
    ///
    /// Complexity: O(N), N the number of elements in the list (less when the match is near
    /// the head).
    ///
    /// Since: Redis 6.0.6.
    ///
    /// # See also
    /// <https://redis.io/commands/lpos>
    fn lpos(&self, key: impl ToArg, element: impl ToArg) -> Self::Output<Option<i64>> {
        self.execute(Cmd::new("LPOS").key(key).arg(element).readonly())
    }

    /// [`ListCommands::lpos`] with `RANK` (which match) and `MAXLEN` (how far to look).
    ///
    /// Complexity: O(N), N the number of elements in the list (at most `MAXLEN`).
    ///
    /// Since: Redis 6.0.6.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::LposOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Where is the last "x"?
    /// let last = r.lpos_with("list", "x", LposOptions::new().rank(-1))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/lpos>
    fn lpos_with(
        &self,
        key: impl ToArg,
        element: impl ToArg,
        options: LposOptions,
    ) -> Self::Output<Option<i64>> {
        let cmd = Cmd::new("LPOS").key(key).arg(element).readonly();
        self.execute(options.apply(cmd, None))
    }

    /// `LPOS … COUNT count`: the indexes of up to `count` occurrences of `element` (`0`: all
    /// of them), in the order found; empty when there is none.
    ///
    /// Complexity: O(N), N the number of elements in the list (at most `MAXLEN`).
    ///
    /// Since: Redis 6.0.6.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::LposOptions;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let every: Vec<i64> = r.lpos_count("list", "x", 0, LposOptions::new())?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/lpos>
    fn lpos_count(
        &self,
        key: impl ToArg,
        element: impl ToArg,
        count: u64,
        options: LposOptions,
    ) -> Self::Output<Vec<i64>> {
        let cmd = Cmd::new("LPOS").key(key).arg(element).readonly();
        self.execute(options.apply(cmd, Some(count)))
    }

    /// Pushes `elements` onto the head of the list at `key`, one after the other (so the last
    /// one ends up first), creating the list if needed. Returns the new length.
    ///
    /// Complexity: O(1) per element.
    ///
    /// Since: Redis 1.0 (several elements: 2.4).
    ///
    /// # See also
    /// <https://redis.io/commands/lpush>
    fn lpush(&self, key: impl ToArg, elements: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("LPUSH")
                .key(key)
                .args(elements)
                .required("elements"),
        )
    }

    /// [`ListCommands::lpush`], only when the list already exists. Returns the new length (0
    /// when the key does not exist: nothing was pushed).
    ///
    /// Complexity: O(1) per element.
    ///
    /// Since: Redis 2.2 (several elements: 4.0).
    ///
    /// # See also
    /// <https://redis.io/commands/lpushx>
    fn lpushx(&self, key: impl ToArg, elements: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("LPUSHX")
                .key(key)
                .args(elements)
                .required("elements"),
        )
    }

    /// The elements of the list at `key` from index `start` to `stop`, both included (0 is the
    /// head, -1 the tail: `0, -1` is the whole list). Empty when the range is outside the list
    /// or the key does not exist.
    ///
    /// Complexity: O(S+N), S the distance of `start` from the nearest end and N the number of
    /// elements returned.
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lrange>
    fn lrange<T: FromValue>(&self, key: impl ToArg, start: i64, stop: i64) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("LRANGE").key(key).arg(start).arg(stop).readonly())
    }

    /// Removes occurrences of `element` from the list at `key`: the first `count` from the
    /// head when `count > 0`, the last `-count` from the tail when `count < 0`, all of them
    /// when `count == 0`. Returns how many were removed.
    ///
    /// Complexity: O(N+M), N the length of the list and M the number of elements removed.
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lrem>
    fn lrem(&self, key: impl ToArg, count: i64, element: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("LREM").key(key).arg(count).arg(element))
    }

    /// Replaces the element at `index` of the list at `key`. An index out of range, or a key
    /// that does not exist, is a server error.
    ///
    /// Complexity: O(N), N the length of the list (O(1) for the first and the last element).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/lset>
    fn lset(&self, key: impl ToArg, index: i64, element: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("LSET").key(key).arg(index).arg(element))
    }

    /// Keeps only the elements from index `start` to `stop` (both included) of the list at
    /// `key`, removing the others; an empty range deletes the key.
    ///
    /// Complexity: O(N), N the number of elements removed.
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/ltrim>
    fn ltrim(&self, key: impl ToArg, start: i64, stop: i64) -> Self::Output<()> {
        self.execute(Cmd::new("LTRIM").key(key).arg(start).arg(stop))
    }

    /// Removes and returns the last element of the list at `key`. Ask for an `Option<_>`: nil
    /// when the list is empty.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/rpop>
    fn rpop<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("RPOP").key(key))
    }

    /// Removes and returns up to `count` elements from the tail of the list at `key`, the last
    /// one first; empty when the key does not exist (the server's nil is read as empty).
    ///
    /// Complexity: O(N), N the number of elements returned.
    ///
    /// Since: Redis 6.2.
    ///
    /// # See also
    /// <https://redis.io/commands/rpop>
    fn rpop_count<T: FromValue>(&self, key: impl ToArg, count: u64) -> Self::Output<Vec<T>> {
        self.execute(
            Cmd::with_reply("RPOP", nil_as_empty::<T>)
                .key(key)
                .arg(count),
        )
    }

    /// Removes the last element of the list at `source` and pushes it onto the head of the
    /// list at `destination`; returns it. Ask for an `Option<_>`: nil when `source` is empty.
    /// [`ListCommands::lmove`] with `Right, Left` does the same.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.2.
    ///
    /// # See also
    /// <https://redis.io/commands/rpoplpush>
    fn rpoplpush<T: FromValue>(
        &self,
        source: impl ToArg,
        destination: impl ToArg,
    ) -> Self::Output<T> {
        self.execute(Cmd::new("RPOPLPUSH").key(source).key(destination))
    }

    /// Pushes `elements` onto the tail of the list at `key`, in order, creating the list if
    /// needed. Returns the new length.
    ///
    /// Complexity: O(1) per element.
    ///
    /// Since: Redis 1.0 (several elements: 2.4).
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.rpush("queue", "one")?;
    /// r.rpush("queue", ["two", "three"])?;
    /// let all: Vec<String> = r.lrange("queue", 0, -1)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/rpush>
    fn rpush(&self, key: impl ToArg, elements: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("RPUSH")
                .key(key)
                .args(elements)
                .required("elements"),
        )
    }

    /// [`ListCommands::rpush`], only when the list already exists. Returns the new length (0
    /// when the key does not exist: nothing was pushed).
    ///
    /// Complexity: O(1) per element.
    ///
    /// Since: Redis 2.2 (several elements: 4.0).
    ///
    /// # See also
    /// <https://redis.io/commands/rpushx>
    fn rpushx(&self, key: impl ToArg, elements: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("RPUSHX")
                .key(key)
                .args(elements)
                .required("elements"),
        )
    }
}

impl<E: Executor + ?Sized> ListCommands for E {}

/// A list reply where a missing key is nil (`LPOP key count`): nil becomes an empty `Vec`.
fn nil_as_empty<T: FromValue>(v: Value) -> Result<Vec<T>> {
    match v {
        Value::Nil => Ok(Vec::new()),
        v => Vec::<T>::from_value(v),
    }
}
