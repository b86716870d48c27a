//! The conformance suite every adapter must pass.
//!
//! It holds every case of Lucia v1's adapter test suite (`@lucia-auth/adapter-test` 3.0.1)
//! that applies to this port, with the assertions Lucia left unenforced actually enforced,
//! plus the cases that matter for a session store under load: atomic user and key creation,
//! insert-if-absent for session ids, dead sessions never returned (through [`Auth`] with a
//! [`MockClock`]), renewal racing with invalidation, many concurrent renewals converging on
//! one, and case-sensitive ids.
//!
//! | Lucia v1 test | case here |
//! |---|---|
//! | getUser: user, null for an invalid id | [`get_user_returns_user_or_none`] |
//! | setUser: null key (user or void returned) | [`insert_user_without_key`] |
//! | setUser: user + primary persistent key (user or void returned) | [`insert_user_with_primary_key`] |
//! | setUser: `AUTH_DUPLICATE_KEY_ID` | [`insert_user_with_duplicate_key_is_rejected_and_leaves_no_user`] |
//! | setUser: user not stored if the key insert errors | [`insert_user_with_duplicate_key_is_rejected_and_leaves_no_user`] |
//! | deleteUser | [`delete_user_deletes_only_target_with_its_keys`] |
//! | updateUserAttributes: updates (user or void returned) | [`update_user_replaces_attributes`] |
//! | updateUserAttributes: invalid id | [`update_user_unknown_id_is_invalid_user_id`] |
//! | getKey: persistent key, null for an invalid id | [`get_key_returns_key_or_none`] |
//! | getKey: single-use key | not applicable: this port has no single-use keys (see issue notes) |
//! | setKey: persistent key with and without a password, primary key | [`insert_key_stores_every_kind`] |
//! | setKey: single-use key with a null password | not applicable: this port has no single-use keys (see issue notes) |
//! | setKey: `AUTH_INVALID_USER_ID` | [`insert_key_for_unknown_user_is_invalid_user_id`] |
//! | setKey: `AUTH_DUPLICATE_KEY_ID` | [`insert_key_with_duplicate_id_is_rejected`] |
//! | getKeysByUserId: the user's keys, empty for an unknown user | [`get_keys_by_user_returns_only_that_users_keys`] |
//! | updateKeyPassword: updates, returned key equals the row, invalid id | [`update_key_password_sets_and_removes`] |
//! | deleteNonPrimaryKey: deletes the target only | [`delete_non_primary_key_deletes_only_target`] |
//! | deleteNonPrimaryKey: keeps a primary key | [`delete_non_primary_key_keeps_primary_key`] |
//! | deleteKeysByUserId: the target's keys only, primary keys too | [`delete_keys_by_user_deletes_primary_keys_too`] |
//! | getSession: session, null for an invalid id | [`get_session_returns_session_or_none`] |
//! | getSessionsByUserId: the user's sessions, empty for an unknown user | [`get_sessions_by_user_returns_only_that_users_sessions`] |
//! | setSession: inserts | [`insert_session_stores_every_field`] |
//! | setSession: `AUTH_INVALID_USER_ID` | [`insert_session_for_unknown_user_is_invalid_user_id`] |
//! | setSession: `AUTH_DUPLICATE_SESSION_ID` | [`insert_session_with_duplicate_id_is_rejected_and_existing_untouched`] |
//! | deleteSession | [`delete_session_deletes_only_target`] |
//! | deleteSessionsByUserId | [`delete_sessions_by_user_deletes_only_that_users_sessions`] |
//! | getSessionAndUserBySessionId: session and user, null for an invalid id | [`get_session_and_user_joins_or_returns_none`] |
//!
//! Each case is a public `async fn` taking a fresh adapter over [`TestUser`]. The
//! [`conformance_tests!`](crate::conformance_tests) macro expands to one `#[tokio::test]` per
//! case so that a failure names its case:
//!
//! ```ignore
//! // tests/adapter_memory.rs (needs tokio with `macros` and `rt-multi-thread`)
//! lucia::conformance_tests!(async {
//!     Some(lucia::testing::conformance::Harness::new(lucia::MemoryAdapter::new()))
//! });
//! ```
//!
//! A session-only store (Redis) runs the session cases composed with a memory user store
//! through [`split`](crate::adapter::split), with `conformance_tests!(sessions_only: ...)`:
//! the one case that needs the store to check the user reference is left out there.
//!
//! Every adapter a case gets is empty; cases use fixed ids, so give each test its own tables
//! or key prefix.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::FutureExt;
use time::Duration;

use crate::adapter::{Adapter, SessionAdapter};
use crate::auth::Auth;
use crate::clock::{Clock, MockClock, to_millis};
use crate::error::{AttributeError, Error};
use crate::key::{KeyId, KeyRecord};
use crate::session::{SessionId, SessionRecord, SessionToken};
use crate::testing::{CountingAdapter, TickingClock};
use crate::user::{Column, ColumnType, User, UserAttributes, Value};

/// The user type of the suite: Lucia's `username` plus one column of every other type, so
/// the SQL adapters' type mapping is exercised as well.
#[derive(Debug, Clone, PartialEq)]
pub struct TestUser {
    /// Lucia's suite attribute (`user_XXXX`).
    pub username: String,
    /// A nullable integer.
    pub age: Option<i64>,
    /// A float.
    pub score: f64,
    /// A boolean.
    pub admin: bool,
    /// A nullable timestamp (whole milliseconds, as stored).
    pub joined_at: Option<time::OffsetDateTime>,
}

impl TestUser {
    /// A user named `username` with fixed values in the other columns.
    pub fn named(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            age: Some(42),
            score: 1.5,
            admin: false,
            joined_at: Some(crate::clock::from_millis(1_700_000_000_123)),
        }
    }
}

impl UserAttributes for TestUser {
    const TABLE: &'static str = "auth_user";
    const COLUMNS: &'static [Column] = &[
        Column {
            name: "username",
            ty: ColumnType::Text,
            nullable: false,
        },
        Column {
            name: "age",
            ty: ColumnType::Integer,
            nullable: true,
        },
        Column {
            name: "score",
            ty: ColumnType::Real,
            nullable: false,
        },
        Column {
            name: "admin",
            ty: ColumnType::Bool,
            nullable: false,
        },
        Column {
            name: "joined_at",
            ty: ColumnType::Timestamp,
            nullable: true,
        },
    ];

    fn to_values(&self) -> Vec<Value> {
        use crate::user::AttributeValue;
        vec![
            self.username.to_value(),
            self.age.to_value(),
            self.score.to_value(),
            self.admin.to_value(),
            self.joined_at.to_value(),
        ]
    }

    fn from_values(values: Vec<Value>) -> Result<Self, AttributeError> {
        use crate::user::AttributeValue;
        let mut values = values.into_iter();
        let mut next = |column: &'static str| {
            values
                .next()
                .ok_or(AttributeError::Missing { column })
                .map(|value| (column, value))
        };
        let (column, value) = next("username")?;
        let username = String::from_value(column, value)?;
        let (column, value) = next("age")?;
        let age = Option::<i64>::from_value(column, value)?;
        let (column, value) = next("score")?;
        let score = f64::from_value(column, value)?;
        let (column, value) = next("admin")?;
        let admin = bool::from_value(column, value)?;
        let (column, value) = next("joined_at")?;
        let joined_at = Option::<time::OffsetDateTime>::from_value(column, value)?;
        Ok(Self {
            username,
            age,
            score,
            admin,
            joined_at,
        })
    }
}

