//! `docs/adapters.md` shows the DDL each dialect generates; this keeps it identical to what
//! `schema_sql()` returns. Regenerate with
//! `cargo test -p lucia-tests --test adapter_docs -- --nocapture` and paste.

use lucia::AttributeError;
use lucia::adapter::{MySqlAdapter, PostgresAdapter, SqliteAdapter};
use lucia::user::{AttributeValue, Column, ColumnType, UserAttributes, Value};

/// The user type of the docs: one unique-by-key username.
#[derive(Clone)]
struct DocUser {
    username: String,
}

impl UserAttributes for DocUser {
    const TABLE: &'static str = "auth_user";
    const COLUMNS: &'static [Column] = &[Column {
        name: "username",
        ty: ColumnType::Text,
        nullable: false,
    }];

    fn to_values(&self) -> Vec<Value> {
        vec![self.username.to_value()]
    }

    fn from_values(values: Vec<Value>) -> Result<Self, AttributeError> {
        let value = values
            .into_iter()
            .next()
            .ok_or(AttributeError::Missing { column: "username" })?;
        Ok(Self {
            username: String::from_value("username", value)?,
        })
    }
}

const DOCS: &str = include_str!("../../docs/adapters.md");

#[test]
fn docs_show_the_generated_ddl() {
    let schemas = [
        ("sqlite", SqliteAdapter::<DocUser>::schema_sql()),
        ("postgres", PostgresAdapter::<DocUser>::schema_sql()),
        ("mysql", MySqlAdapter::<DocUser>::schema_sql()),
    ];
    let mut missing = Vec::new();
    for (dialect, schema) in schemas {
        let block = format!("```sql\n{}\n```", schema.expect("schema").trim_end());
        println!("---- {dialect}\n{block}\n");
        if !DOCS.contains(&block) {
            missing.push(dialect);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/adapters.md lacks the DDL of {missing:?}"
    );
}
