//! Waiting for replies and the reader (leader) role: fill the buffer, cut frames, match them to
//! the FIFO, complete the slots; and the stuck-connection rule.

use bytes::Bytes;
use smallvec::SmallVec;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::slot::Slot;
use super::state::Status;
use super::write::Writer;
use super::Pipe;
use crate::connection::{ConnReader, FrameReader, Readiness};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::{self, Limits};

/// The longest read timeout set on the socket: how often a blocked leader looks at its
/// deadline and at the stuck-connection rule. A leader whose deadline is nearer shortens it for
/// its last reads, so `wait_timeout(d)` returns after `d`, not after the next tick.
const READ_TICK: Duration = Duration::from_millis(100);

/// Frames and completions of one read, kept inline for the common case.
type Frames = SmallVec<[Bytes; 16]>;
type Completions = SmallVec<[(Arc<Slot>, Bytes); 16]>;

/// The reader's half of the connection; only the thread holding the read side touches it.
pub(super) struct ReadSide {
    reader: Option<FrameReader>,
    generation: u64,
    limits: Limits,
}

/// What a leader was asked to wait for.
pub(super) enum LeadUntil<'a> {
    /// Its own slot completes, or its deadline passes.
    Own(&'a Arc<Slot>, Instant),
    /// The worker: until nothing written is outstanding, or the instant given (when
    /// draining a closed client). Callers that start waiting meanwhile park and are completed
    /// by the worker (measured: handing the read side back to them costs more wake-ups than it
    /// saves when one thread keeps many handles in flight).
    Drained(Option<Instant>),
}

/// How a leader's loop ended.
enum LeadEnd {
    /// Its reason to lead is met: release the read side normally.
    Done,
    /// The connection of this generation failed: fail it, releasing the read side.
    Failed(u64, Error),
    /// A reply could not be parsed: the oldest request gets the protocol error, the others in
    /// flight `Closed`.
    BadReply(u64, Error),
}

impl ReadSide {
    pub(super) fn new(limits: Limits) -> ReadSide {
        ReadSide {
            reader: None,
            generation: 0,
            limits,
        }
    }

    /// Takes the reading half of a new connection of `generation`.
    pub(super) fn install(&mut self, reader: ConnReader, generation: u64) {
        self.reader = Some(FrameReader::new(reader, self.limits));
        self.generation = generation;
    }

    /// Reads once, waking up after `tick` at the latest. `Ok(true)` when bytes came in,
    /// `Ok(false)` when the tick passed first.
    fn fill(&mut self, tick: Duration) -> Result<bool> {
        match self.reader.as_mut() {
            Some(r) => r.fill(tick),
            None => Err(Error::new(ErrorKind::Io, "no connection")),
        }
    }

    /// What an idle connection holds: `Ok` when nothing (or only push frames, counted in
    /// `pushes`), else the error to fail it with.
    fn idle_verdict(&mut self, pushes: &mut usize) -> Result<()> {
        let Some(r) = self.reader.as_mut() else {
            return Err(Error::new(ErrorKind::Io, "no connection"));
        };
        match r.poll_idle() {
            Readiness::Quiet => return Ok(()),
            Readiness::Closed => {
                return Err(Error::new(
                    ErrorKind::Io,
                    "the server closed the connection while it was idle",
                ))
            }
            Readiness::Readable => {}
        }
        // For TLS the bytes may be a TLS record only (a session ticket): then no data comes.
        r.fill(Duration::ZERO)?;
        while let Some(frame) = r.next_frame()? {
            if !resp::is_push(&frame) {
                return Err(Error::protocol(
                    "the server sent a reply while no request was outstanding",
                ));
            }
            *pushes += 1;
        }
        // A push frame still arriving is left for the next reader; anything else is not ours.
        if !r.is_empty() && !r.partial_is_push() {
            return Err(Error::protocol(
                "the server sent data while no request was outstanding",
            ));
        }
        Ok(())
    }

    /// Cuts the complete frames in the buffer into `frames`.
    fn cut(&mut self, frames: &mut Frames) -> Result<()> {
        match self.reader.as_mut() {
            Some(r) => r.take_frames(frames),
            None => Ok(()),
        }
    }
}

