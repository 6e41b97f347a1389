//! Cluster benchmark: coredis' `RedisCluster` against redis-rs' cluster clients on the same
//! throw-away Redis Cluster, and what a `RedisCluster` costs on a 30-node cluster.
//!
//! # What it measures
//!
//! A cluster of 3 primaries with one replica each (6 `redis-server`s on 127.0.0.1) is started
//! with the test harness (`coredis_test_support::Cluster::start(3, 1)`); the server binary is
//! `$COREDIS_SERVER_BIN`, else `/usr/bin/redis-server`, else `redis-server` on `PATH`. Before
//! every run, 1000 keys of 16 bytes (`key:000000000123`, spread over about 1000 slots and so
//! over the 3 primaries) are preloaded with fresh 64-byte values over raw connections to the
//! slots' owners that use neither client. The workloads:
//!
//! | workload      | coredis                                              | redis-rs                                                |
//! |---------------|------------------------------------------------------|---------------------------------------------------------|
//! | `threads-64`  | 64 threads share one `RedisCluster`, 50/50 `GET`/`SET` | sync `cluster::ClusterConnection` per thread, same mix; async `cluster_async::ClusterConnection` cloned into 64 tokio tasks (2 workers) |
//! | `inflight-64` | one thread keeping 64 deferred `GET` handles in flight (a ring: wait the oldest, submit a new one) | async `cluster_async::ClusterConnection` cloned into 64 tokio tasks looping `GET` (2 workers) |
//!
//! A diagnostic workload, `one-slot`, run only when a filter names it, is `inflight-64` on
//! keys that all carry the hash tag `{0}` (`{0}key:000000123`): one slot, one primary. Set
//! against `inflight-64` it separates the cost of the cluster layer (routing, redirect hooks)
//! from the cost of spreading one caller's commands over several nodes.
//!
//! Thread (or task) `t` of 64 owns the keys `k` with `k % 64 == t`, so every `GET` reply is
//! checked against the exact value that thread last wrote, or the preloaded one; in
//! `inflight-64` every reply must equal the preloaded value. Values name their run, key,
//! writer and sequence number, so a reply meant for another command, key, thread or run is
//! caught. Any error, wrong reply or panic fails the (workload, client) cell and is reported;
//! the process then exits with 1. A run that does not finish within 30 s of its planned end is
//! reported as a hang and the process exits with 2.
//!
//! Each run: connect, preload, warm up for 0.3 s, measure for `COREDIS_BENCH_SECS`. Reported
//! per cell, from the repetition with the median ops/s: ops/s, p50/p99 latency (µs, around
//! each call; for the in-flight workload from submit to reply), and client CPU µs/op (user +
//! system CPU time of this whole process over the window, from `/proc/self/stat`, ÷ ops: it
//! covers the bench's own bookkeeping, the same for every client, and the clients' background
//! threads; the servers are other processes), and context switches per operation (voluntary
//! and involuntary, summed over the process's threads from `/proc/self/task/*/status` at the
//! start and end of the window: how often a thread slept or was preempted, a proxy for
//! thread hand-offs). Runs are interleaved: per repetition, the redis-rs runs, then coredis.
//! **ratio** is coredis ops/s ÷ the first redis-rs row of the workload; "vs this" is coredis
//! ÷ that row.
//!
//! # The cost mode
//!
//! `cargo bench --bench cluster -- cost` (run only when a filter names it) starts a cluster of
//! 15 primaries and 15 replicas and measures, for one client at a time, from before it is
//! created to after every primary was touched (one `SET` and one `GET` per primary, then
//! `DBSIZE`, which fans out to every primary): the sockets the process holds (links of
//! `/proc/self/fd` to `socket:`), its threads (`/proc/self/task`), its RSS (`VmRSS`), then the
//! CPU the process and the client's threads use during 5 s of idling, and the client threads'
//! context switches in that time (wake-ups). Then again after dropping the client (nothing
//! must be left). Clients: `RedisCluster` with `ReadFrom::Primary`; `RedisCluster` with
//! `ReadFrom::PreferReplica`, after reads on every shard (so replicas are connected too); and,
//! for reference, redis-rs' sync `ClusterConnection` and its async one on a 2-worker runtime.
//!
//! # Running
//!
//! ```text
//! cargo bench --bench cluster                      # threads-64 and inflight-64, about 1 min
//! cargo bench --bench cluster -- inflight          # only workloads whose name contains this
//! cargo bench --bench cluster -- one-slot          # the one-slot diagnostic
//! cargo bench --bench cluster -- cost              # the 30-node cost measurement
//! COREDIS_BENCH_SECS=0.5 COREDIS_BENCH_REPS=1 cargo bench --bench cluster   # quick look
//! ```
//!
//! - `COREDIS_BENCH_SECS`: seconds per measurement (default 2; fractions allowed);
//! - `COREDIS_BENCH_REPS`: repetitions of every (workload, client) run (default 3);
//! - `COREDIS_SERVER_BIN`, `COREDIS_CLI_BIN`: the server and the `redis-cli` that forms the
//!   cluster.
//!
//! The Markdown tables and the targets go to stdout; progress goes to stderr. Without
//! `--bench` (as under `cargo test --benches`) every run is a 0.05 s smoke test, once, unless
//! `COREDIS_BENCH_SECS` / `COREDIS_BENCH_REPS` say otherwise. Other libtest flags are
//! ignored; `--list` lists the workloads.

