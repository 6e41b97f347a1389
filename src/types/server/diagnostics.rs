//! The replies of the diagnostic commands: `LATENCY LATEST/HISTORY/HISTOGRAM`, `MEMORY STATS`,
//! `SLOWLOG GET`, Valkey's `COMMANDLOG GET`, `MODULE LIST`; and the options of
//! `COMMANDLOG` and `MODULE LOADEX`.

use std::time::{Duration, SystemTime};

use super::{lossy, unix_secs, Fields};
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// The next element of a positional reply, or an error naming what is missing.
fn next_of(it: &mut std::vec::IntoIter<Value>, what: &str, field: &str) -> Result<Value> {
    it.next()
        .ok_or_else(|| Error::type_mismatch(&format!("{what} with {field}"), "a shorter array"))
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn micros(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// The latest and worst latency of one event, from `LATENCY LATEST`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LatencyLatest {
    /// The event (`command`, `fast-command`, `fork`, `expire-cycle`, …).
    pub event: String,
    /// When the latest spike happened.
    pub time: SystemTime,
    /// The latest spike.
    pub latest: Duration,
    /// The worst spike since the server started (or since `LATENCY RESET`).
    pub max: Duration,
    /// The sum of all spikes recorded (Valkey 8.1+).
    pub sum: Option<Duration>,
    /// How many spikes were recorded (Valkey 8.1+).
    pub count: Option<u64>,
}

impl FromValue for LatencyLatest {
    fn from_value(value: Value) -> Result<Self> {
        let what = "a LATENCY LATEST entry";
        let mut it = Vec::<Value>::from_value(value)?.into_iter();
        Ok(LatencyLatest {
            event: String::from_value(next_of(&mut it, what, "an event")?)?,
            time: unix_secs(i64::from_value(next_of(&mut it, what, "a time")?)?),
            latest: millis(i64::from_value(next_of(&mut it, what, "a latency")?)?),
            max: millis(i64::from_value(next_of(&mut it, what, "a maximum")?)?),
            sum: it.next().map(i64::from_value).transpose()?.map(millis),
            count: it.next().map(u64::from_value).transpose()?,
        })
    }
}

/// One latency spike of an event, from `LATENCY HISTORY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LatencySample {
    /// When it happened.
    pub time: SystemTime,
    /// How long it took.
    pub latency: Duration,
}

impl FromValue for LatencySample {
    fn from_value(value: Value) -> Result<Self> {
        let (time, latency) = <(i64, i64)>::from_value(value)?;
        Ok(LatencySample {
            time: unix_secs(time),
            latency: millis(latency),
        })
    }
}

/// The latency distribution of one command, from `LATENCY HISTOGRAM`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LatencyHistogram {
    /// The command (`set`, `config|get`).
    pub command: String,
    /// How many calls were measured.
    pub calls: u64,
    /// The buckets, by increasing bound: how many calls took at most that long
    /// (cumulative, so the last bucket counts every call). Empty buckets are left out.
    pub buckets: Vec<LatencyBucket>,
}

/// One bucket of a [`LatencyHistogram`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LatencyBucket {
    /// The bucket's upper bound (a power of two of microseconds).
    pub upper_bound: Duration,
    /// How many calls took at most `upper_bound`.
    pub count: u64,
}

impl LatencyHistogram {
    /// The reply of `LATENCY HISTOGRAM`: a map of command names to their histogram.
    pub(crate) fn read_all(value: Value) -> Result<Vec<LatencyHistogram>> {
        Vec::<(String, Value)>::from_value(value)?
            .into_iter()
            .map(|(command, v)| {
                let mut f = Fields::read(v, "a LATENCY HISTOGRAM entry")?;
                let buckets = f
                    .opt::<Vec<(i64, u64)>>("histogram_usec")?
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(us, count)| LatencyBucket {
                        upper_bound: micros(us),
                        count,
                    })
                    .collect();
                Ok(LatencyHistogram {
                    command,
                    calls: f.req("calls")?,
                    buckets,
                })
            })
            .collect()
    }
}

