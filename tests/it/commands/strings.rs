//! The string group against real servers, over RESP3 and RESP2 (both in every run).

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{GetExExpiry, LcsMatch, LcsOptions, MSetExOptions, SetCondition, SetOptions};
use coredis::{ErrorKind, ServerCode};
use coredis_test_support::{self as support, server_major_minor, skip, Server};
use std::time::{Duration, SystemTime};

/// Whether the tests run against Valkey (its binary), at least `major.minor`.
pub fn valkey_at_least(major: u32, minor: u32) -> bool {
    let bin = support::server_bin();
    let is_valkey = bin
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("valkey"));
    is_valkey && server_major_minor() >= (major, minor)
}

/// Every method of the group, built (the Valkey-only ones when the server is Valkey).
pub fn built() -> Vec<coredis::Request> {
    let b = Build;
    let at = SystemTime::now() + Duration::from_secs(100);
    let mut all = vec![
        b.append("k", "v").request().clone(),
        b.decr("k").request().clone(),
        b.decrby("k", 2).request().clone(),
        b.get::<String>("k").request().clone(),
        b.getdel::<String>("k").request().clone(),
        b.getex::<String>("k").request().clone(),
        b.getex_with::<String>("k", GetExExpiry::Ex(Duration::from_secs(5)))
            .request()
            .clone(),
        b.getex_with::<String>("k", GetExExpiry::PxAt(at))
            .request()
            .clone(),
        b.getex_with::<String>("k", GetExExpiry::Persist)
            .request()
            .clone(),
        b.getrange::<String>("k", 0, -1).request().clone(),
        b.getset::<String>("k", "v").request().clone(),
        b.incr("k").request().clone(),
        b.incrby("k", 2).request().clone(),
        b.incrbyfloat("k", 1.5).request().clone(),
        b.lcs::<String>("a", "b").request().clone(),
        b.lcs_len("a", "b").request().clone(),
        b.lcs_idx("a", "b").request().clone(),
        b.lcs_idx_with(
            "a",
            "b",
            LcsOptions::new().min_match_len(2).with_match_len(),
        )
        .request()
        .clone(),
        b.mget::<String>(["a", "b"]).request().clone(),
        b.mset([("a", 1), ("b", 2)]).request().clone(),
        b.msetnx([("a", 1), ("b", 2)]).request().clone(),
        b.psetex("k", Duration::from_millis(1500), "v")
            .request()
            .clone(),
        b.set("k", "v").request().clone(),
        b.set_with("k", "v", SetOptions::new().xx().exat(at))
            .request()
            .clone(),
        b.set_get::<String>("k", "v", SetOptions::new().keepttl())
            .request()
            .clone(),
        b.setex("k", Duration::from_secs(10), "v").request().clone(),
        b.setnx("k", "v").request().clone(),
        b.setrange("k", 3, "v").request().clone(),
        b.strlen("k").request().clone(),
        b.substr::<String>("k", 0, 2).request().clone(),
    ];
    if valkey_at_least(9, 0) {
        all.extend([
            b.delifeq("k", "v").request().clone(),
            b.set_with("k", "v", SetOptions::new().ifeq("old"))
                .request()
                .clone(),
        ]);
    }
    if valkey_at_least(9, 1) {
        all.extend([
            b.msetex([("a", 1), ("b", 2)]).request().clone(),
            b.msetex_with(
                [("a", 1), ("b", 2)],
                MSetExOptions::new().nx().px(Duration::from_secs(5)),
            )
            .request()
            .clone(),
        ]);
    }
    all
}

#[test]
fn strings_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::strings::strings_routing_facts_match_the_server",
        &built(),
    );
}

/// A key of this protocol's run: the two clients of a test do not see each other's keys.
fn key(p: u8, name: &str) -> String {
    format!("strings:{p}:{name}")
}

