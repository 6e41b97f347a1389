//! Client-side caching: a client that keeps the replies of its reads and hears from the server
//! when their keys change; another client's write shows up once its invalidation arrived; the
//! cache's statistics.
//!
//! Connects to `REDIS_URL` (or starts a throw-away `redis-server`, see `common/mod.rs`).
//!
//! Run: `cargo run --example caching`

mod common;

use coredis::prelude::*;
use coredis::{CacheConfig, Redis, TrackingMode};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (writer, _server) = common::connect()?;

    // The same server, with a cache of at most 16 MiB. The server tracks the keys this client
    // reads (`CLIENT TRACKING`) and tells its invalidation connection when one changes.
    let config = writer
        .config()
        .to_builder()
        .cache(CacheConfig {
            max_bytes: 16 << 20,
            ..CacheConfig::default()
        })
        .build()?;
    let r = Redis::new(config)?;

    writer.set("product:1:price", 100)?;
    let price: i64 = r.get("product:1:price")?; // sent to the server; the reply is kept
    let again: i64 = r.get("product:1:price")?; // answered from the cache
    println!("price {price}, again {again}: {:?}", r.cache_stats());

    // Another client changes the key: the server sends an invalidation, the entry goes, and
    // the next read asks the server again.
    writer.set("product:1:price", 120)?;
    let start = Instant::now();
    loop {
        let now: i64 = r.get("product:1:price")?;
        if now == 120 {
            println!("new price {now} seen after {:?}", start.elapsed());
            break;
        }
        if start.elapsed() > Duration::from_secs(10) {
            return Err("the invalidation did not arrive".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }

    // The client's own writes drop the entry at once: no waiting for the server.
    r.set("product:1:price", 130)?;
    let own: i64 = r.get("product:1:price")?;
    assert_eq!(own, 130);

    // Broadcast mode: the server tells about every change under the prefixes; only those keys
    // are cached.
    let bcast = Redis::new(
        writer
            .config()
            .to_builder()
            .cache(CacheConfig {
                mode: TrackingMode::Broadcast {
                    prefixes: vec!["product:".into()],
                },
                ..CacheConfig::default()
            })
            .build()?,
    )?;
    let _: i64 = bcast.get("product:1:price")?;
    let _: i64 = bcast.get("product:1:price")?;

    let s = r.cache_stats().ok_or("caching is on")?;
    println!(
        "hits {}, misses {}, invalidations {}, entries {}, bytes {}",
        s.hits, s.misses, s.invalidations, s.entries, s.bytes
    );
    println!("broadcast client: {:?}", bcast.cache_stats());
    writer.del("product:1:price")?;
    Ok(())
}
