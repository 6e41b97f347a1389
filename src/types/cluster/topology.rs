//! The replies that describe the cluster: `CLUSTER INFO`, `NODES` (and `REPLICAS`), `LINKS`,
//! `SHARDS` and `SLOTS`.

use std::time::SystemTime;

use super::SlotRange;
use crate::args::time;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::types::fields::{elements, Fields};
use crate::value::Value;

/// The reply of `CLUSTER INFO`: the node's view of the cluster's health, with every field as
/// sent in [`ClusterInfo::fields`] and the main ones parsed.
///
/// ```
/// use coredis::{FromValue, Value};
/// use coredis::types::ClusterInfo;
/// let text = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_known_nodes:6\r\n";
/// let info = ClusterInfo::from_value(Value::Bulk(text.into())).unwrap();
/// assert!(info.is_ok());
/// assert_eq!(info.known_nodes, 6);
/// assert_eq!(info.get("cluster_slots_assigned"), Some("16384"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterInfo {
    /// `cluster_state`: `ok`, or `fail` when some slot is not served (or this node is cut off).
    pub state: String,
    /// `cluster_slots_assigned`: slots bound to some node.
    pub slots_assigned: u64,
    /// `cluster_slots_ok`: slots whose node is not failing.
    pub slots_ok: u64,
    /// `cluster_slots_pfail`: slots whose node may be failing (not agreed yet).
    pub slots_pfail: u64,
    /// `cluster_slots_fail`: slots whose node is failing.
    pub slots_fail: u64,
    /// `cluster_known_nodes`: the nodes this node knows, itself included.
    pub known_nodes: u64,
    /// `cluster_size`: the primaries serving at least one slot.
    pub size: u64,
    /// `cluster_current_epoch`: the highest epoch known.
    pub current_epoch: u64,
    /// `cluster_my_epoch`: this node's configuration epoch (its primary's, for a replica).
    pub my_epoch: u64,
    /// Every `field:value` line, in order (statistics included).
    pub fields: Vec<(String, String)>,
}

impl ClusterInfo {
    /// Whether `cluster_state` is `ok`.
    pub fn is_ok(&self) -> bool {
        self.state == "ok"
    }

    /// The value of the field `name` (`"cluster_stats_messages_sent"`), as sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, name: &str) -> u64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }
}

impl FromValue for ClusterInfo {
    fn from_value(value: Value) -> Result<Self> {
        let text = String::from_value(value)?;
        let fields: Vec<(String, String)> = text
            .lines()
            .filter_map(|line| line.trim_end().split_once(':'))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut info = ClusterInfo {
            state: String::new(),
            slots_assigned: 0,
            slots_ok: 0,
            slots_pfail: 0,
            slots_fail: 0,
            known_nodes: 0,
            size: 0,
            current_epoch: 0,
            my_epoch: 0,
            fields,
        };
        info.state = match info.get("cluster_state") {
            Some(state) => state.to_owned(),
            None => {
                return Err(Error::type_mismatch(
                    "CLUSTER INFO text with cluster_state",
                    format!("{text:?}"),
                ))
            }
        };
        info.slots_assigned = info.number("cluster_slots_assigned");
        info.slots_ok = info.number("cluster_slots_ok");
        info.slots_pfail = info.number("cluster_slots_pfail");
        info.slots_fail = info.number("cluster_slots_fail");
        info.known_nodes = info.number("cluster_known_nodes");
        info.size = info.number("cluster_size");
        info.current_epoch = info.number("cluster_current_epoch");
        info.my_epoch = info.number("cluster_my_epoch");
        Ok(info)
    }
}

