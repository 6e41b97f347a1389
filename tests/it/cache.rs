//! Client-side caching against real servers, under RESP3 and RESP2 in every run: hits after a
//! first read, another client's write seen after its invalidation, FLUSHALL, the byte budget,
//! the client's own writes (commands, pipelines, transactions), broadcast mode, the loss of
//! either connection, and a stress run of readers and writers checking that no read goes back
//! in time and that every reader converges on the last value.

use crate::util::{config, connect};
use coredis::prelude::*;
use coredis::{CacheConfig, CacheStats, Redis, TrackingMode};
use coredis_test_support::Server;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Long enough for anything on a busy machine; a test only waits this long when it fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// A caching client of `server` speaking RESP `protocol`.
fn caching(server: &Server, protocol: u8, cache: CacheConfig) -> Redis {
    Redis::new(
        config(server)
            .protocol_version(protocol)
            .cache(cache)
            .build()
            .unwrap(),
    )
    .unwrap()
}

fn stats(r: &Redis) -> CacheStats {
    r.cache_stats().expect("caching is on")
}

/// Polls `f` until it returns true, for at most [`PATIENCE`].
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < PATIENCE,
            "{what}: not within {PATIENCE:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn reads_are_answered_from_the_cache_after_the_first() {
    let server = Server::start();
    let other = connect(&server);
    for p in [3u8, 2] {
        let r = caching(&server, p, CacheConfig::default());
        other.set("k", "v1").unwrap();
        other.hset("h", [("f", "1"), ("g", "2")]).unwrap();
        for _ in 0..3 {
            assert_eq!(r.get::<String>("k").unwrap(), "v1", "RESP{p}");
            assert_eq!(r.hget::<i64>("h", "f").unwrap(), 1);
            assert_eq!(r.hgetall::<HashMap<String, i64>>("h").unwrap().len(), 2);
            assert!(r.exists("k").unwrap() == 1);
        }
        let s = stats(&r);
        assert_eq!((s.misses, s.hits), (4, 8), "RESP{p}: {s:?}");
        assert_eq!(s.entries, 4);
        // Handles are served from the cache too.
        let h = r.deferred().get::<String>("k");
        assert_eq!(h.wait().unwrap(), "v1");
        assert_eq!(stats(&r).hits, 9);
        // A command outside the cacheable list is always sent.
        r.ttl("k").unwrap();
        r.ttl("k").unwrap();
        assert_eq!(stats(&r).hits, 9);
        r.clear_cache();
        assert_eq!(stats(&r).entries, 0);
        r.flushall().unwrap();
    }
}

#[test]
fn another_clients_write_is_seen_once_its_invalidation_arrived() {
    let server = Server::start();
    let other = connect(&server);
    for p in [3u8, 2] {
        let r = caching(&server, p, CacheConfig::default());
        other.set("k", "v1").unwrap();
        other.rpush("l", ["a", "b"]).unwrap();
        assert_eq!(r.get::<String>("k").unwrap(), "v1");
        let list: Vec<String> = r.lrange("l", 0, -1).unwrap();
        assert_eq!(list, ["a", "b"]);
        assert_eq!(r.get::<String>("k").unwrap(), "v1");
        assert_eq!(stats(&r).hits, 1, "RESP{p}");

        other.set("k", "v2").unwrap();
        other.rpush("l", ["c"]).unwrap();
        eventually("the new value of k", || {
            r.get::<String>("k").unwrap() == "v2"
        });
        eventually("the new list", || {
            let list: Vec<String> = r.lrange("l", 0, -1).unwrap();
            list.len() == 3
        });
        let s = stats(&r);
        assert!(s.invalidations >= 2, "RESP{p}: {s:?}");
        // Cached again after the new read.
        let hits = stats(&r).hits;
        assert_eq!(r.get::<String>("k").unwrap(), "v2");
        assert_eq!(stats(&r).hits, hits + 1);
        r.flushall().unwrap();
    }
}

#[test]
fn flushall_clears_the_cache() {
    let server = Server::start();
    let other = connect(&server);
    for p in [3u8, 2] {
        let r = caching(&server, p, CacheConfig::default());
        for i in 0..20 {
            other.set(format!("k{i}"), i).unwrap();
            assert_eq!(r.get::<i64>(format!("k{i}")).unwrap(), i);
        }
        assert_eq!(stats(&r).entries, 20, "RESP{p}");
        let clears = stats(&r).clears;
        other.flushall().unwrap();
        eventually("the cache cleared", || stats(&r).clears > clears);
        assert_eq!(stats(&r).entries, 0);
        assert_eq!(r.get::<Option<i64>>("k3").unwrap(), None);
    }
}

