//! Shared pieces of the `request_*` integration tests: a test app over real HTTP, a client
//! with redirects off, and an adapter that fails on demand.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use axum::Router;
use axum::extract::Form;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lucia::adapter::{Adapter, SessionAdapter, UserAdapter};
use lucia::axum::{AuthLayer, Authenticated, BearerAuthenticated, BearerSession};
use lucia::key::KeyRecord;
use lucia::session::SessionRecord;
use lucia::{Auth, AuthBuilder, AuthRequest, Error, KeyId, NewKey, Session, SessionId, User};

/// The password of the test user `user1`.
pub const PASSWORD: &str = "correct horse battery";

/// A builder with the default settings over `adapter`.
pub fn builder<A: Adapter<()>>(adapter: A) -> AuthBuilder<()> {
    Auth::builder(adapter)
}

/// Serves `app` on an ephemeral port of 127.0.0.1; returns the base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// Serves `app` like [`serve`], with axum's `ConnectInfo<SocketAddr>`: the auth layer takes
/// the peer address from it, so a trusted forwarded-host header can be checked.
pub async fn serve_with_peers(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    format!("http://{address}")
}

/// A client that never follows redirects and keeps no cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Every `Set-Cookie` line of a response, one string per header line.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

/// The `Set-Cookie` lines for the cookie called `name`.
pub fn cookie_lines(response: &reqwest::Response, name: &str) -> Vec<String> {
    set_cookies(response)
        .into_iter()
        .filter(|line| line.starts_with(&format!("{name}=")))
        .collect()
}

/// The value of a `Set-Cookie` line.
pub fn cookie_value(line: &str) -> &str {
    let pair = line.split(';').next().unwrap();
    pair.split_once('=').unwrap().1
}

/// Creates `user1` with a password key and returns its id.
pub async fn create_user1(auth: &Auth<()>) -> String {
    let key = NewKey::with_password("username", "user1", PASSWORD);
    auth.create_user(Some(key), ()).await.unwrap().id
}

/// A user with a fresh session; returns the session and its token.
pub async fn session_for_new_user(auth: &Auth<()>) -> (Session, String) {
    let user = auth.create_user(None, ()).await.unwrap();
    let session = auth.create_session(&user.id).await.unwrap();
    let token = session.token().unwrap().expose().to_owned();
    (session, token)
}

