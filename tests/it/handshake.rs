//! Every handshake variant against a real server: RESP3, RESP2, the HELLO-less fallback,
//! passwords and ACL users (right and wrong), TLS (trusted, untrusted, client certificates,
//! host name check, the insecure switch), unix sockets, database selection, client names.
//! Tests about one protocol say which; the others speak the run's (`util::protocol`).

use crate::util::{self, url_for};
use coredis::prelude::*;
use coredis::{cmd, Addr, Config, ErrorKind, Redis, TlsConfig, Value};
use coredis_test_support::{self as support, Server};
use std::time::Duration;

/// RESP3 replies HGETALL with a map, RESP2 with a flat array.
pub fn spoken_protocol(r: &Redis) -> u8 {
    r.execute(cmd("HSET").key("proto:h").arg("f").arg("v"))
        .unwrap();
    match r.execute(cmd("HGETALL").key("proto:h")).unwrap() {
        Value::Map(_) => 3,
        Value::Array(_) => 2,
        other => panic!("unexpected HGETALL reply {other:?}"),
    }
}

#[test]
fn resp3_is_the_default() {
    let server = Server::start();
    let r = Redis::from_url(&server.url()).unwrap();
    assert_eq!(r.config().protocol_version(), 3);
    assert_eq!(spoken_protocol(&r), 3);
}

#[test]
fn resp2_on_request() {
    let server = Server::start();
    let r = Redis::from_url(&format!("{}?protocol=2", server.url())).unwrap();
    assert_eq!(spoken_protocol(&r), 2);
    let c = Config::builder()
        .addr(Addr::tcp("127.0.0.1", server.port()))
        .protocol_version(2)
        .build()
        .unwrap();
    assert_eq!(spoken_protocol(&Redis::new(c).unwrap()), 2);
}

#[test]
fn server_without_hello_falls_back_to_auth_over_resp2() {
    let server = Server::builder()
        .password("s3cret")
        .arg("--rename-command")
        .arg("HELLO")
        .arg("\"\"")
        .start();
    assert!(
        server.raw_commands(&[&["AUTH", "s3cret"], &["HELLO", "3"]])[1].contains("unknown command"),
        "HELLO is disabled on this server"
    );
    let r = Redis::from_url(&format!(
        "redis://:s3cret@127.0.0.1:{}/2?protocol=2&client_name=fallback",
        server.port()
    ))
    .unwrap();
    assert_eq!(spoken_protocol(&r), 2);
    r.set("k", "v").unwrap();
    let name: Option<String> = r.execute(cmd("CLIENT GETNAME").returns()).unwrap();
    assert_eq!(name.as_deref(), Some("fallback"));
    let replies = server.raw_commands(&[&["AUTH", "s3cret"], &["SELECT", "2"], &["GET", "k"]]);
    assert_eq!(replies[2], "v", "SELECT 2 was applied after AUTH");
    // Without the fallback (RESP3 asked for), the error says what to do.
    let e = Redis::from_url(&format!("redis://:s3cret@127.0.0.1:{}", server.port())).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(e.to_string().contains("protocol"), "{e}");
    // The server's "unknown command" reply quotes HELLO's arguments, the password among them:
    // it must not reach the error.
    assert!(!e.to_string().contains("s3cret"), "{e}");
    assert!(!format!("{e:?}").contains("s3cret"), "{e:?}");
}

#[test]
fn password_right_and_wrong() {
    let server = Server::builder().password("pa ss:w@rd/1").start();
    let enc = "pa%20ss%3Aw%40rd%2F1";
    let r = Redis::from_url(&url_for(
        &format!("redis://:{enc}@127.0.0.1:{}", server.port()),
        "",
    ))
    .unwrap();
    assert_eq!(r.ping().unwrap(), "PONG");
    let r2 = Redis::from_url(&format!(
        "redis://:{enc}@127.0.0.1:{}?protocol=2",
        server.port()
    ))
    .unwrap();
    assert_eq!(r2.ping().unwrap(), "PONG");

    for proto in [3, 2] {
        let url = format!(
            "redis://:wrongpass@127.0.0.1:{}?protocol={proto}",
            server.port()
        );
        let e = Redis::from_url(&url).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "RESP{proto}: {e}");
        assert_eq!(e.code(), Some("WRONGPASS"), "{e}");
        assert!(e.to_string().contains("authentication"), "{e}");
        assert!(
            !format!("{e} {e:?}").contains("wrongpass"),
            "password leaked: {e:?}"
        );
    }
    // No password at all: the first command fails with NOAUTH as an authentication error.
    let e = Redis::from_url(&util::url(&server, ""))
        .and_then(|r| r.ping())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    // The config never shows the password.
    let c = Config::from_url(&format!("redis://:{enc}@127.0.0.1:{}", server.port())).unwrap();
    assert!(!format!("{c:?}").contains("pa ss"), "{c:?}");
}

