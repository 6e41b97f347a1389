//! Pipelines: many commands sent as one batch, their replies collected together.
//!
//! Owns: [`Pipeline`] (an [`Executor`] whose command methods queue and return a typed
//! [`Queued<T>`] token), [`Replies`] (the batch's replies, decoded per command on demand),
//! [`Extract`] (a token, a tuple of tokens or a `Vec` of them, turned into typed results), and
//! [`PipelineHandle`] for a pipeline sent without waiting.
//!
//! A pipeline goes through the shared multiplexed connection as **one submission**: its
//! requests are encoded into one buffer as they are queued, appended to the connection's queue
//! under one lock, and answered into one reply slot — not one handle per command — so its cost
//! in the pipe does not grow with its length. A long one (past 32 KiB of requests) is sent in
//! chunks of that size **while it is being built**, each chunk one submission written at once,
//! so the server runs the first commands while the caller is still queueing the rest (measured:
//! 10,000 `SET`s then 10,000 `GET`s, about 1.3–1.7× the throughput of sending each batch at
//! `exec`). Every chunk goes to the connection of the first, in order, and a chunk is only sent
//! while the one before it was not lost with its connection, so what runs of a pipeline is
//! always a prefix of it. [`Pipeline::buffered`] holds everything until `exec`. Each command
//! keeps its own decoder (the one its method defines), so a pipeline returns exactly what the
//! same calls return one by one, and one command's error does not hide the others' results.
//!
//! Must not: run commands that block their connection (they would stall every other caller:
//! the blocking command group is not implemented for pipelines, and a hand-built `.blocking()`
//! command is refused), or retry anything.

use bytes::Bytes;
use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::args::ToArgs;
use crate::client::Redis;
use crate::cmd::{Cmd, Decoder};
use crate::commands::Executor;
use crate::error::{Error, ErrorKind, Result};
use crate::from_value::FromValue;
use crate::handle::{Handle, Submit};
use crate::pipe::Pipe;
use crate::replicas::WaitForReplicas;
use crate::resp::{self, FrameScanner, Limits};
use crate::script::Script;
use crate::value::Value;

/// A pipeline sends its requests in chunks of about this many bytes while it is being built
/// (see [`Pipeline::buffered`]).
const STREAM_CHUNK: usize = 32 * 1024;

/// Commands queued to be sent as one batch, from [`Redis::pipeline`].
///
/// Every command method works on it (they are defined once, for every executor) and returns a
/// [`Queued<T>`] token instead of a result. [`Pipeline::exec`] sends the batch and returns the
/// [`Replies`]; a token, a tuple of tokens or a `Vec` of tokens then gives the typed results.
///
/// ```no_run
/// use coredis::prelude::*;
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let p = r.pipeline();
/// let n = p.incr("visits");
/// let name = p.get::<Option<String>>("user:1:name");
/// let replies = p.exec()?;
/// let (n, name) = replies.get((n, name))?;
///
/// // Many of one kind:
/// let p = r.pipeline();
/// let counts: Vec<_> = (0..100).map(|i| p.incr(format!("counter:{i}"))).collect();
/// let counts: Vec<i64> = p.exec()?.get(counts)?;
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// A pipeline is not a transaction: other clients' commands may run between its commands.
/// It is built by one thread (it is `Send`, not `Sync`).
pub struct Pipeline<'c> {
    client: &'c Redis,
    batch: RefCell<Batch>,
    streamed: RefCell<Streamed>,
}

/// A long pipeline's chunks already sent while it was being built.
#[derive(Default)]
struct Streamed {
    /// Hold everything until `exec` ([`Pipeline::buffered`]).
    off: bool,
    /// The pipe the first chunk went to: every later chunk and the last part go there too, so
    /// the commands run in the order they were queued.
    pipe: Option<Arc<Pipe>>,
    /// The chunks' handles, in order.
    chunks: Vec<Handle<Vec<Bytes>>>,
    /// How many of the batch's requests went out in them.
    requests: usize,
}

