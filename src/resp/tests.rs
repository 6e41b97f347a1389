//! Unit and property tests of the RESP codec.

use bytes::Bytes;
use proptest::prelude::*;

use super::*;
use crate::error::{ErrorKind, ServerError};
use crate::value::Value;

// ---------------------------------------------------------------- helpers

fn b(s: &[u8]) -> Bytes {
    Bytes::copy_from_slice(s)
}

fn scanner() -> FrameScanner {
    FrameScanner::new(Limits::default())
}

/// Scans a complete frame in one call, checks it spans all of `wire`, and decodes it.
fn parse(wire: &[u8]) -> Value {
    assert_eq!(scanner().scan(wire).unwrap(), Some(wire.len()), "{wire:?}");
    decode(&b(wire)).unwrap()
}

fn encoded(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_value(&mut out, v);
    out
}

fn assert_protocol_err<T: std::fmt::Debug>(r: crate::error::Result<T>) {
    match r {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Protocol, "{e}"),
        Ok(v) => panic!("expected a protocol error, got {v:?}"),
    }
}

/// Both the scanner (on the complete input) and the decoder reject `wire`.
fn assert_rejected(wire: &[u8]) {
    assert_protocol_err(scanner().scan(wire));
    assert_protocol_err(decode(&b(wire)));
}

/// Feeds `wire` one byte at a time: `None` on every strict prefix, then the full length.
fn scan_bytewise(wire: &[u8]) {
    scan_bytewise_with(wire, Limits::default());
}

fn pairs(items: &[(Value, Value)]) -> Vec<(Value, Value)> {
    items.to_vec()
}

// ---------------------------------------------------------------- scalar types

#[test]
fn simple_string() {
    assert_eq!(parse(b"+OK\r\n"), Value::SimpleString(b(b"OK")));
    assert_eq!(parse(b"+\r\n"), Value::SimpleString(b(b"")));
}

#[test]
fn error_reply_is_a_value() {
    let v = parse(b"-WRONGTYPE Operation against a key\r\n");
    let Value::Error(e) = v else { panic!("{v:?}") };
    assert_eq!(e.code(), "WRONGTYPE");
    assert_eq!(e.detail(), "Operation against a key");
    assert_eq!(
        parse(b"-ERR\r\n"),
        Value::Error(ServerError::from_line("ERR"))
    );
}

#[test]
fn blob_error() {
    let v = parse(b"!21\r\nSYNTAX invalid syntax\r\n");
    assert_eq!(
        v,
        Value::Error(ServerError::from_line("SYNTAX invalid syntax"))
    );
    assert_eq!(
        parse(b"!0\r\n\r\n"),
        Value::Error(ServerError::from_line(""))
    );
    assert_eq!(
        parse(b"!8\r\nERR a\r\nb\r\n"),
        Value::Error(ServerError::from_line("ERR a\r\nb"))
    );
}

#[test]
fn integers() {
    assert_eq!(parse(b":0\r\n"), Value::Int(0));
    assert_eq!(parse(b":1000\r\n"), Value::Int(1000));
    assert_eq!(parse(b":-42\r\n"), Value::Int(-42));
    assert_eq!(parse(b":+7\r\n"), Value::Int(7));
    assert_eq!(parse(b":9223372036854775807\r\n"), Value::Int(i64::MAX));
    assert_eq!(parse(b":-9223372036854775808\r\n"), Value::Int(i64::MIN));
    assert_rejected(b":9223372036854775808\r\n");
    assert_rejected(b":\r\n");
    assert_rejected(b":-\r\n");
    assert_rejected(b":12a\r\n");
    assert_rejected(b": 1\r\n");
}

#[test]
fn bulk_strings() {
    assert_eq!(parse(b"$5\r\nhello\r\n"), Value::Bulk(b(b"hello")));
    assert_eq!(parse(b"$0\r\n\r\n"), Value::Bulk(b(b"")));
    // Binary-safe: CR, LF and NUL inside the body.
    assert_eq!(parse(b"$6\r\na\r\nb\0c\r\n"), Value::Bulk(b(b"a\r\nb\0c")));
    assert_rejected(b"$5\r\nhelloXY");
    assert_rejected(b"$5\r\nhello\n\r");
    assert_rejected(b"$-2\r\n");
    assert_rejected(b"$x\r\n");
    assert_rejected(b"$\r\n");
}

