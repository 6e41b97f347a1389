//! Comparison benchmark: coredis against redis-rs on the same throw-away server.
//!
//! # What it measures
//!
//! One `redis-server` is started with the test harness (the `coredis-test-support` crate); its
//! binary is `$COREDIS_SERVER_BIN`, else `/usr/bin/redis-server`, else `redis-server` on
//! `PATH`. Before every run, 1000 keys of 16 bytes (`key:000000000123`) are preloaded with
//! fresh 64-byte values over a raw connection that uses neither client. The workloads:
//!
//! | workload      | coredis                                        | redis-rs                                              |
//! |---------------|------------------------------------------------|-------------------------------------------------------|
//! | `seq-get`     | one thread, sequential `GET` on a `Redis`      | one thread, sequential `GET` on a sync `Connection`   |
//! | `threads-N`   | N threads share one `Redis`, 50/50 `GET`/`SET` | one sync `Connection` per thread, same mix            |
//! | `threads-64`  | (as above)                                     | also: async `MultiplexedConnection`, 64 tokio tasks   |
//! | `inflight-64` | one thread keeping 64 deferred `GET` handles in flight (a ring: wait the oldest, submit a new one) | async `MultiplexedConnection` shared by 64 tokio tasks looping `GET` (multi-thread runtime, 2 workers) |
//!
//! `threads-N` is run for N = 4, 16 and 64. In the threaded workloads thread `t` of `N` owns
//! the keys `k` with `k % N == t` (every key is used, each by one thread), so every `GET`
//! reply is checked against the exact value that thread last wrote, or the preloaded one. In
//! the `GET`-only workloads every reply must equal the preloaded value. Values name their
//! run, key, writer and sequence number, so a reply meant for another command, key, thread
//! or run is caught: a broken client cannot look fast. Any error, wrong reply or panic fails
//! the (workload, client) cell and is reported in detail; the process then exits with 1.
//! A run that does not finish within 30 s of its planned end is reported as a hang and the
//! process exits with 2.
//!
//! Each run: connect, preload, warm up for 0.3 s, measure for `COREDIS_BENCH_SECS`. Per run:
//!
//! - **ops/s**: operations started and completed in the measurement window ÷ its length;
//! - **p50 / p99 µs**: per-operation latency measured with `Instant` around each call; for
//!   the in-flight workloads, from submitting a command to having its reply (which includes
//!   the time spent queued behind the other 63 commands);
//! - **client CPU µs/op**: user + system CPU time of this whole process over the window
//!   (`utime + stime` from `/proc/self/stat`, in ticks of `getconf CLK_TCK`, 100 Hz if that
//!   fails: a 10 ms resolution, under 1 % of a 2 s window), ÷ ops. It covers the benchmark's
//!   own bookkeeping (key choice, value formatting, checks, timestamps), the same for both
//!   clients, and the client's background threads; the server is another process and is not
//!   counted.
//!
//! Runs are interleaved: for each workload and repetition, the redis-rs runs then the coredis
//! run. Each cell reports the repetition with the median ops/s (all its metrics come from
//! that run). **ratio** is coredis ops/s ÷ redis-rs ops/s for the same workload.
//!
//! # Running
//!
//! ```text
//! cargo bench --bench compare                     # everything, about 1.5 min on 2 cores
//! cargo bench --bench compare -- threads-64       # only workloads whose name contains this
//! cargo bench --bench compare -- --exact threads-4
//! COREDIS_BENCH_SECS=0.5 COREDIS_BENCH_REPS=1 cargo bench --bench compare   # quick look
//! ```
//!
//! - `COREDIS_BENCH_SECS`: seconds per measurement (default 2; fractions allowed);
//! - `COREDIS_BENCH_REPS`: repetitions of every (workload, client) run (default 3);
//! - `COREDIS_SERVER_BIN`: the server binary.
//!
//! The Markdown table and the targets go to stdout (ready to paste); progress goes to stderr.
//! Without `--bench` (as under `cargo test --benches`) every run is a 0.05 s smoke test, once,
//! unless `COREDIS_BENCH_SECS` / `COREDIS_BENCH_REPS` say otherwise. Other libtest flags are
//! ignored; `--list` lists the workloads.

mod common;

use common::{clock_ticks, process_cpu};
use coredis_test_support as support;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use coredis::prelude::*;

/// Keys in the data set.
const KEYS: usize = 1000;
/// Length of every key, in bytes.
const KEY_LEN: usize = 16;
/// Length of every value, in bytes.
const VALUE_LEN: usize = 64;
/// Commands in flight in the `inflight-64` workload, and tasks of the redis-rs async runs.
const INFLIGHT: usize = 64;
/// Warm-up before each measurement (shortened to the measurement time if that is shorter).
const WARMUP: Duration = Duration::from_millis(300);
/// How long after its planned end a run may take before it is reported as a hang.
const HANG_GRACE: Duration = Duration::from_secs(30);

