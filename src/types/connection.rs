//! Options, token groups and replies of the connection commands: `CLIENT LIST`/`CLIENT INFO`
//! ([`ClientInfo`]), the filters of `CLIENT KILL` and `CLIENT LIST` ([`ClientFilter`]),
//! `CLIENT PAUSE`, `CLIENT UNBLOCK`, `CLIENT SETINFO`, and client-side caching (`CLIENT
//! TRACKING` options, [`ClientTrackingInfo`], [`TrackingRedirect`]).

use crate::types::fields::Fields;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::args::time;
use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// The kind of a client connection, for the `TYPE` filters of `CLIENT LIST` and `CLIENT
/// KILL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientType {
    /// `NORMAL`: an ordinary client.
    Normal,
    /// `MASTER`: the connection of a replica to its primary (on the replica).
    Master,
    /// `PRIMARY`: Valkey 8.0's name for [`ClientType::Master`] (`CLIENT KILL` only).
    Primary,
    /// `REPLICA`: the connection of a replica (on its primary).
    Replica,
    /// `SLAVE`: the old name of [`ClientType::Replica`] (`CLIENT KILL` only).
    Slave,
    /// `PUBSUB`: a connection in subscribed mode.
    PubSub,
}

impl ClientType {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            ClientType::Normal => "NORMAL",
            ClientType::Master => "MASTER",
            ClientType::Primary => "PRIMARY",
            ClientType::Replica => "REPLICA",
            ClientType::Slave => "SLAVE",
            ClientType::PubSub => "PUBSUB",
        }
    }
}

/// Which clients `CLIENT KILL` closes or `CLIENT LIST` lists: every filter added must match
/// (they combine with AND). Each builder method adds one filter, sent in the order added.
///
/// `CLIENT KILL` has taken `ID`, `TYPE`, `USER`, `ADDR`, `SKIPME` since Redis 2.8/6.0,
/// `LADDR` since 6.2, `MAXAGE` since Valkey 8.0 (Redis 7.4), several ids in one `ID` since
/// Valkey 8.1, and the rest (`NAME`, `IDLE`, `FLAGS`, `LIB-NAME`, `LIB-VER`, `DB`, `CAPA`,
/// `IP` and every `NOT-` filter) since Valkey 9.0. `CLIENT LIST` takes one `TYPE` or one
/// `ID` list before Valkey 8.1, which added the others. A server that does not know a filter
/// answers with an error.
///
/// ```
/// use coredis::types::{ClientFilter, ClientType};
/// use std::time::Duration;
/// let f = ClientFilter::new()
///     .client_type(ClientType::Normal)
///     .user("app")
///     .skipme(true)
///     .maxage(Duration::from_secs(3600));
/// assert!(!f.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ClientFilter {
    filters: Vec<(&'static str, Vec<String>)>,
}

