//! Where a command goes in a cluster when its keys do not name one slot, and how the replies
//! of its parts merge.
//!
//! Owns: the rules for keyless commands that must reach more than one node ([`keyless`]: the
//! `DBSIZE`s are summed, the `KEYS` concatenated, `FLUSHALL` and `SCRIPT LOAD` run everywhere,
//! …; every other keyless command goes to one primary), the rules for multi-key commands that
//! may be split per slot ([`split_rule`]: `MGET`, `MSET`, `DEL`, `UNLINK`, `EXISTS`, `TOUCH`),
//! the splitting itself and [`MergeKind`].
//!
//! The rules are a table keyed by the command's words rather than flags on each command's
//! definition, on purpose: they are few (a dozen), and they must apply to commands built with
//! [`crate::cmd()`] too, which carry no flags.
//!
//! Must not: know nodes or send anything (the cluster client does).

use std::collections::BTreeMap;

use crate::cmd::{Cmd, Request};
use crate::error::{Error, ErrorKind, Result};
use crate::route::key_slot;
use crate::value::Value;

/// Which nodes a keyless command goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fan {
    /// One primary.
    One,
    /// Every primary.
    Primaries,
    /// Every node the client knows: primaries and replicas.
    AllNodes,
    /// Nowhere: the command makes no sense on a cluster as one request (`SCAN`'s cursor
    /// belongs to one node: use `RedisCluster::scan_iter`).
    Refused,
}

/// How the replies of a request's parts become one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MergeKind {
    /// Integers added up (`DBSIZE`, `DEL`, `EXISTS`).
    Sum,
    /// Arrays concatenated (`KEYS`).
    Concat,
    /// Every part must succeed; the first reply is the reply (`FLUSHALL`, `MSET`).
    AllOk,
    /// Arrays of 0/1 combined element by element: 1 only where every part says 1
    /// (`SCRIPT EXISTS`).
    And,
    /// Part `i`'s array elements go to the positions `positions[i]` (`MGET`).
    InOrder(Vec<Vec<usize>>),
}

/// The rule for a keyless command: `(Fan::One, AllOk)` unless the table says otherwise.
pub(crate) fn keyless(request: &Request) -> (Fan, MergeKind) {
    let mut words = request.args();
    let first = upper(words.next().unwrap_or_default());
    let mut second = || upper(words.next().unwrap_or_default());
    match first.as_str() {
        "SCAN" => (Fan::Refused, MergeKind::AllOk),
        "DBSIZE" => (Fan::Primaries, MergeKind::Sum),
        "KEYS" => (Fan::Primaries, MergeKind::Concat),
        "FLUSHALL" | "FLUSHDB" => (Fan::Primaries, MergeKind::AllOk),
        "SCRIPT" => match second().as_str() {
            "LOAD" | "FLUSH" => (Fan::AllNodes, MergeKind::AllOk),
            "EXISTS" => (Fan::AllNodes, MergeKind::And),
            _ => (Fan::One, MergeKind::AllOk),
        },
        "FUNCTION" => match second().as_str() {
            "LOAD" | "DELETE" | "FLUSH" | "RESTORE" => (Fan::Primaries, MergeKind::AllOk),
            _ => (Fan::One, MergeKind::AllOk),
        },
        _ => (Fan::One, MergeKind::AllOk),
    }
}

/// How a multi-key command may be split: arguments per key (1, or 2 for `MSET`'s key-value
/// pairs) and the merge. `None`: it cannot be split (it must run as one request).
pub(crate) fn split_rule(request: &Request) -> Option<(&'static str, usize, MergeKind)> {
    let first = upper(request.args().next().unwrap_or_default());
    let (name, step, merge) = match first.as_str() {
        "MGET" => ("MGET", 1, MergeKind::InOrder(Vec::new())),
        "MSET" => ("MSET", 2, MergeKind::AllOk),
        "DEL" => ("DEL", 1, MergeKind::Sum),
        "UNLINK" => ("UNLINK", 1, MergeKind::Sum),
        "EXISTS" => ("EXISTS", 1, MergeKind::Sum),
        "TOUCH" => ("TOUCH", 1, MergeKind::Sum),
        _ => return None,
    };
    // Only the plain form: the name, then keys (each followed by step-1 values).
    let expected: Vec<usize> = (0..request.key_positions().len())
        .map(|i| 1 + i * step)
        .collect();
    (request.key_positions() == expected.as_slice()
        && request.arg_count() == 1 + expected.len() * step)
        .then_some((name, step, merge))
}

