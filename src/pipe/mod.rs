//! The shared pipe: one multiplexed connection used by every thread of a client.
//!
//! Owns: the submit queue, the reply FIFO, one-shot reply slots, the writer and reader roles,
//! the connection's worker thread, reconnection (through a [`Connector`]) and response
//! timeouts.
//!
//! Must not: parse replies into user types (owners decode their own frames, so a big reply does
//! not delay everyone behind it), know command names, run commands that block the connection
//! (the node sends those to a dedicated connection), or grow without bound.
//!
//! Files: `state.rs` (the connection's status, the queue and the FIFO under one mutex),
//! `write.rs` (submitting and the writer role), `read.rs` (waiting and the leader's loop),
//! `wake.rs` (hand-offs, the lost wake-up guard, and [`Wake`], the wake-ups decided under the
//! lock and done after it), `slot.rs` (one-shot reply slots), `worker.rs` (the parked worker).
//!
//! # How a request travels
//!
//! 1. **Submit.** The caller appends its encoded request to the shared pending buffer and its
//!    slot to the FIFO under one short mutex — in the same critical section, so the FIFO order
//!    is the byte order. If nobody is writing, it becomes the writer and writes everything
//!    pending in one `write`, then what others queued meanwhile, for at most four `write`s, so
//!    a stream of other callers' requests never keeps it from its own reply. What is left goes
//!    to the leader or the worker; the worker, which has no deadline, keeps writing while
//!    requests keep coming (unless the connection is half duplex and nobody could read
//!    meanwhile).
//! 2. **Deferral.** If at least [`DEFER_THRESHOLD`] written requests are unanswered, a
//!    submitter only queues, whether or not a leader is reading at that moment: replies are
//!    due, and whoever reads them flushes first — the leader before each blocking read, a
//!    caller about to wait when it takes the read side, the worker for deferred submissions
//!    (which `nudge` it when nobody reads), and any leader as it leaves (write combining with
//!    deferral).
//! 3. **Wait (leader/follower).** A waiting caller that finds nobody reading becomes the leader:
//!    it reads, cuts complete frames with the incremental scanner, pops one slot per reply in
//!    FIFO order and completes it (store, release, `unpark`), and leaves as soon as its own reply
//!    is in. Everyone else parks. A lone caller therefore does one `write` and one `read`, like
//!    a plain blocking connection.
//! 4. **Hand-off.** Whoever releases a role checks, under the same mutex, whether written
//!    requests are outstanding with nobody reading; if so it unparks the oldest waiter (the lost
//!    wake-up guard). Every caller repeats a lock-free version of that check before returning.
//! 5. **Worker.** One thread per connection, parked by default: it leads when no caller waits
//!    (dropped or polled handles), reconnects with back-off after a failure, and drains and
//!    closes the socket on shutdown.
//!
//! # Why it is built this way (measured on 2-core VMs, loopback, against redis-rs)
//!
//! - A park/unpark hand-off between threads costs about 2 µs of CPU on one core and 15 µs
//!   (21 µs wall) across cores — more than a whole GET round trip on one core (about 6 µs). A
//!   design with a writer thread and a reader thread pays two hand-offs per command and ran at
//!   0.5–0.8× a connection per thread, with twice the client CPU. Hence: the waiting caller does
//!   the I/O, and the worker is only a fallback.
//! - Leader/follower reading beat a dedicated reader thread at 4 callers (64k vs 51k ops/s):
//!   the leader gets its own reply without a wake-up.
//! - Write combining alone left 0.75–1.0 `write` calls per command, because woken callers
//!   arrive one at a time. Deferring submitters to the active leader cut that to 0.06–0.12,
//!   took 64 callers from 125k to 175k ops/s and the server's CPU per command from 3.1 to
//!   0.9 µs. Deferring unconditionally halved the 4-caller case (one more round trip at low
//!   concurrency): hence the threshold of four unanswered requests. Deferring only while a
//!   leader was reading left one thread with 64 handles writing once per submission in the
//!   bursts after each read (its own wait had made it the leader, and it had left): 0.21–0.23
//!   `send`s per command. Deferring whenever four are unanswered took that to 0.10 and the
//!   ring from 360–400k to 470–480k commands/s (same binary A/B, `perf stat` syscall counts);
//!   blocking callers did not move.
//! - Spinning before parking was very bad on 2 cores: it steals the CPU the server or the
//!   leader needs.
//! - The floor for threads that each wait for their own reply is one kernel wake-up per
//!   command (about 0.7× tokio's multiplexer at 64 threads); [`crate::Handle`]s, with many
//!   commands in flight per thread, go below it.
//! - Traps: the lost wake-up (a writer moves requests into the FIFO after the leader left and
//!   found nobody to hand off to: fixed by the check every caller does before returning, with
//!   SeqCst fences); slots must enter the FIFO before their bytes are written; a scan of the
//!   FIFO per command made 10,000 handles quadratic, so every per-command cost is O(1).
//!
//! # Failure rules
//!
//! - A reply goes to the request that caused it or to nobody: a slot whose owner timed out or
//!   dropped its handle stays in the FIFO, and its reply is discarded when it comes.
//! - When the connection fails, every outstanding slot completes with a
//!   [`crate::ErrorKind::Closed`] error at once; new requests wait (bounded by their deadline)
//!   while the worker reconnects and replays the handshake. Nothing is retried silently.
//! - The FIFO is bounded by `max_in_flight`: submitters block (bounded by their deadline) when
//!   it is full.
//! - Nothing is logged or woken while the state lock is held (a logger may itself use the
//!   client): code under the lock records wake-ups in a [`Wake`], applied after unlocking.
//! - On a half-duplex connection (none today: TLS became full duplex, see
//!   [`Connection::duplex`]) submitters always queue while a leader reads, and the leader
//!   flushes before each read.

