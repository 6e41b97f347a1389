//! Opening one connection to one server: transport, TLS and the Redis handshake.
//!
//! Owns: resolving and connecting (TCP through `socket2` with `TCP_NODELAY` and keepalive,
//! or a unix socket), the TLS handshake (`native-tls`, with the CA, client identity and
//! verification settings of [`TlsConfig`](crate::TlsConfig)), the Redis handshake (`HELLO`,
//! or `AUTH` / `CLIENT SETNAME` on servers without it, then `SELECT`), all bounded by the
//! connect timeout, and splitting the result into a [`ConnReader`], a [`ConnWriter`] and a
//! [`Closer`] that the multiplexer hands to its threads.
//!
//! Must not: spawn threads, retry or reconnect, keep state between connections, or read
//! replies after the handshake (the multiplexer owns the connection from then on). It logs
//! (at `debug`: connected, connecting failed, shutdown errors) but never logs, nor puts into an
//! error, a password or a command argument: a server reply that may quote one is cut first
//! (see `handshake`).

mod frames;
mod handshake;
#[cfg(feature = "tls")]
mod tls;
mod transport;

pub(crate) use frames::FrameReader;

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[cfg(feature = "tls")]
use parking_lot::Mutex;

use crate::config::{Addr, Config};
use crate::error::{Error, Result};

use transport::Deadline;

/// A TLS session over TCP, shared by the reader and the writer half.
#[cfg(feature = "tls")]
type SharedTls = Arc<Mutex<native_tls::TlsStream<tls::DeadlineStream>>>;

/// What the handshake learned about the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnInfo {
    /// The node's address as configured (`host:port` or `unix:/path`), for error context.
    pub(crate) addr: String,
    /// The RESP version in use on this connection: 2 or 3.
    pub(crate) protocol: u8,
    /// The server's version from the `HELLO` reply, when the server sent one.
    pub(crate) server_version: Option<String>,
    /// The connection's id from the `HELLO` reply (as `CLIENT ID` would return), when known.
    pub(crate) client_id: Option<i64>,
    /// The server's name from the `HELLO` reply (`redis`, `valkey`), when known.
    pub(crate) server_name: Option<String>,
    /// `standalone`, `cluster` or `sentinel`, from the `HELLO` reply, when known.
    pub(crate) server_mode: Option<String>,
    /// `master` or `replica`, from the `HELLO` reply, when known.
    pub(crate) role: Option<String>,
}

/// An open, authenticated connection, split into halves.
pub(crate) struct Connection {
    /// The reading half. Bytes the server sent after the last handshake reply come first.
    pub(crate) reader: ConnReader,
    /// The writing half.
    pub(crate) writer: ConnWriter,
    /// Shuts the socket down from any thread, unblocking a blocked reader or writer.
    pub(crate) closer: Closer,
    /// True when the reader and writer may be used at the same time from two threads: TCP and
    /// unix sockets (independent directions of one socket), and TLS, whose two halves share
    /// one session behind a lock that a reader holds only while it decrypts what has arrived —
    /// it waits for bytes without it (see `tls::DeadlineStream`). False would mean a read
    /// blocked in one thread blocks a write in another, so that the caller must never start a
    /// write while a read may be blocked. (TLS connections were half duplex until the reader
    /// stopped holding the lock while it waits; 64 handles in flight then ran at 0.86× the
    /// async multiplexer.)
    pub(crate) duplex: bool,
    /// What the handshake learned.
    pub(crate) info: ConnInfo,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("duplex", &self.duplex)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The reading half of a [`Connection`].
pub(crate) struct ConnReader {
    /// Bytes read during the handshake that belong to what comes after it.
    pending: Vec<u8>,
    /// How much of `pending` has been handed out.
    pending_pos: usize,
    inner: ReadHalf,
}

enum ReadHalf {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls {
        stream: SharedTls,
        /// A second handle on the TCP socket, to set timeouts without taking the TLS lock.
        socket: TcpStream,
        /// The deadline of the next reads (see [`ConnReader::limit_read_time`]).
        read_until: Option<Instant>,
        /// Where waiting for bytes copies what it sees (never read).
        peek_buf: Vec<std::mem::MaybeUninit<u8>>,
    },
}

impl ConnReader {
    /// Reads that go on for more than `limit` from now return [`io::ErrorKind::WouldBlock`]
    /// even while bytes keep arriving. Only TLS needs it (one TLS read may span many `recv`s
    /// while a record trickles in); on plain sockets the read timeout already bounds every
    /// read, and this does nothing.
    pub(crate) fn limit_read_time(&mut self, limit: Duration) {
        #[cfg(feature = "tls")]
        if let ReadHalf::Tls { read_until, .. } = &mut self.inner {
            *read_until = Instant::now().checked_add(limit);
        }
        #[cfg(not(feature = "tls"))]
        let _ = limit;
    }