#[test]
fn strings_values_and_ranges() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let k = key(p, "s");
        assert_eq!(r.append(&k, "Hello").unwrap(), 5, "RESP{p}");
        assert_eq!(r.append(&k, ", world").unwrap(), 12);
        assert_eq!(r.strlen(&k).unwrap(), 12);
        assert_eq!(r.strlen(key(p, "missing")).unwrap(), 0);
        assert_eq!(r.getrange::<String>(&k, 0, 4).unwrap(), "Hello");
        assert_eq!(r.getrange::<String>(&k, -5, -1).unwrap(), "world");
        assert_eq!(r.getrange::<String>(key(p, "missing"), 0, 4).unwrap(), "");
        assert_eq!(r.substr::<String>(&k, 7, 100).unwrap(), "world");
        assert_eq!(r.setrange(&k, 7, "Redis").unwrap(), 12);
        assert_eq!(r.get::<String>(&k).unwrap(), "Hello, Redis");
        let padded = key(p, "padded");
        assert_eq!(r.setrange(&padded, 3, "x").unwrap(), 4);
        assert_eq!(r.get::<Vec<u8>>(&padded).unwrap(), b"\0\0\0x");

        let old: Option<String> = r.getset(&k, "new").unwrap();
        assert_eq!(old.as_deref(), Some("Hello, Redis"));
        let old: Option<String> = r.getset(key(p, "fresh"), "v").unwrap();
        assert_eq!(old, None);
        let gone: Option<String> = r.getdel(&k).unwrap();
        assert_eq!(gone.as_deref(), Some("new"));
        assert_eq!(r.exists(&k).unwrap(), 0);
        assert_eq!(r.getdel::<Option<String>>(&k).unwrap(), None);

        assert!(r.setnx(&k, 1).unwrap());
        assert!(!r.setnx(&k, 2).unwrap());
        assert_eq!(r.get::<i64>(&k).unwrap(), 1);

        let (a, b, c) = (key(p, "a"), key(p, "b"), key(p, "c"));
        assert!(r.msetnx([(&a, "1"), (&b, "2")]).unwrap());
        assert!(
            !r.msetnx([(&b, "x"), (&c, "3")]).unwrap(),
            "one key exists: none is set"
        );
        assert_eq!(
            r.mget::<Option<String>>([&a, &b, &c]).unwrap(),
            [Some("1".into()), Some("2".into()), None]
        );
    }
}

#[test]
fn strings_counters() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let n = key(p, "n");
        assert_eq!(r.incr(&n).unwrap(), 1, "RESP{p}");
        assert_eq!(r.incrby(&n, 9).unwrap(), 10);
        assert_eq!(r.decr(&n).unwrap(), 9);
        assert_eq!(r.decrby(&n, 10).unwrap(), -1);
        let f = key(p, "f");
        // The same f64 under RESP2 and RESP3 (a bulk string on the wire either way).
        assert_eq!(r.incrbyfloat(&f, 1.5).unwrap(), 1.5, "RESP{p}");
        assert_eq!(r.incrbyfloat(&f, 2.25).unwrap(), 3.75);
        assert_eq!(r.incrbyfloat(&f, -4.0).unwrap(), -0.25);
        assert_eq!(r.incrbyfloat(&n, 0.5).unwrap(), -0.5, "on an integer");
        r.set(&f, "abc").unwrap();
        let e = r.incrbyfloat(&f, 1.0).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    }
}

#[test]
fn strings_expiring_writes() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let k = key(p, "e");
        r.setex(&k, Duration::from_secs(100), "v").unwrap();
        assert!((99..=100).contains(&r.ttl(&k).unwrap()), "RESP{p}");
        assert_eq!(r.get::<String>(&k).unwrap(), "v");
        r.psetex(&k, Duration::from_millis(50_000), "w").unwrap();
        assert!((40_000..=50_000).contains(&r.pttl(&k).unwrap()));
        assert_eq!(r.get::<String>(&k).unwrap(), "w");

        // GETEX: no option changes nothing; each option sets or removes the ttl.
        assert_eq!(r.getex::<String>(&k).unwrap(), "w");
        assert!(r.pttl(&k).unwrap() > 0);
        let v: String = r
            .getex_with(&k, GetExExpiry::Ex(Duration::from_secs(200)))
            .unwrap();
        assert_eq!(v, "w");
        assert!((199..=200).contains(&r.ttl(&k).unwrap()));
        let _: String = r
            .getex_with(&k, GetExExpiry::Px(Duration::from_millis(300_000)))
            .unwrap();
        assert!((299..=300).contains(&r.ttl(&k).unwrap()));
        let _: String = r
            .getex_with(
                &k,
                GetExExpiry::ExAt(SystemTime::now() + Duration::from_secs(400)),
            )
            .unwrap();
        assert!((398..=401).contains(&r.ttl(&k).unwrap()));
        let _: String = r
            .getex_with(
                &k,
                GetExExpiry::PxAt(SystemTime::now() + Duration::from_secs(500)),
            )
            .unwrap();
        assert!((498..=500).contains(&r.ttl(&k).unwrap()));
        let _: String = r.getex_with(&k, GetExExpiry::Persist).unwrap();
        assert_eq!(r.ttl(&k).unwrap(), -1);
        let missing: Option<String> = r
            .getex_with(key(p, "missing"), GetExExpiry::Persist)
            .unwrap();
        assert_eq!(missing, None);
    }
}

