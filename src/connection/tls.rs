//! TLS: building the connector from [`TlsConfig`] and running the handshake in time.
//!
//! Owns: reading the CA, certificate and key PEM (files, or text given in memory), converting
//! traditional RSA and SEC1 EC keys to the PKCS#8 form `native-tls` requires (a small base64
//! and DER writer; no crypto), the verification switches, and the TLS handshake within the
//! connect deadline.
//!
//! Must not: log or put into an error the contents of a key.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use native_tls::{Certificate, HandshakeError, Identity, TlsConnector, TlsStream};

use crate::config::{Pem, TlsConfig};
use crate::error::{Error, ErrorKind, Result};

use super::transport::Deadline;

/// Builds a connector: system roots plus the CA certificates, the client identity, and no
/// verification when `insecure`. Problems with the PEM documents are [`ErrorKind::Config`]
/// errors naming the file (or the in-memory setting), never quoting its contents.
pub(super) fn connector(tls: &TlsConfig) -> Result<TlsConnector> {
    let mut builder = TlsConnector::builder();
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    if let Some(ca) = tls.ca() {
        let (pem, name) = load(ca, "CA")?;
        let blocks = pem_blocks(&pem);
        let mut added = 0;
        for block in blocks.iter().filter(|b| b.label == "CERTIFICATE") {
            let cert = Certificate::from_pem(block.to_pem().as_bytes()).map_err(|e| {
                Error::config(format!("{name} has a certificate that cannot be parsed"))
                    .with_source(e)
            })?;
            builder.add_root_certificate(cert);
            added += 1;
        }
        if added == 0 {
            return Err(Error::config(format!(
                "{name} has no PEM certificate (-----BEGIN CERTIFICATE-----)"
            )));
        }
    }
    if let Some((cert, key)) = tls.client_identity() {
        let (cert, cert_name) = load(cert, "client certificate")?;
        let (key, key_name) = load(key, "client key")?;
        let key = pkcs8_pem(&key)
            .map_err(|why| Error::config(format!("{key_name} cannot be used: {why}")))?;
        let identity = Identity::from_pkcs8(cert.as_bytes(), key.as_bytes()).map_err(|e| {
            Error::config(format!(
                "{cert_name} with {key_name} cannot be loaded as a client identity"
            ))
            .with_source(e)
        })?;
        builder.identity(identity);
    }
    if tls.insecure() {
        builder.danger_accept_invalid_certs(true);
        builder.danger_accept_invalid_hostnames(true);
    }
    builder
        .build()
        .map_err(|e| Error::config("the TLS settings cannot be applied").with_source(e))
}

/// The text of a PEM document and its name for errors: `TLS CA file /path` or `the in-memory
/// TLS CA PEM`.
fn load<'a>(pem: &'a Pem, what: &str) -> Result<(Cow<'a, str>, String)> {
    match pem {
        Pem::Text(text) => Ok((Cow::Borrowed(text), format!("the in-memory TLS {what} PEM"))),
        Pem::File(path) => {
            let name = format!("TLS {what} file {}", path.display());
            let bytes = std::fs::read(path)
                .map_err(|e| Error::config(format!("cannot read {name}")).with_source(e))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::config(format!("{name} is not a PEM text file")))?;
            Ok((Cow::Owned(text), name))
        }
    }
}

/// The TCP stream under a TLS session, with a read deadline checked before every `recv`, and
/// reads that do not wait while the session is shared.
///
/// OpenSSL's `SSL_read` goes on calling `recv` until a whole TLS record is in, so the socket's
/// read timeout only bounds each `recv`: a record trickling in a byte at a time would keep one
/// read going far past any timeout. Past `read_until`, a `recv` fails with `WouldBlock`
/// instead; the TLS library keeps the partial record and the next read completes it.
///
/// Without `wait`, a `recv` never blocks: it fails with `WouldBlock` when the socket holds
/// nothing (the TLS library then keeps what it has of a record, as above). The connection's
/// reader reads that way under the session lock and waits for bytes outside it (see
/// [`wait_readable`]), so that a writer can encrypt and send meanwhile (full duplex).
#[derive(Debug)]
pub(super) struct DeadlineStream {
    tcp: TcpStream,
    /// Set around each read by its reader (and for the whole handshake); `None` otherwise,
    /// so that a `recv` the TLS library makes inside a write is never refused.
    pub(super) read_until: Option<Instant>,
    /// Whether a `recv` may block (the handshake and writes); cleared around the reader's
    /// reads.
    pub(super) wait: bool,
    /// Bytes known to be in the socket's receive queue (a lower bound: only the reader takes
    /// them), from the last look: reading up to this many cannot block.
    pub(super) available: usize,
    /// Where a look copies what it sees (never read).
    peek_buf: Vec<std::mem::MaybeUninit<u8>>,
}

