//! A1 and LOG-01: with everything logged at TRACE, a login, a validation, a failed CSRF
//! check and a sign-out never log a password, a session token, a session id or a cookie
//! header.
#![allow(clippy::unwrap_used)]

mod request_common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use lucia::{MemoryAdapter, NewKey};
use request_common::*;

const CANARY_PASSWORD: &str = "CANARY-PW-1";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn login_validate_and_csrf_failure_never_log_secrets() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let auth = builder(MemoryAdapter::new()).build().unwrap();
    let key = NewKey::with_password("username", "user1", CANARY_PASSWORD);
    auth.create_user(Some(key), ()).await.unwrap();
    let base = serve(app(&auth)).await;

    let wrong = client()
        .post(format!("{base}/login"))
        .header("origin", &base)
        .form(&[("username", "user1"), ("password", "CANARY-PW-2")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let login = client()
        .post(format!("{base}/login"))
        .header("origin", &base)
        .form(&[("username", "user1"), ("password", CANARY_PASSWORD)])
        .send()
        .await
        .unwrap();
    let line = cookie_lines(&login, "auth_session").pop().unwrap();
    let token = cookie_value(&line).to_owned();
    let session_id = auth.validate_session(&token).await.unwrap().id;

    let me = client()
        .get(format!("{base}/me"))
        .header("cookie", format!("auth_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let forged = client()
        .post(format!("{base}/settings"))
        .header("origin", "https://attacker.example")
        .header("cookie", format!("auth_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let bearer = client()
        .get(format!("{base}/api/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 200);
    let logout = client()
        .post(format!("{base}/logout"))
        .header("origin", &base)
        .header("cookie", format!("auth_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("csrf check failed"),
        "the capture works: {logs}"
    );
    assert!(
        logs.contains("foreign origin"),
        "the reason is logged: {logs}"
    );
    for secret in [
        CANARY_PASSWORD,
        "CANARY-PW-2",
        token.as_str(),
        session_id.as_str(),
        "auth_session=",
    ] {
        assert!(!logs.contains(secret), "logs contain {secret:?}:\n{logs}");
    }
}
