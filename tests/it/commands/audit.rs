//! Checks a command's routing facts — which arguments are keys, whether it only reads, whether
//! it blocks — against the live server's `COMMAND GETKEYS` and `COMMAND INFO`, through the
//! support crate's own RESP client (independent of coredis).

use coredis::Request;
use coredis_test_support::raw::Reply;
use coredis_test_support::{server_major_minor, skip, Server};

/// Commands the server flags `blocking` that our methods send in a form that does not block
/// (`XREAD` without `BLOCK`), or that we run on a dedicated connection though the server does
/// not flag them (`WAIT` blocks its client until replicas acknowledge).
const BLOCKING_EXCEPTIONS: &[&str] = &["xread", "xreadgroup", "wait", "waitaof"];

/// Commands the server does not flag `write` that may write: a script or function does what
/// its code says (their `_ro` forms may not write).
const MAY_WRITE: &[&str] = &["eval", "evalsha", "fcall"];

/// Commands whose routing key the server's key specification flags `not_key` (a shard
/// channel: it picks the slot like a key, but is no key of the keyspace), so `COMMAND GETKEYS`
/// leaves it out: our methods mark it as a key for routing. Their positions, checked instead,
/// along with the `not_key` flag in `COMMAND INFO`.
const NOT_KEY_ROUTED: &[(&str, &[usize])] = &[("spublish", &[1])];

/// The command's name as `COMMAND INFO` knows it: `get`, `object|encoding`.
pub fn info_name(request: &Request) -> String {
    request
        .name()
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("|")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn call(server: &Server, args: &[String]) -> Reply {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], server.port()));
    let mut conn =
        coredis_test_support::raw::Conn::connect(addr, std::time::Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("connect to the test server: {e}"));
    conn.call(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// The flags of `name` (`get`, `object|encoding`) from `COMMAND INFO`.
pub fn flags(server: &Server, name: &str) -> Vec<String> {
    let reply = call(server, &["COMMAND".into(), "INFO".into(), name.into()]);
    let Reply::Many(items) = reply else {
        panic!("COMMAND INFO {name}: {reply:?}");
    };
    match items.first() {
        Some(Reply::Many(info)) => match info.get(2) {
            Some(Reply::Many(flags)) => flags.iter().map(Reply::render).collect(),
            other => panic!("COMMAND INFO {name}: no flags in {other:?}"),
        },
        _ => panic!("the server does not know the command {name}"),
    }
}

/// Checks every request of `built` against `server` (Redis 7.0+ and Valkey: older servers do
/// not know subcommand names in `COMMAND INFO`; the test is then skipped, with a note).
pub fn check(server: &Server, test: &str, built: &[Request]) {
    if server_major_minor() < (7, 0) {
        skip(test, "COMMAND INFO has no subcommands before Redis 7.0");
        return;
    }
    let mut failures = Vec::new();
    for request in built {
        if let Err(e) = check_one(server, request) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} routing mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check_one(server: &Server, request: &Request) -> Result<(), String> {
    let args: Vec<String> = request.args().map(text).collect();
    let name = info_name(request);
    // Keys: what the server extracts from these very arguments.
    let mut getkeys = vec!["COMMAND".to_string(), "GETKEYS".to_string()];
    getkeys.extend(args.iter().cloned());
    let server_keys: Vec<String> = match call(server, &getkeys) {
        Reply::Many(keys) => keys.iter().map(Reply::render).collect(),
        Reply::Error(e) if e.contains("no key arguments") => Vec::new(),
        // A command given no arguments (`PING`): GETKEYS needs at least one after the name.
        Reply::Error(e) if args.len() == 1 && e.contains("wrong number of arguments") => Vec::new(),
        other => return Err(format!("{args:?}: COMMAND GETKEYS says {other:?}")),
    };
    let ours: Vec<String> = request
        .key_positions()
        .iter()
        .filter_map(|&i| args.get(i).cloned())
        .collect();
    let routed = NOT_KEY_ROUTED.iter().find(|(n, _)| *n == name);
    let server_keys = match routed {
        Some((_, positions)) if server_keys.is_empty() => {
            let info = call(server, &["COMMAND".into(), "INFO".into(), name.clone()]);
            if !info.render().contains("not_key") {
                return Err(format!("{name}: no `not_key` key spec in {info:?}"));
            }
            positions
                .iter()
                .filter_map(|&i| args.get(i).cloned())
                .collect()
        }
        _ => server_keys,
    };
    if ours != server_keys {
        return Err(format!(
            "{args:?}: keys {ours:?}, the server says {server_keys:?}"
        ));
    }
    let flags = flags(server, &name);
    let server_readonly = flags.iter().any(|f| f == "readonly");
    if request.is_readonly() != server_readonly {
        return Err(format!(
            "{name}: readonly is {}, the server's flags are {flags:?}",
            request.is_readonly()
        ));
    }
    // Writes (followed by `WAIT` under `wait_for_replicas`): the server's `write` flag, and
    // the scripts and functions that may write.
    let server_write = flags.iter().any(|f| f == "write") || MAY_WRITE.contains(&name.as_str());
    if request.is_write() != server_write {
        return Err(format!(
            "{name}: is_write is {}, the server's flags are {flags:?}",
            request.is_write()
        ));
    }
    let server_blocking = flags.iter().any(|f| f == "blocking");
    if request.is_blocking() != server_blocking && !BLOCKING_EXCEPTIONS.contains(&name.as_str()) {
        return Err(format!(
            "{name}: blocking is {}, the server's flags are {flags:?}",
            request.is_blocking()
        ));
    }
    Ok(())
}
