//! Scripting commands (`@scripting`): Lua scripts (`EVAL`, `EVALSHA` and their read-only
//! forms, `SCRIPT *`) and functions (`FCALL`, `FCALL_RO`, `FUNCTION *`).
//!
//! Scripts and functions take their keys and their other arguments as two lists; the key
//! count Redis wants in between is computed from the first. Their replies are whatever the
//! script returns, converted to the type you ask for.
//!
//! Not a method: `SCRIPT DEBUG`, which turns the connection into a debugging session (for
//! `redis-cli --ldb`), and the `HELP` subcommands.

use super::Executor;

use crate::args::{ToArg, ToArgs};
use crate::cmd::Cmd;
use crate::from_value::FromValue;
use crate::types::{
    FlushMode, FunctionLibrary, FunctionListOptions, FunctionLoadOptions, FunctionRestorePolicy,
    FunctionStats,
};

/// Commands of the `scripting` group.
///
/// A Lua table comes back as an array (ask for a `Vec<_>` or a tuple), `nil` and `false` as
/// nil (ask for an `Option<_>`), `true` as 1, a number as an integer (Lua numbers are
/// truncated: return a string for a fraction), a status (`redis.status_reply`) as its text,
/// and an error (`redis.error_reply`) as a server error. A script that switches to RESP3
/// (`redis.setresp(3)`) may return maps, sets, doubles and booleans: on a RESP2 connection
/// the server flattens them again; the standard conversions accept both shapes
/// (`HashMap`/`Vec<(K, V)>` for a map, `bool` for a boolean, `f64` for a double).
pub trait ScriptingCommands: Executor {
    /// Runs the Lua `script` with `keys` (`KEYS[1]`, …) and `args` (`ARGV[1]`, …); returns
    /// what it returns. Pass `()` for no keys or no arguments.
    ///
    /// Complexity: depends on the script.
    /// Since: Redis 2.6.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// let n: i64 = r.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", "counter", 5)?;
    /// let pair: (String, Option<String>) = r.eval("return {'a', false}", (), ())?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/eval>
    fn eval<T: FromValue>(
        &self,
        script: impl ToArg,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Self::Output<T> {
        self.execute(Cmd::new("EVAL").arg(script).keys_counted(keys).args(args))
    }

    /// [`ScriptingCommands::eval`] for a script that only reads: it may run on a replica, and
    /// the server refuses it if it writes.
    ///
    /// Complexity: depends on the script.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/eval_ro>
    fn eval_ro<T: FromValue>(
        &self,
        script: impl ToArg,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Self::Output<T> {
        let cmd = Cmd::new("EVAL_RO")
            .arg(script)
            .keys_counted(keys)
            .args(args);
        self.execute(cmd.readonly())
    }

    /// Runs the cached script whose SHA1 digest is `sha1` (from
    /// [`ScriptingCommands::script_load`]) with `keys` and `args`. Fails with
    /// [`crate::ServerCode::NoScript`] when the server does not have it.
    ///
    /// Complexity: depends on the script.
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/evalsha>
    fn evalsha<T: FromValue>(
        &self,
        sha1: impl ToArg,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Self::Output<T> {
        self.execute(Cmd::new("EVALSHA").arg(sha1).keys_counted(keys).args(args))
    }

    /// [`ScriptingCommands::evalsha`] for a script that only reads (see
    /// [`ScriptingCommands::eval_ro`]).
    ///
    /// Complexity: depends on the script.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/evalsha_ro>
    fn evalsha_ro<T: FromValue>(
        &self,
        sha1: impl ToArg,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Self::Output<T> {
        let cmd = Cmd::new("EVALSHA_RO")
            .arg(sha1)
            .keys_counted(keys)
            .args(args);
        self.execute(cmd.readonly())
    }

    /// Calls the function `function` (loaded with [`ScriptingCommands::function_load`]) with
    /// `keys` and `args`; returns what it returns.
    ///
    /// Complexity: depends on the function.
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// r.function_load(
    ///     "#!lua name=counters\n\
    ///      redis.register_function('bump', function(keys, args) \
    ///        return redis.call('INCRBY', keys[1], args[1]) end)",
    /// )?;
    /// let n: i64 = r.fcall("bump", "hits", 1)?;
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/fcall>
    fn fcall<T: FromValue>(
        &self,
        function: impl ToArg,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Self::Output<T> {
        self.execute(
            Cmd::new("FCALL")
                .arg(function)
                .keys_counted(keys)
                .args(args),
        )
    }

    /// [`ScriptingCommands::fcall`] for a function registered with the `no-writes` flag: it
    /// may run on a replica; the server refuses other functions.
    ///
    /// Complexity: depends on the function.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/fcall_ro>
    fn fcall_ro<T: FromValue>(
        &self,
        function: impl ToArg,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Self::Output<T> {
        let cmd = Cmd::new("FCALL_RO")
            .arg(function)
            .keys_counted(keys)
            .args(args);
        self.execute(cmd.readonly())
    }

    /// Whether the script cache holds each of `sha1s` (one or many), in order. An empty list
    /// is refused before sending.
    ///
    /// Complexity: O(N), N the number of digests.
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/script-exists>
    fn script_exists(&self, sha1s: impl ToArgs) -> Self::Output<Vec<bool>> {
        self.execute(Cmd::new("SCRIPT EXISTS").args(sha1s).required("sha1s"))
    }

    /// Empties the script cache (in the way the server's `lazyfree-lazy-user-flush` says).
    ///
    /// Complexity: O(N), N the number of cached scripts.
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/script-flush>
    fn script_flush(&self) -> Self::Output<()> {
        self.execute(Cmd::new("SCRIPT FLUSH"))
    }

    /// Empties the script cache in the background ([`FlushMode::Async`]) or before replying
    /// ([`FlushMode::Sync`]).
    ///
    /// Complexity: O(N), N the number of cached scripts.
    /// Since: Redis 6.2.0.
    ///
    /// # See also
    /// <https://redis.io/commands/script-flush>
    fn script_flush_with(&self, mode: FlushMode) -> Self::Output<()> {
        self.execute(Cmd::new("SCRIPT FLUSH").arg(mode.token()))
    }

    /// Stops the Lua script running now, if it has not written anything (otherwise only
    /// `SHUTDOWN NOSAVE` stops it). Fails with a `NOTBUSY` server error when none runs.
    ///
    /// Complexity: O(1).
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/script-kill>
    fn script_kill(&self) -> Self::Output<()> {
        self.execute(Cmd::new("SCRIPT KILL"))
    }

    /// Adds `script` to the script cache without running it; returns its SHA1 digest (40
    /// hexadecimal digits), for [`ScriptingCommands::evalsha`].
    ///
    /// Complexity: O(N), N the length of the script in bytes.
    /// Since: Redis 2.6.0.
    ///
    /// # See also
    /// <https://redis.io/commands/script-load>
    fn script_load(&self, script: impl ToArg) -> Self::Output<String> {
        self.execute(Cmd::new("SCRIPT LOAD").arg(script))
    }

    /// The source of the cached script whose digest is `sha1`. Fails with
    /// [`crate::ServerCode::NoScript`] when the cache does not hold it.
    ///
    /// Complexity: O(1).
    /// Since: Valkey 8.0.0.
    ///
    /// # See also
    /// <https://valkey.io/commands/script-show/>
    fn script_show(&self, sha1: impl ToArg) -> Self::Output<String> {
        self.execute(Cmd::new("SCRIPT SHOW").arg(sha1))
    }

    /// Deletes the library `library` and its functions. Fails with a server error when there
    /// is no such library.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-delete>
    fn function_delete(&self, library: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("FUNCTION DELETE").arg(library))
    }

    /// Every loaded library, serialised (for [`ScriptingCommands::function_restore`]).
    ///
    /// Complexity: O(N), N the number of functions.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-dump>
    fn function_dump(&self) -> Self::Output<Vec<u8>> {
        self.execute(Cmd::new("FUNCTION DUMP"))
    }

    /// Deletes every library (in the way the server's `lazyfree-lazy-user-flush` says).
    ///
    /// Complexity: O(N), N the number of functions deleted.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-flush>
    fn function_flush(&self) -> Self::Output<()> {
        self.execute(Cmd::new("FUNCTION FLUSH"))
    }

    /// Deletes every library in the background ([`FlushMode::Async`]) or before replying
    /// ([`FlushMode::Sync`]).
    ///
    /// Complexity: O(N), N the number of functions deleted.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-flush>
    fn function_flush_with(&self, mode: FlushMode) -> Self::Output<()> {
        self.execute(Cmd::new("FUNCTION FLUSH").arg(mode.token()))
    }

    /// Stops the function running now, if it has not written anything. Fails with a
    /// `NOTBUSY` server error when none runs.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-kill>
    fn function_kill(&self) -> Self::Output<()> {
        self.execute(Cmd::new("FUNCTION KILL"))
    }

    /// Every loaded library with its functions (names, descriptions, flags).
    ///
    /// Complexity: O(N), N the number of functions.
    /// Since: Redis 7.0.0.
    ///
    /// ```no_run
    /// # use coredis::prelude::*;
    /// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
    /// for lib in r.function_list()? {
    ///     let names: Vec<&str> = lib.functions.iter().map(|f| f.name.as_str()).collect();
    ///     println!("{} ({}): {names:?}", lib.name, lib.engine);
    /// }
    /// # Ok::<(), coredis::Error>(())
    /// ```
    ///
    /// # See also
    /// <https://redis.io/commands/function-list>
    fn function_list(&self) -> Self::Output<Vec<FunctionLibrary>> {
        self.execute(Cmd::new("FUNCTION LIST"))
    }

    /// [`ScriptingCommands::function_list`] for the libraries whose names match a pattern,
    /// and/or with their code.
    ///
    /// Complexity: O(N), N the number of functions.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-list>
    fn function_list_with(
        &self,
        options: FunctionListOptions,
    ) -> Self::Output<Vec<FunctionLibrary>> {
        self.execute(options.apply(Cmd::new("FUNCTION LIST")))
    }

    /// Loads the library whose source is `code` (starting with `#!lua name=<library>`);
    /// returns the library's name. Fails with a server error when a library of that name
    /// exists (see [`ScriptingCommands::function_load_with`]) or the code does not compile.
    ///
    /// Complexity: O(1), compilation aside.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-load>
    fn function_load(&self, code: impl ToArg) -> Self::Output<String> {
        self.execute(Cmd::new("FUNCTION LOAD").arg(code))
    }

    /// [`ScriptingCommands::function_load`] with options: [`FunctionLoadOptions::replace`]
    /// replaces a library of the same name.
    ///
    /// Complexity: O(1), compilation aside.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-load>
    fn function_load_with(
        &self,
        code: impl ToArg,
        options: FunctionLoadOptions,
    ) -> Self::Output<String> {
        self.execute(options.apply(Cmd::new("FUNCTION LOAD")).arg(code))
    }

    /// Loads the libraries of `payload` (from [`ScriptingCommands::function_dump`]), next to
    /// those loaded; fails, restoring nothing, when one of them exists already.
    ///
    /// Complexity: O(N), N the number of functions in the payload.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-restore>
    fn function_restore(&self, payload: impl ToArg) -> Self::Output<()> {
        self.execute(Cmd::new("FUNCTION RESTORE").arg(payload))
    }

    /// [`ScriptingCommands::function_restore`] deleting every library first
    /// ([`FunctionRestorePolicy::Flush`]), keeping them ([`FunctionRestorePolicy::Append`]),
    /// or replacing those of the same name ([`FunctionRestorePolicy::Replace`]).
    ///
    /// Complexity: O(N), N the number of functions in the payload.
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-restore>
    fn function_restore_with(
        &self,
        payload: impl ToArg,
        policy: FunctionRestorePolicy,
    ) -> Self::Output<()> {
        self.execute(
            Cmd::new("FUNCTION RESTORE")
                .arg(payload)
                .arg(policy.token()),
        )
    }

    /// The function running now, if any, and how many libraries and functions each engine
    /// holds.
    ///
    /// Complexity: O(1).
    /// Since: Redis 7.0.0.
    ///
    /// # See also
    /// <https://redis.io/commands/function-stats>
    fn function_stats(&self) -> Self::Output<FunctionStats> {
        self.execute(Cmd::new("FUNCTION STATS"))
    }
}

impl<E: Executor + ?Sized> ScriptingCommands for E {}
