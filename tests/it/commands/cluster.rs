//! The cluster commands against live clusters: read-only introspection on a 3 + 3 cluster
//! started by the test support crate, and the state-changing commands on fresh cluster-enabled
//! nodes started for each test (their effect asserted through `CLUSTER NODES` and friends).
//! Replies are checked over RESP3 and RESP2 where their shapes differ.

use super::strings::valkey_at_least;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    BumpEpoch, ClusterFailoverMode, ClusterLinkDirection, ClusterNode, ClusterNodeHealth,
    ClusterResetMode, ClusterScanOptions, ClusterSetSlot, ClusterShardRole, KeyType,
    SlotMigrationGroup, SlotMigrationOperation, SlotRange, SlotStatsFilter, SlotStatsMetric,
    SortOrder,
};
use coredis::{ErrorKind, FlushMode, Redis};
use coredis_test_support::cluster::{key_slot, start_node};
use coredis_test_support::{server_major_minor, skip, Cluster, Server};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const T: &str = "commands::cluster::";
/// Deadline of every wait for the cluster to change (gossip, failovers) on a busy machine.
const DEADLINE: Duration = Duration::from_secs(60);

/// Every method of the group, built (the Valkey-only ones when the server is Valkey).
pub fn built() -> Vec<coredis::Request> {
    let b = Build;
    let id = "07c37dfeb235213a872192d90877d0cd55635b91";
    let mut all = vec![
        b.cluster_addslots([1, 2]).request().clone(),
        b.cluster_addslotsrange([(1, 2)]).request().clone(),
        b.cluster_bumpepoch().request().clone(),
        b.cluster_count_failure_reports(id).request().clone(),
        b.cluster_countkeysinslot(1).request().clone(),
        b.cluster_delslots([1, 2]).request().clone(),
        b.cluster_delslotsrange([(1, 2)]).request().clone(),
        b.cluster_failover().request().clone(),
        b.cluster_failover_with(ClusterFailoverMode::Force)
            .request()
            .clone(),
        b.cluster_flushslots().request().clone(),
        b.cluster_forget(id).request().clone(),
        b.cluster_getkeysinslot::<String>(1, 10).request().clone(),
        b.cluster_info().request().clone(),
        b.cluster_keyslot("k").request().clone(),
        b.cluster_links().request().clone(),
        b.cluster_meet("127.0.0.1", 7000).request().clone(),
        b.cluster_meet_with("127.0.0.1", 7000, 17000)
            .request()
            .clone(),
        b.cluster_myid().request().clone(),
        b.cluster_nodes().request().clone(),
        b.cluster_replicas(id).request().clone(),
        b.cluster_replicate(id).request().clone(),
        b.cluster_reset().request().clone(),
        b.cluster_reset_with(ClusterResetMode::Hard)
            .request()
            .clone(),
        b.cluster_saveconfig().request().clone(),
        b.cluster_set_config_epoch(1).request().clone(),
        b.cluster_setslot(1, ClusterSetSlot::Node(id.into()))
            .request()
            .clone(),
        b.cluster_setslot(1, ClusterSetSlot::Stable)
            .request()
            .clone(),
        b.cluster_shards().request().clone(),
        b.cluster_slaves(id).request().clone(),
        b.cluster_slots().request().clone(),
    ];
    if valkey_at_least(7, 2) {
        all.push(b.cluster_myshardid().request().clone());
    }
    if valkey_at_least(8, 0) {
        all.extend([
            b.cluster_setslot_with(
                1,
                ClusterSetSlot::Importing(id.into()),
                Duration::from_millis(500),
            )
            .request()
            .clone(),
            b.cluster_slot_stats(SlotStatsFilter::SlotsRange { start: 0, end: 9 })
                .request()
                .clone(),
            b.cluster_slot_stats(SlotStatsFilter::OrderBy {
                metric: SlotStatsMetric::KeyCount,
                limit: Some(3),
                order: Some(SortOrder::Asc),
            })
            .request()
            .clone(),
        ]);
    }
    if valkey_at_least(9, 0) {
        all.extend([
            b.cluster_cancelslotmigrations().request().clone(),
            b.cluster_flushslot(1).request().clone(),
            b.cluster_flushslot_with(1, FlushMode::Async)
                .request()
                .clone(),
            b.cluster_getslotmigrations().request().clone(),
            b.cluster_migrateslots([SlotMigrationGroup::new(id).range(0, 9).range(20, 29)])
                .request()
                .clone(),
            b.cluster_replicate_no_one().request().clone(),
        ]);
    }
    if valkey_at_least(9, 1) {
        all.extend([
            b.clusterscan::<String>("0").request().clone(),
            b.clusterscan_with::<String>(
                "0",
                ClusterScanOptions::new()
                    .pattern("k*")
                    .count(10)
                    .type_(KeyType::String)
                    .slot(3),
            )
            .request()
            .clone(),
        ]);
    }
    all
}

