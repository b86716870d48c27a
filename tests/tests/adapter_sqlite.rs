//! The SQLite adapter: the conformance suite on a temporary file (WAL, many connections) and
//! in memory, plus schema, migration and error-mapping checks.

mod common;

use lucia::adapter::SqliteAdapter;
use lucia::adapter::sql::TableNames;
use lucia::adapter::sql::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use lucia::testing::conformance::{self, Harness, TestUser};
use lucia::{Error, SessionAdapter, SessionId, UserAdapter};

/// A fresh database file in a temporary directory, removed after the case.
async fn file_adapter() -> Option<Harness<SqliteAdapter<TestUser>>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let adapter = SqliteAdapter::<TestUser>::open(dir.path().join("auth.db"))
        .await
        .expect("open SQLite file");
    adapter.migrate().await.expect("migrate");
    let pool = adapter.pool().clone();
    Some(Harness::new(adapter).with_cleanup(move || async move {
        pool.close().await;
        drop(dir);
    }))
}

async fn memory_adapter() -> Option<Harness<SqliteAdapter<TestUser>>> {
    let adapter = SqliteAdapter::<TestUser>::in_memory()
        .await
        .expect("open SQLite in memory");
    adapter.migrate().await.expect("migrate");
    Some(Harness::new(adapter))
}

mod file {
    use super::*;
    lucia::conformance_tests!(file_adapter());
}

mod memory {
    use super::*;
    lucia::conformance_tests!(memory_adapter());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_over_a_two_connection_pool_all_succeed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("auth.db"))
        .create_if_missing(true)
        .journal_mode(lucia::adapter::sql::sqlx::sqlite::SqliteJournalMode::Wal)
        .busy_timeout(std::time::Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .expect("pool");
    let adapter = SqliteAdapter::<TestUser>::from_pool(pool).expect("adapter");
    adapter.migrate().await.expect("migrate");
    conformance::concurrent_user_creation_all_succeeds(adapter).await;
}

#[tokio::test]
async fn migrate_is_idempotent_and_schema_text_matches() {
    let adapter = SqliteAdapter::<TestUser>::in_memory()
        .await
        .expect("adapter");
    adapter.migrate().await.expect("first migrate");
    adapter.migrate().await.expect("second migrate");
    let schema = SqliteAdapter::<TestUser>::schema_sql().expect("schema");
    assert_eq!(schema, adapter.schema());
    for needle in [
        "CREATE TABLE IF NOT EXISTS \"auth_user\"",
        "\"username\" TEXT NOT NULL",
        "\"age\" BIGINT NULL",
        "\"joined_at\" BIGINT NULL",
        "\"idle_expires\" BIGINT NOT NULL",
        "\"created_at\" BIGINT NOT NULL",
        "REFERENCES \"auth_user\" (\"id\") ON DELETE CASCADE",
        "CREATE INDEX IF NOT EXISTS \"auth_session_user_id_idx\" ON \"auth_session\" (\"user_id\")",
        "\"hashed_password\" TEXT NULL",
    ] {
        assert!(schema.contains(needle), "schema lacks {needle}:\n{schema}");
    }
}

#[tokio::test]
async fn configured_table_names_are_used() {
    let tables = TableNames::new("people", "logins", "credentials").expect("names");
    let adapter = SqliteAdapter::<TestUser>::in_memory()
        .await
        .expect("adapter")
        .with_tables(tables)
        .expect("adapter");
    adapter.migrate().await.expect("migrate");
    assert!(
        adapter
            .schema()
            .contains("CREATE TABLE IF NOT EXISTS \"logins\"")
    );
    conformance::get_session_and_user_joins_or_returns_none(adapter).await;
}

#[tokio::test]
async fn a_database_fault_is_an_adapter_error_not_not_found() {
    // No migration: every query fails with "no such table".
    let adapter = SqliteAdapter::<TestUser>::in_memory()
        .await
        .expect("adapter");
    let id = SessionId::from_stored("0".repeat(64));
    let result = adapter.get_session(&id).await;
    let Err(Error::Adapter(source)) = result else {
        panic!("expected Error::Adapter, got {result:?}");
    };
    assert!(
        source.to_string().contains("no such table"),
        "driver error kept as source"
    );
    let shown = Error::Adapter(source).to_string();
    assert_eq!(
        shown, "adapter error",
        "the message shows nothing of the driver's"
    );
    assert!(matches!(
        adapter.get_user("x").await,
        Err(Error::Adapter(_))
    ));
}
