//! What the SQL adapters share: table names, the schema, the statements and error mapping.
//!
//! Every statement is built once, when an adapter is constructed, from constant SQL and
//! identifiers that passed [`TableNames`]' check (and the user type's column names, checked
//! the same way). They are quoted for the dialect and only then handed to sqlx wrapped in
//! [`sqlx::AssertSqlSafe`]; every value travels as a bind parameter. Nothing a request
//! carries is ever spliced into SQL.
//!
//! # Schema
//!
//! Three tables, created by each adapter's `migrate()` (idempotent: `CREATE TABLE IF NOT
//! EXISTS`), or by you from the text of `schema_sql()`:
//!
//! - `auth_user`: `id` plus one column per entry of [`UserAttributes::COLUMNS`];
//! - `auth_session`: `id` (the SHA-256 of the token, hex), `user_id`, `active_expires`,
//!   `idle_expires` and `created_at`, all three epoch milliseconds (UTC) in `BIGINT`, so the
//!   database's time zone never matters; indexed on `user_id`;
//! - `auth_key`: `id` (`provider_id:provider_user_id`), `user_id`, `primary_key`,
//!   `hashed_password` (nullable).
//!
//! Both child tables reference `auth_user(id)` with `ON DELETE CASCADE`. Ids compare
//! case-sensitively: `TEXT` on SQLite and PostgreSQL, `utf8mb4_bin` on MySQL/MariaDB.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::config::ConfigError;
use crate::error::{AttributeError, Error};
use crate::user::{Column, ColumnType, UserAttributes, Value};

/// The sqlx this crate is built with: build pools for `from_pool` with it.
pub use ::sqlx;

#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

/// Longest accepted table name: leaves room for the `_user_id_idx` suffix of index names
/// within PostgreSQL's 63-byte identifiers.
const MAX_TABLE_NAME_LEN: usize = 48;

/// The names of the three tables. Each is a plain identifier: an ASCII letter or `_`, then
/// letters, digits or `_`, at most 48 characters.
///
/// ```
/// use lucia::adapter::sql::TableNames;
///
/// let tables = TableNames::new("app_user", "app_session", "app_key").unwrap();
/// assert_eq!(tables.session(), "app_session");
/// assert!(TableNames::new("user; DROP TABLE x", "s", "k").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    user: String,
    session: String,
    key: String,
}

impl TableNames {
    /// Checks and stores three table names.
    ///
    /// # Errors
    /// [`Error::Config`] when a name is not a plain identifier.
    pub fn new(
        user: impl Into<String>,
        session: impl Into<String>,
        key: impl Into<String>,
    ) -> Result<Self, Error> {
        let names = Self {
            user: user.into(),
            session: session.into(),
            key: key.into(),
        };
        for (field, name) in [
            ("tables.user", &names.user),
            ("tables.session", &names.session),
            ("tables.key", &names.key),
        ] {
            check_identifier(field, name, MAX_TABLE_NAME_LEN)?;
        }
        Ok(names)
    }

    /// The default names: `U::TABLE` (`auth_user`), `auth_session` and `auth_key`.
    ///
    /// # Errors
    /// [`Error::Config`] when `U::TABLE` is not a plain identifier.
    pub fn for_user<U: UserAttributes>() -> Result<Self, Error> {
        Self::new(U::TABLE, "auth_session", "auth_key")
    }

    /// The default names with `prefix` in front of each (`t1_auth_user`, ...).
    ///
    /// # Errors
    /// [`Error::Config`] when a resulting name is not a plain identifier.
    pub fn with_prefix<U: UserAttributes>(prefix: &str) -> Result<Self, Error> {
        Self::new(
            format!("{prefix}{}", U::TABLE),
            format!("{prefix}auth_session"),
            format!("{prefix}auth_key"),
        )
    }

    /// The user table.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The session table.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// The key table.
    pub fn key(&self) -> &str {
        &self.key
    }
}

