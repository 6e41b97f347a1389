//! The getting-started tour: connect, then FLUSHDB, SET, EXISTS, INCR, INCRBY, GET, EXPIRE,
//! TTL and PTTL.
//!
//! Connects to `REDIS_URL` (default `redis://127.0.0.1:6379`). When nothing answers there, it
//! starts a throw-away `redis-server` on a free loopback port for this run only (Debian's
//! package does not start a service inside containers) and stops it at the end.
//!
//! Run: `cargo run --example quickstart`

use coredis::prelude::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let (client, _server) = match Redis::from_url(&url) {
        Ok(r) => {
            println!("connected to {url}");
            (r, None)
        }
        Err(e) if e.is_connection_error() || e.is_timeout() => {
            println!("nothing answers at {url} ({e:#})");
            let server = ThrowAwayServer::start()?;
            println!(
                "started a throw-away redis-server for this run at {}",
                server.url
            );
            (Redis::from_url(&server.url)?, Some(server))
        }
        Err(e) => return Err(e.into()),
    };
    tour(&client)?;
    println!("all good");
    Ok(())
}

fn tour(client: &Redis) -> coredis::Result<()> {
    client.flushdb()?;
    client.set("foo", 1)?;
    assert_eq!(client.exists(["foo"])?, 1);
    assert_eq!(client.incr("foo")?, 2);
    assert_eq!(client.incrby("foo", 100)?, 102);
    let value: i64 = client.get("foo")?;
    assert_eq!(value, 102);
    println!("foo = {value}");

    assert!(client.expire("foo", Duration::from_secs(1))?);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(client.ttl("foo")?, 1);
    let pttl = client.pttl("foo")?;
    assert!(pttl < 1000);
    println!("foo expires in {pttl} ms");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(client.exists(["foo"])?, 0);
    println!("foo is gone");

    // Many threads share one client; a single thread can keep many commands in flight.
    std::thread::scope(|s| {
        for t in 0..8 {
            s.spawn(move || client.incrby("counter", t));
        }
    });
    let handles: Vec<_> = (0..100)
        .map(|_| client.deferred().incr("counter"))
        .collect();
    let last = handles.into_iter().map(|h| h.wait()).last().transpose()?;
    println!("counter = {}", last.unwrap_or_default());
    Ok(())
}

/// A `redis-server` child process on a free port, killed on drop.
struct ThrowAwayServer {
    child: Child,
    dir: std::path::PathBuf,
    url: String,
}

impl ThrowAwayServer {
    fn start() -> Result<ThrowAwayServer, Box<dyn std::error::Error>> {
        let bin = ["/usr/bin/redis-server", "redis-server"]
            .into_iter()
            .find(|b| {
                Command::new(b)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .status()
                    .is_ok()
            })
            .ok_or("redis-server is not installed (Debian: apt-get install redis-server)")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let dir = std::env::temp_dir().join(format!("coredis-quickstart-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let child = Command::new(bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()?;
        let mut server = ThrowAwayServer {
            child,
            dir,
            url: format!("redis://127.0.0.1:{port}"),
        };
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > until || server.child.try_wait()?.is_some() {
                return Err("the throw-away redis-server did not start".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }
}

impl Drop for ThrowAwayServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
        println!("stopped the throw-away redis-server");
    }
}
