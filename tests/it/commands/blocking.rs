//! The blocking commands against real servers, over RESP3 and RESP2 (both in every run):
//! data already there, data pushed by another client while the call waits (with a timeout and
//! with `Duration::ZERO`, for ever), a timeout that passes (the empty result, not an error),
//! the deferred and dedicated forms; and the behaviour of the dedicated pool under them:
//! blocked callers do not slow the shared connection, an exhausted pool times out, a killed
//! connection fails its call and is replaced.

use crate::util::{clients, StopOnDrop};
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    ListEnd, ScoreEnd, ScoredMember, StreamReadReply, XReadGroupOptions, XReadOptions,
};
use coredis::{ErrorKind, Redis, ServerCode};
use coredis_test_support::{note, server_major_minor, skip, Server};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A timeout that passes: the call returns its empty result.
const SHORT: Duration = Duration::from_millis(100);
/// A timeout for calls that get their data: long enough for a busy machine, short enough
/// that a test whose data never comes still ends.
const LONG: Duration = Duration::from_secs(20);
/// Block for ever.
const FOREVER: Duration = Duration::ZERO;

/// Every method of the blocking group, built.
pub fn built() -> Vec<coredis::Request> {
    let t = Duration::from_millis(1500);
    vec![
        Build
            .blpop::<String, String>(["a", "b"], t)
            .request()
            .clone(),
        Build
            .brpop::<String, String>("a", FOREVER)
            .request()
            .clone(),
        Build
            .blmove::<String>("s", "d", ListEnd::Right, ListEnd::Left, t)
            .request()
            .clone(),
        Build
            .blmpop::<String, String>(["a", "b"], ListEnd::Left, t)
            .request()
            .clone(),
        Build
            .blmpop_with::<String, String>("a", ListEnd::Right, FOREVER, 3)
            .request()
            .clone(),
        Build.brpoplpush::<String>("s", "d", t).request().clone(),
        Build
            .bzpopmin::<String, String>(["z1", "z2"], t)
            .request()
            .clone(),
        Build.bzpopmax::<String, String>("z", t).request().clone(),
        Build
            .bzmpop::<String, String>(["z1", "z2"], ScoreEnd::Min, t)
            .request()
            .clone(),
        Build
            .bzmpop_with::<String, String>("z", ScoreEnd::Max, t, 2)
            .request()
            .clone(),
        Build
            .xread_block::<Vec<(String, String)>>([("s1", "0"), ("s2", "$")], t)
            .request()
            .clone(),
        Build
            .xread_block_with::<Vec<(String, String)>>(
                [("s", "0")],
                FOREVER,
                XReadOptions::new().count(5),
            )
            .request()
            .clone(),
        Build
            .xreadgroup_block::<Vec<(String, String)>>("g", "c", [("s1", ">"), ("s2", ">")], t)
            .request()
            .clone(),
        Build
            .xreadgroup_block_with::<Vec<(String, String)>>(
                "g",
                "c",
                [("s", ">")],
                t,
                XReadGroupOptions::new().count(5).noack(),
            )
            .request()
            .clone(),
    ]
}

#[test]
fn blocking_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::blocking::blocking_routing_facts_match_the_server",
        &built(),
    );
}

#[test]
fn blocking_methods_send_their_timeout_and_deadline() {
    let words = |r: &coredis::Request| -> Vec<String> {
        r.args()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect()
    };
    let c = Build.blmove::<String>(
        "s",
        "d",
        ListEnd::Left,
        ListEnd::Right,
        Duration::from_millis(1500),
    );
    assert!(c.is_blocking());
    assert_eq!(
        c.request().server_timeout(),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        words(c.request()),
        ["BLMOVE", "s", "d", "LEFT", "RIGHT", "1.5"]
    );
    // Sub-millisecond remainders round up: never 0, which would block for ever.
    let c =
        Build.bzmpop_with::<String, String>(["a", "b"], ScoreEnd::Max, Duration::from_nanos(1), 2);
    assert_eq!(
        words(c.request()),
        ["BZMPOP", "0.001", "2", "a", "b", "MAX", "COUNT", "2"]
    );
    assert_eq!(c.key_positions(), &[3, 4]);
    let c = Build.blmpop::<String, String>("a", ListEnd::Left, FOREVER);
    assert_eq!(words(c.request()), ["BLMPOP", "0", "1", "a", "LEFT"]);
    assert!(c.is_blocking());
    assert_eq!(c.request().server_timeout(), None, "0 blocks for ever");
    let c = Build.xread_block_with::<Vec<(String, String)>>(
        [("s", "$")],
        Duration::from_secs(2),
        XReadOptions::new().count(3),
    );
    assert_eq!(
        words(c.request()),
        ["XREAD", "COUNT", "3", "BLOCK", "2000", "STREAMS", "s", "$"]
    );
    assert!(c.is_blocking() && c.is_readonly());
    assert_eq!(c.request().server_timeout(), Some(Duration::from_secs(2)));
    let c = Build.xreadgroup_block::<Vec<(String, String)>>("g", "c", [("s", ">")], FOREVER);
    assert_eq!(
        words(c.request()),
        [
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "s",
            ">"
        ]
    );
    assert!(c.is_blocking() && !c.is_readonly());
    assert_eq!(c.request().server_timeout(), None);
}