fn check_identifier(field: &'static str, name: &str, max_len: usize) -> Result<(), Error> {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= max_len;
    if plain {
        Ok(())
    } else {
        Err(Error::Config(ConfigError::new(
            field,
            format!(
                "`{name}` is not a plain SQL identifier (letters, digits, `_`; at most {max_len})"
            ),
        )))
    }
}

/// The SQL dialects the adapters speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    Sqlite,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    MySql,
}

impl Dialect {
    fn quote(self, identifier: &str) -> String {
        match self {
            Self::MySql => format!("`{identifier}`"),
            Self::Sqlite | Self::Postgres => format!("\"{identifier}\""),
        }
    }

    /// `UPDATE ... RETURNING`: PostgreSQL, and SQLite since 3.35 (sqlx bundles a newer one).
    fn has_returning(self) -> bool {
        matches!(self, Self::Sqlite | Self::Postgres)
    }

    fn id_type(self) -> &'static str {
        match self {
            Self::Sqlite | Self::Postgres => "TEXT",
            Self::MySql => "VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
        }
    }

    fn column_type(self, ty: ColumnType) -> &'static str {
        match (self, ty) {
            (_, ColumnType::Text) => self.id_type(),
            (_, ColumnType::Integer | ColumnType::Timestamp) => "BIGINT",
            (Self::Sqlite, ColumnType::Real) => "REAL",
            (Self::Postgres, ColumnType::Real) => "DOUBLE PRECISION",
            (Self::MySql, ColumnType::Real) => "DOUBLE",
            (_, ColumnType::Bool) => "BOOLEAN",
        }
    }

    /// Rewrites `?` placeholders as `$1, $2, ...` for PostgreSQL. The templates hold no `?`
    /// other than placeholders: identifiers are checked and contain none.
    fn placeholders(self, template: &str) -> String {
        if self != Self::Postgres {
            return template.to_owned();
        }
        let mut sql = String::with_capacity(template.len() + 8);
        let mut n = 0;
        for c in template.chars() {
            if c == '?' {
                n += 1;
                let _ = write!(sql, "${n}");
            } else {
                sql.push(c);
            }
        }
        sql
    }
}

/// Every statement an adapter runs, built once at construction.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) tables: TableNames,
    pub(crate) ddl: Vec<String>,
    pub(crate) select_user: Arc<str>,
    pub(crate) insert_user: Arc<str>,
    pub(crate) update_user: Arc<str>,
    pub(crate) delete_user: Arc<str>,
    pub(crate) select_key: Arc<str>,
    pub(crate) select_keys_by_user: Arc<str>,
    pub(crate) insert_key: Arc<str>,
    pub(crate) update_key_password: Arc<str>,
    pub(crate) delete_non_primary_key: Arc<str>,
    pub(crate) delete_keys_by_user: Arc<str>,
    pub(crate) select_session: Arc<str>,
    pub(crate) select_sessions_by_user: Arc<str>,
    pub(crate) insert_session: Arc<str>,
    pub(crate) renew_session: Arc<str>,
    /// Whether `renew_session` ends in `RETURNING` the session columns (not on MySQL).
    pub(crate) renew_returns_session: bool,
    pub(crate) delete_session: Arc<str>,
    pub(crate) delete_sessions_by_user: Arc<str>,
    pub(crate) delete_sessions_by_user_except: Arc<str>,
    pub(crate) delete_dead_sessions: Arc<str>,
    pub(crate) select_session_and_user: Arc<str>,
}

const SESSION_COLUMNS: [&str; 5] = [
    "id",
    "user_id",
    "active_expires",
    "idle_expires",
    "created_at",
];
const KEY_COLUMNS: [&str; 4] = ["id", "user_id", "primary_key", "hashed_password"];

