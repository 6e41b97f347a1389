//! Comparison benchmark: coredis against redis-rs (and fred) on the same throw-away server.
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
//! | `threads-256` | (as above)                                     | also: async `MultiplexedConnection`, 256 tokio tasks  |
//! | `inflight-64` | one thread keeping 64 deferred `GET` handles in flight (a ring: wait the oldest, submit a new one) | async `MultiplexedConnection` shared by 64 tokio tasks looping `GET` (multi-thread runtime, 2 workers) |
//! | `inflight-4x16` | 4 threads, each keeping 16 deferred `GET` handles in flight | as `inflight-64` |
//!
//! Where redis-rs' async multiplexer runs (`threads-64`, `threads-256`, `inflight-*`), fred 10
//! runs too, the same way: one client (its one connection, auto-pipelined by default) cloned
//! into the same number of tokio tasks on a runtime with 2 workers.
//!
//! `threads-N` is run for N = 4, 16, 64 and 256, by one shared `Redis` with one shared
//! connection (the default) and by one with `shared_connections(4)`. In the threaded workloads thread `t` of `N` owns
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
//! - **context switches/op (voluntary)**: context switches of the process's threads over the
//!   window (`/proc/self/task/*/status`), all and the voluntary ones (a thread blocking, e.g.
//!   to wait for its reply; the rest are preemptions), ÷ ops;
//! - **client CPU µs/op**: user + system CPU time of this whole process over the window
//!   (`utime + stime` from `/proc/self/stat`, in ticks of `getconf CLK_TCK`, 100 Hz if that
//!   fails: a 10 ms resolution, under 1 % of a 2 s window), ÷ ops. It covers the benchmark's
//!   own bookkeeping (key choice, value formatting, checks, timestamps), the same for both
//!   clients, and the client's background threads; the server is another process and is not
//!   counted.
//!
//! Runs are interleaved: for each workload and repetition, the redis-rs runs, fred, then the
//! coredis run. Each cell reports the repetition with the median ops/s (all its metrics come from
//! that run). **ratio** is coredis ops/s ÷ redis-rs ops/s for the same workload.
//!
//! # Running
//!
//! ```text
//! cargo bench --bench compare                     # everything, about 1.5 min on 2 cores
//! cargo bench --bench compare -- threads-64       # only workloads whose name contains this
//! cargo bench --bench compare -- --exact threads-4
//! COREDIS_BENCH_SECS=0.5 COREDIS_BENCH_REPS=1 cargo bench --bench compare   # quick look
//! COREDIS_BENCH_TLS=1 cargo bench --bench compare  # over TLS
//! ```
//!
//! - `COREDIS_BENCH_SECS`: seconds per measurement (default 2; fractions allowed);
//! - `COREDIS_BENCH_REPS`: repetitions of every (workload, client) run (default 3);
//! - `COREDIS_SERVER_BIN`: the server binary;
//! - `COREDIS_BENCH_TLS=1`: the same workloads over TLS (below).
//!
//! # TLS
//!
//! With `COREDIS_BENCH_TLS=1` the server is started with a TLS port and certificates the
//! harness makes for the run, and every client connects to that port over TLS and verifies
//! the server's certificate against the test CA: coredis with `rediss://…?tls_ca_file=…`,
//! redis-rs (sync and async, through its `tls-native-tls` / `tokio-native-tls-comp`
//! features: native-tls, i.e. OpenSSL, like coredis) with `Client::build_with_tls` and the CA
//! as its root. The preloading still uses the plain port. The table's header says `TLS`. If
//! the server binary has no TLS support, the bench prints `SKIPPED` and exits with 0. How
//! each client connects, for TCP and TLS, is decided in one place: `common/transport.rs`.
//!
//! The Markdown table and the targets go to stdout (ready to paste); progress goes to stderr.
//! Without `--bench` (as under `cargo test --benches`) every run is a 0.05 s smoke test, once,
//! unless `COREDIS_BENCH_SECS` / `COREDIS_BENCH_REPS` say otherwise. Other libtest flags are
//! ignored; `--list` lists the workloads.

mod common;

use common::cells::{cells, finish, ops_of, progress, run_cells, verdict, write_results};
use common::data::{Key, RunData, KEYS};
use common::run::{Measurement, Watchdog};
use common::settings::{Named, Settings};
use common::transport::Target;
use common::workers::{
    coredis_err, redis_rs_err, run_blocking, run_coredis_inflight, run_fred, run_rs_async,
};
use common::{clock_ticks, load_average};
use coredis_test_support as support;

use std::fmt::Write as _;
use std::sync::Arc;
use std::thread;

use coredis::prelude::*;

