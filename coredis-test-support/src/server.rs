//! Throw-away `redis-server` / `valkey-server` processes: [`Server`], [`ServerBuilder`],
//! binary and version discovery, TLS support detection, free ports and temp dirs.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::note;
use crate::process::spawn_with_parent_death as spawn_server;
use crate::raw::{self, Reply};
use crate::tls::{generate_certs, TlsFiles};

/// The only address test servers bind to.
const HOST: &str = "127.0.0.1";
/// How long a server may take to answer `PING` after being spawned.
const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Launch attempts when the chosen port turns out to be taken.
const LAUNCH_ATTEMPTS: u32 = 5;
/// Lines of the server log included in [`Server::log_tail`].
const LOG_TAIL_LINES: usize = 30;
/// Read/write timeout of the raw connections opened by [`Server::command`].
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// Name prefix of the per-server temp dirs: `<temp>/coredis-srv-<pid>-<n>-<nanos>`.
const TEMP_PREFIX: &str = "coredis-srv-";
/// Unix socket paths must fit in `sockaddr_un.sun_path` (108 bytes with the NUL).
const MAX_UNIX_PATH: usize = 100;

// ---------------------------------------------------------------------------------------
// Binary, version, TLS support
// ---------------------------------------------------------------------------------------

/// The server binary the tests run: `$COREDIS_SERVER_BIN` if set and non-empty, else
/// `/usr/bin/redis-server` if it exists, else `redis-server` looked up on `PATH`.
/// Decided once per test process.
pub fn server_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("COREDIS_SERVER_BIN").filter(|b| !b.is_empty()) {
            return PathBuf::from(bin);
        }
        let debian = Path::new("/usr/bin/redis-server");
        if debian.exists() {
            debian.to_path_buf()
        } else {
            PathBuf::from("redis-server")
        }
    })
    .clone()
}

/// The server version, e.g. `"7.0.15"`, parsed from `<server_bin> --version` (cached).
///
/// Panics if the binary cannot be run or its output has no `v=X.Y.Z` field.
pub fn server_version() -> String {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION
        .get_or_init(|| {
            let bin = server_bin();
            let out = Command::new(&bin)
                .arg("--version")
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot run `{} --version`: {e} (set COREDIS_SERVER_BIN to a \
                         redis-server or valkey-server binary)",
                        bin.display()
                    )
                });
            let text = String::from_utf8_lossy(&out.stdout);
            parse_version_output(&text).unwrap_or_else(|| {
                panic!(
                    "cannot find a version in the output of `{} --version`: {text:?} {:?}",
                    bin.display(),
                    String::from_utf8_lossy(&out.stderr)
                )
            })
        })
        .clone()
}

/// Extracts the version from `--version` output such as
/// `Redis server v=7.0.15 sha=00000000:0 ...` or `Valkey server v=9.1.2 sha=...`.
/// Returns `None` when there is no `v=` field made of dot-separated numbers.
pub fn parse_version_output(text: &str) -> Option<String> {
    text.split_whitespace()
        .filter_map(|word| word.strip_prefix("v="))
        .find(|v| !v.is_empty() && v.split('.').all(|part| part.parse::<u32>().is_ok()))
        .map(str::to_owned)
}

/// `(major, minor)` of [`server_version`], e.g. `(7, 0)`.
pub fn server_major_minor() -> (u32, u32) {
    let version = server_version();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// Whether the server binary was built with TLS support (cached).
///
/// Detected by actually starting the binary once with a TLS port and freshly generated
/// certificates: supported if the TLS port starts accepting connections, unsupported if
/// the server exits instead (6.2 without TLS: "Bad directive"; Valkey without the TLS
/// module: "Failed finding TLS support"). Also `false` if certificates cannot be made.
pub fn tls_supported() -> bool {
    static TLS: OnceLock<bool> = OnceLock::new();
    *TLS.get_or_init(probe_tls)
}

/// For TLS tests: returns `true` if the binary supports TLS; otherwise reports the test as
/// skipped with [`crate::skip`] (reason: the binary was built without TLS) and returns
/// `false`.
///
/// Use as `if !tls_or_skip("my_test") { return; }`.
pub fn tls_or_skip(test: &str) -> bool {
    if tls_supported() {
        return true;
    }
    let bin = server_bin();
    let name = bin.file_name().unwrap_or(bin.as_os_str()).to_string_lossy();
    crate::skip(
        test,
        &format!(
            "the server ({name} {}) was built without TLS support",
            server_version()
        ),
    );
    false
}

/// Prints `coredis tests: server <path> version <ver>` once per process (and adds it to the
/// run's report, see [`crate::report`]).
fn announce() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        crate::report(&format!(
            "coredis tests: server {} version {}",
            server_bin().display(),
            server_version()
        ));
    });
}

