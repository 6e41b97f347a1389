//! The crate's one error type.
//!
//! Owns: [`Error`], the coarse [`ErrorKind`] a caller matches on, and [`ServerError`], an error
//! reply sent by the server. Every error carries what is known of its context: the command that
//! failed, the node it was sent to, and the underlying cause (reachable through
//! [`std::error::Error::source`]).
//!
//! Must not: hold secrets. Nothing that builds an error may put a password into its message.

use std::fmt;
use std::sync::Arc;

/// The result type of every fallible operation in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely: the thing to `match` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading from or writing to the socket failed, or connecting did.
    Io,
    /// A connect or response timeout elapsed before the operation completed.
    Timeout,
    /// The peer sent bytes that are not valid RESP, or that exceed the configured limits, or a
    /// reply arrived that no request was waiting for.
    Protocol,
    /// The server answered with an error reply; see [`Error::server_error`]. (Refused
    /// credentials are [`ErrorKind::Auth`] and ACL refusals [`ErrorKind::Permission`]
    /// instead.)
    Server,
    /// Authentication was refused (wrong password, unknown user, `NOAUTH`).
    Auth,
    /// The server refused the command because the ACL user may not run it, touch one of its
    /// keys or use one of its channels (a `NOPERM` reply). Like [`ErrorKind::Server`] it is
    /// an error reply to this one command: the connection stays usable, and
    /// [`Error::server_error`] has the reply ([`ServerCode::NoPerm`]). Retrying does not
    /// help until the user's permissions change.
    #[doc(alias = "NOPERM")]
    #[doc(alias = "NoPerm")]
    Permission,
    /// The client or the connection was closed, or the connection was lost while the request
    /// was in flight, so the request may or may not have been executed.
    Closed,
    /// The reply does not fit the type the caller asked for.
    Type,
    /// The configuration or URL is invalid, or a TLS setting could not be applied.
    Config,
    /// The call is not allowed here, e.g. `SELECT` or `SUBSCRIBE` on a connection shared by
    /// many callers.
    Usage,
    /// A transaction did not run because a watched key changed (optimistic locking lost the
    /// race on every attempt).
    Conflict,
    /// The write ran on the primary, but fewer replicas than
    /// [`Config::wait_for_replicas`](crate::Config::wait_for_replicas) asks for acknowledged it
    /// within its timeout (or `WAIT` was refused): a failover may lose it. Sending it again is
    /// the caller's decision (a write that is not idempotent would run twice).
    NotReplicated,
}

impl ErrorKind {
    /// A short lower-case description, as `Display` prints it (`"timed out"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "I/O error",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Protocol => "protocol error",
            ErrorKind::Server => "server error",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Permission => "permission denied",
            ErrorKind::Closed => "connection closed",
            ErrorKind::Type => "unexpected reply type",
            ErrorKind::Config => "invalid configuration",
            ErrorKind::Usage => "not allowed",
            ErrorKind::Conflict => "transaction conflict",
            ErrorKind::NotReplicated => "not acknowledged by enough replicas",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error reply from the server, such as `WRONGTYPE Operation against a key holding the wrong
/// kind of value` or `MOVED 3999 127.0.0.1:6381`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ServerError {
    code: String,
    detail: String,
}

impl ServerError {
    /// Builds a server error from the raw error line (without the leading `-` and the CRLF).
    /// The code is the first word when it is all upper case (`ERR`, `WRONGTYPE`, `MOVED`, …).
    pub fn from_line(line: &str) -> ServerError {
        let (first, rest) = match line.split_once(' ') {
            Some((a, b)) => (a, b),
            None => (line, ""),
        };
        let is_code = !first.is_empty()
            && first
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if is_code {
            ServerError {
                code: first.to_string(),
                detail: rest.to_string(),
            }
        } else {
            ServerError {
                code: String::new(),
                detail: line.to_string(),
            }
        }
    }

