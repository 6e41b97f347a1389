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

mod tls;
mod url;

pub use tls::TlsConfig;

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
        url::parse_url(url)
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
}
