//! The single-server client.
//!
//! Owns: [`Redis`], the shared, thread-safe client over one [`Node`]; [`Deferred`], its view
//! whose commands return [`Handle`]s instead of waiting; and [`Dedicated`], one connection
//! checked out for one caller's exclusive use. All are [`Executor`]s, so every command group
//! works on each without being written twice; the capability markers ([`BlockingExecutor`],
//! [`ExclusiveExecutor`]) decide which groups each one gets.
//!
//! Must not: do socket I/O itself (the node's pipe and pool do) or retry anything the retry
//! policy does not allow (see [`crate::retry`]).

use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Instant;

use crate::cmd::Cmd;
use crate::commands::{BlockingExecutor, ExclusiveExecutor, Executor};
use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::handle::{Handle, Submit};
use crate::node::Node;
use crate::pipeline::Pipeline;
use crate::pool::Pooled;
use crate::retry::RetryPolicy;

/// A client for one Redis server: `Send + Sync + Clone`, meant to be shared by every thread.
///
/// ```no_run
/// use coredis::prelude::*;
///
/// let r = coredis::Redis::from_url("redis://127.0.0.1:6379/0")?;
/// r.set("foo", 1)?;
/// let n: i64 = r.incrby("foo", 100)?;
/// let v: Option<String> = r.get("foo")?;
/// assert_eq!(v.as_deref(), Some("101"));
/// let h = r.deferred().get::<String>("foo"); // already sent
/// assert_eq!(h.wait()?, "101");
/// std::thread::scope(|s| {
///     for _ in 0..8 {
///         s.spawn(|| r.get::<Option<String>>("foo"));
///     }
/// });
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// # Threads and cloning
///
/// A `Redis` holds one multiplexed connection, shared by its clones: the commands of concurrent
/// callers are pipelined on it and their replies matched in order. The calling thread does the
/// socket I/O on the hot path (a lone caller does one `write` and one `read` per command). The
/// connection has one worker thread, named `coredis-worker <addr>`, parked unless it has
/// something to do: reading replies nobody waits for, reconnecting after a failure (with
/// back-off, replaying the handshake), and closing the socket when the client is closed or the
/// last clone is dropped.
///
/// Commands that block the connection (`BLPOP`, …, or [`crate::Cmd::blocking`]) do not use the
/// shared connection: each runs on a dedicated connection from a small pool
/// ([`Config::max_dedicated_connections`], [`Config::dedicated_idle_timeout`]), so it cannot
/// stall anybody else. No other thread is spawned.
///
/// # Failures
///
/// Every call is bounded by the response timeout ([`Config::response_timeout`]; blocking
/// commands by their own timeout plus it). When the connection is lost, every command in flight
/// fails with [`crate::ErrorKind::Closed`] (it may or may not have run) and the client
/// reconnects in the background; commands issued meanwhile wait for the new connection, up to
/// their timeout. Nothing is retried automatically unless a [`RetryPolicy`] says so
/// ([`crate::ConfigBuilder::retry`], [`Redis::with_retry`]; the rules are in
/// [`crate::retry`]).
#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
    /// The retry policy of this clone's calls.
    retry: RetryPolicy,
}

struct Inner {
    node: Node,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.node.close();
    }
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("node", &self.inner.node.addr())
            .field("retry", &self.retry)
            .finish()
    }
}

impl Redis {
    /// Connects with `config` (transport, TLS, handshake) and returns the client: the server is
    /// known to answer (and to accept the credentials) when this returns. This is the default;
    /// see [`Redis::new_lazy`] for a client that connects in the background.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] or [`ErrorKind::Timeout`] when the server cannot be reached within the
    /// connect timeout, [`ErrorKind::Auth`] when it refuses the credentials, and the other
    /// handshake errors of [`Config`] (TLS, protocol, database).
    pub fn new(config: Config) -> Result<Redis> {
        Ok(Redis::from_node(Node::connect(config, false)?))
    }

    /// A client that connects in the background: this returns at once, even when the server is
    /// down, and the first commands wait for the connection (up to their response timeout,
    /// failing with [`ErrorKind::Timeout`] and the connection error as its source while the
    /// server cannot be reached). Like redis-rs' `Client::open`.
    ///
    /// # Errors
    /// Only when the connection's worker thread cannot be started.
    pub fn new_lazy(config: Config) -> Result<Redis> {
        Ok(Redis::from_node(Node::connect(config, true)?))
    }

    /// [`Redis::new_lazy`] filling `cache` (a cluster client's, shared by its nodes) when the
    /// configuration asks for client-side caching.
    pub(crate) fn new_lazy_caching(
        config: Config,
        cache: Option<Arc<crate::cache::Cache>>,
    ) -> Result<Redis> {
        let connector = Arc::new(crate::connection::ConfiguredAddr);
        Ok(Redis::from_node(Node::connect_caching(
            config, connector, true, cache,
        )?))
    }

