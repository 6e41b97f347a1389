//! `MONITOR` on its own connection: every command the server runs, parsed, on a channel.
//!
//! Owns: [`Monitor`] and [`MonitorEntry`]. The connection is a streaming one (its own socket
//! and reader thread, re-established with back-off; `MONITOR` is sent again after a
//! reconnection) and the entries go through a bounded channel: when the consumer falls behind,
//! the oldest entries are dropped and counted — a monitor must never slow a busy server down.
//!
//! Must not: run on a connection that carries anything else.

use bytes::Bytes;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use parking_lot::Mutex;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::client::Redis;
use crate::cmd::Cmd;
use crate::connection::ConnWriter;
use crate::error::{Error, ErrorKind, Result};
use crate::stream::{StreamHandler, Streaming};
use crate::value::Value;

/// How many entries wait for the consumer before the oldest are dropped.
const MONITOR_CAPACITY: usize = 10_000;

/// One command the server ran, as `MONITOR` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonitorEntry {
    /// When the server ran it.
    pub time: SystemTime,
    /// The database it ran in.
    pub db: i64,
    /// Who sent it: `ip:port`, `unix:/path`, or `lua` for a command a script ran.
    pub client: String,
    /// The command and its arguments.
    pub args: Vec<Bytes>,
}

impl MonitorEntry {
    /// The command's name, upper-cased (`"SET"`).
    pub fn command(&self) -> String {
        self.args
            .first()
            .map(|c| String::from_utf8_lossy(c).to_ascii_uppercase())
            .unwrap_or_default()
    }

    /// Parses one line of `MONITOR` output:
    /// `1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`.
    ///
    /// # Errors
    /// [`ErrorKind::Protocol`] for a line that is not one.
    pub fn parse(line: &[u8]) -> Result<MonitorEntry> {
        let bad = || Error::protocol("a malformed MONITOR line");
        let text = std::str::from_utf8(line).map_err(|_| bad())?;
        let (time, rest) = text.split_once(' ').ok_or_else(bad)?;
        let (secs, micros) = time.split_once('.').unwrap_or((time, "0"));
        let time = UNIX_EPOCH
            + Duration::from_secs(secs.parse().map_err(|_| bad())?)
            + Duration::from_micros(micros.parse().map_err(|_| bad())?);
        let rest = rest.strip_prefix('[').ok_or_else(bad)?;
        let (who, args) = rest.split_once("] ").ok_or_else(bad)?;
        let (db, client) = who.split_once(' ').ok_or_else(bad)?;
        Ok(MonitorEntry {
            time,
            db: db.parse().map_err(|_| bad())?,
            client: client.to_string(),
            args: quoted_words(args.as_bytes()).ok_or_else(bad)?,
        })
    }
}

/// Splits `"a" "b\"c" "\x00"` into its words, unescaping them as the server escaped them.
fn quoted_words(mut s: &[u8]) -> Option<Vec<Bytes>> {
    let mut words = Vec::new();
    loop {
        while let Some((b' ', rest)) = s.split_first() {
            s = rest;
        }
        let Some((b'"', rest)) = s.split_first() else {
            return s.is_empty().then_some(words);
        };
        s = rest;
        let mut word = Vec::new();
        loop {
            let (&c, rest) = s.split_first()?;
            s = rest;
            match c {
                b'"' => break,
                b'\\' => {
                    let (&e, rest) = s.split_first()?;
                    s = rest;
                    match e {
                        b'n' => word.push(b'\n'),
                        b'r' => word.push(b'\r'),
                        b't' => word.push(b'\t'),
                        b'a' => word.push(7),
                        b'b' => word.push(8),
                        b'x' => {
                            let hex = s.get(..2)?;
                            word.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                            s = s.get(2..)?;
                        }
                        other => word.push(other),
                    }
                }
                other => word.push(other),
            }
        }
        words.push(Bytes::from(word));
    }
}

/// A `MONITOR` stream, from [`Redis::monitor`]: every command the server runs.
///
/// ```no_run
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let monitor = r.monitor()?;
/// while let Ok(entry) = monitor.recv() {
///     println!("{:?} db{} {} {}", entry.time, entry.db, entry.client, entry.command());
/// #   break;
/// }
/// # Ok::<(), coredis::Error>(())
/// ```
pub struct Monitor {
    rx: Receiver<MonitorEntry>,
    inner: Arc<MonitorInner>,
    stream: Streaming,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("queued", &self.rx.len())
            .field("dropped", &self.dropped())
            .finish()
    }
}

struct MonitorInner {
    /// The server's answer to `MONITOR` (each connection's), for [`Redis::monitor`] to wait on.
    started: (Sender<Result<()>>, Receiver<Result<()>>),
    tx: Mutex<Option<Sender<MonitorEntry>>>,
    rx_for_drops: Receiver<MonitorEntry>,
    dropped: AtomicU64,
}

