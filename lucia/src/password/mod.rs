//! Password hashing: Argon2id by default, Lucia v1 scrypt hashes read and upgraded, a length
//! policy checked before any hashing work, and NFKC applied the same way on both sides.

mod argon;
mod legacy;
pub(crate) mod threads;
#[cfg(feature = "testing")]
pub(crate) mod legacy_hash {
    pub use super::legacy::lucia_v1_hash;
}

use unicode_normalization::UnicodeNormalization;

pub use argon::Argon2Hasher;
pub use threads::HashingPriority;

use crate::error::{PasswordPolicyError, Result};

/// The verdict of [`PasswordHasher::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// The password matches and the hash is current.
    Valid,
    /// The password matches but the hash is weaker than current policy: store a new hash.
    ValidNeedsRehash,
    /// The password does not match, or the stored hash is malformed.
    Invalid,
    /// The hash is in a format this hasher refuses to verify (bcrypt): the user must reset.
    Outdated,
}

impl Verification {
    /// True for both valid verdicts.
    pub fn is_valid(self) -> bool {
        matches!(self, Self::Valid | Self::ValidNeedsRehash)
    }
}

/// Hashes and verifies passwords. Both calls are blocking and CPU-heavy; `Auth` runs them on
/// hashing threads of their own under a concurrency cap, never on the async executor (see
/// [`HashingPriority`]).
///
/// Passwords reach the hasher already NFKC-normalised and within the policy's length caps.
pub trait PasswordHasher: Send + Sync + 'static {
    /// Hashes `password` into a self-describing string (a PHC string for the default).
    ///
    /// # Errors
    /// [`crate::Error::Hashing`] when the hasher itself fails.
    fn hash(&self, password: &str) -> Result<String>;

    /// Checks `password` against a stored `hash`. A malformed hash is [`Verification::Invalid`];
    /// implementations must never panic on stored data.
    fn verify(&self, password: &str, hash: &str) -> Verification;
}

/// Length rules for passwords, checked before hashing so a huge password costs nothing.
///
/// New passwords must have between `min_chars` and `max_chars` characters and at most
/// `max_bytes` UTF-8 bytes. Passwords presented at login are only held to the upper bounds:
/// anything longer fails at once, without hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    /// Minimum length in characters (default 8).
    pub min_chars: usize,
    /// Maximum length in characters (default 255).
    pub max_chars: usize,
    /// Hard cap in UTF-8 bytes (default 1024).
    pub max_bytes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 8,
            max_chars: 255,
            max_bytes: 1024,
        }
    }
}

impl PasswordPolicy {
    /// Checks a new password (sign-up, password change).
    ///
    /// # Errors
    /// [`PasswordPolicyError`] naming the rule it breaks.
    pub fn check_new(&self, password: &str) -> Result<(), PasswordPolicyError> {
        self.check_upper_bounds(password)?;
        if password.chars().count() < self.min_chars {
            return Err(PasswordPolicyError::TooShort {
                min: self.min_chars,
            });
        }
        Ok(())
    }

    /// Checks the upper bounds only (the login path): bytes first, so the character count
    /// never walks a huge input.
    ///
    /// # Errors
    /// [`PasswordPolicyError`] naming the rule it breaks.
    pub fn check_upper_bounds(&self, password: &str) -> Result<(), PasswordPolicyError> {
        if password.len() > self.max_bytes {
            return Err(PasswordPolicyError::TooManyBytes {
                max: self.max_bytes,
            });
        }
        if password.chars().count() > self.max_chars {
            return Err(PasswordPolicyError::TooLong {
                max: self.max_chars,
            });
        }
        Ok(())
    }
}

/// The form every password takes before hashing or verifying: Unicode NFKC, as Lucia does.
pub fn normalize(password: &str) -> String {
    password.nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bounds_new_passwords() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            policy.check_new("short"),
            Err(PasswordPolicyError::TooShort { min: 8 })
        );
        assert_eq!(
            policy.check_new(""),
            Err(PasswordPolicyError::TooShort { min: 8 })
        );
        assert!(policy.check_new("long enough").is_ok());
        assert_eq!(
            policy.check_new(&"a".repeat(256)),
            Err(PasswordPolicyError::TooLong { max: 255 })
        );
        assert_eq!(
            policy.check_new(&"é".repeat(600)),
            Err(PasswordPolicyError::TooManyBytes { max: 1024 })
        );
        assert_eq!(
            policy.check_upper_bounds(&"a".repeat(1_000_000)),
            Err(PasswordPolicyError::TooManyBytes { max: 1024 })
        );
    }

    #[test]
    fn normalization_folds_compatibility_forms() {
        assert_eq!(normalize("ﬁle-ＰＡＳＳ-e\u{301}-9"), "file-PASS-\u{e9}-9");
    }
}
