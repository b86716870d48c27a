//! The CSRF origin check over real HTTP: which origins pass, which fail, and that a failure
//! makes cookie authentication anonymous without touching the session or the cookie.
#![allow(clippy::unwrap_used)]

mod request_common;

use std::sync::Arc;

use lucia::clock::MockClock;
use lucia::testing::CountingAdapter;
use lucia::{Env, MemoryAdapter};
use request_common::*;
use time::Duration;

const COOKIE: &str = "auth_session";

/// Posts to the cookie-protected `/settings` with the given extra headers.
async fn post_settings(base: &str, token: &str, headers: &[(&str, String)]) -> reqwest::Response {
    let mut request = client()
        .post(format!("{base}/settings"))
        .header("cookie", format!("{COOKIE}={token}"));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn same_origin_and_configured_origins_pass() {
    let auth = builder(MemoryAdapter::new())
        .allowed_origins(["https://admin.example.com"])
        .build()
        .unwrap();
    let (session, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    for origin in [base.clone(), "https://admin.example.com".to_owned()] {
        let response = post_settings(&base, &token, &[("origin", origin.clone())]).await;
        assert_eq!(response.status(), 200, "{origin}");
        assert_eq!(response.text().await.unwrap(), session.user_id);
    }
}

/// Case 19 (a)–(e) and A8 in development, where the public origin comes from `Host`.
#[tokio::test]
async fn cross_origin_missing_null_garbage_and_repeated_origins_are_refused() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let wrong_port = format!("http://127.0.0.1:{}", port.wrapping_add(1));
    let wrong_scheme = base.replace("http://", "https://");

    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("origin", "null".into())],
        vec![("origin", "https://".into())],
        vec![("origin", "%%%".into())],
        vec![("origin", "https://attacker.example".into())],
        vec![("origin", wrong_port)],
        vec![("origin", wrong_scheme)],
        vec![("origin", format!("{base}.evil.test"))],
        vec![("origin", format!("{base}/"))],
        vec![
            ("origin", base.clone()),
            ("origin", "https://attacker.example".into()),
        ],
        vec![
            ("origin", "https://attacker.example".into()),
            ("origin", base.clone()),
        ],
        vec![("referer", format!("{base}/settings"))],
    ];
    for headers in cases {
        let response = post_settings(&base, &token, &headers).await;
        assert_eq!(response.status(), 403, "{headers:?}");
        assert!(set_cookies(&response).is_empty(), "{headers:?}");
        assert_eq!(response.text().await.unwrap(), "{\"error\":\"forbidden\"}");
    }
}

/// A8 and CSRF-04 with a configured public origin: look-alikes, other ports and other
/// schemes fail.
#[tokio::test]
async fn configured_public_origin_matches_exactly() {
    let auth = builder(MemoryAdapter::new())
        .env(Env::Production)
        .public_origin("https://app.example.com")
        .build()
        .unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    for origin in ["https://app.example.com", "https://APP.example.com:443"] {
        let response = post_settings(&base, &token, &[("origin", origin.into())]).await;
        assert_eq!(response.status(), 200, "{origin}");
    }
    for origin in [
        "https://app.example.com.evil.test",
        "https://app.example.com:8443",
        "http://app.example.com",
        "https://evilapp.example.com",
        "https://example.com",
        &base,
    ] {
        let response = post_settings(&base, &token, &[("origin", origin.into())]).await;
        assert_eq!(response.status(), 403, "{origin}");
    }
}