#[derive(serde::Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// Signs in: drops whatever session came with the request (fixation), then sets a new one.
async fn login(request: AuthRequest<()>, Form(form): Form<Login>) -> Response {
    if request.csrf_failure().is_some() {
        return StatusCode::FORBIDDEN.into_response();
    }
    let auth = request.auth().clone();
    let key = match auth
        .use_key("username", &form.username, Some(&form.password))
        .await
    {
        Ok(key) => key,
        Err(error) if error.is_infrastructure() => {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    if request.invalidate().await.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    match auth.create_session(&key.user_id).await {
        Ok(session) => {
            request.set_session(Some(session));
            StatusCode::OK.into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn logout(request: AuthRequest<()>) -> StatusCode {
    match request.invalidate().await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn me(Authenticated { user, .. }: Authenticated<()>) -> String {
    user.id
}

/// Asks for the session many times, sequentially and concurrently.
async fn many(request: AuthRequest<()>) -> Response {
    let (a, b, c, d) = tokio::join!(
        request.validate(),
        request.validate_user(),
        request.validate(),
        request.validate_user(),
    );
    let again = request.validate_user().await;
    let also = request.validate().await;
    let results = [
        a.is_ok(),
        b.is_ok(),
        c.is_ok(),
        d.is_ok(),
        again.is_ok(),
        also.is_ok(),
    ];
    if results.contains(&false) {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    match again.ok().flatten() {
        Some((_, user)) => user.id.into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// Sets its own cookie (with a comma in `Expires`) and asks for the session.
async fn theme(session: Option<Session>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        "theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/"
            .parse()
            .unwrap(),
    );
    (
        headers,
        if session.is_some() {
            "signed in"
        } else {
            "anonymous"
        },
    )
        .into_response()
}

/// Validates, then fails on its own.
async fn broken(request: AuthRequest<()>) -> StatusCode {
    let _ = request.validate().await;
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn settings(session: Session) -> String {
    session.user_id
}

async fn optional(session: Option<Session>) -> &'static str {
    if session.is_some() {
        "signed in"
    } else {
        "anonymous"
    }
}

async fn bearer_items(BearerSession(session): BearerSession) -> String {
    session.user_id
}

async fn bearer_me(BearerAuthenticated { user, .. }: BearerAuthenticated<()>) -> String {
    user.id
}

/// Both credentials in one request, reported separately.
async fn mixed(request: AuthRequest<()>) -> String {
    let cookie = request.validate().await.unwrap().map(|s| s.user_id);
    let bearer = request
        .validate_bearer_token()
        .await
        .unwrap()
        .map(|s| s.user_id);
    format!(
        "cookie={} bearer={}",
        cookie.unwrap_or_default(),
        bearer.unwrap_or_default()
    )
}

/// Validates through the typed and the type-erased handle; both share one cache.
async fn shared(request: AuthRequest<()>, erased: lucia::SessionRequest) -> String {
    let typed = request.validate().await.unwrap().map(|s| s.id);
    let untyped = erased.validate().await.unwrap().map(|s| s.id);
    assert_eq!(typed, untyped);
    format!("{}", typed.is_some())
}

/// The test app, with the auth layer.
pub fn app(auth: &Auth<()>) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/plain", get(|| async { "plain" }))
        .route("/shared", get(shared))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/many", get(many))
        .route("/theme", get(theme))
        .route("/broken", get(broken))
        .route("/settings", post(settings))
        .route("/optional", get(optional).post(optional))
        .route("/api/items", post(bearer_items))
        .route("/api/me", get(bearer_me))
        .route("/mixed", post(mixed))
        .layer(AuthLayer::new(auth.clone()))
}

/// An adapter that fails every session call while its switch is on.
pub struct FailingAdapter<A> {
    inner: A,
    failing: Arc<AtomicBool>,
}

impl<A> FailingAdapter<A> {
    /// Wraps `inner`; returns the switch too.
    pub fn new(inner: A) -> (Self, Arc<AtomicBool>) {
        let failing = Arc::new(AtomicBool::new(false));
        (
            Self {
                inner,
                failing: Arc::clone(&failing),
            },
            failing,
        )
    }

    fn check(&self) -> lucia::Result<()> {
        if self.failing.load(Ordering::SeqCst) {
            Err(Error::adapter("connection refused"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl<A: UserAdapter<()>> UserAdapter<()> for FailingAdapter<A> {
    async fn get_user(&self, user_id: &str) -> lucia::Result<Option<User<()>>> {
        self.inner.get_user(user_id).await
    }
    async fn insert_user(&self, user: &User<()>, key: Option<&KeyRecord>) -> lucia::Result<()> {
        self.inner.insert_user(user, key).await
    }
    async fn update_user(&self, user: &User<()>) -> lucia::Result<()> {
        self.inner.update_user(user).await
    }
    async fn delete_user(&self, user_id: &str) -> lucia::Result<()> {
        self.inner.delete_user(user_id).await
    }
    async fn get_key(&self, key_id: &KeyId) -> lucia::Result<Option<KeyRecord>> {
        self.inner.get_key(key_id).await
    }
    async fn get_keys_by_user(&self, user_id: &str) -> lucia::Result<Vec<KeyRecord>> {
        self.inner.get_keys_by_user(user_id).await
    }
    async fn insert_key(&self, key: &KeyRecord) -> lucia::Result<()> {
        self.inner.insert_key(key).await
    }
    async fn update_key_password(
        &self,
        key_id: &KeyId,
        hashed_password: Option<&str>,
    ) -> lucia::Result<Option<KeyRecord>> {
        self.inner
            .update_key_password(key_id, hashed_password)
            .await
    }
    async fn delete_non_primary_key(&self, key_id: &KeyId) -> lucia::Result<()> {
        self.inner.delete_non_primary_key(key_id).await
    }
    async fn delete_keys_by_user(&self, user_id: &str) -> lucia::Result<()> {
        self.inner.delete_keys_by_user(user_id).await
    }
}

#[async_trait]
impl<A: SessionAdapter> SessionAdapter for FailingAdapter<A> {
    async fn get_session(&self, id: &SessionId) -> lucia::Result<Option<SessionRecord>> {
        self.check()?;
        self.inner.get_session(id).await
    }
    async fn get_sessions_by_user(&self, user_id: &str) -> lucia::Result<Vec<SessionRecord>> {
        self.check()?;
        self.inner.get_sessions_by_user(user_id).await
    }
    async fn insert_session(&self, session: &SessionRecord) -> lucia::Result<()> {
        self.check()?;
        self.inner.insert_session(session).await
    }
    async fn renew_session(
        &self,
        id: &SessionId,
        now: i64,
        active_expires: i64,
        idle_expires: i64,
    ) -> lucia::Result<Option<SessionRecord>> {
        self.check()?;
        self.inner
            .renew_session(id, now, active_expires, idle_expires)
            .await
    }
    async fn delete_session(&self, id: &SessionId) -> lucia::Result<()> {
        self.check()?;
        self.inner.delete_session(id).await
    }
    async fn delete_sessions_by_user(
        &self,
        user_id: &str,
        keep: Option<&SessionId>,
    ) -> lucia::Result<()> {
        self.check()?;
        self.inner.delete_sessions_by_user(user_id, keep).await
    }
    async fn delete_dead_sessions(&self, now: i64) -> lucia::Result<u64> {
        self.check()?;
        self.inner.delete_dead_sessions(now).await
    }
}

#[async_trait]
impl<A: Adapter<()>> Adapter<()> for FailingAdapter<A> {
    async fn get_session_and_user(
        &self,
        id: &SessionId,
    ) -> lucia::Result<Option<(SessionRecord, User<()>)>> {
        self.check()?;
        self.inner.get_session_and_user(id).await
    }
}
