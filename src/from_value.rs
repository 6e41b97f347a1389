//! Turning replies into Rust values.
//!
//! Owns: [`FromValue`] and its implementations for the standard types. The same conversion
//! accepts the RESP2 and the RESP3 shape of a reply (a RESP3 map or a RESP2 flat array of
//! pairs both become a `HashMap`; a RESP3 double or a RESP2 bulk string both become an `f64`).
//!
//! Must not: panic on any reply. A reply that does not fit is an [`ErrorKind::Type`] error
//! naming what was expected and what came; the executor adds the command's name.
//!
//! [`ErrorKind::Type`]: crate::ErrorKind::Type

use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use crate::error::{Error, Result};
use crate::value::Value;

/// A type a reply can be converted into.
///
/// Implemented for [`Value`] (no conversion), `()` (any reply), `bool`, the integer types but
/// `u8` (so that `Vec<u8>` can be a byte string),
/// `f32`/`f64`, `String`, `Vec<u8>`, [`Bytes`], `Option<T>` (nil is `None`), `Vec<T>`,
/// `HashMap`/`BTreeMap`, `HashSet`/`BTreeSet`, and tuples of up to four elements.
///
/// A nil reply converted to anything but `Option<T>`, `Value` or `()` is an error: ask for
/// `Option<String>` when a key may be missing.
pub trait FromValue: Sized {
    /// Converts one reply.
    fn from_value(value: Value) -> Result<Self>;
}

fn mismatch<T>(expected: &str, got: &Value) -> Result<T> {
    Err(Error::type_mismatch(expected, got.describe()))
}

/// An error reply inside an aggregate becomes a server error.
fn check_error(v: Value) -> Result<Value> {
    match v {
        Value::Error(e) => Err(Error::server(e)),
        Value::Attribute { value, .. } => check_error(*value),
        v => Ok(v),
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self> {
        Ok(value)
    }
}

impl FromValue for () {
    fn from_value(value: Value) -> Result<Self> {
        check_error(value).map(|_| ())
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self> {
        match check_error(value)? {
            Value::Boolean(b) => Ok(b),
            Value::Int(i) => Ok(i != 0),
            Value::SimpleString(s) if &s[..] == b"OK" => Ok(true),
            v @ (Value::Bulk(_) | Value::SimpleString(_)) => match v.as_bytes() {
                Some(b"1") | Some(b"true") => Ok(true),
                Some(b"0") | Some(b"false") => Ok(false),
                _ => mismatch("a boolean", &v),
            },
            v => mismatch("a boolean", &v),
        }
    }
}

fn parse_text<T: std::str::FromStr>(v: &Value, expected: &str) -> Result<T> {
    match v.as_bytes().and_then(|b| std::str::from_utf8(b).ok()) {
        Some(s) => s.parse().or_else(|_| mismatch(expected, v)),
        None => mismatch(expected, v),
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self> {
                let expected = concat!("an integer (", stringify!($t), ")");
                match check_error(value)? {
                    Value::Int(i) => <$t>::try_from(i).or_else(|_| mismatch(expected, &Value::Int(i))),
                    Value::Boolean(b) => Ok(b as $t),
                    Value::Double(d) if d.fract() == 0.0 && d >= <$t>::MIN as f64 && d <= <$t>::MAX as f64 => Ok(d as $t),
                    v @ (Value::Bulk(_) | Value::SimpleString(_) | Value::BigNumber(_) | Value::Verbatim { .. }) => parse_text(&v, expected),
                    v => mismatch(expected, &v),
                }
            }
        }
    )*};
}
// `u8` is left out on purpose: `Vec<u8>` is a byte string, not an array of small integers.
int_from_value!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self> {
        match check_error(value)? {
            Value::Double(d) => Ok(d),
            Value::Int(i) => Ok(i as f64),
            v @ (Value::Bulk(_) | Value::SimpleString(_) | Value::BigNumber(_)) => {
                match v.as_bytes() {
                    Some(b"inf") | Some(b"+inf") => Ok(f64::INFINITY),
                    Some(b"-inf") => Ok(f64::NEG_INFINITY),
                    _ => parse_text(&v, "a float"),
                }
            }
            v => mismatch("a float", &v),
        }
    }
}

