//! Wake-ups: who takes the read side next, the lost wake-up guard, and waking the worker.
//!
//! The rule this file makes structural: nothing is woken (and nothing logged) while the state
//! lock is held. Code under the lock records what to wake in a [`Wake`]; [`Pipe::locked`] (or
//! the code that released the lock) applies it afterwards.

use std::sync::atomic::{fence, Ordering};
use std::thread::Thread;

use super::state::State;
use super::Pipe;

/// Wake-ups decided under the state lock, done after it is released.
#[derive(Default)]
#[must_use = "a Wake does nothing until it is applied"]
pub(super) struct Wake {
    /// Notify the condition variable (submitters waiting for space or a connection, the
    /// reconnection waiting for roles to be free).
    pub(super) notify: bool,
    /// Unpark this thread: it takes the read side.
    pub(super) unpark: Option<Thread>,
    /// Wake the worker thread.
    pub(super) worker: bool,
    /// Run the lost wake-up check (it takes the state lock itself).
    pub(super) lost_wakeup_check: bool,
}

impl Wake {
    /// Does the recorded wake-ups. Call it holding no lock.
    pub(super) fn apply(self, pipe: &Pipe) {
        if self.notify {
            pipe.changed.notify_all();
        }
        if self.worker {
            pipe.wake_worker();
        }
        if let Some(t) = self.unpark {
            t.unpark();
        }
        if self.lost_wakeup_check {
            pipe.check_lost_wakeup();
        }
    }
}

impl Pipe {
    /// Records the worker thread so callers can wake it, and [`Pipe::close_and_wait`] join it.
    pub(super) fn set_worker(&self, handle: std::thread::JoinHandle<()>) {
        *self.worker.lock() = Some(handle.thread().clone());
        *self.worker_join.lock() = Some(handle);
    }

    /// Wakes the worker thread (to lead, reconnect or shut down).
    pub(super) fn wake_worker(&self) {
        self.worker_wanted.store(true, Ordering::SeqCst);
        if let Some(t) = &*self.worker.lock() {
            t.unpark();
        }
    }

    /// True when the calling thread is the worker.
    pub(super) fn on_worker(&self) -> bool {
        self.worker
            .lock()
            .as_ref()
            .is_some_and(|t| t.id() == std::thread::current().id())
    }

    /// Requests are outstanding that nobody may be waiting for (a handle was created, polled or
    /// dropped): make sure someone reads. Costs nothing while a reader is active.
    pub(crate) fn nudge(&self) {
        if !self.reading_hint.load(Ordering::SeqCst) && self.outstanding_hint.load(Ordering::SeqCst)
        {
            self.wake_worker();
        }
    }

    /// After a submission that must not wake the worker for every request (`Submit::Quiet`:
    /// a cluster's handles, spread over many connections, are read by whoever waits for them):
    /// if the request was only queued (enough are in flight for it to wait for the next
    /// reader's flush) and nobody reads or writes, ask the worker to write it after
    /// [`FLUSH_GRACE`](super::FLUSH_GRACE). Without this, a request queued behind four
    /// unanswered ones was not sent until one of the connection's handles was waited on,
    /// polled or dropped. The worker is woken once until it has looked.
    pub(crate) fn flush_soon(&self) {
        if self.reading_hint.load(Ordering::SeqCst) || self.flush_wanted.load(Ordering::SeqCst) {
            return;
        }
        let unattended = {
            let st = self.state.lock();
            !st.pending.is_empty() && !st.reading && !st.writing
        };
        if unattended && !self.flush_wanted.swap(true, Ordering::SeqCst) {
            if let Some(t) = &*self.worker.lock() {
                t.unpark();
            }
        }
    }

    /// Before a caller returns: if requests are outstanding and nobody reads, hand the read
    /// side to the oldest waiter.
    ///
    /// The lost wake-up of the measurements (a writer moving other callers' requests into the
    /// FIFO after the leader left and found nobody to hand off to) is closed structurally now:
    /// every release of a role hands off in the same critical section ([`Pipe::hand_off`] in
    /// `leave` and `release_writer`). What is left for this check is a waiter that was chosen
    /// by a hand-off but returns without reading — its own wait ended (`wait_timeout`, its
    /// deadline) between being chosen and running. Without the check the other waiters would
    /// sleep until the worker's next look (up to a second) or their deadline. That window is
    /// too narrow for a test to open on purpose; the hand-off itself is tested.
    pub(super) fn check_lost_wakeup(&self) {
        fence(Ordering::SeqCst);
        if self.reading_hint.load(Ordering::SeqCst) || !self.outstanding_hint.load(Ordering::SeqCst)
        {
            return;
        }
        self.locked(|st, wake| wake.unpark = self.hand_off(st));
    }

    /// Under the state lock, after the FIFO changed: updates the lock-free mirror of "some
    /// request is outstanding". Only whether the FIFO is empty is mirrored, and only a change
    /// is stored: a stream of submissions to a busy connection writes nothing shared here.
    pub(super) fn mirror_outstanding(&self, st: &State) {
        let outstanding = !st.fifo.is_empty();
        if self.outstanding_hint.load(Ordering::Relaxed) != outstanding {
            self.outstanding_hint.store(outstanding, Ordering::SeqCst);
        }
    }

    /// Under the state lock: which parked caller should take the read side now, if anybody.
    ///
    /// Only callers that registered as waiters (under this same lock, before parking) are
    /// candidates. The worker is deliberately not woken here: requests whose owners are not
    /// waiting need no reader yet (whoever waits next leads), and waking it on every release
    /// would put a thread hand-off on the lone caller's path. Owners that poll, drop a handle or
    /// find the queue full wake the worker themselves ([`Pipe::nudge`]).
    pub(super) fn hand_off(&self, st: &mut State) -> Option<Thread> {
        if st.reading || st.unanswered() == 0 || !st.status.is_open() {
            prune_waiters(st);
            return None;
        }
        while let Some(slot) = st.waiters.pop_front() {
            slot.leave_waiter_queue();
            if let Some(t) = slot.waiter() {
                return Some(t);
            }
        }
        None
    }

    /// Under the state lock: may a waiting caller take the read side?
    pub(super) fn can_lead(&self, st: &State) -> bool {
        !st.reading && st.status.is_open() && (st.duplex || !st.writing) && !st.fifo.is_empty()
    }
}

/// Under the state lock: drops the entries at the front of the waiters' queue whose owners no
/// longer wait (their reply came, or they gave up), so the queue does not keep slots alive.
pub(super) fn prune_waiters(st: &mut State) {
    while let Some(front) = st.waiters.front() {
        if front.waiter().is_some() {
            return;
        }
        front.leave_waiter_queue();
        st.waiters.pop_front();
    }
}