/// Commands in flight in the `inflight-64` workload, and tasks of the redis-rs async runs.
const INFLIGHT: usize = 64;

/// The shared connections of the `CoredisSpread` client.
const SPREAD: usize = 4;

// ---------------------------------------------------------------------------------------
// Workloads, clients, settings
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    SeqGet,
    Threads(usize),
    Inflight,
    /// `threads` threads, each keeping `INFLIGHT / threads` deferred `GET`s in flight.
    InflightThreads(usize),
}

const WORKLOADS: [Workload; 7] = [
    Workload::SeqGet,
    Workload::Threads(4),
    Workload::Threads(16),
    Workload::Threads(64),
    Workload::Threads(256),
    Workload::Inflight,
    Workload::InflightThreads(4),
];

impl Named for Workload {
    fn name(self) -> String {
        match self {
            Workload::SeqGet => "seq-get".to_owned(),
            Workload::Threads(n) => format!("threads-{n}"),
            Workload::Inflight => format!("inflight-{INFLIGHT}"),
            Workload::InflightThreads(t) => format!("inflight-{t}x{}", INFLIGHT / t),
        }
    }
}

impl Workload {
    /// The clients compared, in run order: redis-rs first (the first one is the baseline of
    /// the ratio), coredis last.
    fn clients(self) -> Vec<Client> {
        match self {
            Workload::SeqGet => vec![Client::RsSync, Client::Coredis],
            Workload::Threads(n) if n >= INFLIGHT => vec![
                Client::RsSync,
                Client::RsAsync,
                Client::Fred,
                Client::CoredisSpread,
                Client::Coredis,
            ],
            Workload::Threads(_) => vec![Client::RsSync, Client::CoredisSpread, Client::Coredis],
            Workload::Inflight | Workload::InflightThreads(_) => {
                vec![Client::RsAsync, Client::Fred, Client::Coredis]
            }
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
    /// One `Redis` with `SPREAD` shared connections.
    CoredisSpread,
    RsSync,
    RsAsync,
    /// fred: one client (one auto-pipelined connection) shared by the tokio tasks.
    Fred,
}

impl Client {
    fn label(self, w: Workload) -> String {
        match (self, w) {
            (Client::Coredis, Workload::SeqGet) => "coredis `Redis`".to_owned(),
            (Client::Coredis, Workload::Threads(_)) => "coredis, one shared `Redis`".to_owned(),
            (Client::CoredisSpread, _) => {
                format!("coredis, one shared `Redis`, `shared_connections({SPREAD})`")
            }
            (Client::Coredis, Workload::Inflight) => {
                format!("coredis, 1 thread, {INFLIGHT} handles in flight")
            }
            (Client::Coredis, Workload::InflightThreads(t)) => {
                format!("coredis, {t} threads × {} handles in flight", INFLIGHT / t)
            }
            (Client::RsSync, Workload::SeqGet) => "redis-rs sync `Connection`".to_owned(),
            (Client::RsSync, _) => "redis-rs, `Connection` per thread".to_owned(),
            (Client::RsAsync, Workload::Threads(n)) => {
                format!("redis-rs async multiplexed, {n} tasks")
            }
            (Client::RsAsync, _) => format!("redis-rs async multiplexed, {INFLIGHT} tasks"),
            (Client::Fred, Workload::Threads(n)) => format!("fred, {n} tasks"),
            (Client::Fred, _) => format!("fred, {INFLIGHT} tasks"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Preloading
// ---------------------------------------------------------------------------------------

impl RunData {
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

// ---------------------------------------------------------------------------------------
// Orchestration and report
// ---------------------------------------------------------------------------------------

/// One (workload, client) run, with a freshly preloaded data set and fresh connections.
fn run_one(
    s: &Settings,
    wd: &Watchdog,
    target: &Target,
    w: Workload,
    c: Client,
    run_id: u32,
) -> Result<Measurement, String> {
    let what = format!("{} / {}", w.name(), c.label(w));
    let data = Arc::new(RunData::new(run_id, false));
    wd.stage(format!("{what}: preloading"));
    data.load(&target.server)
        .map_err(|e| format!("{what}: {e}"))?;
    let threads = match w {
        Workload::SeqGet => 1,
        Workload::Threads(n) => n,
        Workload::Inflight | Workload::InflightThreads(_) => INFLIGHT,
    };
    match (c, w) {
        (Client::RsAsync, _) => {
            let connect = || {
                target
                    .redis_rs()
                    .map(|c| async move { c.get_multiplexed_async_connection().await })
            };
            run_rs_async(s, wd, &what, connect, &data, threads, w.sets())
        }
        (Client::Fred, _) => run_fred(s, wd, &what, || target.fred(), &data, threads, w.sets()),
        (Client::RsSync, _) => run_blocking(s, wd, &what, &data, threads, w.sets(), || {
            target
                .redis_rs()
                .and_then(|c| c.get_connection())
                .map_err(redis_rs_err)
        }),
        (Client::Coredis | Client::CoredisSpread, _) => {
            wd.stage(format!("{what}: connecting"));
            let spread = if c == Client::CoredisSpread {
                SPREAD
            } else {
                1
            };
            let r = target
                .coredis_config()
                .and_then(|config| config.to_builder().shared_connections(spread).build())
                .and_then(coredis::Redis::new)
                .map_err(|e| format!("{what}: connecting: {}", coredis_err(e)))?;
            let m = match w {
                Workload::Inflight => {
                    let get = |k: &Key| r.deferred().get::<Option<Vec<u8>>>(k);
                    run_coredis_inflight(s, wd, &what, &get, &data, 1, INFLIGHT)
                }
                Workload::InflightThreads(t) => {
                    let get = |k: &Key| r.deferred().get::<Option<Vec<u8>>>(k);
                    run_coredis_inflight(s, wd, &what, &get, &data, t, INFLIGHT / t)
                }
                _ => run_blocking(s, wd, &what, &data, threads, w.sets(), || Ok(&r)),
            };
            wd.stage(format!("{what}: dropping the client"));
            drop(r);
            m
        }
    }
}

fn main() {
    let s = Settings::from_env_and_args(&WORKLOADS, load_average(1), true);
    let workloads = s.selected(&WORKLOADS);
    let wd = Watchdog::start();
    s.announce("coredis bench");
    let target = Target::start("compare");
    let version = support::server_version();

    let mut cells = cells(&workloads, Workload::clients);
    run_cells(
        &s,
        wd,
        &workloads,
        &mut cells,
        Client::label,
        |w, c, run_id| run_one(&s, wd, &target, w, c, run_id),
        progress,
    );
    finish(&report(&s, &target, &version, &cells), &cells);
}

type Cell = common::cells::Cell<Workload, Client>;

fn report(s: &Settings, target: &Target, version: &str, cells: &[Cell]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## coredis vs redis-rs and fred, {}\n\n{} {version} on 127.0.0.1 over {}, {} CPU(s), load \
         average {} at the start; {} s per measurement, median of {} run(s); CPU time at {} Hz \
         ticks.\n",
        target.transport.name(),
        support::server_bin().display(),
        target.describe(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        s.load_at_start,
        s.secs.as_secs_f64(),
        s.reps,
        clock_ticks()
    );
    let targets = [
        (Workload::SeqGet, Client::RsSync, 1.0),
        (Workload::Threads(4), Client::RsSync, 1.0),
        (Workload::Threads(64), Client::RsSync, 2.0),
        (Workload::Threads(64), Client::RsAsync, 0.8),
        (Workload::Inflight, Client::RsAsync, 2.0),
        (Workload::InflightThreads(4), Client::RsAsync, 2.0),
        (Workload::Inflight, Client::Fred, 1.5),
        (Workload::InflightThreads(4), Client::Fred, 1.5),
    ];
    write_results(
        &mut out,
        s,
        cells,
        |w| w.clients()[0],
        Client::Coredis,
        Client::label,
        &targets,
    );
    // The same targets met with `SPREAD` shared connections instead of one.
    for (n, baseline, goal) in [
        (4, Client::RsSync, 1.0),
        (64, Client::RsSync, 2.0),
        (64, Client::RsAsync, 0.8),
    ] {
        let w = Workload::Threads(n);
        if let (Some(c), Some(b)) = (
            ops_of(cells, w, Client::CoredisSpread),
            ops_of(cells, w, baseline),
        ) {
            let _ = writeln!(
                out,
                "- {}: {} ≥ {goal:.2}× {}: {}",
                w.name(),
                Client::CoredisSpread.label(w),
                baseline.label(w),
                verdict(c / b, goal)
            );
        }
    }
    // Scaling: more threads must not lower the shared client's throughput.
    let coredis_ops = |n| ops_of(cells, Workload::Threads(n), Client::Coredis);
    if let (Some(at64), Some(at256)) = (coredis_ops(64), coredis_ops(256)) {
        let mark = if at256 >= at64 { "MET" } else { "MISSED" };
        let _ = writeln!(
            out,
            "- threads-256: coredis ops/s ≥ its threads-64 ops/s: {at256:.0} vs {at64:.0} \
             ({:.2}×) — **{mark}**",
            at256 / at64
        );
    }
    out
}
