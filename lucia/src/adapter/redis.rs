//! Sessions in Redis (feature `redis`), composed with a SQL or memory user store through
//! [`split`](crate::adapter::split).
//!
//! # Key layout
//!
//! With the default prefix `lucia:`:
//!
//! | key | type | content | expiry |
//! |---|---|---|---|
//! | `lucia:session:<id>` | string | `<active_expires>:<idle_expires>:<created_at>:<user_id>` (epoch ms) | `PXAT idle_expires` |
//! | `lucia:user_sessions:<user_id>` | sorted set | session ids scored by idle expiry | `PXAT` of its highest score |
//! | `lucia:session_expiry` | sorted set | every session id scored by idle expiry | none; pruned by `delete_dead_sessions` |
//!
//! A session key expires by itself at its idle expiry, an absolute time given with `PXAT`
//! (never an epoch value used as a relative TTL, Lucia #1293). The per-user index loses
//! members whose session key is gone whenever it is listed or written, and lives as long as
//! its longest-lived member.
//!
//! Every change that touches several keys is one Lua script, so it is atomic: insert is
//! `SET NX` plus the index updates, renewal rewrites a session only if it still exists and is
//! still idle (`SET XX`), so a concurrent logout is never undone. The scripts build key names
//! from the prefix, so the adapter targets a single Redis (or a replicated primary), not
//! Redis Cluster.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;

use super::SessionAdapter;
use crate::error::{Error, Result};
use crate::session::{SessionId, SessionRecord};

/// The redis crate this adapter is built with, for building your own connection manager.
pub use ::redis as redis_crate;

/// The default key prefix.
pub const DEFAULT_PREFIX: &str = "lucia:";

/// Current server time in epoch milliseconds, inside a script.
const NOW_MS: &str = "local t = redis.call('TIME')
local now = string.format('%.0f', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))";

/// Gives an index key the expiry of its longest-lived member.
const EXPIRE_INDEX: &str = "local function expire_index(index)
  local top = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if top[2] then redis.call('PEXPIREAT', index, top[2]) end
end";

/// KEYS: session, user index, expiry index. ARGV: value, idle_expires, id.
static INSERT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{NOW_MS}
{EXPIRE_INDEX}
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PXAT', ARGV[2]) then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
expire_index(KEYS[2])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1"
    ))
});

/// KEYS: user index. ARGV: session key prefix. Returns `[id, value, id, value, ...]`.
static LIST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = {{}}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local value = redis.call('GET', ARGV[1] .. id)
  if value then
    table.insert(out, id)
    table.insert(out, value)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out"
    ))
});

/// KEYS: session, expiry index. ARGV: now, active_expires, idle_expires, id, user index
/// prefix. Returns the stored value after the call, or nil.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{EXPIRE_INDEX}
local value = redis.call('GET', KEYS[1])
if not value then return false end
local active, idle, created, user = string.match(value, '^(%-?%d+):(%-?%d+):(%-?%d+):(.*)$')
if not active then return value end
local now = tonumber(ARGV[1])
if tonumber(active) <= now and now < tonumber(idle) then
  value = ARGV[2] .. ':' .. ARGV[3] .. ':' .. created .. ':' .. user
  redis.call('SET', KEYS[1], value, 'XX', 'PXAT', ARGV[3])
  local index = ARGV[5] .. user
  redis.call('ZADD', index, ARGV[3], ARGV[4])
  expire_index(index)
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
end
return value"
    ))
});

/// KEYS: session, expiry index. ARGV: id, user index prefix.
static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local value = redis.call('GET', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if not value then return 0 end
redis.call('DEL', KEYS[1])
local user = string.match(value, '^%-?%d+:%-?%d+:%-?%d+:(.*)$')
if user then redis.call('ZREM', ARGV[2] .. user, ARGV[1]) end
return 1",
    )
});

/// KEYS: user index, expiry index. ARGV: session key prefix, id to keep (or empty).
static DELETE_BY_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local deleted = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] then
    deleted = deleted + redis.call('DEL', ARGV[1] .. id)
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
  end
