//! Experimental: lucia's `SqliteAdapter` with its one request-path call, the combined
//! session-and-user lookup, answered by a native `rusqlite` connection on the async thread
//! itself, blocking the executor for the length of the query: no thread hand-off at all.
//! That is only defensible for a benchmark; set against the `sqlite` variant (lucia's own
//! native reads on `spawn_blocking`) it shows what the hand-offs cost.
//!
//! Every other method is delegated to the wrapped adapter (native reads off), so setup,
//! seeding and renewal write through sqlx as usual. The lookup runs the statement of the SQL
//! adapter with the same row decoding. Like the SQL adapter, it does not filter dead
//! sessions: `Auth` checks expiry. [`check_matches_sqlx`] also checks lucia's native reads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use lucia::adapter::SqliteAdapter;
use lucia::key::{KeyId, KeyRecord};
use lucia::session::SessionRecord;
use lucia::{Adapter, Error, Result, SessionAdapter, SessionId, User, UserAdapter};
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// The same busy timeout the sqlx adapter sets.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A `SqliteAdapter<()>` whose `get_session_and_user` reads through `rusqlite` inline.
#[derive(Clone)]
pub struct InlineSqlite {
    inner: SqliteAdapter<()>,
    native: Arc<Native>,
}

/// The native side: the statement and the connection.
struct Native {
    select_session_and_user: String,
    idle: Mutex<Vec<Connection>>,
}

impl InlineSqlite {
    /// Wraps `inner`, whose database file is at `path` (already in WAL mode and migrated:
    /// the connection is read-only).
    ///
    /// # Errors
    /// When the connection cannot be opened.
    pub fn new(inner: SqliteAdapter<()>, path: &Path) -> Result<Self> {
        let tables = inner.tables();
        // The SQL adapter's statement for `()` users (no attribute columns), quoted the same
        // way; the table names passed `TableNames`' identifier check.
        let select_session_and_user = format!(
            "SELECT s.\"id\", s.\"user_id\", s.\"active_expires\", s.\"idle_expires\", \
             s.\"created_at\" FROM \"{session}\" AS s INNER JOIN \"{user}\" AS u \
             ON u.\"id\" = s.\"user_id\" WHERE s.\"id\" = ?",
            session = tables.session(),
            user = tables.user(),
        );
        // One async thread runs one query at a time.
        let connection = open(path)?;
        Ok(Self {
            inner,
            native: Arc::new(Native {
                select_session_and_user,
                idle: Mutex::new(vec![connection]),
            }),
        })
    }

    /// The wrapped adapter (sqlx only).
    pub fn inner(&self) -> &SqliteAdapter<()> {
        &self.inner
    }
}

fn open(path: &Path) -> Result<Connection> {
    let path: PathBuf = path.to_owned();
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(Error::adapter)?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(Error::adapter)?;
    Ok(connection)
}

impl Native {
    /// Runs the lookup on a checked-out connection, then returns the connection.
    fn lookup(&self, id: &str) -> Result<Option<SessionRecord>> {
        let connection = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .ok_or_else(|| Error::adapter("no idle native SQLite connection"))?;
        let result = query(&connection, &self.select_session_and_user, id);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(connection);
        result
    }
}

/// The SQL adapter's row decoding: the five session columns, in order.
fn query(connection: &Connection, sql: &str, id: &str) -> Result<Option<SessionRecord>> {
    let mut statement = connection.prepare_cached(sql).map_err(Error::adapter)?;
    statement
        .query_row([id], |row| {
            Ok(SessionRecord {
                id: SessionId::from_stored(row.get(0)?),
                user_id: row.get(1)?,
                active_expires: row.get(2)?,
                idle_expires: row.get(3)?,
                created_at: row.get(4)?,
            })
        })
        .optional()
        .map_err(Error::adapter)
}

