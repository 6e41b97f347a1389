//! What the examples share: connect to `REDIS_URL` (default `redis://127.0.0.1:6379`), or,
//! when nothing answers there, start a throw-away `redis-server` on a free loopback port for
//! the run (Debian's package does not start a service inside containers) and stop it at the end.
#![allow(dead_code)]

use coredis::Redis;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A client of `REDIS_URL`, or of a throw-away server started for this run (kept alive by the
/// second value: drop it last).
pub fn connect() -> Result<(Redis, Option<ThrowAwayServer>), Box<dyn std::error::Error>> {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    match Redis::from_url(&url) {
        Ok(r) => {
            println!("connected to {url}");
            Ok((r, None))
        }
        Err(e) if e.is_connection_error() || e.is_timeout() => {
            println!("nothing answers at {url} ({e:#})");
            let server = ThrowAwayServer::start()?;
            println!(
                "started a throw-away redis-server for this run at {}",
                server.url
            );
            Ok((Redis::from_url(&server.url)?, Some(server)))
        }
        Err(e) => Err(e.into()),
    }
}

/// A `redis-server` child process on a free port, killed on drop.
pub struct ThrowAwayServer {
    child: Child,
    dir: std::path::PathBuf,
    /// The server's URL.
    pub url: String,
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
