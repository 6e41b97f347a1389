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
}

impl FromValue for Info {
    fn from_value(value: Value) -> Result<Self> {
        String::from_value(value).map(|s| Info::parse(&s))
    }
}
