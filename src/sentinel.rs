//! Redis Sentinel: discovery of a monitored primary and its replicas, and clients that follow
//! a failover by themselves.
//!
//! Owns: [`SentinelConfig`] (the Sentinels' addresses, the [`Config`] of the connections to
//! them and the [`Config`] of the connections to the data nodes; parsed from a
//! `redis+sentinel://` URL in `url.rs`), [`Sentinel`] (the typed
//! `SENTINEL` commands, each sent to the first Sentinel that answers, which then moves to the
//! front; and the factories [`Sentinel::primary_for`] and [`Sentinel::replica_for`]), the
//! connectors behind those clients — every connection and reconnection of their shared pipe
//! and pooled connections asks the Sentinels where to go (`SENTINEL GET-MASTER-ADDR-BY-NAME`,
//! `SENTINEL REPLICAS`) and checks the role of the node it reached — and the watcher of a
//! primary client: a thread subscribed to `+switch-master` on a Sentinel that makes the
//! client reconnect (and close its idle dedicated connections) as soon as the Sentinels
//! announce a new primary. A `READONLY` reply on a primary client (the node was demoted under
//! it) makes it reconnect too.
//!
//! Following the failover is not enough for writes: Redis replicates asynchronously, and the
//! old primary acknowledges writes its replica never gets. A node configuration with
//! [`crate::ConfigBuilder::wait_for_replicas`] closes that window (see [`crate::replicas`]):
//! each write returns `Ok` only once a replica has it, and a promoted replica has it.
//!
//! Must not: retry a data command (a command in flight when the client moves fails with
//! [`ErrorKind::Closed`], a write refused with `READONLY` fails with that error: the caller
//! decides), write to a node that says it is a replica through a primary client, or keep a
//! client alive: the watcher holds it weakly and stops when the client is dropped or closed.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::client::Redis;
use crate::cmd::Cmd;
use crate::commands::{Executor, SentinelCommands};
use crate::config::{Addr, Config};
use crate::connection::{connect, Connection, Connector};
use crate::error::{Error, ErrorKind, Result, ServerCode, ServerError};
use crate::handle::{Redirect, Resent};
use crate::pipe::Pipe;
use crate::pool::Pool;
use crate::pubsub::{Subscriber, SubscriberEvent, SubscriberOptions};
use crate::value::Value;

/// The channel on which Sentinels announce a new primary.
const SWITCH_MASTER: &str = "+switch-master";

/// After a forced reconnection, `READONLY` replies are not acted on for this long: they are
/// the late replies of the old connection, and the new one was checked when it was made.
const READONLY_QUIET: Duration = Duration::from_secs(1);

/// Flags of a replica that is not serving (`SENTINEL REPLICAS`).
const UNHEALTHY_FLAGS: [&str; 3] = ["s_down", "o_down", "disconnected"];

mod url;

/// Where the Sentinels are and how to connect to them and to the nodes they monitor. Build
/// with [`SentinelConfig::builder`] or [`SentinelConfig::from_url`].
///
/// ```
/// use coredis::{Addr, Config, SentinelConfig};
/// let config = SentinelConfig::builder()
///     .sentinel(Addr::tcp("127.0.0.1", 26379))
///     .sentinel(Addr::tcp("127.0.0.1", 26380))
///     .node_config(Config::builder().password("secret").db(2).build()?)
///     .build()?;
/// assert_eq!(config.sentinels().len(), 2);
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct SentinelConfig {
    sentinels: Vec<Addr>,
    sentinel_config: Config,
    node_config: Config,
}

impl SentinelConfig {
    /// A builder with no Sentinel and default configurations.
    pub fn builder() -> SentinelConfigBuilder {
        SentinelConfigBuilder::default()
    }

