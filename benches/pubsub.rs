//! Pub/sub receive rate: coredis' `Subscriber` against redis-rs' sync `PubSub` and its async
//! pub/sub stream, on the same throw-away server.
//!
//! One step = 100,000 messages of 100 bytes published to a fresh channel by another
//! connection (the same publisher for every subscriber), received and checked by the
//! subscriber under test: each payload carries its index, so a lost, repeated or reordered
//! message fails the run. The time is from the first publish to the last message received.
//!
//! The publisher (`COREDIS_BENCH_PUBLISHER`): by default every `PUBLISH` is encoded before the
//! step and written as fast as the server takes it, while a second thread reads and checks the
//! replies (`:1`: one receiver each), so what is measured is how fast the subscriber takes what
//! the server sends. With `pipelines`, one redis-rs sync connection sends pipelines of 1,000
//! `PUBLISH` and waits for their replies before the next: that publisher is the bottleneck
//! (70 % of its time waiting for the server; a bare socket reader that parses nothing receives
//! no faster than coredis then), so subscribers that keep up come out level.
//!
//! Also reported: the subscriber's CPU per message, the process's CPU time over the step minus
//! the publisher's threads' (so it counts the subscriber's threads, tokio's workers for the
//! async one, and the same checking code for all), and the server's CPU per message over the
//! step (its work for the publisher included; from `/proc/<pid>/stat`, in ticks of 10 ms, so
//! about ±10 %). The subscribers, alternating, `COREDIS_BENCH_REPS` times (default 3) after a
//! warm-up:
//!
//! - redis-rs sync: `Connection::as_pubsub()`, `get_message()` in a loop;
//! - redis-rs async: `Client::get_async_pubsub()`, `on_message()` stream, on a 2-worker tokio
//!   runtime;
//! - coredis: `r.pubsub()`, `recv()` in a loop (the default channel and back-pressure).
//!
//! ```text
//! cargo bench --bench pubsub
//! cargo bench --bench pubsub -- coredis      # subscribers whose name contains the filter
//! COREDIS_BENCH_PUBLISHER=pipelines cargo bench --bench pubsub
//! ```
//! Without `--bench` (under `cargo test --benches`) it runs one step of 2,000 messages each.

mod common;

use common::{pid_cpu, process_cpu, thread_cpu};
use futures_util::StreamExt;
use redis::Commands;
use std::thread;
use std::time::{Duration, Instant};

const PAYLOAD: usize = 100;
const PUBLISH_BATCH: usize = 1_000;

fn env_f64(name: &str) -> Option<f64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Message `i`: its index in 10 digits, padded to 100 bytes.
fn payload(i: usize) -> Vec<u8> {
    let mut p = format!("{i:010}").into_bytes();
    p.resize(PAYLOAD, b'.');
    p
}

/// Checks that `got` is message `expected`.
fn check(got: &[u8], expected: usize) -> Result<(), String> {
    if got.len() != PAYLOAD || got.get(..10) != Some(format!("{expected:010}").as_bytes()) {
        return Err(format!(
            "message {expected}: got {:?}",
            String::from_utf8_lossy(got.get(..got.len().min(16)).unwrap_or_default())
        ));
    }
    Ok(())
}

/// The publisher's result: the CPU time of its thread(s).
type Publisher = thread::JoinHandle<Result<Duration, String>>;

/// How the messages are published (`COREDIS_BENCH_PUBLISHER`).
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// The default: every `PUBLISH` encoded before the step, then written as fast as the
    /// server takes them while another thread reads the replies (`:1` each, checked), so the
    /// server is never idle waiting for the publisher and the subscriber's speed shows.
    Stream,
    /// `pipelines`: a redis-rs sync connection sending pipelines of 1,000 `PUBLISH` and
    /// waiting for their replies before the next (the rate is then mostly the publisher's).
    Pipelines,
}

fn mode() -> Mode {
    match std::env::var("COREDIS_BENCH_PUBLISHER").as_deref() {
        Ok("pipelines") => Mode::Pipelines,
        _ => Mode::Stream,
    }
}

/// A publisher made ready before the step's clock starts: connected, and in `Stream` mode with
/// every request encoded.
enum Prepared {
    Stream {
        socket: std::net::TcpStream,
        requests: Vec<u8>,
        n: usize,
    },
    Pipelines {
        con: redis::Connection,
        channel: String,
        n: usize,
    },
}