    /// Looks, without blocking and without consuming anything, at what an idle connection
    /// holds: nothing, bytes (a reply nobody asked for, a push frame, or for TLS perhaps only a
    /// TLS record), or the peer's close. One `recv(MSG_PEEK | MSG_DONTWAIT)`.
    pub(crate) fn poll_idle(&self) -> Readiness {
        if self.pending_pos < self.pending.len() {
            return Readiness::Readable;
        }
        let sock = match &self.inner {
            ReadHalf::Tcp(s) => socket2::SockRef::from(s),
            #[cfg(unix)]
            ReadHalf::Unix(s) => socket2::SockRef::from(s),
            #[cfg(feature = "tls")]
            ReadHalf::Tls { socket, .. } => socket2::SockRef::from(socket),
        };
        peek(&sock)
    }

    /// Sets the read timeout of the underlying socket (also for TLS); `None` blocks without
    /// limit. A read that times out fails with [`io::ErrorKind::WouldBlock`] or
    /// [`io::ErrorKind::TimedOut`] (platform-dependent) and may be retried; for TLS a partly
    /// received record is kept and completed by the next read. A zero duration is an error,
    /// as for [`TcpStream::set_read_timeout`]. The handshake leaves no read timeout set.
    pub(crate) fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match &self.inner {
            ReadHalf::Tcp(s) => s.set_read_timeout(timeout),
            #[cfg(unix)]
            ReadHalf::Unix(s) => s.set_read_timeout(timeout),
            #[cfg(feature = "tls")]
            ReadHalf::Tls { socket, .. } => socket.set_read_timeout(timeout),
        }
    }
}

impl Read for ConnReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(rest) = self
            .pending
            .get(self.pending_pos..)
            .filter(|r| !r.is_empty())
        {
            let n = rest.len().min(buf.len());
            if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.pending_pos += n;
            if self.pending_pos >= self.pending.len() {
                self.pending = Vec::new();
                self.pending_pos = 0;
            }
            return Ok(n);
        }
        match &mut self.inner {
            ReadHalf::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            ReadHalf::Unix(s) => s.read(buf),
            #[cfg(feature = "tls")]
            ReadHalf::Tls {
                stream,
                socket,
                read_until,
                peek_buf,
            } => loop {
                // Decrypt what is here without waiting, under the session lock …
                {
                    let mut session = stream.lock();
                    session.get_mut().read_until = *read_until;
                    session.get_mut().wait = false;
                    let res = session.read(buf);
                    session.get_mut().wait = true;
                    session.get_mut().read_until = None;
                    match res {
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        other => return other,
                    }
                }
                if read_until.is_some_and(|t| Instant::now() >= t) {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        "the read deadline passed",
                    ));
                }
                // … and wait for more without it, so that writers can send meanwhile (up to
                // the socket's read timeout: a timeout is this read's `WouldBlock`).
                let n = tls::wait_readable(socket, peek_buf)?;
                let mut session = stream.lock();
                let known = &mut session.get_mut().available;
                *known = (*known).max(n);
            },
        }
    }
}

/// What an idle connection holds, from [`ConnReader::poll_idle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Readiness {
    /// Nothing to read: the connection is idle and open.
    Quiet,
    /// Bytes are waiting to be read.
    Readable,
    /// The peer closed the connection (or it failed).
    Closed,
}

