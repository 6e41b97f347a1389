//! The slot map: which node serves each of the 16,384 hash slots.
//!
//! Owns: [`SlotMap`] — the shards (a primary and its replicas, by address) and, per slot, the
//! index of its shard — built from `CLUSTER SHARDS` (Redis 7.0+, Valkey) or `CLUSTER SLOTS`
//! (older servers), and patched by a `MOVED` redirection until the next refresh.
//!
//! Must not: connect, send, or decide when to refresh (the cluster client does).

use crate::config::Addr;
use crate::route::SLOT_COUNT;
use crate::types::{
    ClusterNodeHealth, ClusterShard, ClusterShardRole, ClusterSlotNode, ClusterSlotRange,
};

/// No shard serves the slot.
const UNASSIGNED: u16 = u16::MAX;

/// One primary and its replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) primary: Addr,
    pub(crate) replicas: Vec<Addr>,
}

/// Which shard serves each slot.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SlotMap {
    shards: Vec<Shard>,
    /// Per slot, the index of its shard in `shards` (or [`UNASSIGNED`]).
    owner: Vec<u16>,
    /// The indexes of the shards that serve at least one slot (kept by [`SlotMap::index`]).
    serving: Vec<usize>,
}

impl std::fmt::Debug for SlotMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotMap")
            .field("shards", &self.shards)
            .field(
                "unassigned",
                &self.owner.iter().filter(|o| **o == UNASSIGNED).count(),
            )
            .finish()
    }
}

impl SlotMap {
    /// A map in which no slot is served.
    pub(crate) fn empty() -> SlotMap {
        SlotMap {
            shards: Vec::new(),
            owner: vec![UNASSIGNED; usize::from(SLOT_COUNT)],
            serving: Vec::new(),
        }
    }

    /// Recomputes which shards serve slots (after the map was built or patched): one pass
    /// over the slots.
    fn index(&mut self) {
        let mut serves = vec![false; self.shards.len()];
        for &o in &self.owner {
            if let Some(s) = serves.get_mut(usize::from(o)) {
                *s = true;
            }
        }
        self.serving = (0..self.shards.len())
            .filter(|i| serves.get(*i) == Some(&true))
            .collect();
    }

    /// The map `CLUSTER SHARDS` describes. `tls`: connect to the TLS ports. `asked`: the host
    /// of the node that answered, for nodes whose endpoint is unknown (`?`).
    pub(crate) fn from_shards(shards: &[ClusterShard], tls: bool, asked: &str) -> SlotMap {
        let mut map = SlotMap::empty();
        for shard in shards {
            // A shard may list a failed former primary next to the promoted one (Valkey
            // groups nodes by shard id): the one serving is the one online.
            let primaries = || {
                shard
                    .nodes
                    .iter()
                    .filter(|n| n.role == ClusterShardRole::Primary)
            };
            let primary = primaries()
                .find(|n| n.health == ClusterNodeHealth::Online)
                .or_else(|| primaries().next());
            let Some(primary) = primary.and_then(|n| shard_addr(n, tls, asked)) else {
                continue;
            };
            let replicas = shard
                .nodes
                .iter()
                .filter(|n| n.role == ClusterShardRole::Replica)
                .filter(|n| n.health == ClusterNodeHealth::Online)
                .filter_map(|n| shard_addr(n, tls, asked))
                .collect();
            let index = map.add_shard(Shard { primary, replicas });
            for range in &shard.slots {
                map.assign(range.start, range.end, index);
            }
        }
        map.index();
        map
    }

    /// The map `CLUSTER SLOTS` describes; `asked` as in [`SlotMap::from_shards`].
    pub(crate) fn from_slots(ranges: &[ClusterSlotRange], asked: &str) -> SlotMap {
        let mut map = SlotMap::empty();
        for range in ranges {
            let primary = slot_node_addr(&range.primary, asked);
            let index = match map.shards.iter().position(|s| s.primary == primary) {
                Some(i) => u16::try_from(i).unwrap_or(UNASSIGNED),
                None => map.add_shard(Shard {
                    primary,
                    replicas: range
                        .replicas
                        .iter()
                        .map(|n| slot_node_addr(n, asked))
                        .collect(),
                }),
            };
            map.assign(range.slots.start, range.slots.end, index);
        }
        map.index();
        map
    }

