//! Futures-like handles: a command already sent, its reply to be collected later.
//!
//! Owns: [`Handle`], returned by every command method of [`crate::Deferred`] (and used inside
//! the blocking calls too). A handle is a pending reply — a slot in the shared pipe's FIFO, or
//! a dedicated connection owing one reply — plus the command's [`Decoder`]. One thread can keep
//! many commands in flight with handles and collect them in any order; the replies come back in
//! one batch of reads instead of one kernel wake-up per command.
//!
//! Must not: block in `Drop`. Dropping a handle that was never waited on is safe: its reply is
//! read and discarded by whoever reads next (the pipe's worker if nobody else does); a
//! dedicated connection whose reply was abandoned is closed, never reused.

use bytes::Bytes;
use parking_lot::Mutex;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cache::Fill;
use crate::cmd::{Decoder, Request};
use crate::error::{Error, ErrorKind, Result, ServerError};
use crate::pipe::{Pipe, Slot};
use crate::pool::{Pool, Pooled};
use crate::retry::{Backoff, RetryPolicy};
use crate::value::Value;

/// A command that was sent and whose reply has not been collected yet.
///
/// Obtained from [`crate::Redis::deferred`]. Collect the reply with [`Handle::wait`] (blocks up
/// to the response timeout), [`Handle::wait_timeout`] (blocks at most a given time and keeps the
/// handle usable), or poll with [`Handle::is_ready`] / [`Handle::try_wait`].
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
    state: State,
    decoder: Decoder<T>,
    deadline: Instant,
    /// Where an error reply may be sent again (cluster redirections, the retry policy); `None`
    /// when neither applies (the request is then not kept).
    redirect: Option<Box<Redirecting>>,
    /// Stores the reply in the client-side cache (a cacheable read that missed).
    fill: Option<Box<Fill>>,
}

/// The redirection hook and the retry policy of a handle, and what they need to send the
/// request again.
struct Redirecting {
    hook: Option<Arc<dyn Redirect>>,
    request: Request,
    attempts: u32,
    /// How many replies ahead of the request's own the current slot holds (`ASKING`'s `+OK`).
    skip: usize,
    retry: Option<Retrying>,
}

impl Redirecting {
    /// The state of a handle whose request was sent again (`resent`), or failed to be.
    fn waiting_on(&mut self, resent: Result<Resent>) -> State {
        match resent {
            Ok(resent) => {
                self.skip = resent.skip;
                State::Shared {
                    pipe: resent.pipe,
                    slot: resent.slot,
                }
            }
            Err(e) => State::Failed(e),
        }
    }

    /// When to send the request again after `failure`, if the retry policy says so.
    fn pause(&mut self, failure: &Failure<'_>, deadline: Instant) -> Option<Instant> {
        let readonly = self.request.is_readonly();
        self.retry.as_mut()?.next(readonly, failure, deadline)
    }
}

/// A retry policy other than `Never`, and how many times the request was sent so far.
pub(crate) struct Retrying {
    policy: RetryPolicy,
    backoff: Backoff,
    sent: u32,
}

impl Retrying {
    /// `None` for [`RetryPolicy::Never`]: nothing to keep.
    pub(crate) fn new(policy: RetryPolicy, backoff: Backoff) -> Option<Retrying> {
        (policy != RetryPolicy::Never).then_some(Retrying {
            policy,
            backoff,
            sent: 1,
        })
    }

    /// When to send again a request (read-only or not) that failed with `error` (a server
    /// error code or a failure without reply), if the policy, the attempts and `deadline`
    /// allow: the end of the back-off.
    fn next(&mut self, readonly: bool, error: &Failure<'_>, deadline: Instant) -> Option<Instant> {
        let allowed = match error {
            Failure::Refused(code) => self.policy.retries_refusal(readonly, code),
            Failure::Lost(e) => self.policy.retries_failure(readonly, e),
        };
        if !allowed || self.sent >= self.backoff.max_attempts() {
            return None;
        }
        let resume = Instant::now().checked_add(self.backoff.delay(self.sent))?;
        if resume >= deadline {
            return None;
        }
        self.sent += 1;
        Some(resume)
    }
}

