//! Parsing `redis://`, `rediss://` and `unix://` URLs into a [`ConfigBuilder`], with a small
//! percent-decoder (no URL crate). Errors never quote the URL, only the part that is wrong, and
//! never a part that can hold the password.

use std::path::PathBuf;
use std::time::Duration;

use super::{Addr, ConfigBuilder, Pem, TlsConfig, DEFAULT_HOST, DEFAULT_PORT};
use crate::error::{Error, Result};

/// Parses a URL into a builder. See [`ConfigBuilder::from_url`].
pub(super) fn parse_url(url: &str) -> Result<ConfigBuilder> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(Error::config(
            "not a URL: expected redis://, rediss:// or unix:// at the start",
        ));
    };
    let scheme_lc = scheme.to_ascii_lowercase();
    if rest.contains('#') {
        return Err(Error::config(
            "URL fragments (#…) are not supported; write '#' in a password as %23",
        ));
    }
    let mut b = ConfigBuilder::default();
    match scheme_lc.as_str() {
        "redis" | "rediss" => {
            let Some(rest) = rest.strip_prefix("//") else {
                return Err(Error::config(format!(
                    "a {scheme_lc} URL must start with {scheme_lc}://"
                )));
            };
            let (before_query, query) = split_query(rest)?;
            let (userinfo, hostpath) = match before_query.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, before_query),
            };
            if let Some(u) = userinfo {
                b = apply_userinfo(b, u)?;
            }
            let (hostport, path) = match hostpath.find('/') {
                Some(i) => hostpath.split_at(i),
                None => (hostpath, ""),
            };
            let (host, port) = parse_hostport(hostport, "the URL")?;
            b.config.addr = Addr::Tcp { host, port };
            b.config.db = parse_db_path(path)?;
            let tls = scheme_lc == "rediss";
            if tls {
                b.config.tls = Some(TlsConfig::default());
            }
            b = apply_query(b, query, tls)?;
        }
        "unix" | "redis+unix" => {
            let (before_query, query) = split_query(rest)?;
            let path = match before_query.strip_prefix("//") {
                Some(authority_path) => {
                    let (userinfo, path) = match authority_path.rsplit_once('@') {
                        Some((u, p)) => (Some(u), p),
                        None => (None, authority_path),
                    };
                    if let Some(u) = userinfo {
                        b = apply_userinfo(b, u)?;
                    }
                    // `unix://localhost/path` is tolerated like `unix:///path`.
                    let path = path.strip_prefix("localhost").unwrap_or(path);
                    if !path.starts_with('/') {
                        return Err(Error::config(
                            "a unix socket URL takes an absolute path and no host: \
                             unix:///path/to/socket",
                        ));
                    }
                    path
                }
                None => before_query,
            };
            let path = percent_decode(path, "the unix socket path")?;
            if path.is_empty() || path == "/" {
                return Err(Error::config("the unix socket URL has no socket path"));
            }
            b.config.addr = Addr::Unix(PathBuf::from(path));
            b = apply_query(b, query, false)?;
        }
        _ => {
            let looks_like_scheme = !scheme.is_empty()
                && scheme
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'-' || c == b'.');
            return Err(if looks_like_scheme {
                Error::config(format!(
                    "unknown URL scheme '{scheme}': expected redis, rediss or unix"
                ))
            } else {
                Error::config("not a URL: expected redis://, rediss:// or unix:// at the start")
            });
        }
    }
    Ok(b)
}

/// Splits off the query. A `@` after the `?` is refused: it almost always means a password
/// with an unencoded `?`, and the error must not quote any of it.
fn split_query(rest: &str) -> Result<(&str, &str)> {
    match rest.split_once('?') {
        Some((before, query)) => {
            if query.contains('@') {
                return Err(Error::config(
                    "unexpected '@' after '?' in the URL: percent-encode '?' in a password \
                     as %3F and '@' in a query value as %40",
                ));
            }
            Ok((before, query))
        }
        None => Ok((rest, "")),
    }
}