/// Work to run after a case, such as dropping the case's tables.
pub type Cleanup = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// A fresh adapter for one case, with what to do afterwards.
pub struct Harness<A> {
    adapter: A,
    cleanup: Option<Cleanup>,
}

impl<A> std::fmt::Debug for Harness<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness").finish_non_exhaustive()
    }
}

impl<A> Harness<A> {
    /// An adapter that needs no cleanup.
    pub fn new(adapter: A) -> Self {
        Self {
            adapter,
            cleanup: None,
        }
    }

    /// Runs a boxed cleanup after the case, whether it passed or failed.
    pub fn with_boxed_cleanup(mut self, cleanup: Cleanup) -> Self {
        self.cleanup = Some(cleanup);
        self
    }

    /// Runs `cleanup` after the case, whether it passed or failed, so a failing case leaves
    /// no tables or keys behind.
    pub fn with_cleanup<F, Fut>(mut self, cleanup: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.cleanup = Some(Box::new(move || Box::pin(cleanup())));
        self
    }

    /// Runs one case against the adapter, then the cleanup, also when the case panicked;
    /// the case's panic is then raised again, unchanged.
    pub async fn run<F, Fut>(self, case: F)
    where
        F: FnOnce(A) -> Fut,
        Fut: Future<Output = ()>,
    {
        // Unwind safe: the case owns the adapter, so nothing it left half-done is used again.
        let outcome = AssertUnwindSafe(case(self.adapter)).catch_unwind().await;
        if let Some(cleanup) = self.cleanup {
            cleanup().await;
        }
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }
}

/// Expands to one `#[tokio::test]` per conformance case.
///
/// `$make` is an expression, evaluated afresh in every test, whose value is a future of
/// `Option<Harness<A>>` (`None`: the store is unreachable and the test is skipped; the
/// expression reports why). The calling crate needs `tokio` with the `macros` and
/// `rt-multi-thread` features.
///
/// - `conformance_tests!($make)`: every case, for a complete adapter.
/// - `conformance_tests!(sessions_only: $make)`: for `split(memory_users, sessions)` where
///   the session store does not check that the user exists.
#[macro_export]
macro_rules! conformance_tests {
    (sessions_only: $make:expr) => {
        $crate::__conformance_cases!($make;
            get_session_returns_session_or_none,
            get_sessions_by_user_returns_only_that_users_sessions,
            insert_session_stores_every_field,
            insert_session_with_duplicate_id_is_rejected_and_existing_untouched,
            delete_session_deletes_only_target,
            delete_sessions_by_user_deletes_only_that_users_sessions,
            delete_sessions_by_user_keeps_the_given_session,
            delete_dead_sessions_deletes_only_dead_ones,
            get_session_and_user_joins_or_returns_none,
            renew_session_updates_only_an_idle_session,
            renew_session_never_resurrects_a_deleted_session,
            dead_sessions_are_never_returned,
            absolute_lifetime_caps_renewal,
            renewal_racing_with_invalidation_never_resurrects,
            concurrent_renewals_converge_on_one,
            expiries_are_stored_as_exact_epoch_millis,
            session_ids_are_case_sensitive,
        );
    };
    ($make:expr) => {
        $crate::conformance_tests!(sessions_only: $make);
        $crate::__conformance_cases!($make;
            get_user_returns_user_or_none,
            insert_user_without_key,
            insert_user_with_primary_key,
            insert_user_with_duplicate_key_is_rejected_and_leaves_no_user,
            insert_user_with_duplicate_id_is_rejected,
            delete_user_deletes_only_target_with_its_keys,
            update_user_replaces_attributes,
            update_user_unknown_id_is_invalid_user_id,
            get_key_returns_key_or_none,
            insert_key_stores_every_kind,
            insert_key_for_unknown_user_is_invalid_user_id,
            insert_key_with_duplicate_id_is_rejected,
            get_keys_by_user_returns_only_that_users_keys,
            update_key_password_sets_and_removes,
            delete_non_primary_key_deletes_only_target,
            delete_non_primary_key_keeps_primary_key,
            delete_keys_by_user_deletes_primary_keys_too,
            insert_session_for_unknown_user_is_invalid_user_id,
            user_and_key_ids_are_case_sensitive,
            concurrent_user_creation_all_succeeds,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($make:expr; $($case:ident),* $(,)?) => {$(
        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $case() {
            let Some(harness) = ($make).await else { return };
            harness.run($crate::testing::conformance::$case).await;
        }
    )*};
}

// ---- fixtures ----------------------------------------------------------------------------

const HOUR: i64 = 3_600_000;

fn now_ms() -> i64 {
    to_millis(time::OffsetDateTime::now_utc())
}

fn user(id: &str) -> User<TestUser> {
    User::new(id, TestUser::named(&format!("user_{id}")))
}

fn key_id(provider_user_id: &str) -> KeyId {
    KeyId::new("test", provider_user_id).expect("fixture key ids are well formed")
}

fn key(provider_user_id: &str, user_id: &str, primary: bool, hash: Option<&str>) -> KeyRecord {
    KeyRecord {
        id: key_id(provider_user_id),
        user_id: user_id.to_owned(),
        primary,
        hashed_password: hash.map(str::to_owned),
    }
}

/// A session of `user_id`, active for 8 h and idle for 24 h after that (Lucia's fixture),
/// with a random id.
fn session(user_id: &str) -> SessionRecord {
    let now = now_ms();
    let token = SessionToken::generate().expect("the OS random source works");
    SessionRecord {
        id: token.id(),
        user_id: user_id.to_owned(),
        active_expires: now + 8 * HOUR,
        idle_expires: now + 32 * HOUR,
        created_at: now,
    }
}

async fn insert_users<A: Adapter<TestUser>>(adapter: &A, ids: &[&str]) {
    for id in ids {
        adapter
            .insert_user(&user(id), None)
            .await
            .expect("insert fixture user");
    }
}

fn sorted_keys(mut keys: Vec<KeyRecord>) -> Vec<KeyRecord> {
    keys.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    keys
}

fn sorted_sessions(mut sessions: Vec<SessionRecord>) -> Vec<SessionRecord> {
    sessions.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    sessions
}

/// An `Auth` over `adapter` with a mock clock standing at the current time.
fn auth_with_clock<A: Adapter<TestUser>>(
    adapter: Arc<A>,
    active: Duration,
    idle: Duration,
    absolute: Option<Duration>,
) -> (Auth<TestUser>, Arc<MockClock>) {
    let clock = Arc::new(MockClock::starting_now());
    let auth = Auth::builder_shared(adapter)
        .clock(Arc::clone(&clock))
        .session_expires_in(active, idle)
        .absolute_lifetime(absolute)
        .build()
        .expect("valid test configuration");
    (auth, clock)
}

// ---- users (Lucia: getUser, setUser, deleteUser, updateUserAttributes) -------------------

/// `get_user` returns the stored user, and `None` for `INVALID_INPUT`.
pub async fn get_user_returns_user_or_none<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let found = adapter.get_user("user1").await.expect("get_user");
    assert_eq!(found, Some(user("user1")));
    assert_eq!(
        adapter.get_user("INVALID_INPUT").await.expect("get_user"),
        None
    );
}

/// `insert_user` with no key stores the user and no key.
pub async fn insert_user_without_key<A: Adapter<TestUser>>(adapter: A) {
    let mut stored = user("user1");
    stored.attributes.age = None;
    stored.attributes.joined_at = None;
    stored.attributes.admin = true;
    adapter
        .insert_user(&stored, None)
        .await
        .expect("insert_user");
    assert_eq!(
        adapter.get_user("user1").await.expect("get_user"),
        Some(stored)
    );
    assert!(
        adapter
            .get_keys_by_user("user1")
            .await
            .expect("keys")
            .is_empty()
    );
}

/// `insert_user` with a primary persistent key stores both, field for field.
pub async fn insert_user_with_primary_key<A: Adapter<TestUser>>(adapter: A) {
    let stored = user("user1");
    let primary = key("user1@example.com", "user1", true, Some("HASHED"));
    adapter
        .insert_user(&stored, Some(&primary))
        .await
        .expect("insert_user");
    assert_eq!(
        adapter.get_user("user1").await.expect("get_user"),
        Some(stored)
    );
    assert_eq!(
        adapter.get_key(&primary.id).await.expect("get_key"),
        Some(primary)
    );
}

/// A duplicate key id fails with `DuplicateKeyId` and leaves neither the new user nor any key
/// of it behind (Lucia's "user not stored if key insert errors", checked on both tables).
pub async fn insert_user_with_duplicate_key_is_rejected_and_leaves_no_user<A>(adapter: A)
where
    A: Adapter<TestUser>,
{
    let existing = key("user1@example.com", "user1", true, Some("HASHED"));
    adapter
        .insert_user(&user("user1"), Some(&existing))
        .await
        .expect("insert_user");
    let clash = key("user1@example.com", "user2", true, None);
    let result = adapter.insert_user(&user("user2"), Some(&clash)).await;
    assert!(
        matches!(result, Err(Error::DuplicateKeyId)),
        "expected DuplicateKeyId, got {result:?}"
    );
    assert_eq!(adapter.get_user("user2").await.expect("get_user"), None);
    assert!(
        adapter
            .get_keys_by_user("user2")
            .await
            .expect("keys")
            .is_empty()
    );
    assert_eq!(
        adapter.get_key(&existing.id).await.expect("get_key"),
        Some(existing)
    );
}

/// A duplicate user id fails with `DuplicateUserId`; the existing user is untouched and the
/// new key is not stored.
pub async fn insert_user_with_duplicate_id_is_rejected<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let mut other = user("user1");
    other.attributes.username = "someone_else".into();
    let new_key = key("other@example.com", "user1", true, None);
    let result = adapter.insert_user(&other, Some(&new_key)).await;
    assert!(
        matches!(result, Err(Error::DuplicateUserId)),
        "expected DuplicateUserId, got {result:?}"
    );
    assert_eq!(
        adapter.get_user("user1").await.expect("get_user"),
        Some(user("user1"))
    );
    assert_eq!(adapter.get_key(&new_key.id).await.expect("get_key"), None);
}

