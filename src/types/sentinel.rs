//! Replies and token groups of the Sentinel commands (`SENTINEL …`).
//!
//! Sentinel describes the instances it watches as maps of names and text values (RESP3) or flat
//! arrays of them (RESP2); both read the same. Times Sentinel reports as "milliseconds ago" are
//! [`Duration`]s; addresses are `(host, port)` pairs.

use std::time::Duration;

use super::fields::{elements, Fields};
use super::Info;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// The fields every instance Sentinel describes has.
struct Common {
    name: String,
    addr: (String, u16),
    run_id: Option<String>,
    flags: Vec<String>,
    link_pending_commands: u64,
    link_refcount: u64,
    last_ping_sent: Duration,
    last_ok_ping_reply: Duration,
    last_ping_reply: Duration,
    s_down_time: Option<Duration>,
    down_after: Duration,
}

fn millis(f: &mut Fields, name: &str) -> Result<Duration> {
    f.req::<u64>(name).map(Duration::from_millis)
}

fn opt_millis(f: &mut Fields, name: &str) -> Result<Option<Duration>> {
    Ok(f.opt::<u64>(name)?.map(Duration::from_millis))
}

impl Common {
    fn read(f: &mut Fields) -> Result<Common> {
        let flags: String = f.req("flags")?;
        let run_id: String = f.opt("runid")?.unwrap_or_default();
        Ok(Common {
            name: f.req("name")?,
            addr: (f.req("ip")?, f.req("port")?),
            run_id: (!run_id.is_empty()).then_some(run_id),
            flags: flags.split(',').map(str::to_owned).collect(),
            link_pending_commands: f.req("link-pending-commands")?,
            link_refcount: f.req("link-refcount")?,
            last_ping_sent: millis(f, "last-ping-sent")?,
            last_ok_ping_reply: millis(f, "last-ok-ping-reply")?,
            last_ping_reply: millis(f, "last-ping-reply")?,
            s_down_time: opt_millis(f, "s-down-time")?,
            down_after: millis(f, "down-after-milliseconds")?,
        })
    }
}

/// A primary Sentinel monitors, as `SENTINEL MASTER` and `SENTINEL MASTERS` describe it.
///
/// `flags` lists Sentinel's flags as sent: `master`, and `s_down` (this Sentinel thinks it
/// is down), `o_down` (enough Sentinels agree), `disconnected`, `failover_in_progress`, …
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SentinelMaster {
    /// The name it is monitored under.
    pub name: String,
    /// Its address, `(host, port)`.
    pub addr: (String, u16),
    /// Its run id (`None` until Sentinel has seen it).
    pub run_id: Option<String>,
    /// Sentinel's flags for it.
    pub flags: Vec<String>,
    /// Commands sent and not yet answered.
    pub link_pending_commands: u64,
    /// How many monitored instances share the connection.
    pub link_refcount: u64,
    /// How long ago the pending ping was sent (zero: none pending).
    pub last_ping_sent: Duration,
    /// How long ago it last answered a ping correctly.
    pub last_ok_ping_reply: Duration,
    /// How long ago it last answered a ping at all.
    pub last_ping_reply: Duration,
    /// For how long it has been subjectively down, when it is.
    pub s_down_time: Option<Duration>,
    /// For how long it has been objectively down, when it is.
    pub o_down_time: Option<Duration>,
    /// How long it may not answer before it is considered down (`down-after-milliseconds`).
    pub down_after: Duration,
    /// How long ago Sentinel last read its `INFO`.
    pub info_refresh: Duration,
    /// The role it last reported (`master`, or `slave` during a reconfiguration).
    pub role_reported: String,
    /// How long ago it reported that role.
    pub role_reported_time: Duration,
    /// The configuration epoch of its address.
    pub config_epoch: u64,
    /// How many replicas Sentinel knows of it (`num-slaves`).
    pub num_replicas: u64,
    /// How many other Sentinels monitor it.
    pub num_other_sentinels: u64,
    /// How many Sentinels must agree that it is down.
    pub quorum: u64,
    /// The failover timeout.
    pub failover_timeout: Duration,
    /// How many replicas resync with a new primary at once.
    pub parallel_syncs: u64,
}