impl Streamed {
    /// Submits `count` requests encoded in `encoded`, after the chunks before them: to the
    /// same pipe, and only while the previous chunk was not lost with its connection (so
    /// that what runs of a pipeline is a prefix of it).
    fn submit(
        &mut self,
        client: &Redis,
        encoded: Vec<u8>,
        count: usize,
        how: Submit,
    ) -> Handle<Vec<Bytes>> {
        let decoder = Decoder::batch("pipeline", split_frames);
        let prev = match self.chunks.last() {
            None => None,
            Some(h) => match h.slot() {
                Some(slot) => Some(slot.as_ref()),
                None => {
                    let e = Error::new(
                        ErrorKind::Closed,
                        "an earlier part of this pipeline was not sent; this part was not \
                         sent either",
                    );
                    return Handle::failed(e.not_sent(), decoder);
                }
            },
        };
        let pipe = self
            .pipe
            .get_or_insert_with(|| client.node().pipe().clone());
        let deadline = Instant::now() + client.config().response_timeout();
        Handle::shared_batch(pipe, encoded, count, decoder, deadline, how, prev)
    }
}

/// Commands queued for one batch (a pipeline or a transaction).
#[derive(Default)]
pub(crate) struct Batch {
    /// The encoded requests, back to back.
    pub(crate) encoded: Vec<u8>,
    /// How many requests `encoded` holds.
    pub(crate) sent: usize,
    /// Per queued command, in order: `None` when it was sent, the refusal when it was not.
    pub(crate) refused: Vec<Option<Error>>,
    /// Scripts to load ahead of the commands (`SCRIPT LOAD`), each once.
    pub(crate) scripts: Vec<Script>,
    /// The slot the queued commands' keys share (a cluster transaction runs on its node);
    /// `None` when not tracked (everywhere else: it costs a hash of every key).
    pub(crate) slot: Option<crate::route::KeySlot>,
    /// The client the batch goes to has a client-side cache: collect `writes`.
    pub(crate) caching: bool,
    /// With a cache: the keys the queued commands write, fenced in it once sent (see
    /// [`crate::cache::Cache::fence`]).
    pub(crate) writes: Vec<Bytes>,
    /// `WAIT` after the batch's writes, when the client asks for replicas.
    pub(crate) wait: Option<WaitForReplicas>,
    /// With `wait`: per request sent, whether it writes.
    pub(crate) is_write: Vec<bool>,
}

impl Batch {
    /// An empty batch for a client with a client-side cache when `caching`, whose writes wait
    /// for replicas when `wait` says so.
    pub(crate) fn new(caching: bool, wait: Option<WaitForReplicas>) -> Batch {
        Batch {
            caching,
            wait,
            ..Batch::default()
        }
    }

    /// The batch's `WAIT`, when it has writes and the client asks for replicas.
    pub(crate) fn wait_after(&self) -> Option<WaitForReplicas> {
        self.wait.filter(|_| self.is_write.contains(&true))
    }

    /// Queues `EVALSHA` of `script`, which is loaded ahead of the batch.
    pub(crate) fn queue_script<T: FromValue>(
        &mut self,
        script: &Script,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Queued<T> {
        if !self.scripts.iter().any(|s| s.sha1() == script.sha1()) {
            self.scripts.push(script.clone());
        }
        self.queue(script.evalsha(keys, args))
    }

    /// The `SCRIPT LOAD`s of the batch's scripts, encoded, and how many.
    pub(crate) fn preamble(&self) -> (Vec<u8>, usize) {
        let mut out = Vec::new();
        for s in &self.scripts {
            s.load_request().encode_into(&mut out);
        }
        (out, self.scripts.len())
    }

    /// Queues `cmd` (or records why it cannot be sent on a shared or batched connection) and
    /// returns its token.
    pub(crate) fn queue<T>(&mut self, cmd: Cmd<T>) -> Queued<T> {
        let (request, decoder) = cmd.into_parts();
        let index = self.refused.len();
        let refusal = request
            .check_valid()
            .and_then(|()| request.check_shareable())
            .and_then(|()| {
                if request.is_blocking() {
                    Err(Error::new(
                        ErrorKind::Usage,
                        "a command that blocks its connection cannot be sent in a batch (in a \
                         pipeline it would stall every other caller)",
                    )
                    .with_command(request.name()))
                } else {
                    Ok(())
                }
            })
            .err();
        if refusal.is_none() {
            request.encode_into(&mut self.encoded);
            self.sent += 1;
            if self.wait.is_some() {
                self.is_write.push(request.is_write());
            }
            if self.caching && !request.is_readonly() {
                self.writes
                    .extend(request.keys().map(Bytes::copy_from_slice));
            }
            if let Some(slot) = self.slot {
                self.slot = Some(match (slot, request.slot()) {
                    (crate::route::KeySlot::None, s) | (s, crate::route::KeySlot::None) => s,
                    (a, b) if a == b => a,
                    _ => crate::route::KeySlot::Cross,
                });
            }
        }
        self.refused.push(refusal);
        Queued { index, decoder }
    }
}

impl fmt::Debug for Pipeline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.batch.borrow();
        f.debug_struct("Pipeline")
            .field("commands", &b.refused.len())
            .field("bytes", &b.encoded.len())
            .finish()
    }
}