impl FromValue for f32 {
    fn from_value(value: Value) -> Result<Self> {
        f64::from_value(value).map(|f| f as f32)
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self> {
        match check_error(value)? {
            v @ (Value::Bulk(_)
            | Value::SimpleString(_)
            | Value::Verbatim { .. }
            | Value::BigNumber(_)) => match v.as_bytes().map(|b| std::str::from_utf8(b)) {
                Some(Ok(s)) => Ok(s.to_string()),
                _ => mismatch("a UTF-8 string", &v),
            },
            Value::Int(i) => Ok(i.to_string()),
            Value::Double(d) => Ok(d.to_string()),
            Value::Boolean(b) => Ok(b.to_string()),
            v => mismatch("a string", &v),
        }
    }
}

impl FromValue for Bytes {
    fn from_value(value: Value) -> Result<Self> {
        match check_error(value)? {
            Value::Bulk(b) | Value::SimpleString(b) | Value::BigNumber(b) => Ok(b),
            Value::Verbatim { text, .. } => Ok(text),
            Value::Int(i) => Ok(Bytes::from(i.to_string())),
            Value::Double(d) => Ok(Bytes::from(d.to_string())),
            v => mismatch("a byte string", &v),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Self> {
        Bytes::from_value(value).map(Vec::from)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::Nil => Ok(None),
            Value::Attribute { value, .. } => Option::<T>::from_value(*value),
            v => T::from_value(v).map(Some),
        }
    }
}

/// The elements of an aggregate reply, in order. A map yields key, value, key, value…
fn elements(value: Value, expected: &str) -> Result<Vec<Value>> {
    match check_error(value)? {
        Value::Array(v) | Value::Set(v) | Value::Push(v) => Ok(v),
        Value::Map(m) => Ok(m.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        v => mismatch(expected, &v),
    }
}

/// The key/value pairs of a map reply, or of a RESP2 flat array of pairs.
fn pairs(value: Value) -> Result<Vec<(Value, Value)>> {
    match check_error(value)? {
        Value::Map(m) => Ok(m),
        Value::Array(v) if v.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(v.len() / 2);
            let mut it = v.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((k, v));
            }
            Ok(out)
        }
        v => mismatch("a map", &v),
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Result<Self> {
        elements(value, "an array")?
            .into_iter()
            .map(T::from_value)
            .collect()
    }
}

impl<T: FromValue + Eq + Hash, S: BuildHasher + Default> FromValue for HashSet<T, S> {
    fn from_value(value: Value) -> Result<Self> {
        elements(value, "a set")?
            .into_iter()
            .map(T::from_value)
            .collect()
    }
}

impl<T: FromValue + Ord> FromValue for BTreeSet<T> {
    fn from_value(value: Value) -> Result<Self> {
        elements(value, "a set")?
            .into_iter()
            .map(T::from_value)
            .collect()
    }
}

impl<K: FromValue + Eq + Hash, V: FromValue, S: BuildHasher + Default> FromValue
    for HashMap<K, V, S>
{
    fn from_value(value: Value) -> Result<Self> {
        pairs(value)?
            .into_iter()
            .map(|(k, v)| Ok((K::from_value(k)?, V::from_value(v)?)))
            .collect()
    }
}

impl<K: FromValue + Ord, V: FromValue> FromValue for BTreeMap<K, V> {
    fn from_value(value: Value) -> Result<Self> {
        pairs(value)?
            .into_iter()
            .map(|(k, v)| Ok((K::from_value(k)?, V::from_value(v)?)))
            .collect()
    }
}

macro_rules! tuple_from_value {
    ($n:literal; $($t:ident),+) => {
        impl<$($t: FromValue),+> FromValue for ($($t,)+) {
            fn from_value(value: Value) -> Result<Self> {
                let expected = concat!("an array of ", $n);
                let items = elements(value, expected)?;
                if items.len() != $n {
                    return Err(Error::type_mismatch(expected, format!("array of {}", items.len())));
                }
                let mut it = items.into_iter();
                Ok(($(
                    match it.next() {
                        Some(v) => $t::from_value(v)?,
                        None => return Err(Error::type_mismatch(expected, "a shorter array")),
                    },
                )+))
            }
        }
    };
}
tuple_from_value!(1; A);
tuple_from_value!(2; A, B);
tuple_from_value!(3; A, B, C);
tuple_from_value!(4; A, B, C, D);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorKind, ServerError};

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn scalars() {
        assert_eq!(i64::from_value(Value::Int(-3)).unwrap(), -3);
        assert_eq!(i64::from_value(bulk("42")).unwrap(), 42);
        assert_eq!(
            u16::from_value(Value::Int(70_000)).unwrap_err().kind(),
            ErrorKind::Type
        );
        assert_eq!(f64::from_value(bulk("1.5")).unwrap(), 1.5);
        assert_eq!(f64::from_value(Value::Double(2.0)).unwrap(), 2.0);
        assert_eq!(f64::from_value(bulk("-inf")).unwrap(), f64::NEG_INFINITY);
        assert_eq!(String::from_value(bulk("hé")).unwrap(), "hé");
        assert_eq!(String::from_value(Value::Int(7)).unwrap(), "7");
        assert!(bool::from_value(Value::Int(1)).unwrap());
        assert!(!bool::from_value(Value::Boolean(false)).unwrap());
        assert!(bool::from_value(Value::SimpleString(Bytes::from_static(b"OK"))).unwrap());
    }

