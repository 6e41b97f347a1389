//! Client configuration: where to connect, how to authenticate, timeouts, back-pressure and
//! protocol limits.
//!
//! Owns: [`Config`] and its [`ConfigBuilder`], the server address [`Addr`], the TLS settings
//! [`TlsConfig`] (in `tls.rs`), validation of all of them, parsing of `redis://`, `rediss://`
//! and `unix://` URLs (in `url.rs`, with the `url` crate), and every
//! default and connection-level timing, named below. (The multiplexer's own timings live in
//! `crate::pipe`; the protocol limits' defaults live with [`Limits`].)
//!
//! Must not: open sockets, read files (TLS files are read when a connection is made, by
//! `crate::connection`), log, or let a password or a private key reach `Debug` output, error
//! messages or logs. Errors about a URL never quote the URL itself, only the part that is
//! wrong, and never a part that can hold the password.
//!
//! Conventions: each setting has a getter on [`Config`] that states its default (the one place
//! in the docs that does), and a same-named setter on [`ConfigBuilder`] that links to it.
//! Setters take plain values; an optional setting is cleared with its `no_…` setter.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::cache::CacheConfig;
use crate::error::{Error, Result};
use crate::replicas::WaitForReplicas;
use crate::resp::Limits;

mod tls;
mod url;

pub(crate) use tls::Pem;
pub use tls::{TlsConfig, TlsConfigBuilder};
// For the Sentinel URL parser (`crate::sentinel`), which hands the rest to `url.rs`.
pub(crate) use url::{percent_decode, refuse_at_in_query, refuse_control_chars};

// ---------------------------------------------------------------------------------------------
// Defaults and connection-level timings: the one place they are written in code.
// ---------------------------------------------------------------------------------------------

/// The default Redis port.
pub(crate) const DEFAULT_PORT: u16 = 6379;
/// The host used when neither the builder nor the URL names one.
pub(crate) const DEFAULT_HOST: &str = "127.0.0.1";
/// The database selected after connecting.
pub(crate) const DEFAULT_DB: i64 = 0;
/// The RESP version spoken.
pub(crate) const DEFAULT_PROTOCOL_VERSION: u8 = 3;
/// [`Config::connect_timeout`].
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// [`Config::response_timeout`].
pub(crate) const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// [`Config::tcp_keepalive`].
pub(crate) const DEFAULT_TCP_KEEPALIVE: Duration = Duration::from_secs(60);
/// [`Config::max_in_flight`].
pub(crate) const DEFAULT_MAX_IN_FLIGHT: usize = 10_000;
/// [`Config::max_in_flight_bytes`].
pub(crate) const DEFAULT_MAX_IN_FLIGHT_BYTES: usize = 64 * 1024 * 1024;
/// How long writes wait for their replicas when a URL names `wait_replicas` but no
/// `wait_timeout`.
pub(crate) const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(1);
/// [`Config::max_dedicated_connections`].
pub(crate) const DEFAULT_MAX_DEDICATED_CONNECTIONS: usize = 16;
/// [`Config::shared_connections`].
pub(crate) const DEFAULT_SHARED_CONNECTIONS: usize = 1;
/// The most [`Config::shared_connections`] accepted.
pub(crate) const MAX_SHARED_CONNECTIONS: usize = 64;
/// [`Config::dedicated_idle_timeout`].
pub(crate) const DEFAULT_DEDICATED_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// [`Config::reconnect_min_backoff`].
pub(crate) const DEFAULT_RECONNECT_MIN_BACKOFF: Duration = Duration::from_millis(10);
/// [`Config::reconnect_max_backoff`].
pub(crate) const DEFAULT_RECONNECT_MAX_BACKOFF: Duration = Duration::from_secs(2);
/// Timeouts and back-offs longer than this (one year) are capped to it, so that deadline
/// arithmetic cannot overflow and `Duration::MAX` can mean "no limit".
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);
/// The shortest keepalive idle time accepted (the socket option counts whole seconds).
pub(crate) const MIN_TCP_KEEPALIVE: Duration = Duration::from_secs(1);
/// The longest keepalive idle time and interval Linux accepts (`TCP_KEEPIDLE`,
/// `TCP_KEEPINTVL`); longer settings make `setsockopt` fail, so they are capped to it.
pub(crate) const MAX_TCP_KEEPALIVE: Duration = Duration::from_secs(32_767);
/// The shortest interval between keepalive probes (sent every idle time / 3).
pub(crate) const MIN_TCP_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(1);
/// Keepalive probes sent without an answer before the connection is dropped.
pub(crate) const TCP_KEEPALIVE_RETRIES: u32 = 3;

