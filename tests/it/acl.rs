//! ACL users (issue 16): a user restricted to some commands, keys and channels works for what
//! it may do (single commands, handles, pipelines, transactions, pub/sub) and gets
//! [`ErrorKind::Permission`] for the rest, on a client that stays usable; wrong credentials
//! are [`ErrorKind::Auth`]. Then the password scan: a long random password never shows in an
//! error, a `Debug` output or a log line, whatever fails.

use crate::util::protocol;
use coredis::prelude::*;
use coredis::{cmd, Config, Error, ErrorKind, Redis, ServerCode, SubscriberOptions};
use coredis_test_support::fake::{FakeServer, Handshake, Script};
use coredis_test_support::Server;
use std::time::{Duration, Instant};

/// How long anything expected may take on a busy machine.
const PATIENCE: Duration = Duration::from_secs(30);

/// The restricted user: keys `app:*`, channel `news`, reads, writes, transactions and pub/sub,
/// but not `FLUSHALL` nor `SELECT` (for the handshake refusal).
const APP_RULES: &[&str] = &[
    "reset",
    "on",
    ">apppw",
    "~app:*",
    "resetchannels",
    "&news",
    "+@read",
    "+@write",
    "+@connection",
    "+@pubsub",
    "+@transaction",
    "+acl|whoami",
    "-flushall",
    "-select",
];

/// A server with the user `app` of [`APP_RULES`] (set by the default user).
fn acl_server() -> Server {
    let server = Server::start();
    let mut setuser = vec!["ACL", "SETUSER", "app"];
    setuser.extend_from_slice(APP_RULES);
    assert_eq!(server.command(&setuser), "OK", "ACL SETUSER app");
    server
}

/// `user:password` at `server` in protocol `p`, with `query` (may be empty).
fn url_as(server: &Server, user: &str, password: &str, p: u8, query: &str) -> String {
    format!(
        "redis://{user}:{password}@127.0.0.1:{}?protocol={p}{}{query}",
        server.port(),
        if query.is_empty() { "" } else { "&" }
    )
}

/// Asserts that `e` is an ACL refusal of `command`.
fn assert_refused(e: &Error, command: &str, what: &str) {
    assert_eq!(e.kind(), ErrorKind::Permission, "{what}: {e:#}");
    assert_eq!(e.server_code(), Some(ServerCode::NoPerm), "{what}: {e:#}");
    assert_eq!(e.code(), Some("NOPERM"), "{what}: {e:#}");
    assert_eq!(e.command(), Some(command), "{what}: {e:#}");
    assert!(!e.is_connection_error() && !e.is_timeout(), "{what}: {e:#}");
    let shown = e.to_string();
    assert!(
        shown.starts_with("permission denied: NOPERM") && shown.contains(command),
        "{what}: {shown}"
    );
}

/// Connections the server accepted so far (to see that a refusal cost no reconnection).
fn connections_received(server: &Server) -> i64 {
    let info = server.command(&["INFO", "stats"]);
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no total_connections_received in {info:?}"))
}

