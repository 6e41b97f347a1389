//! The stream group against real servers, over RESP3 and RESP2 (both in every run): `XREAD`
//! replies are a map in RESP3 and an array of pairs in RESP2, `XINFO` replies maps or flat
//! arrays; each becomes the same value.

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    StreamAutoClaim, StreamBound, StreamEntry, StreamId, StreamReadReply, StreamTrim,
    StreamTrimMode, StreamTrimStrategy, XAddOptions, XClaimOptions, XGroupCreateOptions,
    XInfoStream, XInfoStreamFull, XPendingOptions, XReadGroupOptions, XReadOptions, XSetIdOptions,
};
use coredis::{ErrorKind, Request, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

/// The default field list of an entry: pairs in order.
type Fields = Vec<(String, String)>;

fn id(ms: u64, seq: u64) -> StreamId {
    StreamId::new(ms, seq)
}

fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Every method of the group, built.
pub fn built() -> Vec<Request> {
    let trim = StreamTrim::maxlen(10).approximate().limit(5);
    let claim = XClaimOptions::new()
        .idle(Duration::from_millis(5))
        .time(SystemTime::now())
        .retrycount(2)
        .force()
        .lastid(id(1, 1));
    vec![
        Build.xadd("s", "*", [("f", "v")]).request().clone(),
        Build
            .xadd_with(
                "s",
                "1-1",
                [("f", "v")],
                XAddOptions::new().nomkstream().trim(trim),
            )
            .request()
            .clone(),
        Build
            .xadd_with(
                "s",
                "*",
                [("f", "v")],
                XAddOptions::new().trim(StreamTrim::minid(id(1, 0)).exact()),
            )
            .request()
            .clone(),
        Build.xrange::<Fields>("s", "-", "+").request().clone(),
        Build
            .xrange_with::<Fields>("s", StreamBound::Excluded(id(1, 1)), StreamBound::Max, 2)
            .request()
            .clone(),
        Build.xrevrange::<Fields>("s", "+", "-").request().clone(),
        Build
            .xrevrange_with::<Fields>("s", "+", "-", 2)
            .request()
            .clone(),
        Build
            .xread::<Fields>([("s", "0"), ("t", "0")])
            .request()
            .clone(),
        Build
            .xread_with::<Fields>([("s", "0")], XReadOptions::new().count(1))
            .request()
            .clone(),
        Build.xlen("s").request().clone(),
        Build.xdel("s", ["1-1", "2-1"]).request().clone(),
        Build
            .xtrim("s", StreamTrim::maxlen(5).exact())
            .request()
            .clone(),
        Build.xsetid("s", "5-0").request().clone(),
        Build
            .xsetid_with(
                "s",
                "5-0",
                XSetIdOptions::new()
                    .entries_added(10)
                    .max_deleted_id(id(2, 0)),
            )
            .request()
            .clone(),
        Build.xinfo_stream::<Fields>("s").request().clone(),
        Build.xinfo_stream_full::<Fields>("s").request().clone(),
        Build
            .xinfo_stream_full_with::<Fields>("s", 5)
            .request()
            .clone(),
        Build.xgroup_create("s", "g", "$").request().clone(),
        Build
            .xgroup_create_with(
                "s",
                "g",
                "0",
                XGroupCreateOptions::new().mkstream().entries_read(0),
            )
            .request()
            .clone(),
        Build.xgroup_createconsumer("s", "g", "c").request().clone(),
        Build.xgroup_delconsumer("s", "g", "c").request().clone(),
        Build.xgroup_destroy("s", "g").request().clone(),
        Build.xgroup_setid("s", "g", "$").request().clone(),
        Build.xgroup_setid_with("s", "g", "0", 3).request().clone(),
        Build
            .xreadgroup::<Fields>("g", "c", [("s", ">"), ("t", ">")])
            .request()
            .clone(),
        Build
            .xreadgroup_with::<Fields>(
                "g",
                "c",
                [("s", "0")],
                XReadGroupOptions::new().count(2).noack(),
            )
            .request()
            .clone(),
        Build.xack("s", "g", id(1, 1)).request().clone(),
        Build
            .xclaim::<Fields>("s", "g", "c", Duration::ZERO, ["1-1"])
            .request()
            .clone(),
        Build
            .xclaim_with::<Fields>("s", "g", "c", Duration::ZERO, ["1-1"], claim)
            .request()
            .clone(),
        Build
            .xclaim_justid("s", "g", "c", Duration::ZERO, [id(1, 1)])
            .request()
            .clone(),
        Build
            .xclaim_justid_with("s", "g", "c", Duration::ZERO, [id(1, 1)], claim)
            .request()
            .clone(),
        Build
            .xautoclaim::<Fields>("s", "g", "c", Duration::ZERO, "0-0")
            .request()
            .clone(),
        Build
            .xautoclaim_with::<Fields>("s", "g", "c", Duration::ZERO, "0-0", 5)
            .request()
            .clone(),
        Build
            .xautoclaim_justid("s", "g", "c", Duration::ZERO, "0-0")
            .request()
            .clone(),
        Build
            .xautoclaim_justid_with("s", "g", "c", Duration::ZERO, "0-0", 5)
            .request()
            .clone(),
        Build.xpending("s", "g").request().clone(),
        Build
            .xpending_range("s", "g", "-", "+", 10)
            .request()
            .clone(),
        Build
            .xpending_range_with(
                "s",
                "g",
                "-",
                "+",
                10,
                XPendingOptions::new()
                    .idle(Duration::from_millis(1))
                    .consumer("c"),
            )
            .request()
            .clone(),
        Build.xinfo_groups("s").request().clone(),
        Build.xinfo_consumers("s", "g").request().clone(),
    ]
}

#[test]
fn streams_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::streams::streams_routing_facts_match_the_server",
        &built(),
    );
}

