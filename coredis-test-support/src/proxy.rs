//! A fault-injecting TCP proxy for integration tests.
//!
//! [`Proxy::start`] listens on a free port of `127.0.0.1` and forwards every accepted
//! connection, byte for byte, to a real server (`redis-server`): it is not a mock of Redis and
//! never parses RESP. Each accepted client connection gets its own upstream connection and two
//! pump threads, one per direction. The faults are controlled through shared atomics and can
//! be changed at any time while traffic flows:
//!
//! | control                      | effect                                                     |
//! |------------------------------|------------------------------------------------------------|
//! | [`Proxy::set_chunk`]         | server→client: at most `n` bytes per `write`               |
//! | [`Proxy::set_chunk_cycle`]   | server→client: chunk sizes taken in turn from a list       |
//! | [`Proxy::set_delay`]         | server→client: sleep between two chunks                    |
//! | [`Proxy::stall`]             | both directions: stop forwarding; bytes are held           |
//! | [`Proxy::cut_after`]         | close both sides after `n` more server→client bytes        |
//! | [`Proxy::cut_upstream_after`]| close both sides after `n` more client→server bytes        |
//! | [`Proxy::kill_all`]          | close every current connection now                         |
//! | [`Proxy::refuse`]            | accept new connections and close them at once              |
//! | [`Proxy::connections`]       | how many connections were accepted so far                  |
//!
//! Only `std` is used. Every thread polls its sockets with short timeouts, so dropping the
//! [`Proxy`] stops all of them (it joins them) even while traffic is stalled.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How often blocked pump threads look at the controls (socket read and write timeouts).
const POLL: Duration = Duration::from_millis(10);
/// How long the acceptor sleeps when no connection is waiting.
const ACCEPT_POLL: Duration = Duration::from_millis(2);
/// How long a stalled pump sleeps before looking at the controls again.
const STALL_POLL: Duration = Duration::from_millis(1);
/// The time allowed for connecting to the upstream server.
const UPSTREAM_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most a pump reads at once.
const PUMP_BUF: usize = 64 * 1024;

/// A running fault-injecting proxy in front of one upstream server. Dropping it closes every
/// connection and stops (and joins) every thread it started.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

/// The controls and the bookkeeping shared by the acceptor and the pump threads.
struct Shared {
    upstream: String,
    /// Server→client chunk sizes, used in turn; empty means "no limit".
    chunks: Mutex<Vec<usize>>,
    /// Server→client pause between chunks, in nanoseconds.
    delay_nanos: AtomicU64,
    /// Forwarding is stopped in both directions.
    stalled: AtomicBool,
    /// Server→client bytes still allowed before the connection is cut; `None` = no cut armed.
    cut: Mutex<Option<usize>>,
    /// The same for client→server bytes.
    cut_up: Mutex<Option<usize>>,
    /// New connections are closed as soon as they are accepted.
    refuse: AtomicBool,
    /// Connections accepted so far (refused ones included).
    accepted: AtomicUsize,
    /// The proxy is being dropped.
    stop: AtomicBool,
    /// The connections currently forwarded.
    links: Mutex<Vec<Arc<Link>>>,
    /// The pump threads started so far.
    pumps: Mutex<Vec<JoinHandle<()>>>,
}

/// One proxied connection: the accepted client socket and its upstream socket.
struct Link {
    client: TcpStream,
    server: TcpStream,
    dead: AtomicBool,
}

impl Link {
    /// Closes both sides (both directions); the pumps notice and end.
    fn kill(&self) {
        self.dead.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }

    fn is_dead(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }
}

/// Locks a mutex, ignoring poisoning (a panicking test thread must not wedge the proxy).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

