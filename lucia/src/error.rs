//! The one error type of the runtime, mapped onto Lucia's error codes.

use std::error::Error as StdError;

/// A boxed error from a database driver or another infrastructure piece.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The result type of every fallible call in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `lucia`.
///
/// The variants up to [`Error::InvalidRequest`] map one to one onto Lucia's error codes
/// (`AUTH_INVALID_SESSION_ID` and so on). [`Error::Adapter`] is a database or store failure:
/// it is never the same thing as "no session", so callers can tell "logged out" from
/// "database down". Messages never contain a token, a password or a hash.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The session token is malformed, unknown or dead (`AUTH_INVALID_SESSION_ID`).
    #[error("invalid session id")]
    InvalidSessionId,
    /// The password does not match the key, or was given for a key without one, or was
    /// missing for a key that has one (`AUTH_INVALID_PASSWORD`).
    #[error("invalid password")]
    InvalidPassword,
    /// The stored hash uses an algorithm this crate will not verify, such as bcrypt
    /// (`AUTH_OUTDATED_PASSWORD`).
    #[error("outdated password hash: the password must be reset")]
    OutdatedPassword,
    /// No key with that provider id and provider user id, or a malformed key id
    /// (`AUTH_INVALID_KEY_ID`).
    #[error("invalid key id")]
    InvalidKeyId,
    /// A key with that id already exists (`AUTH_DUPLICATE_KEY_ID`).
    #[error("duplicate key id")]
    DuplicateKeyId,
    /// No user with that id (`AUTH_INVALID_USER_ID`).
    #[error("invalid user id")]
    InvalidUserId,
    /// A user with that id already exists.
    #[error("duplicate user id")]
    DuplicateUserId,
    /// A session with that id already exists (`AUTH_DUPLICATE_SESSION_ID`).
    #[error("duplicate session id")]
    DuplicateSessionId,
    /// The request failed a check such as the CSRF origin check (`AUTH_INVALID_REQUEST`).
    #[error("invalid request")]
    InvalidRequest,
    /// A new password breaks the password policy; the message says which rule.
    #[error("password rejected: {0}")]
    PasswordPolicy(#[from] PasswordPolicyError),
    /// A user attribute could not be encoded or decoded.
    #[error("user attributes: {0}")]
    Attributes(#[from] AttributeError),
    /// The configuration is invalid (from [`AuthBuilder::build`](crate::AuthBuilder::build)).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The database, the store or another infrastructure piece failed.
    #[error("adapter error")]
    Adapter(#[source] BoxError),
    /// Hashing failed for a reason other than a wrong password (a hasher fault or a
    /// hashing thread that could not start or stopped without an answer).
    #[error("password hashing failed")]
    Hashing(#[source] BoxError),
}

impl Error {
    /// Wraps a driver or store error as [`Error::Adapter`].
    pub fn adapter(source: impl Into<BoxError>) -> Self {
        Self::Adapter(source.into())
    }

    /// True when the error is an infrastructure failure rather than a verdict about the
    /// request or its credentials: a server fault (5xx), never "logged out".
    pub fn is_infrastructure(&self) -> bool {
        matches!(self, Self::Adapter(_) | Self::Hashing(_))
    }

    /// Lucia's error code for this error, for logs and for people porting Lucia code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidSessionId => "AUTH_INVALID_SESSION_ID",
            Self::InvalidPassword => "AUTH_INVALID_PASSWORD",
            Self::OutdatedPassword => "AUTH_OUTDATED_PASSWORD",
            Self::InvalidKeyId => "AUTH_INVALID_KEY_ID",
            Self::DuplicateKeyId => "AUTH_DUPLICATE_KEY_ID",
            Self::InvalidUserId => "AUTH_INVALID_USER_ID",
            Self::DuplicateUserId => "AUTH_DUPLICATE_USER_ID",
            Self::DuplicateSessionId => "AUTH_DUPLICATE_SESSION_ID",
            Self::InvalidRequest => "AUTH_INVALID_REQUEST",
            Self::PasswordPolicy(_) => "AUTH_INVALID_PASSWORD_FORMAT",
            Self::Attributes(_) => "AUTH_INVALID_USER_ATTRIBUTES",
            Self::Config(_) | Self::Adapter(_) | Self::Hashing(_) => "UNKNOWN_ERROR",
        }
    }
}

/// Why a new password was refused. Checked before any hashing work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordPolicyError {
    /// Fewer characters than the policy's minimum.
    #[error("password must be at least {min} characters long")]
    TooShort {
        /// The minimum number of characters.
        min: usize,
    },
    /// More characters than the policy's maximum.
    #[error("password must be at most {max} characters long")]
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
    /// More bytes than the policy's hard byte cap.
    #[error("password must be at most {max} bytes long")]
    TooManyBytes {
        /// The maximum number of UTF-8 bytes.
        max: usize,
    },
}

/// A user attribute that does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttributeError {
    /// The stored value has another type than the field expects.
    #[error("column `{column}` holds a {found}, expected {expected}")]
    TypeMismatch {
        /// The column name.
        column: &'static str,
        /// What the field's type needs.
        expected: &'static str,
        /// What the row held.
        found: &'static str,
    },
    /// A row had fewer values than the struct has fields.
    #[error("column `{column}` is missing from the row")]
    Missing {
        /// The column name.
        column: &'static str,
    },
    /// The stored value is of the right kind but out of range for the field.
    #[error("column `{column}` holds a value out of range for its field")]
    OutOfRange {
        /// The column name.
        column: &'static str,
    },
    /// A custom attribute type refused the stored value.
    #[error("column `{column}`: {message}")]
    Custom {
        /// The column name.
        column: &'static str,
        /// What the custom type said.
        message: String,
    },
}
