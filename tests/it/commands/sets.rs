//! The set commands against a real server, over RESP3 and RESP2 (both in every run): RESP3
//! sends sets where RESP2 sends arrays, and the same call gives the same value.

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::{ErrorKind, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};
use std::collections::{BTreeSet, HashSet};

/// Every method of the set group, built.
pub fn built() -> Vec<coredis::Request> {
    vec![
        Build.sadd("s", ["a", "b"]).request().clone(),
        Build.scard("s").request().clone(),
        Build.sdiff::<Vec<String>>(["a", "b"]).request().clone(),
        Build.sdiffstore("d", ["a", "b"]).request().clone(),
        Build.sinter::<Vec<String>>(["a", "b"]).request().clone(),
        Build.sintercard(["a", "b"]).request().clone(),
        Build.sintercard_with("a", 5).request().clone(),
        Build.sinterstore("d", ["a", "b"]).request().clone(),
        Build.sismember("s", "m").request().clone(),
        Build.smembers::<Vec<String>>("s").request().clone(),
        Build.smismember("s", ["m", "n"]).request().clone(),
        Build.smove("s", "d", "m").request().clone(),
        Build.spop::<String>("s").request().clone(),
        Build.spop_count::<Vec<String>>("s", 2).request().clone(),
        Build.srandmember::<String>("s").request().clone(),
        Build.srandmember_count::<String>("s", -2).request().clone(),
        Build.srem("s", ["a", "b"]).request().clone(),
        Build.sunion::<Vec<String>>(["a", "b"]).request().clone(),
        Build.sunionstore("d", ["a", "b"]).request().clone(),
    ]
}

#[test]
fn sets_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::sets::sets_routing_facts_match_the_server",
        &built(),
    );
}

fn set(items: &[&str]) -> HashSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn assert_wrongtype<T: std::fmt::Debug>(r: coredis::Result<T>, what: &str) {
    let e = r.expect_err(what);
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{what}: {e}");
}

#[test]
fn sets_members() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let s = format!("s{p}");
        assert_eq!(r.sadd(&s, ["a", "b", "c"]).unwrap(), 3, "RESP{p}");
        assert_eq!(r.sadd(&s, ["c", "d"]).unwrap(), 1);
        assert_eq!(r.sadd(&s, "a").unwrap(), 0);
        assert_eq!(r.scard(&s).unwrap(), 4);
        assert_eq!(r.scard("nothing").unwrap(), 0);

        let members: HashSet<String> = r.smembers(&s).unwrap();
        assert_eq!(members, set(&["a", "b", "c", "d"]), "RESP{p}");
        let sorted: BTreeSet<String> = r.smembers(&s).unwrap();
        assert_eq!(sorted.into_iter().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        let mut listed: Vec<String> = r.smembers(&s).unwrap();
        listed.sort();
        assert_eq!(listed, ["a", "b", "c", "d"]);
        let empty: HashSet<String> = r.smembers("nothing").unwrap();
        assert!(empty.is_empty());

        assert!(r.sismember(&s, "a").unwrap());
        assert!(!r.sismember(&s, "zz").unwrap());
        assert!(!r.sismember("nothing", "a").unwrap());
        if server_major_minor() >= (6, 2) {
            assert_eq!(
                r.smismember(&s, ["a", "zz", "d"]).unwrap(),
                [true, false, true],
                "RESP{p}: integers on the wire, booleans here"
            );
            assert_eq!(r.smismember("nothing", "a").unwrap(), [false]);
        }

        assert_eq!(r.srem(&s, ["a", "zz"]).unwrap(), 1);
        assert_eq!(r.srem("nothing", "a").unwrap(), 0);
        assert_eq!(r.scard(&s).unwrap(), 3);

        let (src, dst) = (format!("{{mv{p}}}src"), format!("{{mv{p}}}dst"));
        r.sadd(&src, ["x", "y"]).unwrap();
        assert!(r.smove(&src, &dst, "x").unwrap());
        assert!(!r.smove(&src, &dst, "x").unwrap(), "no longer in src");
        assert!(r.sismember(&dst, "x").unwrap());
        assert_eq!(r.scard(&src).unwrap(), 1);
    }
}