/// The server's count of clients blocked in a command.
fn blocked_clients(server: &Server) -> i64 {
    let info = server.command(&["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no blocked_clients in {info:?}"))
}

/// Waits until at least `n` clients are blocked, then runs `args` on a raw connection and
/// returns its reply. When they never block, `args` still runs (so a call waiting for ever
/// gets its data and the test ends), then the test fails.
fn when_blocked(server: &Server, n: i64, args: &[&str]) -> String {
    let started = Instant::now();
    let mut blocked = blocked_clients(server);
    while blocked < n && started.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(10));
        blocked = blocked_clients(server);
    }
    let reply = server.command(args);
    assert!(
        blocked >= n,
        "{n} clients never blocked ({blocked} did) before {args:?}"
    );
    reply
}

/// Runs `call` while another thread runs `args` once it blocks; returns what `call` returned.
fn pushed_while_blocked<T>(server: &Server, args: &[&str], call: impl FnOnce() -> T) -> T {
    std::thread::scope(|s| {
        let pusher = s.spawn(|| when_blocked(server, 1, args));
        let got = call();
        pusher.join().expect("the pusher thread");
        got
    })
}

fn assert_wrongtype<T: std::fmt::Debug>(r: coredis::Result<T>, what: &str) {
    let e = r.expect_err(what);
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{what}: {e}");
}

fn assert_empty_result<T: PartialEq + std::fmt::Debug>(got: T, empty: T, what: &str) {
    assert_eq!(got, empty, "{what}: a passed timeout is the empty result");
}

fn s(v: &str) -> String {
    v.to_string()
}

#[test]
fn blocking_list_pops() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let (l, e) = (format!("bl{p}"), format!("be{p}"));
        r.rpush(&l, ["a", "b", "c"]).unwrap();

        // BLPOP / BRPOP: data there, timeout, data pushed while blocked (for ever).
        let got: Option<(String, String)> = r.blpop([&e, &l], LONG).unwrap();
        assert_eq!(got, Some((l.clone(), s("a"))), "RESP{p}");
        let got: Option<(String, String)> = r.brpop([&e, &l], LONG).unwrap();
        assert_eq!(got, Some((l.clone(), s("c"))), "RESP{p}");
        let started = Instant::now();
        let got: Option<(String, String)> = r.blpop([&e], SHORT).unwrap();
        assert_empty_result(got, None, "BLPOP");
        assert!(started.elapsed() >= Duration::from_millis(90));
        let got: Option<(String, String)> = r.brpop([&e], SHORT).unwrap();
        assert_empty_result(got, None, "BRPOP");
        let got: Option<(String, String)> =
            pushed_while_blocked(&server, &["RPUSH", &e, "x"], || r.blpop([&e], FOREVER)).unwrap();
        assert_eq!(got, Some((e.clone(), s("x"))), "RESP{p}");
        let got: Option<(String, String)> =
            pushed_while_blocked(&server, &["LPUSH", &e, "y"], || r.brpop([&e], LONG)).unwrap();
        assert_eq!(got, Some((e.clone(), s("y"))), "RESP{p}");
        let h = r.deferred().brpop::<String, String>([&e], FOREVER);
        when_blocked(&server, 1, &["RPUSH", &e, "z"]);
        assert_eq!(h.wait().unwrap(), Some((e.clone(), s("z"))), "RESP{p}");
        assert_eq!(r.llen(&l).unwrap(), 1);
        assert_eq!(r.llen(&e).unwrap(), 0);
    }
}

