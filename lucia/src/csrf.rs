//! CSRF protection by origin check: what an origin is, how two are compared, and the check
//! every cookie-authenticated request goes through.
//!
//! Origins are compared as parsed `(scheme, host, port)` tuples after the same normalisation
//! on both sides: lowercase, IDNA A-labels, default ports elided. Never by prefix or suffix.
//!
//! Requests with a method other than `GET`, `HEAD`, `OPTIONS` and `TRACE` must carry exactly
//! one `Origin` header equal to the app's public origin or to one of the configured allowed
//! origins. The public origin comes from [`CsrfConfig::public_origin`] when configured;
//! otherwise from a trusted forwarded-host header (only when configured, and only on a
//! connection from one of [`CsrfConfig::trusted_proxies`]), else from `Host`, with the scheme
//! chosen by [`Env`]. A request that fails is not rejected here: request
//! handling treats it as anonymous for cookie authentication (Lucia's behaviour), and the
//! axum extractors answer `403`.

use std::fmt;
use std::net::IpAddr;

use http::{HeaderMap, Method, Uri, header};

use crate::config::{ConfigError, CsrfConfig, Env};

/// A web origin: scheme, host and port, normalised.
///
/// ```
/// use lucia::csrf::Origin;
///
/// let configured = Origin::parse("https://App.Example.com:443").unwrap();
/// assert_eq!(configured.to_string(), "https://app.example.com");
/// assert_ne!(configured, Origin::parse("https://app.example.com.evil.test").unwrap());
/// assert!(Origin::parse("null").is_none());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Origin(url::Origin);

impl Origin {
    /// Parses an origin as browsers send it in the `Origin` header: `scheme://host[:port]`,
    /// nothing after it. `null`, opaque origins, paths, credentials and garbage give `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (scheme, rest) = raw.split_once("://")?;
        if rest.is_empty()
            || rest.contains(['/', '?', '#', '@', '\\'])
            || raw.chars().any(char::is_whitespace)
        {
            return None;
        }
        if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
            return None;
        }
        let url = url::Url::parse(raw).ok()?;
        let origin = url.origin();
        origin.is_tuple().then_some(Self(origin))
    }

    /// Builds the origin of a request from its scheme and `Host` header value.
    pub fn from_host(scheme: &str, host: &str) -> Option<Self> {
        Self::parse(&format!("{scheme}://{host}"))
    }

    /// Parses a configured origin, with a message naming the field when it is not one.
    ///
    /// # Errors
    /// [`ConfigError`] when `raw` is not a plain `scheme://host[:port]` origin.
    pub fn parse_config(field: &'static str, raw: &str) -> Result<Self, ConfigError> {
        Self::parse(raw).ok_or_else(|| ConfigError::new(
            field,
            format!("`{raw}` is not an origin of the form `https://host[:port]` (no path, no trailing `/`)"),
        ))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.ascii_serialization())
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({self})")
    }
}

/// Why a request failed the CSRF check. Logged as a reason code; clients only ever see a
/// generic refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrfFailure {
    /// No `Origin` header (and no accepted `Sec-Fetch-Site: same-origin`).
    MissingOrigin,
    /// More than one `Origin` header.
    MultipleOrigins,
    /// `Origin: null`, sent by sandboxed frames, `file:` pages and some redirects.
    OpaqueOrigin,
    /// An `Origin` that is not a plain `scheme://host[:port]`.
    MalformedOrigin,
    /// No usable `Host` (missing, repeated or malformed) to derive the public origin from.
    MissingHost,
    /// A well-formed origin that is neither the public origin nor an allowed one.
    ForeignOrigin,
}

impl CsrfFailure {
    /// A short reason code for logs.
    pub fn reason(self) -> &'static str {
        match self {
            Self::MissingOrigin => "missing origin",
            Self::MultipleOrigins => "multiple origin headers",
            Self::OpaqueOrigin => "opaque origin",
            Self::MalformedOrigin => "malformed origin",
            Self::MissingHost => "missing host",
            Self::ForeignOrigin => "foreign origin",
        }
    }
}

