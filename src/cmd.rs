//! One command, ready to send: the wire request and the typed decoder of its reply.
//!
//! Owns: [`Cmd`], the value every command method builds and every executor (the blocking
//! client, [`crate::Deferred`] handles, and later pipelines and transactions) consumes; its two
//! halves, [`Request`] (encoded arguments, key positions, the cluster slot computed from them
//! when a cluster client asks, flags) and [`Decoder`] (how the reply becomes a `T`), which travel apart once the
//! request is sent; the escape hatch [`cmd()`]; and the refusal table of commands that would
//! break a connection shared by many callers. Routing facts live here, in the command's
//! definition: which arguments are keys, whether the command only reads, whether it blocks.
//!
//! Must not: do I/O or know which executor will run it.

use bytes::Bytes;
use smallvec::SmallVec;
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::args::{ToArg, ToArgs};
use crate::error::{Error, ErrorKind, Result};
use crate::from_value::FromValue;
use crate::resp::{self, Limits};
use crate::route::{key_slot, KeySlot};
use crate::value::Value;

/// Converts the reply of a command into its result type.
pub type ReplyFn<T> = fn(Value) -> Result<T>;

const READONLY: u8 = 1;
const BLOCKING: u8 = 2;

/// The wire half of a command: its encoded arguments and routing facts.
///
/// Built through [`Cmd`]; executors send it and keep only the [`Decoder`] to wait for the reply.
#[derive(Clone)]
pub struct Request {
    name: Cow<'static, str>,
    /// Every argument, the name's words included, as RESP bulk strings (no array header).
    args: Vec<u8>,
    argc: usize,
    keys: SmallVec<[usize; 2]>,
    flags: u8,
    /// For blocking commands: how long the server may block (`None`: unknown or for ever).
    server_timeout: Option<Duration>,
    /// How many arguments the last `args`/`keys` call added (for [`Cmd::required`]).
    last_added: usize,
    /// Why the command must not be sent (a required argument list was empty), if it must not.
    invalid: Option<Cow<'static, str>>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("name", &self.name)
            .field("argc", &self.argc)
            .field("keys", &self.keys)
            .field("slot", &self.slot())
            .field("readonly", &self.is_readonly())
            .field("blocking", &self.is_blocking())
            .finish()
    }
}

impl Request {
    /// A request whose first arguments are the words of `name`.
    fn named(name: Cow<'static, str>) -> Request {
        let mut args = Vec::with_capacity(64);
        let mut argc = 0;
        for word in name.split(' ').filter(|w| !w.is_empty()) {
            word.write_arg(&mut args);
            argc += 1;
        }
        Request {
            name,
            args,
            argc,
            keys: SmallVec::new(),
            flags: 0,
            server_timeout: None,
            last_added: 0,
            invalid: None,
        }
    }

    #[inline]
    fn push_arg(&mut self, arg: impl ToArg) {
        arg.write_arg(&mut self.args);
        self.argc += 1;
    }

    fn push_key(&mut self, key: impl ToArg) {
        self.keys.push(self.argc);
        self.push_arg(key);
    }

    /// Appends every argument of `args`; keys when `keys`.
    fn push_many(&mut self, args: &(impl ToArgs + ?Sized), keys: bool) {
        let n = args.write_args(&mut self.args);
        if keys {
            self.keys.extend(self.argc..self.argc + n);
        }
        self.argc += n;
        self.last_added = n;
    }

    /// Appends the number of keys in `keys`, then the keys (`numkeys key [key …]`).
    fn push_counted_keys(&mut self, keys: &(impl ToArgs + ?Sized)) {
        let mut encoded = Vec::new();
        let n = keys.write_args(&mut encoded);
        self.push_arg(n);
        self.args.extend_from_slice(&encoded);
        self.keys.extend(self.argc..self.argc + n);
        self.argc += n;
        self.last_added = n;
    }

