//! `ROLE`, `REPLICAOF`/`SLAVEOF` and `FAILOVER` on primary/replica pairs started by each
//! test, and `ROLE` of a Sentinel started by the test.

use super::{client_on, eventually, ConfServer};
use crate::util::{clients, connect};
use coredis::prelude::*;
use coredis::types::{FailoverOptions, ReplicaLinkState, Role};
use coredis::{Redis, ServerCode};
use coredis_test_support::Server;
use std::time::Duration;

const SYNC: Duration = Duration::from_secs(60);

/// A primary that starts full synchronisations at once.
fn primary() -> Server {
    Server::builder()
        .arg("--repl-diskless-sync-delay")
        .arg("0")
        .start()
}

fn is_replica_of(r: &Redis, port: u16) -> bool {
    matches!(
        r.role().unwrap(),
        Role::Replica { master_port, state: ReplicaLinkState::Connected, .. } if master_port == port
    )
}

fn replicas_of(r: &Redis) -> Vec<u16> {
    match r.role().unwrap() {
        Role::Master { replicas, .. } => replicas.iter().map(|r| r.port).collect(),
        other => panic!("not a primary: {other:?}"),
    }
}

#[test]
fn server_replicaof_and_role() {
    let primary = primary();
    let replica = Server::start();
    let rp = connect(&primary);
    let rr = connect(&replica);
    rp.set("k", "v").unwrap();
    for (p, r) in clients(&primary) {
        assert_eq!(
            r.role().unwrap(),
            Role::Master {
                offset: 0,
                replicas: Vec::new()
            },
            "RESP{p}"
        );
    }

    rr.replicaof("127.0.0.1", primary.port()).unwrap();
    match rr.role().unwrap() {
        Role::Replica {
            master_host,
            master_port,
            ..
        } => assert_eq!(
            (master_host.as_str(), master_port),
            ("127.0.0.1", primary.port())
        ),
        other => panic!("{other:?}"),
    }
    eventually("the replica to sync", SYNC, || {
        is_replica_of(&rr, primary.port())
    });
    assert_eq!(rr.get::<String>("k").unwrap(), "v", "the dataset came over");
    eventually("the primary to list its replica", SYNC, || {
        replicas_of(&rp) == [replica.port()]
    });
    for (p, r) in clients(&replica) {
        match r.role().unwrap() {
            Role::Replica { offset, state, .. } => {
                assert_eq!(state, ReplicaLinkState::Connected, "RESP{p}");
                assert!(offset.is_some());
            }
            other => panic!("RESP{p}: {other:?}"),
        }
    }
    for (p, r) in clients(&primary) {
        match r.role().unwrap() {
            Role::Master { replicas, .. } => {
                assert_eq!(replicas.len(), 1, "RESP{p}");
                assert_eq!(replicas[0].host, "127.0.0.1");
            }
            other => panic!("RESP{p}: {other:?}"),
        }
    }

    rr.replicaof_no_one().unwrap();
    assert!(matches!(rr.role().unwrap(), Role::Master { .. }));
    rr.set("written", 1).unwrap();

    rr.slaveof("127.0.0.1", primary.port()).unwrap();
    eventually("the replica to sync again", SYNC, || {
        is_replica_of(&rr, primary.port())
    });
    assert_eq!(
        rr.exists("written").unwrap(),
        0,
        "the primary's dataset replaced its own"
    );
    rr.slaveof_no_one().unwrap();
    assert!(matches!(rr.role().unwrap(), Role::Master { .. }));
}

#[test]
fn server_failover() {
    // Without replicas, and with a target that is not a replica: errors.
    let lone = Server::start();
    let r = connect(&lone);
    let e = r.failover().unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    let e = r.failover_abort().unwrap_err();
    assert_eq!(
        e.server_code(),
        Some(ServerCode::Err),
        "nothing to abort: {e}"
    );
    let e = r
        .failover_with(FailoverOptions::new().timeout(Duration::from_secs(1)))
        .unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    drop(lone);

    let a = primary();
    let b = primary();
    let ra = connect(&a);
    let rb = connect(&b);
    ra.set("k", "v").unwrap();
    rb.replicaof("127.0.0.1", a.port()).unwrap();
    eventually("b to sync", SYNC, || is_replica_of(&rb, a.port()));
    eventually("a to list b", SYNC, || replicas_of(&ra) == [b.port()]);
    let e = ra
        .failover_with(FailoverOptions::new().to("127.0.0.1", 1))
        .unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "not a replica: {e}");

    // a hands over to b (named, forced after a timeout, which is not reached).
    ra.failover_with(
        FailoverOptions::new()
            .to("127.0.0.1", b.port())
            .force()
            .timeout(Duration::from_secs(30)),
    )
    .unwrap();
    eventually("a to follow b", SYNC, || is_replica_of(&ra, b.port()));
    eventually("b to be the primary", SYNC, || {
        matches!(rb.role().unwrap(), Role::Master { .. })
    });
    rb.set("after", 1).unwrap();

    // And back, to any replica in sync.
    eventually("b to list a", SYNC, || replicas_of(&rb) == [a.port()]);
    rb.failover().unwrap();
    eventually("b to follow a", SYNC, || is_replica_of(&rb, a.port()));
    assert_eq!(ra.get::<i64>("after").unwrap(), 1);
}

#[test]
fn server_role_of_a_sentinel() {
    let watched = Server::start();
    let sentinel = ConfServer::start(
        &format!("sentinel monitor mymaster 127.0.0.1 {} 1\n", watched.port()),
        true,
    );
    for p in [3, 2] {
        let r = client_on(sentinel.port(), p);
        assert_eq!(
            r.role().unwrap(),
            Role::Sentinel {
                masters: vec!["mymaster".into()]
            },
            "RESP{p}"
        );
    }
}

#[test]
fn server_shutdown_abort_while_waiting_for_a_replica() {
    if coredis_test_support::server_major_minor() < (7, 0) {
        coredis_test_support::skip(
            &format!(
                "{}server_shutdown_abort_while_waiting_for_a_replica",
                super::T
            ),
            "SHUTDOWN waits for lagging replicas, and ABORT exists, from Redis 7.0",
        );
        return;
    }
    let primary = primary();
    let replica = Server::start();
    let rp = connect(&primary);
    let rr = connect(&replica);
    rr.replicaof("127.0.0.1", primary.port()).unwrap();
    eventually("the replica to sync", SYNC, || {
        is_replica_of(&rr, primary.port())
    });

    // The replica sleeps, so it stops acknowledging; the primary's SHUTDOWN then waits for it
    // (up to shutdown-timeout, 10 s by default), and ABORT cancels it.
    let sleeper = std::thread::spawn({
        let port = replica.port();
        move || {
            client_on(port, 3)
                .execute(coredis::cmd("DEBUG").args(["SLEEP", "6"]))
                .map(|_| ())
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    rp.set("lag", 1).unwrap();
    let stopper = client_on(primary.port(), crate::util::protocol());
    let waiting = stopper.deferred().shutdown();
    let other = client_on(primary.port(), crate::util::protocol());
    eventually(
        "the shutdown to be abortable",
        Duration::from_secs(4),
        || other.shutdown_abort().is_ok(),
    );
    let e = waiting.wait().unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "aborted: {e}");
    assert_eq!(rp.ping().unwrap(), "PONG", "still up");
    sleeper.join().expect("the sleeper").unwrap();
}
