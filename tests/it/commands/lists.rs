//! The list commands against a real server, over RESP3 and RESP2 (both in every run).

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{InsertPosition, ListEnd, LposOptions};
use coredis::{ErrorKind, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};

/// Every method of the list group, built.
pub fn built() -> Vec<coredis::Request> {
    vec![
        Build.lindex::<String>("l", 0).request().clone(),
        Build
            .linsert("l", InsertPosition::Before, "p", "e")
            .request()
            .clone(),
        Build.llen("l").request().clone(),
        Build
            .lmove::<String>("s", "d", ListEnd::Left, ListEnd::Right)
            .request()
            .clone(),
        Build
            .lmpop::<String, String>(["a", "b"], ListEnd::Left)
            .request()
            .clone(),
        Build
            .lmpop_with::<String, String>("a", ListEnd::Right, 3)
            .request()
            .clone(),
        Build.lpop::<String>("l").request().clone(),
        Build.lpop_count::<String>("l", 2).request().clone(),
        Build.lpos("l", "e").request().clone(),
        Build
            .lpos_with("l", "e", LposOptions::new().rank(-1).maxlen(10))
            .request()
            .clone(),
        Build
            .lpos_count("l", "e", 0, LposOptions::new().rank(2).maxlen(5))
            .request()
            .clone(),
        Build.lpush("l", ["a", "b"]).request().clone(),
        Build.lpushx("l", "a").request().clone(),
        Build.lrange::<String>("l", 0, -1).request().clone(),
        Build.lrem("l", -2, "e").request().clone(),
        Build.lset("l", 0, "e").request().clone(),
        Build.ltrim("l", 0, 9).request().clone(),
        Build.rpop::<String>("l").request().clone(),
        Build.rpop_count::<String>("l", 2).request().clone(),
        Build.rpoplpush::<String>("s", "d").request().clone(),
        Build.rpush("l", ["a", "b"]).request().clone(),
        Build.rpushx("l", "a").request().clone(),
    ]
}

#[test]
fn lists_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::lists::lists_routing_facts_match_the_server",
        &built(),
    );
}

fn assert_wrongtype<T: std::fmt::Debug>(r: coredis::Result<T>, what: &str) {
    let e = r.expect_err(what);
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{what}: {e}");
}

#[test]
fn lists_push_pop_range() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let l = format!("l{p}");
        assert_eq!(r.rpush(&l, "b").unwrap(), 1, "RESP{p}");
        assert_eq!(r.rpush(&l, ["c", "d"]).unwrap(), 3);
        assert_eq!(
            r.lpush(&l, ["a", "z"]).unwrap(),
            5,
            "z pushed last, ends first"
        );
        let all: Vec<String> = r.lrange(&l, 0, -1).unwrap();
        assert_eq!(all, ["z", "a", "b", "c", "d"]);
        assert_eq!(r.llen(&l).unwrap(), 5);
        assert_eq!(r.llen("nothing").unwrap(), 0);
        let some: Vec<String> = r.lrange(&l, 1, 2).unwrap();
        assert_eq!(some, ["a", "b"]);
        let none: Vec<String> = r.lrange("nothing", 0, -1).unwrap();
        assert!(none.is_empty());

        assert_eq!(r.lindex::<String>(&l, -1).unwrap(), "d");
        assert_eq!(r.lindex::<Option<String>>(&l, 99).unwrap(), None);

        assert_eq!(r.lpushx("nothing", "x").unwrap(), 0);
        assert_eq!(r.rpushx("nothing", ["x", "y"]).unwrap(), 0);
        assert_eq!(r.llen("nothing").unwrap(), 0, "…X never creates the list");
        assert_eq!(r.lpushx(&l, "y").unwrap(), 6);
        assert_eq!(r.rpushx(&l, ["e", "f"]).unwrap(), 8);

        assert_eq!(r.lpop::<String>(&l).unwrap(), "y");
        assert_eq!(r.rpop::<String>(&l).unwrap(), "f");
        assert_eq!(r.lpop::<Option<String>>("nothing").unwrap(), None);
        assert_eq!(r.rpop::<Option<String>>("nothing").unwrap(), None);
        let head: Vec<String> = r.lpop_count(&l, 2).unwrap();
        assert_eq!(head, ["z", "a"]);
        let tail: Vec<String> = r.rpop_count(&l, 2).unwrap();
        assert_eq!(tail, ["e", "d"], "RPOP count: last element first");
        let more: Vec<String> = r.rpop_count(&l, 10).unwrap();
        assert_eq!(more, ["c", "b"], "fewer than asked");
        assert_eq!(r.llen(&l).unwrap(), 0);
        // A missing key is nil on the wire, an empty Vec here, under both protocols.
        let gone: Vec<String> = r.lpop_count(&l, 3).unwrap();
        assert!(gone.is_empty());
        let gone: Vec<String> = r.rpop_count("nothing", 3).unwrap();
        assert!(gone.is_empty());
        // Binary-safe elements.
        r.rpush(&l, &b"\x00\xff\r\n"[..]).unwrap();
        let raw: Vec<u8> = r.lpop(&l).unwrap();
        assert_eq!(raw, b"\x00\xff\r\n");
    }
}

