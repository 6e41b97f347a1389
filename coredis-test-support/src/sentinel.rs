//! A throw-away Sentinel deployment on loopback: [`SentinelGroup`] starts a primary, its
//! replicas (`--replicaof`) and Sentinels monitoring it, and waits until everyone agrees.
//!
//! The Sentinels are the server binary under test run as `<server> sentinel.conf
//! --sentinel` ([`ServerBuilder::sentinel`](crate::ServerBuilder::sentinel)): Debian's `redis-sentinel` is the same program
//! as its `redis-server`, and `valkey-server` and Redis 6.2's `redis-server` run as
//! Sentinels the same way, so a Valkey run tests Valkey's Sentinel. Each Sentinel's config:
//!
//! ```text
//! sentinel monitor <name> 127.0.0.1 <primary port> <quorum: 2, or 1 with one sentinel>
//! sentinel down-after-milliseconds <name> 1000
//! sentinel failover-timeout <name> 3000
//! ```
//!
//! "Healthy" ([`SentinelGroup::wait_until_healthy`]) means: every Sentinel reports the same
//! primary, flagged only `master`, on its announced port, with every other data server as a
//! replica flagged only `slave` on its announced port, and every other Sentinel flagged only
//! `sentinel` (connected); the primary says `role:master`; every replica follows it (on the
//! primary's announced port) with its link up.
//!
//! # TLS
//!
//! With [`SentinelGroupBuilder::tls`] every process also listens with TLS, all with
//! certificates of one CA ([`SentinelGroup::tls_files`]), and every process's outgoing links
//! use TLS too ([`ServerBuilder::tls_replication`](crate::ServerBuilder::tls_replication)):
//! replicas follow their primary's TLS port and announce their own TLS port to it, the
//! Sentinels monitor the primary's TLS port (`sentinel monitor <name> 127.0.0.1 <primary TLS
//! port> ...`), talk TLS to the data servers and to each other, and announce their own TLS
//! ports in their hello messages. So every address a Sentinel reports — primary, replicas,
//! other Sentinels — is a TLS port: the "announced port" of a process is its TLS port in a
//! TLS group and its plain port otherwise. The plain ports stay open for the harness's polls. Each wait has a deadline and
//! panics with the log tails after it. Dropping the group kills every process and removes
//! every temp dir.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use crate::raw::{Conn, Reply};
use crate::server::TempDir;
use crate::tls::TlsFiles;
use crate::{Server, ServerBuilder};

/// How long the group may take to become healthy, or a failover to complete.
const DEADLINE: Duration = Duration::from_secs(60);
/// Timeout of the raw connections that poll the processes.
const POLL_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between polls.
const POLL_PAUSE: Duration = Duration::from_millis(50);

/// Builds a [`SentinelGroup`]: by default one replica and three Sentinels, no password.
#[derive(Debug, Clone)]
#[must_use]
pub struct SentinelGroupBuilder {
    name: String,
    replicas: usize,
    sentinels: usize,
    password: Option<String>,
    data_args: Vec<String>,
    /// An ACL user of their own for the Sentinels on the data servers.
    sentinel_user: Option<(String, String)>,
    tls: bool,
}

impl SentinelGroupBuilder {
    /// How many replicas the primary gets.
    pub fn replicas(mut self, n: usize) -> Self {
        self.replicas = n;
        self
    }

    /// How many Sentinels monitor it (quorum 2, or 1 with one Sentinel).
    pub fn sentinels(mut self, n: usize) -> Self {
        self.sentinels = n;
        self
    }

    /// `requirepass` on every data server and every Sentinel (replicas get `masterauth`, the
    /// Sentinels `sentinel auth-pass` and `sentinel sentinel-pass`); the harness's own polls
    /// authenticate.
    pub fn password(mut self, p: &str) -> Self {
        self.password = Some(p.to_owned());
        self
    }

