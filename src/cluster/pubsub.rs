//! Pub/sub on a cluster: classic channels and patterns on one node, sharded channels on the
//! primary of each channel's slot, all delivered into one channel.
//!
//! Owns: [`ClusterSubscriber`]. Classic `SUBSCRIBE`/`PSUBSCRIBE` go to one subscriber whose
//! connector picks a reachable node of the slot map each time it connects (a cluster delivers
//! every `PUBLISH` to every node). Sharded `SSUBSCRIBE` channels are grouped by the primary
//! serving their slot, one [`Subscriber`] per such node; when a node's connection is lost, or a
//! node drops or refuses a sharded subscription because its slot moved (failover, resharding),
//! a watcher thread refreshes the slot map and moves the channels to their new owners, again
//! until every channel is confirmed where it belongs.
//!
//! Must not: share connections with commands, or lose a sharded channel: a channel is only
//! forgotten by the node it leaves once it is subscribed (or being subscribed) on the new one.

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::{Inner, RedisCluster};
use crate::args::ToArgs;
use crate::config::{Addr, Config};
use crate::connection::{connect, Connection, Connector};
use crate::error::{Error, ErrorKind, Result};
use crate::pubsub::{Message, Subscriber, SubscriberOptions, Watch, Watched};
use crate::route::key_slot;

/// How long the watcher waits between two attempts to settle the sharded channels.
const SETTLE_PAUSE: Duration = Duration::from_millis(250);

/// A subscriber to a cluster, from [`RedisCluster::pubsub`]: classic channels and patterns
/// (published anywhere in the cluster) and sharded channels (`SSUBSCRIBE`, published with
/// `SPUBLISH` to the channel's slot), all received through one channel.
///
/// ```no_run
/// use coredis::prelude::*;
/// let c = coredis::RedisCluster::from_url("redis://127.0.0.1:7000")?;
/// let sub = c.pubsub()?;
/// sub.subscribe("news")?;
/// sub.ssubscribe(["orders:{eu}", "orders:{us}"])?;  // on the primaries of their slots
/// c.spublish("orders:{eu}", "o-1")?;
/// let m = sub.recv()?;
/// assert!(m.sharded);
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// Sharded channels follow their slot: after a failover or a resharding they are subscribed
/// again on the new primary without any action (messages published meanwhile are lost, as
/// with any pub/sub reconnection).
pub struct ClusterSubscriber {
    shared: Arc<Shared>,
    rx: Receiver<Message>,
    /// Classic channels and patterns.
    main: Subscriber,
}

/// What the watcher thread and the user's threads share.
struct Shared {
    cluster: RedisCluster,
    options: SubscriberOptions,
    tx: Sender<Message>,
    rx: Receiver<Message>,
    state: Mutex<Shards>,
    /// Wakes the watcher (bounded(1): wake-ups coalesce).
    wake: Sender<()>,
}

/// The sharded subscriptions: one subscriber per node, and where each channel is.
#[derive(Default)]
struct Shards {
    nodes: HashMap<Addr, Subscriber>,
    channels: BTreeMap<Bytes, Addr>,
    closed: bool,
}

impl std::fmt::Debug for ClusterSubscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.state.lock();
        f.debug_struct("ClusterSubscriber")
            .field("classic", &self.main)
            .field("sharded_channels", &state.channels.len())
            .field("shard_nodes", &state.nodes.len())
            .finish()
    }
}

impl RedisCluster {
    /// A subscriber with the default [`SubscriberOptions`] (see [`ClusterSubscriber`]).
    ///
    /// # Errors
    /// When no node of the slot map can be connected to.
    pub fn pubsub(&self) -> Result<ClusterSubscriber> {
        self.pubsub_with(SubscriberOptions::new())
    }