macro_rules! text_filters {
    ($($(#[$doc:meta])* $name:ident => $token:literal;)*) => {$(
        $(#[$doc])*
        #[must_use]
        pub fn $name(self, value: impl Into<String>) -> ClientFilter {
            self.with($token, vec![value.into()])
        }
    )*};
}

impl ClientFilter {
    /// No filter yet (sending it empty is refused before anything is sent).
    #[must_use]
    pub fn new() -> ClientFilter {
        ClientFilter::default()
    }

    /// Whether no filter was added.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    fn with(mut self, token: &'static str, values: Vec<String>) -> ClientFilter {
        self.filters.push((token, values));
        self
    }

    /// `ID id`: the client with this id.
    #[must_use]
    pub fn id(self, id: u64) -> ClientFilter {
        self.with("ID", vec![id.to_string()])
    }

    /// `ID id [id …]`: the clients with these ids (several ids: Valkey 8.1+ for `CLIENT
    /// KILL`, Redis 6.2+ for `CLIENT LIST`).
    #[must_use]
    pub fn ids(self, ids: impl IntoIterator<Item = u64>) -> ClientFilter {
        self.with("ID", ids.into_iter().map(|i| i.to_string()).collect())
    }

    /// `NOT-ID id [id …]`: every client but those (Valkey 9.0+).
    #[must_use]
    pub fn not_ids(self, ids: impl IntoIterator<Item = u64>) -> ClientFilter {
        self.with("NOT-ID", ids.into_iter().map(|i| i.to_string()).collect())
    }

    /// `TYPE type`: clients of this kind.
    #[must_use]
    pub fn client_type(self, kind: ClientType) -> ClientFilter {
        self.with("TYPE", vec![kind.token().to_string()])
    }

    /// `NOT-TYPE type`: clients of any other kind (Valkey 9.0+).
    #[must_use]
    pub fn not_client_type(self, kind: ClientType) -> ClientFilter {
        self.with("NOT-TYPE", vec![kind.token().to_string()])
    }

    /// `SKIPME yes|no`: whether the connection sending the command is spared (`CLIENT
    /// KILL` spares it by default; `CLIENT LIST` since Valkey 8.1).
    #[must_use]
    pub fn skipme(self, skip: bool) -> ClientFilter {
        let word = if skip { "YES" } else { "NO" };
        self.with("SKIPME", vec![word.to_string()])
    }

    /// `MAXAGE seconds`: clients connected for longer than `age` (whole seconds, a
    /// remainder rounds up; Valkey 8.0+, Redis 7.4+).
    #[must_use]
    pub fn maxage(self, age: Duration) -> ClientFilter {
        self.with("MAXAGE", vec![time::secs(age).to_string()])
    }

    /// `IDLE seconds`: clients idle for at least `idle` (whole seconds, a remainder rounds
    /// up; at least one second; Valkey 9.0+).
    #[must_use]
    pub fn idle(self, idle: Duration) -> ClientFilter {
        self.with("IDLE", vec![time::secs(idle).to_string()])
    }

    /// `DB db`: clients whose selected database is `db` (Valkey 9.0+).
    #[must_use]
    pub fn db(self, db: i64) -> ClientFilter {
        self.with("DB", vec![db.to_string()])
    }

    /// `NOT-DB db`: clients whose selected database is another one (Valkey 9.0+).
    #[must_use]
    pub fn not_db(self, db: i64) -> ClientFilter {
        self.with("NOT-DB", vec![db.to_string()])
    }

    text_filters! {
        /// `USER username`: clients authenticated as this ACL user.
        user => "USER";
        /// `NOT-USER username`: clients authenticated as another user (Valkey 9.0+).
        not_user => "NOT-USER";
        /// `ADDR ip:port`: the client connected from this address (its `addr` field).
        addr => "ADDR";
        /// `NOT-ADDR ip:port`: clients connected from another address (Valkey 9.0+).
        not_addr => "NOT-ADDR";
        /// `LADDR ip:port`: clients connected to this local address of the server (Redis
        /// 6.2+).
        laddr => "LADDR";
        /// `NOT-LADDR ip:port`: clients connected to another local address (Valkey 9.0+).
        not_laddr => "NOT-LADDR";
        /// `NAME name`: clients with this connection name (Valkey 9.0+).
        name => "NAME";
        /// `NOT-NAME name`: clients with another name (Valkey 9.0+).
        not_name => "NOT-NAME";
        /// `FLAGS flags`: clients with all of these flag letters (as in
        /// [`ClientInfo::flags`]; Valkey 9.0+).
        flags => "FLAGS";
        /// `NOT-FLAGS flags`: clients with none of these flag letters (Valkey 9.0+).
        not_flags => "NOT-FLAGS";
        /// `LIB-NAME name`: clients whose library is `name` (see `CLIENT SETINFO`; Valkey
        /// 9.0+).
        lib_name => "LIB-NAME";
        /// `NOT-LIB-NAME name`: clients using another library (Valkey 9.0+).
        not_lib_name => "NOT-LIB-NAME";
        /// `LIB-VER version`: clients whose library version is `version` (Valkey 9.0+).
        lib_ver => "LIB-VER";
        /// `NOT-LIB-VER version`: clients with another library version (Valkey 9.0+).
        not_lib_ver => "NOT-LIB-VER";
        /// `CAPA letters`: clients that declared these capabilities, by the letters of
        /// [`ClientInfo::capa`] (`r` for `redirect`; see `CLIENT CAPA`; Valkey 9.0+).
        capa => "CAPA";
        /// `NOT-CAPA letters`: clients that did not declare them (Valkey 9.0+).
        not_capa => "NOT-CAPA";
        /// `IP ip`: clients connected from this IP address, any port (Valkey 9.0+).
        ip => "IP";
        /// `NOT-IP ip`: clients connected from another IP address (Valkey 9.0+).
        not_ip => "NOT-IP";
    }

    /// Appends every filter, then refuses an empty filter list before sending.
    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        self.apply_optional(cmd).required("client filters")
    }

    /// Appends every filter (none is fine).
    pub(crate) fn apply_optional<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        let words = self.filters.iter().flat_map(|(token, values)| {
            std::iter::once(*token).chain(values.iter().map(String::as_str))
        });
        cmd.args_from(words)
    }
}

