//! The app's pages and API endpoints.

use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{Form, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use lucia::request::AuthRequest;
use lucia::{Error, NewKey, Session, User};
use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;

use crate::{AppUser, auth, pages};

/// The one message for every login failure, so it never tells which part was wrong.
const LOGIN_FAILED: &str = "Incorrect username or password.";

/// The provider id of the app's only key kind.
const USERNAME_PROVIDER: &str = "username";

/// Username and password from the sign-up and login forms. Missing fields are empty, so bad
/// input gets our 400 page rather than the extractor's 422.
#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `?next=` on the login page.
#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The password-change form.
#[derive(Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// `GET /`: who is signed in.
pub async fn home(auth_request: AuthRequest<AppUser>) -> Result<Response, AppError> {
    let user = auth_request.validate_user().await?;
    let username = user.as_ref().map(|(_, user)| user.username.as_str());
    Ok(Html(pages::home(username)).into_response())
}

/// `GET /signup`.
pub async fn signup_page() -> Html<String> {
    Html(pages::signup(None, ""))
}

/// `POST /signup`: a user with a `username` key, a session, and the cookie.
pub async fn signup(
    auth_request: AuthRequest<AppUser>,
    form: Result<Form<Credentials>, FormRejection>,
) -> Result<Response, AppError> {
    if auth_request.csrf_failure().is_some() {
        return Ok(forbidden());
    }
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            let page = || pages::signup(Some("The form could not be read."), "");
            return Ok(refused_form(rejection, page));
        }
    };
    let auth = auth_request.auth();
    let Some(username) = normalize_username(&form.username) else {
        let message = "Usernames are 3 to 31 characters: letters a-z, digits, `_` and `-`.";
        return Ok(bad_request(pages::signup(Some(message), &form.username)));
    };
    let key = NewKey::with_password(USERNAME_PROVIDER, username.clone(), form.password);
    let attributes = AppUser {
        username: username.clone(),
        created_at: auth.now(),
    };
    let user = match auth.create_user(Some(key), attributes).await {
        Ok(user) => user,
        Err(Error::DuplicateKeyId) => {
            return Ok(bad_request(pages::signup(
                Some("That username is taken."),
                &username,
            )));
        }
        Err(Error::PasswordPolicy(rule)) => {
            let message = format!("Password rejected: {rule}.");
            return Ok(bad_request(pages::signup(Some(&message), &username)));
        }
        Err(err) => return Err(err.into()),
    };
    tracing::info!(user_id = %user.id, "signed up");
    // As at login: a session that came with the request does not outlive the sign-up.
    if let Some(previous) = auth_request.validate().await? {
        auth.invalidate_session(&previous.id).await?;
    }
    let session = auth.create_session(&user.id).await?;
    auth_request.set_session(Some(session));
    Ok(Redirect::to("/dashboard").into_response())
}

/// `GET /login`.
/// A query that does not parse (a repeated `next`) just loses its `next`.
pub async fn login_page(query: Result<Query<NextQuery>, QueryRejection>) -> Html<String> {
    let next = query.ok().and_then(|Query(query)| query.next);
    let next = next.as_deref().filter(|next| safe_next(next).is_some());
    Html(pages::login(None, "", next))
}

/// `POST /login`: a new session (any presented one is invalidated), then `next` or the
/// dashboard.
pub async fn login(
    auth_request: AuthRequest<AppUser>,
    form: Result<Form<Credentials>, FormRejection>,
) -> Result<Response, AppError> {
    if auth_request.csrf_failure().is_some() {
        return Ok(forbidden());
    }
    let form = match form {
        Ok(Form(form)) => form,
        Err(rejection) => {
            return Ok(refused_form(rejection, || {
                pages::login(Some(LOGIN_FAILED), "", None)
            }));
        }
    };
    let auth = auth_request.auth();
    let next = form.next.as_deref().and_then(safe_next);
    // Lowercased like at sign-up, never trimmed: ` alice` is not `alice`.
    let username = form.username.to_lowercase();
    let key = match auth
        .use_key(USERNAME_PROVIDER, &username, Some(&form.password))
        .await
    {
        Ok(key) => key,
        Err(err) if err.is_infrastructure() => return Err(err.into()),
        Err(_) => {
            tracing::info!(reason = "bad credentials", "login failed");
            return Ok(bad_request(pages::login(
                Some(LOGIN_FAILED),
                &form.username,
                next,
            )));
        }
    };
    // Session fixation: whatever session came with the request does not survive a login.
    if let Some(previous) = auth_request.validate().await? {
        auth.invalidate_session(&previous.id).await?;
    }
    let session = auth.create_session(&key.user_id).await?;
    tracing::info!(user_id = %key.user_id, "logged in");
    auth_request.set_session(Some(session));
    Ok(Redirect::to(next.unwrap_or("/dashboard")).into_response())
}

