//! The connection group (`CLIENT *`) against real servers, over RESP3 and RESP2 (both in every
//! run): `CLIENT INFO`/`LIST` are a verbatim string in RESP3 and a bulk string in RESP2,
//! `CLIENT TRACKINGINFO` a map with a set or a flat array; each becomes the same value. The
//! commands that change their connection's state run on dedicated connections.

use super::strings::valkey_at_least;
use crate::util::{clients, connect, connect_with};
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    ClientFilter, ClientInfo, ClientSetInfo, ClientType, PauseMode, TrackingFlag, TrackingOptions,
    TrackingRedirect, UnblockType,
};
use coredis::{cmd, ErrorKind, Request, ServerCode};
use coredis_test_support::raw::Conn;
use coredis_test_support::{server_major_minor, skip, Server};
use std::time::{Duration, Instant};

const T: &str = "commands::connection::";

/// Every method of the group, built (those the server does not know left out).
pub fn built() -> Vec<Request> {
    let b = Build;
    let filter = ClientFilter::new()
        .id(1)
        .client_type(ClientType::Normal)
        .user("default")
        .addr("127.0.0.1:1")
        .laddr("127.0.0.1:2")
        .skipme(true);
    let mut all = vec![
        b.ping_with::<String>("hi").request().clone(),
        b.client_id().request().clone(),
        b.client_info().request().clone(),
        b.client_list().request().clone(),
        b.client_list_with(ClientFilter::new().client_type(ClientType::PubSub))
            .request()
            .clone(),
        b.client_list_with(ClientFilter::new().ids([1, 2]))
            .request()
            .clone(),
        b.client_kill(filter).request().clone(),
        b.client_kill_addr("127.0.0.1:1").request().clone(),
        b.client_getname().request().clone(),
        b.client_getredir().request().clone(),
        b.client_pause(Duration::from_millis(10)).request().clone(),
        b.client_pause_with(Duration::from_millis(10), PauseMode::Write)
            .request()
            .clone(),
        b.client_unpause().request().clone(),
        b.client_unblock(1).request().clone(),
        b.client_unblock_with(1, UnblockType::Error)
            .request()
            .clone(),
        b.client_trackinginfo().request().clone(),
        b.client_setname("n").request().clone(),
        b.client_tracking(false).request().clone(),
        b.client_tracking_with(
            true,
            TrackingOptions::new()
                .redirect(1)
                .prefix("a")
                .bcast()
                .optin()
                .optout()
                .noloop(),
        )
        .request()
        .clone(),
        b.client_caching(true).request().clone(),
        b.client_no_evict(true).request().clone(),
    ];
    if server_major_minor() >= (7, 2) {
        all.push(b.client_no_touch(true).request().clone());
        let lib = ClientSetInfo::LibName("x".into());
        all.push(b.client_setinfo(lib).request().clone());
    }
    if valkey_at_least(8, 0) {
        all.push(b.client_capa("redirect").request().clone());
        all.push(
            b.client_kill(ClientFilter::new().maxage(Duration::from_secs(5)))
                .request()
                .clone(),
        );
    }
    if valkey_at_least(8, 1) {
        all.push(b.client_import_source(false).request().clone());
    }
    all
}

#[test]
fn connection_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::connection::connection_routing_facts_match_the_server",
        &built(),
    );
}

/// A raw connection to the test server (no coredis involved).
fn raw_conn(server: &Server) -> Conn {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    Conn::connect(addr, Duration::from_secs(10)).expect("connect")
}

/// The `CLIENT INFO` of a raw connection, parsed by the text of its fields.
fn raw_field(conn: &mut Conn, field: &str) -> String {
    let info = conn
        .call(&["CLIENT", "INFO"])
        .expect("CLIENT INFO")
        .render();
    info.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{field}=")[..]))
        .unwrap_or_else(|| panic!("no {field} in {info}"))
        .to_string()
}

fn ids(list: &[ClientInfo]) -> Vec<u64> {
    list.iter().map(|c| c.id).collect()
}

