//! The settings of a cluster client.
//!
//! Owns: [`ClusterConfig`] and its builder — the startup nodes, the connection settings every
//! node shares (a [`Config`]), where reads go ([`ReadFrom`]), the redirect and retry limits,
//! and how often the slot map may be refreshed — and the parsing of cluster URLs.
//!
//! Must not: connect or hold state.

use std::time::Duration;

use crate::config::{Addr, Config};
use crate::error::{Error, Result};

/// The default limit on redirections (`MOVED`, `ASK`) and retries (`TRYAGAIN`,
/// `CLUSTERDOWN`, `LOADING`) of one command.
pub const DEFAULT_MAX_REDIRECTS: u32 = 5;

/// The default shortest time between two refreshes of the slot map.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_millis(200);

/// Where a cluster client sends commands that only read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReadFrom {
    /// Every command goes to the slot's primary (the default): reads see every write.
    #[default]
    Primary,
    /// Reads go to a replica of the slot (in turn when there are several), or to the primary
    /// when it has none. A read may miss the latest writes (replication is asynchronous).
    PreferReplica,
    /// Reads go in turn to the primary and each replica of the slot.
    RoundRobin,
}

/// How to reach and talk to a Redis Cluster. Build with [`ClusterConfig::builder`] or
/// [`ClusterConfig::from_url`].
///
/// ```
/// use coredis::{ClusterConfig, ReadFrom};
/// let c = ClusterConfig::builder()
///     .node("127.0.0.1:7000".parse()?)
///     .node("127.0.0.1:7001".parse()?)
///     .read_from(ReadFrom::PreferReplica)
///     .build()?;
/// assert_eq!(c.nodes().len(), 2);
/// let c = ClusterConfig::from_url("redis://:secret@127.0.0.1:7000,127.0.0.1:7001")?;
/// assert_eq!(c.node_config().password(), Some("secret"));
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    nodes: Vec<Addr>,
    node: Config,
    read_from: ReadFrom,
    max_redirects: u32,
    refresh_interval: Duration,
}

impl ClusterConfig {
    /// A builder with no startup nodes and the defaults.
    pub fn builder() -> ClusterConfigBuilder {
        ClusterConfigBuilder {
            config: ClusterConfig {
                nodes: Vec::new(),
                node: Config::default(),
                read_from: ReadFrom::default(),
                max_redirects: DEFAULT_MAX_REDIRECTS,
                refresh_interval: DEFAULT_REFRESH_INTERVAL,
            },
        }
    }

    /// Parses a cluster URL: a [`Config`] URL whose host part lists one or more startup nodes
    /// separated by commas (`redis://[user:pass@]host:port[,host:port…][?…]`, `rediss://…`).
    /// The credentials, TLS and query options apply to every node; a database other than 0
    /// is refused (a cluster has only database 0).
    ///
    /// # Errors
    /// [`crate::ErrorKind::Config`] for a URL that does not parse.
    pub fn from_url(url: &str) -> Result<ClusterConfig> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| Error::config("a cluster URL starts with redis:// or rediss://"))?;
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let mut hosts = hosts.split(',').filter(|h| !h.is_empty());
        let first = hosts
            .next()
            .ok_or_else(|| Error::config("a cluster URL names at least one node"))?;
        let user = userinfo.map(|u| format!("{u}@")).unwrap_or_default();
        let node = Config::from_url(&format!("{scheme}://{user}{first}{tail}"))?;
        let mut nodes = vec![node.addr().clone()];
        for h in hosts {
            nodes.push(h.parse()?);
        }
        ClusterConfigBuilder {
            config: ClusterConfig {
                nodes,
                node,
                ..ClusterConfig::builder().config
            },
        }
        .build()
    }

    /// The startup nodes: asked for the slot map in turn until one answers.
    pub fn nodes(&self) -> &[Addr] {
        &self.nodes
    }

    /// The connection settings of every node (its address is ignored: each node has its own).
    pub fn node_config(&self) -> &Config {
        &self.node
    }

    /// Where reads go. Default: [`ReadFrom::Primary`].
    pub fn read_from(&self) -> ReadFrom {
        self.read_from
    }

    /// How many times one command may be redirected or retried. Default:
    /// [`DEFAULT_MAX_REDIRECTS`].
    pub fn max_redirects(&self) -> u32 {
        self.max_redirects
    }

    /// The shortest time between two refreshes of the slot map. Default:
    /// [`DEFAULT_REFRESH_INTERVAL`].
    pub fn refresh_interval(&self) -> Duration {
        self.refresh_interval
    }
}

/// Builds a [`ClusterConfig`].
#[derive(Debug, Clone)]
#[must_use]
pub struct ClusterConfigBuilder {
    config: ClusterConfig,
}

impl ClusterConfigBuilder {
    /// Adds a startup node.
    pub fn node(mut self, addr: Addr) -> Self {
        self.config.nodes.push(addr);
        self
    }

    /// Adds startup nodes.
    pub fn nodes(mut self, addrs: impl IntoIterator<Item = Addr>) -> Self {
        self.config.nodes.extend(addrs);
        self
    }

    /// The connection settings of every node: credentials, TLS, protocol, timeouts, limits.
    /// Its address is ignored.
    pub fn node_config(mut self, config: Config) -> Self {
        self.config.node = config;
        self
    }

    /// Where reads go.
    pub fn read_from(mut self, read_from: ReadFrom) -> Self {
        self.config.read_from = read_from;
        self
    }

    /// How many times one command may be redirected or retried.
    pub fn max_redirects(mut self, max: u32) -> Self {
        self.config.max_redirects = max;
        self
    }

    /// The shortest time between two refreshes of the slot map.
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.config.refresh_interval = interval;
        self
    }

    /// Checks and returns the configuration.
    ///
    /// # Errors
    /// [`crate::ErrorKind::Config`] without startup nodes, with a unix-socket node, or with a
    /// database other than 0.
    pub fn build(self) -> Result<ClusterConfig> {
        let c = self.config;
        if c.nodes.is_empty() {
            return Err(Error::config(
                "a cluster client needs at least one startup node",
            ));
        }
        if c.nodes.iter().any(|a| matches!(a, Addr::Unix(_))) {
            return Err(Error::config(
                "cluster nodes are reached over TCP, not unix sockets",
            ));
        }
        if c.node.db() != 0 {
            return Err(Error::config(format!(
                "a cluster has only database 0 (the configuration asks for {})",
                c.node.db()
            )));
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = ClusterConfig::from_url("redis://u:p@127.0.0.1:7000,127.0.0.2:7001/?protocol=2")
            .unwrap();
        assert_eq!(
            c.nodes(),
            [Addr::tcp("127.0.0.1", 7000), Addr::tcp("127.0.0.2", 7001)]
        );
        assert_eq!(c.node_config().username(), Some("u"));
        assert_eq!(c.node_config().protocol_version(), 2);
        assert!(ClusterConfig::from_url("redis://127.0.0.1:7000/3").is_err());
        assert!(ClusterConfig::from_url("127.0.0.1:7000").is_err());
        assert!(ClusterConfig::builder().build().is_err());
    }
}
