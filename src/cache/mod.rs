//! Client-side caching: replies of read commands kept in the client, dropped when the server
//! says their keys changed (`CLIENT TRACKING`).
//!
//! Owns: the settings ([`CacheConfig`], [`TrackingMode`]), the statistics ([`CacheStats`]), the
//! shared cache of one client ([`Cache`]: which commands are cacheable, lookups, the bookkeeping
//! of reads in flight, local invalidation of the client's own writes), the per-node tracking
//! ([`tracker`]: the invalidation connection and the data connection's `CLIENT TRACKING`).
//!
//! Must not: serve an entry after its invalidation was received, store a reply whose read
//! raced with an invalidation of one of its keys, grow past its budget, or slow down clients
//! that did not ask for a cache (they have none: every hook is behind an `Option`).
//!
//! # How it works
//!
//! - Each node a client talks to gets one more connection of its own, the *invalidation
//!   connection*: subscribed to `__redis__:invalidate`, read by its own thread, reconnected with
//!   back-off. The node's shared connection turns tracking on with `CLIENT TRACKING on REDIRECT
//!   <id of the invalidation connection>` in its handshake (plus `BCAST PREFIX …` in broadcast
//!   mode), so the server sends the invalidations of every key that connection read to the
//!   invalidation connection — as RESP3 push frames (`>invalidate`) under RESP3, as pub/sub
//!   messages under RESP2. Its thread drops the entries as they arrive.
//! - A cacheable read ([`is_cacheable`]) is answered from the cache when its reply is there;
//!   otherwise it is sent, and its reply stored, unless one of its keys was invalidated (or the
//!   cache cleared) between sending and storing: each read registers its keys before it is
//!   sent, and an invalidation marks the registered keys.
//! - Replies are stored in the order the server ran their requests: a read sent earlier whose
//!   thread stores its reply later than a read of the same key sent after it stores nothing, so
//!   no reader sees a key go back in time.
//! - Writes of the client itself drop their keys from the cache once they are sent, and reads
//!   of those keys sent before them store nothing (the server's invalidation comes too, but
//!   possibly after the writer's next read).
//! - A null invalidation (`FLUSHALL`, `FLUSHDB`), the loss of the invalidation connection or of
//!   the shared connection, and a change of a cluster's slot map clear everything. While the
//!   invalidation connection is down, nothing is served from the cache or stored in it.
//!
//! Why a separate invalidation connection under RESP3 too (instead of the push frames on the
//! shared connection): the shared connection has no reader while it is idle — the waiting
//! caller reads (see `pipe/`) — so an invalidation arriving while nobody waits would sit in the
//! socket while cache hits (which send nothing) go on serving the old value. Giving the shared
//! connection a reader that watches it while idle costs a thread hand-off per command (a design
//! with a reader thread measured 0.5–0.8× a connection per thread: see the `pipe` module's
//! docs); the invalidation connection's thread costs nothing per command.

mod store;
pub(crate) mod tracker;

use bytes::Bytes;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::cmd::Request;
pub(crate) use store::{Keys, Sent};
use store::{Store, Token};

/// Default [`CacheConfig::max_bytes`]: 64 MiB.
pub const DEFAULT_CACHE_MAX_BYTES: usize = 64 * 1024 * 1024;
/// Default [`CacheConfig::max_entries`]: 100,000.
pub const DEFAULT_CACHE_MAX_ENTRIES: usize = 100_000;

/// Client-side caching settings, given to [`crate::ConfigBuilder::cache`].
///
/// ```no_run
/// use coredis::prelude::*;
/// use coredis::{CacheConfig, Config, Redis};
///
/// let config = Config::builder()
///     .cache(CacheConfig { max_bytes: 16 << 20, ..CacheConfig::default() })
///     .build()?;
/// let r = Redis::new(config)?;
/// r.set("greeting", "hello")?;
/// let a: String = r.get("greeting")?; // from the server; the reply is kept
/// let b: String = r.get("greeting")?; // from the cache
/// assert_eq!(a, b);
/// let stats = r.cache_stats().expect("caching is on");
/// assert_eq!(stats.hits, 1);
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// The most bytes the cached replies may take (replies, requests and keys, plus about
    /// 100 bytes of bookkeeping per entry); the least recently used go first. Default
    /// [`DEFAULT_CACHE_MAX_BYTES`]. For a cluster client the budget is for the whole client.
    pub max_bytes: usize,
    /// The most entries; the least recently used go first. Default
    /// [`DEFAULT_CACHE_MAX_ENTRIES`].
    pub max_entries: usize,
    /// How the server tracks keys. Default [`TrackingMode::Default`].
    pub mode: TrackingMode,
}

