//! A bounded pool of dedicated connections to one node.
//!
//! Owns: [`Pool`] and its checkout guard [`Pooled`]: at most `max` connections open at once
//! (idle and checked out), a checkout that waits for a free one up to the caller's deadline, a
//! health check before an idle connection is reused (closed by the server, or bytes nobody
//! asked for: it is dropped and another is taken), and closing connections that were idle for
//! longer than the idle timeout. A connection comes back to the pool only when it is clean —
//! no reply owed, no state changed, no failure — otherwise it is closed.
//!
//! Must not: run commands (the caller does, on the checked-out [`Exclusive`]), spawn threads,
//! or hold its lock while connecting or closing sockets.

use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cmd::Request;
use crate::config::Config;
use crate::connection::Connector;
use crate::error::{Error, ErrorKind, Result};
use crate::exclusive::Exclusive;
use crate::resp::Limits;

/// A bounded pool of [`Exclusive`] connections.
pub(crate) struct Pool {
    config: Config,
    connector: Arc<dyn Connector>,
    max: usize,
    idle_timeout: Duration,
    state: Mutex<PoolState>,
    /// Signalled when a connection is returned or closed, or the pool closes.
    freed: Condvar,
}

struct PoolState {
    /// Healthy connections waiting to be reused, most recently used last.
    idle: Vec<Exclusive>,
    /// Connections open: idle, checked out, or being opened.
    open: usize,
    closed: bool,
}

impl Pool {
    /// An empty pool of at most `max` connections (at least one); idle connections are closed
    /// after `idle_timeout`.
    pub(crate) fn new(
        config: Config,
        connector: Arc<dyn Connector>,
        max: usize,
        idle_timeout: Duration,
    ) -> Arc<Pool> {
        Arc::new(Pool {
            config,
            connector,
            max: max.max(1),
            idle_timeout,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
                closed: false,
            }),
            freed: Condvar::new(),
        })
    }

    /// A connection for one caller: a healthy idle one, else a new one while fewer than `max`
    /// are open, else the first one returned — waiting until `deadline` at most.
    pub(crate) fn checkout(self: &Arc<Pool>, deadline: Instant) -> Result<Pooled> {
        let mut stale = Vec::new();
        let got = self.take_or_reserve(deadline, &mut stale);
        // Closed outside the lock: shutting a socket down may log.
        for c in stale {
            c.close();
        }
        match got? {
            Some(conn) => Ok(self.guard(conn)),
            None => match Exclusive::open(&*self.connector, &self.config) {
                Ok(conn) => Ok(self.guard(conn)),
                Err(e) => {
                    self.release_slot();
                    Err(e)
                }
            },
        }
    }

    /// Under the lock: an idle healthy connection (`Some`), or a reserved place for a new one
    /// (`None`). Idle connections that are too old or unhealthy go into `stale`.
    fn take_or_reserve(
        &self,
        deadline: Instant,
        stale: &mut Vec<Exclusive>,
    ) -> Result<Option<Exclusive>> {
        let mut st = self.state.lock();
        loop {
            if st.closed {
                return Err(Error::new(ErrorKind::Closed, "the client was closed"));
            }
            while let Some(conn) = st.idle.pop() {
                if conn.idle_for() < self.idle_timeout && conn.is_healthy() {
                    return Ok(Some(conn));
                }
                st.open -= 1;
                stale.push(conn);
            }
            if st.open < self.max {
                st.open += 1;
                return Ok(None);
            }
            if self.freed.wait_until(&mut st, deadline).timed_out() {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "timed out waiting for a dedicated connection: all {} are in use \
                         (blocking commands hold theirs until they return)",
                        self.max
                    ),
                ));
            }
        }
    }

    fn guard(self: &Arc<Pool>, conn: Exclusive) -> Pooled {
        Pooled {
            pool: self.clone(),
            conn: Some(conn),
        }
    }

    /// A connection was closed instead of returned: its place is free.
    fn release_slot(&self) {
        self.state.lock().open -= 1;
        self.freed.notify_one();
    }

    /// Takes a connection back: kept when clean, closed otherwise.
    fn give_back(&self, conn: Exclusive) {
        let reject = {
            let mut st = self.state.lock();
            if st.closed || !conn.is_reusable() {
                st.open -= 1;
                Some(conn)
            } else {
                st.idle.push(conn);
                None
            }
        };
        self.freed.notify_one();
        if let Some(c) = reject {
            c.close();
        }
    }

    /// Closes the idle connections (the node moved: they lead to the old one); the pool stays
    /// open, and connections checked out now come back as usual.
    pub(crate) fn close_idle(&self) {
        let idle = {
            let mut st = self.state.lock();
            st.open -= st.idle.len();
            std::mem::take(&mut st.idle)
        };
        self.freed.notify_all();
        for c in idle {
            c.close();
        }
    }

    /// Closes the idle connections and refuses new checkouts; checked-out connections are
    /// closed when they come back.
    pub(crate) fn close(&self) {
        let idle = {
            let mut st = self.state.lock();
            st.closed = true;
            st.open -= st.idle.len();
            std::mem::take(&mut st.idle)
        };
        self.freed.notify_all();
        for c in idle {
            c.close();
        }
    }
}

/// A connection checked out of a [`Pool`]; it goes back (or is closed) when dropped.
pub(crate) struct Pooled {
    pool: Arc<Pool>,
    conn: Option<Exclusive>,
}

impl Pooled {
    /// The connection; `None` only while the guard is being dropped.
    fn conn(&mut self) -> Result<&mut Exclusive> {
        self.conn
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Closed, "the dedicated connection was released"))
    }

    /// Sends `request` on the dedicated connection, see [`Exclusive::send`].
    pub(crate) fn send(&mut self, request: &Request, deadline: Instant) -> Result<()> {
        self.conn()?.send(request, deadline)
    }

    /// Sends `request` after `prefix`, see [`Exclusive::send_after`].
    pub(crate) fn send_after(
        &mut self,
        prefix: &[u8],
        prefix_count: usize,
        request: &Request,
        deadline: Instant,
    ) -> Result<()> {
        self.conn()?
            .send_after(prefix, prefix_count, request, deadline)
    }

    /// Sends requests encoded back to back, see [`Exclusive::send_encoded`].
    pub(crate) fn send_encoded(
        &mut self,
        encoded: &[u8],
        count: usize,
        deadline: Instant,
    ) -> Result<()> {
        self.conn()?.send_encoded(encoded, count, deadline)
    }

    /// Gives up on the replies owed, see [`Exclusive::abandon`].
    pub(crate) fn abandon(&mut self) {
        if let Some(c) = self.conn.as_mut() {
            c.abandon();
        }
    }

    /// Reads the next reply, see [`Exclusive::recv`].
    pub(crate) fn recv(&mut self, until: Instant) -> Result<Option<bytes::Bytes>> {
        self.conn()?.recv(until)
    }

    /// True when the reply is in, see [`Exclusive::poll_ready`].
    pub(crate) fn poll_ready(&mut self) -> bool {
        self.conn.as_mut().map_or(true, |c| c.poll_ready())
    }

    /// The address of the node, for error context.
    pub(crate) fn node(&self) -> &str {
        self.conn.as_ref().map_or("", |c| c.node())
    }

    /// The decoder limits of the connection.
    pub(crate) fn limits(&self) -> Limits {
        self.conn
            .as_ref()
            .map_or_else(Limits::default, |c| *c.limits())
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            self.pool.give_back(c);
        }
    }
}
