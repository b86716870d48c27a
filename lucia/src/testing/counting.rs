//! An adapter wrapper that counts calls, to prove "one round trip per request", and can hold
//! concurrent session reads together, to prove "at most one effective renewal".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::Barrier;

use crate::adapter::{Adapter, SessionAdapter, UserAdapter};
use crate::error::Result;
use crate::key::{KeyId, KeyRecord};
use crate::session::{SessionId, SessionRecord};
use crate::user::{User, UserAttributes};

/// Wraps an adapter and counts every call, split into reads of the session path
/// (`get_session`, `get_session_and_user`), renewals and everything else.
#[derive(Debug)]
pub struct CountingAdapter<A> {
    inner: A,
    counts: Arc<Counts>,
    gate: Option<ReadGate>,
}

/// Holds the first `held` session reads until all of them have arrived.
#[derive(Debug)]
struct ReadGate {
    held: usize,
    arrived: AtomicUsize,
    barrier: Barrier,
}

impl ReadGate {
    async fn pass(&self) {
        if self.arrived.fetch_add(1, Ordering::SeqCst) < self.held {
            self.barrier.wait().await;
        }
    }
}

/// The counters of a [`CountingAdapter`], shareable after the adapter moved into `Auth`.
#[derive(Debug, Default)]
pub struct Counts {
    /// `get_session` and `get_session_and_user` calls.
    pub session_reads: AtomicU64,
    /// `renew_session` calls.
    pub renewals: AtomicU64,
    /// `renew_session` calls whose result carries the expiries that call asked for, that is
    /// the writes that took effect. Tells writes apart only when every call asks for
    /// different expiries, as with a [`TickingClock`](crate::testing::TickingClock).
    pub effective_renewals: AtomicU64,
    /// All calls, of any method.
    pub total: AtomicU64,
}

impl Counts {
    /// Session reads so far.
    pub fn session_reads(&self) -> u64 {
        self.session_reads.load(Ordering::SeqCst)
    }
    /// Renewals so far.
    pub fn renewals(&self) -> u64 {
        self.renewals.load(Ordering::SeqCst)
    }
    /// Effective renewals so far (see [`Counts::effective_renewals`](Self::effective_renewals)).
    pub fn effective_renewals(&self) -> u64 {
        self.effective_renewals.load(Ordering::SeqCst)
    }
    /// All calls so far.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::SeqCst)
    }
    /// Sets every counter back to zero.
    pub fn reset(&self) {
        self.session_reads.store(0, Ordering::SeqCst);
        self.renewals.store(0, Ordering::SeqCst);
        self.effective_renewals.store(0, Ordering::SeqCst);
        self.total.store(0, Ordering::SeqCst);
    }
}

impl<A> CountingAdapter<A> {
    /// Wraps `inner`.
    pub fn new(inner: A) -> Self {
        Self {
            inner,
            counts: Arc::new(Counts::default()),
            gate: None,
        }
    }

    /// Wraps `inner` and holds the first `readers` session reads (`get_session`,
    /// `get_session_and_user`) until all `readers` have read, so that many concurrent
    /// validations all see the same stored session before any of them writes. Later reads
    /// pass straight through. Fewer than `readers` concurrent reads wait forever.
    pub fn holding_session_reads(inner: A, readers: usize) -> Self {
        Self {
            gate: Some(ReadGate {
                held: readers,
                arrived: AtomicUsize::new(0),
                barrier: Barrier::new(readers),
            }),
            ..Self::new(inner)
        }
    }

    /// The shared counters.
    pub fn counts(&self) -> Arc<Counts> {
        Arc::clone(&self.counts)
    }

    fn count(&self) {
        self.counts.total.fetch_add(1, Ordering::SeqCst);
    }

    async fn pass_gate(&self) {
        if let Some(gate) = &self.gate {
            gate.pass().await;
        }
    }
}

