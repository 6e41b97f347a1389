//! The geo group against real servers, over RESP3 and RESP2 (both in every run): positions
//! arrive as bulk strings in RESP2 and doubles in RESP3, and come back as the same `f64`s.

use crate::util::clients;
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    GeoAddOptions, GeoArea, GeoOrder, GeoOrigin, GeoPosition, GeoResult, GeoSearchOptions,
    GeoStoreOptions, GeoUnit,
};
use coredis::{ErrorKind, Request, ServerCode};
use coredis_test_support::{server_bin, server_major_minor, skip, Server};

const PALERMO: (f64, f64) = (13.361389, 38.115556);
const CATANIA: (f64, f64) = (15.087269, 37.502669);

fn is_valkey() -> bool {
    server_bin().to_string_lossy().contains("valkey")
}

fn close(a: f64, b: f64, eps: f64) -> bool {
    (a - b).abs() < eps
}

fn sicily() -> GeoArea {
    GeoArea::by_polygon([(12.0, 36.0), (16.0, 36.0), (16.0, 39.0), (12.0, 39.0)])
}

/// Every method of the group, built.
pub fn built() -> Vec<Request> {
    let area = GeoArea::by_radius(GeoOrigin::lonlat(15.0, 37.0), 200.0, GeoUnit::Km);
    let boxed = GeoArea::by_box(GeoOrigin::member("Palermo"), 400.0, 400.0, GeoUnit::Km);
    let all = GeoSearchOptions::new()
        .desc()
        .count_any(2)
        .withcoord()
        .withdist()
        .withhash();
    let store = GeoStoreOptions::new().asc().count(2).storedist();
    let mut out = vec![
        Build.geoadd("g", [(1.0, 2.0, "m")]).request().clone(),
        Build
            .geoadd_with("g", [(1.0, 2.0, "m")], GeoAddOptions::new().xx().ch())
            .request()
            .clone(),
        Build.geodist("g", "a", "b").request().clone(),
        Build
            .geodist_with("g", "a", "b", GeoUnit::Mi)
            .request()
            .clone(),
        Build.geohash("g", ["a", "b"]).request().clone(),
        Build.geopos("g", ["a", "b"]).request().clone(),
        Build
            .geosearch::<String>("g", area.clone())
            .request()
            .clone(),
        Build
            .geosearch_with::<String>("g", boxed.clone(), all)
            .request()
            .clone(),
        Build
            .geosearchstore("d", "g", area.clone())
            .request()
            .clone(),
        Build
            .geosearchstore_with("d", "g", boxed.clone(), store)
            .request()
            .clone(),
        Build
            .georadius::<String>("g", 15.0, 37.0, 200.0, GeoUnit::Km)
            .request()
            .clone(),
        Build
            .georadius_with::<String>("g", 15.0, 37.0, 200.0, GeoUnit::Km, all)
            .request()
            .clone(),
        Build
            .georadius_store("g", 15.0, 37.0, 200.0, GeoUnit::Km, "d")
            .request()
            .clone(),
        Build
            .georadius_store_with("g", 15.0, 37.0, 200.0, GeoUnit::Km, "d", store)
            .request()
            .clone(),
        Build
            .georadius_ro::<String>("g", 15.0, 37.0, 200.0, GeoUnit::Km)
            .request()
            .clone(),
        Build
            .georadius_ro_with::<String>("g", 15.0, 37.0, 200.0, GeoUnit::Km, all)
            .request()
            .clone(),
        Build
            .georadiusbymember::<String>("g", "m", 200.0, GeoUnit::Ft)
            .request()
            .clone(),
        Build
            .georadiusbymember_with::<String>("g", "m", 200.0, GeoUnit::Ft, all)
            .request()
            .clone(),
        Build
            .georadiusbymember_store("g", "m", 200.0, GeoUnit::M, "d")
            .request()
            .clone(),
        Build
            .georadiusbymember_store_with("g", "m", 200.0, GeoUnit::M, "d", store)
            .request()
            .clone(),
        Build
            .georadiusbymember_ro::<String>("g", "m", 200.0, GeoUnit::Km)
            .request()
            .clone(),
        Build
            .georadiusbymember_ro_with::<String>("g", "m", 200.0, GeoUnit::Km, all)
            .request()
            .clone(),
    ];
    if is_valkey() && server_major_minor() >= (9, 0) {
        out.push(
            Build
                .geosearch_with::<String>("g", sicily(), all)
                .request()
                .clone(),
        );
        out.push(
            Build
                .geosearchstore_with("d", "g", sicily(), store)
                .request()
                .clone(),
        );
    }
    out
}

