//! The decoded form of one RESP2/RESP3 reply.
//!
//! Owns: [`Value`], the tree every reply decodes into before it is converted to the type the
//! caller asked for (see [`crate::FromValue`]). Byte payloads are [`bytes::Bytes`] views into the
//! frame that was read, so decoding copies no bulk data (what a view keeps alive: see
//! [`Value`]).
//!
//! Must not: know about commands or connections.

use bytes::Bytes;
use std::fmt;

use crate::error::ServerError;

/// One reply from the server, in the shape the server sent it.
///
/// RESP2 and RESP3 decode into the same enum; RESP3 adds maps, sets, doubles, booleans, big
/// numbers, verbatim strings, attributes and push frames.
///
/// Its byte payloads are [`Bytes`] views into the reply that was read: a view keeps that whole
/// reply alive, and for a reply shorter than 512 bytes up to 4 KiB of the replies read with it
/// (small replies share one allocation per group). To keep many small values for long, copy
/// them (`Bytes::copy_from_slice`, or ask for `Vec<u8>` or `String`).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// RESP2 null bulk / null array, RESP3 `_`.
    Nil,
    /// A simple string (`+OK`).
    SimpleString(Bytes),
    /// An error reply (`-ERR …` or a RESP3 blob error `!`).
    Error(ServerError),
    /// An integer (`:`).
    Int(i64),
    /// A bulk string (`$`).
    Bulk(Bytes),
    /// An array (`*`).
    Array(Vec<Value>),
    /// A RESP3 double (`,`), including `inf`, `-inf` and `nan`.
    Double(f64),
    /// A RESP3 boolean (`#t` / `#f`).
    Boolean(bool),
    /// A RESP3 big number (`(`), as its decimal digits.
    BigNumber(Bytes),
    /// A RESP3 verbatim string (`=`): a three-letter format (`txt`, `mkd`) and the text.
    Verbatim {
        /// The format, e.g. `txt`.
        format: [u8; 3],
        /// The text, without the format prefix.
        text: Bytes,
    },
    /// A RESP3 map (`%`), in the order the server sent it.
    Map(Vec<(Value, Value)>),
    /// A RESP3 set (`~`), in the order the server sent it.
    Set(Vec<Value>),
    /// A RESP3 attribute (`|`) and the value it annotates.
    Attribute {
        /// The attribute pairs.
        attributes: Vec<(Value, Value)>,
        /// The reply the attributes belong to.
        value: Box<Value>,
    },
    /// A RESP3 push frame (`>`): out-of-band data such as pub/sub messages or invalidations.
    Push(Vec<Value>),
}

impl Value {
    /// A short description of the value's shape, for error messages (`"nil"`, `"array of 3"`).
    pub fn describe(&self) -> String {
        match self {
            Value::Nil => "nil".into(),
            Value::SimpleString(s) => format!("simple string {:?}", Preview(s)),
            Value::Error(e) => format!("error {e}"),
            Value::Int(i) => format!("integer {i}"),
            Value::Bulk(b) => format!("bulk string {:?}", Preview(b)),
            Value::Array(a) => format!("array of {}", a.len()),
            Value::Double(d) => format!("double {d}"),
            Value::Boolean(b) => format!("boolean {b}"),
            Value::BigNumber(n) => format!("big number {:?}", Preview(n)),
            Value::Verbatim { text, .. } => format!("verbatim string {:?}", Preview(text)),
            Value::Map(m) => format!("map of {}", m.len()),
            Value::Set(s) => format!("set of {}", s.len()),
            Value::Attribute { value, .. } => value.describe(),
            Value::Push(p) => format!("push of {}", p.len()),
        }
    }

    /// The value without RESP3 attributes around it.
    #[must_use]
    pub fn strip_attributes(self) -> Value {
        match self {
            Value::Attribute { value, .. } => value.strip_attributes(),
            v => v,
        }
    }

    /// The payload of a string-like value (bulk, simple, verbatim, big number).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bulk(b) | Value::SimpleString(b) | Value::BigNumber(b) => Some(b),
            Value::Verbatim { text, .. } => Some(text),
            Value::Attribute { value, .. } => value.as_bytes(),
            _ => None,
        }
    }
}

/// Shows at most 64 bytes of a payload, lossily as UTF-8.
struct Preview<'a>(&'a [u8]);

impl fmt::Debug for Preview<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cut = self.0.len().min(64);
        let s = String::from_utf8_lossy(self.0.get(..cut).unwrap_or_default());
        if cut < self.0.len() {
            write!(f, "{:?}… ({} bytes)", s, self.0.len())
        } else {
            write!(f, "{s:?}")
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("Nil"),
            Value::SimpleString(s) => write!(f, "SimpleString({:?})", Preview(s)),
            Value::Error(e) => write!(f, "Error({e})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::Bulk(b) => write!(f, "Bulk({:?})", Preview(b)),
            Value::Array(a) => f.debug_tuple("Array").field(a).finish(),
            Value::Double(d) => write!(f, "Double({d})"),
            Value::Boolean(b) => write!(f, "Boolean({b})"),
            Value::BigNumber(n) => write!(f, "BigNumber({:?})", Preview(n)),
            Value::Verbatim { format, text } => write!(
                f,
                "Verbatim({}:{:?})",
                String::from_utf8_lossy(format),
                Preview(text)
            ),
            Value::Map(m) => f.debug_tuple("Map").field(m).finish(),
            Value::Set(s) => f.debug_tuple("Set").field(s).finish(),
            Value::Attribute { attributes, value } => f
                .debug_struct("Attribute")
                .field("attributes", attributes)
                .field("value", value)
                .finish(),
            Value::Push(p) => f.debug_tuple("Push").field(p).finish(),
        }
    }
}
