//! The floor under blocking threads: what it costs on this machine to wake a parked OS thread,
//! against handing the same turn to a tokio task. No server, no client.
//!
//! A thread that waits for its own reply sleeps until the reply is in, so a client of blocking
//! threads pays at least one wake-up of a parked thread per command (one voluntary context
//! switch), whoever reads the socket. An async client pays a task switch instead, in user
//! space. This bench measures the two alone, so the `threads-64` rows of `compare.rs` can be
//! read against them:
//!
//! - **threads**: `N` OS threads in a ring, `K` tokens moving around it. A thread holding a
//!   token passes it to the next one (an atomic flag, then `Thread::unpark`) and parks until a
//!   token comes back. With `N` much larger than `K`, every pass wakes a parked thread: what a
//!   reader does for each waiting caller.
//! - **tokio**: the same ring of `N` tasks on a multi-thread runtime with 2 workers (as the
//!   benches' async clients), each waiting on a `tokio::sync::Notify`.
//!
//! Reported per pass: wall time, the process's CPU time (`/proc/self/stat`), and context switches
//! of the process's threads (`/proc/self/task/*/status`, all and voluntary). `K = 2` keeps both
//! CPUs of the 2-CPU machines busy; `N = 2, K = 1` shows a wake-up of a thread on an idle CPU.
//!
//! ```text
//! cargo bench --bench handoff          # about 10 s
//! ```
//!
//! Without `--bench` (as under `cargo test --benches`) each ring passes 2,000 tokens, a smoke
//! test. Output: a Markdown table on stdout.

mod common;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::{context_switches, load_average, process_cpu};

/// The rings: (members, tokens).
const RINGS: [(usize, usize); 3] = [(2, 1), (64, 2), (256, 2)];

/// Passes per ring in a measuring run.
const PASSES: u64 = 400_000;

/// Passes per ring in a smoke run.
const SMOKE_PASSES: u64 = 2_000;

/// One ring's figures.
struct Figures {
    wall: Duration,
    cpu: Option<Duration>,
    switches: (u64, u64),
}

impl Figures {
    fn row(&self, out: &mut String, what: &str, n: usize, k: usize, passes: u64) {
        let per = |d: Duration| d.as_secs_f64() * 1e6 / passes as f64;
        let cpu = self
            .cpu
            .map_or_else(|| "n/a".to_owned(), |c| format!("{:.2}", per(c)));
        let _ = writeln!(
            out,
            "| {what} | {n} | {k} | {:.0} | {:.2} | {cpu} | {:.2} ({:.2}) |",
            passes as f64 / self.wall.as_secs_f64(),
            per(self.wall),
            self.switches.0 as f64 / passes as f64,
            self.switches.1 as f64 / passes as f64,
        );
    }
}

/// Starts the clock and the counters; `finish` reads them while the ring is still alive.
struct Start {
    at: Instant,
    cpu: Option<Duration>,
    switches: (u64, u64),
}

impl Start {
    fn now() -> Start {
        Start {
            switches: context_switches(),
            cpu: process_cpu(),
            at: Instant::now(),
        }
    }

    fn finish(&self) -> Figures {
        let wall = self.at.elapsed();
        let cpu = process_cpu()
            .zip(self.cpu)
            .map(|(b, a)| b.saturating_sub(a));
        let s = context_switches();
        Figures {
            wall,
            cpu,
            switches: (
                s.0.saturating_sub(self.switches.0),
                s.1.saturating_sub(self.switches.1),
            ),
        }
    }
}

/// Waits until `passes` tokens were passed (polling: the main thread is not in the ring).
fn wait_for(done: &AtomicU64, passes: u64) {
    while done.load(Ordering::Acquire) < passes {
        thread::sleep(Duration::from_millis(1));
    }
}

