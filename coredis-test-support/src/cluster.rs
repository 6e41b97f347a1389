//! A throw-away Redis Cluster on loopback: [`Cluster`] starts `primaries × (1 + replicas)`
//! cluster-enabled servers ([`ServerBuilder::cluster_enabled`]), joins them with
//! `redis-cli --cluster create … --cluster-replicas R --cluster-yes`, and waits until every
//! node agrees on a healthy cluster.
//!
//! "Healthy" ([`Cluster::wait_until_ok`]) means, on every running node: `cluster_state:ok`;
//! `CLUSTER NODES` lists every running node as connected, without `fail`, `fail?`,
//! `handshake` or `noaddr`; all running nodes report the same roles, primaries and slot
//! owners; every running replica's link to its primary is up (`master_link_status:up`); and
//! every running node's `CLUSTER SLOTS` lists every running node (Redis 7.0 leaves out
//! replicas that have not yet reported a replication offset).
//! Each wait has a deadline and panics with the nodes' log tails when it passes.
//!
//! The cluster's topology is read from the live nodes each time it is asked for
//! ([`Cluster::primaries`], [`Cluster::slot_owner`], …), so it stays right after a failover.
//! Dropping the [`Cluster`] kills every node and removes every temp dir.
//!
//! `redis-cli` is `$COREDIS_CLI_BIN` when set, else a `valkey-cli` or `redis-cli` beside the
//! server binary, else `/usr/bin/redis-cli` (Debian's `redis-tools`), else `redis-cli` on
//! `PATH`. Debian's redis-cli 7.0 also forms Valkey 9.1 and Redis 6.2 clusters.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::raw::{Conn, Reply};
use crate::server::{server_bin, TempDir};
use crate::{Server, ServerBuilder};

/// How long the cluster may take to become healthy (start, restart of a node).
const OK_DEADLINE: Duration = Duration::from_secs(60);
/// How long `redis-cli --cluster create` may run.
const CREATE_DEADLINE: Duration = Duration::from_secs(60);
/// Timeout of the raw connections that poll the nodes.
const POLL_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between polls.
const POLL_PAUSE: Duration = Duration::from_millis(50);
/// The number of hash slots of a Redis Cluster.
pub const SLOTS: u16 = 16384;

/// The `redis-cli` that forms clusters (see the module docs).
pub fn cli_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("COREDIS_CLI_BIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    let server = server_bin();
    if let Some(dir) = server.parent() {
        for name in ["valkey-cli", "redis-cli"] {
            let beside = dir.join(name);
            if beside.is_file() {
                return beside;
            }
        }
    }
    let debian = Path::new("/usr/bin/redis-cli");
    if debian.exists() {
        debian.to_path_buf()
    } else {
        PathBuf::from("redis-cli")
    }
}

/// The hash slot of `key`: CRC16 (XMODEM) of the key, or of its `{hash tag}` when it has a
/// non-empty one, modulo 16384. Computed here, independently of the client under test.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let rest = key.get(open + 1..)?;
            let close = rest.iter().position(|&b| b == b'}')?;
            (close > 0).then(|| rest.get(..close)).flatten()
        })
        .unwrap_or(key);
    crc16(hashed) % SLOTS
}

fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Configures a [`Cluster`]; [`ClusterBuilder::start`] launches it.
#[derive(Debug, Clone)]
pub struct ClusterBuilder {
    primaries: usize,
    replicas: usize,
    node_timeout: Duration,
    args: Vec<String>,
    tls: bool,
}

impl ClusterBuilder {
    /// Nodes that listen with TLS (one CA for all: [`Cluster::tls_files`]) and run the
    /// cluster bus and replication over TLS, so `CLUSTER SHARDS`/`SLOTS` announce the TLS
    /// ports. The plain ports stay open (the harness and `redis-cli` use them).
    pub fn tls(mut self, yes: bool) -> Self {
        self.tls = yes;
        self
    }

    /// The cluster's `cluster-node-timeout` (default 5 s): how long a node may not answer
    /// before it is flagged failing and, if a primary, replaced by one of its replicas.
    /// Shorter makes failovers quicker and spurious failures on a busy machine likelier.
    pub fn node_timeout(mut self, timeout: Duration) -> Self {
        self.node_timeout = timeout;
        self
    }

    /// One more raw argument for every node's command line (see [`ServerBuilder::arg`]).
    pub fn arg(mut self, a: &str) -> Self {
        self.args.push(a.to_owned());
        self
    }

