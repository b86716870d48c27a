//! SQLite, the embedded default (feature `sqlite`, on by default), through sqlx.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::{Dialect, Statements, TableNames, impl_sql_adapter, schema_script};
use crate::error::{Error, Result};
use crate::user::UserAttributes;

/// How long a connection waits for another one's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Users, keys and sessions in a SQLite database: a file, or memory.
///
/// Connections made by [`SqliteAdapter::connect`] and [`SqliteAdapter::open`] use WAL (readers
/// never wait for the writer), a 10 s busy timeout (concurrent writers queue instead of
/// failing with "database is locked") and foreign keys on.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> lucia::Result<()> {
/// use lucia::adapter::SqliteAdapter;
///
/// let adapter = SqliteAdapter::<()>::in_memory().await?;
/// adapter.migrate().await?;
/// let auth = lucia::Auth::builder(adapter).build()?;
/// # Ok(()) }
/// ```
pub struct SqliteAdapter<U> {
    pool: SqlitePool,
    sql: Arc<Statements>,
    _user: std::marker::PhantomData<fn() -> U>,
}

impl<U> std::fmt::Debug for SqliteAdapter<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteAdapter")
            .field("tables", &self.sql.tables)
            .finish_non_exhaustive()
    }
}

impl<U> Clone for SqliteAdapter<U> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            sql: Arc::clone(&self.sql),
            _user: std::marker::PhantomData,
        }
    }
}

impl<U: UserAttributes> SqliteAdapter<U> {
    /// Connects to a database URL such as `sqlite://app.db?mode=rwc` (`rwc` creates the
    /// file) with WAL, a busy timeout and foreign keys on.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the URL is invalid or the database cannot be opened.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url).map_err(Error::adapter)?;
        Self::connect_with(options).await
    }

    /// Opens (and creates if missing) the database file at `path`.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the file cannot be opened.
    pub async fn open(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::connect_with(options).await
    }

    /// Connects with your options; WAL, the busy timeout and foreign keys are set on top.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the database cannot be opened.
    pub async fn connect_with(options: SqliteConnectOptions) -> Result<Self> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .connect_with(options)
            .await
            .map_err(Error::adapter)?;
        Self::from_pool(pool)
    }

    /// A private in-memory database, gone when the adapter is dropped.
    ///
    /// The pool holds exactly one connection that never closes: every connection to
    /// `:memory:` is a database of its own.
    ///
    /// # Errors
    /// [`Error::Adapter`] when SQLite cannot be opened.
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(Error::adapter)?
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(Error::adapter)?;
        Self::from_pool(pool)
    }

    /// Uses a pool you configured, with the default table names. Turn foreign keys on in its
    /// options (sqlx does by default).
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s table or column names are not plain identifiers.
    pub fn from_pool(pool: SqlitePool) -> Result<Self> {
        Self::from_pool_with_tables(pool, TableNames::for_user::<U>()?)
    }

    /// Uses a pool you configured and your table names.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s column names are not plain identifiers.
    pub fn from_pool_with_tables(pool: SqlitePool, tables: TableNames) -> Result<Self> {
        Ok(Self {
            pool,
            sql: Arc::new(Statements::new::<U>(Dialect::Sqlite, tables)?),
            _user: std::marker::PhantomData,
        })
    }

    /// The same adapter over other table names.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s column names are not plain identifiers.
    pub fn with_tables(self, tables: TableNames) -> Result<Self> {
        Self::from_pool_with_tables(self.pool, tables)
    }

    /// Creates the tables and indexes that are missing. Safe to run at every start.
    ///
    /// # Errors
    /// [`Error::Adapter`] when a statement fails.
    pub async fn migrate(&self) -> Result<()> {
        for statement in &self.sql.ddl {
            sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                .execute(&self.pool)
                .await
                .map_err(Error::adapter)?;
        }
        Ok(())
    }

    /// The DDL that [`SqliteAdapter::migrate`] runs, for the default table names, as one
    /// script for your own migrations.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s table or column names are not plain identifiers.
    pub fn schema_sql() -> Result<String> {
        let tables = TableNames::for_user::<U>()?;
        Ok(schema_script(
            &Statements::new::<U>(Dialect::Sqlite, tables)?.ddl,
        ))
    }

    /// The DDL for this adapter's table names.
    pub fn schema(&self) -> String {
        schema_script(&self.sql.ddl)
    }

    /// The table names.
    pub fn tables(&self) -> &TableNames {
        &self.sql.tables
    }

    /// The connection pool.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

impl_sql_adapter!(SqliteAdapter, sqlx::Sqlite, sqlx::sqlite::SqliteRow);