mod common;

use common::{clock_ticks, process_cpu};
use coredis_test_support as support;
use support::raw::{Conn, Reply};

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use coredis::prelude::*;
use coredis::{ClusterConfig, ReadFrom, RedisCluster};

/// Keys in the data set.
const KEYS: usize = 1000;
/// Length of every key, in bytes.
const KEY_LEN: usize = 16;
/// Length of every value, in bytes.
const VALUE_LEN: usize = 64;
/// Threads of `threads-64`, commands in flight in `inflight-64`, tasks of the async runs.
const CONCURRENCY: usize = 64;
/// Warm-up before each measurement (shortened to the measurement time if that is shorter).
const WARMUP: Duration = Duration::from_millis(300);
/// How long after its planned end a run may take before it is reported as a hang.
const HANG_GRACE: Duration = Duration::from_secs(30);
/// Primaries (each with one replica) of the cluster of the cost mode.
const COST_PRIMARIES: usize = 15;
/// How long the cost mode lets each client idle.
const IDLE: Duration = Duration::from_secs(5);
/// Raw connections' timeout (preloading, topology).
const RAW_TIMEOUT: Duration = Duration::from_secs(10);

type Key = [u8; KEY_LEN];
type Val = [u8; VALUE_LEN];

// ---------------------------------------------------------------------------------------
// Workloads, clients, settings
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    Threads,
    Inflight,
    /// A diagnostic: `inflight-64` on keys that share one hash tag, so one node serves them.
    OneSlot,
    Cost,
}

const WORKLOADS: [Workload; 4] = [
    Workload::Threads,
    Workload::Inflight,
    Workload::OneSlot,
    Workload::Cost,
];

impl Workload {
    fn name(self) -> String {
        match self {
            Workload::Threads => format!("threads-{CONCURRENCY}"),
            Workload::Inflight => format!("inflight-{CONCURRENCY}"),
            Workload::OneSlot => "one-slot".to_owned(),
            Workload::Cost => "cost".to_owned(),
        }
    }

    /// The clients compared, in run order: redis-rs first (the first one is the baseline of
    /// the ratio), coredis last.
    fn clients(self) -> Vec<Client> {
        match self {
            Workload::Threads => vec![Client::RsSync, Client::RsAsync, Client::Coredis],
            Workload::Inflight | Workload::OneSlot => vec![Client::RsAsync, Client::Coredis],
            Workload::Cost => Vec::new(),
        }
    }

    /// Whether half of the operations are `SET`s (else all are `GET`s).
    fn sets(self) -> bool {
        self == Workload::Threads
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
            (Client::Coredis, Workload::Inflight | Workload::OneSlot) => {
                format!("coredis, 1 thread, {CONCURRENCY} handles in flight")
            }
            (Client::Coredis, _) => "coredis, one shared `RedisCluster`".to_owned(),
            (Client::RsSync, _) => "redis-rs sync `ClusterConnection` per thread".to_owned(),
            (Client::RsAsync, _) => {
                format!("redis-rs async `ClusterConnection`, {CONCURRENCY} tasks")
            }
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
            load_at_start: load_average(),
        };
        if list {
            for w in WORKLOADS.iter().filter(|w| settings.selects(**w)) {
                println!("{}: benchmark", w.name());
            }
            std::process::exit(0);
        }
        settings
    }

    /// Whether the filters select `w`; `one-slot` and `cost` run only when a filter names
    /// them.
    fn selects(&self, w: Workload) -> bool {
        let name = w.name();
        if self.filters.is_empty() {
            return !matches!(w, Workload::OneSlot | Workload::Cost);
        }
        self.filters.iter().any(|f| {
            if self.exact {
                *f == name
            } else {
                name.contains(f.as_str())
            }
        })
    }
}

/// The 1-, 5- and 15-minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "n/a".to_owned())
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
// The cluster's topology, read over raw connections
// ---------------------------------------------------------------------------------------

/// Which port serves each slot, from one node's `CLUSTER SLOTS`.
struct SlotOwners {
    /// `(first slot, last slot, port of the primary, ports of its replicas)`.
    ranges: Vec<(u16, u16, u16, Vec<u16>)>,
}

fn raw_conn(port: u16) -> Result<Conn, String> {
    Conn::connect(SocketAddr::from(([127, 0, 0, 1], port)), RAW_TIMEOUT)
        .map_err(|e| format!("raw connection to 127.0.0.1:{port}: {e}"))
}

fn text(r: &Reply) -> Option<&str> {
    match r {
        Reply::Text(t) => Some(t),
        _ => None,
    }
}