/// The memory use of one database, from `MEMORY STATS` (`db.N`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DbMemoryStats {
    /// The database number.
    pub db: i64,
    /// Bytes of the main hash table's overhead.
    pub overhead_hashtable_main: u64,
    /// Bytes of the expiry hash table's overhead.
    pub overhead_hashtable_expires: u64,
    /// Further fields, as the server names them (`overhead.hashtable.slot-to-keys` in Redis
    /// 7.0, …).
    pub other: Vec<(String, i64)>,
}

/// The reply of `MEMORY STATS`: where the server's memory goes. Sizes are in bytes.
///
/// The fields every supported server sends are plain; those only some send are `Option`s,
/// and any field this crate does not name is in [`MemoryStats::other`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MemoryStats {
    /// The most memory the allocator ever handed out.
    pub peak_allocated: u64,
    /// Memory handed out by the allocator now.
    pub total_allocated: u64,
    /// Memory in use when the server had just started.
    pub startup_allocated: u64,
    /// The replication backlog.
    pub replication_backlog: u64,
    /// The output buffers of the replicas (`clients.slaves`).
    pub clients_replicas: u64,
    /// The buffers of the other clients.
    pub clients_normal: u64,
    /// Cluster links (Redis 7.0+).
    pub cluster_links: Option<u64>,
    /// The AOF buffers.
    pub aof_buffer: u64,
    /// The Lua scripts' caches.
    pub lua_caches: u64,
    /// The functions' caches (Redis 7.0+).
    pub functions_caches: Option<u64>,
    /// Per database with keys.
    pub databases: Vec<DbMemoryStats>,
    /// Everything but the dataset: the sum of the overheads.
    pub overhead_total: u64,
    /// How many keys there are.
    pub keys_count: u64,
    /// The average size of a key (memory less startup overhead, per key).
    pub keys_bytes_per_key: u64,
    /// The dataset (memory less overhead).
    pub dataset_bytes: u64,
    /// The dataset's share of the memory in use, in percent.
    pub dataset_percentage: f64,
    /// The memory in use as a percentage of the peak.
    pub peak_percentage: f64,
    /// Bytes allocated, as the allocator counts them.
    pub allocator_allocated: u64,
    /// Bytes in the allocator's active pages.
    pub allocator_active: u64,
    /// Bytes resident in the allocator's pages.
    pub allocator_resident: u64,
    /// Active over allocated.
    pub allocator_fragmentation_ratio: f64,
    /// Active minus allocated (may be negative).
    pub allocator_fragmentation_bytes: i64,
    /// Resident over active.
    pub allocator_rss_ratio: f64,
    /// Resident minus active (may be negative).
    pub allocator_rss_bytes: i64,
    /// The process's resident set over the allocator's resident bytes.
    pub rss_overhead_ratio: f64,
    /// The process's resident set minus the allocator's resident bytes (may be negative).
    pub rss_overhead_bytes: i64,
    /// The process's resident set over the memory in use.
    pub fragmentation: f64,
    /// The process's resident set minus the memory in use (may be negative).
    pub fragmentation_bytes: i64,
    /// Numeric fields this crate does not name (`replicas.repl.buffer`, `allocator.muzzy`,
    /// `overhead.db.hashtable.lut`, …), in the server's order and spelling.
    pub other: Vec<(String, f64)>,
}

