//! [`TlsConfig`]: the TLS settings of a `rediss://` connection, and its builder.
//!
//! Must not: read the files (`crate::connection` does, when connecting), or let a private key
//! given in memory reach `Debug` output or an error.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where a PEM document comes from: a file read when connecting, or text in memory.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) enum Pem {
    /// A PEM file, read when a connection is made.
    File(PathBuf),
    /// PEM text given in memory.
    Text(String),
}

impl Pem {
    fn file(&self) -> Option<&Path> {
        match self {
            Pem::File(path) => Some(path),
            Pem::Text(_) => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Pem::File(_) => None,
            Pem::Text(text) => Some(text),
        }
    }

    /// `Debug` without the text of a secret: `File("/path")`, `Text(1234 bytes)` or
    /// `Text(***)`.
    fn debug(&self, secret: bool) -> String {
        match self {
            Pem::File(path) => format!("File({path:?})"),
            Pem::Text(_) if secret => "Text(***)".to_string(),
            Pem::Text(text) => format!("Text({} bytes)", text.len()),
        }
    }
}

/// TLS settings for a `rediss://` connection (the crate's `tls` feature, on by default).
///
/// The default trusts the system's root certificates and verifies the server's certificate
/// and host name. Certificates and keys are PEM, given as files (read when a connection is
/// made) or as text in memory:
///
/// ```
/// use coredis::TlsConfig;
/// // Files.
/// let tls = TlsConfig::builder()
///     .ca_file("/etc/redis/ca.crt")
///     .client_cert_file("/etc/redis/client.crt")
///     .client_key_file("/etc/redis/client.key")
///     .build();
/// assert_eq!(tls.ca_file(), Some("/etc/redis/ca.crt".as_ref()));
/// // In memory (from a secret store, an environment variable, `include_str!`, …).
/// # let (ca_pem, cert_pem, key_pem) = (String::new(), String::new(), String::new());
/// let tls = TlsConfig::builder()
///     .ca_pem(ca_pem)
///     .client_cert_pem(cert_pem)
///     .client_key_pem(key_pem)
///     .build();
/// let config = coredis::Config::builder().tls(tls);
/// ```
///
/// `Debug` prints a key given in memory as `***`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    ca: Option<Pem>,
    client_cert: Option<Pem>,
    client_key: Option<Pem>,
    insecure: bool,
    server_name: Option<String>,
}

impl TlsConfig {
    /// A builder starting from the default: system roots, full verification.
    pub fn builder() -> TlsConfigBuilder {
        TlsConfigBuilder::default()
    }

    /// A builder starting from these settings, to derive a changed copy.
    pub fn to_builder(&self) -> TlsConfigBuilder {
        TlsConfigBuilder {
            config: self.clone(),
        }
    }

