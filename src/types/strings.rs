//! Options, token groups and typed replies of the string commands (`SET`, `GETEX`, `MSETEX`,
//! `LCS`).

use bytes::Bytes;
use std::time::{Duration, SystemTime};

use crate::args::{time, ToArg};
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// When a key set by `SET` (or `MSETEX`, or a field set by `HSETEX`) expires (`EX`, `PX`,
/// `EXAT`, `PXAT`, `KEEPTTL`). Sub-second remainders round up for `EX`/`EXAT` (never down to
/// 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Expiry {
    /// `EX seconds`: expire after this long, in whole seconds.
    Ex(Duration),
    /// `PX milliseconds`: expire after this long, in milliseconds.
    Px(Duration),
    /// `EXAT timestamp`: expire at this time (sent as Unix seconds).
    ExAt(SystemTime),
    /// `PXAT timestamp`: expire at this time (sent as Unix milliseconds).
    PxAt(SystemTime),
    /// `KEEPTTL`: keep the current time to live.
    KeepTtl,
}

impl Expiry {
    /// Appends the expiry's tokens to `cmd`.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        match self {
            Expiry::Ex(d) => cmd.arg("EX").arg(time::secs(d)),
            Expiry::Px(d) => cmd.arg("PX").arg(time::millis(d)),
            Expiry::ExAt(t) => cmd.arg("EXAT").arg(time::unix_secs(t)),
            Expiry::PxAt(t) => cmd.arg("PXAT").arg(time::unix_millis(t)),
            Expiry::KeepTtl => cmd.arg("KEEPTTL"),
        }
    }
}

/// What `GETEX` (and `HGETEX`) do to the time to live of what they read: set a new one (`EX`,
/// `PX`, `EXAT`, `PXAT`) or remove it (`PERSIST`). Sub-second remainders round up for
/// `EX`/`EXAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GetExExpiry {
    /// `EX seconds`: expire after this long, in whole seconds.
    Ex(Duration),
    /// `PX milliseconds`: expire after this long, in milliseconds.
    Px(Duration),
    /// `EXAT timestamp`: expire at this time (sent as Unix seconds).
    ExAt(SystemTime),
    /// `PXAT timestamp`: expire at this time (sent as Unix milliseconds).
    PxAt(SystemTime),
    /// `PERSIST`: remove the time to live.
    Persist,
}

impl GetExExpiry {
    /// Appends the tokens to `cmd`.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        match self {
            GetExExpiry::Ex(d) => cmd.arg("EX").arg(time::secs(d)),
            GetExExpiry::Px(d) => cmd.arg("PX").arg(time::millis(d)),
            GetExExpiry::ExAt(t) => cmd.arg("EXAT").arg(time::unix_secs(t)),
            GetExExpiry::PxAt(t) => cmd.arg("PXAT").arg(time::unix_millis(t)),
            GetExExpiry::Persist => cmd.arg("PERSIST"),
        }
    }
}

/// The condition of `SET`: the key must be absent (`NX`), present (`XX`), or hold a given
/// value (`IFEQ`, Valkey 8.1+).
///
/// ```
/// use coredis::types::SetCondition;
/// let c = SetCondition::if_eq(42);
/// assert_eq!(c, SetCondition::IfEq("42".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SetCondition {
    /// `NX`: only set the key if it does not exist.
    Nx,
    /// `XX`: only set the key if it already exists.
    Xx,
    /// `IFEQ value`: only set the key if it holds exactly this string (Valkey 8.1+). A key
    /// that does not exist is not set.
    IfEq(Bytes),
}

impl SetCondition {
    /// `IFEQ value`, from anything that can be an argument (`"v"`, `42`, bytes).
    pub fn if_eq(value: impl ToArg) -> SetCondition {
        SetCondition::IfEq(arg_bytes(value))
    }
}

/// The bytes `value` is sent as (its bulk string's payload).
fn arg_bytes(value: impl ToArg) -> Bytes {
    let mut buf = Vec::new();
    value.write_arg(&mut buf);
    // `$<len>\r\n<payload>\r\n`
    let start = memchr::memchr(b'\n', &buf).map_or(0, |i| i + 1);
    let end = buf.len().saturating_sub(2).max(start);
    Bytes::copy_from_slice(buf.get(start..end).unwrap_or_default())
}

/// The optional arguments of `SET`, built step by step.
///
/// ```
/// use coredis::types::{SetOptions, Expiry, SetCondition};
/// use std::time::Duration;
/// let o = SetOptions::new().nx().ex(Duration::from_secs(60));
/// assert_eq!(o.expiry(), Some(Expiry::Ex(Duration::from_secs(60))));
/// assert_eq!(o.condition(), Some(&SetCondition::Nx));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SetOptions {
    expiry: Option<Expiry>,
    condition: Option<SetCondition>,
}