/// A command queued in a [`Pipeline`]: its place in the batch and how its reply becomes a
/// `T`. Give it (alone, in a tuple or in a `Vec`) to [`Replies::get`] after
/// [`Pipeline::exec`].
#[must_use = "a queued command's result is only read through its token"]
pub struct Queued<T> {
    index: usize,
    decoder: Decoder<T>,
}

impl<T> fmt::Debug for Queued<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queued")
            .field("index", &self.index)
            .field("command", &self.decoder.command())
            .finish()
    }
}

impl<T> Queued<T> {
    /// The token of the command queued at `index` whose reply `decoder` converts.
    pub(crate) fn new(index: usize, decoder: Decoder<T>) -> Queued<T> {
        Queued { index, decoder }
    }

    /// The command's position in its pipeline (0 for the first).
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<'c> Pipeline<'c> {
    pub(crate) fn new(client: &'c Redis) -> Pipeline<'c> {
        Pipeline {
            client,
            batch: RefCell::new(Batch::new(
                client.node().cache().is_some(),
                client.config().wait_for_replicas(),
            )),
            streamed: RefCell::new(Streamed::default()),
        }
    }

    /// Holds every command until [`Pipeline::exec`], however long the pipeline grows.
    ///
    /// By default a pipeline whose encoded requests pass 32 KiB starts sending them, in
    /// chunks, while it is being built, so the server works on the first commands while the
    /// rest are queued (they still run in the order queued, and [`Pipeline::exec`] still
    /// returns every reply). A pipeline dropped without `exec` has then run the commands
    /// already sent. With `buffered()` nothing is sent before `exec`.
    #[must_use]
    pub fn buffered(self) -> Self {
        self.streamed.borrow_mut().off = true;
        self
    }

    /// Sends the queued requests as a chunk when they are long enough and the batch allows it
    /// (no script to load ahead, no `WAIT` to judge the writes by, not [`Pipeline::buffered`]).
    /// The chunk's replies wait in the socket for `exec` (or for the connection's worker, once
    /// the chunks in flight reach `max_in_flight`): reading them meanwhile takes a third busy
    /// thread (the worker) beside the caller and the server, measured slower. `exec` moves the
    /// chunks' deadlines to its own, so a pipeline built for longer than the response timeout
    /// neither times out nor looks stuck.
    fn stream(&self, batch: &mut Batch) {
        if batch.encoded.len() < STREAM_CHUNK || !batch.scripts.is_empty() || batch.wait.is_some() {
            return;
        }
        let mut streamed = self.streamed.borrow_mut();
        if streamed.off {
            return;
        }
        let count = batch.sent - streamed.requests;
        streamed.requests = batch.sent;
        let encoded = std::mem::take(&mut batch.encoded);
        let h = streamed.submit(self.client, encoded, count, Submit::Quiet);
        self.client
            .node()
            .fence_written(&std::mem::take(&mut batch.writes), h.sent());
        streamed.chunks.push(h);
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.batch.borrow().refused.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sends every queued command as one batch and waits for all the replies (up to the
    /// response timeout, counted from now).
    ///
    /// # Errors
    /// Only what fails the batch as a whole: a timeout, or the connection lost while the batch
    /// was in flight ([`ErrorKind::Closed`]: its commands may or may not have run). For a long
    /// pipeline sent in chunks, what ran is always a prefix of it, and the error says how many
    /// commands were answered before the failure. Each command's own error (a server error, a
    /// reply of the wrong type, a command refused before sending) is in the [`Replies`], for
    /// that command alone.
    pub fn exec(self) -> Result<Replies> {
        // The caller waits (and reads) at once: no need to wake the connection's worker.
        self.send(Submit::AndWait).wait()
    }

    /// Sends every queued command as one batch and returns at once; the replies are collected
    /// with the handle.
    pub fn exec_deferred(self) -> PipelineHandle {
        self.send(Submit::Deferred)
    }

    fn send(self, how: Submit) -> PipelineHandle {
        let mut batch = self.batch.into_inner();
        let mut streamed = self.streamed.into_inner();
        let (preamble, loads) = batch.preamble();
        let wait = batch.wait_after();
        let rest = batch.sent - streamed.requests;
        let handle = (rest > 0).then(|| {
            // The queued commands' buffer is sent as it is, after the scripts' loads if any.
            let mut encoded = std::mem::take(&mut batch.encoded);
            if loads > 0 {
                encoded.splice(0..0, preamble);
            }
            if let Some(w) = &wait {
                w.encode_into(&mut encoded);
            }
            let count = loads + rest + usize::from(wait.is_some());
            let h = streamed.submit(self.client, encoded, count, how);
            self.client.node().fence_written(&batch.writes, h.sent());
            h
        });
        PipelineHandle {
            streamed: streamed.chunks,
            handle,
            refused: batch.refused,
            sent: batch.sent,
            loads,
            limits: *self.client.config().limits(),
            timeout: self.client.config().response_timeout(),
            judge: wait.map(|w| (w, batch.is_write)),
        }
    }

    /// Queues a run of `script` (`EVALSHA`); the script is loaded (`SCRIPT LOAD`) in the same
    /// batch, ahead of the commands, so it cannot be missing from the server's cache.
    pub fn script<T: FromValue>(
        &self,
        script: &Script,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Queued<T> {
        self.batch.borrow_mut().queue_script(script, keys, args)
    }
}

impl Executor for Pipeline<'_> {
    type Output<T> = Queued<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Queued<T> {
        let mut batch = self.batch.borrow_mut();
        let queued = batch.queue(cmd);
        self.stream(&mut batch);
        queued
    }
}

/// A pipeline sent with [`Pipeline::exec_deferred`]: its replies, when they are in.
#[must_use = "the pipeline's replies are only read through its handle"]
pub struct PipelineHandle {
    /// The chunks sent while the pipeline was built, in order.
    streamed: Vec<Handle<Vec<Bytes>>>,
    /// The rest, with the scripts' loads first.
    handle: Option<Handle<Vec<Bytes>>>,
    refused: Vec<Option<Error>>,
    sent: usize,
    /// How many `SCRIPT LOAD` replies come first.
    loads: usize,
    limits: Limits,
    /// The client's response timeout.
    timeout: Duration,
    /// The `WAIT` whose reply comes last, and per command sent whether it writes.
    judge: Option<(WaitForReplicas, Vec<bool>)>,
}

impl fmt::Debug for PipelineHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipelineHandle")
            .field("commands", &self.refused.len())
            .finish()
    }
}

impl PipelineHandle {
    /// Waits for every reply (up to the response timeout).
    ///
    /// # Errors
    /// As [`Pipeline::exec`].
    pub fn wait(self) -> Result<Replies> {
        let mut frames = Vec::new();
        // A chunk may have been sent long ago: the response timeout counts from here.
        let until = Instant::now() + self.timeout;
        for h in self.streamed {
            let part = h.waiting_until(until).wait();
            frames.extend(part.map_err(|e| after_part(e, frames.len()))?);
        }
        if let Some(h) = self.handle {
            let mut last = h.wait().map_err(|e| after_part(e, frames.len()))?;
            frames.extend(last.drain(self.loads.min(last.len())..));
        }
        let expected = self.sent + usize::from(self.judge.is_some());
        if frames.len() != expected {
            return Err(Error::protocol(format!(
                "a pipeline of {} commands got {} replies",
                expected,
                frames.len()
            )));
        }
        match &self.judge {
            None => Ok(Replies::new(frames, self.refused, self.limits)),
            Some((w, writes)) => {
                let judged = w.judge_batch(frames, writes)?;
                Ok(Replies::from_results(judged, self.refused, self.limits))
            }
        }
    }
}

/// The error of a long pipeline whose first `answered` commands (sent as chunks while it was
/// built) were answered before a later part failed with `e`: those commands ran, so the
/// pipeline's error must not say that it was not sent (which would invite sending it all
/// again).
fn after_part(e: Error, answered: usize) -> Error {
    if answered == 0 {
        return e;
    }
    let mut out = Error::new(
        e.kind(),
        format!(
            "the first {answered} commands of the pipeline ran and were answered; the rest \
             failed"
        ),
    )
    .with_command("pipeline");
    if let Some(node) = e.node() {
        out = out.with_node(node);
    }
    out.with_source(e)
}

/// Splits a batch's replies, back to back, into one frame each (zero-copy slices).
pub(crate) fn split_frames(all: Bytes, limits: &Limits) -> Result<Vec<Bytes>> {
    let mut scanner = FrameScanner::new(*limits);
    let mut frames = Vec::new();
    let mut at = 0;
    while at < all.len() {
        let rest = all.get(at..).unwrap_or_default();
        match scanner.scan(rest)? {
            Some(n) => {
                frames.push(all.slice(at..at + n));
                at += n;
            }
            None => return Err(Error::protocol("a pipeline reply was cut short")),
        }
    }
    Ok(frames)
}

/// The replies of a pipeline, one per queued command; read them with [`Replies::get`].
pub struct Replies {
    /// The frames of the commands that were sent, in order.
    frames: Vec<Bytes>,
    /// Per queued command: `None` when it was sent, the refusal when it was not.
    refused: Vec<Option<Error>>,
    /// Per queued command, the index of its frame — only when some were refused.
    frame_of: Option<Vec<usize>>,
    limits: Limits,
}

impl fmt::Debug for Replies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replies")
            .field("commands", &self.refused.len())
            .finish()
    }
}

