//! The Redis Cluster client.
//!
//! Owns: [`RedisCluster`] — a slot map, one [`Redis`] (shared pipe + pool) per node it talks
//! to, opened on first use — and its deferred view [`ClusterDeferred`]; routing each command
//! by the slot its keys hash to (computed when the command was built), splitting the
//! multi-key commands that may be split and fanning out the keyless ones that must reach
//! several nodes ([`router`]); following `MOVED` and `ASK` and retrying `TRYAGAIN`,
//! `CLUSTERDOWN`, `LOADING` (through the handles' redirect hook, so deferred handles follow
//! them too); and refreshing the slot map — on a background thread, parked when there is
//! nothing to do, at most once per [`ClusterConfig::refresh_interval`].
//!
//! Must not: do socket I/O itself (the nodes do), or retry a command that failed without a
//! reply (it may have run) unless the retry policy allows it (see [`crate::retry`]: the
//! policy sends it again through [`Redirect::resend`], routed anew by its slot).

mod config;
mod pipeline;
mod pubsub;
pub(crate) mod router;
mod slots;

pub use config::{
    ClusterConfig, ClusterConfigBuilder, ReadFrom, DEFAULT_MAX_REDIRECTS, DEFAULT_REFRESH_INTERVAL,
};
pub use pipeline::ClusterPipeline;
pub use pubsub::ClusterSubscriber;

use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::client::Redis;
use crate::cmd::{Cmd, Decoder, Request};
use crate::commands::{BlockingExecutor, Build, ClusterCommands, Executor};
use crate::config::{Addr, Config};
use crate::connection::ConfiguredAddr;
use crate::error::{Error, ErrorKind, Result, ServerCode, ServerError};
use crate::exclusive::Exclusive;
use crate::handle::{Handle, Redirect, Resent, Submit};
use crate::pipe::Pipe;
use crate::retry::RetryPolicy;
use crate::route::KeySlot;
use crate::value::Value;
use router::{Fan, MergeKind};
use slots::SlotMap;

/// A client for a Redis Cluster: `Send + Sync + Clone`, shared by every thread, with the same
/// command methods as [`Redis`].
///
/// ```no_run
/// use coredis::prelude::*;
/// let c = coredis::RedisCluster::from_url("redis://127.0.0.1:7000,127.0.0.1:7001")?;
/// c.set("user:{42}:name", "Ada")?;                        // goes to the slot's primary
/// let name: Option<String> = c.get("user:{42}:name")?;
/// let v: Vec<Option<String>> = c.mget(["a", "b", "c"])?;  // split per slot, merged in order
/// let n = c.dbsize()?;                                     // summed over the primaries
/// let h = c.deferred().incr("counter");                    // a handle, as on `Redis`
/// h.wait()?;
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// # Routing
///
/// A command with keys goes to the primary serving their slot (or a replica, for reads, per
/// [`ReadFrom`]). Keys in different slots are refused before sending, except for `MGET`,
/// `MSET`, `DEL`, `UNLINK`, `EXISTS` and `TOUCH`, which are split per slot and merged in the
/// caller's order (`MSET` is then not atomic across slots). Keyless commands go to one primary,
/// except: `DBSIZE` (summed over the primaries), `KEYS` (concatenated), `FLUSHALL`/`FLUSHDB`
/// and `FUNCTION LOAD/DELETE/FLUSH/RESTORE` (every primary), `SCRIPT LOAD/FLUSH` (every node)
/// and `SCRIPT EXISTS` (every node, a script exists where it exists everywhere). Commands that
/// block their connection run on a dedicated connection of the slot's node.
///
/// # Failures
///
/// `MOVED` updates the slot map and sends the command to the new owner; `ASK` sends `ASKING`
/// and the command to the importing node once; `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`,
/// `MASTERDOWN` and `READONLY` are retried with back-off after a map refresh — all within
/// [`ClusterConfig::max_redirects`] attempts and the command's response timeout. A command that
/// failed without a reply (connection lost, timeout) is not retried (it may have run) unless
/// the [`RetryPolicy`] allows it ([`RedisCluster::with_retry`], [`Config::retry`] of the node
/// configuration; `BUSY` likewise); the map is refreshed so the next commands (and a retried
/// one, routed again by its slot) find the new primary after a failover.
///
/// # Cost
///
/// One multiplexed connection and one parked worker thread per node the client talks to
/// (opened on first use: with [`ReadFrom::Primary`] only the primaries), dedicated connections
/// only for blocking commands, and one parked thread that refreshes the slot map.
#[derive(Clone)]
pub struct RedisCluster {
    inner: Arc<Inner>,
    /// The retry policy of this clone's calls.
    retry: RetryPolicy,
}

