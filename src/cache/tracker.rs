//! Tracking for one node: the invalidation connection, and the connector of the node's shared
//! connection that turns `CLIENT TRACKING` on with a redirect to it.
//!
//! Owns: [`Tracker`] (the invalidation connection, started on the shared connection's first
//! connect; whether the node's cached replies may be used), [`TrackingConnector`] (wraps the
//! node's [`Connector`] for the shared connection), and the parsing of invalidation messages
//! (RESP3 `>invalidate` push frames, RESP2 `__redis__:invalidate` pub/sub messages).
//!
//! Must not: serve or store anything while the invalidation connection is down or not yet
//! confirmed, or hold its lock while connecting the shared connection.

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Instant;

use super::{Cache, Lookup, TrackingMode};
use crate::cmd::Request;
use crate::config::Config;
use crate::connection::{ConnInfo, ConnWriter, Connection, Connector};
use crate::error::{Error, ErrorKind, Result};
use crate::pipe::Pipe;
use crate::resp;
use crate::stream::{StreamHandler, Streaming};
use crate::value::Value;

/// The channel RESP2 invalidations come on.
const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// Tracking of one node's shared connection.
pub(crate) struct Tracker {
    link: Arc<Link>,
    listener: Mutex<Option<Streaming>>,
    inner: Arc<dyn Connector>,
    config: Config,
    /// The shared connection was connected before (a new one must clear the cache).
    connected_before: AtomicBool,
    /// The last `PING` nonce sent on the invalidation connection.
    nonce: AtomicU64,
}

/// What the tracker, its connector and the invalidation connection's handler share.
struct Link {
    cache: Arc<Cache>,
    /// The shared connection is tracked, redirecting to the current invalidation connection.
    ready: AtomicBool,
    /// The id of the invalidation connection once its subscription is confirmed; `None` while
    /// it is down or connecting.
    listener: Mutex<ListenerId>,
    confirmed: Condvar,
    /// The node's shared pipe, to reconnect it (and so redirect it anew) when the invalidation
    /// connection was replaced.
    pipe: OnceLock<Weak<Pipe>>,
}

#[derive(Default)]
struct ListenerId {
    /// From the handshake of the current invalidation connection.
    connecting: Option<i64>,
    /// Once its subscription is confirmed.
    confirmed: Option<i64>,
    /// The address it is connected to (as its connector names it).
    addr: String,
    /// The last `PING` nonce it got back.
    pong: u64,
}

impl Tracker {
    /// Tracking for the node that `config` and `inner` connect to, filling `cache`.
    pub(crate) fn new(config: Config, inner: Arc<dyn Connector>, cache: Arc<Cache>) -> Tracker {
        Tracker {
            link: Arc::new(Link {
                cache,
                ready: AtomicBool::new(false),
                listener: Mutex::new(ListenerId::default()),
                confirmed: Condvar::new(),
                pipe: OnceLock::new(),
            }),
            listener: Mutex::new(None),
            inner,
            config,
            connected_before: AtomicBool::new(false),
            nonce: AtomicU64::new(0),
        }
    }

    /// The cache.
    pub(crate) fn cache(&self) -> &Arc<Cache> {
        &self.link.cache
    }

    /// Tells the tracker the node's shared pipe (once it exists).
    pub(crate) fn set_pipe(&self, pipe: &Arc<Pipe>) {
        let _ = self.link.pipe.set(Arc::downgrade(pipe));
    }

    /// What the cache says about `request`.
    pub(crate) fn lookup(&self, request: &Request) -> Lookup {
        let ready = self.link.ready.load(Ordering::Acquire);
        self.link.cache.lookup(request, ready)
    }

    /// Closes the invalidation connection.
    pub(crate) fn close(&self) {
        self.link.ready.store(false, Ordering::Release);
        self.restart_listener();
    }

    /// Closes the invalidation connection; the next connect of the shared connection opens a
    /// new one.
    fn restart_listener(&self) {
        let listener = self.listener.lock().take();
        if let Some(l) = listener {
            l.close();
        }
    }