impl Statements {
    pub(crate) fn new<U: UserAttributes>(
        dialect: Dialect,
        tables: TableNames,
    ) -> Result<Self, Error> {
        for column in U::COLUMNS {
            check_identifier("user column", column.name, 63)?;
            if column.name == "id" {
                return Err(Error::Config(ConfigError::new(
                    "user column",
                    "`id` is the user id column; attributes cannot use it",
                )));
            }
        }
        let q = |name: &str| dialect.quote(name);
        let sql = |template: String| -> Arc<str> { dialect.placeholders(&template).into() };
        let (user, session, key) = (q(&tables.user), q(&tables.session), q(&tables.key));
        let id = q("id");
        let user_id = q("user_id");

        let attribute_names: Vec<String> = U::COLUMNS.iter().map(|c| q(c.name)).collect();
        let user_list = std::iter::once(id.clone())
            .chain(attribute_names.iter().cloned())
            .collect::<Vec<_>>()
            .join(", ");
        let user_marks = vec!["?"; attribute_names.len() + 1].join(", ");
        let user_assignments = if attribute_names.is_empty() {
            format!("{id} = {id}")
        } else {
            attribute_names
                .iter()
                .map(|name| format!("{name} = ?"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let session_list = SESSION_COLUMNS.map(q).join(", ");
        let key_list = KEY_COLUMNS.map(q).join(", ");
        let joined_list = SESSION_COLUMNS
            .iter()
            .map(|c| format!("s.{}", q(c)))
            .chain(attribute_names.iter().map(|c| format!("u.{c}")))
            .collect::<Vec<_>>()
            .join(", ");
        let (active, idle) = (q("active_expires"), q("idle_expires"));

        Ok(Self {
            ddl: ddl::<U>(dialect, &tables),
            select_user: sql(format!("SELECT {user_list} FROM {user} WHERE {id} = ?")),
            insert_user: sql(format!(
                "INSERT INTO {user} ({user_list}) VALUES ({user_marks})"
            )),
            update_user: sql(format!(
                "UPDATE {user} SET {user_assignments} WHERE {id} = ?"
            )),
            delete_user: sql(format!("DELETE FROM {user} WHERE {id} = ?")),
            select_key: sql(format!("SELECT {key_list} FROM {key} WHERE {id} = ?")),
            select_keys_by_user: sql(format!("SELECT {key_list} FROM {key} WHERE {user_id} = ?")),
            insert_key: sql(format!(
                "INSERT INTO {key} ({key_list}) VALUES (?, ?, ?, ?)"
            )),
            update_key_password: sql(format!(
                "UPDATE {key} SET {} = ? WHERE {id} = ?",
                q("hashed_password")
            )),
            delete_non_primary_key: sql(format!(
                "DELETE FROM {key} WHERE {id} = ? AND {} = ?",
                q("primary_key")
            )),
            delete_keys_by_user: sql(format!("DELETE FROM {key} WHERE {user_id} = ?")),
            select_session: sql(format!(
                "SELECT {session_list} FROM {session} WHERE {id} = ?"
            )),
            select_sessions_by_user: sql(format!(
                "SELECT {session_list} FROM {session} WHERE {user_id} = ?"
            )),
            insert_session: sql(format!(
                "INSERT INTO {session} ({session_list}) VALUES (?, ?, ?, ?, ?)"
            )),
            renew_session: sql(format!(
                "UPDATE {session} SET {active} = ?, {idle} = ? \
                 WHERE {id} = ? AND {active} <= ? AND {idle} > ?{}",
                if dialect.has_returning() {
                    format!(" RETURNING {session_list}")
                } else {
                    String::new()
                }
            )),
            renew_returns_session: dialect.has_returning(),
            delete_session: sql(format!("DELETE FROM {session} WHERE {id} = ?")),
            delete_sessions_by_user: sql(format!("DELETE FROM {session} WHERE {user_id} = ?")),
            delete_sessions_by_user_except: sql(format!(
                "DELETE FROM {session} WHERE {user_id} = ? AND {id} <> ?"
            )),
            delete_dead_sessions: sql(format!("DELETE FROM {session} WHERE {idle} <= ?")),
            select_session_and_user: sql(format!(
                "SELECT {joined_list} FROM {session} AS s \
                 INNER JOIN {user} AS u ON u.{id} = s.{user_id} WHERE s.{id} = ?"
            )),
            tables,
        })
    }
}

/// The `CREATE TABLE` / `CREATE INDEX` statements for `U` in `dialect`, in order.
pub(crate) fn ddl<U: UserAttributes>(dialect: Dialect, tables: &TableNames) -> Vec<String> {
    let q = |name: &str| dialect.quote(name);
    let id_type = dialect.id_type();
    let (user, session, key) = (q(&tables.user), q(&tables.session), q(&tables.key));
    let mysql = dialect == Dialect::MySql;
    let table_suffix = if mysql {
        " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    } else {
        ""
    };

    let mut user_columns = vec![format!("{} {id_type} NOT NULL PRIMARY KEY", q("id"))];
    for column in U::COLUMNS {
        let null = if column.nullable { "NULL" } else { "NOT NULL" };
        user_columns.push(format!(
            "{} {} {null}",
            q(column.name),
            dialect.column_type(column.ty)
        ));
    }
    let reference = format!("REFERENCES {user} ({}) ON DELETE CASCADE", q("id"));
    let index_name = |table: &str| q(&format!("{table}_user_id_idx"));
    // MySQL has no `CREATE INDEX IF NOT EXISTS`; its indexes go inside `CREATE TABLE`.
    let inline_index = |table: &str| {
        if mysql {
            format!(",\n  INDEX {} ({})", index_name(table), q("user_id"))
        } else {
            String::new()
        }
    };

    let mut statements = vec![
        format!(
            "CREATE TABLE IF NOT EXISTS {user} (\n  {}\n){table_suffix}",
            user_columns.join(",\n  ")
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {session} (\n  {} {id_type} NOT NULL PRIMARY KEY,\n  \
             {} {id_type} NOT NULL,\n  {} BIGINT NOT NULL,\n  {} BIGINT NOT NULL,\n  \
             {} BIGINT NOT NULL,\n  FOREIGN KEY ({}) {reference}{}\n){table_suffix}",
            q("id"),
            q("user_id"),
            q("active_expires"),
            q("idle_expires"),
            q("created_at"),
            q("user_id"),
            inline_index(&tables.session),
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {key} (\n  {} {id_type} NOT NULL PRIMARY KEY,\n  \
             {} {id_type} NOT NULL,\n  {} BOOLEAN NOT NULL,\n  {} {} NULL,\n  \
             FOREIGN KEY ({}) {reference}{}\n){table_suffix}",
            q("id"),
            q("user_id"),
            q("primary_key"),
            q("hashed_password"),
            if mysql { "VARCHAR(255)" } else { "TEXT" },
            q("user_id"),
            inline_index(&tables.key),
        ),
    ];
    if !mysql {
        for table in [&tables.session, &tables.key] {
            statements.push(format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                index_name(table),
                q(table),
                q("user_id")
            ));
        }
    }
    statements
}

/// The statements of [`ddl`] as one script, for people who run their own migrations.
pub(crate) fn schema_script(statements: &[String]) -> String {
    let mut script = String::new();
    for statement in statements {
        script.push_str(statement);
        script.push_str(";\n\n");
    }
    script
}

/// Which duplicate error a unique violation of a statement means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Conflict {
    User,
    Key,
    Session,
}

/// Maps a driver error: unique violations to the duplicate error of the statement, foreign
/// key violations to `InvalidUserId`, everything else to `Error::Adapter` with the driver's
/// error kept as the source (never in the message).
pub(crate) fn map_error(err: sqlx::Error, conflict: Conflict) -> Error {
    if let sqlx::Error::Database(db) = &err {
        match (db.kind(), conflict) {
            (sqlx::error::ErrorKind::UniqueViolation, Conflict::User) => {
                return Error::DuplicateUserId;
            }
            (sqlx::error::ErrorKind::UniqueViolation, Conflict::Key) => {
                return Error::DuplicateKeyId;
            }
            (sqlx::error::ErrorKind::UniqueViolation, Conflict::Session) => {
                return Error::DuplicateSessionId;
            }
            (sqlx::error::ErrorKind::ForeignKeyViolation, _) => return Error::InvalidUserId,
            _ => {}
        }
    }
    Error::adapter(err)
}

/// A row that does not hold what the schema promises: a fault, never "not found".
pub(crate) fn corrupt_row(what: &'static str) -> Error {
    Error::adapter(format!("malformed {what} row"))
}

/// The error for an attribute value that does not fit its declared column.
pub(crate) fn mismatch(column: &Column, value: &Value) -> Error {
    Error::Attributes(AttributeError::TypeMismatch {
        column: column.name,
        expected: column.ty.name(),
        found: value.kind(),
    })
}

/// Implements the adapter traits for a SQL adapter struct with fields `pool: sqlx::Pool<$db>`
/// and `sql: Arc<Statements>`. One body for every dialect: the statements differ, the code
/// does not.
///
/// `get_session_and_user` calls `$session_and_user(self, id)`, by default the generated
/// `select_session_and_user` (sqlx); SQLite passes its own function, which can answer from
/// native connections instead.
macro_rules! impl_sql_adapter {
    ($adapter:ident, $db:ty, $row:ty) => {
        $crate::adapter::sql::impl_sql_adapter!($adapter, $db, $row, select_session_and_user);
    };
    ($adapter:ident, $db:ty, $row:ty, $session_and_user:ident) => {
        type SqlQuery = sqlx::query::Query<'static, $db, <$db as sqlx::Database>::Arguments>;

        fn statement(sql: &std::sync::Arc<str>) -> SqlQuery {
            sqlx::query(sqlx::AssertSqlSafe(std::sync::Arc::clone(sql)))
        }

        fn bind_value(
            query: SqlQuery,
            column: &$crate::user::Column,
            value: $crate::user::Value,
        ) -> $crate::error::Result<SqlQuery> {
            use $crate::user::{ColumnType, Value};
            Ok(match (column.ty, value) {
                (ColumnType::Text, Value::Null) => query.bind(None::<String>),
                (ColumnType::Integer | ColumnType::Timestamp, Value::Null) => {
                    query.bind(None::<i64>)
                }
                (ColumnType::Real, Value::Null) => query.bind(None::<f64>),
                (ColumnType::Bool, Value::Null) => query.bind(None::<bool>),
                (ColumnType::Text, Value::Text(text)) => query.bind(text),
                (ColumnType::Integer | ColumnType::Timestamp, Value::Integer(int)) => {
                    query.bind(int)
                }
                (ColumnType::Real, Value::Real(real)) => query.bind(real),
                (ColumnType::Bool, Value::Bool(flag)) => query.bind(flag),
                (ColumnType::Timestamp, Value::Timestamp(at)) => {
                    query.bind($crate::clock::to_millis(at))
                }
                (_, other) => return Err($crate::adapter::sql::mismatch(column, &other)),
            })
        }

        fn bind_attributes<U: $crate::user::UserAttributes>(
            mut query: SqlQuery,
            attributes: &U,
        ) -> $crate::error::Result<SqlQuery> {
            let values = attributes.to_values();
            if values.len() != U::COLUMNS.len() {
                return Err($crate::error::Error::Attributes(
                    $crate::error::AttributeError::Missing {
                        column: U::COLUMNS.get(values.len()).map_or("?", |c| c.name),
                    },
                ));
            }
            for (column, value) in U::COLUMNS.iter().zip(values) {
                query = bind_value(query, column, value)?;
            }
            Ok(query)
        }

        fn decode_value(
            row: &$row,
            index: usize,
            column: &$crate::user::Column,
        ) -> $crate::error::Result<$crate::user::Value> {
            use sqlx::Row as _;
            use $crate::user::{ColumnType, Value};
            let value = match column.ty {
                ColumnType::Text => row
                    .try_get::<Option<String>, _>(index)
                    .map(|v| v.map_or(Value::Null, Value::Text)),
                ColumnType::Integer => row
                    .try_get::<Option<i64>, _>(index)
                    .map(|v| v.map_or(Value::Null, Value::Integer)),
                ColumnType::Real => row
                    .try_get::<Option<f64>, _>(index)
                    .map(|v| v.map_or(Value::Null, Value::Real)),
                ColumnType::Bool => row
                    .try_get::<Option<bool>, _>(index)
                    .map(|v| v.map_or(Value::Null, Value::Bool)),
                ColumnType::Timestamp => row.try_get::<Option<i64>, _>(index).map(|v| {
                    v.map_or(Value::Null, |ms| {
                        Value::Timestamp($crate::clock::from_millis(ms))
                    })
                }),
            };
            value.map_err($crate::error::Error::adapter)
        }

        /// Decodes a user from `row`, its id at `first` and the attributes after it.
        fn decode_user<U: $crate::user::UserAttributes>(
            row: &$row,
            first: usize,
        ) -> $crate::error::Result<$crate::user::User<U>> {
            use sqlx::Row as _;
            let id: String = row.try_get(first).map_err($crate::error::Error::adapter)?;
            decode_attributes(row, first + 1)
                .map(|attributes| $crate::user::User::new(id, attributes))
        }

        fn decode_attributes<U: $crate::user::UserAttributes>(
            row: &$row,
            first: usize,
        ) -> $crate::error::Result<U> {
            let values = U::COLUMNS
                .iter()
                .enumerate()
                .map(|(n, column)| decode_value(row, first + n, column))
                .collect::<$crate::error::Result<Vec<_>>>()?;
            Ok(U::from_values(values)?)
        }

        fn decode_key(row: &$row) -> $crate::error::Result<$crate::key::KeyRecord> {
            use sqlx::Row as _;
            let id: String = row.try_get(0).map_err($crate::error::Error::adapter)?;
            Ok($crate::key::KeyRecord {
                id: $crate::key::KeyId::parse(&id)
                    .map_err(|_| $crate::adapter::sql::corrupt_row("key"))?,
                user_id: row.try_get(1).map_err($crate::error::Error::adapter)?,
                primary: row.try_get(2).map_err($crate::error::Error::adapter)?,
                hashed_password: row.try_get(3).map_err($crate::error::Error::adapter)?,
            })
        }

        fn decode_session(row: &$row) -> $crate::error::Result<$crate::session::SessionRecord> {
            use sqlx::Row as _;
            let get_i64 = |index: usize| row.try_get::<i64, _>(index);
            let id: String = row.try_get(0).map_err($crate::error::Error::adapter)?;
            Ok($crate::session::SessionRecord {
                id: $crate::session::SessionId::from_stored(id),
                user_id: row.try_get(1).map_err($crate::error::Error::adapter)?,
                active_expires: get_i64(2).map_err($crate::error::Error::adapter)?,
                idle_expires: get_i64(3).map_err($crate::error::Error::adapter)?,
                created_at: get_i64(4).map_err($crate::error::Error::adapter)?,
            })
        }

        #[async_trait::async_trait]
        impl<U: $crate::user::UserAttributes> $crate::adapter::UserAdapter<U> for $adapter<U> {
            async fn get_user(
                &self,
                user_id: &str,
            ) -> $crate::error::Result<Option<$crate::user::User<U>>> {
                let row = statement(&self.sql.select_user)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                row.as_ref().map(|row| decode_user(row, 0)).transpose()
            }

            async fn insert_user(
                &self,
                user: &$crate::user::User<U>,
                key: Option<&$crate::key::KeyRecord>,
            ) -> $crate::error::Result<()> {
                use $crate::adapter::sql::{Conflict, map_error};
                let insert = bind_attributes(
                    statement(&self.sql.insert_user).bind(&user.id),
                    &user.attributes,
                )?;
                // One transaction on one connection; dropped on error, which rolls back and
                // returns the connection to the pool.
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err($crate::error::Error::adapter)?;
                insert
                    .execute(&mut *tx)
                    .await
                    .map_err(|err| map_error(err, Conflict::User))?;
                if let Some(key) = key {
                    statement(&self.sql.insert_key)
                        .bind(key.id.as_str())
                        .bind(&key.user_id)
                        .bind(key.primary)
                        .bind(key.hashed_password.as_deref())
                        .execute(&mut *tx)
                        .await
                        .map_err(|err| map_error(err, Conflict::Key))?;
                }
                tx.commit().await.map_err($crate::error::Error::adapter)
            }

            async fn update_user(&self, user: &$crate::user::User<U>) -> $crate::error::Result<()> {
                let query = bind_attributes(statement(&self.sql.update_user), &user.attributes)?;
                let done = query
                    .bind(&user.id)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                if done.rows_affected() == 0 {
                    return Err($crate::error::Error::InvalidUserId);
                }
                Ok(())
            }

            async fn delete_user(&self, user_id: &str) -> $crate::error::Result<()> {
                // The foreign keys cascade; deleting children first keeps a pool whose
                // connections have foreign keys off (a `from_pool` SQLite pool) consistent.
                let mut tx = self
                    .pool
                    .begin()
                    .await
                    .map_err($crate::error::Error::adapter)?;
                for sql in [
                    &self.sql.delete_sessions_by_user,
                    &self.sql.delete_keys_by_user,
                    &self.sql.delete_user,
                ] {
                    statement(sql)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::error::Error::adapter)?;
                }
                tx.commit().await.map_err($crate::error::Error::adapter)
            }

            async fn get_key(
                &self,
                key_id: &$crate::key::KeyId,
            ) -> $crate::error::Result<Option<$crate::key::KeyRecord>> {
                let row = statement(&self.sql.select_key)
                    .bind(key_id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                row.as_ref().map(decode_key).transpose()
            }

            async fn get_keys_by_user(
                &self,
                user_id: &str,
            ) -> $crate::error::Result<Vec<$crate::key::KeyRecord>> {
                let rows = statement(&self.sql.select_keys_by_user)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                rows.iter().map(decode_key).collect()
            }

            async fn insert_key(&self, key: &$crate::key::KeyRecord) -> $crate::error::Result<()> {
                use $crate::adapter::sql::{Conflict, map_error};
                statement(&self.sql.insert_key)
                    .bind(key.id.as_str())
                    .bind(&key.user_id)
                    .bind(key.primary)
                    .bind(key.hashed_password.as_deref())
                    .execute(&self.pool)
                    .await
                    .map_err(|err| map_error(err, Conflict::Key))?;
                Ok(())
            }

            async fn update_key_password(
                &self,
                key_id: &$crate::key::KeyId,
                hashed_password: Option<&str>,
            ) -> $crate::error::Result<Option<$crate::key::KeyRecord>> {
                let done = statement(&self.sql.update_key_password)
                    .bind(hashed_password)
                    .bind(key_id.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                $crate::adapter::UserAdapter::<U>::get_key(self, key_id).await
            }

            async fn delete_non_primary_key(
                &self,
                key_id: &$crate::key::KeyId,
            ) -> $crate::error::Result<()> {
                statement(&self.sql.delete_non_primary_key)
                    .bind(key_id.as_str())
                    .bind(false)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                Ok(())
            }

            async fn delete_keys_by_user(&self, user_id: &str) -> $crate::error::Result<()> {
                statement(&self.sql.delete_keys_by_user)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl<U: $crate::user::UserAttributes> $crate::adapter::SessionAdapter for $adapter<U> {
            async fn get_session(
                &self,
                id: &$crate::session::SessionId,
            ) -> $crate::error::Result<Option<$crate::session::SessionRecord>> {
                let row = statement(&self.sql.select_session)
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                row.as_ref().map(decode_session).transpose()
            }

            async fn get_sessions_by_user(
                &self,
                user_id: &str,
            ) -> $crate::error::Result<Vec<$crate::session::SessionRecord>> {
                let rows = statement(&self.sql.select_sessions_by_user)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                rows.iter().map(decode_session).collect()
            }

            async fn insert_session(
                &self,
                session: &$crate::session::SessionRecord,
            ) -> $crate::error::Result<()> {
                use $crate::adapter::sql::{Conflict, map_error};
                statement(&self.sql.insert_session)
                    .bind(session.id.as_str())
                    .bind(&session.user_id)
                    .bind(session.active_expires)
                    .bind(session.idle_expires)
                    .bind(session.created_at)
                    .execute(&self.pool)
                    .await
                    .map_err(|err| map_error(err, Conflict::Session))?;
                Ok(())
            }

            async fn renew_session(
                &self,
                id: &$crate::session::SessionId,
                now: i64,
                active_expires: i64,
                idle_expires: i64,
            ) -> $crate::error::Result<Option<$crate::session::SessionRecord>> {
                // Only a row that is still there and still idle is written, so a concurrent
                // logout is never undone; concurrent renewals all write the same values.
                let renewal = statement(&self.sql.renew_session)
                    .bind(active_expires)
                    .bind(idle_expires)
                    .bind(id.as_str())
                    .bind(now)
                    .bind(now);
                if self.sql.renew_returns_session {
                    let row = renewal
                        .fetch_optional(&self.pool)
                        .await
                        .map_err($crate::error::Error::adapter)?;
                    if let Some(row) = row {
                        return decode_session(&row).map(Some);
                    }
                } else {
                    renewal
                        .execute(&self.pool)
                        .await
                        .map_err($crate::error::Error::adapter)?;
                }
                // MySQL has no `RETURNING`; elsewhere nothing was written because another
                // request renewed the row first or a logout removed it: read what is there.
                $crate::adapter::SessionAdapter::get_session(self, id).await
            }

            async fn delete_session(
                &self,
                id: &$crate::session::SessionId,
            ) -> $crate::error::Result<()> {
                statement(&self.sql.delete_session)
                    .bind(id.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                Ok(())
            }

            async fn delete_sessions_by_user(
                &self,
                user_id: &str,
                keep: Option<&$crate::session::SessionId>,
            ) -> $crate::error::Result<()> {
                let query = match keep {
                    Some(keep) => statement(&self.sql.delete_sessions_by_user_except)
                        .bind(user_id)
                        .bind(keep.as_str()),
                    None => statement(&self.sql.delete_sessions_by_user).bind(user_id),
                };
                query
                    .execute(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                Ok(())
            }

            async fn delete_dead_sessions(&self, now: i64) -> $crate::error::Result<u64> {
                let done = statement(&self.sql.delete_dead_sessions)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::error::Error::adapter)?;
                Ok(done.rows_affected())
            }
        }

        /// The combined lookup through sqlx.
        async fn select_session_and_user<U: $crate::user::UserAttributes>(
            adapter: &$adapter<U>,
            id: &$crate::session::SessionId,
        ) -> $crate::error::Result<Option<($crate::session::SessionRecord, $crate::user::User<U>)>>
        {
            let row = statement(&adapter.sql.select_session_and_user)
                .bind(id.as_str())
                .fetch_optional(&adapter.pool)
                .await
                .map_err($crate::error::Error::adapter)?;
            let Some(row) = row else { return Ok(None) };
            let session = decode_session(&row)?;
            let attributes = decode_attributes::<U>(&row, 5)?;
            let user = $crate::user::User::new(session.user_id.clone(), attributes);
            Ok(Some((session, user)))
        }

        #[async_trait::async_trait]
        impl<U: $crate::user::UserAttributes> $crate::adapter::Adapter<U> for $adapter<U> {
            async fn get_session_and_user(
                &self,
                id: &$crate::session::SessionId,
            ) -> $crate::error::Result<
                Option<($crate::session::SessionRecord, $crate::user::User<U>)>,
            > {
                $session_and_user(self, id).await
            }
        }
    };
}

pub(crate) use impl_sql_adapter;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_must_be_plain_identifiers() {
        for bad in [
            "",
            "1user",
            "user-table",
            "a b",
            "x\"y",
            "x`y",
            "é",
            &"a".repeat(49),
        ] {
            assert!(TableNames::new(bad, "s", "k").is_err(), "{bad:?} accepted");
        }
        assert!(TableNames::new("_a1", "B_2", "c".repeat(48)).is_ok());
    }

    #[test]
    fn postgres_placeholders_are_numbered() {
        let sql = Dialect::Postgres.placeholders("UPDATE t SET a = ?, b = ? WHERE id = ?");
        assert_eq!(sql, "UPDATE t SET a = $1, b = $2 WHERE id = $3");
        assert_eq!(Dialect::Sqlite.placeholders("a = ?"), "a = ?");
    }
}