#[cfg(unix)]
fn peek(sock: &socket2::SockRef<'_>) -> Readiness {
    let mut byte = [std::mem::MaybeUninit::<u8>::uninit(); 1];
    match sock.recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT) {
        Ok(0) => Readiness::Closed,
        Ok(_) => Readiness::Readable,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Readiness::Quiet,
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Readiness::Quiet,
        Err(_) => Readiness::Closed,
    }
}

#[cfg(not(unix))]
fn peek(_sock: &socket2::SockRef<'_>) -> Readiness {
    Readiness::Quiet
}

/// How far past its deadline a write may end: the write timeout is only reset when it would
/// end earlier than the deadline or later than this past it.
pub(crate) const WRITE_SLACK: Duration = Duration::from_millis(10);

/// The writing half of a [`Connection`]. Unbuffered: write whole batches with `write_all`.
pub(crate) struct ConnWriter {
    inner: WriteHalf,
    /// The write timeout currently set on the socket (`None`: none, blocks without limit).
    timeout: Option<Duration>,
}

enum WriteHalf {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
    #[cfg(feature = "tls")]
    Tls {
        stream: SharedTls,
        /// A second handle on the TCP socket, to set timeouts without taking the TLS lock.
        socket: TcpStream,
    },
}

impl ConnWriter {
    /// Sets the write timeout of the underlying socket (also for TLS, where it applies to
    /// the reader's socket too: it is one socket); `None` blocks without limit. A write that
    /// times out fails with [`io::ErrorKind::WouldBlock`] or [`io::ErrorKind::TimedOut`];
    /// some bytes may have been sent, so the connection should then be closed. A zero
    /// duration is an error. The handshake leaves no write timeout set.
    pub(crate) fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        match &self.inner {
            WriteHalf::Tcp(s) => s.set_write_timeout(timeout),
            #[cfg(unix)]
            WriteHalf::Unix(s) => s.set_write_timeout(timeout),
            #[cfg(feature = "tls")]
            WriteHalf::Tls { socket, .. } => socket.set_write_timeout(timeout),
        }?;
        self.timeout = timeout;
        Ok(())
    }

    /// Writes all of `buf` and flushes, ending by `deadline` (plus at most [`WRITE_SLACK`]): the
    /// socket's write timeout is set to the time left before each `write` that could otherwise
    /// run past the deadline — not restarted after each partial send. Fails with
    /// [`io::ErrorKind::TimedOut`] when the deadline passes; some bytes may have been sent then,
    /// so the connection must be closed.
    pub(crate) fn write_all_by(&mut self, mut buf: &[u8], deadline: Instant) -> io::Result<()> {
        while !buf.is_empty() {
            self.arm_write(deadline)?;
            match self.write(buf) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "the connection accepted no more bytes",
                    ))
                }
                Ok(n) => buf = buf.get(n..).unwrap_or_default(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, e))
                }
                Err(e) => return Err(e),
            }
        }
        self.arm_write(deadline)?;
        self.flush()
    }

    /// Makes the socket's write timeout end between the time left and [`WRITE_SLACK`] after it.
    /// No system call when it already does (the common case: every caller's deadline is about
    /// one response timeout away).
    fn arm_write(&mut self, deadline: Instant) -> io::Result<()> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the deadline passed while writing",
            ));
        }
        let fits = self
            .timeout
            .is_some_and(|t| t >= left && t <= left + WRITE_SLACK);
        if !fits {
            self.set_write_timeout(Some(left + WRITE_SLACK / 2))?;
        }
        Ok(())
    }
}

