//! A logger that itself uses the client: the library must never log while holding a lock that
//! a command needs. (Its own test binary: the logger is global to the process.)

mod support;

use coredis::prelude::*;
use coredis::{cmd, Redis};
use std::sync::OnceLock;
use std::time::Duration;
use support::Server;

static CLIENT: OnceLock<Redis> = OnceLock::new();

/// Ships warnings to a Redis list through the application's own client.
struct RedisSink;

impl log::Log for RedisSink {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.level() <= log::Level::Warn
    }

    fn log(&self, rec: &log::Record) {
        if self.enabled(rec.metadata()) {
            if let Some(r) = CLIENT.get() {
                drop(
                    r.deferred()
                        .execute(cmd("RPUSH").key("logs").arg(rec.args().to_string())),
                );
            }
        }
    }

    fn flush(&self) {}
}

#[test]
fn a_logger_that_uses_the_client_does_not_deadlock_it() {
    let server = Server::start();
    log::set_logger(&RedisSink).unwrap();
    log::set_max_level(log::LevelFilter::Warn);
    let r = Redis::from_url(&format!("{}?timeout=1", server.url())).unwrap();
    CLIENT.set(r.clone()).ok();
    r.set("k", "v").unwrap();
    // Losing the connection logs a warning.
    server.command(&["CLIENT", "KILL", "TYPE", "normal"]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = r.get::<Option<String>>("k");
        let _ = r.get::<Option<String>>("k");
        let _ = tx.send(r.ping().is_ok());
    });
    let res = rx.recv_timeout(Duration::from_secs(10));
    assert_eq!(res, Ok(true), "the client is deadlocked or broken");
    // The warning reached the list through the client (once it had reconnected).
    let until = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let logged = server.command(&["LRANGE", "logs", "0", "-1"]);
        if logged.contains("lost") {
            break;
        }
        assert!(
            std::time::Instant::now() < until,
            "nothing logged: {logged:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
