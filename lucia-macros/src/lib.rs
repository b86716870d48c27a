//! Procedural macros for `lucia`. Use them through the `lucia` crate's re-exports.
