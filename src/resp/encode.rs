//! Writing commands and values in RESP.

use std::io::Write as _;

use crate::value::Value;

/// Appends the decimal form of `n`.
#[inline]
fn write_u64(out: &mut Vec<u8>, n: u64) {
    if n < 10 {
        out.push(b'0' + n as u8);
    } else {
        write_u64_slow(out, n);
    }
}

fn write_u64_slow(out: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        if let Some(slot) = tmp.get_mut(i) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(tmp.get(i..).unwrap_or_default());
}

/// Appends `{ty}{n}\r\n`.
fn write_header(out: &mut Vec<u8>, ty: u8, n: usize) {
    out.push(ty);
    write_u64(out, n as u64);
    out.extend_from_slice(b"\r\n");
}

/// Appends `{ty}{line}\r\n`.
fn write_line(out: &mut Vec<u8>, ty: u8, line: &[u8]) {
    out.reserve(line.len() + 3);
    out.push(ty);
    out.extend_from_slice(line);
    out.extend_from_slice(b"\r\n");
}

/// Appends `{ty}{len}\r\n{data}\r\n`.
fn write_blob(out: &mut Vec<u8>, ty: u8, data: &[u8]) {
    out.reserve(data.len() + 16);
    write_header(out, ty, data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

fn has_crlf(data: &[u8]) -> bool {
    memchr::memchr2(b'\r', b'\n', data).is_some()
}

/// Appends an array header, `*{n}\r\n`.
pub(crate) fn write_array_header(out: &mut Vec<u8>, n: usize) {
    write_header(out, b'*', n);
}

/// Appends a bulk string, `${len}\r\n{data}\r\n`.
pub(crate) fn write_bulk(out: &mut Vec<u8>, data: &[u8]) {
    write_blob(out, b'$', data);
}

/// Appends one command as a RESP array of bulk strings: `*N\r\n$len\r\narg\r\n...`.
pub(crate) fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    let payload = args
        .iter()
        .fold(16usize, |acc, a| acc.saturating_add(a.as_ref().len() + 16));
    out.reserve(payload);
    write_array_header(out, args.len());
    for arg in args {
        write_bulk(out, arg.as_ref());
    }
}

/// Appends `value` in RESP3 wire format (for tests, tools and fake peers).
///
/// [`Value::Nil`] is `_`. Doubles are `inf`, `-inf`, `nan`, or the shortest decimal form that
/// parses back to the same `f64`. [`Value::Error`] is `-CODE detail`, or a blob error `!` when
/// its text contains CR or LF. A [`Value::SimpleString`] containing CR or LF cannot be a simple
/// string and is written as a bulk string. Big numbers are written as they are, unchecked.
// Used by tests (and fake peers to come); the client itself only writes commands.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn encode_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Nil => out.extend_from_slice(b"_\r\n"),
        Value::SimpleString(s) if has_crlf(s) => write_blob(out, b'$', s),
        Value::SimpleString(s) => write_line(out, b'+', s),
        Value::Error(e) => {
            let text = e.to_string();
            if has_crlf(text.as_bytes()) {
                write_blob(out, b'!', text.as_bytes());
            } else {
                write_line(out, b'-', text.as_bytes());
            }
        }
        Value::Int(i) => {
            out.push(b':');
            if *i < 0 {
                out.push(b'-');
            }
            write_u64(out, i.unsigned_abs());
            out.extend_from_slice(b"\r\n");
        }
        Value::Bulk(b) => write_blob(out, b'$', b),
        Value::Array(items) => {
            write_header(out, b'*', items.len());
            items.iter().for_each(|v| encode_value(out, v));
        }
        Value::Double(d) => {
            out.push(b',');
            if d.is_nan() {
                out.extend_from_slice(b"nan");
            } else if d.is_infinite() {
                out.extend_from_slice(if *d > 0.0 { b"inf" } else { b"-inf" });
            } else {
                // `Debug` is the shortest representation that round-trips, with an exponent for
                // very large and very small magnitudes. Writing to a Vec cannot fail.
                let _ = write!(out, "{d:?}");
            }
            out.extend_from_slice(b"\r\n");
        }
        Value::Boolean(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
        Value::BigNumber(n) => write_line(out, b'(', n),
        Value::Verbatim { format, text } => {
            out.reserve(text.len() + 20);
            write_header(out, b'=', text.len().saturating_add(4));
            out.extend_from_slice(format);
            out.push(b':');
            out.extend_from_slice(text);
            out.extend_from_slice(b"\r\n");
        }
        Value::Map(pairs) => {
            write_header(out, b'%', pairs.len());
            write_pairs(out, pairs);
        }
        Value::Set(items) => {
            write_header(out, b'~', items.len());
            items.iter().for_each(|v| encode_value(out, v));
        }
        Value::Attribute { attributes, value } => {
            write_header(out, b'|', attributes.len());
            write_pairs(out, attributes);
            encode_value(out, value);
        }
        Value::Push(items) => {
            write_header(out, b'>', items.len());
            items.iter().for_each(|v| encode_value(out, v));
        }
    }
}

#[cfg_attr(not(test), allow(dead_code))]
fn write_pairs(out: &mut Vec<u8>, pairs: &[(Value, Value)]) {
    for (k, v) in pairs {
        encode_value(out, k);
        encode_value(out, v);
    }
}
