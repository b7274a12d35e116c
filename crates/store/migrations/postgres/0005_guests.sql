-- Guests of an event (PostgreSQL twin of migrations/sqlite/0005_guests.sql).

-- A guest joins with a name from the event's link and gets a session of their own (a cookie
-- holding a random token; only its SHA-256 is kept here). No account, no email.
CREATE TABLE guests (
    tenant_id     uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid        NOT NULL,
    event_id      uuid        NOT NULL,
    name          text        NOT NULL,
    token_hash    text        NOT NULL UNIQUE,
    blocked_at    timestamptz,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX guests_by_event ON guests (tenant_id, event_id);

ALTER TABLE guests ENABLE ROW LEVEL SECURITY;
ALTER TABLE guests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON guests
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));

-- Which guest uploaded a photo (NULL: a member did).
ALTER TABLE photos ADD COLUMN guest_id uuid;
CREATE INDEX photos_by_guest ON photos (tenant_id, event_id, guest_id, created_at);