    /// Why the command must not be sent, if it must not (checked before sending).
    pub(crate) fn check_valid(&self) -> Result<()> {
        match &self.invalid {
            None => Ok(()),
            Some(why) => Err(Error::new(ErrorKind::Usage, why.clone()).with_command(&self.name)),
        }
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
    pub fn key_positions(&self) -> &[usize] {
        &self.keys
    }

    /// The hash slot the keys share: [`KeySlot::Cross`] when they hash to different slots,
    /// [`KeySlot::None`] without keys. Computed from the keys when asked (only a cluster
    /// client needs it, so other clients never pay for the hashing).
    pub fn slot(&self) -> KeySlot {
        self.keys()
            .fold(KeySlot::None, |slot, key| slot.with(key_slot(key)))
    }

    /// True when marked read-only (it may go to a replica).
    pub fn is_readonly(&self) -> bool {
        self.flags & READONLY != 0
    }

    /// True when marked blocking: it runs on a dedicated connection, never on the shared one.
    pub fn is_blocking(&self) -> bool {
        self.flags & BLOCKING != 0
    }

    /// For a blocking command, how long the server may block it (`None`: unknown, or for ever).
    pub fn server_timeout(&self) -> Option<Duration> {
        self.server_timeout
    }

    /// The arguments as they are sent, name's words included.
    pub fn args(&self) -> impl Iterator<Item = &[u8]> + '_ {
        EncodedArgs(&self.args)
    }

