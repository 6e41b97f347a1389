//! A dedicated connection: one caller at a time, plain blocking request and reply.
//!
//! Owns: [`Exclusive`], a connection opened by the same transport, TLS and handshake code as the
//! shared pipe, but used by one thread at a time with ordinary blocking I/O — for what must not
//! run on the shared pipe: blocking commands (`BLPOP`, `XREAD BLOCK`, …) today; `WATCH`
//! transactions, RESP2 subscriptions and `MONITOR` later. It knows how many replies it still
//! owes, so a connection whose reply was abandoned, or whose state a command changed, is closed
//! instead of being reused.
//!
//! Must not: be shared between threads while a request is outstanding, spawn threads, or
//! reconnect by itself (the pool opens a new one).

use bytes::Bytes;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::cmd::Request;
use crate::config::Config;
use crate::connection::{Closer, ConnWriter, Connection, Connector, FrameReader, Readiness};
use crate::error::{Error, ErrorKind, Result};
use crate::replicas::WaitForReplicas;
use crate::resp::{self, Limits};

/// The longest single read: how often a blocked read looks at its deadline.
const READ_TICK: Duration = Duration::from_millis(250);

/// A connection used by one caller at a time.
pub(crate) struct Exclusive {
    reader: FrameReader,
    writer: ConnWriter,
    closer: Closer,
    node: String,
    limits: Limits,
    /// Requests sent whose replies were not read yet.
    owed: usize,
    /// A read or write failed: the connection is out of step or gone.
    broken: bool,
    /// A command changed the connection's state (`SELECT`, `CLIENT REPLY`, `MULTI`, …).
    dirty: bool,
    /// When the last reply was read (for closing idle connections).
    idle_since: Instant,
    /// A reply (or failure) already read by [`Exclusive::poll_ready`], not yet handed out.
    ready: Option<Result<Bytes>>,
    /// `WAIT` after writes, when the client asks for replicas ([`crate::replicas`]).
    wait: Option<WaitForReplicas>,
    /// The writes sent with `WAIT` after them and not judged yet: the number of their own
    /// reply among all the replies of the connection.
    judged: VecDeque<u64>,
    /// How many replies were asked for, and read, since the connection opened.
    sent: u64,
    read: u64,
    /// A write's own reply (and its number), read while `WAIT`'s was not in yet.
    held: Option<(u64, Bytes)>,
}
impl std::fmt::Debug for Exclusive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exclusive")
            .field("node", &self.node)
            .field("owed", &self.owed)
            .field("broken", &self.broken)
            .field("dirty", &self.dirty)
            .finish_non_exhaustive()
    }
}

impl Exclusive {
    /// Opens a connection through `connector` (transport, TLS, handshake).
    pub(crate) fn open(connector: &dyn Connector, config: &Config) -> Result<Exclusive> {
        let Connection {
            reader,
            writer,
            closer,
            info,
            ..
        } = connector.connect(config)?;
        let limits = *config.limits();
        Ok(Exclusive {
            reader: FrameReader::new(reader, limits),
            writer,
            closer,
            node: info.addr,
            limits,
            owed: 0,
            broken: false,
            dirty: false,
            idle_since: Instant::now(),
            ready: None,
            wait: config.wait_for_replicas(),
            judged: VecDeque::new(),
            sent: 0,
            read: 0,
            held: None,
        })
    }

    /// The address of the node, for error context.
    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// The decoder limits of this connection.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sends `request`, ending by `deadline`. A request that changes the connection's state
    /// marks it so it is never handed to another caller. A write is followed by `WAIT` when
    /// the client asks for replicas; [`Exclusive::recv`] then returns its reply only if
    /// enough replicas acknowledged it.
    pub(crate) fn send(&mut self, request: &Request, deadline: Instant) -> Result<()> {
        self.send_after(&[], 0, request, deadline)
    }

    /// [`Exclusive::send`] with `prefix`, `prefix_count` requests encoded back to back, sent
    /// before `request` in the same write (`ASKING`); their replies come first.
    pub(crate) fn send_after(
        &mut self,
        prefix: &[u8],
        prefix_count: usize,
        request: &Request,
        deadline: Instant,
    ) -> Result<()> {
        if request.connection_effect().is_some() {
            self.dirty = true;
        }
        let wait = self.wait.filter(|_| request.is_write());
        let mut out = Vec::with_capacity(prefix.len() + request.encoded_len());
        out.extend_from_slice(prefix);
        request.encode_into(&mut out);
        let own = self.sent + prefix_count as u64;
        match wait {
            Some(w) => {
                w.encode_into(&mut out);
                self.send_encoded(&out, prefix_count + 2, deadline)?;
                self.judged.push_back(own);
                Ok(())
            }
            None => self.send_encoded(&out, prefix_count + 1, deadline),
        }
    }

