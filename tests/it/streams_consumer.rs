//! `coredis::streams` against a real server: consumer groups (two consumers splitting a
//! stream, a dead consumer's entries claimed by another, a restart that loses nothing,
//! acknowledgement explicit and automatic, several streams) and the tail reader.
//!
//! Timing: every wait is a poll loop with a deadline of many seconds, and the only lower
//! bound checked is the claim threshold the server enforces itself.

use crate::util::connect;
use coredis::prelude::*;
use coredis::streams::{Delivery, GroupConsumer, GroupEntry, StopHandle, StreamTail};
use coredis::types::{StreamId, StreamPendingEntry};
use coredis::{ErrorKind, Redis};
use coredis_test_support::{server_major_minor, skip, Server};
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Fields as a map: every entry of these tests has an `n`.
type Fields = HashMap<String, u64>;

const BLOCK: Duration = Duration::from_millis(100);
const DEADLINE: Duration = Duration::from_secs(20);

/// Adds entries `n = from..to` to `key`; returns their ids.
fn produce(r: &Redis, key: &str, from: u64, to: u64) -> Vec<StreamId> {
    (from..to)
        .map(|n| r.xadd(key, "*", [("n", n)]).expect("XADD"))
        .collect()
}

/// Items from `poll` until `n` were collected (panicking on an error item or after the
/// deadline).
fn take<T>(n: usize, mut poll: impl FnMut() -> Option<coredis::Result<T>>) -> Vec<T> {
    let deadline = Instant::now() + DEADLINE;
    let mut got = Vec::new();
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "only {} of {n} entries within {DEADLINE:?}",
            got.len()
        );
        if let Some(item) = poll() {
            got.push(item.expect("read"));
        }
    }
    got
}

/// The ids pending in `group` on `key`, with their consumers.
fn pending(r: &Redis, key: &str, group: &str) -> Vec<(StreamId, String)> {
    let entries: Vec<StreamPendingEntry> = r
        .xpending_range(key, group, "-", "+", 10_000)
        .expect("XPENDING");
    entries.into_iter().map(|e| (e.id, e.consumer)).collect()
}

fn ids<F>(entries: &[GroupEntry<F>]) -> Vec<StreamId> {
    entries.iter().map(|e| e.id).collect()
}

fn needs_xautoclaim(test: &str) -> bool {
    if server_major_minor() < (6, 2) {
        skip(test, "XAUTOCLAIM needs Redis 6.2");
        return false;
    }
    true
}

#[test]
fn streams_consumer_two_consumers_split_entries_without_duplicates() {
    let server = Server::start();
    let r = connect(&server);
    const TOTAL: usize = 300;
    let stop = StopHandle::new();
    let handled = AtomicUsize::new(0);
    let seen: Vec<Mutex<Vec<StreamId>>> = (0..2).map(|_| Mutex::new(Vec::new())).collect();
    // Both consumers exist (and wait) before the first entry is added.
    let consumers: Vec<GroupConsumer<Fields>> = (0..2)
        .map(|i| {
            GroupConsumer::builder("workers", format!("worker-{i}"))
                .stream("jobs")
                .create_group("$")
                .block(BLOCK)
                .count(5)
                .stop_handle(&stop)
                .build(&r)
                .expect("build")
        })
        .collect();
    let produced = thread::scope(|s| {
        for (mut consumer, seen) in consumers.into_iter().zip(&seen) {
            let (stop, handled) = (&stop, &handled);
            s.spawn(move || {
                consumer
                    .run(|entry| {
                        assert_eq!(entry.delivery, Delivery::New);
                        seen.lock().unwrap().push(entry.id);
                        thread::sleep(Duration::from_millis(1)); // let the other one in
                        if handled.fetch_add(1, Ordering::SeqCst) + 1 == TOTAL {
                            stop.stop();
                        }
                        Ok::<(), String>(())
                    })
                    .expect("run");
            });
        }
        let watchdog = {
            let stop = &stop;
            s.spawn(move || {
                let deadline = Instant::now() + DEADLINE;
                while !stop.is_stopped() && Instant::now() < deadline {
                    thread::sleep(Duration::from_millis(20));
                }
                stop.stop();
            })
        };
        let mut produced = Vec::new();
        for n in 0..TOTAL as u64 {
            produced.extend(produce(&r, "jobs", n, n + 1));
            if n % 10 == 0 {
                thread::sleep(Duration::from_millis(2));
            }
        }
        watchdog.join().unwrap();
        produced
    });
    let seen: Vec<Vec<StreamId>> = seen.into_iter().map(|m| m.into_inner().unwrap()).collect();
    let all: BTreeSet<StreamId> = seen.iter().flatten().copied().collect();
    assert_eq!(
        seen[0].len() + seen[1].len(),
        TOTAL,
        "every entry once (no duplicates, none missing)"
    );
    assert_eq!(all, produced.into_iter().collect::<BTreeSet<_>>());
    assert!(
        !seen[0].is_empty() && !seen[1].is_empty(),
        "both consumers got entries: {} and {}",
        seen[0].len(),
        seen[1].len()
    );
    assert!(
        pending(&r, "jobs", "workers").is_empty(),
        "run acknowledged all"
    );
}

