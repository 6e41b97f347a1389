//! Incremental frame boundary detection, and the header-line validation shared with the
//! decoder (so that the scanner accepts exactly the frames the decoder can decode).

use memchr::memchr;
use smallvec::SmallVec;

use super::Limits;
use crate::error::{Error, Result};

/// The longest header line of a fixed-size type (`:`, `$`, `*`, `_`, `#`, …). An `i64` needs at
/// most 20 characters; the rest is slack for leading zeros or a `+` sign.
const MAX_SHORT_LINE: usize = 64;

/// What a length-prefixed body holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BodyKind {
    /// `$`: a bulk string.
    Bulk,
    /// `=`: a verbatim string, `xxx:` then the text.
    Verbatim,
    /// `!`: a blob error.
    BlobError,
}

/// Which aggregate a header opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AggKind {
    /// `*`
    Array,
    /// `%`: `n` pairs.
    Map,
    /// `~`
    Set,
    /// `>`
    Push,
    /// `|`: `n` pairs, then the value they annotate.
    Attribute,
}

/// One validated header line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Header {
    /// `_`, `$-1` or `*-1`.
    Nil,
    /// `+`: the line is the payload.
    Simple,
    /// `-`: the line is the error text.
    Error,
    /// `:`
    Int(i64),
    /// `,`
    Double(f64),
    /// `#`
    Boolean(bool),
    /// `(`: the line is the digits.
    BigNumber,
    /// `$`, `=`, `!`: `len` body bytes and a CRLF follow.
    Body { kind: BodyKind, len: usize },
    /// `*`, `%`, `~`, `>`, `|` with `n` announced elements (pairs for maps and attributes).
    Aggregate { kind: AggKind, n: usize },
}

impl AggKind {
    /// How many values follow the header of an aggregate announcing `n`: `n`, `2n` for maps,
    /// `2n + 1` for attributes (the annotated value).
    pub(super) fn children(self, n: usize) -> Result<usize> {
        let total = match self {
            AggKind::Array | AggKind::Set | AggKind::Push => Some(n),
            AggKind::Map => n.checked_mul(2),
            AggKind::Attribute => n.checked_mul(2).and_then(|c| c.checked_add(1)),
        };
        total.ok_or_else(|| Error::protocol("RESP aggregate length overflows"))
    }
}

/// The longest line a header of type `ty` may have, or `None` when `ty` is not a RESP type.
fn max_line(ty: u8, limits: &Limits) -> Option<usize> {
    match ty {
        b'+' | b'-' | b',' | b'(' => Some(limits.max_bulk_len),
        b':' | b'$' | b'*' | b'_' | b'#' | b'=' | b'%' | b'~' | b'|' | b'>' | b'!' => {
            Some(MAX_SHORT_LINE)
        }
        _ => None,
    }
}

fn preview(line: &[u8]) -> String {
    let cut = line.get(..line.len().min(32)).unwrap_or_default();
    String::from_utf8_lossy(cut).into_owned()
}

#[cold]
fn bad_type(ty: u8) -> Error {
    if ty.is_ascii_graphic() {
        Error::protocol(format!("invalid RESP type byte {:?}", ty as char))
    } else {
        Error::protocol(format!("invalid RESP type byte 0x{ty:02x}"))
    }
}

#[cold]
fn bad_line(what: &str, ty: u8, line: &[u8]) -> Error {
    Error::protocol(format!(
        "invalid RESP {what} in header {:?}",
        format!("{}{}", ty as char, preview(line))
    ))
}

#[cold]
fn line_too_long(ty: u8) -> Error {
    Error::protocol(format!(
        "RESP line of type {:?} exceeds the length limit",
        ty as char
    ))
}

#[cold]
pub(super) fn bulk_too_long(len: usize, limits: &Limits) -> Error {
    Error::protocol(format!(
        "RESP string of {len} bytes exceeds the limit of {} bytes",
        limits.max_bulk_len
    ))
}

#[cold]
fn aggregate_too_long(n: usize, limits: &Limits) -> Error {
    Error::protocol(format!(
        "RESP aggregate of {n} elements exceeds the limit of {}",
        limits.max_aggregate_len
    ))
}

/// Fast path for a complete length line: 1 to 18 digits then CRLF at `buf[from..]`. Returns
/// the value and the offset after the LF; `None` for anything else (negative, longer, or not
/// yet complete), which then takes the general path.
#[inline]
pub(super) fn short_len(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let digits = buf.get(from..)?;
    let mut n: u64 = 0;
    for (i, &c) in digits.iter().enumerate().take(19) {
        match c {
            b'0'..=b'9' => n = n * 10 + u64::from(c - b'0'),
            b'\r' if i > 0 && digits.get(i + 1) == Some(&b'\n') => {
                return Some((usize::try_from(n).ok()?, from + i + 2));
            }
            _ => return None,
        }
    }
    None
}