impl Replies {
    /// The replies `frames` of the commands of a batch that were sent; `refused` says, per
    /// queued command, whether it was (`None`) or why not.
    pub(crate) fn new(frames: Vec<Bytes>, refused: Vec<Option<Error>>, limits: Limits) -> Replies {
        // Where each command's reply is, when commands were refused before sending (they have
        // none); otherwise command i has frame i.
        let frame_of = refused.iter().any(Option::is_some).then(|| {
            let mut next = 0;
            refused
                .iter()
                .map(|r| {
                    let at = next;
                    next += usize::from(r.is_none());
                    at
                })
                .collect()
        });
        Replies {
            frames,
            refused,
            frame_of,
            limits,
        }
    }

    /// [`Replies::new`] from the results of the commands sent (`sent`, in order): a failed
    /// one becomes its command's error, like a command refused before sending.
    pub(crate) fn from_results(
        sent: Vec<Result<Bytes>>,
        refused: Vec<Option<Error>>,
        limits: Limits,
    ) -> Replies {
        let mut sent = sent.into_iter();
        let mut frames = Vec::with_capacity(refused.len());
        let refused = refused
            .into_iter()
            .map(|r| match r {
                Some(e) => Some(e),
                None => match sent.next() {
                    Some(Ok(frame)) => {
                        frames.push(frame);
                        None
                    }
                    Some(Err(e)) => Some(e),
                    None => Some(Error::protocol("a pipeline reply is missing")),
                },
            })
            .collect();
        Replies::new(frames, refused, limits)
    }