#[test]
fn streams_consumer_dead_consumers_entries_are_claimed_after_the_idle_time() {
    if !needs_xautoclaim("streams_consumer_dead_consumers_entries_are_claimed") {
        return;
    }
    let server = Server::start();
    let r = connect(&server);
    let produced = produce(&r, "orders", 0, 5);
    let idle = Duration::from_millis(500);
    let started = Instant::now();
    {
        let mut dead: GroupConsumer<Fields> = GroupConsumer::builder("shipping", "dead")
            .stream("orders")
            .create_group("0")
            .block(BLOCK)
            .build(&r)
            .expect("build");
        let got = take(5, || dead.next());
        assert_eq!(ids(&got), produced);
        // Dropped without acknowledging: the "process" died.
    }
    let owners = pending(&r, "orders", "shipping");
    assert_eq!(owners.len(), 5);
    assert!(owners.iter().all(|(_, c)| c == "dead"), "{owners:?}");

    let mut rescuer: GroupConsumer<Fields> = GroupConsumer::builder("shipping", "rescuer")
        .stream("orders")
        .block(BLOCK)
        .claim_idle(idle)
        .claim_every(Duration::from_millis(100))
        .build(&r)
        .expect("build");
    let claimed = take(5, || rescuer.poll());
    assert!(
        started.elapsed() >= idle - Duration::from_millis(50),
        "claimed after {:?}, before the idle time",
        started.elapsed()
    );
    assert_eq!(ids(&claimed), produced);
    assert!(claimed.iter().all(|e| e.delivery == Delivery::Claimed));
    assert_eq!(claimed[0].fields["n"], 0);
    let owners = pending(&r, "orders", "shipping");
    assert!(owners.iter().all(|(_, c)| c == "rescuer"), "{owners:?}");
    assert_eq!(rescuer.ack(&claimed).expect("XACK"), 5);
    assert!(pending(&r, "orders", "shipping").is_empty());
}

#[test]
fn streams_consumer_restart_loses_nothing_and_acks_only_what_was_handled() {
    let server = Server::start();
    let r = connect(&server);
    let produced = produce(&r, "mail", 0, 10);
    let handled_ok = Mutex::new(Vec::new());
    {
        let mut consumer: GroupConsumer<Fields> = GroupConsumer::builder("mailer", "w")
            .stream("mail")
            .create_group("0")
            .block(BLOCK)
            .count(10) // all ten are delivered by the first read
            .build(&r)
            .expect("build");
        let stop = consumer.stop_handle();
        let watchdog = stop.clone();
        let guard = thread::spawn(move || {
            thread::sleep(DEADLINE);
            watchdog.stop();
        });
        consumer
            .run(|entry| match entry.fields["n"] {
                3 => Err("cannot handle 3"),
                n => {
                    handled_ok.lock().unwrap().push(entry.id);
                    if n == 5 {
                        stop.stop(); // the process stops with 6..9 delivered, not handled
                    }
                    Ok(())
                }
            })
            .expect("run");
        drop(guard); // detached: it only stops a consumer that is gone
    }
    let handled_ok = handled_ok.into_inner().unwrap();
    let expect_ok: Vec<StreamId> = [0, 1, 2, 4, 5].iter().map(|&i| produced[i]).collect();
    assert_eq!(handled_ok, expect_ok);
    let left: Vec<StreamId> = [3, 6, 7, 8, 9].iter().map(|&i| produced[i]).collect();
    let still_pending: Vec<StreamId> = pending(&r, "mail", "mailer")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(still_pending, left, "acknowledged exactly what was handled");

    // The same consumer, restarted: its pending entries first, then new ones.
    let mut consumer: GroupConsumer<Fields> = GroupConsumer::builder("mailer", "w")
        .stream("mail")
        .create_group("0") // exists: BUSYGROUP is fine
        .block(BLOCK)
        .count(2) // the pending list is read in pages
        .build(&r)
        .expect("restart");
    let again = take(5, || consumer.poll());
    assert_eq!(ids(&again), left);
    assert!(again.iter().all(|e| e.delivery == Delivery::Pending));
    for e in &again {
        assert!(e.ack().expect("XACK"), "{} was pending", e.id);
        assert!(!e.ack().expect("XACK"), "{} acknowledged twice", e.id);
    }
    let new = produce(&r, "mail", 10, 11);
    let got = take(1, || consumer.poll());
    assert_eq!(ids(&got), new);
    assert_eq!(got[0].delivery, Delivery::New);
    assert_eq!((got[0].group(), got[0].consumer()), ("mailer", "w"));
    assert_eq!(consumer.ack_ids("mail", &new).expect("XACK"), 1);
    assert!(pending(&r, "mail", "mailer").is_empty());
}

