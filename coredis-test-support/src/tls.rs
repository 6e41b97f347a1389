//! TLS material for test servers, made with the `openssl` command-line tool.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::server::pseudo_random;

/// TLS material generated (with the `openssl` CLI, EC P-256) for one server, all PEM.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The test CA that signed the server and client certificates.
    pub ca_cert: PathBuf,
    /// Server certificate, SAN `DNS:localhost, IP:127.0.0.1`, signed by `ca_cert`.
    pub server_cert: PathBuf,
    /// Server private key (PKCS#8 PEM).
    pub server_key: PathBuf,
    /// Client certificate (CN `coredis-client`, extendedKeyUsage clientAuth), signed by `ca_cert`.
    pub client_cert: PathBuf,
    /// Client private key (PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`).
    pub client_key: PathBuf,
    /// A second CA, unrelated to the one that signed anything: for "untrusted CA" tests.
    pub other_ca_cert: PathBuf,
}

const OPENSSL_CNF: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = coredis-test
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
";

fn openssl_bin() -> PathBuf {
    let debian = Path::new("/usr/bin/openssl");
    if debian.exists() {
        debian.to_path_buf()
    } else {
        PathBuf::from("openssl")
    }
}

/// Generates a CA, a server and a client certificate signed by it, and an unrelated second
/// CA into `dir/tls/` (about 0.15 s: six `openssl` runs).
pub fn generate_certs(dir: &Path) -> Result<TlsFiles, String> {
    let tls = dir.join("tls");
    fs::create_dir_all(&tls).map_err(|e| format!("create {}: {e}", tls.display()))?;
    fs::write(tls.join("openssl.cnf"), OPENSSL_CNF)
        .map_err(|e| format!("write {}: {e}", tls.join("openssl.cnf").display()))?;
    // Runs in `tls/` with relative file names, so the arguments have no spaces.
    let run = |command_line: String| -> Result<(), String> {
        let out = Command::new(openssl_bin())
            .args(command_line.split_whitespace())
            .current_dir(&tls)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", openssl_bin().display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`openssl {command_line}` in {} failed ({}): {}",
                tls.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let new_key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    for (name, cn) in [("ca", "coredis-test-ca"), ("other-ca", "coredis-other-ca")] {
        run(format!(
            "req -x509 -config openssl.cnf -extensions ca_ext {new_key} -keyout {name}.key \
             -out {name}.crt -days 3650 -subj /CN={cn}"
        ))?;
    }
    for (name, cn) in [("server", "localhost"), ("client", "coredis-client")] {
        run(format!(
            "req -new -config openssl.cnf {new_key} -keyout {name}.key -out {name}.csr \
             -subj /CN={cn}"
        ))?;
        let serial = pseudo_random() >> 2;
        run(format!(
            "x509 -req -in {name}.csr -CA ca.crt -CAkey ca.key -set_serial {serial} -days 3650 \
             -extfile openssl.cnf -extensions {name}_ext -out {name}.crt"
        ))?;
    }
    let p = |name: &str| tls.join(name);
    Ok(TlsFiles {
        ca_cert: p("ca.crt"),
        server_cert: p("server.crt"),
        server_key: p("server.key"),
        client_cert: p("client.crt"),
        client_key: p("client.key"),
        other_ca_cert: p("other-ca.crt"),
    })
}
