-- Reactions (SQLite twin of migrations/postgres/0007_reactions.sql).
CREATE TABLE reactions (
    tenant_id   BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    BLOB     NOT NULL,
    photo_id    BLOB     NOT NULL,
    reactor     TEXT     NOT NULL,
    kind        TEXT     NOT NULL CHECK (kind IN ('heart', 'laugh', 'wow', 'clap', 'party')),
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, photo_id, reactor, kind),
    FOREIGN KEY (tenant_id, photo_id) REFERENCES photos (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX reactions_by_event ON reactions (tenant_id, event_id);