#[test]
fn sets_random_members() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let s = format!("rand{p}");
        let all = set(&["a", "b", "c", "d", "e"]);
        r.sadd(&s, ["a", "b", "c", "d", "e"]).unwrap();

        let one: String = r.srandmember(&s).unwrap();
        assert!(all.contains(&one), "RESP{p}: {one}");
        assert_eq!(r.srandmember::<Option<String>>("nothing").unwrap(), None);
        let some: Vec<String> = r.srandmember_count(&s, 3).unwrap();
        assert_eq!(some.len(), 3);
        assert_eq!(
            some.iter().collect::<HashSet<_>>().len(),
            3,
            "a positive count gives distinct members"
        );
        assert!(some.iter().all(|m| all.contains(m)));
        let capped: Vec<String> = r.srandmember_count(&s, 50).unwrap();
        assert_eq!(capped.len(), 5, "at most the whole set");
        let repeats: Vec<String> = r.srandmember_count(&s, -20).unwrap();
        assert_eq!(repeats.len(), 20, "a negative count gives exactly -count");
        assert!(repeats.iter().all(|m| all.contains(m)));
        let none: Vec<String> = r.srandmember_count("nothing", -3).unwrap();
        assert!(none.is_empty());
        assert_eq!(r.scard(&s).unwrap(), 5, "SRANDMEMBER removes nothing");

        let popped: String = r.spop(&s).unwrap();
        assert!(all.contains(&popped));
        assert!(!r.sismember(&s, &popped).unwrap());
        let two: HashSet<String> = r.spop_count(&s, 2).unwrap();
        assert_eq!(two.len(), 2, "RESP{p}");
        assert!(two.iter().all(|m| all.contains(m) && *m != popped));
        let rest: Vec<String> = r.spop_count(&s, 10).unwrap();
        assert_eq!(rest.len(), 2);
        assert_eq!(r.scard(&s).unwrap(), 0);
        assert_eq!(r.spop::<Option<String>>(&s).unwrap(), None);
        let none: HashSet<String> = r.spop_count("nothing", 2).unwrap();
        assert!(none.is_empty());
    }
}

