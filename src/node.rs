//! One server: the shared pipe plus a pool of dedicated connections.
//!
//! Owns: [`Node`], which decides where each command runs — on the shared, multiplexed
//! [`Pipe`] unless the command blocks the connection (`.blocking()`: `BLPOP`, `XREAD BLOCK`, …),
//! in which case it runs on a dedicated connection from the node's [`Pool`] and cannot stall
//! the other callers — and the deadline of each: the response timeout, plus the server-side
//! timeout for blocking commands. Both kinds of connection are opened through the node's
//! [`Connector`], so a topology that moves the node (Sentinel, cluster) changes both.
//!
//! Must not: retry by itself (the handles it makes do, per the [`RetryPolicy`] it is given),
//! route between nodes (the cluster client does), or do socket I/O itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cache::tracker::{Tracker, TrackingConnector};
use crate::cache::{Cache, Lookup};
use crate::cmd::Cmd;
use crate::config::Config;
use crate::connection::{ConfiguredAddr, Connector};
use crate::error::{Error, Result};
use crate::handle::{Handle, Retrying, Submit};
use crate::pipe::Pipe;
use crate::pool::{Pool, Pooled};
use crate::retry::RetryPolicy;

/// The longest deadline, for blocking commands without a server-side timeout: one year.
pub(crate) const FOREVER: Duration = Duration::from_secs(365 * 24 * 3600);

/// One server, as the clients see it.
pub(crate) struct Node {
    config: Config,
    connector: Arc<dyn Connector>,
    /// The first shared pipe (also `pipes[0]`): the node's address and server information.
    first: Arc<Pipe>,
    /// The shared pipes ([`Config::shared_connections`], one unless configured); each thread
    /// uses one of them.
    pipes: Box<[Arc<Pipe>]>,
    pool: Arc<Pool>,
    /// Asked about the error replies of commands on the shared pipe (a Sentinel primary
    /// client reconnects on `READONLY`); `None` for plain clients.
    hook: Option<Arc<dyn crate::handle::Redirect>>,
    /// Client-side caching of the shared pipe's reads, when configured.
    tracker: Option<Arc<Tracker>>,
    /// Dropped when the node closes: its receivers ([`Node::closing`]) see the channel
    /// disconnected, without polling.
    closing: parking_lot::Mutex<Option<crossbeam_channel::Sender<()>>>,
    closed: crossbeam_channel::Receiver<()>,
}

impl Node {
    /// Connects the shared pipe to the configured address (now, or in the background when
    /// `lazy`); dedicated connections open on first use.
    pub(crate) fn connect(config: Config, lazy: bool) -> Result<Node> {
        Node::connect_with(config, Arc::new(ConfiguredAddr), lazy)
    }

    /// [`Node::connect`] through another [`Connector`].
    pub(crate) fn connect_with(
        config: Config,
        connector: Arc<dyn Connector>,
        lazy: bool,
    ) -> Result<Node> {
        let cache = config.cache().cloned().map(Cache::new);
        Node::connect_caching(config, connector, lazy, cache)
    }

    /// [`Node::connect_with`], filling `cache` (shared by a cluster client's nodes) when the
    /// configuration asks for client-side caching.
    pub(crate) fn connect_caching(
        config: Config,
        connector: Arc<dyn Connector>,
        lazy: bool,
        cache: Option<Arc<Cache>>,
    ) -> Result<Node> {
        let tracker = cache
            .filter(|_| config.cache().is_some())
            .map(|c| Arc::new(Tracker::new(config.clone(), connector.clone(), c)));
        let pipe_connector: Arc<dyn Connector> = match &tracker {
            Some(t) => Arc::new(TrackingConnector(t.clone())),
            None => connector.clone(),
        };
        let mut pipes = Vec::with_capacity(config.shared_connections());
        for _ in 0..config.shared_connections() {
            let pipe = if lazy {
                Pipe::connect_lazily(config.clone(), pipe_connector.clone())
            } else {
                Pipe::connect(config.clone(), pipe_connector.clone())
            };
            match pipe {
                Ok(p) => pipes.push(p),
                Err(e) => {
                    for p in &pipes {
                        p.close();
                    }
                    if let Some(t) = &tracker {
                        t.close();
                    }
                    return Err(e);
                }
            }
        }
        let Some(first) = pipes.first().cloned() else {
            return Err(Error::config("shared_connections must be at least 1"));
        };
        // Caching needs exactly one pipe (checked when the configuration is built).
        if let (Some(t), [pipe]) = (&tracker, pipes.as_slice()) {
            t.set_pipe(pipe);
        }
        let pool = Pool::new(
            config.clone(),
            connector.clone(),
            config.max_dedicated_connections(),
            config.dedicated_idle_timeout(),
        );
        let (closing, closed) = crossbeam_channel::bounded(0);
        Ok(Node {
            config,
            connector,
            first,
            pipes: pipes.into_boxed_slice(),
            pool,
            hook: None,
            tracker,
            closing: parking_lot::Mutex::new(Some(closing)),
            closed,
        })
    }