#[test]
fn geo_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        "commands::geo::geo_routing_facts_match_the_server",
        &built(),
    );
}

#[test]
fn geo_add_dist_hash_pos() {
    let server = Server::start();
    let modern = server_major_minor() >= (6, 2);
    for (p, r) in clients(&server) {
        let k = format!("geo{p}:sicily");
        let added = r
            .geoadd(
                &k,
                [
                    (PALERMO.0, PALERMO.1, "Palermo"),
                    (CATANIA.0, CATANIA.1, "Catania"),
                ],
            )
            .unwrap();
        assert_eq!(added, 2, "RESP{p}");
        assert_eq!(
            r.geoadd(&k, [(PALERMO.0, PALERMO.1, "Palermo")]).unwrap(),
            0
        );

        let m = r.geodist(&k, "Palermo", "Catania").unwrap().unwrap();
        assert!(close(m, 166_274.151_6, 0.01), "RESP{p}: {m}");
        let km = r
            .geodist_with(&k, "Palermo", "Catania", GeoUnit::Km)
            .unwrap();
        assert_eq!(km, Some(166.2742), "RESP{p}");
        let mi = r
            .geodist_with(&k, "Palermo", "Catania", GeoUnit::Mi)
            .unwrap()
            .unwrap();
        assert!(close(mi, 103.3182, 0.001), "{mi}");
        let ft = r
            .geodist_with(&k, "Palermo", "Catania", GeoUnit::Ft)
            .unwrap()
            .unwrap();
        assert!(close(ft, 545_518.87, 0.01), "{ft}");
        assert_eq!(r.geodist(&k, "Palermo", "Atlantis").unwrap(), None);
        assert_eq!(r.geodist(format!("geo{p}:none"), "a", "b").unwrap(), None);

        let hashes = r.geohash(&k, ["Palermo", "Atlantis", "Catania"]).unwrap();
        assert_eq!(
            hashes,
            [
                Some("sqc8b49rny0".to_string()),
                None,
                Some("sqdtr74hyu0".to_string())
            ],
            "RESP{p}"
        );
        assert!(r.geohash(&k, Vec::<String>::new()).unwrap().is_empty());

        let pos = r.geopos(&k, ["Palermo", "Atlantis"]).unwrap();
        assert_eq!(pos.len(), 2);
        let palermo = pos[0].expect("Palermo has a position");
        assert!(
            close(palermo.longitude, PALERMO.0, 1e-5),
            "RESP{p}: {palermo:?}"
        );
        assert!(
            close(palermo.latitude, PALERMO.1, 1e-5),
            "RESP{p}: {palermo:?}"
        );
        assert_eq!(pos[1], None);
        assert!(r.geopos(&k, "Palermo").unwrap()[0].is_some());

        if modern {
            // NX: only new members; XX: only existing ones; CH counts the moved ones.
            let n = r
                .geoadd_with(
                    &k,
                    [(1.0, 1.0, "Palermo"), (2.0, 2.0, "Nowhere")],
                    GeoAddOptions::new().nx(),
                )
                .unwrap();
            assert_eq!(n, 1, "RESP{p}");
            let palermo = r.geopos(&k, "Palermo").unwrap()[0].unwrap();
            assert!(
                close(palermo.longitude, PALERMO.0, 1e-5),
                "NX left Palermo alone"
            );
            let n = r
                .geoadd_with(
                    &k,
                    [(3.0, 3.0, "Nowhere"), (4.0, 4.0, "Elsewhere")],
                    GeoAddOptions::new().xx(),
                )
                .unwrap();
            assert_eq!(n, 0, "XX adds nothing");
            assert_eq!(r.geopos(&k, "Elsewhere").unwrap(), [None]);
            let n = r
                .geoadd_with(
                    &k,
                    [(5.0, 5.0, "Nowhere"), (PALERMO.0, PALERMO.1, "Palermo")],
                    GeoAddOptions::new().ch(),
                )
                .unwrap();
            assert_eq!(n, 1, "CH counts the moved member only");
            let nowhere = r.geopos(&k, "Nowhere").unwrap()[0].unwrap();
            assert!(close(nowhere.longitude, 5.0, 1e-5));
        }
    }
}