#[test]
fn cluster_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::cluster::cluster_routing_facts_match_the_server",
        &built(),
    );
}

/// A client of `server` speaking RESP `p`.
fn client(server: &Server, p: u8) -> Redis {
    let url = format!("{}?protocol={p}", server.url());
    Redis::from_url(&url).unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

/// Waits until `check` holds (it is polled), or panics with `what` after [`DEADLINE`].
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The node that answered, from its own `CLUSTER NODES`.
fn myself(r: &Redis) -> ClusterNode {
    r.cluster_nodes()
        .unwrap()
        .into_iter()
        .find(ClusterNode::is_myself)
        .expect("a myself line")
}

fn is_redis_7() -> bool {
    server_major_minor() >= (7, 0)
}

/// `available`, after reporting `test` as skipped for `what` when it is not.
fn only_if(available: bool, test: &str, what: &str) -> bool {
    if !available {
        skip(&format!("{T}{test}"), what);
    }
    available
}

/// Read-only introspection of a healthy 3 + 3 cluster, under both protocols.
#[test]
fn cluster_introspection_on_a_running_cluster() {
    let test = "cluster_introspection_on_a_running_cluster";
    let redis_7 = only_if(
        is_redis_7(),
        test,
        "CLUSTER SHARDS and CLUSTER LINKS need Redis 7.0",
    );
    let shard_ids = only_if(
        valkey_at_least(7, 2),
        test,
        "CLUSTER MYSHARDID needs Redis 7.2 or Valkey 7.2 (run against Valkey)",
    );
    let slot_stats = only_if(
        valkey_at_least(8, 0),
        test,
        "CLUSTER SLOT-STATS needs Valkey 8.0",
    );
    let scan = only_if(valkey_at_least(9, 1), test, "CLUSTERSCAN needs Valkey 9.1");
    let cluster = Cluster::start(3, 1);
    // Three keys in one slot, on the node that serves it.
    let tag = "{cluster-it}";
    let slot = key_slot(tag.as_bytes());
    let owner = cluster.slot_owner(slot);
    let keys: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|k| format!("{tag}{k}"))
        .collect();
    for k in &keys {
        assert_eq!(cluster.command(owner, &["SET", k, "v"]), "OK");
    }
    let primaries = cluster.primaries();
    let other = *primaries.iter().find(|&&p| p != owner).unwrap();

    for p in [3u8, 2] {
        let r = client(cluster.node(owner), p);
        let ctx = format!("RESP{p}");

        let info = r.cluster_info().unwrap();
        assert!(info.is_ok(), "{ctx}: {info:?}");
        assert_eq!(
            (
                info.slots_assigned,
                info.slots_ok,
                info.known_nodes,
                info.size
            ),
            (16384, 16384, 6, 3),
            "{ctx}"
        );
        assert_eq!(info.get("cluster_state"), Some("ok"));
        assert!(info.current_epoch >= info.my_epoch && info.my_epoch > 0);

        let id = r.cluster_myid().unwrap();
        assert_eq!(id, cluster.node_id(owner), "{ctx}");
        let nodes = r.cluster_nodes().unwrap();
        assert_eq!(nodes.len(), 6, "{ctx}: {nodes:?}");
        let ports: BTreeSet<u16> = nodes.iter().map(|n| n.port).collect();
        assert_eq!(ports, cluster.ports().into_iter().collect(), "{ctx}");
        let me = nodes.iter().find(|n| n.is_myself()).unwrap();
        assert_eq!(
            (me.id.as_str(), me.port),
            (id.as_str(), cluster.node(owner).port())
        );
        assert!(me.is_primary() && me.primary_id.is_none() && me.ping_sent.is_none());
        assert!(me.slots.iter().any(|r| r.contains(slot)), "{ctx}: {me:?}");
        assert_eq!(me.bus_port, Some(me.port + 10_000));
        let served: u32 = nodes
            .iter()
            .filter(|n| n.is_primary())
            .flat_map(|n| n.slots.iter().map(|s| s.len()))
            .sum();
        assert_eq!(served, 16384, "{ctx}");
        for n in &nodes {
            assert_eq!(n.link_state, coredis::types::ClusterLinkState::Connected);
            assert!(!n.is_failing(), "{n:?}");
            assert_eq!(n.ip, "127.0.0.1");
            if !n.is_myself() {
                assert!(n.pong_received.is_some(), "{n:?}");
            }
        }

        let replica_ids: Vec<String> = cluster
            .replicas_of(owner)
            .iter()
            .map(|&i| cluster.node_id(i).to_owned())
            .collect();
        assert_eq!(replica_ids.len(), 1);
        for listed in [
            r.cluster_replicas(&id).unwrap(),
            r.cluster_slaves(&id).unwrap(),
        ] {
            let ids: Vec<&str> = listed.iter().map(|n| n.id.as_str()).collect();
            assert_eq!(ids, replica_ids, "{ctx}");
            assert!(listed[0].is_replica());
            assert_eq!(listed[0].primary_id.as_deref(), Some(id.as_str()));
        }

        let ranges = r.cluster_slots().unwrap();
        assert_eq!(ranges.len(), 3, "{ctx}: {ranges:?}");
        for range in &ranges {
            let serving = cluster.slot_owner(range.slots.start);
            assert_eq!(range.primary.port, cluster.node(serving).port(), "{ctx}");
            assert_eq!(range.primary.id.as_deref(), Some(cluster.node_id(serving)));
            assert_eq!(range.primary.endpoint.as_deref(), Some("127.0.0.1"));
            assert_eq!(range.replicas.len(), 1, "{ctx}: {range:?}");
            let replica = cluster.replicas_of(serving)[0];
            assert_eq!(range.replicas[0].port, cluster.node(replica).port());
        }
        let total: u32 = ranges.iter().map(|r| r.slots.len()).sum();
        assert_eq!(total, 16384);

        if redis_7 {
            let shards = r.cluster_shards().unwrap();
            assert_eq!(shards.len(), 3, "{ctx}: {shards:?}");
            for shard in &shards {
                assert_eq!(shard.nodes.len(), 2, "{ctx}: {shard:?}");
                let primary = shard.primary().unwrap();
                let serving = cluster.slot_owner(shard.slots[0].start);
                assert_eq!(primary.id, cluster.node_id(serving));
                assert_eq!(primary.port, Some(cluster.node(serving).port()));
                assert_eq!(primary.tls_port, None);
                assert_eq!(
                    (primary.ip.as_str(), primary.endpoint.as_str()),
                    ("127.0.0.1", "127.0.0.1")
                );
                assert_eq!(primary.health, ClusterNodeHealth::Online);
                let replica = shard
                    .nodes
                    .iter()
                    .find(|n| n.role == ClusterShardRole::Replica);
                assert!(replica.is_some(), "{shard:?}");
                assert_eq!(shard.id.is_some(), valkey_at_least(7, 2));
            }
            let links = r.cluster_links().unwrap();
            let peers: BTreeSet<&str> = links.iter().map(|l| l.node.as_str()).collect();
            let expected: BTreeSet<&str> = (0..6)
                .filter(|&i| i != owner)
                .map(|i| cluster.node_id(i))
                .collect();
            assert_eq!(peers, expected, "{ctx}: {links:?}");
            assert!(links
                .iter()
                .any(|l| l.direction == ClusterLinkDirection::To));
            assert!(links
                .iter()
                .any(|l| l.direction == ClusterLinkDirection::From));
            assert!(links.iter().all(|l| l.create_time > std::time::UNIX_EPOCH));
        }

        assert_eq!(r.cluster_keyslot(&keys[0]).unwrap(), slot, "{ctx}");
        assert_eq!(r.cluster_keyslot("foo").unwrap(), 12182);
        assert_eq!(r.cluster_countkeysinslot(slot).unwrap(), 3, "{ctx}");
        assert_eq!(r.cluster_countkeysinslot((slot + 1) % 16384).unwrap(), 0);
        let mut got: Vec<String> = r.cluster_getkeysinslot(slot, 10).unwrap();
        got.sort();
        assert_eq!(got, keys, "{ctx}");
        assert_eq!(r.cluster_getkeysinslot::<String>(slot, 2).unwrap().len(), 2);
        assert_eq!(
            r.cluster_count_failure_reports(cluster.node_id(other))
                .unwrap(),
            0
        );
        let e = r.cluster_count_failure_reports("no-such-node").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");

        if shard_ids {
            let shard_id = r.cluster_myshardid().unwrap();
            let shards = r.cluster_shards().unwrap();
            let mine = shards
                .iter()
                .find(|s| s.nodes.iter().any(|n| n.id == id))
                .unwrap();
            assert_eq!(mine.id.as_deref(), Some(shard_id.as_str()), "{ctx}");
        }
        if slot_stats {
            let stats = r
                .cluster_slot_stats(SlotStatsFilter::SlotsRange {
                    start: slot,
                    end: slot,
                })
                .unwrap();
            assert_eq!(stats.len(), 1, "{ctx}: {stats:?}");
            assert_eq!((stats[0].slot, stats[0].key_count), (slot, 3));
            assert_eq!(stats[0].cpu_usec, None, "stats are off by default");
            let top = r
                .cluster_slot_stats(SlotStatsFilter::OrderBy {
                    metric: SlotStatsMetric::KeyCount,
                    limit: Some(2),
                    order: Some(SortOrder::Desc),
                })
                .unwrap();
            assert_eq!(top.len(), 2, "{ctx}: {top:?}");
            assert_eq!((top[0].slot, top[0].key_count), (slot, 3));
            assert_eq!(top[1].key_count, 0);
        }
    }
    if scan {
        clusterscan_walks(&cluster, &keys);
    }
}