impl Write for ConnWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            WriteHalf::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            WriteHalf::Unix(s) => s.write(buf),
            #[cfg(feature = "tls")]
            WriteHalf::Tls { stream, .. } => stream.lock().write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match &mut self.inner {
            WriteHalf::Tcp(s) => s.write_vectored(bufs),
            #[cfg(unix)]
            WriteHalf::Unix(s) => s.write_vectored(bufs),
            #[cfg(feature = "tls")]
            WriteHalf::Tls { stream, .. } => stream.lock().write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            WriteHalf::Tcp(s) => s.flush(),
            #[cfg(unix)]
            WriteHalf::Unix(s) => s.flush(),
            #[cfg(feature = "tls")]
            WriteHalf::Tls { stream, .. } => stream.lock().flush(),
        }
    }
}

/// Shuts a connection's socket down from any thread.
#[derive(Clone)]
pub(crate) struct Closer {
    socket: Arc<CloseHandle>,
}

enum CloseHandle {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Closer {
    /// Shuts the socket down in both directions (for TLS, the TCP socket under it, without a
    /// TLS close-notify). A reader or writer blocked in another thread returns at once (EOF or
    /// an error); later reads and writes fail. Idempotent; errors (such as the peer having
    /// gone already) are only logged.
    pub(crate) fn shutdown(&self) {
        let result = match &*self.socket {
            CloseHandle::Tcp(s) => s.shutdown(Shutdown::Both),
            #[cfg(unix)]
            CloseHandle::Unix(s) => s.shutdown(Shutdown::Both),
        };
        if let Err(e) = result {
            if e.kind() != io::ErrorKind::NotConnected {
                log::debug!("shutting a connection down failed: {e}");
            }
        }
    }
}

impl fmt::Debug for Closer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Closer")
    }
}

/// Where a node's connections go: asked on every connect and reconnect, by the shared pipe's
/// worker and by the pool of dedicated connections alike.
///
/// The default, [`ConfiguredAddr`], connects to the address in the [`Config`]. A topology plugs
/// in here without touching the pipe: Sentinel asks the sentinels for the current primary, a
/// cluster follows a node whose address changed.
pub(crate) trait Connector: Send + Sync {
    /// Opens one connection (transport, TLS, handshake) within `config`'s connect timeout.
    fn connect(&self, config: &Config) -> Result<Connection>;
}

/// The default [`Connector`]: the address the configuration names.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ConfiguredAddr;

impl Connector for ConfiguredAddr {
    fn connect(&self, config: &Config) -> Result<Connection> {
        connect(config)
    }
}

/// Connects to `config.addr()`, runs the TLS handshake when `config.tls()` is set and the
/// Redis handshake, all within `config.connect_timeout()` (except host name resolution, which
/// the standard library cannot bound).
///
/// On success the socket has no read or write timeout. Errors carry the node address:
/// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) when the connect timeout elapsed,
/// [`ErrorKind::Io`](crate::ErrorKind::Io) for refused connections, resets and failed TLS
/// handshakes, [`ErrorKind::Config`](crate::ErrorKind::Config) for TLS files that cannot be
/// read or parsed, [`ErrorKind::Auth`](crate::ErrorKind::Auth) for refused credentials,
/// [`ErrorKind::Protocol`](crate::ErrorKind::Protocol) for a server without RESP3 when
/// protocol 3 was asked for, [`ErrorKind::Permission`](crate::ErrorKind::Permission) when
/// the ACL user may not run a handshake command (`SELECT` needs `+select`), and
/// [`ErrorKind::Server`](crate::ErrorKind::Server) for other error replies (with the
/// command: `HELLO`, `AUTH`, `CLIENT SETNAME` or `SELECT`).
pub(crate) fn connect(config: &Config) -> Result<Connection> {
    let addr = config.addr().to_string();
    let deadline = Deadline::after(config.connect_timeout());
    let result = match config.addr() {
        Addr::Tcp { host, port } => connect_tcp(config, host, *port, &addr, &deadline),
        #[cfg(unix)]
        Addr::Unix(path) => connect_unix(config, path, &addr, &deadline),
        #[cfg(not(unix))]
        Addr::Unix(_) => Err(Error::config(
            "unix sockets are not supported on this platform",
        )),
    };
    match result {
        Ok(conn) => {
            log::debug!(
                "connected to {} (RESP{}, server version {}, client id {})",
                conn.info.addr,
                conn.info.protocol,
                conn.info.server_version.as_deref().unwrap_or("unknown"),
                conn.info
                    .client_id
                    .map_or_else(|| "unknown".to_string(), |id| id.to_string()),
            );
            Ok(conn)
        }
        Err(e) => {
            let e = e.with_node(&addr);
            log::debug!("connecting to {addr} failed: {e:#}");
            Err(e)
        }
    }
}

