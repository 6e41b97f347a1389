//! Options, token groups and replies of the cluster commands (`CLUSTER …`, `CLUSTERSCAN`).
//!
//! The structured replies read the same from RESP2 and RESP3: `CLUSTER SHARDS`, `CLUSTER LINKS`,
//! `CLUSTER SLOT-STATS` and `CLUSTER GETSLOTMIGRATIONS` send maps under RESP3 and flat arrays of
//! names and values under RESP2; `CLUSTER SLOTS` sends a node's extra networking metadata as a map
//! or a flat array (and none before Redis 7.0); `CLUSTER INFO` and `CLUSTER NODES` send text
//! (a verbatim string under RESP3).

use bytes::Bytes;
use std::fmt;
use std::time::SystemTime;

use super::fields::{elements, Fields};
use super::{KeyType, SortOrder};
use crate::args::{time, ToArg};
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// The number of hash slots of a cluster.
pub const CLUSTER_SLOTS: u16 = 16384;

// ---------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------

/// An inclusive range of hash slots, `start..=end`.
///
/// ```
/// use coredis::types::SlotRange;
/// let r = SlotRange::new(0, 5460);
/// assert!(r.contains(5460) && !r.contains(5461));
/// assert_eq!(r.len(), 5461);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct SlotRange {
    /// The first slot.
    pub start: u16,
    /// The last slot (inclusive).
    pub end: u16,
}

impl SlotRange {
    /// The slots `start..=end`.
    pub fn new(start: u16, end: u16) -> SlotRange {
        SlotRange { start, end }
    }

    /// Whether `slot` is in the range.
    pub fn contains(self, slot: u16) -> bool {
        (self.start..=self.end).contains(&slot)
    }

    /// How many slots the range holds (0 when `end < start`).
    pub fn len(self) -> u32 {
        (u32::from(self.end) + 1).saturating_sub(u32::from(self.start))
    }

    /// Whether the range holds no slot (`end < start`).
    pub fn is_empty(self) -> bool {
        self.end < self.start
    }

    /// Parses `"5"` or `"0-5460"`.
    fn parse(text: &str) -> Option<SlotRange> {
        match text.split_once('-') {
            Some((a, b)) => Some(SlotRange::new(a.parse().ok()?, b.parse().ok()?)),
            None => text.parse().ok().map(|s| SlotRange::new(s, s)),
        }
    }
}

impl fmt::Display for SlotRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// How `CLUSTER FAILOVER` proceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterFailoverMode {
    /// `FORCE`: do not wait for the primary to agree (it may be down), but still win an
    /// election among the primaries.
    Force,
    /// `TAKEOVER`: take over without an election (bumps the epoch on its own).
    Takeover,
}

impl ClusterFailoverMode {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            ClusterFailoverMode::Force => "FORCE",
            ClusterFailoverMode::Takeover => "TAKEOVER",
        }
    }
}

/// How thoroughly `CLUSTER RESET` forgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterResetMode {
    /// `HARD`: also a new node id, and epochs back to 0.
    Hard,
    /// `SOFT`: forget the peers and the slots, keep the id (the default).
    Soft,
}

impl ClusterResetMode {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            ClusterResetMode::Hard => "HARD",
            ClusterResetMode::Soft => "SOFT",
        }
    }
}

/// What `CLUSTER SETSLOT` does to a slot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClusterSetSlot {
    /// `IMPORTING node-id`: the slot is being moved here from that node.
    Importing(String),
    /// `MIGRATING node-id`: the slot is being moved from here to that node.
    Migrating(String),
    /// `NODE node-id`: the slot belongs to that node.
    Node(String),
    /// `STABLE`: clear the importing or migrating state.
    Stable,
}

impl ClusterSetSlot {
    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        match self {
            ClusterSetSlot::Importing(id) => cmd.arg("IMPORTING").arg(id),
            ClusterSetSlot::Migrating(id) => cmd.arg("MIGRATING").arg(id),
            ClusterSetSlot::Node(id) => cmd.arg("NODE").arg(id),
            ClusterSetSlot::Stable => cmd.arg("STABLE"),
        }
    }
}

