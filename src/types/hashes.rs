//! Options and typed replies of the hash commands, chiefly Valkey's field expiration
//! (`HEXPIRE` and friends, `HSETEX`).

use std::time::{Duration, SystemTime};

use crate::args::time;
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::types::{Expiry, KeyCondition};
use crate::value::Value;

/// Whether `HSETEX` requires the fields to be absent (`FNX`) or present (`FXX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldCondition {
    /// `FNX`: only when none of the fields exists.
    Fnx,
    /// `FXX`: only when every field exists.
    Fxx,
}

impl FieldCondition {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            FieldCondition::Fnx => "FNX",
            FieldCondition::Fxx => "FXX",
        }
    }
}

/// The optional arguments of `HSETEX` (Valkey 9.0+): a condition on the hash (`NX`/`XX`), a
/// condition on the fields (`FNX`/`FXX`) and the fields' expiry.
///
/// ```
/// use coredis::types::{HSetExOptions, FieldCondition, Expiry};
/// use std::time::Duration;
/// let o = HSetExOptions::new().fnx().ex(Duration::from_secs(60));
/// assert_eq!(o.field_condition(), Some(FieldCondition::Fnx));
/// assert_eq!(o.expiry(), Some(Expiry::Ex(Duration::from_secs(60))));
/// assert_eq!(o.condition(), None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct HSetExOptions {
    condition: Option<KeyCondition>,
    field_condition: Option<FieldCondition>,
    expiry: Option<Expiry>,
}

impl HSetExOptions {
    /// No options: set the fields, without a time to live.
    #[must_use]
    pub fn new() -> HSetExOptions {
        HSetExOptions::default()
    }

    /// The condition on the hash (`NX` or `XX`), if any. Defaults to `None`.
    pub fn condition(self) -> Option<KeyCondition> {
        self.condition
    }

    /// The condition on the fields (`FNX` or `FXX`), if any. Defaults to `None`.
    pub fn field_condition(self) -> Option<FieldCondition> {
        self.field_condition
    }

    /// The fields' expiry, if any. Defaults to `None`.
    pub fn expiry(self) -> Option<Expiry> {
        self.expiry
    }

    /// Only when the hash does not exist (`NX`).
    #[must_use]
    pub fn nx(self) -> HSetExOptions {
        self.with_condition(KeyCondition::Nx)
    }

    /// Only when the hash exists (`XX`).
    #[must_use]
    pub fn xx(self) -> HSetExOptions {
        self.with_condition(KeyCondition::Xx)
    }

    /// Sets the condition on the hash (replacing an earlier one).
    #[must_use]
    pub fn with_condition(mut self, condition: KeyCondition) -> HSetExOptions {
        self.condition = Some(condition);
        self
    }

    /// Only when none of the fields exists (`FNX`).
    #[must_use]
    pub fn fnx(self) -> HSetExOptions {
        self.with_field_condition(FieldCondition::Fnx)
    }

    /// Only when every field exists (`FXX`).
    #[must_use]
    pub fn fxx(self) -> HSetExOptions {
        self.with_field_condition(FieldCondition::Fxx)
    }

    /// Sets the condition on the fields (replacing an earlier one).
    #[must_use]
    pub fn with_field_condition(mut self, condition: FieldCondition) -> HSetExOptions {
        self.field_condition = Some(condition);
        self
    }

    /// The fields expire after `ttl`, in whole seconds (`EX`; a remainder rounds up).
    #[must_use]
    pub fn ex(self, ttl: Duration) -> HSetExOptions {
        self.with_expiry(Expiry::Ex(ttl))
    }

    /// The fields expire after `ttl`, in milliseconds (`PX`).
    #[must_use]
    pub fn px(self, ttl: Duration) -> HSetExOptions {
        self.with_expiry(Expiry::Px(ttl))
    }

    /// The fields expire at `at`, in whole seconds (`EXAT`).
    #[must_use]
    pub fn exat(self, at: SystemTime) -> HSetExOptions {
        self.with_expiry(Expiry::ExAt(at))
    }

    /// The fields expire at `at`, in milliseconds (`PXAT`).
    #[must_use]
    pub fn pxat(self, at: SystemTime) -> HSetExOptions {
        self.with_expiry(Expiry::PxAt(at))
    }

    /// The fields keep their current time to live (`KEEPTTL`).
    #[must_use]
    pub fn keepttl(self) -> HSetExOptions {
        self.with_expiry(Expiry::KeepTtl)
    }