#[test]
fn bulk_is_zero_copy() {
    let frame = b(b"*2\r\n$3\r\nfoo\r\n+bar\r\n");
    let v = decode(&frame).unwrap();
    let Value::Array(items) = v else { panic!() };
    let (Value::Bulk(foo), Value::SimpleString(bar)) = (&items[0], &items[1]) else {
        panic!()
    };
    assert_eq!(foo.as_ptr(), frame[8..].as_ptr());
    assert_eq!(bar.as_ptr(), frame[14..].as_ptr());
}

#[test]
fn nil_forms() {
    assert_eq!(parse(b"$-1\r\n"), Value::Nil);
    assert_eq!(parse(b"*-1\r\n"), Value::Nil);
    assert_eq!(parse(b"_\r\n"), Value::Nil);
    assert_rejected(b"_x\r\n");
    // Only `$` and `*` have a RESP2 null form.
    assert_rejected(b"%-1\r\n");
    assert_rejected(b"~-1\r\n");
    assert_rejected(b"=-1\r\n");
    assert_rejected(b"!-1\r\n");
}

#[test]
fn doubles() {
    assert_eq!(parse(b",1.5\r\n"), Value::Double(1.5));
    assert_eq!(parse(b",-0.25\r\n"), Value::Double(-0.25));
    assert_eq!(parse(b",10\r\n"), Value::Double(10.0));
    assert_eq!(parse(b",1.23e-5\r\n"), Value::Double(1.23e-5));
    assert_eq!(parse(b",1E10\r\n"), Value::Double(1e10));
    assert_eq!(parse(b",inf\r\n"), Value::Double(f64::INFINITY));
    assert_eq!(parse(b",-inf\r\n"), Value::Double(f64::NEG_INFINITY));
    let Value::Double(nan) = parse(b",nan\r\n") else {
        panic!()
    };
    assert!(nan.is_nan());
    assert_rejected(b",\r\n");
    assert_rejected(b",1.2.3\r\n");
    assert_rejected(b", 1\r\n");
    assert_rejected(b",abc\r\n");
}

#[test]
fn double_encoding_round_trips() {
    for d in [
        0.0,
        -0.0,
        1.0,
        -1.5,
        0.1,
        1e300,
        -1e-300,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        let wire = encoded(&Value::Double(d));
        let Value::Double(back) = parse(&wire) else {
            panic!()
        };
        assert_eq!(back.to_bits(), d.to_bits(), "{d} as {wire:?}");
    }
    assert_eq!(encoded(&Value::Double(f64::INFINITY)), b",inf\r\n");
    assert_eq!(encoded(&Value::Double(f64::NEG_INFINITY)), b",-inf\r\n");
    assert_eq!(encoded(&Value::Double(f64::NAN)), b",nan\r\n");
    let Value::Double(nan) = parse(&encoded(&Value::Double(f64::NAN))) else {
        panic!()
    };
    assert!(nan.is_nan());
}

#[test]
fn booleans() {
    assert_eq!(parse(b"#t\r\n"), Value::Boolean(true));
    assert_eq!(parse(b"#f\r\n"), Value::Boolean(false));
    assert_rejected(b"#x\r\n");
    assert_rejected(b"#\r\n");
    assert_rejected(b"#tt\r\n");
}

#[test]
fn big_numbers() {
    assert_eq!(
        parse(b"(3492890328409238509324850943850943825024385\r\n"),
        Value::BigNumber(b(b"3492890328409238509324850943850943825024385"))
    );
    assert_eq!(parse(b"(-12\r\n"), Value::BigNumber(b(b"-12")));
    assert_eq!(parse(b"(+0\r\n"), Value::BigNumber(b(b"+0")));
    assert_rejected(b"(\r\n");
    assert_rejected(b"(-\r\n");
    assert_rejected(b"(12.5\r\n");
}

#[test]
fn verbatim_strings() {
    assert_eq!(
        parse(b"=15\r\ntxt:Some string\r\n"),
        Value::Verbatim {
            format: *b"txt",
            text: b(b"Some string")
        }
    );
    assert_eq!(
        parse(b"=4\r\nmkd:\r\n"),
        Value::Verbatim {
            format: *b"mkd",
            text: b(b"")
        }
    );
    assert_rejected(b"=3\r\ntxt\r\n");
    assert_rejected(b"=5\r\ntxt-x\r\n");
    assert_rejected(b"=0\r\n\r\n");
}

#[test]
fn streamed_types_are_rejected_clearly() {
    for wire in [
        &b"$?\r\n;4\r\nHell\r\n;0\r\n"[..],
        b"*?\r\n:1\r\n.\r\n",
        b"%?\r\n",
    ] {
        let err = scanner().scan(wire).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.to_string().contains("streamed"), "{err}");
        assert_rejected(wire);
    }
}