#[test]
fn geo_search_and_store() {
    let server = Server::start();
    if server_major_minor() < (6, 2) {
        skip(
            "commands::geo::geo_search_and_store",
            "GEOSEARCH needs Redis 6.2",
        );
        return;
    }
    for (p, r) in clients(&server) {
        let k = format!("geo{p}:s");
        r.geoadd(
            &k,
            [
                (PALERMO.0, PALERMO.1, "Palermo"),
                (CATANIA.0, CATANIA.1, "Catania"),
            ],
        )
        .unwrap();
        let area = GeoArea::by_radius(GeoOrigin::lonlat(15.0, 37.0), 200.0, GeoUnit::Km);
        let mut names: Vec<String> = r.geosearch(&k, area.clone()).unwrap();
        names.sort();
        assert_eq!(names, ["Catania", "Palermo"], "RESP{p}");
        let near: Vec<String> = r
            .geosearch(
                &k,
                GeoArea::by_radius(GeoOrigin::lonlat(15.0, 37.0), 100.0, GeoUnit::Km),
            )
            .unwrap();
        assert_eq!(near, ["Catania"]);

        let full: Vec<GeoResult<String>> = r
            .geosearch_with(
                &k,
                area.clone(),
                GeoSearchOptions::new()
                    .asc()
                    .withcoord()
                    .withdist()
                    .withhash(),
            )
            .unwrap();
        assert_eq!(full.len(), 2, "RESP{p}");
        assert_eq!(full[0].member, "Catania");
        assert_eq!(full[0].distance, Some(56.4413));
        assert_eq!(full[0].hash, Some(3479447370796909));
        let pos = full[0].position.unwrap();
        assert!(close(pos.longitude, CATANIA.0, 1e-5), "RESP{p}: {pos:?}");
        assert!(close(pos.latitude, CATANIA.1, 1e-5));
        assert_eq!(full[1].member, "Palermo");
        assert_eq!(full[1].distance, Some(190.4424));

        // Options one at a time; without WITH* the members come alone.
        let desc: Vec<GeoResult<String>> = r
            .geosearch_with(&k, area.clone(), GeoSearchOptions::new().desc().count(1))
            .unwrap();
        assert_eq!(desc.len(), 1);
        assert_eq!(desc[0].member, "Palermo");
        assert_eq!(
            (desc[0].distance, desc[0].hash, desc[0].position),
            (None, None, None)
        );
        let any: Vec<GeoResult<String>> = r
            .geosearch_with(
                &k,
                area.clone(),
                GeoSearchOptions::new().count_any(1).withhash(),
            )
            .unwrap();
        assert_eq!(any.len(), 1);
        assert!(any[0].hash.is_some() && any[0].distance.is_none());
        let by_box: Vec<GeoResult<String>> = r
            .geosearch_with(
                &k,
                GeoArea::by_box(GeoOrigin::member("Palermo"), 400.0, 400.0, GeoUnit::Km),
                GeoSearchOptions::new().order(GeoOrder::Asc).withdist(),
            )
            .unwrap();
        assert_eq!(by_box.len(), 2);
        assert_eq!(by_box[0].member, "Palermo");
        assert_eq!(by_box[0].distance, Some(0.0));
        assert_eq!(by_box[1].distance, Some(166.2742));
        let none: Vec<String> = r
            .geosearch(
                format!("geo{p}:missing"),
                GeoArea::by_radius(GeoOrigin::lonlat(0.0, 0.0), 1.0, GeoUnit::M),
            )
            .unwrap();
        assert!(none.is_empty());

        let d = format!("geo{p}:dest");
        assert_eq!(
            r.geosearchstore(&d, &k, area.clone()).unwrap(),
            2,
            "RESP{p}"
        );
        let stored = r.geopos(&d, "Catania").unwrap()[0].unwrap();
        assert!(close(stored.longitude, CATANIA.0, 1e-5), "a geo set copy");
        let n = r
            .geosearchstore_with(
                &d,
                &k,
                area.clone(),
                GeoStoreOptions::new().asc().count(1).storedist(),
            )
            .unwrap();
        assert_eq!(n, 1);
        // STOREDIST: the score is the distance in the search's unit.
        let score: f64 = r
            .execute(coredis::cmd("ZSCORE").key(&d).arg("Catania").returns())
            .unwrap();
        assert!(close(score, 56.4413, 1e-3), "RESP{p}: {score}");
        let n = r
            .geosearchstore_with(
                &d,
                &k,
                area.clone(),
                GeoStoreOptions::new().desc().count_any(2),
            )
            .unwrap();
        assert_eq!(n, 2);
    }
}