    /// Sets the expiry (replacing an earlier one).
    #[must_use]
    pub fn with_expiry(mut self, expiry: Expiry) -> HSetExOptions {
        self.expiry = Some(expiry);
        self
    }

    /// Appends the options to an `HSETEX key` command (before `FIELDS`).
    pub(crate) fn apply<T>(self, mut cmd: Cmd<T>) -> Cmd<T> {
        if let Some(c) = self.condition {
            cmd = cmd.arg(c.token());
        }
        if let Some(c) = self.field_condition {
            cmd = cmd.arg(c.token());
        }
        match self.expiry {
            Some(e) => e.apply(cmd),
            None => cmd,
        }
    }
}

/// What `HEXPIRE`, `HPEXPIRE`, `HEXPIREAT` and `HPEXPIREAT` did to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldExpiry {
    /// The field (or the whole hash) does not exist (`-2`).
    NoField,
    /// The `NX`/`XX`/`GT`/`LT` condition was not met: nothing changed (`0`).
    ConditionNotMet,
    /// The time to live was set (`1`).
    Set,
    /// The time was zero or in the past: the field was deleted (`2`).
    Deleted,
}

impl FromValue for FieldExpiry {
    fn from_value(value: Value) -> Result<Self> {
        match i64::from_value(value)? {
            -2 => Ok(FieldExpiry::NoField),
            0 => Ok(FieldExpiry::ConditionNotMet),
            1 => Ok(FieldExpiry::Set),
            2 => Ok(FieldExpiry::Deleted),
            n => Err(Error::type_mismatch(
                "a field expiry code (-2, 0, 1, 2)",
                format!("integer {n}"),
            )),
        }
    }
}

/// What `HPERSIST` did to one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldPersist {
    /// The field (or the whole hash) does not exist (`-2`).
    NoField,
    /// The field had no time to live (`-1`).
    NoExpiry,
    /// The field's time to live was removed (`1`).
    Persisted,
}

impl FromValue for FieldPersist {
    fn from_value(value: Value) -> Result<Self> {
        match i64::from_value(value)? {
            -2 => Ok(FieldPersist::NoField),
            -1 => Ok(FieldPersist::NoExpiry),
            1 => Ok(FieldPersist::Persisted),
            n => Err(Error::type_mismatch(
                "a field persist code (-2, -1, 1)",
                format!("integer {n}"),
            )),
        }
    }
}

/// The remaining time to live of one field (`HTTL`, `HPTTL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldTtl {
    /// The field (or the whole hash) does not exist (`-2`).
    NoField,
    /// The field exists and has no time to live (`-1`).
    NoExpiry,
    /// The field expires after this long (whole seconds for `HTTL`, milliseconds for `HPTTL`).
    ExpiresIn(Duration),
}

impl FieldTtl {
    /// The remaining time, when the field has one.
    pub fn duration(self) -> Option<Duration> {
        match self {
            FieldTtl::ExpiresIn(d) => Some(d),
            _ => None,
        }
    }

    fn from_code(code: i64, unit: fn(u64) -> Duration) -> Result<FieldTtl> {
        match code {
            -2 => Ok(FieldTtl::NoField),
            -1 => Ok(FieldTtl::NoExpiry),
            n => match u64::try_from(n) {
                Ok(n) => Ok(FieldTtl::ExpiresIn(unit(n))),
                Err(_) => Err(Error::type_mismatch(
                    "a field time to live (-2, -1 or >= 0)",
                    format!("integer {n}"),
                )),
            },
        }
    }
}

/// When one field expires (`HEXPIRETIME`, `HPEXPIRETIME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldExpireTime {
    /// The field (or the whole hash) does not exist (`-2`).
    NoField,
    /// The field exists and has no time to live (`-1`).
    NoExpiry,
    /// The field expires at this time (to the second for `HEXPIRETIME`, the millisecond for
    /// `HPEXPIRETIME`).
    ExpiresAt(SystemTime),
}

impl FieldExpireTime {
    /// The expiry time, when the field has one.
    pub fn time(self) -> Option<SystemTime> {
        match self {
            FieldExpireTime::ExpiresAt(t) => Some(t),
            _ => None,
        }
    }

    fn from_code(code: i64, unit: fn(u64) -> SystemTime) -> Result<FieldExpireTime> {
        match code {
            -2 => Ok(FieldExpireTime::NoField),
            -1 => Ok(FieldExpireTime::NoExpiry),
            n => match u64::try_from(n) {
                Ok(n) => Ok(FieldExpireTime::ExpiresAt(unit(n))),
                Err(_) => Err(Error::type_mismatch(
                    "a field expiry time (-2, -1 or >= 0)",
                    format!("integer {n}"),
                )),
            },
        }
    }
}

