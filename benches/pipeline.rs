//! Batches: coredis pipelines and deferred handles against redis-rs' pipeline, on the same
//! throw-away server.
//!
//! One step = 10,000 `SET`s then 10,000 `GET`s of those keys, every `GET` checked against the
//! value just set (values name the step, so a reply from another step or command is caught).
//! Per client, steps run back to back for `COREDIS_BENCH_SECS` (default 3), after a warm-up;
//! the clients alternate, `COREDIS_BENCH_REPS` times (default 3). Reported per client: commands
//! per second over all its steps, the median step time, the slowest step and its ratio to the
//! median (a stall shows there). The clients:
//!
//! - redis-rs: a sync `Connection`, one `redis::pipe()` of 10,000 `SET`s, then one of 10,000
//!   `GET`s;
//! - coredis pipeline: `r.pipeline()` with the same two batches;
//! - coredis handles: one thread submitting 10,000 `r.deferred().set(…)`, waiting for them,
//!   then 10,000 deferred `GET`s.
//!
//! ```text
//! cargo bench --bench pipeline
//! ```
//! Without `--bench` (under `cargo test --benches`) it runs one short step per client.

use coredis::prelude::*;
use coredis_test_support::Server;
use std::time::{Duration, Instant};

const BATCH: usize = 10_000;

fn env_f64(name: &str) -> Option<f64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn value(step: usize, i: usize) -> String {
    format!("step{step}-value{i}")
}

/// One step with redis-rs' pipeline.
fn step_redis_rs(con: &mut redis::Connection, step: usize) -> Result<(), String> {
    let mut p = redis::pipe();
    for i in 0..BATCH {
        p.set(format!("k{i}"), value(step, i)).ignore();
    }
    p.query::<()>(con).map_err(|e| e.to_string())?;
    let mut p = redis::pipe();
    for i in 0..BATCH {
        p.get(format!("k{i}"));
    }
    let got: Vec<String> = p.query(con).map_err(|e| e.to_string())?;
    check(step, &got)
}

/// One step with a coredis pipeline.
fn step_pipeline(r: &coredis::Redis, step: usize) -> Result<(), String> {
    let p = r.pipeline();
    let sets: Vec<_> = (0..BATCH)
        .map(|i| p.set(format!("k{i}"), value(step, i)))
        .collect();
    p.exec()
        .and_then(|replies| replies.get(sets))
        .map_err(|e| e.to_string())?;
    let p = r.pipeline();
    let gets: Vec<_> = (0..BATCH)
        .map(|i| p.get::<String>(format!("k{i}")))
        .collect();
    let got = p
        .exec()
        .and_then(|replies| replies.get(gets))
        .map_err(|e| e.to_string())?;
    check(step, &got)
}

/// One step with coredis deferred handles from one thread.
fn step_handles(r: &coredis::Redis, step: usize) -> Result<(), String> {
    let sets: Vec<_> = (0..BATCH)
        .map(|i| r.deferred().set(format!("k{i}"), value(step, i)))
        .collect();
    for h in sets {
        h.wait().map_err(|e| e.to_string())?;
    }
    let gets: Vec<_> = (0..BATCH)
        .map(|i| r.deferred().get::<String>(format!("k{i}")))
        .collect();
    let mut got = Vec::with_capacity(BATCH);
    for h in gets {
        got.push(h.wait().map_err(|e| e.to_string())?);
    }
    check(step, &got)
}

fn check(step: usize, got: &[String]) -> Result<(), String> {
    if got.len() != BATCH {
        return Err(format!("{} replies, expected {BATCH}", got.len()));
    }
    for (i, v) in got.iter().enumerate() {
        if *v != value(step, i) {
            return Err(format!(
                "GET k{i} returned {v:?}, expected {:?}",
                value(step, i)
            ));
        }
    }
    Ok(())
}

