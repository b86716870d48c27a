//! Request handling: who is behind a request, with one database round trip per request.
//!
//! [`Auth::handle_request`] turns a [`RequestContext`] (method, URI, headers) into an
//! [`AuthRequest`]. Building it costs no database call: it runs the CSRF check, reads the
//! session cookie candidates and the bearer header, and nothing else. The first call to
//! [`AuthRequest::validate`] or [`AuthRequest::validate_user`] does one combined
//! session-and-user lookup (plus one renewal write when the session is idle); every later
//! call, sequential or concurrent, answers from memory.
//!
//! Cookie changes (renewal, clearing a dead cookie, [`AuthRequest::set_session`]) are queued
//! and handed out by [`AuthRequest::take_cookies`]; the tower layer appends them to the
//! response. At most one session cookie is queued: a later change replaces an earlier one,
//! so a response never carries two `Set-Cookie` lines for the session cookie.
//!
//! # Duplicate session cookies
//! A request may carry several `auth_session` pairs (a stale twin on another path, or one
//! planted by a sibling subdomain). They are resolved without regard to order: each distinct
//! well-formed candidate is validated (at most [`MAX_COOKIE_CANDIDATES`], more make the
//! request anonymous); if exactly one user's sessions are valid, the most recently created
//! one wins; if sessions of different users are valid, the request is anonymous and the
//! cookie is cleared. Only this duplicate case costs more than one round trip.

mod bearer;
mod cookies;

/// The "Handle requests" guide; its examples are compiled as doctests.
#[cfg(feature = "axum")]
#[doc = include_str!("../../../docs/handle-requests.md")]
pub mod guide {}

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use cookie::Cookie;
use http::{HeaderMap, Method, Uri};
use tokio::sync::OnceCell;

pub use bearer::read_bearer_token;
pub use cookies::cookie_values;

use crate::auth::Auth;
use crate::csrf::{self, CsrfFailure};
use crate::error::{Error, Result};
use crate::session::{Session, SessionId, SessionToken};
use crate::user::{User, UserAttributes};

/// The most distinct well-formed session cookies one request may present; more make the
/// request anonymous, so a stuffed `Cookie` header cannot cause many lookups.
pub const MAX_COOKIE_CANDIDATES: usize = 3;

/// What request handling needs from an HTTP request: method, URI and headers.
///
/// Build it by hand for any framework, or from `http` types:
///
/// ```
/// use lucia::request::RequestContext;
///
/// let request = http::Request::post("/settings")
///     .header("host", "app.example.com")
///     .header("origin", "https://app.example.com")
///     .body(())
///     .unwrap();
/// let (parts, _body) = request.into_parts();
/// let context = RequestContext::from(&parts);
/// assert_eq!(context.method, http::Method::POST);
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The request method (decides whether the CSRF check applies).
    pub method: Method,
    /// The request URI (its authority stands in for a missing `Host` header).
    pub uri: Uri,
    /// The request headers: `Cookie`, `Authorization`, `Origin`, `Host` and friends.
    pub headers: HeaderMap,
    /// The address of the connection's other end, if known: a forwarded-host header is read
    /// only when it is one of the configured trusted proxies.
    pub peer: Option<IpAddr>,
}

/// The address of the peer a request came from, as a request extension that the server
/// (or a layer outside [`AuthLayer`](crate::AuthLayer)) inserts. Only needed with a trusted
/// forwarded-host header. With axum, serving with
/// `into_make_service_with_connect_info::<SocketAddr>()` is enough: its `ConnectInfo` is read
/// when no `PeerAddr` is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub IpAddr);

/// The peer address recorded in a request's extensions, if any.
pub(crate) fn peer_of(extensions: &http::Extensions) -> Option<IpAddr> {
    let peer = extensions.get::<PeerAddr>().map(|PeerAddr(ip)| *ip);
    #[cfg(feature = "axum")]
    let peer = peer.or_else(|| {
        extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip())
    });
    peer
}

