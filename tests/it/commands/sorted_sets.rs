//! The sorted-set commands against a real server, over RESP3 and RESP2 (both in every run):
//! scores are doubles under RESP3 and text under RESP2, `WITHSCORES` replies are pairs under
//! RESP3 and flat arrays under RESP2; the same call gives the same value.

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    Aggregate, LexBound, RangeLimit, ScoreBound, ScoreEnd, ScoredMember, ZCombineOptions, ZRange,
    ZaddOptions,
};
use coredis::{ErrorKind, Redis, ServerCode};
use coredis_test_support::{server_major_minor, skip, Server};

const INF: f64 = f64::INFINITY;

/// Every method of the sorted-set group, built.
pub fn built() -> Vec<coredis::Request> {
    let combine = || {
        ZCombineOptions::new()
            .weights([1.0, 2.5])
            .aggregate(Aggregate::Max)
    };
    vec![
        // SortedSetCommands
        Build.zadd("z", [(1.0, "a"), (2.0, "b")]).request().clone(),
        Build
            .zadd_with("z", [(1.0, "a")], ZaddOptions::new().xx().gt().ch())
            .request()
            .clone(),
        Build
            .zadd_incr("z", 1.5, "a", ZaddOptions::new().nx())
            .request()
            .clone(),
        Build.zcard("z").request().clone(),
        Build
            .zcount("z", ScoreBound::Exclusive(1.0), ScoreBound::PosInf)
            .request()
            .clone(),
        Build.zincrby("z", -2.5, "a").request().clone(),
        Build
            .zlexcount("z", LexBound::Min, LexBound::inclusive("c"))
            .request()
            .clone(),
        Build
            .zmpop::<String, String>(["a", "b"], ScoreEnd::Min)
            .request()
            .clone(),
        Build
            .zmpop_with::<String, String>("a", ScoreEnd::Max, 2)
            .request()
            .clone(),
        Build.zmscore("z", ["a", "b"]).request().clone(),
        Build.zpopmax::<String>("z").request().clone(),
        Build.zpopmax_count::<String>("z", 2).request().clone(),
        Build.zpopmin::<String>("z").request().clone(),
        Build.zpopmin_count::<String>("z", 2).request().clone(),
        Build.zrandmember::<String>("z").request().clone(),
        Build.zrandmember_count::<String>("z", -3).request().clone(),
        Build
            .zrandmember_withscores::<String>("z", 3)
            .request()
            .clone(),
        Build.zrank("z", "a").request().clone(),
        Build.zrank_withscore("z", "a").request().clone(),
        Build.zrem("z", ["a", "b"]).request().clone(),
        Build
            .zremrangebylex("z", LexBound::exclusive("a"), LexBound::Max)
            .request()
            .clone(),
        Build.zremrangebyrank("z", 0, 1).request().clone(),
        Build
            .zremrangebyscore("z", ScoreBound::NegInf, 5.0)
            .request()
            .clone(),
        Build.zrevrank("z", "a").request().clone(),
        Build.zrevrank_withscore("z", "a").request().clone(),
        Build.zscore("z", "a").request().clone(),
        // SortedSetRangeCommands
        Build.zrange::<String>("z", 0, -1).request().clone(),
        Build
            .zrange_with::<String>("z", ZRange::score(1.0, INF).rev().limit(0, 5))
            .request()
            .clone(),
        Build
            .zrange_with::<String>("z", ZRange::lex(LexBound::Min, LexBound::Max).limit(1, 2))
            .request()
            .clone(),
        Build
            .zrange_withscores::<String>("z", ZRange::rank(0, 1).rev())
            .request()
            .clone(),
        Build
            .zrangestore("d", "z", ZRange::score(ScoreBound::NegInf, 3.0).limit(0, 2))
            .request()
            .clone(),
        Build
            .zrangebylex::<String>("z", LexBound::Min, LexBound::Max)
            .request()
            .clone(),
        Build
            .zrangebylex_with::<String>(
                "z",
                LexBound::inclusive("a"),
                LexBound::Max,
                RangeLimit::new(0, 2),
            )
            .request()
            .clone(),
        Build
            .zrangebyscore::<String>("z", 1.0, 2.0)
            .request()
            .clone(),
        Build
            .zrangebyscore_with::<String>("z", 1.0, INF, RangeLimit::new(1, 1))
            .request()
            .clone(),
        Build
            .zrangebyscore_withscores::<String>(
                "z",
                ScoreBound::NegInf,
                ScoreBound::PosInf,
                Some(RangeLimit::new(0, 3)),
            )
            .request()
            .clone(),
        Build.zrevrange::<String>("z", 0, -1).request().clone(),
        Build
            .zrevrange_withscores::<String>("z", 0, 1)
            .request()
            .clone(),
        Build
            .zrevrangebylex::<String>("z", LexBound::Max, LexBound::Min)
            .request()
            .clone(),
        Build
            .zrevrangebylex_with::<String>(
                "z",
                LexBound::Max,
                LexBound::exclusive("a"),
                RangeLimit::new(0, 1),
            )
            .request()
            .clone(),
        Build
            .zrevrangebyscore::<String>("z", INF, 0.0)
            .request()
            .clone(),
        Build
            .zrevrangebyscore_with::<String>("z", INF, 0.0, RangeLimit::new(0, 1))
            .request()
            .clone(),
        Build
            .zrevrangebyscore_withscores::<String>("z", 3.0, 1.0, None)
            .request()
            .clone(),
        // SortedSetCombineCommands
        Build.zdiff::<String>(["a", "b"]).request().clone(),
        Build
            .zdiff_withscores::<String>(["a", "b"])
            .request()
            .clone(),
        Build.zdiffstore("d", ["a", "b"]).request().clone(),
        Build.zinter::<String>(["a", "b"]).request().clone(),
        Build
            .zinter_with::<String>(["a", "b"], combine())
            .request()
            .clone(),
        Build
            .zinter_withscores::<String>(["a", "b"], combine())
            .request()
            .clone(),
        Build.zintercard(["a", "b"]).request().clone(),
        Build.zintercard_with("a", 3).request().clone(),
        Build.zinterstore("d", ["a", "b"]).request().clone(),
        Build
            .zinterstore_with("d", ["a", "b"], combine())
            .request()
            .clone(),
        Build.zunion::<String>(["a", "b"]).request().clone(),
        Build
            .zunion_with::<String>(["a", "b"], combine())
            .request()
            .clone(),
        Build
            .zunion_withscores::<String>(["a", "b"], combine())
            .request()
            .clone(),
        Build.zunionstore("d", ["a", "b"]).request().clone(),
        Build
            .zunionstore_with("d", ["a", "b"], combine())
            .request()
            .clone(),
    ]
}

