//! A connection that streams: one socket, one reader thread, reconnection with back-off.
//!
//! Owns: [`Streaming`], what a subscriber and a `MONITOR` share — a dedicated connection opened
//! through the node's [`Connector`], a thread that reads its frames and hands each to a
//! [`StreamHandler`], writes from any thread under one lock, and, when the connection is lost,
//! a reconnection with exponential back-off after which the handler replays what it had asked
//! for (its subscriptions). The cluster client's sharded pub/sub will run one per node.
//!
//! Must not: interpret frames (the handler does), log or call the handler while holding the
//! writer's lock, or grow anything without bound (the handler's own channel is bounded).

use bytes::Bytes;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::connection::{Closer, ConnInfo, ConnWriter, Connection, Connector, FrameReader};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::{self, Limits};
use crate::value::Value;

/// How often the reader looks at its stop flag while it waits between reconnection attempts.
const READ_TICK: Duration = Duration::from_millis(100);

/// How long one read of a connected stream waits before the reader looks at its stop flag.
/// Closing shuts the socket down, which ends a waiting read at once, and writers never wait
/// for the reader (TLS included: it waits for bytes outside the session lock), so an idle
/// stream wakes its thread only this rarely.
const IDLE_READ_TICK: Duration = Duration::from_secs(60);

/// What a streaming connection does with what it reads.
pub(crate) trait StreamHandler: Send + Sync + 'static {
    /// A connection was (re-)established: write what the stream needs (`SUBSCRIBE` of every
    /// channel it had, `MONITOR`). `reconnected` is false the first time.
    fn on_connect(&self, writer: &mut ConnWriter, reconnected: bool) -> Result<()>;
    /// What the handshake of a (re-)established connection learned; called before
    /// [`StreamHandler::on_connect`]. An error ends the connection.
    fn on_connected(&self, _info: &ConnInfo) -> Result<()> {
        Ok(())
    }
    /// One frame, decoded. An error ends the connection (it is re-established).
    fn on_value(&self, value: Value) -> Result<()>;
    /// One frame as read (a slice of a shared chunk); by default decoded for
    /// [`StreamHandler::on_value`]. A handler overrides it for a faster path on its most
    /// frequent frame.
    fn on_frame(&self, frame: Bytes, limits: &Limits) -> Result<()> {
        self.on_value(resp::decode_with_limits(&frame, limits)?.strip_attributes())
    }
    /// The connection was lost; it is being re-established.
    fn on_disconnect(&self, error: &Error);
    /// An attempt to re-establish it failed with `error`; the reader tries again after its
    /// back-off. (For a subscriber to fail its calls at once when credentials are refused.)
    fn on_reconnect_failed(&self, _error: &Error) {}
    /// The stream was closed for good.
    fn on_close(&self);
}

/// A streaming connection and its reader thread.
pub(crate) struct Streaming {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    config: Config,
    connector: Arc<dyn Connector>,
    handler: Arc<dyn StreamHandler>,
    /// The writing half of the current connection; `None` while reconnecting.
    writer: Mutex<Option<ConnWriter>>,
    closer: Mutex<Option<Closer>>,
    closed: AtomicBool,
}