/// `delete_user` deletes the target and its keys, leaves other users, and does not fail for
/// an unknown id.
pub async fn delete_user_deletes_only_target_with_its_keys<A: Adapter<TestUser>>(adapter: A) {
    let target_key = key("user1@example.com", "user1", true, None);
    let other_key = key("user2@example.com", "user2", true, None);
    adapter
        .insert_user(&user("user1"), Some(&target_key))
        .await
        .expect("insert_user");
    adapter
        .insert_user(&user("user2"), Some(&other_key))
        .await
        .expect("insert_user");
    adapter.delete_user("user1").await.expect("delete_user");
    assert_eq!(adapter.get_user("user1").await.expect("get_user"), None);
    assert_eq!(
        adapter.get_key(&target_key.id).await.expect("get_key"),
        None
    );
    assert_eq!(
        adapter.get_user("user2").await.expect("get_user"),
        Some(user("user2"))
    );
    assert_eq!(
        adapter.get_key(&other_key.id).await.expect("get_key"),
        Some(other_key)
    );
    adapter
        .delete_user("INVALID_INPUT")
        .await
        .expect("no error for a missing user");
}

/// `update_user` replaces the attributes of that user only.
pub async fn update_user_replaces_attributes<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1", "user2"]).await;
    let mut updated = user("user1");
    updated.attributes.username = "user_renamed".into();
    updated.attributes.age = None;
    updated.attributes.admin = true;
    adapter.update_user(&updated).await.expect("update_user");
    assert_eq!(
        adapter.get_user("user1").await.expect("get_user"),
        Some(updated.clone())
    );
    assert_eq!(
        adapter.get_user("user2").await.expect("get_user"),
        Some(user("user2"))
    );
    // Writing identical values again is still an update of an existing user.
    adapter
        .update_user(&updated)
        .await
        .expect("idempotent update_user");
}

/// `update_user` on an unknown id is `InvalidUserId` (Lucia never awaited this assertion).
pub async fn update_user_unknown_id_is_invalid_user_id<A: Adapter<TestUser>>(adapter: A) {
    let result = adapter.update_user(&user("INVALID_INPUT")).await;
    assert!(
        matches!(result, Err(Error::InvalidUserId)),
        "expected InvalidUserId, got {result:?}"
    );
    assert_eq!(
        adapter.get_user("INVALID_INPUT").await.expect("get_user"),
        None
    );
}