/// A failure the retry policy looks at.
enum Failure<'a> {
    /// A server error reply.
    Refused(&'a crate::error::ServerCode),
    /// No reply (the connection was lost).
    Lost(&'a Error),
}

/// Where a redirected request was sent again: the pipe, its reply slot, and how many replies
/// of the slot come before the request's own (1 after an `ASKING` sent in the same batch).
pub(crate) struct Resent {
    pub(crate) pipe: Arc<Pipe>,
    pub(crate) slot: Arc<Slot>,
    pub(crate) skip: usize,
}

impl Resent {
    /// The request's reply is the slot's only one.
    pub(crate) fn alone(pipe: Arc<Pipe>, slot: Arc<Slot>) -> Resent {
        Resent {
            pipe,
            slot,
            skip: 0,
        }
    }
}

/// Where a router plugs in to follow `MOVED`, `ASK` and `TRYAGAIN`: called when a handle's
/// reply is a server error, before the error reaches the caller. It may send the request
/// again — to another node, after `ASKING`, after a pause — and hand back where the new reply
/// will come from; the handle then waits for that one instead (within its own deadline).
pub(crate) trait Redirect: Send + Sync {
    /// `request` got `error` back from `from` on its `attempt`-th try (1 for the first).
    /// `None` lets the error through to the caller.
    fn redirect(
        &self,
        from: &Arc<Pipe>,
        request: &Request,
        error: &crate::error::ServerError,
        attempt: u32,
    ) -> Option<Result<Resent>>;

    /// The request failed on `from` without a reply (connection lost, timeout): a router may
    /// want to look at the topology again. The error still reaches the caller (unless the
    /// retry policy sends the request again).
    fn failed(&self, _from: &Arc<Pipe>, _error: &Error) {}

    /// A request that blocks, sent on a dedicated connection to `node`, got `error` back on
    /// its `attempt`-th try: a router may send it again on a dedicated connection (of another
    /// node, after `ASKING`, after a pause) and hand back that connection and how many replies
    /// come before the request's own. `None` (the default) lets the error through.
    fn redirect_dedicated(
        &self,
        _node: &str,
        _request: &Request,
        _error: &crate::error::ServerError,
        _attempt: u32,
    ) -> Option<Result<(Pooled, usize)>> {
        None
    }

    /// The retry policy sends `request` again after it failed on `from`: where to. By default
    /// on `from` again; a router routes it anew.
    fn resend(&self, from: &Arc<Pipe>, request: &Request, deadline: Instant) -> Result<Resent> {
        resend_on(from, request, deadline)
    }
}

/// Sends `request` again on `from`.
fn resend_on(from: &Arc<Pipe>, request: &Request, deadline: Instant) -> Result<Resent> {
    let slot = from.submit(request, deadline)?;
    from.nudge();
    Ok(Resent::alone(from.clone(), slot))
}

/// Where the reply comes from.
enum State {
    /// A slot in the shared pipe's FIFO.
    Shared { pipe: Arc<Pipe>, slot: Arc<Slot> },
    /// A dedicated connection that owes this command's reply.
    Dedicated(Box<Mutex<Pooled>>),
    /// The request failed on `pipe` with `error` and is sent again at `resume` (retry policy).
    Pause {
        pipe: Arc<Pipe>,
        resume: Instant,
        error: Error,
    },
    /// A request split across nodes (cluster multi-key commands and fan-outs): the parts and
    /// how their replies merge into one.
    Many(Box<Parts>),
    /// The reply, from the client-side cache.
    Cached(Bytes),
    /// Sending failed; the error is the result.
    Failed(Error),
    /// The result was handed out.
    Taken,
}

/// How the replies of the parts of a split request become its reply.
pub(crate) type Merge = Box<dyn FnOnce(Vec<Result<Value>>) -> Result<Value> + Send + Sync>;

/// The parts of a split request: one handle per part until its reply is in, then its result.
pub(crate) struct Parts {
    pending: Vec<Option<Handle<Value>>>,
    done: Vec<Option<Result<Value>>>,
    merge: Option<Merge>,
}

/// Whether the submitter waits for the reply right away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Submit {
    /// A blocking call: the caller waits (and reads) now.
    AndWait,
    /// A deferred call: the handle is returned; the worker is asked to read meanwhile.
    Deferred,
    /// A deferred call whose reply is read by whoever waits for it (or polls or drops the
    /// handle), without waking the worker. A cluster's handles are spread over several
    /// nodes: waking each node's worker for every command cost a thread wake-up per command
    /// (measured in `benches/cluster.rs`, inflight-64: 0.83 → 0.07 context switches and
    /// 12.3 → 8.6 µs of client CPU per command, +24 % throughput). A request only queued
    /// (four unanswered ahead of it) while nobody reads or writes is still sent at once, give
    /// or take a millisecond: the worker is asked to write it (`Pipe::flush_soon`), at most
    /// once per `FLUSH_GRACE` and connection.
    Quiet,
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Shared { slot, .. } if slot.is_done() => "ready",
            State::Cached(_) => "cached",
            State::Shared { .. } | State::Dedicated(_) | State::Many(_) => "pending",
            State::Pause { .. } => "retrying",
            State::Failed(_) => "failed",
            State::Taken => "taken",
        };
        f.debug_struct("Handle")
            .field("command", &self.decoder.command())
            .field("state", &state)
            .finish()
    }
}