/// CLUSTERSCAN over the whole cluster: each page from the node serving the cursor's slot.
fn clusterscan_walks(cluster: &Cluster, keys: &[String]) {
    // Keys on every primary.
    let mut everywhere: Vec<String> = keys.to_vec();
    for i in 0..200 {
        let k = format!("scan:{i}");
        let owner = cluster.key_owner(k.as_bytes());
        assert_eq!(cluster.command(owner, &["SET", &k, "v"]), "OK");
        everywhere.push(k);
    }
    let owner_of_tag = cluster.slot_owner(key_slot(keys[0].as_bytes()));
    assert_eq!(
        cluster.command(owner_of_tag, &["RPUSH", "{cluster-it}list", "x"]),
        "1"
    );
    everywhere.sort();
    for p in [3u8, 2] {
        let clients: Vec<Redis> = cluster.nodes().iter().map(|n| client(n, p)).collect();
        let walk = |options: Option<ClusterScanOptions>| {
            let mut cursor = "0".to_string();
            let mut found = Vec::new();
            for _ in 0..1000 {
                let r = &clients[cluster.key_owner(cursor.as_bytes())];
                let page = match &options {
                    None => r.clusterscan::<String>(&cursor),
                    Some(o) => r.clusterscan_with::<String>(&cursor, o.clone()),
                }
                .unwrap();
                found.extend(page.keys.iter().cloned());
                if page.is_last() {
                    found.sort();
                    found.dedup();
                    return found;
                }
                cursor = page.cursor;
            }
            panic!("RESP{p}: CLUSTERSCAN did not end in 1000 pages");
        };
        let mut all = everywhere.clone();
        all.push("{cluster-it}list".into());
        all.sort();
        assert_eq!(walk(None), all, "RESP{p}");
        let strings = walk(Some(
            ClusterScanOptions::new()
                .pattern("{cluster-it}*")
                .count(1000)
                .type_(KeyType::String),
        ));
        assert_eq!(strings, keys, "RESP{p}");
        let slot = key_slot(b"scan:7");
        let one_slot = walk(Some(ClusterScanOptions::new().slot(slot)));
        assert!(
            one_slot.contains(&"scan:7".to_string()),
            "RESP{p}: {one_slot:?}"
        );
        assert!(one_slot.iter().all(|k| key_slot(k.as_bytes()) == slot));
    }
}

