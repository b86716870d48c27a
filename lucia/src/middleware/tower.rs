//! The tower layer: request handling for any `http::Request` service (axum, hyper, tonic).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{CACHE_CONTROL, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::auth::Auth;
use crate::request::{AuthRequest, SessionRequest};
use crate::user::UserAttributes;

/// Adds request handling to a service: each request gets an [`AuthRequest<U>`] and a
/// [`SessionRequest`] in its extensions, and the response gets the queued cookies.
///
/// ```
/// use lucia::{Auth, AuthLayer, MemoryAdapter};
///
/// let auth = Auth::<()>::builder(MemoryAdapter::new()).build().unwrap();
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "hello" }))
///     .layer(AuthLayer::new(auth.clone()));
/// # drop(app);
/// ```
pub struct AuthLayer<U: UserAttributes> {
    auth: Auth<U>,
}

impl<U: UserAttributes> AuthLayer<U> {
    /// A layer that handles requests with `auth`.
    pub fn new(auth: Auth<U>) -> Self {
        Self { auth }
    }
}

impl<U: UserAttributes> Clone for AuthLayer<U> {
    fn clone(&self) -> Self {
        Self::new(self.auth.clone())
    }
}

impl<U: UserAttributes> fmt::Debug for AuthLayer<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer").finish_non_exhaustive()
    }
}

impl<S, U: UserAttributes> Layer<S> for AuthLayer<U> {
    type Service = AuthService<S, U>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            auth: self.auth.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around yours.
pub struct AuthService<S, U: UserAttributes> {
    inner: S,
    auth: Auth<U>,
}

impl<S: Clone, U: UserAttributes> Clone for AuthService<S, U> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            auth: self.auth.clone(),
        }
    }
}

impl<S, U: UserAttributes> fmt::Debug for AuthService<S, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService").finish_non_exhaustive()
    }
}

impl<S, U, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S, U>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    U: UserAttributes,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, U>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let auth_request = AuthRequest::new(
            &self.auth,
            request.method(),
            request.uri(),
            request.headers(),
            crate::request::peer_of(request.extensions()),
        );
        request
            .extensions_mut()
            .insert(SessionRequest::from(auth_request.clone()));
        request.extensions_mut().insert(auth_request.clone());
        ResponseFuture {
            inner: self.inner.call(request),
            auth_request,
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`AuthService`]: the inner response plus the queued cookies.
    /// It wraps the inner future in place, with no allocation.
    pub struct ResponseFuture<F, U: UserAttributes> {
        #[pin]
        inner: F,
        auth_request: AuthRequest<U>,
    }
}

impl<F, U: UserAttributes> fmt::Debug for ResponseFuture<F, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, U, B, E> Future for ResponseFuture<F, U>
where
    F: Future<Output = Result<Response<B>, E>>,
    U: UserAttributes,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = match this.inner.poll(cx) {
            Poll::Ready(Ok(response)) => response,
            other => return other,
        };
        let cookies = this.auth_request.take_cookies();
        let name = &this.auth_request.auth().config().cookie.name;
        append_cookies(response.headers_mut(), name, cookies);
        Poll::Ready(Ok(response))
    }
}

/// Appends each cookie as its own `Set-Cookie` line (never folded, never splitting what the
/// handler set) and marks the response `Cache-Control: no-store`. A session cookie the
/// handler set itself wins over the queued one, and is kept out of caches just the same.
pub(crate) fn append_cookies(
    headers: &mut HeaderMap,
    session_cookie_name: &str,
    cookies: Vec<cookie::Cookie<'static>>,
) {
    let handler_set_session_cookie = headers.get_all(SET_COOKIE).iter().any(|value| {
        let line = value.as_bytes();
        line.strip_prefix(session_cookie_name.as_bytes())
            .is_some_and(|rest| rest.first() == Some(&b'='))
    });
    if handler_set_session_cookie {
        if !cookies.is_empty() {
            tracing::debug!(
                target: "lucia::middleware",
                "handler set the session cookie itself; queued cookie dropped"
            );
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return;
    }
    if cookies.is_empty() {
        return;
    }
    for cookie in cookies {
        match HeaderValue::try_from(cookie.to_string()) {
            Ok(value) => {
                headers.append(SET_COOKIE, value);
            }
            Err(_) => {
                tracing::error!(
                    target: "lucia::middleware",
                    cookie = cookie.name(),
                    "cookie is not a valid header value"
                )
            }
        }
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_appended_as_separate_lines() {
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/"),
        );
        let cookie = cookie::Cookie::new("auth_session", "tok");
        append_cookies(&mut headers, "auth_session", vec![cookie]);
        let lines: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            "theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/"
        );
        assert_eq!(lines[1], "auth_session=tok");
        assert_eq!(headers[CACHE_CONTROL], "no-store");
    }

    #[test]
    fn a_session_cookie_set_by_the_handler_wins() {
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("auth_session=mine; Path=/"),
        );
        append_cookies(
            &mut headers,
            "auth_session",
            vec![cookie::Cookie::new("auth_session", "q")],
        );
        assert_eq!(headers.get_all(SET_COOKIE).iter().count(), 1);
        assert_eq!(headers[SET_COOKIE], "auth_session=mine; Path=/");
        // A shared cache must not hand this session cookie to the next visitor.
        assert_eq!(headers[CACHE_CONTROL], "no-store");
    }

    #[test]
    fn a_session_cookie_the_handler_sets_with_nothing_queued_is_not_cached() {
        let mut headers = HeaderMap::new();
        headers.append(SET_COOKIE, HeaderValue::from_static("theme=dark"));
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("auth_session=mine; Path=/"),
        );
        headers.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
        append_cookies(&mut headers, "auth_session", Vec::new());
        assert_eq!(headers.get_all(SET_COOKIE).iter().count(), 2);
        assert_eq!(headers.get_all(CACHE_CONTROL).iter().count(), 1);
        assert_eq!(headers[CACHE_CONTROL], "no-store");
    }

    #[test]
    fn nothing_queued_leaves_the_response_alone() {
        let mut headers = HeaderMap::new();
        append_cookies(&mut headers, "auth_session", Vec::new());
        assert!(headers.is_empty());
    }
}