    /// The error code: the first word of the reply (`ERR`, `WRONGTYPE`, `NOAUTH`, `MOVED`, …),
    /// or `""` when the reply had none.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The text after the code.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The code as a value to match on, with the details a program reacts to parsed (the slot
    /// and address of `MOVED` and `ASK`).
    ///
    /// ```
    /// use coredis::{ServerCode, ServerError};
    /// let e = ServerError::from_line("MOVED 3999 127.0.0.1:6381");
    /// assert_eq!(e.kind(), ServerCode::Moved { slot: 3999, addr: "127.0.0.1:6381".into() });
    /// assert_eq!(ServerError::from_line("WRONGTYPE Operation…").kind(), ServerCode::WrongType);
    /// ```
    pub fn kind(&self) -> ServerCode {
        let redirect = || -> Option<(u16, String)> {
            let (slot, addr) = self.detail.split_once(' ')?;
            Some((slot.parse().ok()?, addr.trim().to_string()))
        };
        match self.code.as_str() {
            "ERR" => ServerCode::Err,
            "WRONGTYPE" => ServerCode::WrongType,
            "NOPERM" => ServerCode::NoPerm,
            "NOAUTH" => ServerCode::NoAuth,
            "WRONGPASS" => ServerCode::WrongPass,
            "LOADING" => ServerCode::Loading,
            "BUSY" => ServerCode::Busy,
            "BUSYKEY" => ServerCode::BusyKey,
            "NOSCRIPT" => ServerCode::NoScript,
            "READONLY" => ServerCode::ReadOnly,
            "MASTERDOWN" => ServerCode::MasterDown,
            "MISCONF" => ServerCode::Misconf,
            "OOM" => ServerCode::Oom,
            "EXECABORT" => ServerCode::ExecAbort,
            "NOGROUP" => ServerCode::NoGroup,
            "BUSYGROUP" => ServerCode::BusyGroup,
            "TRYAGAIN" => ServerCode::TryAgain,
            "CLUSTERDOWN" => ServerCode::ClusterDown,
            "CROSSSLOT" => ServerCode::CrossSlot,
            "MOVED" => match redirect() {
                Some((slot, addr)) => ServerCode::Moved { slot, addr },
                None => ServerCode::Other,
            },
            "ASK" => match redirect() {
                Some((slot, addr)) => ServerCode::Ask { slot, addr },
                None => ServerCode::Other,
            },
            _ => ServerCode::Other,
        }
    }
}

/// The error codes of server replies that programs react to, from [`ServerError::kind`].
/// Anything else is [`ServerCode::Other`]; [`ServerError::code`] has the raw word.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerCode {
    /// `ERR`: a generic error (wrong arguments, unknown command, …).
    Err,
    /// `WRONGTYPE`: the key holds another kind of value.
    WrongType,
    /// `NOPERM`: the ACL user may not run the command, touch the key or use the channel
    /// (an error of kind [`ErrorKind::Permission`]).
    NoPerm,
    /// `NOAUTH`: authentication is required.
    NoAuth,
    /// `WRONGPASS`: wrong user name or password.
    WrongPass,
    /// `LOADING`: the server is loading its dataset; retry later.
    Loading,
    /// `BUSY`: a script or function is running; retry later (or kill it).
    Busy,
    /// `BUSYKEY`: the target key exists (`RESTORE`, `MIGRATE`).
    BusyKey,
    /// `NOSCRIPT`: no script with that SHA1; send it with `EVAL` / `SCRIPT LOAD`.
    NoScript,
    /// `READONLY`: a write sent to a replica.
    ReadOnly,
    /// `MASTERDOWN`: the replica lost its primary and does not serve stale data.
    MasterDown,
    /// `MISCONF`: writes are refused because snapshots fail.
    Misconf,
    /// `OOM`: the command would exceed `maxmemory`.
    Oom,
    /// `EXECABORT`: the transaction was discarded because a command was refused.
    ExecAbort,
    /// `NOGROUP`: the stream or its consumer group does not exist.
    NoGroup,
    /// `BUSYGROUP`: the consumer group already exists.
    BusyGroup,
    /// `TRYAGAIN`: the keys are being migrated (cluster); retry later.
    TryAgain,
    /// `CLUSTERDOWN`: the cluster cannot serve the slot.
    ClusterDown,
    /// `CROSSSLOT`: the keys of one command hash to different slots.
    CrossSlot,
    /// `MOVED slot addr`: the slot lives on another node, for good.
    Moved {
        /// The hash slot.
        slot: u16,
        /// The node that serves it, `host:port`.
        addr: String,
    },
    /// `ASK slot addr`: the slot is migrating; ask that node once (after `ASKING`).
    Ask {
        /// The hash slot.
        slot: u16,
        /// The node to ask, `host:port`.
        addr: String,
    },
    /// Any other code.
    Other,
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code.is_empty(), self.detail.is_empty()) {
            (true, _) => f.write_str(&self.detail),
            (false, true) => f.write_str(&self.code),
            (false, false) => write!(f, "{} {}", self.code, self.detail),
        }
    }
}

impl fmt::Debug for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerError({self})")
    }
}

impl std::error::Error for ServerError {}