/// Slot assignment, epochs and the config file on lone fresh nodes.
#[test]
fn cluster_slots_epochs_and_config_on_a_fresh_node() {
    let ranges = only_if(
        is_redis_7(),
        "cluster_slots_epochs_and_config_on_a_fresh_node",
        "CLUSTER ADDSLOTSRANGE and DELSLOTSRANGE need Redis 7.0",
    );
    for p in [3u8, 2] {
        let node = start_node();
        let r = client(&node, p);
        let ctx = format!("RESP{p}");
        r.cluster_addslots([0, 1, 2]).unwrap();
        r.cluster_addslots(5u16).unwrap();
        assert_eq!(
            myself(&r).slots,
            [SlotRange::new(0, 2), SlotRange::new(5, 5)],
            "{ctx}"
        );
        let e = r.cluster_addslots(1u16).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "already assigned: {e}");
        let e = r.cluster_addslots(20_000u16).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "out of range: {e}");
        r.cluster_delslots([1, 5]).unwrap();
        assert_eq!(
            myself(&r).slots,
            [SlotRange::new(0, 0), SlotRange::new(2, 2)]
        );
        if ranges {
            r.cluster_addslotsrange([(100, 199), (300, 300)]).unwrap();
            assert_eq!(r.cluster_info().unwrap().slots_assigned, 2 + 101);
            r.cluster_delslotsrange([(150, 199)]).unwrap();
            assert_eq!(
                myself(&r).slots,
                [
                    SlotRange::new(0, 0),
                    SlotRange::new(2, 2),
                    SlotRange::new(100, 149),
                    SlotRange::new(300, 300)
                ],
                "{ctx}"
            );
        }
        r.cluster_flushslots().unwrap();
        assert!(myself(&r).slots.is_empty(), "{ctx}");
        assert_eq!(r.cluster_info().unwrap().slots_assigned, 0);

        // A fresh node takes a configuration epoch; BUMPEPOCH then has nothing to do.
        r.cluster_set_config_epoch(5).unwrap();
        let info = r.cluster_info().unwrap();
        assert_eq!((info.my_epoch, info.current_epoch), (5, 5), "{ctx}");
        assert_eq!(myself(&r).config_epoch, 5);
        assert_eq!(r.cluster_bumpepoch().unwrap(), BumpEpoch::Still(5), "{ctx}");
        let e = r.cluster_set_config_epoch(7).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "epoch already set: {e}");
        let fresh = start_node();
        assert_eq!(
            client(&fresh, p).cluster_bumpepoch().unwrap(),
            BumpEpoch::Bumped(1),
            "{ctx}"
        );

        r.cluster_addslots(9u16).unwrap();
        r.cluster_saveconfig().unwrap();
        let conf = std::fs::read_to_string(node.dir().join("nodes.conf")).unwrap();
        let id = r.cluster_myid().unwrap();
        assert!(
            conf.lines()
                .any(|l| l.starts_with(&id) && l.contains("myself") && l.ends_with(" 9")),
            "{ctx}: {conf}"
        );
    }
}