/// A reply converter for per-field results: a nil reply (Redis's answer for a missing hash;
/// Valkey answers `-2` per field) is an empty list.
pub(crate) fn per_field<T: FromValue>(value: Value) -> Result<Vec<T>> {
    match value {
        Value::Nil => Ok(Vec::new()),
        v => Vec::from_value(v),
    }
}

/// `HTTL`'s reply.
pub(crate) fn field_ttls_secs(value: Value) -> Result<Vec<FieldTtl>> {
    per_field::<i64>(value)?
        .into_iter()
        .map(|c| FieldTtl::from_code(c, Duration::from_secs))
        .collect()
}

/// `HPTTL`'s reply.
pub(crate) fn field_ttls_millis(value: Value) -> Result<Vec<FieldTtl>> {
    per_field::<i64>(value)?
        .into_iter()
        .map(|c| FieldTtl::from_code(c, Duration::from_millis))
        .collect()
}

/// `HEXPIRETIME`'s reply.
pub(crate) fn field_expire_times_secs(value: Value) -> Result<Vec<FieldExpireTime>> {
    per_field::<i64>(value)?
        .into_iter()
        .map(|c| FieldExpireTime::from_code(c, time::from_unix_secs))
        .collect()
}

/// `HPEXPIRETIME`'s reply.
pub(crate) fn field_expire_times_millis(value: Value) -> Result<Vec<FieldExpireTime>> {
    per_field::<i64>(value)?
        .into_iter()
        .map(|c| FieldExpireTime::from_code(c, time::from_unix_millis))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn ints(xs: &[i64]) -> Value {
        Value::Array(xs.iter().map(|&i| Value::Int(i)).collect())
    }

    #[test]
    fn codes_become_variants() {
        let v: Vec<FieldExpiry> = per_field(ints(&[-2, 0, 1, 2])).unwrap();
        assert_eq!(
            v,
            [
                FieldExpiry::NoField,
                FieldExpiry::ConditionNotMet,
                FieldExpiry::Set,
                FieldExpiry::Deleted
            ]
        );
        assert!(per_field::<FieldExpiry>(ints(&[3])).is_err());
        assert!(per_field::<FieldExpiry>(Value::Nil).unwrap().is_empty());
        let v: Vec<FieldPersist> = per_field(ints(&[-2, -1, 1])).unwrap();
        assert_eq!(
            v,
            [
                FieldPersist::NoField,
                FieldPersist::NoExpiry,
                FieldPersist::Persisted
            ]
        );
        assert!(per_field::<FieldPersist>(ints(&[0])).is_err());
    }

    #[test]
    fn times_have_units() {
        let v = field_ttls_secs(ints(&[-2, -1, 5])).unwrap();
        assert_eq!(
            v,
            [
                FieldTtl::NoField,
                FieldTtl::NoExpiry,
                FieldTtl::ExpiresIn(Duration::from_secs(5))
            ]
        );
        assert_eq!(v[2].duration(), Some(Duration::from_secs(5)));
        assert_eq!(v[0].duration(), None);
        let v = field_ttls_millis(ints(&[5])).unwrap();
        assert_eq!(v, [FieldTtl::ExpiresIn(Duration::from_millis(5))]);
        assert!(field_ttls_secs(ints(&[-3])).is_err());
        let v = field_expire_times_secs(ints(&[-1, 10])).unwrap();
        assert_eq!(v[1].time(), Some(UNIX_EPOCH + Duration::from_secs(10)));
        assert_eq!(v[0], FieldExpireTime::NoExpiry);
        let v = field_expire_times_millis(ints(&[-2, 10])).unwrap();
        assert_eq!(v[0], FieldExpireTime::NoField);
        assert_eq!(v[1].time(), Some(UNIX_EPOCH + Duration::from_millis(10)));
        assert!(field_expire_times_millis(Value::Int(1)).is_err());
        assert!(field_expire_times_millis(Value::Nil).unwrap().is_empty());
    }

    #[test]
    fn hsetex_options_order() {
        let c: Cmd<Value> = Cmd::new("HSETEX").key("h");
        let c = HSetExOptions::new()
            .keepttl()
            .fxx()
            .xx()
            .apply(c)
            .arg("FIELDS");
        let words: Vec<&[u8]> = c.request().args().collect();
        assert_eq!(
            words,
            [&b"HSETEX"[..], b"h", b"XX", b"FXX", b"KEEPTTL", b"FIELDS"]
        );
    }
}
