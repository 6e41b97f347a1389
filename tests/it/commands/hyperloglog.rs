//! The HyperLogLog commands against live servers, over RESP3 and RESP2.

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::{cmd, ErrorKind, ServerCode};
use coredis_test_support::Server;

#[test]
fn hyperloglog_add_count_merge() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        let none: [&str; 0] = [];
        assert!(r.pfadd("empty", none).unwrap(), "RESP{p}: created");
        assert!(!r.pfadd("empty", none).unwrap(), "exists, unchanged");
        assert_eq!(r.pfcount("empty").unwrap(), 0);
        assert!(r.pfadd("a", ["x", "y", "z"]).unwrap());
        assert!(!r.pfadd("a", "x").unwrap(), "already counted");
        assert!(r.pfadd("b", ["z", "w"]).unwrap());
        assert_eq!(r.pfcount("a").unwrap(), 3);
        assert_eq!(r.pfcount(["a", "b", "missing"]).unwrap(), 4, "the union");
        let many: Vec<String> = (0..10_000).map(|i| format!("e{i}")).collect();
        r.pfadd("big", &many).unwrap();
        let n = r.pfcount("big").unwrap();
        assert!((9_700..=10_300).contains(&n), "estimate within 3%: {n}");

        r.pfmerge("m", ["a", "b"]).unwrap();
        assert_eq!(r.pfcount("m").unwrap(), 4);
        r.pfmerge("m2", none).unwrap();
        assert_eq!(r.pfcount("m2").unwrap(), 0, "created empty");

        assert_eq!(r.pfcount(none).unwrap_err().kind(), ErrorKind::Usage);
        r.execute(cmd("RPUSH").key("list").arg("x")).unwrap();
        r.set("str", "not a hyperloglog").unwrap();
        for e in [
            r.pfadd("list", "x").unwrap_err(),
            r.pfcount("list").unwrap_err(),
            r.pfmerge("m", "list").unwrap_err(),
        ] {
            assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
        }
        let e = r.pfadd("str", "x").unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
    }
}

/// Every method of the group, built.
pub fn built() -> Vec<coredis::Request> {
    vec![
        Build.pfadd("h", ["a", "b"]).request().clone(),
        Build.pfcount(["h", "h2"]).request().clone(),
        Build.pfmerge("d", ["h", "h2"]).request().clone(),
    ]
}

#[test]
fn hyperloglog_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::hyperloglog::hyperloglog_routing_facts_match_the_server",
        &built(),
    );
}
