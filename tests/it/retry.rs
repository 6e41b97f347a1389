//! The retry policy against live servers: one test per rule of `coredis::retry` — refusals
//! (`LOADING` from `DEBUG RELOAD` with a slowed-down load, `BUSY` from a long script,
//! `MASTERDOWN` from a stale replica, `CLUSTERDOWN` from a cluster node without slots), a
//! connection cut after the request was written (may have run) and before it was written (not
//! sent), for `Never`, `ReadOnly` and `Always` with a read and a write (`INCR`, whose counter
//! is checked), the back-off's lower bounds, the attempts cap, the deadline, and the per-call
//! override. Timing assertions are lower bounds, or generous upper bounds only.

use crate::util::protocol;
use coredis::prelude::*;
use coredis::{Addr, Backoff, Config, ErrorKind, Handle, Redis, RetryPolicy, ServerCode};
use coredis_test_support::{Proxy, Server};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Scheduling slack on a loaded machine.
const SLACK: Duration = Duration::from_secs(3);

/// A back-off that keeps trying for several seconds (a condition that ends by itself).
fn patient() -> Backoff {
    Backoff::new()
        .with_base(Duration::from_millis(20))
        .with_cap(Duration::from_millis(200))
        .with_max_attempts(200)
}

/// A client of `port` with `policy`, `backoff` and a response timeout.
fn client(port: u16, policy: RetryPolicy, backoff: Backoff, timeout: Duration) -> Redis {
    let config = Config::builder()
        .addr(Addr::tcp("127.0.0.1", port))
        .protocol_version(protocol())
        .response_timeout(timeout)
        .retry(policy)
        .retry_backoff(backoff)
        .build()
        .expect("config");
    Redis::new(config).expect("connect")
}

/// A client with the default back-off and a 10 s response timeout.
fn with_policy(port: u16, policy: RetryPolicy) -> Redis {
    client(port, policy, patient(), Duration::from_secs(10))
}

/// A client without retries and with `timeout`, for setting the stage.
fn admin(port: u16, timeout: Duration) -> Redis {
    client(port, RetryPolicy::Never, Backoff::new(), timeout)
}

/// Runs `cmd` on `port` after `ms`, on a thread of its own.
fn after(
    port: u16,
    ms: u64,
    cmd: coredis::Cmd<coredis::Value>,
) -> JoinHandle<coredis::Result<coredis::Value>> {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        admin(port, Duration::from_secs(5)).execute(cmd)
    })
}

