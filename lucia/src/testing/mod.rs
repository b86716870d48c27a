//! Test helpers for adapters and apps (feature `testing`): wrappers that count adapter and
//! hasher calls, a fast stand-in hasher, a clock that ticks on every reading, and a Lucia v1 hash maker for
//! migration tests.

mod clock;
pub mod conformance;
mod counting;
mod hasher;

pub use crate::password::legacy_hash::lucia_v1_hash;
pub use clock::TickingClock;
pub use counting::{CountingAdapter, Counts};
pub use hasher::{CountingHasher, HashCounts, PlainHasher};
