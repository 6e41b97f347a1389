//! Helpers shared by the integration tests: clients for a test server in the protocol the
//! run asks for, the `hammer` load, and a guard that stops helper threads when a test fails.

use coredis::prelude::*;
use coredis::{Addr, Config, ConfigBuilder, Redis};
use coredis_test_support::Server;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// The RESP version clients speak in this run: `$COREDIS_PROTOCOL` (`2` or `3`), default 3.
/// Panics on any other value, so a typo cannot silently test the default.
pub fn protocol() -> u8 {
    static PROTOCOL: OnceLock<u8> = OnceLock::new();
    *PROTOCOL.get_or_init(|| match std::env::var("COREDIS_PROTOCOL") {
        Err(std::env::VarError::NotPresent) => 3,
        Ok(v) if v.is_empty() || v == "3" => 3,
        Ok(v) if v == "2" => 2,
        other => panic!("COREDIS_PROTOCOL must be 2 or 3, not {other:?}"),
    })
}

/// `base` (a `redis://`, `rediss://` or `unix://` URL without a query) with `query` (e.g.
/// `"timeout=0.3"`, may be empty) and this run's `protocol=` appended.
pub fn url_for(base: &str, query: &str) -> String {
    let sep = if query.is_empty() { "" } else { "&" };
    format!("{base}?{query}{sep}protocol={}", protocol())
}

/// The server's plain TCP URL with `query` and this run's protocol.
pub fn url(server: &Server, query: &str) -> String {
    url_for(&server.url(), query)
}

/// A client of `server` in this run's protocol, with default settings.
pub fn connect(server: &Server) -> Redis {
    connect_with(server, "")
}

/// A client of `server` in this run's protocol, with `query` settings (`"timeout=0.3"`).
pub fn connect_with(server: &Server, query: &str) -> Redis {
    let url = url(server, query);
    Redis::from_url(&url).unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// A config builder for `server` (plain TCP) in this run's protocol.
pub fn config(server: &Server) -> ConfigBuilder {
    Config::builder()
        .addr(Addr::tcp("127.0.0.1", server.port()))
        .protocol_version(protocol())
}

/// One client per protocol, RESP3 then RESP2, for tests that check both in every run.
pub fn clients(server: &Server) -> Vec<(u8, Redis)> {
    [3u8, 2]
        .into_iter()
        .map(|p| {
            let url = format!("{}/0?protocol={p}", server.url());
            (p, Redis::from_url(&url).expect("connect"))
        })
        .collect()
}

/// `threads` threads each do `pairs` SET + GET of unique values on their own key and check
/// every reply. Values contain CRLF and RESP markers, so a reply handed to the wrong caller
/// or cut at the wrong place cannot pass.
pub fn hammer(r: &Redis, threads: usize, pairs: usize, tag: &str) {
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let key = format!("{tag}:key:{t}");
                for i in 0..pairs {
                    let value = format!("{tag}-{t}-{i}\r\n$3\r\n*1\r\n-ERR {i}");
                    r.set(&key, &value).expect("SET");
                    let got: String = r.get(&key).expect("GET");
                    assert_eq!(got, value, "thread {t} got another request's reply");
                }
            });
        }
    });
}

/// Sets its flag when dropped, also while unwinding: helper threads of a scoped test that
/// loop until the flag is set then end when the test's assertion fails, instead of keeping
/// the scope (and the test) alive for ever.
pub struct StopOnDrop<'a>(pub &'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// The server's `connected_clients`, read over a raw connection (which counts itself).
pub fn connected_clients(server: &Server) -> i64 {
    let info = server.command(&["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no connected_clients in {info:?}"))
}

/// Writers for failover tests: threads writing unique keys (`w:<thread>:<n>`) through one
/// client until stopped, recording every acknowledged write (and the errors, for messages).
pub struct WriteLoad {
    stop: std::sync::Arc<AtomicBool>,
    /// Every acknowledged write: key → value.
    pub acked: std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, usize>>>,
    errors: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    writers: Vec<std::thread::JoinHandle<()>>,
}

impl WriteLoad {
    /// Starts `threads` writers on clones of `client` and waits until they acknowledged 50
    /// writes (up to `bound`).
    pub fn start<C>(client: &C, threads: usize, bound: std::time::Duration) -> WriteLoad
    where
        C: Executor<Output<()> = coredis::Result<()>> + Clone + Send + 'static,
    {
        use std::sync::{Arc, Mutex};
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(std::collections::BTreeMap::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let writers = (0..threads)
            .map(|t| {
                let (c, stop, acked, errors) =
                    (client.clone(), stop.clone(), acked.clone(), errors.clone());
                std::thread::spawn(move || {
                    let mut i = 0usize;
                    while !stop.load(Ordering::Relaxed) {
                        let k = format!("w:{t}:{i}");
                        match c.set(&k, i) {
                            Ok(()) => {
                                acked.lock().unwrap().insert(k, i);
                            }
                            Err(e) => {
                                errors.lock().unwrap().push(e.to_string());
                                std::thread::sleep(std::time::Duration::from_millis(20));
                            }
                        }
                        i += 1;
                    }
                })
            })
            .collect();
        let load = WriteLoad {
            stop,
            acked,
            errors,
            writers,
        };
        load.wait_for_more(50, bound, "the writers did not start");
        load
    }

    /// How many writes were acknowledged so far.
    pub fn acked_count(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    /// A copy of the acknowledged writes so far.
    pub fn snapshot(&self) -> std::collections::BTreeMap<String, usize> {
        self.acked.lock().unwrap().clone()
    }

    /// Waits (up to `bound`) until `n` more writes are acknowledged; how long it took.
    pub fn wait_for_more(
        &self,
        n: usize,
        bound: std::time::Duration,
        what: &str,
    ) -> std::time::Duration {
        let started = std::time::Instant::now();
        let target = self.acked_count() + n;
        while self.acked_count() < target {
            if started.elapsed() >= bound {
                // Copied first: panicking while holding the lock would poison it for the
                // writers.
                let last: Vec<String> = self
                    .errors
                    .lock()
                    .unwrap()
                    .iter()
                    .rev()
                    .take(5)
                    .cloned()
                    .collect();
                panic!("{what} within {bound:?}; last errors: {last:?}");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        started.elapsed()
    }

    /// Stops the writers and returns every acknowledged write.
    pub fn stop(self) -> std::collections::BTreeMap<String, usize> {
        self.stop.store(true, Ordering::Relaxed);
        for w in self.writers {
            w.join().unwrap();
        }
        let acked = self.acked.lock().unwrap().clone();
        acked
    }
}

/// Context switches so far (voluntary and not) of this process's threads whose name starts
/// with `coredis` (the client's own threads: pipe workers, subscriber readers, watchers), from
/// `/proc/self/task/*/status`. Threads that ended are not counted.
pub fn coredis_thread_switches() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .filter(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Name:"))
                .is_some_and(|n| n.trim().starts_with("coredis"))
        })
        .map(|status| {
            status
                .lines()
                .filter_map(|l| {
                    l.strip_prefix("voluntary_ctxt_switches:")
                        .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
                })
                .filter_map(|n| n.trim().parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

/// How many times the client's threads ran ([`coredis_thread_switches`]) during `idle`.
pub fn coredis_wakeups_during(idle: std::time::Duration) -> u64 {
    let before = coredis_thread_switches();
    std::thread::sleep(idle);
    coredis_thread_switches().saturating_sub(before)
}
