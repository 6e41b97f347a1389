//! The shared multiplexed connection under concurrency and failure: every reply reaches the
//! request that caused it, timeouts and dropped handles keep the stream in sync, a lost
//! connection fails what was in flight and comes back.

use crate::util::{connect, connect_with, connected_clients, hammer, url_for, StopOnDrop};
use coredis::prelude::*;
use coredis::{cmd, ErrorKind, Redis};
use coredis_test_support::{self as support, Server};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a loop waiting for a handle to become ready may spin before the test fails.
const PATIENCE: Duration = Duration::from_secs(30);

#[test]
fn sixty_four_threads_ten_thousand_commands_each_all_checked() {
    let server = Server::start();
    let r = connect(&server);
    let started = Instant::now();
    hammer(&r, 64, 5_000, "load");
    support::note(&format!(
        "64 threads x 10,000 commands on one client: {:?}",
        started.elapsed()
    ));
}

#[test]
fn many_threads_over_resp2_and_unix_socket() {
    let server = Server::builder().unix_socket(true).start();
    let r = Redis::from_url(&format!("{}?protocol=2", server.url())).unwrap();
    hammer(&r, 16, 1_000, "resp2");
    let path = server.unix_path().unwrap().display().to_string();
    let u = Redis::from_url(&url_for(&format!("unix://{path}"), "")).unwrap();
    hammer(&u, 16, 1_000, "unix");
}

#[test]
fn handles_from_many_threads_with_drops_and_polls() {
    let server = Server::start();
    let r = connect(&server);
    std::thread::scope(|s| {
        for t in 0..16 {
            let r = &r;
            s.spawn(move || {
                for round in 0..200 {
                    let handles: Vec<_> = (0..16)
                        .map(|i| {
                            let v = format!("{t}:{round}:{i}");
                            (v.clone(), r.deferred().echo::<String>(v))
                        })
                        .collect();
                    for (i, (expected, mut h)) in handles.into_iter().enumerate() {
                        match i % 4 {
                            0 => drop(h), // never collected
                            1 => {
                                let until = Instant::now() + PATIENCE;
                                while !h.is_ready() {
                                    assert!(Instant::now() < until, "a polled handle hung");
                                    std::thread::yield_now();
                                }
                                assert_eq!(h.try_wait().unwrap().unwrap(), expected);
                            }
                            2 => {
                                let until = Instant::now() + PATIENCE;
                                let got = loop {
                                    if let Some(r) = h.wait_timeout(Duration::from_millis(1)) {
                                        break r.unwrap();
                                    }
                                    assert!(Instant::now() < until, "wait_timeout never ended");
                                };
                                assert_eq!(got, expected);
                            }
                            _ => assert_eq!(h.wait().unwrap(), expected),
                        }
                    }
                }
            });
        }
    });
    assert_eq!(r.ping().unwrap(), "PONG");
}