/// Where a server listens: a TCP host and port, or a unix socket path.
///
/// `Display` prints `host:port` (IPv6 hosts in brackets: `[::1]:6379`) or `unix:/path`; this
/// is the form used for the node in error messages, and the form [`FromStr`] parses back (a
/// missing port is 6379):
///
/// ```
/// use coredis::Addr;
/// let a: Addr = "[::1]:6380".parse()?;
/// assert_eq!(a, Addr::tcp("::1", 6380));
/// assert_eq!(Addr::try_from("unix:/run/redis.sock")?, Addr::unix("/run/redis.sock"));
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum Addr {
    /// A TCP address. `host` is a name or an IP address (IPv6 without brackets).
    Tcp {
        /// Host name or IP address; names are resolved when connecting.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// A unix domain socket path.
    Unix(PathBuf),
}

impl Addr {
    /// A TCP address.
    pub fn tcp(host: impl Into<String>, port: u16) -> Addr {
        Addr::Tcp {
            host: host.into(),
            port,
        }
    }

    /// A unix socket address.
    pub fn unix(path: impl Into<PathBuf>) -> Addr {
        Addr::Unix(path.into())
    }
}

impl Default for Addr {
    /// `127.0.0.1:6379`.
    fn default() -> Addr {
        Addr::tcp(DEFAULT_HOST, DEFAULT_PORT)
    }
}

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Addr::Tcp { host, port } => write!(f, "{host}:{port}"),
            Addr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl FromStr for Addr {
    type Err = Error;

    /// Parses `host`, `host:port`, `[ipv6]`, `[ipv6]:port` or `unix:/path` (the `Display`
    /// form).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for an empty host or path, a port that
    /// is not 1 to 65535, an IPv6 address without brackets, or a URL (use
    /// [`Config::from_url`] for those).
    fn from_str(s: &str) -> Result<Addr> {
        url::parse_addr(s)
    }
}

impl TryFrom<&str> for Addr {
    type Error = Error;

    /// Like [`str::parse`]; see [`Addr::from_str`](#method.from_str).
    fn try_from(s: &str) -> Result<Addr> {
        s.parse()
    }
}

/// Everything the client needs to know to connect to a server and talk to it.
///
/// Build one with [`Config::builder`], [`Config::from_url`] or `str::parse` (the same URL
/// forms); read it with the getters, each of which states its default. `Debug` prints the
/// password (and an in-memory TLS key) as `"***"`.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    addr: Addr,
    tls: Option<TlsConfig>,
    username: Option<String>,
    password: Option<String>,
    db: i64,
    protocol_version: u8,
    client_name: Option<String>,
    connect_timeout: Duration,
    response_timeout: Duration,
    tcp_keepalive: Option<Duration>,
    max_in_flight: usize,
    max_in_flight_bytes: usize,
    max_dedicated_connections: usize,
    shared_connections: usize,
    dedicated_idle_timeout: Duration,
    reconnect_min_backoff: Duration,
    reconnect_max_backoff: Duration,
    limits: Limits,
    /// Send `READONLY` after the handshake (a cluster client's replica connections).
    read_only: bool,
    /// Client-side caching, when asked for.
    cache: Option<CacheConfig>,
    /// Send this `CLIENT TRACKING` command after the handshake (a caching client's shared
    /// connection; set per connection by its connector).
    tracking: Option<Vec<Vec<u8>>>,
    /// Which failed commands are sent again.
    retry: crate::retry::RetryPolicy,
    /// The pauses between attempts.
    retry_backoff: crate::retry::Backoff,
    /// `WAIT` after every write, when asked for.
    wait_for_replicas: Option<WaitForReplicas>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            addr: Addr::default(),
            tls: None,
            username: None,
            password: None,
            db: DEFAULT_DB,
            protocol_version: DEFAULT_PROTOCOL_VERSION,
            client_name: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            tcp_keepalive: Some(DEFAULT_TCP_KEEPALIVE),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            max_in_flight_bytes: DEFAULT_MAX_IN_FLIGHT_BYTES,
            max_dedicated_connections: DEFAULT_MAX_DEDICATED_CONNECTIONS,
            shared_connections: DEFAULT_SHARED_CONNECTIONS,
            dedicated_idle_timeout: DEFAULT_DEDICATED_IDLE_TIMEOUT,
            reconnect_min_backoff: DEFAULT_RECONNECT_MIN_BACKOFF,
            reconnect_max_backoff: DEFAULT_RECONNECT_MAX_BACKOFF,
            limits: Limits::default(),
            read_only: false,
            cache: None,
            tracking: None,
            retry: crate::retry::RetryPolicy::Never,
            retry_backoff: crate::retry::Backoff::new(),
            wait_for_replicas: None,
        }
    }
}

impl Config {
    /// Whether connections send `READONLY` after the handshake (cluster replicas).
    pub(crate) fn read_only(&self) -> bool {
        self.read_only
    }

    /// The `CLIENT TRACKING` command sent after the handshake, if any.
    pub(crate) fn tracking(&self) -> Option<&[Vec<u8>]> {
        self.tracking.as_deref()
    }

    /// This configuration sending `args` (a `CLIENT TRACKING` command) after the handshake.
    pub(crate) fn with_tracking(&self, args: Vec<Vec<u8>>) -> Config {
        let mut c = self.clone();
        c.tracking = Some(args);
        c
    }

    /// Which failed commands are sent again: [`crate::RetryPolicy::Never`] by default. See
    /// [`ConfigBuilder::retry`].
    pub fn retry(&self) -> crate::retry::RetryPolicy {
        self.retry
    }

    /// The pauses between retries and how many attempts are made (default
    /// [`crate::Backoff::new`]). See [`ConfigBuilder::retry_backoff`].
    pub fn retry_backoff(&self) -> crate::retry::Backoff {
        self.retry_backoff
    }

