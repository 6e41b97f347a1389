//! A scripted fake RESP peer for hermetic tests: no server process, loopback only, std only.
//!
//! [`FakeServer::start`] binds `127.0.0.1:0` and accepts connections on a thread; each
//! accepted connection gets its own thread that runs a [`Script`] (the same one for every
//! connection, or one per connection with [`FakeServer::start_with`]). The script is a list
//! of [`Step`]s: wait for a request and answer it ([`Step::Expect`], [`Step::Reply`]), take
//! one without answering ([`Step::Receive`]), answer everything from then on
//! ([`Step::Echo`]), send on its own at any time ([`Step::Send`], [`Step::Trickle`] one byte
//! at a time, [`Step::Repeat`] forever), pause ([`Step::Sleep`]) or hang up
//! ([`Step::Close`]). When the steps run out, the connection stays open and requests are
//! read (and recorded) but never answered, until the client closes.
//!
//! ```no_run
//! use coredis_test_support::fake::{bulk, FakeServer, Script};
//! use std::time::Duration;
//!
//! // GET k is answered with a 100,000-byte bulk string that arrives one byte every 30 ms.
//! let fake = FakeServer::start(
//!     Script::new()
//!         .expect(&["GET", "k"], b"$100000\r\n")
//!         .trickle(vec![b'x'; 100_002], Duration::from_millis(30)),
//! );
//! // ... connect a client to fake.url(), then look at what it sent:
//! let sent = fake.commands();
//! # let _ = (sent, bulk("x"));
//! ```
//!
//! # The handshake
//!
//! With [`Handshake::Auto`] (the default) the fake answers handshake commands by itself,
//! whenever a step waits for a request (they never consume a step): `HELLO 3 …` with a RESP3
//! map (`server`, `version`, `proto`, `id`, `mode`, `role`, `modules`), `HELLO 2 …` with the
//! same fields as a RESP2 flat array, `AUTH`, `CLIENT SETNAME`, `CLIENT SETINFO` and `SELECT`
//! with `+OK`. [`Handshake::RefuseHello`] answers `HELLO` like a server older than 6.0 does
//! (`-ERR unknown command 'HELLO', with args beginning with: …`, quoting the arguments, the
//! password among them) and the rest as above. [`Handshake::Manual`] answers nothing by
//! itself: the script gets every command.
//!
//! # What the client sent
//!
//! Every command is recorded, handshake included: [`FakeServer::commands`],
//! [`FakeServer::wait_for`], [`FakeServer::connections`]. A request that does not match an
//! [`Step::Expect`] is answered with `-ERR fake: expected …, got …`, recorded in
//! [`FakeServer::mismatches`], and the script goes on with its next step.
//!
//! # Threads
//!
//! Every thread polls with short timeouts; dropping the [`FakeServer`] closes every
//! connection and joins every thread, even in the middle of a trickle, an endless stream or
//! a long sleep. A connection's thread also ends when its client closes.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often blocked threads look at the stop flag (socket read and write timeouts, sleep
/// slices).
const POLL: Duration = Duration::from_millis(10);
/// How long the acceptor sleeps when no connection is waiting.
const ACCEPT_POLL: Duration = Duration::from_millis(2);
/// The most a connection reads at once.
const READ_BUF: usize = 64 * 1024;
/// Requests larger than this are treated as garbage (the connection is closed).
const MAX_BULK: usize = 64 << 20;
/// Requests with more arguments than this are treated as garbage.
const MAX_ARGS: usize = 1 << 20;
/// The server version the fake reports in its `HELLO` reply unless told otherwise.
pub const DEFAULT_VERSION: &str = "7.0.15";

/// How the fake deals with handshake commands (`HELLO`, `AUTH`, `CLIENT SETNAME`,
/// `CLIENT SETINFO`, `SELECT`). See the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Handshake {
    /// Answer them by itself, like a Redis 6.0+ server that accepts everything.
    #[default]
    Auto,
    /// Answer `HELLO` with "unknown command" (a server older than 6.0); the rest as `Auto`.
    RefuseHello,
    /// Answer nothing by itself: every command goes to the script.
    Manual,
}

/// Which requests an [`Step::Expect`] accepts.
#[derive(Clone, PartialEq, Eq)]
pub enum Matcher {
    /// Any request.
    Any,
    /// Exactly these words. The first word (the command name) is compared ignoring ASCII
    /// case, the others byte for byte.
    Exact(Vec<Vec<u8>>),
    /// A request that starts with these words (compared as for `Exact`).
    Prefix(Vec<Vec<u8>>),
}

impl Matcher {
    /// Whether `args` matches.
    pub fn matches(&self, args: &[Vec<u8>]) -> bool {
        let words = match self {
            Matcher::Any => return true,
            Matcher::Exact(words) if words.len() != args.len() => return false,
            Matcher::Exact(words) | Matcher::Prefix(words) => words,
        };
        words.len() <= args.len()
            && words.iter().zip(args).enumerate().all(|(i, (w, a))| {
                if i == 0 {
                    w.eq_ignore_ascii_case(a)
                } else {
                    w == a
                }
            })
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Any => write!(f, "any request"),
            Matcher::Exact(words) => write!(f, "{:?}", lossy_words(words)),
            Matcher::Prefix(words) => write!(f, "{:?} …", lossy_words(words)),
        }
    }
}