#[test]
fn dropped_handles_still_run_and_polling_makes_progress() {
    let server = Server::start();
    let r = connect(&server);
    for _ in 0..1000 {
        let _ = r.deferred().incr("dropped");
    }
    // Nobody waits on anything: polling alone must get a reply in (the worker reads).
    let h = r.deferred().get::<i64>("dropped");
    let until = Instant::now() + Duration::from_secs(5);
    while !h.is_ready() {
        assert!(Instant::now() < until, "a polled handle never became ready");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(h.wait().unwrap(), 1000);
}

#[test]
fn deferred_requests_go_out_with_nobody_waiting_or_polling() {
    // With many requests in flight a submitter only queues its bytes for whoever reads next;
    // when nobody waits or polls, the worker must still write them.
    let server = Server::start();
    let r = connect(&server);
    let other = connect(&server);
    let handles: Vec<_> = (0..1000).map(|_| r.deferred().incr("unwatched")).collect();
    let until = Instant::now() + PATIENCE;
    loop {
        let n: Option<i64> = other.get("unwatched").unwrap();
        if n == Some(1000) {
            break;
        }
        assert!(
            Instant::now() < until,
            "deferred requests stayed unsent: the counter is at {n:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.wait().unwrap(), i as i64 + 1);
    }
}

#[test]
fn big_replies_among_small_ones_keep_every_byte() {
    // Replies of 256 KiB and more are read into a buffer of their own and handed on without a
    // copy; the small replies read together with them must stay intact and in order.
    let server = Server::start();
    let r = connect(&server);
    let value = |len: usize, seed: u8| -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | (u8::from(i % 89 == 0) * b'$'))
            .collect()
    };
    let exact = value(256 * 1024 - 10, 1); // its frame is just over the threshold
    let big = value((1 << 20) + 3, 2);
    let small = value(100, 3);
    r.set("exact", &exact).unwrap();
    r.set("big", &big).unwrap();
    r.set("small", &small).unwrap();
    for round in 0..20 {
        let keys = ["small", "big", "small", "exact", "big", "small", "exact"];
        let handles: Vec<_> = keys
            .iter()
            .map(|k| r.deferred().get::<bytes::Bytes>(*k))
            .collect();
        let echo = r.deferred().echo::<String>(format!("after {round}"));
        for (k, h) in keys.iter().zip(handles) {
            let want: &[u8] = match *k {
                "small" => &small,
                "big" => &big,
                _ => &exact,
            };
            let got = h.wait().unwrap();
            assert!(got == want, "round {round}: {k} came back different");
        }
        assert_eq!(echo.wait().unwrap(), format!("after {round}"));
    }
    // An aggregate that big grows the usual buffer, so the replies after it are often read
    // with it: they move to the next buffer.
    let elements: Vec<Vec<u8>> = (0..5000).map(|i| value(100, i as u8)).collect();
    for chunk in elements.chunks(500) {
        r.rpush("list", chunk).unwrap();
    }
    for round in 0..20 {
        let lists: Vec<_> = (0..3)
            .map(|_| r.deferred().lrange::<Vec<u8>>("list", 0, -1))
            .collect();
        let smalls: Vec<_> = (0..3)
            .map(|_| r.deferred().get::<Vec<u8>>("small"))
            .collect();
        for h in lists {
            assert!(
                h.wait().unwrap() == elements,
                "round {round}: LRANGE differs"
            );
        }
        for h in smalls {
            assert!(h.wait().unwrap() == small, "round {round}: GET differs");
        }
    }
    // And from blocking calls, one at a time.
    let got: Vec<u8> = r.get("big").unwrap();
    assert!(got == big);
    assert_eq!(r.get::<Vec<u8>>("small").unwrap(), small);
}

#[test]
fn timed_out_request_reply_never_reaches_the_next_caller() {
    let server = Server::start();
    let r = connect_with(&server, "timeout=0.2");
    r.set("k", "mine").unwrap();
    let started = Instant::now();
    let e = r.execute(cmd("DEBUG").arg("SLEEP").arg("0.4")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "timed out late: {:?}",
        started.elapsed()
    );
    assert_eq!(e.command(), Some("DEBUG"));
    // The server is busy until the DEBUG ends; its reply ("+OK") then arrives first and must
    // be discarded, not handed to this GET.
    std::thread::sleep(Duration::from_millis(300));
    let v: String = r.get("k").unwrap();
    assert_eq!(v, "mine");
    let v: String = r.echo("after").unwrap();
    assert_eq!(v, "after");
}

#[test]
fn a_stuck_connection_is_recycled() {
    let server = Server::start();
    let r = connect_with(&server, "timeout=0.3");
    r.set("k", "v").unwrap();
    // BLPOP with no timeout holds the shared connection forever: everything behind it would
    // time out. After twice the response timeout the connection is closed and re-opened.
    let e = r.execute(cmd("BLPOP").key("never").arg(0)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        match r.get::<String>("k") {
            Ok(v) => {
                assert_eq!(v, "v");
                break;
            }
            Err(e) => {
                assert!(e.is_timeout() || e.is_connection_error(), "{e}");
                assert!(
                    Instant::now() < until,
                    "the stuck connection was never recycled"
                );
            }
        }
    }
}