pub(crate) struct Inner {
    config: ClusterConfig,
    map: RwLock<SlotMap>,
    /// Read-write connections, by address.
    primaries: RwLock<HashMap<Addr, Redis>>,
    /// `READONLY` connections to replicas, by address.
    replicas: RwLock<HashMap<Addr, Redis>>,
    /// Wakes the refresh thread (bounded(1): requests coalesce).
    refresh: crossbeam_channel::Sender<()>,
    refreshed: Mutex<Instant>,
    turn: AtomicUsize,
    /// The client-side cache of every node, when configured.
    cache: Option<Arc<crate::cache::Cache>>,
}

impl std::fmt::Debug for RedisCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCluster")
            .field("map", &*self.inner.map.read())
            .field("retry", &self.retry)
            .finish()
    }
}

impl RedisCluster {
    /// Connects to the cluster: asks the startup nodes in turn for the slot map (nodes that are
    /// down are skipped). Connections to the nodes open on first use.
    ///
    /// # Errors
    /// The last node's error when no startup node answers `CLUSTER SHARDS` (or `CLUSTER
    /// SLOTS`) within the connect and response timeouts; [`ErrorKind::Config`] for a node
    /// without cluster mode.
    pub fn new(config: ClusterConfig) -> Result<RedisCluster> {
        let map = fetch_map(&config, config.nodes())?;
        let config_cache = config
            .node_config()
            .cache()
            .cloned()
            .map(crate::cache::Cache::new);
        let (tx, rx) = crossbeam_channel::bounded(1);
        let inner = Arc::new(Inner {
            config,
            map: RwLock::new(map),
            primaries: RwLock::new(HashMap::new()),
            replicas: RwLock::new(HashMap::new()),
            refresh: tx,
            refreshed: Mutex::new(Instant::now()),
            turn: AtomicUsize::new(0),
            cache: config_cache,
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("coredis-cluster-refresh".into())
            .spawn(move || refresh_loop(&weak, &rx))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    "could not start the slot map's refresh thread",
                )
                .with_source(e)
            })?;
        let retry = inner.config.node_config().retry();
        Ok(RedisCluster { inner, retry })
    }

    /// [`RedisCluster::new`] with a [`ClusterConfig::from_url`] URL:
    /// `redis://[user:pass@]host:port[,host:port…]`.
    ///
    /// # Errors
    /// Those of [`ClusterConfig::from_url`] and [`RedisCluster::new`].
    pub fn from_url(url: &str) -> Result<RedisCluster> {
        RedisCluster::new(ClusterConfig::from_url(url)?)
    }

    /// What the client-side cache (one for the whole cluster client) did so far; `None` when
    /// caching is off (see [`crate::ConfigBuilder::cache`] on [`ClusterConfig::node_config`]).
    pub fn cache_stats(&self) -> Option<crate::CacheStats> {
        self.inner.cache.as_ref().map(|c| c.stats())
    }

    /// Drops every entry of the client-side cache (no-op when caching is off).
    pub fn clear_cache(&self) {
        if let Some(c) = &self.inner.cache {
            c.clear();
        }
    }

    /// This client (sharing its connections) with `policy` for the calls made through it,
    /// blocking or deferred, instead of the node configuration's [`Config::retry`]. See
    /// [`Redis::with_retry`]; what the cluster layer retries by itself is in the
    /// [`crate::retry`] docs.
    #[must_use]
    pub fn with_retry(&self, policy: RetryPolicy) -> RedisCluster {
        RedisCluster {
            inner: self.inner.clone(),
            retry: policy,
        }
    }

    /// The retry policy of this client's calls (see [`RedisCluster::with_retry`]).
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// A view whose commands are sent at once and return [`Handle`]s, as [`Redis::deferred`].
    pub fn deferred(&self) -> ClusterDeferred<'_> {
        ClusterDeferred { cluster: self }
    }

    /// A pipeline: commands are grouped per node, each group sent as one batch, all groups at
    /// once; the replies come back in the caller's order. See [`ClusterPipeline`].
    pub fn pipeline(&self) -> ClusterPipeline<'_> {
        ClusterPipeline::new(self)
    }

    /// The configuration.
    pub fn config(&self) -> &ClusterConfig {
        &self.inner.config
    }

    /// The client of the primary serving `slot` (for what the cluster client does not route,
    /// e.g. a transaction on keys of one slot, or a subscriber).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when no node serves the slot in the current map.
    pub fn node_for_slot(&self, slot: u16) -> Result<Redis> {
        self.inner.node_for_slot(slot, false).map(|(r, _)| r)
    }

    /// A client of one primary (in turn), for keyless commands the cluster client does not
    /// route (a transaction without keys).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the slot map names no primary.
    pub fn any_node(&self) -> Result<Redis> {
        self.inner.any_primary()
    }

    /// A transaction (`MULTI` … `EXEC`) on the primary of the slot its keys are in: every key
    /// must be in one slot (use a `{hash tag}`), else [`crate::Transaction::exec`] fails with
    /// [`ErrorKind::Usage`] and nothing is sent. See [`crate::Transaction`].
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// let c = coredis::RedisCluster::from_url("redis://127.0.0.1:7000")?;
    /// let tx = c.transaction();
    /// let a = tx.decrby("{acct}:a", 10);
    /// let b = tx.incrby("{acct}:b", 10);
    /// let (a, b) = tx.exec()?.get((a, b))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    pub fn transaction(&self) -> crate::Transaction<'_> {
        crate::Transaction::for_cluster(self)
    }

    /// Optimistic locking on the primary of `keys`' slot (see [`Redis::transaction_with`]):
    /// `keys` must share one slot, and so must the keys `f` reads and queues.
    ///
    /// # Errors
    /// [`ErrorKind::Usage`] when `keys` span slots or are empty; otherwise those of
    /// [`Redis::transaction_with`].
    pub fn transaction_with<R>(
        &self,
        keys: impl crate::ToArgs,
        f: impl FnMut(&crate::Dedicated, &crate::Transaction<'_>) -> Result<R>,
    ) -> Result<(R, crate::Replies)> {
        let watch: Cmd<()> = Cmd::new("WATCH").keys(keys).required("keys");
        watch.request().check_valid()?;
        let slot = match watch.slot() {
            KeySlot::One(slot) => slot,
            _ => return Err(router::cross_slot(watch.request())),
        };
        let node = self.node_for_slot(slot)?;
        let keys: Vec<Vec<u8>> = watch.request().args().skip(1).map(<[u8]>::to_vec).collect();
        node.transaction_with(keys, f)
    }

    /// `SCAN` over the whole cluster: every primary's keys in turn, as one iterator (see
    /// [`crate::commands::ScanCommands::scan_iter`]). The primaries are those of the slot map
    /// when the walk starts; a key moved between nodes during the walk may be missed or seen
    /// twice, as `SCAN` allows for any change.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// use coredis::types::ScanOptions;
    /// let c = coredis::RedisCluster::from_url("redis://127.0.0.1:7000")?;
    /// for key in c.scan_iter::<String>(ScanOptions::new().pattern("user:*")) {
    ///     let key = key?;
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    pub fn scan_iter<T: crate::FromValue>(
        &self,
        options: crate::types::ScanOptions,
    ) -> ClusterScan<T> {
        let (nodes, error) = match self.inner.nodes(Fan::Primaries) {
            Ok(n) => (n, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        ClusterScan {
            nodes: nodes.into_iter(),
            current: None,
            options,
            cursor: 0,
            items: Vec::new().into_iter(),
            error,
        }
    }

    /// The clients of every primary, one per shard.
    ///
    /// # Errors
    /// When a node's client cannot be created (its worker thread does not start).
    pub fn primaries(&self) -> Result<Vec<Redis>> {
        self.inner.nodes(Fan::Primaries)
    }

    /// Asks the cluster for its slot map now (rate limits aside) and waits for the answer.
    ///
    /// # Errors
    /// When no known node answers.
    pub fn refresh_slots(&self) -> Result<()> {
        self.inner.refresh_now()
    }

    /// Closes every node's connections (see [`Redis::close`]).
    pub fn close(&self) {
        for r in self.inner.all_clients() {
            r.close();
        }
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }
}

/// A `SCAN` over every primary of a cluster, from [`RedisCluster::scan_iter`]: yields
/// `Result<T>`, reading the next page only when the current one is consumed, and ends after
/// the first error.
pub struct ClusterScan<T> {
    nodes: std::vec::IntoIter<Redis>,
    current: Option<Redis>,
    options: crate::types::ScanOptions,
    cursor: u64,
    items: std::vec::IntoIter<T>,
    error: Option<Error>,
}

impl<T> std::fmt::Debug for ClusterScan<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterScan")
            .field("node", &self.current)
            .field("cursor", &self.cursor)
            .field("nodes_left", &self.nodes.len())
            .finish()
    }
}

