//! Session tokens (the secret in the cookie) and session ids (the SHA-256 of a token, the only
//! form the database ever sees).

use std::fmt;

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{BoxError, Error, Result};

/// Random bytes in a token: 200 bits, encoded as 40 base32 characters.
const TOKEN_BYTES: usize = 25;
/// Length of an encoded token.
pub const TOKEN_LEN: usize = 40;
/// Length of a session id: hex SHA-256.
pub const SESSION_ID_LEN: usize = 64;

/// RFC 4648 base32 alphabet in lowercase, without padding: 32 symbols, so every symbol
/// carries exactly five random bits and no symbol is favoured.
const TOKEN_ENCODING: data_encoding::Encoding = data_encoding::BASE32_NOPAD;

/// The secret that identifies a session to its holder: 40 characters of `a-z2-7` from
/// 200 bits of the operating system's CSPRNG.
///
/// Only the holder (the cookie or the bearer header) ever has it. The database stores its
/// [`SessionId`], the SHA-256 hash, so a leaked database yields no usable cookie. `Debug`
/// shows no part of it.
#[derive(Clone)]
pub struct SessionToken(String);

impl SessionToken {
    /// A new random token.
    ///
    /// # Errors
    /// [`Error::Adapter`] if the operating system's random source fails.
    pub fn generate() -> Result<Self> {
        let mut bytes = [0_u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes)
            .map_err(|err| Error::Adapter(BoxError::from(err.to_string())))?;
        Ok(Self::from_random_bytes(bytes))
    }

    /// Encodes 25 bytes as a token. The bytes must come from a CSPRNG; this is public for
    /// tests that need a predictable token.
    pub fn from_random_bytes(bytes: [u8; TOKEN_BYTES]) -> Self {
        Self(TOKEN_ENCODING.encode(&bytes).to_ascii_lowercase())
    }

    /// Checks a token from outside (a cookie or a header): exactly 40 characters of `a-z2-7`.
    /// Nothing else is ever looked up.
    ///
    /// # Errors
    /// [`Error::InvalidSessionId`] for any other length or character.
    pub fn parse(raw: &str) -> Result<Self> {
        let well_formed = raw.len() == TOKEN_LEN
            && raw
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || (b'2'..=b'7').contains(&byte));
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::InvalidSessionId)
        }
    }

    /// The token's text, for the cookie or the bearer response. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The public id of the session this token opens: its SHA-256, in lowercase hex.
    pub fn id(&self) -> SessionId {
        SessionId(HEXLOWER.encode(&Sha256::digest(self.0.as_bytes())))
    }
}

impl PartialEq for SessionToken {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SessionToken {}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([redacted])")
    }
}

/// The public id of a session: the lowercase hex SHA-256 of its token.
///
/// This is what adapters store and what session listings show. It cannot be turned back
/// into a token, so it opens nothing; `Debug` and `Display` still show only a prefix to
/// keep logs short.
#[derive(Clone, Hash, PartialEq, Eq)]
pub struct SessionId(String);

impl SessionId {
    /// Reads an id that an adapter stored (64 lowercase hex characters).
    ///
    /// # Errors
    /// [`Error::InvalidSessionId`] for anything else.
    pub fn parse(raw: &str) -> Result<Self> {
        let well_formed = raw.len() == SESSION_ID_LEN
            && raw
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Error::InvalidSessionId)
        }
    }

    /// Wraps a stored id without checking it. Adapters use it for ids they wrote themselves.
    pub fn from_stored(raw: String) -> Self {
        Self(raw)
    }

    /// The id's text, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Compares two ids in constant time.
    pub fn ct_eq(&self, other: &SessionId) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.0.get(..8).unwrap_or(&self.0);
        write!(f, "{prefix}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_id_is_the_lowercase_hex_sha256_of_the_token() {
        let token = SessionToken::generate().unwrap();
        let digest = Sha256::digest(token.expose().as_bytes());
        let expected: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
        assert_eq!(token.id().as_str(), expected);
        assert!(SessionId::parse(token.id().as_str()).is_ok());
    }

    #[test]
    fn generated_tokens_parse_and_are_distinct() {
        let first = SessionToken::generate().unwrap();
        let second = SessionToken::generate().unwrap();
        assert_eq!(first.expose().len(), TOKEN_LEN);
        assert!(SessionToken::parse(first.expose()).is_ok());
        assert_ne!(first, second);
        assert_ne!(first.id(), second.id());
    }

    #[test]
    fn parse_refuses_wrong_length_case_and_alphabet() {
        let token = SessionToken::generate().unwrap();
        let upper = token.expose().to_ascii_uppercase();
        for bad in [
            "",
            &token.expose()[..39],
            &format!("{}a", token.expose()),
            upper.as_str(),
            "0000000000000000000000000000000000000000",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaé",
        ] {
            assert!(
                matches!(SessionToken::parse(bad), Err(Error::InvalidSessionId)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn id_is_the_sha256_of_the_token_and_hides_it() {
        let token = SessionToken::parse("abcdefghijklmnopqrstuvwxyz234567abcdefgh").unwrap();
        let id = token.id();
        assert_eq!(id.as_str().len(), SESSION_ID_LEN);
        assert!(!id.as_str().contains(token.expose()));
        assert_eq!(SessionId::parse(id.as_str()).unwrap(), id);
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let token = SessionToken::generate().unwrap();
        let shown = format!("{token:?} {:?} {}", token.id(), token.id());
        assert!(!shown.contains(token.expose()));
        assert!(!shown.contains(token.id().as_str()));
    }
}