#[test]
fn blocking_list_moves() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let (src, dst, e) = (format!("ms{p}"), format!("md{p}"), format!("me{p}"));
        r.rpush(&src, ["a", "b", "c", "d"]).unwrap();

        // BRPOPLPUSH: data there, timeout, data pushed while blocked.
        let got: Option<String> = r.brpoplpush(&src, &dst, LONG).unwrap();
        assert_eq!(got.as_deref(), Some("d"), "RESP{p}");
        let got: Option<String> = r.brpoplpush(&e, &dst, SHORT).unwrap();
        assert_empty_result(got, None, "BRPOPLPUSH");
        let got: Option<String> = pushed_while_blocked(&server, &["RPUSH", &e, "p"], || {
            r.brpoplpush(&e, &dst, FOREVER)
        })
        .unwrap();
        assert_eq!(got.as_deref(), Some("p"));
        assert_eq!(r.lrange::<String>(&dst, 0, -1).unwrap(), ["p", "d"]);

        // BLMOVE, every end.
        let got: Option<String> = r
            .blmove(&src, &dst, ListEnd::Left, ListEnd::Right, LONG)
            .unwrap();
        assert_eq!(got.as_deref(), Some("a"), "RESP{p}");
        let got: Option<String> = r
            .blmove(&src, &dst, ListEnd::Right, ListEnd::Left, LONG)
            .unwrap();
        assert_eq!(got.as_deref(), Some("c"));
        assert_eq!(
            r.lrange::<String>(&dst, 0, -1).unwrap(),
            ["c", "p", "d", "a"]
        );
        let got: Option<String> = r
            .blmove(&e, &dst, ListEnd::Left, ListEnd::Left, SHORT)
            .unwrap();
        assert_empty_result(got, None, "BLMOVE");
        // Pushed while blocked: for ever, through the blocking and the deferred forms.
        let got: Option<String> = pushed_while_blocked(&server, &["RPUSH", &e, "q"], || {
            r.blmove(&e, &dst, ListEnd::Left, ListEnd::Left, FOREVER)
        })
        .unwrap();
        assert_eq!(got.as_deref(), Some("q"));
        let h = r
            .deferred()
            .blmove::<String>(&e, &dst, ListEnd::Right, ListEnd::Right, FOREVER);
        when_blocked(&server, 1, &["RPUSH", &e, "w"]);
        assert_eq!(h.wait().unwrap().as_deref(), Some("w"), "RESP{p}");
        assert_eq!(
            r.lrange::<String>(&dst, 0, -1).unwrap(),
            ["q", "c", "p", "d", "a", "w"]
        );
        // A rotation of one list, on a dedicated connection.
        let c = r.dedicated().unwrap();
        let got: Option<String> = c
            .blmove(&dst, &dst, ListEnd::Right, ListEnd::Left, LONG)
            .unwrap();
        assert_eq!(got.as_deref(), Some("w"));
        assert_eq!(r.lindex::<String>(&dst, 0).unwrap(), "w");
        let got: Option<String> = c.brpoplpush(&e, &dst, SHORT).unwrap();
        assert_eq!(got, None);
    }
}

#[test]
fn blocking_list_multi_pops() {
    let server = Server::start();
    if server_major_minor() < (7, 0) {
        skip(
            "commands::blocking::blocking_list_multi_pops",
            "BLMPOP needs Redis 7.0",
        );
        return;
    }
    for (p, r) in clients(&server) {
        let (l, e) = (format!("mp{p}"), format!("mpe{p}"));
        r.rpush(&l, ["1", "2", "3", "4"]).unwrap();
        let got: Option<(String, Vec<String>)> = r.blmpop([&e, &l], ListEnd::Left, LONG).unwrap();
        assert_eq!(got, Some((l.clone(), vec![s("1")])), "RESP{p}");
        let got: Option<(String, Vec<i64>)> =
            r.blmpop_with([&e, &l], ListEnd::Right, LONG, 2).unwrap();
        assert_eq!(got, Some((l.clone(), vec![4, 3])), "RESP{p}");
        let got: Option<(String, Vec<String>)> =
            r.blmpop_with(&l, ListEnd::Left, LONG, 10).unwrap();
        assert_eq!(
            got,
            Some((l.clone(), vec![s("2")])),
            "fewer when it holds fewer"
        );
        let got: Option<(String, Vec<String>)> = r.blmpop([&e, &l], ListEnd::Left, SHORT).unwrap();
        assert_empty_result(got, None, "BLMPOP");
        let got: Option<(String, Vec<String>)> =
            r.blmpop_with(&e, ListEnd::Left, SHORT, 3).unwrap();
        assert_empty_result(got, None, "BLMPOP COUNT");
        let got: Option<(String, Vec<String>)> =
            pushed_while_blocked(&server, &["RPUSH", &l, "x", "y"], || {
                r.blmpop_with([&e, &l], ListEnd::Left, FOREVER, 5)
            })
            .unwrap();
        assert_eq!(got, Some((l.clone(), vec![s("x"), s("y")])), "RESP{p}");
        let h = r
            .deferred()
            .blmpop::<String, String>([&e, &l], ListEnd::Right, FOREVER);
        when_blocked(&server, 1, &["RPUSH", &e, "z"]);
        assert_eq!(h.wait().unwrap(), Some((e.clone(), vec![s("z")])));
    }
}

