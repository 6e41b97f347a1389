//! The replies of `COMMAND`, `COMMAND INFO`, `COMMAND DOCS` and `COMMAND GETKEYSANDFLAGS`,
//! and the filter of `COMMAND LIST`.
//!
//! `COMMAND INFO` grew over the versions: ACL categories came with Redis 6.0; tips, key
//! specifications and subcommands with 7.0. Older servers' replies read with those fields
//! empty.

use crate::cmd::Cmd;
use crate::error::{Error, Result};
use crate::from_value::FromValue;
use crate::types::fields::Fields;
use crate::value::Value;

/// What `COMMAND INFO` (and `COMMAND`) says about one command.
///
/// ```no_run
/// # use coredis::prelude::*;
/// # let r = coredis::Redis::from_url("redis://127.0.0.1")?;
/// let info = r.command_info_with(["get"])?;
/// let get = info[0].as_ref().expect("GET exists");
/// assert_eq!((get.arity, get.first_key), (2, 1));
/// assert!(get.flags.iter().any(|f| f == "readonly"));
/// # Ok::<(), coredis::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CommandInfo {
    /// The name, lower case (`get`; `config|get` for a subcommand).
    pub name: String,
    /// The number of arguments, the name included; negative: at least that many.
    pub arity: i64,
    /// Flags: `readonly`, `write`, `fast`, `admin`, `noscript`, `blocking`, ….
    pub flags: Vec<String>,
    /// The position of the first key (0: no keys).
    pub first_key: i64,
    /// The position of the last key (negative: counted from the end).
    pub last_key: i64,
    /// The step between keys (2 for `MSET key value key value`).
    pub step: i64,
    /// ACL categories, with their `@` (Redis 6.0+).
    pub acl_categories: Vec<String>,
    /// Hints for clients and proxies (`nondeterministic_output`, `request_policy:all_shards`,
    /// …; Redis 7.0+).
    pub tips: Vec<String>,
    /// Where the keys are, precisely (Redis 7.0+).
    pub key_specs: Vec<KeySpec>,
    /// The subcommands of a container command (`CONFIG GET`, …; Redis 7.0+).
    pub subcommands: Vec<CommandInfo>,
}

impl FromValue for CommandInfo {
    fn from_value(value: Value) -> Result<Self> {
        let items = Vec::<Value>::from_value(value)?;
        let mut it = items.into_iter();
        let mut next = |what: &str| {
            it.next().ok_or_else(|| {
                Error::type_mismatch(&format!("a COMMAND INFO entry with {what}"), "fewer")
            })
        };
        let mut out = CommandInfo {
            name: String::from_value(next("a name")?)?,
            arity: i64::from_value(next("an arity")?)?,
            flags: Vec::from_value(next("flags")?)?,
            first_key: i64::from_value(next("a first key")?)?,
            last_key: i64::from_value(next("a last key")?)?,
            step: i64::from_value(next("a step")?)?,
            ..CommandInfo::default()
        };
        if let Ok(v) = next("") {
            out.acl_categories = Vec::from_value(v)?;
        }
        if let Ok(v) = next("") {
            out.tips = Vec::from_value(v)?;
        }
        if let Ok(v) = next("") {
            out.key_specs = Vec::from_value(v)?;
        }
        if let Ok(v) = next("") {
            out.subcommands = Vec::from_value(v)?;
        }
        Ok(out)
    }
}

/// A key specification: where one group of keys of a command is, and what the command does
/// with them (Redis 7.0+).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct KeySpec {
    /// A remark of the command's authors.
    pub notes: Option<String>,
    /// What is done to the keys: `RO`, `RW`, `OW`, `RM`, `access`, `update`, `insert`,
    /// `delete`, `incomplete`, ….
    pub flags: Vec<String>,
    /// Where the search for the keys starts.
    pub begin_search: BeginSearch,
    /// How the keys are found from there.
    pub find_keys: FindKeys,
}