/// A per-slot statistic of `CLUSTER SLOT-STATS` (Valkey 8.0+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotStatsMetric {
    /// `key-count`: the keys in the slot.
    KeyCount,
    /// `cpu-usec`: CPU time spent on the slot (needs `cluster-slot-stats-enabled`).
    CpuUsec,
    /// `network-bytes-in`: bytes received for the slot (needs `cluster-slot-stats-enabled`).
    NetworkBytesIn,
    /// `network-bytes-out`: bytes sent for the slot (needs `cluster-slot-stats-enabled`).
    NetworkBytesOut,
    /// A metric this crate does not name, as the server spells it.
    Other(String),
}

impl SlotStatsMetric {
    /// The server's name for the metric.
    pub fn as_str(&self) -> &str {
        match self {
            SlotStatsMetric::KeyCount => "key-count",
            SlotStatsMetric::CpuUsec => "cpu-usec",
            SlotStatsMetric::NetworkBytesIn => "network-bytes-in",
            SlotStatsMetric::NetworkBytesOut => "network-bytes-out",
            SlotStatsMetric::Other(name) => name,
        }
    }
}

impl ToArg for SlotStatsMetric {
    fn write_arg(&self, out: &mut Vec<u8>) {
        self.as_str().write_arg(out)
    }
}

/// Which slots `CLUSTER SLOT-STATS` reports (Valkey 8.0+).
///
/// ```
/// use coredis::types::{SlotStatsFilter, SlotStatsMetric, SortOrder};
/// let top = SlotStatsFilter::OrderBy {
///     metric: SlotStatsMetric::KeyCount,
///     limit: Some(10),
///     order: Some(SortOrder::Desc),
/// };
/// let first = SlotStatsFilter::SlotsRange { start: 0, end: 99 };
/// # let _ = (top, first);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotStatsFilter {
    /// `SLOTSRANGE start end`: the slots of the range that this node serves.
    SlotsRange {
        /// The first slot.
        start: u16,
        /// The last slot (inclusive).
        end: u16,
    },
    /// `ORDERBY metric [LIMIT limit] [ASC|DESC]`: this node's slots sorted by a metric.
    OrderBy {
        /// The metric to sort by.
        metric: SlotStatsMetric,
        /// At most this many slots (the server's default is 16384).
        limit: Option<u64>,
        /// The order (the server's default is descending).
        order: Option<SortOrder>,
    },
}

impl SlotStatsFilter {
    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        match self {
            SlotStatsFilter::SlotsRange { start, end } => {
                cmd.arg("SLOTSRANGE").arg(*start).arg(*end)
            }
            SlotStatsFilter::OrderBy {
                metric,
                limit,
                order,
            } => {
                let cmd = cmd.arg("ORDERBY").arg(metric).opt("LIMIT", *limit);
                match order {
                    Some(SortOrder::Asc) => cmd.arg("ASC"),
                    Some(SortOrder::Desc) => cmd.arg("DESC"),
                    None => cmd,
                }
            }
        }
    }
}

/// One group of `CLUSTER MIGRATESLOTS` (Valkey 9.0+): slot ranges to move to one node.
///
/// ```
/// use coredis::types::SlotMigrationGroup;
/// let g = SlotMigrationGroup::new("07c37dfeb235213a872192d90877d0cd55635b91")
///     .range(0, 99)
///     .range(200, 200);
/// assert_eq!(g.ranges().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlotMigrationGroup {
    ranges: Vec<SlotRange>,
    node_id: String,
}

impl SlotMigrationGroup {
    /// No slots yet, to the node `node_id`; add ranges with [`SlotMigrationGroup::range`].
    #[must_use]
    pub fn new(node_id: impl Into<String>) -> SlotMigrationGroup {
        SlotMigrationGroup {
            ranges: Vec::new(),
            node_id: node_id.into(),
        }
    }

    /// Adds the slots `start..=end`.
    #[must_use]
    pub fn range(mut self, start: u16, end: u16) -> SlotMigrationGroup {
        self.ranges.push(SlotRange::new(start, end));
        self
    }

    /// The slot ranges to move.
    pub fn ranges(&self) -> &[SlotRange] {
        &self.ranges
    }