#[test]
fn blocking_sorted_set_pops() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let (z, e) = (format!("z{p}"), format!("ze{p}"));
        r.zadd(&z, [(1.0, "a"), (2.5, "b"), (f64::INFINITY, "top")])
            .unwrap();
        let got: Option<(String, ScoredMember<String>)> = r.bzpopmin([&e, &z], LONG).unwrap();
        assert_eq!(
            got,
            Some((z.clone(), ScoredMember::new(s("a"), 1.0))),
            "RESP{p}"
        );
        let got: Option<(String, ScoredMember<String>)> = r.bzpopmax([&e, &z], LONG).unwrap();
        assert_eq!(
            got,
            Some((z.clone(), ScoredMember::new(s("top"), f64::INFINITY))),
            "RESP{p}"
        );
        let got: Option<(String, ScoredMember<String>)> = r.bzpopmax(&z, LONG).unwrap();
        assert_eq!(got, Some((z.clone(), ScoredMember::new(s("b"), 2.5))));
        let got: Option<(String, ScoredMember<String>)> = r.bzpopmin([&e, &z], SHORT).unwrap();
        assert_empty_result(got, None, "BZPOPMIN");
        let got: Option<(String, ScoredMember<String>)> = r.bzpopmax(&e, SHORT).unwrap();
        assert_empty_result(got, None, "BZPOPMAX");
        let got: Option<(String, ScoredMember<i64>)> =
            pushed_while_blocked(&server, &["ZADD", &e, "-0.5", "7"], || {
                r.bzpopmin([&e, &z], FOREVER)
            })
            .unwrap();
        assert_eq!(
            got,
            Some((e.clone(), ScoredMember::new(7, -0.5))),
            "RESP{p}"
        );
        let h = r.deferred().bzpopmax::<String, String>(&z, FOREVER);
        when_blocked(&server, 1, &["ZADD", &z, "3", "m"]);
        assert_eq!(
            h.wait().unwrap(),
            Some((z.clone(), ScoredMember::new(s("m"), 3.0))),
            "RESP{p}"
        );
        let c = r.dedicated().unwrap();
        r.zadd(&z, [(4.0, "d")]).unwrap();
        let got: Option<(String, ScoredMember<String>)> = c.bzpopmin(&z, LONG).unwrap();
        assert_eq!(got, Some((z.clone(), ScoredMember::new(s("d"), 4.0))));
    }
}

#[test]
fn blocking_sorted_set_multi_pops() {
    let server = Server::start();
    if server_major_minor() < (7, 0) {
        skip(
            "commands::blocking::blocking_sorted_set_multi_pops",
            "BZMPOP needs Redis 7.0",
        );
        return;
    }
    for (p, r) in clients(&server) {
        let (z, e) = (format!("mz{p}"), format!("mze{p}"));
        r.zadd(&z, [(1.0, "a"), (2.0, "b"), (3.0, "c"), (4.5, "d")])
            .unwrap();
        let got: Option<(String, Vec<ScoredMember<String>>)> =
            r.bzmpop([&e, &z], ScoreEnd::Min, LONG).unwrap();
        assert_eq!(
            got,
            Some((z.clone(), vec![ScoredMember::new(s("a"), 1.0)])),
            "RESP{p}"
        );
        let got: Option<(String, Vec<ScoredMember<String>>)> =
            r.bzmpop_with([&e, &z], ScoreEnd::Max, LONG, 2).unwrap();
        assert_eq!(
            got,
            Some((
                z.clone(),
                vec![
                    ScoredMember::new(s("d"), 4.5),
                    ScoredMember::new(s("c"), 3.0)
                ]
            )),
            "RESP{p}"
        );
        let got: Option<(String, Vec<ScoredMember<String>>)> =
            r.bzmpop_with(&z, ScoreEnd::Min, LONG, 10).unwrap();
        assert_eq!(got, Some((z.clone(), vec![ScoredMember::new(s("b"), 2.0)])));
        let got: Option<(String, Vec<ScoredMember<String>>)> =
            r.bzmpop([&e, &z], ScoreEnd::Min, SHORT).unwrap();
        assert_empty_result(got, None, "BZMPOP");
        let got: Option<(String, Vec<ScoredMember<String>>)> =
            r.bzmpop_with(&e, ScoreEnd::Max, SHORT, 2).unwrap();
        assert_empty_result(got, None, "BZMPOP COUNT");
        let got: Option<(String, Vec<ScoredMember<String>>)> =
            pushed_while_blocked(&server, &["ZADD", &z, "5", "x", "6", "y"], || {
                r.bzmpop_with([&e, &z], ScoreEnd::Max, FOREVER, 5)
            })
            .unwrap();
        assert_eq!(
            got,
            Some((
                z.clone(),
                vec![
                    ScoredMember::new(s("y"), 6.0),
                    ScoredMember::new(s("x"), 5.0)
                ]
            )),
            "RESP{p}"
        );
        let h = r
            .deferred()
            .bzmpop::<String, String>([&e, &z], ScoreEnd::Min, FOREVER);
        when_blocked(&server, 1, &["ZADD", &e, "inf", "w"]);
        assert_eq!(
            h.wait().unwrap(),
            Some((e.clone(), vec![ScoredMember::new(s("w"), f64::INFINITY)]))
        );
    }
}

type Read = Vec<StreamReadReply<Vec<(String, String)>>>;

/// `(key, [(id, fields)])` of a read, for comparisons.
/// One entry as `(id, fields)`.
type Flat = (String, Vec<(String, String)>);

fn flat(read: &Read) -> Vec<(String, Vec<Flat>)> {
    read.iter()
        .map(|s| {
            let entries = s
                .entries
                .iter()
                .map(|e| (e.id.to_string(), e.fields.clone()))
                .collect();
            (s.key.clone(), entries)
        })
        .collect()
}

