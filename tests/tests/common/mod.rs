//! Shared helpers of the adapter tests: server URLs, per-test table names and key prefixes,
//! and the one place that decides whether an unreachable server skips or fails a test.
#![allow(dead_code)] // each test file uses a different subset

use std::fmt::Display;

use lucia::adapter::sql::TableNames;
use lucia::adapter::sql::sqlx::{self, AssertSqlSafe};
use lucia::testing::conformance::{Harness, TestUser};
use lucia::{SessionToken, UserAttributes};

/// `LUCIA_TEST_POSTGRES_URL`, or the local trust-auth server.
pub fn postgres_url() -> String {
    std::env::var("LUCIA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// `LUCIA_TEST_MYSQL_URL`, or the local MariaDB.
pub fn mysql_url() -> String {
    std::env::var("LUCIA_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// `LUCIA_TEST_REDIS_URL`, or the local Redis.
pub fn redis_url() -> String {
    std::env::var("LUCIA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The store `what` could not be reached. Under `CI=true` that fails the test; elsewhere it
/// is reported loudly on stderr and the test is skipped (`None`).
pub fn unreachable<T>(what: &str, env_var: &str, why: impl Display) -> Option<T> {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{what} is unreachable under CI=true (set {env_var}): {why}");
    }
    // Written to the stderr handle, not through `eprintln!`, which the test harness
    // captures and hides for a passing test.
    let notice = format!(
        "\n!!!!!!!! SKIPPED: {what} is unreachable, so this test did not run.\n\
         !!!!!!!! reason: {why}\n\
         !!!!!!!! set {env_var} to a reachable server (CI=true turns this into a failure)\n\n"
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
    None
}

/// A random, identifier-safe suffix so concurrent runs never share tables or keys.
pub fn random_suffix() -> String {
    let token = SessionToken::generate().expect("OS random source");
    token.expose()[..12].to_owned()
}

/// Fresh table names: `t_<random>_auth_user` and so on.
pub fn fresh_tables() -> TableNames {
    TableNames::with_prefix::<TestUser>(&format!("t_{}_", random_suffix())).expect("valid prefix")
}

/// `DROP TABLE` for the three tables, children first; `quote` is the dialect's quote.
pub fn drop_statements(tables: &TableNames, quote: char) -> Vec<String> {
    [tables.key(), tables.session(), tables.user()]
        .iter()
        .map(|table| format!("DROP TABLE IF EXISTS {quote}{table}{quote}"))
        .collect()
}

/// Runs the drop statements on `pool`, ignoring failures (cleanup only).
pub async fn drop_tables<DB: sqlx::Database>(pool: sqlx::Pool<DB>, statements: Vec<String>)
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    for statement in statements {
        if let Err(err) = sqlx::raw_sql(AssertSqlSafe(statement)).execute(&pool).await {
            eprintln!("cleanup: {err}");
        }
    }
    pool.close().await;
}

/// The table name the suite's user type declares (for messages).
pub fn user_table() -> &'static str {
    TestUser::TABLE
}

/// A harness with no cleanup.
pub fn harness<A>(adapter: A) -> Option<Harness<A>> {
    Some(Harness::new(adapter))
}

/// A Redis session adapter under a fresh key prefix, and the cleanup that deletes every key
/// under it.
pub async fn redis_sessions() -> Option<(
    lucia::adapter::RedisSessionAdapter,
    lucia::testing::conformance::Cleanup,
)> {
    redis_sessions_with_prefix(&format!("t_{}:", random_suffix())).await
}

/// As [`redis_sessions`], under `prefix`.
pub async fn redis_sessions_with_prefix(
    prefix: &str,
) -> Option<(
    lucia::adapter::RedisSessionAdapter,
    lucia::testing::conformance::Cleanup,
)> {
    let sessions = match lucia::adapter::RedisSessionAdapter::connect(&redis_url()).await {
        Ok(sessions) => sessions.with_prefix(prefix),
        Err(err) => {
            let why = std::error::Error::source(&err).map_or(err.to_string(), |s| s.to_string());
            return unreachable("Redis", "LUCIA_TEST_REDIS_URL", why);
        }
    };
    let pattern = format!("{prefix}*");
    let cleanup: lucia::testing::conformance::Cleanup = Box::new(move || {
        Box::pin(async move {
            let Ok(mut conn) = redis_connection().await else {
                return;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(&pattern)
                .query_async(&mut conn)
                .await
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: redis::RedisResult<i64> =
                    redis::cmd("DEL").arg(keys).query_async(&mut conn).await;
            }
        })
    });
    Some((sessions, cleanup))
}

pub use lucia::adapter::redis::redis_crate as redis;

/// A plain connection for inspecting keys (`TTL`, `EXISTS`).
pub async fn redis_connection() -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    redis::Client::open(redis_url())?
        .get_multiplexed_async_connection()
        .await
}

/// Runs `migrate` on every adapter at once (released together by a barrier), as app servers
/// starting at the same moment would, and fails the test if any of them fails.
pub async fn migrate_all_at_once<A, F, Fut>(adapters: &[A], migrate: F)
where
    A: Clone + Send + 'static,
    F: Fn(A) -> Fut,
    Fut: std::future::Future<Output = lucia::Result<()>> + Send + 'static,
{
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(adapters.len()));
    let migrations: Vec<_> = adapters
        .iter()
        .cloned()
        .map(|adapter| {
            let start = std::sync::Arc::clone(&start);
            let migration = migrate(adapter);
            tokio::spawn(async move {
                start.wait().await;
                migration.await
            })
        })
        .collect();
    for migration in migrations {
        migration.await.expect("task").expect("concurrent migrate");
    }
}