#[test]
fn lists_edit_in_place() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let l = format!("edit{p}");
        r.rpush(&l, ["a", "x", "b", "x", "c", "x"]).unwrap();
        assert_eq!(
            r.linsert(&l, InsertPosition::Before, "b", "B").unwrap(),
            7,
            "RESP{p}"
        );
        assert_eq!(r.linsert(&l, InsertPosition::After, "c", "C").unwrap(), 8);
        assert_eq!(
            r.linsert(&l, InsertPosition::After, "nope", "C").unwrap(),
            -1
        );
        assert_eq!(
            r.linsert("nothing", InsertPosition::After, "a", "C")
                .unwrap(),
            0
        );
        let all: Vec<String> = r.lrange(&l, 0, -1).unwrap();
        assert_eq!(all, ["a", "x", "B", "b", "x", "c", "C", "x"]);

        r.lset(&l, 0, "A").unwrap();
        r.lset(&l, -1, "X").unwrap();
        assert_eq!(r.lindex::<String>(&l, 0).unwrap(), "A");
        let e = r.lset(&l, 100, "q").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        assert_eq!(e.server_code(), Some(ServerCode::Err));
        assert!(r.lset("nothing", 0, "q").is_err());

        assert_eq!(r.lrem(&l, 0, "x").unwrap(), 2);
        assert_eq!(r.lrem(&l, 1, "nope").unwrap(), 0);
        let all: Vec<String> = r.lrange(&l, 0, -1).unwrap();
        assert_eq!(all, ["A", "B", "b", "c", "C", "X"]);
        r.rpush(&l, ["b", "b"]).unwrap();
        assert_eq!(r.lrem(&l, -2, "b").unwrap(), 2, "from the tail");
        let all: Vec<String> = r.lrange(&l, 0, -1).unwrap();
        assert_eq!(all, ["A", "B", "b", "c", "C", "X"]);

        r.ltrim(&l, 1, -2).unwrap();
        let all: Vec<String> = r.lrange(&l, 0, -1).unwrap();
        assert_eq!(all, ["B", "b", "c", "C"]);
        r.ltrim(&l, 5, 10).unwrap();
        assert_eq!(r.llen(&l).unwrap(), 0, "an empty range deletes the list");
    }
}

#[test]
fn lists_lpos() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let l = format!("pos{p}");
        r.rpush(&l, ["a", "b", "c", "b", "d", "b"]).unwrap();
        assert_eq!(r.lpos(&l, "b").unwrap(), Some(1), "RESP{p}");
        assert_eq!(r.lpos(&l, "zz").unwrap(), None);
        assert_eq!(r.lpos("nothing", "b").unwrap(), None);
        assert_eq!(
            r.lpos_with(&l, "b", LposOptions::new().rank(-1)).unwrap(),
            Some(5)
        );
        assert_eq!(
            r.lpos_with(&l, "b", LposOptions::new().rank(2)).unwrap(),
            Some(3)
        );
        assert_eq!(
            r.lpos_with(&l, "d", LposOptions::new().maxlen(3)).unwrap(),
            None,
            "MAXLEN stops the scan"
        );
        assert_eq!(r.lpos_with(&l, "d", LposOptions::new()).unwrap(), Some(4));
        assert_eq!(
            r.lpos_count(&l, "b", 0, LposOptions::new()).unwrap(),
            [1, 3, 5]
        );
        assert_eq!(
            r.lpos_count(&l, "b", 2, LposOptions::new().rank(-1))
                .unwrap(),
            [5, 3]
        );
        assert_eq!(
            r.lpos_count(&l, "b", 0, LposOptions::new().maxlen(4))
                .unwrap(),
            [1, 3]
        );
        assert!(r
            .lpos_count(&l, "zz", 3, LposOptions::new())
            .unwrap()
            .is_empty());
        let e = r
            .lpos_with(&l, "b", LposOptions::new().rank(0))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "RANK 0 is refused: {e}");
    }
}