#[test]
fn the_cache_stays_within_its_byte_budget() {
    let server = Server::start();
    for p in [3u8, 2] {
        let budget = 20_000;
        let r = caching(
            &server,
            p,
            CacheConfig {
                max_bytes: budget,
                ..CacheConfig::default()
            },
        );
        let value = "x".repeat(1000);
        for i in 0..100 {
            r.set(format!("big{i}"), &value).unwrap();
            assert_eq!(r.get::<String>(format!("big{i}")).unwrap(), value);
            assert!(stats(&r).bytes <= budget, "RESP{p}: {:?}", stats(&r));
        }
        let s = stats(&r);
        assert!(s.evictions >= 80, "RESP{p}: {s:?}");
        assert!(s.entries < 20 && s.entries > 5, "RESP{p}: {s:?}");
        // The most recent entries are the ones kept.
        let hits = s.hits;
        assert_eq!(r.get::<String>("big99").unwrap(), value);
        assert_eq!(stats(&r).hits, hits + 1);
        // And an entry limit holds the same way.
        let r = caching(
            &server,
            p,
            CacheConfig {
                max_entries: 10,
                ..CacheConfig::default()
            },
        );
        for i in 0..50 {
            r.get::<String>(format!("big{i}")).unwrap();
        }
        assert_eq!(stats(&r).entries, 10);
        r.flushall().unwrap();
    }
}

#[test]
fn the_clients_own_writes_invalidate_at_once() {
    let server = Server::start();
    for p in [3u8, 2] {
        let r = caching(&server, p, CacheConfig::default());
        r.set("k", 1).unwrap();
        for n in 2..50i64 {
            assert_eq!(r.get::<i64>("k").unwrap(), n - 1);
            assert_eq!(r.get::<i64>("k").unwrap(), n - 1);
            match n % 4 {
                0 => r.set("k", n).unwrap(),
                1 => {
                    r.incr("k").unwrap();
                }
                2 => {
                    let p = r.pipeline();
                    let _ = p.set("k", n);
                    p.exec().unwrap();
                }
                _ => {
                    let tx = r.transaction();
                    let _ = tx.set("k", n);
                    tx.exec().unwrap();
                }
            }
            // No wait for the server's invalidation: the write dropped the entry itself.
            assert_eq!(r.get::<i64>("k").unwrap(), n, "RESP{p}");
        }
        assert!(stats(&r).hits >= 48);
        r.flushall().unwrap();
    }
}

#[test]
fn broadcast_mode_caches_only_the_prefixes() {
    let server = Server::start();
    let other = connect(&server);
    for p in [3u8, 2] {
        // Written before the client tracks anything: in broadcast mode a write after it
        // started would send an invalidation that may land after the first read was cached.
        other.set("user:1", "ann").unwrap();
        other.set("other", "x").unwrap();
        let r = caching(
            &server,
            p,
            CacheConfig {
                mode: TrackingMode::Broadcast {
                    prefixes: vec!["user:".into()],
                },
                ..CacheConfig::default()
            },
        );
        for _ in 0..3 {
            assert_eq!(r.get::<String>("user:1").unwrap(), "ann");
            assert_eq!(r.get::<String>("other").unwrap(), "x");
        }
        let s = stats(&r);
        assert_eq!((s.misses, s.hits, s.entries), (1, 2, 1), "RESP{p}: {s:?}");
        other.set("user:1", "bob").unwrap();
        eventually("the broadcast invalidation", || {
            r.get::<String>("user:1").unwrap() == "bob"
        });
        r.flushall().unwrap();
    }
}

/// The ids of the clients `CLIENT LIST` shows subscribed to one channel (the invalidation
/// connections).
fn subscribed_ids(other: &Redis) -> Vec<i64> {
    let list: String = other
        .execute(coredis::cmd("CLIENT LIST").returns())
        .unwrap();
    list.lines()
        .filter(|l| l.split(' ').any(|f| f == "sub=1"))
        .filter_map(|l| {
            l.split(' ')
                .find_map(|f| f.strip_prefix("id="))
                .and_then(|id| id.parse().ok())
        })
        .collect()
}