/// Splits `request` per slot by the rule of [`split_rule`]: one command per slot, in the order
/// of each slot's first key, and the merge (with `MGET`'s positions filled in).
pub(crate) fn split(
    request: &Request,
    name: &'static str,
    step: usize,
    merge: MergeKind,
) -> (Vec<(u16, Cmd<Value>)>, MergeKind) {
    let words: Vec<&[u8]> = request.args().collect();
    // A part reads when the whole does (`MGET`, `EXISTS`: replicas may serve it, the
    // client-side cache may answer it).
    let new_part = || {
        let c = Cmd::new(name);
        if request.is_readonly() {
            c.readonly()
        } else {
            c
        }
    };
    let mut groups: BTreeMap<u16, (usize, Cmd<Value>, Vec<usize>)> = BTreeMap::new();
    for (i, &at) in request.key_positions().iter().enumerate() {
        let Some(key) = words.get(at) else { continue };
        let slot = key_slot(key);
        let order = groups.len();
        let entry = groups
            .entry(slot)
            .or_insert_with(|| (order, new_part(), Vec::new()));
        let mut c = std::mem::replace(&mut entry.1, new_part()).key(*key);
        for value in words.iter().skip(at + 1).take(step - 1) {
            c = c.arg(*value);
        }
        entry.1 = c;
        entry.2.push(i);
    }
    let mut parts: Vec<(usize, u16, Cmd<Value>, Vec<usize>)> = groups
        .into_iter()
        .map(|(slot, (order, c, keys))| (order, slot, c, keys))
        .collect();
    parts.sort_by_key(|p| p.0);
    let merge = match merge {
        MergeKind::InOrder(_) => MergeKind::InOrder(parts.iter().map(|p| p.3.clone()).collect()),
        other => other,
    };
    (
        parts.into_iter().map(|(_, slot, c, _)| (slot, c)).collect(),
        merge,
    )
}

/// Whether a server error is a redirection (`MOVED`, `ASK`) or a cluster condition worth
/// another attempt (`TRYAGAIN`, `CLUSTERDOWN`, `LOADING`, `MASTERDOWN`, `READONLY` after a
/// failover demoted the node).
pub(crate) fn is_retriable(code: &crate::error::ServerCode) -> bool {
    use crate::error::ServerCode;
    matches!(
        code,
        ServerCode::Moved { .. }
            | ServerCode::Ask { .. }
            | ServerCode::TryAgain
            | ServerCode::ClusterDown
            | ServerCode::Loading
            | ServerCode::MasterDown
            | ServerCode::ReadOnly
    )
}

/// The error for a keyless command a cluster client does not send (see [`Fan::Refused`]).
pub(crate) fn refused(request: &Request) -> Error {
    Error::new(
        ErrorKind::Usage,
        "SCAN's cursor belongs to one node: use RedisCluster::scan_iter for the whole cluster, \
         or a node's client (RedisCluster::primaries) for one node",
    )
    .with_command(request.name())
}

/// The error for a command whose keys span slots and that cannot be split.
pub(crate) fn cross_slot(request: &Request) -> Error {
    Error::new(
        ErrorKind::Usage,
        "the keys hash to different slots (CROSSSLOT): in a cluster a multi-key command runs \
         only when all its keys share a slot (use a {hash tag}); MGET, MSET, DEL, UNLINK, \
         EXISTS and TOUCH are split per slot by the client",
    )
    .with_command(request.name())
}

/// Merges the results of a request's parts, in order; the first error wins.
pub(crate) fn merge(kind: &MergeKind, results: Vec<Result<Value>>) -> Result<Value> {
    let values: Vec<Value> = results.into_iter().collect::<Result<_>>()?;
    let unexpected = |what: &str, v: &Value| {
        Error::protocol(format!(
            "a cluster part's reply cannot be merged: expected {what}, got {:.60}",
            format!("{v:?}")
        ))
    };
    match kind {
        MergeKind::AllOk => values
            .into_iter()
            .next()
            .ok_or_else(|| Error::protocol("no node replied")),
        MergeKind::Sum => {
            let mut sum: i64 = 0;
            for v in &values {
                match v {
                    Value::Int(n) => sum = sum.saturating_add(*n),
                    other => return Err(unexpected("an integer", other)),
                }
            }
            Ok(Value::Int(sum))
        }
        MergeKind::Concat => {
            let mut all = Vec::new();
            for v in values {
                match v {
                    Value::Array(items) | Value::Set(items) => all.extend(items),
                    other => return Err(unexpected("an array", &other)),
                }
            }
            Ok(Value::Array(all))
        }
        MergeKind::And => {
            let mut out: Option<Vec<Value>> = None;
            for v in values {
                let Value::Array(items) = v else {
                    return Err(unexpected("an array", &v));
                };
                out = Some(match out {
                    None => items,
                    Some(prev) => prev
                        .into_iter()
                        .zip(items)
                        .map(|(a, b)| match (&a, &b) {
                            (Value::Int(1), Value::Int(1)) => Value::Int(1),
                            _ => Value::Int(0),
                        })
                        .collect(),
                });
            }
            Ok(Value::Array(out.unwrap_or_default()))
        }
        MergeKind::InOrder(positions) => {
            let total = positions.iter().map(Vec::len).sum();
            let mut out = vec![Value::Nil; total];
            for (v, places) in values.into_iter().zip(positions) {
                let Value::Array(items) = v else {
                    return Err(unexpected("an array", &v));
                };
                if items.len() != places.len() {
                    return Err(Error::protocol(
                        "a cluster part's reply has the wrong number of elements",
                    ));
                }
                for (item, &at) in items.into_iter().zip(places) {
                    if let Some(slot) = out.get_mut(at) {
                        *slot = item;
                    }
                }
            }
            Ok(Value::Array(out))
        }
    }
}

