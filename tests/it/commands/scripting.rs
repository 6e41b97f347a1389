//! The scripting group against real servers, over RESP3 and RESP2 (both in every run): what
//! scripts return converts to the same value under both protocols (tables, nil, statuses,
//! and the RESP3 types of `redis.setresp(3)`), and `FUNCTION LIST`/`STATS` are maps and sets
//! or flat arrays.

use super::strings::valkey_at_least;
use crate::util::{clients, connect_with};
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    EngineStats, FunctionFlag, FunctionLibrary, FunctionListOptions, FunctionLoadOptions,
    FunctionRestorePolicy,
};
use coredis::{ErrorKind, FlushMode, Request, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

const T: &str = "commands::scripting::";

const RETURN_ONE: &str = "return 1";
/// The SHA1 of [`RETURN_ONE`].
const RETURN_ONE_SHA: &str = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";

const LIB: &str = "#!lua name=testlib\n\
    redis.register_function{function_name='table', callback=function(keys, args) \
      return {1, 'a', {2}} end, flags={'no-writes'}, description='a table'}\n\
    redis.register_function('bump', function(keys, args) \
      return redis.call('INCRBY', keys[1], args[1]) end)\n\
    redis.register_function{function_name='status', callback=function() \
      return redis.status_reply('FINE') end, flags={'no-writes', 'allow-stale'}}";

/// Every method of the group, built (those the server does not know left out).
pub fn built() -> Vec<Request> {
    let b = Build;
    let mut all = vec![
        b.eval::<i64>("return 1", ["{k}a", "{k}b"], ["x"])
            .request()
            .clone(),
        b.eval::<i64>("return 1", (), ()).request().clone(),
        b.evalsha::<i64>(RETURN_ONE_SHA, "k", ["x", "y"])
            .request()
            .clone(),
        b.script_exists([RETURN_ONE_SHA, RETURN_ONE_SHA])
            .request()
            .clone(),
        b.script_flush().request().clone(),
        b.script_flush_with(FlushMode::Async).request().clone(),
        b.script_kill().request().clone(),
        b.script_load(RETURN_ONE).request().clone(),
    ];
    if server_major_minor() >= (7, 0) {
        all.extend([
            b.eval_ro::<i64>("return 1", "k", ["x"]).request().clone(),
            b.evalsha_ro::<i64>(RETURN_ONE_SHA, ["a", "b"], ())
                .request()
                .clone(),
            b.fcall::<i64>("f", "k", "a").request().clone(),
            b.fcall_ro::<i64>("f", ["a", "b"], ()).request().clone(),
            b.function_delete("lib").request().clone(),
            b.function_dump().request().clone(),
            b.function_flush().request().clone(),
            b.function_flush_with(FlushMode::Sync).request().clone(),
            b.function_kill().request().clone(),
            b.function_list().request().clone(),
            b.function_list_with(FunctionListOptions::new().library_name("l*").with_code())
                .request()
                .clone(),
            b.function_load(LIB).request().clone(),
            b.function_load_with(LIB, FunctionLoadOptions::new().replace())
                .request()
                .clone(),
            b.function_restore(&b"payload"[..]).request().clone(),
            b.function_restore_with(&b"payload"[..], FunctionRestorePolicy::Replace)
                .request()
                .clone(),
            b.function_stats().request().clone(),
        ]);
    }
    if valkey_at_least(8, 0) {
        all.push(b.script_show(RETURN_ONE_SHA).request().clone());
    }
    all
}

#[test]
fn scripting_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::scripting::scripting_routing_facts_match_the_server",
        &built(),
    );
}

