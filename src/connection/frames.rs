//! Reading whole reply frames off a connection's reading half.
//!
//! Owns: [`FrameReader`], the read buffer (grown for big replies, shrunk back after them,
//! compacted in place; a bulk string of 256 KiB or more gets a buffer of its own, sized from
//! its header, that becomes the frame without a copy), the incremental frame scanner, the
//! socket's read timeout, and the classification of read outcomes (bytes, a timeout tick, the
//! peer's close, a failure). Used by the shared pipe's leader and by dedicated connections
//! alike.
//!
//! Must not: decode frames into values or know which request a frame answers.

use bytes::Bytes;
use smallvec::SmallVec;
use std::io::{self, Read};
use std::time::Duration;

use super::{ConnReader, Readiness};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::{FrameScanner, Limits};

/// Initial size of the read buffer.
const READ_BUF: usize = 16 * 1024;

/// A read buffer grown past this by a big reply is shrunk back once it is empty.
const MAX_IDLE_READ_BUF: usize = 1024 * 1024;

/// A frame at least this long is read into a buffer of its own and handed on without a copy:
/// room for the whole of a bulk string this big is made as soon as its header is in (one
/// allocation, big reads), and the complete frame takes the buffer with it.
const BIG_FRAME: usize = 256 * 1024;

/// The most one read takes of a big bulk string's body. Reading a 4 MiB reply in 16 KiB steps
/// instead of as much as the socket holds cut the server's CPU per reply by about a fifth on
/// loopback (0.84–1.0 ms against 1.03–1.32 ms; the client's own CPU stayed the same), and the
/// 4 MiB `GET` bench went from 1.07–1.26× to 1.31–1.58× redis-rs (`benches/README.md`).
const BIG_BODY_READ: usize = 16 * 1024;

/// Frames up to this long are copied out of the read buffer in groups sharing one allocation
/// ([`FrameReader::take_frames`]).
const SHARED_FRAME: usize = 512;

/// The most bytes one group of small frames shares.
const FRAME_GROUP: usize = 4 * 1024;

/// Room for a big bulk string is made at once up to this length; a longer one (announced by
/// its header, so possibly by a hostile peer) grows the buffer step by step as its bytes
/// arrive, as other replies do.
const MAX_ROOM_AT_ONCE: usize = 64 * 1024 * 1024;

/// The shortest read timeout (a zero timeout is not allowed on sockets).
const MIN_READ_TICK: Duration = Duration::from_millis(1);

/// A connection's reading half with its buffer and frame scanner.
pub(crate) struct FrameReader {
    reader: ConnReader,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    scanner: FrameScanner,
    /// The read timeout currently set on the socket (`None`: none set since the handshake).
    tick: Option<Duration>,
}

impl FrameReader {
    /// Wraps the reading half of a fresh connection; frames are checked against `limits`.
    pub(crate) fn new(reader: ConnReader, limits: Limits) -> FrameReader {
        FrameReader {
            reader,
            buf: vec![0; READ_BUF],
            start: 0,
            end: 0,
            scanner: FrameScanner::new(limits),
            tick: None,
        }
    }

    /// Reads once, waiting `tick` at most (also while a TLS record trickles in). `Ok(true)`
    /// when bytes came in, `Ok(false)` when the tick passed first; the peer's close and read
    /// failures are errors.
    pub(crate) fn fill(&mut self, tick: Duration) -> Result<bool> {
        let tick = tick.max(MIN_READ_TICK);
        self.reader.limit_read_time(tick);
        if self.tick != Some(tick) {
            // One system call, only when the value changes: on the hot path it stays put.
            self.reader
                .set_read_timeout(Some(tick))
                .map_err(|e| Error::io("setting the socket's read timeout failed", e))?;
            self.tick = Some(tick);
        }
        self.make_room();
        // While a big bulk string arrives, read it in `BIG_BODY_READ` steps.
        let stop = match self.scanner.pending_big_body(BIG_FRAME) {
            Some(_) => self.end.saturating_add(BIG_BODY_READ).min(self.buf.len()),
            None => self.buf.len(),
        };
        let dst = self.buf.get_mut(self.end..stop).unwrap_or_default();
        match self.reader.read(dst) {
            Ok(0) => Err(Error::new(
                ErrorKind::Io,
                "the server closed the connection",
            )),
            Ok(n) => {
                self.end += n;
                Ok(true)
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(Error::io("reading from the connection failed", e)),
        }
    }

    /// Compacts or grows the buffer so a read has room.
    fn make_room(&mut self) {
        if let Some(need) = self
            .scanner
            .pending_big_body(BIG_FRAME)
            .filter(|n| *n <= MAX_ROOM_AT_ONCE)
        {
            if self.buf.len().saturating_sub(self.start) < need {
                // A big bulk string is arriving: a buffer of exactly the frame's length so far,
                // with the partial frame moved to its start.
                let partial = self.buf.get(self.start..self.end).unwrap_or_default();
                self.end = partial.len();
                self.buf = buffer_starting_with(need, partial);
                self.start = 0;
                return;
            }
        }
        if self.end < self.buf.len() {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        } else {
            let n = self.buf.len().saturating_mul(2).max(READ_BUF);
            self.buf.resize(n, 0);
        }
    }

    /// Cuts the next complete frame out of the buffer (copied once), if one is there.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Bytes>> {
        let avail = self.buf.get(self.start..self.end).unwrap_or_default();
        let Some(n) = self.scanner.scan(avail)? else {
            return Ok(None);
        };
        if n >= BIG_FRAME && self.start == 0 {
            return Ok(Some(self.take_buffer(n)));
        }
        let frame = Bytes::copy_from_slice(avail.get(..n).unwrap_or_default());
        self.consumed(n);
        Ok(Some(frame))
    }

