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
/// `HashMap`/`BTreeMap`, `HashSet`/`BTreeSet`, and tuples of up to twelve elements.
///
/// A nil reply converted to anything but `Option<T>`, `Value` or `()` is an error: ask for
/// `Option<String>` when a key may be missing.
///
/// Pair-shaped replies (`HGETALL`, `ZRANGE … WITHSCORES`, `CONFIG GET`, …) come as a RESP3 map,
/// a RESP3 array of two-element arrays, or a RESP2 flat array of alternating keys and values,
/// depending on the command and the protocol. `Vec<(K, V)>`, `HashMap<K, V>` and
/// `BTreeMap<K, V>` accept all three shapes, so the same code works over RESP2 and RESP3.
///
/// Scores and other floating-point replies: ask for `f64`, which reads both RESP3 doubles
/// and RESP2 text. As a `String`, a RESP3 double is written in Rust's shortest form
/// (`100000000000000000000`), which can differ from the text a server sends over RESP2
/// (`1e+20`).
pub trait FromValue: Sized {
    /// Converts one reply.
    fn from_value(value: Value) -> Result<Self>;

    /// Converts an aggregate reply into a `Vec<Self>`; this is what `Vec<T>` calls. The
    /// default converts each element. Two-element tuples override it to accept the three
    /// pair shapes described above; implement it only for a type that needs the same.
    fn from_aggregate(value: Value) -> Result<Vec<Self>> {
        elements(value, "an array")?
            .into_iter()
            .map(Self::from_value)
            .collect()
    }
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
                    // Whole and below 2^127 in size, a double converts to i128 exactly; the
                    // range check of the target type is then exact too.
                    Value::Double(d) if d.fract() == 0.0 && d.abs() < I128_RANGE => {
                        <$t>::try_from(d as i128).or_else(|_| mismatch(expected, &Value::Double(d)))
                    }
                    v @ (Value::Bulk(_) | Value::SimpleString(_) | Value::BigNumber(_) | Value::Verbatim { .. }) => parse_text(&v, expected),
                    v => mismatch(expected, &v),
                }
            }
        }
    )*};
}
/// 2^127: doubles below this in size convert to `i128` without saturating.
const I128_RANGE: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;

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

/// The key/value pairs of a map reply, of a RESP2 flat array of alternating keys and values,
/// or of an array of two-element arrays (RESP3's shape for `ZRANGE … WITHSCORES` and the
/// like). An array whose elements are all aggregates is read as the last form.
fn pairs(value: Value) -> Result<Vec<(Value, Value)>> {
    match check_error(value)? {
        Value::Map(m) => Ok(m),
        Value::Array(v) | Value::Set(v) if !v.is_empty() && v.iter().all(is_aggregate) => v
            .into_iter()
            .map(|item| match elements(item, "a pair")?.as_mut_slice() {
                [k, v] => Ok((
                    std::mem::replace(k, Value::Nil),
                    std::mem::replace(v, Value::Nil),
                )),
                other => Err(Error::type_mismatch(
                    "a pair",
                    format!("array of {}", other.len()),
                )),
            })
            .collect(),
        Value::Array(v) if v.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(v.len() / 2);
            let mut it = v.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((k, v));
            }
            Ok(out)
        }
        v => mismatch("a map or a list of pairs", &v),
    }
}