impl RequestContext {
    /// A context from its three parts.
    pub fn new(method: Method, uri: Uri, headers: HeaderMap) -> Self {
        Self {
            method,
            uri,
            headers,
            peer: None,
        }
    }

    /// The same context, with the connection's peer address.
    pub fn with_peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }
}

impl From<&http::request::Parts> for RequestContext {
    fn from(parts: &http::request::Parts) -> Self {
        Self {
            peer: peer_of(&parts.extensions),
            ..Self::new(
                parts.method.clone(),
                parts.uri.clone(),
                parts.headers.clone(),
            )
        }
    }
}

impl<B> From<&http::Request<B>> for RequestContext {
    fn from(request: &http::Request<B>) -> Self {
        Self {
            peer: peer_of(request.extensions()),
            ..Self::new(
                request.method().clone(),
                request.uri().clone(),
                request.headers().clone(),
            )
        }
    }
}

impl<U: UserAttributes> Auth<U> {
    /// Starts handling a request: runs the CSRF check and reads the session cookie and the
    /// bearer header. No database call happens until the [`AuthRequest`] is asked.
    pub fn handle_request(&self, context: RequestContext) -> AuthRequest<U> {
        AuthRequest::new(
            self,
            &context.method,
            &context.uri,
            &context.headers,
            context.peer,
        )
    }
}

/// The session cookie as the request presented it, after the CSRF check.
enum CookieInput {
    /// No session cookie, or the CSRF check failed (the cookie is then never read).
    Absent,
    /// Session cookie pairs, none of them a well-formed token.
    Malformed,
    /// Too many distinct well-formed tokens to look up.
    TooMany,
    /// Distinct well-formed tokens, at most [`MAX_COOKIE_CANDIDATES`].
    Tokens(Vec<SessionToken>),
}

/// The session a request is known to carry once resolved (or set by the handler).
struct Current<U> {
    session: Session,
    /// Filled by the combined lookup; loaded on demand after `set_session`.
    user: OnceCell<User<U>>,
}

/// One generation of the cookie cache; `set_session` starts a new one.
struct Slot<U> {
    cell: OnceCell<Option<Current<U>>>,
}

/// What the browser holds, as far as this request knows.
#[derive(Clone, PartialEq, Eq)]
enum InPlace {
    /// The cookie input has not been resolved yet.
    Unresolved,
    /// Resolved or set: this session, or none.
    Known(Option<SessionId>),
}

struct State<U> {
    slot: Arc<Slot<U>>,
    in_place: InPlace,
    outgoing: Option<Cookie<'static>>,
}

struct Shared<U: UserAttributes> {
    auth: Auth<U>,
    cookie_input: CookieInput,
    csrf_failure: Option<CsrfFailure>,
    csrf_ignored_cookie: bool,
    bearer_token: Option<String>,
    bearer: OnceCell<Option<(Session, User<U>)>>,
    state: Mutex<State<U>>,
}

/// One request's view of authentication: validation with a per-request cache, session
/// changes, and the cookies to send back. Cheap to clone; all clones share one cache.
///
/// Usually the tower layer ([`AuthLayer`](crate::AuthLayer)) creates it and puts it in the
/// request extensions; without a framework, use [`Auth::handle_request`]:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> lucia::Result<()> {
/// use lucia::request::RequestContext;
/// use lucia::{Auth, MemoryAdapter};
///
/// let auth = Auth::<()>::builder(MemoryAdapter::new()).build().unwrap();
/// let user = auth.create_user(None, ()).await?;
/// let session = auth.create_session(&user.id).await?;
/// let cookie = auth.create_session_cookie(&session)?;
///
/// let mut context = RequestContext::default();
/// let header = format!("{}={}", cookie.name(), cookie.value());
/// context.headers.insert("cookie", header.parse().unwrap());
/// let request = auth.handle_request(context);
/// let (found, found_user) = request.validate_user().await?.expect("signed in");
/// assert_eq!(found.id, session.id);
/// assert_eq!(found_user.id, user.id);
/// assert!(request.take_cookies().is_empty()); // active session: nothing to re-send
/// # Ok(()) }
/// ```
pub struct AuthRequest<U: UserAttributes> {
    shared: Arc<Shared<U>>,
}