#[test]
fn geo_radius_family() {
    let server = Server::start();
    let modern = server_major_minor() >= (6, 2);
    for (p, r) in clients(&server) {
        let k = format!("geo{p}:r");
        r.geoadd(
            &k,
            [
                (PALERMO.0, PALERMO.1, "Palermo"),
                (CATANIA.0, CATANIA.1, "Catania"),
            ],
        )
        .unwrap();
        let mut all: Vec<String> = r.georadius(&k, 15.0, 37.0, 200.0, GeoUnit::Km).unwrap();
        all.sort();
        assert_eq!(all, ["Catania", "Palermo"], "RESP{p}");
        let ro: Vec<String> = r.georadius_ro(&k, 15.0, 37.0, 100.0, GeoUnit::Km).unwrap();
        assert_eq!(ro, ["Catania"]);
        let opts = GeoSearchOptions::new()
            .asc()
            .withdist()
            .withcoord()
            .withhash();
        for got in [
            r.georadius_with::<String>(&k, 15.0, 37.0, 200.0, GeoUnit::Km, opts)
                .unwrap(),
            r.georadius_ro_with::<String>(&k, 15.0, 37.0, 200.0, GeoUnit::Km, opts)
                .unwrap(),
        ] {
            assert_eq!(got.len(), 2, "RESP{p}");
            assert_eq!(got[0].member, "Catania");
            assert_eq!(got[0].distance, Some(56.4413));
            assert_eq!(got[0].hash, Some(3479447370796909));
            assert!(close(got[0].position.unwrap().latitude, CATANIA.1, 1e-5));
        }
        let mut by_member: Vec<String> = r
            .georadiusbymember(&k, "Palermo", 200.0, GeoUnit::Km)
            .unwrap();
        by_member.sort();
        assert_eq!(by_member, ["Catania", "Palermo"]);
        let only: Vec<String> = r
            .georadiusbymember_ro(&k, "Palermo", 100.0, GeoUnit::Km)
            .unwrap();
        assert_eq!(only, ["Palermo"]);
        let opts = GeoSearchOptions::new().desc().count(1).withdist();
        for got in [
            r.georadiusbymember_with::<String>(&k, "Palermo", 200.0, GeoUnit::Km, opts)
                .unwrap(),
            r.georadiusbymember_ro_with::<String>(&k, "Palermo", 200.0, GeoUnit::Km, opts)
                .unwrap(),
        ] {
            assert_eq!(got.len(), 1, "RESP{p}");
            assert_eq!(got[0].member, "Catania");
            assert_eq!(got[0].distance, Some(166.2742));
            assert_eq!((got[0].hash, got[0].position), (None, None));
        }

        let d = format!("geo{p}:rd");
        assert_eq!(
            r.georadius_store(&k, 15.0, 37.0, 200.0, GeoUnit::Km, &d)
                .unwrap(),
            2
        );
        assert!(r.geopos(&d, "Palermo").unwrap()[0].is_some());
        let n = r
            .georadius_store_with(
                &k,
                15.0,
                37.0,
                200.0,
                GeoUnit::Km,
                &d,
                GeoStoreOptions::new().asc().count(1).storedist(),
            )
            .unwrap();
        assert_eq!(n, 1);
        let score: f64 = r
            .execute(coredis::cmd("ZSCORE").key(&d).arg("Catania").returns())
            .unwrap();
        assert!(close(score, 56.4413, 1e-3), "RESP{p}: {score}");
        assert_eq!(
            r.georadiusbymember_store(&k, "Palermo", 100.0, GeoUnit::Km, &d)
                .unwrap(),
            1
        );
        let store = if modern {
            GeoStoreOptions::new().desc().count_any(5).storedist()
        } else {
            GeoStoreOptions::new().desc().count(5).storedist()
        };
        let n = r
            .georadiusbymember_store_with(&k, "Palermo", 200.0, GeoUnit::Km, &d, store)
            .unwrap();
        assert_eq!(n, 2);
        let score: f64 = r
            .execute(coredis::cmd("ZSCORE").key(&d).arg("Palermo").returns())
            .unwrap();
        assert_eq!(score, 0.0);
    }
}