    /// A subscriber with `options` (capacity and overflow policy of the shared channel;
    /// events and handlers are not offered on a cluster subscriber).
    ///
    /// # Errors
    /// When no node of the slot map can be connected to.
    pub fn pubsub_with(&self, options: SubscriberOptions) -> Result<ClusterSubscriber> {
        let (tx, rx) = crossbeam_channel::bounded(options.channel_capacity());
        let options = options.events(false).confirmations(false);
        let main = Subscriber::start(
            self.inner().config.node_config().clone(),
            Arc::new(AnyNode {
                cluster: Arc::downgrade(self.inner()),
            }),
            &options,
            (tx.clone(), rx.clone()),
            None,
        )?;
        let (wake, woken) = crossbeam_channel::bounded(1);
        let shared = Arc::new(Shared {
            cluster: self.clone(),
            options,
            tx,
            rx: rx.clone(),
            state: Mutex::new(Shards::default()),
            wake,
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("coredis-cluster-pubsub".into())
            .spawn(move || watch_loop(&weak, &woken))
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    "could not start the subscriber's watcher thread",
                )
                .with_source(e)
            })?;
        Ok(ClusterSubscriber { shared, rx, main })
    }
}

impl ClusterSubscriber {
    /// Subscribes to classic `channels` (see [`Subscriber::subscribe`]).
    ///
    /// # Errors
    /// As [`Subscriber::subscribe`].
    pub fn subscribe(&self, channels: impl ToArgs) -> Result<()> {
        self.main.subscribe(channels)
    }

    /// Subscribes to `patterns` (see [`Subscriber::psubscribe`]).
    ///
    /// # Errors
    /// As [`Subscriber::psubscribe`].
    pub fn psubscribe(&self, patterns: impl ToArgs) -> Result<()> {
        self.main.psubscribe(patterns)
    }

    /// Unsubscribes from classic `channels`.
    ///
    /// # Errors
    /// As [`Subscriber::unsubscribe`].
    pub fn unsubscribe(&self, channels: impl ToArgs) -> Result<()> {
        self.main.unsubscribe(channels)
    }

    /// Unsubscribes from `patterns`.
    ///
    /// # Errors
    /// As [`Subscriber::punsubscribe`].
    pub fn punsubscribe(&self, patterns: impl ToArgs) -> Result<()> {
        self.main.punsubscribe(patterns)
    }

    /// Subscribes to sharded `channels` on the primaries of their slots and returns once each
    /// confirmed.
    ///
    /// # Errors
    /// [`ErrorKind::Usage`] for an empty list; those of [`Subscriber::ssubscribe`] and of
    /// connecting to a node. A channel whose subscription failed is retried by the watcher
    /// when it reacts to the next topology change.
    pub fn ssubscribe(&self, channels: impl ToArgs) -> Result<()> {
        let names = words(channels)?;
        let mut state = self.shared.state.lock();
        if state.closed {
            return Err(Error::new(ErrorKind::Closed, "the subscriber is closed"));
        }
        let mut first_error = None;
        for (addr, group) in self.shared.by_owner(&names)? {
            if let Err(e) = self.shared.subscribe_on(&mut state, &addr, group) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Unsubscribes from sharded `channels`.
    ///
    /// # Errors
    /// [`ErrorKind::Usage`] for an empty list; those of [`Subscriber::sunsubscribe`].
    pub fn sunsubscribe(&self, channels: impl ToArgs) -> Result<()> {
        let names = words(channels)?;
        let mut state = self.shared.state.lock();
        let mut per_node: HashMap<Addr, Vec<Bytes>> = HashMap::new();
        for n in names {
            if let Some(addr) = state.channels.remove(&n) {
                per_node.entry(addr).or_default().push(n);
            }
        }
        let mut result = Ok(());
        for (addr, group) in per_node {
            if let Some(sub) = state.nodes.get(&addr) {
                for n in group {
                    if let Err(e) = sub.sunsubscribe(&n[..]) {
                        result = Err(e);
                    }
                }
            }
        }
        state.nodes.retain(|_, s| s.subscriptions() > 0);
        result
    }

    /// Waits for the next message.
    ///
    /// # Errors
    /// [`ErrorKind::Closed`] once the subscriber is closed and every queued message was read.
    pub fn recv(&self) -> Result<Message> {
        self.rx
            .recv()
            .map_err(|_| Error::new(ErrorKind::Closed, "the subscriber is closed"))
    }

    /// Waits at most `timeout` for the next message; `None` when none came.
    ///
    /// # Errors
    /// As [`ClusterSubscriber::recv`].
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<Message>> {
        match self.rx.recv_timeout(timeout) {
            Ok(m) => Ok(Some(m)),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => Ok(None),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                Err(Error::new(ErrorKind::Closed, "the subscriber is closed"))
            }
        }
    }

    /// The next message if one is queued.
    pub fn try_recv(&self) -> Option<Message> {
        self.rx.try_recv().ok()
    }

    /// The channel the messages arrive on, to `select!` over with other channels.
    pub fn receiver(&self) -> &Receiver<Message> {
        &self.rx
    }

    /// The sharded channels held, with the node each is subscribed on.
    pub fn shard_channels(&self) -> Vec<(Bytes, Addr)> {
        let state = self.shared.state.lock();
        state
            .channels
            .iter()
            .map(|(c, a)| (c.clone(), a.clone()))
            .collect()
    }

    /// Closes every connection and stops the threads (dropping the subscriber does the same).
    pub fn close(&self) {
        let nodes: Vec<Subscriber> = {
            let mut state = self.shared.state.lock();
            state.closed = true;
            state.channels.clear();
            state.nodes.drain().map(|(_, s)| s).collect()
        };
        for s in nodes {
            s.close();
        }
        self.main.close();
        let _ = self.shared.wake.try_send(());
    }
}

impl Drop for ClusterSubscriber {
    fn drop(&mut self) {
        self.close();
    }
}

impl Shared {
    /// `names` grouped by the primary serving their slots.
    fn by_owner(&self, names: &[Bytes]) -> Result<HashMap<Addr, Vec<Bytes>>> {
        let inner = self.cluster.inner();
        let map = inner.map.read();
        let mut out: HashMap<Addr, Vec<Bytes>> = HashMap::new();
        for n in names {
            let slot = key_slot(n);
            let shard = map.shard(slot).ok_or_else(|| {
                Error::new(
                    ErrorKind::Io,
                    format!("no node serves slot {slot} in the cluster's slot map"),
                )
            })?;
            out.entry(shard.primary.clone())
                .or_default()
                .push(n.clone());
        }
        Ok(out)
    }

