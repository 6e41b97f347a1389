//! Cluster benchmark: coredis' `RedisCluster` against redis-rs' cluster clients on the same
//! throw-away Redis Cluster, and what a `RedisCluster` costs on a 30-node cluster.
//!
//! # What it measures
//!
//! A cluster of 3 primaries with one replica each (6 `redis-server`s on 127.0.0.1) is started
//! with the test harness (`coredis_test_support::Cluster::start(3, 1)`); the server binary is
//! `$COREDIS_SERVER_BIN`, else `/usr/bin/redis-server`, else `redis-server` on `PATH`. Before
//! every run, 1000 keys of 16 bytes (`key:000000000123`, spread over about 1000 slots and so
//! over the 3 primaries) are preloaded with fresh 64-byte values over raw connections to the
//! slots' owners that use neither client. The workloads:
//!
//! | workload      | coredis                                              | redis-rs                                                |
//! |---------------|------------------------------------------------------|---------------------------------------------------------|
//! | `threads-64`  | 64 threads share one `RedisCluster`, 50/50 `GET`/`SET` | sync `cluster::ClusterConnection` per thread, same mix; async `cluster_async::ClusterConnection` cloned into 64 tokio tasks (2 workers) |
//! | `inflight-64` | one thread keeping 64 deferred `GET` handles in flight (a ring: wait the oldest, submit a new one) | async `cluster_async::ClusterConnection` cloned into 64 tokio tasks looping `GET` (2 workers) |
//!
//! A diagnostic workload, `one-slot`, run only when a filter names it, is `inflight-64` on
//! keys that all carry the hash tag `{0}` (`{0}key:000000123`): one slot, one primary. Set
//! against `inflight-64` it separates the cost of the cluster layer (routing, redirect hooks)
//! from the cost of spreading one caller's commands over several nodes.
//!
//! Thread (or task) `t` of 64 owns the keys `k` with `k % 64 == t`, so every `GET` reply is
//! checked against the exact value that thread last wrote, or the preloaded one; in
//! `inflight-64` every reply must equal the preloaded value. Values name their run, key,
//! writer and sequence number, so a reply meant for another command, key, thread or run is
//! caught. Any error, wrong reply or panic fails the (workload, client) cell and is reported;
//! the process then exits with 1. A run that does not finish within 30 s of its planned end is
//! reported as a hang and the process exits with 2.
//!
//! Each run: connect, preload, warm up for 0.3 s, measure for `COREDIS_BENCH_SECS`. Reported
//! per cell, from the repetition with the median ops/s: ops/s, p50/p99 latency (µs, around
//! each call; for the in-flight workload from submit to reply), and client CPU µs/op (user +
//! system CPU time of this whole process over the window, from `/proc/self/stat`, ÷ ops: it
//! covers the bench's own bookkeeping, the same for every client, and the clients' background
//! threads; the servers are other processes), and context switches per operation (voluntary
//! and involuntary, summed over the process's threads from `/proc/self/task/*/status` at the
//! start and end of the window: how often a thread slept or was preempted, a proxy for
//! thread hand-offs). Runs are interleaved: per repetition, the redis-rs runs, then coredis.
//! **ratio** is coredis ops/s ÷ the first redis-rs row of the workload; "vs this" is coredis
//! ÷ that row.
//!
//! # The cost mode
//!
//! `cargo bench --bench cluster -- cost` (run only when a filter names it) starts a cluster of
//! 15 primaries and 15 replicas and measures, for one client at a time, from before it is
//! created to after every primary was touched (one `SET` and one `GET` per primary, then
//! `DBSIZE`, which fans out to every primary): the sockets the process holds (links of
//! `/proc/self/fd` to `socket:`), its threads (`/proc/self/task`), its RSS (`VmRSS`), then the
//! CPU the process and the client's threads use during 5 s of idling, and the client threads'
//! context switches in that time (wake-ups). Then again after dropping the client (nothing
//! must be left). Clients: `RedisCluster` with `ReadFrom::Primary`; `RedisCluster` with
//! `ReadFrom::PreferReplica`, after reads on every shard (so replicas are connected too); and,
//! for reference, redis-rs' sync `ClusterConnection` and its async one on a 2-worker runtime.
//!
//! # Running
//!
//! ```text
//! cargo bench --bench cluster                      # threads-64 and inflight-64, about 1 min
//! cargo bench --bench cluster -- inflight          # only workloads whose name contains this
//! cargo bench --bench cluster -- one-slot          # the one-slot diagnostic
//! cargo bench --bench cluster -- cost              # the 30-node cost measurement
//! COREDIS_BENCH_SECS=0.5 COREDIS_BENCH_REPS=1 cargo bench --bench cluster   # quick look
//! ```
//!
//! - `COREDIS_BENCH_SECS`: seconds per measurement (default 2; fractions allowed);
//! - `COREDIS_BENCH_REPS`: repetitions of every (workload, client) run (default 3);
//! - `COREDIS_SERVER_BIN`, `COREDIS_CLI_BIN`: the server and the `redis-cli` that forms the
//!   cluster.
//!
//! The Markdown tables and the targets go to stdout; progress goes to stderr. Without
//! `--bench` (as under `cargo test --benches`) every run is a 0.05 s smoke test, once, unless
//! `COREDIS_BENCH_SECS` / `COREDIS_BENCH_REPS` say otherwise. Other libtest flags are
//! ignored; `--list` lists the workloads.

