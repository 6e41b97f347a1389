//! The Sentinel client against live Sentinel groups from the test support crate (a primary,
//! replicas, three Sentinels with quorum 2, `down-after-milliseconds 1000`): discovery with a
//! Sentinel down, the typed `SENTINEL` commands, a `SENTINEL FAILOVER` and a killed primary
//! under write load (writes resume on the new primary by themselves, acknowledged writes
//! survive, the old primary loses the client), reads from replicas (round robin, falling
//! back to the primary), the same with passwords on data nodes and Sentinels, and clients
//! from a `redis+sentinel://` URL. Where a
//! client is connected is checked on the server (`INFO server`, `CLIENT LIST`), not through
//! the client's own view.
//!
//! Bounds are generous (30 s for writes to resume, 60 s for the group to change): the
//! machine running them may be small and busy.

use crate::util::{protocol, WriteLoad};
use coredis::prelude::*;
use coredis::{cmd, Addr, Config, ErrorKind, Redis, Sentinel, SentinelConfig};
use coredis_test_support::SentinelGroup;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long writes may take to resume on the new primary after a failover completed (the
/// Sentinels announce it, the client reconnects with back-off).
const RESUME_BOUND: Duration = Duration::from_secs(30);

/// Deadline of every wait for the group to change (failover, flags).
const DEADLINE: Duration = Duration::from_secs(60);

/// The name of the client's connections, to find them in `CLIENT LIST`.
const CLIENT_NAME: &str = "coredis-sentinel-test";

fn node_config(password: Option<&str>) -> Config {
    let b = Config::builder()
        .protocol_version(protocol())
        .client_name(CLIENT_NAME)
        .response_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .reconnect_max_backoff(Duration::from_millis(500));
    match password {
        Some(p) => b.password(p),
        None => b,
    }
    .build()
    .unwrap()
}

fn sentinel_for(group: &SentinelGroup, password: Option<&str>) -> Sentinel {
    sentinel_with(group, password, node_config(password))
}

/// [`sentinel_for`] with `nodes` as the configuration of the data nodes.
fn sentinel_with(group: &SentinelGroup, password: Option<&str>, nodes: Config) -> Sentinel {
    let addrs = group
        .sentinel_ports()
        .into_iter()
        .map(|p| Addr::tcp("127.0.0.1", p));
    let sentinel_config = Config::builder()
        .protocol_version(protocol())
        .response_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2));
    let sentinel_config = match password {
        Some(p) => sentinel_config.password(p),
        None => sentinel_config,
    }
    .build()
    .unwrap();
    Sentinel::new(
        SentinelConfig::builder()
            .sentinels(addrs)
            .sentinel_config(sentinel_config)
            .node_config(nodes)
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// The port of the server `r` is connected to, as the server says (`INFO server`).
fn port_of(r: &Redis) -> u16 {
    let info: String = r
        .execute(cmd("INFO").arg("server").returns::<String>())
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("tcp_port:"))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("no tcp_port in {info}"))
}

/// The role of the server `r` is connected to (`INFO replication`): `master` or `slave`.
fn role_of(r: &Redis) -> String {
    let info: String = r
        .execute(cmd("INFO").arg("replication").returns::<String>())
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("role:"))
        .map(|r| r.trim().to_owned())
        .unwrap_or_else(|| panic!("no role in {info}"))
}

/// How many connections named [`CLIENT_NAME`] data server `i` holds.
fn our_connections(group: &SentinelGroup, i: usize) -> usize {
    group.servers()[i]
        .command(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| l.contains(&format!("name={CLIENT_NAME} ")))
        .count()
}