/// An `LcsMatch` (its fields are public but the struct is `non_exhaustive`).
fn match_of(a: (u64, u64), b: (u64, u64), len: Option<u64>) -> LcsMatch {
    let mut m = LcsMatch::default();
    m.a = a;
    m.b = b;
    m.len = len;
    m
}

#[test]
fn strings_lcs() {
    let server = Server::start();
    if server_major_minor() < (7, 0) {
        skip("commands::strings::strings_lcs", "LCS needs Redis 7.0");
        return;
    }
    for (p, r) in clients(&server) {
        let (a, b) = (key(p, "{lcs}a"), key(p, "{lcs}b"));
        r.mset([(&a, "ohmytext"), (&b, "mynewtext")]).unwrap();
        assert_eq!(r.lcs::<String>(&a, &b).unwrap(), "mytext", "RESP{p}");
        assert_eq!(r.lcs_len(&a, &b).unwrap(), 6);
        let m = r.lcs_idx(&a, &b).unwrap();
        assert_eq!(m.len, 6, "RESP{p}");
        assert_eq!(
            m.matches,
            [
                match_of((4, 7), (5, 8), None),
                match_of((2, 3), (0, 1), None)
            ]
        );
        let m = r
            .lcs_idx_with(&a, &b, LcsOptions::new().min_match_len(4).with_match_len())
            .unwrap();
        assert_eq!(m.len, 6);
        assert_eq!(m.matches.len(), 1);
        let first: Option<&LcsMatch> = m.matches.first();
        assert_eq!(
            first.map(|x| (x.a, x.b, x.len)),
            Some(((4, 7), (5, 8), Some(4)))
        );
        let m = r
            .lcs_idx_with(&a, &b, LcsOptions::new().with_match_len())
            .unwrap();
        assert_eq!(
            m.matches.iter().map(|x| x.len).collect::<Vec<_>>(),
            [Some(4), Some(2)]
        );
        let (x, y) = (key(p, "{lcs}x"), key(p, "{lcs}y"));
        assert_eq!(r.lcs::<String>(&x, &y).unwrap(), "", "missing keys");
        let m = r.lcs_idx(&x, &y).unwrap();
        assert_eq!((m.len, m.matches.len()), (0, 0));
    }
}

