//! The quick start of `docs/macros.md`, compiled and served once so the guide stays true.
#![allow(clippy::unwrap_used)]

use axum::{Router, routing::get};
use lucia::{Auth, AuthLayer, AuthUser, MemoryAdapter, Session, User, protected};

/// The attributes of a user: one column each in the user table (`auth_user`).
/// The user id is not a field: `User<MyUser>` carries it as `user.id`.
#[derive(Clone, AuthUser)]
pub struct MyUser {
    username: String,
    #[auth(column = "email_address")]
    email: Option<String>, // `Option` = nullable column
    is_admin: bool,
}

fn is_admin(user: &User<MyUser>) -> bool {
    user.is_admin
}

/// A public handler: the generated marker type must not trip `missing_docs`.
#[protected] // 401 without a session
pub async fn me(user: User<MyUser>) -> String {
    format!("{} ({})", user.username, user.id)
}

#[protected(redirect = "/login")] // 303 to /login?next=%2Fsettings
async fn settings(session: Session) -> String {
    format!("signed in since {}", session.created_at)
}

#[protected(bearer, check = is_admin)] // Authorization: Bearer; 403 unless admin
async fn admin_api(_user: User<MyUser>) -> &'static str {
    "ok"
}

#[protected(fresh = "10m")] // 403 unless the session is at most 10 minutes old
async fn change_password(_session: Session, body: String) -> String {
    body
}

fn app() -> Router {
    let auth = Auth::builder(MemoryAdapter::<MyUser>::new())
        .build()
        .unwrap();
    Router::new()
        .route("/me", get(me))
        .route("/settings", get(settings))
        .route("/admin", get(admin_api))
        .route("/password", axum::routing::post(change_password))
        .layer(AuthLayer::new(auth))
}

#[tokio::test]
async fn quick_start_app_refuses_a_request_without_a_session() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app()).await.unwrap() });
    let response = reqwest::get(format!("{base}/me")).await.unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let _ = MyUser {
        username: String::new(),
        email: None,
        is_admin: false,
    };
}