/// One step of a [`Script`].
#[derive(Clone, Debug)]
pub enum Step {
    /// Wait for the next request; if it matches, answer with these bytes; if not, answer
    /// with an error and record a mismatch.
    Expect(Matcher, Vec<u8>),
    /// Wait for the next request, whatever it is, and answer with these bytes.
    Reply(Vec<u8>),
    /// Wait for the next request and answer nothing.
    Receive,
    /// Answer every request from now on with its last argument as a bulk string. Never ends
    /// (until the client closes or the fake is dropped): steps after it do not run.
    Echo,
    /// Send these bytes now, without waiting for a request.
    Send(Vec<u8>),
    /// Send these bytes one at a time, pausing `every` after each.
    Trickle {
        /// What to send.
        bytes: Vec<u8>,
        /// The pause after each byte.
        every: Duration,
    },
    /// Send these bytes over and over, as fast as the client reads, until it closes or the
    /// fake is dropped. Steps after it do not run.
    Repeat(Vec<u8>),
    /// Pause (requests that arrive meanwhile wait in the socket).
    Sleep(Duration),
    /// Close the connection (both directions).
    Close,
}

/// What a connection does: a [`Handshake`] mode and a list of [`Step`]s. Built with the
/// methods below, each appending a step: `Script::new().expect(...).close()`.
#[derive(Clone, Debug, Default)]
pub struct Script {
    handshake: Handshake,
    version: Option<String>,
    steps: Vec<Step>,
}

impl Script {
    /// No steps, automatic handshake: the connection answers the handshake and holds.
    pub fn new() -> Script {
        Script::default()
    }

    /// A script that answers every request with its last argument ([`Step::Echo`]).
    pub fn echo_all() -> Script {
        Script::new().echo()
    }

    /// Sets the handshake mode (default [`Handshake::Auto`]).
    pub fn handshake(mut self, mode: Handshake) -> Script {
        self.handshake = mode;
        self
    }

    /// Shorthand for `.handshake(Handshake::RefuseHello)`.
    pub fn refuse_hello(self) -> Script {
        self.handshake(Handshake::RefuseHello)
    }

    /// The `version` the automatic `HELLO` reply reports (default [`DEFAULT_VERSION`]).
    pub fn version(mut self, version: &str) -> Script {
        self.version = Some(version.to_owned());
        self
    }

    /// Appends any step.
    pub fn step(mut self, step: Step) -> Script {
        self.steps.push(step);
        self
    }

    /// [`Step::Expect`] with [`Matcher::Exact`] `words`.
    pub fn expect(self, words: &[&str], reply: impl AsRef<[u8]>) -> Script {
        let words = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        self.step(Step::Expect(Matcher::Exact(words), reply.as_ref().to_vec()))
    }

    /// [`Step::Expect`] with [`Matcher::Prefix`] `words`.
    pub fn expect_prefix(self, words: &[&str], reply: impl AsRef<[u8]>) -> Script {
        let words = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        self.step(Step::Expect(
            Matcher::Prefix(words),
            reply.as_ref().to_vec(),
        ))
    }

    /// [`Step::Reply`].
    pub fn reply(self, bytes: impl AsRef<[u8]>) -> Script {
        self.step(Step::Reply(bytes.as_ref().to_vec()))
    }

    /// [`Step::Receive`].
    pub fn receive(self) -> Script {
        self.step(Step::Receive)
    }

    /// [`Step::Echo`].
    pub fn echo(self) -> Script {
        self.step(Step::Echo)
    }

    /// [`Step::Send`].
    pub fn send(self, bytes: impl AsRef<[u8]>) -> Script {
        self.step(Step::Send(bytes.as_ref().to_vec()))
    }

    /// [`Step::Trickle`].
    pub fn trickle(self, bytes: impl AsRef<[u8]>, every: Duration) -> Script {
        self.step(Step::Trickle {
            bytes: bytes.as_ref().to_vec(),
            every,
        })
    }

    /// [`Step::Repeat`].
    pub fn repeat(self, bytes: impl AsRef<[u8]>) -> Script {
        self.step(Step::Repeat(bytes.as_ref().to_vec()))
    }

    /// [`Step::Sleep`].
    pub fn sleep(self, d: Duration) -> Script {
        self.step(Step::Sleep(d))
    }

    /// [`Step::Close`].
    pub fn close(self) -> Script {
        self.step(Step::Close)
    }

    /// Takes the next request and closes the connection without answering it
    /// ([`Step::Receive`] then [`Step::Close`]).
    pub fn close_on_request(self) -> Script {
        self.receive().close()
    }
}

