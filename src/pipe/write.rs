//! Submitting requests and the writer role: write combining, deferral behind the leader, and
//! the bound on how long one thread keeps the role.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use super::slot::Slot;
use super::state::{State, Status};
use super::wake::Wake;
use super::{closed_error, Pipe, DEFER_THRESHOLD};
use crate::cmd::Request;
use crate::connection::ConnWriter;
use crate::error::{Error, ErrorKind, Result};
use crate::replicas::WaitForReplicas;

/// The writer's half of the connection; only the thread holding the writer role touches it.
pub(super) struct WriteSide {
    writer: Option<ConnWriter>,
    generation: u64,
    /// The buffer swapped with the pending bytes for each batch (kept to reuse its memory).
    pub(super) spare: Vec<u8>,
}

impl WriteSide {
    pub(super) fn new() -> WriteSide {
        WriteSide {
            writer: None,
            generation: 0,
            spare: Vec::with_capacity(INITIAL_WRITE_BUF),
        }
    }

    /// Takes the writing half of a new connection of `generation`.
    pub(super) fn install(&mut self, writer: ConnWriter, generation: u64) {
        self.writer = Some(writer);
        self.generation = generation;
    }
}

/// Empties a written batch buffer, giving the memory of a big write back.
fn shrink(buf: &mut Vec<u8>) {
    buf.clear();
    if buf.capacity() > MAX_IDLE_WRITE_BUF {
        *buf = Vec::with_capacity(INITIAL_WRITE_BUF);
    }
}

/// Initial capacity of the write buffers.
pub(super) const INITIAL_WRITE_BUF: usize = 4096;

/// A write buffer grown past this by a big request is replaced by a small one once written.
pub(super) const MAX_IDLE_WRITE_BUF: usize = 1024 * 1024;

/// Who holds the writer role, which bounds how long it keeps it. Callers and leaders write
/// by their own request's deadline: a write that would run past it fails the connection
/// rather than hold the call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Writer {
    /// A caller submitting or leaving the read side: a few batches, then it returns to its
    /// own reply.
    Caller(Instant),
    /// The leader flushing before a read: one batch, then it reads.
    Leader(Instant),
    /// The worker, which has no deadline of its own: each batch gets one response timeout.
    Worker,
}

impl Writer {
    /// How many `write`s the role is kept for at most. The worker keeps it while requests
    /// keep coming on a duplex connection: one thread writing while another reads is the
    /// fastest pipeline for a thread keeping many handles in flight (measured: 10–15 % more
    /// throughput than handing writing back after four batches). On a half-duplex
    /// connection, where nobody can read during a write, it is bounded like a caller. Every
    /// writer also stops early when what was queued during its last write is small and
    /// enough is in flight ([`worth_another_write`]): a thread queueing deferred requests
    /// as fast as it can made the worker write them a few at a time, one system call and one
    /// server wake-up each (98,000 `send`s for 2,000,000 requests; 7,000 since).
    fn max_batches(self, duplex: bool) -> usize {
        match self {
            Writer::Worker if duplex => usize::MAX,
            Writer::Caller(_) | Writer::Worker => 4,
            Writer::Leader(_) => 1,
        }
    }

    /// When a batch written now must be done.
    fn deadline(self, response_timeout: std::time::Duration) -> Instant {
        match self {
            Writer::Caller(d) | Writer::Leader(d) => d,
            Writer::Worker => Instant::now() + response_timeout,
        }
    }
}

impl Pipe {
    /// Queues one request and writes it unless another thread will. Returns the request's slot.
    /// Blocks while the connection is being (re-)established or the queue is full, at most
    /// until `deadline`. A write is followed by `WAIT` when the client asks for replicas
    /// ([`crate::ConfigBuilder::wait_for_replicas`]); the slot then judges its reply.
    pub(crate) fn submit(&self, request: &Request, deadline: Instant) -> Result<Arc<Slot>> {
        self.submit_after(&[], 0, request, deadline)
    }

