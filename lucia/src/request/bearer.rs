//! Reading a session token from `Authorization: Bearer <token>`.
//!
//! Strict on purpose: exactly one `Authorization` header, the scheme `Bearer` in any case,
//! exactly one space, then one credential with no spaces or commas. `Bearer a b`, `Bearer`,
//! `Bearer  t` (two spaces) and repeated headers all read as no token. Tokens are never read
//! from the query string or the body.

use http::{HeaderMap, header};

/// The bearer token of a request, if it carries exactly one well-formed
/// `Authorization: Bearer <token>` header.
///
/// ```
/// use http::{HeaderMap, HeaderValue};
/// use lucia::request::read_bearer_token;
///
/// let mut headers = HeaderMap::new();
/// headers.insert("authorization", HeaderValue::from_static("bearer abc"));
/// assert_eq!(read_bearer_token(&headers), Some("abc"));
/// headers.insert("authorization", HeaderValue::from_static("Bearer a b"));
/// assert_eq!(read_bearer_token(&headers), None);
/// ```
pub fn read_bearer_token(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return None;
    };
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    let well_formed = scheme.eq_ignore_ascii_case("bearer")
        && !token.is_empty()
        && token
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b',');
    well_formed.then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn read(values: &[&'static str]) -> Option<String> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_static(value));
        }
        read_bearer_token(&headers).map(str::to_owned)
    }

    #[test]
    fn scheme_is_case_insensitive() {
        for value in ["Bearer tok", "bearer tok", "BEARER tok"] {
            assert_eq!(read(&[value]).as_deref(), Some("tok"), "{value}");
        }
    }

    #[test]
    fn refuses_everything_but_one_scheme_and_one_token() {
        for values in [
            &["Bearer a b"][..],
            &["Bearer"],
            &["Bearer "],
            &["Bearer  tok"],
            &["Bearer tok "],
            &["Bearer\ttok"],
            &["Bearer a,b"],
            &["Basic dXNlcjpwYXNz"],
            &["Bearertok"],
            &["Bearer tok", "Bearer tok"],
            &[],
        ] {
            assert_eq!(read(values), None, "{values:?}");
        }
    }
}
