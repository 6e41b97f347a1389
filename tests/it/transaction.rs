//! Transactions: MULTI … EXEC on a dedicated connection, their three outcomes (ran, aborted,
//! conflict), and optimistic locking with WATCH.

use crate::util::{clients, connect};
use coredis::prelude::*;
use coredis::{cmd, ErrorKind, ServerCode};
use coredis_test_support::Server;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn queued_commands_run_and_give_typed_results_under_both_protocols() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let k = |s: &str| format!("{s}:{p}");
        let tx = r.transaction();
        let a = tx.incr(k("a"));
        let set = tx.hset(k("h"), [("f", "v"), ("g", "w")]);
        let all = tx.hgetall::<HashMap<String, String>>(k("h"));
        let zs = tx.zadd(k("z"), [(2.5, "m")]);
        let score = tx.zscore(k("z"), "m");
        assert_eq!(tx.len(), 5);
        let (a, set, all, zs, score) = tx.exec().unwrap().get((a, set, all, zs, score)).unwrap();
        assert_eq!((a, set, zs), (1, 2, 1), "RESP{p}");
        assert_eq!(all.get("g").map(String::as_str), Some("w"), "RESP{p}");
        assert_eq!(score, Some(2.5), "RESP{p}");
    }
}

#[test]
fn a_command_failing_when_it_runs_fails_alone() {
    let server = Server::start();
    let r = connect(&server);
    r.set("str", "x").unwrap();
    let tx = r.transaction();
    let a = tx.incr("n");
    let bad = tx.lpush("str", ["x"]);
    let b = tx.incr("n");
    let replies = tx.exec().unwrap();
    assert_eq!(replies.get(a).unwrap(), 1);
    assert_eq!(
        replies.get(bad).unwrap_err().server_code(),
        Some(ServerCode::WrongType)
    );
    assert_eq!(replies.get(b).unwrap(), 2, "no rollback: the rest ran");
}

#[test]
fn a_command_refused_while_queueing_aborts_everything() {
    let server = Server::start();
    let r = connect(&server);
    let tx = r.transaction();
    let _ = tx.incr("n");
    let _ = tx.execute(cmd("SET").key("only-a-key"));
    let e = tx.exec().unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::ExecAbort), "{e}");
    assert!(
        format!("{e:#}").contains("wrong number of arguments"),
        "the refusal is the cause: {e:#}"
    );
    assert_eq!(r.get::<Option<i64>>("n").unwrap(), None, "nothing ran");
    // A command that cannot be sent at all is refused before anything is sent.
    let tx = r.transaction();
    let _ = tx.incr("n");
    let _ = tx.execute(cmd("SELECT").arg(2));
    assert_eq!(tx.exec().unwrap_err().kind(), ErrorKind::Usage);
    assert_eq!(r.get::<Option<i64>>("n").unwrap(), None);
}

#[test]
fn optimistic_locking_retries_after_a_conflict() {
    let server = Server::start();
    let r = connect(&server);
    r.set("counter", 10).unwrap();
    let other = connect(&server);
    let attempts = AtomicUsize::new(0);
    let (old, replies) = r
        .transaction_with("counter", |conn, tx| {
            let old: i64 = conn.get("counter")?;
            if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
                // Another client changes the watched key between our read and EXEC.
                other.incrby("counter", 5)?;
            }
            let _ = tx.set("counter", old * 2);
            Ok(old)
        })
        .unwrap();
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        2,
        "one conflict, one retry"
    );
    assert_eq!(old, 15, "the retry read the other client's write");
    assert_eq!(replies.len(), 1);
    assert_eq!(r.get::<i64>("counter").unwrap(), 30, "no update was lost");
}

#[test]
fn a_conflict_on_every_attempt_is_a_conflict_error() {
    let server = Server::start();
    let r = connect(&server);
    let other = connect(&server);
    let attempts = AtomicUsize::new(0);
    let e = r
        .transaction_with(["a", "b"], |_, tx| {
            attempts.fetch_add(1, Ordering::SeqCst);
            other.incr("b")?;
            let _ = tx.incr("a");
            Ok(())
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        coredis::TRANSACTION_ATTEMPTS
    );
    assert_eq!(r.get::<Option<i64>>("a").unwrap(), None, "nothing ran");
    // An error from the closure ends it at once.
    let e = r
        .transaction_with("a", |_, _| -> coredis::Result<()> {
            Err(coredis::Error::new(ErrorKind::Usage, "changed my mind"))
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage);
    // The shared connection never saw any of it.
    assert_eq!(r.incr("a").unwrap(), 1);
}