/// Waits until every Sentinel reports a primary other than `old`; returns it.
fn wait_for_new_primary(group: &SentinelGroup, old: usize) -> usize {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let now: Vec<usize> = (0..group.sentinels().len())
            .filter_map(|i| {
                group.sentinels()[i]
                    .command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", group.name()])
                    .lines()
                    .nth(1)
                    .and_then(|p| p.parse::<u16>().ok())
            })
            .filter_map(|port| group.servers().iter().position(|s| s.port() == port))
            .collect();
        if now.len() == group.sentinels().len() && now.iter().all(|&p| p != old && p == now[0]) {
            return now[0];
        }
        assert!(
            Instant::now() < deadline,
            "no new primary after {DEADLINE:?}: {now:?}\n{}",
            group.log_tails()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Writers on a primary client: 2 threads writing unique keys until stopped.
struct Load(WriteLoad);

impl Load {
    fn start(r: &Redis) -> Load {
        Load(WriteLoad::start(r, 2, RESUME_BOUND))
    }

    /// Waits (up to [`RESUME_BOUND`]) until `n` more writes are acknowledged.
    fn wait_for_more(&self, n: usize, what: &str) -> Duration {
        self.0.wait_for_more(n, RESUME_BOUND, what)
    }

    fn stop(self) -> BTreeMap<String, usize> {
        self.0.stop()
    }
}

/// Every write in `acked` reads back with its value through `r`.
fn assert_readable(r: &Redis, acked: &BTreeMap<String, usize>) {
    let keys: Vec<&String> = acked.keys().collect();
    for chunk in keys.chunks(500) {
        let got: Vec<Option<usize>> = r.mget(chunk).unwrap();
        for (k, v) in chunk.iter().zip(got) {
            assert_eq!(v, acked.get(*k).copied(), "{k} was acknowledged");
        }
    }
}

#[test]
fn discovery_works_with_a_sentinel_down_and_sentinel_commands_run() {
    let mut group = SentinelGroup::start("disco", 1, 3);
    group.sentinel_mut(0).kill();
    let sentinel = sentinel_for(&group, None);
    let primary = sentinel.primary_for("disco").unwrap();
    primary.set("k", "v").unwrap();
    assert_eq!(
        primary.get::<Option<String>>("k").unwrap().as_deref(),
        Some("v")
    );
    assert_eq!(port_of(&primary), group.servers()[group.primary()].port());
    assert_eq!(role_of(&primary), "master");
    assert_eq!(
        primary.server_info().and_then(|i| i.role).as_deref(),
        Some("master")
    );

    // The typed SENTINEL commands skip the dead Sentinel too.
    let masters = sentinel.sentinel_masters().unwrap();
    assert_eq!(masters.len(), 1);
    assert_eq!(masters[0].name, "disco");
    let addr = sentinel.sentinel_get_master_addr_by_name("disco").unwrap();
    assert_eq!(
        addr,
        Some((
            "127.0.0.1".to_owned(),
            group.servers()[group.primary()].port()
        ))
    );
    assert_eq!(sentinel.sentinel_replicas("disco").unwrap().len(), 1);
    assert!(sentinel
        .sentinel_ckquorum("disco")
        .unwrap()
        .starts_with("OK"));
    assert_eq!(
        sentinel.sentinel_get_master_addr_by_name("nobody").unwrap(),
        None
    );
    let e = sentinel.primary_for("nobody").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    // The Sentinel that answered moved to the front, ahead of the dead one.
    let shown = format!("{sentinel:?}");
    let at = |i: usize| {
        shown
            .find(&format!("port: {}", group.sentinels()[i].port()))
            .unwrap_or_else(|| panic!("{shown}"))
    };
    assert!(at(1) < at(0), "{shown}");
}

/// The `+switch-master` subscriptions of the watchers, counted on every Sentinel.
fn watcher_subscriptions(group: &SentinelGroup) -> usize {
    group
        .sentinels()
        .iter()
        .map(|s| {
            s.command(&["CLIENT", "LIST"])
                .lines()
                .filter(|l| l.contains(" sub=1 "))
                .count()
        })
        .sum()
}

#[test]
fn the_watcher_stops_with_its_client() {
    let group = SentinelGroup::start("drop", 0, 1);
    let base = watcher_subscriptions(&group);
    let sentinel = sentinel_for(&group, None);
    let primary = sentinel.primary_for("drop").unwrap();
    let clone = primary.clone();
    assert_eq!(watcher_subscriptions(&group), base + 1);
    drop(primary);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        watcher_subscriptions(&group),
        base + 1,
        "a clone still lives"
    );
    drop(clone);
    let deadline = Instant::now() + DEADLINE;
    while watcher_subscriptions(&group) > base {
        assert!(Instant::now() < deadline, "the watcher did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    // `close()` on a client whose clones live stops it too.
    let primary = sentinel.primary_for("drop").unwrap();
    let _clone = primary.clone();
    assert_eq!(watcher_subscriptions(&group), base + 1);
    primary.close();
    let deadline = Instant::now() + DEADLINE;
    while watcher_subscriptions(&group) > base {
        assert!(
            Instant::now() < deadline,
            "the watcher did not stop on close"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An idle primary client parks every thread it has (its pipe's worker, the watcher and its
/// subscription's reader): the watcher woke 4 times a second and its reader 10 times before.
#[test]
fn an_idle_primary_client_does_not_wake_up() {
    let group = SentinelGroup::start("idle", 0, 1);
    let sentinel = sentinel_for(&group, None);
    let primary = sentinel.primary_for("idle").unwrap();
    primary.set("k", 1).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let woke = crate::util::coredis_wakeups_during(Duration::from_secs(2));
    assert!(
        woke <= 3,
        "the idle client's threads ran {woke} times in 2 s"
    );
    // Still following: a failover announcement would wake it (see the failover tests).
    assert_eq!(primary.get::<Option<i64>>("k").unwrap(), Some(1));
}

#[test]
fn no_sentinel_reachable_is_an_error() {
    let mut group = SentinelGroup::start("gone", 0, 1);
    let sentinel = sentinel_for(&group, None);
    group.sentinel_mut(0).kill();
    let e = sentinel.primary_for("gone").unwrap_err();
    assert!(e.is_connection_error(), "{e}");
    assert!(sentinel
        .sentinel_masters()
        .unwrap_err()
        .is_connection_error());
}

/// The keys acknowledged so far.
fn snapshot(load: &Load) -> BTreeMap<String, usize> {
    load.0.snapshot()
}

/// The writes of `all` that are not in `earlier`.
fn since(
    all: &BTreeMap<String, usize>,
    earlier: &BTreeMap<String, usize>,
) -> BTreeMap<String, usize> {
    all.iter()
        .filter(|(k, _)| !earlier.contains_key(*k))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// How many of `writes` do not read back with their value through `r`.
fn missing(r: &Redis, writes: &BTreeMap<String, usize>) -> usize {
    let keys: Vec<&String> = writes.keys().collect();
    let mut n = 0;
    for chunk in keys.chunks(500) {
        let got: Vec<Option<usize>> = r.mget(chunk).unwrap();
        n += chunk
            .iter()
            .zip(got)
            .filter(|(k, v)| *v != writes.get(**k).copied())
            .count();
    }
    n
}

fn repl_offset(group: &SentinelGroup, i: usize) -> u64 {
    group.servers()[i]
        .command(&["INFO", "replication"])
        .lines()
        .find_map(|l| l.strip_prefix("master_repl_offset:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Waits until every replica of `primary` has what `primary` had when this was called.
fn wait_replicated(group: &SentinelGroup, primary: usize) {
    let target = repl_offset(group, primary);
    let deadline = Instant::now() + DEADLINE;
    for i in (0..group.servers().len()).filter(|&i| i != primary) {
        while repl_offset(group, i) < target {
            assert!(Instant::now() < deadline, "replica {i} did not catch up");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Waits until the server `r` is connected to listens on `port`.
fn wait_for_port(r: &Redis, port: u16) {
    let deadline = Instant::now() + RESUME_BOUND;
    while port_of(r) != port {
        assert!(
            Instant::now() < deadline,
            "the client did not move to {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `SENTINEL FAILOVER` during a write loop.
///
/// What "no acknowledged write lost" can mean here: Redis replicates asynchronously and
/// `SENTINEL FAILOVER` does not pause writers, so the old primary acknowledges the writes
/// it gets between the promotion of its replica and the `+switch-master` announcement (or its
/// own demotion), and the server drops them when it becomes a replica, whatever a client
/// does. So the test checks every write acknowledged before the failover once it was
/// replicated, and every write acknowledged after the client moved to the new primary; the
/// writes of the window in between are counted and reported, not asserted — unless the
/// client waits for replicas, as in
/// [`with_wait_for_replicas_a_sentinel_failover_loses_no_acknowledged_write`].
#[test]
fn a_sentinel_failover_during_writes_is_followed_and_loses_no_acknowledged_write() {
    let group = SentinelGroup::start("fo", 1, 3);
    let sentinel = sentinel_for(&group, None);
    let primary = sentinel.primary_for("fo").unwrap();
    let old = group.primary();
    assert_eq!(port_of(&primary), group.servers()[old].port());
    let load = Load::start(&primary);
    let before = snapshot(&load);
    wait_replicated(&group, old);

    let new = group.failover();
    assert_ne!(new, old);
    let took = load.wait_for_more(100, "writes did not resume on the new primary");
    eprintln!("sentinel_client: writes resumed {took:?} after the failover completed");
    wait_for_port(&primary, group.servers()[new].port());
    assert_eq!(role_of(&primary), "master");
    let moved = snapshot(&load);

    // The old primary, now a replica, no longer holds the client's connection; later writes
    // go to the new primary.
    let deadline = Instant::now() + DEADLINE;
    while our_connections(&group, old) > 0 {
        assert!(
            Instant::now() < deadline,
            "the client is still connected to the old primary"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    load.wait_for_more(100, "writes did not go on");
    let acked = load.stop();
    assert_eq!(our_connections(&group, old), 0);
    assert!(our_connections(&group, new) >= 1);
    let after = since(&acked, &moved);
    assert!(!after.is_empty());
    for k in after.keys().take(20) {
        assert_eq!(group.servers()[new].command(&["EXISTS", k]), "1", "{k}");
    }
    assert_readable(&primary, &before);
    assert_readable(&primary, &after);
    let window = since(&moved, &before);
    eprintln!(
        "sentinel_client: {} of the {} writes acknowledged during the failover were dropped \
         by the servers",
        missing(&primary, &window),
        window.len()
    );
}

/// The data nodes' configuration with every write waiting for one replica
/// ([`coredis::ConfigBuilder::wait_for_replicas`]).
fn waiting_node_config() -> Config {
    node_config(None)
        .to_builder()
        .wait_for_replicas(1, Duration::from_secs(1))
        .build()
        .unwrap()
}

/// `SENTINEL FAILOVER` during a write loop, writes waiting for a replica: no write that
/// returned `Ok` is lost, those of the failover's window included (the old primary's `WAIT`
/// finds no replica once its replica was promoted, so it reports no success there).
#[test]
fn with_wait_for_replicas_a_sentinel_failover_loses_no_acknowledged_write() {
    let group = SentinelGroup::start("fow", 1, 3);
    let sentinel = sentinel_with(&group, None, waiting_node_config());
    let primary = sentinel.primary_for("fow").unwrap();
    let old = group.primary();
    let load = Load::start(&primary);
    let new = group.failover();
    assert_ne!(new, old);
    writes_go_on_and_none_was_lost(&primary, load, group.servers()[new].port(), "failover");
}

/// After a failover to the server on `port`: writes resume there, and every write `load`
/// saw return `Ok` reads back through `primary`.
fn writes_go_on_and_none_was_lost(primary: &Redis, load: Load, port: u16, what: &str) {
    let took = load.wait_for_more(100, "writes did not resume on the new primary");
    eprintln!("sentinel_client: writes resumed {took:?} after the {what}");
    wait_for_port(primary, port);
    load.wait_for_more(100, "writes did not go on");
    let acked = load.stop();
    assert_eq!(
        missing(primary, &acked),
        0,
        "of {} writes that returned Ok",
        acked.len()
    );
}

/// A killed primary with two replicas, writes waiting for one: the Sentinels promote the
/// replica with the most data, which holds every write that returned `Ok`; writes resume
/// once the other replica follows the new primary.
#[test]
fn with_wait_for_replicas_a_killed_primary_loses_no_acknowledged_write() {
    let mut group = SentinelGroup::start("killw", 2, 3);
    let sentinel = sentinel_with(&group, None, waiting_node_config());
    let primary = sentinel.primary_for("killw").unwrap();
    let old = group.primary();
    let load = Load::start(&primary);
    group.server_mut(old).kill();
    let new = wait_for_new_primary(&group, old);
    writes_go_on_and_none_was_lost(&primary, load, group.servers()[new].port(), "kill");
}

/// A killed primary: the Sentinels fail over by themselves (quorum 2 of 3, after
/// `down-after-milliseconds`). Writes acknowledged once the replica had caught up survive
/// (those acknowledged by the dead primary after its last replication cannot: that is
/// asynchronous replication), and so do those acknowledged after the client moved.
#[test]
fn a_killed_primary_is_replaced_and_writes_resume_without_help() {
    let mut group = SentinelGroup::start("kill", 1, 3);
    let sentinel = sentinel_for(&group, None);
    let primary = sentinel.primary_for("kill").unwrap();
    let old = group.primary();
    let load = Load::start(&primary);
    let before = snapshot(&load);
    wait_replicated(&group, old);
    group.server_mut(old).kill();
    let killed = Instant::now();
    let new = wait_for_new_primary(&group, old);
    eprintln!(
        "sentinel_client: the Sentinels promoted server {new} {:?} after the kill",
        killed.elapsed()
    );
    let took = load.wait_for_more(100, "writes did not resume on the new primary");
    eprintln!("sentinel_client: writes resumed {took:?} after the Sentinels switched");
    wait_for_port(&primary, group.servers()[new].port());
    let moved = snapshot(&load);
    load.wait_for_more(100, "writes did not go on");
    let acked = load.stop();
    assert_readable(&primary, &before);
    let after = since(&acked, &moved);
    assert!(!after.is_empty());
    assert_readable(&primary, &after);
}

#[test]
fn replica_clients_read_from_replicas_round_robin_and_fall_back_to_the_primary() {
    let mut group = SentinelGroup::start("reads", 2, 3);
    let sentinel = sentinel_for(&group, None);
    let primary = sentinel.primary_for("reads").unwrap();
    primary.set("rk", "rv").unwrap();
    assert_eq!(
        group.servers()[group.primary()].command(&["WAIT", "2", "10000"]),
        "2"
    );
    let replicas: Vec<Redis> = (0..2)
        .map(|_| sentinel.replica_for("reads").unwrap())
        .collect();
    let mut ports = Vec::new();
    for r in &replicas {
        assert_eq!(role_of(r), "slave");
        assert_eq!(
            r.server_info().and_then(|i| i.role).as_deref(),
            Some("replica")
        );
        assert_eq!(
            r.get::<Option<String>>("rk").unwrap().as_deref(),
            Some("rv")
        );
        let e = r.set("rk", "x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        ports.push(port_of(r));
    }
    ports.sort_unstable();
    let mut expected: Vec<u16> = (0..3)
        .filter(|&i| i != group.primary())
        .map(|i| group.servers()[i].port())
        .collect();
    expected.sort_unstable();
    assert_eq!(ports, expected, "the two replica clients took turns");
    // The replica a client reads from dies: the client moves to the other one.
    let r0 = &replicas[0];
    let p = group.primary();
    let dead = group
        .servers()
        .iter()
        .position(|s| s.port() == port_of(r0))
        .unwrap();
    let other = (0..3).find(|&i| i != p && i != dead).unwrap();
    group.server_mut(dead).kill();
    let deadline = Instant::now() + RESUME_BOUND;
    loop {
        if let Ok(v) = r0.get::<Option<String>>("rk") {
            assert_eq!(v.as_deref(), Some("rv"));
            if port_of(r0) == group.servers()[other].port() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the replica client did not move");
        std::thread::sleep(Duration::from_millis(100));
    }

    // With every replica down (and flagged so by the Sentinels), reads go to the primary,
    // for new replica clients and for the one whose replica died.
    group.server_mut(other).kill();
    let deadline = Instant::now() + DEADLINE;
    while sentinel
        .sentinel_replicas("reads")
        .unwrap()
        .iter()
        .any(|r| !r.has_flag("s_down"))
    {
        assert!(
            Instant::now() < deadline,
            "the replicas are not flagged down"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = sentinel.replica_for("reads").unwrap();
    assert_eq!(role_of(&r), "master");
    assert_eq!(
        r.get::<Option<String>>("rk").unwrap().as_deref(),
        Some("rv")
    );
    let deadline = Instant::now() + RESUME_BOUND;
    while r0.get::<Option<String>>("rk").is_err() {
        assert!(
            Instant::now() < deadline,
            "the replica client did not fall back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(role_of(r0), "master");
}

#[test]
fn passwords_on_data_nodes_and_sentinels() {
    let group = SentinelGroup::builder("auth")
        .replicas(1)
        .sentinels(3)
        .password("s3cret-pw")
        .start();
    // Without the Sentinels' password, nothing is discovered.
    let bare = sentinel_for(&group, None);
    let e = bare.sentinel_masters().unwrap_err();
    assert!(!e.is_connection_error(), "{e}");

    let sentinel = sentinel_for(&group, Some("s3cret-pw"));
    assert_eq!(sentinel.sentinel_masters().unwrap().len(), 1);
    let primary = sentinel.primary_for("auth").unwrap();
    primary.set("ak", "av").unwrap();
    let replica = sentinel.replica_for("auth").unwrap();
    assert_eq!(role_of(&replica), "slave");
    let load = Load::start(&primary);
    let new = group.failover();
    load.wait_for_more(100, "writes did not resume on the new primary");
    // Writes acknowledged just now may still come from the old primary (until the client got
    // the announcement): wait for the move itself.
    wait_for_port(&primary, group.servers()[new].port());
    let acked = load.stop();
    assert_eq!(
        primary.get::<Option<String>>("ak").unwrap().as_deref(),
        Some("av")
    );
    assert!(!acked.is_empty());
}

/// Clients from a `redis+sentinel://` URL, against a group whose data nodes and Sentinels
/// share a password: the URL's password for the data nodes, `sentinel_password` for the
/// Sentinels, the database in the path, the other parameters (`client_name`, …) for both. The
/// write reaches the primary (its port, and the key in database 2, read on the server), the
/// replica client reads from a replica, and without `sentinel_password` nothing is discovered.
#[test]
fn clients_from_a_sentinel_url() {
    const PW: &str = "s3cret-pw";
    let group = SentinelGroup::builder("urlmaster")
        .replicas(1)
        .sentinels(3)
        .password(PW)
        .start();
    let hosts = group
        .sentinel_ports()
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    let query = format!(
        "protocol={}&timeout=5&connect_timeout=2&client_name={CLIENT_NAME}",
        protocol()
    );
    let url = format!("redis+sentinel://:{PW}@{hosts}/urlmaster/2?sentinel_password={PW}&{query}");

    let primary = Sentinel::primary_from_url(&url).unwrap();
    primary.set("url-k", "url-v").unwrap();
    let at = group.primary();
    assert_eq!(port_of(&primary), group.servers()[at].port());
    assert_eq!(role_of(&primary), "master");
    assert!(our_connections(&group, at) >= 1, "client_name not applied");
    let read =
        group.servers()[at].raw_commands(&[&["AUTH", PW], &["SELECT", "2"], &["GET", "url-k"]]);
    assert_eq!(read.last().map(String::as_str), Some("url-v"), "{read:?}");

    let replica = Sentinel::replica_from_url(&url).unwrap();
    assert_eq!(role_of(&replica), "slave");

    // The URL's password is the data nodes' only: the Sentinels refuse a client without theirs.
    let e =
        Sentinel::primary_from_url(&format!("redis+sentinel://:{PW}@{hosts}/urlmaster?{query}"))
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(!e.to_string().contains(PW), "{e}");
}

/// Sends `signal` (`STOP`, `CONT`) to a process.
fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// A frozen primary (SIGSTOP: its connections stay open, nobody kills them) is failed over by
/// the Sentinels; the client cannot learn that from its own connection (the response timeout
/// is set to 60 s here), so only the `+switch-master` watcher can move it: writes must resume
/// well before that timeout.
#[test]
fn a_frozen_primary_is_left_on_the_sentinels_announcement() {
    let mut group = SentinelGroup::start("frozen", 1, 3);
    let mut sentinel_config = SentinelConfig::builder()
        .sentinels(
            group
                .sentinel_ports()
                .into_iter()
                .map(|p| Addr::tcp("127.0.0.1", p)),
        )
        .sentinel_config(
            Config::builder()
                .protocol_version(protocol())
                .response_timeout(Duration::from_secs(5))
                .build()
                .unwrap(),
        );
    // Two shared connections: the Sentinels' announcement must move both (the two writer
    // threads of the load use one each).
    sentinel_config = sentinel_config.node_config(
        node_config(None)
            .to_builder()
            .response_timeout(Duration::from_secs(60))
            .shared_connections(2)
            .build()
            .unwrap(),
    );
    let sentinel = Sentinel::new(sentinel_config.build().unwrap()).unwrap();
    let primary = sentinel.primary_for("frozen").unwrap();
    let old = group.primary();
    // A dedicated connection (blocking commands) opened now and left idle in the pool.
    let popped = primary
        .blpop::<String, String>(["frozen-list"], Duration::from_millis(100))
        .unwrap();
    assert_eq!(popped, None);
    let load = Load::start(&primary);
    let pid = group.servers()[old].pid();
    signal(pid, "STOP");
    let stopped = Instant::now();
    let new = wait_for_new_primary(&group, old);
    let took = load.wait_for_more(100, "writes did not resume on the new primary");
    eprintln!(
        "sentinel_client: frozen primary: switched after {:?}, writes resumed {took:?} later",
        stopped.elapsed() - took
    );
    assert!(
        stopped.elapsed() < Duration::from_secs(45),
        "the client waited for its own timeout instead of following the Sentinels"
    );
    wait_for_port(&primary, group.servers()[new].port());
    let deadline = Instant::now() + Duration::from_secs(20);
    while our_connections(&group, new) < 2 {
        assert!(
            Instant::now() < deadline,
            "the shared connections did not all move to the new primary: {} there",
            our_connections(&group, new)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The idle dedicated connection to the frozen node was closed: a blocking command opens
    // one to the new primary instead of waiting out the 60 s response timeout.
    let started = Instant::now();
    let popped = primary
        .blpop::<String, String>(["frozen-list"], Duration::from_millis(100))
        .unwrap();
    assert_eq!(popped, None);
    assert!(started.elapsed() < Duration::from_secs(20));
    signal(pid, "CONT");
    let acked = load.stop();
    assert!(!acked.is_empty());
    group.server_mut(old).kill();
}

/// A primary demoted under the client without the Sentinels (`REPLICAOF` by hand, so nobody
/// kills its connections): a write gets `READONLY` (the error reaches the caller, it is not
/// retried), the client drops the connection, and refuses to connect to the node while it
/// says it is a replica, although the Sentinels still name it; once it is a primary again the
/// client is back.
#[test]
fn readonly_makes_the_primary_client_reconnect_and_a_replica_is_refused() {
    let group = SentinelGroup::start("ro", 0, 1);
    let other = coredis_test_support::Server::start();
    let sentinel = sentinel_for(&group, None);
    let primary = sentinel.primary_for("ro").unwrap();
    primary.set("k", "v").unwrap();
    let p = &group.servers()[0];
    let first_id = primary.server_info().and_then(|i| i.client_id).unwrap();
    assert_eq!(
        p.command(&["REPLICAOF", "127.0.0.1", &other.port().to_string()]),
        "OK"
    );
    let e = primary.set("k", "w").unwrap_err();
    assert_eq!(e.server_code(), Some(coredis::ServerCode::ReadOnly), "{e}");

    // The connection that got READONLY is closed; new ones are refused while the node is a
    // replica.
    let deadline = Instant::now() + DEADLINE;
    while p
        .command(&["CLIENT", "LIST"])
        .contains(&format!("id={first_id} "))
    {
        assert!(Instant::now() < deadline, "the connection was not dropped");
        std::thread::sleep(Duration::from_millis(50));
    }
    let e = primary.get::<Option<String>>("k").unwrap_err();
    assert!(
        format!("{e:#}").contains("says it is a replica"),
        "expected the role check to refuse the node: {e:#}"
    );

    assert_eq!(p.command(&["REPLICAOF", "NO", "ONE"]), "OK");
    let deadline = Instant::now() + RESUME_BOUND;
    loop {
        match primary.set("k", "x") {
            Ok(()) => break,
            Err(e) => assert!(Instant::now() < deadline, "no way back: {e:#}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(role_of(&primary), "master");
}

/// A fake Sentinel naming the fake node at `port` as the primary of `m` (connection 0: the
/// `Sentinel`'s command client; 1: the watcher's subscription, confirmed; later ones: the
/// same address again).
fn fake_sentinel(port: u16) -> coredis_test_support::fake::FakeServer {
    use coredis_test_support::fake::{FakeServer, Script};
    let addr = format!(
        "*2\r\n$9\r\n127.0.0.1\r\n${}\r\n{port}\r\n",
        port.to_string().len()
    );
    FakeServer::start_with(move |i| {
        if i == 1 {
            Script::new().expect(
                &["SUBSCRIBE", "+switch-master"],
                "*3\r\n$9\r\nsubscribe\r\n$14\r\n+switch-master\r\n:1\r\n",
            )
        } else {
            Script::new()
                .expect(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"], &addr)
                .expect(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "m"], &addr)
        }
    })
}

/// A server without `HELLO` (before 6.0) says nothing about its role in the handshake: the
/// connector asks `ROLE` on a connection of its own, and refuses a replica.
#[test]
fn without_hello_the_role_comes_from_role() {
    use coredis_test_support::fake::{bulk, FakeServer, Script};
    for (role, accepted) in [("master", true), ("slave", false)] {
        let reply = format!("*3\r\n${}\r\n{role}\r\n:0\r\n*0\r\n", role.len());
        // Connection 0: the client's shared connection; 1: the ROLE probe.
        let node = FakeServer::start_with(move |i| {
            let s = Script::new().refuse_hello();
            if i == 1 {
                s.expect(&["ROLE"], &reply)
            } else {
                s.expect(&["GET", "k"], bulk("v"))
            }
        });
        let sentinel_server = fake_sentinel(node.port());
        let plain = Config::builder()
            .protocol_version(2)
            .response_timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let sentinel = Sentinel::new(
            SentinelConfig::builder()
                .sentinel(Addr::tcp("127.0.0.1", sentinel_server.port()))
                .sentinel_config(plain.clone())
                .node_config(plain)
                .build()
                .unwrap(),
        )
        .unwrap();
        match sentinel.primary_for("m") {
            Ok(primary) => {
                assert!(accepted, "a {role} was accepted as the primary");
                assert_eq!(
                    primary.get::<Option<String>>("k").unwrap().as_deref(),
                    Some("v")
                );
            }
            Err(e) => {
                assert!(!accepted, "the primary was refused: {e:#}");
                assert!(format!("{e:#}").contains("says it is a slave"), "{e:#}");
            }
        }
        let sent: Vec<String> = node.commands().iter().map(|c| c.name()).collect();
        assert!(sent.contains(&"ROLE".to_owned()), "{sent:?}");
        node.assert_no_mismatch();
    }
}

/// A caching primary client across a `SENTINEL FAILOVER`: its shared connection and its
/// invalidation connection both move to the new primary (the old invalidation connection,
/// still alive on the old primary, is not the redirect target of a connection to the new
/// one), nothing cached before is served after, and the new primary's invalidations arrive.
#[test]
fn a_caching_primary_client_follows_a_failover_with_its_invalidations() {
    let group = SentinelGroup::start("cached", 1, 3);
    let caching = node_config(None)
        .to_builder()
        .cache(coredis::CacheConfig::default())
        .build()
        .unwrap();
    let r = sentinel_with(&group, None, caching)
        .primary_for("cached")
        .unwrap();
    let writer = sentinel_for(&group, None).primary_for("cached").unwrap();
    let stats = |r: &Redis| r.cache_stats().expect("caching is on");
    writer.set("k", "v1").unwrap();
    assert_eq!(r.get::<String>("k").unwrap(), "v1");
    assert_eq!(r.get::<String>("k").unwrap(), "v1");
    assert_eq!(stats(&r).hits, 1);
    let old = group.primary();
    wait_replicated(&group, old);

    let new = group.failover();
    assert_ne!(new, old);
    let port = group.servers()[new].port();
    wait_for_port(&r, port);
    wait_for_port(&writer, port);
    // Until a write, the new primary holds the replicated "v1".
    let deadline = Instant::now() + RESUME_BOUND;
    for (i, v) in ["v2", "v3", "v4"].into_iter().enumerate() {
        writer.set("k", v).unwrap();
        loop {
            if r.get::<String>("k").ok().as_deref() == Some(v) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "write {i} ({v}) not seen by the caching client"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // And cached again: the invalidation connection is on the new primary.
        let hits = stats(&r).hits;
        loop {
            let _ = r.get::<String>("k");
            if stats(&r).hits > hits {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "reads not cached after the failover"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    // No connection of the client is left on the old primary, the invalidation one included.
    let deadline = Instant::now() + DEADLINE;
    while our_connections(&group, old) > 0 {
        assert!(
            Instant::now() < deadline,
            "the caching client is still connected to the old primary"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The Sentinels cut off from the primary while clients still reach it (their ACL user loses
/// every command there: their `PING`s get `NOPERM`, so to them it is down): they fail over to
/// the replica, and a primary client moves there on `+switch-master` although the old primary
/// still answers it — a split brain, which the client leaves. Writes acknowledged once it
/// moved are on the new primary; none of its connections stays on the old one; when the
/// partition heals the Sentinels turn the old primary into a replica.
#[test]
fn sentinels_cut_off_the_primary_fail_over_and_the_client_follows() {
    if coredis_test_support::server_major_minor() < (6, 2) {
        coredis_test_support::skip(
            "sentinel_client::sentinels_cut_off_the_primary_fail_over_and_the_client_follows",
            "sentinel auth-user needs Redis 6.2",
        );
        return;
    }
    let group = SentinelGroup::builder("cut")
        .sentinel_user("sentinel-user", "s3ntinel-pw")
        .start();
    let sentinel = sentinel_for(&group, None);
    let primary = sentinel.primary_for("cut").unwrap();
    let old = group.primary();
    assert_eq!(port_of(&primary), group.servers()[old].port());
    let load = Load::start(&primary);
    load.wait_for_more(50, "writes did not start");
    wait_replicated(&group, old);

    // The partition: the Sentinels' user may do nothing on the old primary any more.
    let cut = group.servers()[old].command(&["ACL", "SETUSER", "sentinel-user", "-@all"]);
    assert_eq!(cut, "OK");
    let new = wait_for_new_primary(&group, old);
    // (Writes never stop: the old primary takes them until the client moves.)
    wait_for_port(&primary, group.servers()[new].port());
    let moved = snapshot(&load);
    load.wait_for_more(100, "writes did not go on");
    // The old primary never heard of the failover: still a primary, reachable — and left.
    let role = group.servers()[old].command(&["ROLE"]);
    assert!(
        role.starts_with("master") || role.contains("master"),
        "{role}"
    );
    let deadline = Instant::now() + DEADLINE;
    while our_connections(&group, old) > 0 {
        assert!(
            Instant::now() < deadline,
            "the client is still connected to the cut-off primary"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let acked = load.stop();
    let after = since(&acked, &moved);
    assert!(!after.is_empty());
    for k in after.keys().take(20) {
        assert_eq!(group.servers()[new].command(&["EXISTS", k]), "1", "{k}");
    }
    assert_readable(&primary, &after);

    // The partition heals: the Sentinels demote the old primary.
    let healed = group.servers()[old].command(&["ACL", "SETUSER", "sentinel-user", "+@all"]);
    assert_eq!(healed, "OK");
    let deadline = Instant::now() + DEADLINE;
    loop {
        let role = group.servers()[old].command(&["ROLE"]);
        if role.contains("slave") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the old primary was not demoted after the partition healed: {role}\n{}",
            group.log_tails()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(group.primary(), new);
}

/// The name of the test's connections to the Sentinels, to find them in their `CLIENT LIST`.
const SENTINEL_CLIENT_NAME: &str = "coredis-sentinel-tls-test";

/// The local ports (`laddr=`) of the connections named `name` that `server` holds: the port
/// each of them came in on, plain or TLS.
fn local_ports(server: &coredis_test_support::Server, name: &str) -> Vec<u16> {
    server
        .command(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| l.contains(&format!(" name={name} ")))
        .map(|l| {
            l.split(' ')
                .find_map(|f| f.strip_prefix("laddr="))
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("no laddr port in {l}"))
        })
        .collect()
}

/// Every connection named `name` on `server` came in on `port` (and there is one at least).
fn assert_all_on(server: &coredis_test_support::Server, name: &str, port: u16, what: &str) {
    let ports = local_ports(server, name);
    assert!(!ports.is_empty(), "{what}: no connection named {name}");
    assert!(
        ports.iter().all(|&p| p == port),
        "{what}: connections on ports {ports:?}, not all on the TLS port {port} (plain port {})",
        server.port()
    );
}

/// A Sentinel client of `group`'s Sentinels at their TLS ports, with `sentinels` as the
/// configuration of the connections to them and `nodes` as that of the data nodes.
fn sentinel_over_tls(group: &SentinelGroup, sentinels: Config, nodes: Config) -> Sentinel {
    let addrs = group
        .sentinel_tls_ports()
        .into_iter()
        .map(|p| Addr::tcp("127.0.0.1", p));
    Sentinel::new(
        SentinelConfig::builder()
            .sentinels(addrs)
            .sentinel_config(sentinels)
            .node_config(nodes)
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// A TLS group (every process listens with TLS too; the Sentinels announce TLS ports): a
/// client whose Sentinel configuration trusts the group's CA reaches the Sentinels on their
/// TLS ports, and its primary client, with TLS in the node configuration, reaches the primary
/// on the TLS port the Sentinels announce, and follows a failover there over TLS. Where each
/// connection came in is read on the servers (`CLIENT LIST` `laddr`), so a plain connection
/// fails the test. A primary client from a `rediss+sentinel://` URL does the same. Without
/// TLS in the Sentinel (or node) configuration, the TLS ports refuse the client with an
/// error, promptly.
#[test]
fn sentinels_and_data_nodes_over_tls() {
    if !coredis_test_support::tls_or_skip("sentinel_client::sentinels_and_data_nodes_over_tls") {
        return;
    }
    let group = SentinelGroup::builder("tlsmaster").tls(true).start();
    let files = group.tls_files().unwrap();
    let tls = coredis::TlsConfig::builder()
        .ca_file(&files.ca_cert)
        .build();
    let plain_sentinels = Config::builder()
        .protocol_version(protocol())
        .client_name(SENTINEL_CLIENT_NAME)
        .response_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let tls_sentinels = plain_sentinels
        .to_builder()
        .tls(tls.clone())
        .build()
        .unwrap();
    let tls_nodes = node_config(None).to_builder().tls(tls).build().unwrap();

    // The Sentinels over TLS: the typed commands work, and report TLS ports.
    let sentinel = sentinel_over_tls(&group, tls_sentinels.clone(), tls_nodes.clone());
    let masters = sentinel.sentinel_masters().unwrap();
    assert_eq!(masters.len(), 1);
    assert_eq!(masters[0].name, "tlsmaster");
    let old = group.primary();
    let tls_port = |i: usize| group.servers()[i].tls_port().unwrap();
    assert_eq!(masters[0].addr, ("127.0.0.1".to_owned(), tls_port(old)));
    assert_all_on(
        &group.sentinels()[0],
        SENTINEL_CLIENT_NAME,
        group.sentinels()[0].tls_port().unwrap(),
        "sentinel 0",
    );

    // The primary over TLS.
    let primary = sentinel.primary_for("tlsmaster").unwrap();
    primary.set("tls-k", "v").unwrap();
    assert_eq!(
        primary.get::<Option<String>>("tls-k").unwrap().as_deref(),
        Some("v")
    );
    assert_eq!(port_of(&primary), group.servers()[old].port());
    assert_eq!(role_of(&primary), "master");
    assert_all_on(
        &group.servers()[old],
        CLIENT_NAME,
        tls_port(old),
        "the primary",
    );
    // The watcher's subscription is a TLS connection to a Sentinel too.
    let watchers: usize = group
        .sentinels()
        .iter()
        .map(|s| {
            local_ports(s, SENTINEL_CLIENT_NAME)
                .iter()
                .filter(|&&p| Some(p) == s.tls_port())
                .count()
        })
        .sum();
    assert!(
        watchers >= 2,
        "the command and watcher connections: {watchers}"
    );

    // A failover: the client follows to the new primary's TLS port.
    let load = Load::start(&primary);
    load.wait_for_more(50, "writes did not start");
    let new = group.failover();
    assert_ne!(new, old);
    let took = load.wait_for_more(100, "writes did not resume on the new primary");
    eprintln!("sentinel_client: TLS writes resumed {took:?} after the failover completed");
    wait_for_port(&primary, group.servers()[new].port());
    let moved = snapshot(&load);
    load.wait_for_more(100, "writes did not go on");
    let acked = load.stop();
    assert_eq!(role_of(&primary), "master");
    assert_all_on(
        &group.servers()[new],
        CLIENT_NAME,
        tls_port(new),
        "the new primary",
    );
    let after = since(&acked, &moved);
    assert!(!after.is_empty());
    assert_readable(&primary, &after);
    for s in group.sentinels() {
        for p in local_ports(s, SENTINEL_CLIENT_NAME) {
            assert_eq!(Some(p), s.tls_port(), "a plain connection to a Sentinel");
        }
    }

    // The same from a `rediss+sentinel://` URL: TLS to the Sentinels and to the primary, with
    // the CA of the URL.
    let hosts = group
        .sentinel_tls_ports()
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect::<Vec<_>>()
        .join(",");
    let ca: String = files
        .ca_cert
        .to_str()
        .unwrap()
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'/' | b'.' | b'-' | b'_' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    let from_url = Sentinel::primary_from_url(&format!(
        "rediss+sentinel://{hosts}/tlsmaster?tls_ca_file={ca}&protocol={}&client_name={CLIENT_NAME}",
        protocol()
    ))
    .unwrap();
    from_url.set("tls-url-k", "v").unwrap();
    assert_eq!(port_of(&from_url), group.servers()[new].port());
    assert_all_on(
        &group.servers()[new],
        CLIENT_NAME,
        tls_port(new),
        "the primary, from a URL",
    );
    drop(from_url);

    // No TLS towards the Sentinels' TLS ports: an error, not a hang.
    let started = Instant::now();
    let plain = sentinel_over_tls(&group, plain_sentinels, tls_nodes);
    let e = plain.sentinel_masters().unwrap_err();
    assert!(e.is_connection_error() || e.is_timeout(), "{e:#}");
    let e = plain.primary_for("tlsmaster").unwrap_err();
    assert!(e.is_connection_error() || e.is_timeout(), "{e:#}");
    let took = started.elapsed();
    eprintln!("sentinel_client: plain client against the TLS ports failed in {took:?}: {e:#}");
    assert!(took < Duration::from_secs(40), "{took:?}");

    // TLS to the Sentinels but not to the data nodes: the primary's TLS port refuses it.
    let started = Instant::now();
    let half = sentinel_over_tls(&group, tls_sentinels, node_config(None));
    assert_eq!(half.sentinel_masters().unwrap().len(), 1);
    let e = half.primary_for("tlsmaster").unwrap_err();
    assert!(e.is_connection_error() || e.is_timeout(), "{e:#}");
    let took = started.elapsed();
    eprintln!("sentinel_client: plain node connection to a TLS port failed in {took:?}: {e:#}");
    assert!(took < Duration::from_secs(40), "{took:?}");
}
