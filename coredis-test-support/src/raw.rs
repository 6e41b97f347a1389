//! A tiny RESP client of its own, std only: [`Conn`] sends commands over a plain
//! [`TcpStream`] and reads RESP2/RESP3 replies into [`Reply`].
//!
//! It exists so tests can check server state (and talk to the [`crate::fake`] peer)
//! independently of the client under test: nothing here uses coredis.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A reply, simplified for assertions: every scalar is text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Simple strings, bulk strings, verbatim strings (without their format prefix),
    /// integers, doubles, big numbers, booleans (`"true"`/`"false"`).
    Text(String),
    /// `-ERR ...` and blob errors, without the leading `-`.
    Error(String),
    /// RESP2 nil bulk string or array, RESP3 null.
    Nil,
    /// Arrays, sets and pushes; maps as their keys and values in turn.
    Many(Vec<Reply>),
}

impl Reply {
    /// Renders the reply as text: scalars as their text, nil as `"(nil)"`, errors as
    /// `"(error) <message>"`, aggregates as their elements rendered recursively and joined
    /// with `'\n'` (an empty aggregate is `""`).
    pub fn render(&self) -> String {
        match self {
            Reply::Text(text) => text.clone(),
            Reply::Error(message) => format!("(error) {message}"),
            Reply::Nil => "(nil)".to_owned(),
            Reply::Many(items) => items
                .iter()
                .map(Reply::render)
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// Encodes a command as a RESP array of bulk strings.
pub fn encode<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        request.extend_from_slice(arg);
        request.extend_from_slice(b"\r\n");
    }
    request
}

/// One raw connection: write commands, read replies, nothing else (no handshake, no
/// pipelining bookkeeping, no reconnection).
#[derive(Debug)]
pub struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    /// Connects to `addr` with `timeout` as the connect, read and write timeout.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let writer = stream.try_clone()?;
        Ok(Conn {
            reader: BufReader::new(stream),
            writer,
        })
    }

    /// Sends one command and reads its reply.
    pub fn call<A: AsRef<[u8]>>(&mut self, args: &[A]) -> io::Result<Reply> {
        self.send(&encode(args))?;
        self.read_reply()
    }

    /// Writes raw bytes (a command, several, half of one, or garbage).
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// Reads the next reply.
    pub fn read_reply(&mut self) -> io::Result<Reply> {
        read_reply(&mut self.reader)
    }

    /// Reads exactly `n` raw bytes (for checking what a peer sent byte for byte).
    pub fn read_exact_bytes(&mut self, n: usize) -> io::Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.reader.read_exact(&mut buf)?;
        Ok(buf)
    }

    /// Reads whatever arrives during `within` (or until the peer closes, or `limit` bytes
    /// came). Returns the bytes and whether the peer closed (end of stream or reset). The
    /// read timeout given to [`Conn::connect`] is restored afterwards.
    pub fn read_for(&mut self, within: Duration, limit: usize) -> (Vec<u8>, bool) {
        let until = Instant::now() + within;
        let restore = self.writer.read_timeout().ok().flatten();
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        let mut closed = false;
        while out.len() < limit {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || self.writer.set_read_timeout(Some(left)).is_err() {
                break;
            }
            let want = buf.len().min(limit - out.len());
            match self.reader.read(&mut buf[..want]) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    closed = matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                    );
                    break;
                }
            }
        }
        let _ = self.writer.set_read_timeout(restore);
        (out, closed)
    }

    /// The underlying stream (to shut it down, change timeouts, ...).
    pub fn stream(&self) -> &TcpStream {
        &self.writer
    }
}

fn bad_data(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

fn read_line(r: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    if !line.ends_with(b"\r\n") {
        return Err(bad_data(format!(
            "connection closed or malformed line: {:?}",
            String::from_utf8_lossy(&line)
        )));
    }
    line.truncate(line.len() - 2);
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn read_blob(r: &mut impl BufRead, len: &str) -> io::Result<Option<String>> {
    let len: i64 = len
        .parse()
        .map_err(|_| bad_data(format!("bad length {len:?}")))?;
    if len < 0 {
        return Ok(None);
    }
    let mut buf = vec![0u8; len as usize + 2];
    r.read_exact(&mut buf)?;
    buf.truncate(len as usize);
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

fn read_many(r: &mut impl BufRead, count: &str, per_entry: usize) -> io::Result<Reply> {
    let count: i64 = count
        .parse()
        .map_err(|_| bad_data(format!("bad count {count:?}")))?;
    if count < 0 {
        return Ok(Reply::Nil);
    }
    let items = (0..count as usize * per_entry)
        .map(|_| read_reply(r))
        .collect::<io::Result<Vec<_>>>()?;
    Ok(Reply::Many(items))
}

/// Reads one reply (RESP2 or RESP3; attributes are skipped).
pub fn read_reply(r: &mut impl BufRead) -> io::Result<Reply> {
    let line = read_line(r)?;
    let Some(kind) = line.chars().next() else {
        return Err(bad_data("empty reply line".into()));
    };
    let rest = &line[kind.len_utf8()..];
    Ok(match kind {
        '+' | ':' | ',' | '(' => Reply::Text(rest.to_owned()),
        '-' => Reply::Error(rest.to_owned()),
        '$' => read_blob(r, rest)?.map_or(Reply::Nil, Reply::Text),
        '!' => Reply::Error(read_blob(r, rest)?.unwrap_or_default()),
        '=' => {
            let text = read_blob(r, rest)?.unwrap_or_default();
            // Verbatim string: "txt:" / "mkd:" format prefix.
            Reply::Text(text.get(4..).unwrap_or_default().to_owned())
        }
        '_' => Reply::Nil,
        '#' => Reply::Text(if rest == "t" { "true" } else { "false" }.to_owned()),
        '*' | '~' | '>' => read_many(r, rest, 1)?,
        '%' => read_many(r, rest, 2)?,
        '|' => {
            // Attributes precede the real reply: skip them.
            read_many(r, rest, 2)?;
            read_reply(r)?
        }
        other => return Err(bad_data(format!("unknown RESP type {other:?} in {line:?}"))),
    })
}