/// Where a client's client-side caching invalidations go, as `CLIENT GETREDIR` and `CLIENT
/// TRACKINGINFO` report it (and the `redir` field of [`ClientInfo`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrackingRedirect {
    /// `-1`: tracking is off.
    NotTracking,
    /// `0`: tracking is on and invalidations come on the connection itself.
    NotRedirected,
    /// Tracking is on and invalidations go to the client with this id.
    To(u64),
}

impl TrackingRedirect {
    fn from_int(n: i64) -> TrackingRedirect {
        match u64::try_from(n) {
            Ok(0) => TrackingRedirect::NotRedirected,
            Ok(id) => TrackingRedirect::To(id),
            Err(_) => TrackingRedirect::NotTracking,
        }
    }
}

impl FromValue for TrackingRedirect {
    fn from_value(value: Value) -> Result<Self> {
        i64::from_value(value).map(TrackingRedirect::from_int)
    }
}

/// One flag of `CLIENT TRACKINGINFO`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrackingFlag {
    /// `off`: tracking is off.
    Off,
    /// `on`: tracking is on.
    On,
    /// `bcast`: broadcasting mode (by prefix).
    Bcast,
    /// `optin`: only keys read after `CLIENT CACHING yes` are tracked.
    OptIn,
    /// `optout`: keys read after `CLIENT CACHING no` are not tracked.
    OptOut,
    /// `caching-yes`: the next command's keys are tracked (opt-in mode).
    CachingYes,
    /// `caching-no`: the next command's keys are not tracked (opt-out mode).
    CachingNo,
    /// `noloop`: no invalidations for keys this connection changed itself.
    NoLoop,
    /// `broken_redirect`: the client invalidations were redirected to is gone.
    BrokenRedirect,
    /// A flag this crate does not name, as the server spells it.
    Other(String),
}

impl FromValue for TrackingFlag {
    fn from_value(value: Value) -> Result<Self> {
        Ok(match String::from_value(value)?.as_str() {
            "off" => TrackingFlag::Off,
            "on" => TrackingFlag::On,
            "bcast" => TrackingFlag::Bcast,
            "optin" => TrackingFlag::OptIn,
            "optout" => TrackingFlag::OptOut,
            "caching-yes" => TrackingFlag::CachingYes,
            "caching-no" => TrackingFlag::CachingNo,
            "noloop" => TrackingFlag::NoLoop,
            "broken_redirect" => TrackingFlag::BrokenRedirect,
            other => TrackingFlag::Other(other.to_string()),
        })
    }
}

/// The reply of `CLIENT TRACKINGINFO`: the connection's client-side caching state. RESP3
/// sends a map with a set of flags, RESP2 a flat array; both convert alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClientTrackingInfo {
    /// The tracking flags (`[Off]` when tracking is off).
    pub flags: Vec<TrackingFlag>,
    /// Where invalidations go.
    pub redirect: TrackingRedirect,
    /// The key prefixes tracked in broadcasting mode (empty: every key).
    pub prefixes: Vec<Vec<u8>>,
}

impl ClientTrackingInfo {
    /// Whether tracking is on.
    pub fn is_on(&self) -> bool {
        self.flags.contains(&TrackingFlag::On)
    }
}

impl FromValue for ClientTrackingInfo {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a CLIENT TRACKINGINFO reply")?;
        Ok(ClientTrackingInfo {
            flags: f.req("flags")?,
            redirect: f.req("redirect")?,
            prefixes: f.req("prefixes")?,
        })
    }
}

