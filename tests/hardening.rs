//! Faults of the shared connection found by review (issue 7): each test fails on the code
//! before its fix.

mod support;

use coredis::prelude::*;
use coredis::Redis;
use std::time::Duration;
use support::Server;

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced_before_the_next_command() {
    let server = Server::builder().arg("--timeout").arg("1").start();
    let r = Redis::from_url(&server.url()).unwrap();
    for round in 0..3 {
        r.ping().unwrap();
        // The server closes connections idle for more than 1 s (checked about every 100 ms).
        std::thread::sleep(Duration::from_millis(2500));
        let n: i64 = r
            .incr("n")
            .unwrap_or_else(|e| panic!("round {round}: a command that was never sent failed: {e}"));
        assert_eq!(n, round + 1);
    }
}
