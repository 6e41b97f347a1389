//! Set commands (`@set`): SADD, SCARD, SDIFF, SDIFFSTORE, SINTER, SINTERCARD, SINTERSTORE,
//! SISMEMBER, SMEMBERS, SMISMEMBER, SMOVE, SPOP, SRANDMEMBER, SREM, SUNION, SUNIONSTORE.
//!
//! Commands returning a whole set (`SMEMBERS`, `SDIFF`, `SINTER`, `SUNION`, `SPOP` with a
//! count) are generic over the collection: a RESP3 server sends a set and a RESP2 server an
//! array, and `HashSet<_>`, `BTreeSet<_>` and `Vec<_>` each accept both.

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::from_value::FromValue;

/// Commands of the `set` group.
pub trait SetCommands: Executor {
    /// Adds `members` to the set at `key`, creating it if needed. Returns how many were not
    /// already members.
    ///
    /// Complexity: O(1) per member.
    ///
    /// Since: Redis 1.0 (several members: 2.4).
    ///
    /// # See also
    /// <https://redis.io/commands/sadd>
    fn sadd(&self, key: impl ToArg, members: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("SADD").key(key).args(members).required("members"))
    }

    /// The number of members of the set at `key` (0 when the key does not exist).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/scard>
    fn scard(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("SCARD").key(key).readonly())
    }

    /// The members of the first set of `keys` that are in none of the others. Ask for a
    /// collection: `HashSet<_>`, `BTreeSet<_>` or `Vec<_>`.
    ///
    /// Complexity: O(N), N the total number of members of all the sets.
    ///
    /// Since: Redis 1.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use std::collections::HashSet;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let only_in_a: HashSet<String> = r.sdiff(["a", "b", "c"])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/sdiff>
    fn sdiff<C: FromValue>(&self, keys: impl ToArgs) -> Self::Output<C> {
        self.execute(Cmd::new("SDIFF").keys(keys).required("keys").readonly())
    }

    /// Stores the members of the first set of `keys` that are in none of the others at
    /// `destination` (replacing it; an empty result deletes it). Returns the size of the
    /// result.
    ///
    /// Complexity: O(N), N the total number of members of all the sets.
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sdiffstore>
    fn sdiffstore(&self, destination: impl ToArg, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("SDIFFSTORE")
                .key(destination)
                .keys(keys)
                .required("keys"),
        )
    }

    /// The members common to every set of `keys` (a missing key is an empty set, so the
    /// result is empty). Ask for a collection: `HashSet<_>`, `BTreeSet<_>` or `Vec<_>`.
    ///
    /// Complexity: O(N*M) worst case, N the size of the smallest set and M the number of sets.
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sinter>
    fn sinter<C: FromValue>(&self, keys: impl ToArgs) -> Self::Output<C> {
        self.execute(Cmd::new("SINTER").keys(keys).required("keys").readonly())
    }

    /// The number of members common to every set of `keys`, without sending them. The key
    /// count the server wants is sent for you.
    ///
    /// Complexity: O(N*M) worst case, N the size of the smallest set and M the number of sets.
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sintercard>
    fn sintercard(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("SINTERCARD")
                .keys_counted(keys)
                .required("keys")
                .readonly(),
        )
    }

    /// [`SetCommands::sintercard`] with `LIMIT`: stops counting at `limit` (0: no limit), so a
    /// large intersection is not walked in full when only "at least `limit`" matters.
    ///
    /// Complexity: O(N*M) worst case, N the size of the smallest set and M the number of sets.
    ///
    /// Since: Redis 7.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sintercard>
    fn sintercard_with(&self, keys: impl ToArgs, limit: u64) -> Self::Output<i64> {
        self.execute(
            Cmd::new("SINTERCARD")
                .keys_counted(keys)
                .required("keys")
                .arg("LIMIT")
                .arg(limit)
                .readonly(),
        )
    }

    /// Stores the members common to every set of `keys` at `destination` (replacing it; an
    /// empty result deletes it). Returns the size of the result.
    ///
    /// Complexity: O(N*M) worst case, N the size of the smallest set and M the number of sets.
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sinterstore>
    fn sinterstore(&self, destination: impl ToArg, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("SINTERSTORE")
                .key(destination)
                .keys(keys)
                .required("keys"),
        )
    }

    /// Whether `member` is a member of the set at `key`.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sismember>
    fn sismember(&self, key: impl ToArg, member: impl ToArg) -> Self::Output<bool> {
        self.execute(Cmd::new("SISMEMBER").key(key).arg(member).readonly())
    }

    /// Every member of the set at `key` (empty when the key does not exist), in no particular
    /// order. Ask for a collection: `HashSet<_>`, `BTreeSet<_>` or `Vec<_>` (RESP3 servers
    /// send a set, RESP2 servers an array: each type reads both).
    ///
    /// Complexity: O(N), N the size of the set.
    ///
    /// Since: Redis 1.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use std::collections::HashSet;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let tags: HashSet<String> = r.smembers("tags")?;
    /// let listed: Vec<String> = r.smembers("tags")?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/smembers>
    fn smembers<C: FromValue>(&self, key: impl ToArg) -> Self::Output<C> {
        self.execute(Cmd::new("SMEMBERS").key(key).readonly())
    }

    /// For each of `members`, in order, whether it is a member of the set at `key`.
    ///
    /// Complexity: O(N), N the number of members asked about.
    ///
    /// Since: Redis 6.2.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let present: Vec<bool> = r.smismember("tags", ["rust", "go"])?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/smismember>
    fn smismember(&self, key: impl ToArg, members: impl ToArgs) -> Self::Output<Vec<bool>> {
        self.execute(
            Cmd::new("SMISMEMBER")
                .key(key)
                .args(members)
                .required("members")
                .readonly(),
        )
    }

    /// Moves `member` from the set at `source` to the set at `destination`, atomically.
    /// Returns false when it was not a member of `source` (nothing is done).
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/smove>
    fn smove(
        &self,
        source: impl ToArg,
        destination: impl ToArg,
        member: impl ToArg,
    ) -> Self::Output<bool> {
        self.execute(Cmd::new("SMOVE").key(source).key(destination).arg(member))
    }

    /// Removes and returns a random member of the set at `key`. Ask for an `Option<_>`: nil
    /// when the set is empty.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/spop>
    fn spop<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("SPOP").key(key))
    }

    /// Removes and returns up to `count` distinct random members of the set at `key` (empty
    /// when the key does not exist). Ask for a collection: `HashSet<_>`, `BTreeSet<_>` or
    /// `Vec<_>`.
    ///
    /// Complexity: O(N), N the value of `count`.
    ///
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/spop>
    fn spop_count<C: FromValue>(&self, key: impl ToArg, count: u64) -> Self::Output<C> {
        self.execute(Cmd::new("SPOP").key(key).arg(count))
    }

    /// A random member of the set at `key`, left in place. Ask for an `Option<_>`: nil when
    /// the set is empty.
    ///
    /// Complexity: O(1).
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/srandmember>
    fn srandmember<T: FromValue>(&self, key: impl ToArg) -> Self::Output<T> {
        self.execute(Cmd::new("SRANDMEMBER").key(key).readonly())
    }

    /// Random members of the set at `key`, left in place: with `count > 0`, up to `count`
    /// distinct members; with `count < 0`, exactly `-count` members, which may repeat. Empty
    /// when the key does not exist.
    ///
    /// Complexity: O(N), N the absolute value of `count`.
    ///
    /// Since: Redis 2.6.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let distinct: Vec<String> = r.srandmember_count("deck", 5)?;
    /// let with_repeats: Vec<String> = r.srandmember_count("deck", -5)?;
    /// assert_eq!(with_repeats.len(), 5); // when the set is not empty
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/srandmember>
    fn srandmember_count<T: FromValue>(&self, key: impl ToArg, count: i64) -> Self::Output<Vec<T>> {
        self.execute(Cmd::new("SRANDMEMBER").key(key).arg(count).readonly())
    }

    /// Removes `members` from the set at `key`; returns how many were members.
    ///
    /// Complexity: O(N), N the number of members given.
    ///
    /// Since: Redis 1.0 (several members: 2.4).
    ///
    /// # See also
    /// <https://redis.io/commands/srem>
    fn srem(&self, key: impl ToArg, members: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("SREM").key(key).args(members).required("members"))
    }

    /// The members of any of the sets of `keys`. Ask for a collection: `HashSet<_>`,
    /// `BTreeSet<_>` or `Vec<_>`.
    ///
    /// Complexity: O(N), N the total number of members of all the sets.
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sunion>
    fn sunion<C: FromValue>(&self, keys: impl ToArgs) -> Self::Output<C> {
        self.execute(Cmd::new("SUNION").keys(keys).required("keys").readonly())
    }

    /// Stores the members of any of the sets of `keys` at `destination` (replacing it; an
    /// empty result deletes it). Returns the size of the result.
    ///
    /// Complexity: O(N), N the total number of members of all the sets.
    ///
    /// Since: Redis 1.0.
    ///
    /// # See also
    /// <https://redis.io/commands/sunionstore>
    fn sunionstore(&self, destination: impl ToArg, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(
            Cmd::new("SUNIONSTORE")
                .key(destination)
                .keys(keys)
                .required("keys"),
        )
    }
}

impl<E: Executor + ?Sized> SetCommands for E {}