#[test]
fn lists_move_between_lists() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let (src, dst) = (format!("{{m{p}}}src"), format!("{{m{p}}}dst"));
        r.rpush(&src, ["a", "b", "c"]).unwrap();
        let moved: String = r.lmove(&src, &dst, ListEnd::Left, ListEnd::Right).unwrap();
        assert_eq!(moved, "a", "RESP{p}");
        let moved: String = r.lmove(&src, &dst, ListEnd::Right, ListEnd::Left).unwrap();
        assert_eq!(moved, "c");
        let all: Vec<String> = r.lrange(&dst, 0, -1).unwrap();
        assert_eq!(all, ["c", "a"]);
        // Rotation of one list.
        let moved: String = r.lmove(&dst, &dst, ListEnd::Left, ListEnd::Right).unwrap();
        assert_eq!(moved, "c");
        let all: Vec<String> = r.lrange(&dst, 0, -1).unwrap();
        assert_eq!(all, ["a", "c"]);
        let none: Option<String> = r
            .lmove("{m}nothing", "{m}other", ListEnd::Left, ListEnd::Left)
            .unwrap();
        assert_eq!(none, None);

        let moved: String = r.rpoplpush(&src, &dst).unwrap();
        assert_eq!(moved, "b");
        let all: Vec<String> = r.lrange(&dst, 0, -1).unwrap();
        assert_eq!(all, ["b", "a", "c"]);
        let none: Option<String> = r.rpoplpush(&src, &dst).unwrap();
        assert_eq!(none, None, "the source is empty now");
    }
}

#[test]
fn lists_lmpop() {
    let server = Server::start();
    if server_major_minor() < (7, 0) {
        skip("commands::lists::lists_lmpop", "LMPOP needs Redis 7.0");
        return;
    }
    for (p, r) in clients(&server) {
        let (a, b) = (format!("{{mp{p}}}a"), format!("{{mp{p}}}b"));
        r.rpush(&b, ["1", "2", "3", "4"]).unwrap();
        let got: Option<(String, Vec<String>)> =
            r.lmpop([a.as_str(), b.as_str()], ListEnd::Left).unwrap();
        assert_eq!(got, Some((b.clone(), vec!["1".to_string()])), "RESP{p}");
        let got: Option<(String, Vec<i64>)> = r
            .lmpop_with([a.as_str(), b.as_str()], ListEnd::Right, 2)
            .unwrap();
        assert_eq!(got, Some((b.clone(), vec![4, 3])));
        let got: Option<(String, Vec<String>)> = r.lmpop_with(&b, ListEnd::Left, 10).unwrap();
        assert_eq!(got, Some((b.clone(), vec!["2".to_string()])));
        let got: Option<(String, Vec<String>)> =
            r.lmpop([a.as_str(), b.as_str()], ListEnd::Left).unwrap();
        assert_eq!(got, None, "every list empty");
        r.set(&a, "text").unwrap();
        assert_wrongtype(
            r.lmpop::<String, String>([a.as_str(), b.as_str()], ListEnd::Left),
            "LMPOP on a string",
        );
        let none: [&str; 0] = [];
        let e = r.lmpop::<String, String>(none, ListEnd::Left).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage);
    }
}

#[test]
fn lists_bad_input() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let s = format!("str{p}");
        r.set(&s, "text").unwrap();
        assert_wrongtype(r.lpush(&s, "x"), "LPUSH");
        assert_wrongtype(r.rpush(&s, "x"), "RPUSH");
        assert_wrongtype(r.lpushx(&s, "x"), "LPUSHX");
        assert_wrongtype(r.rpushx(&s, "x"), "RPUSHX");
        assert_wrongtype(r.llen(&s), "LLEN");
        assert_wrongtype(r.lrange::<String>(&s, 0, -1), "LRANGE");
        assert_wrongtype(r.lindex::<Option<String>>(&s, 0), "LINDEX");
        assert_wrongtype(r.linsert(&s, InsertPosition::After, "a", "b"), "LINSERT");
        assert_wrongtype(r.lpop::<Option<String>>(&s), "LPOP");
        assert_wrongtype(r.rpop_count::<String>(&s, 2), "RPOP count");
        assert_wrongtype(r.lpos(&s, "a"), "LPOS");
        assert_wrongtype(r.lrem(&s, 0, "a"), "LREM");
        assert_wrongtype(r.lset(&s, 0, "a"), "LSET");
        assert_wrongtype(r.ltrim(&s, 0, 1), "LTRIM");
        assert_wrongtype(
            r.lmove::<Option<String>>(&s, "x", ListEnd::Left, ListEnd::Left),
            "LMOVE",
        );
        assert_wrongtype(r.rpoplpush::<Option<String>>(&s, "x"), "RPOPLPUSH");

        let none: Vec<String> = Vec::new();
        for e in [
            r.lpush("l", &none).unwrap_err(),
            r.rpush("l", &none).unwrap_err(),
            r.lpushx("l", &none).unwrap_err(),
            r.rpushx("l", &none).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::Usage, "RESP{p}: {e}");
        }
        // A reply of the wrong shape for the type asked is a type error, not a panic.
        r.rpush("words", ["a", "b"]).unwrap();
        let e = r.lrange::<i64>("words", 0, -1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type);
        r.del("words").unwrap();
    }
}