#[test]
fn losing_either_connection_clears_the_cache_and_tracking_resumes() {
    let server = Server::start();
    let other = connect(&server);
    for p in [3u8, 2] {
        let r = caching(&server, p, CacheConfig::default());
        other.set("k", "v1").unwrap();
        assert_eq!(r.get::<String>("k").unwrap(), "v1");
        assert_eq!(r.get::<String>("k").unwrap(), "v1");
        assert_eq!(stats(&r).entries, 1, "RESP{p}");

        // The shared connection: its entries are tracked no more.
        let clears = stats(&r).clears;
        let id = r
            .server_info()
            .and_then(|i| i.client_id)
            .expect("a client id");
        let killed: i64 = other
            .execute(coredis::cmd("CLIENT KILL").arg("ID").arg(id).returns())
            .unwrap();
        assert_eq!(killed, 1);
        eventually("the shared connection back", || {
            r.ping().is_ok() && r.server_info().and_then(|i| i.client_id) != Some(id)
        });
        assert!(stats(&r).clears > clears);
        assert_eq!(r.get::<String>("k").unwrap(), "v1");
        assert_eq!(r.get::<String>("k").unwrap(), "v1");
        other.set("k", "v2").unwrap();
        eventually("an invalidation after the reconnect", || {
            r.get::<String>("k").unwrap() == "v2"
        });

        // The invalidation connection: invalidations may have been lost meanwhile.
        let subscribers = subscribed_ids(&other);
        assert_eq!(subscribers.len(), 1, "RESP{p}: one invalidation connection");
        let clears = stats(&r).clears;
        for id in &subscribers {
            other
                .execute(
                    coredis::cmd("CLIENT KILL")
                        .arg("ID")
                        .arg(*id)
                        .returns::<i64>(),
                )
                .unwrap();
        }
        eventually("the cache cleared", || stats(&r).clears > clears);
        // Tracking resumes with the new invalidation connection.
        eventually("reads cached again", || {
            let hits = stats(&r).hits;
            r.get::<String>("k").ok();
            r.get::<String>("k").ok();
            stats(&r).hits > hits
        });
        other.set("k", "v3").unwrap();
        eventually("an invalidation through the new connection", || {
            r.get::<String>("k").ok().as_deref() == Some("v3")
        });
        r.flushall().unwrap();
    }
}

#[test]
fn a_server_restart_clears_the_cache_and_tracking_resumes() {
    let mut server = Server::start();
    let r = caching(&server, crate::util::protocol(), CacheConfig::default());
    for round in 0..3 {
        r.set("k", "before").unwrap();
        assert_eq!(r.get::<String>("k").unwrap(), "before");
        assert_eq!(r.get::<String>("k").unwrap(), "before");
        server.restart();
        // The restarted server is empty (no persistence in tests): nothing stale may be
        // served.
        eventually("the client back", || r.ping().is_ok());
        eventually("no stale value", || {
            matches!(r.get::<Option<String>>("k"), Ok(None))
        });
        // Tracking resumed on the new server process, whose client ids start again from 1:
        // the shared connection redirects to this client's new invalidation connection, not
        // to whoever has the old id now.
        let other = connect(&server);
        for i in 0..20 {
            let _ = connect(&server); // takes ids, as other clients would
            other.set("k", format!("v{round}-{i}")).unwrap();
            eventually("the other client's write", || {
                r.get::<Option<String>>("k").ok().flatten() == Some(format!("v{round}-{i}"))
            });
            eventually("cached again", || {
                let hits = stats(&r).hits;
                let _ = r.get::<Option<String>>("k");
                stats(&r).hits > hits
            });
        }
    }
}