impl<T> Handle<T> {
    /// Sends `request` on the shared pipe.
    pub(crate) fn shared(
        pipe: &Arc<Pipe>,
        request: Request,
        decoder: Decoder<T>,
        deadline: Instant,
        how: Submit,
    ) -> Handle<T> {
        let submitted = Handle::<T>::submit_shared(pipe, &request, deadline);
        Handle::submitted(pipe, submitted, decoder, deadline, how)
    }

    /// Checks `request` and puts it on `pipe`.
    fn submit_shared(pipe: &Arc<Pipe>, request: &Request, deadline: Instant) -> Result<Arc<Slot>> {
        request
            .check_valid()
            .and_then(|()| request.check_shareable())
            .and_then(|()| {
                pipe.submit(request, deadline)
                    .map_err(|e| e.with_command(request.name()).with_node(&pipe.node()))
            })
    }

    /// Sends a batch of `count` commands, encoded back to back, on the shared pipe as one
    /// submission; `decoder` gets all their replies at once.
    pub(crate) fn shared_batch(
        pipe: &Arc<Pipe>,
        encoded: Vec<u8>,
        count: usize,
        decoder: Decoder<T>,
        deadline: Instant,
        how: Submit,
        follows: Option<&Slot>,
    ) -> Handle<T> {
        let submitted = pipe
            .submit_batch(encoded, count, deadline, follows)
            .map_err(|e| e.with_command(decoder.command()).with_node(&pipe.node()));
        Handle::submitted(pipe, submitted, decoder, deadline, how)
    }

    fn submitted(
        pipe: &Arc<Pipe>,
        submitted: Result<Arc<Slot>>,
        decoder: Decoder<T>,
        deadline: Instant,
        how: Submit,
    ) -> Handle<T> {
        let state = match submitted {
            Ok(slot) => {
                match how {
                    Submit::Deferred => pipe.nudge(),
                    Submit::Quiet => pipe.flush_soon(),
                    Submit::AndWait => {}
                }
                State::Shared {
                    pipe: pipe.clone(),
                    slot,
                }
            }
            Err(e) => State::Failed(e),
        };
        Handle::new(state, decoder, deadline)
    }

    fn new(state: State, decoder: Decoder<T>, deadline: Instant) -> Handle<T> {
        Handle {
            state,
            decoder,
            deadline,
            redirect: None,
            fill: None,
        }
    }

    /// A handle whose reply comes from the client-side cache.
    pub(crate) fn cached(frame: Bytes, decoder: Decoder<T>) -> Handle<T> {
        Handle::new(State::Cached(frame), decoder, Instant::now())
    }

    /// This handle, storing its reply in the client-side cache through `fill`.
    pub(crate) fn filling(mut self, fill: Option<Fill>) -> Handle<T> {
        self.fill = fill.map(Box::new);
        self
    }

    /// [`Handle::shared`], with `hook` asked about error replies (see [`Redirect`]) and
    /// `retry` deciding which failures send the request again (see [`crate::retry`]).
    pub(crate) fn shared_redirecting(
        pipe: &Arc<Pipe>,
        request: Request,
        decoder: Decoder<T>,
        deadline: Instant,
        how: Submit,
        hook: Option<Arc<dyn Redirect>>,
        retry: Option<Retrying>,
    ) -> Handle<T> {
        // The request is kept (not copied) to be sent again if redirected or retried.
        let submitted = Handle::<T>::submit_shared(pipe, &request, deadline);
        if let (Err(e), Some(hook)) = (&submitted, &hook) {
            hook.failed(pipe, e);
        }
        let mut h = Handle::submitted(pipe, submitted, decoder, deadline, how);
        h.redirect = Some(Box::new(Redirecting {
            hook,
            request,
            attempts: 1,
            skip: 0,
            retry,
        }));
        h
    }

