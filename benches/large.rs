//! Large replies: coredis against redis-rs on replies of one and four megabytes, on the same
//! throw-away server.
//!
//! # What it measures
//!
//! One `redis-server` is started with the test harness (the `coredis-test-support` crate); its
//! binary is `$COREDIS_SERVER_BIN`, else `/usr/bin/redis-server`, else `redis-server` on
//! `PATH`. Before every run the workload's data is loaded afresh over the harness's raw
//! connection (neither client), naming the run, so a reply from another run or key is caught:
//!
//! | workload   | data                                                     | one operation          |
//! |------------|----------------------------------------------------------|------------------------|
//! | `lrange`   | a list of 10,000 elements of 100 bytes (1,000,000 bytes) | `LRANGE key 0 -1`      |
//! | `get-4mib` | one value of 4 MiB (4,194,304 bytes)                     | `GET key`              |
//!
//! Element `i` of the list is `i000123:r000045:` (its index, then the run) followed by letters
//! that depend on `i` up to 100 bytes. The 4 MiB value starts with a header naming the run
//! (`r000045:4MiB:`), continues with letters that depend on the offset, and ends with
//! `:end-r000045` (and a newline). Each `LRANGE` reply must have 10,000 elements, each of 100
//! bytes, and its first, last and one random element must be exactly right. Each `GET` reply
//! must be 4 MiB long with the right header and tail (so the last byte), and four random
//! bytes must be right. These checks are cheap next to the replies (a few hundred bytes
//! compared, 10,000 lengths read) and the same for every client. Any error, wrong reply or
//! panic fails the (workload, client) cell and is reported in detail; the process then exits
//! with 1. A run that does not finish within 30 s of its planned end is reported as a hang
//! and the process exits with 2.
//!
//! The clients, each one thread (or one task) calling in a loop, one command at a time:
//!
//! - redis-rs sync `Connection` (the baseline): `redis::cmd(…).query::<Vec<Vec<u8>>>` for
//!   `LRANGE`, `query::<Option<Vec<u8>>>` for `GET` — redis-rs moves its parsed bulk strings
//!   into these types, so they are its cheapest byte replies;
//! - redis-rs async `MultiplexedConnection`, one tokio task looping on a multi-thread runtime
//!   with 2 workers, same reply types (its response timeout raised from redis-rs' default of
//!   0.5 s to coredis' 10 s, so a slow smoke run cannot fail on it);
//! - coredis `Redis`: `r.lrange::<Bytes>(key, 0, -1)` (a `Vec<bytes::Bytes>`) and
//!   `r.get::<Option<Bytes>>(key)`. coredis copies a reply out of its read buffer once and
//!   hands out bulk strings as `Bytes` slices of that copy, so `Bytes` is its cheapest correct
//!   type: `Vec<u8>` copies each element again, an allocation each (`Vec<Vec<u8>>` for
//!   `LRANGE` measured about 30 % fewer ops/s and 65 % more client CPU per op than
//!   `Vec<Bytes>` on the 2-core VM: 1,100 against 670 µs/op), and `Option<Vec<u8>>` for the
//!   4 MiB `GET` would add one more 4 MiB copy.
//!
//! - fred 10, one client (its one auto-pipelined connection, default settings), one task on
//!   the same kind of runtime, replies as `Vec<Bytes>` and `Option<Bytes>` (fred's cheapest
//!   byte replies, slices of what it read, as coredis').
//!
//! Each run: connect, load, warm up for 0.3 s, measure for `COREDIS_BENCH_SECS`. Per run:
//! **ops/s** (operations started and completed in the window ÷ its length), **p50 / p99 µs**
//! (around each call: send to the converted reply, before the checks), **client CPU µs/op**
//! (user + system CPU time of this whole process over the window from `/proc/self/stat`, ÷
//! ops: it covers the checks, the same for every client, and the clients' background threads;
//! the server is another process), **server CPU µs/op** (the same for the `redis-server`
//! process, from `/proc/<pid>/stat`; it includes the kernel's work of sending over loopback,
//! and often part of the receiving side's, which runs in the sender's context: when it comes
//! close to the wall time per operation, the single-threaded server is the bottleneck, not
//! the client), and **MB/s**: ops/s × the payload of one reply (the elements' or the value's
//! bytes, without the RESP framing), in 10^6 bytes. Runs are interleaved: per workload and
//! repetition, redis-rs sync, redis-rs async, fred, coredis. Each cell reports the repetition with
//! the median ops/s. **ratio** is coredis ops/s ÷ redis-rs sync ops/s.
//!
//! # TLS
//!
//! With `COREDIS_BENCH_TLS=1` the server gets a TLS port and certificates made for the run,
//! and every client connects over TLS, verifying the server's certificate against the test CA
//! (`common/transport.rs` decides each client's URL and settings, as for `compare.rs`); the
//! loading still uses the plain port. The table's header says `TLS`. A server binary without
//! TLS support prints `SKIPPED` and exits with 0.
//!
//! # Running
//!
//! ```text
//! cargo bench --bench large                       # both workloads, about 45 s on 2 cores
//! cargo bench --bench large -- lrange             # only workloads whose name contains this
//! COREDIS_BENCH_SECS=0.5 COREDIS_BENCH_REPS=1 cargo bench --bench large   # quick look
//! COREDIS_BENCH_TLS=1 cargo bench --bench large   # over TLS
//! ```
//!
//! - `COREDIS_BENCH_SECS`: seconds per measurement (default 2; fractions allowed);
//! - `COREDIS_BENCH_REPS`: repetitions of every (workload, client) run (default 3);
//! - `COREDIS_SERVER_BIN`: the server binary;
//! - `COREDIS_BENCH_TLS=1`: over TLS (above).
//!
//! The Markdown table and the targets go to stdout (ready to paste); progress goes to stderr.
//! Without `--bench` (as under `cargo test --benches`) every run is a 0.05 s smoke test, once,
//! unless `COREDIS_BENCH_SECS` / `COREDIS_BENCH_REPS` say otherwise. Other libtest flags are
//! ignored; `--list` lists the workloads.

