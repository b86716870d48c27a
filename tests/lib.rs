//! Shared helpers for the integration tests, and the project's guides compiled as doctests:
//! every Rust block of the README and of `docs/` is built (and run, unless marked `no_run`)
//! by `cargo test --workspace`, so the guides stay true.

#[doc = include_str!("../README.md")]
pub mod readme {}

/// `docs/macros.md`
#[doc = include_str!("../docs/macros.md")]
pub mod macros_guide {}

/// `docs/adapters.md`
#[doc = include_str!("../docs/adapters.md")]
pub mod adapters_guide {}

/// `docs/benchmarks.md`
#[doc = include_str!("../docs/benchmarks.md")]
pub mod benchmarks_guide {}
