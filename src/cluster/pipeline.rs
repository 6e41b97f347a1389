//! Cluster pipelines: commands grouped per node, each group one batch, all groups in flight
//! at once, the replies back in the caller's order.
//!
//! Owns: [`ClusterPipeline`]. It queues commands like [`crate::Pipeline`] (the same
//! [`Queued<T>`] tokens and [`Replies`]), routes each by its slot when [`ClusterPipeline::exec`]
//! runs, sends one batch per node through the node's shared pipe, and sends again, one by one
//! through the cluster's routing, only the commands whose reply was a redirection or a
//! retriable error (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`, …) — bounded by the same limit
//! as single commands.
//!
//! Must not: run commands whose keys span slots, keyless commands that must reach several
//! nodes, or commands that block (each is refused in its own reply, the others still run).

use bytes::Bytes;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use super::{router, RedisCluster};
use crate::cmd::{Cmd, Decoder, Request};
use crate::commands::Executor;
use crate::config::Addr;
use crate::error::{Error, ErrorKind, Result, ServerCode};
use crate::handle::{Handle, Submit};
use crate::pipeline::{split_frames, Queued, Replies};
use crate::route::KeySlot;

/// Commands queued to be sent per node, from [`RedisCluster::pipeline`].
///
/// ```no_run
/// use coredis::prelude::*;
/// let c = coredis::RedisCluster::from_url("redis://127.0.0.1:7000")?;
/// let p = c.pipeline();
/// let sets: Vec<_> = (0..100).map(|i| p.set(format!("key:{i}"), i)).collect();
/// let get = p.get::<Option<i64>>("key:7");
/// let replies = p.exec()?;
/// replies.get(sets)?;
/// assert_eq!(replies.get(get)?, Some(7));
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// Not a transaction: commands on different nodes run independently and in no particular
/// order relative to each other; commands on one node run in the order they were queued.
pub struct ClusterPipeline<'c> {
    cluster: &'c RedisCluster,
    queued: RefCell<Vec<Entry>>,
}

/// The commands of a pipeline bound for one node: its client, the encoded batch, and the
/// commands' indexes in the pipeline.
type Group = (crate::Redis, Vec<u8>, Vec<usize>);

/// One queued command: its request, or why it is not sent.
struct Entry {
    request: Request,
    refused: Option<Error>,
}

impl fmt::Debug for ClusterPipeline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterPipeline")
            .field("commands", &self.queued.borrow().len())
            .finish()
    }
}

/// The raw frame of one reply (or all of a batch's, back to back).
fn raw(name: &'static str) -> Decoder<Bytes> {
    Decoder::batch(name, |b, _| Ok(b))
}