#[test]
fn invalid_type_bytes() {
    for wire in [&b"x\r\n"[..], b"\r\n", b"\0", b";4\r\nabcd\r\n", b".\r\n"] {
        assert_rejected(wire);
    }
    // An invalid type byte fails at once, without waiting for a line end.
    assert_protocol_err(scanner().scan(b"?"));
    assert_protocol_err(scanner().scan(b"*1\r\nQ"));
}

#[test]
fn cr_without_lf() {
    assert_rejected(b"+OK\rX\r\n");
    assert_rejected(b"$3\rX\r\n");
}

// ---------------------------------------------------------------- aggregates

#[test]
fn arrays() {
    assert_eq!(parse(b"*0\r\n"), Value::Array(vec![]));
    assert_eq!(
        parse(b"*3\r\n:1\r\n$-1\r\n+a\r\n"),
        Value::Array(vec![
            Value::Int(1),
            Value::Nil,
            Value::SimpleString(b(b"a"))
        ])
    );
    assert_eq!(
        parse(b"*2\r\n*1\r\n:1\r\n*0\r\n"),
        Value::Array(vec![
            Value::Array(vec![Value::Int(1)]),
            Value::Array(vec![])
        ])
    );
    assert_eq!(
        parse(b"*2\r\n*-1\r\n_\r\n"),
        Value::Array(vec![Value::Nil, Value::Nil])
    );
}

#[test]
fn sets() {
    assert_eq!(parse(b"~0\r\n"), Value::Set(vec![]));
    assert_eq!(
        parse(b"~2\r\n+a\r\n#t\r\n"),
        Value::Set(vec![Value::SimpleString(b(b"a")), Value::Boolean(true)])
    );
}

#[test]
fn nested_maps() {
    assert_eq!(parse(b"%0\r\n"), Value::Map(vec![]));
    let wire = b"%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n%1\r\n+inner\r\n~1\r\n,2.5\r\n";
    assert_eq!(
        parse(wire),
        Value::Map(pairs(&[
            (Value::SimpleString(b(b"first")), Value::Int(1)),
            (
                Value::Bulk(b(b"second")),
                Value::Map(vec![(
                    Value::SimpleString(b(b"inner")),
                    Value::Set(vec![Value::Double(2.5)])
                )])
            ),
        ]))
    );
    scan_bytewise(wire);
    // A map with its last value missing is incomplete.
    assert_eq!(scanner().scan(b"%1\r\n+k\r\n").unwrap(), None);
}

#[test]
fn attribute_before_value() {
    let wire = b"|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n";
    let expected = Value::Attribute {
        attributes: vec![(
            Value::SimpleString(b(b"key-popularity")),
            Value::Map(pairs(&[
                (Value::Bulk(b(b"a")), Value::Double(0.1923)),
                (Value::Bulk(b(b"b")), Value::Double(0.0012)),
            ])),
        )],
        value: Box::new(Value::Array(vec![Value::Int(2039123), Value::Int(9543892)])),
    };
    assert_eq!(parse(wire), expected);
    assert_eq!(expected.clone().strip_attributes(), {
        let Value::Attribute { value, .. } = expected else {
            unreachable!()
        };
        *value
    });
    scan_bytewise(wire);
    assert!(!is_push(wire));
    // The attribute alone is not a complete frame: the annotated value must follow.
    assert_eq!(scanner().scan(b"|1\r\n+a\r\n+b\r\n").unwrap(), None);
    assert_eq!(scanner().scan(b"|0\r\n").unwrap(), None);
    assert_eq!(
        parse(b"|0\r\n:1\r\n"),
        Value::Attribute {
            attributes: vec![],
            value: Box::new(Value::Int(1))
        }
    );
}

#[test]
fn attribute_inside_aggregate() {
    // The attribute and its value count as one element of the array.
    let wire = b"*2\r\n|1\r\n+ttl\r\n:3600\r\n+v\r\n:2\r\n";
    assert_eq!(
        parse(wire),
        Value::Array(vec![
            Value::Attribute {
                attributes: vec![(Value::SimpleString(b(b"ttl")), Value::Int(3600))],
                value: Box::new(Value::SimpleString(b(b"v"))),
            },
            Value::Int(2),
        ])
    );
    scan_bytewise(wire);
}

