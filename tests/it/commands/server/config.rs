//! `CONFIG *`, over RESP3 and RESP2 (the map reply is the same under both).

use super::{client_on, info_field, ConfServer, T};
use crate::util::clients;
use coredis::prelude::*;
use coredis::{ErrorKind, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};
use std::collections::HashMap;

#[test]
fn server_config_get_set_resetstat() {
    let new = server_major_minor() >= (7, 0);
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.config_set([("maxmemory", "0")]).unwrap();
        let one = r.config_get(["maxmemory"]).unwrap();
        assert_eq!(
            one,
            HashMap::from([("maxmemory".to_string(), "0".to_string())]),
            "RESP{p}"
        );
        let pattern = r.config_get(["maxmemory-*"]).unwrap();
        assert!(pattern.contains_key("maxmemory-policy"), "{pattern:?}");
        assert!(!pattern.contains_key("maxmemory"));
        assert!(r.config_get(["no-such-parameter"]).unwrap().is_empty());

        r.config_set([("maxmemory", "10mb")]).unwrap();
        assert_eq!(
            r.config_get(["maxmemory"]).unwrap()["maxmemory"],
            "10485760"
        );
        let e = r.config_set([("no-such-parameter", "1")]).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        let e = r.config_set([("maxmemory", "lots")]).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");

        if new {
            let two = r.config_get(["maxmemory", "port"]).unwrap();
            assert_eq!(two.len(), 2);
            assert_eq!(two["port"], server.port().to_string());
            r.config_set([("maxmemory", "20mb"), ("maxmemory-policy", "allkeys-lru")])
                .unwrap();
            let two = r.config_get(["maxmemory", "maxmemory-policy"]).unwrap();
            assert_eq!(two["maxmemory"], "20971520");
            assert_eq!(two["maxmemory-policy"], "allkeys-lru");
            // All or nothing: one bad value and nothing changes.
            let e = r
                .config_set([("maxmemory", "30mb"), ("maxmemory-policy", "bogus")])
                .unwrap_err();
            assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
            assert_eq!(
                r.config_get(["maxmemory"]).unwrap()["maxmemory"],
                "20971520"
            );
        }

        let none: Vec<String> = Vec::new();
        assert_eq!(r.config_get(&none).unwrap_err().kind(), ErrorKind::Usage);
        let no_pairs: Vec<(String, String)> = Vec::new();
        assert_eq!(r.config_set(no_pairs).unwrap_err().kind(), ErrorKind::Usage);

        let _: Option<String> = r.get("missing").unwrap();
        assert_ne!(info_field(&r, "stats", "keyspace_misses"), "0");
        r.config_resetstat().unwrap();
        assert_eq!(info_field(&r, "stats", "keyspace_misses"), "0", "RESP{p}");
    }
    if !new {
        skip(
            &format!("{T}server_config_get_set_resetstat"),
            "several parameters per CONFIG GET/SET need Redis 7.0 (one at a time tested)",
        );
    }
}

#[test]
fn server_config_rewrite() {
    // The harness starts servers without a configuration file: REWRITE is an error there.
    let server = Server::start();
    let r = crate::util::connect(&server);
    let e = r.config_rewrite().unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    assert!(e.to_string().contains("config file"), "{e}");

    let conf = ConfServer::start("maxmemory-policy noeviction\n", false);
    let r = client_on(conf.port(), crate::util::protocol());
    r.config_set([("maxmemory-policy", "allkeys-lfu")]).unwrap();
    assert!(!conf.conf_text().contains("allkeys-lfu"));
    r.config_rewrite().unwrap();
    let text = conf.conf_text();
    assert!(
        text.contains("maxmemory-policy allkeys-lfu"),
        "rewritten: {text}"
    );
}
