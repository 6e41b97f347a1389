//! Transactions: `MULTI` … `EXEC` on a connection of their own, and optimistic locking with
//! `WATCH`.
//!
//! Owns: [`Transaction`] (an [`Executor`] whose command methods queue, like a pipeline's, and
//! return [`Queued<T>`] tokens) and the optimistic-locking loop of
//! [`Redis::transaction_with`]. A transaction runs on a dedicated connection from the node's
//! pool — `MULTI`, the queued commands and `EXEC` written at once — so other threads' commands
//! never join it.
//!
//! Must not: run on the shared connection, or retry anything but a `WATCH` conflict (and that
//! only within the attempt limit).

use bytes::Bytes;
use std::cell::RefCell;
use std::fmt;
use std::time::Instant;

use crate::args::ToArgs;
use crate::client::{Dedicated, Redis};
use crate::cmd::Cmd;
use crate::commands::Executor;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::{split_frames, Batch, Queued, Replies};
use crate::value::Value;

/// How many times [`Redis::transaction_with`] runs its closure when watched keys keep
/// changing before it gives up with [`ErrorKind::Conflict`].
pub const TRANSACTION_ATTEMPTS: usize = 16;

/// Commands queued to run atomically with `MULTI` … `EXEC`, from [`Redis::transaction`] or
/// [`Redis::transaction_with`].
///
/// Every command method works on it and returns a [`Queued<T>`] token; [`Transaction::exec`]
/// runs them and returns the [`Replies`] (read them with [`Replies::get`]).
///
/// ```no_run
/// use coredis::prelude::*;
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let tx = r.transaction();
/// let from = tx.decrby("account:a", 10);
/// let to = tx.incrby("account:b", 10);
/// let (from, to) = tx.exec()?.get((from, to))?;
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// # Outcomes
///
/// - A command the server refuses while queueing (a wrong number of arguments, an unknown
///   command) aborts the whole transaction: `exec` fails with the server's `EXECABORT` error
///   ([`crate::ServerCode::ExecAbort`]), the refusal as its source; nothing ran.
/// - A command that fails when it runs (`INCR` on a list: `WRONGTYPE`) fails alone: its token
///   gives its error, the others their results — Redis does not roll back.
/// - When a watched key changed ([`Redis::transaction_with`]), nothing ran and the closure is
///   run again; after [`TRANSACTION_ATTEMPTS`] attempts the error is [`ErrorKind::Conflict`].
pub struct Transaction<'a> {
    conn: TxConn<'a>,
    batch: RefCell<Batch>,
}

/// Where a transaction runs.
enum TxConn<'a> {
    /// A dedicated connection checked out when it is executed.
    Client(&'a Redis),
    /// The connection that holds its `WATCH`es (of this client).
    Watching(&'a Dedicated, &'a Redis),
    /// A dedicated connection to the primary of the slot every key of the transaction is in.
    Cluster(&'a crate::cluster::RedisCluster),
}

impl fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("commands", &self.batch.borrow().refused.len())
            .finish()
    }
}

/// What `EXEC` gave.
enum Outcome {
    /// It ran: the replies of the queued commands.
    Ran(Replies),
    /// A watched key changed: nothing ran.
    Conflict,
}