mod common;

use common::cells::{cells, run_cells, write_results};
use common::data::{Key, RunData};
use common::run::{Measurement, Watchdog};
use common::settings::{Named, Settings};
use common::workers::{
    coredis_err, redis_rs_err, run_blocking, run_coredis_inflight, run_rs_async, runtime,
};
use common::{clock_ticks, load_average, process_cpu, switches_in};
use coredis_test_support as support;
use support::raw::{Conn, Reply};

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use coredis::prelude::*;
use coredis::{ClusterConfig, ReadFrom, RedisCluster};

/// Threads of `threads-64`, commands in flight in `inflight-64`, tasks of the async runs.
const CONCURRENCY: usize = 64;
/// Primaries (each with one replica) of the cluster of the cost mode.
const COST_PRIMARIES: usize = 15;
/// How long the cost mode lets each client idle.
const IDLE: Duration = Duration::from_secs(5);
/// Raw connections' timeout (preloading, topology).
const RAW_TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// Workloads, clients, settings
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    Threads,
    Inflight,
    /// A diagnostic: `inflight-64` on keys that share one hash tag, so one node serves them.
    OneSlot,
    Cost,
}

const WORKLOADS: [Workload; 4] = [
    Workload::Threads,
    Workload::Inflight,
    Workload::OneSlot,
    Workload::Cost,
];

impl Named for Workload {
    fn name(self) -> String {
        match self {
            Workload::Threads => format!("threads-{CONCURRENCY}"),
            Workload::Inflight => format!("inflight-{CONCURRENCY}"),
            Workload::OneSlot => "one-slot".to_owned(),
            Workload::Cost => "cost".to_owned(),
        }
    }

    /// `one-slot` and `cost` run only when a filter names them.
    fn only_when_named(self) -> bool {
        matches!(self, Workload::OneSlot | Workload::Cost)
    }
}

impl Workload {
    /// The clients compared, in run order: redis-rs first (the first one is the baseline of
    /// the ratio), coredis last.
    fn clients(self) -> Vec<Client> {
        match self {
            Workload::Threads => vec![Client::RsSync, Client::RsAsync, Client::Coredis],
            Workload::Inflight | Workload::OneSlot => vec![Client::RsAsync, Client::Coredis],
            Workload::Cost => Vec::new(),
        }
    }