    /// Starts the nodes, forms the cluster and waits until it is healthy (see the module
    /// docs). Panics, with the nodes' log tails, if any step fails or passes its deadline.
    pub fn start(self) -> Cluster {
        assert!(
            self.primaries >= 3,
            "redis-cli --cluster create needs at least 3 primaries, not {}",
            self.primaries
        );
        let total = self.primaries * (1 + self.replicas);
        let dir = TempDir::new();
        let tls = self.tls.then(|| {
            crate::tls::generate_certs(dir.path())
                .unwrap_or_else(|e| panic!("cannot generate TLS certificates: {e}"))
        });
        let nodes: Vec<Server> = (0..total)
            .map(|_| match &tls {
                Some(files) => self
                    .node_builder()
                    .tls_with(files.clone())
                    .cluster_tls(true)
                    .start(),
                None => self.node_builder().start(),
            })
            .collect();
        let mut cluster = Cluster {
            nodes,
            ids: Vec::new(),
            tls,
            dir,
        };
        cluster.create(self.replicas);
        cluster.ids = (0..total)
            .map(|i| match cluster.call(i, &["CLUSTER", "MYID"]) {
                Ok(Reply::Text(id)) => id,
                other => panic!("CLUSTER MYID of node {i}: {other:?}"),
            })
            .collect();
        cluster.wait_until_ok();
        cluster
    }

    fn node_builder(&self) -> ServerBuilder {
        let mut builder = cluster_node_builder(self.node_timeout);
        for a in &self.args {
            builder = builder.arg(a);
        }
        builder
    }
}

/// A [`ServerBuilder`] for one cluster-enabled node with the settings [`Cluster`] uses:
/// `cluster-node-timeout` as given, replicas always eligible for failover
/// (`cluster-replica-validity-factor 0`), no delay before a diskless full sync, and a
/// replication ping every second (so a replica's offset moves off 0 soon even without writes:
/// Redis 7.0 leaves replicas at offset 0 out of `CLUSTER SLOTS` and calls them `loading` in
/// `CLUSTER SHARDS`). Not joined to
/// anything: for tests of the commands that form a cluster (`CLUSTER MEET`, `ADDSLOTS`, …).
pub fn cluster_node_builder(node_timeout: Duration) -> ServerBuilder {
    Server::builder()
        .cluster_enabled(true)
        .arg("--cluster-node-timeout")
        .arg(&node_timeout.as_millis().max(1).to_string())
        .arg("--cluster-replica-validity-factor")
        .arg("0")
        .arg("--repl-diskless-sync-delay")
        .arg("0")
        .arg("--repl-ping-replica-period")
        .arg("1")
}

/// Starts one cluster-enabled node, not joined to anything (see [`cluster_node_builder`];
/// 5 s node timeout).
pub fn start_node() -> Server {
    cluster_node_builder(Duration::from_secs(5)).start()
}

/// What a node says about each running node, by port: (primary?, its primary's id, slots).
type Summary = BTreeMap<u16, (bool, Option<String>, Vec<(u16, u16)>)>;

/// One line of `CLUSTER NODES`, as far as the harness needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeLine {
    id: String,
    port: u16,
    flags: Vec<String>,
    primary: Option<String>,
    connected: bool,
    /// Slot ranges served (importing/migrating markers left out).
    slots: Vec<(u16, u16)>,
}

impl NodeLine {
    fn parse(line: &str) -> Option<NodeLine> {
        let mut words = line.split_whitespace();
        let id = words.next()?.to_owned();
        let addr = words.next()?;
        let host_port = addr.split(['@', ',']).next()?;
        let port = host_port.rsplit(':').next()?.parse().ok()?;
        let flags = words.next()?.split(',').map(str::to_owned).collect();
        let primary = words.next().filter(|m| *m != "-").map(str::to_owned);
        let mut words = words.skip(3); // ping-sent, pong-recv, config-epoch
        let connected = words.next()? == "connected";
        let slots = words
            .filter(|w| !w.starts_with('['))
            .filter_map(|w| match w.split_once('-') {
                Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                None => w.parse().ok().map(|s| (s, s)),
            })
            .collect();
        Some(NodeLine {
            id,
            port,
            flags,
            primary,
            connected,
            slots,
        })
    }

    fn has_flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }

    fn is_primary(&self) -> bool {
        self.has_flag("master")
    }

    fn healthy(&self) -> bool {
        self.connected
            && !["fail", "fail?", "handshake", "noaddr"]
                .iter()
                .any(|f| self.has_flag(f))
    }
}