/// The optional arguments of `CLIENT TRACKING ON`.
///
/// ```
/// use coredis::types::TrackingOptions;
/// let o = TrackingOptions::new().bcast().prefix("user:").prefix("session:").noloop();
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TrackingOptions {
    redirect: Option<u64>,
    prefixes: Vec<Vec<u8>>,
    bcast: bool,
    optin: bool,
    optout: bool,
    noloop: bool,
}

impl TrackingOptions {
    /// No options: track the keys this connection reads, invalidations on itself (RESP3).
    #[must_use]
    pub fn new() -> TrackingOptions {
        TrackingOptions::default()
    }

    /// `REDIRECT client-id`: send the invalidations to another connection (with RESP2, the
    /// only way: that connection subscribes to `__redis__:invalidate`).
    #[must_use]
    pub fn redirect(mut self, client_id: u64) -> TrackingOptions {
        self.redirect = Some(client_id);
        self
    }

    /// `PREFIX prefix` (repeatable): in broadcasting mode, track only keys starting with
    /// `prefix`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<Vec<u8>>) -> TrackingOptions {
        self.prefixes.push(prefix.into());
        self
    }

    /// `BCAST`: broadcasting mode: invalidations for every key (with the prefixes given),
    /// read or not.
    #[must_use]
    pub fn bcast(mut self) -> TrackingOptions {
        self.bcast = true;
        self
    }

    /// `OPTIN`: track only the keys of commands sent right after `CLIENT CACHING yes`.
    #[must_use]
    pub fn optin(mut self) -> TrackingOptions {
        self.optin = true;
        self
    }

    /// `OPTOUT`: track every key but those of commands sent right after `CLIENT CACHING no`.
    #[must_use]
    pub fn optout(mut self) -> TrackingOptions {
        self.optout = true;
        self
    }

    /// `NOLOOP`: no invalidations for keys this connection changes itself.
    #[must_use]
    pub fn noloop(mut self) -> TrackingOptions {
        self.noloop = true;
        self
    }

    pub(crate) fn apply<T>(&self, mut cmd: Cmd<T>) -> Cmd<T> {
        cmd = cmd.opt("REDIRECT", self.redirect);
        for p in &self.prefixes {
            cmd = cmd.arg("PREFIX").arg(p);
        }
        cmd.flag(self.bcast, "BCAST")
            .flag(self.optin, "OPTIN")
            .flag(self.optout, "OPTOUT")
            .flag(self.noloop, "NOLOOP")
    }
}

/// What `CLIENT PAUSE` holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PauseMode {
    /// `WRITE`: only commands that may write (reads go on).
    Write,
    /// `ALL`: every command of every client (the default).
    All,
}

impl PauseMode {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            PauseMode::Write => "WRITE",
            PauseMode::All => "ALL",
        }
    }
}

/// How `CLIENT UNBLOCK` ends the blocking command of another client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnblockType {
    /// `TIMEOUT`: as if its timeout had passed (the default): it returns its timeout reply.
    Timeout,
    /// `ERROR`: it fails with an `UNBLOCKED` error.
    Error,
}

impl UnblockType {
    /// The token sent to the server.
    pub fn token(self) -> &'static str {
        match self {
            UnblockType::Timeout => "TIMEOUT",
            UnblockType::Error => "ERROR",
        }
    }
}

/// What `CLIENT SETINFO` sets: one attribute of the connection, shown by `CLIENT LIST`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientSetInfo {
    /// `LIB-NAME name`: the client library's name (no spaces or newlines).
    LibName(String),
    /// `LIB-VER version`: the client library's version (no spaces or newlines).
    LibVer(String),
}

impl ClientSetInfo {
    pub(crate) fn apply<T>(&self, cmd: Cmd<T>) -> Cmd<T> {
        match self {
            ClientSetInfo::LibName(n) => cmd.arg("LIB-NAME").arg(n),
            ClientSetInfo::LibVer(v) => cmd.arg("LIB-VER").arg(v),
        }
    }
}