impl SlotOwners {
    fn read(port: u16) -> Result<SlotOwners, String> {
        let reply = raw_conn(port)?
            .call(&["CLUSTER", "SLOTS"])
            .map_err(|e| format!("CLUSTER SLOTS: {e}"))?;
        let bad = || format!("unexpected CLUSTER SLOTS reply: {reply:?}");
        let Reply::Many(entries) = &reply else {
            return Err(bad());
        };
        let mut ranges = Vec::new();
        for e in entries {
            let Reply::Many(fields) = e else {
                return Err(bad());
            };
            let num = |i: usize| fields.get(i).and_then(text).and_then(|t| t.parse().ok());
            let port_of = |node: &Reply| match node {
                Reply::Many(n) => n.get(1).and_then(text).and_then(|t| t.parse::<u16>().ok()),
                _ => None,
            };
            let (Some(first), Some(last)) = (num(0), num(1)) else {
                return Err(bad());
            };
            let ports: Option<Vec<u16>> = fields.iter().skip(2).map(port_of).collect();
            let ports = ports.ok_or_else(bad)?;
            let (&primary, replicas) = ports.split_first().ok_or_else(bad)?;
            ranges.push((first, last, primary, replicas.to_vec()));
        }
        let covered: usize = ranges
            .iter()
            .map(|(a, b, _, _)| usize::from(*b - *a) + 1)
            .sum();
        if covered != usize::from(coredis::SLOT_COUNT) {
            return Err(format!("CLUSTER SLOTS covers {covered} slots: {reply:?}"));
        }
        Ok(SlotOwners { ranges })
    }

    /// The port of the primary serving `key` (the slot computed by the harness, not by
    /// either client).
    fn owner(&self, key: &[u8]) -> u16 {
        let slot = support::cluster::key_slot(key);
        self.ranges
            .iter()
            .find(|(a, b, _, _)| (*a..=*b).contains(&slot))
            .map_or(0, |r| r.2)
    }

    /// The primaries' ports, each with its replicas' ports.
    fn shards(&self) -> BTreeMap<u16, Vec<u16>> {
        let mut out = BTreeMap::new();
        for (_, _, p, r) in &self.ranges {
            out.entry(*p).or_insert_with(|| r.clone());
        }
        out
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
    /// The data set of run `id`: keys spread over the slots, or (`one_slot`) all with the
    /// hash tag `{0}`, in one slot.
    fn new(id: u32, one_slot: bool) -> RunData {
        let keys = (0..KEYS)
            .map(|i| {
                let mut k = [0u8; KEY_LEN];
                let mut out = &mut k[..];
                let _ = if one_slot {
                    write!(out, "{{0}}key:{i:09}")
                } else {
                    write!(out, "key:{i:012}")
                };
                k
            })
            .collect();
        let preload = (0..KEYS)
            .map(|i| make_value(id, i, PRELOAD_WRITER, 0))
            .collect();
        RunData { id, keys, preload }
    }

    /// `SET`s every key to its preload value on its slot's primary, one raw connection and one
    /// batch per primary.
    fn load(&self, owners: &SlotOwners) -> Result<(), String> {
        let mut batches: BTreeMap<u16, (Vec<u8>, usize)> = BTreeMap::new();
        for (k, v) in self.keys.iter().zip(&self.preload) {
            let batch = batches.entry(owners.owner(k)).or_default();
            batch
                .0
                .extend_from_slice(&support::raw::encode(&[&b"SET"[..], &k[..], &v[..]]));
            batch.1 += 1;
        }
        for (port, (bytes, n)) in batches {
            let mut conn = raw_conn(port)?;
            conn.send(&bytes)
                .map_err(|e| format!("preloading 127.0.0.1:{port}: {e}"))?;
            for _ in 0..n {
                match conn.read_reply() {
                    Ok(Reply::Text(t)) if t == "OK" => {}
                    other => {
                        return Err(format!(
                            "preloading 127.0.0.1:{port}: SET replied {other:?}"
                        ))
                    }
                }
            }
        }
        Ok(())
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

/// Counts a worker as finished however it ends (return, error or panic).
struct DoneGuard<'a>(&'a Ctl);

impl Drop for DoneGuard<'_> {
    fn drop(&mut self) {
        self.0.done.fetch_add(1, Ordering::AcqRel);
    }
}

/// The measurement window: wall time and process CPU time.
struct Window {
    wall: Duration,
    cpu: Option<Duration>,
    /// Context switches (voluntary + involuntary) of the process's threads over the window.
    switches: u64,
}

/// Context switches so far of every live thread of the process (voluntary + involuntary,
/// from `/proc/self/task/*/status`). Threads that ended are not counted: the bench reads this
/// while every worker is still running.
fn context_switches() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .map(|status| switches_in(&status))
        .sum()
}

/// Voluntary + involuntary context switches in one thread's `status` file.
fn switches_in(status: &str) -> u64 {
    status
        .lines()
        .filter_map(|l| {
            l.strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
        })
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .sum()
}

