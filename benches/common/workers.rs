//! The `GET`/`SET` workers and the runs that drive them: blocking threads, redis-rs async
//! tasks, and one coredis thread keeping deferred `GET`s in flight.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use coredis::prelude::*;

use super::data::{check_value, make_value, show, Key, Rng, RunData, Val, KEYS};
use super::run::{collect, drive, join, Ctl, DoneGuard, Measurement, Stats, Watchdog, STOPPED};
use super::settings::Settings;

/// The next operation of a worker.
pub enum Op {
    Get,
    Set(Val),
}

/// An operation under way: what [`Worker::start_op`] picked.
pub struct Pending {
    phase: u8,
    started: Instant,
    slot: usize,
    op: Op,
}

/// One worker of a `GET`/`SET` workload: owns the keys `k % workers == id` and knows the value
/// each of them must hold.
pub struct Worker {
    pub what: String,
    id: usize,
    data: Arc<RunData>,
    rng: Rng,
    own: Vec<usize>,
    expected: Vec<Val>,
    sets: bool,
    seq: u64,
    pub stats: Stats,
}

impl Worker {
    pub fn new(what: &str, id: usize, workers: usize, data: Arc<RunData>, sets: bool) -> Worker {
        let own: Vec<usize> = (id..KEYS).step_by(workers).collect();
        let expected = own.iter().map(|&k| data.preload[k]).collect();
        Worker {
            what: format!("{what}, worker {id}"),
            id,
            rng: Rng::new((u64::from(data.id) << 16) ^ id as u64 ^ 0xC0DE),
            data,
            own,
            expected,
            sets,
            seq: 0,
            stats: Stats {
                ops: 0,
                lat_ns: Vec::with_capacity(1 << 14),
            },
        }
    }

    /// Picks the next key (as an index into the worker's own keys) and operation.
    pub fn next(&mut self) -> (usize, Op) {
        let slot = self.rng.below(self.own.len());
        if self.sets && self.rng.next() & 1 == 1 {
            self.seq += 1;
            let v = make_value(self.data.id, self.own[slot], self.id as u32, self.seq);
            (slot, Op::Set(v))
        } else {
            (slot, Op::Get)
        }
    }

    /// The next operation, its phase and start time taken now; `None` once the run stopped.
    pub fn start_op(&mut self, ctl: &Ctl) -> Option<Pending> {
        let phase = ctl.phase();
        if phase == STOPPED {
            return None;
        }
        let (slot, op) = self.next();
        Some(Pending {
            phase,
            started: Instant::now(),
            slot,
            op,
        })
    }

    /// Counts an operation started by [`Worker::start_op`] and checks its reply (`None` for a
    /// `SET`), or turns its error into the worker's error.
    pub fn end_op(
        &mut self,
        p: Pending,
        reply: Result<Option<Vec<u8>>, String>,
    ) -> Result<(), String> {
        let got = reply.map_err(|e| self.fail(&p.op, p.slot, e))?;
        self.stats.record(p.phase, p.started);
        match p.op {
            Op::Get => self.check_get(p.slot, got),
            Op::Set(v) => {
                self.set_done(p.slot, v);
                Ok(())
            }
        }
    }

    pub fn key(&self, slot: usize) -> &Key {
        &self.data.keys[self.own[slot]]
    }

    pub fn set_done(&mut self, slot: usize, v: Val) {
        self.expected[slot] = v;
    }

    pub fn check_get(&self, slot: usize, got: Option<Vec<u8>>) -> Result<(), String> {
        check_value(&self.what, self.key(slot), &self.expected[slot], got)
    }

    pub fn fail(&self, op: &Op, slot: usize, err: impl std::fmt::Display) -> String {
        let op = match op {
            Op::Get => "GET".to_owned(),
            Op::Set(v) => format!("SET (value {})", show(v)),
        };
        format!(
            "{}: {op} {} failed: {err}",
            self.what,
            String::from_utf8_lossy(self.key(slot))
        )
    }
}

/// A blocking key-value client as the threaded workloads use it.
pub trait Kv {
    fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String>;
    fn store(&mut self, key: &Key, value: &Val) -> Result<(), String>;
}