impl FromValue for KeySpec {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a key specification")?;
        Ok(KeySpec {
            notes: f.opt("notes")?,
            flags: f.list("flags")?,
            begin_search: f.req("begin_search")?,
            find_keys: f.req("find_keys")?,
        })
    }
}

/// Where the search for a command's keys starts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BeginSearch {
    /// `index`: at this argument position.
    Index(i64),
    /// `keyword`: after the argument `keyword`, searched from position `start_from` (negative:
    /// from the end, backwards).
    Keyword {
        /// The keyword (`KEYS`, `STREAMS`).
        keyword: String,
        /// Where the search for the keyword starts.
        start_from: i64,
    },
    /// `unknown`, or a kind this crate does not know: the keys cannot be found from the
    /// specification.
    Unknown,
}

/// The `type` and `spec` of a `begin_search` or `find_keys` map.
fn typed_spec(value: Value, what: &'static str) -> Result<(String, Fields)> {
    let mut f = Fields::read(value, what)?;
    let kind = f.req::<String>("type")?;
    let spec = match f.take("spec") {
        Some(v) => Fields::read(v, what)?,
        None => Fields::read(Value::Array(Vec::new()), what)?,
    };
    Ok((kind, spec))
}

impl FromValue for BeginSearch {
    fn from_value(value: Value) -> Result<Self> {
        let (kind, mut spec) = typed_spec(value, "a begin_search specification")?;
        Ok(match kind.as_str() {
            "index" => BeginSearch::Index(spec.req("index")?),
            "keyword" => BeginSearch::Keyword {
                keyword: spec.req("keyword")?,
                start_from: spec.req("startfrom")?,
            },
            _ => BeginSearch::Unknown,
        })
    }
}

/// How a command's keys are found once the search has begun.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FindKeys {
    /// `range`: keys up to `last_key` (relative to the start; negative: from the end), every
    /// `step` arguments; `limit` above 1: only that fraction of the remaining arguments.
    Range {
        /// The last key, relative to where the search began.
        last_key: i64,
        /// The step between keys.
        step: i64,
        /// The fraction of the remaining arguments holding keys (0 or 1: all).
        limit: i64,
    },
    /// `keynum`: an argument gives the number of keys.
    KeyNum {
        /// Where the number of keys is, relative to where the search began.
        key_num_index: i64,
        /// Where the first key is, relative to where the search began.
        first_key: i64,
        /// The step between keys.
        step: i64,
    },
    /// `unknown`, or a kind this crate does not know.
    Unknown,
}

impl FromValue for FindKeys {
    fn from_value(value: Value) -> Result<Self> {
        let (kind, mut spec) = typed_spec(value, "a find_keys specification")?;
        Ok(match kind.as_str() {
            "range" => FindKeys::Range {
                last_key: spec.req("lastkey")?,
                step: spec.req("keystep")?,
                limit: spec.req("limit")?,
            },
            "keynum" => FindKeys::KeyNum {
                key_num_index: spec.req("keynumidx")?,
                first_key: spec.req("firstkey")?,
                step: spec.req("keystep")?,
            },
            _ => FindKeys::Unknown,
        })
    }
}

/// The documentation of a command, from `COMMAND DOCS`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CommandDoc {
    /// The name, lower case (`set`; `config|get` for a subcommand).
    pub name: String,
    /// What it does, in a sentence.
    pub summary: Option<String>,
    /// The version that added it (`1.0.0`).
    pub since: Option<String>,
    /// Its group (`string`, `server`, `module`, …).
    pub group: String,
    /// Its time complexity.
    pub complexity: Option<String>,
    /// The module that provides it.
    pub module: Option<String>,
    /// Documentation flags: `deprecated`, `syscmd`.
    pub doc_flags: Vec<String>,
    /// The version that deprecated it.
    pub deprecated_since: Option<String>,
    /// What replaces it, when deprecated (``"`REPLICAOF`"``).
    pub replaced_by: Option<String>,
    /// Its changes over the versions.
    pub history: Vec<CommandHistoryEntry>,
    /// Its arguments.
    pub arguments: Vec<CommandArgument>,
    /// Its subcommands (for a container such as `CONFIG`).
    pub subcommands: Vec<CommandDoc>,
}