/// `ZRANK … WITHSCORE` is Redis 7.2+ (and every Valkey).
fn has_withscore() -> bool {
    server_major_minor() >= (7, 2)
}

#[test]
fn zsets_routing_facts_match_the_server() {
    let test = "commands::sorted_sets::zsets_routing_facts_match_the_server";
    let server = Server::start();
    let mut requests = built();
    if !has_withscore() && server_major_minor() >= (7, 0) {
        skip(
            &format!("{test} (ZRANK/ZREVRANK WITHSCORE)"),
            "WITHSCORE needs Redis 7.2",
        );
        requests.retain(|r| !r.args().any(|w| w == b"WITHSCORE"));
    }
    super::audit::check(&server, test, &requests);
}

fn sm(member: &str, score: f64) -> ScoredMember<String> {
    ScoredMember::new(member.to_string(), score)
}

fn assert_wrongtype<T: std::fmt::Debug>(r: coredis::Result<T>, what: &str) {
    let e = r.expect_err(what);
    assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{what}: {e}");
}

/// `a 1, b 2, c 3, d +inf` at `key`.
fn fill(r: &Redis, key: &str) {
    r.del(key).unwrap();
    let added = r
        .zadd(key, [(1.0, "a"), (2.0, "b"), (3.0, "c"), (INF, "d")])
        .unwrap();
    assert_eq!(added, 4);
}

