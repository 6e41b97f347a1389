//! [`TlsConfig`]: the TLS settings of a `rediss://` connection.

use std::path::PathBuf;

/// TLS settings for a `rediss://` connection.
///
/// Certificates and keys are PEM files, read when a connection is made. Build it by changing
/// the fields of the default:
///
/// ```
/// let mut tls = coredis::TlsConfig::default();
/// tls.ca_file = Some("/etc/redis/ca.crt".into());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsConfig {
    /// A PEM file with one or more CA certificates to trust, in addition to the system's
    /// roots. Defaults to `None`.
    pub ca_file: Option<PathBuf>,
    /// A PEM file with the client certificate (optionally followed by its chain) for mutual
    /// TLS; needs `client_key`. Defaults to `None`.
    pub client_cert: Option<PathBuf>,
    /// A PEM file with the client's unencrypted private key: PKCS#8 (`BEGIN PRIVATE KEY`),
    /// traditional RSA (`BEGIN RSA PRIVATE KEY`) or SEC1 EC (`BEGIN EC PRIVATE KEY`); the
    /// latter two are converted to PKCS#8, which the TLS backend requires. Encrypted keys are
    /// not supported. Needs `client_cert`. Defaults to `None`.
    pub client_key: Option<PathBuf>,
    /// Accept any server certificate and any host name: no verification at all. Only for
    /// tests; anyone on the path can read and change the traffic. Defaults to `false`.
    pub insecure: bool,
    /// The host name to verify the server certificate against (and to send as SNI), instead
    /// of the host being connected to. Defaults to `None`.
    pub server_name: Option<String>,
}
