//! The cases of `cases.md` (faults from public bug reports) that are phrased against the
//! example app's routes, over real HTTP on a temporary SQLite file. The app runs as in
//! production (`Secure` cookies) with its public origin set to `https://app.example.com`;
//! `/dashboard` stands for any protected page (unauthenticated: a redirect to `/login`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use lucia::{Auth, KeyId, NewKey, SessionToken};
use lucia_example::AppUser;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, DATE, HeaderMap, LOCATION, SET_COOKIE};

const APP_ORIGIN: &str = "https://app.example.com";
const ATTACKER_ORIGIN: &str = "https://attacker.example";
const PASSWORD: &str = "correct horse battery";
const LOGIN_FAILED: &str = "Incorrect username or password.";

struct App {
    base: String,
    auth: Auth<AppUser>,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// The app on an ephemeral port over a fresh SQLite file, in production mode.
async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let variables = [("LUCIA_ENV", "production"), ("LUCIA_ORIGIN", APP_ORIGIN)];
    let running = common::serve(&common::sqlite_url(&dir), &variables).await;
    App {
        base: running.base,
        auth: running.auth,
        client: common::client(),
        _dir: dir,
    }
}

/// The `auth_session` line of a response's `Set-Cookie` headers, with its value.
fn session_cookie(headers: &HeaderMap) -> Option<(String, String)> {
    let mut lines = headers.get_all(SET_COOKIE).iter().filter_map(|value| {
        let line = value.to_str().ok()?;
        let rest = line.strip_prefix("auth_session=")?;
        Some((rest.split(';').next()?.to_owned(), line.to_owned()))
    });
    let first = lines.next();
    assert!(lines.next().is_none(), "two session cookie lines");
    first
}

impl App {
    async fn create_user(&self, username: &str, password: Option<&str>) -> String {
        let key = match password {
            Some(password) => NewKey::with_password("username", username, password),
            None => NewKey::without_password("username", username),
        };
        let attributes = AppUser {
            username: username.to_owned(),
            created_at: self.auth.now(),
        };
        self.auth
            .create_user(Some(key), attributes)
            .await
            .unwrap()
            .id
    }

    fn post(&self, path: &str, cookie: Option<&str>) -> reqwest::RequestBuilder {
        let request = self.client.post(format!("{}{path}", self.base));
        match cookie {
            Some(token) => request.header("cookie", format!("auth_session={token}")),
            None => request,
        }
    }

    async fn login_with(
        &self,
        cookie: Option<&str>,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post("/login", cookie)
            .header("origin", APP_ORIGIN)
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    async fn login(&self, username: &str, password: &str) -> String {
        let response = self.login_with(None, username, password).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login {username}");
        session_cookie(response.headers()).unwrap().0
    }

    /// Whether `token` opens the protected dashboard; a login redirect means "401".
    async fn signed_in(&self, token: &str) -> bool {
        let response = self
            .client
            .get(format!("{}/dashboard", self.base))
            .header("cookie", format!("auth_session={token}"))
            .send()
            .await
            .unwrap();
        match response.status() {
            StatusCode::OK => true,
            StatusCode::SEE_OTHER => {
                let location = response.headers()[LOCATION].to_str().unwrap();
                assert!(location.starts_with("/login"), "{location}");
                false
            }
            other => panic!("dashboard answered {other}"),
        }
    }

    async fn still_serving(&self) {
        let home = self.client.get(&self.base).send().await.unwrap();
        assert_eq!(home.status(), StatusCode::OK);
    }
}

fn id_of(token: &str) -> lucia::SessionId {
    SessionToken::parse(token).unwrap().id()
}

// ---- case 1 ------------------------------------------------------------------------------

/// Case 1: a login that arrives with a pre-login cookie, (a) never issued or (b) a valid
/// session the attacker holds, sets a new token; the old one is refused afterwards, and an
/// id the server never issued never becomes valid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rotates_a_pre_login_session() {
    let app = start().await;
    app.create_user("user1", Some(PASSWORD)).await;
    let attacker = app.create_user("attacker", None).await;
    let planted = app.auth.create_session(&attacker).await.unwrap();
    let never_issued = "abcdefghijklmnopqrstuvwxyz234567abcdefgh".to_owned();
    let planted = planted.token().unwrap().expose().to_owned();

    for pre in [never_issued, planted] {
        let response = app.login_with(Some(&pre), "user1", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let (new, _) = session_cookie(response.headers()).unwrap();
        assert_eq!(new.len(), 40);
        assert_ne!(new, pre);
        assert!(
            !app.signed_in(&pre).await,
            "the pre-login token still works"
        );
        assert!(app.auth.get_session(&id_of(&pre)).await.is_err());
        assert!(app.signed_in(&new).await);
    }
}

// ---- case 3 ------------------------------------------------------------------------------

/// Case 3: logout clears the cookie with every attribute, deletes the row, and a replay of
/// the old cookie is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_deletes_the_session_row_and_clears_the_cookie() {
    let app = start().await;
    app.create_user("user1", Some(PASSWORD)).await;
    let token = app.login("user1", PASSWORD).await;

