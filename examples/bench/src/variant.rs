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
    /// Session check on SQLite (a file in a temp dir, WAL).
    Sqlite,
    /// Experimental: the SQLite variant with the one request-path call (the combined
    /// session-and-user lookup) answered by native `rusqlite` connections on
    /// `spawn_blocking` instead of sqlx; everything else through sqlx.
    SqliteNative,
    /// Experimental: the same native lookup run on the async thread itself, blocking the
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
        Variant::SqliteNative,
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
            | Variant::SqliteNative
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
            Variant::SqliteNative => "sqlite-native",
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
            Variant::SqliteNative => "SQLite, native lookup (experimental)",
            Variant::SqliteInline => "SQLite, inline lookup (experimental, blocks the executor)",
            Variant::Postgres => "PostgreSQL",
            Variant::Redis => "Redis sessions + memory users",
            Variant::MemoryWithLogins => "memory + background logins",
        })
    }
}
