//! Stream consumers: a producer thread adds orders to a stream, a consumer group with two
//! worker threads handles them — each order once, acknowledged after its handler returned
//! `Ok` — and an order whose handler failed is taken over with `XAUTOCLAIM` once it has been
//! idle long enough. A tail reader follows the stream on the side. Ends by itself when every
//! order was handled.
//!
//! Connects to `REDIS_URL` (or starts a throw-away `redis-server`, see `common/mod.rs`).
//! Claiming needs Redis 6.2 or later.
//!
//! Run: `cargo run --example streams`

mod common;

use coredis::prelude::*;
use coredis::streams::{Delivery, GroupConsumer, GroupEntry, StopHandle, StreamTail};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const STREAM: &str = "example:orders";
const ORDERS: u64 = 200;

type Order = HashMap<String, u64>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (r, _server) = common::connect()?;
    r.del([STREAM])?; // a fresh stream (and group) for every run

    // One handle stops every reader; the workers stop it when all orders were handled.
    let stop = StopHandle::new();
    let handled = AtomicU64::new(0);
    let workers: Vec<GroupConsumer<Order>> = ["worker-1", "worker-2"]
        .into_iter()
        .map(|name| {
            GroupConsumer::builder("billing", name)
                .stream(STREAM)
                .create_group("0") // MKSTREAM: the stream need not exist yet
                .count(10)
                .block(Duration::from_millis(200))
                .claim_idle(Duration::from_millis(500)) // take over what others left
                .claim_every(Duration::from_millis(200))
                .stop_handle(&stop)
                .build(&r)
        })
        .collect::<coredis::Result<_>>()?;
    let tail: StreamTail<Order> = StreamTail::builder()
        .stream(STREAM)
        .stop_handle(&stop)
        .build(&r)?;

    let started = Instant::now();
    let totals = thread::scope(|s| -> coredis::Result<Vec<(String, u64)>> {
        let (stop, handled) = (&stop, &handled);
        let threads: Vec<_> = workers
            .into_iter()
            .map(|mut worker| {
                s.spawn(move || -> coredis::Result<(String, u64)> {
                    let mut sum = 0;
                    worker.run(|order: &GroupEntry<Order>| {
                        let n = order.fields.get("n").copied().unwrap_or_default();
                        if n == 42 && order.delivery == Delivery::New {
                            // Left pending: claimed again after 500 ms idle.
                            return Err(format!("{}: order 42 failed once", order.consumer()));
                        }
                        if order.delivery == Delivery::Claimed {
                            println!("{} took over order {n}", order.consumer());
                        }
                        sum += order.fields.get("amount").copied().unwrap_or_default();
                        if handled.fetch_add(1, Ordering::SeqCst) + 1 == ORDERS {
                            stop.stop();
                        }
                        Ok(())
                    })?;
                    Ok((worker.consumer().to_string(), sum))
                })
            })
            .collect();

        // The tail reader sees every order as it is added, with no group.
        let watcher = s.spawn(move || -> coredis::Result<usize> {
            let mut seen = 0;
            for entry in tail {
                entry?;
                seen += 1;
            }
            Ok(seen)
        });

        // The producer.
        for n in 0..ORDERS {
            r.xadd(STREAM, "*", [("n", n), ("amount", n * 10)])?;
        }
        println!("produced {ORDERS} orders");

        // A safety net: stop after 30 s whatever happens.
        while !stop.is_stopped() && started.elapsed() < Duration::from_secs(30) {
            thread::sleep(Duration::from_millis(50));
        }
        stop.stop();
        let seen = watcher.join().map_err(|_| panicked())??;
        println!("the tail reader saw {seen} orders");
        threads
            .into_iter()
            .map(|t| t.join().map_err(|_| panicked())?)
            .collect()
    })?;

    for (worker, sum) in &totals {
        println!("{worker} handled orders worth {sum}");
    }
    let total: u64 = totals.iter().map(|(_, sum)| sum).sum();
    let pending = r.xpending(STREAM, "billing")?;
    println!(
        "{} of {ORDERS} orders handled in {:?}, worth {total} in all; {} still pending",
        handled.load(Ordering::SeqCst),
        started.elapsed(),
        pending.count
    );
    r.del([STREAM])?;
    Ok(())
}

fn panicked() -> coredis::Error {
    coredis::Error::new(coredis::ErrorKind::Usage, "a thread panicked")
}