/// A command the client sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    /// The connection it came on: 0 for the first one accepted, and so on.
    pub conn: usize,
    /// Its words (the command name first).
    pub args: Vec<Vec<u8>>,
}

impl Request {
    /// The words as text (lossy), for assertions.
    pub fn words(&self) -> Vec<String> {
        lossy_words(&self.args)
    }

    /// The command name in upper case ("" for an empty request).
    pub fn name(&self) -> String {
        self.args
            .first()
            .map(|n| String::from_utf8_lossy(n).to_ascii_uppercase())
            .unwrap_or_default()
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {:?}", self.conn, self.words())
    }
}

fn lossy_words(words: &[Vec<u8>]) -> Vec<String> {
    words
        .iter()
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect()
}

/// A RESP bulk string: `$<len>\r\n<bytes>\r\n`.
pub fn bulk(bytes: impl AsRef<[u8]>) -> Vec<u8> {
    let bytes = bytes.as_ref();
    let mut out = format!("${}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

/// A RESP simple string: `+<text>\r\n`.
pub fn simple(text: &str) -> Vec<u8> {
    format!("+{text}\r\n").into_bytes()
}

/// A RESP error: `-<text>\r\n` (`text` starts with the code, e.g. `"ERR nope"`).
pub fn error(text: &str) -> Vec<u8> {
    format!("-{text}\r\n").into_bytes()
}

/// A RESP integer: `:<n>\r\n`.
pub fn int(n: i64) -> Vec<u8> {
    format!(":{n}\r\n").into_bytes()
}

/// A running fake peer. Dropping it closes every connection and joins every thread.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

type ScriptFn = Box<dyn FnMut(usize) -> Script + Send>;

struct Shared {
    stop: AtomicBool,
    scripts: Mutex<ScriptFn>,
    accepted: AtomicUsize,
    received: Mutex<Vec<Request>>,
    received_changed: Condvar,
    mismatches: Mutex<Vec<String>>,
    conns: Mutex<Vec<Arc<Conn>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Threads started and not yet ended (the acceptor included).
    live_threads: AtomicUsize,
}

/// One accepted connection.
struct Conn {
    index: usize,
    stream: TcpStream,
    /// Held for a whole `write_all`, so injected bytes never land inside a reply.
    writing: Mutex<()>,
    dead: AtomicBool,
}

/// Locks a mutex, ignoring poisoning (a panicking test thread must not wedge the fake).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

/// Decrements the live thread count when a thread ends, however it ends.
struct LiveGuard<'a>(&'a AtomicUsize);

impl Drop for LiveGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl FakeServer {
    /// Starts a fake on a free loopback port that runs `script` on every connection.
    /// Panics when it cannot listen.
    pub fn start(script: Script) -> FakeServer {
        FakeServer::start_with(move |_| script.clone())
    }

    /// Starts a fake that runs `scripts(n)` on the `n`-th connection (0 for the first).
    pub fn start_with(scripts: impl FnMut(usize) -> Script + Send + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("fake: cannot bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("fake: cannot make the listener non-blocking");
        let addr = listener.local_addr().expect("fake: local_addr");
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            scripts: Mutex::new(Box::new(scripts)),
            accepted: AtomicUsize::new(0),
            received: Mutex::new(Vec::new()),
            received_changed: Condvar::new(),
            mismatches: Mutex::new(Vec::new()),
            conns: Mutex::new(Vec::new()),
            threads: Mutex::new(Vec::new()),
            live_threads: AtomicUsize::new(1),
        });
        let s = shared.clone();
        let acceptor = thread::Builder::new()
            .name(format!("fake-accept {}", addr.port()))
            .spawn(move || {
                let _live = LiveGuard(&s.live_threads);
                accept_loop(&s, &listener);
            })
            .expect("fake: cannot start the acceptor thread");
        FakeServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `"127.0.0.1:PORT"`.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// The socket address.
    pub fn socket_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `"redis://127.0.0.1:PORT"` (append `?timeout=…` and the like).
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Every command received so far, on every connection, in arrival order (the
    /// handshake's included).
    pub fn commands(&self) -> Vec<Request> {
        lock(&self.shared.received).clone()
    }

    /// Waits until `done(commands so far)` is true, at most `timeout`; returns whether it
    /// became true.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&[Request]) -> bool) -> bool {
        let until = Instant::now() + timeout;
        let mut received = lock(&self.shared.received);
        loop {
            if done(&received) {
                return true;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            received = self
                .shared
                .received_changed
                .wait_timeout(received, left.min(POLL))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Waits until at least `n` connections were accepted, at most `timeout`.
    pub fn wait_for_connections(&self, n: usize, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while self.connections() < n {
            if Instant::now() >= until {
                return false;
            }
            thread::sleep(Duration::from_millis(2));
        }
        true
    }

    /// Descriptions of the requests that did not match their [`Step::Expect`].
    pub fn mismatches(&self) -> Vec<String> {
        lock(&self.shared.mismatches).clone()
    }

    /// Panics with the mismatches, if there were any.
    pub fn assert_no_mismatch(&self) {
        let m = self.mismatches();
        assert!(m.is_empty(), "the client deviated from the script: {m:#?}");
    }

    /// Sends `bytes` right now on every open connection, whatever its script is doing (a
    /// reply being written is finished first; the bytes never land inside it). For
    /// unsolicited data while the client is idle. Returns on how many connections it was
    /// written.
    pub fn inject(&self, bytes: &[u8]) -> usize {
        let conns: Vec<_> = lock(&self.shared.conns).clone();
        conns
            .iter()
            .filter(|c| !c.is_dead() && c.write_all(&self.shared, bytes))
            .count()
    }

    /// Closes every open connection now (both directions); new ones run their script.
    pub fn close_all(&self) {
        let conns = std::mem::take(&mut *lock(&self.shared.conns));
        for c in conns {
            c.kill();
        }
    }
}

impl fmt::Debug for FakeServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeServer")
            .field("addr", &self.addr)
            .field("connections", &self.connections())
            .finish()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        self.close_all();
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        for t in threads {
            let _ = t.join();
        }
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let index = shared.accepted.fetch_add(1, Ordering::SeqCst);
                if let Err(e) = start_conn(shared, stream, index) {
                    eprintln!("fake: could not serve connection #{index}: {e}");
                }
            }
            Err(e) if is_timeout(&e) => thread::sleep(ACCEPT_POLL),
            Err(e) => {
                eprintln!("fake: accept failed: {e}");
                thread::sleep(ACCEPT_POLL);
            }
        }
    }
}

