//! One command, ready to send: its encoded arguments, routing facts and reply conversion.
//!
//! Owns: [`Cmd`], the value every command method builds and every executor (blocking client,
//! [`crate::Deferred`] handles, and later pipelines and transactions) consumes, and the escape
//! hatch [`cmd()`]. Routing facts live here, in the command's definition: which arguments are
//! keys, whether the command only reads, whether it blocks.
//!
//! Must not: do I/O or know which executor will run it.

use smallvec::SmallVec;
use std::borrow::Cow;
use std::fmt;

use crate::args::ToArg;
use crate::error::{Error, ErrorKind, Result};
use crate::from_value::FromValue;
use crate::value::Value;

/// Converts the reply of a command into its result type.
pub type ReplyFn<T> = fn(Value) -> Result<T>;

const READONLY: u8 = 1;
const BLOCKING: u8 = 2;

/// A command with its arguments already encoded, and the type its reply converts to.
///
/// Command methods (`r.get("k")`, `r.set("k", 1)`, …) build one and hand it to their executor;
/// [`cmd()`] builds one by hand for commands this crate has no method for.
///
/// ```
/// use coredis::{cmd, Cmd, Value};
/// let c: Cmd<Value> = cmd("OBJECT").arg("ENCODING").key("mykey");
/// assert_eq!(c.name(), "OBJECT");
/// let typed: Cmd<Option<String>> = c.returns();
/// # let _ = typed;
/// ```
pub struct Cmd<T> {
    name: Cow<'static, str>,
    args: Vec<u8>,
    argc: usize,
    keys: SmallVec<[u16; 2]>,
    flags: u8,
    reply: ReplyFn<T>,
}

impl<T> fmt::Debug for Cmd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cmd")
            .field("name", &self.name)
            .field("argc", &self.argc)
            .field("keys", &self.keys)
            .field("readonly", &self.is_readonly())
            .field("blocking", &self.is_blocking())
            .finish()
    }
}

impl<T: FromValue> Cmd<T> {
    /// A command named `name`; a name with spaces (`"CLIENT KILL"`) is sent as several words.
    /// The reply converts with [`FromValue`].
    pub fn new(name: &'static str) -> Cmd<T> {
        Cmd::with_reply(name, T::from_value)
    }
}

impl<T> Cmd<T> {
    /// A command named `name` whose reply converts with `reply`.
    pub fn with_reply(name: &'static str, reply: ReplyFn<T>) -> Cmd<T> {
        Cmd::named(Cow::Borrowed(name), reply)
    }

    /// A command whose first arguments are the words of `name`.
    fn named(name: Cow<'static, str>, reply: ReplyFn<T>) -> Cmd<T> {
        let mut args = Vec::with_capacity(64);
        let mut argc = 0;
        for word in name.split(' ').filter(|w| !w.is_empty()) {
            word.write_arg(&mut args);
            argc += 1;
        }
        Cmd {
            name,
            args,
            argc,
            keys: SmallVec::new(),
            flags: 0,
            reply,
        }
    }

    /// Appends one argument.
    #[inline]
    pub fn arg(mut self, arg: impl ToArg) -> Self {
        arg.write_arg(&mut self.args);
        self.argc += 1;
        self
    }

    /// Appends one argument that is a key (used for routing in a cluster).
    #[inline]
    pub fn key(mut self, key: impl ToArg) -> Self {
        self.keys.push(u16::try_from(self.argc).unwrap_or(u16::MAX));
        self.arg(key)
    }