    /// This node with `hook` asked about the error replies of every command sent on the
    /// shared pipe (see [`crate::handle::Redirect`]).
    pub(crate) fn with_hook(mut self, hook: Arc<dyn crate::handle::Redirect>) -> Node {
        self.hook = Some(hook);
        self
    }

    /// Where the node's connections go (for connections of their own: subscribers, `MONITOR`).
    pub(crate) fn connector(&self) -> Arc<dyn Connector> {
        self.connector.clone()
    }

    /// The configuration of the node's connections.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// The address of the node, for error context and `Debug`.
    pub(crate) fn addr(&self) -> String {
        self.first_pipe().node()
    }

    /// What the server said about itself, see [`crate::Redis::server_info`].
    pub(crate) fn server_info(&self) -> Option<crate::types::ServerInfo> {
        self.first_pipe().server_info()
    }

    /// The client-side cache, when configured.
    pub(crate) fn cache(&self) -> Option<&Arc<Cache>> {
        self.tracker.as_ref().map(|t| t.cache())
    }

    /// What the client-side cache says about `request`: `Err(handle)` answers it from the
    /// cache; `Ok` sends it, storing the reply through the fill when there is one, fencing the
    /// written keys once sent when it is a write.
    fn consult<T>(
        &self,
        request: &crate::cmd::Request,
        decoder: crate::cmd::Decoder<T>,
    ) -> std::result::Result<(Lookup, crate::cmd::Decoder<T>), Handle<T>> {
        match self.tracker.as_ref().map(|t| t.lookup(request)) {
            Some(Lookup::Hit(frame)) => Err(Handle::cached(frame, decoder)),
            Some(other) => Ok((other, decoder)),
            None => Ok((Lookup::Pass, decoder)),
        }
    }

    /// After sending `handle`: a write fences its keys in the cache (see [`Cache::fence`]), a
    /// cacheable read stores its reply when it comes.
    fn sent<T>(&self, handle: Handle<T>, lookup: Lookup) -> Handle<T> {
        match lookup {
            Lookup::Miss(fill) => handle.filling(Some(fill)),
            Lookup::Write(keys) => {
                if let Some(cache) = self.cache() {
                    let sent = handle.sent().unwrap_or_else(|| self.pipe().latest());
                    cache.fence(keys.iter().map(|k| k.as_ref()), sent);
                }
                handle
            }
            Lookup::Hit(_) | Lookup::Pass => handle,
        }
    }

    /// Fences `keys` written by a batch: sent on the shared pipe as `sent`, or (`None`) on
    /// another connection (a transaction) whose reply is in — then reads of them sent on the
    /// shared pipe until now store nothing.
    pub(crate) fn fence_written(&self, keys: &[bytes::Bytes], sent: Option<crate::cache::Sent>) {
        if keys.is_empty() {
            return;
        }
        if let Some(cache) = self.cache() {
            let sent = sent.unwrap_or_else(|| self.pipe().latest());
            cache.fence(keys.iter().map(|k| k.as_ref()), sent);
        }
    }