    /// The Sentinels talk to the data servers as ACL user `user` with password `pass`
    /// (`sentinel auth-user` / `auth-pass`; the user may do everything), so a test can cut
    /// them off the data servers (`ACL SETUSER <user> -@all`) while clients still reach them:
    /// a partition of the Sentinels from the primary. Not with [`Self::password`].
    pub fn sentinel_user(mut self, user: &str, pass: &str) -> Self {
        self.sentinel_user = Some((user.to_owned(), pass.to_owned()));
        self
    }

    /// Every data server and Sentinel listens with TLS too, and all their links use TLS (see
    /// the module docs). [`SentinelGroupBuilder::start`] panics if the server binary has no
    /// TLS: guard the test with [`crate::tls_or_skip`].
    pub fn tls(mut self, yes: bool) -> Self {
        self.tls = yes;
        self
    }

    /// One more argument for every data server's command line (`"--min-replicas-to-write 1"`).
    pub fn data_arg(mut self, a: &str) -> Self {
        self.data_args.push(a.to_owned());
        self
    }

    /// Starts the group and waits until it is healthy (see [`SentinelGroup::start`]).
    pub fn start(self) -> SentinelGroup {
        let SentinelGroupBuilder {
            name,
            replicas,
            sentinels,
            password,
            data_args,
            sentinel_user,
            tls,
        } = self;
        let name = name.as_str();
        assert!(
            sentinels >= 1,
            "a SentinelGroup needs at least one sentinel"
        );
        assert!(
            !name.is_empty() && !name.contains(char::is_whitespace),
            "the master name must be one word: {name:?}"
        );
        let certs = tls.then(TempDir::new);
        let tls_files = certs.as_ref().map(|dir| {
            crate::tls::generate_certs(dir.path())
                .unwrap_or_else(|e| panic!("cannot generate TLS certificates: {e}"))
        });
        let with_tls = |b: ServerBuilder| match &tls_files {
            Some(files) => b.tls_with(files.clone()).tls_replication(true),
            None => b,
        };
        let data = || {
            let mut b = with_tls(Server::builder())
                .arg("--repl-diskless-sync-delay")
                .arg("0");
            for a in &data_args {
                b = b.arg(a);
            }
            if let Some(p) = &password {
                b = b.password(p).arg("--masterauth").arg(p);
            }
            if let Some((user, pass)) = &sentinel_user {
                b = b.arg("--user").arg(user).arg("on").arg(&format!(">{pass}"));
                b = b.arg("~*").arg("&*").arg("+@all");
            }
            b
        };
        let primary = data().start();
        let port = announced_port(&primary).to_string();
        let mut servers = vec![primary];
        for _ in 0..replicas {
            let replica = data()
                .arg("--replicaof")
                .arg("127.0.0.1")
                .arg(&port)
                .start();
            servers.push(replica);
        }
        let quorum = sentinels.min(2);
        let mut config = format!(
            "sentinel monitor {name} 127.0.0.1 {port} {quorum}\n\
             sentinel down-after-milliseconds {name} 1000\n\
             sentinel failover-timeout {name} 3000"
        );
        if let Some(p) = &password {
            config.push_str(&format!(
                "\nsentinel auth-pass {name} {p}\nsentinel sentinel-pass {p}"
            ));
        }
        if let Some((user, pass)) = &sentinel_user {
            config.push_str(&format!(
                "\nsentinel auth-user {name} {user}\nsentinel auth-pass {name} {pass}"
            ));
        }
        let sentinels = (0..sentinels)
            .map(|_| {
                let b = with_tls(Server::builder().sentinel(&config));
                match &password {
                    Some(p) => b.password(p),
                    None => b,
                }
                .start()
            })
            .collect();
        let group = SentinelGroup {
            name: name.to_owned(),
            servers,
            sentinels,
            tls: tls_files,
            _certs: certs,
        };
        group.wait_for(0);
        group
    }
}

