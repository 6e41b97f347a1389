//! Tests of the server harness itself (`coredis_test_support::server`), using only raw RESP
//! over std sockets: no coredis client involved.

use coredis_test_support as support;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};
use support::{Server, TlsFiles};

#[test]
fn version_output_parsing() {
    assert_eq!(
        support::parse_version_output(
            "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0"
        )
        .as_deref(),
        Some("7.0.15")
    );
    assert_eq!(
        support::parse_version_output(
            "Valkey server v=9.1.2 sha=00000000:1 malloc=libc bits=64 build=1536df31c0395150\n"
        )
        .as_deref(),
        Some("9.1.2")
    );
    assert_eq!(support::parse_version_output("no version here v="), None);
    let version = support::server_version();
    let (major, minor) = support::server_major_minor();
    assert!(
        version.starts_with(&format!("{major}.{minor}.")),
        "{version} vs {major}.{minor}"
    );
    assert!(major >= 6, "unexpectedly old server {version}");
}

#[test]
fn start_and_ping() {
    let server = Server::start();
    assert_eq!(server.command(&["PING"]), "PONG", "{}", server.log_tail());
    assert_eq!(server.host(), "127.0.0.1");
    assert_eq!(server.addr(), format!("127.0.0.1:{}", server.port()));
    assert_eq!(server.url(), format!("redis://127.0.0.1:{}", server.port()));
    assert!(server.unix_path().is_none());
    assert!(server.tls_port().is_none() && server.tls_files().is_none());
    assert!(server.pid() > 0);
    assert!(server.dir().is_dir());
    assert!(
        server.log_tail().contains("Ready to accept connections"),
        "{}",
        server.log_tail()
    );
    // Bound to loopback only.
    let bind = server.command(&["CONFIG", "GET", "bind"]);
    assert_eq!(bind, "bind\n127.0.0.1", "{}", server.log_tail());
    // No persistence.
    assert_eq!(server.command(&["CONFIG", "GET", "save"]), "save\n");
    assert_eq!(
        server.command(&["CONFIG", "GET", "appendonly"]),
        "appendonly\nno"
    );
    // DEBUG is usable (explicitly enabled on 7.0+).
    assert_eq!(
        server.command(&["DEBUG", "SLEEP", "0"]),
        "OK",
        "{}",
        server.log_tail()
    );
}

#[test]
fn command_reply_rendering() {
    let server = Server::start();
    assert_eq!(server.command(&["SET", "k", "v"]), "OK");
    assert_eq!(server.command(&["GET", "k"]), "v");
    assert_eq!(server.command(&["GET", "missing"]), "(nil)");
    assert_eq!(server.command(&["INCRBY", "n", "-5"]), "-5");
    assert_eq!(server.command(&["RPUSH", "list", "a", "b", "c"]), "3");
    assert_eq!(server.command(&["LRANGE", "list", "0", "-1"]), "a\nb\nc");
    assert_eq!(server.command(&["LRANGE", "nolist", "0", "-1"]), "");
    assert_eq!(server.command(&["SET", "bin", "x\r\ny"]), "OK");
    assert_eq!(server.command(&["GET", "bin"]), "x\r\ny");
    let err = server.command(&["NOSUCHCOMMAND"]);
    assert!(err.starts_with("(error) ERR unknown command"), "{err}");
    // RESP3 on one connection: maps, doubles, nulls.
    let replies = server.raw_commands(&[
        &["HELLO", "3"],
        &["HSET", "h", "f", "1"],
        &["HGETALL", "h"],
        &["GET", "missing"],
        &["ZADD", "z", "1.5", "m"],
        &["ZSCORE", "z", "m"],
    ]);
    assert!(replies[0].contains("proto\n3"), "{}", replies[0]);
    assert_eq!(replies[1..], ["1", "f\n1", "(nil)", "1", "1.5"]);
}