fn upper(word: &[u8]) -> String {
    String::from_utf8_lossy(word).to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{Build, GenericCommands, ServerCommands, StringCommands};

    #[test]
    fn keyless_rules() {
        assert_eq!(
            keyless(Build.dbsize().request()),
            (Fan::Primaries, MergeKind::Sum)
        );
        assert_eq!(
            keyless(crate::cmd("script").arg("load").arg("x").request()).0,
            Fan::AllNodes
        );
        assert_eq!(keyless(crate::cmd("PING").request()).0, Fan::One);
    }

    #[test]
    fn mget_splits_and_merges_in_order() {
        let c = Build.mget::<Value>(["a", "b", "{a}x", "c"]);
        let (name, step, kind) = split_rule(c.request()).unwrap();
        let (parts, kind) = split(c.request(), name, step, kind);
        assert!(parts.len() >= 2);
        let first: Vec<&[u8]> = parts[0].1.request().args().collect();
        assert_eq!(first, [&b"MGET"[..], b"a", b"{a}x"]);
        // The parts read as the whole does (replicas and the client-side cache may serve them).
        assert!(parts.iter().all(|(_, p)| p.request().is_readonly()));
        let (mset, _) = split(
            Build.mset([("a", 1), ("b", 2)]).request(),
            "MSET",
            2,
            MergeKind::AllOk,
        );
        assert!(mset.iter().all(|(_, p)| !p.request().is_readonly()));
        let replies: Vec<Result<Value>> = parts
            .iter()
            .map(|(_, c)| {
                Ok(Value::Array(
                    c.request()
                        .args()
                        .skip(1)
                        .map(|k| Value::Bulk(k.to_vec().into()))
                        .collect(),
                ))
            })
            .collect();
        let merged = merge(&kind, replies).unwrap();
        let keys: Vec<String> = crate::FromValue::from_value(merged).unwrap();
        assert_eq!(keys, ["a", "b", "{a}x", "c"]);
    }

    #[test]
    fn mset_keeps_pairs_and_options_are_not_split() {
        let c = Build.mset([("a", 1), ("b", 2)]);
        let (name, step, kind) = split_rule(c.request()).unwrap();
        let (parts, _) = split(c.request(), name, step, kind);
        let words: Vec<Vec<&[u8]>> = parts
            .iter()
            .map(|(_, c)| c.request().args().collect())
            .collect();
        assert!(words.contains(&vec![&b"MSET"[..], b"a", b"1"]));
        assert!(words.contains(&vec![&b"MSET"[..], b"b", b"2"]));
        assert!(split_rule(crate::cmd("GET").request()).is_none());
        assert!(split_rule(Build.del(["a", "b"]).request()).is_some());
    }

    #[test]
    fn merges() {
        let ints = |v: &[i64]| Value::Array(v.iter().map(|n| Value::Int(*n)).collect());
        assert_eq!(
            merge(&MergeKind::Sum, vec![Ok(Value::Int(2)), Ok(Value::Int(3))]).unwrap(),
            Value::Int(5)
        );
        assert_eq!(
            merge(
                &MergeKind::And,
                vec![Ok(ints(&[1, 1, 0])), Ok(ints(&[1, 0, 0]))]
            )
            .unwrap(),
            ints(&[1, 0, 0])
        );
        assert!(merge(&MergeKind::Sum, vec![Ok(Value::Nil)]).is_err());
        let err = Error::new(ErrorKind::Io, "down");
        assert!(merge(&MergeKind::AllOk, vec![Ok(Value::Nil), Err(err)]).is_err());
    }
}
