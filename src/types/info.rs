//! The parsed reply of `INFO`.

use crate::error::Result;
use crate::from_value::FromValue;
use crate::value::Value;

/// The reply of `INFO`: sections of `field:value` lines, in the order the server sent them.
///
/// ```
/// use coredis::{FromValue, Info, Value};
/// let raw = "# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0\r\n";
/// let info = Info::from_value(Value::Bulk(raw.into())).unwrap();
/// assert_eq!(info.get("redis_version"), Some("7.0.15"));
/// assert_eq!(info.section("keyspace").map(|s| s.len()), Some(1));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Info {
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl Info {
    /// Parses the text of an `INFO` reply. Lines without a `:` outside a `# Section` header are
    /// kept under the field name with an empty value.
    pub fn parse(text: &str) -> Info {
        let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('#') {
                sections.push((name.trim().to_string(), Vec::new()));
                continue;
            }
            let (k, v) = line.split_once(':').unwrap_or((line, ""));
            if sections.is_empty() {
                sections.push((String::new(), Vec::new()));
            }
            if let Some((_, fields)) = sections.last_mut() {
                fields.push((k.to_string(), v.to_string()));
            }
        }
        Info { sections }
    }

    /// The value of `field` in any section.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.sections
            .iter()
            .flat_map(|(_, f)| f.iter())
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    /// The fields of the section named `name` (case-insensitive, e.g. `"server"`).
    pub fn section(&self, name: &str) -> Option<&[(String, String)]> {
        self.sections
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, f)| f.as_slice())
    }

    /// The section names, in order.
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections.iter().map(|(n, _)| n.as_str())
    }

    /// The `# Keyspace` section parsed: one entry per database with keys, in order.
    /// Lines that do not parse are skipped.
    ///
    /// ```
    /// use coredis::{FromValue, Info, Value};
    /// let raw = "# Keyspace\r\ndb0:keys=10,expires=2,avg_ttl=300\r\ndb3:keys=1,expires=0\r\n";
    /// let info = Info::from_value(Value::Bulk(raw.into())).unwrap();
    /// let ks = info.keyspace();
    /// assert_eq!((ks[0].db, ks[0].keys, ks[0].expires, ks[0].avg_ttl_ms), (0, 10, 2, 300));
    /// assert_eq!(ks[1].db, 3);
    /// ```
    pub fn keyspace(&self) -> Vec<KeyspaceStats> {
        self.section("keyspace")
            .unwrap_or_default()
            .iter()
            .filter_map(|(db, stats)| KeyspaceStats::parse(db, stats))
            .collect()
    }
}

/// One database's line of `INFO keyspace` (`db0:keys=1,expires=0,avg_ttl=0`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct KeyspaceStats {
    /// The database number.
    pub db: i64,
    /// How many keys it holds.
    pub keys: u64,
    /// How many of them have a time to live.
    pub expires: u64,
    /// The average time to live of those, in milliseconds (an estimate; 0 when none).
    pub avg_ttl_ms: u64,
}

impl KeyspaceStats {
    fn parse(db: &str, stats: &str) -> Option<KeyspaceStats> {
        let mut out = KeyspaceStats {
            db: db.strip_prefix("db")?.parse().ok()?,
            ..KeyspaceStats::default()
        };
        for field in stats.split(',') {
            let (k, v) = field.split_once('=')?;
            match k {
                "keys" => out.keys = v.parse().ok()?,
                "expires" => out.expires = v.parse().ok()?,
                "avg_ttl" => out.avg_ttl_ms = v.parse().ok()?,
                _ => {}
            }
        }
        Some(out)
    }
}

impl FromValue for Info {
    fn from_value(value: Value) -> Result<Self> {
        String::from_value(value).map(|s| Info::parse(&s))
    }
}

/// What the server said about itself when the connection was opened (the `HELLO` reply), from
/// [`crate::Redis::server_info`]. Fields are `None` for servers without `HELLO` (before 6.0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ServerInfo {
    /// `redis` or `valkey`.
    pub name: Option<String>,
    /// The server's version, `7.0.15`.
    pub version: Option<String>,
    /// `standalone`, `cluster` or `sentinel` (Redis calls it `redis_mode` in `INFO`, Valkey
    /// `server_mode`; `HELLO` says `mode` for both).
    pub mode: Option<String>,
    /// `master` or `replica`.
    pub role: Option<String>,
    /// The RESP version the connection speaks: 2 or 3.
    pub protocol: u8,
    /// The connection's id (`CLIENT ID`).
    pub client_id: Option<i64>,
}

impl ServerInfo {
    /// The version as numbers, for feature checks: `(7, 0, 15)`. `None` when unknown.
    ///
    /// ```
    /// let mut info = coredis::ServerInfo::default();
    /// info.version = Some("7.2.4".into());
    /// assert!(info.version_numbers() >= Some((7, 2, 0)));
    /// ```
    pub fn version_numbers(&self) -> Option<(u32, u32, u32)> {
        let mut parts = self
            .version
            .as_deref()?
            .split('.')
            .map(|p| p.parse::<u32>());
        let major = parts.next()?.ok()?;
        let minor = parts.next().and_then(|p| p.ok()).unwrap_or(0);
        let patch = parts.next().and_then(|p| p.ok()).unwrap_or(0);
        Some((major, minor, patch))
    }
}
