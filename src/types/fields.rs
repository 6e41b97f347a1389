//! Reading map-shaped replies (a RESP3 map or a RESP2 flat array of names and values) field by
//! field: the one helper every reply type with named fields uses.

use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// The named fields of a map-shaped reply, taken one by one.
pub(crate) struct Fields {
    what: &'static str,
    fields: Vec<(String, Value)>,
}

impl Fields {
    /// Reads `value` (a map or a flat array of pairs); `what` names the reply in errors.
    pub(crate) fn read(value: Value, what: &'static str) -> Result<Fields> {
        Ok(Fields {
            what,
            fields: Vec::from_value(value)?,
        })
    }

    /// Removes and returns the field `name`.
    pub(crate) fn take(&mut self, name: &str) -> Option<Value> {
        let at = self.fields.iter().position(|(k, _)| k == name)?;
        // `remove`, not `swap_remove`: what is left keeps the server's order (see `rest`).
        Some(self.fields.remove(at).1)
    }

    /// A field every server sends.
    pub(crate) fn req<T: FromValue>(&mut self, name: &str) -> Result<T> {
        match self.take(name) {
            Some(v) => T::from_value(v),
            None => Err(self.missing(name)),
        }
    }

    /// A field some servers leave out, or that may be nil.
    pub(crate) fn opt<T: FromValue>(&mut self, name: &str) -> Result<Option<T>> {
        match self.take(name) {
            Some(v) => Option::<T>::from_value(v),
            None => Ok(None),
        }
    }

    /// A list field some servers leave out (empty then).
    pub(crate) fn list<T: FromValue>(&mut self, name: &str) -> Result<Vec<T>> {
        Ok(self.opt::<Vec<T>>(name)?.unwrap_or_default())
    }

    /// The fields not taken yet, in the order the server sent them.
    pub(crate) fn rest(self) -> Vec<(String, Value)> {
        self.fields
    }

    /// The error for a missing field.
    pub(crate) fn missing(&self, name: &str) -> Error {
        Error::type_mismatch(&format!("{} with the field `{name}`", self.what), "none")
    }
}

/// A sequence of exactly the expected length, or a type error naming `what`.
pub(crate) fn elements(value: Value, what: &str) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) | Value::Set(items) | Value::Push(items) => Ok(items),
        Value::Attribute { value, .. } => elements(*value, what),
        Value::Error(e) => Err(Error::server(e)),
        other => Err(Error::type_mismatch(what, other.describe())),
    }
}