#[test]
fn zsets_add_and_score() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let z = format!("z{p}");
        assert_eq!(r.zadd(&z, [(1.0, "a"), (2.0, "b")]).unwrap(), 2, "RESP{p}");
        assert_eq!(
            r.zadd(&z, [(5.0, "a")]).unwrap(),
            0,
            "an update is not counted"
        );
        assert_eq!(r.zscore(&z, "a").unwrap(), Some(5.0), "RESP{p}");
        assert_eq!(r.zscore(&z, "zz").unwrap(), None);
        assert_eq!(r.zscore("nothing", "a").unwrap(), None);
        assert_eq!(r.zcard(&z).unwrap(), 2);
        assert_eq!(r.zcard("nothing").unwrap(), 0);

        // NX / XX / CH
        let o = ZaddOptions::new();
        assert_eq!(
            r.zadd_with(&z, [(9.0, "a"), (3.0, "c")], o.nx()).unwrap(),
            1
        );
        assert_eq!(r.zscore(&z, "a").unwrap(), Some(5.0), "NX leaves a alone");
        assert_eq!(
            r.zadd_with(&z, [(6.0, "a"), (4.0, "new")], o.xx()).unwrap(),
            0
        );
        assert_eq!(r.zscore(&z, "a").unwrap(), Some(6.0), "XX updates a");
        assert_eq!(r.zscore(&z, "new").unwrap(), None, "XX adds nothing");
        assert_eq!(
            r.zadd_with(&z, [(7.0, "a"), (3.0, "c"), (1.0, "e")], o.ch())
                .unwrap(),
            2,
            "CH: a changed, e added, c unchanged"
        );
        // GT / LT (Redis 6.2+)
        assert_eq!(
            r.zadd_with(&z, [(1.0, "a"), (10.0, "b")], o.gt().ch())
                .unwrap(),
            1
        );
        assert_eq!(
            r.zscore(&z, "a").unwrap(),
            Some(7.0),
            "GT refused a lower score"
        );
        assert_eq!(r.zscore(&z, "b").unwrap(), Some(10.0));
        assert_eq!(r.zadd_with(&z, [(0.5, "a")], o.lt().xx().ch()).unwrap(), 1);
        assert_eq!(r.zscore(&z, "a").unwrap(), Some(0.5));
        let e = r.zadd_with(&z, [(1.0, "a")], o.nx().gt()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "NX with GT is refused: {e}");

        // INCR: the new score, or None when a condition prevents it.
        assert_eq!(r.zadd_incr(&z, 1.5, "a", o).unwrap(), Some(2.0), "RESP{p}");
        assert_eq!(r.zadd_incr(&z, 1.0, "a", o.nx()).unwrap(), None);
        assert_eq!(r.zadd_incr(&z, 1.0, "fresh", o.xx()).unwrap(), None);
        assert_eq!(r.zadd_incr(&z, -1.0, "a", o.gt()).unwrap(), None);
        assert_eq!(r.zadd_incr(&z, 2.0, "fresh", o.nx()).unwrap(), Some(2.0));
        assert_eq!(r.zincrby(&z, 0.25, "fresh").unwrap(), 2.25);
        assert_eq!(r.zincrby(&z, -3.0, "other").unwrap(), -3.0);
        assert_eq!(
            r.zincrby(&z, INF, "other").unwrap(),
            INF,
            "inf on both protocols"
        );
        let e = r.zincrby(&z, -INF, "other").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "inf - inf is NaN: {e}");
        assert_eq!(r.zscore(&z, "other").unwrap(), Some(INF));

        // Scores survive the round trip exactly, in both protocols.
        let exact = [
            0.1,
            -0.0,
            1e300,
            -2.5e-300,
            123_456_789.123_456_79,
            1.0 / 3.0,
        ];
        for (i, s) in exact.iter().enumerate() {
            r.zadd(&z, [(*s, format!("x{i}"))]).unwrap();
            assert_eq!(r.zscore(&z, format!("x{i}")).unwrap(), Some(*s), "RESP{p}");
        }
        r.zadd(&z, [(-INF, "low")]).unwrap();
        assert_eq!(r.zscore(&z, "low").unwrap(), Some(-INF));

        if server_major_minor() >= (6, 2) {
            assert_eq!(
                r.zmscore(&z, ["a", "zz", "other", "low"]).unwrap(),
                [Some(2.0), None, Some(INF), Some(-INF)],
                "RESP{p}"
            );
            assert_eq!(r.zmscore("nothing", "a").unwrap(), [None]);
        }
    }
}

#[test]
fn zsets_count_rank_remove() {
    let server = Server::start();
    if !has_withscore() {
        skip(
            "commands::sorted_sets::zsets_count_rank_remove (WITHSCORE part)",
            "ZRANK/ZREVRANK WITHSCORE need Redis 7.2",
        );
    }
    for (p, r) in clients(&server) {
        let z = format!("cr{p}");
        fill(&r, &z);
        assert_eq!(
            r.zcount(&z, ScoreBound::NegInf, ScoreBound::PosInf)
                .unwrap(),
            4
        );
        assert_eq!(r.zcount(&z, 2.0, 3.0).unwrap(), 2, "RESP{p}");
        assert_eq!(
            r.zcount(&z, ScoreBound::Exclusive(1.0), ScoreBound::Exclusive(3.0))
                .unwrap(),
            1
        );
        assert_eq!(r.zcount(&z, 3.0, INF).unwrap(), 2, "+inf included");
        assert_eq!(r.zcount(&z, ScoreBound::Exclusive(3.0), INF).unwrap(), 1);
        assert_eq!(r.zcount("nothing", 0.0, 1.0).unwrap(), 0);

        assert_eq!(r.zrank(&z, "a").unwrap(), Some(0));
        assert_eq!(r.zrank(&z, "d").unwrap(), Some(3));
        assert_eq!(r.zrank(&z, "zz").unwrap(), None);
        assert_eq!(r.zrevrank(&z, "a").unwrap(), Some(3));
        assert_eq!(r.zrevrank(&z, "d").unwrap(), Some(0));
        assert_eq!(r.zrevrank("nothing", "d").unwrap(), None);
        if has_withscore() {
            let found = r.zrank_withscore(&z, "b").unwrap().expect("b is there");
            assert_eq!((found.rank, found.score), (1, 2.0), "RESP{p}");
            let found = r.zrevrank_withscore(&z, "d").unwrap().expect("d is there");
            assert_eq!((found.rank, found.score), (0, INF));
            assert_eq!(r.zrank_withscore(&z, "zz").unwrap(), None);
            assert_eq!(r.zrevrank_withscore("nothing", "a").unwrap(), None);
        }

        // Same-score members for the lexicographic commands.
        let lex = format!("lex{p}");
        r.zadd(&lex, ["a", "b", "c", "d", "e"].map(|m| (0.0, m)))
            .unwrap();
        assert_eq!(r.zlexcount(&lex, LexBound::Min, LexBound::Max).unwrap(), 5);
        assert_eq!(
            r.zlexcount(&lex, LexBound::inclusive("b"), LexBound::exclusive("d"))
                .unwrap(),
            2
        );
        assert_eq!(
            r.zremrangebylex(&lex, LexBound::exclusive("a"), LexBound::inclusive("c"))
                .unwrap(),
            2
        );
        let left: Vec<String> = r.zrange(&lex, 0, -1).unwrap();
        assert_eq!(left, ["a", "d", "e"]);

        assert_eq!(r.zrem(&z, ["a", "zz"]).unwrap(), 1);
        assert_eq!(r.zrem("nothing", "a").unwrap(), 0);
        assert_eq!(r.zremrangebyrank(&z, 0, 0).unwrap(), 1, "b, the lowest now");
        assert_eq!(
            r.zremrangebyscore(&z, ScoreBound::Exclusive(3.0), ScoreBound::PosInf)
                .unwrap(),
            1,
            "d"
        );
        let left: Vec<String> = r.zrange(&z, 0, -1).unwrap();
        assert_eq!(left, ["c"]);
        assert_eq!(r.zremrangebyscore(&z, ScoreBound::NegInf, 3.0).unwrap(), 1);
        assert_eq!(r.zcard(&z).unwrap(), 0);
    }
}

