//! Reading the session cookie from `Cookie` request headers.
//!
//! Every `Cookie` header counts (HTTP/2 and HTTP/3 split them); pairs split on `;`, then on
//! the first `=`, with surrounding spaces and tabs trimmed. Quotes are part of the value and
//! values are never percent-decoded. A malformed neighbouring pair is skipped without
//! aborting the rest. The name matches exactly and case-sensitively, so
//! `__HOST-auth_session` or `Auth_Session` are other cookies.

use http::{HeaderMap, header};

/// Every value of the cookie called `name`, in the order received, from all `Cookie`
/// headers. The values are raw: check them (with
/// [`SessionToken::parse`](crate::SessionToken::parse)) before any use.
///
/// ```
/// use http::{HeaderMap, HeaderValue};
/// use lucia::request::cookie_values;
///
/// let mut headers = HeaderMap::new();
/// headers.append("cookie", HeaderValue::from_static("theme=dark; auth_session=abc; junk"));
/// headers.append("cookie", HeaderValue::from_static("Auth_Session=x; auth_session=\"q\""));
/// assert_eq!(cookie_values(&headers, "auth_session"), ["abc", "\"q\""]);
/// ```
pub fn cookie_values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&byte| byte == b';'))
        .filter_map(|pair| {
            let at = pair.iter().position(|&byte| byte == b'=')?;
            let (pair_name, value) = (trim(&pair[..at]), trim(&pair[at + 1..]));
            (pair_name == name.as_bytes()).then(|| std::str::from_utf8(value).ok())?
        })
        .collect()
}

/// Whether any `Cookie` header carries a pair named `name`, well-formed or not.
pub(crate) fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&byte| byte == b';'))
        .any(|pair| {
            let name_part = pair.split(|&byte| byte == b'=').next().unwrap_or_default();
            pair.contains(&b'=') && trim(name_part) == name.as_bytes()
        })
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |byte: &u8| *byte == b' ' || *byte == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |end| end + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(header::COOKIE, HeaderValue::from_bytes(value).unwrap());
        }
        headers
    }

    #[test]
    fn reads_every_cookie_header_and_skips_malformed_neighbours() {
        let map = headers(&[
            b"=x; noequals; a[b]=1; bad=%zz; auth_session=one",
            b"\tauth_session = two ;theme=dark",
            b"caf\xc3\xa9=\xff; auth_session=three",
        ]);
        assert_eq!(cookie_values(&map, "auth_session"), ["one", "two", "three"]);
        assert!(has_cookie(&map, "auth_session"));
    }

    #[test]
    fn name_is_exact_and_case_sensitive() {
        let map =
            headers(&[b"Auth_Session=a; __HOST-auth_session=b; auth_session2=c; xauth_session=d"]);
        assert!(cookie_values(&map, "auth_session").is_empty());
        assert!(cookie_values(&map, "__Host-auth_session").is_empty());
        assert!(!has_cookie(&map, "auth_session"));
    }

    #[test]
    fn values_are_neither_decoded_nor_unquoted_and_semicolons_in_quotes_split() {
        let map = headers(&[b"auth_session=\"a;b\"; auth_session=x%41"]);
        assert_eq!(cookie_values(&map, "auth_session"), ["\"a", "x%41"]);
    }

    #[test]
    fn non_utf8_values_are_skipped_but_still_count_as_present() {
        let map = headers(&[b"auth_session=\xff\xfe"]);
        assert!(cookie_values(&map, "auth_session").is_empty());
        assert!(has_cookie(&map, "auth_session"));
    }

    #[test]
    fn no_header_no_values() {
        assert!(cookie_values(&HeaderMap::new(), "auth_session").is_empty());
    }
}