impl<U: UserAttributes> Clone for AuthRequest<U> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<U: UserAttributes> fmt::Debug for AuthRequest<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequest")
            .field("csrf_failure", &self.shared.csrf_failure)
            .field("has_bearer_token", &self.shared.bearer_token.is_some())
            .finish_non_exhaustive()
    }
}

impl<U: UserAttributes> AuthRequest<U> {
    pub(crate) fn new(
        auth: &Auth<U>,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Self {
        let config = auth.config();
        let csrf_failure =
            csrf::check_request_from(&config.csrf, config.env, method, uri, headers, peer).err();
        let has_session_cookie = cookies::has_cookie(headers, &config.cookie.name);
        let cookie_input = match csrf_failure {
            Some(failure) => {
                log_csrf_failure(failure, method, has_session_cookie);
                CookieInput::Absent
            }
            None => read_cookie_input(headers, &config.cookie.name),
        };
        let shared = Shared {
            auth: auth.clone(),
            cookie_input,
            csrf_failure,
            csrf_ignored_cookie: csrf_failure.is_some() && has_session_cookie,
            bearer_token: read_bearer_token(headers).map(str::to_owned),
            bearer: OnceCell::new(),
            state: Mutex::new(State {
                slot: Arc::new(Slot {
                    cell: OnceCell::new(),
                }),
                in_place: InPlace::Unresolved,
                outgoing: None,
            }),
        };
        Self {
            shared: Arc::new(shared),
        }
    }

    /// The `Auth` instance this request belongs to.
    pub fn auth(&self) -> &Auth<U> {
        &self.shared.auth
    }

    /// Why the CSRF check failed, if it did. The session cookie was then ignored: cookie
    /// validation answers `None` and no cookie is written. Sign-in handlers should refuse
    /// such requests (login CSRF), since they set a cookie without reading one.
    pub fn csrf_failure(&self) -> Option<CsrfFailure> {
        self.shared.csrf_failure
    }

    /// Whether the request carried a session cookie that the CSRF check made it ignore.
    /// Answer such requests with a generic `403`.
    pub fn csrf_rejected(&self) -> bool {
        self.shared.csrf_ignored_cookie
    }

    /// The session from the session cookie, or `None`: the first call looks it up (renewing
    /// an idle session and queueing its cookie), later calls answer from the cache shared
    /// with [`AuthRequest::validate_user`]. An unknown, dead or malformed cookie queues the
    /// deleting cookie.
    ///
    /// # Errors
    /// [`Error::Adapter`] (or another server-side fault) when the store fails. Nothing is
    /// cached and no cookie is queued then, so the browser keeps its cookie; a later call
    /// tries the store again.
    pub async fn validate(&self) -> Result<Option<Session>> {
        let slot = self.current_slot();
        let current = self.resolve(&slot).await?;
        Ok(current.as_ref().map(|current| current.session.clone()))
    }

    /// The session from the session cookie and its user, or `None`. Shares the cache and the
    /// single round trip with [`AuthRequest::validate`].
    ///
    /// # Errors
    /// As [`AuthRequest::validate`].
    pub async fn validate_user(&self) -> Result<Option<(Session, User<U>)>> {
        let slot = self.current_slot();
        let Some(current) = self.resolve(&slot).await? else {
            return Ok(None);
        };
        let loaded = current
            .user
            .get_or_try_init(|| async {
                match self.shared.auth.get_user(&current.session.user_id).await {
                    Ok(user) => Ok(user),
                    Err(Error::InvalidUserId) => Err(None),
                    Err(err) => Err(Some(err)),
                }
            })
            .await;
        match loaded {
            Ok(user) => Ok(Some((current.session.clone(), user.clone()))),
            Err(None) => Ok(None),
            Err(Some(err)) => Err(err),
        }
    }

    /// The session from `Authorization: Bearer <token>`, or `None`. Same expiry and renewal
    /// rules as cookies (an idle session is renewed in place, so the token keeps working),
    /// no CSRF check, never a cookie; cached separately from the cookie result.
    ///
    /// # Errors
    /// As [`AuthRequest::validate`].
    pub async fn validate_bearer_token(&self) -> Result<Option<Session>> {
        Ok(self
            .validate_bearer_user()
            .await?
            .map(|(session, _)| session))
    }

    /// The bearer session and its user, or `None`; shares its cache and single lookup with
    /// [`AuthRequest::validate_bearer_token`].
    ///
    /// # Errors
    /// As [`AuthRequest::validate`].
    pub async fn validate_bearer_user(&self) -> Result<Option<(Session, User<U>)>> {
        let found = self
            .shared
            .bearer
            .get_or_try_init(|| async {
                let Some(token) = &self.shared.bearer_token else {
                    return Ok(None);
                };
                verdict(self.shared.auth.validate_session_user(token).await)
            })
            .await?;
        Ok(found.clone())
    }

    /// Makes `session` the request's session: queues its cookie and answers later
    /// validations with it. `None` queues the deleting cookie. Setting the session that is
    /// already in place does nothing. The database is not touched: create the session
    /// before, and see [`AuthRequest::invalidate`] for signing out.
    ///
    /// A session without a token (from a listing) cannot be put in a cookie; it is ignored
    /// with a warning.
    pub fn set_session(&self, session: Option<Session>) {
        let mut state = self.lock();
        if self.is_in_place(&state.in_place, session.as_ref().map(|session| &session.id)) {
            return;
        }
        let outgoing = match &session {
            Some(session) => match self.shared.auth.create_session_cookie(session) {
                Ok(cookie) => cookie,
                Err(_) => {
                    tracing::warn!(
                        target: "lucia::request",
                        session_id = %session.id,
                        "set_session ignored: the session carries no token"
                    );
                    return;
                }
            },
            None => self.shared.auth.create_blank_session_cookie(),
        };
        tracing::debug!(target: "lucia::request", signed_in = session.is_some(), "session set");
        state.outgoing = Some(outgoing);
        state.in_place = InPlace::Known(session.as_ref().map(|session| session.id.clone()));
        let current = session.map(|session| Current {
            session,
            user: OnceCell::new(),
        });
        state.slot = Arc::new(Slot {
            cell: OnceCell::new_with(Some(current)),
        });
    }

    /// Signs out: deletes the current session from the store and queues the deleting cookie.
    /// On a request without a (valid) session it only makes sure the cookie goes.
    ///
    /// # Errors
    /// As [`AuthRequest::validate`]; nothing is queued then.
    pub async fn invalidate(&self) -> Result<()> {
        if let Some(session) = self.validate().await? {
            self.shared.auth.invalidate_session(&session.id).await?;
        }
        self.set_session(None);
        Ok(())
    }

    /// Hands out the queued `Set-Cookie` cookies (at most one, for the session cookie) and
    /// empties the queue. The tower layer calls it after the handler; call it yourself when
    /// you drive requests without the layer.
    pub fn take_cookies(&self) -> Vec<Cookie<'static>> {
        self.lock().outgoing.take().into_iter().collect()
    }

