//! Native read-only connections that answer the one call on every request.
//!
//! sqlx runs each SQLite connection on a worker thread of its own, so every query is two
//! thread hand-offs plus sqlx's pool, channel and row machinery; on the request path that
//! costs more than the query. For a database file, [`NativeReads`] answers
//! `get_session_and_user` instead from a few read-only `rusqlite` connections to the same
//! file, on tokio's blocking pool. sqlx and `rusqlite` link the same bundled SQLite
//! (`libsqlite3-sys`), and everything else (writes, transactions, migrations, the other
//! reads) stays on sqlx.
//!
//! Each lookup is its own read transaction, ended before the connection goes back to the
//! pool, so it sees every write committed before it started; in WAL mode (which the adapter
//! sets) it never waits for the writer either. The statement is the one the sqlx path runs,
//! and values decode under sqlx's rules: a column accepts only the storage class sqlx would
//! accept, and anything else is an adapter error, never "no session".

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use sqlx::Row as _;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use tokio::sync::{OnceCell, Semaphore};

use super::BUSY_TIMEOUT;
use crate::error::{Error, Result};
use crate::session::{SessionId, SessionRecord};
use crate::user::{Column, ColumnType, User, UserAttributes, Value};

/// How many native connections a pool opens at most, and so how many lookups run at once.
///
/// Four keeps a 2-4 core machine's blocking pool busy without crowding out sqlx's own
/// connection threads; lookups beyond it wait for a connection.
pub(crate) const MAX_CONNECTIONS: usize = 4;

/// The session columns that open the joined row; the user's attributes follow them.
const SESSION_COLUMNS: usize = 5;

/// A small pool of read-only connections to one database file, opened when first needed.
pub(crate) struct NativeReads {
    /// The file SQLite opened for sqlx, once asked; `None` when it is not a file on disk.
    file: OnceCell<Option<PathBuf>>,
    select_session_and_user: Arc<str>,
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection that may be open: a holder finds one idle or opens one.
    permits: Arc<Semaphore>,
    #[cfg(test)]
    pub(crate) lookups: std::sync::atomic::AtomicU64,
}

