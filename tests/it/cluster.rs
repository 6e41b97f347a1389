//! `RedisCluster` against live clusters started by the test support crate (3 primaries with a
//! replica each, unless a test needs otherwise): routing of every key-based command group,
//! hash tags, multi-key commands split per slot, keyless fan-outs, handles and pipelines,
//! slot migration (ASK, then MOVED), failover under write load, startup with a node down,
//! reads from replicas. Where a key landed is checked on the node itself, not through the
//! client.

use crate::util::{protocol, WriteLoad};
use coredis::prelude::*;
use coredis::{Addr, ClusterConfig, Config, ErrorKind, ReadFrom, RedisCluster};
use coredis_test_support::cluster::key_slot;
use coredis_test_support::{server_major_minor, skip, Cluster};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// True (and the skip reported) when the server is older than Redis 7.0, which brought
/// sharded pub/sub and functions.
fn before_7(test: &str, what: &str) -> bool {
    if server_major_minor() < (7, 0) {
        skip(
            &format!("cluster::{test}"),
            &format!("{what} need Redis 7.0"),
        );
        return true;
    }
    false
}

/// Deadline of every wait for the cluster to change (gossip, failovers) on a busy machine.
const DEADLINE: Duration = Duration::from_secs(60);

fn node_config() -> Config {
    Config::builder()
        .protocol_version(protocol())
        .response_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

fn addrs(cluster: &Cluster) -> Vec<Addr> {
    cluster.addrs().iter().map(|a| a.parse().unwrap()).collect()
}

fn client(cluster: &Cluster) -> RedisCluster {
    client_with(cluster, ReadFrom::Primary)
}

fn client_with(cluster: &Cluster, read_from: ReadFrom) -> RedisCluster {
    let config = ClusterConfig::builder()
        .nodes(addrs(cluster))
        .node_config(node_config())
        .read_from(read_from)
        .build()
        .unwrap();
    RedisCluster::new(config).unwrap()
}

/// Whether `key` exists on the node that owns it, asked directly.
fn on_owner(cluster: &Cluster, key: &str) -> bool {
    let owner = cluster.key_owner(key.as_bytes());
    cluster.command(owner, &["EXISTS", key]) == "1"
}

/// Keys spread over every primary.
fn keys(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}:{i}")).collect()
}

#[test]
fn every_key_group_is_routed_to_the_slot_owner() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let owners: std::collections::BTreeSet<usize> = keys("s", 30)
        .iter()
        .map(|k| cluster.key_owner(k.as_bytes()))
        .collect();
    assert_eq!(owners.len(), 3, "the keys reach every primary");
    for k in keys("s", 30) {
        c.set(&k, "v").unwrap();
        assert_eq!(c.get::<Option<String>>(&k).unwrap().as_deref(), Some("v"));
        assert_eq!(c.append(&k, "w").unwrap(), 2);
        assert!(on_owner(&cluster, &k), "{k}");
    }
    for k in keys("h", 30) {
        c.hset(&k, [("f", "1")]).unwrap();
        assert_eq!(c.hget::<Option<i64>>(&k, "f").unwrap(), Some(1));
        assert!(on_owner(&cluster, &k), "{k}");
    }
    for k in keys("l", 30) {
        c.rpush(&k, ["a", "b"]).unwrap();
        assert_eq!(c.lrange::<String>(&k, 0, -1).unwrap(), ["a", "b"]);
        assert!(on_owner(&cluster, &k), "{k}");
    }
    for k in keys("set", 30) {
        c.sadd(&k, ["a"]).unwrap();
        assert_eq!(c.scard(&k).unwrap(), 1);
        assert!(on_owner(&cluster, &k), "{k}");
    }
    for k in keys("z", 30) {
        c.zadd(&k, [(1.5, "m")]).unwrap();
        assert_eq!(c.zscore(&k, "m").unwrap(), Some(1.5));
        assert!(on_owner(&cluster, &k), "{k}");
    }
    for k in keys("x", 30) {
        c.xadd(&k, "*", [("f", "v")]).unwrap();
        assert_eq!(c.xlen(&k).unwrap(), 1);
        assert!(on_owner(&cluster, &k), "{k}");
    }
    for k in keys("g", 10) {
        c.geoadd(
            &k,
            [
                (13.361389, 38.115556, "Palermo"),
                (15.087269, 37.502669, "Catania"),
            ],
        )
        .unwrap();
        let d = c.geodist(&k, "Palermo", "Catania").unwrap();
        assert!(d.is_some_and(|d| (d - 166_274.0).abs() < 100.0), "{d:?}");
        assert!(on_owner(&cluster, &k), "{k}");
    }
    for k in keys("hll", 10) {
        c.pfadd(&k, ["a", "b"]).unwrap();
        assert_eq!(c.pfcount([&k]).unwrap(), 2);
        assert!(on_owner(&cluster, &k), "{k}");
    }
    for k in keys("bit", 10) {
        c.setbit(&k, 7, true).unwrap();
        assert!(c.getbit(&k, 7).unwrap());
        assert!(c.expire(&k, Duration::from_secs(100)).unwrap());
        assert!(c.ttl(&k).unwrap() > 0);
        assert!(on_owner(&cluster, &k), "{k}");
    }
}

