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
