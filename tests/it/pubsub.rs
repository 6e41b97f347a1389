//! The subscriber (`Redis::pubsub`) and `MONITOR` (`Redis::monitor`) against real servers:
//! channels, patterns and sharded channels under RESP3 and RESP2, handlers, subscribing while
//! messages flow, PING while subscribed, a server restart mid-stream, slow consumers under both
//! overflow policies, keyspace notifications.

use crate::util::{clients, connect, connect_with};
use coredis::prelude::*;
use coredis::{ErrorKind, Message, Overflow, SubscriberEvent, SubscriberOptions};
use coredis_test_support::{server_major_minor, Server};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Long enough for anything on a busy machine; a test only waits this long when it fails.
const PATIENCE: Duration = Duration::from_secs(30);

fn next(sub: &coredis::Subscriber) -> Message {
    sub.recv_timeout(PATIENCE)
        .unwrap()
        .expect("a message within the patience")
}

#[test]
fn channels_and_patterns_deliver_typed_messages_under_both_protocols() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let sub = r.pubsub().unwrap();
        sub.subscribe(["news", "alerts"]).unwrap();
        sub.psubscribe("user:*").unwrap();
        assert_eq!(sub.subscriptions(), 3);
        // `subscribe` returned after the server's confirmation: the publisher sees it.
        assert_eq!(r.publish("news", "hello").unwrap(), 1, "RESP{p}");
        assert_eq!(r.publish("user:7", 42).unwrap(), 1, "RESP{p}");
        assert_eq!(
            r.publish("alerts", b"\r\n$3\r\n\x00".as_slice()).unwrap(),
            1
        );

        let m = next(&sub);
        assert_eq!(
            (m.channel_str().as_str(), m.pattern.clone()),
            ("news", None)
        );
        assert_eq!(m.payload::<String>().unwrap(), "hello");
        let m = next(&sub);
        assert_eq!(m.channel_str(), "user:7");
        assert_eq!(m.pattern.as_deref(), Some(&b"user:*"[..]));
        assert_eq!(m.payload::<i64>().unwrap(), 42);
        let m = next(&sub);
        assert_eq!(
            &m.payload[..],
            b"\r\n$3\r\n\x00",
            "binary payloads arrive intact"
        );
        assert!(!m.sharded);
        assert!(sub.try_recv().is_none(), "confirmations are not messages");

        sub.unsubscribe("news").unwrap();
        assert_eq!(
            r.publish("news", "gone").unwrap(),
            0,
            "RESP{p}: unsubscribed"
        );
        sub.punsubscribe("user:*").unwrap();
        assert_eq!(r.publish("user:8", "gone").unwrap(), 0, "RESP{p}");
        assert_eq!(sub.subscriptions(), 1);
        assert_eq!(r.publish("alerts", "still").unwrap(), 1);
        assert_eq!(next(&sub).payload::<String>().unwrap(), "still");
        assert!(sub
            .recv_timeout(Duration::from_millis(50))
            .unwrap()
            .is_none());
    }
}

#[test]
fn ping_works_while_subscribed_and_before_under_both_protocols() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let sub = r.pubsub().unwrap();
        sub.ping()
            .unwrap_or_else(|e| panic!("RESP{p} unsubscribed: {e}"));
        sub.subscribe("c").unwrap();
        sub.ping()
            .unwrap_or_else(|e| panic!("RESP{p} subscribed: {e}"));
        r.publish("c", "after-ping").unwrap();
        sub.ping().unwrap();
        // PING is answered in order: the message published before it is already queued.
        assert_eq!(
            sub.try_recv().unwrap().payload::<String>().unwrap(),
            "after-ping"
        );
    }
}

