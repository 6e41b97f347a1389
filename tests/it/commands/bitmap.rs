//! The bitmap commands against live servers, over RESP3 and RESP2.

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    BitEncoding, BitFieldGet, BitFieldOp, BitFieldOverflow, BitOffset, BitOp, BitRange, BitUnit,
};
use coredis::{cmd, ErrorKind, ServerCode};
use coredis_test_support::{server_bin, server_major_minor, skip, Server};

const T: &str = "commands::bitmap::";

#[test]
fn bitmap_bits_counts_positions() {
    let server = Server::start();
    let units = server_major_minor() >= (7, 0);
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        assert!(!r.getbit("b", 100).unwrap(), "RESP{p}");
        assert!(!r.setbit("b", 7, true).unwrap());
        assert!(r.setbit("b", 7, true).unwrap(), "the old bit");
        assert!(r.getbit("b", 7).unwrap());
        assert!(!r.getbit("b", 6).unwrap());
        assert!(r.setbit("b", 7, false).unwrap());
        // "\xff\xf0\x00\x0f": 8 + 4 + 0 + 4 bits set.
        r.set("s", &b"\xff\xf0\x00\x0f"[..]).unwrap();
        assert_eq!(r.bitcount("s").unwrap(), 16);
        assert_eq!(r.bitcount("missing").unwrap(), 0);
        assert_eq!(r.bitcount_with("s", BitRange::new(1, 2)).unwrap(), 4);
        assert_eq!(r.bitcount_with("s", BitRange::new(-1, -1)).unwrap(), 4);
        assert_eq!(r.bitpos("s", false).unwrap(), 12);
        assert_eq!(r.bitpos("s", true).unwrap(), 0);
        assert_eq!(r.bitpos("missing", true).unwrap(), -1);
        assert_eq!(r.bitpos("missing", false).unwrap(), 0);
        assert_eq!(
            r.bitpos_with("s", true, BitRange::from_start(2)).unwrap(),
            28
        );
        assert_eq!(r.bitpos_with("s", true, BitRange::new(2, 2)).unwrap(), -1);
        if units {
            let bits = |a, b| BitRange::new(a, b).unit(BitUnit::Bit);
            assert_eq!(r.bitcount_with("s", bits(4, 11)).unwrap(), 8);
            assert_eq!(
                r.bitcount_with("s", BitRange::new(0, 0).unit(BitUnit::Byte))
                    .unwrap(),
                8
            );
            assert_eq!(r.bitpos_with("s", false, bits(0, 11)).unwrap(), -1);
            assert_eq!(r.bitpos_with("s", true, bits(13, 31)).unwrap(), 28);
        }

        // BITOP: every operation.
        r.set("x", &b"\x0f\xf0"[..]).unwrap();
        r.set("y", &b"\xff"[..]).unwrap();
        assert_eq!(r.bitop(BitOp::And, "d", ["x", "y"]).unwrap(), 2);
        assert_eq!(r.get::<Vec<u8>>("d").unwrap(), b"\x0f\x00");
        assert_eq!(r.bitop(BitOp::Or, "d", ["x", "y"]).unwrap(), 2);
        assert_eq!(r.get::<Vec<u8>>("d").unwrap(), b"\xff\xf0");
        assert_eq!(r.bitop(BitOp::Xor, "d", ["x", "y"]).unwrap(), 2);
        assert_eq!(r.get::<Vec<u8>>("d").unwrap(), b"\xf0\xf0");
        assert_eq!(r.bitop(BitOp::Not, "d", "x").unwrap(), 2);
        assert_eq!(r.get::<Vec<u8>>("d").unwrap(), b"\xf0\x0f");
        let e = r.bitop(BitOp::Not, "d", ["x", "y"]).unwrap_err();
        assert_eq!(
            e.server_code(),
            Some(ServerCode::Err),
            "NOT takes one key: {e}"
        );
        let none: [&str; 0] = [];
        assert_eq!(
            r.bitop(BitOp::And, "d", none).unwrap_err().kind(),
            ErrorKind::Usage
        );

        r.execute(cmd("RPUSH").key("list").arg("x")).unwrap();
        for e in [
            r.setbit("list", 1, true).unwrap_err(),
            r.getbit("list", 1).unwrap_err(),
            r.bitcount("list").unwrap_err(),
            r.bitpos("list", true).unwrap_err(),
            r.bitop(BitOp::Or, "d", "list").unwrap_err(),
            r.bitfield("list", [BitFieldOp::get(BitEncoding::U8, 0)])
                .unwrap_err(),
        ] {
            assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
        }
    }
}

