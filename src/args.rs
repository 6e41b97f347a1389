//! Turning Rust values into command arguments.
//!
//! Owns: [`ToArg`] (one argument), implemented for strings, byte strings, integers, floats and
//! booleans, and [`ToArgs`] ("one or more"): a single argument, an array, a slice, a `Vec` or
//! any of them by reference — what variadic parameters (`DEL key [key …]`) take, so that
//! `r.del("a")` and `r.del(["a", "b"])` both read naturally. Every argument is sent as a RESP
//! bulk string.
//!
//! Must not: allocate per argument beyond appending to the command's buffer.

use bytes::Bytes;
use std::borrow::Cow;

use crate::resp;

/// A value that can be sent as one command argument.
///
/// Implemented for `str`, `String`, byte slices, arrays and vectors (`&[u8]`, `[u8; N]`,
/// `Vec<u8>`: one binary-safe argument), [`Bytes`], every integer type but `u8` (a `u8` is a
/// byte, see above), `f32`/`f64` (shortest round-trip form; infinities as `inf`/`-inf`) and
/// `bool` (`1`/`0`), and for references to any of them.
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
int_arg!(i8, i16, i32, i64, i128, isize, u16, u32, u64, usize);

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

/// One or more arguments: what a variadic parameter takes.
///
/// A single [`ToArg`] value is one argument; an array, slice or `Vec` of them (or a reference
/// to one) is one argument per element. Byte strings stay single arguments: `&[u8]`, `[u8; N]`
/// and `Vec<u8>` are one binary value each.
///
/// ```
/// use coredis::{cmd, ToArgs};
/// assert_eq!(cmd("DEL").keys("a").arg_count(), 2);
/// assert_eq!(cmd("DEL").keys(["a", "b"]).arg_count(), 3);
/// assert_eq!(cmd("DEL").keys(vec!["a".to_string()]).arg_count(), 2);
/// assert_eq!(cmd("DEL").keys(&["a", "b", "c"][..]).arg_count(), 4);
/// assert_eq!(cmd("SET").arg("k").args(&b"bytes"[..]).arg_count(), 3);
/// ```
pub trait ToArgs {
    /// Appends every argument to `out` (as [`ToArg::write_arg`] does) and returns how many.
    fn write_args(&self, out: &mut Vec<u8>) -> usize;
}

impl<T: ToArgs + ?Sized> ToArgs for &T {
    #[inline]
    fn write_args(&self, out: &mut Vec<u8>) -> usize {
        (**self).write_args(out)
    }
}

macro_rules! single_args {
    ($($t:ty),*) => {$(
        impl ToArgs for $t {
            #[inline]
            fn write_args(&self, out: &mut Vec<u8>) -> usize {
                self.write_arg(out);
                1
            }
        }
    )*};
}
single_args!(
    str,
    String,
    [u8],
    Vec<u8>,
    Bytes,
    Cow<'_, [u8]>,
    Cow<'_, str>,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    bool
);

/// No arguments at all: `r.eval::<i64>("return 1", (), ())` runs a script without keys or
/// arguments (an empty array would need its element type spelled out).
impl ToArgs for () {
    #[inline]
    fn write_args(&self, _out: &mut Vec<u8>) -> usize {
        0
    }
}

impl<const N: usize> ToArgs for [u8; N] {
    #[inline]
    fn write_args(&self, out: &mut Vec<u8>) -> usize {
        self.write_arg(out);
        1
    }
}

/// Element types of argument collections: every [`ToArg`] except bytes (`u8`), so that a byte
/// string stays one argument.
macro_rules! many_args {
    ($($t:ty),*) => {$(
        impl<const N: usize> ToArgs for [$t; N] {
            fn write_args(&self, out: &mut Vec<u8>) -> usize {
                self.as_slice().write_args(out)
            }
        }

        impl ToArgs for [$t] {
            fn write_args(&self, out: &mut Vec<u8>) -> usize {
                for a in self {
                    a.write_arg(out);
                }
                self.len()
            }
        }

        impl ToArgs for Vec<$t> {
            fn write_args(&self, out: &mut Vec<u8>) -> usize {
                self.as_slice().write_args(out)
            }
        }
    )*};
}
many_args!(
    &str,
    String,
    &String,
    &[u8],
    Vec<u8>,
    Bytes,
    Cow<'_, str>,
    Cow<'_, [u8]>,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    bool
);

