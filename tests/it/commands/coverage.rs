//! Every data command of the server (the groups of issue 9, as `COMMAND DOCS` reports them) is
//! a typed method: compares the union of the command groups' `built()` with the live server.

use super::audit::info_name;
use coredis::Request;
use coredis_test_support::raw::{Conn, Reply};
use coredis_test_support::{server_major_minor, skip, Server};
use std::collections::BTreeSet;

/// The groups whose every command must have a method.
const DATA_GROUPS: &[&str] = &[
    "generic",
    "string",
    "bitmap",
    "hash",
    "list",
    "set",
    "sorted-set",
    "hyperloglog",
    "geo",
    "stream",
];

/// Commands of those groups deliberately without a method here, and why.
const EXCLUDED: &[(&str, &str)] = &[
    ("pfdebug", "an internal debugging command"),
    ("pfselftest", "an internal test command"),
    ("object|help", "help text for humans"),
    ("xgroup|help", "help text for humans"),
    ("xinfo|help", "help text for humans"),
    (
        "blmove",
        "a blocking command: on dedicated connections, with the blocking group",
    ),
    (
        "blmpop",
        "a blocking command: on dedicated connections, with the blocking group",
    ),
    (
        "brpoplpush",
        "a blocking command: on dedicated connections, with the blocking group",
    ),
    (
        "bzpopmin",
        "a blocking command: on dedicated connections, with the blocking group",
    ),
    (
        "bzpopmax",
        "a blocking command: on dedicated connections, with the blocking group",
    ),
    (
        "bzmpop",
        "a blocking command: on dedicated connections, with the blocking group",
    ),
];

/// Every method of every data group, built.
fn built() -> Vec<Request> {
    let mut all: Vec<Request> = Vec::new();
    // Each group module adds its `built()` here.
    all.extend(super::basics::built());
    all.extend(super::strings::built());
    all.extend(super::hashes::built());
    all.extend(super::lists::built());
    all.extend(super::sets::built());
    all.extend(super::sorted_sets::built());
    all.extend(super::geo::built());
    all.extend(super::streams::built());
    all.extend(super::generic::built());
    all.extend(super::scan::built());
    all.extend(super::bitmap::built());
    all.extend(super::hyperloglog::built());
    all.extend(super::cluster::built());
    all
}

/// The data commands the live server documents, as `name` or `container|sub`.
fn server_data_commands(server: &Server) -> BTreeSet<String> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    let mut conn = Conn::connect(addr, std::time::Duration::from_secs(10)).expect("connect");
    let reply = conn.call(&["COMMAND", "DOCS"]).expect("COMMAND DOCS");
    let mut out = BTreeSet::new();
    let Reply::Many(items) = reply else {
        panic!("COMMAND DOCS: {reply:?}");
    };
    for pair in items.chunks(2) {
        let [Reply::Text(name), Reply::Many(doc)] = pair else {
            continue;
        };
        collect(name, doc, &mut out);
    }
    out
}

/// Adds `name` when its doc's group is a data group, and its subcommands likewise.
fn collect(name: &str, doc: &[Reply], out: &mut BTreeSet<String>) {
    let field = |key: &str| {
        doc.chunks(2).find_map(|kv| match kv {
            [Reply::Text(k), v] if k == key => Some(v.clone()),
            _ => None,
        })
    };
    let group = match field("group") {
        Some(Reply::Text(g)) => g,
        _ => String::new(),
    };
    let subcommands = match field("subcommands") {
        Some(Reply::Many(subs)) => subs,
        _ => Vec::new(),
    };
    if subcommands.is_empty() && DATA_GROUPS.contains(&group.as_str()) {
        out.insert(name.to_ascii_lowercase());
    }
    for pair in subcommands.chunks(2) {
        if let [Reply::Text(sub), Reply::Many(sub_doc)] = pair {
            collect(sub, sub_doc, out);
        }
    }
}

#[test]
fn every_data_command_has_a_method() {
    let server = Server::start();
    if server_major_minor() < (7, 0) {
        skip(
            "every_data_command_has_a_method",
            "COMMAND DOCS needs Redis 7.0 or Valkey",
        );
        return;
    }
    let documented = server_data_commands(&server);
    assert!(
        documented.len() > 100,
        "COMMAND DOCS parsed: {documented:?}"
    );
    let ours: BTreeSet<String> = built().iter().map(info_name).collect();
    let excluded: BTreeSet<String> = EXCLUDED.iter().map(|(n, _)| n.to_string()).collect();
    let missing: Vec<&String> = documented
        .iter()
        .filter(|c| !ours.contains(*c) && !excluded.contains(*c))
        .collect();
    assert!(
        missing.is_empty(),
        "data commands without a method ({}): {missing:?}",
        missing.len()
    );
}