    /// The node the slots move to.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = cmd
            .arg("SLOTSRANGE")
            .arg_pairs(self.ranges.iter().map(|r| (r.start, r.end)))
            .required("slot ranges of a migration group");
        cmd.arg("NODE").arg(&self.node_id)
    }
}

/// The optional arguments of `CLUSTERSCAN` (Valkey 9.1+): `MATCH`, `COUNT`, `TYPE`, `SLOT`.
///
/// ```
/// use coredis::types::{ClusterScanOptions, KeyType};
/// let o = ClusterScanOptions::new().pattern("user:*").count(100).type_(KeyType::Hash);
/// assert_eq!(o.count_hint(), Some(100));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ClusterScanOptions {
    pattern: Option<Bytes>,
    count: Option<u64>,
    type_: Option<KeyType>,
    slot: Option<u16>,
}

impl ClusterScanOptions {
    /// No options: every key of every slot.
    #[must_use]
    pub fn new() -> ClusterScanOptions {
        ClusterScanOptions::default()
    }

    /// `MATCH pattern`: only keys matching the glob-style `pattern`.
    #[must_use]
    pub fn pattern(mut self, pattern: impl AsRef<[u8]>) -> ClusterScanOptions {
        self.pattern = Some(Bytes::copy_from_slice(pattern.as_ref()));
        self
    }

    /// `COUNT count`: how much work the server does per page (a hint).
    #[must_use]
    pub fn count(mut self, count: u64) -> ClusterScanOptions {
        self.count = Some(count);
        self
    }

    /// `TYPE type`: only keys holding this type of value.
    #[must_use]
    pub fn type_(mut self, key_type: KeyType) -> ClusterScanOptions {
        self.type_ = Some(key_type);
        self
    }

    /// `SLOT slot`: walk this one slot only.
    #[must_use]
    pub fn slot(mut self, slot: u16) -> ClusterScanOptions {
        self.slot = Some(slot);
        self
    }

    /// The `MATCH` pattern, if set. Defaults to `None`.
    pub fn match_pattern(&self) -> Option<&[u8]> {
        self.pattern.as_deref()
    }

    /// The `COUNT` hint, if set. Defaults to `None`.
    pub fn count_hint(&self) -> Option<u64> {
        self.count
    }

    /// The `TYPE` filter, if set. Defaults to `None`.
    pub fn key_type(&self) -> Option<&KeyType> {
        self.type_.as_ref()
    }

    /// The `SLOT`, if set. Defaults to `None`.
    pub fn only_slot(&self) -> Option<u16> {
        self.slot
    }

    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("MATCH", self.pattern.as_ref())
            .opt("COUNT", self.count)
            .opt("TYPE", self.type_.as_ref())
            .opt("SLOT", self.slot)
    }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

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

/// The reply of `CLUSTER BUMPEPOCH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BumpEpoch {
    /// `BUMPED epoch`: the node took a new configuration epoch.
    Bumped(u64),
    /// `STILL epoch`: the node's epoch was already the highest; unchanged.
    Still(u64),
}

impl BumpEpoch {
    /// The node's configuration epoch after the call.
    pub fn epoch(self) -> u64 {
        match self {
            BumpEpoch::Bumped(e) | BumpEpoch::Still(e) => e,
        }
    }
}

impl FromValue for BumpEpoch {
    fn from_value(value: Value) -> Result<Self> {
        let text = String::from_value(value)?;
        let parsed = text.split_once(' ').and_then(|(word, n)| {
            let n = n.trim().parse().ok()?;
            match word {
                "BUMPED" => Some(BumpEpoch::Bumped(n)),
                "STILL" => Some(BumpEpoch::Still(n)),
                _ => None,
            }
        });
        parsed.ok_or_else(|| Error::type_mismatch("BUMPED <epoch> or STILL <epoch>", text))
    }
}