    /// The id of the confirmed invalidation connection, starting it if there is none, waiting
    /// for its confirmation until `deadline`.
    fn listener_id(&self, deadline: Instant) -> Result<i64> {
        {
            let mut listener = self.listener.lock();
            if !listener.as_ref().is_some_and(|l| !l.is_closed()) {
                let handler = Arc::new(Invalidations {
                    link: self.link.clone(),
                    timeout: self.config.response_timeout(),
                });
                let name = format!("coredis-invalidations {}", self.config.addr());
                *listener = Some(Streaming::start(
                    self.config.clone(),
                    self.inner.clone(),
                    handler,
                    &name,
                )?);
            }
        }
        let mut id = self.link.listener.lock();
        loop {
            if let Some(id) = id.confirmed {
                return Ok(id);
            }
            if self
                .link
                .confirmed
                .wait_until(&mut id, deadline)
                .timed_out()
            {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "the invalidation connection of the client-side cache did not confirm its \
                     subscription in time",
                ));
            }
        }
    }

    /// Checks, once the shared connection is open and tracked with a redirect to `id`, that
    /// the invalidation connection `id` is on the same server (`addr`) and still alive there:
    /// a `PING` round trip on it, started now. Client ids are small counters per server
    /// process, so after a restart or a failover an old id may name another client of the
    /// new server; the invalidations would go to it.
    fn verify_listener(&self, id: i64, addr: &str, deadline: Instant) -> Result<()> {
        let mismatch = |why: &str| {
            Error::new(
                ErrorKind::Closed,
                format!("the client-side cache's invalidation connection {why}; reconnecting"),
            )
            .with_node(addr)
        };
        {
            let l = self.link.listener.lock();
            if l.confirmed != Some(id) {
                return Err(mismatch("was replaced while connecting"));
            }
            if l.addr != addr {
                drop(l);
                self.restart_listener();
                return Err(mismatch("is on another server"));
            }
        }
        let nonce = self.nonce.fetch_add(1, Ordering::Relaxed) + 1;
        let mut ping = Vec::new();
        let text = nonce.to_string();
        resp::encode_command(&mut ping, &[&b"PING"[..], text.as_bytes()]);
        let written = self
            .listener
            .lock()
            .as_ref()
            .is_some_and(|l| l.write(&ping, deadline));
        if !written {
            return Err(mismatch("is down"));
        }
        let mut l = self.link.listener.lock();
        loop {
            if l.confirmed != Some(id) {
                return Err(mismatch("was lost"));
            }
            if l.pong >= nonce {
                return Ok(());
            }
            if self.link.confirmed.wait_until(&mut l, deadline).timed_out() {
                drop(l);
                self.restart_listener();
                return Err(mismatch("did not answer a PING in time"));
            }
        }
    }

    /// `CLIENT TRACKING on REDIRECT <id>` and the mode's options.
    fn tracking_args(&self, id: i64) -> Vec<Vec<u8>> {
        let mut args: Vec<Vec<u8>> = vec![
            b"CLIENT".to_vec(),
            b"TRACKING".to_vec(),
            b"ON".to_vec(),
            b"REDIRECT".to_vec(),
            id.to_string().into_bytes(),
        ];
        if let TrackingMode::Broadcast { prefixes } = &self.link.cache.config().mode {
            args.push(b"BCAST".to_vec());
            for p in prefixes {
                args.push(b"PREFIX".to_vec());
                args.push(p.as_bytes().to_vec());
            }
        }
        args
    }
}

/// The connector of a caching node's shared connection: every connection it opens is tracked,
/// redirecting to the node's invalidation connection; opening one clears the cache (what the
/// old connection read is tracked no more).
pub(crate) struct TrackingConnector(pub(crate) Arc<Tracker>);

impl Connector for TrackingConnector {
    fn connect(&self, config: &Config) -> Result<Connection> {
        let t = &self.0;
        t.link.ready.store(false, Ordering::Release);
        // A first connection has nothing read through it to forget (a cluster client's nodes
        // connect one by one, sharing one cache).
        if t.connected_before.swap(true, Ordering::AcqRel) {
            t.link.cache.clear();
        }
        let deadline = Instant::now() + config.connect_timeout();
        let id = t.listener_id(deadline)?;
        let conn = match t.inner.connect(&config.with_tracking(t.tracking_args(id))) {
            Ok(conn) => conn,
            Err(e) => {
                if e.command() == Some("CLIENT TRACKING") {
                    // The invalidation connection is not on this server (a topology moved the
                    // node: a Sentinel failover): the next attempt opens a new one.
                    t.restart_listener();
                }
                return Err(e);
            }
        };
        if let Err(e) = t.verify_listener(id, &conn.info.addr, deadline) {
            conn.closer.shutdown();
            return Err(e);
        }
        t.link.ready.store(true, Ordering::Release);
        Ok(conn)
    }
}

