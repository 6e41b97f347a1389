//! Options, token groups and replies of the generic key commands (`COPY`, `TYPE`,
//! `EXPIRETIME`, `OBJECT ENCODING`, `MIGRATE`, `RESTORE`, `SORT`, `WAITAOF`).

use bytes::Bytes;
use std::fmt;
use std::time::{Duration, SystemTime};

use crate::args::{time, ToArg};
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// The optional arguments of `COPY`.
///
/// ```
/// use coredis::types::CopyOptions;
/// let o = CopyOptions::new().db(2).replace();
/// assert_eq!(o.destination_db(), Some(2));
/// assert!(o.is_replace());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CopyOptions {
    db: Option<i64>,
    replace: bool,
}

impl CopyOptions {
    /// No options: copy within the selected database, refusing to overwrite.
    #[must_use]
    pub fn new() -> CopyOptions {
        CopyOptions::default()
    }

    /// `DB destination-db`: copy into another database.
    #[must_use]
    pub fn db(mut self, db: i64) -> CopyOptions {
        self.db = Some(db);
        self
    }

    /// `REPLACE`: overwrite the destination when it exists.
    #[must_use]
    pub fn replace(mut self) -> CopyOptions {
        self.replace = true;
        self
    }

    /// The destination database, if set. Defaults to `None` (the selected one).
    pub fn destination_db(self) -> Option<i64> {
        self.db
    }

    /// Whether `REPLACE` is set. Defaults to `false`.
    pub fn is_replace(self) -> bool {
        self.replace
    }

    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        cmd.opt("DB", self.db).flag(self.replace, "REPLACE")
    }
}

/// The kind of value a key holds, as `TYPE` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// `none`: the key does not exist.
    Missing,
    /// `string`.
    String,
    /// `list`.
    List,
    /// `set`.
    Set,
    /// `zset`: a sorted set.
    ZSet,
    /// `hash`.
    Hash,
    /// `stream`.
    Stream,
    /// A type this crate does not name: a module's type (`ReJSON-RL`, …), as the server
    /// spells it.
    Other(String),
}

impl KeyType {
    /// The server's name for the type (`"zset"`, `"none"`, a module's own name).
    pub fn as_str(&self) -> &str {
        match self {
            KeyType::Missing => "none",
            KeyType::String => "string",
            KeyType::List => "list",
            KeyType::Set => "set",
            KeyType::ZSet => "zset",
            KeyType::Hash => "hash",
            KeyType::Stream => "stream",
            KeyType::Other(name) => name,
        }
    }