/// Applies `user[:password]` (percent-encoded). Empty parts mean "not set".
fn apply_userinfo(mut b: ConfigBuilder, userinfo: &str) -> Result<ConfigBuilder> {
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (u, Some(p)),
        None => (userinfo, None),
    };
    let user = percent_decode(user, "the user name")?;
    b.config.username = (!user.is_empty()).then_some(user);
    if let Some(p) = password {
        let p = percent_decode(p, "the password")?;
        b.config.password = (!p.is_empty()).then_some(p);
    }
    Ok(b)
}

/// Parses an [`Addr`] in its `Display` form: `host[:port]`, `[v6][:port]` or `unix:/path`.
pub(super) fn parse_addr(s: &str) -> Result<Addr> {
    if let Some(path) = s.strip_prefix("unix:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(Error::config("the unix socket path must not be empty"));
        }
        return Ok(Addr::unix(path));
    }
    if s.contains("://") {
        return Err(Error::config(
            "an address is host:port, [ipv6]:port or unix:/path; parse URLs with \
             Config::from_url",
        ));
    }
    if s.is_empty() || s.starts_with(':') || s.starts_with("[]") {
        return Err(Error::config("the host must not be empty"));
    }
    let (host, port) = parse_hostport(s, "the address")?;
    Ok(Addr::Tcp { host, port })
}

/// Parses `host[:port]`, `[v6]` or `[v6]:port`; an empty host means the default host. `in_what`
/// ("the URL", "the address") says where, in errors.
fn parse_hostport(hostport: &str, in_what: &str) -> Result<(String, u16)> {
    let (host, port) = if let Some(bracketed) = hostport.strip_prefix('[') {
        let Some((host, after)) = bracketed.split_once(']') else {
            return Err(Error::config(format!(
                "an IPv6 host in {in_what} has '[' without a closing ']'"
            )));
        };
        let port = if after.is_empty() {
            None
        } else if let Some(p) = after.strip_prefix(':') {
            Some(p)
        } else {
            return Err(Error::config(format!(
                "unexpected characters after ']' in the host of {in_what}"
            )));
        };
        (host, port)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => {
                if p.contains(':') {
                    return Err(Error::config(format!(
                        "an IPv6 host in {in_what} must be written in brackets, e.g. \
                             [::1]:6379"
                    )));
                }
                (h, Some(p))
            }
            None => (hostport, None),
        }
    };
    if host.contains(|c: char| c.is_whitespace() || c == '%' || c == '[' || c == ']') {
        return Err(Error::config(format!(
            "the host in {in_what} has invalid characters"
        )));
    }
    let port = match port {
        None | Some("") => DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n != 0 && p.bytes().all(|c| c.is_ascii_digit()) => n,
            // Only digits are quoted: anything else may be a mangled password.
            _ if p.bytes().all(|c| c.is_ascii_digit()) => {
                return Err(Error::config(format!(
                    "invalid port {p} in {in_what}: expected 1 to 65535"
                )))
            }
            _ => {
                return Err(Error::config(format!(
                    "invalid port in {in_what}: expected a number from 1 to 65535"
                )))
            }
        },
    };
    let host = if host.is_empty() { DEFAULT_HOST } else { host };
    Ok((host.to_string(), port))
}

/// Parses the path of a `redis://` URL: empty, `/` or `/<db>`.
fn parse_db_path(path: &str) -> Result<i64> {
    let db = path.strip_prefix('/').unwrap_or(path);
    if db.is_empty() {
        return Ok(0);
    }
    // The path is not quoted: with a malformed URL it may hold part of a password.
    parse_db(db)
        .ok_or_else(|| Error::config("invalid database in the URL path: expected a number like /0"))
}

