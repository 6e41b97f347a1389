//! Faults of the shared connection found by review (issue 7): each test fails on the code
//! before its fix.

use coredis::prelude::*;
use coredis::{ErrorKind, Redis};
use coredis_test_support::Proxy;
use coredis_test_support::Server;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The response timeout of the timing tests: long enough that the old behaviour (twice the
/// timeout) and the promised one (once, plus a margin) stay apart on a busy machine.
const TIMEOUT: Duration = Duration::from_secs(2);

/// What a call may take past its deadline on a busy 2-core machine (the library's own margin is
/// 10 ms for writes; the rest is scheduling).
const MARGIN: Duration = Duration::from_millis(1200);

/// A peer that answers the handshake as an old server (no `HELLO`), then reads only 16 KiB
/// every 100 ms and never replies. Stops when the returned flag is set.
fn slow_reader() -> (u16, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        while !stop2.load(Ordering::SeqCst) {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            let stop3 = stop2.clone();
            std::thread::spawn(move || {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let mut buf = vec![0u8; 16 * 1024];
                // The HELLO: refuse it like a server that does not know the command.
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"-ERR unknown command 'HELLO'\r\n");
                while !stop3.load(Ordering::SeqCst) {
                    match s.read(&mut buf) {
                        Ok(0) => return,
                        _ => std::thread::sleep(Duration::from_millis(100)),
                    }
                }
            });
        }
    });
    (port, stop)
}

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced_before_the_next_command() {
    let server = Server::builder().arg("--timeout").arg("1").start();
    let r = Redis::from_url(&server.url()).unwrap();
    for round in 0..3 {
        r.ping().unwrap();
        // The server closes connections idle for more than 1 s (checked about every 100 ms).
        std::thread::sleep(Duration::from_millis(2500));
        let n: i64 = r
            .incr("n")
            .unwrap_or_else(|e| panic!("round {round}: a command that was never sent failed: {e}"));
        assert_eq!(n, round + 1);
    }
}

#[test]
fn a_big_write_to_a_server_that_reads_slowly_ends_by_the_deadline() {
    let (port, stop) = slow_reader();
    let r = Redis::from_url(&format!("redis://127.0.0.1:{port}?protocol=2&timeout=2")).unwrap();
    let big = vec![b'x'; 64 * 1024 * 1024];
    let started = Instant::now();
    let e = r.set("big", &big).unwrap_err();
    let took = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    assert!(e.is_timeout() || e.is_connection_error(), "{e}");
    assert!(took < TIMEOUT + MARGIN, "SET took {took:?}");
}

/// Waits for a handle sent at `sent` with [`TIMEOUT`]: `wait` must return by that deadline
/// (or at once, when it has passed already).
fn wait_by_deadline<T: std::fmt::Debug>(sent: Instant, h: coredis::Handle<T>) {
    let called = Instant::now();
    let res = h.wait();
    let by = (sent + TIMEOUT).max(called) + MARGIN;
    assert!(
        Instant::now() < by,
        "wait returned {:?} after its deadline: {res:?}",
        Instant::now() - (by - MARGIN)
    );
}

#[test]
fn deferred_submits_to_a_stalled_server_end_by_their_deadline() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr());
    let r = Redis::from_url(&format!("{}?timeout=2", proxy.url())).unwrap();
    r.ping().unwrap();
    proxy.stall(true);
    let value = vec![b'v'; 1024 * 1024];
    let worst = std::sync::Mutex::new(Duration::ZERO);
    let until = Instant::now() + Duration::from_secs(3);
    std::thread::scope(|s| {
        for t in 0..4 {
            let (r, value, worst) = (&r, &value, &worst);
            s.spawn(move || {
                let mut handles = Vec::new();
                let mut i = 0;
                while Instant::now() < until {
                    let started = Instant::now();
                    handles.push((started, r.deferred().set(format!("k{t}:{i}"), value)));
                    let took = started.elapsed();
                    let mut w = worst.lock().unwrap();
                    *w = (*w).max(took);
                    i += 1;
                    if handles.len() > 64 {
                        let (sent, h) = handles.remove(0);
                        wait_by_deadline(sent, h);
                    }
                }
                for (sent, h) in handles {
                    wait_by_deadline(sent, h);
                }
            });
        }
    });
    let worst = *worst.lock().unwrap();
    assert!(
        worst < TIMEOUT + MARGIN,
        "a deferred submit blocked for {worst:?}"
    );
    proxy.stall(false);
}