/// Each `ping` returns on its own `PONG`, not on another caller's: thread A's `PONG` trickles
/// in slowly through the proxy while thread B's `PING` is held by the server (`CLIENT PAUSE`);
/// B must not return when A's `PONG` arrives. It failed when `ping` waited for "one more
/// `PONG` than before it wrote" (B returned after about 0.3 s instead of the pause's 4 s).
#[test]
fn concurrent_pings_each_wait_for_their_own_pong() {
    let server = Server::start();
    let proxy = coredis_test_support::proxy::Proxy::start(&server.addr());
    let r = coredis::Redis::from_url(&format!("{}?timeout=30", proxy.url())).unwrap();
    let sub = Arc::new(r.pubsub().unwrap());
    sub.subscribe("c").unwrap();
    sub.ping().unwrap();
    let control = connect(&server);
    // Server→client bytes one by one, 40 ms apart: a PONG takes about 0.3 s to arrive.
    proxy.set_chunk(1);
    proxy.set_delay(Duration::from_millis(40));
    let a = {
        let sub = sub.clone();
        std::thread::spawn(move || sub.ping())
    };
    std::thread::sleep(Duration::from_millis(100));
    let paused: String = control
        .execute(
            coredis::cmd("CLIENT")
                .arg("PAUSE")
                .arg(4000)
                .arg("ALL")
                .returns(),
        )
        .unwrap();
    assert_eq!(paused, "OK");
    let started = Instant::now();
    sub.ping().unwrap();
    let waited = started.elapsed();
    a.join().unwrap().unwrap();
    proxy.set_delay(Duration::ZERO);
    proxy.set_chunk(usize::MAX);
    // The server cannot answer B's PING before the pause ends, 4 s after it began.
    assert!(
        waited >= Duration::from_secs(3),
        "the second ping returned after {waited:?}, before the server could answer it"
    );
    // Many at once: each gets its answer.
    let pingers: Vec<_> = (0..8)
        .map(|_| {
            let sub = sub.clone();
            std::thread::spawn(move || (0..50).try_for_each(|_| sub.ping()))
        })
        .collect();
    for p in pingers {
        p.join().unwrap().unwrap();
    }
}

/// With `SubscriberOptions::confirmations`, every confirmation is an event (with the server's
/// count), under both protocols; the message channel still holds messages only.
#[test]
fn confirmations_are_events_when_asked_for_and_never_messages() {
    let server = Server::start();
    for (protocol, r) in clients(&server) {
        let sub = r
            .pubsub_with(SubscriberOptions::new().confirmations(true))
            .unwrap();
        let events = sub
            .events()
            .expect("confirmations turn the events on")
            .clone();
        sub.subscribe(["a", "b"]).unwrap();
        sub.psubscribe("p*").unwrap();
        sub.unsubscribe("a").unwrap();
        let mut got = Vec::new();
        while got.len() < 4 {
            match events.recv_timeout(PATIENCE) {
                Ok(SubscriberEvent::Subscribed(c)) => got.push(("sub", c)),
                Ok(SubscriberEvent::Unsubscribed(c)) => got.push(("unsub", c)),
                Ok(other) => panic!("RESP{protocol}: unexpected {other:?}"),
                Err(e) => panic!("RESP{protocol}: {e} after {got:?}"),
            }
        }
        let seen: Vec<(&str, &[u8], bool, i64)> = got
            .iter()
            .map(|(what, c)| (*what, &c.channel[..], c.pattern, c.count))
            .collect();
        assert_eq!(
            seen,
            [
                ("sub", &b"a"[..], false, 1),
                ("sub", &b"b"[..], false, 2),
                ("sub", &b"p*"[..], true, 3),
                ("unsub", &b"a"[..], false, 2),
            ],
            "RESP{protocol}"
        );
        r.publish("b", "hello").unwrap();
        let m = (&sub).into_iter().next().expect("a message");
        assert_eq!(&m.channel[..], b"b");
        assert!(sub.try_recv().is_none(), "RESP{protocol}: only the message");
        // Without the option: no events at all.
        let plain = r.pubsub().unwrap();
        plain.subscribe("a").unwrap();
        assert!(plain.events().is_none());
    }
}