impl FromValue for MemoryStats {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a MEMORY STATS reply")?;
        let mut stats = MemoryStats {
            peak_allocated: f.req("peak.allocated")?,
            total_allocated: f.req("total.allocated")?,
            startup_allocated: f.req("startup.allocated")?,
            replication_backlog: f.req("replication.backlog")?,
            clients_replicas: f.req("clients.slaves")?,
            clients_normal: f.req("clients.normal")?,
            cluster_links: f.opt("cluster.links")?,
            aof_buffer: f.req("aof.buffer")?,
            lua_caches: f.req("lua.caches")?,
            functions_caches: f.opt("functions.caches")?,
            databases: Vec::new(),
            overhead_total: f.req("overhead.total")?,
            keys_count: f.req("keys.count")?,
            keys_bytes_per_key: f.req("keys.bytes-per-key")?,
            dataset_bytes: f.req("dataset.bytes")?,
            dataset_percentage: f.req("dataset.percentage")?,
            peak_percentage: f.req("peak.percentage")?,
            allocator_allocated: f.req("allocator.allocated")?,
            allocator_active: f.req("allocator.active")?,
            allocator_resident: f.req("allocator.resident")?,
            allocator_fragmentation_ratio: f.req("allocator-fragmentation.ratio")?,
            allocator_fragmentation_bytes: f.req("allocator-fragmentation.bytes")?,
            allocator_rss_ratio: f.req("allocator-rss.ratio")?,
            allocator_rss_bytes: f.req("allocator-rss.bytes")?,
            rss_overhead_ratio: f.req("rss-overhead.ratio")?,
            rss_overhead_bytes: f.req("rss-overhead.bytes")?,
            fragmentation: f.req("fragmentation")?,
            fragmentation_bytes: f.req("fragmentation.bytes")?,
            other: Vec::new(),
        };
        for (name, v) in f.rest() {
            let db = name.strip_prefix("db.").and_then(|n| n.parse::<i64>().ok());
            match db {
                Some(db) => {
                    let mut d = Fields::read(v, "a database of MEMORY STATS")?;
                    stats.databases.push(DbMemoryStats {
                        db,
                        overhead_hashtable_main: d
                            .opt("overhead.hashtable.main")?
                            .unwrap_or_default(),
                        overhead_hashtable_expires: d
                            .opt("overhead.hashtable.expires")?
                            .unwrap_or_default(),
                        other: d
                            .rest()
                            .into_iter()
                            .filter_map(|(k, v)| Some((k, i64::from_value(v).ok()?)))
                            .collect(),
                    });
                }
                None => {
                    // Numbers only: a field of another shape is skipped, not an error.
                    if let Ok(n) = f64::from_value(v) {
                        stats.other.push((name, n));
                    }
                }
            }
        }
        Ok(stats)
    }
}

/// One entry of `SLOWLOG GET`: a command that ran longer than `slowlog-log-slower-than`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SlowLogEntry {
    /// The entry's id, increasing.
    pub id: u64,
    /// When the command ran.
    pub time: SystemTime,
    /// How long it ran (the execution alone, not the I/O).
    pub duration: Duration,
    /// The command and its arguments, as the server logged them: long argument lists and
    /// long arguments are cut (`… (N more arguments)`, `… (N more bytes)`); bytes that are not
    /// UTF-8 are replaced with U+FFFD.
    pub args: Vec<String>,
    /// The client's address (`127.0.0.1:50412`).
    pub client_addr: String,
    /// The client's name (`CLIENT SETNAME`; empty when none).
    pub client_name: String,
}

/// The fields every log entry (`SLOWLOG`, `COMMANDLOG`) has, and its third one raw.
struct LogEntry {
    id: u64,
    time: SystemTime,
    value: i64,
    args: Vec<String>,
    client_addr: String,
    client_name: String,
}