    /// Appends every argument of `args`.
    pub fn args<I>(mut self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: ToArg,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// Appends every key of `keys`.
    pub fn keys<I>(mut self, keys: I) -> Self
    where
        I: IntoIterator,
        I::Item: ToArg,
    {
        for k in keys {
            self = self.key(k);
        }
        self
    }

    /// Appends `token` when `on` is true (a pure-token flag such as `NX` or `GET`).
    pub fn flag(self, on: bool, token: &'static str) -> Self {
        if on {
            self.arg(token)
        } else {
            self
        }
    }

    /// Appends `token value` when `value` is `Some`.
    pub fn opt<A: ToArg>(self, token: &'static str, value: Option<A>) -> Self {
        match value {
            Some(v) => self.arg(token).arg(v),
            None => self,
        }
    }

    /// Marks the command read-only (it may go to a replica).
    pub fn readonly(mut self) -> Self {
        self.flags |= READONLY;
        self
    }

    /// Marks the command as blocking the connection until the server answers (`BLPOP`, …).
    pub fn blocking(mut self) -> Self {
        self.flags |= BLOCKING;
        self
    }

    /// Converts the reply with `reply` instead.
    pub fn map_reply<U>(self, reply: ReplyFn<U>) -> Cmd<U> {
        Cmd {
            name: self.name,
            args: self.args,
            argc: self.argc,
            keys: self.keys,
            flags: self.flags,
            reply,
        }
    }

    /// Converts the reply into `U` with [`FromValue`] instead.
    pub fn returns<U: FromValue>(self) -> Cmd<U> {
        self.map_reply(U::from_value)
    }

    /// The command's name as given (`"GET"`, `"CLIENT KILL"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many arguments, the name's words included.
    pub fn arg_count(&self) -> usize {
        self.argc
    }

    /// The positions (among all arguments, the name's words included) of the key arguments.
    pub fn key_positions(&self) -> &[u16] {
        &self.keys
    }

    /// True when marked read-only.
    pub fn is_readonly(&self) -> bool {
        self.flags & READONLY != 0
    }

    /// True when marked blocking.
    pub fn is_blocking(&self) -> bool {
        self.flags & BLOCKING != 0
    }

    /// The encoded arguments (RESP bulk strings, without the array header).
    pub(crate) fn encoded_args(&self) -> &[u8] {
        &self.args
    }

    /// Refuses what would break a connection shared by many callers: an empty command (the
    /// server never answers it, so every later reply would go to the wrong caller) and
    /// commands that change the connection's state or stop its replies matching its
    /// requests one to one. Decided from the encoded words themselves, however the command
    /// was built (`cmd("CLIENT").arg("REPLY")` is caught too).
    pub(crate) fn check_shareable(&self) -> Result<()> {
        let refuse = |why: &str| Err(Error::new(ErrorKind::Usage, why).with_command(&self.name));
        let mut words = EncodedArgs(&self.args);
        let Some(first) = words.next() else {
            return refuse("a command needs a name: an empty command gets no reply");
        };
        let mut upper = [0u8; 12];
        if first.len() > upper.len() {
            return Ok(());
        }
        let upper = upper.get_mut(..first.len()).unwrap_or_default();
        upper.copy_from_slice(first);
        upper.make_ascii_uppercase();
        let why = match &*upper {
            b"SELECT" | b"AUTH" | b"HELLO" | b"RESET" | b"QUIT" => {
                "this command changes the state of the connection and cannot be sent on a \
                 shared connection: set db, username/password and protocol_version in the \
                 client's Config"
            }
            b"SUBSCRIBE" | b"PSUBSCRIBE" | b"SSUBSCRIBE" | b"UNSUBSCRIBE" | b"PUNSUBSCRIBE"
            | b"SUNSUBSCRIBE" | b"MONITOR" | b"SYNC" | b"PSYNC" => {
                "this command turns the connection into a stream of messages and cannot be \
                 sent on a shared connection"
            }
            b"MULTI" | b"EXEC" | b"DISCARD" | b"WATCH" | b"UNWATCH" => {
                "transactions cannot be run command by command on a shared connection: \
                 every other caller's commands would join the transaction"
            }
            b"CLIENT"
                if words
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"REPLY")) =>
            {
                "CLIENT REPLY stops replies matching requests one to one and cannot be sent \
                 on a shared connection"
            }
            _ => return Ok(()),
        };
        refuse(why)
    }

    /// Converts a decoded reply, adding the command's name to errors.
    pub(crate) fn convert(name: &str, reply: ReplyFn<T>, value: Value) -> Result<T> {
        match value.strip_attributes() {
            Value::Error(e) => Err(Error::server(e).with_command(name)),
            v => reply(v).map_err(|e| e.with_command(name)),
        }
    }

    /// Splits the command into what an executor keeps after sending it.
    pub(crate) fn into_reply_parts(self) -> (Cow<'static, str>, ReplyFn<T>) {
        (self.name, self.reply)
    }
}