/// A flag of a node in `CLUSTER NODES`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterNodeFlag {
    /// `myself`: the node that answered.
    Myself,
    /// `master`: a primary.
    Primary,
    /// `slave`: a replica.
    Replica,
    /// `fail?`: possibly failing (this node's view, not agreed yet).
    PossibleFail,
    /// `fail`: failing, as agreed by a majority of primaries.
    Fail,
    /// `handshake`: not yet trusted, in the first exchange.
    Handshake,
    /// `noaddr`: the address is unknown.
    NoAddr,
    /// `nofailover`: a replica that will not fail over.
    NoFailover,
    /// A flag this crate does not name, as the server spells it.
    Other(String),
}

impl ClusterNodeFlag {
    fn parse(word: &str) -> ClusterNodeFlag {
        match word {
            "myself" => ClusterNodeFlag::Myself,
            "master" => ClusterNodeFlag::Primary,
            "slave" => ClusterNodeFlag::Replica,
            "fail?" => ClusterNodeFlag::PossibleFail,
            "fail" => ClusterNodeFlag::Fail,
            "handshake" => ClusterNodeFlag::Handshake,
            "noaddr" => ClusterNodeFlag::NoAddr,
            "nofailover" => ClusterNodeFlag::NoFailover,
            other => ClusterNodeFlag::Other(other.to_owned()),
        }
    }
}

/// The state of a node's cluster bus link, as `CLUSTER NODES` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterLinkState {
    /// `connected`.
    Connected,
    /// `disconnected`.
    Disconnected,
}

/// One node of `CLUSTER NODES` (one line of its text), `CLUSTER REPLICAS` or `CLUSTER SLAVES`.
///
/// ```
/// use coredis::types::{ClusterNode, ClusterNodeFlag, SlotRange};
/// let line = "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-4 \
///             myself,master - 0 1426238317239 4 connected 0-5460 [5461->-e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca]";
/// let node = ClusterNode::parse(line).unwrap();
/// assert_eq!((node.ip.as_str(), node.port, node.bus_port), ("127.0.0.1", 30004, Some(31004)));
/// assert_eq!(node.hostname.as_deref(), Some("host-4"));
/// assert!(node.is_myself() && node.is_primary());
/// assert_eq!(node.slots, [SlotRange::new(0, 5460)]);
/// assert_eq!(node.migrating, [(5461, "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca".to_string())]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterNode {
    /// The node id (40 hex characters).
    pub id: String,
    /// The client address as sent, `ip:port` (`:0` when unknown).
    pub addr: String,
    /// The IP address (empty when unknown).
    pub ip: String,
    /// The client port.
    pub port: u16,
    /// The cluster bus port (`None` from servers that leave it out).
    pub bus_port: Option<u16>,
    /// The node's announced hostname, if any (Redis 7.0+).
    pub hostname: Option<String>,
    /// The flags (`myself`, `master`, `slave`, `fail?`, …); `noflags` is none.
    pub flags: Vec<ClusterNodeFlag>,
    /// The id of the node's primary, for a replica.
    pub primary_id: Option<String>,
    /// When the pending ping was sent (`None`: no ping pending).
    pub ping_sent: Option<SystemTime>,
    /// When the last pong arrived (`None`: never, or this node itself).
    pub pong_received: Option<SystemTime>,
    /// The configuration epoch (of the node's primary, for a replica).
    pub config_epoch: u64,
    /// The state of the link to the node.
    pub link_state: ClusterLinkState,
    /// The slots the node serves.
    pub slots: Vec<SlotRange>,
    /// Slots being imported into this node: `(slot, id of the node they come from)`.
    pub importing: Vec<(u16, String)>,
    /// Slots being moved out of this node: `(slot, id of the node they go to)`.
    pub migrating: Vec<(u16, String)>,
}