    /// The PEM file with one or more CA certificates trusted in addition to the system's
    /// roots. Defaults to `None`.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca.as_ref().and_then(Pem::file)
    }

    /// The same as [`ca_file`](TlsConfig::ca_file), given as PEM text. Defaults to `None`.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca.as_ref().and_then(Pem::text)
    }

    /// The PEM file with the client certificate (optionally followed by its chain) for mutual
    /// TLS; goes with a client key. Defaults to `None`.
    pub fn client_cert_file(&self) -> Option<&Path> {
        self.client_cert.as_ref().and_then(Pem::file)
    }

    /// The same as [`client_cert_file`](TlsConfig::client_cert_file), given as PEM text.
    /// Defaults to `None`.
    pub fn client_cert_pem(&self) -> Option<&str> {
        self.client_cert.as_ref().and_then(Pem::text)
    }

    /// The PEM file with the client's unencrypted private key: PKCS#8 (`BEGIN PRIVATE KEY`),
    /// traditional RSA (`BEGIN RSA PRIVATE KEY`) or SEC1 EC (`BEGIN EC PRIVATE KEY`); the
    /// latter two are converted to PKCS#8, which the TLS backend requires. Encrypted keys are
    /// not supported. Goes with a client certificate. Defaults to `None`.
    pub fn client_key_file(&self) -> Option<&Path> {
        self.client_key.as_ref().and_then(Pem::file)
    }

    /// The same as [`client_key_file`](TlsConfig::client_key_file), given as PEM text.
    /// Defaults to `None`.
    pub fn client_key_pem(&self) -> Option<&str> {
        self.client_key.as_ref().and_then(Pem::text)
    }

    /// Accept any server certificate and any host name: no verification at all. Only for
    /// tests; anyone on the path can read and change the traffic. Defaults to `false`.
    pub fn insecure(&self) -> bool {
        self.insecure
    }

    /// The host name to verify the server certificate against (and to send as SNI), instead
    /// of the host being connected to. Defaults to `None`.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn ca(&self) -> Option<&Pem> {
        self.ca.as_ref()
    }

    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn client_identity(&self) -> Option<(&Pem, &Pem)> {
        self.client_cert.as_ref().zip(self.client_key.as_ref())
    }

    /// The checks of [`ConfigBuilder::build`](crate::ConfigBuilder::build) for TLS.
    pub(crate) fn validate(&self) -> Result<()> {
        if !cfg!(feature = "tls") {
            return Err(TlsConfig::feature_missing());
        }
        match (&self.client_cert, &self.client_key) {
            (Some(_), None) => {
                return Err(Error::config(
                    "a TLS client certificate needs a client key (client_key_file or \
                     client_key_pem; tls_key_file in a URL)",
                ))
            }
            (None, Some(_)) => {
                return Err(Error::config(
                    "a TLS client key needs a client certificate (client_cert_file or \
                     client_cert_pem; tls_cert_file in a URL)",
                ))
            }
            _ => {}
        }
        if self.server_name.as_deref() == Some("") {
            return Err(Error::config("the TLS server_name must not be empty"));
        }
        Ok(())
    }

    /// The error for TLS settings in a build without the `tls` feature.
    pub(crate) fn feature_missing() -> Error {
        Error::config(
            "TLS (a rediss:// URL or a TlsConfig) needs the `tls` feature of coredis, which \
             this build leaves out: enable it in Cargo.toml (it is on by default)",
        )
    }

    // Setters for the URL parser.
    pub(crate) fn set_ca(&mut self, pem: Pem) {
        self.ca = Some(pem);
    }

    pub(crate) fn set_client_cert(&mut self, pem: Pem) {
        self.client_cert = Some(pem);
    }

    pub(crate) fn set_client_key(&mut self, pem: Pem) {
        self.client_key = Some(pem);
    }

    pub(crate) fn set_insecure(&mut self, insecure: bool) {
        self.insecure = insecure;
    }

    pub(crate) fn set_server_name(&mut self, name: String) {
        self.server_name = Some(name);
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca", &self.ca.as_ref().map(|p| p.debug(false)))
            .field(
                "client_cert",
                &self.client_cert.as_ref().map(|p| p.debug(false)),
            )
            .field(
                "client_key",
                &self.client_key.as_ref().map(|p| p.debug(true)),
            )
            .field("insecure", &self.insecure)
            .field("server_name", &self.server_name)
            .finish()
    }
}

/// Builds a [`TlsConfig`]: one setter per setting, named like the [`TlsConfig`] getter (which
/// states the default). A file and in-memory text for the same item replace each other; the
/// certificate and key are checked when the [`Config`](crate::Config) is built and read when
/// connecting.
#[derive(Clone, Default, PartialEq, Eq)]
#[must_use = "a TlsConfigBuilder does nothing until .build()"]
pub struct TlsConfigBuilder {
    config: TlsConfig,
}

impl fmt::Debug for TlsConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TlsConfigBuilder")
            .field(&self.config)
            .finish()
    }
}

impl TlsConfigBuilder {
    /// Sets [`TlsConfig::ca_file`].
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.ca = Some(Pem::File(path.into()));
        self
    }

    /// Sets [`TlsConfig::ca_pem`].
    pub fn ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.config.ca = Some(Pem::Text(pem.into()));
        self
    }

    /// Sets [`TlsConfig::client_cert_file`].
    pub fn client_cert_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.client_cert = Some(Pem::File(path.into()));
        self
    }

    /// Sets [`TlsConfig::client_cert_pem`].
    pub fn client_cert_pem(mut self, pem: impl Into<String>) -> Self {
        self.config.client_cert = Some(Pem::Text(pem.into()));
        self
    }

    /// Sets [`TlsConfig::client_key_file`].
    pub fn client_key_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.client_key = Some(Pem::File(path.into()));
        self
    }

    /// Sets [`TlsConfig::client_key_pem`].
    pub fn client_key_pem(mut self, pem: impl Into<String>) -> Self {
        self.config.client_key = Some(Pem::Text(pem.into()));
        self
    }

    /// Sets [`TlsConfig::insecure`].
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.config.insecure = insecure;
        self
    }

    /// Sets [`TlsConfig::server_name`].
    pub fn server_name(mut self, name: impl Into<String>) -> Self {
        self.config.server_name = Some(name.into());
        self
    }

    /// Clears [`TlsConfig::ca_file`] and [`TlsConfig::ca_pem`]: only the system's roots.
    pub fn no_ca(mut self) -> Self {
        self.config.ca = None;
        self
    }

    /// Clears the client certificate and key: no client identity.
    pub fn no_client_identity(mut self) -> Self {
        self.config.client_cert = None;
        self.config.client_key = None;
        self
    }

    /// Clears [`TlsConfig::server_name`]: verify against the host connected to.
    pub fn no_server_name(mut self) -> Self {
        self.config.server_name = None;
        self
    }

    /// The settings. They are checked when the [`Config`](crate::Config) is built.
    pub fn build(self) -> TlsConfig {
        self.config
    }
}
