//! The Redis handshake on a fresh stream: `HELLO` (or `AUTH` and `CLIENT SETNAME` on servers
//! without it), then `SELECT`.
//!
//! Owns: building the handshake commands, reading their replies synchronously with the RESP
//! scanner and decoder, turning refusals into errors of the right kind, and reading the
//! server version and client id out of the `HELLO` reply.
//!
//! Must not: log or put into an error any command argument (the password is one), or read
//! past the handshake's last reply without handing the extra bytes back.

use std::io::{self, Read, Write};
use std::time::Duration;

use bytes::Bytes;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result, ServerError};
use crate::resp::{self, FrameScanner, Limits};
use crate::value::Value;

use super::transport::Deadline;
use super::ConnInfo;

/// Runs the handshake on `stream`. `set_timeout` sets the socket's read and write timeouts;
/// it is called with the time left before each read and write. `tls` says whether `stream`
/// is a TLS session (for a hint in errors). Returns what was learned and the bytes read past
/// the last reply.
pub(super) fn run<S: Read + Write>(
    stream: &mut S,
    config: &Config,
    addr: &str,
    deadline: &Deadline,
    set_timeout: &dyn Fn(Duration) -> io::Result<()>,
    tls: bool,
) -> Result<(ConnInfo, Vec<u8>)> {
    let mut io = HandshakeIo {
        stream,
        buf: Vec::new(),
        deadline,
        set_timeout,
        limits: *config.limits(),
        tls,
    };
    let info = negotiate(&mut io, config, addr)?;
    Ok((info, io.buf))
}

/// `HELLO`, its fallback and `SELECT`, over any request/reply transport.
fn negotiate(io: &mut impl Requester, config: &Config, addr: &str) -> Result<ConnInfo> {
    let protocol = config.protocol_version();
    let mut info = ConnInfo {
        addr: addr.to_string(),
        protocol,
        server_version: None,
        client_id: None,
        server_name: None,
        server_mode: None,
        role: None,
    };
    let with_context = |e: Error, command: &str| e.with_command(command).with_node(addr);
    let credentials = config.credentials();
    let args = hello_args(protocol, credentials, config.client_name());
    match ask(io, config, "HELLO", &args)? {
        Err(refusal) => {
            // A server that knows HELLO answers `HELLO … AUTH` with WRONGPASS, never NOAUTH;
            // a NOAUTH means it does not know the command and (like Valkey 8+) hides that from
            // unauthenticated clients.
            let hidden_unknown = refusal.noauth && credentials.is_some();
            if refusal.auth && !hidden_unknown {
                return Err(refusal.into_error(config, "HELLO", addr));
            }
            if !(hidden_unknown || refusal.unknown_command || refusal.noproto) {
                return Err(refusal.into_error(config, "HELLO", addr));
            }
            if protocol == 3 {
                return Err(with_context(
                    Error::protocol(format!(
                        "the server does not support RESP3 (HELLO 3 was refused: {}); \
                         set protocol_version=2 (protocol=2 in a URL) for this server",
                        refusal.shown
                    )),
                    "HELLO",
                ));
            }
            log::debug!("{addr} does not know HELLO; falling back to AUTH and CLIENT SETNAME");
            legacy_handshake(io, config, addr)?;
        }
        Ok(reply) => {
            let hello = parse_hello(&reply);
            if let Some(p) = hello.proto {
                if p != i64::from(protocol) {
                    return Err(with_context(
                        Error::protocol(format!(
                            "asked for RESP{protocol}, but the server answered HELLO with \
                             proto {p}"
                        )),
                        "HELLO",
                    ));
                }
            }
            info.server_version = hello.version;
            info.client_id = hello.id;
            info.server_name = hello.server;
            info.server_mode = hello.mode;
            info.role = hello.role;
        }
    }
    if config.db() != 0 {
        let db = config.db().to_string();
        if let Err(refusal) = ask(io, config, "SELECT", &[b"SELECT".to_vec(), db.into_bytes()])? {
            return Err(refusal.into_error(config, "SELECT", addr));
        }
    }
    if config.read_only() {
        if let Err(refusal) = ask(io, config, "READONLY", &[b"READONLY".to_vec()])? {
            return Err(refusal.into_error(config, "READONLY", addr));
        }
    }
    if let Some(tracking) = config.tracking() {
        if let Err(refusal) = ask(io, config, "CLIENT TRACKING", tracking)? {
            return Err(refusal.into_error(config, "CLIENT TRACKING", addr));
        }
    }
    Ok(info)
}