type Key = [u8; KEY_LEN];
type Val = [u8; VALUE_LEN];

// ---------------------------------------------------------------------------------------
// Workloads, clients, settings
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    SeqGet,
    Threads(usize),
    Inflight,
}

const WORKLOADS: [Workload; 5] = [
    Workload::SeqGet,
    Workload::Threads(4),
    Workload::Threads(16),
    Workload::Threads(64),
    Workload::Inflight,
];

impl Workload {
    fn name(self) -> String {
        match self {
            Workload::SeqGet => "seq-get".to_owned(),
            Workload::Threads(n) => format!("threads-{n}"),
            Workload::Inflight => format!("inflight-{INFLIGHT}"),
        }
    }

    /// The clients compared, in run order: redis-rs first (the first one is the baseline of
    /// the ratio), coredis last.
    fn clients(self) -> Vec<Client> {
        match self {
            Workload::SeqGet => vec![Client::RsSync, Client::Coredis],
            Workload::Threads(INFLIGHT) => vec![Client::RsSync, Client::RsAsync, Client::Coredis],
            Workload::Threads(_) => vec![Client::RsSync, Client::Coredis],
            Workload::Inflight => vec![Client::RsAsync, Client::Coredis],
        }
    }

    /// Whether half of the operations are `SET`s (else all are `GET`s).
    fn sets(self) -> bool {
        matches!(self, Workload::Threads(_))
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Client {
    Coredis,
    RsSync,
    RsAsync,
}

impl Client {
    fn label(self, w: Workload) -> String {
        match (self, w) {
            (Client::Coredis, Workload::SeqGet) => "coredis `Redis`".to_owned(),
            (Client::Coredis, Workload::Threads(_)) => "coredis, one shared `Redis`".to_owned(),
            (Client::Coredis, Workload::Inflight) => {
                format!("coredis, 1 thread, {INFLIGHT} handles in flight")
            }
            (Client::RsSync, Workload::SeqGet) => "redis-rs sync `Connection`".to_owned(),
            (Client::RsSync, _) => "redis-rs, `Connection` per thread".to_owned(),
            (Client::RsAsync, _) => format!("redis-rs async multiplexed, {INFLIGHT} tasks"),
        }
    }
}

struct Settings {
    secs: Duration,
    warmup: Duration,
    reps: usize,
    smoke: bool,
    filters: Vec<String>,
    exact: bool,
    /// The 1-minute load average when the bench started: other work on the machine skews
    /// every number.
    load_at_start: String,
}

impl Settings {
    fn from_env_and_args() -> Settings {
        let mut bench = false;
        let mut exact = false;
        let mut list = false;
        let mut filters = Vec::new();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => bench = true,
                "--exact" => exact = true,
                "--list" => list = true,
                // libtest flags that take a value: skip the value too.
                "--format" | "--color" | "--logfile" | "--test-threads" | "--skip" | "-Z" => {
                    args.next();
                }
                a if a.starts_with('-') => {} // other libtest flags: ignored
                _ => filters.push(arg),
            }
        }
        let smoke = !bench;
        let secs = env_f64("COREDIS_BENCH_SECS").unwrap_or(if smoke { 0.05 } else { 2.0 });
        let secs = Duration::from_secs_f64(secs);
        let reps = env_f64("COREDIS_BENCH_REPS").map_or(if smoke { 1 } else { 3 }, |r| r as usize);
        let settings = Settings {
            secs,
            warmup: WARMUP.min(secs),
            reps: reps.max(1),
            smoke,
            filters,
            exact,
            load_at_start: std::fs::read_to_string("/proc/loadavg")
                .ok()
                .and_then(|l| l.split_whitespace().next().map(str::to_owned))
                .unwrap_or_else(|| "n/a".to_owned()),
        };
        if list {
            for w in WORKLOADS.iter().filter(|w| settings.selects(**w)) {
                println!("{}: benchmark", w.name());
            }
            std::process::exit(0);
        }
        settings
    }

    fn selects(&self, w: Workload) -> bool {
        let name = w.name();
        self.filters.is_empty()
            || self.filters.iter().any(|f| {
                if self.exact {
                    *f == name
                } else {
                    name.contains(f.as_str())
                }
            })
    }
}