#[test]
fn acl_restricted_user_gets_permission_errors_and_the_client_stays_usable() {
    let server = acl_server();
    for p in [3u8, 2] {
        let r = Redis::from_url(&url_as(&server, "app", "apppw", p, "")).unwrap();
        let who: String = r.execute(cmd("ACL").arg("WHOAMI").returns()).unwrap();
        assert_eq!(who, "app", "RESP{p}");
        r.set("app:k", "v").unwrap();
        let before = connections_received(&server);

        // A forbidden key, a forbidden command, a forbidden command category: each fails
        // alone, and the next allowed command works on the same connection.
        let e = r.get::<Option<String>>("other:k").unwrap_err();
        assert_refused(&e, "GET", &format!("RESP{p} key"));
        assert_eq!(r.get::<String>("app:k").unwrap(), "v", "RESP{p}");
        let e = r.execute(cmd("FLUSHALL")).unwrap_err();
        assert_refused(&e, "FLUSHALL", &format!("RESP{p} command"));
        assert_eq!(r.get::<String>("app:k").unwrap(), "v", "RESP{p}");
        let e = r
            .execute(cmd("CONFIG").arg("GET").arg("maxmemory"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permission, "RESP{p}: {e:#}");
        assert_eq!(r.incr("app:n").unwrap(), 1, "RESP{p}");
        // Through a handle.
        let e = r.deferred().set("other:k", "x").wait().unwrap_err();
        assert_refused(&e, "SET", &format!("RESP{p} handle"));
        assert_eq!(r.deferred().incr("app:n").wait().unwrap(), 2);
        // A forbidden channel to publish to.
        let e = r.publish("secret", "x").unwrap_err();
        assert_refused(&e, "PUBLISH", &format!("RESP{p} publish"));

        // A pipeline: each command gets its own result.
        let pipe = r.pipeline();
        let set = pipe.set("app:p", "pv");
        let forbidden_key = pipe.get::<Option<String>>("other:p");
        let forbidden_cmd = pipe.execute(cmd("FLUSHALL"));
        let get = pipe.get::<String>("app:p");
        let replies = pipe.exec().unwrap();
        replies.get(set).unwrap();
        assert_refused(
            &replies.get(forbidden_key).unwrap_err(),
            "GET",
            &format!("RESP{p} pipeline key"),
        );
        assert_refused(
            &replies.get(forbidden_cmd).unwrap_err(),
            "FLUSHALL",
            &format!("RESP{p} pipeline command"),
        );
        assert_eq!(replies.get(get).unwrap(), "pv", "RESP{p}");
        assert_eq!(
            connections_received(&server),
            before + 1,
            "RESP{p}: a refusal is not a reason to reconnect (the one more is the INFO's own)"
        );

        // A transaction of allowed commands runs; one with a refused command is aborted
        // whole (EXECABORT), the refusal as its cause.
        let tx = r.transaction();
        let a = tx.incr("app:t");
        let b = tx.get::<i64>("app:t");
        let replies = tx.exec().unwrap();
        assert_eq!((replies.get(a).unwrap(), replies.get(b).unwrap()), (1, 1));
        let tx = r.transaction();
        let _ = tx.incr("app:t");
        let _ = tx.get::<Option<String>>("other:t");
        let e = tx.exec().unwrap_err();
        assert_eq!(
            e.server_code(),
            Some(ServerCode::ExecAbort),
            "RESP{p}: {e:#}"
        );
        let cause = std::error::Error::source(&e)
            .and_then(|c| c.downcast_ref::<Error>())
            .unwrap_or_else(|| panic!("RESP{p}: no refusal as the cause: {e:#}"));
        assert_eq!(cause.kind(), ErrorKind::Permission, "RESP{p}: {e:#}");
        assert_eq!(r.get::<i64>("app:t").unwrap(), 1, "RESP{p}: nothing ran");

        // Pub/sub: the allowed channel delivers, a forbidden one fails its call at once and
        // is not kept, and the subscriber goes on.
        let sub = r.pubsub().unwrap();
        sub.subscribe("news").unwrap();
        assert_eq!(r.publish("news", "first").unwrap(), 1, "RESP{p}");
        let m = sub.recv_timeout(PATIENCE).unwrap().expect("a message");
        assert_eq!(m.payload::<String>().unwrap(), "first");
        let started = Instant::now();
        let e = sub.subscribe("secret").unwrap_err();
        assert_refused(&e, "SUBSCRIBE", &format!("RESP{p} subscribe"));
        assert!(started.elapsed() < PATIENCE / 2, "RESP{p}: not a timeout");
        let e = sub.psubscribe("new*").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permission, "RESP{p}: {e:#}");
        assert_eq!(
            sub.subscriptions(),
            1,
            "RESP{p}: the refused ones are not held"
        );
        assert_eq!(r.publish("news", "second").unwrap(), 1, "RESP{p}");
        let m = sub.recv_timeout(PATIENCE).unwrap().expect("a message");
        assert_eq!(m.payload::<String>().unwrap(), "second");
        sub.close();

        // Permissions taken away while connected: the next call says so; given back, it works.
        assert_eq!(server.command(&["ACL", "SETUSER", "app", "-get"]), "OK");
        let e = r.get::<String>("app:k").unwrap_err();
        assert_refused(&e, "GET", &format!("RESP{p} revoked"));
        assert_eq!(server.command(&["ACL", "SETUSER", "app", "+get"]), "OK");
        assert_eq!(r.get::<String>("app:k").unwrap(), "v", "RESP{p}");
        assert_eq!(server.command(&["DEL", "app:n", "app:t"]), "2");
    }
}

