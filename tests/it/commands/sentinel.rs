//! The Sentinel commands against live Sentinels (the server binary under test run as
//! `--sentinel`, from the test support crate's [`SentinelGroup`]), through a plain `Redis`
//! connected to a Sentinel's port, over RESP3 and RESP2.
//!
//! These commands are not in a data server's `COMMAND DOCS`: [`built`] is for a coverage check
//! against the Sentinel spec, and is not part of the data coverage.

use super::strings::valkey_at_least;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::SentinelFailureMode;
use coredis::{ErrorKind, Redis};
use coredis_test_support::{SentinelGroup, Server};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Deadline of every wait for the Sentinels to act, on a busy machine.
const DEADLINE: Duration = Duration::from_secs(60);

/// Every method of the group, built once.
pub fn built() -> Vec<coredis::Request> {
    let b = Build;
    let mut all = vec![
        b.sentinel_ckquorum("m").request().clone(),
        b.sentinel_config_get("resolve-hostnames").request().clone(),
        b.sentinel_config_set([("resolve-hostnames", "no")])
            .request()
            .clone(),
        b.sentinel_failover("m").request().clone(),
        b.sentinel_flushconfig().request().clone(),
        b.sentinel_get_master_addr_by_name("m").request().clone(),
        b.sentinel_info_cache("m").request().clone(),
        b.sentinel_is_master_down_by_addr("127.0.0.1", 6379, 0, "*")
            .request()
            .clone(),
        b.sentinel_master("m").request().clone(),
        b.sentinel_masters().request().clone(),
        b.sentinel_monitor("m2", "127.0.0.1", 6380, 2)
            .request()
            .clone(),
        b.sentinel_myid().request().clone(),
        b.sentinel_pending_scripts().request().clone(),
        b.sentinel_remove("m2").request().clone(),
        b.sentinel_replicas("m").request().clone(),
        b.sentinel_reset("m*").request().clone(),
        b.sentinel_sentinels("m").request().clone(),
        b.sentinel_set("m", [("quorum", "2")]).request().clone(),
        b.sentinel_simulate_failure([SentinelFailureMode::CrashAfterElection])
            .request()
            .clone(),
        b.sentinel_slaves("m").request().clone(),
    ];
    // Valkey's "primary" spellings, where the server has them.
    if valkey_at_least(8, 0) {
        all.extend([
            b.sentinel_get_primary_addr_by_name("m").request().clone(),
            b.sentinel_is_primary_down_by_addr("127.0.0.1", 6379, 0, "*")
                .request()
                .clone(),
            b.sentinel_primary("m").request().clone(),
            b.sentinel_primaries().request().clone(),
        ]);
    }
    all
}

/// A client of a Sentinel speaking RESP `p`.
fn client(sentinel: &Server, p: u8) -> Redis {
    let url = format!("{}?protocol={p}", sentinel.url());
    Redis::from_url(&url).unwrap_or_else(|e| panic!("connect to the sentinel {url}: {e}"))
}

fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether the Sentinel takes several parameters in `SENTINEL CONFIG GET/SET` (Valkey); reports
/// `test` as skipped for that part otherwise.
fn several_parameters(test: &str) -> bool {
    let yes = valkey_at_least(7, 2);
    if !yes {
        coredis_test_support::skip(
            &format!("commands::sentinel::{test}"),
            "SENTINEL CONFIG GET/SET of several parameters needs Valkey (Redis 7.0 and 6.2 take one)",
        );
    }
    yes
}

#[test]
fn sentinel_routing_facts_match_the_server() {
    let group = SentinelGroup::start("audit", 0, 1);
    super::audit::check(
        &group.sentinels()[0],
        "commands::sentinel::sentinel_routing_facts_match_the_server",
        &built(),
    );
}

