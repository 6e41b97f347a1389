//! Options, token groups and replies of the cluster commands (`CLUSTER …`, `CLUSTERSCAN`).
//!
//! The structured replies read the same from RESP2 and RESP3: `CLUSTER SHARDS`, `CLUSTER LINKS`,
//! `CLUSTER SLOT-STATS` and `CLUSTER GETSLOTMIGRATIONS` send maps under RESP3 and flat arrays of
//! names and values under RESP2; `CLUSTER SLOTS` sends a node's extra networking metadata as a map
//! or a flat array (and none before Redis 7.0); `CLUSTER INFO` and `CLUSTER NODES` send text
//! (a verbatim string under RESP3).
//!
//! Arguments are here; the replies describing the cluster are in `topology`, the others
//! (`BUMPEPOCH`, `SLOT-STATS`, `GETSLOTMIGRATIONS`, `CLUSTERSCAN`) in `replies`.

mod replies;
mod topology;

pub use replies::{BumpEpoch, ClusterScanPage, SlotMigration, SlotMigrationOperation, SlotStats};
pub(crate) use topology::cluster_nodes_reply;
pub use topology::{
    ClusterInfo, ClusterLink, ClusterLinkDirection, ClusterLinkState, ClusterNode, ClusterNodeFlag,
    ClusterNodeHealth, ClusterShard, ClusterShardNode, ClusterShardRole, ClusterSlotNode,
    ClusterSlotRange,
};

use bytes::Bytes;
use std::fmt;

use super::{KeyType, SortOrder};
use crate::args::ToArg;
use crate::cmd::Cmd;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_value::FromValue;
    use crate::value::Value;
    use std::time::SystemTime;

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