    /// Client-side caching settings; `None` (the default) for no cache. See
    /// [`ConfigBuilder::cache`].
    pub fn cache(&self) -> Option<&CacheConfig> {
        self.cache.as_ref()
    }

    /// How many replicas must acknowledge a write before the client reports it done; `None`
    /// (the default) for none. See [`ConfigBuilder::wait_for_replicas`].
    pub fn wait_for_replicas(&self) -> Option<WaitForReplicas> {
        self.wait_for_replicas
    }

    /// This configuration for another address, optionally sending `READONLY` after the
    /// handshake (a cluster node, a replica).
    pub(crate) fn for_node(&self, addr: Addr, read_only: bool) -> Config {
        let mut c = self.clone();
        c.addr = addr;
        c.read_only = read_only;
        c
    }

    /// A builder starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// A builder starting from this configuration, to derive a changed copy.
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder {
            config: self.clone(),
        }
    }

    /// Parses a URL into a validated configuration; see [`ConfigBuilder::from_url`] for the
    /// accepted forms. `"redis://…".parse::<Config>()` and `Config::try_from("redis://…")` do
    /// the same.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the URL is malformed (the message
    /// names the part, never the password) or a setting is invalid (see
    /// [`ConfigBuilder::build`]); also for `rediss://` when the crate was built without its
    /// `tls` feature.
    pub fn from_url(url: &str) -> Result<Config> {
        ConfigBuilder::from_url(url)?.build()
    }

    /// The server's address. Defaults to `127.0.0.1:6379`.
    pub fn addr(&self) -> &Addr {
        &self.addr
    }

    /// TLS settings; `Some` means connect with TLS (which needs the crate's `tls` feature, on by
    /// default). Defaults to `None`.
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }

    /// The ACL user to authenticate as. When only a password is set, the user is `default`;
    /// a user without a password authenticates with an empty one (ACL users with `nopass`,
    /// or whose password is empty). Never empty: an empty user name means none, in URLs and
    /// in the builder alike. Defaults to `None`.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The password to authenticate with. With neither a password nor a username there is
    /// no authentication. Never empty: an empty password means none, in URLs and in the
    /// builder alike. Defaults to `None`.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Who to authenticate as, if anyone: `(user, password)`, the user `default` when only a
    /// password is set and an empty password when only a user is.
    pub(crate) fn credentials(&self) -> Option<(&str, &str)> {
        match (&self.username, &self.password) {
            (None, None) => None,
            (user, password) => Some((
                user.as_deref().unwrap_or("default"),
                password.as_deref().unwrap_or(""),
            )),
        }
    }

    /// The database selected after connecting (`SELECT`, when not 0). Defaults to `0`.
    pub fn db(&self) -> i64 {
        self.db
    }

    /// The RESP version to speak: 2 or 3. With 3, servers older than 6.0 are refused; with 2,
    /// servers without `HELLO` are supported. Defaults to `3`.
    pub fn protocol_version(&self) -> u8 {
        self.protocol_version
    }

    /// The connection name set with `HELLO … SETNAME` (or `CLIENT SETNAME`); printable ASCII
    /// without spaces. Defaults to `None`.
    pub fn client_name(&self) -> Option<&str> {
        self.client_name.as_deref()
    }

    /// The time allowed for connecting, the TLS handshake and the Redis handshake (`HELLO`,
    /// `AUTH`, `SELECT`) together. Host name resolution is not bounded by it. At most one year
    /// (longer settings, `Duration::MAX` included, are capped: "no limit"). Defaults to `5 s`.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The time a request may wait for its reply before it fails with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout). At most one year (longer settings,
    /// `Duration::MAX` included, are capped: "no limit"). Defaults to `10 s`.
    pub fn response_timeout(&self) -> Duration {
        self.response_timeout
    }

    /// TCP keepalive idle time (at least one second), or `None` for keepalive off. Linux
    /// accepts at most 32,767 s; longer idle times use that. Defaults to `Some(60 s)`.
    pub fn tcp_keepalive(&self) -> Option<Duration> {
        self.tcp_keepalive
    }

    /// How many requests may be submitted but not yet answered on one connection before
    /// further submitters block (back-pressure). Defaults to `10_000`.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// How many bytes of requests (their encoded size) may be queued or unanswered on the
    /// shared connection before further submitters block, within their response timeout
    /// (back-pressure by size, next to [`Config::max_in_flight`]'s count). A single request
    /// larger than this is still sent when nothing else is queued. Defaults to 64 MiB.
    pub fn max_in_flight_bytes(&self) -> usize {
        self.max_in_flight_bytes
    }

    /// How many dedicated connections (for blocking commands and [`crate::Redis::dedicated`])
    /// may be open at once; a caller needing one more waits up to its response timeout.
    /// Defaults to `16`.
    pub fn max_dedicated_connections(&self) -> usize {
        self.max_dedicated_connections
    }

    /// How many shared (multiplexed) connections a client keeps to each server. Every thread
    /// sticks to one of them (threads are spread over them in the order they first send), so
    /// a thread's commands stay in order. Defaults to `1`, the fastest from about 16 threads
    /// on: one connection lets the most commands share a `write` and a `read`. With a few
    /// busy threads, one connection each behaves like a connection per thread — one `write`
    /// and one `read` per command and no hand-off between threads (measured in
    /// `benches/compare.rs`, `threads-4`). [`Config::max_in_flight`] and
    /// [`Config::max_in_flight_bytes`] hold per connection. Client-side caching needs `1`.
    pub fn shared_connections(&self) -> usize {
        self.shared_connections
    }

    /// How long an idle dedicated connection is kept for reuse before it is closed (checked
    /// when connections are taken from the pool). Defaults to `60 s`.
    pub fn dedicated_idle_timeout(&self) -> Duration {
        self.dedicated_idle_timeout
    }

    /// The first delay before reconnecting after a connection is lost; it doubles on each
    /// failed attempt. Defaults to `10 ms`.
    pub fn reconnect_min_backoff(&self) -> Duration {
        self.reconnect_min_backoff
    }

    /// The longest delay between reconnection attempts (at most one year). Defaults to `2 s`.
    pub fn reconnect_max_backoff(&self) -> Duration {
        self.reconnect_max_backoff
    }

    /// Bounds on what the server may send (nesting, string and aggregate sizes). Defaults to
    /// [`Limits::default()`].
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