#[test]
fn acl_wrong_user_or_password_is_an_auth_error_and_a_refused_select_a_permission_error() {
    let server = acl_server();
    assert_eq!(
        server.command(&["ACL", "SETUSER", "off-user", "off", ">pw"]),
        "OK"
    );
    for p in [3u8, 2] {
        for (user, password, what) in [
            ("app", "wrong", "wrong password"),
            ("nobody", "apppw", "unknown user"),
            ("off-user", "pw", "disabled user"),
        ] {
            let e = Redis::from_url(&url_as(&server, user, password, p, "")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Auth, "RESP{p} {what}: {e:#}");
            assert_eq!(e.code(), Some("WRONGPASS"), "RESP{p} {what}: {e:#}");
            assert_eq!(e.command(), Some("HELLO"), "RESP{p} {what}: {e:#}");
            assert!(e.to_string().contains(user), "names the user: {e}");
        }
        // The handshake's SELECT is refused to `app` (`-select`): a permission error naming
        // the command, at connect.
        let url = format!(
            "redis://app:apppw@127.0.0.1:{}/1?protocol={p}",
            server.port()
        );
        let e = Redis::from_url(&url).unwrap_err();
        assert_refused(&e, "SELECT", &format!("RESP{p} handshake"));
        assert!(e.node().is_some(), "{e:#}");
    }
}