#[test]
fn connection_ping_id_info_list() {
    let server = Server::start();
    let (major, minor) = server_major_minor();
    for (p, r) in clients(&server) {
        assert_eq!(r.ping_with::<String>("héllo").unwrap(), "héllo", "RESP{p}");
        let id = r.client_id().unwrap();
        if (major, minor) < (6, 2) {
            continue;
        }
        let me = r.client_info().unwrap();
        assert_eq!(me.id, id, "RESP{p}: the shared connection");
        assert!(me.addr.starts_with("127.0.0.1:"), "{me:?}");
        assert_eq!(
            me.laddr.as_deref(),
            Some(&format!("127.0.0.1:{}", server.port())[..])
        );
        assert_eq!(me.db, 0);
        assert_eq!(me.name, None);
        assert_eq!(me.multi, None);
        assert_eq!(me.user.as_deref(), Some("default"));
        assert_eq!(me.redir, Some(TrackingRedirect::NotTracking));
        assert!(me.fd > 0 && me.flags.contains('N'), "{me:?}");
        if major >= 7 {
            assert_eq!(me.resp, Some(p), "{me:?}");
            assert_eq!(me.cmd, "client|info");
        } else {
            assert_eq!(me.resp, None);
            assert_eq!(me.cmd, "client");
        }

        let all = r.client_list().unwrap();
        assert!(ids(&all).contains(&id), "RESP{p}: {all:?}");
        let only = r.client_list_with(ClientFilter::new().id(id)).unwrap();
        assert_eq!(ids(&only), [id]);
        assert_eq!(only[0].addr, me.addr);
        let two = r
            .client_list_with(ClientFilter::new().ids([id, 999_999]))
            .unwrap();
        assert_eq!(ids(&two), [id]);
        let normal = r
            .client_list_with(ClientFilter::new().client_type(ClientType::Normal))
            .unwrap();
        assert!(ids(&normal).contains(&id));
        let pubsub = r
            .client_list_with(ClientFilter::new().client_type(ClientType::PubSub))
            .unwrap();
        assert!(pubsub.is_empty(), "{pubsub:?}");

        assert_eq!(r.client_getname().unwrap(), None);
        assert_eq!(r.client_getredir().unwrap(), TrackingRedirect::NotTracking);
        let tracking = r.client_trackinginfo().unwrap();
        assert_eq!(tracking.flags, [TrackingFlag::Off], "RESP{p}");
        assert_eq!(tracking.redirect, TrackingRedirect::NotTracking);
        assert!(tracking.prefixes.is_empty() && !tracking.is_on());
    }
    let named = connect_with(&server, "client_name=conn-test");
    assert_eq!(
        named.client_getname().unwrap().as_deref(),
        Some("conn-test")
    );
}

#[test]
fn connection_list_filters_of_valkey() {
    if !valkey_at_least(9, 0) {
        skip(
            &format!("{T}connection_list_filters_of_valkey"),
            "CLIENT LIST filters beyond TYPE and ID need Valkey 8.1 and 9.0",
        );
        return;
    }
    let server = Server::start();
    let r = connect(&server);
    let me = r.client_id().unwrap();
    let mut v = raw_conn(&server);
    for words in [
        &["CLIENT", "SETNAME", "victim-1"][..],
        &["CLIENT", "SETINFO", "LIB-NAME", "vlib"],
        &["CLIENT", "SETINFO", "LIB-VER", "9.9"],
        &["CLIENT", "CAPA", "redirect"],
        &["SELECT", "3"],
    ] {
        assert_eq!(v.call(words).unwrap().render(), "OK", "{words:?}");
    }
    let vid: u64 = raw_field(&mut v, "id").parse().unwrap();
    let vaddr = raw_field(&mut v, "addr");
    let laddr = format!("127.0.0.1:{}", server.port());
    let list = |f: ClientFilter| {
        let mut got = ids(&r.client_list_with(f).unwrap());
        got.sort_unstable();
        got
    };
    let (victim, both, nobody) = (vec![vid], vec![me.min(vid), me.max(vid)], Vec::new());
    for (f, want) in [
        (ClientFilter::new().name("victim-1"), &victim),
        (ClientFilter::new().lib_name("vlib").lib_ver("9.9"), &victim),
        (ClientFilter::new().capa("r"), &victim),
        (ClientFilter::new().not_capa("r"), &vec![me]),
        (ClientFilter::new().db(3), &victim),
        (ClientFilter::new().addr(vaddr.clone()), &victim),
        (
            ClientFilter::new()
                .not_ids([me])
                .ip("127.0.0.1")
                .laddr(laddr),
            &victim,
        ),
        (ClientFilter::new().user("default").not_db(0), &victim),
        (ClientFilter::new().skipme(true), &victim),
        (ClientFilter::new().skipme(false), &both),
        (
            ClientFilter::new().not_client_type(ClientType::PubSub),
            &both,
        ),
        (
            ClientFilter::new()
                .not_addr("10.0.0.1:1")
                .not_laddr("10.0.0.1:2"),
            &both,
        ),
        (
            ClientFilter::new()
                .not_lib_name("zz")
                .not_lib_ver("0")
                .not_ip("10.0.0.1"),
            &both,
        ),
        (ClientFilter::new().flags("N").not_flags("P"), &both),
        (
            ClientFilter::new().name("victim-1").not_name("victim-1"),
            &nobody,
        ),
        (ClientFilter::new().not_user("default"), &nobody),
        (
            ClientFilter::new().maxage(Duration::from_secs(100_000)),
            &nobody,
        ),
        (
            ClientFilter::new().idle(Duration::from_secs(1_000_000)),
            &nobody,
        ),
    ] {
        assert_eq!(&list(f.clone()), want, "{f:?}");
    }
    let e = r
        .client_list_with(ClientFilter::new().user("nobody"))
        .unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    // The same filters close connections.
    let f = ClientFilter::new()
        .name("victim-1")
        .not_ids([me])
        .lib_name("vlib");
    assert_eq!(r.client_kill(f).unwrap(), 1);
    assert!(v.call(&["PING"]).is_err(), "the victim is closed");
    assert!(!ids(&r.client_list().unwrap()).contains(&vid));
}

