//! The generic key commands against live servers, over RESP3 and RESP2 (both in every run).

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    CopyOptions, ExpireTime, KeyType, MigrateOptions, MigrateStatus, ObjectEncoding,
    RestoreOptions, RestoreTtl, SortOptions, SortOrder, WaitAof,
};
use coredis::{cmd, ErrorKind, ExpireCondition, Redis, ServerCode, Value};
use coredis_test_support::{server_major_minor, skip, Server};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const T: &str = "commands::generic::";

/// Runs a raw command (for the data types of other groups) and returns its reply.
fn raw(r: &Redis, words: &[&str]) -> Value {
    let (name, rest) = words.split_first().expect("a command");
    r.execute(cmd(name).args(rest))
        .unwrap_or_else(|e| panic!("{words:?}: {e}"))
}

#[test]
fn generic_keys_copy_rename_move_type() {
    let server = Server::start();
    let copy = server_major_minor() >= (6, 2);
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        assert_eq!(r.randomkey::<String>().unwrap(), None, "RESP{p}");
        r.set("a", "1").unwrap();
        assert_eq!(r.randomkey::<String>().unwrap().as_deref(), Some("a"));
        if copy {
            assert!(r.copy("a", "b").unwrap());
            assert!(!r.copy("a", "b").unwrap(), "the destination exists");
            assert!(!r.copy("missing", "c").unwrap());
            r.set("a", "2").unwrap();
            assert!(r.copy_with("a", "b", CopyOptions::new().replace()).unwrap());
            assert_eq!(r.get::<String>("b").unwrap(), "2");
            assert!(r.copy_with("a", "a1", CopyOptions::new().db(1)).unwrap());
            let c = r.dedicated().unwrap();
            c.select(1).unwrap();
            assert_eq!(c.get::<String>("a1").unwrap(), "2");
            drop(c);
            assert_eq!(r.exists("a1").unwrap(), 0, "copied to db 1 only");
        } else {
            r.set("b", "2").unwrap();
        }
        let mut keys: Vec<String> = r.keys("*").unwrap();
        keys.sort();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(r.keys::<String>("b*").unwrap(), ["b"]);
        assert!(r.keys::<String>("zz*").unwrap().is_empty());

        r.rename("b", "c").unwrap();
        assert_eq!(r.exists(["b", "c"]).unwrap(), 1);
        let e = r.rename("missing", "x").unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        assert!(!r.renamenx("c", "a").unwrap(), "a exists");
        assert!(r.renamenx("c", "d").unwrap());

        assert!(r.move_("d", 2).unwrap());
        assert!(!r.move_("d", 2).unwrap(), "no longer here");
        r.set("d", "again").unwrap();
        let c = r.dedicated().unwrap();
        c.select(2).unwrap();
        assert!(!c.move_("d", 0).unwrap(), "exists in the target db");
        drop(c);

        assert_eq!(r.touch(["a", "d", "missing"]).unwrap(), 2);
        assert_eq!(r.touch("a").unwrap(), 1);
        assert_eq!(r.unlink(["a", "missing"]).unwrap(), 1);
        assert_eq!(r.del("d").unwrap(), 1);

        // Every type of value.
        r.set("s", "v").unwrap();
        raw(&r, &["RPUSH", "l", "x"]);
        raw(&r, &["SADD", "set", "x"]);
        raw(&r, &["ZADD", "z", "1", "x"]);
        raw(&r, &["HSET", "h", "f", "v"]);
        raw(&r, &["XADD", "x", "*", "f", "v"]);
        for (key, t) in [
            ("s", KeyType::String),
            ("l", KeyType::List),
            ("set", KeyType::Set),
            ("z", KeyType::ZSet),
            ("h", KeyType::Hash),
            ("x", KeyType::Stream),
            ("missing", KeyType::Missing),
        ] {
            assert_eq!(r.type_(key).unwrap(), t, "RESP{p}: {key}");
        }
        assert_eq!(r.type_("z").unwrap().as_str(), "zset");

        // Empty key lists are refused before sending.
        let none: Vec<String> = Vec::new();
        for e in [
            r.del(&none).unwrap_err(),
            r.exists(&none).unwrap_err(),
            r.touch(&none).unwrap_err(),
            r.unlink(&none).unwrap_err(),
            r.migrate_keys(
                "127.0.0.1",
                1,
                &none,
                0,
                Duration::from_secs(1),
                MigrateOptions::new(),
            )
            .unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        }
    }
}