    /// A handle that does not name the user type, for code generic over it.
    pub fn erase(&self) -> SessionRequest {
        SessionRequest(Arc::new(self.clone()))
    }

    fn lock(&self) -> MutexGuard<'_, State<U>> {
        // A poisoned lock means a panic elsewhere mid-update; the state is still coherent
        // (every update is a plain assignment), so keep serving.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn current_slot(&self) -> Arc<Slot<U>> {
        Arc::clone(&self.lock().slot)
    }

    fn is_in_place(&self, in_place: &InPlace, id: Option<&SessionId>) -> bool {
        match (in_place, id) {
            (InPlace::Known(current), id) => current.as_ref() == id,
            (InPlace::Unresolved, None) => matches!(self.shared.cookie_input, CookieInput::Absent),
            (InPlace::Unresolved, Some(id)) => matches!(
                &self.shared.cookie_input,
                CookieInput::Tokens(tokens) if tokens.len() == 1 && tokens[0].id().ct_eq(id)
            ),
        }
    }

    /// The slot's value, looking the cookie up the first time.
    async fn resolve<'s>(&self, slot: &'s Slot<U>) -> Result<&'s Option<Current<U>>> {
        slot.cell
            .get_or_try_init(|| async {
                let resolution = self.resolve_cookie().await?;
                self.apply(slot, &resolution);
                Ok(resolution.current)
            })
            .await
    }

    async fn resolve_cookie(&self) -> Result<Resolution<U>> {
        let tokens = match &self.shared.cookie_input {
            CookieInput::Absent => return Ok(Resolution::anonymous(CookieAction::Keep)),
            CookieInput::Malformed => {
                tracing::debug!(
                    target: "lucia::request",
                    reason = "malformed session cookie",
                    "session cookie cleared"
                );
                return Ok(Resolution::anonymous(CookieAction::Clear));
            }
            CookieInput::TooMany => {
                tracing::warn!(
                    target: "lucia::request",
                    reason = "too many session cookies",
                    "session cookie cleared"
                );
                return Ok(Resolution::anonymous(CookieAction::Clear));
            }
            CookieInput::Tokens(tokens) => tokens,
        };
        tracing::trace!(
            target: "lucia::request",
            candidates = tokens.len(),
            "looking up session cookie"
        );
        if let [token] = tokens.as_slice() {
            // The usual case: one cookie, one lookup, nothing to choose between.
            let found = verdict(self.shared.auth.validate_session_user(token.expose()).await)?;
            return Ok(match found {
                Some((session, user)) => settle(session, user),
                None => choose(Vec::new()),
            });
        }
        let lookups = tokens
            .iter()
            .map(|token| self.shared.auth.validate_session_user(token.expose()));
        let mut valid = Vec::new();
        for result in futures_util::future::join_all(lookups).await {
            if let Some(found) = verdict(result)? {
                valid.push(found);
            }
        }
        Ok(choose(valid))
    }

    /// Queues the resolution's cookie, unless `set_session` replaced the slot meanwhile.
    fn apply(&self, slot: &Slot<U>, resolution: &Resolution<U>) {
        let mut state = self.lock();
        if !std::ptr::eq(Arc::as_ptr(&state.slot), slot) {
            return;
        }
        let session = resolution.current.as_ref().map(|current| &current.session);
        state.in_place = InPlace::Known(session.map(|session| session.id.clone()));
        match (&resolution.cookie, session) {
            (CookieAction::Keep, _) => {}
            (CookieAction::Clear, _) | (CookieAction::Set, None) => {
                state.outgoing = Some(self.shared.auth.create_blank_session_cookie());
            }
            (CookieAction::Set, Some(session)) => {
                match self.shared.auth.create_session_cookie(session) {
                    Ok(cookie) => state.outgoing = Some(cookie),
                    Err(_) => {
                        tracing::error!(
                            target: "lucia::request",
                            "validated session carries no token"
                        )
                    }
                }
            }
        }
    }
}