impl ClusterNode {
    /// Parses one line of `CLUSTER NODES`.
    pub fn parse(line: &str) -> Result<ClusterNode> {
        let bad = || Error::type_mismatch("a CLUSTER NODES line", format!("{line:?}"));
        let mut words = line.split_whitespace();
        let mut next = || words.next().ok_or_else(bad);
        let id = next()?.to_owned();
        let address = next()?;
        let flags = next()?;
        let primary = next()?;
        let ping_sent = next()?;
        let pong_received = next()?;
        let config_epoch = next()?;
        let link_state = next()?;
        let slot_words: Vec<&str> = words.collect();

        // ip:port@cport[,hostname[,aux=value…]]
        let mut parts = address.split(',');
        let addr_bus = parts.next().ok_or_else(bad)?;
        let hostname = parts
            .next()
            .filter(|h| !h.is_empty() && !h.contains('='))
            .map(str::to_owned);
        let (addr, bus) = match addr_bus.split_once('@') {
            Some((addr, bus)) => (addr, Some(bus)),
            None => (addr_bus, None),
        };
        let (ip, port) = addr.rsplit_once(':').ok_or_else(bad)?;
        let port = port.parse().map_err(|_| bad())?;
        let bus_port = match bus {
            Some(bus) => Some(bus.parse().map_err(|_| bad())?),
            None => None,
        };
        let time = |word: &str| -> Result<Option<SystemTime>> {
            let ms: u64 = word.parse().map_err(|_| bad())?;
            Ok((ms > 0).then(|| time::from_unix_millis(ms)))
        };
        let mut node = ClusterNode {
            id,
            addr: addr.to_owned(),
            ip: ip.to_owned(),
            port,
            bus_port,
            hostname,
            flags: flags
                .split(',')
                .filter(|f| *f != "noflags" && !f.is_empty())
                .map(ClusterNodeFlag::parse)
                .collect(),
            primary_id: (primary != "-").then(|| primary.to_owned()),
            ping_sent: time(ping_sent)?,
            pong_received: time(pong_received)?,
            config_epoch: config_epoch.parse().map_err(|_| bad())?,
            link_state: match link_state {
                "connected" => ClusterLinkState::Connected,
                "disconnected" => ClusterLinkState::Disconnected,
                _ => return Err(bad()),
            },
            slots: Vec::new(),
            importing: Vec::new(),
            migrating: Vec::new(),
        };
        for word in slot_words {
            if let Some(inner) = word.strip_prefix('[').and_then(|w| w.strip_suffix(']')) {
                if let Some((slot, to)) = inner.split_once("->-") {
                    node.migrating
                        .push((slot.parse().map_err(|_| bad())?, to.to_owned()));
                } else if let Some((slot, from)) = inner.split_once("-<-") {
                    node.importing
                        .push((slot.parse().map_err(|_| bad())?, from.to_owned()));
                } else {
                    return Err(bad());
                }
            } else {
                node.slots.push(SlotRange::parse(word).ok_or_else(bad)?);
            }
        }
        Ok(node)
    }

    /// Parses the text of `CLUSTER NODES` (one node per line).
    pub fn parse_all(text: &str) -> Result<Vec<ClusterNode>> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(ClusterNode::parse)
            .collect()
    }

    /// Whether the node has `flag`.
    pub fn has_flag(&self, flag: &ClusterNodeFlag) -> bool {
        self.flags.contains(flag)
    }

    /// Whether this is the node that answered (`myself`).
    pub fn is_myself(&self) -> bool {
        self.has_flag(&ClusterNodeFlag::Myself)
    }

    /// Whether the node is a primary (`master`).
    pub fn is_primary(&self) -> bool {
        self.has_flag(&ClusterNodeFlag::Primary)
    }

    /// Whether the node is a replica (`slave`).
    pub fn is_replica(&self) -> bool {
        self.has_flag(&ClusterNodeFlag::Replica)
    }

    /// Whether the node is failing or possibly failing (`fail`, `fail?`).
    pub fn is_failing(&self) -> bool {
        self.has_flag(&ClusterNodeFlag::Fail) || self.has_flag(&ClusterNodeFlag::PossibleFail)
    }
}