/// `POST /logout`: the session is invalidated and the cookie cleared. A cross-site POST is
/// refused like every other, not answered as if it had signed the user out.
pub async fn logout(auth_request: AuthRequest<AppUser>) -> Result<Response, AppError> {
    if auth_request.csrf_failure().is_some() {
        return Ok(forbidden());
    }
    auth_request.invalidate().await?;
    Ok(Redirect::to("/login").into_response())
}

/// `GET /dashboard`: the user, their sessions, account actions.
#[auth::protected(redirect = "/login")]
pub async fn dashboard(
    auth_request: AuthRequest<AppUser>,
    session: Session,
    user: User<AppUser>,
) -> Result<Response, AppError> {
    let sessions = auth_request.auth().get_all_user_sessions(&user.id).await?;
    let page = pages::dashboard(&user.username, &user.id, &session, &sessions, None);
    Ok(Html(page).into_response())
}

/// `POST /sessions/revoke-others`: every other session of the user is invalidated.
#[auth::protected]
pub async fn revoke_other_sessions(
    auth_request: AuthRequest<AppUser>,
    session: Session,
) -> Result<Response, AppError> {
    auth_request
        .auth()
        .invalidate_other_user_sessions(&session.user_id, &session.id)
        .await?;
    Ok(Redirect::to("/dashboard").into_response())
}

/// `POST /password`: needs the current password; every session is invalidated and this
/// browser gets a new one.
#[auth::protected]
pub async fn change_password(
    auth_request: AuthRequest<AppUser>,
    session: Session,
    user: User<AppUser>,
    Form(form): Form<PasswordChange>,
) -> Result<Response, AppError> {
    let auth = auth_request.auth();
    let render = |message: &str, sessions: &[Session]| {
        bad_request(pages::dashboard(
            &user.username,
            &user.id,
            &session,
            sessions,
            Some(message),
        ))
    };
    match auth
        .use_key(
            USERNAME_PROVIDER,
            &user.username,
            Some(&form.current_password),
        )
        .await
    {
        Ok(_) => {}
        Err(err) if err.is_infrastructure() => return Err(err.into()),
        Err(_) => {
            let sessions = auth.get_all_user_sessions(&user.id).await?;
            return Ok(render("The current password is not correct.", &sessions));
        }
    }
    match auth
        .update_key_password(USERNAME_PROVIDER, &user.username, Some(&form.new_password))
        .await
    {
        Ok(_) => {}
        Err(Error::PasswordPolicy(rule)) => {
            let sessions = auth.get_all_user_sessions(&user.id).await?;
            return Ok(render(&format!("Password rejected: {rule}."), &sessions));
        }
        Err(err) => return Err(err.into()),
    }
    auth.invalidate_all_user_sessions(&user.id).await?;
    let fresh = auth.create_session(&user.id).await?;
    auth_request.set_session(Some(fresh));
    tracing::info!(user_id = %user.id, "password changed, all other sessions invalidated");
    Ok(Redirect::to("/dashboard").into_response())
}

/// API login body.
#[derive(Deserialize)]
pub struct ApiCredentials {
    username: String,
    password: String,
}