    /// Sends `count` requests encoded back to back in `encoded` (a transaction: `MULTI`, the
    /// commands, `EXEC`), ending by `deadline`. Their `count` replies are then owed.
    pub(crate) fn send_encoded(
        &mut self,
        encoded: &[u8],
        count: usize,
        deadline: Instant,
    ) -> Result<()> {
        if self.broken {
            return Err(Error::new(
                ErrorKind::Closed,
                "the dedicated connection failed earlier",
            ));
        }
        match self.writer.write_all_by(encoded, deadline) {
            Ok(()) => {
                self.owed += count;
                self.sent += count as u64;
                Ok(())
            }
            Err(e) => {
                self.broken = true;
                let kind = if e.kind() == std::io::ErrorKind::TimedOut {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Io
                };
                Err(Error::new(kind, "writing to the dedicated connection failed").with_source(e))
            }
        }
    }

    /// The caller gave up on the replies owed (its deadline passed): the connection is out of
    /// step and is closed, so no later request can read an earlier one's reply.
    pub(crate) fn abandon(&mut self) {
        if self.owed > 0 || self.ready.is_some() || self.held.is_some() {
            self.broken = true;
            self.closer.shutdown();
        }
    }

    /// Reads the next reply (push frames are skipped), waiting until `until` at most; when
    /// `until` has passed, only what can be read without blocking. `Ok(None)` when the reply is
    /// not in by then: it is still owed and can be read later. A write sent with `WAIT` after
    /// it (see [`Exclusive::send`]) is one reply: its own if enough replicas acknowledged it,
    /// [`ErrorKind::NotReplicated`] if not.
    pub(crate) fn recv(&mut self, until: Instant) -> Result<Option<Bytes>> {
        if let Some(r) = self.ready.take() {
            return r.map(Some);
        }
        let (number, own) = match self.held.take() {
            Some(held) => held,
            None => match self.recv_frame(until)? {
                Some(frame) => (self.read - 1, frame),
                None => return Ok(None),
            },
        };
        let (Some(w), Some(&first)) = (self.wait, self.judged.front()) else {
            return Ok(Some(own));
        };
        if first != number {
            return Ok(Some(own));
        }
        let Some(wait) = self.recv_frame(until)? else {
            self.held = Some((number, own));
            return Ok(None);
        };
        self.judged.pop_front();
        w.judge(own, &wait).map(Some)
    }

    /// Reads the next reply frame, see [`Exclusive::recv`].
    fn recv_frame(&mut self, until: Instant) -> Result<Option<Bytes>> {
        if self.broken {
            return Err(Error::new(
                ErrorKind::Closed,
                "the dedicated connection failed earlier",
            ));
        }
        if self.owed == 0 {
            return Err(Error::new(
                ErrorKind::Usage,
                "no reply is owed on this connection",
            ));
        }
        loop {
            match self.reader.next_frame() {
                Ok(Some(frame)) if resp::is_push(&frame) => continue,
                Ok(Some(frame)) => {
                    self.owed -= 1;
                    self.read += 1;
                    self.idle_since = Instant::now();
                    return Ok(Some(frame));
                }
                Ok(None) => {}
                Err(e) => return Err(self.fail(e)),
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() && self.reader.poll_idle() == Readiness::Quiet {
                return Ok(None);
            }
            if let Err(e) = self.reader.fill(left.min(READ_TICK)) {
                return Err(self.fail(e));
            }
        }
    }

    /// True when the reply (or the connection's failure) is in: read what has arrived, without
    /// blocking, and keep it for the next [`Exclusive::recv`].
    pub(crate) fn poll_ready(&mut self) -> bool {
        if self.ready.is_some() {
            return true;
        }
        match self.recv(Instant::now()) {
            Ok(None) => false,
            Ok(Some(frame)) => {
                self.ready = Some(Ok(frame));
                true
            }
            Err(e) => {
                self.ready = Some(Err(e));
                true
            }
        }
    }

    /// True when the connection can serve another caller: nothing owed, nothing broken, no
    /// state changed.
    pub(crate) fn is_reusable(&self) -> bool {
        !self.broken
            && !self.dirty
            && self.owed == 0
            && self.ready.is_none()
            && self.held.is_none()
            && self.reader.is_empty()
    }

    /// How long the connection has been idle.
    pub(crate) fn idle_for(&self) -> Duration {
        self.idle_since.elapsed()
    }

    /// A health check before reuse: the connection is open and nothing arrived unasked.
    pub(crate) fn is_healthy(&self) -> bool {
        self.is_reusable() && self.reader.poll_idle() == Readiness::Quiet
    }

    /// Closes the socket.
    pub(crate) fn close(self) {
        self.closer.shutdown();
    }

    /// The connection failed while reading: it is closed. A request whose reply was owed
    /// fails as [`ErrorKind::Closed`] (it may or may not have run), as on the shared pipe; a
    /// reply that could not be parsed stays a protocol error.
    fn fail(&mut self, e: Error) -> Error {
        self.broken = true;
        self.closer.shutdown();
        let e = if self.owed > 0 && e.kind() != ErrorKind::Protocol {
            Error::new(
                ErrorKind::Closed,
                "the connection was lost while the request was in flight; it may or may not \
                 have been executed",
            )
            .with_source(e)
        } else {
            e
        };
        e.with_node(&self.node)
    }
}