    /// The type the server calls `name`.
    pub fn from_name(name: &str) -> KeyType {
        match name {
            "none" => KeyType::Missing,
            "string" => KeyType::String,
            "list" => KeyType::List,
            "set" => KeyType::Set,
            "zset" => KeyType::ZSet,
            "hash" => KeyType::Hash,
            "stream" => KeyType::Stream,
            other => KeyType::Other(other.to_string()),
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToArg for KeyType {
    fn write_arg(&self, out: &mut Vec<u8>) {
        self.as_str().write_arg(out)
    }
}

impl FromValue for KeyType {
    fn from_value(value: Value) -> Result<Self> {
        String::from_value(value).map(|s| KeyType::from_name(&s))
    }
}

/// When a key expires, as `EXPIRETIME` / `PEXPIRETIME` report it: the two special replies
/// (`-2`: no such key, `-1`: no expiry) are variants of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExpireTime {
    /// The key does not exist (`-2`).
    NoKey,
    /// The key exists and has no expiry (`-1`).
    Persistent,
    /// The key expires at this time (whole seconds for `EXPIRETIME`, milliseconds for
    /// `PEXPIRETIME`).
    At(SystemTime),
}

impl ExpireTime {
    /// The expiry time, when the key has one.
    pub fn at(self) -> Option<SystemTime> {
        match self {
            ExpireTime::At(t) => Some(t),
            _ => None,
        }
    }

    fn from_reply(value: Value, to_time: fn(u64) -> SystemTime) -> Result<ExpireTime> {
        match i64::from_value(value)? {
            -2 => Ok(ExpireTime::NoKey),
            -1 => Ok(ExpireTime::Persistent),
            n => match u64::try_from(n) {
                Ok(n) => Ok(ExpireTime::At(to_time(n))),
                Err(_) => Err(Error::type_mismatch(
                    "a Unix time, -1 or -2",
                    format!("integer {n}"),
                )),
            },
        }
    }

    /// Converts an `EXPIRETIME` reply (Unix seconds).
    pub(crate) fn from_secs_reply(value: Value) -> Result<ExpireTime> {
        ExpireTime::from_reply(value, time::from_unix_secs)
    }

    /// Converts a `PEXPIRETIME` reply (Unix milliseconds).
    pub(crate) fn from_millis_reply(value: Value) -> Result<ExpireTime> {
        ExpireTime::from_reply(value, time::from_unix_millis)
    }
}

/// How the server stores a value internally, as `OBJECT ENCODING` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ObjectEncoding {
    /// `raw`: a string in its own allocation.
    Raw,
    /// `int`: a string holding a 64-bit integer.
    Int,
    /// `embstr`: a short string stored with its object.
    Embstr,
    /// `listpack`: a compact list, hash, set or sorted set (Redis 7.0+).
    Listpack,
    /// `listpackex`: a compact hash with field expirations.
    ListpackEx,
    /// `quicklist`: a list of listpacks.
    Quicklist,
    /// `hashtable`: a hash or set in a hash table.
    Hashtable,
    /// `intset`: a set of integers.
    Intset,
    /// `skiplist`: a sorted set in a skip list.
    Skiplist,
    /// `stream`.
    Stream,
    /// `ziplist`: the compact encoding before Redis 7.0.
    Ziplist,
    /// `linkedlist`: a list before Redis 3.2.
    Linkedlist,
    /// Another encoding, as the server spells it.
    Other(String),
}

impl ObjectEncoding {
    /// The server's name for the encoding.
    pub fn as_str(&self) -> &str {
        match self {
            ObjectEncoding::Raw => "raw",
            ObjectEncoding::Int => "int",
            ObjectEncoding::Embstr => "embstr",
            ObjectEncoding::Listpack => "listpack",
            ObjectEncoding::ListpackEx => "listpackex",
            ObjectEncoding::Quicklist => "quicklist",
            ObjectEncoding::Hashtable => "hashtable",
            ObjectEncoding::Intset => "intset",
            ObjectEncoding::Skiplist => "skiplist",
            ObjectEncoding::Stream => "stream",
            ObjectEncoding::Ziplist => "ziplist",
            ObjectEncoding::Linkedlist => "linkedlist",
            ObjectEncoding::Other(name) => name,
        }
    }

    /// The encoding the server calls `name`.
    pub fn from_name(name: &str) -> ObjectEncoding {
        match name {
            "raw" => ObjectEncoding::Raw,
            "int" => ObjectEncoding::Int,
            "embstr" => ObjectEncoding::Embstr,
            "listpack" => ObjectEncoding::Listpack,
            "listpackex" => ObjectEncoding::ListpackEx,
            "quicklist" => ObjectEncoding::Quicklist,
            "hashtable" => ObjectEncoding::Hashtable,
            "intset" => ObjectEncoding::Intset,
            "skiplist" => ObjectEncoding::Skiplist,
            "stream" => ObjectEncoding::Stream,
            "ziplist" => ObjectEncoding::Ziplist,
            "linkedlist" => ObjectEncoding::Linkedlist,
            other => ObjectEncoding::Other(other.to_string()),
        }
    }
}

impl fmt::Display for ObjectEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromValue for ObjectEncoding {
    fn from_value(value: Value) -> Result<Self> {
        String::from_value(value).map(|s| ObjectEncoding::from_name(&s))
    }
}

/// What `MIGRATE` did: its reply is `OK`, or `NOKEY` when none of the keys exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MigrateStatus {
    /// `OK`: the keys were transferred.
    Ok,
    /// `NOKEY`: no key to transfer was found in the source.
    NoKey,
}

impl FromValue for MigrateStatus {
    fn from_value(value: Value) -> Result<Self> {
        match value.as_bytes() {
            Some(b"OK") => Ok(MigrateStatus::Ok),
            Some(b"NOKEY") => Ok(MigrateStatus::NoKey),
            _ => Err(Error::type_mismatch("OK or NOKEY", value.describe())),
        }
    }
}

/// How `MIGRATE` authenticates to the target server.
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MigrateAuth {
    /// `AUTH password`: the default user's password.
    Password(String),
    /// `AUTH2 username password` (Redis 6.0+).
    UserPassword {
        /// The ACL user.
        username: String,
        /// Its password.
        password: String,
    },
}

