//! Bitmap commands (`@bitmap`): bit-level reads and writes on string values — `GETBIT`,
//! `SETBIT`, `BITCOUNT`, `BITPOS`, `BITOP`, and `BITFIELD`/`BITFIELD_RO` for integers of any
//! width at any bit offset.

use super::Executor;
use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::types::{BitFieldGet, BitFieldOp, BitOp, BitRange};

/// Commands of the `bitmap` group.
pub trait BitmapCommands: Executor {
    /// How many bits are set in the string at `key` (0 for a missing key).
    ///
    /// Complexity: O(N), N being the length of the string.
    /// Since: Redis 2.6.
    ///
    /// # See also
    /// <https://redis.io/commands/bitcount>
    fn bitcount(&self, key: impl ToArg) -> Self::Output<i64> {
        self.execute(Cmd::new("BITCOUNT").key(key).readonly())
    }

    /// How many bits are set in a range of the string at `key`: bytes `start` to `end`
    /// inclusive by default, bits with [`BitUnit::Bit`](crate::types::BitUnit::Bit) (Redis
    /// 7.0+); negative indexes count from the end.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{BitRange, BitUnit};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let in_first_two_bytes = r.bitcount_with("flags", BitRange::new(0, 1))?;
    /// let in_first_ten_bits = r.bitcount_with("flags", BitRange::new(0, 9).unit(BitUnit::Bit))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(N), N being the length of the range.
    /// Since: Redis 2.6 (`BYTE|BIT`: 7.0; a start without an end: Valkey 8.0).
    ///
    /// # See also
    /// <https://redis.io/commands/bitcount>
    fn bitcount_with(&self, key: impl ToArg, range: BitRange) -> Self::Output<i64> {
        self.execute(range.apply(Cmd::new("BITCOUNT").key(key)).readonly())
    }

    /// Runs `operations` on integers stored in the string at `key` (created as needed): `GET`,
    /// `SET`, `INCRBY`, with `OVERFLOW` changing how the writes after it treat overflows.
    /// Returns one entry per `GET`, `SET` (the old value) and `INCRBY` (the new value); `None`
    /// where `OVERFLOW FAIL` stopped a write.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// use coredis::types::{BitEncoding, BitFieldOp, BitFieldOverflow};
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let replies = r.bitfield(
    ///     "counters",
    ///     [
    ///         BitFieldOp::overflow(BitFieldOverflow::Fail),
    ///         BitFieldOp::incrby(BitEncoding::U8, 0, 10),
    ///         BitFieldOp::get(BitEncoding::U8, 8),
    ///     ],
    /// )?;
    /// assert_eq!(replies.len(), 2);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// Complexity: O(1) per operation.
    /// Since: Redis 3.2.
    ///
    /// # See also
    /// <https://redis.io/commands/bitfield>
    fn bitfield(
        &self,
        key: impl ToArg,
        operations: impl IntoIterator<Item = BitFieldOp>,
    ) -> Self::Output<Vec<Option<i64>>> {
        let cmd = operations
            .into_iter()
            .fold(Cmd::new("BITFIELD").key(key), |cmd, op| op.apply(cmd));
        self.execute(cmd)
    }

    /// The read-only form of [`BitmapCommands::bitfield`]: only `GET`s, so it may run on a
    /// replica. Returns one value per `GET`.
    ///
    /// Complexity: O(1) per operation.
    /// Since: Redis 6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/bitfield_ro>
    fn bitfield_ro(
        &self,
        key: impl ToArg,
        gets: impl IntoIterator<Item = BitFieldGet>,
    ) -> Self::Output<Vec<i64>> {
        let cmd = gets
            .into_iter()
            .fold(Cmd::new("BITFIELD_RO").key(key), |cmd, get| get.apply(cmd));
        self.execute(cmd.readonly())
    }

    /// Stores the bitwise `operation` of the strings at `keys` (exactly one for
    /// [`BitOp::Not`]) at `destination`; returns the length of the result, that of the
    /// longest source (missing keys count as zeros).
    ///
    /// Complexity: O(N), N being the length of the longest source.
    /// Since: Redis 2.6.
    ///
    /// # See also
    /// <https://redis.io/commands/bitop>
    fn bitop(
        &self,
        operation: BitOp,
        destination: impl ToArg,
        keys: impl ToArgs,
    ) -> Self::Output<i64> {
        self.execute(
            Cmd::new("BITOP")
                .arg(operation.token())
                .key(destination)
                .keys(keys)
                .required("keys"),
        )
    }

    /// The position of the first bit set to `bit` in the string at `key`. Looking for a 1:
    /// `-1` when there is none; looking for a 0: the first position past the string when it
    /// is all ones (a missing key is all zeros).
    ///
    /// Complexity: O(N), N being the length of the string.
    /// Since: Redis 2.8.7.
    ///
    /// # See also
    /// <https://redis.io/commands/bitpos>
    fn bitpos(&self, key: impl ToArg, bit: bool) -> Self::Output<i64> {
        self.execute(Cmd::new("BITPOS").key(key).arg(bit).readonly())
    }

    /// `BITPOS` within a range (bytes by default, bits with
    /// [`BitUnit::Bit`](crate::types::BitUnit::Bit), Redis 7.0+). With an end, looking for a
    /// 0 in all ones gives `-1` rather than a position past the range.
    ///
    /// Complexity: O(N), N being the length of the range.
    /// Since: Redis 2.8.7 (`BYTE|BIT`: 7.0).
    ///
    /// # See also
    /// <https://redis.io/commands/bitpos>
    fn bitpos_with(&self, key: impl ToArg, bit: bool, range: BitRange) -> Self::Output<i64> {
        self.execute(range.apply(Cmd::new("BITPOS").key(key).arg(bit)).readonly())
    }

    /// The bit at `offset` of the string at `key` (false past its end or for a missing key).
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.2.
    ///
    /// # See also
    /// <https://redis.io/commands/getbit>
    fn getbit(&self, key: impl ToArg, offset: u64) -> Self::Output<bool> {
        self.execute(Cmd::new("GETBIT").key(key).arg(offset).readonly())
    }

    /// Sets the bit at `offset` of the string at `key` to `value`, growing the string with
    /// zeros as needed (offsets below 2^32); returns the bit's old value.
    ///
    /// Complexity: O(1) (plus the allocation when the string grows).
    /// Since: Redis 2.2.
    ///
    /// # See also
    /// <https://redis.io/commands/setbit>
    fn setbit(&self, key: impl ToArg, offset: u64, value: bool) -> Self::Output<bool> {
        self.execute(Cmd::new("SETBIT").key(key).arg(offset).arg(value))
    }
}

impl<E: Executor + ?Sized> BitmapCommands for E {}