// ---- keys (Lucia: getKey, setKey, getKeysByUserId, updateKeyPassword, delete*) ----------

/// `get_key` returns the stored key, and `None` for an unknown key id (Lucia's test called
/// `getUser` here).
pub async fn get_key_returns_key_or_none<A: Adapter<TestUser>>(adapter: A) {
    let stored = key("user1@example.com", "user1", true, Some("HASHED"));
    adapter
        .insert_user(&user("user1"), Some(&stored))
        .await
        .expect("insert_user");
    assert_eq!(
        adapter.get_key(&stored.id).await.expect("get_key"),
        Some(stored)
    );
    let unknown = key_id("nobody@example.com");
    assert_eq!(adapter.get_key(&unknown).await.expect("get_key"), None);
}

/// `insert_key` stores keys with and without a password and primary keys, field for field,
/// including a provider user id that contains `:`.
pub async fn insert_key_stores_every_kind<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let keys = [
        key("with-password@example.com", "user1", false, Some("HASHED")),
        key("without-password@example.com", "user1", false, None),
        key("primary@example.com", "user1", true, None),
        key("a:b:c", "user1", false, None),
    ];
    for stored in &keys {
        adapter.insert_key(stored).await.expect("insert_key");
        assert_eq!(
            adapter.get_key(&stored.id).await.expect("get_key").as_ref(),
            Some(stored)
        );
    }
}

/// `insert_key` for a user that does not exist is `InvalidUserId`.
pub async fn insert_key_for_unknown_user_is_invalid_user_id<A: Adapter<TestUser>>(adapter: A) {
    let orphan = key("user1@example.com", "INVALID_INPUT", false, None);
    let result = adapter.insert_key(&orphan).await;
    assert!(
        matches!(result, Err(Error::InvalidUserId)),
        "expected InvalidUserId, got {result:?}"
    );
    assert_eq!(adapter.get_key(&orphan.id).await.expect("get_key"), None);
}

/// A duplicate key id is `DuplicateKeyId`; the existing key is untouched.
pub async fn insert_key_with_duplicate_id_is_rejected<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1", "user2"]).await;
    let existing = key("user1@example.com", "user1", false, Some("HASHED"));
    adapter.insert_key(&existing).await.expect("insert_key");
    let clash = key("user1@example.com", "user2", false, None);
    let result = adapter.insert_key(&clash).await;
    assert!(
        matches!(result, Err(Error::DuplicateKeyId)),
        "expected DuplicateKeyId, got {result:?}"
    );
    assert_eq!(
        adapter.get_key(&existing.id).await.expect("get_key"),
        Some(existing)
    );
}

/// `get_keys_by_user` returns that user's keys only, and nothing for an unknown user.
pub async fn get_keys_by_user_returns_only_that_users_keys<A: Adapter<TestUser>>(adapter: A) {
    let own_primary = key("user1@example.com", "user1", true, None);
    adapter
        .insert_user(&user("user1"), Some(&own_primary))
        .await
        .expect("insert_user");
    insert_users(&adapter, &["user2"]).await;
    let own = key("user1-github", "user1", false, None);
    let foreign = key("user2@example.com", "user2", false, None);
    adapter.insert_key(&own).await.expect("insert_key");
    adapter.insert_key(&foreign).await.expect("insert_key");
    let keys = adapter.get_keys_by_user("user1").await.expect("keys");
    assert_eq!(sorted_keys(keys), sorted_keys(vec![own_primary, own]));
    assert!(
        adapter
            .get_keys_by_user("INVALID_INPUT")
            .await
            .expect("keys")
            .is_empty()
    );
}

/// `update_key_password` sets and removes the hash and returns the row as stored; an unknown
/// key is `None` (Lucia never awaited that assertion).
pub async fn update_key_password_sets_and_removes<A: Adapter<TestUser>>(adapter: A) {
    let mut stored = key("user1@example.com", "user1", true, Some("HASHED"));
    adapter
        .insert_user(&user("user1"), Some(&stored))
        .await
        .expect("insert_user");
    let returned = adapter
        .update_key_password(&stored.id, Some("NEW_HASH"))
        .await
        .expect("update_key_password");
    stored.hashed_password = Some("NEW_HASH".into());
    assert_eq!(returned.as_ref(), Some(&stored));
    assert_eq!(
        adapter.get_key(&stored.id).await.expect("get_key").as_ref(),
        Some(&stored)
    );

    let returned = adapter
        .update_key_password(&stored.id, None)
        .await
        .expect("update_key_password");
    stored.hashed_password = None;
    assert_eq!(returned.as_ref(), Some(&stored));
    assert_eq!(
        adapter.get_key(&stored.id).await.expect("get_key"),
        Some(stored)
    );

    let unknown = adapter
        .update_key_password(&key_id("nobody@example.com"), Some("X"))
        .await
        .expect("update_key_password");
    assert_eq!(unknown, None);
}

/// `delete_non_primary_key` deletes the target only; no error for a missing key.
pub async fn delete_non_primary_key_deletes_only_target<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let target = key("target@example.com", "user1", false, None);
    let other = key("other@example.com", "user1", false, None);
    adapter.insert_key(&target).await.expect("insert_key");
    adapter.insert_key(&other).await.expect("insert_key");
    adapter
        .delete_non_primary_key(&target.id)
        .await
        .expect("delete_non_primary_key");
    assert_eq!(adapter.get_key(&target.id).await.expect("get_key"), None);
    assert_eq!(
        adapter.get_key(&other.id).await.expect("get_key"),
        Some(other)
    );
    adapter
        .delete_non_primary_key(&key_id("nobody@example.com"))
        .await
        .expect("no error for a missing key");
}

/// `delete_non_primary_key` leaves a primary key in place.
pub async fn delete_non_primary_key_keeps_primary_key<A: Adapter<TestUser>>(adapter: A) {
    let primary = key("user1@example.com", "user1", true, None);
    adapter
        .insert_user(&user("user1"), Some(&primary))
        .await
        .expect("insert_user");
    adapter
        .delete_non_primary_key(&primary.id)
        .await
        .expect("delete_non_primary_key");
    assert_eq!(
        adapter.get_key(&primary.id).await.expect("get_key"),
        Some(primary)
    );
}