#[test]
fn push_frames() {
    let wire = b">3\r\n$7\r\nmessage\r\n$4\r\nchan\r\n$5\r\nhello\r\n";
    assert_eq!(
        parse(wire),
        Value::Push(vec![
            Value::Bulk(b(b"message")),
            Value::Bulk(b(b"chan")),
            Value::Bulk(b(b"hello")),
        ])
    );
    assert!(is_push(wire));
    assert!(is_push(b">0\r\n"));
    assert_eq!(parse(b">0\r\n"), Value::Push(vec![]));
    // Behind attributes, nested ones included.
    let behind = b"|1\r\n+a\r\n*1\r\n:1\r\n|0\r\n>1\r\n+x\r\n";
    assert!(is_push(behind));
    assert!(matches!(parse(behind), Value::Attribute { .. }));
    assert!(!is_push(b"*1\r\n>0\r\n"));
    assert!(!is_push(b"+OK\r\n"));
    assert!(!is_push(b"|1\r\n+a\r\n+b\r\n+c\r\n"));
    assert!(!is_push(b"|9\r\n"));
    assert!(!is_push(b""));
}

#[test]
fn trailing_bytes_are_rejected_by_decode() {
    assert_protocol_err(decode(&b(b"+OK\r\n+OK\r\n")));
    assert_protocol_err(decode(&b(b"")));
}

// ---------------------------------------------------------------- scanner behaviour

#[test]
fn get_reply_scans_bytewise() {
    scan_bytewise(b"$5\r\nhello\r\n");
    scan_bytewise(b"$-1\r\n");
    scan_bytewise(b"+OK\r\n");
}

#[test]
fn scanner_resets_after_a_frame() {
    let wire = b"*1\r\n:1\r\n+OK\r\n$1\r\nx\r\n";
    let mut s = scanner();
    let n1 = s.scan(wire).unwrap().unwrap();
    assert_eq!(n1, 8);
    let n2 = s.scan(&wire[n1..]).unwrap().unwrap();
    assert_eq!(n2, 5);
    let n3 = s.scan(&wire[n1 + n2..]).unwrap().unwrap();
    assert_eq!(n1 + n2 + n3, wire.len());
    assert_eq!(s.scan(&[]).unwrap(), None);
}

#[test]
fn scanner_reset_forgets_partial_frame() {
    let mut s = scanner();
    assert_eq!(s.scan(b"*2\r\n:1\r\n").unwrap(), None);
    s.reset();
    assert_eq!(s.scan(b"+OK\r\n").unwrap(), Some(5));
}

#[test]
fn scanner_does_not_rescan_completed_parts() {
    // After the scanner has passed the first element and entered the bulk body, the earlier
    // bytes are not looked at again: garbage there (which the caller promises never happens)
    // goes unnoticed, proving the scan resumed rather than restarted.
    let wire = b"*2\r\n$3\r\nfoo\r\n$10\r\n0123456789\r\n";
    let mut s = scanner();
    assert_eq!(s.scan(&wire[..20]).unwrap(), None);
    let mut tampered = wire.to_vec();
    tampered[0] = b'?';
    tampered[8] = b'\r';
    assert_eq!(s.scan(&tampered).unwrap(), Some(wire.len()));
    // A fresh scanner sees the garbage.
    assert_protocol_err(scanner().scan(&tampered));
}

#[test]
fn partial_header_line_resumes() {
    let mut s = scanner();
    assert_eq!(s.scan(b"+hello wor").unwrap(), None);
    assert_eq!(s.scan(b"+hello world\r").unwrap(), None);
    assert_eq!(s.scan(b"+hello world\r\n").unwrap(), Some(14));
}

#[test]
fn scanner_is_clone_and_debug() {
    let mut s = scanner();
    assert_eq!(s.scan(b"*2\r\n:1\r\n").unwrap(), None);
    let mut c = s.clone();
    assert!(format!("{c:?}").contains("FrameScanner"));
    assert_eq!(c.scan(b"*2\r\n:1\r\n:2\r\n").unwrap(), Some(12));
    assert_eq!(s.scan(b"*2\r\n:1\r\n:2\r\n").unwrap(), Some(12));
}

// ---------------------------------------------------------------- limits

#[test]
fn huge_bulk_length_is_rejected_before_the_body() {
    assert_rejected(b"$999999999999\r\n");
    assert_rejected(b"=999999999999\r\n");
    assert_rejected(b"!999999999999\r\n");
    assert_rejected(b"$99999999999999999999999\r\n");
    let small = Limits {
        max_bulk_len: 4,
        ..Limits::default()
    };
    assert_protocol_err(FrameScanner::new(small).scan(b"$5\r\n"));
    assert_eq!(
        FrameScanner::new(small).scan(b"$4\r\nabcd\r\n").unwrap(),
        Some(10)
    );
    assert_protocol_err(decode_with_limits(&b(b"$5\r\nhello\r\n"), &small));
    // Lines count against the same limit, also while waiting for their end.
    assert_protocol_err(FrameScanner::new(small).scan(b"+hello"));
    assert_protocol_err(FrameScanner::new(small).scan(b"+hello\r\n"));
    assert_protocol_err(
        scanner().scan(b":1111111111111111111111111111111111111111111111111111111111111111111"),
    );
}

