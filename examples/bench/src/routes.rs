//! The tiny route each variant serves, and the login route the background client calls.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use lucia::{Auth, AuthLayer, Error, SESSION_COOKIE_NAME, Session};

/// The body every variant answers with.
const BODY: &str = "hello";

/// The ceiling: the same route with no auth.
pub fn bare() -> Router {
    Router::new().route("/", get(|| async { BODY }))
}

/// The protected route: `#[protected]` on the handler, `AuthLayer` on the router (`401`
/// without a valid session cookie).
pub fn protected(auth: Auth<()>) -> Router {
    Router::new()
        .route("/", get(protected_hello))
        .route("/login/{username}", post(login))
        .with_state(auth.clone())
        .layer(AuthLayer::new(auth))
}

#[lucia::protected]
async fn protected_hello(_session: Session) -> &'static str {
    BODY
}

/// The protected route without the layer: the handler reads the cookie and calls
/// `validate_session_user` itself.
pub fn in_handler(auth: Auth<()>) -> Router {
    Router::new()
        .route("/", get(check_in_handler))
        .with_state(auth)
}

async fn check_in_handler(
    State(auth): State<Auth<()>>,
    headers: HeaderMap,
) -> Result<&'static str, StatusCode> {
    let token = session_cookie(&headers).ok_or(StatusCode::UNAUTHORIZED)?;
    match auth.validate_session_user(token).await {
        Ok(_) => Ok(BODY),
        Err(Error::InvalidSessionId) => Err(StatusCode::UNAUTHORIZED),
        Err(err) => {
            eprintln!("lucia-bench: session check failed: {err}");
            Err(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// Logs in with the password in the body and opens a session: Argon2id on a hashing thread.
async fn login(
    State(auth): State<Auth<()>>,
    Path(username): Path<String>,
    password: String,
) -> StatusCode {
    let key = match auth.use_key("username", &username, Some(&password)).await {
        Ok(key) => key,
        Err(Error::InvalidKeyId | Error::InvalidPassword) => return StatusCode::UNAUTHORIZED,
        Err(err) => {
            eprintln!("lucia-bench: login failed: {err}");
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    };
    match auth.create_session(&key.user_id).await {
        Ok(_) => StatusCode::OK,
        Err(err) => {
            eprintln!("lucia-bench: session creation failed: {err}");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE_NAME).then_some(value)
        })
}
