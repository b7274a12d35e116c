-- Two-factor sign-in with TOTP (RFC 6238) and recovery codes (SQLite twin of
-- migrations/postgres/0020_two_factor.sql).

-- The person's TOTP secret, encrypted under the server's secret key (hex), and the random
-- nonce it was encrypted with. Set while enrolling; totp_enabled_at is set once a code from
-- the authenticator app confirmed it. totp_last_step is the last time step a code was
-- accepted for, so a code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_nonce TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at DATETIME;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

-- Single-use recovery codes, for a lost phone. Only an HMAC of each code (under the server
-- key) is kept. Global like users.
CREATE TABLE recovery_codes (
    user_id     BLOB     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT     NOT NULL,
    created_at  DATETIME NOT NULL,
    used_at     DATETIME,
    PRIMARY KEY (user_id, code_hash)
);

-- Owners can require two-factor sign-in of everyone in the organization.
ALTER TABLE tenants ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
