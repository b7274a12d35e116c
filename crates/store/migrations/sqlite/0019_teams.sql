-- Teams: email verification, deactivated members, last activity, invitations and the
-- single-use tokens sent by mail (SQLite twin of migrations/postgres/0019_teams.sql).

-- When the person proved they read mail at their address (NULL: not yet).
ALTER TABLE users ADD COLUMN email_verified_at DATETIME;

-- A deactivated member cannot log in to the organization until reactivated.
ALTER TABLE memberships ADD COLUMN deactivated_at DATETIME;
-- When the member last used the organization (updated at most every few minutes).
ALTER TABLE memberships ADD COLUMN last_active_at DATETIME;

-- Invitations to join an organization with a role. The token itself is in mail_tokens.
CREATE TABLE invitations (
    tenant_id    BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           BLOB     NOT NULL,
    email        TEXT     NOT NULL,
    role         TEXT     NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    invited_by   BLOB     REFERENCES users (id) ON DELETE SET NULL,
    created_at   DATETIME NOT NULL,
    sent_at      DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    accepted_at  DATETIME,
    accepted_by  BLOB     REFERENCES users (id) ON DELETE SET NULL,
    revoked_at   DATETIME,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX invitations_by_time ON invitations (tenant_id, created_at);
CREATE INDEX invitations_by_email ON invitations (tenant_id, email);

-- Single-use tokens sent by mail: invitations, password resets, email verification. Only the
-- SHA-256 (hex) of a token is stored. Global like sessions: a token is looked up before any
-- tenant is known; what it grants is checked again under the tenant's scope.
CREATE TABLE mail_tokens (
    token_hash     TEXT     NOT NULL PRIMARY KEY,
    purpose        TEXT     NOT NULL CHECK (purpose IN ('invitation', 'password_reset', 'verify_email')),
    user_id        BLOB     REFERENCES users (id) ON DELETE CASCADE,
    tenant_id      BLOB     REFERENCES tenants (id) ON DELETE CASCADE,
    invitation_id  BLOB,
    email          TEXT     NOT NULL,
    created_at     DATETIME NOT NULL,
    expires_at     DATETIME NOT NULL,
    used_at        DATETIME
);
CREATE INDEX mail_tokens_by_user ON mail_tokens (user_id, purpose);
CREATE INDEX mail_tokens_by_invitation ON mail_tokens (invitation_id);
CREATE INDEX mail_tokens_by_expiry ON mail_tokens (expires_at);

-- The activity page filters the audit log by who acted, newest first.
CREATE INDEX audit_log_by_actor ON audit_log (tenant_id, actor_user_id, created_at);
