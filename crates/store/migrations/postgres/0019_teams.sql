-- Teams: email verification, deactivated members, last activity, invitations and the
-- single-use tokens sent by mail (PostgreSQL twin of migrations/sqlite/0019_teams.sql).

-- When the person proved they read mail at their address (NULL: not yet).
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- A deactivated member cannot log in to the organization until reactivated.
ALTER TABLE memberships ADD COLUMN deactivated_at timestamptz;
-- When the member last used the organization (updated at most every few minutes).
ALTER TABLE memberships ADD COLUMN last_active_at timestamptz;

-- Invitations to join an organization with a role. The token itself is in mail_tokens.
CREATE TABLE invitations (
    tenant_id    uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid        NOT NULL,
    email        text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    invited_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    sent_at      timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    accepted_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    revoked_at   timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX invitations_by_time ON invitations (tenant_id, created_at);
CREATE INDEX invitations_by_email ON invitations (tenant_id, email);
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

-- Single-use tokens sent by mail: invitations, password resets, email verification. Only the
-- SHA-256 (hex) of a token is stored. Outside RLS like sessions: a token is looked up before
-- any tenant is known; what it grants is checked again under the tenant's scope.
CREATE TABLE mail_tokens (
    token_hash     text        NOT NULL PRIMARY KEY,
    purpose        text        NOT NULL CHECK (purpose IN ('invitation', 'password_reset', 'verify_email')),
    user_id        uuid        REFERENCES users (id) ON DELETE CASCADE,
    tenant_id      uuid        REFERENCES tenants (id) ON DELETE CASCADE,
    invitation_id  uuid,
    email          text        NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz
);
CREATE INDEX mail_tokens_by_user ON mail_tokens (user_id, purpose);
CREATE INDEX mail_tokens_by_invitation ON mail_tokens (invitation_id);
CREATE INDEX mail_tokens_by_expiry ON mail_tokens (expires_at);

-- The activity page filters the audit log by who acted, newest first.
CREATE INDEX audit_log_by_actor ON audit_log (tenant_id, actor_user_id, created_at);