/// A running cluster (see the module docs). Nodes are numbered in start order; the first
/// `primaries` were made primaries by `redis-cli`, but failovers change roles: ask
/// [`Cluster::primaries`] and [`Cluster::slot_owner`], which read the live cluster.
#[derive(Debug)]
pub struct Cluster {
    nodes: Vec<Server>,
    ids: Vec<String>,
    /// The certificates of a TLS cluster (one CA for every node).
    tls: Option<crate::tls::TlsFiles>,
    // Last: dropped after the nodes.
    dir: TempDir,
}

impl Cluster {
    /// Starts `primaries` primaries (at least 3) with `replicas_per_primary` replicas each
    /// and waits until the cluster is healthy (see [`ClusterBuilder::start`]).
    pub fn start(primaries: usize, replicas_per_primary: usize) -> Cluster {
        Cluster::builder(primaries, replicas_per_primary).start()
    }

    /// A builder, for a shorter node timeout or extra server arguments.
    pub fn builder(primaries: usize, replicas_per_primary: usize) -> ClusterBuilder {
        ClusterBuilder {
            primaries,
            replicas: replicas_per_primary,
            node_timeout: Duration::from_secs(5),
            args: Vec::new(),
            tls: false,
        }
    }

    /// The number of nodes (running or not).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the cluster has no nodes (never: at least 3 primaries).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node `i` (panics if out of range).
    pub fn node(&self, i: usize) -> &Server {
        &self.nodes[i]
    }

    /// Every node, in start order.
    pub fn nodes(&self) -> &[Server] {
        &self.nodes
    }

    /// `"127.0.0.1:PORT"` of every node, in start order.
    pub fn addrs(&self) -> Vec<String> {
        self.nodes.iter().map(Server::addr).collect()
    }

