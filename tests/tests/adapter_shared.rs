//! Two app servers over one store: each `Auth` has its own pool (and its own Redis
//! connection) over the same tables and key prefix, and both read one shared mock clock. A
//! session created through one validates on the other, a renewal on one is what the other
//! sees, and a logout or a sign-out-everywhere on one is seen at once on the other. Run over
//! users in PostgreSQL with sessions in Redis, and over PostgreSQL alone.

mod common;

use std::sync::Arc;

use lucia::adapter::sql::sqlx::postgres::PgPoolOptions;
use lucia::adapter::sql::{TableNames, sqlx};
use lucia::adapter::{Adapter, PostgresAdapter, split};
use lucia::clock::MockClock;
use lucia::testing::conformance::{Harness, TestUser};
use lucia::{Auth, Error, NewKey};
use time::Duration;

async fn postgres(tables: &TableNames) -> Option<(PostgresAdapter<TestUser>, sqlx::PgPool)> {
    let pool = match PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(&common::postgres_url())
        .await
    {
        Ok(pool) => pool,
        Err(err) => return common::unreachable("PostgreSQL", "LUCIA_TEST_POSTGRES_URL", err),
    };
    let adapter = PostgresAdapter::<TestUser>::from_pool_with_tables(pool.clone(), tables.clone())
        .expect("adapter");
    adapter.migrate().await.expect("migrate");
    Some((adapter, pool))
}

fn app_server(adapter: impl Adapter<TestUser>, clock: &Arc<MockClock>) -> Auth<TestUser> {
    Auth::builder(adapter)
        .clock(Arc::clone(clock))
        .session_expires_in(Duration::hours(1), Duration::hours(24))
        .build()
        .expect("auth")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_app_servers_share_sessions_and_logouts_in_postgres_and_redis() {
    let tables = common::fresh_tables();
    let prefix = format!("t_{}:", common::random_suffix());
    let clock = Arc::new(MockClock::starting_now());
    let Some((users_a, pool)) = postgres(&tables).await else {
        return;
    };
    let Some((users_b, pool_b)) = postgres(&tables).await else {
        return;
    };
    let Some((sessions_a, cleanup_redis)) = common::redis_sessions_with_prefix(&prefix).await
    else {
        return;
    };
    let Some((sessions_b, _)) = common::redis_sessions_with_prefix(&prefix).await else {
        return;
    };
    let servers = (
        app_server(split(users_a, sessions_a), &clock),
        app_server(split(users_b, sessions_b), &clock),
    );

    let drops = common::drop_statements(&tables, '"');
    Harness::new(servers)
        .with_cleanup(move || async move {
            cleanup_redis().await;
            pool_b.close().await;
            common::drop_tables(pool, drops).await;
        })
        .run(|(a, b)| shared_by_two_servers(a, b, clock))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_app_servers_share_sessions_and_logouts_in_postgres() {
    let tables = common::fresh_tables();
    let clock = Arc::new(MockClock::starting_now());
    let Some((adapter_a, pool)) = postgres(&tables).await else {
        return;
    };
    let Some((adapter_b, pool_b)) = postgres(&tables).await else {
        return;
    };
    let servers = (app_server(adapter_a, &clock), app_server(adapter_b, &clock));

    let drops = common::drop_statements(&tables, '"');
    Harness::new(servers)
        .with_cleanup(move || async move {
            pool_b.close().await;
            common::drop_tables(pool, drops).await;
        })
        .run(|(a, b)| shared_by_two_servers(a, b, clock))
        .await;
}

/// The checks both deployments pass: `a` and `b` are two app servers over one store.
async fn shared_by_two_servers(a: Auth<TestUser>, b: Auth<TestUser>, clock: Arc<MockClock>) {
    let user = a
        .create_user(
            Some(NewKey::without_password("github", "4242")),
            TestUser::named("alice"),
        )
        .await
        .expect("create_user");
    assert_eq!(
        b.get_key("github", "4242").await.expect("key").user_id,
        user.id
    );

    created_on_one_validates_on_the_other(&a, &b, &user.id).await;
    renewed_on_one_is_renewed_on_the_other(&a, &b, &user.id, &clock).await;
    logout_on_one_is_seen_on_the_other(&a, &b, &user.id).await;
    sign_out_everywhere_on_one_is_seen_on_the_other(&a, &b, &user.id).await;
}

async fn created_on_one_validates_on_the_other(a: &Auth<TestUser>, b: &Auth<TestUser>, id: &str) {
    let session = a.create_session(id).await.expect("create_session");
    let token = session.token().expect("token").expose().to_owned();
    let (seen, seen_user) = b
        .validate_session_user(&token)
        .await
        .expect("validates on the other server");
    assert_eq!(seen.id, session.id);
    assert_eq!(seen_user.id, id);
    assert_eq!(seen_user.attributes, TestUser::named("alice"));
}

async fn renewed_on_one_is_renewed_on_the_other(
    a: &Auth<TestUser>,
    b: &Auth<TestUser>,
    id: &str,
    clock: &MockClock,
) {
    let session = a.create_session(id).await.expect("create_session");
    let token = session.token().expect("token").expose().to_owned();
    clock.advance(Duration::minutes(90)); // idle on both servers

    let renewed = a.validate_session(&token).await.expect("renews on A");
    assert!(renewed.fresh);
    assert!(renewed.active_expires > session.active_expires);
    let seen = b.validate_session(&token).await.expect("valid on B");
    assert!(!seen.fresh, "B sees A's renewal and does not renew again");
    assert_eq!(
        (seen.active_expires, seen.idle_expires),
        (renewed.active_expires, renewed.idle_expires)
    );
}

async fn logout_on_one_is_seen_on_the_other(a: &Auth<TestUser>, b: &Auth<TestUser>, id: &str) {
    let session = a.create_session(id).await.expect("create_session");
    let token = session.token().expect("token").expose().to_owned();
    b.validate_session(&token).await.expect("valid on B");

    b.invalidate_session(&session.id)
        .await
        .expect("logout on B");
    assert!(matches!(
        a.validate_session_user(&token).await,
        Err(Error::InvalidSessionId)
    ));
    assert!(matches!(
        a.validate_session(&token).await,
        Err(Error::InvalidSessionId)
    ));
}

async fn sign_out_everywhere_on_one_is_seen_on_the_other(
    a: &Auth<TestUser>,
    b: &Auth<TestUser>,
    id: &str,
) {
    let mut created = Vec::new();
    for server in [a, b, b] {
        let session = server.create_session(id).await.expect("create_session");
        created.push(session.token().expect("token").expose().to_owned());
    }
    for token in &created {
        a.validate_session(token).await.expect("valid on A");
    }

    a.invalidate_all_user_sessions(id)
        .await
        .expect("sign out everywhere on A");
    for token in &created {
        assert!(matches!(
            b.validate_session(token).await,
            Err(Error::InvalidSessionId)
        ));
    }
    assert!(
        b.get_all_user_sessions(id)
            .await
            .expect("sessions")
            .is_empty()
    );
}
