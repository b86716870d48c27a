//! PostgreSQL renewal is one statement (`UPDATE ... RETURNING`), counted from sqlx's own
//! statement log. In a binary of its own: the log is captured by a process-wide subscriber,
//! which no other test's callsites can race with.

mod common;

use std::time::Duration;

use lucia::adapter::PostgresAdapter;
use lucia::adapter::sql::sqlx::postgres::PgPoolOptions;
use lucia::testing::conformance::{Harness, TestUser};

async fn postgres() -> Option<Harness<PostgresAdapter<TestUser>>> {
    let options = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5));
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

#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn renewing_an_idle_session_is_one_statement() {
    use lucia::adapter::{SessionAdapter, UserAdapter};

    // Process-wide, before any statement: every callsite sees it from its first use.
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter("sqlx::query=trace")
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");

    let Some(harness) = postgres().await else {
        return;
    };
    harness
        .run(move |adapter| async move {
            let user = lucia::User::new("user1", TestUser::named("user_user1"));
            adapter.insert_user(&user, None).await.expect("insert_user");
            let token = lucia::SessionToken::generate().expect("token");
            let stored = lucia::session::SessionRecord {
                id: token.id(),
                user_id: "user1".into(),
                active_expires: 1_000,
                idle_expires: 10_000_000_000_000,
                created_at: 0,
            };
            adapter
                .insert_session(&stored)
                .await
                .expect("insert_session");

            let before = captured.0.lock().expect("logs").len();
            let renewed = adapter
                .renew_session(&stored.id, 2_000, 3_000, 4_000)
                .await
                .expect("renew_session");
            let logs = captured.0.lock().expect("logs")[before..].to_vec();

            assert_eq!(
                renewed.map(|s| (s.active_expires, s.idle_expires)),
                Some((3_000, 4_000))
            );
            let logs = String::from_utf8(logs).expect("utf-8");
            assert_eq!(logs.matches("sqlx::query").count(), 1, "{logs}");
        })
        .await;
}