    /// [`Pipe::submit`] with `prefix`, `prefix_count` requests encoded back to back, sent
    /// before `request` in the same submission (`ASKING`); the slot holds all their replies.
    pub(crate) fn submit_after(
        &self,
        prefix: &[u8],
        prefix_count: usize,
        request: &Request,
        deadline: Instant,
    ) -> Result<Arc<Slot>> {
        let wait = self
            .config
            .wait_for_replicas()
            .filter(|_| request.is_write());
        let bytes = prefix.len()
            + request.encoded_len()
            + wait.as_ref().map_or(0, WaitForReplicas::encoded_len);
        let count = prefix_count + 1 + usize::from(wait.is_some());
        let slot = Slot::new(deadline, bytes, count).judged_by(wait);
        self.submit_encoded(slot, None, |out| {
            out.extend_from_slice(prefix);
            request.encode_into(out);
            if let Some(w) = &wait {
                w.encode_into(out);
            }
        })
    }

    /// Queues a batch of `count` requests already encoded back to back in `encoded` (a
    /// pipeline) as one submission: one slot, which completes when all `count` replies are in,
    /// with them concatenated. It counts as `count` requests against `max_in_flight` (and is
    /// let through alone when it is larger than that bound). When nothing else is waiting to
    /// be written, `encoded` becomes the write buffer as it is (no copy).
    pub(crate) fn submit_batch(
        &self,
        encoded: Vec<u8>,
        count: usize,
        deadline: Instant,
        follows: Option<&Slot>,
    ) -> Result<Arc<Slot>> {
        let slot = Slot::new(deadline, encoded.len(), count);
        self.submit_encoded(slot, follows, move |out| {
            if out.is_empty() {
                *out = encoded;
            } else {
                out.extend_from_slice(&encoded);
            }
        })
    }

    /// Queues `slot`'s request, written by `encode` into the pending bytes; `follows`: the
    /// batch it continues (see [`Slot::may_be_followed`]).
    fn submit_encoded(
        &self,
        slot: Slot,
        follows: Option<&Slot>,
        encode: impl FnOnce(&mut Vec<u8>),
    ) -> Result<Arc<Slot>> {
        let (bytes, count, deadline) = (slot.bytes(), slot.replies(), slot.deadline());
        let slot = Arc::new(slot);
        // The FIFO's reference, taken before the lock: nothing but the queueing itself is done
        // while other callers and the reader wait for it.
        let queued = slot.clone();
        let mut st = self.state.lock();
        loop {
            if follows.is_some_and(|prev| !prev.may_be_followed(st.generation)) {
                return Err(Error::new(
                    ErrorKind::Closed,
                    "the connection that carried the previous part of this pipeline was lost \
                     before it was answered; this part was not sent",
                )
                .not_sent());
            }
            match &st.status {
                Status::Draining | Status::Closed => return Err(closed_error()),
                Status::Connected => {
                    // Room in the queue: a request count and a byte budget (a request larger
                    // than the whole budget still goes, alone).
                    if (st.fifo_requests == 0
                        || st.fifo_requests.saturating_add(count) <= self.config.max_in_flight())
                        && (st.fifo_bytes == 0
                            || st.fifo_bytes.saturating_add(bytes)
                                <= self.config.max_in_flight_bytes())
                    {
                        break;
                    }
                    // Full: make sure somebody drains the replies, then wait for space.
                    if !st.reading {
                        self.wake_worker();
                    }
                }
                Status::Connecting(e) => {
                    // Only the worker connects: when it is the caller (a logger using the
                    // client), waiting would hold the connection up until `deadline`.
                    if self.on_worker() {
                        let err =
                            Error::new(ErrorKind::Closed, "the connection is being re-established");
                        return Err(match e {
                            Some(e) => err.with_source(e.clone()),
                            None => err,
                        });
                    }
                    // The last attempt's credentials were refused (the password was changed
                    // or the user disabled on the server): waiting will not help, so fail now
                    // with that `ErrorKind::Auth` error instead of a `Timeout` at the deadline.
                    // The worker keeps trying with its back-off; a later call works once an
                    // attempt succeeds.
                    if let Some(e) = e.as_ref().filter(|e| e.kind() == ErrorKind::Auth) {
                        return Err(e.clone());
                    }
                    self.wake_worker()
                }
            }
            st.waiting_submitters += 1;
            let timed_out = self.changed.wait_until(&mut st, deadline).timed_out();
            st.waiting_submitters -= 1;
            if timed_out {
                return Err(submit_timeout(&st));
            }
        }
        encode(&mut st.pending);
        st.submitted += 1;
        slot.set_seq(st.submitted, st.generation);
        st.fifo.push_back(queued);
        st.fifo_bytes += bytes;
        st.fifo_requests += count;
        st.unwritten += 1;
        self.mirror_outstanding(&st);
        if st.writing {
            return Ok(slot);
        }
        // Enough is in flight: only queue. A reply is due soon, and whoever reads it flushes
        // first: the leader before each read, a caller about to wait when it takes the read
        // side, the worker for deferred submissions (their `nudge`) and, a moment later, for
        // quiet ones nobody else writes (`Pipe::flush_soon`). Once `WRITE_AT_ONCE` bytes are
        // queued (a long pipeline's chunk, or a thread's stream of deferred requests), the
        // submitter writes them itself: they gain nothing from waiting for more to join the
        // write, and it goes on queueing meanwhile.
        if (st.pending.len() < WRITE_AT_ONCE && st.unanswered() >= DEFER_THRESHOLD)
            || (st.reading && !st.duplex)
        {
            return Ok(slot);
        }
        st.writing = true;
        let idle = self.claim_if_idle(&mut st);
        drop(st);
        self.write_after_look(idle, Writer::Caller(deadline));
        Ok(slot)
    }