impl FromStr for Config {
    type Err = Error;

    /// [`Config::from_url`].
    ///
    /// # Errors
    ///
    /// As [`Config::from_url`].
    fn from_str(url: &str) -> Result<Config> {
        Config::from_url(url)
    }
}

impl TryFrom<&str> for Config {
    type Error = Error;

    /// [`Config::from_url`].
    fn try_from(url: &str) -> Result<Config> {
        Config::from_url(url)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("db", &self.db)
            .field("protocol_version", &self.protocol_version)
            .field("client_name", &self.client_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("tcp_keepalive", &self.tcp_keepalive)
            .field("max_in_flight", &self.max_in_flight)
            .field("max_in_flight_bytes", &self.max_in_flight_bytes)
            .field("max_dedicated_connections", &self.max_dedicated_connections)
            .field("shared_connections", &self.shared_connections)
            .field("dedicated_idle_timeout", &self.dedicated_idle_timeout)
            .field("reconnect_min_backoff", &self.reconnect_min_backoff)
            .field("reconnect_max_backoff", &self.reconnect_max_backoff)
            .field("limits", &self.limits)
            .field("cache", &self.cache)
            .field("retry", &self.retry)
            .field("retry_backoff", &self.retry_backoff)
            .field("wait_for_replicas", &self.wait_for_replicas)
            .finish()
    }
}

/// Builds a [`Config`]: one setter per setting, named like the [`Config`] getter (which states
/// the default), then [`build`](ConfigBuilder::build) to validate. Setters take plain values;
/// `no_password()`, `no_username()`, `no_client_name()`, `no_tls()` and `no_tcp_keepalive()`
/// clear.
///
/// ```
/// use std::time::Duration;
/// let config = coredis::Config::builder()
///     .addr(coredis::Addr::tcp("localhost", 6380))
///     .password("secret")
///     .response_timeout(Duration::from_secs(2))
///     .build()?;
/// assert_eq!(config.addr().to_string(), "localhost:6380");
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Clone, Default)]
#[must_use = "a ConfigBuilder does nothing until .build()"]
pub struct ConfigBuilder {
    config: Config,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConfigBuilder").field(&self.config).finish()
    }
}

impl ConfigBuilder {
    /// A builder starting from the settings in a URL (not yet validated as a whole; `build`
    /// does that). Accepted forms:
    ///
    /// - `redis://[user[:password]@]host[:port][/db][?query]`
    /// - `rediss://…`, the same with TLS (needs the `tls` feature, on by default)
    /// - `unix:///path/to/socket[?query]`, `unix://[user[:password]@]/path[?query]`,
    ///   `unix:/path`, and `redis+unix://` like `unix://`
    ///
    /// The user, password, socket path and query values are percent-decoded (a `@`, `?`, `#`
    /// or `%` in a password must be written `%40`, `%3F`, `%23`, `%25`); an empty user or
    /// password means none. IPv6 hosts are written in brackets (`redis://[::1]:6380`). The
    /// port defaults to 6379 and the host to 127.0.0.1. The database comes from the path
    /// (`/2`) or the `db` query parameter, which wins.
    ///
    /// Query parameters: `db`, `protocol` (2 or 3), `timeout` (response timeout in seconds,
    /// fractions allowed), `connect_timeout` (seconds), `client_name`, `max_in_flight`,
    /// `max_in_flight_bytes`, `wait_replicas` and `wait_timeout` (seconds, default 1; see
    /// [`ConfigBuilder::wait_for_replicas`]); and
    /// with `rediss://` only: `tls_ca_file` (alias `ssl_ca_certs`), `tls_cert_file` (alias
    /// `ssl_certfile`), `tls_key_file` (alias `ssl_keyfile`), `tls_insecure=true|false`
    /// (alias `ssl_cert_reqs=none|required`) and `tls_server_name`. Unknown parameters and bad
    /// values are errors that name the parameter.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a malformed URL, an unknown scheme
    /// or query parameter, or a value that does not parse; the message names the part, never
    /// the password.
    pub fn from_url(url: &str) -> Result<ConfigBuilder> {
        url::parse_url(url)
    }