/// Step times of one run of `secs` seconds.
fn run(
    secs: Duration,
    step_counter: &mut usize,
    mut step: impl FnMut(usize) -> Result<(), String>,
) -> Vec<Duration> {
    let mut times = Vec::new();
    let started = Instant::now();
    while started.elapsed() < secs || times.is_empty() {
        *step_counter += 1;
        let t = Instant::now();
        if let Err(e) = step(*step_counter) {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
        times.push(t.elapsed());
    }
    times
}

struct Cell {
    name: &'static str,
    steps: Vec<Duration>,
}

impl Cell {
    fn ops_per_sec(&self) -> f64 {
        let total: Duration = self.steps.iter().sum();
        (self.steps.len() * 2 * BATCH) as f64 / total.as_secs_f64()
    }

    fn median(&self) -> Duration {
        let mut s = self.steps.clone();
        s.sort();
        s.get(s.len() / 2).copied().unwrap_or_default()
    }

    fn slowest(&self) -> Duration {
        self.steps.iter().max().copied().unwrap_or_default()
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let secs = Duration::from_secs_f64(env_f64("COREDIS_BENCH_SECS").unwrap_or(if bench {
        3.0
    } else {
        0.0
    }));
    let reps = env_f64("COREDIS_BENCH_REPS").map_or(if bench { 3 } else { 1 }, |r| r as usize);
    let server = Server::start();
    let url = format!("{}?timeout=30", server.url());
    let r = coredis::Redis::from_url(&url).expect("connect coredis");
    let mut rs = redis::Client::open(server.url().as_str())
        .and_then(|c| c.get_connection())
        .expect("connect redis-rs");
    let mut cells = [
        Cell {
            name: "redis-rs sync `Connection`, `redis::pipe()`",
            steps: Vec::new(),
        },
        Cell {
            name: "coredis `r.pipeline()`",
            steps: Vec::new(),
        },
        Cell {
            name: "coredis, 1 thread, 10,000 deferred handles",
            steps: Vec::new(),
        },
    ];
    let mut step_no = 0;
    // Warm-up.
    let warm = Duration::from_millis(if bench { 300 } else { 0 });
    run(warm, &mut step_no, |s| step_redis_rs(&mut rs, s));
    run(warm, &mut step_no, |s| step_pipeline(&r, s));
    run(warm, &mut step_no, |s| step_handles(&r, s));
    for rep in 0..reps {
        let [a, b, c] = &mut cells;
        a.steps
            .extend(run(secs, &mut step_no, |s| step_redis_rs(&mut rs, s)));
        b.steps
            .extend(run(secs, &mut step_no, |s| step_pipeline(&r, s)));
        c.steps
            .extend(run(secs, &mut step_no, |s| step_handles(&r, s)));
        eprintln!("repetition {} of {reps} done", rep + 1);
    }
    let base = cells[0].ops_per_sec();
    println!(
        "One step: {BATCH} SETs then {BATCH} GETs (checked); {} s × {reps} per client.\n",
        secs.as_secs_f64()
    );
    println!("| client | commands/s | median step ms | slowest step ms (× median) | ratio |");
    println!("|---|---:|---:|---:|---:|");
    for c in &cells {
        let median = c.median();
        let slowest = c.slowest();
        println!(
            "| {} | {:.0} | {:.1} | {:.1} ({:.1}×) | {:.2}× |",
            c.name,
            c.ops_per_sec(),
            median.as_secs_f64() * 1e3,
            slowest.as_secs_f64() * 1e3,
            slowest.as_secs_f64() / median.as_secs_f64().max(1e-9),
            c.ops_per_sec() / base
        );
    }
    let stalls = cells
        .iter()
        .skip(1)
        .filter(|c| c.slowest() > c.median() * 3)
        .count();
    println!(
        "\nTargets: coredis pipeline ≥ 1.2× redis-rs: {:.2}×; handles ≥ 1.0×: {:.2}×; coredis \
         steps slower than 3× their median: {}",
        cells[1].ops_per_sec() / base,
        cells[2].ops_per_sec() / base,
        if stalls == 0 { "none" } else { "SOME" }
    );
}