fn start_conn(shared: &Arc<Shared>, stream: TcpStream, index: usize) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(POLL))?;
    stream.set_write_timeout(Some(POLL))?;
    let conn = Arc::new(Conn {
        index,
        stream,
        writing: Mutex::new(()),
        dead: AtomicBool::new(false),
    });
    {
        let mut conns = lock(&shared.conns);
        conns.retain(|c| !c.is_dead());
        conns.push(conn.clone());
    }
    let script = (lock(&shared.scripts))(index);
    let (s, c) = (shared.clone(), conn.clone());
    shared.live_threads.fetch_add(1, Ordering::SeqCst);
    let spawned = thread::Builder::new()
        .name(format!("fake-conn #{index}"))
        .spawn(move || {
            let _live = LiveGuard(&s.live_threads);
            Runner {
                shared: &s,
                conn: &c,
                script: &script,
                buf: Vec::new(),
                protocol: 2,
            }
            .run();
            c.kill();
        });
    match spawned {
        Ok(handle) => {
            let mut threads = lock(&shared.threads);
            threads.retain(|t| !t.is_finished());
            threads.push(handle);
            Ok(())
        }
        Err(e) => {
            shared.live_threads.fetch_sub(1, Ordering::SeqCst);
            conn.kill();
            Err(e)
        }
    }
}

impl Conn {
    fn kill(&self) {
        self.dead.store(true, Ordering::SeqCst);
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }

    fn must_end(&self, shared: &Shared) -> bool {
        shared.stop.load(Ordering::SeqCst) || self.is_dead()
    }

    /// Writes all of `bytes` unless the connection dies or the fake stops first.
    fn write_all(&self, shared: &Shared, mut bytes: &[u8]) -> bool {
        let _writing = lock(&self.writing);
        while !bytes.is_empty() {
            if self.must_end(shared) {
                return false;
            }
            match (&self.stream).write(bytes) {
                Ok(0) => return false,
                Ok(n) => bytes = &bytes[n..],
                Err(e) if is_timeout(&e) => {}
                Err(_) => return false,
            }
        }
        true
    }
}

/// Runs one connection's script.
struct Runner<'a> {
    shared: &'a Shared,
    conn: &'a Conn,
    script: &'a Script,
    /// Bytes received and not yet parsed into a request.
    buf: Vec<u8>,
    /// The protocol negotiated by the automatic `HELLO` (2 until then).
    protocol: u8,
}