impl FromValue for ClusterNode {
    fn from_value(value: Value) -> Result<Self> {
        ClusterNode::parse(&String::from_value(value)?)
    }
}

/// The reply converter of `CLUSTER NODES`: the text, one node per line.
pub(crate) fn cluster_nodes_reply(value: Value) -> Result<Vec<ClusterNode>> {
    ClusterNode::parse_all(&String::from_value(value)?)
}

/// Which way a cluster bus link goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterLinkDirection {
    /// `to`: opened by this node.
    To,
    /// `from`: opened by the peer.
    From,
}

/// One cluster bus link of `CLUSTER LINKS` (Redis 7.0+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterLink {
    /// Who opened the link.
    pub direction: ClusterLinkDirection,
    /// The peer's node id.
    pub node: String,
    /// When the link was opened.
    pub create_time: SystemTime,
    /// The events the link waits for: `r`, `w`, `rw` or empty.
    pub events: String,
    /// Bytes allocated for the link's send buffer.
    pub send_buffer_allocated: u64,
    /// Bytes of the send buffer in use.
    pub send_buffer_used: u64,
}

impl FromValue for ClusterLink {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a CLUSTER LINKS entry")?;
        let direction: String = f.req("direction")?;
        Ok(ClusterLink {
            direction: match direction.as_str() {
                "to" => ClusterLinkDirection::To,
                "from" => ClusterLinkDirection::From,
                other => {
                    return Err(Error::type_mismatch(
                        "a link direction",
                        format!("{other:?}"),
                    ))
                }
            },
            node: f.req("node")?,
            create_time: time::from_unix_millis(f.req("create-time")?),
            events: f.req("events")?,
            send_buffer_allocated: f.req("send-buffer-allocated")?,
            send_buffer_used: f.req("send-buffer-used")?,
        })
    }
}

/// The role of a node in `CLUSTER SHARDS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterShardRole {
    /// `master`.
    Primary,
    /// `replica`.
    Replica,
    /// A role this crate does not name, as the server spells it.
    Other(String),
}

/// The health of a node in `CLUSTER SHARDS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterNodeHealth {
    /// `online`: serving.
    Online,
    /// `failed`: flagged failing.
    Failed,
    /// `loading`: a replica still syncing its data.
    Loading,
    /// A state this crate does not name, as the server spells it.
    Other(String),
}

/// One node of a [`ClusterShard`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterShardNode {
    /// The node id.
    pub id: String,
    /// The plain TCP port (absent when the node only listens with TLS).
    pub port: Option<u16>,
    /// The TLS port, when the node listens with TLS.
    pub tls_port: Option<u16>,
    /// The IP address.
    pub ip: String,
    /// The preferred endpoint for clients (IP, hostname or `?`, per
    /// `cluster-preferred-endpoint-type`).
    pub endpoint: String,
    /// The announced hostname, if any.
    pub hostname: Option<String>,
    /// Primary or replica.
    pub role: ClusterShardRole,
    /// The replication offset.
    pub replication_offset: u64,
    /// Whether the node serves.
    pub health: ClusterNodeHealth,
}

impl FromValue for ClusterShardNode {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a CLUSTER SHARDS node")?;
        let role: String = f.req("role")?;
        let health: String = f.req("health")?;
        Ok(ClusterShardNode {
            id: f.req("id")?,
            port: f.opt("port")?,
            tls_port: f.opt("tls-port")?,
            ip: f.req("ip")?,
            endpoint: f.req("endpoint")?,
            hostname: f.opt("hostname")?,
            role: match role.as_str() {
                "master" => ClusterShardRole::Primary,
                "replica" => ClusterShardRole::Replica,
                _ => ClusterShardRole::Other(role),
            },
            replication_offset: f.req("replication-offset")?,
            health: match health.as_str() {
                "online" => ClusterNodeHealth::Online,
                "failed" => ClusterNodeHealth::Failed,
                "loading" => ClusterNodeHealth::Loading,
                _ => ClusterNodeHealth::Other(health),
            },
        })
    }
}