impl SetOptions {
    /// No options: a plain `SET`.
    #[must_use]
    pub fn new() -> SetOptions {
        SetOptions::default()
    }

    /// The expiry (`EX`, `PX`, `EXAT`, `PXAT` or `KEEPTTL`), if any. Defaults to `None`.
    pub fn expiry(&self) -> Option<Expiry> {
        self.expiry
    }

    /// The condition (`NX`, `XX` or `IFEQ`), if any. Defaults to `None`.
    pub fn condition(&self) -> Option<&SetCondition> {
        self.condition.as_ref()
    }

    /// Expire after `ttl`, in whole seconds (`EX`; a remainder rounds up).
    #[must_use]
    pub fn ex(self, ttl: Duration) -> SetOptions {
        self.with_expiry(Expiry::Ex(ttl))
    }

    /// Expire after `ttl`, in milliseconds (`PX`).
    #[must_use]
    pub fn px(self, ttl: Duration) -> SetOptions {
        self.with_expiry(Expiry::Px(ttl))
    }

    /// Expire at `at`, in whole seconds (`EXAT`).
    #[must_use]
    pub fn exat(self, at: SystemTime) -> SetOptions {
        self.with_expiry(Expiry::ExAt(at))
    }

    /// Expire at `at`, in milliseconds (`PXAT`).
    #[must_use]
    pub fn pxat(self, at: SystemTime) -> SetOptions {
        self.with_expiry(Expiry::PxAt(at))
    }

    /// Keep the current time to live (`KEEPTTL`).
    #[must_use]
    pub fn keepttl(self) -> SetOptions {
        self.with_expiry(Expiry::KeepTtl)
    }

    /// Sets the expiry (replacing an earlier one).
    #[must_use]
    pub fn with_expiry(mut self, expiry: Expiry) -> SetOptions {
        self.expiry = Some(expiry);
        self
    }

    /// Only set if the key does not exist (`NX`).
    #[must_use]
    pub fn nx(self) -> SetOptions {
        self.with_condition(SetCondition::Nx)
    }

    /// Only set if the key exists (`XX`).
    #[must_use]
    pub fn xx(self) -> SetOptions {
        self.with_condition(SetCondition::Xx)
    }

    /// Only set if the key holds exactly `value` (`IFEQ`, Valkey 8.1+).
    #[must_use]
    pub fn ifeq(self, value: impl ToArg) -> SetOptions {
        self.with_condition(SetCondition::if_eq(value))
    }

    /// Sets the condition (replacing an earlier one).
    #[must_use]
    pub fn with_condition(mut self, condition: SetCondition) -> SetOptions {
        self.condition = Some(condition);
        self
    }

    /// Appends the options to a `SET key value` command, `GET` included when `get` is true.
    pub(crate) fn apply<T>(self, mut cmd: Cmd<T>, get: bool) -> Cmd<T> {
        cmd = match self.condition {
            Some(SetCondition::Nx) => cmd.arg("NX"),
            Some(SetCondition::Xx) => cmd.arg("XX"),
            Some(SetCondition::IfEq(v)) => cmd.arg("IFEQ").arg(v),
            None => cmd,
        };
        cmd = cmd.flag(get, "GET");
        match self.expiry {
            Some(e) => e.apply(cmd),
            None => cmd,
        }
    }
}

/// Whether a command that writes keys requires them to be absent (`NX`) or present (`XX`):
/// `MSETEX` (all keys) and `HSETEX` (the hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyCondition {
    /// `NX`: only when the key (every key) does not exist.
    Nx,
    /// `XX`: only when the key (every key) exists.
    Xx,
}

impl KeyCondition {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            KeyCondition::Nx => "NX",
            KeyCondition::Xx => "XX",
        }
    }
}

/// The optional arguments of `MSETEX` (Valkey 9.1+): a condition on the keys and an expiry.
///
/// ```
/// use coredis::types::{MSetExOptions, KeyCondition, Expiry};
/// use std::time::Duration;
/// let o = MSetExOptions::new().nx().ex(Duration::from_secs(10));
/// assert_eq!(o.condition(), Some(KeyCondition::Nx));
/// assert_eq!(o.expiry(), Some(Expiry::Ex(Duration::from_secs(10))));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MSetExOptions {
    condition: Option<KeyCondition>,
    expiry: Option<Expiry>,
}

impl MSetExOptions {
    /// No options.
    #[must_use]
    pub fn new() -> MSetExOptions {
        MSetExOptions::default()
    }

    /// The condition (`NX` or `XX`), if any. Defaults to `None`.
    pub fn condition(self) -> Option<KeyCondition> {
        self.condition
    }

