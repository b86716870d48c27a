//! The `Auth` instance: users, keys and sessions, without HTTP.

use std::sync::Arc;

use cookie::Cookie;
use time::OffsetDateTime;
use tokio::sync::{OnceCell, Semaphore};

use crate::adapter::Adapter;
use crate::clock::{Clock, to_millis};
use crate::config::{AuthBuilder, Config, SessionTokenGenerator, UserIdGenerator};
use crate::cookie::{blank_session_cookie, session_cookie};
use crate::error::{BoxError, Error, Result};
use crate::key::{Key, KeyId, KeyRecord, NewKey};
use crate::password::{self, HashingPriority, PasswordHasher, Verification};
use crate::session::{Session, SessionId, SessionRecord, SessionState, SessionToken};
use crate::user::{User, UserAttributes};

/// The password the dummy hash is made from; never a real user's.
const DUMMY_PASSWORD: &str = "lucia dummy password for constant-work login failures";
/// Length of generated user ids, as in Lucia.
const USER_ID_LEN: usize = 15;
const USER_ID_ALPHABET: &[u8; 62] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The configured auth instance: cheap to clone, shared by every request.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> lucia::Result<()> {
/// use lucia::{Auth, MemoryAdapter, NewKey};
///
/// let auth = Auth::<()>::builder(MemoryAdapter::new()).build().unwrap();
/// let user = auth.create_user(Some(NewKey::with_password("username", "alice", "correct horse")), ()).await?;
/// let key = auth.use_key("username", "alice", Some("correct horse")).await?;
/// let session = auth.create_session(&key.user_id).await?;
/// let token = session.token().unwrap().expose().to_owned();
/// assert_eq!(auth.validate_session(&token).await?.user_id, user.id);
/// # Ok(()) }
/// ```
pub struct Auth<U: UserAttributes> {
    inner: Arc<Inner<U>>,
}

struct Inner<U: UserAttributes> {
    adapter: Arc<dyn Adapter<U>>,
    config: Config,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    user_id_generator: Option<UserIdGenerator>,
    session_token_generator: SessionTokenGenerator,
    hashing_permits: Arc<Semaphore>,
    hashing_priority: HashingPriority,
    dummy_hash: OnceCell<String>,
}

impl<U: UserAttributes> Clone for Auth<U> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<U: UserAttributes> std::fmt::Debug for Auth<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl<U: UserAttributes> Auth<U> {
    /// Starts configuring an instance over `adapter`.
    pub fn builder(adapter: impl Adapter<U>) -> AuthBuilder<U> {
        AuthBuilder::new(Arc::new(adapter))
    }

    /// Starts configuring an instance over an adapter that is already shared.
    pub fn builder_shared(adapter: Arc<dyn Adapter<U>>) -> AuthBuilder<U> {
        AuthBuilder::new(adapter)
    }

    pub(crate) fn from_parts(builder: AuthBuilder<U>, config: Config) -> Self {
        Self {
            inner: Arc::new(Inner {
                adapter: builder.adapter,
                config,
                hasher: builder.hasher,
                clock: builder.clock,
                user_id_generator: builder.user_id_generator,
                session_token_generator: builder.session_token_generator,
                hashing_permits: Arc::new(Semaphore::new(builder.hashing_concurrency)),
                hashing_priority: builder.hashing_priority,
                dummy_hash: OnceCell::new(),
            }),
        }
    }

    /// The checked configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The adapter, for calls this API does not wrap.
    pub fn adapter(&self) -> &Arc<dyn Adapter<U>> {
        &self.inner.adapter
    }

    /// The current time from the configured clock.
    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    // ---- users -------------------------------------------------------------------------

    /// Creates a user, with its primary key if given, atomically: a duplicate key leaves no
    /// user behind. The id comes from the configured generator (15 random characters by
    /// default).
    ///
    /// # Errors
    /// [`Error::PasswordPolicy`] for a password the policy refuses (nothing is hashed then),
    /// [`Error::InvalidKeyId`], [`Error::DuplicateKeyId`], [`Error::Adapter`].
    pub async fn create_user(&self, key: Option<NewKey>, attributes: U) -> Result<User<U>> {
        let user_id = match &self.inner.user_id_generator {
            Some(generate) => generate(),
            None => random_user_id()?,
        };
        self.create_user_with_id(user_id, key, attributes).await
    }

    /// Creates a user with an id you chose.
    ///
    /// # Errors
    /// As [`Auth::create_user`], plus [`Error::InvalidUserId`] for an empty or overlong id
    /// and [`Error::DuplicateUserId`].
    pub async fn create_user_with_id(
        &self,
        user_id: String,
        key: Option<NewKey>,
        attributes: U,
    ) -> Result<User<U>> {
        check_user_id(&user_id)?;
        let key = match key {
            Some(key) => Some(self.key_record(&user_id, key, true).await?),
            None => None,
        };
        let user = User::new(user_id, attributes);
        self.inner.adapter.insert_user(&user, key.as_ref()).await?;
        tracing::debug!(target: "lucia::user", user_id = %user.id, "user created");
        Ok(user)
    }

    /// The user with `user_id`.
    ///
    /// # Errors
    /// [`Error::InvalidUserId`] if there is none.
    pub async fn get_user(&self, user_id: &str) -> Result<User<U>> {
        self.inner
            .adapter
            .get_user(user_id)
            .await?
            .ok_or(Error::InvalidUserId)
    }

    /// Replaces a user's attributes.
    ///
    /// # Errors
    /// [`Error::InvalidUserId`] if there is no such user.
    pub async fn update_user_attributes(&self, user_id: &str, attributes: U) -> Result<User<U>> {
        let user = User::new(user_id, attributes);
        self.inner.adapter.update_user(&user).await?;
        Ok(user)
    }

    /// Deletes a user with all its sessions and keys. No error if it does not exist.
    ///
    /// # Errors
    /// [`Error::Adapter`].
    pub async fn delete_user(&self, user_id: &str) -> Result<()> {
        self.inner
            .adapter
            .delete_sessions_by_user(user_id, None)
            .await?;
        self.inner.adapter.delete_user(user_id).await?;
        tracing::debug!(target: "lucia::user", user_id = %user_id, "user deleted");
        Ok(())
    }

    // ---- keys --------------------------------------------------------------------------

    /// Adds a (non-primary) key to a user.
    ///
    /// # Errors
    /// [`Error::InvalidUserId`], [`Error::DuplicateKeyId`], [`Error::InvalidKeyId`],
    /// [`Error::PasswordPolicy`].
    pub async fn create_key(&self, user_id: &str, key: NewKey) -> Result<Key> {
        let record = self.key_record(user_id, key, false).await?;
        self.inner.adapter.insert_key(&record).await?;
        Ok(Key::from(&record))
    }

    /// The key `provider_id:provider_user_id`.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] if there is none.
    pub async fn get_key(&self, provider_id: &str, provider_user_id: &str) -> Result<Key> {
        let id = KeyId::new(provider_id, provider_user_id)?;
        let record = self
            .inner
            .adapter
            .get_key(&id)
            .await?
            .ok_or(Error::InvalidKeyId)?;
        Ok(Key::from(&record))
    }

    /// Every key of a user.
    ///
    /// # Errors
    /// [`Error::InvalidUserId`] if there is no such user.
    pub async fn get_all_user_keys(&self, user_id: &str) -> Result<Vec<Key>> {
        self.get_user(user_id).await?;
        let records = self.inner.adapter.get_keys_by_user(user_id).await?;
        Ok(records.iter().map(Key::from).collect())
    }

    /// Checks a password against a key and returns the key: the login step.
    ///
    /// Every failure costs the same work: an unknown key, a key without a password, a
    /// missing or empty password all verify against a dummy hash, so timing does not tell
    /// which usernames exist. A password over the policy's length caps fails before any
    /// hashing. A malformed key id (an empty part, `:` in the provider id) fails before any
    /// adapter call or hashing: its shape is the caller's own input, so the quick answer tells nothing about which keys exist. A Lucia
    /// v1 scrypt hash that matches is replaced by an Argon2id hash.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`], [`Error::InvalidPassword`], [`Error::OutdatedPassword`],
    /// [`Error::Adapter`]. Show the first two to users as one message.
    pub async fn use_key(
        &self,
        provider_id: &str,
        provider_user_id: &str,
        password: Option<&str>,
    ) -> Result<Key> {
        let id = KeyId::new(provider_id, provider_user_id)?;
        let over_cap = password.is_some_and(|password| {
            self.inner
                .config
                .password_policy
                .check_upper_bounds(password)
                .is_err()
        });
        if over_cap {
            tracing::debug!(target: "lucia::key", reason = "password over length cap", "key use refused");
            return Err(Error::InvalidPassword);
        }
        let Some(record) = self.inner.adapter.get_key(&id).await? else {
            self.spend_dummy_verification(password).await?;
            tracing::debug!(target: "lucia::key", reason = "unknown key", "key use refused");
            return Err(Error::InvalidKeyId);
        };
        match (password, record.hashed_password.as_deref()) {
            (None, None) => {
                self.spend_dummy_verification(None).await?;
                Ok(Key::from(&record))
            }
            (Some(password), Some(hash)) if !password.is_empty() => {
                self.verify_key_password(&record, password, hash.to_owned())
                    .await
            }
            _ => {
                self.spend_dummy_verification(password).await?;
                tracing::debug!(target: "lucia::key", user_id = %record.user_id, reason = "password presence mismatch", "key use refused");
                Err(Error::InvalidPassword)
            }
        }
    }

    /// Sets (`Some`) or removes (`None`) a key's password.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] if there is no such key, [`Error::PasswordPolicy`].
    pub async fn update_key_password(
        &self,
        provider_id: &str,
        provider_user_id: &str,
        password: Option<&str>,
    ) -> Result<Key> {
        let id = KeyId::new(provider_id, provider_user_id)?;
        let hash = match password {
            Some(password) => Some(self.hash_new_password(password).await?),
            None => None,
        };
        let record = self
            .inner
            .adapter
            .update_key_password(&id, hash.as_deref())
            .await?
            .ok_or(Error::InvalidKeyId)?;
        tracing::debug!(target: "lucia::key", user_id = %record.user_id, "key password updated");
        Ok(Key::from(&record))
    }

    /// Deletes a key. Primary keys stay (they go with their user). No error if missing.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] for a malformed id, [`Error::Adapter`].
    pub async fn delete_key(&self, provider_id: &str, provider_user_id: &str) -> Result<()> {
        let id = KeyId::new(provider_id, provider_user_id)?;
        self.inner.adapter.delete_non_primary_key(&id).await
    }

    async fn key_record(&self, user_id: &str, key: NewKey, primary: bool) -> Result<KeyRecord> {
        let id = KeyId::new(&key.provider_id, &key.provider_user_id)?;
        id.check_new()?;
        let hashed_password = match key.password.as_deref() {
            Some(password) => Some(self.hash_new_password(password).await?),
            None => None,
        };
        Ok(KeyRecord {
            id,
            user_id: user_id.to_owned(),
            primary,
            hashed_password,
        })
    }

    async fn verify_key_password(
        &self,
        record: &KeyRecord,
        password: &str,
        hash: String,
    ) -> Result<Key> {
        let normalized = password::normalize(password);
        let verdict = self
            .run_hasher(move |hasher| hasher.verify(&normalized, &hash))
            .await?;
        match verdict {
            Verification::Valid => Ok(Key::from(record)),
            Verification::ValidNeedsRehash => {
                self.upgrade_hash(record, password).await;
                Ok(Key::from(record))
            }
            Verification::Invalid => {
                tracing::debug!(target: "lucia::key", user_id = %record.user_id, reason = "wrong password", "key use refused");
                Err(Error::InvalidPassword)
            }
            Verification::Outdated => Err(Error::OutdatedPassword),
        }
    }

    /// Replaces a weaker hash after a successful login. A failure here must not fail the
    /// login: the old hash still works, so it is logged and retried next time.
    async fn upgrade_hash(&self, record: &KeyRecord, password: &str) {
        let normalized = password::normalize(password);
        let rehashed = self
            .run_hasher(move |hasher| hasher.hash(&normalized))
            .await;
        let stored = match rehashed {
            Ok(Ok(hash)) => self
                .inner
                .adapter
                .update_key_password(&record.id, Some(&hash))
                .await
                .map(|_| ()),
            Ok(Err(err)) | Err(err) => Err(err),
        };
        match stored {
            Ok(()) => {
                tracing::debug!(target: "lucia::key", user_id = %record.user_id, "password hash upgraded")
            }
            Err(err) => {
                tracing::warn!(target: "lucia::key", user_id = %record.user_id, error = %err, "password hash upgrade failed")
            }
        }
    }

    /// Hashes a new password after the policy check, on a hashing thread.
    ///
    /// # Errors
    /// [`Error::PasswordPolicy`], [`Error::Hashing`].
    pub async fn hash_new_password(&self, password: &str) -> Result<String> {
        self.inner.config.password_policy.check_new(password)?;
        let normalized = password::normalize(password);
        self.run_hasher(move |hasher| hasher.hash(&normalized))
            .await?
    }

    /// Spends exactly one hasher evaluation on a login that fails anyway: a verification
    /// against the dummy hash, or, before that hash exists, the hashing that makes it. Either
    /// costs one Argon2 run, so even the first failure after start-up does the same work as
    /// a wrong password (a lazily made dummy used to cost the first unknown user two).
    async fn spend_dummy_verification(&self, password: Option<&str>) -> Result<()> {
        let Some(dummy) = self.inner.dummy_hash.get().cloned() else {
            let made = self
                .run_hasher(|hasher| hasher.hash(DUMMY_PASSWORD))
                .await??;
            // A concurrent first failure may have set it already; either hash will do.
            let _ = self.inner.dummy_hash.set(made);
            return Ok(());
        };
        let normalized = password::normalize(password.unwrap_or_default());
        self.run_hasher(move |hasher| hasher.verify(&normalized, &dummy))
            .await?;
        Ok(())
    }

    /// Runs a hasher call on a hashing thread, at most `hashing_concurrency` at a time.
    ///
    /// The permit moves into the thread: a caller whose future is dropped (a client that
    /// disconnects mid-login) cannot free its slot while the hash still runs.
    async fn run_hasher<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn PasswordHasher) -> T + Send + 'static,
    {
        let permit = Arc::clone(&self.inner.hashing_permits)
            .acquire_owned()
            .await
            .map_err(|err| Error::Hashing(Box::new(err)))?;
        let hasher = Arc::clone(&self.inner.hasher);
        password::threads::run(self.inner.hashing_priority, move || {
            let _permit = permit;
            work(hasher.as_ref())
        })
        .await
    }

    // ---- sessions ----------------------------------------------------------------------

    /// Creates a session for a user. The returned session is fresh and carries its token:
    /// send it with [`Auth::create_session_cookie`] or as a bearer token.
    ///
    /// # Errors
    /// [`Error::InvalidUserId`] where the store checks the user, [`Error::Adapter`].
    pub async fn create_session(&self, user_id: &str) -> Result<Session> {
        let now = to_millis(self.now());
        let lifetime = &self.inner.config.lifetime;
        let cap = lifetime
            .absolute_lifetime
            .map(|cap| now.saturating_add(millis(cap)));
        let active_expires = capped(now.saturating_add(millis(lifetime.active_period)), cap);
        let idle_expires = capped(
            active_expires.saturating_add(millis(lifetime.idle_period)),
            cap,
        );
        // A 200-bit collision is not going to happen, but if the store reports one, the
        // insert-if-absent left the other session untouched and a fresh token is safe.
        for _ in 0..2 {
            let token = (self.inner.session_token_generator)()?;
            let record = SessionRecord {
                id: token.id(),
                user_id: user_id.to_owned(),
                active_expires,
                idle_expires,
                created_at: now,
            };
            match self.inner.adapter.insert_session(&record).await {
                Ok(()) => {
                    tracing::debug!(target: "lucia::session", user_id = %user_id, session_id = %record.id, "session created");
                    return Ok(
                        Session::from_record(record, SessionState::Active, true).with_token(token)
                    );
                }
                Err(Error::DuplicateSessionId) => continue,
                Err(err) => return Err(err),
            }
        }
        Err(Error::DuplicateSessionId)
    }

    /// The session with public id `id`, active or idle, never dead. Does not renew.
    ///
    /// # Errors
    /// [`Error::InvalidSessionId`] if it is missing or dead, [`Error::Adapter`].
    pub async fn get_session(&self, id: &SessionId) -> Result<Session> {
        let record = self
            .inner
            .adapter
            .get_session(id)
            .await?
            .ok_or(Error::InvalidSessionId)?;
        let now = to_millis(self.now());
        match self.state_of(&record, now) {
            SessionState::Dead => {
                self.inner.adapter.delete_session(&record.id).await?;
                Err(Error::InvalidSessionId)
            }
            state => Ok(Session::from_record(record, state, false)),
        }
    }

    /// Validates a token from a cookie or a bearer header: checks its form before any
    /// database call, then expiry, and renews an idle session in place (the result is then
    /// `fresh`: send the cookie again).
    ///
    /// # Errors
    /// [`Error::InvalidSessionId`] for a malformed, unknown or dead token;
    /// [`Error::Adapter`] when the store fails (never mistaken for "no session").
    pub async fn validate_session(&self, token: &str) -> Result<Session> {
        let token = SessionToken::parse(token)?;
        let record = self
            .inner
            .adapter
            .get_session(&token.id())
            .await?
            .ok_or(Error::InvalidSessionId)?;
        self.check_and_renew(record, token).await
    }

    /// Like [`Auth::validate_session`], and also returns the user, in one adapter call (a
    /// join on SQL stores) plus a renewal when the session is idle.
    ///
    /// # Errors
    /// As [`Auth::validate_session`].
    pub async fn validate_session_user(&self, token: &str) -> Result<(Session, User<U>)> {
        let token = SessionToken::parse(token)?;
        let (record, user) = self
            .inner
            .adapter
            .get_session_and_user(&token.id())
            .await?
            .ok_or(Error::InvalidSessionId)?;
        let session = self.check_and_renew(record, token).await?;
        Ok((session, user))
    }

    /// Every live session of a user; dead ones are deleted on the way.
    ///
    /// # Errors
    /// [`Error::InvalidUserId`] if there is no such user, [`Error::Adapter`].
    pub async fn get_all_user_sessions(&self, user_id: &str) -> Result<Vec<Session>> {
        self.get_user(user_id).await?;
        let now = to_millis(self.now());
        let mut live = Vec::new();
        for record in self.inner.adapter.get_sessions_by_user(user_id).await? {
            match self.state_of(&record, now) {
                SessionState::Dead => self.inner.adapter.delete_session(&record.id).await?,
                state => live.push(Session::from_record(record, state, false)),
            }
        }
        live.sort_by_key(|session| std::cmp::Reverse(session.created_at));
        Ok(live)
    }

    /// Invalidates (deletes) one session. No error if it does not exist.
    ///
    /// # Errors
    /// [`Error::Adapter`].
    pub async fn invalidate_session(&self, id: &SessionId) -> Result<()> {
        self.inner.adapter.delete_session(id).await?;
        tracing::debug!(target: "lucia::session", session_id = %id, "session invalidated");
        Ok(())
    }

    /// Invalidates every session of a user (sign out everywhere).
    ///
    /// # Errors
    /// [`Error::Adapter`].
    pub async fn invalidate_all_user_sessions(&self, user_id: &str) -> Result<()> {
        self.inner
            .adapter
            .delete_sessions_by_user(user_id, None)
            .await?;
        tracing::debug!(target: "lucia::session", user_id = %user_id, "all user sessions invalidated");
        Ok(())
    }

    /// Invalidates every session of a user except `keep` (after a password change, say).
    ///
    /// # Errors
    /// [`Error::Adapter`].
    pub async fn invalidate_other_user_sessions(
        &self,
        user_id: &str,
        keep: &SessionId,
    ) -> Result<()> {
        self.inner
            .adapter
            .delete_sessions_by_user(user_id, Some(keep))
            .await?;
        tracing::debug!(target: "lucia::session", user_id = %user_id, "other user sessions invalidated");
        Ok(())
    }

    /// Deletes every dead session in the store; returns how many. Run it now and then.
    ///
    /// # Errors
    /// [`Error::Adapter`].
    pub async fn delete_dead_sessions(&self) -> Result<u64> {
        self.inner
            .adapter
            .delete_dead_sessions(to_millis(self.now()))
            .await
    }

    /// The cookie that carries `session`: `HttpOnly`, `SameSite`, `Path=/`, `Secure` in
    /// production, expiring with the session's idle period (capped at 400 days).
    ///
    /// # Errors
    /// [`Error::InvalidSessionId`] when the session has no token (it came from a listing,
    /// not from a login or a request).
    pub fn create_session_cookie(&self, session: &Session) -> Result<Cookie<'static>> {
        let token = session.token().ok_or(Error::InvalidSessionId)?;
        Ok(session_cookie(
            &self.inner.config.cookie,
            token.expose().to_owned(),
            self.now(),
            session.idle_expires,
        ))
    }

    /// The cookie that deletes the session cookie.
    pub fn create_blank_session_cookie(&self) -> Cookie<'static> {
        blank_session_cookie(&self.inner.config.cookie)
    }

    fn absolute_expires(&self, record: &SessionRecord) -> Option<i64> {
        self.inner
            .config
            .lifetime
            .absolute_lifetime
            .map(|cap| record.created_at.saturating_add(millis(cap)))
    }

    fn state_of(&self, record: &SessionRecord, now: i64) -> SessionState {
        record.state_at(now, self.absolute_expires(record))
    }

    async fn check_and_renew(&self, record: SessionRecord, token: SessionToken) -> Result<Session> {
        // The store looked the id up; confirm it byte for byte, in constant time, so a
        // case-insensitive collation can never match a different token.
        if !record.id.ct_eq(&token.id()) {
            return Err(Error::InvalidSessionId);
        }
        let now = to_millis(self.now());
        match self.state_of(&record, now) {
            SessionState::Active => {
                Ok(Session::from_record(record, SessionState::Active, false).with_token(token))
            }
            SessionState::Idle => self.renew(record, now, token).await,
            SessionState::Dead => {
                self.inner.adapter.delete_session(&record.id).await?;
                tracing::debug!(target: "lucia::session", session_id = %record.id, reason = "expired", "session rejected");
                Err(Error::InvalidSessionId)
            }
        }
    }

    async fn renew(&self, record: SessionRecord, now: i64, token: SessionToken) -> Result<Session> {
        let lifetime = &self.inner.config.lifetime;
        let cap = self.absolute_expires(&record);
        let active_expires = capped(now.saturating_add(millis(lifetime.active_period)), cap);
        let idle_expires = capped(
            active_expires.saturating_add(millis(lifetime.idle_period)),
            cap,
        );
        let renewed = self
            .inner
            .adapter
            .renew_session(&record.id, now, active_expires, idle_expires)
            .await?
            .ok_or(Error::InvalidSessionId)?;
        match self.state_of(&renewed, now) {
            SessionState::Dead => Err(Error::InvalidSessionId),
            state => {
                tracing::debug!(target: "lucia::session", session_id = %renewed.id, "session renewed");
                Ok(Session::from_record(renewed, state, true).with_token(token))
            }
        }
    }
}

fn millis(duration: time::Duration) -> i64 {
    i64::try_from(duration.whole_milliseconds()).unwrap_or(i64::MAX)
}

fn capped(at: i64, cap: Option<i64>) -> i64 {
    cap.map_or(at, |cap| at.min(cap))
}

fn check_user_id(user_id: &str) -> Result<()> {
    let valid =
        !user_id.is_empty() && user_id.len() <= 255 && !user_id.chars().any(char::is_control);
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidUserId)
    }
}

/// 15 characters from a 62-symbol alphabet by rejection sampling (no symbol favoured).
fn random_user_id() -> Result<String> {
    let mut id = String::with_capacity(USER_ID_LEN);
    let mut bytes = [0_u8; 32];
    while id.len() < USER_ID_LEN {
        getrandom::fill(&mut bytes)
            .map_err(|err| Error::Adapter(BoxError::from(err.to_string())))?;
        for byte in bytes {
            // 62 * 4 = 248: bytes from 248 up would favour the first symbols, so drop them.
            if byte < 248 && id.len() < USER_ID_LEN {
                id.push(char::from(USER_ID_ALPHABET[usize::from(byte % 62)]));
            }
        }
    }
    Ok(id)
}