/// Empty required lists are refused before anything is sent.
#[test]
fn cluster_empty_lists_are_usage_errors() {
    let node = start_node();
    let r = client(&node, 3);
    let none: Vec<u16> = Vec::new();
    for e in [
        r.cluster_addslots(&none).unwrap_err(),
        r.cluster_delslots(&none).unwrap_err(),
        r.cluster_addslotsrange(Vec::new()).unwrap_err(),
        r.cluster_delslotsrange(Vec::new()).unwrap_err(),
        r.cluster_migrateslots(Vec::new()).unwrap_err(),
        r.cluster_migrateslots([SlotMigrationGroup::new("x")])
            .unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    }
    assert_eq!(
        r.cluster_info().unwrap().slots_assigned,
        0,
        "nothing was sent"
    );
}

/// Starts `n` fresh nodes; the first serves every slot.
fn fresh_nodes(n: usize) -> Vec<Server> {
    let nodes: Vec<Server> = (0..n).map(|_| start_node()).collect();
    let all: Vec<u16> = (0..16384).collect();
    client(&nodes[0], 3).cluster_addslots(&all).unwrap();
    nodes
}

/// Waits until `r` lists `id` as a connected, fully joined peer.
fn wait_for_peer(r: &Redis, id: &str) {
    wait_until(&format!("peer {id} joined"), || {
        r.cluster_nodes().unwrap().iter().any(|n| {
            n.id == id
                && n.link_state == coredis::types::ClusterLinkState::Connected
                && !n.has_flag(&coredis::types::ClusterNodeFlag::Handshake)
        })
    });
}