/// A primary, its replicas and the Sentinels that monitor them (see the module docs).
///
/// The data servers are numbered in start order: 0 is the first primary, `1..` its replicas.
/// After a failover another one is the primary: ask [`SentinelGroup::primary`].
#[derive(Debug)]
pub struct SentinelGroup {
    name: String,
    servers: Vec<Server>,
    sentinels: Vec<Server>,
    /// The certificates of a TLS group (one CA for every process).
    tls: Option<TlsFiles>,
    // Last: the certificates' dir, removed after every process is gone.
    _certs: Option<TempDir>,
}

impl SentinelGroup {
    /// Starts a primary with `replicas` replicas and `sentinels` Sentinels monitoring it
    /// under `name`, and waits until the group is healthy (up to 60 s; Sentinels find each
    /// other through hello messages sent every 2 s). Panics with the log tails otherwise.
    pub fn start(name: &str, replicas: usize, sentinels: usize) -> SentinelGroup {
        SentinelGroup::builder(name)
            .replicas(replicas)
            .sentinels(sentinels)
            .start()
    }

    /// A builder, for a group with a password or extra data-server arguments.
    pub fn builder(name: &str) -> SentinelGroupBuilder {
        SentinelGroupBuilder {
            name: name.to_owned(),
            replicas: 1,
            sentinels: 3,
            password: None,
            data_args: Vec::new(),
            sentinel_user: None,
            tls: false,
        }
    }

    /// The name the Sentinels monitor the primary under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The data servers: 0 started as the primary, the others as its replicas.
    pub fn servers(&self) -> &[Server] {
        &self.servers
    }

    /// Data server `i`, mutable (to kill or restart it).
    pub fn server_mut(&mut self, i: usize) -> &mut Server {
        &mut self.servers[i]
    }

    /// The Sentinels.
    pub fn sentinels(&self) -> &[Server] {
        &self.sentinels
    }

    /// Sentinel `i`, mutable (to kill or restart it).
    pub fn sentinel_mut(&mut self, i: usize) -> &mut Server {
        &mut self.sentinels[i]
    }

    /// `"127.0.0.1:PORT"` of every Sentinel.
    pub fn sentinel_addrs(&self) -> Vec<String> {
        self.sentinels.iter().map(Server::addr).collect()
    }

    /// The port of every Sentinel.
    pub fn sentinel_ports(&self) -> Vec<u16> {
        self.sentinels.iter().map(Server::port).collect()
    }

    /// The TLS port of every Sentinel (empty unless started with
    /// [`SentinelGroupBuilder::tls`]).
    pub fn sentinel_tls_ports(&self) -> Vec<u16> {
        self.sentinels.iter().filter_map(Server::tls_port).collect()
    }