impl Redis {
    /// Starts `MONITOR` on a connection of its own and returns once the server confirmed:
    /// every command the server runs from then on arrives as a [`MonitorEntry`]. Monitoring
    /// costs the server; close it when done.
    ///
    /// # Errors
    /// Those of connecting (see [`Redis::new`]); the server's refusal
    /// ([`ErrorKind::Permission`](crate::ErrorKind::Permission) for an ACL user without
    /// `+monitor`); [`ErrorKind::Timeout`] when it did not answer within the
    /// response timeout.
    pub fn monitor(&self) -> Result<Monitor> {
        let (tx, rx) = crossbeam_channel::bounded(MONITOR_CAPACITY);
        let inner = Arc::new(MonitorInner {
            started: crossbeam_channel::bounded(1),
            tx: Mutex::new(Some(tx)),
            rx_for_drops: rx.clone(),
            dropped: AtomicU64::new(0),
        });
        let handler: Arc<dyn StreamHandler> = Arc::new(MonitorReader {
            inner: inner.clone(),
        });
        let node = self.node();
        let stream = Streaming::start(
            self.config().clone(),
            node.connector(),
            handler,
            &format!("coredis-monitor {}", node.addr()),
        )?;
        let answer = inner
            .started
            .1
            .recv_timeout(self.config().response_timeout())
            .unwrap_or_else(|_| {
                Err(Error::new(
                    ErrorKind::Timeout,
                    "the server did not confirm within the response timeout",
                )
                .with_command("MONITOR"))
            });
        let monitor = Monitor { rx, inner, stream };
        answer.map(|()| monitor)
    }
}

impl Monitor {
    /// The next entry, waiting for it.
    ///
    /// # Errors
    /// [`ErrorKind::Closed`] once the monitor is closed and every entry was received.
    pub fn recv(&self) -> Result<MonitorEntry> {
        self.rx
            .recv()
            .map_err(|_| Error::new(ErrorKind::Closed, "the monitor was closed"))
    }

    /// The next entry, waiting at most `timeout`; `Ok(None)` when none came.
    ///
    /// # Errors
    /// As [`Monitor::recv`].
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<MonitorEntry>> {
        match self.rx.recv_timeout(timeout) {
            Ok(e) => Ok(Some(e)),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => {
                Err(Error::new(ErrorKind::Closed, "the monitor was closed"))
            }
        }
    }

    /// The next entry if one is waiting.
    pub fn try_recv(&self) -> Option<MonitorEntry> {
        self.rx.try_recv().ok()
    }

    /// The channel the entries come on, to `select!` over it.
    pub fn receiver(&self) -> &Receiver<MonitorEntry> {
        &self.rx
    }

    /// How many entries were dropped because the consumer fell behind.
    pub fn dropped(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Stops monitoring and closes the connection. Dropping the monitor does the same.
    pub fn close(&self) {
        self.stream.close();
    }
}

struct MonitorReader {
    inner: Arc<MonitorInner>,
}

impl StreamHandler for MonitorReader {
    fn on_connect(&self, writer: &mut ConnWriter, _reconnected: bool) -> Result<()> {
        let mut out = Vec::new();
        Cmd::<Value>::new("MONITOR").request().encode_into(&mut out);
        writer
            .write_all_by(&out, Instant::now() + Duration::from_secs(30))
            .map_err(|e| Error::io("sending MONITOR failed", e))
    }

    fn on_value(&self, value: Value) -> Result<()> {
        let line = match value {
            Value::SimpleString(s) | Value::Bulk(s) => s,
            Value::Error(e) => {
                let e = Error::server(e).with_command("MONITOR");
                let _ = self.inner.started.0.try_send(Err(e.clone()));
                return Err(e);
            }
            other => {
                return Err(Error::protocol(format!(
                    "MONITOR sent {}",
                    other.describe()
                )))
            }
        };
        if &line[..] == b"OK" {
            let _ = self.inner.started.0.try_send(Ok(()));
            return Ok(());
        }
        let entry = MonitorEntry::parse(&line)?;
        let Some(tx) = self.inner.tx.lock().clone() else {
            return Ok(());
        };
        let mut entry = entry;
        loop {
            match tx.try_send(entry) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => {
                    if self.inner.rx_for_drops.try_recv().is_ok() {
                        self.inner.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                    entry = back;
                }
                Err(TrySendError::Disconnected(_)) => return Ok(()),
            }
        }
    }

    fn on_disconnect(&self, _error: &Error) {}

    fn on_close(&self) {
        self.inner.tx.lock().take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_lines_parse() {
        let e = MonitorEntry::parse(
            br#"1339518083.107412 [3 127.0.0.1:60866] "SET" "k" "a \"b\" \\ \x00\n""#,
        )
        .unwrap();
        assert_eq!(e.db, 3);
        assert_eq!(e.client, "127.0.0.1:60866");
        assert_eq!(e.command(), "SET");
        assert_eq!(e.args[2], Bytes::from_static(b"a \"b\" \\ \x00\n"));
        assert_eq!(
            e.time,
            UNIX_EPOCH + Duration::from_secs(1339518083) + Duration::from_micros(107412)
        );
        let lua = MonitorEntry::parse(br#"1.5 [0 lua] "get" "k""#).unwrap();
        assert_eq!(lua.client, "lua");
        for bad in [
            &b""[..],
            b"x [0 a] \"b\"",
            b"1.0 0 a \"b\"",
            b"1.0 [0 a] \"unterminated",
        ] {
            assert!(
                MonitorEntry::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