/// A database number: plain decimal digits.
fn parse_db(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Applies the query parameters. `tls` says whether the URL was `rediss://`.
fn apply_query(mut b: ConfigBuilder, query: &str, tls: bool) -> Result<ConfigBuilder> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(raw_key, "a query parameter name")?;
        let bad = |expected: &str| {
            Error::config(format!(
                "invalid value for URL query parameter '{key}': expected {expected}"
            ))
        };
        let value = percent_decode(raw_value, &format!("query parameter '{key}'"))?;
        match key.as_str() {
            "db" => b.config.db = parse_db(&value).ok_or_else(|| bad("a database number"))?,
            "protocol" => {
                b.config.protocol_version = match value.as_str() {
                    "2" => 2,
                    "3" => 3,
                    _ => return Err(bad("2 or 3")),
                }
            }
            "timeout" => {
                b.config.response_timeout =
                    parse_seconds(&value).ok_or_else(|| bad("a positive number of seconds"))?
            }
            "connect_timeout" => {
                b.config.connect_timeout =
                    parse_seconds(&value).ok_or_else(|| bad("a positive number of seconds"))?
            }
            "client_name" => b.config.client_name = Some(value),
            "max_in_flight" => {
                b.config.max_in_flight = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| bad("a positive integer"))?
            }
            "max_in_flight_bytes" => {
                b.config.max_in_flight_bytes = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| bad("a positive integer"))?
            }
            "tls_ca_file" | "ssl_ca_certs" | "tls_cert_file" | "ssl_certfile" | "tls_key_file"
            | "ssl_keyfile" | "tls_insecure" | "ssl_cert_reqs" | "tls_server_name" => {
                let Some(t) = b.config.tls.as_mut().filter(|_| tls) else {
                    return Err(Error::config(format!(
                        "URL query parameter '{key}' needs a rediss:// URL"
                    )));
                };
                if value.is_empty() {
                    return Err(bad("a non-empty value"));
                }
                match key.as_str() {
                    "tls_ca_file" | "ssl_ca_certs" => t.set_ca(Pem::File(value.into())),
                    "tls_cert_file" | "ssl_certfile" => t.set_client_cert(Pem::File(value.into())),
                    "tls_key_file" | "ssl_keyfile" => t.set_client_key(Pem::File(value.into())),
                    "tls_insecure" => t.set_insecure(match value.to_ascii_lowercase().as_str() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => return Err(bad("true or false")),
                    }),
                    "ssl_cert_reqs" => t.set_insecure(match value.to_ascii_lowercase().as_str() {
                        "none" | "cert_none" => true,
                        "required" | "cert_required" => false,
                        _ => return Err(bad("none or required")),
                    }),
                    _ => t.set_server_name(value),
                }
            }
            _ => {
                return Err(Error::config(format!(
                    "unknown URL query parameter '{key}'"
                )))
            }
        }
    }
    Ok(b)
}

/// Seconds as a positive, finite decimal (`1`, `0.25`).
fn parse_seconds(s: &str) -> Option<Duration> {
    let secs: f64 = s.parse().ok()?;
    if !secs.is_finite() || secs <= 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
}

