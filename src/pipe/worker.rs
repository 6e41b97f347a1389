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
            sleep(&pipe);
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

/// Parks until a job is wanted (or, with requests outstanding, [`IDLE_PARK`] passed: the
/// safety net). Every submitter, close and failure wakes the worker (`unpark` before `park`
/// makes `park` return at once, so no wake-up is lost).
///
/// Asked to write a quiet request nobody else writes ([`Pipe::flush_soon`]), it waits
/// [`FLUSH_GRACE`](super::FLUSH_GRACE) for whoever is about to, writes what is still queued,
/// and sleeps on as it slept before: these wake-ups neither lead nor start the safety net, so
/// a cluster thread keeping handles on many connections keeps reading them itself.
fn sleep(pipe: &Pipe) {
    let timed = !pipe.is_idle();
    loop {
        if timed {
            thread::park_timeout(IDLE_PARK);
        } else {
            thread::park();
        }
        if pipe.worker_wanted.load(Ordering::SeqCst) || !pipe.flush_wanted.load(Ordering::SeqCst) {
            return;
        }
        // Requests that come meanwhile see the flag set and do not wake the worker again.
        thread::park_timeout(super::FLUSH_GRACE);
        pipe.flush_wanted.store(false, Ordering::SeqCst);
        pipe.flush_unattended();
        if pipe.worker_wanted.load(Ordering::SeqCst) {
            return;
        }
    }
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
