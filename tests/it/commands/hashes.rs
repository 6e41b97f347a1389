//! The hash group against real servers, over RESP3 and RESP2 (both in every run).

use super::strings::valkey_at_least;
use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    ExpireCondition, FieldExpireTime, FieldExpiry, FieldPersist, FieldTtl, GetExExpiry,
    HSetExOptions,
};
use coredis::{ErrorKind, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Every method of the group, built (the Valkey-only ones when the server is Valkey).
pub fn built() -> Vec<coredis::Request> {
    let b = Build;
    let at = SystemTime::now() + Duration::from_secs(100);
    let ttl = Duration::from_secs(100);
    let mut all = vec![
        b.hdel("h", ["a", "b"]).request().clone(),
        b.hexists("h", "a").request().clone(),
        b.hget::<String>("h", "a").request().clone(),
        b.hgetall::<HashMap<String, String>>("h").request().clone(),
        b.hincrby("h", "a", 2).request().clone(),
        b.hincrbyfloat("h", "a", 2.5).request().clone(),
        b.hkeys::<String>("h").request().clone(),
        b.hlen("h").request().clone(),
        b.hmget::<String>("h", ["a", "b"]).request().clone(),
        b.hmset("h", [("a", 1), ("b", 2)]).request().clone(),
        b.hrandfield::<String>("h").request().clone(),
        b.hrandfield_count::<String>("h", -3).request().clone(),
        b.hrandfield_withvalues::<String, String>("h", 3)
            .request()
            .clone(),
        b.hset("h", [("a", 1), ("b", 2)]).request().clone(),
        b.hsetnx("h", "a", 1).request().clone(),
        b.hstrlen("h", "a").request().clone(),
        b.hvals::<String>("h").request().clone(),
    ];
    if valkey_at_least(9, 0) {
        all.extend([
            b.hexpire("h", ttl, ["a", "b"]).request().clone(),
            b.hexpire_with("h", ttl, "a", ExpireCondition::Nx)
                .request()
                .clone(),
            b.hexpireat("h", at, ["a"]).request().clone(),
            b.hexpireat_with("h", at, ["a"], ExpireCondition::Gt)
                .request()
                .clone(),
            b.hpexpire("h", ttl, ["a"]).request().clone(),
            b.hpexpire_with("h", ttl, ["a"], ExpireCondition::Xx)
                .request()
                .clone(),
            b.hpexpireat("h", at, ["a"]).request().clone(),
            b.hpexpireat_with("h", at, ["a"], ExpireCondition::Lt)
                .request()
                .clone(),
            b.httl("h", ["a", "b"]).request().clone(),
            b.hpttl("h", ["a"]).request().clone(),
            b.hexpiretime("h", ["a"]).request().clone(),
            b.hpexpiretime("h", ["a"]).request().clone(),
            b.hpersist("h", ["a"]).request().clone(),
            b.hgetex::<String>("h", ["a"]).request().clone(),
            b.hgetex_with::<String>("h", ["a"], GetExExpiry::Ex(ttl))
                .request()
                .clone(),
            b.hsetex("h", [("a", 1)]).request().clone(),
            b.hsetex_with(
                "h",
                [("a", 1), ("b", 2)],
                HSetExOptions::new().xx().fnx().pxat(at),
            )
            .request()
            .clone(),
        ]);
    }
    if valkey_at_least(9, 1) {
        all.push(b.hgetdel::<String>("h", ["a", "b"]).request().clone());
    }
    all
}

#[test]
fn hashes_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::hashes::hashes_routing_facts_match_the_server",
        &built(),
    );
}

