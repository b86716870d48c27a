//! CSRF protection by origin check: what an origin is, and how two are compared.
//!
//! Origins are compared as parsed `(scheme, host, port)` tuples after the same normalisation
//! on both sides: lowercase, IDNA A-labels, default ports elided. Never by prefix or suffix.

use std::fmt;

use crate::config::ConfigError;

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

#[cfg(test)]
mod tests {
    use super::*;

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
