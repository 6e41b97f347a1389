//! `LATENCY *`, `MEMORY *`, `SLOWLOG *` and Valkey's `COMMANDLOG *`, over RESP3 and RESP2.

use super::{is_valkey, valkey_at_least, T};
use crate::util::clients;
use coredis::prelude::*;
use coredis::types::{CommandLogCost, CommandLogType};
use coredis::{cmd, Redis, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};
use std::time::{Duration, SystemTime};

/// Blocks the server for 200 ms: a latency spike of the event `command`.
fn spike(r: &Redis) {
    r.execute(cmd("DEBUG").args(["SLEEP", "0.2"])).unwrap();
}

/// The spike threshold of the test: far above the pauses of a busy machine, far below the
/// spike.
const THRESHOLD_MS: &str = "100";
const SPIKE_AT_LEAST: Duration = Duration::from_millis(150);

fn recent(t: SystemTime) -> bool {
    let now = SystemTime::now();
    let skew = t.duration_since(now).unwrap_or_else(|e| e.duration());
    skew < Duration::from_secs(300)
}

fn has_command_event(r: &Redis) -> bool {
    r.latency_latest()
        .unwrap()
        .iter()
        .any(|l| l.event == "command")
}

#[test]
fn server_latency_monitor() {
    let new = server_major_minor() >= (7, 0);
    let server = Server::start();
    let c = clients(&server);
    let r = &c[0].1;
    r.config_set([("latency-monitor-threshold", THRESHOLD_MS)])
        .unwrap();
    assert!(!has_command_event(r));
    let e = r.latency_graph("command").unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "no samples: {e}");
    spike(r);
    for (p, r) in &c {
        let latest = r.latency_latest().unwrap();
        let command = latest
            .iter()
            .find(|l| l.event == "command")
            .unwrap_or_else(|| panic!("RESP{p}: {latest:?}"));
        assert!(command.latest >= SPIKE_AT_LEAST, "{command:?}");
        assert!(command.max >= command.latest);
        assert!(recent(command.time));
        if valkey_at_least(8, 1) {
            assert!(command.count >= Some(1), "{command:?}");
            assert!(command.sum >= Some(command.latest));
        } else {
            assert_eq!((command.sum, command.count), (None, None));
        }
        let history = r.latency_history("command").unwrap();
        assert!(
            history.iter().any(|s| s.latency >= SPIKE_AT_LEAST),
            "RESP{p}: {history:?}"
        );
        assert!(history.iter().all(|s| recent(s.time)));
        assert!(r.latency_history("no-such-event").unwrap().is_empty());
        let graph = r.latency_graph("command").unwrap();
        assert!(graph.starts_with("command"), "RESP{p}: {graph:?}");
        let doctor = r.latency_doctor().unwrap();
        assert!(doctor.contains("command"), "RESP{p}: {doctor}");
    }
    // The same values under both protocols.
    let command = |r: &Redis| {
        r.latency_latest()
            .unwrap()
            .into_iter()
            .find(|l| l.event == "command")
    };
    assert_eq!(command(&c[0].1), command(&c[1].1));
    assert!(r.latency_reset_with(["command", "fork"]).unwrap() >= 1);
    assert!(!has_command_event(r));
    spike(r);
    assert!(r.latency_reset().unwrap() >= 1);
    assert!(!has_command_event(r));

    if !new {
        skip(
            &format!("{T}server_latency_monitor"),
            "LATENCY HISTOGRAM needs Redis 7.0 (the rest was tested)",
        );
        return;
    }
    for (p, r) in &c {
        r.set("h", 1).unwrap();
        let all = r.latency_histogram().unwrap();
        assert!(all.iter().any(|h| h.command == "set"), "RESP{p}");
        let hist = r
            .latency_histogram_with(["set", "no-such-command"])
            .unwrap();
        assert_eq!(hist.len(), 1, "RESP{p}: {hist:?}");
        let set = &hist[0];
        assert_eq!(set.command, "set");
        assert!(set.calls >= 1);
        let last = set.buckets.last().expect("a bucket");
        assert_eq!(last.count, set.calls, "cumulative: {set:?}");
        assert!(set
            .buckets
            .windows(2)
            .all(|w| w[0].upper_bound < w[1].upper_bound && w[0].count <= w[1].count));
    }
}

