//! Futures-like handles: a command already sent, its reply to be collected later.
//!
//! Owns: [`Handle`], returned by every command method of [`crate::Deferred`]. One thread can
//! keep many commands in flight with handles and collect them in any order; the replies come
//! back in one batch of reads instead of one kernel wake-up per command.
//!
//! Must not: block in `Drop`. Dropping a handle that was never waited on is safe: its reply is
//! read and discarded by whoever reads next (the connection's worker if nobody else does).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cmd::{Cmd, ReplyFn};
use crate::error::{Error, ErrorKind, Result};
use crate::mux::{Pipe, Slot};
use crate::resp;

/// A command that was sent and whose reply has not been collected yet.
///
/// Obtained from [`crate::Redis::deferred`]. Collect the reply with [`Handle::wait`] (blocks up
/// to the response timeout), [`Handle::wait_timeout`] (blocks at most a given time and keeps the
/// handle usable), or poll with [`Handle::is_ready`] / [`Handle::try_take`].
///
/// ```no_run
/// use coredis::prelude::*;
/// let r = coredis::Redis::from_url("redis://127.0.0.1:6379")?;
/// let handles: Vec<_> = (0..64).map(|i| r.deferred().incr(format!("counter:{i}"))).collect();
/// for h in handles {
///     let n: i64 = h.wait()?;
///     assert!(n >= 1);
/// }
/// # Ok::<(), coredis::Error>(())
/// ```
#[must_use = "a handle does nothing unless its reply is collected; drop it explicitly to discard the reply"]
pub struct Handle<T> {
    pipe: Arc<Pipe>,
    state: HandleState,
    name: Cow<'static, str>,
    reply: ReplyFn<T>,
    deadline: Instant,
}

enum HandleState {
    InFlight(Arc<Slot>),
    Failed(Error),
    Taken,
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            HandleState::InFlight(slot) if slot.is_done() => "ready",
            HandleState::InFlight(_) => "pending",
            HandleState::Failed(_) => "failed",
            HandleState::Taken => "taken",
        };
        f.debug_struct("Handle")
            .field("command", &self.name)
            .field("state", &state)
            .finish()
    }
}

impl<T> Handle<T> {
    /// Sends `cmd` on `pipe` and returns its handle; a failure to send is kept in the handle.
    /// `waits_now` says whether the caller waits for the reply right away (a blocking call);
    /// when it does not, the connection's worker is asked to read in the meantime.
    pub(crate) fn submit(
        pipe: &Arc<Pipe>,
        cmd: Cmd<T>,
        timeout: Duration,
        waits_now: bool,
    ) -> Handle<T> {
        let deadline = Instant::now() + timeout;
        let state = match cmd.check_shareable().and_then(|_| {
            pipe.submit(cmd.arg_count(), cmd.encoded_args(), deadline)
                .map_err(|e| e.with_command(cmd.name()).with_node(&pipe.node()))
        }) {
            Ok(slot) => {
                if !waits_now {
                    pipe.nudge();
                }
                HandleState::InFlight(slot)
            }
            Err(e) => HandleState::Failed(e),
        };
        let (name, reply) = cmd.into_reply_parts();
        Handle {
            pipe: pipe.clone(),
            state,
            name,
            reply,
            deadline,
        }
    }

    /// The name of the command this handle waits for.
    pub fn command(&self) -> &str {
        &self.name
    }

    /// Blocks until the reply is in (or the response timeout passes) and converts it.
    pub fn wait(mut self) -> Result<T> {
        match self.wait_until(self.deadline) {
            Some(r) => r,
            None => self.give_up(),
        }
    }

    /// Blocks at most `timeout` (and never past the response timeout). Returns `None` when the
    /// reply is not in yet; the handle stays usable and can be waited on again. Once a result
    /// was returned, later calls return an error.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<Result<T>> {
        let until = Instant::now().checked_add(timeout).unwrap_or(self.deadline);
        if until >= self.deadline {
            return Some(match self.wait_until(self.deadline) {
                Some(r) => r,
                None => self.give_up(),
            });
        }
        self.wait_until(until)
    }

    /// True when the reply (or an error) is in and [`Handle::try_take`] will return it.
    pub fn is_ready(&self) -> bool {
        match &self.state {
            HandleState::InFlight(slot) => {
                if slot.is_done() {
                    return true;
                }
                self.pipe.nudge();
                Instant::now() >= self.deadline
            }
            HandleState::Failed(_) | HandleState::Taken => true,
        }
    }

    /// Returns the result if it is in, without blocking; `None` while the reply is pending.
    /// After the response timeout it returns a timeout error.
    pub fn try_take(&mut self) -> Option<Result<T>> {
        match &self.state {
            HandleState::InFlight(slot) => {
                if !slot.is_done() {
                    if Instant::now() >= self.deadline {
                        return Some(self.give_up());
                    }
                    self.pipe.nudge();
                    return None;
                }
                let r = slot.take();
                self.state = HandleState::Taken;
                Some(self.finish(r))
            }
            HandleState::Failed(_) => {
                match std::mem::replace(&mut self.state, HandleState::Taken) {
                    HandleState::Failed(e) => Some(Err(e)),
                    _ => None,
                }
            }
            HandleState::Taken => Some(Err(already_taken(&self.name))),
        }
    }

    fn wait_until(&mut self, until: Instant) -> Option<Result<T>> {
        match &self.state {
            HandleState::InFlight(slot) => {
                let r = self.pipe.wait(slot, until)?;
                self.state = HandleState::Taken;
                Some(self.finish(Some(r)))
            }
            HandleState::Failed(_) => {
                match std::mem::replace(&mut self.state, HandleState::Taken) {
                    HandleState::Failed(e) => Some(Err(e)),
                    _ => None,
                }
            }
            HandleState::Taken => Some(Err(already_taken(&self.name))),
        }
    }

    /// The response timeout passed: abandon the slot (its reply will be discarded), unless
    /// the reply raced in at the last moment: then it is the result, since the command ran.
    fn give_up(&mut self) -> Result<T> {
        match std::mem::replace(&mut self.state, HandleState::Taken) {
            HandleState::InFlight(slot) => {
                let late = slot.abandon();
                self.pipe.nudge();
                match late {
                    Some(r) => self.finish(Some(r)),
                    None => Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "no reply within the response timeout of {:?}",
                            self.pipe.config.response_timeout()
                        ),
                    )
                    .with_command(&self.name)
                    .with_node(&self.pipe.node())),
                }
            }
            HandleState::Failed(e) => Err(e),
            HandleState::Taken => Err(already_taken(&self.name)),
        }
    }

    /// Decodes and converts the reply; errors get the command's name and the node.
    fn finish(&self, frame: Option<Result<bytes::Bytes>>) -> Result<T> {
        let result = match frame {
            Some(Ok(f)) => {
                resp::decode(&f).and_then(|value| Cmd::<T>::convert(&self.name, self.reply, value))
            }
            Some(Err(e)) => Err(e),
            None => Err(already_taken(&self.name)),
        };
        result.map_err(|e| e.with_command(&self.name).with_node(&self.pipe.node()))
    }
}

fn already_taken(name: &str) -> Error {
    Error::new(
        ErrorKind::Usage,
        "the reply of this handle was already taken",
    )
    .with_command(name)
}

impl<T> Drop for Handle<T> {
    fn drop(&mut self) {
        if let HandleState::InFlight(slot) = &self.state {
            if !slot.was_taken() {
                slot.abandon();
                self.pipe.nudge();
            }
        }
    }
}