    /// The first `n` bytes of the buffer are a big frame: it becomes the frame's memory (no
    /// copy), and the bytes after it move to a new buffer of the usual size.
    fn take_buffer(&mut self, n: usize) -> Bytes {
        let rest = self.buf.get(n..self.end).unwrap_or_default();
        self.end = rest.len();
        let next = buffer_starting_with(READ_BUF.max(rest.len()), rest);
        self.start = 0;
        let mut frame = std::mem::replace(&mut self.buf, next);
        frame.truncate(n);
        Bytes::from(frame)
    }

    /// Cuts every complete frame in the buffer out, appended to `out`. Small frames are
    /// copied out in groups: consecutive frames of at most `SHARED_FRAME` bytes share one
    /// allocation of at most `FRAME_GROUP` bytes, each frame a slice of it. For streams of
    /// many small frames (replies to deferred handles, pub/sub messages) one allocation per
    /// frame costs more than the frame, and the reader allocating while the callers free
    /// contends on the allocator. A longer frame gets an allocation of its own (a big one its
    /// buffer, as in [`FrameReader::next_frame`]), so a small value kept by a caller holds
    /// at most `FRAME_GROUP` bytes alive. A frame the scanner refuses is an error once the
    /// frames before it were taken.
    pub(crate) fn take_frames<E: Extend<Bytes>>(&mut self, out: &mut E) -> Result<()> {
        let mut ends: SmallVec<[usize; 64]> = SmallVec::new();
        loop {
            let avail = self.buf.get(self.start..self.end).unwrap_or_default();
            ends.clear();
            let mut pos = 0;
            let mut alone = None;
            let mut full = false;
            loop {
                match self.scanner.scan(avail.get(pos..).unwrap_or_default()) {
                    Ok(Some(n)) if n > SHARED_FRAME => {
                        alone = Some(n);
                        break;
                    }
                    Ok(Some(n)) => {
                        pos += n;
                        ends.push(pos);
                        if pos + SHARED_FRAME > FRAME_GROUP {
                            full = true;
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) if ends.is_empty() && alone.is_none() => return Err(e),
                    Err(_) => break,
                }
            }
            if pos > 0 {
                let group = Bytes::copy_from_slice(avail.get(..pos).unwrap_or_default());
                let mut from = 0;
                out.extend(ends.iter().map(|&end| {
                    let frame = group.slice(from..end);
                    from = end;
                    frame
                }));
                self.consumed(pos);
            }
            match alone {
                // The group before it is out: the long frame now starts the buffer.
                Some(n) => {
                    if n >= BIG_FRAME && self.start == 0 {
                        out.extend(Some(self.take_buffer(n)));
                    } else {
                        let avail = self.buf.get(self.start..self.end).unwrap_or_default();
                        out.extend(Some(Bytes::copy_from_slice(
                            avail.get(..n).unwrap_or_default(),
                        )));
                        self.consumed(n);
                    }
                }
                // The group is full: more frames may follow.
                None if full => {}
                None => return Ok(()),
            }
        }
    }

    /// `n` bytes of the buffer were taken as frames.
    fn consumed(&mut self, n: usize) {
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            if self.buf.len() > MAX_IDLE_READ_BUF {
                // A big reply grew the buffer: give the memory back.
                self.buf = vec![0; READ_BUF];
            }
        }
    }

    /// True when no partial frame is buffered.
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// True when the partial frame in the buffer is a RESP3 push (`>`) or its attributes.
    pub(crate) fn partial_is_push(&self) -> bool {
        matches!(self.buf.get(self.start), Some(b'>' | b'|'))
    }

