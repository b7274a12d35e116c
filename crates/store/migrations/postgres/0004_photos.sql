-- Photos (PostgreSQL twin of migrations/sqlite/0004_photos.sql).

CREATE TABLE photos (
    tenant_id        uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid        NOT NULL,
    event_id         uuid        NOT NULL,
    -- Who uploaded it: a member (user id), or a guest (the guest issue adds their session).
    uploaded_by      uuid        REFERENCES users (id) ON DELETE SET NULL,
    uploader_name    text        NOT NULL,
    -- SHA-256 of the original's bytes: the same photo twice in one event is one photo.
    sha256           text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp', 'heic')),
    original_key     text        NOT NULL,
    original_bytes   bigint      NOT NULL,
    status           text        NOT NULL CHECK (status IN ('processing', 'published', 'pending_review', 'failed')),
    failure          text,
    width            integer,
    height           integer,
    -- As the camera wrote it (local time), with its offset when the camera gave one.
    taken_at_local   text,
    taken_offset     text,
    camera_make      text,
    camera_model     text,
    lens             text,
    placeholder      text,
    -- JSON: [{"max_edge", "width", "height", "key", "bytes"}], largest first.
    renditions       text,
    -- Original plus renditions, for the organization's storage figures.
    storage_bytes    bigint      NOT NULL,
    created_at       timestamptz NOT NULL,
    processed_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, event_id, sha256),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX photos_by_event ON photos (tenant_id, event_id, created_at, id);

ALTER TABLE photos ENABLE ROW LEVEL SECURITY;
ALTER TABLE photos FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON photos
    USING (tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::uuid));
