//! Client configuration: where to connect, how to authenticate, timeouts, back-pressure and
//! protocol limits.
//!
//! Owns: [`Config`] and its [`ConfigBuilder`], the server address [`Addr`], the TLS settings
//! [`TlsConfig`], validation of all of them, and parsing of `redis://`, `rediss://` and
//! `unix://` URLs (with a small percent-decoder; no URL crate).
//!
//! Must not: open sockets, read files (TLS files are read when a connection is made, by
//! `crate::connection`), log, or let a password reach `Debug` output, error messages or logs.
//! Errors about a URL never quote the URL itself, only the part that is wrong, and never a
//! part that can hold the password.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::resp::Limits;

/// The default Redis port.
const DEFAULT_PORT: u16 = 6379;
/// The host used when neither the builder nor the URL names one.
const DEFAULT_HOST: &str = "127.0.0.1";
/// Timeouts and back-offs longer than this (one year) are capped to it, so that deadline
/// arithmetic cannot overflow and `Duration::MAX` can mean "no limit".
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// Where a server listens: a TCP host and port, or a unix socket path.
///
/// `Display` prints `host:port` (IPv6 hosts in brackets: `[::1]:6379`) or `unix:/path`; this
/// is the form used for the node in error messages.
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

/// TLS settings for a `rediss://` connection.
///
/// Certificates and keys are PEM files, read when a connection is made. Build it by changing
/// the fields of the default:
///
/// ```
/// let mut tls = coredis::TlsConfig::default();
/// tls.ca_file = Some("/etc/redis/ca.crt".into());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsConfig {
    /// A PEM file with one or more CA certificates to trust, in addition to the system's
    /// roots. Defaults to `None`.
    pub ca_file: Option<PathBuf>,
    /// A PEM file with the client certificate (optionally followed by its chain) for mutual
    /// TLS; needs `client_key`. Defaults to `None`.
    pub client_cert: Option<PathBuf>,
    /// A PEM file with the client's unencrypted private key: PKCS#8 (`BEGIN PRIVATE KEY`),
    /// traditional RSA (`BEGIN RSA PRIVATE KEY`) or SEC1 EC (`BEGIN EC PRIVATE KEY`); the
    /// latter two are converted to PKCS#8, which the TLS backend requires. Encrypted keys are
    /// not supported. Needs `client_cert`. Defaults to `None`.
    pub client_key: Option<PathBuf>,
    /// Accept any server certificate and any host name: no verification at all. Only for
    /// tests; anyone on the path can read and change the traffic. Defaults to `false`.
    pub insecure: bool,
    /// The host name to verify the server certificate against (and to send as SNI), instead
    /// of the host being connected to. Defaults to `None`.
    pub server_name: Option<String>,
}

/// Everything the client needs to know to connect to a server and talk to it.
///
/// Build one with [`Config::builder`] or [`Config::from_url`]; read it with the getters.
/// `Debug` prints the password as `"***"`.
#[derive(Clone)]
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
    reconnect_min_backoff: Duration,
    reconnect_max_backoff: Duration,
    limits: Limits,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            addr: Addr::default(),
            tls: None,
            username: None,
            password: None,
            db: 0,
            protocol_version: 3,
            client_name: None,
            connect_timeout: Duration::from_secs(5),
            response_timeout: Duration::from_secs(10),
            tcp_keepalive: Some(Duration::from_secs(60)),
            max_in_flight: 10_000,
            reconnect_min_backoff: Duration::from_millis(10),
            reconnect_max_backoff: Duration::from_secs(2),
            limits: Limits::default(),
        }
    }
}

impl Config {
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
    /// accepted forms.
    pub fn from_url(url: &str) -> Result<Config> {
        ConfigBuilder::from_url(url)?.build()
    }

    /// The server's address. Defaults to `127.0.0.1:6379`.
    pub fn addr(&self) -> &Addr {
        &self.addr
    }

