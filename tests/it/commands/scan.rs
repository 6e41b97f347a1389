//! The cursor commands (SCAN, HSCAN, SSCAN, ZSCAN) and their iterators against live servers,
//! over RESP3 and RESP2.

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{CollectionScanOptions, KeyType, ScanOptions, ScanPage};
use coredis::{cmd, ErrorKind, Redis, ServerCode};
use coredis_test_support::{server_bin, server_major_minor, skip, Server};
use std::collections::{BTreeMap, BTreeSet, HashMap};

const T: &str = "commands::scan::";

fn is_valkey() -> bool {
    server_bin().to_string_lossy().contains("valkey")
}

/// Fills the hash `key` with `n` fields `f<i>` = `i`, the set `key` with `m<i>`, or the
/// sorted set with `m<i>` scored `i + 0.5`.
fn fill(r: &Redis, kind: &str, key: &str, n: usize) {
    let mut c = cmd(kind).key(key);
    for i in 0..n {
        c = match kind {
            "HSET" => c.arg(format!("f{i}")).arg(i),
            "SADD" => c.arg(format!("m{i}")),
            _ => c.arg(i as f64 + 0.5).arg(format!("m{i}")),
        };
    }
    r.execute(c).unwrap();
}

/// Every page of a walk, by hand.
fn walk<T>(mut page: impl FnMut(u64) -> coredis::Result<ScanPage<T>>) -> (Vec<T>, usize) {
    let (mut cursor, mut out, mut pages) = (0, Vec::new(), 0);
    loop {
        let p = page(cursor).unwrap();
        pages += 1;
        let last = p.is_last();
        out.extend(p.items);
        if last {
            return (out, pages);
        }
        cursor = p.cursor;
        assert!(pages < 10_000, "the walk does not end");
    }
}

#[test]
fn scan_pages_with_match_count_type() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        let pairs: Vec<(String, usize)> = (0..50).map(|i| (format!("k:{i}"), i)).collect();
        r.mset(pairs).unwrap();
        r.execute(cmd("HSET").key("h:1").args(["f", "v"])).unwrap();
        r.execute(cmd("RPUSH").key("l:1").arg("x")).unwrap();

        let (all, pages) = walk(|c| r.scan::<String>(c));
        assert_eq!(
            all.iter().collect::<BTreeSet<_>>().len(),
            52,
            "RESP{p}: {all:?}"
        );
        assert!(pages > 1, "default COUNT 10 pages 52 keys");
        let (small, _) = walk(|c| r.scan_with::<String>(c, ScanOptions::new().count(1000)));
        assert_eq!(small.len(), 52, "one big page");
        let (matching, _) =
            walk(|c| r.scan_with::<String>(c, ScanOptions::new().pattern("k:1*").count(7)));
        let matching: BTreeSet<String> = matching.into_iter().collect();
        let expected: BTreeSet<String> = std::iter::once("k:1".to_string())
            .chain((10..20).map(|i| format!("k:{i}")))
            .collect();
        assert_eq!(matching, expected);
        let (hashes, _) =
            walk(|c| r.scan_with::<String>(c, ScanOptions::new().type_(KeyType::Hash)));
        assert_eq!(hashes, ["h:1"]);
        let (lists, _) = walk(|c| {
            r.scan_with::<Vec<u8>>(c, ScanOptions::new().type_(KeyType::List).pattern("l:*"))
        });
        assert_eq!(lists, [b"l:1".to_vec()]);
    }
}

#[test]
fn scan_collections_page_by_page() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        for (kind, n) in [("small", 5), ("big", 300)] {
            fill(&r, "HSET", &format!("h{kind}"), n);
            fill(&r, "SADD", &format!("s{kind}"), n);
            fill(&r, "ZADD", &format!("z{kind}"), n);
            let (fields, _) = walk(|c| r.hscan::<String, i64>(format!("h{kind}"), c));
            let fields: BTreeMap<String, i64> = fields.into_iter().collect();
            assert_eq!(fields.len(), n, "RESP{p}");
            assert!(fields.iter().all(|(f, v)| *f == format!("f{v}")));
            let (members, _) = walk(|c| r.sscan::<String>(format!("s{kind}"), c));
            assert_eq!(members.iter().collect::<BTreeSet<_>>().len(), n);
            let (scored, _) = walk(|c| r.zscan::<String>(format!("z{kind}"), c));
            let scored: HashMap<String, f64> =
                scored.into_iter().map(|s| (s.member, s.score)).collect();
            assert_eq!(scored.len(), n);
            assert_eq!(scored["m3"], 3.5, "RESP{p}: scores are f64");
        }
        // A small collection comes in one page, whatever COUNT says.
        let page = r
            .hscan_with::<String, String>("hsmall", 0, CollectionScanOptions::new().count(1))
            .unwrap();
        assert!(page.is_last() && page.items.len() == 5);
        let opts = CollectionScanOptions::new().pattern("*1*").count(20);
        let (fields, _) = walk(|c| r.hscan_with::<String, String>("hbig", c, opts.clone()));
        let fields: BTreeSet<String> = fields.into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields.len(),
            (0..300).filter(|i| i.to_string().contains('1')).count()
        );
        let (members, _) = walk(|c| r.sscan_with::<String>("sbig", c, opts.clone()));
        assert!(members.iter().all(|m| m.contains('1')));
        let (scored, _) = walk(|c| r.zscan_with::<String>("zbig", c, opts.clone()));
        assert!(scored
            .iter()
            .all(|s| s.member.contains('1') && s.score.fract() == 0.5));
        // Missing keys are empty; other types are WRONGTYPE.
        let empty = r.sscan::<String>("missing", 0).unwrap();
        assert!(empty.is_last() && empty.items.is_empty());
        r.set("str", "x").unwrap();
        for e in [
            r.hscan::<String, String>("str", 0).unwrap_err(),
            r.sscan::<String>("str", 0).unwrap_err(),
            r.zscan::<String>("str", 0).unwrap_err(),
        ] {
            assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
        }
    }
}

