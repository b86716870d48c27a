//! `#[protected]` handlers of every option combination, mounted in a router with the memory
//! adapter and exercised over HTTP: 401, 303 with `next`, 403 for `fresh` and `check`, 200
//! with the session and user visible, and one adapter round trip for check plus body.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use lucia::adapter::Adapter;
use lucia::axum::AuthLayer;
use lucia::clock::MockClock;
use lucia::testing::CountingAdapter;
use lucia::{Auth, AuthRequest, AuthUser, MemoryAdapter, Session, User, protected};

#[derive(Clone, Debug, AuthUser)]
struct MyUser {
    username: String,
    is_admin: bool,
}

/// An app that keeps its own `auth` module, as the issue describes.
mod auth {
    pub use lucia::protected;
}

fn is_admin(user: &User<MyUser>) -> bool {
    user.is_admin
}

async fn is_admin_async(user: &User<MyUser>) -> bool {
    tokio::task::yield_now().await;
    user.is_admin
}

#[protected]
async fn plain(session: Session) -> String {
    format!("session of {}", session.user_id)
}

#[auth::protected]
async fn no_parameters() -> &'static str {
    "pong"
}

#[protected(redirect = "/login")]
async fn page(user: User<MyUser>) -> String {
    format!("hello {}", user.username)
}

#[protected(redirect = "/login?reason=expired")]
async fn page_with_query(_session: Session) -> &'static str {
    "ok"
}

#[protected(bearer)]
async fn api(session: Session, user: User<MyUser>) -> String {
    format!("{} via bearer for {}", user.username, session.user_id)
}

#[protected(fresh = "10m")]
async fn change_password(session: Session) -> String {
    format!("fresh session of {}", session.user_id)
}

#[protected(check = is_admin)]
async fn admin(user: User<MyUser>) -> String {
    format!("admin {}", user.username)
}

#[protected(check = is_admin_async, bearer)]
async fn admin_api(_user: User<MyUser>) -> &'static str {
    "admin api"
}

#[derive(serde::Deserialize)]
struct Page {
    number: u32,
}

/// Every option but `bearer`, with the filled parameters between other extractors and the
/// body extractor last.
#[protected(redirect = "/login", fresh = "1h", check = is_admin)]
async fn everything(
    State(greeting): State<&'static str>,
    Query(page): Query<Page>,
    mut user: User<MyUser>,
    session: Session,
    body: String,
) -> String {
    user.username.push('!');
    format!(
        "{greeting} {} page {} session {} body {body}",
        user.username,
        page.number,
        session.user_id == user.id
    )
}

/// The check and a validation inside the body: one adapter round trip in all.
#[protected(check = is_admin)]
async fn counted(request: AuthRequest<MyUser>, user: User<MyUser>) -> String {
    let (_, again) = request.validate_user().await.unwrap().unwrap();
    format!("{} {}", user.username, again.username)
}

struct TestApp {
    base: String,
    client: reqwest::Client,
    auth: Auth<MyUser>,
    adapter: Arc<dyn Adapter<MyUser>>,
    counts: Arc<lucia::testing::Counts>,
}

impl TestApp {
    async fn start() -> Self {
        let counting = CountingAdapter::new(MemoryAdapter::<MyUser>::new());
        let counts = counting.counts();
        let adapter: Arc<dyn Adapter<MyUser>> = Arc::new(counting);
        let auth = Auth::builder_shared(Arc::clone(&adapter)).build().unwrap();
        let app = Router::new()
            .route("/plain", get(plain))
            .route("/ping", get(no_parameters))
            .route("/page", get(page))
            .route("/page-with-query", get(page_with_query))
            .route("/api", get(api))
            .route("/change-password", post(change_password))
            .route("/admin", get(admin))
            .route("/admin-api", get(admin_api))
            .route("/everything", post(everything))
            .route("/counted", get(counted))
            .nest("/nested", Router::new().route("/page", get(page)))
            .with_state("hi")
            .layer(AuthLayer::new(auth.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base,
            client,
            auth,
            adapter,
            counts,
        }
    }

    /// A new user and the `Cookie` header value and bearer token of a new session.
    async fn sign_in(&self, is_admin: bool) -> (String, String) {
        let attributes = MyUser {
            username: "ada".into(),
            is_admin,
        };
        let user = self.auth.create_user(None, attributes).await.unwrap();
        self.session_for(&self.auth, &user.id).await
    }

    async fn session_for(&self, auth: &Auth<MyUser>, user_id: &str) -> (String, String) {
        let session = auth.create_session(user_id).await.unwrap();
        let cookie = auth.create_session_cookie(&session).unwrap();
        let token = session.token().unwrap().expose().to_owned();
        (format!("{}={}", cookie.name(), cookie.value()), token)
    }

    /// A session created an hour ago (by an `Auth` whose clock stands an hour back).
    async fn stale_sign_in(&self, is_admin: bool) -> String {
        let attributes = MyUser {
            username: "ada".into(),
            is_admin,
        };
        let user = self.auth.create_user(None, attributes).await.unwrap();
        let an_hour_ago = MockClock::starting_now();
        an_hour_ago.advance(-time::Duration::hours(1));
        let past = Auth::builder_shared(Arc::clone(&self.adapter))
            .clock(an_hour_ago)
            .build()
            .unwrap();
        self.session_for(&past, &user.id).await.0
    }

    /// A same-origin POST (the CSRF check refuses cookie POSTs from elsewhere).
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.post(format!("{}{path}", self.base));
        request.header("origin", &self.base)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, String, Option<String>) {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        respond(request).await
    }
}

