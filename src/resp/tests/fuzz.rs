//! The fuzz run: hostile RESP2/RESP3 input into the scanner and the decoder under small and
//! default [`Limits`] (here), and hostile URLs (in `config::url`'s tests, with the same case
//! count and mutations). Bounded by `COREDIS_FUZZ_CASES` cases per property (default
//! [`DEFAULT_FUZZ_CASES`], a few seconds in a debug build); a longer campaign:
//! `COREDIS_FUZZ_CASES=1000000 cargo test --release --lib fuzz_`.
//!
//! What must hold: no panic; the scanner and the decoder agree; a declared length, count or
//! depth over a limit is an error, never an allocation of the declared size; a decoded value
//! never exceeds the limits it was decoded under.

use std::time::{Duration, Instant};

use super::*;

/// Cases per fuzz property when `COREDIS_FUZZ_CASES` is not set.
const DEFAULT_FUZZ_CASES: u32 = 2000;

/// The proptest configuration of every fuzz property: `COREDIS_FUZZ_CASES` cases (default
/// [`DEFAULT_FUZZ_CASES`]), no persisted failures (a failing case is printed; add it as a
/// regression test).
pub(crate) fn fuzz_config() -> ProptestConfig {
    let cases = std::env::var("COREDIS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_FUZZ_CASES);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Small limits (so that generated input crosses them often), or the defaults.
fn arb_limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        1 => Just(Limits::default()),
        3 => (0usize..48, 0usize..12, 1usize..10, prop::option::of(0usize..512)).prop_map(
            |(bulk, agg, depth, reply)| {
                let l = Limits::default()
                    .with_max_bulk_len(bulk)
                    .with_max_aggregate_len(agg)
                    .with_max_depth(depth);
                match reply {
                    Some(r) => l.with_max_reply_len(r),
                    None => l,
                }
            }
        ),
    ]
}

/// A length header far over any small limit: 1 GiB, 10^9, `u32::MAX`, `i64::MAX`, past
/// `u64::MAX`, or any number.
fn arb_huge_len() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1073741824".to_string()),
        Just("1000000000".to_string()),
        Just("4294967295".to_string()),
        Just("9223372036854775807".to_string()),
        Just("18446744073709551616".to_string()),
        Just("99999999999999999999999999999999".to_string()),
        Just("000000000000000000001073741824".to_string()),
        (1u64 << 20..u64::MAX).prop_map(|n| n.to_string()),
    ]
}

/// A frame that declares more than `limits` allow, behind a valid prefix that keeps it
/// reachable (a few enclosing aggregates and finished siblings), then random trailing bytes:
/// a string of a huge length, an aggregate of a huge count, or nesting one level too deep.
fn arb_over_limit() -> impl Strategy<Value = (Limits, Vec<u8>)> {
    let limits = (0usize..48, 0usize..12, 2usize..10).prop_map(|(bulk, agg, depth)| {
        Limits::default()
            .with_max_bulk_len(bulk)
            .with_max_aggregate_len(agg)
            .with_max_depth(depth)
    });
    let over = prop_oneof![
        (prop::sample::select(b"$=!".to_vec()), arb_huge_len()).prop_map(|(t, n)| (t, n, false)),
        (prop::sample::select(b"*%~>|".to_vec()), arb_huge_len()).prop_map(|(t, n)| (t, n, false)),
        Just((b'*', String::new(), true)),
    ];
    (
        limits,
        over,
        0usize..4,
        prop::collection::vec(any::<u8>(), 0..32),
    )
        .prop_map(|(limits, (ty, len, too_deep), enclosing, tail)| {
            let mut wire = Vec::new();
            // Each enclosing level is a 2-element array whose first element is done: depth and
            // count stay within the limits (`max_aggregate_len` may be below 2, so use sets of
            // one then).
            let enclosing = enclosing.min(limits.max_depth().saturating_sub(1));
            let two = limits.max_aggregate_len() >= 2;
            for _ in 0..enclosing {
                wire.extend_from_slice(if two { b"*2\r\n_\r\n" } else { b"~1\r\n" });
            }
            if too_deep {
                // One level past the limit (the enclosing levels count), aggregates of one.
                let levels = limits.max_depth() + 1 - enclosing;
                let one = if limits.max_aggregate_len() >= 1 {
                    &b"*1\r\n"[..]
                } else {
                    b"|0\r\n"
                };
                wire.extend_from_slice(&one.repeat(levels));
                wire.extend_from_slice(b":1\r\n");
            } else {
                wire.push(ty);
                wire.extend_from_slice(len.as_bytes());
                wire.extend_from_slice(b"\r\n");
            }
            wire.extend_from_slice(&tail);
            (limits, wire)
        })
}