#[test]
fn huge_aggregate_length_is_rejected() {
    for wire in [
        &b"*4294967296\r\n"[..],
        b"%4294967296\r\n",
        b"~4294967296\r\n",
        b">4294967296\r\n",
        b"|4294967296\r\n",
        b"*9223372036854775807\r\n",
    ] {
        assert_rejected(wire);
    }
    // Within the limit but absent: the scanner waits, the decoder fails on the truncated
    // frame without allocating room for the announced elements.
    assert_eq!(scanner().scan(b"*4294967295\r\n:1\r\n").unwrap(), None);
    assert_protocol_err(decode(&b(b"*4294967295\r\n:1\r\n")));
    assert_protocol_err(decode(&b(b"%4294967295\r\n:1\r\n")));
    assert_protocol_err(decode(&b(b"|4294967295\r\n:1\r\n")));
    assert!(!is_push(b"|4294967295\r\n:1\r\n"));
}

/// Regression (found by the fuzz run): a complete reply longer than `max_reply_len` passed when
/// all its bytes were there at the first scan, and failed when they came in pieces.
#[test]
fn reply_length_limit_does_not_depend_on_read_sizes() {
    let limits = Limits::default().with_max_reply_len(10);
    let wire = b"*3\r\n:1\r\n:2\r\n"; // 12 bytes, one short of complete
    let complete = b"*3\r\n:1\r\n:2\r\n:3\r\n";
    assert_protocol_err(FrameScanner::new(limits).scan(complete));
    let mut s = FrameScanner::new(limits);
    assert_protocol_err(s.scan(wire));
    // At the limit exactly, it passes either way.
    let limits = limits.with_max_reply_len(complete.len());
    assert_eq!(FrameScanner::new(limits).scan(complete).unwrap(), Some(16));
    scan_bytewise_with(complete, limits);
}

/// A bulk string whose announced length takes the frame past `max_reply_len` is refused as soon
/// as its header is in, before any body byte (the reader would otherwise make room for it);
/// a frame that fits passes, and reports how long it is at least while its body arrives.
#[test]
fn reply_length_limit_refuses_an_announced_bulk_at_its_header() {
    let limits = Limits::default().with_max_reply_len(1000);
    assert_protocol_err(FrameScanner::new(limits).scan(b"$2000\r\n"));
    assert_protocol_err(FrameScanner::new(limits).scan(b"*2\r\n:1\r\n$990\r\nab"));
    let mut s = FrameScanner::new(limits);
    assert_eq!(s.scan(b"$990\r\nab").unwrap(), None);
    assert_eq!(s.pending_end(), Some(6 + 990 + 2));
    let mut wire = b"$990\r\n".to_vec();
    wire.extend_from_slice(&[b'x'; 990]);
    wire.extend_from_slice(b"\r\n");
    assert_eq!(s.scan(&wire).unwrap(), Some(wire.len()));
    assert_eq!(s.pending_end(), None);
}

/// [`scan_bytewise`] under `limits`.
fn scan_bytewise_with(wire: &[u8], limits: Limits) {
    let mut s = FrameScanner::new(limits);
    for i in 0..wire.len() {
        assert_eq!(s.scan(&wire[..i]).unwrap(), None, "prefix {i} of {wire:?}");
    }
    assert_eq!(s.scan(wire).unwrap(), Some(wire.len()));
}

#[test]
fn deep_nesting_is_rejected() {
    let deep = b"*1\r\n".repeat(200);
    let mut wire = deep.clone();
    wire.extend_from_slice(b":1\r\n");
    assert_rejected(&wire);
    // Also when it arrives in pieces.
    assert_protocol_err(scanner().scan(&deep));
    let mut s = scanner();
    let mut failed = false;
    for i in 1..=wire.len() {
        match s.scan(&wire[..i]) {
            Ok(None) => {}
            Ok(Some(_)) => panic!("accepted"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Protocol);
                failed = true;
                break;
            }
        }
    }
    assert!(failed);
    // Maps, sets, pushes and attributes count too.
    let mut mixed = Vec::new();
    for i in 0..200 {
        mixed.extend_from_slice(match i % 4 {
            0 => b"%1\r\n+k\r\n".as_slice(),
            1 => b"~1\r\n",
            2 => b">1\r\n",
            _ => b"|0\r\n",
        });
    }
    mixed.extend_from_slice(b"_\r\n");
    assert_rejected(&mixed);
    let mut behind_deep = b"|1\r\n+a\r\n".to_vec();
    behind_deep.extend_from_slice(&b"*1\r\n".repeat(300));
    behind_deep.extend_from_slice(b":1\r\n>0\r\n");
    assert!(!is_push(&behind_deep));
}

