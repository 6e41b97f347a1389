//! One-shot reply slots: where the reader puts a request's raw reply frame and its owner finds it.
//!
//! A slot is an atomic `done` flag plus a small mutex around the result and the thread waiting
//! on it. Completion is store → release-publish → `unpark`; there is no channel message per
//! request. A slot whose owner gave up (timeout, dropped handle) is *abandoned*: it stays in the
//! connection's FIFO so the stream stays in sync, and its reply is dropped when it arrives.

use bytes::Bytes;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::replicas::WaitForReplicas;

/// A request's place in the reply FIFO.
pub(crate) struct Slot {
    done: AtomicBool,
    /// The slot is in the pipe's queue of waiters (under the pipe's state lock).
    queued_waiter: AtomicBool,
    /// When the request's owner stops waiting (its response timeout).
    deadline: Instant,
    /// How far past `deadline` its owner now waits (nanoseconds; 0 normally): a long
    /// pipeline's chunk whose replies wait for `exec`, which counts its own timeout.
    extended: AtomicU64,
    /// The size of the encoded request, counted against the connection's byte budget until
    /// the reply is in.
    bytes: usize,
    /// How many reply frames complete the slot: 1, or a pipeline's command count.
    replies: usize,
    /// Its place among every slot of its pipe (set as it enters the FIFO, under the pipe's
    /// lock): the order in which the server runs the requests.
    seq: AtomicU64,
    /// The generation of the connection it was queued for (set with `seq`).
    generation: AtomicU64,
    /// The last reply is that of a `WAIT` after a write, judged before the owner gets the
    /// others (see [`crate::replicas`]).
    wait: Option<WaitForReplicas>,
    inner: Mutex<SlotInner>,
}

#[derive(Default)]
struct SlotInner {
    result: Option<Result<Bytes>>,
    /// A batch's frames received so far, back to back, and how many.
    partial: Vec<u8>,
    received: usize,
    waiter: Option<Thread>,
    abandoned: bool,
    taken: bool,
}

impl Slot {
    /// A pending slot for a request (or a batch of `replies` requests) of `bytes` bytes whose
    /// owner waits until `deadline`.
    pub(crate) fn new(deadline: Instant, bytes: usize, replies: usize) -> Slot {
        Slot {
            done: AtomicBool::new(false),
            queued_waiter: AtomicBool::new(false),
            deadline,
            extended: AtomicU64::new(0),
            bytes,
            replies: replies.max(1),
            seq: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            wait: None,
            inner: Mutex::new(SlotInner::default()),
        }
    }

    /// This slot, its last reply that of `wait` (when `Some`): the owner gets the replies
    /// before it if enough replicas acknowledged them, an error otherwise.
    pub(crate) fn judged_by(mut self, wait: Option<WaitForReplicas>) -> Slot {
        self.wait = wait;
        self
    }

    /// Under the pipe's state lock, with its current connection generation: may a batch that
    /// continues this one (a long pipeline's next chunk) be queued? Yes while this one is on
    /// the current connection (queued, in flight or answered), or answered without error on
    /// an earlier one; no when it failed with its connection (or is failing: taken from the
    /// FIFO, not yet completed). So what runs of a pipeline is always a prefix of it.
    pub(crate) fn may_be_followed(&self, generation: u64) -> bool {
        self.generation() == generation || self.completed_ok()
    }

    /// True when the slot holds (or held) a reply, not an error.
    fn completed_ok(&self) -> bool {
        matches!(self.inner.lock().result, Some(Ok(_)))
    }

    /// The result the owner gets from the stored one.
    fn judged(&self, r: Result<Bytes>) -> Result<Bytes> {
        match (&self.wait, r) {
            (Some(w), Ok(frames)) => w.verdict(frames),
            (_, r) => r,
        }
    }

    /// Sets the slot's place in its pipe's order and the generation of the connection it
    /// was queued for (as it enters the FIFO).
    pub(crate) fn set_seq(&self, seq: u64, generation: u64) {
        self.seq.store(seq, Ordering::Relaxed);
        self.generation.store(generation, Ordering::Relaxed);
    }

    /// Moves the slot to the connection of `generation` (a request kept, unsent, for the next
    /// connection).
    pub(crate) fn set_generation(&self, generation: u64) {
        self.generation.store(generation, Ordering::Relaxed);
    }

    /// The generation of the connection the slot was queued for (0 before it was queued).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// The slot's place in its pipe's order: a slot with a higher number was run by the
    /// server later (0 before it entered the FIFO).
    pub(crate) fn seq(&self) -> u64 {
        self.seq.load(Ordering::Relaxed)
    }

