//! Two app servers, one PostgreSQL and one Redis: each `Auth` has its own pool and its own
//! Redis connection over the same tables and key prefix. A session created through one
//! validates on the other, and invalidating it on one is seen at once on the other.

mod common;

use lucia::adapter::sql::sqlx::postgres::PgPoolOptions;
use lucia::adapter::sql::{TableNames, sqlx};
use lucia::adapter::{PostgresAdapter, RedisSessionAdapter, Split, split};
use lucia::testing::conformance::TestUser;
use lucia::{Auth, Error, NewKey};

async fn app_server(tables: &TableNames, prefix: &str) -> Option<(Auth<TestUser>, sqlx::PgPool)> {
    let pool = match PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect(&common::postgres_url())
        .await
    {
        Ok(pool) => pool,
        Err(err) => return common::unreachable("PostgreSQL", "LUCIA_TEST_POSTGRES_URL", err),
    };
    let users = PostgresAdapter::<TestUser>::from_pool_with_tables(pool.clone(), tables.clone())
        .expect("adapter");
    users.migrate().await.expect("migrate");
    let (sessions, _cleanup) = common::redis_sessions_with_prefix(prefix).await?;
    let adapter: Split<_, RedisSessionAdapter> = split(users, sessions);
    Some((Auth::builder(adapter).build().expect("auth"), pool))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_app_servers_share_sessions_and_logouts() {
    let tables = common::fresh_tables();
    let prefix = format!("t_{}:", common::random_suffix());
    let Some((server_a, pool)) = app_server(&tables, &prefix).await else {
        return;
    };
    let Some((server_b, _)) = app_server(&tables, &prefix).await else {
        return;
    };

    let user = server_a
        .create_user(
            Some(NewKey::without_password("github", "4242")),
            TestUser::named("alice"),
        )
        .await
        .expect("create_user");
    let session = server_a
        .create_session(&user.id)
        .await
        .expect("create_session");
    let token = session.token().expect("token").expose().to_owned();

    let (seen, seen_user) = server_b
        .validate_session_user(&token)
        .await
        .expect("validates on the other server");
    assert_eq!(seen.id, session.id);
    assert_eq!(seen_user, user);
    assert_eq!(
        server_b
            .get_key("github", "4242")
            .await
            .expect("key")
            .user_id,
        user.id
    );

    server_b
        .invalidate_session(&session.id)
        .await
        .expect("logout on B");
    assert!(matches!(
        server_a.validate_session_user(&token).await,
        Err(Error::InvalidSessionId)
    ));
    assert!(matches!(
        server_a.validate_session(&token).await,
        Err(Error::InvalidSessionId)
    ));

    // Sign out everywhere on A is seen on B too.
    let again = server_b
        .create_session(&user.id)
        .await
        .expect("create_session");
    let again_token = again.token().expect("token").expose().to_owned();
    server_a
        .validate_session(&again_token)
        .await
        .expect("valid on A");
    server_a
        .invalidate_all_user_sessions(&user.id)
        .await
        .expect("sign out everywhere");
    assert!(matches!(
        server_b.validate_session(&again_token).await,
        Err(Error::InvalidSessionId)
    ));

    if let Some((_, cleanup)) = common::redis_sessions_with_prefix(&prefix).await {
        cleanup().await;
    }
    common::drop_tables(pool, common::drop_statements(&tables, '"')).await;
}