/// A positive number from the environment; exits with a message when it is not one.
fn env_f64(var: &str) -> Option<f64> {
    let text = std::env::var(var).ok().filter(|v| !v.trim().is_empty())?;
    match text.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Some(v),
        _ => {
            eprintln!("{var} must be a positive number, not {text:?}");
            std::process::exit(2);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Data set: keys, values, preloading
// ---------------------------------------------------------------------------------------

/// The keys and the values preloaded for one run.
struct RunData {
    id: u32,
    keys: Vec<Key>,
    preload: Vec<Val>,
}

const PRELOAD_WRITER: u32 = 999;

/// `r<run>k<key>w<writer>s<seq>` padded with dots to 64 bytes: names its origin exactly.
fn make_value(run: u32, key: usize, writer: u32, seq: u64) -> Val {
    let mut v = [b'.'; VALUE_LEN];
    let mut out = &mut v[..];
    // 29 bytes at most for run < 10^6, key < 10^4, writer < 10^3, seq < 10^12: always fits.
    let _ = write!(out, "r{run:06}k{key:04}w{writer:03}s{seq:012}");
    v
}

/// A value (or whatever came back instead) as text for error messages.
fn show(bytes: &[u8]) -> String {
    format!(
        "{:?} ({} bytes)",
        String::from_utf8_lossy(bytes),
        bytes.len()
    )
}

impl RunData {
    fn new(id: u32) -> RunData {
        let keys = (0..KEYS)
            .map(|i| {
                let mut k = [0u8; KEY_LEN];
                let mut out = &mut k[..];
                let _ = write!(out, "key:{i:012}");
                k
            })
            .collect();
        let preload = (0..KEYS)
            .map(|i| make_value(id, i, PRELOAD_WRITER, 0))
            .collect();
        RunData { id, keys, preload }
    }

    /// `MSET`s every key to its preload value through the harness's raw connection.
    fn load(&self, server: &support::Server) -> Result<(), String> {
        let mut args: Vec<&str> = Vec::with_capacity(1 + 2 * KEYS);
        args.push("MSET");
        for (k, v) in self.keys.iter().zip(&self.preload) {
            args.push(std::str::from_utf8(k).map_err(|e| e.to_string())?);
            args.push(std::str::from_utf8(v).map_err(|e| e.to_string())?);
        }
        match server.command(&args).as_str() {
            "OK" => Ok(()),
            other => Err(format!("preloading with MSET failed: {other}")),
        }
    }
}

/// xorshift64*: cheap, deterministic per worker.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }
}

// ---------------------------------------------------------------------------------------
// Run control: phases, readiness, the hang watchdog, CPU time
// ---------------------------------------------------------------------------------------

const WARMING: u8 = 0;
const MEASURING: u8 = 1;
const STOPPED: u8 = 2;

/// Shared by the coordinator and the workers of one run.
struct Ctl {
    phase: AtomicU8,
    ready: AtomicUsize,
    done: AtomicUsize,
    failed: AtomicBool,
}

impl Ctl {
    fn new() -> Ctl {
        Ctl {
            phase: AtomicU8::new(WARMING),
            ready: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
        }
    }

    fn phase(&self) -> u8 {
        self.phase.load(Ordering::Acquire)
    }
}

/// Counts a worker as done when dropped, even when it panics.
struct DoneGuard<'a>(&'a Ctl);

impl Drop for DoneGuard<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.failed.store(true, Ordering::Release);
        }
        self.0.done.fetch_add(1, Ordering::AcqRel);
    }
}

/// What the measurement window saw.
struct Window {
    wall: Duration,
    cpu: Option<Duration>,
}

/// Coordinates one run: waits for every worker to be connected and ready, warms up, measures,
/// stops the workers. Returns early (stopped) when a worker fails.
fn drive(ctl: &Ctl, workers: usize, s: &Settings, wd: &Watchdog, what: &str) -> Window {
    wd.stage(format!("{what}: connecting {workers} worker(s)"));
    while ctl.ready.load(Ordering::Acquire) < workers && !ctl.failed.load(Ordering::Acquire) {
        thread::sleep(Duration::from_millis(2));
    }
    wd.stage(format!("{what}: warming up"));
    sleep_unless_failed(ctl, s.warmup);
    wd.stage(format!("{what}: measuring"));
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    ctl.phase.store(MEASURING, Ordering::Release);
    sleep_unless_failed(ctl, s.secs);
    ctl.phase.store(STOPPED, Ordering::Release);
    let wall = t0.elapsed();
    let cpu = process_cpu().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    loop {
        let done = ctl.done.load(Ordering::Acquire);
        if done >= workers {
            break;
        }
        wd.stage(format!(
            "{what}: stopping: {done} of {workers} worker(s) finished"
        ));
        thread::sleep(Duration::from_millis(5));
    }
    Window { wall, cpu }
}

fn sleep_unless_failed(ctl: &Ctl, d: Duration) {
    let end = Instant::now() + d;
    while !ctl.failed.load(Ordering::Acquire) {
        let now = Instant::now();
        if now >= end {
            break;
        }
        thread::sleep((end - now).min(Duration::from_millis(10)));
    }
}

