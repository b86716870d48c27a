//! Middleware that runs request handling for every request (feature `tower`), and the axum
//! extractors built on it (feature `axum`).
//!
//! The [`tower::AuthLayer`] creates an [`AuthRequest`](crate::AuthRequest) per request
//! (no database call until something asks), puts it and a
//! [`SessionRequest`](crate::SessionRequest) in the request extensions, and appends the
//! queued `Set-Cookie` lines to the response, error responses included.

#[cfg(feature = "axum")]
pub mod axum;
pub mod tower;