    /// A handle whose result is `error` (the request was refused before sending).
    pub(crate) fn failed(error: Error, decoder: Decoder<T>) -> Handle<T> {
        Handle::new(State::Failed(error), decoder, Instant::now())
    }

    /// A request sent in `parts` (already sent, one handle each); `merge` turns their results,
    /// in order, into the reply that `decoder` converts.
    pub(crate) fn many(
        parts: Vec<Handle<Value>>,
        merge: Merge,
        decoder: Decoder<T>,
        deadline: Instant,
    ) -> Handle<T> {
        let done = parts.iter().map(|_| None).collect();
        let parts = Parts {
            pending: parts.into_iter().map(Some).collect(),
            done,
            merge: Some(merge),
        };
        Handle::new(State::Many(Box::new(parts)), decoder, deadline)
    }

    /// Sends `request` on a dedicated connection from `pool` (checked out by `checkout`).
    pub(crate) fn dedicated(
        pool: &Arc<Pool>,
        request: Request,
        decoder: Decoder<T>,
        checkout: Instant,
        deadline: Instant,
    ) -> Handle<T> {
        let sent = request
            .check_valid()
            .and_then(|()| pool.checkout(checkout))
            .and_then(|mut conn| {
                conn.send(&request, deadline)
                    .map_err(|e| e.with_node(conn.node()))?;
                Ok(conn)
            });
        let state = match sent {
            Ok(conn) => State::Dedicated(Box::new(Mutex::new(conn))),
            Err(e) => State::Failed(e.with_command(request.name())),
        };
        Handle::new(state, decoder, deadline)
    }

    /// This handle of a request sent on a dedicated connection, with `hook` asked about its
    /// error replies ([`Redirect::redirect_dedicated`]); `request` is kept to be sent again.
    pub(crate) fn redirected_by(mut self, hook: Arc<dyn Redirect>, request: Request) -> Handle<T> {
        self.redirect = Some(Box::new(Redirecting {
            hook: Some(hook),
            request,
            attempts: 1,
            skip: 0,
            retry: None,
        }));
        self
    }

    /// Where the request went on the shared pipe (the pipe, by address, and its place in the
    /// order the server runs its requests); `None` unless it is waiting in a pipe's FIFO.
    pub(crate) fn sent(&self) -> Option<crate::cache::Sent> {
        match &self.state {
            State::Shared { pipe, slot } => Some((Arc::as_ptr(pipe) as usize, slot.seq())),
            _ => None,
        }
    }

    /// This handle, waiting until `until` at least (a long pipeline's chunk, sent while the
    /// pipeline was built and waited for from `exec` on, perhaps more than a response timeout
    /// later). Its request's deadline moves too, so that its replies, unread until now, do not
    /// count as overdue for the stuck-connection rule.
    pub(crate) fn waiting_until(mut self, until: Instant) -> Handle<T> {
        self.deadline = self.deadline.max(until);
        if let State::Shared { slot, .. } = &self.state {
            slot.extend_deadline(until);
        }
        self
    }

    /// The reply slot of a request queued on a shared pipe.
    pub(crate) fn slot(&self) -> Option<&Arc<Slot>> {
        match &self.state {
            State::Shared { slot, .. } => Some(slot),
            _ => None,
        }
    }

    /// Whether the handle kept its request (to redirect or retry it).
    #[cfg(test)]
    pub(crate) fn keeps_request(&self) -> bool {
        self.redirect.is_some()
    }

    /// The name of the command this handle waits for.
    pub fn command(&self) -> &str {
        self.decoder.command()
    }

    /// Blocks until the reply is in (or the response timeout passes) and converts it.
    ///
    /// # Errors
    /// The command's error: [`ErrorKind::Timeout`] when no reply came within the response
    /// timeout, [`ErrorKind::Closed`] when the connection was lost meanwhile (the command may or
    /// may not have run), a server error reply, or a reply that does not convert to `T`.
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