/// Kills the process with a report when a run overruns its deadline: a hang must be seen,
/// not waited out.
struct Watchdog {
    state: Mutex<Option<(Instant, String)>>,
}

impl Watchdog {
    fn start() -> &'static Watchdog {
        let wd: &'static Watchdog = Box::leak(Box::new(Watchdog {
            state: Mutex::new(None),
        }));
        thread::Builder::new()
            .name("bench-watchdog".into())
            .spawn(move || loop {
                thread::sleep(Duration::from_millis(100));
                let state = wd.state.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((deadline, stage)) = state.as_ref() {
                    if Instant::now() > *deadline {
                        eprintln!(
                            "\ncoredis bench: HANG: stuck for more than {HANG_GRACE:?} past \
                             the planned end of the run, at stage: {stage}"
                        );
                        let _ = std::io::stdout().flush();
                        std::process::exit(2);
                    }
                }
            })
            .expect("cannot start the watchdog thread");
        wd
    }

    fn arm(&self, planned: Duration, stage: String) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now() + planned + HANG_GRACE, stage));
    }

    fn stage(&self, stage: String) {
        if let Some((_, s)) = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            *s = stage;
        }
    }

    fn disarm(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

// ---------------------------------------------------------------------------------------
// Per-worker state: key choice, expected values, checks, latency samples
// ---------------------------------------------------------------------------------------

/// What one worker (thread or task) counted.
#[derive(Default)]
struct Stats {
    ops: u64,
    lat_ns: Vec<u32>,
}

impl Stats {
    fn record(&mut self, phase_at_start: u8, started: Instant) {
        let ns = started.elapsed().as_nanos();
        if phase_at_start == MEASURING {
            self.ops += 1;
            self.lat_ns.push(u32::try_from(ns).unwrap_or(u32::MAX));
        }
    }
}

/// The next operation of a worker.
enum Op {
    Get,
    Set(Val),
}

/// One worker of a `GET`/`SET` workload: owns the keys `k % workers == id` and knows the value
/// each of them must hold.
struct Worker {
    what: String,
    id: usize,
    data: Arc<RunData>,
    rng: Rng,
    own: Vec<usize>,
    expected: Vec<Val>,
    sets: bool,
    seq: u64,
    stats: Stats,
}

impl Worker {
    fn new(what: &str, id: usize, workers: usize, data: Arc<RunData>, sets: bool) -> Worker {
        let own: Vec<usize> = (id..KEYS).step_by(workers).collect();
        let expected = own.iter().map(|&k| data.preload[k]).collect();
        Worker {
            what: format!("{what}, worker {id}"),
            id,
            rng: Rng::new((u64::from(data.id) << 16) ^ id as u64 ^ 0xC0DE),
            data,
            own,
            expected,
            sets,
            seq: 0,
            stats: Stats {
                ops: 0,
                lat_ns: Vec::with_capacity(1 << 14),
            },
        }
    }

    /// Picks the next key (as an index into the worker's own keys) and operation.
    fn next(&mut self) -> (usize, Op) {
        let slot = self.rng.below(self.own.len());
        if self.sets && self.rng.next() & 1 == 1 {
            self.seq += 1;
            let v = make_value(self.data.id, self.own[slot], self.id as u32, self.seq);
            (slot, Op::Set(v))
        } else {
            (slot, Op::Get)
        }
    }

    fn key(&self, slot: usize) -> &Key {
        &self.data.keys[self.own[slot]]
    }

    fn set_done(&mut self, slot: usize, v: Val) {
        self.expected[slot] = v;
    }

    fn check_get(&self, slot: usize, got: Option<Vec<u8>>) -> Result<(), String> {
        check_value(&self.what, self.key(slot), &self.expected[slot], got)
    }

    fn fail(&self, op: &Op, slot: usize, err: impl std::fmt::Display) -> String {
        let op = match op {
            Op::Get => "GET".to_owned(),
            Op::Set(v) => format!("SET (value {})", show(v)),
        };
        format!(
            "{}: {op} {} failed: {err}",
            self.what,
            String::from_utf8_lossy(self.key(slot))
        )
    }
}

fn check_value(what: &str, key: &Key, expected: &Val, got: Option<Vec<u8>>) -> Result<(), String> {
    match got {
        Some(v) if v[..] == expected[..] => Ok(()),
        Some(v) => Err(format!(
            "{what}: WRONG REPLY to GET {}: got {}, expected {}",
            String::from_utf8_lossy(key),
            show(&v),
            show(expected)
        )),
        None => Err(format!(
            "{what}: WRONG REPLY to GET {}: got nil, expected {}",
            String::from_utf8_lossy(key),
            show(expected)
        )),
    }
}

/// A blocking key-value client as the threaded workloads use it.
trait Kv {
    fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String>;
    fn store(&mut self, key: &Key, value: &Val) -> Result<(), String>;
}

fn coredis_err(e: coredis::Error) -> String {
    format!("coredis error: {e} [{e:?}]")
}

fn redis_rs_err(e: redis::RedisError) -> String {
    format!("redis-rs error: {e}")
}

impl Kv for &coredis::Redis {
    fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String> {
        self.get::<Option<Vec<u8>>>(key).map_err(coredis_err)
    }

    fn store(&mut self, key: &Key, value: &Val) -> Result<(), String> {
        self.set(key, value).map_err(coredis_err)
    }
}

impl Kv for redis::Connection {
    fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String> {
        redis::cmd("GET")
            .arg(&key[..])
            .query::<Option<Vec<u8>>>(self)
            .map_err(redis_rs_err)
    }

    fn store(&mut self, key: &Key, value: &Val) -> Result<(), String> {
        redis::cmd("SET")
            .arg(&key[..])
            .arg(&value[..])
            .query::<()>(self)
            .map_err(redis_rs_err)
    }
}

// ---------------------------------------------------------------------------------------
// Drivers
// ---------------------------------------------------------------------------------------

/// The raw result of one run.
struct Measurement {
    ops: u64,
    wall: Duration,
    cpu: Option<Duration>,
    lat_ns: Vec<u32>,
}

impl Measurement {
    fn new(window: Window, stats: Vec<Stats>) -> Measurement {
        let ops = stats.iter().map(|s| s.ops).sum();
        let mut lat_ns: Vec<u32> = Vec::with_capacity(stats.iter().map(|s| s.lat_ns.len()).sum());
        for s in stats {
            lat_ns.extend_from_slice(&s.lat_ns);
        }
        lat_ns.sort_unstable();
        Measurement {
            ops,
            wall: window.wall,
            cpu: window.cpu,
            lat_ns,
        }
    }

    fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64()
    }

    fn percentile_us(&self, q: f64) -> f64 {
        if self.lat_ns.is_empty() {
            return f64::NAN;
        }
        let i = ((self.lat_ns.len() - 1) as f64 * q).round() as usize;
        f64::from(self.lat_ns[i]) / 1000.0
    }

    fn cpu_us_per_op(&self) -> Option<f64> {
        let cpu = self.cpu?;
        (self.ops > 0).then(|| cpu.as_secs_f64() * 1e6 / self.ops as f64)
    }
}