/// After the password changed on the server and the connection was killed: calls on `r`
/// fail with the connection on the way, then at once with the reconnection's `Auth` error
/// (never after their timeout: `r` has one of 20 s), through handles and pipelines too.
fn assert_auth_errors_after_the_change(r: &Redis, key: &str, what: &str) {
    let started = Instant::now();
    let auth = loop {
        let call = Instant::now();
        match r.get::<Option<String>>(key) {
            Err(e) if e.kind() == ErrorKind::Auth => break e,
            Err(e) => assert!(e.is_connection_error(), "{what}: {e:#}"),
            Ok(v) => panic!("{what}: a call worked with the old password: {v:?}"),
        }
        assert!(call.elapsed() < Duration::from_secs(10), "{what}");
        assert!(started.elapsed() < PATIENCE, "{what}: no Auth error");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(auth.code(), Some("WRONGPASS"), "{what}: {auth:#}");
    let call = Instant::now();
    let e = r.incr(key).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{what}: {e:#}");
    let e = r.deferred().incr(key).wait().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{what} handle: {e:#}");
    let pipe = r.pipeline();
    let _ = pipe.incr(key);
    let _ = pipe.get::<Option<String>>(key);
    let failed = match pipe.exec() {
        Err(e) => vec![e],
        Ok(replies) => replies
            .values()
            .into_iter()
            .filter_map(|v| v.err())
            .collect(),
    };
    assert!(
        !failed.is_empty(),
        "{what}: a pipeline worked with the old password"
    );
    for e in failed {
        assert_eq!(e.kind(), ErrorKind::Auth, "{what} pipeline: {e:#}");
    }
    assert!(
        call.elapsed() < Duration::from_secs(10),
        "{what}: waited {:?} for a known refusal",
        call.elapsed()
    );
}

/// Pings `sub` until it fails with the `Auth` error of its reconnection (each call long
/// before the 20 s timeout), and returns that error.
fn subscriber_auth_error(sub: &coredis::Subscriber, what: &str) -> Error {
    let started = Instant::now();
    loop {
        let call = Instant::now();
        match sub.ping() {
            Err(e) if e.kind() == ErrorKind::Auth => return e,
            Err(e) => assert!(e.is_timeout() || e.is_connection_error(), "{what}: {e:#}"),
            Ok(()) => {}
        }
        assert!(
            call.elapsed() < Duration::from_secs(10),
            "{what}: {:?}",
            call.elapsed()
        );
        assert!(started.elapsed() < PATIENCE, "{what}: no Auth error");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until `r` works again (the password given back); every failure meanwhile is `Auth`.
fn assert_recovers(r: &Redis, key: &str, what: &str) {
    let started = Instant::now();
    loop {
        match r.get::<Option<String>>(key) {
            Ok(v) => break assert_eq!(v.as_deref(), Some("v"), "{what}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Auth, "{what}: {e:#}");
                assert!(started.elapsed() < PATIENCE, "{what}: no recovery: {e:#}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

#[test]
fn acl_a_password_changed_on_the_server_fails_calls_with_auth_errors_not_timeouts() {
    // An ACL user's password (ACL SETUSER).
    let server = acl_server();
    for p in [3u8, 2] {
        assert_eq!(server.command(&["ACL", "SETUSER", "app", ">apppw"]), "OK");
        let r = Redis::from_url(&url_as(&server, "app", "apppw", p, "timeout=20")).unwrap();
        r.set("app:k", "v").unwrap();
        let sub = r.pubsub().unwrap();
        sub.subscribe("news").unwrap();
        let changed = ["ACL", "SETUSER", "app", "resetpass", ">changed"];
        assert_eq!(server.command(&changed), "OK");
        assert_eq!(server.command(&["CLIENT", "KILL", "USER", "app"]), "2");
        assert_auth_errors_after_the_change(&r, "app:k", &format!("RESP{p} ACL user"));
        // The subscriber's calls fail with its reconnection's refusal too, and its
        // subscription stays wanted.
        let e = subscriber_auth_error(&sub, &format!("RESP{p} subscriber"));
        assert_eq!(e.code(), Some("WRONGPASS"), "{e:#}");
        let e = sub.subscribe("news").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "RESP{p}: {e:#}");
        assert_eq!(sub.subscriptions(), 1, "RESP{p}");
        assert_eq!(server.command(&["ACL", "SETUSER", "app", ">apppw"]), "OK");
        assert_recovers(&r, "app:k", &format!("RESP{p} ACL user"));
        // The subscriber is back on its channel.
        let started = Instant::now();
        loop {
            r.publish("news", "back").unwrap();
            if let Some(m) = sub.recv_timeout(Duration::from_millis(200)).unwrap() {
                break assert_eq!(m.payload::<String>().unwrap(), "back", "RESP{p}");
            }
            assert!(
                started.elapsed() < PATIENCE,
                "RESP{p}: the subscriber did not recover"
            );
        }
        sub.close();
    }

    // The default user's (CONFIG SET requirepass), both protocols at once.
    let server = Server::start();
    assert_eq!(
        server.command(&["CONFIG", "SET", "requirepass", "first"]),
        "OK"
    );
    let clients: Vec<(u8, Redis)> = [3u8, 2]
        .into_iter()
        .map(|p| {
            let url = format!(
                "redis://:first@127.0.0.1:{}?protocol={p}&timeout=20",
                server.port()
            );
            (p, Redis::from_url(&url).unwrap())
        })
        .collect();
    for (p, r) in &clients {
        r.set(format!("k{p}"), "v").unwrap();
    }
    let replies = server.raw_commands(&[
        &["AUTH", "first"],
        &["CONFIG", "SET", "requirepass", "second"],
        &["CLIENT", "KILL", "TYPE", "normal"],
    ]);
    assert_eq!(replies[1], "OK", "{replies:?}");
    assert_eq!(replies[2], "2", "{replies:?}");
    for (p, r) in &clients {
        assert_auth_errors_after_the_change(r, &format!("k{p}"), &format!("RESP{p} requirepass"));
    }
    let replies = server.raw_commands(&[
        &["AUTH", "second"],
        &["CONFIG", "SET", "requirepass", "first"],
    ]);
    assert_eq!(replies[1], "OK", "{replies:?}");
    for (p, r) in &clients {
        assert_recovers(r, &format!("k{p}"), &format!("RESP{p} requirepass"));
    }
}

// ---------------------------------------------------------------------------------------
// The password scan.
// ---------------------------------------------------------------------------------------

/// Every log line of the process, at trace level (the logger is global: installed once, by
/// the first test that asks; nextest runs each test in a process of its own).
mod capture {
    use std::sync::{Mutex, Once};

    static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata) -> bool {
            true
        }

        fn log(&self, rec: &log::Record) {
            let line = format!("{} {} {}", rec.level(), rec.target(), rec.args());
            LINES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        }

        fn flush(&self) {}
    }

    static CAPTURE: Capture = Capture;

    /// Installs the capturing logger; panics if another logger was installed first.
    pub fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            log::set_logger(&CAPTURE).expect("no other logger in this test binary");
            log::set_max_level(log::LevelFilter::Trace);
        });
    }

    /// The lines logged so far.
    pub fn lines() -> Vec<String> {
        LINES.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// `n` random letters and digits, different on every run.
fn random_password(n: usize) -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let state = RandomState::new();
    (0..n)
        .map(|i| {
            let mut h = state.build_hasher();
            h.write_usize(i);
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            let c = CHARS[(h.finish() % CHARS.len() as u64) as usize];
            char::from(c)
        })
        .collect()
}

/// What was looked at: each provoked failure's texts, and the `Debug` output of the configs
/// and clients involved.
#[derive(Default)]
struct Scan {
    /// (what, text) pairs.
    texts: Vec<(String, String)>,
    /// The failures seen, by scenario and kind (for the report of the test).
    failures: Vec<(String, ErrorKind)>,
}

impl Scan {
    fn text(&mut self, what: &str, text: String) {
        self.texts.push((what.to_string(), text));
    }

    /// The error's `Display`, alternate `Display`, `Debug`, and every source's `Display` and
    /// `Debug`.
    fn error(&mut self, what: &str, e: &Error) {
        self.failures.push((format!("{what}: {e:#}"), e.kind()));
        self.text(what, format!("{e}"));
        self.text(what, format!("{e:#}"));
        self.text(what, format!("{e:?}"));
        self.text(what, format!("{e:#?}"));
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            self.text(what, format!("source: {c} / {c:?}"));
            cause = c.source();
        }
    }

    /// `result`'s error (which must be one of `kinds`).
    fn expect_err<T>(&mut self, what: &str, result: coredis::Result<T>, kinds: &[ErrorKind]) {
        match result {
            Ok(_) => panic!("{what}: no error"),
            Err(e) => {
                assert!(kinds.contains(&e.kind()), "{what}: {e:#}");
                self.error(what, &e);
            }
        }
    }

    /// The `Debug` output of the config of `url` and of its builder.
    fn config(&mut self, what: &str, url: &str) {
        match Config::from_url(url) {
            Ok(c) => {
                self.text(what, format!("{c:?} {c:#?}"));
                self.text(what, format!("{:?}", c.to_builder()));
            }
            Err(e) => self.error(what, &e),
        }
    }

    /// Panics with every text that holds any of `secrets` (or their first 8 characters).
    fn assert_clean(&self, secrets: &[&str]) {
        let needles: Vec<&str> = secrets
            .iter()
            .flat_map(|s| [*s, s.get(..8).unwrap_or(s)])
            .collect();
        let logs = capture::lines();
        let leaks: Vec<String> = self
            .texts
            .iter()
            .map(|(what, text)| (what.as_str(), text.as_str()))
            .chain(logs.iter().map(|l| ("log", l.as_str())))
            .filter(|(_, text)| needles.iter().any(|n| text.contains(n)))
            .map(|(what, text)| format!("{what}: {text}"))
            .collect();
        assert!(
            leaks.is_empty(),
            "the password leaked:\n{}",
            leaks.join("\n")
        );
    }
}

/// A loopback listener whose accept queue is full, so a connect to it hangs (SYNs dropped)
/// until the client's connect timeout. Returns the port and what must stay alive meanwhile,
/// or `None` when the queue never filled (then the scenario is skipped).
fn full_backlog() -> Option<(u16, socket2::Socket, Vec<std::net::TcpStream>)> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).ok()?;
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    socket.bind(&addr.into()).ok()?;
    socket.listen(0).ok()?;
    let addr = socket.local_addr().ok()?.as_socket()?;
    let mut held = Vec::new();
    for _ in 0..64 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(s) => held.push(s),
            Err(_) => return Some((addr.port(), socket, held)),
        }
    }
    None
}

#[test]
fn acl_password_scan_nothing_shows_the_password_whatever_fails() {
    capture::install();
    // The client's password, and the server's (the default user's): neither may show.
    let secret = random_password(48);
    let admin = random_password(44);
    assert_ne!(secret.get(..8), admin.get(..8));
    let mut scan = Scan::default();
    let server = Server::builder().password(&admin).start();
    assert_eq!(
        server.command(&[
            "ACL",
            "SETUSER",
            "scan",
            "on",
            &format!(">{secret}"),
            "~*",
            "&*",
            "+@all"
        ]),
        "OK"
    );
    let port = server.port();
    let as_scan =
        |p: u8, query: &str| format!("redis://scan:{secret}@127.0.0.1:{port}?protocol={p}{query}");

    for p in [3u8, 2] {
        // The right password: the client works, and its Debug output and config hide it.
        let url = as_scan(p, "");
        scan.config("config", &url);
        let r = Redis::from_url(&url).unwrap();
        r.ping().unwrap();
        scan.text("client", format!("{r:?}"));

        // Wrong password (the secret sent to the default user), unknown user, and a wrong
        // password for `scan` (the admin's password sent as scan's).
        for (what, url) in [
            (
                "wrong password",
                format!("redis://:{secret}@127.0.0.1:{port}?protocol={p}"),
            ),
            (
                "unknown user",
                format!("redis://nobody:{secret}@127.0.0.1:{port}?protocol={p}"),
            ),
            (
                "another's password",
                format!("redis://scan:{admin}@127.0.0.1:{port}?protocol={p}"),
            ),
        ] {
            scan.config(what, &url);
            scan.expect_err(what, Redis::from_url(&url), &[ErrorKind::Auth]);
        }
        // The same through the builder.
        let c = Config::builder()
            .addr(coredis::Addr::tcp("127.0.0.1", port))
            .protocol_version(p)
            .username("scan")
            .password(format!("{secret}x"));
        scan.text("builder", format!("{c:?}"));
        let c = c.build().unwrap();
        scan.text("builder", format!("{c:?}"));
        scan.expect_err("builder", Redis::new(c), &[ErrorKind::Auth]);
    }

    // Servers without HELLO (older than 6.0): the "unknown command" reply quotes HELLO's
    // arguments, the password among them; then AUTH is refused (in the words of several
    // versions, one of them quoting the password back).
    for (refusal, kind) in [
        (
            "-WRONGPASS invalid username-password pair\r\n".to_string(),
            ErrorKind::Auth,
        ),
        ("-ERR invalid password\r\n".to_string(), ErrorKind::Auth),
        (
            format!("-ERR invalid password '{secret}'\r\n"),
            ErrorKind::Auth,
        ),
        (
            format!("-ERR AUTH {secret} is not allowed\r\n"),
            ErrorKind::Server,
        ),
    ] {
        let secret2 = secret.clone();
        let fake = FakeServer::start_with(move |_| {
            Script::new()
                .handshake(Handshake::Manual)
                .expect_prefix(
                    &["HELLO"],
                    format!(
                        "-ERR unknown command 'HELLO', with args beginning with: '2' 'AUTH' \
                         'scan' '{secret2}' \r\n"
                    ),
                )
                .expect_prefix(&["AUTH"], refusal.clone())
        });
        let url = format!("redis://scan:{secret}@127.0.0.1:{}?protocol=2", fake.port());
        scan.expect_err("no HELLO, AUTH refused", Redis::from_url(&url), &[kind]);
        // RESP3 asked of a server without HELLO: a protocol error quoting the refusal.
        let url = format!("redis://scan:{secret}@127.0.0.1:{}?protocol=3", fake.port());
        scan.expect_err(
            "no HELLO, RESP3",
            Redis::from_url(&url),
            &[ErrorKind::Protocol],
        );
    }
    // A server that refuses HELLO's password in its own words, quoting it.
    {
        let secret2 = secret.clone();
        let fake = FakeServer::start_with(move |_| {
            Script::new().handshake(Handshake::Manual).expect_prefix(
                &["HELLO"],
                format!("-WRONGPASS the password '{secret2}' is wrong\r\n"),
            )
        });
        let url = format!(
            "redis://scan:{secret}@127.0.0.1:{}?protocol={}",
            fake.port(),
            protocol()
        );
        scan.expect_err(
            "HELLO refusal quoting",
            Redis::from_url(&url),
            &[ErrorKind::Auth],
        );
    }

    // Nothing listening: connection refused.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("redis://scan:{secret}@127.0.0.1:{closed_port}?connect_timeout=5");
    scan.config("refused", &url);
    scan.expect_err(
        "refused",
        Redis::from_url(&url),
        &[ErrorKind::Io, ErrorKind::Timeout],
    );

    // A listener whose accept queue is full: the connect times out.
    match full_backlog() {
        Some((port, _listener, _held)) => {
            let url = format!("redis://scan:{secret}@127.0.0.1:{port}?connect_timeout=1");
            scan.expect_err(
                "connect timeout",
                Redis::from_url(&url),
                &[ErrorKind::Timeout],
            );
        }
        None => coredis_test_support::skip(
            "acl::acl_password_scan (connect timeout part)",
            "a loopback accept queue never filled",
        ),
    }
    // A server that accepts and never answers the handshake: the connect deadline.
    {
        let fake = FakeServer::start(Script::new().handshake(Handshake::Manual));
        let url = format!(
            "redis://scan:{secret}@127.0.0.1:{}?connect_timeout=1",
            fake.port()
        );
        scan.expect_err(
            "handshake timeout",
            Redis::from_url(&url),
            &[ErrorKind::Timeout],
        );
    }
    // A server that answers the handshake and then nothing: the response timeout, with the
    // client's Debug output meanwhile.
    {
        let fake = FakeServer::start(Script::new());
        let url = format!(
            "redis://scan:{secret}@127.0.0.1:{}?timeout=0.5&protocol={}",
            fake.port(),
            protocol()
        );
        let r = Redis::from_url(&url).unwrap();
        scan.expect_err(
            "response timeout",
            r.get::<Option<String>>("k"),
            &[ErrorKind::Timeout],
        );
        scan.text("client after a timeout", format!("{r:?}"));
    }

    // The password changed on the server while connected: reconnecting fails with Auth errors.
    let new_password = {
        let url = as_scan(protocol(), "&timeout=5");
        let r = Redis::from_url(&url).unwrap();
        r.set("before", "1").unwrap();
        let sub = r
            .pubsub_with(SubscriberOptions::new().events(true))
            .unwrap();
        sub.subscribe("ch").unwrap();
        let new_password = random_password(40);
        assert_eq!(
            server.command(&[
                "ACL",
                "SETUSER",
                "scan",
                "resetpass",
                &format!(">{new_password}")
            ]),
            "OK"
        );
        let killed = server.command(&["CLIENT", "KILL", "USER", "scan"]);
        assert!(
            killed.parse::<i64>().is_ok_and(|n| n >= 2),
            "CLIENT KILL: {killed}"
        );
        let started = Instant::now();
        let auth = loop {
            match r.get::<Option<String>>("before") {
                Ok(v) => panic!("a command worked with the old password: {v:?}"),
                Err(e) if e.kind() == ErrorKind::Auth => break e,
                Err(e) => {
                    assert!(
                        e.is_connection_error() || e.is_timeout(),
                        "reconnect: {e:#}"
                    );
                    scan.error("reconnect, on the way", &e);
                }
            }
            assert!(
                started.elapsed() < PATIENCE,
                "no Auth error after the change; the last errors: {:#?}",
                scan.failures.iter().rev().take(3).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        scan.error("reconnect after the change", &auth);
        // The subscriber's reconnection fails the same way: its calls fail with it, and its
        // events say it was disconnected.
        scan.error(
            "subscriber",
            &subscriber_auth_error(&sub, "scan subscriber"),
        );
        let events = sub.events().expect("events were asked for");
        while let Ok(ev) = events.try_recv() {
            scan.text("subscriber event", format!("{ev:?}"));
            if let coredis::SubscriberEvent::Disconnected(e) = &ev {
                scan.error("subscriber", e);
            }
        }
        scan.text("subscriber", format!("{sub:?}"));
        scan.text("client after the change", format!("{r:?}"));
        sub.close();
        drop(r);
        new_password
    };

    // URLs with the password that do not parse.
    for bad in [
        format!("redis://scan:{secret}@127.0.0.1:notaport"),
        format!("redis://scan:{secret}@127.0.0.1:6379/notadb"),
        format!("redis://scan:{secret}@127.0.0.1:6379?timeout=soon"),
        format!("redis://scan:{secret}@127.0.0.1:6379?nosuchoption=1"),
        format!("redis://scan:{secret}%zz@127.0.0.1:6379"),
        format!("redis://scan:{secret}@[::1:6379"),
        format!("redis://scan:{secret}@127.0.0.1:6379?protocol=4"),
        format!("redis://scan:{secret}"),
        format!("redis://scan:{secret}@"),
        format!("redis:/scan:{secret}@127.0.0.1"),
        format!("scan:{secret}@127.0.0.1:6379"),
        format!("unix://scan:{secret}@"),
    ] {
        match Config::from_url(&bad) {
            Ok(c) => scan.text("a URL that parsed", format!("{c:?}")),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{e:#}");
                scan.error("bad URL", &e);
                scan.expect_err(
                    "bad URL, client",
                    Redis::from_url(&bad),
                    &[ErrorKind::Config],
                );
            }
        }
    }

    let kinds: std::collections::BTreeSet<String> = scan
        .failures
        .iter()
        .map(|(_, k)| format!("{k:?}"))
        .collect();
    for k in ["Auth", "Io", "Timeout", "Protocol", "Config"] {
        assert!(kinds.contains(k), "no {k} failure was provoked: {kinds:?}");
    }
    assert!(
        capture::lines()
            .iter()
            .any(|l| l.contains("connection attempt failed") && l.contains("WRONGPASS")),
        "the capturing logger did not see the failed reconnections: {:#?}",
        capture::lines()
    );
    scan.assert_clean(&[&secret, &admin, &new_password]);
    let mut by_kind = std::collections::BTreeMap::new();
    for (_, k) in &scan.failures {
        *by_kind.entry(format!("{k:?}")).or_insert(0) += 1;
    }
    println!(
        "password scan: {} failures {by_kind:?}, {} texts, {} log lines: no password",
        scan.failures.len(),
        scan.texts.len(),
        capture::lines().len()
    );
    // Under `cargo test` the other tests share this process: stop capturing for them.
    log::set_max_level(log::LevelFilter::Off);
}