/// A key of this protocol's run: the two clients of a test do not see each other's keys.
fn key(p: u8, name: &str) -> String {
    format!("hashes:{p}:{name}")
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn hashes_fields_and_values() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let h = key(p, "h");
        assert_eq!(r.hset(&h, [("a", "1"), ("b", "2")]).unwrap(), 2, "RESP{p}");
        assert_eq!(r.hset(&h, [("b", "3"), ("c", "4")]).unwrap(), 1);
        assert_eq!(r.hget::<i64>(&h, "b").unwrap(), 3);
        assert_eq!(r.hget::<Option<String>>(&h, "zz").unwrap(), None);
        assert_eq!(r.hget::<Option<String>>(key(p, "none"), "a").unwrap(), None);

        // HGETALL: a map under RESP3, a flat array under RESP2; the same value either way.
        let m: HashMap<String, i64> = r.hgetall(&h).unwrap();
        assert_eq!(
            m,
            HashMap::from([("a".into(), 1), ("b".into(), 3), ("c".into(), 4)]),
            "RESP{p}"
        );
        let pairs: Vec<(String, String)> = r.hgetall(&h).unwrap();
        assert_eq!(
            sorted(pairs),
            [
                ("a".to_string(), "1".to_string()),
                ("b".into(), "3".into()),
                ("c".into(), "4".into())
            ]
        );
        let b: BTreeMap<String, Vec<u8>> = r.hgetall(&h).unwrap();
        assert_eq!(b.get("c").map(Vec::as_slice), Some(&b"4"[..]));
        let empty: HashMap<String, String> = r.hgetall(key(p, "none")).unwrap();
        assert!(empty.is_empty());
        let empty: Vec<(String, String)> = r.hgetall(key(p, "none")).unwrap();
        assert!(empty.is_empty());

        assert_eq!(sorted(r.hkeys::<String>(&h).unwrap()), ["a", "b", "c"]);
        assert_eq!(sorted(r.hvals::<i64>(&h).unwrap()), [1, 3, 4]);
        assert!(r.hkeys::<String>(key(p, "none")).unwrap().is_empty());
        assert!(r.hvals::<String>(key(p, "none")).unwrap().is_empty());
        assert_eq!(r.hlen(&h).unwrap(), 3);
        assert_eq!(r.hlen(key(p, "none")).unwrap(), 0);
        assert!(r.hexists(&h, "a").unwrap());
        assert!(!r.hexists(&h, "zz").unwrap());
        assert_eq!(
            r.hmget::<Option<i64>>(&h, ["a", "zz", "c"]).unwrap(),
            [Some(1), None, Some(4)]
        );
        assert_eq!(r.hmget::<Option<i64>>(&h, "b").unwrap(), [Some(3)]);
        r.hmset(&h, [("d", "dd"), ("e", "eee")]).unwrap();
        assert_eq!(r.hstrlen(&h, "e").unwrap(), 3);
        assert_eq!(r.hstrlen(&h, "zz").unwrap(), 0);
        assert!(r.hsetnx(&h, "f", "x").unwrap());
        assert!(!r.hsetnx(&h, "f", "y").unwrap());
        assert_eq!(r.hget::<String>(&h, "f").unwrap(), "x");
        assert_eq!(r.hdel(&h, "f").unwrap(), 1);
        assert_eq!(r.hdel(&h, ["d", "e", "zz"]).unwrap(), 2);
        assert_eq!(r.hlen(&h).unwrap(), 3);

        assert_eq!(r.hincrby(&h, "n", 5).unwrap(), 5);
        assert_eq!(r.hincrby(&h, "n", -7).unwrap(), -2);
        // An f64 under both protocols.
        assert_eq!(r.hincrbyfloat(&h, "x", 1.25).unwrap(), 1.25, "RESP{p}");
        assert_eq!(r.hincrbyfloat(&h, "x", -0.5).unwrap(), 0.75);
        assert_eq!(r.hincrbyfloat(&h, "n", 0.5).unwrap(), -1.5);
        let e = r.hincrby(&h, "x", 1).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    }
}