/// `Kv` for coredis' clients (`&coredis::Redis`, `&RedisCluster`).
macro_rules! coredis_kv {
    ($($client:ty),*) => {$(
        impl Kv for $client {
            fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String> {
                self.get::<Option<Vec<u8>>>(key).map_err(coredis_err)
            }

            fn store(&mut self, key: &Key, value: &Val) -> Result<(), String> {
                self.set(key, value).map_err(coredis_err)
            }
        }
    )*};
}

/// `Kv` for redis-rs' blocking connections.
macro_rules! redis_rs_kv {
    ($($con:ty),*) => {$(
        impl Kv for $con {
            fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String> {
                redis::cmd("GET")
                    .arg(&key[..])
                    .query::<Option<Vec<u8>>>(self)
                    .map_err(redis_rs_err)
            }

            fn store(&mut self, key: &Key, value: &Val) -> Result<(), String> {
                redis::cmd("SET")
                    .arg(&key[..])
                    .arg(&value[..])
                    .query::<()>(self)
                    .map_err(redis_rs_err)
            }
        }
    )*};
}

coredis_kv!(&coredis::Redis, &coredis::RedisCluster);
redis_rs_kv!(redis::Connection, redis::cluster::ClusterConnection);

pub fn coredis_err(e: coredis::Error) -> String {
    format!("coredis error: {e} [{e:?}]")
}

pub fn redis_rs_err(e: redis::RedisError) -> String {
    format!("redis-rs error: {e}")
}

/// `threads` blocking threads, each with the client `connect` gives it, looping `GET`/`SET`.
pub fn run_blocking<K: Kv>(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    data: &Arc<RunData>,
    threads: usize,
    sets: bool,
    connect: impl Fn() -> Result<K, String> + Sync,
) -> Result<Measurement, String> {
    let ctl = Ctl::new();
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|id| {
                let (ctl, connect, data) = (&ctl, &connect, data.clone());
                scope.spawn(move || {
                    let _done = DoneGuard(ctl);
                    let r =
                        blocking_worker(ctl, Worker::new(what, id, threads, data, sets), connect);
                    if r.is_err() {
                        ctl.failed.store(true, Ordering::Release);
                    }
                    r
                })
            })
            .collect();
        let window = drive(&ctl, threads, s, wd, what);
        let results = handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| join(&format!("{what}, worker {i}"), h))
            .collect();
        Ok(Measurement::new(window, collect(results)?))
    })
}

fn blocking_worker<K: Kv>(
    ctl: &Ctl,
    mut w: Worker,
    connect: &(impl Fn() -> Result<K, String> + Sync),
) -> Result<Stats, String> {
    let mut client = connect().map_err(|e| format!("{}: connecting: {e}", w.what))?;
    ctl.ready.fetch_add(1, Ordering::AcqRel);
    while let Some(p) = w.start_op(ctl) {
        let key = w.key(p.slot);
        let reply = match &p.op {
            Op::Get => client.fetch(key),
            Op::Set(v) => client.store(key, v).map(|()| None),
        };
        w.end_op(p, reply)?;
    }
    Ok(w.stats)
}

/// A tokio runtime with 2 worker threads, as the async redis-rs runs use.
pub fn runtime(what: &str) -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("{what}: building the tokio runtime: {e}"))
}

/// An async key-value client as the async runs use it: one connection (or client), cloned
/// into every task.
pub trait AsyncKv: Clone + Send + 'static {
    fn fetch(&mut self, key: &Key) -> impl Future<Output = Result<Option<Vec<u8>>, String>> + Send;
    fn store(&mut self, key: &Key, value: &Val) -> impl Future<Output = Result<(), String>> + Send;
}

/// redis-rs' async connections (multiplexed, cluster) as an [`AsyncKv`].
#[derive(Clone)]
pub struct RsAsync<C>(pub C);