#[test]
fn zsets_pop_and_sample() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let z = format!("pop{p}");
        fill(&r, &z);
        assert_eq!(
            r.zpopmin::<String>(&z).unwrap(),
            Some(sm("a", 1.0)),
            "RESP{p}"
        );
        assert_eq!(
            r.zpopmax::<String>(&z).unwrap(),
            Some(sm("d", INF)),
            "RESP{p}"
        );
        assert_eq!(r.zpopmin::<String>("nothing").unwrap(), None);
        assert_eq!(r.zpopmax::<String>("nothing").unwrap(), None);
        fill(&r, &z);
        assert_eq!(
            r.zpopmin_count::<String>(&z, 1).unwrap(),
            [sm("a", 1.0)],
            "RESP{p}: a count of 1 is a list of pairs"
        );
        assert_eq!(
            r.zpopmax_count::<String>(&z, 2).unwrap(),
            [sm("d", INF), sm("c", 3.0)]
        );
        assert_eq!(r.zpopmin_count::<String>(&z, 5).unwrap(), [sm("b", 2.0)]);
        assert!(r.zpopmax_count::<String>(&z, 2).unwrap().is_empty());

        if server_major_minor() >= (6, 2) {
            fill(&r, &z);
            let all = ["a", "b", "c", "d"];
            let one: String = r.zrandmember(&z).unwrap();
            assert!(all.contains(&one.as_str()));
            assert_eq!(r.zrandmember::<Option<String>>("nothing").unwrap(), None);
            let some: Vec<String> = r.zrandmember_count(&z, 3).unwrap();
            assert_eq!(some.len(), 3);
            let mut distinct = some.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 3, "a positive count gives distinct members");
            let repeats: Vec<String> = r.zrandmember_count(&z, -9).unwrap();
            assert_eq!(repeats.len(), 9);
            let scored: Vec<ScoredMember<String>> = r.zrandmember_withscores(&z, 1).unwrap();
            assert_eq!(scored.len(), 1, "RESP{p}");
            let scored: Vec<ScoredMember<String>> = r.zrandmember_withscores(&z, -6).unwrap();
            assert_eq!(scored.len(), 6, "RESP{p}");
            for s in &scored {
                let expected = match s.member.as_str() {
                    "a" => 1.0,
                    "b" => 2.0,
                    "c" => 3.0,
                    "d" => INF,
                    other => panic!("not a member: {other}"),
                };
                assert_eq!(s.score, expected, "RESP{p}");
            }
            let none: Vec<ScoredMember<String>> = r.zrandmember_withscores("nothing", 3).unwrap();
            assert!(none.is_empty());
            assert_eq!(r.zcard(&z).unwrap(), 4, "ZRANDMEMBER removes nothing");
        }
    }
}

#[test]
fn zsets_zmpop() {
    let server = Server::start();
    if server_major_minor() < (7, 0) {
        skip(
            "commands::sorted_sets::zsets_zmpop",
            "ZMPOP needs Redis 7.0",
        );
        return;
    }
    for (p, r) in clients(&server) {
        let (a, b) = (format!("{{zm{p}}}a"), format!("{{zm{p}}}b"));
        fill(&r, &b);
        let keys = [a.as_str(), b.as_str()];
        let got = r.zmpop::<String, String>(keys, ScoreEnd::Min).unwrap();
        assert_eq!(got, Some((b.clone(), vec![sm("a", 1.0)])), "RESP{p}");
        let got = r
            .zmpop_with::<String, String>(keys, ScoreEnd::Max, 2)
            .unwrap();
        assert_eq!(got, Some((b.clone(), vec![sm("d", INF), sm("c", 3.0)])));
        let got = r
            .zmpop_with::<String, String>(b.as_str(), ScoreEnd::Min, 10)
            .unwrap();
        assert_eq!(got, Some((b.clone(), vec![sm("b", 2.0)])));
        assert_eq!(
            r.zmpop::<String, String>(keys, ScoreEnd::Min).unwrap(),
            None
        );
        r.set(&a, "text").unwrap();
        assert_wrongtype(r.zmpop::<String, String>(keys, ScoreEnd::Min), "ZMPOP");
    }
}

