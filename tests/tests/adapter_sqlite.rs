//! The SQLite adapter: the conformance suite on a temporary file (WAL, many connections) and
//! in memory, plus schema, migration and error-mapping checks.

mod common;

use lucia::adapter::SqliteAdapter;
use lucia::adapter::sql::TableNames;
use lucia::adapter::sql::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use lucia::session::SessionRecord;
use lucia::testing::conformance::{self, Harness, TestUser};
use lucia::{Error, SessionAdapter, SessionId, User, UserAdapter};

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

#[tokio::test]
async fn validating_a_request_is_one_adapter_call() {
    let adapter = SqliteAdapter::<TestUser>::in_memory()
        .await
        .expect("adapter");
    adapter.migrate().await.expect("migrate");
    let counting = lucia::testing::CountingAdapter::new(adapter);
    let counts = counting.counts();
    let auth = lucia::Auth::builder(counting).build().expect("auth");
    let user = auth
        .create_user(None, TestUser::named("alice"))
        .await
        .expect("user");
    let session = auth.create_session(&user.id).await.expect("session");
    let token = session.token().expect("token").expose().to_owned();
    counts.reset();
    let (_, found) = auth.validate_session_user(&token).await.expect("valid");
    assert_eq!(found, user);
    assert_eq!(counts.total(), 1, "one call: the session-and-user join");
    assert_eq!(counts.session_reads(), 1);
}

/// Every field type the derive supports, a custom one included.
#[derive(Clone, Debug, PartialEq, lucia::AuthUser)]
#[auth(table = "app_user")]
struct EveryType {
    username: String,
    #[auth(column = "email_address")]
    email: Option<String>,
    tiny: i8,
    small: i16,
    medium: i32,
    large: i64,
    byte: u8,
    word: u16,
    double_word: u32,
    ratio: f32,
    score: f64,
    verified: bool,
    joined_at: time::OffsetDateTime,
    last_login_at: Option<time::OffsetDateTime>,
    age: Option<i32>,
    flag: Option<bool>,
    weight: Option<f64>,
    role: Role,
}

#[derive(Clone, Debug, PartialEq)]
enum Role {
    Admin,
    Member,
}

impl lucia::user::AttributeValue for Role {
    const COLUMN_TYPE: lucia::user::ColumnType = lucia::user::ColumnType::Text;

    fn to_value(&self) -> lucia::user::Value {
        let text = match self {
            Role::Admin => "admin",
            Role::Member => "member",
        };
        lucia::user::Value::Text(text.into())
    }

    fn from_value(
        column: &'static str,
        value: lucia::user::Value,
    ) -> Result<Self, lucia::AttributeError> {
        match value {
            lucia::user::Value::Text(text) if text == "admin" => Ok(Role::Admin),
            lucia::user::Value::Text(text) if text == "member" => Ok(Role::Member),
            _ => Err(lucia::AttributeError::Custom {
                column,
                message: "unknown role".into(),
            }),
        }
    }
}

fn at_millis(millis: i64) -> time::OffsetDateTime {
    let nanos = i128::from(millis) * 1_000_000;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos).expect("in range")
}

fn every_type_full() -> EveryType {
    EveryType {
        username: "Ada \u{1F600} \"quoted\" ".into(),
        email: Some(String::new()),
        tiny: i8::MIN,
        small: i16::MAX,
        medium: -3,
        large: i64::MIN,
        byte: u8::MAX,
        word: 6,
        double_word: u32::MAX,
        ratio: 0.1,
        score: -1e308,
        verified: true,
        joined_at: at_millis(-1_234),
        last_login_at: Some(at_millis(1_700_000_000_123)),
        age: Some(i32::MIN),
        flag: Some(false),
        weight: Some(2.0),
        role: Role::Admin,
    }
}

fn every_type_empty() -> EveryType {
    EveryType {
        username: String::new(),
        email: None,
        tiny: 0,
        small: 0,
        medium: 0,
        large: i64::MAX,
        byte: 0,
        word: u16::MAX,
        double_word: 0,
        ratio: -0.0,
        score: 0.5,
        verified: false,
        joined_at: at_millis(0),
        last_login_at: None,
        age: None,
        flag: None,
        weight: None,
        role: Role::Member,
    }
}