impl<T: crate::FromValue> Iterator for ClusterScan<T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        use crate::commands::ScanCommands;
        loop {
            if let Some(item) = self.items.next() {
                return Some(Ok(item));
            }
            if let Some(e) = self.error.take() {
                self.nodes = Vec::new().into_iter();
                self.current = None;
                return Some(Err(e));
            }
            let node = match self.current.take() {
                Some(n) => n,
                None => {
                    self.cursor = 0;
                    self.nodes.next()?
                }
            };
            match node.scan_with::<T>(self.cursor, self.options.clone()) {
                Ok(page) => {
                    self.cursor = page.cursor;
                    self.items = page.items.into_iter();
                    if page.cursor != 0 {
                        self.current = Some(node);
                    }
                }
                Err(e) => self.error = Some(e),
            }
        }
    }
}

impl Executor for RedisCluster {
    type Output<T> = Result<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Result<T> {
        self.inner.submit(cmd, Submit::AndWait, self.retry).wait()
    }
}

impl BlockingExecutor for RedisCluster {}

/// The deferred view of a [`RedisCluster`]: every command is sent at once and returns a
/// [`Handle`] (which follows redirections by itself). From [`RedisCluster::deferred`].
///
/// Unlike [`crate::Deferred`] on one server, no background thread is woken to read the
/// replies meanwhile: they wait in the socket until a handle of that node is waited on,
/// polled or dropped, and are then read many at a time. With handles spread over many nodes
/// this saves a thread wake-up per command.
#[derive(Clone, Copy)]
pub struct ClusterDeferred<'a> {
    cluster: &'a RedisCluster,
}

