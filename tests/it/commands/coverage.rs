//! Every command of the server (as `COMMAND DOCS` reports them, group by group) is a typed
//! method, or on the documented list of commands that are not plain methods: compares the union
//! of the command groups' `built()` with the live server.

use super::audit::info_name;
use coredis::Request;
use coredis_test_support::raw::{Conn, Reply};
use coredis_test_support::{server_major_minor, skip, Server};
use std::collections::BTreeSet;

/// The groups whose every command must have a method.
const DATA_GROUPS: &[&str] = &[
    "server",
    "connection",
    "scripting",
    "pubsub",
    "transactions",
    "cluster",
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
    // Handled by their own objects, or by the configuration and handshake.
    ("subscribe", "the pub/sub object"),
    ("psubscribe", "the pub/sub object"),
    ("ssubscribe", "the pub/sub object"),
    ("unsubscribe", "the pub/sub object"),
    ("punsubscribe", "the pub/sub object"),
    ("sunsubscribe", "the pub/sub object"),
    ("multi", "the transaction object (Redis::transaction)"),
    ("exec", "the transaction object (Redis::transaction)"),
    ("discard", "the transaction object (Redis::transaction)"),
    ("watch", "the transaction object (Redis::transaction_with)"),
    (
        "unwatch",
        "the transaction object (Redis::transaction_with)",
    ),
    ("monitor", "the monitor object"),
    (
        "hello",
        "the handshake (Config::protocol_version, credentials, client_name)",
    ),
    ("auth", "the handshake (Config credentials)"),
    (
        "select",
        "Config::db; on a dedicated connection, ExclusiveCommands::select",
    ),
    (
        "client|reply",
        "it breaks the one-reply-per-request rule every connection relies on",
    ),
    ("quit", "closing is Redis::close"),
    ("reset", "it resets the handshake's state"),
    ("sync", "replication internals"),
    ("psync", "replication internals"),
    ("replconf", "replication internals"),
    (
        "restore-asking",
        "sent between cluster nodes during a migration",
    ),
    (
        "asking",
        "cluster internals: the cluster client sends it before following ASK",
    ),
    (
        "readonly",
        "cluster internals: the cluster client's reads from replicas",
    ),
    (
        "readwrite",
        "cluster internals: the cluster client's reads from replicas",
    ),
    (
        "cluster|syncslots",
        "Valkey's node-to-node slot migration protocol",
    ),
    ("cluster|help", "help text for humans"),
    ("debug", "debugging the server, not for applications"),
    (
        "script|debug",
        "turns the connection into a debugging session",
    ),
    ("pfdebug", "an internal debugging command"),
    ("pfselftest", "an internal test command"),
    ("object|help", "help text for humans"),
    ("acl|help", "help text for humans"),
    ("client|help", "help text for humans"),
    ("command|help", "help text for humans"),
    ("commandlog|help", "help text for humans"),
    ("config|help", "help text for humans"),
    ("function|help", "help text for humans"),
    ("latency|help", "help text for humans"),
    ("memory|help", "help text for humans"),
    ("module|help", "help text for humans"),
    ("pubsub|help", "help text for humans"),
    ("script|help", "help text for humans"),
    ("slowlog|help", "help text for humans"),
    ("xgroup|help", "help text for humans"),
    ("xinfo|help", "help text for humans"),
];

/// Every method of every data group, built.
fn built() -> Vec<Request> {
    let mut all: Vec<Request> = Vec::new();
    // Each group module adds its `built()` here.
    all.extend(super::basics::built());
    // `select` is the one method of ExclusiveCommands (on dedicated connections).
    all.push(
        coredis::prelude::ExclusiveCommands::select(&coredis::commands::Build, 1)
            .request()
            .clone(),
    );
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
    all.extend(super::connection::built());
    all.extend(super::scripting::built());
    all.extend(super::pubsub::built());
    all.extend(super::server::built());
    all.extend(super::blocking::built());
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

#[test]
fn the_supported_list_is_the_list_of_methods() {
    let server = Server::start();
    let supported: BTreeSet<&str> = coredis::commands::SUPPORTED.iter().copied().collect();
    let sorted: Vec<&str> = coredis::commands::SUPPORTED.to_vec();
    let mut resorted = sorted.clone();
    resorted.sort();
    assert_eq!(sorted, resorted, "SUPPORTED is sorted");
    let ours: BTreeSet<String> = built().iter().map(info_name).collect();
    let unlisted: Vec<&String> = ours
        .iter()
        .filter(|c| !supported.contains(c.as_str()))
        .collect();
    assert!(
        unlisted.is_empty(),
        "methods missing from SUPPORTED: {unlisted:?}"
    );
    if server_major_minor() < (7, 0) {
        skip(
            "the_supported_list_is_the_list_of_methods (against COMMAND DOCS)",
            "COMMAND DOCS needs Redis 7.0 or Valkey",
        );
        return;
    }
    // What the server has and SUPPORTED names must have a method here.
    let documented = server_data_commands(&server);
    let stale: Vec<&&str> = supported
        .iter()
        .filter(|c| documented.contains(**c) && !ours.contains(**c))
        .collect();
    assert!(stale.is_empty(), "in SUPPORTED without a method: {stale:?}");
}

#[test]
fn every_sentinel_command_has_a_method() {
    if server_major_minor() < (7, 0) {
        skip(
            "every_sentinel_command_has_a_method",
            "COMMAND DOCS needs Redis 7.0 or Valkey",
        );
        return;
    }
    // A lone sentinel watching nothing in particular answers COMMAND DOCS.
    let primary = Server::start();
    let sentinel = Server::builder()
        .sentinel(&format!(
            "sentinel monitor cov 127.0.0.1 {} 1\n",
            primary.port()
        ))
        .start();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], sentinel.port()));
    let mut conn = Conn::connect(addr, std::time::Duration::from_secs(10)).expect("connect");
    let reply = conn
        .call(&["COMMAND", "DOCS", "SENTINEL"])
        .expect("COMMAND DOCS");
    let mut documented = BTreeSet::new();
    let Reply::Many(items) = reply else {
        panic!("COMMAND DOCS SENTINEL: {reply:?}");
    };
    for pair in items.chunks(2) {
        let [Reply::Text(name), Reply::Many(doc)] = pair else {
            continue;
        };
        let subcommands = doc.chunks(2).find_map(|kv| match kv {
            [Reply::Text(k), Reply::Many(v)] if k == "subcommands" => Some(v.clone()),
            _ => None,
        });
        for sub in subcommands.unwrap_or_default().chunks(2) {
            if let [Reply::Text(sub), _] = sub {
                documented.insert(sub.to_ascii_lowercase());
            }
        }
        assert_eq!(name.to_ascii_lowercase(), "sentinel");
    }
    assert!(documented.len() > 15, "parsed: {documented:?}");
    let ours: BTreeSet<String> = super::sentinel::built().iter().map(info_name).collect();
    let excluded = ["sentinel|debug", "sentinel|help"];
    let missing: Vec<&String> = documented
        .iter()
        .filter(|c| !ours.contains(*c) && !excluded.contains(&c.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "sentinel commands without a method: {missing:?}"
    );
}