mod common;

use common::cells::{cells, finish, progress, run_cells, write_results_with, Column};
use common::data::{show, Rng};
use common::run::{
    collect, drive, join, Ctl, DoneGuard, Measurement, Stats, Watchdog, SERVER_PID, STOPPED,
};
use common::settings::{Named, Settings};
use common::transport::Target;
use common::workers::{coredis_err, fred_connect, fred_err, redis_rs_err, runtime, Fred};
use common::{clock_ticks, load_average};
use coredis_test_support as support;

use std::fmt::Write as _;
use std::future::Future;
use std::io::Write as _;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use coredis::prelude::*;

/// Elements of the `lrange` list.
const LIST_LEN: usize = 10_000;
/// Bytes of each element.
const ELEM_LEN: usize = 100;
/// Bytes of the `get-4mib` value.
const BLOB_LEN: usize = 4 << 20;
/// Random bytes of the value checked per `GET`, besides its header and tail.
const BLOB_PROBES: usize = 4;

const LIST_KEY: &str = "large:list";
const BLOB_KEY: &str = "large:blob";

// ---------------------------------------------------------------------------------------
// Workloads, clients
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Workload {
    Lrange,
    Get4Mib,
}

const WORKLOADS: [Workload; 2] = [Workload::Lrange, Workload::Get4Mib];

impl Named for Workload {
    fn name(self) -> String {
        match self {
            Workload::Lrange => "lrange".to_owned(),
            Workload::Get4Mib => "get-4mib".to_owned(),
        }
    }
}

impl Workload {
    /// The clients compared, in run order: redis-rs sync first (the baseline), coredis last.
    fn clients(self) -> Vec<Client> {
        vec![
            Client::RsSync,
            Client::RsAsync,
            Client::Fred,
            Client::Coredis,
        ]
    }