#[test]
fn geo_polygon_on_valkey() {
    if !(is_valkey() && server_major_minor() >= (9, 0)) {
        skip(
            "commands::geo::geo_polygon_on_valkey",
            "BYPOLYGON needs Valkey 9.0",
        );
        return;
    }
    let server = Server::start();
    for (p, r) in clients(&server) {
        let k = format!("geo{p}:poly");
        r.geoadd(
            &k,
            [
                (PALERMO.0, PALERMO.1, "Palermo"),
                (CATANIA.0, CATANIA.1, "Catania"),
                (12.4964, 41.9028, "Rome"),
            ],
        )
        .unwrap();
        let mut inside: Vec<String> = r.geosearch(&k, sicily()).unwrap();
        inside.sort();
        assert_eq!(inside, ["Catania", "Palermo"], "RESP{p}");
        let triangle = GeoArea::by_polygon([(12.0, 36.0), (16.0, 36.0), (16.0, 39.0)]);
        let east: Vec<String> = r.geosearch(&k, triangle.clone()).unwrap();
        assert_eq!(east, ["Catania"]);
        let with: Vec<GeoResult<String>> = r
            .geosearch_with(
                &k,
                sicily(),
                GeoSearchOptions::new().asc().withdist().withcoord(),
            )
            .unwrap();
        assert_eq!(with.len(), 2);
        assert!(with
            .iter()
            .all(|g| g.distance.is_some() && g.position.is_some()));
        let d = format!("geo{p}:polyd");
        assert_eq!(
            r.geosearchstore_with(&d, &k, sicily(), GeoStoreOptions::new().storedist())
                .unwrap(),
            2
        );
        assert_eq!(r.geosearchstore(&d, &k, triangle.clone()).unwrap(), 1);
    }
}

#[test]
fn geo_bad_input() {
    let server = Server::start();
    let modern = server_major_minor() >= (6, 2);
    for (p, r) in clients(&server) {
        let s = format!("geo{p}:string");
        r.set(&s, "x").unwrap();
        let wrong = [
            r.geoadd(&s, [(1.0, 1.0, "m")]).unwrap_err(),
            r.geodist(&s, "a", "b").unwrap_err(),
            r.geohash(&s, "a").unwrap_err(),
            r.geopos(&s, "a").unwrap_err(),
            r.georadius::<String>(&s, 1.0, 1.0, 1.0, GeoUnit::M)
                .unwrap_err(),
        ];
        for e in wrong {
            assert_eq!(e.server_code(), Some(ServerCode::WrongType), "RESP{p}: {e}");
        }
        if modern {
            let area = GeoArea::by_radius(GeoOrigin::lonlat(1.0, 1.0), 1.0, GeoUnit::M);
            let e = r.geosearch::<String>(&s, area.clone()).unwrap_err();
            assert_eq!(e.server_code(), Some(ServerCode::WrongType), "{e}");
        }
        // Empty required lists are refused before sending.
        let none: Vec<(f64, f64, &str)> = Vec::new();
        let e = r.geoadd(&s, none.clone()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        let e = r
            .geoadd_with(&s, none, GeoAddOptions::new().nx())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        let e = r
            .geosearch::<String>(&s, GeoArea::by_polygon([]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Usage, "{e}");
        // Out-of-range coordinates are the server's error, not a panic.
        let e = r
            .geoadd(format!("geo{p}:g"), [(200.0, 100.0, "x")])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        // A member that is not there, as the centre of a search: the server's error.
        let g = format!("geo{p}:g");
        r.geoadd(&g, [(1.0, 1.0, "somebody")]).unwrap();
        let e = r
            .georadiusbymember::<String>(&g, "nobody", 1.0, GeoUnit::M)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "{e}");
        // A reply of another shape is a type error, not a panic.
        let e = r
            .execute(
                coredis::cmd("GEOHASH")
                    .key(&g)
                    .arg("somebody")
                    .returns::<Vec<Option<GeoPosition>>>(),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Type, "{e}");
    }
}