#[test]
fn acl_user_right_and_wrong() {
    let server = Server::builder().acl_user("alice", "alicepw").start();
    let r = Redis::from_url(&url_for(
        &format!("redis://alice:alicepw@127.0.0.1:{}", server.port()),
        "",
    ))
    .unwrap();
    let who: String = r.execute(cmd("ACL WHOAMI").returns()).unwrap();
    assert_eq!(who, "alice");
    let c = Config::builder()
        .addr(Addr::tcp("127.0.0.1", server.port()))
        .username("alice")
        .password("alicepw")
        .protocol_version(2)
        .build()
        .unwrap();
    let who: String = Redis::new(c)
        .unwrap()
        .execute(cmd("ACL WHOAMI").returns())
        .unwrap();
    assert_eq!(who, "alice");
    for url in [
        format!("redis://alice:nope@127.0.0.1:{}", server.port()),
        format!("redis://mallory:alicepw@127.0.0.1:{}", server.port()),
    ] {
        let e = Redis::from_url(&url_for(&url, "")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        assert!(!e.to_string().contains("alicepw"));
    }
}

#[test]
fn acl_users_without_a_password() {
    let server = Server::start();
    // `nopass`: any password, the empty one included; `>` alone: the empty password.
    server.command(&["ACL", "SETUSER", "bob", "on", "nopass", "+@all", "~*"]);
    server.command(&["ACL", "SETUSER", "eve", "on", ">", "+@all", "~*"]);
    for (user, url) in [
        (
            "bob",
            url_for(&format!("redis://bob@127.0.0.1:{}", server.port()), ""),
        ),
        (
            "eve",
            url_for(&format!("redis://eve:@127.0.0.1:{}", server.port()), ""),
        ),
        (
            "eve",
            format!("redis://eve@127.0.0.1:{}?protocol=2", server.port()),
        ),
    ] {
        let r = Redis::from_url(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
        let who: String = r.execute(cmd("ACL WHOAMI").returns()).unwrap();
        assert_eq!(who, user, "{url}");
    }
    // A user that has a password still needs it.
    server.command(&["ACL", "SETUSER", "carol", "on", ">carolpw", "+@all", "~*"]);
    let e = Redis::from_url(&url_for(
        &format!("redis://carol@127.0.0.1:{}", server.port()),
        "",
    ))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
}

#[test]
fn unix_socket_and_database_selection() {
    let server = Server::builder().unix_socket(true).start();
    let path = server.unix_path().unwrap().display().to_string();
    let r = Redis::from_url(&url_for(
        &format!("unix://{path}"),
        "db=5&client_name=unixclient",
    ))
    .unwrap();
    r.set("where", "db5").unwrap();
    let name: Option<String> = r.execute(cmd("CLIENT GETNAME").returns()).unwrap();
    assert_eq!(name.as_deref(), Some("unixclient"));
    let replies = server.raw_commands(&[&["SELECT", "5"], &["GET", "where"]]);
    assert_eq!(replies[1], "db5");
    assert_eq!(server.command(&["GET", "where"]), "(nil)", "db 0 untouched");

    let r = Redis::from_url(&url_for(&format!("{}/7", server.url()), "")).unwrap();
    r.set("where", "db7").unwrap();
    assert_eq!(
        server.raw_commands(&[&["SELECT", "7"], &["GET", "where"]])[1],
        "db7"
    );
    let e = Redis::from_url(&url_for(&format!("{}/99999", server.url()), "")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    assert_eq!(e.command(), Some("SELECT"));
}

#[test]
fn nothing_listening_is_a_connect_error_not_a_hang() {
    let port = support::free_port();
    let started = std::time::Instant::now();
    let e = Redis::from_url(&url_for(
        &format!("redis://127.0.0.1:{port}"),
        "connect_timeout=2",
    ))
    .unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Io | ErrorKind::Timeout),
        "{e}"
    );
    assert!(
        e.to_string().contains(&port.to_string()),
        "names the node: {e}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

fn tls_server(test: &str, auth_clients: bool) -> Option<Server> {
    if !support::tls_or_skip(test) {
        return None;
    }
    Some(
        Server::builder()
            .tls(true)
            .tls_auth_clients(auth_clients)
            .start(),
    )
}

#[test]
fn tls_with_trusted_ca() {
    let Some(server) = tls_server("handshake::tls_with_trusted_ca", false) else {
        return;
    };
    let files = server.tls_files().unwrap();
    let port = server.tls_port().unwrap();
    let url = format!(
        "rediss://127.0.0.1:{port}?tls_ca_file={}",
        files.ca_cert.display()
    );
    let r = Redis::from_url(&url).unwrap();
    assert_eq!(r.ping().unwrap(), "PONG");
    assert_eq!(spoken_protocol(&r), 3);
    // Concurrency over TLS (reads and writes cannot overlap on one TLS stream).
    std::thread::scope(|s| {
        for t in 0..8 {
            let r = &r;
            s.spawn(move || {
                for i in 0..500 {
                    let v = format!("{t}-{i}");
                    assert_eq!(r.echo::<String>(&v).unwrap(), v);
                }
            });
        }
    });
    let hs: Vec<_> = (0..100).map(|i| r.deferred().echo::<i64>(i)).collect();
    for (i, h) in hs.into_iter().enumerate() {
        assert_eq!(h.wait().unwrap(), i as i64);
    }
    // RESP2 over TLS, by builder.
    let tls = TlsConfig::builder().ca_file(&files.ca_cert).build();
    let c = Config::builder()
        .addr(Addr::tcp("localhost", port))
        .tls(tls)
        .protocol_version(2)
        .build()
        .unwrap();
    assert_eq!(spoken_protocol(&Redis::new(c).unwrap()), 2);
}

#[test]
fn tls_with_untrusted_ca_or_wrong_name_fails() {
    let Some(server) = tls_server(
        "handshake::tls_with_untrusted_ca_or_wrong_name_fails",
        false,
    ) else {
        return;
    };
    let files = server.tls_files().unwrap();
    let port = server.tls_port().unwrap();
    let tls_url = format!("rediss://127.0.0.1:{port}");
    let e = Redis::from_url(&url_for(
        &tls_url,
        &format!("tls_ca_file={}", files.other_ca_cert.display()),
    ))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.to_string().to_lowercase().contains("tls"), "{e}");
    let e = Redis::from_url(&url_for(
        &tls_url,
        &format!(
            "tls_ca_file={}&tls_server_name=wrong.example",
            files.ca_cert.display()
        ),
    ))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "host name is checked: {e}");
    // The explicit insecure switch accepts it.
    let r = Redis::from_url(&url_for(&tls_url, "tls_insecure=true")).unwrap();
    assert_eq!(r.ping().unwrap(), "PONG");
    // Plain TCP against the TLS port is not a hang.
    let e = Redis::from_url(&url_for(
        &format!("redis://127.0.0.1:{port}"),
        "connect_timeout=1",
    ))
    .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Io | ErrorKind::Timeout | ErrorKind::Protocol
        ),
        "{e}"
    );
}