impl<const M: usize, const N: usize> ToArgs for [[u8; M]; N] {
    fn write_args(&self, out: &mut Vec<u8>) -> usize {
        for a in self {
            a.write_arg(out);
        }
        N
    }
}

/// Times as Redis takes them. Relative times are [`Duration`]s, absolute ones [`SystemTime`]s;
/// every command method converts with these, so the rule is the same everywhere: a sub-unit
/// remainder rounds *up* (an expiry of 1.5 s sent in seconds is 2 s, never 1 s, and never 0,
/// which would delete the key at once), and a time before the Unix epoch is 0.
pub(crate) mod time {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    /// Whole seconds, rounded up.
    pub(crate) fn secs(d: Duration) -> u64 {
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }

    /// Whole milliseconds, rounded up (saturating).
    pub(crate) fn millis(d: Duration) -> u64 {
        let ms = d.as_millis() + u128::from(d.subsec_nanos() % 1_000_000 > 0);
        u64::try_from(ms).unwrap_or(u64::MAX)
    }

    /// Seconds since the Unix epoch, rounded up.
    pub(crate) fn unix_secs(t: SystemTime) -> u64 {
        secs(t.duration_since(UNIX_EPOCH).unwrap_or_default())
    }

    /// Milliseconds since the Unix epoch, rounded up.
    pub(crate) fn unix_millis(t: SystemTime) -> u64 {
        millis(t.duration_since(UNIX_EPOCH).unwrap_or_default())
    }

    /// A server's Unix time in seconds (`EXPIRETIME`) as a [`SystemTime`].
    #[allow(dead_code)] // for the commands that return times (EXPIRETIME, …)
    pub(crate) fn from_unix_secs(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// A server's Unix time in milliseconds (`PEXPIRETIME`) as a [`SystemTime`].
    #[allow(dead_code)] // for the commands that return times (EXPIRETIME, …)
    pub(crate) fn from_unix_millis(ms: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn rounding_is_up() {
            assert_eq!(secs(Duration::from_millis(1500)), 2);
            assert_eq!(secs(Duration::from_millis(1)), 1);
            assert_eq!(secs(Duration::from_secs(3)), 3);
            assert_eq!(millis(Duration::from_micros(1500)), 2);
            assert_eq!(millis(Duration::from_millis(7)), 7);
            assert_eq!(millis(Duration::MAX), u64::MAX);
            let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_250);
            assert_eq!(unix_secs(t), 1_700_000_001);
            assert_eq!(unix_millis(t), 1_700_000_000_250);
            assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(5)), 0);
            assert_eq!(
                from_unix_millis(1_250),
                UNIX_EPOCH + Duration::from_millis(1_250)
            );
        }
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

    fn many<A: ToArgs + ?Sized>(a: &A) -> (usize, String) {
        let mut v = Vec::new();
        let n = a.write_args(&mut v);
        (n, String::from_utf8(v).unwrap())
    }

    #[test]
    fn one_or_many() {
        assert_eq!(many("k"), (1, "$1\r\nk\r\n".into()));
        assert_eq!(many(&"k".to_string()), (1, "$1\r\nk\r\n".into()));
        assert_eq!(many(&["a", "b"]), (2, "$1\r\na\r\n$1\r\nb\r\n".into()));
        assert_eq!(many(&vec![1i64, 2]), (2, "$1\r\n1\r\n$1\r\n2\r\n".into()));
        assert_eq!(many(&b"ab"[..]), (1, "$2\r\nab\r\n".into()));
        assert_eq!(many(b"ab"), (1, "$2\r\nab\r\n".into()));
        assert_eq!(many(&vec![b'a', b'b']), (1, "$2\r\nab\r\n".into()));
        assert_eq!(
            many(&[&b"a"[..], b"b"]),
            (2, "$1\r\na\r\n$1\r\nb\r\n".into())
        );
        let empty: [&str; 0] = [];
        assert_eq!(many(&empty), (0, String::new()));
        assert_eq!(many(&()), (0, String::new()));
        let owned = vec!["x".to_string()];
        assert_eq!(many(&owned).0, 1);
        assert_eq!(many(&owned[..]).0, 1);
    }
}