async fn respond(request: reqwest::RequestBuilder) -> (StatusCode, String, Option<String>) {
    let response = request.send().await.unwrap();
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let location = response
        .headers()
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned());
    (status, response.text().await.unwrap(), location)
}

#[tokio::test]
async fn plain_protected_answers_401_without_a_session_and_200_with_one() {
    let app = TestApp::start().await;
    let (status, body, _) = app.get("/plain", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body, r#"{"error":"unauthorized"}"#);

    let (cookie, _) = app.sign_in(false).await;
    let (status, body, _) = app.get("/plain", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("session of "), "{body}");
}

#[tokio::test]
async fn handler_without_session_parameters_still_requires_a_session() {
    let app = TestApp::start().await;
    assert_eq!(app.get("/ping", None).await.0, StatusCode::UNAUTHORIZED);
    let (cookie, _) = app.sign_in(false).await;
    assert_eq!(app.get("/ping", Some(&cookie)).await.1, "pong");
}

#[tokio::test]
async fn redirect_sends_303_with_the_original_path_and_query_in_next() {
    let app = TestApp::start().await;
    let (status, _, location) = app.get("/page?tab=a%20b&x=1", None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.unwrap(),
        "/login?next=%2Fpage%3Ftab%3Da%2520b%26x%3D1"
    );

    let (_, _, location) = app.get("/nested/page", None).await;
    assert_eq!(location.unwrap(), "/login?next=%2Fnested%2Fpage");

    let (_, _, location) = app.get("/page-with-query", None).await;
    assert_eq!(
        location.unwrap(),
        "/login?reason=expired&next=%2Fpage-with-query"
    );

    let (cookie, _) = app.sign_in(false).await;
    let (status, body, _) = app.get("/page", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hello ada");
}

#[tokio::test]
async fn bearer_reads_the_authorization_header_and_ignores_the_cookie() {
    let app = TestApp::start().await;
    let (cookie, token) = app.sign_in(false).await;
    let (status, _, _) = app.get("/api", Some(&cookie)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let request = app
        .client
        .get(format!("{}/api", app.base))
        .bearer_auth(&token);
    let (status, body, _) = respond(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("ada via bearer for "), "{body}");
}

#[tokio::test]
async fn fresh_refuses_an_old_session_with_403() {
    let app = TestApp::start().await;
    let stale = app.stale_sign_in(false).await;
    let request = app.post("/change-password");
    let (status, body, _) = respond(request.header("cookie", &stale)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body, r#"{"error":"forbidden"}"#);

    let (cookie, _) = app.sign_in(false).await;
    let request = app.post("/change-password");
    let (status, body, _) = respond(request.header("cookie", cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with("fresh session of "), "{body}");
}

#[tokio::test]
async fn fresh_follows_the_auth_clock_not_the_system_clock() {
    let clock = Arc::new(MockClock::starting_now());
    let auth = Auth::<MyUser>::builder(MemoryAdapter::new())
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    let app = Router::new()
        .route("/change-password", post(change_password))
        .layer(AuthLayer::new(auth.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let attributes = MyUser {
        username: "ada".into(),
        is_admin: false,
    };
    let user = auth.create_user(None, attributes).await.unwrap();
    let session = auth.create_session(&user.id).await.unwrap();
    let cookie = auth.create_session_cookie(&session).unwrap();
    let cookie = format!("{}={}", cookie.name(), cookie.value());
    let change_password = || {
        let request = reqwest::Client::new().post(format!("{base}/change-password"));
        respond(request.header("origin", &base).header("cookie", &cookie))
    };

    // Only the injected clock moves; the system clock stays within the 10-minute window.
    clock.advance(time::Duration::minutes(5));
    assert_eq!(change_password().await.0, StatusCode::OK);
    clock.advance(time::Duration::minutes(6));
    assert_eq!(change_password().await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn check_refuses_with_403_when_the_predicate_says_no() {
    let app = TestApp::start().await;
    let (member, member_token) = app.sign_in(false).await;
    let (admin, admin_token) = app.sign_in(true).await;
    assert_eq!(app.get("/admin", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/admin", Some(&member)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/admin", Some(&admin)).await.1, "admin ada");

    let api = format!("{}/admin-api", app.base);
    let member = respond(app.client.get(&api).bearer_auth(member_token)).await;
    assert_eq!(member.0, StatusCode::FORBIDDEN);
    let admin = respond(app.client.get(&api).bearer_auth(admin_token)).await;
    assert_eq!((admin.0, admin.1.as_str()), (StatusCode::OK, "admin api"));
}

#[tokio::test]
async fn every_option_together_keeps_the_other_extractors_in_order() {
    let app = TestApp::start().await;
    let url = "/everything?number=3";
    let (status, _, location) = respond(app.post(url).body("text")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.unwrap(), "/login?next=%2Feverything%3Fnumber%3D3");

    let (member, _) = app.sign_in(false).await;
    let member = respond(app.post(url).header("cookie", member).body("text")).await;
    assert_eq!(member.0, StatusCode::FORBIDDEN);

    let (admin, _) = app.sign_in(true).await;
    let (status, body, _) = respond(app.post(url).header("cookie", admin).body("x")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "hi ada! page 3 session true body x");
}

#[tokio::test]
async fn check_and_use_in_the_handler_cost_one_adapter_round_trip() {
    let app = TestApp::start().await;
    let (admin, _) = app.sign_in(true).await;
    app.counts.reset();
    let (status, body, _) = app.get("/counted", Some(&admin)).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ada ada"));
    assert_eq!(app.counts.session_reads(), 1);
    assert_eq!(app.counts.total(), 1);
}