/// Joins a scoped worker thread, turning a panic into an error message.
fn join<T>(what: &str, h: thread::ScopedJoinHandle<'_, Result<T, String>>) -> Result<T, String> {
    h.join().unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic payload)".to_owned());
        Err(format!("{what}: PANIC: {msg}"))
    })
}

/// Keeps the first of several worker errors (the others are usually its consequences) and
/// says how many there were.
fn collect<T>(results: Vec<Result<T, String>>) -> Result<Vec<T>, String> {
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().cloned())
        .collect();
    if let Some(first) = errors.first() {
        let more = match errors.len() {
            1 => String::new(),
            n => format!(
                " (and {} more worker error(s): {})",
                n - 1,
                errors[1..].join(" | ")
            ),
        };
        return Err(format!("{first}{more}"));
    }
    Ok(results.into_iter().filter_map(Result::ok).collect())
}

/// `threads` blocking threads, each with the client `connect` gives it, looping `GET`/`SET`.
fn run_blocking<K: Kv>(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    data: &Arc<RunData>,
    threads: usize,
    sets: bool,
    connect: impl Fn() -> Result<K, String> + Sync,
) -> Result<Measurement, String> {
    let ctl = Ctl::new();
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|id| {
                let (ctl, connect, data) = (&ctl, &connect, data.clone());
                scope.spawn(move || {
                    let _done = DoneGuard(ctl);
                    let r =
                        blocking_worker(ctl, Worker::new(what, id, threads, data, sets), connect);
                    if r.is_err() {
                        ctl.failed.store(true, Ordering::Release);
                    }
                    r
                })
            })
            .collect();
        let window = drive(&ctl, threads, s, wd, what);
        let results = handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| join(&format!("{what}, worker {i}"), h))
            .collect();
        Ok(Measurement::new(window, collect(results)?))
    })
}