#[test]
fn connection_client_kill() {
    let server = Server::start();
    let r = connect(&server);
    let me = r.client_id().unwrap();

    // By id: a client of its own, which reconnects afterwards.
    let victim = connect(&server);
    let vid = victim.client_id().unwrap();
    assert_eq!(r.client_kill(ClientFilter::new().id(vid)).unwrap(), 1);
    assert_eq!(r.client_kill(ClientFilter::new().id(vid)).unwrap(), 0);
    let until = Instant::now() + Duration::from_secs(10);
    let new_id = loop {
        match victim.client_id() {
            Ok(id) => break id,
            Err(e) if Instant::now() < until => {
                assert!(e.is_connection_error(), "{e}");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("the victim did not reconnect: {e}"),
        }
    };
    assert_ne!(new_id, vid, "reconnected");

    // By address, in both forms, and by type (and skipme).
    let mut raw = raw_conn(&server);
    let addr = raw_field(&mut raw, "addr");
    r.client_kill_addr(&addr).unwrap();
    assert!(raw.call(&["PING"]).is_err(), "closed by the old form");
    let e = r.client_kill_addr(&addr).unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    let mut raw = raw_conn(&server);
    let addr = raw_field(&mut raw, "addr");
    let f = ClientFilter::new()
        .addr(addr)
        .client_type(ClientType::Normal)
        .user("default")
        .skipme(true);
    assert_eq!(r.client_kill(f).unwrap(), 1);
    assert!(raw.call(&["PING"]).is_err());
    let none = ClientFilter::new().client_type(ClientType::PubSub);
    assert_eq!(r.client_kill(none).unwrap(), 0);
    if server_major_minor() >= (6, 2) {
        let mut raw = raw_conn(&server);
        let raw_id = raw_field(&mut raw, "id").parse::<u64>().unwrap();
        let f = ClientFilter::new()
            .laddr(format!("127.0.0.1:{}", server.port()))
            .id(raw_id);
        assert_eq!(r.client_kill(f).unwrap(), 1);
    }
    if valkey_at_least(8, 0) {
        let f = ClientFilter::new().maxage(Duration::from_secs(100_000));
        assert_eq!(r.client_kill(f).unwrap(), 0, "nobody is that old");
    }
    if valkey_at_least(8, 1) {
        let (mut a, mut b) = (raw_conn(&server), raw_conn(&server));
        let ia: u64 = raw_field(&mut a, "id").parse().unwrap();
        let ib: u64 = raw_field(&mut b, "id").parse().unwrap();
        assert_eq!(r.client_kill(ClientFilter::new().ids([ia, ib])).unwrap(), 2);
    }
    // This connection survived every kill; an empty filter is refused before sending.
    assert_eq!(r.client_id().unwrap(), me);
    let e = r.client_kill(ClientFilter::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
}

#[test]
fn connection_client_state_on_dedicated() {
    let server = Server::start();
    let (major, minor) = server_major_minor();
    for (p, r) in clients(&server) {
        // The shared connection refuses what would change its state, however it is built.
        for words in [
            &["SETNAME", "x"][..],
            &["TRACKING", "ON"],
            &["CACHING", "YES"],
            &["NO-EVICT", "ON"],
        ] {
            let e = r.execute(cmd("CLIENT").args(words)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Usage, "RESP{p}: {words:?}: {e}");
        }

        let c = r.dedicated().unwrap();
        let name = format!("state-{p}");
        c.client_setname(&name).unwrap();
        assert_eq!(c.client_getname().unwrap().as_deref(), Some(&name[..]));
        assert_eq!(r.client_getname().unwrap(), None, "only the dedicated one");
        if (major, minor) < (6, 2) {
            continue;
        }
        let info = c.client_info().unwrap();
        assert_eq!(info.name.as_deref(), Some(&name[..]));
        assert_eq!(info.id, c.client_id().unwrap());

        if major >= 7 {
            c.client_no_evict(true).unwrap();
            assert!(c.client_info().unwrap().flags.contains('e'), "RESP{p}");
            c.client_no_evict(false).unwrap();
            assert!(!c.client_info().unwrap().flags.contains('e'));
        }
        if (major, minor) >= (7, 2) {
            c.client_no_touch(true).unwrap();
            assert!(c.client_info().unwrap().flags.contains('T'));
            c.client_no_touch(false).unwrap();
            assert!(!c.client_info().unwrap().flags.contains('T'));
            c.client_setinfo(ClientSetInfo::LibName("coredis-test".into()))
                .unwrap();
            c.client_setinfo(ClientSetInfo::LibVer("1.2.3".into()))
                .unwrap();
            let info = c.client_info().unwrap();
            assert_eq!(info.lib_name.as_deref(), Some("coredis-test"));
            assert_eq!(info.lib_ver.as_deref(), Some("1.2.3"));
            let e = c
                .client_setinfo(ClientSetInfo::LibName("has space".into()))
                .unwrap_err();
            assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
        }
        if valkey_at_least(8, 0) {
            c.client_capa("redirect").unwrap();
            c.client_capa(["redirect", "unknown-capa"]).unwrap();
            assert_eq!(c.client_info().unwrap().capa.as_deref(), Some("r"));
        }
        let none: [&str; 0] = [];
        let e = c.client_capa(none).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Usage,
            "an empty list is refused before sending"
        );

        // Client-side caching: on and off, broadcasting, opt-in, opt-out, redirection.
        c.client_tracking(true).unwrap();
        let t = c.client_trackinginfo().unwrap();
        assert_eq!(t.flags, [TrackingFlag::On], "RESP{p}");
        assert_eq!(t.redirect, TrackingRedirect::NotRedirected);
        assert_eq!(
            c.client_getredir().unwrap(),
            TrackingRedirect::NotRedirected
        );
        assert_eq!(
            c.client_info().unwrap().redir,
            Some(TrackingRedirect::NotRedirected)
        );
        c.client_tracking(false).unwrap();
        assert_eq!(c.client_trackinginfo().unwrap().flags, [TrackingFlag::Off]);

        let bcast = TrackingOptions::new()
            .bcast()
            .prefix("a:")
            .prefix(&b"b:"[..])
            .noloop();
        c.client_tracking_with(true, bcast).unwrap();
        let t = c.client_trackinginfo().unwrap();
        assert_eq!(
            t.flags,
            [TrackingFlag::On, TrackingFlag::Bcast, TrackingFlag::NoLoop]
        );
        assert_eq!(t.prefixes, [b"a:".to_vec(), b"b:".to_vec()]);
        c.client_tracking(false).unwrap();

        c.client_tracking_with(true, TrackingOptions::new().optin())
            .unwrap();
        c.client_caching(true).unwrap();
        let t = c.client_trackinginfo().unwrap();
        assert_eq!(
            t.flags,
            [
                TrackingFlag::On,
                TrackingFlag::OptIn,
                TrackingFlag::CachingYes
            ]
        );
        c.client_tracking(false).unwrap();
        c.client_tracking_with(true, TrackingOptions::new().optout())
            .unwrap();
        c.client_caching(false).unwrap();
        let t = c.client_trackinginfo().unwrap();
        assert_eq!(
            t.flags,
            [
                TrackingFlag::On,
                TrackingFlag::OptOut,
                TrackingFlag::CachingNo
            ]
        );
        c.client_tracking(false).unwrap();
        let e = c.client_caching(true).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "not in opt-in mode");

        let other = r.dedicated().unwrap();
        let other_id = other.client_id().unwrap();
        c.client_tracking_with(true, TrackingOptions::new().redirect(other_id))
            .unwrap();
        assert_eq!(c.client_getredir().unwrap(), TrackingRedirect::To(other_id));
        assert_eq!(
            c.client_trackinginfo().unwrap().redirect,
            TrackingRedirect::To(other_id)
        );
        c.client_tracking(false).unwrap();
        let e = c
            .client_tracking_with(true, TrackingOptions::new().redirect(999_999))
            .unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "no such client");
    }
}