#[test]
fn streams_add_range_trim() {
    let server = Server::start();
    let v = server_major_minor();
    for (p, r) in clients(&server) {
        let k = format!("st{p}:a");
        assert_eq!(
            r.xadd(&k, "1-1", [("a", "1"), ("b", "2")]).unwrap(),
            id(1, 1),
            "RESP{p}"
        );
        assert_eq!(r.xadd(&k, id(2, 1), [("a", "3")]).unwrap(), id(2, 1));
        let auto = r.xadd(&k, "*", [("n", 4)]).unwrap();
        assert!(auto > id(2, 1), "a generated id: {auto}");
        let age = SystemTime::now()
            .duration_since(auto.timestamp())
            .unwrap_or_default();
        assert!(
            age < Duration::from_secs(600),
            "ms part is the time: {auto}"
        );
        assert_eq!(r.xlen(&k).unwrap(), 3);

        let all: Vec<StreamEntry> = r.xrange(&k, "-", "+").unwrap();
        assert_eq!(all.len(), 3, "RESP{p}");
        assert_eq!(all[0].id, id(1, 1));
        assert_eq!(all[0].fields, pairs(&[("a", "1"), ("b", "2")]));
        assert_eq!(all[2].id, auto);
        let typed: Vec<StreamEntry<HashMap<String, i64>>> = r.xrange(&k, "-", "+").unwrap();
        assert_eq!(typed[2].fields["n"], 4);
        let two: Vec<StreamEntry<BTreeMap<String, String>>> =
            r.xrange_with(&k, "-", "+", 2).unwrap();
        assert_eq!(
            two.iter().map(|e| e.id).collect::<Vec<_>>(),
            [id(1, 1), id(2, 1)]
        );
        let back: Vec<StreamEntry> = r.xrevrange(&k, "+", "-").unwrap();
        assert_eq!(back[0].id, auto);
        assert_eq!(back[2].id, id(1, 1));
        let newest: Vec<StreamEntry> = r.xrevrange_with(&k, "+", "-", 1).unwrap();
        assert_eq!(newest.len(), 1);
        assert_eq!(newest[0].id, auto);
        let bounded: Vec<StreamEntry> = r.xrange(&k, id(2, 1), StreamBound::Max).unwrap();
        assert_eq!(bounded.len(), 2);
        let missing: Vec<StreamEntry> = r.xrange(format!("st{p}:none"), "-", "+").unwrap();
        assert!(missing.is_empty());
        if v >= (6, 2) {
            let after: Vec<StreamEntry> =
                r.xrange(&k, StreamBound::Excluded(id(1, 1)), "+").unwrap();
            assert_eq!(after[0].id, id(2, 1), "exclusive start");
            let before: Vec<StreamEntry> = r
                .xrevrange(&k, StreamBound::Excluded(id(2, 1)), StreamBound::Min)
                .unwrap();
            assert_eq!(before.len(), 1);
            assert_eq!(before[0].id, id(1, 1));
        }

        assert_eq!(r.xdel(&k, [id(2, 1), id(99, 0)]).unwrap(), 1);
        assert_eq!(r.xdel(&k, "1-1").unwrap(), 1);
        assert_eq!(r.xlen(&k).unwrap(), 1);

        // Trimming: exact MAXLEN, MINID, approximate with LIMIT.
        let t = format!("st{p}:trim");
        for i in 1..=10u64 {
            r.xadd(&t, id(i, 0), [("i", i)]).unwrap();
        }
        assert_eq!(r.xtrim(&t, StreamTrim::maxlen(8)).unwrap(), 2);
        assert_eq!(r.xtrim(&t, StreamTrim::maxlen(6).exact()).unwrap(), 2);
        assert_eq!(
            r.xtrim(&t, StreamTrim::maxlen(4).approximate()).unwrap(),
            0,
            "~ leaves whole nodes alone"
        );
        let first: Vec<StreamEntry> = r.xrange_with(&t, "-", "+", 1).unwrap();
        assert_eq!(first[0].id, id(5, 0));
        let added = r
            .xadd_with(
                &t,
                id(11, 0),
                [("i", 11)],
                XAddOptions::new().trim(StreamTrim::maxlen(3).exact()),
            )
            .unwrap();
        assert_eq!(added, Some(id(11, 0)), "RESP{p}");
        assert_eq!(r.xlen(&t).unwrap(), 3);
        if v >= (6, 2) {
            assert_eq!(
                r.xtrim(&t, StreamTrim::minid(id(10, 0)).exact()).unwrap(),
                1
            );
            assert_eq!(
                r.xtrim(&t, StreamTrim::minid(id(11, 0)).approximate().limit(10))
                    .unwrap(),
                0,
                "~ leaves whole nodes alone"
            );
            let none = r
                .xadd_with(
                    format!("st{p}:absent"),
                    "*",
                    [("f", "v")],
                    XAddOptions::new().nomkstream(),
                )
                .unwrap();
            assert_eq!(none, None, "NOMKSTREAM on a missing key");
            assert_eq!(r.exists(format!("st{p}:absent")).unwrap(), 0);
            let some = r
                .xadd_with(
                    &t,
                    "*",
                    [("f", "v")],
                    XAddOptions::new()
                        .nomkstream()
                        .trim(StreamTrim::minid(id(11, 0)).approximate().limit(100)),
                )
                .unwrap();
            assert!(some.is_some());
            let trim = StreamTrim::new(StreamTrimStrategy::MaxLen(1)).mode(StreamTrimMode::Exact);
            assert_eq!(trim.strategy(), StreamTrimStrategy::MaxLen(1));
            assert_eq!(r.xtrim(&t, trim).unwrap(), 2);
        }
        if v >= (7, 0) {
            let partial = r.xadd(&t, "99999999999999-*", [("f", "v")]).unwrap();
            assert_eq!(
                partial,
                id(99_999_999_999_999, 0),
                "ms-* generates the sequence"
            );
        }

        // XSETID: the last generated id, and (7.0+) the counters.
        let s = format!("st{p}:setid");
        r.xadd(&s, "5-0", [("f", "v")]).unwrap();
        r.xsetid(&s, "10-0").unwrap();
        let info: XInfoStream = r.xinfo_stream(&s).unwrap();
        assert_eq!(info.last_generated_id, id(10, 0), "RESP{p}");
        let e = r.xsetid(&s, "1-0").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "below the top entry: {e}");
        if v >= (7, 0) {
            r.xsetid_with(
                &s,
                id(20, 0),
                XSetIdOptions::new()
                    .entries_added(42)
                    .max_deleted_id(id(3, 0)),
            )
            .unwrap();
            let info: XInfoStream = r.xinfo_stream(&s).unwrap();
            assert_eq!(info.last_generated_id, id(20, 0));
            assert_eq!(info.entries_added, Some(42));
            assert_eq!(info.max_deleted_entry_id, Some(id(3, 0)));
        }
    }
}