impl std::fmt::Debug for ClusterDeferred<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ClusterDeferred")
            .field(self.cluster)
            .finish()
    }
}

impl Executor for ClusterDeferred<'_> {
    type Output<T> = Handle<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Handle<T> {
        self.cluster
            .inner
            .submit(cmd, Submit::Deferred, self.cluster.retry)
    }
}

impl BlockingExecutor for ClusterDeferred<'_> {}

impl Inner {
    /// The client-side cache, when configured.
    pub(crate) fn cache(&self) -> Option<&Arc<crate::cache::Cache>> {
        self.cache.as_ref()
    }

    /// Routes and sends `cmd`, retrying per `retry`.
    fn submit<T>(self: &Arc<Inner>, cmd: Cmd<T>, how: Submit, retry: RetryPolicy) -> Handle<T> {
        let (request, decoder) = cmd.into_parts();
        self.submit_parts(request, decoder, how, retry)
    }

    /// [`Inner::submit`] of a command taken apart.
    pub(crate) fn submit_parts<T>(
        self: &Arc<Inner>,
        request: Request,
        decoder: Decoder<T>,
        how: Submit,
        retry: RetryPolicy,
    ) -> Handle<T> {
        match request.slot() {
            KeySlot::One(slot) => match self.node_for_slot(slot, request.is_readonly()) {
                Ok((node, _)) => self.send_to(&node, request, decoder, how, retry),
                Err(e) => Handle::failed(e.with_command(request.name()), decoder),
            },
            KeySlot::None => match router::keyless(&request) {
                (Fan::One, _) => match self.any_primary() {
                    Ok(node) => self.send_to(&node, request, decoder, how, retry),
                    Err(e) => Handle::failed(e.with_command(request.name()), decoder),
                },
                (Fan::Refused, _) => Handle::failed(router::refused(&request), decoder),
                (fan, merge) => self.fan_out(request, decoder, fan, merge, how, retry),
            },
            KeySlot::Cross => match router::split_rule(&request) {
                Some((name, step, merge)) => {
                    let (parts, merge) = router::split(&request, name, step, merge);
                    let deadline = Instant::now() + self.config.node_config().response_timeout();
                    let handles = parts
                        .into_iter()
                        .map(|(_, part)| {
                            let (request, decoder) = part.into_parts();
                            self.submit_parts(request, decoder, how, retry)
                        })
                        .collect();
                    Handle::many(handles, merger(merge), decoder, deadline)
                }
                None => Handle::failed(router::cross_slot(&request), decoder),
            },
        }
    }

