//! The adapter contract: how `Auth` reaches the database that holds your users, keys and
//! sessions.
//!
//! An [`Adapter`] is a [`UserAdapter`] plus a [`SessionAdapter`] plus the combined
//! session-and-user lookup that makes validating a request one round trip. Users can live in
//! one store and sessions in another ([`split`]): the combined lookup then asks the session
//! store first and never bypasses it.
//!
//! Every adapter must pass the conformance suite in `lucia::testing` (feature `testing`).
//! The rules it enforces:
//! - inserts are insert-if-absent, never upserts: a duplicate id is an error and the existing
//!   row is untouched;
//! - a user and its first key are created atomically;
//! - renewal is a conditional update that only touches a session that is still present and
//!   still idle, so it never resurrects a deleted one;
//! - expiries are epoch milliseconds, UTC only;
//! - ids are compared case-sensitively;
//! - a driver failure is [`Error::Adapter`](crate::Error::Adapter), never "not found".

pub mod memory;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "sqlx")]
pub mod sql;

use async_trait::async_trait;

use crate::error::Result;
use crate::key::{KeyId, KeyRecord};
use crate::session::{SessionId, SessionRecord};
use crate::user::{User, UserAttributes};

pub use memory::MemoryAdapter;
#[cfg(feature = "redis")]
pub use redis::RedisSessionAdapter;
#[cfg(feature = "mysql")]
pub use sql::mysql::MySqlAdapter;
#[cfg(feature = "postgres")]
pub use sql::postgres::PostgresAdapter;
#[cfg(feature = "sqlite")]
pub use sql::sqlite::SqliteAdapter;

/// Where users and keys are stored.
#[async_trait]
pub trait UserAdapter<U: UserAttributes>: Send + Sync + 'static {
    /// The user with `user_id`, or `None`.
    async fn get_user(&self, user_id: &str) -> Result<Option<User<U>>>;

    /// Inserts a user and, if given, its first key, atomically: never a user without its key.
    ///
    /// # Errors
    /// [`DuplicateKeyId`](crate::Error::DuplicateKeyId) or
    /// [`DuplicateUserId`](crate::Error::DuplicateUserId); nothing is written then.
    async fn insert_user(&self, user: &User<U>, key: Option<&KeyRecord>) -> Result<()>;

    /// Replaces a user's attributes.
    ///
    /// # Errors
    /// [`InvalidUserId`](crate::Error::InvalidUserId) if there is no such user.
    async fn update_user(&self, user: &User<U>) -> Result<()>;

    /// Deletes a user and all its keys. No error if it does not exist.
    async fn delete_user(&self, user_id: &str) -> Result<()>;

    /// The key with `key_id`, or `None`.
    async fn get_key(&self, key_id: &KeyId) -> Result<Option<KeyRecord>>;

    /// All keys of a user (empty for an unknown user).
    async fn get_keys_by_user(&self, user_id: &str) -> Result<Vec<KeyRecord>>;

    /// Inserts a key.
    ///
    /// # Errors
    /// [`DuplicateKeyId`](crate::Error::DuplicateKeyId) or
    /// [`InvalidUserId`](crate::Error::InvalidUserId) when the user does not exist.
    async fn insert_key(&self, key: &KeyRecord) -> Result<()>;

    /// Sets or removes a key's password hash; returns the updated key, `None` if missing.
    async fn update_key_password(
        &self,
        key_id: &KeyId,
        hashed_password: Option<&str>,
    ) -> Result<Option<KeyRecord>>;

    /// Deletes a key unless it is primary. No error if it does not exist.
    async fn delete_non_primary_key(&self, key_id: &KeyId) -> Result<()>;

    /// Deletes every key of a user, primary ones included.
    async fn delete_keys_by_user(&self, user_id: &str) -> Result<()>;
}

/// Where sessions are stored.
#[async_trait]
pub trait SessionAdapter: Send + Sync + 'static {
    /// The session with `id`, or `None`. May return a dead session; `Auth` checks expiry.
    async fn get_session(&self, id: &SessionId) -> Result<Option<SessionRecord>>;

    /// All sessions of a user (empty for an unknown user).
    async fn get_sessions_by_user(&self, user_id: &str) -> Result<Vec<SessionRecord>>;

    /// Inserts a session if its id is free.
    ///
    /// # Errors
    /// [`DuplicateSessionId`](crate::Error::DuplicateSessionId) when the id exists (the
    /// existing session is untouched), [`InvalidUserId`](crate::Error::InvalidUserId) when the
    /// store enforces the user reference and the user does not exist.
    async fn insert_session(&self, session: &SessionRecord) -> Result<()>;

    /// Renews an idle session in place: sets the new expiries only if the session still
    /// exists and is still idle at `now` (`active_expires <= now < idle_expires`). Then
    /// returns the session as stored (renewed by this call or by a concurrent one), or `None`
    /// if it is gone. Never creates a session.
    async fn renew_session(
        &self,
        id: &SessionId,
        now: i64,
        active_expires: i64,
        idle_expires: i64,
    ) -> Result<Option<SessionRecord>>;

    /// Deletes a session. No error if it does not exist.
    async fn delete_session(&self, id: &SessionId) -> Result<()>;

    /// Deletes every session of a user except `keep`, if given.
    async fn delete_sessions_by_user(&self, user_id: &str, keep: Option<&SessionId>) -> Result<()>;

    /// Deletes every session dead at `now` (`idle_expires <= now`); returns how many.
    async fn delete_dead_sessions(&self, now: i64) -> Result<u64>;
}

