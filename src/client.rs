//! The single-server client.
//!
//! Owns: [`Redis`], the shared, thread-safe client, and [`Deferred`], its view whose commands
//! return [`Handle`]s instead of waiting. Both are [`Executor`]s, so every command group works on
//! both without being written twice.
//!
//! Must not: do socket I/O itself (that is [`crate::mux`]'s job) or retry anything silently.

use std::sync::Arc;
use std::time::Duration;

use crate::cmd::Cmd;
use crate::commands::Executor;
use crate::config::Config;
use crate::error::Result;
use crate::handle::Handle;
use crate::mux::{self, Pipe};

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
/// A `Redis` holds one multiplexed connection. Clones share it; commands of concurrent callers
/// are pipelined on it and their replies matched in order. The calling thread does the socket
/// I/O on the hot path (a lone caller does one `write` and one `read` per command). Each
/// connection has one worker thread, named `coredis-worker <addr>`, parked unless it has
/// something to do: reading replies nobody waits for, reconnecting after a failure (with
/// back-off, replaying the handshake), and closing the socket when the last clone is dropped.
/// No other thread is spawned.
///
/// # Failures
///
/// Every call is bounded by the response timeout ([`Config::response_timeout`]). When the
/// connection is lost, every command in flight fails with [`crate::ErrorKind::Closed`] (it may or
/// may not have run) and the client reconnects in the background; commands issued meanwhile wait
/// for the new connection, up to their timeout. Nothing is retried automatically.
#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

struct Inner {
    pipe: Arc<Pipe>,
    timeout: Duration,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.pipe.close();
    }
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("node", &self.inner.pipe.node())
            .finish()
    }
}

impl Redis {
    /// Connects with `config` (transport, TLS, handshake) and returns the client. Fails when
    /// the server cannot be reached within the connect timeout or refuses the credentials.
    pub fn new(config: Config) -> Result<Redis> {
        let timeout = config.response_timeout();
        let pipe = mux::connect(config)?;
        Ok(Redis {
            inner: Arc::new(Inner { pipe, timeout }),
        })
    }

    /// Connects to the server a URL names: `redis://[user[:password]@]host[:port][/db][?…]`,
    /// `rediss://…` for TLS, `unix:///path/to/socket[?db=…]`. See [`Config::from_url`].
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

    /// The configuration this client was built with.
    pub fn config(&self) -> &Config {
        &self.inner.pipe.config
    }
}

impl Executor for Redis {
    type Output<T> = Result<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Result<T> {
        Handle::submit(&self.inner.pipe, cmd, self.inner.timeout, true).wait()
    }
}

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
        Handle::submit(
            &self.client.inner.pipe,
            cmd,
            self.client.inner.timeout,
            false,
        )
    }
}