/// The first error of `GET key` on `r` (polled until the server starts refusing).
fn first_error(r: &Redis, key: &str) -> coredis::Error {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        match r.get::<Option<String>>(key) {
            Err(e) => return e,
            Ok(_) => {
                assert!(Instant::now() < until, "GET {key} never failed");
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// Runs a script on its own connection that keeps the server busy for `ms`, and waits until
/// other clients get `BUSY`.
fn busy_for(server: &Server, ms: u64) -> JoinHandle<()> {
    server.command(&["CONFIG", "SET", "lua-time-limit", "50"]);
    let port = server.port();
    let script = "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] \
                  while true do local n = redis.call('TIME') \
                  if n[1] * 1000000 + n[2] - s > tonumber(ARGV[1]) then break end end return 1";
    let runner = admin(port, Duration::from_secs(30));
    let h = std::thread::spawn(move || {
        let _: i64 = runner
            .eval(script, (), ms * 1000)
            .expect("the busy script runs");
    });
    let probe = admin(port, Duration::from_secs(10));
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        // Keyless: a cluster node would answer MOVED for a key it does not own.
        match probe.execute(coredis::cmd("PING").returns::<String>()) {
            Err(e) if e.server_code() == Some(ServerCode::Busy) => return h,
            _ => {}
        }
        assert!(Instant::now() < until, "the server never answered BUSY");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn loading_is_retried_under_read_only_and_not_under_never() {
    let server = Server::start();
    // A slowed-down load (50 µs a key) of 20,000 keys of 256 bytes: about a second, during
    // which the server answers LOADING. It answers between keys every 1 KiB read (where that
    // is configurable, 7.0 on) or every 2 MiB (6.2): the 5 MB file has both.
    assert_eq!(
        server.command(&["CONFIG", "SET", "key-load-delay", "50"]),
        "OK"
    );
    // Uncompressed, or the zero-padded values shrink the file under 2 MiB.
    assert_eq!(
        server.command(&["CONFIG", "SET", "rdbcompression", "no"]),
        "OK"
    );
    let _ = server.command(&[
        "CONFIG",
        "SET",
        "loading-process-events-interval-bytes",
        "1024",
    ]);
    assert_eq!(
        server.command(&["DEBUG", "POPULATE", "20000", "key", "256"]),
        "OK"
    );
    let never = with_policy(server.port(), RetryPolicy::Never);
    let read_only = with_policy(server.port(), RetryPolicy::ReadOnly);
    let admin = admin(server.port(), Duration::from_secs(60));
    let reload = std::thread::spawn(move || admin.execute(coredis::cmd("DEBUG").arg("RELOAD")));
    // Until the load begins, GET answers; then LOADING until it ends.
    let refused = first_error(&never, "key:1");
    assert_eq!(
        refused.server_code(),
        Some(ServerCode::Loading),
        "{refused}"
    );
    let v: Option<String> = read_only.get("key:1").expect("retried until loaded");
    // DEBUG POPULATE pads the value with zero bytes up to the size asked for.
    let v = v.expect("key:1 exists");
    assert!(v.starts_with("value:1\0"), "{v:?}");
    reload.join().expect("join").expect("DEBUG RELOAD");
}

#[test]
fn busy_is_retried_for_reads_under_read_only_and_for_writes_under_always() {
    let server = Server::start();
    let read_only = with_policy(server.port(), RetryPolicy::ReadOnly);
    let always = with_policy(server.port(), RetryPolicy::Always);
    let never = with_policy(server.port(), RetryPolicy::Never);
    server.command(&["SET", "k", "v"]);

    let script = busy_for(&server, 1200);
    let e = never.get::<String>("k").unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Busy), "{e}");
    // A write refused with BUSY is not retried under ReadOnly…
    let e = read_only.incr("n").unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Busy), "{e}");
    // … a read is, until the script ends.
    assert_eq!(read_only.get::<String>("k").expect("read retried"), "v");
    script.join().expect("script");

    let script = busy_for(&server, 800);
    let n: i64 = always.incr("n").expect("write retried under Always");
    assert_eq!(
        n, 1,
        "the refused INCR did not run, the retried one did once"
    );
    script.join().expect("script");
    assert_eq!(server.command(&["GET", "n"]), "1");
}

#[test]
fn masterdown_is_retried_until_the_replica_serves_again() {
    let server = Server::start();
    server.command(&["SET", "k", "v"]);
    server.command(&["CONFIG", "SET", "replica-serve-stale-data", "no"]);
    // A primary that is not there: the replica answers MASTERDOWN to reads.
    let nowhere = coredis_test_support::server::free_port().to_string();
    assert_eq!(server.command(&["REPLICAOF", "127.0.0.1", &nowhere]), "OK");
    let never = with_policy(server.port(), RetryPolicy::Never);
    let read_only = with_policy(server.port(), RetryPolicy::ReadOnly);
    let e = first_error(&never, "k");
    assert_eq!(e.server_code(), Some(ServerCode::MasterDown), "{e}");
    let port = server.port();
    let fix = after(port, 300, coredis::cmd("REPLICAOF").arg("NO").arg("ONE"));
    let started = Instant::now();
    let v: String = read_only.get("k").expect("retried until served");
    assert_eq!(v, "v");
    assert!(started.elapsed() >= Duration::from_millis(250));
    fix.join().expect("join").expect("REPLICAOF NO ONE");
}

#[test]
fn clusterdown_is_retried_on_a_plain_client() {
    // A cluster node serving no slot answers CLUSTERDOWN; once it serves them all, it answers.
    let server = Server::builder().cluster_enabled(true).start();
    let never = with_policy(server.port(), RetryPolicy::Never);
    let always = with_policy(server.port(), RetryPolicy::Always);
    let e = never.incr("n").unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::ClusterDown), "{e}");
    let port = server.port();
    let fix = after(
        port,
        300,
        // ADDSLOTS (not ADDSLOTSRANGE, 7.0+), so that the test runs on 6.2 too.
        coredis::cmd("CLUSTER")
            .arg("ADDSLOTS")
            .args((0..16384).collect::<Vec<i64>>()),
    );
    // A refusal is retried for writes too: the command did not run.
    let read_only = with_policy(server.port(), RetryPolicy::ReadOnly);
    let n: i64 = read_only
        .incr("n")
        .expect("retried until the slots are served");
    assert_eq!(n, 1);
    fix.join().expect("join").expect("ADDSLOTS");
    assert_eq!(always.incr("n").expect("incr"), 2);
}

