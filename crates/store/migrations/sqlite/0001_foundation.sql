-- Foundation schema (SQLite twin of migrations/postgres/0001_foundation.sql; a test keeps the
-- two in step). Ids are UUIDv7 stored as 16-byte BLOBs; times are UTC RFC 3339 text, which
-- sorts chronologically, declared DATETIME.

-- An organization: the tenant.
CREATE TABLE tenants (
    id          BLOB     NOT NULL PRIMARY KEY,
    name        TEXT     NOT NULL,
    created_at  DATETIME NOT NULL
);

-- People with an account. Global, not tenant-scoped: one person may belong to several
-- organizations. Emails are stored normalised (lower case), so UNIQUE is case-insensitive.
-- password_hash is NULL for someone invited who has not yet set a password.
CREATE TABLE users (
    id             BLOB     NOT NULL PRIMARY KEY,
    email          TEXT     NOT NULL UNIQUE,
    name           TEXT     NOT NULL,
    password_hash  TEXT,
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);

CREATE TABLE memberships (
    tenant_id   BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     BLOB     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT     NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

-- Who did what, per organization. Never updated; deleted only with the tenant.
CREATE TABLE audit_log (
    tenant_id      BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB     NOT NULL,
    actor_user_id  BLOB     REFERENCES users (id) ON DELETE SET NULL,
    action         TEXT     NOT NULL,
    subject        TEXT,
    details        TEXT     NOT NULL DEFAULT '{}',
    created_at     DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, created_at);

-- The background-job queue. Not under tenant scoping: workers claim across all tenants; a job
-- that touches tenant data opens its own tenant-scoped transaction. tenant_id is kept for
-- operators and for deleting a tenant's pending work.
CREATE TABLE jobs (
    id            BLOB     NOT NULL PRIMARY KEY,
    tenant_id     BLOB     REFERENCES tenants (id) ON DELETE CASCADE,
    kind          TEXT     NOT NULL,
    payload       TEXT     NOT NULL,
    -- Enqueueing twice with the same (kind, dedupe_key) keeps one job: idempotent enqueue.
    dedupe_key    TEXT,
    state         TEXT     NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts      INTEGER  NOT NULL DEFAULT 0,
    max_attempts  INTEGER  NOT NULL,
    run_at        DATETIME NOT NULL,
    locked_by     TEXT,
    lease_token   BLOB,
    locked_until  DATETIME,
    last_error    TEXT,
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    finished_at   DATETIME
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX jobs_ready ON jobs (state, run_at);
CREATE INDEX jobs_leases ON jobs (state, locked_until);
