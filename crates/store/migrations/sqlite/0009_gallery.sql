-- Gallery sorting and views (SQLite twin of migrations/postgres/0009_gallery.sql).
ALTER TABLE photos ADD COLUMN reaction_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX photos_by_reactions ON photos (tenant_id, event_id, reaction_count, created_at, id);
CREATE TABLE photo_views (
    tenant_id   BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    BLOB     NOT NULL,
    photo_id    BLOB     NOT NULL,
    viewer      TEXT     NOT NULL,
    created_at  DATETIME NOT NULL,
    PRIMARY KEY (tenant_id, photo_id, viewer),
    FOREIGN KEY (tenant_id, photo_id) REFERENCES photos (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX photo_views_by_event ON photo_views (tenant_id, event_id);