    /// True when the reply (or an error) is in and [`Handle::try_wait`] will return it. Under a
    /// retry policy ([`crate::RetryPolicy`]) it is also true when a retry's pause is over:
    /// `try_wait` then sends the request again and returns `None` (pending) once more.
    pub fn is_ready(&self) -> bool {
        match &self.state {
            State::Shared { pipe, slot } => {
                if slot.is_done() {
                    return true;
                }
                pipe.nudge();
                Instant::now() >= self.deadline
            }
            State::Dedicated(conn) => conn.lock().poll_ready() || Instant::now() >= self.deadline,
            // Once the pause is over, `try_wait` sends the request again (and is pending then).
            State::Pause { resume, .. } => Instant::now() >= *resume,
            State::Many(parts) => parts.pending.iter().flatten().all(Handle::is_ready),
            State::Cached(_) | State::Failed(_) | State::Taken => true,
        }
    }

    /// Returns the result if it is in, without blocking; `None` while the reply is pending.
    /// After the response timeout it returns a timeout error.
    pub fn try_wait(&mut self) -> Option<Result<T>> {
        if let State::Shared { pipe, slot } = &self.state {
            if !slot.is_done() {
                if Instant::now() >= self.deadline {
                    return Some(self.give_up());
                }
                pipe.nudge();
                return None;
            }
        }
        match self.wait_until(Instant::now()) {
            Some(r) => Some(r),
            None if Instant::now() >= self.deadline => Some(self.give_up()),
            None => None,
        }
    }

    /// Waits until `until` at most; `None` when the reply is still pending then.
    fn wait_until(&mut self, until: Instant) -> Option<Result<T>> {
        loop {
            let frame = match &self.state {
                State::Shared { pipe, slot } => pipe.wait(slot, until)?,
                State::Pause { resume, .. } => {
                    let resume = *resume;
                    std::thread::sleep(resume.min(until).saturating_duration_since(Instant::now()));
                    if resume > until {
                        return None;
                    }
                    self.resend();
                    continue;
                }
                State::Dedicated(conn) => match conn.lock().recv(until) {
                    Ok(None) => return None,
                    Ok(Some(frame)) => Ok(frame),
                    Err(e) => Err(e),
                },
                State::Many(_) => return self.wait_parts(until),
                State::Cached(frame) => Ok(frame.clone()),
                State::Failed(_) | State::Taken => Err(self.take_error()),
            };
            let frame = match (frame, self.redirect.as_deref_mut()) {
                (Ok(f), Some(r)) => match on_reply(r, &mut self.state, self.deadline, f) {
                    Some(f) => Ok(f),
                    None => continue,
                },
                (Err(e), Some(r)) => match on_failure(r, &mut self.state, self.deadline, e) {
                    Some(e) => Err(e),
                    None => continue,
                },
                (frame, None) => frame,
            };
            if let (Some(fill), Ok(f)) = (self.fill.take(), &frame) {
                if let Some(sent) = self.sent() {
                    fill.store(f, sent);
                }
            }
            let origin = std::mem::replace(&mut self.state, State::Taken);
            return Some(self.finish(frame, &origin));
        }
    }

    /// Waits for the parts of a split request until `until`; merges and converts once all are
    /// in.
    fn wait_parts(&mut self, until: Instant) -> Option<Result<T>> {
        let State::Many(parts) = &mut self.state else {
            return None;
        };
        for (handle, done) in parts.pending.iter_mut().zip(parts.done.iter_mut()) {
            if let Some(h) = handle {
                *done = Some(h.wait_until(until)?);
                *handle = None;
            }
        }
        let results = parts.done.iter_mut().filter_map(Option::take).collect();
        let merge = parts.merge.take();
        self.state = State::Taken;
        let merged = match merge {
            Some(merge) => merge(results),
            None => return Some(Err(already_taken(self.decoder.command()))),
        };
        Some(
            merged
                .and_then(|v| self.decoder.convert(v))
                .map_err(|e| e.with_command(self.decoder.command())),
        )
    }

    /// The pause of a retry is over: sends the request again, through the hook when there is
    /// one (a router routes it anew), else on the same pipe.
    fn resend(&mut self) {
        let State::Pause { pipe, .. } = &self.state else {
            return;
        };
        let Some(r) = self.redirect.as_deref_mut() else {
            return;
        };
        let resent = match &r.hook {
            Some(hook) => hook.resend(pipe, &r.request, self.deadline),
            None => resend_on(pipe, &r.request, self.deadline),
        };
        let resent = resent.map_err(|e| e.with_command(r.request.name()));
        self.state = r.waiting_on(resent);
    }

    /// The error of a handle that failed to send, or was already taken.
    fn take_error(&mut self) -> Error {
        match std::mem::replace(&mut self.state, State::Taken) {
            State::Failed(e) => e,
            _ => already_taken(self.decoder.command()),
        }
    }

