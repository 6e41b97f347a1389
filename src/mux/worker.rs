//! The connection's worker thread: everything no caller is waiting to do.
//!
//! It parks until woken and then: reads replies nobody waits on (dropped or polled handles),
//! writes requests stranded in the queue, re-establishes a failed connection with exponential
//! back-off (replaying the handshake), and on shutdown drains outstanding requests and closes
//! the socket. It never sits on the hot path: a waiting caller does its own I/O.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::pipe::{Pipe, Status};
use crate::connection;

/// How long the worker sleeps when nobody wakes it.
const IDLE_PARK: Duration = Duration::from_secs(1);

/// Starts the worker thread of `pipe`.
pub(crate) fn spawn(pipe: &Arc<Pipe>) -> std::io::Result<()> {
    let p = pipe.clone();
    let node = pipe.node();
    let handle = thread::Builder::new()
        .name(format!("coredis-worker {node}"))
        .spawn(move || run(p))?;
    pipe.set_worker(handle.thread().clone());
    Ok(())
}

enum Next {
    Lead,
    Reconnect,
    Drain,
    Exit,
}

fn run(pipe: Arc<Pipe>) {
    log::debug!("coredis: worker for {} started", pipe.node());
    loop {
        if !pipe.worker_wanted.swap(false, Ordering::SeqCst) {
            thread::park_timeout(IDLE_PARK);
        }
        let next = {
            let st = pipe.state.lock();
            match (&st.status, st.shutdown) {
                (Status::Closed, _) => Next::Exit,
                (Status::Broken(_), true) => Next::Exit,
                (Status::Broken(_), false) => Next::Reconnect,
                (Status::Connected, true) => Next::Drain,
                (Status::Connected, false) => Next::Lead,
            }
        };
        match next {
            Next::Lead => pipe.lead_if_needed(),
            Next::Reconnect => reconnect(&pipe),
            Next::Drain => {
                drain(&pipe);
                pipe.close_now();
                break;
            }
            Next::Exit => {
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
        pipe.lead_if_needed();
        thread::park_timeout(Duration::from_millis(5));
    }
}

/// Re-establishes the connection, with exponential back-off between attempts.
fn reconnect(pipe: &Pipe) {
    let mut backoff = pipe.config.reconnect_min_backoff();
    loop {
        let gen = {
            let st = pipe.state.lock();
            if st.shutdown || !matches!(st.status, Status::Broken(_)) {
                return;
            }
            st.generation
        };
        pipe.wait_roles_free(Duration::from_secs(2));
        match connection::connect(&pipe.config) {
            Ok(conn) => {
                let addr = conn.info.addr.clone();
                pipe.install(conn, gen);
                log::info!("coredis: reconnected to {addr}");
                return;
            }
            Err(e) => {
                log::debug!("coredis: reconnect attempt failed: {e}");
                {
                    let mut st = pipe.state.lock();
                    if let Status::Broken(_) = st.status {
                        st.status = Status::Broken(e);
                    }
                }
                let until = Instant::now() + backoff;
                while Instant::now() < until {
                    thread::park_timeout(until - Instant::now());
                    if pipe.state.lock().shutdown {
                        return;
                    }
                }
                backoff = (backoff * 2).min(pipe.config.reconnect_max_backoff());
            }
        }
    }
}
