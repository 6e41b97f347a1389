//! The server group against live servers: every method called with its result asserted, over
//! RESP3 and RESP2 where the replies differ. Everything that changes the server's state runs
//! on a server started for that test (and replication tests on a primary/replica pair started
//! by the test). Split by sub-topic like `src/commands/server/`.

mod acl;
mod config;
mod diagnostics;
mod introspection;
mod replication;

use crate::util::{clients, connect};
use coredis::commands::Build;
use coredis::prelude::*;
use coredis::types::{
    BackgroundStatus, BgSaveOption, CommandListFilter, CommandLogType, FailoverOptions,
    ModuleLoadExOptions, ShutdownOptions, ShutdownSave,
};
use coredis::{cmd, ErrorKind, FlushMode, Redis, ServerCode};
use coredis_test_support::raw::{Conn, Reply};
use coredis_test_support::{
    free_port, server_bin, server_major_minor, server_version, skip, Server,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const T: &str = "commands::server::";

/// Whether the tests run against Valkey (its binary).
pub fn is_valkey() -> bool {
    server_bin()
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("valkey"))
}

/// Whether the tests run against Valkey, at least `major.minor`.
pub fn valkey_at_least(major: u32, minor: u32) -> bool {
    is_valkey() && server_major_minor() >= (major, minor)
}