#[test]
fn generic_expiry() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        assert!(!r.pexpire("missing", Duration::from_secs(5)).unwrap());
        assert!(!r.persist("missing").unwrap());
        r.set("k", 1).unwrap();
        assert!(!r.persist("k").unwrap(), "RESP{p}: no ttl to remove");
        assert!(r.pexpire("k", Duration::from_millis(50_500)).unwrap());
        let pttl = r.pttl("k").unwrap();
        assert!((40_000..=50_500).contains(&pttl), "PEXPIRE: {pttl}");
        assert!(r.persist("k").unwrap());
        assert_eq!(r.ttl("k").unwrap(), -1);

        let in_100s = SystemTime::now() + Duration::from_secs(100);
        assert!(r.expireat("k", in_100s).unwrap());
        let ttl = r.ttl("k").unwrap();
        assert!((90..=101).contains(&ttl), "EXPIREAT: {ttl}");
        assert!(!r.expireat("missing", in_100s).unwrap());
        assert!(r
            .pexpireat("k", SystemTime::now() + Duration::from_secs(200))
            .unwrap());
        let pttl = r.pttl("k").unwrap();
        assert!((190_000..=200_001).contains(&pttl), "PEXPIREAT: {pttl}");
        assert!(!r.pexpireat("missing", in_100s).unwrap());

        // A time in the past deletes the key.
        assert!(r
            .pexpireat("k", UNIX_EPOCH + Duration::from_secs(1))
            .unwrap());
        assert_eq!(r.exists("k").unwrap(), 0);
    }
}

#[test]
fn generic_expire_conditions_and_expiretime() {
    let server = Server::start();
    if server_major_minor() < (7, 0) {
        skip(
            &format!("{T}generic_expire_conditions_and_expiretime"),
            "NX/XX/GT/LT and EXPIRETIME need Redis 7.0",
        );
        return;
    }
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        assert_eq!(r.expiretime("k").unwrap(), ExpireTime::NoKey, "RESP{p}");
        assert_eq!(r.pexpiretime("k").unwrap(), ExpireTime::NoKey);
        r.set("k", 1).unwrap();
        assert_eq!(r.expiretime("k").unwrap(), ExpireTime::Persistent);
        assert_eq!(r.pexpiretime("k").unwrap(), ExpireTime::Persistent);
        assert_eq!(r.expiretime("k").unwrap().at(), None);

        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let at = UNIX_EPOCH + Duration::from_millis(now_ms + 100_250);
        assert!(r.pexpireat("k", at).unwrap());
        assert_eq!(r.pexpiretime("k").unwrap(), ExpireTime::At(at));
        // EXPIRETIME rounds to the nearest second.
        let whole = UNIX_EPOCH + Duration::from_secs((now_ms + 100_250 + 500) / 1000);
        assert_eq!(r.expiretime("k").unwrap(), ExpireTime::At(whole));

        let s = Duration::from_secs;
        // NX: only without a ttl; XX: only with one; GT/LT: compared with the current one.
        assert!(!r.pexpire_with("k", s(50), ExpireCondition::Nx).unwrap());
        assert!(!r.pexpire_with("k", s(50), ExpireCondition::Gt).unwrap());
        assert!(r.pexpire_with("k", s(50), ExpireCondition::Lt).unwrap());
        assert!(r.pttl("k").unwrap() <= 50_000);
        assert!(r.pexpire_with("k", s(60), ExpireCondition::Xx).unwrap());
        let later = SystemTime::now() + s(300);
        assert!(!r.expireat_with("k", later, ExpireCondition::Lt).unwrap());
        assert!(r.expireat_with("k", later, ExpireCondition::Gt).unwrap());
        assert!((290..=301).contains(&r.ttl("k").unwrap()));
        assert!(!r
            .pexpireat_with("k", later + s(100), ExpireCondition::Nx)
            .unwrap());
        assert!(r
            .pexpireat_with("k", later + s(100), ExpireCondition::Xx)
            .unwrap());
        assert!((390..=401).contains(&r.ttl("k").unwrap()));
        r.set("plain", 1).unwrap();
        assert!(!r
            .expireat_with("plain", later, ExpireCondition::Xx)
            .unwrap());
        assert!(r
            .expireat_with("plain", later, ExpireCondition::Nx)
            .unwrap());
        assert!(!r
            .pexpireat_with("missing", later, ExpireCondition::Nx)
            .unwrap());
    }
}

