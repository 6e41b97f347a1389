//! A soak under random faults: 64 threads share one client behind the fault proxy and mix
//! blocking calls, handles, pipelines, transactions, a blocking command and publishing, with a
//! subscriber beside them, while a fault thread adds latency, trickles replies, cuts
//! connections mid-frame in either direction, black-holes them, refuses new ones, resets
//! them, and restarts the server. Every reply is checked against its own request (each request
//! carries a value no other request has), every call is timed against its deadline.
//!
//! It reports the commands checked, the faults injected, errors by kind, misrouted replies,
//! calls past their deadline plus a margin, and the peak memory, and asserts that misrouted
//! replies and late calls are zero, that work got done under the faults, and that the client
//! works again once the faults stop.
//!
//! `COREDIS_SOAK_SECS` sets the duration (default 20 s per run of the suite; the README gives
//! the figures of a longer run).

use coredis::prelude::*;
use coredis::{Config, ErrorKind, Redis};
use coredis_test_support::proxy::Proxy;
use coredis_test_support::Server;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const THREADS: usize = 64;
/// The client's connect and response timeouts.
const TIMEOUT: Duration = Duration::from_secs(1);
/// The server-side timeout of the blocking command.
const BLOCK: Duration = Duration::from_millis(50);
/// The longest a call may take: a transaction may wait for a dedicated connection (one
/// response timeout), open it (one connect timeout) and wait for its reply (one response
/// timeout); a blocking command adds its own timeout.
const BOUND: Duration = Duration::from_secs(3);
/// What a busy 2-core machine may add to that before a call counts as late.
const MARGIN: Duration = Duration::from_secs(3);

/// A small xorshift, seeded per thread: the mix and the faults need no quality randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Default)]
struct Tally {
    done: AtomicU64,
    checked: AtomicU64,
    misrouted: AtomicU64,
    late: AtomicU64,
    published: AtomicU64,
    received: AtomicU64,
    errors: Mutex<BTreeMap<String, u64>>,
    faults: Mutex<BTreeMap<&'static str, u64>>,
    worst: Mutex<Duration>,
}

impl Tally {
    fn error(&self, e: &coredis::Error) {
        let kind = format!("{:?}", e.kind());
        *self.errors.lock().unwrap().entry(kind).or_default() += 1;
    }

    fn fault(&self, f: &'static str) {
        *self.faults.lock().unwrap().entry(f).or_default() += 1;
    }

    /// One reply `got` for the request that carried `want`.
    fn check(&self, what: &str, want: &str, got: &str) {
        self.checked.fetch_add(1, Ordering::Relaxed);
        if want != got {
            self.misrouted.fetch_add(1, Ordering::Relaxed);
            eprintln!("MISROUTED {what}: sent {want:?}, got {got:?}");
        }
    }

    /// Times `f`, a call that may take up to `bound`.
    fn timed<R>(&self, what: &str, bound: Duration, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let r = f();
        let took = start.elapsed();
        {
            let mut worst = self.worst.lock().unwrap();
            *worst = (*worst).max(took);
        }
        if took > bound + MARGIN {
            self.late.fetch_add(1, Ordering::Relaxed);
            eprintln!("LATE {what}: {took:?} (bound {bound:?} + margin {MARGIN:?})");
        }
        self.done.fetch_add(1, Ordering::Relaxed);
        r
    }
}

/// Peak resident memory of the process (`VmHWM`), in KiB.
fn peak_memory_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// What a worker knows of its own key on the caching client: the values it may hold (the
/// last acknowledged write, and every write since whose reply was lost: it may have run).
/// Whether value `a` was written by this thread before value `b` (both are `t:n:…`).
fn own_before(a: &str, b: &str) -> bool {
    let n = |v: &str| v.split(':').nth(1).and_then(|n| n.parse::<u64>().ok());
    matches!((n(a), n(b)), (Some(x), Some(y)) if x < y)
}

#[derive(Default)]
struct Own {
    possible: Vec<String>,
}