#[test]
fn streams_read() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let a = format!("st{p}:ra");
        let b = format!("st{p}:rb");
        r.xadd(&a, "1-0", [("x", "1")]).unwrap();
        r.xadd(&a, "2-0", [("x", "2")]).unwrap();
        r.xadd(&b, "1-5", [("y", "9")]).unwrap();
        let read: Vec<StreamReadReply> = r.xread([(&a, "0"), (&b, "0")]).unwrap();
        assert_eq!(read.len(), 2, "RESP{p}");
        assert_eq!(read[0].key, a);
        assert_eq!(
            read[0].entries.iter().map(|e| e.id).collect::<Vec<_>>(),
            [id(1, 0), id(2, 0)]
        );
        assert_eq!(read[1].key, b);
        assert_eq!(read[1].entries[0].fields, pairs(&[("y", "9")]));
        // Only the streams with something new appear; nothing new at all is an empty list.
        let later: Vec<StreamReadReply<HashMap<String, i64>>> =
            r.xread([(&a, "1-0"), (&b, "1-5")]).unwrap();
        assert_eq!(later.len(), 1, "RESP{p}");
        assert_eq!(later[0].entries[0].fields["x"], 2);
        let nothing: Vec<StreamReadReply> = r.xread([(&a, "$")]).unwrap();
        assert!(nothing.is_empty(), "RESP{p}");
        let nothing: Vec<StreamReadReply> = r.xread([(format!("st{p}:none"), "0")]).unwrap();
        assert!(nothing.is_empty());
        let one: Vec<StreamReadReply> = r
            .xread_with([(&a, "0"), (&b, "0")], XReadOptions::new().count(1))
            .unwrap();
        assert_eq!(one.len(), 2);
        assert!(one.iter().all(|s| s.entries.len() == 1));
        assert_eq!(one[0].entries[0].id, id(1, 0));
    }
}

