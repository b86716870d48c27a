//! Lucia v1's scrypt hashes: `s2:<salt>:<hex>` (N = 16384, r = 16, p = 1, 64-byte key) and
//! the two-part `<salt>:<hex>` of Lucia 0.x (r = 8). Read only, to move users over.

use data_encoding::HEXLOWER_PERMISSIVE;
use subtle::ConstantTimeEq;

use super::Verification;

const LOG_N: u8 = 14;
const KEY_LEN: usize = 64;
/// Lucia salts are 16 characters; accept a little slack but refuse absurd inputs before
/// spending scrypt's 32 MiB on them.
const MAX_SALT_LEN: usize = 128;

/// Verifies a Lucia v1 scrypt hash. A match is always [`Verification::ValidNeedsRehash`]:
/// scrypt with a 95-bit salt is below current policy.
pub(super) fn verify_lucia_scrypt(password: &str, stored: &str) -> Verification {
    let parts: Vec<&str> = stored.split(':').collect();
    let (salt, key_hex, r) = match parts.as_slice() {
        ["s2", salt, key] => (*salt, *key, 16),
        [salt, key] => (*salt, *key, 8),
        _ => return Verification::Invalid,
    };
    if salt.is_empty() || salt.len() > MAX_SALT_LEN {
        return Verification::Invalid;
    }
    let Ok(expected) = HEXLOWER_PERMISSIVE.decode(key_hex.as_bytes()) else {
        return Verification::Invalid;
    };
    if expected.len() != KEY_LEN {
        return Verification::Invalid;
    }
    let Ok(params) = scrypt::Params::new(LOG_N, r, 1) else {
        return Verification::Invalid;
    };
    let mut derived = [0_u8; KEY_LEN];
    if scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut derived).is_err() {
        return Verification::Invalid;
    }
    if bool::from(derived.ct_eq(expected.as_slice())) {
        Verification::ValidNeedsRehash
    } else {
        Verification::Invalid
    }
}

/// Makes a Lucia v1 `s2:` hash, for tests that move a Lucia database over.
#[cfg(any(test, feature = "testing"))]
pub fn lucia_v1_hash(password: &str, salt: &str) -> String {
    let Ok(params) = scrypt::Params::new(LOG_N, 16, 1) else {
        return String::new();
    };
    let mut derived = [0_u8; KEY_LEN];
    if scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut derived).is_err() {
        return String::new();
    }
    format!("s2:{salt}:{}", data_encoding::HEXLOWER.encode(&derived))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lucia_v1_s2_hashes_verify_and_ask_for_rehash() {
        let stored = lucia_v1_hash("pw-123456", "abcdefghijklmnop");
        assert_eq!(
            verify_lucia_scrypt("pw-123456", &stored),
            Verification::ValidNeedsRehash
        );
        assert_eq!(
            verify_lucia_scrypt("pw-123457", &stored),
            Verification::Invalid
        );
    }

    #[test]
    fn legacy_two_part_hashes_use_r8() {
        let params = scrypt::Params::new(LOG_N, 8, 1).unwrap();
        let mut derived = [0_u8; KEY_LEN];
        scrypt::scrypt(b"old-password", b"saltsaltsaltsalt", &params, &mut derived).unwrap();
        let stored = format!(
            "saltsaltsaltsalt:{}",
            data_encoding::HEXLOWER.encode(&derived)
        );
        assert_eq!(
            verify_lucia_scrypt("old-password", &stored),
            Verification::ValidNeedsRehash
        );
        assert_eq!(
            verify_lucia_scrypt("old-passwort", &stored),
            Verification::Invalid
        );
    }
}