#[test]
fn hashes_random_fields() {
    let server = Server::start();
    if server_major_minor() < (6, 2) {
        skip(
            "commands::hashes::hashes_random_fields",
            "HRANDFIELD needs Redis 6.2",
        );
        return;
    }
    for (p, r) in clients(&server) {
        let h = key(p, "r");
        r.hset(&h, [("a", 1), ("b", 2), ("c", 3)]).unwrap();
        let all: HashMap<String, i64> = r.hgetall(&h).unwrap();
        let one: String = r.hrandfield(&h).unwrap();
        assert!(all.contains_key(&one), "RESP{p}: {one}");
        assert_eq!(
            r.hrandfield::<Option<String>>(key(p, "none")).unwrap(),
            None
        );

        let two: Vec<String> = r.hrandfield_count(&h, 2).unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two.iter().collect::<HashSet<_>>().len(), 2, "distinct");
        let many: Vec<String> = r.hrandfield_count(&h, 10).unwrap();
        assert_eq!(sorted(many), ["a", "b", "c"], "at most the hash");
        let repeated: Vec<String> = r.hrandfield_count(&h, -7).unwrap();
        assert_eq!(repeated.len(), 7, "a negative count may repeat");
        assert!(repeated.iter().all(|f| all.contains_key(f)));
        assert!(r
            .hrandfield_count::<String>(key(p, "none"), 3)
            .unwrap()
            .is_empty());

        // RESP3 sends [field, value] pairs, RESP2 a flat array: the same list.
        let pairs: Vec<(String, i64)> = r.hrandfield_withvalues(&h, 2).unwrap();
        assert_eq!(pairs.len(), 2, "RESP{p}");
        for (f, v) in &pairs {
            assert_eq!(all.get(f), Some(v), "RESP{p}");
        }
        let pairs: Vec<(String, i64)> = r.hrandfield_withvalues(&h, 1).unwrap();
        assert_eq!(pairs.len(), 1, "RESP{p}: one pair");
        let pairs: Vec<(String, i64)> = r.hrandfield_withvalues(&h, -5).unwrap();
        assert_eq!(pairs.len(), 5);
        assert!(pairs.iter().all(|(f, v)| all.get(f) == Some(v)));
        let none: Vec<(String, i64)> = r.hrandfield_withvalues(key(p, "none"), 2).unwrap();
        assert!(none.is_empty());
    }
}

