//! Experimental: lucia's `SqliteAdapter` with its one request-path call, the combined
//! session-and-user lookup, answered by native `rusqlite` connections instead of sqlx.
//!
//! It measures whether the driver is the bottleneck of the SQLite variant (issue 7). Every
//! other method is delegated to the wrapped sqlx adapter, so setup, seeding and renewal write
//! through sqlx as usual; only `get_session_and_user` reads the same database file through a
//! small pool of read-only `rusqlite` connections, with the statement the SQL adapter runs
//! and the same row decoding. Like the SQL adapter, it does not filter dead sessions: `Auth`
//! checks expiry.
//!
//! [`Mode::Blocking`] runs the query on tokio's blocking pool (`spawn_blocking`): still two
//! thread hand-offs per query, but no sqlx worker, channel, pool or row machinery.
//! [`Mode::Inline`] runs it on the async thread itself, blocking the executor for the length
//! of the query: no hand-off at all. That is only defensible for a benchmark; it shows what
//! the hand-offs cost.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use lucia::adapter::SqliteAdapter;
use lucia::key::{KeyId, KeyRecord};
use lucia::session::SessionRecord;
use lucia::{Adapter, Error, Result, SessionAdapter, SessionId, User, UserAdapter};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use tokio::sync::Semaphore;

/// How many native connections the pool holds (and how many queries run at once).
const POOL_SIZE: usize = 4;

/// The same busy timeout the sqlx adapter sets.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the native query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// On tokio's blocking pool (`spawn_blocking`).
    Blocking,
    /// On the async thread, blocking the executor while the query runs.
    Inline,
}

/// A `SqliteAdapter<()>` whose `get_session_and_user` reads through `rusqlite`.
#[derive(Clone)]
pub struct NativeSqlite {
    inner: SqliteAdapter<()>,
    native: Arc<Native>,
    mode: Mode,
}

/// The native side: the statement and the connections.
struct Native {
    select_session_and_user: String,
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection: a holder always finds one in `idle`.
    permits: Semaphore,
}

impl NativeSqlite {
    /// Wraps `inner`, whose database file is at `path` (already in WAL mode and migrated:
    /// the connections are read-only).
    ///
    /// # Errors
    /// When a connection cannot be opened.
    pub fn new(inner: SqliteAdapter<()>, path: &Path, mode: Mode) -> Result<Self> {
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
        let size = match mode {
            Mode::Blocking => POOL_SIZE,
            // One async thread runs one query at a time.
            Mode::Inline => 1,
        };
        let connections = (0..size).map(|_| open(path)).collect::<Result<Vec<_>>>()?;
        Ok(Self {
            inner,
            native: Arc::new(Native {
                select_session_and_user,
                idle: Mutex::new(connections),
                permits: Semaphore::new(size),
            }),
            mode,
        })
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
impl UserAdapter<()> for NativeSqlite {
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
impl SessionAdapter for NativeSqlite {
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
impl Adapter<()> for NativeSqlite {
    async fn get_session_and_user(
        &self,
        id: &SessionId,
    ) -> Result<Option<(SessionRecord, User<()>)>> {
        let session = match self.mode {
            Mode::Inline => self.native.lookup(id.as_str())?,
            Mode::Blocking => {
                let _permit = self
                    .native
                    .permits
                    .acquire()
                    .await
                    .map_err(Error::adapter)?;
                let native = Arc::clone(&self.native);
                let id = id.as_str().to_owned();
                tokio::task::spawn_blocking(move || native.lookup(&id))
                    .await
                    .map_err(Error::adapter)??
            }
        };
        // For `()` the user row has only its id, which the join matched to `user_id`.
        Ok(session.map(|session| {
            let user = User::new(session.user_id.clone(), ());
            (session, user)
        }))
    }
}

/// Checks that the native lookup answers exactly as the sqlx one for every session of
/// `user_id`, for a dead session and for an unknown id.
///
/// # Errors
/// On the first difference, or when a lookup fails.
pub async fn check_matches_sqlx(adapter: &NativeSqlite, user_id: &str) -> Result<()> {
    let same = |what: &str, native: &Option<(SessionRecord, User<()>)>, sqlx: &Option<_>| {
        if native == sqlx {
            Ok(())
        } else {
            Err(Error::adapter(format!(
                "the native lookup differs from sqlx for {what}"
            )))
        }
    };
    let mut ids: Vec<SessionId> = adapter
        .inner
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
    adapter.inner.insert_session(&dead).await?;
    ids.push(dead.id.clone());
    ids.push(SessionId::from_stored("f".repeat(64)));
    let mut result = Ok(());
    for id in &ids {
        let native = adapter.get_session_and_user(id).await;
        let sqlx = adapter.inner.get_session_and_user(id).await;
        result = match (native, sqlx) {
            (Ok(native), Ok(sqlx)) => same(id.as_str(), &native, &sqlx),
            (Err(err), _) | (_, Err(err)) => Err(err),
        };
        if result.is_err() {
            break;
        }
    }
    adapter.inner.delete_session(&dead.id).await?;
    result
}
