//! Decoding one complete frame into a [`Value`].

use bytes::Bytes;
use memchr::memchr;

use super::scan::{
    bulk_too_long, check_body, parse_header, short_len, too_deep, AggKind, BodyKind, Header,
};
use super::Limits;
use crate::error::{Error, Result, ServerError};
use crate::value::Value;

/// The fewest bytes one encoded value takes (`_\r\n`), used to bound preallocation.
const MIN_VALUE_LEN: usize = 3;

#[cold]
fn truncated() -> Error {
    Error::protocol("RESP frame is truncated")
}

/// A cursor over one frame.
struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
    limits: &'a Limits,
}

impl<'a> Parser<'a> {
    /// Reads the header at the cursor: its type byte and the offsets of its line (without the
    /// type byte and the CRLF). Moves the cursor past the CRLF.
    fn line(&mut self) -> Result<(u8, usize, usize)> {
        let ty = *self.buf.get(self.pos).ok_or_else(truncated)?;
        let start = self.pos + 1; // `pos < buf.len()`, so no overflow.
        let rest = self.buf.get(start..).ok_or_else(truncated)?;
        let cr = start + memchr(b'\r', rest).ok_or_else(truncated)?;
        match self.buf.get(cr + 1) {
            Some(b'\n') => {}
            Some(_) => return Err(Error::protocol("RESP line has a CR without LF")),
            None => return Err(truncated()),
        }
        self.pos = cr + 2;
        Ok((ty, start, cr))
    }

    /// Reads the next header and validates it.
    fn header(&mut self) -> Result<(Header, usize, usize)> {
        let (ty, start, end) = self.line()?;
        let line = self.buf.get(start..end).unwrap_or_default();
        Ok((parse_header(ty, line, self.limits)?, start, end))
    }

    /// Skips a body of `len` bytes and its CRLF at the cursor; returns the body's offsets.
    fn body(&mut self, kind: BodyKind, len: usize) -> Result<(usize, usize)> {
        let start = self.pos;
        let end = start.checked_add(len).ok_or_else(truncated)?;
        let after = end.checked_add(2).ok_or_else(truncated)?;
        if self.buf.len() < after {
            return Err(truncated());
        }
        check_body(self.buf, kind, start, after)?;
        self.pos = after;
        Ok((start, end))
    }

    /// The depth of the children of a non-empty aggregate opened at `depth`.
    fn enter(&self, depth: usize) -> Result<usize> {
        if depth >= self.limits.max_depth {
            return Err(too_deep(self.limits.max_depth));
        }
        Ok(depth + 1)
    }

    /// A capacity for `n` announced values that the rest of the frame can actually hold.
    fn capacity(&self, n: usize, min_len: usize) -> usize {
        let remaining = self.buf.len().saturating_sub(self.pos);
        n.min(remaining / min_len)
    }

    /// Decodes the value at the cursor; `depth` is the number of enclosing aggregates.
    fn value(&mut self, frame: &Bytes, depth: usize) -> Result<Value> {
        // Fast path for the most common value, a bulk string with a plain length; it validates
        // exactly as `parse_header` does.
        if self.buf.get(self.pos) == Some(&b'$') {
            if let Some((len, next)) = short_len(self.buf, self.pos + 1) {
                if len > self.limits.max_bulk_len {
                    return Err(bulk_too_long(len, self.limits));
                }
                self.pos = next;
                let (start, end) = self.body(BodyKind::Bulk, len)?;
                return Ok(Value::Bulk(frame.slice(start..end)));
            }
        }
        let (header, start, end) = self.header()?;
        Ok(match header {
            Header::Nil => Value::Nil,
            Header::Simple => Value::SimpleString(frame.slice(start..end)),
            Header::Error => Value::Error(self.server_error(start, end)),
            Header::Int(i) => Value::Int(i),
            Header::Double(d) => Value::Double(d),
            Header::Boolean(b) => Value::Boolean(b),
            Header::BigNumber => Value::BigNumber(frame.slice(start..end)),
            Header::Body { kind, len } => {
                let (start, end) = self.body(kind, len)?;
                match kind {
                    BodyKind::Bulk => Value::Bulk(frame.slice(start..end)),
                    BodyKind::BlobError => Value::Error(self.server_error(start, end)),
                    BodyKind::Verbatim => {
                        let format = match self.buf.get(start..start.saturating_add(3)) {
                            Some(&[a, b, c]) => [a, b, c],
                            _ => return Err(truncated()),
                        };
                        Value::Verbatim {
                            format,
                            text: frame.slice(start.saturating_add(4).min(end)..end),
                        }
                    }
                }
            }
            Header::Aggregate { kind, n } => {
                if n == 0 {
                    match kind {
                        AggKind::Array => return Ok(Value::Array(Vec::new())),
                        AggKind::Set => return Ok(Value::Set(Vec::new())),
                        AggKind::Push => return Ok(Value::Push(Vec::new())),
                        AggKind::Map => return Ok(Value::Map(Vec::new())),
                        AggKind::Attribute => {}
                    }
                }
                let depth = self.enter(depth)?;
                match kind {
                    AggKind::Array => Value::Array(self.seq(frame, n, depth)?),
                    AggKind::Set => Value::Set(self.seq(frame, n, depth)?),
                    AggKind::Push => Value::Push(self.seq(frame, n, depth)?),
                    AggKind::Map => Value::Map(self.pairs(frame, n, depth)?),
                    AggKind::Attribute => {
                        let attributes = self.pairs(frame, n, depth)?;
                        let value = Box::new(self.value(frame, depth)?);
                        Value::Attribute { attributes, value }
                    }
                }
            }
        })
    }

