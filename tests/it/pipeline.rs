//! Pipelines: one batch through the shared connection, typed results per command, each
//! command's own error, and the batch's failure as a whole.

use crate::util::{clients, connect, connect_with};
use coredis::prelude::*;
use coredis::Queued;
use coredis::{cmd, ErrorKind, ServerCode, Value};
use coredis_test_support::{Proxy, Server};
use std::time::{Duration, Instant};

#[test]
fn typed_results_per_command_under_both_protocols() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let key = |k: &str| format!("{k}:{p}");
        let pipe = r.pipeline();
        let set = pipe.set(key("s"), "v");
        let n = pipe.incr(key("n"));
        let n2 = pipe.incrby(key("n"), 10);
        let got = pipe.get::<Option<String>>(key("s"));
        let missing = pipe.get::<Option<String>>(key("missing"));
        let score = pipe.zadd(key("z"), [(1.5, "m")]);
        let zs = pipe.zscore(key("z"), "m");
        assert_eq!(pipe.len(), 7);
        let replies = pipe.exec().unwrap();
        assert_eq!(replies.len(), 7);
        let (set, n, n2, got, missing, score, zs) =
            replies.get((set, n, n2, got, missing, score, zs)).unwrap();
        assert_eq!(set, ());
        assert_eq!((n, n2), (1, 11), "RESP{p}");
        assert_eq!(got.as_deref(), Some("v"));
        assert_eq!(missing, None);
        assert_eq!(score, 1);
        assert_eq!(zs, Some(1.5), "RESP{p}: the same f64 as a single ZSCORE");
    }
}

#[test]
fn one_error_does_not_hide_the_others() {
    let server = Server::start();
    let r = connect(&server);
    r.set("str", "x").unwrap();
    let p = r.pipeline();
    let a = p.incr("counter");
    let bad = p.lpush("str", ["wrong type"]);
    let refused = p.execute(cmd("SELECT").arg(1));
    let b = p.incr("counter");
    let replies = p.exec().unwrap();
    assert_eq!(replies.get(&a).unwrap(), 1);
    let e = replies.get(&bad).unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
    assert_eq!(e.command(), Some("LPUSH"));
    let e = replies.get(refused).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "refused before sending: {e}");
    assert_eq!(
        replies.get(&b).unwrap(),
        2,
        "the refused command was not sent"
    );
    // A tuple stops at the first error; values() gives each command its own.
    assert!(replies.get((a, bad)).is_err());
    let values = replies.values();
    assert_eq!(values.len(), 4);
    assert_eq!(values[0].as_ref().unwrap(), &Value::Int(1));
    assert!(matches!(values[1], Ok(Value::Error(_))));
    assert!(values[2].is_err());
    assert_eq!(values[3].as_ref().unwrap(), &Value::Int(2));
}

#[test]
fn many_of_one_kind_and_a_hundred_thousand_commands() {
    let server = Server::start();
    let r = connect_with(&server, "timeout=30");
    let p = r.pipeline();
    let sets: Vec<_> = (0..100_000).map(|i| p.set(format!("k{i}"), i)).collect();
    let replies = p.exec().unwrap();
    assert_eq!(replies.get(sets).unwrap().len(), 100_000);
    let p = r.pipeline();
    let gets: Vec<_> = (0..100_000)
        .map(|i| p.get::<i64>(format!("k{i}")))
        .collect();
    let values: Vec<i64> = p.exec().unwrap().get(gets).unwrap();
    assert!(values.iter().enumerate().all(|(i, v)| *v == i as i64));
    assert_eq!(r.dbsize().unwrap(), 100_000);
}

#[test]
fn deferred_and_empty_pipelines() {
    let server = Server::start();
    let r = connect(&server);
    assert!(r.pipeline().exec().unwrap().is_empty());
    let p = r.pipeline();
    let e = p.echo::<String>("hi");
    let h = p.exec_deferred();
    // Other callers go on meanwhile.
    assert_eq!(r.echo::<String>("other").unwrap(), "other");
    assert_eq!(h.wait().unwrap().get(e).unwrap(), "hi");
}

#[test]
fn a_pipeline_larger_than_max_in_flight_goes_alone_and_blocking_commands_are_refused() {
    let server = Server::start();
    let r = connect_with(&server, "max_in_flight=10");
    let p = r.pipeline();
    let all: Vec<_> = (0..50).map(|i| p.echo::<i64>(i)).collect();
    assert_eq!(
        p.exec().unwrap().get(all).unwrap(),
        (0..50).collect::<Vec<i64>>()
    );
    let p = r.pipeline();
    let b = p.execute(cmd("BLPOP").key("q").arg(0).blocking());
    let e = p.exec().unwrap().get(b).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
}