    /// The certificates of a TLS group ([`SentinelGroupBuilder::tls`]): one CA signed every
    /// process's server certificate. `None` without TLS.
    pub fn tls_files(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The port the Sentinels report for data server `i` (and its replicas follow it on): its
    /// TLS port in a TLS group, else its plain port.
    pub fn announced_port(&self, i: usize) -> u16 {
        announced_port(&self.servers[i])
    }

    /// The index (into [`SentinelGroup::servers`]) of the data server with this port, plain
    /// or TLS, if it is one of ours.
    pub fn index_of_port(&self, port: u16) -> Option<usize> {
        self.servers
            .iter()
            .position(|s| s.port() == port || s.tls_port() == Some(port))
    }

    /// The index (into [`SentinelGroup::servers`]) of the primary, as the first Sentinel that
    /// answers reports it now. Panics if none answers or the address is not one of ours.
    pub fn primary(&self) -> usize {
        let port = self
            .sentinels
            .iter()
            .find_map(|s| primary_port_per(s, &self.name))
            .unwrap_or_else(|| panic!("no sentinel answers\n{}", self.log_tails()));
        self.index_of_port(port)
            .unwrap_or_else(|| panic!("the sentinels report a primary on port {port}, not ours"))
    }

    /// `"127.0.0.1:PORT"` of the primary now (see [`SentinelGroup::primary`]).
    pub fn primary_addr(&self) -> String {
        self.servers[self.primary()].addr()
    }

    /// Makes the first Sentinel fail the primary over (`SENTINEL FAILOVER`, retried while it
    /// answers with an error such as `-INPROG`), and waits until every Sentinel reports
    /// another primary, that server says `role:master`, and the other replicas follow it with
    /// their link up. Returns the new primary's index. The old primary (if running) is turned
    /// into a replica by the Sentinels some seconds later; [`SentinelGroup::wait_until_healthy`]
    /// waits for that too. Panics with the log tails after 60 s.
    pub fn failover(&self) -> usize {
        let old = self.primary();
        let deadline = Instant::now() + DEADLINE;
        loop {
            match call(&self.sentinels[0], &["SENTINEL", "FAILOVER", &self.name]) {
                Ok(Reply::Text(ok)) if ok == "OK" => break,
                other => {
                    if Instant::now() > deadline {
                        panic!(
                            "SENTINEL FAILOVER kept failing: {other:?}\n{}",
                            self.log_tails()
                        );
                    }
                    thread::sleep(Duration::from_millis(200));
                }
            }
        }
        loop {
            let problem = self.failover_problem(old);
            match problem {
                Ok(new) => return new,
                Err(problem) if Instant::now() > deadline => panic!(
                    "the failover did not complete within {DEADLINE:?}: {problem}\n{}",
                    self.log_tails()
                ),
                Err(_) => thread::sleep(POLL_PAUSE),
            }
        }
    }

    /// Waits (up to 60 s) until the group is healthy around the primary the Sentinels report
    /// (see the module docs); panics with what is wrong and the log tails after that.
    pub fn wait_until_healthy(&self) {
        self.wait_for(self.primary());
    }

    /// The log tails of every process, for failure messages.
    pub fn log_tails(&self) -> String {
        let data = self
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| format!("=== server {i} ({}) ===\n{}", s.addr(), s.log_tail()));
        let sentinels = self
            .sentinels
            .iter()
            .enumerate()
            .map(|(i, s)| format!("=== sentinel {i} ({}) ===\n{}", s.addr(), s.log_tail()));
        data.chain(sentinels).collect::<Vec<_>>().join("\n")
    }

