//! Lua scripts and function libraries as objects.
//!
//! Owns: [`Script`] — a Lua script whose SHA1 is computed once, run with `EVALSHA` and, when
//! the server does not have it cached (`NOSCRIPT`), with `EVAL` (which caches it) — and
//! [`Library`] — a function library loaded with `FUNCTION LOAD` and called with `FCALL`. In
//! pipelines and transactions a script is loaded in the same batch, ahead of the commands
//! ([`crate::Pipeline::script`], [`crate::Transaction::script`]), so `EVALSHA` cannot miss.
//!
//! Must not: keep connection state (the server's script cache is what it is; a script is
//! re-sent when the server forgot it).

use std::sync::Arc;

use crate::args::ToArgs;
use crate::client::Dedicated;
use crate::cmd::{Cmd, Request};
use crate::commands::{Executor, ScriptingCommands};
use crate::error::{Error, ErrorKind, Result, ServerCode, ServerError};
use crate::from_value::FromValue;
use crate::handle::{Handle, Redirect, Resent, Submit};
use crate::pipe::Pipe;
use crate::types::{FunctionInfo, FunctionLibrary, FunctionListOptions, FunctionLoadOptions};
use crate::Redis;

/// A Lua script, ready to run by its SHA1.
///
/// ```no_run
/// use coredis::Script;
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let add = Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
/// let n: i64 = add.run(&r, "counter", 5)?;      // EVALSHA, or EVAL the first time
/// let h = add.run_deferred::<i64>(&r, "counter", 1); // a handle, with the same fallback
/// let p = r.pipeline();
/// let q = p.script::<i64>(&add, "counter", 1);  // loaded in the same batch
/// let n: i64 = p.exec()?.get(q)?;
/// # let _ = h;
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Script {
    source: Arc<str>,
    sha1: String,
}

impl Script {
    /// A script from its Lua source; its SHA1 is computed here, once.
    pub fn new(source: impl Into<String>) -> Script {
        let source: String = source.into();
        let sha1 = sha1_smol::Sha1::from(source.as_bytes())
            .digest()
            .to_string();
        Script {
            source: Arc::from(source),
            sha1,
        }
    }

    /// The script's SHA1, as `EVALSHA` and `SCRIPT EXISTS` take it.
    pub fn sha1(&self) -> &str {
        &self.sha1
    }

    /// The Lua source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The `EVALSHA` command of this script with `keys` and `args`, to run on any executor.
    /// Where the server may not have the script cached, prefer [`Script::run`] (or the
    /// pipeline's and transaction's `script`), which handle `NOSCRIPT`.
    pub fn evalsha<T: FromValue>(&self, keys: impl ToArgs, args: impl ToArgs) -> Cmd<T> {
        Cmd::new("EVALSHA")
            .arg(self.sha1.as_str())
            .keys_counted(keys)
            .args(args)
    }

    /// `EVALSHA_RO`: [`Script::evalsha`] for a script that only reads.
    pub fn evalsha_ro<T: FromValue>(&self, keys: impl ToArgs, args: impl ToArgs) -> Cmd<T> {
        Cmd::new("EVALSHA_RO")
            .arg(self.sha1.as_str())
            .keys_counted(keys)
            .args(args)
            .readonly()
    }

    /// Runs the script: `EVALSHA`, and `EVAL` when the server does not have it cached
    /// (`NOSCRIPT`; `EVAL` caches it for next time). On the blocking client or a dedicated
    /// connection.
    ///
    /// # Errors
    /// The script's own error (a Lua error is a server error), and those of any command.
    pub fn run<T: FromValue, E>(&self, on: &E, keys: impl ToArgs, args: impl ToArgs) -> Result<T>
    where
        E: Executor<Output<T> = Result<T>> + ?Sized,
    {
        let cmd = self.evalsha::<T>(keys, args);
        let fallback = self.eval_of::<T>(cmd.request());
        match on.execute(cmd) {
            Err(e) if e.server_code() == Some(ServerCode::NoScript) => on.execute(fallback),
            other => other,
        }
    }

    /// [`Script::run`] with `EVALSHA_RO` / `EVAL_RO`: for a script that only reads (it may run
    /// on a replica; the server refuses it if it writes).
    ///
    /// # Errors
    /// As [`Script::run`].
    pub fn run_ro<T: FromValue, E>(&self, on: &E, keys: impl ToArgs, args: impl ToArgs) -> Result<T>
    where
        E: Executor<Output<T> = Result<T>> + ?Sized,
    {
        let cmd = self.evalsha_ro::<T>(keys, args);
        let fallback = self.eval_of::<T>(cmd.request()).readonly();
        match on.execute(cmd) {
            Err(e) if e.server_code() == Some(ServerCode::NoScript) => on.execute(fallback),
            other => other,
        }
    }