/// An idle subscriber and an idle `MONITOR` park their reader threads: they wake only when
/// something arrives (they woke every 100 ms before).
#[test]
fn idle_subscribers_and_monitors_do_not_wake_up() {
    let server = Server::start();
    let r = connect(&server);
    let sub = r.pubsub().unwrap();
    sub.subscribe(["a", "b"]).unwrap();
    sub.psubscribe("p*").unwrap();
    let monitor = r.monitor().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let woke = crate::util::coredis_wakeups_during(Duration::from_secs(2));
    assert!(
        woke <= 3,
        "the idle client's threads ran {woke} times in 2 s"
    );
    // Still alive: a message and a monitored command arrive.
    r.publish("a", "x").unwrap();
    assert_eq!(next(&sub).payload::<String>().unwrap(), "x");
    assert!(monitor.recv_timeout(PATIENCE).is_ok());
    // And closing does not wait for a tick.
    let started = Instant::now();
    sub.close();
    drop(monitor);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn sharded_channels_deliver_sharded_messages() {
    if server_major_minor() < (7, 0) {
        eprintln!("skipped: SSUBSCRIBE needs Redis 7.0");
        return;
    }
    let server = Server::start();
    for (p, r) in clients(&server) {
        let sub = r.pubsub().unwrap();
        sub.ssubscribe("shard-ch").unwrap();
        assert_eq!(r.spublish("shard-ch", "s").unwrap(), 1, "RESP{p}");
        let m = next(&sub);
        assert!(m.sharded, "RESP{p}");
        assert_eq!(
            (m.channel_str().as_str(), &m.payload[..]),
            ("shard-ch", &b"s"[..])
        );
        sub.sunsubscribe("shard-ch").unwrap();
        assert_eq!(r.spublish("shard-ch", "s").unwrap(), 0, "RESP{p}");
    }
}

#[test]
fn handlers_take_their_channel_messages_on_the_reader_thread() {
    let server = Server::start();
    let r = connect(&server);
    let sub = r.pubsub().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    sub.subscribe_with("handled", move |m| {
        assert_eq!(m.channel_str(), "handled");
        assert!(std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("coredis-pubsub")));
        s.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    let p = seen.clone();
    sub.psubscribe_with("h:*", move |m| {
        assert_eq!(m.pattern.as_deref(), Some(&b"h:*"[..]));
        p.fetch_add(10, Ordering::SeqCst);
    })
    .unwrap();
    sub.subscribe("plain").unwrap();
    r.publish("handled", "a").unwrap();
    r.publish("h:x", "b").unwrap();
    r.publish("plain", "c").unwrap();
    sub.ping().unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 11);
    assert_eq!(sub.try_recv().unwrap().channel_str(), "plain");
    assert!(
        sub.try_recv().is_none(),
        "handled messages do not reach the channel"
    );
}

#[test]
fn subscribing_from_other_threads_while_messages_flow() {
    let server = Server::start();
    let r = connect(&server);
    let sub = Arc::new(r.pubsub().unwrap());
    sub.subscribe("flow").unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    std::thread::scope(|s| {
        let (r2, stop2) = (r.clone(), stop.clone());
        s.spawn(move || {
            let mut i = 0u64;
            while !stop2.load(Ordering::SeqCst) {
                r2.publish("flow", i).unwrap();
                i += 1;
            }
        });
        let consumer = {
            let sub = sub.clone();
            s.spawn(move || {
                let (mut flow, mut late, mut last) = (0u64, 0u64, None::<u64>);
                while late < 50 {
                    let m = sub.recv_timeout(PATIENCE).unwrap().expect("messages flow");
                    match m.channel_str().as_str() {
                        "flow" => {
                            let i = m.payload::<u64>().unwrap();
                            assert!(last.map_or(true, |l| i == l + 1), "in order, none lost");
                            last = Some(i);
                            flow += 1;
                        }
                        "late" => late += 1,
                        other => panic!("unexpected channel {other}"),
                    }
                }
                flow
            })
        };
        // Subscribe from this thread while the publisher and the consumer run.
        std::thread::sleep(Duration::from_millis(50));
        sub.subscribe("late").unwrap();
        for _ in 0..50 {
            assert_eq!(r.publish("late", "x").unwrap(), 1);
        }
        let flow = consumer.join().unwrap();
        stop.store(true, Ordering::SeqCst);
        assert!(flow > 0);
    });
}

#[test]
fn a_restarted_server_is_resubscribed_and_later_messages_arrive() {
    let mut server = Server::start();
    let r = connect_with(&server, "");
    let sub = r
        .pubsub_with(SubscriberOptions::new().events(true))
        .unwrap();
    sub.subscribe(["before", "both"]).unwrap();
    sub.psubscribe("pat:*").unwrap();
    r.publish("both", "1").unwrap();
    assert_eq!(next(&sub).payload::<String>().unwrap(), "1");

    server.restart();
    let events = sub.events().expect("events were asked for");
    match events.recv_timeout(PATIENCE).unwrap() {
        SubscriberEvent::Disconnected(e) => assert_eq!(e.kind(), ErrorKind::Io, "{e}"),
        other => panic!("expected Disconnected first, got {other:?}"),
    }
    loop {
        match events.recv_timeout(PATIENCE).unwrap() {
            SubscriberEvent::Resubscribed => break,
            // The restarted server may still be starting when the first attempt comes.
            SubscriberEvent::Disconnected(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
    // Resubscribed means confirmed: what is published from now on is received.
    let deadline = Instant::now() + PATIENCE;
    while r.publish("both", "2").is_err() {
        // The command client reconnects on its own; give it the time it needs.
        assert!(Instant::now() < deadline, "the publisher never reconnected");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(r.publish("pat:x", "3").unwrap(), 1);
    assert_eq!(r.publish("before", "4").unwrap(), 1);
    let got: Vec<String> = (0..3).map(|_| next(&sub).payload().unwrap()).collect();
    assert_eq!(got, ["2", "3", "4"]);
    assert_eq!(sub.subscriptions(), 3);
}

/// The `omem` (output buffer memory) the server holds for the subscriber's connection.
fn subscriber_output_memory(r: &coredis::Redis) -> u64 {
    r.client_list()
        .unwrap()
        .into_iter()
        .filter(|c| c.sub > 0)
        .map(|c| c.omem)
        .sum()
}

#[test]
fn backpressure_bounds_client_memory_and_loses_nothing() {
    let server = Server::start();
    let r = connect(&server);
    // No server-side limit, so only the client's policy is at work.
    r.config_set([("client-output-buffer-limit", "pubsub 0 0 0")])
        .unwrap();
    let sub = r
        .pubsub_with(SubscriberOptions::new().capacity(16))
        .unwrap();
    sub.subscribe("firehose").unwrap();
    let payload = vec![b'x'; 1000];
    let total = 30_000usize;
    for i in 0..total {
        let mut p = payload.clone();
        p.extend_from_slice(format!(":{i}").as_bytes());
        r.publish("firehose", p).unwrap();
    }
    // The consumer has not read anything: the channel is full and the rest waits in the
    // server's output buffer (30 MB published, far more than the socket buffers hold).
    let deadline = Instant::now() + PATIENCE;
    while sub.receiver().len() < 16 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(sub.receiver().len(), 16, "the channel never holds more");
    let held = subscriber_output_memory(&r);
    assert!(
        held > 4 << 20,
        "the server buffers what the client does not read ({held} bytes)"
    );
    assert_eq!(sub.dropped(), 0);
    for i in 0..total {
        let m = next(&sub);
        let tail = format!(":{i}");
        assert!(m.payload.ends_with(tail.as_bytes()), "message {i} in order");
    }
    assert_eq!(subscriber_output_memory(&r), 0);
}

#[test]
fn drop_oldest_keeps_the_newest_and_counts_the_rest() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let sub = r
            .pubsub_with(
                SubscriberOptions::new()
                    .capacity(100)
                    .overflow(Overflow::DropOldest),
            )
            .unwrap();
        sub.subscribe("lossy").unwrap();
        for i in 0..5_000 {
            r.publish("lossy", i).unwrap();
        }
        // The PING's answer comes after every message: all were read by then.
        sub.ping().unwrap();
        assert_eq!(sub.receiver().len(), 100, "RESP{p}");
        assert_eq!(sub.dropped(), 4_900, "RESP{p}");
        let kept: Vec<i64> = std::iter::from_fn(|| sub.try_recv())
            .map(|m| m.payload().unwrap())
            .collect();
        assert_eq!(kept, (4_900..5_000).collect::<Vec<_>>(), "RESP{p}");
        assert_eq!(
            subscriber_output_memory(&r),
            0,
            "RESP{p}: the server holds nothing"
        );
    }
}

#[test]
fn keyspace_notifications_arrive_as_messages() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.config_set([("notify-keyspace-events", "KEA")]).unwrap();
        let sub = r.pubsub().unwrap();
        sub.psubscribe("__keyspace@0__:ks:*").unwrap();
        sub.subscribe("__keyevent@0__:del").unwrap();
        r.set(format!("ks:{p}"), "v").unwrap();
        r.del([format!("ks:{p}")]).unwrap();
        let m = next(&sub);
        assert_eq!(m.channel_str(), format!("__keyspace@0__:ks:{p}"));
        assert_eq!(m.payload::<String>().unwrap(), "set");
        let mut rest: Vec<(String, String)> = (0..2)
            .map(|_| next(&sub))
            .map(|m| (m.channel_str(), m.payload().unwrap()))
            .collect();
        rest.sort();
        assert_eq!(
            rest,
            [
                ("__keyevent@0__:del".to_string(), format!("ks:{p}")),
                (format!("__keyspace@0__:ks:{p}"), "del".to_string()),
            ]
        );
    }
}

#[test]
fn closing_ends_receiving_after_what_was_queued() {
    let server = Server::start();
    let r = connect(&server);
    let sub = r.pubsub().unwrap();
    sub.subscribe("c").unwrap();
    r.publish("c", "queued").unwrap();
    sub.ping().unwrap();
    sub.close();
    assert_eq!(next(&sub).payload::<String>().unwrap(), "queued");
    assert_eq!(sub.recv().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(sub.subscribe("d").unwrap_err().kind(), ErrorKind::Closed);
    let deadline = Instant::now() + PATIENCE;
    while r.publish("c", "x").unwrap() != 0 {
        assert!(Instant::now() < deadline, "its connection is closed");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        r.pubsub()
            .unwrap()
            .subscribe(Vec::<String>::new())
            .unwrap_err()
            .kind(),
        ErrorKind::Usage
    );
}

#[test]
fn monitor_reports_parsed_commands_under_both_protocols() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let monitor = r.monitor().unwrap();
        // `monitor` returned after the server's OK: this command is seen.
        r.set(format!("mon:{p}"), "a \"quoted\"\n value").unwrap();
        let entry = loop {
            let e = monitor.recv_timeout(PATIENCE).unwrap().expect("an entry");
            if e.command() == "SET" {
                break e;
            }
        };
        assert_eq!(entry.db, 0);
        assert!(entry.client.starts_with("127.0.0.1:"), "{}", entry.client);
        assert_eq!(&entry.args[1][..], format!("mon:{p}").as_bytes());
        assert_eq!(&entry.args[2][..], b"a \"quoted\"\n value", "RESP{p}");
        let age = std::time::SystemTime::now()
            .duration_since(entry.time)
            .unwrap_or_default();
        assert!(
            age < Duration::from_secs(600),
            "a sensible time: {:?}",
            entry.time
        );
        monitor.close();
        let end = std::iter::repeat_with(|| monitor.recv_timeout(PATIENCE))
            .find(|r| !matches!(r, Ok(Some(_))))
            .unwrap();
        assert_eq!(end.unwrap_err().kind(), ErrorKind::Closed, "RESP{p}");
    }
}