    /// Parses a Sentinel URL into the configuration and the name of the service (the name the
    /// Sentinels monitor the primary under, `mymaster` below), to pass to
    /// [`Sentinel::primary_for`] and [`Sentinel::replica_for`]:
    ///
    /// ```text
    /// redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/<service name>[/<db>][?query]
    /// rediss+sentinel://…   (TLS to the data nodes and to the Sentinels)
    /// ```
    ///
    /// - The hosts are the Sentinels, tried in that order; the port defaults to 26379 and
    ///   IPv6 addresses are written in brackets (`[::1]:26379`).
    /// - The path names the service, then optionally the data nodes' database (`/mymaster/2`,
    ///   or the `db` query parameter, which wins); a `/`, `@`, `?` or `#` in the name is
    ///   percent-encoded.
    /// - The user and password are the **data nodes'**, percent-decoded as in `redis://` URLs
    ///   (most deployments protect the data nodes; the Sentinels often have no password). The
    ///   Sentinels' own are the query parameters `sentinel_username` and `sentinel_password`,
    ///   percent-decoded too; without them, the Sentinels are reached without authentication.
    ///   An empty value means none.
    /// - Every other query parameter is one of
    ///   [`ConfigBuilder::from_url`](crate::ConfigBuilder::from_url)'s (`protocol`, `timeout`,
    ///   `connect_timeout`, `client_name`, `max_in_flight`, `max_in_flight_bytes`, and the TLS
    ///   ones with `rediss+sentinel://`) and applies to **both** the data nodes and the
    ///   Sentinels: one CA (and client certificate) for the whole deployment. Only the
    ///   database is the data nodes' alone. Unknown parameters are errors, as in `redis://`
    ///   URLs.
    ///
    /// These are the conventions of `redis+sentinel://` URLs elsewhere (the Python
    /// `redis-sentinel-url` package, docket, prefect); Lettuce's `redis-sentinel://` also gives
    /// the URL's password to the data nodes. For what a URL cannot say (other TLS settings for
    /// the Sentinels, [`wait_for_replicas`](crate::ConfigBuilder::wait_for_replicas), …),
    /// build the configuration with [`SentinelConfig::builder`], from the parsed parts if
    /// convenient.
    ///
    /// ```
    /// use coredis::{Addr, SentinelConfig};
    /// let (config, name) = SentinelConfig::from_url(
    ///     "redis+sentinel://:secret@10.0.0.1,10.0.0.2:26380/mymaster/2?sentinel_password=s-pw",
    /// )?;
    /// assert_eq!(name, "mymaster");
    /// assert_eq!(
    ///     config.sentinels(),
    ///     [Addr::tcp("10.0.0.1", 26379), Addr::tcp("10.0.0.2", 26380)]
    /// );
    /// assert_eq!(config.node_config().password(), Some("secret"));
    /// assert_eq!(config.node_config().db(), 2);
    /// assert_eq!(config.sentinel_config().password(), Some("s-pw"));
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for another scheme, no Sentinel, no service name, a malformed
    /// part, an unknown query parameter or a value that does not parse (`rediss+sentinel://`
    /// without the `tls` feature too). The message names the wrong part and never quotes the
    /// URL, a password, a Sentinel address or the service name.
    pub fn from_url(url: &str) -> Result<(SentinelConfig, String)> {
        url::parse(url)
    }

    /// The Sentinels' addresses, in the order they were given.
    pub fn sentinels(&self) -> &[Addr] {
        &self.sentinels
    }

    /// The configuration of the connections to the Sentinels (their address is replaced by
    /// each Sentinel's): credentials, TLS, protocol version, timeouts.
    pub fn sentinel_config(&self) -> &Config {
        &self.sentinel_config
    }

    /// The configuration of the connections to the data nodes (their address is replaced by
    /// the one the Sentinels report): credentials, TLS, database, protocol version, timeouts.
    pub fn node_config(&self) -> &Config {
        &self.node_config
    }
}

/// Builds a [`SentinelConfig`].
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SentinelConfigBuilder {
    sentinels: Vec<Addr>,
    sentinel_config: Option<Config>,
    node_config: Option<Config>,
}

impl SentinelConfigBuilder {
    /// Adds a Sentinel.
    pub fn sentinel(mut self, addr: Addr) -> Self {
        self.sentinels.push(addr);
        self
    }

    /// Adds several Sentinels.
    pub fn sentinels(mut self, addrs: impl IntoIterator<Item = Addr>) -> Self {
        self.sentinels.extend(addrs);
        self
    }

    /// The configuration of the connections to the Sentinels (default: [`Config::default`]);
    /// its address is ignored.
    pub fn sentinel_config(mut self, config: Config) -> Self {
        self.sentinel_config = Some(config);
        self
    }

    /// The configuration of the connections to the data nodes (default:
    /// [`Config::default`]); its address is ignored.
    pub fn node_config(mut self, config: Config) -> Self {
        self.node_config = Some(config);
        self
    }