#[test]
fn streams_consumer_reads_several_streams_at_once() {
    let server = Server::start();
    let r = connect(&server);
    let a = produce(&r, "s:a", 0, 3);
    let mut consumer: GroupConsumer<Fields> = GroupConsumer::builder("g", "c")
        .streams(["s:a", "s:b", "s:c"]) // s:b and s:c do not exist yet: MKSTREAM
        .create_group("0")
        .block(BLOCK)
        .build(&r)
        .expect("build");
    let b = produce(&r, "s:b", 10, 12);
    let c = produce(&r, "s:c", 20, 21);
    let got = take(6, || consumer.poll());
    let by_key = |key: &str| -> Vec<StreamId> {
        got.iter().filter(|e| e.key == key).map(|e| e.id).collect()
    };
    assert_eq!((by_key("s:a"), by_key("s:b"), by_key("s:c")), (a, b, c));
    assert_eq!(consumer.ack(&got).expect("XACK"), 6);
    for key in ["s:a", "s:b", "s:c"] {
        assert!(pending(&r, key, "g").is_empty(), "{key}");
    }
    // A restart reads the (empty) pending lists of every stream, then new entries.
    drop(consumer);
    let mut consumer: GroupConsumer<Fields> = GroupConsumer::builder("g", "c")
        .streams(["s:a", "s:b", "s:c"])
        .block(BLOCK)
        .build(&r)
        .expect("restart");
    let late = produce(&r, "s:c", 30, 31);
    let got = take(1, || consumer.poll());
    assert_eq!((got[0].key.as_str(), got[0].id), ("s:c", late[0]));
}

#[test]
fn streams_consumer_stops_within_a_block_timeout_and_reports_errors() {
    let server = Server::start();
    let r = connect(&server);
    let consumer: GroupConsumer = GroupConsumer::builder("g", "c")
        .stream("quiet")
        .create_group("$")
        .block(Duration::from_millis(200))
        .build(&r)
        .expect("build");
    let stop = consumer.stop_handle();
    let started = Instant::now();
    let stopper = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        stop.stop();
    });
    assert_eq!(consumer.count(), 0, "nothing was added");
    stopper.join().unwrap();
    assert!(started.elapsed() < DEADLINE, "{:?}", started.elapsed());

    // No group and no `create_group`: the server's NOGROUP as an error item, with context.
    let mut orphan: GroupConsumer = GroupConsumer::builder("missing", "c")
        .stream("quiet")
        .block(BLOCK)
        .build(&r)
        .expect("build");
    let err = orphan.next().expect("an item").expect_err("NOGROUP");
    assert_eq!(err.code(), Some("NOGROUP"), "{err}");
    assert!(err.to_string().contains("missing/c"), "{err}");
    // An error that keeps coming does not make a loop spin: the reads after it back off
    // (20 ms, doubling). A lower bound only, safe on a busy machine.
    let spin = Instant::now();
    for _ in 0..4 {
        let err = orphan.next().expect("an item").expect_err("NOGROUP again");
        assert_eq!(err.code(), Some("NOGROUP"), "{err}");
    }
    assert!(
        spin.elapsed() >= Duration::from_millis(20 + 40 + 80 + 160),
        "four failing reads in {:?}",
        spin.elapsed()
    );

    // Fields that do not convert: an error naming the entry, and the entry stays pending.
    let id = r.xadd("typed", "*", [("n", "not a number")]).unwrap();
    let mut typed: GroupConsumer<Fields> = GroupConsumer::builder("g", "c")
        .stream("typed")
        .create_group("0")
        .block(BLOCK)
        .build(&r)
        .expect("build");
    let err = typed.next().expect("an item").expect_err("not a number");
    assert_eq!(err.kind(), ErrorKind::Type, "{err}");
    assert!(err.to_string().contains(&id.to_string()), "{err}");
    assert_eq!(pending(&r, "typed", "g").len(), 1);

    // Settings that cannot work.
    let usage = |b: coredis::Result<GroupConsumer>| b.map(drop).unwrap_err().kind();
    assert_eq!(
        usage(GroupConsumer::builder("g", "c").build(&r)),
        ErrorKind::Usage
    );
    assert_eq!(
        usage(
            GroupConsumer::builder("g", "c")
                .stream("s")
                .block(Duration::ZERO)
                .build(&r)
        ),
        ErrorKind::Usage
    );
    assert_eq!(
        usage(
            GroupConsumer::builder("g", "c")
                .streams(["s", "s"])
                .build(&r)
        ),
        ErrorKind::Usage
    );
    r.set("not-a-stream", 1).unwrap();
    let err = GroupConsumer::builder("g", "c")
        .stream("not-a-stream")
        .create_group("0")
        .build::<Fields>(&r)
        .unwrap_err();
    assert_eq!(err.code(), Some("WRONGTYPE"), "{err}");
}

