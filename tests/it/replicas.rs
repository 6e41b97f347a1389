//! `ConfigBuilder::wait_for_replicas`: every write path (a single command, a deferred handle, a
//! dedicated connection, a blocking command, a pipeline, a transaction) is followed by `WAIT`
//! and reports [`ErrorKind::NotReplicated`] when too few replicas acknowledged it — against a
//! primary with no replica — and returns its reply once a live replica has it. Reads are left
//! alone, and an error reply to the write itself is returned as it is. The failover cases are in
//! `sentinel_client`.

use crate::util::config;
use coredis::prelude::*;
use coredis::types::ListEnd;
use coredis::{cmd, ErrorKind, Redis, ServerCode};
use coredis_test_support::Server;
use std::time::{Duration, Instant};

/// A client of `server` whose writes wait for one replica, at most `wait`.
fn waiting_client(server: &Server, wait: Duration) -> Redis {
    Redis::new(
        config(server)
            .response_timeout(Duration::from_secs(10))
            .wait_for_replicas(1, wait)
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// How many `WAIT`s `server` ran (`INFO commandstats`).
fn waits_run(server: &Server) -> u64 {
    server
        .command(&["INFO", "commandstats"])
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_wait:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn assert_not_replicated<T: std::fmt::Debug>(r: coredis::Result<T>, what: &str) {
    match r {
        Err(e) => assert_eq!(e.kind(), ErrorKind::NotReplicated, "{what}: {e}"),
        Ok(v) => panic!("{what}: returned {v:?} without a replica"),
    }
}

#[test]
fn without_a_replica_every_write_path_fails_with_not_replicated_and_reads_do_not_wait() {
    let server = Server::start();
    let r = waiting_client(&server, Duration::from_millis(50));

    // A single command: it ran on the primary, but the caller is not told "OK".
    let e = r.set("k", "v").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotReplicated, "{e}");
    assert!(e.to_string().contains("only 0 of the 1"), "{e}");
    assert!(
        e.to_string().contains("SET"),
        "the error names the command: {e}"
    );
    let plain = crate::util::connect(&server);
    let v: Option<String> = plain.get("k").unwrap();
    assert_eq!(v.as_deref(), Some("v"), "the write ran on the primary");

    // Reads are not followed by WAIT.
    let before = waits_run(&server);
    for _ in 0..20 {
        let _: Option<String> = r.get("k").unwrap();
    }
    let _: i64 = r.exists("k").unwrap();
    assert_eq!(waits_run(&server), before, "reads sent WAIT");

    // An error reply to the write itself is the result, whatever WAIT says.
    let e = r.lpush("k", "x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");

    // A deferred handle, a command built with cmd(), a script.
    assert_not_replicated(r.deferred().incr("n").wait(), "deferred INCR");
    assert_not_replicated(
        r.execute(cmd("HSET").arg("h").arg("f").arg(1).returns::<i64>()),
        "cmd(HSET)",
    );
    assert_not_replicated(
        r.execute(
            cmd("EVAL")
                .arg("return redis.call('SET', KEYS[1], 'x')")
                .arg(1)
                .arg("s")
                .returns::<String>(),
        ),
        "EVAL",
    );

    // A dedicated connection, and a blocking command (on the pool's connections).
    let d = r.dedicated().unwrap();
    assert_not_replicated(d.set("d", 1), "SET on a dedicated connection");
    let _: i64 = d.exists("d").unwrap();
    drop(d);
    plain.rpush("src", ["a"]).unwrap();
    assert_not_replicated(
        r.blmove::<String>(
            "src",
            "dst",
            ListEnd::Left,
            ListEnd::Right,
            Duration::from_secs(1),
        ),
        "BLMOVE",
    );
    let moved: Vec<String> = plain.lrange("dst", 0, -1).unwrap();
    assert_eq!(moved, ["a"], "the blocking write ran");

    // A pipeline: its writes fail, its reads and its error replies do not.
    let p = r.pipeline();
    let set = p.set("p", 1);
    let get = p.get::<Option<i64>>("p");
    let wrong = p.lpush("k", "x");
    let replies = p.exec().unwrap();
    assert_not_replicated(replies.get(set), "SET in a pipeline");
    assert_eq!(replies.get(get).unwrap(), Some(1));
    let e = replies.get(wrong).unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
    let values = replies.values();
    assert_eq!(
        values[0].as_ref().unwrap_err().kind(),
        ErrorKind::NotReplicated
    );
    assert!(values[1].is_ok());

    // A pipeline of reads only sends no WAIT.
    let before = waits_run(&server);
    let p = r.pipeline();
    let get = p.get::<Option<i64>>("p");
    assert_eq!(p.exec().unwrap().get(get).unwrap(), Some(1));
    assert_eq!(waits_run(&server), before, "a pipeline of reads sent WAIT");

    // A transaction: it ran, but is not reported done.
    let tx = r.transaction();
    let _ = tx.incr("t");
    let _ = tx.incr("t");
    assert_not_replicated(tx.exec(), "a transaction");
    let t: i64 = plain.get("t").unwrap();
    assert_eq!(t, 2, "the transaction ran");

    // The same from a URL.
    let from_url = Redis::from_url(&format!(
        "{}?wait_replicas=1&wait_timeout=0.05",
        server.url()
    ))
    .unwrap();
    assert_not_replicated(from_url.set("u", 1), "SET through a URL-configured client");

    // The WAIT timeout is what the caller waits for, not more.
    let started = Instant::now();
    let _ = r.set("k2", 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a write took {:?} with a 50 ms WAIT",
        started.elapsed()
    );
}

#[test]
fn with_a_live_replica_writes_return_once_the_replica_has_them() {
    let primary = Server::start();
    let replica = Server::start();
    replica.command(&["REPLICAOF", "127.0.0.1", &primary.port().to_string()]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !replica
        .command(&["INFO", "replication"])
        .contains("master_link_status:up")
    {
        assert!(Instant::now() < deadline, "the replica did not connect");
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = waiting_client(&primary, Duration::from_secs(5));
    let on_replica = crate::util::connect(&replica);
    let before = waits_run(&primary);
    for i in 0..100 {
        let k = format!("w:{i}");
        r.set(&k, i).unwrap();
        // The replica acknowledged it: it is there the moment SET returns.
        let got: Option<i64> = on_replica.get(&k).unwrap();
        assert_eq!(got, Some(i), "{k} returned OK but is not on the replica");
    }
    assert!(waits_run(&primary) >= before + 100);

    // Every other path too.
    let n: i64 = r.deferred().incr("n").wait().unwrap();
    assert_eq!(n, 1);
    let p = r.pipeline();
    let sets: Vec<_> = (0..50).map(|i| p.set(format!("p:{i}"), i)).collect();
    p.exec().unwrap().get(sets).unwrap();
    let got: Vec<Option<i64>> = on_replica
        .mget((0..50).map(|i| format!("p:{i}")).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(got, (0..50).map(Some).collect::<Vec<_>>());
    let tx = r.transaction();
    let _ = tx.set("t", "x");
    tx.exec().unwrap();
    let t: Option<String> = on_replica.get("t").unwrap();
    assert_eq!(t.as_deref(), Some("x"));
    r.dedicated().unwrap().set("d", 1).unwrap();
    let d: Option<i64> = on_replica.get("d").unwrap();
    assert_eq!(d, Some(1));
    // The primary stops first: stopping, it waits for its replicas to catch up.
    drop(r);
    drop(primary);
}

#[test]
fn wait_for_replicas_settings_are_checked() {
    for (replicas, wait) in [
        (0, Duration::from_millis(100)),
        (1, Duration::ZERO),
        (1, Duration::from_secs(10)),
    ] {
        let e = coredis::Config::builder()
            .response_timeout(Duration::from_secs(10))
            .wait_for_replicas(replicas, wait)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    }
    let c = coredis::Config::builder()
        .wait_for_replicas(2, Duration::from_millis(100))
        .no_wait_for_replicas()
        .build()
        .unwrap();
    assert_eq!(c.wait_for_replicas(), None);
}
