//! The connection's state under one mutex: status, generation, the pending bytes, the FIFO and
//! who holds which role; and the two ways it ends — a failed connection and a closed client.
//!
//! Lock order: `state` before a slot's own mutex; the `read`/`write` side mutexes are taken only
//! by the thread elected to that role (under `state`), so they are never contended on the hot
//! path, and never held while taking `state` for long.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::slot::Slot;
use super::wake::Wake;
use super::Pipe;
use crate::connection::Closer;
use crate::error::{Error, ErrorKind};

/// The state of the connection.
pub(super) enum Status {
    /// Not connected (yet, or any more): the worker is connecting. Holds the last error.
    Connecting(Option<Error>),
    /// Connected; requests may be written.
    Connected,
    /// The client was closed: no new requests; the outstanding ones finish, then the worker
    /// closes the socket.
    Draining,
    /// Closed for good.
    Closed,
}

impl Status {
    /// True while requests already queued may be written and read (connected or draining).
    pub(super) fn is_open(&self) -> bool {
        matches!(self, Status::Connected | Status::Draining)
    }
}

/// Everything protected by the state mutex.
pub(super) struct State {
    pub(super) status: Status,
    /// Incremented each time the connection fails; readers and writers of an older generation
    /// must not touch the queue any more.
    pub(super) generation: u64,
    /// Encoded requests not yet taken by a writer.
    pub(super) pending: Vec<u8>,
    /// How many slots at the tail of `fifo` belong to the bytes in `pending`.
    pub(super) unwritten: usize,
    /// Every request sent or queued, oldest first; replies complete them in this order.
    pub(super) fifo: VecDeque<Arc<Slot>>,
    /// The encoded size of the requests in `fifo` (queued or unanswered): the byte budget.
    pub(super) fifo_bytes: usize,
    /// How many requests the slots in `fifo` stand for (a pipeline's slot stands for all of
    /// its commands): what `max_in_flight` bounds.
    pub(super) fifo_requests: usize,
    /// How many slots ever entered the FIFO: the next slot's sequence number.
    pub(super) submitted: u64,
    /// Slots whose owners registered to wait (parked callers), oldest registration first; a
    /// hand-off takes the first one still waiting. Entries whose owner stopped waiting (or
    /// whose reply came) are dropped when they reach the front, so choosing a waiter is O(1)
    /// amortised, whatever the depth of the FIFO (a scan of the FIFO made 10,000 handles
    /// quadratic). A slot is in it at most once.
    pub(super) waiters: VecDeque<Arc<Slot>>,
    /// Someone holds the writer role.
    pub(super) writing: bool,
    /// Someone holds the reader (leader) role.
    pub(super) reading: bool,
    /// Reader and writer may run at the same time (see [`crate::connection::Connection`]'s
    /// `duplex`).
    pub(super) duplex: bool,
    /// Shuts the current socket down.
    pub(super) closer: Option<Closer>,
    /// Submitters blocked on a full queue or on reconnection.
    pub(super) waiting_submitters: usize,
    /// The address of the node, for error context.
    pub(super) node: String,
    /// What the server said about itself on the current (or last) connection.
    pub(super) server: Option<crate::types::ServerInfo>,
}

impl State {
    /// A pipe that is not connected yet.
    pub(super) fn new(node: String) -> State {
        State {
            status: Status::Connecting(None),
            generation: 0,
            pending: Vec::with_capacity(4096),
            unwritten: 0,
            fifo: VecDeque::with_capacity(64),
            fifo_bytes: 0,
            fifo_requests: 0,
            submitted: 0,
            waiters: VecDeque::new(),
            writing: false,
            reading: false,
            duplex: true,
            closer: None,
            waiting_submitters: 0,
            node,
            server: None,
        }
    }

    /// How many written requests are waiting for their reply.
    pub(super) fn unanswered(&self) -> usize {
        self.fifo.len().saturating_sub(self.unwritten)
    }

    /// The oldest request leaves the FIFO (its reply is in).
    pub(super) fn pop_front(&mut self) -> Option<Arc<Slot>> {
        let s = self.fifo.pop_front()?;
        self.fifo_bytes = self.fifo_bytes.saturating_sub(s.bytes());
        self.fifo_requests = self.fifo_requests.saturating_sub(s.replies());
        Some(s)
    }

