//! Login sessions: in Redis when it is configured (shared by every instance, expiring by
//! itself), in the database otherwise. Either way only the SHA-256 of the cookie's token is
//! stored, so whoever reads the store cannot log in with what they read.

use chrono::{DateTime, Utc};
use domain::{TenantId, UserId};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::sql::{Arg, On, execute, fetch_all, fetch_optional};
use crate::{Db, Redis, Result, Scope, StoreError};

/// One login session.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Hex SHA-256 of the token in the cookie.
    pub id_hash: String,
    pub user_id: UserId,
    /// The organization being worked on.
    pub tenant_id: TenantId,
    /// The form token for this session (CSRF).
    pub csrf_token: String,
    /// A short description of the browser, to tell sessions apart on the account page.
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("user_id", &self.user_id)
            .field("tenant_id", &self.tenant_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id_hash: String,
    user_id: Uuid,
    tenant_id: Uuid,
    csrf_token: String,
    user_agent: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl From<SessionRow> for SessionRecord {
    fn from(r: SessionRow) -> Self {
        SessionRecord {
            id_hash: r.id_hash,
            user_id: UserId::from_uuid(r.user_id),
            tenant_id: TenantId::from_uuid(r.tenant_id),
            csrf_token: r.csrf_token,
            user_agent: r.user_agent,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
        }
    }
}

const COLUMNS: &str =
    "id_hash, user_id, tenant_id, csrf_token, user_agent, created_at, last_seen_at, expires_at";

/// Where sessions live. Cheap to clone.
#[derive(Debug, Clone)]
pub enum SessionStore {
    Db(Db),
    Redis(Redis),
}

impl SessionStore {
    /// Redis when there is one, else the database.
    pub fn new(db: &Db, redis: Option<&Redis>) -> Self {
        match redis {
            Some(r) => SessionStore::Redis(r.clone()),
            None => SessionStore::Db(db.clone()),
        }
    }

    /// `redis` or `database`, for logs and tests.
    pub fn kind(&self) -> &'static str {
        match self {
            SessionStore::Db(_) => "database",
            SessionStore::Redis(_) => "redis",
        }
    }

    pub async fn insert(&self, s: &SessionRecord) -> Result<()> {
        match self {
            SessionStore::Db(db) => {
                let mut tx = db.begin(Scope::System).await?;
                execute(
                    &mut tx,
                    On::Any,
                    "INSERT INTO sessions (id_hash, user_id, tenant_id, csrf_token, user_agent, \
                     created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    &[
                        Arg::Text(s.id_hash.clone()),
                        Arg::Uuid(s.user_id.as_uuid()),
                        Arg::Uuid(s.tenant_id.as_uuid()),
                        Arg::Text(s.csrf_token.clone()),
                        Arg::Text(s.user_agent.clone()),
                        Arg::Time(s.created_at),
                        Arg::Time(s.last_seen_at),
                        Arg::Time(s.expires_at),
                    ],
                )
                .await?;
                tx.commit().await
            }
            SessionStore::Redis(r) => {
                let mut conn = r.connection();
                let json = serde_json::to_string(s).map_err(corrupt)?;
                let ttl = ttl_ms(s.expires_at, s.last_seen_at);
                let _: () = conn.pset_ex(session_key(r, &s.id_hash), json, ttl).await?;
                let user_key = user_key(r, s.user_id);
                let _: () = conn.sadd(&user_key, &s.id_hash).await?;
                let _: () = conn.pexpire(&user_key, ttl as i64).await?;
                Ok(())
            }
        }
    }

    /// The session, unless it does not exist or has expired at `now`.
    pub async fn get(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let found = match self {
            SessionStore::Db(db) => {
                let mut tx = db.begin_read(Scope::System).await?;
                let row: Option<SessionRow> = fetch_optional(
                    &mut tx,
                    On::Any,
                    &format!("SELECT {COLUMNS} FROM sessions WHERE id_hash = ?"),
                    &[Arg::Text(id_hash.to_owned())],
                )
                .await?;
                tx.commit().await?;
                row.map(SessionRecord::from)
            }
            SessionStore::Redis(r) => {
                let mut conn = r.connection();
                let json: Option<String> = conn.get(session_key(r, id_hash)).await?;
                json.map(|j| serde_json::from_str(&j).map_err(corrupt))
                    .transpose()?
            }
        };
        Ok(found.filter(|s| s.expires_at > now))
    }

    /// Slides the session: seen at `last_seen_at`, now expiring at `expires_at`.
    pub async fn touch(
        &self,
        s: &SessionRecord,
        last_seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        match self {
            SessionStore::Db(db) => {
                let mut tx = db.begin(Scope::System).await?;
                execute(
                    &mut tx,
                    On::Any,
                    "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?",
                    &[
                        Arg::Time(last_seen_at),
                        Arg::Time(expires_at),
                        Arg::Text(s.id_hash.clone()),
                    ],
                )
                .await?;
                tx.commit().await
            }
            SessionStore::Redis(r) => {
                let mut conn = r.connection();
                let updated = SessionRecord {
                    last_seen_at,
                    expires_at,
                    ..s.clone()
                };
                let json = serde_json::to_string(&updated).map_err(corrupt)?;
                let ttl = ttl_ms(expires_at, last_seen_at);
                // XX: only if it still exists (a logout in between wins).
                let _: Option<String> = redis::cmd("SET")
                    .arg(session_key(r, &s.id_hash))
                    .arg(json)
                    .arg("PX")
                    .arg(ttl)
                    .arg("XX")
                    .query_async(&mut conn)
                    .await?;
                let _: () = conn.pexpire(user_key(r, s.user_id), ttl as i64).await?;
                Ok(())
            }
        }
    }

    /// Ends one session (logout).
    pub async fn delete(&self, s: &SessionRecord) -> Result<()> {
        match self {
            SessionStore::Db(db) => {
                let mut tx = db.begin(Scope::System).await?;
                execute(
                    &mut tx,
                    On::Any,
                    "DELETE FROM sessions WHERE id_hash = ?",
                    &[Arg::Text(s.id_hash.clone())],
                )
                .await?;
                tx.commit().await
            }
            SessionStore::Redis(r) => {
                let mut conn = r.connection();
                let _: () = conn.del(session_key(r, &s.id_hash)).await?;
                let _: () = conn.srem(user_key(r, s.user_id), &s.id_hash).await?;
                Ok(())
            }
        }
    }

    /// The person's live sessions, most recently used first.
    pub async fn list_for_user(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>> {
        let mut all: Vec<SessionRecord> = match self {
            SessionStore::Db(db) => {
                let mut tx = db.begin_read(Scope::System).await?;
                let rows: Vec<SessionRow> = fetch_all(
                    &mut tx,
                    On::Any,
                    &format!("SELECT {COLUMNS} FROM sessions WHERE user_id = ? AND expires_at > ?"),
                    &[Arg::Uuid(user.as_uuid()), Arg::Time(now)],
                )
                .await?;
                tx.commit().await?;
                rows.into_iter().map(SessionRecord::from).collect()
            }
            SessionStore::Redis(r) => {
                let mut conn = r.connection();
                let ukey = user_key(r, user);
                let ids: Vec<String> = conn.smembers(&ukey).await?;
                let mut out = Vec::new();
                for id in ids {
                    let json: Option<String> = conn.get(session_key(r, &id)).await?;
                    match json {
                        Some(j) => out.push(serde_json::from_str(&j).map_err(corrupt)?),
                        // Expired by Redis: forget it in the index too.
                        None => {
                            let _: () = conn.srem(&ukey, &id).await?;
                        }
                    }
                }
                out.retain(|s: &SessionRecord| s.expires_at > now);
                out
            }
        };
        all.sort_by_key(|s| std::cmp::Reverse(s.last_seen_at));
        Ok(all)
    }

    /// Ends every session of `user` but `keep` (log out other sessions, password change).
    /// Returns how many ended.
    pub async fn delete_for_user_except(&self, user: UserId, keep: Option<&str>) -> Result<u64> {
        let keep = keep.unwrap_or("");
        match self {
            SessionStore::Db(db) => {
                let mut tx = db.begin(Scope::System).await?;
                let n = execute(
                    &mut tx,
                    On::Any,
                    "DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?",
                    &[Arg::Uuid(user.as_uuid()), Arg::Text(keep.to_owned())],
                )
                .await?;
                tx.commit().await?;
                Ok(n)
            }
            SessionStore::Redis(r) => {
                let mut conn = r.connection();
                let ukey = user_key(r, user);
                let ids: Vec<String> = conn.smembers(&ukey).await?;
                let mut n = 0;
                for id in ids.iter().filter(|id| id.as_str() != keep) {
                    let removed: u64 = conn.del(session_key(r, id)).await?;
                    n += removed;
                    let _: () = conn.srem(&ukey, id).await?;
                }
                Ok(n)
            }
        }
    }

    /// Deletes expired sessions from the database (Redis expires its own). Returns how many.
    pub async fn purge_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let SessionStore::Db(db) = self else {
            return Ok(0);
        };
        let mut tx = db.begin(Scope::System).await?;
        let n = execute(
            &mut tx,
            On::Any,
            "DELETE FROM sessions WHERE expires_at <= ?",
            &[Arg::Time(now)],
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }
}

fn session_key(r: &Redis, id_hash: &str) -> String {
    r.key(&format!("session:{id_hash}"))
}

fn user_key(r: &Redis, user: UserId) -> String {
    r.key(&format!("user-sessions:{user}"))
}

fn ttl_ms(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((expires_at - now).num_milliseconds())
        .unwrap_or(0)
        .max(1)
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        column: "redis session",
        reason: e.to_string(),
    }
}
