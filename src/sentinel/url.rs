//! Parsing `redis+sentinel://` and `rediss+sentinel://` URLs into a [`SentinelConfig`] and the
//! name of the monitored service; see [`SentinelConfig::from_url`].
//!
//! Owns: the Sentinel URL form — the Sentinels in the host list (port 26379 when missing), the
//! service name and the database in the path — and which setting goes where: the URL's
//! credentials and database to the data nodes, `sentinel_username` and `sentinel_password` to
//! the Sentinels, every other setting to both. The credentials, the database and the other
//! query parameters are not parsed here: they go, in a `redis://` (or `rediss://`) URL built
//! from those parts, to the parser of [`Config`](crate::Config) URLs, so they mean the same in
//! both forms; the Sentinels' addresses go to [`Addr`]'s parser.
//!
//! Must not: quote the URL in an error, nor a Sentinel address or the service name (a
//! malformed URL may have moved part of the password there), nor the Sentinels' password.

use std::borrow::Cow;

use super::SentinelConfig;
use crate::config::{
    percent_decode, refuse_at_in_query, refuse_control_chars, Addr, ConfigBuilder, DEFAULT_HOST,
};
use crate::error::{Error, Result};

/// The Sentinels' port when a host of the URL has none.
const DEFAULT_SENTINEL_PORT: u16 = 26379;

const NOT_A_SENTINEL_URL: &str =
    "not a Sentinel URL: expected redis+sentinel:// or rediss+sentinel:// at the start";

const NO_SERVICE: &str = "the Sentinel URL names no service: expected \
                          redis+sentinel://host:port[,host:port…]/<service name>[/<db>]";

/// Parses a Sentinel URL. See [`SentinelConfig::from_url`].
pub(super) fn parse(url: &str) -> Result<(SentinelConfig, String)> {
    let url = url.trim();
    refuse_control_chars(url, "the URL")?;
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| Error::config(NOT_A_SENTINEL_URL))?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "redis+sentinel" => false,
        "rediss+sentinel" => true,
        _ => return Err(Error::config(NOT_A_SENTINEL_URL)),
    };
    if rest.contains('#') {
        return Err(Error::config(
            "URL fragments (#…) are not supported; write '#' in a password or a service name \
             as %23",
        ));
    }
    refuse_at_in_query(rest)?;

    // As in `redis://` URLs, the user information is everything before the last `@` ahead of
    // the query (a password may hold a raw `@` or `/`).
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (userinfo, hosts_on) = match before_query.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, before_query),
    };
    let (hosts, path) = hosts_on.split_once('/').unwrap_or((hosts_on, ""));

    if hosts.is_empty() {
        return Err(Error::config(
            "the Sentinel URL names no Sentinel: expected host:port[,host:port…] after //",
        ));
    }
    let sentinels = hosts
        .split(',')
        .enumerate()
        .map(|(i, h)| sentinel_addr(h, i + 1))
        .collect::<Result<Vec<_>>>()?;

    let (service, db) = path.split_once('/').unwrap_or((path, ""));
    if service.is_empty() {
        return Err(Error::config(NO_SERVICE));
    }
    if db.contains('/') {
        return Err(Error::config(
            "the path of a Sentinel URL is /<service name>[/<db>]: percent-encode '/' in a \
             service name as %2F",
        ));
    }
    let service = percent_decode(service, "the service name")?;
    if service.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::config(
            "the service name in the URL has a space or a control character",
        ));
    }

    let mut sentinel_username = None;
    let mut sentinel_password = None;
    let mut node_query = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(raw_key, "a query parameter name")?;
        // An empty value means none, as an empty user or password in the URL.
        match key.as_str() {
            "sentinel_username" => {
                sentinel_username = Some(percent_decode(
                    raw_value,
                    "query parameter 'sentinel_username'",
                )?)
                .filter(|v| !v.is_empty());
            }
            "sentinel_password" => {
                sentinel_password = Some(percent_decode(
                    raw_value,
                    "query parameter 'sentinel_password'",
                )?)
                .filter(|v| !v.is_empty());
            }
            _ => node_query.push(pair),
        }
    }

    // The data nodes' settings, by the `redis://` parser. The host is a placeholder: each
    // connection goes where the Sentinels say.
    let mut node_url = String::with_capacity(url.len() + DEFAULT_HOST.len());
    node_url.push_str(if tls { "rediss://" } else { "redis://" });
    if let Some(u) = userinfo {
        node_url.push_str(u);
        node_url.push('@');
    }
    node_url.push_str(DEFAULT_HOST);
    if !db.is_empty() {
        node_url.push('/');
        node_url.push_str(db);
    }
    if !node_query.is_empty() {
        node_url.push('?');
        node_url.push_str(&node_query.join("&"));
    }
    let node_config = ConfigBuilder::from_url(&node_url)?.build()?;

    // The Sentinels': the same, with their own credentials and no database (they have none).
    let mut sentinel_config = node_config.to_builder().no_username().no_password().db(0);
    if let Some(u) = sentinel_username {
        sentinel_config = sentinel_config.username(u);
    }
    if let Some(p) = sentinel_password {
        sentinel_config = sentinel_config.password(p);
    }
    let sentinel_config = sentinel_config.build()?;

    Ok((
        SentinelConfig {
            sentinels,
            sentinel_config,
            node_config,
        },
        service,
    ))
}