impl CommandDoc {
    fn read(name: String, value: Value) -> Result<CommandDoc> {
        let mut f = Fields::read(value, "a COMMAND DOCS entry")?;
        Ok(CommandDoc {
            name,
            summary: f.opt("summary")?,
            since: f.opt("since")?,
            group: f.opt("group")?.unwrap_or_default(),
            complexity: f.opt("complexity")?,
            module: f.opt("module")?,
            doc_flags: f.list("doc_flags")?,
            deprecated_since: f.opt("deprecated_since")?,
            replaced_by: f.opt("replaced_by")?,
            history: f.list("history")?,
            arguments: f.list("arguments")?,
            subcommands: match f.take("subcommands") {
                Some(v) => CommandDoc::read_all(v)?,
                None => Vec::new(),
            },
        })
    }

    /// A map (or RESP2 flat array) of command names to their documentation.
    pub(crate) fn read_all(value: Value) -> Result<Vec<CommandDoc>> {
        Vec::<(String, Value)>::from_value(value)?
            .into_iter()
            .map(|(name, doc)| CommandDoc::read(name, doc))
            .collect()
    }
}

/// One change in a command's history.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CommandHistoryEntry {
    /// The version (`6.2.0`).
    pub version: String,
    /// What changed.
    pub change: String,
}

impl FromValue for CommandHistoryEntry {
    fn from_value(value: Value) -> Result<Self> {
        let (version, change) = <(String, String)>::from_value(value)?;
        Ok(CommandHistoryEntry { version, change })
    }
}

/// The kind of a command argument in `COMMAND DOCS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArgumentKind {
    /// `string`.
    String,
    /// `integer`.
    Integer,
    /// `double`.
    Double,
    /// `key`: a key name.
    Key,
    /// `pattern`: a glob-style pattern.
    Pattern,
    /// `unix-time`: a Unix time.
    UnixTime,
    /// `pure-token`: a keyword alone (`NX`).
    PureToken,
    /// `oneof`: exactly one of the nested arguments.
    OneOf,
    /// `block`: the nested arguments together.
    Block,
    /// A kind this crate does not name, as the server spells it.
    Other(String),
}

impl ArgumentKind {
    /// The kind the server calls `name`.
    pub fn from_name(name: &str) -> ArgumentKind {
        match name {
            "string" => ArgumentKind::String,
            "integer" => ArgumentKind::Integer,
            "double" => ArgumentKind::Double,
            "key" => ArgumentKind::Key,
            "pattern" => ArgumentKind::Pattern,
            "unix-time" => ArgumentKind::UnixTime,
            "pure-token" => ArgumentKind::PureToken,
            "oneof" => ArgumentKind::OneOf,
            "block" => ArgumentKind::Block,
            other => ArgumentKind::Other(other.to_string()),
        }
    }
}

/// One argument of a command, from `COMMAND DOCS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CommandArgument {
    /// Its name (unique among its siblings).
    pub name: String,
    /// Its kind.
    pub kind: ArgumentKind,
    /// How the documentation shows it (Redis 7.2+, Valkey).
    pub display_text: Option<String>,
    /// For a key: the index of its key specification in [`CommandInfo::key_specs`].
    pub key_spec_index: Option<i64>,
    /// The keyword before it (`EX`), or the keyword itself for a pure token.
    pub token: Option<String>,
    /// What it does.
    pub summary: Option<String>,
    /// The version that added it.
    pub since: Option<String>,
    /// The version that deprecated it.
    pub deprecated_since: Option<String>,
    /// `optional`, `multiple`, `multiple_token`.
    pub flags: Vec<String>,
    /// The nested arguments of a `oneof` or `block`.
    pub arguments: Vec<CommandArgument>,
}

impl CommandArgument {
    /// Whether the argument may be left out.
    pub fn is_optional(&self) -> bool {
        self.flags.iter().any(|f| f == "optional")
    }