fn field(name: &str, value: &str) -> Vec<(String, String)> {
    vec![(s(name), s(value))]
}

#[test]
fn blocking_stream_reads() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let (st, e) = (format!("st{p}"), format!("ste{p}"));
        let id1 = r.xadd(&st, "1-1", [("f", "1")]).unwrap();
        r.xadd(&st, "2-1", [("f", "2")]).unwrap();
        assert_eq!(id1.to_string(), "1-1");

        // Data there: no wait.
        let got: Read = r.xread_block([(&e, "0"), (&st, "0")], LONG).unwrap();
        assert_eq!(
            flat(&got),
            [(
                st.clone(),
                vec![(s("1-1"), field("f", "1")), (s("2-1"), field("f", "2"))]
            )],
            "RESP{p}"
        );
        let got: Read = r
            .xread_block_with([(&st, "0")], LONG, XReadOptions::new().count(1))
            .unwrap();
        assert_eq!(
            flat(&got),
            [(st.clone(), vec![(s("1-1"), field("f", "1"))])],
            "RESP{p}"
        );
        // Timeout: nil becomes an empty list.
        let got: Read = r.xread_block([(&st, "$"), (&e, "$")], SHORT).unwrap();
        assert_empty_result(got, Vec::new(), "XREAD BLOCK");
        let got: Read = r
            .xread_block_with([(&st, "$")], SHORT, XReadOptions::new().count(3))
            .unwrap();
        assert_empty_result(got, Vec::new(), "XREAD COUNT BLOCK");
        // Added while blocked: for ever, then through the deferred form.
        let got: Read = pushed_while_blocked(&server, &["XADD", &e, "3-1", "g", "x"], || {
            r.xread_block([(&st, "$"), (&e, "$")], FOREVER)
        })
        .unwrap();
        assert_eq!(
            flat(&got),
            [(e.clone(), vec![(s("3-1"), field("g", "x"))])],
            "RESP{p}"
        );
        let h = r.deferred().xread_block_with::<Vec<(String, String)>>(
            [(&st, "2-1")],
            FOREVER,
            XReadOptions::new().count(5),
        );
        when_blocked(&server, 1, &["XADD", &st, "4-1", "h", "y"]);
        assert_eq!(
            flat(&h.wait().unwrap()),
            [(st.clone(), vec![(s("4-1"), field("h", "y"))])]
        );
        // Typed fields.
        let got: Vec<StreamReadReply<std::collections::HashMap<String, i64>>> = r
            .xread_block_with([(&st, "1-1")], LONG, XReadOptions::new().count(1))
            .unwrap();
        assert_eq!(got[0].entries[0].fields["f"], 2);
    }
}

#[test]
fn blocking_stream_group_reads() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let (st, other) = (format!("gs{p}"), format!("gso{p}"));
        r.xadd(&st, "1-1", [("f", "1")]).unwrap();
        r.xadd(&st, "2-1", [("f", "2")]).unwrap();
        r.xadd(&other, "1-1", [("o", "1")]).unwrap();
        r.xgroup_create(&st, "g", "0").unwrap();
        r.xgroup_create(&other, "g", "$").unwrap();

        let got: Read = r
            .xreadgroup_block("g", "c1", [(&st, ">"), (&other, ">")], LONG)
            .unwrap();
        assert_eq!(
            flat(&got),
            [(
                st.clone(),
                vec![(s("1-1"), field("f", "1")), (s("2-1"), field("f", "2"))]
            )],
            "RESP{p}"
        );
        // Nothing new: the timeout passes, an empty list.
        let got: Read = r
            .xreadgroup_block("g", "c1", [(&st, ">"), (&other, ">")], SHORT)
            .unwrap();
        assert_empty_result(got, Vec::new(), "XREADGROUP BLOCK");
        let got: Read = r
            .xreadgroup_block_with(
                "g",
                "c2",
                [(&st, ">")],
                SHORT,
                XReadGroupOptions::new().count(1).noack(),
            )
            .unwrap();
        assert_empty_result(got, Vec::new(), "XREADGROUP COUNT NOACK BLOCK");
        // History (an id, not ">") does not wait: c1's pending entries.
        let got: Read = r.xreadgroup_block("g", "c1", [(&st, "0")], LONG).unwrap();
        assert_eq!(flat(&got)[0].1.len(), 2, "RESP{p}");
        // Added while blocked, for ever.
        let got: Read = pushed_while_blocked(&server, &["XADD", &other, "2-1", "o", "2"], || {
            r.xreadgroup_block("g", "c1", [(&st, ">"), (&other, ">")], FOREVER)
        })
        .unwrap();
        assert_eq!(
            flat(&got),
            [(other.clone(), vec![(s("2-1"), field("o", "2"))])],
            "RESP{p}"
        );
        // COUNT and NOACK, deferred: one of the two new entries, not pending afterwards.
        let h = r.deferred().xreadgroup_block_with::<Vec<(String, String)>>(
            "g",
            "c2",
            [(&st, ">")],
            LONG,
            XReadGroupOptions::new().count(1).noack(),
        );
        when_blocked(&server, 1, &["XADD", &st, "3-1", "f", "3"]);
        assert_eq!(
            flat(&h.wait().unwrap()),
            [(st.clone(), vec![(s("3-1"), field("f", "3"))])],
            "RESP{p}"
        );
        r.xadd(&st, "4-1", [("f", "4")]).unwrap();
        r.xadd(&st, "5-1", [("f", "5")]).unwrap();
        let got: Read = r
            .xreadgroup_block_with(
                "g",
                "c2",
                [(&st, ">")],
                LONG,
                XReadGroupOptions::new().count(1).noack(),
            )
            .unwrap();
        assert_eq!(
            flat(&got),
            [(st.clone(), vec![(s("4-1"), field("f", "4"))])]
        );
        let pending = r.xpending(&st, "g").unwrap();
        assert_eq!(pending.count, 2, "NOACK reads are not pending: {pending:?}");
    }
}

