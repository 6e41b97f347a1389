//! Options and replies of the server commands: persistence (`BGSAVE`, `SHUTDOWN`),
//! replication (`FAILOVER`, `ROLE`), and, in their own files, ACL (`acl.rs`), the command table
//! (`command.rs`) and diagnostics (`diagnostics.rs`: `LATENCY`, `MEMORY`, `SLOWLOG`,
//! `COMMANDLOG`, `MODULE LIST`).
//!
//! Map-shaped replies come as RESP3 maps or RESP2 flat arrays of names and values; both read
//! the same. Fields only some servers send are `Option`s (or empty lists), and fields this
//! crate does not know are ignored (or kept in an `other` list where the reply is open-ended).

mod acl;
mod command;
mod diagnostics;

pub use acl::{AclDryRun, AclLogEntry, AclLogReason, AclSelector, AclUser};
pub use command::{
    ArgumentKind, BeginSearch, CommandArgument, CommandDoc, CommandHistoryEntry, CommandInfo,
    CommandListFilter, FindKeys, KeyFlags, KeySpec,
};
pub use diagnostics::{
    CommandLogCost, CommandLogEntry, CommandLogType, DbMemoryStats, LatencyBucket,
    LatencyHistogram, LatencyLatest, LatencySample, MemoryStats, ModuleInfo, ModuleLoadExOptions,
    SlowLogEntry,
};

use crate::types::fields::Fields;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::args::time;
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// Text that may not be UTF-8 (command arguments in logs): invalid bytes become U+FFFD.
pub(crate) fn lossy(value: Value) -> Result<String> {
    match value {
        Value::Int(i) => Ok(i.to_string()),
        v => {
            let bytes = bytes::Bytes::from_value(v)?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        }
    }
}

/// A non-negative number of seconds (`age-seconds`) as a duration; anything else is zero.
pub(crate) fn secs_f64(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or_default()
}

/// A Unix time in seconds; a negative one is the epoch.
pub(crate) fn unix_secs(secs: i64) -> SystemTime {
    time::from_unix_secs(u64::try_from(secs).unwrap_or(0))
}

/// A Unix time in milliseconds; a negative one is the epoch.
pub(crate) fn unix_millis(ms: i64) -> SystemTime {
    time::from_unix_millis(u64::try_from(ms).unwrap_or(0))
}

/// The reply of `LASTSAVE`: a Unix time in seconds.
pub(crate) fn lastsave_reply(value: Value) -> Result<SystemTime> {
    i64::from_value(value).map(unix_secs)
}

/// The reply of `TIME`: seconds and microseconds, as two strings.
pub(crate) fn time_reply(value: Value) -> Result<SystemTime> {
    let (secs, micros) = <(u64, u64)>::from_value(value)?;
    Ok(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros))
}

/// What `BGSAVE` and `BGREWRITEAOF` report: whether the background job started, was
/// scheduled for when the running one ends, or (`BGSAVE CANCEL`) was cancelled.
///
/// ```
/// use coredis::types::BackgroundStatus;
/// use coredis::{FromValue, Value};
/// let s = BackgroundStatus::from_value(Value::SimpleString("Background saving started".into()))?;
/// assert_eq!(s, BackgroundStatus::Started);
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackgroundStatus {
    /// The job started (`Background saving started`, `Background append only file rewriting
    /// started`).
    Started,
    /// Another background job runs; this one starts when it ends (`… scheduled`).
    Scheduled,
    /// `BGSAVE CANCEL` stopped the running save or removed the scheduled one (Valkey 8.1+).
    Cancelled,
    /// Any other status text, as the server sent it.
    Other(String),
}

impl FromValue for BackgroundStatus {
    fn from_value(value: Value) -> Result<Self> {
        let text = String::from_value(value)?;
        let lower = text.to_ascii_lowercase();
        Ok(if lower.ends_with("started") {
            BackgroundStatus::Started
        } else if lower.ends_with("scheduled") {
            BackgroundStatus::Scheduled
        } else if lower.ends_with("cancelled") || lower.ends_with("canceled") {
            BackgroundStatus::Cancelled
        } else {
            BackgroundStatus::Other(text)
        })
    }
}

/// The option of `BGSAVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BgSaveOption {
    /// `SCHEDULE`: when an AOF rewrite is running, save once it ends instead of failing.
    Schedule,
    /// `CANCEL`: stop the running save, or drop the scheduled one (Valkey 8.1+).
    Cancel,
}