#[test]
fn refusals_fail_the_call_at_once_and_are_not_resubscribed() {
    let server = Server::start();
    let admin = connect(&server);
    admin
        .execute(
            coredis::cmd("ACL")
                .arg("SETUSER")
                .arg("limited")
                .arg("on")
                .arg(">pw"),
        )
        .unwrap();
    for rule in ["~*", "resetchannels", "&allowed", "+@all", "-monitor"] {
        admin
            .execute(coredis::cmd("ACL").arg("SETUSER").arg("limited").arg(rule))
            .unwrap();
    }
    for p in [3, 2] {
        let url = format!(
            "redis://limited:pw@127.0.0.1:{}?protocol={p}",
            server.port()
        );
        let r = coredis::Redis::from_url(&url).unwrap();
        let sub = r.pubsub().unwrap();
        sub.subscribe("allowed").unwrap();
        let started = Instant::now();
        let e = sub.subscribe("forbidden").unwrap_err();
        assert_eq!(
            e.server_code(),
            Some(coredis::ServerCode::NoPerm),
            "RESP{p}: {e:#}"
        );
        assert!(started.elapsed() < PATIENCE / 2, "not a timeout");
        assert_eq!(sub.subscriptions(), 1, "the refused channel is not held");
        assert_eq!(r.publish("allowed", "ok").unwrap(), 1);
        assert_eq!(next(&sub).payload::<String>().unwrap(), "ok");

        let e = r.monitor().unwrap_err();
        assert_eq!(
            e.server_code(),
            Some(coredis::ServerCode::NoPerm),
            "RESP{p}: {e:#}"
        );
    }
}

#[test]
fn a_panicking_handler_does_not_stop_the_subscriber() {
    let server = Server::start();
    let r = connect(&server);
    let sub = r.pubsub().unwrap();
    sub.subscribe_with("boom", |_| panic!("a handler bug"))
        .unwrap();
    sub.subscribe("fine").unwrap();
    r.publish("boom", "x").unwrap();
    r.publish("fine", "still here").unwrap();
    assert_eq!(next(&sub).payload::<String>().unwrap(), "still here");
    sub.ping().unwrap();
}
