//! Transactions: MULTI … EXEC on a connection of their own, and optimistic locking with WATCH.
//!
//! Connects to `REDIS_URL` (or starts a throw-away `redis-server`, see `common/mod.rs`).
//!
//! Run: `cargo run --example transaction`

mod common;

use coredis::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (r, _server) = common::connect()?;
    r.mset([("account:a", 100), ("account:b", 0)])?;

    // Move 30 from a to b, atomically: nobody sees one side changed without the other.
    let tx = r.transaction();
    let a = tx.decrby("account:a", 30);
    let b = tx.incrby("account:b", 30);
    let (a, b) = tx.exec()?.get((a, b))?;
    println!("after the transfer: a = {a}, b = {b}");

    // Optimistic locking: read, decide, write — retried if the key changed in between. Here
    // another client changes it during the first attempt, so the closure runs twice.
    let other = r.clone();
    let attempts = AtomicUsize::new(0);
    let (paid, _) = r.transaction_with("account:a", |conn, tx| {
        let balance: i64 = conn.get("account:a")?;
        if attempts.fetch_add(1, Ordering::SeqCst) == 0 {
            other.incrby("account:a", 5)?; // a concurrent deposit
        }
        let fee = balance / 10;
        let _ = tx.decrby("account:a", fee);
        Ok(fee)
    })?;
    println!(
        "paid a fee of {paid} after {} attempts; a = {}",
        attempts.load(Ordering::SeqCst),
        r.get::<i64>("account:a")?
    );
    r.del(["account:a", "account:b"])?;
    Ok(())
}
