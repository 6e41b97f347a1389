//! Client-side caching: `GET`s answered from the cache against `GET`s sent to the server, on the
//! same throw-away server, in the same run.
//!
//! The data set: 1,000 keys of 16 bytes with 64-byte values. One step = one `GET` of each key,
//! in order, every reply checked against the value the key holds. The clients, alternating,
//! `COREDIS_BENCH_REPS` times (default 3) of `COREDIS_BENCH_SECS` seconds (default 2), after a
//! warm-up that also fills the cache:
//!
//! - redis-rs sync `Connection` (the reference);
//! - coredis `Redis` without a cache (every `GET` is sent);
//! - coredis `Redis` with a cache (every `GET` after the warm-up is a hit), 1 thread and 4
//!   threads sharing the client.
//!
//! Reported: `GET`s per second, the median run; client CPU per `GET` (the whole process); the
//! ratio to the uncached coredis client. Target (issue 15): cached hits ≥ 20× uncached `GET`s.
//!
//! ```text
//! cargo bench --bench cache
//! ```
//! Without `--bench` (under `cargo test --benches`) each run lasts 0.05 s.

mod common;

use coredis::prelude::*;
use coredis::{CacheConfig, Redis};
use coredis_test_support::Server;
use redis::Commands;
use std::time::{Duration, Instant};

const KEYS: usize = 1_000;

fn key(i: usize) -> String {
    format!("cache:key:{i:06}")
}

fn value(i: usize) -> String {
    format!("{i:064}")
}

/// One `GET` of every key through `get`, checked.
fn step(mut get: impl FnMut(&str) -> Result<String, String>) -> Result<(), String> {
    for i in 0..KEYS {
        let k = key(i);
        let v = get(&k)?;
        if v != value(i) {
            return Err(format!("GET {k} returned {v:?}"));
        }
    }
    Ok(())
}

/// Runs `threads` threads doing steps through `get` for `secs`; returns `GET`s per second and
/// the process's CPU time per `GET`.
fn measure<F>(secs: Duration, threads: usize, get: F) -> (f64, Duration)
where
    F: Fn(&str) -> Result<String, String> + Sync,
{
    let cpu = common::process_cpu().unwrap_or_default();
    let started = Instant::now();
    let steps: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0;
                    while started.elapsed() < secs || n == 0 {
                        if let Err(e) = step(&get) {
                            eprintln!("error: {e}");
                            std::process::exit(1);
                        }
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let gets = (steps * KEYS) as f64;
    let cpu = common::process_cpu()
        .unwrap_or_default()
        .saturating_sub(cpu);
    (gets / elapsed, cpu.div_f64(gets.max(1.0)))
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let secs = Duration::from_secs_f64(
        common::settings::env_f64("COREDIS_BENCH_SECS").unwrap_or(if bench { 2.0 } else { 0.05 }),
    );
    let reps = common::settings::env_f64("COREDIS_BENCH_REPS")
        .map_or(if bench { 3 } else { 1 }, |r| r.max(1.0) as usize);
    let server = Server::start();
    let url = format!("{}?timeout=30", server.url());
    let plain = Redis::from_url(&url).expect("connect coredis");
    let cached = Redis::new(
        coredis::Config::from_url(&url)
            .expect("url")
            .to_builder()
            .cache(CacheConfig::default())
            .build()
            .expect("config"),
    )
    .expect("connect coredis with a cache");
    let rs = std::sync::Mutex::new(
        redis::Client::open(server.url().as_str())
            .and_then(|c| c.get_connection())
            .expect("connect redis-rs"),
    );
    for i in 0..KEYS {
        plain.set(key(i), value(i)).expect("preload");
    }
    let get_rs = |k: &str| -> Result<String, String> {
        let mut c = rs.lock().map_err(|_| "poisoned".to_string())?;
        c.get(k).map_err(|e| e.to_string())
    };
    let get_plain = |k: &str| plain.get::<String>(k).map_err(|e| e.to_string());
    let get_cached = |k: &str| cached.get::<String>(k).map_err(|e| e.to_string());
    // Warm-up; fills the cache.
    let warm = Duration::from_millis(if bench { 300 } else { 10 });
    measure(warm, 1, get_rs);
    measure(warm, 1, get_plain);
    measure(warm, 1, get_cached);
    let names = [
        "redis-rs sync `Connection`, 1 thread",
        "coredis, no cache, 1 thread",
        "coredis, cache hits, 1 thread",
        "coredis, cache hits, 4 threads",
    ];
    let mut runs: Vec<Vec<(f64, Duration)>> = vec![Vec::new(); names.len()];
    for rep in 0..reps {
        runs[0].push(measure(secs, 1, get_rs));
        runs[1].push(measure(secs, 1, get_plain));
        runs[2].push(measure(secs, 1, get_cached));
        runs[3].push(measure(secs, 4, get_cached));
        eprintln!("repetition {} of {reps} done", rep + 1);
    }
    let median = |r: &mut Vec<(f64, Duration)>| {
        r.sort_by(|a, b| a.0.total_cmp(&b.0));
        r.get(r.len() / 2).copied().unwrap_or((0.0, Duration::ZERO))
    };
    let medians: Vec<(f64, Duration)> = runs.iter_mut().map(median).collect();
    let base = medians.get(1).map_or(1.0, |m| m.0.max(1e-9));
    println!(
        "GET of {KEYS} keys (64-byte values, checked), {} s × {reps} per client, median run; \
         load average {}.\n",
        secs.as_secs_f64(),
        common::load_average(3)
    );
    println!("| client | GET/s | client CPU µs/GET | ÷ coredis without cache |");
    println!("|---|---:|---:|---:|");
    for (name, (ops, cpu)) in names.iter().zip(&medians) {
        println!(
            "| {name} | {ops:.0} | {:.2} | {:.1}× |",
            cpu.as_secs_f64() * 1e6,
            ops / base
        );
    }
    let stats = cached.cache_stats().unwrap_or_default();
    println!(
        "\ncache: {} hits, {} misses, {} entries, {} bytes",
        stats.hits, stats.misses, stats.entries, stats.bytes
    );
    let ratio = medians.get(2).map_or(0.0, |m| m.0) / base;
    println!("Target: cached GET hits ≥ 20× uncached GETs: {ratio:.1}×");
}