#[test]
fn connection_client_import_source() {
    if !valkey_at_least(8, 1) {
        skip(
            &format!("{T}connection_client_import_source"),
            "CLIENT IMPORT-SOURCE needs Valkey 8.1",
        );
        return;
    }
    let server = Server::start();
    let r = connect(&server);
    let c = r.dedicated().unwrap();
    let e = c.client_import_source(true).unwrap_err();
    assert_eq!(
        e.server_code(),
        Some(ServerCode::Err),
        "not in import mode: {e}"
    );
    server.command(&["CONFIG", "SET", "import-mode", "yes"]);
    c.client_import_source(true).unwrap();
    assert!(c.client_info().unwrap().flags.contains('I'));
    c.client_import_source(false).unwrap();
    assert!(!c.client_info().unwrap().flags.contains('I'));
}

#[test]
fn connection_client_pause_unpause() {
    let server = Server::start();
    let r = connect(&server);
    // A short pause of everything ends by itself.
    r.client_pause(Duration::from_millis(20)).unwrap();
    assert_eq!(r.ping().unwrap(), "PONG");
    if server_major_minor() < (6, 2) {
        skip(
            &format!("{T}connection_client_pause_unpause"),
            "CLIENT PAUSE WRITE and CLIENT UNPAUSE need Redis 6.2",
        );
        return;
    }
    // Writes wait for the pause to end; reads go on.
    let writer = connect(&server);
    r.client_pause_with(Duration::from_secs(60), PauseMode::Write)
        .unwrap();
    let held = writer.deferred().set("paused", 1);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(r.get::<Option<i64>>("paused").unwrap(), None, "held back");
    r.client_unpause().unwrap();
    held.wait().unwrap();
    assert_eq!(r.get::<Option<i64>>("paused").unwrap(), Some(1));
    // Unpausing when nothing is paused is fine.
    r.client_unpause().unwrap();
}