/// One client connection as `CLIENT INFO` and `CLIENT LIST` describe it.
///
/// The fields every supported server (Redis 6.2+, Valkey) sends are plain values; those
/// added later are `Option`s (`None` from servers without them); fields this crate does not
/// name are kept in [`ClientInfo::other`]. Both protocols send the same text (a RESP3
/// verbatim string or a RESP2 bulk string).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ClientInfo {
    /// `id`: the client's unique id.
    pub id: u64,
    /// `addr`: the client's address, `ip:port` (or a unix socket path).
    pub addr: String,
    /// `laddr`: the server address the client connected to (Redis 6.2+).
    pub laddr: Option<String>,
    /// `fd`: the socket's file descriptor (`-1` for internal clients).
    pub fd: i64,
    /// `name`: the connection name (`None` when unset).
    pub name: Option<String>,
    /// `age`: how long the client has been connected.
    pub age: Duration,
    /// `idle`: how long since its last command.
    pub idle: Duration,
    /// `flags`: one letter per flag (`N` none, `M` primary, `S` replica, `P` pub/sub, `x`
    /// in `MULTI`, `b` blocked, `t` tracking, `R` tracking redirect broken, `T` no-touch,
    /// `e` no-evict, `I` import source, …).
    pub flags: String,
    /// `capa`: the capabilities the client declared, one letter each (`r`: `redirect`;
    /// Valkey 8.0+; see `CLIENT CAPA`).
    pub capa: Option<String>,
    /// `db`: the selected database.
    pub db: i64,
    /// `sub`: channel subscriptions.
    pub sub: u64,
    /// `psub`: pattern subscriptions.
    pub psub: u64,
    /// `ssub`: shard channel subscriptions (Redis 7.0.3+).
    pub ssub: Option<u64>,
    /// `multi`: commands queued in the current transaction (`None` outside `MULTI`).
    pub multi: Option<u64>,
    /// `watch`: keys watched (Valkey 8.0+, Redis 7.4+).
    pub watch: Option<u64>,
    /// `qbuf`: query buffer length, in bytes.
    pub qbuf: u64,
    /// `qbuf-free`: free space of the query buffer, in bytes.
    pub qbuf_free: Option<u64>,
    /// `argv-mem`: memory of the arguments of the next command (Redis 6.2+).
    pub argv_mem: Option<u64>,
    /// `multi-mem`: memory of the queued transaction (Redis 7.0+).
    pub multi_mem: Option<u64>,
    /// `rbs`: read buffer size, in bytes (Redis 7.0+).
    pub rbs: Option<u64>,
    /// `rbp`: read buffer peak, in bytes (Redis 7.0+).
    pub rbp: Option<u64>,
    /// `obl`: output buffer length, in bytes.
    pub obl: u64,
    /// `oll`: output list length (replies queued beyond the buffer).
    pub oll: u64,
    /// `omem`: output list memory, in bytes.
    pub omem: u64,
    /// `tot-mem`: total memory of the client's buffers (Redis 6.2+).
    pub tot_mem: Option<u64>,
    /// `events`: the file events watched (`r`, `w`).
    pub events: String,
    /// `cmd`: the last command run (`client|info`, `get`, …).
    pub cmd: String,
    /// `user`: the authenticated ACL user (Redis 6.0+).
    pub user: Option<String>,
    /// `redir`: where client-side caching invalidations go (Redis 6.2+).
    pub redir: Option<TrackingRedirect>,
    /// `resp`: the protocol version, 2 or 3 (Redis 7.0+).
    pub resp: Option<u8>,
    /// `lib-name`: the client library's name, if it set one (Redis 7.2+).
    pub lib_name: Option<String>,
    /// `lib-ver`: the client library's version, if it set one (Redis 7.2+).
    pub lib_ver: Option<String>,
    /// Every other field, as sent (`io-thread`, `tot-net-in`, `tot-cmds`, …).
    pub other: BTreeMap<String, String>,
}