fn probe_tls() -> bool {
    let dir = TempDir::new();
    let files = match generate_certs(dir.path()) {
        Ok(files) => files,
        Err(e) => {
            note(&format!(
                "coredis tests: cannot generate TLS certificates, treating TLS as unsupported: {e}"
            ));
            return false;
        }
    };
    let tls_port = free_port();
    let out = match File::create(dir.path().join("stdout.log")) {
        Ok(out) => out,
        Err(_) => return false,
    };
    let mut cmd = Command::new(server_bin());
    cmd.args([
        "--port",
        "0",
        "--bind",
        HOST,
        "--save",
        "",
        "--appendonly",
        "no",
    ])
    .args(["--daemonize", "no", "--tls-port", &tls_port.to_string()])
    .arg("--dir")
    .arg(dir.path())
    .arg("--logfile")
    .arg(dir.path().join("server.log"))
    .arg("--tls-cert-file")
    .arg(&files.server_cert)
    .arg("--tls-key-file")
    .arg(&files.server_key)
    .arg("--tls-ca-cert-file")
    .arg(&files.ca_cert)
    .current_dir(dir.path())
    .stdin(Stdio::null());
    if let Ok(copy) = out.try_clone() {
        cmd.stdout(copy);
    }
    cmd.stderr(out);
    let Ok(mut child) = spawn_server(cmd) else {
        return false;
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], tls_port));
    let deadline = Instant::now() + READY_TIMEOUT;
    let supported = loop {
        if !matches!(child.try_wait(), Ok(None)) {
            break false;
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            // Make sure it is our process that listens there.
            break matches!(child.try_wait(), Ok(None));
        }
        if Instant::now() > deadline {
            note("coredis tests: TLS probe server did not come up in time; assuming no TLS");
            break false;
        }
        thread::sleep(Duration::from_millis(10));
    };
    let _ = child.kill();
    let _ = child.wait();
    supported
}

// ---------------------------------------------------------------------------------------
// Temp dirs, ports
// ---------------------------------------------------------------------------------------