/// True when `v` fits `limits`: nesting, aggregate counts and string lengths.
fn within(v: &Value, limits: &Limits, depth: usize) -> bool {
    let agg = |n: usize| n <= limits.max_aggregate_len();
    let nested = |n: usize| n == 0 || depth < limits.max_depth();
    match v {
        Value::Bulk(b) | Value::SimpleString(b) | Value::BigNumber(b) => {
            b.len() <= limits.max_bulk_len()
        }
        Value::Verbatim { text, .. } => text.len() + 4 <= limits.max_bulk_len(),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            agg(items.len())
                && nested(items.len())
                && items.iter().all(|i| within(i, limits, depth + 1))
        }
        Value::Map(pairs) => {
            agg(pairs.len())
                && nested(pairs.len())
                && pairs
                    .iter()
                    .all(|(k, v)| within(k, limits, depth + 1) && within(v, limits, depth + 1))
        }
        Value::Attribute { attributes, value } => {
            agg(attributes.len())
                && depth < limits.max_depth()
                && within(value, limits, depth + 1)
                && attributes
                    .iter()
                    .all(|(k, v)| within(k, limits, depth + 1) && within(v, limits, depth + 1))
        }
        _ => true,
    }
}

/// Structural mutations that byte flips rarely produce: a length header replaced by a huge
/// one, or the frame wrapped in many levels of aggregates.
#[derive(Debug, Clone)]
enum Grow {
    None,
    HugeLength(usize, String),
    Nest(usize, u8),
}

fn arb_grow() -> impl Strategy<Value = Grow> {
    prop_oneof![
        2 => Just(Grow::None),
        1 => (any::<usize>(), arb_huge_len()).prop_map(|(i, n)| Grow::HugeLength(i, n)),
        1 => (1usize..300, prop::sample::select(b"*~>".to_vec())).prop_map(|(d, t)| Grow::Nest(d, t)),
    ]
}

fn grow(wire: Vec<u8>, g: &Grow) -> Vec<u8> {
    match g {
        Grow::None => wire,
        // The digits after the `i`-th type byte that takes a length become `n`.
        Grow::HugeLength(i, n) => {
            let heads: Vec<usize> = wire
                .iter()
                .enumerate()
                .filter(|(_, c)| b"$=!*%~>|".contains(c))
                .map(|(at, _)| at)
                .collect();
            let Some(&at) = heads.get(i % heads.len().max(1)) else {
                return wire;
            };
            let digits_end = wire[at + 1..]
                .iter()
                .position(|c| !c.is_ascii_digit())
                .map_or(wire.len(), |p| at + 1 + p);
            let mut out = wire[..=at].to_vec();
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(&wire[digits_end..]);
            out
        }
        Grow::Nest(depth, ty) => {
            let mut out = [*ty, b'1', b'\r', b'\n'].repeat(*depth);
            out.extend_from_slice(&wire);
            out
        }
    }
}