/// Records a failed CSRF check: at debug level when it cost a session cookie its effect,
/// at trace level otherwise (cookie-less API calls fail it all the time, harmlessly).
fn log_csrf_failure(failure: CsrfFailure, method: &Method, has_session_cookie: bool) {
    if has_session_cookie {
        tracing::debug!(
            target: "lucia::csrf",
            reason = failure.reason(),
            method = %method,
            "csrf check failed, session cookie ignored"
        );
    } else {
        tracing::trace!(
            target: "lucia::csrf",
            reason = failure.reason(),
            method = %method,
            "csrf check failed, no session cookie"
        );
    }
}

/// Reads the session cookie candidates: distinct well-formed tokens, sorted so that header
/// order never matters.
fn read_cookie_input(headers: &HeaderMap, name: &str) -> CookieInput {
    let values = cookie_values(headers, name);
    let mut tokens: Vec<SessionToken> = values
        .iter()
        .filter_map(|value| SessionToken::parse(value).ok())
        .collect();
    tokens.sort_by(|a, b| a.expose().cmp(b.expose()));
    tokens.dedup();
    if tokens.len() > MAX_COOKIE_CANDIDATES {
        CookieInput::TooMany
    } else if !tokens.is_empty() {
        CookieInput::Tokens(tokens)
    } else if values.is_empty() && !cookies::has_cookie(headers, name) {
        CookieInput::Absent
    } else {
        CookieInput::Malformed
    }
}

