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
