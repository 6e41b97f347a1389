//! Options and replies of the scripting commands: `FUNCTION LIST` ([`FunctionLibrary`],
//! [`FunctionListOptions`]), `FUNCTION LOAD` and `FUNCTION RESTORE` options, and `FUNCTION
//! STATS` ([`FunctionStats`]).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::cmd::Cmd;
use crate::error::Result;
use crate::from_value::FromValue;
use crate::types::fields::Fields;
use crate::value::Value;

/// A flag a function was registered with (`FUNCTION LIST`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FunctionFlag {
    /// `no-writes`: the function only reads (it may run with `FCALL_RO` and on replicas).
    NoWrites,
    /// `allow-oom`: it may run when the server is out of memory.
    AllowOom,
    /// `allow-stale`: it may run on a replica with stale data.
    AllowStale,
    /// `no-cluster`: it refuses to run in cluster mode.
    NoCluster,
    /// `allow-cross-slot-keys`: it may touch keys of several slots.
    AllowCrossSlotKeys,
    /// A flag this crate does not name, as the server spells it.
    Other(String),
}

impl FunctionFlag {
    /// The server's name for the flag.
    pub fn as_str(&self) -> &str {
        match self {
            FunctionFlag::NoWrites => "no-writes",
            FunctionFlag::AllowOom => "allow-oom",
            FunctionFlag::AllowStale => "allow-stale",
            FunctionFlag::NoCluster => "no-cluster",
            FunctionFlag::AllowCrossSlotKeys => "allow-cross-slot-keys",
            FunctionFlag::Other(name) => name,
        }
    }
}

impl FromValue for FunctionFlag {
    fn from_value(value: Value) -> Result<Self> {
        Ok(match String::from_value(value)?.as_str() {
            "no-writes" => FunctionFlag::NoWrites,
            "allow-oom" => FunctionFlag::AllowOom,
            "allow-stale" => FunctionFlag::AllowStale,
            "no-cluster" => FunctionFlag::NoCluster,
            "allow-cross-slot-keys" => FunctionFlag::AllowCrossSlotKeys,
            other => FunctionFlag::Other(other.to_string()),
        })
    }
}

/// One function of a library, as `FUNCTION LIST` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FunctionInfo {
    /// The function's name (what `FCALL` takes).
    pub name: String,
    /// Its description, if it was registered with one.
    pub description: Option<String>,
    /// The flags it was registered with.
    pub flags: Vec<FunctionFlag>,
}

impl FromValue for FunctionInfo {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a function of FUNCTION LIST")?;
        Ok(FunctionInfo {
            name: f.req("name")?,
            description: f.opt("description")?,
            flags: f.opt("flags")?.unwrap_or_default(),
        })
    }
}

/// A library of functions, as `FUNCTION LIST` describes it. RESP3 sends maps and sets,
/// RESP2 flat arrays; both convert alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FunctionLibrary {
    /// The library's name (from its `#!lua name=…` line).
    pub name: String,
    /// Its engine (`LUA`).
    pub engine: String,
    /// Its functions, in the server's order.
    pub functions: Vec<FunctionInfo>,
    /// Its source code: only with [`FunctionListOptions::with_code`].
    pub code: Option<String>,
}

impl FromValue for FunctionLibrary {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a library of FUNCTION LIST")?;
        Ok(FunctionLibrary {
            name: f.req("library_name")?,
            engine: f.req("engine")?,
            functions: f.req("functions")?,
            code: f.opt("library_code")?,
        })
    }
}

/// The optional arguments of `FUNCTION LIST`.
///
/// ```
/// use coredis::types::FunctionListOptions;
/// let o = FunctionListOptions::new().library_name("my*").with_code();
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FunctionListOptions {
    pattern: Option<String>,
    with_code: bool,
}

impl FunctionListOptions {
    /// No options: every library, without code.
    #[must_use]
    pub fn new() -> FunctionListOptions {
        FunctionListOptions::default()
    }

    /// `LIBRARYNAME pattern`: only libraries whose name matches the glob-style `pattern`.
    #[must_use]
    pub fn library_name(mut self, pattern: impl Into<String>) -> FunctionListOptions {
        self.pattern = Some(pattern.into());
        self
    }

    /// `WITHCODE`: include each library's source code ([`FunctionLibrary::code`]).
    #[must_use]
    pub fn with_code(mut self) -> FunctionListOptions {
        self.with_code = true;
        self
    }

    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("LIBRARYNAME", self.pattern.as_deref())
            .flag(self.with_code, "WITHCODE")
    }
}

/// The optional arguments of `FUNCTION LOAD`.
///
/// ```
/// use coredis::types::FunctionLoadOptions;
/// let o = FunctionLoadOptions::new().replace();
/// assert!(o.is_replace());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FunctionLoadOptions {
    replace: bool,
}

impl FunctionLoadOptions {
    /// No options: loading a library whose name exists fails.
    #[must_use]
    pub fn new() -> FunctionLoadOptions {
        FunctionLoadOptions::default()
    }

    /// `REPLACE`: replace a library of the same name.
    #[must_use]
    pub fn replace(mut self) -> FunctionLoadOptions {
        self.replace = true;
        self
    }

    /// Whether `REPLACE` is set. Defaults to `false`.
    pub fn is_replace(self) -> bool {
        self.replace
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.flag(self.replace, "REPLACE")
    }
}