#[test]
fn wait_timeout_keeps_the_handle() {
    let server = Server::start();
    let r = connect(&server);
    let mut h = r.deferred().execute(cmd("DEBUG").arg("SLEEP").arg("0.3"));
    assert!(h.wait_timeout(Duration::from_millis(50)).is_none());
    assert!(!h.is_ready());
    assert!(h.try_wait().is_none());
    let v = h.wait_timeout(Duration::from_secs(5)).expect("reply in");
    assert!(v.is_ok(), "{v:?}");
    assert_eq!(h.try_wait().unwrap().unwrap_err().kind(), ErrorKind::Usage);
}

/// A leader blocked in `read` wakes up by its own deadline, not at the socket's next 100 ms
/// read tick: a response timeout of 120 ms ends the call after about 120 ms (with the tick
/// alone, the leader would notice at 200 ms), and `wait_timeout(5 ms)` returns after about
/// 5 ms even when the caller is the one reading. The fastest of several tries is compared, so
/// a loaded machine only makes the test slower, not wrong: a try whose caller wakes up so late
/// that the stuck-connection rule (twice the timeout) closed the connection first is a slow
/// try, as documented.
#[test]
fn timeouts_end_on_the_deadline_not_on_the_read_tick() {
    let server = Server::start();
    let r = connect_with(&server, "timeout=0.12");
    let mut fastest = Duration::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let e = r.execute(cmd("DEBUG").arg("SLEEP").arg("0.3")).unwrap_err();
        let took = started.elapsed();
        match e.kind() {
            ErrorKind::Timeout => {
                assert!(
                    took >= Duration::from_millis(119),
                    "timed out early: {took:?}"
                );
                fastest = fastest.min(took);
            }
            ErrorKind::Closed => assert!(
                took >= Duration::from_millis(239),
                "closed before the stuck-connection rule could apply ({took:?}): {e}"
            ),
            _ => panic!("{e}"),
        }
        // Let the server finish the sleep; its late reply is discarded (or the connection
        // is back, after a recycle).
        std::thread::sleep(Duration::from_millis(250));
        let until = Instant::now() + PATIENCE;
        loop {
            match r.echo::<String>("in sync") {
                Ok(v) => break assert_eq!(v, "in sync"),
                Err(e) => {
                    assert!(e.is_timeout() || e.is_connection_error(), "{e}");
                    assert!(Instant::now() < until, "not back in sync: {e}");
                }
            }
        }
    }
    assert!(
        fastest < Duration::from_millis(180),
        "a 120 ms response timeout took at least {fastest:?}"
    );

    let r = connect(&server);
    let mut h = r.deferred().execute(cmd("DEBUG").arg("SLEEP").arg("0.5"));
    let mut fastest = Duration::MAX;
    for _ in 0..20 {
        let started = Instant::now();
        assert!(h.wait_timeout(Duration::from_millis(5)).is_none());
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(5), "returned early: {took:?}");
        fastest = fastest.min(took);
    }
    assert!(
        fastest < Duration::from_millis(60),
        "wait_timeout(5 ms) took at least {fastest:?}"
    );
    assert!(h.wait().is_ok());
}