    /// TLS settings; `Some` means connect with TLS. Defaults to `None`.
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.tls.as_ref()
    }

    /// The ACL user to authenticate as. When only a password is set, the user is `default`;
    /// a user without a password authenticates with an empty one (ACL users with `nopass`,
    /// or whose password is empty). Defaults to `None`.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// The password to authenticate with. With neither a password nor a username there is
    /// no authentication. Defaults to `None`.
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
    /// `AUTH`, `SELECT`) together. Host name resolution is not bounded by it. Defaults to
    /// `5 s`.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The time a request may wait for its reply before it fails with a timeout. Defaults to
    /// `10 s`.
    pub fn response_timeout(&self) -> Duration {
        self.response_timeout
    }

    /// TCP keepalive idle time (at least one second), or `None` to leave keepalive off.
    /// Defaults to `Some(60 s)`.
    pub fn tcp_keepalive(&self) -> Option<Duration> {
        self.tcp_keepalive
    }

    /// How many requests may be submitted but not yet answered on one connection before
    /// further submitters block (back-pressure). Defaults to `10_000`.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// The first delay before reconnecting after a connection is lost; it doubles on each
    /// failed attempt. Defaults to `10 ms`.
    pub fn reconnect_min_backoff(&self) -> Duration {
        self.reconnect_min_backoff
    }

    /// The longest delay between reconnection attempts. Defaults to `2 s`.
    pub fn reconnect_max_backoff(&self) -> Duration {
        self.reconnect_max_backoff
    }

    /// Bounds on what the server may send (nesting, string and aggregate sizes). Defaults to
    /// `Limits::default()`.
    pub fn limits(&self) -> &Limits {
        &self.limits
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
            .field("reconnect_min_backoff", &self.reconnect_min_backoff)
            .field("reconnect_max_backoff", &self.reconnect_max_backoff)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Builds a [`Config`]: one setter per setting, named like the [`Config`] getter, then
/// [`build`](ConfigBuilder::build) to validate.
///
/// ```
/// use std::time::Duration;
/// let config = coredis::Config::builder()
///     .addr(coredis::Addr::tcp("localhost", 6380))
///     .password(Some("secret"))
///     .response_timeout(Duration::from_secs(2))
///     .build()?;
/// assert_eq!(config.addr().to_string(), "localhost:6380");
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Clone, Default)]
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
    /// - `rediss://…`, the same with TLS
    /// - `unix:///path/to/socket[?query]`, `unix://[user[:password]@]/path[?query]`,
    ///   `unix:/path`, and `redis+unix://` like `unix://`
    ///
    /// The user, password, socket path and query values are percent-decoded (a `@`, `?`, `#`
    /// or `%` in a password must be written `%40`, `%3F`, `%23`, `%25`). IPv6 hosts are
    /// written in brackets (`redis://[::1]:6380`). The port defaults to 6379 and the host to
    /// 127.0.0.1. The database comes from the path (`/2`) or the `db` query parameter, which
    /// wins.
    ///
    /// Query parameters: `db`, `protocol` (2 or 3), `timeout` (response timeout in seconds,
    /// fractions allowed), `connect_timeout` (seconds), `client_name`, `max_in_flight`; and
    /// with `rediss://` only: `tls_ca_file` (alias `ssl_ca_certs`), `tls_cert_file` (alias
    /// `ssl_certfile`), `tls_key_file` (alias `ssl_keyfile`), `tls_insecure=true|false`
    /// (alias `ssl_cert_reqs=none|required`) and `tls_server_name`. Unknown parameters and bad
    /// values are errors that name the parameter.
    pub fn from_url(url: &str) -> Result<ConfigBuilder> {
        parse_url(url)
    }

    /// Sets [`Config::addr`]. Defaults to `127.0.0.1:6379`.
    pub fn addr(mut self, addr: Addr) -> Self {
        self.config.addr = addr;
        self
    }

    /// Sets [`Config::tls`]; `Some` turns TLS on. Defaults to `None`.
    pub fn tls(mut self, tls: Option<TlsConfig>) -> Self {
        self.config.tls = tls;
        self
    }

    /// Sets [`Config::username`] (write `None::<String>` to clear it). Defaults to `None`.
    pub fn username(mut self, username: Option<impl Into<String>>) -> Self {
        self.config.username = username.map(Into::into);
        self
    }

    /// Sets [`Config::password`] (write `None::<String>` to clear it). Defaults to `None`.
    pub fn password(mut self, password: Option<impl Into<String>>) -> Self {
        self.config.password = password.map(Into::into);
        self
    }

    /// Sets [`Config::db`]. Defaults to `0`.
    pub fn db(mut self, db: i64) -> Self {
        self.config.db = db;
        self
    }

    /// Sets [`Config::protocol_version`] (2 or 3). Defaults to `3`.
    pub fn protocol_version(mut self, version: u8) -> Self {
        self.config.protocol_version = version;
        self
    }

    /// Sets [`Config::client_name`] (write `None::<String>` to clear it). Defaults to `None`.
    pub fn client_name(mut self, name: Option<impl Into<String>>) -> Self {
        self.config.client_name = name.map(Into::into);
        self
    }

    /// Sets [`Config::connect_timeout`] (non-zero). Defaults to `5 s`. Longer than
    /// one year is capped to a year (so `Duration::MAX` means "no limit").
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Sets [`Config::response_timeout`] (non-zero). Defaults to `10 s`. Longer than
    /// one year is capped to a year (so `Duration::MAX` means "no limit").
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.config.response_timeout = timeout;
        self
    }

    /// Sets [`Config::tcp_keepalive`] (at least one second, or `None`). Defaults to
    /// `Some(60 s)`. Linux accepts at most 32,767 s; longer idle times use that.
    pub fn tcp_keepalive(mut self, idle: Option<Duration>) -> Self {
        self.config.tcp_keepalive = idle;
        self
    }

    /// Sets [`Config::max_in_flight`] (at least 1). Defaults to `10_000`.
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.config.max_in_flight = max;
        self
    }

    /// Sets [`Config::reconnect_min_backoff`] (non-zero, at most the maximum). Defaults to
    /// `10 ms`.
    pub fn reconnect_min_backoff(mut self, backoff: Duration) -> Self {
        self.config.reconnect_min_backoff = backoff;
        self
    }

    /// Sets [`Config::reconnect_max_backoff`]. Defaults to `2 s`. Longer than
    /// one year is capped to a year.
    pub fn reconnect_max_backoff(mut self, backoff: Duration) -> Self {
        self.config.reconnect_max_backoff = backoff;
        self
    }

    /// Sets [`Config::limits`]. Defaults to `Limits::default()`.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Validates the settings and returns the configuration.
    ///
    /// Errors ([`ErrorKind::Config`](crate::ErrorKind::Config)): protocol version other than
    /// 2 or 3; zero connect or response timeout; keepalive under one second; `max_in_flight`
    /// of 0; zero or inverted reconnect backoffs; negative db; a client name that is empty or
    /// has spaces or non-printable characters; an empty host,
    /// port 0 or an empty socket path; TLS with a unix socket; a client certificate without
    /// a key or the reverse; an empty TLS server name.
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
        if let Some(k) = c.tcp_keepalive {
            if k < Duration::from_secs(1) {
                return Err(Error::config(
                    "tcp_keepalive must be at least one second (or None to turn it off)",
                ));
            }
        }
        if c.max_in_flight == 0 {
            return Err(Error::config("max_in_flight must be at least 1"));
        }
        if c.reconnect_min_backoff.is_zero() {
            return Err(Error::config("reconnect_min_backoff must not be zero"));
        }
        if c.reconnect_min_backoff > c.reconnect_max_backoff {
            return Err(Error::config(
                "reconnect_min_backoff must not exceed reconnect_max_backoff",
            ));
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
            match (&tls.client_cert, &tls.client_key) {
                (Some(_), None) => {
                    return Err(Error::config(
                        "a TLS client certificate needs a client key (tls client_key)",
                    ))
                }
                (None, Some(_)) => {
                    return Err(Error::config(
                        "a TLS client key needs a client certificate (tls client_cert)",
                    ))
                }
                _ => {}
            }
            if tls.server_name.as_deref() == Some("") {
                return Err(Error::config("the TLS server_name must not be empty"));
            }
        }
        Ok(c)
    }
}

