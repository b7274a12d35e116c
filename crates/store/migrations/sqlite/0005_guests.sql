-- Guests of an event (SQLite twin of migrations/postgres/0005_guests.sql).

CREATE TABLE guests (
    tenant_id     BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB     NOT NULL,
    event_id      BLOB     NOT NULL,
    name          TEXT     NOT NULL,
    token_hash    TEXT     NOT NULL UNIQUE,
    blocked_at    DATETIME,
    created_at    DATETIME NOT NULL,
    last_seen_at  DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX guests_by_event ON guests (tenant_id, event_id);

ALTER TABLE photos ADD COLUMN guest_id BLOB;
CREATE INDEX photos_by_guest ON photos (tenant_id, event_id, guest_id, created_at);