fn blocking_worker<K: Kv>(
    ctl: &Ctl,
    mut w: Worker,
    connect: &(impl Fn() -> Result<K, String> + Sync),
) -> Result<Stats, String> {
    let mut client = connect().map_err(|e| format!("{}: connecting: {e}", w.what))?;
    ctl.ready.fetch_add(1, Ordering::AcqRel);
    loop {
        let phase = ctl.phase();
        if phase == STOPPED {
            return Ok(w.stats);
        }
        let (slot, op) = w.next();
        let started = Instant::now();
        match op {
            Op::Get => {
                let got = client
                    .fetch(w.key(slot))
                    .map_err(|e| w.fail(&op, slot, e))?;
                w.stats.record(phase, started);
                w.check_get(slot, got)?;
            }
            Op::Set(v) => {
                client
                    .store(w.key(slot), &v)
                    .map_err(|e| w.fail(&op, slot, e))?;
                w.stats.record(phase, started);
                w.set_done(slot, v);
            }
        }
    }
}

/// redis-rs: one async `MultiplexedConnection` shared by `tasks` tokio tasks on a
/// multi-thread runtime with 2 workers, each task looping `GET` (or `GET`/`SET`).
fn run_rs_async(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    url: &str,
    data: &Arc<RunData>,
    tasks: usize,
    sets: bool,
) -> Result<Measurement, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("{what}: building the tokio runtime: {e}"))?;
    let client = redis::Client::open(url).map_err(|e| format!("{what}: {}", redis_rs_err(e)))?;
    let con = rt
        .block_on(client.get_multiplexed_async_connection())
        .map_err(|e| format!("{what}: connecting: {}", redis_rs_err(e)))?;
    let ctl = Arc::new(Ctl::new());
    let handles: Vec<_> = (0..tasks)
        .map(|id| {
            let w = Worker::new(what, id, tasks, data.clone(), sets);
            let (ctl, con) = (ctl.clone(), con.clone());
            rt.spawn(async move {
                let _done = DoneGuard(&ctl);
                let r = async_worker(&ctl, w, con).await;
                if r.is_err() {
                    ctl.failed.store(true, Ordering::Release);
                }
                r
            })
        })
        .collect();
    let window = drive(&ctl, tasks, s, wd, what);
    let results = rt.block_on(async {
        let mut results = Vec::with_capacity(handles.len());
        for (i, h) in handles.into_iter().enumerate() {
            results.push(
                h.await
                    .unwrap_or_else(|e| Err(format!("{what}, worker {i}: task failed: {e}"))),
            );
        }
        results
    });
    drop(con);
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(Measurement::new(window, collect(results)?))
}

async fn async_worker(
    ctl: &Ctl,
    mut w: Worker,
    mut con: redis::aio::MultiplexedConnection,
) -> Result<Stats, String> {
    ctl.ready.fetch_add(1, Ordering::AcqRel);
    loop {
        let phase = ctl.phase();
        if phase == STOPPED {
            return Ok(w.stats);
        }
        let (slot, op) = w.next();
        let started = Instant::now();
        match op {
            Op::Get => {
                let got = redis::cmd("GET")
                    .arg(&w.key(slot)[..])
                    .query_async::<Option<Vec<u8>>>(&mut con)
                    .await
                    .map_err(|e| w.fail(&op, slot, redis_rs_err(e)))?;
                w.stats.record(phase, started);
                w.check_get(slot, got)?;
            }
            Op::Set(v) => {
                redis::cmd("SET")
                    .arg(&w.key(slot)[..])
                    .arg(&v[..])
                    .query_async::<()>(&mut con)
                    .await
                    .map_err(|e| w.fail(&op, slot, redis_rs_err(e)))?;
                w.stats.record(phase, started);
                w.set_done(slot, v);
            }
        }
    }
}

/// coredis: one thread keeping `INFLIGHT` deferred `GET`s outstanding: wait the oldest,
/// check it, submit a new one. Latency is submit → reply collected.
fn run_coredis_inflight(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    r: &coredis::Redis,
    data: &Arc<RunData>,
) -> Result<Measurement, String> {
    let ctl = Ctl::new();
    thread::scope(|scope| {
        let h = scope.spawn(|| {
            let _done = DoneGuard(&ctl);
            let res = inflight_worker(&ctl, what, r, data);
            if res.is_err() {
                ctl.failed.store(true, Ordering::Release);
            }
            res
        });
        let window = drive(&ctl, 1, s, wd, what);
        let stats = join(what, h)?;
        Ok(Measurement::new(window, vec![stats]))
    })
}