// ---------------------------------------------------------------------------------------------
// URL parsing
// ---------------------------------------------------------------------------------------------

/// Parses a URL into a builder. See [`ConfigBuilder::from_url`].
fn parse_url(url: &str) -> Result<ConfigBuilder> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(Error::config(
            "not a URL: expected redis://, rediss:// or unix:// at the start",
        ));
    };
    let scheme_lc = scheme.to_ascii_lowercase();
    if rest.contains('#') {
        return Err(Error::config(
            "URL fragments (#…) are not supported; write '#' in a password as %23",
        ));
    }
    let mut b = ConfigBuilder::default();
    match scheme_lc.as_str() {
        "redis" | "rediss" => {
            let Some(rest) = rest.strip_prefix("//") else {
                return Err(Error::config(format!(
                    "a {scheme_lc} URL must start with {scheme_lc}://"
                )));
            };
            let (before_query, query) = split_query(rest)?;
            let (userinfo, hostpath) = match before_query.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, before_query),
            };
            if let Some(u) = userinfo {
                b = apply_userinfo(b, u)?;
            }
            let (hostport, path) = match hostpath.find('/') {
                Some(i) => hostpath.split_at(i),
                None => (hostpath, ""),
            };
            let (host, port) = parse_hostport(hostport)?;
            b.config.addr = Addr::Tcp { host, port };
            b.config.db = parse_db_path(path)?;
            let tls = scheme_lc == "rediss";
            if tls {
                b.config.tls = Some(TlsConfig::default());
            }
            b = apply_query(b, query, tls)?;
        }
        "unix" | "redis+unix" => {
            let (before_query, query) = split_query(rest)?;
            let path = match before_query.strip_prefix("//") {
                Some(authority_path) => {
                    let (userinfo, path) = match authority_path.rsplit_once('@') {
                        Some((u, p)) => (Some(u), p),
                        None => (None, authority_path),
                    };
                    if let Some(u) = userinfo {
                        b = apply_userinfo(b, u)?;
                    }
                    // `unix://localhost/path` is tolerated like `unix:///path`.
                    let path = path.strip_prefix("localhost").unwrap_or(path);
                    if !path.starts_with('/') {
                        return Err(Error::config(
                            "a unix socket URL takes an absolute path and no host: \
                             unix:///path/to/socket",
                        ));
                    }
                    path
                }
                None => before_query,
            };
            let path = percent_decode(path, "the unix socket path")?;
            if path.is_empty() || path == "/" {
                return Err(Error::config("the unix socket URL has no socket path"));
            }
            b.config.addr = Addr::Unix(PathBuf::from(path));
            b = apply_query(b, query, false)?;
        }
        _ => {
            let looks_like_scheme = !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'-' || c == b'.');
            return Err(if looks_like_scheme {
                Error::config(format!(
                    "unknown URL scheme '{scheme}': expected redis, rediss or unix"
                ))
            } else {
                Error::config("not a URL: expected redis://, rediss:// or unix:// at the start")
            });
        }
    }
    Ok(b)
}