#[test]
fn bitmap_bitfield() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        use BitEncoding as E;
        assert!(r.bitfield("f", []).unwrap().is_empty(), "RESP{p}");
        let got = r
            .bitfield(
                "f",
                [
                    BitFieldOp::set(E::U8, 0, 200),
                    BitFieldOp::get(E::U8, 0),
                    BitFieldOp::incrby(E::U8, 0, 100), // wraps: 300 - 256
                    BitFieldOp::overflow(BitFieldOverflow::Sat),
                    BitFieldOp::incrby(E::U8, 0, 1000),
                    BitFieldOp::overflow(BitFieldOverflow::Fail),
                    BitFieldOp::incrby(E::U8, 0, 1),
                    BitFieldOp::overflow(BitFieldOverflow::Wrap),
                    BitFieldOp::incrby(E::U8, 0, 1),
                ],
            )
            .unwrap();
        assert_eq!(
            got,
            [Some(0), Some(200), Some(44), Some(255), None, Some(0)]
        );
        // #index offsets count in units of the type; signed and wide types.
        let got = r
            .bitfield(
                "g",
                [
                    BitFieldOp::set(E::I8, BitOffset::Index(1), -5),
                    BitFieldOp::get(E::I8, 8),
                    BitFieldOp::get(E::U8, 8),
                    BitFieldOp::set(E::I64, BitOffset::Index(1), i64::MIN),
                    BitFieldOp::get(E::I64, 64),
                    BitFieldOp::set(E::U63, 128, (1 << 62) + 1),
                    BitFieldOp::get(E::U63, 128),
                    BitFieldOp::get(E::signed(4), 8),
                    BitFieldOp::get(E::U1, 8),
                ],
            )
            .unwrap();
        assert_eq!(
            got,
            [
                Some(0),
                Some(-5),
                Some(251),
                Some(0),
                Some(i64::MIN),
                Some(0),
                Some((1 << 62) + 1),
                Some(-1),
                Some(1),
            ]
        );
        let e = r
            .bitfield("g", [BitFieldOp::get(E::unsigned(64), 0)])
            .unwrap_err();
        assert_eq!(
            e.server_code(),
            Some(ServerCode::Err),
            "u64 is refused: {e}"
        );

        let got = r
            .bitfield_ro(
                "g",
                [
                    BitFieldGet::new(E::I8, BitOffset::Index(1)),
                    BitFieldGet::new(E::U16, 0),
                ],
            )
            .unwrap();
        assert_eq!(got, [-5, 251]);
        assert!(r.bitfield_ro("g", []).unwrap().is_empty());
        assert_eq!(
            r.bitfield_ro("missing", [BitFieldGet::new(E::U8, 0)])
                .unwrap(),
            [0]
        );
    }
}

#[test]
fn bitmap_bitcount_from_start() {
    let valkey8 =
        server_bin().to_string_lossy().contains("valkey") && server_major_minor() >= (8, 0);
    if !valkey8 {
        skip(
            &format!("{T}bitmap_bitcount_from_start"),
            "BITCOUNT with a start only needs Valkey 8.0",
        );
        return;
    }
    let server = Server::start();
    for (p, r) in clients(&server) {
        r.set("s", &b"\xff\xf0\x0f"[..]).unwrap();
        assert_eq!(
            r.bitcount_with("s", BitRange::from_start(1)).unwrap(),
            8,
            "RESP{p}"
        );
    }
}

/// Every method of the group, built.
pub fn built() -> Vec<coredis::Request> {
    let range = BitRange::new(0, 10).unit(BitUnit::Bit);
    vec![
        Build.bitcount("k").request().clone(),
        Build.bitcount_with("k", range).request().clone(),
        Build
            .bitfield(
                "k",
                [
                    BitFieldOp::get(BitEncoding::U8, 0),
                    BitFieldOp::overflow(BitFieldOverflow::Sat),
                    BitFieldOp::set(BitEncoding::I16, BitOffset::Index(2), -1),
                    BitFieldOp::incrby(BitEncoding::U63, 64, 5),
                ],
            )
            .request()
            .clone(),
        Build
            .bitfield_ro("k", [BitFieldGet::new(BitEncoding::I8, 0)])
            .request()
            .clone(),
        Build.bitop(BitOp::Xor, "d", ["a", "b"]).request().clone(),
        Build.bitpos("k", true).request().clone(),
        Build.bitpos_with("k", false, range).request().clone(),
        Build.getbit("k", 7).request().clone(),
        Build.setbit("k", 7, true).request().clone(),
    ]
}

#[test]
fn bitmap_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        &format!("{T}bitmap_routing_facts_match_the_server"),
        &built(),
    );
}