/// The escape hatch: a command by name, for module commands and anything newer than this
/// crate. Add arguments with [`Cmd::arg`] / [`Cmd::key`]; the reply is a [`Value`] unless you
/// ask for a type with [`Cmd::returns`]. Run it with [`crate::Executor::execute`].
///
/// What would break a connection shared by many callers is refused with [`ErrorKind::Usage`]
/// before anything is sent: an empty command (the server never answers it), commands that
/// change the connection's state (`SELECT`, `AUTH`, `HELLO`, `RESET`, `QUIT`), commands that
/// turn it into a message stream (`SUBSCRIBE` and friends, `MONITOR`, `SYNC`, `PSYNC`),
/// `CLIENT REPLY`, and the transaction commands (`MULTI`, `EXEC`, `DISCARD`, `WATCH`,
/// `UNWATCH`). The check reads the words actually sent, however the command was built.
///
/// ```no_run
/// use coredis::prelude::*;
/// let r = coredis::Redis::from_url("redis://127.0.0.1:6379")?;
/// let n: i64 = r.execute(coredis::cmd("HSET").key("h").arg("field").arg(1).returns())?;
/// # Ok::<(), coredis::Error>(())
/// ```
pub fn cmd(name: &str) -> Cmd<Value> {
    Cmd::named(Cow::Owned(name.to_string()), Value::from_value)
}

/// The words of a command's encoded arguments (RESP bulk strings as [`ToArg`] writes them).
struct EncodedArgs<'a>(&'a [u8]);

impl<'a> Iterator for EncodedArgs<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.0.strip_prefix(b"$")?;
        let eol = memchr::memchr(b'\r', rest)?;
        let len: usize = std::str::from_utf8(rest.get(..eol)?).ok()?.parse().ok()?;
        let start = eol.checked_add(2)?;
        let end = start.checked_add(len)?;
        let word = rest.get(start..end)?;
        self.0 = rest.get(end.checked_add(2)?..).unwrap_or_default();
        Some(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_args_and_keys() {
        let c: Cmd<Value> = Cmd::new("CLIENT KILL").arg("ID").arg(5);
        assert_eq!(c.arg_count(), 4);
        assert_eq!(
            c.encoded_args(),
            b"$6\r\nCLIENT\r\n$4\r\nKILL\r\n$2\r\nID\r\n$1\r\n5\r\n"
        );
        let c: Cmd<Value> = Cmd::new("MGET").keys(["a", "b"]).readonly();
        assert_eq!(c.key_positions(), &[1, 2]);
        assert!(c.is_readonly());
        assert!(!c.is_blocking());
    }

    #[test]
    fn escape_hatch_refuses_state_changes() {
        assert!(cmd("select").arg(1).check_shareable().is_err());
        assert!(cmd("CLIENT reply").arg("OFF").check_shareable().is_err());
        assert!(cmd("CLIENT LIST").check_shareable().is_ok());
        let e = cmd("SUBSCRIBE").arg("ch").check_shareable().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert_eq!(e.command(), Some("SUBSCRIBE"));
        // However the command is built: words passed as arguments, typed constructors.
        assert!(cmd("CLIENT")
            .arg("reply")
            .arg("SKIP")
            .check_shareable()
            .is_err());
        assert!(Cmd::<()>::new("SELECT").arg(5).check_shareable().is_err());
        for name in [
            "MULTI", "exec", "Discard", "WATCH", "UNWATCH", "MONITOR", "RESET",
        ] {
            assert!(cmd(name).check_shareable().is_err(), "{name}");
        }
        // Names that merely start like a refused one pass.
        assert!(cmd("SELECTX").check_shareable().is_ok());
        assert!(cmd("CLIENTS").arg("REPLY").check_shareable().is_ok());
        assert!(cmd("A_VERY_LONG_MODULE.COMMAND").check_shareable().is_ok());
    }

    #[test]
    fn empty_commands_are_refused() {
        for c in [cmd(""), cmd("   "), Cmd::<Value>::new("")] {
            let e = c.check_shareable().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage);
        }
        // An empty first word is still a word: the server answers it (with an error).
        assert!(cmd("").arg("").check_shareable().is_ok());
    }

    #[test]
    fn encoded_words_are_read_back() {
        let c: Cmd<Value> = cmd("CLIENT KILL").arg("").arg(&b"a\r\nb"[..]).arg(12);
        let words: Vec<&[u8]> = EncodedArgs(c.encoded_args()).collect();
        assert_eq!(words, [&b"CLIENT"[..], b"KILL", b"", b"a\r\nb", b"12"]);
        assert_eq!(EncodedArgs(b"$3\r\nab").next(), None);
        assert_eq!(EncodedArgs(b"*1\r\n").next(), None);
    }
}