/// For servers before 6.0 (no `HELLO`), RESP2 only: `AUTH` then `CLIENT SETNAME`.
fn legacy_handshake(io: &mut impl Requester, config: &Config, addr: &str) -> Result<()> {
    if let Some((user, password)) = config.credentials() {
        let args = auth_args(Some(user), password);
        if let Err(refusal) = ask(io, config, "AUTH", &args)? {
            return Err(refusal.into_error(config, "AUTH", addr));
        }
    }
    if let Some(name) = config.client_name() {
        let args = [
            b"CLIENT".to_vec(),
            b"SETNAME".to_vec(),
            name.as_bytes().to_vec(),
        ];
        if let Err(refusal) = ask(io, config, "CLIENT SETNAME", &args)? {
            return Err(refusal.into_error(config, "CLIENT SETNAME", addr));
        }
    }
    Ok(())
}

/// An error reply to a handshake command: classified from what the server said, kept only in
/// the form that may be shown.
struct Refusal {
    /// A refused password or user, or a missing one ([`is_auth_error`]).
    auth: bool,
    /// The code was `NOAUTH`.
    noauth: bool,
    /// The code was `NOPROTO`.
    noproto: bool,
    /// The server does not know the command ([`is_unknown_command`]).
    unknown_command: bool,
    /// The reply as it may appear in an error or a log ([`withhold_arguments`]).
    shown: ServerError,
}

impl Refusal {
    fn new(se: &ServerError, config: &Config) -> Refusal {
        Refusal {
            auth: is_auth_error(se),
            noauth: se.code() == "NOAUTH",
            noproto: se.code() == "NOPROTO",
            unknown_command: is_unknown_command(se),
            shown: withhold_arguments(se, config.credentials().map(|(_, password)| password)),
        }
    }

    /// The error for a refused `command`: [`ErrorKind::Auth`] for refused credentials,
    /// otherwise the server's error, with the command and node.
    fn into_error(self, config: &Config, command: &str, addr: &str) -> Error {
        if self.auth {
            auth_error(self.shown, config, command)
        } else {
            Error::server(self.shown).with_command(command)
        }
        .with_node(addr)
    }
}

/// Sends one handshake command: `Ok(reply)`, or `Err(refusal)` for an error reply, which is
/// classified here and then only kept without the arguments it may quote.
fn ask(
    io: &mut impl Requester,
    config: &Config,
    command: &str,
    args: &[Vec<u8>],
) -> Result<std::result::Result<Value, Refusal>> {
    Ok(match io.request(command, args)? {
        Value::Error(se) => Err(Refusal::new(&se, config)),
        reply => Ok(reply),
    })
}

/// The words a server may quote as the command it refused; every other quoted word may be an
/// argument.
const COMMAND_WORDS: [&str; 5] = ["HELLO", "AUTH", "CLIENT", "SETNAME", "SELECT"];

/// `se` as it may be shown when credentials were sent (`password` is `Some`, possibly empty).
///
/// Servers echo the arguments of a command they do not know (`ERR unknown command 'HELLO',
/// with args beginning with: '3' 'AUTH' 'default' 's3cret'`), and Redis before 6.0 cuts each
/// quoted argument at 128 characters, so a long password shows only its start and an exact
/// match of it finds nothing. So every argument goes: the reply is cut at "with args
/// beginning with", every other quoted word except a command name is withheld, and a reply
/// that still holds the password's first characters is withheld whole.
fn withhold_arguments(se: &ServerError, password: Option<&str>) -> ServerError {
    let Some(password) = password else {
        return se.clone();
    };
    let line = se.to_string();
    let (kept, cut) = match line.find(", with args beginning with") {
        Some(i) => (line.get(..i).unwrap_or_default(), true),
        None => (line.as_str(), false),
    };
    let (kept, quoted) = withhold_quoted(kept);
    let start = password
        .char_indices()
        .nth(8)
        .and_then(|(i, _)| password.get(..i))
        .unwrap_or(password);
    if !start.is_empty() && kept.contains(start) {
        let code = Some(se.code())
            .filter(|c| !c.is_empty() && !c.contains(start))
            .unwrap_or("ERR");
        return ServerError::from_line(&format!(
            "{code} (the server's reply quoted the password and is withheld)"
        ));
    }
    if cut || quoted {
        ServerError::from_line(&format!("{} (arguments withheld)", kept.trim_end()))
    } else {
        se.clone()
    }
}