#[test]
fn hash_tags_keep_keys_together_and_cross_slot_commands_are_refused() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    c.set("{user1}.a", 1).unwrap();
    c.rename("{user1}.a", "{user1}.b").unwrap();
    assert_eq!(c.get::<Option<i64>>("{user1}.b").unwrap(), Some(1));
    let owner = cluster.key_owner(b"user1");
    assert_eq!(cluster.command(owner, &["GET", "{user1}.b"]), "1");
    assert!(c.msetnx([("{t}1", 1), ("{t}2", 2)]).unwrap());
    // Keys in different slots: refused before sending, with a clear error.
    assert_ne!(key_slot(b"a"), key_slot(b"b"));
    let e = c.rename("a", "b").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    assert!(e.to_string().contains("CROSSSLOT"), "{e}");
    let e = c.msetnx([("a", 1), ("b", 2)]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    let e = c.sunion::<String>(["a", "b"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
}

#[test]
fn multi_key_commands_are_split_per_slot_and_merged_in_order() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let ks = keys("m", 50);
    c.mset(ks.iter().enumerate().map(|(i, k)| (k.clone(), i)))
        .unwrap();
    for k in &ks {
        assert!(on_owner(&cluster, k), "{k}");
    }
    let mut asked: Vec<String> = ks.clone();
    asked.insert(3, "missing:1".into());
    asked.push("missing:2".into());
    let got: Vec<Option<usize>> = c.mget(&asked).unwrap();
    let mut want: Vec<Option<usize>> = (0..50).map(Some).collect();
    want.insert(3, None);
    want.push(None);
    assert_eq!(got, want);
    assert_eq!(c.exists(&asked).unwrap(), 50);
    assert_eq!(c.touch(&ks[..10]).unwrap(), 10);
    assert_eq!(c.del(&ks[..20]).unwrap(), 20);
    assert_eq!(c.unlink(&asked).unwrap(), 30);
    assert_eq!(c.exists(&asked).unwrap(), 0);
    // Deferred: the same split, collected from a handle.
    c.mset([("d:1", "a"), ("d:2", "b"), ("d:3", "c")]).unwrap();
    let h = c.deferred().mget::<String>(["d:3", "d:1", "d:2"]);
    assert_eq!(h.wait().unwrap(), ["c", "a", "b"]);
}

#[test]
fn keyless_commands_fan_out_with_their_merge() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    c.flushall().unwrap();
    c.mset(keys("k", 40).into_iter().map(|k| (k, 1))).unwrap();
    assert_eq!(c.dbsize().unwrap(), 40);
    let mut all: Vec<String> = c.keys("k:*").unwrap();
    all.sort();
    let mut want = keys("k", 40);
    want.sort();
    assert_eq!(all, want);
    let sha = c.script_load("return 1").unwrap();
    for i in 0..cluster.len() {
        assert_eq!(
            cluster.command(i, &["SCRIPT", "EXISTS", &sha]),
            "1",
            "node {i} has the script"
        );
    }
    assert_eq!(c.script_exists([&sha, "0000"]).unwrap(), [true, false]);
    assert_eq!(c.ping().unwrap(), "PONG");
    c.flushall().unwrap();
    assert_eq!(c.dbsize().unwrap(), 0);
    // The escape hatch routes the same way.
    c.set("x", 1).unwrap();
    let n: i64 = c.execute(coredis::cmd("DBSIZE").returns()).unwrap();
    assert_eq!(n, 1);
}

#[test]
fn handles_and_pipelines_group_per_node_in_the_callers_order() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let handles: Vec<_> = keys("h", 300)
        .iter()
        .map(|k| c.deferred().incr(k))
        .collect();
    for h in handles {
        assert_eq!(h.wait().unwrap(), 1);
    }
    let p = c.pipeline();
    let sets: Vec<_> = keys("p", 200)
        .iter()
        .enumerate()
        .map(|(i, k)| p.set(k, i))
        .collect();
    let refused = p.rename("a", "b");
    let gets: Vec<_> = keys("p", 200)
        .iter()
        .map(|k| p.get::<Option<usize>>(k))
        .collect();
    let ping = p.ping();
    let replies = p.exec().unwrap();
    replies.get(sets).unwrap();
    let got = replies.get(gets).unwrap();
    assert_eq!(got, (0..200).map(Some).collect::<Vec<_>>());
    assert_eq!(replies.get(ping).unwrap(), "PONG");
    let e = replies.get(refused).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    for k in keys("p", 200) {
        assert!(on_owner(&cluster, &k), "{k}");
    }
}

