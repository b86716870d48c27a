//! The runtime half of `#[protected]`: the guard extractor the macro puts first among a
//! handler's parameters. Generated code reaches it through `lucia::__private::protect`; it is
//! not public API.
//!
//! The guard goes through the request's [`AuthRequest`] (or [`SessionRequest`]) from the
//! extensions, so the check and any validation inside the handler share one cache and one
//! adapter round trip.

use std::future::{Future, Ready, ready};
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use time::OffsetDateTime;

use crate::middleware::axum::AuthRejection;
use crate::request::{AuthRequest, SessionRequest};
use crate::session::Session;
pub use crate::user::User;
pub use time::Duration;

use crate::user::UserAttributes;

const TARGET: &str = "lucia::protect";

/// The options of one `#[protected(...)]` handler, as associated constants of a marker type
/// the macro generates next to the handler.
pub trait Policy: Send + Sync + 'static {
    /// `redirect = "/login"`: where to send a request without a session (`303`).
    const REDIRECT: Option<&'static str> = None;
    /// `bearer`: read the session from `Authorization: Bearer` instead of the cookie.
    const BEARER: bool = false;
    /// `fresh = "10m"`: how recently the session must have been created (else `403`).
    const FRESH: Option<Duration> = None;
}

/// The `check = path` predicate of a handler that loads the user.
pub trait UserPolicy<U>: Policy {
    /// Whether `user` may use the handler (else `403`). Without `check`: always.
    fn check(user: &User<U>) -> impl Future<Output = bool> + Send {
        let _ = user;
        ready(true)
    }
}

/// The guard of a handler that needs only the session.
pub struct SessionGuard<P> {
    /// The validated session.
    pub session: Session,
    /// The handler's options.
    pub policy: PhantomData<fn() -> P>,
}

/// The guard of a handler that takes the user or has a `check`.
pub struct UserGuard<P, U> {
    /// The validated session.
    pub session: Session,
    /// Its user.
    pub user: User<U>,
    /// The handler's options.
    pub policy: PhantomData<fn() -> P>,
}

impl<S: Send + Sync, P: Policy> FromRequestParts<S> for SessionGuard<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let Some(request) = parts.extensions.get::<SessionRequest>() else {
            return Err(AuthRejection::MissingLayer { user_type: "_" }.into_response());
        };
        let found = if P::BEARER {
            request.validate_bearer_token().await
        } else {
            request.validate().await
        };
        let session = admit::<P, _>(parts, found, !P::BEARER && request.csrf_rejected())?;
        if !is_fresh::<P>(&session, request.now()) {
            return Err(forbidden());
        }
        Ok(Self {
            session,
            policy: PhantomData,
        })
    }
}

impl<S, P, U> FromRequestParts<S> for UserGuard<P, U>
where
    S: Send + Sync,
    P: UserPolicy<U>,
    U: UserAttributes,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        let Some(request) = parts.extensions.get::<AuthRequest<U>>() else {
            let user_type = std::any::type_name::<U>();
            return Err(AuthRejection::MissingLayer { user_type }.into_response());
        };
        let found = if P::BEARER {
            request.validate_bearer_user().await
        } else {
            request.validate_user().await
        };
        let csrf_rejected = !P::BEARER && request.csrf_rejected();
        let (session, user) = admit::<P, _>(parts, found, csrf_rejected)?;
        if !is_fresh::<P>(&session, request.auth().now()) {
            return Err(forbidden());
        }
        if !P::check(&user).await {
            tracing::trace!(target: TARGET, reason = "check", "request refused");
            return Err(forbidden());
        }
        Ok(Self {
            session,
            user,
            policy: PhantomData,
        })
    }
}

