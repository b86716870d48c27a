//! Test helpers for adapters and apps (feature `testing`): a counting wrapper around any
//! adapter and, in [`conformance`], the suite every adapter must pass.

mod counting;

pub use crate::password::legacy_hash::lucia_v1_hash;
pub use counting::{CountingAdapter, Counts};