/// The statistics of one slot in `CLUSTER SLOT-STATS` (Valkey 8.0+). The metrics other than
/// the key count are there only when `cluster-slot-stats-enabled` is on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SlotStats {
    /// The slot.
    pub slot: u16,
    /// `key-count`: the keys in the slot.
    pub key_count: u64,
    /// `cpu-usec`: CPU time spent on the slot, in microseconds.
    pub cpu_usec: Option<u64>,
    /// `network-bytes-in`: bytes received for the slot.
    pub network_bytes_in: Option<u64>,
    /// `network-bytes-out`: bytes sent for the slot.
    pub network_bytes_out: Option<u64>,
}

impl FromValue for SlotStats {
    fn from_value(value: Value) -> Result<Self> {
        let what = "a CLUSTER SLOT-STATS entry";
        let mut items = elements(value, what)?.into_iter();
        let (Some(slot), Some(stats), None) = (items.next(), items.next(), items.next()) else {
            return Err(Error::type_mismatch(what, "another number of elements"));
        };
        let mut f = Fields::read(stats, what)?;
        Ok(SlotStats {
            slot: u16::from_value(slot)?,
            key_count: f.req("key-count")?,
            cpu_usec: f.opt("cpu-usec")?,
            network_bytes_in: f.opt("network-bytes-in")?,
            network_bytes_out: f.opt("network-bytes-out")?,
        })
    }
}

/// Whether a [`SlotMigration`] brings slots in or sends them out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlotMigrationOperation {
    /// `IMPORT`: slots come to this node.
    Import,
    /// `EXPORT`: slots leave this node.
    Export,
    /// An operation this crate does not name, as the server spells it.
    Other(String),
}

/// One slot migration job of `CLUSTER GETSLOTMIGRATIONS` (Valkey 9.0+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SlotMigration {
    /// The job's name.
    pub name: String,
    /// Import or export.
    pub operation: SlotMigrationOperation,
    /// The slots moved.
    pub slot_ranges: Vec<SlotRange>,
    /// The id of the node the slots go to.
    pub target_node: String,
    /// The id of the node the slots come from.
    pub source_node: String,
    /// When the job was created.
    pub create_time: SystemTime,
    /// When the job last changed state.
    pub last_update_time: SystemTime,
    /// When the peer last acknowledged.
    pub last_ack_time: SystemTime,
    /// The job's state (`success`, `failed`, `cancelled`, …, as sent).
    pub state: String,
    /// Why it failed, or empty.
    pub message: String,
    /// Copy-on-write memory of the snapshot, in bytes.
    pub cow_size: u64,
    /// Replication bytes still to send.
    pub remaining_repl_size: u64,
}

impl FromValue for SlotMigration {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a CLUSTER GETSLOTMIGRATIONS entry")?;
        let operation: String = f.req("operation")?;
        let ranges: String = f.req("slot_ranges")?;
        let secs = |f: &mut Fields, name: &str| -> Result<SystemTime> {
            Ok(time::from_unix_secs(f.req(name)?))
        };
        Ok(SlotMigration {
            name: f.req("name")?,
            operation: match operation.as_str() {
                "IMPORT" => SlotMigrationOperation::Import,
                "EXPORT" => SlotMigrationOperation::Export,
                _ => SlotMigrationOperation::Other(operation),
            },
            slot_ranges: ranges
                .split_whitespace()
                .map(|r| {
                    SlotRange::parse(r)
                        .ok_or_else(|| Error::type_mismatch("slot ranges", format!("{ranges:?}")))
                })
                .collect::<Result<_>>()?,
            target_node: f.req("target_node")?,
            source_node: f.req("source_node")?,
            create_time: secs(&mut f, "create_time")?,
            last_update_time: secs(&mut f, "last_update_time")?,
            last_ack_time: secs(&mut f, "last_ack_time")?,
            state: f.req("state")?,
            message: f.opt("message")?.unwrap_or_default(),
            cow_size: f.opt("cow_size")?.unwrap_or(0),
            remaining_repl_size: f.opt("remaining_repl_size")?.unwrap_or(0),
        })
    }
}

/// One page of a `CLUSTERSCAN` walk (Valkey 9.1+): the cursor to continue from and the keys.
///
/// The cursor is text (`fingerprint-{hashtag}-localcursor`): the walk starts at `"0"` and ends
/// when the server returns `"0"` again ([`ClusterScanPage::is_last`]). The node serving the
/// cursor's `{hashtag}` continues the walk: another node answers `MOVED`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClusterScanPage<T> {
    /// Where the next call continues; `"0"` when the walk is complete.
    pub cursor: String,
    /// The keys of this page.
    pub keys: Vec<T>,
}