    /// The port of every node, in start order.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(Server::port).collect()
    }

    /// The cluster node id of node `i` (its `CLUSTER MYID`, read at start; ids survive
    /// restarts).
    pub fn node_id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    /// The index of the node with this port (plain or TLS), if it is one of ours.
    pub fn index_of_port(&self, port: u16) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.port() == port || n.tls_port() == Some(port))
    }

    /// The certificates of a TLS cluster ([`ClusterBuilder::tls`]): one CA for every node.
    pub fn tls_files(&self) -> Option<&crate::tls::TlsFiles> {
        self.tls.as_ref()
    }

    /// `"127.0.0.1:PORT"` of every node's TLS port, in start order (empty without TLS).
    pub fn tls_addrs(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter_map(|n| n.tls_port().map(|p| format!("127.0.0.1:{p}")))
            .collect()
    }

    /// The plain port of the node a port names (a TLS cluster may announce TLS ports).
    fn plain_port(&self, port: u16) -> u16 {
        self.index_of_port(port)
            .map_or(port, |i| self.nodes[i].port())
    }

    /// The indices of the current primaries that serve slots, by their first slot.
    pub fn primaries(&self) -> Vec<usize> {
        let mut owners: Vec<(u16, usize)> = self
            .view()
            .iter()
            .filter(|l| l.is_primary() && !l.has_flag("fail"))
            .filter_map(|l| Some((l.slots.first()?.0, self.index_of_port(l.port)?)))
            .collect();
        owners.sort_unstable();
        owners.into_iter().map(|(_, i)| i).collect()
    }

    /// The indices of the current replicas of node `primary`.
    pub fn replicas_of(&self, primary: usize) -> Vec<usize> {
        let id = self.node_id(primary).to_owned();
        let mut out: Vec<usize> = self
            .view()
            .iter()
            .filter(|l| !l.is_primary() && l.primary.as_deref() == Some(id.as_str()))
            .filter_map(|l| self.index_of_port(l.port))
            .collect();
        out.sort_unstable();
        out
    }

    /// The index of the primary serving `slot` now (panics if no node serves it).
    pub fn slot_owner(&self, slot: u16) -> usize {
        let view = self.view();
        view.iter()
            .filter(|l| l.is_primary())
            .find(|l| l.slots.iter().any(|&(a, b)| (a..=b).contains(&slot)))
            .and_then(|l| self.index_of_port(l.port))
            .unwrap_or_else(|| panic!("no node serves slot {slot}: {view:?}"))
    }

    /// The index of the primary serving `key` now ([`key_slot`], then [`Cluster::slot_owner`]).
    pub fn key_owner(&self, key: &[u8]) -> usize {
        self.slot_owner(key_slot(key))
    }

    /// SIGKILLs node `i` and waits for it to be gone (see [`Server::kill`]). The cluster
    /// notices after the node timeout; a killed primary's replica then takes over.
    pub fn kill_node(&mut self, i: usize) {
        self.nodes[i].kill();
    }

    /// Starts node `i` again (same port, same `nodes.conf`, so the same id; no data) and
    /// waits until the cluster is healthy ([`Cluster::wait_until_ok`]).
    pub fn restart_node(&mut self, i: usize) {
        self.nodes[i].restart();
        self.wait_until_ok();
    }

    /// Whether node `i` is running.
    pub fn is_running(&mut self, i: usize) -> bool {
        self.nodes[i].is_running()
    }

    /// Sends one command to node `i` on a fresh raw connection, reply rendered as by
    /// [`Server::command`].
    pub fn command(&self, i: usize, args: &[&str]) -> String {
        self.nodes[i].command(args)
    }

    /// Waits (up to 60 s) until the running nodes agree on a healthy cluster (see the
    /// module docs); panics with what is wrong and the nodes' log tails after that.
    pub fn wait_until_ok(&self) {
        let deadline = Instant::now() + OK_DEADLINE;
        loop {
            let problem = match self.problem() {
                None => return,
                Some(problem) => problem,
            };
            if Instant::now() > deadline {
                panic!(
                    "the cluster did not become healthy within {OK_DEADLINE:?}: {problem}\n{}",
                    self.log_tails()
                );
            }
            thread::sleep(POLL_PAUSE);
        }
    }

    /// The log tails of every node, for failure messages.
    pub fn log_tails(&self) -> String {
        self.nodes
            .iter()
            .enumerate()
            .map(|(i, n)| format!("=== node {i} ({}) ===\n{}", n.addr(), n.log_tail()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn running(&self) -> Vec<usize> {
        // `is_running` needs `&mut`; a node that answers PING counts as running.
        (0..self.nodes.len())
            .filter(|&i| matches!(self.call(i, &["PING"]), Ok(Reply::Text(_))))
            .collect()
    }

    fn call(&self, i: usize, args: &[&str]) -> std::io::Result<Reply> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.nodes[i].port()));
        Conn::connect(addr, POLL_TIMEOUT)?.call(args)
    }

    /// `CLUSTER NODES` of node `i`, parsed.
    fn nodes_of(&self, i: usize) -> Result<Vec<NodeLine>, String> {
        match self.call(i, &["CLUSTER", "NODES"]) {
            Ok(Reply::Text(text)) => Ok(text.lines().filter_map(NodeLine::parse).collect()),
            other => Err(format!("CLUSTER NODES of node {i}: {other:?}")),
        }
    }

    /// The cluster as the first running node sees it.
    fn view(&self) -> Vec<NodeLine> {
        let running = self.running();
        running
            .iter()
            .find_map(|&i| self.nodes_of(i).ok())
            .unwrap_or_else(|| panic!("no node of the cluster answers CLUSTER NODES"))
    }

    /// What keeps the cluster from being healthy, or `None`.
    fn problem(&self) -> Option<String> {
        let running = self.running();
        if running.is_empty() {
            return Some("no node is running".into());
        }
        let ports: BTreeSet<u16> = running.iter().map(|&i| self.nodes[i].port()).collect();
        // What every running node says about the running nodes.
        let mut first: Option<(usize, Summary)> = None;
        for &i in &running {
            match self.call(i, &["CLUSTER", "INFO"]) {
                Ok(Reply::Text(info)) if info.contains("cluster_state:ok") => {}
                other => return Some(format!("node {i}: CLUSTER INFO {other:?}")),
            }
            let mut lines = match self.nodes_of(i) {
                Ok(lines) => lines,
                Err(e) => return Some(e),
            };
            for l in &mut lines {
                l.port = self.plain_port(l.port);
            }
            let mut summary = Summary::new();
            for line in lines.iter().filter(|l| ports.contains(&l.port)) {
                if !line.healthy() {
                    return Some(format!("node {i} sees {line:?}"));
                }
                summary.insert(
                    line.port,
                    (line.is_primary(), line.primary.clone(), line.slots.clone()),
                );
            }
            if summary.len() != ports.len() {
                return Some(format!(
                    "node {i} knows {summary:?}, not every port of {ports:?}"
                ));
            }
            match &first {
                None => first = Some((i, summary)),
                Some((j, theirs)) if *theirs != summary => {
                    return Some(format!(
                        "node {i} sees {summary:?} but node {j} sees {theirs:?}"
                    ))
                }
                Some(_) => {}
            }
        }
        // Every running node is in every running node's CLUSTER SLOTS.
        for &i in &running {
            let listed = match self.call(i, &["CLUSTER", "SLOTS"]) {
                Ok(Reply::Many(ranges)) => slots_ports(&ranges)
                    .into_iter()
                    .map(|p| self.plain_port(p))
                    .collect::<BTreeSet<u16>>(),
                other => return Some(format!("node {i}: CLUSTER SLOTS {other:?}")),
            };
            let wanted: BTreeSet<u16> = ports
                .iter()
                .copied()
                .filter(|p| summary_has_role(&first, *p))
                .collect();
            if !wanted.is_subset(&listed) {
                return Some(format!(
                    "node {i}: CLUSTER SLOTS lists {listed:?}, not all of {wanted:?}"
                ));
            }
        }
        // Replicas of running primaries: their replication link is up.
        let (_, summary) = first?;
        for &i in &running {
            let Some((false, Some(primary), _)) = summary.get(&self.nodes[i].port()) else {
                continue;
            };
            let primary_running = self
                .ids
                .iter()
                .position(|id| id == primary)
                .map_or(true, |p| running.contains(&p));
            if !primary_running {
                continue;
            }
            match self.call(i, &["INFO", "replication"]) {
                Ok(Reply::Text(info)) if info.contains("master_link_status:up") => {}
                other => return Some(format!("replica {i}: link not up: {other:?}")),
            }
        }
        None
    }

    /// Runs `redis-cli --cluster create` over every node.
    fn create(&self, replicas: usize) {
        let out = self.dir.path().join("create.log");
        let file = File::create(&out).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
        let cli = cli_bin();
        let mut cmd = Command::new(&cli);
        cmd.arg("--cluster")
            .arg("create")
            .args(self.addrs())
            .arg("--cluster-replicas")
            .arg(replicas.to_string())
            .arg("--cluster-yes")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap_or_else(|e| panic!("{e}")))
            .stderr(file);
        let child = crate::process::spawn_with_parent_death(cmd)
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", cli.display()));
        let mut child = KillOnDrop(child);
        let deadline = Instant::now() + CREATE_DEADLINE;
        let status = loop {
            match child.0.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(POLL_PAUSE),
                _ => break None,
            }
        };
        let output = std::fs::read_to_string(&out).unwrap_or_default();
        match status {
            Some(status) if status.success() => {}
            Some(status) => panic!(
                "{} --cluster create failed ({status}):\n{output}\n{}",
                cli.display(),
                self.log_tails()
            ),
            None => panic!(
                "{} --cluster create did not finish within {CREATE_DEADLINE:?}:\n{output}\n{}",
                cli.display(),
                self.log_tails()
            ),
        }
    }
}