    /// The configuration.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when no Sentinel was given.
    pub fn build(self) -> Result<SentinelConfig> {
        if self.sentinels.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                "a Sentinel configuration needs at least one Sentinel address",
            ));
        }
        Ok(SentinelConfig {
            sentinels: self.sentinels,
            sentinel_config: self.sentinel_config.unwrap_or_default(),
            node_config: self.node_config.unwrap_or_default(),
        })
    }
}

/// A group of Sentinels: runs the typed `SENTINEL` commands ([`SentinelCommands`]) and makes
/// clients of the primaries and replicas they monitor. `Send + Sync + Clone`; clones share the
/// Sentinel connections.
///
/// ```no_run
/// use coredis::prelude::*;
/// use coredis::{Addr, Sentinel, SentinelConfig};
/// let sentinel = Sentinel::new(
///     SentinelConfig::builder()
///         .sentinels([Addr::tcp("127.0.0.1", 26379), Addr::tcp("127.0.0.1", 26380)])
///         .build()?,
/// )?;
/// let primary = sentinel.primary_for("mymaster")?; // follows failovers
/// primary.set("k", "v")?;
/// let replica = sentinel.replica_for("mymaster")?; // reads from a replica
/// let v: Option<String> = replica.get("k")?;
/// let masters = sentinel.sentinel_masters()?;
/// # let _ = (v, masters);
/// # Ok::<(), coredis::Error>(())
/// ```
///
/// # Commands
///
/// Each command goes to the first Sentinel of the list that can be reached; a Sentinel that
/// answers moves to the front, one that cannot be reached (connection refused or lost, timeout)
/// is skipped and the command sent to the next. A command can thus run on a second Sentinel
/// when the first failed while it was in flight; the `SENTINEL` commands that change
/// something (`FAILOVER`, `SET`, `MONITOR`, …) apply to the one Sentinel that ran them anyway.
///
/// # Clients
///
/// [`Sentinel::primary_for`] and [`Sentinel::replica_for`] return ordinary [`Redis`]
/// clients whose every (re)connection asks the Sentinels where to go. See there.
#[derive(Clone)]
pub struct Sentinel {
    inner: Arc<Shared>,
}

/// What the clones of a [`Sentinel`] share.
struct Shared {
    config: SentinelConfig,
    /// The Sentinels, the last one that answered first.
    order: Mutex<Vec<Addr>>,
    /// Open clients of the Sentinels, by address.
    clients: Mutex<Vec<(Addr, Redis)>>,
    /// Where the next round-robin pick of a replica starts (shared by every replica client).
    next_replica: AtomicUsize,
}

impl fmt::Debug for Sentinel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sentinel")
            .field("sentinels", &*self.inner.order.lock())
            .finish_non_exhaustive()
    }
}

impl Sentinel {
    /// A group of Sentinels. Connects lazily: this does not fail when the Sentinels are down
    /// (the first command or client does).
    ///
    /// # Errors
    /// None today; kept for configuration checks to come.
    pub fn new(config: SentinelConfig) -> Result<Sentinel> {
        let order = config.sentinels.clone();
        Ok(Sentinel {
            inner: Arc::new(Shared {
                config,
                order: Mutex::new(order),
                clients: Mutex::new(Vec::new()),
                next_replica: AtomicUsize::new(0),
            }),
        })
    }

    /// A client of the primary named in a Sentinel URL: [`SentinelConfig::from_url`], then
    /// [`Sentinel::primary_for`] on a `Sentinel` of its own, which lives as long as the
    /// client. (For several clients sharing the Sentinel connections, use those two.)
    ///
    /// ```no_run
    /// use coredis::{prelude::*, Sentinel};
    /// let primary = Sentinel::primary_from_url(
    ///     "redis+sentinel://:secret@127.0.0.1:26379,127.0.0.1:26380/mymaster",
    /// )?;
    /// primary.set("k", "v")?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`SentinelConfig::from_url`] and [`Sentinel::primary_for`].
    pub fn primary_from_url(url: &str) -> Result<Redis> {
        let (config, name) = SentinelConfig::from_url(url)?;
        Sentinel::new(config)?.primary_for(&name)
    }