impl Streaming {
    /// Connects (the first time synchronously, so a bad configuration fails here) and starts
    /// the reader thread, named `name`.
    pub(crate) fn start(
        config: Config,
        connector: Arc<dyn Connector>,
        handler: Arc<dyn StreamHandler>,
        name: &str,
    ) -> Result<Streaming> {
        let conn = connector.connect(&config)?;
        let shared = Arc::new(Shared {
            config,
            connector,
            handler,
            writer: Mutex::new(None),
            closer: Mutex::new(None),
            closed: AtomicBool::new(false),
        });
        let reader = shared.install(conn, false)?;
        let s = shared.clone();
        let thread = thread::Builder::new()
            .name(name.to_string())
            .spawn(move || run(s, reader))
            .map_err(|e| {
                Error::new(ErrorKind::Io, "could not start the reader thread").with_source(e)
            })?;
        Ok(Streaming {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Writes `bytes` (encoded commands) on the current connection, by `deadline`. When the
    /// connection is down the bytes are dropped: the handler's `on_connect` replays what
    /// matters once it is back. Returns whether they were written.
    pub(crate) fn write(&self, bytes: &[u8], deadline: Instant) -> bool {
        self.write_with(bytes, deadline, || {})
    }

    /// [`Streaming::write`], calling `writing` just before the bytes are written, when there
    /// is a connection to write them to, with no other write in between: what it records is
    /// in the order of the requests on the wire, and in place before any reply to them can
    /// be read.
    pub(crate) fn write_with(
        &self,
        bytes: &[u8],
        deadline: Instant,
        writing: impl FnOnce(),
    ) -> bool {
        let mut w = self.shared.writer.lock();
        let Some(writer) = w.as_mut() else {
            return false;
        };
        writing();
        if writer.write_all_by(bytes, deadline).is_ok() {
            return true;
        }
        // A failed write: the reader will see the connection fail and reconnect.
        *w = None;
        drop(w);
        if let Some(c) = self.shared.closer.lock().as_ref() {
            c.shutdown();
        }
        false
    }

    /// The configuration of the connection.
    pub(crate) fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Closes the connection and stops the reader thread (waits for it, unless called from
    /// it).
    pub(crate) fn close(&self) {
        if self.shared.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        *self.shared.writer.lock() = None;
        if let Some(c) = self.shared.closer.lock().take() {
            c.shutdown();
        }
        let handle = self.thread.lock().take();
        if let Some(h) = handle {
            if h.thread().id() != thread::current().id() && h.join().is_err() {
                log::warn!("coredis: a streaming connection's reader thread panicked");
            }
        }
    }

    /// True once closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        self.close();
    }
}

impl Shared {
    /// Puts a new connection in place: the handler writes what it needs, then the reading half
    /// goes to the reader.
    fn install(&self, conn: Connection, reconnected: bool) -> Result<FrameReader> {
        let Connection {
            reader,
            mut writer,
            closer,
            info,
            ..
        } = conn;
        self.handler.on_connected(&info)?;
        self.handler.on_connect(&mut writer, reconnected)?;
        *self.closer.lock() = Some(closer);
        *self.writer.lock() = Some(writer);
        if self.closed.load(Ordering::SeqCst) {
            if let Some(c) = self.closer.lock().take() {
                c.shutdown();
            }
        }
        Ok(FrameReader::new(reader, *self.config.limits()))
    }
}

/// The reader thread: read, hand each value to the handler; reconnect when the connection is
/// lost, until closed.
fn run(shared: Arc<Shared>, mut reader: FrameReader) {
    loop {
        let err = read_until_error(&shared, &mut reader);
        *shared.writer.lock() = None;
        if let Some(c) = shared.closer.lock().take() {
            c.shutdown();
        }
        if shared.closed.load(Ordering::SeqCst) {
            break;
        }
        shared.handler.on_disconnect(&err);
        log::warn!("coredis: a streaming connection was lost: {err:#}");
        match reconnect(&shared) {
            Some(r) => reader = r,
            None => break,
        }
    }
    shared.handler.on_close();
}

/// Reads and dispatches until the connection fails (or the stream is closed).
fn read_until_error(shared: &Shared, reader: &mut FrameReader) -> Error {
    let limits = *shared.config.limits();
    let mut frames = Vec::new();
    loop {
        if shared.closed.load(Ordering::SeqCst) {
            return Error::new(ErrorKind::Closed, "closed");
        }
        let taken = reader.take_frames(&mut frames);
        for frame in frames.drain(..) {
            if let Err(e) = shared.handler.on_frame(frame, &limits) {
                return e;
            }
        }
        if let Err(e) = taken.and_then(|()| reader.fill(IDLE_READ_TICK)) {
            return e;
        }
    }
}

/// Reconnects with exponential back-off; `None` when closed meanwhile.
fn reconnect(shared: &Shared) -> Option<FrameReader> {
    let mut backoff = shared.config.reconnect_min_backoff();
    loop {
        if shared.closed.load(Ordering::SeqCst) {
            return None;
        }
        let attempt = shared
            .connector
            .connect(&shared.config)
            .and_then(|conn| shared.install(conn, true));
        match attempt {
            Ok(r) => return Some(r),
            Err(e) => {
                shared.handler.on_reconnect_failed(&e);
                log::debug!("coredis: reconnecting a streaming connection failed: {e:#}")
            }
        }
        let until = Instant::now() + backoff;
        while Instant::now() < until {
            if shared.closed.load(Ordering::SeqCst) {
                return None;
            }
            thread::sleep((until - Instant::now()).min(READ_TICK));
        }
        backoff = (backoff * 2).min(shared.config.reconnect_max_backoff());
    }
}