    /// A client whose connections are opened through `connector` (a topology that moves the
    /// node: Sentinel), with `hook` asked about the error replies of its shared connection.
    pub(crate) fn with_connector(
        config: Config,
        connector: Arc<dyn crate::connection::Connector>,
        lazy: bool,
        hook: Option<Arc<dyn crate::handle::Redirect>>,
    ) -> Result<Redis> {
        let node = Node::connect_with(config, connector, lazy)?;
        Ok(Redis::from_node(match hook {
            Some(h) => node.with_hook(h),
            None => node,
        }))
    }

    fn from_node(node: Node) -> Redis {
        Redis {
            retry: node.config().retry(),
            inner: Arc::new(Inner { node }),
        }
    }

    /// This client (sharing its connections) with `policy` for the calls made through it,
    /// blocking or deferred, instead of [`crate::Config::retry`]. Cheap: a clone of an `Arc`.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// use coredis::RetryPolicy;
    /// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let v: Option<String> = r.with_retry(RetryPolicy::ReadOnly).get("k")?;
    /// let h = r.with_retry(RetryPolicy::Always).deferred().incr("n");
    /// h.wait()?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    #[must_use]
    pub fn with_retry(&self, policy: RetryPolicy) -> Redis {
        Redis {
            inner: self.inner.clone(),
            retry: policy,
        }
    }

    /// The retry policy of this client's calls (see [`Redis::with_retry`]).
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// Connects to the server a URL names: `redis://[user[:password]@]host[:port][/db][?…]`,
    /// `rediss://…` for TLS, `unix:///path/to/socket[?db=…]`. See [`Config::from_url`].
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a URL that does not parse, else those of [`Redis::new`].
    pub fn from_url(url: &str) -> Result<Redis> {
        Redis::new(Config::from_url(url)?)
    }

    /// A view of this client whose commands are sent at once and return a [`Handle`] to
    /// collect the reply later. One thread can keep many commands in flight this way.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let a = r.deferred().incr("a");
    /// let b = r.deferred().get::<Option<String>>("b");
    /// let (a, b) = (a.wait()?, b.wait()?);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    pub fn deferred(&self) -> Deferred<'_> {
        Deferred { client: self }
    }

    /// A pipeline: commands queued on it are sent as one batch by [`Pipeline::exec`], and their
    /// replies come back together. See [`Pipeline`].
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let p = r.pipeline();
    /// let (a, b) = (p.incr("a"), p.get::<Option<String>>("b"));
    /// let (a, b) = p.exec()?.get((a, b))?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    pub fn pipeline(&self) -> Pipeline<'_> {
        Pipeline::new(self)
    }

    pub(crate) fn node(&self) -> &Node {
        &self.inner.node
    }

    /// Checks out a dedicated connection for this caller alone, from the pool blocking commands
    /// use (waiting up to the response timeout for a free one). On it, commands that change
    /// the connection's state are allowed ([`ExclusiveExecutor`]: `SELECT`, `CLIENT REPLY`, …;
    /// [`Redis::execute`] refuses them on the shared connection). The connection goes back to
    /// the pool when dropped — or is closed, when a command changed its state or a reply is
    /// still owed.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let c = r.dedicated()?;
    /// c.select(2)?;                       // only on a dedicated connection
    /// let n: i64 = c.incr("counter-in-db-2")?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Timeout`] when every dedicated connection stays in use, the errors of
    /// [`Redis::new`] when a new one cannot be opened, [`ErrorKind::Closed`] after
    /// [`Redis::close`].
    pub fn dedicated(&self) -> Result<Dedicated> {
        let conn = self.inner.node.dedicated()?;
        Ok(Dedicated {
            conn: Mutex::new(conn),
            config: self.inner.node.config().clone(),
        })
    }

    /// What the server said about itself when the shared connection was (last) opened: name
    /// (`redis`, `valkey`), version, mode, role, protocol — for feature checks without a round
    /// trip. `None` before a lazy client's first connection.
    ///
    /// ```no_run
    /// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let info = r.server_info().unwrap_or_default();
    /// if info.version_numbers() >= Some((7, 0, 0)) {
    ///     // use a Redis 7 command
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    pub fn server_info(&self) -> Option<crate::types::ServerInfo> {
        self.inner.node.server_info()
    }

    /// What the client-side cache did so far; `None` when caching is off (see
    /// [`crate::ConfigBuilder::cache`]).
    pub fn cache_stats(&self) -> Option<crate::CacheStats> {
        self.inner.node.cache().map(|c| c.stats())
    }

    /// Drops every entry of the client-side cache (no-op when caching is off).
    pub fn clear_cache(&self) {
        if let Some(c) = self.inner.node.cache() {
            c.clear();
        }
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &Config {
        self.inner.node.config()
    }

    /// Closes the client for every clone and returns once it is closed: commands in flight
    /// finish first (for at most one response timeout), later ones fail with
    /// [`ErrorKind::Closed`], and the connections are closed. Dropping the last clone does the
    /// same in the background.
    pub fn close(&self) {
        self.inner.node.close_and_wait();
    }
}