#[test]
fn zsets_ranges() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let z = format!("range{p}");
        fill(&r, &z);
        let v: Vec<String> = r.zrange(&z, 0, -1).unwrap();
        assert_eq!(v, ["a", "b", "c", "d"], "RESP{p}");
        let v: Vec<String> = r.zrange(&z, 1, 2).unwrap();
        assert_eq!(v, ["b", "c"]);
        let v: Vec<String> = r.zrange("nothing", 0, -1).unwrap();
        assert!(v.is_empty());
        let v: Vec<String> = r.zrevrange(&z, 0, 1).unwrap();
        assert_eq!(v, ["d", "c"]);
        assert_eq!(
            r.zrevrange_withscores::<String>(&z, 0, 1).unwrap(),
            [sm("d", INF), sm("c", 3.0)],
            "RESP{p}"
        );

        let v: Vec<String> = r.zrangebyscore(&z, 2.0, INF).unwrap();
        assert_eq!(v, ["b", "c", "d"]);
        let v: Vec<String> = r
            .zrangebyscore(&z, ScoreBound::Exclusive(1.0), ScoreBound::Exclusive(3.0))
            .unwrap();
        assert_eq!(v, ["b"]);
        let v: Vec<String> = r
            .zrangebyscore_with(
                &z,
                ScoreBound::NegInf,
                ScoreBound::PosInf,
                RangeLimit::new(1, 2),
            )
            .unwrap();
        assert_eq!(v, ["b", "c"]);
        assert_eq!(
            r.zrangebyscore_withscores::<String>(&z, 3.0, INF, None)
                .unwrap(),
            [sm("c", 3.0), sm("d", INF)],
            "RESP{p}"
        );
        assert_eq!(
            r.zrangebyscore_withscores::<String>(
                &z,
                ScoreBound::NegInf,
                INF,
                Some(RangeLimit::new(0, 1))
            )
            .unwrap(),
            [sm("a", 1.0)]
        );
        let v: Vec<String> = r.zrevrangebyscore(&z, 3.0, ScoreBound::NegInf).unwrap();
        assert_eq!(v, ["c", "b", "a"]);
        let v: Vec<String> = r
            .zrevrangebyscore_with(
                &z,
                ScoreBound::PosInf,
                ScoreBound::NegInf,
                RangeLimit::new(1, -1),
            )
            .unwrap();
        assert_eq!(v, ["c", "b", "a"], "a negative count: all the rest");
        assert_eq!(
            r.zrevrangebyscore_withscores::<String>(&z, INF, ScoreBound::Exclusive(2.0), None)
                .unwrap(),
            [sm("d", INF), sm("c", 3.0)],
            "RESP{p}"
        );
        assert_eq!(
            r.zrevrangebyscore_withscores::<String>(
                &z,
                INF,
                ScoreBound::NegInf,
                Some(RangeLimit::new(3, 5))
            )
            .unwrap(),
            [sm("a", 1.0)]
        );

        let lex = format!("lexr{p}");
        r.zadd(&lex, ["a", "b", "c", "d"].map(|m| (0.0, m)))
            .unwrap();
        let v: Vec<String> = r.zrangebylex(&lex, LexBound::Min, LexBound::Max).unwrap();
        assert_eq!(v, ["a", "b", "c", "d"]);
        let v: Vec<String> = r
            .zrangebylex(&lex, LexBound::exclusive("a"), LexBound::inclusive("c"))
            .unwrap();
        assert_eq!(v, ["b", "c"]);
        let v: Vec<String> = r
            .zrangebylex_with(&lex, LexBound::Min, LexBound::Max, RangeLimit::new(2, 5))
            .unwrap();
        assert_eq!(v, ["c", "d"]);
        let v: Vec<String> = r
            .zrevrangebylex(&lex, LexBound::inclusive("c"), LexBound::Min)
            .unwrap();
        assert_eq!(v, ["c", "b", "a"]);
        let v: Vec<String> = r
            .zrevrangebylex_with(&lex, LexBound::Max, LexBound::Min, RangeLimit::new(0, 1))
            .unwrap();
        assert_eq!(v, ["d"]);
    }
}

