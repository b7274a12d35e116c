-- Accounts: login sessions and the failed-login lockout (PostgreSQL twin of
-- migrations/sqlite/0002_accounts.sql).

-- Failed logins in a row, and until when the account refuses logins after too many.
ALTER TABLE users ADD COLUMN failed_logins integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until timestamptz;

-- Login sessions, used when Redis is not configured. The cookie carries a random token; only
-- its SHA-256 (hex) is stored, so a copy of the database lets nobody log in.
--
-- Deliberately outside RLS, like users: a session belongs to a person, not to an organization,
-- and is found by its token before any tenant is known. tenant_id is the organization being
-- worked on; the membership in it is checked again (under RLS) on every request.
CREATE TABLE sessions (
    id_hash       text        NOT NULL PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id     uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    csrf_token    text        NOT NULL,
    user_agent    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
