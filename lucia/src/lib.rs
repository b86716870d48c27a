//! Session authentication for Rust web apps, after [Lucia](https://lucia-auth.com) v1.
//!
//! Your users, keys and sessions live in *your* database. A random session token rides in
//! an `HttpOnly` cookie (or a bearer header); one call per request tells you who is there,
//! renews the session when it goes idle and re-sets the cookie for you.
//!
//! - [`Auth`]: the configured instance: users, keys with password hashes, sessions.
//! - [`request`]: one request's view of authentication ([`AuthRequest`]): the session from
//!   the cookie or a bearer token with one database round trip per request, the CSRF check,
//!   and the cookies to send back. [`AuthLayer`] (feature `tower`) runs it for every request;
//!   [`axum`] (feature `axum`) adds extractors. See the guide in `request::guide`.
//! - [`adapter`]: the storage contract and the adapters (memory here; SQLite, PostgreSQL,
//!   MySQL/MariaDB and Redis behind cargo features).
//! - [`AuthUser`]: derives the mapping of your user struct to the user table, checked at
//!   compile time; [`protected`] (feature `axum`) makes a handler require a valid session.
//!
//! # Security defaults
//! - Session tokens carry 200 bits from the OS CSPRNG; the store keeps only their SHA-256,
//!   so a leaked database yields no usable cookie (Copenhagen Book, "server-side tokens").
//!   Tokens are checked for length and alphabet before any database call.
//! - Idle sessions are renewed in place by one conditional write, never past an absolute
//!   lifetime (30 days by default; OWASP session management).
//! - Passwords: Argon2id, m = 19456 KiB, t = 2, p = 1 (OWASP password storage), NFKC on both
//!   sides, a length policy before any hashing, hashing off the async executor under a
//!   concurrency cap and at background CPU priority, and the same work for unknown users as
//!   for wrong passwords.
//! - Cookies: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` in production, optional
//!   `__Host-` prefix (RFC 6265bis); `Debug` output never shows a token, hash or password.
//! - A database failure is an error, never "logged out".
//! - CSRF: unsafe methods need an `Origin` equal to the configured public origin (or the
//!   `Host`-derived one) or an allowed origin, compared as normalised (scheme, host, port)
//!   tuples; a failure makes the request anonymous for cookie authentication (OWASP CSRF
//!   cheat sheet, origin verification). Bearer tokens are exempt and never mixed with cookies:
//!   native and other non-browser clients, which send no `Origin`, should authenticate with
//!   `Authorization: Bearer <token>` rather than the cookie. A forwarded-host header is read
//!   only from configured trusted proxies.

pub mod adapter;
pub mod auth;
pub mod clock;
pub mod config;
pub mod cookie;
pub mod csrf;
pub mod error;
pub mod key;
#[cfg(feature = "tower")]
pub mod middleware;
pub mod password;
#[cfg(feature = "axum")]
#[doc(hidden)]
pub mod protect;
pub mod request;
pub mod session;
#[cfg(feature = "testing")]
pub mod testing;
pub mod user;

pub use adapter::{Adapter, MemoryAdapter, SessionAdapter, UserAdapter};
pub use auth::Auth;
pub use config::{
    AuthBuilder, Config, ConfigError, CsrfConfig, Env, SESSION_COOKIE_NAME, SameSite,
    SessionCookieConfig, SessionCookieOptions, SessionLifetime,
};
pub use error::{AttributeError, BoxError, Error, PasswordPolicyError, Result};
pub use key::{Key, KeyId, NewKey};
#[cfg(feature = "tower")]
pub use middleware::tower::AuthLayer;
pub use request::{AuthRequest, RequestContext, SessionRequest};
pub use session::{Session, SessionId, SessionState, SessionToken};
pub use user::{AttributeValue, User, UserAttributes};

pub use lucia_macros::AuthUser;
#[cfg(feature = "axum")]
pub use lucia_macros::protected;

/// axum integration (feature `axum`): the layer and the extractors.
#[cfg(feature = "axum")]
pub mod axum {
    pub use crate::middleware::axum::*;
    pub use crate::middleware::tower::AuthLayer;
}

/// Re-exported so apps and generated code use the same versions.
pub use ::cookie as cookie_crate;
pub use ::time;

/// Items used by macro-generated code. Not public API: no stability promise.
#[doc(hidden)]
pub mod __private {
    pub use crate::error::AttributeError;
    #[cfg(feature = "axum")]
    pub use crate::protect;
    pub use crate::session::Session;
    pub use crate::user::{
        AttributeValue, Column, ColumnType, User, UserAttributes, Value, next_value,
    };
    pub use ::core;
    pub use ::std;
}