#[test]
fn generic_dump_restore_object() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        assert_eq!(r.dump("missing").unwrap(), None, "RESP{p}");
        r.set("d", "hello").unwrap();
        let dumped = r.dump("d").unwrap().expect("a serialized value");
        assert!(dumped.len() > 5);

        r.restore("d2", RestoreTtl::Persistent, &dumped).unwrap();
        assert_eq!(r.get::<String>("d2").unwrap(), "hello");
        assert_eq!(r.ttl("d2").unwrap(), -1);
        let e = r
            .restore("d2", RestoreTtl::Persistent, &dumped)
            .unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::BusyKey), "{e}");

        r.restore_with(
            "d2",
            Duration::from_secs(100),
            &dumped,
            RestoreOptions::new().replace(),
        )
        .unwrap();
        let pttl = r.pttl("d2").unwrap();
        assert!((90_000..=100_000).contains(&pttl), "ttl: {pttl}");
        r.restore("d3", SystemTime::now() + Duration::from_secs(200), &dumped)
            .unwrap();
        let ttl = r.ttl("d3").unwrap();
        assert!((190..=200).contains(&ttl), "ABSTTL: {ttl}");
        r.restore_with(
            "d4",
            RestoreTtl::Persistent,
            &dumped,
            RestoreOptions::new().idletime(Duration::from_secs(1000)),
        )
        .unwrap();
        let idle = r.object_idletime("d4").unwrap().expect("exists");
        assert!(idle >= Duration::from_secs(1000), "IDLETIME: {idle:?}");
        let e = r
            .restore("bad", RestoreTtl::Persistent, &b"not a dump"[..])
            .unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err));

        // OBJECT …
        r.set("int", 12345).unwrap();
        assert_eq!(r.object_encoding("int").unwrap(), Some(ObjectEncoding::Int));
        assert_eq!(
            r.object_encoding("d").unwrap(),
            Some(ObjectEncoding::Embstr)
        );
        r.set("long", "x".repeat(10_000)).unwrap();
        assert_eq!(
            r.object_encoding("long").unwrap(),
            Some(ObjectEncoding::Raw)
        );
        raw(&r, &["SADD", "ints", "1", "2"]);
        assert_eq!(
            r.object_encoding("ints").unwrap(),
            Some(ObjectEncoding::Intset)
        );
        assert_eq!(r.object_encoding("missing").unwrap(), None);
        assert!(r.object_refcount("long").unwrap().unwrap() >= 1);
        assert_eq!(r.object_refcount("missing").unwrap(), None);
        assert!(r.object_idletime("long").unwrap().unwrap() < Duration::from_secs(100));
        assert_eq!(r.object_idletime("missing").unwrap(), None);
        let e = r.object_freq("long").unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "not under LFU: {e}");

        // Under an LFU policy: FREQ set by RESTORE, read by OBJECT FREQ.
        raw(&r, &["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
        r.restore_with(
            "f",
            RestoreTtl::Persistent,
            &dumped,
            RestoreOptions::new().freq(100),
        )
        .unwrap();
        assert_eq!(r.object_freq("f").unwrap(), Some(100));
        assert_eq!(r.object_freq("missing").unwrap(), None);
        assert_eq!(
            r.object_idletime("f").unwrap_err().server_code(),
            Some(ServerCode::Err)
        );
        raw(&r, &["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    }
}

#[test]
fn generic_sort() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        raw(&r, &["RPUSH", "ids", "3", "1", "2", "10"]);
        assert_eq!(r.sort::<i64>("ids").unwrap(), [1, 2, 3, 10], "RESP{p}");
        assert!(r.sort::<String>("missing").unwrap().is_empty());
        assert_eq!(
            r.sort_with::<i64>("ids", SortOptions::new().desc().limit(1, 2))
                .unwrap(),
            [3, 2]
        );
        assert_eq!(
            r.sort_with::<String>("ids", SortOptions::new().alpha())
                .unwrap(),
            ["1", "10", "2", "3"]
        );
        assert_eq!(
            r.sort_with::<String>("ids", SortOptions::new().order(SortOrder::Asc).limit(0, -1))
                .unwrap(),
            ["1", "2", "3", "10"]
        );
        // BY external weights, GET the element and an external name (one missing).
        r.mset([("w_1", "30"), ("w_2", "20"), ("w_3", "10"), ("w_10", "40")])
            .unwrap();
        r.mset([("name_1", "one"), ("name_2", "two"), ("name_3", "three")])
            .unwrap();
        let got: Vec<Option<String>> = r
            .sort_with("ids", SortOptions::new().by("w_*").get("#").get("name_*"))
            .unwrap();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            [
                s("3"),
                s("three"),
                s("2"),
                s("two"),
                s("1"),
                s("one"),
                s("10"),
                None
            ]
        );
        let stored_order: Vec<i64> = r.sort_with("ids", SortOptions::new().nosort()).unwrap();
        assert_eq!(stored_order, [3, 1, 2, 10]);

        assert_eq!(r.sort_store("ids", "sorted").unwrap(), 4);
        let list: Vec<i64> = r
            .execute(cmd("LRANGE").key("sorted").args(["0", "-1"]).returns())
            .unwrap();
        assert_eq!(list, [1, 2, 3, 10]);
        assert_eq!(
            r.sort_store_with("ids", "sorted", SortOptions::new().by("w_*").limit(0, 2))
                .unwrap(),
            2
        );
        let list: Vec<i64> = r
            .execute(cmd("LRANGE").key("sorted").args(["0", "-1"]).returns())
            .unwrap();
        assert_eq!(list, [3, 2]);

        r.set("str", "x").unwrap();
        let e = r.sort::<String>("str").unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
        raw(&r, &["RPUSH", "words", "b", "a"]);
        let e = r.sort::<String>("words").unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "not numbers: {e}");
    }
}