/// How much one look at the socket sees at most: a whole TLS record (16 KiB of data plus its
/// header and overhead), so that reading a record needs one look.
pub(super) const PEEK_LEN: usize = 17 * 1024;

impl DeadlineStream {
    pub(super) fn new(tcp: TcpStream) -> DeadlineStream {
        DeadlineStream {
            tcp,
            read_until: None,
            wait: true,
            available: 0,
            peek_buf: vec![std::mem::MaybeUninit::uninit(); PEEK_LEN],
        }
    }
}

/// How many bytes `socket` holds, up to `buf.len()`, looking without taking them: without
/// `wait` at once (`WouldBlock` when none), else waiting for some up to the socket's read
/// timeout. `Ok(0)` is the peer's close.
pub(super) fn look(
    socket: &TcpStream,
    buf: &mut [std::mem::MaybeUninit<u8>],
    wait: bool,
) -> io::Result<usize> {
    #[cfg(unix)]
    let flags = if wait {
        libc::MSG_PEEK
    } else {
        libc::MSG_PEEK | libc::MSG_DONTWAIT
    };
    #[cfg(not(unix))]
    let flags = {
        let _ = wait;
        2 // MSG_PEEK
    };
    socket2::SockRef::from(socket).recv_with_flags(buf, flags)
}

/// Waits, holding no lock, until `socket` has bytes to read (or was closed) or its read
/// timeout passes (`WouldBlock`/`TimedOut`); returns how many it holds (0: closed).
pub(super) fn wait_readable(
    socket: &TcpStream,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> io::Result<usize> {
    look(socket, buf, true)
}

impl Read for DeadlineStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read_until.is_some_and(|t| Instant::now() >= t) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the read deadline passed",
            ));
        }
        if !self.wait && self.available == 0 {
            // 0: the peer closed the connection, which the read below returns at once.
            self.available = look(&self.tcp, &mut self.peek_buf, false)?;
        }
        let n = if self.wait || self.available == 0 {
            // Waiting allowed; or the look saw the close, which this read returns.
            self.tcp.read(buf)?
        } else {
            let len = buf.len().min(self.available);
            self.tcp.read(buf.get_mut(..len).unwrap_or_default())?
        };
        self.available = self.available.saturating_sub(n);
        Ok(n)
    }
}

impl Write for DeadlineStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// Runs the TLS handshake over `stream`, verifying the certificate against `domain`, within
/// the deadline (`set_timeout` sets the socket timeouts to the time left). The returned
/// session keeps the deadline for reads until the caller clears it.
pub(super) fn handshake(
    connector: &TlsConnector,
    domain: &str,
    stream: TcpStream,
    addr: &str,
    deadline: &Deadline,
    set_timeout: &dyn Fn(Duration) -> io::Result<()>,
) -> Result<TlsStream<DeadlineStream>> {
    let mut stream = DeadlineStream::new(stream);
    stream.read_until = Some(deadline.at());
    let doing = "running the TLS handshake";
    let arm = || -> Result<()> {
        let left = deadline.remaining(doing)?;
        set_timeout(left).map_err(|e| Error::io("setting socket timeouts failed", e))
    };
    arm()?;
    let mut attempt = connector.connect(domain, stream);
    loop {
        match attempt {
            Ok(s) => return Ok(s),
            Err(HandshakeError::Failure(e)) => {
                return Err(
                    Error::new(ErrorKind::Io, format!("TLS handshake with {addr} failed"))
                        .with_source(e),
                )
            }
            // The socket timed out (it is blocking with a timeout); go on while time is left.
            Err(HandshakeError::WouldBlock(mid)) => {
                arm()?;
                attempt = mid.handshake();
            }
        }
    }
}