#[test]
fn scan_iterators_walk_collections() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        fill(&r, "HSET", "h", 500);
        fill(&r, "SADD", "s", 500);
        fill(&r, "ZADD", "z", 500);
        let opts = CollectionScanOptions::new().count(10);
        let fields: HashMap<String, i64> = r
            .hscan_iter("h", opts.clone())
            .collect::<coredis::Result<_>>()
            .unwrap();
        assert_eq!(fields.len(), 500, "RESP{p}");
        assert_eq!(fields["f42"], 42);
        let members: BTreeSet<String> = r
            .sscan_iter("s", opts.clone())
            .collect::<coredis::Result<_>>()
            .unwrap();
        assert_eq!(members.len(), 500);
        let scored: Vec<coredis::types::ScoredMember<String>> = r
            .zscan_iter("z", opts.clone())
            .collect::<coredis::Result<_>>()
            .unwrap();
        let scored: HashMap<String, f64> =
            scored.into_iter().map(|s| (s.member, s.score)).collect();
        assert_eq!(scored.len(), 500);
        assert_eq!(scored["m499"], 499.5);
        let ones: Vec<String> = r
            .sscan_iter("s", CollectionScanOptions::new().pattern("m1?"))
            .map(Result::unwrap)
            .collect();
        assert_eq!(ones.len(), 10);
        // Lazy: the first item reads one page only.
        let mut it = r.sscan_iter::<String>("s", opts.clone());
        assert!(it.next().unwrap().is_ok());
        assert_eq!(it.pages(), 1);
        assert_ne!(it.cursor(), 0);
        // On a dedicated connection too.
        let c = r.dedicated().unwrap();
        assert_eq!(c.sscan_iter::<String>("s", opts.clone()).count(), 500);
        assert_eq!(r.sscan_iter::<String>("missing", opts.clone()).count(), 0);

        // The key deleted during the walk: the walk ends, without an error.
        let mut it = r.hscan_iter::<String, String>("h", opts.clone());
        assert!(it.next().unwrap().is_ok());
        r.del("h").unwrap();
        assert!(it.all(|x| x.is_ok()));
        // Replaced by another type: the error is yielded once and ends the walk.
        let mut it = r.zscan_iter::<String>("z", opts.clone());
        assert!(it.next().unwrap().is_ok());
        r.del("z").unwrap();
        r.set("z", "now a string").unwrap();
        let e = it.find_map(|x| x.err()).expect("an error");
        assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
        assert!(it.next().is_none());
    }
}

#[test]
fn scan_iter_walks_a_changing_keyspace() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        let original: Vec<(String, usize)> = (0..1000).map(|i| (format!("key:{i}"), i)).collect();
        r.mset(original.iter().cloned()).unwrap();
        // Every 7th key is deleted during the walk, and 200 keys are added.
        let doomed: BTreeSet<String> = (0..1000).step_by(7).map(|i| format!("key:{i}")).collect();
        let mut doomed_left: Vec<&String> = doomed.iter().collect();
        let mut added = 0;
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut it = r.scan_iter::<String>(ScanOptions::new().count(10));
        for key in it.by_ref() {
            let key = key.unwrap_or_else(|e| panic!("RESP{p}: {e}"));
            *seen.entry(key).or_default() += 1;
            let n: usize = seen.values().sum();
            if n % 5 == 0 {
                if let Some(k) = doomed_left.pop() {
                    r.del(k).unwrap();
                }
                if added < 200 {
                    r.set(format!("new:{added}"), 1).unwrap();
                    added += 1;
                }
            }
        }
        assert!(
            it.pages() >= 50,
            "COUNT 10 over 1000 keys: {} pages",
            it.pages()
        );
        for (key, _) in &original {
            if !doomed.contains(key) {
                assert!(
                    seen.contains_key(key),
                    "RESP{p}: {key} was present throughout but not returned"
                );
            }
        }
        for key in seen.keys() {
            assert!(
                key.starts_with("key:") || key.starts_with("new:"),
                "unexpected key {key}"
            );
        }
        let repeated = seen.values().filter(|&&n| n > 1).count();
        eprintln!(
            "RESP{p}: {} distinct keys in {} pages, {repeated} returned more than once",
            seen.len(),
            it.pages()
        );
    }
}

