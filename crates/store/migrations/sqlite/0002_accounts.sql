-- Accounts: login sessions and the failed-login lockout (SQLite twin of
-- migrations/postgres/0002_accounts.sql).

-- Failed logins in a row, and until when the account refuses logins after too many.
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until DATETIME;

-- Login sessions, used when Redis is not configured. The cookie carries a random token; only
-- its SHA-256 (hex) is stored, so a copy of the database lets nobody log in. A session belongs
-- to a person, not to an organization (like users): it is found by its token before any tenant
-- is known, and the membership in tenant_id (the organization being worked on) is checked again
-- on every request.
CREATE TABLE sessions (
    id_hash       TEXT     NOT NULL PRIMARY KEY,
    user_id       BLOB     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id     BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    csrf_token    TEXT     NOT NULL,
    user_agent    TEXT     NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    last_seen_at  DATETIME NOT NULL,
    expires_at    DATETIME NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