/// One `-----BEGIN <label>-----` … `-----END <label>-----` block.
#[derive(Debug, PartialEq, Eq)]
struct PemBlock<'a> {
    label: &'a str,
    /// Header lines (`Proc-Type: …`), which mark encrypted traditional keys.
    has_headers: bool,
    /// The base64 body, lines joined without whitespace.
    body: String,
}

impl PemBlock<'_> {
    fn to_pem(&self) -> String {
        pem_encode(self.label, &self.body)
    }
}

/// The PEM blocks of a file, in order; text outside blocks is ignored.
fn pem_blocks(text: &str) -> Vec<PemBlock<'_>> {
    let mut out = Vec::new();
    let mut current: Option<PemBlock<'_>> = None;
    for line in text.lines().map(str::trim) {
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            current = Some(PemBlock {
                label,
                has_headers: false,
                body: String::new(),
            });
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            if let Some(block) = current.take() {
                if block.label == label {
                    out.push(block);
                }
            }
        } else if let Some(block) = current.as_mut() {
            if line.contains(':') {
                block.has_headers = true;
            } else {
                block.body.push_str(line);
            }
        }
    }
    out
}

fn pem_encode(label: &str, base64_body: &str) -> String {
    let mut out = format!("-----BEGIN {label}-----\n");
    let mut rest = base64_body;
    while !rest.is_empty() {
        let cut = rest.len().min(64);
        let (line, tail) = rest.split_at(cut);
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The first private key in `pem`, as a PKCS#8 PEM block. The error says why not, without
/// quoting the file.
fn pkcs8_pem(pem: &str) -> std::result::Result<String, String> {
    let blocks = pem_blocks(pem);
    let Some(key) = blocks.iter().find(|b| b.label.ends_with("PRIVATE KEY")) else {
        return Err("no PEM private key (-----BEGIN PRIVATE KEY-----) found".into());
    };
    match key.label {
        "PRIVATE KEY" => Ok(key.to_pem()),
        "ENCRYPTED PRIVATE KEY" => Err("encrypted keys are not supported".into()),
        _ if key.has_headers => Err("encrypted keys are not supported".into()),
        "RSA PRIVATE KEY" => {
            let der = base64_decode(&key.body).ok_or("the key is not valid base64")?;
            Ok(pem_encode(
                "PRIVATE KEY",
                &base64_encode(&rsa_to_pkcs8(&der)),
            ))
        }
        "EC PRIVATE KEY" => {
            let der = base64_decode(&key.body).ok_or("the key is not valid base64")?;
            let curve = sec1_curve_oid(&der).ok_or(
                "the EC key does not name its curve; convert it with \
                 `openssl pkcs8 -topk8 -nocrypt`",
            )?;
            Ok(pem_encode(
                "PRIVATE KEY",
                &base64_encode(&ec_to_pkcs8(&der, curve)),
            ))
        }
        other => Err(format!(
            "unsupported key type {other}; convert it with `openssl pkcs8 -topk8 -nocrypt`"
        )),
    }
}

/// DER for rsaEncryption's AlgorithmIdentifier: SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }.
const RSA_ALGORITHM: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];
/// DER for OID 1.2.840.10045.2.1 (id-ecPublicKey).
const EC_PUBLIC_KEY_OID: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// DER for INTEGER 0 (the PKCS#8 version).
const VERSION_0: &[u8] = &[0x02, 0x01, 0x00];

/// PrivateKeyInfo { version 0, rsaEncryption, OCTET STRING { RSAPrivateKey } }.
fn rsa_to_pkcs8(pkcs1: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(pkcs1.len() + 32);
    body.extend_from_slice(VERSION_0);
    body.extend_from_slice(RSA_ALGORITHM);
    der_push(&mut body, 0x04, pkcs1);
    let mut out = Vec::with_capacity(body.len() + 4);
    der_push(&mut out, 0x30, &body);
    out
}

/// PrivateKeyInfo { version 0, { id-ecPublicKey, curve }, OCTET STRING { ECPrivateKey } }.
fn ec_to_pkcs8(sec1: &[u8], curve_oid: &[u8]) -> Vec<u8> {
    let mut alg = Vec::with_capacity(EC_PUBLIC_KEY_OID.len() + curve_oid.len());
    alg.extend_from_slice(EC_PUBLIC_KEY_OID);
    alg.extend_from_slice(curve_oid);
    let mut body = Vec::with_capacity(sec1.len() + 32);
    body.extend_from_slice(VERSION_0);
    der_push(&mut body, 0x30, &alg);
    der_push(&mut body, 0x04, sec1);
    let mut out = Vec::with_capacity(body.len() + 4);
    der_push(&mut out, 0x30, &body);
    out
}

/// The curve OID (whole TLV) in an ECPrivateKey's `[0] parameters`.
fn sec1_curve_oid(der: &[u8]) -> Option<&[u8]> {
    let (tag, seq, _) = der_read(der)?;
    if tag != 0x30 {
        return None;
    }
    let mut rest = seq;
    while !rest.is_empty() {
        let (tag, content, next) = der_read(rest)?;
        if tag == 0xa0 {
            let (inner_tag, _, _) = der_read(content)?;
            return (inner_tag == 0x06).then_some(content);
        }
        rest = next;
    }
    None
}

/// Reads one DER TLV: (tag, content, rest). Only definite lengths of up to 4 bytes.
fn der_read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, tail) = (rest.get(..n)?, rest.get(n..)?);
        rest = tail;
        bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// Appends a DER TLV.