/// Readers on a caching client and writers on it and on another client. Each key has one
/// writer and increasing values, so for each key a reader may never see a value go back, a
/// writer on the caching client reads its own write back at once, and when the writers stop
/// every reader converges on the last value.
#[test]
fn concurrent_readers_and_writers_never_read_back_in_time() {
    let server = Server::start();
    for p in [3u8, 2] {
        let r = caching(&server, p, CacheConfig::default());
        let other = connect(&server);
        const KEYS_PER_WRITER: usize = 4;
        let writers: [(&str, &Redis); 3] = [("own", &r), ("ext1", &other), ("ext2", &other)];
        let keys: Vec<String> = writers
            .iter()
            .flat_map(|(w, _)| (0..KEYS_PER_WRITER).map(move |i| format!("{w}:{i}")))
            .collect();
        for k in &keys {
            r.set(k, 0).unwrap();
        }
        let stop = AtomicBool::new(false);
        let reads = AtomicU64::new(0);
        let finals: Vec<(String, i64)> = std::thread::scope(|s| {
            let mut handles = Vec::new();
            for (w, client) in writers {
                let stop = &stop;
                handles.push(s.spawn(move || {
                    let mut last = Vec::new();
                    let mut n = 0i64;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        for i in 0..KEYS_PER_WRITER {
                            let k = format!("{w}:{i}");
                            client.set(&k, n).unwrap();
                            if w == "own" {
                                let v: i64 = client.get(&k).unwrap();
                                assert!(v >= n, "RESP{p}: own write {k}={n} read back as {v}");
                            }
                        }
                    }
                    for i in 0..KEYS_PER_WRITER {
                        last.push((format!("{w}:{i}"), n));
                    }
                    last
                }));
            }
            for _ in 0..4 {
                let (r, keys, stop, reads) = (&r, &keys, &stop, &reads);
                s.spawn(move || {
                    let mut seen: HashMap<&str, i64> = HashMap::new();
                    let mut i = 0usize;
                    while !stop.load(Ordering::Relaxed) {
                        i = i.wrapping_add(7);
                        let k = &keys[i % keys.len()];
                        let v: i64 = r.get(k).unwrap();
                        let before = seen.insert(k, v).unwrap_or(0);
                        assert!(v >= before, "RESP{p}: {k} went back from {before} to {v}");
                        reads.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            std::thread::sleep(Duration::from_secs(3));
            stop.store(true, Ordering::Relaxed);
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        for (k, n) in finals {
            eventually(&format!("RESP{p}: {k} converges on {n}"), || {
                r.get::<i64>(&k).unwrap() == n
            });
        }
        let s = stats(&r);
        assert!(
            s.hits > 0 && s.invalidations > 0,
            "RESP{p}: {s:?} after {} reads",
            reads.load(Ordering::Relaxed)
        );
        r.flushall().unwrap();
    }
}

#[test]
fn a_cluster_client_caches_per_node() {
    use coredis::{ClusterConfig, RedisCluster};
    use coredis_test_support::Cluster;
    let cluster = Cluster::start(3, 0);
    let nodes: Vec<coredis::Addr> = cluster
        .ports()
        .into_iter()
        .map(|p| coredis::Addr::tcp("127.0.0.1", p))
        .collect();
    let node_config = coredis::Config::builder()
        .protocol_version(crate::util::protocol())
        .cache(CacheConfig::default())
        .build()
        .unwrap();
    let c = RedisCluster::new(
        ClusterConfig::builder()
            .nodes(nodes.clone())
            .node_config(node_config)
            .build()
            .unwrap(),
    )
    .unwrap();
    let other = RedisCluster::new(ClusterConfig::builder().nodes(nodes).build().unwrap()).unwrap();
    let keys: Vec<String> = (0..30).map(|i| format!("key:{i}")).collect();
    for (i, k) in keys.iter().enumerate() {
        other.set(k, i).unwrap();
    }
    // The nodes connect on first use: a read made while its node's tracking is not set up yet
    // is sent and not stored.
    for _ in 0..2 {
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(c.get::<usize>(k).unwrap(), i);
        }
    }
    let before = c.cache_stats().expect("caching is on");
    assert_eq!(before.entries, 30, "{before:?}");
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(c.get::<usize>(k).unwrap(), i);
    }
    let s = c.cache_stats().unwrap();
    assert_eq!(
        (s.misses - before.misses, s.hits - before.hits),
        (0, 30),
        "{s:?}"
    );
    // Another client's writes reach every node's invalidation connection.
    for (i, k) in keys.iter().enumerate() {
        other.set(k, i + 100).unwrap();
    }
    for (i, k) in keys.iter().enumerate() {
        eventually(&format!("the new value of {k}"), || {
            c.get::<usize>(k).unwrap() == i + 100
        });
    }
    // The cluster's own writes invalidate at once.
    c.set("key:0", 7).unwrap();
    assert_eq!(c.get::<i64>("key:0").unwrap(), 7);
    // MGET across slots: each part is cached on its own.
    let all: Vec<usize> = c.mget(&keys[1..5]).unwrap();
    assert_eq!(all, [101, 102, 103, 104]);
    let hits = c.cache_stats().unwrap().hits;
    let _: Vec<usize> = c.mget(&keys[1..5]).unwrap();
    assert!(c.cache_stats().unwrap().hits > hits);
}