impl LogEntry {
    fn read(value: Value, what: &str) -> Result<LogEntry> {
        let mut it = Vec::<Value>::from_value(value)?.into_iter();
        Ok(LogEntry {
            id: u64::from_value(next_of(&mut it, what, "an id")?)?,
            time: unix_secs(i64::from_value(next_of(&mut it, what, "a time")?)?),
            value: i64::from_value(next_of(&mut it, what, "a duration or size")?)?,
            args: Vec::<Value>::from_value(next_of(&mut it, what, "arguments")?)?
                .into_iter()
                .map(lossy)
                .collect::<Result<_>>()?,
            client_addr: it
                .next()
                .map(String::from_value)
                .transpose()?
                .unwrap_or_default(),
            client_name: it
                .next()
                .map(String::from_value)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

impl FromValue for SlowLogEntry {
    fn from_value(value: Value) -> Result<Self> {
        let e = LogEntry::read(value, "a SLOWLOG entry")?;
        Ok(SlowLogEntry {
            id: e.id,
            time: e.time,
            duration: micros(e.value),
            args: e.args,
            client_addr: e.client_addr,
            client_name: e.client_name,
        })
    }
}

/// Which of Valkey's command logs (`COMMANDLOG`, Valkey 8.1+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandLogType {
    /// `slow`: commands that ran longer than `commandlog-execution-slower-than` (the slow
    /// log).
    Slow,
    /// `large-request`: commands whose request was larger than
    /// `commandlog-request-larger-than`.
    LargeRequest,
    /// `large-reply`: commands whose reply was larger than `commandlog-reply-larger-than`.
    LargeReply,
}

impl CommandLogType {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            CommandLogType::Slow => "slow",
            CommandLogType::LargeRequest => "large-request",
            CommandLogType::LargeReply => "large-reply",
        }
    }
}

/// What got a command into a command log: its duration (`slow`) or its size (the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandLogCost {
    /// How long it ran (the `slow` log).
    Duration(Duration),
    /// How many bytes its request or reply had (the `large-request` and `large-reply` logs).
    Bytes(u64),
}

/// One entry of `COMMANDLOG GET` (Valkey 8.1+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CommandLogEntry {
    /// The entry's id, increasing within its log.
    pub id: u64,
    /// When the command ran.
    pub time: SystemTime,
    /// Its duration or size, depending on the log.
    pub cost: CommandLogCost,
    /// The command and its arguments, cut as in the slow log ([`SlowLogEntry::args`]).
    pub args: Vec<String>,
    /// The client's address.
    pub client_addr: String,
    /// The client's name (empty when none).
    pub client_name: String,
}

impl CommandLogEntry {
    fn read(value: Value, cost: fn(i64) -> CommandLogCost) -> Result<CommandLogEntry> {
        let e = LogEntry::read(value, "a COMMANDLOG entry")?;
        Ok(CommandLogEntry {
            id: e.id,
            time: e.time,
            cost: cost(e.value),
            args: e.args,
            client_addr: e.client_addr,
            client_name: e.client_name,
        })
    }

    /// The reply of `COMMANDLOG GET … slow`.
    pub(crate) fn read_slow(value: Value) -> Result<Vec<CommandLogEntry>> {
        Vec::<Value>::from_value(value)?
            .into_iter()
            .map(|v| CommandLogEntry::read(v, |us| CommandLogCost::Duration(micros(us))))
            .collect()
    }

    /// The reply of `COMMANDLOG GET … large-request|large-reply`.
    pub(crate) fn read_sized(value: Value) -> Result<Vec<CommandLogEntry>> {
        Vec::<Value>::from_value(value)?
            .into_iter()
            .map(|v| {
                CommandLogEntry::read(v, |n| CommandLogCost::Bytes(u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }
}

/// A loaded module, from `MODULE LIST`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ModuleInfo {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: i64,
    /// The file it was loaded from (Redis 7.0+).
    pub path: Option<String>,
    /// The arguments it was loaded with (Redis 7.0+; empty before).
    pub args: Vec<String>,
}

impl FromValue for ModuleInfo {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a MODULE LIST entry")?;
        Ok(ModuleInfo {
            name: f.req("name")?,
            version: f.req("ver")?,
            path: f.opt("path")?,
            args: f
                .list::<Value>("args")?
                .into_iter()
                .map(lossy)
                .collect::<Result<_>>()?,
        })
    }
}

/// The optional arguments of `MODULE LOADEX`: configuration values and module arguments.
///
/// ```
/// use coredis::types::ModuleLoadExOptions;
/// let o = ModuleLoadExOptions::new().config("mymod.size", "10").arg("verbose");
/// assert_eq!(o.configs(), [("mymod.size".to_string(), "10".to_string())]);
/// assert_eq!(o.module_args(), ["verbose"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ModuleLoadExOptions {
    configs: Vec<(String, String)>,
    args: Vec<String>,
}

impl ModuleLoadExOptions {
    /// No options.
    #[must_use]
    pub fn new() -> ModuleLoadExOptions {
        ModuleLoadExOptions::default()
    }

