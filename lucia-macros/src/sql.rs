//! Checks on the names the derive puts into SQL: only plain identifiers ever reach a query.

/// Column names the adapters use themselves in the user table.
const ADAPTER_COLUMNS: &[&str] = &["id"];

/// Words reserved in at least one of SQLite, PostgreSQL and MySQL that an adapter might
/// write unquoted; rejected case-insensitively.
const SQL_KEYWORDS: &[&str] = &[
    "all",
    "alter",
    "and",
    "as",
    "asc",
    "between",
    "by",
    "case",
    "check",
    "column",
    "constraint",
    "create",
    "cross",
    "default",
    "delete",
    "desc",
    "distinct",
    "drop",
    "else",
    "end",
    "exists",
    "false",
    "foreign",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "in",
    "index",
    "inner",
    "insert",
    "into",
    "is",
    "join",
    "key",
    "left",
    "like",
    "limit",
    "not",
    "null",
    "offset",
    "on",
    "or",
    "order",
    "outer",
    "primary",
    "references",
    "right",
    "select",
    "set",
    "table",
    "then",
    "to",
    "true",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "values",
    "when",
    "where",
    "with",
];

/// PostgreSQL truncates longer identifiers silently.
const MAX_LEN: usize = 63;

/// Why `name` cannot be a table or column name, as the end of an error message, or `None`
/// when it is a plain SQL identifier.
pub(crate) fn identifier_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Some("is empty".to_owned());
    };
    if first.is_ascii_digit() {
        return Some("starts with a digit".to_owned());
    }
    let valid = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if let Some(bad) = name.chars().find(|&c| !valid(c)) {
        return Some(format!(
            "contains {bad:?}: use only ASCII letters, digits and `_`"
        ));
    }
    if name.len() > MAX_LEN {
        return Some(format!("is longer than {MAX_LEN} characters"));
    }
    let lower = name.to_ascii_lowercase();
    if SQL_KEYWORDS.contains(&lower.as_str()) {
        return Some("is an SQL keyword".to_owned());
    }
    None
}

/// Whether an adapter already uses `name` as a column of the user table.
pub(crate) fn is_adapter_column(name: &str) -> bool {
    ADAPTER_COLUMNS.contains(&name.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_identifiers_pass() {
        for name in ["username", "email_verified", "_x", "a1", "Name"] {
            assert_eq!(identifier_problem(name), None, "{name}");
        }
    }

    #[test]
    fn injection_attempts_fail() {
        for name in ["", "1a", "a b", "a;drop", "x\"", "naïve", "select", "USER"] {
            assert!(identifier_problem(name).is_some(), "{name}");
        }
        assert!(identifier_problem(&"a".repeat(64)).is_some());
    }

    #[test]
    fn id_is_reserved_for_the_adapters() {
        assert!(is_adapter_column("id"));
        assert!(is_adapter_column("ID"));
        assert!(!is_adapter_column("user_id"));
    }
}
