//! Compile-time checks of the public surface: the thread-safety promises, and that every
//! command group works on every executor with the right output type. No server needed; if this
//! file compiles, the promises hold.

use coredis::prelude::*;
use coredis::{Cmd, Config, Dedicated, Deferred, Error, Handle, Info, Redis, Value};
use std::time::Duration;

fn send_sync<T: Send + Sync>() {}
fn clone<T: Clone>() {}
fn static_error<E: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn clients_handles_and_errors_are_thread_safe() {
    send_sync::<Redis>();
    clone::<Redis>();
    send_sync::<Deferred<'static>>();
    send_sync::<Handle<Value>>();
    send_sync::<Handle<String>>();
    send_sync::<Dedicated>();
    send_sync::<Cmd<Value>>();
    clone::<Cmd<Value>>();
    send_sync::<coredis::RedisCluster>();
    clone::<coredis::RedisCluster>();
    send_sync::<coredis::ClusterDeferred<'static>>();
    send_sync::<coredis::ClusterConfig>();
    send_sync::<coredis::Subscriber>();
    send_sync::<coredis::Message>();
    clone::<coredis::Message>();
    send_sync::<coredis::Monitor>();
    send_sync::<coredis::MonitorEntry>();
    send_sync::<coredis::streams::GroupConsumer>();
    send_sync::<coredis::streams::GroupEntry>();
    send_sync::<coredis::streams::StreamTail>();
    send_sync::<coredis::streams::TailEntry>();
    send_sync::<coredis::streams::StopHandle>();
    clone::<coredis::streams::StopHandle>();
    send_sync::<Config>();
    clone::<Config>();
    static_error::<Error>();
    clone::<Error>();
}

/// Every group's methods on the blocking client return `Result<T>`…
#[allow(dead_code)]
fn blocking_outputs(r: &Redis) {
    let _: coredis::Result<String> = r.ping();
    let _: coredis::Result<Option<String>> = r.get("k");
    let _: coredis::Result<()> = r.set("k", 1);
    let _: coredis::Result<i64> = r.incr("k");
    let _: coredis::Result<i64> = r.del(["k"]);
    let _: coredis::Result<bool> = r.expire("k", Duration::from_secs(1));
    let _: coredis::Result<Info> = r.info();
    let _: coredis::Result<Value> = r.execute(coredis::cmd("PING"));
}

/// …and on the deferred view a `Handle<T>` of the same `T`.
#[allow(dead_code)]
fn deferred_outputs(r: &Redis) {
    let d = r.deferred();
    let _: Handle<String> = d.ping();
    let _: Handle<Option<String>> = d.get("k");
    let _: Handle<()> = d.set("k", 1);
    let _: Handle<i64> = d.incr("k");
    let _: Handle<i64> = d.del(["k"]);
    let _: Handle<bool> = d.expire("k", Duration::from_secs(1));
    let _: Handle<Info> = d.info();
    let _: Handle<Value> = d.execute(coredis::cmd("PING"));
}

/// Generic code can be written once over any executor.
#[allow(dead_code)]
fn generic_over_executors<E: Executor>(e: &E) -> E::Output<i64> {
    e.incrby("counter", 2)
}

#[allow(dead_code)]
fn generic_use(r: &Redis) {
    let _: coredis::Result<i64> = generic_over_executors(r);
    let _: Handle<i64> = generic_over_executors(&r.deferred());
}

/// Blocking commands exist on the shared client and its deferred view (they run on dedicated
/// connections); commands that change a connection's state only on a dedicated connection.
#[allow(dead_code)]
fn capabilities(r: &Redis, c: &Dedicated) {
    let _: coredis::Result<Option<(String, String)>> = r.blpop(["q"], Duration::from_secs(1));
    let _: Handle<Option<(String, String)>> = r.deferred().brpop(["q"], Duration::ZERO);
    let _: coredis::Result<Option<(String, String)>> = c.blpop(["q"], Duration::from_secs(1));
    let _: coredis::Result<()> = c.select(1);
    let _: coredis::Result<i64> = c.incr("k");
    let _: Cmd<Option<String>> = coredis::commands::Build.get("k");
}