/// Parses a decimal `i64` with an optional sign; `None` on anything else or on overflow.
pub(super) fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(i64::from(d))?
        } else {
            v.checked_add(i64::from(d))?
        };
    }
    Some(v)
}

/// Parses a length: plain digits (fast path for the common `$5`), or `-1`.
fn parse_len(line: &[u8]) -> Option<i64> {
    if let [d @ b'0'..=b'9'] = line {
        return Some(i64::from(d - b'0'));
    }
    parse_i64(line)
}

fn parse_double(line: &[u8]) -> Option<f64> {
    std::str::from_utf8(line).ok()?.parse::<f64>().ok()
}

fn is_big_number(line: &[u8]) -> bool {
    let digits = match line.split_first() {
        Some((b'-' | b'+', rest)) => rest,
        _ => line,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Validates one header line (`line` is what follows the type byte `ty`, without the CRLF).
/// The scanner and the decoder both go through here.
pub(super) fn parse_header(ty: u8, line: &[u8], limits: &Limits) -> Result<Header> {
    let max = max_line(ty, limits).ok_or_else(|| bad_type(ty))?;
    if line.len() > max {
        return Err(line_too_long(ty));
    }
    match ty {
        b'$' | b'=' | b'!' => {
            let kind = match ty {
                b'$' => BodyKind::Bulk,
                b'=' => BodyKind::Verbatim,
                _ => BodyKind::BlobError,
            };
            let n = match parse_len(line) {
                Some(n) => n,
                None => return Err(bad_len(ty, line)),
            };
            if n == -1 && kind == BodyKind::Bulk {
                return Ok(Header::Nil);
            }
            let len = usize::try_from(n).map_err(|_| bad_line("length", ty, line))?;
            if len > limits.max_bulk_len {
                return Err(bulk_too_long(len, limits));
            }
            if kind == BodyKind::Verbatim && len < 4 {
                return Err(Error::protocol(
                    "RESP verbatim string shorter than its `xxx:` format prefix",
                ));
            }
            Ok(Header::Body { kind, len })
        }
        b'*' | b'%' | b'~' | b'>' | b'|' => {
            let kind = match ty {
                b'*' => AggKind::Array,
                b'%' => AggKind::Map,
                b'~' => AggKind::Set,
                b'>' => AggKind::Push,
                _ => AggKind::Attribute,
            };
            let n = match parse_len(line) {
                Some(n) => n,
                None => return Err(bad_len(ty, line)),
            };
            if n == -1 && kind == AggKind::Array {
                return Ok(Header::Nil);
            }
            let n = usize::try_from(n).map_err(|_| bad_line("length", ty, line))?;
            if n > limits.max_aggregate_len {
                return Err(aggregate_too_long(n, limits));
            }
            Ok(Header::Aggregate { kind, n })
        }
        b'+' => Ok(Header::Simple),
        b'-' => Ok(Header::Error),
        b':' => parse_i64(line)
            .map(Header::Int)
            .ok_or_else(|| bad_line("integer", ty, line)),
        b'_' if line.is_empty() => Ok(Header::Nil),
        b'_' => Err(bad_line("null", ty, line)),
        b'#' => match line {
            b"t" => Ok(Header::Boolean(true)),
            b"f" => Ok(Header::Boolean(false)),
            _ => Err(bad_line("boolean", ty, line)),
        },
        b',' => parse_double(line)
            .map(Header::Double)
            .ok_or_else(|| bad_line("double", ty, line)),
        b'(' if is_big_number(line) => Ok(Header::BigNumber),
        b'(' => Err(bad_line("big number", ty, line)),
        _ => Err(bad_type(ty)),
    }
}

#[cold]
fn bad_len(ty: u8, line: &[u8]) -> Error {
    if line.first() == Some(&b'?') {
        Error::protocol(format!(
            "RESP3 streamed {} (`{}?`) are not supported",
            if matches!(ty, b'$' | b'=' | b'!') {
                "strings"
            } else {
                "aggregates"
            },
            ty as char
        ))
    } else {
        bad_line("length", ty, line)
    }
}

/// Checks the CRLF after a body that ends (CRLF included) at `end`, and the `xxx:` prefix of a
/// verbatim string starting at `start`. `buf` must hold at least `end` bytes.
pub(super) fn check_body(buf: &[u8], kind: BodyKind, start: usize, end: usize) -> Result<()> {
    let crlf = end.checked_sub(2).and_then(|s| buf.get(s..end));
    if crlf != Some(b"\r\n".as_slice()) {
        return Err(Error::protocol("RESP string body is not followed by CRLF"));
    }
    if kind == BodyKind::Verbatim {
        let colon = start.checked_add(3).and_then(|i| buf.get(i));
        if colon != Some(&b':') {
            return Err(Error::protocol(
                "RESP verbatim string lacks its `xxx:` format prefix",
            ));
        }
    }
    Ok(())
}

/// What scanning one header did.
enum Step {
    /// The header (or the body after it) is incomplete.
    NeedMore,
    /// A value is complete.
    Value,
    /// A non-empty aggregate was opened.
    Opened,
}

/// A length-prefixed body the scanner is skipping over.
#[derive(Debug, Clone, Copy)]
struct PendingBody {
    kind: BodyKind,
    /// Offset of the first body byte.
    start: usize,
    /// Offset just past the trailing CRLF.
    end: usize,
}

/// Finds where one RESP frame ends in a growing buffer, incrementally.
///
/// The scanner remembers how far it got: the offset of the next header, the pending body of a
/// bulk string (skipped without reading its bytes), and a stack of how many values each open
/// aggregate still expects. A call after [`scan`](FrameScanner::scan) returned `Ok(None)`
/// resumes there, so receiving a large reply in many reads costs linear time. Scanning never
/// allocates unless aggregates nest deeper than 8.
#[derive(Debug, Clone)]
pub(crate) struct FrameScanner {
    limits: Limits,
    /// Offset (from the frame start) of the next header, or of the pending body's start.
    pos: usize,
    /// Where the CR search for the header line at `pos` resumes (0: from the line start).
    line_from: usize,
    body: Option<PendingBody>,
    /// Values still expected by each open aggregate, innermost last; every entry is ≥ 1.
    stack: SmallVec<[usize; 8]>,
}

impl FrameScanner {
    /// A scanner at the start of a frame, enforcing `limits`.
    pub(crate) fn new(limits: Limits) -> FrameScanner {
        FrameScanner {
            limits,
            pos: 0,
            line_from: 0,
            body: None,
            stack: SmallVec::new(),
        }
    }

    /// Forgets any partial frame, so the next [`scan`](FrameScanner::scan) starts a new one.
    pub(crate) fn reset(&mut self) {
        self.pos = 0;
        self.line_from = 0;
        self.body = None;
        self.stack.clear();
    }

    /// While the body of a bulk string is incomplete: how long the frame is at least (the
    /// offset from the frame start just past that body).
    pub(crate) fn pending_end(&self) -> Option<usize> {
        self.body.map(|b| b.end)
    }

    /// While the body of a bulk string of at least `len` bytes is incomplete: how long the
    /// frame is at least. A reader can make room for all of it at once instead of growing its
    /// buffer step by step (a small element late in a big aggregate does not count).
    pub(crate) fn pending_big_body(&self, len: usize) -> Option<usize> {
        self.body
            .filter(|b| b.end.saturating_sub(b.start) >= len)
            .map(|b| b.end)
    }

    /// `buf` starts at the first byte of the current (not yet complete) frame. Returns
    /// `Ok(Some(n))` when `buf[..n]` is one complete frame (the scanner then resets itself for
    /// the next frame, which starts at `buf[n..]`); `Ok(None)` when more bytes are needed: the
    /// scanner keeps its position, and the next call must pass the same frame start with more
    /// bytes appended (it resumes where it stopped and does not look at the earlier bytes
    /// again, except a partially received header line). `Err` (a protocol error) on invalid
    /// input or an exceeded [`Limits`] bound; the stream is then unusable.
    pub(crate) fn scan(&mut self, buf: &[u8]) -> Result<Option<usize>> {
        let found = self.scan_inner(buf)?;
        let max = self.limits.max_reply_len();
        match found {
            // A bulk string whose announced length already takes the frame past the limit is
            // refused as soon as its header is in.
            None if buf.len() > max || self.pending_end().is_some_and(|end| end > max) => {
                Err(Error::protocol(format!(
                    "a reply longer than the limit of {max} bytes (Limits::max_reply_len) is \
                     arriving"
                )))
            }
            // A complete frame over the limit is refused too. (Found by the fuzz run: before,
            // a reply whose bytes all arrived before this call passed whatever its length, the
            // same reply arriving in pieces failed, so the limit depended on read sizes.)
            Some(n) if n > max => Err(Error::protocol(format!(
                "a reply of {n} bytes exceeds the limit of {max} bytes (Limits::max_reply_len)"
            ))),
            _ => Ok(found),
        }
    }

    fn scan_inner(&mut self, buf: &[u8]) -> Result<Option<usize>> {
        loop {
            let step = match self.body {
                Some(body) if buf.len() < body.end => return Ok(None),
                Some(body) => {
                    check_body(buf, body.kind, body.start, body.end)?;
                    self.body = None;
                    self.pos = body.end;
                    Step::Value
                }
                None => self.header(buf)?,
            };
            match step {
                Step::NeedMore => return Ok(None),
                Step::Opened => {}
                Step::Value => {
                    if self.finish_value() {
                        let n = self.pos;
                        self.reset();
                        return Ok(Some(n));
                    }
                }
            }
        }
    }

    /// Scans the header at `pos`, moving past it.
    #[inline]
    fn header(&mut self, buf: &[u8]) -> Result<Step> {
        let Some(&ty) = buf.get(self.pos) else {
            return Ok(Step::NeedMore);
        };
        let line_start = self.pos + 1; // `pos < buf.len()`, so no overflow.

        // Fast path for the most common headers, a complete `$<digits>` or `*<digits>` line.
        // It validates exactly as `parse_header` does.
        if let (b'$' | b'*', Some((n, next))) = (ty, short_len(buf, line_start)) {
            self.line_from = 0;
            self.pos = next;
            return if ty == b'$' {
                if n > self.limits.max_bulk_len {
                    return Err(bulk_too_long(n, &self.limits));
                }
                self.body(buf, BodyKind::Bulk, n)
            } else {
                if n > self.limits.max_aggregate_len {
                    return Err(aggregate_too_long(n, &self.limits));
                }
                self.open(n)
            };
        }

        let max = max_line(ty, &self.limits).ok_or_else(|| bad_type(ty))?;
        let from = self.line_from.max(line_start);
        let cr = match buf.get(from..).and_then(|rest| memchr(b'\r', rest)) {
            Some(i) => from + i,
            None => {
                if buf.len().saturating_sub(line_start) > max {
                    return Err(line_too_long(ty));
                }
                self.line_from = buf.len().max(from);
                return Ok(Step::NeedMore);
            }
        };
        match buf.get(cr + 1) {
            Some(b'\n') => {}
            Some(_) => return Err(Error::protocol("RESP line has a CR without LF")),
            None => {
                if cr - line_start > max {
                    return Err(line_too_long(ty));
                }
                self.line_from = cr;
                return Ok(Step::NeedMore);
            }
        }
        let line = buf.get(line_start..cr).unwrap_or_default();
        self.line_from = 0;
        self.pos = cr + 2;
        match parse_header(ty, line, &self.limits)? {
            Header::Body { kind, len } => self.body(buf, kind, len),
            Header::Aggregate { kind, n } => self.open(kind.children(n)?),
            _ => Ok(Step::Value),
        }
    }

    /// A body of `len` bytes starts at `pos`: skips it if it has arrived, else remembers it.
    #[inline]
    fn body(&mut self, buf: &[u8], kind: BodyKind, len: usize) -> Result<Step> {
        let start = self.pos;
        let end = start
            .checked_add(len)
            .and_then(|e| e.checked_add(2))
            .ok_or_else(|| Error::protocol("RESP string length overflows"))?;
        if buf.len() < end {
            self.body = Some(PendingBody { kind, start, end });
            return Ok(Step::NeedMore);
        }
        check_body(buf, kind, start, end)?;
        self.pos = end;
        Ok(Step::Value)
    }

    /// An aggregate expecting `children` values starts at `pos`.
    #[inline]
    fn open(&mut self, children: usize) -> Result<Step> {
        if children == 0 {
            return Ok(Step::Value);
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(too_deep(self.limits.max_depth));
        }
        self.stack.push(children);
        Ok(Step::Opened)
    }

    /// Counts one complete value against the open aggregates; true when the frame is complete.
    fn finish_value(&mut self) -> bool {
        while let Some(left) = self.stack.last_mut() {
            if *left > 1 {
                *left -= 1;
                return false;
            }
            self.stack.pop();
        }
        true
    }
}

#[cold]
pub(super) fn too_deep(max: usize) -> Error {
    Error::protocol(format!(
        "RESP aggregates nest deeper than the limit of {max}"
    ))
}