/// MEET (with and without a bus port), REPLICATE, REPLICAS, SETSLOT in every form, FORGET,
/// COUNT-FAILURE-REPORTS, and Valkey's REPLICATE NO ONE, on fresh nodes.
#[test]
fn cluster_meet_replicate_setslot_forget() {
    let test = "cluster_meet_replicate_setslot_forget";
    let timeout = only_if(
        valkey_at_least(8, 0),
        test,
        "CLUSTER SETSLOT … TIMEOUT needs Valkey 8.0",
    );
    let no_one = only_if(
        valkey_at_least(9, 0),
        test,
        "CLUSTER REPLICATE NO ONE needs Valkey 9.0",
    );
    let nodes = fresh_nodes(4);
    let (a, b, c, d) = (
        client(&nodes[0], 3),
        client(&nodes[1], 2),
        client(&nodes[2], 3),
        client(&nodes[3], 2),
    );
    let ids: Vec<String> = [&a, &b, &c, &d]
        .iter()
        .map(|r| r.cluster_myid().unwrap())
        .collect();
    assert_eq!(a.cluster_nodes().unwrap().len(), 1, "alone at first");

    a.cluster_meet("127.0.0.1", nodes[1].port()).unwrap();
    a.cluster_meet_with("127.0.0.1", nodes[2].port(), nodes[2].port() + 10_000)
        .unwrap();
    b.cluster_meet("127.0.0.1", nodes[3].port()).unwrap();
    for r in [&a, &b, &c, &d] {
        for id in &ids {
            wait_for_peer(r, id);
        }
    }
    wait_until("every node sees the cluster ok", || {
        [&a, &b, &c, &d]
            .iter()
            .all(|r| r.cluster_info().unwrap().is_ok())
    });
    assert_eq!(c.cluster_info().unwrap().known_nodes, 4);

    // B replicates A.
    b.cluster_replicate(&ids[0]).unwrap();
    wait_until("B is A's replica everywhere", || {
        a.cluster_replicas(&ids[0])
            .unwrap()
            .iter()
            .any(|n| n.id == ids[1])
            && myself(&b).primary_id.as_deref() == Some(ids[0].as_str())
    });
    let me = myself(&b);
    assert!(me.is_replica(), "{me:?}");
    assert_eq!(
        a.cluster_slaves(&ids[0]).unwrap()[0].id,
        ids[1],
        "SLAVES is REPLICAS"
    );

    wait_until("B's replication link is up", || {
        let info: String = b
            .execute(coredis::cmd("INFO").arg("replication").returns())
            .unwrap();
        info.contains("master_link_status:up")
    });

    // Slot 100 moves from A to C. First every primary's config epoch is unique, as the
    // cluster settles them: while C's equals A's, C's `SETSLOT … NODE` cannot take the lead
    // (its epoch is already the greatest, so it is not bumped), A's older claim on the slot can
    // win the tie, and C — its only slot lost — turns into A's replica (seen once in CI).
    wait_until("the primaries' config epochs are unique", || {
        [&a, &c].iter().all(|r| {
            let epochs: Vec<u64> = r
                .cluster_nodes()
                .unwrap()
                .iter()
                .filter(|n| !n.is_replica())
                .map(|n| n.config_epoch)
                .collect();
            let mut unique = epochs.clone();
            unique.sort_unstable();
            unique.dedup();
            unique.len() == epochs.len()
        })
    });
    c.cluster_setslot(100, ClusterSetSlot::Importing(ids[0].clone()))
        .unwrap();
    assert_eq!(myself(&c).importing, [(100, ids[0].clone())]);
    a.cluster_setslot(100, ClusterSetSlot::Migrating(ids[2].clone()))
        .unwrap();
    assert_eq!(myself(&a).migrating, [(100, ids[2].clone())]);
    c.cluster_setslot(100, ClusterSetSlot::Node(ids[2].clone()))
        .unwrap();
    a.cluster_setslot(100, ClusterSetSlot::Node(ids[2].clone()))
        .unwrap();
    let me = myself(&c);
    assert!(me.slots.contains(&SlotRange::new(100, 100)), "{me:?}");
    assert!(me.importing.is_empty());
    let me = myself(&a);
    assert!(me.migrating.is_empty() && !me.slots.iter().any(|r| r.contains(100)));
    // STABLE clears an importing state.
    c.cluster_setslot(101, ClusterSetSlot::Importing(ids[0].clone()))
        .unwrap();
    assert_eq!(myself(&c).importing.len(), 1);
    c.cluster_setslot(101, ClusterSetSlot::Stable).unwrap();
    assert!(myself(&c).importing.is_empty());
    if timeout {
        c.cluster_setslot_with(
            102,
            ClusterSetSlot::Importing(ids[0].clone()),
            Duration::from_millis(2000),
        )
        .unwrap();
        assert_eq!(myself(&c).importing, [(102, ids[0].clone())]);
        c.cluster_setslot(102, ClusterSetSlot::Stable).unwrap();
    }

    assert_eq!(a.cluster_count_failure_reports(&ids[3]).unwrap(), 0);
    // A forgets D (for a minute: gossip cannot bring it back meanwhile).
    a.cluster_forget(&ids[3]).unwrap();
    let known: Vec<String> = a
        .cluster_nodes()
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert!(!known.contains(&ids[3]), "{known:?}");
    assert_eq!(known.len(), 3);
    let e = a.cluster_forget(&ids[0]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "cannot forget itself: {e}");

    if no_one {
        b.cluster_replicate_no_one().unwrap();
        let me = myself(&b);
        assert!(me.is_primary() && me.slots.is_empty(), "{me:?}");
    }
}