end
return deleted",
    )
});

/// KEYS: expiry index. ARGV: now, session key prefix, user index prefix.
static DELETE_DEAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        "local deleted = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
  local key = ARGV[2] .. id
  local value = redis.call('GET', key)
  local idle, user
  if value then
    idle, user = string.match(value, '^%-?%d+:(%-?%d+):%-?%d+:(.*)$')
  end
  if not value or (idle and tonumber(idle) <= tonumber(ARGV[1])) then
    if value then deleted = deleted + redis.call('DEL', key) end
    if user then redis.call('ZREM', ARGV[3] .. user, id) end
    redis.call('ZREM', KEYS[1], id)
  end
end
return deleted",
    )
});

/// Sessions in Redis: a [`SessionAdapter`] only. Combine it with a user store:
///
/// ```no_run
/// # async fn demo() -> lucia::Result<()> {
/// use lucia::adapter::{split, RedisSessionAdapter, SqliteAdapter};
///
/// let users = SqliteAdapter::<()>::connect("sqlite://app.db?mode=rwc").await?;
/// users.migrate().await?;
/// let sessions = RedisSessionAdapter::connect("redis://127.0.0.1:6379").await?;
/// let auth = lucia::Auth::builder(split(users, sessions)).build()?;
/// # Ok(()) }
/// ```
///
/// Redis does not know the users, so inserting a session never fails with
/// [`Error::InvalidUserId`]; `Auth` only creates sessions for users it has seen.
#[derive(Clone)]
pub struct RedisSessionAdapter {
    connection: ConnectionManager,
    prefix: Arc<str>,
}

impl std::fmt::Debug for RedisSessionAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionAdapter")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisSessionAdapter {
    /// Connects a connection manager (multiplexed, reconnecting) to `url`, e.g.
    /// `redis://127.0.0.1:6379` or `rediss://...`.
    ///
    /// # Errors
    /// [`Error::Adapter`] when the URL is invalid or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(Error::adapter)?;
        let connection = client
            .get_connection_manager()
            .await
            .map_err(Error::adapter)?;
        Ok(Self::from_connection_manager(connection))
    }

    /// Uses a connection manager you built.
    pub fn from_connection_manager(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: DEFAULT_PREFIX.into(),
        }
    }

    /// Puts every key under `prefix` instead of `lucia:` (one app or tenant per prefix).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into().into();
        self
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key that holds session `id`: `<prefix>session:<id>`.
    pub fn session_key(&self, id: &SessionId) -> String {
        format!("{}{}", self.session_prefix(), id.as_str())
    }

    /// The sorted set of a user's session ids: `<prefix>user_sessions:<user_id>`.
    pub fn user_sessions_key(&self, user_id: &str) -> String {
        format!("{}{user_id}", self.user_index_prefix())
    }

    fn session_prefix(&self) -> String {
        format!("{}session:", self.prefix)
    }

    fn user_index_prefix(&self) -> String {
        format!("{}user_sessions:", self.prefix)
    }

    fn expiry_index_key(&self) -> String {
        format!("{}session_expiry", self.prefix)
    }

    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }
}

fn encode(session: &SessionRecord) -> String {
    format!(
        "{}:{}:{}:{}",
        session.active_expires, session.idle_expires, session.created_at, session.user_id
    )
}

fn decode(id: SessionId, value: &str) -> Result<SessionRecord> {
    let malformed = || Error::adapter("malformed session value in redis");
    let mut parts = value.splitn(4, ':');
    let mut number = || {
        parts
            .next()
            .and_then(|part| part.parse::<i64>().ok())
            .ok_or_else(malformed)
    };
    let active_expires = number()?;
    let idle_expires = number()?;
    let created_at = number()?;
    let user_id = parts.next().ok_or_else(malformed)?.to_owned();
    Ok(SessionRecord {
        id,
        user_id,
        active_expires,
        idle_expires,
        created_at,
    })
}

