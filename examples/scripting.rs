//! Lua scripts and a function library: run by SHA1, loaded when the server does not have them.
//!
//! Connects to `REDIS_URL` (or starts a throw-away `redis-server`, see `common/mod.rs`).
//! The function library part needs Redis 7.0 or Valkey.
//!
//! Run: `cargo run --example scripting`

mod common;

use coredis::prelude::*;
use coredis::{Library, Script};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (r, _server) = common::connect()?;

    // A script: EVALSHA, falling back to EVAL (which caches it) when the server forgot it.
    let capped_incr = Script::new(
        "local n = redis.call('INCR', KEYS[1]) \
         if n > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) return tonumber(ARGV[1]) end \
         return n",
    );
    r.del("hits")?;
    r.script_flush()?; // the next run falls back to EVAL once
    for _ in 0..5 {
        let n: i64 = capped_incr.run(&r, "hits", 3)?;
        println!("hits = {n}");
    }
    // In a pipeline the script is loaded in the same batch, ahead of the commands.
    let p = r.pipeline();
    let runs: Vec<_> = (0..3)
        .map(|_| p.script::<i64>(&capped_incr, "hits", 3))
        .collect();
    println!("pipelined: {:?}", p.exec()?.get(runs)?);

    // A library of functions (Redis 7.0+).
    let version = r.server_info().unwrap_or_default().version_numbers();
    if version >= Some((7, 0, 0)) {
        let lib = Library::new(
            "#!lua name=greetings\n\
             redis.register_function('hello', function(keys, args) return 'hello ' .. args[1] end)",
        )?;
        lib.load(&r)?;
        let names: Vec<String> = lib.functions(&r)?.into_iter().map(|f| f.name).collect();
        println!("library {} has {names:?}", lib.name());
        let greeting: String = r.execute(lib.fcall("hello", (), "world"))?;
        println!("{greeting}");
        r.function_delete(lib.name())?;
    } else {
        println!("skipping the function library: it needs Redis 7.0");
    }
    r.del("hits")?;
    Ok(())
}
