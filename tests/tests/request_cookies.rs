//! Request handling over real HTTP: the session cookie in and out, caching, renewal,
//! duplicate cookies, handler cookies and store failures.
#![allow(clippy::unwrap_used)]

mod request_common;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use lucia::clock::MockClock;
use lucia::testing::CountingAdapter;
use lucia::{Env, MemoryAdapter, SessionCookieOptions};
use request_common::*;
use time::Duration;

const COOKIE: &str = "auth_session";

/// A session past its active period (idle, so the next validation renews it).
async fn idle_session_app() -> (String, String, Arc<lucia::testing::Counts>, lucia::Auth<()>) {
    let clock = Arc::new(MockClock::starting_now());
    let adapter = CountingAdapter::new(MemoryAdapter::new());
    let counts = adapter.counts();
    let auth = builder(adapter).clock(Arc::clone(&clock)).build().unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    clock.advance(Duration::hours(25));
    counts.reset();
    (serve(app(&auth)).await, token, counts, auth)
}

#[tokio::test]
async fn login_sets_the_cookie_with_development_attributes() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    create_user1(&auth).await;
    let base = serve(app(&auth)).await;

    let response = client()
        .post(format!("{base}/login"))
        .header("origin", &base)
        .form(&[("username", "user1"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let lines = cookie_lines(&response, COOKIE);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=", "Expires="] {
        assert!(line.contains(attribute), "{line} lacks {attribute}");
    }
    assert!(!line.contains("Secure"), "{line}");
    assert!(!line.contains("Domain"), "{line}");
    assert_eq!(cookie_value(line).len(), 40);
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn login_sets_a_secure_host_prefixed_cookie_in_production() {
    let auth = builder(MemoryAdapter::new())
        .clock(Arc::new(MockClock::starting_now()))
        .env(Env::Production)
        .public_origin("https://app.example.com")
        .session_cookie(SessionCookieOptions {
            host_prefix: true,
            ..Default::default()
        })
        .build()
        .unwrap();
    create_user1(&auth).await;
    let base = serve(app(&auth)).await;

    let response = client()
        .post(format!("{base}/login"))
        .header("origin", "https://app.example.com")
        .form(&[("username", "user1"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let lines = cookie_lines(&response, "__Host-auth_session");
    assert_eq!(lines.len(), 1, "{:?}", set_cookies(&response));
    let line = &lines[0];
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=",
        "Expires=",
    ] {
        assert!(line.contains(attribute), "{line} lacks {attribute}");
    }
    assert!(!line.contains("Domain"), "{line}");
    // Idle expiry with the defaults: 24 h active + 14 days idle.
    assert!(line.contains("Max-Age=1296000"), "{line}");
}

/// Case 1: login never keeps the session id the request came with.
#[tokio::test]
async fn login_replaces_a_pre_login_session_and_the_old_id_stops_working() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    create_user1(&auth).await;
    let (_, attacker_token) = session_for_new_user(&auth).await;
    let never_issued = "abcdefghijklmnopqrstuvwxyz234567abcdefgh".to_owned();
    let base = serve(app(&auth)).await;

    for pre in [never_issued, attacker_token] {
        let response = client()
            .post(format!("{base}/login"))
            .header("origin", &base)
            .header("cookie", format!("{COOKIE}={pre}"))
            .form(&[("username", "user1"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let lines = cookie_lines(&response, COOKIE);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let new = cookie_value(&lines[0]);
        assert_eq!(new.len(), 40);
        assert_ne!(new, pre);

        let replay = client()
            .get(format!("{base}/me"))
            .header("cookie", format!("{COOKIE}={pre}"))
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 401);
    }
}

/// Case 3: logout deletes the session server-side and clears the cookie.
#[tokio::test]
async fn logout_deletes_the_session_and_clears_the_cookie() {
    let auth = builder(MemoryAdapter::new())
        .env(Env::Production)
        .public_origin("https://app.example.com")
        .build()
        .unwrap();
    let (session, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    let response = client()
        .post(format!("{base}/logout"))
        .header("origin", "https://app.example.com")
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let lines = cookie_lines(&response, COOKIE);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert!(line.starts_with("auth_session=;"), "{line}");
    for attribute in [
        "Max-Age=0",
        "Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        "Path=/",
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
    ] {
        assert!(line.contains(attribute), "{line} lacks {attribute}");
    }
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(matches!(
        auth.get_session(&session.id).await,
        Err(lucia::Error::InvalidSessionId)
    ));

    let replay = client()
        .get(format!("{base}/me"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
}

#[tokio::test]
async fn validate_and_validate_user_many_times_cost_one_adapter_call() {
    let adapter = CountingAdapter::new(MemoryAdapter::new());
    let counts = adapter.counts();
    let auth = builder(adapter).build().unwrap();
    let (session, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;
    counts.reset();

    let response = client()
        .get(format!("{base}/many"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("set-cookie"), None);
    assert_eq!(response.text().await.unwrap(), session.user_id);
    assert_eq!(counts.session_reads(), 1);
    assert_eq!(counts.total(), 1);
    assert_eq!(counts.renewals(), 0);
}

#[tokio::test]
async fn a_request_that_never_asks_costs_no_adapter_call() {
    let (base, token, counts, _auth) = idle_session_app().await;

    let response = client()
        .get(format!("{base}/plain"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(counts.total(), 0);
}

#[tokio::test]
async fn renewal_resets_the_cookie_exactly_once() {
    let (base, token, counts, _auth) = idle_session_app().await;

    let response = client()
        .get(format!("{base}/many"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let lines = cookie_lines(&response, COOKIE);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(cookie_value(&lines[0]), token, "renewal keeps the token");
    // Renewed at creation + 25 h: 24 h active plus 14 days idle from now.
    assert!(lines[0].contains("Max-Age=1296000"), "{}", lines[0]);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(counts.session_reads(), 1);
    assert_eq!(counts.renewals(), 1);

    let again = client()
        .get(format!("{base}/many"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert!(set_cookies(&again).is_empty());
    assert_eq!(counts.renewals(), 1);
}

#[tokio::test]
async fn unknown_dead_and_garbled_tokens_clear_the_cookie() {
    let clock = Arc::new(MockClock::starting_now());
    let auth = builder(MemoryAdapter::new())
        .clock(Arc::clone(&clock))
        .build()
        .unwrap();
    let (_, dead) = session_for_new_user(&auth).await;
    clock.advance(Duration::days(16));
    let base = serve(app(&auth)).await;

    for value in [
        dead.as_str(),
        "abcdefghijklmnopqrstuvwxyz234567abcdefgh",
        "%%%",
        "short",
        "\"abcdefghijklmnopqrstuvwxyz234567abcdefgh\"",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGH",
    ] {
        let response = client()
            .get(format!("{base}/me"))
            .header("cookie", format!("theme=dark; {COOKIE}={value}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{value}");
        let lines = cookie_lines(&response, COOKIE);
        assert_eq!(lines.len(), 1, "{value}: {lines:?}");
        assert!(lines[0].contains("Max-Age=0"), "{}", lines[0]);
    }

    let no_cookie = client().get(format!("{base}/me")).send().await.unwrap();
    assert_eq!(no_cookie.status(), 401);
    assert!(set_cookies(&no_cookie).is_empty());
}

/// Case 22: duplicate session cookies never resolve by order.
#[tokio::test]
async fn duplicate_session_cookies_resolve_regardless_of_order_and_header_split() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let (valid, valid_token) = session_for_new_user(&auth).await;
    let (stale, stale_token) = session_for_new_user(&auth).await;
    auth.invalidate_session(&stale.id).await.unwrap();
    let (_, other_token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    let variants: [&[String]; 3] = [
        &[format!("{COOKIE}={stale_token}; {COOKIE}={valid_token}")],
        &[format!("{COOKIE}={valid_token}; {COOKIE}={stale_token}")],
        &[
            format!("{COOKIE}={stale_token}"),
            format!("{COOKIE}={valid_token}"),
        ],
    ];
    for headers in variants {
        let mut request = client().get(format!("{base}/me"));
        for header in headers {
            request = request.header("cookie", header);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{headers:?}");
        assert!(cookie_lines(&response, COOKIE).is_empty());
        assert_eq!(response.text().await.unwrap(), valid.user_id);
    }

    for header in [
        format!("{COOKIE}={other_token}; {COOKIE}={valid_token}"),
        format!("{COOKIE}={valid_token}; {COOKIE}={other_token}"),
    ] {
        let response = client()
            .get(format!("{base}/me"))
            .header("cookie", header)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        let lines = cookie_lines(&response, COOKIE);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].contains("Max-Age=0"));
    }
}

#[tokio::test]
async fn lookalike_cookie_names_are_other_cookies() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    for name in [
        "Auth_Session",
        "AUTH_SESSION",
        "__Host-auth_session",
        "auth_session2",
    ] {
        let response = client()
            .get(format!("{base}/me"))
            .header("cookie", format!("{name}={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{name}");
        assert!(set_cookies(&response).is_empty(), "{name}");
    }
}

/// Case 24 and A4: the handler's cookie and the renewed session cookie are separate lines.
#[tokio::test]
async fn a_handler_cookie_survives_next_to_the_renewed_session_cookie() {
    let (base, token, _counts, _auth) = idle_session_app().await;

    let response = client()
        .get(format!("{base}/theme"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    let lines = set_cookies(&response);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.contains(&"theme=dark; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/".to_owned())
    );
    let session_line = lines
        .iter()
        .find(|line| line.starts_with("auth_session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=", "Expires="] {
        assert!(session_line.contains(attribute), "{session_line}");
    }
    for line in &lines {
        assert!(line.contains("GMT"), "{line}");
        assert!(!line.trim_start().starts_with(char::is_numeric), "{line}");
    }
}

#[tokio::test]
async fn cookies_are_applied_to_error_responses_from_the_handler() {
    let (base, token, counts, _auth) = idle_session_app().await;

    let response = client()
        .get(format!("{base}/broken"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 500);
    assert_eq!(cookie_lines(&response, COOKIE).len(), 1);
    assert_eq!(counts.renewals(), 1);
}

#[tokio::test]
async fn a_failing_store_is_a_server_error_and_keeps_the_cookie() {
    let (adapter, failing) = FailingAdapter::new(MemoryAdapter::new());
    let auth = builder(adapter).build().unwrap();
    let (session, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;
    failing.store(true, Ordering::SeqCst);

    for path in ["/me", "/many", "/optional"] {
        let response = client()
            .get(format!("{base}{path}"))
            .header("cookie", format!("{COOKIE}={token}"))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_server_error(),
            "{path}: {}",
            response.status()
        );
        assert!(set_cookies(&response).is_empty(), "{path}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("connection refused"), "{body}");
    }
    let logout = client()
        .post(format!("{base}/logout"))
        .header("origin", &base)
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 500);
    assert!(set_cookies(&logout).is_empty());

    failing.store(false, Ordering::SeqCst);
    let recovered = client()
        .get(format!("{base}/me"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(recovered.status(), 200);
    assert_eq!(recovered.text().await.unwrap(), session.user_id);
}

#[tokio::test]
async fn optional_session_is_none_for_anonymous_requests() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let base = serve(app(&auth)).await;
    let response = client()
        .get(format!("{base}/optional"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "anonymous");
}

/// Collects what a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// The current-thread runtime polls the server task on this thread, so the thread's default
// subscriber sees the server's log lines and no other test's.
#[tokio::test(flavor = "current_thread")]
async fn an_extractor_without_the_layer_says_what_to_add() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let router = axum::Router::new().route(
        "/me",
        axum::routing::get(|session: lucia::Session| async move { session.user_id }),
    );
    let base = serve(router).await;
    let response = client().get(format!("{base}/me")).send().await.unwrap();
    assert_eq!(response.status(), 500);
    let fix = "add `.layer(lucia::AuthLayer::new(auth.clone()))` to your router";
    let body = response.text().await.unwrap();
    assert!(body.contains(fix), "{body}");

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|line| line.contains("lucia::axum"))
        .unwrap_or_else(|| panic!("no log line from `lucia::axum`: {logs}"));
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains(fix), "{line}");
}

#[tokio::test]
async fn the_typed_and_the_erased_handle_share_one_lookup() {
    let adapter = CountingAdapter::new(MemoryAdapter::new());
    let counts = adapter.counts();
    let auth = builder(adapter).build().unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;
    counts.reset();

    let response = client()
        .get(format!("{base}/shared"))
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "true");
    assert_eq!(counts.session_reads(), 1);
}

/// A store failure is not cached: the next call in the same request asks the store again.
#[tokio::test]
async fn store_errors_are_not_cached_within_a_request() {
    let (adapter, failing) = FailingAdapter::new(MemoryAdapter::new());
    let auth = builder(adapter).build().unwrap();
    let (session, token) = session_for_new_user(&auth).await;
    let mut context = lucia::RequestContext::default();
    context
        .headers
        .insert("cookie", format!("{COOKIE}={token}").parse().unwrap());
    let request = auth.handle_request(context);

    failing.store(true, Ordering::SeqCst);
    let error = request.validate_user().await.unwrap_err();
    assert!(error.is_infrastructure());
    assert!(request.take_cookies().is_empty());

    failing.store(false, Ordering::SeqCst);
    let found = request.validate().await.unwrap().unwrap();
    assert_eq!(found.id, session.id);
    assert!(request.take_cookies().is_empty());
}