#[test]
fn blocking_calls_wait_for_their_own_timeout_not_the_response_timeout() {
    let server = Server::start();
    // The response timeout is shorter than the commands' own: the client waits for both.
    let r = crate::util::connect_with(&server, "timeout=0.3");
    let wait = Duration::from_secs(1);
    let timed = |what: &str, f: &dyn Fn() -> bool| {
        let started = Instant::now();
        assert!(f(), "{what}: the empty result");
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(900),
            "{what} returned after {took:?}"
        );
    };
    timed("BRPOPLPUSH", &|| {
        r.brpoplpush::<String>("e", "d", wait).unwrap().is_none()
    });
    timed("BZPOPMIN", &|| {
        r.bzpopmin::<String, String>("e", wait).unwrap().is_none()
    });
    timed("XREAD BLOCK", &|| {
        r.xread_block::<Vec<(String, String)>>([("e", "$")], wait)
            .unwrap()
            .is_empty()
    });
    r.xgroup_create_with(
        "s",
        "g",
        "$",
        coredis::types::XGroupCreateOptions::new().mkstream(),
    )
    .unwrap();
    timed("XREADGROUP BLOCK", &|| {
        r.xreadgroup_block::<Vec<(String, String)>>("g", "c", [("s", ">")], wait)
            .unwrap()
            .is_empty()
    });
    if server_major_minor() < (7, 0) {
        skip(
            "commands::blocking::blocking_calls_wait_for_their_own_timeout_not_the_response_timeout",
            "BLMPOP needs Redis 7.0 (the other commands were checked)",
        );
    } else {
        timed("BLMPOP", &|| {
            r.blmpop::<String, String>("e", ListEnd::Left, wait)
                .unwrap()
                .is_none()
        });
    }
}

#[test]
fn blocking_bad_input() {
    let server = Server::start();
    let r = crate::util::connect(&server);
    r.set("str", "x").unwrap();
    r.rpush("list", "x").unwrap();
    assert_wrongtype(r.blpop::<String, String>("str", LONG), "BLPOP");
    assert_wrongtype(r.brpoplpush::<String>("str", "d", LONG), "BRPOPLPUSH");
    r.rpush("list2", "x").unwrap();
    assert_wrongtype(
        r.brpoplpush::<String>("list2", "str", LONG),
        "BRPOPLPUSH into a string",
    );
    assert_eq!(r.llen("list2").unwrap(), 1, "nothing was popped");
    assert_wrongtype(r.bzpopmin::<String, String>("list", LONG), "BZPOPMIN");
    assert_wrongtype(r.bzpopmax::<String, String>("str", LONG), "BZPOPMAX");
    assert_wrongtype(
        r.xread_block::<Vec<(String, String)>>([("list", "0")], LONG),
        "XREAD BLOCK",
    );
    assert_wrongtype(
        r.blmove::<String>("str", "d", ListEnd::Left, ListEnd::Left, LONG),
        "BLMOVE",
    );
    if server_major_minor() < (7, 0) {
        skip(
            "commands::blocking::blocking_bad_input",
            "BLMPOP and BZMPOP need Redis 7.0 (their wrong-type checks only)",
        );
    } else {
        assert_wrongtype(
            r.blmpop::<String, String>("str", ListEnd::Left, LONG),
            "BLMPOP",
        );
        assert_wrongtype(
            r.bzmpop::<String, String>("list", ScoreEnd::Min, LONG),
            "BZMPOP",
        );
    }
    let e = r
        .xreadgroup_block::<Vec<(String, String)>>("nogroup", "c", [("list", ">")], LONG)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");

    // Empty required lists: refused before anything is sent.
    let none: [&str; 0] = [];
    let no_streams: [(&str, &str); 0] = [];
    let usage =
        |e: coredis::Error, what: &str| assert_eq!(e.kind(), ErrorKind::Usage, "{what}: {e}");
    usage(r.blpop::<String, String>(none, LONG).unwrap_err(), "BLPOP");
    usage(r.brpop::<String, String>(none, LONG).unwrap_err(), "BRPOP");
    usage(
        r.blmpop::<String, String>(none, ListEnd::Left, LONG)
            .unwrap_err(),
        "BLMPOP",
    );
    usage(
        r.blmpop_with::<String, String>(none, ListEnd::Left, LONG, 2)
            .unwrap_err(),
        "BLMPOP COUNT",
    );
    usage(
        r.bzpopmin::<String, String>(none, LONG).unwrap_err(),
        "BZPOPMIN",
    );
    usage(
        r.bzpopmax::<String, String>(none, LONG).unwrap_err(),
        "BZPOPMAX",
    );
    usage(
        r.bzmpop::<String, String>(none, ScoreEnd::Min, LONG)
            .unwrap_err(),
        "BZMPOP",
    );
    usage(
        r.bzmpop_with::<String, String>(none, ScoreEnd::Max, LONG, 2)
            .unwrap_err(),
        "BZMPOP COUNT",
    );
    usage(
        r.xread_block::<Vec<(String, String)>>(no_streams, LONG)
            .unwrap_err(),
        "XREAD",
    );
    usage(
        r.xread_block_with::<Vec<(String, String)>>(no_streams, LONG, XReadOptions::new())
            .unwrap_err(),
        "XREAD COUNT",
    );
    usage(
        r.xreadgroup_block::<Vec<(String, String)>>("g", "c", no_streams, LONG)
            .unwrap_err(),
        "XREADGROUP",
    );
    usage(
        r.xreadgroup_block_with::<Vec<(String, String)>>(
            "g",
            "c",
            no_streams,
            LONG,
            XReadGroupOptions::new(),
        )
        .unwrap_err(),
        "XREADGROUP COUNT",
    );
    usage(
        r.deferred()
            .bzpopmin::<String, String>(none, LONG)
            .wait()
            .unwrap_err(),
        "deferred BZPOPMIN",
    );
    // Nothing was sent, nothing is blocked, the client still works.
    assert_eq!(blocked_clients(&server), 0);
    r.ping().unwrap();
}