/// One shard of `CLUSTER SHARDS` (Redis 7.0+): a primary's slots and the nodes serving them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterShard {
    /// The slots of the shard.
    pub slots: Vec<SlotRange>,
    /// The primary and its replicas.
    pub nodes: Vec<ClusterShardNode>,
    /// The shard id (Valkey, Redis 7.2+).
    pub id: Option<String>,
}

impl ClusterShard {
    /// The shard's primary, if one is listed.
    pub fn primary(&self) -> Option<&ClusterShardNode> {
        self.nodes
            .iter()
            .find(|n| n.role == ClusterShardRole::Primary)
    }
}

impl FromValue for ClusterShard {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a CLUSTER SHARDS entry")?;
        let bounds: Vec<u16> = f.req("slots")?;
        Ok(ClusterShard {
            slots: bounds
                .chunks(2)
                .filter_map(|pair| match pair {
                    [a, b] => Some(SlotRange::new(*a, *b)),
                    _ => None,
                })
                .collect(),
            nodes: f.req("nodes")?,
            id: f.opt("id")?,
        })
    }
}

/// A node of `CLUSTER SLOTS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterSlotNode {
    /// The preferred endpoint for clients (IP by default; `None` when unknown).
    pub endpoint: Option<String>,
    /// The port.
    pub port: u16,
    /// The node id (`None` from servers older than 4.0).
    pub id: Option<String>,
    /// The IP address, when the endpoint is not it (Redis 7.0+ metadata).
    pub ip: Option<String>,
    /// The hostname, when announced and not the endpoint (Redis 7.0+ metadata).
    pub hostname: Option<String>,
}

impl FromValue for ClusterSlotNode {
    fn from_value(value: Value) -> Result<Self> {
        let mut items = elements(value, "a CLUSTER SLOTS node")?.into_iter();
        let endpoint = match items.next() {
            Some(v) => Option::<String>::from_value(v)?,
            None => {
                return Err(Error::type_mismatch(
                    "a CLUSTER SLOTS node",
                    "an empty array",
                ))
            }
        };
        let port = match items.next() {
            Some(v) => u16::from_value(v)?,
            None => return Err(Error::type_mismatch("a node's port", "none")),
        };
        let id = items.next().map(String::from_value).transpose()?;
        let (mut ip, mut hostname) = (None, None);
        if let Some(meta) = items.next() {
            let mut f = Fields::read(meta, "a CLUSTER SLOTS node's metadata")?;
            ip = f.opt("ip")?;
            hostname = f.opt("hostname")?;
        }
        Ok(ClusterSlotNode {
            endpoint: endpoint.filter(|e| !e.is_empty() && e != "?"),
            port,
            id,
            ip,
            hostname,
        })
    }
}

/// One slot range of `CLUSTER SLOTS`, with the nodes serving it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterSlotRange {
    /// The slots.
    pub slots: SlotRange,
    /// The primary serving them.
    pub primary: ClusterSlotNode,
    /// The replicas of that primary (those that can serve).
    pub replicas: Vec<ClusterSlotNode>,
}

impl FromValue for ClusterSlotRange {
    fn from_value(value: Value) -> Result<Self> {
        let what = "a CLUSTER SLOTS range";
        let mut items = elements(value, what)?.into_iter();
        let (Some(start), Some(end), Some(primary)) = (items.next(), items.next(), items.next())
        else {
            return Err(Error::type_mismatch(what, "fewer than 3 elements"));
        };
        Ok(ClusterSlotRange {
            slots: SlotRange::new(u16::from_value(start)?, u16::from_value(end)?),
            primary: ClusterSlotNode::from_value(primary)?,
            replicas: items
                .map(ClusterSlotNode::from_value)
                .collect::<Result<_>>()?,
        })
    }
}