/// Decodes `%XX` escapes; the result must be UTF-8. `what` names the part in the error,
/// which never quotes the input (it may be a password).
fn percent_decode(s: &str, what: &str) -> Result<String> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let bad = || Error::config(format!("invalid percent-encoding in {what}"));
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if c == b'%' {
            let hi = bytes
                .get(i + 1)
                .and_then(|h| hex_digit(*h))
                .ok_or_else(bad)?;
            let lo = bytes
                .get(i + 2)
                .and_then(|l| hex_digit(*l))
                .ok_or_else(bad)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| Error::config(format!("{what} is not UTF-8 once decoded")))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::error::ErrorKind;

    const SECRET: &str = "s3cr3t-P@ss";

    fn err(url: &str) -> Error {
        match Config::from_url(url) {
            Ok(c) => panic!("{url} parsed: {c:?}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{e}");
                e
            }
        }
    }

    /// The parsed URL, which must also be valid as a whole (TLS URLs only can be with the `tls`
    /// feature; without it they still parse, and `build` refuses them).
    fn ok(url: &str) -> Config {
        let parsed = ConfigBuilder::from_url(url)
            .unwrap_or_else(|e| panic!("{url}: {e}"))
            .config;
        if cfg!(feature = "tls") || parsed.tls().is_none() {
            let built = Config::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(built, parsed, "{url}");
        } else {
            let e = Config::from_url(url).unwrap_err();
            assert!(e.to_string().contains("`tls` feature"), "{e}");
        }
        parsed
    }

    #[test]
    fn plain_urls() {
        let c = ok("redis://localhost");
        assert_eq!(c.addr(), &Addr::tcp("localhost", 6379));
        assert_eq!(c.db(), 0);
        assert!(c.tls().is_none());

        let c = ok("redis://example.com:6380/2");
        assert_eq!(c.addr(), &Addr::tcp("example.com", 6380));
        assert_eq!(c.db(), 2);

        let c = ok("REDIS://h:7000/");
        assert_eq!(c.addr(), &Addr::tcp("h", 7000));
        assert_eq!(c.db(), 0);

        assert_eq!(ok("redis://").addr(), &Addr::default());
        assert_eq!(ok("redis://:6390").addr(), &Addr::tcp("127.0.0.1", 6390));
        assert_eq!(ok("redis://h:").addr(), &Addr::tcp("h", 6379));
        assert_eq!(ok("  redis://h  ").addr(), &Addr::tcp("h", 6379));
    }

    #[test]
    fn ipv6_urls() {
        let c = ok("redis://[::1]:6380/1");
        assert_eq!(c.addr(), &Addr::tcp("::1", 6380));
        assert_eq!(c.addr().to_string(), "[::1]:6380");
        assert_eq!(c.db(), 1);
        assert_eq!(ok("redis://[fe80::1]").addr(), &Addr::tcp("fe80::1", 6379));
        err("redis://::1:6379");
        err("redis://[::1");
        err("redis://[::1]x");
    }

    #[test]
    fn credentials() {
        let c = ok("redis://alice:s3cr3t@h");
        assert_eq!(c.username(), Some("alice"));
        assert_eq!(c.password(), Some("s3cr3t"));

        let c = ok("redis://:only-pass@h:1/4");
        assert_eq!(c.username(), None);
        assert_eq!(c.password(), Some("only-pass"));
        assert_eq!(c.addr(), &Addr::tcp("h", 1));
        assert_eq!(c.db(), 4);

        // Percent-decoding, and unencoded '@' and '/' in the password.
        let c = ok("redis://us%65r:p%40ss%3Aw%2Fo%3F%25rd@h");
        assert_eq!(c.username(), Some("user"));
        assert_eq!(c.password(), Some("p@ss:w/o?%rd"));
        let c = ok("redis://u:a@b/c:d@h:6390/3");
        assert_eq!(c.password(), Some("a@b/c:d"));
        assert_eq!(c.addr(), &Addr::tcp("h", 6390));
        assert_eq!(c.db(), 3);

        // Empty parts are "not set".
        let c = ok("redis://:@h");
        assert_eq!((c.username(), c.password()), (None, None));
        // A user without a password authenticates with an empty one (`nopass` users).
        for url in ["redis://alice@h", "redis://alice:@h"] {
            assert_eq!(ok(url).credentials(), Some(("alice", "")), "{url}");
        }
        assert_eq!(ok("redis://:pw@h").credentials(), Some(("default", "pw")));
        assert_eq!(ok("redis://h").credentials(), None);
        // Bad escapes.
        err("redis://:pa%zzss@h");
        err("redis://:pa%4@h");
        err("redis://:%ff%fe@h");
    }

    #[test]
    fn rediss_urls() {
        let c = ok("rediss://h");
        assert_eq!(c.tls(), Some(&TlsConfig::default()));
        assert_eq!(c.addr(), &Addr::tcp("h", 6379));

        let c = ok(
            "rediss://:pw@h:6390/1?tls_ca_file=/etc/ca%20dir/ca.pem&tls_cert_file=/c.pem\
                    &tls_key_file=/k.pem&tls_insecure=true&tls_server_name=redis.internal",
        );
        let t = c.tls().unwrap();
        assert_eq!(t.ca_file(), Some("/etc/ca dir/ca.pem".as_ref()));
        assert_eq!(t.client_cert_file(), Some("/c.pem".as_ref()));
        assert_eq!(t.client_key_file(), Some("/k.pem".as_ref()));
        assert!(t.insecure());
        assert_eq!(t.server_name(), Some("redis.internal"));

        let c = ok("rediss://h?ssl_ca_certs=/a&ssl_certfile=/b&ssl_keyfile=/c&ssl_cert_reqs=none");
        let t = c.tls().unwrap();
        assert_eq!(t.ca_file(), Some("/a".as_ref()));
        assert_eq!(t.client_cert_file(), Some("/b".as_ref()));
        assert_eq!(t.client_key_file(), Some("/c".as_ref()));
        assert!(t.insecure());
        let c = ok("rediss://h?tls_insecure=true&ssl_cert_reqs=required");
        assert!(!c.tls().unwrap().insecure());

        err("rediss://h?tls_insecure=maybe");
        err("rediss://h?ssl_cert_reqs=optional");
        err("rediss://h?tls_ca_file=");
        err("rediss://h?tls_cert_file=/c.pem"); // certificate without key
    }

    #[test]
    fn tls_params_need_rediss() {
        for key in [
            "tls_ca_file",
            "ssl_ca_certs",
            "tls_cert_file",
            "ssl_certfile",
            "tls_key_file",
            "ssl_keyfile",
            "tls_server_name",
        ] {
            let e = err(&format!("redis://h?{key}=/x"));
            assert!(e.to_string().contains(key), "{e}");
            assert!(e.to_string().contains("rediss://"), "{e}");
        }
        err("redis://h?tls_insecure=true");
        err("redis://h?ssl_cert_reqs=none");
        err("unix:///tmp/s?tls_insecure=true");
    }

    #[test]
    fn unix_urls() {
        let c = ok("unix:///var/run/redis.sock");
        assert_eq!(c.addr(), &Addr::unix("/var/run/redis.sock"));
        assert_eq!(c.db(), 0);

        let c = ok("unix:///tmp/my%20redis.sock?db=3&protocol=2");
        assert_eq!(c.addr(), &Addr::unix("/tmp/my redis.sock"));
        assert_eq!(c.db(), 3);
        assert_eq!(c.protocol_version(), 2);

        let c = ok("redis+unix:///tmp/r.sock?db=1");
        assert_eq!(c.addr(), &Addr::unix("/tmp/r.sock"));
        assert_eq!(c.db(), 1);

        let c = ok("unix://bob:pw%40x@/tmp/r.sock");
        assert_eq!(c.username(), Some("bob"));
        assert_eq!(c.password(), Some("pw@x"));
        assert_eq!(c.addr(), &Addr::unix("/tmp/r.sock"));

        let c = ok("unix://:pw@/tmp/r.sock");
        assert_eq!((c.username(), c.password()), (None, Some("pw")));

        assert_eq!(ok("unix:/tmp/r.sock").addr(), &Addr::unix("/tmp/r.sock"));
        assert_eq!(
            ok("unix://localhost/tmp/r.sock").addr(),
            &Addr::unix("/tmp/r.sock")
        );
        assert_eq!(
            ok("unix:///tmp/r.sock").addr().to_string(),
            "unix:/tmp/r.sock"
        );

        err("unix://");
        err("unix:///");
        err("unix://somehost/tmp/r.sock");
        err("unix:///tmp/r.sock?db=x");
    }

    #[test]
    fn query_parameters() {
        let c = ok("redis://h/1?db=5&protocol=2&timeout=0.5&connect_timeout=2\
                    &client_name=app-1&max_in_flight=64");
        assert_eq!(c.db(), 5, "the query db wins over the path");
        assert_eq!(c.protocol_version(), 2);
        assert_eq!(c.response_timeout(), Duration::from_millis(500));
        assert_eq!(c.connect_timeout(), Duration::from_secs(2));
        assert_eq!(c.client_name(), Some("app-1"));
        assert_eq!(c.max_in_flight(), 64);
        assert_eq!(ok("redis://h?").db(), 0);
        assert_eq!(ok("redis://h?&&db=2&").db(), 2);
        assert_eq!(ok("redis://h?protocol=3").protocol_version(), 3);
    }

    #[test]
    fn bad_urls() {
        // Bad ports.
        for url in [
            "redis://h:abc",
            "redis://h:0",
            "redis://h:65536",
            "redis://h:-1",
            "redis://h:+80",
            "redis://[::1]:x",
        ] {
            assert!(err(url).to_string().contains("port"), "{url}");
        }
        // Bad databases.
        for url in [
            "redis://h/x",
            "redis://h/-1",
            "redis://h/1/2",
            "redis://h/ 1",
        ] {
            assert!(err(url).to_string().contains("database"), "{url}");
        }
        for url in ["redis://h?db=x", "redis://h?db=-2", "redis://h?db="] {
            assert!(err(url).to_string().contains("'db'"), "{url}");
        }
        // Unknown schemes and non-URLs.
        assert!(err("http://h").to_string().contains("'http'"));
        err("localhost:6379");
        err("localhost");
        err("");
        err("redis:h");
        err("redis://h#frag");
        // Unknown query keys and bad values name the key.
        let e = err("redis://h?color=blue");
        assert!(e.to_string().contains("'color'"), "{e}");
        let e = err("redis://h?protocol=4");
        assert!(e.to_string().contains("'protocol'"), "{e}");
        for url in [
            "redis://h?timeout=0",
            "redis://h?timeout=-1",
            "redis://h?timeout=abc",
            "redis://h?timeout=inf",
            "redis://h?timeout=NaN",
            "redis://h?connect_timeout=0",
            "redis://h?max_in_flight=0",
            "redis://h?max_in_flight=lots",
        ] {
            let e = err(url);
            let key = url.split('?').nth(1).unwrap().split('=').next().unwrap();
            assert!(e.to_string().contains(&format!("'{key}'")), "{url}: {e}");
        }
        err("redis://h?client_name=has%20space");
        err("redis://h?protocol");
        err("redis://h host");
    }

    #[test]
    fn password_never_leaks() {
        let enc = "s3cr3t-P%40ss";
        let urls = [
            format!("redis://:{enc}@h"),
            format!("redis://alice:{enc}@h:6380/2?protocol=2"),
            format!("rediss://alice:{enc}@h?tls_insecure=true"),
            format!("unix://alice:{enc}@/tmp/s"),
        ];
        for url in &urls {
            let c = ok(url);
            assert_eq!(c.password(), Some(SECRET));
            for s in [format!("{c:?}"), format!("{:?}", c.to_builder())] {
                assert!(!s.contains("s3cr3t"), "{s}");
                assert!(s.contains(r#"password: Some("***")"#), "{s}");
            }
            assert!(!c.addr().to_string().contains("s3cr3t"));
        }
        // Errors in URLs with a password never quote it, even when it is mangled.
        let bad = [
            format!("redis://:{enc}@h:badport"),
            format!("redis://:{enc}@h/baddb"),
            format!("redis://:{enc}@h?unknown=1"),
            format!("redis://:{enc}@h?protocol=9"),
            format!("redis://alice:{enc}@h?tls_ca_file=/x"),
            "redis://:s3cr3t?x@h".to_string(),
            "redis://:s3cr3t#x@h".to_string(),
            "redis://:s3cr3t%zz@h".to_string(),
            "redis://alice:s3cr3t".to_string(),
            "redis:s3cr3t".to_string(),
            "s3cr3t@h".to_string(),
            "redis://[:s3cr3t@h".to_string(),
            "unix://:s3cr3t@host/tmp/s".to_string(),
        ];
        for url in &bad {
            if let Err(e) = Config::from_url(url) {
                for s in [e.to_string(), format!("{e:?}")] {
                    assert!(!s.contains("s3cr3t"), "{url}: {s}");
                }
            }
        }
        // Builder validation errors do not print it either.
        let e = Config::builder()
            .password(SECRET)
            .protocol_version(7)
            .build()
            .unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"));
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2fc%2F", "x").unwrap(), "a b/c/");
        assert_eq!(percent_decode("plain+text", "x").unwrap(), "plain+text");
        assert_eq!(percent_decode("%C3%A9", "x").unwrap(), "é");
        assert!(percent_decode("%", "x").is_err());
        assert!(percent_decode("%g0", "x").is_err());
        assert!(percent_decode("%C3", "x").is_err());
    }
}