/// A fresh directory under `std::env::temp_dir()`, removed on drop.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        static CLEANUP: Once = Once::new();
        CLEANUP.call_once(remove_stale_dirs);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let path = std::env::temp_dir()
                .join(format!("{TEMP_PREFIX}{}-{n}-{nanos:x}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return TempDir(path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("cannot create test directory {}: {e}", path.display()),
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Removes temp dirs left behind by earlier test processes that are gone (servers kept in
/// `static`s are never dropped, so their dirs outlive the process; the servers themselves
/// die with it). Only `<temp>/coredis-srv-<pid>-...` dirs whose `<pid>` no longer exists.
fn remove_stale_dirs() {
    if !Path::new("/proc/self").exists() {
        return; // cannot tell which pids are alive
    }
    let Ok(entries) = fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else {
            continue;
        };
        let Some(Ok(pid)) = rest.split('-').next().map(str::parse::<u32>) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// A cheap pseudo-random number (no `rand` dependency): splitmix64 over time, pid, counter.
pub(crate) fn pseudo_random() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut z = nanos
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A TCP port on 127.0.0.1 that is free right now and was not handed out before by this
/// process. Useful for servers and for "nothing listens here" tests.
///
/// Ports are drawn at random from below the kernel's ephemeral range (read from
/// `/proc/sys/net/ipv4/ip_local_port_range`), so they cannot be grabbed in the meantime as
/// the source port of some outgoing client connection (which `bind(0)` ports can: those come
/// from the ephemeral range). Falls back to binding port 0 if that range is unusable.
pub fn free_port() -> u16 {
    let (low, high) = (10_000u16, ephemeral_low());
    if high > low + 1000 {
        for _ in 0..500 {
            let port = low + (pseudo_random() % u64::from(high - low)) as u16;
            if claim_port(port) {
                return port;
            }
        }
    }
    for _ in 0..100 {
        let listener = TcpListener::bind((HOST, 0)).expect("cannot bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local_addr").port();
        if handed_out().insert(port) {
            return port;
        }
    }
    panic!("cannot find a free TCP port on {HOST}");
}

/// The ports this process handed out (never handed out twice).
fn handed_out() -> std::sync::MutexGuard<'static, HashSet<u16>> {
    static HANDED_OUT: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    HANDED_OUT
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Marks `port` as handed out if it was not and is free right now.
fn claim_port(port: u16) -> bool {
    let mut handed_out = handed_out();
    if handed_out.contains(&port) || TcpListener::bind((HOST, port)).is_err() {
        return false;
    }
    handed_out.insert(port)
}

/// The low end of the kernel's ephemeral port range (32768 when it cannot be read).
fn ephemeral_low() -> u16 {
    fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768)
}

/// How far a cluster node's bus port is from its client port (the servers' fixed rule when
/// `cluster-port` is not set, which Redis 6.2 cannot set).
pub const CLUSTER_BUS_OFFSET: u16 = 10_000;

/// A port for a cluster node: free now, never handed out before by this process, and so is
/// the port [`CLUSTER_BUS_OFFSET`] above it (the node's cluster bus), which also stays below
/// the kernel's ephemeral range. Both are marked as handed out.
pub fn free_cluster_port() -> u16 {
    for _ in 0..500 {
        let port = free_port();
        let Some(bus) = port.checked_add(CLUSTER_BUS_OFFSET) else {
            continue;
        };
        if bus >= ephemeral_low() {
            continue;
        }
        if claim_port(bus) {
            return port;
        }
    }
    panic!(
        "cannot find a free pair of TCP ports (client, client + {CLUSTER_BUS_OFFSET}) on {HOST}"
    );
}

// ---------------------------------------------------------------------------------------
// Builder
// ---------------------------------------------------------------------------------------

/// Configures a test server; [`ServerBuilder::start`] launches it. The default is plain
/// TCP on a free port, no password, no unix socket, no TLS.
#[derive(Debug, Clone, Default)]
pub struct ServerBuilder {
    unix_socket: bool,
    tls: bool,
    tls_auth_clients: bool,
    password: Option<String>,
    acl_users: Vec<(String, String)>,
    extra_args: Vec<String>,
    port: Option<u16>,
    cluster: bool,
    sentinel: Option<String>,
    /// Certificates to use instead of generating new ones (shared by a cluster's nodes).
    tls_files: Option<TlsFiles>,
    /// A cluster node whose bus and replication use TLS too.
    cluster_tls: bool,
    /// Replication (and a Sentinel's links) over TLS.
    tls_replication: bool,
}

impl ServerBuilder {
    /// Also listen on a unix socket (`redis.sock` in the server's temp dir, mode 700).
    pub fn unix_socket(mut self, yes: bool) -> Self {
        self.unix_socket = yes;
        self
    }

    /// Also listen with TLS on a second port, with certificates generated at start (see
    /// [`Server::tls_files`]). [`ServerBuilder::start`] panics if the binary has no TLS:
    /// check [`tls_supported`] / [`tls_or_skip`] first.
    pub fn tls(mut self, yes: bool) -> Self {
        self.tls = yes;
        self
    }

    /// TLS with these certificates instead of fresh ones (so that several servers — a
    /// cluster's nodes — are trusted through one CA).
    pub fn tls_with(mut self, files: TlsFiles) -> Self {
        self.tls = true;
        self.tls_files = Some(files);
        self
    }

    /// For a TLS cluster node: the cluster bus and replication over TLS too
    /// (`--tls-cluster yes`, `--tls-replication yes`, the client certificate for outgoing
    /// links), so the nodes announce their TLS ports. The bus stays on the plain port + 10000.
    pub fn cluster_tls(mut self, yes: bool) -> Self {
        self.cluster_tls = yes;
        self
    }

    /// With [`ServerBuilder::tls`]: outgoing links over TLS too (`--tls-replication yes`, the
    /// client certificate for them). A replica then connects to its primary's TLS port
    /// (`--replicaof` must name it) and announces its own TLS port to the primary; a Sentinel
    /// talks TLS to the data servers and the other Sentinels and announces its TLS port in
    /// its hello messages. The plain port stays open (the harness's polls use it).
    pub fn tls_replication(mut self, yes: bool) -> Self {
        self.tls_replication = yes;
        self
    }

    /// Require client certificates (`--tls-auth-clients yes`). The default is
    /// `--tls-auth-clients optional`: a client may connect without a certificate, but a
    /// certificate it does present must be signed by the test CA.
    pub fn tls_auth_clients(mut self, yes: bool) -> Self {
        self.tls_auth_clients = yes;
        self
    }

    /// Set `requirepass` (the password of the `default` user). [`Server::command`] then
    /// sends `AUTH <password>` first. The password must not start with `--`.
    pub fn password(mut self, p: &str) -> Self {
        self.password = Some(p.to_owned());
        self
    }

    /// Add an ACL user: `user NAME on >PASS ~* &* +@all`. Call once per user. Names and
    /// passwords must not contain whitespace or start with `--`.
    pub fn acl_user(mut self, user: &str, pass: &str) -> Self {
        self.acl_users.push((user.to_owned(), pass.to_owned()));
        self
    }

    /// Append one raw argument to the server command line, after the harness's own, e.g.
    /// `.arg("--maxclients").arg("10")` or `.arg("--maxclients 10")` (the server joins
    /// `--name` arguments into config lines, so both forms work).
    pub fn arg(mut self, a: &str) -> Self {
        self.extra_args.push(a.to_owned());
        self
    }

    /// Listen on this fixed TCP port instead of a free one chosen by the harness.
    pub fn port(mut self, p: u16) -> Self {
        self.port = Some(p);
        self
    }

    /// Run as a cluster node (`--cluster-enabled yes`, its `nodes.conf` in the server's temp
    /// dir, which [`Server::restart`] keeps, so a restarted node keeps its identity). The
    /// harness picks the port so that the cluster bus port (the port + 10000, the rule of
    /// every server version when `cluster-port` is unset) is free too. Not joined to
    /// anything: see [`crate::cluster::Cluster`] for a whole cluster.
    pub fn cluster_enabled(mut self, yes: bool) -> Self {
        self.cluster = yes;
        self
    }

    /// Run as a Sentinel (`<server> <dir>/sentinel.conf --sentinel`) whose config file starts
    /// with `config` (e.g. `sentinel monitor name 127.0.0.1 6379 2` lines). The file is
    /// written at the first start only: Sentinel rewrites it with what it learns (its id,
    /// the replicas and other sentinels it found), and [`Server::restart`] keeps that. See
    /// [`crate::sentinel::SentinelGroup`] for a monitored primary with replicas and sentinels.
    pub fn sentinel(mut self, config: &str) -> Self {
        self.sentinel = Some(config.to_owned());
        self
    }

    /// Start the server and wait until it answers `PING` (up to 10 s).
    ///
    /// If the chosen port turns out to be taken, retries with other free ports (up to 5
    /// attempts; a fixed port is kept). Panics with the server's log tail if the server
    /// exits or does not come up in time.
    pub fn start(self) -> Server {
        announce();
        if self.tls && !tls_supported() {
            panic!(
                "ServerBuilder::tls(true), but {} {} has no TLS support \
                 (guard TLS tests with tls_or_skip)",
                server_bin().display(),
                server_version()
            );
        }
        let dir = TempDir::new();
        let tls = self.tls.then(|| match &self.tls_files {
            Some(files) => files.clone(),
            None => generate_certs(dir.path())
                .unwrap_or_else(|e| panic!("cannot generate TLS certificates: {e}")),
        });
        let (unix_path, external_socket) = if self.unix_socket {
            let in_dir = dir.path().join("redis.sock");
            if in_dir.as_os_str().len() <= MAX_UNIX_PATH {
                (Some(in_dir), false)
            } else {
                // Very long $TMPDIR: fall back to a short path in /tmp (removed on drop).
                let name = dir.path().file_name().unwrap_or_default().to_string_lossy();
                (Some(PathBuf::from(format!("/tmp/{name}.sock"))), true)
            }
        } else {
            (None, false)
        };
        let mut server = Server {
            child: None,
            last_pid: 0,
            port: 0,
            tls_port: None,
            unix_path,
            external_socket,
            tls,
            config: self,
            dir,
        };
        let retry_possible = server.config.port.is_none() || server.config.tls;
        let attempts = if retry_possible { LAUNCH_ATTEMPTS } else { 1 };
        for attempt in 1..=attempts {
            server.port = match server.config.port {
                Some(port) => port,
                None if server.config.cluster => free_cluster_port(),
                None => free_port(),
            };
            server.tls_port = server.config.tls.then(free_port);
            match server.launch() {
                Ok(()) => return server,
                Err(LaunchError::AddrInUse(_)) if attempt < attempts => continue,
                Err(e) => panic!(
                    "test server did not start (attempt {attempt}/{attempts}): {e}\n{}",
                    server.log_tail()
                ),
            }
        }
        unreachable!("the last launch attempt returns or panics")
    }
}

// ---------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------

/// A running test server. Dropping it SIGKILLs the process, waits for it and removes its
/// temp dir (log, socket, certificates).
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    last_pid: u32,
    port: u16,
    tls_port: Option<u16>,
    unix_path: Option<PathBuf>,
    /// The unix socket lives outside `dir` and must be removed separately.
    external_socket: bool,
    tls: Option<TlsFiles>,
    config: ServerBuilder,
    // Last: dropped after `Drop::drop` has killed the process.
    dir: TempDir,
}

#[derive(Debug)]
enum LaunchError {
    /// The server exited because a port was taken.
    AddrInUse(ExitStatus),
    /// The server exited for another reason.
    Exited(ExitStatus),
    /// The server did not answer within [`READY_TIMEOUT`] (it has been killed).
    Timeout,
    /// The process could not be spawned.
    Spawn(io::Error),
}

impl std::fmt::Display for LaunchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bin = server_bin();
        match self {
            LaunchError::AddrInUse(status) => {
                write!(
                    f,
                    "{} exited ({status}): address already in use",
                    bin.display()
                )
            }
            LaunchError::Exited(status) => write!(f, "{} exited ({status})", bin.display()),
            LaunchError::Timeout => write!(
                f,
                "{} did not answer PING within {READY_TIMEOUT:?}",
                bin.display()
            ),
            LaunchError::Spawn(e) => write!(f, "cannot spawn {}: {e}", bin.display()),
        }
    }
}

