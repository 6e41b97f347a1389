//! Redis Cluster: one shared `RedisCluster` sends every command to the node that serves its
//! keys, follows `MOVED`/`ASK` by itself, splits `MGET` per slot and sums `DBSIZE` over the
//! primaries.
//!
//! The startup nodes come from the first argument, else `COREDIS_CLUSTER`, else
//! `redis://127.0.0.1:7000`. One reachable node is enough (the client asks it for the slot
//! map); several, separated by commas, survive one of them being down:
//!
//! ```text
//! cargo run --example cluster -- redis://127.0.0.1:7000,127.0.0.1:7001
//! COREDIS_CLUSTER=redis://127.0.0.1:7000 cargo run --example cluster
//! ```
//!
//! No cluster at hand? Six throw-away nodes (3 primaries, 3 replicas) on ports 7000-7005:
//!
//! ```text
//! for p in 7000 7001 7002 7003 7004 7005; do mkdir -p /tmp/c/$p && (cd /tmp/c/$p && \
//!   redis-server --port $p --cluster-enabled yes --save '' --appendonly no --daemonize yes); done
//! redis-cli --cluster create 127.0.0.1:700{0,1,2,3,4,5} --cluster-replicas 1 --cluster-yes
//! ```

use coredis::prelude::*;
use coredis::RedisCluster;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("COREDIS_CLUSTER").ok())
        .unwrap_or_else(|| "redis://127.0.0.1:7000".into());

    // One client for the whole program: `Send + Sync + Clone`, share it between threads.
    // `from_url` asks the startup nodes for the slot map; the connections to the nodes open
    // on first use (one multiplexed connection per node).
    let c = match RedisCluster::from_url(&url) {
        Ok(c) => c,
        Err(e) if e.is_connection_error() || e.is_timeout() => {
            eprintln!("no cluster node answers at {url}: {e}");
            eprintln!("start one (see the top of examples/cluster.rs) or pass its URL");
            std::process::exit(1);
        }
        Err(e) => return Err(e.into()),
    };
    println!("connected to the cluster at {url}");

    // Keys with the same `{hash tag}` hash to the same slot, so they live on the same node and
    // may be used together in one multi-key command (a transaction, a script, `RENAME`, ...).
    c.set("user:{42}:name", "Ada")?;
    c.set("user:{42}:email", "ada@example.com")?;
    let name: Option<String> = c.get("user:{42}:name")?;
    println!(
        "user:{{42}}:name = {name:?} (slot {}, the same as user:{{42}}:email's: {})",
        coredis::key_slot(b"user:{42}:name"),
        coredis::key_slot(b"user:{42}:email")
    );

    // Keys without a common tag land on different slots (and nodes). `MGET` (like `MSET`,
    // `DEL`, `EXISTS`, `UNLINK`, `TOUCH`) is split per slot, sent to each node at once, and
    // the replies are merged back in the order of the keys.
    let keys: Vec<String> = (0..6).map(|i| format!("fruit:{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        c.set(k, ["apple", "pear", "plum", "fig", "kiwi", "lime"][i])?;
    }
    let fruits: Vec<Option<String>> = c.mget(&keys)?;
    let slots: Vec<u16> = keys
        .iter()
        .map(|k| coredis::key_slot(k.as_bytes()))
        .collect();
    println!("MGET over slots {slots:?}: {fruits:?}");

    // Deferred: the command is sent at once and a handle is returned; do something else, then
    // wait. One thread can keep many commands in flight on many nodes; the handles follow
    // redirections by themselves.
    let d = c.deferred();
    let handles: Vec<_> = keys.iter().map(|k| d.strlen(k)).collect();
    let visits = d.incr("visits:{42}");
    let lengths = handles
        .into_iter()
        .map(|h| h.wait())
        .collect::<Result<Vec<i64>, _>>()?;
    println!("lengths {lengths:?}, visits = {}", visits.wait()?);

    // A pipeline: the commands are grouped per node, each group sent as one batch, all groups
    // at once; each reply comes back to its own token.
    let p = c.pipeline();
    let sets: Vec<_> = (0..100)
        .map(|i| p.set(format!("item:{i}"), i * i))
        .collect();
    let tagged = p.incrby("visits:{42}", 10);
    let replies = p.exec()?;
    replies.get(sets)?;
    println!("pipeline: 100 SETs done, visits = {}", replies.get(tagged)?);

    let p = c.pipeline();
    let gets: Vec<_> = (0..100)
        .map(|i| p.get::<i64>(format!("item:{i}")))
        .collect();
    let squares: Vec<i64> = p.exec()?.get(gets)?;
    println!(
        "pipeline: read back {} values, item:99 = {}",
        squares.len(),
        squares[99]
    );

    // Keyless commands go to one primary, except those that concern the whole cluster:
    // `DBSIZE` is asked of every primary and summed.
    println!("keys in the cluster: {}", c.dbsize()?);

    // Clean up what this example wrote (`DEL` is split per slot like `MGET`).
    let items: Vec<String> = (0..100).map(|i| format!("item:{i}")).collect();
    let removed = c.del(&items)?
        + c.del(&keys)?
        + c.del(["user:{42}:name", "user:{42}:email", "visits:{42}"])?;
    println!("removed {removed} keys");
    Ok(())
}