#[test]
fn scan_novalues_noscores() {
    let (major, minor) = server_major_minor();
    let novalues = if is_valkey() {
        major >= 8
    } else {
        (major, minor) >= (7, 4)
    };
    let noscores = major >= 8;
    if !novalues && !noscores {
        skip(
            &format!("{T}scan_novalues_noscores"),
            "HSCAN NOVALUES needs Redis 7.4 or Valkey 8.0, ZSCAN NOSCORES Redis/Valkey 8.0",
        );
        return;
    }
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        fill(&r, "HSET", "h", 300);
        fill(&r, "ZADD", "z", 300);
        let opts = CollectionScanOptions::new().count(25);
        if novalues {
            let page = r.hscan_novalues::<String>("h", 0).unwrap();
            assert!(page.items.iter().all(|f| f.starts_with('f')), "RESP{p}");
            let (fields, _) = walk(|c| r.hscan_novalues_with::<String>("h", c, opts.clone()));
            assert_eq!(fields.iter().collect::<BTreeSet<_>>().len(), 300);
            let fields: BTreeSet<String> = r
                .hscan_novalues_iter("h", opts.clone().pattern("f2?"))
                .collect::<coredis::Result<_>>()
                .unwrap();
            assert_eq!(fields.len(), 10);
        }
        if noscores {
            let page = r.zscan_noscores::<String>("z", 0).unwrap();
            assert!(page.items.iter().all(|m| m.starts_with('m')), "RESP{p}");
            let (members, _) = walk(|c| r.zscan_noscores_with::<String>("z", c, opts.clone()));
            assert_eq!(members.iter().collect::<BTreeSet<_>>().len(), 300);
            let members: BTreeSet<String> = r
                .zscan_noscores_iter("z", opts.clone())
                .collect::<coredis::Result<_>>()
                .unwrap();
            assert_eq!(members.len(), 300);
        }
    }
    if !novalues || !noscores {
        skip(
            &format!("{T}scan_novalues_noscores"),
            "partly: HSCAN NOVALUES needs Redis 7.4, ZSCAN NOSCORES Redis 8.0",
        );
    }
}

#[test]
fn scan_pages_convert_bad_replies_to_errors() {
    let server = Server::start();
    let r = crate::util::connect(&server);
    // A member that is not a number cannot convert: a type error naming the command.
    r.execute(cmd("SADD").key("s").arg("abc")).unwrap();
    let e = r.sscan::<i64>("s", 0).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Type, "{e}");
    assert_eq!(e.command(), Some("SSCAN"));
    let e = r
        .sscan_iter::<i64>("s", CollectionScanOptions::new())
        .next();
    assert_eq!(e.unwrap().unwrap_err().kind(), ErrorKind::Type);
}

/// Every method of the group, built.
pub fn built() -> Vec<coredis::Request> {
    let opts = CollectionScanOptions::new().pattern("m*").count(5);
    vec![
        Build.scan::<String>(0).request().clone(),
        Build
            .scan_with::<String>(
                0,
                ScanOptions::new()
                    .pattern("k*")
                    .count(5)
                    .type_(KeyType::Hash),
            )
            .request()
            .clone(),
        Build.hscan::<String, String>("h", 0).request().clone(),
        Build
            .hscan_with::<String, String>("h", 0, opts.clone())
            .request()
            .clone(),
        Build.hscan_novalues::<String>("h", 0).request().clone(),
        Build
            .hscan_novalues_with::<String>("h", 0, opts.clone())
            .request()
            .clone(),
        Build.sscan::<String>("s", 0).request().clone(),
        Build
            .sscan_with::<String>("s", 0, opts.clone())
            .request()
            .clone(),
        Build.zscan::<String>("z", 0).request().clone(),
        Build
            .zscan_with::<String>("z", 0, opts.clone())
            .request()
            .clone(),
        Build.zscan_noscores::<String>("z", 0).request().clone(),
        Build
            .zscan_noscores_with::<String>("z", 0, opts)
            .request()
            .clone(),
    ]
}

#[test]
fn scan_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        &format!("{T}scan_routing_facts_match_the_server"),
        &built(),
    );
}