impl Server {
    /// Start a plain-TCP server on a free port (see [`ServerBuilder::start`]).
    pub fn start() -> Server {
        ServerBuilder::default().start()
    }

    /// A builder for servers with a password, ACL users, unix socket, TLS, extra args.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The host the server listens on: always `"127.0.0.1"`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// The plain TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `"127.0.0.1:PORT"` (plain TCP).
    pub fn addr(&self) -> String {
        format!("{HOST}:{}", self.port)
    }

    /// `"redis://127.0.0.1:PORT"` (plain TCP, no credentials).
    pub fn url(&self) -> String {
        format!("redis://{HOST}:{}", self.port)
    }

    /// The unix socket path, if started with [`ServerBuilder::unix_socket`].
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix_path.as_deref()
    }

    /// The TLS port, if started with [`ServerBuilder::tls`].
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// The generated certificates, if started with [`ServerBuilder::tls`].
    pub fn tls_files(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The `requirepass` password, if one was set with [`ServerBuilder::password`].
    pub fn password(&self) -> Option<&str> {
        self.config.password.as_deref()
    }

    /// SIGKILL the server now and wait for it: afterwards the process is gone and its
    /// ports are free. No-op if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start the server again with the same ports, unix socket, config and certificates,
    /// and wait until it answers `PING`. Kills it first if it is still running. Data is not
    /// kept (no persistence). Panics with the log tail if it does not come back.
    pub fn restart(&mut self) {
        self.kill();
        for attempt in 1..=LAUNCH_ATTEMPTS {
            match self.launch() {
                Ok(()) => return,
                // Someone grabbed our port in the meantime: wait a little for it to go.
                Err(LaunchError::AddrInUse(_)) if attempt < LAUNCH_ATTEMPTS => {
                    thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!(
                    "test server did not restart on port {} (attempt {attempt}/{}): {e}\n{}",
                    self.port,
                    LAUNCH_ATTEMPTS,
                    self.log_tail()
                ),
            }
        }
    }

    /// Whether the server process is still alive.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// The process id of the server (of its last incarnation if it was killed).
    pub fn pid(&self) -> u32 {
        self.last_pid
    }

    /// The server's temp dir (its `--dir`; holds `server.log`, `stdout.log`, `tls/`, and
    /// normally the unix socket).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last ~30 lines of the server log, plus anything the server printed to
    /// stdout/stderr (config errors end up there): for failure messages.
    pub fn log_tail(&self) -> String {
        let log = self.dir.path().join("server.log");
        let mut out = format!(
            "--- {} (last {LOG_TAIL_LINES} lines) ---\n{}",
            log.display(),
            tail_lines(&read_lossy(&log, 0), LOG_TAIL_LINES)
        );
        let stdout = read_lossy(&self.dir.path().join("stdout.log"), 0);
        if !stdout.trim().is_empty() {
            out.push_str("--- server stdout/stderr ---\n");
            out.push_str(&tail_lines(&stdout, LOG_TAIL_LINES));
        }
        out.push_str("--- end of server log ---");
        out
    }

    /// Send one command on a fresh raw TCP connection (after `AUTH <password>` if a
    /// password is set) and return the reply as text:
    /// simple strings, bulk strings, doubles, big numbers as their text; integers in
    /// decimal; nil as `"(nil)"`; booleans as `"true"`/`"false"`; errors as
    /// `"(error) <message>"`; arrays, sets, pushes and maps as their elements rendered
    /// recursively and joined with `'\n'` (an empty array is `""`). If `AUTH` fails, its
    /// error is returned instead. Panics (with the log tail) on I/O errors.
    pub fn command(&self, args: &[&str]) -> String {
        let mut conn = self.connect_raw();
        if let Some(password) = self.config.password.as_deref() {
            let reply = self.call_raw(&mut conn, &["AUTH", password]);
            if let Reply::Error(_) = reply {
                return reply.render();
            }
        }
        self.call_raw(&mut conn, args).render()
    }

    /// Send several commands, in order, on ONE fresh raw TCP connection, without any
    /// automatic `AUTH`, and return each reply rendered as by [`Server::command`]. For
    /// tests of authentication (`AUTH`, `HELLO`, `ACL WHOAMI` on the same connection).
    pub fn raw_commands(&self, commands: &[&[&str]]) -> Vec<String> {
        let mut conn = self.connect_raw();
        commands
            .iter()
            .map(|args| self.call_raw(&mut conn, args).render())
            .collect()
    }

    fn connect_raw(&self) -> raw::Conn {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        raw::Conn::connect(addr, COMMAND_TIMEOUT).unwrap_or_else(|e| {
            panic!(
                "cannot connect to test server {addr}: {e}\n{}",
                self.log_tail()
            )
        })
    }

    fn call_raw(&self, conn: &mut raw::Conn, args: &[&str]) -> Reply {
        conn.call(args).unwrap_or_else(|e| {
            panic!(
                "raw command {args:?} to test server {} failed: {e}\n{}",
                self.addr(),
                self.log_tail()
            )
        })
    }

    fn server_args(&self) -> Vec<OsString> {
        let dir = self.dir.path();
        let mut args: Vec<OsString> = Vec::new();
        let mut opt = |name: &str, value: &dyn AsRef<std::ffi::OsStr>| {
            args.push(name.into());
            args.push(value.as_ref().to_owned());
        };
        opt("--port", &self.port.to_string());
        opt("--bind", &HOST);
        opt("--save", &"");
        opt("--appendonly", &"no");
        opt("--daemonize", &"no");
        opt("--dir", &dir);
        opt("--logfile", &dir.join("server.log"));
        if server_major_minor().0 >= 7 {
            // DEBUG is disabled by default since 7.0 (and the option does not exist before).
            opt("--enable-debug-command", &"yes");
        }
        if self.config.cluster {
            opt("--cluster-enabled", &"yes");
            opt("--cluster-config-file", &dir.join("nodes.conf"));
        }
        if let Some(path) = &self.unix_path {
            opt("--unixsocket", path);
            opt("--unixsocketperm", &"700");
        }
        if let (Some(tls_port), Some(files)) = (self.tls_port, &self.tls) {
            opt("--tls-port", &tls_port.to_string());
            opt("--tls-cert-file", &files.server_cert);
            opt("--tls-key-file", &files.server_key);
            opt("--tls-ca-cert-file", &files.ca_cert);
            let auth = if self.config.tls_auth_clients {
                "yes"
            } else {
                "optional"
            };
            opt("--tls-auth-clients", &auth);
            let cluster_tls = self.config.cluster && self.config.cluster_tls;
            if cluster_tls {
                opt("--tls-cluster", &"yes");
                opt(
                    "--cluster-port",
                    &(u32::from(self.port) + 10000).to_string(),
                );
            }
            if cluster_tls || self.config.tls_replication {
                opt("--tls-replication", &"yes");
                opt("--tls-client-cert-file", &files.client_cert);
                opt("--tls-client-key-file", &files.client_key);
            }
        }
        if let Some(password) = &self.config.password {
            opt("--requirepass", password);
        }
        for (user, pass) in &self.config.acl_users {
            let line = format!("--user {user} on >{pass} ~* &* +@all");
            args.extend(line.split(' ').map(OsString::from));
        }
        args.extend(self.config.extra_args.iter().map(OsString::from));
        args
    }

    /// Spawn the process with the current ports and wait until it is ready.
    fn launch(&mut self) -> Result<(), LaunchError> {
        let dir = self.dir.path().to_path_buf();
        let log = dir.join("server.log");
        let stdout_log = dir.join("stdout.log");
        let log_offset = file_len(&log);
        let stdout_offset = file_len(&stdout_log);
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stdout_log)
            .map_err(LaunchError::Spawn)?;
        let mut cmd = Command::new(server_bin());
        if let Some(config) = &self.config.sentinel {
            // Sentinel wants its (writable) config file first, then `--sentinel`.
            let path = dir.join("sentinel.conf");
            if !path.exists() {
                fs::write(&path, format!("{config}\n")).map_err(LaunchError::Spawn)?;
            }
            cmd.arg(path).arg("--sentinel");
        }
        cmd.args(self.server_args())
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().map_err(LaunchError::Spawn)?)
            .stderr(out);
        let child = spawn_server(cmd).map_err(LaunchError::Spawn)?;
        self.last_pid = child.id();
        self.child = Some(child);

        let started = Instant::now();
        let mut answering_since: Option<Instant> = None;
        let mut pause = Duration::from_millis(5);
        loop {
            let child = self.child.as_mut().expect("child set above");
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                let output = read_lossy(&log, log_offset) + &read_lossy(&stdout_log, stdout_offset);
                return Err(if output.contains("Address already in use") {
                    LaunchError::AddrInUse(status)
                } else {
                    LaunchError::Exited(status)
                });
            }
            if started.elapsed() > READY_TIMEOUT {
                self.kill();
                return Err(LaunchError::Timeout);
            }
            if self.answers_ping() && self.other_listeners_up() {
                // Make sure it is our process answering, not a stranger on a stolen port:
                // ours logs "Ready to accept connections" (unless the log level hides it,
                // hence the fallback of staying alive while answering for a moment).
                let since = *answering_since.get_or_insert_with(Instant::now);
                if read_lossy(&log, log_offset).contains("Ready to accept connections")
                    || since.elapsed() >= Duration::from_millis(300)
                {
                    return Ok(());
                }
            } else {
                answering_since = None;
            }
            thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// PING on the plain port: alive if it answers `+PONG`, or any error except `LOADING`
    /// (`-NOAUTH` when a password is required).
    fn answers_ping(&self) -> bool {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream.write_all(b"*1\r\n$4\r\nPING\r\n").is_err() {
            return false;
        }
        let mut line = String::new();
        if BufReader::new(stream).read_line(&mut line).is_err() {
            return false;
        }
        line.starts_with("+PONG") || (line.starts_with('-') && !line.starts_with("-LOADING"))
    }

    /// The unix socket exists and the TLS port accepts TCP connections (if configured).
    fn other_listeners_up(&self) -> bool {
        if let Some(path) = &self.unix_path {
            if std::os::unix::net::UnixStream::connect(path).is_err() {
                return false;
            }
        }
        if let Some(tls_port) = self.tls_port {
            let addr = SocketAddr::from(([127, 0, 0, 1], tls_port));
            if TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
                return false;
            }
        }
        true
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if self.external_socket {
            if let Some(path) = &self.unix_path {
                let _ = fs::remove_file(path);
            }
        }
        // `self.dir` (a TempDir) removes the directory when dropped right after this.
    }
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The file's contents from byte `offset` on, lossily decoded ("" if unreadable).
fn read_lossy(path: &Path, offset: u64) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = File::open(path) {
        if file.seek(SeekFrom::Start(offset)).is_ok() {
            let _ = file.read_to_end(&mut bytes);
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[lines.len().saturating_sub(n)..].join("\n");
    out.push('\n');
    out
}