/// Connects the publisher of `n` messages (and a last `end`) to `channel`.
fn prepare(url: &str, addr: &str, channel: String, n: usize) -> Prepared {
    match mode() {
        Mode::Pipelines => Prepared::Pipelines {
            con: redis::Client::open(url)
                .and_then(|c| c.get_connection())
                .expect("connect the publisher"),
            channel,
            n,
        },
        Mode::Stream => {
            let mut requests = Vec::with_capacity(n * (PAYLOAD + 64));
            let mut push = |payload: &[u8]| {
                requests.extend_from_slice(
                    format!(
                        "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{channel}\r\n${}\r\n",
                        channel.len(),
                        payload.len()
                    )
                    .as_bytes(),
                );
                requests.extend_from_slice(payload);
                requests.extend_from_slice(b"\r\n");
            };
            for i in 0..n {
                push(&payload(i));
            }
            push(b"end");
            let socket = std::net::TcpStream::connect(addr).expect("connect the publisher");
            socket.set_nodelay(true).expect("TCP_NODELAY");
            Prepared::Stream {
                socket,
                requests,
                n,
            }
        }
    }
}

impl Prepared {
    /// Starts publishing from a thread of its own; returns at once.
    fn start(self) -> Publisher {
        match self {
            Prepared::Pipelines {
                mut con,
                channel,
                n,
            } => thread::spawn(move || {
                let mut i = 0;
                while i < n {
                    let mut p = redis::pipe();
                    for j in i..(i + PUBLISH_BATCH).min(n) {
                        p.publish(&channel, payload(j)).ignore();
                    }
                    p.query::<()>(&mut con).map_err(|e| e.to_string())?;
                    i += PUBLISH_BATCH;
                }
                // Every message had a receiver.
                let receivers: i64 = con.publish(&channel, "end").map_err(|e| e.to_string())?;
                if receivers != 1 {
                    return Err(format!("{receivers} receivers at the end"));
                }
                thread_cpu().ok_or_else(|| "no thread CPU time".to_string())
            }),
            Prepared::Stream {
                socket,
                requests,
                n,
            } => thread::spawn(move || {
                let mut reader = socket.try_clone().map_err(|e| e.to_string())?;
                // Every reply must be `:1` (one receiver): n messages and the `end`.
                let replies = thread::spawn(move || -> Result<Duration, String> {
                    use std::io::Read;
                    let expected = (n + 1) * 4;
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut got = 0;
                    while got < expected {
                        let k = reader.read(&mut buf).map_err(|e| e.to_string())?;
                        if k == 0 {
                            return Err("the server closed the publisher".into());
                        }
                        for (i, b) in buf[..k].iter().enumerate() {
                            if *b != b":1\r\n"[(got + i) % 4] {
                                return Err(format!(
                                    "publish reply {} is not :1 (no receiver?)",
                                    (got + i) / 4
                                ));
                            }
                        }
                        got += k;
                    }
                    thread_cpu().ok_or_else(|| "no thread CPU time".to_string())
                });
                let mut socket = socket;
                use std::io::Write;
                for chunk in requests.chunks(64 * 1024) {
                    socket.write_all(chunk).map_err(|e| e.to_string())?;
                }
                let writer_cpu = thread_cpu().ok_or("no thread CPU time")?;
                let reader_cpu = replies.join().map_err(|_| "the reply reader panicked")??;
                Ok(writer_cpu + reader_cpu)
            }),
        }
    }
}

/// A step's measurements.
struct Step {
    time: Duration,
    /// The subscriber's CPU time (the process's minus the publisher's).
    cpu: Duration,
    /// The server's CPU time over the step (its work for the publisher included).
    server: Duration,
}

/// Waits for the publisher (any error ends the run) and measures the step that began at
/// `start` with the process at `cpu0`.
fn finish(publisher: Publisher, start: Instant, cpu0: Duration) -> Step {
    let time = start.elapsed();
    let publisher_cpu = match publisher.join() {
        Ok(Ok(cpu)) => cpu,
        Ok(Err(e)) => fail(&format!("publisher: {e}")),
        Err(_) => fail("publisher panicked"),
    };
    let cpu = cpu_now().saturating_sub(cpu0).saturating_sub(publisher_cpu);
    Step {
        time,
        cpu,
        server: Duration::ZERO,
    }
}

fn cpu_now() -> Duration {
    process_cpu().unwrap_or_else(|| fail("no process CPU time"))
}

fn fail(e: &str) -> ! {
    eprintln!("error: {e}");
    std::process::exit(1);
}

fn step_redis_rs_sync(url: &str, addr: &str, channel: String, n: usize) -> Result<Step, String> {
    let mut con = redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .map_err(|e| e.to_string())?;
    let mut ps = con.as_pubsub();
    ps.subscribe(&channel).map_err(|e| e.to_string())?;
    let prepared = prepare(url, addr, channel, n);
    let (start, cpu0) = (Instant::now(), cpu_now());
    let publisher = prepared.start();
    for i in 0..n {
        let m = ps.get_message().map_err(|e| e.to_string())?;
        check(m.get_payload_bytes(), i)?;
    }
    Ok(finish(publisher, start, cpu0))
}