/// Case 21: forwarded headers never choose the expected origin unless trusted.
#[tokio::test]
async fn forwarded_host_is_not_trusted_by_default_or_next_to_a_configured_origin() {
    let attack = |host: &str| {
        vec![
            ("host", host.to_owned()),
            ("x-forwarded-host", "attacker.example".to_owned()),
            ("x-forwarded-proto", "https".to_owned()),
            ("origin", "https://attacker.example".to_owned()),
        ]
    };

    let default = builder(MemoryAdapter::new())
        .env(Env::Production)
        .build()
        .unwrap();
    let (_, token) = session_for_new_user(&default).await;
    let base = serve(app(&default)).await;
    let response = post_settings(&base, &token, &attack("app.example.com")).await;
    assert_eq!(response.status(), 403);

    let configured = builder(MemoryAdapter::new())
        .env(Env::Production)
        .public_origin("https://app.example.com")
        .trust_forwarded_host_header("x-forwarded-host")
        .trusted_proxies([std::net::Ipv4Addr::LOCALHOST.into()])
        .build()
        .unwrap();
    let (_, token) = session_for_new_user(&configured).await;
    let base = serve(app(&configured)).await;
    let response = post_settings(&base, &token, &attack("app.example.com")).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_trusted_forwarded_host_serves_a_proxied_app() {
    let auth = builder(MemoryAdapter::new())
        .env(Env::Production)
        .trust_forwarded_host_header("x-forwarded-host")
        .trusted_proxies([std::net::Ipv4Addr::LOCALHOST.into()])
        .build()
        .unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let base = serve_with_peers(app(&auth)).await;
    let proxied = [
        ("x-forwarded-host", "app.example.com".to_owned()),
        ("origin", "https://app.example.com".to_owned()),
    ];
    assert_eq!(post_settings(&base, &token, &proxied).await.status(), 200);
}

#[tokio::test]
async fn a_failed_check_reads_no_session_renews_nothing_and_writes_no_cookie() {
    let clock = Arc::new(MockClock::starting_now());
    let adapter = CountingAdapter::new(MemoryAdapter::new());
    let counts = adapter.counts();
    let auth = builder(adapter).clock(Arc::clone(&clock)).build().unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    clock.advance(Duration::hours(25));
    let base = serve(app(&auth)).await;
    counts.reset();

    let forged = post_settings(
        &base,
        &token,
        &[("origin", "https://attacker.example".into())],
    )
    .await;
    assert_eq!(forged.status(), 403);
    assert!(set_cookies(&forged).is_empty());

    let logout = client()
        .post(format!("{base}/logout"))
        .header("origin", "https://attacker.example")
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    assert!(set_cookies(&logout).is_empty());
    assert_eq!(counts.total(), 0, "no session read, renewal or delete");
}

#[tokio::test]
async fn safe_methods_pass_from_any_origin() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;
    let response = client()
        .get(format!("{base}/optional"))
        .header("origin", "https://attacker.example")
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "signed in");

    let post = client()
        .post(format!("{base}/optional"))
        .header("origin", "https://attacker.example")
        .header("cookie", format!("{COOKIE}={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.text().await.unwrap(), "anonymous");
}

#[tokio::test]
async fn sec_fetch_site_same_origin_stands_in_for_origin_only_when_enabled() {
    let off = builder(MemoryAdapter::new()).build().unwrap();
    let (_, token) = session_for_new_user(&off).await;
    let base = serve(app(&off)).await;
    let same = [("sec-fetch-site", "same-origin".to_owned())];
    assert_eq!(post_settings(&base, &token, &same).await.status(), 403);

    let on = builder(MemoryAdapter::new())
        .allow_sec_fetch_site(true)
        .build()
        .unwrap();
    let (_, token) = session_for_new_user(&on).await;
    let base = serve(app(&on)).await;
    assert_eq!(post_settings(&base, &token, &same).await.status(), 200);
    for value in ["cross-site", "same-site", "none"] {
        let headers = [("sec-fetch-site", value.to_owned())];
        assert_eq!(
            post_settings(&base, &token, &headers).await.status(),
            403,
            "{value}"
        );
    }
}

#[tokio::test]
async fn disabled_protection_lets_cookie_posts_through() {
    let auth = builder(MemoryAdapter::new())
        .csrf_protection(false)
        .build()
        .unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;
    assert_eq!(post_settings(&base, &token, &[]).await.status(), 200);
}

/// CSRF-12: a cross-site login form cannot sign the browser in.
#[tokio::test]
async fn a_cross_site_login_sets_no_cookie() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    create_user1(&auth).await;
    let base = serve(app(&auth)).await;
    for origin in [Some("https://attacker.example"), None] {
        let mut request = client().post(format!("{base}/login"));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request
            .form(&[("username", "user1"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{origin:?}");
        assert!(set_cookies(&response).is_empty());
    }
}