/// Splits off the query. A `@` after the `?` is refused: it almost always means a password
/// with an unencoded `?`, and the error must not quote any of it.
fn split_query(rest: &str) -> Result<(&str, &str)> {
    match rest.split_once('?') {
        Some((before, query)) => {
            if query.contains('@') {
                return Err(Error::config(
                    "unexpected '@' after '?' in the URL: percent-encode '?' in a password \
                     as %3F and '@' in a query value as %40",
                ));
            }
            Ok((before, query))
        }
        None => Ok((rest, "")),
    }
}

/// Applies `user[:password]` (percent-encoded). Empty parts mean "not set".
fn apply_userinfo(mut b: ConfigBuilder, userinfo: &str) -> Result<ConfigBuilder> {
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let user = percent_decode(user, "the user name")?;
    b.config.username = (!user.is_empty()).then_some(user);
    if let Some(p) = password {
        let p = percent_decode(p, "the password")?;
        b.config.password = (!p.is_empty()).then_some(p);
    }
    Ok(b)
}

/// Parses `host[:port]`, `[v6]` or `[v6]:port`; an empty host means the default host.
fn parse_hostport(hostport: &str) -> Result<(String, u16)> {
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(Error::config(
                "an IPv6 host in the URL has '[' without a closing ']'",
            ));
        };
        let port = if after.is_empty() {
            None
        } else if let Some(p) = after.strip_prefix(':') {
            Some(p)
        } else {
            return Err(Error::config(
                "unexpected characters after ']' in the URL host",
            ));
        };
        (host, port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => {
                if p.contains(':') {
                    return Err(Error::config(
                        "an IPv6 host in a URL must be written in brackets, e.g. redis://[::1]:6379",
                    ));
                }
                (h, Some(p))
            }
            None => (hostport, None),
        }
    };
    if host.contains(|c: char| c.is_whitespace() || c == '%' || c == '[' || c == ']') {
        return Err(Error::config("the URL host has invalid characters"));
    }
    let port = match port {
        None | Some("") => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 && p.bytes().all(|c| c.is_ascii_digit()) => n,
            // Only digits are quoted: anything else may be a mangled password.
            _ if p.bytes().all(|c| c.is_ascii_digit()) => {
                return Err(Error::config(format!(
                    "invalid port {p} in the URL: expected 1 to 65535"
                )))
            }
            _ => {
                return Err(Error::config(
                    "invalid port in the URL: expected a number from 1 to 65535",
                ))
            }
        },
    };
    let host = if host.is_empty() { DEFAULT_HOST } else { host };
    Ok((host.to_string(), port))
}

/// Parses the path of a `redis://` URL: empty, `/` or `/<db>`.
fn parse_db_path(path: &str) -> Result<i64> {
    let db = path.strip_prefix('/').unwrap_or(path);
    if db.is_empty() {
        return Ok(0);
    }
    // The path is not quoted: with a malformed URL it may hold part of a password.
    parse_db(db)
        .ok_or_else(|| Error::config("invalid database in the URL path: expected a number like /0"))
}