/// `n` OS threads, `k` tokens, measured over `passes` passes.
fn threads_ring(n: usize, k: usize, passes: u64) -> Figures {
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let flags: Arc<Vec<AtomicBool>> =
        Arc::new((0..n).map(|i| AtomicBool::new(i % (n / k) == 0)).collect());
    let ring: Arc<OnceLock<Vec<thread::Thread>>> = Arc::new(OnceLock::new());
    let handles: Vec<_> = (0..n)
        .map(|id| {
            let (done, stop, flags, ring) =
                (done.clone(), stop.clone(), flags.clone(), ring.clone());
            thread::spawn(move || {
                let members = loop {
                    match ring.get() {
                        Some(m) => break m,
                        None => thread::park(),
                    }
                };
                let next = (id + 1) % n;
                // Until told to stop, not until `passes`: the threads must still be alive when
                // their context switches are read.
                while !stop.load(Ordering::Acquire) {
                    if flags[id].swap(false, Ordering::AcqRel) {
                        done.fetch_add(1, Ordering::AcqRel);
                        flags[next].store(true, Ordering::Release);
                        members[next].unpark();
                    } else {
                        thread::park();
                    }
                }
            })
        })
        .collect();
    let members: Vec<thread::Thread> = handles.iter().map(|h| h.thread().clone()).collect();
    let start = Start::now();
    let _ = ring.set(members.clone());
    for m in &members {
        m.unpark();
    }
    wait_for(&done, passes);
    let figures = start.finish();
    stop.store(true, Ordering::Release);
    // `unpark` before `park` makes `park` return: no thread can sleep through this.
    for m in &members {
        m.unpark();
    }
    for h in handles {
        let _ = h.join();
    }
    figures
}

/// `n` tokio tasks on 2 workers, `k` tokens, measured over `passes` passes.
fn tokio_ring(n: usize, k: usize, passes: u64) -> Result<Figures, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .map_err(|e| format!("building the tokio runtime: {e}"))?;
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let notes: Arc<Vec<tokio::sync::Notify>> =
        Arc::new((0..n).map(|_| tokio::sync::Notify::new()).collect());
    let tasks: Vec<_> = (0..n)
        .map(|id| {
            let (done, stop, notes) = (done.clone(), stop.clone(), notes.clone());
            rt.spawn(async move {
                let next = (id + 1) % n;
                loop {
                    notes[id].notified().await;
                    if stop.load(Ordering::Acquire) {
                        return;
                    }
                    done.fetch_add(1, Ordering::AcqRel);
                    notes[next].notify_one();
                }
            })
        })
        .collect();
    let start = Start::now();
    for i in (0..n).step_by(n / k) {
        notes[i].notify_one();
    }
    wait_for(&done, passes);
    let figures = start.finish();
    stop.store(true, Ordering::Release);
    // `notify_one` stores a permit when nobody waits: every task sees it and returns.
    for note in notes.iter() {
        note.notify_one();
    }
    rt.block_on(async {
        for t in tasks {
            let _ = t.await;
        }
    });
    Ok(figures)
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let passes = if measuring { PASSES } else { SMOKE_PASSES };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Hand-offs: a parked OS thread against a tokio task\n\n{} CPU(s), load average {} \
         at the start; {passes} passes per ring.\n",
        thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(1),
    );
    let _ = writeln!(
        out,
        "| ring of | members | tokens | passes/s | wall µs/pass | CPU µs/pass | context \
         switches/pass (voluntary) |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let mut failed = false;
    for (n, k) in RINGS {
        eprintln!("threads: {n} members, {k} tokens");
        threads_ring(n, k, passes).row(&mut out, "OS threads (park/unpark)", n, k, passes);
        eprintln!("tokio: {n} tasks, {k} tokens");
        match tokio_ring(n, k, passes) {
            Ok(f) => f.row(&mut out, "tokio tasks (2 workers, `Notify`)", n, k, passes),
            Err(e) => {
                let _ = writeln!(out, "| tokio tasks | {n} | {k} | FAILED: {e} | | | |");
                failed = true;
            }
        }
    }
    print!("{out}");
    if failed {
        std::process::exit(1);
    }
}