#[async_trait]
impl SessionAdapter for RedisSessionAdapter {
    async fn get_session(&self, id: &SessionId) -> Result<Option<SessionRecord>> {
        let value: Option<String> = redis::cmd("GET")
            .arg(self.session_key(id))
            .query_async(&mut self.connection())
            .await
            .map_err(Error::adapter)?;
        value.map(|value| decode(id.clone(), &value)).transpose()
    }

    async fn get_sessions_by_user(&self, user_id: &str) -> Result<Vec<SessionRecord>> {
        let flat: Vec<String> = LIST
            .key(self.user_sessions_key(user_id))
            .arg(self.session_prefix())
            .invoke_async(&mut self.connection())
            .await
            .map_err(Error::adapter)?;
        flat.chunks(2)
            .map(|pair| match pair {
                [id, value] => decode(SessionId::from_stored(id.clone()), value),
                _ => Err(Error::adapter("malformed session listing from redis")),
            })
            .collect()
    }

    async fn insert_session(&self, session: &SessionRecord) -> Result<()> {
        let inserted: i64 = INSERT
            .key(self.session_key(&session.id))
            .key(self.user_sessions_key(&session.user_id))
            .key(self.expiry_index_key())
            .arg(encode(session))
            .arg(session.idle_expires)
            .arg(session.id.as_str())
            .invoke_async(&mut self.connection())
            .await
            .map_err(Error::adapter)?;
        if inserted == 1 {
            Ok(())
        } else {
            Err(Error::DuplicateSessionId)
        }
    }

    async fn renew_session(
        &self,
        id: &SessionId,
        now: i64,
        active_expires: i64,
        idle_expires: i64,
    ) -> Result<Option<SessionRecord>> {
        let value: Option<String> = RENEW
            .key(self.session_key(id))
            .key(self.expiry_index_key())
            .arg(now)
            .arg(active_expires)
            .arg(idle_expires)
            .arg(id.as_str())
            .arg(self.user_index_prefix())
            .invoke_async(&mut self.connection())
            .await
            .map_err(Error::adapter)?;
        value.map(|value| decode(id.clone(), &value)).transpose()
    }

    async fn delete_session(&self, id: &SessionId) -> Result<()> {
        let _deleted: i64 = DELETE
            .key(self.session_key(id))
            .key(self.expiry_index_key())
            .arg(id.as_str())
            .arg(self.user_index_prefix())
            .invoke_async(&mut self.connection())
            .await
            .map_err(Error::adapter)?;
        Ok(())
    }

    async fn delete_sessions_by_user(&self, user_id: &str, keep: Option<&SessionId>) -> Result<()> {
        let _deleted: i64 = DELETE_BY_USER
            .key(self.user_sessions_key(user_id))
            .key(self.expiry_index_key())
            .arg(self.session_prefix())
            .arg(keep.map_or("", SessionId::as_str))
            .invoke_async(&mut self.connection())
            .await
            .map_err(Error::adapter)?;
        Ok(())
    }

    async fn delete_dead_sessions(&self, now: i64) -> Result<u64> {
        let deleted: u64 = DELETE_DEAD
            .key(self.expiry_index_key())
            .arg(now)
            .arg(self.session_prefix())
            .arg(self.user_index_prefix())
            .invoke_async(&mut self.connection())
            .await
            .map_err(Error::adapter)?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_values_round_trip_with_colons_in_user_ids() {
        let record = SessionRecord {
            id: SessionId::from_stored("ab".repeat(32)),
            user_id: "github:42:x".into(),
            active_expires: 1_700_000_000_123,
            idle_expires: 1_700_086_400_123,
            created_at: -5,
        };
        assert_eq!(decode(record.id.clone(), &encode(&record)).unwrap(), record);
        assert!(decode(record.id.clone(), "1:2:user").is_err());
        assert!(decode(record.id.clone(), "x:2:3:user").is_err());
    }
}