#[test]
fn tls_with_client_certificate() {
    let Some(server) = tls_server("handshake::tls_with_client_certificate", true) else {
        return;
    };
    let files = server.tls_files().unwrap();
    let port = server.tls_port().unwrap();
    let tls_url = format!("rediss://127.0.0.1:{port}");
    let url = url_for(
        &tls_url,
        &format!(
            "tls_ca_file={}&tls_cert_file={}&tls_key_file={}",
            files.ca_cert.display(),
            files.client_cert.display(),
            files.client_key.display()
        ),
    );
    let r = Redis::from_url(&url).unwrap();
    assert_eq!(r.ping().unwrap(), "PONG");
    let without = url_for(
        &tls_url,
        &format!("tls_ca_file={}&connect_timeout=2", files.ca_cert.display()),
    );
    let refused = Redis::from_url(&without).and_then(|r| r.ping());
    assert!(
        refused.is_err(),
        "a client without a certificate is refused"
    );
}

#[test]
fn extreme_timeouts_and_keepalive_are_usable() {
    let server = Server::start();
    // `Duration::MAX` as "no limit", and a keepalive longer than Linux accepts.
    let c = util::config(&server)
        .connect_timeout(Duration::MAX)
        .response_timeout(Duration::MAX)
        .reconnect_max_backoff(Duration::MAX)
        .tcp_keepalive(Duration::from_secs(12 * 3600))
        .build()
        .unwrap();
    assert!(c.response_timeout() >= Duration::from_secs(365 * 24 * 3600));
    let r = Redis::new(c).unwrap();
    assert_eq!(r.ping().unwrap(), "PONG");
    let mut h = r.deferred().echo::<String>("x");
    assert_eq!(h.wait_timeout(Duration::MAX).unwrap().unwrap(), "x");
    let r = util::connect_with(&server, "timeout=1e19&connect_timeout=1e19");
    assert_eq!(r.echo::<String>("y").unwrap(), "y");
}