#[test]
fn depth_limit_is_exact_and_shared() {
    let limits = Limits::default();
    let nest = |depth: usize| {
        let mut w = b"*1\r\n".repeat(depth);
        w.extend_from_slice(b":1\r\n");
        w
    };
    let ok = nest(limits.max_depth);
    assert_eq!(scanner().scan(&ok).unwrap(), Some(ok.len()));
    assert!(decode(&b(&ok)).is_ok());
    assert_rejected(&nest(limits.max_depth + 1));
    // Empty aggregates do not open a level.
    let mut w = b"*1\r\n".repeat(limits.max_depth);
    w.extend_from_slice(b"*0\r\n");
    assert_eq!(parse(&w), decode(&b(&w)).unwrap());
}

// ---------------------------------------------------------------- encoders

#[test]
fn encode_command_bytes() {
    let mut out = Vec::new();
    encode_command(&mut out, &["SET", "key", "value"]);
    assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
    // Appends; binary-safe; empty arguments.
    encode_command(&mut out, &[b"GET".as_slice(), b"", b"a\r\nb"]);
    assert_eq!(
        out,
        b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*3\r\n$3\r\nGET\r\n$0\r\n\r\n$4\r\na\r\nb\r\n"
            .as_slice()
    );
    let mut out = Vec::new();
    encode_command::<&str>(&mut out, &[]);
    assert_eq!(out, b"*0\r\n");
    let mut out = Vec::new();
    let long = vec![b'x'; 1234];
    encode_command(&mut out, std::slice::from_ref(&long));
    let mut expected = b"*1\r\n$1234\r\n".to_vec();
    expected.extend_from_slice(&long);
    expected.extend_from_slice(b"\r\n");
    assert_eq!(out, expected);
}

#[test]
fn write_helpers() {
    let mut out = Vec::new();
    write_array_header(&mut out, 0);
    write_array_header(&mut out, 10);
    write_bulk(&mut out, b"");
    write_bulk(&mut out, b"abc");
    assert_eq!(out, b"*0\r\n*10\r\n$0\r\n\r\n$3\r\nabc\r\n");
}

#[test]
fn encode_value_wire_format() {
    let v = Value::Array(vec![
        Value::Nil,
        Value::SimpleString(b(b"OK")),
        Value::Error(ServerError::from_line("ERR bad")),
        Value::Error(ServerError::from_line("ERR two\nlines")),
        Value::Int(-5),
        Value::Int(i64::MIN),
        Value::Bulk(b(b"x")),
        Value::Double(1.5),
        Value::Boolean(true),
        Value::BigNumber(b(b"-123")),
        Value::Verbatim {
            format: *b"txt",
            text: b(b"hi"),
        },
        Value::Map(vec![(Value::Int(1), Value::Boolean(false))]),
        Value::Set(vec![]),
        Value::Attribute {
            attributes: vec![],
            value: Box::new(Value::Int(0)),
        },
        Value::Push(vec![Value::Int(1)]),
    ]);
    let wire = encoded(&v);
    assert_eq!(
        wire,
        b"*15\r\n_\r\n+OK\r\n-ERR bad\r\n!13\r\nERR two\nlines\r\n:-5\r\n:-9223372036854775808\r\n$1\r\nx\r\n,1.5\r\n#t\r\n(-123\r\n=6\r\ntxt:hi\r\n%1\r\n:1\r\n#f\r\n~0\r\n|0\r\n:0\r\n>1\r\n:1\r\n"
            .as_slice()
    );
    assert_eq!(parse(&wire), v);
    // A simple string that cannot be one is written as a bulk string.
    assert_eq!(
        encoded(&Value::SimpleString(b(b"a\r\nb"))),
        b"$4\r\na\r\nb\r\n"
    );
}

// ---------------------------------------------------------------- property tests

