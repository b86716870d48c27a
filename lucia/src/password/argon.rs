//! The default hasher: Argon2id with OWASP's parameters, reading Lucia v1 hashes too.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};

use super::{PasswordHasher, Verification, legacy};
use crate::error::{BoxError, Error, Result};

/// Argon2id with m = 19456 KiB, t = 2, p = 1 (OWASP's first recommendation) and a 16-byte
/// random salt, stored as a PHC string.
///
/// Verifies Argon2 PHC strings of any parameters, and Lucia v1 scrypt hashes (`s2:` and the
/// legacy two-part form); both answer [`Verification::ValidNeedsRehash`] when they are weaker
/// than the configured parameters, so `Auth` upgrades them on the next successful login.
/// bcrypt (`$2a$`, `$2b$`, `$2y$`) is [`Verification::Outdated`].
#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .field("p_cost", &self.params.p_cost())
            .finish()
    }
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        Self {
            params: Params::DEFAULT,
        }
    }
}

impl Argon2Hasher {
    /// A hasher with custom costs. Costs below OWASP's floor (19456 KiB with t = 2, or an
    /// equivalent pair) are refused.
    ///
    /// # Errors
    /// [`Error::Hashing`] when the parameters are invalid or below the floor.
    pub fn with_params(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self> {
        let strong_enough = u64::from(m_cost_kib) * u64::from(t_cost) >= 19_456 * 2;
        if !strong_enough {
            return Err(Error::Hashing("argon2 costs below m=19456 KiB, t=2".into()));
        }
        let params = Params::new(m_cost_kib, t_cost, p_cost, None)
            .map_err(|err| Error::Hashing(BoxError::from(err.to_string())))?;
        Ok(Self { params })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn verify_phc(&self, password: &str, hash: &str) -> Verification {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return Verification::Invalid;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return Verification::Invalid;
        };
        let Ok(algorithm) = Algorithm::new(parsed.algorithm.as_str()) else {
            return Verification::Invalid;
        };
        if self
            .argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Verification::Invalid;
        }
        let weaker = algorithm != Algorithm::Argon2id
            || params.m_cost() < self.params.m_cost()
            || params.t_cost() < self.params.t_cost();
        if weaker {
            Verification::ValidNeedsRehash
        } else {
            Verification::Valid
        }
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &str) -> Result<String> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|err| Error::Hashing(BoxError::from(err.to_string())))
    }

    fn verify(&self, password: &str, hash: &str) -> Verification {
        if hash.starts_with("$argon2") {
            self.verify_phc(password, hash)
        } else if hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$") {
            Verification::Outdated
        } else {
            legacy::verify_lucia_scrypt(password, hash)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_owasp_parameters() {
        let hasher = Argon2Hasher::default();
        let hash = hasher.hash("correct horse").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(hasher.verify("correct horse", &hash), Verification::Valid);
        assert_eq!(hasher.verify("correct horsf", &hash), Verification::Invalid);
        assert_ne!(
            hash,
            hasher.hash("correct horse").unwrap(),
            "salts must differ"
        );
    }

    #[test]
    fn weaker_argon2_hashes_verify_and_ask_for_a_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw-123456")
        .unwrap()
        .to_string();
        let hasher = Argon2Hasher::default();
        assert_eq!(
            hasher.verify("pw-123456", &weak),
            Verification::ValidNeedsRehash
        );
    }

    #[test]
    fn malformed_stored_hashes_are_invalid_not_panics() {
        let hasher = Argon2Hasher::default();
        let bcrypt_non_ascii = format!("$2b$10$é{}", "x".repeat(51));
        for stored in [
            "",
            "s2:zz",
            "s2:zz:zz",
            "$argon2id$v=19$m=1",
            "$argon2id$v=19$m=19456,t=2,p=1$$",
            "$argon2id$",
            "$",
            "::",
            "é:é",
            "s2:0123456789abcdef:00",
        ] {
            assert_eq!(
                hasher.verify("password1", stored),
                Verification::Invalid,
                "{stored:?}"
            );
        }
        assert_eq!(
            hasher.verify("password1", &bcrypt_non_ascii),
            Verification::Outdated
        );
        assert_eq!(
            hasher.verify("password1", "$2a$10$abcdefghijklmnopqrstuv"),
            Verification::Outdated
        );
    }

    #[test]
    fn costs_below_the_floor_are_refused() {
        assert!(Argon2Hasher::with_params(4096, 1, 1).is_err());
        assert!(Argon2Hasher::with_params(47_104, 1, 1).is_ok());
    }
}