impl Runner<'_> {
    fn run(&mut self) {
        for step in &self.script.steps {
            let go_on = match step {
                Step::Expect(matcher, reply) => match self.next_request() {
                    None => false,
                    Some(args) if matcher.matches(&args) => self.write(reply),
                    Some(args) => {
                        let what = format!(
                            "connection #{}: expected {matcher:?}, got {:?}",
                            self.conn.index,
                            lossy_words(&args)
                        );
                        let reply = error(&format!("ERR fake: {what}").replace(['\r', '\n'], " "));
                        lock(&self.shared.mismatches).push(what);
                        self.write(&reply)
                    }
                },
                Step::Reply(reply) => self.next_request().is_some() && self.write(reply),
                Step::Receive => self.next_request().is_some(),
                Step::Echo => {
                    while let Some(args) = self.next_request() {
                        let last = args.last().cloned().unwrap_or_default();
                        if !self.write(&bulk(last)) {
                            break;
                        }
                    }
                    false
                }
                Step::Send(bytes) => self.write(bytes),
                Step::Trickle { bytes, every } => bytes
                    .iter()
                    .all(|b| self.write(std::slice::from_ref(b)) && self.sleep(*every)),
                Step::Repeat(bytes) => {
                    while !bytes.is_empty() && self.write(bytes) {}
                    false
                }
                Step::Sleep(d) => self.sleep(*d),
                Step::Close => false,
            };
            if !go_on {
                return;
            }
        }
        // Out of steps: hold the connection, reading (and recording) what comes.
        while self.next_request().is_some() {}
    }

    fn write(&self, bytes: &[u8]) -> bool {
        self.conn.write_all(self.shared, bytes)
    }

    /// Sleeps `d` in slices; false if the connection must end meanwhile.
    fn sleep(&self, d: Duration) -> bool {
        let until = Instant::now() + d;
        loop {
            if self.conn.must_end(self.shared) {
                return false;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            thread::sleep(left.min(POLL));
        }
    }

    /// The next request for the script: handshake commands are answered here (in `Auto`
    /// and `RefuseHello` modes), every request is recorded. `None` when the client closed,
    /// sent garbage, or the fake stops.
    fn next_request(&mut self) -> Option<Vec<Vec<u8>>> {
        loop {
            match parse_request(&self.buf) {
                Err(garbage) => {
                    lock(&self.shared.mismatches).push(format!(
                        "connection #{}: unparsable request: {garbage}",
                        self.conn.index
                    ));
                    return None;
                }
                Ok(Some((args, used))) => {
                    self.buf.drain(..used);
                    if args.is_empty() {
                        continue; // an empty inline line: ignored, as Redis does
                    }
                    {
                        let mut received = lock(&self.shared.received);
                        received.push(Request {
                            conn: self.conn.index,
                            args: args.clone(),
                        });
                        self.shared.received_changed.notify_all();
                    }
                    match self.handshake_reply(&args) {
                        Some(reply) => {
                            if !self.write(&reply) {
                                return None;
                            }
                        }
                        None => return Some(args),
                    }
                }
                Ok(None) => {
                    if self.conn.must_end(self.shared) {
                        return None;
                    }
                    let mut chunk = [0u8; READ_BUF];
                    match (&self.conn.stream).read(&mut chunk) {
                        Ok(0) => return None,
                        Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                        Err(e) if is_timeout(&e) => {}
                        Err(_) => return None,
                    }
                }
            }
        }
    }

    /// The automatic answer to a handshake command, or `None` if the script answers it.
    fn handshake_reply(&mut self, args: &[Vec<u8>]) -> Option<Vec<u8>> {
        if self.script.handshake == Handshake::Manual {
            return None;
        }
        let word = |i: usize| {
            args.get(i)
                .map(|w| String::from_utf8_lossy(w).to_ascii_uppercase())
                .unwrap_or_default()
        };
        match (word(0).as_str(), word(1).as_str()) {
            ("HELLO", _) if self.script.handshake == Handshake::RefuseHello => {
                let quoted: String = args[1..]
                    .iter()
                    .map(|a| format!("'{}' ", String::from_utf8_lossy(a)))
                    .collect();
                Some(error(&format!(
                    "ERR unknown command 'HELLO', with args beginning with: {quoted}"
                )))
            }
            ("HELLO", _) => {
                let protocol = match args.get(1) {
                    None => self.protocol,
                    Some(v) if v.as_slice() == b"2" => 2,
                    Some(v) if v.as_slice() == b"3" => 3,
                    Some(_) => return Some(error("NOPROTO unsupported protocol version")),
                };
                self.protocol = protocol;
                Some(self.hello_reply(protocol))
            }
            ("AUTH", _) | ("SELECT", _) | ("CLIENT", "SETNAME") | ("CLIENT", "SETINFO") => {
                Some(simple("OK"))
            }
            _ => None,
        }
    }

    fn hello_reply(&self, protocol: u8) -> Vec<u8> {
        let version = self.script.version.as_deref().unwrap_or(DEFAULT_VERSION);
        let id = i64::try_from(self.conn.index).unwrap_or(i64::MAX - 1) + 1;
        let fields: [(&str, Vec<u8>); 7] = [
            ("server", bulk("redis")),
            ("version", bulk(version)),
            ("proto", int(i64::from(protocol))),
            ("id", int(id)),
            ("mode", bulk("standalone")),
            ("role", bulk("master")),
            ("modules", b"*0\r\n".to_vec()),
        ];
        let mut out = if protocol == 3 {
            format!("%{}\r\n", fields.len()).into_bytes()
        } else {
            format!("*{}\r\n", 2 * fields.len()).into_bytes()
        };
        for (name, value) in fields {
            out.extend_from_slice(&bulk(name));
            out.extend_from_slice(&value);
        }
        out
    }
}

/// A request's words and the bytes it took.
type Parsed = (Vec<Vec<u8>>, usize);