#[async_trait]
impl<U: UserAttributes, A: UserAdapter<U>> UserAdapter<U> for CountingAdapter<A> {
    async fn get_user(&self, user_id: &str) -> Result<Option<User<U>>> {
        self.count();
        self.inner.get_user(user_id).await
    }
    async fn insert_user(&self, user: &User<U>, key: Option<&KeyRecord>) -> Result<()> {
        self.count();
        self.inner.insert_user(user, key).await
    }
    async fn update_user(&self, user: &User<U>) -> Result<()> {
        self.count();
        self.inner.update_user(user).await
    }
    async fn delete_user(&self, user_id: &str) -> Result<()> {
        self.count();
        self.inner.delete_user(user_id).await
    }
    async fn get_key(&self, key_id: &KeyId) -> Result<Option<KeyRecord>> {
        self.count();
        self.inner.get_key(key_id).await
    }
    async fn get_keys_by_user(&self, user_id: &str) -> Result<Vec<KeyRecord>> {
        self.count();
        self.inner.get_keys_by_user(user_id).await
    }
    async fn insert_key(&self, key: &KeyRecord) -> Result<()> {
        self.count();
        self.inner.insert_key(key).await
    }
    async fn update_key_password(
        &self,
        key_id: &KeyId,
        hashed_password: Option<&str>,
    ) -> Result<Option<KeyRecord>> {
        self.count();
        self.inner
            .update_key_password(key_id, hashed_password)
            .await
    }
    async fn delete_non_primary_key(&self, key_id: &KeyId) -> Result<()> {
        self.count();
        self.inner.delete_non_primary_key(key_id).await
    }
    async fn delete_keys_by_user(&self, user_id: &str) -> Result<()> {
        self.count();
        self.inner.delete_keys_by_user(user_id).await
    }
}

#[async_trait]
impl<A: SessionAdapter> SessionAdapter for CountingAdapter<A> {
    async fn get_session(&self, id: &SessionId) -> Result<Option<SessionRecord>> {
        self.count();
        self.counts.session_reads.fetch_add(1, Ordering::SeqCst);
        let session = self.inner.get_session(id).await;
        self.pass_gate().await;
        session
    }
    async fn get_sessions_by_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        self.count();
        self.inner.get_sessions_by_user(user_id).await
    }
    async fn insert_session(&self, session: &SessionRecord) -> Result<()> {
        self.count();
        self.inner.insert_session(session).await
    }
    async fn renew_session(
        &self,
        id: &SessionId,
        now: i64,
        active_expires: i64,
        idle_expires: i64,
    ) -> Result<Option<SessionRecord>> {
        self.count();
        self.counts.renewals.fetch_add(1, Ordering::SeqCst);
        let stored = self
            .inner
            .renew_session(id, now, active_expires, idle_expires)
            .await?;
        let took_effect = stored.as_ref().is_some_and(|session| {
            session.active_expires == active_expires && session.idle_expires == idle_expires
        });
        if took_effect {
            self.counts
                .effective_renewals
                .fetch_add(1, Ordering::SeqCst);
        }
        Ok(stored)
    }
    async fn delete_session(&self, id: &SessionId) -> Result<()> {
        self.count();
        self.inner.delete_session(id).await
    }
    async fn delete_sessions_by_user(&self, user_id: &str, keep: Option<&SessionId>) -> Result<()> {
        self.count();
        self.inner.delete_sessions_by_user(user_id, keep).await
    }
    async fn delete_dead_sessions(&self, now: i64) -> Result<u64> {
        self.count();
        self.inner.delete_dead_sessions(now).await
    }
}

#[async_trait]
impl<U: UserAttributes, A: Adapter<U>> Adapter<U> for CountingAdapter<A> {
    async fn get_session_and_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(SessionRecord, User<U>)>> {
        self.count();
        self.counts.session_reads.fetch_add(1, Ordering::SeqCst);
        let found = self.inner.get_session_and_user(id).await;
        self.pass_gate().await;
        found
    }
}
