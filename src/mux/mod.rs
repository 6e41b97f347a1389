//! The multiplexed pipe: one connection shared by every thread of a client.
//!
//! Owns: the submit queue, the reply FIFO, one-shot reply slots, the writer and reader roles,
//! the connection's worker thread, reconnection, and response timeouts.
//!
//! Must not: parse replies into user types (owners decode their own frames, so a big reply does
//! not delay everyone behind it), know command names, or grow without bound.
//!
//! # How a request travels
//!
//! 1. **Submit.** The caller appends its encoded request to the shared pending buffer and its
//!    slot to the FIFO under one short mutex — in the same critical section, so the FIFO order
//!    is the byte order. If nobody is writing, it becomes the writer and writes everything
//!    pending in one `write`, then what others queued meanwhile, for at most four `write`s:
//!    a stream of other callers' requests never keeps it from its own reply (what is left
//!    goes to the leader or the worker; the worker, which has no deadline, keeps writing
//!    while requests keep coming, unless the connection is TLS and nobody could read). If a leader is reading and at least four written
//!    requests are still unanswered, it only queues: the leader flushes one batch before
//!    each blocking read (write combining with deferral; this cut `write` calls per command
//!    from ~0.75 to ~0.1 at 64 callers in `shared/research/mux-spike.md`).
//! 2. **Wait (leader/follower).** A waiting caller that finds nobody reading becomes the leader:
//!    it reads, cuts complete frames with the incremental scanner, pops one slot per reply in
//!    FIFO order and completes it (store, release, `unpark`), and leaves as soon as its own reply
//!    is in. Everyone else parks. A lone caller therefore does one `write` and one `read`, like a
//!    plain blocking connection.
//! 3. **Hand-off.** Whoever releases a role checks, under the same mutex, whether written
//!    requests are outstanding with nobody reading; if so it unparks the oldest waiter, or the
//!    worker when no caller waits (the lost wake-up guard). Every caller repeats a lock-free
//!    version of that check before returning.
//! 4. **Worker.** One thread per connection, parked by default: it leads when no caller waits
//!    (dropped or polled handles), reconnects with back-off after a failure, and drains and
//!    closes the socket on shutdown.
//!
//! # Failure rules
//!
//! - A reply goes to the request that caused it or to nobody: a slot whose owner timed out or
//!   dropped its handle stays in the FIFO, and its reply is discarded when it comes.
//! - When the connection fails, every outstanding slot completes with a
//!   [`crate::ErrorKind::Closed`] error at once; new requests wait (bounded by their deadline)
//!   while the worker reconnects and replays the handshake. Nothing is retried silently.
//! - The FIFO is bounded by `max_in_flight`: submitters block (bounded by their deadline) when
//!   it is full.
//! - Nothing is logged while a lock or a role is held: a logger may itself use the client.
//! - TLS streams cannot be read and written at once, so on TLS connections submitters always
//!   queue while a leader reads, and the leader flushes before each read.

mod pipe;
mod slot;
mod worker;

pub(crate) use pipe::Pipe;
pub(crate) use slot::Slot;

use std::sync::Arc;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result};

/// Connects (transport + handshake) and starts the connection's worker.
pub(crate) fn connect(config: Config) -> Result<Arc<Pipe>> {
    let conn = crate::connection::connect(&config)?;
    let pipe = Pipe::new(config, conn);
    worker::spawn(&pipe).map_err(|e| {
        pipe.close_now();
        Error::new(
            ErrorKind::Io,
            "could not start the connection's worker thread",
        )
        .with_source(e)
    })?;
    Ok(pipe)
}
