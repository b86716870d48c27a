//! The session cookie as it leaves the server: attributes from the configuration, expiry
//! from the session.

use cookie::Cookie;
use time::{Duration, OffsetDateTime};

use crate::config::{SameSite, SessionCookieConfig};

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis); we never ask for more.
pub const MAX_COOKIE_AGE: Duration = Duration::days(400);

/// A session cookie carrying `value` until `expires`, with every configured attribute.
pub(crate) fn session_cookie(
    config: &SessionCookieConfig,
    value: String,
    now: OffsetDateTime,
    expires: OffsetDateTime,
) -> Cookie<'static> {
    let max_age = (expires - now).clamp(Duration::ZERO, MAX_COOKIE_AGE);
    // Whole seconds on the wire; Expires and Max-Age must agree.
    let max_age = Duration::seconds(max_age.whole_seconds());
    let mut cookie = Cookie::build((config.name.clone(), value))
        .path(config.path)
        .http_only(true)
        .secure(config.secure)
        .same_site(match config.same_site {
            SameSite::Lax => cookie::SameSite::Lax,
            SameSite::Strict => cookie::SameSite::Strict,
            SameSite::None => cookie::SameSite::None,
        })
        .max_age(max_age)
        .expires(now + max_age)
        .build();
    if let Some(domain) = &config.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}

/// The cookie that deletes the session cookie: same name, path and domain, empty value,
/// `Max-Age=0` and an `Expires` in 1970.
pub(crate) fn blank_session_cookie(config: &SessionCookieConfig) -> Cookie<'static> {
    let mut cookie = session_cookie(
        config,
        String::new(),
        OffsetDateTime::UNIX_EPOCH,
        OffsetDateTime::UNIX_EPOCH,
    );
    cookie.set_max_age(Duration::ZERO);
    cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(secure: bool) -> SessionCookieConfig {
        SessionCookieConfig {
            name: "auth_session".into(),
            same_site: SameSite::Lax,
            domain: None,
            path: "/",
            secure,
        }
    }

    #[test]
    fn session_cookie_has_every_attribute_and_a_capped_age() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let cookie = session_cookie(&config(true), "tok".into(), now, now + Duration::days(1000));
        let text = cookie.to_string();
        for part in [
            "auth_session=tok",
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=34560000",
        ] {
            assert!(text.contains(part), "{text} lacks {part}");
        }
        assert!(text.contains("Expires=") && text.contains("GMT"), "{text}");
    }

    #[test]
    fn blank_cookie_expires_at_once() {
        let text = blank_session_cookie(&config(false)).to_string();
        assert!(text.starts_with("auth_session=;"), "{text}");
        assert!(text.contains("Max-Age=0"), "{text}");
        assert!(
            text.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            "{text}"
        );
        assert!(!text.contains("Secure"), "{text}");
    }
}