/// Parses one request at the start of `buf`: a RESP array of bulk strings, or an inline
/// command (words separated by spaces, ending in `\n`). `Ok(None)`: incomplete.
/// `Ok(Some((words, bytes used)))`; the words are empty for an empty inline line.
fn parse_request(buf: &[u8]) -> Result<Option<Parsed>, String> {
    let Some(line_end) = buf.iter().position(|&b| b == b'\n') else {
        return if buf.len() > MAX_BULK {
            Err("a line longer than 64 MiB".into())
        } else {
            Ok(None)
        };
    };
    let line = buf[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&buf[..line_end]);
    let Some(count) = line.strip_prefix(b"*") else {
        let words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        return Ok(Some((words, line_end + 1)));
    };
    let count = parse_len(count, MAX_ARGS)?;
    let mut pos = line_end + 1;
    let mut args = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let rest = &buf[pos..];
        let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let Some(len) = rest[..end].strip_prefix(b"$") else {
            return Err(format!(
                "expected a bulk string header, got {:?}",
                String::from_utf8_lossy(&rest[..end])
            ));
        };
        let len = parse_len(len, MAX_BULK)?;
        let start = pos + end + 2;
        if buf.len() < start + len + 2 {
            return Ok(None);
        }
        if &buf[start + len..start + len + 2] != b"\r\n" {
            return Err("a bulk string without its CRLF".into());
        }
        args.push(buf[start..start + len].to_vec());
        pos = start + len + 2;
    }
    Ok(Some((args, pos)))
}