/// `delete_keys_by_user` deletes every key of the user, primary ones included (Lucia's test
/// of that used a non-primary fixture), and no key of another user; no error for an unknown
/// user.
pub async fn delete_keys_by_user_deletes_primary_keys_too<A: Adapter<TestUser>>(adapter: A) {
    let primary = key("user1@example.com", "user1", true, None);
    adapter
        .insert_user(&user("user1"), Some(&primary))
        .await
        .expect("insert_user");
    let other_users = key("user2@example.com", "user2", true, None);
    adapter
        .insert_user(&user("user2"), Some(&other_users))
        .await
        .expect("insert_user");
    let secondary = key("user1-github", "user1", false, None);
    adapter.insert_key(&secondary).await.expect("insert_key");
    adapter
        .delete_keys_by_user("user1")
        .await
        .expect("delete_keys_by_user");
    assert!(
        adapter
            .get_keys_by_user("user1")
            .await
            .expect("keys")
            .is_empty()
    );
    assert_eq!(
        adapter.get_key(&other_users.id).await.expect("get_key"),
        Some(other_users)
    );
    assert!(adapter.get_user("user1").await.expect("get_user").is_some());
    adapter
        .delete_keys_by_user("INVALID_INPUT")
        .await
        .expect("no error for an unknown user");
}

// ---- sessions (Lucia: getSession, getSessionsByUserId, setSession, delete*) --------------

/// `get_session` returns the stored session, and `None` for an unknown id.
pub async fn get_session_returns_session_or_none<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let stored = session("user1");
    adapter
        .insert_session(&stored)
        .await
        .expect("insert_session");
    assert_eq!(
        adapter.get_session(&stored.id).await.expect("get_session"),
        Some(stored)
    );
    let unknown = session("user1").id;
    assert_eq!(
        adapter.get_session(&unknown).await.expect("get_session"),
        None
    );
}

/// `get_sessions_by_user` returns that user's sessions only, and nothing for an unknown user.
pub async fn get_sessions_by_user_returns_only_that_users_sessions<A>(adapter: A)
where
    A: Adapter<TestUser>,
{
    insert_users(&adapter, &["user1", "user2"]).await;
    let own = [session("user1"), session("user1")];
    for stored in &own {
        adapter
            .insert_session(stored)
            .await
            .expect("insert_session");
    }
    adapter
        .insert_session(&session("user2"))
        .await
        .expect("insert_session");
    let found = adapter
        .get_sessions_by_user("user1")
        .await
        .expect("sessions");
    assert_eq!(sorted_sessions(found), sorted_sessions(own.to_vec()));
    assert!(
        adapter
            .get_sessions_by_user("INVALID_INPUT")
            .await
            .expect("sessions")
            .is_empty()
    );
}

/// `insert_session` stores every field exactly: ids, and epoch-millisecond expiries.
pub async fn insert_session_stores_every_field<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let mut stored = session("user1");
    // Values that would not survive a seconds or 32-bit round trip.
    stored.active_expires = stored.created_at + 1_234_567;
    stored.idle_expires = stored.created_at + 98_765_432_101;
    adapter
        .insert_session(&stored)
        .await
        .expect("insert_session");
    assert_eq!(
        adapter.get_session(&stored.id).await.expect("get_session"),
        Some(stored)
    );
}

/// `insert_session` for a user that does not exist is `InvalidUserId` (where the store holds
/// users too).
pub async fn insert_session_for_unknown_user_is_invalid_user_id<A>(adapter: A)
where
    A: Adapter<TestUser>,
{
    let orphan = session("INVALID_INPUT");
    let result = adapter.insert_session(&orphan).await;
    assert!(
        matches!(result, Err(Error::InvalidUserId)),
        "expected InvalidUserId, got {result:?}"
    );
    assert_eq!(
        adapter.get_session(&orphan.id).await.expect("get_session"),
        None
    );
}

/// Case 2: a second insert with an existing id fails with `DuplicateSessionId` (insert if
/// absent, never upsert) and the existing row, of another user, is untouched.
pub async fn insert_session_with_duplicate_id_is_rejected_and_existing_untouched<A>(adapter: A)
where
    A: Adapter<TestUser>,
{
    insert_users(&adapter, &["user_a", "user_b"]).await;
    let original = session("user_a");
    adapter
        .insert_session(&original)
        .await
        .expect("insert_session");
    let mut collision = session("user_b");
    collision.id = original.id.clone();
    collision.active_expires += HOUR;
    collision.idle_expires += HOUR;
    let result = adapter.insert_session(&collision).await;
    assert!(
        matches!(result, Err(Error::DuplicateSessionId)),
        "expected DuplicateSessionId, got {result:?}"
    );
    let stored = adapter
        .get_session(&original.id)
        .await
        .expect("get_session");
    assert_eq!(stored.as_ref().map(|s| s.user_id.as_str()), Some("user_a"));
    assert_eq!(stored, Some(original));
    assert!(
        adapter
            .get_sessions_by_user("user_b")
            .await
            .expect("sessions")
            .is_empty()
    );
}

/// `delete_session` deletes the target only; no error for a missing id.
pub async fn delete_session_deletes_only_target<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let target = session("user1");
    let other = session("user1");
    adapter
        .insert_session(&target)
        .await
        .expect("insert_session");
    adapter
        .insert_session(&other)
        .await
        .expect("insert_session");
    adapter
        .delete_session(&target.id)
        .await
        .expect("delete_session");
    assert_eq!(
        adapter.get_session(&target.id).await.expect("get_session"),
        None
    );
    assert_eq!(
        adapter.get_session(&other.id).await.expect("get_session"),
        Some(other.clone())
    );
    adapter
        .delete_session(&target.id)
        .await
        .expect("no error for a missing session");
    let listed = adapter
        .get_sessions_by_user("user1")
        .await
        .expect("sessions");
    assert_eq!(listed, vec![other]);
}

/// `delete_sessions_by_user` deletes every session of that user and none of another.
pub async fn delete_sessions_by_user_deletes_only_that_users_sessions<A>(adapter: A)
where
    A: Adapter<TestUser>,
{
    insert_users(&adapter, &["user1", "user2"]).await;
    let targets = [session("user1"), session("user1")];
    for target in &targets {
        adapter
            .insert_session(target)
            .await
            .expect("insert_session");
    }
    let other = session("user2");
    adapter
        .insert_session(&other)
        .await
        .expect("insert_session");
    adapter
        .delete_sessions_by_user("user1", None)
        .await
        .expect("delete_sessions_by_user");
    for target in &targets {
        assert_eq!(
            adapter.get_session(&target.id).await.expect("get_session"),
            None
        );
    }
    assert!(
        adapter
            .get_sessions_by_user("user1")
            .await
            .expect("sessions")
            .is_empty()
    );
    assert_eq!(
        adapter.get_session(&other.id).await.expect("get_session"),
        Some(other)
    );
    adapter
        .delete_sessions_by_user("INVALID_INPUT", None)
        .await
        .expect("no error for an unknown user");
}

