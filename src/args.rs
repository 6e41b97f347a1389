//! Turning Rust values into command arguments.
//!
//! Owns: [`ToArg`], implemented for strings, byte strings, integers, floats and booleans.
//! Every argument is sent as a RESP bulk string.
//!
//! Must not: allocate per argument beyond appending to the command's buffer.

use bytes::Bytes;
use std::borrow::Cow;

use crate::resp;

/// A value that can be sent as one command argument.
///
/// Implemented for `str`, `String`, byte slices and vectors, [`Bytes`], all integer types,
/// `f32`/`f64` (shortest round-trip form; infinities as `inf`/`-inf`) and `bool` (`1`/`0`), and
/// for references to any of them.
pub trait ToArg {
    /// Appends `self` to `out` as one RESP bulk string (`$len\r\n…\r\n`).
    fn write_arg(&self, out: &mut Vec<u8>);
}

impl<T: ToArg + ?Sized> ToArg for &T {
    #[inline]
    fn write_arg(&self, out: &mut Vec<u8>) {
        (**self).write_arg(out)
    }
}

macro_rules! bytes_arg {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            #[inline]
            fn write_arg(&self, out: &mut Vec<u8>) {
                resp::write_bulk(out, AsRef::<[u8]>::as_ref(self));
            }
        }
    )*};
}
bytes_arg!(str, String, [u8], Vec<u8>, Bytes, Cow<'_, [u8]>);

impl ToArg for Cow<'_, str> {
    #[inline]
    fn write_arg(&self, out: &mut Vec<u8>) {
        resp::write_bulk(out, self.as_bytes());
    }
}

impl<const N: usize> ToArg for [u8; N] {
    #[inline]
    fn write_arg(&self, out: &mut Vec<u8>) {
        resp::write_bulk(out, self);
    }
}

/// Formats an integer without allocating.
fn write_int(out: &mut Vec<u8>, v: i128) {
    let mut buf = [0u8; 40];
    let mut i = buf.len();
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        if let Some(b) = buf.get_mut(i) {
            *b = b'-';
        }
    }
    resp::write_bulk(out, buf.get(i..).unwrap_or_default());
}

macro_rules! int_arg {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            #[inline]
            fn write_arg(&self, out: &mut Vec<u8>) {
                write_int(out, *self as i128);
            }
        }
    )*};
}
int_arg!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, usize);

impl ToArg for u128 {
    fn write_arg(&self, out: &mut Vec<u8>) {
        resp::write_bulk(out, self.to_string().as_bytes());
    }
}

impl ToArg for f64 {
    fn write_arg(&self, out: &mut Vec<u8>) {
        if self.is_infinite() {
            let text: &[u8] = if *self > 0.0 { b"inf" } else { b"-inf" };
            resp::write_bulk(out, text);
        } else {
            resp::write_bulk(out, self.to_string().as_bytes());
        }
    }
}

impl ToArg for f32 {
    fn write_arg(&self, out: &mut Vec<u8>) {
        f64::from(*self).write_arg(out)
    }
}

impl ToArg for bool {
    fn write_arg(&self, out: &mut Vec<u8>) {
        resp::write_bulk(out, if *self { b"1" } else { b"0" });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc<A: ToArg>(a: A) -> String {
        let mut v = Vec::new();
        a.write_arg(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn args_encode_as_bulk_strings() {
        assert_eq!(enc("foo"), "$3\r\nfoo\r\n");
        assert_eq!(enc(0i64), "$1\r\n0\r\n");
        assert_eq!(enc(-120i32), "$4\r\n-120\r\n");
        assert_eq!(enc(i64::MIN), format!("$20\r\n{}\r\n", i64::MIN));
        assert_eq!(enc(u64::MAX), format!("$20\r\n{}\r\n", u64::MAX));
        assert_eq!(enc(1.5f64), "$3\r\n1.5\r\n");
        assert_eq!(enc(f64::NEG_INFINITY), "$4\r\n-inf\r\n");
        assert_eq!(enc(true), "$1\r\n1\r\n");
        assert_eq!(enc(&b"\x00\r\n"[..]), "$3\r\n\x00\r\n\r\n");
    }
}
