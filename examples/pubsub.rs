//! Pub/sub on threads: a publisher thread and a subscriber thread, a pattern subscription
//! handled on the subscriber's own reader thread, and a subscription added while messages flow.
//!
//! Connects to `REDIS_URL` (or starts a throw-away `redis-server`, see `common/mod.rs`).
//!
//! Run: `cargo run --example pubsub`

mod common;

use coredis::prelude::*;
use coredis::{Overflow, SubscriberOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (r, _server) = common::connect()?;

    // A subscriber has its own connection and reader thread. The channel between them holds
    // 1,000 messages; when it is full the reader waits (back-pressure, the default) — here we
    // would rather drop the oldest.
    let sub = Arc::new(
        r.pubsub_with(
            SubscriberOptions::new()
                .capacity(1_000)
                .overflow(Overflow::DropOldest),
        )?,
    );
    sub.subscribe("orders")?; // returns once the server confirmed

    // Pattern messages handled on the reader thread, without going through the channel.
    let audits = Arc::new(AtomicUsize::new(0));
    let seen = audits.clone();
    sub.psubscribe_with("audit:*", move |m| {
        seen.fetch_add(1, Ordering::Relaxed);
        log_line(&format!(
            "audit on {}: {} bytes",
            m.channel_str(),
            m.payload.len()
        ));
    })?;

    // The subscriber thread: receives until the "done" message.
    let consumer = {
        let sub = sub.clone();
        thread::spawn(move || -> coredis::Result<u64> {
            let mut total = 0;
            loop {
                let m = sub.recv()?;
                match m.channel_str().as_str() {
                    "orders" => total += m.payload::<u64>()?,
                    "control" => return Ok(total),
                    other => log_line(&format!("message on {other}")),
                }
            }
        })
    };

    // The publisher thread: 100 orders and two audit events.
    let publisher = {
        let r = r.clone();
        thread::spawn(move || -> coredis::Result<()> {
            for amount in 1..=100u64 {
                r.publish("orders", amount)?;
            }
            r.publish("audit:login", "alice")?;
            r.publish("audit:logout", "alice")?;
            Ok(())
        })
    };

    // Subscriptions can change at any time, from any thread, while messages flow.
    sub.subscribe("control")?;
    publisher.join().map_err(|_| "the publisher panicked")??;
    r.publish("control", "done")?;

    let total = consumer.join().map_err(|_| "the consumer panicked")??;
    sub.ping()?; // answered after every message before it: the audits were handled
    println!(
        "orders total {total} (expected 5050), {} audit events, {} dropped",
        audits.load(Ordering::Relaxed),
        sub.dropped()
    );

    sub.unsubscribe(["orders", "control"])?;
    println!("still subscribed to {} pattern(s)", sub.subscriptions());
    sub.close();
    Ok(())
}

fn log_line(line: &str) {
    println!("  {line}");
}