    /// The typed results of `tokens`: one [`Queued<T>`] gives `T`, a tuple of tokens a tuple,
    /// a `Vec` of tokens a `Vec`.
    ///
    /// # Errors
    /// The first of the requested commands' own errors (a server error reply, a reply that
    /// does not convert, a command refused before sending). Ask for a token alone to get its
    /// own result whatever the others' are.
    pub fn get<E: Extract>(&self, tokens: E) -> Result<E::Output> {
        tokens.extract(self)
    }

    /// Every command's reply as a [`Value`], each with its own error (an error reply is
    /// `Ok(Value::Error)`; a command refused before sending is `Err`).
    pub fn values(&self) -> Vec<Result<Value>> {
        let mut frames = self.frames.iter();
        self.refused
            .iter()
            .map(|refused| match refused {
                Some(e) => Err(e.clone()),
                None => match frames.next() {
                    Some(f) => resp::decode_with_limits(f, &self.limits),
                    None => Err(Error::protocol("a pipeline reply is missing")),
                },
            })
            .collect()
    }

    /// How many commands the pipeline held.
    pub fn len(&self) -> usize {
        self.refused.len()
    }

    /// True for an empty pipeline.
    pub fn is_empty(&self) -> bool {
        self.refused.is_empty()
    }

    /// The result of one queued command.
    fn one<T>(&self, q: &Queued<T>) -> Result<T> {
        let refused = self.refused.get(q.index).ok_or_else(|| {
            Error::new(
                ErrorKind::Usage,
                "this token belongs to another pipeline (its index is past the end of this one)",
            )
            .with_command(q.decoder.command())
        })?;
        if let Some(e) = refused {
            return Err(e.clone());
        }
        let frame_index = match &self.frame_of {
            Some(map) => map.get(q.index).copied().unwrap_or(usize::MAX),
            None => q.index,
        };
        let frame = self.frames.get(frame_index).ok_or_else(|| {
            Error::protocol("a pipeline reply is missing").with_command(q.decoder.command())
        })?;
        q.decoder.decode(frame, &self.limits)
    }
}

