//! Options and token groups of the bitmap commands (`BITCOUNT`, `BITPOS`, `BITFIELD`,
//! `BITOP`).

use std::fmt;

use crate::args::ToArg;
use crate::cmd::Cmd;

/// Whether the indexes of a [`BitRange`] count bytes or bits (Redis 7.0+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BitUnit {
    /// `BYTE`: the indexes count bytes (the default).
    Byte,
    /// `BIT`: the indexes count bits.
    Bit,
}

impl BitUnit {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            BitUnit::Byte => "BYTE",
            BitUnit::Bit => "BIT",
        }
    }
}

/// The range of `BITCOUNT` and `BITPOS`: `start [end [BYTE|BIT]]`, inclusive, negative
/// indexes counting from the end.
///
/// ```
/// use coredis::types::{BitRange, BitUnit};
/// let bytes = BitRange::new(0, -1);
/// let bits = BitRange::new(5, 30).unit(BitUnit::Bit);
/// let tail = BitRange::from_start(2); // BITPOS; BITCOUNT needs Valkey 8.0+
/// # let _ = (bytes, bits, tail);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BitRange {
    start: i64,
    end: Option<i64>,
    unit: Option<BitUnit>,
}

impl BitRange {
    /// From `start` to `end`, inclusive, in bytes unless [`BitRange::unit`] says otherwise.
    #[must_use]
    pub fn new(start: i64, end: i64) -> BitRange {
        BitRange {
            start,
            end: Some(end),
            unit: None,
        }
    }

    /// From `start` to the end of the string (`BITPOS`; `BITCOUNT` since Valkey 8.0). In
    /// bytes: the server takes a unit only after an end.
    #[must_use]
    pub fn from_start(start: i64) -> BitRange {
        BitRange {
            start,
            end: None,
            unit: None,
        }
    }

    /// `BYTE` or `BIT` (Redis 7.0+). Sent only with an end (see [`BitRange::from_start`]).
    #[must_use]
    pub fn unit(mut self, unit: BitUnit) -> BitRange {
        self.unit = Some(unit);
        self
    }

    /// The first index.
    pub fn start(self) -> i64 {
        self.start
    }

    /// The last index, if given.
    pub fn end(self) -> Option<i64> {
        self.end
    }

    /// The unit, if set. Defaults to `None` (bytes).
    pub fn index_unit(self) -> Option<BitUnit> {
        self.unit
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = cmd.arg(self.start);
        match self.end {
            Some(end) => cmd.arg(end).args_from(self.unit.map(BitUnit::token)),
            None => cmd,
        }
    }
}

/// The type of a `BITFIELD` integer: signed (`i1` … `i64`) or unsigned (`u1` … `u63`).
///
/// ```
/// use coredis::types::BitEncoding;
/// assert_eq!(BitEncoding::U8.to_string(), "u8");
/// assert_eq!(BitEncoding::signed(5).to_string(), "i5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BitEncoding {
    signed: bool,
    bits: u8,
}

impl BitEncoding {
    /// `i8`.
    pub const I8: BitEncoding = BitEncoding::signed(8);
    /// `i16`.
    pub const I16: BitEncoding = BitEncoding::signed(16);
    /// `i32`.
    pub const I32: BitEncoding = BitEncoding::signed(32);
    /// `i64`.
    pub const I64: BitEncoding = BitEncoding::signed(64);
    /// `u1`: a single bit.
    pub const U1: BitEncoding = BitEncoding::unsigned(1);
    /// `u8`.
    pub const U8: BitEncoding = BitEncoding::unsigned(8);
    /// `u16`.
    pub const U16: BitEncoding = BitEncoding::unsigned(16);
    /// `u32`.
    pub const U32: BitEncoding = BitEncoding::unsigned(32);
    /// `u63`: the widest unsigned type.
    pub const U63: BitEncoding = BitEncoding::unsigned(63);

