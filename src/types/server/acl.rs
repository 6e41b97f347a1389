//! The replies of `ACL GETUSER`, `ACL LOG` and `ACL DRYRUN`.
//!
//! `ACL GETUSER` differs between servers: Redis 6.2 lists key and channel patterns as arrays
//! (`["cache:*"]`), Redis 7.0 and Valkey as rule text (`"~cache:* %R~ro:*"`), and adds
//! selectors; Valkey 9.1 adds `databases`. [`AclUser`] reads all of them into the 7.0 form.

use std::time::{Duration, SystemTime};

use super::{secs_f64, unix_millis, Fields};
use crate::error::Result;
use crate::from_value::FromValue;
use crate::value::Value;

/// A user's rules, as `ACL GETUSER` describes them.
///
/// ```no_run
/// # use coredis::prelude::*;
/// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// r.acl_setuser_with("app", ["on", ">secret", "~app:*", "+@read"])?;
/// let user = r.acl_getuser("app")?.expect("just created");
/// assert!(user.flags.iter().any(|f| f == "on"));
/// assert_eq!(user.keys, "~app:*");
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AclUser {
    /// Flags: `on`/`off`, `nopass`, `skip-sanitize-payload`, … (Redis 6.2 also `allkeys`,
    /// `allchannels`, `allcommands`).
    pub flags: Vec<String>,
    /// The SHA-256 hashes (hex) of the user's passwords.
    pub passwords: Vec<String>,
    /// The command rules (`+@all -debug`).
    pub commands: String,
    /// The key patterns as rules (`~cache:* %R~ro:*`; empty: no key). From Redis 6.2, whose
    /// reply lists bare patterns, each pattern is written `~pattern`.
    pub keys: String,
    /// The channel patterns as rules (`&chan:*`; empty: no channel). From Redis 6.2, each
    /// pattern is written `&pattern`.
    pub channels: String,
    /// The databases the user may select (`alldbs`, or a list; Valkey 9.1+).
    pub databases: Option<String>,
    /// The user's selectors: further sets of rules, any of which may allow a command (Redis
    /// 7.0+; empty before).
    pub selectors: Vec<AclSelector>,
}

/// One selector of a user: rules that allow a command on their own (Redis 7.0+).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AclSelector {
    /// The command rules.
    pub commands: String,
    /// The key patterns as rules.
    pub keys: String,
    /// The channel patterns as rules.
    pub channels: String,
    /// The databases (Valkey 9.1+).
    pub databases: Option<String>,
}

/// A pattern field: rule text (7.0+), or a list of bare patterns (6.2) given `prefix`.
fn patterns(value: Option<Value>, prefix: &str) -> Result<String> {
    match value {
        None | Some(Value::Nil) => Ok(String::new()),
        Some(v @ (Value::Array(_) | Value::Set(_))) => Ok(Vec::<String>::from_value(v)?
            .iter()
            .map(|p| format!("{prefix}{p}"))
            .collect::<Vec<_>>()
            .join(" ")),
        Some(v) => String::from_value(v),
    }
}

impl FromValue for AclUser {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "an ACL GETUSER reply")?;
        Ok(AclUser {
            flags: f.list("flags")?,
            passwords: f.list("passwords")?,
            commands: f.opt("commands")?.unwrap_or_default(),
            keys: patterns(f.take("keys"), "~")?,
            channels: patterns(f.take("channels"), "&")?,
            databases: f.opt("databases")?,
            selectors: f.list("selectors")?,
        })
    }
}

impl FromValue for AclSelector {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "an ACL selector")?;
        Ok(AclSelector {
            commands: f.opt("commands")?.unwrap_or_default(),
            keys: patterns(f.take("keys"), "~")?,
            channels: patterns(f.take("channels"), "&")?,
            databases: f.opt("databases")?,
        })
    }
}

/// The reply of `ACL DRYRUN`: whether the user may run the command. A denial is a normal
/// reply (the reason as text), not an error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AclDryRun {
    /// The user may run it (`OK`).
    Allowed,
    /// The user may not; the server's explanation (`User alice has no permissions to run the
    /// 'del' command`).
    Denied(String),
}

impl AclDryRun {
    /// Whether the command is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, AclDryRun::Allowed)
    }
}

impl FromValue for AclDryRun {
    fn from_value(value: Value) -> Result<Self> {
        match value {
            Value::SimpleString(s) if &s[..] == b"OK" => Ok(AclDryRun::Allowed),
            v => String::from_value(v).map(AclDryRun::Denied),
        }
    }
}

/// Why an `ACL LOG` entry was logged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AclLogReason {
    /// `auth`: a failed `AUTH` or `HELLO`.
    Auth,
    /// `command`: a command the user may not run.
    Command,
    /// `key`: a key the user may not access.
    Key,
    /// `channel`: a channel the user may not access.
    Channel,
    /// Any other reason, as the server names it.
    Other(String),
}

impl AclLogReason {
    /// The reason the server calls `name`.
    pub fn from_name(name: &str) -> AclLogReason {
        match name {
            "auth" => AclLogReason::Auth,
            "command" => AclLogReason::Command,
            "key" => AclLogReason::Key,
            "channel" => AclLogReason::Channel,
            other => AclLogReason::Other(other.to_string()),
        }
    }
}