/// FAILOVER (plain, FORCE, TAKEOVER) between a primary and its replica, then RESET.
#[test]
fn cluster_failover_and_reset() {
    let nodes = fresh_nodes(2);
    let (a, b) = (client(&nodes[0], 3), client(&nodes[1], 2));
    let (id_a, id_b) = (a.cluster_myid().unwrap(), b.cluster_myid().unwrap());
    a.cluster_meet("127.0.0.1", nodes[1].port()).unwrap();
    wait_for_peer(&a, &id_b);
    wait_for_peer(&b, &id_a);
    b.cluster_replicate(&id_a).unwrap();
    let synced = |r: &Redis| {
        let info: String = r
            .execute(coredis::cmd("INFO").arg("replication").returns())
            .unwrap();
        info.contains("master_link_status:up")
    };
    // Both agree that `replica` follows `primary`, and its link is up: a manual failover
    // needs the primary to know its replica.
    let settled = |what: &str, primary: (&Redis, &str), replica: (&Redis, &str)| {
        wait_until(what, || {
            myself(primary.0).is_primary()
                && myself(replica.0).primary_id.as_deref() == Some(primary.1)
                && primary
                    .0
                    .cluster_replicas(primary.1)
                    .unwrap()
                    .iter()
                    .any(|n| n.id == replica.1)
                && synced(replica.0)
                && primary.0.cluster_info().unwrap().is_ok()
                && replica.0.cluster_info().unwrap().is_ok()
        })
    };
    settled("B replicates A", (&a, &id_a), (&b, &id_b));
    b.cluster_failover().unwrap();
    settled("B took over", (&b, &id_b), (&a, &id_a));
    a.cluster_failover_with(ClusterFailoverMode::Force).unwrap();
    settled("A took over (FORCE)", (&a, &id_a), (&b, &id_b));
    b.cluster_failover_with(ClusterFailoverMode::Takeover)
        .unwrap();
    settled("B took over (TAKEOVER)", (&b, &id_b), (&a, &id_a));
    let e = b.cluster_failover().unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::Server,
        "a primary cannot fail over: {e}"
    );

    // A soft reset keeps the id; a hard one makes a new node of it.
    a.cluster_reset().unwrap();
    let me = myself(&a);
    assert_eq!(me.id, id_a);
    assert!(me.is_primary() && me.slots.is_empty());
    assert_eq!(a.cluster_info().unwrap().known_nodes, 1);
    b.flushall().unwrap();
    b.cluster_reset_with(ClusterResetMode::Hard).unwrap();
    let info = b.cluster_info().unwrap();
    assert_eq!(
        (info.known_nodes, info.slots_assigned, info.current_epoch),
        (1, 0, 0)
    );
    assert_ne!(b.cluster_myid().unwrap(), id_b, "HARD: a new id");
    a.cluster_reset_with(ClusterResetMode::Soft).unwrap();
    assert_eq!(a.cluster_myid().unwrap(), id_a);
}

