-- Two-factor sign-in with TOTP (RFC 6238) and recovery codes (PostgreSQL twin of
-- migrations/sqlite/0020_two_factor.sql).

-- The person's TOTP secret, encrypted under the server's secret key (hex), and the random
-- nonce it was encrypted with. Set while enrolling; totp_enabled_at is set once a code from
-- the authenticator app confirmed it. totp_last_step is the last time step a code was
-- accepted for, so a code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_secret text;
ALTER TABLE users ADD COLUMN totp_nonce text;
ALTER TABLE users ADD COLUMN totp_enabled_at timestamptz;
ALTER TABLE users ADD COLUMN totp_last_step bigint;

-- Single-use recovery codes, for a lost phone. Only an HMAC of each code (under the server
-- key) is kept. Global like users (no tenant, so no row-level security).
CREATE TABLE recovery_codes (
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   text        NOT NULL,
    created_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- Owners can require two-factor sign-in of everyone in the organization.
ALTER TABLE tenants ADD COLUMN require_two_factor boolean NOT NULL DEFAULT false;
