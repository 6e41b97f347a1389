//! What a run is asked for: the command line (libtest's flags, workload filters) and the
//! `COREDIS_BENCH_*` variables.

use std::time::Duration;

/// Warm-up before each measurement (shortened to the measurement time if that is shorter).
pub const WARMUP: Duration = Duration::from_millis(300);

/// A workload as the filters and `--list` see it.
pub trait Named: Copy {
    fn name(self) -> String;

    /// Whether the workload runs only when a filter names it (else also without filters).
    fn only_when_named(self) -> bool {
        false
    }
}

pub struct Settings {
    pub secs: Duration,
    pub warmup: Duration,
    pub reps: usize,
    pub smoke: bool,
    pub filters: Vec<String>,
    pub exact: bool,
    /// The load average when the bench started: other work on the machine skews every
    /// number.
    pub load_at_start: String,
    /// Whether runs count the process's context switches over the measurement window.
    pub switches: bool,
}

impl Settings {
    /// Reads the arguments and the environment; with `--list`, lists the selected ones of
    /// `workloads` and exits.
    pub fn from_env_and_args<W: Named>(
        workloads: &[W],
        load_at_start: String,
        switches: bool,
    ) -> Settings {
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
            load_at_start,
            switches,
        };
        if list {
            for w in workloads.iter().filter(|w| settings.selects(**w)) {
                println!("{}: benchmark", w.name());
            }
            std::process::exit(0);
        }
        settings
    }

    /// Whether the filters select `w`.
    pub fn selects<W: Named>(&self, w: W) -> bool {
        let name = w.name();
        if self.filters.is_empty() {
            return !w.only_when_named();
        }
        self.filters.iter().any(|f| {
            if self.exact {
                *f == name
            } else {
                name.contains(f.as_str())
            }
        })
    }

    /// The workloads of `all` the filters select; exits with a message when there is none.
    pub fn selected<W: Named>(&self, all: &[W]) -> Vec<W> {
        let workloads: Vec<W> = all.iter().copied().filter(|w| self.selects(*w)).collect();
        if workloads.is_empty() {
            eprintln!(
                "no workload matches {:?}; workloads: {}",
                self.filters,
                all.iter().map(|w| w.name()).collect::<Vec<_>>().join(", ")
            );
            std::process::exit(2);
        }
        workloads
    }

    /// Says on stderr what the runs will be: `{title}: load average …; … s per measurement …`.
    pub fn announce(&self, title: &str) {
        eprintln!(
            "{title}: load average {}; {} s per measurement after {} s warm-up, {} \
             repetition(s){}",
            self.load_at_start,
            self.secs.as_secs_f64(),
            self.warmup.as_secs_f64(),
            self.reps,
            if self.smoke {
                " (smoke mode: no --bench flag)"
            } else {
                ""
            }
        );
    }
}

/// A positive number from the environment; exits with a message when it is not one.
pub fn env_f64(var: &str) -> Option<f64> {
    let text = std::env::var(var).ok().filter(|v| !v.trim().is_empty())?;
    match text.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Some(v),
        _ => {
            eprintln!("{var} must be a positive number, not {text:?}");
            std::process::exit(2);
        }
    }
}
