//! TCP or TLS: the one place that starts the bench's server and decides how each client
//! connects to it (`COREDIS_BENCH_TLS`).
//!
//! Over TLS the server is started with certificates made by the test harness for the run
//! (`ServerBuilder::tls`), and every client verifies the server's certificate against the
//! test CA that signed it (no insecure mode): coredis through `rediss://…?tls_ca_file=…`,
//! redis-rs through `Client::build_with_tls` with the CA as its root certificate (its
//! native-tls backend, OpenSSL, as coredis'). The server keeps its plain port, which only the
//! preloading over the harness's raw connection uses.

use std::io::Write as _;

use coredis_test_support as support;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transport {
    Tcp,
    Tls,
}

impl Transport {
    /// `COREDIS_BENCH_TLS`: `1` (or `true`, `yes`) for TLS; unset, empty, `0` (or `false`,
    /// `no`) for TCP. Exits with 2 on anything else.
    pub fn from_env() -> Transport {
        let text = std::env::var("COREDIS_BENCH_TLS").unwrap_or_default();
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "0" | "false" | "no" => Transport::Tcp,
            "1" | "true" | "yes" => Transport::Tls,
            _ => {
                eprintln!("COREDIS_BENCH_TLS must be 1 or 0, not {text:?}");
                std::process::exit(2);
            }
        }
    }

    /// `TCP` or `TLS`, for table headers.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        }
    }
}

/// The server of a bench and how to reach it.
pub struct Target {
    pub transport: Transport,
    pub server: support::Server,
    /// The test CA (PEM) that signed the server certificate, for redis-rs (TLS only).
    ca_pem: Option<Vec<u8>>,
}

impl Target {
    /// Starts the server for [`Transport::from_env`]. Over TLS with a server binary built
    /// without TLS, prints `SKIPPED: {bench} (TLS): …` (to stdout, where the table would go)
    /// and exits with 0.
    pub fn start(bench: &str) -> Target {
        let transport = Transport::from_env();
        if transport == Transport::Tcp {
            return Target {
                transport,
                server: support::Server::start(),
                ca_pem: None,
            };
        }
        if !support::tls_supported() {
            println!(
                "SKIPPED: {bench} (TLS): the server ({} {}) was built without TLS support",
                support::server_bin().display(),
                support::server_version()
            );
            let _ = std::io::stdout().flush();
            std::process::exit(0);
        }
        let server = support::Server::builder().tls(true).start();
        let files = server
            .tls_files()
            .expect("a TLS server has its certificates");
        let ca_pem = std::fs::read(&files.ca_cert).unwrap_or_else(|e| {
            eprintln!("cannot read the test CA {}: {e}", files.ca_cert.display());
            std::process::exit(2);
        });
        Target {
            transport,
            server,
            ca_pem: Some(ca_pem),
        }
    }

    /// What the table headers say of the connections: `TCP` or `TLS (…)`.
    pub fn describe(&self) -> String {
        match self.transport {
            Transport::Tcp => "TCP".to_owned(),
            Transport::Tls => "TLS (native-tls/OpenSSL in both clients, server certificate \
                               verified against the test CA)"
                .to_owned(),
        }
    }

    /// The TCP port the clients connect to (the TLS port over TLS).
    fn port(&self) -> u16 {
        match self.transport {
            Transport::Tcp => self.server.port(),
            Transport::Tls => self.server.tls_port().expect("a TLS server has a TLS port"),
        }
    }

    /// coredis' URL: `redis://127.0.0.1:PORT`, or `rediss://127.0.0.1:TLS_PORT?tls_ca_file=…`.
    pub fn coredis_url(&self) -> String {
        match (self.transport, self.server.tls_files()) {
            (Transport::Tls, Some(files)) => format!(
                "rediss://127.0.0.1:{}?tls_ca_file={}",
                self.port(),
                files.ca_cert.display()
            ),
            _ => self.server.url(),
        }
    }

    /// coredis' settings for the target (those of [`Target::coredis_url`]), to adjust before
    /// `Redis::new`.
    pub fn coredis_config(&self) -> coredis::Result<coredis::Config> {
        coredis::Config::from_url(&self.coredis_url())
    }

    /// A coredis client for the target, with the default settings.
    pub fn coredis(&self) -> coredis::Result<coredis::Redis> {
        coredis::Redis::from_url(&self.coredis_url())
    }

    /// A redis-rs client for the target: `Client::open(redis://…)`, or over TLS
    /// `Client::build_with_tls(rediss://…)` with the test CA as its only root.
    pub fn redis_rs(&self) -> redis::RedisResult<redis::Client> {
        match &self.ca_pem {
            None => redis::Client::open(self.server.url().as_str()),
            Some(pem) => redis::Client::build_with_tls(
                format!("rediss://127.0.0.1:{}", self.port()).as_str(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem.clone()),
                },
            ),
        }
    }

    /// A fred client for the target (not connected yet: `workers::fred_connect` does that on
    /// the run's runtime): `redis://…`, or over TLS a native-tls connector with the test CA as
    /// its only root, verifying the server's certificate as the other clients do.
    pub fn fred(&self) -> Result<fred::clients::Client, String> {
        use fred::types::config::{Config, ServerConfig, TlsConnector};
        let mut config = Config {
            server: ServerConfig::new_centralized("127.0.0.1", self.port()),
            ..Config::default()
        };
        if let Some(pem) = &self.ca_pem {
            let ca = fred::native_tls::Certificate::from_pem(pem)
                .map_err(|e| format!("fred: the test CA: {e}"))?;
            let mut tls = fred::native_tls::TlsConnector::builder();
            tls.disable_built_in_roots(true).add_root_certificate(ca);
            let connector =
                TlsConnector::try_from(tls).map_err(|e| format!("fred: TLS connector: {e}"))?;
            config.tls = Some(connector.into());
        }
        fred::types::Builder::from_config(config)
            .build()
            .map_err(|e| format!("fred: building the client: {e}"))
    }
}