impl Executor for Redis {
    type Output<T> = Result<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Result<T> {
        self.inner
            .node
            .submit(cmd, Submit::AndWait, self.retry)
            .wait()
    }
}

impl BlockingExecutor for Redis {}

/// The deferred view of a [`Redis`] client: every command is sent at once and returns a
/// [`Handle`]. Obtained from [`Redis::deferred`].
#[derive(Clone, Copy)]
pub struct Deferred<'a> {
    client: &'a Redis,
}

impl std::fmt::Debug for Deferred<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Deferred").field(self.client).finish()
    }
}

impl Executor for Deferred<'_> {
    type Output<T> = Handle<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Handle<T> {
        self.client
            .inner
            .node
            .submit(cmd, Submit::Deferred, self.client.retry)
    }
}

impl BlockingExecutor for Deferred<'_> {}

/// One connection for one caller's exclusive use, from [`Redis::dedicated`].
///
/// Commands run one at a time with plain blocking I/O. Besides every command group, it has the
/// groups that need a connection of their own ([`ExclusiveExecutor`]). Dropping it returns the
/// connection to the pool when its state is untouched, and closes it otherwise.
pub struct Dedicated {
    conn: Mutex<Pooled>,
    config: Config,
}

impl std::fmt::Debug for Dedicated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dedicated")
            .field("node", &self.conn.lock().node())
            .finish()
    }
}

impl Dedicated {
    /// The configuration of the connection.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The address of the node.
    pub(crate) fn node(&self) -> String {
        self.conn.lock().node().to_string()
    }

    /// A transaction on this connection (after `WATCH`es sent on it by
    /// [`Redis::transaction_with`]).
    pub(crate) fn send_and_receive(
        &self,
        encoded: &[u8],
        count: usize,
        deadline: Instant,
    ) -> Result<Vec<bytes::Bytes>> {
        let mut conn = self.conn.lock();
        let node = conn.node().to_string();
        conn.send_encoded(encoded, count, deadline)
            .map_err(|e| e.with_node(&node))?;
        let mut frames = Vec::with_capacity(count);
        for _ in 0..count {
            match conn.recv(deadline).map_err(|e| e.with_node(&node))? {
                Some(f) => frames.push(f),
                None => {
                    conn.abandon();
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        "no reply within the response timeout; the dedicated connection is \
                         closed",
                    )
                    .with_node(&node));
                }
            }
        }
        Ok(frames)
    }

    /// Runs `cmd` on this connection without marking it changed (`WATCH`/`UNWATCH` of a
    /// transaction, which `EXEC` or `UNWATCH` undo).
    pub(crate) fn execute_exclusive<T>(&self, cmd: Cmd<T>) -> Result<T> {
        let (request, decoder) = cmd.into_parts();
        request.check_valid()?;
        let mut encoded = Vec::with_capacity(request.encoded_len());
        request.encode_into(&mut encoded);
        let deadline = Instant::now() + self.config.response_timeout();
        let frames = self
            .send_and_receive(&encoded, 1, deadline)
            .map_err(|e| e.with_command(request.name()))?;
        let frame = frames
            .first()
            .ok_or_else(|| Error::protocol("no reply").with_command(request.name()))?;
        decoder.decode(frame, self.config.limits())
    }
}

impl Executor for Dedicated {
    type Output<T> = Result<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Result<T> {
        let (request, decoder) = cmd.into_parts();
        let mut conn = self.conn.lock();
        let timeout = self.config.response_timeout();
        let now = Instant::now();
        let deadline = match request.server_timeout() {
            Some(t) if request.is_blocking() => now.checked_add(t.saturating_add(timeout)),
            None if request.is_blocking() => None,
            _ => now.checked_add(timeout),
        };
        let node = conn.node().to_string();
        let context = |e: Error| e.with_command(request.name()).with_node(&node);
        request.check_valid()?;
        if request.encoded_args().is_empty() {
            return Err(context(Error::new(
                ErrorKind::Usage,
                "a command needs a name: an empty command gets no reply",
            )));
        }
        let until = deadline.unwrap_or_else(|| now + crate::node::FOREVER);
        conn.send(&request, until).map_err(context)?;
        match conn.recv(until).map_err(context)? {
            Some(frame) => decoder.decode(&frame, &conn.limits()),
            None => {
                // The reply is still owed: nothing may be read on this connection any more.
                conn.abandon();
                Err(context(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "no reply within {:?}; the dedicated connection is closed",
                        until.saturating_duration_since(now)
                    ),
                )))
            }
        }
    }
}

impl BlockingExecutor for Dedicated {}
impl ExclusiveExecutor for Dedicated {}
