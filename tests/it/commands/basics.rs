//! The first typed commands against a real server, over RESP3 and RESP2 (both in every run).

use crate::util::clients;
use coredis::prelude::*;
use coredis::{cmd, Cmd, ErrorKind, ExpireCondition, FlushMode, SetOptions, Value};
use coredis_test_support::{self as support, Server};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

#[test]
fn ping_echo_get_set() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        assert_eq!(r.ping().unwrap(), "PONG", "RESP{p}");
        let e: String = r.echo("héllo").unwrap();
        assert_eq!(e, "héllo");
        let raw: Vec<u8> = r.echo(&b"\x00\xff"[..]).unwrap();
        assert_eq!(raw, b"\x00\xff");
        r.set("k", 41).unwrap();
        let v: i64 = r.get("k").unwrap();
        assert_eq!(v, 41);
        let missing: Option<String> = r.get("nope").unwrap();
        assert_eq!(missing, None);
        let err = r.get::<String>("nope").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Type, "RESP{p}: {err}");
        assert_eq!(err.command(), Some("GET"));
        assert!(err.to_string().contains("nil"), "{err}");
        let big = vec![b'x'; 3 * 1024 * 1024];
        r.set("big", &big[..]).unwrap();
        let back: Vec<u8> = r.get("big").unwrap();
        assert_eq!(back.len(), big.len());
        assert!(back == big);
    }
}

#[test]
fn set_options_every_one() {
    let server = Server::start();
    let (major, _) = support::server_major_minor();
    for (p, r) in clients(&server) {
        r.del(["s"]).unwrap();
        assert!(
            r.set_with("s", "a", SetOptions::new().nx()).unwrap(),
            "RESP{p}"
        );
        assert!(!r.set_with("s", "b", SetOptions::new().nx()).unwrap());
        assert!(r.set_with("s", "c", SetOptions::new().xx()).unwrap());
        assert!(!r.set_with("absent", "c", SetOptions::new().xx()).unwrap());
        assert_eq!(r.get::<String>("s").unwrap(), "c");

        assert!(r
            .set_with("s", "d", SetOptions::new().ex(Duration::from_secs(100)))
            .unwrap());
        let ttl = r.ttl("s").unwrap();
        assert!(
            (90..=100).contains(&ttl),
            "EX gives a ttl of ~100 s, got {ttl}"
        );
        assert!(r
            .set_with(
                "s",
                "e",
                SetOptions::new().px(Duration::from_millis(50_000))
            )
            .unwrap());
        let pttl = r.pttl("s").unwrap();
        assert!((40_000..=50_000).contains(&pttl), "PX: {pttl}");
        assert!(r.set_with("s", "f", SetOptions::new().keepttl()).unwrap());
        assert!(r.pttl("s").unwrap() > 40_000, "KEEPTTL keeps it");
        r.set("s", "g").unwrap();
        assert_eq!(r.ttl("s").unwrap(), -1, "a plain SET clears the ttl");

        assert!(r
            .set_with(
                "s",
                "h",
                SetOptions::new().exat(SystemTime::now() + Duration::from_secs(200))
            )
            .unwrap());
        assert!((190..=201).contains(&r.ttl("s").unwrap()));
        assert!(r
            .set_with(
                "s",
                "i",
                SetOptions::new().pxat(SystemTime::now() + Duration::from_secs(300))
            )
            .unwrap());
        assert!((290..=300).contains(&r.ttl("s").unwrap()));

        let old: Option<String> = r.set_get("s", "j", SetOptions::new()).unwrap();
        assert_eq!(old.as_deref(), Some("i"));
        let old: Option<String> = r
            .set_get("fresh", "v", SetOptions::new().ex(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(old, None);
        if major >= 7 {
            let old: Option<String> = r.set_get("s", "k", SetOptions::new().nx()).unwrap();
            assert_eq!(
                old.as_deref(),
                Some("j"),
                "NX GET returns the old value, sets nothing"
            );
            assert_eq!(r.get::<String>("s").unwrap(), "j");
        }
        r.del(["s", "fresh"]).unwrap();
    }
}

#[test]
fn counters_and_keys() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushdb().unwrap();
        assert_eq!(r.incr("n").unwrap(), 1, "RESP{p}");
        assert_eq!(r.incrby("n", 100).unwrap(), 101);
        assert_eq!(r.decr("n").unwrap(), 100);
        assert_eq!(r.decrby("n", 50).unwrap(), 50);
        assert_eq!(r.incrby("n", -60).unwrap(), -10);
        r.set("text", "abc").unwrap();
        let err = r.incr("text").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Server);
        assert_eq!(err.code(), Some("ERR"));
        assert_eq!(err.command(), Some("INCR"));
        assert!(err.node().is_some(), "errors name the node: {err}");

        r.mset([("a", "1"), ("b", "2"), ("c", "3")]).unwrap();
        let vs: Vec<Option<i64>> = r.mget(["a", "zz", "c"]).unwrap();
        assert_eq!(vs, vec![Some(1), None, Some(3)]);
        assert_eq!(r.exists(["a", "b", "zz", "a"]).unwrap(), 3);
        assert_eq!(r.dbsize().unwrap(), 5);
        assert_eq!(r.del(["a", "b", "zz"]).unwrap(), 2);
        assert_eq!(r.exists(["a"]).unwrap(), 0);

        let err = r.get::<i64>("nope").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Type);
        r.set("list-like", "x").unwrap();
        assert_eq!(
            r.execute(cmd("LPUSH").key("list-like").arg("v"))
                .unwrap_err()
                .code(),
            Some("WRONGTYPE")
        );
    }
}