fn der_push(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = ((n >> (18 - 6 * i)) & 0x3f) as usize;
                out.push(char::from(BASE64.get(idx).copied().unwrap_or(b'A')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut padding = false;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            padding = true;
            continue;
        }
        if padding {
            return None;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Throwaway keys and self-signed certificates generated for these tests only (openssl req
    // -x509 -newkey rsa:2048 -nodes; openssl rsa -traditional; openssl ecparam -genkey -name
    // prime256v1). Test data, not part of the published crate (see `exclude` in Cargo.toml).
    const CERT_PEM: &str = include_str!("../../testdata/tls/cert.pem");
    const RSA_TRADITIONAL_KEY: &str = include_str!("../../testdata/tls/rsa-traditional.key");
    const RSA_PKCS8_KEY: &str = include_str!("../../testdata/tls/rsa-pkcs8.key");
    const EC_SEC1_KEY: &str = include_str!("../../testdata/tls/ec-sec1.key");
    const EC_CERT_PEM: &str = include_str!("../../testdata/tls/ec-cert.pem");

    fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("coredis-tls-test-{}-{name}", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        path
    }

    #[test]
    fn base64_round_trip() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            let enc = base64_encode(data);
            assert_eq!(base64_decode(&enc).as_deref(), Some(data), "{enc}");
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_decode("Zm9v\nYmFy").unwrap(), b"foobar");
        assert!(base64_decode("Zm9v!").is_none());
        assert!(base64_decode("Zm=9v").is_none());
    }

    #[test]
    fn der_lengths() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let content = vec![7u8; len];
            let mut out = Vec::new();
            der_push(&mut out, 0x04, &content);
            let (tag, got, rest) = der_read(&out).unwrap();
            assert_eq!((tag, got.len(), rest.len()), (0x04, len, 0));
        }
        assert!(der_read(&[0x30, 0x05, 1]).is_none());
        assert!(der_read(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert!(der_read(&[]).is_none());
    }

    #[test]
    fn pem_parsing() {
        let text = format!("junk\n{CERT_PEM}\n{RSA_TRADITIONAL_KEY}");
        let blocks = pem_blocks(&text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[1].label, "RSA PRIVATE KEY");
        assert!(!blocks[1].has_headers);
    }

    #[test]
    fn traditional_rsa_key_is_converted() {
        let pkcs8 = pkcs8_pem(RSA_TRADITIONAL_KEY).unwrap();
        assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        // openssl's own conversion of the same key gives the same bytes.
        assert_eq!(pkcs8.trim(), RSA_PKCS8_KEY.trim());
        Identity::from_pkcs8(CERT_PEM.as_bytes(), pkcs8.as_bytes()).unwrap();
    }

    #[test]
    fn pkcs8_key_passes_through() {
        let pkcs8 = pkcs8_pem(RSA_PKCS8_KEY).unwrap();
        assert_eq!(pkcs8.trim(), RSA_PKCS8_KEY.trim());
    }

    #[test]
    fn ec_key_is_converted() {
        let pkcs8 = pkcs8_pem(EC_SEC1_KEY).unwrap();
        assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let der = base64_decode(&pem_blocks(&pkcs8)[0].body).unwrap();
        let (tag, _, rest) = der_read(&der).unwrap();
        assert_eq!((tag, rest.len()), (0x30, 0));
        Identity::from_pkcs8(EC_CERT_PEM.as_bytes(), pkcs8.as_bytes()).unwrap();
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(pkcs8_pem("").is_err());
        assert!(pkcs8_pem(CERT_PEM).is_err());
        assert!(pkcs8_pem(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        )
        .is_err());
        let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                         DEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(pkcs8_pem(encrypted).unwrap_err().contains("encrypted"));
        assert!(
            pkcs8_pem("-----BEGIN RSA PRIVATE KEY-----\n!!\n-----END RSA PRIVATE KEY-----")
                .is_err()
        );
    }

    #[test]
    fn connector_from_files() {
        let ca = temp_file("ca.pem", CERT_PEM);
        let cert = temp_file("cert.pem", CERT_PEM);
        let key = temp_file("key.pem", RSA_TRADITIONAL_KEY);
        let tls = TlsConfig::builder()
            .ca_file(&ca)
            .client_cert_file(&cert)
            .client_key_file(&key);
        connector(&tls.clone().build()).unwrap();
        connector(&tls.clone().insecure(true).build()).unwrap();

        // Missing and unparsable files are config errors naming the file.
        let missing = std::env::temp_dir().join("coredis-tls-test-does-not-exist.pem");
        let e = connector(&tls.clone().ca_file(&missing).build()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(
            e.to_string().contains(&missing.display().to_string()),
            "{e}"
        );

        let e = connector(&tls.clone().ca_file(&key).build()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);

        let e = connector(&tls.clone().no_ca().client_key_file(&cert).build()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains(&cert.display().to_string()), "{e}");
        // A damaged key: the error names the file, never its contents.
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAAS!!";
        let damaged =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n");
        let broken = temp_file("broken.pem", &damaged);
        let e = connector(&tls.clone().client_key_file(&broken).build()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains(&broken.display().to_string()), "{e}");
        assert!(!e.to_string().contains(body) && !format!("{e:?}").contains(body));
        for p in [&ca, &cert, &key, &broken] {
            let _ = std::fs::remove_file(p);
        }
    }

    #[test]
    fn connector_from_memory() {
        let tls = TlsConfig::builder()
            .ca_pem(CERT_PEM)
            .client_cert_pem(CERT_PEM)
            .client_key_pem(RSA_TRADITIONAL_KEY);
        connector(&tls.clone().build()).unwrap();
        connector(&tls.clone().client_key_pem(RSA_PKCS8_KEY).build()).unwrap();
        connector(
            &tls.clone()
                .client_cert_pem(EC_CERT_PEM)
                .client_key_pem(EC_SEC1_KEY)
                .build(),
        )
        .unwrap();
        // Errors name the setting, never the contents.
        let e = connector(&tls.clone().ca_pem(RSA_TRADITIONAL_KEY).build()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains("in-memory TLS CA PEM"), "{e}");
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAAS!!";
        let damaged =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n");
        let e = connector(&tls.clone().client_key_pem(damaged).build()).unwrap_err();
        assert!(
            e.to_string().contains("in-memory TLS client key PEM"),
            "{e}"
        );
        assert!(!format!("{e} {e:?}").contains(body), "{e:?}");
        // A key given in memory is not printed by Debug.
        let dbg = format!("{:?}", tls.build());
        assert!(dbg.contains("client_key: Some(\"Text(***)\")"), "{dbg}");
        assert!(!dbg.contains("PRIVATE"), "{dbg}");
    }
}
