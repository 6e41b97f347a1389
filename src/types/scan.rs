//! Options and the reply page of the cursor commands (`SCAN`, `HSCAN`, `SSCAN`, `ZSCAN`).

use bytes::Bytes;

use super::KeyType;
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// The optional arguments of `SCAN`: `MATCH`, `COUNT`, `TYPE`.
///
/// ```
/// use coredis::types::{KeyType, ScanOptions};
/// let o = ScanOptions::new().pattern("user:*").count(100).type_(KeyType::Hash);
/// assert_eq!(o.count_hint(), Some(100));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ScanOptions {
    pattern: Option<Bytes>,
    count: Option<u64>,
    type_: Option<KeyType>,
}

impl ScanOptions {
    /// No options: every key, the server's default page size (10).
    #[must_use]
    pub fn new() -> ScanOptions {
        ScanOptions::default()
    }

    /// `MATCH pattern`: only keys matching the glob-style `pattern`. The filter applies after
    /// a page is read, so pages may be short or empty before the walk ends.
    #[must_use]
    pub fn pattern(mut self, pattern: impl AsRef<[u8]>) -> ScanOptions {
        self.pattern = Some(Bytes::copy_from_slice(pattern.as_ref()));
        self
    }

    /// `COUNT count`: how much work the server does per page (a hint, not a page size).
    #[must_use]
    pub fn count(mut self, count: u64) -> ScanOptions {
        self.count = Some(count);
        self
    }

    /// `TYPE type`: only keys holding this type of value (Redis 6.0+). [`KeyType::Other`]
    /// names a module's type.
    #[must_use]
    pub fn type_(mut self, key_type: KeyType) -> ScanOptions {
        self.type_ = Some(key_type);
        self
    }

    /// The `MATCH` pattern, if set. Defaults to `None`.
    pub fn match_pattern(&self) -> Option<&[u8]> {
        self.pattern.as_deref()
    }

    /// The `COUNT` hint, if set. Defaults to `None`.
    pub fn count_hint(&self) -> Option<u64> {
        self.count
    }

    /// The `TYPE` filter, if set. Defaults to `None`.
    pub fn key_type(&self) -> Option<&KeyType> {
        self.type_.as_ref()
    }

    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("MATCH", self.pattern.as_ref())
            .opt("COUNT", self.count)
            .opt("TYPE", self.type_.as_ref())
    }
}

/// The optional arguments of `HSCAN`, `SSCAN` and `ZSCAN`: `MATCH` and `COUNT`.
///
/// (`HSCAN … NOVALUES` and `ZSCAN … NOSCORES` change the shape of the reply, so they are
/// methods of their own: `hscan_novalues`, `zscan_noscores`.)
///
/// ```
/// use coredis::types::CollectionScanOptions;
/// let o = CollectionScanOptions::new().pattern("field:*").count(50);
/// assert_eq!(o.match_pattern(), Some(&b"field:*"[..]));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CollectionScanOptions {
    pattern: Option<Bytes>,
    count: Option<u64>,
}

impl CollectionScanOptions {
    /// No options: every element, the server's default page size (10).
    #[must_use]
    pub fn new() -> CollectionScanOptions {
        CollectionScanOptions::default()
    }

    /// `MATCH pattern`: only members (hash fields) matching the glob-style `pattern`.
    #[must_use]
    pub fn pattern(mut self, pattern: impl AsRef<[u8]>) -> CollectionScanOptions {
        self.pattern = Some(Bytes::copy_from_slice(pattern.as_ref()));
        self
    }

    /// `COUNT count`: how much work the server does per page (a hint; small collections
    /// come in one page whatever it says).
    #[must_use]
    pub fn count(mut self, count: u64) -> CollectionScanOptions {
        self.count = Some(count);
        self
    }

    /// The `MATCH` pattern, if set. Defaults to `None`.
    pub fn match_pattern(&self) -> Option<&[u8]> {
        self.pattern.as_deref()
    }

    /// The `COUNT` hint, if set. Defaults to `None`.
    pub fn count_hint(&self) -> Option<u64> {
        self.count
    }

    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("MATCH", self.pattern.as_ref())
            .opt("COUNT", self.count)
    }
}

/// One page of a cursor walk: the cursor to continue from and the items of this page.
///
/// A walk starts at cursor `0` and ends when the server returns cursor `0` again
/// ([`ScanPage::is_last`]); pages may be empty before that. Items are keys (`SCAN`), members
/// (`SSCAN`), `(field, value)` pairs (`HSCAN`) or `(member, score)` pairs (`ZSCAN`, scores as
/// `f64`), the same under RESP2 and RESP3.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ScanPage<T> {
    /// Where the next call continues; `0` when the walk is complete.
    pub cursor: u64,
    /// The items of this page.
    pub items: Vec<T>,
}

impl<T> ScanPage<T> {
    /// True when this is the last page (the cursor is back to `0`).
    pub fn is_last(&self) -> bool {
        self.cursor == 0
    }
}

impl<T: FromValue> FromValue for ScanPage<T> {
    fn from_value(value: Value) -> Result<Self> {
        let expected = "a cursor and a list of items";
        let items = match value {
            Value::Array(items) => items,
            other => return Err(Error::type_mismatch(expected, other.describe())),
        };
        let mut it = items.into_iter();
        match (it.next(), it.next(), it.next()) {
            (Some(cursor), Some(items), None) => Ok(ScanPage {
                cursor: u64::from_value(cursor)?,
                items: Vec::<T>::from_value(items)?,
            }),
            _ => Err(Error::type_mismatch(expected, "another number of elements")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn pages() {
        let v = Value::Array(vec![
            bulk("17"),
            Value::Array(vec![bulk("a"), bulk("1.5"), bulk("b"), bulk("2")]),
        ]);
        let page: ScanPage<(String, f64)> = FromValue::from_value(v).unwrap();
        assert_eq!(page.cursor, 17);
        assert!(!page.is_last());
        assert_eq!(page.items, [("a".into(), 1.5), ("b".into(), 2.0)]);
        let empty = Value::Array(vec![bulk("0"), Value::Array(vec![])]);
        let page: ScanPage<String> = FromValue::from_value(empty).unwrap();
        assert!(page.is_last() && page.items.is_empty());
        for bad in [
            Value::Nil,
            Value::Array(vec![bulk("0")]),
            Value::Array(vec![bulk("x"), Value::Array(vec![])]),
            Value::Array(vec![bulk("0"), Value::Array(vec![]), bulk("0")]),
        ] {
            assert!(ScanPage::<String>::from_value(bad).is_err());
        }
    }
}
