//! What the benches share. Here: CPU time of the process and of one thread, context switches,
//! the load average. For the `GET`/`SET` comparisons (`compare`, `cluster`): the command line
//! and environment (`settings`), the data set and its checks (`data`), run control, the hang
//! watchdog and measurement (`run`), the workers and the runs that drive them (`workers`),
//! and the cells of a comparison with their report (`cells`). For the benches that can run
//! over TLS (`compare`, `large`): the server and each client's way to it (`transport`).
//!
//! Each bench includes the whole module (`mod common;`) and uses what it needs.
#![allow(dead_code)]

pub mod cells;
pub mod data;
pub mod run;
pub mod settings;
pub mod transport;
pub mod workers;

use std::time::Duration;

/// Clock ticks per second of `/proc/self/stat` times: `getconf CLK_TCK`, else 100.
pub fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|&t| t > 0)
            .unwrap_or(100)
    })
}

/// User + system CPU time of this process (all threads, live and exited).
pub fn process_cpu() -> Option<Duration> {
    cpu_in("/proc/self/stat")
}

/// User + system CPU time of process `pid` (the server, say), from `/proc/<pid>/stat`.
pub fn pid_cpu(pid: u32) -> Option<Duration> {
    cpu_in(&format!("/proc/{pid}/stat"))
}

/// utime + stime of a `stat` file of `/proc`.
fn cpu_in(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the `(comm)` field; utime and stime are fields 14 and 15 of the line.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = utime + stime;
    let hz = clock_ticks();
    Some(Duration::from_secs(ticks / hz) + Duration::from_nanos((ticks % hz) * 1_000_000_000 / hz))
}

/// CPU time of the calling thread so far (`/proc/thread-self/schedstat`, nanoseconds).
pub fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        stat.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Context switches so far of every live thread of the process, `(all, voluntary)`
/// (voluntary + involuntary, and voluntary alone: a thread that blocked, e.g. to wait for its
/// reply, as opposed to one preempted), from `/proc/self/task/*/status`. Threads that ended
/// are not counted: the bench reads this while every worker is still running.
pub fn context_switches() -> (u64, u64) {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return (0, 0);
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .map(|status| (switches_in(&status), voluntary_switches_in(&status)))
        .fold((0, 0), |(a, v), (a1, v1)| (a + a1, v + v1))
}

/// Voluntary context switches in one thread's `status` file.
pub fn voluntary_switches_in(status: &str) -> u64 {
    status
        .lines()
        .filter_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .sum()
}

/// Voluntary + involuntary context switches in one thread's `status` file.
pub fn switches_in(status: &str) -> u64 {
    status
        .lines()
        .filter_map(|l| {
            l.strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
        })
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .sum()
}

/// The first `fields` of the 1-, 5- and 15-minute load averages, space-separated.
pub fn load_average(fields: usize) -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| {
            l.split_whitespace()
                .take(fields)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "n/a".to_owned())
}