/// `delete_sessions_by_user` with `keep` leaves exactly that session.
pub async fn delete_sessions_by_user_keeps_the_given_session<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let keep = session("user1");
    let drop = [session("user1"), session("user1")];
    adapter.insert_session(&keep).await.expect("insert_session");
    for dropped in &drop {
        adapter
            .insert_session(dropped)
            .await
            .expect("insert_session");
    }
    adapter
        .delete_sessions_by_user("user1", Some(&keep.id))
        .await
        .expect("delete_sessions_by_user");
    let left = adapter
        .get_sessions_by_user("user1")
        .await
        .expect("sessions");
    assert_eq!(left, vec![keep]);
}

/// `delete_dead_sessions(now)` deletes exactly the sessions with `idle_expires <= now` and
/// counts them.
pub async fn delete_dead_sessions_deletes_only_dead_ones<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    // All alive in real time (a store's own expiry must not interfere); `now` is later.
    let base = now_ms();
    let now = base + 10 * HOUR;
    let mut dead = [session("user1"), session("user1")];
    dead[0].idle_expires = now - 1;
    dead[1].idle_expires = now; // dead exactly at the boundary
    let mut alive = session("user1");
    alive.idle_expires = now + 1;
    for stored in dead.iter().chain([&alive]) {
        let mut stored = stored.clone();
        stored.active_expires = base + HOUR;
        adapter
            .insert_session(&stored)
            .await
            .expect("insert_session");
    }
    let deleted = adapter
        .delete_dead_sessions(now)
        .await
        .expect("delete_dead_sessions");
    assert_eq!(deleted, 2);
    for stored in &dead {
        assert_eq!(
            adapter.get_session(&stored.id).await.expect("get_session"),
            None
        );
    }
    let left = adapter
        .get_sessions_by_user("user1")
        .await
        .expect("sessions");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, alive.id);
}

/// `get_session_and_user` returns the session with its user, and `None` for an unknown id.
pub async fn get_session_and_user_joins_or_returns_none<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1", "user2"]).await;
    let stored = session("user1");
    adapter
        .insert_session(&stored)
        .await
        .expect("insert_session");
    adapter
        .insert_session(&session("user2"))
        .await
        .expect("insert_session");
    let found = adapter
        .get_session_and_user(&stored.id)
        .await
        .expect("get_session_and_user");
    assert_eq!(found, Some((stored, user("user1"))));
    let unknown = session("user1").id;
    assert_eq!(
        adapter
            .get_session_and_user(&unknown)
            .await
            .expect("get_session_and_user"),
        None
    );
}

/// `renew_session` writes new expiries only when the session is idle at `now`; for an active
/// or dead session it returns the row unchanged.
pub async fn renew_session_updates_only_an_idle_session<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let stored = session("user1");
    adapter
        .insert_session(&stored)
        .await
        .expect("insert_session");
    let (new_active, new_idle) = (stored.idle_expires + HOUR, stored.idle_expires + 2 * HOUR);

    // Active: no write.
    let active_now = stored.active_expires - 1;
    let unchanged = adapter
        .renew_session(&stored.id, active_now, new_active, new_idle)
        .await
        .expect("renew_session");
    assert_eq!(unchanged.as_ref(), Some(&stored));

    // Dead (exactly at the idle boundary): no write.
    let dead_now = stored.idle_expires;
    let unchanged = adapter
        .renew_session(&stored.id, dead_now, new_active, new_idle)
        .await
        .expect("renew_session");
    assert_eq!(unchanged.as_ref(), Some(&stored));

    // Idle (exactly at the active boundary): renewed in place, creation time kept.
    let idle_now = stored.active_expires;
    let renewed = adapter
        .renew_session(&stored.id, idle_now, new_active, new_idle)
        .await
        .expect("renew_session");
    let expected = SessionRecord {
        active_expires: new_active,
        idle_expires: new_idle,
        ..stored.clone()
    };
    assert_eq!(renewed.as_ref(), Some(&expected));
    assert_eq!(
        adapter.get_session(&stored.id).await.expect("get_session"),
        Some(expected)
    );
}

/// `renew_session` on a deleted session returns `None` and does not bring it back.
pub async fn renew_session_never_resurrects_a_deleted_session<A>(adapter: A)
where
    A: Adapter<TestUser>,
{
    insert_users(&adapter, &["user1"]).await;
    let stored = session("user1");
    adapter
        .insert_session(&stored)
        .await
        .expect("insert_session");
    adapter
        .delete_session(&stored.id)
        .await
        .expect("delete_session");
    let renewed = adapter
        .renew_session(
            &stored.id,
            stored.active_expires,
            stored.idle_expires + HOUR,
            stored.idle_expires + 2 * HOUR,
        )
        .await
        .expect("renew_session");
    assert_eq!(renewed, None);
    assert_eq!(
        adapter.get_session(&stored.id).await.expect("get_session"),
        None
    );
    assert!(
        adapter
            .get_sessions_by_user("user1")
            .await
            .expect("sessions")
            .is_empty()
    );
}

// ---- through Auth ------------------------------------------------------------------------

/// Case 5: with active 1 s, idle 1 s and absolute 3 s, a session validated at `t0 + 2.001 s`
/// (cleanup job off) is refused on both validation paths and the store no longer returns it.
pub async fn dead_sessions_are_never_returned<A: Adapter<TestUser>>(adapter: A) {
    let adapter = Arc::new(adapter);
    insert_users(adapter.as_ref(), &["user1"]).await;
    let (auth, clock) = auth_with_clock(
        Arc::clone(&adapter),
        Duration::seconds(1),
        Duration::seconds(1),
        Some(Duration::seconds(3)),
    );
    let created = auth.create_session("user1").await.expect("create_session");
    let token = created
        .token()
        .expect("new sessions carry a token")
        .expose()
        .to_owned();
    clock.advance(Duration::milliseconds(2_001));
    let user_path = auth.validate_session_user(&token).await;
    assert!(
        matches!(user_path, Err(Error::InvalidSessionId)),
        "expected InvalidSessionId, got {user_path:?}"
    );
    let session_path = auth.validate_session(&token).await;
    assert!(
        matches!(session_path, Err(Error::InvalidSessionId)),
        "expected InvalidSessionId, got {session_path:?}"
    );
    assert_eq!(
        adapter.get_session(&created.id).await.expect("get_session"),
        None
    );
    assert!(matches!(
        auth.get_session(&created.id).await,
        Err(Error::InvalidSessionId)
    ));
}