    /// [`Script::run`] without waiting: the handle follows a `NOSCRIPT` with `EVAL` by itself.
    pub fn run_deferred<T: FromValue>(
        &self,
        on: &Redis,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Handle<T> {
        let hook: Arc<dyn Redirect> = Arc::new(NoScriptFallback {
            script: self.clone(),
        });
        let (request, decoder) = self.evalsha::<T>(keys, args).into_parts();
        on.node()
            .submit_redirecting(request, decoder, Submit::Deferred, hook)
    }

    /// The `EVAL` (or `EVAL_RO`) of this script with the keys and arguments of `evalsha`, an
    /// `EVALSHA` request of this script.
    fn eval_of<T: FromValue>(&self, evalsha: &Request) -> Cmd<T> {
        let name = if evalsha.is_readonly() {
            "EVAL_RO"
        } else {
            "EVAL"
        };
        let mut cmd = Cmd::new(name).arg(&*self.source);
        // After the name and the SHA1: numkeys, the keys, the arguments, as they were.
        let keys: Vec<usize> = evalsha.key_positions().to_vec();
        for (i, word) in evalsha.args().enumerate().skip(2) {
            cmd = if keys.contains(&i) {
                cmd.key(word)
            } else {
                cmd.arg(word)
            };
        }
        cmd
    }

    /// `SCRIPT LOAD` of this script (what pipelines and transactions send first).
    pub(crate) fn load_request(&self) -> Request {
        let (request, _) = Cmd::<String>::new("SCRIPT LOAD")
            .arg(&*self.source)
            .into_parts();
        request
    }
}

/// Follows `NOSCRIPT` with `EVAL` for a handle.
struct NoScriptFallback {
    script: Script,
}

impl Redirect for NoScriptFallback {
    fn redirect(
        &self,
        from: &Arc<Pipe>,
        request: &Request,
        error: &ServerError,
        attempt: u32,
    ) -> Option<Result<Resent>> {
        if error.kind() != ServerCode::NoScript || attempt > 1 {
            return None;
        }
        let eval: Cmd<crate::value::Value> = self.script.eval_of(request);
        let deadline = std::time::Instant::now() + from.config().response_timeout();
        Some(
            from.submit(eval.request(), deadline)
                .map(|slot| Resent::alone(from.clone(), slot)),
        )
    }
}

/// A library of Lua functions (`FUNCTION LOAD`), called by name with `FCALL`.
///
/// ```no_run
/// use coredis::{prelude::*, Library};
/// let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let lib = Library::new(
///     "#!lua name=mylib\n\
///      redis.register_function('double', function(keys, args) return args[1] * 2 end)",
/// )?;
/// lib.load(&r)?;                                  // FUNCTION LOAD REPLACE
/// let n: i64 = r.execute(lib.fcall("double", (), 21))?;
/// assert_eq!(n, 42);
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Library {
    name: String,
    code: Arc<str>,
}

impl Library {
    /// A library from its source, which starts with `#!lua name=<library>`.
    ///
    /// # Errors
    /// [`ErrorKind::Usage`] when the first line does not name the library.
    pub fn new(code: impl Into<String>) -> Result<Library> {
        let code: String = code.into();
        let first = code.lines().next().unwrap_or_default();
        let name = first
            .strip_prefix("#!")
            .and_then(|rest| {
                rest.split_whitespace()
                    .find_map(|w| w.strip_prefix("name="))
            })
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Usage,
                    "a function library starts with `#!lua name=<library>`",
                )
            })?
            .to_string();
        Ok(Library {
            name,
            code: Arc::from(code),
        })
    }

    /// The library's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The library's source.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Loads the library, replacing an older version of it (`FUNCTION LOAD REPLACE`).
    ///
    /// # Errors
    /// A server error when the code does not compile, and those of any command.
    pub fn load<E>(&self, on: &E) -> Result<()>
    where
        E: ScriptingCommands + Executor<Output<String> = Result<String>> + ?Sized,
    {
        on.function_load_with(&*self.code, FunctionLoadOptions::new().replace())
            .map(|_| ())
    }

    /// The functions the server has for this library (`FUNCTION LIST LIBRARYNAME`); empty when
    /// it is not loaded.
    ///
    /// # Errors
    /// Those of any command.
    pub fn functions<E>(&self, on: &E) -> Result<Vec<FunctionInfo>>
    where
        E: ScriptingCommands
            + Executor<Output<Vec<FunctionLibrary>> = Result<Vec<FunctionLibrary>>>
            + ?Sized,
    {
        let libraries =
            on.function_list_with(FunctionListOptions::new().library_name(self.name.clone()))?;
        Ok(libraries
            .into_iter()
            .find(|l| l.name == self.name)
            .map(|l| l.functions)
            .unwrap_or_default())
    }

    /// `FCALL function numkeys keys… args…`, to run on any executor.
    pub fn fcall<T: FromValue>(
        &self,
        function: &str,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Cmd<T> {
        Cmd::new("FCALL")
            .arg(function)
            .keys_counted(keys)
            .args(args)
    }

    /// `FCALL_RO`: [`Library::fcall`] for a function registered with the `no-writes` flag.
    pub fn fcall_ro<T: FromValue>(
        &self,
        function: &str,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Cmd<T> {
        Cmd::new("FCALL_RO")
            .arg(function)
            .keys_counted(keys)
            .args(args)
            .readonly()
    }
}

impl Dedicated {
    /// [`Script::run`] on this connection.
    ///
    /// # Errors
    /// As [`Script::run`].
    pub fn run_script<T: FromValue>(
        &self,
        script: &Script,
        keys: impl ToArgs,
        args: impl ToArgs,
    ) -> Result<T> {
        script.run(self, keys, args)
    }
}
