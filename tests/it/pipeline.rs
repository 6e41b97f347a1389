//! Pipelines: one batch through the shared connection, typed results per command, each
//! command's own error, and the batch's failure as a whole.

use crate::util::{clients, connect, connect_with};
use coredis::prelude::*;
use coredis::{cmd, ErrorKind, ServerCode, Value};
use coredis_test_support::{Proxy, Server};
use std::time::Duration;

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