    /// The deadline passed: give the reply up (a shared slot's late reply is discarded; a
    /// dedicated connection owing it is closed when dropped), unless the reply raced in at the
    /// last moment: then it is the result, since the command ran.
    fn give_up(&mut self) -> Result<T> {
        let origin = std::mem::replace(&mut self.state, State::Taken);
        match &origin {
            State::Shared { pipe, slot } => {
                let late = slot.abandon();
                pipe.nudge();
                match late {
                    Some(frame) => self.finish(frame, &origin),
                    None => {
                        let e = self.timeout_error(pipe.config().response_timeout(), &origin);
                        if let Some(hook) = self.redirect.as_ref().and_then(|r| r.hook.as_ref()) {
                            hook.failed(pipe, &e);
                        }
                        Err(e)
                    }
                }
            }
            State::Dedicated(_) => Err(self.timeout_error(
                self.deadline.saturating_duration_since(Instant::now()),
                &origin,
            )),
            State::Many(_) => Err(self.timeout_error(
                self.deadline.saturating_duration_since(Instant::now()),
                &origin,
            )),
            State::Cached(frame) => self.finish(Ok(frame.clone()), &origin),
            // The deadline came during a retry's pause: the last failure is the result.
            State::Pause { error, .. } => Err(with_node(
                error.clone().with_command(self.decoder.command()),
                &origin,
            )),
            State::Failed(e) => Err(e.clone()),
            State::Taken => Err(already_taken(self.decoder.command())),
        }
    }

    fn timeout_error(&self, timeout: Duration, origin: &State) -> Error {
        with_node(
            Error::new(
                ErrorKind::Timeout,
                format!("no reply within the response timeout of {timeout:?}"),
            )
            .with_command(self.decoder.command()),
            origin,
        )
    }

    /// Decodes and converts the reply from `origin` (the state it was waited in); errors get
    /// the command's name and the node (looked up only then: it takes a lock).
    fn finish(&self, frame: Result<Bytes>, origin: &State) -> Result<T> {
        frame
            .and_then(|f| self.decoder.decode(&f, &limits_of(origin)))
            .map_err(|e| with_node(e.with_command(self.decoder.command()), origin))
    }
}

/// The decoder limits of the connection a reply comes from.
fn limits_of(state: &State) -> crate::resp::Limits {
    match state {
        State::Shared { pipe, .. } | State::Pause { pipe, .. } => *pipe.config().limits(),
        State::Dedicated(conn) => conn.lock().limits(),
        // A cached reply was checked against the connection's limits when it came.
        State::Cached(_) => crate::resp::Limits::default()
            .with_max_depth(usize::MAX)
            .with_max_bulk_len(usize::MAX)
            .with_max_aggregate_len(usize::MAX)
            .with_max_reply_len(usize::MAX),
        State::Many(_) | State::Failed(_) | State::Taken => crate::resp::Limits::default(),
    }
}

/// `e` with the address of the node a reply comes from, when known.
fn with_node(e: Error, state: &State) -> Error {
    match state {
        State::Shared { pipe, .. } | State::Pause { pipe, .. } => e.with_node(&pipe.node()),
        State::Dedicated(conn) => e.with_node(conn.lock().node()),
        State::Many(_) | State::Cached(_) | State::Failed(_) | State::Taken => e,
    }
}

/// After a reply on the shared pipe (`state`): the hook follows a redirection, or the retry
/// policy pauses to send the request again (`state` changes, `None`), or the reply is the
/// request's own (`Some`).
fn on_reply(
    r: &mut Redirecting,
    state: &mut State,
    deadline: Instant,
    frame: Bytes,
) -> Option<Bytes> {
    if matches!(state, State::Dedicated(_)) {
        return on_dedicated_reply(r, state, frame);
    }
    let State::Shared { pipe, .. } = &*state else {
        return Some(frame);
    };
    let pipe = pipe.clone();
    let limits = limits_of(state);
    let frame = match skip_frames(frame, r.skip, &limits) {
        Ok(f) => f,
        Err(e) => {
            *state = State::Failed(e);
            return None;
        }
    };
    let Some(error) = server_error(&frame, &limits) else {
        return Some(frame);
    };
    if let Some(hook) = &r.hook {
        if let Some(next) = hook.redirect(&pipe, &r.request, &error, r.attempts) {
            r.attempts += 1;
            *state = r.waiting_on(next);
            return None;
        }
    }
    let Some(resume) = r.pause(&Failure::Refused(&error.kind()), deadline) else {
        return Some(frame);
    };
    log::debug!(
        "coredis: {} answered {} to {}: retrying",
        pipe.node(),
        error.code(),
        r.request.name()
    );
    *state = State::Pause {
        pipe,
        resume,
        error: Error::server(error),
    };
    None
}