/// What [`Replies::get`] accepts: a [`Queued<T>`] token, a `Vec` of them, or a tuple of up to
/// twelve of either.
pub trait Extract {
    /// The typed result.
    type Output;

    /// Reads the result out of `replies`.
    ///
    /// # Errors
    /// The command's own error (the first one, for several).
    fn extract(self, replies: &Replies) -> Result<Self::Output>;
}

impl<T> Extract for Queued<T> {
    type Output = T;

    fn extract(self, replies: &Replies) -> Result<T> {
        replies.one(&self)
    }
}

impl<T> Extract for &Queued<T> {
    type Output = T;

    fn extract(self, replies: &Replies) -> Result<T> {
        replies.one(self)
    }
}

impl<T> Extract for Vec<Queued<T>> {
    type Output = Vec<T>;

    fn extract(self, replies: &Replies) -> Result<Vec<T>> {
        self.iter().map(|q| replies.one(q)).collect()
    }
}

macro_rules! extract_tuple {
    ($($t:ident),+) => {
        impl<$($t: Extract),+> Extract for ($($t,)+) {
            type Output = ($($t::Output,)+);

            #[allow(non_snake_case)]
            fn extract(self, replies: &Replies) -> Result<Self::Output> {
                let ($($t,)+) = self;
                Ok(($($t.extract(replies)?,)+))
            }
        }
    };
}
extract_tuple!(A);
extract_tuple!(A, B);
extract_tuple!(A, B, C);
extract_tuple!(A, B, C, D);
extract_tuple!(A, B, C, D, E);
extract_tuple!(A, B, C, D, E, F);
extract_tuple!(A, B, C, D, E, F, G);
extract_tuple!(A, B, C, D, E, F, G, H);
extract_tuple!(A, B, C, D, E, F, G, H, I);
extract_tuple!(A, B, C, D, E, F, G, H, I, J);
extract_tuple!(A, B, C, D, E, F, G, H, I, J, K);
extract_tuple!(A, B, C, D, E, F, G, H, I, J, K, L);