/// The `p`-th percentile (0–100) of `samples`.
fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort_unstable();
    let i = (samples.len() * p / 100).min(samples.len().saturating_sub(1));
    samples.get(i).copied().unwrap_or_default()
}

/// `threads` threads each run `per_thread` GETs on the shared connection; their latencies.
fn get_latencies(r: &Redis, threads: usize, per_thread: usize) -> Vec<Duration> {
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let key = format!("lat:{t}");
                    let mut out = Vec::with_capacity(per_thread);
                    for _ in 0..per_thread {
                        let started = Instant::now();
                        let v: Option<String> = r.get(&key).expect("GET");
                        out.push(started.elapsed());
                        assert_eq!(v.as_deref(), Some("v"));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a GET thread"))
            .collect()
    })
}

#[test]
fn blocked_callers_do_not_slow_the_shared_connection() {
    const BLOCKERS: usize = 50;
    let server = Server::start();
    let config = crate::util::config(&server)
        .max_dedicated_connections(64)
        .build()
        .unwrap();
    let r = Redis::new(config).unwrap();
    for t in 0..4 {
        r.set(format!("lat:{t}"), "v").unwrap();
    }
    // Warm up, then the latencies without blockers.
    get_latencies(&r, 4, 50);
    let mut base = get_latencies(&r, 4, 250);
    let base_p99 = percentile(&mut base, 99);

    let stop = AtomicBool::new(false);
    let (mut loaded, popped) = std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        let blockers: Vec<_> = (0..BLOCKERS)
            .map(|_| {
                let (r, stop) = (&r, &stop);
                s.spawn(move || {
                    // Sits in `BLPOP … 5` until it gets an element (or the test ends).
                    while !stop.load(Ordering::SeqCst) {
                        let got: Option<(String, String)> = r
                            .blpop(["blockers"], Duration::from_secs(5))
                            .expect("BLPOP");
                        if got.is_some() {
                            return 1;
                        }
                    }
                    0
                })
            })
            .collect();
        when_blocked(&server, BLOCKERS as i64, &["PING"]);
        let loaded = get_latencies(&r, 4, 250);
        let still_blocked = blocked_clients(&server);
        note(&format!(
            "blocked_callers_do_not_slow_the_shared_connection: {still_blocked} clients \
             blocked after the measurement"
        ));
        // Release every blocker: one element each.
        let mut push = vec!["RPUSH", "blockers"];
        push.extend(vec!["x"; BLOCKERS]);
        server.command(&push);
        let popped: usize = blockers
            .into_iter()
            .map(|b| b.join().expect("a BLPOP thread"))
            .sum();
        (loaded, popped)
    });
    assert_eq!(popped, BLOCKERS, "every blocker got one element");
    let loaded_p99 = percentile(&mut loaded, 99);
    let bound = (base_p99 * 10).max(Duration::from_millis(500));
    note(&format!(
        "blocked_callers_do_not_slow_the_shared_connection: GET p99 {base_p99:?} alone, \
         {loaded_p99:?} with {BLOCKERS} callers in BLPOP (bound {bound:?})"
    ));
    assert!(
        loaded_p99 <= bound,
        "GET p99 with {BLOCKERS} blocked callers: {loaded_p99:?}, without: {base_p99:?}"
    );
    assert_eq!(r.llen("blockers").unwrap(), 0);
}