/// Whoever writes combines other callers' queued requests into its `write`s, but only for a
/// few batches: two threads flooding the connection with deferred 32 KiB `SET`s must not keep
/// a third caller (or themselves) inside the writer role past its timeout.
#[test]
fn a_flood_of_requests_does_not_hold_a_writer_past_its_timeout() {
    let server = Server::start();
    let r = connect_with(&server, "timeout=0.2");
    let big = "x".repeat(32 * 1024);
    let until = Instant::now() + Duration::from_secs(3);
    let slowest = Mutex::new((Duration::ZERO, ""));
    let note = |took: Duration, what: &'static str| {
        let mut s = slowest.lock().unwrap();
        if took > s.0 {
            *s = (took, what);
        }
    };
    std::thread::scope(|s| {
        for _ in 0..2 {
            let (r, big, note) = (&r, &big, &note);
            s.spawn(move || {
                while Instant::now() < until {
                    let t = Instant::now();
                    drop(r.deferred().set("bulk", big.as_str()));
                    note(t.elapsed(), "deferred SET (submit only)");
                }
            });
        }
        while Instant::now() < until {
            let t = Instant::now();
            // It may time out under the flood; it must not take much longer than that.
            let _ = r.set("mine", big.as_str());
            note(t.elapsed(), "blocking SET");
        }
    });
    let (took, what) = *slowest.lock().unwrap();
    assert!(
        took < Duration::from_millis(1200),
        "a {what} took {took:?} (response timeout 200 ms)"
    );
    // The flood's replies may still be arriving: with a 200 ms timeout the first calls can
    // time out on a loaded machine (and a connection whose oldest request waited twice that
    // is recycled, failing what is in flight). The same client must come back in sync.
    let until = Instant::now() + PATIENCE;
    loop {
        match r.echo::<String>("after") {
            Ok(v) => {
                assert_eq!(v, "after", "a flood reply reached a later caller");
                break;
            }
            Err(e) => {
                assert!(e.is_timeout() || e.is_connection_error(), "{e}");
                assert!(
                    Instant::now() < until,
                    "not back in sync after the flood: {e}"
                );
            }
        }
    }
}

/// A submitter blocked on a full queue over TLS must be served as soon as room is made, not
/// when the worker next wakes by itself (a second later). (Written when TLS connections were
/// half duplex, where the leader had to leave and write what was queued.)
#[test]
fn tls_back_pressure_does_not_stall() {
    if !support::tls_or_skip("mux::tls_back_pressure_does_not_stall") {
        return;
    }
    let server = Server::builder().tls(true).start();
    let port = server.tls_port().unwrap();
    let r = Redis::from_url(&url_for(
        &format!("rediss://127.0.0.1:{port}"),
        "tls_insecure=true&max_in_flight=5&timeout=5",
    ))
    .unwrap();
    let big = "v".repeat(256 * 1024);
    let mut worst = Duration::ZERO;
    for _ in 0..12 {
        std::thread::scope(|s| {
            let submitter = s.spawn(|| {
                std::thread::sleep(Duration::from_millis(10));
                let mut handles = Vec::new();
                let mut slowest = Duration::ZERO;
                for _ in 0..8 {
                    let t = Instant::now();
                    handles.push(r.deferred().set("big", big.as_str()));
                    slowest = slowest.max(t.elapsed());
                }
                (slowest, handles)
            });
            // The leader: one slow blocking call, then idle.
            r.execute(cmd("DEBUG").arg("SLEEP").arg("0.05")).unwrap();
            let (slowest, handles) = submitter.join().unwrap();
            worst = worst.max(slowest);
            for h in handles {
                h.wait().unwrap();
            }
        });
    }
    assert!(
        worst < Duration::from_millis(500),
        "a deferred submit waited {worst:?} for room in the queue"
    );
}

