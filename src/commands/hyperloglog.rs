//! HyperLogLog commands (`@hyperloglog`): approximate counting of distinct elements in a
//! small fixed amount of memory (at most 12 KiB per key, with a standard error of 0.81%).
//! `PFDEBUG` and `PFSELFTEST`, internal commands, have no method.

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;

/// Commands of the `hyperloglog` group.
pub trait HyperLogLogCommands: Executor {
    /// Adds `elements` (none, one, or an array, slice or `Vec`) to the HyperLogLog at `key`,
    /// creating it when missing; returns true when its estimate changed (or it was created).
    ///
    /// Complexity: O(1) per element.
    /// Since: Redis 2.8.9.
    ///
    /// # See also
    /// <https://redis.io/commands/pfadd>
    fn pfadd(&self, key: impl ToArg, elements: impl ToArgs) -> Self::Output<bool> {
        self.execute(Cmd::new("PFADD").key(key).args(elements))
    }

    /// The estimated number of distinct elements added to the HyperLogLogs at `keys` (of
    /// their union when several; 0 for missing keys).
    ///
    /// Complexity: O(1) for one key; O(N) for N keys, with a much larger constant.
    /// Since: Redis 2.8.9.
    ///
    /// # See also
    /// <https://redis.io/commands/pfcount>
    fn pfcount(&self, keys: impl ToArgs) -> Self::Output<i64> {
        self.execute(Cmd::new("PFCOUNT").keys(keys).required("keys").readonly())
    }

    /// Stores the union of `destination` and the HyperLogLogs at `sources` at `destination`
    /// (created when missing; `sources` may be empty).
    ///
    /// Complexity: O(N) for N HyperLogLogs, with a large constant.
    /// Since: Redis 2.8.9.
    ///
    /// # See also
    /// <https://redis.io/commands/pfmerge>
    fn pfmerge(&self, destination: impl ToArg, sources: impl ToArgs) -> Self::Output<()> {
        self.execute(Cmd::new("PFMERGE").key(destination).keys(sources))
    }
}

impl<E: Executor + ?Sized> HyperLogLogCommands for E {}