impl Default for CacheConfig {
    fn default() -> CacheConfig {
        CacheConfig {
            max_bytes: DEFAULT_CACHE_MAX_BYTES,
            max_entries: DEFAULT_CACHE_MAX_ENTRIES,
            mode: TrackingMode::Default,
        }
    }
}

/// How the server tracks the keys of a caching client (`CLIENT TRACKING`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TrackingMode {
    /// The server remembers every key the client read and tells when one changes (costs server
    /// memory per key read; invalidations only for keys the client holds).
    #[default]
    Default,
    /// `BCAST`: the server tells about every change of a key that starts with one of the
    /// prefixes (all keys when empty), read or not. Only keys with one of the prefixes are
    /// cached. No server memory per key; more invalidation traffic.
    Broadcast {
        /// The key prefixes (`PREFIX …`); empty for all keys.
        prefixes: Vec<String>,
    },
}

/// What a client's cache did so far, from [`crate::Redis::cache_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Cacheable reads sent to the server.
    pub misses: u64,
    /// Keys invalidated: by the server, or by the client's own writes.
    pub invalidations: u64,
    /// Entries dropped to stay within the budget.
    pub evictions: u64,
    /// Times everything was dropped (null invalidation, lost connection, new slot map).
    pub clears: u64,
    /// Bytes the entries take now.
    pub bytes: usize,
    /// Entries now.
    pub entries: usize,
}

/// The commands whose replies may be cached: read-only, deterministic, answered from their
/// keys alone. Matched by name, case-insensitively; the request must also be marked read-only
/// and name its keys (every command method does).
pub const CACHEABLE_COMMANDS: &[&str] = &[
    "BITCOUNT",
    "BITPOS",
    "EXISTS",
    "GEODIST",
    "GEOHASH",
    "GEOPOS",
    "GET",
    "GETBIT",
    "GETRANGE",
    "HEXISTS",
    "HGET",
    "HGETALL",
    "HKEYS",
    "HLEN",
    "HMGET",
    "HSTRLEN",
    "HVALS",
    "LINDEX",
    "LLEN",
    "LPOS",
    "LRANGE",
    "MGET",
    "SCARD",
    "SISMEMBER",
    "SMEMBERS",
    "SMISMEMBER",
    "STRLEN",
    "TYPE",
    "XLEN",
    "ZCARD",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZMSCORE",
    "ZRANGE",
    "ZRANGEBYLEX",
    "ZRANGEBYSCORE",
    "ZRANK",
    "ZREVRANGE",
    "ZREVRANGEBYLEX",
    "ZREVRANGEBYSCORE",
    "ZREVRANK",
    "ZSCORE",
];

/// Whether `request`'s reply may be cached (see [`CACHEABLE_COMMANDS`]).
pub fn is_cacheable(request: &Request) -> bool {
    request.is_readonly()
        && !request.is_blocking()
        && !request.key_positions().is_empty()
        && CACHEABLE_COMMANDS
            .iter()
            .any(|c| c.eq_ignore_ascii_case(request.name()))
}

/// What the cache says about a request about to be sent.
pub(crate) enum Lookup {
    /// The reply, from the cache.
    Hit(Bytes),
    /// Not cached: send it, and store its reply through the [`Fill`].
    Miss(Fill),
    /// A write of these keys: once it is sent, [`Cache::fence`] them.
    Write(Keys),
    /// Not for the cache (not cacheable, or the cache is not ready).
    Pass,
}