impl NativeReads {
    /// Native reads for the database `options` opens, or `None` when its name already says
    /// it is not a plain file: `:memory:`, a temporary database or a URI filename (sqlx's
    /// own in-memory databases are `file:` URIs). [`NativeReads::is_file`] settles the rest.
    pub(crate) fn for_options(
        options: &SqliteConnectOptions,
        select_session_and_user: Arc<str>,
    ) -> Option<Self> {
        let name = options.get_filename().as_os_str();
        let plain_name = !name.is_empty()
            && name != ":memory:"
            && !name.as_encoded_bytes().starts_with(b"file:");
        if !plain_name {
            return None;
        }
        Some(Self {
            file: OnceCell::new(),
            select_session_and_user,
            idle: Mutex::new(Vec::with_capacity(MAX_CONNECTIONS)),
            permits: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
            #[cfg(test)]
            lookups: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Whether the database behind `pool` is a file on disk, asked of SQLite once: a
    /// memory database opened with `mode=memory` has a plain name but no file. The answer
    /// also gives the path as SQLite resolved it, which a change of directory cannot move.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the question fails; it is asked again next time.
    pub(crate) async fn is_file(&self, pool: &SqlitePool) -> Result<bool> {
        let file = self.file.get_or_try_init(|| main_file(pool)).await?;
        Ok(file.is_some())
    }

    /// Closes the pool, as if shut down: every later lookup fails.
    #[cfg(test)]
    pub(crate) fn close(&self) {
        self.permits.close();
    }

    /// The session with `id` and its user, read on the blocking pool.
    ///
    /// # Errors
    /// [`Error::Adapter`] when a connection cannot be opened, the query or a value fails,
    /// or the blocking task does not complete; [`Error::Attributes`] when `U` rejects the
    /// values.
    pub(crate) async fn session_and_user<U: UserAttributes>(
        self: &Arc<Self>,
        id: &SessionId,
    ) -> Result<Option<(SessionRecord, User<U>)>> {
        // The permit moves into the task: a cancelled request keeps the count right.
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(Error::adapter)?;
        let reads = Arc::clone(self);
        let id = id.as_str().to_owned();
        let found = tokio::task::spawn_blocking(move || {
            let found = reads.lookup::<U>(&id);
            drop(permit);
            found
        })
        .await
        .map_err(Error::adapter)??;
        let Some((session, values)) = found else {
            return Ok(None);
        };
        let attributes = U::from_values(values)?;
        let user = User::new(session.user_id.clone(), attributes);
        Ok(Some((session, user)))
    }

    /// Runs the lookup on an idle connection (or a new one) and puts it back, unless the
    /// driver failed: a fresh connection replaces it next time.
    fn lookup<U: UserAttributes>(&self, id: &str) -> Result<Option<(SessionRecord, Vec<Value>)>> {
        let Some(Some(path)) = self.file.get() else {
            return Err(Error::adapter(
                "native read before the database file was resolved",
            ));
        };
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let connection = match idle {
            Some(connection) => connection,
            None => open(path)?,
        };
        #[cfg(test)]
        self.lookups
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let found = query::<U>(&connection, &self.select_session_and_user, id);
        if found.is_ok() {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
        }
        found.map_err(Error::adapter)
    }
}

/// The file of the `main` database as SQLite reports it (empty for memory and temporary
/// databases), if it exists on disk.
async fn main_file(pool: &SqlitePool) -> Result<Option<PathBuf>> {
    let rows = sqlx::query("PRAGMA database_list")
        .fetch_all(pool)
        .await
        .map_err(Error::adapter)?;
    for row in rows {
        let name: String = row.try_get("name").map_err(Error::adapter)?;
        if name == "main" {
            let file: String = row.try_get("file").map_err(Error::adapter)?;
            let path = PathBuf::from(file);
            let on_disk = !path.as_os_str().is_empty() && path.is_file();
            return Ok(on_disk.then_some(path));
        }
    }
    Ok(None)
}

/// A read-only connection with the adapter's busy timeout that refuses writes twice over.
fn open(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags).map_err(Error::adapter)?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(Error::adapter)?;
    connection
        .execute_batch("PRAGMA query_only = ON")
        .map_err(Error::adapter)?;
    Ok(connection)
}

/// The joined row for `id`: the session and the user's attribute values, decoded as sqlx
/// decodes them. The statement is reset when the row is read, which ends the read
/// transaction before the connection is reused.
fn query<U: UserAttributes>(
    connection: &Connection,
    sql: &str,
    id: &str,
) -> rusqlite::Result<Option<(SessionRecord, Vec<Value>)>> {
    let mut statement = connection.prepare_cached(sql)?;
    statement
        .query_row([id], |row| {
            let session = SessionRecord {
                id: SessionId::from_stored(text(row, 0)?),
                user_id: text(row, 1)?,
                active_expires: integer(row, 2)?,
                idle_expires: integer(row, 3)?,
                created_at: integer(row, 4)?,
            };
            Ok((session, attribute_values::<U>(row)?))
        })
        .optional()
}

/// `U`'s attribute values, after the session columns.
fn attribute_values<U: UserAttributes>(row: &rusqlite::Row<'_>) -> rusqlite::Result<Vec<Value>> {
    U::COLUMNS
        .iter()
        .enumerate()
        .map(|(n, column)| decode_value(row, SESSION_COLUMNS + n, column))
        .collect()
}

/// A `TEXT` value, as sqlx's `String` accepts only text.
fn text(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<String> {
    row.get::<_, String>(index)
}

/// An `INTEGER` value, as sqlx's `i64` accepts only integers.
fn integer(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<i64> {
    row.get::<_, i64>(index)
}

/// One attribute column as sqlx's decoding of [`Value`] reads it: NULL is [`Value::Null`]
/// for every type (the user type decides whether that is allowed), text only from `TEXT`,
/// integers, booleans (non-zero is true) and timestamps only from `INTEGER`, reals only
/// from `REAL`.
fn decode_value(row: &rusqlite::Row<'_>, index: usize, column: &Column) -> rusqlite::Result<Value> {
    let value = row.get_ref(index)?;
    let decoded = match (column.ty, value) {
        (_, ValueRef::Null) => Some(Value::Null),
        (ColumnType::Text, ValueRef::Text(_)) => Some(Value::Text(row.get(index)?)),
        (ColumnType::Integer, ValueRef::Integer(int)) => Some(Value::Integer(int)),
        (ColumnType::Real, ValueRef::Real(real)) => Some(Value::Real(real)),
        (ColumnType::Bool, ValueRef::Integer(int)) => Some(Value::Bool(int != 0)),
        (ColumnType::Timestamp, ValueRef::Integer(millis)) => {
            Some(Value::Timestamp(crate::clock::from_millis(millis)))
        }
        _ => None,
    };
    decoded.ok_or_else(|| {
        rusqlite::Error::InvalidColumnType(index, column.name.to_owned(), value.data_type())
    })
}
