//! axum extractors over the per-request [`AuthRequest`]: the request itself, the session,
//! an optional session, the signed-in user, and their bearer-token counterparts.
//!
//! All of them need [`AuthLayer`](crate::AuthLayer) on the router. Rejections are complete
//! responses: `401` with a small JSON body when nobody is signed in (bearer extractors add
//! `WWW-Authenticate: Bearer`), `403` when a session cookie came with a request that failed
//! the CSRF check, `500` with a generic body when the store fails. Details go to the log.
//!
//! ```
//! use lucia::axum::{AuthLayer, Authenticated};
//! use lucia::{Auth, MemoryAdapter, Session};
//!
//! async fn me(Authenticated { user, .. }: Authenticated<()>) -> String {
//!     user.id
//! }
//!
//! async fn home(session: Option<Session>) -> &'static str {
//!     if session.is_some() { "welcome back" } else { "hello" }
//! }
//!
//! let auth = Auth::<()>::builder(MemoryAdapter::new()).build().unwrap();
//! let app: axum::Router = axum::Router::new()
//!     .route("/me", axum::routing::get(me))
//!     .route("/", axum::routing::get(home))
//!     .layer(AuthLayer::new(auth.clone()));
//! # drop(app);
//! ```

use ::axum::extract::{FromRequestParts, OptionalFromRequestParts};
use ::axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::error::Error;
use crate::request::{AuthRequest, SessionRequest};
use crate::session::Session;
use crate::user::{User, UserAttributes};

/// The layer's fix, word for word, for the missing-layer response and log line.
const ADD_THE_LAYER: &str = "add `.layer(lucia::AuthLayer::new(auth.clone()))` to your router";

/// The signed-in session and user, from the session cookie; `401` when there is none.
#[derive(Debug, Clone)]
pub struct Authenticated<U> {
    /// The validated (possibly just renewed) session.
    pub session: Session,
    /// Its user.
    pub user: User<U>,
}

/// The session from `Authorization: Bearer <token>`; `401` with
/// `WWW-Authenticate: Bearer` when there is none. Not subject to the CSRF check.
#[derive(Debug, Clone)]
pub struct BearerSession(pub Session);

/// The session and user from `Authorization: Bearer <token>`; rejected like
/// [`BearerSession`].
#[derive(Debug, Clone)]
pub struct BearerAuthenticated<U> {
    /// The validated (possibly just renewed) session.
    pub session: Session,
    /// Its user.
    pub user: User<U>,
}

/// Why an extractor refused a request. Every variant is a complete response.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthRejection {
    /// The router has no [`AuthLayer`](crate::AuthLayer) (for this user type): `500`, with
    /// the fix in the body and the log.
    MissingLayer {
        /// The user type the extractor asked for.
        user_type: &'static str,
    },
    /// No valid session cookie: `401`.
    Unauthenticated,
    /// No valid bearer token: `401` with `WWW-Authenticate: Bearer`.
    InvalidBearerToken {
        /// Whether the request carried an `Authorization` header at all.
        token_present: bool,
    },
    /// A session cookie came with a request that failed the CSRF check: `403`.
    CsrfRejected,
    /// The store or another server-side piece failed: `500`, generic body.
    Server(Error),
}

impl AuthRejection {
    /// The rejection for a validation error: server faults become `500`, verdicts about the
    /// credentials `401`.
    pub fn from_error(error: Error) -> Self {
        match error {
            Error::InvalidSessionId | Error::InvalidUserId => Self::Unauthenticated,
            error => Self::Server(error),
        }
    }