#[test]
fn expire_and_ttl() {
    let server = Server::start();
    let (major, _) = support::server_major_minor();
    for (p, r) in clients(&server) {
        r.flushdb_with(FlushMode::Sync).unwrap();
        assert!(
            !r.expire("missing", Duration::from_secs(10)).unwrap(),
            "RESP{p}"
        );
        assert_eq!(r.ttl("missing").unwrap(), -2);
        assert_eq!(r.pttl("missing").unwrap(), -2);
        r.set("e", 1).unwrap();
        assert_eq!(r.ttl("e").unwrap(), -1);
        assert!(r.expire("e", Duration::from_secs(100)).unwrap());
        assert!((99..=100).contains(&r.ttl("e").unwrap()));
        if major >= 7 {
            assert!(!r
                .expire_with("e", Duration::from_secs(50), ExpireCondition::Nx)
                .unwrap());
            assert!(!r
                .expire_with("e", Duration::from_secs(50), ExpireCondition::Gt)
                .unwrap());
            assert!(r
                .expire_with("e", Duration::from_secs(50), ExpireCondition::Lt)
                .unwrap());
            assert!(r.ttl("e").unwrap() <= 50);
            assert!(r
                .expire_with("e", Duration::from_secs(500), ExpireCondition::Gt)
                .unwrap());
            assert!(r
                .expire_with("e", Duration::from_secs(60), ExpireCondition::Xx)
                .unwrap());
            r.set("noexp", 1).unwrap();
            assert!(!r
                .expire_with("noexp", Duration::from_secs(60), ExpireCondition::Xx)
                .unwrap());
            assert!(r
                .expire_with("noexp", Duration::from_secs(60), ExpireCondition::Nx)
                .unwrap());
        }
        r.set("short", 1).unwrap();
        assert!(r.expire("short", Duration::from_secs(1)).unwrap());
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(r.exists(["short"]).unwrap(), 0);
    }
}

#[test]
fn server_commands_and_info() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.set("x", 1).unwrap();
        r.flushall().unwrap();
        assert_eq!(r.dbsize().unwrap(), 0, "RESP{p}");
        r.set("x", 1).unwrap();
        r.flushall_with(FlushMode::Async).unwrap();
        assert_eq!(r.dbsize().unwrap(), 0);
        let info = r.info().unwrap();
        let version = info.get("redis_version").expect("redis_version in INFO");
        assert!(!version.is_empty());
        assert!(info.section("server").is_some());
        let info = r.info_sections(["clients"]).unwrap();
        assert!(info.get("connected_clients").is_some());
        assert!(info.section("memory").is_none());
    }
}