    /// The expiry, if any. Defaults to `None`.
    pub fn expiry(self) -> Option<Expiry> {
        self.expiry
    }

    /// Set only if none of the keys exists (`NX`).
    #[must_use]
    pub fn nx(self) -> MSetExOptions {
        self.with_condition(KeyCondition::Nx)
    }

    /// Set only if every key exists (`XX`).
    #[must_use]
    pub fn xx(self) -> MSetExOptions {
        self.with_condition(KeyCondition::Xx)
    }

    /// Sets the condition (replacing an earlier one).
    #[must_use]
    pub fn with_condition(mut self, condition: KeyCondition) -> MSetExOptions {
        self.condition = Some(condition);
        self
    }

    /// Expire after `ttl`, in whole seconds (`EX`; a remainder rounds up).
    #[must_use]
    pub fn ex(self, ttl: Duration) -> MSetExOptions {
        self.with_expiry(Expiry::Ex(ttl))
    }

    /// Expire after `ttl`, in milliseconds (`PX`).
    #[must_use]
    pub fn px(self, ttl: Duration) -> MSetExOptions {
        self.with_expiry(Expiry::Px(ttl))
    }

    /// Expire at `at`, in whole seconds (`EXAT`).
    #[must_use]
    pub fn exat(self, at: SystemTime) -> MSetExOptions {
        self.with_expiry(Expiry::ExAt(at))
    }

    /// Expire at `at`, in milliseconds (`PXAT`).
    #[must_use]
    pub fn pxat(self, at: SystemTime) -> MSetExOptions {
        self.with_expiry(Expiry::PxAt(at))
    }

    /// Keep each key's current time to live (`KEEPTTL`).
    #[must_use]
    pub fn keepttl(self) -> MSetExOptions {
        self.with_expiry(Expiry::KeepTtl)
    }

    /// Sets the expiry (replacing an earlier one).
    #[must_use]
    pub fn with_expiry(mut self, expiry: Expiry) -> MSetExOptions {
        self.expiry = Some(expiry);
        self
    }

    /// Appends the options to an `MSETEX numkeys key value …` command.
    pub(crate) fn apply<T>(self, mut cmd: Cmd<T>) -> Cmd<T> {
        if let Some(c) = self.condition {
            cmd = cmd.arg(c.token());
        }
        match self.expiry {
            Some(e) => e.apply(cmd),
            None => cmd,
        }
    }
}

/// The optional arguments of `LCS … IDX`: a minimum length for the matches listed
/// (`MINMATCHLEN`) and whether each match carries its length (`WITHMATCHLEN`).
///
/// ```
/// use coredis::types::LcsOptions;
/// // Matches of 4 bytes or more, each with its length.
/// let o = LcsOptions::new().min_match_len(4).with_match_len();
/// assert_ne!(o, LcsOptions::new());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LcsOptions {
    min_match_len: Option<u64>,
    with_match_len: bool,
}

impl LcsOptions {
    /// No options: every match, without lengths.
    #[must_use]
    pub fn new() -> LcsOptions {
        LcsOptions::default()
    }

    /// List only matches at least `len` bytes long (`MINMATCHLEN`).
    #[must_use]
    pub fn min_match_len(mut self, len: u64) -> LcsOptions {
        self.min_match_len = Some(len);
        self
    }

    /// Give each match its length ([`LcsMatch::len`], `WITHMATCHLEN`).
    #[must_use]
    pub fn with_match_len(mut self) -> LcsOptions {
        self.with_match_len = true;
        self
    }

    /// Appends the options to an `LCS k1 k2 IDX` command.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("MINMATCHLEN", self.min_match_len)
            .flag(self.with_match_len, "WITHMATCHLEN")
    }
}

/// The reply of `LCS … IDX`: where the longest common subsequence of two strings lies in each
/// of them, as matching ranges, and its length.
///
/// The server sends a map under RESP3 and a flat array of name/value pairs under RESP2; both
/// convert to this.
///
/// ```
/// use coredis::{FromValue, Value};
/// use coredis::types::{LcsMatches, LcsMatch};
/// let resp2 = Value::Array(vec![
///     Value::Bulk("matches".into()),
///     Value::Array(vec![Value::Array(vec![
///         Value::Array(vec![Value::Int(4), Value::Int(7)]),
///         Value::Array(vec![Value::Int(5), Value::Int(8)]),
///     ])]),
///     Value::Bulk("len".into()),
///     Value::Int(6),
/// ]);
/// let m = LcsMatches::from_value(resp2).unwrap();
/// assert_eq!(m.len, 6);
/// assert_eq!(m.matches[0].a, (4, 7));
/// assert_eq!(m.matches[0].b, (5, 8));
/// assert_eq!(m.matches[0].len, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LcsMatches {
    /// The matching ranges, from the end of the strings to their start (the server's order).
    pub matches: Vec<LcsMatch>,
    /// The length of the longest common subsequence.
    pub len: u64,
}