    /// Subscribes `names` on the node at `addr` (opening its subscriber if needed), one
    /// `SSUBSCRIBE` per slot, and records where they are.
    fn subscribe_on(
        self: &Arc<Self>,
        state: &mut Shards,
        addr: &Addr,
        names: Vec<Bytes>,
    ) -> Result<()> {
        if !state.nodes.contains_key(addr) {
            let sub = self.open(addr)?;
            state.nodes.insert(addr.clone(), sub);
        }
        let sub = state
            .nodes
            .get(addr)
            .ok_or_else(|| Error::new(ErrorKind::Closed, "the node's subscriber is gone"))?;
        for n in &names {
            state.channels.insert(n.clone(), addr.clone());
        }
        let mut by_slot: BTreeMap<u16, Vec<Bytes>> = BTreeMap::new();
        for n in names {
            by_slot.entry(key_slot(&n)).or_default().push(n);
        }
        for group in by_slot.into_values() {
            sub.ssubscribe(group)?;
        }
        Ok(())
    }

    /// A subscriber on the node at `addr`, reporting to the watcher.
    fn open(self: &Arc<Self>, addr: &Addr) -> Result<Subscriber> {
        let config = self
            .cluster
            .inner()
            .config
            .node_config()
            .for_node(addr.clone(), false);
        let wake = self.wake.clone();
        let watch: Watch = Arc::new(move |w: Watched| {
            log::debug!("coredis: a sharded subscriber needs attention: {w:?}");
            let _ = wake.try_send(());
        });
        Subscriber::start(
            config,
            Arc::new(crate::connection::ConfiguredAddr),
            &self.options,
            (self.tx.clone(), self.rx.clone()),
            Some(watch),
        )
    }

