//! Fault injection between the client and a real server: replies split at every byte, stalls,
//! cuts in the middle of a reply, killed and refused connections. Every test runs a real
//! `redis-server` behind the fault-injecting proxy of `coredis_test_support::proxy` and checks
//! that each reply reaches the request that caused it (or that the request fails with the
//! documented error, in time), and that the client recovers afterwards.

use crate::util::{hammer, protocol, url_for, StopOnDrop};
use coredis::prelude::*;
use coredis::{cmd, ErrorKind, Redis, Value};
use coredis_test_support::{self as support, Proxy, Server};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Scheduling slack allowed on top of a timeout (the machine may be loaded).
const SLACK: Duration = Duration::from_millis(1500);
/// How long a recovery may take.
const RECOVERY: Duration = Duration::from_secs(10);

/// A server, a proxy in front of it and a client connected through the proxy. Fields drop in
/// order: the client first, then the proxy, then the server.
struct Rig {
    r: Redis,
    proxy: Proxy,
    _server: Server,
}

impl Rig {
    /// `query` is appended to the client URL (`"timeout=0.3&connect_timeout=1"`).
    fn new(query: &str) -> Rig {
        let server = Server::start();
        let proxy = Proxy::start(&server.addr());
        let url = url_for(&proxy.url(), query);
        let r = Redis::from_url(&url).expect("connect through the proxy");
        Rig {
            r,
            proxy,
            _server: server,
        }
    }
}

/// A deterministic byte pattern that is not valid UTF-8 and contains `\r\n` and RESP type
/// markers, so a parser that looks inside bulk strings gets it wrong.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    const MARKERS: &[u8] = b"\r\n$*%+-:_>\r\n\xff\x00";
    (0..len)
        .map(|i| {
            if i % 97 < MARKERS.len() {
                MARKERS[i % 97]
            } else {
                (i as u8).wrapping_mul(31).wrapping_add(seed)
            }
        })
        .collect()
}

