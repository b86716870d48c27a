//! Keys: how a user proves who they are. A key id is `provider_id:provider_user_id`
//! (`username:alice`, `github:1234`), optionally with a password hash.

use std::fmt;

use crate::error::{Error, Result};

/// A validated key id: `provider_id:provider_user_id`, neither part empty, no `:` in the
/// provider id, so the id splits back unambiguously at its first `:`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KeyId(String);

impl KeyId {
    /// The longest id a new key may have, in characters, separator included: what every
    /// SQL schema stores (MySQL's `VARCHAR(255)` counts characters), so creating a key never
    /// fails in the store. Only checked when a key is created: ids already stored stay
    /// readable and usable whatever their length.
    pub const MAX_LEN: usize = 255;

    /// Builds the id of a key.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] when either part is empty or the provider id contains `:`.
    pub fn new(provider_id: &str, provider_user_id: &str) -> Result<Self> {
        let malformed =
            provider_id.is_empty() || provider_user_id.is_empty() || provider_id.contains(':');
        if malformed {
            return Err(Error::InvalidKeyId);
        }
        Ok(Self(format!("{provider_id}:{provider_user_id}")))
    }

    /// Reads a stored key id.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] when it does not split into two non-empty parts.
    pub fn parse(raw: &str) -> Result<Self> {
        let (provider_id, provider_user_id) = raw.split_once(':').ok_or(Error::InvalidKeyId)?;
        Self::new(provider_id, provider_user_id)
    }

    /// Checks that a new key's id fits every store: at most [`KeyId::MAX_LEN`] characters.
    ///
    /// # Errors
    /// [`Error::InvalidKeyId`] when it is longer.
    pub fn check_new(&self) -> Result<()> {
        if self.0.chars().count() > Self::MAX_LEN {
            return Err(Error::InvalidKeyId);
        }
        Ok(())
    }

    /// The full id, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The provider id (before the first `:`).
    pub fn provider_id(&self) -> &str {
        self.0.split_once(':').map_or("", |(provider, _)| provider)
    }

    /// The provider user id (after the first `:`).
    pub fn provider_user_id(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, user)| user)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({:?})", self.0)
    }
}

/// A key as adapters store it.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// `provider_id:provider_user_id`.
    pub id: KeyId,
    /// The owner's user id.
    pub user_id: String,
    /// Whether this is the key the user was created with (deleted only with the user).
    pub primary: bool,
    /// The password hash (a PHC string, or a Lucia v1 scrypt hash), if the key has one.
    pub hashed_password: Option<String>,
}

impl fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("primary", &self.primary)
            .field(
                "hashed_password",
                &self.hashed_password.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// A key as `Auth` returns it: no hash, only whether one is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The owner's user id.
    pub user_id: String,
    /// The provider id (`username`, `email`, `github`).
    pub provider_id: String,
    /// The user's id at that provider.
    pub provider_user_id: String,
    /// Whether the key has a password.
    pub password_defined: bool,
    /// Whether this is the user's primary key.
    pub primary: bool,
}

impl From<&KeyRecord> for Key {
    fn from(record: &KeyRecord) -> Self {
        Self {
            user_id: record.user_id.clone(),
            provider_id: record.id.provider_id().to_owned(),
            provider_user_id: record.id.provider_user_id().to_owned(),
            password_defined: record.hashed_password.is_some(),
            primary: record.primary,
        }
    }
}

/// A key to create with a user: provider id, provider user id and an optional password.
#[derive(Clone)]
pub struct NewKey {
    /// The provider id (`username`, `email`, `github`); must not contain `:`.
    pub provider_id: String,
    /// The user's id at that provider.
    pub provider_user_id: String,
    /// The password, if the key has one. `Some("")` is a (rejected) password, never "none".
    pub password: Option<String>,
}

impl NewKey {
    /// A key with a password.
    pub fn with_password(
        provider_id: impl Into<String>,
        provider_user_id: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            provider_id: provider_id.into(),
            provider_user_id: provider_user_id.into(),
            password: Some(password.into()),
        }
    }

    /// A key without a password (an OAuth account, say).
    pub fn without_password(
        provider_id: impl Into<String>,
        provider_user_id: impl Into<String>,
    ) -> Self {
        Self {
            provider_id: provider_id.into(),
            provider_user_id: provider_user_id.into(),
            password: None,
        }
    }
}

impl fmt::Debug for NewKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewKey")
            .field("provider_id", &self.provider_id)
            .field("provider_user_id", &self.provider_user_id)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_split_at_the_first_colon() {
        let id = KeyId::new("email", "a:b@example.com").unwrap();
        assert_eq!(id.as_str(), "email:a:b@example.com");
        assert_eq!(id.provider_id(), "email");
        assert_eq!(id.provider_user_id(), "a:b@example.com");
        assert_eq!(KeyId::parse(id.as_str()).unwrap(), id);
    }

    #[test]
    fn ambiguous_or_empty_key_ids_are_refused() {
        for (provider, user) in [("", "x"), ("x", ""), ("a:b", "c"), (":", "c")] {
            assert!(matches!(
                KeyId::new(provider, user),
                Err(Error::InvalidKeyId)
            ));
        }
        assert!(KeyId::parse("no-separator").is_err());
    }

    #[test]
    fn new_key_ids_longer_than_a_varchar_255_are_refused_but_stored_ones_stay_readable() {
        let longest = "a".repeat(KeyId::MAX_LEN - "email:".len());
        let id = KeyId::new("email", &longest).unwrap();
        assert_eq!(id.as_str().len(), 255);
        assert!(id.check_new().is_ok());
        let one_over = format!("{longest}b");
        assert!(matches!(
            KeyId::new("email", &one_over).unwrap().check_new(),
            Err(Error::InvalidKeyId)
        ));
        // Characters, as MySQL counts them: 249 two-byte characters and the prefix fit.
        let wide = "é".repeat(KeyId::MAX_LEN - "email:".len());
        assert!(KeyId::new("email", &wide).unwrap().check_new().is_ok());
        // A long id already in a store (an import from Lucia v1, say) still reads back.
        let stored = format!("email:{}", "é".repeat(300));
        assert_eq!(KeyId::parse(&stored).unwrap().as_str(), stored);
    }

    #[test]
    fn debug_hides_passwords_and_hashes() {
        let key = NewKey::with_password("username", "alice", "CANARY-PW-1");
        assert!(!format!("{key:?}").contains("CANARY-PW-1"));
        let record = KeyRecord {
            id: KeyId::new("username", "alice").unwrap(),
            user_id: "u".into(),
            primary: true,
            hashed_password: Some("$argon2id$CANARY".into()),
        };
        assert!(!format!("{record:?}").contains("CANARY"));
    }
}