    /// Whether half of the operations are `SET`s (else all are `GET`s).
    fn sets(self) -> bool {
        self == Workload::Threads
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Client {
    Coredis,
    RsSync,
    RsAsync,
}

impl Client {
    fn label(self, w: Workload) -> String {
        match (self, w) {
            (Client::Coredis, Workload::Inflight | Workload::OneSlot) => {
                format!("coredis, 1 thread, {CONCURRENCY} handles in flight")
            }
            (Client::Coredis, _) => "coredis, one shared `RedisCluster`".to_owned(),
            (Client::RsSync, _) => "redis-rs sync `ClusterConnection` per thread".to_owned(),
            (Client::RsAsync, _) => {
                format!("redis-rs async `ClusterConnection`, {CONCURRENCY} tasks")
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The cluster's topology, read over raw connections
// ---------------------------------------------------------------------------------------

/// Which port serves each slot, from one node's `CLUSTER SLOTS`.
struct SlotOwners {
    /// `(first slot, last slot, port of the primary, ports of its replicas)`.
    ranges: Vec<(u16, u16, u16, Vec<u16>)>,
}

fn raw_conn(port: u16) -> Result<Conn, String> {
    Conn::connect(SocketAddr::from(([127, 0, 0, 1], port)), RAW_TIMEOUT)
        .map_err(|e| format!("raw connection to 127.0.0.1:{port}: {e}"))
}

fn text(r: &Reply) -> Option<&str> {
    match r {
        Reply::Text(t) => Some(t),
        _ => None,
    }
}

impl SlotOwners {
    fn read(port: u16) -> Result<SlotOwners, String> {
        let reply = raw_conn(port)?
            .call(&["CLUSTER", "SLOTS"])
            .map_err(|e| format!("CLUSTER SLOTS: {e}"))?;
        let bad = || format!("unexpected CLUSTER SLOTS reply: {reply:?}");
        let Reply::Many(entries) = &reply else {
            return Err(bad());
        };
        let mut ranges = Vec::new();
        for e in entries {
            let Reply::Many(fields) = e else {
                return Err(bad());
            };
            let num = |i: usize| fields.get(i).and_then(text).and_then(|t| t.parse().ok());
            let port_of = |node: &Reply| match node {
                Reply::Many(n) => n.get(1).and_then(text).and_then(|t| t.parse::<u16>().ok()),
                _ => None,
            };
            let (Some(first), Some(last)) = (num(0), num(1)) else {
                return Err(bad());
            };
            let ports: Option<Vec<u16>> = fields.iter().skip(2).map(port_of).collect();
            let ports = ports.ok_or_else(bad)?;
            let (&primary, replicas) = ports.split_first().ok_or_else(bad)?;
            ranges.push((first, last, primary, replicas.to_vec()));
        }
        let covered: usize = ranges
            .iter()
            .map(|(a, b, _, _)| usize::from(*b - *a) + 1)
            .sum();
        if covered != usize::from(coredis::SLOT_COUNT) {
            return Err(format!("CLUSTER SLOTS covers {covered} slots: {reply:?}"));
        }
        Ok(SlotOwners { ranges })
    }

    /// The port of the primary serving `key` (the slot computed by the harness, not by
    /// either client).
    fn owner(&self, key: &[u8]) -> u16 {
        let slot = support::cluster::key_slot(key);
        self.ranges
            .iter()
            .find(|(a, b, _, _)| (*a..=*b).contains(&slot))
            .map_or(0, |r| r.2)
    }

    /// The primaries' ports, each with its replicas' ports.
    fn shards(&self) -> BTreeMap<u16, Vec<u16>> {
        let mut out = BTreeMap::new();
        for (_, _, p, r) in &self.ranges {
            out.entry(*p).or_insert_with(|| r.clone());
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Preloading
// ---------------------------------------------------------------------------------------

impl RunData {
    /// `SET`s every key to its preload value on its slot's primary, one raw connection and one
    /// batch per primary.
    fn load(&self, owners: &SlotOwners) -> Result<(), String> {
        let mut batches: BTreeMap<u16, (Vec<u8>, usize)> = BTreeMap::new();
        for (k, v) in self.keys.iter().zip(&self.preload) {
            let batch = batches.entry(owners.owner(k)).or_default();
            batch
                .0
                .extend_from_slice(&support::raw::encode(&[&b"SET"[..], &k[..], &v[..]]));
            batch.1 += 1;
        }
        for (port, (bytes, n)) in batches {
            let mut conn = raw_conn(port)?;
            conn.send(&bytes)
                .map_err(|e| format!("preloading 127.0.0.1:{port}: {e}"))?;
            for _ in 0..n {
                match conn.read_reply() {
                    Ok(Reply::Text(t)) if t == "OK" => {}
                    other => {
                        return Err(format!(
                            "preloading 127.0.0.1:{port}: SET replied {other:?}"
                        ))
                    }
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Orchestration and report of the throughput workloads
// ---------------------------------------------------------------------------------------

/// The cluster under test and how to reach it.
struct Target {
    _cluster: support::Cluster,
    owners: SlotOwners,
    /// `redis://127.0.0.1:PORT` of every node.
    urls: Vec<String>,
}

/// A `RedisCluster` with the default settings, every node given as a startup node.
fn coredis_client(urls: &[String], read_from: ReadFrom) -> Result<RedisCluster, String> {
    let addrs = urls
        .iter()
        .map(|u| u.trim_start_matches("redis://").parse::<coredis::Addr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(coredis_err)?;
    let config = ClusterConfig::builder()
        .nodes(addrs)
        .read_from(read_from)
        .build()
        .map_err(coredis_err)?;
    RedisCluster::new(config).map_err(coredis_err)
}

/// One (workload, client) run, with a freshly preloaded data set and fresh connections.
fn run_one(
    s: &Settings,
    wd: &Watchdog,
    t: &Target,
    w: Workload,
    c: Client,
    run_id: u32,
) -> Result<Measurement, String> {
    let what = format!("{} / {}", w.name(), c.label(w));
    let data = Arc::new(RunData::new(run_id, w == Workload::OneSlot));
    wd.stage(format!("{what}: preloading"));
    data.load(&t.owners).map_err(|e| format!("{what}: {e}"))?;
    let threads = CONCURRENCY;
    match c {
        Client::RsAsync => {
            let connect = || {
                redis::cluster::ClusterClient::new(t.urls.clone())
                    .map(|c| async move { c.get_async_connection().await })
            };
            run_rs_async(s, wd, &what, connect, &data, threads, w.sets())
        }
        Client::RsSync => {
            let client = redis::cluster::ClusterClient::new(t.urls.clone())
                .map_err(|e| format!("{what}: {}", redis_rs_err(e)))?;
            run_blocking(s, wd, &what, &data, threads, w.sets(), || {
                client.get_connection().map_err(redis_rs_err)
            })
        }
        Client::Coredis => {
            wd.stage(format!("{what}: connecting"));
            let cluster = coredis_client(&t.urls, ReadFrom::Primary)
                .map_err(|e| format!("{what}: connecting: {e}"))?;
            let m = match w {
                Workload::Inflight | Workload::OneSlot => {
                    let get = |k: &Key| cluster.deferred().get::<Option<Vec<u8>>>(k);
                    run_coredis_inflight(s, wd, &what, &get, &data, 1, CONCURRENCY)
                }
                _ => run_blocking(s, wd, &what, &data, threads, w.sets(), || Ok(&cluster)),
            };
            wd.stage(format!("{what}: dropping the client"));
            drop(cluster);
            m
        }
    }
}

type Cell = common::cells::Cell<Workload, Client>;

/// Runs the throughput workloads; returns the report and whether every cell succeeded.
fn throughput(s: &Settings, wd: &'static Watchdog, workloads: &[Workload]) -> (String, bool) {
    eprintln!("starting a cluster of 3 primaries and 3 replicas");
    let started = Instant::now();
    let cluster = support::Cluster::start(3, 1);
    let urls: Vec<String> = cluster
        .addrs()
        .iter()
        .map(|a| format!("redis://{a}"))
        .collect();
    let owners = match SlotOwners::read(cluster.node(0).port()) {
        Ok(o) => o,
        Err(e) => {
            return (
                format!("\n### Problems\n\n- reading the slot map: {e}\n"),
                false,
            )
        }
    };
    eprintln!(
        "cluster up in {:.1} s: {} primaries",
        started.elapsed().as_secs_f64(),
        owners.shards().len()
    );
    let target = Target {
        _cluster: cluster,
        owners,
        urls,
    };
    let mut cells = cells(workloads, Workload::clients);
    run_cells(
        s,
        wd,
        workloads,
        &mut cells,
        Client::label,
        |w, c, run_id| run_one(s, wd, &target, w, c, run_id),
        |what, m| {
            eprintln!(
                "  {what:<72} {:>9.0} ops/s  p50 {:>7.1} µs  p99 {:>7.1} µs  \
                 {:>6.2} CPU µs/op  {:>5.2} switches/op",
                m.ops_per_sec(),
                m.percentile_us(0.50),
                m.percentile_us(0.99),
                m.cpu_us_per_op().unwrap_or(f64::NAN),
                m.switches_per_op()
            );
        },
    );
    let ok = cells.iter().all(|c| c.error.is_none());
    (report(s, &cells), ok)
}

fn report(s: &Settings, cells: &[Cell]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## coredis `RedisCluster` vs redis-rs cluster clients\n\n{} {} cluster of 3 \
         primaries + 3 replicas on 127.0.0.1, {} CPU(s), load average {} at the start, {} at \
         the end; {} s per measurement, median of {} run(s); CPU time at {} Hz ticks.\n",
        support::server_bin().display(),
        support::server_version(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        s.load_at_start,
        load_average(3),
        s.secs.as_secs_f64(),
        s.reps,
        clock_ticks()
    );
    let targets = [
        (Workload::Threads, Client::RsSync, 1.5),
        (Workload::Threads, Client::RsAsync, 0.8),
        (Workload::Inflight, Client::RsAsync, 1.5),
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
    out
}

// ---------------------------------------------------------------------------------------
// The cost mode: sockets, threads, memory and idle CPU of one client on 30 nodes
// ---------------------------------------------------------------------------------------

/// What the process holds at one moment.
#[derive(Clone, Debug)]
struct Held {
    /// File descriptors that are sockets (a socket shared by several descriptors, as with
    /// `try_clone`, counts once per descriptor).
    socket_fds: usize,
    /// Distinct sockets (inodes).
    sockets: usize,
    /// The remote port of every TCP connection, one entry per connection.
    tcp_peers: Vec<u16>,
    threads: usize,
    rss_kb: i64,
}

/// Inode → remote port of every TCP socket of the network namespace (IPv4 and IPv6).
fn tcp_remote_ports() -> BTreeMap<u64, u16> {
    let mut out = BTreeMap::new();
    for table in ["/proc/self/net/tcp", "/proc/self/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let port = f
                .get(2)
                .and_then(|r| r.rsplit_once(':'))
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            let inode = f.get(9).and_then(|i| i.parse::<u64>().ok());
            if let (Some(port), Some(inode)) = (port, inode) {
                out.insert(inode, port);
            }
        }
    }
    out
}

fn held() -> Held {
    let inodes: Vec<u64> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().into_owned();
                    l.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut distinct = inodes.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let remote = tcp_remote_ports();
    let mut tcp_peers: Vec<u16> = distinct
        .iter()
        .filter_map(|i| remote.get(i).copied())
        .collect();
    tcp_peers.sort_unstable();
    let threads = std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count);
    let rss_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(-1);
    Held {
        socket_fds: inodes.len(),
        sockets: distinct.len(),
        tcp_peers,
        threads,
        rss_kb,
    }
}

impl Held {
    /// TCP connections to the cluster's primaries and to its replicas.
    fn to_nodes(&self, owners: &SlotOwners) -> (usize, usize) {
        let shards = owners.shards();
        let primaries = self
            .tcp_peers
            .iter()
            .filter(|p| shards.contains_key(p))
            .count();
        let replicas = self
            .tcp_peers
            .iter()
            .filter(|p| shards.values().any(|r| r.contains(p)))
            .count();
        (primaries, replicas)
    }
}

/// The threads of the process other than the main one, the bench's watchdog and the
/// harness's process spawner (so: the client's): their names, summed CPU time (ns,
/// `/proc/.../schedstat`) and context switches.
struct ClientThreads {
    names: BTreeMap<String, usize>,
    cpu_ns: u64,
    switches: u64,
}

fn client_threads() -> ClientThreads {
    let mut out = ClientThreads {
        names: BTreeMap::new(),
        cpu_ns: 0,
        switches: 0,
    };
    let main = std::process::id().to_string();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for e in dir.flatten() {
        if e.file_name().to_string_lossy() == main {
            continue;
        }
        let p = e.path();
        let name = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
        let name = name
            .trim()
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ' || c == '.' || c == ':');
        // The bench's watchdog and the harness's process spawner are not the client's.
        if name == "bench-watchdog" || name.starts_with("coredis-test") {
            continue;
        }
        *out.names.entry(name.to_owned()).or_default() += 1;
        if let Some(ns) = std::fs::read_to_string(p.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        {
            out.cpu_ns += ns;
        }
        if let Ok(status) = std::fs::read_to_string(p.join("status")) {
            out.switches += switches_in(&status);
        }
    }
    out
}

/// One client of the cost mode: what it touched, and what it costs.
struct Cost {
    label: String,
    before: Held,
    after: Held,
    names: BTreeMap<String, usize>,
    idle_process_cpu: Option<Duration>,
    idle_threads_cpu: Duration,
    idle_switches: u64,
    dropped: Held,
}

/// Per primary: a key whose slot it serves (`{tag}` so that several keys share the slot).
fn tag_per_primary(owners: &SlotOwners) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    for &port in owners.shards().keys() {
        let tag = (0..100_000)
            .map(|i| format!("{{t{i}}}"))
            .find(|t| owners.owner(t.as_bytes()) == port)
            .unwrap_or_default();
        out.push((port, tag));
    }
    out
}

/// How a client of the cost mode touches the cluster: `SET` then `GET` of one key per primary
/// (checked), then `DBSIZE` (checked against `expect_keys`); with `reads`, also a `GET` of
/// the key `{tag}:p` written earlier.
trait Touch {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String>;
    fn get(&mut self, key: &str) -> Result<Option<String>, String>;
    fn dbsize(&mut self) -> Result<i64, String>;
}

impl Touch for RedisCluster {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        StringCommands::set(self, key, value).map_err(coredis_err)
    }
    fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        StringCommands::get(self, key).map_err(coredis_err)
    }
    fn dbsize(&mut self) -> Result<i64, String> {
        ServerCommands::dbsize(self).map_err(coredis_err)
    }
}

impl Touch for redis::cluster::ClusterConnection {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query::<()>(self)
            .map_err(redis_rs_err)
    }
    fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        redis::cmd("GET").arg(key).query(self).map_err(redis_rs_err)
    }
    fn dbsize(&mut self) -> Result<i64, String> {
        redis::cmd("DBSIZE").query(self).map_err(redis_rs_err)
    }
}

/// The async redis-rs cluster connection, driven from this thread.
struct RsAsyncTouch {
    rt: tokio::runtime::Runtime,
    con: redis::cluster_async::ClusterConnection,
}

impl Touch for RsAsyncTouch {
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        self.rt
            .block_on(
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .query_async::<()>(&mut self.con),
            )
            .map_err(redis_rs_err)
    }
    fn get(&mut self, key: &str) -> Result<Option<String>, String> {
        self.rt
            .block_on(redis::cmd("GET").arg(key).query_async(&mut self.con))
            .map_err(redis_rs_err)
    }
    fn dbsize(&mut self) -> Result<i64, String> {
        self.rt
            .block_on(redis::cmd("DBSIZE").query_async(&mut self.con))
            .map_err(redis_rs_err)
    }
}

/// What a client of the cost mode does on every shard.
struct Plan<'a> {
    /// Per primary, a hash tag of one of its slots.
    tags: &'a [(u16, String)],
    /// `SET {tag}:<suffix>` on every primary.
    suffix: &'a str,
    /// Then `GET` it back (not from replicas: they may not have it yet).
    read_back: bool,
    /// `GET {tag}:p`, written and replicated earlier (from a replica with `PreferReplica`).
    read_p: bool,
    /// What `DBSIZE` (summed over the primaries) must say at the end.
    expect_keys: i64,
}

/// Touches every primary through `client` as `plan` says, checking every reply.
fn touch(client: &mut dyn Touch, plan: &Plan<'_>) -> Result<(), String> {
    for (port, tag) in plan.tags {
        let key = format!("{tag}:{}", plan.suffix);
        let value = format!("{key}@{port}");
        client.set(&key, &value)?;
        if plan.read_back {
            let got = client.get(&key)?;
            if got.as_deref() != Some(value.as_str()) {
                return Err(format!("GET {key}: got {got:?}, expected {value:?}"));
            }
        }
        if plan.read_p {
            let p = format!("{tag}:p");
            let want = format!("{p}@{port}");
            let got = client.get(&p)?;
            if got.as_deref() != Some(want.as_str()) {
                return Err(format!("GET {p}: got {got:?}, expected {want:?}"));
            }
        }
    }
    let n = client.dbsize()?;
    if n != plan.expect_keys {
        return Err(format!("DBSIZE: {n}, expected {}", plan.expect_keys));
    }
    Ok(())
}

/// Measures one client: `make` creates it (and touches the cluster), then 5 s of idling, then
/// it is dropped.
fn measure_cost<C>(
    label: &str,
    wd: &Watchdog,
    make: impl FnOnce() -> Result<C, String>,
) -> Result<Cost, String> {
    eprintln!("  cost: {label}");
    wd.arm(IDLE + Duration::from_secs(30), format!("cost: {label}"));
    thread::sleep(Duration::from_millis(200));
    let before = held();
    let client = make().map_err(|e| format!("{label}: {e}"))?;
    // Let lazily opened connections finish their handshakes.
    thread::sleep(Duration::from_millis(200));
    let after = held();
    let t0 = client_threads();
    let cpu0 = process_cpu();
    thread::sleep(IDLE);
    let cpu1 = process_cpu();
    let t1 = client_threads();
    drop(client);
    thread::sleep(Duration::from_millis(500));
    let dropped = held();
    wd.disarm();
    Ok(Cost {
        label: label.to_owned(),
        before,
        after,
        names: t1.names,
        idle_process_cpu: cpu1.zip(cpu0).map(|(b, a)| b.saturating_sub(a)),
        idle_threads_cpu: Duration::from_nanos(t1.cpu_ns.saturating_sub(t0.cpu_ns)),
        idle_switches: t1.switches.saturating_sub(t0.switches),
        dropped,
    })
}

/// The cost mode: a cluster of 15 primaries and 15 replicas, one client at a time.
fn cost(wd: &'static Watchdog) -> (String, bool) {
    eprintln!(
        "cost: starting a cluster of {COST_PRIMARIES} primaries and {COST_PRIMARIES} replicas"
    );
    let started = Instant::now();
    let cluster = support::Cluster::start(COST_PRIMARIES, 1);
    let up = started.elapsed();
    let urls: Vec<String> = cluster
        .addrs()
        .iter()
        .map(|a| format!("redis://{a}"))
        .collect();
    let mut problems = Vec::new();
    let owners = match SlotOwners::read(cluster.node(0).port()) {
        Ok(o) => o,
        Err(e) => return (format!("\n### Problems\n\n- cost: {e}\n"), false),
    };
    let tags = tag_per_primary(&owners);
    eprintln!(
        "cost: cluster up in {:.1} s, {} primaries, {} nodes",
        up.as_secs_f64(),
        tags.len(),
        cluster.len()
    );
    let n = tags.len() as i64;
    let mut costs = Vec::new();
    // 1. Primaries only: writes `{tag}:p` (read back by the replica client below).
    match measure_cost("coredis `RedisCluster`, `ReadFrom::Primary`", wd, || {
        let mut c = coredis_client(&urls[..1], ReadFrom::Primary)?;
        touch(
            &mut c,
            &Plan {
                tags: &tags,
                suffix: "p",
                read_back: true,
                read_p: false,
                expect_keys: n,
            },
        )?;
        Ok(c)
    }) {
        Ok(c) => costs.push(c),
        Err(e) => problems.push(e),
    }
    // The replicas must have `{tag}:p` before reads go to them.
    if let Err(e) = wait_replicated(&owners, n) {
        problems.push(e);
    }
    // 2. Reads from replicas: `{tag}:p` from a replica of every shard.
    match measure_cost(
        "coredis `RedisCluster`, `ReadFrom::PreferReplica`",
        wd,
        || {
            let mut c = coredis_client(&urls[..1], ReadFrom::PreferReplica)?;
            touch(
                &mut c,
                &Plan {
                    tags: &tags,
                    suffix: "r",
                    read_back: false,
                    read_p: true,
                    expect_keys: 2 * n,
                },
            )?;
            Ok(c)
        },
    ) {
        Ok(c) => costs.push(c),
        Err(e) => problems.push(e),
    }
    // 3, 4. redis-rs, for reference (primaries only).
    match measure_cost("redis-rs sync `ClusterConnection`", wd, || {
        let client =
            redis::cluster::ClusterClient::new(urls[..1].to_vec()).map_err(redis_rs_err)?;
        let mut c = client.get_connection().map_err(redis_rs_err)?;
        touch(
            &mut c,
            &Plan {
                tags: &tags,
                suffix: "s",
                read_back: true,
                read_p: true,
                expect_keys: 3 * n,
            },
        )?;
        Ok(c)
    }) {
        Ok(c) => costs.push(c),
        Err(e) => problems.push(e),
    }
    match measure_cost(
        "redis-rs async `ClusterConnection` (2-worker tokio runtime)",
        wd,
        || {
            let rt = runtime("cost")?;
            let client =
                redis::cluster::ClusterClient::new(urls[..1].to_vec()).map_err(redis_rs_err)?;
            let con = rt
                .block_on(client.get_async_connection())
                .map_err(redis_rs_err)?;
            let mut c = RsAsyncTouch { rt, con };
            touch(
                &mut c,
                &Plan {
                    tags: &tags,
                    suffix: "a",
                    read_back: true,
                    read_p: true,
                    expect_keys: 4 * n,
                },
            )?;
            Ok(c)
        },
    ) {
        Ok(c) => costs.push(c),
        Err(e) => problems.push(e),
    }
    drop(cluster);
    (
        cost_report(&costs, &problems, &owners, up),
        problems.is_empty(),
    )
}

/// Waits until every replica holds as many keys as its primary.
fn wait_replicated(owners: &SlotOwners, expect_total: i64) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let dbsize = |port: u16| -> Result<i64, String> {
        match raw_conn(port)?.call(&["DBSIZE"]) {
            Ok(Reply::Text(t)) => t.parse().map_err(|e| format!("DBSIZE {t:?}: {e}")),
            other => Err(format!("DBSIZE on 127.0.0.1:{port}: {other:?}")),
        }
    };
    loop {
        let mut total = 0;
        let mut behind = Vec::new();
        for (primary, replicas) in owners.shards() {
            let want = dbsize(primary)?;
            total += want;
            for r in replicas {
                if dbsize(r)? != want {
                    behind.push(r);
                }
            }
        }
        if behind.is_empty() && total == expect_total {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "replication: replicas {behind:?} behind their primaries ({total} keys of \
                 {expect_total})"
            ));
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn cost_report(costs: &[Cost], problems: &[String], owners: &SlotOwners, up: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## What a cluster client costs: {COST_PRIMARIES} primaries + {COST_PRIMARIES} \
         replicas\n\n{} {} on 127.0.0.1 (the cluster took {:.1} s to form), {} CPU(s), load \
         average {}. Each client is created with one startup node, then writes and reads one \
         key per primary and asks `DBSIZE` (every primary); the PreferReplica client and the \
         redis-rs ones also read a key of every shard written earlier (PreferReplica: from \
         a replica). Then {} s of idling. Δ = after touching − before creating.\n",
        support::server_bin().display(),
        support::server_version(),
        up.as_secs_f64(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(3),
        IDLE.as_secs(),
    );
    let _ = writeln!(
        out,
        "| client | Δ socket fds (distinct sockets) | TCP to primaries / replicas | \
         threads before → after | Δ RSS | idle CPU, process | idle CPU, client threads | \
         client threads' wake-ups in idle | after drop: Δ socket fds, Δ threads |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for c in costs {
        let (p0, r0) = c.before.to_nodes(owners);
        let (p1, r1) = c.after.to_nodes(owners);
        let _ = writeln!(
            out,
            "| {} | {:+} ({:+}) | {} / {} | {} → {} | {:+} KiB | {} | {:.2} ms | {} | {:+}, {:+} |",
            c.label,
            c.after.socket_fds as i64 - c.before.socket_fds as i64,
            c.after.sockets as i64 - c.before.sockets as i64,
            p1 - p0.min(p1),
            r1 - r0.min(r1),
            c.before.threads,
            c.after.threads,
            c.after.rss_kb - c.before.rss_kb,
            c.idle_process_cpu
                .map_or_else(|| "n/a".to_owned(), |d| format!("{} ms", d.as_millis())),
            c.idle_threads_cpu.as_secs_f64() * 1e3,
            c.idle_switches,
            c.dropped.socket_fds as i64 - c.before.socket_fds as i64,
            c.dropped.threads as i64 - c.before.threads as i64,
        );
    }
    let _ = writeln!(
        out,
        "\nidle CPU, process: `utime + stime` at {} Hz ticks (so 0 or 10 ms steps; includes \
         the bench's watchdog, which wakes every 100 ms); client threads: every thread but \
         the main one, the watchdog and the harness's process spawner, `schedstat` \
         nanoseconds, and their voluntary + involuntary context switches. Δ RSS means \
         something only when `cost` runs alone: after other runs in the same process, freed \
         memory is reused.\n",
        clock_ticks()
    );
    for c in costs {
        let names: Vec<String> = c.names.iter().map(|(n, k)| format!("{n} ×{k}")).collect();
        let _ = writeln!(
            out,
            "- {}: the client's threads: {}",
            c.label,
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        );
    }
    if !problems.is_empty() {
        let _ = writeln!(out, "\n### Problems (cost)\n");
        for p in problems {
            let _ = writeln!(out, "- {p}");
        }
    }
    out
}

fn main() {
    let s = Settings::from_env_and_args(&WORKLOADS, load_average(3), true);
    let workloads = s.selected(&WORKLOADS);
    let wd = Watchdog::start();
    s.announce("coredis cluster bench");
    let mut ok = true;
    let mut out = String::new();
    let runs: Vec<Workload> = workloads
        .iter()
        .copied()
        .filter(|w| *w != Workload::Cost)
        .collect();
    if !runs.is_empty() {
        let (report, good) = throughput(&s, wd, &runs);
        out.push_str(&report);
        ok &= good;
    }
    if workloads.contains(&Workload::Cost) {
        let (report, good) = cost(wd);
        out.push_str(&report);
        ok &= good;
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
    if !ok {
        std::process::exit(1);
    }
}