impl Pipe {
    /// Waits for `slot`'s reply until `until`, leading the read side when nobody else does.
    /// Returns the raw frame (or the error the slot completed with), or `None` when `until`
    /// passed first; the slot is then still in flight and can be waited on again.
    pub(crate) fn wait(&self, slot: &Arc<Slot>, until: Instant) -> Option<Result<Bytes>> {
        if slot.is_done() {
            // The reply is in (a thread keeping many handles finds most of them so). No waiter
            // was registered by this call, so no hand-off can have chosen it: there is no
            // lost wake-up to check for (`check_lost_wakeup` is for callers that registered),
            // and nothing here touches what the reader writes.
            return Some(take_reply(slot));
        }
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
                if slot.enter_waiter_queue() {
                    super::wake::prune_waiters(&mut st);
                    st.waiters.push_back(slot.clone());
                }
            }
            thread::park_timeout(until.saturating_duration_since(Instant::now()));
        }
        slot.clear_waiter();
        self.check_lost_wakeup();
        Some(take_reply(slot))
    }

    /// The worker writes what is pending and leads while requests nobody waits for are
    /// outstanding, until `until` at most.
    pub(super) fn lead_if_needed(&self, until: Option<Instant>) {
        {
            let mut st = self.state.lock();
            if self.take_writer_role(&mut st) {
                drop(st);
                self.write_pending(Writer::Worker);
                st = self.state.lock();
            }
            if !self.can_lead(&st) || st.unanswered() == 0 {
                return;
            }
            st.reading = true;
            self.reading_hint.store(true, Ordering::SeqCst);
        }
        self.lead(LeadUntil::Drained(until));
    }

    /// The leader's loop: flush, read, complete replies in FIFO order, until `until` is met.
    /// The caller has set `state.reading`; this releases it.
    fn lead(&self, until: LeadUntil<'_>) {
        let mut pushes = 0usize;
        let who = match &until {
            LeadUntil::Own(slot, _) => Writer::Caller(slot.deadline()),
            LeadUntil::Drained(_) => Writer::Worker,
        };
        match self.lead_loop(until, &mut pushes) {
            LeadEnd::Done => self.leave(who),
            LeadEnd::Failed(gen, e) => self.fail_leading(gen, e),
            LeadEnd::BadReply(gen, e) => self.fail_on_bad_reply(gen, e),
        }
        log_pushes(pushes);
    }

    fn lead_loop(&self, until: LeadUntil<'_>, pushes: &mut usize) -> LeadEnd {
        let mut rs = self.read.lock();
        let gen = rs.generation;
        let mut frames = Frames::new();
        let mut done = Completions::new();
        let (own, flusher) = match &until {
            // Writes by the request's deadline (moved by `exec` for a long pipeline's chunk).
            LeadUntil::Own(s, _) => (Some(*s), Writer::Leader(s.deadline())),
            LeadUntil::Drained(_) => (None, Writer::Worker),
        };
        loop {
            if self.lead_is_over(&until, gen) {
                return LeadEnd::Done;
            }
            match self.flush_as_reader(gen, flusher) {
                Ok(true) => {}
                Ok(false) => return LeadEnd::Done,
                Err(e) => return LeadEnd::Failed(gen, e),
            }
            // Read, waking up by the leader's deadline at the latest.
            let max_tick = READ_TICK.min(self.config.response_timeout());
            let tick = match &until {
                LeadUntil::Own(_, deadline) | LeadUntil::Drained(Some(deadline)) => deadline
                    .saturating_duration_since(Instant::now())
                    .min(max_tick),
                LeadUntil::Drained(None) => max_tick,
            };
            match rs.fill(tick) {
                Ok(true) => {}
                Ok(false) => {
                    if let Some(e) = self.stuck(gen) {
                        return LeadEnd::Failed(gen, e);
                    }
                    continue;
                }
                Err(e) => return LeadEnd::Failed(gen, e),
            }
            if let Err(e) = rs.cut(&mut frames) {
                // Complete what came before the bad frame first: those replies are good.
                if !frames.is_empty() {
                    let _ = self.dispatch(gen, &mut frames, &mut done, pushes);
                    complete(&mut done, own);
                }
                return LeadEnd::BadReply(gen, e);
            }
            if frames.is_empty() {
                // Bytes came but no whole reply: a reply trickling in does not keep a stuck
                // connection alive (the rule is about the oldest request's age, not silence).
                if let Some(e) = self.stuck(gen) {
                    return LeadEnd::Failed(gen, e);
                }
                continue;
            }
            let matched = self.dispatch(gen, &mut frames, &mut done, pushes);
            complete(&mut done, own);
            match matched {
                Dispatch::Matched => {}
                Dispatch::Stale => return LeadEnd::Done,
                Dispatch::Unexpected => {
                    return LeadEnd::Failed(
                        gen,
                        Error::protocol("received a reply that no request was waiting for"),
                    )
                }
            }
        }
    }

    /// Looks at a connection that has been idle, before the first request is written to it.
    /// The caller holds both roles (set under the state lock, with nothing written unanswered)
    /// and gives up the read side here. Returns false when the connection was found closed by
    /// the server, or holding bytes nobody asked for (anything but RESP3 push frames): it was
    /// then failed, and the requests not yet written wait for the new connection — they were
    /// certainly not sent, so they are neither failed nor reported as "may have run".
    ///
    /// Without this look, a reply nobody asked for would be handed to the next request (and
    /// every later reply to the wrong caller), and a connection the server closed while idle
    /// (its `timeout` setting, `CLIENT KILL`) would fail the next command, which never reached
    /// it, as "may or may not have run". Costs one non-blocking `recv(MSG_PEEK)`.
    ///
    /// Push frames found are counted in `pushes`, for the caller to log once it holds no role.
    pub(super) fn check_idle(&self, pushes: &mut usize) -> bool {
        let (gen, verdict) = {
            let mut rs = self.read.lock();
            let gen = rs.generation;
            (gen, rs.idle_verdict(pushes))
        };
        match verdict {
            Ok(()) => {
                self.locked(|st, wake| {
                    st.reading = false;
                    self.reading_hint.store(false, Ordering::SeqCst);
                    wake.unpark = self.hand_off(st);
                });
                true
            }
            Err(e) => {
                self.fail_while_idle(gen, e);
                false
            }
        }
    }

    /// Is there a reason for the leader to stop?
    fn lead_is_over(&self, until: &LeadUntil<'_>, gen: u64) -> bool {
        match until {
            LeadUntil::Own(slot, deadline) => slot.is_done() || Instant::now() >= *deadline,
            LeadUntil::Drained(deadline) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return true;
                }
                let st = self.state.lock();
                // A client closed meanwhile: the worker goes on draining, by a deadline.
                let closing = deadline.is_none() && matches!(st.status, Status::Draining);
                st.unanswered() == 0 || st.generation != gen || closing
            }
        }
    }

    /// Under the state lock: pops one slot per reply frame, in order, into `done`; push frames
    /// go to the push listeners (none yet: they are counted and dropped).
    fn dispatch(
        &self,
        gen: u64,
        frames: &mut Frames,
        done: &mut Completions,
        pushes: &mut usize,
    ) -> Dispatch {
        let mut st = self.state.lock();
        if st.generation != gen {
            frames.clear();
            return Dispatch::Stale;
        }
        let mut outcome = Dispatch::Matched;
        for f in frames.drain(..) {
            if resp::is_push(&f) {
                *pushes += 1;
                continue;
            }
            if st.unanswered() == 0 {
                outcome = Dispatch::Unexpected;
                break;
            }
            let Some(front) = st.fifo.front() else {
                outcome = Dispatch::Unexpected;
                break;
            };
            if let Some(reply) = front.add_frame(f) {
                if let Some(s) = st.pop_front() {
                    done.push((s, reply));
                }
            }
        }
        frames.clear();
        self.mirror_outstanding(&st);
        if st.waiting_submitters > 0 {
            self.changed.notify_all();
        }
        outcome
    }

    /// The stuck-connection rule: the oldest written request is unanswered one response
    /// timeout past its own deadline, so the server is stuck and every request behind it would
    /// time out too. Returns the error to fail the connection with.
    fn stuck(&self, gen: u64) -> Option<Error> {
        let st = self.state.lock();
        if st.generation != gen || st.unanswered() == 0 {
            return None;
        }
        let oldest = st.fifo.front()?;
        (Instant::now() >= oldest.deadline() + self.config.response_timeout()).then(|| {
            Error::new(
                ErrorKind::Timeout,
                format!(
                    "the oldest request got no reply for twice the response timeout ({:?}); \
                     closing the stuck connection",
                    self.config.response_timeout()
                ),
            )
        })
    }

    /// Releases the read side. Requests queued behind the leader are written first (in the
    /// same critical section that releases the role, so none is stranded), and the read side is
    /// handed on if requests are still outstanding.
    fn leave(&self, who: Writer) {
        let write = self.locked(|st, wake| {
            st.reading = false;
            self.reading_hint.store(false, Ordering::SeqCst);
            wake.notify = true;
            let write = self.take_writer_role(st);
            // On a duplex connection a waiting caller can read while this thread writes: hand
            // the read side on now, not after the last batch (the worker may write for long).
            if !write || st.duplex {
                wake.unpark = self.hand_off(st);
            }
            write
        });
        if write {
            // Hands the read side on when done, if nobody took it meanwhile.
            self.write_pending(who);
        }
    }
}

/// What matching a batch of frames to the FIFO found.
enum Dispatch {
    /// Every frame went to its request (or was a push).
    Matched,
    /// The connection failed and was replaced meanwhile: the frames belong to nobody.
    Stale,
    /// A reply came with no request waiting for it: the stream is out of step.
    Unexpected,
}

/// The reply (or error) stored in a completed slot.
fn take_reply(slot: &Slot) -> Result<Bytes> {
    slot.take().unwrap_or_else(|| {
        Err(Error::new(
            ErrorKind::Usage,
            "the reply of this request was already taken",
        ))
    })
}

/// Completes the slots of `done`, outside the lock; the leader's own slot without a wake-up.
fn complete(done: &mut Completions, own: Option<&Arc<Slot>>) {
    for (s, f) in done.drain(..) {
        if own.is_some_and(|o| Arc::ptr_eq(o, &s)) {
            s.complete_quiet(Ok(f));
        } else {
            s.complete(Ok(f));
        }
    }
}

/// Logs dropped push frames. Called holding no lock and no role: a logger may itself use the
/// client.
pub(super) fn log_pushes(pushes: usize) {
    if pushes > 0 {
        log::debug!("coredis: dropped {pushes} push frame(s) (no listener)");
    }
}