    /// The keys among the arguments, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut positions = self.keys.iter().copied().peekable();
        self.args().enumerate().filter_map(move |(i, a)| {
            while positions.peek().is_some_and(|&p| p < i) {
                positions.next();
            }
            (positions.peek() == Some(&i)).then_some(a)
        })
    }

    /// The encoded arguments (RESP bulk strings, without the array header).
    pub(crate) fn encoded_args(&self) -> &[u8] {
        &self.args
    }

    /// Appends the whole request (array header and arguments) to `out`.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        resp::write_array_header(out, self.argc);
        out.extend_from_slice(&self.args);
    }

    /// How many bytes [`Request::encode_into`] appends.
    pub(crate) fn encoded_len(&self) -> usize {
        // `*`, the argument count's digits, CRLF.
        let digits = self.argc.checked_ilog10().map_or(1, |d| d as usize + 1);
        self.args.len() + digits + 3
    }

    /// Refuses what would break a connection shared by many callers: an empty command (the
    /// server never answers it, so every later reply would go to the wrong caller) and
    /// commands that change the connection's state or stop its replies matching its
    /// requests one to one. Decided from the encoded words themselves, however the command
    /// was built (`cmd("CLIENT").arg("REPLY")` is caught too).
    pub(crate) fn check_shareable(&self) -> Result<()> {
        match self.connection_effect() {
            None => Ok(()),
            Some(why) => Err(Error::new(ErrorKind::Usage, why).with_command(&self.name)),
        }
    }

    /// Whether the command may write to the data set: the commands the servers flag `write`,
    /// and `EVAL`, `EVALSHA` and `FCALL` (a script or function may write). Read from the
    /// encoded words, so commands built with [`cmd()`] count too. These are the commands
    /// followed by `WAIT` under [`crate::ConfigBuilder::wait_for_replicas`].
    pub fn is_write(&self) -> bool {
        let mut words = EncodedArgs(&self.args);
        let Some(first) = words.next() else {
            return false;
        };
        let mut upper = [0u8; 20];
        let Some(upper) = upper.get_mut(..first.len()) else {
            return false;
        };
        upper.copy_from_slice(first);
        upper.make_ascii_uppercase();
        if WRITES.binary_search(&&*upper).is_ok() {
            return true;
        }
        let Some((_, subs)) = WRITE_SUBCOMMANDS.iter().find(|(c, _)| *c == &*upper) else {
            return false;
        };
        words
            .next()
            .is_some_and(|w| subs.iter().any(|s| w.eq_ignore_ascii_case(s)))
    }

    /// Why this request would change or break the connection it runs on, if it would.
    pub(crate) fn connection_effect(&self) -> Option<&'static str> {
        let mut words = EncodedArgs(&self.args);
        let Some(first) = words.next() else {
            return Some("a command needs a name: an empty command gets no reply");
        };
        let mut upper = [0u8; 12];
        if first.len() > upper.len() {
            return None;
        }
        let upper = upper.get_mut(..first.len()).unwrap_or_default();
        upper.copy_from_slice(first);
        upper.make_ascii_uppercase();
        match &*upper {
            b"SELECT" | b"AUTH" | b"HELLO" | b"RESET" | b"QUIT" => Some(
                "this command changes the state of the connection and cannot be sent on a \
                 shared connection: set db, username/password and protocol_version in the \
                 client's Config",
            ),
            b"SUBSCRIBE" | b"PSUBSCRIBE" | b"SSUBSCRIBE" | b"UNSUBSCRIBE" | b"PUNSUBSCRIBE"
            | b"SUNSUBSCRIBE" | b"MONITOR" | b"SYNC" | b"PSYNC" => Some(
                "this command turns the connection into a stream of messages and cannot be \
                 sent on a shared connection",
            ),
            b"MULTI" | b"EXEC" | b"DISCARD" | b"WATCH" | b"UNWATCH" => Some(
                "transactions cannot be run command by command on a shared connection: \
                 every other caller's commands would join the transaction",
            ),
            b"CLIENT" => match words.next() {
                Some(w) if w.eq_ignore_ascii_case(b"REPLY") => Some(
                    "CLIENT REPLY stops replies matching requests one to one and cannot be \
                     sent on a shared connection",
                ),
                Some(w) if CLIENT_STATE.iter().any(|s| w.eq_ignore_ascii_case(s)) => Some(
                    "this CLIENT subcommand changes the state of the connection it runs on and \
                     cannot be sent on a shared connection: run it on a dedicated one \
                     (Redis::dedicated)",
                ),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The commands that write to the data set: those Redis 7.0 and Valkey 9.1 flag `write`
/// (`COMMAND INFO`), and the scripts and functions that may write (`EVAL`, `EVALSHA`, `FCALL`;
/// their `_RO` forms only read). Sorted, upper case. Commands with subcommands are decided by
/// [`WRITE_SUBCOMMANDS`].
#[rustfmt::skip]
const WRITES: [&[u8]; 112] = [
    b"APPEND", b"BITFIELD", b"BITOP", b"BLMOVE", b"BLMPOP", b"BLPOP", b"BRPOP", b"BRPOPLPUSH",
    b"BZMPOP", b"BZPOPMAX", b"BZPOPMIN", b"COPY", b"DECR", b"DECRBY", b"DEL", b"DELIFEQ", b"EVAL",
    b"EVALSHA", b"EXPIRE", b"EXPIREAT", b"FCALL", b"FLUSHALL", b"FLUSHDB", b"GEOADD", b"GEORADIUS",
    b"GEORADIUSBYMEMBER", b"GEOSEARCHSTORE", b"GETDEL", b"GETEX", b"GETSET", b"HDEL", b"HEXPIRE",
    b"HEXPIREAT", b"HGETDEL", b"HGETEX", b"HINCRBY", b"HINCRBYFLOAT", b"HMSET", b"HPERSIST",
    b"HPEXPIRE", b"HPEXPIREAT", b"HSET", b"HSETEX", b"HSETNX", b"INCR", b"INCRBY", b"INCRBYFLOAT",
    b"LINSERT", b"LMOVE", b"LMPOP", b"LPOP", b"LPUSH", b"LPUSHX", b"LREM", b"LSET", b"LTRIM",
    b"MIGRATE", b"MOVE", b"MSET", b"MSETEX", b"MSETNX", b"PERSIST", b"PEXPIRE", b"PEXPIREAT",
    b"PFADD", b"PFDEBUG", b"PFMERGE", b"PSETEX", b"RENAME", b"RENAMENX", b"RESTORE",
    b"RESTORE-ASKING", b"RPOP", b"RPOPLPUSH", b"RPUSH", b"RPUSHX", b"SADD", b"SDIFFSTORE", b"SET",
    b"SETBIT", b"SETEX", b"SETNX", b"SETRANGE", b"SINTERSTORE", b"SMOVE", b"SORT", b"SPOP",
    b"SREM", b"SUNIONSTORE", b"SWAPDB", b"UNLINK", b"XACK", b"XADD", b"XAUTOCLAIM", b"XCLAIM",
    b"XDEL", b"XREADGROUP", b"XSETID", b"XTRIM", b"ZADD", b"ZDIFFSTORE", b"ZINCRBY",
    b"ZINTERSTORE", b"ZMPOP", b"ZPOPMAX", b"ZPOPMIN", b"ZRANGESTORE", b"ZREM", b"ZREMRANGEBYLEX",
    b"ZREMRANGEBYRANK", b"ZREMRANGEBYSCORE", b"ZUNIONSTORE",
];

/// The container commands whose subcommands may write, and those subcommands.
const WRITE_SUBCOMMANDS: [(&[u8], &[&[u8]]); 3] = [
    (b"CLUSTER", &[b"FLUSHSLOT"]),
    (b"FUNCTION", &[b"DELETE", b"FLUSH", b"LOAD", b"RESTORE"]),
    (
        b"XGROUP",
        &[
            b"CREATE",
            b"CREATECONSUMER",
            b"DELCONSUMER",
            b"DESTROY",
            b"SETID",
        ],
    ),
];

/// The `CLIENT` subcommands that change the state of their connection (its name, library
/// information, client-side caching, eviction and LRU behaviour, capabilities, import mode).
const CLIENT_STATE: [&[u8]; 8] = [
    b"SETNAME",
    b"SETINFO",
    b"TRACKING",
    b"CACHING",
    b"NO-EVICT",
    b"NO-TOUCH",
    b"CAPA",
    b"IMPORT-SOURCE",
];

/// The typed half of a command: how its reply becomes a `T`.
pub struct Decoder<T> {
    name: Cow<'static, str>,
    reply: ReplyFn<T>,
    /// For a batch (a pipeline): how its replies, back to back, become a `T`.
    frames: Option<FramesFn<T>>,
}

/// Converts the replies of a batch of commands, back to back in one buffer.
pub(crate) type FramesFn<T> = fn(Bytes, &Limits) -> Result<T>;

impl<T> Clone for Decoder<T> {
    fn clone(&self) -> Self {
        Decoder {
            name: self.name.clone(),
            reply: self.reply,
            frames: self.frames,
        }
    }
}

impl<T> fmt::Debug for Decoder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("command", &self.name)
            .finish()
    }
}

