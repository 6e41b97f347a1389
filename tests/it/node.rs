//! The node layer: blocking commands on dedicated connections (never stalling the shared
//! pipe), the pool of dedicated connections, lazy connecting and closing.

use coredis::prelude::*;
use coredis::{cmd, Config, ErrorKind, Redis, Value};
use coredis_test_support::Server;
use std::time::{Duration, Instant};

/// A client whose connections (shared and dedicated) are named `nodetest`.
fn client(server: &Server, query: &str) -> Redis {
    let query = if query.is_empty() {
        "client_name=nodetest".to_string()
    } else {
        format!("client_name=nodetest&{query}")
    };
    Redis::from_url(&crate::util::url(server, &query)).unwrap()
}

/// How many connections of [`client`]s the server has.
fn connected_clients(server: &Server) -> usize {
    server
        .command(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| l.contains(" name=nodetest "))
        .count()
}

fn wait_for(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ok() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_blocking_command_does_not_stall_other_callers() {
    let server = Server::start();
    // A short response timeout: on the shared pipe, the BLPOP would hold every GET behind it
    // until the pipe was recycled.
    let r = client(&server, "timeout=1");
    let pending = r
        .deferred()
        .execute(cmd("BLPOP").key("queue").arg(0).blocking());
    let started = Instant::now();
    for i in 0..200 {
        r.set("other", i).unwrap();
        let v: i64 = r.get("other").unwrap();
        assert_eq!(v, i);
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "other callers waited behind the BLPOP: {:?}",
        started.elapsed()
    );
    assert!(!pending.is_ready());
    server.command(&["LPUSH", "queue", "job"]);
    let popped: Value = pending.wait().unwrap();
    assert_eq!(
        popped,
        Value::Array(vec![Value::Bulk("queue".into()), Value::Bulk("job".into())])
    );
}

#[test]
fn typed_blpop_waits_for_its_own_timeout_not_the_response_timeout() {
    let server = Server::start();
    let r = client(&server, "timeout=0.3");
    let started = Instant::now();
    let got: Option<(String, String)> = r.blpop(["empty"], Duration::from_secs(1)).unwrap();
    assert_eq!(got, None);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "returned after {took:?}"
    );

    r.deferred()
        .execute(cmd("RPUSH").key("full").arg("a").arg("b"))
        .wait()
        .unwrap();
    let got: Option<(String, String)> = r.brpop(["empty", "full"], Duration::ZERO).unwrap();
    assert_eq!(got, Some(("full".to_string(), "b".to_string())));
    let h = r
        .deferred()
        .blpop::<String, String>(["full"], Duration::from_secs(5));
    assert_eq!(
        h.wait().unwrap(),
        Some(("full".to_string(), "a".to_string()))
    );
}

#[test]
fn a_blocking_command_past_its_deadline_times_out() {
    let server = Server::start();
    let r = client(&server, "timeout=0.3");
    // The server blocks for 5 s, but the client was told 0.2 s (+ the response timeout).
    let started = Instant::now();
    let e = r
        .execute(
            cmd("BLPOP")
                .key("never")
                .arg(5)
                .blocking_for(Duration::from_millis(200)),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert_eq!(e.command(), Some("BLPOP"));
    assert!(started.elapsed() < Duration::from_secs(4));
    // The connection that still owed the reply was closed, not reused.
    wait_for(
        "the abandoned connection to close",
        Duration::from_secs(5),
        || connected_clients(&server) == 1,
    );
    r.ping().unwrap();
}

#[test]
fn dropping_a_pending_blocking_handle_closes_its_connection() {
    let server = Server::start();
    let r = client(&server, "");
    r.ping().unwrap();
    let h = r
        .deferred()
        .execute(cmd("BLPOP").key("q").arg(0).blocking());
    wait_for("the dedicated connection", Duration::from_secs(5), || {
        connected_clients(&server) == 2
    });
    drop(h);
    wait_for(
        "the dropped BLPOP's connection to close",
        Duration::from_secs(5),
        || connected_clients(&server) == 1,
    );
    // Nothing is popped by a blocking command nobody waits for any more.
    server.command(&["LPUSH", "q", "kept"]);
    assert_eq!(server.command(&["LLEN", "q"]), "1");
    r.ping().unwrap();
}

#[test]
fn dedicated_connections_are_reused_when_clean_and_closed_when_changed() {
    let server = Server::start();
    let r = client(&server, "");
    let id =
        |c: &coredis::Dedicated| -> i64 { c.execute(cmd("CLIENT").arg("ID").returns()).unwrap() };
    let first = {
        let c = r.dedicated().unwrap();
        id(&c)
    };
    let again = {
        let c = r.dedicated().unwrap();
        id(&c)
    };
    assert_eq!(first, again, "a clean connection goes back to the pool");

    {
        let c = r.dedicated().unwrap();
        c.select(3).unwrap();
        c.set("in-db-3", 1).unwrap();
    }
    let c = r.dedicated().unwrap();
    assert_ne!(id(&c), again, "a connection that ran SELECT is not reused");
    let v: Option<i64> = c.get("in-db-3").unwrap();
    assert_eq!(
        v, None,
        "the new dedicated connection is on the configured database"
    );
    assert_eq!(server.command(&["SELECT", "3"]), "OK");
}

#[test]
fn a_dedicated_connection_closed_by_the_server_is_not_handed_out() {
    let server = Server::start();
    let r = client(&server, "");
    let first = {
        let c = r.dedicated().unwrap();
        c.execute(cmd("CLIENT").arg("ID").returns::<i64>()).unwrap()
    };
    server.command(&["CLIENT", "KILL", "ID", &first.to_string()]);
    let c = r.dedicated().unwrap();
    let second: i64 = c.execute(cmd("CLIENT").arg("ID").returns()).unwrap();
    assert_ne!(first, second);
}

#[test]
fn the_dedicated_pool_is_bounded() {
    let server = Server::start();
    let r = client(&server, "timeout=0.5");
    let held: Vec<_> = (0..16).map(|_| r.dedicated().unwrap()).collect();
    let started = Instant::now();
    let e = r.dedicated().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(started.elapsed() >= Duration::from_millis(400));
    // A blocking command waits for a free connection too.
    let e = r
        .blpop::<String, String>(["q"], Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    drop(held);
    let got: Option<(String, String)> = r.blpop(["q"], Duration::from_millis(100)).unwrap();
    assert_eq!(got, None);
}

#[test]
fn lazy_clients_connect_in_the_background() {
    let mut server = Server::start();
    let port = server.port();
    server.kill();
    let config = Config::from_url(&format!("redis://127.0.0.1:{port}?timeout=0.3")).unwrap();
    assert!(Redis::new(config.clone()).is_err(), "eager connect fails");
    let r = Redis::new_lazy(config).unwrap();
    let e = r.ping().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        std::error::Error::source(&e).is_some(),
        "the connection error is the cause: {e:?}"
    );
    server.restart();
    wait_for(
        "the lazy client to connect",
        Duration::from_secs(10),
        || r.ping().is_ok(),
    );
    r.set("k", 1).unwrap();
}

#[test]
fn close_finishes_in_flight_commands_then_refuses() {
    let server = Server::start();
    let r = client(&server, "");
    let h = r.deferred().execute(cmd("DEBUG").arg("SLEEP").arg("0.2"));
    let clone = r.clone();
    let started = Instant::now();
    r.close();
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "close waits for in-flight commands"
    );
    assert_eq!(h.wait().unwrap(), Value::SimpleString("OK".into()));
    let e = clone.ping().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    let e = clone.dedicated().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    assert_eq!(
        connected_clients(&server),
        0,
        "close returns once the connection is closed"
    );
}