impl ClientInfo {
    /// Parses one line of `CLIENT LIST` (`id=3 addr=… …`).
    fn parse(line: &str) -> Result<ClientInfo> {
        let mut fields: BTreeMap<String, String> = line
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(|w| match w.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (w.to_string(), String::new()),
            })
            .collect();
        let mut take = |name: &str| fields.remove(name);
        let req = |name: &str, v: Option<String>| {
            v.ok_or_else(|| {
                Error::type_mismatch(
                    &format!("a CLIENT LIST line with the field `{name}`"),
                    "none",
                )
            })
        };
        fn num<T: std::str::FromStr>(name: &str, v: String) -> Result<T> {
            v.parse().map_err(|_| {
                Error::type_mismatch(
                    &format!("a number in the CLIENT LIST field `{name}`"),
                    format!("{v:?}"),
                )
            })
        }
        let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
        macro_rules! req_num {
            ($name:literal) => {
                num($name, req($name, take($name))?)?
            };
        }
        macro_rules! opt_num {
            ($name:literal) => {
                match take($name) {
                    Some(v) => Some(num($name, v)?),
                    None => None,
                }
            };
        }
        let multi: i64 = req_num!("multi");
        let redir: Option<i64> = opt_num!("redir");
        let info = ClientInfo {
            id: req_num!("id"),
            addr: req("addr", take("addr"))?,
            laddr: take("laddr"),
            fd: req_num!("fd"),
            name: non_empty(take("name")),
            age: Duration::from_secs(req_num!("age")),
            idle: Duration::from_secs(req_num!("idle")),
            flags: req("flags", take("flags"))?,
            capa: take("capa"),
            db: req_num!("db"),
            sub: req_num!("sub"),
            psub: req_num!("psub"),
            ssub: opt_num!("ssub"),
            multi: u64::try_from(multi).ok(),
            watch: opt_num!("watch"),
            qbuf: req_num!("qbuf"),
            qbuf_free: opt_num!("qbuf-free"),
            argv_mem: opt_num!("argv-mem"),
            multi_mem: opt_num!("multi-mem"),
            rbs: opt_num!("rbs"),
            rbp: opt_num!("rbp"),
            obl: req_num!("obl"),
            oll: req_num!("oll"),
            omem: req_num!("omem"),
            tot_mem: opt_num!("tot-mem"),
            events: req("events", take("events"))?,
            cmd: req("cmd", take("cmd"))?,
            user: take("user"),
            redir: redir.map(TrackingRedirect::from_int),
            resp: opt_num!("resp"),
            lib_name: non_empty(take("lib-name")),
            lib_ver: non_empty(take("lib-ver")),
            other: BTreeMap::new(),
        };
        Ok(ClientInfo {
            other: fields,
            ..info
        })
    }

    /// The text of a `CLIENT INFO` / `CLIENT LIST` reply.
    fn text(value: Value) -> Result<String> {
        String::from_value(value)
    }
}

impl FromValue for ClientInfo {
    fn from_value(value: Value) -> Result<Self> {
        let text = ClientInfo::text(value)?;
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        match (lines.next(), lines.next()) {
            (Some(line), None) => ClientInfo::parse(line),
            (None, _) => Err(Error::type_mismatch("a CLIENT INFO line", "empty text")),
            (Some(_), Some(_)) => Err(Error::type_mismatch(
                "one CLIENT INFO line",
                "several lines (ask for a Vec<ClientInfo>)",
            )),
        }
    }