/// The error of every fallible operation in this crate.
///
/// Match on [`Error::kind`]; read the context with [`Error::command`], [`Error::node`] and
/// [`Error::server_error`]. `Display` prints the kind, the message, the server's reply and the
/// context on one line, for example `server error: WRONGTYPE Operation against a key holding
/// the wrong kind of value (command INCR, node 127.0.0.1:6379)`, but not the underlying cause
/// (an I/O or TLS error): that is [`source()`](std::error::Error::source), so that a printer
/// of cause chains shows each cause once. The alternate form `{:#}` appends the causes
/// (`…: connection refused (os error 111)`) for a one-line log.
///
/// Errors are cheap to clone: one failed connection hands the same cause to every request that
/// was in flight.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: String,
    command: Option<String>,
    node: Option<String>,
    server: Option<ServerError>,
    source: Option<Arc<dyn std::error::Error + Send + Sync + 'static>>,
    /// The request was certainly not written to the server (see [`Error::was_not_sent`]).
    not_sent: bool,
}

impl Error {
    /// A new error of `kind` with a message saying what happened.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                command: None,
                node: None,
                server: None,
                source: None,
                not_sent: false,
            }),
        }
    }

    /// An error reply from the server. `NOAUTH` and `WRONGPASS` replies are
    /// [`ErrorKind::Auth`], `NOPERM` replies [`ErrorKind::Permission`]; every other code is
    /// [`ErrorKind::Server`].
    pub fn server(err: ServerError) -> Error {
        let kind = match err.code() {
            "NOAUTH" | "WRONGPASS" => ErrorKind::Auth,
            "NOPERM" => ErrorKind::Permission,
            _ => ErrorKind::Server,
        };
        let mut e = Error::new(kind, String::new());
        e.inner.server = Some(err);
        e
    }

    /// An I/O error with a message saying what was being done.
    pub fn io(message: impl Into<String>, cause: std::io::Error) -> Error {
        let kind = match cause.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => ErrorKind::Timeout,
            _ => ErrorKind::Io,
        };
        Error::new(kind, message).with_source(cause)
    }

    /// A reply that does not fit the requested type: `expected` names the type asked for,
    /// `got` describes the reply.
    pub fn type_mismatch(expected: &str, got: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::Type,
            format!("expected {expected}, server replied {got}"),
        )
    }

    /// A protocol error.
    pub fn protocol(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Protocol, message)
    }

    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, message)
    }

    /// Attaches the underlying cause, returned by [`source()`](std::error::Error::source).
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// Attaches the command's name, unless one is already set.
    #[must_use]
    pub fn with_command(mut self, command: &str) -> Error {
        if self.inner.command.is_none() {
            self.inner.command = Some(command.to_string());
        }
        self
    }

    /// Attaches the address of the node the command went to, unless one is already set.
    #[must_use]
    pub fn with_node(mut self, node: &str) -> Error {
        if self.inner.node.is_none() {
            self.inner.node = Some(node.to_string());
        }
        self
    }

    /// Says what was being done: `what` goes before the message (`what: message`), keeping
    /// the kind, the server's reply and the other context.
    #[must_use]
    pub(crate) fn context(mut self, what: impl fmt::Display) -> Error {
        self.inner.message = if self.inner.message.is_empty() {
            what.to_string()
        } else {
            format!("{what}: {}", self.inner.message)
        };
        self
    }

    /// Attaches the server's error reply (e.g. to an authentication error).
    #[must_use]
    pub(crate) fn with_server(mut self, server: ServerError) -> Error {
        self.inner.server = Some(server);
        self
    }

    /// Marks the error of a request that was certainly not written to the server.
    #[must_use]
    pub(crate) fn not_sent(mut self) -> Error {
        self.inner.not_sent = true;
        self
    }

    /// True when the request certainly did not reach the server: the connection was known to
    /// be lost before the request was written, so it was not executed and sending it again
    /// cannot run it twice. Such errors are [`ErrorKind::Closed`]; a `Closed` error for which
    /// this is false may or may not have run. See [`crate::RetryPolicy`].
    pub fn was_not_sent(&self) -> bool {
        self.inner.not_sent
    }

    /// What went wrong, coarsely.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The name of the command that failed, when known.
    pub fn command(&self) -> Option<&str> {
        self.inner.command.as_deref()
    }

    /// The address of the node the command was sent to, when known.
    pub fn node(&self) -> Option<&str> {
        self.inner.node.as_deref()
    }

    /// The server's error reply, for [`ErrorKind::Server`] and [`ErrorKind::Permission`] (and
    /// [`ErrorKind::Auth`] when the server said so).
    pub fn server_error(&self) -> Option<&ServerError> {
        self.inner.server.as_ref()
    }

    /// The server error's code as a value to match on (`None` when this is not a server error
    /// reply), see [`ServerError::kind`].
    pub fn server_code(&self) -> Option<ServerCode> {
        self.server_error().map(ServerError::kind)
    }

    /// The server's error code (`WRONGTYPE`, `MOVED`, `NOAUTH`, …), when the server replied
    /// with an error.
    pub fn code(&self) -> Option<&str> {
        self.inner.server.as_ref().map(ServerError::code)
    }

    /// True for [`ErrorKind::Timeout`].
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// True when the connection was lost or closed, or an I/O error occurred: the request may
    /// or may not have reached the server.
    pub fn is_connection_error(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Io | ErrorKind::Closed)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.write_str(i.kind.as_str())?;
        if !i.message.is_empty() {
            write!(f, ": {}", i.message)?;
        }
        if let Some(s) = &i.server {
            write!(f, ": {s}")?;
        }
        match (&i.command, &i.node) {
            (Some(c), Some(n)) => write!(f, " (command {c}, node {n})")?,
            (Some(c), None) => write!(f, " (command {c})")?,
            (None, Some(n)) => write!(f, " (node {n})")?,
            (None, None) => {}
        }
        if f.alternate() {
            let mut cause = std::error::Error::source(self);
            while let Some(c) = cause {
                write!(f, ": {c}")?;
                cause = c.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind);
        if !i.message.is_empty() {
            d.field("message", &i.message);
        }
        if let Some(s) = &i.server {
            d.field("server", s);
        }
        if let Some(c) = &i.command {
            d.field("command", c);
        }
        if let Some(n) = &i.node {
            d.field("node", n);
        }
        if let Some(s) = &i.source {
            d.field("source", &format_args!("{s}"));
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    /// The underlying cause (an I/O, TLS or other error), which `Display` does not repeat. The
    /// server's error reply is part of this error's own message, not a cause: see
    /// [`Error::server_error`].
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}

impl From<ServerError> for Error {
    fn from(e: ServerError) -> Error {
        Error::server(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_error_code_and_detail() {
        let e = ServerError::from_line("WRONGTYPE Operation against a key");
        assert_eq!(e.code(), "WRONGTYPE");
        assert_eq!(e.detail(), "Operation against a key");
        let e = ServerError::from_line("something lower case");
        assert_eq!(e.code(), "");
        assert_eq!(e.to_string(), "something lower case");
    }

    #[test]
    fn display_has_context() {
        let e = Error::server(ServerError::from_line("WRONGTYPE bad"))
            .with_command("INCR")
            .with_node("127.0.0.1:6379");
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.code(), Some("WRONGTYPE"));
        let s = e.to_string();
        assert!(s.contains("WRONGTYPE bad"), "{s}");
        assert!(s.contains("command INCR"), "{s}");
        assert!(s.contains("node 127.0.0.1:6379"), "{s}");
        let a = Error::server(ServerError::from_line("WRONGPASS invalid"));
        assert_eq!(a.kind(), ErrorKind::Auth);
        let p = Error::server(ServerError::from_line(
            "NOPERM User app has no permissions to run the 'flushall' command",
        ))
        .with_command("FLUSHALL");
        assert_eq!(p.kind(), ErrorKind::Permission);
        assert_eq!(p.server_code(), Some(ServerCode::NoPerm));
        assert!(!p.is_connection_error());
        assert_eq!(
            p.to_string(),
            "permission denied: NOPERM User app has no permissions to run the 'flushall' \
             command (command FLUSHALL)"
        );
    }

    #[test]
    fn source_is_chained_and_not_repeated() {
        use std::error::Error as _;
        let e = Error::io("connecting", std::io::Error::other("refused")).with_node("h:1");
        assert_eq!(e.source().map(|s| s.to_string()), Some("refused".into()));
        // A cause-chain printer shows each cause once.
        let mut chain = vec![e.to_string()];
        let mut cause = e.source();
        while let Some(c) = cause {
            chain.push(c.to_string());
            cause = c.source();
        }
        assert_eq!(chain, ["I/O error: connecting (node h:1)", "refused"]);
        // The alternate form appends the causes, for one-line logs.
        assert_eq!(
            format!("{e:#}"),
            "I/O error: connecting (node h:1): refused"
        );
        // Nested: each level once.
        let outer = Error::new(ErrorKind::Config, "outer").with_source(e.clone());
        assert_eq!(outer.to_string(), "invalid configuration: outer");
        assert_eq!(
            format!("{outer:#}"),
            "invalid configuration: outer: I/O error: connecting (node h:1): refused"
        );
        // The server's reply is this error's message, not a cause.
        let s = Error::server(ServerError::from_line("ERR x"));
        assert!(s.source().is_none());
        assert_eq!(s.to_string(), "server error: ERR x");
    }

    #[test]
    fn error_kind_display() {
        assert_eq!(ErrorKind::Timeout.to_string(), "timed out");
        assert_eq!(ErrorKind::Closed.to_string(), "connection closed");
        let e = Error::new(ErrorKind::Usage, "no");
        assert!(e.to_string().starts_with(&e.kind().to_string()));
    }
}