/// One matching range of `LCS … IDX`: the same bytes at `a` in the first string and `b` in
/// the second. Ranges are inclusive byte offsets `(start, end)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LcsMatch {
    /// The range in the first key's string.
    pub a: (u64, u64),
    /// The range in the second key's string.
    pub b: (u64, u64),
    /// The match's length, when asked for with [`LcsOptions::with_match_len`].
    pub len: Option<u64>,
}

impl FromValue for LcsMatches {
    fn from_value(value: Value) -> Result<Self> {
        let mut out = LcsMatches::default();
        let mut seen_len = false;
        for (name, v) in Vec::<(String, Value)>::from_value(value)? {
            match name.as_str() {
                "matches" => out.matches = Vec::from_value(v)?,
                "len" => {
                    out.len = u64::from_value(v)?;
                    seen_len = true;
                }
                _ => {}
            }
        }
        if !seen_len {
            return Err(Error::type_mismatch("an LCS IDX reply", "no len"));
        }
        Ok(out)
    }
}

impl FromValue for LcsMatch {
    fn from_value(value: Value) -> Result<Self> {
        let mut items = Vec::<Value>::from_value(value)?.into_iter();
        let (Some(a), Some(b)) = (items.next(), items.next()) else {
            return Err(Error::type_mismatch(
                "an LCS match",
                "fewer than 2 elements",
            ));
        };
        let len = items.next().map(u64::from_value).transpose()?;
        if items.next().is_some() {
            return Err(Error::type_mismatch("an LCS match", "more than 3 elements"));
        }
        Ok(LcsMatch {
            a: <(u64, u64)>::from_value(a)?,
            b: <(u64, u64)>::from_value(b)?,
            len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_options_order() {
        let c: Cmd<Value> = Cmd::new("SET").key("k").arg("v");
        let c = SetOptions::new().xx().keepttl().apply(c, true);
        assert_eq!(
            c.request().encoded_args(),
            b"$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nXX\r\n$3\r\nGET\r\n$7\r\nKEEPTTL\r\n"
        );
        let c: Cmd<Value> = Cmd::new("SET").key("k").arg("v");
        let c = SetOptions::new()
            .pxat(std::time::UNIX_EPOCH + Duration::from_millis(5))
            .apply(c, false);
        assert_eq!(c.arg_count(), 5);
        let c: Cmd<Value> = Cmd::new("SET").key("k").arg("v");
        let c = SetOptions::new().ifeq(&b"a\r\nb"[..]).apply(c, true);
        let words: Vec<&[u8]> = c.request().args().collect();
        assert_eq!(words, [&b"SET"[..], b"k", b"v", b"IFEQ", b"a\r\nb", b"GET"]);
    }

    #[test]
    fn if_eq_takes_any_argument() {
        assert_eq!(SetCondition::if_eq(-12), SetCondition::IfEq("-12".into()));
        assert_eq!(SetCondition::if_eq(""), SetCondition::IfEq(Bytes::new()));
        assert_eq!(
            SetCondition::if_eq("x".to_string()),
            SetCondition::IfEq("x".into())
        );
    }

    #[test]
    fn lcs_replies_in_both_shapes() {
        let range = |a, b| Value::Array(vec![Value::Int(a), Value::Int(b)]);
        let matches = Value::Array(vec![
            Value::Array(vec![range(4, 7), range(5, 8), Value::Int(4)]),
            Value::Array(vec![range(2, 3), range(0, 1), Value::Int(2)]),
        ]);
        let resp3 = Value::Map(vec![
            (Value::Bulk("matches".into()), matches.clone()),
            (Value::Bulk("len".into()), Value::Int(6)),
        ]);
        let resp2 = Value::Array(vec![
            Value::Bulk("matches".into()),
            matches,
            Value::Bulk("len".into()),
            Value::Int(6),
        ]);
        let a = LcsMatches::from_value(resp3).unwrap();
        assert_eq!(a, LcsMatches::from_value(resp2).unwrap());
        assert_eq!(a.len, 6);
        assert_eq!(
            a.matches[1],
            LcsMatch {
                a: (2, 3),
                b: (0, 1),
                len: Some(2)
            }
        );
        for bad in [
            Value::Nil,
            Value::Int(3),
            Value::Array(vec![Value::Bulk("matches".into()), Value::Array(vec![])]),
            Value::Array(vec![
                Value::Bulk("matches".into()),
                Value::Array(vec![Value::Array(vec![range(1, 2)])]),
                Value::Bulk("len".into()),
                Value::Int(1),
            ]),
        ] {
            assert!(LcsMatches::from_value(bad).is_err());
        }
    }
}