impl<C: redis::aio::ConnectionLike + Clone + Send + 'static> AsyncKv for RsAsync<C> {
    async fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String> {
        redis::cmd("GET")
            .arg(&key[..])
            .query_async::<Option<Vec<u8>>>(&mut self.0)
            .await
            .map_err(redis_rs_err)
    }

    async fn store(&mut self, key: &Key, value: &Val) -> Result<(), String> {
        redis::cmd("SET")
            .arg(&key[..])
            .arg(&value[..])
            .query_async::<()>(&mut self.0)
            .await
            .map_err(redis_rs_err)
    }
}

/// A fred client (one connection, auto-pipelined, its default) as an [`AsyncKv`].
#[derive(Clone)]
pub struct Fred(pub fred::clients::Client);

impl AsyncKv for Fred {
    async fn fetch(&mut self, key: &Key) -> Result<Option<Vec<u8>>, String> {
        use fred::interfaces::KeysInterface as _;
        self.0
            .get::<Option<Vec<u8>>, _>(&key[..])
            .await
            .map_err(fred_err)
    }

    async fn store(&mut self, key: &Key, value: &Val) -> Result<(), String> {
        use fred::interfaces::KeysInterface as _;
        self.0
            .set::<(), _, _>(&key[..], &value[..], None, None, false)
            .await
            .map_err(fred_err)
    }
}

pub fn fred_err(e: fred::error::Error) -> String {
    format!("fred error: {e}")
}

/// Connects a fred client on `rt`: `init` (which spawns its connection task there) and waits
/// until it is connected.
pub fn fred_connect(
    rt: &tokio::runtime::Runtime,
    client: fred::clients::Client,
) -> Result<Fred, String> {
    use fred::interfaces::ClientLike as _;
    rt.block_on(async {
        client.init().await.map(|_task| ())?;
        Ok::<_, fred::error::Error>(())
    })
    .map_err(fred_err)?;
    Ok(Fred(client))
}

/// redis-rs async: one connection (what `connect` makes a future of, awaited on a tokio
/// runtime with 2 worker threads), cloned into `tasks` tokio tasks, each looping `GET` (or
/// `GET`/`SET`).
pub fn run_rs_async<C, F>(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    connect: impl FnOnce() -> redis::RedisResult<F>,
    data: &Arc<RunData>,
    tasks: usize,
    sets: bool,
) -> Result<Measurement, String>
where
    C: redis::aio::ConnectionLike + Clone + Send + 'static,
    F: std::future::Future<Output = redis::RedisResult<C>>,
{
    let rt = runtime(what)?;
    let connecting = connect().map_err(|e| format!("{what}: {}", redis_rs_err(e)))?;
    let con = rt
        .block_on(connecting)
        .map_err(|e| format!("{what}: connecting: {}", redis_rs_err(e)))?;
    run_async(s, wd, what, rt, RsAsync(con), data, tasks, sets)
}

/// fred: one client (made by `build`, connected on a tokio runtime with 2 worker threads),
/// cloned into `tasks` tokio tasks, each looping `GET` (or `GET`/`SET`).
pub fn run_fred(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    build: impl FnOnce() -> Result<fred::clients::Client, String>,
    data: &Arc<RunData>,
    tasks: usize,
    sets: bool,
) -> Result<Measurement, String> {
    let rt = runtime(what)?;
    let client = build().map_err(|e| format!("{what}: {e}"))?;
    let con = fred_connect(&rt, client).map_err(|e| format!("{what}: connecting: {e}"))?;
    run_async(s, wd, what, rt, con, data, tasks, sets)
}

/// `tasks` tokio tasks on `rt`, each with a clone of `con`, looping `GET` (or `GET`/`SET`).
#[allow(clippy::too_many_arguments)]
fn run_async<C: AsyncKv>(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    rt: tokio::runtime::Runtime,
    con: C,
    data: &Arc<RunData>,
    tasks: usize,
    sets: bool,
) -> Result<Measurement, String> {
    let ctl = Arc::new(Ctl::new());
    let handles: Vec<_> = (0..tasks)
        .map(|id| {
            let w = Worker::new(what, id, tasks, data.clone(), sets);
            let (ctl, con) = (ctl.clone(), con.clone());
            rt.spawn(async move {
                let _done = DoneGuard(&ctl);
                let r = async_worker(&ctl, w, con).await;
                if r.is_err() {
                    ctl.failed.store(true, Ordering::Release);
                }
                r
            })
        })
        .collect();
    let window = drive(&ctl, tasks, s, wd, what);
    let results = rt.block_on(async {
        let mut results = Vec::with_capacity(handles.len());
        for (i, h) in handles.into_iter().enumerate() {
            results.push(
                h.await
                    .unwrap_or_else(|e| Err(format!("{what}, worker {i}: task failed: {e}"))),
            );
        }
        results
    });
    drop(con);
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(Measurement::new(window, collect(results)?))
}