/// Turns a validation result into "found", "no session" or a server fault.
fn verdict<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(Error::InvalidSessionId | Error::InvalidUserId) => Ok(None),
        Err(err) => {
            tracing::error!(target: "lucia::request", error = %err, "session validation failed");
            Err(err)
        }
    }
}

enum CookieAction {
    Keep,
    Clear,
    Set,
}

struct Resolution<U> {
    current: Option<Current<U>>,
    cookie: CookieAction,
}

impl<U> Resolution<U> {
    fn anonymous(cookie: CookieAction) -> Self {
        Self {
            current: None,
            cookie,
        }
    }
}

/// Picks the session among the valid candidates (see the module docs).
fn choose<U>(mut valid: Vec<(Session, User<U>)>) -> Resolution<U> {
    if valid.is_empty() {
        tracing::debug!(
            target: "lucia::request",
            reason = "unknown or expired session",
            "session cookie cleared"
        );
        return Resolution::anonymous(CookieAction::Clear);
    }
    let first_user = valid[0].0.user_id.as_str();
    if valid
        .iter()
        .any(|(session, _)| session.user_id != first_user)
    {
        tracing::warn!(
            target: "lucia::request",
            reason = "session cookies of different users",
            "session cookie cleared"
        );
        return Resolution::anonymous(CookieAction::Clear);
    }
    valid.sort_by(|(a, _), (b, _)| {
        (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str()))
    });
    let Some((session, user)) = valid.pop() else {
        return Resolution::anonymous(CookieAction::Clear);
    };
    settle(session, user)
}

/// The resolution for the one session chosen: its cookie is re-sent when it was renewed.
fn settle<U>(session: Session, user: User<U>) -> Resolution<U> {
    let cookie = if session.fresh {
        CookieAction::Set
    } else {
        CookieAction::Keep
    };
    Resolution {
        current: Some(Current {
            session,
            user: OnceCell::new_with(Some(user)),
        }),
        cookie,
    }
}

/// The part of [`AuthRequest`] that does not depend on the user type.
#[async_trait]
trait ErasedRequest: Send + Sync {
    async fn validate(&self) -> Result<Option<Session>>;
    async fn validate_bearer_token(&self) -> Result<Option<Session>>;
    async fn invalidate(&self) -> Result<()>;
    fn set_session(&self, session: Option<Session>);
    fn csrf_rejected(&self) -> bool;
    fn now(&self) -> time::OffsetDateTime;
}

#[async_trait]
impl<U: UserAttributes> ErasedRequest for AuthRequest<U> {
    async fn validate(&self) -> Result<Option<Session>> {
        AuthRequest::validate(self).await
    }
    async fn validate_bearer_token(&self) -> Result<Option<Session>> {
        AuthRequest::validate_bearer_token(self).await
    }
    async fn invalidate(&self) -> Result<()> {
        AuthRequest::invalidate(self).await
    }
    fn set_session(&self, session: Option<Session>) {
        AuthRequest::set_session(self, session);
    }
    fn csrf_rejected(&self) -> bool {
        AuthRequest::csrf_rejected(self)
    }
    fn now(&self) -> time::OffsetDateTime {
        self.auth().now()
    }
}

/// An [`AuthRequest`] whose user type is erased, for code that only needs the session.
/// The tower layer puts one in the request extensions next to the `AuthRequest`; both share
/// one cache.
#[derive(Clone)]
pub struct SessionRequest(Arc<dyn ErasedRequest>);

impl fmt::Debug for SessionRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRequest").finish_non_exhaustive()
    }
}

impl<U: UserAttributes> From<AuthRequest<U>> for SessionRequest {
    fn from(request: AuthRequest<U>) -> Self {
        Self(Arc::new(request))
    }
}

