//! PostgreSQL (feature `postgres`), pooled, through sqlx: for deployments with many app
//! servers.

use std::sync::Arc;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{Dialect, Statements, TableNames, impl_sql_adapter, schema_script};
use crate::error::{Error, Result};
use crate::user::UserAttributes;

/// The advisory lock key that serializes [`PostgresAdapter::migrate`] runs in a database:
/// `lucia_mg` in ASCII, unlikely to be an application's own key.
const MIGRATION_LOCK: i64 = 0x6c75_6369_615f_6d67;

/// Users, keys and sessions in PostgreSQL.
///
/// ```no_run
/// # async fn demo() -> lucia::Result<()> {
/// use lucia::adapter::PostgresAdapter;
///
/// let adapter = PostgresAdapter::<()>::connect("postgres://app@localhost/app").await?;
/// adapter.migrate().await?;
/// let auth = lucia::Auth::builder(adapter).build()?;
/// # Ok(()) }
/// ```
pub struct PostgresAdapter<U> {
    pool: PgPool,
    sql: Arc<Statements>,
    _user: std::marker::PhantomData<fn() -> U>,
}

impl<U> std::fmt::Debug for PostgresAdapter<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresAdapter")
            .field("tables", &self.sql.tables)
            .finish_non_exhaustive()
    }
}

impl<U> Clone for PostgresAdapter<U> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            sql: Arc::clone(&self.sql),
            _user: std::marker::PhantomData,
        }
    }
}

impl<U: UserAttributes> PostgresAdapter<U> {
    /// Connects a pool (sqlx defaults: up to 10 connections) to `url`, e.g.
    /// `postgres://user:password@host/database`.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the URL is invalid or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .connect(url)
            .await
            .map_err(Error::adapter)?;
        Self::from_pool(pool)
    }

    /// Uses a pool you configured, with the default table names.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s table or column names are not plain identifiers.
    pub fn from_pool(pool: PgPool) -> Result<Self> {
        Self::from_pool_with_tables(pool, TableNames::for_user::<U>()?)
    }

    /// Uses a pool you configured and your table names.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s column names are not plain identifiers.
    pub fn from_pool_with_tables(pool: PgPool, tables: TableNames) -> Result<Self> {
        Ok(Self {
            pool,
            sql: Arc::new(Statements::new::<U>(Dialect::Postgres, tables)?),
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
    /// from several app servers at once: the DDL runs in one transaction under an advisory
    /// lock, since two concurrent `CREATE TABLE IF NOT EXISTS` can both miss the table and
    /// one then fails on `pg_type`.
    ///
    /// # Errors
    /// [`Error::Adapter`] when a statement fails.
    pub async fn migrate(&self) -> Result<()> {
        let mut transaction = self.pool.begin().await.map_err(Error::adapter)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *transaction)
            .await
            .map_err(Error::adapter)?;
        for statement in &self.sql.ddl {
            sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                .execute(&mut *transaction)
                .await
                .map_err(Error::adapter)?;
        }
        transaction.commit().await.map_err(Error::adapter)
    }

    /// The DDL that [`PostgresAdapter::migrate`] runs, for the default table names, as one
    /// script for your own migrations.
    ///
    /// # Errors
    /// [`Error::Config`] when `U`'s table or column names are not plain identifiers.
    pub fn schema_sql() -> Result<String> {
        let tables = TableNames::for_user::<U>()?;
        Ok(schema_script(
            &Statements::new::<U>(Dialect::Postgres, tables)?.ddl,
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
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl_sql_adapter!(PostgresAdapter, sqlx::Postgres, sqlx::postgres::PgRow);