async fn async_worker<C: AsyncKv>(ctl: &Ctl, mut w: Worker, mut con: C) -> Result<Stats, String> {
    ctl.ready.fetch_add(1, Ordering::AcqRel);
    while let Some(p) = w.start_op(ctl) {
        let key = w.key(p.slot);
        let reply = match &p.op {
            Op::Get => con.fetch(key).await,
            Op::Set(v) => con.store(key, v).await.map(|()| None),
        };
        w.end_op(p, reply)?;
    }
    Ok(w.stats)
}

/// A coredis deferred `GET`: submits it and returns its handle.
pub type DeferredGet<'a> = dyn Fn(&Key) -> coredis::Handle<Option<Vec<u8>>> + Sync + 'a;

/// coredis: `threads` threads, each keeping `inflight` deferred `GET`s (submitted by `get`)
/// outstanding: wait the oldest, check it, submit a new one. Latency is submit → reply
/// collected.
pub fn run_coredis_inflight(
    s: &Settings,
    wd: &Watchdog,
    what: &str,
    get: &DeferredGet<'_>,
    data: &Arc<RunData>,
    threads: usize,
    inflight: usize,
) -> Result<Measurement, String> {
    let ctl = Ctl::new();
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|id| {
                let ctl = &ctl;
                scope.spawn(move || {
                    let _done = DoneGuard(ctl);
                    let res = inflight_worker(ctl, what, get, data, id, inflight);
                    if res.is_err() {
                        ctl.failed.store(true, Ordering::Release);
                    }
                    res
                })
            })
            .collect();
        let window = drive(&ctl, threads, s, wd, what);
        let results = handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| join(&format!("{what}, thread {i}"), h))
            .collect();
        Ok(Measurement::new(window, collect(results)?))
    })
}

fn inflight_worker(
    ctl: &Ctl,
    what: &str,
    get: &DeferredGet<'_>,
    data: &RunData,
    id: usize,
    inflight: usize,
) -> Result<Stats, String> {
    type InFlight = (u8, Instant, usize, coredis::Handle<Option<Vec<u8>>>);
    let mut rng = Rng::new(u64::from(data.id) ^ 0x1F1F ^ ((id as u64) << 20));
    let mut stats = Stats {
        ops: 0,
        lat_ns: Vec::with_capacity(1 << 16),
    };
    let mut submit = |ring: &mut VecDeque<InFlight>| {
        let k = rng.below(KEYS);
        let phase = ctl.phase();
        let started = Instant::now();
        let h = get(&data.keys[k]);
        ring.push_back((phase, started, k, h));
    };
    let mut ring: VecDeque<InFlight> = VecDeque::with_capacity(inflight);
    for _ in 0..inflight {
        submit(&mut ring);
    }
    ctl.ready.fetch_add(1, Ordering::AcqRel);
    let mut completed: u64 = 0;
    while let Some((phase, started, k, h)) = ring.pop_front() {
        let got = h.wait().map_err(|e| {
            format!(
                "{what}: GET {} (reply #{} of this run, {} other commands in flight) \
                 failed: {}",
                String::from_utf8_lossy(&data.keys[k]),
                completed + 1,
                ring.len(),
                coredis_err(e)
            )
        })?;
        stats.record(phase, started);
        completed += 1;
        check_value(
            &format!("{what} (reply #{completed} of this run)"),
            &data.keys[k],
            &data.preload[k],
            got,
        )?;
        // After the stop, drain the ring instead of refilling it.
        if ctl.phase() != STOPPED {
            submit(&mut ring);
        }
    }
    Ok(stats)
}