/// A database number: plain decimal digits.
fn parse_db(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Applies the query parameters. `tls` says whether the URL was `rediss://`.
fn apply_query(mut b: ConfigBuilder, query: &str, tls: bool) -> Result<ConfigBuilder> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(raw_key, "a query parameter name")?;
        let bad = |expected: &str| {
            Error::config(format!(
                "invalid value for URL query parameter '{key}': expected {expected}"
            ))
        };
        let value = percent_decode(raw_value, &format!("query parameter '{key}'"))?;
        match key.as_str() {
            "db" => b.config.db = parse_db(&value).ok_or_else(|| bad("a database number"))?,
            "protocol" => {
                b.config.protocol_version = match value.as_str() {
                    "2" => 2,
                    "3" => 3,
                    _ => return Err(bad("2 or 3")),
                }
            }
            "timeout" => {
                b.config.response_timeout =
                    parse_seconds(&value).ok_or_else(|| bad("a positive number of seconds"))?
            }
            "connect_timeout" => {
                b.config.connect_timeout =
                    parse_seconds(&value).ok_or_else(|| bad("a positive number of seconds"))?
            }
            "client_name" => b.config.client_name = Some(value),
            "max_in_flight" => {
                b.config.max_in_flight = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| bad("a positive integer"))?
            }
            "tls_ca_file" | "ssl_ca_certs" | "tls_cert_file" | "ssl_certfile" | "tls_key_file"
            | "ssl_keyfile" | "tls_insecure" | "ssl_cert_reqs" | "tls_server_name" => {
                let Some(t) = b.config.tls.as_mut().filter(|_| tls) else {
                    return Err(Error::config(format!(
                        "URL query parameter '{key}' needs a rediss:// URL"
                    )));
                };
                if value.is_empty() {
                    return Err(bad("a non-empty value"));
                }
                match key.as_str() {
                    "tls_ca_file" | "ssl_ca_certs" => t.ca_file = Some(value.into()),
                    "tls_cert_file" | "ssl_certfile" => t.client_cert = Some(value.into()),
                    "tls_key_file" | "ssl_keyfile" => t.client_key = Some(value.into()),
                    "tls_insecure" => {
                        t.insecure = match value.to_ascii_lowercase().as_str() {
                            "true" | "1" | "yes" => true,
                            "false" | "0" | "no" => false,
                            _ => return Err(bad("true or false")),
                        }
                    }
                    "ssl_cert_reqs" => {
                        t.insecure = match value.to_ascii_lowercase().as_str() {
                            "none" | "cert_none" => true,
                            "required" | "cert_required" => false,
                            _ => return Err(bad("none or required")),
                        }
                    }
                    _ => t.server_name = Some(value),
                }
            }
            _ => {
                return Err(Error::config(format!(
                    "unknown URL query parameter '{key}'"
                )))
            }
        }
    }
    Ok(b)
}

/// Seconds as a positive, finite decimal (`1`, `0.25`).
fn parse_seconds(s: &str) -> Option<Duration> {
    let secs: f64 = s.parse().ok()?;
    if !secs.is_finite() || secs <= 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
}