#[test]
fn escape_hatch_and_typed_replies() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.del(["h"]).unwrap();
        let n: i64 = r
            .execute(cmd("HSET").key("h").args(["f1", "1", "f2", "2"]).returns())
            .unwrap();
        assert_eq!(n, 2, "RESP{p}");
        let m: HashMap<String, i64> = r.execute(cmd("HGETALL").key("h").returns()).unwrap();
        assert_eq!(m.get("f2"), Some(&2));
        // Pair-shaped replies give the same Vec<(K, V)> over RESP2 and RESP3 (a map, an array
        // of pairs, a flat array).
        let mut fields: Vec<(String, i64)> = r.execute(cmd("HGETALL").key("h").returns()).unwrap();
        fields.sort();
        assert_eq!(fields, [("f1".into(), 1), ("f2".into(), 2)], "RESP{p}");
        r.execute(cmd("ZADD").key("z").args(["1.5", "a", "2", "b"]))
            .unwrap();
        let scored: Vec<(String, f64)> = r
            .execute(
                cmd("ZRANGE")
                    .key("z")
                    .args(["0", "-1", "WITHSCORES"])
                    .returns(),
            )
            .unwrap();
        assert_eq!(scored, [("a".into(), 1.5), ("b".into(), 2.0)], "RESP{p}");
        let v = r.execute(cmd("HGETALL").key("h")).unwrap();
        match (p, v) {
            (3, Value::Map(m)) => assert_eq!(m.len(), 2),
            (2, Value::Array(a)) => assert_eq!(a.len(), 4),
            (_, other) => panic!("RESP{p}: unexpected shape {other:?}"),
        }
        for refused in [
            "SELECT",
            "SUBSCRIBE",
            "MONITOR",
            "CLIENT REPLY",
            "HELLO",
            "MULTI",
            "WATCH",
        ] {
            let e = r.execute(cmd(refused).arg("1")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage, "{refused:?}");
        }
        // However they are built, in the middle of other callers' commands in flight.
        r.set("a", "A").unwrap();
        let before = r.deferred().get::<String>("a");
        let refused = [
            r.deferred().execute(cmd("")),
            r.deferred().execute(cmd("CLIENT").arg("reply").arg("SKIP")),
            r.deferred().execute(Cmd::<Value>::new("SELECT").arg(5)),
            r.deferred().execute(cmd("multi")),
        ];
        let after = r.deferred().get::<String>("a");
        for h in refused {
            assert_eq!(h.wait().unwrap_err().kind(), ErrorKind::Usage);
        }
        assert_eq!(before.wait().unwrap(), "A");
        assert_eq!(after.wait().unwrap(), "A");
        // The connection is still in sync after the refusals, and in the same database.
        assert_eq!(r.ping().unwrap(), "PONG");
        assert_eq!(r.get::<String>("a").unwrap(), "A");
        let e = r.execute(cmd("NOSUCHCOMMAND")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.command(), Some("NOSUCHCOMMAND"));
    }
}

/// The methods of the first release, built.
pub fn built() -> Vec<coredis::Request> {
    use coredis::commands::Build;
    vec![
        Build.ping().request().clone(),
        Build.echo::<String>("m").request().clone(),
        Build.get::<String>("k").request().clone(),
        Build.set("k", 1).request().clone(),
        Build
            .set_with("k", 1, SetOptions::new().nx())
            .request()
            .clone(),
        Build.mget::<String>(["a", "b"]).request().clone(),
        Build.mset([("a", 1), ("b", 2)]).request().clone(),
        Build.incr("k").request().clone(),
        Build.incrby("k", 2).request().clone(),
        Build.decr("k").request().clone(),
        Build.decrby("k", 2).request().clone(),
        Build.del(["a", "b"]).request().clone(),
        Build.exists("a").request().clone(),
        Build.expire("k", Duration::from_secs(5)).request().clone(),
        Build.ttl("k").request().clone(),
        Build.pttl("k").request().clone(),
        Build.dbsize().request().clone(),
        Build.info().request().clone(),
        Build
            .blpop::<String, String>(["q1", "q2"], Duration::from_secs(1))
            .request()
            .clone(),
        Build
            .brpop::<String, String>("q", Duration::ZERO)
            .request()
            .clone(),
    ]
}

#[test]
fn routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::basics::routing_facts_match_the_server",
        &built(),
    );
}