    /// A client of the replicas of the primary named in a Sentinel URL:
    /// [`SentinelConfig::from_url`], then [`Sentinel::replica_for`] on a `Sentinel` of its
    /// own, which lives as long as the client.
    ///
    /// ```no_run
    /// use coredis::{prelude::*, Sentinel};
    /// let replica = Sentinel::replica_from_url("redis+sentinel://127.0.0.1:26379/mymaster")?;
    /// let v: Option<String> = replica.get("k")?;
    /// # let _ = v;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`SentinelConfig::from_url`] and [`Sentinel::replica_for`].
    pub fn replica_from_url(url: &str) -> Result<Redis> {
        let (config, name) = SentinelConfig::from_url(url)?;
        Sentinel::new(config)?.replica_for(&name)
    }

    /// The configuration.
    pub fn config(&self) -> &SentinelConfig {
        &self.inner.config
    }

    /// A client of the primary monitored as `name`, connected now. Every connection it opens
    /// (the shared one, its reconnections, the dedicated ones of blocking commands) asks the
    /// Sentinels in turn for the primary's address, connects there with the node
    /// configuration and checks the node's role (from the handshake, else `ROLE`): a node that
    /// says it is a replica is refused, and the connection is tried again with back-off.
    ///
    /// Failover is followed without user action: a watcher thread (`coredis-sentinel
    /// <name>`) subscribed to `+switch-master` on a Sentinel makes the client drop its
    /// connection as soon as the Sentinels announce a new primary for `name` (and checks the
    /// address again whenever its own subscription had to reconnect), and a `READONLY` reply
    /// does the same. The commands in flight on the old connection fail with
    /// [`ErrorKind::Closed`] (or the `READONLY` error itself): nothing is retried; commands sent
    /// afterwards wait for the new connection, within their response timeout.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when no Sentinel can be reached, [`ErrorKind::Server`] when none knows
    /// `name`, and the errors of [`Redis::new`] connecting to the primary.
    pub fn primary_for(&self, name: &str) -> Result<Redis> {
        let connector = Arc::new(PrimaryConnector {
            sentinel: self.clone(),
            name: name.to_owned(),
        });
        let hook = Arc::new(ReadOnlyHook {
            name: name.to_owned(),
            last: Mutex::new(None),
        });
        let client = Redis::with_connector(
            self.inner.config.node_config.clone(),
            connector,
            false,
            Some(hook),
        )?;
        self.watch(name, &client)?;
        Ok(client)
    }

    /// A client that reads from the replicas of the primary monitored as `name`, connected
    /// now. Every connection it opens asks the Sentinels for the replicas
    /// (`SENTINEL REPLICAS`), skips those flagged `s_down`, `o_down` or `disconnected`, and
    /// takes the next one round robin (the connections of every replica client of this
    /// `Sentinel` take turns); when none can be reached it connects to the primary instead. Writes sent
    /// through it fail with `READONLY` on a replica.
    ///
    /// # Errors
    /// As [`Sentinel::primary_for`].
    pub fn replica_for(&self, name: &str) -> Result<Redis> {
        let connector = Arc::new(ReplicaConnector {
            primary: PrimaryConnector {
                sentinel: self.clone(),
                name: name.to_owned(),
            },
        });
        Redis::with_connector(
            self.inner.config.node_config.clone(),
            connector,
            false,
            None,
        )
    }

    /// Runs `cmd` on the first Sentinel that can be reached (see the type's docs).
    fn run<T>(&self, cmd: Cmd<T>) -> Result<T> {
        let order = self.inner.order.lock().clone();
        let mut last = None;
        for addr in order {
            let client = match self.client(&addr) {
                Ok(c) => c,
                Err(e) => {
                    log::debug!("coredis: sentinel {addr} cannot be reached: {e:#}");
                    last = Some(e);
                    continue;
                }
            };
            match client.execute(cmd.clone()) {
                Err(e) if e.is_connection_error() || e.is_timeout() => {
                    log::debug!("coredis: sentinel {addr} failed: {e:#}");
                    self.forget(&addr);
                    last = Some(e);
                }
                reply => {
                    self.promote(&addr);
                    return reply;
                }
            }
        }
        Err(last.unwrap_or_else(|| Error::new(ErrorKind::Io, "no Sentinel is configured")))
    }

    /// The open client of the Sentinel at `addr`, opened now if needed.
    fn client(&self, addr: &Addr) -> Result<Redis> {
        if let Some((_, c)) = self.inner.clients.lock().iter().find(|(a, _)| a == addr) {
            return Ok(c.clone());
        }
        let config = self
            .inner
            .config
            .sentinel_config
            .for_node(addr.clone(), false);
        let client = Redis::new(config)?;
        let mut clients = self.inner.clients.lock();
        if let Some((_, c)) = clients.iter().find(|(a, _)| a == addr) {
            return Ok(c.clone());
        }
        clients.push((addr.clone(), client.clone()));
        Ok(client)
    }