    /// Sends a request to `node` with this cluster's redirect hook: on its shared pipe, or on
    /// a dedicated connection when it blocks (then redirected through
    /// [`Redirect::redirect_dedicated`] — `MOVED`, `ASK`, the retriable cluster errors — but
    /// not retried by the policy).
    fn send_to<T>(
        self: &Arc<Inner>,
        node: &Redis,
        request: Request,
        decoder: Decoder<T>,
        how: Submit,
        retry: RetryPolicy,
    ) -> Handle<T> {
        let hook: Arc<dyn Redirect> = self.clone();
        let how = match how {
            Submit::Deferred => Submit::Quiet,
            other => other,
        };
        node.node()
            .submit_redirecting_retrying(request, decoder, how, hook, retry)
    }

    /// Sends `cmd` to every node of `fan` and merges the replies.
    fn fan_out<T>(
        self: &Arc<Inner>,
        request: Request,
        decoder: Decoder<T>,
        fan: Fan,
        merge: MergeKind,
        how: Submit,
        retry: RetryPolicy,
    ) -> Handle<T> {
        let nodes = match self.nodes(fan) {
            Ok(n) if !n.is_empty() => n,
            Ok(_) => return Handle::failed(no_node(&request), decoder),
            Err(e) => return Handle::failed(e.with_command(request.name()), decoder),
        };
        let deadline = Instant::now() + self.config.node_config().response_timeout();
        let handles = nodes
            .iter()
            .map(|node| {
                let (request, decoder) = Cmd::from_request(request.clone()).into_parts();
                self.send_to(node, request, decoder, how, retry)
            })
            .collect();
        Handle::many(handles, merger(merge), decoder, deadline)
    }