    /// Sends `cmd` where it belongs and returns its handle, which retries per `retry`; a
    /// failure to send is kept in the handle.
    pub(crate) fn submit<T>(&self, cmd: Cmd<T>, how: Submit, retry: RetryPolicy) -> Handle<T> {
        let (request, decoder) = cmd.into_parts();
        self.submit_retrying(request, decoder, how, retry)
    }

    /// [`Node::submit`] of a command taken apart, retrying per `retry` (commands on the shared pipe only: those
    /// that block go to a dedicated connection and are not retried).
    pub(crate) fn submit_retrying<T>(
        &self,
        request: crate::cmd::Request,
        decoder: crate::cmd::Decoder<T>,
        how: Submit,
        retry: RetryPolicy,
    ) -> Handle<T> {
        let (lookup, decoder) = match self.consult(&request, decoder) {
            Ok(send) => send,
            Err(cached) => return cached,
        };
        let timeout = self.config.response_timeout();
        if request.is_blocking() {
            let h = self.dedicated_handle(request, decoder, self.hook.clone());
            return self.sent(h, lookup);
        }
        let deadline = Instant::now() + timeout;
        let retry = Retrying::new(retry, self.config.retry_backoff());
        let h = match (&self.hook, retry) {
            // The hot path: nothing kept, nothing allocated.
            (None, None) => Handle::shared(self.pipe(), request, decoder, deadline, how),
            (hook, retry) => Handle::shared_redirecting(
                self.pipe(),
                request,
                decoder,
                deadline,
                how,
                hook.clone(),
                retry,
            ),
        };
        self.sent(h, lookup)
    }

    /// A request that blocks, sent on a dedicated connection; its handle waits for the
    /// server's timeout plus the response timeout (for ever when the command blocks for ever),
    /// and asks `hook` about error replies ([`crate::handle::Redirect::redirect_dedicated`]).
    fn dedicated_handle<T>(
        &self,
        request: crate::cmd::Request,
        decoder: crate::cmd::Decoder<T>,
        hook: Option<Arc<dyn crate::handle::Redirect>>,
    ) -> Handle<T> {
        let timeout = self.config.response_timeout();
        let now = Instant::now();
        let wait = request
            .server_timeout()
            .map_or(FOREVER, |t| t.saturating_add(timeout));
        let deadline = now.checked_add(wait).unwrap_or(now + timeout);
        let checkout = now + timeout;
        match hook {
            Some(hook) => {
                let kept = request.clone();
                Handle::dedicated(&self.pool, request, decoder, checkout, deadline)
                    .redirected_by(hook, kept)
            }
            None => Handle::dedicated(&self.pool, request, decoder, checkout, deadline),
        }
    }

    /// [`Node::submit`] on the shared pipe with `hook` asked about error replies (see
    /// [`crate::handle::Redirect`]), with the configured retry policy.
    pub(crate) fn submit_redirecting<T>(
        &self,
        request: crate::cmd::Request,
        decoder: crate::cmd::Decoder<T>,
        how: Submit,
        hook: Arc<dyn crate::handle::Redirect>,
    ) -> Handle<T> {
        self.submit_redirecting_retrying(request, decoder, how, hook, self.config.retry())
    }

    /// [`Node::submit_redirecting`] retrying per `retry`; `hook` also says where a retried
    /// request goes ([`crate::handle::Redirect::resend`]). A request that blocks goes to a
    /// dedicated connection, redirected by `hook` too, and is not retried.
    pub(crate) fn submit_redirecting_retrying<T>(
        &self,
        request: crate::cmd::Request,
        decoder: crate::cmd::Decoder<T>,
        how: Submit,
        hook: Arc<dyn crate::handle::Redirect>,
        retry: RetryPolicy,
    ) -> Handle<T> {
        let (lookup, decoder) = match self.consult(&request, decoder) {
            Ok(send) => send,
            Err(cached) => return cached,
        };
        if request.is_blocking() {
            // On a dedicated connection, redirected by `hook`, not retried by the policy.
            let h = self.dedicated_handle(request, decoder, Some(hook));
            return self.sent(h, lookup);
        }
        let deadline = Instant::now() + self.config.response_timeout();
        let retry = Retrying::new(retry, self.config.retry_backoff());
        let h = Handle::shared_redirecting(
            self.pipe(),
            request,
            decoder,
            deadline,
            how,
            Some(hook),
            retry,
        );
        self.sent(h, lookup)
    }