    fn seq(&mut self, frame: &Bytes, n: usize, depth: usize) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(self.capacity(n, MIN_VALUE_LEN));
        for _ in 0..n {
            out.push(self.value(frame, depth)?);
        }
        Ok(out)
    }

    fn pairs(&mut self, frame: &Bytes, n: usize, depth: usize) -> Result<Vec<(Value, Value)>> {
        let mut out = Vec::with_capacity(self.capacity(n, 2 * MIN_VALUE_LEN));
        for _ in 0..n {
            let k = self.value(frame, depth)?;
            let v = self.value(frame, depth)?;
            out.push((k, v));
        }
        Ok(out)
    }

    fn server_error(&self, start: usize, end: usize) -> ServerError {
        let text = self.buf.get(start..end).unwrap_or_default();
        ServerError::from_line(&String::from_utf8_lossy(text))
    }

    /// Skips the value at the cursor without building it.
    fn skip(&mut self, depth: usize) -> Result<()> {
        match self.header()?.0 {
            Header::Body { kind, len } => {
                self.body(kind, len)?;
            }
            Header::Aggregate { kind, n } => {
                let children = kind.children(n)?;
                if children > 0 {
                    let depth = self.enter(depth)?;
                    for _ in 0..children {
                        self.skip(depth)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Decodes one complete frame (as delimited by [`FrameScanner`](super::FrameScanner)) into a
/// [`Value`], with the default [`Limits`].
///
/// Bulk strings, simple strings, verbatim strings and big numbers are zero-copy
/// [`Bytes::slice`] views of `frame`. Error replies (`-ERR …`, and RESP3 blob errors `!`)
/// become [`Value::Error`], not `Err`; an attribute (`|`) becomes [`Value::Attribute`] around
/// the value it precedes; `$-1`, `*-1` and `_` become [`Value::Nil`]. `Err` (a protocol error,
/// never a panic) when `frame` is malformed, truncated, followed by trailing bytes, or exceeds
/// a limit (nesting deeper than `max_depth` included: recursion is bounded).
#[cfg(test)]
pub(crate) fn decode(frame: &Bytes) -> Result<Value> {
    decode_with_limits(frame, &Limits::default())
}

/// [`decode`] with explicit [`Limits`]. Pass the limits of the
/// [`FrameScanner`](super::FrameScanner) that delimited the frame: then every frame it accepts
/// decodes.
pub(crate) fn decode_with_limits(frame: &Bytes, limits: &Limits) -> Result<Value> {
    let mut p = Parser {
        buf: frame.as_ref(),
        pos: 0,
        limits,
    };
    let value = p.value(frame, 0)?;
    if p.pos != frame.len() {
        return Err(Error::protocol(format!(
            "{} trailing bytes after a RESP frame",
            frame.len().saturating_sub(p.pos)
        )));
    }
    Ok(value)
}

/// True when the complete frame is a RESP3 push (`>`), also when attributes (`|`) precede the
/// push. False for anything else, malformed frames included.
pub(crate) fn is_push(frame: &[u8]) -> bool {
    match frame.first() {
        Some(b'>') => return true,
        Some(b'|') => {}
        _ => return false,
    }
    let limits = Limits::default();
    let mut p = Parser {
        buf: frame,
        pos: 0,
        limits: &limits,
    };
    loop {
        match frame.get(p.pos) {
            Some(b'>') => return true,
            Some(b'|') => {}
            _ => return false,
        }
        let pairs = match p.header() {
            Ok((Header::Aggregate { n, .. }, _, _)) => n,
            _ => return false,
        };
        let Some(values) = pairs.checked_mul(2) else {
            return false;
        };
        for _ in 0..values {
            if p.skip(1).is_err() {
                return false;
            }
        }
    }
}