mod read;
mod slot;
mod state;
mod wake;
mod worker;
mod write;

pub(crate) use slot::Slot;

use parking_lot::{Condvar, Mutex};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::Thread;

use crate::config::Config;
use crate::connection::{Connection, Connector};
use crate::error::{Error, ErrorKind, Result};

use read::ReadSide;
use state::{State, Status};
use wake::Wake;
use write::WriteSide;

/// While at least this many written requests are unanswered, submitters only queue their
/// bytes: whoever reads the next reply flushes them first. Measured (see the
/// module docs): fewer `write` calls at high concurrency, no extra round trip at low
/// concurrency.
const DEFER_THRESHOLD: usize = 4;

/// How long the worker waits, once asked to write a queued request nobody else writes
/// ([`Pipe::flush_soon`]), before it writes it: a thread keeping handles on several
/// connections (a cluster client) usually comes back to read, and flushes, well within it, so
/// the worker wakes about once per grace period and connection at most, instead of once per
/// request. Also the longest a deferred request waits, unsent, when nobody comes back.
pub(crate) const FLUSH_GRACE: std::time::Duration = std::time::Duration::from_millis(1);

/// One multiplexed connection, shared by every clone of a client.
pub(crate) struct Pipe {
    config: Config,
    connector: Arc<dyn Connector>,
    state: Mutex<State>,
    /// Signalled when the connection comes back, space frees up, or roles are released.
    changed: Condvar,
    read: Mutex<ReadSide>,
    write: Mutex<WriteSide>,
    /// Mirror of `state.reading`, for the lock-free check callers do before returning.
    reading_hint: AtomicBool,
    /// Mirror of `!state.fifo.is_empty()`, stored only when it changes (see
    /// [`Pipe::mirror_outstanding`]).
    outstanding_hint: AtomicBool,
    /// The worker thread, once started.
    worker: Mutex<Option<Thread>>,
    /// Joins the worker thread, for a close that waits for it.
    worker_join: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Set when a caller wants the worker to lead or reconnect.
    worker_wanted: AtomicBool,
    /// Set when a request a router submitted without waking the worker (`Submit::Quiet`) was
    /// queued while nobody reads or writes: the worker writes it after [`FLUSH_GRACE`] unless
    /// someone else has. Cleared by the worker.
    flush_wanted: AtomicBool,
}

impl Pipe {
    /// Connects through `connector` (transport + handshake) and starts the worker.
    pub(crate) fn connect(config: Config, connector: Arc<dyn Connector>) -> Result<Arc<Pipe>> {
        let conn = connector.connect(&config)?;
        Pipe::start(config, connector, Some(conn))
    }

    /// Starts the worker without connecting: the first command waits for the worker's first
    /// connection attempt (up to its own deadline), and a server that is down is retried with
    /// back-off.
    pub(crate) fn connect_lazily(
        config: Config,
        connector: Arc<dyn Connector>,
    ) -> Result<Arc<Pipe>> {
        Pipe::start(config, connector, None)
    }

    fn start(
        config: Config,
        connector: Arc<dyn Connector>,
        conn: Option<Connection>,
    ) -> Result<Arc<Pipe>> {
        let node = config.addr().to_string();
        let pipe = Arc::new(Pipe {
            state: Mutex::new(State::new(node)),
            changed: Condvar::new(),
            read: Mutex::new(ReadSide::new(*config.limits())),
            write: Mutex::new(WriteSide::new()),
            reading_hint: AtomicBool::new(false),
            outstanding_hint: AtomicBool::new(false),
            worker: Mutex::new(None),
            worker_join: Mutex::new(None),
            worker_wanted: AtomicBool::new(false),
            flush_wanted: AtomicBool::new(false),
            connector,
            config,
        });
        let lazy = conn.is_none();
        if let Some(conn) = conn {
            pipe.install(conn, 0);
        }
        worker::spawn(&pipe).map_err(|e| {
            pipe.close_now();
            Error::new(
                ErrorKind::Io,
                "could not start the connection's worker thread",
            )
            .with_source(e)
        })?;
        if lazy {
            pipe.wake_worker();
        }
        Ok(pipe)
    }