    /// Under the state lock, for a thread that just took the writer role: nothing written is
    /// unanswered and nobody reads, so the connection has been idle and nobody has watched it.
    /// Takes the read side too, for [`Pipe::write_after_look`] to look first.
    fn claim_if_idle(&self, st: &mut State) -> bool {
        let idle = !st.reading && st.unanswered() == 0;
        if idle {
            st.reading = true;
            self.reading_hint.store(true, Ordering::SeqCst);
        }
        idle
    }

    /// Writes what is pending as `who`, which holds the writer role and, when the connection
    /// was `idle` ([`Pipe::claim_if_idle`]), the read side: it looks at the connection first
    /// ([`Pipe::check_idle`], which gives the read side back). If the look fails, the
    /// connection is replaced and the requests, never sent, wait for the new one.
    fn write_after_look(&self, idle: bool, who: Writer) {
        let mut pushes = 0;
        if !idle || self.check_idle(&mut pushes) {
            self.write_pending(who);
        }
        super::read::log_pushes(pushes);
    }

    /// Writes what is pending, in at most `who.max_batches(duplex)` `write`s (bytes queued while a
    /// batch is written go out in the next one: write combining). The caller holds the writer
    /// role (`writing` is set) and releases it here. Bytes still pending then are left to the
    /// leader, which flushes before each read, or to the worker, so that nobody's call is held
    /// up for long by a stream of other callers' requests.
    ///
    /// A failed write fails the connection (of the generation written to).
    pub(super) fn write_pending(&self, who: Writer) {
        if let Err((gen, e)) = self.write_batches(who) {
            self.fail(gen, e);
        }
    }