/// Every command group is on the blocking client (`Result<T>`) and its deferred view
/// (`Handle<T>`), with the same `T`.
#[allow(dead_code)]
fn every_group_on_both_executors(r: &Redis) {
    use coredis::types::{GeoResult, ScanPage, ScoredMember, StreamEntry, StreamId, XInfoStream};
    let d = r.deferred();
    // generic, scan, bitmap, hyperloglog
    let _: coredis::Result<bool> = r.persist("k");
    let _: Handle<bool> = d.persist("k");
    let _: coredis::Result<ScanPage<String>> = r.scan(0);
    let _: Handle<ScanPage<String>> = d.scan(0);
    let _: coredis::Result<i64> = r.bitcount("k");
    let _: Handle<i64> = d.bitcount("k");
    let _: coredis::Result<bool> = r.pfadd("k", ["a"]);
    let _: Handle<bool> = d.pfadd("k", ["a"]);
    // strings, hashes
    let _: coredis::Result<i64> = r.append("k", "v");
    let _: Handle<i64> = d.append("k", "v");
    let _: coredis::Result<Option<String>> = r.hget("h", "f");
    let _: Handle<Option<String>> = d.hget("h", "f");
    // lists, sets, sorted sets
    let _: coredis::Result<i64> = r.lpush("l", ["a"]);
    let _: Handle<i64> = d.lpush("l", ["a"]);
    let _: coredis::Result<bool> = r.sismember("s", "m");
    let _: Handle<bool> = d.sismember("s", "m");
    let _: coredis::Result<Option<f64>> = r.zscore("z", "m");
    let _: Handle<Option<f64>> = d.zscore("z", "m");
    let _: coredis::Result<Option<ScoredMember<String>>> = r.zpopmin("z");
    let _: Handle<Option<ScoredMember<String>>> = d.zpopmin("z");
    // geo, streams
    let _: coredis::Result<Option<f64>> = r.geodist("g", "a", "b");
    let _: Handle<Option<f64>> = d.geodist("g", "a", "b");
    let _: fn(&Redis) -> coredis::Result<Vec<GeoResult<String>>> = |_| Ok(Vec::new());
    let _: coredis::Result<StreamId> = r.xadd("st", "*", [("f", "v")]);
    let _: Handle<StreamId> = d.xadd("st", "*", [("f", "v")]);
    let _: coredis::Result<Vec<StreamEntry>> = r.xrange("st", "-", "+");
    let _: coredis::Result<XInfoStream> = r.xinfo_stream("st");
    // iterators exist where calls return results
    let _ = r.scan_iter::<String>(Default::default());
}

/// The connection, scripting and pub/sub groups on both executors; the client-state commands
/// on a dedicated connection (and `Build`) only.
#[allow(dead_code)]
fn connection_scripting_pubsub_groups(r: &Redis, c: &Dedicated) {
    use coredis::types::{ClientInfo, FunctionLibrary};
    let d = r.deferred();
    let _: coredis::Result<Vec<ClientInfo>> = r.client_list();
    let _: Handle<ClientInfo> = d.client_info();
    let _: coredis::Result<Option<i64>> = r.eval("return 1", (), ());
    let _: Handle<Vec<String>> = d.fcall("f", ["k"], ["a"]);
    let _: coredis::Result<Vec<FunctionLibrary>> = r.function_list();
    let _: coredis::Result<i64> = r.publish("ch", "m");
    let _: Handle<Vec<(String, i64)>> = d.pubsub_numsub(["ch"]);
    let _: coredis::Result<()> = c.client_setname("n");
    let _: coredis::Result<()> = c.client_tracking(false);
    let _: Cmd<()> = coredis::commands::Build.client_no_evict(true);
}

/// The server groups (server, replication, ACL, CONFIG, COMMAND, diagnostics, modules) on both
/// executors, with the same typed replies.
#[allow(dead_code)]
fn server_groups(r: &Redis) {
    use coredis::types::{
        AclUser, BackgroundStatus, CommandInfo, LatencyLatest, MemoryStats, Role, SlowLogEntry,
    };
    use std::collections::HashMap;
    use std::time::SystemTime;
    let d = r.deferred();
    let _: coredis::Result<SystemTime> = r.time();
    let _: Handle<BackgroundStatus> = d.bgsave();
    let _: coredis::Result<Role> = r.role();
    let _: Handle<Role> = d.role();
    let _: coredis::Result<Option<AclUser>> = r.acl_getuser("u");
    let _: Handle<HashMap<String, String>> = d.config_get(["maxmemory"]);
    let _: coredis::Result<Vec<Option<CommandInfo>>> = r.command_info_with(["get"]);
    let _: Handle<Vec<LatencyLatest>> = d.latency_latest();
    let _: coredis::Result<MemoryStats> = r.memory_stats();
    let _: Handle<Vec<SlowLogEntry>> = d.slowlog_get();
    let _: coredis::Result<()> = r.module_unload("m");
}

/// The cluster and sentinel groups on both executors, with the same `T`.
#[allow(dead_code)]
fn cluster_and_sentinel_groups_on_both_executors(r: &Redis) {
    use coredis::types::{ClusterInfo, ClusterNode, SentinelMaster};
    let d = r.deferred();
    let _: coredis::Result<ClusterInfo> = r.cluster_info();
    let _: Handle<ClusterInfo> = d.cluster_info();
    let _: coredis::Result<Vec<ClusterNode>> = r.cluster_nodes();
    let _: Handle<Vec<ClusterNode>> = d.cluster_nodes();
    let _: coredis::Result<SentinelMaster> = r.sentinel_master("m");
    let _: Handle<SentinelMaster> = d.sentinel_master("m");
    let _: coredis::Result<Option<(String, u16)>> = r.sentinel_get_master_addr_by_name("m");
}