#[test]
fn streams_consumer_groups() {
    let server = Server::start();
    let v = server_major_minor();
    for (p, r) in clients(&server) {
        let k = format!("st{p}:g");
        for i in 1..=4u64 {
            r.xadd(&k, id(i, 0), [("n", i)]).unwrap();
        }
        r.xgroup_create(&k, "g", "0").unwrap();
        // History of a consumer with nothing pending: the stream, with no entries.
        let empty: Vec<StreamReadReply> = r.xreadgroup("g", "nobody", [(&k, "0")]).unwrap();
        assert_eq!(empty.len(), 1, "RESP{p}");
        assert_eq!(empty[0].key, k);
        assert!(empty[0].entries.is_empty());
        let e = r.xgroup_create(&k, "g", "0").unwrap_err();
        assert_eq!(e.code(), Some("BUSYGROUP"), "{e}");
        let e = r
            .xgroup_create(format!("st{p}:none"), "g", "$")
            .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Server,
            "no stream without MKSTREAM: {e}"
        );
        r.xgroup_create_with(
            format!("st{p}:made"),
            "g",
            "$",
            XGroupCreateOptions::new().mkstream(),
        )
        .unwrap();
        assert_eq!(r.xlen(format!("st{p}:made")).unwrap(), 0);
        assert_eq!(r.exists(format!("st{p}:made")).unwrap(), 1);

        let got: Vec<StreamReadReply<HashMap<String, u64>>> = r
            .xreadgroup_with("g", "alice", [(&k, ">")], XReadGroupOptions::new().count(2))
            .unwrap();
        assert_eq!(got.len(), 1, "RESP{p}");
        assert_eq!(got[0].key, k);
        assert_eq!(
            got[0]
                .entries
                .iter()
                .map(|e| e.fields["n"])
                .collect::<Vec<_>>(),
            [1, 2]
        );
        let got: Vec<StreamReadReply> = r.xreadgroup("g", "bob", [(&k, ">")]).unwrap();
        assert_eq!(got[0].entries.len(), 2, "the rest");
        let got: Vec<StreamReadReply> = r.xreadgroup("g", "bob", [(&k, ">")]).unwrap();
        assert!(got.is_empty(), "nothing new: RESP{p}");
        let history: Vec<StreamReadReply> = r.xreadgroup("g", "alice", [(&k, "0")]).unwrap();
        assert_eq!(history[0].entries.len(), 2);

        let summary = r.xpending(&k, "g").unwrap();
        assert_eq!(summary.count, 4, "RESP{p}");
        assert_eq!(summary.min_id, Some(id(1, 0)));
        assert_eq!(summary.max_id, Some(id(4, 0)));
        let mut consumers = summary.consumers.clone();
        consumers.sort();
        assert_eq!(
            consumers,
            [("alice".to_string(), 2), ("bob".to_string(), 2)]
        );
        let pending = r.xpending_range(&k, "g", "-", "+", 10).unwrap();
        assert_eq!(pending.len(), 4);
        assert_eq!(pending[0].id, id(1, 0));
        assert_eq!(pending[0].consumer, "alice");
        assert_eq!(pending[0].deliveries, 2, "read again as history");
        assert_eq!(pending[2].deliveries, 1);
        let bobs = r
            .xpending_range_with(
                &k,
                "g",
                "-",
                "+",
                10,
                XPendingOptions::new().consumer("bob"),
            )
            .unwrap();
        assert_eq!(
            bobs.iter().map(|e| e.id).collect::<Vec<_>>(),
            [id(3, 0), id(4, 0)]
        );
        if v >= (6, 2) {
            let idle = r
                .xpending_range_with(
                    &k,
                    "g",
                    "-",
                    "+",
                    10,
                    XPendingOptions::new()
                        .idle(Duration::from_secs(3600))
                        .consumer("alice"),
                )
                .unwrap();
            assert!(idle.is_empty(), "nothing idle for an hour");
            let tail = r
                .xpending_range(&k, "g", StreamBound::Excluded(id(3, 0)), "+", 10)
                .unwrap();
            assert_eq!(tail.len(), 1);
        }

        assert_eq!(r.xack(&k, "g", [id(1, 0), id(9, 0)]).unwrap(), 1);
        assert_eq!(r.xack(&k, "g", "1-0").unwrap(), 0, "acknowledged already");

        // XCLAIM: entries, then ids only; options set the delivery state.
        let claimed: Vec<StreamEntry> = r
            .xclaim(&k, "g", "carol", Duration::ZERO, [id(2, 0), id(9, 0)])
            .unwrap();
        assert_eq!(claimed.len(), 1, "RESP{p}");
        assert_eq!(claimed[0].id, id(2, 0));
        assert_eq!(claimed[0].fields, pairs(&[("n", "2")]));
        let later = SystemTime::now() - Duration::from_secs(100);
        let claimed: Vec<StreamEntry<HashMap<String, i64>>> = r
            .xclaim_with(
                &k,
                "g",
                "carol",
                Duration::ZERO,
                [id(3, 0)],
                XClaimOptions::new().time(later).retrycount(7),
            )
            .unwrap();
        assert_eq!(claimed[0].fields["n"], 3);
        let p3 = r.xpending_range(&k, "g", "3-0", "3-0", 1).unwrap();
        assert_eq!(p3[0].consumer, "carol");
        assert_eq!(p3[0].deliveries, 7);
        assert!(p3[0].idle >= Duration::from_secs(99), "{:?}", p3[0].idle);
        let ids = r
            .xclaim_justid(
                &k,
                "g",
                "dave",
                Duration::from_secs(50),
                [id(3, 0), id(4, 0)],
            )
            .unwrap();
        assert_eq!(ids, [id(3, 0)], "only 3-0 was idle that long");
        let ids = r
            .xclaim_justid_with(
                &k,
                "g",
                "dave",
                Duration::ZERO,
                [id(1, 0)],
                XClaimOptions::new()
                    .force()
                    .idle(Duration::from_secs(10))
                    .lastid(id(4, 0)),
            )
            .unwrap();
        assert_eq!(ids, [id(1, 0)], "FORCE claims an acknowledged entry");
        let p1 = r.xpending_range(&k, "g", "1-0", "1-0", 1).unwrap();
        assert_eq!(p1[0].consumer, "dave");
        assert!(p1[0].idle >= Duration::from_secs(10));

        if v >= (6, 2) {
            assert!(r.xgroup_createconsumer(&k, "g", "erin").unwrap(), "RESP{p}");
            assert!(!r.xgroup_createconsumer(&k, "g", "erin").unwrap());
            let page: StreamAutoClaim = r
                .xautoclaim_with(&k, "g", "erin", Duration::ZERO, "0-0", 2)
                .unwrap();
            assert_eq!(page.entries.len(), 2, "RESP{p}");
            assert_eq!(page.entries[0].id, id(1, 0));
            assert_eq!(page.next, id(3, 0));
            assert!(page.deleted.is_empty());
            let rest: StreamAutoClaim<BTreeMap<String, u64>> = r
                .xautoclaim(&k, "g", "erin", Duration::ZERO, page.next)
                .unwrap();
            assert_eq!(rest.next, StreamId::MIN, "the whole list was scanned");
            assert_eq!(rest.entries.len(), 2);
            assert_eq!(rest.entries[1].fields["n"], 4);
            let ids = r
                .xautoclaim_justid(&k, "g", "frank", Duration::ZERO, "0-0")
                .unwrap();
            assert_eq!(ids.ids, [id(1, 0), id(2, 0), id(3, 0), id(4, 0)]);
            assert_eq!(ids.next, StreamId::MIN);
            let ids = r
                .xautoclaim_justid_with(&k, "g", "erin", Duration::ZERO, "0-0", 1)
                .unwrap();
            assert_eq!(ids.ids, [id(1, 0)]);
            assert_eq!(ids.next, id(2, 0));
            // An entry deleted while pending: reported as deleted (7.0+) or left out (6.2).
            r.xdel(&k, id(2, 0)).unwrap();
            let page: StreamAutoClaim = r
                .xautoclaim(&k, "g", "erin", Duration::ZERO, "0-0")
                .unwrap();
            assert!(page.entries.iter().all(|e| e.id != id(2, 0)), "RESP{p}");
            if v >= (7, 0) {
                assert_eq!(page.deleted, [id(2, 0)]);
            }
        } else {
            r.xdel(&k, id(2, 0)).unwrap();
        }
        // History of a consumer with an entry deleted while pending: it has no fields.
        let h = format!("st{p}:history");
        r.xadd(&h, "1-0", [("f", "1")]).unwrap();
        r.xadd(&h, "2-0", [("f", "2")]).unwrap();
        r.xgroup_create(&h, "g", "0").unwrap();
        let _: Vec<StreamReadReply> = r.xreadgroup("g", "ivy", [(&h, ">")]).unwrap();
        r.xdel(&h, "1-0").unwrap();
        let history: Vec<StreamReadReply<HashMap<String, String>>> =
            r.xreadgroup("g", "ivy", [(&h, "0")]).unwrap();
        let entries = &history[0].entries;
        assert_eq!(entries.len(), 2, "RESP{p}");
        assert_eq!(entries[0].id, id(1, 0));
        assert!(entries[0].fields.is_empty(), "RESP{p}: {:?}", entries[0]);
        assert_eq!(entries[1].fields["f"], "2");

        // NOACK: delivered, not pending.
        r.xadd(&k, id(5, 0), [("n", 5)]).unwrap();
        let before = r.xpending(&k, "g").unwrap().count;
        let got: Vec<StreamReadReply> = r
            .xreadgroup_with("g", "gina", [(&k, ">")], XReadGroupOptions::new().noack())
            .unwrap();
        assert_eq!(got[0].entries[0].id, id(5, 0));
        assert_eq!(r.xpending(&k, "g").unwrap().count, before, "RESP{p}");

        let held = r
            .xpending(&k, "g")
            .unwrap()
            .consumers
            .iter()
            .find(|(c, _)| c == "dave")
            .map_or(0, |(_, n)| *n);
        assert_eq!(r.xgroup_delconsumer(&k, "g", "dave").unwrap(), held as i64);
        assert_eq!(r.xgroup_delconsumer(&k, "g", "nobody").unwrap(), 0);
        r.xgroup_setid(&k, "g", "0").unwrap();
        let again: Vec<StreamReadReply> = r.xreadgroup("g", "hal", [(&k, ">")]).unwrap();
        assert_eq!(again[0].entries[0].id, id(1, 0), "SETID rewinds");
        if v >= (7, 0) {
            r.xgroup_setid_with(&k, "g", "$", 5).unwrap();
            let groups = r.xinfo_groups(&k).unwrap();
            assert_eq!(groups[0].entries_read, Some(5));
            assert_eq!(groups[0].lag, Some(0));
            r.xgroup_create_with(&k, "g7", "0", XGroupCreateOptions::new().entries_read(1))
                .unwrap();
            let groups = r.xinfo_groups(&k).unwrap();
            let g7 = groups.iter().find(|g| g.name == "g7").unwrap();
            assert_eq!(g7.entries_read, Some(1));
        }
        assert!(r.xgroup_destroy(&k, "g").unwrap(), "RESP{p}");
        assert!(!r.xgroup_destroy(&k, "g").unwrap());
    }
}