impl BgSaveOption {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            BgSaveOption::Schedule => "SCHEDULE",
            BgSaveOption::Cancel => "CANCEL",
        }
    }
}

/// Whether `SHUTDOWN` saves the dataset first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ShutdownSave {
    /// `NOSAVE`: do not save, even with save points configured.
    NoSave,
    /// `SAVE`: save, even without save points configured.
    Save,
}

impl ShutdownSave {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            ShutdownSave::NoSave => "NOSAVE",
            ShutdownSave::Save => "SAVE",
        }
    }
}

/// The optional arguments of `SHUTDOWN` (`ABORT` is its own method,
/// [`ServerCommands::shutdown_abort`](crate::commands::ServerCommands::shutdown_abort)).
///
/// ```
/// use coredis::types::{ShutdownOptions, ShutdownSave};
/// let o = ShutdownOptions::new().save(ShutdownSave::NoSave).now().force();
/// assert_eq!(o.save_mode(), Some(ShutdownSave::NoSave));
/// assert!(o.is_now() && o.is_force());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ShutdownOptions {
    save: Option<ShutdownSave>,
    now: bool,
    force: bool,
    safe: bool,
    failover: bool,
}

impl ShutdownOptions {
    /// No options: save when save points are configured, wait for lagging replicas.
    #[must_use]
    pub fn new() -> ShutdownOptions {
        ShutdownOptions::default()
    }

    /// `NOSAVE` or `SAVE`.
    #[must_use]
    pub fn save(mut self, save: ShutdownSave) -> ShutdownOptions {
        self.save = Some(save);
        self
    }

    /// `NOW`: do not wait for lagging replicas (Redis 7.0+).
    #[must_use]
    pub fn now(mut self) -> ShutdownOptions {
        self.now = true;
        self
    }

    /// `FORCE`: shut down even if saving the dataset or the AOF fails (Redis 7.0+).
    #[must_use]
    pub fn force(mut self) -> ShutdownOptions {
        self.force = true;
        self
    }

    /// `SAFE`: refuse to shut down when the server judges it unsafe (Valkey 9.0+; a
    /// standalone server stops as usual).
    #[must_use]
    pub fn safe(mut self) -> ShutdownOptions {
        self.safe = true;
        self
    }

    /// `FAILOVER`: hand the primary's slots to a replica before shutting down (Valkey 9.0+,
    /// cluster mode only: an error on a standalone server).
    #[must_use]
    pub fn failover(mut self) -> ShutdownOptions {
        self.failover = true;
        self
    }

    /// `NOSAVE` or `SAVE`, if set. Defaults to `None` (save when save points exist).
    pub fn save_mode(self) -> Option<ShutdownSave> {
        self.save
    }

    /// Whether `NOW` is set. Defaults to `false`.
    pub fn is_now(self) -> bool {
        self.now
    }

    /// Whether `FORCE` is set. Defaults to `false`.
    pub fn is_force(self) -> bool {
        self.force
    }

    /// Whether `SAFE` is set. Defaults to `false`.
    pub fn is_safe(self) -> bool {
        self.safe
    }

    /// Whether `FAILOVER` is set. Defaults to `false`.
    pub fn is_failover(self) -> bool {
        self.failover
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = match self.save {
            Some(s) => cmd.arg(s.token()),
            None => cmd,
        };
        cmd.flag(self.now, "NOW")
            .flag(self.force, "FORCE")
            .flag(self.safe, "SAFE")
            .flag(self.failover, "FAILOVER")
    }
}

/// The optional arguments of `FAILOVER` (`ABORT` is its own method,
/// [`ReplicationCommands::failover_abort`](crate::commands::ReplicationCommands::failover_abort)).
///
/// ```
/// use coredis::types::FailoverOptions;
/// use std::time::Duration;
/// let o = FailoverOptions::new().to("10.0.0.2", 6379).force().timeout(Duration::from_secs(5));
/// assert_eq!(o.target(), Some(("10.0.0.2", 6379)));
/// assert!(o.is_force());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FailoverOptions {
    to: Option<(String, u16)>,
    force: bool,
    timeout: Option<Duration>,
}

impl FailoverOptions {
    /// No options: fail over to any replica that is in sync, waiting as long as it takes.
    #[must_use]
    pub fn new() -> FailoverOptions {
        FailoverOptions::default()
    }

    /// `TO host port`: the replica to hand the primary role to.
    #[must_use]
    pub fn to(mut self, host: impl Into<String>, port: u16) -> FailoverOptions {
        self.to = Some((host.into(), port));
        self
    }