fn inflight_worker(
    ctl: &Ctl,
    what: &str,
    r: &coredis::Redis,
    data: &RunData,
) -> Result<Stats, String> {
    type InFlight = (u8, Instant, usize, coredis::Handle<Option<Vec<u8>>>);
    let mut rng = Rng::new(u64::from(data.id) ^ 0x1F1F);
    let mut stats = Stats {
        ops: 0,
        lat_ns: Vec::with_capacity(1 << 16),
    };
    let mut submit = |ring: &mut VecDeque<InFlight>| {
        let k = rng.below(KEYS);
        let phase = ctl.phase();
        let started = Instant::now();
        let h = r.deferred().get::<Option<Vec<u8>>>(&data.keys[k]);
        ring.push_back((phase, started, k, h));
    };
    let mut ring: VecDeque<InFlight> = VecDeque::with_capacity(INFLIGHT);
    for _ in 0..INFLIGHT {
        submit(&mut ring);
    }
    ctl.ready.fetch_add(1, Ordering::AcqRel);
    let mut completed: u64 = 0;
    while let Some((phase, started, k, h)) = ring.pop_front() {
        let got = h.wait().map_err(|e| {
            format!(
                "{what}: GET {} (reply #{} of this run, {} other commands in flight) \
                 failed: {}",
                String::from_utf8_lossy(&data.keys[k]),
                completed + 1,
                ring.len(),
                coredis_err(e)
            )
        })?;
        stats.record(phase, started);
        completed += 1;
        check_value(
            &format!("{what} (reply #{completed} of this run)"),
            &data.keys[k],
            &data.preload[k],
            got,
        )?;
        // After the stop, drain the ring instead of refilling it.
        if ctl.phase() != STOPPED {
            submit(&mut ring);
        }
    }
    Ok(stats)
}

// ---------------------------------------------------------------------------------------
// Orchestration and report
// ---------------------------------------------------------------------------------------

/// One (workload, client) run, with a freshly preloaded data set and fresh connections.
fn run_one(
    s: &Settings,
    wd: &Watchdog,
    server: &support::Server,
    w: Workload,
    c: Client,
    run_id: u32,
) -> Result<Measurement, String> {
    let what = format!("{} / {}", w.name(), c.label(w));
    let data = Arc::new(RunData::new(run_id));
    wd.stage(format!("{what}: preloading"));
    data.load(server).map_err(|e| format!("{what}: {e}"))?;
    let url = server.url();
    let threads = match w {
        Workload::SeqGet => 1,
        Workload::Threads(n) => n,
        Workload::Inflight => INFLIGHT,
    };
    match (c, w) {
        (Client::RsAsync, _) => run_rs_async(s, wd, &what, &url, &data, threads, w.sets()),
        (Client::RsSync, _) => run_blocking(s, wd, &what, &data, threads, w.sets(), || {
            redis::Client::open(url.as_str())
                .and_then(|c| c.get_connection())
                .map_err(redis_rs_err)
        }),
        (Client::Coredis, _) => {
            wd.stage(format!("{what}: connecting"));
            let r = coredis::Redis::from_url(&url)
                .map_err(|e| format!("{what}: connecting: {}", coredis_err(e)))?;
            let m = match w {
                Workload::Inflight => run_coredis_inflight(s, wd, &what, &r, &data),
                _ => run_blocking(s, wd, &what, &data, threads, w.sets(), || Ok(&r)),
            };
            wd.stage(format!("{what}: dropping the client"));
            drop(r);
            m
        }
    }
}

/// The result of every repetition of one (workload, client).
struct Cell {
    workload: Workload,
    client: Client,
    runs: Vec<Measurement>,
    error: Option<String>,
}

impl Cell {
    /// The repetition with the median ops/s (the lower middle one for an even count).
    fn median(&self) -> Option<&Measurement> {
        if self.error.is_some() {
            return None;
        }
        let mut runs: Vec<&Measurement> = self.runs.iter().collect();
        runs.sort_by(|a, b| a.ops_per_sec().total_cmp(&b.ops_per_sec()));
        runs.get(runs.len().saturating_sub(1) / 2).copied()
    }
}