impl fmt::Display for CsrfFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// True for the methods that never need an origin check: `GET`, `HEAD`, `OPTIONS`, `TRACE`.
/// They must not change state.
pub fn is_safe_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Runs the CSRF origin check on a request.
///
/// Passes every safe method, and everything when protection is disabled. Never panics on
/// request data: every oddity is a [`CsrfFailure`].
///
/// ```
/// use http::{HeaderMap, HeaderValue, Method, Uri};
/// use lucia::csrf::{CsrfFailure, check_request};
/// use lucia::{CsrfConfig, Env};
///
/// let config = CsrfConfig::default();
/// let mut headers = HeaderMap::new();
/// headers.insert("host", HeaderValue::from_static("app.example.com"));
/// headers.insert("origin", HeaderValue::from_static("https://app.example.com.evil.test"));
/// let uri = Uri::from_static("/settings");
/// let verdict = check_request(&config, Env::Production, &Method::POST, &uri, &headers);
/// assert_eq!(verdict, Err(CsrfFailure::ForeignOrigin));
/// ```
///
/// # Errors
/// The [`CsrfFailure`] that says why the request is refused.
pub fn check_request(
    config: &CsrfConfig,
    env: Env,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), CsrfFailure> {
    check_request_from(config, env, method, uri, headers, None)
}