#[test]
fn hashes_field_expiration() {
    let server = Server::start();
    if !valkey_at_least(9, 0) {
        skip(
            "commands::hashes::hashes_field_expiration",
            "hash field expiration (HEXPIRE, HTTL, HGETEX, HSETEX, …) is tested on Valkey 9.0+",
        );
        return;
    }
    use FieldExpiry::{ConditionNotMet, Deleted, NoField, Set};
    for (p, r) in clients(&server) {
        let h = key(p, "x");
        r.hset(&h, [("a", 1), ("b", 2), ("c", 3), ("d", 4)])
            .unwrap();
        let secs = Duration::from_secs;

        // HEXPIRE and its conditions; HTTL.
        assert_eq!(
            r.hexpire(&h, secs(100), ["a", "zz"]).unwrap(),
            [Set, NoField],
            "RESP{p}"
        );
        assert_eq!(
            r.hexpire_with(&h, secs(50), ["a", "b"], ExpireCondition::Nx)
                .unwrap(),
            [ConditionNotMet, Set]
        );
        assert_eq!(
            r.hexpire_with(&h, secs(200), ["a", "c"], ExpireCondition::Xx)
                .unwrap(),
            [Set, ConditionNotMet]
        );
        assert_eq!(
            r.hexpire_with(&h, secs(300), ["a", "b"], ExpireCondition::Gt)
                .unwrap(),
            [Set, Set]
        );
        assert_eq!(
            r.hexpire_with(&h, secs(250), ["a", "c"], ExpireCondition::Lt)
                .unwrap(),
            [Set, Set],
            "no expiry counts as infinite"
        );
        let ttls = r.httl(&h, ["a", "d", "zz"]).unwrap();
        assert!(
            matches!(ttls[0], FieldTtl::ExpiresIn(d) if (secs(248)..=secs(250)).contains(&d)),
            "RESP{p}: {ttls:?}"
        );
        assert_eq!(ttls[1..], [FieldTtl::NoExpiry, FieldTtl::NoField]);
        let ttls = r.hpttl(&h, "c").unwrap();
        assert!(
            matches!(ttls[..], [FieldTtl::ExpiresIn(d)] if d > secs(240) && d <= secs(250)),
            "{ttls:?}"
        );

        // Absolute times, to the second and to the millisecond.
        let at = UNIX_EPOCH + secs(4_000_000_000);
        assert_eq!(r.hexpireat(&h, at, ["a", "zz"]).unwrap(), [Set, NoField]);
        assert_eq!(
            r.hexpiretime(&h, ["a", "d", "zz"]).unwrap(),
            [
                FieldExpireTime::ExpiresAt(at),
                FieldExpireTime::NoExpiry,
                FieldExpireTime::NoField
            ]
        );
        let at_ms = UNIX_EPOCH + Duration::from_millis(4_000_000_000_123);
        assert_eq!(
            r.hpexpireat_with(&h, at_ms, ["a"], ExpireCondition::Gt)
                .unwrap(),
            [Set]
        );
        assert_eq!(
            r.hpexpiretime(&h, ["a"]).unwrap(),
            [FieldExpireTime::ExpiresAt(at_ms)]
        );
        assert_eq!(
            r.hexpiretime(&h, ["a"]).unwrap()[0].time(),
            Some(UNIX_EPOCH + secs(4_000_000_000)),
            "HEXPIRETIME truncates to the second"
        );
        assert_eq!(
            r.hexpireat_with(&h, at, ["a", "d"], ExpireCondition::Xx)
                .unwrap(),
            [Set, ConditionNotMet]
        );
        assert_eq!(
            r.hpexpire(&h, Duration::from_millis(90_000), ["b"])
                .unwrap(),
            [Set]
        );
        let ttl = r.hpttl(&h, ["b"]).unwrap()[0].duration();
        assert!(
            ttl.is_some_and(|d| d > secs(80) && d <= secs(90)),
            "{ttl:?}"
        );
        assert_eq!(
            r.hpexpire_with(&h, secs(1000), ["b"], ExpireCondition::Lt)
                .unwrap(),
            [ConditionNotMet]
        );
        assert_eq!(
            r.hpexpireat(&h, SystemTime::now() + secs(500), ["d"])
                .unwrap(),
            [Set]
        );

        // HPERSIST.
        assert_eq!(
            r.hpersist(&h, ["d", "d", "zz"]).unwrap(),
            [
                FieldPersist::Persisted,
                FieldPersist::NoExpiry,
                FieldPersist::NoField
            ]
        );

        // Zero or a past time deletes the field.
        assert_eq!(r.hexpire(&h, Duration::ZERO, ["d"]).unwrap(), [Deleted]);
        assert_eq!(
            r.hpexpireat_with(&h, UNIX_EPOCH + secs(1), ["c"], ExpireCondition::Lt)
                .unwrap(),
            [Deleted]
        );
        assert_eq!(sorted(r.hkeys::<String>(&h).unwrap()), ["a", "b"]);

        // A missing hash: one NoField per field.
        let none = key(p, "none");
        assert_eq!(
            r.hexpire(&none, secs(10), ["a", "b"]).unwrap(),
            [NoField, NoField]
        );
        assert_eq!(r.httl(&none, ["a"]).unwrap(), [FieldTtl::NoField]);
        assert_eq!(r.hpersist(&none, ["a"]).unwrap(), [FieldPersist::NoField]);
    }
}