/// Case 5, second half: renewed at `t0 + 1.5 s`, the session still dies at the absolute cap
/// `t0 + 3 s`, and no stored expiry ever passes `created_at + 3 s`.
pub async fn absolute_lifetime_caps_renewal<A: Adapter<TestUser>>(adapter: A) {
    let adapter = Arc::new(adapter);
    insert_users(adapter.as_ref(), &["user1"]).await;
    let (auth, clock) = auth_with_clock(
        Arc::clone(&adapter),
        Duration::seconds(1),
        Duration::seconds(1),
        Some(Duration::seconds(3)),
    );
    let created = auth.create_session("user1").await.expect("create_session");
    let token = created
        .token()
        .expect("new sessions carry a token")
        .expose()
        .to_owned();
    let cap = to_millis(created.created_at) + 3_000;

    clock.advance(Duration::milliseconds(1_500));
    let renewed = auth
        .validate_session(&token)
        .await
        .expect("idle session renews");
    assert!(renewed.fresh);
    let stored = adapter
        .get_session(&created.id)
        .await
        .expect("get_session")
        .expect("renewed session is stored");
    assert_eq!(stored.created_at, to_millis(created.created_at));
    assert_eq!(stored.active_expires, to_millis(created.created_at) + 2_500);
    assert_eq!(stored.idle_expires, cap);

    clock.advance(Duration::milliseconds(1_000)); // t0 + 2.5 s: idle again, renewal capped
    let again = auth
        .validate_session(&token)
        .await
        .expect("still within the cap");
    assert!(to_millis(again.idle_expires) <= cap);

    clock.set(crate::clock::from_millis(cap + 1)); // t0 + 3.001 s
    let result = auth.validate_session_user(&token).await;
    assert!(
        matches!(result, Err(Error::InvalidSessionId)),
        "expected InvalidSessionId, got {result:?}"
    );
    assert_eq!(
        adapter.get_session(&created.id).await.expect("get_session"),
        None
    );
}

/// Renewal racing with invalidation: validations of an idle session (each one renews) run
/// at the same time as the logout, over many rounds. Whatever the interleaving, a
/// validation that starts after the logout returned fails, and afterwards the session is
/// gone for good.
pub async fn renewal_racing_with_invalidation_never_resurrects<A>(adapter: A)
where
    A: Adapter<TestUser>,
{
    const VALIDATORS: usize = 7;
    let adapter = Arc::new(adapter);
    insert_users(adapter.as_ref(), &["user1"]).await;
    let (auth, clock) = auth_with_clock(
        Arc::clone(&adapter),
        Duration::hours(1),
        Duration::hours(24),
        None,
    );
    for _round in 0..20 {
        let created = auth.create_session("user1").await.expect("create_session");
        let token = created.token().expect("token").expose().to_owned();
        clock.advance(Duration::hours(1)); // idle: every validation tries to renew
        let start = Arc::new(tokio::sync::Barrier::new(VALIDATORS + 1));
        let logged_out = Arc::new(AtomicBool::new(false));

        let logout = tokio::spawn({
            let (auth, id) = (auth.clone(), created.id.clone());
            let (start, logged_out) = (Arc::clone(&start), Arc::clone(&logged_out));
            async move {
                start.wait().await;
                let result = auth.invalidate_session(&id).await;
                logged_out.store(true, Ordering::SeqCst);
                result
            }
        });
        let validators: Vec<_> = (0..VALIDATORS)
            .map(|_| {
                let (auth, token) = (auth.clone(), token.clone());
                let (start, logged_out) = (Arc::clone(&start), Arc::clone(&logged_out));
                tokio::spawn(async move {
                    start.wait().await;
                    validate_until_logged_out(&auth, &token, &logged_out).await
                })
            })
            .collect();
        logout.await.expect("task").expect("invalidate_session");
        for validator in validators {
            validator.await.expect("task").expect("no store failure");
        }

        assert_eq!(
            adapter.get_session(&created.id).await.expect("get_session"),
            None
        );
        assert!(matches!(
            auth.validate_session(&token).await,
            Err(Error::InvalidSessionId)
        ));
    }
    assert!(
        adapter
            .get_sessions_by_user("user1")
            .await
            .expect("sessions")
            .is_empty()
    );
}

/// Validates `token` again and again until a validation that started after the logout
/// returned has been refused; panics if such a validation succeeds.
async fn validate_until_logged_out(
    auth: &Auth<TestUser>,
    token: &str,
    logged_out: &AtomicBool,
) -> Result<(), Error> {
    loop {
        let after_logout = logged_out.load(Ordering::SeqCst);
        match auth.validate_session(token).await {
            Ok(_) => assert!(!after_logout, "a session came back after its logout"),
            Err(Error::InvalidSessionId) if after_logout => return Ok(()),
            Err(Error::InvalidSessionId) => {}
            Err(err) => return Err(err),
        }
        // Let the logout run even where the store never makes a task wait.
        tokio::task::yield_now().await;
    }
}

/// A5: N concurrent validations of one idle session all succeed with the same expiries,
/// exactly one renewal takes effect, and no second session appears. Every validation reads
/// the idle session before any renews, and each asks for different expiries (a
/// [`TickingClock`]), so a store that renews unconditionally fails here.
pub async fn concurrent_renewals_converge_on_one<A: Adapter<TestUser>>(adapter: A) {
    const REQUESTS: usize = 16;
    let adapter = Arc::new(CountingAdapter::holding_session_reads(adapter, REQUESTS));
    let counts = adapter.counts();
    insert_users(adapter.as_ref(), &["user1"]).await;
    let clock = Arc::new(TickingClock::starting_now());
    let auth = Auth::builder_shared(Arc::clone(&adapter) as Arc<dyn Adapter<TestUser>>)
        .clock(Arc::clone(&clock))
        .session_expires_in(Duration::hours(1), Duration::hours(24))
        .build()
        .expect("valid test configuration");
    let created = auth.create_session("user1").await.expect("create_session");
    let token = created.token().expect("token").expose().to_owned();
    clock.advance(Duration::minutes(90));
    let before = to_millis(clock.now());

    let tasks: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let auth = auth.clone();
            let token = token.clone();
            tokio::spawn(async move { auth.validate_session(&token).await })
        })
        .collect();
    let mut expiries = Vec::new();
    for task in tasks {
        let session = task.await.expect("task").expect("every request is served");
        assert_eq!(session.id, created.id);
        expiries.push((
            to_millis(session.active_expires),
            to_millis(session.idle_expires),
        ));
    }
    assert_eq!(
        counts.renewals(),
        REQUESTS as u64,
        "every request saw the idle session"
    );
    assert_eq!(
        counts.effective_renewals(),
        1,
        "exactly one renewal takes effect"
    );
    expiries.dedup();
    assert_eq!(
        expiries.len(),
        1,
        "every request sees the one renewal: {expiries:?}"
    );
    let (active, idle) = expiries[0];
    assert!(active > before + HOUR, "the session was renewed");
    assert_eq!(idle, active + 24 * HOUR);

    let stored = adapter
        .get_sessions_by_user("user1")
        .await
        .expect("sessions");
    assert_eq!(stored.len(), 1, "no second session appears");
    assert_eq!(stored[0].id, created.id);
    assert_eq!(
        (stored[0].active_expires, stored[0].idle_expires),
        (active, idle)
    );
    assert_eq!(stored[0].created_at, to_millis(created.created_at));
}