impl<'a> Transaction<'a> {
    pub(crate) fn new(client: &'a Redis) -> Transaction<'a> {
        Transaction {
            conn: TxConn::Client(client),
            batch: RefCell::new(Batch::new(
                client.node().cache().is_some(),
                client.config().wait_for_replicas(),
            )),
        }
    }

    pub(crate) fn for_cluster(cluster: &'a crate::cluster::RedisCluster) -> Transaction<'a> {
        Transaction {
            conn: TxConn::Cluster(cluster),
            batch: RefCell::new(Batch {
                slot: Some(crate::route::KeySlot::None),
                ..Batch::new(
                    cluster.inner().cache().is_some(),
                    cluster.config().node_config().wait_for_replicas(),
                )
            }),
        }
    }

    fn watching(conn: &'a Dedicated, client: &'a Redis) -> Transaction<'a> {
        Transaction {
            conn: TxConn::Watching(conn, client),
            batch: RefCell::new(Batch::new(
                client.node().cache().is_some(),
                client.config().wait_for_replicas(),
            )),
        }
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.batch.borrow().refused.len()
    }

    /// Queues a run of `script` (`EVALSHA`); the script is loaded (`SCRIPT LOAD`) just before
    /// `MULTI`, in the same write, so it cannot be missing from the server's cache.
    pub fn script<T: crate::from_value::FromValue>(
        &self,
        script: &crate::script::Script,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Queued<T> {
        self.batch.borrow_mut().queue_script(script, keys, args)
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs the queued commands atomically (`MULTI`, the commands, `EXEC`) and returns their
    /// replies.
    ///
    /// # Errors
    /// [`ErrorKind::Server`] with [`crate::ServerCode::ExecAbort`] when the server refused a
    /// command while queueing (nothing ran); [`ErrorKind::Usage`] when a command cannot be
    /// sent at all (a blocking command, `SELECT`, …: nothing is sent); [`ErrorKind::Conflict`]
    /// when a watched key changed; [`ErrorKind::Timeout`] or [`ErrorKind::Closed`] when the
    /// connection failed (the transaction may or may not have run); the errors of
    /// [`Redis::dedicated`] when no connection could be had.
    pub fn exec(self) -> Result<Replies> {
        match self.run()? {
            Outcome::Ran(replies) => Ok(replies),
            Outcome::Conflict => Err(conflict_error()),
        }
    }

    fn run(self) -> Result<Outcome> {
        let mut batch = self.batch.into_inner();
        if let Some(e) = batch.refused.iter().flatten().next() {
            return Err(Error::new(
                ErrorKind::Usage,
                "a command of the transaction cannot be sent; nothing was sent",
            )
            .with_command("MULTI")
            .with_source(e.clone()));
        }
        match self.conn {
            TxConn::Client(client) => {
                let writes = std::mem::take(&mut batch.writes);
                let outcome = run_on(&client.dedicated()?, batch);
                client.node().fence_written(&writes, None);
                outcome
            }
            TxConn::Watching(conn, client) => {
                let writes = std::mem::take(&mut batch.writes);
                let outcome = run_on(conn, batch);
                client.node().fence_written(&writes, None);
                outcome
            }
            TxConn::Cluster(cluster) => {
                let node = match batch.slot.unwrap_or(crate::route::KeySlot::None) {
                    crate::route::KeySlot::One(slot) => cluster.node_for_slot(slot)?,
                    crate::route::KeySlot::None => cluster.any_node()?,
                    crate::route::KeySlot::Cross => {
                        return Err(Error::new(
                            ErrorKind::Usage,
                            "the keys of a cluster transaction must all be in one slot (use a \
                             {hash tag}); nothing was sent",
                        )
                        .with_command("MULTI"))
                    }
                };
                let writes = std::mem::take(&mut batch.writes);
                let outcome = run_on(&node.dedicated()?, batch);
                node.node().fence_written(&writes, None);
                outcome
            }
        }
    }
}

impl Executor for Transaction<'_> {
    type Output<T> = Queued<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Queued<T> {
        self.batch.borrow_mut().queue(cmd)
    }
}

/// `MULTI`, the batch, `EXEC` on `conn`, written at once; then their replies.
fn run_on(conn: &Dedicated, batch: Batch) -> Result<Outcome> {
    let (mut encoded, loads) = batch.preamble();
    encoded.reserve(batch.encoded.len() + 32);
    Cmd::<Value>::new("MULTI")
        .request()
        .encode_into(&mut encoded);
    encoded.extend_from_slice(&batch.encoded);
    Cmd::<Value>::new("EXEC")
        .request()
        .encode_into(&mut encoded);
    // With writes on a client that asks for replicas: `WAIT` after `EXEC`.
    let wait = batch.wait_after();
    if let Some(w) = &wait {
        w.encode_into(&mut encoded);
    }
    let timeout = conn.config().response_timeout();
    let deadline = Instant::now() + timeout;
    let count = loads + batch.sent + 2 + usize::from(wait.is_some());
    let frames = conn.send_and_receive(&encoded, count, deadline)?;
    let limits = *conn.config().limits();
    let context = |e: Error| e.with_command("EXEC").with_node(&conn.node());
    // The scripts' SCRIPT LOADs first: their errors show as the scripts' NOSCRIPT.
    let mut frames = frames.into_iter().skip(loads);
    // MULTI: OK.
    let multi = frames
        .next()
        .map(|f| crate::resp::decode_with_limits(&f, &limits));
    if let Some(Ok(Value::Error(e))) = multi {
        return Err(context(Error::server(e)));
    }
    // Each command: QUEUED, or the refusal that will abort the transaction.
    let mut first_refusal = None;
    for _ in 0..batch.sent {
        let frame = frames
            .next()
            .map(|f| crate::resp::decode_with_limits(&f, &limits));
        if let Some(Ok(Value::Error(e))) = frame {
            first_refusal.get_or_insert(e);
        }
    }
    let exec = frames
        .next()
        .ok_or_else(|| context(Error::protocol("no reply to EXEC")))?;
    match exec_items(&exec, &limits)? {
        ExecReply::Items(items) => {
            if let Some(w) = wait {
                let reply = frames
                    .next()
                    .ok_or_else(|| context(Error::protocol("no reply to WAIT after EXEC")))?;
                w.check(&reply).map_err(context)?;
            }
            Ok(Outcome::Ran(Replies::new(items, batch.refused, limits)))
        }
        ExecReply::Null => Ok(Outcome::Conflict),
        ExecReply::Error(e) => {
            let err = Error::server(e);
            Err(context(match first_refusal {
                Some(r) => err.with_source(Error::server(r)),
                None => err,
            }))
        }
    }
}

/// The reply of `EXEC`.
enum ExecReply {
    /// The replies of the commands, one frame each.
    Items(Vec<Bytes>),
    /// A watched key changed.
    Null,
    /// `EXECABORT` (or another error).
    Error(crate::error::ServerError),
}

/// Splits `EXEC`'s reply: an array of the commands' replies, nil, or an error.
fn exec_items(frame: &Bytes, limits: &crate::resp::Limits) -> Result<ExecReply> {
    match frame.first() {
        Some(b'*') => {
            let header_end = memchr::memchr(b'\n', frame)
                .ok_or_else(|| Error::protocol("a malformed EXEC reply"))?;
            if frame.get(1..3) == Some(b"-1") {
                return Ok(ExecReply::Null);
            }
            let items = split_frames(frame.slice(header_end + 1..), limits)?;
            Ok(ExecReply::Items(items))
        }
        _ => match crate::resp::decode_with_limits(frame, limits)?.strip_attributes() {
            Value::Nil => Ok(ExecReply::Null),
            Value::Error(e) => Ok(ExecReply::Error(e)),
            other => Err(Error::protocol(format!(
                "EXEC replied with {}",
                other.describe()
            ))),
        },
    }
}

fn conflict_error() -> Error {
    Error::new(
        ErrorKind::Conflict,
        "a watched key changed before EXEC; the transaction did not run",
    )
    .with_command("EXEC")
}

impl Redis {
    /// A transaction: commands queued on it run atomically with `MULTI` … `EXEC` on a dedicated
    /// connection when [`Transaction::exec`] is called. See [`Transaction`].
    pub fn transaction(&self) -> Transaction<'_> {
        Transaction::new(self)
    }

    /// Optimistic locking: `WATCH`es `keys` on a dedicated connection, runs `f` — which reads
    /// through the connection it is given and queues writes on the transaction — then `EXEC`s.
    /// When a watched key changed meanwhile, nothing ran and it starts over (at most
    /// [`TRANSACTION_ATTEMPTS`] times). Returns what `f` returned and the replies.
    ///
    /// ```no_run
    /// use coredis::prelude::*;
    /// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// // Double a counter without losing a concurrent update.
    /// let (old, _) = r.transaction_with("counter", |conn, tx| {
    ///     let old: i64 = conn.get::<Option<i64>>("counter")?.unwrap_or(0);
    ///     let _ = tx.set("counter", old * 2);
    ///     Ok(old)
    /// })?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Conflict`] when the watched keys changed on every attempt; the error `f`
    /// returned (after `UNWATCH`); otherwise those of [`Transaction::exec`].
    pub fn transaction_with<R>(
        &self,
        keys: impl ToArgs,
        mut f: impl FnMut(&Dedicated, &Transaction<'_>) -> Result<R>,
    ) -> Result<(R, Replies)> {
        let conn = self.dedicated()?;
        let watch: Cmd<()> = Cmd::new("WATCH").keys(keys).required("keys");
        for _ in 0..TRANSACTION_ATTEMPTS {
            conn.execute_exclusive(watch.clone())?;
            let tx = Transaction::watching(&conn, self);
            let value = match f(&conn, &tx) {
                Ok(v) => v,
                Err(e) => {
                    let _ = conn.execute_exclusive(Cmd::<()>::new("UNWATCH"));
                    return Err(e);
                }
            };
            match tx.run()? {
                Outcome::Ran(replies) => return Ok((value, replies)),
                Outcome::Conflict => continue,
            }
        }
        Err(conflict_error())
    }
}