/// `text` with the contents of every quoted word (`'…'`, `` `…` ``, `"…"`) other than a
/// command name replaced by `…`; an unclosed quote loses the rest of the text. A quote mark
/// right after a letter or digit (`can't`) opens nothing. Returns whether anything went.
fn withhold_quoted(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut withheld = false;
    let mut rest = text;
    loop {
        let open = rest.char_indices().find(|&(i, c)| {
            matches!(c, '\'' | '`' | '"')
                && !rest
                    .get(..i)
                    .and_then(|b| b.chars().next_back())
                    .is_some_and(char::is_alphanumeric)
        });
        let Some((i, quote)) = open else {
            out.push_str(rest);
            return (out, withheld);
        };
        out.push_str(rest.get(..i).unwrap_or_default());
        let inner = rest.get(i + 1..).unwrap_or_default();
        let Some(close) = inner.find(quote) else {
            return (out.trim_end().to_string(), true);
        };
        let word = inner.get(..close).unwrap_or_default();
        out.push(quote);
        if COMMAND_WORDS.iter().any(|c| c.eq_ignore_ascii_case(word)) {
            out.push_str(word);
        } else {
            out.push('…');
            withheld = true;
        }
        out.push(quote);
        rest = inner.get(close + 1..).unwrap_or_default();
    }
}

/// `HELLO <protocol> [AUTH <user> <password>] [SETNAME <name>]`, with the credentials of
/// [`Config::credentials`].
fn hello_args(
    protocol: u8,
    credentials: Option<(&str, &str)>,
    client_name: Option<&str>,
) -> Vec<Vec<u8>> {
    let mut args = vec![b"HELLO".to_vec(), protocol.to_string().into_bytes()];
    if let Some((user, password)) = credentials {
        args.push(b"AUTH".to_vec());
        args.push(user.as_bytes().to_vec());
        args.push(password.as_bytes().to_vec());
    }
    if let Some(name) = client_name {
        args.push(b"SETNAME".to_vec());
        args.push(name.as_bytes().to_vec());
    }
    args
}

/// `AUTH <password>`, or `AUTH <user> <password>` for a user other than `default` (servers
/// without `HELLO` predate ACL users and only know the one-argument form).
fn auth_args(username: Option<&str>, password: &str) -> Vec<Vec<u8>> {
    let mut args = vec![b"AUTH".to_vec()];
    if let Some(user) = username.filter(|u| *u != "default") {
        args.push(user.as_bytes().to_vec());
    }
    args.push(password.as_bytes().to_vec());
    args
}

/// A refused password or user, or a missing one.
fn is_auth_error(se: &ServerError) -> bool {
    match se.code() {
        "WRONGPASS" | "NOAUTH" => true,
        "ERR" => {
            let detail = se.detail().to_ascii_lowercase();
            [
                "invalid password",
                "invalid username-password",
                "no password is set",
                "without any password configured",
            ]
            .iter()
            .any(|s| detail.contains(s))
        }
        _ => false,
    }
}

/// `ERR unknown command 'HELLO'…` (wording varies across versions).
fn is_unknown_command(se: &ServerError) -> bool {
    se.code() == "ERR"
        && se
            .detail()
            .to_ascii_lowercase()
            .starts_with("unknown command")
}