#[test]
fn password_and_acl_users() {
    let server = Server::builder()
        .password("s3cret")
        .acl_user("alice", "alice-pw")
        .acl_user("bob", "bob-pw")
        .start();
    assert_eq!(server.password(), Some("s3cret"));
    // command() authenticates as the default user.
    assert_eq!(server.command(&["PING"]), "PONG", "{}", server.log_tail());
    assert_eq!(server.command(&["ACL", "WHOAMI"]), "default");

    let unauthenticated = server.raw_commands(&[&["PING"]]);
    assert!(
        unauthenticated[0].starts_with("(error) NOAUTH"),
        "{unauthenticated:?}"
    );
    let replies =
        server.raw_commands(&[&["AUTH", "wrong"], &["AUTH", "s3cret"], &["ACL", "WHOAMI"]]);
    assert!(replies[0].starts_with("(error) WRONGPASS"), "{replies:?}");
    assert_eq!(replies[1..], ["OK", "default"]);

    let replies = server.raw_commands(&[
        &["AUTH", "alice", "bob-pw"],
        &["AUTH", "alice", "alice-pw"],
        &["ACL", "WHOAMI"],
        &["SET", "k", "v"],
        &["AUTH", "bob", "bob-pw"],
        &["ACL", "WHOAMI"],
        &["GET", "k"],
    ]);
    assert!(replies[0].starts_with("(error) WRONGPASS"), "{replies:?}");
    assert_eq!(replies[1..], ["OK", "alice", "OK", "OK", "bob", "v"]);
}

#[test]
fn unix_socket() {
    let server = Server::builder().unix_socket(true).start();
    let path = server.unix_path().expect("unix path").to_path_buf();
    let meta = std::fs::metadata(&path).expect("socket exists");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    assert_eq!(unix_ping(&path), "+PONG");
    // TCP still works too.
    assert_eq!(server.command(&["PING"]), "PONG");
}

#[test]
fn extra_args_and_fixed_port() {
    let port = support::free_port();
    let server = Server::builder()
        .port(port)
        .arg("--maxclients")
        .arg("77")
        .arg("--hz 20")
        .start();
    assert_eq!(server.port(), port);
    assert_eq!(
        server.command(&["CONFIG", "GET", "maxclients"]),
        "maxclients\n77",
        "{}",
        server.log_tail()
    );
    assert_eq!(server.command(&["CONFIG", "GET", "hz"]), "hz\n20");
}

#[test]
fn bad_config_panics_with_log_tail() {
    let result = std::panic::catch_unwind(|| {
        Server::builder()
            .arg("--no-such-directive")
            .arg("1")
            .start()
    });
    let payload = result.expect_err("a bad directive must make start() panic");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("did not start"), "{message}");
    assert!(message.contains("no-such-directive"), "{message}");
}

#[test]
fn fixed_port_in_use_panics_with_log_tail() {
    let port = support::free_port();
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let result = std::panic::catch_unwind(|| Server::builder().port(port).start());
    let payload = result.expect_err("start() on a taken fixed port must panic");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("address already in use"), "{message}");
    assert!(message.contains("Address already in use"), "{message}");
}

#[test]
fn kill_and_restart_on_same_port() {
    let mut server = Server::builder().unix_socket(true).start();
    let port = server.port();
    let first_pid = server.pid();
    assert_eq!(server.command(&["SET", "k", "v"]), "OK");
    assert!(server.is_running());

    server.kill();
    assert!(!server.is_running());
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let err = TcpStream::connect(addr).expect_err("nothing should listen after kill");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
    server.kill(); // no-op

    server.restart();
    assert!(server.is_running());
    assert_eq!(server.port(), port);
    assert_ne!(server.pid(), first_pid);
    assert_eq!(server.command(&["PING"]), "PONG", "{}", server.log_tail());
    assert_eq!(
        server.command(&["GET", "k"]),
        "(nil)",
        "no persistence expected"
    );
    // The stale socket file left by SIGKILL is replaced.
    assert_eq!(unix_ping(server.unix_path().unwrap()), "+PONG");

    // restart() of a running server kills it first.
    let second_pid = server.pid();
    server.restart();
    assert_ne!(server.pid(), second_pid);
    assert_eq!(server.command(&["PING"]), "PONG");
}

#[test]
fn drop_kills_and_cleans_up() {
    let server = Server::builder().unix_socket(true).start();
    let dir = server.dir().to_path_buf();
    let pid = server.pid();
    let port = server.port();
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    drop(server);
    assert!(!dir.exists(), "{} should be removed", dir.display());
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "pid {pid} survived"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn parallel_servers_get_distinct_ports() {
    let handles: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(|| {
                let server = Server::start();
                assert_eq!(server.command(&["PING"]), "PONG");
                server
            })
        })
        .collect();
    let servers: Vec<Server> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let mut ports: Vec<u16> = servers.iter().map(Server::port).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), servers.len());
    for server in &servers {
        assert_eq!(server.command(&["PING"]), "PONG");
    }
}