#[test]
fn scripting_eval_replies_match_across_protocols() {
    let server = Server::start();
    let (major, _) = server_major_minor();
    let mut seen: Vec<String> = Vec::new();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        // A table, nil and false, a status, true, an error.
        let t: (i64, String, Vec<i64>) = r.eval("return {1, 'a', {2}}", (), ()).unwrap();
        assert_eq!(t, (1, "a".to_string(), vec![2]), "RESP{p}");
        let cut: Vec<i64> = r.eval("return {1, 2, nil, 4}", (), ()).unwrap();
        assert_eq!(cut, [1, 2], "a table ends at its first nil");
        assert_eq!(
            r.eval::<Option<String>>("return nil", (), ()).unwrap(),
            None
        );
        assert_eq!(r.eval::<Option<i64>>("return false", (), ()).unwrap(), None);
        let status: String = r.eval("return redis.status_reply('FINE')", (), ()).unwrap();
        assert_eq!(status, "FINE");
        assert!(r.eval::<bool>("return true", (), ()).unwrap());
        assert_eq!(r.eval::<i64>("return 3.7", (), ()).unwrap(), 3, "truncated");
        let e = r
            .eval::<()>("return redis.error_reply('MYERR boom')", (), ())
            .unwrap_err();
        assert_eq!(e.code(), Some("MYERR"), "RESP{p}: {e}");
        assert_eq!(e.command(), Some("EVAL"));

        // Keys and arguments, counted.
        let echo: Vec<String> = r
            .eval(
                "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}",
                ["{s}a", "{s}b"],
                ["x", "y"],
            )
            .unwrap();
        assert_eq!(echo, ["{s}a", "{s}b", "x", "y", "2", "2"]);
        let n: i64 = r
            .eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", "ctr", 5)
            .unwrap();
        assert_eq!(n, 5);

        // The RESP3 types of a script: the server flattens them for RESP2.
        let map: HashMap<String, i64> = r
            .eval("redis.setresp(3); return {map={a=1, b=2}}", (), ())
            .unwrap();
        assert_eq!(map, HashMap::from([("a".into(), 1), ("b".into(), 2)]));
        let pairs: BTreeMap<String, Vec<i64>> = r
            .eval("redis.setresp(3); return {map={a={1, 2}}}", (), ())
            .unwrap();
        assert_eq!(pairs["a"], [1, 2]);
        let set: Vec<String> = r
            .eval("redis.setresp(3); return {set={x=true}}", (), ())
            .unwrap();
        assert_eq!(set, ["x"]);
        let d: f64 = r
            .eval("redis.setresp(3); return {double=3.5}", (), ())
            .unwrap();
        assert_eq!(d, 3.5);
        assert!(r
            .eval::<bool>("redis.setresp(3); return true", (), ())
            .unwrap());
        assert!(!r
            .eval::<bool>("redis.setresp(3); return false", (), ())
            .unwrap());
        let empty: HashMap<String, String> = r
            .eval(
                "redis.setresp(3); return redis.call('HGETALL', KEYS[1])",
                "nohash",
                (),
            )
            .unwrap();
        assert!(empty.is_empty());

        // A wrong type inside the script.
        r.set("str", "v").unwrap();
        let e = r
            .eval::<i64>("return redis.call('LPUSH', KEYS[1], 'x')", "str", ())
            .unwrap_err();
        if major >= 7 {
            assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
        } else {
            assert!(e.to_string().contains("WRONGTYPE"), "{e}");
        }

        // The script cache.
        r.script_flush().unwrap();
        let sha = r.script_load(RETURN_ONE).unwrap();
        assert_eq!(sha, RETURN_ONE_SHA);
        assert_eq!(r.evalsha::<i64>(&sha, (), ()).unwrap(), 1);
        let missing = "ffffffffffffffffffffffffffffffffffffffff";
        assert_eq!(r.script_exists([&sha[..], missing]).unwrap(), [true, false]);
        assert_eq!(r.script_exists(&sha).unwrap(), [true]);
        if valkey_at_least(8, 0) {
            assert_eq!(r.script_show(&sha).unwrap(), RETURN_ONE);
            let e = r.script_show(missing).unwrap_err();
            assert_eq!(e.server_code(), Some(ServerCode::NoScript), "{e}");
        }
        if major >= 7 {
            let echo = "return {KEYS[1], ARGV[1]}";
            let got: (String, String) = r.eval_ro(echo, "k", "v").unwrap();
            assert_eq!(got, ("k".into(), "v".into()));
            let sha = r.script_load(echo).unwrap();
            let got: (String, String) = r.evalsha_ro(&sha, "k2", "v2").unwrap();
            assert_eq!(got, ("k2".into(), "v2".into()));
            let e = r
                .eval_ro::<i64>("return redis.call('INCR', KEYS[1])", "ctr", ())
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Server, "writes are refused: {e}");
        }
        r.script_flush_with(FlushMode::Sync).unwrap();
        assert_eq!(r.script_exists(RETURN_ONE_SHA).unwrap(), [false]);
        let e = r.evalsha::<i64>(RETURN_ONE_SHA, (), ()).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::NoScript), "{e}");
        r.script_load(RETURN_ONE).unwrap();
        r.script_flush_with(FlushMode::Async).unwrap();

        let none: [&str; 0] = [];
        let e = r.script_exists(none).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        let map: BTreeMap<String, i64> = map.into_iter().collect();
        seen.push(format!("{t:?} {map:?} {status} {d} {echo:?}"));
    }
    assert_eq!(seen[0], seen[1], "RESP3 and RESP2 give the same values");
}