/// The `n`th (from 1) Sentinel of the host list: `host[:port]` or `[ipv6][:port]`, port
/// 26379 when missing. The error names it by its rank, never quotes it.
fn sentinel_addr(entry: &str, n: usize) -> Result<Addr> {
    let what = || format!("Sentinel address {n} in the URL");
    if entry.is_empty() {
        return Err(Error::config(format!("{} is empty", what())));
    }
    if !entry.starts_with('[') && entry.matches(':').count() > 1 {
        return Err(Error::config(format!(
            "{}: an IPv6 host must be written in brackets, e.g. [::1]:26379",
            what()
        )));
    }
    let port_at = if entry.starts_with('[') {
        entry.find(']').map(|i| i + 1)
    } else {
        entry.find(':')
    };
    let tail = port_at.and_then(|i| entry.get(i..)).unwrap_or("");
    let with_port = if tail.is_empty() || tail == ":" {
        let host = entry.strip_suffix(':').unwrap_or(entry);
        Cow::Owned(format!("{host}:{DEFAULT_SENTINEL_PORT}"))
    } else {
        Cow::Borrowed(entry)
    };
    match with_port.parse::<Addr>() {
        Ok(addr @ Addr::Tcp { .. }) => Ok(addr),
        Ok(_) => Err(Error::config(format!(
            "{}: expected host:port or [ipv6]:port",
            what()
        ))),
        Err(e) => Err(e.context(what())),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::config::Config;
    use crate::error::ErrorKind;
    use crate::resp::fuzz_config;

    fn ok(url: &str) -> (SentinelConfig, String) {
        parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    fn err(url: &str) -> String {
        match parse(url) {
            Ok((c, name)) => panic!("{url} parsed: {c:?} {name}"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{e}");
                e.to_string()
            }
        }
    }

    fn tcp(host: &str, port: u16) -> Addr {
        Addr::tcp(host, port)
    }

    #[test]
    fn several_hosts_and_the_default_port() {
        let (c, name) =
            ok("redis+sentinel://s1.example:26380,10.0.0.2,s3:,[::1]:26381,[fe80::1]/mymaster");
        assert_eq!(name, "mymaster");
        assert_eq!(
            c.sentinels(),
            [
                tcp("s1.example", 26380),
                tcp("10.0.0.2", 26379),
                tcp("s3", 26379),
                tcp("::1", 26381),
                tcp("fe80::1", 26379),
            ]
        );
        assert_eq!(c.node_config(), &Config::default());
        assert_eq!(c.sentinel_config(), &Config::default());

        let (c, name) = ok("REDIS+SENTINEL://[::1]:26379/m/");
        assert_eq!(
            (c.sentinels(), name.as_str()),
            (&[tcp("::1", 26379)][..], "m")
        );
        assert_eq!(c.node_config().db(), 0);
        assert_eq!(ok("  redis+sentinel://h/m?  ").1, "m");
    }

    #[test]
    fn credentials_go_to_the_data_nodes_and_sentinel_ones_to_the_sentinels() {
        let (c, _) = ok("redis+sentinel://alice:s3cr3t@h/m");
        assert_eq!(c.node_config().credentials(), Some(("alice", "s3cr3t")));
        assert_eq!(c.sentinel_config().credentials(), None);

        let (c, _) = ok("redis+sentinel://:p%40ss@h1,h2/m?sentinel_password=sp%26w");
        assert_eq!(c.node_config().credentials(), Some(("default", "p@ss")));
        assert_eq!(c.sentinel_config().credentials(), Some(("default", "sp&w")));

        let (c, _) = ok("redis+sentinel://h/m?sentinel_username=sent&sentinel_password=x");
        assert_eq!(c.node_config().credentials(), None);
        assert_eq!(c.sentinel_config().credentials(), Some(("sent", "x")));
        // A user without a password, and empty values meaning none, as in `redis://`.
        let (c, _) = ok("redis+sentinel://bob@h/m?sentinel_username=sent");
        assert_eq!(c.node_config().credentials(), Some(("bob", "")));
        assert_eq!(c.sentinel_config().credentials(), Some(("sent", "")));
        let (c, _) = ok("redis+sentinel://:@h/m?sentinel_password=&sentinel_username=");
        assert_eq!(c.node_config().credentials(), None);
        assert_eq!(c.sentinel_config().credentials(), None);
        // Raw '@', '/' and ',' in the password, as in `redis://`; an encoded parameter name.
        let (c, _) = ok("redis+sentinel://u:a@b/c,d@h1,h2:1/m?sentinel%5Fpassword=z");
        assert_eq!(c.node_config().password(), Some("a@b/c,d"));
        assert_eq!(c.sentinels(), [tcp("h1", 26379), tcp("h2", 1)]);
        assert_eq!(c.sentinel_config().password(), Some("z"));
    }

    #[test]
    fn database_service_name_and_query() {
        let (c, name) = ok(
            "redis+sentinel://h/my%2Fmaster%40x/3?protocol=2&timeout=0.5\
             &connect_timeout=2&client_name=app&max_in_flight=7&sentinel_password=sp",
        );
        assert_eq!(name, "my/master@x");
        let (n, s) = (c.node_config(), c.sentinel_config());
        assert_eq!((n.db(), s.db()), (3, 0));
        for c in [n, s] {
            assert_eq!(c.protocol_version(), 2);
            assert_eq!(c.response_timeout(), Duration::from_millis(500));
            assert_eq!(c.connect_timeout(), Duration::from_secs(2));
            assert_eq!(c.client_name(), Some("app"));
            assert_eq!(c.max_in_flight(), 7);
            assert!(c.tls().is_none());
        }
        assert_eq!(ok("redis+sentinel://h/m?db=4").0.node_config().db(), 4);
        assert_eq!(ok("redis+sentinel://h/m/1?db=4").0.node_config().db(), 4);
        assert_eq!(ok("redis+sentinel://h/m/").0.node_config().db(), 0);
        assert_eq!(ok("redis+sentinel://h/Serv-1.x_y").1, "Serv-1.x_y");
    }

    #[cfg(feature = "tls")]
    #[test]
    fn rediss_sentinel_is_tls_to_both() {
        use crate::config::TlsConfig;
        let (c, _) = ok("rediss+sentinel://:pw@h/m");
        assert_eq!(c.node_config().tls(), Some(&TlsConfig::default()));
        assert_eq!(c.sentinel_config().tls(), Some(&TlsConfig::default()));
        let (c, _) = ok("RediSS+Sentinel://[::1]:26379/m?tls_ca_file=/ca.pem\
             &ssl_certfile=/c.pem&tls_key_file=/k.pem&tls_server_name=redis.internal");
        for c in [c.node_config(), c.sentinel_config()] {
            let t = c.tls().unwrap();
            assert_eq!(t.ca_file(), Some("/ca.pem".as_ref()));
            assert_eq!(t.client_cert_file(), Some("/c.pem".as_ref()));
            assert_eq!(t.client_key_file(), Some("/k.pem".as_ref()));
            assert_eq!(t.server_name(), Some("redis.internal"));
        }
        assert!(ok("rediss+sentinel://h/m?tls_insecure=true")
            .0
            .sentinel_config()
            .tls()
            .unwrap()
            .insecure());
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn rediss_sentinel_needs_the_tls_feature() {
        let e = err("rediss+sentinel://h/m");
        assert!(e.contains("`tls` feature"), "{e}");
    }

    #[test]
    fn errors_name_the_part() {
        for (url, part) in [
            ("redis://h/m", "Sentinel URL"),
            ("sentinel://h/m", "Sentinel URL"),
            ("redis+sentinel:h/m", "Sentinel URL"),
            ("h:26379/m", "Sentinel URL"),
            ("", "Sentinel URL"),
            ("redis+sentinel://h", "no service"),
            ("redis+sentinel://h/", "no service"),
            ("redis+sentinel://h//1", "no service"),
            ("redis+sentinel://h?sentinel_password=x", "no service"),
            ("redis+sentinel:///m", "no Sentinel"),
            ("redis+sentinel://u:p@/m", "no Sentinel"),
            (
                "redis+sentinel://h1,,h3/m",
                "Sentinel address 2 in the URL is empty",
            ),
            (
                "redis+sentinel://h1,/m",
                "Sentinel address 2 in the URL is empty",
            ),
            (
                "redis+sentinel://h:0/m",
                "Sentinel address 1 in the URL: invalid port",
            ),
            ("redis+sentinel://h:65536/m", "invalid port"),
            ("redis+sentinel://h:x/m", "invalid port"),
            ("redis+sentinel://h1,h2:-1/m", "Sentinel address 2"),
            ("redis+sentinel://::1:26379/m", "brackets"),
            ("redis+sentinel://[::1/m", "IPv6"),
            ("redis+sentinel://[::1]x/m", "Sentinel address 1"),
            ("redis+sentinel://[]/m", "Sentinel address 1"),
            ("redis+sentinel://h%41/m", "host"),
            ("redis+sentinel://unix:/m", "Sentinel address 1"),
            ("redis+sentinel://unix:5/m", "Sentinel address 1"),
            ("redis+sentinel://h/m/x", "database"),
            ("redis+sentinel://h/m/-1", "database"),
            ("redis+sentinel://h/m/1/2", "path of a Sentinel URL"),
            ("redis+sentinel://h/m?db=x", "'db'"),
            ("redis+sentinel://h/m%zz", "service name"),
            ("redis+sentinel://h/m%20x", "service name"),
            ("redis+sentinel://h/m%0A", "service name"),
            ("redis+sentinel://h/m#frag", "fragments"),
            ("redis+sentinel://h/m?color=blue", "'color'"),
            ("redis+sentinel://h/m?protocol=4", "'protocol'"),
            (
                "redis+sentinel://h/m?sentinel_password=a%zz",
                "'sentinel_password'",
            ),
            (
                "redis+sentinel://h/m?sentinel_username=%C3",
                "'sentinel_username'",
            ),
            ("redis+sentinel://h/m?x%zz=1", "query parameter name"),
            (
                "redis+sentinel://h/m?tls_ca_file=/ca.pem",
                "rediss+sentinel://",
            ),
            ("redis+sentinel://h/m?tls_insecure=true", "'tls_insecure'"),
            ("redis+sentinel://h\t/m", "control character"),
        ] {
            let e = err(url);
            assert!(e.contains(part), "{url}: {e}");
        }
    }

    #[test]
    fn redis_urls_point_to_sentinel_urls() {
        let e = Config::from_url("redis+sentinel://h/m").unwrap_err();
        assert!(e.to_string().contains("SentinelConfig::from_url"), "{e}");
    }

    #[test]
    fn passwords_never_show() {
        const RAW: &str = "Zq-s3cr3t@:/?#";
        let enc = "Zq-s3cr3t%40%3A%2F%3F%23";
        let secrets = ["Zq-s3cr3t", "s3cr3t"];
        for url in [
            format!("redis+sentinel://:{enc}@h/m?sentinel_password={enc}"),
            format!(
                "rediss+sentinel://u:{enc}@[::1]/m/2?sentinel_username=s&sentinel_password={enc}"
            ),
        ] {
            let parsed = parse(&url);
            if url.starts_with("rediss") && !cfg!(feature = "tls") {
                assert!(parsed.is_err(), "{url}");
                continue;
            }
            let (c, _) = parsed.unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(c.node_config().password(), Some(RAW));
            assert_eq!(c.sentinel_config().password(), Some(RAW));
            let shown = format!("{c:?}");
            assert!(!secrets.iter().any(|s| shown.contains(s)), "{shown}");
        }
        for url in [
            format!("redis+sentinel://:{enc}@h:badport/m"),
            format!("redis+sentinel://:{enc}@h/m/baddb"),
            format!("redis+sentinel://:{enc}@h/m?unknown=1"),
            format!("redis+sentinel://:{enc}@h/m?sentinel_password={enc}%zz"),
            format!("redis+sentinel://:{enc}@h/m?sentinel_password={enc}&protocol=9"),
            format!("redis+sentinel://:{enc}%zz@h/m"),
            format!("redis+sentinel://:{enc}@/m"),
            format!("redis+sentinel://:{enc}@h"),
            "redis+sentinel://:Zq-s3cr3t?x@h/m".to_string(),
            "redis+sentinel://:Zq-s3cr3t#x@h/m".to_string(),
            "redis+sentinel://:Zq-s3cr3t".to_string(),
            "redis+sentinel://:Zq-s3cr3t/m".to_string(),
            "redis+sentinel://Zq-s3cr3t,h2/m/1/2".to_string(),
            "redis+sentinel://h/Zq-s3cr3t/x".to_string(),
            "redis+sentinel:/:Zq-s3cr3t@h/m".to_string(),
            "Zq-s3cr3t@h/m".to_string(),
        ] {
            let e = parse(&url).map(|_| ()).unwrap_err();
            for s in [e.to_string(), format!("{e:?}")] {
                assert!(!secrets.iter().any(|x| s.contains(x)), "{url}: {s}");
            }
        }
    }

    proptest! {
        #![proptest_config(fuzz_config())]

        /// Random strings, and random strings after a scheme: no panic, and an error shows
        /// nothing of the input but the names of query parameters.
        #[test]
        fn fuzz_random_strings_never_panic(
            scheme in prop::sample::select(vec![
                "", "redis+sentinel://", "rediss+sentinel://", "redis+sentinel:", "redis://",
            ]),
            s in prop_oneof![
                any::<String>(),
                "[a-z0-9:/@?#%=&\\[\\].,+_ -]{0,48}",
                "(Zq[a-z]{0,4}@)?([a-z0-9.]{0,6}|\\[::[0-9]?\\])(:[0-9]{0,6})?(,[a-z0-9:\\[\\]]{0,8}){0,3}\
                 (/[a-zA-Z0-9%]{0,6}(/[0-9a-z]{0,3})?)?(\\?[a-z_=&%0-9]{0,40})?",
            ],
        ) {
            let input = format!("{scheme}{s}");
            if let Err(e) = parse(&input) {
                prop_assert_eq!(e.kind(), ErrorKind::Config);
                // Text from `Zq` to a `@` can only be user information (or be refused before
                // anything is quoted).
                let secret = s.find("Zq").and_then(|at| s.get(at..)?.split_once('@'));
                if let Some((secret, _)) = secret {
                    if secret.len() > 3 {
                        for shown in [e.to_string(), format!("{e:?}")] {
                            prop_assert!(!shown.contains(secret), "{:?}: {}", input, shown);
                        }
                    }
                }
            }
        }
    }
}