    /// Takes the requests from the front of the FIFO up to (not including) `keep_from`.
    pub(super) fn take_front(&mut self, keep_from: usize) -> VecDeque<Arc<Slot>> {
        let kept = self.fifo.split_off(keep_from.min(self.fifo.len()));
        let taken = std::mem::replace(&mut self.fifo, kept);
        self.fifo_bytes = self.fifo.iter().map(|s| s.bytes()).sum();
        self.fifo_requests = self.fifo.iter().map(|s| s.replies()).sum();
        taken
    }
}

/// How a connection failed, which decides what happens to its requests.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// A writer (or anybody but the leader) found it failed.
    InTraffic,
    /// The leader found it failed; it gives up the read side.
    Leading,
    /// The leader could not parse a reply: the oldest request gets the protocol error.
    BadReply,
    /// The idle check found it closed (or holding data nobody asked for) before anything was
    /// written: its queued requests wait for the next connection. The caller holds both roles.
    WhileIdle,
}

/// What the worker should do next.
pub(super) enum Job {
    /// Write and read for requests nobody waits on.
    Lead,
    /// Re-establish the connection.
    Reconnect,
    /// Let outstanding requests finish, then close.
    Drain,
    /// Nothing more: the pipe is closed.
    Exit,
}

impl Pipe {
    /// The worker's next job, read from the status.
    pub(super) fn next_job(&self) -> Job {
        match self.state.lock().status {
            Status::Closed => Job::Exit,
            Status::Connecting(_) => Job::Reconnect,
            Status::Draining => Job::Drain,
            Status::Connected => Job::Lead,
        }
    }

    /// The generation to reconnect, or `None` when no reconnection is wanted any more.
    pub(super) fn generation_to_reconnect(&self) -> Option<u64> {
        let st = self.state.lock();
        matches!(st.status, Status::Connecting(_)).then_some(st.generation)
    }

    /// Records a failed connection attempt (shown in the errors of waiting submitters).
    ///
    /// Refused credentials (the password was changed or the user disabled on the server) do
    /// not heal by waiting: the requests kept for the next connection (certainly not sent, see
    /// [`Pipe::fail_while_idle`]) fail now with the refusal, and the submitters waiting for
    /// the connection are woken to fail likewise (`submit_encoded`), instead of all of them
    /// timing out. The worker goes on trying with its back-off.
    pub(super) fn connect_failed(&self, e: Error) {
        let mut st = self.state.lock();
        let Status::Connecting(last) = &mut st.status else {
            return;
        };
        *last = Some(e.clone());
        if e.kind() != ErrorKind::Auth {
            return;
        }
        st.pending.clear();
        st.unwritten = 0;
        let all = st.fifo.len();
        let unsent = st.take_front(all);
        self.mirror_outstanding(&st);
        self.changed.notify_all();
        drop(st);
        for slot in unsent {
            slot.complete(Err(e.clone()));
        }
    }