impl<'c> ClusterPipeline<'c> {
    pub(crate) fn new(cluster: &'c RedisCluster) -> ClusterPipeline<'c> {
        ClusterPipeline {
            cluster,
            queued: RefCell::new(Vec::new()),
        }
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.queued.borrow().len()
    }

    /// Whether no command is queued.
    pub fn is_empty(&self) -> bool {
        self.queued.borrow().is_empty()
    }

    /// Sends the queued commands, one batch per node, and waits for every reply.
    ///
    /// # Errors
    /// Only what fails every command (none today: a node that cannot be reached fails the
    /// commands routed to it, in their own replies). Each command's own error is in
    /// [`Replies`].
    pub fn exec(self) -> Result<Replies> {
        let inner = self.cluster.inner();
        let entries = self.queued.into_inner();
        let mut frames: Vec<Option<Result<Bytes>>> = entries.iter().map(|_| None).collect();
        let mut node_of: Vec<Option<Addr>> = entries.iter().map(|_| None).collect();
        // Group per node: the node's client, the encoded batch, the indexes it holds.
        let mut groups: HashMap<(Addr, bool), Group> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if e.refused.is_some() {
                continue;
            }
            let node = match e.request.slot() {
                KeySlot::One(slot) => inner.node_for_slot(slot, e.request.is_readonly()),
                _ => inner.any_primary().map(|r| (r, false)),
            };
            match node {
                Ok((node, replica)) => {
                    let key = (node.config().addr().clone(), replica);
                    if let Some(n) = node_of.get_mut(i) {
                        *n = Some(key.0.clone());
                    }
                    let group = groups
                        .entry(key)
                        .or_insert_with(|| (node, Vec::new(), Vec::new()));
                    e.request.encode_into(&mut group.1);
                    group.2.push(i);
                }
                Err(err) => {
                    if let Some(f) = frames.get_mut(i) {
                        *f = Some(Err(err.with_command(e.request.name())));
                    }
                }
            }
        }
        // Every batch is in flight before the first wait. A batch with writes ends with `WAIT`
        // when the client asks for replicas.
        let wait = inner.config.node_config().wait_for_replicas();
        type Sent = (Handle<Bytes>, Vec<usize>, Option<Vec<bool>>);
        let sent: Vec<Sent> = groups
            .into_values()
            .map(|(node, mut encoded, indexes)| {
                let writes: Vec<bool> = match wait {
                    Some(_) => indexes
                        .iter()
                        .map(|i| entries.get(*i).is_some_and(|e| e.request.is_write()))
                        .collect(),
                    None => Vec::new(),
                };
                let judge = wait.filter(|_| writes.contains(&true));
                if let Some(w) = &judge {
                    w.encode_into(&mut encoded);
                }
                let h = node.node().submit_batch(
                    encoded,
                    indexes.len() + usize::from(judge.is_some()),
                    raw("pipeline"),
                    Submit::Deferred,
                );
                if inner.cache().is_some() {
                    // The keys this batch writes: fenced in the client-side cache.
                    let writes: Vec<Bytes> = indexes
                        .iter()
                        .filter_map(|i| entries.get(*i))
                        .filter(|e| !e.request.is_readonly())
                        .flat_map(|e| e.request.keys().map(Bytes::copy_from_slice))
                        .collect();
                    node.node().fence_written(&writes, h.sent());
                }
                (h, indexes, judge.map(|_| writes))
            })
            .collect();
        let limits = *inner.config.node_config().limits();
        for (h, indexes, writes) in sent {
            let result = h.wait().and_then(|all| split_frames(all, &limits));
            let expected = indexes.len() + usize::from(writes.is_some());
            let judged = match (result, wait, &writes) {
                (Ok(replies), Some(w), Some(writes)) if replies.len() == expected => {
                    w.judge_batch(replies, writes)
                }
                (Ok(replies), _, _) if replies.len() == expected => {
                    Ok(replies.into_iter().map(Ok).collect())
                }
                (Ok(_), _, _) => Err(Error::protocol(
                    "a node's batch came back with the wrong number of replies",
                )),
                (Err(e), _, _) => Err(e),
            };
            match judged {
                Ok(replies) => {
                    for (reply, i) in replies.into_iter().zip(&indexes) {
                        if let Some(f) = frames.get_mut(*i) {
                            *f = Some(reply);
                        }
                    }
                }
                Err(e) => fail_all(&mut frames, &indexes, &e),
            }
        }
        // Commands redirected or told to retry: again, one by one, through the routing (which
        // follows further redirections up to the limit).
        let mut again: Vec<(usize, Handle<Bytes>)> = Vec::new();
        for (i, (e, f)) in entries.iter().zip(frames.iter()).enumerate() {
            let Some(Ok(frame)) = f else { continue };
            if let Some(code) = retriable(frame, &limits) {
                if let ServerCode::Moved { slot, addr } = &code {
                    let from = node_of.get(i).cloned().flatten().unwrap_or_default();
                    if let Some(addr) = super::slots::redirect_addr(addr, &from) {
                        inner.map.write().moved(*slot, addr);
                    }
                    inner.request_refresh();
                }
                // Not retried by the policy: pipelines never are (see `crate::retry`).
                let h = inner.submit_parts(
                    e.request.clone(),
                    raw("pipeline"),
                    Submit::Deferred,
                    crate::retry::RetryPolicy::Never,
                );
                again.push((i, h));
            }
        }
        for (i, h) in again {
            if let Some(f) = frames.get_mut(i) {
                *f = Some(h.wait());
            }
        }
        // Replies of the commands sent, in order; connection errors become error frames'
        // equivalents through `refused`.
        let mut refused = Vec::with_capacity(entries.len());
        let mut out = Vec::with_capacity(entries.len());
        for (e, f) in entries.into_iter().zip(frames) {
            match (e.refused, f) {
                (Some(r), _) => refused.push(Some(r)),
                (None, Some(Ok(frame))) => {
                    out.push(frame);
                    refused.push(None);
                }
                (None, Some(Err(err))) => refused.push(Some(err)),
                (None, None) => refused.push(Some(Error::protocol("no reply"))),
            }
        }
        Ok(Replies::new(out, refused, limits))
    }
}

/// Fails the commands at `indexes` with `e`.
fn fail_all(frames: &mut [Option<Result<Bytes>>], indexes: &[usize], e: &Error) {
    for i in indexes {
        if let Some(f) = frames.get_mut(*i) {
            *f = Some(Err(e.clone()));
        }
    }
}

/// The code of a reply that is a redirection or a retriable cluster error.
fn retriable(frame: &Bytes, limits: &crate::resp::Limits) -> Option<ServerCode> {
    if !matches!(frame.first(), Some(b'-' | b'!')) {
        return None;
    }
    match crate::resp::decode_with_limits(frame, limits).ok()? {
        crate::value::Value::Error(e) => {
            let code = e.kind();
            router::is_retriable(&code).then_some(code)
        }
        _ => None,
    }
}

impl Executor for ClusterPipeline<'_> {
    type Output<T> = Queued<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Queued<T> {
        let (request, decoder) = cmd.into_parts();
        let refused = request
            .check_valid()
            .and_then(|()| request.check_shareable())
            .and_then(|()| {
                if request.is_blocking() {
                    return Err(Error::new(
                        ErrorKind::Usage,
                        "a command that blocks its connection cannot be sent in a pipeline",
                    ));
                }
                match request.slot() {
                    KeySlot::Cross => Err(router::cross_slot(&request)),
                    KeySlot::None if router::keyless(&request).0 != router::Fan::One => {
                        Err(Error::new(
                            ErrorKind::Usage,
                            "this command must reach several nodes of the cluster: run it \
                             outside a pipeline",
                        ))
                    }
                    _ => Ok(()),
                }
            })
            .map_err(|e| e.with_command(request.name()))
            .err();
        let mut q = self.queued.borrow_mut();
        let index = q.len();
        q.push(Entry { request, refused });
        Queued::new(index, decoder)
    }
}