/// The cache of one client (shared by the nodes of a cluster client).
pub(crate) struct Cache {
    config: CacheConfig,
    store: Mutex<Store>,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
    evictions: AtomicU64,
    clears: AtomicU64,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Cache {
    pub(crate) fn new(config: CacheConfig) -> Arc<Cache> {
        Arc::new(Cache {
            store: Mutex::new(Store::new(config.max_bytes, config.max_entries)),
            config,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            clears: AtomicU64::new(0),
        })
    }

    /// The settings.
    pub(crate) fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// What to do with `request`: answer it, fill the cache with its reply, fence the keys it
    /// writes, or nothing. `ready`: the node's connection is tracked by a live invalidation
    /// connection (when not, nothing is served or stored).
    pub(crate) fn lookup(self: &Arc<Cache>, request: &Request, ready: bool) -> Lookup {
        if !request.is_readonly() {
            if request.key_positions().is_empty() {
                return Lookup::Pass;
            }
            return Lookup::Write(request.keys().map(Bytes::copy_from_slice).collect());
        }
        if !is_cacheable(request) || !self.tracks_all(request) {
            return Lookup::Pass;
        }
        if !ready {
            self.misses.fetch_add(1, Ordering::Relaxed);
            return Lookup::Pass;
        }
        let encoded = request.encoded_args();
        if let Some(frame) = self.store.lock().get(encoded) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Lookup::Hit(frame);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let keys: Keys = request.keys().map(Bytes::copy_from_slice).collect();
        let token = self.store.lock().begin(&keys);
        Lookup::Miss(Fill {
            cache: self.clone(),
            token: Some(token),
            request: Bytes::copy_from_slice(encoded),
            keys,
        })
    }

    /// Whether the server tracks every key of `request` (in broadcast mode, only keys with one
    /// of the prefixes are).
    fn tracks_all(&self, request: &Request) -> bool {
        match &self.config.mode {
            TrackingMode::Default => true,
            TrackingMode::Broadcast { prefixes } if prefixes.is_empty() => true,
            TrackingMode::Broadcast { prefixes } => request
                .keys()
                .all(|k| prefixes.iter().any(|p| k.starts_with(p.as_bytes()))),
        }
    }

    /// Drops the entries of `keys`; their reads in flight store nothing.
    pub(crate) fn invalidate_keys<'k>(&self, keys: impl Iterator<Item = &'k [u8]>) {
        let mut n = 0;
        {
            let mut store = self.store.lock();
            for k in keys {
                store.invalidate(k);
                n += 1;
            }
        }
        self.invalidations.fetch_add(n, Ordering::Relaxed);
    }

    /// The client wrote `keys` with a request sent as `sent` (or, for a write on another
    /// connection, `sent` is the pipe's latest request once the write's reply is in): their
    /// entries go, and reads of them sent before it (which may hold the old values) store
    /// nothing — so the writer reads its own write at once, without waiting for the server's
    /// invalidation.
    pub(crate) fn fence<'k>(&self, keys: impl Iterator<Item = &'k [u8]>, sent: Sent) {
        let mut n = 0;
        {
            let mut store = self.store.lock();
            for k in keys {
                store.fence(k, sent);
                n += 1;
            }
        }
        self.invalidations.fetch_add(n, Ordering::Relaxed);
    }

    /// Drops everything; reads in flight store nothing.
    pub(crate) fn clear(&self) {
        self.store.lock().clear();
        self.clears.fetch_add(1, Ordering::Relaxed);
    }

    /// The statistics so far.
    pub(crate) fn stats(&self) -> CacheStats {
        let (bytes, entries) = {
            let s = self.store.lock();
            (s.bytes(), s.len())
        };
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            clears: self.clears.load(Ordering::Relaxed),
            bytes,
            entries,
        }
    }

    fn finish(&self, token: Token, request: Bytes, keys: Keys, frame: Option<(Bytes, Sent)>) {
        let (_, removed) = self.store.lock().finish(token, request, keys, frame);
        if removed.evicted > 0 {
            self.evictions.fetch_add(removed.evicted, Ordering::Relaxed);
        }
    }
}

/// A cacheable read in flight: stores its reply when it comes (unless invalidated meanwhile);
/// dropped without a reply, it only ends the read.
pub(crate) struct Fill {
    cache: Arc<Cache>,
    token: Option<Token>,
    request: Bytes,
    keys: Keys,
}

impl Fill {
    /// The read's reply came, `sent` as the request's place in the order the server ran
    /// requests (its pipe, and its place there): stored unless it is an error reply.
    pub(crate) fn store(mut self, frame: &Bytes, sent: Sent) {
        let Some(token) = self.token.take() else {
            return;
        };
        let keep = !matches!(frame.first(), Some(b'-' | b'!') | None);
        // A copy: the frame is a view into a whole read buffer, which must not stay alive.
        let frame = keep.then(|| Bytes::copy_from_slice(frame));
        let request = std::mem::take(&mut self.request);
        let keys = std::mem::take(&mut self.keys);
        self.cache
            .finish(token, request, keys, frame.map(|f| (f, sent)));
    }
}

impl Drop for Fill {
    fn drop(&mut self) {
        if let Some(token) = self.token.take() {
            let request = std::mem::take(&mut self.request);
            let keys = std::mem::take(&mut self.keys);
            self.cache.finish(token, request, keys, None);
        }
    }
}
