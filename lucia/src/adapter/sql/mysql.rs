//! MySQL and MariaDB (feature `mysql`), pooled, through sqlx: for deployments with many app
//! servers.

use std::sync::Arc;

use sqlx::mysql::{MySqlPool, MySqlPoolOptions};

use super::{Dialect, Statements, TableNames, impl_sql_adapter, schema_script};
use crate::error::{Error, Result};
use crate::user::UserAttributes;

/// Users, keys and sessions in MySQL or MariaDB (InnoDB, ids in `utf8mb4_bin`).
///
/// ```no_run
/// # async fn demo() -> lucia::Result<()> {
/// use lucia::adapter::MySqlAdapter;
///
/// let adapter = MySqlAdapter::<()>::connect("mysql://app@localhost/app").await?;
/// adapter.migrate().await?;
/// let auth = lucia::Auth::builder(adapter).build()?;
/// # Ok(()) }
/// ```
pub struct MySqlAdapter<U> {
    pool: MySqlPool,
    sql: Arc<Statements>,
    _user: std::marker::PhantomData<fn() -> U>,
}

impl<U> std::fmt::Debug for MySqlAdapter<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlAdapter")
            .field("tables", &self.sql.tables)
            .finish_non_exhaustive()
    }
}

impl<U> Clone for MySqlAdapter<U> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            sql: Arc::clone(&self.sql),
            _user: std::marker::PhantomData,
        }
    }
}

impl<U: UserAttributes> MySqlAdapter<U> {
    /// Connects a pool (sqlx defaults: up to 10 connections) to `url`, e.g.
    /// `mysql://user:password@host/database`.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the URL is invalid or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = MySqlPoolOptions::new()
            .connect(url)
            .await
            .map_err(Error::adapter)?;
        Self::from_pool(pool)
    }

    /// Uses a pool you configured, with the default table names.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s table or column names are not plain identifiers.
    pub fn from_pool(pool: MySqlPool) -> Result<Self> {
        Self::from_pool_with_tables(pool, TableNames::for_user::<U>()?)
    }

    /// Uses a pool you configured and your table names.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s column names are not plain identifiers.
    pub fn from_pool_with_tables(pool: MySqlPool, tables: TableNames) -> Result<Self> {
        Ok(Self {
            pool,
            sql: Arc::new(Statements::new::<U>(Dialect::MySql, tables)?),
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

    /// Creates the tables and indexes that are missing. Safe to run at every start, also
    /// from several app servers at once: the DDL runs under the named lock `lucia_migrate`
    /// (waiting up to 30 s for it), on a connection of its own that is closed afterwards,
    /// so the lock never outlives the migration, even one that is cancelled.
    ///
    /// # Errors
    /// [`Error::Adapter`] when a statement fails or the lock is not granted in time.
    pub async fn migrate(&self) -> Result<()> {
        let pooled = self.pool.acquire().await.map_err(Error::adapter)?;
        let mut connection = pooled.detach();
        let granted: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK('lucia_migrate', 30)")
            .fetch_one(&mut connection)
            .await
            .map_err(Error::adapter)?;
        if granted != Some(1) {
            return Err(Error::adapter(
                "the `lucia_migrate` lock was not granted in 30 s",
            ));
        }
        let migrated = self.run_ddl(&mut connection).await;
        // Closing the connection releases the lock in any case.
        let _ = sqlx::query("SELECT RELEASE_LOCK('lucia_migrate')")
            .execute(&mut connection)
            .await;
        let _ = sqlx::Connection::close(connection).await;
        migrated
    }

    async fn run_ddl(&self, connection: &mut sqlx::MySqlConnection) -> Result<()> {
        for statement in &self.sql.ddl {
            sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                .execute(&mut *connection)
                .await
                .map_err(Error::adapter)?;
        }
        Ok(())
    }

    /// The DDL that [`MySqlAdapter::migrate`] runs, for the default table names, as one
    /// script for your own migrations.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s table or column names are not plain identifiers.
    pub fn schema_sql() -> Result<String> {
        let tables = TableNames::for_user::<U>()?;
        Ok(schema_script(
            &Statements::new::<U>(Dialect::MySql, tables)?.ddl,
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
    pub fn pool(&self) -> &MySqlPool {
        &self.pool
    }
}

impl_sql_adapter!(MySqlAdapter, sqlx::MySql, sqlx::mysql::MySqlRow);