    /// The payload of one reply: the elements' or the value's bytes, without RESP framing.
    fn payload(self) -> usize {
        match self {
            Workload::Lrange => LIST_LEN * ELEM_LEN,
            Workload::Get4Mib => BLOB_LEN,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Client {
    RsSync,
    RsAsync,
    /// fred: one client, one task.
    Fred,
    Coredis,
}

impl Client {
    fn label(self, w: Workload) -> String {
        match (self, w) {
            (Client::RsSync, _) => "redis-rs sync `Connection`".to_owned(),
            (Client::RsAsync, _) => "redis-rs async multiplexed, 1 task".to_owned(),
            (Client::Fred, _) => "fred, 1 task, `Bytes`".to_owned(),
            (Client::Coredis, Workload::Lrange) => "coredis `Redis`, `Vec<Bytes>`".to_owned(),
            (Client::Coredis, Workload::Get4Mib) => "coredis `Redis`, `Bytes`".to_owned(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Data and checks
// ---------------------------------------------------------------------------------------

/// The data of one run: list elements and a value that name the run.
struct Data {
    id: u32,
}

impl Data {
    /// Element `i`: `i000123:r000045:` then letters depending on `i`, 100 bytes in all.
    fn element(&self, i: usize) -> [u8; ELEM_LEN] {
        let mut e = [0u8; ELEM_LEN];
        let mut out = &mut e[..];
        // 16 bytes for i < 10^6, run < 10^6.
        let _ = write!(out, "i{i:06}:r{:06}:", self.id);
        let head = ELEM_LEN - out.len();
        for (j, b) in e.iter_mut().enumerate().skip(head) {
            *b = b'a' + ((i + j) % 26) as u8;
        }
        e
    }

    /// The header of the value (at its start).
    fn blob_head(&self) -> String {
        format!("r{:06}:4MiB:", self.id)
    }

    /// The tail of the value (at its end; its last byte is a newline).
    fn blob_tail(&self) -> String {
        format!(":end-r{:06}\n", self.id)
    }

    /// The byte at `offset` of the value, between its header and tail.
    fn blob_byte(&self, offset: usize) -> u8 {
        b'a' + ((offset * 7 + self.id as usize) % 26) as u8
    }

    fn blob(&self) -> Vec<u8> {
        let mut v: Vec<u8> = (0..BLOB_LEN).map(|o| self.blob_byte(o)).collect();
        let head = self.blob_head();
        let tail = self.blob_tail();
        v[..head.len()].copy_from_slice(head.as_bytes());
        v[BLOB_LEN - tail.len()..].copy_from_slice(tail.as_bytes());
        v
    }

    /// Loads the workload's data afresh through the harness's raw connection (plain port).
    fn load(&self, server: &support::Server, w: Workload) -> Result<(), String> {
        match w {
            Workload::Lrange => {
                let del = server.command(&["DEL", LIST_KEY]);
                if del != "0" && del != "1" {
                    return Err(format!("loading: DEL {LIST_KEY} failed: {del}"));
                }
                let elements: Vec<[u8; ELEM_LEN]> =
                    (0..LIST_LEN).map(|i| self.element(i)).collect();
                let mut args: Vec<&str> = Vec::with_capacity(2 + LIST_LEN);
                args.extend(["RPUSH", LIST_KEY]);
                for e in &elements {
                    args.push(std::str::from_utf8(e).map_err(|e| e.to_string())?);
                }
                let pushed = server.command(&args);
                if pushed != LIST_LEN.to_string() {
                    return Err(format!(
                        "loading: RPUSH {LIST_KEY} (10,000 elements) returned {pushed:?}, \
                         expected {LIST_LEN}"
                    ));
                }
            }
            Workload::Get4Mib => {
                let blob = self.blob();
                let text = std::str::from_utf8(&blob).map_err(|e| e.to_string())?;
                let set = server.command(&["SET", BLOB_KEY, text]);
                if set != "OK" {
                    return Err(format!("loading: SET {BLOB_KEY} (4 MiB) failed: {set}"));
                }
            }
        }
        Ok(())
    }

    /// Checks an `LRANGE key 0 -1` reply: 10,000 elements of 100 bytes, and the first, the
    /// last and one random element exactly.
    fn check_list<E: AsRef<[u8]>>(
        &self,
        what: &str,
        got: &[E],
        rng: &mut Rng,
    ) -> Result<(), String> {
        let wrong =
            |detail: String| format!("{what}: WRONG REPLY to LRANGE {LIST_KEY} 0 -1: {detail}");
        if got.len() != LIST_LEN {
            return Err(wrong(format!(
                "{} elements, expected {LIST_LEN}",
                got.len()
            )));
        }
        if let Some(i) = got.iter().position(|e| e.as_ref().len() != ELEM_LEN) {
            return Err(wrong(format!(
                "element {i} is {}, expected {} bytes",
                show(got[i].as_ref()),
                ELEM_LEN
            )));
        }
        for i in [0, LIST_LEN - 1, rng.below(LIST_LEN)] {
            let expected = self.element(i);
            if got[i].as_ref() != expected {
                return Err(wrong(format!(
                    "element {i} is {}, expected {}",
                    show(got[i].as_ref()),
                    show(&expected)
                )));
            }
        }
        Ok(())
    }

    /// Checks a `GET` reply: 4 MiB, the header, the tail (so the last byte) and a few random
    /// bytes.
    fn check_blob(&self, what: &str, got: Option<&[u8]>, rng: &mut Rng) -> Result<(), String> {
        let wrong = |detail: String| format!("{what}: WRONG REPLY to GET {BLOB_KEY}: {detail}");
        let Some(v) = got else {
            return Err(wrong("nil".to_owned()));
        };
        let excerpt = |from: usize| show(&v[from.min(v.len())..(from + 32).min(v.len())]);
        if v.len() != BLOB_LEN {
            return Err(wrong(format!(
                "{} bytes, expected {BLOB_LEN}; it starts with {}",
                v.len(),
                excerpt(0)
            )));
        }
        let (head, tail) = (self.blob_head(), self.blob_tail());
        if !v.starts_with(head.as_bytes()) {
            return Err(wrong(format!(
                "it starts with {}, expected {head:?}",
                excerpt(0)
            )));
        }
        if !v.ends_with(tail.as_bytes()) {
            return Err(wrong(format!(
                "it ends with {}, expected {tail:?}",
                excerpt(BLOB_LEN - tail.len())
            )));
        }
        for _ in 0..BLOB_PROBES {
            let o = head.len() + rng.below(BLOB_LEN - head.len() - tail.len());
            if v[o] != self.blob_byte(o) {
                return Err(wrong(format!(
                    "byte {o} is {:?}, expected {:?}; from there: {}",
                    v[o] as char,
                    self.blob_byte(o) as char,
                    excerpt(o)
                )));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Workers
// ---------------------------------------------------------------------------------------

/// A blocking client as the workloads call it, with its cheapest byte reply types.
trait Blocking {
    type Elem: AsRef<[u8]>;
    type Blob: AsRef<[u8]>;
    fn lrange_all(&mut self, key: &str) -> Result<Vec<Self::Elem>, String>;
    fn get_blob(&mut self, key: &str) -> Result<Option<Self::Blob>, String>;
}

impl Blocking for redis::Connection {
    type Elem = Vec<u8>;
    type Blob = Vec<u8>;

    fn lrange_all(&mut self, key: &str) -> Result<Vec<Vec<u8>>, String> {
        redis::cmd("LRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .query(self)
            .map_err(redis_rs_err)
    }

    fn get_blob(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        redis::cmd("GET").arg(key).query(self).map_err(redis_rs_err)
    }
}

impl Blocking for &coredis::Redis {
    type Elem = Bytes;
    type Blob = Bytes;

    fn lrange_all(&mut self, key: &str) -> Result<Vec<Bytes>, String> {
        self.lrange::<Bytes>(key, 0, -1).map_err(coredis_err)
    }

    fn get_blob(&mut self, key: &str) -> Result<Option<Bytes>, String> {
        self.get::<Option<Bytes>>(key).map_err(coredis_err)
    }
}

/// One worker's state: what it counted, its random numbers, its replies so far.
struct Worker<'a> {
    what: String,
    w: Workload,
    data: &'a Data,
    rng: Rng,
    replies: u64,
    stats: Stats,
}

impl<'a> Worker<'a> {
    fn new(what: &str, w: Workload, data: &'a Data) -> Worker<'a> {
        Worker {
            what: what.to_owned(),
            w,
            data,
            rng: Rng::new(u64::from(data.id) ^ 0x1A26_E000),
            replies: 0,
            stats: Stats {
                ops: 0,
                lat_ns: Vec::with_capacity(1 << 12),
            },
        }
    }

    /// Counts a reply started at `started` in `phase`, and names it for the checks.
    fn record(&mut self, phase: u8, started: Instant) -> String {
        self.stats.record(phase, started);
        self.replies += 1;
        format!("{} (reply #{} of this run)", self.what, self.replies)
    }

    fn fail(&self, err: String) -> String {
        let cmd = match self.w {
            Workload::Lrange => format!("LRANGE {LIST_KEY} 0 -1"),
            Workload::Get4Mib => format!("GET {BLOB_KEY}"),
        };
        format!(
            "{}: {cmd} (reply #{} of this run) failed: {err}",
            self.what,
            self.replies + 1
        )
    }
}

/// One thread calling `client` in a loop.
fn run_blocking<K: Blocking + Send>(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    w: Workload,
    data: &Data,
    mut client: K,
) -> Result<Measurement, String> {
    let ctl = Ctl::new();
    thread::scope(|scope| {
        let ctl = &ctl;
        let h = scope.spawn(move || {
            let _done = DoneGuard(ctl);
            let r = blocking_worker(ctl, Worker::new(what, w, data), &mut client);
            if r.is_err() {
                ctl.failed.store(true, Ordering::Release);
            }
            r
        });
        let window = drive(ctl, 1, s, wd, what);
        let results = vec![join(what, h)];
        Ok(Measurement::new(window, collect(results)?))
    })
}

fn blocking_worker<K: Blocking>(
    ctl: &Ctl,
    mut wk: Worker<'_>,
    client: &mut K,
) -> Result<Stats, String> {
    ctl.ready.fetch_add(1, Ordering::AcqRel);
    loop {
        let phase = ctl.phase();
        if phase == STOPPED {
            return Ok(wk.stats);
        }
        let started = Instant::now();
        match wk.w {
            Workload::Lrange => {
                let got = client.lrange_all(LIST_KEY).map_err(|e| wk.fail(e))?;
                let what = wk.record(phase, started);
                wk.data.check_list(&what, &got, &mut wk.rng)?;
            }
            Workload::Get4Mib => {
                let got = client.get_blob(BLOB_KEY).map_err(|e| wk.fail(e))?;
                let what = wk.record(phase, started);
                let got = got.as_ref().map(AsRef::as_ref);
                wk.data.check_blob(&what, got, &mut wk.rng)?;
            }
        }
    }
}

/// What [`Blocking`] is for the async clients: one task calling in a loop.
trait AsyncLarge: Send + 'static {
    type Elem: AsRef<[u8]> + Send;
    type Blob: AsRef<[u8]> + Send;
    fn lrange_all(
        &mut self,
        key: &'static str,
    ) -> impl Future<Output = Result<Vec<Self::Elem>, String>> + Send;
    fn get_blob(
        &mut self,
        key: &'static str,
    ) -> impl Future<Output = Result<Option<Self::Blob>, String>> + Send;
}

impl AsyncLarge for redis::aio::MultiplexedConnection {
    type Elem = Vec<u8>;
    type Blob = Vec<u8>;

    async fn lrange_all(&mut self, key: &'static str) -> Result<Vec<Vec<u8>>, String> {
        redis::cmd("LRANGE")
            .arg(key)
            .arg(0)
            .arg(-1)
            .query_async(self)
            .await
            .map_err(redis_rs_err)
    }

    async fn get_blob(&mut self, key: &'static str) -> Result<Option<Vec<u8>>, String> {
        redis::cmd("GET")
            .arg(key)
            .query_async(self)
            .await
            .map_err(redis_rs_err)
    }
}

/// fred's cheapest byte replies are `Bytes` (slices of what it read), as coredis'.
impl AsyncLarge for Fred {
    type Elem = Bytes;
    type Blob = Bytes;

    async fn lrange_all(&mut self, key: &'static str) -> Result<Vec<Bytes>, String> {
        use fred::interfaces::ListInterface as _;
        self.0.lrange(key, 0, -1).await.map_err(fred_err)
    }

    async fn get_blob(&mut self, key: &'static str) -> Result<Option<Bytes>, String> {
        use fred::interfaces::KeysInterface as _;
        self.0.get(key).await.map_err(fred_err)
    }
}

/// One tokio task calling `con` in a loop, on `rt` (2 worker threads).
fn run_async<C: AsyncLarge>(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    rt: tokio::runtime::Runtime,
    con: C,
    w: Workload,
    data: Arc<Data>,
) -> Result<Measurement, String> {
    let ctl = Arc::new(Ctl::new());
    let task = {
        let (ctl, what) = (ctl.clone(), what.to_owned());
        rt.spawn(async move {
            let _done = DoneGuard(&ctl);
            let r = async_worker(&ctl, Worker::new(&what, w, &data), con).await;
            if r.is_err() {
                ctl.failed.store(true, Ordering::Release);
            }
            r
        })
    };
    let window = drive(&ctl, 1, s, wd, what);
    let result = rt
        .block_on(task)
        .unwrap_or_else(|e| Err(format!("{what}: task failed: {e}")));
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(Measurement::new(window, collect(vec![result])?))
}

/// An async client, `c`, on a runtime of its own: redis-rs' `MultiplexedConnection` (response
/// timeout raised to 10 s) or a fred client (its default settings).
fn run_async_client(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    target: &Target,
    (w, c): (Workload, Client),
    data: Arc<Data>,
) -> Result<Measurement, String> {
    let rt = runtime(what)?;
    if c == Client::Fred {
        let client = target.fred().map_err(|e| format!("{what}: {e}"))?;
        let con = fred_connect(&rt, client).map_err(|e| format!("{what}: connecting: {e}"))?;
        return run_async(s, wd, what, rt, con, w, data);
    }
    let client = target
        .redis_rs()
        .map_err(|e| format!("{what}: {}", redis_rs_err(e)))?;
    let config =
        redis::AsyncConnectionConfig::new().set_response_timeout(Some(Duration::from_secs(10)));
    let con = rt
        .block_on(client.get_multiplexed_async_connection_with_config(&config))
        .map_err(|e| format!("{what}: connecting: {}", redis_rs_err(e)))?;
    run_async(s, wd, what, rt, con, w, data)
}

async fn async_worker<C: AsyncLarge>(
    ctl: &Ctl,
    mut wk: Worker<'_>,
    mut con: C,
) -> Result<Stats, String> {
    ctl.ready.fetch_add(1, Ordering::AcqRel);
    loop {
        let phase = ctl.phase();
        if phase == STOPPED {
            return Ok(wk.stats);
        }
        let started = Instant::now();
        match wk.w {
            Workload::Lrange => {
                let got = con.lrange_all(LIST_KEY).await.map_err(|e| wk.fail(e))?;
                let what = wk.record(phase, started);
                wk.data.check_list(&what, &got, &mut wk.rng)?;
            }
            Workload::Get4Mib => {
                let got = con.get_blob(BLOB_KEY).await.map_err(|e| wk.fail(e))?;
                let what = wk.record(phase, started);
                let got = got.as_ref().map(AsRef::as_ref);
                wk.data.check_blob(&what, got, &mut wk.rng)?;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Orchestration and report
// ---------------------------------------------------------------------------------------

/// One (workload, client) run, with freshly loaded data and a fresh connection.
fn run_one(
    s: &Settings,
    wd: &Watchdog,
    target: &Target,
    w: Workload,
    c: Client,
    run_id: u32,
) -> Result<Measurement, String> {
    let what = format!("{} / {}", w.name(), c.label(w));
    let data = Arc::new(Data { id: run_id });
    wd.stage(format!("{what}: loading"));
    data.load(&target.server, w)
        .map_err(|e| format!("{what}: {e}"))?;
    wd.stage(format!("{what}: connecting"));
    match c {
        Client::RsSync => {
            let con = target
                .redis_rs()
                .and_then(|c| c.get_connection())
                .map_err(|e| format!("{what}: connecting: {}", redis_rs_err(e)))?;
            run_blocking(s, wd, &what, w, &data, con)
        }
        Client::RsAsync | Client::Fred => run_async_client(s, wd, &what, target, (w, c), data),
        Client::Coredis => {
            let r = target
                .coredis()
                .map_err(|e| format!("{what}: connecting: {}", coredis_err(e)))?;
            let m = run_blocking(s, wd, &what, w, &data, &r);
            wd.stage(format!("{what}: dropping the client"));
            drop(r);
            m
        }
    }
}

fn main() {
    let s = Settings::from_env_and_args(&WORKLOADS, load_average(1), false);
    let workloads = s.selected(&WORKLOADS);
    let wd = Watchdog::start();
    let target = Target::start("large");
    SERVER_PID.store(target.server.pid(), Ordering::Relaxed);
    s.announce(&format!(
        "coredis large-reply bench over {}",
        target.transport.name()
    ));
    let version = support::server_version();

    let mut cells = cells(&workloads, Workload::clients);
    run_cells(
        &s,
        wd,
        &workloads,
        &mut cells,
        Client::label,
        |w, c, run_id| run_one(&s, wd, &target, w, c, run_id),
        progress,
    );
    finish(&report(&s, &target, &version, &cells), &cells);
}

type Cell = common::cells::Cell<Workload, Client>;

fn report(s: &Settings, target: &Target, version: &str, cells: &[Cell]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## Large replies: coredis vs redis-rs and fred, {}\n\n{} {version} on 127.0.0.1 over {}, {} \
         CPU(s), load average {} at the start; {} s per measurement, median of {} run(s); CPU \
         time at {} Hz ticks. `lrange`: `LRANGE` of 10,000 elements of 100 bytes; `get-4mib`: \
         `GET` of a 4 MiB value; one caller each.\n",
        target.transport.name(),
        support::server_bin().display(),
        target.describe(),
        thread::available_parallelism().map_or(0, |n| n.get()),
        s.load_at_start,
        s.secs.as_secs_f64(),
        s.reps,
        clock_ticks()
    );
    let targets = [
        (Workload::Lrange, Client::RsSync, 2.0),
        (Workload::Get4Mib, Client::RsSync, 1.3),
    ];
    let mb_per_sec =
        |w: Workload, m: &Measurement| format!("{:.0}", m.ops_per_sec() * w.payload() as f64 / 1e6);
    let server_cpu = |_: Workload, m: &Measurement| {
        m.server_cpu_us_per_op()
            .map_or_else(|| "n/a".to_owned(), |c| format!("{c:.0}"))
    };
    write_results_with(
        &mut out,
        s,
        cells,
        |w| w.clients()[0],
        Client::Coredis,
        Client::label,
        &targets,
        &[
            Column {
                head: "server CPU µs/op",
                cell: &server_cpu,
            },
            Column {
                head: "MB/s",
                cell: &mb_per_sec,
            },
        ],
    );
    out
}