    fn wait_for(&self, primary: usize) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            match self.problem(primary) {
                None => return,
                Some(problem) if Instant::now() > deadline => panic!(
                    "the sentinel group did not become healthy within {DEADLINE:?}: \
                     {problem}\n{}",
                    self.log_tails()
                ),
                Some(_) => thread::sleep(POLL_PAUSE),
            }
        }
    }

    /// After a failover away from `old`: the new primary's index, or what is not done yet.
    fn failover_problem(&self, old: usize) -> Result<usize, String> {
        let mut new = None;
        for (i, sentinel) in self.sentinels.iter().enumerate() {
            let port = primary_port_per(sentinel, &self.name)
                .ok_or_else(|| format!("sentinel {i} does not answer"))?;
            let index = self
                .index_of_port(port)
                .ok_or_else(|| format!("sentinel {i} reports port {port}"))?;
            if index == old {
                return Err(format!("sentinel {i} still reports the old primary"));
            }
            match new {
                None => new = Some(index),
                Some(n) if n != index => return Err(format!("sentinels disagree: {n}, {index}")),
                Some(_) => {}
            }
        }
        let new = new.ok_or("no sentinels")?;
        self.data_problem(new, Some(old)).map_or(Ok(new), Err)
    }

    /// What keeps the group from being healthy around `primary`, or `None`.
    fn problem(&self, primary: usize) -> Option<String> {
        let port = self.announced_port(primary);
        let replica_ports: Vec<String> = (0..self.servers.len())
            .filter(|&i| i != primary)
            .map(|i| self.announced_port(i).to_string())
            .collect();
        let replicas = self.servers.len() - 1;
        for (i, sentinel) in self.sentinels.iter().enumerate() {
            let master = match call(sentinel, &["SENTINEL", "MASTER", &self.name]) {
                Ok(reply) => fields(&reply),
                Err(e) => return Some(format!("sentinel {i}: {e}")),
            };
            let field = |k: &str| master.get(k).map(String::as_str).unwrap_or("");
            let expected = [
                ("port", port.to_string()),
                ("flags", "master".to_owned()),
                ("num-slaves", replicas.to_string()),
                (
                    "num-other-sentinels",
                    (self.sentinels.len() - 1).to_string(),
                ),
            ];
            for (k, v) in &expected {
                if field(k) != v {
                    return Some(format!("sentinel {i}: {k} is {:?}, not {v}", field(k)));
                }
            }
            let listed = match call(sentinel, &["SENTINEL", "REPLICAS", &self.name]) {
                Ok(Reply::Many(items)) => items,
                other => return Some(format!("sentinel {i}: SENTINEL REPLICAS {other:?}")),
            };
            for replica in listed.iter().map(fields) {
                let on_announced_port = replica
                    .get("port")
                    .is_some_and(|p| replica_ports.contains(p));
                if replica.get("flags").map(String::as_str) != Some("slave") || !on_announced_port {
                    return Some(format!("sentinel {i} sees the replica {replica:?}"));
                }
            }
            let peers = match call(sentinel, &["SENTINEL", "SENTINELS", &self.name]) {
                Ok(Reply::Many(items)) => items,
                other => return Some(format!("sentinel {i}: SENTINEL SENTINELS {other:?}")),
            };
            for peer in peers.iter().map(fields) {
                if peer.get("flags").map(String::as_str) != Some("sentinel") {
                    return Some(format!("sentinel {i} sees the sentinel {peer:?}"));
                }
            }
        }
        self.data_problem(primary, None)
    }

    /// The data servers' side: `primary` says `role:master`, every other running one (but
    /// `skip`) follows it (on its announced port) with the link up.
    fn data_problem(&self, primary: usize, skip: Option<usize>) -> Option<String> {
        let port = self.announced_port(primary);
        for (i, server) in self.servers.iter().enumerate() {
            if Some(i) == skip {
                continue;
            }
            let info = match call(server, &["INFO", "replication"]) {
                Ok(Reply::Text(info)) => info,
                other => return Some(format!("server {i}: INFO replication {other:?}")),
            };
            let ok = if i == primary {
                info.contains("role:master")
            } else {
                info.contains("role:slave")
                    && info.contains(&format!("master_port:{port}\r\n"))
                    && info.contains("master_link_status:up")
            };
            if !ok {
                return Some(format!("server {i}: {info}"));
            }
        }
        None
    }
}

/// The port the other processes of its group know `server` by: its TLS port if it has one.
fn announced_port(server: &Server) -> u16 {
    server.tls_port().unwrap_or(server.port())
}