impl fmt::Debug for MigrateAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrateAuth::Password(_) => f.write_str("Password(<redacted>)"),
            MigrateAuth::UserPassword { username, .. } => f
                .debug_struct("UserPassword")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
        }
    }
}

/// The optional arguments of `MIGRATE` (the keys are parameters of the methods).
///
/// ```
/// use coredis::types::MigrateOptions;
/// let o = MigrateOptions::new().copy().replace().auth2("mover", "secret");
/// assert!(o.is_copy() && o.is_replace());
/// assert!(!format!("{o:?}").contains("secret"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MigrateOptions {
    copy: bool,
    replace: bool,
    auth: Option<MigrateAuth>,
}

impl MigrateOptions {
    /// No options: move the keys, failing when they exist on the target.
    #[must_use]
    pub fn new() -> MigrateOptions {
        MigrateOptions::default()
    }

    /// `COPY`: keep the keys on the source.
    #[must_use]
    pub fn copy(mut self) -> MigrateOptions {
        self.copy = true;
        self
    }

    /// `REPLACE`: overwrite the keys on the target.
    #[must_use]
    pub fn replace(mut self) -> MigrateOptions {
        self.replace = true;
        self
    }

    /// `AUTH password`: authenticate to the target as the default user.
    #[must_use]
    pub fn auth(mut self, password: impl Into<String>) -> MigrateOptions {
        self.auth = Some(MigrateAuth::Password(password.into()));
        self
    }

    /// `AUTH2 username password`: authenticate to the target as an ACL user (Redis 6.0+).
    #[must_use]
    pub fn auth2(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> MigrateOptions {
        self.auth = Some(MigrateAuth::UserPassword {
            username: username.into(),
            password: password.into(),
        });
        self
    }

    /// Whether `COPY` is set. Defaults to `false`.
    pub fn is_copy(&self) -> bool {
        self.copy
    }

    /// Whether `REPLACE` is set. Defaults to `false`.
    pub fn is_replace(&self) -> bool {
        self.replace
    }

    /// The credentials, if any. Defaults to `None`.
    pub fn authentication(&self) -> Option<&MigrateAuth> {
        self.auth.as_ref()
    }

    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        let cmd = cmd.flag(self.copy, "COPY").flag(self.replace, "REPLACE");
        match &self.auth {
            None => cmd,
            Some(MigrateAuth::Password(p)) => cmd.arg("AUTH").arg(p),
            Some(MigrateAuth::UserPassword { username, password }) => {
                cmd.arg("AUTH2").arg(username).arg(password)
            }
        }
    }
}

/// The time to live of a key created by `RESTORE`.
///
/// A [`Duration`] converts into [`RestoreTtl::In`] and a [`SystemTime`] into
/// [`RestoreTtl::At`], so `r.restore("k", Duration::from_secs(60), &dump)` reads naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RestoreTtl {
    /// No expiry (a ttl of `0`).
    Persistent,
    /// Expire after this long (milliseconds; a zero duration is no expiry).
    In(Duration),
    /// Expire at this time (`ABSTTL`, Unix milliseconds; Redis 5.0+).
    At(SystemTime),
}

impl From<Duration> for RestoreTtl {
    fn from(d: Duration) -> RestoreTtl {
        RestoreTtl::In(d)
    }
}

impl From<SystemTime> for RestoreTtl {
    fn from(t: SystemTime) -> RestoreTtl {
        RestoreTtl::At(t)
    }
}

impl RestoreTtl {
    /// The ttl argument, and whether `ABSTTL` must follow.
    pub(crate) fn arg(self) -> (u64, bool) {
        match self {
            RestoreTtl::Persistent => (0, false),
            RestoreTtl::In(d) => (time::millis(d), false),
            // A time at (or before) the epoch would read as "no expiry": 1 ms is in the past.
            RestoreTtl::At(t) => (time::unix_millis(t).max(1), true),
        }
    }
}

/// The optional arguments of `RESTORE` (the ttl, `ABSTTL` included, is a parameter: see
/// [`RestoreTtl`]).
///
/// ```
/// use coredis::types::RestoreOptions;
/// use std::time::Duration;
/// let o = RestoreOptions::new().replace().idletime(Duration::from_secs(60));
/// assert!(o.is_replace());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RestoreOptions {
    replace: bool,
    idletime: Option<Duration>,
    freq: Option<u8>,
}

