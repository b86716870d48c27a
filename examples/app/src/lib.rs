//! The main example: an axum app that signs people up, logs them in and keeps them logged
//! in, on SQLite by default or PostgreSQL by changing `DATABASE_URL`.
//!
//! Run it with `cargo run -p lucia-example`, then open <http://127.0.0.1:3000>.

pub mod config;
mod pages;
mod routes;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::{get, post};
use lucia::adapter::{PostgresAdapter, SqliteAdapter};
use lucia::{Adapter, Auth, AuthLayer, AuthUser};
use time::OffsetDateTime;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use config::AppConfig;

/// The app's own path to the protect macro, as an app would keep it.
pub mod auth {
    pub use lucia::protected;
}

/// The app's user: a username and when they signed up. The id lives beside these in
/// `lucia::User<AppUser>`.
#[derive(AuthUser, Clone, Debug)]
pub struct AppUser {
    /// Lowercase, 3 to 31 characters of `a-z 0-9 _ -`; also the `username` key's id.
    pub username: String,
    /// Sign-up time.
    pub created_at: OffsetDateTime,
}

/// Form and JSON bodies are small; anything larger is refused with 413 before parsing.
const BODY_LIMIT: usize = 16 * 1024;

/// Opens (and migrates) the database named by `config.database_url` and configures `Auth`.
///
/// # Errors
/// A message when the URL names no supported database, the database cannot be opened or
/// migrated, or the configuration is invalid.
pub async fn build_auth(config: &AppConfig) -> Result<Auth<AppUser>, String> {
    let adapter = open_adapter(&config.database_url).await?;
    let mut builder = Auth::builder_shared(adapter).env(config.env);
    let defaults = lucia::SessionLifetime::default();
    if config.active_period.is_some() || config.idle_period.is_some() {
        builder = builder.session_expires_in(
            config.active_period.unwrap_or(defaults.active_period),
            config.idle_period.unwrap_or(defaults.idle_period),
        );
    }
    if let Some(origin) = &config.origin {
        builder = builder.public_origin(origin.clone());
    }
    builder.build().map_err(|err| err.to_string())
}

async fn open_adapter(url: &str) -> Result<Arc<dyn Adapter<AppUser>>, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let adapter = PostgresAdapter::<AppUser>::connect(url)
            .await
            .map_err(describe)?;
        adapter.migrate().await.map_err(describe)?;
        Ok(Arc::new(adapter))
    } else if url.starts_with("sqlite:") {
        let adapter = SqliteAdapter::<AppUser>::connect(url)
            .await
            .map_err(describe)?;
        adapter.migrate().await.map_err(describe)?;
        Ok(Arc::new(adapter))
    } else {
        Err("DATABASE_URL must start with sqlite: or postgres://".to_owned())
    }
}

fn describe(err: lucia::Error) -> String {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The router with every page and endpoint, the auth layer, a body limit, `no-store` caching
/// and request logs.
pub fn router(auth: Auth<AppUser>) -> Router {
    Router::new()
        .route("/", get(routes::home))
        .route("/signup", get(routes::signup_page).post(routes::signup))
        .route("/login", get(routes::login_page).post(routes::login))
        .route("/logout", post(routes::logout))
        .route("/dashboard", get(routes::dashboard))
        .route(
            "/sessions/revoke-others",
            post(routes::revoke_other_sessions),
        )
        .route("/password", post(routes::change_password))
        .route("/api/login", post(routes::api_login))
        .route("/api/me", get(routes::api_me))
        .route("/api/logout", post(routes::api_logout))
        .layer(AuthLayer::new(auth))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response(no_store))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// Every page depends on who asks, so no cache keeps one; a handler's own `Cache-Control`
/// stays.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The request log names the path only: a query string can carry what a client should not
/// have put there (a token in `?token=`), and logs must never hold it.
fn request_span(request: &Request) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = request.uri().path(),
    )
}