/// One round of one worker: a mix of every way of sending, each reply checked.
fn round(r: &Redis, cached: &Redis, own: &mut Own, t: usize, n: u64, rng: &mut Rng, tally: &Tally) {
    let tag = |i: u64| format!("{t}:{n}:{i}:\r\n$3\r\n");
    match rng.below(7) {
        6 => {
            // The caching client: this thread's own key, written then read back (from the
            // cache or not); the read may only return a value this thread may have written.
            let key = format!("soak:cached:{t}");
            let want = tag(0);
            match tally.timed("cached SET", BOUND, || cached.set(&key, &want)) {
                Ok(()) => own.possible = vec![want.clone()],
                Err(e) => {
                    own.possible.push(want.clone());
                    tally.error(&e);
                }
            }
            for _ in 0..3 {
                match tally.timed("cached GET", BOUND, || cached.get::<Option<String>>(&key)) {
                    Ok(got) => {
                        tally.checked.fetch_add(1, Ordering::Relaxed);
                        // Nothing yet (a restarted server) or one of ours.
                        let ok = match &got {
                            None => true,
                            Some(g) => own.possible.contains(g),
                        };
                        if !ok {
                            tally.misrouted.fetch_add(1, Ordering::Relaxed);
                            eprintln!("STALE or MISROUTED cached GET {key}: {got:?}");
                        }
                        if let Some(g) = got {
                            // What the server holds now: older candidates are gone.
                            own.possible.retain(|p| *p == g || !own_before(p, &g));
                        }
                    }
                    Err(e) => tally.error(&e),
                }
            }
        }
        0 => {
            let want = tag(0);
            match tally.timed("ECHO", BOUND, || r.echo::<String>(&want)) {
                Ok(got) => tally.check("ECHO", &want, &got),
                Err(e) => tally.error(&e),
            }
        }
        1 => {
            let wants: Vec<String> = (0..8).map(tag).collect();
            tally.timed("handles", BOUND, || {
                let handles: Vec<_> = wants
                    .iter()
                    .map(|w| r.deferred().echo::<String>(w))
                    .collect();
                for (h, want) in handles.into_iter().zip(&wants) {
                    match h.wait() {
                        Ok(got) => tally.check("handle", want, &got),
                        Err(e) => tally.error(&e),
                    }
                }
            });
        }
        2 => {
            let wants: Vec<String> = (0..5).map(tag).collect();
            let p = r.pipeline();
            let tokens: Vec<_> = wants.iter().map(|w| p.echo::<String>(w)).collect();
            match tally.timed("pipeline", BOUND, || p.exec()) {
                Ok(replies) => {
                    for (q, want) in tokens.into_iter().zip(&wants) {
                        match replies.get(q) {
                            Ok(got) => tally.check("pipeline", want, &got),
                            Err(e) => tally.error(&e),
                        }
                    }
                }
                Err(e) => tally.error(&e),
            }
        }
        3 => {
            let wants: Vec<String> = (0..3).map(tag).collect();
            let tx = r.transaction();
            let tokens: Vec<_> = wants.iter().map(|w| tx.echo::<String>(w)).collect();
            match tally.timed("transaction", BOUND, || tx.exec()) {
                Ok(replies) => {
                    for (q, want) in tokens.into_iter().zip(&wants) {
                        match replies.get(q) {
                            Ok(got) => tally.check("transaction", want, &got),
                            Err(e) => tally.error(&e),
                        }
                    }
                }
                Err(e) => tally.error(&e),
            }
        }
        4 => {
            // A blocking command on a dedicated connection: what comes out of this thread's
            // list must be something this thread pushed (and not popped yet).
            let key = format!("soak:list:{t}");
            let want = tag(0);
            if let Err(e) = tally.timed("LPUSH", BOUND, || r.lpush(&key, &want)) {
                tally.error(&e);
            }
            match tally.timed("BLPOP", BOUND + BLOCK, || {
                r.blpop::<String, String>(&key, BLOCK)
            }) {
                Ok(Some((k, got))) => {
                    tally.checked.fetch_add(1, Ordering::Relaxed);
                    let mine = k == key && got.starts_with(&format!("{t}:"));
                    if !mine {
                        tally.misrouted.fetch_add(1, Ordering::Relaxed);
                        eprintln!("MISROUTED BLPOP {key}: got {k:?} {got:?}");
                    }
                }
                Ok(None) => {}
                Err(e) => tally.error(&e),
            }
        }
        _ => {
            let msg = format!("soak:{}", tag(0));
            match tally.timed("PUBLISH", BOUND, || r.publish("soak", &msg)) {
                Ok(_) => {
                    tally.published.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => tally.error(&e),
            }
        }
    }
}

/// The fault thread: one random fault at a time, held for a random while, then cleared.
fn inject(proxy: &Proxy, server: &mut Server, stop: &AtomicBool, tally: &Tally) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let pause = |rng: &mut Rng, max_ms: u64| {
        std::thread::sleep(Duration::from_millis(50 + rng.below(max_ms)));
    };
    while !stop.load(Ordering::SeqCst) {
        pause(&mut rng, 400);
        match rng.below(9) {
            0 => {
                tally.fault("latency");
                proxy.set_delay(Duration::from_millis(1 + rng.below(30)));
                pause(&mut rng, 1000);
                proxy.set_delay(Duration::ZERO);
            }
            1 => {
                tally.fault("trickle");
                proxy.set_chunk_cycle(&[1, 2, 3, 7, 1]);
                pause(&mut rng, 1000);
                proxy.set_chunk_cycle(&[]);
            }
            2 => {
                tally.fault("cut server→client mid-frame");
                proxy.cut_after(Some(rng.below(4096) as usize));
            }
            3 => {
                tally.fault("cut client→server mid-frame");
                proxy.cut_upstream_after(Some(rng.below(4096) as usize));
            }
            4 => {
                tally.fault("black hole");
                proxy.stall(true);
                pause(&mut rng, 2500);
                proxy.stall(false);
            }
            5 => {
                tally.fault("refuse new connections");
                proxy.refuse(true);
                pause(&mut rng, 800);
                proxy.refuse(false);
            }
            6 | 7 => {
                tally.fault("reset");
                proxy.kill_all();
            }
            _ => {
                tally.fault("server restart");
                server.restart();
            }
        }
    }
    proxy.cut_after(None);
    proxy.cut_upstream_after(None);
}