#[test]
fn a_connection_cut_in_the_middle_fails_the_batch_never_misroutes() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr());
    let r = coredis::Redis::from_url(&crate::util::url_for(&proxy.url(), "timeout=10")).unwrap();
    r.ping().unwrap();
    for round in 0..5 {
        // Cut after some of the replies have come through.
        proxy.cut_after(Some(2_000 + round * 1_500));
        let p = r.pipeline();
        let echoes: Vec<_> = (0..2_000)
            .map(|i| p.echo::<String>(format!("{round}-{i}")))
            .collect();
        match p.exec() {
            Ok(replies) => {
                // The cut missed this batch: every reply is its own.
                for (i, q) in echoes.into_iter().enumerate() {
                    assert_eq!(replies.get(q).unwrap(), format!("{round}-{i}"));
                }
            }
            Err(e) => assert_eq!(e.kind(), ErrorKind::Closed, "{e}"),
        }
        proxy.cut_after(None);
        // The connection comes back, in step.
        let started = std::time::Instant::now();
        loop {
            match r.echo::<String>("after") {
                Ok(v) => {
                    assert_eq!(v, "after");
                    break;
                }
                Err(e) => {
                    assert!(e.is_connection_error() || e.is_timeout(), "{e}");
                    assert!(started.elapsed() < Duration::from_secs(20), "{e}");
                }
            }
        }
    }
}

/// `RPUSH list i` for `i` in `from..to`, queued in `p`.
fn push_range(p: &coredis::Pipeline<'_>, list: &str, from: usize, to: usize) -> Vec<Queued<i64>> {
    (from..to).map(|i| p.rpush(list, [i])).collect()
}

/// Runs `p`, whose `pushes` appended 0, 1, … to `list`, and checks that each reply is its own
/// command's (`RPUSH` answers the list's new length) and that the list holds them in order.
fn exec_pushes_in_order(
    p: coredis::Pipeline<'_>,
    pushes: Vec<Queued<i64>>,
    r: &coredis::Redis,
    list: &str,
) {
    let n = pushes.len();
    let lengths: Vec<i64> = p.exec().unwrap().get(pushes).unwrap();
    assert!(
        lengths.iter().enumerate().all(|(i, l)| *l == i as i64 + 1),
        "replies out of order"
    );
    assert_eq!(numbers(r, list), (0..n).collect::<Vec<_>>());
}

/// The list's elements as numbers.
fn numbers(r: &coredis::Redis, list: &str) -> Vec<usize> {
    r.lrange::<usize>(list, 0, -1).unwrap()
}

/// Waits (up to 20 s) until a `PING` through `r` succeeds: one queued behind requests of a
/// lost connection fails with them, so this returns once `r` is connected again.
fn wait_reconnected(r: &coredis::Redis) {
    let started = Instant::now();
    while let Err(e) = r.ping() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no reconnection: {e}"
        );
    }
}

/// Waits (up to 20 s) until `list` has an element.
fn wait_until_started(r: &coredis::Redis, list: &str) {
    let started = Instant::now();
    while r.llen(list).unwrap() == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "nothing of the long pipeline ran before exec"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_long_pipeline_runs_while_it_is_built_and_in_order_unless_buffered() {
    let server = Server::start();
    let r = connect(&server);
    let watcher = connect(&server);
    // 3,000 `RPUSH`es are about 100 KiB: the first chunks go out while the rest is queued.
    let p = r.pipeline();
    let mut pushes = push_range(&p, "streamed", 0, 3_000);
    wait_until_started(&watcher, "streamed");
    pushes.extend(push_range(&p, "streamed", 3_000, 6_000));
    exec_pushes_in_order(p, pushes, &r, "streamed");

    // Buffered: nothing is sent before exec, however long.
    let p = r.pipeline().buffered();
    let pushes = push_range(&p, "held", 0, 6_000);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        watcher.llen("held").unwrap(),
        0,
        "a buffered pipeline sent early"
    );
    let lengths: Vec<i64> = p.exec().unwrap().get(pushes).unwrap();
    assert_eq!(lengths.last(), Some(&6_000));
}

#[test]
fn a_long_pipeline_moved_between_threads_keeps_its_order() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr());
    let config = coredis::Config::from_url(&crate::util::url_for(
        &proxy.url(),
        "timeout=20&max_in_flight=100000",
    ))
    .unwrap()
    .to_builder()
    .shared_connections(4)
    .build()
    .unwrap();
    let r = coredis::Redis::new(config).unwrap();
    // Every one of the four connections is up (threads are spread over them).
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| r.ping().unwrap());
        }
    });
    // Held in the proxy, the chunks of all threads would reach the server in any order if
    // they went out on different connections. (Building does not wait for replies while
    // the chunks sent stay under `max_in_flight`.)
    proxy.stall(true);
    let mut p = r.pipeline();
    let mut pushes = push_range(&p, "moved", 0, 2_000);
    // The pipeline is built on by other threads in turn (each thread sends on one of the
    // four connections): its chunks still go to the connection of the first, in order.
    for t in 1..6 {
        let (back, more) = std::thread::scope(|s| {
            s.spawn(move || {
                let more = push_range(&p, "moved", t * 2_000, (t + 1) * 2_000);
                (p, more)
            })
            .join()
            .unwrap()
        });
        p = back;
        pushes.extend(more);
    }
    proxy.stall(false);
    exec_pushes_in_order(p, pushes, &r, "moved");
}