    let logout = app
        .post("/logout", Some(&token))
        .header("origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let (value, line) = session_cookie(logout.headers()).unwrap();
    assert_eq!(value, "", "{line}");
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
    let row = lucia::SessionAdapter::get_session(app.auth.adapter().as_ref(), &id_of(&token))
        .await
        .unwrap();
    assert_eq!(row, None, "the session row survived logout");
    assert!(!app.signed_in(&token).await);
}

// ---- case 4 ------------------------------------------------------------------------------

/// Case 4: a password change needs the right current password; then the other session is
/// refused, this browser gets a rotated token and its old one is refused too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_change_ends_every_session_and_rotates_this_one() {
    let app = start().await;
    app.create_user("user1", Some(PASSWORD)).await;
    let s_a = app.login("user1", PASSWORD).await;
    let s_b = app.login("user1", PASSWORD).await;
    let new_password = "a much stronger passphrase";
    let change = |fields: Vec<(&'static str, &'static str)>| {
        app.post("/password", Some(&s_a))
            .header("origin", APP_ORIGIN)
            .form(&fields)
            .send()
    };

    for refused in [
        vec![("new_password", new_password)],
        vec![("current_password", ""), ("new_password", new_password)],
        vec![
            ("current_password", "not the password"),
            ("new_password", new_password),
        ],
    ] {
        let response = change(refused.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{refused:?}");
        assert!(session_cookie(response.headers()).is_none());
        assert!(app.signed_in(&s_a).await && app.signed_in(&s_b).await);
    }
    app.login("user1", PASSWORD).await;

    let changed = change(vec![
        ("current_password", PASSWORD),
        ("new_password", new_password),
    ])
    .await
    .unwrap();
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    let (s_a2, line) = session_cookie(changed.headers()).unwrap();
    assert_eq!(s_a2.len(), 40, "{line}");
    assert_ne!(s_a2, s_a);
    assert!(!app.signed_in(&s_b).await, "the other session survived");
    assert!(
        !app.signed_in(&s_a).await,
        "the old token of this browser survived"
    );
    assert!(app.signed_in(&s_a2).await);
    let old = app.login_with(None, "user1", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::BAD_REQUEST);
    app.login("user1", new_password).await;
}

// ---- case 11 -----------------------------------------------------------------------------

/// Case 11: a password with a ligature, full-width letters and a combining accent, set at
/// sign-up, logs in from the case's exact percent-encoded UTF-8 body.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatibility_form_password_logs_in() {
    let app = start().await;
    let signup = app
        .post("/signup", None)
        .header("origin", APP_ORIGIN)
        .form(&[
            ("username", "user4"),
            ("password", "ﬁle-ＰＡＳＳ-e\u{301}-9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), StatusCode::SEE_OTHER);

    let login = app
        .post("/login", None)
        .header("origin", APP_ORIGIN)
        .header(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body("username=user4&password=%EF%AC%81le-%EF%BC%B0%EF%BC%A1%EF%BC%B3%EF%BC%B3-e%CC%81-9")
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let (token, _) = session_cookie(login.headers()).unwrap();
    assert!(app.signed_in(&token).await);
}

// ---- cases 10 and 12 -----------------------------------------------------------------------

/// Cases 12 and 10: an unknown user, a wrong password, a key without a password and an
/// empty password get the same status, headers and body (the echoed username aside), the
/// one generic message, and no cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_are_indistinguishable() {
    let app = start().await;
    // Same-length usernames, so even `Content-Length` must match.
    app.create_user("user001", Some(PASSWORD)).await;
    app.create_user("oauth01", None).await;

    let mut reference: Option<(StatusCode, HeaderMap, String)> = None;
    for _round in 0..2 {
        let nobody = format!("nob{}", &SessionToken::generate().unwrap().expose()[..4]);
        for (username, password) in [
            (nobody.as_str(), "x"),
            ("user001", "wrong"),
            ("oauth01", "x"),
            ("user001", ""),
        ] {
            let response = app.login_with(None, username, password).await;
            let status = response.status();
            let mut headers = response.headers().clone();
            headers.remove(DATE);
            let body = response.text().await.unwrap();
            assert!(body.contains(LOGIN_FAILED), "{username}: {body}");
            assert!(!headers.contains_key(SET_COOKIE), "{username}");
            let seen = (status, headers, body.replace(username, "<USERNAME>"));
            match &reference {
                None => reference = Some(seen),
                Some(first) => assert_eq!(&seen, first, "{username} / {password:?}"),
            }
        }
    }
    assert_eq!(reference.unwrap().0, StatusCode::BAD_REQUEST);
}

// ---- case 13 -----------------------------------------------------------------------------

/// Case 13: 50 concurrent logins with a 1 000 000-byte password (413, over the body limit)
/// and 50 with a 5 000-byte one (the generic failure) never get a 5xx, and the app keeps
/// serving other requests meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_passwords_are_refused_without_a_server_error() {
    let app = start().await;
    app.create_user("user1", Some(PASSWORD)).await;
    let huge = format!("username=user1&password={}", "a".repeat(1_000_000));
    assert_eq!(huge.len(), 1_000_024);
    let long = format!("username=user1&password={}", "a".repeat(5_000));

    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let over = raw_post(app.base.clone(), huge.clone());
        requests.spawn(async move { (1_000_024, over.await, String::new()) });
        let request = app
            .post("/login", None)
            .header("origin", APP_ORIGIN)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(long.clone());
        requests.spawn(async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            (5_024, status, response.text().await.unwrap())
        });
    }
    app.still_serving().await;
    for (length, status, body) in requests.join_all().await {
        if length > 16 * 1024 {
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{length} bytes");
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{length} bytes");
            assert!(body.contains(LOGIN_FAILED), "{body}");
        }
    }
    app.still_serving().await;
    app.login("user1", PASSWORD).await;
}

