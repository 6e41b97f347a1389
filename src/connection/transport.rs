//! TCP connecting and the connect deadline.
//!
//! Owns: resolving a host, trying each of its addresses within the connect deadline, and the
//! socket options (`TCP_NODELAY`, keepalive).
//!
//! Must not: speak TLS or RESP.

use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, TcpKeepalive, Type};

use crate::config::{MAX_TCP_KEEPALIVE, MIN_TCP_KEEPALIVE_INTERVAL, TCP_KEEPALIVE_RETRIES};
use crate::error::{Error, ErrorKind, Result};

/// The instant by which connecting and both handshakes must be done.
#[derive(Debug, Clone, Copy)]
pub(super) struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Deadline {
    /// A deadline `timeout` from now.
    pub(super) fn after(timeout: Duration) -> Deadline {
        let now = Instant::now();
        Deadline {
            at: now.checked_add(timeout).unwrap_or(now),
            timeout,
        }
    }

    /// The instant itself (for the TLS handshake).
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(super) fn at(&self) -> Instant {
        self.at
    }

    /// The time left, or a timeout error naming `doing` when none is left.
    pub(super) fn remaining(&self, doing: &str) -> Result<Duration> {
        let left = self.at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.elapsed(doing));
        }
        Ok(left)
    }

    /// The timeout error: the connect timeout elapsed while `doing`.
    pub(super) fn elapsed(&self, doing: &str) -> Error {
        Error::new(
            ErrorKind::Timeout,
            format!(
                "connect timeout of {:?} elapsed while {doing}",
                self.timeout
            ),
        )
    }
}

/// Resolves `host` and connects to the first of its addresses that accepts, with
/// `TCP_NODELAY` on and keepalive set to `keepalive` idle time (when `Some`).
pub(super) fn connect_tcp(
    host: &str,
    port: u16,
    deadline: &Deadline,
    keepalive: Option<Duration>,
) -> Result<TcpStream> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::io(format!("could not resolve host '{host}'"), e))?
        .collect();
    if addrs.is_empty() {
        return Err(Error::new(
            ErrorKind::Io,
            format!("host '{host}' resolved to no addresses"),
        ));
    }
    let mut last_error = None;
    for sa in addrs {
        let left = match deadline.remaining(&format!("connecting to {sa}")) {
            Ok(left) => left,
            Err(timeout) => return Err(last_error.unwrap_or(timeout)),
        };
        match connect_one(sa, left, keepalive) {
            Ok(stream) => return Ok(stream),
            Err(e) => {
                log::debug!("connecting to {sa} ({host}) failed: {e}");
                last_error = Some(Error::io(format!("could not connect to {sa}"), e));
            }
        }
    }
    Err(last_error.unwrap_or_else(|| deadline.elapsed("connecting")))
}

fn connect_one(
    sa: SocketAddr,
    timeout: Duration,
    keepalive: Option<Duration>,
) -> io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(sa), Type::STREAM, Some(Protocol::TCP))?;
    socket.connect_timeout(&sa.into(), timeout)?;
    socket.set_nodelay(true)?;
    if let Some(idle) = keepalive {
        socket.set_keepalive(true)?;
        socket.set_tcp_keepalive(&keepalive_params(idle))?;
    }
    Ok(socket.into())
}

/// Keepalive: first probe after `idle`, then every `idle / 3` (at least
/// [`MIN_TCP_KEEPALIVE_INTERVAL`]), [`TCP_KEEPALIVE_RETRIES`] probes; capped at
/// [`MAX_TCP_KEEPALIVE`].
fn keepalive_params(idle: Duration) -> TcpKeepalive {
    let idle = idle.min(MAX_TCP_KEEPALIVE);
    let params = TcpKeepalive::new().with_time(idle);
    #[cfg(any(
        target_os = "android",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "linux",
        target_os = "macos",
        target_os = "windows",
    ))]
    let params = params.with_interval((idle / 3).max(MIN_TCP_KEEPALIVE_INTERVAL));
    #[cfg(any(
        target_os = "android",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "linux",
        target_os = "macos",
    ))]
    let params = params.with_retries(TCP_KEEPALIVE_RETRIES);
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_runs_out() {
        let d = Deadline::after(Duration::from_millis(20));
        assert!(d.remaining("x").is_ok());
        std::thread::sleep(Duration::from_millis(30));
        let e = d.remaining("reading the HELLO reply").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(e.to_string().contains("HELLO"), "{e}");
    }

    #[test]
    fn connects_with_options() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let d = Deadline::after(Duration::from_secs(5));
        let s = connect_tcp("127.0.0.1", port, &d, Some(Duration::from_secs(30))).unwrap();
        assert!(s.nodelay().unwrap());
        let s = connect_tcp("localhost", port, &d, None);
        // `localhost` may resolve to ::1 first; some address must accept or fail cleanly.
        if let Err(e) = s {
            assert_eq!(e.kind(), ErrorKind::Io, "{e}");
        }
    }
}
