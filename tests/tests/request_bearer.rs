//! Bearer tokens over real HTTP: strict header parsing, no CSRF, no cookies, renewal, and a
//! cache kept apart from the cookie session.
#![allow(clippy::unwrap_used)]

mod request_common;

use std::sync::Arc;

use lucia::MemoryAdapter;
use lucia::clock::MockClock;
use lucia::testing::CountingAdapter;
use request_common::*;
use time::Duration;

#[tokio::test]
async fn bearer_works_without_cookies_and_sets_none() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let (session, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    let response = client()
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(response.text().await.unwrap(), session.user_id);
}

/// Case 19 (f): the bearer path is not subject to the CSRF check.
#[tokio::test]
async fn bearer_posts_need_no_origin() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let (session, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    for origin in [None, Some("https://attacker.example"), Some("null")] {
        let mut request = client()
            .post(format!("{base}/api/items"))
            .bearer_auth(&token);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{origin:?}");
        assert_eq!(response.text().await.unwrap(), session.user_id);
    }
}

/// A7 and BT-01: scheme in any case, exactly one token, one space, one header.
#[tokio::test]
async fn the_authorization_header_is_parsed_strictly() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let (_, token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    for value in [format!("bearer {token}"), format!("BEARER {token}")] {
        let response = client()
            .get(format!("{base}/api/me"))
            .header("authorization", &value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    let refused: Vec<Vec<String>> = vec![
        vec![format!("Bearer {token} extra")],
        vec!["Bearer".into()],
        vec![format!("Bearer  {token}")],
        vec![format!("Bearer {token},{token}")],
        vec![format!("Basic {token}")],
        vec![format!("Bearer {token}"), format!("Bearer {token}")],
        vec![format!("Bearer {}", token.to_uppercase())],
        vec!["Bearer abcdefghijklmnopqrstuvwxyz234567abcdefgh".into()],
    ];
    for values in refused {
        let mut request = client().get(format!("{base}/api/me"));
        for value in &values {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{values:?}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\"",
            "{values:?}"
        );
        assert!(set_cookies(&response).is_empty());
    }

    let missing = client().get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
}

/// BT-03: an idle bearer session is renewed in place, and the token keeps working.
#[tokio::test]
async fn an_idle_bearer_session_is_renewed_without_cookies() {
    let clock = Arc::new(MockClock::starting_now());
    let adapter = CountingAdapter::new(MemoryAdapter::new());
    let counts = adapter.counts();
    let auth = builder(adapter).clock(Arc::clone(&clock)).build().unwrap();
    let (session, token) = session_for_new_user(&auth).await;
    clock.advance(Duration::hours(25));
    let base = serve(app(&auth)).await;
    counts.reset();

    let response = client()
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());
    assert_eq!(counts.renewals(), 1);
    let renewed = auth.get_session(&session.id).await.unwrap();
    assert!(renewed.idle_expires > session.idle_expires);
}

/// A2 and BT-04: cookie and bearer results are cached apart and never mixed.
#[tokio::test]
async fn bearer_and_cookie_sessions_do_not_mix() {
    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let (bearer_session, bearer_token) = session_for_new_user(&auth).await;
    let (cookie_session, cookie_token) = session_for_new_user(&auth).await;
    let base = serve(app(&auth)).await;

    let bearer_only = client()
        .post(format!("{base}/mixed"))
        .bearer_auth(&bearer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        bearer_only.text().await.unwrap(),
        format!("cookie= bearer={}", bearer_session.user_id)
    );

    let both = client()
        .post(format!("{base}/mixed"))
        .header("origin", &base)
        .header("cookie", format!("auth_session={cookie_token}"))
        .bearer_auth(&bearer_token)
        .send()
        .await
        .unwrap();
    assert!(set_cookies(&both).is_empty());
    assert_eq!(
        both.text().await.unwrap(),
        format!(
            "cookie={} bearer={}",
            cookie_session.user_id, bearer_session.user_id
        )
    );

    let forged = client()
        .post(format!("{base}/mixed"))
        .header("origin", "https://attacker.example")
        .header("cookie", format!("auth_session={cookie_token}"))
        .bearer_auth(&bearer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        forged.text().await.unwrap(),
        format!("cookie= bearer={}", bearer_session.user_id)
    );
}