/// POSTs a login form `body` over a raw connection with `Expect: 100-continue`, sending the
/// body only if the server asks for it, and returns the final status. (A server that refuses
/// a body it never reads closes the connection; a client still writing then sees a broken
/// pipe instead of the answer, so the test must not depend on that race.)
async fn raw_post(base: String, body: String) -> StatusCode {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let address = base.strip_prefix("http://").unwrap().to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {address}\r\nOrigin: {APP_ORIGIN}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    loop {
        let status_line = lines.next_line().await.unwrap().unwrap();
        let code: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        if code != 100 {
            return StatusCode::from_u16(code).unwrap();
        }
        while !lines.next_line().await.unwrap().unwrap().is_empty() {}
        // The server read on: send the body and wait for the final answer.
        let _ = write.write_all(body.as_bytes()).await;
    }
}

// ---- case 14 -----------------------------------------------------------------------------

/// Case 14 (b): corrupt hashes written straight into the key row (a 60-byte bcrypt string
/// with a multi-byte character, `s2:zz`, a truncated PHC string, an empty string) make the
/// login fail with the generic message, never a panic or a 5xx, and the app keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_stored_hashes_fail_the_login_generically() {
    let app = start().await;
    app.create_user("user1", Some(PASSWORD)).await;
    let bcrypt = format!("$2b$10$é{}", "x".repeat(51));
    assert_eq!(bcrypt.len(), 60);
    let key = KeyId::new("username", "user1").unwrap();
    for corrupt in [bcrypt.as_str(), "s2:zz", "$argon2id$v=19$m=1", ""] {
        lucia::UserAdapter::update_key_password(app.auth.adapter().as_ref(), &key, Some(corrupt))
            .await
            .unwrap();
        let response = app.login_with(None, "user1", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{corrupt:?}");
        assert!(session_cookie(response.headers()).is_none());
        assert!(response.text().await.unwrap().contains(LOGIN_FAILED));
        app.still_serving().await;
    }
}

// ---- cases 19 and 21 -----------------------------------------------------------------------

/// Cases 19 (a)–(e) and 21: a cookie-authenticated POST to a protected route with no
/// `Origin`, `null`, a bare scheme, garbage, two `Origin` headers, or an attacker origin
/// backed by `X-Forwarded-Host`, is refused (never a 5xx) and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_posts_without_one_acceptable_origin_change_nothing() {
    let app = start().await;
    app.create_user("user1", Some(PASSWORD)).await;
    let s_a = app.login("user1", PASSWORD).await;
    let s_b = app.login("user1", PASSWORD).await;
    let forwarded = [
        ("origin", ATTACKER_ORIGIN),
        ("x-forwarded-host", "attacker.example"),
        ("x-forwarded-proto", "https"),
    ];
    let cases: [&[(&str, &str)]; 6] = [
        &[],
        &[("origin", "null")],
        &[("origin", "https://")],
        &[("origin", "%%%")],
        &[("origin", APP_ORIGIN), ("origin", ATTACKER_ORIGIN)],
        &forwarded,
    ];
    for headers in cases {
        let mut request = app.post("/sessions/revoke-others", Some(&s_a));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        assert!(
            matches!(
                status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::SEE_OTHER
            ) && !status.is_server_error(),
            "{headers:?}: {status}"
        );
        if status == StatusCode::SEE_OTHER {
            let location = response.headers()[LOCATION].to_str().unwrap();
            assert!(location.starts_with("/login"), "{headers:?}: {location}");
        }
        assert!(
            app.signed_in(&s_b).await,
            "{headers:?} revoked the other session"
        );
    }
    let same_origin = app
        .post("/sessions/revoke-others", Some(&s_a))
        .header("origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::SEE_OTHER);
    assert!(!app.signed_in(&s_b).await);
}

/// Case 19 (f): a bearer POST with no cookie and no `Origin` is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_posts_need_no_origin() {
    let app = start().await;
    let user_id = app.create_user("user1", Some(PASSWORD)).await;
    let session = app.auth.create_session(&user_id).await.unwrap();
    let token = session.token().unwrap().expose().to_owned();
    let response = app
        .post("/api/logout", None)
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(app.auth.get_session(&session.id).await.is_err());
}