    /// Closes and forgets the client of a Sentinel that failed.
    fn forget(&self, addr: &Addr) {
        let gone = {
            let mut clients = self.inner.clients.lock();
            let pos = clients.iter().position(|(a, _)| a == addr);
            pos.map(|i| clients.swap_remove(i))
        };
        if let Some((_, c)) = gone {
            c.close();
        }
    }

    /// Moves the Sentinel at `addr` to the front of the list.
    fn promote(&self, addr: &Addr) {
        let mut order = self.inner.order.lock();
        if let Some(i) = order.iter().position(|a| a == addr) {
            if i > 0 {
                let a = order.remove(i);
                order.insert(0, a);
            }
        }
    }

    /// The primary's address for `name`, as the first Sentinel that knows it reports.
    fn primary_addr(&self, name: &str) -> Result<Addr> {
        match self.sentinel_get_master_addr_by_name(name)? {
            Some((host, port)) => Ok(Addr::tcp(host, port)),
            None => Err(Error::new(
                ErrorKind::Server,
                format!("the Sentinels monitor no primary named {name:?}"),
            )),
        }
    }

    /// Starts the `+switch-master` watcher of the primary client `client` of `name`.
    fn watch(&self, name: &str, client: &Redis) -> Result<()> {
        let options = SubscriberOptions::new().events(true);
        let subscriber = Subscriber::start(
            self.inner.config.sentinel_config.clone(),
            Arc::new(AnySentinel {
                sentinel: self.clone(),
            }),
            &options,
            crossbeam_channel::bounded(options.channel_capacity()),
            None,
        )?;
        subscriber.subscribe(SWITCH_MASTER)?;
        let watcher = Watcher {
            sentinel: self.clone(),
            name: name.to_owned(),
            pipes: client.node().pipes().iter().map(Arc::downgrade).collect(),
            pool: Arc::downgrade(client.node().pool()),
            closed: client.node().closing(),
            subscriber,
        };
        thread::Builder::new()
            .name(format!("coredis-sentinel {name}"))
            .spawn(move || watcher.run())
            .map_err(|e| {
                Error::new(ErrorKind::Io, "could not start the Sentinel watcher thread")
                    .with_source(e)
            })?;
        Ok(())
    }
}

impl Executor for Sentinel {
    type Output<T> = Result<T>;

    fn execute<T>(&self, cmd: Cmd<T>) -> Result<T> {
        self.run(cmd)
    }
}

/// Connects to the primary the Sentinels report for `name`, and checks it is one.
struct PrimaryConnector {
    sentinel: Sentinel,
    name: String,
}

impl Connector for PrimaryConnector {
    fn connect(&self, config: &Config) -> Result<Connection> {
        let addr = self.sentinel.primary_addr(&self.name)?;
        let node_config = config.for_node(addr, false);
        let conn = connect(&node_config)?;
        let role = role_of(&conn, &node_config)?;
        if is_primary_role(&role) {
            log::debug!(
                "coredis: {} is the primary of {}",
                conn.info.addr,
                self.name
            );
            return Ok(conn);
        }
        let node = conn.info.addr.clone();
        conn.closer.shutdown();
        Err(Error::new(
            ErrorKind::Io,
            format!(
                "the Sentinels name {node} as the primary of {:?}, but it says it is a {role}",
                self.name
            ),
        )
        .with_node(&node))
    }
}

/// Connects to a healthy replica of `name`, round robin, else to the primary.
struct ReplicaConnector {
    primary: PrimaryConnector,
}

