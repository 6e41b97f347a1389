//! A logger that itself uses the client, with blocking calls: the library must never log while
//! holding a lock or a role that a command needs, nor from the one thread that reconnects
//! while waiting for the reconnection. (Its own test binary: the logger is global.)

use coredis::prelude::*;
use coredis::{cmd, Redis};
use coredis_test_support::{Server, Watchdog};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

static CLIENT: OnceLock<Redis> = OnceLock::new();

/// Every record the logger saw, with its thread and what became of it: for failure messages.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn seen(line: String) {
    SEEN.lock().unwrap_or_else(|e| e.into_inner()).push(line);
}

/// Records being shipped right now (inside the logger's `RPUSH`).
static SHIPPING: AtomicUsize = AtomicUsize::new(0);

/// Waits (at most 10 s) until the logger has seen `n` records containing `what` and ships
/// nothing. The library logs some records from its worker, in the background: one step's
/// records must not still be on their way when the next step starts, or the next step's
/// record may be logged inside their `RPUSH`, where this logger drops it (recursion guard).
fn settle(what: &str, n: usize) {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let count = SEEN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|l| l.contains(what))
            .count();
        if count >= n && SHIPPING.load(Ordering::SeqCst) == 0 {
            return;
        }
        assert!(
            Instant::now() < until,
            "waited 10 s for {n} {what:?} record(s) and an idle logger; it saw: {:#?}",
            SEEN.lock().unwrap_or_else(|e| e.into_inner())
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

thread_local! {
    /// Set while this thread is inside the logger (the logger's own command may log).
    static LOGGING: Cell<bool> = const { Cell::new(false) };
}

/// Ships every record of the library to a Redis list with a blocking call through the
/// application's own client.
struct RedisSink;

impl log::Log for RedisSink {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.target().starts_with("coredis")
    }

    fn log(&self, rec: &log::Record) {
        if !self.enabled(rec.metadata()) {
            return;
        }
        let thread = std::thread::current().name().unwrap_or("?").to_owned();
        let text = rec.args().to_string();
        if LOGGING.with(Cell::get) {
            seen(format!(
                "[{thread}] {text} -> not shipped (logged by the logger's own call)"
            ));
            return;
        }
        let Some(r) = CLIENT.get() else {
            seen(format!("[{thread}] {text} -> not shipped (no client yet)"));
            return;
        };
        SHIPPING.fetch_add(1, Ordering::SeqCst);
        LOGGING.with(|l| l.set(true));
        let res = r.execute(cmd("RPUSH").key("logs").arg(&text));
        LOGGING.with(|l| l.set(false));
        let outcome = match res {
            Ok(_) => "shipped".to_owned(),
            Err(e) => format!("RPUSH failed: {e}"),
        };
        seen(format!("[{thread}] {text} -> {outcome}"));
        SHIPPING.fetch_sub(1, Ordering::SeqCst);
    }

    fn flush(&self) {}
}

/// How long until a `PING` succeeds again; every failure on the way must be a connection
/// error or a timeout.
fn recovery(r: &Redis) -> Duration {
    let started = Instant::now();
    loop {
        match r.ping() {
            Ok(_) => return started.elapsed(),
            Err(e) => {
                assert!(e.is_connection_error() || e.is_timeout(), "{e}");
                assert!(started.elapsed() < Duration::from_secs(20), "no recovery");
            }
        }
    }
}

#[test]
fn a_logger_that_uses_the_client_neither_deadlocks_nor_stalls_it() {
    // A regression here deadlocks rather than fails an assertion: end the process instead
    // of hanging (it takes a few seconds when it works).
    let _watchdog = Watchdog::start(
        "a_logger_that_uses_the_client_neither_deadlocks_nor_stalls_it",
        Duration::from_secs(90),
    );
    let server = Server::start();
    log::set_logger(&RedisSink).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    // A stall shows as the 3 s response timeout; recovering takes milliseconds.
    let r = Redis::from_url(&format!("{}?timeout=3", server.url())).unwrap();
    // The worker thread logs that it started, perhaps late on a busy machine: let it do so
    // before the client is handed to the logger (see `settle`).
    settle("worker for", 1);
    CLIENT.set(r.clone()).ok();
    let fast = Duration::from_secs(1);

    // 1. A caller finds the connection lost (and logs it).
    r.set("k", "v").unwrap();
    server.command(&["CLIENT", "KILL", "TYPE", "normal"]);
    let took = recovery(&r);
    assert!(took < fast, "a caller's loss: recovery took {took:?}");
    settle("reconnected to", 1);

    // 2. The worker finds it lost: it reads for a dropped handle of a blocking command, and
    //    it is also the only thread that reconnects.
    drop(r.deferred().execute(cmd("BLPOP").key("nothing").arg(0)));
    std::thread::sleep(Duration::from_millis(200));
    server.command(&["CLIENT", "KILL", "TYPE", "normal"]);
    let took = recovery(&r);
    assert!(took < fast, "the worker's loss: recovery took {took:?}");
    settle("reconnected to", 2);

    // 3. The leader drops push frames it has no listener for (RESP3 tracking invalidations).
    //    The shared connection refuses `CLIENT TRACKING`: another connection tracks the key
    //    and redirects its invalidations to the shared one.
    let id: i64 = r.execute(cmd("CLIENT").arg("ID").returns()).unwrap();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    let mut tracker = coredis_test_support::raw::Conn::connect(addr, Duration::from_secs(10))
        .expect("connect the tracking connection");
    let on = tracker.call(&["CLIENT", "TRACKING", "ON", "REDIRECT", &id.to_string()]);
    assert_eq!(on.unwrap().render(), "OK");
    tracker.call(&["GET", "tracked"]).unwrap();
    server.command(&["SET", "tracked", "1"]);
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    let v: Option<String> = r.get("other").unwrap();
    assert_eq!(v, None);
    let took = started.elapsed();
    assert!(took < fast, "a GET after a push frame took {took:?}");
    settle("push frame", 1);

    // The records reached the list through the client.
    let logged = server.command(&["LRANGE", "logs", "0", "-1"]);
    for expected in ["lost", "reconnected", "push frame"] {
        assert!(
            logged.contains(expected),
            "no {expected:?} in {logged:?}; the logger saw: {:#?}",
            SEEN.lock().unwrap_or_else(|e| e.into_inner())
        );
    }
}