fn parse_len(digits: &[u8], max: usize) -> Result<usize, String> {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|&n| n <= max)
        .ok_or_else(|| format!("bad length {:?}", String::from_utf8_lossy(digits)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::{Conn as RawConn, Reply};

    const T: Duration = Duration::from_secs(10);

    fn connect(fake: &FakeServer) -> RawConn {
        RawConn::connect(fake.socket_addr(), T).expect("connect to the fake")
    }

    fn text(s: &str) -> Reply {
        Reply::Text(s.to_owned())
    }

    /// The HELLO reply as (field, value) pairs.
    fn hello_fields(reply: Reply) -> Vec<(String, Reply)> {
        let Reply::Many(items) = reply else {
            panic!("HELLO reply is not an aggregate: {reply:?}")
        };
        items
            .chunks(2)
            .map(|kv| (kv[0].render(), kv[1].clone()))
            .collect()
    }

    #[test]
    fn automatic_handshake_resp3_and_resp2() {
        let fake = FakeServer::start(Script::new());
        let mut c = connect(&fake);
        // RESP3: a map, read raw to check its type byte.
        c.send(&crate::raw::encode(&[
            "HELLO", "3", "AUTH", "u", "p", "SETNAME", "n",
        ]))
        .unwrap();
        assert_eq!(c.read_exact_bytes(4).unwrap(), b"%7\r\n");
        let mut fields = Vec::new();
        for _ in 0..14 {
            fields.push(c.read_reply().unwrap());
        }
        let fields = hello_fields(Reply::Many(fields));
        let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["server", "version", "proto", "id", "mode", "role", "modules"]
        );
        assert_eq!(fields[0].1, text("redis"));
        assert_eq!(fields[1].1, text(DEFAULT_VERSION));
        assert_eq!(fields[2].1, text("3"));
        assert_eq!(fields[3].1, text("1"));
        assert_eq!(fields[4].1, text("standalone"));
        assert_eq!(fields[5].1, text("master"));
        assert_eq!(fields[6].1, Reply::Many(Vec::new()));
        for cmd in [
            &["AUTH", "pw"][..],
            &["AUTH", "user", "pw"],
            &["CLIENT", "SETNAME", "x"],
            &["client", "setinfo", "lib-name", "x"],
            &["SELECT", "3"],
        ] {
            assert_eq!(c.call(cmd).unwrap(), text("OK"), "{cmd:?}");
        }
        // RESP2 on a second connection, with another version: a flat array.
        drop(c);
        let fake = FakeServer::start(Script::new().version("6.2.1"));
        let mut c = connect(&fake);
        c.send(&crate::raw::encode(&["HELLO", "2"])).unwrap();
        assert_eq!(c.read_exact_bytes(5).unwrap(), b"*14\r\n");
        let mut items = Vec::new();
        for _ in 0..14 {
            items.push(c.read_reply().unwrap());
        }
        let fields = hello_fields(Reply::Many(items));
        assert_eq!(fields[1], ("version".into(), text("6.2.1")));
        assert_eq!(fields[2], ("proto".into(), text("2")));
        assert!(fake.wait_for(T, |r| r.len() == 1));
        assert_eq!(fake.commands()[0].words(), ["HELLO", "2"]);
        assert_eq!(fake.commands()[0].name(), "HELLO");
        // An unknown protocol version is refused.
        let reply = c.call(&["HELLO", "4"]).unwrap();
        assert!(
            matches!(&reply, Reply::Error(e) if e.starts_with("NOPROTO")),
            "{reply:?}"
        );
    }

    #[test]
    fn refused_hello_quotes_its_arguments() {
        let fake = FakeServer::start(Script::new().refuse_hello().echo());
        let mut c = connect(&fake);
        let reply = c
            .call(&["HELLO", "3", "AUTH", "default", "s3cret"])
            .unwrap();
        assert_eq!(
            reply,
            Reply::Error(
                "ERR unknown command 'HELLO', with args beginning with: '3' 'AUTH' 'default' \
                 's3cret' "
                    .into()
            )
        );
        assert_eq!(c.call(&["AUTH", "s3cret"]).unwrap(), text("OK"));
        assert_eq!(c.call(&["CLIENT", "SETNAME", "n"]).unwrap(), text("OK"));
        assert_eq!(c.call(&["ECHO", "hi"]).unwrap(), text("hi"));
    }

    #[test]
    fn manual_handshake_gives_every_command_to_the_script() {
        let fake = FakeServer::start(
            Script::new()
                .handshake(Handshake::Manual)
                .expect_prefix(&["HELLO"], error("ERR my own refusal"))
                .expect(&["select", "1"], simple("OK"))
                .reply(int(7)),
        );
        let mut c = connect(&fake);
        assert_eq!(
            c.call(&["HELLO", "3"]).unwrap(),
            Reply::Error("ERR my own refusal".into())
        );
        assert_eq!(c.call(&["SELECT", "1"]).unwrap(), text("OK"));
        assert_eq!(c.call(&["AUTH", "x"]).unwrap(), text("7"));
        fake.assert_no_mismatch();
    }

    #[test]
    fn expect_matches_or_records_a_mismatch() {
        let fake = FakeServer::start(
            Script::new()
                .expect(&["GET", "k"], bulk("v"))
                .expect(&["GET", "k"], bulk("v"))
                .expect_prefix(&["SET", "k"], simple("OK"))
                .reply(b"$-1\r\n"),
        );
        let mut c = connect(&fake);
        assert_eq!(c.call(&["get", "k"]).unwrap(), text("v"));
        let reply = c.call(&["GET", "other"]).unwrap();
        assert!(
            matches!(&reply, Reply::Error(e) if e.contains("expected") && e.contains("other")),
            "{reply:?}"
        );
        assert_eq!(c.call(&["SET", "k", "v", "EX", "5"]).unwrap(), text("OK"));
        assert_eq!(c.call(&["ANYTHING"]).unwrap(), Reply::Nil);
        assert_eq!(fake.mismatches().len(), 1, "{:?}", fake.mismatches());
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fake.assert_no_mismatch()));
        assert!(result.is_err());
        // Out of steps: requests are recorded, never answered.
        c.send(&crate::raw::encode(&["PING"])).unwrap();
        assert!(fake.wait_for(T, |r| r.last().is_some_and(|r| r.name() == "PING")));
        let (got, closed) = c.read_for(Duration::from_millis(100), 1024);
        assert!(got.is_empty() && !closed, "no reply once the steps ran out");
    }

    #[test]
    fn echo_answers_with_the_last_argument_and_reads_inline_commands() {
        let fake = FakeServer::start(Script::echo_all());
        let mut c = connect(&fake);
        assert_eq!(c.call(&["ECHO", "a\r\nb"]).unwrap(), text("a\r\nb"));
        assert_eq!(c.call(&["SET", "k", "value"]).unwrap(), text("value"));
        assert_eq!(c.call(&["PING"]).unwrap(), text("PING"));
        // Pipelined, and split in the middle of a request.
        let mut many = Vec::new();
        for i in 0..100 {
            many.extend_from_slice(&crate::raw::encode(&["ECHO", &i.to_string()]));
        }
        let (a, b) = many.split_at(many.len() / 2 + 3);
        c.send(a).unwrap();
        thread::sleep(Duration::from_millis(20));
        c.send(b).unwrap();
        for i in 0..100 {
            assert_eq!(c.read_reply().unwrap(), text(&i.to_string()));
        }
        c.send(b"\r\nECHO  inline\r\n").unwrap();
        assert_eq!(c.read_reply().unwrap(), text("inline"));
        let names: Vec<String> = fake.commands().iter().map(Request::name).collect();
        assert_eq!(names.len(), 104);
        assert_eq!(names[..3], ["ECHO", "SET", "PING"]);
    }

    #[test]
    fn unsolicited_bytes_while_the_client_is_idle() {
        // Scripted: sent by the fake on its own after a pause.
        let extra = b"$5\r\nEXTRA\r\n";
        let fake = FakeServer::start(
            Script::new()
                .expect(&["PING"], simple("PONG"))
                .sleep(Duration::from_millis(50))
                .send(extra)
                .echo(),
        );
        let mut c = connect(&fake);
        assert_eq!(c.call(&["PING"]).unwrap(), text("PONG"));
        // Nothing sent: the extra reply arrives anyway.
        assert_eq!(c.read_exact_bytes(extra.len()).unwrap(), extra);
        assert_eq!(c.call(&["ECHO", "x"]).unwrap(), text("x"));
        // Injected from the test at a moment of its choosing, during an echo script.
        assert_eq!(fake.inject(extra), 1);
        assert_eq!(c.read_exact_bytes(extra.len()).unwrap(), extra);
        assert_eq!(c.call(&["ECHO", "y"]).unwrap(), text("y"));
    }

    #[test]
    fn trickle_sends_one_byte_at_a_time_and_stops_on_drop() {
        let fake = FakeServer::start(
            Script::new()
                .expect(&["GET", "k"], b"$100000\r\n")
                .trickle(vec![b'x'; 100_002], Duration::from_millis(30)),
        );
        let mut c = connect(&fake);
        c.send(&crate::raw::encode(&["GET", "k"])).unwrap();
        assert_eq!(c.read_exact_bytes(9).unwrap(), b"$100000\r\n");
        let (got, closed) = c.read_for(Duration::from_millis(600), 100_002);
        assert!(!closed);
        // 600 ms at one byte per 30 ms: about 20 bytes (a loaded machine sends fewer).
        assert!(
            (1..=25).contains(&got.len()),
            "{} bytes in 600 ms",
            got.len()
        );
        assert!(got.iter().all(|&b| b == b'x'));
        let started = Instant::now();
        let shared = fake.shared.clone();
        drop(fake);
        assert_eq!(shared.live_threads.load(Ordering::SeqCst), 0);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn an_endless_reply_goes_on_until_the_client_leaves() {
        let fake = FakeServer::start(Script::new().reply(b"*2147483648\r\n").repeat(b":1\r\n"));
        let mut c = connect(&fake);
        c.send(&crate::raw::encode(&["LRANGE", "l", "0", "-1"]))
            .unwrap();
        assert_eq!(c.read_exact_bytes(13).unwrap(), b"*2147483648\r\n");
        let body = c.read_exact_bytes(4 << 20).unwrap();
        assert!(body.chunks(4).all(|item| item == b":1\r\n"));
        // The client leaves: the connection's thread ends by itself.
        drop(c);
        let until = Instant::now() + T;
        while fake.shared.live_threads.load(Ordering::SeqCst) > 1 {
            assert!(Instant::now() < until, "the endless writer did not stop");
            thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn close_on_the_next_request_and_scripts_per_connection() {
        let fake = FakeServer::start_with(|n| {
            if n == 0 {
                Script::new().close_on_request()
            } else {
                Script::echo_all()
            }
        });
        let mut c = connect(&fake);
        c.send(&crate::raw::encode(&["GET", "k"])).unwrap();
        let (got, closed) = c.read_for(T, 1024);
        assert!(closed && got.is_empty(), "{got:?} closed={closed}");
        let mut c2 = connect(&fake);
        assert_eq!(c2.call(&["ECHO", "second"]).unwrap(), text("second"));
        assert!(fake.wait_for_connections(2, T));
        assert_eq!(fake.connections(), 2);
        let conns: Vec<usize> = fake.commands().iter().map(|r| r.conn).collect();
        assert_eq!(conns, [0, 1]);
        // close_all hangs up on the echoing connection too.
        fake.close_all();
        let (_, closed) = c2.read_for(T, 1024);
        assert!(closed);
    }

    #[test]
    fn dropping_the_fake_ends_every_thread_even_with_idle_clients() {
        let fake = FakeServer::start(Script::new().sleep(Duration::from_secs(3600)).echo());
        let clients: Vec<_> = (0..4).map(|_| connect(&fake)).collect();
        assert!(fake.wait_for_connections(4, T));
        let until = Instant::now() + T;
        while fake.shared.live_threads.load(Ordering::SeqCst) < 5 {
            assert!(Instant::now() < until);
            thread::sleep(Duration::from_millis(2));
        }
        let shared = fake.shared.clone();
        let started = Instant::now();
        drop(fake);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(shared.live_threads.load(Ordering::SeqCst), 0);
        for mut c in clients {
            let (_, closed) = c.read_for(T, 16);
            assert!(closed, "the fake hung up");
        }
    }

    #[test]
    fn request_parsing() {
        assert_eq!(parse_request(b""), Ok(None));
        assert_eq!(parse_request(b"*2\r\n$3\r\nGET\r\n$1\r"), Ok(None));
        assert_eq!(
            parse_request(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1"),
            Ok(Some((vec![b"GET".to_vec(), b"k".to_vec()], 20)))
        );
        assert_eq!(parse_request(b"*0\r\n"), Ok(Some((vec![], 4))));
        assert_eq!(
            parse_request(b"PING  x\n"),
            Ok(Some((vec![b"PING".to_vec(), b"x".to_vec()], 8)))
        );
        assert!(parse_request(b"*1\r\n:1\r\n").is_err());
        assert!(parse_request(b"*x\r\n").is_err());
        assert!(parse_request(b"*1\r\n$1\r\nab\r\n").is_err());
        assert!(parse_request(b"*1\r\n$99999999999\r\n").is_err());
    }
}