/// The lookup through the native connections and through sqlx, on the same database.
async fn both_lookups<U: lucia::UserAttributes>(
    adapter: &SqliteAdapter<U>,
    id: &SessionId,
) -> (
    lucia::Result<Option<(SessionRecord, User<U>)>>,
    lucia::Result<Option<(SessionRecord, User<U>)>>,
) {
    use lucia::Adapter as _;
    let sqlx_only = adapter.clone().with_native_reads(false);
    (
        adapter.get_session_and_user(id).await,
        sqlx_only.get_session_and_user(id).await,
    )
}

fn session_for(id: &str, user_id: &str) -> SessionRecord {
    SessionRecord {
        id: SessionId::from_stored(id.to_owned()),
        user_id: user_id.to_owned(),
        active_expires: i64::MAX - 1,
        idle_expires: i64::MAX,
        created_at: i64::MIN,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_type_reads_natively_exactly_as_through_sqlx() {
    let dir = tempfile::tempdir().expect("temp dir");
    let adapter = SqliteAdapter::<EveryType>::open(dir.path().join("auth.db"))
        .await
        .expect("open");
    adapter.migrate().await.expect("migrate");
    assert!(adapter.uses_native_reads().await.expect("ask"));
    for (n, attributes) in [every_type_full(), every_type_empty()]
        .into_iter()
        .enumerate()
    {
        let user = User::new(format!("user-{n}"), attributes);
        adapter.insert_user(&user, None).await.expect("insert user");
        let session = session_for(&format!("session-{n}"), &user.id);
        adapter
            .insert_session(&session)
            .await
            .expect("insert session");

        let (native, sqlx) = both_lookups(&adapter, &session.id).await;
        let native = native.expect("native lookup");
        assert_eq!(native, Some((session, user)), "user {n}");
        assert_eq!(native, sqlx.expect("sqlx lookup"), "user {n}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_values_sqlx_rejects_are_rejected_natively_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    let adapter = SqliteAdapter::<TestUser>::open(dir.path().join("auth.db"))
        .await
        .expect("open");
    adapter.migrate().await.expect("migrate");
    let user = User::new("user-1", TestUser::named("alice"));
    adapter.insert_user(&user, None).await.expect("insert user");
    let session = session_for("s1", "user-1");
    adapter
        .insert_session(&session)
        .await
        .expect("insert session");
    // What each column holds after the statement, in SQLite's storage classes.
    for change in [
        "UPDATE auth_user SET age = 'forty'",
        "UPDATE auth_user SET age = 4.5",
        "UPDATE auth_user SET age = NULL",
        "UPDATE auth_user SET score = 2",
        "UPDATE auth_user SET score = 'high'",
        "UPDATE auth_user SET admin = 2",
        "UPDATE auth_user SET admin = 0.5",
        "UPDATE auth_user SET admin = 'yes'",
        "UPDATE auth_user SET joined_at = 1.5",
        "UPDATE auth_user SET joined_at = 'today'",
        "UPDATE auth_user SET username = x'00ff'",
        "UPDATE auth_user SET username = 12",
        "UPDATE auth_user SET username = CAST(x'c328' AS TEXT)",
        "UPDATE auth_session SET active_expires = 'soon'",
        "UPDATE auth_session SET idle_expires = 1.5",
    ] {
        lucia::adapter::sql::sqlx::query(lucia::adapter::sql::sqlx::AssertSqlSafe(change))
            .execute(adapter.pool())
            .await
            .expect(change);
        let (native, sqlx) = both_lookups(&adapter, &session.id).await;
        match (&native, &sqlx) {
            (Ok(native), Ok(sqlx)) => assert_eq!(native, sqlx, "{change}"),
            (Err(Error::Adapter(_)), Err(Error::Adapter(_)))
            | (Err(Error::Attributes(_)), Err(Error::Attributes(_))) => {}
            _ => panic!("{change}: native {native:?}, sqlx {sqlx:?}"),
        }
        // Back to a well-formed row before the next change.
        adapter.update_user(&user).await.expect("restore user");
        adapter
            .delete_session(&session.id)
            .await
            .expect("restore session");
        adapter
            .insert_session(&session)
            .await
            .expect("restore session");
    }
}