    /// A non-blocking look at an idle connection, see [`ConnReader::poll_idle`].
    pub(crate) fn poll_idle(&self) -> Readiness {
        if !self.is_empty() {
            return Readiness::Readable;
        }
        self.reader.poll_idle()
    }
}

/// A zeroed buffer of `len` bytes (at least `bytes.len()`) that starts with `bytes`.
fn buffer_starting_with(len: usize, bytes: &[u8]) -> Vec<u8> {
    let mut buf = vec![0; len.max(bytes.len())];
    if let Some(dst) = buf.get_mut(..bytes.len()) {
        dst.copy_from_slice(bytes);
    }
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{ConnReader, ReadHalf};

    /// A frame reader whose connection delivers `bytes` (served from the handshake
    /// leftovers; the loopback peer, returned to keep it open, sends nothing).
    fn reader_of(bytes: Vec<u8>) -> (FrameReader, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        let reader = ConnReader {
            pending: bytes,
            pending_pos: 0,
            inner: ReadHalf::Tcp(client),
        };
        (
            FrameReader::new(reader, crate::resp::Limits::default()),
            peer,
        )
    }

    /// Reads until every byte `r` is to deliver is in its buffer (they fit).
    fn fill_all(r: &mut FrameReader) {
        while r.reader.pending_pos < r.reader.pending.len() {
            assert!(r.fill(Duration::from_millis(50)).unwrap());
        }
    }

    fn bulk(len: usize, fill: u8) -> Vec<u8> {
        let mut f = format!("${len}\r\n").into_bytes();
        f.extend(std::iter::repeat(fill).take(len));
        f.extend_from_slice(b"\r\n");
        f
    }

    #[test]
    fn small_frames_share_bounded_groups_and_long_ones_stand_alone() {
        let mut frames: Vec<Vec<u8>> = Vec::new();
        for i in 0..200 {
            frames.push(match i % 50 {
                // A frame just over the shared size, and one well over it.
                7 => bulk(SHARED_FRAME, b'm'),
                31 => bulk(1500, b'l'),
                _ => bulk(i % 40, b's'),
            });
        }
        let wire: Vec<u8> = frames.concat();
        assert!(wire.len() < READ_BUF, "fits one read");
        let (mut r, _peer) = reader_of(wire);
        fill_all(&mut r);
        let mut out: Vec<Bytes> = Vec::new();
        r.take_frames(&mut out).unwrap();
        assert_eq!(out.len(), frames.len());
        for (got, sent) in out.iter().zip(&frames) {
            assert_eq!(&got[..], &sent[..]);
        }
        // Runs of frames that are adjacent in memory are the groups.
        let mut group = out[0].len();
        let mut groups = 1;
        for pair in out.windows(2) {
            let adjacent = pair[0].as_ptr() as usize + pair[0].len() == pair[1].as_ptr() as usize;
            if adjacent {
                assert!(pair[0].len() <= SHARED_FRAME && pair[1].len() <= SHARED_FRAME);
                group += pair[1].len();
            } else {
                group = pair[1].len();
                groups += 1;
            }
            assert!(
                group <= FRAME_GROUP || pair[1].len() > SHARED_FRAME,
                "a group of {group} bytes"
            );
        }
        assert!(
            groups < frames.len() / 5,
            "{groups} allocations for {} frames",
            frames.len()
        );
        assert!(r.is_empty());
    }

    #[test]
    fn a_bad_frame_fails_after_the_good_ones_before_it() {
        let mut wire = Vec::new();
        for _ in 0..10 {
            wire.extend(bulk(5, b'x'));
        }
        wire.extend_from_slice(b"?nonsense\r\n");
        let (mut r, _peer) = reader_of(wire);
        fill_all(&mut r);
        let mut out: Vec<Bytes> = Vec::new();
        r.take_frames(&mut out).unwrap();
        assert_eq!(out.len(), 10);
        assert!(r.take_frames(&mut out).is_err());
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn a_big_frame_keeps_its_own_buffer_between_small_ones() {
        let big = bulk(BIG_FRAME + 10, b'b');
        let mut wire = bulk(3, b'a');
        wire.extend_from_slice(&big);
        wire.extend(bulk(4, b'c'));
        let total = wire.len();
        let (mut r, _peer) = reader_of(wire);
        let mut out: Vec<Bytes> = Vec::new();
        while out.len() < 3 {
            r.take_frames(&mut out).unwrap();
            if out.len() < 3 {
                assert!(r.fill(Duration::from_millis(50)).unwrap());
            }
        }
        assert_eq!(out.iter().map(Bytes::len).sum::<usize>(), total);
        assert_eq!(&out[1][..], &big[..]);
        assert_eq!(&out[2][..], &bulk(4, b'c')[..]);
    }
}