/// `POST /api/login`: a bearer token for API clients.
pub async fn api_login(
    auth_request: AuthRequest<AppUser>,
    body: Result<Json<ApiCredentials>, JsonRejection>,
) -> Result<Response, AppError> {
    // A JSON API answers in JSON: the extractor's status, none of its parser detail.
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => {
            let error = Json(json!({ "error": "invalid request" }));
            return Ok((rejection.status(), error).into_response());
        }
    };
    let auth = auth_request.auth();
    let username = body.username.to_lowercase();
    let key = match auth
        .use_key(USERNAME_PROVIDER, &username, Some(&body.password))
        .await
    {
        Ok(key) => key,
        Err(err) if err.is_infrastructure() => return Err(err.into()),
        Err(_) => return Ok(api_unauthorized()),
    };
    let session = auth.create_session(&key.user_id).await?;
    let token = session
        .token()
        .map(|token| token.expose().to_owned())
        .unwrap_or_default();
    let expires_at = session.idle_expires.format(&Rfc3339).unwrap_or_default();
    let mut response = Json(json!({ "token": token, "expires_at": expires_at })).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /api/me`: who the bearer token belongs to.
#[auth::protected(bearer)]
pub async fn api_me(user: User<AppUser>) -> Json<serde_json::Value> {
    Json(json!({ "user_id": user.id, "username": user.username }))
}

/// `POST /api/logout`: invalidates the bearer token's session.
#[auth::protected(bearer)]
pub async fn api_logout(
    auth_request: AuthRequest<AppUser>,
    session: Session,
) -> Result<StatusCode, AppError> {
    auth_request.auth().invalidate_session(&session.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lowercases a username and checks it: 3 to 31 characters of `a-z 0-9 _ -`. Surrounding
/// whitespace is refused, not trimmed away, so what is stored is exactly what was checked.
pub fn normalize_username(raw: &str) -> Option<String> {
    let username = raw.to_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    let valid = (3..=31).contains(&username.len()) && username.chars().all(allowed);
    valid.then_some(username)
}

/// `next` when it is a safe local path: one leading `/`, no `//` or `/\` (another host),
/// no backslash, no control or non-ASCII characters, and all of that still true once
/// percent-decoded (`/%2F%2Fevil`, `/%5Cevil`, `/%09/evil`), so that nothing which decodes
/// it again can be sent off-site (an encoded space is allowed in the query only). Anything
/// else falls back to the default.
pub fn safe_next(next: &str) -> Option<&str> {
    let ascii_clean = next
        .bytes()
        .all(|byte| byte.is_ascii_graphic() && byte != b'\\');
    let decoded = percent_decode(next)?;
    let local = next.starts_with('/') && decoded.starts_with('/') && !decoded.starts_with("//");
    // Spaces are fine in a query (`/search?q=a%20b`), never in the path, where browsers
    // would drop them and perhaps join two slashes into another host.
    let path = decoded.split(['?', '#']).next().unwrap_or_default();
    let decoded_clean = !decoded.chars().any(|c| c == '\\' || c.is_control())
        && !path.chars().any(char::is_whitespace);
    (ascii_clean && local && decoded_clean && next.len() <= 2048).then_some(next)
}

/// Decodes `%XX` escapes once; `None` when the result is not UTF-8. A `%` without two hex
/// digits stays as it is.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        let escaped = bytes
            .get(at + 1..at + 3)
            .filter(|_| byte == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(value) => {
                decoded.push(value);
                at += 3;
            }
            None => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8(decoded).ok()
}

fn bad_request(page: String) -> Response {
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

/// A form body the extractor refused. One that does not deserialize (a repeated field) is bad
/// input like any other and gets `page` with `400`; a body too large (`413`) or of another
/// content type (`415`) keeps the extractor's answer.
fn refused_form(rejection: FormRejection, page: impl FnOnce() -> String) -> Response {
    match rejection {
        FormRejection::FailedToDeserializeForm(_)
        | FormRejection::FailedToDeserializeFormBody(_) => bad_request(page()),
        other => other.into_response(),
    }
}

fn forbidden() -> Response {
    (StatusCode::FORBIDDEN, "cross-site request refused").into_response()
}

fn api_unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "invalid credentials" })),
    )
        .into_response()
}

/// A server fault: logged with its source, answered with a generic 500.
#[derive(Debug)]
pub struct AppError(Error);

impl From<Error> for AppError {
    fn from(err: Error) -> Self {
        Self(err)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(error = ?self.0, "request failed");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(normalize_username("Alice_1").as_deref(), Some("alice_1"));
        for bad in [
            "ab",
            "a b c",
            "ünïcode",
            &"a".repeat(32),
            "semi;colon",
            "",
            " alice",
            "alice\t",
        ] {
            assert_eq!(normalize_username(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_local_paths_are_followed() {
        for good in [
            "/dashboard",
            "/a/b?c=d&e=%2F",
            "/",
            "/%C3%BC",
            "/100%",
            "/search?q=a%20b",
        ] {
            assert_eq!(safe_next(good), Some(good));
        }
        for bad in [
            "//evil.test",
            "/\\evil.test",
            "https://evil.test",
            "javascript:alert(1)",
            "dashboard",
            "/a\\b",
            "/a\r\nSet-Cookie: x=y",
            "/ümlaut",
            "",
            "/%2F%2Fevil.test",
            "/%2fevil.test",
            "%2F%2Fevil.test",
            "/%5Cevil.test",
            "/%09/evil.test",
            "/%0d%0aSet-Cookie:x=y",
            "/%FF",
            "/%20/evil.test",
            "/search?q=%0d%0a",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