impl<T> Decoder<T> {
    /// The name of the command whose reply this decodes.
    pub fn command(&self) -> &str {
        &self.name
    }

    /// The decoder of a batch named `name` (`"pipeline"`): `frames` gets every reply.
    pub(crate) fn batch(name: &'static str, frames: FramesFn<T>) -> Decoder<T> {
        Decoder {
            name: Cow::Borrowed(name),
            reply: |_| {
                Err(Error::new(
                    ErrorKind::Usage,
                    "a batch's replies are decoded together",
                ))
            },
            frames: Some(frames),
        }
    }

    /// Decodes one complete reply frame within `limits` and converts it. An error reply is an
    /// [`ErrorKind::Server`] error (or a finer kind); errors name the command.
    pub(crate) fn decode(&self, frame: &Bytes, limits: &Limits) -> Result<T> {
        if let Some(frames) = self.frames {
            return frames(frame.clone(), limits).map_err(|e| e.with_command(&self.name));
        }
        resp::decode_with_limits(frame, limits)
            .map_err(|e| e.with_command(&self.name))
            .and_then(|v| self.convert(v))
    }

    /// Converts a decoded reply, adding the command's name to errors.
    pub fn convert(&self, value: Value) -> Result<T> {
        match value.strip_attributes() {
            Value::Error(e) => Err(Error::server(e).with_command(&self.name)),
            v => (self.reply)(v).map_err(|e| e.with_command(&self.name)),
        }
    }
}