#[async_trait]
impl UserAdapter<()> for InlineSqlite {
    async fn get_user(&self, user_id: &str) -> Result<Option<User<()>>> {
        self.inner.get_user(user_id).await
    }
    async fn insert_user(&self, user: &User<()>, key: Option<&KeyRecord>) -> Result<()> {
        self.inner.insert_user(user, key).await
    }
    async fn update_user(&self, user: &User<()>) -> Result<()> {
        self.inner.update_user(user).await
    }
    async fn delete_user(&self, user_id: &str) -> Result<()> {
        UserAdapter::<()>::delete_user(&self.inner, user_id).await
    }
    async fn get_key(&self, key_id: &KeyId) -> Result<Option<KeyRecord>> {
        UserAdapter::<()>::get_key(&self.inner, key_id).await
    }
    async fn get_keys_by_user(&self, user_id: &str) -> Result<Vec<KeyRecord>> {
        UserAdapter::<()>::get_keys_by_user(&self.inner, user_id).await
    }
    async fn insert_key(&self, key: &KeyRecord) -> Result<()> {
        UserAdapter::<()>::insert_key(&self.inner, key).await
    }
    async fn update_key_password(
        &self,
        key_id: &KeyId,
        hashed_password: Option<&str>,
    ) -> Result<Option<KeyRecord>> {
        UserAdapter::<()>::update_key_password(&self.inner, key_id, hashed_password).await
    }
    async fn delete_non_primary_key(&self, key_id: &KeyId) -> Result<()> {
        UserAdapter::<()>::delete_non_primary_key(&self.inner, key_id).await
    }
    async fn delete_keys_by_user(&self, user_id: &str) -> Result<()> {
        UserAdapter::<()>::delete_keys_by_user(&self.inner, user_id).await
    }
}

#[async_trait]
impl SessionAdapter for InlineSqlite {
    async fn get_session(&self, id: &SessionId) -> Result<Option<SessionRecord>> {
        self.inner.get_session(id).await
    }
    async fn get_sessions_by_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        self.inner.get_sessions_by_user(user_id).await
    }
    async fn insert_session(&self, session: &SessionRecord) -> Result<()> {
        self.inner.insert_session(session).await
    }
    async fn renew_session(
        &self,
        id: &SessionId,
        now: i64,
        active_expires: i64,
        idle_expires: i64,
    ) -> Result<Option<SessionRecord>> {
        self.inner
            .renew_session(id, now, active_expires, idle_expires)
            .await
    }
    async fn delete_session(&self, id: &SessionId) -> Result<()> {
        self.inner.delete_session(id).await
    }
    async fn delete_sessions_by_user(&self, user_id: &str, keep: Option<&SessionId>) -> Result<()> {
        self.inner.delete_sessions_by_user(user_id, keep).await
    }
    async fn delete_dead_sessions(&self, now: i64) -> Result<u64> {
        self.inner.delete_dead_sessions(now).await
    }
}

#[async_trait]
impl Adapter<()> for InlineSqlite {
    async fn get_session_and_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(SessionRecord, User<()>)>> {
        let session = self.native.lookup(id.as_str())?;
        // For `()` the user row has only its id, which the join matched to `user_id`.
        Ok(session.map(|session| {
            let user = User::new(session.user_id.clone(), ());
            (session, user)
        }))
    }
}

/// Checks that `native`'s lookup answers exactly as `sqlx`'s (the same database, native
/// reads off) for every session of `user_id`, for a dead session and for an unknown id.
///
/// # Errors
/// On the first difference, or when a lookup fails.
pub async fn check_matches_sqlx(
    native: &impl Adapter<()>,
    sqlx: &SqliteAdapter<()>,
    user_id: &str,
) -> Result<()> {
    let same = |what: &str, native: &Option<(SessionRecord, User<()>)>, sqlx: &Option<_>| {
        if native == sqlx {
            Ok(())
        } else {
            Err(Error::adapter(format!(
                "the native lookup differs from sqlx for {what}"
            )))
        }
    };
    let mut ids: Vec<SessionId> = sqlx
        .get_sessions_by_user(user_id)
        .await?
        .into_iter()
        .map(|session| session.id)
        .collect();
    if ids.is_empty() {
        return Err(Error::adapter("no session to compare the lookups on"));
    }
    // A session long dead: the SQL adapter returns it and leaves expiry to `Auth`.
    let dead = SessionRecord {
        id: SessionId::from_stored("0".repeat(64)),
        user_id: user_id.to_owned(),
        active_expires: 1,
        idle_expires: 2,
        created_at: 0,
    };
    sqlx.insert_session(&dead).await?;
    ids.push(dead.id.clone());
    ids.push(SessionId::from_stored("f".repeat(64)));
    let mut result = Ok(());
    for id in &ids {
        let from_native = native.get_session_and_user(id).await;
        let from_sqlx = sqlx.get_session_and_user(id).await;
        result = match (from_native, from_sqlx) {
            (Ok(native), Ok(sqlx)) => same(id.as_str(), &native, &sqlx),
            (Err(err), _) | (_, Err(err)) => Err(err),
        };
        if result.is_err() {
            break;
        }
    }
    sqlx.delete_session(&dead.id).await?;
    result
}
