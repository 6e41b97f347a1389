//! `COMMAND *`, over RESP3 and RESP2 (flags and key specs are sets and maps under RESP3).

use super::T;
use crate::util::clients;
use coredis::prelude::*;
use coredis::types::{ArgumentKind, BeginSearch, CommandListFilter, FindKeys};
use coredis::{ErrorKind, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};

#[test]
fn server_command_table() {
    let new = server_major_minor() >= (7, 0);
    let server = Server::start();
    for (p, r) in clients(&server) {
        let count = r.command_count().unwrap();
        assert!(count > 150, "RESP{p}: {count}");
        let all = r.command().unwrap();
        assert_eq!(all.len() as i64, count, "one entry per command");
        let get = all.iter().find(|c| c.name == "get").expect("GET");
        assert_eq!(
            (get.arity, get.first_key, get.last_key, get.step),
            (2, 1, 1, 1)
        );
        assert!(get.flags.iter().any(|f| f == "readonly"), "{get:?}");
        assert!(get.acl_categories.iter().any(|c| c == "@read"));

        let infos = r.command_info_with(["get", "no-such-command"]).unwrap();
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[0].as_ref(), Some(get));
        assert_eq!(infos[1], None);

        let keys: Vec<String> = r.command_getkeys(["MSET", "a", "1", "b", "2"]).unwrap();
        assert_eq!(keys, ["a", "b"]);
        let keys: Vec<String> = r.command_getkeys(["ZUNION", "2", "x", "y"]).unwrap();
        assert_eq!(keys, ["x", "y"]);
        let e = r.command_getkeys::<String>(["PING", "x"]).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "no keys: {e}");
        let e = r
            .command_getkeys::<String>(Vec::<String>::new())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");

        if !new {
            continue;
        }
        // Redis 7.0: tips, key specs, subcommands.
        assert_eq!(get.key_specs.len(), 1);
        assert_eq!(get.key_specs[0].begin_search, BeginSearch::Index(1));
        assert!(matches!(get.key_specs[0].find_keys, FindKeys::Range { .. }));
        assert!(get.key_specs[0].flags.iter().any(|f| f == "RO"));
        let config = all.iter().find(|c| c.name == "config").expect("CONFIG");
        assert!(config.subcommands.iter().any(|s| s.name == "config|get"));
        let migrate = &r.command_info_with(["migrate"]).unwrap()[0];
        let migrate = migrate.as_ref().expect("MIGRATE");
        assert!(migrate.tips.iter().any(|t| t == "nondeterministic_output"));
        assert!(migrate.key_specs.iter().any(|k| matches!(
            &k.begin_search,
            BeginSearch::Keyword { keyword, .. } if keyword == "KEYS"
        )));
        let zunion = r
            .command_info_with(["zunion"])
            .unwrap()
            .remove(0)
            .expect("ZUNION");
        assert!(matches!(
            zunion.key_specs[0].find_keys,
            FindKeys::KeyNum {
                key_num_index: 0,
                first_key: 1,
                step: 1
            }
        ));
        let sub = r.command_info_with(["config|get"]).unwrap().remove(0);
        assert_eq!(sub.map(|s| s.arity), Some(-3));
        assert_eq!(r.command_info().unwrap().len() as i64, count);

        let flagged = r
            .command_getkeysandflags::<String>(["LMOVE", "a", "b", "LEFT", "RIGHT"])
            .unwrap();
        assert_eq!(flagged.len(), 2);
        assert_eq!(flagged[0].key, "a");
        assert!(
            flagged[0].flags.iter().any(|f| f == "delete"),
            "{flagged:?}"
        );
        assert!(flagged[1].flags.iter().any(|f| f == "insert"));

        let docs = r
            .command_docs_with(["set", "config", "no-such-command"])
            .unwrap();
        assert_eq!(docs.len(), 2, "unknown names are left out");
        let set = &docs[0];
        assert_eq!((set.name.as_str(), set.group.as_str()), ("set", "string"));
        assert_eq!(set.since.as_deref(), Some("1.0.0"));
        assert!(set.complexity.is_some() && set.summary.is_some());
        assert!(set.history.iter().any(|h| h.version == "6.2.0"));
        assert_eq!(set.arguments[0].kind, ArgumentKind::Key);
        assert_eq!(set.arguments[0].key_spec_index, Some(0));
        let expiration = set
            .arguments
            .iter()
            .find(|a| a.name == "expiration")
            .expect("SET's expiration");
        assert_eq!(expiration.kind, ArgumentKind::OneOf);
        assert!(expiration.is_optional());
        assert!(expiration
            .arguments
            .iter()
            .any(|a| a.token.as_deref() == Some("EX")));
        let config = &docs[1];
        assert!(config.subcommands.iter().any(|s| s.name == "config|get"));
        let slaveof = &r.command_docs_with(["slaveof"]).unwrap()[0];
        assert!(slaveof.doc_flags.iter().any(|f| f == "deprecated"));
        assert_eq!(slaveof.deprecated_since.as_deref(), Some("5.0.0"));
        assert!(slaveof.replaced_by.is_some());
        let every = r.command_docs().unwrap();
        assert!(every.len() as i64 >= count - 5, "{} docs", every.len());

        let names = r.command_list().unwrap();
        assert!(names.iter().any(|n| n == "get"));
        assert!(names.iter().any(|n| n == "config|get"));
        let mut z = r
            .command_list_with(CommandListFilter::Pattern("zunion*".into()))
            .unwrap();
        z.sort();
        assert_eq!(z, ["zunion", "zunionstore"]);
        let hll = r
            .command_list_with(CommandListFilter::AclCat("hyperloglog".into()))
            .unwrap();
        assert!(hll.iter().any(|n| n == "pfadd"), "{hll:?}");
        let none = r
            .command_list_with(CommandListFilter::Module("no-such-module".into()))
            .unwrap();
        assert!(none.is_empty());
    }
    // The same values under both protocols.
    let c = clients(&server);
    let (r3, r2) = (&c[0].1, &c[1].1);
    let names = ["get", "set", "config", "xadd"];
    assert_eq!(
        r3.command_info_with(names).unwrap(),
        r2.command_info_with(names).unwrap()
    );
    if new {
        assert_eq!(
            r3.command_docs_with(names).unwrap(),
            r2.command_docs_with(names).unwrap()
        );
        assert_eq!(
            r3.command_getkeysandflags::<String>(["SET", "k", "v"])
                .unwrap(),
            r2.command_getkeysandflags::<String>(["SET", "k", "v"])
                .unwrap()
        );
    } else {
        skip(
            &format!("{T}server_command_table"),
            "COMMAND DOCS, LIST, GETKEYSANDFLAGS and key specs need Redis 7.0",
        );
    }
}