#[test]
fn tls_files_and_port() {
    if !support::tls_or_skip("harness::tls_files_and_port") {
        return;
    }
    let server = Server::builder().tls(true).start();
    let files = server.tls_files().expect("tls files");
    for file in tls_paths(files) {
        assert!(file.is_file(), "{} missing", file.display());
    }
    assert!(std::fs::read_to_string(&files.client_key)
        .unwrap()
        .starts_with("-----BEGIN PRIVATE KEY-----"));
    let tls_port = server.tls_port().expect("tls port");
    assert_ne!(tls_port, server.port());
    assert!(TcpStream::connect(("127.0.0.1", tls_port)).is_ok());
    // The plain port keeps working.
    assert_eq!(server.command(&["PING"]), "PONG");
    assert_eq!(
        server.command(&["CONFIG", "GET", "tls-auth-clients"]),
        "tls-auth-clients\noptional"
    );

    // A verified TLS session with the test CA, no client certificate (optional).
    let out = s_client(tls_port, &files.ca_cert, None);
    assert!(out.contains("+PONG"), "{out}\n{}", server.log_tail());
    assert!(out.contains("Verification: OK"), "{out}");
    // With a client certificate signed by the CA.
    let out = s_client(tls_port, &files.ca_cert, Some(files));
    assert!(out.contains("+PONG"), "{out}\n{}", server.log_tail());
    // The unrelated CA does not verify the server.
    let out = s_client(tls_port, &files.other_ca_cert, None);
    assert!(!out.contains("+PONG"), "{out}");
}

#[test]
fn tls_auth_clients_required() {
    if !support::tls_or_skip("harness::tls_auth_clients_required") {
        return;
    }
    let server = Server::builder().tls(true).tls_auth_clients(true).start();
    let files = server.tls_files().unwrap();
    let tls_port = server.tls_port().unwrap();
    let out = s_client(tls_port, &files.ca_cert, None);
    assert!(
        !out.contains("+PONG"),
        "no client cert must be refused: {out}"
    );
    let out = s_client(tls_port, &files.ca_cert, Some(files));
    assert!(out.contains("+PONG"), "{out}\n{}", server.log_tail());
}

#[test]
fn tls_restart_keeps_ports_and_certs() {
    if !support::tls_or_skip("harness::tls_restart_keeps_ports_and_certs") {
        return;
    }
    let mut server = Server::builder().tls(true).password("pw").start();
    let (port, tls_port) = (server.port(), server.tls_port().unwrap());
    let ca = std::fs::read(&server.tls_files().unwrap().ca_cert).unwrap();
    server.kill();
    assert!(TcpStream::connect(("127.0.0.1", tls_port)).is_err());
    server.restart();
    assert_eq!(
        (server.port(), server.tls_port().unwrap()),
        (port, tls_port)
    );
    assert_eq!(
        std::fs::read(&server.tls_files().unwrap().ca_cert).unwrap(),
        ca
    );
    assert_eq!(server.command(&["PING"]), "PONG", "{}", server.log_tail());
    let out = s_client(tls_port, &server.tls_files().unwrap().ca_cert, None);
    assert!(out.contains("-NOAUTH"), "{out}\n{}", server.log_tail());
}

fn tls_paths(files: &TlsFiles) -> [&Path; 6] {
    [
        &files.ca_cert,
        &files.server_cert,
        &files.server_key,
        &files.client_cert,
        &files.client_key,
        &files.other_ca_cert,
    ]
}

/// `PING` over the unix socket; returns the first reply line without CRLF.
fn unix_ping(path: &Path) -> String {
    let mut stream =
        UnixStream::connect(path).unwrap_or_else(|e| panic!("connect {}: {e}", path.display()));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(b"*1\r\n$4\r\nPING\r\n").unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line.trim_end().to_owned()
}

/// Runs `openssl s_client` against the TLS port, sends `PING` and `QUIT`, and returns its
/// stdout and stderr (killed after 10 s).
fn s_client(port: u16, ca: &Path, client: Option<&TlsFiles>) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-brief", "-ign_eof", "-verify_return_error"])
        .args(["-connect", &format!("127.0.0.1:{port}")])
        .args(["-servername", "localhost", "-verify_hostname", "localhost"])
        .arg("-CAfile")
        .arg(ca);
    if let Some(files) = client {
        cmd.arg("-cert")
            .arg(&files.client_cert)
            .arg("-key")
            .arg(&files.client_key);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl s_client");
    // The server answers and then closes the connection on QUIT, which ends s_client.
    let _ = child.stdin.take().unwrap().write_all(b"PING\r\nQUIT\r\n");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.wait();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}
