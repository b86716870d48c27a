//! The conformance suite on the in-memory adapter, the reference implementation.

use lucia::MemoryAdapter;
use lucia::testing::conformance::Harness;

lucia::conformance_tests!(async { Some(Harness::new(MemoryAdapter::new())) });