/// [`check_request`] for a request that came over a connection from `peer`. The forwarded
/// host header is read only when `peer` is one of [`CsrfConfig::trusted_proxies`]; with no
/// peer known it is never read.
///
/// # Errors
/// The [`CsrfFailure`] that says why the request is refused.
pub fn check_request_from(
    config: &CsrfConfig,
    env: Env,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<(), CsrfFailure> {
    if !config.enabled || is_safe_method(method) {
        return Ok(());
    }
    let mut origins = headers.get_all(header::ORIGIN).iter();
    let (Some(raw), None) = (origins.next(), origins.next()) else {
        return match headers.get_all(header::ORIGIN).iter().count() {
            0 if accepts_fetch_metadata(config, headers) => Ok(()),
            0 => Err(CsrfFailure::MissingOrigin),
            _ => Err(CsrfFailure::MultipleOrigins),
        };
    };
    let raw = raw.to_str().map_err(|_| CsrfFailure::MalformedOrigin)?;
    if raw.trim().eq_ignore_ascii_case("null") {
        return Err(CsrfFailure::OpaqueOrigin);
    }
    let origin = Origin::parse(raw).ok_or(CsrfFailure::MalformedOrigin)?;
    if config.allowed_origins.contains(&origin) {
        return Ok(());
    }
    if public_origin(config, env, uri, headers, peer)? == origin {
        Ok(())
    } else {
        Err(CsrfFailure::ForeignOrigin)
    }
}

/// `Sec-Fetch-Site: same-origin`, when configured, stands in for a missing `Origin`.
fn accepts_fetch_metadata(config: &CsrfConfig, headers: &HeaderMap) -> bool {
    let mut values = headers.get_all("sec-fetch-site").iter();
    config.allow_sec_fetch_site
        && matches!(
            (values.next(), values.next()),
            (Some(value), None) if value.as_bytes().eq_ignore_ascii_case(b"same-origin")
        )
}

/// The origin the app is served from, as this request sees it.
fn public_origin(
    config: &CsrfConfig,
    env: Env,
    uri: &Uri,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Origin, CsrfFailure> {
    if let Some(origin) = &config.public_origin {
        return Ok(origin.clone());
    }
    // Anyone can send the header; only a proxy we know overwrites it.
    // Canonical forms on both sides: a dual-stack listener reports an IPv4 proxy as
    // `::ffff:a.b.c.d`, which must match `a.b.c.d` in the list (and the other way round).
    let from_trusted_proxy = peer.is_some_and(|peer| {
        config
            .trusted_proxies
            .iter()
            .any(|proxy| proxy.to_canonical() == peer.to_canonical())
    });
    let forwarded = config
        .forwarded_host_header
        .as_ref()
        .filter(|_| from_trusted_proxy)
        .map(|name| single_header(headers, name))
        .transpose()?
        .flatten();
    let host = match forwarded {
        Some(host) => host,
        None => match single_header(headers, &header::HOST)? {
            Some(host) => host,
            // HTTP/2 carries the host in the `:authority` pseudo-header, which lands in the URI.
            None => uri.authority().ok_or(CsrfFailure::MissingHost)?.as_str(),
        },
    };
    // A comma means a proxy appended to a client-supplied value: refuse rather than guess.
    if host.contains(',') {
        return Err(CsrfFailure::MissingHost);
    }
    Origin::from_host(env.scheme(), host).ok_or(CsrfFailure::MissingHost)
}

/// The value of a header that must appear at most once, as text.
fn single_header<'a>(
    headers: &'a HeaderMap,
    name: &http::HeaderName,
) -> Result<Option<&'a str>, CsrfFailure> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => value
            .to_str()
            .map(Some)
            .map_err(|_| CsrfFailure::MissingHost),
        (Some(_), Some(_)) => Err(CsrfFailure::MissingHost),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn request(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    /// The proxy of the tests' trusted configurations.
    const PROXY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    fn check(
        config: &CsrfConfig,
        method: Method,
        pairs: &[(&'static str, &'static str)],
    ) -> Result<(), CsrfFailure> {
        check_from(config, method, pairs, Some(PROXY))
    }

    fn check_from(
        config: &CsrfConfig,
        method: Method,
        pairs: &[(&'static str, &'static str)],
        peer: Option<IpAddr>,
    ) -> Result<(), CsrfFailure> {
        check_request_from(
            config,
            Env::Production,
            &method,
            &Uri::from_static("/x"),
            &request(pairs),
            peer,
        )
    }

    #[test]
    fn safe_methods_pass_without_origin_and_unsafe_ones_need_it() {
        let config = CsrfConfig::default();
        for method in [Method::GET, Method::HEAD, Method::OPTIONS, Method::TRACE] {
            assert_eq!(check(&config, method, &[]), Ok(()));
        }
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(
                check(&config, method, &[("host", "app.example.com")]),
                Err(CsrfFailure::MissingOrigin)
            );
        }
    }

    #[test]
    fn same_origin_passes_and_lookalikes_fail() {
        let config = CsrfConfig::default();
        let host = ("host", "app.example.com");
        assert_eq!(
            check(
                &config,
                Method::POST,
                &[host, ("origin", "https://app.example.com")]
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &config,
                Method::POST,
                &[host, ("origin", "https://APP.example.com:443")]
            ),
            Ok(())
        );
        for (origin, failure) in [
            (
                "https://app.example.com.evil.test",
                CsrfFailure::ForeignOrigin,
            ),
            ("https://app.example.com:8443", CsrfFailure::ForeignOrigin),
            ("http://app.example.com", CsrfFailure::ForeignOrigin),
            ("https://attacker.example", CsrfFailure::ForeignOrigin),
            ("null", CsrfFailure::OpaqueOrigin),
            ("https://", CsrfFailure::MalformedOrigin),
            ("%%%", CsrfFailure::MalformedOrigin),
            ("https://app.example.com/", CsrfFailure::MalformedOrigin),
        ] {
            assert_eq!(
                check(&config, Method::POST, &[host, ("origin", origin)]),
                Err(failure),
                "{origin}"
            );
        }
    }

    #[test]
    fn two_origin_headers_and_missing_host_fail_closed() {
        let config = CsrfConfig::default();
        assert_eq!(
            check(
                &config,
                Method::POST,
                &[
                    ("host", "app.example.com"),
                    ("origin", "https://app.example.com"),
                    ("origin", "https://attacker.example"),
                ]
            ),
            Err(CsrfFailure::MultipleOrigins)
        );
        assert_eq!(
            check(
                &config,
                Method::POST,
                &[("origin", "https://app.example.com")]
            ),
            Err(CsrfFailure::MissingHost)
        );
        assert_eq!(
            check(
                &config,
                Method::POST,
                &[
                    ("host", "app.example.com"),
                    ("host", "attacker.example"),
                    ("origin", "https://app.example.com"),
                ]
            ),
            Err(CsrfFailure::MissingHost)
        );
    }

    #[test]
    fn forwarded_host_is_ignored_unless_trusted() {
        let attack = [
            ("host", "app.example.com"),
            ("x-forwarded-host", "attacker.example"),
            ("origin", "https://attacker.example"),
        ];
        assert_eq!(
            check(&CsrfConfig::default(), Method::POST, &attack),
            Err(CsrfFailure::ForeignOrigin)
        );

        let configured = CsrfConfig {
            public_origin: Origin::parse("https://app.example.com"),
            forwarded_host_header: Some(http::HeaderName::from_static("x-forwarded-host")),
            ..CsrfConfig::default()
        };
        assert_eq!(
            check(&configured, Method::POST, &attack),
            Err(CsrfFailure::ForeignOrigin)
        );

        let trusted = CsrfConfig {
            forwarded_host_header: Some(http::HeaderName::from_static("x-forwarded-host")),
            trusted_proxies: vec![PROXY],
            ..CsrfConfig::default()
        };
        let proxied = [
            ("host", "10.0.0.7:3000"),
            ("x-forwarded-host", "app.example.com"),
            ("origin", "https://app.example.com"),
        ];
        assert_eq!(check(&trusted, Method::POST, &proxied), Ok(()));
    }

    #[test]
    fn a_trusted_ipv4_proxy_matches_its_ipv4_mapped_form_on_a_dual_stack_listener() {
        let IpAddr::V4(proxy_v4) = PROXY else {
            panic!("the fixture proxy is IPv4");
        };
        let mapped = IpAddr::V6(proxy_v4.to_ipv6_mapped());
        let proxied = [
            ("host", "10.0.0.7:3000"),
            ("x-forwarded-host", "app.example.com"),
            ("origin", "https://app.example.com"),
        ];
        for (listed, peer) in [(PROXY, mapped), (mapped, PROXY)] {
            let trusted = CsrfConfig {
                forwarded_host_header: Some(http::HeaderName::from_static("x-forwarded-host")),
                trusted_proxies: vec![listed],
                public_origin: None,
                ..CsrfConfig::default()
            };
            assert_eq!(
                check_from(&trusted, Method::POST, &proxied, Some(peer)),
                Ok(()),
                "{listed} listed, {peer} connecting"
            );
        }
        // A mapped address of another host is still another host.
        let other = IpAddr::V6(std::net::Ipv4Addr::new(203, 0, 113, 9).to_ipv6_mapped());
        let trusted = CsrfConfig {
            forwarded_host_header: Some(http::HeaderName::from_static("x-forwarded-host")),
            trusted_proxies: vec![PROXY],
            ..CsrfConfig::default()
        };
        assert_eq!(
            check_from(&trusted, Method::POST, &proxied, Some(other)),
            Err(CsrfFailure::ForeignOrigin)
        );
    }

    #[test]
    fn forwarded_host_is_read_only_from_a_trusted_proxy() {
        // Case 21: sent straight to the app, the header is the attacker's own.
        let trusted = CsrfConfig {
            forwarded_host_header: Some(http::HeaderName::from_static("x-forwarded-host")),
            trusted_proxies: vec![PROXY],
            ..CsrfConfig::default()
        };
        let attack = [
            ("host", "app.example.com"),
            ("x-forwarded-host", "attacker.example"),
            ("origin", "https://attacker.example"),
        ];
        let direct = Some(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9)));
        for peer in [direct, None] {
            assert_eq!(
                check_from(&trusted, Method::POST, &attack, peer),
                Err(CsrfFailure::ForeignOrigin),
                "{peer:?}"
            );
        }
        let same_host = [
            ("host", "app.example.com"),
            ("origin", "https://app.example.com"),
        ];
        assert_eq!(
            check_from(&trusted, Method::POST, &same_host, direct),
            Ok(())
        );
    }

    #[test]
    fn configured_origins_match_exactly() {
        let config = CsrfConfig {
            public_origin: Origin::parse("https://app.example.com"),
            allowed_origins: vec![Origin::parse("https://admin.example.com").unwrap()],
            ..CsrfConfig::default()
        };
        let ok = |origin| {
            check(
                &config,
                Method::POST,
                &[("host", "internal:8080"), ("origin", origin)],
            )
        };
        assert_eq!(ok("https://app.example.com"), Ok(()));
        assert_eq!(ok("https://admin.example.com"), Ok(()));
        assert_eq!(
            ok("https://admin.example.com:444"),
            Err(CsrfFailure::ForeignOrigin)
        );
        assert_eq!(ok("http://internal:8080"), Err(CsrfFailure::ForeignOrigin));
    }

    #[test]
    fn sec_fetch_site_stands_in_only_when_enabled() {
        let same = [
            ("host", "app.example.com"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert_eq!(
            check(&CsrfConfig::default(), Method::POST, &same),
            Err(CsrfFailure::MissingOrigin)
        );
        let config = CsrfConfig {
            allow_sec_fetch_site: true,
            ..CsrfConfig::default()
        };
        assert_eq!(check(&config, Method::POST, &same), Ok(()));
        let cross = [
            ("host", "app.example.com"),
            ("sec-fetch-site", "cross-site"),
        ];
        assert_eq!(
            check(&config, Method::POST, &cross),
            Err(CsrfFailure::MissingOrigin)
        );
    }

    #[test]
    fn http2_authority_stands_in_for_a_missing_host_header() {
        let headers = request(&[("origin", "https://app.example.com")]);
        let uri = Uri::from_static("https://app.example.com/x");
        let config = CsrfConfig::default();
        assert_eq!(
            check_request(&config, Env::Production, &Method::POST, &uri, &headers),
            Ok(())
        );
    }

    #[test]
    fn disabled_protection_passes_everything() {
        let config = CsrfConfig {
            enabled: false,
            ..CsrfConfig::default()
        };
        assert_eq!(check(&config, Method::POST, &[]), Ok(()));
    }

    #[test]
    fn normalises_case_idna_and_default_ports() {
        let plain = Origin::parse("https://bücher.example").unwrap();
        assert_eq!(plain.to_string(), "https://xn--bcher-kva.example");
        assert_eq!(plain, Origin::parse("HTTPS://BÜCHER.example:443").unwrap());
        assert_eq!(
            Origin::parse("http://a.test:80").unwrap(),
            Origin::parse("http://a.test").unwrap()
        );
    }

    #[test]
    fn refuses_everything_that_is_not_a_plain_origin() {
        for raw in [
            "null",
            "",
            "https://",
            "%%%",
            "https://a.test/",
            "https://a.test/path",
            "https://user@a.test",
            "file:///etc/passwd",
            "ftp://a.test",
            "https://a.test?x",
            "https://a.test, https://b.test",
            "https://a .test",
        ] {
            assert!(Origin::parse(raw).is_none(), "{raw:?}");
        }
    }

    #[test]
    fn lookalikes_and_other_ports_differ() {
        let app = Origin::parse("https://app.example.com").unwrap();
        for other in [
            "https://app.example.com.evil.test",
            "https://app.example.com:8443",
            "http://app.example.com",
            "https://evilapp.example.com",
        ] {
            assert_ne!(app, Origin::parse(other).unwrap(), "{other}");
        }
    }
}