/// A command: its [`Request`] (what is sent) and its [`Decoder`] (what its reply becomes).
///
/// Command methods (`r.get("k")`, `r.set("k", 1)`, …) build one and hand it to their executor;
/// [`cmd()`] builds one by hand for commands this crate has no method for. A `Cmd` is `Clone`,
/// so a command that failed with [`ErrorKind::Closed`] can be sent again.
///
/// ```
/// use coredis::{cmd, Cmd, KeySlot, Value};
/// let c: Cmd<Value> = cmd("OBJECT").arg("ENCODING").key("mykey");
/// assert_eq!(c.name(), "OBJECT");
/// assert_eq!(c.key_positions(), &[2]);
/// assert_eq!(c.slot(), KeySlot::One(coredis::key_slot(b"mykey")));
/// let typed: Cmd<Option<String>> = c.returns();
/// # let _ = typed;
/// ```
pub struct Cmd<T> {
    request: Request,
    reply: ReplyFn<T>,
}

impl<T> Clone for Cmd<T> {
    fn clone(&self) -> Self {
        Cmd {
            request: self.request.clone(),
            reply: self.reply,
        }
    }
}

impl<T> fmt::Debug for Cmd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.request, f)
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
        Cmd {
            request: Request::named(Cow::Borrowed(name)),
            reply,
        }
    }

    /// Appends one argument.
    #[inline]
    #[must_use]
    pub fn arg(mut self, arg: impl ToArg) -> Self {
        self.request.push_arg(arg);
        self
    }

    /// Appends one argument that is a key: its position is recorded and its hash slot joins
    /// the command's [`Cmd::slot`] (for routing in a cluster).
    #[inline]
    #[must_use]
    pub fn key(mut self, key: impl ToArg) -> Self {
        self.request.push_key(key);
        self
    }

    /// Appends every argument of `args`: one value, or an array, slice or `Vec` of them (see
    /// [`ToArgs`]).
    #[must_use]
    pub fn args(mut self, args: impl ToArgs) -> Self {
        self.request.push_many(&args, false);
        self
    }

    /// Appends every key of `keys`: one key, or an array, slice or `Vec` of them (see
    /// [`ToArgs`]). Their positions are recorded and their slots join [`Cmd::slot`].
    #[must_use]
    pub fn keys(mut self, keys: impl ToArgs) -> Self {
        self.request.push_many(&keys, true);
        self
    }

    /// Appends how many keys `keys` holds, then the keys: the `numkeys key [key …]` form of
    /// `ZUNION`, `LMPOP`, `SINTERCARD`, … The count is not a key; [`Cmd::required`] after it
    /// checks the keys.
    ///
    /// ```
    /// use coredis::cmd;
    /// let c = cmd("ZUNION").keys_counted(["a", "b"]);
    /// assert_eq!(c.key_positions(), &[2, 3]);
    /// let words: Vec<&[u8]> = c.request().args().collect();
    /// assert_eq!(words, [&b"ZUNION"[..], b"2", b"a", b"b"]);
    /// ```
    #[must_use]
    pub fn keys_counted(mut self, keys: impl ToArgs) -> Self {
        self.request.push_counted_keys(&keys);
        self
    }

    /// Appends every argument an iterator yields.
    #[must_use]
    pub fn args_from<I>(mut self, args: I) -> Self
    where
        I: IntoIterator,
        I::Item: ToArg,
    {
        let before = self.request.argc;
        for a in args {
            self.request.push_arg(a);
        }
        self.request.last_added = self.request.argc - before;
        self
    }

    /// Appends every key an iterator yields.
    #[must_use]
    pub fn keys_from<I>(mut self, keys: I) -> Self
    where
        I: IntoIterator,
        I::Item: ToArg,
    {
        let before = self.request.argc;
        for k in keys {
            self.request.push_key(k);
        }
        self.request.last_added = self.request.argc - before;
        self
    }

    /// Appends `key value` for every pair (`MSET k1 v1 k2 v2`): the keys are recorded as keys.
    #[must_use]
    pub fn key_values<I, K, V>(mut self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: ToArg,
        V: ToArg,
    {
        let mut n = 0;
        for (k, v) in pairs {
            self.request.push_key(k);
            self.request.push_arg(v);
            n += 1;
        }
        self.request.last_added = n;
        self
    }

    /// Appends `a b` for every pair (`HSET key f1 v1 f2 v2`).
    #[must_use]
    pub fn arg_pairs<I, A, B>(mut self, pairs: I) -> Self
    where
        I: IntoIterator<Item = (A, B)>,
        A: ToArg,
        B: ToArg,
    {
        let mut n = 0;
        for (a, b) in pairs {
            self.request.push_arg(a);
            self.request.push_arg(b);
            n += 1;
        }
        self.request.last_added = n;
        self
    }

    /// Requires the last [`Cmd::args`] / [`Cmd::keys`] (or `_from`, or pairs) call to have added at least
    /// one argument: when it added none, the command is refused with [`ErrorKind::Usage`]
    /// before anything is sent (`DEL` with no key would be a server error after a round trip,
    /// or worse, a different command). `what` names the list in the error.
    ///
    /// ```
    /// use coredis::{cmd, Value};
    /// let none: Vec<String> = Vec::new();
    /// let c = cmd("DEL").keys(none).required("keys");
    /// # let _ = c;
    /// ```
    #[must_use]
    pub fn required(mut self, what: &'static str) -> Self {
        if self.request.last_added == 0 && self.request.invalid.is_none() {
            self.request.invalid = Some(Cow::Owned(format!(
                "{what}: at least one is required, none was given"
            )));
        }
        self
    }

    /// Appends `token` when `on` is true (a pure-token flag such as `NX` or `GET`).
    #[must_use]
    pub fn flag(self, on: bool, token: &'static str) -> Self {
        if on {
            self.arg(token)
        } else {
            self
        }
    }

    /// Appends `token value` when `value` is `Some`.
    #[must_use]
    pub fn opt<A: ToArg>(self, token: &'static str, value: Option<A>) -> Self {
        match value {
            Some(v) => self.arg(token).arg(v),
            None => self,
        }
    }

    /// Marks the command read-only (it may go to a replica).
    #[must_use]
    pub fn readonly(mut self) -> Self {
        self.request.flags |= READONLY;
        self
    }

    /// Marks the command as blocking the connection until the server answers (`BLPOP`, …),
    /// for an unknown or unlimited time: it runs on a dedicated connection (never on the
    /// shared one) and its reply is waited for without a client-side deadline. Prefer
    /// [`Cmd::blocking_for`] when the command carries its own timeout.
    #[must_use]
    pub fn blocking(mut self) -> Self {
        self.request.flags |= BLOCKING;
        self.request.server_timeout = None;
        self
    }

    /// Marks the command as blocking for at most `server_timeout` on the server (`BLPOP k 5`):
    /// it runs on a dedicated connection, and its reply is waited for that long plus the
    /// response timeout. A zero `server_timeout` means "for ever", as it does for Redis.
    #[must_use]
    pub fn blocking_for(mut self, server_timeout: Duration) -> Self {
        self.request.flags |= BLOCKING;
        self.request.server_timeout = (!server_timeout.is_zero()).then_some(server_timeout);
        self
    }

    /// Converts the reply with `reply` instead.
    #[must_use]
    pub fn map_reply<U>(self, reply: ReplyFn<U>) -> Cmd<U> {
        Cmd {
            request: self.request,
            reply,
        }
    }

    /// Converts the reply into `U` with [`FromValue`] instead.
    #[must_use]
    pub fn returns<U: FromValue>(self) -> Cmd<U> {
        self.map_reply(U::from_value)
    }

    /// The wire half: arguments and routing facts.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The command's name as given (`"GET"`, `"CLIENT KILL"`).
    pub fn name(&self) -> &str {
        self.request.name()
    }

    /// How many arguments, the name's words included.
    pub fn arg_count(&self) -> usize {
        self.request.arg_count()
    }

    /// The positions (among all arguments, the name's words included) of the key arguments.
    pub fn key_positions(&self) -> &[usize] {
        self.request.key_positions()
    }

    /// The hash slot the keys share (see [`Request::slot`]).
    pub fn slot(&self) -> KeySlot {
        self.request.slot()
    }

    /// True when marked read-only.
    pub fn is_readonly(&self) -> bool {
        self.request.is_readonly()
    }

    /// True when marked blocking.
    pub fn is_blocking(&self) -> bool {
        self.request.is_blocking()
    }

    /// Splits the command into what is sent and what decodes its reply.
    pub fn into_parts(self) -> (Request, Decoder<T>) {
        let decoder = Decoder {
            name: self.request.name.clone(),
            reply: self.reply,
            frames: None,
        };
        (self.request, decoder)
    }
}