fn arb_error() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[A-Z]{1,8}( [ -~]{0,20})?",
        "[ -~]{0,24}",
        "[a-zA-Z \r\n]{0,24}",
        any::<String>(),
    ]
    .prop_map(|s| Value::Error(ServerError::from_line(&s)))
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    let bytes = || prop::collection::vec(any::<u8>(), 0..40).prop_map(Bytes::from);
    prop_oneof![
        Just(Value::Nil),
        prop::collection::vec(
            any::<u8>().prop_filter("no CR/LF", |c| *c != b'\r' && *c != b'\n'),
            0..24
        )
        .prop_map(|v| Value::SimpleString(Bytes::from(v))),
        arb_error(),
        any::<i64>().prop_map(Value::Int),
        bytes().prop_map(Value::Bulk),
        any::<f64>()
            .prop_filter("NaN is tested separately", |d| !d.is_nan())
            .prop_map(Value::Double),
        prop_oneof![
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.0),
            Just(-0.0)
        ]
        .prop_map(Value::Double),
        any::<bool>().prop_map(Value::Boolean),
        "[-+]?[0-9]{1,60}".prop_map(|s| Value::BigNumber(Bytes::from(s))),
        ("[a-z]{3}", bytes()).prop_map(|(f, text)| {
            let f = f.as_bytes();
            Value::Verbatim {
                format: [f[0], f[1], f[2]],
                text,
            }
        }),
    ]
}

fn arb_value() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(5, 64, 6, |inner| {
        let list = prop::collection::vec(inner.clone(), 0..6);
        let map = prop::collection::vec((inner.clone(), inner.clone()), 0..4);
        prop_oneof![
            list.clone().prop_map(Value::Array),
            list.clone().prop_map(Value::Set),
            list.prop_map(Value::Push),
            map.clone().prop_map(Value::Map),
            (map, inner).prop_map(|(attributes, value)| Value::Attribute {
                attributes,
                value: Box::new(value)
            }),
        ]
    })
}

/// Wire bytes biased towards RESP syntax, to reach deep into the parsers.
fn arb_resp_noise() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"\r\n".to_vec()),
        prop::sample::select(b"+-:$*_,#(=%~|>!?.;".to_vec()).prop_map(|c| vec![c]),
        "-?[0-9]{1,3}".prop_map(String::into_bytes),
        prop::sample::select(vec!["inf", "-inf", "nan", "t", "f", "txt:", "1.5", "e"])
            .prop_map(|s| s.as_bytes().to_vec()),
        any::<u8>().prop_map(|c| vec![c]),
    ];
    prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
}

/// A mutation of a byte string.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Truncate(usize),
}

pub(crate) fn arb_mutations() -> impl Strategy<Value = Vec<Mutation>> {
    let m = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, c)| Mutation::Set(i, c)),
        (
            any::<usize>(),
            prop::sample::select(b"\r\n0-9:*$%|>".to_vec())
        )
            .prop_map(|(i, c)| Mutation::Set(i, c)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ];
    prop::collection::vec(m, 1..4)
}

pub(crate) fn mutate(mut wire: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = wire.len();
        match *m {
            Mutation::Set(i, c) if len > 0 => wire[i % len] = c,
            Mutation::Insert(i, c) => wire.insert(i % (len + 1), c),
            Mutation::Remove(i) if len > 0 => {
                wire.remove(i % len);
            }
            Mutation::Truncate(i) => wire.truncate(i % (len + 1)),
            _ => {}
        }
    }
    wire
}

/// Runs every entry point on arbitrary input; checks only that nothing panics and that the
/// scanner and the decoder agree on complete frames.
fn exercise(wire: &[u8]) {
    exercise_with(wire, &Limits::default());
}

/// [`exercise`] with the scanner and the decoder under `limits`. Returns the decoded value of
/// the first complete frame, when there is one.
fn exercise_with(wire: &[u8], limits: &Limits) -> Option<Value> {
    let whole = FrameScanner::new(*limits).scan(wire);
    let mut s = FrameScanner::new(*limits);
    let mut bytewise = Ok(None);
    for i in 0..=wire.len() {
        bytewise = s.scan(&wire[..i]);
        if !matches!(bytewise, Ok(None)) {
            break;
        }
    }
    // Feeding in pieces finds the same frame end as feeding at once (or fails too).
    match (&whole, &bytewise) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{wire:?}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("whole {a:?} vs bytewise {b:?} on {wire:?}"),
    }
    let decoded = decode_with_limits(&Bytes::copy_from_slice(wire), limits);
    let _ = is_push(wire);
    match whole {
        Ok(Some(n)) => {
            let frame = Bytes::copy_from_slice(&wire[..n]);
            let v = match decode_with_limits(&frame, limits) {
                Ok(v) => v,
                Err(e) => panic!("scanner accepted what decode rejects: {wire:?} {e}"),
            };
            assert_eq!(is_push(&frame), is_push_value(&v));
            assert_eq!(decoded.is_ok(), n == wire.len());
            Some(v)
        }
        _ => {
            // (`max_reply_len` is the scanner's alone: the decoder is given delimited frames.)
            assert!(
                decoded.is_err() || wire.len() > limits.max_reply_len(),
                "decode accepted what the scanner does not: {wire:?}"
            );
            None
        }
    }
}