    fn missing_layer<U>() -> Self {
        Self::MissingLayer {
            user_type: std::any::type_name::<U>(),
        }
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingLayer { user_type } => write!(
                f,
                "lucia: no `AuthRequest<{user_type}>` in the request extensions: {ADD_THE_LAYER}"
            ),
            Self::Unauthenticated | Self::InvalidBearerToken { .. } => f.write_str("unauthorized"),
            Self::CsrfRejected => f.write_str("forbidden"),
            Self::Server(_) => f.write_str("internal server error"),
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match &self {
            Self::MissingLayer { .. } => {
                tracing::error!(target: "lucia::axum", "{self}");
                let mut response =
                    (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response();
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                response
            }
            Self::Unauthenticated => json(StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::InvalidBearerToken { token_present } => {
                let mut response = json(StatusCode::UNAUTHORIZED, "unauthorized");
                // RFC 6750 §3.1: no error code when the request carried no credentials.
                let challenge = if *token_present {
                    HeaderValue::from_static("Bearer error=\"invalid_token\"")
                } else {
                    HeaderValue::from_static("Bearer")
                };
                response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
                response
            }
            Self::CsrfRejected => {
                tracing::trace!(target: "lucia::axum", "request refused: csrf check failed");
                json(StatusCode::FORBIDDEN, "forbidden")
            }
            Self::Server(error) => {
                tracing::error!(target: "lucia::axum", error = %error, "session validation failed");
                json(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
            }
        }
    }
}

fn json(status: StatusCode, error: &'static str) -> Response {
    let body = format!("{{\"error\":\"{error}\"}}");
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

impl<S: Send + Sync, U: UserAttributes> FromRequestParts<S> for AuthRequest<U> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<AuthRequest<U>>()
            .cloned()
            .ok_or_else(AuthRejection::missing_layer::<U>)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionRequest {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SessionRequest>()
            .cloned()
            .ok_or(AuthRejection::MissingLayer { user_type: "_" })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let request = SessionRequest::from_request_parts(parts, state).await?;
        match request.validate().await {
            Ok(Some(session)) => Ok(session),
            Ok(None) if request.csrf_rejected() => Err(AuthRejection::CsrfRejected),
            Ok(None) => Err(AuthRejection::Unauthenticated),
            Err(error) => Err(AuthRejection::from_error(error)),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Session {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let request = SessionRequest::from_request_parts(parts, state).await?;
        request.validate().await.map_err(AuthRejection::from_error)
    }
}

impl<S: Send + Sync, U: UserAttributes> FromRequestParts<S> for Authenticated<U> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let request = AuthRequest::<U>::from_request_parts(parts, state).await?;
        match request.validate_user().await {
            Ok(Some((session, user))) => Ok(Self { session, user }),
            Ok(None) if request.csrf_rejected() => Err(AuthRejection::CsrfRejected),
            Ok(None) => Err(AuthRejection::Unauthenticated),
            Err(error) => Err(AuthRejection::from_error(error)),
        }
    }
}

impl<S: Send + Sync, U: UserAttributes> OptionalFromRequestParts<S> for Authenticated<U> {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let request = AuthRequest::<U>::from_request_parts(parts, state).await?;
        let found = request
            .validate_user()
            .await
            .map_err(AuthRejection::from_error)?;
        Ok(found.map(|(session, user)| Self { session, user }))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BearerSession {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token_present = parts.headers.contains_key(http::header::AUTHORIZATION);
        let request = SessionRequest::from_request_parts(parts, state).await?;
        match request.validate_bearer_token().await {
            Ok(Some(session)) => Ok(Self(session)),
            Ok(None) => Err(AuthRejection::InvalidBearerToken { token_present }),
            Err(error) => Err(bearer_rejection(error, token_present)),
        }
    }
}

impl<S: Send + Sync, U: UserAttributes> FromRequestParts<S> for BearerAuthenticated<U> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token_present = parts.headers.contains_key(http::header::AUTHORIZATION);
        let request = AuthRequest::<U>::from_request_parts(parts, state).await?;
        match request.validate_bearer_user().await {
            Ok(Some((session, user))) => Ok(Self { session, user }),
            Ok(None) => Err(AuthRejection::InvalidBearerToken { token_present }),
            Err(error) => Err(bearer_rejection(error, token_present)),
        }
    }
}

fn bearer_rejection(error: Error, token_present: bool) -> AuthRejection {
    match AuthRejection::from_error(error) {
        AuthRejection::Unauthenticated => AuthRejection::InvalidBearerToken { token_present },
        other => other,
    }
}
