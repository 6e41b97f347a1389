//! Pipelines: many commands in one batch, typed results per command, each command's own error.
//!
//! Connects to `REDIS_URL` (or starts a throw-away `redis-server`, see `common/mod.rs`).
//!
//! Run: `cargo run --example pipeline`

mod common;

use coredis::prelude::*;
use coredis::types::ScoredMember;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (r, _server) = common::connect()?;
    r.del(["visits", "greeting", "board", "not-a-list"])?;

    // A few commands of different kinds: a tuple of tokens gives a tuple of results.
    let p = r.pipeline();
    let visits = p.incr("visits");
    let _ = p.set("greeting", "hello");
    let greeting = p.get::<Option<String>>("greeting");
    let _ = p.zadd("board", [(10.0, "ada"), (7.5, "bob")]);
    let top = p.zpopmax::<String>("board");
    let (visits, greeting, top) = p.exec()?.get((visits, greeting, top))?;
    println!("visits = {visits}, greeting = {greeting:?}");
    if let Some(ScoredMember { member, score, .. }) = top {
        println!("top of the board: {member} with {score}");
    }

    // Many of one kind: a Vec of tokens gives a Vec of results. One batch; past 32 KiB of
    // requests it goes out in chunks while it is built (`r.pipeline().buffered()` holds it
    // until `exec`).
    let p = r.pipeline();
    let sets: Vec<_> = (0..1_000)
        .map(|i| p.set(format!("item:{i}"), i * i))
        .collect();
    p.exec()?.get(sets)?;
    let p = r.pipeline();
    let gets: Vec<_> = (0..1_000)
        .map(|i| p.get::<i64>(format!("item:{i}")))
        .collect();
    let squares: Vec<i64> = p.exec()?.get(gets)?;
    println!(
        "read back {} values, the last is {}",
        squares.len(),
        squares[999]
    );

    // One command's error does not hide the others.
    r.set("not-a-list", "x")?;
    let p = r.pipeline();
    let ok = p.incr("visits");
    let bad = p.lpush("not-a-list", ["oops"]);
    let replies = p.exec()?;
    println!("visits = {}", replies.get(ok)?);
    match replies.get(bad) {
        Err(e) => println!("LPUSH failed alone: {e}"),
        Ok(n) => println!("unexpected: LPUSH gave {n}"),
    }
    r.del(["visits", "greeting", "board", "not-a-list"])?;
    Ok(())
}