#[test]
fn sets_algebra() {
    let server = Server::start();
    let has_sintercard = server_major_minor() >= (7, 0);
    if !has_sintercard {
        skip(
            "commands::sets::sets_algebra (SINTERCARD part)",
            "SINTERCARD needs Redis 7.0",
        );
    }
    for (p, r) in clients(&server) {
        let k = |n: &str| format!("{{alg{p}}}{n}");
        let (a, b, c, d) = (k("a"), k("b"), k("c"), k("d"));
        r.sadd(&a, ["1", "2", "3", "4"]).unwrap();
        r.sadd(&b, ["3", "4", "5"]).unwrap();
        r.sadd(&c, ["4", "6"]).unwrap();
        let abc = [a.as_str(), b.as_str(), c.as_str()];

        let diff: HashSet<String> = r.sdiff(abc).unwrap();
        assert_eq!(diff, set(&["1", "2"]), "RESP{p}");
        let inter: HashSet<String> = r.sinter(abc).unwrap();
        assert_eq!(inter, set(&["4"]));
        let union: BTreeSet<i64> = r.sunion(abc).unwrap();
        assert_eq!(union.into_iter().collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
        let alone: HashSet<String> = r.sdiff(&a).unwrap();
        assert_eq!(alone.len(), 4, "one key");
        let with_missing: HashSet<String> = r.sinter([a.as_str(), &k("none")]).unwrap();
        assert!(with_missing.is_empty());

        assert_eq!(r.sdiffstore(&d, [a.as_str(), b.as_str()]).unwrap(), 2);
        let stored: HashSet<String> = r.smembers(&d).unwrap();
        assert_eq!(stored, set(&["1", "2"]));
        assert_eq!(r.sinterstore(&d, [a.as_str(), b.as_str()]).unwrap(), 2);
        let stored: HashSet<String> = r.smembers(&d).unwrap();
        assert_eq!(stored, set(&["3", "4"]));
        assert_eq!(r.sunionstore(&d, abc).unwrap(), 6);
        assert_eq!(r.scard(&d).unwrap(), 6);
        assert_eq!(r.sinterstore(&d, [a.as_str(), &k("none")]).unwrap(), 0);
        assert_eq!(r.scard(&d).unwrap(), 0, "an empty result deletes the key");

        if has_sintercard {
            assert_eq!(r.sintercard(abc).unwrap(), 1);
            assert_eq!(r.sintercard([a.as_str(), b.as_str()]).unwrap(), 2);
            assert_eq!(r.sintercard(&a).unwrap(), 4);
            assert_eq!(r.sintercard_with(&a, 3).unwrap(), 3, "LIMIT stops early");
            assert_eq!(r.sintercard_with(&a, 0).unwrap(), 4, "0: no limit");
        }
    }
}

#[test]
fn sets_bad_input() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let k = |n: &str| format!("{{bad{p}}}{n}");
        let (s, ok) = (k("str"), k("set"));
        r.set(&s, "text").unwrap();
        r.sadd(&ok, "a").unwrap();
        assert_wrongtype(r.sadd(&s, "x"), "SADD");
        assert_wrongtype(r.scard(&s), "SCARD");
        assert_wrongtype(r.sdiff::<Vec<String>>([ok.as_str(), &s]), "SDIFF");
        assert_wrongtype(r.sdiffstore(k("d"), [ok.as_str(), &s]), "SDIFFSTORE");
        assert_wrongtype(r.sinter::<Vec<String>>([ok.as_str(), &s]), "SINTER");
        assert_wrongtype(r.sinterstore(k("d"), [ok.as_str(), &s]), "SINTERSTORE");
        assert_wrongtype(r.sismember(&s, "a"), "SISMEMBER");
        assert_wrongtype(r.smembers::<Vec<String>>(&s), "SMEMBERS");
        assert_wrongtype(r.smove(&s, &ok, "a"), "SMOVE");
        assert_wrongtype(r.spop::<Option<String>>(&s), "SPOP");
        assert_wrongtype(r.spop_count::<Vec<String>>(&s, 2), "SPOP count");
        assert_wrongtype(r.srandmember::<Option<String>>(&s), "SRANDMEMBER");
        assert_wrongtype(r.srandmember_count::<String>(&s, 2), "SRANDMEMBER count");
        assert_wrongtype(r.srem(&s, "a"), "SREM");
        assert_wrongtype(r.sunion::<Vec<String>>([ok.as_str(), &s]), "SUNION");
        assert_wrongtype(r.sunionstore(k("d"), [ok.as_str(), &s]), "SUNIONSTORE");
        if server_major_minor() >= (6, 2) {
            assert_wrongtype(r.smismember(&s, "a"), "SMISMEMBER");
        }
        if server_major_minor() >= (7, 0) {
            assert_wrongtype(r.sintercard([ok.as_str(), &s]), "SINTERCARD");
        }

        let none: [&str; 0] = [];
        let errors = [
            r.sadd(&ok, none).unwrap_err(),
            r.srem(&ok, none).unwrap_err(),
            r.smismember(&ok, none).unwrap_err(),
            r.sdiff::<Vec<String>>(none).unwrap_err(),
            r.sinter::<Vec<String>>(none).unwrap_err(),
            r.sunion::<Vec<String>>(none).unwrap_err(),
            r.sdiffstore(k("d"), none).unwrap_err(),
            r.sinterstore(k("d"), none).unwrap_err(),
            r.sunionstore(k("d"), none).unwrap_err(),
            r.sintercard(none).unwrap_err(),
            r.sintercard_with(none, 1).unwrap_err(),
        ];
        for e in errors {
            assert_eq!(e.kind(), ErrorKind::Usage, "RESP{p}: {e}");
        }
        // A set asked for as a single value is a type error, not a panic.
        let e = r.smembers::<String>(&ok).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type, "{e}");
    }
}