/// Runs `spin` (a call that loops for ever) on a client of its own, calls `kill` until it
/// says it killed it, and returns the error the spinning call ended with.
fn kill_while_spinning(
    server: &Server,
    spin: impl FnOnce(&coredis::Redis) -> coredis::Result<()> + Send,
    mut kill: impl FnMut() -> bool,
) -> coredis::Error {
    server.command(&["CONFIG", "SET", "lua-time-limit", "100"]);
    let spinner = connect_with(server, "timeout=60");
    spinner.ping().unwrap();
    std::thread::scope(|s| {
        let spinning = s.spawn(|| spin(&spinner));
        let until = Instant::now() + Duration::from_secs(30);
        while !kill() {
            assert!(Instant::now() < until, "the spinning call never ran");
            std::thread::sleep(Duration::from_millis(20));
        }
        spinning.join().unwrap().unwrap_err()
    })
}

/// Whether a `SCRIPT KILL` or `FUNCTION KILL` killed something (`NOTBUSY`: nothing ran yet).
fn killed(result: coredis::Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(e) if e.code() == Some("NOTBUSY") => false,
        Err(e) => panic!("kill: {e}"),
    }
}

#[test]
fn scripting_script_kill() {
    let server = Server::start();
    let r = connect_with(&server, "timeout=60");
    let e = r.script_kill().unwrap_err();
    assert_eq!(e.code(), Some("NOTBUSY"), "{e}");
    let e = kill_while_spinning(
        &server,
        |c| c.eval::<()>("while true do end", (), ()),
        || killed(r.script_kill()),
    );
    assert!(e.to_string().contains("killed"), "{e}");
    assert_eq!(r.ping().unwrap(), "PONG");
}

#[test]
fn scripting_function_kill_and_running_stats() {
    if server_major_minor() < (7, 0) {
        skip(
            &format!("{T}scripting_function_kill_and_running_stats"),
            "functions need Redis 7.0",
        );
        return;
    }
    let server = Server::start();
    let r = connect_with(&server, "timeout=60");
    let lib = "#!lua name=spinlib\nredis.register_function{function_name='spin', \
               callback=function() while true do end end, flags={'no-writes'}}";
    assert_eq!(r.function_load(lib).unwrap(), "spinlib");
    let e = r.function_kill().unwrap_err();
    assert_eq!(e.code(), Some("NOTBUSY"), "{e}");
    let mut running = None;
    let e = kill_while_spinning(
        &server,
        |c| c.fcall::<()>("spin", "k", "arg"),
        || match r.function_stats().unwrap().running_script {
            Some(now) => {
                running = Some(now);
                killed(r.function_kill())
            }
            None => false,
        },
    );
    assert!(e.to_string().contains("killed"), "{e}");
    let running = running.unwrap();
    assert_eq!(running.name, "spin");
    assert_eq!(
        running.command,
        [&b"FCALL"[..], b"spin", b"1", b"k", b"arg"]
    );
    let stats = r.function_stats().unwrap();
    assert_eq!(stats.running_script, None);
}

