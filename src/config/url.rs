//! Parsing `redis://`, `rediss://` and `unix://` (or `redis+unix://`) URLs into a
//! [`ConfigBuilder`], and `host:port` addresses into an [`Addr`], with the `url` crate.
//!
//! Owns: which URL forms the client accepts and what each part means (credentials, host,
//! port, database path, query parameters), and the errors for the rest. The syntax itself
//! (authority, IPv6 literals, ports, which characters end which part) is the `url` crate's;
//! two forms this module accepted before it used that crate are rewritten into standard ones
//! first ([`standard_authority`]). Escapes are decoded with `percent-encoding`, after a strict
//! check (`url` lets a stray `%` through; this module refuses it).
//!
//! Must not: quote the URL in an error, only the part that is wrong, and never a part that can
//! hold the password (errors name the part instead; the `url` crate's own error texts are
//! fixed and quote nothing).

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::Duration;

use url::{Host, Url};

use super::{Addr, ConfigBuilder, Pem, TlsConfig, DEFAULT_HOST, DEFAULT_PORT};
use crate::error::{Error, Result};

const NOT_A_URL: &str = "not a URL: expected redis://, rediss:// or unix:// at the start";

/// Parses a URL into a builder. See [`ConfigBuilder::from_url`].
pub(super) fn parse_url(url: &str) -> Result<ConfigBuilder> {
    let url = url.trim();
    refuse_control_chars(url, "the URL")?;
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(Error::config(NOT_A_URL));
    };
    let scheme_lc = scheme.to_ascii_lowercase();
    if rest.contains('#') {
        return Err(Error::config(
            "URL fragments (#…) are not supported; write '#' in a password as %23",
        ));
    }
    let unix = match scheme_lc.as_str() {
        "redis" | "rediss" => false,
        "unix" | "redis+unix" => true,
        _ => {
            let looks_like_scheme = scheme
                .bytes()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'-' || c == b'.');
            return Err(Error::config(if scheme_lc.ends_with("+sentinel") {
                "a Sentinel URL: parse it with SentinelConfig::from_url".to_string()
            } else if looks_like_scheme {
                format!("unknown URL scheme '{scheme}': expected redis, rediss or unix")
            } else {
                NOT_A_URL.to_string()
            }));
        }
    };
    refuse_at_in_query(rest)?;
    let parsed = match rest.strip_prefix("//") {
        Some(authority_on) => {
            let placeholder = if unix { "localhost" } else { DEFAULT_HOST };
            let fixed = standard_authority(authority_on, placeholder)?;
            Url::parse(&format!("{scheme_lc}://{fixed}"))
        }
        // `unix:/path` (and `unix:relative/path`): no authority at all. An `@` there is
        // refused: it is almost always `unix:/user:password@/path` missing a `/`, and the
        // password would become part of the socket path, shown in `Debug` and errors.
        None if unix && rest.contains('@') => {
            return Err(Error::config(
                "unexpected '@' in a unix socket path: credentials go in \
                 unix://user:password@/path/to/socket",
            ))
        }
        None if unix => Url::parse(url),
        None => {
            return Err(Error::config(format!(
                "a {scheme_lc} URL must start with {scheme_lc}://"
            )))
        }
    }
    .map_err(|e| url_error(e, "the URL"))?;

    let mut b = ConfigBuilder::default();
    if !parsed.username().is_empty() {
        b.config.username = Some(percent_decode(parsed.username(), "the user name")?);
    }
    if let Some(p) = parsed.password().filter(|p| !p.is_empty()) {
        b.config.password = Some(percent_decode(p, "the password")?);
    }
    let tls = scheme_lc == "rediss";
    if unix {
        match parsed.host() {
            None => {}
            Some(Host::Domain("localhost")) if parsed.port().is_none() => {}
            Some(_) => {
                return Err(Error::config(
                    "a unix socket URL takes an absolute path and no host: \
                     unix:///path/to/socket",
                ))
            }
        }
        let path = percent_decode(parsed.path(), "the unix socket path")?;
        if path.is_empty() || path == "/" {
            return Err(Error::config("the unix socket URL has no socket path"));
        }
        b.config.addr = Addr::Unix(PathBuf::from(path));
    } else {
        let (host, port) = host_port(&parsed, "the URL")?;
        b.config.addr = Addr::Tcp { host, port };
        b.config.db = parse_db_path(parsed.path())?;
        if tls {
            b.config.tls = Some(TlsConfig::default());
        }
    }
    apply_query(b, parsed.query().unwrap_or(""), tls)
}