    /// The client for `slot` (a replica's for reads, per [`ReadFrom`]) and whether it is a
    /// replica.
    fn node_for_slot(&self, slot: u16, readonly: bool) -> Result<(Redis, bool)> {
        let addr = {
            let map = self.map.read();
            let Some(shard) = map.shard(slot) else {
                drop(map);
                self.request_refresh();
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("no node serves slot {slot} in the cluster's slot map"),
                ));
            };
            let replica = if readonly && !shard.replicas.is_empty() {
                let turn = self.turn.fetch_add(1, Ordering::Relaxed);
                match self.config.read_from() {
                    ReadFrom::Primary => None,
                    ReadFrom::PreferReplica => shard.replicas.get(turn % shard.replicas.len()),
                    ReadFrom::RoundRobin => match turn % (shard.replicas.len() + 1) {
                        0 => None,
                        i => shard.replicas.get(i - 1),
                    },
                }
            } else {
                None
            };
            let (addr, is_replica) = match replica {
                Some(r) => (r, true),
                None => (&shard.primary, false),
            };
            let table = if is_replica {
                &self.replicas
            } else {
                &self.primaries
            };
            if let Some(node) = table.read().get(addr) {
                return Ok((node.clone(), is_replica));
            }
            (addr.clone(), is_replica)
        };
        self.client(&addr.0, addr.1).map(|r| (r, addr.1))
    }

    /// The client of the node at `addr`, opened (lazily: it connects in the background) if
    /// there is none yet.
    fn client(&self, addr: &Addr, replica: bool) -> Result<Redis> {
        let table = if replica {
            &self.replicas
        } else {
            &self.primaries
        };
        if let Some(node) = table.read().get(addr) {
            return Ok(node.clone());
        }
        let mut table = table.write();
        if let Some(node) = table.get(addr) {
            return Ok(node.clone());
        }
        let config = self.config.node_config().for_node(addr.clone(), replica);
        let node = Redis::new_lazy_caching(config, self.cache.clone())?;
        table.insert(addr.clone(), node.clone());
        Ok(node)
    }

    /// One primary, in turn.
    fn any_primary(&self) -> Result<Redis> {
        let addr = {
            let map = self.map.read();
            let count = map.shard_count();
            let turn = self.turn.fetch_add(1, Ordering::Relaxed);
            let Some(shard) = map.nth_shard(turn % count.max(1)) else {
                return Err(Error::new(
                    ErrorKind::Io,
                    "the cluster's slot map names no primary",
                ));
            };
            if let Some(node) = self.primaries.read().get(&shard.primary) {
                return Ok(node.clone());
            }
            shard.primary.clone()
        };
        self.client(&addr, false)
    }

    /// The clients of `fan`'s nodes.
    fn nodes(&self, fan: Fan) -> Result<Vec<Redis>> {
        let (primaries, replicas): (Vec<Addr>, Vec<Addr>) = {
            let map = self.map.read();
            let primaries = map.shards().map(|s| s.primary.clone()).collect();
            let replicas = match fan {
                Fan::AllNodes => map.shards().flat_map(|s| s.replicas.clone()).collect(),
                Fan::One | Fan::Primaries | Fan::Refused => Vec::new(),
            };
            (primaries, replicas)
        };
        let mut out = Vec::with_capacity(primaries.len() + replicas.len());
        for a in &primaries {
            out.push(self.client(a, false)?);
        }
        for a in &replicas {
            out.push(self.client(a, true)?);
        }
        Ok(out)
    }

    fn all_clients(&self) -> Vec<Redis> {
        let mut out: Vec<Redis> = self.primaries.read().values().cloned().collect();
        out.extend(self.replicas.read().values().cloned());
        out
    }

    /// Asks the refresh thread for a new slot map (coalesced and rate limited there).
    fn request_refresh(&self) {
        let _ = self.refresh.try_send(());
    }

    /// Fetches the slot map from the nodes of the current map (then the startup nodes),
    /// installs it, and closes the connections to nodes it no longer names.
    fn refresh_now(&self) -> Result<()> {
        let mut candidates = self.map.read().addrs();
        for a in self.config.nodes() {
            if !candidates.contains(a) {
                candidates.push(a.clone());
            }
        }
        let map = fetch_map(&self.config, &candidates)?;
        *self.refreshed.lock() = Instant::now();
        let keep = map.addrs();
        let changed = {
            let mut current = self.map.write();
            let changed = *current != map;
            *current = map;
            changed
        };
        if changed {
            log::info!("coredis: the cluster's slot map changed");
            // A key whose slot moved is tracked by its old node only: nothing cached may stay.
            if let Some(cache) = &self.cache {
                cache.clear();
            }
            for table in [&self.primaries, &self.replicas] {
                let gone: Vec<Redis> = {
                    let mut t = table.write();
                    let gone_addrs: Vec<Addr> =
                        t.keys().filter(|a| !keep.contains(a)).cloned().collect();
                    gone_addrs.iter().filter_map(|a| t.remove(a)).collect()
                };
                for r in gone {
                    r.node().close();
                }
            }
            // A primary demoted to replica keeps its address but must not take writes: its
            // read-write connection is dropped from `primaries` above only when it left the
            // map; a demoted node answers READONLY, which triggers a refresh and a re-route.
        }
        Ok(())
    }

    /// Back-off before retry `attempt` (1-based): 20 ms doubling, at most 500 ms.
    fn backoff(attempt: u32) -> Duration {
        Duration::from_millis(20u64 << attempt.min(5)).min(Duration::from_millis(500))
    }
}

/// The merge of a split request's parts.
fn merger(kind: MergeKind) -> crate::handle::Merge {
    Box::new(move |results| router::merge(&kind, results))
}

fn no_node(request: &Request) -> Error {
    Error::new(ErrorKind::Io, "the cluster's slot map names no node").with_command(request.name())
}

