//! Hostile clients against the example app over real HTTP, each test named for what once broke:
//! redirects that decode to another host, trimmed usernames, tokens in the request log, a
//! sign-up that left the presented session alive, cacheable account pages, and bad bodies that
//! got the extractor's text instead of the app's answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

const PASSWORD: &str = "correct-horse-battery";

struct App {
    base: String,
    client: reqwest::Client,
    _db: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

async fn start() -> App {
    captured_log();
    let db = tempfile::tempdir().unwrap();
    let running = common::serve(&common::sqlite_url(&db), &[]).await;
    App {
        base: running.base,
        client: common::client(),
        _db: db,
        _server: running.server,
    }
}

/// The session cookie value a response sets (`""` when it clears it).
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers.get_all(SET_COOKIE).iter().find_map(|value| {
        let rest = value.to_str().ok()?.strip_prefix("auth_session=")?;
        Some(rest.split(';').next().unwrap_or_default().to_owned())
    })
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()[LOCATION].to_str().unwrap()
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A same-origin form POST with a raw, already encoded body.
    async fn post_raw(&self, path: &str, cookie: Option<&str>, body: &str) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("origin", &self.base)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(token) = cookie {
            request = request.header("cookie", format!("auth_session={token}"));
        }
        request.send().await.unwrap()
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = cookie {
            request = request.header("cookie", format!("auth_session={token}"));
        }
        request.send().await.unwrap()
    }

    async fn signup(&self, username: &str) -> String {
        let body = format!("username={username}&password={PASSWORD}");
        let response = self.post_raw("/signup", None, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-up {username}"
        );
        session_cookie(response.headers()).unwrap()
    }

    async fn signed_in(&self, token: &str) -> bool {
        let response = self.get("/dashboard", Some(token)).await;
        match response.status() {
            StatusCode::OK => true,
            StatusCode::SEE_OTHER => false,
            other => panic!("dashboard answered {other}"),
        }
    }
}

#[tokio::test]
async fn next_that_decodes_to_another_host_is_not_followed() {
    let app = start().await;
    app.signup("alice").await;

    // Form-encoded once more here, so the app receives `/%2F%2Fevil.test` and so on: paths
    // that a proxy or framework decoding them again would turn into `//evil.test`.
    for next in [
        "/%252F%252Fevil.test",
        "/%252fevil.test",
        "%252F%252Fevil.test",
        "/%255Cevil.test",
        "/%2509/evil.test",
        "/%250d%250aSet-Cookie:%2520x=y",
    ] {
        let body = format!("username=alice&password={PASSWORD}&next={next}");
        let response = app.post_raw("/login", None, &body).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&response), "/dashboard", "{next}");

        let page = app.get(&format!("/login?next={next}"), None).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            !page.text().await.unwrap().contains("name=\"next\""),
            "{next}"
        );
    }

    let body = format!("username=alice&password={PASSWORD}&next=%2Fdashboard%3Fa%3D%252F");
    let response = app.post_raw("/login", None, &body).await;
    assert_eq!(location(&response), "/dashboard?a=%2F");
}