/// The primary's port as `sentinel` reports it, if it answers.
fn primary_port_per(sentinel: &Server, name: &str) -> Option<u16> {
    match call(sentinel, &["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name]) {
        Ok(Reply::Many(addr)) => match addr.get(1) {
            Some(Reply::Text(port)) => port.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

fn call(server: &Server, args: &[&str]) -> std::io::Result<Reply> {
    let addr = SocketAddr::from(([127, 0, 0, 1], server.port()));
    let mut conn = Conn::connect(addr, POLL_TIMEOUT)?;
    if let Some(p) = server.password() {
        conn.call(&["AUTH", p])?;
    }
    conn.call(args)
}

/// A reply of field names and values (a RESP2 flat array or a RESP3 map), as a map.
fn fields(reply: &Reply) -> BTreeMap<String, String> {
    let Reply::Many(items) = reply else {
        return BTreeMap::new();
    };
    items
        .chunks(2)
        .filter_map(|kv| match kv {
            [Reply::Text(k), v] => Some((k.clone(), v.render())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;
    use std::path::PathBuf;

    /// A primary, 2 replicas, 3 sentinels: healthy; the sentinels answer about the primary,
    /// the replicas and each other; writes reach the replicas; a failover moves the primary
    /// and the group heals around it; dropping it stops everything and removes the dirs.
    #[test]
    fn a_sentinel_group_starts_fails_over_and_is_cleaned_up() {
        let started = Instant::now();
        let group = SentinelGroup::start("harness", 2, 3);
        crate::note(&format!(
            "sentinel group healthy in {:?}",
            started.elapsed()
        ));
        assert_eq!(group.name(), "harness");
        assert_eq!(group.primary(), 0);
        assert_eq!(group.primary_addr(), group.servers()[0].addr());
        let sentinel = &group.sentinels()[0];
        let port = group.servers()[0].port().to_string();
        assert_eq!(
            sentinel.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "harness"]),
            format!("127.0.0.1\n{port}")
        );
        assert_eq!(sentinel.command(&["PING"]), "PONG");
        let replicas = call(sentinel, &["SENTINEL", "REPLICAS", "harness"]).unwrap();
        let Reply::Many(replicas) = replicas else {
            panic!("{replicas:?}")
        };
        assert_eq!(replicas.len(), 2);
        let peers = call(sentinel, &["SENTINEL", "SENTINELS", "harness"]).unwrap();
        let Reply::Many(peers) = peers else {
            panic!("{peers:?}")
        };
        let mut peer_ports: Vec<String> = peers
            .iter()
            .map(|p| fields(p).get("port").cloned().unwrap_or_default())
            .collect();
        peer_ports.sort();
        let mut expected: Vec<String> = group.sentinel_ports()[1..]
            .iter()
            .map(u16::to_string)
            .collect();
        expected.sort();
        assert_eq!(peer_ports, expected);

        let primary = &group.servers()[0];
        assert_eq!(primary.command(&["SET", "harness-key", "v"]), "OK");
        assert_eq!(primary.command(&["WAIT", "2", "10000"]), "2");
        assert_eq!(group.servers()[1].command(&["GET", "harness-key"]), "v");

        let started = Instant::now();
        let new = group.failover();
        crate::note(&format!("sentinel failover in {:?}", started.elapsed()));
        assert_ne!(new, 0);
        assert_eq!(group.primary(), new);
        let role = group.servers()[new].command(&["ROLE"]);
        assert!(role.starts_with("master\n"), "{role}");
        for s in group.sentinels() {
            assert_eq!(
                s.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "harness"]),
                format!("127.0.0.1\n{}", group.servers()[new].port())
            );
        }
        group.wait_until_healthy();
        let role = group.servers()[0].command(&["ROLE"]);
        assert!(role.starts_with("slave\n"), "the old primary: {role}");

        let dirs: Vec<PathBuf> = group
            .servers()
            .iter()
            .chain(group.sentinels())
            .map(|s| s.dir().to_owned())
            .collect();
        let ports: Vec<u16> = group
            .servers()
            .iter()
            .chain(group.sentinels())
            .map(Server::port)
            .collect();
        drop(group);
        for dir in dirs {
            assert!(!dir.exists(), "{} left behind", dir.display());
        }
        for port in ports {
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            assert!(
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err(),
                "something still listens on {port}"
            );
        }
    }

    /// The `laddr` ports of the connections in `server`'s `CLIENT LIST` whose line contains
    /// `pattern`.
    fn local_ports(server: &Server, pattern: &str) -> Vec<u16> {
        server
            .command(&["CLIENT", "LIST"])
            .lines()
            .filter(|l| l.contains(pattern))
            .filter_map(|l| {
                let laddr = l.split(' ').find_map(|f| f.strip_prefix("laddr="))?;
                laddr.rsplit(':').next()?.parse().ok()
            })
            .collect()
    }

    /// A TLS group: every address the Sentinels report is a TLS port, the Sentinels' and the
    /// replicas' links to the primary arrive on its TLS port, the Sentinels' links to each
    /// other on their TLS ports; a failover keeps it so.
    #[test]
    fn a_tls_sentinel_group_announces_and_uses_tls_ports() {
        if !crate::tls_or_skip("sentinel::tests::a_tls_sentinel_group_announces_and_uses_tls_ports")
        {
            return;
        }
        let started = Instant::now();
        let group = SentinelGroup::builder("tlsgroup").tls(true).start();
        crate::note(&format!(
            "TLS sentinel group healthy in {:?}",
            started.elapsed()
        ));
        let files = group.tls_files().expect("a TLS group has certificates");
        assert!(files.ca_cert.exists());
        assert_eq!(group.sentinel_tls_ports().len(), 3);
        let tls_port = |i: usize| group.servers()[i].tls_port().unwrap();
        assert_eq!(group.announced_port(0), tls_port(0));
        assert_eq!(group.index_of_port(tls_port(1)), Some(1));
        assert_eq!(group.index_of_port(group.servers()[1].port()), Some(1));
        let sentinel = &group.sentinels()[0];
        assert_eq!(
            sentinel.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "tlsgroup"]),
            format!("127.0.0.1\n{}", tls_port(0))
        );
        let Reply::Many(replicas) = call(sentinel, &["SENTINEL", "REPLICAS", "tlsgroup"]).unwrap()
        else {
            panic!("SENTINEL REPLICAS")
        };
        let ports: Vec<String> = replicas
            .iter()
            .map(|r| fields(r).get("port").cloned().unwrap_or_default())
            .collect();
        assert_eq!(ports, [tls_port(1).to_string()]);
        let Reply::Many(peers) = call(sentinel, &["SENTINEL", "SENTINELS", "tlsgroup"]).unwrap()
        else {
            panic!("SENTINEL SENTINELS")
        };
        let mut peer_ports: Vec<String> = peers
            .iter()
            .map(|p| fields(p).get("port").cloned().unwrap_or_default())
            .collect();
        peer_ports.sort();
        let mut expected: Vec<String> = group.sentinel_tls_ports()[1..]
            .iter()
            .map(u16::to_string)
            .collect();
        expected.sort();
        assert_eq!(
            peer_ports, expected,
            "the Sentinels announce their TLS ports"
        );

        // Who is connected where, as the servers see it.
        let primary = &group.servers()[0];
        let sentinel_links = local_ports(primary, " name=sentinel-");
        assert!(sentinel_links.len() >= 3, "{sentinel_links:?}");
        assert!(
            sentinel_links.iter().all(|&p| p == tls_port(0)),
            "the Sentinels' links to the primary: {sentinel_links:?}, TLS port {}",
            tls_port(0)
        );
        assert_eq!(
            local_ports(primary, " flags=S "),
            [tls_port(0)],
            "the replica's link"
        );
        for s in group.sentinels() {
            let links = local_ports(s, " name=sentinel-");
            assert!(!links.is_empty(), "no links from the other Sentinels");
            assert!(
                links.iter().all(|&p| Some(p) == s.tls_port()),
                "links between Sentinels: {links:?}, TLS port {:?}",
                s.tls_port()
            );
        }

        let new = group.failover();
        assert_eq!(new, 1);
        for s in group.sentinels() {
            assert_eq!(
                s.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "tlsgroup"]),
                format!("127.0.0.1\n{}", tls_port(1))
            );
        }
        group.wait_until_healthy();
        let info = group.servers()[0].command(&["INFO", "replication"]);
        assert!(
            info.contains(&format!("master_port:{}\r\n", tls_port(1))),
            "{info}"
        );
    }

    #[test]
    fn one_sentinel_without_replicas() {
        let group = SentinelGroup::start("lonely", 0, 1);
        let master =
            fields(&call(&group.sentinels()[0], &["SENTINEL", "MASTER", "lonely"]).unwrap());
        assert_eq!(master.get("quorum").map(String::as_str), Some("1"));
        assert_eq!(master.get("num-slaves").map(String::as_str), Some("0"));
    }
}
