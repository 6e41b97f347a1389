//! Stream consumers: reading Redis streams as blocking iterators, on a connection of their own.
//!
//! Owns: [`GroupConsumer`] (a member of a consumer group: `XREADGROUP`, `XACK`, `XAUTOCLAIM`,
//! group creation), [`StreamTail`] (a plain reader following streams with `XREAD BLOCK`),
//! their builders and entry types, and [`StopHandle`], which ends their iteration from any
//! thread. Both read on one dedicated connection ([`crate::Redis::dedicated`]) that they open
//! again after a connection error; they work on a [`crate::Redis`] client (one server, or the
//! primary a [`crate::Sentinel`] names), not on [`crate::RedisCluster`].
//!
//! Must not: encode commands itself (it calls the typed methods of
//! [`crate::commands::StreamGroupCommands`], [`crate::commands::StreamCommands`] and
//! [`crate::commands::BlockingStreamCommands`]), block for ever (every read has a finite
//! `BLOCK`, so a stop request is seen within one block timeout), acknowledge an entry that was
//! not handled, or panic on what the server or the caller sends.
//!
//! ```no_run
//! use coredis::streams::{GroupConsumer, GroupEntry};
//! use std::time::Duration;
//!
//! let r = coredis::Redis::from_url("redis://127.0.0.1")?;
//! let mut consumer: GroupConsumer = GroupConsumer::builder("mailer", "worker-1")
//!     .stream("emails")
//!     .create_group("0")                     // XGROUP CREATE … MKSTREAM, unless it exists
//!     .claim_idle(Duration::from_secs(60))   // take over entries others left for a minute
//!     .build(&r)?;
//! let stop = consumer.stop_handle();          // stop.stop() from any thread ends `run`
//! consumer.run(|entry: &GroupEntry| {
//!     println!("{} {} {:?}", entry.key, entry.id, entry.fields);
//!     Ok::<(), std::io::Error>(())           // Ok: acknowledged; Err: left pending
//! })?;
//! # Ok::<(), coredis::Error>(())
//! ```
//!
//! # Delivery
//!
//! Group consumers deliver at least once: an entry is acknowledged only after it was handled
//! (by [`GroupEntry::ack`], [`GroupConsumer::ack`] or a handler of [`GroupConsumer::run`]
//! returning `Ok`). An entry delivered but not acknowledged — the handler failed, the process
//! died, the connection broke before the reply arrived — stays pending in the group: the same
//! consumer reads it again when it starts or reconnects (its pending entries come first, read
//! with id `0`), and any consumer with a [`GroupConsumerBuilder::claim_idle`] threshold takes
//! it over with `XAUTOCLAIM` once it has been idle that long. So handlers must tolerate seeing
//! an entry twice ([`GroupEntry::delivery`] tells a redelivery), and the idle threshold must
//! exceed the longest handling time. A pending entry deleted from the stream since it was
//! delivered (it comes back without fields) is skipped, and left pending.

mod group;
mod tail;

pub use group::{Delivery, GroupConsumer, GroupConsumerBuilder, GroupEntry};
pub use tail::{StreamTail, StreamTailBuilder, TailEntry};

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::client::{Dedicated, Redis};
use crate::error::{Error, ErrorKind, Result};
use crate::from_value::FromValue;
use crate::types::StreamId;
use crate::value::Value;

/// The block timeout of a read when the builder sets none: how long one `XREAD` /
/// `XREADGROUP` waits for new entries before the iterator checks its [`StopHandle`].
pub const DEFAULT_BLOCK: Duration = Duration::from_secs(1);

/// How many entries one read asks for per stream when the builder sets no count.
pub const DEFAULT_COUNT: u64 = 100;

/// Ends the iteration of the readers it was given to, from any thread: the iterator returns
/// `None` at its next step, at the latest one block timeout after [`StopHandle::stop`].
/// Cheap to clone; clones share the flag, so one handle can stop several readers (see
/// [`GroupConsumerBuilder::stop_handle`]).
///
/// Entries read but not yet handed out when the reader stops are dropped unacknowledged: a
/// group keeps them pending for the next consumer.
#[derive(Debug, Clone, Default)]
pub struct StopHandle {
    stopped: Arc<AtomicBool>,
}

impl StopHandle {
    /// A new handle, not stopped.
    pub fn new() -> StopHandle {
        StopHandle::default()
    }