#[test]
fn soak_under_random_faults_never_misroutes_or_hangs() {
    let secs = std::env::var("COREDIS_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(20.0);
    let mut server = Server::start();
    let proxy = Proxy::start(&server.addr());
    let config = Config::builder()
        .addr(coredis::Addr::tcp("127.0.0.1", proxy.port()))
        .protocol_version(crate::util::protocol())
        .connect_timeout(TIMEOUT)
        .response_timeout(TIMEOUT)
        .max_dedicated_connections(16)
        .build()
        .unwrap();
    let r = Redis::new(config.clone()).unwrap();
    let cached = Redis::new(
        config
            .to_builder()
            .cache(coredis::CacheConfig::default())
            .build()
            .unwrap(),
    )
    .unwrap();
    let sub = r.pubsub().unwrap();
    sub.subscribe("soak").unwrap();
    let tally = Tally::default();
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|s| {
        let (r, cached, tally, stop, sub) = (&r, &cached, &tally, &stop, &sub);
        for t in 0..THREADS {
            s.spawn(move || {
                let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ ((t as u64 + 1) << 32));
                let mut own = Own::default();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    round(r, cached, &mut own, t, n, &mut rng, tally);
                }
            });
        }
        s.spawn(move || {
            let mut seen = HashSet::new();
            while !stop.load(Ordering::Relaxed) {
                match sub.recv_timeout(Duration::from_millis(100)) {
                    Ok(Some(m)) => {
                        let p = m.payload::<String>().unwrap_or_default();
                        tally.checked.fetch_add(1, Ordering::Relaxed);
                        // Only what a worker published, each message at most once.
                        if m.channel_str() != "soak"
                            || !p.starts_with("soak:")
                            || !seen.insert(p.clone())
                        {
                            tally.misrouted.fetch_add(1, Ordering::Relaxed);
                            eprintln!("MISROUTED message: {:?} {p:?}", m.channel_str());
                        }
                        tally.received.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(None) => {}
                    Err(e) if e.kind() == ErrorKind::Closed => break,
                    Err(e) => tally.error(&e),
                }
            }
        });
        let server = &mut server;
        let proxy = &proxy;
        s.spawn(move || {
            let until = Instant::now() + Duration::from_secs_f64(secs);
            let injector = std::thread::scope(|inner| {
                let h = inner.spawn(|| {
                    inject(proxy, server, stop, tally);
                });
                while Instant::now() < until {
                    std::thread::sleep(Duration::from_millis(50));
                }
                stop.store(true, Ordering::SeqCst);
                h.join()
            });
            assert!(injector.is_ok(), "the fault thread panicked");
        });
    });
    // The faults have stopped: the client works again, within a bound.
    proxy.stall(false);
    proxy.refuse(false);
    proxy.set_delay(Duration::ZERO);
    proxy.set_chunk_cycle(&[]);
    let recovered = Instant::now();
    loop {
        match r.echo::<String>("after") {
            Ok(v) if v == "after" => break,
            Ok(v) => panic!("MISROUTED after the soak: {v:?}"),
            Err(e) => {
                assert!(
                    recovered.elapsed() < Duration::from_secs(30),
                    "no recovery after the faults: {e:#}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    let errors = tally.errors.lock().unwrap().clone();
    let faults = tally.faults.lock().unwrap().clone();
    let report = format!(
        "soak: {:.0} s, {THREADS} threads, RESP{}: {} calls, {} replies checked, {} published, \
         {} received; faults {faults:?}; errors by kind {errors:?}; misrouted {}; late {} \
         (bound {BOUND:?} + margin {MARGIN:?}, worst call {:?}); peak memory {} MiB; cache \
         {:?}",
        started.elapsed().as_secs_f64(),
        crate::util::protocol(),
        tally.done.load(Ordering::Relaxed),
        tally.checked.load(Ordering::Relaxed),
        tally.published.load(Ordering::Relaxed),
        tally.received.load(Ordering::Relaxed),
        tally.misrouted.load(Ordering::Relaxed),
        tally.late.load(Ordering::Relaxed),
        *tally.worst.lock().unwrap(),
        peak_memory_kib() / 1024,
        cached.cache_stats(),
    );
    eprintln!("{report}");
    assert_eq!(tally.misrouted.load(Ordering::Relaxed), 0, "{report}");
    assert_eq!(tally.late.load(Ordering::Relaxed), 0, "{report}");
    assert!(faults.values().sum::<u64>() >= 5, "{report}");
    assert!(tally.checked.load(Ordering::Relaxed) >= 1000, "{report}");
}