    /// `CONFIG name value`: a configuration value of the module, set as it loads. Call it
    /// once per value.
    #[must_use]
    pub fn config(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.push((name.into(), value.into()));
        self
    }

    /// One argument passed to the module (`ARGS …`). Call it once per argument.
    #[must_use]
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// The configuration values, in order. Defaults to none.
    pub fn configs(&self) -> &[(String, String)] {
        &self.configs
    }

    /// The module arguments, in order. Defaults to none.
    pub fn module_args(&self) -> &[String] {
        &self.args
    }

    pub(crate) fn apply<T>(self, mut cmd: Cmd<T>) -> Cmd<T> {
        for (name, value) in self.configs {
            cmd = cmd.arg("CONFIG").arg(name).arg(value);
        }
        if !self.args.is_empty() {
            cmd = cmd.arg("ARGS").args(self.args);
        }
        cmd
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn flat(kv: Vec<(&str, Value)>) -> Value {
        Value::Array(kv.into_iter().flat_map(|(k, v)| [bulk(k), v]).collect())
    }

    fn map(kv: Vec<(&str, Value)>) -> Value {
        Value::Map(kv.into_iter().map(|(k, v)| (bulk(k), v)).collect())
    }

    #[test]
    fn latency_replies() {
        let redis = Value::Array(vec![
            bulk("command"),
            Value::Int(1_700_000_000),
            Value::Int(50),
            Value::Int(60),
        ]);
        let l = LatencyLatest::from_value(redis).unwrap();
        assert_eq!(l.latest, Duration::from_millis(50));
        assert_eq!((l.sum, l.count), (None, None));
        let valkey = Value::Array(vec![
            bulk("command"),
            Value::Int(1),
            Value::Int(50),
            Value::Int(50),
            Value::Int(100),
            Value::Int(2),
        ]);
        let l = LatencyLatest::from_value(valkey).unwrap();
        assert_eq!(
            (l.sum, l.count),
            (Some(Duration::from_millis(100)), Some(2))
        );
        let s = LatencySample::from_value(Value::Array(vec![Value::Int(5), Value::Int(7)]));
        assert_eq!(s.unwrap().latency, Duration::from_millis(7));
        assert!(LatencyLatest::from_value(Value::Array(vec![bulk("x")])).is_err());

        let hist = |shape: fn(Vec<(&str, Value)>) -> Value, inner: Value| {
            shape(vec![(
                "ping",
                shape(vec![("calls", Value::Int(3)), ("histogram_usec", inner)]),
            )])
        };
        let resp3 = hist(
            map,
            Value::Map(vec![
                (Value::Int(8), Value::Int(1)),
                (Value::Int(16), Value::Int(3)),
            ]),
        );
        let resp2 = hist(
            flat,
            Value::Array(vec![
                Value::Int(8),
                Value::Int(1),
                Value::Int(16),
                Value::Int(3),
            ]),
        );
        let a = LatencyHistogram::read_all(resp3).unwrap();
        assert_eq!(a, LatencyHistogram::read_all(resp2).unwrap());
        assert_eq!(a[0].calls, 3);
        assert_eq!(a[0].buckets[1].upper_bound, Duration::from_micros(16));
    }

    #[test]
    fn log_entries() {
        let e = Value::Array(vec![
            Value::Int(3),
            Value::Int(1_700_000_000),
            Value::Int(50_123),
            Value::Array(vec![
                bulk("DEBUG"),
                Value::Bulk(Bytes::from_static(b"\xff")),
            ]),
            bulk("127.0.0.1:5000"),
            bulk(""),
        ]);
        let s = SlowLogEntry::from_value(e.clone()).unwrap();
        assert_eq!(s.duration, Duration::from_micros(50_123));
        assert_eq!(s.args, ["DEBUG", "\u{fffd}"]);
        let c = CommandLogEntry::read_sized(Value::Array(vec![e.clone()])).unwrap();
        assert_eq!(c[0].cost, CommandLogCost::Bytes(50_123));
        let c = CommandLogEntry::read_slow(Value::Array(vec![e])).unwrap();
        assert_eq!(
            c[0].cost,
            CommandLogCost::Duration(Duration::from_micros(50_123))
        );
        // Before Redis 4.0: no client fields.
        let old = Value::Array(vec![
            Value::Int(1),
            Value::Int(2),
            Value::Int(3),
            Value::Array(vec![]),
        ]);
        assert_eq!(SlowLogEntry::from_value(old).unwrap().client_addr, "");
        assert!(SlowLogEntry::from_value(Value::Array(vec![Value::Int(1)])).is_err());
    }

    #[test]
    fn memory_stats_both_shapes() {
        let stats = |shape: fn(Vec<(&str, Value)>) -> Value, ratio: Value| {
            let mut kv: Vec<(&str, Value)> = [
                "peak.allocated",
                "total.allocated",
                "startup.allocated",
                "replication.backlog",
                "clients.slaves",
                "clients.normal",
                "aof.buffer",
                "lua.caches",
                "overhead.total",
                "keys.count",
                "keys.bytes-per-key",
                "dataset.bytes",
                "allocator.allocated",
                "allocator.active",
                "allocator.resident",
                "allocator-fragmentation.bytes",
                "allocator-rss.bytes",
                "rss-overhead.bytes",
                "fragmentation.bytes",
                "allocator.muzzy",
            ]
            .into_iter()
            .map(|k| (k, Value::Int(7)))
            .collect();
            for k in [
                "dataset.percentage",
                "peak.percentage",
                "allocator-fragmentation.ratio",
                "allocator-rss.ratio",
                "rss-overhead.ratio",
                "fragmentation",
            ] {
                kv.push((k, ratio.clone()));
            }
            kv.push((
                "db.0",
                shape(vec![
                    ("overhead.hashtable.main", Value::Int(72)),
                    ("overhead.hashtable.expires", Value::Int(0)),
                    ("overhead.hashtable.slot-to-keys", Value::Int(1)),
                ]),
            ));
            shape(kv)
        };
        let a = MemoryStats::from_value(stats(map, Value::Double(1.5))).unwrap();
        let b = MemoryStats::from_value(stats(flat, bulk("1.5"))).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.fragmentation, 1.5);
        assert_eq!(a.cluster_links, None);
        assert_eq!(a.databases[0].db, 0);
        assert_eq!(a.databases[0].overhead_hashtable_main, 72);
        assert_eq!(
            a.databases[0].other,
            [("overhead.hashtable.slot-to-keys".to_string(), 1)]
        );
        assert_eq!(a.other, [("allocator.muzzy".to_string(), 7.0)]);
        assert!(MemoryStats::from_value(flat(vec![("peak.allocated", Value::Int(1))])).is_err());
    }

    #[test]
    fn modules() {
        let m = ModuleInfo::from_value(map(vec![
            ("name", bulk("lua")),
            ("ver", Value::Int(1)),
            ("path", bulk("lua")),
            ("args", Value::Array(vec![])),
        ]))
        .unwrap();
        assert_eq!((m.name.as_str(), m.version), ("lua", 1));
        let old = ModuleInfo::from_value(flat(vec![("name", bulk("x")), ("ver", Value::Int(2))]))
            .unwrap();
        assert_eq!(old.path, None);
        let c: Cmd<Value> = ModuleLoadExOptions::new()
            .config("a", "1")
            .config("b", "2")
            .arg("x")
            .arg("y")
            .apply(Cmd::new("MODULE LOADEX").arg("/p.so"));
        let words: Vec<&[u8]> = c.request().args().collect();
        assert_eq!(
            words,
            [
                &b"MODULE"[..],
                b"LOADEX",
                b"/p.so",
                b"CONFIG",
                b"a",
                b"1",
                b"CONFIG",
                b"b",
                b"2",
                b"ARGS",
                b"x",
                b"y"
            ]
        );
    }
}