/// Rewrites the two authority forms this module accepted before it used the `url` crate, and
/// that the URL standard reads differently, into standard ones; `rest` is what follows
/// `scheme://`. The user information is everything before the last `@` ahead of the query
/// (`?`), as before:
///
/// - a `/` in it (an unescaped `/` in a password) is escaped as `%2F`; the standard would end
///   the authority there and read the rest of the password as a path;
/// - an empty host (`redis://:6390`, `redis://user:pw@`, `unix://user:pw@/path`) gets
///   `placeholder`, which means the same (the default host; `localhost` for a unix socket);
///   the standard refuses an empty host before a port or after user information.
///
/// It also gives a clearer error for an IPv6 address without brackets.
fn standard_authority<'a>(rest: &'a str, placeholder: &str) -> Result<Cow<'a, str>> {
    let query_at = rest.find('?').unwrap_or(rest.len());
    let (userinfo, host_on) = match rest.get(..query_at).and_then(|a| a.rsplit_once('@')) {
        Some((u, _)) => (Some(u), rest.get(u.len() + 1..).unwrap_or("")),
        None => (None, rest),
    };
    let host_port = host_on.split(['/', '?']).next().unwrap_or("");
    refuse_unbracketed_ipv6(host_port, "the URL")?;
    let empty_host = host_port.is_empty() || host_port.starts_with(':');
    if !empty_host && !userinfo.is_some_and(|u| u.contains('/')) {
        return Ok(Cow::Borrowed(rest));
    }
    let mut out = String::with_capacity(rest.len() + placeholder.len() + 8);
    if let Some(u) = userinfo {
        out.push_str(&u.replace('/', "%2F"));
        out.push('@');
    }
    if empty_host {
        out.push_str(placeholder);
    }
    out.push_str(host_on);
    Ok(Cow::Owned(out))
}

/// A `@` after the `?` almost always means a password with an unencoded `?`; it is refused
/// before parsing, and the error must not quote any of it.
pub(crate) fn refuse_at_in_query(rest: &str) -> Result<()> {
    match rest.split_once('?') {
        Some((_, query)) if query.contains('@') => Err(Error::config(
            "unexpected '@' after '?' in the URL: percent-encode '?' in a password as %3F and \
             '@' in a query value as %40",
        )),
        _ => Ok(()),
    }
}

/// The `url` crate drops tabs and newlines anywhere in its input (the URL standard does): a
/// password with one would silently become another password. Control characters are
/// refused instead; they must be percent-encoded.
pub(crate) fn refuse_control_chars(s: &str, in_what: &str) -> Result<()> {
    if s.bytes().any(|c| c.is_ascii_control()) {
        return Err(Error::config(format!(
            "{in_what} has a control character (tab, newline…): percent-encode it"
        )));
    }
    Ok(())
}

/// `::1:6379` and the like: the standard would only say "empty host" or "invalid port".
fn refuse_unbracketed_ipv6(host_port: &str, in_what: &str) -> Result<()> {
    if !host_port.starts_with('[') && host_port.matches(':').count() > 1 {
        return Err(Error::config(format!(
            "an IPv6 host in {in_what} must be written in brackets, e.g. [::1]:6379"
        )));
    }
    Ok(())
}