    /// Whether the argument may be repeated.
    pub fn is_multiple(&self) -> bool {
        self.flags.iter().any(|f| f == "multiple")
    }
}

impl FromValue for CommandArgument {
    fn from_value(value: Value) -> Result<Self> {
        let mut f = Fields::read(value, "a command argument")?;
        Ok(CommandArgument {
            name: f.req("name")?,
            kind: ArgumentKind::from_name(&f.req::<String>("type")?),
            display_text: f.opt("display_text")?,
            key_spec_index: f.opt("key_spec_index")?,
            token: f.opt("token")?,
            summary: f.opt("summary")?,
            since: f.opt("since")?,
            deprecated_since: f.opt("deprecated_since")?,
            flags: f.list("flags")?,
            arguments: f.list("arguments")?,
        })
    }
}

/// A key of a command line and what the command does with it, from
/// `COMMAND GETKEYSANDFLAGS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct KeyFlags<K = String> {
    /// The key.
    pub key: K,
    /// Its key-specification flags (`RW`, `access`, `delete`, …).
    pub flags: Vec<String>,
}

impl<K: FromValue> FromValue for KeyFlags<K> {
    fn from_value(value: Value) -> Result<Self> {
        let (key, flags) = <(K, Vec<String>)>::from_value(value)?;
        Ok(KeyFlags { key, flags })
    }
}

/// The filter of `COMMAND LIST`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandListFilter {
    /// `FILTERBY MODULE name`: the commands of a module.
    Module(String),
    /// `FILTERBY ACLCAT category`: the commands of an ACL category (without the `@`).
    AclCat(String),
    /// `FILTERBY PATTERN pattern`: the commands whose names match a glob-style pattern.
    Pattern(String),
}