/// TLS connections are full duplex: writers encrypt and send while the leader waits for
/// bytes (outside the session lock). Threads with blocking calls and a thread with big
/// deferred writes and reads, all at once, over verified TLS: every reply is its own.
#[test]
fn tls_reads_and_writes_at_once_keep_every_reply_its_own() {
    if !support::tls_or_skip("mux::tls_reads_and_writes_at_once_keep_every_reply_its_own") {
        return;
    }
    let server = Server::builder().tls(true).start();
    let port = server.tls_port().unwrap();
    let r = Redis::from_url(&url_for(
        &format!("rediss://127.0.0.1:{port}"),
        "tls_insecure=true&timeout=30",
    ))
    .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| crate::util::hammer(&r, 12, 300, "tls-duplex"));
        s.spawn(|| {
            for round in 0..20 {
                // Values of 20–120 KiB: several TLS records each, written while replies are read.
                let values: Vec<String> = (0..16)
                    .map(|i| format!("{round}:{i}:{}", "x".repeat(20_000 + i * 6_400)))
                    .collect();
                let sets: Vec<_> = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| r.deferred().set(format!("tls-big:{i}"), v.as_str()))
                    .collect();
                let gets: Vec<_> = (0..values.len())
                    .map(|i| r.deferred().get::<String>(format!("tls-big:{i}")))
                    .collect();
                for h in sets {
                    h.wait().unwrap();
                }
                for (i, h) in gets.into_iter().enumerate() {
                    assert_eq!(
                        h.wait().unwrap(),
                        values[i],
                        "big value {i} of round {round}"
                    );
                }
            }
        });
    });
}

#[test]
fn back_pressure_bounds_the_queue() {
    let server = Server::start();
    let r = connect_with(&server, "max_in_flight=8");
    let handles: Vec<_> = (0..500).map(|i| (i, r.deferred().echo::<i64>(i))).collect();
    for (i, h) in handles {
        assert_eq!(h.wait().unwrap(), i);
    }
}

#[test]
fn connection_killed_by_server_fails_in_flight_and_recovers() {
    let server = Server::start();
    let r = connect_with(&server, "timeout=5");
    r.set("k", "v").unwrap();
    // A blocking command keeps a request in flight while the server stays free to kill us.
    let slow = r.deferred().execute(cmd("BLPOP").key("nothing").arg(3));
    std::thread::sleep(Duration::from_millis(100));
    let killed = server.command(&["CLIENT", "KILL", "TYPE", "normal"]);
    assert_ne!(killed, "0", "the client's connection was killed");
    // In flight when the connection was lost: `Closed` (README, "Failure behaviour").
    let e = slow.wait().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    // Reconnects by itself.
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        match r.get::<String>("k") {
            Ok(v) => {
                assert_eq!(v, "v");
                break;
            }
            Err(e) if Instant::now() < until => {
                assert!(e.is_connection_error() || e.is_timeout(), "{e}")
            }
            Err(e) => panic!("did not reconnect: {e}"),
        }
    }
}

