-- Foundation schema (PostgreSQL twin of migrations/sqlite/0001_foundation.sql; a test keeps the
-- two in step). Run as the schema owner; the app connects as a role without BYPASSRLS.
--
-- Tenant isolation: every tenant-scoped table has row-level security ENABLEd and FORCEd (so the
-- owner is bound too) with a policy on the transaction-local setting app.tenant_id. When it is
-- unset, current_setting(..., true) gives NULL or '' (after an earlier transaction set it), both
-- of which match no row: no fallback. The (select ...) wrapper makes PostgreSQL evaluate the
-- setting once per query instead of once per row.

CREATE TABLE tenants (
    id          uuid        NOT NULL PRIMARY KEY,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id             uuid        NOT NULL PRIMARY KEY,
    email          text        NOT NULL UNIQUE,
    name           text        NOT NULL,
    password_hash  text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE memberships (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text        NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE audit_log (
    tenant_id      uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid        NOT NULL,
    actor_user_id  uuid        REFERENCES users (id) ON DELETE SET NULL,
    action         text        NOT NULL,
    subject        text,
    details        jsonb       NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, created_at);

-- The job queue is deliberately outside RLS: workers claim across tenants (FOR UPDATE SKIP
-- LOCKED); a job touching tenant data opens its own tenant-scoped transaction.
CREATE TABLE jobs (
    id            uuid        NOT NULL PRIMARY KEY,
    tenant_id     uuid        REFERENCES tenants (id) ON DELETE CASCADE,
    kind          text        NOT NULL,
    payload       jsonb       NOT NULL,
    dedupe_key    text,
    state         text        NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts      integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL,
    run_at        timestamptz NOT NULL,
    locked_by     text,
    lease_token   uuid,
    locked_until  timestamptz,
    last_error    text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    finished_at   timestamptz
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX jobs_ready ON jobs (state, run_at);
CREATE INDEX jobs_leases ON jobs (state, locked_until);

-- Row-level security.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON tenants
    USING (id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
CREATE POLICY tenant_isolation ON memberships
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

-- A signed-in person may read their own memberships and the names of those organizations
-- (to pick one after login), and nothing else of them, without a tenant being set.
CREATE POLICY own_memberships ON memberships FOR SELECT
    USING (user_id = (SELECT nullif(current_setting('app.user_id', true), '')::uuid));
CREATE POLICY own_tenants ON tenants FOR SELECT
    USING (id IN (SELECT m.tenant_id FROM memberships m
                  WHERE m.user_id = (SELECT nullif(current_setting('app.user_id', true), '')::uuid)));
