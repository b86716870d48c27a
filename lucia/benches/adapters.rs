//! `validate_session_user` latency per adapter: one validated request of an active session
//! (one store round trip, no renewal). Memory and a SQLite file always; PostgreSQL,
//! MySQL/MariaDB and Redis when reachable at `LUCIA_TEST_POSTGRES_URL`,
//! `LUCIA_TEST_MYSQL_URL` / `LUCIA_TEST_REDIS_URL` (local defaults).
//!
//! Run: `cargo bench -p lucia --bench adapters`

use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lucia::adapter::sql::TableNames;
use lucia::adapter::sql::sqlx::{self, AssertSqlSafe};
use lucia::adapter::{MySqlAdapter, PostgresAdapter, RedisSessionAdapter, SqliteAdapter, split};
use lucia::{Adapter, Auth, MemoryAdapter};
use tokio::runtime::Runtime;

/// Creates a user and an active session; returns the instance, the token and the user id.
fn prepare(runtime: &Runtime, adapter: impl Adapter<()>) -> (Auth<()>, String, String) {
    runtime.block_on(async {
        let auth = Auth::<()>::builder(adapter).build().expect("auth");
        let user = auth.create_user(None, ()).await.expect("user");
        let session = auth.create_session(&user.id).await.expect("session");
        let token = session.token().expect("token").expose().to_owned();
        (auth, token, user.id)
    })
}

fn bench_one(c: &mut Criterion, runtime: &Runtime, name: &str, auth: &Auth<()>, token: &str) {
    c.bench_function(&format!("validate_session_user/{name}"), |b| {
        b.iter(|| {
            runtime
                .block_on(auth.validate_session_user(token))
                .expect("valid session")
        });
    });
}

fn suffix() -> String {
    let token = lucia::SessionToken::generate().expect("random");
    token.expose()[..10].to_owned()
}

fn adapters(c: &mut Criterion) {
    let runtime = Runtime::new().expect("runtime");

    let (auth, token, _) = prepare(&runtime, MemoryAdapter::<()>::new());
    bench_one(c, &runtime, "memory", &auth, &token);

    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = runtime.block_on(async {
        let adapter = SqliteAdapter::<()>::open(dir.path().join("bench.db"))
            .await
            .expect("sqlite");
        adapter.migrate().await.expect("migrate");
        adapter
    });
    let (auth, token, _) = prepare(&runtime, sqlite);
    bench_one(c, &runtime, "sqlite_file", &auth, &token);

    let postgres_url = std::env::var("LUCIA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let tables = TableNames::with_prefix::<()>(&format!("bench_{}_", suffix())).expect("names");
    let postgres = runtime.block_on(async {
        let adapter = PostgresAdapter::<()>::connect(&postgres_url).await.ok()?;
        let adapter = adapter.with_tables(tables.clone()).ok()?;
        adapter.migrate().await.ok()?;
        Some(adapter)
    });
    match postgres {
        Some(adapter) => {
            let pool = adapter.pool().clone();
            let (auth, token, _) = prepare(&runtime, adapter);
            bench_one(c, &runtime, "postgres", &auth, &token);
            runtime.block_on(async {
                for table in [tables.key(), tables.session(), tables.user()] {
                    let drop = format!("DROP TABLE IF EXISTS \"{table}\"");
                    let _ = sqlx::raw_sql(AssertSqlSafe(drop)).execute(&pool).await;
                }
            });
        }
        None => eprintln!("SKIPPED postgres: not reachable at {postgres_url}"),
    }

    let mysql_url = std::env::var("LUCIA_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    let tables = TableNames::with_prefix::<()>(&format!("bench_{}_", suffix())).expect("names");
    let mysql = runtime.block_on(async {
        let adapter = MySqlAdapter::<()>::connect(&mysql_url).await.ok()?;
        let adapter = adapter.with_tables(tables.clone()).ok()?;
        adapter.migrate().await.ok()?;
        Some(adapter)
    });
    match mysql {
        Some(adapter) => {
            let pool = adapter.pool().clone();
            let (auth, token, _) = prepare(&runtime, adapter);
            bench_one(c, &runtime, "mysql", &auth, &token);
            runtime.block_on(async {
                for table in [tables.key(), tables.session(), tables.user()] {
                    let drop = format!("DROP TABLE IF EXISTS `{table}`");
                    let _ = sqlx::raw_sql(AssertSqlSafe(drop)).execute(&pool).await;
                }
            });
        }
        None => eprintln!("SKIPPED mysql: not reachable at {mysql_url}"),
    }

    let redis_url =
        std::env::var("LUCIA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let redis = runtime.block_on(RedisSessionAdapter::connect(&redis_url));
    match redis {
        Ok(sessions) => {
            let sessions = sessions.with_prefix(format!("bench_{}:", suffix()));
            let users = MemoryAdapter::<()>::new();
            let (auth, token, user_id) = prepare(&runtime, split(users, sessions));
            bench_one(c, &runtime, "redis_sessions_memory_users", &auth, &token);
            runtime.block_on(async {
                let _ = auth.invalidate_all_user_sessions(&user_id).await;
            });
        }
        Err(_) => eprintln!("SKIPPED redis: not reachable at {redis_url}"),
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = adapters
}
criterion_main!(benches);