#[test]
fn a_long_pipeline_cut_mid_chunk_runs_a_prefix_and_says_so() {
    let server = Server::start();
    let proxy = Proxy::start(&server.addr());
    let r = coredis::Redis::from_url(&crate::util::url_for(&proxy.url(), "timeout=10")).unwrap();
    let watcher = connect(&server);
    r.ping().unwrap();
    // The connection is cut in the middle of the first chunk's bytes: part of it ran.
    proxy.cut_upstream_after(Some(10_000));
    let p = r.pipeline();
    let mut pushes = push_range(&p, "cut", 0, 3_000);
    // Wait until the client is connected again (a PING behind the cut chunk fails with it).
    wait_reconnected(&r);
    // What is queued after the loss must not run on the new connection: it would run with a
    // hole before it.
    pushes.extend(push_range(&p, "cut", 3_000, 6_000));
    let e = p.exec().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    assert!(!e.was_not_sent(), "part of the pipeline ran: {e}");
    let ran = numbers(&watcher, "cut");
    assert!(!ran.is_empty() && ran.len() < 3_000, "{} ran", ran.len());
    assert_eq!(ran, (0..ran.len()).collect::<Vec<_>>(), "not a prefix");
    drop(pushes);

    // A chunk answered before a reconnection is complete: the rest may go on the new one.
    let p = r.pipeline();
    let mut pushes = push_range(&p, "whole", 0, 3_000);
    // Every chunk sent so far has run (the list stopped growing) and been answered.
    let mut last = 0;
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(20), "{last} ran");
        std::thread::sleep(Duration::from_millis(100));
        let n = watcher.llen("whole").unwrap();
        if n >= 2_000 && n == last {
            break;
        }
        last = n;
    }
    std::thread::sleep(Duration::from_millis(100));
    proxy.kill_all();
    wait_reconnected(&r);
    pushes.extend(push_range(&p, "whole", 3_000, 6_000));
    exec_pushes_in_order(p, pushes, &watcher, "whole");
}

#[test]
fn a_long_pipeline_built_for_longer_than_the_response_timeout_still_gets_its_replies() {
    let server = Server::start();
    let r = connect_with(&server, "timeout=0.5");
    let big = vec![7u8; 4 << 20];
    r.set("big", &big[..]).unwrap();
    let p = r.pipeline();
    // A big reply first: read at `exec` in pieces, with the oldest request sent long before.
    let got_big = p.get::<Vec<u8>>("big");
    let mut pushes = push_range(&p, "slow", 0, 3_000);
    let refused = p.execute(cmd("SELECT").arg(1));
    let wrong = p.incr("slow");
    // The first chunks were sent and answered long before `exec`.
    std::thread::sleep(Duration::from_millis(1_500));
    pushes.extend(push_range(&p, "slow", 3_000, 4_000));
    let replies = p.exec().unwrap();
    let e = replies.get(refused).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
    let e = replies.get(wrong).unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
    let lengths: Vec<i64> = replies.get(pushes).unwrap();
    assert_eq!(lengths, (1..=4_000).collect::<Vec<i64>>());
    assert!(replies.get(got_big).unwrap() == big);
}

#[test]
fn a_long_pipeline_under_a_small_max_in_flight_neither_deadlocks_nor_overruns_it() {
    let server = Server::start();
    // Each 32 KiB chunk holds about 900 commands, far past the bound: each goes alone, once
    // the one before it was answered (read by the worker: nobody else reads meanwhile).
    let r = connect_with(&server, "max_in_flight=100");
    let p = r.pipeline();
    let pushes = push_range(&p, "bounded", 0, 5_000);
    exec_pushes_in_order(p, pushes, &r, "bounded");
}

#[test]
fn a_long_pipeline_dropped_without_exec_ran_a_prefix_and_leaves_the_connection_in_step() {
    let server = Server::start();
    let r = connect(&server);
    let watcher = connect(&server);
    let p = r.pipeline();
    let pushes = push_range(&p, "dropped", 0, 5_000);
    drop(pushes);
    drop(p);
    // Their replies, nobody's now, are skipped: every later reply is its own command's (and
    // these commands, behind the chunks on the same connection, ran after them).
    for i in 0..100 {
        assert_eq!(
            r.echo::<String>(format!("after-{i}")).unwrap(),
            format!("after-{i}")
        );
    }
    // The chunks sent ran, in order; the rest, never sent, did not.
    let ran = numbers(&watcher, "dropped");
    assert!(!ran.is_empty() && ran.len() < 5_000, "{} ran", ran.len());
    assert_eq!(ran, (0..ran.len()).collect::<Vec<_>>(), "not a prefix");
}