/// Waits for the workers to be ready, warms up, measures, stops, and waits for them to end.
fn drive(ctl: &Ctl, workers: usize, s: &Settings, wd: &Watchdog, what: &str) -> Window {
    loop {
        let ready = ctl.ready.load(Ordering::Acquire);
        if ready >= workers || ctl.failed.load(Ordering::Acquire) {
            break;
        }
        if ctl.done.load(Ordering::Acquire) >= workers {
            break;
        }
        wd.stage(format!("{what}: {ready} of {workers} worker(s) ready"));
        thread::sleep(Duration::from_millis(2));
    }
    wd.stage(format!("{what}: warming up"));
    sleep_unless_failed(ctl, s.warmup);
    wd.stage(format!("{what}: measuring"));
    let switches0 = context_switches();
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    ctl.phase.store(MEASURING, Ordering::Release);
    sleep_unless_failed(ctl, s.secs);
    // Read before the stop: the workers' threads end soon after it.
    let switches = context_switches().saturating_sub(switches0);
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
    Window {
        wall,
        cpu,
        switches,
    }
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

impl Kv for &RedisCluster {
    fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String> {
        self.get::<Option<Vec<u8>>>(key).map_err(coredis_err)
    }

    fn store(&mut self, key: &Key, value: &Val) -> Result<(), String> {
        self.set(key, value).map_err(coredis_err)
    }
}

impl Kv for redis::cluster::ClusterConnection {
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
    switches: u64,
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
            switches: window.switches,
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

    fn switches_per_op(&self) -> f64 {
        self.switches as f64 / self.ops.max(1) as f64
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

/// A tokio runtime with 2 worker threads, as the async redis-rs runs use.
fn runtime(what: &str) -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("{what}: building the tokio runtime: {e}"))
}

/// redis-rs: one async `cluster_async::ClusterConnection`, cloned into `tasks` tokio tasks
/// on a multi-thread runtime with 2 workers, each task looping `GET` (or `GET`/`SET`).
fn run_rs_async(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    nodes: &[String],
    data: &Arc<RunData>,
    tasks: usize,
    sets: bool,
) -> Result<Measurement, String> {
    let rt = runtime(what)?;
    let client = redis::cluster::ClusterClient::new(nodes.to_vec())
        .map_err(|e| format!("{what}: {}", redis_rs_err(e)))?;
    let con = rt
        .block_on(client.get_async_connection())
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
    mut con: redis::cluster_async::ClusterConnection,
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

/// coredis: one thread keeping `CONCURRENCY` deferred `GET`s outstanding: wait the oldest,
/// check it, submit a new one. Latency is submit → reply collected.
fn run_coredis_inflight(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    c: &RedisCluster,
    data: &Arc<RunData>,
) -> Result<Measurement, String> {
    let ctl = Ctl::new();
    thread::scope(|scope| {
        let h = scope.spawn(|| {
            let _done = DoneGuard(&ctl);
            let res = inflight_worker(&ctl, what, c, data);
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
    c: &RedisCluster,
    data: &RunData,
) -> Result<Stats, String> {
    type InFlight = (u8, Instant, usize, coredis::Handle<Option<Vec<u8>>>);
    let mut rng = Rng::new(u64::from(data.id) ^ 0x1F1F);
    let mut stats = Stats {
        ops: 0,
        lat_ns: Vec::with_capacity(1 << 16),
    };
    let d = c.deferred();
    let mut submit = |ring: &mut VecDeque<InFlight>| {
        let k = rng.below(KEYS);
        let phase = ctl.phase();
        let started = Instant::now();
        let h = d.get::<Option<Vec<u8>>>(&data.keys[k]);
        ring.push_back((phase, started, k, h));
    };
    let mut ring: VecDeque<InFlight> = VecDeque::with_capacity(CONCURRENCY);
    for _ in 0..CONCURRENCY {
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
// Orchestration and report of the throughput workloads
// ---------------------------------------------------------------------------------------

/// The cluster under test and how to reach it.
struct Target {
    _cluster: support::Cluster,
    owners: SlotOwners,
    /// `redis://127.0.0.1:PORT` of every node.
    urls: Vec<String>,
}

/// A `RedisCluster` with the default settings, every node given as a startup node.
fn coredis_client(urls: &[String], read_from: ReadFrom) -> Result<RedisCluster, String> {
    let addrs = urls
        .iter()
        .map(|u| u.trim_start_matches("redis://").parse::<coredis::Addr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(coredis_err)?;
    let config = ClusterConfig::builder()
        .nodes(addrs)
        .read_from(read_from)
        .build()
        .map_err(coredis_err)?;
    RedisCluster::new(config).map_err(coredis_err)
}

/// One (workload, client) run, with a freshly preloaded data set and fresh connections.
fn run_one(
    s: &Settings,
    wd: &Watchdog,
    t: &Target,
    w: Workload,
    c: Client,
    run_id: u32,
) -> Result<Measurement, String> {
    let what = format!("{} / {}", w.name(), c.label(w));
    let data = Arc::new(RunData::new(run_id, w == Workload::OneSlot));
    wd.stage(format!("{what}: preloading"));
    data.load(&t.owners).map_err(|e| format!("{what}: {e}"))?;
    let threads = CONCURRENCY;
    match c {
        Client::RsAsync => run_rs_async(s, wd, &what, &t.urls, &data, threads, w.sets()),
        Client::RsSync => {
            let client = redis::cluster::ClusterClient::new(t.urls.clone())
                .map_err(|e| format!("{what}: {}", redis_rs_err(e)))?;
            run_blocking(s, wd, &what, &data, threads, w.sets(), || {
                client.get_connection().map_err(redis_rs_err)
            })
        }
        Client::Coredis => {
            wd.stage(format!("{what}: connecting"));
            let cluster = coredis_client(&t.urls, ReadFrom::Primary)
                .map_err(|e| format!("{what}: connecting: {e}"))?;
            let m = match w {
                Workload::Inflight | Workload::OneSlot => {
                    run_coredis_inflight(s, wd, &what, &cluster, &data)
                }
                _ => run_blocking(s, wd, &what, &data, threads, w.sets(), || Ok(&cluster)),
            };
            wd.stage(format!("{what}: dropping the client"));
            drop(cluster);
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

/// Runs the throughput workloads; returns the report and whether every cell succeeded.
fn throughput(s: &Settings, wd: &'static Watchdog, workloads: &[Workload]) -> (String, bool) {
    eprintln!("starting a cluster of 3 primaries and 3 replicas");
    let started = Instant::now();
    let cluster = support::Cluster::start(3, 1);
    let urls: Vec<String> = cluster
        .addrs()
        .iter()
        .map(|a| format!("redis://{a}"))
        .collect();
    let owners = match SlotOwners::read(cluster.node(0).port()) {
        Ok(o) => o,
        Err(e) => {
            return (
                format!("\n### Problems\n\n- reading the slot map: {e}\n"),
                false,
            )
        }
    };
    eprintln!(
        "cluster up in {:.1} s: {} primaries",
        started.elapsed().as_secs_f64(),
        owners.shards().len()
    );
    let target = Target {
        _cluster: cluster,
        owners,
        urls,
    };
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
    for &w in workloads {
        for rep in 1..=s.reps {
            for cell in cells.iter_mut().filter(|c| c.workload == w) {
                if cell.error.is_some() {
                    continue;
                }
                run_id += 1;
                let what = format!("{} / {} (rep {rep})", w.name(), cell.client.label(w));
                wd.arm(s.warmup + s.secs, format!("{what}: starting"));
                let result = run_one(s, wd, &target, w, cell.client, run_id);
                wd.disarm();
                match result {
                    Ok(m) => {
                        eprintln!(
                            "  {what:<72} {:>9.0} ops/s  p50 {:>7.1} µs  p99 {:>7.1} µs  \
                             {:>6.2} CPU µs/op  {:>5.2} switches/op",
                            m.ops_per_sec(),
                            m.percentile_us(0.50),
                            m.percentile_us(0.99),
                            m.cpu_us_per_op().unwrap_or(f64::NAN),
                            m.switches_per_op()
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
    let ok = cells.iter().all(|c| c.error.is_none());
    (report(s, &cells), ok)
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

fn report(s: &Settings, cells: &[Cell]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## coredis `RedisCluster` vs redis-rs cluster clients\n\n{} {} cluster of 3 \
         primaries + 3 replicas on 127.0.0.1, {} CPU(s), load average {} at the start, {} at \
         the end; {} s per measurement, median of {} run(s); CPU time at {} Hz ticks.\n",
        support::server_bin().display(),
        support::server_version(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        s.load_at_start,
        load_average(),
        s.secs.as_secs_f64(),
        s.reps,
        clock_ticks()
    );
    let _ = writeln!(
        out,
        "| workload | client | ops/s | p50 µs | p99 µs | client CPU µs/op | context switches/op | \
         ratio |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|");
    for cell in cells {
        let w = cell.workload;
        let label = cell.client.label(w);
        let Some(m) = cell.median() else {
            let _ = writeln!(out, "| {} | {label} | FAILED | | | | | |", w.name());
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
            "| {} | {label} | {} | {:.1} | {:.1} | {cpu} | {:.2} | {ratio} |",
            w.name(),
            fmt_ops(m.ops_per_sec()),
            m.percentile_us(0.50),
            m.percentile_us(0.99),
            m.switches_per_op(),
        );
    }
    let _ = writeln!(
        out,
        "\nratio: coredis ops/s ÷ the first redis-rs row of the workload; \"vs this\": \
         coredis ÷ that reference row.\n\n### Targets\n"
    );
    let targets = [
        (Workload::Threads, Client::RsSync, 1.5),
        (Workload::Threads, Client::RsAsync, 0.8),
        (Workload::Inflight, Client::RsAsync, 1.5),
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

// ---------------------------------------------------------------------------------------
// The cost mode: sockets, threads, memory and idle CPU of one client on 30 nodes
// ---------------------------------------------------------------------------------------

/// What the process holds at one moment.
#[derive(Clone, Debug)]
struct Held {
    /// File descriptors that are sockets (a socket shared by several descriptors, as with
    /// `try_clone`, counts once per descriptor).
    socket_fds: usize,
    /// Distinct sockets (inodes).
    sockets: usize,
    /// The remote port of every TCP connection, one entry per connection.
    tcp_peers: Vec<u16>,
    threads: usize,
    rss_kb: i64,
}

/// Inode → remote port of every TCP socket of the network namespace (IPv4 and IPv6).
fn tcp_remote_ports() -> BTreeMap<u64, u16> {
    let mut out = BTreeMap::new();
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let port = f
                .get(2)
                .and_then(|r| r.rsplit_once(':'))
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            let inode = f.get(9).and_then(|i| i.parse::<u64>().ok());
            if let (Some(port), Some(inode)) = (port, inode) {
                out.insert(inode, port);
            }
        }
    }
    out
}

fn held() -> Held {
    let inodes: Vec<u64> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().into_owned();
                    l.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut distinct = inodes.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let remote = tcp_remote_ports();
    let mut tcp_peers: Vec<u16> = distinct
        .iter()
        .filter_map(|i| remote.get(i).copied())
        .collect();
    tcp_peers.sort_unstable();
    let threads = std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count);
    let rss_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(-1);
    Held {
        socket_fds: inodes.len(),
        sockets: distinct.len(),
        tcp_peers,
        threads,
        rss_kb,
    }
}

impl Held {
    /// TCP connections to the cluster's primaries and to its replicas.
    fn to_nodes(&self, owners: &SlotOwners) -> (usize, usize) {
        let shards = owners.shards();
        let primaries = self
            .tcp_peers
            .iter()
            .filter(|p| shards.contains_key(p))
            .count();
        let replicas = self
            .tcp_peers
            .iter()
            .filter(|p| shards.values().any(|r| r.contains(p)))
            .count();
        (primaries, replicas)
    }
}

/// The threads of the process other than the main one, the bench's watchdog and the
/// harness's process spawner (so: the client's): their names, summed CPU time (ns,
/// `/proc/.../schedstat`) and context switches.
struct ClientThreads {
    names: BTreeMap<String, usize>,
    cpu_ns: u64,
    switches: u64,
}

fn client_threads() -> ClientThreads {
    let mut out = ClientThreads {
        names: BTreeMap::new(),
        cpu_ns: 0,
        switches: 0,
    };
    let main = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for e in dir.flatten() {
        if e.file_name().to_string_lossy() == main {
            continue;
        }
        let p = e.path();
        let name = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
        let name = name
            .trim()
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '.' || c == ':');
        // The bench's watchdog and the harness's process spawner are not the client's.
        if name == "bench-watchdog" || name.starts_with("coredis-test") {
            continue;
        }
        *out.names.entry(name.to_owned()).or_default() += 1;
        if let Some(ns) = std::fs::read_to_string(p.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        {
            out.cpu_ns += ns;
        }
        if let Ok(status) = std::fs::read_to_string(p.join("status")) {
            out.switches += switches_in(&status);
        }
    }
    out
}

/// One client of the cost mode: what it touched, and what it costs.
struct Cost {
    label: String,
    before: Held,
    after: Held,
    names: BTreeMap<String, usize>,
    idle_process_cpu: Option<Duration>,
    idle_threads_cpu: Duration,
    idle_switches: u64,
    dropped: Held,
}

/// Per primary: a key whose slot it serves (`{tag}` so that several keys share the slot).
fn tag_per_primary(owners: &SlotOwners) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    for &port in owners.shards().keys() {
        let tag = (0..100_000)
            .map(|i| format!("{{t{i}}}"))
            .find(|t| owners.owner(t.as_bytes()) == port)
            .unwrap_or_default();
        out.push((port, tag));
    }
    out
}

/// How a client of the cost mode touches the cluster: `SET` then `GET` of one key per primary
/// (checked), then `DBSIZE` (checked against `expect_keys`); with `reads`, also a `GET` of
/// the key `{tag}:p` written earlier.
trait Touch {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String>;
    fn get(&mut self, key: &str) -> Result<Option<String>, String>;
    fn dbsize(&mut self) -> Result<i64, String>;
}

impl Touch for RedisCluster {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        StringCommands::set(self, key, value).map_err(coredis_err)
    }
    fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        StringCommands::get(self, key).map_err(coredis_err)
    }
    fn dbsize(&mut self) -> Result<i64, String> {
        ServerCommands::dbsize(self).map_err(coredis_err)
    }
}

impl Touch for redis::cluster::ClusterConnection {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query::<()>(self)
            .map_err(redis_rs_err)
    }
    fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        redis::cmd("GET").arg(key).query(self).map_err(redis_rs_err)
    }
    fn dbsize(&mut self) -> Result<i64, String> {
        redis::cmd("DBSIZE").query(self).map_err(redis_rs_err)
    }
}

/// The async redis-rs cluster connection, driven from this thread.
struct RsAsyncTouch {
    rt: tokio::runtime::Runtime,
    con: redis::cluster_async::ClusterConnection,
}

impl Touch for RsAsyncTouch {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        self.rt
            .block_on(
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .query_async::<()>(&mut self.con),
            )
            .map_err(redis_rs_err)
    }
    fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        self.rt
            .block_on(redis::cmd("GET").arg(key).query_async(&mut self.con))
            .map_err(redis_rs_err)
    }
    fn dbsize(&mut self) -> Result<i64, String> {
        self.rt
            .block_on(redis::cmd("DBSIZE").query_async(&mut self.con))
            .map_err(redis_rs_err)
    }
}

/// What a client of the cost mode does on every shard.
struct Plan<'a> {
    /// Per primary, a hash tag of one of its slots.
    tags: &'a [(u16, String)],
    /// `SET {tag}:<suffix>` on every primary.
    suffix: &'a str,
    /// Then `GET` it back (not from replicas: they may not have it yet).
    read_back: bool,
    /// `GET {tag}:p`, written and replicated earlier (from a replica with `PreferReplica`).
    read_p: bool,
    /// What `DBSIZE` (summed over the primaries) must say at the end.
    expect_keys: i64,
}

/// Touches every primary through `client` as `plan` says, checking every reply.
fn touch(client: &mut dyn Touch, plan: &Plan<'_>) -> Result<(), String> {
    for (port, tag) in plan.tags {
        let key = format!("{tag}:{}", plan.suffix);
        let value = format!("{key}@{port}");
        client.set(&key, &value)?;
        if plan.read_back {
            let got = client.get(&key)?;
            if got.as_deref() != Some(value.as_str()) {
                return Err(format!("GET {key}: got {got:?}, expected {value:?}"));
            }
        }
        if plan.read_p {
            let p = format!("{tag}:p");
            let want = format!("{p}@{port}");
            let got = client.get(&p)?;
            if got.as_deref() != Some(want.as_str()) {
                return Err(format!("GET {p}: got {got:?}, expected {want:?}"));
            }
        }
    }
    let n = client.dbsize()?;
    if n != plan.expect_keys {
        return Err(format!("DBSIZE: {n}, expected {}", plan.expect_keys));
    }
    Ok(())
}

/// Measures one client: `make` creates it (and touches the cluster), then 5 s of idling, then
/// it is dropped.
fn measure_cost<C>(
    label: &str,
    wd: &Watchdog,
    make: impl FnOnce() -> Result<C, String>,
) -> Result<Cost, String> {
    eprintln!("  cost: {label}");
    wd.arm(IDLE + Duration::from_secs(30), format!("cost: {label}"));
    thread::sleep(Duration::from_millis(200));
    let before = held();
    let client = make().map_err(|e| format!("{label}: {e}"))?;
    // Let lazily opened connections finish their handshakes.
    thread::sleep(Duration::from_millis(200));
    let after = held();
    let t0 = client_threads();
    let cpu0 = process_cpu();
    thread::sleep(IDLE);
    let cpu1 = process_cpu();
    let t1 = client_threads();
    drop(client);
    thread::sleep(Duration::from_millis(500));
    let dropped = held();
    wd.disarm();
    Ok(Cost {
        label: label.to_owned(),
        before,
        after,
        names: t1.names,
        idle_process_cpu: cpu1.zip(cpu0).map(|(b, a)| b.saturating_sub(a)),
        idle_threads_cpu: Duration::from_nanos(t1.cpu_ns.saturating_sub(t0.cpu_ns)),
        idle_switches: t1.switches.saturating_sub(t0.switches),
        dropped,
    })
}

/// The cost mode: a cluster of 15 primaries and 15 replicas, one client at a time.
fn cost(wd: &'static Watchdog) -> (String, bool) {
    eprintln!(
        "cost: starting a cluster of {COST_PRIMARIES} primaries and {COST_PRIMARIES} replicas"
    );
    let started = Instant::now();
    let cluster = support::Cluster::start(COST_PRIMARIES, 1);
    let up = started.elapsed();
    let urls: Vec<String> = cluster
        .addrs()
        .iter()
        .map(|a| format!("redis://{a}"))
        .collect();
    let mut problems = Vec::new();
    let owners = match SlotOwners::read(cluster.node(0).port()) {
        Ok(o) => o,
        Err(e) => return (format!("\n### Problems\n\n- cost: {e}\n"), false),
    };
    let tags = tag_per_primary(&owners);
    eprintln!(
        "cost: cluster up in {:.1} s, {} primaries, {} nodes",
        up.as_secs_f64(),
        tags.len(),
        cluster.len()
    );
    let n = tags.len() as i64;
    let mut costs = Vec::new();
    // 1. Primaries only: writes `{tag}:p` (read back by the replica client below).
    match measure_cost("coredis `RedisCluster`, `ReadFrom::Primary`", wd, || {
        let mut c = coredis_client(&urls[..1], ReadFrom::Primary)?;
        touch(
            &mut c,
            &Plan {
                tags: &tags,
                suffix: "p",
                read_back: true,
                read_p: false,
                expect_keys: n,
            },
        )?;
        Ok(c)
    }) {
        Ok(c) => costs.push(c),
        Err(e) => problems.push(e),
    }
    // The replicas must have `{tag}:p` before reads go to them.
    if let Err(e) = wait_replicated(&owners, n) {
        problems.push(e);
    }
    // 2. Reads from replicas: `{tag}:p` from a replica of every shard.
    match measure_cost(
        "coredis `RedisCluster`, `ReadFrom::PreferReplica`",
        wd,
        || {
            let mut c = coredis_client(&urls[..1], ReadFrom::PreferReplica)?;
            touch(
                &mut c,
                &Plan {
                    tags: &tags,
                    suffix: "r",
                    read_back: false,
                    read_p: true,
                    expect_keys: 2 * n,
                },
            )?;
            Ok(c)
        },
    ) {
        Ok(c) => costs.push(c),
        Err(e) => problems.push(e),
    }
    // 3, 4. redis-rs, for reference (primaries only).
    match measure_cost("redis-rs sync `ClusterConnection`", wd, || {
        let client =
            redis::cluster::ClusterClient::new(urls[..1].to_vec()).map_err(redis_rs_err)?;
        let mut c = client.get_connection().map_err(redis_rs_err)?;
        touch(
            &mut c,
            &Plan {
                tags: &tags,
                suffix: "s",
                read_back: true,
                read_p: true,
                expect_keys: 3 * n,
            },
        )?;
        Ok(c)
    }) {
        Ok(c) => costs.push(c),
        Err(e) => problems.push(e),
    }
    match measure_cost(
        "redis-rs async `ClusterConnection` (2-worker tokio runtime)",
        wd,
        || {
            let rt = runtime("cost")?;
            let client =
                redis::cluster::ClusterClient::new(urls[..1].to_vec()).map_err(redis_rs_err)?;
            let con = rt
                .block_on(client.get_async_connection())
                .map_err(redis_rs_err)?;
            let mut c = RsAsyncTouch { rt, con };
            touch(
                &mut c,
                &Plan {
                    tags: &tags,
                    suffix: "a",
                    read_back: true,
                    read_p: true,
                    expect_keys: 4 * n,
                },
            )?;
            Ok(c)
        },
    ) {
        Ok(c) => costs.push(c),
        Err(e) => problems.push(e),
    }
    drop(cluster);
    (
        cost_report(&costs, &problems, &owners, up),
        problems.is_empty(),
    )
}

/// Waits until every replica holds as many keys as its primary.
fn wait_replicated(owners: &SlotOwners, expect_total: i64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let dbsize = |port: u16| -> Result<i64, String> {
        match raw_conn(port)?.call(&["DBSIZE"]) {
            Ok(Reply::Text(t)) => t.parse().map_err(|e| format!("DBSIZE {t:?}: {e}")),
            other => Err(format!("DBSIZE on 127.0.0.1:{port}: {other:?}")),
        }
    };
    loop {
        let mut total = 0;
        let mut behind = Vec::new();
        for (primary, replicas) in owners.shards() {
            let want = dbsize(primary)?;
            total += want;
            for r in replicas {
                if dbsize(r)? != want {
                    behind.push(r);
                }
            }
        }
        if behind.is_empty() && total == expect_total {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "replication: replicas {behind:?} behind their primaries ({total} keys of \
                 {expect_total})"
            ));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn cost_report(costs: &[Cost], problems: &[String], owners: &SlotOwners, up: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## What a cluster client costs: {COST_PRIMARIES} primaries + {COST_PRIMARIES} \
         replicas\n\n{} {} on 127.0.0.1 (the cluster took {:.1} s to form), {} CPU(s), load \
         average {}. Each client is created with one startup node, then writes and reads one \
         key per primary and asks `DBSIZE` (every primary); the PreferReplica client and the \
         redis-rs ones also read a key of every shard written earlier (PreferReplica: from \
         a replica). Then {} s of idling. Δ = after touching − before creating.\n",
        support::server_bin().display(),
        support::server_version(),
        up.as_secs_f64(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(),
        IDLE.as_secs(),
    );
    let _ = writeln!(
        out,
        "| client | Δ socket fds (distinct sockets) | TCP to primaries / replicas | \
         threads before → after | Δ RSS | idle CPU, process | idle CPU, client threads | \
         client threads' wake-ups in idle | after drop: Δ socket fds, Δ threads |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for c in costs {
        let (p0, r0) = c.before.to_nodes(owners);
        let (p1, r1) = c.after.to_nodes(owners);
        let _ = writeln!(
            out,
            "| {} | {:+} ({:+}) | {} / {} | {} → {} | {:+} KiB | {} | {:.2} ms | {} | {:+}, {:+} |",
            c.label,
            c.after.socket_fds as i64 - c.before.socket_fds as i64,
            c.after.sockets as i64 - c.before.sockets as i64,
            p1 - p0.min(p1),
            r1 - r0.min(r1),
            c.before.threads,
            c.after.threads,
            c.after.rss_kb - c.before.rss_kb,
            c.idle_process_cpu
                .map_or_else(|| "n/a".to_owned(), |d| format!("{} ms", d.as_millis())),
            c.idle_threads_cpu.as_secs_f64() * 1e3,
            c.idle_switches,
            c.dropped.socket_fds as i64 - c.before.socket_fds as i64,
            c.dropped.threads as i64 - c.before.threads as i64,
        );
    }
    let _ = writeln!(
        out,
        "\nidle CPU, process: `utime + stime` at {} Hz ticks (so 0 or 10 ms steps; includes \
         the bench's watchdog, which wakes every 100 ms); client threads: every thread but \
         the main one, the watchdog and the harness's process spawner, `schedstat` \
         nanoseconds, and their voluntary + involuntary context switches. Δ RSS means \
         something only when `cost` runs alone: after other runs in the same process, freed \
         memory is reused.\n",
        clock_ticks()
    );
    for c in costs {
        let names: Vec<String> = c.names.iter().map(|(n, k)| format!("{n} ×{k}")).collect();
        let _ = writeln!(
            out,
            "- {}: the client's threads: {}",
            c.label,
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        );
    }
    if !problems.is_empty() {
        let _ = writeln!(out, "\n### Problems (cost)\n");
        for p in problems {
            let _ = writeln!(out, "- {p}");
        }
    }
    out
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
        "coredis cluster bench: load average {}; {} s per measurement after {} s warm-up, {} \
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
    let mut ok = true;
    let mut out = String::new();
    let runs: Vec<Workload> = workloads
        .iter()
        .copied()
        .filter(|w| *w != Workload::Cost)
        .collect();
    if !runs.is_empty() {
        let (report, good) = throughput(&s, wd, &runs);
        out.push_str(&report);
        ok &= good;
    }
    if workloads.contains(&Workload::Cost) {
        let (report, good) = cost(wd);
        out.push_str(&report);
        ok &= good;
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
    if !ok {
        std::process::exit(1);
    }
}