    /// `CLIENT LIST`: one client per line of one string (an array of lines is read too).
    fn from_aggregate(value: Value) -> Result<Vec<Self>> {
        match value {
            Value::Array(items) => items.into_iter().map(ClientInfo::from_value).collect(),
            v => ClientInfo::text(v)?
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(ClientInfo::parse)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const VALKEY: &str = "id=4 addr=127.0.0.1:46176 laddr=127.0.0.1:23457 fd=12 name=me \
        age=3 idle=1 flags=tT capa=r db=2 sub=1 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 \
        qbuf-free=0 argv-mem=10 multi-mem=0 rbs=16392 rbp=16392 obl=0 oll=0 omem=0 \
        tot-mem=17242 events=r cmd=client|info user=default redir=0 resp=3 lib-name=x \
        lib-ver= tot-net-in=1592 tot-net-out=1804 tot-cmds=30";
    const REDIS62: &str = "id=3 addr=127.0.0.1:49544 laddr=127.0.0.1:22728 fd=8 name= age=0 \
        idle=0 flags=N db=0 sub=0 psub=0 multi=2 qbuf=26 qbuf-free=32744 argv-mem=10 obl=0 \
        oll=0 omem=0 tot-mem=49810 events=r cmd=client user=default redir=-1";

    #[test]
    fn client_info_lines_of_every_version() {
        let v = ClientInfo::parse(VALKEY).unwrap();
        assert_eq!(v.id, 4);
        assert_eq!(v.name.as_deref(), Some("me"));
        assert_eq!(v.age, Duration::from_secs(3));
        assert_eq!(v.db, 2);
        assert_eq!(v.multi, None);
        assert_eq!(v.redir, Some(TrackingRedirect::NotRedirected));
        assert_eq!(v.resp, Some(3));
        assert_eq!(v.lib_name.as_deref(), Some("x"));
        assert_eq!(v.lib_ver, None);
        assert_eq!(v.capa.as_deref(), Some("r"));
        assert_eq!(v.cmd, "client|info");
        assert_eq!(v.other.get("tot-cmds").map(String::as_str), Some("30"));
        assert_eq!(v.other.len(), 3);
        let r = ClientInfo::parse(REDIS62).unwrap();
        assert_eq!(r.name, None);
        assert_eq!(r.multi, Some(2));
        assert_eq!(r.ssub, None);
        assert_eq!(r.resp, None);
        assert_eq!(r.redir, Some(TrackingRedirect::NotTracking));
        assert!(r.other.is_empty());
    }

    #[test]
    fn client_info_replies_never_panic() {
        let bulk = |s: &str| Value::Bulk(Bytes::copy_from_slice(s.as_bytes()));
        let verbatim = Value::Verbatim {
            format: *b"txt",
            text: Bytes::from(format!("{VALKEY}\n")),
        };
        assert_eq!(ClientInfo::from_value(verbatim).unwrap().id, 4);
        let list = bulk(&format!("{VALKEY}\n{REDIS62}\n"));
        let all = Vec::<ClientInfo>::from_value(list.clone()).unwrap();
        assert_eq!(all.iter().map(|c| c.id).collect::<Vec<_>>(), [4, 3]);
        assert!(ClientInfo::from_value(list).is_err(), "two lines for one");
        assert!(Vec::<ClientInfo>::from_value(bulk("")).unwrap().is_empty());
        for bad in [
            bulk(""),
            bulk("id=x addr=a"),
            bulk("addr=a"),
            bulk("id=1"),
            bulk("=== = =x"),
            Value::Int(3),
            Value::Nil,
        ] {
            assert!(ClientInfo::from_value(bad).is_err());
        }
    }

    #[test]
    fn filters_in_order() {
        let c: Cmd<Value> = ClientFilter::new()
            .ids([1, 2])
            .client_type(ClientType::PubSub)
            .skipme(false)
            .maxage(Duration::from_millis(1500))
            .not_name("x")
            .apply(Cmd::new("CLIENT KILL"));
        let words: Vec<&[u8]> = c.request().args().collect();
        assert_eq!(
            words,
            [
                &b"CLIENT"[..],
                b"KILL",
                b"ID",
                b"1",
                b"2",
                b"TYPE",
                b"PUBSUB",
                b"SKIPME",
                b"NO",
                b"MAXAGE",
                b"2",
                b"NOT-NAME",
                b"x"
            ]
        );
        let empty: Cmd<Value> = ClientFilter::new().apply(Cmd::new("CLIENT KILL"));
        assert!(empty.request().check_valid().is_err());
    }

    #[test]
    fn tracking_info_from_both_protocols() {
        let bulk = |s: &str| Value::Bulk(Bytes::copy_from_slice(s.as_bytes()));
        let resp3 = Value::Map(vec![
            (
                bulk("flags"),
                Value::Set(vec![bulk("on"), bulk("bcast"), bulk("new-flag")]),
            ),
            (bulk("redirect"), Value::Int(7)),
            (bulk("prefixes"), Value::Array(vec![bulk("a")])),
        ]);
        let resp2 = Value::Array(vec![
            bulk("flags"),
            Value::Array(vec![bulk("on"), bulk("bcast"), bulk("new-flag")]),
            bulk("redirect"),
            Value::Int(7),
            bulk("prefixes"),
            Value::Array(vec![bulk("a")]),
        ]);
        let a = ClientTrackingInfo::from_value(resp3).unwrap();
        assert_eq!(a, ClientTrackingInfo::from_value(resp2).unwrap());
        assert!(a.is_on());
        assert_eq!(a.redirect, TrackingRedirect::To(7));
        assert_eq!(a.flags[2], TrackingFlag::Other("new-flag".into()));
        assert_eq!(a.prefixes, [b"a".to_vec()]);
    }
}