#[test]
fn connection_client_unblock() {
    let server = Server::start();
    for (p, r) in clients(&server) {
        let c = r.dedicated().unwrap();
        let id = c.client_id().unwrap();
        assert!(!r.client_unblock(id).unwrap(), "RESP{p}: not blocked yet");
        for how in [None, Some(UnblockType::Timeout), Some(UnblockType::Error)] {
            let got = std::thread::scope(|s| {
                let blocked =
                    s.spawn(|| c.blpop::<String, String>("unblock-queue", Duration::from_secs(60)));
                let until = Instant::now() + Duration::from_secs(30);
                loop {
                    let done = match how {
                        None => r.client_unblock(id).unwrap(),
                        Some(how) => r.client_unblock_with(id, how).unwrap(),
                    };
                    if done {
                        break;
                    }
                    assert!(Instant::now() < until, "BLPOP never blocked");
                    std::thread::sleep(Duration::from_millis(20));
                }
                blocked.join().unwrap()
            });
            match how {
                Some(UnblockType::Error) => {
                    let e = got.unwrap_err();
                    assert_eq!(e.code(), Some("UNBLOCKED"), "RESP{p}: {e}");
                }
                _ => assert_eq!(got.unwrap(), None, "RESP{p}: {how:?} ends as a timeout"),
            }
        }
        assert!(!r.client_unblock(999_999).unwrap());
    }
}
