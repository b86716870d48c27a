//! The stores behind the protected variants, and what they leave behind until the run ends:
//! a temp dir for SQLite, a fresh PostgreSQL database, the bench's keys in Redis.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use lucia::Auth;
use lucia::adapter::sql::sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use lucia::adapter::sql::sqlx::{self, AssertSqlSafe};
use lucia::adapter::{PostgresAdapter, RedisSessionAdapter, SqliteAdapter};

use crate::native_sqlite::{self, InlineSqlite};

/// How long a store may take to answer before its variant is skipped.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Why a variant does not run.
#[derive(Debug)]
pub enum Skip {
    /// Its store did not answer.
    Unreachable(String),
    /// Its store answered, but setting it up failed.
    Failed(String),
}

impl Skip {
    /// A setup failure with its cause.
    pub fn failed(err: impl fmt::Display) -> Self {
        Self::Failed(err.to_string())
    }

    fn unreachable(err: impl fmt::Display) -> Self {
        Self::Unreachable(err.to_string())
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable(cause) => write!(f, "skipped: unreachable ({cause})"),
            Self::Failed(cause) => write!(f, "skipped: setup failed ({cause})"),
        }
    }
}

/// A PostgreSQL database made for this run, dropped at the end.
struct FreshDatabase {
    admin: PgConnectOptions,
    name: String,
    pool: PgPool,
}

/// Everything to undo when the run ends.
#[derive(Default)]
pub struct Stores {
    temp_dirs: Vec<tempfile::TempDir>,
    fresh_database: Option<FreshDatabase>,
    redis_users: Vec<(Auth<()>, String)>,
}

impl Stores {
    /// A SQLite database file in a new temp dir (WAL, as the adapter opens it), migrated,
    /// with the adapter's native reads on or off; fails if they are on but not in use.
    pub async fn sqlite(&mut self, native_reads: bool) -> Result<SqliteAdapter<()>, Skip> {
        let adapter = self.sqlite_file().await?.0.with_native_reads(native_reads);
        let in_use = adapter.uses_native_reads().await.map_err(Skip::failed)?;
        if in_use != native_reads {
            return Err(Skip::failed(format!(
                "native reads {} on a file database",
                if in_use { "in use" } else { "not in use" }
            )));
        }
        Ok(adapter)
    }

    /// The same, with the combined lookup run on the async thread by a bench-only wrapper
    /// (experimental; see `native_sqlite`).
    pub async fn sqlite_inline(&mut self) -> Result<InlineSqlite, Skip> {
        let (adapter, path) = self.sqlite_file().await?;
        InlineSqlite::new(adapter.with_native_reads(false), &path).map_err(Skip::failed)
    }

    async fn sqlite_file(&mut self) -> Result<(SqliteAdapter<()>, std::path::PathBuf), Skip> {
        let dir = tempfile::tempdir().map_err(Skip::failed)?;
        let path = dir.path().join("lucia-bench.db");
        let adapter = SqliteAdapter::<()>::open(&path)
            .await
            .map_err(Skip::failed)?;
        self.temp_dirs.push(dir);
        adapter.migrate().await.map_err(Skip::failed)?;
        Ok((adapter, path))
    }

    /// Fails unless the adapter's native lookup answers as its sqlx one does for
    /// `user_id`'s sessions, a dead one and an unknown id.
    pub async fn check_native_reads(
        adapter: &SqliteAdapter<()>,
        user_id: &str,
    ) -> Result<(), Skip> {
        let sqlx_only = adapter.clone().with_native_reads(false);
        native_sqlite::check_matches_sqlx(adapter, &sqlx_only, user_id)
            .await
            .map_err(Skip::failed)
    }

    /// The same check for the inline wrapper.
    pub async fn check_inline(adapter: &InlineSqlite, user_id: &str) -> Result<(), Skip> {
        native_sqlite::check_matches_sqlx(adapter, adapter.inner(), user_id)
            .await
            .map_err(Skip::failed)
    }

    /// A fresh database on the server at `url`, migrated.
    pub async fn postgres(&mut self, url: &str) -> Result<PostgresAdapter<()>, Skip> {
        let admin = PgConnectOptions::from_str(url).map_err(Skip::failed)?;
        let name = format!("lucia_bench_{}", std::process::id());
        let admin_pool = connect(&admin).await?;
        // `name` is built from a fixed prefix and digits only.
        let drop_stale = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        sqlx::query(AssertSqlSafe(drop_stale))
            .execute(&admin_pool)
            .await
            .map_err(Skip::failed)?;
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin_pool)
            .await
            .map_err(Skip::failed)?;
        admin_pool.close().await;

        let pool = connect(&admin.clone().database(&name)).await?;
        self.fresh_database = Some(FreshDatabase {
            admin,
            name,
            pool: pool.clone(),
        });
        let adapter = PostgresAdapter::<()>::from_pool(pool).map_err(Skip::failed)?;
        adapter.migrate().await.map_err(Skip::failed)?;
        Ok(adapter)
    }

    /// A session adapter on the server at `url`, under a prefix of this run's own.
    pub async fn redis(&mut self, url: &str) -> Result<RedisSessionAdapter, Skip> {
        let adapter = tokio::time::timeout(CONNECT_TIMEOUT, RedisSessionAdapter::connect(url))
            .await
            .map_err(|_| Skip::unreachable("timed out"))?
            .map_err(Skip::unreachable)?;
        Ok(adapter.with_prefix(format!("lucia-bench:{}:", std::process::id())))
    }

    /// Deletes the sessions of `user_id` when the run ends (Redis keeps them otherwise).
    pub fn remove_sessions_at_end(&mut self, auth: Auth<()>, user_id: String) {
        self.redis_users.push((auth, user_id));
    }

    /// Removes what the run left behind; failures are reported, not fatal.
    pub async fn clean_up(self) {
        for (auth, user_id) in self.redis_users {
            if let Err(err) = auth.invalidate_all_user_sessions(&user_id).await {
                eprintln!("lucia-bench: cannot remove the bench sessions from Redis: {err}");
            }
        }
        if let Some(database) = self.fresh_database {
            database.pool.close().await;
            if let Err(err) = drop_database(&database.admin, &database.name).await {
                eprintln!("lucia-bench: cannot drop database {}: {err}", database.name);
            }
        }
        drop(self.temp_dirs);
    }
}

async fn connect(options: &PgConnectOptions) -> Result<PgPool, Skip> {
    PgPoolOptions::new()
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(Skip::unreachable)
}

async fn drop_database(admin: &PgConnectOptions, name: &str) -> Result<(), String> {
    let pool = connect(admin).await.map_err(|skip| skip.to_string())?;
    let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let result = sqlx::query(AssertSqlSafe(statement)).execute(&pool).await;
    pool.close().await;
    result.map(drop).map_err(|err| err.to_string())
}
