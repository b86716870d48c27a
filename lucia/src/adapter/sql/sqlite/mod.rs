//! SQLite, the embedded default (feature `sqlite`, on by default), through sqlx, with the
//! request-path lookup on native read-only connections for database files ([`native`]).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use super::{Dialect, Statements, TableNames, impl_sql_adapter, schema_script};
use crate::error::{Error, Result};
use crate::session::{SessionId, SessionRecord};
use crate::user::{User, UserAttributes};

mod native;

use native::NativeReads;

/// How long a connection waits for another one's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Users, keys and sessions in a SQLite database: a file, or memory.
///
/// Connections made by [`SqliteAdapter::connect`] and [`SqliteAdapter::open`] use WAL (readers
/// never wait for the writer), a 10 s busy timeout (concurrent writers queue instead of
/// failing with "database is locked") and foreign keys on.
///
/// # Native reads
///
/// Everything goes through sqlx except [`Adapter::get_session_and_user`], the lookup behind
/// every authenticated request: for a database *file* it is answered by up to four
/// read-only `rusqlite` connections to the same file (opened when first needed, with the
/// same 10 s busy timeout and `PRAGMA query_only`) on tokio's blocking pool. That skips
/// sqlx's per-connection worker thread, which costs more than the query itself. Both drivers
/// link the same SQLite; the statement and the decoding are the sqlx path's, and each lookup
/// is a fresh read transaction, so it sees every committed write. In-memory databases, URI
/// filenames, custom VFSes and immutable files stay on sqlx. Turn it off with
/// [`SqliteAdapter::with_native_reads`]`(false)`, for instance when your pool uses
/// `locking_mode=EXCLUSIVE`, which shuts other connections out.
///
/// [`Adapter::get_session_and_user`]: crate::Adapter::get_session_and_user
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
    native: Option<Arc<NativeReads>>,
    _user: std::marker::PhantomData<fn() -> U>,
}

impl<U> std::fmt::Debug for SqliteAdapter<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteAdapter")
            .field("tables", &self.sql.tables)
            .field("native_reads", &self.native.is_some())
            .finish_non_exhaustive()
    }
}