/// Waits until `r`'s shared connection is up (after a cut, it reconnects in the background).
fn connected(r: &Redis) {
    let r = r.with_retry(RetryPolicy::Never);
    let until = Instant::now() + Duration::from_secs(10);
    while let Err(e) = r.execute(coredis::cmd("PING").returns::<String>()) {
        assert!(Instant::now() < until, "not connected again: {e}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A server with a proxy in front; `policy` clients connect through the proxy.
struct Cut {
    proxy: Proxy,
    server: Server,
}

impl Cut {
    fn new() -> Cut {
        let server = Server::start();
        let proxy = Proxy::start(&server.addr());
        Cut { proxy, server }
    }

    fn client(&self, policy: RetryPolicy) -> Redis {
        with_policy(self.proxy.port(), policy)
    }

    /// Runs `f` (a call through `r`) with the next reply cut off: the request reaches the
    /// server and runs, its reply never comes back (the connection is closed). `r` is
    /// connected first, so that the cut does not hit its handshake.
    fn reply_lost<T>(&self, r: &Redis, f: impl FnOnce() -> T) -> T {
        connected(r);
        // The proxy counts a cut after delivering bytes: let the pump that delivered the PING's
        // reply finish with it first, or it would take the cut for its own connection.
        std::thread::sleep(Duration::from_millis(100));
        self.proxy.cut_after(Some(0));
        let out = f();
        self.proxy.cut_after(None);
        out
    }

    fn counter(&self, key: &str) -> String {
        self.server.command(&["GET", key])
    }
}

#[test]
fn a_lost_reply_is_retried_for_reads_under_read_only_and_for_everything_under_always() {
    let cut = Cut::new();
    cut.server.command(&["SET", "k", "v"]);
    let (never, read_only, always) = (
        cut.client(RetryPolicy::Never),
        cut.client(RetryPolicy::ReadOnly),
        cut.client(RetryPolicy::Always),
    );

    // Never: nothing is retried; the INCR ran once.
    let e = cut.reply_lost(&never, || never.incr("never")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    assert!(!e.was_not_sent(), "it was sent: {e}");
    assert_eq!(cut.counter("never"), "1");
    let e = cut
        .reply_lost(&never, || never.get::<String>("k"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");

    // ReadOnly: the write may have run, so it is not sent again (the counter says 1); the
    // read is.
    let e = cut
        .reply_lost(&read_only, || read_only.incr("ro"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    assert_eq!(cut.counter("ro"), "1");
    let v: String = cut
        .reply_lost(&read_only, || read_only.get("k"))
        .expect("read retried");
    assert_eq!(v, "v");

    // Always: the write is sent again, and runs twice.
    let n: i64 = cut
        .reply_lost(&always, || always.incr("always"))
        .expect("write retried");
    assert_eq!(n, 2, "the lost INCR ran, then the retried one");
    assert_eq!(cut.counter("always"), "2");
    let v: String = cut
        .reply_lost(&always, || always.get("k"))
        .expect("read retried");
    assert_eq!(v, "v");
}

#[test]
fn a_request_not_yet_written_when_the_connection_dies_is_retried_under_read_only() {
    let cut = Cut::new();
    let never = cut.client(RetryPolicy::Never);
    let read_only = cut.client(RetryPolicy::ReadOnly);
    // Four INCRs in flight (held by the stalled proxy) make the fifth wait in the client's
    // queue for the reader's next flush; the connection is killed before that flush (the
    // reader flushes every 100 ms at the latest: when it wins the race, try again).
    let scenario = |r: &Redis, key: &str| {
        connected(r);
        cut.proxy.stall(true);
        let d = r.deferred();
        let in_flight: Vec<_> = (0..4).map(|_| d.incr(key)).collect();
        std::thread::sleep(Duration::from_millis(30));
        let queued = d.incr(key);
        cut.proxy.kill_all();
        cut.proxy.stall(false);
        let in_flight: Vec<_> = in_flight.into_iter().map(Handle::wait).collect();
        (in_flight, queued.wait())
    };
    let mut saw_never = false;
    let mut saw_read_only = false;
    for round in 0..6 {
        if !saw_never {
            let (in_flight, queued) = scenario(&never, &format!("never:{round}"));
            for r in &in_flight {
                let e = r.as_ref().unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
            }
            match queued {
                Err(e) if e.was_not_sent() => {
                    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
                    saw_never = true;
                }
                other => eprintln!("round {round}: the queued INCR was flushed: {other:?}"),
            }
        }
        if !saw_read_only {
            let key = format!("ro:{round}");
            let (in_flight, queued) = scenario(&read_only, &key);
            // The four were written: they may have run, so INCR is not sent again.
            for r in &in_flight {
                let e = r.as_ref().unwrap_err();
                assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
                assert!(!e.was_not_sent(), "{e}");
            }
            match queued {
                Ok(n) => {
                    // Not sent, so sent again on the new connection: it ran once.
                    assert_eq!(n, 1);
                    assert_eq!(cut.counter(&key), "1");
                    saw_read_only = true;
                }
                Err(e) => {
                    assert!(!e.was_not_sent(), "a not-sent INCR must be retried: {e}");
                    eprintln!("round {round}: the queued INCR was flushed: {e}");
                }
            }
        }
        if saw_never && saw_read_only {
            return;
        }
    }
    panic!("the queued request was always flushed before the kill (never: {saw_never}, read-only: {saw_read_only})");
}

#[test]
fn the_back_off_waits_at_least_its_delays_and_stops_at_max_attempts() {
    let server = Server::start();
    let exact = Backoff::new()
        .with_base(Duration::from_millis(100))
        .with_cap(Duration::from_secs(1))
        .with_max_attempts(3)
        .with_jitter(false);
    let jittered = exact.with_jitter(true);
    let r = client(
        server.port(),
        RetryPolicy::Always,
        exact,
        Duration::from_secs(20),
    );
    let j = client(
        server.port(),
        RetryPolicy::Always,
        jittered,
        Duration::from_secs(20),
    );
    let script = busy_for(&server, 3000);
    // Three attempts, pauses of 100 and 200 ms: BUSY after at least 300 ms, long before the
    // script ends (more attempts would have outlasted it).
    let started = Instant::now();
    let e = r.get::<Option<String>>("k").unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.server_code(), Some(ServerCode::Busy), "{e}");
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // With jitter, each pause is at least half its delay.
    let started = Instant::now();
    let e = j.get::<Option<String>>("k").unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.server_code(), Some(ServerCode::Busy), "{e}");
    assert!(took >= Duration::from_millis(150), "{took:?}");
    script.join().expect("script");
}

#[test]
fn retries_stop_at_the_response_timeout() {
    let server = Server::start();
    let timeout = Duration::from_millis(600);
    let r = client(server.port(), RetryPolicy::Always, patient(), timeout);
    let script = busy_for(&server, 3000);
    // The last refusal; or, when the last attempt's reply did not come in time, a timeout (or
    // `Closed`, when the pipe gave up on the stuck connection first): what matters is when.
    let bounded = |started: Instant, e: coredis::Error| {
        let took = started.elapsed();
        assert!(took < timeout + SLACK, "{took:?}: {e}");
        assert!(
            e.server_code() == Some(ServerCode::Busy)
                || e.is_timeout()
                || e.kind() == ErrorKind::Closed,
            "{e}"
        );
    };
    let started = Instant::now();
    bounded(started, r.get::<Option<String>>("k").unwrap_err());
    // Deferred handles keep the same bound.
    let started = Instant::now();
    let h = r.deferred().get::<Option<String>>("k");
    bounded(started, h.wait().unwrap_err());
    script.join().expect("script");
}

#[test]
fn the_policy_can_be_set_per_call() {
    let cut = Cut::new();
    cut.server.command(&["SET", "k", "v"]);
    let never = cut.client(RetryPolicy::Never);
    assert_eq!(never.retry_policy(), RetryPolicy::Never);
    let v: String = cut
        .reply_lost(&never, || never.with_retry(RetryPolicy::ReadOnly).get("k"))
        .expect("this call retries");
    assert_eq!(v, "v");
    // Deferred handles of the view too.
    let h = cut.reply_lost(&never, || {
        let h = never
            .with_retry(RetryPolicy::ReadOnly)
            .deferred()
            .get::<String>("k");
        // The handle is collected while the cut is armed: its first reply is lost.
        h.wait()
    });
    assert_eq!(h.expect("handle retries"), "v");
    // The client itself still does not.
    let e = cut
        .reply_lost(&never, || never.get::<String>("k"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    // And the other way round: a retrying client, one call without.
    let always = cut.client(RetryPolicy::Always);
    let e = cut
        .reply_lost(&always, || always.with_retry(RetryPolicy::Never).incr("n"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    assert_eq!(cut.counter("n"), "1");
}

/// A cluster client of `cluster` whose nodes' configuration has `policy`.
fn cluster_client(
    cluster: &coredis_test_support::Cluster,
    policy: RetryPolicy,
) -> coredis::RedisCluster {
    let nodes: Vec<Addr> = cluster
        .addrs()
        .iter()
        .map(|a| a.parse().expect("addr"))
        .collect();
    let config = coredis::ClusterConfig::builder()
        .nodes(nodes)
        .node_config(
            Config::builder()
                .protocol_version(protocol())
                .retry(policy)
                .retry_backoff(patient())
                .build()
                .expect("config"),
        )
        .build()
        .expect("cluster config");
    coredis::RedisCluster::new(config).expect("cluster")
}

#[test]
fn a_cluster_client_retries_busy_per_policy_and_routes_the_retry_by_slot() {
    let cluster = coredis_test_support::Cluster::start(3, 0);
    let c = cluster_client(&cluster, RetryPolicy::Never);
    assert_eq!(c.retry_policy(), RetryPolicy::Never);
    let key = "busy:{retry}";
    c.set(key, "v").expect("set");
    let owner = cluster.node(cluster.key_owner(key.as_bytes()));

    let script = busy_for(owner, 1200);
    let e = c.get::<String>(key).unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Busy), "{e}");
    let e = c
        .with_retry(RetryPolicy::ReadOnly)
        .incr("n:{retry}")
        .unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Busy), "{e}");
    let v: String = c
        .with_retry(RetryPolicy::ReadOnly)
        .get(key)
        .expect("a read is retried");
    assert_eq!(v, "v");
    script.join().expect("script");

    let script = busy_for(owner, 800);
    let h = c
        .with_retry(RetryPolicy::Always)
        .deferred()
        .incr("n:{retry}");
    assert_eq!(h.wait().expect("a write is retried under Always"), 1);
    script.join().expect("script");
}

#[test]
fn a_cluster_client_retries_a_lost_write_only_under_always_and_routes_it_again() {
    let cluster = coredis_test_support::Cluster::start(3, 0);
    let c = cluster_client(&cluster, RetryPolicy::ReadOnly);
    assert_eq!(c.retry_policy(), RetryPolicy::ReadOnly);
    let key = "lost:{retry}";
    c.set(key, 0).expect("set");
    let owner = cluster.node(cluster.key_owner(key.as_bytes()));
    // Writes wait on the owner (reads go on); the client's connection is killed meanwhile,
    // so the INCR fails without a reply: for the client it may have run.
    let lose = |policy: RetryPolicy| {
        assert_eq!(owner.command(&["CLIENT", "PAUSE", "3000", "WRITE"]), "OK");
        let h = c.with_retry(policy).deferred().incr(key);
        std::thread::sleep(Duration::from_millis(200));
        owner.command(&["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
        let unpause = std::thread::spawn({
            let port = owner.port();
            move || {
                std::thread::sleep(Duration::from_millis(300));
                admin(port, Duration::from_secs(5)).execute(coredis::cmd("CLIENT").arg("UNPAUSE"))
            }
        });
        let result = h.wait();
        unpause.join().expect("join").expect("CLIENT UNPAUSE");
        result
    };
    let e = lose(RetryPolicy::ReadOnly).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    assert_eq!(
        owner.command(&["GET", key]),
        "0",
        "the killed INCR did not run"
    );
    let n = lose(RetryPolicy::Always).expect("retried on a new connection");
    assert_eq!(n, 1, "sent again once the connection was back");
    assert_eq!(owner.command(&["GET", key]), "1");
}