    /// Asks the readers sharing this handle to stop.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Whether [`StopHandle::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}

/// The dedicated connection of a reader: opened on first use, dropped (and opened again on
/// the next use) after an error that may have left it unusable.
struct Link {
    redis: Redis,
    conn: Option<Dedicated>,
}

impl Link {
    fn new(redis: &Redis) -> Link {
        Link {
            redis: redis.clone(),
            conn: None,
        }
    }

    /// Runs `f` on the connection. An error returned is `lost` when the connection was
    /// dropped (a connection error or a timeout: a reply may have been lost with it).
    fn run<T>(&mut self, f: impl FnOnce(&Dedicated) -> Result<T>) -> Result<T> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(self.redis.dedicated()?),
        };
        let result = f(conn);
        if let Err(e) = &result {
            if is_lost(e) {
                self.conn = None;
            }
        }
        result
    }
}

/// An error after which the connection is not trusted (nor the delivery of a reply).
fn is_lost(e: &Error) -> bool {
    e.is_connection_error() || e.is_timeout() || e.kind() == ErrorKind::Protocol
}

/// Checks what both builders share: at least one stream, no stream twice, a non-zero block
/// timeout (zero would block for ever) and count.
fn check_settings<'a>(
    what: &str,
    keys: impl IntoIterator<Item = &'a str>,
    block: Duration,
    count: u64,
) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for key in keys {
        if !seen.insert(key) {
            return Err(usage(what, format!("stream `{key}` is given twice")));
        }
    }
    if seen.is_empty() {
        return Err(usage(what, "no stream to read: add one with `stream`"));
    }
    if block.is_zero() {
        return Err(usage(
            what,
            "the block timeout must be above zero (zero blocks for ever)",
        ));
    }
    if count == 0 {
        return Err(usage(what, "the count must be at least 1"));
    }
    Ok(())
}

fn usage(what: &str, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Usage, format!("{what}: {message}"))
}

/// The fields of entry `id` of stream `key`, converted to `F`; an error names the entry.
fn fields<F: FromValue>(key: &str, id: StreamId, value: Value) -> Result<F> {
    F::from_value(value).map_err(|e| e.context(format_args!("stream `{key}` entry {id}")))
}

/// Whether an entry read from a pending list has no fields: it was deleted from the stream
/// after it was delivered (`XADD` always stores at least one field).
fn is_deleted(fields: &Value) -> bool {
    match fields {
        Value::Array(items) | Value::Set(items) => items.is_empty(),
        Value::Map(pairs) => pairs.is_empty(),
        Value::Nil => true,
        _ => false,
    }
}

/// One step of a reader's iteration: the next buffered item, refilling the buffer with `fill`
/// (one round trip or block timeout at most) while it is empty. Returns `None` when `stop` is
/// set, or, with `once`, after one `fill` that found nothing.
fn next_item<T>(
    stop: &StopHandle,
    backoff: &mut Backoff,
    buffer: &mut VecDeque<Result<T>>,
    once: bool,
    mut fill: impl FnMut(&mut VecDeque<Result<T>>) -> Result<()>,
) -> Option<Result<T>> {
    loop {
        if stop.is_stopped() {
            buffer.clear();
            return None;
        }
        if let Some(item) = buffer.pop_front() {
            return Some(item);
        }
        if !backoff.wait(stop) {
            buffer.clear();
            return None;
        }
        if let Err(e) = fill(buffer) {
            backoff.failed();
            return Some(Err(e));
        }
        backoff.reset();
        if once && buffer.is_empty() {
            return None;
        }
    }
}

/// After a read that failed, how long the next one waits: 20 ms, doubling up to 1 s, reset by
/// a read that succeeds. A loop that goes on after errors (a server that keeps refusing, a
/// connection that keeps failing) then does not spin.
#[derive(Debug, Default)]
pub(crate) struct Backoff(Duration);

impl Backoff {
    const FIRST: Duration = Duration::from_millis(20);
    const MAX: Duration = Duration::from_secs(1);

    fn failed(&mut self) {
        self.0 = (self.0 * 2).clamp(Self::FIRST, Self::MAX);
    }

    fn reset(&mut self) {
        self.0 = Duration::ZERO;
    }

    /// Waits out the back-off, in short slices so a stop is seen; false when stopped.
    fn wait(&self, stop: &StopHandle) -> bool {
        let until = std::time::Instant::now() + self.0;
        loop {
            if stop.is_stopped() {
                return false;
            }
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(Duration::from_millis(50)));
        }
    }
}