impl Inner {
    /// Where a request that got `error` from the node at `from` goes next, on its
    /// `attempt`-th try: the node, and whether `ASKING` goes first. `None` when the error is
    /// not a redirection or a retriable cluster error (it reaches the caller); an error past
    /// [`ClusterConfig::max_redirects`]. Follows `MOVED` into the slot map and pauses before a
    /// retry.
    fn redirect_target(
        &self,
        from: &Addr,
        request: &Request,
        error: &ServerError,
        attempt: u32,
    ) -> Option<Result<(Redis, bool)>> {
        let code = error.kind();
        if !router::is_retriable(&code) {
            return None;
        }
        if attempt > self.config.max_redirects() {
            // The last reply stays the error's server reply: `server_code()` tells what it was.
            return Some(Err(Error::new(
                ErrorKind::Server,
                format!(
                    "gave up after {} redirections or retries; the last reply was",
                    self.config.max_redirects()
                ),
            )
            .with_server(error.clone())
            .with_command(request.name())
            .with_node(&from.to_string())));
        }
        match code {
            ServerCode::Moved { slot, addr } => {
                let addr = slots::redirect_addr(&addr, from)?;
                log::debug!("coredis: slot {slot} moved to {addr}");
                self.map.write().moved(slot, addr.clone());
                self.request_refresh();
                Some(self.client(&addr, false).map(|r| (r, false)))
            }
            ServerCode::Ask { addr, .. } => {
                let addr = slots::redirect_addr(&addr, from)?;
                Some(self.client(&addr, false).map(|r| (r, true)))
            }
            _ => {
                if !matches!(code, ServerCode::TryAgain | ServerCode::Loading) {
                    self.request_refresh();
                }
                std::thread::sleep(Inner::backoff(attempt));
                let target = match request.slot() {
                    // A replica that lost its primary, or a demoted primary: go to the primary.
                    KeySlot::One(slot) => self
                        .node_for_slot(slot, request.is_readonly() && code == ServerCode::Loading)
                        .map(|(r, _)| r),
                    KeySlot::None | KeySlot::Cross => self.client(from, false),
                };
                Some(target.map(|r| (r, false)))
            }
        }
    }
}

/// `ASKING`, encoded.
fn asking() -> Vec<u8> {
    let mut asking = Vec::with_capacity(20);
    Cmd::<Value>::new("ASKING")
        .request()
        .encode_into(&mut asking);
    asking
}

impl Redirect for Inner {
    fn redirect(
        &self,
        from: &Arc<Pipe>,
        request: &Request,
        error: &ServerError,
        attempt: u32,
    ) -> Option<Result<Resent>> {
        let from_addr = from.config().addr().clone();
        let target = self.redirect_target(&from_addr, request, error, attempt)?;
        let deadline = Instant::now() + self.config.node_config().response_timeout();
        Some(target.and_then(|(node, ask)| {
            let pipe = node.node().pipe().clone();
            let resent = if ask {
                let slot = pipe.submit_after(&asking(), 1, request, deadline)?;
                Resent {
                    pipe: pipe.clone(),
                    slot,
                    skip: 1,
                }
            } else {
                Resent::alone(pipe.clone(), pipe.submit(request, deadline)?)
            };
            pipe.nudge();
            Ok(resent)
        }))
    }

    fn redirect_dedicated(
        &self,
        node: &str,
        request: &Request,
        error: &ServerError,
        attempt: u32,
    ) -> Option<Result<(crate::pool::Pooled, usize)>> {
        let from = node.parse::<Addr>().unwrap_or_default();
        let target = self.redirect_target(&from, request, error, attempt)?;
        let deadline = Instant::now() + self.config.node_config().response_timeout();
        Some(target.and_then(|(node, ask)| {
            let mut conn = node.node().dedicated()?;
            let sent = if ask {
                conn.send_after(&asking(), 1, request, deadline)
            } else {
                conn.send(request, deadline)
            };
            sent.map_err(|e| e.with_node(conn.node()))?;
            Ok((conn, usize::from(ask)))
        }))
    }

    fn failed(&self, _from: &Arc<Pipe>, error: &Error) {
        if matches!(
            error.kind(),
            ErrorKind::Io | ErrorKind::Closed | ErrorKind::Timeout
        ) {
            self.request_refresh();
        }
    }