/// After a failure without a reply on the shared pipe (`state`): the hook hears of it, and the
/// retry policy pauses to send the request again (`state` changes, `None`), or the error is the
/// result (`Some`).
fn on_failure(
    r: &mut Redirecting,
    state: &mut State,
    deadline: Instant,
    error: Error,
) -> Option<Error> {
    let State::Shared { pipe, .. } = &*state else {
        return Some(error);
    };
    if let Some(hook) = &r.hook {
        hook.failed(pipe, &error);
    }
    if pipe.is_closed() {
        return Some(error);
    }
    let Some(resume) = r.pause(&Failure::Lost(&error), deadline) else {
        return Some(error);
    };
    log::debug!(
        "coredis: {} failed on {}: retrying ({error})",
        r.request.name(),
        pipe.node()
    );
    *state = State::Pause {
        pipe: pipe.clone(),
        resume,
        error,
    };
    None
}

/// The server error a reply is, if it is one: `-` (RESP2/3) or `!` (a RESP3 blob error).
fn server_error(frame: &Bytes, limits: &crate::resp::Limits) -> Option<ServerError> {
    if !matches!(frame.first(), Some(b'-' | b'!')) {
        return None;
    }
    match crate::resp::decode_with_limits(frame, limits)
        .ok()?
        .strip_attributes()
    {
        Value::Error(e) => Some(e),
        _ => None,
    }
}

/// [`on_reply`] for a reply read from a dedicated connection (`state`), one frame at a time:
/// the replies ahead of the request's own (`ASKING`'s) are skipped (`None`: read the next),
/// and an error reply may send the request again through the hook.
fn on_dedicated_reply(r: &mut Redirecting, state: &mut State, frame: Bytes) -> Option<Bytes> {
    let State::Dedicated(conn) = &*state else {
        return Some(frame);
    };
    if r.skip > 0 {
        r.skip -= 1;
        return None;
    }
    let (limits, node) = {
        let c = conn.lock();
        (c.limits(), c.node().to_string())
    };
    let (Some(error), Some(hook)) = (server_error(&frame, &limits), &r.hook) else {
        return Some(frame);
    };
    let Some(next) = hook.redirect_dedicated(&node, &r.request, &error, r.attempts) else {
        return Some(frame);
    };
    r.attempts += 1;
    *state = match next {
        Ok((conn, skip)) => {
            r.skip = skip;
            State::Dedicated(Box::new(Mutex::new(conn)))
        }
        Err(e) => State::Failed(e.with_command(r.request.name())),
    };
    None
}