fn connect_tcp(
    config: &Config,
    host: &str,
    port: u16,
    addr: &str,
    deadline: &Deadline,
) -> Result<Connection> {
    let stream = transport::connect_tcp(host, port, deadline, config.tcp_keepalive())?;
    let set_timeouts = |s: &TcpStream, t: Option<Duration>| -> io::Result<()> {
        s.set_read_timeout(t)?;
        s.set_write_timeout(t)
    };
    let socket_err = |e| Error::io("setting socket options failed", e);
    match config.tls() {
        None => {
            let mut stream = stream;
            let ctl = stream.try_clone().map_err(socket_err)?;
            let arm = |t| set_timeouts(&ctl, Some(t));
            let (info, pending) = handshake::run(&mut stream, config, addr, deadline, &arm, false)?;
            set_timeouts(&stream, None).map_err(socket_err)?;
            let writer = stream.try_clone().map_err(socket_err)?;
            Ok(Connection {
                reader: ConnReader {
                    pending,
                    pending_pos: 0,
                    inner: ReadHalf::Tcp(stream),
                },
                writer: ConnWriter {
                    inner: WriteHalf::Tcp(writer),
                    timeout: None,
                },
                closer: Closer {
                    socket: Arc::new(CloseHandle::Tcp(ctl)),
                },
                duplex: true,
                info,
            })
        }
        Some(tls_config) => connect_tls(config, tls_config, host, stream, addr, deadline),
    }
}

/// The TLS handshake over a connected `stream`, then the Redis handshake over TLS.
#[cfg(feature = "tls")]
fn connect_tls(
    config: &Config,
    tls_config: &crate::config::TlsConfig,
    host: &str,
    stream: TcpStream,
    addr: &str,
    deadline: &Deadline,
) -> Result<Connection> {
    let set_timeouts = |s: &TcpStream, t: Option<Duration>| -> io::Result<()> {
        s.set_read_timeout(t)?;
        s.set_write_timeout(t)
    };
    let socket_err = |e| Error::io("setting socket options failed", e);
    let ctl = stream.try_clone().map_err(socket_err)?;
    let connector = tls::connector(tls_config)?;
    let domain = tls_config.server_name().unwrap_or(host);
    let mut tls_stream = tls::handshake(&connector, domain, stream, addr, deadline, &|t| {
        set_timeouts(&ctl, Some(t))
    })?;
    let arm = |t| set_timeouts(&ctl, Some(t));
    let (info, pending) = handshake::run(&mut tls_stream, config, addr, deadline, &arm, true)?;
    set_timeouts(&ctl, None).map_err(socket_err)?;
    tls_stream.get_mut().read_until = None;
    let read_timeouts = ctl.try_clone().map_err(socket_err)?;
    let write_timeouts = ctl.try_clone().map_err(socket_err)?;
    let shared: SharedTls = Arc::new(Mutex::new(tls_stream));
    Ok(Connection {
        reader: ConnReader {
            pending,
            pending_pos: 0,
            inner: ReadHalf::Tls {
                stream: Arc::clone(&shared),
                socket: read_timeouts,
                read_until: None,
                peek_buf: vec![std::mem::MaybeUninit::uninit(); tls::PEEK_LEN],
            },
        },
        writer: ConnWriter {
            inner: WriteHalf::Tls {
                stream: shared,
                socket: write_timeouts,
            },
            timeout: None,
        },
        closer: Closer {
            socket: Arc::new(CloseHandle::Tcp(ctl)),
        },
        // The reader waits for bytes outside the session lock (see `tls::DeadlineStream`).
        duplex: true,
        info,
    })
}

