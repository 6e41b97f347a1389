//! One shared connection: the submit queue, the writer and reader roles, the reply FIFO.
//!
//! See the module docs of [`crate::mux`] for the algorithm. Lock order: `state` before a slot's
//! own mutex; the `read`/`write` side mutexes are only taken by the thread elected to that role
//! (under `state`), so they are never contended on the hot path and never held while taking
//! `state` for long.

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use super::slot::Slot;
use crate::config::Config;
use crate::connection::{Closer, ConnReader, ConnWriter, Connection};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::{self, FrameScanner};

/// While a leader reads and at least this many written requests are unanswered, submitters only
/// queue their bytes: the leader flushes them before its next blocking read. Measured in
/// `shared/research/mux-spike.md` (S6): fewer `write` calls at high concurrency, no extra round
/// trip at low concurrency.
const DEFER_THRESHOLD: usize = 4;

/// The longest read timeout set on the socket: how often a blocked leader looks at its
/// deadline and at the stuck-connection rule. A leader whose deadline is nearer shortens it for
/// its last reads, so `wait_timeout(d)` returns after `d`, not after the next tick.
const READ_TICK: Duration = Duration::from_millis(100);

/// The shortest read timeout (a zero timeout is not allowed on sockets).
const MIN_READ_TICK: Duration = Duration::from_millis(1);

/// Initial size of the read buffer.
const READ_BUF: usize = 16 * 1024;

/// A read buffer grown past this by a big reply is shrunk back once it is empty.
const MAX_IDLE_READ_BUF: usize = 1024 * 1024;

/// The state of the connection.
pub(crate) enum Status {
    /// Connected; requests may be written.
    Connected,
    /// The connection failed; the worker is reconnecting. Holds the last error.
    Broken(Error),
    /// The client was dropped or closed: no more requests.
    Closed,
}

/// Everything protected by the state mutex.
pub(crate) struct State {
    pub(crate) status: Status,
    /// Incremented each time the connection fails; readers and writers of an older generation
    /// must not touch the queue any more.
    pub(crate) generation: u64,
    /// Encoded requests not yet taken by a writer.
    pending: Vec<u8>,
    /// How many slots at the tail of `fifo` belong to the bytes in `pending`.
    unwritten: usize,
    /// Every request sent or queued, oldest first; replies complete them in this order.
    fifo: VecDeque<Arc<Slot>>,
    /// Someone holds the writer role.
    writing: bool,
    /// Someone holds the reader (leader) role.
    reading: bool,
    /// Reader and writer may run at the same time (false for TLS).
    duplex: bool,
    /// Shuts the current socket down.
    closer: Option<Closer>,
    /// Submitters blocked on a full queue or on reconnection.
    waiting_submitters: usize,
    /// The client asked to shut down.
    pub(crate) shutdown: bool,
    /// The address of the node, for error context.
    pub(crate) node: String,
}

struct ReadSide {
    reader: Option<ConnReader>,
    generation: u64,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    scanner: FrameScanner,
    /// The read timeout currently set on the socket.
    tick: Duration,
}

struct WriteSide {
    writer: Option<ConnWriter>,
    generation: u64,
    spare: Vec<u8>,
}

/// One multiplexed connection, shared by every clone of a client.
pub(crate) struct Pipe {
    pub(crate) config: Config,
    pub(crate) state: Mutex<State>,
    /// Signalled when the connection comes back, space frees up, or roles are released.
    pub(crate) changed: Condvar,
    read: Mutex<ReadSide>,
    write: Mutex<WriteSide>,
    /// Mirror of `state.reading`, for the lock-free check callers do before returning.
    reading_hint: AtomicBool,
    /// Mirror of `state.fifo.len()`.
    outstanding_hint: AtomicUsize,
    /// The worker thread, once started.
    worker: Mutex<Option<Thread>>,
    /// Set when a caller wants the worker to lead or reconnect.
    pub(crate) worker_wanted: AtomicBool,
}

/// Who holds the writer role, which bounds how long it keeps it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Writer {
    /// A caller submitting or leaving the read side: a few batches, then it returns to its
    /// own reply.
    Caller,
    /// The leader flushing before a read: one batch, then it reads.
    Leader,
    /// The worker, which has no deadline of its own.
    Worker,
}