#[tokio::test]
async fn usernames_with_surrounding_whitespace_are_refused_not_trimmed() {
    let app = start().await;
    for username in ["+bob", "bob+", "%09bob", "bob%0A"] {
        let body = format!("username={username}&password={PASSWORD}");
        let response = app.post_raw("/signup", None, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{username}");
        assert!(session_cookie(response.headers()).is_none());
    }

    app.signup("bob").await;
    for username in ["+bob", "bob+", "%09BOB"] {
        let body = format!("username={username}&password={PASSWORD}");
        let response = app.post_raw("/login", None, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{username}");
        assert!(session_cookie(response.headers()).is_none());

        let response = app
            .client
            .post(app.url("/api/login"))
            .json(&json!({ "username": username.replace('+', " "), "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{username}");
    }
    // Case is canonical, so `BOB` is still bob.
    let body = format!("username=BOB&password={PASSWORD}");
    let response = app.post_raw("/login", None, &body).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn signup_invalidates_the_session_presented_with_it() {
    let app = start().await;
    let first = app.signup("carol").await;
    let body = format!("username=dave&password={PASSWORD}");
    let response = app.post_raw("/signup", Some(&first), &body).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let second = session_cookie(response.headers()).unwrap();
    assert_ne!(second, first);
    assert!(!app.signed_in(&first).await);
    assert!(app.signed_in(&second).await);
}

#[tokio::test]
async fn account_pages_are_not_stored_by_caches() {
    let app = start().await;
    let token = app.signup("erin").await;
    for path in ["/", "/dashboard"] {
        let response = app.get(path, Some(&token)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store", "{path}");
    }
    let wrong = "current_password=wrong-password&new_password=another-password";
    let response = app.post_raw("/password", Some(&token), wrong).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn api_login_answers_malformed_bodies_in_json_without_parser_detail() {
    let app = start().await;
    app.signup("frank").await;
    let cases: [(&str, &str, StatusCode); 4] = [
        (
            "application/json",
            r#"{"username":"frank"}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "application/json",
            r#"{"username":"frank","#,
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            r#"{"username":1,"password":2}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "text/plain",
            r#"{"username":"frank","password":"x"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (content_type, body, status) in cases {
        let response = app
            .client
            .post(app.url("/api/login"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer, json!({ "error": "invalid request" }), "{body}");
    }

    let huge = json!({ "username": "frank", "password": "p".repeat(64 * 1024) });
    let response = app
        .client
        .post(app.url("/api/login"))
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn repeated_form_fields_get_the_form_page_not_the_extractors_text() {
    let app = start().await;
    app.signup("grace").await;

    let body = format!("username=grace&username=mallory&password={PASSWORD}");
    let response = app.post_raw("/login", None, &body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(session_cookie(response.headers()).is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("Incorrect username or password."), "{page}");
    assert!(!page.contains("duplicate field"));

    let body = format!("username=heidi&password={PASSWORD}&password=other-password");
    let response = app.post_raw("/signup", None, &body).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(!response.text().await.unwrap().contains("duplicate field"));

    // A repeated `next` on the login page falls back to no `next`, never a 400.
    let page = app.get("/login?next=/ok&next=//evil.test", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(!page.text().await.unwrap().contains("name=\"next\""));

    // A cross-site POST is refused as such even when its body is malformed.
    let response = app
        .client
        .post(app.url("/login"))
        .header("origin", "http://evil.test")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("username=a&username=b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cross_site_logout_is_refused_and_keeps_the_session() {
    let app = start().await;
    let token = app.signup("judy").await;
    for origin in [
        "http://evil.test",
        "null",
        "http://127.0.0.1:1",
        &format!("{}.evil.test", app.base),
    ] {
        let response = app
            .client
            .post(app.url("/logout"))
            .header("origin", origin)
            .header("cookie", format!("auth_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin}");
        assert!(session_cookie(response.headers()).is_none(), "{origin}");
    }
    let response = app
        .client
        .post(app.url("/logout"))
        .header("cookie", format!("auth_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "no origin");
    assert!(app.signed_in(&token).await);

    let response = app.post_raw("/logout", Some(&token), "").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(session_cookie(response.headers()).as_deref(), Some(""));
    assert!(!app.signed_in(&token).await);
}

/// Collects formatted log lines in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Every event of every test in this binary, at trace level. The subscriber is global and
/// installed before any app starts, so no callsite is ever cached as uninteresting.
fn captured_log() -> &'static Captured {
    static LOG: OnceLock<Captured> = OnceLock::new();
    LOG.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        captured
    })
}

#[tokio::test]
async fn request_log_never_holds_a_password_or_a_token_from_the_query() {
    let app = start().await;
    let canary = "CANARY-PW-7f3a9c";
    let body = format!("username=ivan&password={canary}");
    let response = app.post_raw("/signup", None, &body).await;
    let cookie = session_cookie(response.headers()).unwrap();
    let response = app.post_raw("/login", Some(&cookie), &body).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = app
        .client
        .post(app.url("/api/login"))
        .json(&json!({ "username": "ivan", "password": canary }))
        .send()
        .await
        .unwrap();
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // A careless client puts the token in the URL; the app must not write it down.
    let response = app.get(&format!("/api/me?token={token}"), None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .client
        .get(app.url("/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.get(&format!("/login?next=/x?t={token}"), None).await;
    assert_eq!(response.status(), StatusCode::OK);

    let log = String::from_utf8_lossy(&captured_log().0.lock().unwrap()).into_owned();
    assert!(log.contains("/api/me"), "the request log is captured");
    for secret in [canary, token.as_str(), cookie.as_str()] {
        assert!(!log.contains(secret), "the log holds a secret");
    }
}
