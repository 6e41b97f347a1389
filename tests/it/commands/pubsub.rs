//! The pub/sub publishing and introspection commands against real servers, over RESP3 and
//! RESP2 (both in every run), with a real subscriber: a raw connection of the test support
//! crate that sends `SUBSCRIBE` itself (coredis has no subscriber object yet).

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::Request;
use coredis_test_support::raw::{Conn, Reply};
use coredis_test_support::{server_major_minor, Server};
use std::time::Duration;

/// Every method of the group, built (those the server does not know left out).
pub fn built() -> Vec<Request> {
    let b = Build;
    let mut all = vec![
        b.publish("ch", "m").request().clone(),
        b.pubsub_channels::<String>().request().clone(),
        b.pubsub_channels_with::<String>("c*").request().clone(),
        b.pubsub_numsub::<String>(["a", "b"]).request().clone(),
        b.pubsub_numpat().request().clone(),
    ];
    if server_major_minor() >= (7, 0) {
        all.extend([
            b.spublish("sch", "m").request().clone(),
            b.pubsub_shardchannels::<String>().request().clone(),
            b.pubsub_shardchannels_with::<String>("s*")
                .request()
                .clone(),
            b.pubsub_shardnumsub::<String>(["a", "b"]).request().clone(),
        ]);
    }
    all
}

#[test]
fn pubsub_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::pubsub::pubsub_routing_facts_match_the_server",
        &built(),
    );
}

fn texts(reply: Reply) -> Vec<String> {
    match reply {
        Reply::Many(items) => items.iter().map(Reply::render).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

/// Sends a subscription command and reads one confirmation per channel.
fn subscribe(conn: &mut Conn, words: &[&str]) {
    conn.send(&coredis_test_support::raw::encode(words))
        .expect("send");
    for channel in &words[1..] {
        let confirmation = texts(conn.read_reply().expect("confirmation"));
        assert_eq!(confirmation[1], *channel, "{confirmation:?}");
    }
}

#[test]
fn pubsub_publish_and_introspection() {
    let server = Server::start();
    let shards = server_major_minor() >= (7, 0);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    let mut sub = Conn::connect(addr, Duration::from_secs(10)).expect("connect");
    subscribe(&mut sub, &["SUBSCRIBE", "news", "sport"]);
    subscribe(&mut sub, &["PSUBSCRIBE", "pat.*"]);
    if shards {
        subscribe(&mut sub, &["SSUBSCRIBE", "shard-a"]);
    }
    for (p, r) in clients(&server) {
        assert_eq!(r.publish("news", "hello").unwrap(), 1, "RESP{p}");
        let got = texts(sub.read_reply().unwrap());
        assert_eq!(got, ["message", "news", "hello"]);
        assert_eq!(r.publish("pat.x", &b"\x00bin"[..]).unwrap(), 1);
        let got = texts(sub.read_reply().unwrap());
        assert_eq!(got, ["pmessage", "pat.*", "pat.x", "\u{0}bin"]);
        assert_eq!(r.publish("nobody", "m").unwrap(), 0);

        let mut channels: Vec<String> = r.pubsub_channels().unwrap();
        channels.sort();
        assert_eq!(channels, ["news", "sport"], "RESP{p}");
        assert_eq!(r.pubsub_channels_with::<String>("n*").unwrap(), ["news"]);
        let raw: Vec<Vec<u8>> = r.pubsub_channels_with("sp?rt").unwrap();
        assert_eq!(raw, [b"sport".to_vec()]);
        assert!(r.pubsub_channels_with::<String>("x*").unwrap().is_empty());

        let counts: Vec<(String, i64)> = r.pubsub_numsub(["news", "sport", "none"]).unwrap();
        let want = [("news", 1), ("sport", 1), ("none", 0)].map(|(c, n)| (c.to_string(), n));
        assert_eq!(counts, want, "RESP{p}");
        let one: Vec<(String, i64)> = r.pubsub_numsub("news").unwrap();
        assert_eq!(one, [("news".to_string(), 1)]);
        let none: [&str; 0] = [];
        assert!(r.pubsub_numsub::<String>(none).unwrap().is_empty());
        assert_eq!(r.pubsub_numpat().unwrap(), 1);

        if shards {
            assert_eq!(r.spublish("shard-a", "s-hello").unwrap(), 1);
            let got = texts(sub.read_reply().unwrap());
            assert_eq!(got, ["smessage", "shard-a", "s-hello"]);
            assert_eq!(r.spublish("shard-b", "m").unwrap(), 0);
            assert_eq!(
                r.pubsub_shardchannels::<String>().unwrap(),
                ["shard-a"],
                "RESP{p}"
            );
            let got: Vec<String> = r.pubsub_shardchannels_with("shard-*").unwrap();
            assert_eq!(got, ["shard-a"]);
            assert!(r
                .pubsub_shardchannels_with::<String>("x*")
                .unwrap()
                .is_empty());
            let counts: Vec<(String, i64)> = r.pubsub_shardnumsub(["shard-a", "shard-b"]).unwrap();
            let want = [("shard-a", 1), ("shard-b", 0)].map(|(c, n)| (c.to_string(), n));
            assert_eq!(counts, want);
            assert!(r.pubsub_shardnumsub::<String>(none).unwrap().is_empty());
        }
    }
    // The subscriber leaves: the counts follow.
    drop(sub);
    let r = crate::util::connect(&server);
    let until = std::time::Instant::now() + Duration::from_secs(10);
    while r.pubsub_numpat().unwrap() != 0 {
        assert!(
            std::time::Instant::now() < until,
            "the subscriber never left"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let counts: Vec<(String, i64)> = r.pubsub_numsub(["news"]).unwrap();
    assert_eq!(counts, [("news".to_string(), 0)]);
    assert!(r.pubsub_channels::<String>().unwrap().is_empty());
}