/// Decodes `%XX` escapes; the result must be UTF-8. `what` names the part in the error,
/// which never quotes the input (it may be a password).
fn percent_decode(s: &str, what: &str) -> Result<String> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let bad = || Error::config(format!("invalid percent-encoding in {what}"));
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if c == b'%' {
            let hi = bytes
                .get(i + 1)
                .and_then(|h| hex_digit(*h))
                .ok_or_else(bad)?;
            let lo = bytes
                .get(i + 2)
                .and_then(|l| hex_digit(*l))
                .ok_or_else(bad)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::config(format!("{what} is not UTF-8 once decoded")))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const SECRET: &str = "s3cr3t-P@ss";

    fn err(url: &str) -> Error {
        match Config::from_url(url) {
            Ok(c) => panic!("{url} parsed: {c:?}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{e}");
                e
            }
        }
    }

    fn ok(url: &str) -> Config {
        Config::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

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
        assert!(Config::builder().build().is_ok());
    }

    #[test]
    fn builder_sets_everything() {
        let tls = TlsConfig {
            insecure: true,
            ..TlsConfig::default()
        };
        let c = Config::builder()
            .addr(Addr::tcp("redis.example", 6380))
            .tls(Some(tls.clone()))
            .username(Some("alice"))
            .password(Some(String::from("pw")))
            .db(3)
            .protocol_version(2)
            .client_name(Some("worker-1"))
            .connect_timeout(Duration::from_millis(250))
            .response_timeout(Duration::from_secs(1))
            .tcp_keepalive(None)
            .max_in_flight(5)
            .reconnect_min_backoff(Duration::from_millis(1))
            .reconnect_max_backoff(Duration::from_millis(100))
            .limits(Limits::default())
            .build()
            .unwrap();
        assert_eq!(c.addr().to_string(), "redis.example:6380");
        assert_eq!(c.tls(), Some(&tls));
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
        let again = c
            .to_builder()
            .password(None::<String>)
            .username(None::<String>);
        assert_eq!(again.build().unwrap().password(), None);
    }

    #[test]
    fn builder_validation() {
        let bad = [
            Config::builder().protocol_version(4),
            Config::builder().protocol_version(1),
            Config::builder().connect_timeout(Duration::ZERO),
            Config::builder().response_timeout(Duration::ZERO),
            Config::builder().tcp_keepalive(Some(Duration::from_millis(500))),
            Config::builder().client_name(Some("has space")),
            Config::builder().client_name(Some("")),
            Config::builder().client_name(Some("new\nline")),
            Config::builder().max_in_flight(0),
            Config::builder().reconnect_min_backoff(Duration::ZERO),
            Config::builder().reconnect_min_backoff(Duration::from_secs(3)),
            Config::builder().db(-1),
            Config::builder().addr(Addr::tcp("", 1)),
            Config::builder().addr(Addr::tcp("h", 0)),
            Config::builder().addr(Addr::unix("")),
            Config::builder()
                .addr(Addr::unix("/tmp/s"))
                .tls(Some(TlsConfig::default())),
            Config::builder().tls(Some(TlsConfig {
                client_cert: Some("c.pem".into()),
                ..TlsConfig::default()
            })),
            Config::builder().tls(Some(TlsConfig {
                client_key: Some("k.pem".into()),
                ..TlsConfig::default()
            })),
            Config::builder().tls(Some(TlsConfig {
                server_name: Some(String::new()),
                ..TlsConfig::default()
            })),
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
    fn plain_urls() {
        let c = ok("redis://localhost");
        assert_eq!(c.addr(), &Addr::tcp("localhost", 6379));
        assert_eq!(c.db(), 0);
        assert!(c.tls().is_none());

        let c = ok("redis://example.com:6380/2");
        assert_eq!(c.addr(), &Addr::tcp("example.com", 6380));
        assert_eq!(c.db(), 2);

        let c = ok("REDIS://h:7000/");
        assert_eq!(c.addr(), &Addr::tcp("h", 7000));
        assert_eq!(c.db(), 0);

        assert_eq!(ok("redis://").addr(), &Addr::default());
        assert_eq!(ok("redis://:6390").addr(), &Addr::tcp("127.0.0.1", 6390));
        assert_eq!(ok("redis://h:").addr(), &Addr::tcp("h", 6379));
        assert_eq!(ok("  redis://h  ").addr(), &Addr::tcp("h", 6379));
    }

    #[test]
    fn ipv6_urls() {
        let c = ok("redis://[::1]:6380/1");
        assert_eq!(c.addr(), &Addr::tcp("::1", 6380));
        assert_eq!(c.addr().to_string(), "[::1]:6380");
        assert_eq!(c.db(), 1);
        assert_eq!(ok("redis://[fe80::1]").addr(), &Addr::tcp("fe80::1", 6379));
        err("redis://::1:6379");
        err("redis://[::1");
        err("redis://[::1]x");
    }

    #[test]
    fn credentials() {
        let c = ok("redis://alice:s3cr3t@h");
        assert_eq!(c.username(), Some("alice"));
        assert_eq!(c.password(), Some("s3cr3t"));

        let c = ok("redis://:only-pass@h:1/4");
        assert_eq!(c.username(), None);
        assert_eq!(c.password(), Some("only-pass"));
        assert_eq!(c.addr(), &Addr::tcp("h", 1));
        assert_eq!(c.db(), 4);

        // Percent-decoding, and unencoded '@' and '/' in the password.
        let c = ok("redis://us%65r:p%40ss%3Aw%2Fo%3F%25rd@h");
        assert_eq!(c.username(), Some("user"));
        assert_eq!(c.password(), Some("p@ss:w/o?%rd"));
        let c = ok("redis://u:a@b/c:d@h:6390/3");
        assert_eq!(c.password(), Some("a@b/c:d"));
        assert_eq!(c.addr(), &Addr::tcp("h", 6390));
        assert_eq!(c.db(), 3);

        // Empty parts are "not set".
        let c = ok("redis://:@h");
        assert_eq!((c.username(), c.password()), (None, None));
        // A user without a password authenticates with an empty one (`nopass` users).
        for url in ["redis://alice@h", "redis://alice:@h"] {
            assert_eq!(ok(url).credentials(), Some(("alice", "")), "{url}");
        }
        assert_eq!(ok("redis://:pw@h").credentials(), Some(("default", "pw")));
        assert_eq!(ok("redis://h").credentials(), None);
        // Bad escapes.
        err("redis://:pa%zzss@h");
        err("redis://:pa%4@h");
        err("redis://:%ff%fe@h");
    }

    #[test]
    fn rediss_urls() {
        let c = ok("rediss://h");
        assert_eq!(c.tls(), Some(&TlsConfig::default()));
        assert_eq!(c.addr(), &Addr::tcp("h", 6379));

        let c = ok(
            "rediss://:pw@h:6390/1?tls_ca_file=/etc/ca%20dir/ca.pem&tls_cert_file=/c.pem\
                    &tls_key_file=/k.pem&tls_insecure=true&tls_server_name=redis.internal",
        );
        let t = c.tls().unwrap();
        assert_eq!(t.ca_file.as_deref(), Some("/etc/ca dir/ca.pem".as_ref()));
        assert_eq!(t.client_cert.as_deref(), Some("/c.pem".as_ref()));
        assert_eq!(t.client_key.as_deref(), Some("/k.pem".as_ref()));
        assert!(t.insecure);
        assert_eq!(t.server_name.as_deref(), Some("redis.internal"));

        let c = ok("rediss://h?ssl_ca_certs=/a&ssl_certfile=/b&ssl_keyfile=/c&ssl_cert_reqs=none");
        let t = c.tls().unwrap();
        assert_eq!(t.ca_file.as_deref(), Some("/a".as_ref()));
        assert_eq!(t.client_cert.as_deref(), Some("/b".as_ref()));
        assert_eq!(t.client_key.as_deref(), Some("/c".as_ref()));
        assert!(t.insecure);
        let c = ok("rediss://h?tls_insecure=true&ssl_cert_reqs=required");
        assert!(!c.tls().unwrap().insecure);

        err("rediss://h?tls_insecure=maybe");
        err("rediss://h?ssl_cert_reqs=optional");
        err("rediss://h?tls_ca_file=");
        err("rediss://h?tls_cert_file=/c.pem"); // certificate without key
    }

    #[test]
    fn tls_params_need_rediss() {
        for key in [
            "tls_ca_file",
            "ssl_ca_certs",
            "tls_cert_file",
            "ssl_certfile",
            "tls_key_file",
            "ssl_keyfile",
            "tls_server_name",
        ] {
            let e = err(&format!("redis://h?{key}=/x"));
            assert!(e.to_string().contains(key), "{e}");
            assert!(e.to_string().contains("rediss://"), "{e}");
        }
        err("redis://h?tls_insecure=true");
        err("redis://h?ssl_cert_reqs=none");
        err("unix:///tmp/s?tls_insecure=true");
    }

    #[test]
    fn unix_urls() {
        let c = ok("unix:///var/run/redis.sock");
        assert_eq!(c.addr(), &Addr::unix("/var/run/redis.sock"));
        assert_eq!(c.db(), 0);

        let c = ok("unix:///tmp/my%20redis.sock?db=3&protocol=2");
        assert_eq!(c.addr(), &Addr::unix("/tmp/my redis.sock"));
        assert_eq!(c.db(), 3);
        assert_eq!(c.protocol_version(), 2);

        let c = ok("redis+unix:///tmp/r.sock?db=1");
        assert_eq!(c.addr(), &Addr::unix("/tmp/r.sock"));
        assert_eq!(c.db(), 1);

        let c = ok("unix://bob:pw%40x@/tmp/r.sock");
        assert_eq!(c.username(), Some("bob"));
        assert_eq!(c.password(), Some("pw@x"));
        assert_eq!(c.addr(), &Addr::unix("/tmp/r.sock"));

        let c = ok("unix://:pw@/tmp/r.sock");
        assert_eq!((c.username(), c.password()), (None, Some("pw")));

        assert_eq!(ok("unix:/tmp/r.sock").addr(), &Addr::unix("/tmp/r.sock"));
        assert_eq!(
            ok("unix://localhost/tmp/r.sock").addr(),
            &Addr::unix("/tmp/r.sock")
        );
        assert_eq!(
            ok("unix:///tmp/r.sock").addr().to_string(),
            "unix:/tmp/r.sock"
        );

        err("unix://");
        err("unix:///");
        err("unix://somehost/tmp/r.sock");
        err("unix:///tmp/r.sock?db=x");
    }

    #[test]
    fn query_parameters() {
        let c = ok("redis://h/1?db=5&protocol=2&timeout=0.5&connect_timeout=2\
                    &client_name=app-1&max_in_flight=64");
        assert_eq!(c.db(), 5, "the query db wins over the path");
        assert_eq!(c.protocol_version(), 2);
        assert_eq!(c.response_timeout(), Duration::from_millis(500));
        assert_eq!(c.connect_timeout(), Duration::from_secs(2));
        assert_eq!(c.client_name(), Some("app-1"));
        assert_eq!(c.max_in_flight(), 64);
        assert_eq!(ok("redis://h?").db(), 0);
        assert_eq!(ok("redis://h?&&db=2&").db(), 2);
        assert_eq!(ok("redis://h?protocol=3").protocol_version(), 3);
    }

    #[test]
    fn bad_urls() {
        // Bad ports.
        for url in [
            "redis://h:abc",
            "redis://h:0",
            "redis://h:65536",
            "redis://h:-1",
            "redis://h:+80",
            "redis://[::1]:x",
        ] {
            assert!(err(url).to_string().contains("port"), "{url}");
        }
        // Bad databases.
        for url in [
            "redis://h/x",
            "redis://h/-1",
            "redis://h/1/2",
            "redis://h/ 1",
        ] {
            assert!(err(url).to_string().contains("database"), "{url}");
        }
        for url in ["redis://h?db=x", "redis://h?db=-2", "redis://h?db="] {
            assert!(err(url).to_string().contains("'db'"), "{url}");
        }
        // Unknown schemes and non-URLs.
        assert!(err("http://h").to_string().contains("'http'"));
        err("localhost:6379");
        err("localhost");
        err("");
        err("redis:h");
        err("redis://h#frag");
        // Unknown query keys and bad values name the key.
        let e = err("redis://h?color=blue");
        assert!(e.to_string().contains("'color'"), "{e}");
        let e = err("redis://h?protocol=4");
        assert!(e.to_string().contains("'protocol'"), "{e}");
        for url in [
            "redis://h?timeout=0",
            "redis://h?timeout=-1",
            "redis://h?timeout=abc",
            "redis://h?timeout=inf",
            "redis://h?timeout=NaN",
            "redis://h?connect_timeout=0",
            "redis://h?max_in_flight=0",
            "redis://h?max_in_flight=lots",
        ] {
            let e = err(url);
            let key = url.split('?').nth(1).unwrap().split('=').next().unwrap();
            assert!(e.to_string().contains(&format!("'{key}'")), "{url}: {e}");
        }
        err("redis://h?client_name=has%20space");
        err("redis://h?protocol");
        err("redis://h host");
    }

    #[test]
    fn password_never_leaks() {
        let enc = "s3cr3t-P%40ss";
        let urls = [
            format!("redis://:{enc}@h"),
            format!("redis://alice:{enc}@h:6380/2?protocol=2"),
            format!("rediss://alice:{enc}@h?tls_insecure=true"),
            format!("unix://alice:{enc}@/tmp/s"),
        ];
        for url in &urls {
            let c = ok(url);
            assert_eq!(c.password(), Some(SECRET));
            for s in [format!("{c:?}"), format!("{:?}", c.to_builder())] {
                assert!(!s.contains("s3cr3t"), "{s}");
                assert!(s.contains(r#"password: Some("***")"#), "{s}");
            }
            assert!(!c.addr().to_string().contains("s3cr3t"));
        }
        // Errors in URLs with a password never quote it, even when it is mangled.
        let bad = [
            format!("redis://:{enc}@h:badport"),
            format!("redis://:{enc}@h/baddb"),
            format!("redis://:{enc}@h?unknown=1"),
            format!("redis://:{enc}@h?protocol=9"),
            format!("redis://alice:{enc}@h?tls_ca_file=/x"),
            "redis://:s3cr3t?x@h".to_string(),
            "redis://:s3cr3t#x@h".to_string(),
            "redis://:s3cr3t%zz@h".to_string(),
            "redis://alice:s3cr3t".to_string(),
            "redis:s3cr3t".to_string(),
            "s3cr3t@h".to_string(),
            "redis://[:s3cr3t@h".to_string(),
            "unix://:s3cr3t@host/tmp/s".to_string(),
        ];
        for url in &bad {
            if let Err(e) = Config::from_url(url) {
                for s in [e.to_string(), format!("{e:?}")] {
                    assert!(!s.contains("s3cr3t"), "{url}: {s}");
                }
            }
        }
        // Builder validation errors do not print it either.
        let e = Config::builder()
            .password(Some(SECRET))
            .protocol_version(7)
            .build()
            .unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2fc%2F", "x").unwrap(), "a b/c/");
        assert_eq!(percent_decode("plain+text", "x").unwrap(), "plain+text");
        assert_eq!(percent_decode("%C3%A9", "x").unwrap(), "é");
        assert!(percent_decode("%", "x").is_err());
        assert!(percent_decode("%g0", "x").is_err());
        assert!(percent_decode("%C3", "x").is_err());
    }
}