    #[test]
    fn nil_needs_option() {
        assert_eq!(Option::<String>::from_value(Value::Nil).unwrap(), None);
        let e = String::from_value(Value::Nil).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type);
        assert!(e.to_string().contains("nil"), "{e}");
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let e = String::from_value(Value::Bulk(Bytes::from_static(b"\xff\xfe"))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type);
        assert_eq!(
            Vec::<u8>::from_value(Value::Bulk(Bytes::from_static(b"\xff"))).unwrap(),
            vec![0xff]
        );
    }

    #[test]
    fn maps_from_resp2_and_resp3() {
        let resp3 = Value::Map(vec![(bulk("a"), Value::Int(1)), (bulk("b"), Value::Int(2))]);
        let resp2 = Value::Array(vec![bulk("a"), Value::Int(1), bulk("b"), Value::Int(2)]);
        let m3: HashMap<String, i64> = FromValue::from_value(resp3).unwrap();
        let m2: HashMap<String, i64> = FromValue::from_value(resp2).unwrap();
        assert_eq!(m3, m2);
        assert_eq!(m3["b"], 2);
        let odd = Value::Array(vec![bulk("a")]);
        assert!(HashMap::<String, i64>::from_value(odd).is_err());
    }

    #[test]
    fn aggregates_and_tuples() {
        let v = Value::Array(vec![bulk("1"), Value::Nil, bulk("3")]);
        let xs: Vec<Option<i64>> = FromValue::from_value(v.clone()).unwrap();
        assert_eq!(xs, vec![Some(1), None, Some(3)]);
        assert!(Vec::<i64>::from_value(v.clone()).is_err());
        let t: (i64, Option<String>, String) = FromValue::from_value(v.clone()).unwrap();
        assert_eq!(t, (1, None, "3".to_string()));
        assert!(
            <(i64, i64, i64)>::from_value(v.clone()).is_err(),
            "nil into i64 fails the whole tuple"
        );
        assert!(<(i64, i64)>::from_value(v).is_err());
        let e = Vec::<i64>::from_value(Value::Array(vec![Value::Error(ServerError::from_line(
            "ERR x",
        ))]))
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
    }
}