impl SessionRequest {
    /// As [`AuthRequest::validate`].
    ///
    /// # Errors
    /// As [`AuthRequest::validate`].
    pub async fn validate(&self) -> Result<Option<Session>> {
        self.0.validate().await
    }

    /// As [`AuthRequest::validate_bearer_token`].
    ///
    /// # Errors
    /// As [`AuthRequest::validate`].
    pub async fn validate_bearer_token(&self) -> Result<Option<Session>> {
        self.0.validate_bearer_token().await
    }

    /// As [`AuthRequest::invalidate`].
    ///
    /// # Errors
    /// As [`AuthRequest::validate`].
    pub async fn invalidate(&self) -> Result<()> {
        self.0.invalidate().await
    }

    /// As [`AuthRequest::set_session`].
    pub fn set_session(&self, session: Option<Session>) {
        self.0.set_session(session);
    }

    /// As [`AuthRequest::csrf_rejected`].
    pub fn csrf_rejected(&self) -> bool {
        self.0.csrf_rejected()
    }

    /// The current time from the clock of the request's `Auth`, as [`Auth::now`].
    pub fn now(&self) -> time::OffsetDateTime {
        self.0.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryAdapter;

    fn auth() -> Auth<()> {
        Auth::builder(MemoryAdapter::new()).build().unwrap()
    }

    async fn signed_in(auth: &Auth<()>) -> (Session, String) {
        let user = auth.create_user(None, ()).await.unwrap();
        let session = auth.create_session(&user.id).await.unwrap();
        let token = session.token().unwrap().expose().to_owned();
        (session, token)
    }

    fn request(auth: &Auth<()>, pairs: &[(&str, String)]) -> AuthRequest<()> {
        let mut context = RequestContext::default();
        for (name, value) in pairs {
            let name = http::HeaderName::try_from(*name).unwrap();
            context.headers.append(name, value.parse().unwrap());
        }
        auth.handle_request(context)
    }

    #[tokio::test]
    async fn bearer_validation_does_not_poison_the_cookie_cache() {
        let auth = auth();
        let (session, token) = signed_in(&auth).await;
        let request = request(&auth, &[("authorization", format!("Bearer {token}"))]);
        let bearer = request.validate_bearer_token().await.unwrap();
        assert_eq!(bearer.map(|found| found.id), Some(session.id));
        assert_eq!(request.validate().await.unwrap(), None);
        assert!(request.take_cookies().is_empty());
    }

    #[tokio::test]
    async fn cookie_validation_does_not_answer_for_the_bearer_header() {
        let auth = auth();
        let (_, token) = signed_in(&auth).await;
        let request = request(&auth, &[("cookie", format!("auth_session={token}"))]);
        assert!(request.validate().await.unwrap().is_some());
        assert_eq!(request.validate_bearer_token().await.unwrap(), None);
    }

    #[tokio::test]
    async fn setting_the_session_in_place_queues_nothing() {
        let auth = auth();
        let (session, token) = signed_in(&auth).await;
        let request = request(&auth, &[("cookie", format!("auth_session={token}"))]);
        request.set_session(Some(session.clone()));
        assert!(request.take_cookies().is_empty());

        let anonymous = self::request(&auth, &[]);
        anonymous.set_session(None);
        assert!(anonymous.take_cookies().is_empty());
    }

    #[tokio::test]
    async fn set_session_replaces_the_cache_and_queues_one_cookie() {
        let auth = auth();
        let (old, old_token) = signed_in(&auth).await;
        let (new, new_token) = signed_in(&auth).await;
        let request = request(&auth, &[("cookie", format!("auth_session={old_token}"))]);
        assert_eq!(
            request.validate().await.unwrap().map(|s| s.id),
            Some(old.id)
        );
        request.set_session(Some(new.clone()));
        let (session, user) = request.validate_user().await.unwrap().unwrap();
        assert_eq!(session.id, new.id);
        assert_eq!(user.id, new.user_id);
        let cookies = request.take_cookies();
        assert_eq!(cookies.len(), 1);
        assert_eq!(cookies[0].value(), new_token);

        request.set_session(None);
        assert_eq!(request.validate().await.unwrap(), None);
        let cookies = request.take_cookies();
        assert_eq!(cookies.len(), 1);
        assert_eq!(cookies[0].value(), "");
    }

    #[tokio::test]
    async fn duplicate_cookies_resolve_the_same_in_any_order() {
        let auth = auth();
        let (valid, valid_token) = signed_in(&auth).await;
        let (stale, stale_token) = signed_in(&auth).await;
        auth.invalidate_session(&stale.id).await.unwrap();
        for header in [
            format!("auth_session={stale_token}; auth_session={valid_token}"),
            format!("auth_session={valid_token}; auth_session={stale_token}"),
        ] {
            let request = request(&auth, &[("cookie", header)]);
            let found = request.validate().await.unwrap();
            assert_eq!(found.map(|s| s.id), Some(valid.id.clone()));
            assert!(request.take_cookies().is_empty());
        }
    }

    #[tokio::test]
    async fn valid_cookies_of_two_users_make_the_request_anonymous_and_clear() {
        let auth = auth();
        let (_, first) = signed_in(&auth).await;
        let (_, second) = signed_in(&auth).await;
        let request = request(
            &auth,
            &[
                ("cookie", format!("auth_session={first}")),
                ("cookie", format!("auth_session={second}")),
            ],
        );
        assert_eq!(request.validate().await.unwrap(), None);
        let cookies = request.take_cookies();
        assert_eq!(cookies.len(), 1);
        assert_eq!(cookies[0].value(), "");
    }

    #[tokio::test]
    async fn a_stuffed_cookie_header_is_not_looked_up() {
        let auth = auth();
        let (_, token) = signed_in(&auth).await;
        let mut header = format!("auth_session={token}");
        for _ in 0..MAX_COOKIE_CANDIDATES {
            let (_, other) = signed_in(&auth).await;
            header.push_str(&format!("; auth_session={other}"));
        }
        let request = request(&auth, &[("cookie", header)]);
        assert_eq!(request.validate().await.unwrap(), None);
        assert_eq!(request.take_cookies().len(), 1);
    }

    /// Arbitrary header bytes never panic the parsers or the CSRF check.
    #[test]
    fn garbage_headers_never_panic() {
        let auth = auth();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b"auth_session=;, \t\"%=:/.nulBearer\x80\xffabcxyz234567";
        for round in 0..2000 {
            let mut bytes = Vec::new();
            for _ in 0..(seed % 60) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                bytes.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let Ok(value) = http::HeaderValue::from_bytes(&bytes) else {
                continue;
            };
            let method = if round % 2 == 0 {
                Method::GET
            } else {
                Method::POST
            };
            let mut context = RequestContext {
                method: method.clone(),
                ..RequestContext::default()
            };
            for name in [
                "cookie",
                "authorization",
                "origin",
                "host",
                "sec-fetch-site",
            ] {
                context.headers.append(name, value.clone());
            }
            let request = auth.handle_request(context);
            assert_eq!(request.csrf_failure().is_some(), method == Method::POST);
        }
    }

    #[tokio::test]
    async fn failed_csrf_ignores_the_cookie_and_writes_nothing() {
        let auth = auth();
        let (_, token) = signed_in(&auth).await;
        let mut context = RequestContext {
            method: Method::POST,
            ..RequestContext::default()
        };
        context
            .headers
            .insert("host", "app.example.com".parse().unwrap());
        context
            .headers
            .insert("origin", "https://attacker.example".parse().unwrap());
        context
            .headers
            .insert("cookie", format!("auth_session={token}").parse().unwrap());
        let request = auth.handle_request(context);
        assert_eq!(request.csrf_failure(), Some(CsrfFailure::ForeignOrigin));
        assert!(request.csrf_rejected());
        assert_eq!(request.validate().await.unwrap(), None);
        request.invalidate().await.unwrap();
        assert!(request.take_cookies().is_empty());
    }
}
