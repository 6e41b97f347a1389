//! Run control and measurement: phases, readiness, the measurement window, the hang watchdog,
//! and what the workers counted.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use super::settings::Settings;
use super::{context_switches, pid_cpu, process_cpu};

/// How long after its planned end a run may take before it is reported as a hang.
pub const HANG_GRACE: Duration = Duration::from_secs(30);

/// The process id of a server whose CPU time [`drive`] measures over the window as well
/// (0: none). A bench that reports the server's CPU per operation sets it once.
pub static SERVER_PID: AtomicU32 = AtomicU32::new(0);

pub const WARMING: u8 = 0;
pub const MEASURING: u8 = 1;
pub const STOPPED: u8 = 2;

/// Shared by the coordinator and the workers of one run.
pub struct Ctl {
    pub phase: AtomicU8,
    pub ready: AtomicUsize,
    pub done: AtomicUsize,
    pub failed: AtomicBool,
}

impl Ctl {
    pub fn new() -> Ctl {
        Ctl {
            phase: AtomicU8::new(WARMING),
            ready: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            failed: AtomicBool::new(false),
        }
    }

    pub fn phase(&self) -> u8 {
        self.phase.load(Ordering::Acquire)
    }
}

/// Counts a worker as done when dropped, even when it panics (a panic also fails the run).
pub struct DoneGuard<'a>(pub &'a Ctl);

impl Drop for DoneGuard<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.failed.store(true, Ordering::Release);
        }
        self.0.done.fetch_add(1, Ordering::AcqRel);
    }
}

/// The measurement window: wall time and process CPU time.
pub struct Window {
    pub wall: Duration,
    pub cpu: Option<Duration>,
    /// Context switches (voluntary + involuntary) of the process's threads over the window;
    /// 0 unless `Settings::switches`.
    pub switches: u64,
    /// The voluntary ones among them.
    pub voluntary: u64,
    /// CPU time of the [`SERVER_PID`] process over the window, if one is set.
    pub server_cpu: Option<Duration>,
}

/// Coordinates one run: waits for every worker to be connected and ready (or for all of them
/// to have ended), warms up, measures, stops the workers and waits for them to end. Returns
/// early (stopped) when a worker fails.
pub fn drive(ctl: &Ctl, workers: usize, s: &Settings, wd: &Watchdog, what: &str) -> Window {
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
    let switches0 = if s.switches {
        context_switches()
    } else {
        (0, 0)
    };
    let server = SERVER_PID.load(Ordering::Relaxed);
    let server_cpu0 = if server != 0 { pid_cpu(server) } else { None };
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    ctl.phase.store(MEASURING, Ordering::Release);
    sleep_unless_failed(ctl, s.secs);
    // Read before the stop: the workers' threads end soon after it.
    let (switches, voluntary) = if s.switches {
        let (all, voluntary) = context_switches();
        (
            all.saturating_sub(switches0.0),
            voluntary.saturating_sub(switches0.1),
        )
    } else {
        (0, 0)
    };
    ctl.phase.store(STOPPED, Ordering::Release);
    let wall = t0.elapsed();
    let cpu = process_cpu().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    let server_cpu = server_cpu0.and_then(|a| Some(pid_cpu(server)?.saturating_sub(a)));
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
        voluntary,
        server_cpu,
    }
}

pub fn sleep_unless_failed(ctl: &Ctl, d: Duration) {
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
pub struct Watchdog {
    state: Mutex<Option<(Instant, String)>>,
}

impl Watchdog {
    pub fn start() -> &'static Watchdog {
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

    pub fn arm(&self, planned: Duration, stage: String) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((Instant::now() + planned + HANG_GRACE, stage));
    }

    pub fn stage(&self, stage: String) {
        if let Some((_, s)) = self
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            *s = stage;
        }
    }

    pub fn disarm(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// What one worker (thread or task) counted.
#[derive(Default)]
pub struct Stats {
    pub ops: u64,
    pub lat_ns: Vec<u32>,
}

impl Stats {
    pub fn record(&mut self, phase_at_start: u8, started: Instant) {
        let ns = started.elapsed().as_nanos();
        if phase_at_start == MEASURING {
            self.ops += 1;
            self.lat_ns.push(u32::try_from(ns).unwrap_or(u32::MAX));
        }
    }
}

/// The raw result of one run.
pub struct Measurement {
    pub ops: u64,
    pub wall: Duration,
    pub cpu: Option<Duration>,
    pub switches: u64,
    pub voluntary: u64,
    pub server_cpu: Option<Duration>,
    pub lat_ns: Vec<u32>,
}

impl Measurement {
    pub fn new(window: Window, stats: Vec<Stats>) -> Measurement {
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
            voluntary: window.voluntary,
            server_cpu: window.server_cpu,
            lat_ns,
        }
    }

    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.wall.as_secs_f64()
    }

    pub fn percentile_us(&self, q: f64) -> f64 {
        if self.lat_ns.is_empty() {
            return f64::NAN;
        }
        let i = ((self.lat_ns.len() - 1) as f64 * q).round() as usize;
        f64::from(self.lat_ns[i]) / 1000.0
    }

    pub fn cpu_us_per_op(&self) -> Option<f64> {
        let cpu = self.cpu?;
        (self.ops > 0).then(|| cpu.as_secs_f64() * 1e6 / self.ops as f64)
    }

    /// The server's CPU µs per operation, when [`SERVER_PID`] was set.
    pub fn server_cpu_us_per_op(&self) -> Option<f64> {
        let cpu = self.server_cpu?;
        (self.ops > 0).then(|| cpu.as_secs_f64() * 1e6 / self.ops as f64)
    }

    pub fn switches_per_op(&self) -> f64 {
        self.switches as f64 / self.ops.max(1) as f64
    }

    pub fn voluntary_switches_per_op(&self) -> f64 {
        self.voluntary as f64 / self.ops.max(1) as f64
    }
}

/// Joins a scoped worker thread, turning a panic into an error message.
pub fn join<T>(
    what: &str,
    h: thread::ScopedJoinHandle<'_, Result<T, String>>,
) -> Result<T, String> {
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
pub fn collect<T>(results: Vec<Result<T, String>>) -> Result<Vec<T>, String> {
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
