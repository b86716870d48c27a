//! The PostgreSQL adapter against a real server (`LUCIA_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`): the conformance suite, a two-connection pool
//! under concurrent sign-ups, and case 7 with the session time zone at `+03:00`. Each test
//! gets its own tables (random prefix) and drops them when it passes.

mod common;

use std::time::Duration;

use lucia::adapter::PostgresAdapter;
use lucia::adapter::sql::sqlx::{self, postgres::PgPoolOptions};
use lucia::testing::conformance::{self, Harness, TestUser};

/// A pool of `max` connections, optionally with every connection's time zone at `+03:00`,
/// over fresh tables.
pub async fn postgres(
    max: u32,
    shifted_time_zone: bool,
) -> Option<Harness<PostgresAdapter<TestUser>>> {
    let mut options = PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5));
    if shifted_time_zone {
        options = options.after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("SET TIME ZONE '+03:00'").execute(conn).await?;
                Ok(())
            })
        });
    }
    let pool = match options.connect(&common::postgres_url()).await {
        Ok(pool) => pool,
        Err(err) => return common::unreachable("PostgreSQL", "LUCIA_TEST_POSTGRES_URL", err),
    };
    let tables = common::fresh_tables();
    let adapter = PostgresAdapter::<TestUser>::from_pool_with_tables(pool.clone(), tables.clone())
        .expect("adapter");
    adapter.migrate().await.expect("migrate");
    let drops = common::drop_statements(&tables, '"');
    Some(Harness::new(adapter).with_cleanup(move || common::drop_tables(pool, drops)))
}

lucia::conformance_tests!(postgres(5, false));

/// `count` adapters over the same fresh tables, each with its own pool, as separate app
/// servers would have, and the statements that drop the tables.
async fn servers(count: usize) -> Option<(Vec<PostgresAdapter<TestUser>>, Vec<String>)> {
    let tables = common::fresh_tables();
    let mut adapters = Vec::with_capacity(count);
    for _ in 0..count {
        let pool = match PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&common::postgres_url())
            .await
        {
            Ok(pool) => pool,
            Err(err) => return common::unreachable("PostgreSQL", "LUCIA_TEST_POSTGRES_URL", err),
        };
        let adapter = PostgresAdapter::from_pool_with_tables(pool, tables.clone());
        adapters.push(adapter.expect("adapter"));
    }
    Some((adapters, common::drop_statements(&tables, '"')))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_servers_migrating_the_same_fresh_tables_at_once_all_succeed() {
    // A few rounds: each is a new chance for two `CREATE TABLE`s to collide.
    for _ in 0..3 {
        let Some((adapters, drops)) = servers(4).await else {
            return;
        };
        common::migrate_all_at_once(&adapters, |adapter| async move { adapter.migrate().await })
            .await;
        common::drop_tables(adapters[0].pool().clone(), drops).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_over_a_two_connection_pool_all_succeed() {
    let Some(harness) = postgres(2, false).await else {
        return;
    };
    harness
        .run(conformance::concurrent_user_creation_all_succeeds)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiries_are_exact_with_the_session_time_zone_at_plus_three() {
    let Some(harness) = postgres(2, true).await else {
        return;
    };
    harness
        .run(|adapter| async move {
            let zone: String = sqlx::query_scalar("SELECT current_setting('TimeZone')")
                .fetch_one(adapter.pool())
                .await
                .expect("time zone");
            assert_ne!(zone, "UTC", "the connection's time zone was shifted");
            conformance::expiries_are_stored_as_exact_epoch_millis(adapter).await;
        })
        .await;
}

#[tokio::test]
async fn migrate_is_idempotent_and_schema_text_matches() {
    let Some(harness) = postgres(2, false).await else {
        return;
    };
    harness
        .run(|adapter| async move {
            adapter.migrate().await.expect("second migrate");
            let schema = PostgresAdapter::<TestUser>::schema_sql().expect("schema");
            for needle in [
                "CREATE TABLE IF NOT EXISTS \"auth_user\"",
                "\"score\" DOUBLE PRECISION NOT NULL",
                "\"admin\" BOOLEAN NOT NULL",
                "\"idle_expires\" BIGINT NOT NULL",
                "ON DELETE CASCADE",
                "CREATE INDEX IF NOT EXISTS \"auth_session_user_id_idx\"",
            ] {
                assert!(schema.contains(needle), "schema lacks {needle}:\n{schema}");
            }
        })
        .await;
}