/// A complete adapter: users, keys, sessions and the combined lookup.
#[async_trait]
pub trait Adapter<U: UserAttributes>: UserAdapter<U> + SessionAdapter {
    /// The session with `id` and its user, in one round trip where the store allows it.
    /// `None` if either is missing.
    async fn get_session_and_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(SessionRecord, User<U>)>>;
}

/// Users from one adapter, sessions from another (users in SQL, sessions in Redis).
///
/// The combined lookup asks the session adapter first, then the user adapter: it never
/// answers a session from the user store.
#[derive(Debug, Clone)]
pub struct Split<Users, Sessions> {
    users: Users,
    sessions: Sessions,
}

/// Combines a user adapter and a session adapter into one [`Adapter`].
pub fn split<Users, Sessions>(users: Users, sessions: Sessions) -> Split<Users, Sessions> {
    Split { users, sessions }
}

#[async_trait]
impl<U, Users, Sessions> UserAdapter<U> for Split<Users, Sessions>
where
    U: UserAttributes,
    Users: UserAdapter<U>,
    Sessions: SessionAdapter,
{
    async fn get_user(&self, user_id: &str) -> Result<Option<User<U>>> {
        self.users.get_user(user_id).await
    }
    async fn insert_user(&self, user: &User<U>, key: Option<&KeyRecord>) -> Result<()> {
        self.users.insert_user(user, key).await
    }
    async fn update_user(&self, user: &User<U>) -> Result<()> {
        self.users.update_user(user).await
    }
    async fn delete_user(&self, user_id: &str) -> Result<()> {
        self.users.delete_user(user_id).await
    }
    async fn get_key(&self, key_id: &KeyId) -> Result<Option<KeyRecord>> {
        self.users.get_key(key_id).await
    }
    async fn get_keys_by_user(&self, user_id: &str) -> Result<Vec<KeyRecord>> {
        self.users.get_keys_by_user(user_id).await
    }
    async fn insert_key(&self, key: &KeyRecord) -> Result<()> {
        self.users.insert_key(key).await
    }
    async fn update_key_password(
        &self,
        key_id: &KeyId,
        hashed_password: Option<&str>,
    ) -> Result<Option<KeyRecord>> {
        self.users
            .update_key_password(key_id, hashed_password)
            .await
    }
    async fn delete_non_primary_key(&self, key_id: &KeyId) -> Result<()> {
        self.users.delete_non_primary_key(key_id).await
    }
    async fn delete_keys_by_user(&self, user_id: &str) -> Result<()> {
        self.users.delete_keys_by_user(user_id).await
    }
}

#[async_trait]
impl<Users, Sessions> SessionAdapter for Split<Users, Sessions>
where
    Users: Send + Sync + 'static,
    Sessions: SessionAdapter,
{
    async fn get_session(&self, id: &SessionId) -> Result<Option<SessionRecord>> {
        self.sessions.get_session(id).await
    }
    async fn get_sessions_by_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        self.sessions.get_sessions_by_user(user_id).await
    }
    async fn insert_session(&self, session: &SessionRecord) -> Result<()> {
        self.sessions.insert_session(session).await
    }
    async fn renew_session(
        &self,
        id: &SessionId,
        now: i64,
        active_expires: i64,
        idle_expires: i64,
    ) -> Result<Option<SessionRecord>> {
        self.sessions
            .renew_session(id, now, active_expires, idle_expires)
            .await
    }
    async fn delete_session(&self, id: &SessionId) -> Result<()> {
        self.sessions.delete_session(id).await
    }
    async fn delete_sessions_by_user(&self, user_id: &str, keep: Option<&SessionId>) -> Result<()> {
        self.sessions.delete_sessions_by_user(user_id, keep).await
    }
    async fn delete_dead_sessions(&self, now: i64) -> Result<u64> {
        self.sessions.delete_dead_sessions(now).await
    }
}

#[async_trait]
impl<U, Users, Sessions> Adapter<U> for Split<Users, Sessions>
where
    U: UserAttributes,
    Users: UserAdapter<U>,
    Sessions: SessionAdapter,
{
    async fn get_session_and_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(SessionRecord, User<U>)>> {
        let Some(session) = self.sessions.get_session(id).await? else {
            return Ok(None);
        };
        let user = self.users.get_user(&session.user_id).await?;
        Ok(user.map(|user| (session, user)))
    }
}