/// Waits until `f` is true, checking every 50 ms; panics naming `what` after `limit`.
pub fn eventually(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One field of `INFO section`.
pub fn info_field(r: &Redis, section: &str, field: &str) -> String {
    let info = r.info_sections([section]).unwrap();
    info.get(field)
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
        .to_string()
}

/// A client of a server on `port` speaking RESP `protocol`.
pub fn client_on(port: u16, protocol: u8) -> Redis {
    Redis::from_url(&format!("redis://127.0.0.1:{port}?protocol={protocol}")).expect("connect")
}

/// A server started from a configuration file, which the test-support harness does not do
/// (it passes everything on the command line): for `CONFIG REWRITE` and for a Sentinel.
/// Killed, and its directory removed, when dropped.
pub struct ConfServer {
    child: Child,
    port: u16,
    dir: PathBuf,
    conf: PathBuf,
}

impl ConfServer {
    /// Starts the server binary with a configuration file holding the port, address,
    /// directory and log file, then `extra` lines; as a Sentinel when `sentinel`.
    pub fn start(extra: &str, sentinel: bool) -> ConfServer {
        let port = free_port();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "coredis-conf-{}-{port}-{nanos:x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create the server's directory");
        let conf = dir.join("server.conf");
        let mut text = format!(
            "port {port}\nbind 127.0.0.1\ndir {}\nlogfile {}\n",
            dir.display(),
            dir.join("server.log").display()
        );
        if !sentinel {
            text.push_str("save \"\"\nappendonly no\n");
        }
        text.push_str(extra);
        std::fs::write(&conf, text).expect("write the configuration file");
        let out = std::fs::File::create(dir.join("stdout.log")).expect("stdout log");
        let mut cmd = Command::new(server_bin());
        cmd.arg(&conf)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("clone"))
            .stderr(out);
        if sentinel {
            cmd.arg("--sentinel");
        }
        let child =
            coredis_test_support::process::spawn_with_parent_death(cmd).expect("spawn the server");
        let mut server = ConfServer {
            child,
            port,
            dir,
            conf,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited ({status}):\n{}", server.logs());
            }
            let pong = Conn::connect(addr, Duration::from_secs(2))
                .and_then(|mut c| c.call(&["PING"]))
                .is_ok_and(|r| matches!(r, Reply::Text(ref t) if t == "PONG"));
            if pong {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer PING:\n{}",
                server.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The configuration file's text now.
    pub fn conf_text(&self) -> String {
        std::fs::read_to_string(&self.conf).expect("read the configuration file")
    }

    fn logs(&self) -> String {
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        format!(
            "{}\n{}",
            read(&self.dir.join("server.log")),
            read(&self.dir.join("stdout.log"))
        )
    }
}

impl Drop for ConfServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every method of the server group, built (the Valkey-only ones when the server is Valkey).
pub fn built() -> Vec<coredis::Request> {
    let b = Build;
    let mut all = vec![
        // ServerCommands
        b.bgrewriteaof().request().clone(),
        b.bgsave().request().clone(),
        b.bgsave_with(BgSaveOption::Schedule).request().clone(),
        b.dbsize().request().clone(),
        b.flushall().request().clone(),
        b.flushall_with(FlushMode::Async).request().clone(),
        b.flushdb().request().clone(),
        b.flushdb_with(FlushMode::Sync).request().clone(),
        b.info().request().clone(),
        b.info_sections(["server", "clients"]).request().clone(),
        b.lastsave().request().clone(),
        b.lolwut().request().clone(),
        b.lolwut_with(5).request().clone(),
        b.save().request().clone(),
        b.shutdown().request().clone(),
        b.shutdown_with(
            ShutdownOptions::new()
                .save(ShutdownSave::NoSave)
                .now()
                .force(),
        )
        .request()
        .clone(),
        b.shutdown_abort().request().clone(),
        b.swapdb(0, 1).request().clone(),
        b.time().request().clone(),
        // ReplicationCommands
        b.failover().request().clone(),
        b.failover_with(
            FailoverOptions::new()
                .to("127.0.0.1", 6380)
                .force()
                .timeout(Duration::from_secs(1)),
        )
        .request()
        .clone(),
        b.failover_abort().request().clone(),
        b.replicaof("127.0.0.1", 6380).request().clone(),
        b.replicaof_no_one().request().clone(),
        b.role().request().clone(),
        b.slaveof("127.0.0.1", 6380).request().clone(),
        b.slaveof_no_one().request().clone(),
        // AclCommands
        b.acl_cat().request().clone(),
        b.acl_cat_with("string").request().clone(),
        b.acl_deluser(["a", "b"]).request().clone(),
        b.acl_dryrun("u", "ping").request().clone(),
        b.acl_dryrun_with("u", "get", ["k"]).request().clone(),
        b.acl_genpass().request().clone(),
        b.acl_genpass_with(64).request().clone(),
        b.acl_getuser("u").request().clone(),
        b.acl_list().request().clone(),
        b.acl_load().request().clone(),
        b.acl_log().request().clone(),
        b.acl_log_with(5).request().clone(),
        b.acl_log_reset().request().clone(),
        b.acl_save().request().clone(),
        b.acl_setuser("u").request().clone(),
        b.acl_setuser_with("u", ["on", "~k*", "+get"])
            .request()
            .clone(),
        b.acl_users().request().clone(),
        b.acl_whoami().request().clone(),
        // ConfigCommands
        b.config_get(["maxmemory", "port"]).request().clone(),
        b.config_resetstat().request().clone(),
        b.config_rewrite().request().clone(),
        b.config_set([("maxmemory", "10mb"), ("maxmemory-policy", "noeviction")])
            .request()
            .clone(),
        // IntrospectionCommands
        b.command().request().clone(),
        b.command_count().request().clone(),
        b.command_docs().request().clone(),
        b.command_docs_with(["get", "set"]).request().clone(),
        b.command_getkeys::<String>(["SET", "k", "v"])
            .request()
            .clone(),
        b.command_getkeysandflags::<String>(["SET", "k", "v"])
            .request()
            .clone(),
        b.command_info().request().clone(),
        b.command_info_with(["get", "config|get"]).request().clone(),
        b.command_list().request().clone(),
        b.command_list_with(CommandListFilter::Module("m".into()))
            .request()
            .clone(),
        b.command_list_with(CommandListFilter::AclCat("string".into()))
            .request()
            .clone(),
        b.command_list_with(CommandListFilter::Pattern("x*".into()))
            .request()
            .clone(),
        // DiagnosticCommands
        b.latency_doctor().request().clone(),
        b.latency_graph("command").request().clone(),
        b.latency_histogram().request().clone(),
        b.latency_histogram_with(["get", "set"]).request().clone(),
        b.latency_history("command").request().clone(),
        b.latency_latest().request().clone(),
        b.latency_reset().request().clone(),
        b.latency_reset_with(["command", "fork"]).request().clone(),
        b.memory_doctor().request().clone(),
        b.memory_malloc_stats().request().clone(),
        b.memory_purge().request().clone(),
        b.memory_stats().request().clone(),
        b.memory_usage("k").request().clone(),
        b.memory_usage_with("k", 0).request().clone(),
        b.slowlog_get().request().clone(),
        b.slowlog_get_with(5).request().clone(),
        b.slowlog_len().request().clone(),
        b.slowlog_reset().request().clone(),
        // ModuleCommands
        b.module_list().request().clone(),
        b.module_load("/m.so").request().clone(),
        b.module_load_with("/m.so", ["a", "b"]).request().clone(),
        b.module_loadex("/m.so").request().clone(),
        b.module_loadex_with(
            "/m.so",
            ModuleLoadExOptions::new().config("m.x", "1").arg("a"),
        )
        .request()
        .clone(),
        b.module_unload("m").request().clone(),
    ];
    if valkey_at_least(8, 1) {
        all.extend([
            b.bgsave_with(BgSaveOption::Cancel).request().clone(),
            b.commandlog_get(5, CommandLogType::Slow).request().clone(),
            b.commandlog_get(-1, CommandLogType::LargeReply)
                .request()
                .clone(),
            b.commandlog_len(CommandLogType::LargeRequest)
                .request()
                .clone(),
            b.commandlog_reset(CommandLogType::Slow).request().clone(),
        ]);
    }
    if valkey_at_least(9, 0) {
        all.push(
            b.shutdown_with(ShutdownOptions::new().safe().failover())
                .request()
                .clone(),
        );
    }
    all
}

#[test]
fn server_routing_facts_match_the_server() {
    let server = Server::start();
    super::audit::check(
        &server,
        &format!("{T}server_routing_facts_match_the_server"),
        &built(),
    );
}

#[test]
fn server_dataset_clock_and_art() {
    let server = Server::start();
    let version = server_version();
    for (p, r) in clients(&server) {
        r.flushall().unwrap();
        r.set("in-0", 1).unwrap();
        assert_eq!(r.dbsize().unwrap(), 1, "RESP{p}");
        r.swapdb(0, 1).unwrap();
        assert_eq!(r.dbsize().unwrap(), 0, "db 0 now holds db 1's (no) keys");
        let c = r.dedicated().unwrap();
        c.select(1).unwrap();
        assert_eq!(c.dbsize().unwrap(), 1);
        drop(c);
        r.set("b", 1).unwrap();
        r.flushdb().unwrap();
        assert_eq!(r.dbsize().unwrap(), 0);
        r.set("b", 1).unwrap();
        r.flushdb_with(FlushMode::Async).unwrap();
        assert_eq!(r.dbsize().unwrap(), 0);
        r.swapdb(0, 1).unwrap();
        assert_eq!(r.get::<i64>("in-0").unwrap(), 1, "swapped back");
        r.flushall_with(FlushMode::Sync).unwrap();
        assert_eq!(r.dbsize().unwrap(), 0);
        let e = r.swapdb(0, 100_000).unwrap_err();
        assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");

        let now = SystemTime::now();
        let t = r.time().unwrap();
        let skew = t.duration_since(now).unwrap_or_else(|e| e.duration());
        assert!(skew < Duration::from_secs(60), "TIME is {t:?}, now {now:?}");
        let saved = r.lastsave().unwrap();
        assert!(saved <= t + Duration::from_secs(1), "LASTSAVE {saved:?}");
        assert!(
            saved + Duration::from_secs(3600) > t,
            "the server started just now"
        );

        let art = r.lolwut().unwrap();
        assert!(art.contains(&version), "RESP{p}: {art:?}");
        let art = r.lolwut_with(5).unwrap();
        assert!(art.contains(&version) && art.len() > version.len() + 20);
        let plain = r.lolwut_with(1).unwrap();
        assert!(plain.trim_end().ends_with(&version), "{plain:?}");

        let info = r.info_sections(["server"]).unwrap();
        assert!(info.section("server").is_some());
        assert!(info.get("tcp_port").is_some());
        assert!(r.info().unwrap().get("connected_clients").is_some());
    }
}

/// The persistence status of the server: (rdb_bgsave_in_progress, aof_rewrite_in_progress,
/// aof_rewrite_scheduled).
fn persistence(r: &Redis) -> (String, String, String) {
    let info = r.info_sections(["persistence"]).unwrap();
    let f = |k: &str| info.get(k).unwrap_or("?").to_string();
    (
        f("rdb_bgsave_in_progress"),
        f("aof_rewrite_in_progress"),
        f("aof_rewrite_scheduled"),
    )
}

fn wait_persistence_idle(r: &Redis) {
    eventually(
        "background saves and rewrites to end",
        Duration::from_secs(60),
        || persistence(r) == ("0".into(), "0".into(), "0".into()),
    );
}

#[test]
fn server_save_and_background_jobs() {
    let server = Server::start();
    let r = connect(&server);
    r.set("k", "v").unwrap();
    let before = r.lastsave().unwrap();
    r.save().unwrap();
    assert!(r.lastsave().unwrap() >= before);
    assert!(
        server.dir().join("dump.rdb").exists(),
        "SAVE wrote the RDB file"
    );

    assert_eq!(r.bgsave().unwrap(), BackgroundStatus::Started);
    wait_persistence_idle(&r);

    // A slow AOF rewrite (20 ms per key), to see the other answers while it runs.
    let keys: Vec<(String, i64)> = (0..150).map(|i| (format!("k{i}"), i)).collect();
    r.mset(keys).unwrap();
    r.config_set([("rdb-key-save-delay", "20000")]).unwrap();
    assert_eq!(r.bgrewriteaof().unwrap(), BackgroundStatus::Started);
    assert_eq!(
        r.bgsave_with(BgSaveOption::Schedule).unwrap(),
        BackgroundStatus::Scheduled,
        "a save waits for the running rewrite"
    );
    let e = r.bgsave().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e}");
    let e = r.bgrewriteaof().unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    r.config_set([("rdb-key-save-delay", "0")]).unwrap();
    if valkey_at_least(8, 1) {
        assert_eq!(
            r.bgsave_with(BgSaveOption::Cancel).unwrap(),
            BackgroundStatus::Cancelled,
            "the scheduled save is dropped"
        );
    }
    wait_persistence_idle(&r);
    if valkey_at_least(8, 1) {
        let e = r.bgsave_with(BgSaveOption::Cancel).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server, "nothing to cancel: {e}");
    }
}