#[test]
fn a_dedicated_connection_that_timed_out_never_hands_out_the_late_reply() {
    let server = Server::start();
    let r = client(&server, "timeout=0.2");
    let c = r.dedicated().unwrap();
    let e = c.execute(cmd("DEBUG").arg("SLEEP").arg("0.5")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    std::thread::sleep(Duration::from_millis(600));
    // The late "OK" is never taken for the next command's reply.
    let e = c.echo::<String>("next").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    drop(c);
    let c = r.dedicated().unwrap();
    assert_eq!(c.echo::<String>("fresh").unwrap(), "fresh");
}

/// A client with `n` shared connections, named `nodetest`.
fn spread_client(server: &Server, n: usize) -> Redis {
    let config = crate::util::config(server)
        .client_name("nodetest")
        .shared_connections(n)
        .build()
        .unwrap();
    Redis::new(config).unwrap()
}

#[test]
fn shared_connections_spread_threads_and_keep_each_threads_order() {
    let server = Server::start();
    let r = spread_client(&server, 3);
    assert_eq!(
        connected_clients(&server),
        3,
        "one connection per shared pipe"
    );
    // Every thread's commands stay in order: a write followed by a handle's read of it, on
    // whichever connection the thread uses, and no reply goes to another caller.
    std::thread::scope(|s| {
        for t in 0..6 {
            let r = &r;
            s.spawn(move || {
                let key = format!("spread:{t}");
                for i in 0..300 {
                    let set = r.deferred().set(&key, i);
                    let get = r.deferred().get::<i64>(&key);
                    set.wait().unwrap();
                    assert_eq!(get.wait().unwrap(), i, "thread {t} read out of order");
                }
            });
        }
    });
    crate::util::hammer(&r, 6, 200, "spread");
    // The threads used more than one connection: the server served commands on each.
    let busy = server
        .command(&["CLIENT", "LIST"])
        .lines()
        .filter(|l| l.contains(" name=nodetest "))
        .filter(|l| !l.contains(" cmd=client|setname ") && !l.contains(" cmd=hello "))
        .count();
    assert!(
        busy >= 2,
        "the threads were not spread: {busy} busy connection(s)"
    );
    r.close();
    wait_for("the connections to close", Duration::from_secs(10), || {
        connected_clients(&server) == 0
    });
}

#[test]
fn shared_connections_reconnect_each_on_their_own() {
    let server = Server::start();
    let r = spread_client(&server, 2);
    r.ping().unwrap();
    server.command(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
    assert_eq!(connected_clients(&server), 0);
    // Both connections were killed while idle: the threads' next commands find that out and
    // go out on new connections, one per pipe.
    crate::util::hammer(&r, 4, 50, "respread");
    assert_eq!(connected_clients(&server), 2);
}

#[test]
fn shared_connections_are_checked() {
    let build = |n: usize| Config::builder().shared_connections(n).build();
    for bad in [0, 65] {
        let e = build(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("shared_connections"), "{e}");
    }
    assert_eq!(build(64).unwrap().shared_connections(), 64);
    let e = Config::builder()
        .shared_connections(2)
        .cache(coredis::CacheConfig::default())
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("caching"), "{e}");
}
