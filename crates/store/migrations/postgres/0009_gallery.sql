-- Gallery sorting and views (PostgreSQL twin of migrations/sqlite/0009_gallery.sql).
-- How many reactions a photo has, kept with the photo so "most reacted" pages by an index.
ALTER TABLE photos ADD COLUMN reaction_count integer NOT NULL DEFAULT 0;
CREATE INDEX photos_by_reactions ON photos (tenant_id, event_id, reaction_count, created_at, id);
-- Who has seen a photo in the lightbox: counted once per viewer.
CREATE TABLE photo_views (
    tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id    uuid        NOT NULL,
    photo_id    uuid        NOT NULL,
    viewer      text        NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, photo_id, viewer),
    FOREIGN KEY (tenant_id, photo_id) REFERENCES photos (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX photo_views_by_event ON photo_views (tenant_id, event_id);
ALTER TABLE photo_views ENABLE ROW LEVEL SECURITY;
ALTER TABLE photo_views FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON photo_views
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