/// README: "When the connection is lost, every command in flight fails at once with
/// `ErrorKind::Closed` …; commands issued meanwhile wait for it, up to their timeout." So a
/// request submitted before the server died fails with `Closed` (or got its reply), only one
/// made after that may time out, and no call ever fails with another kind.
///
/// Deferred requests are known to be submitted when `deferred().echo()` returns; a blocking
/// call is only known to have started, so it counts as submitted before the kill when it
/// started well before it (its thread may be descheduled in between on a loaded machine).
#[test]
fn server_killed_under_load_every_call_errors_in_time_then_recovers() {
    const SUBMITTED_SURELY_BEFORE: Duration = Duration::from_millis(250);
    let mut server = Server::start();
    let timeout = Duration::from_secs(2);
    let r = connect_with(&server, "timeout=2&connect_timeout=1");
    let stop = AtomicBool::new(false);
    let ok = AtomicUsize::new(0);
    // (deferred or blocking, when its request surely was submitted, its error)
    let errors = Mutex::new(Vec::new());
    let slowest = Mutex::new(Duration::ZERO);
    let mut killed_at = None;
    std::thread::scope(|s| {
        // Ends the load however this closure ends (an assertion below may fail).
        let _stop = StopOnDrop(&stop);
        for t in 0..64 {
            let (r, stop, ok, errors, slowest) = (&r, &stop, &ok, &errors, &slowest);
            s.spawn(move || {
                let mut i = 0u64;
                while !stop.load(Ordering::SeqCst) {
                    i += 1;
                    let value = format!("{t}-{i}");
                    let started = Instant::now();
                    let (submitted, res) = if i % 8 == 0 {
                        // Keep some handles in flight too.
                        let hs: Vec<_> = (0..4)
                            .map(|j| r.deferred().echo::<String>(format!("{value}-{j}")))
                            .collect();
                        let submitted = Instant::now();
                        let res = hs
                            .into_iter()
                            .enumerate()
                            .map(|(j, h)| h.wait().map(|v| assert_eq!(v, format!("{value}-{j}"))))
                            .collect::<Result<Vec<_>, _>>()
                            .map(|_| ());
                        (Some(submitted), res)
                    } else {
                        (None, r.echo::<String>(&value).map(|v| assert_eq!(v, value)))
                    };
                    let took = started.elapsed();
                    {
                        let mut sl = slowest.lock().unwrap();
                        if took > *sl {
                            *sl = took;
                        }
                    }
                    match res {
                        Ok(()) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            let by = submitted.unwrap_or(started + SUBMITTED_SURELY_BEFORE);
                            let what = if submitted.is_some() {
                                "deferred"
                            } else {
                                "blocking"
                            };
                            errors.lock().unwrap().push((what, by, e));
                            std::thread::sleep(Duration::from_millis(5));
                        }
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(500));
        assert!(ok.load(Ordering::SeqCst) > 0, "load is running");
        killed_at = Some(Instant::now());
        server.kill();
        std::thread::sleep(Duration::from_millis(1500));
        let errs_while_down = errors.lock().unwrap().len();
        assert!(errs_while_down > 0, "calls fail while the server is down");
        server.restart();
        let before = ok.load(Ordering::SeqCst);
        let until = Instant::now() + Duration::from_secs(10);
        while ok.load(Ordering::SeqCst) < before + 1000 {
            assert!(
                Instant::now() < until,
                "commands did not succeed again after restart"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let slowest = *slowest.lock().unwrap();
    // Every call returned within its timeout (plus scheduling slack on a 2-core machine).
    assert!(
        slowest < timeout + Duration::from_millis(1500),
        "a call took {slowest:?}"
    );
    let killed_at = killed_at.expect("the server was killed");
    let errors = errors.lock().unwrap();
    let mut wrong = Vec::new();
    let mut counts = std::collections::BTreeMap::new();
    for (what, by, e) in errors.iter() {
        let before_kill = *by < killed_at;
        let when = if before_kill {
            "submitted before the kill"
        } else {
            "maybe submitted after it"
        };
        *counts
            .entry(format!("{:?} ({what}, {when})", e.kind()))
            .or_insert(0usize) += 1;
        let allowed = match e.kind() {
            ErrorKind::Closed => true,
            ErrorKind::Timeout => !before_kill,
            _ => false,
        };
        if !allowed && wrong.len() < 5 {
            wrong.push(format!("a {what} call {when}: {:?}: {e}", e.kind()));
        }
    }
    support::note(&format!("mux: errors around the kill: {counts:?}"));
    assert!(
        wrong.is_empty(),
        "in-flight calls must fail with Closed, later ones with Closed or Timeout: {wrong:#?} \
         (all errors: {counts:?})"
    );
    // And the client is healthy afterwards.
    assert_eq!(r.ping().unwrap(), "PONG");
    hammer(&r, 8, 500, "after");
}

#[test]
fn dropping_the_client_closes_the_connection() {
    let server = Server::start();
    let before = connected_clients(&server);
    {
        let r = connect(&server);
        let r2 = r.clone();
        assert_eq!(r2.ping().unwrap(), "PONG");
    }
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        let now = connected_clients(&server);
        if now <= before {
            break;
        }
        assert!(
            Instant::now() < until,
            "connection still open: {now} > {before}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