impl RestoreOptions {
    /// No options.
    #[must_use]
    pub fn new() -> RestoreOptions {
        RestoreOptions::default()
    }

    /// `REPLACE`: overwrite the key when it exists (else the command fails with `BUSYKEY`).
    #[must_use]
    pub fn replace(mut self) -> RestoreOptions {
        self.replace = true;
        self
    }

    /// `IDLETIME seconds`: the key's idle time, for LRU eviction (whole seconds, rounded up).
    #[must_use]
    pub fn idletime(mut self, idle: Duration) -> RestoreOptions {
        self.idletime = Some(idle);
        self
    }

    /// `FREQ frequency`: the key's access frequency counter, for LFU eviction.
    #[must_use]
    pub fn freq(mut self, frequency: u8) -> RestoreOptions {
        self.freq = Some(frequency);
        self
    }

    /// Whether `REPLACE` is set. Defaults to `false`.
    pub fn is_replace(self) -> bool {
        self.replace
    }

    /// Appends the options, with `ABSTTL` (which goes between them) when `absttl`.
    pub(crate) fn apply<T>(self, cmd: Cmd<T>, absttl: bool) -> Cmd<T> {
        cmd.flag(self.replace, "REPLACE")
            .flag(absttl, "ABSTTL")
            .opt("IDLETIME", self.idletime.map(time::secs))
            .opt("FREQ", self.freq.map(u16::from))
    }
}

/// The order of `SORT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SortOrder {
    /// `ASC`: smallest first (the default).
    Asc,
    /// `DESC`: largest first.
    Desc,
}

impl SortOrder {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

/// The optional arguments of `SORT` and `SORT_RO` (the `STORE` destination is a parameter of
/// [`crate::commands::GenericCommands::sort_store_with`]).
///
/// Patterns (`BY`, `GET`) name other keys through `*`, replaced by each element
/// (`weight_*`, `object_*->field` for a hash field); `GET #` is the element itself.
///
/// ```
/// use coredis::types::{SortOptions, SortOrder};
/// let o = SortOptions::new()
///     .by("weight_*")
///     .limit(0, 10)
///     .get("#")
///     .get("name_*")
///     .order(SortOrder::Desc)
///     .alpha();
/// assert_eq!(o.get_patterns().len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SortOptions {
    by: Option<Bytes>,
    limit: Option<(i64, i64)>,
    get: Vec<Bytes>,
    order: Option<SortOrder>,
    alpha: bool,
}

impl SortOptions {
    /// No options: sort the elements themselves as numbers, ascending.
    #[must_use]
    pub fn new() -> SortOptions {
        SortOptions::default()
    }

    /// `BY pattern`: sort by the values of the keys `pattern` names (or hash fields, with
    /// `->`).
    #[must_use]
    pub fn by(mut self, pattern: impl AsRef<[u8]>) -> SortOptions {
        self.by = Some(Bytes::copy_from_slice(pattern.as_ref()));
        self
    }

    /// `BY nosort`: skip sorting (useful with `GET` or `LIMIT` to read elements in their
    /// stored order).
    #[must_use]
    pub fn nosort(self) -> SortOptions {
        self.by("nosort")
    }

    /// `LIMIT offset count`: skip `offset` elements and return at most `count` (a negative
    /// `count`: all the rest).
    #[must_use]
    pub fn limit(mut self, offset: i64, count: i64) -> SortOptions {
        self.limit = Some((offset, count));
        self
    }

    /// `GET pattern`: return the value of the key `pattern` names instead of the element
    /// (`#`: the element itself). Call it several times for several values per element, which
    /// then come one after the other in the reply.
    #[must_use]
    pub fn get(mut self, pattern: impl AsRef<[u8]>) -> SortOptions {
        self.get.push(Bytes::copy_from_slice(pattern.as_ref()));
        self
    }

    /// `ASC` or `DESC`.
    #[must_use]
    pub fn order(mut self, order: SortOrder) -> SortOptions {
        self.order = Some(order);
        self
    }

    /// `ASC`.
    #[must_use]
    pub fn asc(self) -> SortOptions {
        self.order(SortOrder::Asc)
    }