impl<U> Clone for SqliteAdapter<U> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            sql: Arc::clone(&self.sql),
            native: self.native.clone(),
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

    /// Uses a pool you configured and your table names. Native reads are on when the pool's
    /// database is a file (see [the type's docs](SqliteAdapter#native-reads)).
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s column names are not plain identifiers.
    pub fn from_pool_with_tables(pool: SqlitePool, tables: TableNames) -> Result<Self> {
        let adapter = Self {
            pool,
            sql: Arc::new(Statements::new::<U>(Dialect::Sqlite, tables)?),
            native: None,
            _user: std::marker::PhantomData,
        };
        Ok(adapter.with_native_reads(true))
    }

    /// The same adapter over other table names, with native reads as they were.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s column names are not plain identifiers.
    pub fn with_tables(self, tables: TableNames) -> Result<Self> {
        let native_reads = self.native.is_some();
        Self::from_pool_with_tables(self.pool, tables)
            .map(|adapter| adapter.with_native_reads(native_reads))
    }

    /// Turns native reads on (the default; it has no effect unless the database is a file)
    /// or off (every query through sqlx). See [the type's docs](SqliteAdapter#native-reads).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> lucia::Result<()> {
    /// use lucia::adapter::SqliteAdapter;
    ///
    /// let dir = tempfile::tempdir().unwrap();
    /// let adapter = SqliteAdapter::<()>::open(dir.path().join("auth.db")).await?;
    /// assert!(adapter.uses_native_reads().await?);
    /// let adapter = adapter.with_native_reads(false);
    /// assert!(!adapter.uses_native_reads().await?);
    /// # Ok(()) }
    /// ```
    pub fn with_native_reads(mut self, enabled: bool) -> Self {
        self.native = if enabled {
            let options = self.pool.connect_options();
            let statement = Arc::clone(&self.sql.select_session_and_user);
            NativeReads::for_options(&options, statement).map(Arc::new)
        } else {
            None
        };
        self
    }

    /// Whether [`Adapter::get_session_and_user`](crate::Adapter::get_session_and_user) reads
    /// through native connections (native reads on and the database a file) rather than
    /// sqlx. Asks SQLite for the database's file the first time.
    ///
    /// # Errors
    /// [`Error::Adapter`] when SQLite cannot be asked.
    pub async fn uses_native_reads(&self) -> Result<bool> {
        match &self.native {
            Some(native) => native.is_file(&self.pool).await,
            None => Ok(false),
        }
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

/// The combined lookup: native for a file database, sqlx otherwise.
async fn session_and_user<U: UserAttributes>(
    adapter: &SqliteAdapter<U>,
    id: &SessionId,
) -> Result<Option<(SessionRecord, User<U>)>> {
    if let Some(native) = &adapter.native
        && native.is_file(&adapter.pool).await?
    {
        return native.session_and_user(id).await;
    }
    select_session_and_user(adapter, id).await
}

impl_sql_adapter!(
    SqliteAdapter,
    sqlx::Sqlite,
    sqlx::sqlite::SqliteRow,
    session_and_user
);

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::adapter::{Adapter, SessionAdapter, UserAdapter};
    use crate::testing::conformance::TestUser;

    async fn file_adapter(dir: &tempfile::TempDir) -> SqliteAdapter<TestUser> {
        let adapter = SqliteAdapter::<TestUser>::open(dir.path().join("auth.db"))
            .await
            .expect("open SQLite file");
        adapter.migrate().await.expect("migrate");
        adapter
    }

    fn session(id: &str, user_id: &str, active_expires: i64) -> SessionRecord {
        SessionRecord {
            id: SessionId::from_stored(id.to_owned()),
            user_id: user_id.to_owned(),
            active_expires,
            idle_expires: active_expires + 1_000,
            created_at: 1,
        }
    }

    fn native_lookups(adapter: &SqliteAdapter<TestUser>) -> u64 {
        let native = adapter.native.as_ref().expect("native reads on");
        native.lookups.load(Ordering::Relaxed)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn file_database_session_lookup_goes_through_native_connections() {
        let dir = tempfile::tempdir().expect("temp dir");
        let adapter = file_adapter(&dir).await;
        assert!(adapter.uses_native_reads().await.expect("ask"));
        let user = User::new("user-1", TestUser::named("user_1"));
        adapter.insert_user(&user, None).await.expect("insert user");
        let stored = session("s1", "user-1", 5_000);
        adapter.insert_session(&stored).await.expect("insert");

        let found = adapter
            .get_session_and_user(&stored.id)
            .await
            .expect("lookup");
        assert_eq!(found, Some((stored.clone(), user)));
        let missing = SessionId::from_stored("nope".to_owned());
        assert_eq!(
            adapter
                .get_session_and_user(&missing)
                .await
                .expect("lookup"),
            None
        );
        assert_eq!(native_lookups(&adapter), 2);

        let sqlx_only = adapter.clone().with_native_reads(false);
        assert!(!sqlx_only.uses_native_reads().await.expect("ask"));
        let through_sqlx = sqlx_only.get_session_and_user(&stored.id).await;
        assert_eq!(through_sqlx.expect("sqlx lookup"), found);
        assert_eq!(native_lookups(&adapter), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn native_lookup_sees_each_committed_write_at_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let adapter = file_adapter(&dir).await;
        let user = User::new("user-1", TestUser::named("user_1"));
        adapter.insert_user(&user, None).await.expect("insert user");
        for round in 0..50_i64 {
            let id = format!("s{round}");
            let stored = session(&id, "user-1", 10);
            adapter.insert_session(&stored).await.expect("insert");
            let found = adapter
                .get_session_and_user(&stored.id)
                .await
                .expect("read");
            assert_eq!(
                found.map(|(s, _)| s),
                Some(stored.clone()),
                "insert {round}"
            );

            let renewed = adapter
                .renew_session(&stored.id, 10, 100 + round, 200 + round)
                .await
                .expect("renew")
                .expect("renewed");
            let found = adapter
                .get_session_and_user(&stored.id)
                .await
                .expect("read");
            assert_eq!(found.map(|(s, _)| s), Some(renewed), "renewal {round}");

            let mut changed = user.clone();
            changed.attributes.age = Some(round);
            adapter.update_user(&changed).await.expect("update");
            let found = adapter
                .get_session_and_user(&stored.id)
                .await
                .expect("read");
            assert_eq!(found.map(|(_, u)| u), Some(changed), "user update {round}");

            adapter.delete_session(&stored.id).await.expect("delete");
            let found = adapter
                .get_session_and_user(&stored.id)
                .await
                .expect("read");
            assert_eq!(found, None, "invalidation {round}");
        }
        assert_eq!(native_lookups(&adapter), 200);
    }

    #[tokio::test]
    async fn in_memory_databases_stay_on_sqlx() {
        let adapter = SqliteAdapter::<TestUser>::in_memory()
            .await
            .expect("memory");
        assert!(!adapter.uses_native_reads().await.expect("ask"));
        for url in [
            "sqlite::memory:",
            "sqlite://?mode=memory",
            "sqlite://x.db?mode=memory",
        ] {
            let adapter = SqliteAdapter::<TestUser>::connect(url).await.expect(url);
            assert!(!adapter.uses_native_reads().await.expect("ask"), "{url}");
        }
        let options = SqliteConnectOptions::new().filename(":memory:");
        let pool = sqlx::SqlitePool::connect_with(options).await.expect("pool");
        let adapter = SqliteAdapter::<TestUser>::from_pool(pool).expect("adapter");
        assert!(!adapter.uses_native_reads().await.expect("ask"));
        let adapter = adapter.with_native_reads(true);
        assert!(!adapter.uses_native_reads().await.expect("ask"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn opt_out_survives_other_table_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        let adapter = file_adapter(&dir).await.with_native_reads(false);
        let tables = TableNames::with_prefix::<TestUser>("t_").expect("tables");
        let adapter = adapter.with_tables(tables.clone()).expect("tables");
        assert!(!adapter.uses_native_reads().await.expect("ask"));
        let adapter = adapter.with_native_reads(true).with_tables(tables);
        let adapter = adapter.expect("tables");
        assert!(adapter.uses_native_reads().await.expect("ask"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closed_native_pool_is_an_adapter_error_not_no_session() {
        let dir = tempfile::tempdir().expect("temp dir");
        let adapter = file_adapter(&dir).await;
        assert!(adapter.uses_native_reads().await.expect("ask"));
        adapter.native.as_ref().expect("native reads on").close();
        let id = SessionId::from_stored("s".to_owned());
        let err = adapter.get_session_and_user(&id).await.expect_err("closed");
        assert!(matches!(err, Error::Adapter(_)), "{err:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn native_query_failure_is_an_adapter_error_not_no_session() {
        let dir = tempfile::tempdir().expect("temp dir");
        // No `migrate`: the tables do not exist.
        let adapter = SqliteAdapter::<TestUser>::open(dir.path().join("auth.db"))
            .await
            .expect("open");
        let id = SessionId::from_stored("s".to_owned());
        let err = adapter
            .get_session_and_user(&id)
            .await
            .expect_err("no table");
        assert!(matches!(err, Error::Adapter(_)), "{err:?}");
        let source = std::error::Error::source(&err).expect("driver error kept");
        assert!(source.is::<rusqlite::Error>(), "{source:?}");
    }
}
