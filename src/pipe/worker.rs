//! The connection's worker thread: everything no caller is waiting to do.
//!
//! It parks until woken and then: reads replies nobody waits on (dropped or polled handles),
//! writes requests stranded in the queue, (re-)establishes the connection through the pipe's
//! [`Connector`](crate::connection::Connector) with exponential back-off (replaying the
//! handshake), and on shutdown drains outstanding requests and closes the socket. It never sits
//! on the hot path: a waiting caller does its own I/O.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::state::Job;
use super::Pipe;

/// How long the worker sleeps when nobody wakes it while requests are outstanding (a safety
/// net: their owners, or whoever polls or drops a handle, normally wake it). With nothing
/// outstanding it sleeps until woken, so an idle client costs no CPU at all (a cluster client
/// has one worker per node).
const IDLE_PARK: Duration = Duration::from_secs(1);

/// How long a reconnection waits for the reader and writer of the failed connection to let go
/// (they were unblocked by the socket's shutdown; this only bounds a pathological case).
const ROLES_FREE_WAIT: Duration = Duration::from_secs(2);

/// How often draining looks again at the outstanding requests.
const DRAIN_POLL: Duration = Duration::from_millis(5);

/// Starts the worker thread of `pipe`.
pub(super) fn spawn(pipe: &Arc<Pipe>) -> std::io::Result<()> {
    let p = pipe.clone();
    let node = pipe.node();
    let handle = thread::Builder::new()
        .name(format!("coredis-worker {node}"))
        .spawn(move || run(p))?;
    pipe.set_worker(handle);
    Ok(())
}

fn run(pipe: Arc<Pipe>) {
    log::debug!("coredis: worker for {} started", pipe.node());
    loop {
        if !pipe.worker_wanted.swap(false, Ordering::SeqCst) {
            if pipe.is_idle() {
                // Every submitter, close and failure wakes the worker (`unpark` before `park`
                // makes `park` return at once, so no wake-up is lost).
                thread::park();
            } else {
                thread::park_timeout(IDLE_PARK);
            }
        }
        match pipe.next_job() {
            Job::Lead => pipe.lead_if_needed(None),
            Job::Reconnect => reconnect(&pipe),
            Job::Drain => {
                drain(&pipe);
                pipe.close_now();
                break;
            }
            Job::Exit => {
                pipe.close_now();
                break;
            }
        }
    }
    log::debug!("coredis: worker for {} stopped", pipe.node());
}

/// On shutdown: let outstanding requests finish, for at most one response timeout.
fn drain(pipe: &Pipe) {
    let deadline = Instant::now() + pipe.config.response_timeout();
    while pipe.has_outstanding() && Instant::now() < deadline {
        pipe.lead_if_needed(Some(deadline));
        thread::park_timeout(DRAIN_POLL.min(deadline.saturating_duration_since(Instant::now())));
    }
}

/// (Re-)establishes the connection, with exponential back-off between attempts.
fn reconnect(pipe: &Pipe) {
    let mut backoff = pipe.config.reconnect_min_backoff();
    while let Some(gen) = pipe.generation_to_reconnect() {
        pipe.wait_roles_free(ROLES_FREE_WAIT);
        match pipe.connector.connect(&pipe.config) {
            Ok(conn) => {
                let addr = conn.info.addr.clone();
                pipe.install(conn, gen);
                if gen == 0 {
                    log::info!("coredis: connected to {addr}");
                } else {
                    log::info!("coredis: reconnected to {addr}");
                }
                return;
            }
            Err(e) => {
                log::debug!("coredis: connection attempt failed: {e:#}");
                pipe.connect_failed(e);
                let until = Instant::now() + backoff;
                while Instant::now() < until {
                    thread::park_timeout(until - Instant::now());
                    if pipe.is_closed() {
                        return;
                    }
                }
                backoff = (backoff * 2).min(pipe.config.reconnect_max_backoff());
            }
        }
    }
}