#[test]
fn a_client_dropped_with_a_request_in_flight_closes_within_one_timeout() {
    let server = Server::start();
    let r = Redis::from_url(&format!("{}?timeout=2&client_name=dropped", server.url())).unwrap();
    r.ping().unwrap();
    // A command the server holds on the shared connection (not marked blocking).
    let h = r
        .deferred()
        .execute(coredis::cmd("BLPOP").key("nothing").arg(0));
    std::thread::sleep(Duration::from_millis(100));
    let open = || {
        server
            .command(&["CLIENT", "LIST"])
            .contains(" name=dropped ")
    };
    assert!(open());
    let started = Instant::now();
    drop(h);
    drop(r);
    while open() {
        assert!(
            started.elapsed() < TIMEOUT + MARGIN,
            "the connection was still open after {:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = ErrorKind::Closed;
}

// ---------------------------------------------------------------------------------------
// Against the scripted fake peer: what a broken server or proxy can send.
// ---------------------------------------------------------------------------------------

use coredis::{Limits, Value};
use coredis_test_support::fake::{bulk, FakeServer, Script};

/// A client of the fake, in the run's protocol.
fn fake_client(fake: &FakeServer, query: &str) -> Redis {
    Redis::from_url(&crate::util::url_for(&fake.url(), query)).unwrap()
}

#[test]
fn a_reply_nobody_asked_for_is_never_handed_to_the_next_caller() {
    let fake = FakeServer::start(Script::echo_all());
    let r = fake_client(&fake, "");
    assert_eq!(r.echo::<String>("first").unwrap(), "first");
    // While the connection is idle, the "server" sends a reply nobody asked for.
    assert_eq!(fake.inject(&bulk("EXTRA")), 1);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(r.echo::<String>("v0").unwrap(), "v0");
    assert_eq!(r.echo::<String>("v1").unwrap(), "v1");
    assert_eq!(
        fake.connections(),
        2,
        "the connection that got it was replaced"
    );
}

#[test]
fn push_frames_while_idle_are_allowed() {
    if crate::util::protocol() != 3 {
        coredis_test_support::skip(
            "hardening::push_frames_while_idle_are_allowed",
            "push frames are RESP3",
        );
        return;
    }
    let fake = FakeServer::start(Script::echo_all());
    let r = fake_client(&fake, "");
    assert_eq!(r.echo::<String>("a").unwrap(), "a");
    fake.inject(b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.echo::<String>("b").unwrap(), "b");
    assert_eq!(
        fake.connections(),
        1,
        "a push frame is not a reason to reconnect"
    );
}

#[test]
fn a_trickling_reply_does_not_keep_a_stuck_connection_alive() {
    // The first connection answers GET with a 100,000-byte bulk that trickles in, one byte
    // every 30 ms (50 minutes); later connections answer normally.
    let fake = FakeServer::start_with(|n| {
        if n == 0 {
            Script::new()
                .expect(&["GET", "k"], b"$100000\r\n")
                .trickle(vec![b'x'; 100_002], Duration::from_millis(30))
        } else {
            Script::echo_all()
        }
    });
    let r = fake_client(&fake, "timeout=0.5");
    let started = Instant::now();
    let e = r.get::<String>("k").unwrap_err();
    assert!(e.is_timeout(), "{e}");
    // The connection is replaced once the oldest request is twice the timeout old, even
    // though bytes keep coming; the next call works on the new one.
    let v: String = loop {
        match r.echo::<String>("after") {
            Ok(v) => break v,
            Err(e) => {
                assert!(e.is_timeout() || e.is_connection_error(), "{e}");
                assert!(
                    started.elapsed() < Duration::from_secs(8),
                    "still stuck after {:?}",
                    started.elapsed()
                );
            }
        }
    };
    assert_eq!(v, "after");
    assert_eq!(fake.connections(), 2);
}

#[test]
fn an_endless_reply_is_a_protocol_error_not_unbounded_memory() {
    let fake = FakeServer::start_with(|n| {
        if n == 0 {
            Script::new()
                .expect(&["GET", "k"], b"*2147483648\r\n")
                .repeat(b":1\r\n")
        } else {
            Script::echo_all()
        }
    });
    let limits = Limits::default().with_max_reply_len(1024 * 1024);
    let config = coredis::Config::from_url(&crate::util::url_for(&fake.url(), "timeout=20"))
        .unwrap()
        .to_builder()
        .limits(limits)
        .build()
        .unwrap();
    let r = Redis::new(config).unwrap();
    let started = Instant::now();
    let e = r.get::<Value>("k").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("max_reply_len"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.echo::<String>("next").unwrap(), "next");
}

#[test]
fn an_endless_handshake_reply_is_a_protocol_error() {
    let fake = FakeServer::start(
        Script::new()
            .handshake(coredis_test_support::fake::Handshake::Manual)
            .reply(b"*2147483648\r\n")
            .repeat(b":1\r\n"),
    );
    let limits = Limits::default().with_max_reply_len(1024 * 1024);
    let config = coredis::Config::from_url(&fake.url())
        .unwrap()
        .to_builder()
        .limits(limits)
        .build()
        .unwrap();
    let e = Redis::new(config).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
}

/// A reply nested `depth` arrays deep around `:1`.
fn nested(depth: usize) -> Vec<u8> {
    let mut out = b"*1\r\n".repeat(depth);
    out.extend_from_slice(b":1\r\n");
    out
}

#[test]
fn the_configured_limits_are_used_to_decode_replies() {
    let fake = FakeServer::start(
        Script::new()
            .expect(&["GET", "deep"], nested(200))
            .expect(&["GET", "deep"], nested(200))
            .echo(),
    );
    let config = coredis::Config::from_url(&crate::util::url_for(&fake.url(), ""))
        .unwrap()
        .to_builder()
        .limits(Limits::default().with_max_depth(300))
        .build()
        .unwrap();
    let r = Redis::new(config).unwrap();
    let v: Value = r.get("deep").unwrap();
    let mut depth = 0;
    let mut at = &v;
    while let Value::Array(items) = at {
        depth += 1;
        at = &items[0];
    }
    assert_eq!((depth, at), (200, &Value::Int(1)));
    // Through a handle too.
    assert!(r.deferred().get::<Value>("deep").wait().is_ok());
}

#[test]
fn a_bad_reply_fails_its_own_request_as_protocol_and_the_others_as_closed() {
    let fake = FakeServer::start_with(|n| {
        if n == 0 {
            // Takes the three requests, then answers the first with a malformed bulk.
            Script::new()
                .receive()
                .receive()
                .receive()
                .send(b"$1\r\naXX\r\n")
        } else {
            Script::echo_all()
        }
    });
    let r = fake_client(&fake, "timeout=5");
    let (a, b, c) = (
        r.deferred().echo::<String>("a"),
        r.deferred().echo::<String>("b"),
        r.deferred().echo::<String>("c"),
    );
    let ea = a.wait().unwrap_err();
    assert_eq!(ea.kind(), ErrorKind::Protocol, "{ea}");
    for h in [b, c] {
        let e = h.wait().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    }
    assert_eq!(r.echo::<String>("d").unwrap(), "d");
}

#[test]
fn the_byte_budget_holds_submitters_back() {
    // A server that reads everything and never answers.
    let fake = FakeServer::start(Script::new());
    let r = fake_client(&fake, "timeout=1&max_in_flight_bytes=4000000");
    let value = vec![b'v'; 1024 * 1024];
    let mut handles = Vec::new();
    for i in 0..3 {
        let started = Instant::now();
        handles.push(r.deferred().set(format!("k{i}"), &value));
        assert!(
            started.elapsed() < Duration::from_millis(800),
            "within the budget"
        );
    }
    // The fourth MiB would pass 4,000,000 bytes: the submitter waits for room, up to its
    // timeout, and fails without sending.
    let started = Instant::now();
    let e = r.deferred().set("k3", &value).wait().unwrap_err();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("max_in_flight_bytes"), "{e}");
    for h in handles {
        assert!(h.wait().unwrap_err().is_timeout());
    }
}

#[test]
fn one_request_larger_than_the_budget_goes_alone() {
    let fake = FakeServer::start(Script::echo_all());
    let r = fake_client(&fake, "max_in_flight_bytes=1000");
    let big = "x".repeat(100_000);
    assert_eq!(r.echo::<String>(&big).unwrap(), big);
}

// ---------------------------------------------------------------------------------------
// The hand-off of the read side and the queue bound: tests that fail without them.
// ---------------------------------------------------------------------------------------

#[test]
fn the_last_callers_of_a_burst_all_complete_with_nobody_arriving_after_them() {
    // 16 threads each send a burst, then stop: nobody arrives later to take the read side.
    // When the leader has its own reply it must hand the read side to a waiter; without the
    // hand-off, the waiters' replies would be read only when the parked worker looks again
    // (about once a second), so a round would take a second instead of milliseconds.
    const ROUNDS: usize = 30;
    const SLOW: Duration = Duration::from_millis(400);
    let server = Server::start();
    let r = crate::util::connect_with(&server, "timeout=10");
    let mut slow_rounds = Vec::new();
    for round in 0..ROUNDS {
        let barrier = std::sync::Barrier::new(16);
        let slowest = std::sync::Mutex::new(Duration::ZERO);
        std::thread::scope(|s| {
            for t in 0..16 {
                let (r, barrier, slowest) = (&r, &barrier, &slowest);
                s.spawn(move || {
                    barrier.wait();
                    for i in 0..(1 + (t + round) % 4) {
                        let started = Instant::now();
                        let v: String = r.echo(format!("{round}-{t}-{i}")).unwrap();
                        assert_eq!(v, format!("{round}-{t}-{i}"));
                        let took = started.elapsed();
                        let mut sl = slowest.lock().unwrap();
                        *sl = (*sl).max(took);
                    }
                });
            }
        });
        let slowest = *slowest.lock().unwrap();
        if slowest > SLOW {
            slow_rounds.push((round, slowest));
        }
    }
    // A busy machine may stall a round now and then; a missing hand-off stalls most of them.
    assert!(
        slow_rounds.len() <= ROUNDS / 6,
        "{} of {ROUNDS} rounds had a caller waiting over {SLOW:?}: {slow_rounds:?}",
        slow_rounds.len()
    );
}

#[test]
fn max_in_flight_bounds_the_queue_by_count() {
    // A server that reads everything and never answers.
    let fake = FakeServer::start(Script::new());
    let r = fake_client(&fake, "timeout=1&max_in_flight=4");
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let started = Instant::now();
            let h = r.deferred().incr(format!("k{i}"));
            assert!(started.elapsed() < Duration::from_millis(800));
            h
        })
        .collect();
    let started = Instant::now();
    let e = r.deferred().incr("k5").wait().unwrap_err();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(e.to_string().contains("max_in_flight"), "{e}");
    assert!(
        fake.wait_for(Duration::from_secs(5), |c| c
            .iter()
            .filter(|c| c.name() == "INCR")
            .count()
            == 4),
        "the fifth request was never sent: {:?}",
        fake.commands()
            .iter()
            .map(|c| c.words().join(" "))
            .collect::<Vec<_>>()
    );
    drop(handles);
}