    /// The pool of dedicated connections (for a topology client that closes its idle
    /// connections when the node moved).
    pub(crate) fn pool(&self) -> &Arc<Pool> {
        &self.pool
    }

    /// The shared pipe of the calling thread: each thread sticks to one of the node's pipes
    /// (for a router that sends a request again, too).
    pub(crate) fn pipe(&self) -> &Arc<Pipe> {
        match &*self.pipes {
            [_] | [] => &self.first,
            pipes => pipes
                .get(thread_index() % pipes.len())
                .unwrap_or(&self.first),
        }
    }

    /// The first shared pipe (the node's address and what the server said about itself).
    fn first_pipe(&self) -> &Arc<Pipe> {
        &self.first
    }

    /// Every shared pipe (for a topology client that moves them all).
    pub(crate) fn pipes(&self) -> &[Arc<Pipe>] {
        &self.pipes
    }

    /// Sends a batch of `count` commands encoded back to back (a pipeline) on the shared pipe
    /// as one submission; `decoder` gets all their replies.
    pub(crate) fn submit_batch<T>(
        &self,
        encoded: Vec<u8>,
        count: usize,
        decoder: crate::cmd::Decoder<T>,
        how: Submit,
    ) -> Handle<T> {
        let deadline = Instant::now() + self.config.response_timeout();
        Handle::shared_batch(self.pipe(), encoded, count, decoder, deadline, how, None)
    }

    /// A dedicated connection for one caller, waiting for a free one up to the response
    /// timeout.
    pub(crate) fn dedicated(&self) -> Result<Pooled> {
        self.pool
            .checkout(Instant::now() + self.config.response_timeout())
    }

    /// A channel that nothing is ever sent on, disconnected once the node closes (`close`,
    /// or the last clone of its client dropped): a helper thread of the client selects on it
    /// to end with it without polling.
    pub(crate) fn closing(&self) -> crossbeam_channel::Receiver<()> {
        self.closed.clone()
    }

    /// Closes the node: the shared pipe finishes what is in flight, idle dedicated connections
    /// close now, checked-out ones when they come back.
    pub(crate) fn close(&self) {
        self.closing.lock().take();
        for pipe in &*self.pipes {
            pipe.close();
        }
        self.pool.close();
        if let Some(t) = &self.tracker {
            t.close();
        }
    }

    /// [`Node::close`], waiting until what was in flight on the shared pipe has finished (at
    /// most one response timeout) and its socket is closed.
    pub(crate) fn close_and_wait(&self) {
        self.closing.lock().take();
        self.pool.close();
        for pipe in &*self.pipes {
            pipe.close();
        }
        for pipe in &*self.pipes {
            pipe.close_and_wait();
        }
        if let Some(t) = &self.tracker {
            t.close();
        }
    }
}

/// A small number for the calling thread, given in the order threads first ask: spreads
/// threads evenly over a node's pipes, and keeps each thread on one (its commands in order).
fn thread_index() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: Cell<Option<usize>> = const { Cell::new(None) };
    }
    INDEX.with(|i| {
        i.get().unwrap_or_else(|| {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            i.set(Some(n));
            n
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use coredis_test_support::fake::{FakeServer, Script};

    #[test]
    fn without_a_retry_policy_a_handle_keeps_nothing() {
        let fake = FakeServer::start(Script::echo_all());
        let config = Config::from_url(&fake.url()).unwrap();
        let node = Node::connect(config, false).unwrap();
        let echo = || Cmd::<String>::new("ECHO").arg("x").readonly();
        let h = node.submit(echo(), Submit::AndWait, RetryPolicy::Never);
        assert!(!h.keeps_request(), "the hot path keeps no request");
        assert_eq!(h.wait().unwrap(), "x");
        let h = node.submit(echo(), Submit::AndWait, RetryPolicy::ReadOnly);
        assert!(h.keeps_request());
        assert_eq!(h.wait().unwrap(), "x");
        node.close();
    }
}