/// The escape hatch: a command by name, for module commands and anything newer than this
/// crate. Add arguments with [`Cmd::arg`] / [`Cmd::key`]; the reply is a [`Value`] unless you
/// ask for a type with [`Cmd::returns`]. Run it with [`crate::Executor::execute`].
///
/// What would break a connection shared by many callers is refused with [`ErrorKind::Usage`]
/// before anything is sent: an empty command (the server never answers it), commands that
/// change the connection's state (`SELECT`, `AUTH`, `HELLO`, `RESET`, `QUIT`, and `CLIENT`
/// `SETNAME`, `SETINFO`, `TRACKING`, `CACHING`, `NO-EVICT`, `NO-TOUCH`, `CAPA`,
/// `IMPORT-SOURCE`), commands that turn it into a message stream (`SUBSCRIBE` and friends,
/// `MONITOR`, `SYNC`, `PSYNC`), `CLIENT REPLY`, and the transaction commands (`MULTI`,
/// `EXEC`, `DISCARD`, `WATCH`, `UNWATCH`). The check reads the words actually sent, however
/// the command was built.
///
/// ```no_run
/// use coredis::prelude::*;
/// let r = coredis::Redis::from_url("redis://127.0.0.1:6379")?;
/// let n: i64 = r.execute(coredis::cmd("HSET").key("h").arg("field").arg(1).returns())?;
/// # Ok::<(), coredis::Error>(())
/// ```
pub fn cmd(name: &str) -> Cmd<Value> {
    Cmd {
        request: Request::named(Cow::Owned(name.to_string())),
        reply: Value::from_value,
    }
}

