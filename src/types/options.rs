//! Options and token groups of the string, keyspace and server commands.

use std::time::{Duration, SystemTime};

use crate::args::time;
use crate::cmd::Cmd;

/// When a key set by `SET` (or `GETEX`) expires (`EX`, `PX`, `EXAT`, `PXAT`, `KEEPTTL`).
/// Sub-second remainders round up for `EX`/`EXAT` (never down to 0).
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
    /// `KEEPTTL`: keep the key's current time to live.
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

/// Whether `SET` requires the key to be absent (`NX`) or present (`XX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SetCondition {
    /// `NX`: only set the key if it does not exist.
    Nx,
    /// `XX`: only set the key if it already exists.
    Xx,
}

/// The optional arguments of `SET`, built step by step.
///
/// ```
/// use coredis::{SetOptions, Expiry, SetCondition};
/// use std::time::Duration;
/// let o = SetOptions::new().nx().ex(Duration::from_secs(60));
/// assert_eq!(o.expiry(), Some(Expiry::Ex(Duration::from_secs(60))));
/// assert_eq!(o.condition(), Some(SetCondition::Nx));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
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
    pub fn expiry(self) -> Option<Expiry> {
        self.expiry
    }

    /// The condition (`NX` or `XX`), if any. Defaults to `None`.
    pub fn condition(self) -> Option<SetCondition> {
        self.condition
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
            None => cmd,
        };
        cmd = cmd.flag(get, "GET");
        match self.expiry {
            Some(e) => e.apply(cmd),
            None => cmd,
        }
    }
}

/// The condition of `EXPIRE` and friends (Redis 7.0+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExpireCondition {
    /// `NX`: only when the key has no expiry.
    Nx,
    /// `XX`: only when the key has an expiry.
    Xx,
    /// `GT`: only when the new expiry is greater than the current one.
    Gt,
    /// `LT`: only when the new expiry is less than the current one.
    Lt,
}

impl ExpireCondition {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            ExpireCondition::Nx => "NX",
            ExpireCondition::Xx => "XX",
            ExpireCondition::Gt => "GT",
            ExpireCondition::Lt => "LT",
        }
    }
}

/// How `FLUSHDB`/`FLUSHALL` free memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlushMode {
    /// `ASYNC`: free in a background thread.
    Async,
    /// `SYNC`: free before replying.
    Sync,
}

impl FlushMode {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            FlushMode::Async => "ASYNC",
            FlushMode::Sync => "SYNC",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

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
    }
}