#[test]
fn an_exhausted_dedicated_pool_times_out_instead_of_deadlocking() {
    let server = Server::start();
    let timeout = Duration::from_millis(500);
    let config = crate::util::config(&server)
        .max_dedicated_connections(2)
        .response_timeout(timeout)
        .build()
        .unwrap();
    let r = Redis::new(config).unwrap();
    let first = r.deferred().blpop::<String, String>("q1", LONG);
    let second = r.deferred().bzpopmin::<String, String>("z2", LONG);
    when_blocked(&server, 2, &["PING"]);

    // The third blocking call waits for a free connection up to the response timeout.
    let started = Instant::now();
    let e = r
        .blmove::<String>("q3", "d", ListEnd::Left, ListEnd::Left, LONG)
        .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "the third call failed after {took:?} (response timeout {timeout:?})"
    );
    let e = r
        .deferred()
        .xread_block::<Vec<(String, String)>>([("s", "$")], LONG)
        .wait()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "deferred: {e}");
    // The shared connection is not part of the pool: it still answers.
    r.ping().unwrap();

    // A connection comes back: the next blocking call gets it.
    server.command(&["RPUSH", "q1", "a"]);
    assert_eq!(first.wait().unwrap(), Some((s("q1"), s("a"))));
    let got: Option<String> = r
        .blmove("q3", "d", ListEnd::Left, ListEnd::Left, SHORT)
        .unwrap();
    assert_eq!(got, None);
    server.command(&["ZADD", "z2", "1", "m"]);
    assert_eq!(
        second.wait().unwrap(),
        Some((s("z2"), ScoredMember::new(s("m"), 1.0)))
    );
}

/// The id of the connection the server sees running `cmd` (`blpop`, …), from `CLIENT LIST`.
fn client_running(server: &Server, cmd: &str) -> String {
    let list = server.command(&["CLIENT", "LIST"]);
    let line = list
        .lines()
        .find(|l| l.split(' ').any(|f| f == format!("cmd={cmd}")))
        .unwrap_or_else(|| panic!("no client runs {cmd}: {list}"));
    line.split(' ')
        .find_map(|f| f.strip_prefix("id="))
        .unwrap_or_else(|| panic!("no id in {line}"))
        .to_string()
}

#[test]
fn a_killed_blocking_connection_fails_its_call_and_is_replaced() {
    let server = Server::start();
    let r = crate::util::connect_with(&server, "client_name=blk");
    r.ping().unwrap();

    // Deferred, blocking for ever: the kill ends it with a connection error.
    let h = r.deferred().blpop::<String, String>("q", FOREVER);
    when_blocked(&server, 1, &["PING"]);
    let killed = client_running(&server, "blpop");
    let started = Instant::now();
    assert_eq!(server.command(&["CLIENT", "KILL", "ID", &killed]), "1");
    let e = h.wait().unwrap_err();
    note(&format!(
        "a_killed_blocking_connection_fails_its_call_and_is_replaced: {:?}: {e:#}",
        e.kind()
    ));
    assert!(e.is_connection_error(), "{e:?}");
    assert_eq!(
        e.kind(),
        ErrorKind::Closed,
        "as on the shared connection: {e:?}"
    );
    assert_eq!(e.command(), Some("BLPOP"), "{e}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // The next blocking call works, on a new connection.
    let got: Option<(String, String)> =
        pushed_while_blocked(&server, &["RPUSH", "q", "after"], || r.blpop("q", LONG)).unwrap();
    assert_eq!(got, Some((s("q"), s("after"))));
    let c = r.dedicated().unwrap();
    let id: i64 = c
        .execute(coredis::cmd("CLIENT").arg("ID").returns())
        .unwrap();
    assert_ne!(id.to_string(), killed, "the killed connection was replaced");
    drop(c);

    // Blocking (not deferred), killed from another thread: the same.
    let e = std::thread::scope(|s| {
        s.spawn(|| {
            when_blocked(&server, 1, &["PING"]);
            let id = client_running(&server, "bzpopmax");
            server.command(&["CLIENT", "KILL", "ID", &id]);
        });
        r.bzpopmax::<String, String>("z", LONG).unwrap_err()
    });
    assert!(e.is_connection_error(), "{e:?}");
    let got: Option<(String, ScoredMember<String>)> = r.bzpopmax("z", SHORT).unwrap();
    assert_eq!(got, None);
    // The shared connection was not touched.
    r.set("k", 1).unwrap();
    assert_eq!(r.get::<i64>("k").unwrap(), 1);
}