impl Connector for ReplicaConnector {
    fn connect(&self, config: &Config) -> Result<Connection> {
        let name = &self.primary.name;
        let replicas = match self.primary.sentinel.sentinel_replicas(name.as_str()) {
            Ok(r) => r,
            Err(e) if e.is_connection_error() || e.is_timeout() => return Err(e),
            Err(e) => {
                log::debug!("coredis: SENTINEL REPLICAS {name} failed: {e:#}");
                Vec::new()
            }
        };
        let healthy: Vec<Addr> = replicas
            .into_iter()
            .filter(|r| !UNHEALTHY_FLAGS.iter().any(|f| r.has_flag(f)))
            .map(|r| Addr::tcp(r.addr.0, r.addr.1))
            .collect();
        let start = self
            .primary
            .sentinel
            .inner
            .next_replica
            .fetch_add(1, Ordering::Relaxed);
        let count = healthy.len();
        for i in 0..count {
            let Some(addr) = healthy.get(start.wrapping_add(i) % count) else {
                continue;
            };
            match connect(&config.for_node(addr.clone(), false)) {
                Ok(conn) => {
                    log::debug!("coredis: reading from {} for {name}", conn.info.addr);
                    return Ok(conn);
                }
                Err(e) => log::debug!("coredis: replica {addr} of {name} failed: {e:#}"),
            }
        }
        log::debug!("coredis: no replica of {name} can be reached; using the primary");
        self.primary.connect(config)
    }
}

/// Connects to the first Sentinel that answers (for the watcher's subscription).
struct AnySentinel {
    sentinel: Sentinel,
}

impl Connector for AnySentinel {
    fn connect(&self, config: &Config) -> Result<Connection> {
        let order = self.sentinel.inner.order.lock().clone();
        let mut last = None;
        for addr in order {
            match connect(&config.for_node(addr, false)) {
                Ok(c) => return Ok(c),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::new(ErrorKind::Io, "no Sentinel is configured")))
    }
}

/// True for the role of a primary, as `HELLO` (`master`) or `ROLE` (`master`) says it.
fn is_primary_role(role: &str) -> bool {
    role.eq_ignore_ascii_case("master")
}

/// The role of the node behind `conn`: from the handshake when the server said it, else from
/// `ROLE` on a connection of its own (servers without `HELLO`).
fn role_of(conn: &Connection, config: &Config) -> Result<String> {
    if let Some(role) = &conn.info.role {
        return Ok(role.clone());
    }
    let deadline = Instant::now() + config.response_timeout();
    let mut probe = crate::exclusive::Exclusive::open(&crate::connection::ConfiguredAddr, config)?;
    let cmd = Cmd::<Value>::new("ROLE");
    probe.send(cmd.request(), deadline)?;
    let frame = probe
        .recv(deadline)?
        .ok_or_else(|| Error::new(ErrorKind::Timeout, "no reply to ROLE in time"))?;
    probe.close();
    let reply = crate::resp::decode_with_limits(&frame, config.limits())?;
    let first = match reply {
        Value::Array(items) => items.into_iter().next(),
        Value::Error(e) => return Err(Error::from(e).with_command("ROLE")),
        _ => None,
    };
    first
        .as_ref()
        .and_then(Value::as_bytes)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .ok_or_else(|| Error::protocol("ROLE answered something else than a role"))
}

/// Makes a primary client reconnect when a command is refused with `READONLY`; the error
/// still reaches the caller.
struct ReadOnlyHook {
    name: String,
    /// When it last made the client reconnect.
    last: Mutex<Option<Instant>>,
}

impl Redirect for ReadOnlyHook {
    fn redirect(
        &self,
        from: &Arc<Pipe>,
        _request: &crate::cmd::Request,
        error: &ServerError,
        _attempt: u32,
    ) -> Option<Result<Resent>> {
        if error.kind() != ServerCode::ReadOnly {
            return None;
        }
        {
            let mut last = self.last.lock();
            if last.is_some_and(|t| t.elapsed() < READONLY_QUIET) {
                return None;
            }
            *last = Some(Instant::now());
        }
        log::info!(
            "coredis: {} answered READONLY: asking the Sentinels for the primary of {} again",
            from.node(),
            self.name
        );
        from.reconnect(Error::new(
            ErrorKind::Closed,
            format!("the node is no longer the primary of {:?}", self.name),
        ));
        None
    }
}

/// The thread that moves a primary client when the Sentinels announce a new primary.
struct Watcher {
    sentinel: Sentinel,
    name: String,
    /// The client's shared pipes.
    pipes: Vec<Weak<Pipe>>,
    /// The client's dedicated connections: the idle ones are closed when the primary moves.
    pool: Weak<Pool>,
    /// Disconnected when the client closes (see [`crate::node::Node::closing`]).
    closed: crossbeam_channel::Receiver<()>,
    subscriber: Subscriber,
}