/// Retries `GET key` until it returns `expected`, for at most [`RECOVERY`]. Failures on the
/// way must be connection errors or timeouts, and each call must end within its timeout.
fn await_recovery(r: &Redis, key: &str, expected: &[u8], timeout: Duration) {
    let until = Instant::now() + RECOVERY;
    loop {
        let started = Instant::now();
        let res = r.get::<Vec<u8>>(key);
        let took = started.elapsed();
        assert!(took < timeout + SLACK, "a call took {took:?}");
        match res {
            Ok(v) => {
                assert!(
                    v == expected,
                    "recovered, but GET {key} returned a wrong value"
                );
                return;
            }
            Err(e) => {
                assert!(e.is_connection_error() || e.is_timeout(), "{e}");
                assert!(Instant::now() < until, "did not recover: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

#[test]
fn replies_split_byte_by_byte_are_parsed() {
    let rig = Rig::new("timeout=30");
    let (r, proxy) = (&rig.r, &rig.proxy);
    proxy.set_chunk(1);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        // Vary the pause between bytes (0–50 µs) while the load runs.
        s.spawn(|| {
            let delays = [0u64, 0, 10, 0, 50, 0, 25];
            let mut i = 0;
            while !done.load(Ordering::SeqCst) {
                proxy.set_delay(Duration::from_micros(delays[i % delays.len()]));
                i += 1;
                std::thread::sleep(Duration::from_millis(15));
            }
            proxy.set_delay(Duration::ZERO);
        });
        // Stops the thread above however the load ends (its assertions may fail).
        let _done = StopOnDrop(&done);
        hammer(r, 8, 300, "bytewise");
    });

    // A 1 MiB value, delivered one byte per write.
    let big = pattern(1 << 20, 7);
    r.set("big", &big).unwrap();
    let started = Instant::now();
    let got: Vec<u8> = r.get("big").unwrap();
    support::note(&format!(
        "faults: 1 MiB GET delivered byte by byte in {:?}",
        started.elapsed()
    ));
    assert!(got == big, "the 1 MiB value came back different");

    // A map reply (RESP3; a flat array over RESP2), byte by byte.
    r.execute(
        cmd("HSET")
            .key("h")
            .arg("f1")
            .arg("v1")
            .arg("f\r\n2")
            .arg("")
            .arg("f3")
            .arg(&big[..1000]),
    )
    .unwrap();
    let v = r.execute(cmd("HGETALL").key("h")).unwrap();
    let pairs = match v {
        Value::Map(pairs) if protocol() == 3 => pairs,
        Value::Array(flat) if protocol() == 2 && flat.len() % 2 == 0 => {
            let mut flat = flat.into_iter();
            std::iter::from_fn(|| Some((flat.next()?, flat.next()?))).collect()
        }
        other => panic!("HGETALL over RESP{}: unexpected {other:?}", protocol()),
    };
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = pairs
        .into_iter()
        .map(|(k, v)| match (k, v) {
            (Value::Bulk(k), Value::Bulk(v)) => (k.to_vec(), v.to_vec()),
            other => panic!("unexpected map entry {other:?}"),
        })
        .collect();
    pairs.sort();
    let mut expected = vec![
        (b"f1".to_vec(), b"v1".to_vec()),
        (b"f\r\n2".to_vec(), Vec::new()),
        (b"f3".to_vec(), big[..1000].to_vec()),
    ];
    expected.sort();
    assert!(pairs == expected, "HGETALL map differs");
    let e: String = r.echo("done").unwrap();
    assert_eq!(e, "done");
}

#[test]
fn replies_in_odd_chunks_under_concurrency() {
    let rig = Rig::new("timeout=30");
    let (r, proxy) = (&rig.r, &rig.proxy);
    proxy.set_chunk_cycle(&[1, 2, 3, 5, 7, 13, 64, 4096]);
    std::thread::scope(|s| {
        for t in 0..16 {
            s.spawn(move || {
                let key = format!("odd:key:{t}");
                for i in 0..150 {
                    // Deferred handles stay in flight while the blocking calls run.
                    let handles: Vec<_> = (0..4)
                        .map(|j| {
                            let v = format!("odd-{t}-{i}-{j}\r\n:{j}\r\n");
                            (v.clone(), r.deferred().echo::<String>(v))
                        })
                        .collect();
                    let value = format!("odd-{t}-{i}-{}", "x".repeat(i % 40));
                    r.set(&key, &value).expect("SET");
                    let got: String = r.get(&key).expect("GET");
                    assert_eq!(got, value, "thread {t} got another request's reply");
                    // Collect in reverse order: later replies first.
                    for (expected, h) in handles.into_iter().rev() {
                        assert_eq!(h.wait().expect("deferred ECHO"), expected);
                    }
                }
            });
        }
    });
    let big = pattern(300_000, 3);
    r.set("big", &big).unwrap();
    let got: Vec<u8> = r.get("big").unwrap();
    assert!(got == big, "the 300 kB value came back different");
}

#[test]
fn cut_mid_reply_fails_in_flight_then_recovers() {
    let timeout = Duration::from_secs(5);
    let rig = Rig::new("timeout=5&connect_timeout=2");
    let (r, proxy) = (&rig.r, &rig.proxy);
    let big = pattern(100 * 1024, 11);
    r.set("big", &big).unwrap();
    // The GET reply is "$102400\r\n" (9 bytes), the value, "\r\n": 102,411 bytes. Cut inside
    // the header, in the value, and between the final "\r" and "\n".
    let reply_len = 9 + big.len() + 2;
    for cut in [0, 1, 5, 9, 4096, 50_000, reply_len - 2, reply_len - 1] {
        let before = proxy.connections();
        proxy.cut_after(Some(cut));
        let started = Instant::now();
        let res = r.get::<Vec<u8>>("big");
        let took = started.elapsed();
        match res {
            Ok(v) if v == big => panic!("cut after {cut} bytes: the whole value arrived"),
            Ok(v) => panic!(
                "cut after {cut} bytes: a wrong value of {} bytes was returned",
                v.len()
            ),
            // In flight when the connection was lost: `Closed` (README, "Failure behaviour").
            Err(e) => assert_eq!(e.kind(), ErrorKind::Closed, "cut after {cut} bytes: {e}"),
        }
        assert!(
            took < timeout + SLACK,
            "cut after {cut} bytes: took {took:?}"
        );
        await_recovery(r, "big", &big, timeout);
        assert!(
            proxy.connections() > before,
            "cut after {cut} bytes: recovered without reconnecting"
        );
        let v: String = r.echo("after the cut").unwrap();
        assert_eq!(v, "after the cut");
    }
}

#[test]
fn stall_hits_the_response_timeout_then_recovers() {
    let timeout = Duration::from_millis(300);
    let rig = Rig::new("timeout=0.3&connect_timeout=2");
    let (r, proxy) = (&rig.r, &rig.proxy);
    for i in 0..8 {
        r.set(format!("held:{i}"), format!("held-value-{i}"))
            .unwrap();
        r.set(format!("fresh:{i}"), format!("fresh-value-{i}"))
            .unwrap();
    }
    // The held replies must be delivered on the same connection to test that they are
    // discarded; a machine slow enough to let the stuck-connection check recycle the
    // connection first gets another attempt.
    let mut same_connection = false;
    for attempt in 0..5 {
        let before = proxy.connections();
        proxy.stall(true);
        let results = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for i in 0..5 {
                let results = &results;
                s.spawn(move || {
                    let started = Instant::now();
                    let res = r.get::<String>(format!("held:{i}"));
                    results.lock().unwrap().push((i, res, started.elapsed()));
                });
            }
        });
        proxy.stall(false);
        for (i, res, took) in results.into_inner().unwrap() {
            match res {
                Err(e) => assert_eq!(e.kind(), ErrorKind::Timeout, "caller {i}: {e}"),
                Ok(v) => panic!("caller {i} got {v:?} while the proxy was stalled"),
            }
            assert!(
                took >= timeout - Duration::from_millis(10),
                "caller {i} timed out early: {took:?}"
            );
            assert!(took < timeout + SLACK, "caller {i} took {took:?}");
        }
        // The held replies now arrive; they belong to nobody. Every later caller gets its own
        // value (a loop: on a loaded machine the connection may have been recycled meanwhile).
        std::thread::scope(|s| {
            for t in 0..4 {
                s.spawn(move || {
                    for round in 0..20 {
                        let i = (t + round) % 8;
                        let expected = format!("fresh-value-{i}");
                        let until = Instant::now() + RECOVERY;
                        loop {
                            match r.get::<String>(format!("fresh:{i}")) {
                                Ok(v) => {
                                    assert_eq!(v, expected, "a held reply reached a later caller");
                                    break;
                                }
                                Err(e) => {
                                    assert!(e.is_timeout() || e.is_connection_error(), "{e}");
                                    assert!(Instant::now() < until, "no recovery: {e}");
                                }
                            }
                        }
                    }
                });
            }
        });
        if proxy.connections() == before {
            same_connection = true;
            break;
        }
        support::note(&format!(
            "faults: stall attempt {attempt}: the connection was recycled before the stall \
             ended (slow machine); trying again"
        ));
    }
    assert!(
        same_connection,
        "the held replies were never delivered on the stalled connection"
    );
    let v: String = r.get("held:3").unwrap();
    assert_eq!(v, "held-value-3");
}

#[test]
fn stalled_long_enough_the_connection_is_recycled() {
    let timeout = Duration::from_millis(300);
    let rig = Rig::new("timeout=0.3&connect_timeout=0.5");
    let (r, proxy) = (&rig.r, &rig.proxy);
    r.set("k", "v").unwrap();
    let before = proxy.connections();
    proxy.stall(true);
    let stalled_at = Instant::now();
    // A request left outstanding (nobody waits on it), and a blocking call that times out.
    let h = r.deferred().get::<String>("k");
    let started = Instant::now();
    let e = r.get::<String>("k").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() < timeout + SLACK);
    let e = h.wait().unwrap_err();
    assert!(e.is_timeout() || e.is_connection_error(), "{e}");
    // Twice the response timeout after the oldest request, the connection is recycled: a new
    // connection reaches the proxy (its handshake is held too, so it may time out and retry).
    let until = Instant::now() + RECOVERY;
    while proxy.connections() == before {
        assert!(
            Instant::now() < until,
            "the stalled connection was never recycled"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let recycled_after = stalled_at.elapsed();
    support::note(&format!(
        "faults: stalled connection recycled after {recycled_after:?}"
    ));
    assert!(
        recycled_after >= 2 * timeout - Duration::from_millis(20),
        "recycled too early: {recycled_after:?}"
    );
    // Keep the stall for more than a second in all.
    std::thread::sleep(Duration::from_millis(1100).saturating_sub(stalled_at.elapsed()));
    proxy.stall(false);
    await_recovery(r, "k", b"v", timeout);
    hammer(r, 4, 50, "after-stall");
}

#[test]
fn refused_reconnects_back_off_and_recover() {
    let timeout = Duration::from_millis(500);
    let rig = Rig::new("timeout=0.5&connect_timeout=0.5");
    let (r, proxy) = (&rig.r, &rig.proxy);
    r.set("k", "v").unwrap();
    let before = proxy.connections();
    proxy.refuse(true);
    proxy.kill_all();
    let refused_at = Instant::now();
    let mut kinds = Vec::new();
    while refused_at.elapsed() < Duration::from_secs(1) {
        let started = Instant::now();
        let res = r.get::<String>("k");
        let took = started.elapsed();
        assert!(took < timeout + SLACK, "a call took {took:?}");
        match res {
            Ok(v) => panic!("GET succeeded ({v:?}) while every connection was refused"),
            Err(e) => {
                assert!(e.is_connection_error() || e.is_timeout(), "{e}");
                kinds.push(e.kind());
            }
        }
    }
    let attempts = proxy.connections() - before;
    support::note(&format!(
        "faults: {attempts} connection attempts in {:?} of refusal; errors: {kinds:?}",
        refused_at.elapsed()
    ));
    assert!(attempts >= 1, "the client never tried to reconnect");
    assert!(
        attempts < 50,
        "{attempts} reconnection attempts in about a second: no back-off"
    );
    proxy.refuse(false);
    await_recovery(r, "k", b"v", timeout);
    hammer(r, 4, 50, "after-refusal");
}

/// README: "When the connection is lost, every command in flight fails at once with
/// `ErrorKind::Closed` …; commands issued meanwhile wait for it, up to their timeout." Handles
/// submitted before the cut complete with their reply or `Closed`; later ones may also time out.
#[test]
fn handles_in_flight_when_cut_all_complete() {
    let timeout = Duration::from_secs(3);
    let rig = Rig::new("timeout=3&connect_timeout=2");
    let (r, proxy) = (&rig.r, &rig.proxy);
    r.set("k", "v").unwrap();
    // Slow the replies down so that many are in flight when the connection dies.
    proxy.set_chunk(16);
    proxy.set_delay(Duration::from_micros(200));
    let submitted = AtomicUsize::new(0);
    // Handles 0..submitted_before_cut were submitted before the cut.
    let submitted_before_cut = AtomicUsize::new(0);
    let handles = std::thread::scope(|s| {
        s.spawn(|| {
            let until = Instant::now() + RECOVERY;
            while submitted.load(Ordering::SeqCst) < 100 && Instant::now() < until {
                std::thread::yield_now();
            }
            submitted_before_cut.store(submitted.load(Ordering::SeqCst), Ordering::SeqCst);
            proxy.kill_all();
        });
        let mut handles = Vec::with_capacity(200);
        for i in 0..200 {
            let v = format!("echo-{i}\r\n+OK\r\n");
            handles.push((v.clone(), r.deferred().echo::<String>(v), Instant::now()));
            submitted.fetch_add(1, Ordering::SeqCst);
        }
        handles
    });
    proxy.set_chunk(usize::MAX);
    proxy.set_delay(Duration::ZERO);
    // Collect odd ones first, then even ones: not in FIFO order.
    let (odd, even): (Vec<_>, Vec<_>) = handles
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 1);
    let before_cut = submitted_before_cut.load(Ordering::SeqCst);
    let (mut ok, mut failed) = (0, Vec::new());
    for (i, (expected, h, submitted_at)) in odd.into_iter().chain(even) {
        let res = h.wait();
        let waited = submitted_at.elapsed();
        assert!(
            waited < timeout + SLACK,
            "handle {i} completed {waited:?} after it was submitted"
        );
        if let Err(e) = &res {
            failed.push(e.kind());
        }
        match res {
            Ok(v) => {
                assert_eq!(v, expected, "handle {i} got another request's reply");
                ok += 1;
            }
            Err(e) if i < before_cut => assert_eq!(
                e.kind(),
                ErrorKind::Closed,
                "handle {i}, submitted before the cut (handles 0..{before_cut}): {e}"
            ),
            Err(e) => {
                assert!(
                    matches!(e.kind(), ErrorKind::Closed | ErrorKind::Timeout),
                    "handle {i}, submitted after the cut: {e}"
                );
            }
        }
    }
    support::note(&format!(
        "faults: 200 handles across a cut after {before_cut} were submitted: {ok} ok, \
         failed: {failed:?}"
    ));
    await_recovery(r, "k", b"v", timeout);
    let v: String = r.echo("alive").unwrap();
    assert_eq!(v, "alive");
}

/// A reply that trickles in (one byte every 20 ms) must not hold a call past its timeout, over
/// TCP and over TLS, where one TLS read may span many socket reads while a record trickles in;
/// the partial reply is kept, completed later and discarded, so the connection stays in sync.
/// Connecting through a trickle is bounded by the connect timeout the same way.
#[test]
fn a_trickling_reply_times_out_on_time_over_tcp_and_tls() {
    let timeout = Duration::from_millis(300);
    for tls in [false, true] {
        if tls
            && !support::tls_or_skip(
                "faults::a_trickling_reply_times_out_on_time_over_tcp_and_tls (its TLS half)",
            )
        {
            continue;
        }
        let server = Server::builder().tls(tls).start();
        let upstream = match server.tls_port() {
            Some(p) if tls => format!("127.0.0.1:{p}"),
            _ => server.addr(),
        };
        let proxy = Proxy::start(&upstream);
        let url = if tls {
            url_for(
                &format!("rediss://127.0.0.1:{}", proxy.port()),
                "tls_insecure=true&timeout=0.3&connect_timeout=0.5",
            )
        } else {
            url_for(&proxy.url(), "timeout=0.3&connect_timeout=0.5")
        };
        // Setting up: a debug-build TLS handshake on a loaded machine can take longer than the
        // 500 ms connect timeout this test needs later, so the first connection may retry.
        let until = Instant::now() + RECOVERY;
        let r = loop {
            match Redis::from_url(&url) {
                Ok(r) => break r,
                Err(e) => {
                    assert!(e.is_timeout(), "tls={tls}: {e}");
                    assert!(Instant::now() < until, "tls={tls}: cannot connect: {e}");
                }
            }
        };
        assert_eq!(r.ping().unwrap(), "PONG");
        proxy.set_chunk(1);
        proxy.set_delay(Duration::from_millis(20));
        let started = Instant::now();
        let e = r.echo::<String>("x".repeat(150)).unwrap_err();
        let took = started.elapsed();
        assert_eq!(e.kind(), ErrorKind::Timeout, "tls={tls}: {e}");
        assert!(took < timeout + SLACK / 3, "tls={tls}: took {took:?}");
        // Connecting through the trickle is bounded by the connect timeout.
        let started = Instant::now();
        let e = Redis::from_url(&url).unwrap_err();
        assert!(e.is_timeout() || e.is_connection_error(), "tls={tls}: {e}");
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(500) + SLACK / 3,
            "tls={tls}: connecting took {took:?}"
        );
        // The trickle ends: the late ECHO reply is discarded, nobody else gets it.
        proxy.set_chunk(usize::MAX);
        proxy.set_delay(Duration::ZERO);
        let until = Instant::now() + RECOVERY;
        loop {
            match r.echo::<String>("after") {
                Ok(v) => {
                    assert_eq!(v, "after", "tls={tls}: a late reply reached a later caller");
                    break;
                }
                Err(e) => {
                    assert!(e.is_timeout() || e.is_connection_error(), "tls={tls}: {e}");
                    assert!(Instant::now() < until, "tls={tls}: no recovery: {e}");
                }
            }
        }
        hammer(&r, 4, 50, if tls { "trickle-tls" } else { "trickle-tcp" });
    }
}