impl Writer {
    /// How many `write`s the role is kept for. The worker keeps it while requests keep
    /// coming on a duplex connection: one thread writing while another reads is the fastest
    /// pipeline for a thread keeping many handles in flight (measured: 10–15 % more
    /// throughput than handing writing back after four batches). On TLS, where nobody can
    /// read during a write, it is bounded like a caller.
    fn max_batches(self, duplex: bool) -> usize {
        match self {
            Writer::Worker if duplex => usize::MAX,
            Writer::Caller | Writer::Worker => 4,
            Writer::Leader => 1,
        }
    }
}

/// What a leader was asked to wait for.
enum LeadUntil<'a> {
    /// Its own slot completes, or its deadline passes.
    Own(&'a Arc<Slot>, Instant),
    /// The worker: until nothing written is outstanding. Callers that start waiting meanwhile
    /// park and are completed by the worker (measured: handing the read side back to them
    /// costs more wake-ups than it saves when one thread keeps many handles in flight).
    Drained,
}

impl Pipe {
    /// A pipe over an established connection.
    pub(crate) fn new(config: Config, conn: Connection) -> Arc<Pipe> {
        let limits = *config.limits();
        let node = conn.info.addr.clone();
        let pipe = Arc::new(Pipe {
            state: Mutex::new(State {
                status: Status::Connected,
                generation: 0,
                pending: Vec::with_capacity(4096),
                unwritten: 0,
                fifo: VecDeque::with_capacity(64),
                writing: false,
                reading: false,
                duplex: conn.duplex,
                closer: None,
                waiting_submitters: 0,
                shutdown: false,
                node,
            }),
            changed: Condvar::new(),
            read: Mutex::new(ReadSide {
                reader: None,
                generation: 0,
                buf: vec![0; READ_BUF],
                start: 0,
                end: 0,
                scanner: FrameScanner::new(limits),
                tick: Duration::ZERO,
            }),
            write: Mutex::new(WriteSide {
                writer: None,
                generation: 0,
                spare: Vec::with_capacity(4096),
            }),
            reading_hint: AtomicBool::new(false),
            outstanding_hint: AtomicUsize::new(0),
            worker: Mutex::new(None),
            worker_wanted: AtomicBool::new(false),
            config,
        });
        pipe.install(conn, 0);
        pipe
    }