#[test]
fn generic_sort_ro() {
    let server = Server::start();
    if server_major_minor() < (7, 0) {
        skip(&format!("{T}generic_sort_ro"), "SORT_RO needs Redis 7.0");
        return;
    }
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        raw(&r, &["SADD", "set", "b", "c", "a"]);
        assert_eq!(
            r.sort_ro_with::<String>("set", SortOptions::new().alpha().desc())
                .unwrap(),
            ["c", "b", "a"],
            "RESP{p}"
        );
        raw(&r, &["ZADD", "z", "1", "5", "2", "4"]);
        assert_eq!(r.sort_ro::<i64>("z").unwrap(), [4, 5]);
    }
}

#[test]
fn generic_migrate() {
    let server = Server::start();
    let target = Server::builder()
        .password("pw")
        .acl_user("mover", "pw2")
        .start();
    let port = target.port();
    let secs = Duration::from_secs(10);
    let on_target = |key: &str| target.command(&["GET", key]);
    // Without credentials the target refuses. (Before any authenticated MIGRATE: the server
    // keeps its connection to a target for a while and reuses it, credentials included.)
    let r = crate::util::connect(&server);
    r.set("m0", 0).unwrap();
    let e = r.migrate("127.0.0.1", port, "m0", 0, secs).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert_eq!(r.get::<i64>("m0").unwrap(), 0, "still here");
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        target.command(&["FLUSHALL"]);
        r.mset([("m1", "1"), ("m2", "2"), ("m3", "3"), ("m4", "4")])
            .unwrap();
        let auth = MigrateOptions::new().auth("pw");
        assert_eq!(
            r.migrate_with("127.0.0.1", port, "m1", 0, secs, auth.clone())
                .unwrap(),
            MigrateStatus::Ok,
            "RESP{p}"
        );
        assert_eq!(on_target("m1"), "1");
        assert_eq!(r.exists("m1").unwrap(), 0, "moved");
        assert_eq!(
            r.migrate_with("127.0.0.1", port, "m1", 0, secs, auth.clone())
                .unwrap(),
            MigrateStatus::NoKey
        );
        // COPY keeps the source; REPLACE overwrites the target.
        assert_eq!(
            r.migrate_with("127.0.0.1", port, "m2", 0, secs, auth.clone().copy())
                .unwrap(),
            MigrateStatus::Ok
        );
        assert_eq!(r.get::<String>("m2").unwrap(), "2");
        r.set("m2", "22").unwrap();
        let e = r
            .migrate_with("127.0.0.1", port, "m2", 0, secs, auth.clone().copy())
            .unwrap_err();
        // The target's BUSYKEY comes wrapped in an ERR.
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        assert!(e.to_string().contains("BUSYKEY"), "{e}");
        assert_eq!(
            r.migrate_with(
                "127.0.0.1",
                port,
                "m2",
                0,
                secs,
                auth.clone().copy().replace()
            )
            .unwrap(),
            MigrateStatus::Ok
        );
        assert_eq!(on_target("m2"), "22");
        // Several keys, as an ACL user, into database 3.
        let as_user = MigrateOptions::new().auth2("mover", "pw2");
        assert_eq!(
            r.migrate_keys(
                "127.0.0.1",
                port,
                ["m3", "m4", "none"],
                3,
                secs,
                as_user.clone()
            )
            .unwrap(),
            MigrateStatus::Ok
        );
        assert_eq!(r.exists(["m3", "m4"]).unwrap(), 0);
        assert_eq!(target.command(&["DBSIZE"]), "2");
        let in_db3 =
            target.raw_commands(&[&["AUTH", "pw"], &["SELECT", "3"], &["MGET", "m3", "m4"]]);
        assert_eq!(in_db3[2], "3\n4");
        assert_eq!(
            r.migrate_keys("127.0.0.1", port, "none", 0, secs, as_user)
                .unwrap(),
            MigrateStatus::NoKey
        );
        // Unreachable target: an error within the timeout.
        let unused = coredis_test_support::free_port();
        let e = r
            .migrate("127.0.0.1", unused, "m2", 0, Duration::from_millis(500))
            .unwrap_err();
        assert!(e.to_string().contains("IOERR"), "{e}");
    }
}