#[test]
fn zsets_unified_zrange() {
    let server = Server::start();
    if server_major_minor() < (6, 2) {
        skip(
            "commands::sorted_sets::zsets_unified_zrange",
            "BYSCORE, BYLEX, REV, LIMIT and ZRANGESTORE need Redis 6.2",
        );
        return;
    }
    for (p, r) in clients(&server) {
        let z = format!("{{u{p}}}z");
        let d = format!("{{u{p}}}d");
        fill(&r, &z);
        let get = |range: ZRange| -> Vec<String> { r.zrange_with(&z, range).unwrap() };
        assert_eq!(get(ZRange::rank(0, -1)), ["a", "b", "c", "d"], "RESP{p}");
        assert_eq!(get(ZRange::rank(0, 1).rev()), ["d", "c"]);
        assert_eq!(get(ZRange::score(2.0, INF)), ["b", "c", "d"]);
        assert_eq!(
            get(ZRange::score(ScoreBound::Exclusive(1.0), ScoreBound::PosInf).limit(1, 1)),
            ["c"]
        );
        assert_eq!(
            get(ZRange::score(2.0, 3.0).rev()),
            ["c", "b"],
            "bounds low first, sent high first for REV"
        );
        assert_eq!(
            get(ZRange::score(ScoreBound::NegInf, INF).rev().limit(0, 2)),
            ["d", "c"]
        );
        assert_eq!(
            r.zrange_withscores::<String>(&z, ZRange::rank(-2, -1))
                .unwrap(),
            [sm("c", 3.0), sm("d", INF)],
            "RESP{p}"
        );
        assert_eq!(
            r.zrange_withscores::<String>(&z, ZRange::score(ScoreBound::Exclusive(2.0), INF).rev())
                .unwrap(),
            [sm("d", INF), sm("c", 3.0)]
        );
        let e = r
            .zrange_withscores::<String>(&z, ZRange::lex(LexBound::Min, LexBound::Max))
            .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Server,
            "BYLEX WITHSCORES is refused: {e}"
        );
        let e = r
            .zrange_with::<String>(&z, ZRange::rank(0, -1).limit(0, 1))
            .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Server,
            "LIMIT on ranks is refused: {e}"
        );

        let lex = format!("{{u{p}}}lex");
        r.zadd(&lex, ["a", "b", "c", "d"].map(|m| (0.0, m)))
            .unwrap();
        let get = |range: ZRange| -> Vec<String> { r.zrange_with(&lex, range).unwrap() };
        assert_eq!(
            get(ZRange::lex(LexBound::inclusive("b"), LexBound::Max)),
            ["b", "c", "d"]
        );
        assert_eq!(
            get(ZRange::lex(LexBound::Min, LexBound::exclusive("c")).rev()),
            ["b", "a"]
        );
        assert_eq!(
            get(ZRange::lex(LexBound::Min, LexBound::Max).rev().limit(1, 2)),
            ["c", "b"]
        );

        assert_eq!(r.zrangestore(&d, &z, ZRange::rank(0, 1)).unwrap(), 2);
        assert_eq!(
            r.zrange_withscores::<String>(&d, ZRange::rank(0, -1))
                .unwrap(),
            [sm("a", 1.0), sm("b", 2.0)],
            "scores are stored too"
        );
        assert_eq!(
            r.zrangestore(
                &d,
                &z,
                ZRange::score(ScoreBound::Exclusive(1.0), INF)
                    .rev()
                    .limit(0, 2)
            )
            .unwrap(),
            2
        );
        let v: Vec<String> = r.zrange(&d, 0, -1).unwrap();
        assert_eq!(v, ["c", "d"]);
        assert_eq!(
            r.zrangestore(
                &d,
                &lex,
                ZRange::lex(LexBound::exclusive("a"), LexBound::inclusive("b"))
            )
            .unwrap(),
            1
        );
        assert_eq!(r.zrangestore(&d, &z, ZRange::score(10.0, 20.0)).unwrap(), 0);
        assert_eq!(r.zcard(&d).unwrap(), 0, "an empty result deletes the key");
    }
}