#[test]
fn strings_set_conditions_and_valkey_commands() {
    let server = Server::start();
    if !valkey_at_least(8, 1) {
        skip(
            "commands::strings::strings_set_conditions_and_valkey_commands",
            "SET IFEQ, DELIFEQ and MSETEX need Valkey (8.1, 9.0, 9.1)",
        );
        return;
    }
    for (p, r) in clients(&server) {
        let k = key(p, "c");
        assert!(
            !r.set_with(&k, "v", SetOptions::new().ifeq("v")).unwrap(),
            "RESP{p}: IFEQ on a missing key sets nothing"
        );
        r.set(&k, "v").unwrap();
        assert!(!r.set_with(&k, "w", SetOptions::new().ifeq("x")).unwrap());
        assert!(r
            .set_with(
                &k,
                "w",
                SetOptions::new()
                    .with_condition(SetCondition::if_eq("v"))
                    .ex(Duration::from_secs(100))
            )
            .unwrap());
        assert!(r.ttl(&k).unwrap() > 0);
        let old: Option<String> = r.set_get(&k, 5, SetOptions::new().ifeq("w")).unwrap();
        assert_eq!(old.as_deref(), Some("w"));
        assert!(r.set_with(&k, 6, SetOptions::new().ifeq(5)).unwrap());
        assert_eq!(r.get::<i64>(&k).unwrap(), 6);

        if !valkey_at_least(9, 0) {
            continue;
        }
        assert!(!r.delifeq(&k, "7").unwrap(), "RESP{p}");
        assert!(r.delifeq(&k, 6).unwrap());
        assert_eq!(r.exists(&k).unwrap(), 0);
        assert!(!r.delifeq(&k, 6).unwrap(), "a missing key");

        if !valkey_at_least(9, 1) {
            continue;
        }
        let (a, b) = (key(p, "ma"), key(p, "mb"));
        assert!(r.msetex([(&a, "1"), (&b, "2")]).unwrap(), "RESP{p}");
        assert_eq!(r.ttl(&a).unwrap(), -1);
        assert!(!r
            .msetex_with([(&a, "x")], MSetExOptions::new().nx())
            .unwrap());
        assert!(r
            .msetex_with(
                [(&a, "3"), (&b, "4")],
                MSetExOptions::new().xx().ex(Duration::from_secs(100))
            )
            .unwrap());
        assert!((99..=100).contains(&r.ttl(&b).unwrap()));
        assert!(r
            .msetex_with([(&a, "5")], MSetExOptions::new().keepttl())
            .unwrap());
        assert!(r.ttl(&a).unwrap() > 0, "KEEPTTL");
        assert!(r
            .msetex_with(
                [(&a, "6")],
                MSetExOptions::new().pxat(SystemTime::now() + Duration::from_secs(300))
            )
            .unwrap());
        assert!((298..=300).contains(&r.ttl(&a).unwrap()));
        assert!(r
            .msetex_with(
                [(&a, "7")],
                MSetExOptions::new().exat(SystemTime::now() + Duration::from_secs(400))
            )
            .unwrap());
        assert!((398..=401).contains(&r.ttl(&a).unwrap()));
        assert!(r
            .msetex_with(
                [(&a, "8")],
                MSetExOptions::new().px(Duration::from_secs(500))
            )
            .unwrap());
        assert!((498..=500).contains(&r.ttl(&a).unwrap()));
        assert_eq!(
            r.mget::<String>([&a, &b]).unwrap(),
            ["8".to_string(), "4".to_string()]
        );
    }
}

fn assert_wrong_type<T: std::fmt::Debug>(what: &str, result: coredis::Result<T>) {
    let e = result.expect_err(what);
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{what}: {e}");
}

fn assert_usage<T: std::fmt::Debug>(what: &str, result: coredis::Result<T>) {
    let e = result.expect_err(what);
    assert_eq!(e.kind(), ErrorKind::Usage, "{what}: {e}");
}

#[test]
fn strings_bad_input() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let h = key(p, "hash");
        r.hset(&h, [("f", "v")]).unwrap();
        assert_wrong_type("GET", r.get::<Option<String>>(&h));
        assert_wrong_type("APPEND", r.append(&h, "x"));
        assert_wrong_type("STRLEN", r.strlen(&h));
        assert_wrong_type("GETRANGE", r.getrange::<String>(&h, 0, 1));
        assert_wrong_type("SETRANGE", r.setrange(&h, 0, "x"));
        assert_wrong_type("GETDEL", r.getdel::<Option<String>>(&h));
        assert_wrong_type("GETEX", r.getex::<Option<String>>(&h));
        assert_wrong_type("INCRBYFLOAT", r.incrbyfloat(&h, 1.0));
        assert_wrong_type("GETSET", r.getset::<Option<String>>(&h, "x"));
        if server_major_minor() >= (7, 0) {
            // LCS is the exception: a plain ERR, not WRONGTYPE.
            let e = r.lcs::<String>(&h, key(p, "other")).unwrap_err();
            assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
            assert!(e.to_string().contains("string values"), "{e}");
        }
        if valkey_at_least(9, 0) {
            assert_wrong_type("DELIFEQ", r.delifeq(&h, "x"));
        }
        let none: [(&str, &str); 0] = [];
        assert_usage("MSET", r.mset(none));
        assert_usage("MSETNX", r.msetnx(none));
        assert_usage("MSETEX", r.msetex(none));
        assert_usage(
            "MSETEX with options",
            r.msetex_with(none, MSetExOptions::new().nx()),
        );
        let no_keys: Vec<String> = Vec::new();
        assert_usage("MGET", r.mget::<String>(no_keys));
        // The connection is still usable.
        assert_eq!(r.hlen(&h).unwrap(), 1, "RESP{p}");
    }
}