impl Proxy {
    /// Starts a proxy on a free loopback port that forwards to `upstream`
    /// (`"127.0.0.1:PORT"`). Nothing is injected until a control is used. Panics when it
    /// cannot listen.
    pub fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy: cannot bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("proxy: cannot make the listener non-blocking");
        let addr = listener.local_addr().expect("proxy: local_addr");
        let shared = Arc::new(Shared {
            upstream: upstream.to_string(),
            chunks: Mutex::new(Vec::new()),
            delay_nanos: AtomicU64::new(0),
            stalled: AtomicBool::new(false),
            cut: Mutex::new(None),
            cut_up: Mutex::new(None),
            refuse: AtomicBool::new(false),
            accepted: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            links: Mutex::new(Vec::new()),
            pumps: Mutex::new(Vec::new()),
        });
        let s = shared.clone();
        let acceptor = thread::Builder::new()
            .name(format!("proxy-accept {}", addr.port()))
            .spawn(move || accept_loop(&s, &listener))
            .expect("proxy: cannot start the acceptor thread");
        Proxy {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    /// `"redis://127.0.0.1:PORT"` of the proxy (append `?timeout=…` and the like).
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr())
    }

    /// `"127.0.0.1:PORT"` of the proxy.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Server→client: deliver at most `n` bytes per `write` (1 = byte by byte; `usize::MAX`
    /// = no limit, the default). Sockets have `TCP_NODELAY`, so small chunks really travel as
    /// separate segments. Replaces any chunk cycle.
    pub fn set_chunk(&self, n: usize) {
        *lock(&self.shared.chunks) = vec![n.max(1)];
    }

    /// Server→client: chunk sizes taken in turn from `sizes` (each pump cycles through the
    /// list on its own). An empty list means no limit. Replaces [`Proxy::set_chunk`].
    pub fn set_chunk_cycle(&self, sizes: &[usize]) {
        *lock(&self.shared.chunks) = sizes.iter().map(|&n| n.max(1)).collect();
    }

    /// Server→client: sleep `d` after each chunk (`Duration::ZERO`, the default, = never).
    pub fn set_delay(&self, d: Duration) {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.shared.delay_nanos.store(nanos, Ordering::SeqCst);
    }

    /// Both directions: `true` stops forwarding on every connection, current and new (the
    /// pumps neither read nor write; bytes are held in the proxy and in the socket buffers,
    /// never dropped). `false` resumes, delivering everything held, in order.
    pub fn stall(&self, on: bool) {
        self.shared.stalled.store(on, Ordering::SeqCst);
    }

    /// Arms (`Some(n)`) or disarms (`None`) a cut: after `n` more server→client bytes (counted
    /// over all connections, from now), the connection that carried the last of them is
    /// closed on both sides. One-shot: the cut disarms itself when it fires. `Some(0)` closes
    /// the next connection that has a byte to deliver to its client, before that byte.
    pub fn cut_after(&self, n_bytes_server_to_client: Option<usize>) {
        *lock(&self.shared.cut) = n_bytes_server_to_client;
    }

    /// [`Proxy::cut_after`] for the other direction: after `n` more client→server bytes the
    /// connection that carried the last of them is closed (a request cut mid-frame).
    pub fn cut_upstream_after(&self, n_bytes_client_to_server: Option<usize>) {
        *lock(&self.shared.cut_up) = n_bytes_client_to_server;
    }

    /// Closes every current connection now (`shutdown` of both directions on both the client
    /// and the upstream socket): the client sees end-of-stream or a reset. New connections
    /// are forwarded as usual.
    pub fn kill_all(&self) {
        let links = std::mem::take(&mut *lock(&self.shared.links));
        for l in links {
            l.kill();
        }
    }

    /// `true`: accept new connections and close them at once (no upstream connection is
    /// made); current connections are untouched. `false` (the default): forward them.
    pub fn refuse(&self, on: bool) {
        self.shared.refuse.store(on, Ordering::SeqCst);
    }

    /// How many client connections were accepted so far, refused ones included.
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many connections are being forwarded right now.
    pub fn live(&self) -> usize {
        lock(&self.shared.links)
            .iter()
            .filter(|l| !l.is_dead())
            .count()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        self.kill_all();
        let pumps = std::mem::take(&mut *lock(&self.shared.pumps));
        for p in pumps {
            let _ = p.join();
        }
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: &TcpListener) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((client, _)) => {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                if shared.refuse.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                if let Err(e) = open_link(shared, client) {
                    eprintln!("proxy: could not forward a connection: {e}");
                }
            }
            Err(e) if is_timeout(&e) => thread::sleep(ACCEPT_POLL),
            Err(e) => {
                eprintln!("proxy: accept failed: {e}");
                thread::sleep(ACCEPT_POLL);
            }
        }
    }
}

