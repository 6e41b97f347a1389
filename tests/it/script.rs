//! Script and Library objects: EVALSHA with the NOSCRIPT fallback (blocking, deferred, in
//! pipelines and transactions), and function libraries.

use crate::util::{clients, connect};
use coredis::prelude::*;
use coredis::{Library, Script, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};

const INCR_BY: &str = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

/// How many times the server ran `EVAL` and `EVALSHA` (from `INFO commandstats`).
fn calls(server: &Server, command: &str) -> u64 {
    server
        .command(&["INFO", "commandstats"])
        .lines()
        .find_map(|l| l.strip_prefix(&format!("cmdstat_{command}:calls=")))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_script_runs_by_sha_and_falls_back_after_script_flush() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let key = format!("n:{p}");
        let s = Script::new(INCR_BY);
        assert_eq!(s.sha1().len(), 40);
        r.script_flush().unwrap();
        let evals = calls(&server, "eval");
        assert_eq!(s.run::<i64, _>(&r, key.as_str(), 5).unwrap(), 5, "RESP{p}");
        assert_eq!(
            calls(&server, "eval"),
            evals + 1,
            "NOSCRIPT fell back to EVAL"
        );
        assert_eq!(s.run::<i64, _>(&r, key.as_str(), 1).unwrap(), 6);
        assert_eq!(
            calls(&server, "eval"),
            evals + 1,
            "then EVALSHA hit the cache"
        );
        assert_eq!(r.script_exists([s.sha1()]).unwrap(), vec![true]);
        // A read-only script (EVALSHA_RO and EVAL_RO need Redis 7.0).
        if server_major_minor() >= (7, 0) {
            let get = Script::new("return redis.call('GET', KEYS[1])");
            r.script_flush().unwrap();
            let v: String = get.run_ro(&r, key.as_str(), ()).unwrap();
            assert_eq!(v, "6");
        } else {
            skip(
                "script::a_script_runs_by_sha_and_falls_back_after_script_flush (read-only part)",
                "EVALSHA_RO needs Redis 7.0",
            );
        }
        // A Lua error is the script's own error, not a fallback loop.
        let bad = Script::new("return redis.call('INCR', KEYS[1], 'extra')");
        assert!(bad.run::<i64, _>(&r, key.as_str(), ()).is_err());
    }
}

#[test]
fn deferred_pipelined_and_transactional_scripts_survive_an_empty_cache() {
    let server = Server::start();
    let r = connect(&server);
    let s = Script::new(INCR_BY);
    r.script_flush().unwrap();
    let h = s.run_deferred::<i64>(&r, "d", 2);
    assert_eq!(
        h.wait().unwrap(),
        2,
        "the handle followed NOSCRIPT with EVAL"
    );

    r.script_flush().unwrap();
    let p = r.pipeline();
    let a = p.script::<i64>(&s, "p", 3);
    let b = p.script::<i64>(&s, "p", 4);
    let (a, b) = p.exec().unwrap().get((a, b)).unwrap();
    assert_eq!((a, b), (3, 7));

    r.script_flush().unwrap();
    let tx = r.transaction();
    let a = tx.script::<i64>(&s, "t", 10);
    let b = tx.incr("t");
    assert_eq!(tx.exec().unwrap().get((a, b)).unwrap(), (10, 11));

    // Without the object, a raw EVALSHA after a flush is NOSCRIPT.
    r.script_flush().unwrap();
    let e = r.execute(s.evalsha::<i64>("x", 1)).unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::NoScript), "{e}");
}

#[test]
fn a_function_library_loads_lists_and_calls() {
    if server_major_minor() < (7, 0) {
        skip(
            "script::a_function_library_loads_lists_and_calls",
            "functions need Redis 7.0",
        );
        return;
    }
    let server = Server::start();
    for (p, r) in clients(&server) {
        let lib = Library::new(
            "#!lua name=tools\n\
             redis.register_function('double', function(keys, args) return args[1] * 2 end)\n\
             redis.register_function{function_name='peek', \
               callback=function(keys) return redis.call('GET', keys[1]) end, \
               flags={'no-writes'}}",
        )
        .unwrap();
        assert_eq!(lib.name(), "tools");
        assert!(
            lib.functions(&r).unwrap().is_empty() || p == 2,
            "not loaded yet"
        );
        lib.load(&r).unwrap();
        lib.load(&r).unwrap(); // REPLACE: loading again is fine
        let mut names: Vec<String> = lib
            .functions(&r)
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        names.sort();
        assert_eq!(names, ["double", "peek"], "RESP{p}");
        let n: i64 = r.execute(lib.fcall("double", (), 21)).unwrap();
        assert_eq!(n, 42);
        r.set("peeked", "v").unwrap();
        let v: String = r.execute(lib.fcall_ro("peek", "peeked", ())).unwrap();
        assert_eq!(v, "v");
        // In a pipeline too.
        let pl = r.pipeline();
        let q = pl.execute(lib.fcall::<i64>("double", (), 5));
        assert_eq!(pl.exec().unwrap().get(q).unwrap(), 10);
    }
    assert!(Library::new("return 1").is_err(), "a library names itself");
}