    /// Sets [`Config::addr`].
    pub fn addr(mut self, addr: Addr) -> Self {
        self.config.addr = addr;
        self
    }

    /// Sets [`Config::tls`]: connect with TLS, with these settings (`TlsConfig::default()`
    /// for the system's roots and full verification).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.tls = Some(tls);
        self
    }

    /// Clears [`Config::tls`]: connect without TLS.
    pub fn no_tls(mut self) -> Self {
        self.config.tls = None;
        self
    }

    /// Sets [`Config::username`]. An empty name means none, as in a URL.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.config.username = Some(username.into()).filter(|u| !u.is_empty());
        self
    }

    /// Clears [`Config::username`].
    pub fn no_username(mut self) -> Self {
        self.config.username = None;
        self
    }

    /// Sets [`Config::password`]. An empty password means none, as in a URL.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.config.password = Some(password.into()).filter(|p| !p.is_empty());
        self
    }

    /// Clears [`Config::password`].
    pub fn no_password(mut self) -> Self {
        self.config.password = None;
        self
    }

    /// Sets [`Config::db`] (not negative).
    pub fn db(mut self, db: i64) -> Self {
        self.config.db = db;
        self
    }

    /// Sets [`Config::protocol_version`] (2 or 3).
    pub fn protocol_version(mut self, version: u8) -> Self {
        self.config.protocol_version = version;
        self
    }

    /// Sets [`Config::client_name`] (non-empty printable ASCII without spaces).
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.config.client_name = Some(name.into());
        self
    }

    /// Clears [`Config::client_name`].
    pub fn no_client_name(mut self) -> Self {
        self.config.client_name = None;
        self
    }

    /// Sets [`Config::connect_timeout`] (non-zero; `Duration::MAX` for no limit).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Sets [`Config::response_timeout`] (non-zero; `Duration::MAX` for no limit).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.config.response_timeout = timeout;
        self
    }

    /// Sets [`Config::tcp_keepalive`] (at least one second) and turns keepalive on.
    pub fn tcp_keepalive(mut self, idle: Duration) -> Self {
        self.config.tcp_keepalive = Some(idle);
        self
    }

    /// Clears [`Config::tcp_keepalive`]: keepalive off.
    pub fn no_tcp_keepalive(mut self) -> Self {
        self.config.tcp_keepalive = None;
        self
    }

    /// Sets [`Config::max_in_flight`] (at least 1).
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.config.max_in_flight = max;
        self
    }

    /// Sets [`Config::max_in_flight_bytes`] (at least 1).
    pub fn max_in_flight_bytes(mut self, max: usize) -> Self {
        self.config.max_in_flight_bytes = max;
        self
    }

    /// Sets [`Config::max_dedicated_connections`] (at least 1).
    pub fn max_dedicated_connections(mut self, max: usize) -> Self {
        self.config.max_dedicated_connections = max;
        self
    }

    /// Sets [`Config::shared_connections`] (from 1 to 64).
    ///
    /// ```
    /// let config = coredis::Config::builder().shared_connections(4).build()?;
    /// assert_eq!(config.shared_connections(), 4);
    /// # Ok::<(), coredis::Error>(())
    /// ```
    pub fn shared_connections(mut self, n: usize) -> Self {
        self.config.shared_connections = n;
        self
    }

    /// Sets [`Config::dedicated_idle_timeout`].
    pub fn dedicated_idle_timeout(mut self, idle: Duration) -> Self {
        self.config.dedicated_idle_timeout = idle;
        self
    }

    /// Sets [`Config::reconnect_min_backoff`] (non-zero, at most the maximum).
    pub fn reconnect_min_backoff(mut self, backoff: Duration) -> Self {
        self.config.reconnect_min_backoff = backoff;
        self
    }

    /// Sets [`Config::reconnect_max_backoff`].
    pub fn reconnect_max_backoff(mut self, backoff: Duration) -> Self {
        self.config.reconnect_max_backoff = backoff;
        self
    }

    /// Turns client-side caching on (see [`crate::CacheConfig`] and the `cache` module docs):
    /// replies of cacheable reads are kept in the client and dropped when the server says their
    /// keys changed. Needs Redis 6 or later. Each node the client talks to gets one more
    /// connection, for the invalidations.
    pub fn cache(mut self, cache: CacheConfig) -> Self {
        self.config.cache = Some(cache);
        self
    }

    /// Sets [`Config::retry`]: which failed commands the client sends again (see
    /// [`crate::RetryPolicy`] for the rules; [`crate::Redis::with_retry`] overrides it per
    /// call). Every retry stays within the command's response timeout.
    pub fn retry(mut self, policy: crate::retry::RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Sets [`Config::retry_backoff`]: the pauses between retries and the number of attempts.
    pub fn retry_backoff(mut self, backoff: crate::retry::Backoff) -> Self {
        self.config.retry_backoff = backoff;
        self
    }

    /// Every write is acknowledged only once `replicas` replicas have it: the client sends
    /// `WAIT replicas timeout` after each write (a single command, a blocking one, a pipeline
    /// holding writes, a transaction) and returns the write's reply only if enough replicas
    /// acknowledged it within `timeout`; otherwise the call fails with
    /// [`ErrorKind::NotReplicated`](crate::ErrorKind::NotReplicated) (the write ran on the
    /// primary and may or may not survive a failover). An error reply to the write itself is
    /// returned as it is. Which commands are writes: [`crate::Request::is_write`].
    ///
    /// This closes the window that asynchronous replication leaves open in a failover
    /// (Sentinel or cluster): without it, a primary acknowledges writes its replicas have not
    /// received, and a promoted replica does not have them. The cost is a round trip from the
    /// primary to a replica per write, during which the server holds the connection's later
    /// commands; see the `replicas` module docs. `timeout` must be shorter than the response
    /// timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// let config = coredis::Config::builder()
    ///     .wait_for_replicas(1, Duration::from_millis(500))
    ///     .build()?;
    /// assert_eq!(config.wait_for_replicas().map(|w| w.replicas()), Some(1));
    /// # Ok::<(), coredis::Error>(())
    /// ```
    pub fn wait_for_replicas(mut self, replicas: u32, timeout: Duration) -> Self {
        self.config.wait_for_replicas = Some(WaitForReplicas::new(replicas, timeout));
        self
    }

    /// Writes are acknowledged by the primary alone (the default).
    pub fn no_wait_for_replicas(mut self) -> Self {
        self.config.wait_for_replicas = None;
        self
    }

    /// Turns client-side caching off (the default).
    pub fn no_cache(mut self) -> Self {
        self.config.cache = None;
        self
    }

    /// Sets [`Config::limits`].
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Validates the settings and returns the configuration. Timeouts and back-offs longer
    /// than one year are capped to a year.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for: a protocol version other than 2
    /// or 3; a zero connect or response timeout; a keepalive under one second; a
    /// `max_in_flight` of 0; a cache with a zero `max_bytes` or `max_entries`; zero or inverted
    /// reconnect back-offs; a negative db; `wait_for_replicas` with no replica, a zero timeout
    /// or one not shorter than the response timeout; a client name that is empty or has spaces or
    /// non-printable characters; an empty host, port 0 or
    /// an empty socket path; TLS when the crate was built without its `tls` feature; TLS with
    /// a unix socket; a client certificate without a key or the reverse; an empty TLS server
    /// name. The message never quotes the password.
    pub fn build(self) -> Result<Config> {
        let mut c = self.config;
        for d in [
            &mut c.connect_timeout,
            &mut c.response_timeout,
            &mut c.reconnect_min_backoff,
            &mut c.reconnect_max_backoff,
        ] {
            *d = (*d).min(MAX_DURATION);
        }
        if c.protocol_version != 2 && c.protocol_version != 3 {
            return Err(Error::config(format!(
                "protocol_version must be 2 or 3, not {}",
                c.protocol_version
            )));
        }
        if c.connect_timeout.is_zero() {
            return Err(Error::config("connect_timeout must not be zero"));
        }
        if c.response_timeout.is_zero() {
            return Err(Error::config("response_timeout must not be zero"));
        }
        if c.tcp_keepalive.is_some_and(|k| k < MIN_TCP_KEEPALIVE) {
            return Err(Error::config(
                "tcp_keepalive must be at least one second (or no_tcp_keepalive() to turn it off)",
            ));
        }
        if c.max_in_flight_bytes == 0 {
            return Err(Error::config("max_in_flight_bytes must be at least 1"));
        }
        if c.max_dedicated_connections == 0 {
            return Err(Error::config(
                "max_dedicated_connections must be at least 1",
            ));
        }
        if c.max_in_flight == 0 {
            return Err(Error::config("max_in_flight must be at least 1"));
        }
        if c.shared_connections == 0 || c.shared_connections > MAX_SHARED_CONNECTIONS {
            return Err(Error::config(format!(
                "shared_connections must be from 1 to {MAX_SHARED_CONNECTIONS}, not {}",
                c.shared_connections
            )));
        }
        if c.cache.is_some() && c.shared_connections > 1 {
            return Err(Error::config(
                "client-side caching needs shared_connections(1): the cache orders its stores \
                 by the order of one connection",
            ));
        }
        if c.reconnect_min_backoff.is_zero() {
            return Err(Error::config("reconnect_min_backoff must not be zero"));
        }
        if c.reconnect_min_backoff > c.reconnect_max_backoff {
            return Err(Error::config(
                "reconnect_min_backoff must not exceed reconnect_max_backoff",
            ));
        }
        if let Some(cache) = &c.cache {
            if cache.max_bytes == 0 || cache.max_entries == 0 {
                return Err(Error::config(
                    "the cache's max_bytes and max_entries must be at least 1",
                ));
            }
        }
        if c.db < 0 {
            return Err(Error::config(format!(
                "db must not be negative, not {}",
                c.db
            )));
        }
        if let Some(name) = &c.client_name {
            if name.is_empty() || !name.bytes().all(|b| (b'!'..=b'~').contains(&b)) {
                return Err(Error::config(
                    "client_name must be non-empty printable ASCII without spaces",
                ));
            }
        }
        match &c.addr {
            Addr::Tcp { host, port } => {
                if host.is_empty() {
                    return Err(Error::config("the host must not be empty"));
                }
                if *port == 0 {
                    return Err(Error::config("the port must not be 0"));
                }
            }
            Addr::Unix(path) => {
                if path.as_os_str().is_empty() {
                    return Err(Error::config("the unix socket path must not be empty"));
                }
                if c.tls.is_some() {
                    return Err(Error::config("TLS is not supported over unix sockets"));
                }
            }
        }
        if let Some(tls) = &c.tls {
            tls.validate()?;
        }
        if let Some(w) = &c.wait_for_replicas {
            if w.replicas() == 0 || w.timeout().is_zero() || w.timeout() >= c.response_timeout {
                return Err(Error::config(format!(
                    "wait_for_replicas needs at least one replica and a non-zero timeout shorter \
                     than the response timeout ({:?}), not {} replicas within {:?}",
                    c.response_timeout,
                    w.replicas(),
                    w.timeout()
                )));
            }
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn defaults() {
        let c = Config::default();
        assert_eq!(c.addr(), &Addr::tcp("127.0.0.1", 6379));
        assert_eq!(c.protocol_version(), 3);
        assert_eq!(c.db(), 0);
        assert_eq!(c.connect_timeout(), Duration::from_secs(5));
        assert_eq!(c.response_timeout(), Duration::from_secs(10));
        assert_eq!(c.tcp_keepalive(), Some(Duration::from_secs(60)));
        assert_eq!(c.max_in_flight(), 10_000);
        assert_eq!(c.reconnect_min_backoff(), Duration::from_millis(10));
        assert_eq!(c.reconnect_max_backoff(), Duration::from_secs(2));
        assert!(c.tls().is_none() && c.password().is_none() && c.username().is_none());
        assert_eq!(Config::builder().build().unwrap(), c);
    }

    #[test]
    fn builder_sets_everything() {
        let c = Config::builder()
            .addr(Addr::tcp("redis.example", 6380))
            .username("alice")
            .password(String::from("pw"))
            .db(3)
            .protocol_version(2)
            .client_name("worker-1")
            .connect_timeout(Duration::from_millis(250))
            .response_timeout(Duration::from_secs(1))
            .no_tcp_keepalive()
            .max_in_flight(5)
            .reconnect_min_backoff(Duration::from_millis(1))
            .reconnect_max_backoff(Duration::from_millis(100))
            .limits(Limits::default().with_max_depth(300))
            .build()
            .unwrap();
        assert_eq!(c.addr().to_string(), "redis.example:6380");
        assert_eq!(c.tls(), None);
        assert_eq!(c.username(), Some("alice"));
        assert_eq!(c.password(), Some("pw"));
        assert_eq!(c.db(), 3);
        assert_eq!(c.protocol_version(), 2);
        assert_eq!(c.client_name(), Some("worker-1"));
        assert_eq!(c.connect_timeout(), Duration::from_millis(250));
        assert_eq!(c.response_timeout(), Duration::from_secs(1));
        assert_eq!(c.tcp_keepalive(), None);
        assert_eq!(c.max_in_flight(), 5);
        assert_eq!(c.reconnect_min_backoff(), Duration::from_millis(1));
        assert_eq!(c.reconnect_max_backoff(), Duration::from_millis(100));
        assert_eq!(c.limits().max_depth(), 300);
        let again = c
            .to_builder()
            .tcp_keepalive(Duration::from_secs(5))
            .no_password()
            .no_username()
            .no_client_name()
            .build()
            .unwrap();
        assert_eq!(again.password(), None);
        assert_eq!(again.username(), None);
        assert_eq!(again.client_name(), None);
        assert_eq!(again.tcp_keepalive(), Some(Duration::from_secs(5)));
        assert_ne!(again, c);
        assert_eq!(again.to_builder().build().unwrap(), again);
    }

    #[cfg(feature = "tls")]
    #[test]
    fn builder_sets_tls() {
        let tls = TlsConfig::builder().insecure(true).server_name("r").build();
        let c = Config::builder().tls(tls.clone()).build().unwrap();
        assert_eq!(c.tls(), Some(&tls));
        assert_eq!(c.to_builder().no_tls().build().unwrap().tls(), None);
        assert_ne!(c, Config::default());
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn tls_needs_the_feature() {
        for e in [
            Config::builder()
                .tls(TlsConfig::default())
                .build()
                .unwrap_err(),
            Config::from_url("rediss://h").unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::Config, "{e}");
            assert!(e.to_string().contains("`tls` feature"), "{e}");
        }
    }

    #[test]
    fn empty_user_and_password_mean_none_as_in_urls() {
        let c = Config::builder().username("").password("").build().unwrap();
        assert_eq!((c.username(), c.password()), (None, None));
        assert_eq!(c.credentials(), None);
        assert_eq!(c, Config::from_url("redis://:@127.0.0.1").unwrap());
        let c = Config::builder()
            .username("bob")
            .password("")
            .build()
            .unwrap();
        assert_eq!(c.credentials(), Some(("bob", "")));
        assert_eq!(c, Config::from_url("redis://bob:@127.0.0.1").unwrap());
        // Setting an empty one clears an earlier one.
        let c = Config::builder()
            .password("x")
            .password("")
            .build()
            .unwrap();
        assert_eq!(c.password(), None);
    }

    #[test]
    fn config_from_str_and_equality() {
        let from_url = Config::from_url("redis://:pw@h:6380/2?protocol=2").unwrap();
        let parsed: Config = "redis://:pw@h:6380/2?protocol=2".parse().unwrap();
        let tried = Config::try_from("redis://:pw@h:6380/2?protocol=2").unwrap();
        let built = Config::builder()
            .addr(Addr::tcp("h", 6380))
            .password("pw")
            .db(2)
            .protocol_version(2)
            .build()
            .unwrap();
        assert_eq!(from_url, parsed);
        assert_eq!(from_url, tried);
        assert_eq!(from_url, built);
        assert_ne!(from_url, Config::default());
        let e = "http://h".parse::<Config>().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
    }

    #[test]
    fn builder_validation() {
        let bad = [
            Config::builder().protocol_version(4),
            Config::builder().protocol_version(1),
            Config::builder().connect_timeout(Duration::ZERO),
            Config::builder().response_timeout(Duration::ZERO),
            Config::builder().tcp_keepalive(Duration::from_millis(500)),
            Config::builder().client_name("has space"),
            Config::builder().client_name(""),
            Config::builder().client_name("new\nline"),
            Config::builder().max_in_flight(0),
            Config::builder().reconnect_min_backoff(Duration::ZERO),
            Config::builder().reconnect_min_backoff(Duration::from_secs(3)),
            Config::builder().db(-1),
            Config::builder().addr(Addr::tcp("", 1)),
            Config::builder().addr(Addr::tcp("h", 0)),
            Config::builder().addr(Addr::unix("")),
            Config::builder()
                .addr(Addr::unix("/tmp/s"))
                .tls(TlsConfig::default()),
            Config::builder().tls(TlsConfig::builder().client_cert_file("c.pem").build()),
            Config::builder().tls(TlsConfig::builder().client_key_pem("k").build()),
            Config::builder().tls(TlsConfig::builder().server_name("").build()),
        ];
        for b in bad {
            let dbg = format!("{b:?}");
            match b.build() {
                Ok(_) => panic!("accepted {dbg}"),
                Err(e) => assert_eq!(e.kind(), ErrorKind::Config, "{e}"),
            }
        }
    }

    #[test]
    fn addr_display() {
        assert_eq!(Addr::tcp("localhost", 6379).to_string(), "localhost:6379");
        assert_eq!(Addr::tcp("::1", 6380).to_string(), "[::1]:6380");
        assert_eq!(
            Addr::unix("/tmp/redis.sock").to_string(),
            "unix:/tmp/redis.sock"
        );
        assert_eq!(Addr::default().to_string(), "127.0.0.1:6379");
    }

    #[test]
    fn addr_from_str() {
        for addr in [
            Addr::tcp("localhost", 6379),
            Addr::tcp("10.0.0.1", 1),
            Addr::tcp("::1", 6380),
            Addr::unix("/tmp/redis.sock"),
        ] {
            assert_eq!(addr.to_string().parse::<Addr>().unwrap(), addr);
            assert_eq!(Addr::try_from(addr.to_string().as_str()).unwrap(), addr);
        }
        assert_eq!("h".parse::<Addr>().unwrap(), Addr::tcp("h", 6379));
        assert_eq!(
            "[fe80::1]".parse::<Addr>().unwrap(),
            Addr::tcp("fe80::1", 6379)
        );
        assert_eq!(
            "unix:///run/r.sock".parse::<Addr>().unwrap(),
            Addr::unix("/run/r.sock")
        );
        for bad in [
            "",
            ":6379",
            "h:0",
            "h:x",
            "h:65536",
            "::1",
            "[::1",
            "unix:",
            "redis://h",
            "a b",
        ] {
            let e = bad.parse::<Addr>().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{bad}: {e}");
            assert!(!e.to_string().contains("URL") || bad.contains("://"), "{e}");
        }
    }

    #[test]
    fn tls_config_debug_hides_an_in_memory_key() {
        let tls = TlsConfig::builder()
            .ca_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .client_cert_file("/c.pem")
            .client_key_pem("-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----")
            .build();
        let dbg = format!("{:?}", Config::builder().tls(tls.clone()));
        assert!(!dbg.contains("SECRETKEY"), "{dbg}");
        assert!(dbg.contains("Text(***)") && dbg.contains("/c.pem"), "{dbg}");
        assert_eq!(tls.client_cert_file(), Some("/c.pem".as_ref()));
        assert_eq!(tls.client_cert_pem(), None);
        assert!(tls
            .client_key_pem()
            .is_some_and(|k| k.contains("SECRETKEY")));
        // A file and in-memory text for the same item replace each other.
        let tls = tls.to_builder().client_cert_pem("x").ca_file("/ca").build();
        assert_eq!(tls.client_cert_file(), None);
        assert_eq!(tls.client_cert_pem(), Some("x"));
        assert_eq!((tls.ca_file(), tls.ca_pem()), (Some("/ca".as_ref()), None));
    }
}