#[test]
fn streams_info() {
    let server = Server::start();
    let v = server_major_minor();
    for (p, r) in clients(&server) {
        let k = format!("st{p}:i");
        for i in 1..=3u64 {
            r.xadd(&k, id(i, 0), [("n", i)]).unwrap();
        }
        r.xdel(&k, id(3, 0)).unwrap();
        r.xgroup_create(&k, "g", "0").unwrap();
        let _: Vec<StreamReadReply> = r
            .xreadgroup_with("g", "c1", [(&k, ">")], XReadGroupOptions::new().count(1))
            .unwrap();

        let info: XInfoStream<HashMap<String, u64>> = r.xinfo_stream(&k).unwrap();
        assert_eq!(info.length, 2, "RESP{p}");
        assert_eq!(info.groups, 1);
        assert_eq!(info.last_generated_id, id(3, 0));
        assert!(info.radix_tree_keys >= 1 && info.radix_tree_nodes >= 1);
        assert_eq!(info.first_entry.as_ref().unwrap().fields["n"], 1);
        assert_eq!(info.last_entry.as_ref().unwrap().id, id(2, 0));
        if v >= (7, 0) {
            assert_eq!(info.max_deleted_entry_id, Some(id(3, 0)), "RESP{p}");
            assert_eq!(info.entries_added, Some(3));
            assert_eq!(info.recorded_first_entry_id, Some(id(1, 0)));
        } else {
            assert_eq!(info.entries_added, None);
        }
        let empty = format!("st{p}:empty");
        r.xgroup_create_with(&empty, "g", "$", XGroupCreateOptions::new().mkstream())
            .unwrap();
        let info: XInfoStream = r.xinfo_stream(&empty).unwrap();
        assert_eq!(
            (info.length, info.first_entry, info.last_entry),
            (0, None, None)
        );

        let full: XInfoStreamFull = r.xinfo_stream_full(&k).unwrap();
        assert_eq!(full.length, 2, "RESP{p}");
        assert_eq!(full.entries.len(), 2);
        assert_eq!(full.entries[1].fields, pairs(&[("n", "2")]));
        let g = &full.groups[0];
        assert_eq!(g.name, "g");
        assert_eq!(g.last_delivered_id, id(1, 0));
        assert_eq!(g.pel_count, 1);
        assert_eq!(g.pending[0].id, id(1, 0));
        assert_eq!(g.pending[0].consumer, "c1");
        assert_eq!(g.pending[0].deliveries, 1);
        let c = &g.consumers[0];
        assert_eq!((c.name.as_str(), c.pel_count), ("c1", 1));
        assert_eq!(c.pending[0].id, id(1, 0));
        let now = SystemTime::now();
        let recent =
            |t: SystemTime| now.duration_since(t).unwrap_or_default() < Duration::from_secs(600);
        assert!(recent(c.seen_time), "{:?}", c.seen_time);
        assert!(recent(g.pending[0].delivered_at));
        if v >= (7, 0) {
            // After a deletion past the group's position the server knows neither.
            assert_eq!((g.entries_read, g.lag), (None, None), "RESP{p}");
            assert_eq!(full.entries_added, Some(3));
        }
        if v >= (7, 2) {
            assert!(c.active_time.is_some_and(recent), "RESP{p}");
        } else {
            assert_eq!(c.active_time, None);
        }
        let one: XInfoStreamFull<HashMap<String, u64>> = r.xinfo_stream_full_with(&k, 1).unwrap();
        assert_eq!(one.entries.len(), 1);
        assert_eq!(one.entries[0].fields["n"], 1);

        let groups = r.xinfo_groups(&k).unwrap();
        assert_eq!(groups.len(), 1, "RESP{p}");
        assert_eq!(groups[0].name, "g");
        assert_eq!((groups[0].consumers, groups[0].pending), (1, 1));
        assert_eq!(groups[0].last_delivered_id, id(1, 0));
        if v >= (7, 0) {
            assert_eq!((groups[0].entries_read, groups[0].lag), (None, None));
            // Without deletions, both are known.
            let clean = format!("st{p}:clean");
            r.xadd(&clean, "1-0", [("n", 1)]).unwrap();
            r.xadd(&clean, "2-0", [("n", 2)]).unwrap();
            r.xgroup_create(&clean, "g", "0").unwrap();
            let _: Vec<StreamReadReply> = r
                .xreadgroup_with("g", "c", [(&clean, ">")], XReadGroupOptions::new().count(1))
                .unwrap();
            let groups = r.xinfo_groups(&clean).unwrap();
            assert_eq!(
                (groups[0].entries_read, groups[0].lag),
                (Some(1), Some(1)),
                "RESP{p}"
            );
            let full: XInfoStreamFull = r.xinfo_stream_full(&clean).unwrap();
            let g = &full.groups[0];
            assert_eq!((g.entries_read, g.lag), (Some(1), Some(1)), "RESP{p}");
        } else {
            assert_eq!((groups[0].entries_read, groups[0].lag), (None, None));
        }
        if v >= (6, 2) {
            r.xgroup_createconsumer(&k, "g", "idle-one").unwrap();
        }
        let consumers = r.xinfo_consumers(&k, "g").unwrap();
        let c1 = consumers.iter().find(|c| c.name == "c1").unwrap();
        assert_eq!(c1.pending, 1, "RESP{p}");
        assert!(c1.idle < Duration::from_secs(600));
        if v >= (7, 2) {
            assert!(c1.inactive.is_some(), "RESP{p}");
            let fresh = consumers.iter().find(|c| c.name == "idle-one").unwrap();
            assert_eq!(fresh.inactive, None, "never active");
        } else {
            assert_eq!(c1.inactive, None);
        }
        let e = r.xinfo_stream::<Fields>(format!("st{p}:none")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    }
}

#[test]
fn streams_bad_input() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let s = format!("st{p}:string");
        r.set(&s, "x").unwrap();
        let wrong = [
            r.xadd(&s, "*", [("f", "v")]).unwrap_err(),
            r.xrange::<Fields>(&s, "-", "+").unwrap_err(),
            r.xread::<Fields>([(&s, "0")]).unwrap_err(),
            r.xlen(&s).unwrap_err(),
            r.xgroup_create(&s, "g", "$").unwrap_err(),
            r.xinfo_stream::<Fields>(&s).unwrap_err(),
            r.xtrim(&s, StreamTrim::maxlen(1)).unwrap_err(),
        ];
        for e in wrong {
            assert_eq!(e.server_code(), Some(ServerCode::WrongType), "RESP{p}: {e}");
        }
        // Empty required lists are refused before sending.
        let none: [(&str, &str); 0] = [];
        let no_ids: [StreamId; 0] = [];
        let usage = [
            r.xadd(&s, "*", none).unwrap_err(),
            r.xadd_with(&s, "*", none, XAddOptions::new()).unwrap_err(),
            r.xdel(&s, no_ids).unwrap_err(),
            r.xack(&s, "g", no_ids).unwrap_err(),
            r.xread::<Fields>(none).unwrap_err(),
            r.xread_with::<Fields>(none, XReadOptions::new())
                .unwrap_err(),
            r.xreadgroup::<Fields>("g", "c", none).unwrap_err(),
            r.xreadgroup_with::<Fields>("g", "c", none, XReadGroupOptions::new())
                .unwrap_err(),
        ];
        for e in usage {
            assert_eq!(e.kind(), ErrorKind::Usage, "RESP{p}: {e}");
        }
        let e = r
            .xclaim::<Fields>(&s, "g", "c", Duration::ZERO, no_ids)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        let e = r
            .xclaim_justid(&s, "g", "c", Duration::ZERO, Vec::<StreamId>::new())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        // Bad ids are the server's error; a reply of another shape a type error.
        let k = format!("st{p}:ok");
        r.xadd(&k, "5-0", [("f", "v")]).unwrap();
        let e = r.xadd(&k, "1-0", [("f", "v")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        let e = r.xadd(&k, "not-an-id", [("f", "v")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        let e = r
            .execute(coredis::cmd("XLEN").key(&k).returns::<StreamId>())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type, "{e}");
        let e = r
            .execute(
                coredis::cmd("XRANGE")
                    .key(&k)
                    .arg("-")
                    .arg("+")
                    .returns::<XInfoStream>(),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type, "{e}");
    }
}

#[test]
fn streams_skip_note_for_old_servers() {
    // The tests above skip the parts a server lacks inline; say so once, never silently.
    let v = server_major_minor();
    if v < (7, 0) {
        skip(
            "commands::streams (parts)",
            "XSETID/XGROUP ENTRIESREAD/ENTRIESADDED, ms-* ids and XAUTOCLAIM's deleted list need Redis 7.0",
        );
    }
    if v < (6, 2) {
        skip(
            "commands::streams (parts)",
            "MINID, LIMIT, NOMKSTREAM, exclusive ranges, XAUTOCLAIM, XGROUP CREATECONSUMER and XPENDING IDLE need Redis 6.2",
        );
    }
}