#[test]
fn scripting_functions() {
    if server_major_minor() < (7, 0) {
        skip(
            &format!("{T}scripting_functions"),
            "functions need Redis 7.0",
        );
        return;
    }
    let server = Server::start();
    let mut seen: Vec<Vec<FunctionLibrary>> = Vec::new();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        r.function_flush().unwrap();
        assert!(r.function_list().unwrap().is_empty(), "RESP{p}");
        assert_eq!(r.function_load(LIB).unwrap(), "testlib");
        let e = r.function_load(LIB).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "exists: {e}");
        let replace = FunctionLoadOptions::new().replace();
        assert_eq!(r.function_load_with(LIB, replace).unwrap(), "testlib");

        // Calls: a table, a write, a status; the read-only form refuses writing functions.
        let t: (i64, String, Vec<i64>) = r.fcall("table", (), ()).unwrap();
        assert_eq!(t, (1, "a".into(), vec![2]));
        let t: (i64, String, Vec<i64>) = r.fcall_ro("table", (), ()).unwrap();
        assert_eq!(t.1, "a");
        assert_eq!(r.fcall::<i64>("bump", "hits", 3).unwrap(), 3);
        assert_eq!(r.fcall::<i64>("bump", ["hits"], [4]).unwrap(), 7);
        assert_eq!(r.fcall_ro::<String>("status", (), ()).unwrap(), "FINE");
        let e = r.fcall_ro::<i64>("bump", "hits", 1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        let e = r.fcall::<i64>("nope", (), ()).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");

        // The typed listing.
        let mut list = r.function_list().unwrap();
        for lib in &mut list {
            lib.functions.sort_by(|a, b| a.name.cmp(&b.name));
        }
        assert_eq!(list.len(), 1);
        let lib = &list[0];
        assert_eq!((lib.name.as_str(), lib.engine.as_str()), ("testlib", "LUA"));
        assert_eq!(lib.code, None);
        let names: Vec<&str> = lib.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["bump", "status", "table"]);
        let [bump, status, table] = &lib.functions[..] else {
            unreachable!()
        };
        assert_eq!(bump.description, None);
        assert!(bump.flags.is_empty());
        assert_eq!(table.description.as_deref(), Some("a table"));
        assert_eq!(table.flags, [FunctionFlag::NoWrites]);
        let mut flags = status.flags.clone();
        flags.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        assert_eq!(flags, [FunctionFlag::AllowStale, FunctionFlag::NoWrites]);
        seen.push(list.clone());
        let with_code = r
            .function_list_with(FunctionListOptions::new().library_name("test*").with_code())
            .unwrap();
        assert_eq!(with_code[0].code.as_deref(), Some(LIB));
        let other = FunctionListOptions::new().library_name("zz*");
        assert!(r.function_list_with(other).unwrap().is_empty());

        let stats = r.function_stats().unwrap();
        assert_eq!(stats.running_script, None);
        let lua = stats.engines.get("LUA").copied();
        assert_eq!(
            lua.map(|e: EngineStats| (e.libraries_count, e.functions_count)),
            Some((1, 3)),
            "{stats:?}"
        );

        // Dump and restore, with every policy.
        let dump = r.function_dump().unwrap();
        assert!(!dump.is_empty());
        r.function_flush_with(FlushMode::Sync).unwrap();
        assert!(r.function_list().unwrap().is_empty());
        r.function_restore(&dump[..]).unwrap();
        assert_eq!(r.function_list().unwrap().len(), 1);
        let e = r.function_restore(&dump[..]).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "exists: {e}");
        let e = r
            .function_restore_with(&dump[..], FunctionRestorePolicy::Append)
            .unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "exists: {e}");
        r.function_restore_with(&dump[..], FunctionRestorePolicy::Replace)
            .unwrap();
        r.function_restore_with(&dump[..], FunctionRestorePolicy::Flush)
            .unwrap();
        assert_eq!(r.function_list().unwrap().len(), 1);
        let e = r.function_restore(&b"garbage"[..]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");

        r.function_delete("testlib").unwrap();
        assert!(r.function_list().unwrap().is_empty());
        let e = r.function_delete("testlib").unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        r.function_load(LIB).unwrap();
        r.function_flush_with(FlushMode::Async).unwrap();
        assert!(r.function_list().unwrap().is_empty());
    }
    assert_eq!(seen[0], seen[1], "RESP3 and RESP2 give the same libraries");
}