/// Connects upstream for `client` and starts its two pumps.
fn open_link(shared: &Arc<Shared>, client: TcpStream) -> io::Result<()> {
    let target: SocketAddr = shared
        .upstream
        .parse()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("{e}")))?;
    let server = match TcpStream::connect_timeout(&target, UPSTREAM_CONNECT_TIMEOUT) {
        Ok(s) => s,
        Err(e) => {
            let _ = client.shutdown(Shutdown::Both);
            return Err(e);
        }
    };
    for s in [&client, &server] {
        s.set_nonblocking(false)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(POLL))?;
        s.set_write_timeout(Some(POLL))?;
    }
    let link = Arc::new(Link {
        client,
        server,
        dead: AtomicBool::new(false),
    });
    {
        let mut links = lock(&shared.links);
        links.retain(|l| !l.is_dead());
        links.push(link.clone());
    }
    let mut handles = Vec::with_capacity(2);
    for to_client in [false, true] {
        let (s, l) = (shared.clone(), link.clone());
        let name = if to_client { "proxy-s2c" } else { "proxy-c2s" };
        let spawned = thread::Builder::new().name(name.into()).spawn(move || {
            let (from, to) = if to_client {
                (&l.server, &l.client)
            } else {
                (&l.client, &l.server)
            };
            pump(&s, &l, from, to, to_client);
            l.kill();
        });
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => {
                link.kill();
                lock(&shared.pumps).extend(handles);
                return Err(e);
            }
        }
    }
    lock(&shared.pumps).extend(handles);
    Ok(())
}

/// What the cut allows for the next chunk.
enum Cut {
    /// Send at most this many bytes.
    Allow(usize),
    /// The budget is spent: close now.
    Now,
}

impl Shared {
    fn chunk_size(&self, turn: usize) -> usize {
        let chunks = lock(&self.chunks);
        if chunks.is_empty() {
            usize::MAX
        } else {
            chunks[turn % chunks.len()]
        }
    }

    fn delay(&self) -> Duration {
        Duration::from_nanos(self.delay_nanos.load(Ordering::SeqCst))
    }

    fn cut_of(&self, to_client: bool) -> &Mutex<Option<usize>> {
        if to_client {
            &self.cut
        } else {
            &self.cut_up
        }
    }

    fn cut_allows(&self, to_client: bool, want: usize) -> Cut {
        let mut cut = lock(self.cut_of(to_client));
        match *cut {
            None => Cut::Allow(want),
            Some(0) => {
                *cut = None;
                Cut::Now
            }
            Some(left) => Cut::Allow(want.min(left)),
        }
    }

    /// Counts `sent` bytes against the cut; true when that spent the budget (the caller then
    /// closes its connection).
    fn cut_spent(&self, to_client: bool, sent: usize) -> bool {
        let mut cut = lock(self.cut_of(to_client));
        match *cut {
            Some(left) if left <= sent => {
                *cut = None;
                true
            }
            Some(left) => {
                *cut = Some(left - sent);
                false
            }
            None => false,
        }
    }

    fn must_end(&self, link: &Link) -> bool {
        self.stop.load(Ordering::SeqCst) || link.is_dead()
    }
}

/// Forwards `from` → `to` until either side closes, the link is killed or the proxy stops.
/// `to_client` marks the server→client direction, the one chunking, delays and cuts apply to.
fn pump(shared: &Shared, link: &Link, mut from: &TcpStream, mut to: &TcpStream, to_client: bool) {
    let mut buf = vec![0u8; PUMP_BUF];
    let (mut start, mut end) = (0usize, 0usize);
    let mut turn = 0usize;
    loop {
        if shared.must_end(link) {
            return;
        }
        if shared.stalled.load(Ordering::SeqCst) {
            thread::sleep(STALL_POLL);
            continue;
        }
        if start == end {
            match from.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    start = 0;
                    end = n;
                }
                Err(e) if is_timeout(&e) => {}
                Err(_) => return,
            }
            // Look at the controls again before delivering what was read.
            continue;
        }
        let mut n = end - start;
        if to_client {
            n = n.min(shared.chunk_size(turn));
            turn = turn.wrapping_add(1);
        }
        match shared.cut_allows(to_client, n) {
            Cut::Allow(k) => n = k,
            Cut::Now => return,
        }
        match to.write(&buf[start..start + n]) {
            Ok(0) => return,
            Ok(k) => {
                start += k;
                if shared.cut_spent(to_client, k) {
                    return;
                }
                if to_client {
                    let d = shared.delay();
                    if !d.is_zero() {
                        thread::sleep(d);
                    }
                }
            }
            Err(e) if is_timeout(&e) => {}
            Err(_) => return,
        }
    }
}