/// Waits until the primary counts `n` connected replicas.
fn wait_for_replicas(primary: &Server, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let info = primary.command(&["INFO", "replication"]);
        let online = info
            .lines()
            .filter(|l| l.starts_with("slave") && l.contains("state=online"))
            .count();
        if online >= n {
            return;
        }
        assert!(Instant::now() < deadline, "no replica came online: {info}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn generic_wait() {
    let primary = Server::start();
    for (p, r) in clients(&primary) {
        let c = r.dedicated().unwrap();
        c.set("w", p as i64).unwrap();
        // No replica: nobody acknowledges, the timeout ends the wait.
        let started = Instant::now();
        assert_eq!(c.wait(1, Duration::from_millis(200)).unwrap(), 0, "RESP{p}");
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert_eq!(c.wait(0, Duration::ZERO).unwrap(), 0);
    }
    let _replica = Server::builder()
        .arg(&format!("--replicaof 127.0.0.1 {}", primary.port()))
        .start();
    wait_for_replicas(&primary, 1);
    for (p, r) in clients(&primary) {
        let c = r.dedicated().unwrap();
        c.set("w", p as i64).unwrap();
        assert_eq!(c.wait(1, Duration::from_secs(20)).unwrap(), 1, "RESP{p}");
    }
}

#[test]
fn generic_waitaof() {
    if server_major_minor() < (7, 2) {
        skip(&format!("{T}generic_waitaof"), "WAITAOF needs Redis 7.2");
        return;
    }
    let plain = Server::start();
    let aof = Server::builder().arg("--appendonly yes").start();
    for (p, r) in clients(&aof) {
        let c = r.dedicated().unwrap();
        c.set("w", 1).unwrap();
        let w: WaitAof = c.waitaof(1, 0, Duration::from_secs(20)).unwrap();
        assert_eq!((w.local, w.replicas), (1, 0), "RESP{p}");
    }
    for (p, r) in clients(&plain) {
        let c = r.dedicated().unwrap();
        c.set("w", 1).unwrap();
        let w = c.waitaof(0, 0, Duration::from_millis(100)).unwrap();
        assert_eq!((w.local, w.replicas), (0, 0), "RESP{p}");
        let e = c.waitaof(1, 0, Duration::from_millis(100)).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "no AOF: {e}");
    }
}