#[test]
fn the_byte_budget_is_given_back_when_a_connection_fails() {
    // Five connections that take a request and hang up, then a healthy one. Requests failed
    // by a lost connection must leave the byte budget, or the budget fills up for good.
    let fake = FakeServer::start_with(|n| {
        if n < 5 {
            Script::new().receive().close()
        } else {
            Script::echo_all()
        }
    });
    let r = fake_client(&fake, "timeout=2&max_in_flight_bytes=350000");
    let value = vec![b'v'; 100_000];
    let mut failed = 0;
    for round in 0..5 {
        let handles: Vec<_> = (0..3)
            .map(|i| r.deferred().set(format!("k{round}:{i}"), &value))
            .collect();
        for h in handles {
            if let Err(e) = h.wait() {
                assert!(
                    e.is_connection_error() || e.is_timeout(),
                    "round {round}: {e}"
                );
                failed += 1;
            }
        }
    }
    assert!(
        failed >= 5,
        "only {failed} requests failed with their connection"
    );
    let started = Instant::now();
    let big = "x".repeat(300_000);
    let v: String = loop {
        match r.echo::<String>(&big) {
            Ok(v) => break v,
            Err(e) => {
                assert!(
                    !e.to_string().contains("max_in_flight_bytes"),
                    "budget leaked: {e}"
                );
                assert!(started.elapsed() < Duration::from_secs(10), "{e}");
            }
        }
    };
    assert_eq!(v, big);
}