impl<T> ClusterScanPage<T> {
    /// True when this is the last page (the cursor is back to `"0"`).
    pub fn is_last(&self) -> bool {
        self.cursor == "0"
    }
}

impl<T: FromValue> FromValue for ClusterScanPage<T> {
    fn from_value(value: Value) -> Result<Self> {
        let what = "a cursor and a list of keys";
        let mut items = elements(value, what)?.into_iter();
        match (items.next(), items.next(), items.next()) {
            (Some(cursor), Some(keys), None) => Ok(ClusterScanPage {
                cursor: String::from_value(cursor)?,
                keys: Vec::<T>::from_value(keys)?,
            }),
            _ => Err(Error::type_mismatch(what, "another number of elements")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn flat(kv: Vec<(&str, Value)>) -> Value {
        Value::Array(kv.into_iter().flat_map(|(k, v)| [bulk(k), v]).collect())
    }

    fn map(kv: Vec<(&str, Value)>) -> Value {
        Value::Map(kv.into_iter().map(|(k, v)| (bulk(k), v)).collect())
    }

    #[test]
    fn node_lines() {
        let n = ClusterNode::parse(
            "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 \
             slave,fail? 07c37dfeb235213a872192d90877d0cd55635b91 1426238316232 \
             1426238317239 3 disconnected",
        )
        .unwrap();
        assert!(n.is_replica() && n.is_failing() && !n.is_primary());
        assert_eq!(
            n.primary_id.as_deref(),
            Some("07c37dfeb235213a872192d90877d0cd55635b91")
        );
        assert_eq!(n.link_state, ClusterLinkState::Disconnected);
        assert_eq!(
            n.ping_sent,
            Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1426238316232))
        );
        assert!(n.slots.is_empty() && n.hostname.is_none());
        let n = ClusterNode::parse(
            "abc :0@0 master,noaddr - 0 0 0 connected 1 3-4 [7-<-def] [8->-ghi]",
        )
        .unwrap();
        assert_eq!((n.ip.as_str(), n.port), ("", 0));
        assert_eq!(n.ping_sent, None);
        assert_eq!(n.slots, [SlotRange::new(1, 1), SlotRange::new(3, 4)]);
        assert_eq!(n.importing, [(7, "def".to_string())]);
        assert_eq!(n.migrating, [(8, "ghi".to_string())]);
        assert!(n.has_flag(&ClusterNodeFlag::NoAddr));
        let n = ClusterNode::parse("abc 127.0.0.1:1 noflags - 0 0 0 connected").unwrap();
        assert!(n.flags.is_empty() && n.bus_port.is_none());
        for bad in ["", "abc", "abc 1.2.3.4:x@1 master - 0 0 0 connected"] {
            assert!(ClusterNode::parse(bad).is_err(), "{bad:?}");
        }
        let all = cluster_nodes_reply(Value::Verbatim {
            format: *b"txt",
            text: Bytes::from_static(b"a 1.1.1.1:1@2 master - 0 0 1 connected 0-16383\n"),
        })
        .unwrap();
        assert_eq!(all.len(), 1);
    }

    #[test]
    fn shards_and_links_from_both_shapes() {
        let node = |shape: fn(Vec<(&str, Value)>) -> Value| {
            shape(vec![
                ("id", bulk("n1")),
                ("port", Value::Int(7000)),
                ("ip", bulk("127.0.0.1")),
                ("endpoint", bulk("127.0.0.1")),
                ("role", bulk("master")),
                ("replication-offset", Value::Int(14)),
                ("health", bulk("online")),
            ])
        };
        for shape in [flat as fn(Vec<(&str, Value)>) -> Value, map] {
            let shard = shape(vec![
                ("slots", Value::Array(vec![Value::Int(0), Value::Int(5460)])),
                ("nodes", Value::Array(vec![node(shape)])),
            ]);
            let s = ClusterShard::from_value(shard).unwrap();
            assert_eq!(s.slots, [SlotRange::new(0, 5460)]);
            let p = s.primary().unwrap();
            assert_eq!(
                (p.port, p.tls_port, p.replication_offset),
                (Some(7000), None, 14)
            );
            assert_eq!(p.health, ClusterNodeHealth::Online);
            assert_eq!(s.id, None);
            let link = shape(vec![
                ("direction", bulk("from")),
                ("node", bulk("n2")),
                ("create-time", Value::Int(1000)),
                ("events", bulk("r")),
                ("send-buffer-allocated", Value::Int(1)),
                ("send-buffer-used", Value::Int(0)),
            ]);
            let l = ClusterLink::from_value(link).unwrap();
            assert_eq!(l.direction, ClusterLinkDirection::From);
        }
    }

    #[test]
    fn slots_bump_and_pages() {
        let node = |meta: Option<Value>| {
            let mut v = vec![bulk("127.0.0.1"), Value::Int(7000), bulk("id")];
            v.extend(meta);
            Value::Array(v)
        };
        let range = Value::Array(vec![
            Value::Int(0),
            Value::Int(10),
            node(None),
            node(Some(Value::Map(vec![(bulk("hostname"), bulk("h"))]))),
            node(Some(Value::Array(vec![bulk("hostname"), bulk("h")]))),
        ]);
        let r = ClusterSlotRange::from_value(range).unwrap();
        assert_eq!(r.slots, SlotRange::new(0, 10));
        assert_eq!(r.replicas.len(), 2);
        assert_eq!(r.replicas[0], r.replicas[1]);
        assert_eq!(r.replicas[0].hostname.as_deref(), Some("h"));
        assert!(ClusterSlotRange::from_value(Value::Array(vec![Value::Int(0)])).is_err());

        assert_eq!(
            BumpEpoch::from_value(Value::SimpleString("BUMPED 7".into())).unwrap(),
            BumpEpoch::Bumped(7)
        );
        assert_eq!(
            BumpEpoch::from_value(Value::SimpleString("STILL 3".into()))
                .unwrap()
                .epoch(),
            3
        );
        assert!(BumpEpoch::from_value(Value::SimpleString("OK".into())).is_err());

        let page = ClusterScanPage::<String>::from_value(Value::Array(vec![
            bulk("0-{06S}-0"),
            Value::Array(vec![bulk("k")]),
        ]))
        .unwrap();
        assert!(!page.is_last());
        assert_eq!(page.keys, ["k"]);
    }

    #[test]
    fn slot_stats_and_migrations() {
        for shape in [flat as fn(Vec<(&str, Value)>) -> Value, map] {
            let s = SlotStats::from_value(Value::Array(vec![
                Value::Int(5),
                shape(vec![
                    ("key-count", Value::Int(2)),
                    ("cpu-usec", Value::Int(9)),
                ]),
            ]))
            .unwrap();
            assert_eq!((s.slot, s.key_count, s.cpu_usec), (5, 2, Some(9)));
            assert_eq!(s.network_bytes_in, None);
            let m = SlotMigration::from_value(shape(vec![
                ("name", bulk("job")),
                ("operation", bulk("EXPORT")),
                ("slot_ranges", bulk("0-10 12-12")),
                ("target_node", bulk("t")),
                ("source_node", bulk("s")),
                ("create_time", Value::Int(100)),
                ("last_update_time", Value::Int(100)),
                ("last_ack_time", Value::Int(100)),
                ("state", bulk("success")),
                ("message", bulk("")),
            ]))
            .unwrap();
            assert_eq!(m.operation, SlotMigrationOperation::Export);
            assert_eq!(
                m.slot_ranges,
                [SlotRange::new(0, 10), SlotRange::new(12, 12)]
            );
        }
    }

    #[test]
    fn info_text() {
        assert!(ClusterInfo::from_value(bulk("nothing")).is_err());
        let info =
            ClusterInfo::from_value(bulk("cluster_state:fail\r\ncluster_size:0\r\n")).unwrap();
        assert!(!info.is_ok());
        assert_eq!(info.fields.len(), 2);
    }
}
