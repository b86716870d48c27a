//! The Redis session adapter against a real server (`LUCIA_TEST_REDIS_URL`, default
//! `redis://127.0.0.1:6379`): the session cases of the conformance suite with users in
//! memory (`split`), and case 6 (TTL relative to now, keys gone after expiry, index pruned).
//! Each test uses its own key prefix and deletes its keys when it passes.

mod common;

use common::redis;
use lucia::adapter::{RedisSessionAdapter, Split, split};
use lucia::clock::to_millis;
use lucia::session::SessionRecord;
use lucia::testing::conformance::{Harness, TestUser};
use lucia::{Auth, MemoryAdapter, SessionAdapter, SessionToken, User};

type Composed = Split<MemoryAdapter<TestUser>, RedisSessionAdapter>;

async fn composed() -> Option<Harness<Composed>> {
    let (sessions, cleanup) = common::redis_sessions().await?;
    Some(Harness::new(split(MemoryAdapter::new(), sessions)).with_boxed_cleanup(cleanup))
}

lucia::conformance_tests!(sessions_only: composed());

fn record(user_id: &str, active_in_ms: i64, idle_in_ms: i64) -> SessionRecord {
    let now = to_millis(time::OffsetDateTime::now_utc());
    SessionRecord {
        id: SessionToken::generate().expect("token").id(),
        user_id: user_id.to_owned(),
        active_expires: now + active_in_ms,
        idle_expires: now + idle_in_ms,
        created_at: now,
    }
}

/// Case 6: a session whose idle expiry is 14 days away lives 14 days in Redis (TTL ≈
/// 1 209 600 s), not ~1.7e9 s as with an epoch used as a relative TTL; the user index lives
/// at least as long.
#[tokio::test]
async fn session_ttl_is_the_idle_period_not_an_epoch() {
    let Some((sessions, cleanup)) = common::redis_sessions().await else {
        return;
    };
    let users = MemoryAdapter::<TestUser>::new();
    let auth = Auth::builder(split(users, sessions.clone()))
        .session_expires_in(time::Duration::days(1), time::Duration::days(13))
        .absolute_lifetime(None)
        .build()
        .expect("auth");
    lucia::UserAdapter::insert_user(
        auth.adapter().as_ref(),
        &User::new("user1", TestUser::named("user_user1")),
        None,
    )
    .await
    .expect("user");
    let session = auth.create_session("user1").await.expect("create_session");

    let mut conn = common::redis_connection().await.expect("redis");
    let ttl: i64 = redis::cmd("TTL")
        .arg(sessions.session_key(&session.id))
        .query_async(&mut conn)
        .await
        .expect("TTL");
    assert!(
        (1_209_590..=1_209_600).contains(&ttl),
        "TTL of a 14-day session is {ttl} s"
    );
    let index_ttl: i64 = redis::cmd("TTL")
        .arg(sessions.user_sessions_key("user1"))
        .query_async(&mut conn)
        .await
        .expect("TTL");
    assert!(
        index_ttl >= ttl,
        "index TTL {index_ttl} s below its member's {ttl} s"
    );
    cleanup().await;
}

/// Case 6, short run: a key with a 1.5 s idle expiry is gone after it, and the user's index
/// no longer lists it.
#[tokio::test]
async fn session_key_is_gone_after_its_idle_expiry_and_index_is_pruned() {
    let Some((sessions, cleanup)) = common::redis_sessions().await else {
        return;
    };
    let short = record("user1", 500, 1_500);
    let long = record("user1", 60_000, 3_600_000);
    sessions.insert_session(&short).await.expect("insert");
    sessions.insert_session(&long).await.expect("insert");
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;

    let mut conn = common::redis_connection().await.expect("redis");
    let exists: i64 = redis::cmd("EXISTS")
        .arg(sessions.session_key(&short.id))
        .query_async(&mut conn)
        .await
        .expect("EXISTS");
    assert_eq!(exists, 0);
    assert_eq!(sessions.get_session(&short.id).await.expect("get"), None);
    let listed = sessions.get_sessions_by_user("user1").await.expect("list");
    assert_eq!(listed, vec![long.clone()]);
    let members: Vec<String> = redis::cmd("ZRANGE")
        .arg(sessions.user_sessions_key("user1"))
        .arg(0)
        .arg(-1)
        .query_async(&mut conn)
        .await
        .expect("ZRANGE");
    assert_eq!(
        members,
        vec![long.id.as_str().to_owned()],
        "expired member pruned"
    );
    cleanup().await;
}

/// Invalidating all of a user's sessions deletes keys whose TTL has not elapsed, and the
/// index with them (SESS-S-03).
#[tokio::test]
async fn invalidate_all_deletes_live_keys_and_the_index() {
    let Some((sessions, cleanup)) = common::redis_sessions().await else {
        return;
    };
    let live = [
        record("user1", 60_000, 3_600_000),
        record("user1", 60_000, 7_200_000),
    ];
    for session in &live {
        sessions.insert_session(session).await.expect("insert");
    }
    sessions
        .delete_sessions_by_user("user1", None)
        .await
        .expect("delete");
    let mut conn = common::redis_connection().await.expect("redis");
    let mut keys: Vec<String> = live.iter().map(|s| sessions.session_key(&s.id)).collect();
    keys.push(sessions.user_sessions_key("user1"));
    let exists: i64 = redis::cmd("EXISTS")
        .arg(keys)
        .query_async(&mut conn)
        .await
        .expect("EXISTS");
    assert_eq!(exists, 0);
    cleanup().await;
}

/// Two handles with different prefixes never see each other's sessions.
#[tokio::test]
async fn prefixes_isolate_stores() {
    let Some((first, cleanup_first)) = common::redis_sessions().await else {
        return;
    };
    let Some((second, cleanup_second)) = common::redis_sessions().await else {
        return;
    };
    let session = record("user1", 60_000, 3_600_000);
    first.insert_session(&session).await.expect("insert");
    assert_eq!(second.get_session(&session.id).await.expect("get"), None);
    second
        .insert_session(&session)
        .await
        .expect("same id under another prefix");
    cleanup_first().await;
    cleanup_second().await;
}