/// Valkey's slot commands: FLUSHSLOT, MIGRATESLOTS, GETSLOTMIGRATIONS, CANCELSLOTMIGRATIONS.
#[test]
fn cluster_slot_migration_on_valkey() {
    if !valkey_at_least(9, 0) {
        skip(
            &format!("{T}cluster_slot_migration_on_valkey"),
            "atomic slot migration and FLUSHSLOT need Valkey 9.0",
        );
        return;
    }
    let nodes = fresh_nodes(2);
    let (a, c) = (client(&nodes[0], 3), client(&nodes[1], 2));
    let (id_a, id_c) = (a.cluster_myid().unwrap(), c.cluster_myid().unwrap());
    a.cluster_meet("127.0.0.1", nodes[1].port()).unwrap();
    wait_for_peer(&a, &id_c);
    wait_for_peer(&c, &id_a);
    wait_until("the cluster is ok", || {
        a.cluster_info().unwrap().is_ok() && c.cluster_info().unwrap().is_ok()
    });

    let tag = "{flush}";
    let slot = key_slot(tag.as_bytes());
    for k in ["a", "b"] {
        a.set(format!("{tag}{k}"), 1).unwrap();
    }
    assert_eq!(a.cluster_countkeysinslot(slot).unwrap(), 2);
    a.cluster_flushslot(slot).unwrap();
    assert_eq!(a.cluster_countkeysinslot(slot).unwrap(), 0);
    a.set(format!("{tag}c"), 1).unwrap();
    a.cluster_flushslot_with(slot, FlushMode::Sync).unwrap();
    assert_eq!(a.cluster_countkeysinslot(slot).unwrap(), 0);

    let e = a.cluster_cancelslotmigrations().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "nothing to cancel: {e}");
    assert!(a.cluster_getslotmigrations().unwrap().is_empty());

    let moved = "{moved}k";
    let moved_slot = key_slot(moved.as_bytes());
    a.set(moved, "v").unwrap();
    a.cluster_migrateslots([SlotMigrationGroup::new(&id_c).range(moved_slot, moved_slot)])
        .unwrap();
    wait_until("C serves the migrated slot with its key", || {
        myself(&c).slots.iter().any(|r| r.contains(moved_slot))
            && c.cluster_countkeysinslot(moved_slot).unwrap() == 1
    });
    let jobs = a.cluster_getslotmigrations().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = &jobs[0];
    assert_eq!(job.operation, SlotMigrationOperation::Export);
    assert_eq!(job.slot_ranges, [SlotRange::new(moved_slot, moved_slot)]);
    assert_eq!(
        (job.source_node.as_str(), job.target_node.as_str()),
        (id_a.as_str(), id_c.as_str())
    );
    wait_until("the export job ends", || {
        a.cluster_getslotmigrations().unwrap()[0].state == "success"
    });
    let imports = c.cluster_getslotmigrations().unwrap();
    assert_eq!(imports[0].operation, SlotMigrationOperation::Import);
    assert_eq!(imports[0].name, job.name);
}