impl SentinelMaster {
    /// Whether Sentinel has the flag `flag` (`"o_down"`) for it.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    /// Whether enough Sentinels agree that it is down (`o_down`).
    pub fn is_objectively_down(&self) -> bool {
        self.has_flag("o_down")
    }

    /// Whether this Sentinel thinks it is down (`s_down`).
    pub fn is_subjectively_down(&self) -> bool {
        self.has_flag("s_down")
    }

    /// Whether a failover of it is under way (`failover_in_progress`).
    pub fn is_failover_in_progress(&self) -> bool {
        self.has_flag("failover_in_progress")
    }
}

impl FromValue for SentinelMaster {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a SENTINEL MASTER reply")?;
        let c = Common::read(&mut f)?;
        Ok(SentinelMaster {
            name: c.name,
            addr: c.addr,
            run_id: c.run_id,
            flags: c.flags,
            link_pending_commands: c.link_pending_commands,
            link_refcount: c.link_refcount,
            last_ping_sent: c.last_ping_sent,
            last_ok_ping_reply: c.last_ok_ping_reply,
            last_ping_reply: c.last_ping_reply,
            s_down_time: c.s_down_time,
            o_down_time: opt_millis(&mut f, "o-down-time")?,
            down_after: c.down_after,
            info_refresh: millis(&mut f, "info-refresh")?,
            role_reported: f.req("role-reported")?,
            role_reported_time: millis(&mut f, "role-reported-time")?,
            config_epoch: f.req("config-epoch")?,
            num_replicas: f.req("num-slaves")?,
            num_other_sentinels: f.req("num-other-sentinels")?,
            quorum: f.req("quorum")?,
            failover_timeout: millis(&mut f, "failover-timeout")?,
            parallel_syncs: f.req("parallel-syncs")?,
        })
    }
}

/// A replica of a monitored primary, as `SENTINEL REPLICAS` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SentinelReplica {
    /// Sentinel's name for it: `host:port`.
    pub name: String,
    /// Its address, `(host, port)`.
    pub addr: (String, u16),
    /// Its run id (`None` until Sentinel has seen it).
    pub run_id: Option<String>,
    /// Sentinel's flags for it (`slave`, `s_down`, `disconnected`, `promoted`, …).
    pub flags: Vec<String>,
    /// Commands sent and not yet answered.
    pub link_pending_commands: u64,
    /// How many monitored instances share the connection.
    pub link_refcount: u64,
    /// How long ago the pending ping was sent (zero: none pending).
    pub last_ping_sent: Duration,
    /// How long ago it last answered a ping correctly.
    pub last_ok_ping_reply: Duration,
    /// How long ago it last answered a ping at all.
    pub last_ping_reply: Duration,
    /// For how long it has been subjectively down, when it is.
    pub s_down_time: Option<Duration>,
    /// How long it may not answer before it is considered down.
    pub down_after: Duration,
    /// How long ago Sentinel last read its `INFO`.
    pub info_refresh: Duration,
    /// The role it last reported.
    pub role_reported: String,
    /// How long ago it reported that role.
    pub role_reported_time: Duration,
    /// For how long its link to its primary has been down (zero: up).
    pub master_link_down_time: Duration,
    /// Whether its link to its primary is up (`master-link-status: ok`).
    pub master_link_ok: bool,
    /// The primary it replicates from, as it reports it (`None` while unknown).
    pub master_addr: Option<(String, u16)>,
    /// Its replica priority (lower is preferred for promotion; 0: never).
    pub priority: u64,
    /// Its replication offset.
    pub repl_offset: u64,
    /// Whether it is announced to clients (`replica-announced`, Redis 6.2+).
    pub announced: Option<bool>,
}

impl SentinelReplica {
    /// Whether Sentinel has the flag `flag` (`"s_down"`) for it.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

impl FromValue for SentinelReplica {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a SENTINEL REPLICAS entry")?;
        let c = Common::read(&mut f)?;
        let host: String = f.req("master-host")?;
        let port: Option<u16> = f.opt("master-port")?;
        let status: String = f.req("master-link-status")?;
        Ok(SentinelReplica {
            name: c.name,
            addr: c.addr,
            run_id: c.run_id,
            flags: c.flags,
            link_pending_commands: c.link_pending_commands,
            link_refcount: c.link_refcount,
            last_ping_sent: c.last_ping_sent,
            last_ok_ping_reply: c.last_ok_ping_reply,
            last_ping_reply: c.last_ping_reply,
            s_down_time: c.s_down_time,
            down_after: c.down_after,
            info_refresh: millis(&mut f, "info-refresh")?,
            role_reported: f.req("role-reported")?,
            role_reported_time: millis(&mut f, "role-reported-time")?,
            master_link_down_time: millis(&mut f, "master-link-down-time")?,
            master_link_ok: status == "ok",
            master_addr: match port {
                Some(port) if host != "?" && port != 0 => Some((host, port)),
                _ => None,
            },
            priority: f.req("slave-priority")?,
            repl_offset: f.req("slave-repl-offset")?,
            announced: f.opt("replica-announced")?,
        })
    }
}

