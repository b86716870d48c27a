//! A store failure behind `#[protected]` is a `500`, never "logged out": no `401`, no login
//! redirect that would send a signed-in user to the login page.
#![allow(clippy::unwrap_used)]

mod request_common;

use std::sync::atomic::Ordering;

use axum::Router;
use axum::routing::get;
use lucia::axum::AuthLayer;
use lucia::{MemoryAdapter, Session, User, protected};
use request_common::{FailingAdapter, builder, client, serve, session_for_new_user};

#[protected(redirect = "/login")]
async fn page(_user: User<()>) -> &'static str {
    "page"
}

#[protected]
async fn plain(_session: Session) -> &'static str {
    "plain"
}

#[tokio::test]
async fn store_failure_is_500_not_a_login_redirect_or_401() {
    let (adapter, failing) = FailingAdapter::new(MemoryAdapter::<()>::new());
    let auth = builder(adapter).build().unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let cookie = format!("{}={token}", auth.config().cookie.name);
    let app = Router::new()
        .route("/page", get(page))
        .route("/plain", get(plain))
        .layer(AuthLayer::new(auth));
    let base = serve(app).await;

    failing.store(true, Ordering::SeqCst);
    for path in ["/page", "/plain"] {
        let response = client()
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 500, "{path}");
        assert!(response.headers().get("location").is_none(), "{path}");
    }
}
