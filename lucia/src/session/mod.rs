//! Sessions: what a token opens, how long it lives, and when it is renewed.
//!
//! A session is *active* until `active_expires`, *idle* until `idle_expires` (validating it
//! then renews it in place), and dead from `idle_expires` on. Renewal never moves either
//! expiry past `created_at` plus the absolute lifetime.

mod token;

use std::fmt;

use time::OffsetDateTime;

pub use token::{SESSION_ID_LEN, SessionId, SessionToken, TOKEN_LEN};

use crate::clock::{from_millis, to_millis};

/// Where a session stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Within its active period: valid, no renewal needed.
    Active,
    /// Past its active period but within its idle period: valid, renewed when validated.
    Idle,
    /// Past its idle period or its absolute lifetime: never returned as a session.
    Dead,
}

/// A session as adapters store it: expiries in epoch milliseconds, UTC by construction.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session id (SHA-256 of the token).
    pub id: SessionId,
    /// The owner's user id.
    pub user_id: String,
    /// End of the active period, epoch milliseconds.
    pub active_expires: i64,
    /// End of the idle period, epoch milliseconds.
    pub idle_expires: i64,
    /// Creation time, epoch milliseconds; the absolute lifetime counts from here.
    pub created_at: i64,
}

impl SessionRecord {
    /// The state at `now_ms` (epoch milliseconds). Expired exactly at the boundary.
    pub fn state_at(&self, now_ms: i64, absolute_expires: Option<i64>) -> SessionState {
        if now_ms >= self.idle_expires || absolute_expires.is_some_and(|cap| now_ms >= cap) {
            SessionState::Dead
        } else if now_ms >= self.active_expires {
            SessionState::Idle
        } else {
            SessionState::Active
        }
    }
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("active_expires", &self.active_expires)
            .field("idle_expires", &self.idle_expires)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A live session, as `Auth` returns it.
///
/// `fresh` is true when the session was just created or just renewed: its cookie must be
/// (re)sent. The token is present only where this process saw it (created here, or read
/// from the request); sessions from listings have none.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The public id (SHA-256 of the token).
    pub id: SessionId,
    /// The owner's user id.
    pub user_id: String,
    /// End of the active period.
    pub active_expires: OffsetDateTime,
    /// End of the idle period: the session dies then unless renewed.
    pub idle_expires: OffsetDateTime,
    /// When the session was created (renewal keeps it).
    pub created_at: OffsetDateTime,
    /// Active or idle (never dead) when it was read.
    pub state: SessionState,
    /// True when the cookie must be sent again (created or renewed).
    pub fresh: bool,
    token: Option<SessionToken>,
}

impl Session {
    /// Builds a session from a stored record.
    pub fn from_record(record: SessionRecord, state: SessionState, fresh: bool) -> Self {
        Self {
            id: record.id,
            user_id: record.user_id,
            active_expires: from_millis(record.active_expires),
            idle_expires: from_millis(record.idle_expires),
            created_at: from_millis(record.created_at),
            state,
            fresh,
            token: None,
        }
    }

    /// Attaches the token that opens this session.
    pub fn with_token(mut self, token: SessionToken) -> Self {
        self.token = Some(token);
        self
    }

    /// The token, when this process knows it (see the type's docs).
    pub fn token(&self) -> Option<&SessionToken> {
        self.token.as_ref()
    }

    /// The record an adapter would store for this session.
    pub fn to_record(&self) -> SessionRecord {
        SessionRecord {
            id: self.id.clone(),
            user_id: self.user_id.clone(),
            active_expires: to_millis(self.active_expires),
            idle_expires: to_millis(self.idle_expires),
            created_at: to_millis(self.created_at),
        }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("active_expires", &self.active_expires)
            .field("idle_expires", &self.idle_expires)
            .field("created_at", &self.created_at)
            .field("state", &self.state)
            .field("fresh", &self.fresh)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}