/// The invalidation connection's handler.
struct Invalidations {
    link: Arc<Link>,
    /// How long writing the subscription may take.
    timeout: std::time::Duration,
}

impl Invalidations {
    /// Nothing may be served or stored until the shared connection is tracked again.
    fn lost(&self) {
        self.link.ready.store(false, Ordering::Release);
        *self.link.listener.lock() = ListenerId::default();
        self.link.confirmed.notify_all();
        self.link.cache.clear();
    }

    /// `keys` (an array of keys, or null for everything) were invalidated.
    fn invalidate(&self, keys: Value) -> Result<()> {
        match keys {
            Value::Nil => self.link.cache.clear(),
            Value::Array(keys) | Value::Set(keys) | Value::Push(keys) => {
                let keys: Vec<Bytes> = keys
                    .into_iter()
                    .filter_map(|k| match k {
                        Value::Bulk(b) | Value::SimpleString(b) => Some(b),
                        _ => None,
                    })
                    .collect();
                self.link
                    .cache
                    .invalidate_keys(keys.iter().map(|k| k.as_ref()));
            }
            other => {
                return Err(Error::protocol(format!(
                    "an invalidation message with {} instead of keys",
                    other.describe()
                )))
            }
        }
        Ok(())
    }
}

impl Invalidations {
    /// A `PING` came back with `nonce`.
    fn pong(&self, nonce: &[u8]) {
        let Some(n) = std::str::from_utf8(nonce)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
        else {
            return;
        };
        let mut l = self.link.listener.lock();
        l.pong = l.pong.max(n);
        self.link.confirmed.notify_all();
    }
}

impl StreamHandler for Invalidations {
    fn on_connected(&self, info: &ConnInfo) -> Result<()> {
        let id = info.client_id.ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "client-side caching needs a server with HELLO and CLIENT TRACKING (Redis 6 \
                 or later)",
            )
            .with_node(&info.addr)
        })?;
        let mut l = self.link.listener.lock();
        l.connecting = Some(id);
        l.confirmed = None;
        l.addr = info.addr.clone();
        Ok(())
    }

    fn on_connect(&self, writer: &mut ConnWriter, reconnected: bool) -> Result<()> {
        let mut out = Vec::new();
        resp::encode_command(&mut out, &[&b"SUBSCRIBE"[..], INVALIDATE_CHANNEL]);
        let deadline = Instant::now() + self.timeout;
        writer
            .write_all_by(&out, deadline)
            .map_err(|e| Error::new(ErrorKind::Io, "could not subscribe").with_source(e))?;
        if reconnected {
            // The shared connection still redirects to the old invalidation connection: open a
            // new one, which redirects here (requests in flight fail as on any reconnect).
            if let Some(pipe) = self.link.pipe.get().and_then(Weak::upgrade) {
                pipe.reconnect(Error::new(
                    ErrorKind::Closed,
                    "reconnecting: the client-side cache's invalidation connection was replaced",
                ));
            }
        }
        Ok(())
    }

    fn on_value(&self, value: Value) -> Result<()> {
        let items = match value {
            Value::Push(items) | Value::Array(items) => items,
            // A `PING <nonce>` reply under RESP3.
            Value::Bulk(nonce) => {
                self.pong(&nonce);
                return Ok(());
            }
            _ => return Ok(()),
        };
        let mut items = items.into_iter();
        let kind = match items.next() {
            Some(Value::Bulk(k) | Value::SimpleString(k)) => k,
            _ => return Ok(()),
        };
        match &kind[..] {
            b"invalidate" => self.invalidate(items.next().unwrap_or(Value::Nil)),
            b"message" => {
                if items
                    .next()
                    .is_some_and(|c| matches!(&c, Value::Bulk(b) if &b[..] == INVALIDATE_CHANNEL))
                {
                    self.invalidate(items.next().unwrap_or(Value::Nil))?;
                }
                Ok(())
            }
            // A `PING <nonce>` reply under RESP2 while subscribed: `pong`, then the nonce.
            b"pong" => {
                if let Some(Value::Bulk(nonce)) = items.next() {
                    self.pong(&nonce);
                }
                Ok(())
            }
            b"subscribe" => {
                let mut l = self.link.listener.lock();
                l.confirmed = l.connecting;
                self.link.confirmed.notify_all();
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn on_disconnect(&self, _error: &Error) {
        self.lost();
    }

    fn on_close(&self) {
        self.lost();
    }
}