/// Every method of the group, built (with options set where it has them).
pub fn built() -> Vec<coredis::Request> {
    let s = Duration::from_secs(5);
    let at = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
    let sort = || {
        SortOptions::new()
            .by("w_*")
            .limit(0, 5)
            .get("#")
            .get("n_*")
            .desc()
            .alpha()
    };
    vec![
        Build.copy("a", "b").request().clone(),
        Build
            .copy_with("a", "b", CopyOptions::new().db(1).replace())
            .request()
            .clone(),
        Build.del(["a", "b"]).request().clone(),
        Build.dump("a").request().clone(),
        Build.exists(["a", "b"]).request().clone(),
        Build.expire("a", s).request().clone(),
        Build
            .expire_with("a", s, ExpireCondition::Nx)
            .request()
            .clone(),
        Build.pexpire("a", s).request().clone(),
        Build
            .pexpire_with("a", s, ExpireCondition::Xx)
            .request()
            .clone(),
        Build.expireat("a", at).request().clone(),
        Build
            .expireat_with("a", at, ExpireCondition::Gt)
            .request()
            .clone(),
        Build.pexpireat("a", at).request().clone(),
        Build
            .pexpireat_with("a", at, ExpireCondition::Lt)
            .request()
            .clone(),
        Build.expiretime("a").request().clone(),
        Build.pexpiretime("a").request().clone(),
        Build.persist("a").request().clone(),
        Build.keys::<String>("user:*").request().clone(),
        Build
            .migrate("127.0.0.1", 6379, "a", 0, s)
            .request()
            .clone(),
        Build
            .migrate_with(
                "127.0.0.1",
                6379,
                "a",
                0,
                s,
                MigrateOptions::new().copy().replace().auth("pw"),
            )
            .request()
            .clone(),
        Build
            .migrate_keys(
                "127.0.0.1",
                6379,
                ["a", "b"],
                0,
                s,
                MigrateOptions::new().auth2("u", "pw"),
            )
            .request()
            .clone(),
        Build.move_("a", 1).request().clone(),
        Build.object_encoding("a").request().clone(),
        Build.object_freq("a").request().clone(),
        Build.object_idletime("a").request().clone(),
        Build.object_refcount("a").request().clone(),
        Build.randomkey::<String>().request().clone(),
        Build.rename("a", "b").request().clone(),
        Build.renamenx("a", "b").request().clone(),
        Build
            .restore("a", RestoreTtl::Persistent, "payload")
            .request()
            .clone(),
        Build
            .restore_with(
                "a",
                at,
                "payload",
                RestoreOptions::new().replace().idletime(s).freq(5),
            )
            .request()
            .clone(),
        Build.sort::<String>("a").request().clone(),
        Build.sort_with::<String>("a", sort()).request().clone(),
        Build.sort_store("a", "dest").request().clone(),
        Build.sort_store_with("a", "dest", sort()).request().clone(),
        Build.sort_ro::<String>("a").request().clone(),
        Build.sort_ro_with::<String>("a", sort()).request().clone(),
        Build.touch(["a", "b"]).request().clone(),
        Build.ttl("a").request().clone(),
        Build.pttl("a").request().clone(),
        Build.type_("a").request().clone(),
        Build.unlink(["a", "b"]).request().clone(),
        Build.wait(1, s).request().clone(),
        Build.waitaof(1, 0, s).request().clone(),
    ]
}

#[test]
fn generic_routing_facts_match_the_server() {
    let server = Server::start();
    let mut requests = built();
    if server_major_minor() < (7, 2) {
        requests.retain(|r| r.name() != "WAITAOF");
    }
    super::audit::check(
        &server,
        &format!("{T}generic_routing_facts_match_the_server"),
        &requests,
    );
    let wait = Build.wait(1, Duration::from_secs(3));
    assert!(wait.is_blocking());
    assert_eq!(
        wait.request().server_timeout(),
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        Build.wait(1, Duration::ZERO).request().server_timeout(),
        None
    );
}
