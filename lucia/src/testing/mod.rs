//! Test helpers for adapters and apps (feature `testing`): wrappers that count adapter and
//! hasher calls, and a Lucia v1 hash maker for migration tests.

pub mod conformance;
mod counting;
mod hasher;

pub use crate::password::legacy_hash::lucia_v1_hash;
pub use counting::{CountingAdapter, Counts};
pub use hasher::{CountingHasher, HashCounts};