/// The ports of the nodes a `CLUSTER SLOTS` reply lists.
fn slots_ports(ranges: &[Reply]) -> BTreeSet<u16> {
    ranges
        .iter()
        .filter_map(|r| match r {
            Reply::Many(items) => Some(items.iter().skip(2)),
            _ => None,
        })
        .flatten()
        .filter_map(|node| match node {
            Reply::Many(fields) => match fields.get(1) {
                Some(Reply::Text(port)) => port.parse().ok(),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Whether `port` is a primary, or a replica of a primary, in the summary (not a primary
/// without slots, which `CLUSTER SLOTS` leaves out).
fn summary_has_role(first: &Option<(usize, Summary)>, port: u16) -> bool {
    let Some((_, summary)) = first else {
        return false;
    };
    match summary.get(&port) {
        Some((true, _, slots)) => !slots.is_empty(),
        Some((false, Some(_), _)) => true,
        _ => false,
    }
}

/// Kills (and reaps) the child when dropped, also on unwind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    #[test]
    fn key_slots_match_the_cluster_spec() {
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(key_slot(b"123456789"), 12739);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") % SLOTS);
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
    }

    #[test]
    fn node_lines_parse() {
        let line = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@40001,host \
                    myself,master - 0 1426238316232 1 connected 0-5460 7000 \
                    [5461->-0123] [5462-<-0123]";
        let l = NodeLine::parse(line).unwrap();
        assert_eq!(l.port, 30001);
        assert!(l.is_primary() && l.healthy());
        assert_eq!(l.primary, None);
        assert_eq!(l.slots, vec![(0, 5460), (7000, 7000)]);
        let l = NodeLine::parse("abc 127.0.0.1:30004@40004 slave,fail? abc 0 0 1 disconnected")
            .unwrap();
        assert!(!l.is_primary() && !l.healthy());
        assert_eq!(l.primary.as_deref(), Some("abc"));
    }

    /// 3 primaries, 1 replica each: healthy, every slot served, a key readable where it
    /// lives, replicas following their primaries; the accessors agree with the raw client;
    /// dropping it stops every node and removes the temp dirs.
    #[test]
    fn a_cluster_starts_serves_and_is_cleaned_up() {
        let started = Instant::now();
        let cluster = Cluster::start(3, 1);
        crate::note(&format!("cluster of 6 healthy in {:?}", started.elapsed()));
        assert_eq!(cluster.len(), 6);
        let primaries = cluster.primaries();
        assert_eq!(
            primaries.len(),
            3,
            "{}",
            cluster.command(0, &["CLUSTER", "NODES"])
        );
        for &p in &primaries {
            let replicas = cluster.replicas_of(p);
            assert_eq!(replicas.len(), 1, "replicas of {p}");
            let role = cluster.command(replicas[0], &["ROLE"]);
            assert!(role.starts_with("slave\n127.0.0.1\n"), "{role}");
            assert!(role.contains(&cluster.node(p).port().to_string()), "{role}");
        }
        for slot in [0, 5000, 10000, SLOTS - 1] {
            assert!(primaries.contains(&cluster.slot_owner(slot)));
        }
        let key = "{harness}key";
        let owner = cluster.key_owner(key.as_bytes());
        assert_eq!(
            cluster.command(owner, &["CLUSTER", "KEYSLOT", key]),
            key_slot(key.as_bytes()).to_string()
        );
        assert_eq!(cluster.command(owner, &["SET", key, "v"]), "OK");
        assert_eq!(cluster.command(owner, &["GET", key]), "v");
        let other = primaries.iter().find(|&&p| p != owner).copied().unwrap();
        let moved = cluster.command(other, &["GET", key]);
        assert!(
            moved.starts_with(&format!("(error) MOVED {}", key_slot(key.as_bytes()))),
            "{moved}"
        );
        for i in 0..cluster.len() {
            assert_eq!(cluster.command(i, &["CLUSTER", "MYID"]), cluster.node_id(i));
        }

        let dirs: Vec<PathBuf> = cluster.nodes().iter().map(|n| n.dir().to_owned()).collect();
        let ports = cluster.ports();
        let cli_dir = cluster.dir.path().to_owned();
        drop(cluster);
        for dir in dirs.iter().chain([&cli_dir]) {
            assert!(!dir.exists(), "{} left behind", dir.display());
        }
        for port in ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            assert!(
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err(),
                "a node still listens on {port}"
            );
        }
    }

    /// A killed primary is replaced by its replica (short node timeout), and comes back as a
    /// replica of it after a restart; the cluster is healthy again.
    #[test]
    fn a_killed_primary_fails_over_and_rejoins() {
        let mut cluster = Cluster::builder(3, 1)
            .node_timeout(Duration::from_millis(2000))
            .start();
        let victim = cluster.slot_owner(0);
        let replica = cluster.replicas_of(victim)[0];
        cluster.kill_node(victim);
        assert!(!cluster.is_running(victim));
        let deadline = Instant::now() + OK_DEADLINE;
        while cluster.slot_owner(0) != replica {
            assert!(
                Instant::now() < deadline,
                "no failover within {OK_DEADLINE:?}\n{}",
                cluster.log_tails()
            );
            thread::sleep(Duration::from_millis(100));
        }
        cluster.wait_until_ok();
        cluster.restart_node(victim);
        assert_eq!(cluster.slot_owner(0), replica);
        assert_eq!(cluster.replicas_of(replica), vec![victim]);
        assert_eq!(
            cluster.command(victim, &["CLUSTER", "MYID"]),
            cluster.node_id(victim)
        );
    }

    #[test]
    fn a_lone_node_is_cluster_enabled() {
        let node = start_node();
        let info = node.command(&["CLUSTER", "INFO"]);
        assert!(info.contains("cluster_state:fail"), "{info}");
        assert!(info.contains("cluster_known_nodes:1"), "{info}");
        let nodes = node.command(&["CLUSTER", "NODES"]);
        let bus = node.port() + crate::server::CLUSTER_BUS_OFFSET;
        assert!(nodes.contains(&format!("@{bus}")), "{nodes}");
    }
}
