//! A password hasher wrapper that counts calls, to prove "the same work on every branch".

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::Result;
use crate::password::{PasswordHasher, Verification};

/// Wraps a hasher and counts `hash` and `verify` calls.
#[derive(Debug)]
pub struct CountingHasher<H> {
    inner: H,
    counts: Arc<HashCounts>,
}

/// The counters of a [`CountingHasher`].
#[derive(Debug, Default)]
pub struct HashCounts {
    hashes: AtomicU64,
    verifications: AtomicU64,
}

impl HashCounts {
    /// `hash` calls so far.
    pub fn hashes(&self) -> u64 {
        self.hashes.load(Ordering::SeqCst)
    }
    /// `verify` calls so far.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::SeqCst)
    }
    /// Sets both counters back to zero.
    pub fn reset(&self) {
        self.hashes.store(0, Ordering::SeqCst);
        self.verifications.store(0, Ordering::SeqCst);
    }
}

impl<H> CountingHasher<H> {
    /// Wraps `inner`.
    pub fn new(inner: H) -> Self {
        Self {
            inner,
            counts: Arc::new(HashCounts::default()),
        }
    }

    /// The shared counters.
    pub fn counts(&self) -> Arc<HashCounts> {
        Arc::clone(&self.counts)
    }
}

impl<H: PasswordHasher> PasswordHasher for CountingHasher<H> {
    fn hash(&self, password: &str) -> Result<String> {
        self.counts.hashes.fetch_add(1, Ordering::SeqCst);
        self.inner.hash(password)
    }

    fn verify(&self, password: &str, hash: &str) -> Verification {
        self.counts.verifications.fetch_add(1, Ordering::SeqCst);
        self.inner.verify(password, hash)
    }
}

/// A stand-in for Argon2 that keeps tests fast: it stores `plain:<password>` and verifies by
/// exact comparison, so any normalisation mismatch between hashing and verifying shows. A
/// bcrypt-looking hash (`$2b$`) is [`Verification::Outdated`], as with the real hasher.
/// Never use it outside tests: it is not a hash.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainHasher;

impl PasswordHasher for PlainHasher {
    fn hash(&self, password: &str) -> Result<String> {
        Ok(format!("plain:{password}"))
    }

    fn verify(&self, password: &str, hash: &str) -> Verification {
        if hash.strip_prefix("plain:") == Some(password) {
            Verification::Valid
        } else if hash.starts_with("$2b$") {
            Verification::Outdated
        } else {
            Verification::Invalid
        }
    }
}