/// The reply after the first `skip` replies of `frame` (the replies of a batch, back to back).
fn skip_frames(frame: Bytes, skip: usize, limits: &crate::resp::Limits) -> Result<Bytes> {
    if skip == 0 {
        return Ok(frame);
    }
    let frames = crate::pipeline::split_frames(frame, limits)?;
    frames
        .into_iter()
        .nth(skip)
        .ok_or_else(|| Error::protocol("a redirected request's reply is missing"))
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
        if let State::Shared { pipe, slot } = &self.state {
            if !slot.was_taken() {
                slot.abandon();
                pipe.nudge();
            }
        }
        // A dedicated connection still owing the reply is closed by its guard's drop.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::Cmd;
    use crate::config::Config;
    use crate::connection::ConfiguredAddr;
    use crate::error::{ServerCode, ServerError};
    use coredis_test_support::fake::{bulk, FakeServer, Script};
    use std::time::Duration;

    /// Follows `MOVED` to the one other node it knows, like a cluster router would.
    struct FollowMoved {
        other: Arc<Pipe>,
        other_addr: String,
    }

    impl Redirect for FollowMoved {
        fn redirect(
            &self,
            _from: &Arc<Pipe>,
            request: &Request,
            error: &ServerError,
            attempt: u32,
        ) -> Option<Result<Resent>> {
            match error.kind() {
                ServerCode::Moved { addr, .. } if addr == self.other_addr && attempt < 3 => {
                    let deadline = Instant::now() + Duration::from_secs(5);
                    Some(
                        self.other
                            .submit(request, deadline)
                            .map(|slot| Resent::alone(self.other.clone(), slot)),
                    )
                }
                _ => None,
            }
        }
    }

    fn pipe(fake: &FakeServer) -> Arc<Pipe> {
        let config = Config::from_url(&fake.url()).unwrap();
        Pipe::connect(config, Arc::new(ConfiguredAddr)).unwrap()
    }

    #[test]
    fn a_redirect_hook_resubmits_where_the_error_says() {
        let b = FakeServer::start(Script::new().expect(&["GET", "k"], bulk("from b")));
        let moved = format!("-MOVED 12182 {}\r\n", b.addr());
        let a = FakeServer::start(
            Script::new()
                .expect(&["GET", "k"], moved.as_bytes())
                .expect(&["GET", "other"], b"-ERR plain error\r\n"),
        );
        let (pa, pb) = (pipe(&a), pipe(&b));
        let hook: Arc<dyn Redirect> = Arc::new(FollowMoved {
            other: pb.clone(),
            other_addr: b.addr(),
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        let (request, decoder) = Cmd::<String>::new("GET").key("k").into_parts();
        let h = Handle::shared_redirecting(
            &pa,
            request,
            decoder,
            deadline,
            Submit::AndWait,
            Some(hook.clone()),
            None,
        );
        assert_eq!(h.wait().unwrap(), "from b");
        // An error the hook lets through reaches the caller.
        let (request, decoder) = Cmd::<String>::new("GET").key("other").into_parts();
        let h = Handle::shared_redirecting(
            &pa,
            request,
            decoder,
            deadline,
            Submit::AndWait,
            Some(hook),
            None,
        );
        let e = h.wait().unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        a.assert_no_mismatch();
        b.assert_no_mismatch();
        pa.close();
        pb.close();
    }

    fn retrying(policy: RetryPolicy, attempts: u32) -> Option<Retrying> {
        let backoff = Backoff::new()
            .with_base(Duration::from_millis(5))
            .with_max_attempts(attempts);
        Retrying::new(policy, backoff)
    }

    /// `GET k` (read-only) on `p`, retrying per `retry`.
    fn get_k(p: &Arc<Pipe>, retry: Option<Retrying>, deadline: Instant) -> Handle<String> {
        let (request, decoder) = Cmd::<String>::new("GET").key("k").readonly().into_parts();
        Handle::shared_redirecting(p, request, decoder, deadline, Submit::AndWait, None, retry)
    }

    #[test]
    fn the_retry_policy_sends_a_refused_request_again_within_its_attempts() {
        let loading = b"-LOADING Redis is loading the dataset in memory\r\n";
        let fake = FakeServer::start(
            Script::new()
                .expect(&["GET", "k"], loading)
                .expect(&["GET", "k"], bulk("v"))
                .expect(&["GET", "k"], loading)
                .expect(&["GET", "k"], loading)
                .expect(&["GET", "k"], loading),
        );
        let p = pipe(&fake);
        let deadline = Instant::now() + Duration::from_secs(5);
        let h = get_k(&p, retrying(RetryPolicy::ReadOnly, 3), deadline);
        assert_eq!(h.wait().unwrap(), "v");
        // Never: the refusal is the result.
        let h = get_k(&p, None, deadline);
        let e = h.wait().unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Loading), "{e}");
        // Two attempts at most: the second refusal is the result.
        let h = get_k(&p, retrying(RetryPolicy::Always, 2), deadline);
        let e = h.wait().unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Loading), "{e}");
        assert_eq!(e.command(), Some("GET"));
        assert!(fake.wait_for(Duration::from_secs(5), |c| c.len() >= 5));
        fake.assert_no_mismatch();
        p.close();
    }

    #[test]
    fn a_pause_past_the_deadline_is_not_taken() {
        let busy = b"-BUSY Redis is busy running a script\r\n";
        let fake = FakeServer::start(Script::new().expect(&["GET", "k"], busy));
        let p = pipe(&fake);
        let deadline = Instant::now() + Duration::from_millis(300);
        let retry = Retrying::new(
            RetryPolicy::Always,
            Backoff::new().with_base(Duration::from_secs(5)),
        );
        let started = Instant::now();
        let h = get_k(&p, retry, deadline);
        let e = h.wait().unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Busy), "{e}");
        assert!(started.elapsed() < Duration::from_secs(4));
        p.close();
    }
}