fn step_redis_rs_async(
    rt: &tokio::runtime::Runtime,
    url: &str,
    addr: &str,
    channel: String,
    n: usize,
) -> Result<Step, String> {
    rt.block_on(async {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let mut ps = client.get_async_pubsub().await.map_err(|e| e.to_string())?;
        ps.subscribe(&channel).await.map_err(|e| e.to_string())?;
        let mut stream = ps.on_message();
        let prepared = prepare(url, addr, channel, n);
        let (start, cpu0) = (Instant::now(), cpu_now());
        let publisher = prepared.start();
        for i in 0..n {
            let m = stream.next().await.ok_or("the stream ended")?;
            check(m.get_payload_bytes(), i)?;
        }
        Ok(finish(publisher, start, cpu0))
    })
}

fn step_coredis(
    r: &coredis::Redis,
    url: &str,
    addr: &str,
    channel: String,
    n: usize,
) -> Result<Step, String> {
    let sub = r.pubsub().map_err(|e| e.to_string())?;
    sub.subscribe(&channel).map_err(|e| e.to_string())?;
    let prepared = prepare(url, addr, channel, n);
    let (start, cpu0) = (Instant::now(), cpu_now());
    let publisher = prepared.start();
    for i in 0..n {
        let m = sub.recv().map_err(|e| e.to_string())?;
        check(&m.payload, i)?;
    }
    Ok(finish(publisher, start, cpu0))
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let n = if bench { 100_000 } else { 2_000 };
    let reps = env_f64("COREDIS_BENCH_REPS").map_or(if bench { 3 } else { 1 }, |r| r as usize);
    let server = coredis_test_support::Server::start();
    let url = server.url();
    let addr = server.addr();
    let server_pid = server.pid();
    let server_cpu = || pid_cpu(server_pid).unwrap_or_default();
    let r = coredis::Redis::from_url(&format!("{url}?timeout=30")).expect("connect coredis");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let names = [
        "redis-rs sync `PubSub`",
        "redis-rs async pub/sub stream",
        "coredis `Subscriber`",
    ];
    let mut times: [Vec<Step>; 3] = Default::default();
    let mut step = 0;
    for rep in 0..=reps {
        for (c, t) in times.iter_mut().enumerate() {
            if filter
                .as_ref()
                .is_some_and(|f| !names[c].contains(f.as_str()))
            {
                continue;
            }
            step += 1;
            let channel = format!("bench:{step}");
            let server0 = server_cpu();
            let result = match c {
                0 => step_redis_rs_sync(&url, &addr, channel, n),
                1 => step_redis_rs_async(&rt, &url, &addr, channel, n),
                _ => step_coredis(&r, &url, &addr, channel, n),
            }
            .map(|mut s| {
                s.server = server_cpu().saturating_sub(server0);
                s
            });
            match result {
                // Repetition 0 is the warm-up.
                Ok(d) if rep > 0 || !bench => t.push(d),
                Ok(_) => {}
                Err(e) => fail(&format!("{}: {e}", names[c])),
            }
        }
        if rep > 0 {
            eprintln!("repetition {rep} of {reps} done");
        }
    }
    let rate = |t: &Vec<Step>| {
        let mut t: Vec<Duration> = t.iter().map(|s| s.time).collect();
        t.sort();
        let median = t.get(t.len() / 2).copied().unwrap_or_default();
        n as f64 / median.as_secs_f64().max(1e-9)
    };
    let cpu_per_message = |t: &Vec<Step>| {
        let cpu: Duration = t.iter().map(|s| s.cpu).sum();
        cpu.as_secs_f64() * 1e6 / (n * t.len().max(1)) as f64
    };
    let server_per_message = |t: &Vec<Step>| {
        let cpu: Duration = t.iter().map(|s| s.server).sum();
        cpu.as_secs_f64() * 1e6 / (n * t.len().max(1)) as f64
    };
    let rates: Vec<f64> = times.iter().map(rate).collect();
    println!(
        "One step: {n} messages of {PAYLOAD} bytes, published by another connection ({}), \
         received and checked; median of {reps}.\n",
        match mode() {
            Mode::Stream => "streamed",
            Mode::Pipelines => "pipelines of 1,000",
        }
    );
    println!(
        "| subscriber | messages/s | vs redis-rs sync | vs redis-rs async | subscriber CPU µs/message | server CPU µs/message |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for ((name, r), t) in names.iter().zip(&rates).zip(&times) {
        if t.is_empty() {
            continue;
        }
        println!(
            "| {name} | {r:.0} | {:.2}× | {:.2}× | {:.2} | {:.2} |",
            r / rates[0],
            r / rates[1],
            cpu_per_message(t),
            server_per_message(t)
        );
    }
    println!(
        "\nTargets: coredis ≥ 1.0× redis-rs sync: {:.2}×; ≥ 1.0× redis-rs async: {:.2}×",
        rates[2] / rates[0],
        rates[2] / rates[1]
    );
}