/// Case 7: expiries are stored as the exact epoch milliseconds `Auth` computed, whatever
/// the database session's time zone (run this over a connection set to `+03:00`). With a
/// 1 h lifetime a session is valid at +30 min and refused at +61 min; a renewal at +61 min
/// stores exactly `now + active` and `now + active + idle`.
pub async fn expiries_are_stored_as_exact_epoch_millis<A: Adapter<TestUser>>(adapter: A) {
    let adapter = Arc::new(adapter);
    insert_users(adapter.as_ref(), &["user1"]).await;
    let (auth, clock) = auth_with_clock(
        Arc::clone(&adapter),
        Duration::hours(1),
        Duration::ZERO,
        None,
    );
    let t0 = to_millis(auth.now());
    let created = auth.create_session("user1").await.expect("create_session");
    let token = created.token().expect("token").expose().to_owned();
    let stored = adapter.get_session(&created.id).await.expect("get_session");
    let expected = SessionRecord {
        id: created.id.clone(),
        user_id: "user1".into(),
        active_expires: t0 + HOUR,
        idle_expires: t0 + HOUR,
        created_at: t0,
    };
    assert_eq!(stored.as_ref(), Some(&expected));
    clock.advance(Duration::minutes(30));
    let valid = auth
        .validate_session(&token)
        .await
        .expect("valid at +30 min");
    assert!(!valid.fresh);
    clock.advance(Duration::minutes(31));
    assert!(matches!(
        auth.validate_session(&token).await,
        Err(Error::InvalidSessionId)
    ));

    // Renewal writes exact values too.
    let (renewing, clock) = auth_with_clock(
        Arc::clone(&adapter),
        Duration::hours(1),
        Duration::hours(1),
        None,
    );
    let t0 = to_millis(renewing.now());
    let created = renewing
        .create_session("user1")
        .await
        .expect("create_session");
    let token = created.token().expect("token").expose().to_owned();
    clock.advance(Duration::minutes(61));
    let renewed = renewing
        .validate_session(&token)
        .await
        .expect("idle session renews");
    assert!(renewed.fresh);
    let stored = adapter.get_session(&created.id).await.expect("get_session");
    let expected = SessionRecord {
        id: created.id.clone(),
        user_id: "user1".into(),
        active_expires: t0 + 121 * 60_000,
        idle_expires: t0 + 181 * 60_000,
        created_at: t0,
    };
    assert_eq!(stored, Some(expected));
}

// ---- identifiers ---------------------------------------------------------------------------

/// User ids and key ids that differ only in case are different rows (SESS-ID-06).
pub async fn user_and_key_ids_are_case_sensitive<A: Adapter<TestUser>>(adapter: A) {
    let lower = key("alice@example.com", "caseuser", true, None);
    let upper = key("ALICE@example.com", "CaseUser", true, Some("HASHED"));
    adapter
        .insert_user(&user("caseuser"), Some(&lower))
        .await
        .expect("insert_user");
    adapter
        .insert_user(&user("CaseUser"), Some(&upper))
        .await
        .expect("an id differing only in case is a different user");
    assert_eq!(
        adapter.get_user("caseuser").await.expect("get_user"),
        Some(user("caseuser"))
    );
    assert_eq!(
        adapter.get_user("CaseUser").await.expect("get_user"),
        Some(user("CaseUser"))
    );
    assert_eq!(adapter.get_user("CASEUSER").await.expect("get_user"), None);
    assert_eq!(
        adapter.get_key(&lower.id).await.expect("get_key"),
        Some(lower.clone())
    );
    assert_eq!(
        adapter.get_key(&upper.id).await.expect("get_key"),
        Some(upper)
    );
    assert_eq!(
        adapter.get_keys_by_user("caseuser").await.expect("keys"),
        vec![lower]
    );
    assert_eq!(
        adapter
            .get_key(&key_id("Alice@example.com"))
            .await
            .expect("get_key"),
        None
    );
}

/// A session id in another case is not the session (SESS-ID-06).
pub async fn session_ids_are_case_sensitive<A: Adapter<TestUser>>(adapter: A) {
    insert_users(&adapter, &["user1"]).await;
    let stored = session("user1");
    adapter
        .insert_session(&stored)
        .await
        .expect("insert_session");
    let shouted = SessionId::from_stored(stored.id.as_str().to_ascii_uppercase());
    assert_eq!(
        adapter.get_session(&shouted).await.expect("get_session"),
        None
    );
    assert_eq!(
        adapter
            .get_session_and_user(&shouted)
            .await
            .expect("get_session_and_user"),
        None
    );
    adapter
        .delete_session(&shouted)
        .await
        .expect("delete_session");
    assert_eq!(
        adapter.get_session(&stored.id).await.expect("get_session"),
        Some(stored)
    );
}

// ---- load ----------------------------------------------------------------------------------

/// 24 concurrent sign-ups, each a user with its key, all succeed: no connection is leaked by
/// the user-and-key transaction (Lucia v1's pg and mysql2 adapters leaked one per sign-up).
/// Run it over a small pool (2 connections) to make it bite.
pub async fn concurrent_user_creation_all_succeeds<A: Adapter<TestUser>>(adapter: A) {
    let adapter = Arc::new(adapter);
    let tasks: Vec<_> = (0..24)
        .map(|n| {
            let adapter = Arc::clone(&adapter);
            tokio::spawn(async move {
                let id = format!("signup{n}");
                let primary = key(&format!("{id}@example.com"), &id, true, Some("HASHED"));
                adapter.insert_user(&user(&id), Some(&primary)).await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("every sign-up succeeds");
    }
    for n in 0..24 {
        let id = format!("signup{n}");
        assert_eq!(
            adapter.get_user(&id).await.expect("get_user"),
            Some(user(&id))
        );
        assert_eq!(adapter.get_keys_by_user(&id).await.expect("keys").len(), 1);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use futures_util::FutureExt;

    use super::Harness;

    #[tokio::test]
    async fn a_failing_case_is_cleaned_up_and_keeps_its_panic() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let harness = Harness::new(()).with_cleanup({
            let cleaned = Arc::clone(&cleaned);
            move || async move { cleaned.store(true, Ordering::SeqCst) }
        });
        let outcome = std::panic::AssertUnwindSafe(harness.run(|()| async {
            panic!("the case failed");
        }))
        .catch_unwind()
        .await;

        let panic = outcome.expect_err("the case's panic is raised again");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"the case failed"));
        assert!(
            cleaned.load(Ordering::SeqCst),
            "cleanup ran after the failure"
        );
    }
}