impl Cmd<Value> {
    /// A command sending `request` whose reply is kept as a [`Value`] (the parts of a request
    /// a cluster splits or fans out).
    pub(crate) fn from_request(request: Request) -> Cmd<Value> {
        Cmd {
            request,
            reply: Value::from_value,
        }
    }
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
            c.request().encoded_args(),
            b"$6\r\nCLIENT\r\n$4\r\nKILL\r\n$2\r\nID\r\n$1\r\n5\r\n"
        );
        let c: Cmd<Value> = Cmd::new("MGET").keys(["a", "b"]).readonly();
        assert_eq!(c.key_positions(), &[1, 2]);
        assert!(c.is_readonly());
        assert!(!c.is_blocking());
    }

    #[test]
    fn counted_keys() {
        let c: Cmd<Value> = Cmd::new("ZINTERSTORE")
            .key("{t}dst")
            .keys_counted(["{t}a", "{t}b"])
            .required("keys")
            .arg("AGGREGATE");
        assert_eq!(c.key_positions(), &[1, 3, 4]);
        assert_eq!(c.slot(), KeySlot::One(key_slot(b"t")));
        let words: Vec<&[u8]> = EncodedArgs(c.request().encoded_args()).collect();
        assert_eq!(
            words,
            [
                &b"ZINTERSTORE"[..],
                b"{t}dst",
                b"2",
                b"{t}a",
                b"{t}b",
                b"AGGREGATE"
            ]
        );
        assert!(c.request().check_valid().is_ok());
        let none: [&str; 0] = [];
        let c: Cmd<Value> = Cmd::new("ZUNION").keys_counted(none).required("keys");
        assert_eq!(
            c.request().check_valid().unwrap_err().kind(),
            ErrorKind::Usage
        );
        assert_eq!(Cmd::<Value>::new("LMPOP").keys_counted("k").arg_count(), 3);
    }

    #[test]
    fn escape_hatch_refuses_state_changes() {
        assert!(cmd("select").arg(1).request().check_shareable().is_err());
        assert!(cmd("CLIENT reply")
            .arg("OFF")
            .request()
            .check_shareable()
            .is_err());
        assert!(cmd("CLIENT LIST").request().check_shareable().is_ok());
        for sub in [
            "SETNAME",
            "setinfo",
            "Tracking",
            "CACHING",
            "no-evict",
            "NO-TOUCH",
            "CAPA",
            "IMPORT-SOURCE",
        ] {
            let e = cmd("CLIENT").arg(sub).arg("x").request().check_shareable();
            assert_eq!(e.unwrap_err().kind(), ErrorKind::Usage, "{sub}");
            assert!(cmd(&format!("client {sub}"))
                .request()
                .check_shareable()
                .is_err());
        }
        for sub in [
            "ID",
            "INFO",
            "GETNAME",
            "TRACKINGINFO",
            "KILL",
            "NO-EVICTS",
            "SET",
        ] {
            assert!(
                cmd("CLIENT").arg(sub).request().check_shareable().is_ok(),
                "{sub}"
            );
        }
        let e = cmd("SUBSCRIBE")
            .arg("ch")
            .request()
            .check_shareable()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
        assert_eq!(e.command(), Some("SUBSCRIBE"));
        // However the command is built: words passed as arguments, typed constructors.
        assert!(cmd("CLIENT")
            .arg("reply")
            .arg("SKIP")
            .request()
            .check_shareable()
            .is_err());
        assert!(Cmd::<()>::new("SELECT")
            .arg(5)
            .request()
            .check_shareable()
            .is_err());
        for name in [
            "MULTI", "exec", "Discard", "WATCH", "UNWATCH", "MONITOR", "RESET",
        ] {
            assert!(cmd(name).request().check_shareable().is_err(), "{name}");
        }
        // Names that merely start like a refused one pass.
        assert!(cmd("SELECTX").request().check_shareable().is_ok());
        assert!(cmd("CLIENTS")
            .arg("REPLY")
            .request()
            .check_shareable()
            .is_ok());
        assert!(cmd("A_VERY_LONG_MODULE.COMMAND")
            .request()
            .check_shareable()
            .is_ok());
    }

    #[test]
    fn writes_are_known_by_their_words() {
        let write = |c: Cmd<Value>| c.request().is_write();
        assert!(write(Cmd::new("SET").key("k").arg("v")));
        assert!(write(cmd("set").arg("k").arg("v")));
        assert!(write(cmd("EVALSHA").arg("abc").arg(0)));
        assert!(write(
            cmd("xgroup").arg("create").arg("s").arg("g").arg("$")
        ));
        assert!(write(cmd("FUNCTION").arg("LOAD").arg("#!lua name=x")));
        assert!(!write(cmd("FUNCTION").arg("LIST")));
        assert!(!write(cmd("XGROUP").arg("HELP")));
        assert!(!write(Cmd::new("GET").key("k")));
        assert!(!write(cmd("EVALSHA_RO").arg("abc").arg(0)));
        assert!(!write(cmd("PING")));
        assert!(!write(cmd("A-COMMAND-NAME-LONGER-THAN-ANY-WRITE")));
        assert!(
            WRITES.windows(2).all(|w| w[0] < w[1]),
            "WRITES must stay sorted"
        );
    }

    #[test]
    fn empty_commands_are_refused() {
        for c in [cmd(""), cmd("   "), Cmd::<Value>::new("")] {
            let e = c.request().check_shareable().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage);
        }
        // An empty first word is still a word: the server answers it (with an error).
        assert!(cmd("").arg("").request().check_shareable().is_ok());
    }

    #[test]
    fn encoded_words_are_read_back() {
        let c: Cmd<Value> = cmd("CLIENT KILL").arg("").arg(&b"a\r\nb"[..]).arg(12);
        let words: Vec<&[u8]> = EncodedArgs(c.request().encoded_args()).collect();
        assert_eq!(words, [&b"CLIENT"[..], b"KILL", b"", b"a\r\nb", b"12"]);
        assert_eq!(EncodedArgs(b"$3\r\nab").next(), None);
        assert_eq!(EncodedArgs(b"*1\r\n").next(), None);
    }
}