fn is_aggregate(v: &Value) -> bool {
    matches!(v, Value::Array(_) | Value::Map(_) | Value::Set(_))
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Result<Self> {
        T::from_aggregate(value)
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
    ($n:literal; $($t:ident),+ $(; $($extra:tt)*)?) => {
        impl<$($t: FromValue),+> FromValue for ($($t,)+) {
            $($($extra)*)?

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
tuple_from_value!(2; A, B;
    fn from_aggregate(value: Value) -> Result<Vec<Self>> {
        pair_list(value)
    }
);

/// The pair shapes a `Vec<(K, V)>` accepts; see [`FromValue`].
fn pair_list<A: FromValue, B: FromValue>(value: Value) -> Result<Vec<(A, B)>> {
    pairs(value)?
        .into_iter()
        .map(|(k, v)| Ok((A::from_value(k)?, B::from_value(v)?)))
        .collect()
}
tuple_from_value!(3; A, B, C);
tuple_from_value!(4; A, B, C, D);
tuple_from_value!(5; A, B, C, D, E);
tuple_from_value!(6; A, B, C, D, E, F);
tuple_from_value!(7; A, B, C, D, E, F, G);
tuple_from_value!(8; A, B, C, D, E, F, G, H);
tuple_from_value!(9; A, B, C, D, E, F, G, H, I);
tuple_from_value!(10; A, B, C, D, E, F, G, H, I, J);
tuple_from_value!(11; A, B, C, D, E, F, G, H, I, J, K);
tuple_from_value!(12; A, B, C, D, E, F, G, H, I, J, K, L);

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

    #[test]
    fn pair_lists_from_every_shape() {
        let expected = vec![("a".to_string(), 1.5), ("b".to_string(), 2.0)];
        let shapes = [
            // RESP3 map (HGETALL), RESP3 array of pairs (ZRANGE WITHSCORES), RESP2 flat array.
            Value::Map(vec![
                (bulk("a"), Value::Double(1.5)),
                (bulk("b"), Value::Double(2.0)),
            ]),
            Value::Array(vec![
                Value::Array(vec![bulk("a"), Value::Double(1.5)]),
                Value::Array(vec![bulk("b"), Value::Double(2.0)]),
            ]),
            Value::Array(vec![bulk("a"), bulk("1.5"), bulk("b"), bulk("2")]),
        ];
        for v in shapes {
            let got: Vec<(String, f64)> = FromValue::from_value(v.clone()).unwrap();
            assert_eq!(got, expected, "{v:?}");
            let m: BTreeMap<String, f64> = FromValue::from_value(v).unwrap();
            assert_eq!(m.len(), 2);
        }
        // Values that are themselves arrays, in a RESP2 flat array.
        let flat = Value::Array(vec![bulk("k"), Value::Array(vec![bulk("x")])]);
        let got: Vec<(String, Vec<String>)> = FromValue::from_value(flat).unwrap();
        assert_eq!(got, vec![("k".to_string(), vec!["x".to_string()])]);
        // Shapes that are not pairs.
        for bad in [
            Value::Array(vec![bulk("a")]),
            Value::Array(vec![Value::Array(vec![bulk("a"), bulk("b"), bulk("c")])]),
            bulk("a"),
        ] {
            let e = Vec::<(String, String)>::from_value(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Type);
        }
        // Other element types are unchanged: a map is flattened for a Vec<String>.
        let m = Value::Map(vec![(bulk("a"), bulk("1"))]);
        assert_eq!(Vec::<String>::from_value(m).unwrap(), ["a", "1"]);
        let nested = Value::Array(vec![Value::Array(vec![bulk("a"), bulk("1")])]);
        let t: Vec<(String, i64)> = FromValue::from_value(nested).unwrap();
        assert_eq!(t, vec![("a".to_string(), 1)]);
    }

    #[test]
    fn doubles_to_integers_never_saturate() {
        assert_eq!(
            i64::from_value(Value::Double(-9007199254740992.0)).unwrap(),
            -(1 << 53)
        );
        assert_eq!(
            i64::from_value(Value::Double(-9223372036854775808.0)).unwrap(),
            i64::MIN
        );
        assert!(i64::from_value(Value::Double(9223372036854775808.0)).is_err());
        assert!(u64::from_value(Value::Double(18446744073709551616.0)).is_err());
        assert!(u64::from_value(Value::Double(-1.0)).is_err());
        assert!(i32::from_value(Value::Double(2147483648.0)).is_err());
        assert_eq!(
            i32::from_value(Value::Double(2147483647.0)).unwrap(),
            i32::MAX
        );
        assert!(i128::from_value(Value::Double(f64::MAX)).is_err());
        assert!(i64::from_value(Value::Double(f64::NAN)).is_err());
        assert!(i64::from_value(Value::Double(f64::INFINITY)).is_err());
        assert!(i64::from_value(Value::Double(1.5)).is_err());
    }
}