/// Waits for `server` to exit by itself.
fn wait_exit(server: &mut Server) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.is_running() {
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn server_shutdown_saves_when_asked() {
    let mut server = Server::start();
    let r = connect(&server);
    r.set("k", "v").unwrap();
    let e = r
        .shutdown_with(ShutdownOptions::new().save(ShutdownSave::Save))
        .unwrap_err();
    assert!(
        e.is_connection_error(),
        "success is the connection closing: {e:?}"
    );
    wait_exit(&mut server);
    assert!(
        server.dir().join("dump.rdb").exists(),
        "SHUTDOWN SAVE saved"
    );
}

#[test]
fn server_shutdown_plain_and_abort() {
    let mut server = Server::start();
    let r = connect(&server);
    if server_major_minor() >= (7, 0) {
        let e = r.shutdown_abort().unwrap_err();
        assert_eq!(
            e.server_code(),
            Some(ServerCode::Err),
            "nothing to abort: {e}"
        );
    }
    let e = r.shutdown().unwrap_err();
    assert!(e.is_connection_error(), "{e:?}");
    wait_exit(&mut server);
    assert!(
        !server.dir().join("dump.rdb").exists(),
        "no save points, no save"
    );
}

#[test]
fn server_shutdown_now_force_nosave() {
    let mut server = Server::start();
    let r = connect(&server);
    r.set("k", "v").unwrap();
    let mut options = ShutdownOptions::new().save(ShutdownSave::NoSave);
    if server_major_minor() >= (7, 0) {
        options = options.now().force();
    }
    let e = r.shutdown_with(options).unwrap_err();
    assert!(e.is_connection_error(), "{e:?}");
    wait_exit(&mut server);
    assert!(!server.dir().join("dump.rdb").exists(), "NOSAVE");
}

#[test]
fn server_shutdown_safe_failover_on_valkey() {
    if !valkey_at_least(9, 0) {
        skip(
            &format!("{T}server_shutdown_safe_failover_on_valkey"),
            "SHUTDOWN SAFE and FAILOVER need Valkey 9.0",
        );
        return;
    }
    let mut server = Server::start();
    let r = connect(&server);
    // FAILOVER is for cluster primaries: refused, and the server stays up.
    let e = r
        .shutdown_with(ShutdownOptions::new().failover())
        .unwrap_err();
    assert_eq!(e.server_code(), Some(ServerCode::Err), "{e}");
    assert_eq!(r.ping().unwrap(), "PONG");
    // SAFE: a standalone primary has no slots to lose, so it stops.
    let e = r
        .shutdown_with(ShutdownOptions::new().save(ShutdownSave::NoSave).safe())
        .unwrap_err();
    assert!(e.is_connection_error(), "{e:?}");
    wait_exit(&mut server);
}

#[test]
fn server_modules() {
    let test = format!("{T}server_modules");
    let new = server_major_minor() >= (7, 0);
    // MODULE is refused from Redis 7.0 on unless enabled (the option does not exist before).
    let server = if new {
        Server::builder()
            .arg("--enable-module-command")
            .arg("yes")
            .start()
    } else {
        Server::start()
    };
    let missing = "/nonexistent/coredis-test-module.so";
    for (p, r) in clients(&server) {
        let modules = r.module_list().unwrap();
        if is_valkey() && server_major_minor() >= (9, 0) {
            let lua = modules
                .iter()
                .find(|m| m.name == "lua")
                .unwrap_or_else(|| panic!("RESP{p}: Valkey 9 lists its Lua engine: {modules:?}"));
            assert!(lua.version >= 1);
            assert!(lua.path.is_some());
        } else {
            assert!(modules.is_empty(), "RESP{p}: no modules: {modules:?}");
        }
        for e in [
            r.module_load(missing).unwrap_err(),
            r.module_load_with(missing, ["a", "1"]).unwrap_err(),
            r.module_unload("coredis-no-such-module").unwrap_err(),
        ] {
            assert_eq!(e.server_code(), Some(ServerCode::Err), "RESP{p}: {e}");
        }
        if new {
            for e in [
                r.module_loadex(missing).unwrap_err(),
                r.module_loadex_with(
                    missing,
                    ModuleLoadExOptions::new().config("x.y", "1").arg("a"),
                )
                .unwrap_err(),
            ] {
                assert_eq!(e.server_code(), Some(ServerCode::Err), "RESP{p}: {e}");
            }
        }
    }
    if !new {
        skip(
            &test,
            "MODULE LOADEX needs Redis 7.0 (LIST, LOAD, UNLOAD tested)",
        );
    }
    // The command itself exists on every server the tests run.
    let r = connect(&server);
    assert!(r.execute(cmd("MODULE").arg("LIST")).is_ok());
}
