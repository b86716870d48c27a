//! An in-memory adapter: the default for tests, examples and small tools. Safe under
//! concurrency; everything is lost when the process exits.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;

use super::{Adapter, SessionAdapter, UserAdapter};
use crate::error::{Error, Result};
use crate::key::{KeyId, KeyRecord};
use crate::session::{SessionId, SessionRecord};
use crate::user::{User, UserAttributes};

/// Users, keys and sessions in process memory, behind one lock so that multi-row changes
/// (a user with its key, a user with everything it owns) are atomic.
///
/// ```
/// # async fn demo() -> lucia::Result<()> {
/// use lucia::{Auth, MemoryAdapter};
///
/// let auth = Auth::<()>::builder(MemoryAdapter::new()).build()?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MemoryAdapter<U> {
    state: RwLock<State<U>>,
}

#[derive(Debug)]
struct State<U> {
    users: HashMap<String, User<U>>,
    keys: HashMap<KeyId, KeyRecord>,
    sessions: HashMap<SessionId, SessionRecord>,
}

impl<U> Default for MemoryAdapter<U> {
    fn default() -> Self {
        Self::new()
    }
}

impl<U> MemoryAdapter<U> {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            state: RwLock::new(State {
                users: HashMap::new(),
                keys: HashMap::new(),
                sessions: HashMap::new(),
            }),
        }
    }

    // A poisoned lock means a panic elsewhere mid-operation; every operation below leaves the
    // maps consistent before it can panic, so the data is still sound.
    fn read(&self) -> RwLockReadGuard<'_, State<U>> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State<U>> {
        self.state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl<U: UserAttributes> UserAdapter<U> for MemoryAdapter<U> {
    async fn get_user(&self, user_id: &str) -> Result<Option<User<U>>> {
        Ok(self.read().users.get(user_id).cloned())
    }

    async fn insert_user(&self, user: &User<U>, key: Option<&KeyRecord>) -> Result<()> {
        let mut state = self.write();
        if state.users.contains_key(&user.id) {
            return Err(Error::DuplicateUserId);
        }
        if let Some(key) = key {
            if state.keys.contains_key(&key.id) {
                return Err(Error::DuplicateKeyId);
            }
            state.keys.insert(key.id.clone(), key.clone());
        }
        state.users.insert(user.id.clone(), user.clone());
        Ok(())
    }

    async fn update_user(&self, user: &User<U>) -> Result<()> {
        let mut state = self.write();
        let stored = state.users.get_mut(&user.id).ok_or(Error::InvalidUserId)?;
        stored.attributes = user.attributes.clone();
        Ok(())
    }

    async fn delete_user(&self, user_id: &str) -> Result<()> {
        let mut state = self.write();
        state.keys.retain(|_, key| key.user_id != user_id);
        state
            .sessions
            .retain(|_, session| session.user_id != user_id);
        state.users.remove(user_id);
        Ok(())
    }

    async fn get_key(&self, key_id: &KeyId) -> Result<Option<KeyRecord>> {
        Ok(self.read().keys.get(key_id).cloned())
    }

    async fn get_keys_by_user(&self, user_id: &str) -> Result<Vec<KeyRecord>> {
        Ok(self
            .read()
            .keys
            .values()
            .filter(|key| key.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn insert_key(&self, key: &KeyRecord) -> Result<()> {
        let mut state = self.write();
        if !state.users.contains_key(&key.user_id) {
            return Err(Error::InvalidUserId);
        }
        if state.keys.contains_key(&key.id) {
            return Err(Error::DuplicateKeyId);
        }
        state.keys.insert(key.id.clone(), key.clone());
        Ok(())
    }

    async fn update_key_password(
        &self,
        key_id: &KeyId,
        hashed_password: Option<&str>,
    ) -> Result<Option<KeyRecord>> {
        let mut state = self.write();
        let Some(key) = state.keys.get_mut(key_id) else {
            return Ok(None);
        };
        key.hashed_password = hashed_password.map(str::to_owned);
        Ok(Some(key.clone()))
    }

    async fn delete_non_primary_key(&self, key_id: &KeyId) -> Result<()> {
        let mut state = self.write();
        if state.keys.get(key_id).is_some_and(|key| !key.primary) {
            state.keys.remove(key_id);
        }
        Ok(())
    }

    async fn delete_keys_by_user(&self, user_id: &str) -> Result<()> {
        self.write().keys.retain(|_, key| key.user_id != user_id);
        Ok(())
    }
}

#[async_trait]
impl<U: UserAttributes> SessionAdapter for MemoryAdapter<U> {
    async fn get_session(&self, id: &SessionId) -> Result<Option<SessionRecord>> {
        Ok(self.read().sessions.get(id).cloned())
    }

    async fn get_sessions_by_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        let state = self.read();
        Ok(state
            .sessions
            .values()
            .filter(|session| session.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn insert_session(&self, session: &SessionRecord) -> Result<()> {
        let mut state = self.write();
        if !state.users.contains_key(&session.user_id) {
            return Err(Error::InvalidUserId);
        }
        if state.sessions.contains_key(&session.id) {
            return Err(Error::DuplicateSessionId);
        }
        state.sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }

    async fn renew_session(
        &self,
        id: &SessionId,
        now: i64,
        active_expires: i64,
        idle_expires: i64,
    ) -> Result<Option<SessionRecord>> {
        let mut state = self.write();
        let Some(session) = state.sessions.get_mut(id) else {
            return Ok(None);
        };
        if session.active_expires <= now && now < session.idle_expires {
            session.active_expires = active_expires;
            session.idle_expires = idle_expires;
        }
        Ok(Some(session.clone()))
    }

    async fn delete_session(&self, id: &SessionId) -> Result<()> {
        self.write().sessions.remove(id);
        Ok(())
    }

    async fn delete_sessions_by_user(&self, user_id: &str, keep: Option<&SessionId>) -> Result<()> {
        self.write()
            .sessions
            .retain(|id, session| session.user_id != user_id || Some(id) == keep);
        Ok(())
    }

    async fn delete_dead_sessions(&self, now: i64) -> Result<u64> {
        let mut state = self.write();
        let before = state.sessions.len();
        state
            .sessions
            .retain(|_, session| session.idle_expires > now);
        Ok(u64::try_from(before - state.sessions.len()).unwrap_or(u64::MAX))
    }
}

#[async_trait]
impl<U: UserAttributes> Adapter<U> for MemoryAdapter<U> {
    async fn get_session_and_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(SessionRecord, User<U>)>> {
        let state = self.read();
        let Some(session) = state.sessions.get(id) else {
            return Ok(None);
        };
        Ok(state
            .users
            .get(&session.user_id)
            .map(|user| (session.clone(), user.clone())))
    }
}