    /// `FORCE`: after the timeout, fail over even though the target is not in sync. Needs
    /// both [`FailoverOptions::to`] and [`FailoverOptions::timeout`]; without a target it is
    /// not sent.
    #[must_use]
    pub fn force(mut self) -> FailoverOptions {
        self.force = true;
        self
    }

    /// `TIMEOUT milliseconds`: how long to wait for a replica to catch up before giving up
    /// (or, with `FORCE`, failing over anyway). Rounded up to whole milliseconds.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> FailoverOptions {
        self.timeout = Some(timeout);
        self
    }

    /// The target replica, if set. Defaults to `None` (any replica in sync).
    pub fn target(&self) -> Option<(&str, u16)> {
        self.to.as_ref().map(|(h, p)| (h.as_str(), *p))
    }

    /// Whether `FORCE` is set. Defaults to `false`.
    pub fn is_force(&self) -> bool {
        self.force
    }

    /// The timeout, if set. Defaults to `None` (no limit).
    pub fn timeout_duration(&self) -> Option<Duration> {
        self.timeout
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = match self.to {
            Some((host, port)) => cmd.arg("TO").arg(host).arg(port).flag(self.force, "FORCE"),
            None => cmd,
        };
        cmd.opt("TIMEOUT", self.timeout.map(time::millis))
    }
}

/// The reply of `ROLE`: what the server is in replication, and what it knows about its peers.
///
/// ```no_run
/// # use coredis::prelude::*;
/// use coredis::types::Role;
/// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// match r.role()? {
///     Role::Master { replicas, .. } => println!("primary with {} replicas", replicas.len()),
///     Role::Replica { master_host, master_port, state, .. } => {
///         println!("replica of {master_host}:{master_port}, {state:?}")
///     }
///     Role::Sentinel { masters } => println!("sentinel watching {masters:?}"),
///     _ => {}
/// }
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// A primary (`master`).
    Master {
        /// Its replication offset.
        offset: u64,
        /// Its connected replicas.
        replicas: Vec<RoleReplica>,
    },
    /// A replica (`slave`).
    Replica {
        /// The primary's host, as configured.
        master_host: String,
        /// The primary's port.
        master_port: u16,
        /// The state of the link to the primary.
        state: ReplicaLinkState,
        /// How much of the primary's replication stream it has received; `None` while
        /// unknown (`-1`, before the first synchronisation).
        offset: Option<u64>,
    },
    /// A Sentinel.
    Sentinel {
        /// The names of the primaries it monitors.
        masters: Vec<String>,
    },
}

/// A replica as its primary's `ROLE` reply lists it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RoleReplica {
    /// Its address as the primary sees it.
    pub host: String,
    /// Its listening port.
    pub port: u16,
    /// The replication offset it last acknowledged.
    pub offset: u64,
}

/// The state of a replica's link to its primary, as `ROLE` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplicaLinkState {
    /// `connect`: about to connect.
    Connect,
    /// `connecting`: connecting.
    Connecting,
    /// `handshake`: connected, authenticating and negotiating.
    Handshake,
    /// `sync`: receiving the primary's dataset.
    Sync,
    /// `connected`: in sync, receiving the replication stream.
    Connected,
    /// Any other state, as the server names it.
    Other(String),
}

impl ReplicaLinkState {
    /// The state the server calls `name`.
    pub fn from_name(name: &str) -> ReplicaLinkState {
        match name {
            "connect" => ReplicaLinkState::Connect,
            "connecting" => ReplicaLinkState::Connecting,
            "handshake" => ReplicaLinkState::Handshake,
            "sync" => ReplicaLinkState::Sync,
            "connected" => ReplicaLinkState::Connected,
            other => ReplicaLinkState::Other(other.to_string()),
        }
    }
}

impl FromValue for RoleReplica {
    fn from_value(value: Value) -> Result<Self> {
        let (host, port, offset) = <(String, u16, u64)>::from_value(value)?;
        Ok(RoleReplica { host, port, offset })
    }
}