/// Another Sentinel monitoring the same primary, as `SENTINEL SENTINELS` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SentinelPeer {
    /// Sentinel's name for it (its id).
    pub name: String,
    /// Its address, `(host, port)`.
    pub addr: (String, u16),
    /// Its id.
    pub run_id: Option<String>,
    /// Sentinel's flags for it (`sentinel`, `s_down`, `disconnected`, …).
    pub flags: Vec<String>,
    /// Commands sent and not yet answered.
    pub link_pending_commands: u64,
    /// How many monitored instances share the connection.
    pub link_refcount: u64,
    /// How long ago the pending ping was sent (zero: none pending).
    pub last_ping_sent: Duration,
    /// How long ago it last answered a ping correctly.
    pub last_ok_ping_reply: Duration,
    /// How long ago it last answered a ping at all.
    pub last_ping_reply: Duration,
    /// For how long it has been subjectively down, when it is.
    pub s_down_time: Option<Duration>,
    /// How long it may not answer before it is considered down.
    pub down_after: Duration,
    /// How long ago its last hello message arrived.
    pub last_hello_message: Duration,
    /// The Sentinel it voted for as failover leader, if any.
    pub voted_leader: Option<String>,
    /// The epoch of that vote.
    pub voted_leader_epoch: u64,
}

impl SentinelPeer {
    /// Whether Sentinel has the flag `flag` (`"s_down"`) for it.
    pub fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

impl FromValue for SentinelPeer {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a SENTINEL SENTINELS entry")?;
        let c = Common::read(&mut f)?;
        let voted: Option<String> = f.opt("voted-leader")?;
        Ok(SentinelPeer {
            name: c.name,
            addr: c.addr,
            run_id: c.run_id,
            flags: c.flags,
            link_pending_commands: c.link_pending_commands,
            link_refcount: c.link_refcount,
            last_ping_sent: c.last_ping_sent,
            last_ok_ping_reply: c.last_ok_ping_reply,
            last_ping_reply: c.last_ping_reply,
            s_down_time: c.s_down_time,
            down_after: c.down_after,
            last_hello_message: millis(&mut f, "last-hello-message")?,
            voted_leader: voted.filter(|v| v != "?" && !v.is_empty()),
            voted_leader_epoch: f.opt("voted-leader-epoch")?.unwrap_or(0),
        })
    }
}

/// The reply of `SENTINEL IS-MASTER-DOWN-BY-ADDR`: whether this Sentinel thinks the primary is
/// down, and its vote for a failover leader.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SentinelLeaderVote {
    /// Whether the Sentinel thinks the primary is down.
    pub master_down: bool,
    /// The run id it voted for (`None` for `*`: no vote was asked or given).
    pub leader: Option<String>,
    /// The epoch of the vote.
    pub leader_epoch: u64,
}

impl FromValue for SentinelLeaderVote {
    fn from_value(value: Value) -> Result<Self> {
        let what = "a SENTINEL IS-MASTER-DOWN-BY-ADDR reply";
        let mut items = elements(value, what)?.into_iter();
        let (Some(down), Some(leader), Some(epoch), None) =
            (items.next(), items.next(), items.next(), items.next())
        else {
            return Err(Error::type_mismatch(what, "another number of elements"));
        };
        let leader = String::from_value(leader)?;
        Ok(SentinelLeaderVote {
            master_down: bool::from_value(down)?,
            leader: (leader != "*").then_some(leader),
            leader_epoch: u64::from_value(epoch)?,
        })
    }
}

/// What Sentinel last read from one instance's `INFO` (`SENTINEL INFO-CACHE`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SentinelInfoCacheEntry {
    /// How long ago it was read.
    pub age: Duration,
    /// The `INFO` reply, parsed (`None` if never read).
    pub info: Option<Info>,
}