    fn add_shard(&mut self, shard: Shard) -> u16 {
        self.shards.push(shard);
        u16::try_from(self.shards.len() - 1).unwrap_or(UNASSIGNED)
    }

    fn assign(&mut self, start: u16, end: u16, index: u16) {
        let end = usize::from(end).min(self.owner.len().saturating_sub(1));
        for o in self.owner.iter_mut().take(end + 1).skip(usize::from(start)) {
            *o = index;
        }
    }

    /// The shard serving `slot`.
    pub(crate) fn shard(&self, slot: u16) -> Option<&Shard> {
        let index = *self.owner.get(usize::from(slot))?;
        self.shards.get(usize::from(index))
    }

    /// Every shard that serves at least one slot.
    pub(crate) fn shards(&self) -> impl Iterator<Item = &Shard> + '_ {
        self.serving.iter().filter_map(|&i| self.shards.get(i))
    }

    /// How many shards serve slots.
    pub(crate) fn shard_count(&self) -> usize {
        self.serving.len()
    }

    /// The `n`-th shard serving slots (for picking one in turn).
    pub(crate) fn nth_shard(&self, n: usize) -> Option<&Shard> {
        self.shards.get(*self.serving.get(n)?)
    }

    /// Every address the map names: primaries, then replicas.
    pub(crate) fn addrs(&self) -> Vec<Addr> {
        let mut out: Vec<Addr> = self.shards.iter().map(|s| s.primary.clone()).collect();
        for s in &self.shards {
            for r in &s.replicas {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    /// How many slots have no shard.
    pub(crate) fn unassigned(&self) -> usize {
        self.owner.iter().filter(|o| **o == UNASSIGNED).count()
    }

    /// Records that `slot` moved to the primary at `addr` (a `MOVED` redirection).
    pub(crate) fn moved(&mut self, slot: u16, addr: Addr) {
        let index = match self.shards.iter().position(|s| s.primary == addr) {
            Some(i) => u16::try_from(i).unwrap_or(UNASSIGNED),
            None => self.add_shard(Shard {
                primary: addr,
                replicas: Vec::new(),
            }),
        };
        if let Some(o) = self.owner.get_mut(usize::from(slot)) {
            *o = index;
        }
        self.index();
    }
}

/// The address clients should use for a `CLUSTER SHARDS` node.
fn shard_addr(node: &crate::types::ClusterShardNode, tls: bool, asked: &str) -> Option<Addr> {
    let port = if tls {
        node.tls_port.or(node.port)
    } else {
        node.port.or(node.tls_port)
    }?;
    let host = if node.endpoint.is_empty() || node.endpoint == "?" {
        if node.ip.is_empty() || node.ip == "?" {
            asked
        } else {
            &node.ip
        }
    } else {
        &node.endpoint
    };
    Some(Addr::tcp(host, port))
}

/// The address clients should use for a `CLUSTER SLOTS` node.
fn slot_node_addr(node: &ClusterSlotNode, asked: &str) -> Addr {
    Addr::tcp(node.endpoint.as_deref().unwrap_or(asked), node.port)
}

/// Parses the address of a `MOVED`/`ASK` redirection (`host:port`, `[v6]:port`, or `:port`
/// for the host of the node that answered, `from`).
pub(crate) fn redirect_addr(text: &str, from: &Addr) -> Option<Addr> {
    let (host, port) = text.rsplit_once(':')?;
    let port: u16 = port.parse().ok().filter(|p| *p != 0)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return match from {
            Addr::Tcp { host, .. } => Some(Addr::tcp(host.clone(), port)),
            Addr::Unix(_) => None,
        };
    }
    Some(Addr::tcp(host, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SlotRange;

    fn node(endpoint: &str, port: u16) -> ClusterSlotNode {
        let v = crate::value::Value::Array(vec![
            crate::value::Value::Bulk(endpoint.to_string().into()),
            crate::value::Value::Int(i64::from(port)),
        ]);
        crate::from_value::FromValue::from_value(v).unwrap()
    }

    #[test]
    fn slots_map_to_shards() {
        let ranges = vec![
            ClusterSlotRange {
                slots: SlotRange::new(0, 8191),
                primary: node("127.0.0.1", 7000),
                replicas: vec![node("127.0.0.1", 7003)],
            },
            ClusterSlotRange {
                slots: SlotRange::new(8192, 16383),
                primary: node("", 7001),
                replicas: vec![],
            },
        ];
        let mut map = SlotMap::from_slots(&ranges, "10.0.0.1");
        assert_eq!(map.unassigned(), 0);
        assert_eq!(map.shard(0).unwrap().primary, Addr::tcp("127.0.0.1", 7000));
        assert_eq!(
            map.shard(8191).unwrap().replicas,
            [Addr::tcp("127.0.0.1", 7003)]
        );
        assert_eq!(
            map.shard(16383).unwrap().primary,
            Addr::tcp("10.0.0.1", 7001)
        );
        assert_eq!(map.shards().count(), 2);
        map.moved(5, Addr::tcp("127.0.0.1", 7009));
        assert_eq!(map.shard(5).unwrap().primary, Addr::tcp("127.0.0.1", 7009));
        assert_eq!(map.shard(6).unwrap().primary, Addr::tcp("127.0.0.1", 7000));
        assert_eq!(map.addrs().len(), 4);
        assert!(SlotMap::empty().shard(3).is_none());
    }

    #[test]
    fn a_shard_serves_from_its_online_primary() {
        use crate::value::Value;
        let b = |s: &str| Value::Bulk(s.to_string().into());
        let node = |port: i64, role: &str, health: &str| {
            Value::Map(vec![
                (b("id"), b(&format!("id{port}"))),
                (b("port"), Value::Int(port)),
                (b("ip"), b("127.0.0.1")),
                (b("endpoint"), b("127.0.0.1")),
                (b("role"), b(role)),
                (b("replication-offset"), Value::Int(0)),
                (b("health"), b(health)),
            ])
        };
        let shard = Value::Map(vec![
            (
                b("slots"),
                Value::Array(vec![Value::Int(0), Value::Int(16383)]),
            ),
            (
                b("nodes"),
                Value::Array(vec![
                    node(7000, "master", "failed"),
                    node(7001, "master", "online"),
                    node(7002, "replica", "failed"),
                ]),
            ),
        ]);
        let shards: Vec<ClusterShard> =
            crate::from_value::FromValue::from_value(Value::Array(vec![shard])).unwrap();
        let map = SlotMap::from_shards(&shards, false, "127.0.0.1");
        let s = map.shard(42).unwrap();
        assert_eq!(s.primary, Addr::tcp("127.0.0.1", 7001));
        assert!(s.replicas.is_empty(), "a failed replica is not read from");
    }

    #[test]
    fn redirect_addresses() {
        let from = Addr::tcp("127.0.0.5", 1);
        assert_eq!(
            redirect_addr("127.0.0.1:7000", &from),
            Some(Addr::tcp("127.0.0.1", 7000))
        );
        assert_eq!(
            redirect_addr(":7000", &from),
            Some(Addr::tcp("127.0.0.5", 7000))
        );
        assert_eq!(
            redirect_addr("[::1]:7000", &from),
            Some(Addr::tcp("::1", 7000))
        );
        assert_eq!(redirect_addr("nonsense", &from), None);
        assert_eq!(redirect_addr("h:0", &from), None);
        assert_eq!(redirect_addr("h:99999", &from), None);
    }
}