impl Watcher {
    fn run(self) {
        log::debug!("coredis: watching {SWITCH_MASTER} for {}", self.name);
        loop {
            let pipes: Vec<Arc<Pipe>> = self
                .pipes
                .iter()
                .filter_map(Weak::upgrade)
                .filter(|p| !p.is_closed())
                .collect();
            if pipes.is_empty() {
                break;
            }
            // Parked until an announcement, a subscriber event or the client's end: no
            // wake-up while nothing happens.
            let never = crossbeam_channel::never();
            let events = self.subscriber.events().unwrap_or(&never);
            let next = crossbeam_channel::select! {
                recv(self.subscriber.receiver()) -> msg => msg.map(Some).map_err(|_| {
                    Error::new(ErrorKind::Closed, "the subscriber closed")
                }),
                recv(events) -> event => match event {
                    Ok(SubscriberEvent::Resubscribed) => {
                        self.ask_again(&pipes);
                        Ok(None)
                    }
                    Ok(_) => Ok(None),
                    Err(_) => Err(Error::new(ErrorKind::Closed, "the subscriber closed")),
                },
                recv(self.closed) -> _ => break,
            };
            match next {
                Ok(Some(msg)) => {
                    let text = String::from_utf8_lossy(&msg.payload).into_owned();
                    if let Some(addr) = switched_to(&text, &self.name) {
                        log::info!(
                            "coredis: the Sentinels switched the primary of {} to {addr}",
                            self.name
                        );
                        self.move_to(&pipes, &addr);
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    log::debug!(
                        "coredis: the Sentinel watcher of {} stops: {e:#}",
                        self.name
                    );
                    break;
                }
            }
        }
        self.subscriber.close();
        log::debug!("coredis: the Sentinel watcher of {} stopped", self.name);
    }

    /// The subscription was made again on a new connection: announcements made while it was
    /// down are lost, so ask where the primary is.
    fn ask_again(&self, pipes: &[Arc<Pipe>]) {
        match self.sentinel.primary_addr(&self.name) {
            Ok(addr) => self.move_to(pipes, &addr.to_string()),
            Err(e) => log::debug!(
                "coredis: could not ask for the primary of {}: {e:#}",
                self.name
            ),
        }
    }

    /// Makes the client reconnect (the shared pipes now, the dedicated connections as they are
    /// next opened: the idle ones are closed) unless they are connected to `addr` already.
    /// Dedicated connections checked out meanwhile stay where they are until they fail or
    /// come back.
    fn move_to(&self, pipes: &[Arc<Pipe>], addr: &str) {
        if pipes.iter().all(|p| p.node() == addr) {
            return;
        }
        if let Some(pool) = self.pool.upgrade() {
            pool.close_idle();
        }
        for pipe in pipes.iter().filter(|p| p.node() != addr) {
            pipe.reconnect(Error::new(
                ErrorKind::Closed,
                format!(
                    "the Sentinels switched the primary of {:?} to {addr}",
                    self.name
                ),
            ));
        }
    }
}

/// The new primary's `host:port` in a `+switch-master` payload (`<name> <old ip> <old port>
/// <new ip> <new port>`) about `name`.
fn switched_to(payload: &str, name: &str) -> Option<String> {
    let mut words = payload.split_whitespace();
    if words.next()? != name {
        return None;
    }
    let (_, _, ip, port) = (words.next()?, words.next()?, words.next()?, words.next()?);
    let port: u16 = port.parse().ok()?;
    Some(Addr::tcp(ip, port).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switch_master_payloads() {
        assert_eq!(
            switched_to("mymaster 127.0.0.1 6379 127.0.0.1 6380", "mymaster").as_deref(),
            Some("127.0.0.1:6380")
        );
        assert_eq!(
            switched_to("other 127.0.0.1 6379 127.0.0.1 6380", "mymaster"),
            None
        );
        assert_eq!(switched_to("mymaster 127.0.0.1 6379", "mymaster"), None);
        assert_eq!(
            switched_to("mymaster ::1 6379 ::1 6380", "mymaster").as_deref(),
            Some("[::1]:6380")
        );
    }

    #[test]
    fn config_needs_a_sentinel() {
        let e = SentinelConfig::builder().build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        let c = SentinelConfig::builder()
            .sentinel(Addr::tcp("127.0.0.1", 26379))
            .build()
            .unwrap();
        assert_eq!(c.sentinels(), &[Addr::tcp("127.0.0.1", 26379)]);
    }

    #[test]
    fn sentinel_is_send_sync_clone() {
        fn check<T: Send + Sync + Clone>() {}
        check::<Sentinel>();
    }
}