    /// `DESC`.
    #[must_use]
    pub fn desc(self) -> SortOptions {
        self.order(SortOrder::Desc)
    }

    /// `ALPHA`: compare as strings rather than numbers.
    #[must_use]
    pub fn alpha(mut self) -> SortOptions {
        self.alpha = true;
        self
    }

    /// The `BY` pattern, if set. Defaults to `None`.
    pub fn by_pattern(&self) -> Option<&[u8]> {
        self.by.as_deref()
    }

    /// The `LIMIT` offset and count, if set. Defaults to `None`.
    pub fn limits(&self) -> Option<(i64, i64)> {
        self.limit
    }

    /// The `GET` patterns, in order. Defaults to none.
    pub fn get_patterns(&self) -> &[Bytes] {
        &self.get
    }

    /// The order, if set. Defaults to `None` (ascending).
    pub fn sort_order(&self) -> Option<SortOrder> {
        self.order
    }

    /// Whether `ALPHA` is set. Defaults to `false`.
    pub fn is_alpha(&self) -> bool {
        self.alpha
    }

    pub(crate) fn apply<T>(&self, mut cmd: Cmd<T>) -> Cmd<T> {
        cmd = cmd.opt("BY", self.by.as_ref());
        if let Some((offset, count)) = self.limit {
            cmd = cmd.arg("LIMIT").arg(offset).arg(count);
        }
        for pattern in &self.get {
            cmd = cmd.arg("GET").arg(pattern);
        }
        cmd.args_from(self.order.map(SortOrder::token))
            .flag(self.alpha, "ALPHA")
    }
}

/// The reply of `WAITAOF`: how many servers have written the connection's earlier writes to
/// their append-only file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct WaitAof {
    /// Whether the server itself did (`1`) or not (`0`).
    pub local: i64,
    /// How many replicas did.
    pub replicas: i64,
}

impl FromValue for WaitAof {
    fn from_value(value: Value) -> Result<Self> {
        let (local, replicas) = <(i64, i64)>::from_value(value)?;
        Ok(WaitAof { local, replicas })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words<T>(c: &Cmd<T>) -> Vec<String> {
        c.request()
            .args()
            .map(|w| String::from_utf8_lossy(w).into_owned())
            .collect()
    }

    #[test]
    fn sort_options_in_spec_order() {
        let c: Cmd<Value> = Cmd::new("SORT").key("k");
        let c = SortOptions::new()
            .alpha()
            .desc()
            .get("#")
            .get("o_*->f")
            .limit(1, 2)
            .by("w_*")
            .apply(c);
        assert_eq!(
            words(&c),
            [
                "SORT", "k", "BY", "w_*", "LIMIT", "1", "2", "GET", "#", "GET", "o_*->f", "DESC",
                "ALPHA"
            ]
        );
    }

    #[test]
    fn replies() {
        assert_eq!(
            ExpireTime::from_secs_reply(Value::Int(-2)).unwrap(),
            ExpireTime::NoKey
        );
        assert_eq!(
            ExpireTime::from_millis_reply(Value::Int(1500)).unwrap(),
            ExpireTime::At(std::time::UNIX_EPOCH + Duration::from_millis(1500))
        );
        assert!(ExpireTime::from_secs_reply(Value::Int(-3)).is_err());
        assert_eq!(
            KeyType::from_value(Value::SimpleString(Bytes::from_static(b"zset"))).unwrap(),
            KeyType::ZSet
        );
        assert_eq!(
            KeyType::from_name("ReJSON-RL"),
            KeyType::Other("ReJSON-RL".into())
        );
        assert_eq!(
            MigrateStatus::from_value(Value::SimpleString(Bytes::from_static(b"NOKEY"))).unwrap(),
            MigrateStatus::NoKey
        );
        assert!(MigrateStatus::from_value(Value::Int(1)).is_err());
        assert_eq!(
            WaitAof::from_value(Value::Array(vec![Value::Int(1), Value::Int(2)])).unwrap(),
            WaitAof {
                local: 1,
                replicas: 2
            }
        );
    }

    #[test]
    fn restore_ttl() {
        assert_eq!(RestoreTtl::Persistent.arg(), (0, false));
        assert_eq!(
            RestoreTtl::from(Duration::from_micros(1500)).arg(),
            (2, false)
        );
        assert_eq!(RestoreTtl::from(std::time::UNIX_EPOCH).arg(), (1, true));
    }
}