/// Without the `tls` feature, [`ConfigBuilder::build`](crate::ConfigBuilder::build) refuses
/// TLS settings, so this is never reached; it fails the same way if it is.
#[cfg(not(feature = "tls"))]
fn connect_tls(
    _config: &Config,
    _tls_config: &crate::config::TlsConfig,
    _host: &str,
    _stream: TcpStream,
    _addr: &str,
    _deadline: &Deadline,
) -> Result<Connection> {
    Err(crate::config::TlsConfig::feature_missing())
}

#[cfg(unix)]
fn connect_unix(
    config: &Config,
    path: &std::path::Path,
    addr: &str,
    deadline: &Deadline,
) -> Result<Connection> {
    let socket_err = |e| Error::io("setting socket options failed", e);
    let mut stream = UnixStream::connect(path)
        .map_err(|e| Error::io(format!("could not connect to {addr}"), e))?;
    let ctl = stream.try_clone().map_err(socket_err)?;
    let set_timeouts = |s: &UnixStream, t: Option<Duration>| -> io::Result<()> {
        s.set_read_timeout(t)?;
        s.set_write_timeout(t)
    };
    let arm = |t| set_timeouts(&ctl, Some(t));
    let (info, pending) = handshake::run(&mut stream, config, addr, deadline, &arm, false)?;
    set_timeouts(&stream, None).map_err(socket_err)?;
    let writer = stream.try_clone().map_err(socket_err)?;
    Ok(Connection {
        reader: ConnReader {
            pending,
            pending_pos: 0,
            inner: ReadHalf::Unix(stream),
        },
        writer: ConnWriter {
            inner: WriteHalf::Unix(writer),
            timeout: None,
        },
        closer: Closer {
            socket: Arc::new(CloseHandle::Unix(ctl)),
        },
        duplex: true,
        info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_serves_pending_bytes_first() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        server.write_all(b"world").unwrap();
        let mut writer = ConnWriter {
            inner: WriteHalf::Tcp(client.try_clone().unwrap()),
            timeout: None,
        };
        writer
            .set_write_timeout(Some(Duration::from_secs(3)))
            .unwrap();
        assert_eq!(
            client.write_timeout().unwrap(),
            Some(Duration::from_secs(3))
        );
        writer.set_write_timeout(None).unwrap();
        let mut reader = ConnReader {
            pending: b"hello ".to_vec(),
            pending_pos: 0,
            inner: ReadHalf::Tcp(client),
        };
        let mut got = Vec::new();
        let mut buf = [0u8; 4];
        while got.len() < 11 {
            let n = reader.read(&mut buf).unwrap();
            assert!(n > 0);
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"hello world");
    }

    #[test]
    fn closer_unblocks_a_blocked_reader() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_server, _) = listener.accept().unwrap();
        let closer = Closer {
            socket: Arc::new(CloseHandle::Tcp(client.try_clone().unwrap())),
        };
        let mut reader = ConnReader {
            pending: Vec::new(),
            pending_pos: 0,
            inner: ReadHalf::Tcp(client),
        };
        reader
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 8];
            reader.read(&mut buf)
        });
        std::thread::sleep(Duration::from_millis(50));
        let started = std::time::Instant::now();
        closer.shutdown();
        closer.clone().shutdown();
        let r = t.join().unwrap();
        assert!(matches!(r, Ok(0) | Err(_)), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn refused_connection_is_an_io_error_with_the_node() {
        // Bind and drop a listener to find a port nobody listens on.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let config = Config::builder()
            .addr(Addr::tcp("127.0.0.1", port))
            .build()
            .unwrap();
        let e = connect(&config).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Io, "{e}");
        assert_eq!(e.node(), Some(format!("127.0.0.1:{port}").as_str()));
    }

    #[test]
    fn silent_server_times_out_within_connect_timeout() {
        // Accepts the connection but never answers HELLO.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let config = Config::builder()
            .addr(Addr::tcp("127.0.0.1", port))
            .connect_timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let e = connect(&config).unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::Timeout, "{e}");
        assert!(started.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}