    /// Puts a fresh connection in place for `generation` (no reader or writer may be active).
    pub(crate) fn install(&self, conn: Connection, generation: u64) {
        let Connection {
            reader,
            writer,
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
        {
            let mut r = self.read.lock();
            r.reader = Some(reader);
            r.generation = generation;
            r.start = 0;
            r.end = 0;
            r.scanner.reset();
            r.tick = Duration::ZERO;
        }
        {
            let mut w = self.write.lock();
            w.writer = Some(writer);
            w.generation = generation;
        }
        let mut st = self.state.lock();
        st.duplex = duplex;
        st.closer = Some(closer);
        st.node = info.addr;
        if st.generation == generation && !st.shutdown {
            st.status = Status::Connected;
        }
        drop(st);
        self.changed.notify_all();
    }

    /// Records the worker thread so callers can wake it.
    pub(crate) fn set_worker(&self, t: Thread) {
        *self.worker.lock() = Some(t);
    }

    /// Wakes the worker thread (to lead, reconnect or shut down).
    pub(crate) fn wake_worker(&self) {
        self.worker_wanted.store(true, Ordering::SeqCst);
        if let Some(t) = &*self.worker.lock() {
            t.unpark();
        }
    }

    /// The address of the node this pipe talks to.
    pub(crate) fn node(&self) -> String {
        self.state.lock().node.clone()
    }

    /// Queues one encoded request (`argc` arguments in `args`, bulk strings already encoded) and
    /// writes it unless another thread will. Returns the request's slot. Blocks while the
    /// connection is being re-established or the queue is full, at most until `deadline`.
    pub(crate) fn submit(&self, argc: usize, args: &[u8], deadline: Instant) -> Result<Arc<Slot>> {
        let slot = Arc::new(Slot::new(deadline));
        let mut st = self.state.lock();
        loop {
            match &st.status {
                Status::Connected if st.shutdown => {
                    return Err(Error::new(ErrorKind::Closed, "the client was closed"));
                }
                Status::Connected => {
                    if st.fifo.len() < self.config.max_in_flight() {
                        break;
                    }
                    // Full: make sure somebody drains the replies, then wait for space.
                    if !st.reading {
                        self.wake_worker();
                    }
                }
                Status::Broken(e) => {
                    // Only the worker reconnects: when it is the caller (a logger using the
                    // client), waiting would hold the reconnection up until `deadline`.
                    let on_worker = self
                        .worker
                        .lock()
                        .as_ref()
                        .is_some_and(|t| t.id() == thread::current().id());
                    if on_worker {
                        return Err(Error::new(
                            ErrorKind::Closed,
                            "the connection is being re-established",
                        )
                        .with_source(e.clone()));
                    }
                    self.wake_worker()
                }
                Status::Closed => {
                    return Err(Error::new(ErrorKind::Closed, "the client was closed"));
                }
            }
            st.waiting_submitters += 1;
            let timed_out = self.changed.wait_until(&mut st, deadline).timed_out();
            st.waiting_submitters -= 1;
            if timed_out {
                return Err(match &st.status {
                    Status::Broken(e) => Error::new(
                        ErrorKind::Timeout,
                        "timed out waiting for the connection to be re-established",
                    )
                    .with_source(e.clone()),
                    Status::Closed => Error::new(ErrorKind::Closed, "the client was closed"),
                    Status::Connected => Error::new(
                        ErrorKind::Timeout,
                        "timed out waiting for room in the request queue (max_in_flight)",
                    ),
                });
            }
        }
        resp::write_array_header(&mut st.pending, argc);
        st.pending.extend_from_slice(args);
        st.fifo.push_back(slot.clone());
        st.unwritten += 1;
        self.outstanding_hint.store(st.fifo.len(), Ordering::SeqCst);
        if st.writing {
            return Ok(slot);
        }
        let unanswered = st.fifo.len() - st.unwritten;
        if st.reading && (!st.duplex || unanswered >= DEFER_THRESHOLD) {
            return Ok(slot);
        }
        st.writing = true;
        drop(st);
        self.write_pending(Writer::Caller);
        Ok(slot)
    }

    /// Writes what is pending, in at most `who.max_batches(duplex)` `write`s (bytes queued while a
    /// batch is written go out in the next one: write combining). The caller holds the writer
    /// role (`writing` is set) and releases it here. Bytes still pending then are left to the
    /// leader, which flushes before each read, or to the worker, so that nobody's call is held
    /// up for long by a stream of other callers' requests.
    ///
    /// A failed write fails the connection (of the generation written to).
    fn write_pending(&self, who: Writer) {
        if let Err((gen, e)) = self.write_batches(who) {
            self.fail(gen, e);
            self.changed.notify_all();
        }
    }

    /// [`Pipe::write_pending`], handing a failed write back with its generation instead: the
    /// leader fails the connection itself once it has let go of the read side.
    fn write_batches(&self, who: Writer) -> std::result::Result<(), (u64, Error)> {
        let mut w = self.write.lock();
        let mut buf = std::mem::take(&mut w.spare);
        let mut batches = 0;
        loop {
            let gen = {
                let mut st = self.state.lock();
                if st.pending.is_empty()
                    || st.generation != w.generation
                    || batches == who.max_batches(st.duplex)
                {
                    if st.generation != w.generation {
                        st.pending.clear();
                    }
                    st.writing = false;
                    let next = self.hand_off(&mut st);
                    // Someone must write what is left and read for submitters blocked on a
                    // full queue: the worker, unless this thread goes on reading.
                    let written_unanswered = st.fifo.len() > st.unwritten;
                    let worker = who != Writer::Leader
                        && matches!(st.status, Status::Connected)
                        && (!st.pending.is_empty()
                            || (st.waiting_submitters > 0 && !st.reading && written_unanswered));
                    let notify = st.waiting_submitters > 0;
                    drop(st);
                    w.spare = buf;
                    drop(w);
                    if notify {
                        self.changed.notify_all();
                    }
                    if worker {
                        self.wake_worker();
                    }
                    if let Some(t) = next {
                        t.unpark();
                    }
                    return Ok(());
                }
                std::mem::swap(&mut st.pending, &mut buf);
                st.unwritten = 0;
                st.generation
            };
            batches += 1;
            let res = match w.writer.as_mut() {
                Some(wr) => wr.write_all(&buf).and_then(|_| wr.flush()),
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "no connection",
                )),
            };
            buf.clear();
            if let Err(e) = res {
                let err = Error::io("writing to the connection failed", e);
                // Release the role first: failing the connection wakes the worker, which waits
                // for both roles to be free before it reconnects.
                self.state.lock().writing = false;
                w.spare = buf;
                drop(w);
                return Err((gen, err));
            }
        }
    }

    /// Waits for `slot`'s reply until `until`, leading the read side when nobody else does.
    /// Returns the raw frame (or the error the slot completed with), or `None` when `until`
    /// passed first; the slot is then still in flight and can be waited on again.
    pub(crate) fn wait(&self, slot: &Arc<Slot>, until: Instant) -> Option<Result<Bytes>> {
        let me = thread::current();
        loop {
            if slot.is_done() {
                break;
            }
            if Instant::now() >= until {
                slot.clear_waiter();
                self.check_lost_wakeup();
                return None;
            }
            {
                let mut st = self.state.lock();
                if slot.is_done() {
                    break;
                }
                if self.can_lead(&st) {
                    st.reading = true;
                    self.reading_hint.store(true, Ordering::SeqCst);
                    drop(st);
                    slot.clear_waiter();
                    self.lead(LeadUntil::Own(slot, until));
                    continue;
                }
                if !slot.set_waiter(me.clone()) {
                    break;
                }
            }
            thread::park_timeout(until.saturating_duration_since(Instant::now()));
        }
        slot.clear_waiter();
        self.check_lost_wakeup();
        Some(slot.take().unwrap_or_else(|| {
            Err(Error::new(
                ErrorKind::Usage,
                "the reply of this request was already taken",
            ))
        }))
    }

    /// Requests are outstanding that nobody may be waiting for (a handle was created, polled or
    /// dropped): make sure someone reads. Costs nothing while a reader is active.
    pub(crate) fn nudge(&self) {
        if !self.reading_hint.load(Ordering::SeqCst)
            && self.outstanding_hint.load(Ordering::SeqCst) > 0
        {
            self.wake_worker();
        }
    }

    fn can_lead(&self, st: &State) -> bool {
        !st.reading
            && matches!(st.status, Status::Connected)
            && (st.duplex || !st.writing)
            && !st.fifo.is_empty()
    }

    /// Before a caller returns: if requests are outstanding and nobody reads, hand the read
    /// side to the oldest waiter (or the worker). Closes the lost wake-up hole described in
    /// `mux-spike.md`.
    fn check_lost_wakeup(&self) {
        std::sync::atomic::fence(Ordering::SeqCst);
        if self.reading_hint.load(Ordering::SeqCst)
            || self.outstanding_hint.load(Ordering::SeqCst) == 0
        {
            return;
        }
        let next = {
            let mut st = self.state.lock();
            self.hand_off(&mut st)
        };
        if let Some(t) = next {
            t.unpark();
        }
    }

    /// Under the state lock: which parked caller should take the read side now, if anybody.
    ///
    /// Only callers that registered as waiters (under this same lock, before parking) are
    /// candidates. The worker is deliberately not woken here: requests whose owners are not
    /// waiting need no reader yet (whoever waits next leads), and waking it on every release
    /// would put a thread hand-off on the lone caller's path. Owners that poll, drop a handle or
    /// find the queue full wake the worker themselves ([`Pipe::nudge`]).
    fn hand_off(&self, st: &mut State) -> Option<Thread> {
        if st.reading || st.fifo.len() <= st.unwritten || !matches!(st.status, Status::Connected) {
            return None;
        }
        st.fifo.iter().find_map(|s| s.waiter())
    }

    /// The leader's loop: flush, read, complete replies in FIFO order, until `until` is met.
    /// The caller has set `state.reading`; this releases it.
    fn lead(&self, until: LeadUntil<'_>) {
        let mut pushes = 0usize;
        self.lead_inner(until, &mut pushes);
        if pushes > 0 {
            // Logged holding no lock and no role: a logger may itself use this client.
            log::debug!("coredis: dropped {pushes} push frame(s) (no listener)");
        }
    }

    fn lead_inner(&self, until: LeadUntil<'_>, pushes: &mut usize) {
        let mut rs = self.read.lock();
        let gen = rs.generation;
        let mut done: SmallVec<[(Arc<Slot>, Bytes); 16]> = SmallVec::new();
        let mut frames: SmallVec<[Bytes; 16]> = SmallVec::new();
        loop {
            // Is there a reason to stop?
            let stop = match &until {
                LeadUntil::Own(slot, deadline) => slot.is_done() || Instant::now() >= *deadline,
                LeadUntil::Drained => {
                    let st = self.state.lock();
                    st.fifo.len() <= st.unwritten || st.generation != gen
                }
            };
            if stop {
                break;
            }
            match self.flush_as_reader(gen) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    drop(rs);
                    return self.fail_leading(gen, e);
                }
            }
            // Read, waking up by the leader's deadline at the latest.
            let max_tick = READ_TICK.min(self.config.response_timeout());
            let tick = match &until {
                LeadUntil::Own(_, deadline) => deadline
                    .saturating_duration_since(Instant::now())
                    .min(max_tick),
                LeadUntil::Drained => max_tick,
            };
            let tick = tick.max(MIN_READ_TICK);
            if let Some(r) = rs.reader.as_mut() {
                r.limit_read_time(tick);
            }
            if let Err(e) = rs.set_tick(tick) {
                drop(rs);
                return self.fail_leading(
                    gen,
                    Error::io("setting the socket's read timeout failed", e),
                );
            }
            let res = read_more(&mut rs);
            match res {
                Ok(0) => {
                    drop(rs);
                    return self.fail_leading(
                        gen,
                        Error::new(ErrorKind::Io, "the server closed the connection"),
                    );
                }
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) =>
                {
                    if self.is_stuck(gen) {
                        drop(rs);
                        return self.fail_leading(
                            gen,
                            Error::new(
                                ErrorKind::Timeout,
                                format!(
                                    "the oldest request got no reply for twice the response \
                                     timeout ({:?}); closing the stuck connection",
                                    self.config.response_timeout()
                                ),
                            ),
                        );
                    }
                    continue;
                }
                Err(e) => {
                    drop(rs);
                    return self
                        .fail_leading(gen, Error::io("reading from the connection failed", e));
                }
            }
            // Cut complete frames.
            loop {
                let rs_ref = &mut *rs;
                let avail = rs_ref.buf.get(rs_ref.start..rs_ref.end).unwrap_or_default();
                match rs_ref.scanner.scan(avail) {
                    Ok(Some(n)) => {
                        let frame = Bytes::copy_from_slice(avail.get(..n).unwrap_or_default());
                        rs_ref.start += n;
                        frames.push(frame);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        drop(rs);
                        return self.fail_leading(gen, e);
                    }
                }
            }
            if rs.start == rs.end {
                rs.start = 0;
                rs.end = 0;
                if rs.buf.len() > MAX_IDLE_READ_BUF {
                    // A big reply grew the buffer: give the memory back.
                    rs.buf = vec![0; READ_BUF];
                }
            }
            if frames.is_empty() {
                continue;
            }
            // Match replies to requests, in order.
            let mut unexpected = false;
            {
                let mut st = self.state.lock();
                if st.generation != gen {
                    break;
                }
                for f in frames.drain(..) {
                    if resp::is_push(&f) {
                        *pushes += 1;
                        continue;
                    }
                    if st.fifo.len() <= st.unwritten {
                        unexpected = true;
                        break;
                    }
                    match st.fifo.pop_front() {
                        Some(s) => done.push((s, f)),
                        None => {
                            unexpected = true;
                            break;
                        }
                    }
                }
                self.outstanding_hint.store(st.fifo.len(), Ordering::SeqCst);
                if st.waiting_submitters > 0 {
                    self.changed.notify_all();
                }
            }
            let own = match &until {
                LeadUntil::Own(s, _) => Some(*s),
                LeadUntil::Drained => None,
            };
            for (s, f) in done.drain(..) {
                if own.is_some_and(|o| Arc::ptr_eq(o, &s)) {
                    s.complete_quiet(Ok(f));
                } else {
                    s.complete(Ok(f));
                }
            }
            if unexpected {
                drop(rs);
                return self.fail_leading(
                    gen,
                    Error::protocol("received a reply that no request was waiting for"),
                );
            }
        }
        drop(rs);
        self.leave(match until {
            LeadUntil::Own(..) => Writer::Caller,
            LeadUntil::Drained => Writer::Worker,
        });
    }

    /// True when the oldest written request is unanswered one response timeout past its own
    /// deadline: the server is stuck (or a blocking command holds the connection) and every
    /// request behind it would time out too, so the connection is recycled.
    fn is_stuck(&self, gen: u64) -> bool {
        let st = self.state.lock();
        if st.generation != gen || st.fifo.len() <= st.unwritten {
            return false;
        }
        match st.fifo.front() {
            Some(s) => Instant::now() >= s.deadline() + self.config.response_timeout(),
            None => false,
        }
    }

    /// As the leader: write whatever submitters queued while we read. `Ok(false)` when the
    /// connection failed meanwhile, the write's error when it failed here.
    fn flush_as_reader(&self, gen: u64) -> Result<bool> {
        {
            let mut st = self.state.lock();
            if st.generation != gen || !matches!(st.status, Status::Connected) {
                return Ok(false);
            }
            if st.pending.is_empty() || st.writing {
                return Ok(true);
            }
            st.writing = true;
        }
        self.write_batches(Writer::Leader).map_err(|(_, e)| e)?;
        Ok(self.state.lock().generation == gen)
    }

    /// Releases the read side. Requests queued behind the leader are written first (in the
    /// same critical section that releases the role, so none is stranded), and the read side is
    /// handed on if requests are still outstanding.
    fn leave(&self, who: Writer) {
        let mut st = self.state.lock();
        st.reading = false;
        self.reading_hint.store(false, Ordering::SeqCst);
        if self.take_writer_role(&mut st) {
            // On a duplex connection a waiting caller can read while this thread writes: hand
            // the read side on now, not after the last batch (the worker may write for long).
            let next = if st.duplex {
                self.hand_off(&mut st)
            } else {
                None
            };
            drop(st);
            self.changed.notify_all();
            if let Some(t) = next {
                t.unpark();
            }
            // Hands the read side on when done, if nobody took it meanwhile.
            self.write_pending(who);
            return;
        }
        let next = self.hand_off(&mut st);
        drop(st);
        self.changed.notify_all();
        if let Some(t) = next {
            t.unpark();
        }
    }

    /// Under the state lock: takes the writer role when bytes are pending and nobody writes.
    fn take_writer_role(&self, st: &mut State) -> bool {
        if st.pending.is_empty()
            || st.writing
            || (!st.duplex && st.reading)
            || !matches!(st.status, Status::Connected)
        {
            return false;
        }
        st.writing = true;
        true
    }

    /// The worker writes what is pending and leads while requests nobody waits for are
    /// outstanding.
    pub(crate) fn lead_if_needed(&self) {
        {
            let mut st = self.state.lock();
            if self.take_writer_role(&mut st) {
                drop(st);
                self.write_pending(Writer::Worker);
                st = self.state.lock();
            }
            if !self.can_lead(&st) || st.fifo.len() <= st.unwritten {
                return;
            }
            st.reading = true;
            self.reading_hint.store(true, Ordering::SeqCst);
        }
        self.lead(LeadUntil::Drained);
    }

    /// The connection of generation `gen` failed: every outstanding request completes with an
    /// error, the socket is shut down, and the worker reconnects.
    pub(crate) fn fail(&self, gen: u64, cause: Error) {
        self.fail_and_release(gen, cause, false);
    }

    /// [`Pipe::fail`] for the leader: it gives up the read side in the same critical section,
    /// so that nothing it does afterwards (logging, completing slots) holds a role that the
    /// reconnection waits for.
    fn fail_leading(&self, gen: u64, cause: Error) {
        self.fail_and_release(gen, cause, true);
    }

    fn fail_and_release(&self, gen: u64, cause: Error, release_read: bool) {
        let (slots, node, closer) = {
            let mut st = self.state.lock();
            if release_read {
                st.reading = false;
                self.reading_hint.store(false, Ordering::SeqCst);
            }
            if st.generation != gen || !matches!(st.status, Status::Connected) {
                drop(st);
                if release_read {
                    // Already failed by someone else (and perhaps reconnected): the read side
                    // goes to whoever waits on the new connection.
                    self.changed.notify_all();
                    self.check_lost_wakeup();
                }
                return;
            }
            st.generation += 1;
            st.status = if st.shutdown {
                Status::Closed
            } else {
                Status::Broken(cause.clone())
            };
            st.pending.clear();
            st.unwritten = 0;
            self.outstanding_hint.store(0, Ordering::SeqCst);
            (
                std::mem::take(&mut st.fifo),
                st.node.clone(),
                st.closer.take(),
            )
        };
        // Outside the lock: shutting down may log.
        if let Some(c) = closer {
            c.shutdown();
        }
        self.changed.notify_all();
        self.wake_worker();
        for s in slots {
            s.complete(Err(Error::new(
                ErrorKind::Closed,
                "the connection was lost while the request was in flight; it may or may not have been executed",
            )
            .with_node(&node)
            .with_source(cause.clone())));
        }
        // Logged last, holding no lock: a logger may itself use this client.
        log::warn!("coredis: connection to {node} lost: {cause}");
    }

    /// Marks the pipe closed: submitters fail from now on. Outstanding requests are left to
    /// finish; the worker closes the socket once they have.
    pub(crate) fn close(&self) {
        let mut st = self.state.lock();
        st.shutdown = true;
        if !matches!(st.status, Status::Connected) {
            st.status = Status::Closed;
        }
        drop(st);
        self.changed.notify_all();
        self.wake_worker();
    }

    /// Shuts the socket down for good and fails whatever is still outstanding.
    pub(crate) fn close_now(&self) {
        let gen = self.state.lock().generation;
        self.fail(gen, Error::new(ErrorKind::Closed, "the client was closed"));
        let mut st = self.state.lock();
        st.status = Status::Closed;
        let closer = st.closer.take();
        drop(st);
        if let Some(c) = closer {
            c.shutdown();
        }
        self.changed.notify_all();
    }

    /// True while requests are outstanding.
    pub(crate) fn has_outstanding(&self) -> bool {
        !self.state.lock().fifo.is_empty()
    }

    /// Waits until neither role is held (before installing a new connection).
    pub(crate) fn wait_roles_free(&self, limit: Duration) {
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

impl ReadSide {
    /// Sets the socket's read timeout to `tick` unless it already is (one system call, only
    /// when the value changes: in the hot path it stays at the maximum).
    fn set_tick(&mut self, tick: Duration) -> std::io::Result<()> {
        if self.tick != tick {
            if let Some(r) = &self.reader {
                r.set_read_timeout(Some(tick))?;
            }
            self.tick = tick;
        }
        Ok(())
    }
}

/// Reads more bytes into the read buffer, growing or compacting it as needed.
fn read_more(rs: &mut ReadSide) -> std::io::Result<usize> {
    if rs.end == rs.buf.len() {
        if rs.start > 0 {
            rs.buf.copy_within(rs.start..rs.end, 0);
            rs.end -= rs.start;
            rs.start = 0;
        } else {
            let n = rs.buf.len().saturating_mul(2).max(READ_BUF);
            rs.buf.resize(n, 0);
        }
    }
    let ReadSide {
        reader, buf, end, ..
    } = rs;
    let reader = match reader.as_mut() {
        Some(r) => r,
        None => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "no connection",
            ))
        }
    };
    let dst = buf.get_mut(*end..).unwrap_or_default();
    let n = reader.read(dst)?;
    *end += n;
    Ok(n)
}