/// What the Sentinels know, read under both protocols.
#[test]
fn sentinel_introspection() {
    let several = several_parameters("sentinel_introspection");
    let group = SentinelGroup::start("coredis", 2, 3);
    let primary = &group.servers()[0];
    let primary_addr = ("127.0.0.1".to_string(), primary.port());
    let mut replica_ports: Vec<u16> = group.servers()[1..].iter().map(Server::port).collect();
    replica_ports.sort();
    for p in [3u8, 2] {
        let ctx = format!("RESP{p}");
        let s = client(&group.sentinels()[0], p);
        assert_eq!(s.ping().unwrap(), "PONG", "{ctx}");

        assert_eq!(
            s.sentinel_get_master_addr_by_name("coredis").unwrap(),
            Some(primary_addr.clone()),
            "{ctx}"
        );
        assert_eq!(s.sentinel_get_master_addr_by_name("nope").unwrap(), None);

        let m = s.sentinel_master("coredis").unwrap();
        assert_eq!(
            (m.name.as_str(), &m.addr),
            ("coredis", &primary_addr),
            "{ctx}"
        );
        if valkey_at_least(8, 0) {
            // Valkey's "primary" spellings answer the same.
            assert_eq!(
                s.sentinel_get_primary_addr_by_name("coredis").unwrap(),
                Some(primary_addr.clone()),
                "{ctx}"
            );
            assert_eq!(s.sentinel_primary("coredis").unwrap().addr, primary_addr);
            assert_eq!(s.sentinel_primaries().unwrap().len(), 1);
            let vote = s
                .sentinel_is_primary_down_by_addr("127.0.0.1", primary.port(), 0, "*")
                .unwrap();
            let again = s
                .sentinel_is_master_down_by_addr("127.0.0.1", primary.port(), 0, "*")
                .unwrap();
            assert_eq!(vote, again, "{ctx}");
        } else if p == 3 {
            coredis_test_support::skip(
                "sentinel_introspection (the primary spellings)",
                "SENTINEL PRIMARY and friends need Valkey 8.0",
            );
        }
        assert_eq!(m.flags, ["master"], "{ctx}");
        assert!(!m.is_objectively_down() && !m.is_subjectively_down());
        assert!(!m.is_failover_in_progress());
        assert_eq!((m.num_replicas, m.num_other_sentinels, m.quorum), (2, 2, 2));
        assert_eq!(m.down_after, Duration::from_secs(1));
        assert_eq!(m.failover_timeout, Duration::from_secs(3));
        assert_eq!(m.role_reported, "master");
        assert_eq!(m.parallel_syncs, 1);
        assert_eq!(m.s_down_time, None);
        let run_id = primary.command(&["INFO", "server"]);
        assert!(
            run_id.contains(&format!("run_id:{}", m.run_id.as_deref().unwrap())),
            "{ctx}"
        );
        let masters = s.sentinel_masters().unwrap();
        assert_eq!(masters, vec![masters[0].clone()]);
        assert_eq!(masters[0].name, "coredis");

        for replicas in [
            s.sentinel_replicas("coredis").unwrap(),
            s.sentinel_slaves("coredis").unwrap(),
        ] {
            let mut ports: Vec<u16> = replicas.iter().map(|r| r.addr.1).collect();
            ports.sort();
            assert_eq!(ports, replica_ports, "{ctx}");
            for r in &replicas {
                assert_eq!(r.flags, ["slave"], "{ctx}");
                assert!(r.master_link_ok, "{r:?}");
                assert_eq!(r.master_addr, Some(primary_addr.clone()));
                assert_eq!(r.name, format!("127.0.0.1:{}", r.addr.1));
                assert_eq!(r.priority, 100);
                assert_eq!(r.role_reported, "slave");
                assert!(r.run_id.is_some());
            }
        }

        let peers = s.sentinel_sentinels("coredis").unwrap();
        let mut ports: Vec<u16> = peers.iter().map(|p| p.addr.1).collect();
        ports.sort();
        let mut expected = group.sentinel_ports()[1..].to_vec();
        expected.sort();
        assert_eq!(ports, expected, "{ctx}");
        let mut peer_ids: Vec<String> = peers.iter().map(|p| p.name.clone()).collect();
        peer_ids.sort();
        let mut ids: Vec<String> = group.sentinels()[1..]
            .iter()
            .map(|x| client(x, p).sentinel_myid().unwrap())
            .collect();
        ids.sort();
        assert_eq!(peer_ids, ids, "{ctx}");
        assert!(
            peers
                .iter()
                .all(|p| p.flags == ["sentinel"] && p.voted_leader.is_none()),
            "{ctx}: {peers:?}"
        );
        let myid = s.sentinel_myid().unwrap();
        assert_eq!(myid.len(), 40);
        assert!(!ids.contains(&myid));

        let quorum = s.sentinel_ckquorum("coredis").unwrap();
        assert!(
            quorum.starts_with("OK 3 usable Sentinels"),
            "{ctx}: {quorum}"
        );
        let e = s.sentinel_ckquorum("nope").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");

        assert!(s.sentinel_pending_scripts().unwrap().is_empty(), "{ctx}");

        let caches = s.sentinel_info_cache("coredis").unwrap();
        assert_eq!(caches.len(), 1, "{ctx}");
        assert_eq!(caches[0].name, "coredis");
        assert_eq!(caches[0].entries.len(), 3, "the primary and 2 replicas");
        let info = caches[0].entries[0].info.as_ref().unwrap();
        assert_eq!(
            info.get("tcp_port"),
            Some(primary.port().to_string().as_str())
        );
        assert_eq!(info.get("role"), Some("master"));

        let vote = s
            .sentinel_is_master_down_by_addr("127.0.0.1", primary.port(), 0, "*")
            .unwrap();
        assert!(!vote.master_down, "{ctx}: {vote:?}");
        assert_eq!(vote.leader, None);

        let conf = s.sentinel_config_get("resolve-hostnames").unwrap();
        assert_eq!(
            conf,
            HashMap::from([("resolve-hostnames".to_string(), "no".to_string())]),
            "{ctx}"
        );
        if several {
            let conf = s
                .sentinel_config_get(["resolve-hostnames", "announce-hostnames"])
                .unwrap();
            assert_eq!(conf.len(), 2, "{ctx}: {conf:?}");
        }
    }
    // The sentinel's own INFO and ROLE work through the other groups' methods.
    let s = client(&group.sentinels()[0], 3);
    let info = s.info().unwrap();
    assert_eq!(
        info.get("redis_mode").or(info.get("server_mode")),
        Some("sentinel")
    );
    let e = s.sentinel_info_cache(Vec::<String>::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
}

/// The commands that change what the Sentinels do: CONFIG SET, SET, FLUSHCONFIG, MONITOR,
/// REMOVE, RESET, FAILOVER (its effect: a new primary address), SIMULATE-FAILURE (its effect:
/// the Sentinel exits when elected).
#[test]
fn sentinel_configuration_and_failover() {
    let several = several_parameters("sentinel_configuration_and_failover");
    let mut group = SentinelGroup::start("coredis-fo", 1, 2);
    let s = client(&group.sentinels()[0], 3);
    let s2 = client(&group.sentinels()[0], 2);

    s.sentinel_config_set([("resolve-hostnames", "yes")])
        .unwrap();
    assert_eq!(
        s2.sentinel_config_get("resolve-hostnames").unwrap()["resolve-hostnames"],
        "yes"
    );
    s2.sentinel_config_set([("resolve-hostnames", "no")])
        .unwrap();
    assert_eq!(
        s.sentinel_config_get("resolve-hostnames").unwrap()["resolve-hostnames"],
        "no"
    );
    if several {
        s.sentinel_config_set([("resolve-hostnames", "no"), ("announce-hostnames", "no")])
            .unwrap();
    }

    s.sentinel_set(
        "coredis-fo",
        [("down-after-milliseconds", "2000"), ("parallel-syncs", "2")],
    )
    .unwrap();
    let m = s2.sentinel_master("coredis-fo").unwrap();
    assert_eq!(
        (m.down_after, m.parallel_syncs),
        (Duration::from_secs(2), 2)
    );
    let e = s
        .sentinel_set("coredis-fo", Vec::<(String, String)>::new())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    s.sentinel_flushconfig().unwrap();
    let conf = std::fs::read_to_string(group.sentinels()[0].dir().join("sentinel.conf")).unwrap();
    assert!(
        conf.contains("down-after-milliseconds coredis-fo 2000"),
        "{conf}"
    );

    // Another primary, monitored then removed.
    let other = Server::start();
    s.sentinel_monitor("coredis-other", "127.0.0.1", other.port(), 1)
        .unwrap();
    let mut names: Vec<String> = s2
        .sentinel_masters()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    names.sort();
    assert_eq!(names, ["coredis-fo", "coredis-other"]);
    assert_eq!(
        s2.sentinel_get_master_addr_by_name("coredis-other")
            .unwrap(),
        Some(("127.0.0.1".to_string(), other.port()))
    );
    assert_eq!(s.sentinel_reset("coredis-oth*").unwrap(), 1);
    assert_eq!(s.sentinel_reset("nothing-*").unwrap(), 0);
    s2.sentinel_remove("coredis-other").unwrap();
    assert_eq!(s.sentinel_masters().unwrap().len(), 1);
    let e = s.sentinel_master("coredis-other").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");

    // A failover: the Sentinels then report the replica's address.
    let old = group.servers()[0].port();
    let new = group.servers()[1].port();
    s.sentinel_failover("coredis-fo").unwrap();
    wait_until("the sentinels report the new primary", || {
        group.sentinels().iter().all(|x| {
            client(x, 2)
                .sentinel_get_master_addr_by_name("coredis-fo")
                .unwrap()
                == Some(("127.0.0.1".to_string(), new))
        })
    });
    assert_ne!(old, new);
    let role = group.servers()[1].command(&["ROLE"]);
    assert!(role.starts_with("master"), "{role}");
    group.wait_until_healthy();

    // A Sentinel told to crash once elected exits when it leads the next failover.
    let s1 = client(&group.sentinels()[1], 3);
    s1.sentinel_simulate_failure([SentinelFailureMode::CrashAfterElection])
        .unwrap();
    let e = s1
        .sentinel_simulate_failure(Vec::<SentinelFailureMode>::new())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    // SENTINEL FAILOVER elects the Sentinel that runs it; an INPROG answer means the last
    // failover is still winding down. The crash can also come before the `+OK` is written:
    // the Sentinel runs its failover timer in the same event-loop turn as the command when
    // both are due (a busy machine), and exits with the reply still buffered. Then the call
    // fails and the Sentinel is gone: the failover started all the same.
    wait_until("a second failover starts", || {
        s1.sentinel_failover("coredis-fo").is_ok() || !group.sentinel_mut(1).is_running()
    });
    wait_until("the sentinel crashed after its election", || {
        !group.sentinel_mut(1).is_running()
    });
}
