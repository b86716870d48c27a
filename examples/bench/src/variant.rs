//! The variants under test: what each one measures and the target it is held to.

use std::fmt;

/// One way of serving the same tiny route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// No auth at all: the ceiling.
    Bare,
    /// Session check on the in-memory adapter.
    Memory,
    /// The same check written by hand in the handler, without `AuthLayer`: what the layer
    /// itself costs.
    MemoryInHandler,
    /// Session check on SQLite (a file in a temp dir, WAL), through lucia's adapter: the
    /// session lookup on its native read-only connections, everything else through sqlx.
    Sqlite,
    /// The same adapter with native reads off: every query through sqlx, for comparison.
    SqliteSqlx,
    /// Experimental: the native lookup run on the async thread itself, blocking the
    /// executor while it runs; shows what the thread hand-offs cost.
    SqliteInline,
    /// Session check on PostgreSQL, in a fresh database.
    Postgres,
    /// Sessions in Redis, users in memory, composed with `lucia::adapter::split`.
    Redis,
    /// The memory variant while a background client keeps logging in (Argon2id).
    MemoryWithLogins,
}

impl Variant {
    /// Every variant of the default run, in the order each round runs them.
    pub const ALL: [Variant; 8] = [
        Variant::Bare,
        Variant::Memory,
        Variant::MemoryInHandler,
        Variant::Sqlite,
        Variant::SqliteSqlx,
        Variant::Postgres,
        Variant::Redis,
        Variant::MemoryWithLogins,
    ];

    /// Variants that run only when `--only` names them.
    pub const ONLY_ON_REQUEST: [Variant; 1] = [Variant::SqliteInline];

    /// The lowest acceptable share of bare axum's throughput, if this variant has one.
    pub fn throughput_target(self) -> Option<f64> {
        match self {
            Variant::Memory => Some(0.85),
            Variant::Sqlite => Some(0.19),
            Variant::Redis => Some(0.30),
            Variant::Bare
            | Variant::MemoryInHandler
            | Variant::SqliteSqlx
            | Variant::SqliteInline
            | Variant::Postgres
            | Variant::MemoryWithLogins => None,
        }
    }

    /// The short name `--only` takes.
    pub fn key(self) -> &'static str {
        match self {
            Variant::Bare => "bare",
            Variant::Memory => "memory",
            Variant::MemoryInHandler => "in-handler",
            Variant::Sqlite => "sqlite",
            Variant::SqliteSqlx => "sqlite-sqlx",
            Variant::SqliteInline => "sqlite-inline",
            Variant::Postgres => "postgres",
            Variant::Redis => "redis",
            Variant::MemoryWithLogins => "logins",
        }
    }

    /// Whether a background client logs in while this variant is measured.
    pub fn has_logins(self) -> bool {
        self == Variant::MemoryWithLogins
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Variant::Bare => "bare axum",
            Variant::Memory => "memory",
            Variant::MemoryInHandler => "memory, check in the handler (no layer)",
            Variant::Sqlite => "SQLite (WAL)",
            Variant::SqliteSqlx => "SQLite (WAL), native reads off (sqlx only)",
            Variant::SqliteInline => "SQLite, inline lookup (experimental, blocks the executor)",
            Variant::Postgres => "PostgreSQL",
            Variant::Redis => "Redis sessions + memory users",
            Variant::MemoryWithLogins => "memory + background logins",
        })
    }
}
