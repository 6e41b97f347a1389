//! Redis Sentinel: ask the Sentinels where the primary named `mymaster` is, write to it, read
//! from a replica, and keep doing so across a failover without any action from the program
//! (the seed's `Sentinel(sentinels=[...]).primary_for("mymaster")`).
//!
//! The Sentinels come from the arguments (`host:port` each), else `COREDIS_SENTINELS`
//! (comma-separated), else `127.0.0.1:26379`; the name from `COREDIS_SENTINEL_NAME`, else
//! `mymaster`. Or both, and the settings, from one URL in `COREDIS_SENTINEL_URL`
//! (`redis+sentinel://[:password@]host:26379[,host:port…]/mymaster[/db]`):
//!
//! ```text
//! cargo run --example sentinel -- 127.0.0.1:26379 127.0.0.1:26380 127.0.0.1:26381
//! ```
//!
//! No Sentinel at hand? A primary, a replica and one Sentinel (quorum 1) on loopback:
//!
//! ```text
//! redis-server --port 6379 --save '' --daemonize yes
//! redis-server --port 6380 --save '' --replicaof 127.0.0.1 6379 --daemonize yes
//! printf 'port 26379\nsentinel monitor mymaster 127.0.0.1 6379 1\n' > /tmp/sentinel.conf
//! redis-server /tmp/sentinel.conf --sentinel --daemonize yes
//! ```
//!
//! Then `redis-cli -p 26379 SENTINEL FAILOVER mymaster` while the example runs: the writes
//! move to the new primary by themselves.

use coredis::prelude::*;
use coredis::{Addr, Sentinel, SentinelConfig};
use std::time::Duration;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut sentinels: Vec<String> = std::env::args().skip(1).collect();
    if sentinels.is_empty() {
        sentinels = std::env::var("COREDIS_SENTINELS")
            .unwrap_or_else(|_| "127.0.0.1:26379".into())
            .split(',')
            .map(str::to_owned)
            .collect();
    }
    let name = std::env::var("COREDIS_SENTINEL_NAME").unwrap_or_else(|_| "mymaster".into());
    let addrs = sentinels
        .iter()
        .map(|s| s.parse::<Addr>())
        .collect::<Result<Vec<_>, _>>()?;

    // The Sentinels, and the settings of the connections to them and to the data nodes
    // (`.sentinel_config(...)`, `.node_config(...)`: passwords, TLS, database, protocol).
    // A node configuration with `.wait_for_replicas(1, Duration::from_secs(1))` makes every
    // write return `Ok` only once a replica has it, so a failover loses no acknowledged write.
    let (config, name) = match std::env::var("COREDIS_SENTINEL_URL") {
        Ok(url) if !url.is_empty() => SentinelConfig::from_url(&url)?,
        _ => (SentinelConfig::builder().sentinels(addrs).build()?, name),
    };
    let sentinel = Sentinel::new(config)?;

    // The typed SENTINEL commands go to the first Sentinel that answers.
    let masters = match sentinel.sentinel_masters() {
        Ok(m) => m,
        Err(e) if e.is_connection_error() || e.is_timeout() => {
            eprintln!(
                "no Sentinel answers at {:?}: {e}",
                sentinel.config().sentinels()
            );
            eprintln!("start one (see the top of examples/sentinel.rs) or pass its address");
            std::process::exit(1);
        }
        Err(e) => return Err(e.into()),
    };
    for m in &masters {
        println!(
            "{} is at {}:{} with {} replica(s), quorum {}",
            m.name, m.addr.0, m.addr.1, m.num_replicas, m.quorum
        );
    }

    // A client of the primary: every (re)connection asks the Sentinels where it is and checks
    // its role; a `+switch-master` announcement makes it move at once.
    let primary = sentinel.primary_for(&name)?;
    primary.set("greeting", "hello from coredis")?;
    println!("primary: {:?}", primary.server_info().and_then(|i| i.role));

    // A client of the replicas (round robin; the primary when none is up).
    let replica = sentinel.replica_for(&name)?;
    let greeting: Option<String> = replica.get("greeting")?; // may lag behind the primary
    println!(
        "read from a {:?}: {greeting:?}",
        replica.server_info().and_then(|i| i.role)
    );

    // Write for a while: run `SENTINEL FAILOVER mymaster` meanwhile and watch the writes go on.
    for i in 0..20u32 {
        match primary.incr("counter") {
            Ok(n) => println!("counter = {n}"),
            // Commands in flight when the primary changes fail (they are never retried
            // silently); the next ones go to the new primary.
            Err(e) => println!("write {i} failed: {e}"),
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(())
}
