//! Hermetic tests: coredis against the scripted fake RESP peer (`coredis_test_support::fake`),
//! no server process. They pin down what the client sends, and what it makes of what it gets.

use crate::util::{protocol, url_for};
use coredis::prelude::*;
use coredis::{ErrorKind, Redis};
use coredis_test_support::fake::{FakeServer, Script};
use std::time::{Duration, Instant};

/// How long a reconnection may take.
const PATIENCE: Duration = Duration::from_secs(10);

/// Every command the fake received, as space-separated words.
fn sent(fake: &FakeServer) -> Vec<String> {
    fake.commands()
        .iter()
        .map(|c| c.words().join(" "))
        .collect()
}

#[test]
fn the_handshake_and_a_command_as_the_fake_sees_them() {
    let fake = FakeServer::start(Script::echo_all());
    let url = url_for(&format!("{}/3", fake.url()), "client_name=app");
    let r = Redis::from_url(&url).unwrap();
    assert_eq!(r.echo::<String>("hello").unwrap(), "hello");
    let p = protocol();
    assert_eq!(
        sent(&fake),
        [
            format!("HELLO {p} SETNAME app"),
            "SELECT 3".to_owned(),
            "ECHO hello".to_owned()
        ]
    );
    assert_eq!(fake.connections(), 1);
}

#[test]
fn a_server_without_hello_gets_auth_and_setname_over_resp2() {
    let fake = FakeServer::start(Script::echo_all().refuse_hello());
    let base = format!("redis://:s3cret@{}", fake.addr());
    let r = Redis::from_url(&format!("{base}?protocol=2&client_name=old")).unwrap();
    assert_eq!(r.echo::<String>("x").unwrap(), "x");
    assert_eq!(
        sent(&fake),
        [
            "HELLO 2 AUTH default s3cret SETNAME old",
            "AUTH s3cret",
            "CLIENT SETNAME old",
            "ECHO x"
        ]
    );
    // Asking such a server for RESP3 is an error that says so, without the password (which
    // the server's refusal quotes).
    let e = Redis::from_url(&base).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(!format!("{e} {e:?}").contains("s3cret"), "{e:?}");
}

/// README: "When the connection is lost, every command in flight fails at once with
/// `ErrorKind::Closed` […]; the client reconnects in the background".
#[test]
fn a_request_whose_connection_closes_fails_with_closed_then_the_client_reconnects() {
    let fake = FakeServer::start_with(|n| {
        if n == 0 {
            Script::new().close_on_request()
        } else {
            Script::echo_all()
        }
    });
    let r = Redis::from_url(&url_for(&fake.url(), "timeout=5")).unwrap();
    let e = r.echo::<String>("lost").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Closed, "{e}");
    let until = Instant::now() + PATIENCE;
    loop {
        match r.echo::<String>("back") {
            Ok(v) => {
                assert_eq!(v, "back");
                break;
            }
            Err(e) => {
                assert!(e.is_timeout() || e.is_connection_error(), "{e}");
                assert!(Instant::now() < until, "no reconnection: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    assert_eq!(fake.connections(), 2);
}