    /// Moves every sharded channel to the primary serving its slot now. True when every
    /// channel is confirmed where it belongs.
    fn settle(self: &Arc<Self>) -> bool {
        let mut state = self.state.lock();
        if state.closed {
            return true;
        }
        // Channels the nodes dropped by themselves (slot moved) are still ours.
        let held: Vec<(Bytes, Addr)> = state
            .channels
            .iter()
            .map(|(c, a)| (c.clone(), a.clone()))
            .collect();
        let names: Vec<Bytes> = held.iter().map(|(c, _)| c.clone()).collect();
        let Ok(owners) = self.by_owner(&names) else {
            return false;
        };
        let mut settled = true;
        for (addr, group) in owners {
            let moving: Vec<Bytes> = group
                .iter()
                .filter(|c| state.channels.get(*c) != Some(&addr))
                .cloned()
                .collect();
            let missing: Vec<Bytes> = match state.nodes.get(&addr) {
                Some(sub) => {
                    let there = sub.shard_channels();
                    group
                        .iter()
                        .filter(|c| !there.contains(c))
                        .cloned()
                        .collect()
                }
                None => group.clone(),
            };
            for c in &moving {
                if let Some(old) = state.channels.get(c).cloned() {
                    if let Some(sub) = state.nodes.get(&old) {
                        sub.forget_shard_channels(std::slice::from_ref(c));
                    }
                }
            }
            let todo: Vec<Bytes> = moving
                .into_iter()
                .chain(missing)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if !todo.is_empty() {
                log::info!(
                    "coredis: subscribing {} sharded channel(s) on {addr}",
                    todo.len()
                );
                if let Err(e) = self.subscribe_on(&mut state, &addr, todo) {
                    log::warn!("coredis: sharded channels not subscribed on {addr} yet: {e}");
                    settled = false;
                }
            }
        }
        // Nodes left without channels are closed.
        let empty: Vec<Addr> = state
            .nodes
            .iter()
            .filter(|(a, _)| !state.channels.values().any(|c| c == *a))
            .map(|(a, _)| a.clone())
            .collect();
        for a in empty {
            if let Some(s) = state.nodes.remove(&a) {
                s.close();
            }
        }
        settled && state.nodes.values().all(Subscriber::all_confirmed)
    }
}

/// The watcher: parked until a node subscriber reports trouble, then refreshes the slot map
/// and settles the sharded channels, again every [`SETTLE_PAUSE`] until they are settled.
fn watch_loop(shared: &Weak<Shared>, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        loop {
            let Some(s) = shared.upgrade() else { return };
            if s.state.lock().closed {
                return;
            }
            std::thread::sleep(SETTLE_PAUSE);
            while woken.try_recv().is_ok() {}
            if let Err(e) = s.cluster.refresh_slots() {
                log::debug!("coredis: slot map refresh for the subscriber failed: {e}");
            }
            if s.settle() {
                break;
            }
            drop(s);
            // Not settled: try again after a pause, or earlier when woken.
            match woken.recv_timeout(SETTLE_PAUSE) {
                Ok(()) | Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
            }
        }
    }
}

/// The words of `channels`, as the subscriber keys them.
fn words(channels: impl ToArgs) -> Result<Vec<Bytes>> {
    let cmd = crate::cmd::Cmd::<crate::value::Value>::new("SSUBSCRIBE")
        .args(channels)
        .required("channels");
    cmd.request().check_valid()?;
    Ok(cmd
        .request()
        .args()
        .skip(1)
        .map(Bytes::copy_from_slice)
        .collect())
}

/// Connects to a reachable node of the slot map (primaries first, in turn), for the classic
/// subscriber: a cluster delivers every `PUBLISH` to every node.
struct AnyNode {
    cluster: Weak<Inner>,
}

impl Connector for AnyNode {
    fn connect(&self, config: &Config) -> Result<Connection> {
        let Some(inner) = self.cluster.upgrade() else {
            return Err(Error::new(
                ErrorKind::Closed,
                "the cluster client is closed",
            ));
        };
        let addrs = inner.map.read().addrs();
        let start = Instant::now();
        let mut last = None;
        for addr in addrs {
            match connect(&config.for_node(addr, false)) {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
            if start.elapsed() > config.connect_timeout() {
                break;
            }
        }
        Err(last.unwrap_or_else(|| Error::new(ErrorKind::Io, "the slot map names no node")))
    }
}