    /// A request the retry policy sends again goes where its slot lives now (the map may have
    /// been refreshed since it failed: a failover); a keyless one to the node it was sent to.
    fn resend(&self, from: &Arc<Pipe>, request: &Request, deadline: Instant) -> Result<Resent> {
        let node = match request.slot() {
            KeySlot::One(slot) => self
                .node_for_slot(slot, request.is_readonly())
                .map(|(r, _)| r)?,
            KeySlot::None | KeySlot::Cross => {
                self.client(from.config().addr(), from.config().read_only())?
            }
        };
        let pipe = node.node().pipe().clone();
        let slot = pipe.submit(request, deadline)?;
        pipe.nudge();
        Ok(Resent::alone(pipe, slot))
    }
}

/// The refresh thread: parked until asked, then refreshes at most once per interval. Ends when
/// the client is gone.
fn refresh_loop(inner: &Weak<Inner>, rx: &crossbeam_channel::Receiver<()>) {
    while rx.recv().is_ok() {
        let Some(cluster) = inner.upgrade() else {
            return;
        };
        let since = cluster.refreshed.lock().elapsed();
        let interval = cluster.config.refresh_interval();
        drop(cluster);
        if since < interval {
            std::thread::sleep(interval - since);
        }
        let Some(cluster) = inner.upgrade() else {
            return;
        };
        // Requests that came meanwhile are served by this refresh.
        while rx.try_recv().is_ok() {}
        if let Err(e) = cluster.refresh_now() {
            log::warn!("coredis: could not refresh the cluster's slot map: {e}");
            *cluster.refreshed.lock() = Instant::now();
        }
    }
}

/// Asks `nodes` in turn for the slot map; the first complete answer wins (an incomplete one
/// is kept in case no node gives a complete one).
fn fetch_map(config: &ClusterConfig, nodes: &[Addr]) -> Result<SlotMap> {
    let mut last_error = None;
    let mut partial: Option<SlotMap> = None;
    for addr in nodes {
        match fetch_map_from(config.node_config(), addr) {
            Ok(map) if map.unassigned() == 0 => return Ok(map),
            Ok(map) => {
                if partial
                    .as_ref()
                    .map_or(true, |p| p.unassigned() > map.unassigned())
                {
                    partial = Some(map);
                }
            }
            Err(e) => {
                log::debug!("coredis: no slot map from {addr}: {e}");
                last_error = Some(e);
            }
        }
    }
    match (partial, last_error) {
        (Some(map), _) => Ok(map),
        (None, Some(e)) => Err(e),
        (None, None) => Err(Error::config(
            "a cluster client needs at least one startup node",
        )),
    }
}

/// `CLUSTER SHARDS` (or `CLUSTER SLOTS`, before Redis 7.0) from one node, on a connection of
/// its own that is closed afterwards.
fn fetch_map_from(config: &Config, addr: &Addr) -> Result<SlotMap> {
    let config = config.for_node(addr.clone(), false);
    let mut conn = Exclusive::open(&ConfiguredAddr, &config)?;
    let host = match addr {
        Addr::Tcp { host, .. } => host.clone(),
        Addr::Unix(_) => String::new(),
    };
    let mut ask = |cmd: Cmd<Value>| -> Result<Value> {
        let (request, decoder) = cmd.into_parts();
        let deadline = Instant::now() + config.response_timeout();
        conn.send(&request, deadline)?;
        let frame = conn.recv(deadline)?.ok_or_else(|| {
            Error::new(ErrorKind::Timeout, "no reply within the response timeout")
                .with_command(request.name())
        })?;
        decoder
            .decode(&frame, conn.limits())
            .map_err(|e| e.with_node(&addr.to_string()))
    };
    let tls = config.tls().is_some();
    let map = match ask(Cmd::from_request(Build.cluster_shards().into_parts().0)) {
        Ok(v) => {
            let shards: Vec<crate::types::ClusterShard> = crate::FromValue::from_value(v)?;
            SlotMap::from_shards(&shards, tls, &host)
        }
        Err(e) if e.server_code() == Some(ServerCode::Err) => {
            let v = ask(Cmd::from_request(Build.cluster_slots().into_parts().0))?;
            let ranges: Vec<crate::types::ClusterSlotRange> = crate::FromValue::from_value(v)?;
            SlotMap::from_slots(&ranges, &host)
        }
        Err(e) => return Err(e),
    };
    conn.close();
    Ok(map)
}