/// An [`ErrorKind::Auth`] error naming the user (never the password), carrying the server's
/// reply (so `code()` says `WRONGPASS`, `NOAUTH`, …).
fn auth_error(se: ServerError, config: &Config, command: &str) -> Error {
    let message = match config.credentials() {
        None => "the server requires a password, and none is configured".to_string(),
        Some((user, _)) => format!("for user '{user}'"),
    };
    Error::new(ErrorKind::Auth, message)
        .with_server(se)
        .with_command(command)
}

/// What the `HELLO` reply says.
#[derive(Debug, Default, PartialEq, Eq)]
struct HelloReply {
    version: Option<String>,
    id: Option<i64>,
    proto: Option<i64>,
    server: Option<String>,
    mode: Option<String>,
    role: Option<String>,
}

/// Reads `version`, `id` and `proto` from a `HELLO` reply: a RESP3 map or a RESP2 flat array
/// of key/value pairs. Anything else yields nothing.
fn parse_hello(reply: &Value) -> HelloReply {
    let mut out = HelloReply::default();
    let text = |value: &Value| {
        value
            .as_bytes()
            .map(|v| String::from_utf8_lossy(v).into_owned())
    };
    let mut visit = |key: &Value, value: &Value| match key.as_bytes() {
        Some(b"version") => out.version = text(value),
        Some(b"server") => out.server = text(value),
        Some(b"mode") => out.mode = text(value),
        Some(b"role") => out.role = text(value),
        Some(b"id") => out.id = as_int(value),
        Some(b"proto") => out.proto = as_int(value),
        _ => {}
    };
    match reply {
        Value::Map(pairs) => pairs.iter().for_each(|(k, v)| visit(k, v)),
        Value::Array(items) => items.chunks_exact(2).for_each(|pair| {
            if let [k, v] = pair {
                visit(k, v)
            }
        }),
        other => log::debug!("unexpected HELLO reply: {}", other.describe()),
    }
    out
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        other => std::str::from_utf8(other.as_bytes()?).ok()?.parse().ok(),
    }
}

/// Sends one command and returns its reply (an error reply is `Ok(Value::Error)`).
trait Requester {
    /// `command` names the command in errors; `args` is the whole command (never logged).
    fn request(&mut self, command: &str, args: &[Vec<u8>]) -> Result<Value>;
}

/// Synchronous request/reply over the stream, within the deadline.
struct HandshakeIo<'a, S> {
    stream: &'a mut S,
    /// Received bytes not yet consumed; starts at a frame boundary.
    buf: Vec<u8>,
    deadline: &'a Deadline,
    set_timeout: &'a dyn Fn(Duration) -> io::Result<()>,
    limits: Limits,
    /// True over TLS, where a server refusing the client certificate (TLS 1.3) only shows
    /// as a reset or EOF at the first read or write after the TLS handshake.
    tls: bool,
}

impl<S: Read + Write> HandshakeIo<'_, S> {
    /// Sets the socket timeouts to the time left.
    fn arm(&mut self, doing: &str) -> Result<()> {
        let left = self.deadline.remaining(doing)?;
        (self.set_timeout)(left).map_err(|e| Error::io("setting socket timeouts failed", e))
    }

    fn send(&mut self, command: &str, args: &[Vec<u8>]) -> Result<()> {
        let mut out = Vec::new();
        resp::encode_command(&mut out, args);
        self.arm(&format!("sending {command}"))?;
        self.stream
            .write_all(&out)
            .and_then(|()| self.stream.flush())
            .map_err(|e| self.io_error(e, &format!("sending {command}")))
    }

    /// Reads one reply; push frames that arrive first are skipped.
    fn receive(&mut self, command: &str) -> Result<Value> {
        loop {
            let frame = self.read_frame(command)?;
            match resp::decode_with_limits(&frame, &self.limits)? {
                Value::Push(items) => {
                    log::debug!(
                        "skipping a push frame of {} during the handshake",
                        items.len()
                    )
                }
                v => return Ok(v.strip_attributes()),
            }
        }
    }

    fn read_frame(&mut self, command: &str) -> Result<Bytes> {
        let mut scanner = FrameScanner::new(self.limits);
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            if let Some(n) = scanner.scan(&self.buf)? {
                let rest = self.buf.split_off(n.min(self.buf.len()));
                return Ok(Bytes::from(std::mem::replace(&mut self.buf, rest)));
            }
            let doing = format!("waiting for the {command} reply");
            self.arm(&doing)?;
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(self.io_error(
                        io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the server closed the connection",
                        ),
                        &doing,
                    ))
                }
                Ok(n) => self
                    .buf
                    .extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(e, &doing)),
            }
        }
    }

    /// A socket error; a timeout while time was left is still reported as the deadline.
    fn io_error(&self, e: io::Error, doing: &str) -> Error {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                self.deadline.elapsed(doing).with_source(e)
            }
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
                if self.tls =>
            {
                Error::io(
                    format!(
                        "{doing} failed; the TLS handshake succeeded, so the server may have \
                         refused the client certificate (or requires one)"
                    ),
                    e,
                )
            }
            _ => Error::io(format!("{doing} failed"), e),
        }
    }
}