    /// When the owner stops waiting.
    pub(crate) fn deadline(&self) -> Instant {
        match self.extended.load(Ordering::Relaxed) {
            0 => self.deadline,
            nanos => self.deadline + Duration::from_nanos(nanos),
        }
    }

    /// Moves the deadline to `until` when that is later (its owner waits longer; the
    /// stuck-connection rule then counts from there too).
    pub(crate) fn extend_deadline(&self, until: Instant) {
        let nanos = until.saturating_duration_since(self.deadline).as_nanos();
        let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
        self.extended.fetch_max(nanos, Ordering::Relaxed);
    }

    /// The size of the encoded request.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// How many reply frames complete the slot.
    pub(crate) fn replies(&self) -> usize {
        self.replies
    }

    /// One more reply frame for this slot, in order. Returns the slot's whole reply once it is
    /// complete: the frame itself for a single request, or a batch's frames back to back.
    /// Frames of a batch whose owner gave up are counted, not kept.
    pub(crate) fn add_frame(&self, frame: Bytes) -> Option<Bytes> {
        if self.replies == 1 {
            return Some(frame);
        }
        let mut g = self.inner.lock();
        g.received += 1;
        if !g.abandoned {
            g.partial.extend_from_slice(&frame);
        }
        (g.received >= self.replies).then(|| Bytes::from(std::mem::take(&mut g.partial)))
    }

    /// Stores the reply (or error) and wakes the registered waiter, if any. A slot completes once;
    /// later completions and completions of abandoned slots are dropped.
    pub(crate) fn complete(&self, result: Result<Bytes>) {
        let waiter = {
            let mut g = self.inner.lock();
            if g.abandoned || g.result.is_some() || g.taken {
                return;
            }
            g.result = Some(result);
            self.done.store(true, Ordering::Release);
            g.waiter.take()
        };
        if let Some(t) = waiter {
            t.unpark();
        }
    }

    /// Like [`Slot::complete`] but without waking anyone: for the leader's own slot.
    pub(crate) fn complete_quiet(&self, result: Result<Bytes>) {
        let mut g = self.inner.lock();
        if g.abandoned || g.result.is_some() || g.taken {
            return;
        }
        g.result = Some(result);
        g.waiter = None;
        self.done.store(true, Ordering::Release);
    }

    /// True once a reply or an error is stored.
    #[inline]
    pub(crate) fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Takes the result once it is stored; `None` while pending or after it was taken.
    pub(crate) fn take(&self) -> Option<Result<Bytes>> {
        let mut g = self.inner.lock();
        let r = g.result.take();
        if r.is_some() {
            g.taken = true;
        }
        drop(g);
        r.map(|r| self.judged(r))
    }

    /// True when the result was already taken by its owner.
    pub(crate) fn was_taken(&self) -> bool {
        self.inner.lock().taken
    }

    /// Registers `t` to be unparked on completion. Returns false when the slot is already done
    /// (the caller must not park then).
    pub(crate) fn set_waiter(&self, t: Thread) -> bool {
        let mut g = self.inner.lock();
        if g.result.is_some() {
            return false;
        }
        g.waiter = Some(t);
        true
    }

    /// Forgets the registered waiter (the owner is about to lead or to return).
    pub(crate) fn clear_waiter(&self) {
        self.inner.lock().waiter = None;
    }

    /// Marks the slot as in the pipe's queue of waiters; false when it already was.
    pub(crate) fn enter_waiter_queue(&self) -> bool {
        !self.queued_waiter.swap(true, Ordering::Relaxed)
    }

    /// The slot left the pipe's queue of waiters.
    pub(crate) fn leave_waiter_queue(&self) {
        self.queued_waiter.store(false, Ordering::Relaxed);
    }

    /// The registered waiter, for hand-offs of the read side.
    pub(crate) fn waiter(&self) -> Option<Thread> {
        let g = self.inner.lock();
        if g.result.is_some() {
            return None;
        }
        g.waiter.clone()
    }

    /// The owner gives up: a result that is already there is returned, otherwise any later reply
    /// is discarded.
    pub(crate) fn abandon(&self) -> Option<Result<Bytes>> {
        let mut g = self.inner.lock();
        g.waiter = None;
        match g.result.take() {
            Some(r) => {
                g.taken = true;
                drop(g);
                Some(self.judged(r))
            }
            None => {
                g.abandoned = true;
                None
            }
        }
    }
}