    /// A signed integer of `bits` bits (1 to 64; the server refuses others).
    pub const fn signed(bits: u8) -> BitEncoding {
        BitEncoding { signed: true, bits }
    }

    /// An unsigned integer of `bits` bits (1 to 63; the server refuses others).
    pub const fn unsigned(bits: u8) -> BitEncoding {
        BitEncoding {
            signed: false,
            bits,
        }
    }

    /// Whether the integer is signed.
    pub fn is_signed(self) -> bool {
        self.signed
    }

    /// The width in bits.
    pub fn bits(self) -> u8 {
        self.bits
    }
}

impl fmt::Display for BitEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.signed { 'i' } else { 'u' };
        write!(f, "{sign}{}", self.bits)
    }
}

impl ToArg for BitEncoding {
    fn write_arg(&self, out: &mut Vec<u8>) {
        self.to_string().write_arg(out)
    }
}

/// Where a `BITFIELD` integer starts: at a bit offset, or at an index in units of the
/// integer's own width (`#index`: the `index`-th integer of that type).
///
/// A `u64` converts into [`BitOffset::Bit`], so `BitFieldOp::get(BitEncoding::U8, 16)` reads
/// the byte at bit 16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BitOffset {
    /// A bit offset.
    Bit(u64),
    /// `#index`: the offset is `index` times the width of the encoding.
    Index(u64),
}

impl From<u64> for BitOffset {
    fn from(bit: u64) -> BitOffset {
        BitOffset::Bit(bit)
    }
}

impl ToArg for BitOffset {
    fn write_arg(&self, out: &mut Vec<u8>) {
        match self {
            BitOffset::Bit(b) => b.write_arg(out),
            BitOffset::Index(i) => format!("#{i}").write_arg(out),
        }
    }
}

/// What `BITFIELD` does when `SET` or `INCRBY` goes past the integer's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BitFieldOverflow {
    /// `WRAP`: wrap around (the default).
    Wrap,
    /// `SAT`: stop at the minimum or maximum value.
    Sat,
    /// `FAIL`: do nothing and reply nil for that operation.
    Fail,
}

impl BitFieldOverflow {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            BitFieldOverflow::Wrap => "WRAP",
            BitFieldOverflow::Sat => "SAT",
            BitFieldOverflow::Fail => "FAIL",
        }
    }
}

/// One `GET` of `BITFIELD_RO` (and of `BITFIELD`, through [`BitFieldOp::Get`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct BitFieldGet {
    /// The integer's type.
    pub encoding: BitEncoding,
    /// Where it starts.
    pub offset: BitOffset,
}

impl BitFieldGet {
    /// `GET encoding offset`.
    pub fn new(encoding: BitEncoding, offset: impl Into<BitOffset>) -> BitFieldGet {
        BitFieldGet {
            encoding,
            offset: offset.into(),
        }
    }
}

/// One operation of `BITFIELD`. Each `GET`, `SET` and `INCRBY` adds one entry to the reply;
/// `OVERFLOW` changes how the `SET`/`INCRBY` after it behave and adds none.
///
/// ```
/// use coredis::types::{BitEncoding, BitFieldOp, BitFieldOverflow, BitOffset};
/// let ops = [
///     BitFieldOp::set(BitEncoding::U8, 0, 200),
///     BitFieldOp::overflow(BitFieldOverflow::Sat),
///     BitFieldOp::incrby(BitEncoding::U8, 0, 100),
///     BitFieldOp::get(BitEncoding::I8, BitOffset::Index(1)),
/// ];
/// # let _ = ops;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BitFieldOp {
    /// `GET encoding offset`: the current value.
    Get(BitFieldGet),
    /// `SET encoding offset value`: sets the value, replies the old one.
    Set {
        /// The integer's type.
        encoding: BitEncoding,
        /// Where it starts.
        offset: BitOffset,
        /// The new value.
        value: i64,
    },
    /// `INCRBY encoding offset increment`: adds `increment`, replies the new value.
    IncrBy {
        /// The integer's type.
        encoding: BitEncoding,
        /// Where it starts.
        offset: BitOffset,
        /// What to add (negative to subtract).
        increment: i64,
    },
    /// `OVERFLOW WRAP|SAT|FAIL`, for the operations after it.
    Overflow(BitFieldOverflow),
}