/// What `FUNCTION RESTORE` does with the libraries already loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FunctionRestorePolicy {
    /// `FLUSH`: delete them all first.
    Flush,
    /// `APPEND`: keep them; a library of the payload with an existing name fails the whole
    /// restore (the default).
    Append,
    /// `REPLACE`: keep them, replacing those the payload has too (a function name clash
    /// with another library still fails).
    Replace,
}

impl FunctionRestorePolicy {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            FunctionRestorePolicy::Flush => "FLUSH",
            FunctionRestorePolicy::Append => "APPEND",
            FunctionRestorePolicy::Replace => "REPLACE",
        }
    }
}

/// The script or function running right now, as `FUNCTION STATS` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RunningScript {
    /// The function's name.
    pub name: String,
    /// The command that runs it, with its arguments (`FCALL name numkeys …`).
    pub command: Vec<Vec<u8>>,
    /// How long it has been running, to the millisecond.
    pub duration: Duration,
}

impl FromValue for RunningScript {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "the running_script of FUNCTION STATS")?;
        Ok(RunningScript {
            name: f.req("name")?,
            command: f.req("command")?,
            duration: Duration::from_millis(f.req("duration_ms")?),
        })
    }
}

/// What one scripting engine holds, as `FUNCTION STATS` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct EngineStats {
    /// How many libraries it has loaded.
    pub libraries_count: u64,
    /// How many functions those libraries register.
    pub functions_count: u64,
}

impl FromValue for EngineStats {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "an engine of FUNCTION STATS")?;
        Ok(EngineStats {
            libraries_count: f.req("libraries_count")?,
            functions_count: f.req("functions_count")?,
        })
    }
}

/// The reply of `FUNCTION STATS`: the function running now, if any, and what each engine
/// holds. RESP3 sends maps, RESP2 flat arrays; both convert alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FunctionStats {
    /// The function running right now, if one is.
    pub running_script: Option<RunningScript>,
    /// Each engine (`LUA`, …) and what it holds.
    pub engines: BTreeMap<String, EngineStats>,
}

impl FromValue for FunctionStats {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a FUNCTION STATS reply")?;
        Ok(FunctionStats {
            running_script: f.opt("running_script")?,
            engines: f.req("engines")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn simple(s: &str) -> Value {
        Value::SimpleString(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn function_list_from_both_protocols() {
        let f1 = |flags: Value| {
            vec![
                (bulk("name"), bulk("f1")),
                (bulk("description"), bulk("desc")),
                (bulk("flags"), flags),
            ]
        };
        let resp3 = Value::Array(vec![Value::Map(vec![
            (bulk("library_name"), bulk("lib")),
            (bulk("engine"), bulk("LUA")),
            (
                bulk("functions"),
                Value::Array(vec![
                    Value::Map(f1(Value::Set(vec![simple("no-writes"), simple("x-new")]))),
                    Value::Map(vec![
                        (bulk("name"), bulk("f2")),
                        (bulk("description"), Value::Nil),
                        (bulk("flags"), Value::Set(vec![])),
                    ]),
                ]),
            ),
        ])]);
        let flat = |pairs: Vec<(Value, Value)>| {
            Value::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
        };
        let resp2 = Value::Array(vec![flat(vec![
            (bulk("library_name"), bulk("lib")),
            (bulk("engine"), bulk("LUA")),
            (
                bulk("functions"),
                Value::Array(vec![
                    flat(f1(Value::Array(vec![simple("no-writes"), simple("x-new")]))),
                    flat(vec![
                        (bulk("name"), bulk("f2")),
                        (bulk("description"), Value::Nil),
                        (bulk("flags"), Value::Array(vec![])),
                    ]),
                ]),
            ),
        ])]);
        let a = Vec::<FunctionLibrary>::from_value(resp3).unwrap();
        assert_eq!(a, Vec::<FunctionLibrary>::from_value(resp2).unwrap());
        assert_eq!(a[0].name, "lib");
        assert_eq!(a[0].code, None);
        let f = &a[0].functions;
        assert_eq!(
            f[0].flags,
            [FunctionFlag::NoWrites, FunctionFlag::Other("x-new".into())]
        );
        assert_eq!(f[1].description, None);
        assert!(FunctionLibrary::from_value(Value::Int(1)).is_err());
        assert!(FunctionLibrary::from_value(Value::Array(vec![bulk("engine")])).is_err());
    }

    #[test]
    fn function_stats_running_or_not() {
        let idle = Value::Map(vec![
            (bulk("running_script"), Value::Nil),
            (
                bulk("engines"),
                Value::Map(vec![(
                    bulk("LUA"),
                    Value::Map(vec![
                        (bulk("libraries_count"), Value::Int(1)),
                        (bulk("functions_count"), Value::Int(2)),
                    ]),
                )]),
            ),
        ]);
        let s = FunctionStats::from_value(idle).unwrap();
        assert_eq!(s.running_script, None);
        assert_eq!(s.engines["LUA"].functions_count, 2);
        let busy = Value::Array(vec![
            bulk("running_script"),
            Value::Array(vec![
                bulk("name"),
                bulk("spin"),
                bulk("command"),
                Value::Array(vec![bulk("FCALL"), bulk("spin"), bulk("0")]),
                bulk("duration_ms"),
                Value::Int(1500),
            ]),
            bulk("engines"),
            Value::Array(vec![]),
        ]);
        let s = FunctionStats::from_value(busy).unwrap();
        let running = s.running_script.unwrap();
        assert_eq!(running.name, "spin");
        assert_eq!(running.duration, Duration::from_millis(1500));
        assert_eq!(running.command[0], b"FCALL");
    }
}
