//! Keyspace notifications: the server publishes an event for every change to a key, and a
//! subscriber watches them — here, expirations and deletions of `session:*` keys.
//!
//! Connects to `REDIS_URL` (or starts a throw-away `redis-server`, see `common/mod.rs`).
//! Turns notifications on with `CONFIG SET notify-keyspace-events` (they are off by default).
//!
//! Run: `cargo run --example keyspace_notifications`

mod common;

use coredis::prelude::*;
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (r, _server) = common::connect()?;
    // K: keyspace channels (`__keyspace@<db>__:<key>`, the event as payload);
    // E: keyevent channels (`__keyevent@<db>__:<event>`, the key as payload);
    // g: generic commands (DEL, EXPIRE…), x: expirations, $: string commands.
    r.config_set([("notify-keyspace-events", "KEgx$")])?;

    let sub = r.pubsub()?;
    sub.psubscribe("__keyspace@0__:session:*")?; // everything that happens to session keys
    sub.subscribe("__keyevent@0__:expired")?; // every expired key

    r.set("session:alice", "token-1")?;
    r.set_with(
        "session:bob",
        "token-2",
        coredis::SetOptions::new().px(Duration::from_millis(100)),
    )?;
    r.del(["session:alice"])?;

    // set alice, set bob, del alice, then bob's expiry (on both channels).
    let mut expired = false;
    while !expired {
        let Some(m) = sub.recv_timeout(Duration::from_secs(5))? else {
            return Err("no notification came within 5 s".into());
        };
        let payload: String = m.payload()?;
        match &m.pattern {
            Some(_) => println!("key {}: {payload}", m.channel_str()),
            None => {
                println!("expired: {payload}");
                expired = payload == "session:bob";
            }
        }
    }
    r.config_set([("notify-keyspace-events", "")])?;
    Ok(())
}