/// The validated value, or the response for "no session" or a store failure.
// The `Err` is the response axum sends, built once on the refusal path.
#[allow(clippy::result_large_err)]
fn admit<P: Policy, T>(
    parts: &Parts,
    found: crate::Result<Option<T>>,
    csrf_rejected: bool,
) -> Result<T, Response> {
    let rejection = match found {
        Ok(Some(found)) => return Ok(found),
        Ok(None) if csrf_rejected => AuthRejection::CsrfRejected,
        Ok(None) => AuthRejection::Unauthenticated,
        Err(error) => AuthRejection::from_error(error),
    };
    match rejection {
        AuthRejection::Unauthenticated => Err(unauthenticated::<P>(parts)),
        rejection => Err(rejection.into_response()),
    }
}

fn unauthenticated<P: Policy>(parts: &Parts) -> Response {
    tracing::trace!(target: TARGET, reason = "no session", "request refused");
    if let Some(target) = P::REDIRECT {
        return redirect_to_login(target, parts);
    }
    if P::BEARER {
        let token_present = parts.headers.contains_key(AUTHORIZATION);
        return AuthRejection::InvalidBearerToken { token_present }.into_response();
    }
    AuthRejection::Unauthenticated.into_response()
}

/// `303 See Other` to `target` (a local path the macro checked at compile time) with the
/// original path and query in a percent-encoded `next` parameter.
fn redirect_to_login(target: &'static str, parts: &Parts) -> Response {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let next = uri.path_and_query().map_or("/", |path| path.as_str());
    let separator = if target.contains('?') { '&' } else { '?' };
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    match HeaderValue::try_from(format!("{target}{separator}next={next}")) {
        Ok(location) => (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response(),
        // Unreachable: the target is checked ASCII and `next` is percent-encoded.
        Err(_) => AuthRejection::Unauthenticated.into_response(),
    }
}

/// Whether the session is young enough for `fresh`, if the handler asks. `now` comes from
/// the `Auth`'s clock, the one that stamped `created_at`.
fn is_fresh<P: Policy>(session: &Session, now: OffsetDateTime) -> bool {
    let Some(window) = P::FRESH else {
        return true;
    };
    if now - session.created_at <= window {
        return true;
    }
    tracing::trace!(target: TARGET, reason = "not fresh", "request refused");
    false
}

fn forbidden() -> Response {
    let mut response = (StatusCode::FORBIDDEN, r#"{"error":"forbidden"}"#).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A `check = path` function: `fn(&User<U>) -> bool` or `async fn(&User<U>) -> bool`.
/// `Kind` tells the two apart ([`Blocking`] or [`Async`]).
#[diagnostic::on_unimplemented(
    message = "`check` must be a function `fn(&User<U>) -> bool` or `async fn(&User<U>) -> bool`",
    label = "this `check` does not take `&User<_>` of the handler's user type or return `bool`",
    note = "the handler's `User<..>` parameter fixes the user type the check receives"
)]
pub trait CheckFn<'a, U: 'a, Kind> {
    /// The future of the verdict.
    type Future: Future<Output = bool> + Send + 'a;

    /// Runs the check.
    fn call(self, user: &'a User<U>) -> Self::Future;
}

/// Marks a [`CheckFn`] that returns `bool` directly.
pub enum Blocking {}

/// Marks a [`CheckFn`] that returns a future of `bool`.
pub enum Async {}

impl<'a, U: 'a, F: FnOnce(&'a User<U>) -> bool> CheckFn<'a, U, Blocking> for F {
    type Future = Ready<bool>;

    fn call(self, user: &'a User<U>) -> Ready<bool> {
        ready(self(user))
    }
}

impl<'a, U, F, Fut> CheckFn<'a, U, Async> for F
where
    U: 'a,
    F: FnOnce(&'a User<U>) -> Fut,
    Fut: Future<Output = bool> + Send + 'a,
{
    type Future = Fut;

    fn call(self, user: &'a User<U>) -> Fut {
        self(user)
    }
}

/// Runs `check` on `user`; the call site is spanned on the user's `check` path so that a
/// wrong signature is reported there.
pub fn run_check<'a, U: 'a, Kind, F: CheckFn<'a, U, Kind>>(
    check: F,
    user: &'a User<U>,
) -> F::Future {
    check.call(user)
}