fn main() {
    let s = Settings::from_env_and_args();
    let workloads: Vec<Workload> = WORKLOADS.into_iter().filter(|w| s.selects(*w)).collect();
    if workloads.is_empty() {
        eprintln!(
            "no workload matches {:?}; workloads: {}",
            s.filters,
            WORKLOADS.map(Workload::name).join(", ")
        );
        std::process::exit(2);
    }
    let wd = Watchdog::start();
    eprintln!(
        "coredis bench: load average {}; {} s per measurement after {} s warm-up, {} \
         repetition(s){}",
        s.load_at_start,
        s.secs.as_secs_f64(),
        s.warmup.as_secs_f64(),
        s.reps,
        if s.smoke {
            " (smoke mode: no --bench flag)"
        } else {
            ""
        }
    );
    let server = support::Server::start();
    let version = support::server_version();

    let mut cells: Vec<Cell> = workloads
        .iter()
        .flat_map(|&w| {
            w.clients().into_iter().map(move |c| Cell {
                workload: w,
                client: c,
                runs: Vec::new(),
                error: None,
            })
        })
        .collect();
    let mut run_id = 0u32;
    for &w in &workloads {
        for rep in 1..=s.reps {
            for cell in cells.iter_mut().filter(|c| c.workload == w) {
                if cell.error.is_some() {
                    continue;
                }
                run_id += 1;
                let what = format!("{} / {} (rep {rep})", w.name(), cell.client.label(w));
                wd.arm(s.warmup + s.secs, format!("{what}: starting"));
                let result = run_one(&s, wd, &server, w, cell.client, run_id);
                wd.disarm();
                match result {
                    Ok(m) => {
                        eprintln!(
                            "  {what:<60} {:>9.0} ops/s  p50 {:>7.1} µs  p99 {:>7.1} µs",
                            m.ops_per_sec(),
                            m.percentile_us(0.50),
                            m.percentile_us(0.99)
                        );
                        cell.runs.push(m);
                    }
                    Err(e) => {
                        eprintln!("  {what}: FAILED: {e}");
                        cell.error = Some(e);
                    }
                }
            }
        }
    }

    print!("{}", report(&s, &version, &cells));
    let _ = std::io::stdout().flush();
    if cells.iter().any(|c| c.error.is_some()) {
        std::process::exit(1);
    }
}

fn fmt_ops(v: f64) -> String {
    let n = v.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn ops_of(cells: &[Cell], w: Workload, c: Client) -> Option<f64> {
    cells
        .iter()
        .find(|x| x.workload == w && x.client == c)
        .and_then(Cell::median)
        .map(Measurement::ops_per_sec)
}

fn report(s: &Settings, version: &str, cells: &[Cell]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## coredis vs redis-rs\n\n{} {version} on 127.0.0.1, {} CPU(s), load average \
         {} at the start; {} s per measurement, median of {} run(s); CPU time at {} Hz ticks.\n",
        support::server_bin().display(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        s.load_at_start,
        s.secs.as_secs_f64(),
        s.reps,
        clock_ticks()
    );
    let _ = writeln!(
        out,
        "| workload | client | ops/s | p50 µs | p99 µs | client CPU µs/op | ratio |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
    for cell in cells {
        let w = cell.workload;
        let label = cell.client.label(w);
        let Some(m) = cell.median() else {
            let _ = writeln!(out, "| {} | {label} | FAILED | | | | |", w.name());
            continue;
        };
        let baseline = w.clients()[0];
        let coredis = ops_of(cells, w, Client::Coredis);
        let ratio = match cell.client {
            Client::Coredis => ops_of(cells, w, baseline)
                .map(|b| format!("{:.2}×", m.ops_per_sec() / b))
                .unwrap_or_default(),
            c if c != baseline => coredis
                .map(|x| format!("({:.2}× vs this)", x / m.ops_per_sec()))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let cpu = m
            .cpu_us_per_op()
            .map_or_else(|| "n/a".to_owned(), |c| format!("{c:.2}"));
        let _ = writeln!(
            out,
            "| {} | {label} | {} | {:.1} | {:.1} | {cpu} | {ratio} |",
            w.name(),
            fmt_ops(m.ops_per_sec()),
            m.percentile_us(0.50),
            m.percentile_us(0.99),
        );
    }
    let _ = writeln!(
        out,
        "\nratio: coredis ops/s ÷ the first redis-rs row of the workload; \"vs this\": \
         coredis ÷ that reference row.\n\n### Targets\n"
    );
    let targets = [
        (Workload::SeqGet, Client::RsSync, 0.95),
        (Workload::Threads(4), Client::RsSync, 0.8),
        (Workload::Threads(64), Client::RsSync, 1.5),
        (Workload::Inflight, Client::RsAsync, 1.0),
    ];
    for (w, baseline, goal) in targets {
        let verdict = if !s.selects(w) {
            "not run".to_owned()
        } else {
            match (
                ops_of(cells, w, Client::Coredis),
                ops_of(cells, w, baseline),
            ) {
                (Some(c), Some(b)) => {
                    let r = c / b;
                    let mark = if r >= goal { "MET" } else { "MISSED" };
                    let smoke = if s.smoke {
                        " (smoke run: not meaningful)"
                    } else {
                        ""
                    };
                    format!("{r:.2}× — **{mark}**{smoke}")
                }
                _ => "FAILED (see problems)".to_owned(),
            }
        };
        let _ = writeln!(
            out,
            "- {}: coredis ≥ {goal:.2}× {}: {verdict}",
            w.name(),
            baseline.label(w)
        );
    }
    let problems: Vec<&Cell> = cells.iter().filter(|c| c.error.is_some()).collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n### Problems\n");
        for c in problems {
            let _ = writeln!(out, "- {}", c.error.as_deref().unwrap_or_default());
        }
    }
    out
}