#[test]
fn hashes_getex_setex_getdel() {
    let server = Server::start();
    if !valkey_at_least(9, 0) {
        skip(
            "commands::hashes::hashes_getex_setex_getdel",
            "HGETEX, HSETEX and HGETDEL are tested on Valkey 9.0+ (HGETDEL 9.1)",
        );
        return;
    }
    for (p, r) in clients(&server) {
        let h = key(p, "gs");
        let secs = Duration::from_secs;
        assert!(r.hsetex(&h, [("a", "1"), ("b", "2")]).unwrap(), "RESP{p}");
        assert_eq!(
            r.httl(&h, ["a"]).unwrap(),
            [FieldTtl::NoExpiry],
            "no options: no ttl"
        );
        assert!(r
            .hsetex_with(&h, [("a", "10")], HSetExOptions::new().ex(secs(100)))
            .unwrap());
        assert!(!r
            .hsetex_with(&h, [("a", "x"), ("c", "3")], HSetExOptions::new().fnx())
            .unwrap());
        assert!(!r
            .hsetex_with(&h, [("a", "x"), ("c", "3")], HSetExOptions::new().fxx())
            .unwrap());
        assert!(!r
            .hsetex_with(&h, [("a", "x")], HSetExOptions::new().nx())
            .unwrap());
        assert!(!r
            .hsetex_with(key(p, "none"), [("a", "x")], HSetExOptions::new().xx())
            .unwrap());
        assert!(r
            .hsetex_with(&h, [("a", "11")], HSetExOptions::new().xx().fxx().keepttl())
            .unwrap());
        assert!(r.httl(&h, ["a"]).unwrap()[0]
            .duration()
            .is_some_and(|d| d > secs(90)));
        assert!(r
            .hsetex_with(
                &h,
                [("c", "3")],
                HSetExOptions::new()
                    .fnx()
                    .px(Duration::from_millis(200_000))
            )
            .unwrap());
        assert!(r
            .hsetex_with(
                &h,
                [("d", "4")],
                HSetExOptions::new().exat(SystemTime::now() + secs(300))
            )
            .unwrap());
        assert!(r
            .hsetex_with(
                &h,
                [("e", "5")],
                HSetExOptions::new().pxat(SystemTime::now() + secs(400))
            )
            .unwrap());
        let ttls: Vec<u64> = r
            .httl(&h, ["c", "d", "e"])
            .unwrap()
            .iter()
            .map(|t| t.duration().map_or(0, |d| d.as_secs()))
            .collect();
        assert!(
            matches!(ttls[..], [c, d, e] if (198..=200).contains(&c) && (298..=301).contains(&d) && (398..=400).contains(&e)),
            "{ttls:?}"
        );

        // HGETEX: plain, then with each expiry.
        assert_eq!(
            r.hgetex::<Option<i64>>(&h, ["a", "zz", "b"]).unwrap(),
            [Some(11), None, Some(2)],
            "RESP{p}"
        );
        let v: Vec<i64> = r.hgetex_with(&h, "b", GetExExpiry::Ex(secs(100))).unwrap();
        assert_eq!(v, [2]);
        assert!(r.httl(&h, "b").unwrap()[0].duration().is_some());
        let _: Vec<i64> = r.hgetex_with(&h, "b", GetExExpiry::Px(secs(150))).unwrap();
        assert!(r.hpttl(&h, "b").unwrap()[0]
            .duration()
            .is_some_and(|d| d > secs(140) && d <= secs(150)));
        let _: Vec<i64> = r
            .hgetex_with(&h, "b", GetExExpiry::ExAt(UNIX_EPOCH + secs(4_000_000_000)))
            .unwrap();
        assert_eq!(
            r.hexpiretime(&h, "b").unwrap(),
            [FieldExpireTime::ExpiresAt(UNIX_EPOCH + secs(4_000_000_000))]
        );
        let at_ms = UNIX_EPOCH + Duration::from_millis(4_000_000_001_500);
        let _: Vec<i64> = r.hgetex_with(&h, "b", GetExExpiry::PxAt(at_ms)).unwrap();
        assert_eq!(
            r.hpexpiretime(&h, "b").unwrap(),
            [FieldExpireTime::ExpiresAt(at_ms)]
        );
        let v: Vec<Option<i64>> = r
            .hgetex_with(&h, ["b", "zz"], GetExExpiry::Persist)
            .unwrap();
        assert_eq!(v, [Some(2), None]);
        assert_eq!(r.httl(&h, "b").unwrap(), [FieldTtl::NoExpiry]);
        let v: Vec<Option<String>> = r.hgetex(key(p, "none"), ["a"]).unwrap();
        assert_eq!(v, [None]);

        if !valkey_at_least(9, 1) {
            continue;
        }
        assert_eq!(
            r.hgetdel::<Option<i64>>(&h, ["a", "zz", "b"]).unwrap(),
            [Some(11), None, Some(2)],
            "RESP{p}"
        );
        assert_eq!(sorted(r.hkeys::<String>(&h).unwrap()), ["c", "d", "e"]);
        assert_eq!(
            r.hgetdel::<Option<String>>(key(p, "none"), ["a", "b"])
                .unwrap(),
            [None, None]
        );
        let _: Vec<String> = r.hgetdel(&h, ["c", "d", "e"]).unwrap();
        assert_eq!(r.exists(&h).unwrap(), 0, "the emptied hash is gone");
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
fn hashes_bad_input() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let s = key(p, "string");
        r.set(&s, "v").unwrap();
        assert_wrong_type("HGET", r.hget::<Option<String>>(&s, "f"));
        assert_wrong_type("HSET", r.hset(&s, [("f", "v")]));
        assert_wrong_type("HGETALL", r.hgetall::<HashMap<String, String>>(&s));
        assert_wrong_type("HKEYS", r.hkeys::<String>(&s));
        assert_wrong_type("HLEN", r.hlen(&s));
        assert_wrong_type("HDEL", r.hdel(&s, "f"));
        assert_wrong_type("HMGET", r.hmget::<Option<String>>(&s, ["f"]));
        assert_wrong_type("HINCRBYFLOAT", r.hincrbyfloat(&s, "f", 1.0));
        if server_major_minor() >= (6, 2) {
            assert_wrong_type("HRANDFIELD", r.hrandfield_count::<String>(&s, 2));
        }
        if valkey_at_least(9, 0) {
            assert_wrong_type("HEXPIRE", r.hexpire(&s, Duration::from_secs(1), "f"));
            assert_wrong_type("HTTL", r.httl(&s, "f"));
            assert_wrong_type("HPERSIST", r.hpersist(&s, "f"));
            assert_wrong_type("HGETEX", r.hgetex::<Option<String>>(&s, "f"));
            assert_wrong_type("HSETEX", r.hsetex(&s, [("f", "v")]));
        }
        // Empty required lists are refused before anything is sent, on every server.
        let no_fields: Vec<String> = Vec::new();
        let no_pairs: [(&str, &str); 0] = [];
        assert_usage("HDEL", r.hdel(&s, &no_fields));
        assert_usage("HMGET", r.hmget::<String>(&s, &no_fields));
        assert_usage("HSET", r.hset(&s, no_pairs));
        assert_usage("HMSET", r.hmset(&s, no_pairs));
        assert_usage("HSETEX", r.hsetex(&s, no_pairs));
        assert_usage("HEXPIRE", r.hexpire(&s, Duration::from_secs(1), &no_fields));
        assert_usage(
            "HPEXPIREAT",
            r.hpexpireat_with(&s, SystemTime::now(), &no_fields, ExpireCondition::Nx),
        );
        assert_usage("HTTL", r.httl(&s, &no_fields));
        assert_usage("HPEXPIRETIME", r.hpexpiretime(&s, &no_fields));
        assert_usage("HPERSIST", r.hpersist(&s, &no_fields));
        assert_usage("HGETEX", r.hgetex::<String>(&s, &no_fields));
        assert_usage("HGETDEL", r.hgetdel::<String>(&s, &no_fields));
        // The connection is still usable.
        assert_eq!(r.get::<String>(&s).unwrap(), "v", "RESP{p}");
    }
}
