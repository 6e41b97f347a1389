//! After every kind of reconnect the connection is what the configuration says: database,
//! user, client name and protocol (a reconnect that forgot the session would silently write to
//! database 0 as the default user).

use coredis::prelude::*;
use coredis::{cmd, Redis};
use coredis_test_support::{server_major_minor, skip, Server};
use std::time::{Duration, Instant};

/// This connection's `CLIENT INFO` fields `db`, `user` and `name`, and the protocol its replies
/// come in (`resp=` is in `CLIENT INFO` only from Redis 7.0).
fn session(r: &Redis) -> (String, String, String, String) {
    let info: String = r.execute(cmd("CLIENT").arg("INFO").returns()).unwrap();
    let field = |name: &str| {
        info.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
            .unwrap_or_default()
    };
    let resp = crate::handshake::spoken_protocol(r).to_string();
    (field("db"), field("user"), field("name"), resp)
}

/// Retries `PING` until it succeeds (a reconnect in progress), at most 20 s.
fn recovered(r: &Redis) {
    let started = Instant::now();
    while let Err(e) = r.ping() {
        assert!(e.is_timeout() || e.is_connection_error(), "{e}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no recovery: {e}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_reconnect_restores_database_user_name_and_protocol() {
    if server_major_minor() < (6, 2) {
        skip(
            "session::every_reconnect_restores_database_user_name_and_protocol",
            "CLIENT INFO needs Redis 6.2",
        );
        return;
    }
    let mut server = Server::builder()
        .acl_user("app", "app-secret")
        .arg("--timeout")
        .arg("1")
        .start();
    let p = crate::util::protocol();
    let url = format!(
        "redis://app:app-secret@127.0.0.1:{}/3?client_name=svc-7&protocol={p}&timeout=2",
        server.port()
    );
    let r = Redis::from_url(&url).unwrap();
    let expected = (
        "3".to_string(),
        "app".to_string(),
        "svc-7".to_string(),
        p.to_string(),
    );
    assert_eq!(session(&r), expected);
    r.set("where", "db3").unwrap();

    // 1. The server kills the connection.
    server.command(&["CLIENT", "KILL", "USER", "app"]);
    recovered(&r);
    assert_eq!(session(&r), expected, "after CLIENT KILL");

    // 2. The server closes it for being idle (timeout 1 s).
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(session(&r), expected, "after an idle close");

    // 3. The server restarts (same port, same users).
    server.restart();
    recovered(&r);
    assert_eq!(session(&r), expected, "after a restart");
    let v: Option<String> = r.get("where").unwrap();
    assert_eq!(v, None, "a restarted server without persistence is empty");
    r.set("where", "db3").unwrap();
    assert_eq!(
        server.raw_commands(&[
            &["AUTH", "app", "app-secret"],
            &["SELECT", "3"],
            &["GET", "where"]
        ]),
        ["OK", "OK", "db3"]
    );
}