impl BitFieldOp {
    /// `GET encoding offset`.
    pub fn get(encoding: BitEncoding, offset: impl Into<BitOffset>) -> BitFieldOp {
        BitFieldOp::Get(BitFieldGet::new(encoding, offset))
    }

    /// `SET encoding offset value`.
    pub fn set(encoding: BitEncoding, offset: impl Into<BitOffset>, value: i64) -> BitFieldOp {
        BitFieldOp::Set {
            encoding,
            offset: offset.into(),
            value,
        }
    }

    /// `INCRBY encoding offset increment`.
    pub fn incrby(
        encoding: BitEncoding,
        offset: impl Into<BitOffset>,
        increment: i64,
    ) -> BitFieldOp {
        BitFieldOp::IncrBy {
            encoding,
            offset: offset.into(),
            increment,
        }
    }

    /// `OVERFLOW behaviour`.
    pub fn overflow(behaviour: BitFieldOverflow) -> BitFieldOp {
        BitFieldOp::Overflow(behaviour)
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        match self {
            BitFieldOp::Get(g) => g.apply(cmd),
            BitFieldOp::Set {
                encoding,
                offset,
                value,
            } => cmd.arg("SET").arg(encoding).arg(offset).arg(value),
            BitFieldOp::IncrBy {
                encoding,
                offset,
                increment,
            } => cmd.arg("INCRBY").arg(encoding).arg(offset).arg(increment),
            BitFieldOp::Overflow(o) => cmd.arg("OVERFLOW").arg(o.token()),
        }
    }
}

impl BitFieldGet {
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.arg("GET").arg(self.encoding).arg(self.offset)
    }
}

impl From<BitFieldGet> for BitFieldOp {
    fn from(get: BitFieldGet) -> BitFieldOp {
        BitFieldOp::Get(get)
    }
}

/// The operation of `BITOP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BitOp {
    /// `AND` of every source.
    And,
    /// `OR` of every source.
    Or,
    /// `XOR` of every source.
    Xor,
    /// `NOT` of the one source.
    Not,
}

impl BitOp {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            BitOp::And => "AND",
            BitOp::Or => "OR",
            BitOp::Xor => "XOR",
            BitOp::Not => "NOT",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn words<T>(c: &Cmd<T>) -> Vec<String> {
        c.request()
            .args()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect()
    }

    #[test]
    fn encodings_offsets_and_ranges() {
        let c: Cmd<Value> = Cmd::new("BITFIELD").key("k");
        let c = BitFieldOp::get(BitEncoding::signed(5), BitOffset::Index(3)).apply(c);
        let c = BitFieldOp::overflow(BitFieldOverflow::Fail).apply(c);
        let c = BitFieldOp::incrby(BitEncoding::U63, 7, -1).apply(c);
        let c = BitFieldOp::set(BitEncoding::I64, 0, i64::MIN).apply(c);
        assert_eq!(
            words(&c),
            [
                "BITFIELD",
                "k",
                "GET",
                "i5",
                "#3",
                "OVERFLOW",
                "FAIL",
                "INCRBY",
                "u63",
                "7",
                "-1",
                "SET",
                "i64",
                "0",
                "-9223372036854775808"
            ]
        );
        let c: Cmd<Value> = Cmd::new("BITCOUNT").key("k");
        assert_eq!(
            words(&BitRange::from_start(3).unit(BitUnit::Bit).apply(c.clone())),
            ["BITCOUNT", "k", "3"]
        );
        assert_eq!(
            words(&BitRange::new(1, -2).unit(BitUnit::Bit).apply(c)),
            ["BITCOUNT", "k", "1", "-2", "BIT"]
        );
    }
}