    /// The configuration of the connection.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// This pipe (by address) and the place of the latest request that entered its FIFO: a
    /// request sent later has a higher place.
    pub(crate) fn latest(self: &Arc<Pipe>) -> crate::cache::Sent {
        (Arc::as_ptr(self) as usize, self.state.lock().submitted)
    }

    /// The address of the node this pipe talks to.
    pub(crate) fn node(&self) -> String {
        self.state.lock().node.clone()
    }

    /// What the server said about itself on the current (or last) connection; `None` before
    /// the first connection.
    pub(crate) fn server_info(&self) -> Option<crate::types::ServerInfo> {
        self.state.lock().server.clone()
    }

    /// Runs `f` under the state lock, then does the wake-ups it recorded, holding no lock.
    fn locked<R>(&self, f: impl FnOnce(&mut State, &mut Wake) -> R) -> R {
        let mut wake = Wake::default();
        let r = {
            let mut st = self.state.lock();
            f(&mut st, &mut wake)
        };
        wake.apply(self);
        r
    }

    /// Puts a fresh connection in place for `generation` (no reader or writer may be active).
    fn install(&self, conn: Connection, generation: u64) {
        let Connection {
            reader,
            mut writer,
            closer,
            duplex,
            info,
        } = conn;
        if let Err(e) = writer.set_write_timeout(Some(self.config.response_timeout())) {
            log::warn!(
                "coredis: could not set the write timeout on {}: {e}",
                info.addr
            );
        }
        self.read.lock().install(reader, generation);
        self.write.lock().install(writer, generation);
        let server = crate::types::ServerInfo {
            name: info.server_name,
            version: info.server_version,
            mode: info.server_mode,
            role: info.role,
            protocol: info.protocol,
            client_id: info.client_id,
        };
        self.locked(|st, wake| {
            st.duplex = duplex;
            st.closer = Some(closer);
            st.node = info.addr;
            st.server = Some(server);
            if st.generation == generation && matches!(st.status, Status::Connecting(_)) {
                st.status = Status::Connected;
                // Requests kept from the failed connection (never sent) go out now.
                wake.worker = !st.pending.is_empty();
            }
            wake.notify = true;
        });
    }

    /// Marks the pipe closed: submitters fail from now on. Outstanding requests are left to
    /// finish; the worker closes the socket once they have.
    pub(crate) fn close(&self) {
        self.locked(|st, wake| {
            st.status = match std::mem::replace(&mut st.status, Status::Closed) {
                Status::Connected | Status::Draining => Status::Draining,
                Status::Connecting(_) | Status::Closed => Status::Closed,
            };
            wake.notify = true;
            wake.worker = true;
        });
    }

    /// [`Pipe::close`], then waits for the worker to finish what was in flight (for at most one
    /// response timeout) and close the socket. From the worker itself (a logger using the
    /// client) it does not wait.
    pub(crate) fn close_and_wait(&self) {
        self.close();
        if self.on_worker() {
            return;
        }
        let join = self.worker_join.lock().take();
        if let Some(j) = join {
            if j.join().is_err() {
                log::warn!("coredis: the connection's worker thread panicked");
            }
        }
    }

    /// Shuts the socket down for good and fails whatever is still outstanding (requests never
    /// sent included).
    fn close_now(&self) {
        let gen = self.state.lock().generation;
        self.fail(gen, closed_error());
        let (closer, unsent) = self.locked(|st, wake| {
            st.status = Status::Closed;
            st.pending.clear();
            st.unwritten = 0;
            wake.notify = true;
            (st.closer.take(), st.take_front(usize::MAX))
        });
        if let Some(c) = closer {
            c.shutdown();
        }
        for s in unsent {
            s.complete(Err(closed_error()));
        }
    }
}

/// The error of requests made after the client was closed.
fn closed_error() -> Error {
    Error::new(ErrorKind::Closed, "the client was closed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::ConfiguredAddr;
    use crate::handle::{Handle, Submit};
    use coredis_test_support::fake::{FakeServer, Script};

    impl Pipe {
        /// The capacity of the write buffers (pending bytes and the spare batch buffer).
        fn write_buffer_capacity(&self) -> usize {
            self.state.lock().pending.capacity() + self.write.lock().spare.capacity()
        }
    }

    #[test]
    fn write_buffers_give_big_writes_memory_back() {
        let fake = FakeServer::start(Script::echo_all());
        let config = Config::from_url(&fake.url()).unwrap();
        let pipe = Pipe::connect(config, Arc::new(ConfiguredAddr)).unwrap();
        let big = vec![b'x'; 32 * 1024 * 1024];
        let (request, decoder) = crate::cmd::Cmd::<crate::Value>::new("ECHO")
            .arg(&big[..])
            .into_parts();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let h = Handle::shared(&pipe, request, decoder, deadline, Submit::AndWait);
        assert_eq!(h.wait().unwrap(), crate::Value::Bulk(big.into()));
        let capacity = pipe.write_buffer_capacity();
        assert!(
            capacity < 2 * 1024 * 1024,
            "{capacity} bytes kept after the write"
        );
        pipe.close();
    }
}