    /// True once the client was closed.
    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.state.lock().status, Status::Closed | Status::Draining)
    }

    /// True when connected with nothing queued or outstanding: the worker has nothing to do
    /// until somebody wakes it.
    pub(super) fn is_idle(&self) -> bool {
        let st = self.state.lock();
        matches!(st.status, Status::Connected) && st.fifo.is_empty() && st.pending.is_empty()
    }

    /// True while requests are outstanding.
    pub(super) fn has_outstanding(&self) -> bool {
        !self.state.lock().fifo.is_empty()
    }

    /// Drops the current connection as if it had failed with `cause` (outstanding requests
    /// fail with [`ErrorKind::Closed`], the socket is shut down) so that the worker connects
    /// again through the pipe's connector: for a topology client that learned the node moved
    /// (a Sentinel announced a new primary, a write got `READONLY`). Does nothing while the
    /// pipe is not connected (it is already reconnecting, or closed).
    pub(crate) fn reconnect(&self, cause: Error) {
        let gen = {
            let st = self.state.lock();
            if !matches!(st.status, Status::Connected) {
                return;
            }
            st.generation
        };
        self.fail(gen, cause);
    }

    /// The connection of generation `gen` failed: every outstanding request completes with an
    /// error, the socket is shut down, and the worker reconnects.
    pub(super) fn fail(&self, gen: u64, cause: Error) {
        self.fail_and_release(gen, cause, Failure::InTraffic);
    }

    /// [`Pipe::fail`] for the leader: it gives up the read side in the same critical section,
    /// so that nothing it does afterwards (logging, completing slots) holds a role that the
    /// reconnection waits for.
    pub(super) fn fail_leading(&self, gen: u64, cause: Error) {
        self.fail_and_release(gen, cause, Failure::Leading);
    }

    /// [`Pipe::fail_leading`] for a reply that could not be parsed: the oldest request, whose
    /// reply it was, gets the protocol error itself; the others in flight fail as
    /// [`ErrorKind::Closed`] (with the protocol error as their source).
    pub(super) fn fail_on_bad_reply(&self, gen: u64, cause: Error) {
        self.fail_and_release(gen, cause, Failure::BadReply);
    }

    /// [`Pipe::fail_leading`] for a connection found closed, or holding data nobody asked for,
    /// before anything was written to it: the requests queued for it were certainly not sent,
    /// and wait for the next connection (within their deadlines) instead of failing.
    pub(super) fn fail_while_idle(&self, gen: u64, cause: Error) {
        self.fail_and_release(gen, cause, Failure::WhileIdle);
    }

    fn fail_and_release(&self, gen: u64, cause: Error, how: Failure) {
        let release_read = how != Failure::InTraffic;
        let failed = self.locked(|st, wake| {
            if release_read {
                st.reading = false;
                self.reading_hint.store(false, Ordering::SeqCst);
            }
            if how == Failure::WhileIdle {
                st.writing = false;
            }
            if st.generation != gen || !st.status.is_open() {
                if release_read {
                    // Already failed by someone else (and perhaps reconnected): the read side
                    // goes to whoever waits on the new connection.
                    wake.notify = true;
                    wake.lost_wakeup_check = true;
                }
                return None;
            }
            st.generation += 1;
            let reconnecting = !matches!(st.status, Status::Draining);
            st.status = if reconnecting {
                Status::Connecting(Some(cause.clone()))
            } else {
                Status::Closed
            };
            // Requests whose bytes were never handed to the socket were certainly not executed.
            // When nothing had been written yet (the idle check), they wait for the next
            // connection; after a failure in traffic they fail at once like the rest, saying
            // they were not sent.
            let keep_unsent = reconnecting && how == Failure::WhileIdle;
            let unsent_from = st.fifo.len().saturating_sub(st.unwritten);
            let keep_from = if keep_unsent {
                unsent_from
            } else {
                st.pending.clear();
                st.unwritten = 0;
                st.fifo.len()
            };
            let failed = st.take_front(keep_from);
            // The requests kept belong to the next connection now (a later part of a pipeline
            // may follow them there).
            for s in &st.fifo {
                s.set_generation(st.generation);
            }
            self.mirror_outstanding(st);
            Some((failed, unsent_from, st.node.clone(), st.closer.take()))
        });
        let Some((slots, unsent_from, node, closer)) = failed else {
            return;
        };
        // Outside the lock: shutting down may log. The socket is shut before the worker is woken
        // to reconnect, so a reader or writer blocked on it lets go of its role at once.
        if let Some(c) = closer {
            c.shutdown();
        }
        Wake {
            notify: true,
            worker: true,
            ..Wake::default()
        }
        .apply(self);
        for (i, s) in slots.into_iter().enumerate() {
            let e = if i == 0 && how == Failure::BadReply {
                cause.clone()
            } else if i >= unsent_from {
                Error::new(
                    ErrorKind::Closed,
                    "the connection was lost before the request was sent; it was not executed",
                )
                .with_source(cause.clone())
                .not_sent()
            } else {
                Error::new(
                    ErrorKind::Closed,
                    "the connection was lost while the request was in flight; it may or may not \
                     have been executed",
                )
                .with_source(cause.clone())
            };
            s.complete(Err(e.with_node(&node)));
        }
        // Logged last, holding no lock: a logger may itself use this client.
        log::warn!("coredis: connection to {node} lost: {cause:#}");
    }

    /// Waits until neither role is held (before installing a new connection).
    pub(super) fn wait_roles_free(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut st = self.state.lock();
        while st.reading || st.writing {
            if Instant::now() >= deadline {
                drop(st);
                log::warn!("coredis: a reader or writer of a failed connection is still busy");
                return;
            }
            self.changed.wait_for(&mut st, Duration::from_millis(10));
        }
    }
}
