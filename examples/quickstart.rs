//! The getting-started tour: connect, then FLUSHDB, SET, EXISTS, INCR, INCRBY, GET, EXPIRE,
//! TTL and PTTL.
//!
//! Connects to `REDIS_URL` (default `redis://127.0.0.1:6379`). When nothing answers there, it
//! starts a throw-away `redis-server` on a free loopback port for this run only (Debian's
//! package does not start a service inside containers) and stops it at the end.
//!
//! Run: `cargo run --example quickstart`

mod common;

use coredis::prelude::*;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _server) = common::connect()?;
    tour(&client)?;
    println!("all good");
    Ok(())
}

fn tour(client: &Redis) -> coredis::Result<()> {
    client.flushdb()?;
    client.set("foo", 1)?;
    assert_eq!(client.exists(["foo"])?, 1);
    assert_eq!(client.incr("foo")?, 2);
    assert_eq!(client.incrby("foo", 100)?, 102);
    let value: i64 = client.get("foo")?;
    assert_eq!(value, 102);
    println!("foo = {value}");

    assert!(client.expire("foo", Duration::from_secs(1))?);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(client.ttl("foo")?, 1);
    let pttl = client.pttl("foo")?;
    assert!(pttl < 1000);
    println!("foo expires in {pttl} ms");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(client.exists(["foo"])?, 0);
    println!("foo is gone");

    // Many threads share one client; a single thread can keep many commands in flight.
    std::thread::scope(|s| {
        for t in 0..8 {
            s.spawn(move || client.incrby("counter", t));
        }
    });
    let handles: Vec<_> = (0..100)
        .map(|_| client.deferred().incr("counter"))
        .collect();
    let last = handles.into_iter().map(|h| h.wait()).last().transpose()?;
    println!("counter = {}", last.unwrap_or_default());
    Ok(())
}