impl<S: Read + Write> Requester for HandshakeIo<'_, S> {
    fn request(&mut self, command: &str, args: &[Vec<u8>]) -> Result<Value> {
        self.send(command, args)
            .and_then(|()| self.receive(command))
            .map_err(|e| e.with_command(command))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    #[test]
    fn refusals_are_classified_before_arguments_are_withheld() {
        // The password "pass" is in "username-password": the reply is withheld whole, yet it
        // is still an authentication error with its code.
        let c = config(|b| b.username("alice").password("pass"));
        let mut s = Script::new(vec![err_reply(
            "WRONGPASS invalid username-password pair or user is disabled.",
        )]);
        let e = negotiate(&mut s, &c, "h:1").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        assert_eq!(e.code(), Some("WRONGPASS"));
        assert!(!e.to_string().contains("pass "), "{e}");
    }

    #[test]
    fn replies_quoting_arguments_are_withheld() {
        let se = |line: &str| ServerError::from_line(line);
        let echoed = se(
            "ERR unknown command 'HELLO', with args beginning with: '3' 'AUTH' \
                         'default' 's3cret' ",
        );
        let w = withhold_arguments(&echoed, Some("s3cret"));
        assert_eq!(w.code(), "ERR");
        assert_eq!(w.detail(), "unknown command 'HELLO' (arguments withheld)");
        assert!(is_unknown_command(&w));
        // Redis 6.2 quotes with backticks, same cut.
        let w = withhold_arguments(
            &se("ERR unknown command `HELLO`, with args beginning with: `3`, `AUTH`, `pw`, "),
            Some("pw"),
        );
        assert_eq!(w.detail(), "unknown command `HELLO` (arguments withheld)");
        // Arguments go even when they are not the password (a cut one would not match).
        assert_eq!(withhold_arguments(&echoed, Some("other")), w_of(&echoed));
        assert_eq!(withhold_arguments(&echoed, Some("")), w_of(&echoed));
        // Quoted words elsewhere go too, except a command name; `can't` quotes nothing.
        let w = withhold_arguments(&se("ERR can't use 'x1y2' with \"HELLO\""), Some("pw"));
        assert_eq!(
            w.detail(),
            "can't use '…' with \"HELLO\" (arguments withheld)"
        );
        let w = withhold_arguments(&se("ERR bad 'unclosed s3cr"), Some("s3cret"));
        assert_eq!(w.detail(), "bad (arguments withheld)");
        // The password's start anywhere: the whole reply goes, the code stays.
        let w = withhold_arguments(&se("WRONGPASS bad password s3cret"), Some("s3cret"));
        assert_eq!(w.code(), "WRONGPASS");
        assert!(!w.to_string().contains("s3cr"), "{w}");
        let w = withhold_arguments(
            &se("ERR bad password 0123456789ab"),
            Some("0123456789abcdef"),
        );
        assert!(!w.to_string().contains("01234567"), "{w}");
        // No credentials sent, or nothing quoted: unchanged.
        assert_eq!(withhold_arguments(&echoed, None), echoed);
        let plain = se("WRONGPASS invalid username-password pair or user is disabled.");
        assert_eq!(withhold_arguments(&plain, Some("hunter2")), plain);
    }

    fn w_of(se: &ServerError) -> ServerError {
        withhold_arguments(se, Some("s3cret"))
    }

    /// Redis < 6 cuts the quoted arguments of an unknown command at 128 characters: a long
    /// password is quoted only in part, so an exact match of it finds nothing.
    #[test]
    fn a_cut_quote_of_a_long_password_is_withheld() {
        let password: String = (0..120)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let c = config(|b| b.password(password.clone()));
        let mut prefix = "`3`, `AUTH`, `default`, `".to_string();
        let room = 128 - (prefix.len() - 1);
        prefix.push_str(&password[..room]);
        let line = format!("ERR unknown command `HELLO`, with args beginning with: {prefix}`, ");
        let mut s = Script::new(vec![err_reply(&line)]);
        let e = negotiate(&mut s, &c, "h:1").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
        for text in [e.to_string(), format!("{e:?}"), format!("{e:#}")] {
            assert!(!text.contains(&password[..8]), "{text}");
        }
    }

    fn bulk(s: &str) -> Value {
        Value::Bulk(Bytes::copy_from_slice(s.as_bytes()))
    }

    fn strings(args: &[Vec<u8>]) -> Vec<String> {
        args.iter()
            .map(|a| String::from_utf8(a.clone()).unwrap())
            .collect()
    }

    #[test]
    fn hello_arguments() {
        assert_eq!(strings(&hello_args(3, None, None)), ["HELLO", "3"]);
        assert_eq!(
            strings(&hello_args(3, Some(("default", "pw")), None)),
            ["HELLO", "3", "AUTH", "default", "pw"]
        );
        assert_eq!(
            strings(&hello_args(2, Some(("alice", "pw")), Some("app"))),
            ["HELLO", "2", "AUTH", "alice", "pw", "SETNAME", "app"]
        );
        assert_eq!(
            strings(&hello_args(3, None, Some("app"))),
            ["HELLO", "3", "SETNAME", "app"]
        );
        assert_eq!(strings(&auth_args(None, "pw")), ["AUTH", "pw"]);
        assert_eq!(strings(&auth_args(Some("default"), "pw")), ["AUTH", "pw"]);
        assert_eq!(
            strings(&auth_args(Some("bob"), "pw")),
            ["AUTH", "bob", "pw"]
        );
    }

    #[test]
    fn hello_reply_resp3_map() {
        let reply = Value::Map(vec![
            (bulk("server"), bulk("redis")),
            (bulk("version"), bulk("7.2.4")),
            (bulk("proto"), Value::Int(3)),
            (bulk("id"), Value::Int(42)),
            (bulk("mode"), bulk("standalone")),
            (bulk("modules"), Value::Array(vec![])),
        ]);
        assert_eq!(
            parse_hello(&reply),
            HelloReply {
                version: Some("7.2.4".into()),
                id: Some(42),
                proto: Some(3),
                server: Some("redis".into()),
                mode: Some("standalone".into()),
                role: None,
            }
        );
    }

    #[test]
    fn hello_reply_resp2_array() {
        let reply = Value::Array(vec![
            bulk("server"),
            bulk("redis"),
            bulk("version"),
            bulk("6.0.9"),
            bulk("proto"),
            Value::Int(2),
            bulk("id"),
            Value::Int(7),
            bulk("dangling"),
        ]);
        assert_eq!(
            parse_hello(&reply),
            HelloReply {
                version: Some("6.0.9".into()),
                id: Some(7),
                proto: Some(2),
                server: Some("redis".into()),
                mode: None,
                role: None,
            }
        );
        assert_eq!(parse_hello(&Value::Nil), HelloReply::default());
        assert_eq!(
            parse_hello(&Value::Array(vec![Value::Int(1)])),
            HelloReply::default()
        );
    }

    #[test]
    fn error_classification() {
        let auth = [
            "WRONGPASS invalid username-password pair or user is disabled.",
            "NOAUTH Authentication required.",
            "ERR invalid password",
            "ERR Client sent AUTH, but no password is set",
            "ERR AUTH <password> called without any password configured for the default user.",
        ];
        for line in auth {
            assert!(is_auth_error(&ServerError::from_line(line)), "{line}");
        }
        assert!(!is_auth_error(&ServerError::from_line(
            "ERR unknown command 'HELLO'"
        )));
        assert!(is_unknown_command(&ServerError::from_line(
            "ERR unknown command 'HELLO'"
        )));
        assert!(is_unknown_command(&ServerError::from_line(
            "ERR unknown command `HELLO`, with args beginning with: `3`, "
        )));
        assert!(!is_unknown_command(&ServerError::from_line(
            "NOPROTO sorry"
        )));
    }

    /// A scripted server: records requests, answers from a list.
    struct Script {
        replies: VecDeque<Value>,
        seen: Vec<Vec<String>>,
    }

    impl Script {
        fn new(replies: Vec<Value>) -> Script {
            Script {
                replies: replies.into(),
                seen: Vec::new(),
            }
        }
    }

    impl Requester for Script {
        fn request(&mut self, _command: &str, args: &[Vec<u8>]) -> Result<Value> {
            self.seen.push(strings(args));
            self.replies
                .pop_front()
                .ok_or_else(|| Error::protocol("script ran out"))
        }
    }

    fn err_reply(line: &str) -> Value {
        Value::Error(ServerError::from_line(line))
    }

    fn ok_reply() -> Value {
        Value::SimpleString(Bytes::from_static(b"OK"))
    }

    fn config(
        f: impl FnOnce(crate::config::ConfigBuilder) -> crate::config::ConfigBuilder,
    ) -> Config {
        f(Config::builder()).build().unwrap()
    }

    #[test]
    fn resp3_handshake_with_select() {
        let c = config(|b| b.password("pw").client_name("app").db(2));
        let hello = Value::Map(vec![
            (bulk("version"), bulk("7.0.0")),
            (bulk("proto"), Value::Int(3)),
            (bulk("id"), Value::Int(9)),
        ]);
        let mut s = Script::new(vec![hello, ok_reply()]);
        let info = negotiate(&mut s, &c, "h:1").unwrap();
        assert_eq!(info.protocol, 3);
        assert_eq!(info.server_version.as_deref(), Some("7.0.0"));
        assert_eq!(info.client_id, Some(9));
        assert_eq!(s.seen.len(), 2);
        assert_eq!(s.seen[1], ["SELECT", "2"]);
    }

    #[test]
    fn wrong_password_is_an_auth_error_without_the_password() {
        let c = config(|b| b.username("alice").password("hunter2"));
        let mut s = Script::new(vec![err_reply(
            "WRONGPASS invalid username-password pair or user is disabled.",
        )]);
        let e = negotiate(&mut s, &c, "h:1").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert_eq!(e.node(), Some("h:1"));
        assert_eq!(e.command(), Some("HELLO"));
        let text = e.to_string();
        assert!(text.contains("for user 'alice'"), "{text}");
        assert!(text.contains("WRONGPASS"), "{text}");
        assert!(!text.contains("hunter2") && !format!("{e:?}").contains("hunter2"));

        let c = config(|b| b);
        let mut s = Script::new(vec![err_reply(
            "NOAUTH HELLO must be called with the client already authenticated",
        )]);
        let e = negotiate(&mut s, &c, "h:1").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.to_string().contains("none is configured"), "{e}");
    }

    #[test]
    fn resp3_refused_is_a_protocol_error() {
        for line in [
            "NOPROTO unsupported protocol version",
            "ERR unknown command 'HELLO'",
        ] {
            let mut s = Script::new(vec![err_reply(line)]);
            let e = negotiate(&mut s, &config(|b| b), "h:1").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
            assert!(e.to_string().contains("protocol_version=2"), "{e}");
        }
    }

    #[test]
    fn resp2_falls_back_to_auth_and_setname() {
        let c = config(|b| {
            b.protocol_version(2)
                .password("pw")
                .client_name("app")
                .db(1)
        });
        let mut s = Script::new(vec![
            err_reply("ERR unknown command 'HELLO'"),
            ok_reply(),
            ok_reply(),
            ok_reply(),
        ]);
        let info = negotiate(&mut s, &c, "h:1").unwrap();
        assert_eq!(info.protocol, 2);
        assert_eq!(info.server_version, None);
        assert_eq!(
            s.seen,
            vec![
                strings(&hello_args(2, Some(("default", "pw")), Some("app"))),
                vec!["AUTH".to_string(), "pw".into()],
                vec!["CLIENT".to_string(), "SETNAME".into(), "app".into()],
                vec!["SELECT".to_string(), "1".into()],
            ]
        );

        let mut s = Script::new(vec![
            err_reply("ERR unknown command 'HELLO'"),
            err_reply("ERR invalid password"),
        ]);
        let e = negotiate(&mut s, &c, "h:1").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert_eq!(e.command(), Some("AUTH"));
    }

    #[test]
    fn other_errors_keep_the_server_error() {
        let c = config(|b| b.db(99));
        let hello = Value::Map(vec![(bulk("proto"), Value::Int(3))]);
        let mut s = Script::new(vec![hello, err_reply("ERR DB index is out of range")]);
        let e = negotiate(&mut s, &c, "h:1").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.command(), Some("SELECT"));
        assert_eq!(e.code(), Some("ERR"));
        assert_eq!(e.node(), Some("h:1"));

        let mut s = Script::new(vec![err_reply("DENIED Redis is running in protected mode")]);
        let e = negotiate(&mut s, &config(|b| b), "h:1").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.code(), Some("DENIED"));
        assert_eq!(e.command(), Some("HELLO"));
    }

    #[test]
    fn mismatched_proto_is_a_protocol_error() {
        let hello = Value::Map(vec![(bulk("proto"), Value::Int(2))]);
        let mut s = Script::new(vec![hello]);
        let e = negotiate(&mut s, &config(|b| b), "h:1").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }

    /// An in-memory stream: reads come from `input` in small pieces, writes go to `output`.
    struct ChunkedStream {
        input: Vec<u8>,
        pos: usize,
        output: Vec<u8>,
    }

    impl Read for ChunkedStream {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let rest = &self.input[self.pos..];
            let n = rest.len().min(buf.len()).min(5);
            buf[..n].copy_from_slice(&rest[..n]);
            self.pos += n;
            Ok(n)
        }
    }

    impl Write for ChunkedStream {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn run_over_a_stream_keeps_extra_bytes() {
        let hello = b"%3\r\n$7\r\nversion\r\n$5\r\n7.4.0\r\n$5\r\nproto\r\n:3\r\n\
                      +id\r\n:5\r\n";
        let mut input = b">2\r\n$7\r\nmessage\r\n$1\r\nx\r\n".to_vec();
        input.extend_from_slice(hello);
        input.extend_from_slice(b"+OK\r\n:1\r\n");
        let mut stream = ChunkedStream {
            input,
            pos: 0,
            output: Vec::new(),
        };
        let c = config(|b| b.db(3).password("pw"));
        let deadline = Deadline::after(Duration::from_secs(5));
        let (info, extra) = run(&mut stream, &c, "h:1", &deadline, &|_| Ok(()), false).unwrap();
        assert_eq!(info.client_id, Some(5));
        assert_eq!(info.server_version.as_deref(), Some("7.4.0"));
        // Whatever was read past the SELECT reply is handed back.
        let mut all = extra;
        all.extend_from_slice(&stream.input[stream.pos..]);
        assert_eq!(all, b":1\r\n");
        let sent = String::from_utf8(stream.output).unwrap();
        assert!(
            sent.starts_with("*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n"),
            "{sent}"
        );
        assert!(
            sent.ends_with("*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"),
            "{sent}"
        );
    }

    #[test]
    fn run_reports_eof() {
        let mut stream = ChunkedStream {
            input: b"%1\r\n$7\r\nver".to_vec(),
            pos: 0,
            output: Vec::new(),
        };
        let deadline = Deadline::after(Duration::from_secs(5));
        let e = run(
            &mut stream,
            &config(|b| b),
            "h:1",
            &deadline,
            &|_| Ok(()),
            true,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io, "{e}");
        assert_eq!(e.command(), Some("HELLO"));
        assert!(e.to_string().contains("client certificate"), "{e}");
    }
}