impl CommandListFilter {
    pub(crate) fn apply<T>(self, cmd: Cmd<T>) -> Cmd<T> {
        let (token, value) = match self {
            CommandListFilter::Module(v) => ("MODULE", v),
            CommandListFilter::AclCat(v) => ("ACLCAT", v),
            CommandListFilter::Pattern(v) => ("PATTERN", v),
        };
        cmd.arg("FILTERBY").arg(token).arg(value)
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

    fn flat(kv: Vec<(&str, Value)>) -> Value {
        Value::Array(kv.into_iter().flat_map(|(k, v)| [bulk(k), v]).collect())
    }

    fn map(kv: Vec<(&str, Value)>) -> Value {
        Value::Map(kv.into_iter().map(|(k, v)| (bulk(k), v)).collect())
    }

    fn spec(shape: fn(Vec<(&str, Value)>) -> Value) -> Value {
        shape(vec![
            ("flags", Value::Set(vec![simple("RW"), simple("access")])),
            (
                "begin_search",
                shape(vec![
                    ("type", bulk("keyword")),
                    (
                        "spec",
                        shape(vec![
                            ("keyword", bulk("KEYS")),
                            ("startfrom", Value::Int(-2)),
                        ]),
                    ),
                ]),
            ),
            (
                "find_keys",
                shape(vec![
                    ("type", bulk("keynum")),
                    (
                        "spec",
                        shape(vec![
                            ("keynumidx", Value::Int(0)),
                            ("firstkey", Value::Int(1)),
                            ("keystep", Value::Int(1)),
                        ]),
                    ),
                ]),
            ),
        ])
    }

    fn info(shape: fn(Vec<(&str, Value)>) -> Value) -> Value {
        Value::Array(vec![
            bulk("zunion"),
            Value::Int(-3),
            Value::Set(vec![simple("readonly")]),
            Value::Int(0),
            Value::Int(0),
            Value::Int(0),
            Value::Set(vec![simple("@read")]),
            Value::Set(vec![]),
            Value::Set(vec![spec(shape)]),
            Value::Array(vec![]),
        ])
    }

    #[test]
    fn command_info_of_every_version() {
        let a = CommandInfo::from_value(info(map)).unwrap();
        let b = CommandInfo::from_value(info(flat)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.arity, -3);
        assert_eq!(a.flags, ["readonly"]);
        let s = &a.key_specs[0];
        assert_eq!(
            s.begin_search,
            BeginSearch::Keyword {
                keyword: "KEYS".into(),
                start_from: -2
            }
        );
        assert_eq!(
            s.find_keys,
            FindKeys::KeyNum {
                key_num_index: 0,
                first_key: 1,
                step: 1
            }
        );
        // Redis 6.2: seven fields; 5.0: six.
        let old = Value::Array(vec![
            bulk("get"),
            Value::Int(2),
            Value::Array(vec![simple("readonly")]),
            Value::Int(1),
            Value::Int(1),
            Value::Int(1),
            Value::Array(vec![simple("@read")]),
        ]);
        let c = CommandInfo::from_value(old).unwrap();
        assert_eq!(c.acl_categories, ["@read"]);
        assert!(c.tips.is_empty() && c.key_specs.is_empty());
        let infos =
            Vec::<Option<CommandInfo>>::from_value(Value::Array(vec![info(flat), Value::Nil]))
                .unwrap();
        assert!(infos[0].is_some() && infos[1].is_none());
        assert!(CommandInfo::from_value(Value::Array(vec![bulk("x")])).is_err());
        let unknown = map(vec![("type", bulk("unknown")), ("spec", map(vec![]))]);
        assert_eq!(
            BeginSearch::from_value(unknown.clone()).unwrap(),
            BeginSearch::Unknown
        );
        assert_eq!(FindKeys::from_value(unknown).unwrap(), FindKeys::Unknown);
    }

    #[test]
    fn command_docs_both_shapes() {
        let doc = |shape: fn(Vec<(&str, Value)>) -> Value| {
            let arg = shape(vec![
                ("name", bulk("expiration")),
                ("type", bulk("oneof")),
                ("flags", Value::Set(vec![simple("optional")])),
                (
                    "arguments",
                    Value::Array(vec![shape(vec![
                        ("name", bulk("seconds")),
                        ("type", bulk("integer")),
                        ("token", bulk("EX")),
                        ("since", bulk("2.6.12")),
                    ])]),
                ),
            ]);
            let sub = shape(vec![("summary", bulk("s")), ("group", bulk("server"))]);
            shape(vec![(
                "config",
                shape(vec![
                    ("summary", bulk("A container")),
                    ("since", bulk("2.0.0")),
                    ("group", bulk("server")),
                    ("complexity", bulk("O(1)")),
                    ("doc_flags", Value::Set(vec![simple("deprecated")])),
                    (
                        "history",
                        Value::Set(vec![Value::Array(vec![bulk("7.0.0"), bulk("more")])]),
                    ),
                    ("arguments", Value::Array(vec![arg])),
                    ("subcommands", shape(vec![("config|get", sub)])),
                ]),
            )])
        };
        let a = CommandDoc::read_all(doc(map)).unwrap();
        let b = CommandDoc::read_all(doc(flat)).unwrap();
        assert_eq!(a, b);
        let c = &a[0];
        assert_eq!(c.name, "config");
        assert_eq!(c.history[0].version, "7.0.0");
        assert_eq!(c.arguments[0].kind, ArgumentKind::OneOf);
        assert!(c.arguments[0].is_optional() && !c.arguments[0].is_multiple());
        assert_eq!(c.arguments[0].arguments[0].token.as_deref(), Some("EX"));
        assert_eq!(c.subcommands[0].name, "config|get");
        assert_eq!(c.subcommands[0].complexity, None);
        assert!(CommandDoc::read_all(Value::Int(1)).is_err());
    }

    #[test]
    fn key_flags() {
        let v = Value::Array(vec![Value::Array(vec![
            bulk("a"),
            Value::Set(vec![simple("RW"), simple("delete")]),
        ])]);
        let k = Vec::<KeyFlags>::from_value(v).unwrap();
        assert_eq!(k[0].key, "a");
        assert_eq!(k[0].flags, ["RW", "delete"]);
    }
}
