-- Photos (SQLite twin of migrations/postgres/0004_photos.sql; no RLS here, code scoping only).

CREATE TABLE photos (
    tenant_id        BLOB     NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               BLOB     NOT NULL,
    event_id         BLOB     NOT NULL,
    uploaded_by      BLOB     REFERENCES users (id) ON DELETE SET NULL,
    uploader_name    TEXT     NOT NULL,
    sha256           TEXT     NOT NULL,
    kind             TEXT     NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp', 'heic')),
    original_key     TEXT     NOT NULL,
    original_bytes   BIGINT   NOT NULL,
    status           TEXT     NOT NULL CHECK (status IN ('processing', 'published', 'pending_review', 'failed')),
    failure          TEXT,
    width            INTEGER,
    height           INTEGER,
    taken_at_local   TEXT,
    taken_offset     TEXT,
    camera_make      TEXT,
    camera_model     TEXT,
    lens             TEXT,
    placeholder      TEXT,
    renditions       TEXT,
    storage_bytes    BIGINT   NOT NULL,
    created_at       DATETIME NOT NULL,
    processed_at     DATETIME,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, event_id, sha256),
    FOREIGN KEY (tenant_id, event_id) REFERENCES events (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX photos_by_event ON photos (tenant_id, event_id, created_at, id);