#[test]
fn server_memory() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.set("m", "x".repeat(1000)).unwrap();
        let used = r.memory_usage("m").unwrap().expect("exists");
        assert!(used >= 1000, "RESP{p}: {used}");
        let exact = r.memory_usage_with("m", 0).unwrap().expect("exists");
        assert!(exact >= 1000);
        assert_eq!(r.memory_usage("missing").unwrap(), None);
        let stats = r.memory_stats().unwrap();
        assert!(stats.keys_count >= 1, "RESP{p}: {stats:?}");
        assert!(stats.total_allocated > 0 && stats.peak_allocated >= stats.startup_allocated);
        assert!(stats.dataset_percentage > 0.0 && stats.fragmentation > 0.0);
        let db0 = stats.databases.iter().find(|d| d.db == 0).expect("db 0");
        assert!(db0.overhead_hashtable_main > 0, "{db0:?}");
        assert_eq!(
            stats.functions_caches.is_some(),
            server_major_minor() >= (7, 0) || is_valkey()
        );
        assert!(!r.memory_doctor().unwrap().is_empty());
        assert!(!r.memory_malloc_stats().unwrap().is_empty());
        r.memory_purge().unwrap();
    }
}

#[test]
fn server_slowlog() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.config_set([("slowlog-log-slower-than", "0")]).unwrap();
        r.slowlog_reset().unwrap();
        r.set("slow", "1").unwrap();
        let all = r.slowlog_get_with(-1).unwrap();
        let set = all
            .iter()
            .find(|e| e.args == ["SET", "slow", "1"])
            .unwrap_or_else(|| panic!("RESP{p}: {all:?}"));
        assert!(set.client_addr.starts_with("127.0.0.1:"), "{set:?}");
        assert!(set.duration < Duration::from_secs(10));
        assert!(recent(set.time));
        assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
        assert!(r.slowlog_len().unwrap() >= 1);
        for _ in 0..12 {
            r.ping().unwrap();
        }
        assert_eq!(r.slowlog_get().unwrap().len(), 10, "10 by default");
        assert_eq!(r.slowlog_get_with(2).unwrap().len(), 2);
        r.slowlog_reset().unwrap();
        assert!(r.slowlog_len().unwrap() <= 1, "only what ran since");
        r.config_set([("slowlog-log-slower-than", "10000")])
            .unwrap();
    }
}

#[test]
fn server_commandlog_on_valkey() {
    if !valkey_at_least(8, 1) {
        skip(
            &format!("{T}server_commandlog_on_valkey"),
            "COMMANDLOG needs Valkey 8.1",
        );
        return;
    }
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.config_set([
            ("commandlog-request-larger-than", "100"),
            ("commandlog-reply-larger-than", "100"),
            ("commandlog-execution-slower-than", "0"),
        ])
        .unwrap();
        for log in [
            CommandLogType::Slow,
            CommandLogType::LargeRequest,
            CommandLogType::LargeReply,
        ] {
            r.commandlog_reset(log).unwrap();
        }
        let big = "v".repeat(500);
        r.set("big", &big).unwrap();
        let back: String = r.get("big").unwrap();
        assert_eq!(back.len(), 500);

        let requests = r.commandlog_get(-1, CommandLogType::LargeRequest).unwrap();
        let set = requests
            .iter()
            .find(|e| e.args.first().map(String::as_str) == Some("SET"))
            .unwrap_or_else(|| panic!("RESP{p}: {requests:?}"));
        assert!(
            matches!(set.cost, CommandLogCost::Bytes(n) if n >= 500),
            "{set:?}"
        );
        assert!(set.client_addr.starts_with("127.0.0.1:"));
        let replies = r.commandlog_get(-1, CommandLogType::LargeReply).unwrap();
        let get = replies
            .iter()
            .find(|e| e.args == ["GET", "big"])
            .unwrap_or_else(|| panic!("RESP{p}: {replies:?}"));
        assert!(
            matches!(get.cost, CommandLogCost::Bytes(n) if n >= 500),
            "{get:?}"
        );
        let slow = r.commandlog_get(5, CommandLogType::Slow).unwrap();
        assert!(!slow.is_empty() && slow.len() <= 5);
        assert!(slow
            .iter()
            .all(|e| matches!(e.cost, CommandLogCost::Duration(d) if d < Duration::from_secs(10))));
        assert!(r.commandlog_len(CommandLogType::LargeReply).unwrap() >= 1);
        r.commandlog_reset(CommandLogType::LargeReply).unwrap();
        assert_eq!(r.commandlog_len(CommandLogType::LargeReply).unwrap(), 0);
        r.config_set([
            ("commandlog-request-larger-than", "1048576"),
            ("commandlog-reply-larger-than", "1048576"),
            ("commandlog-execution-slower-than", "10000"),
        ])
        .unwrap();
    }
}