/// The `url` crate's error, said in this module's terms. `in_what` ("the URL", "the address")
/// says where.
fn url_error(e: url::ParseError, in_what: &str) -> Error {
    use url::ParseError as P;
    Error::config(match e {
        P::InvalidPort => {
            format!("invalid port in {in_what}: expected a number from 1 to 65535")
        }
        P::InvalidIpv6Address => format!(
            "invalid IPv6 host in {in_what}: expected an address in brackets, e.g. [::1]:6379"
        ),
        P::EmptyHost => format!("the host in {in_what} must not be empty"),
        P::InvalidDomainCharacter | P::InvalidIpv4Address | P::IdnaError => {
            format!("the host in {in_what} has invalid characters")
        }
        P::RelativeUrlWithoutBase => NOT_A_URL.to_string(),
        // The crate's messages are fixed texts: they never quote the input.
        other => format!("{in_what} does not parse: {other}"),
    })
}

/// The host and port of a parsed `redis://` URL (or address); no host means the default host.
fn host_port(url: &Url, in_what: &str) -> Result<(String, u16)> {
    let host = match url.host() {
        None => DEFAULT_HOST.to_string(),
        Some(Host::Ipv6(a)) => a.to_string(),
        Some(Host::Ipv4(a)) => a.to_string(),
        // An opaque host (the scheme is not one the standard knows): `url` keeps escapes and
        // escapes non-ASCII; neither is a host name to resolve.
        Some(Host::Domain(d)) if d.contains('%') => {
            return Err(Error::config(format!(
                "the host in {in_what} has invalid characters"
            )))
        }
        Some(Host::Domain(d)) => d.to_string(),
    };
    let port = match url.port() {
        None => DEFAULT_PORT,
        Some(0) => {
            return Err(Error::config(format!(
                "invalid port 0 in {in_what}: expected 1 to 65535"
            )))
        }
        Some(p) => p,
    };
    Ok((host, port))
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
    if s.contains("://") || s.contains(['@', '/', '?', '#']) {
        return Err(Error::config(
            "an address is host:port, [ipv6]:port or unix:/path; parse URLs with \
             Config::from_url",
        ));
    }
    if s.is_empty() || s.starts_with(':') || s.starts_with("[]") {
        return Err(Error::config("the host must not be empty"));
    }
    refuse_control_chars(s, "the address")?;
    refuse_unbracketed_ipv6(s, "the address")?;
    let url = Url::parse(&format!("redis://{s}")).map_err(|e| url_error(e, "the address"))?;
    let (host, port) = host_port(&url, "the address")?;
    Ok(Addr::Tcp { host, port })
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
    // `wait_replicas` and `wait_timeout` make one setting, in either order.
    let (mut wait_replicas, mut wait_timeout) = (None, None);
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
            "wait_replicas" => {
                wait_replicas = Some(
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad("a positive number of replicas"))?,
                )
            }
            "wait_timeout" => {
                wait_timeout =
                    Some(parse_seconds(&value).ok_or_else(|| bad("a positive number of seconds"))?)
            }
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
                        "URL query parameter '{key}' needs TLS: a rediss:// (or \
                         rediss+sentinel://) URL"
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
    match (wait_replicas, wait_timeout) {
        (Some(n), timeout) => {
            let timeout = timeout.unwrap_or(super::DEFAULT_WAIT_TIMEOUT);
            b = b.wait_for_replicas(n, timeout);
        }
        (None, Some(_)) => {
            return Err(Error::config(
                "URL query parameter 'wait_timeout' needs 'wait_replicas'",
            ))
        }
        (None, None) => {}
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

/// Decodes `%XX` escapes; the result must be UTF-8. A `%` not followed by two hex digits is
/// refused (`percent-encoding` would keep it as it is). `what` names the part in the error,
/// which never quotes the input (it may be a password).
pub(crate) fn percent_decode(s: &str, what: &str) -> Result<String> {
    let b = s.as_bytes();
    let hex_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    let bad_escape = b
        .iter()
        .enumerate()
        .any(|(i, &c)| c == b'%' && !(hex_at(i + 1) && hex_at(i + 2)));
    if bad_escape {
        return Err(Error::config(format!("invalid percent-encoding in {what}")));
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| Error::config(format!("{what} is not UTF-8 once decoded")))
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
    fn wait_for_replicas_from_the_query() {
        use crate::WaitForReplicas;
        use std::time::Duration;
        let c = ok("redis://h?wait_replicas=2&wait_timeout=0.25");
        assert_eq!(
            c.wait_for_replicas(),
            Some(WaitForReplicas::new(2, Duration::from_millis(250)))
        );
        let c = ok("redis://h?wait_timeout=2&wait_replicas=1");
        assert_eq!(
            c.wait_for_replicas(),
            Some(WaitForReplicas::new(1, Duration::from_secs(2)))
        );
        let c = ok("redis://h?wait_replicas=1");
        assert_eq!(
            c.wait_for_replicas().map(|w| w.timeout()),
            Some(Duration::from_secs(1))
        );
        assert_eq!(ok("redis://h").wait_for_replicas(), None);
        for bad in [
            "redis://h?wait_replicas=0",
            "redis://h?wait_replicas=x",
            "redis://h?wait_replicas=-1",
            "redis://h?wait_timeout=1",
            "redis://h?wait_replicas=1&wait_timeout=0",
            // Not shorter than the response timeout.
            "redis://h?wait_replicas=1&wait_timeout=5&timeout=5",
        ] {
            let e = Config::from_url(bad).unwrap_err();
            assert!(e.to_string().contains("wait_"), "{bad}: {e}");
        }
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
    fn ipv6_literals() {
        assert_eq!(ok("redis://[::1]:6379").addr(), &Addr::tcp("::1", 6379));
        assert_eq!(ok("redis://[::1]").addr(), &Addr::tcp("::1", 6379));
        assert_eq!(ok("redis://[::1]:").addr(), &Addr::tcp("::1", 6379));
        // The address is normalized (lower case, shortest form).
        assert_eq!(
            ok("redis://[FE80:0:0:0:0:0:0:1]:7000").addr(),
            &Addr::tcp("fe80::1", 7000)
        );
        assert_eq!(
            ok("rediss://[2001:db8::7]:6390/3").addr(),
            &Addr::tcp("2001:db8::7", 6390)
        );
        let c = ok("redis://alice:p%40ss@[::1]:6380/2?protocol=2");
        assert_eq!(c.credentials(), Some(("alice", "p@ss")));
        assert_eq!(c.addr(), &Addr::tcp("::1", 6380));
        assert_eq!(c.db(), 2);
        // An unescaped '/' and '@' in a password before an IPv6 host.
        let c = ok("redis://:a/b@c@[::1]:6381");
        assert_eq!(c.password(), Some("a/b@c"));
        assert_eq!(c.addr(), &Addr::tcp("::1", 6381));
        for url in [
            "redis://[::1]:65536",
            "redis://[::1]:0",
            "redis://[::1]:-1",
            "redis://[::1]:6379:1",
        ] {
            assert!(err(url).to_string().contains("port"), "{url}");
        }
        for url in [
            "redis://[]",
            "redis://[::g]",
            "redis://[1:2:3:4:5:6:7:8:9]",
            "redis://[fe80::1%25eth0]", // zone ids: not supported (nor before)
            "redis://[::1]]",
            "redis://fe80::1",
            "redis://:pw@::1:6379",
        ] {
            err(url);
        }
        assert!(err("redis://::1:6379").to_string().contains("brackets"));
        assert_eq!(
            "[::1]:6379".parse::<Addr>().unwrap(),
            Addr::tcp("::1", 6379)
        );
        assert!("[::1]:0".parse::<Addr>().is_err());
        assert!("[::1]:65536".parse::<Addr>().is_err());
    }

    #[test]
    fn escapes_in_user_and_password() {
        let c = ok("redis://a%40b%3Ac%2Fd:p%40%3A%2Fw@h");
        assert_eq!(c.credentials(), Some(("a@b:c/d", "p@:/w")));
        // Lower-case hex too; '+' is a plus sign, not a space.
        let c = ok("redis://u%2f:x%3a+y@h");
        assert_eq!(c.credentials(), Some(("u/", "x:+y")));
        // A second ':' belongs to the password; non-ASCII and spaces are kept as written.
        let c = ok("redis://u:a:b c:pässwörd@h");
        assert_eq!(c.password(), Some("a:b c:pässwörd"));
        // `%25` is a literal '%'.
        assert_eq!(ok("redis://:100%25@h").password(), Some("100%"));
        for url in [
            "redis://u%zz:pw@h",
            "redis://u%:pw@h",
            "redis://:pw%zz@h",
            "redis://:pw%@h",
            "redis://:pw%2@h",
            "redis://:%C3@h", // not UTF-8 once decoded
            "unix://:pw%zz@/tmp/s",
            "redis://h?client_name=a%zz",
            "redis://h?db%zz=1",
        ] {
            let e = err(url);
            assert!(
                e.to_string().contains("percent-encoding") || e.to_string().contains("UTF-8"),
                "{url}: {e}"
            );
        }
    }

    #[test]
    fn empty_user_or_password() {
        for url in [
            "redis://alice:@h",
            "rediss://alice:@[::1]",
            "unix://alice:@/tmp/s",
        ] {
            let c = ok(url);
            assert_eq!(c.credentials(), Some(("alice", "")), "{url}");
            assert_eq!(c.password(), None, "{url}");
        }
        for url in ["redis://:@h", "redis://@h", "unix://:@/tmp/s"] {
            let c = ok(url);
            assert_eq!((c.username(), c.password()), (None, None), "{url}");
        }
        // Credentials and no host: the default host.
        let c = ok("redis://u:p@");
        assert_eq!(c.addr(), &Addr::default());
        assert_eq!(c.credentials(), Some(("u", "p")));
        assert_eq!(
            ok("redis://u:p@:6390").addr(),
            &Addr::tcp("127.0.0.1", 6390)
        );
    }

    #[test]
    fn ports_out_of_range() {
        for url in [
            "redis://h:0",
            "redis://h:00",
            "redis://h:65536",
            "redis://h:99999",
            "redis://h:4294967296",
            "redis://h:18446744073709551617",
            "redis://h:123456789012345678901234567890",
            "redis://:65536",
            "redis://h:1e3",
            "redis://h:0x10",
            "redis://h: 1",
        ] {
            assert!(err(url).to_string().contains("port"), "{url}");
        }
        assert_eq!(ok("redis://h:65535").addr(), &Addr::tcp("h", 65535));
        assert_eq!(ok("redis://h:1").addr(), &Addr::tcp("h", 1));
        assert_eq!(ok("redis://h:06379").addr(), &Addr::tcp("h", 6379));
        for bad in ["h:0", "h:65536", "h:99999999999"] {
            assert!(bad.parse::<Addr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn unix_socket_path_forms() {
        let sock = Addr::unix("/tmp/r.sock");
        for url in [
            "unix:/tmp/r.sock",
            "unix:///tmp/r.sock",
            "UNIX:///tmp/r.sock",
            "redis+unix:///tmp/r.sock",
            "redis+unix:/tmp/r.sock",
            "unix://localhost/tmp/r.sock",
            "unix://u:p@/tmp/r.sock",
            "unix://u:p@localhost/tmp/r.sock",
            "unix:///tmp/r.sock?",
        ] {
            assert_eq!(ok(url).addr(), &sock, "{url}");
        }
        assert_eq!(ok("unix:///tmp/a%2Fb").addr(), &Addr::unix("/tmp/a/b"));
        assert_eq!(
            ok("unix:///tmp/r%C3%A9.sock").addr(),
            &Addr::unix("/tmp/ré.sock")
        );
        assert_eq!(
            ok("unix:///tmp/ré.sock").addr(),
            &Addr::unix("/tmp/ré.sock")
        );
        // Without `//`, a relative path (as before).
        assert_eq!(ok("unix:r.sock").addr(), &Addr::unix("r.sock"));
        let c = ok("redis+unix://:pw@/var/run/redis/redis.sock?db=2&protocol=2");
        assert_eq!(c.addr(), &Addr::unix("/var/run/redis/redis.sock"));
        assert_eq!(
            (c.password(), c.db(), c.protocol_version()),
            (Some("pw"), 2, 2)
        );
        for url in [
            "unix:",
            "unix:/",
            "unix://localhost",
            "unix://localhost/",
            "unix://localhost:6379/tmp/r.sock",
            "unix://u:p@host/tmp/r.sock",
            "unix://[::1]/tmp/r.sock",
            "unix:///tmp/r%zz.sock",
            "unix:///tmp/r.sock?color=blue",
            // Credentials missing a '/': they would become part of the path.
            "unix:/u:pw@/tmp/r.sock",
            "redis+unix:/:pw@/tmp/r.sock",
        ] {
            err(url);
        }
    }

    #[test]
    fn control_characters_are_refused_not_dropped() {
        // The URL standard drops tabs and newlines: "a\tb" would become the password "ab".
        for url in [
            "redis://:a\tb@h",
            "redis://h\n:6379",
            "redis://h?client_name=a\rb",
        ] {
            let e = err(url);
            assert!(e.to_string().contains("control character"), "{e}");
        }
        assert_eq!(ok("redis://:a%09b@h").password(), Some("a\tb"));
        assert!("h\t:6379".parse::<Addr>().is_err());
    }

    #[test]
    fn hosts() {
        assert_eq!(
            ok("redis://Example.COM").addr(),
            &Addr::tcp("Example.COM", 6379)
        );
        assert_eq!(ok("redis://10.0.0.1:7").addr(), &Addr::tcp("10.0.0.1", 7));
        assert_eq!(
            ok("redis://my_host-1.local").addr(),
            &Addr::tcp("my_host-1.local", 6379)
        );
        for url in [
            "redis://ex%41mple",
            "redis://hé",
            "redis://h<x",
            "redis://h|x",
        ] {
            assert!(err(url).to_string().contains("host"), "{url}");
        }
        for bad in ["u@h", "h/0", "h?x", "h#x"] {
            assert!(bad.parse::<Addr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn password_never_leaks_with_escapes_and_ipv6() {
        const RAW: &str = "p@ss:w/o?rd#1";
        let enc = "p%40ss%3Aw%2Fo%3Frd%231";
        for url in [
            format!("redis://:{enc}@[::1]:6380/1"),
            format!("rediss://alice:{enc}@[fe80::1]"),
            format!("redis://alice:{enc}@h?protocol=3"),
            format!("unix://alice:{enc}@/tmp/s"),
        ] {
            let c = ok(&url);
            assert_eq!(c.password(), Some(RAW));
            for s in [format!("{c:?}"), format!("{:?}", c.to_builder())] {
                assert!(!s.contains("p@ss") && !s.contains("p%40ss"), "{s}");
            }
        }
        for url in [
            format!("redis://:{enc}@[::1]:badport"),
            format!("redis://:{enc}@[::1]:65536"),
            format!("redis://:{enc}@[::1/0"),
            format!("redis://:{enc}@[::g]"),
            format!("redis://:{enc}@::1:6379"),
            format!("redis://:{enc}@[::1]/baddb"),
            format!("redis://:{enc}@[::1]?unknown=1"),
            format!("redis://:{enc}%zz@[::1]"),
            format!("redis://:{enc}%C3@h"),
            format!("redis://:{enc}\t@h"),
            format!("unix://:{enc}@host/tmp/s"),
            "redis://:p@ss:w/o%zz@[::1]".to_string(),
            "redis://:p@ss:w/o?rd@[::1]".to_string(),
            "redis://:p@ss:w/o#rd@[::1]".to_string(),
            "redis://:p@ss:w/o@[::1".to_string(),
        ] {
            let e = err(&url);
            for s in [e.to_string(), format!("{e:?}")] {
                for part in ["p@ss", "p%40ss", "w/o", "w%2Fo"] {
                    assert!(!s.contains(part), "{url}: {s}");
                }
            }
        }
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

    // ------------------------------------------------------------ fuzz run (see `resp`'s)

    use proptest::prelude::*;

    use crate::resp::{arb_mutations, fuzz_config, mutate};

    /// The start of every generated password: what a leak check looks for, with the full
    /// password, raw and encoded.
    const CORE: &str = "Zq";

    /// A URL built from parts, with what it should parse to.
    #[derive(Debug, Clone)]
    struct Parts {
        url: String,
        user: String,
        password: String,
        encoded_password: String,
        /// `Some` for a TCP URL whose port is valid.
        tcp: Option<(String, u16)>,
        bad_port: bool,
    }

    /// Percent-encodes `s`, leaving letters and digits, and, when `raw` allows, the characters
    /// that may stay unescaped in a password (`@ : /`). Hex digits in random case.
    fn encode(s: &str, raw: &[bool], lower: bool) -> String {
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            let keep = c.is_ascii_alphanumeric()
                || ("@:/".contains(c) && raw.get(i % raw.len().max(1)).copied().unwrap_or(false));
            if keep {
                out.push(c);
            } else {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&if lower {
                        format!("%{b:02x}")
                    } else {
                        format!("%{b:02X}")
                    });
                }
            }
        }
        out
    }

    fn arb_parts() -> impl Strategy<Value = Parts> {
        let scheme = prop::sample::select(vec!["redis", "rediss", "REDIS", "unix", "redis+unix"]);
        let user = prop::option::of("[a-z]{1,6}([@:/%?#é ][a-z0-9]{0,3})?");
        let password = "[a-z0-9]{6}([@:/%?#&=+ é\\[\\]]{0,3}[a-zA-Z0-9]{0,4}){0,3}";
        let host = prop::sample::select(vec![
            "",
            "h",
            "example.com",
            "10.0.0.1",
            "[::1]",
            "[fe80::1]",
            "[2001:db8::7]",
        ]);
        let port = prop::option::of(prop_oneof![1u32..=65535, 0u32..=0, 65536u32..1_000_000]);
        let path = prop::option::of(0u32..16);
        let query = prop::sample::subsequence(
            vec![
                "db=1",
                "protocol=2",
                "timeout=0.5",
                "client_name=app",
                "max_in_flight=7",
            ],
            0..3,
        );
        (
            scheme,
            user,
            password,
            prop::collection::vec(any::<bool>(), 1..8),
            any::<bool>(),
            (host, port, path, query),
        )
            .prop_map(
                |(scheme, user, pw, raw, lower, (host, port, path, query))| {
                    let password = format!("{CORE}{pw}");
                    let encoded_password = encode(&password, &raw, lower);
                    let user = user.unwrap_or_default();
                    let mut url = format!(
                        "{scheme}://{}:{encoded_password}@",
                        encode(&user, &[], lower)
                    );
                    let unix = scheme.contains("unix");
                    if unix {
                        url.push_str(if port.is_some() { "localhost" } else { "" });
                        url.push_str("/tmp/r.sock");
                    } else {
                        url.push_str(host);
                        if let Some(p) = port {
                            url.push_str(&format!(":{p}"));
                        }
                        if let Some(db) = path {
                            url.push_str(&format!("/{db}"));
                        }
                    }
                    if !query.is_empty() {
                        url.push('?');
                        url.push_str(&query.join("&"));
                    }
                    let bad_port = !unix && port.is_some_and(|p| p == 0 || p > 65535);
                    let tcp = (!unix && !bad_port).then(|| {
                        let h = host.trim_start_matches('[').trim_end_matches(']');
                        let h = if h.is_empty() { DEFAULT_HOST } else { h };
                        (h.to_string(), port.map_or(DEFAULT_PORT, |p| p as u16))
                    });
                    Parts {
                        url,
                        user,
                        password,
                        encoded_password,
                        tcp,
                        bad_port,
                    }
                },
            )
    }

    /// Runs every URL and address parser on `input`; an error never shows `secrets`.
    fn parse_all(input: &str, secrets: &[&str]) -> std::result::Result<(), TestCaseError> {
        let mut shown = Vec::new();
        if let Err(e) = ConfigBuilder::from_url(input) {
            shown.extend([e.to_string(), format!("{e:?}")]);
        }
        if let Err(e) = Config::from_url(input) {
            shown.extend([e.to_string(), format!("{e:?}")]);
        }
        if let Err(e) = crate::ClusterConfig::from_url(input) {
            shown.extend([e.to_string(), format!("{e:?}")]);
        }
        if let Err(e) = input.parse::<Addr>() {
            shown.extend([e.to_string(), format!("{e:?}")]);
        }
        for s in &shown {
            for secret in secrets.iter().filter(|s| !s.is_empty()) {
                prop_assert!(!s.contains(secret), "{:?} shows {:?}: {}", input, secret, s);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(fuzz_config())]

        /// Valid URLs parse to their parts; the password never shows.
        #[test]
        fn fuzz_generated_urls_parse_to_their_parts(p in arb_parts()) {
            match ConfigBuilder::from_url(&p.url) {
                Ok(b) => {
                    prop_assert!(!p.bad_port, "{}", p.url);
                    let c = &b.config;
                    prop_assert_eq!(c.password(), Some(p.password.as_str()), "{}", p.url);
                    let user = (!p.user.is_empty()).then_some(p.user.as_str());
                    prop_assert_eq!(c.username(), user, "{}", p.url);
                    if let Some((host, port)) = &p.tcp {
                        prop_assert_eq!(c.addr(), &Addr::tcp(host.as_str(), *port), "{}", p.url);
                    } else {
                        prop_assert_eq!(c.addr(), &Addr::unix("/tmp/r.sock"), "{}", p.url);
                    }
                }
                Err(e) => prop_assert!(p.bad_port && e.to_string().contains("port"), "{}: {}", p.url, e),
            }
            parse_all(&p.url, &[&p.password, &p.encoded_password])?;
        }

        /// Mutated URLs: no panic, and while the password is still there, followed by an `@`,
        /// no error shows any of it.
        #[test]
        fn fuzz_mutated_urls_never_show_the_password(
            p in arb_parts(),
            mutations in prop::collection::vec(arb_mutations(), 1..3),
        ) {
            let mut bytes = p.url.clone().into_bytes();
            for m in &mutations {
                bytes = mutate(bytes, m);
            }
            let input = String::from_utf8_lossy(&bytes);
            let core = p.password.get(..8).unwrap_or(&p.password);
            let has_password = input
                .find(core)
                .is_some_and(|at| input.get(at..).is_some_and(|rest| rest.contains('@')));
            let secrets: &[&str] = if has_password {
                &[core, &p.password, &p.encoded_password]
            } else {
                &[]
            };
            parse_all(&input, secrets)?;
        }

        /// Random strings, and random strings after a scheme: no panic.
        #[test]
        fn fuzz_random_strings_never_panic(
            scheme in prop::sample::select(vec!["", "redis://", "rediss://", "unix://", "unix:", "redis:"]),
            s in prop_oneof![any::<String>(), "[a-z0-9:/@?#%=&\\[\\].,+ -]{0,48}"],
        ) {
            parse_all(&format!("{scheme}{s}"), &[])?;
        }
    }
}