/// Checks one hostile input: no panic, scanner and decoder agree, and whatever decodes fits
/// the limits.
fn check(wire: &[u8], limits: &Limits) -> Result<(), TestCaseError> {
    if let Some(v) = exercise_with(wire, limits) {
        prop_assert!(within(&v, limits, 0), "{v:?} exceeds {limits:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz_config())]

    #[test]
    fn fuzz_random_bytes(wire in prop::collection::vec(any::<u8>(), 0..512), limits in arb_limits()) {
        check(&wire, &limits)?;
    }

    #[test]
    fn fuzz_resp_like_noise(wire in arb_resp_noise(), limits in arb_limits()) {
        check(&wire, &limits)?;
    }

    #[test]
    fn fuzz_mutated_frames(
        v in arb_value(),
        mutations in prop::option::of(arb_mutations()),
        g in arb_grow(),
        limits in arb_limits(),
    ) {
        let mut wire = grow(encoded(&v), &g);
        if let Some(m) = &mutations {
            wire = mutate(wire, m);
        }
        check(&wire, &limits)?;
    }

    /// Valid frames decode under limits they fit, and fail under limits they do not.
    #[test]
    fn fuzz_limits_are_exact_on_valid_frames(v in arb_value(), limits in arb_limits()) {
        let wire = encoded(&v);
        let fits = within(&v, &limits, 0);
        let scanned = FrameScanner::new(limits).scan(&wire);
        // The decoder is handed frames the scanner delimited: `max_reply_len` is the
        // scanner's alone.
        let decoded = decode_with_limits(&Bytes::from(wire.clone()), &limits);
        // (Error texts and doubles are lines that count against `max_bulk_len` in ways
        // `within` does not model; those values are left to the other properties.)
        if !contains_line_values(&v) {
            prop_assert_eq!(decoded.is_ok(), fits, "{:?} under {:?}", v, limits);
            let fits_reply = fits && wire.len() <= limits.max_reply_len();
            prop_assert_eq!(scanned.is_ok(), fits_reply, "{:?} under {:?}", v, limits);
        }
    }

    /// A declared size over a limit is an error at once, whatever follows, for the scanner
    /// fed whole or byte by byte and for the decoder.
    #[test]
    fn fuzz_over_limit_declarations_are_errors((limits, wire) in arb_over_limit()) {
        let started = Instant::now();
        prop_assert!(FrameScanner::new(limits).scan(&wire).is_err(), "{:?}", wire);
        prop_assert!(decode_with_limits(&Bytes::from(wire.clone()), &limits).is_err());
        let mut s = FrameScanner::new(limits);
        let failed = (0..=wire.len()).any(|i| s.scan(&wire[..i]).is_err());
        prop_assert!(failed, "{:?}", wire);
        prop_assert!(started.elapsed() < Duration::from_secs(2));
    }
}

fn contains_line_values(v: &Value) -> bool {
    match v {
        Value::Error(_) | Value::Double(_) => true,
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            items.iter().any(contains_line_values)
        }
        Value::Map(pairs) => pairs
            .iter()
            .any(|(k, v)| contains_line_values(k) || contains_line_values(v)),
        Value::Attribute { attributes, value } => {
            contains_line_values(value)
                || attributes
                    .iter()
                    .any(|(k, v)| contains_line_values(k) || contains_line_values(v))
        }
        _ => false,
    }
}

/// Peak virtual memory of this process (Linux), in bytes.
fn vm_peak() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmPeak:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The brief's examples, exactly: a 1 GiB bulk string and a 10^9-element array, declared and
/// absent, under small limits (an error) and under limits that allow them (the scanner waits,
/// the decoder says truncated); either way quickly and without reserving the declared size
/// (the process's peak virtual memory does not grow by anything near it).
#[test]
fn fuzz_declared_sizes_are_never_allocated() {
    let small = Limits::default()
        .with_max_bulk_len(16)
        .with_max_aggregate_len(16)
        .with_max_depth(4);
    let roomy = Limits::default()
        .with_max_bulk_len(usize::MAX / 4)
        .with_max_aggregate_len(usize::MAX / 4)
        .with_max_reply_len(usize::MAX);
    let before = vm_peak();
    let started = Instant::now();
    for wire in [
        &b"$1073741824\r\nab"[..],
        b"=1073741824\r\ntxt:ab",
        b"!1073741824\r\nERR",
        b"*1000000000\r\n:1\r\n",
        b"%1000000000\r\n+k\r\n",
        b"~1000000000\r\n",
        b">1000000000\r\n+message\r\n",
        b"|1000000000\r\n",
        b"*2\r\n*1000000000\r\n",
        b"*1000000000000\r\n*1000000000000\r\n*1000000000000\r\n:1\r\n",
        b"%4611686018427387903\r\n+k\r\n",
    ] {
        let frame = Bytes::copy_from_slice(wire);
        assert_protocol_err(FrameScanner::new(small).scan(wire));
        assert_protocol_err(decode_with_limits(&frame, &small));
        assert_eq!(
            FrameScanner::new(roomy).scan(wire).unwrap(),
            None,
            "{wire:?}"
        );
        assert_protocol_err(decode_with_limits(&frame, &roomy));
        let _ = is_push(wire);
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    if let (Some(before), Some(after)) = (before, vm_peak()) {
        // Far below the 10^9 × size_of::<Value>() declared; the margin leaves room for the
        // stacks and allocator arenas of other tests' threads meanwhile. (Bulk strings are
        // never copied: a declared 1 GiB could only be reserved by a vector.)
        let grew = after.saturating_sub(before);
        assert!(grew < 4 << 30, "peak virtual memory grew by {grew} bytes");
    }
}