/// One entry of `ACL LOG`: a refused authentication or access, with how often it repeated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AclLogEntry {
    /// How many times it happened (similar events within 60 s are counted in one entry).
    pub count: u64,
    /// What was refused.
    pub reason: AclLogReason,
    /// Where: `toplevel`, `multi`, `lua`, `module`.
    pub context: String,
    /// The command, key or channel refused (`AUTH` for authentication failures).
    pub object: String,
    /// The user concerned.
    pub username: String,
    /// How long ago the entry was last updated.
    pub age: Duration,
    /// The client, in `CLIENT LIST` format.
    pub client_info: String,
    /// The entry's id (Redis 7.2+, Valkey).
    pub entry_id: Option<u64>,
    /// When the entry was created (Redis 7.2+, Valkey).
    pub created: Option<SystemTime>,
    /// When the entry was last updated (Redis 7.2+, Valkey).
    pub last_updated: Option<SystemTime>,
}

impl FromValue for AclLogEntry {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "an ACL LOG entry")?;
        Ok(AclLogEntry {
            count: f.req("count")?,
            reason: AclLogReason::from_name(&f.req::<String>("reason")?),
            context: f.req("context")?,
            object: f.req("object")?,
            username: f.req("username")?,
            age: secs_f64(f.req("age-seconds")?),
            client_info: f.req("client-info")?,
            entry_id: f.opt("entry-id")?,
            created: f.opt::<i64>("timestamp-created")?.map(unix_millis),
            last_updated: f.opt::<i64>("timestamp-last-updated")?.map(unix_millis),
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

    fn flat(kv: Vec<(&str, Value)>) -> Value {
        Value::Array(kv.into_iter().flat_map(|(k, v)| [bulk(k), v]).collect())
    }

    fn map(kv: Vec<(&str, Value)>) -> Value {
        Value::Map(kv.into_iter().map(|(k, v)| (bulk(k), v)).collect())
    }

    #[test]
    fn getuser_of_every_server() {
        let selector = |shape: fn(Vec<(&str, Value)>) -> Value| {
            shape(vec![
                ("commands", bulk("-@all +hget")),
                ("keys", bulk("~sel:*")),
                ("channels", bulk("")),
            ])
        };
        let fields = |shape: fn(Vec<(&str, Value)>) -> Value| {
            vec![
                ("flags", Value::Set(vec![bulk("on")])),
                ("passwords", Value::Array(vec![bulk("ab12")])),
                ("commands", bulk("-@all +get")),
                ("keys", bulk("~cache:* %R~ro:*")),
                ("channels", bulk("&chan")),
                ("selectors", Value::Array(vec![selector(shape)])),
            ]
        };
        let want = AclUser {
            flags: vec!["on".into()],
            passwords: vec!["ab12".into()],
            commands: "-@all +get".into(),
            keys: "~cache:* %R~ro:*".into(),
            channels: "&chan".into(),
            databases: None,
            selectors: vec![AclSelector {
                commands: "-@all +hget".into(),
                keys: "~sel:*".into(),
                channels: String::new(),
                databases: None,
            }],
        };
        assert_eq!(AclUser::from_value(map(fields(map))).unwrap(), want);
        assert_eq!(AclUser::from_value(flat(fields(flat))).unwrap(), want);

        // Redis 6.2: patterns as arrays, no selectors.
        let old = flat(vec![
            ("flags", Value::Array(vec![bulk("on"), bulk("allchannels")])),
            ("passwords", Value::Array(vec![])),
            ("commands", bulk("+@all")),
            ("keys", Value::Array(vec![bulk("a:*"), bulk("b")])),
            ("channels", Value::Array(vec![bulk("*")])),
        ]);
        let u = AclUser::from_value(old).unwrap();
        assert_eq!((u.keys.as_str(), u.channels.as_str()), ("~a:* ~b", "&*"));
        assert!(u.selectors.is_empty());

        // Valkey 9: databases.
        let mut v = fields(map);
        v.push(("databases", bulk("alldbs")));
        let u = AclUser::from_value(map(v)).unwrap();
        assert_eq!(u.databases.as_deref(), Some("alldbs"));
        assert!(Option::<AclUser>::from_value(Value::Nil).unwrap().is_none());
        assert!(AclUser::from_value(Value::Int(1)).is_err());
    }

    #[test]
    fn dryrun_and_log() {
        assert_eq!(
            AclDryRun::from_value(Value::SimpleString("OK".into())).unwrap(),
            AclDryRun::Allowed
        );
        assert_eq!(
            AclDryRun::from_value(bulk("no")).unwrap(),
            AclDryRun::Denied("no".into())
        );
        let entry = |age: Value, extra: bool| {
            let mut kv = vec![
                ("count", Value::Int(2)),
                ("reason", bulk("command")),
                ("context", bulk("toplevel")),
                ("object", bulk("set")),
                ("username", bulk("dave")),
                ("age-seconds", age),
                ("client-info", bulk("id=8")),
            ];
            if extra {
                kv.push(("entry-id", Value::Int(4)));
                kv.push(("timestamp-created", Value::Int(1_000)));
                kv.push(("timestamp-last-updated", Value::Int(2_000)));
            }
            kv
        };
        let a = AclLogEntry::from_value(flat(entry(bulk("1.5"), false))).unwrap();
        let b = AclLogEntry::from_value(map(entry(Value::Double(1.5), false))).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.age, Duration::from_millis(1500));
        assert_eq!(a.reason, AclLogReason::Command);
        assert_eq!(a.entry_id, None);
        let c = AclLogEntry::from_value(map(entry(Value::Double(0.0), true))).unwrap();
        assert_eq!(c.entry_id, Some(4));
        assert_eq!(
            c.last_updated,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(2))
        );
        assert!(AclLogEntry::from_value(flat(vec![("count", Value::Int(1))])).is_err());
    }
}