fn is_push_value(v: &Value) -> bool {
    match v {
        Value::Push(_) => true,
        Value::Attribute { value, .. } => is_push_value(value),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_split_at_every_offset(v in arb_value()) {
        let wire = encoded(&v);
        let frame = Bytes::from(wire.clone());
        prop_assert_eq!(decode(&frame).unwrap(), v.clone());
        prop_assert_eq!(is_push(&wire), is_push_value(&v));
        for split in 0..=wire.len() {
            let mut s = scanner();
            if split < wire.len() {
                prop_assert_eq!(s.scan(&wire[..split]).unwrap(), None, "split {}", split);
            }
            prop_assert_eq!(s.scan(&wire).unwrap(), Some(wire.len()), "split {}", split);
        }
    }

    #[test]
    fn round_trip_byte_by_byte(v in arb_value()) {
        let wire = encoded(&v);
        let mut s = scanner();
        for i in 0..wire.len() {
            prop_assert_eq!(s.scan(&wire[..i]).unwrap(), None, "prefix {}", i);
        }
        let n = s.scan(&wire).unwrap().unwrap();
        prop_assert_eq!(n, wire.len());
        prop_assert_eq!(decode(&Bytes::from(wire)).unwrap(), v);
    }

    #[test]
    fn concatenated_frames_split_correctly(
        values in prop::collection::vec(arb_value(), 1..6),
        chunks in prop::collection::vec(1usize..40, 1..50),
    ) {
        let mut stream = Vec::new();
        let mut ends = Vec::new();
        for v in &values {
            encode_value(&mut stream, v);
            ends.push(stream.len());
        }
        let stream = Bytes::from(stream);

        // All bytes present at once.
        let mut s = scanner();
        let mut start = 0;
        for (v, end) in values.iter().zip(&ends) {
            let n = s.scan(&stream[start..]).unwrap().unwrap();
            prop_assert_eq!(start + n, *end);
            prop_assert_eq!(&decode(&stream.slice(start..start + n)).unwrap(), v);
            start += n;
        }
        prop_assert_eq!(s.scan(&stream[start..]).unwrap(), None);

        // Bytes arriving in random chunks, as from a socket.
        let mut s = scanner();
        let mut received = 0;
        let mut start = 0;
        let mut found = Vec::new();
        let mut chunk = chunks.iter().cycle();
        while received < stream.len() {
            received = (received + chunk.next().unwrap()).min(stream.len());
            while let Some(n) = s.scan(&stream[start..received]).unwrap() {
                found.push(decode(&stream.slice(start..start + n)).unwrap());
                start += n;
            }
        }
        prop_assert_eq!(start, stream.len());
        prop_assert_eq!(found.len(), values.len());
        for (a, b) in found.iter().zip(&values) {
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn nan_round_trips(prefix in prop::collection::vec(any::<i64>(), 0..3)) {
        let mut items: Vec<Value> = prefix.into_iter().map(Value::Int).collect();
        items.push(Value::Double(f64::NAN));
        let wire = encoded(&Value::Array(items.clone()));
        let Value::Array(back) = parse(&wire) else { panic!() };
        prop_assert_eq!(back.len(), items.len());
        prop_assert!(matches!(back.last(), Some(Value::Double(d)) if d.is_nan()));
        prop_assert_eq!(&back[..back.len() - 1], &items[..items.len() - 1]);
    }

    #[test]
    fn random_bytes_never_panic(wire in prop::collection::vec(any::<u8>(), 0..256)) {
        exercise(&wire);
    }

    #[test]
    fn resp_like_noise_never_panics(wire in arb_resp_noise()) {
        exercise(&wire);
    }

    #[test]
    fn mutated_frames_never_panic(v in arb_value(), mutations in arb_mutations()) {
        exercise(&mutate(encoded(&v), &mutations));
    }
}

mod fuzz;
pub(crate) use fuzz::fuzz_config;