impl FromValue for SentinelInfoCacheEntry {
    fn from_value(value: Value) -> Result<Self> {
        let what = "a SENTINEL INFO-CACHE entry";
        let mut items = elements(value, what)?.into_iter();
        let (Some(age), Some(info), None) = (items.next(), items.next(), items.next()) else {
            return Err(Error::type_mismatch(what, "another number of elements"));
        };
        Ok(SentinelInfoCacheEntry {
            age: Duration::from_millis(u64::from_value(age)?),
            info: Option::<Info>::from_value(info)?,
        })
    }
}

/// The cached `INFO` of a monitored primary and its replicas (`SENTINEL INFO-CACHE`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SentinelInfoCache {
    /// The name the primary is monitored under.
    pub name: String,
    /// The primary's entry first, then one per replica.
    pub entries: Vec<SentinelInfoCacheEntry>,
}

/// The reply converter of `SENTINEL INFO-CACHE`: names and entry lists in turn (an array under
/// both protocols).
pub(crate) fn info_cache_reply(value: Value) -> Result<Vec<SentinelInfoCache>> {
    let pairs: Vec<(String, Vec<SentinelInfoCacheEntry>)> = Vec::from_value(value)?;
    Ok(pairs
        .into_iter()
        .map(|(name, entries)| SentinelInfoCache { name, entries })
        .collect())
}

/// A notification or reconfiguration script Sentinel runs or will run
/// (`SENTINEL PENDING-SCRIPTS`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SentinelScript {
    /// The script and its arguments.
    pub argv: Vec<String>,
    /// Whether it is running now (else it waits to run).
    pub running: bool,
    /// Its process id while it runs.
    pub pid: Option<u64>,
    /// For how long it has been running, while it runs.
    pub run_time: Option<Duration>,
    /// How long until it runs, while it waits.
    pub run_delay: Option<Duration>,
    /// How many times it was retried.
    pub retry_num: u64,
}

impl FromValue for SentinelScript {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a SENTINEL PENDING-SCRIPTS entry")?;
        let flags: String = f.req("flags")?;
        let pid: Option<u64> = f.opt("pid")?;
        Ok(SentinelScript {
            argv: f.req("argv")?,
            running: flags.split(',').any(|w| w == "running"),
            pid: pid.filter(|p| *p != 0),
            run_time: opt_millis(&mut f, "run-time")?,
            run_delay: opt_millis(&mut f, "run-delay")?,
            retry_num: f.opt("retry-num")?.unwrap_or(0),
        })
    }
}

/// A failure `SENTINEL SIMULATE-FAILURE` makes the Sentinel simulate (it exits at that point).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SentinelFailureMode {
    /// `CRASH-AFTER-ELECTION`: exit once elected failover leader.
    CrashAfterElection,
    /// `CRASH-AFTER-PROMOTION`: exit once a replica is promoted.
    CrashAfterPromotion,
}

impl SentinelFailureMode {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            SentinelFailureMode::CrashAfterElection => "CRASH-AFTER-ELECTION",
            SentinelFailureMode::CrashAfterPromotion => "CRASH-AFTER-PROMOTION",
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

    fn shapes(kv: &[(&str, &str)]) -> [Value; 2] {
        [
            Value::Array(kv.iter().flat_map(|(k, v)| [bulk(k), bulk(v)]).collect()),
            Value::Map(kv.iter().map(|(k, v)| (bulk(k), bulk(v))).collect()),
        ]
    }

    const COMMON: &[(&str, &str)] = &[
        ("ip", "127.0.0.1"),
        ("port", "6379"),
        ("runid", ""),
        ("link-pending-commands", "0"),
        ("link-refcount", "1"),
        ("last-ping-sent", "0"),
        ("last-ok-ping-reply", "5"),
        ("last-ping-reply", "5"),
        ("down-after-milliseconds", "1000"),
    ];