#[test]
fn streams_consumer_tail_reads_new_entries_or_from_an_id() {
    let server = Server::start();
    let r = connect(&server);
    let old = produce(&r, "t:new", 0, 3);
    let history = produce(&r, "t:all", 100, 102);
    let mut tail: StreamTail<Fields> = StreamTail::builder()
        .stream("t:new") // from `$`: none of `old`
        .stream_after("t:all", StreamId::MIN)
        .stream("t:later") // does not exist yet
        .block(BLOCK)
        .build(&r)
        .expect("build");
    assert_eq!(tail.last_id("t:new"), old.last().copied());
    let first = take(2, || tail.poll());
    assert_eq!(first.iter().map(|e| e.id).collect::<Vec<_>>(), history);
    assert!(first.iter().all(|e| e.key == "t:all"));
    // Nothing new: a poll returns after one block timeout.
    assert!(tail.poll().is_none());
    // Entries added between reads are not missed (`$` was only the start).
    let new = produce(&r, "t:new", 3, 5);
    let more = produce(&r, "t:all", 102, 103);
    let later = produce(&r, "t:later", 200, 201);
    let got = take(4, || tail.poll());
    let of = |key: &str| -> Vec<StreamId> {
        got.iter().filter(|e| e.key == key).map(|e| e.id).collect()
    };
    assert_eq!(
        (of("t:new"), of("t:all"), of("t:later")),
        (new.clone(), more, later)
    );
    assert_eq!(
        got.iter().find(|e| e.key == "t:new").unwrap().fields["n"],
        3
    );
    assert_eq!(tail.last_id("t:new"), new.last().copied());
    assert_eq!(tail.last_id("unknown"), None);

    // The iterator ends when stopped, from another thread.
    let stop = tail.stop_handle();
    let stopper = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        stop.stop();
    });
    assert_eq!(tail.count(), 0);
    stopper.join().unwrap();

    let usage = StreamTail::builder().build::<Fields>(&r).unwrap_err();
    assert_eq!(usage.kind(), ErrorKind::Usage);
}

#[test]
fn streams_consumer_entry_whose_reply_was_lost_comes_back_after_reconnecting() {
    let server = Server::start();
    // A short response timeout: the read below times out while the server sleeps.
    let r = crate::util::connect_with(&server, "timeout=0.3");
    let mut consumer: GroupConsumer<Fields> = GroupConsumer::builder("g", "c")
        .stream("lossy")
        .create_group("$")
        .block(BLOCK)
        .build(&r)
        .expect("build");
    let server = &server;
    thread::scope(|s| {
        s.spawn(|| {
            thread::sleep(Duration::from_millis(300));
            // The entry is delivered to the waiting consumer inside the transaction, but the
            // reply goes out only after the sleep: long after the client gave up on it.
            let replies = server.raw_commands(&[
                &["MULTI"],
                &["XADD", "lossy", "*", "n", "7"],
                &["DEBUG", "SLEEP", "1.5"],
                &["EXEC"],
            ]);
            assert!(!replies[3].contains("error"), "{replies:?}");
        });
        let deadline = Instant::now() + DEADLINE;
        let (mut got, mut errors) = (Vec::new(), Vec::new());
        while got.is_empty() && Instant::now() < deadline {
            match consumer.poll() {
                Some(Ok(entry)) => got.push(entry),
                Some(Err(e)) => errors.push(e),
                None => {}
            }
        }
        assert_eq!(got.len(), 1, "errors: {errors:?}");
        assert!(
            errors.iter().any(|e| e.is_timeout()),
            "the read timed out: {errors:?}"
        );
        assert_eq!(
            (got[0].fields["n"], got[0].delivery),
            (7, Delivery::Pending),
            "read again from the pending list"
        );
        assert!(got[0].ack().expect("XACK"));
    });
    assert!(pending(&r, "lossy", "g").is_empty());
}