impl FromValue for Role {
    fn from_value(value: Value) -> Result<Self> {
        let items = Vec::<Value>::from_value(value)?;
        let mut it = items.into_iter();
        let kind = match it.next() {
            Some(v) => String::from_value(v)?,
            None => return Err(Error::type_mismatch("a ROLE reply", "an empty array")),
        };
        let mut next = |what: &str| {
            it.next().ok_or_else(|| {
                Error::type_mismatch(&format!("a ROLE reply with {what}"), "a shorter array")
            })
        };
        match kind.as_str() {
            "master" => Ok(Role::Master {
                offset: u64::from_value(next("an offset")?)?,
                replicas: Vec::from_value(next("replicas")?)?,
            }),
            "slave" | "replica" => Ok(Role::Replica {
                master_host: String::from_value(next("a host")?)?,
                master_port: u16::from_value(next("a port")?)?,
                state: ReplicaLinkState::from_name(&String::from_value(next("a state")?)?),
                offset: u64::try_from(i64::from_value(next("an offset")?)?).ok(),
            }),
            "sentinel" => Ok(Role::Sentinel {
                masters: Vec::from_value(next("primary names")?)?,
            }),
            other => Err(Error::type_mismatch(
                "a ROLE reply (master, slave or sentinel)",
                other,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn roles() {
        let master = Value::Array(vec![
            bulk("master"),
            Value::Int(14),
            Value::Array(vec![Value::Array(vec![
                bulk("127.0.0.1"),
                bulk("17004"),
                bulk("14"),
            ])]),
        ]);
        assert_eq!(
            Role::from_value(master).unwrap(),
            Role::Master {
                offset: 14,
                replicas: vec![RoleReplica {
                    host: "127.0.0.1".into(),
                    port: 17004,
                    offset: 14
                }]
            }
        );
        let replica = Value::Array(vec![
            bulk("slave"),
            bulk("127.0.0.1"),
            Value::Int(6379),
            bulk("handshake"),
            Value::Int(-1),
        ]);
        assert_eq!(
            Role::from_value(replica).unwrap(),
            Role::Replica {
                master_host: "127.0.0.1".into(),
                master_port: 6379,
                state: ReplicaLinkState::Handshake,
                offset: None,
            }
        );
        let sentinel = Value::Array(vec![bulk("sentinel"), Value::Array(vec![bulk("mymaster")])]);
        assert_eq!(
            Role::from_value(sentinel).unwrap(),
            Role::Sentinel {
                masters: vec!["mymaster".into()]
            }
        );
        for bad in [
            Value::Array(vec![]),
            Value::Array(vec![bulk("master")]),
            Value::Array(vec![bulk("leader"), Value::Int(1)]),
            Value::Int(3),
        ] {
            assert!(Role::from_value(bad).is_err());
        }
    }

    #[test]
    fn statuses_and_times() {
        let s = |t: &str| {
            BackgroundStatus::from_value(Value::SimpleString(Bytes::copy_from_slice(t.as_bytes())))
                .unwrap()
        };
        assert_eq!(s("Background saving started"), BackgroundStatus::Started);
        assert_eq!(
            s("Background append only file rewriting scheduled"),
            BackgroundStatus::Scheduled
        );
        assert_eq!(
            s("Background saving cancelled"),
            BackgroundStatus::Cancelled
        );
        assert_eq!(s("Hm"), BackgroundStatus::Other("Hm".into()));
        let t = time_reply(Value::Array(vec![bulk("1700000000"), bulk("250")])).unwrap();
        assert_eq!(
            t,
            UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_micros(250)
        );
        assert_eq!(
            lastsave_reply(Value::Int(5)).unwrap(),
            UNIX_EPOCH + Duration::from_secs(5)
        );
        assert_eq!(secs_f64(-1.0), Duration::ZERO);
        assert_eq!(secs_f64(f64::NAN), Duration::ZERO);
        assert_eq!(
            lossy(Value::Bulk(Bytes::from_static(b"a\xff"))).unwrap(),
            "a\u{fffd}"
        );
    }

    #[test]
    fn options_build_their_tokens() {
        let words = |c: Cmd<Value>| -> Vec<String> {
            c.request()
                .args()
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect()
        };
        let c = ShutdownOptions::new()
            .save(ShutdownSave::Save)
            .now()
            .force()
            .safe()
            .failover()
            .apply(Cmd::new("SHUTDOWN"));
        assert_eq!(
            words(c),
            ["SHUTDOWN", "SAVE", "NOW", "FORCE", "SAFE", "FAILOVER"]
        );
        let c = FailoverOptions::new()
            .to("h", 7)
            .force()
            .timeout(Duration::from_micros(1500))
            .apply(Cmd::new("FAILOVER"));
        assert_eq!(
            words(c),
            ["FAILOVER", "TO", "h", "7", "FORCE", "TIMEOUT", "2"]
        );
        let c = FailoverOptions::new().force().apply(Cmd::new("FAILOVER"));
        assert_eq!(words(c), ["FAILOVER"], "FORCE needs TO");
    }
}