    #[test]
    fn masters_replicas_peers_from_both_shapes() {
        let mut master = COMMON.to_vec();
        master.extend([
            ("name", "m"),
            ("flags", "master,s_down,o_down"),
            ("s-down-time", "1500"),
            ("o-down-time", "700"),
            ("info-refresh", "10"),
            ("role-reported", "master"),
            ("role-reported-time", "100"),
            ("config-epoch", "2"),
            ("num-slaves", "1"),
            ("num-other-sentinels", "2"),
            ("quorum", "2"),
            ("failover-timeout", "3000"),
            ("parallel-syncs", "1"),
        ]);
        for v in shapes(&master) {
            let m = SentinelMaster::from_value(v).unwrap();
            assert_eq!(m.addr, ("127.0.0.1".to_string(), 6379));
            assert_eq!(m.run_id, None);
            assert!(m.is_objectively_down() && m.is_subjectively_down());
            assert!(!m.is_failover_in_progress());
            assert_eq!(m.o_down_time, Some(Duration::from_millis(700)));
            assert_eq!(m.failover_timeout, Duration::from_secs(3));
        }
        let mut replica = COMMON.to_vec();
        replica.extend([
            ("name", "127.0.0.1:6379"),
            ("flags", "slave"),
            ("info-refresh", "10"),
            ("role-reported", "slave"),
            ("role-reported-time", "100"),
            ("master-link-down-time", "0"),
            ("master-link-status", "ok"),
            ("master-host", "127.0.0.1"),
            ("master-port", "6380"),
            ("slave-priority", "100"),
            ("slave-repl-offset", "42"),
            ("replica-announced", "1"),
        ]);
        for v in shapes(&replica) {
            let r = SentinelReplica::from_value(v).unwrap();
            assert!(r.master_link_ok && r.has_flag("slave"));
            assert_eq!(r.master_addr, Some(("127.0.0.1".to_string(), 6380)));
            assert_eq!(r.announced, Some(true));
        }
        let mut peer = COMMON.to_vec();
        peer.extend([
            ("name", "abc"),
            ("flags", "sentinel"),
            ("last-hello-message", "300"),
            ("voted-leader", "?"),
            ("voted-leader-epoch", "0"),
        ]);
        for v in shapes(&peer) {
            let p = SentinelPeer::from_value(v).unwrap();
            assert_eq!(p.voted_leader, None);
            assert_eq!(p.last_hello_message, Duration::from_millis(300));
        }
        assert!(SentinelMaster::from_value(Value::Nil).is_err());
        assert!(SentinelMaster::from_value(shapes(COMMON)[0].clone()).is_err());
    }

    #[test]
    fn votes_caches_scripts() {
        let v = SentinelLeaderVote::from_value(Value::Array(vec![
            Value::Int(1),
            bulk("abc"),
            Value::Int(3),
        ]))
        .unwrap();
        assert!(v.master_down);
        assert_eq!((v.leader.as_deref(), v.leader_epoch), (Some("abc"), 3));
        let v = SentinelLeaderVote::from_value(Value::Array(vec![
            Value::Int(0),
            bulk("*"),
            Value::Int(0),
        ]))
        .unwrap();
        assert_eq!(v.leader, None);
        assert!(SentinelLeaderVote::from_value(Value::Array(vec![])).is_err());

        let cache = info_cache_reply(Value::Array(vec![
            bulk("m"),
            Value::Array(vec![
                Value::Array(vec![
                    Value::Int(5),
                    bulk("# Server\r\nredis_version:7.0.0\r\n"),
                ]),
                Value::Array(vec![Value::Int(0), Value::Nil]),
            ]),
        ]))
        .unwrap();
        assert_eq!(cache[0].name, "m");
        let first = &cache[0].entries[0];
        assert_eq!(first.age, Duration::from_millis(5));
        assert_eq!(
            first.info.as_ref().and_then(|i| i.get("redis_version")),
            Some("7.0.0")
        );
        assert_eq!(cache[0].entries[1].info, None);

        let script = Value::Map(vec![
            (
                bulk("argv"),
                Value::Array(vec![bulk("/bin/true"), bulk("x")]),
            ),
            (bulk("flags"), bulk("scheduled")),
            (bulk("pid"), Value::Int(0)),
            (bulk("run-delay"), Value::Int(30)),
            (bulk("retry-num"), Value::Int(1)),
        ]);
        let s = SentinelScript::from_value(script).unwrap();
        assert!(!s.running && s.pid.is_none());
        assert_eq!(s.run_delay, Some(Duration::from_millis(30)));
        assert_eq!(s.argv, ["/bin/true", "x"]);
    }
}