#[test]
fn zsets_combine() {
    let server = Server::start();
    if server_major_minor() < (6, 2) {
        skip(
            "commands::sorted_sets::zsets_combine",
            "ZDIFF, ZINTER and ZUNION need Redis 6.2",
        );
        return;
    }
    let has_zintercard = server_major_minor() >= (7, 0);
    if !has_zintercard {
        skip(
            "commands::sorted_sets::zsets_combine (ZINTERCARD part)",
            "ZINTERCARD needs Redis 7.0",
        );
    }
    for (p, r) in clients(&server) {
        let k = |n: &str| format!("{{c{p}}}{n}");
        let (a, b, d) = (k("a"), k("b"), k("d"));
        r.zadd(&a, [(1.0, "x"), (2.0, "y"), (3.0, "z")]).unwrap();
        r.zadd(&b, [(10.0, "y"), (20.0, "z"), (30.0, "w")]).unwrap();
        let ab = [a.as_str(), b.as_str()];

        let v: Vec<String> = r.zdiff(ab).unwrap();
        assert_eq!(v, ["x"], "RESP{p}");
        assert_eq!(r.zdiff_withscores::<String>(ab).unwrap(), [sm("x", 1.0)]);
        assert_eq!(
            r.zdiff_withscores::<String>(&a).unwrap().len(),
            3,
            "one key"
        );
        assert_eq!(r.zdiffstore(&d, [b.as_str(), a.as_str()]).unwrap(), 1);
        assert_eq!(r.zscore(&d, "w").unwrap(), Some(30.0));

        let v: Vec<String> = r.zinter(ab).unwrap();
        assert_eq!(v, ["y", "z"]);
        assert_eq!(
            r.zinter_withscores::<String>(ab, ZCombineOptions::new())
                .unwrap(),
            [sm("y", 12.0), sm("z", 23.0)],
            "RESP{p}: summed"
        );
        let max = ZCombineOptions::new().aggregate(Aggregate::Max);
        let v: Vec<String> = r.zinter_with(ab, max.clone()).unwrap();
        assert_eq!(v, ["y", "z"]);
        let weighted = ZCombineOptions::new()
            .weights([100.0, 1.0])
            .aggregate(Aggregate::Min);
        assert_eq!(
            r.zinter_withscores::<String>(ab, weighted.clone()).unwrap(),
            [sm("y", 10.0), sm("z", 20.0)]
        );
        let v: Vec<String> = r.zinter_with(ab, weighted.clone()).unwrap();
        assert_eq!(v, ["y", "z"]);
        assert_eq!(r.zinterstore(&d, ab).unwrap(), 2);
        assert_eq!(r.zscore(&d, "z").unwrap(), Some(23.0));
        assert_eq!(r.zinterstore_with(&d, ab, max.clone()).unwrap(), 2);
        assert_eq!(r.zscore(&d, "z").unwrap(), Some(20.0));

        let v: Vec<String> = r.zunion(ab).unwrap();
        assert_eq!(v, ["x", "y", "z", "w"]);
        assert_eq!(
            r.zunion_withscores::<String>(ab, ZCombineOptions::new().aggregate(Aggregate::Sum))
                .unwrap(),
            [sm("x", 1.0), sm("y", 12.0), sm("z", 23.0), sm("w", 30.0)],
            "RESP{p}"
        );
        let half = ZCombineOptions::new()
            .weights([1.0, 0.5])
            .aggregate(Aggregate::Max);
        assert_eq!(
            r.zunion_withscores::<String>(ab, half.clone()).unwrap(),
            [sm("x", 1.0), sm("y", 5.0), sm("z", 10.0), sm("w", 15.0)]
        );
        let v: Vec<String> = r
            .zunion_with(ab, ZCombineOptions::new().weights([-1.0, 1.0]))
            .unwrap();
        assert_eq!(v, ["x", "y", "z", "w"]);
        assert_eq!(r.zunionstore(&d, ab).unwrap(), 4);
        assert_eq!(r.zscore(&d, "y").unwrap(), Some(12.0));
        assert_eq!(r.zunionstore_with(&d, ab, half).unwrap(), 4);
        assert_eq!(r.zscore(&d, "w").unwrap(), Some(15.0));
        let e = r
            .zunion_with::<String>(ab, ZCombineOptions::new().weights([1.0]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "one weight per key: {e}");

        if has_zintercard {
            assert_eq!(r.zintercard(ab).unwrap(), 2);
            assert_eq!(r.zintercard(&a).unwrap(), 3);
            assert_eq!(r.zintercard_with(ab, 1).unwrap(), 1);
            assert_eq!(r.zintercard_with([a.as_str(), &k("none")], 0).unwrap(), 0);
        }
    }
}

#[test]
fn zsets_bad_input() {
    let server = Server::start();
    let v62 = server_major_minor() >= (6, 2);
    for (p, r) in clients(&server) {
        let k = |n: &str| format!("{{bad{p}}}{n}");
        let (s, z) = (k("str"), k("z"));
        r.set(&s, "text").unwrap();
        fill(&r, &z);
        let sz = [s.as_str(), z.as_str()];
        let o = ZaddOptions::new();
        assert_wrongtype(r.zadd(&s, [(1.0, "a")]), "ZADD");
        assert_wrongtype(r.zadd_with(&s, [(1.0, "a")], o.ch()), "ZADD CH");
        assert_wrongtype(r.zadd_incr(&s, 1.0, "a", o), "ZADD INCR");
        assert_wrongtype(r.zcard(&s), "ZCARD");
        assert_wrongtype(r.zcount(&s, 0.0, 1.0), "ZCOUNT");
        assert_wrongtype(r.zincrby(&s, 1.0, "a"), "ZINCRBY");
        assert_wrongtype(r.zlexcount(&s, LexBound::Min, LexBound::Max), "ZLEXCOUNT");
        assert_wrongtype(r.zpopmin::<String>(&s), "ZPOPMIN");
        assert_wrongtype(r.zpopmax_count::<String>(&s, 2), "ZPOPMAX count");
        assert_wrongtype(r.zpopmax::<String>(&s), "ZPOPMAX");
        assert_wrongtype(r.zpopmin_count::<String>(&s, 2), "ZPOPMIN count");
        assert_wrongtype(r.zrank(&s, "a"), "ZRANK");
        assert_wrongtype(r.zrevrank(&s, "a"), "ZREVRANK");
        assert_wrongtype(r.zrem(&s, "a"), "ZREM");
        assert_wrongtype(
            r.zremrangebylex(&s, LexBound::Min, LexBound::Max),
            "ZREMRANGEBYLEX",
        );
        assert_wrongtype(r.zremrangebyrank(&s, 0, 1), "ZREMRANGEBYRANK");
        assert_wrongtype(r.zremrangebyscore(&s, 0.0, 1.0), "ZREMRANGEBYSCORE");
        assert_wrongtype(r.zscore(&s, "a"), "ZSCORE");
        assert_wrongtype(r.zrange::<String>(&s, 0, -1), "ZRANGE");
        assert_wrongtype(
            r.zrangebylex::<String>(&s, LexBound::Min, LexBound::Max),
            "ZRANGEBYLEX",
        );
        assert_wrongtype(r.zrangebyscore::<String>(&s, 0.0, 1.0), "ZRANGEBYSCORE");
        assert_wrongtype(r.zrevrange::<String>(&s, 0, -1), "ZREVRANGE");
        assert_wrongtype(
            r.zrevrangebylex::<String>(&s, LexBound::Max, LexBound::Min),
            "ZREVRANGEBYLEX",
        );
        assert_wrongtype(
            r.zrevrangebyscore::<String>(&s, 1.0, 0.0),
            "ZREVRANGEBYSCORE",
        );
        assert_wrongtype(r.zinterstore(k("d"), sz), "ZINTERSTORE");
        assert_wrongtype(r.zunionstore(k("d"), sz), "ZUNIONSTORE");
        if v62 {
            assert_wrongtype(r.zmscore(&s, "a"), "ZMSCORE");
            assert_wrongtype(r.zrandmember::<Option<String>>(&s), "ZRANDMEMBER");
            assert_wrongtype(
                r.zrange_with::<String>(&s, ZRange::score(0.0, 1.0)),
                "ZRANGE BYSCORE",
            );
            assert_wrongtype(
                r.zrangestore(k("d"), &s, ZRange::rank(0, -1)),
                "ZRANGESTORE",
            );
            assert_wrongtype(r.zdiff::<String>(sz), "ZDIFF");
            assert_wrongtype(r.zdiffstore(k("d"), sz), "ZDIFFSTORE");
            assert_wrongtype(r.zinter::<String>(sz), "ZINTER");
            assert_wrongtype(r.zunion::<String>(sz), "ZUNION");
        }

        // Bounds that are not numbers are server errors, never panics.
        let e = r
            .zcount(&z, ScoreBound::Inclusive(f64::NAN), 1.0)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        let e = r.zadd(&z, [(f64::NAN, "a")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");

        let none: [&str; 0] = [];
        let no_pairs: [(f64, &str); 0] = [];
        let refused = [
            r.zadd(&z, no_pairs).unwrap_err(),
            r.zadd_with(&z, no_pairs, o.nx()).unwrap_err(),
            r.zrem(&z, none).unwrap_err(),
            r.zmscore(&z, none).unwrap_err(),
            r.zmpop::<String, String>(none, ScoreEnd::Min).unwrap_err(),
            r.zmpop_with::<String, String>(none, ScoreEnd::Min, 1)
                .unwrap_err(),
            r.zdiff::<String>(none).unwrap_err(),
            r.zdiff_withscores::<String>(none).unwrap_err(),
            r.zdiffstore(k("d"), none).unwrap_err(),
            r.zinter::<String>(none).unwrap_err(),
            r.zinter_with::<String>(none, ZCombineOptions::new())
                .unwrap_err(),
            r.zinter_withscores::<String>(none, ZCombineOptions::new())
                .unwrap_err(),
            r.zintercard(none).unwrap_err(),
            r.zintercard_with(none, 1).unwrap_err(),
            r.zinterstore(k("d"), none).unwrap_err(),
            r.zinterstore_with(k("d"), none, ZCombineOptions::new())
                .unwrap_err(),
            r.zunion::<String>(none).unwrap_err(),
            r.zunion_with::<String>(none, ZCombineOptions::new())
                .unwrap_err(),
            r.zunion_withscores::<String>(none, ZCombineOptions::new())
                .unwrap_err(),
            r.zunionstore(k("d"), none).unwrap_err(),
            r.zunionstore_with(k("d"), none, ZCombineOptions::new())
                .unwrap_err(),
        ];
        for e in refused {
            assert_eq!(e.kind(), ErrorKind::Usage, "RESP{p}: {e}");
        }
        // Members that are not numbers, asked for as numbers: a type error, not a panic.
        let e = r.zrange::<f64>(&z, 0, -1).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type, "{e}");
        assert_eq!(
            r.zcard(&z).unwrap(),
            4,
            "nothing was sent by the refused calls"
        );
    }
}