    /// [`Pipe::write_pending`], handing a failed write back with its generation instead: the
    /// leader fails the connection itself once it has let go of the read side.
    pub(super) fn write_batches(&self, who: Writer) -> std::result::Result<(), (u64, Error)> {
        let mut w = self.write.lock();
        let mut buf = std::mem::take(&mut w.spare);
        let mut batches = 0;
        loop {
            let gen = {
                let mut st = self.state.lock();
                if st.pending.is_empty()
                    || st.generation != w.generation
                    || batches == who.max_batches(st.duplex)
                    || (batches > 0 && !worth_another_write(&st))
                {
                    let wake = self.release_writer(&mut st, who);
                    drop(st);
                    w.spare = buf;
                    drop(w);
                    wake.apply(self);
                    return Ok(());
                }
                std::mem::swap(&mut st.pending, &mut buf);
                st.unwritten = 0;
                st.generation
            };
            batches += 1;
            let deadline = who.deadline(self.config.response_timeout());
            let res = match w.writer.as_mut() {
                Some(wr) => wr.write_all_by(&buf, deadline),
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "no connection",
                )),
            };
            shrink(&mut buf);
            if let Err(e) = res {
                let err = if e.kind() == std::io::ErrorKind::TimedOut {
                    Error::new(
                        ErrorKind::Timeout,
                        "the server did not read the request before its deadline; closing the \
                         connection (part of the request may have been sent)",
                    )
                    .with_source(e)
                } else {
                    Error::io("writing to the connection failed", e)
                };
                // Release the role first: failing the connection wakes the worker, which waits
                // for both roles to be free before it reconnects.
                self.state.lock().writing = false;
                w.spare = buf;
                drop(w);
                return Err((gen, err));
            }
        }
    }

    /// Under the state lock: gives up the writer role, handing the read side on if needed, and
    /// asks the worker to go on where a caller stops.
    fn release_writer(&self, st: &mut State, who: Writer) -> Wake {
        // Bytes still pending after the connection failed are requests that were never sent:
        // they wait for the next connection, in step with their slots (never clear them here).
        let mut wake = Wake::default();
        st.writing = false;
        wake.unpark = self.hand_off(st);
        // Someone must write what is left and read for submitters blocked on a full queue:
        // the worker, unless this thread goes on reading or another leads (a leader flushes
        // before each read, and takes the writer role as it leaves).
        wake.worker = !matches!(who, Writer::Leader(_))
            && st.status.is_open()
            && !st.reading
            && (!st.pending.is_empty() || (st.waiting_submitters > 0 && st.unanswered() > 0));
        wake.notify = st.waiting_submitters > 0;
        wake
    }

    /// Under the state lock: takes the writer role when bytes are pending and nobody writes.
    pub(super) fn take_writer_role(&self, st: &mut State) -> bool {
        if st.pending.is_empty() || st.writing || (!st.duplex && st.reading) || !st.status.is_open()
        {
            return false;
        }
        st.writing = true;
        true
    }

    /// The worker, asked by [`Pipe::flush_soon`]: writes what is queued if nobody reads or
    /// writes, looking at an idle connection first as a submitter would
    /// ([`Pipe::check_idle`]).
    pub(super) fn flush_unattended(&self) {
        let idle = {
            let mut st = self.state.lock();
            if st.reading || !self.take_writer_role(&mut st) {
                return;
            }
            self.claim_if_idle(&mut st)
        };
        self.write_after_look(idle, Writer::Worker);
    }

    /// As the leader: write whatever submitters queued while we read. `Ok(false)` when the
    /// connection failed meanwhile, the write's error when it failed here.
    pub(super) fn flush_as_reader(&self, gen: u64, who: Writer) -> Result<bool> {
        {
            let mut st = self.state.lock();
            if st.generation != gen || !st.status.is_open() {
                return Ok(false);
            }
            if st.pending.is_empty() || st.writing {
                return Ok(true);
            }
            st.writing = true;
        }
        self.write_batches(who).map_err(|(_, e)| e)?;
        Ok(self.state.lock().generation == gen)
    }
}

/// Once this many bytes are queued, the submitter writes them at once even while enough is in
/// flight for it to leave them to the next reader (see [`DEFER_THRESHOLD`]).
const WRITE_AT_ONCE: usize = 16 * 1024;

/// For a writer that has written a batch already: is what was queued meanwhile worth another
/// `write` now? Not when it is small and enough is in flight: whoever reads next flushes it
/// before reading, or a submitter once it has grown to `WRITE_AT_ONCE`.
fn worth_another_write(st: &State) -> bool {
    st.pending.len() >= WRITE_AT_ONCE || st.unanswered() < DEFER_THRESHOLD
}

/// The error of a submitter whose deadline passed before its request could be queued.
fn submit_timeout(st: &State) -> Error {
    match &st.status {
        Status::Connecting(e) => {
            let err = Error::new(
                ErrorKind::Timeout,
                "timed out waiting for the connection to be established",
            );
            match e {
                Some(e) => err.with_source(e.clone()),
                None => err,
            }
        }
        Status::Draining | Status::Closed => closed_error(),
        Status::Connected => Error::new(
            ErrorKind::Timeout,
            format!(
                "timed out waiting for room in the request queue ({} requests, {} bytes \
                 queued or unanswered; see max_in_flight and max_in_flight_bytes)",
                st.fifo_requests, st.fifo_bytes
            ),
        ),
    }
}