/// A deferred command is sent at once, as on one server: not when its handle (or another of
/// the node's) is waited on. Ten deferred `SET`s to one node, none of them waited on, polled or
/// dropped: all ten must reach the server. Before the fix, a request submitted while four were
/// unanswered on the node was only queued for the next reader, and nobody read: the last six
/// never ran until a handle was touched.
#[test]
fn deferred_commands_are_sent_before_their_handles_are_waited_on() {
    let cluster = Cluster::start(3, 0);
    let c = client(&cluster);
    let other = client(&cluster);
    c.set("{sent}warm", 1).unwrap();
    let keys: Vec<String> = (0..10).map(|i| format!("{{sent}}k{i}")).collect();
    let handles: Vec<_> = keys.iter().map(|k| c.deferred().set(k, "v")).collect();
    // Another client looks, without touching the handles; a busy machine may take a while.
    let until = Instant::now() + DEADLINE;
    let missing = loop {
        let missing: Vec<&String> = keys
            .iter()
            .filter(|k| other.exists([k.as_str()]).unwrap() == 0)
            .collect();
        if missing.is_empty() || Instant::now() >= until {
            break missing;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        missing.is_empty(),
        "deferred SETs never sent while their handles were held: {missing:?}"
    );
    for h in handles {
        h.wait().unwrap();
    }
}

#[test]
fn startup_succeeds_when_some_startup_nodes_are_down() {
    let mut cluster = Cluster::start(3, 1);
    // A replica down, and a startup list that starts with it and a port nobody listens on.
    let primary = cluster.primaries()[0];
    let replica = cluster.replicas_of(primary)[0];
    let dead: Addr = cluster.addrs()[replica].parse().unwrap();
    cluster.kill_node(replica);
    let unused = coredis_test_support::free_port();
    let mut nodes = vec![dead, Addr::tcp("127.0.0.1", unused)];
    nodes.extend(addrs(&cluster));
    let config = ClusterConfig::builder()
        .nodes(nodes)
        .node_config(node_config())
        .build()
        .unwrap();
    let c = RedisCluster::new(config).unwrap();
    for k in keys("up", 30) {
        c.set(&k, 1).unwrap();
    }
    assert_eq!(c.dbsize().unwrap(), 30);
    // No startup node up: a clear error.
    let config = ClusterConfig::builder()
        .node(Addr::tcp("127.0.0.1", unused))
        .node_config(node_config())
        .build()
        .unwrap();
    let e = RedisCluster::new(config).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
}

/// `GET` calls a node has served, from `INFO commandstats`.
fn get_calls(cluster: &Cluster, i: usize) -> u64 {
    let info = cluster.command(i, &["INFO", "commandstats"]);
    info.lines()
        .find_map(|l| l.strip_prefix("cmdstat_get:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn reads_go_to_replicas_when_asked() {
    let cluster = Cluster::start(3, 1);
    let c = client_with(&cluster, ReadFrom::PreferReplica);
    let key = "replica-read";
    c.set(key, "v").unwrap();
    let owner = cluster.key_owner(key.as_bytes());
    let replica = cluster.replicas_of(owner)[0];
    // Replication is asynchronous: wait until the replica has the key.
    let deadline = Instant::now() + DEADLINE;
    while !matches!(c.get::<Option<String>>(key).unwrap().as_deref(), Some("v")) {
        assert!(Instant::now() < deadline, "the replica never got the key");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (before_p, before_r) = (get_calls(&cluster, owner), get_calls(&cluster, replica));
    for _ in 0..20 {
        assert_eq!(c.get::<Option<String>>(key).unwrap().as_deref(), Some("v"));
    }
    assert_eq!(
        get_calls(&cluster, owner),
        before_p,
        "no read on the primary"
    );
    assert!(get_calls(&cluster, replica) >= before_r + 20);
    // Writes still go to the primary.
    c.set(key, "w").unwrap();
    assert_eq!(cluster.command(owner, &["GET", key]), "w");
}

#[test]
fn blocking_commands_run_on_the_slot_owner() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let pusher = {
        let c = c.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            c.rpush("queue", ["job"]).unwrap();
        })
    };
    let got: Option<(String, String)> = c.blpop(["queue"], Duration::from_secs(30)).unwrap();
    assert_eq!(got, Some(("queue".into(), "job".into())));
    pusher.join().unwrap();
}

#[test]
fn a_slot_migrated_during_reads_and_writes_is_followed_through_ask_then_moved() {
    let cluster = Cluster::start(3, 0);
    let c = client(&cluster);
    let slot = key_slot(b"{mig}");
    let from = cluster.slot_owner(slot);
    let to = cluster
        .primaries()
        .into_iter()
        .find(|&p| p != from)
        .unwrap();
    let (from_id, to_id) = (
        cluster.node_id(from).to_owned(),
        cluster.node_id(to).to_owned(),
    );
    let ks: Vec<String> = (0..20).map(|i| format!("{{mig}}:{i}")).collect();
    for k in &ks {
        c.set(k, "before").unwrap();
    }
    // Counters of the same slot, incremented by two threads through the whole migration.
    let counters: Vec<String> = (0..4).map(|i| format!("{{mig}}:counter:{i}")).collect();
    for k in &counters {
        c.set(k, 0).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let incrementers: Vec<_> = (0..2)
        .map(|t| {
            let (c, stop, counters) = (c.clone(), stop.clone(), counters.clone());
            std::thread::spawn(move || {
                let mut acked = vec![0i64; counters.len()];
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let at = i % counters.len();
                    c.incr(&counters[at]).unwrap();
                    acked[at] += 1;
                    i += 1;
                }
                acked
            })
        })
        .collect();
    let s = slot.to_string();
    set_slot(&cluster, to, slot, "IMPORTING", &from_id);
    set_slot(&cluster, from, slot, "MIGRATING", &to_id);
    // Half the keys move: reads of those get ASK, the rest stay on the source.
    let to_port = cluster.node(to).port().to_string();
    for k in &ks[..10] {
        assert_eq!(
            cluster.command(from, &["MIGRATE", "127.0.0.1", &to_port, k, "0", "5000"]),
            "OK"
        );
    }
    for k in &ks {
        assert_eq!(
            c.get::<Option<String>>(k).unwrap().as_deref(),
            Some("before"),
            "{k}"
        );
    }
    // A new key of a migrating slot is created on the target (ASK).
    c.set("{mig}:new", "during").unwrap();
    assert_eq!(
        cluster.command(to, &["CLUSTER", "COUNTKEYSINSLOT", &s]),
        "11"
    );
    let h = c.deferred().get::<Option<String>>("{mig}:0");
    assert_eq!(h.wait().unwrap().as_deref(), Some("before"));
    // Pipelines follow ASK too.
    let p = c.pipeline();
    let got: Vec<_> = ks.iter().map(|k| p.get::<Option<String>>(k)).collect();
    let got = p.exec().unwrap().get(got).unwrap();
    assert!(
        got.iter().all(|v| v.as_deref() == Some("before")),
        "{got:?}"
    );
    // Finish: the rest moves, the slot is assigned to the target everywhere (MOVED path).
    for k in &counters {
        assert_eq!(
            cluster.command(from, &["MIGRATE", "127.0.0.1", &to_port, k, "0", "5000"]),
            "OK"
        );
    }
    for k in &ks[10..] {
        assert_eq!(
            cluster.command(from, &["MIGRATE", "127.0.0.1", &to_port, k, "0", "5000"]),
            "OK"
        );
    }
    for i in cluster.primaries() {
        assert_eq!(
            cluster.command(i, &["CLUSTER", "SETSLOT", &s, "NODE", &to_id]),
            "OK"
        );
    }
    for k in &ks {
        c.set(k, "after").unwrap();
        assert_eq!(
            c.get::<Option<String>>(k).unwrap().as_deref(),
            Some("after")
        );
        assert_eq!(cluster.command(to, &["GET", k]), "after");
    }
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let mut acked = vec![0i64; counters.len()];
    for h in incrementers {
        for (a, n) in acked.iter_mut().zip(h.join().unwrap()) {
            *a += n;
        }
    }
    for (k, n) in counters.iter().zip(acked) {
        assert!(n > 0);
        assert_eq!(
            cluster.command(to, &["GET", k]),
            n.to_string(),
            "{k}: every INCR counted once"
        );
    }
}

/// The slot of `key`, the primary that owns it, and another primary.
fn owner_and_another(cluster: &Cluster, key: &str) -> (u16, usize, usize) {
    let slot = key_slot(key.as_bytes());
    let from = cluster.slot_owner(slot);
    let to = cluster
        .primaries()
        .into_iter()
        .find(|&p| p != from)
        .expect("another primary");
    (slot, from, to)
}

/// `CLUSTER SETSLOT slot how id` on node `i`, which must say OK.
fn set_slot(cluster: &Cluster, i: usize, slot: u16, how: &str, id: &str) {
    let s = slot.to_string();
    assert_eq!(
        cluster.command(i, &["CLUSTER", "SETSLOT", &s, how, id]),
        "OK",
        "SETSLOT {how} on node {i}"
    );
}

/// The replication offset of node `i` (`master_repl_offset` of `INFO replication`).
fn repl_offset(cluster: &Cluster, i: usize) -> u64 {
    cluster
        .command(i, &["INFO", "replication"])
        .lines()
        .find_map(|l| l.strip_prefix("master_repl_offset:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Waits until node `replica` serves slots as a primary.
fn wait_for_promotion(cluster: &Cluster, replica: usize) {
    let deadline = Instant::now() + DEADLINE;
    while !cluster.primaries().contains(&replica) {
        assert!(Instant::now() < deadline, "the replica was not promoted");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `c` can write to every primary again.
fn wait_for_writes(c: &RedisCluster) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let ok = keys("probe", 30).iter().all(|k| c.set(k, 1).is_ok());
        if ok {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "writes did not resume: {:?}",
            keys("probe", 30)
                .iter()
                .map(|k| c.set(k, 1))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_manual_failover_under_write_load_loses_no_acknowledged_write() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let load = WriteLoad::start(&c, 4, DEADLINE);
    let primary = cluster.primaries()[0];
    let replica = cluster.replicas_of(primary)[0];
    assert_eq!(cluster.command(replica, &["CLUSTER", "FAILOVER"]), "OK");
    wait_for_promotion(&cluster, replica);
    wait_for_writes(&c);
    std::thread::sleep(Duration::from_millis(300));
    let acked = load.stop();
    assert!(acked.len() > 100, "only {} writes", acked.len());
    let ks: Vec<&String> = acked.keys().collect();
    for chunk in ks.chunks(500) {
        let got: Vec<Option<usize>> = c.mget(chunk).unwrap();
        for (k, v) in chunk.iter().zip(got) {
            assert_eq!(v, acked.get(*k).copied(), "{k}");
        }
    }
}

#[test]
fn a_killed_primary_is_replaced_and_the_client_continues_without_help() {
    let mut cluster = Cluster::builder(3, 1)
        .node_timeout(Duration::from_millis(1500))
        .start();
    let c = client(&cluster);
    let load = WriteLoad::start(&c, 4, DEADLINE);
    let primary = cluster.primaries()[0];
    let replica = cluster.replicas_of(primary)[0];
    // Writes acknowledged before the kill are on the replica once it caught up.
    let before: BTreeMap<String, usize> = load.snapshot();
    let target = repl_offset(&cluster, primary);
    let deadline = Instant::now() + DEADLINE;
    while repl_offset(&cluster, replica) < target {
        assert!(Instant::now() < deadline, "the replica did not catch up");
        std::thread::sleep(Duration::from_millis(10));
    }
    cluster.kill_node(primary);
    wait_for_promotion(&cluster, replica);
    wait_for_writes(&c);
    // The writers go on by themselves (a writer may first sit out a command sent to the dead
    // node, up to its response timeout).
    load.wait_for_more(
        100,
        DEADLINE,
        "the writers did not continue after the failover",
    );
    let acked = load.stop();
    for (k, v) in &before {
        assert_eq!(c.get::<Option<usize>>(k).unwrap(), Some(*v), "{k}");
    }
    for (k, v) in acked.iter().rev().take(100) {
        assert_eq!(c.get::<Option<usize>>(k).unwrap(), Some(*v), "{k}");
    }
}

/// A replica taking its primary's slots over without its agreement (`CLUSTER FAILOVER
/// TAKEOVER`, as after a partition) under write load, writes waiting for a replica
/// (`ConfigBuilder::wait_for_replicas`): the old primary goes on acknowledging writes until it
/// hears of the takeover, and drops them when it becomes a replica — but its `WAIT` finds no
/// replica any more, so none of them returned `Ok`. Every write that returned `Ok` (single
/// commands and cluster pipelines) is readable afterwards. Then the same with the new primary
/// killed: its replica (the old primary) takes over with every acknowledged write.
#[test]
fn with_wait_for_replicas_a_takeover_and_a_kill_lose_no_acknowledged_write() {
    let mut cluster = Cluster::builder(3, 1)
        .node_timeout(Duration::from_millis(1500))
        .start();
    let config = ClusterConfig::builder()
        .nodes(addrs(&cluster))
        .node_config(
            node_config()
                .to_builder()
                .wait_for_replicas(1, Duration::from_secs(1))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let c = RedisCluster::new(config).unwrap();
    // A cluster pipeline: each node's batch ends with WAIT; every write is acknowledged.
    let p = c.pipeline();
    let sets: Vec<_> = keys("piped", 60).iter().map(|k| p.set(k, 1)).collect();
    p.exec().unwrap().get(sets).unwrap();
    let load = WriteLoad::start(&c, 4, DEADLINE);
    let primary = cluster.primaries()[0];
    let replica = cluster.replicas_of(primary)[0];
    assert_eq!(
        cluster.command(replica, &["CLUSTER", "FAILOVER", "TAKEOVER"]),
        "OK"
    );
    wait_for_promotion(&cluster, replica);
    load.wait_for_more(
        100,
        DEADLINE,
        "the writers did not continue after the takeover",
    );
    // The old primary follows the new one: kill the new one, its replica takes over.
    let deadline = Instant::now() + DEADLINE;
    while !cluster.replicas_of(replica).contains(&primary) {
        assert!(Instant::now() < deadline, "the old primary did not follow");
        std::thread::sleep(Duration::from_millis(50));
    }
    load.wait_for_more(100, DEADLINE, "the writers stopped");
    cluster.kill_node(replica);
    wait_for_promotion(&cluster, primary);
    cluster.restart_node(replica);
    load.wait_for_more(100, DEADLINE, "the writers did not continue after the kill");
    wait_for_writes(&c);
    let acked = load.stop();
    let ks: Vec<&String> = acked.keys().collect();
    let mut lost = Vec::new();
    for chunk in ks.chunks(500) {
        let got: Vec<Option<usize>> = c.mget(chunk).unwrap();
        for (k, v) in chunk.iter().zip(got) {
            if v != acked.get(*k).copied() {
                lost.push((*k).clone());
            }
        }
    }
    assert!(
        lost.is_empty(),
        "{} of {} writes that returned Ok are lost: {:?}",
        lost.len(),
        acked.len(),
        lost.iter().take(10).collect::<Vec<_>>()
    );
    let got: Vec<Option<i64>> = c.mget(keys("piped", 60)).unwrap();
    assert!(got.iter().all(|v| *v == Some(1)));
}

/// Receives until a message on `channel` with `payload` arrives, publishing it again with
/// `publish` every 100 ms (subscriptions settle asynchronously after a topology change).
fn receive_eventually(
    sub: &coredis::ClusterSubscriber,
    channel: &str,
    payload: &str,
    publish: impl Fn() -> coredis::Result<i64>,
) -> coredis::Message {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let _ = publish();
        while let Some(m) = sub.recv_timeout(Duration::from_millis(100)).unwrap() {
            if m.channel_str() == channel && m.payload::<String>().unwrap() == payload {
                return m;
            }
        }
        assert!(Instant::now() < deadline, "no {payload:?} on {channel}");
    }
}

#[test]
fn cluster_pubsub_receives_publishes_from_every_node() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let sub = c.pubsub().unwrap();
    sub.subscribe("news").unwrap();
    sub.psubscribe("alerts:*").unwrap();
    for i in 0..cluster.len() {
        let payload = format!("from-{i}");
        assert_eq!(cluster.command(i, &["PUBLISH", "news", &payload]).len(), 1);
        let m = sub.recv_timeout(DEADLINE).unwrap().unwrap();
        assert_eq!(
            (m.channel_str(), m.payload::<String>().unwrap()),
            ("news".into(), payload)
        );
    }
    c.publish("alerts:disk", "full").unwrap();
    let m = sub.recv_timeout(DEADLINE).unwrap().unwrap();
    assert_eq!(m.pattern.as_deref(), Some(&b"alerts:*"[..]));
    sub.unsubscribe("news").unwrap();
}

/// Sharded channels on every primary.
fn shard_channels() -> Vec<String> {
    (0..12).map(|i| format!("orders:{i}")).collect()
}

#[test]
fn sharded_pubsub_subscribes_on_each_slot_owner() {
    if before_7(
        "sharded_pubsub_subscribes_on_each_slot_owner",
        "sharded channels",
    ) {
        return;
    }
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let sub = c.pubsub().unwrap();
    let channels = shard_channels();
    sub.ssubscribe(&channels).unwrap();
    let nodes: std::collections::HashSet<Addr> =
        sub.shard_channels().into_iter().map(|(_, a)| a).collect();
    assert_eq!(nodes.len(), 3, "one connection per primary");
    for ch in &channels {
        let owner = cluster.key_owner(ch.as_bytes());
        assert_eq!(
            cluster.command(owner, &["PUBSUB", "SHARDNUMSUB", ch]),
            format!("{ch}\n1")
        );
        assert_eq!(c.spublish(ch, "hello").unwrap(), 1);
        let m = sub.recv_timeout(DEADLINE).unwrap().unwrap();
        assert!(m.sharded);
        assert_eq!(m.channel_str(), *ch);
    }
    sub.sunsubscribe(&channels[..6]).unwrap();
    assert_eq!(sub.shard_channels().len(), 6);
    assert_eq!(c.spublish(&channels[0], "x").unwrap(), 0);
}

#[test]
fn sharded_pubsub_follows_a_failover() {
    if before_7("sharded_pubsub_follows_a_failover", "sharded channels") {
        return;
    }
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let sub = c.pubsub().unwrap();
    let channels = shard_channels();
    sub.ssubscribe(&channels).unwrap();
    let primary = cluster.primaries()[0];
    let replica = cluster.replicas_of(primary)[0];
    let moved: Vec<&String> = channels
        .iter()
        .filter(|ch| cluster.key_owner(ch.as_bytes()) == primary)
        .collect();
    assert!(!moved.is_empty());
    assert_eq!(cluster.command(replica, &["CLUSTER", "FAILOVER"]), "OK");
    wait_for_promotion(&cluster, replica);
    for ch in &channels {
        let payload = format!("after-{ch}");
        let m = receive_eventually(&sub, ch, &payload, || c.spublish(ch, &payload));
        assert!(m.sharded);
    }
    let new_addr: Addr = cluster.addrs()[replica].parse().unwrap();
    for (ch, addr) in sub.shard_channels() {
        if moved.iter().any(|m| m.as_bytes() == &ch[..]) {
            assert_eq!(addr, new_addr, "{ch:?} moved to the new primary");
        }
    }
}

#[test]
fn transactions_run_on_the_slot_owner_and_refuse_cross_slot_keys() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    c.set("{acct}:a", 100).unwrap();
    let tx = c.transaction();
    let a = tx.decrby("{acct}:a", 10);
    let b = tx.incrby("{acct}:b", 10);
    let (a, b) = tx.exec().unwrap().get((a, b)).unwrap();
    assert_eq!((a, b), (90, 10));
    let owner = cluster.key_owner(b"acct");
    assert_eq!(cluster.command(owner, &["GET", "{acct}:b"]), "10");
    let tx = c.transaction();
    let _ = tx.incr("a");
    let _ = tx.incr("b");
    let e = tx.exec().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    assert_eq!(c.exists(["a", "b"]).unwrap(), 0, "nothing was sent");
    let (old, _) = c
        .transaction_with("{acct}:a", |conn, tx| {
            let old: i64 = conn.get::<Option<i64>>("{acct}:a")?.unwrap_or(0);
            let _ = tx.set("{acct}:a", old * 2);
            Ok(old)
        })
        .unwrap();
    assert_eq!(old, 90);
    assert_eq!(c.get::<Option<i64>>("{acct}:a").unwrap(), Some(180));
    let e = c.transaction_with(["a", "b"], |_, _| Ok(())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
}

#[test]
fn scan_walks_every_primary_and_a_plain_scan_is_refused() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    c.mset(keys("scan", 300).into_iter().map(|k| (k, 1)))
        .unwrap();
    c.set("other", 1).unwrap();
    let mut seen: Vec<String> = c
        .scan_iter::<String>(
            coredis::types::ScanOptions::new()
                .pattern("scan:*")
                .count(20),
        )
        .collect::<coredis::Result<_>>()
        .unwrap();
    seen.sort();
    seen.dedup();
    let mut want = keys("scan", 300);
    want.sort();
    assert_eq!(seen, want);
    let e = c.scan::<String>(0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
}

#[test]
fn scripts_and_functions_run_where_their_keys_are() {
    let cluster = Cluster::start(3, 1);
    let c = client(&cluster);
    let script = coredis::Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    // Not loaded anywhere: EVALSHA fails with NOSCRIPT and EVAL loads it on the key's node.
    for k in keys("sc", 20) {
        let n: i64 = script.run(&c, [&k], [5]).unwrap();
        assert_eq!(n, 5);
        assert!(on_owner(&cluster, &k), "{k}");
        let owner = cluster.key_owner(k.as_bytes());
        assert_eq!(
            cluster.command(owner, &["SCRIPT", "EXISTS", script.sha1()]),
            "1"
        );
    }
    if before_7(
        "scripts_and_functions_run_where_their_keys_are",
        "functions",
    ) {
        return;
    }
    let lib = coredis::Library::new(
        "#!lua name=clib\nredis.register_function('bump', function(keys, args) \
         return redis.call('INCR', keys[1]) end)",
    )
    .unwrap();
    lib.load(&c).unwrap(); // FUNCTION LOAD REPLACE, on every primary
    for i in cluster.primaries() {
        assert!(
            cluster.command(i, &["FUNCTION", "LIST"]).contains("clib"),
            "node {i}"
        );
    }
    for k in keys("fn", 20) {
        let n: i64 = c.fcall("bump", [&k], Vec::<String>::new()).unwrap();
        assert_eq!(n, 1);
        assert!(on_owner(&cluster, &k), "{k}");
    }
}

#[test]
fn a_tls_cluster_is_reached_on_its_tls_ports() {
    if !coredis_test_support::tls_or_skip("cluster::a_tls_cluster_is_reached_on_its_tls_ports") {
        return;
    }
    let cluster = Cluster::builder(3, 1).tls(true).start();
    let files = cluster.tls_files().unwrap();
    let node_config = Config::builder()
        .protocol_version(protocol())
        .tls(
            coredis::TlsConfig::builder()
                .ca_file(&files.ca_cert)
                .build(),
        )
        .build()
        .unwrap();
    // One TLS startup node is enough: the others are learned from CLUSTER SHARDS (SLOTS).
    let config = ClusterConfig::builder()
        .node(cluster.tls_addrs()[0].parse().unwrap())
        .node_config(node_config)
        .build()
        .unwrap();
    let c = RedisCluster::new(config).unwrap();
    for k in keys("tls", 30) {
        c.set(&k, "v").unwrap();
        assert!(on_owner(&cluster, &k), "{k}");
    }
    let got: Vec<Option<String>> = c.mget(keys("tls", 30)).unwrap();
    assert!(got.iter().all(|v| v.as_deref() == Some("v")));
    // Every connection the client made is a TLS one: no plain port of ours was used.
    let tls_ports: Vec<u16> = cluster
        .nodes()
        .iter()
        .filter_map(|n| n.tls_port())
        .collect();
    for node in c.primaries().unwrap() {
        match node.config().addr() {
            Addr::Tcp { port, .. } => assert!(tls_ports.contains(port), "{port}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_blocking_command_follows_a_slot_that_moved() {
    let cluster = Cluster::start(3, 0);
    let c = client(&cluster);
    let key = "queue:{moving}";
    let slot = key_slot(key.as_bytes());
    let from = cluster.slot_owner(slot);
    let to = cluster
        .primaries()
        .into_iter()
        .find(|&p| p != from)
        .unwrap();
    // The (empty) slot moves behind the client's back: its map still names the old owner.
    let s = slot.to_string();
    let to_id = cluster.node_id(to).to_owned();
    set_slot(&cluster, to, slot, "NODE", &to_id);
    set_slot(&cluster, from, slot, "NODE", &to_id);
    for i in cluster.primaries() {
        cluster.command(i, &["CLUSTER", "SETSLOT", &s, "NODE", &to_id]);
    }
    let pusher = {
        let target = cluster.node(to).addr();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            let r = coredis::Redis::from_url(&format!("redis://{target}")).unwrap();
            r.rpush("queue:{moving}", ["job"]).unwrap();
        })
    };
    let got: Option<(String, String)> = c.blpop([key], Duration::from_secs(30)).unwrap();
    assert_eq!(got, Some((key.to_string(), "job".to_string())));
    pusher.join().unwrap();
}

/// A deferred blocking command whose slot moved behind the client's back follows the `MOVED`
/// on a dedicated connection of the new owner (it reached the caller before).
#[test]
fn a_deferred_blocking_command_follows_a_slot_that_moved() {
    let cluster = Cluster::start(3, 0);
    let c = client(&cluster);
    let key = "queue:{deferred}";
    let (slot, _, to) = owner_and_another(&cluster, key);
    let to_id = cluster.node_id(to).to_owned();
    let s = slot.to_string();
    for i in cluster.primaries() {
        cluster.command(i, &["CLUSTER", "SETSLOT", &s, "NODE", &to_id]);
    }
    let h = c
        .deferred()
        .blpop::<String, String>([key], Duration::from_secs(30));
    let target = cluster.node(to).addr();
    let r = coredis::Redis::from_url(&format!("redis://{target}")).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    r.rpush(key, ["job"]).unwrap();
    assert_eq!(
        h.wait().unwrap(),
        Some((key.to_string(), "job".to_string()))
    );
}

/// A blocking command on a key of a slot being migrated, whose key is not on the source any
/// more: the source answers `ASK`, and the command blocks on the target after `ASKING`; a push
/// through the cluster client (also `ASK`ed to the target) wakes it.
#[test]
fn a_blocking_command_follows_an_ask_during_a_migration() {
    let cluster = Cluster::start(3, 0);
    let c = client(&cluster);
    let key = "queue:{asked}";
    let (slot, from, to) = owner_and_another(&cluster, key);
    let (from_id, to_id) = (
        cluster.node_id(from).to_owned(),
        cluster.node_id(to).to_owned(),
    );
    set_slot(&cluster, to, slot, "IMPORTING", &from_id);
    set_slot(&cluster, from, slot, "MIGRATING", &to_id);
    let pusher = {
        let c = c.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            c.rpush("queue:{asked}", ["job"]).unwrap()
        })
    };
    for got in [c.blpop::<String, String>([key], Duration::from_secs(30)), {
        let h = c
            .deferred()
            .blpop::<String, String>([key], Duration::from_secs(30));
        c.rpush(key, ["again"]).unwrap();
        h.wait()
    }] {
        let (k, v) = got.unwrap().expect("an element");
        assert_eq!(k, key);
        assert!(v == "job" || v == "again", "{v}");
    }
    pusher.join().unwrap();
    // The source never had the list: it still sends the key's commands to the target.
    let on_source = cluster.command(from, &["EXISTS", key]);
    assert!(on_source.contains("ASK"), "{on_source}");
}

#[test]
fn cluster_pubsub_moves_to_another_node_when_its_node_dies() {
    let mut cluster = Cluster::builder(3, 1)
        .node_timeout(Duration::from_millis(1500))
        .start();
    let c = client(&cluster);
    let sub = c.pubsub().unwrap();
    sub.subscribe("news").unwrap();
    let home = (0..cluster.len())
        .find(|&i| cluster.command(i, &["PUBSUB", "NUMSUB", "news"]) == "news\n1")
        .expect("the subscriber is on some node");
    let replica = cluster.replicas_of(home).first().copied();
    cluster.kill_node(home);
    if let Some(r) = replica {
        wait_for_promotion(&cluster, r);
    }
    let m = receive_eventually(&sub, "news", "after", || c.publish("news", "after"));
    assert!(!m.sharded);
    let now_on = (0..cluster.len())
        .filter(|&i| i != home)
        .find(|&i| cluster.command(i, &["PUBSUB", "NUMSUB", "news"]) == "news\n1");
    assert!(now_on.is_some(), "subscribed again on a live node");
}

#[test]
fn sharded_pubsub_follows_a_killed_primary() {
    if before_7(
        "sharded_pubsub_follows_a_killed_primary",
        "sharded channels",
    ) {
        return;
    }
    let mut cluster = Cluster::builder(3, 1)
        .node_timeout(Duration::from_millis(1500))
        .start();
    let c = client(&cluster);
    let sub = c.pubsub().unwrap();
    let channels = shard_channels();
    sub.ssubscribe(&channels).unwrap();
    let primary = cluster.primaries()[0];
    let replica = cluster.replicas_of(primary)[0];
    cluster.kill_node(primary);
    wait_for_promotion(&cluster, replica);
    for ch in &channels {
        let payload = format!("after-kill-{ch}");
        receive_eventually(&sub, ch, &payload, || c.spublish(ch, &payload));
    }
}

#[test]
fn sharded_pubsub_follows_a_resharded_slot() {
    if before_7(
        "sharded_pubsub_follows_a_resharded_slot",
        "sharded channels",
    ) {
        return;
    }
    let cluster = Cluster::start(3, 0);
    let c = client(&cluster);
    let sub = c.pubsub().unwrap();
    let channel = "orders:{reshard}";
    sub.ssubscribe(channel).unwrap();
    let slot = key_slot(channel.as_bytes());
    let from = cluster.slot_owner(slot);
    let to = cluster
        .primaries()
        .into_iter()
        .find(|&p| p != from)
        .unwrap();
    let (from_id, to_id) = (
        cluster.node_id(from).to_owned(),
        cluster.node_id(to).to_owned(),
    );
    // The slot (no keys in it) moves to another primary: the source drops its subscribers.
    set_slot(&cluster, to, slot, "IMPORTING", &from_id);
    set_slot(&cluster, from, slot, "MIGRATING", &to_id);
    set_slot(&cluster, to, slot, "NODE", &to_id);
    set_slot(&cluster, from, slot, "NODE", &to_id);
    receive_eventually(&sub, channel, "moved", || c.spublish(channel, "moved"));
    let to_addr: Addr = cluster.addrs()[to].parse().unwrap();
    assert_eq!(sub.shard_channels(), [(channel.into(), to_addr)]);
}

/// A primary black-holed for clients (its port behind the fault proxy, the proxy stalled; the
/// cluster bus untouched, so no failover): commands for its slots fail with `Timeout` by
/// their deadline, commands for the other primaries go on meanwhile, and its slots work
/// again once the hole ends. No call takes longer than its timeout plus a margin.
#[test]
fn a_black_holed_primary_times_out_its_own_commands_only() {
    use coredis_test_support::proxy::Proxy;
    if server_major_minor() < (7, 0) {
        skip(
            "cluster::a_black_holed_primary_times_out_its_own_commands_only",
            "a cluster-announce-port set at run time is announced from Redis 7.0",
        );
        return;
    }
    let cluster = Cluster::start(3, 0);
    // A hash tag per primary: the black-holed one and the two others (found before the
    // node's announced port changes: the harness knows nodes by their own ports).
    let mut found: BTreeMap<usize, String> = BTreeMap::new();
    for i in 0.. {
        let tag = format!("{{t{i}}}");
        found
            .entry(cluster.key_owner(tag.as_bytes()))
            .or_insert(tag);
        if found.len() == cluster.len() {
            break;
        }
    }
    let tags: Vec<(usize, String)> = found.into_iter().collect();
    // Node 0 announces a proxy in front of it: clients reach it through the proxy only.
    let hole = 0;
    let proxy = Proxy::start(&format!("127.0.0.1:{}", cluster.node(hole).port()));
    let port = proxy.port().to_string();
    let set = cluster.command(hole, &["CONFIG", "SET", "cluster-announce-port", &port]);
    if set != "OK" {
        skip(
            "cluster::a_black_holed_primary_times_out_its_own_commands_only",
            &format!("cluster-announce-port cannot be changed at run time here ({set})"),
        );
        return;
    }
    // Every node announces the proxy's port for it (gossip).
    let deadline = Instant::now() + DEADLINE;
    while !(0..cluster.len()).all(|i| {
        cluster
            .command(i, &["CLUSTER", "NODES"])
            .contains(&format!(":{port}@"))
    }) {
        assert!(Instant::now() < deadline, "the new port was not gossiped");
        std::thread::sleep(Duration::from_millis(50));
    }
    let timeout = Duration::from_secs(1);
    let margin = Duration::from_secs(3);
    let others: Vec<Addr> = (0..cluster.len())
        .filter(|&i| i != hole)
        .map(|i| Addr::tcp("127.0.0.1", cluster.node(i).port()))
        .collect();
    let c = RedisCluster::new(
        ClusterConfig::builder()
            .nodes(others)
            .node_config(
                Config::builder()
                    .protocol_version(protocol())
                    .response_timeout(timeout)
                    .connect_timeout(timeout)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    )
    .unwrap();
    for (_, tag) in &tags {
        c.set(format!("{tag}:warm"), 1).unwrap();
    }

    let holed = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    // Per node: calls that succeeded while the hole was open, timeouts, other errors, late.
    let results: Vec<(usize, [usize; 4])> = std::thread::scope(|s| {
        let workers: Vec<_> = tags
            .iter()
            .map(|(node, tag)| {
                let (c, holed, stop) = (&c, &holed, &stop);
                s.spawn(move || {
                    let mut counts = [0usize; 4];
                    let mut n = 0u64;
                    while !stop.load(Ordering::SeqCst) {
                        n += 1;
                        let during = holed.load(Ordering::SeqCst);
                        let start = Instant::now();
                        let r = c.set(format!("{tag}:{n}"), n);
                        let took = start.elapsed();
                        if took > timeout + margin {
                            counts[3] += 1;
                            eprintln!("LATE: node {node}: {took:?}");
                        }
                        match r {
                            Ok(()) if during => counts[0] += 1,
                            Ok(()) => {}
                            Err(e) if e.kind() == ErrorKind::Timeout => counts[1] += 1,
                            Err(_) => counts[2] += 1,
                        }
                    }
                    (*node, counts)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        proxy.stall(true);
        holed.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(4));
        holed.store(false, Ordering::SeqCst);
        proxy.stall(false);
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::SeqCst);
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    eprintln!(
        "cluster: black hole results per node [ok during, timeouts, errors, late]: {results:?}"
    );
    for (node, [ok_during, timeouts, _errors, late]) in &results {
        assert_eq!(*late, 0, "node {node}: calls past their timeout + margin");
        if *node == hole {
            assert!(*timeouts >= 1, "node {node}: no timeout while black-holed");
        } else {
            assert!(
                *ok_during >= 10,
                "node {node}: only {ok_during} writes went through while another node was \
                 black-holed"
            );
        }
    }
    // The hole is over: the node's slots work again.
    let deadline = Instant::now() + DEADLINE;
    let tag = &tags[hole].1;
    loop {
        match c.set(format!("{tag}:after"), 1) {
            Ok(()) => break,
            Err(e) => assert!(Instant::now() < deadline, "no recovery: {e:#}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(c.get::<i64>(format!("{tag}:after")).unwrap(), 1);
}

/// `TRYAGAIN`: a multi-key command of a slot whose keys are split between the two nodes of a
/// migration gets `TRYAGAIN` from the source. The client sends it again with back-off: when
/// the migration does not finish, the caller gets the `TRYAGAIN` error once the attempts
/// (`max_redirects`) are spent, well within its deadline; when it finishes meanwhile, the
/// command succeeds on the new owner.
#[test]
fn a_multi_key_command_during_a_split_migration_is_retried_after_tryagain() {
    let cluster = Cluster::start(3, 0);
    let c = client(&cluster);
    let slot = key_slot(b"{try}");
    let from = cluster.slot_owner(slot);
    let to = cluster
        .primaries()
        .into_iter()
        .find(|&p| p != from)
        .unwrap();
    let (from_id, to_id) = (
        cluster.node_id(from).to_owned(),
        cluster.node_id(to).to_owned(),
    );
    c.set("{try}a", "1").unwrap();
    c.set("{try}b", "2").unwrap();
    set_slot(&cluster, to, slot, "IMPORTING", &from_id);
    set_slot(&cluster, from, slot, "MIGRATING", &to_id);
    let to_port = cluster.node(to).port().to_string();
    let migrate = |k: &str| {
        assert_eq!(
            cluster.command(from, &["MIGRATE", "127.0.0.1", &to_port, k, "0", "5000"]),
            "OK"
        );
    };
    migrate("{try}a");

    // The migration stays half done: TRYAGAIN reaches the caller, by the deadline.
    let started = Instant::now();
    let e = c.mget::<Option<String>>(["{try}a", "{try}b"]).unwrap_err();
    assert_eq!(
        e.server_code(),
        Some(coredis::ServerCode::TryAgain),
        "{e:#}"
    );
    assert!(started.elapsed() < Duration::from_secs(5) + Duration::from_secs(3));

    // It finishes while the client waits between attempts: the command succeeds.
    let got = std::thread::scope(|s| {
        let finisher = s.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            migrate("{try}b");
            let s = slot.to_string();
            for i in cluster.primaries() {
                assert_eq!(
                    cluster.command(i, &["CLUSTER", "SETSLOT", &s, "NODE", &to_id]),
                    "OK"
                );
            }
        });
        let got = c.mget::<Option<String>>(["{try}a", "{try}b"]);
        finisher.join().unwrap();
        got
    });
    assert_eq!(got.unwrap(), [Some("1".to_owned()), Some("2".to_owned())]);
}
